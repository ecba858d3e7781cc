//! What the core asks of the outside world, in one place: `fetch`, key-value storage, a
//! Durable Object per grant, sealing, signature checks and rate limits. The Worker implements
//! each with a Cloudflare part (in `edge`); tests implement them with maps and loopback
//! servers. Futures are not `Send`: on wasm32 everything runs on one thread.

#![allow(async_fn_in_trait)] // single-threaded Workers runtime: no Send bound wanted

use jwt_compact::UntrustedToken;
use serde_json::Value;

use crate::http::{FetchError, UpstreamRequest, UpstreamResponse};

/// The outbound HTTP seam.
pub trait HttpClient {
    /// Sends `req` and reads the whole body, giving up after `req.timeout_ms`.
    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError>;

    /// Waits about `ms` milliseconds. A request that waits for data another request is
    /// fetching must wait on a timer of its own: the Workers runtime cancels a request whose
    /// only pending work belongs to a different request.
    async fn pause(&self, ms: u32);

    /// The time now, in milliseconds since the epoch. The Worker's clock is the runtime's
    /// (`Date.now()`); natively, the system's. A Worker's client must say it: wasm32 has no
    /// system clock, and there this default answers 0.
    fn now_ms(&self) -> u64 {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            since.map_or(0, |d| d.as_millis() as u64)
        }
        #[cfg(target_arch = "wasm32")]
        0
    }

    /// A document another isolate stored under `key` with [`HttpClient::shared_put`] (on
    /// Workers: the Cache API, shared by the isolates of a location and by every other Worker
    /// of the zone, so callers treat what comes back as untrusted). None where nothing is
    /// shared.
    async fn shared_get(&self, _key: &str) -> Option<Vec<u8>> {
        None
    }

    /// Keeps `body` under `key` for about `ttl_s` seconds; failing only costs a later fetch.
    async fn shared_put(&self, _key: &str, _body: Vec<u8>, _ttl_s: u64) {}
}

/// Key-value storage with expiry (Workers KV in the Worker, a map in tests).
pub trait Store {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Keeps `value` for about `ttl_s` seconds (KV's minimum is 60).
    async fn put(&self, key: &str, value: Vec<u8>, ttl_s: u64) -> Result<(), String>;
    /// Forgets `key`.
    async fn delete(&self, key: &str) -> Result<(), String>;
}

/// Storage of one Durable Object: a [`Store`] for its record, and its alarm.
pub trait ObjectStore: Store {
    /// Sets the alarm to `at_s` (seconds since the epoch), or clears it.
    async fn alarm(&self, at_s: Option<u64>) -> Result<(), String>;
}

/// The objects that own one grant each, as the edge reaches them: one call, one step, by grant
/// id. `Op` and `Reply` are the grant's own messages (`auth::oauth::grant`).
pub trait Grants<Op, Reply> {
    /// Runs `op` in the object of `grant` and returns its reply.
    async fn call(&self, grant: &str, op: &Op) -> Result<Reply, String>;
}

/// No storage: modes without an authorization server.
pub struct NoStore;

impl<Op, Reply> Grants<Op, Reply> for NoStore {
    async fn call(&self, _grant: &str, _op: &Op) -> Result<Reply, String> {
        Err("no OAUTH_GRANTS binding".into())
    }
}

impl Store for NoStore {
    async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, String> {
        Err("no OAUTH_KV binding".into())
    }
    async fn put(&self, _key: &str, _value: Vec<u8>, _ttl_s: u64) -> Result<(), String> {
        Err("no OAUTH_KV binding".into())
    }
    async fn delete(&self, _key: &str) -> Result<(), String> {
        Err("no OAUTH_KV binding".into())
    }
}

/// Authenticated encryption: WebCrypto's AES-GCM in the Worker, RustCrypto's natively.
pub trait Sealer {
    /// `nonce ‖ ciphertext ‖ tag`, with a fresh random 96-bit nonce.
    async fn seal(&self, key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String>;
    /// Fails for any change to the sealed bytes, the key or `aad`.
    async fn open(&self, key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String>;
}

/// Signature algorithms that may be accepted. Never `none`, never HMAC: a gateway that holds only
/// public keys must not let a token choose a symmetric check against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    /// The JOSE name (`RS256`, `ES256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// A public signing key from a JWKS: only the members that define the key, so it can be
/// handed to any verifier as is.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    /// `{"kty":"RSA","n","e"}` or `{"kty":"EC","crv":"P-256","x","y"}`.
    pub jwk: Value,
}

/// JWT signature checks: WebCrypto in the Worker (several times faster than the same Rust in
/// wasm), jwt-compact's pure Rust natively.
pub trait Signatures {
    /// Whether `token`'s signature over `signed` (its `header.payload`) is valid for `key`.
    async fn verify(&self, key: &PublicKey, token: &UntrustedToken<'_>, signed: &str) -> bool;
}

/// What answered a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitCheck {
    /// There is no such binding: no limit.
    Unlimited,
    Allowed,
    Exceeded,
    /// The binding failed; the call goes ahead (a broken limiter must not stop the gateway).
    Failed(String),
}

/// Cloudflare's Rate Limiting binding, or a stand-in natively.
pub trait Limiter {
    /// Checks one more call against `binding` (a `[[ratelimits]]` name). `key` is asked for
    /// only where a limit applies: hashing it for nothing is per-call work.
    async fn check(&self, binding: &'static str, key: impl FnOnce() -> String) -> LimitCheck;
}

/// No bindings at all: nothing is limited.
pub struct NoLimits;

impl Limiter for NoLimits {
    async fn check(&self, _binding: &'static str, _key: impl FnOnce() -> String) -> LimitCheck {
        LimitCheck::Unlimited
    }
}
