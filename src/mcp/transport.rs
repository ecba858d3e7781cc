//! Streamable HTTP rules for a stateless, JSON-only server: which requests are refused at the
//! HTTP level, before any JSON-RPC is read (the protocol version, which depends on the era a
//! message speaks, is checked in `era`). Each refusal maps to its status here and nowhere else.

use super::jsonrpc::{self, ErrorCode, Id, RpcError};
use crate::http::{BodyError, Request, Response};

/// The transport's settings: how much a caller may send, how slowly, from which browser origins.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest MCP request body accepted (413 above).
    pub max_body_bytes: usize,
    /// How long an admitted caller may take to send its body (408 after).
    pub body_timeout_ms: u32,
    pub origins: OriginPolicy,
}

/// An HTTP-level refusal. The body is a JSON-RPC error, which MCP clients show.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("Origin {0:?} is not allowed to call this server (MCP_ALLOWED_ORIGINS)")]
    ForbiddenOrigin(String),
    #[error(
        "Method not allowed: this stateless server offers no SSE stream and no session; use POST"
    )]
    MethodNotAllowed,
    #[error("Payload too large: the body exceeds {0} bytes (MCP_MAX_BODY_BYTES)")]
    PayloadTooLarge(usize),
    #[error(
        "Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json"
    )]
    UnsupportedMediaType,
    #[error(
        "Not Acceptable: the Accept header must allow both application/json and text/event-stream"
    )]
    NotAcceptable,
    #[error("Request Timeout: the body did not arrive within {0} ms (MCP_BODY_TIMEOUT_MS)")]
    BodyTimeout(u32),
    #[error("Bad Request: the body could not be read")]
    BodyBroken,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::ForbiddenOrigin(_) => 403,
            Refusal::MethodNotAllowed => 405,
            Refusal::PayloadTooLarge(_) => 413,
            Refusal::UnsupportedMediaType => 415,
            Refusal::NotAcceptable => 406,
            Refusal::BodyTimeout(_) => 408,
            Refusal::BodyBroken => 400,
        }
    }

    /// Why an admitted caller's body could not be had.
    pub fn of_body(err: &BodyError, config: &Limits) -> Self {
        match err {
            BodyError::TooLarge => Refusal::PayloadTooLarge(config.max_body_bytes),
            BodyError::Timeout => Refusal::BodyTimeout(config.body_timeout_ms),
            BodyError::Broken(_) => Refusal::BodyBroken,
        }
    }

    /// The answer; `id` is the request's, when its body could be read.
    pub fn response(&self, id: Option<&Id>) -> Response {
        let error = RpcError::new(ErrorCode::TRANSPORT, self.to_string());
        let resp = Response::json(self.status(), jsonrpc::error_body(id, &error));
        match self {
            Refusal::MethodNotAllowed => resp.with_header("allow", "POST"),
            _ => resp,
        }
    }
}

/// Checks everything about an MCP request that does not need its body parsed.
pub fn check(req: &Request, config: &Limits) -> Result<(), Refusal> {
    if let Some(origin) = req.header("origin") {
        if !config.origins.allows(origin) {
            return Err(Refusal::ForbiddenOrigin(origin.chars().take(200).collect()));
        }
    }
    if req.method != "POST" {
        return Err(Refusal::MethodNotAllowed);
    }
    // A declared length over the cap is refused before anything is read.
    let declared = req
        .header("content-length")
        .and_then(|n| n.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > config.max_body_bytes) {
        return Err(Refusal::PayloadTooLarge(config.max_body_bytes));
    }
    let json_body = req
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        return Err(Refusal::UnsupportedMediaType);
    }
    let accept = req.header("accept").unwrap_or_default();
    if !(accepts(accept, "application", "json") && accepts(accept, "text", "event-stream")) {
        return Err(Refusal::NotAcceptable);
    }
    Ok(())
}

