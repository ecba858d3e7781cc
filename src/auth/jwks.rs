//! An issuer's signing keys, fetched from its JWKS and kept per isolate.
//!
//! The cache is a small state machine with time passed in: keys are fresh for the JWKS answer's
//! `max-age` (within bounds); an unknown `kid` may force one refresh per cooldown (so a flood of
//! random `kid`s costs one fetch, not one each); concurrent misses share one fetch; and when the
//! JWKS endpoint is down, keys already known stay usable for a bounded time while unknown ones
//! fail closed.
//!
//! With a deployment secret, a fetched key set is also shared with the other isolates of the
//! location through the runtime's shared cache. That cache is shared by every Worker of the zone,
//! so what is read from it is untrusted data: it is stored under a name derived from the secret
//! (no other Worker can write there), only after it parsed as a key set, with the expiry the first
//! fetch allowed (a copy is never fresher than the original), and every read is parsed and
//! checked again.

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::mode::Issuer;
use crate::http::{max_age, Method, UpstreamRequest};
use crate::http::{vouching_url, Cleartext};
use crate::ports::Algorithm;
use crate::ports::HttpClient;
use crate::ports::PublicKey;

/// After a forced or failed refresh, the next one waits this long.
pub const COOLDOWN_S: u64 = 30;
/// Known keys keep verifying this long past their freshness while the endpoint is down.
pub const MAX_STALE_S: u64 = 3_600;
/// Larger JWKS answers are refused (a key set is a few KiB).
const MAX_JWKS_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT_MS: u32 = 5_000;
/// How often a request re-checks while another one fetches the keys.
const POLL_MS: u32 = 10;

/// The usable keys of one JWKS: RSA and P-256 signing keys; others are skipped.
#[derive(Debug, Default)]
pub struct KeySet(Vec<PublicKey>);

