//! Edge authentication: who may reach the cluster at all, decided before any byte goes upstream.
//!
//! Modes (see `config::AuthMode`): `none` forwards whatever comes; `basic` requires Basic
//! credentials and forwards them; `oidc` verifies bearer JWTs here ([`verifier`], keys from
//! [`jwks`]) and forwards the accepted token unchanged, so the cluster applies the caller's own
//! authorizations. Failures become RFC 6750 / RFC 9728 challenges in [`AuthError::response`],
//! the one place where they get their shape.

pub mod jwks;
pub mod signature;
pub mod verifier;

use serde_json::json;

use crate::config::AuthMode;
use crate::http::{HttpClient, Request, Response};
use crate::mcp::jsonrpc::{self, ErrorCode, RpcError};
use signature::Signatures;
use verifier::{other_cluster, Verifier};

/// Longer `Authorization` headers are refused without parsing (real tokens are a few KiB).
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// Where the protected-resource metadata lives (RFC 9728), at the root and for the MCP path.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error("credentials are required")]
    Missing,
    #[error("{0}")]
    InvalidToken(String),
    #[error("tokens in the query string are not accepted; send an Authorization header")]
    TokenInQuery,
    #[error("the token lacks the scope {0}")]
    InsufficientScope(String),
}

/// What a challenge needs to point the client at.
pub struct Challenge<'a> {
    /// `scheme://host[:port]` of this gateway as the client called it.
    pub origin: &'a str,
    /// The RFC 9728 document's path for the endpoint that was called.
    pub metadata_path: String,
    pub basic: bool,
    pub scopes: &'a [String],
}

impl AuthError {
    /// 401 for every credential problem (clients such as `c8ctl mcp-proxy` refresh and retry
    /// on 401 only), 403 for a missing scope.
    pub fn response(&self, challenge: &Challenge<'_>) -> Response {
        let quoted = |s: &str| s.replace(['"', '\\'], "");
        let mut header = if challenge.basic {
            r#"Basic realm="Camunda", charset="UTF-8""#.to_owned()
        } else {
            format!(
                r#"Bearer resource_metadata="{}{}""#,
                quoted(challenge.origin),
                quoted(&challenge.metadata_path)
            )
        };
        if !challenge.basic && !challenge.scopes.is_empty() {
            header += &format!(r#", scope="{}""#, quoted(&challenge.scopes.join(" ")));
        }
        let (status, code) = match self {
            AuthError::Missing => (401, None),
            AuthError::InvalidToken(_) => (401, Some("invalid_token")),
            AuthError::TokenInQuery => (401, Some("invalid_request")),
            AuthError::InsufficientScope(_) => (403, Some("insufficient_scope")),
        };
        if let (Some(code), false) = (code, challenge.basic) {
            header += &format!(
                r#", error="{code}", error_description="{}""#,
                quoted(&self.to_string())
            );
        }
        // No id: the body of a refused caller is not read.
        let error = RpcError::new(ErrorCode::UNAUTHORIZED, format!("Unauthorized: {self}"));
        Response::json(status, jsonrpc::error_body(None, &error))
            .with_header("www-authenticate", header)
    }
}

/// The per-isolate authentication state: the verifier with its key and token caches.
pub enum Gate<S> {
    Open,
    Basic,
    Oidc(Box<Verifier<S>>),
}

impl<S: Signatures> Gate<S> {
    pub fn new(mode: &AuthMode, signatures: S) -> Self {
        match mode {
            AuthMode::None => Gate::Open,
            AuthMode::Basic => Gate::Basic,
            AuthMode::Oidc(oidc) => Gate::Oidc(Box::new(Verifier::new(oidc.clone(), signatures))),
        }
    }

    /// Admits the request or says why not. `now` is in seconds. Returns a note for the log line
    /// when something worth knowing happened (e.g. stale keys were used).
    /// `cluster`: the id a token's `https://camunda.com/clusterId` claim must equal, if present.
    pub async fn admit<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
        cluster: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let in_query = req.query.as_deref().is_some_and(|q| {
            q.split('&').any(|p| {
                p.split('=')
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case("access_token"))
            })
        });
        if in_query {
            return Err(AuthError::TokenInQuery);
        }
        let credentials = req.header("authorization").map(str::trim);
        let scheme_value = |scheme: &str| {
            credentials.and_then(|c| {
                let (s, v) = c.split_once(' ')?;
                s.eq_ignore_ascii_case(scheme).then(|| v.trim())
            })
        };
        match self {
            Gate::Open => Ok(None),
            Gate::Basic => scheme_value("basic")
                .filter(|v| !v.is_empty())
                .map(|_| None)
                .ok_or(AuthError::Missing),
            Gate::Oidc(verifier) => {
                let token = match (credentials, scheme_value("bearer")) {
                    (None, _) => return Err(AuthError::Missing),
                    (Some(c), _) if c.len() > MAX_CREDENTIAL_BYTES => {
                        return Err(AuthError::InvalidToken("token too large".into()))
                    }
                    (Some(_), None) => {
                        return Err(AuthError::InvalidToken("expected a Bearer token".into()))
                    }
                    (Some(_), Some(token)) => token,
                };
                let verified = verifier.verify(token, client, now).await?;
                if other_cluster(&verified, cluster).is_some() {
                    return Err(AuthError::InvalidToken(
                        "token is for another cluster".into(),
                    ));
                }
                Ok(verified.note)
            }
        }
    }

    /// The RFC 9728 document, or `None` when this gateway does not take bearer tokens.
    pub fn metadata(&self, origin: &str, resource_path: &str) -> Option<Response> {
        let Gate::Oidc(verifier) = self else {
            return None;
        };
        let oidc = verifier.oidc();
        let doc = json!({
            "resource": format!("{origin}{resource_path}"),
            "authorization_servers": oidc.issuers.iter().map(|i| &i.issuer).collect::<Vec<_>>(),
            "bearer_methods_supported": ["header"],
            "scopes_supported": oidc.required_scopes,
            "resource_name": crate::mcp::server::SERVER_NAME,
        });
        Some(
            Response::json(200, doc.to_string())
                .with_header("cache-control", "public, max-age=3600"),
        )
    }

    /// How to challenge a caller refused at `mcp_path`: the default endpoint points at the root
    /// document, a routed one at its own.
    pub fn challenge<'a>(&'a self, origin: &'a str, mcp_path: &str) -> Challenge<'a> {
        let metadata_path = if mcp_path == crate::app::MCP_PATH {
            METADATA_PATH.to_owned()
        } else {
            format!("{METADATA_PATH}{mcp_path}")
        };
        Challenge {
            origin,
            metadata_path,
            basic: matches!(self, Gate::Basic),
            scopes: match self {
                Gate::Oidc(v) => &v.oidc().required_scopes,
                _ => &[],
            },
        }
    }
}
