//! Signature checks behind a seam. Natively (tests, benchmarks) jwt-compact's pure-Rust RSA and
//! P-256 do the work; the Worker uses WebCrypto (`crypto.subtle.verify`, in `edge`), which
//! measured several times faster than the same Rust code compiled to wasm and keeps the bignum
//! code out of the upload.

#[cfg(not(target_arch = "wasm32"))]
use jwt_compact::UntrustedToken;

#[cfg(not(target_arch = "wasm32"))]
use crate::ports::{Algorithm, PublicKey, Signatures};

/// jwt-compact's own checks, for native builds.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCrypto;

#[cfg(not(target_arch = "wasm32"))]
impl Signatures for RustCrypto {
    async fn verify(&self, key: &PublicKey, token: &UntrustedToken<'_>, _signed: &str) -> bool {
        use jwt_compact::alg::{Es256, Rsa};
        use jwt_compact::jwk::JsonWebKey;
        use jwt_compact::{AlgorithmExt, Empty};

        let Ok(jwk) = serde_json::from_value::<JsonWebKey<'_>>(key.jwk.clone()) else {
            return false;
        };
        match key.alg {
            Algorithm::Rs256 => (&jwk)
                .try_into()
                .is_ok_and(|k| Rsa::rs256().validator::<Empty>(&k).validate(token).is_ok()),
            Algorithm::Es256 => (&jwk)
                .try_into()
                .is_ok_and(|k| Es256.validator::<Empty>(&k).validate(token).is_ok()),
        }
    }
}
