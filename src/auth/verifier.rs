//! Bearer JWT verification: untrusted token → trusted issuer → key by `kid` → signature →
//! claims. A verified token is remembered (by its SHA-256, never the token) until it expires,
//! so repeated calls skip the signature work.

use std::cell::RefCell;
use std::collections::HashMap;

use jwt_compact::{Claims, UntrustedToken};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::caller::AuthError;
use super::jwks::{KeyCache, KeyError};
use crate::auth::mode::Oidc;
use crate::ports::HttpClient;
use crate::ports::Signatures;

/// Most verified tokens remembered per isolate (Camunda's own gateway keeps 10,000).
const TOKEN_CACHE_ENTRIES: usize = 10_000;

#[derive(Deserialize)]
struct Custom {
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    scope: Option<String>,
    #[serde(default)]
    scp: Vec<String>,
    sub: Option<String>,
    /// RFC 9068 `client_id`; Keycloak and Entra ID name the client in `azp`.
    client_id: Option<String>,
    azp: Option<String>,
    /// Camunda SaaS names the cluster a token is for.
    #[serde(rename = "https://camunda.com/clusterId")]
    cluster_id: Option<String>,
    /// What marks an OpenID Connect ID token (RFC 9068 §4, RFC 8725 §3.11): Keycloak's
    /// `typ: "ID"`, the login's `nonce`, the access token's hash `at_hash`.
    typ: Option<String>,
    nonce: Option<serde::de::IgnoredAny>,
    at_hash: Option<serde::de::IgnoredAny>,
}

impl Custom {
    /// An ID token says who signed in to a client; it grants nothing, even when its `aud`
    /// happens to name this API. A `nonce` counts only without scopes: Keycloak before 25 copies
    /// the login's nonce into access tokens, which carry `scope`.
    fn is_id_token(&self) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("id"))
            || self.at_hash.is_some()
            || (self.nonce.is_some() && self.scope.is_none() && self.scp.is_empty())
    }
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::None => false,
            Audience::One(a) => a == wanted,
            Audience::Many(list) => list.iter().any(|a| a == wanted),
        }
    }
}

/// What the gateway keeps of a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Seconds since the epoch; the token is not accepted from then on.
    pub valid_until: u64,
    /// Which configured issuer vouched for it (index into `Oidc::issuers`).
    pub issuer: usize,
    pub cluster_id: Option<String>,
    /// `sub`, the client (`client_id` or `azp`) and the scopes granted: who is calling and what
    /// they may do, for tool permissions, rate limits and the audit record.
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
    /// Set when older keys had to be used because the JWKS endpoint failed.
    pub note: Option<String>,
}

pub struct Verifier<S> {
    oidc: Oidc,
    signatures: S,
    keys: Vec<KeyCache>,
    tokens: RefCell<HashMap<[u8; 32], Verified>>,
}

fn invalid(description: impl Into<String>) -> AuthError {
    AuthError::InvalidToken(description.into())
}

impl<S: Signatures> Verifier<S> {
    pub fn new(oidc: Oidc, signatures: S) -> Self {
        let secret = oidc.shared_cache_secret.as_deref();
        let keys = oidc
            .issuers
            .iter()
            .map(|i| KeyCache::new(i.clone(), secret))
            .collect();
        Verifier {
            oidc,
            signatures,
            keys,
            tokens: RefCell::default(),
        }
    }

    pub fn oidc(&self) -> &Oidc {
        &self.oidc
    }

