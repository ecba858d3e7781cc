//! WebCrypto for the core: JWT signature checks and AES-GCM sealing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use jwt_compact::UntrustedToken;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};
use worker::js_sys::{self, Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use crate::ports::Algorithm;
use crate::ports::Sealer;
use crate::ports::{PublicKey, Signatures};

/// JWT signature checks and record sealing by the runtime's WebCrypto: native code, where
/// jwt-compact's pure-Rust RSA in wasm took about a millisecond per first-seen token. Imported
/// keys are kept per isolate (verification keys by their JWK text); clones share them.
#[derive(Default, Clone)]
pub(super) struct WebCrypto {
    keys: Rc<RefCell<HashMap<String, CryptoKey>>>,
    /// The vault's AES-GCM key, imported once.
    sealing: Rc<RefCell<Option<CryptoKey>>>,
}

pub(super) fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(js_sys::global()
        .unchecked_into::<WorkerGlobalScope>()
        .crypto()?
        .subtle())
}

impl WebCrypto {
    /// The AES-GCM parameters for one operation (a fresh `iv` per seal).
    fn gcm(iv: &[u8], aad: &[u8]) -> Object {
        let params = object(&[("name", "AES-GCM")]);
        let _ = Reflect::set(&params, &"iv".into(), &Uint8Array::from(iv));
        let _ = Reflect::set(&params, &"additionalData".into(), &Uint8Array::from(aad));
        params
    }

    /// One vault key per deployment (`OAUTH_KV_KEY`), imported on first use.
    async fn sealing_key(&self, key: &[u8; 32]) -> Result<CryptoKey, JsValue> {
        if let Some(k) = self.sealing.borrow().clone() {
            return Ok(k);
        }
        let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
        let promise = subtle()?.import_key_with_object(
            "raw",
            &Uint8Array::from(key.as_slice()),
            &object(&[("name", "AES-GCM")]),
            false,
            &usages,
        )?;
        let k: CryptoKey = JsFuture::from(promise).await?.unchecked_into();
        *self.sealing.borrow_mut() = Some(k.clone());
        Ok(k)
    }
}

pub(super) fn js_error(e: JsValue) -> String {
    worker::Error::from(e).to_string()
}

impl Sealer for WebCrypto {
    async fn seal(&self, key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut iv = [0u8; 12];
        getrandom::getrandom(&mut iv).map_err(|e| e.to_string())?;
        let sealed = async {
            let k = self.sealing_key(key).await?;
            let promise =
                subtle()?.encrypt_with_object_and_u8_array(&Self::gcm(&iv, aad), &k, plain)?;
            JsFuture::from(promise).await
        }
        .await
        .map_err(js_error)?;
        Ok([iv.as_slice(), &Uint8Array::new(&sealed).to_vec()].concat())
    }

    async fn open(&self, key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        if sealed.len() < 12 + 16 {
            return Err("too short".into());
        }
        let (iv, body) = sealed.split_at(12);
        let plain = async {
            let k = self.sealing_key(key).await?;
            let promise =
                subtle()?.decrypt_with_object_and_u8_array(&Self::gcm(iv, aad), &k, body)?;
            JsFuture::from(promise).await
        }
        .await
        .map_err(js_error)?;
        Ok(Uint8Array::new(&plain).to_vec())
    }
}

/// Key sets rotate; more distinct keys than this in one isolate clears the map.
pub(super) const MAX_IMPORTED_KEYS: usize = 64;

impl Signatures for WebCrypto {
    async fn verify(&self, key: &PublicKey, token: &UntrustedToken<'_>, signed: &str) -> bool {
        self.check(key, token.signature_bytes(), signed)
            .await
            .unwrap_or(false)
    }
}

impl WebCrypto {
    async fn check(
        &self,
        key: &PublicKey,
        signature: &[u8],
        signed: &str,
    ) -> Result<bool, JsValue> {
        let subtle = subtle()?;
        let (import, verify) = match key.alg {
            Algorithm::Rs256 => (
                object(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")]),
                object(&[("name", "RSASSA-PKCS1-v1_5")]),
            ),
            Algorithm::Es256 => (
                object(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
                object(&[("name", "ECDSA"), ("hash", "SHA-256")]),
            ),
        };
        let id = key.jwk.to_string();
        let cached = self.keys.borrow().get(&id).cloned();
        let crypto_key = match cached {
            Some(k) => k,
            None => {
                let jwk: Object = js_sys::JSON::parse(&id)?.unchecked_into();
                let usages = Array::of1(&JsValue::from_str("verify"));
                let promise =
                    subtle.import_key_with_object("jwk", &jwk, &import, false, &usages)?;
                let k: CryptoKey = JsFuture::from(promise).await?.unchecked_into();
                let mut keys = self.keys.borrow_mut();
                if keys.len() >= MAX_IMPORTED_KEYS {
                    keys.clear();
                }
                keys.insert(id, k.clone());
                k
            }
        };
        let promise = subtle.verify_with_object_and_u8_array_and_u8_array(
            &verify,
            &crypto_key,
            signature,
            signed.as_bytes(),
        )?;
        Ok(JsFuture::from(promise).await?.as_bool() == Some(true))
    }
}

pub(super) fn object(members: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in members {
        // Setting a string member on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}
