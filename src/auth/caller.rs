//! What admission decides about a caller: who it is ([`Principal`], [`Caller`]), or why it is
//! refused ([`AuthError`]), and the one place a refusal gets its HTTP shape (RFC 6750 / RFC
//! 9728 challenges).

use crate::http::Response;
use crate::mcp::jsonrpc::{self, ErrorCode, RpcError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error("credentials are required")]
    Missing,
    #[error("{0}")]
    InvalidToken(String),
    #[error("tokens in the query string are not accepted; send an Authorization header")]
    TokenInQuery,
    #[error("the token lacks the scope {scope}{}", tool.as_ref().map(|t| format!(" needed for {t}")).unwrap_or_default())]
    InsufficientScope { scope: String, tool: Option<String> },
    /// Credentials could not be checked (the authorization store or the IdP is down).
    #[error("credentials cannot be checked right now: {0}")]
    Unavailable(String),
}

/// Who is calling, as far as the edge knows: for rate-limit keys and the audit record.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Principal {
    /// No credentials were asked for (`MCP_AUTH_MODE=none`).
    #[default]
    Anonymous,
    /// Basic credentials, passed to the cluster, which checks them: the user name is as the
    /// caller claims it; `credential` is the SHA-256 of the whole header value.
    Basic { user: String, credential: [u8; 32] },
    /// A verified token.
    Token {
        issuer: String,
        subject: Option<String>,
        client_id: Option<String>,
        scopes: Vec<String>,
    },
}

impl Principal {
    /// Scopes the caller holds; `None` when this auth mode has no tokens.
    pub fn scopes(&self) -> Option<&[String]> {
        match self {
            Principal::Token { scopes, .. } => Some(scopes),
            _ => None,
        }
    }

    /// The rate-limit key: the token's `iss` + `sub` (or its client), the Basic credentials,
    /// else the client's address. Hashed, so keys carry no identity and have one length. A
    /// Basic caller is keyed by the whole credential, not the claimed name, so that nobody can
    /// spend another user's budget by sending their name with a wrong password.
    pub fn rate_key(&self, client_ip: Option<&str>) -> String {
        use sha2::{Digest, Sha256};
        let ip = || format!("ip\0{}", client_ip.unwrap_or("unknown"));
        let input = match self {
            Principal::Token {
                issuer,
                subject: Some(sub),
                ..
            } => format!("sub\0{issuer}\0{sub}"),
            Principal::Token {
                issuer,
                client_id: Some(client),
                ..
            } => format!("client\0{issuer}\0{client}"),
            Principal::Token { .. } | Principal::Anonymous => ip(),
            Principal::Basic { credential, .. } => return hex(&credential[..16]),
        };
        hex(&Sha256::digest(input.as_bytes())[..16])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What admission found out about an admitted caller.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// Worth a note in the log line (e.g. stale keys were used).
    pub note: Option<String>,
    pub principal: Principal,
    /// oauth mode: the signed-in person's own IdP token, to call the cluster with.
    pub person_token: Option<String>,
}

/// What a challenge needs to point the client at.
pub struct Challenge<'a> {
    /// `scheme://host[:port]` of this gateway as the client called it.
    pub origin: &'a str,
    /// The RFC 9728 document's path for the endpoint that was called.
    pub metadata_path: String,
    pub basic: bool,
    /// The scopes to ask for: those every token needs, plus a tool's for a step-up.
    pub scopes: Vec<String>,
}

impl AuthError {
    /// 401 for every credential problem (clients such as `c8ctl mcp-proxy` refresh and retry
    /// on 401 only), 403 for a missing scope. `id` is the request's, when its body was read.
    pub fn response(&self, challenge: &Challenge<'_>, id: Option<&jsonrpc::Id>) -> Response {
        // A quoted-string of printable ASCII only: a crafted `alg` or `kid` with CR, LF or
        // non-Latin-1 characters must not break the header (the runtime would refuse it).
        let quoted = |s: &str| {
            s.chars()
                .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\')
                .collect::<String>()
        };
        let metadata = format!(
            r#"resource_metadata="{}{}""#,
            quoted(challenge.origin),
            quoted(&challenge.metadata_path)
        );
        let scope = if challenge.scopes.is_empty() {
            String::new()
        } else {
            format!(r#", scope="{}""#, quoted(&challenge.scopes.join(" ")))
        };
        let description = format!(r#"error_description="{}""#, quoted(&self.to_string()));
        let (status, header) = match self {
            // Nothing is wrong with the credentials: no challenge, try again shortly.
            AuthError::Unavailable(_) => {
                let error = RpcError::new(ErrorCode::INTERNAL_ERROR, self.to_string());
                return Response::json(503, jsonrpc::error_body(id, &error))
                    .with_header("retry-after", "5");
            }
            _ if challenge.basic => (401, r#"Basic realm="Camunda", charset="UTF-8""#.to_owned()),
            AuthError::Missing => (401, format!("Bearer {metadata}{scope}")),
            AuthError::InvalidToken(_) | AuthError::TokenInQuery => {
                let code = match self {
                    AuthError::TokenInQuery => "invalid_request",
                    _ => "invalid_token",
                };
                let head = format!(r#"Bearer {metadata}{scope}, error="{code}""#);
                (401, format!("{head}, {description}"))
            }
            // The MCP step-up form: the error first, then every scope the call needs.
            AuthError::InsufficientScope { .. } => (
                403,
                format!(r#"Bearer error="insufficient_scope"{scope}, {metadata}, {description}"#),
            ),
        };
        let error = RpcError::new(ErrorCode::UNAUTHORIZED, format!("Unauthorized: {self}"));
        Response::json(status, jsonrpc::error_body(id, &error))
            .with_header("www-authenticate", header)
    }
}