    pub async fn verify<C: HttpClient>(
        &self,
        token: &str,
        client: &C,
        now: u64,
    ) -> Result<Verified, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = self.tokens.borrow().get(&digest) {
            if now < hit.valid_until {
                return Ok(Verified {
                    note: None,
                    ..hit.clone()
                });
            }
        }
        let verified = self.verify_uncached(token, client, now).await?;
        let mut tokens = self.tokens.borrow_mut();
        if tokens.len() >= TOKEN_CACHE_ENTRIES {
            tokens.retain(|_, v| now < v.valid_until);
            if tokens.len() >= TOKEN_CACHE_ENTRIES {
                tokens.clear();
            }
        }
        tokens.insert(
            digest,
            Verified {
                note: None,
                ..verified.clone()
            },
        );
        Ok(verified)
    }

    async fn verify_uncached<C: HttpClient>(
        &self,
        token: &str,
        client: &C,
        now: u64,
    ) -> Result<Verified, AuthError> {
        let untrusted = UntrustedToken::new(token).map_err(|_| invalid("malformed token"))?;
        // RFC 7515 §4.1.11: a header extension marked critical that we do not implement makes
        // the token invalid. We implement none.
        if has_critical_header(token) {
            return Err(invalid(
                "token has critical header parameters (crit) we do not implement",
            ));
        }
        let alg = self
            .oidc
            .algorithms
            .iter()
            .copied()
            .find(|a| a.name() == untrusted.algorithm())
            .ok_or_else(|| {
                invalid(format!(
                    "algorithm {:.16} is not accepted",
                    untrusted.algorithm()
                ))
            })?;
        let typ = untrusted
            .header()
            .token_type
            .as_deref()
            .map(str::to_ascii_lowercase);
        if !matches!(
            typ.as_deref(),
            None | Some("jwt" | "at+jwt" | "application/at+jwt")
        ) {
            return Err(invalid("token type is not JWT or at+jwt"));
        }
        // The issuer picks the keys, so it is checked before anything is fetched: a token
        // cannot make the gateway contact a server that is not configured.
        let unverified = untrusted
            .deserialize_claims_unchecked::<Custom>()
            .map_err(|_| invalid("malformed claims"))?;
        // Exact string comparison (RFC 8414 §3.3): `https://idp/` is not `https://idp`.
        let iss = unverified.custom.iss.as_deref().unwrap_or_default();
        let issuer = self
            .oidc
            .issuers
            .iter()
            .position(|i| i.issuer == iss)
            .ok_or_else(|| invalid("untrusted issuer"))?;
        if unverified.custom.is_id_token() {
            return Err(invalid("an ID token is not an access token"));
        }

        let kid = untrusted.header().key_id.as_deref();
        let found = self.keys[issuer]
            .lookup(client, kid, alg, now)
            .await
            .map_err(|e| match e {
                KeyError::UnknownKey(_) => invalid("unknown signing key"),
                KeyError::Unavailable(_) => invalid("signing keys unavailable"),
            })?;
        let key = found
            .keys
            .find(kid, alg)
            .ok_or_else(|| invalid("unknown signing key"))?;
        let signed = token.rsplit_once('.').map_or("", |(signed, _)| signed);
        if !self.signatures.verify(key, &untrusted, signed).await {
            return Err(invalid("invalid signature"));
        }

        // The signature holds, so the claims read before are now trusted.
        let claims = &unverified;
        let valid_until = self.check_time(claims, now)?;
        let custom = &claims.custom;
        if !self.oidc.audiences.iter().any(|a| custom.aud.contains(a)) {
            return Err(invalid("token is not for this API (audience)"));
        }
        let granted: Vec<String> = custom
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .chain(custom.scp.iter().map(String::as_str))
            .map(str::to_owned)
            .collect();
        if let Some(missing) = self
            .oidc
            .required_scopes
            .iter()
            .find(|s| !granted.contains(s))
        {
            return Err(AuthError::InsufficientScope {
                scope: missing.clone(),
                tool: None,
            });
        }
        Ok(Verified {
            valid_until,
            issuer,
            cluster_id: custom.cluster_id.clone(),
            subject: custom.sub.clone(),
            client_id: custom.client_id.clone().or_else(|| custom.azp.clone()),
            scopes: granted,
            note: found
                .stale_because
                .map(|why| format!("stale JWKS used: {why}")),
        })
    }

    /// `exp` is required; `exp` and `nbf` are checked with the configured leeway.
    fn check_time(&self, claims: &Claims<Custom>, now: u64) -> Result<u64, AuthError> {
        let leeway = i64::from(self.oidc.leeway_seconds);
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let exp = claims
            .expiration
            .ok_or_else(|| invalid("token has no exp"))?
            .timestamp();
        if now >= exp.saturating_add(leeway) {
            return Err(invalid("token expired"));
        }
        if let Some(nbf) = claims.not_before {
            if nbf.timestamp().saturating_sub(leeway) > now {
                return Err(invalid("token not yet valid"));
            }
        }
        Ok(u64::try_from(exp.saturating_add(leeway)).unwrap_or(0))
    }
}

/// Whether the token's header carries `crit` (or is unreadable, which parsing already refused).
fn has_critical_header(token: &str) -> bool {
    use base64ct::{Base64UrlUnpadded, Encoding};
    #[derive(Deserialize)]
    struct Critical {
        crit: Option<serde::de::IgnoredAny>,
    }
    let head = token.split('.').next().unwrap_or_default();
    Base64UrlUnpadded::decode_vec(head)
        .ok()
        .and_then(|json| serde_json::from_slice::<Critical>(&json).ok())
        .is_none_or(|h| h.crit.is_some())
}

/// `Some(id)` when the token names a cluster other than `expected`.
pub fn other_cluster<'a>(verified: &'a Verified, expected: Option<&str>) -> Option<&'a str> {
    match (verified.cluster_id.as_deref(), expected) {
        (Some(claimed), Some(expected)) if claimed != expected => Some(claimed),
        _ => None,
    }
}