impl KeySet {
    pub fn parse(body: &[u8]) -> Result<KeySet, String> {
        if body.len() > MAX_JWKS_BYTES {
            return Err(format!("JWKS larger than {MAX_JWKS_BYTES} bytes"));
        }
        let doc: Value =
            serde_json::from_slice(body).map_err(|e| format!("JWKS is not JSON: {e}"))?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("JWKS has no \"keys\" array")?;
        let mut set = Vec::new();
        for raw in keys {
            let text = |name: &str| raw.get(name).and_then(Value::as_str);
            // A key published for encryption, or only for other operations, never verifies.
            if text("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let ops = raw.get("key_ops").and_then(Value::as_array);
            if ops.is_some_and(|ops| !ops.iter().any(|o| o == "verify")) {
                continue;
            }
            let (alg, jwk) = match (text("kty"), text("crv")) {
                (Some("RSA"), _) => match (text("n"), text("e")) {
                    (Some(n), Some(e)) => (Algorithm::Rs256, json!({"kty": "RSA", "n": n, "e": e})),
                    _ => continue,
                },
                (Some("EC"), Some("P-256")) => match (text("x"), text("y")) {
                    (Some(x), Some(y)) => (
                        Algorithm::Es256,
                        json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
                    ),
                    _ => continue,
                },
                _ => continue,
            };
            // A key bound to another algorithm (e.g. an RSA key for PS256) is not one for ours.
            if text("alg").is_some_and(|a| a != alg.name()) {
                continue;
            }
            set.push(PublicKey {
                kid: text("kid").map(str::to_owned),
                alg,
                jwk,
            });
        }
        if set.is_empty() {
            return Err("JWKS holds no RSA or P-256 signing key".to_owned());
        }
        Ok(KeySet(set))
    }

    /// The key named `kid` for `alg`; without a `kid`, the only key of that kind.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&PublicKey> {
        let mut of_kind = self.0.iter().filter(|k| k.alg == alg);
        match kid {
            Some(kid) => of_kind.find(|k| k.kid.as_deref() == Some(kid)),
            None => match (of_kind.next(), of_kind.next()) {
                (Some(k), None) => Some(k),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeyError {
    #[error("no signing key {0} is known for this issuer")]
    UnknownKey(String),
    #[error("the issuer's signing keys cannot be fetched: {0}")]
    Unavailable(String),
}

#[derive(Default)]
struct State {
    keys: Option<Rc<KeySet>>,
    fresh_until: u64,
    /// No refresh (forced or after a failure) before this.
    next_refresh: u64,
    /// Set while one request fetches the JWKS (seconds when it started); others wait for it.
    fetching_since: Option<u64>,
    /// The outcome of the last fetch, for the requests that waited for it.
    last_error: Option<String>,
}

/// What a lookup found, and whether it had to fall back to stale keys.
pub struct Found {
    pub keys: Rc<KeySet>,
    /// Set when the JWKS endpoint failed and older keys were used: worth a log line.
    pub stale_because: Option<String>,
}

pub struct KeyCache {
    issuer: Issuer,
    /// Where this issuer's keys are shared with other isolates, if a secret names the place.
    shared_key: Option<String>,
    state: RefCell<State>,
}

impl KeyCache {
    /// `secret` (`MCP_CACHE_SECRET`) turns on sharing keys through the runtime's shared cache.
    pub fn new(issuer: Issuer, secret: Option<&str>) -> Self {
        let shared_key = secret.map(|secret| {
            let digest = Sha256::new()
                .chain_update(b"camunda-mcp-edge jwks v1\0")
                .chain_update(secret.as_bytes())
                .chain_update(b"\0")
                .chain_update(issuer.issuer.as_bytes())
                .finalize();
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("https://camunda-mcp-edge.invalid/jwks/{hex}")
        });
        KeyCache {
            issuer,
            shared_key,
            state: RefCell::default(),
        }
    }

    /// Keys that hold `kid` for `alg`, fetching the JWKS when needed. `now` is in seconds.
    pub async fn lookup<C: HttpClient>(
        &self,
        client: &C,
        kid: Option<&str>,
        alg: Algorithm,
        now: u64,
    ) -> Result<Found, KeyError> {
        let unknown = || KeyError::UnknownKey(kid.unwrap_or("(no kid)").chars().take(64).collect());
        let (keys, fresh, may_refresh) = {
            let s = self.state.borrow();
            (s.keys.clone(), now < s.fresh_until, now >= s.next_refresh)
        };
        if let Some(keys) = &keys {
            if keys.find(kid, alg).is_some() && fresh {
                return Ok(Found {
                    keys: keys.clone(),
                    stale_because: None,
                });
            }
        }
        let forced = keys.is_some() && fresh;
        if !may_refresh && keys.is_none() {
            return Err(KeyError::Unavailable(
                "a recent fetch failed; retrying shortly".into(),
            ));
        }
        if !may_refresh {
            // Fresh keys without this kid, or stale keys we may not refetch yet.
            let keys = keys.expect("checked above");
            let usable = fresh || now < self.state.borrow().fresh_until + MAX_STALE_S;
            return match keys.find(kid, alg) {
                Some(_) if usable => Ok(Found {
                    keys,
                    stale_because: Some("refresh is cooling down".into()),
                }),
                Some(_) => Err(KeyError::Unavailable(
                    "keys are too old and a refresh is cooling down".into(),
                )),
                None => Err(unknown()),
            };
        }
        match self.refresh(client, now, forced).await {
            Ok(keys) if keys.find(kid, alg).is_some() => Ok(Found {
                keys,
                stale_because: None,
            }),
            Ok(_) => Err(unknown()),
            // The endpoint failed: known keys carry on for a while, anything else fails closed.
            Err(why) => {
                let s = self.state.borrow();
                let known = s.keys.as_ref().filter(|k| k.find(kid, alg).is_some());
                match (known, &s.keys) {
                    (Some(old), _) if now < s.fresh_until + MAX_STALE_S => Ok(Found {
                        keys: old.clone(),
                        stale_because: Some(why),
                    }),
                    (None, Some(_)) => Err(unknown()),
                    _ => Err(KeyError::Unavailable(why)),
                }
            }
        }
    }

    /// One fetch at a time per issuer: the first caller fetches, concurrent ones wait for it
    /// (on their own timers, see [`HttpClient::pause`]), or take over if it never finishes.
    async fn refresh<C: HttpClient>(
        &self,
        client: &C,
        now: u64,
        forced: bool,
    ) -> Result<Rc<KeySet>, String> {
        let stuck_after = now.saturating_sub(u64::from(FETCH_TIMEOUT_MS / 1000) + 1);
        let someone_else = {
            let mut s = self.state.borrow_mut();
            let busy = s.fetching_since.is_some_and(|since| since > stuck_after);
            if !busy {
                s.fetching_since = Some(now);
                if forced {
                    s.next_refresh = now + COOLDOWN_S;
                }
            }
            busy
        };
        if someone_else {
            for _ in 0..(FETCH_TIMEOUT_MS / POLL_MS + 50) {
                client.pause(POLL_MS).await;
                let s = self.state.borrow();
                if s.fetching_since.is_none() {
                    return match (&s.last_error, &s.keys) {
                        (None, Some(keys)) => Ok(keys.clone()),
                        (Some(e), _) => Err(e.clone()),
                        (None, None) => Err("no keys fetched".into()),
                    };
                }
            }
            return Err("timed out waiting for another request's key fetch".into());
        }
        // A forced refresh (an unknown kid) must not get the old shared copy back.
        let shared = match (forced, &self.shared_key) {
            (false, Some(key)) => from_shared(client, key, &self.issuer, now).await,
            _ => None,
        };
        let result = match shared {
            Some(found) => Ok(found),
            None => fetch_keys(client, &self.issuer, now).await,
        };
        if let (Ok(fetched), Some(key)) = (&result, &self.shared_key) {
            if let Some(body) = fetched.body.as_deref() {
                to_shared(client, key, &self.issuer, body, fetched.fresh_until, now).await;
            }
        }
        let mut s = self.state.borrow_mut();
        s.fetching_since = None;
        match result {
            Ok(fetched) => {
                s.keys = Some(fetched.keys.clone());
                s.fresh_until = fetched.fresh_until;
                s.last_error = None;
                Ok(fetched.keys)
            }
            Err(e) => {
                s.next_refresh = now + COOLDOWN_S;
                s.last_error = Some(e.clone());
                Err(e)
            }
        }
    }
}

/// A key set and until when it is fresh; `body` is the JWKS as fetched (to share it), `None`
/// when it came from the shared cache.
struct Fetched {
    keys: Rc<KeySet>,
    fresh_until: u64,
    body: Option<Vec<u8>>,
}

/// What is kept in the shared cache: the JWKS as fetched, whose issuer it is, and when the
/// original fetch said it stops being fresh.
#[derive(Serialize, Deserialize)]
struct SharedCopy<'a> {
    issuer: &'a str,
    fresh_until: u64,
    #[serde(borrow)]
    jwks: &'a RawValue,
}

async fn from_shared<C: HttpClient>(
    client: &C,
    key: &str,
    issuer: &Issuer,
    now: u64,
) -> Option<Fetched> {
    let bytes = client.shared_get(key).await?;
    if bytes.len() > MAX_JWKS_BYTES + 1024 {
        return None;
    }
    let copy: SharedCopy = serde_json::from_slice(&bytes).ok()?;
    // Checked again: the wrong issuer, an expired copy or anything but a key set is ignored.
    if copy.issuer != issuer.issuer || copy.fresh_until <= now {
        return None;
    }
    let keys = KeySet::parse(copy.jwks.get().as_bytes()).ok()?;
    Some(Fetched {
        keys: Rc::new(keys),
        fresh_until: copy.fresh_until,
        body: None,
    })
}

async fn to_shared<C: HttpClient>(
    client: &C,
    key: &str,
    issuer: &Issuer,
    jwks: &[u8],
    fresh_until: u64,
    now: u64,
) {
    let Ok(jwks) = serde_json::from_slice::<&RawValue>(jwks) else {
        return;
    };
    let copy = SharedCopy {
        issuer: &issuer.issuer,
        fresh_until,
        jwks,
    };
    if let Ok(body) = serde_json::to_vec(&copy) {
        client.shared_put(key, body, fresh_until - now).await;
    }
}

/// The JWKS of `issuer` and how long to trust it; discovers the JWKS URI when none is set.
async fn fetch_keys<C: HttpClient>(
    client: &C,
    issuer: &Issuer,
    now: u64,
) -> Result<Fetched, String> {
    let get = |url: String| UpstreamRequest {
        method: Method::Get,
        url,
        headers: vec![("accept", "application/json".to_owned())],
        body: None,
        timeout_ms: FETCH_TIMEOUT_MS,
        max_bytes: MAX_JWKS_BYTES,
        compact: None,
        via: None,
    };
    let jwks_uri = match &issuer.jwks_uri {
        Some(uri) => uri.clone(),
        None => {
            let url = format!(
                "{}/.well-known/openid-configuration",
                issuer.issuer.trim_end_matches('/')
            );
            let resp = client
                .send(get(url.clone()))
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let doc: Value = (resp.status == 200)
                .then(|| serde_json::from_slice(&resp.body).ok())
                .flatten()
                .ok_or_else(|| {
                    format!("{url}: HTTP {} without a discovery document", resp.status)
                })?;
            // Exact, as OpenID Connect Discovery and RFC 8414 require.
            if doc.get("issuer").and_then(Value::as_str) != Some(issuer.issuer.as_str()) {
                return Err(format!("{url}: the document names another issuer"));
            }
            let uri = doc
                .get("jwks_uri")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{url}: no jwks_uri"))?;
            // The same rule as for configured key sources: no cleartext key transport, except
            // to this machine when the issuer itself is here (local tests).
            let issuer_local = vouching_url(&issuer.issuer) == Some(Cleartext::Loopback);
            match vouching_url(uri) {
                Some(Cleartext::No) => {}
                Some(Cleartext::Loopback) if issuer_local => {}
                _ => return Err(format!("{url}: jwks_uri is not an https:// URL")),
            }
            uri.to_owned()
        }
    };
    let resp = client
        .send(get(jwks_uri.clone()))
        .await
        .map_err(|e| format!("{jwks_uri}: {e}"))?;
    if resp.status != 200 {
        return Err(format!("{jwks_uri}: HTTP {}", resp.status));
    }
    let keys = KeySet::parse(&resp.body).map_err(|e| format!("{jwks_uri}: {e}"))?;
    Ok(Fetched {
        keys: Rc::new(keys),
        fresh_until: now + max_age(resp.cache_control.as_deref()),
        body: Some(resp.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_garbage_and_skips_unusable_keys() {
        assert!(KeySet::parse(b"<html>").unwrap_err().contains("not JSON"));
        assert!(KeySet::parse(b"{}").unwrap_err().contains("\"keys\""));
        let only_hmac = br#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#;
        assert!(KeySet::parse(only_hmac)
            .unwrap_err()
            .contains("no RSA or P-256"));
        assert!(KeySet::parse(&vec![b' '; MAX_JWKS_BYTES + 1])
            .unwrap_err()
            .contains("larger"));
        // alg, use and key_ops decide whether a key may verify our algorithms.
        let rsa = |extra: &str| {
            format!(r#"{{"keys":[{{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k"{extra}}}]}}"#)
        };
        for unusable in [
            r#","alg":"PS256""#,
            r#","alg":"RSA-OAEP""#,
            r#","use":"enc""#,
            r#","key_ops":["encrypt"]"#,
        ] {
            assert!(
                KeySet::parse(rsa(unusable).as_bytes()).is_err(),
                "{unusable}"
            );
        }
        for usable in ["", r#","alg":"RS256","use":"sig","key_ops":["verify"]"#] {
            let set = KeySet::parse(rsa(usable).as_bytes()).unwrap();
            assert!(set.find(Some("k"), Algorithm::Rs256).is_some(), "{usable}");
        }
    }
}