/// Whether an Accept header admits `kind/sub`, counting `kind/*` and `*/*` (but not `q=0`).
fn accepts(header: &str, kind: &str, sub: &str) -> bool {
    header.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        let matches = match media.split_once('/') {
            Some(("*", "*")) => true,
            Some((t, "*")) => t.eq_ignore_ascii_case(kind),
            Some((t, s)) => t.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub),
            None => false,
        };
        matches && !refused
    })
}

/// Which browser origins may call the gateway (DNS-rebinding protection).
#[derive(Debug, Clone, PartialEq)]
pub enum OriginPolicy {
    /// Only `http(s)://localhost|127.0.0.1|[::1]` with any port: the safe default.
    Loopback,
    /// Exactly these origins (plus loopback ones), compared case-insensitively.
    List(Vec<String>),
    /// `*`: any origin. Only for deployments behind another origin check.
    Any,
}

impl OriginPolicy {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            OriginPolicy::Any => true,
            OriginPolicy::Loopback => is_loopback_origin(origin),
            OriginPolicy::List(list) => {
                is_loopback_origin(origin) || list.iter().any(|o| o.eq_ignore_ascii_case(origin))
            }
        }
    }
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(port) => (h, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match rest.split_once(':') {
            Some((h, port)) => (h, Some(port)),
            None => (rest, None),
        },
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && crate::http::is_loopback_host(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Limits {
        Limits {
            max_body_bytes: 4 << 20,
            body_timeout_ms: 10_000,
            origins: OriginPolicy::Loopback,
        }
    }

    fn post(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "POST".into(),
            path: "/mcp/cluster".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: b"{}".to_vec(),
            ..Request::default()
        }
    }

    const OK: [(&str, &str); 2] = [
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];

    #[test]
    fn a_well_formed_post_passes() {
        assert_eq!(check(&post(&OK), &config()), Ok(()));
        let mut h = OK.to_vec();
        h.push(("mcp-protocol-version", "2025-06-18"));
        h.push(("origin", "http://localhost:6274"));
        assert_eq!(check(&post(&h), &config()), Ok(()));
    }

    #[test]
    fn accept_rule() {
        for ok in [
            "application/json, text/event-stream",
            "*/*",
            "application/*, text/*",
            "text/event-stream;q=0.5, application/json",
        ] {
            assert!(
                accepts(ok, "application", "json") && accepts(ok, "text", "event-stream"),
                "{ok}"
            );
        }
        for bad in [
            "application/json",
            "text/event-stream",
            "",
            "text/html",
            "application/json, text/event-stream;q=0",
        ] {
            let req = post(&[("content-type", "application/json"), ("accept", bad)]);
            assert_eq!(check(&req, &config()), Err(Refusal::NotAcceptable), "{bad}");
        }
        assert_eq!(
            check(&post(&OK[..1]), &config()),
            Err(Refusal::NotAcceptable)
        );
    }

    #[test]
    fn refusals_and_their_statuses() {
        let cfg = config();
        let mut req = post(&OK);
        req.method = "GET".into();
        assert_eq!(check(&req, &cfg).unwrap_err().status(), 405);
        req.method = "DELETE".into();
        assert_eq!(check(&req, &cfg).unwrap_err().status(), 405);

        let mut big = post(&OK);
        let over = (cfg.max_body_bytes + 1).to_string();
        big.headers.push(("content-length".into(), over));
        assert_eq!(check(&big, &cfg).unwrap_err().status(), 413);

        let text = post(&[("content-type", "text/plain"), OK[1]]);
        assert_eq!(check(&text, &cfg).unwrap_err().status(), 415);

        let mut h = OK.to_vec();
        h.push(("origin", "http://evil.example.com"));
        let refusal = check(&post(&h), &cfg).unwrap_err();
        assert_eq!(refusal.status(), 403);
        let resp = refusal.response(None);
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("evil.example.com"));
    }
}
