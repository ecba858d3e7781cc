//! Where the authorization server keeps its records: Workers KV (`OAUTH_KV`), every value
//! sealed with AES-256-GCM. The KV key is the additional data, so a record copied under
//! another key fails to open like a tampered one: the vault fails closed, never open.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ports::{Sealer, Store};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VaultError {
    #[error("the authorization store is unavailable: {0}")]
    Unavailable(String),
    /// Decryption failed: the record was changed, moved or sealed with another key.
    #[error("a stored record failed its integrity check")]
    Tampered,
}

/// Hex of the SHA-256 of `s`: how secrets are named in the store (a leaked key list holds
/// no usable token).
pub fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // Without randomness no secret can be made; the runtime always has it.
    getrandom::getrandom(&mut bytes).expect("the runtime provides randomness");
    hex(&bytes)
}

/// A store, a sealer and the key: typed records in, typed records out.
pub struct Vault<'a, K, S> {
    pub store: &'a K,
    pub sealer: &'a S,
    pub key: &'a [u8; 32],
}

impl<K: Store, S: Sealer> Vault<'_, K, S> {
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, VaultError> {
        let Some(sealed) = self.store.get(key).await.map_err(VaultError::Unavailable)? else {
            return Ok(None);
        };
        let plain = self
            .sealer
            .open(self.key, key.as_bytes(), &sealed)
            .await
            .map_err(|_| VaultError::Tampered)?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| VaultError::Tampered)
    }

    pub async fn put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl_s: u64,
    ) -> Result<(), VaultError> {
        let plain = serde_json::to_vec(value).expect("records serialise");
        let sealed = self
            .sealer
            .seal(self.key, key.as_bytes(), &plain)
            .await
            .map_err(VaultError::Unavailable)?;
        self.store
            .put(key, sealed, ttl_s.max(60))
            .await
            .map_err(VaultError::Unavailable)
    }

    pub async fn delete(&self, key: &str) -> Result<(), VaultError> {
        self.store
            .delete(key)
            .await
            .map_err(VaultError::Unavailable)
    }
}

/// The vault key from `OAUTH_KV_KEY`: hashed with a label, so the same secret used elsewhere
/// yields a different key here.
pub fn seal_key(secret: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"camunda-mcp-edge oauth vault v1\0")
        .chain_update(secret.as_bytes())
        .finalize()
        .into()
}

#[cfg(not(target_arch = "wasm32"))]
impl Sealer for crate::auth::signature::RustCrypto {
    async fn seal(&self, key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let cipher = aes_gcm::Aes256Gcm::new(key.into());
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = cipher
            .encrypt(&nonce.into(), Payload { msg: plain, aad })
            .map_err(|e| e.to_string())?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    async fn open(&self, key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        if sealed.len() < 12 + 16 {
            return Err("too short".into());
        }
        let (nonce, body) = sealed.split_at(12);
        aes_gcm::Aes256Gcm::new(key.into())
            .decrypt(nonce.into(), Payload { msg: body, aad })
            .map_err(|_| "does not open".to_owned())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::auth::signature::RustCrypto;
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Map(RefCell<HashMap<String, Vec<u8>>>);

    impl Store for Map {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
            Ok(self.0.borrow().get(key).cloned())
        }
        async fn put(&self, key: &str, value: Vec<u8>, _ttl_s: u64) -> Result<(), String> {
            self.0.borrow_mut().insert(key.into(), value);
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), String> {
            self.0.borrow_mut().remove(key);
            Ok(())
        }
    }

    #[test]
    fn records_round_trip_and_fail_closed_when_changed_or_moved() {
        let map = Map::default();
        let key = seal_key("0123456789abcdef0123456789abcdef");
        let vault = Vault {
            store: &map,
            sealer: &RustCrypto,
            key: &key,
        };
        pollster::block_on(async {
            vault
                .put("grant:a", &vec!["plain-secret-value".to_owned()], 60)
                .await
                .unwrap();
            let back: Option<Vec<String>> = vault.get("grant:a").await.unwrap();
            assert_eq!(back, Some(vec!["plain-secret-value".to_owned()]));
            let stored = map.0.borrow()["grant:a"].clone();
            assert!(
                !String::from_utf8_lossy(&stored).contains("secret"),
                "sealed, not plain"
            );
            // Moved under another key.
            map.0.borrow_mut().insert("grant:b".into(), stored.clone());
            assert_eq!(
                vault.get::<Vec<String>>("grant:b").await,
                Err(VaultError::Tampered)
            );
            // One bit flipped.
            let mut flipped = stored;
            flipped[20] ^= 1;
            map.0.borrow_mut().insert("grant:a".into(), flipped);
            assert_eq!(
                vault.get::<Vec<String>>("grant:a").await,
                Err(VaultError::Tampered)
            );
            // Another key.
            let other = seal_key("another secret of thirty-two characters");
            let vault2 = Vault {
                store: &map,
                sealer: &RustCrypto,
                key: &other,
            };
            assert_eq!(
                vault2.get::<Vec<String>>("grant:b").await,
                Err(VaultError::Tampered)
            );
        });
    }
}
