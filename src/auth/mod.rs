//! Edge authentication: who may reach the cluster at all, decided before any byte goes upstream.
//!
//! Modes (see `config::AuthMode`): `none` forwards whatever comes; `basic` requires Basic
//! credentials and forwards them; `oidc` verifies bearer JWTs here ([`verifier`], keys from
//! [`jwks`]) and forwards the accepted token unchanged, so the cluster applies the caller's own
//! authorizations. Failures become RFC 6750 / RFC 9728 challenges in [`AuthError::response`],
//! the one place where they get their shape.

pub mod caller;
pub mod jwks;
pub mod mode;
pub mod oauth;
pub mod signature;
pub mod verifier;

use serde_json::json;

use crate::auth::mode::AuthMode;

use crate::auth::oauth::grant::{Op, Reply};
use crate::auth::oauth::{AuthServer, Io};
use crate::http::{Request, Response};
use crate::ports::HttpClient;
use crate::ports::{Grants, Sealer, Signatures, Store};
use crate::routes::{Destination, METADATA_PATH};
use verifier::{other_cluster, Verifier};

pub use caller::{AuthError, Caller, Challenge, Principal};

/// Longer `Authorization` headers are refused without parsing (real tokens are a few KiB).
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// RFC 6750 `b64token` (= RFC 7235 `token68`): `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`. Anything else (spaces, a trailing no-break space, control characters)
/// is refused outright, never "cleaned" into something else.
fn is_token68(v: &str) -> bool {
    let body = v.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A query key with `%XX` escapes decoded (`access%5Ftoken` is `access_token`).
fn percent_decoded(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The user a Basic credential names (up to the first `:`), and the credential's digest.
fn basic_principal(value: &str) -> Principal {
    use base64ct::{Base64, Encoding};
    use sha2::{Digest, Sha256};
    let decoded = Base64::decode_vec(value).unwrap_or_default();
    let user = String::from_utf8_lossy(&decoded);
    let user = user.split(':').next().unwrap_or_default();
    Principal::Basic {
        user: user.chars().take(128).collect(),
        credential: Sha256::digest(value.as_bytes()).into(),
    }
}

/// The per-isolate authentication state: the verifier with its key and token caches, or the
/// authorization server.
pub enum Gate<S> {
    Open,
    Basic,
    Oidc(Box<Verifier<S>>),
    OAuth(Box<AuthServer>),
}

/// The bearer token of a request, checked for shape only.
fn bearer(credentials: Option<&str>) -> Result<&str, AuthError> {
    let value = credentials.ok_or(AuthError::Missing)?;
    if value.len() > MAX_CREDENTIAL_BYTES {
        return Err(AuthError::InvalidToken("token too large".into()));
    }
    let token = value
        .split_once(' ')
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t)
        .ok_or_else(|| AuthError::InvalidToken("expected a Bearer token".into()))?;
    if !is_token68(token) {
        return Err(AuthError::InvalidToken(
            "malformed token (RFC 6750 b64token)".into(),
        ));
    }
    Ok(token)
}

impl<S: Signatures> Gate<S> {
    pub fn new(mode: &AuthMode, signatures: S) -> Self {
        match mode {
            AuthMode::None => Gate::Open,
            AuthMode::Basic => Gate::Basic,
            AuthMode::Oidc(oidc) => Gate::Oidc(Box::new(Verifier::new(oidc.clone(), signatures))),
            AuthMode::OAuth(settings) => {
                Gate::OAuth(Box::new(AuthServer::new((**settings).clone())))
            }
        }
    }

    /// Admits the request or says why not. `now` is in seconds. Returns a note for the log line
    /// when something worth knowing happened (e.g. stale keys were used). `resource` is the URL
    /// of the endpoint called (oauth tokens are bound to one).
    pub async fn admit<C: HttpClient, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        io: &Io<'_, C, K, S>,
        now: u64,
        dest: &Destination<'_>,
        resource: &str,
    ) -> Result<Caller, AuthError>
    where
        S: Sealer,
    {
        let client = io.client;
        let in_query = req.query.as_deref().is_some_and(|q| {
            q.split('&').any(|p| {
                p.split('=')
                    .next()
                    .is_some_and(|k| percent_decoded(k).eq_ignore_ascii_case("access_token"))
            })
        });
        if in_query {
            return Err(AuthError::TokenInQuery);
        }
        // Not trimmed: what is checked here is exactly what is forwarded.
        let credentials = req.header("authorization");
        let scheme_value = |scheme: &str| {
            credentials.and_then(|c| {
                let (s, v) = c.split_once(' ')?;
                s.eq_ignore_ascii_case(scheme).then_some(v)
            })
        };
        match self {
            Gate::Open => Ok(Caller::default()),
            Gate::Basic => match scheme_value("basic") {
                Some(v) if is_token68(v) => Ok(Caller {
                    note: None,
                    principal: basic_principal(v),
                    person_token: None,
                }),
                Some(_) => Err(AuthError::InvalidToken(
                    "malformed Basic credentials".into(),
                )),
                None => Err(AuthError::Missing),
            },
            Gate::OAuth(server) => {
                let admitted = server.admit(bearer(credentials)?, resource, io).await?;
                Ok(Caller {
                    note: admitted.note,
                    principal: admitted.principal,
                    person_token: Some(admitted.person_token),
                })
            }
            Gate::Oidc(verifier) => {
                let token = bearer(credentials)?;
                let verified = verifier.verify(token, client, now).await?;
                let reach = &verifier.oidc().issuers[verified.issuer].reach;
                if !dest.reached_by(reach) {
                    return Err(AuthError::InvalidToken(
                        "this token's issuer may not reach this cluster (OIDC_ISSUER_ROUTES)"
                            .into(),
                    ));
                }
                if other_cluster(&verified, dest.cluster).is_some() {
                    return Err(AuthError::InvalidToken(
                        "token is for another cluster".into(),
                    ));
                }
                // Fail closed on tenancy: where every token must name its cluster, one that
                // names none is refused rather than let through to any cluster.
                if verifier.oidc().require_cluster_claim && verified.cluster_id.is_none() {
                    return Err(AuthError::InvalidToken(
                        "token names no cluster (https://camunda.com/clusterId)".into(),
                    ));
                }
                Ok(Caller {
                    principal: Principal::Token {
                        issuer: verifier.oidc().issuers[verified.issuer].issuer.clone(),
                        subject: verified.subject,
                        client_id: verified.client_id,
                        scopes: verified.scopes,
                    },
                    note: verified.note,
                    person_token: None,
                })
            }
        }
    }

    /// The RFC 9728 document, or `None` when this gateway does not take bearer tokens.
    pub fn metadata(&self, origin: &str, resource_path: &str) -> Option<Response> {
        let (servers, scopes) = match self {
            Gate::Oidc(verifier) => {
                let oidc = verifier.oidc();
                let issuers = oidc.issuers.iter().map(|i| i.issuer.clone()).collect();
                (issuers, oidc.required_scopes.clone())
            }
            // This gateway is the authorization server: its issuer is its origin.
            Gate::OAuth(_) => (vec![origin.to_owned()], Vec::new()),
            _ => return None,
        };
        let doc = json!({
            "resource": format!("{origin}{resource_path}"),
            "authorization_servers": servers,
            "bearer_methods_supported": ["header"],
            "scopes_supported": scopes,
            "resource_name": crate::routes::SERVER_NAME,
        });
        Some(
            Response::json(200, doc.to_string())
                .with_header("cache-control", "public, max-age=3600"),
        )
    }

    /// How to challenge a caller refused at `mcp_path`: the default endpoint points at the root
    /// document, a routed one at its own.
    pub fn challenge<'a>(&self, origin: &'a str, mcp_path: &str) -> Challenge<'a> {
        let metadata_path = if mcp_path == crate::routes::MCP_PATH {
            METADATA_PATH.to_owned()
        } else {
            format!("{METADATA_PATH}{mcp_path}")
        };
        Challenge {
            origin,
            metadata_path,
            basic: matches!(self, Gate::Basic),
            scopes: match self {
                Gate::Oidc(v) => v.oidc().required_scopes.clone(),
                _ => Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_syntax_and_query_keys() {
        for ok in ["abc", "a.b-c_d~e+f/g==", "eyJhbGciOiJSUzI1NiJ9.e30.sig"] {
            assert!(is_token68(ok), "{ok}");
        }
        for bad in ["", "=", "abc\u{a0}", "a b", "abc\r\n", "ab\"c", "abc=d"] {
            assert!(!is_token68(bad), "{bad:?}");
        }
        assert_eq!(percent_decoded("access%5Ftoken"), "access_token");
        assert_eq!(percent_decoded("%41ccess_token%"), "Access_token%");
    }

    #[test]
    fn challenges_stay_valid_header_values() {
        let c = Challenge {
            origin: "https://gw.test",
            metadata_path: METADATA_PATH.into(),
            basic: false,
            scopes: Vec::new(),
        };
        let err =
            AuthError::InvalidToken("algorithm RS\r\nX-Evil: 1\u{442}\"\\ is not accepted".into());
        let header = err
            .response(&c, None)
            .header("www-authenticate")
            .unwrap()
            .to_owned();
        assert!(
            header.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{header:?}"
        );
        assert!(
            header.contains(r#"error_description="algorithm RSX-Evil: 1 is not accepted""#),
            "{header}"
        );
    }
}
