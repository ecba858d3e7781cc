//! Who an MCP client is: a Client ID Metadata Document (an `https://` client id naming its own
//! metadata) or, as a fallback, a client registered dynamically (RFC 7591). Both are public
//! clients (PKCE, no secret).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{max_age, HttpClient, Method, UpstreamRequest};

/// CIMD documents are small; the draft suggests servers cap them at 5 KB.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// Documents kept per isolate; more clears the cache.
const MAX_CACHED: usize = 128;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2_000;

/// What the authorization server needs to know of a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error("unknown client_id")]
    Unknown,
    #[error("client metadata document refused: {0}")]
    Document(String),
    #[error("{0}")]
    Metadata(String),
}

/// Whether `client_id` names a metadata document rather than a registration.
pub fn is_document_id(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Documents fetched, with when they go stale (seconds).
#[derive(Default)]
pub struct Documents {
    cache: RefCell<HashMap<String, (Rc<Client>, u64)>>,
}

impl Documents {
    /// The client a document URL names. `loopback` lets tests serve documents from this
    /// machine over http; private and loopback addresses are refused otherwise.
    pub async fn fetch<C: HttpClient>(
        &self,
        client: &C,
        url: &str,
        now: u64,
        loopback: bool,
    ) -> Result<Rc<Client>, ClientError> {
        if let Some((c, until)) = self.cache.borrow().get(url) {
            if now < *until {
                return Ok(c.clone());
            }
        }
        check_document_url(url, loopback).map_err(ClientError::Document)?;
        let req = UpstreamRequest {
            method: Method::Get,
            url: url.to_owned(),
            headers: vec![("accept", "application/json".into())],
            body: None,
            timeout_ms: FETCH_TIMEOUT_MS,
            max_bytes: MAX_DOCUMENT_BYTES,
            compact: None,
        };
        let refused = |why: String| ClientError::Document(why);
        let resp = client.send(req).await.map_err(|e| refused(e.to_string()))?;
        if resp.status != 200 {
            return Err(refused(format!(
                "HTTP {} (redirects are not followed)",
                resp.status
            )));
        }
        let doc: Value =
            serde_json::from_slice(&resp.body).map_err(|_| refused("not JSON".into()))?;
        if doc.get("client_id").and_then(Value::as_str) != Some(url) {
            return Err(refused(
                "its client_id is not the URL it was fetched from".into(),
            ));
        }
        match doc
            .get("token_endpoint_auth_method")
            .and_then(Value::as_str)
        {
            None | Some("none") => {}
            Some(other) => {
                return Err(refused(format!(
                    "token_endpoint_auth_method {other} is not supported (public clients only)"
                )))
            }
        }
        let parsed = metadata(url.to_owned(), &doc).map_err(refused)?;
        let parsed = Rc::new(parsed);
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        let ttl = max_age(resp.cache_control.as_deref());
        cache.insert(url.to_owned(), (parsed.clone(), now + ttl));
        Ok(parsed)
    }
}

/// A client from registration or document metadata: redirect URIs checked, name kept short.
pub fn metadata(client_id: String, doc: &Value) -> Result<Client, String> {
    let uris = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .filter(|u| !u.is_empty() && u.len() <= MAX_REDIRECT_URIS)
        .ok_or(format!(
            "redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
        ))?;
    let redirect_uris = uris
        .iter()
        .map(|u| {
            u.as_str()
                .filter(|u| is_redirect_uri(u))
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("redirect URI {u} is not allowed: use https://, http:// to loopback, or a private-use scheme, without a fragment")
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (k, allowed) in [
        ("grant_types", ["authorization_code", "refresh_token"]),
        ("response_types", ["code", "code"]),
    ] {
        if let Some(list) = doc.get(k).and_then(Value::as_array) {
            if let Some(bad) = list
                .iter()
                .find(|v| !v.as_str().is_some_and(|v| allowed.contains(&v)))
            {
                return Err(format!("{k} {bad} is not supported"));
            }
        }
    }
    Ok(Client {
        client_id,
        client_name: doc
            .get("client_name")
            .and_then(Value::as_str)
            .map(|n| n.chars().filter(|c| !c.is_control()).take(100).collect()),
        redirect_uris,
    })
}

/// `https://`, `http://` to a loopback host (RFC 8252 native apps), or a private-use scheme
/// such as `vscode://`; never a fragment, credentials or a script-capable scheme.
pub fn is_redirect_uri(uri: &str) -> bool {
    if uri.len() > MAX_URI_CHARS
        || uri.contains('#')
        || uri.chars().any(|c| c.is_control() || c == ' ')
    {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?']).next().unwrap_or_default());
    if authority.is_some_and(|a| a.contains('@') || a.is_empty()) {
        return false;
    }
    match scheme.as_str() {
        "https" => authority.is_some(),
        "http" => authority.is_some_and(|a| is_loopback(host_of(a))),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" | "ws" | "wss" => false,
        s => {
            s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
        }
    }
}

fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}

/// A document URL may be fetched only when it is `https://` with a path, no credentials, no
/// fragment, and does not name a private, loopback or link-local address (SSRF). Host names
/// are not resolved here: on Workers, `fetch` cannot reach private networks by name.
pub fn check_document_url(url: &str, loopback: bool) -> Result<(), String> {
    let (scheme, rest) = url.split_once("://").ok_or("not a URL")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let path = &rest[authority.len()..];
    let host = host_of(authority).to_ascii_lowercase();
    if url.contains('#') || authority.contains('@') || host.is_empty() {
        return Err("a document URL has no fragment or credentials".into());
    }
    if path.len() < 2 || !path.starts_with('/') {
        return Err("a document URL has a path".into());
    }
    let local = is_loopback(&host);
    match scheme {
        "https" if !local || loopback => {}
        "http" if local && loopback => {}
        "http" => return Err("only https:// document URLs are fetched".into()),
        _ if local => return Err(format!("{host} is this machine: not fetched")),
        _ => return Err("only https:// document URLs are fetched".into()),
    }
    if !local
        && (is_private_address(&host)
            || host.ends_with(".localhost")
            || host.ends_with(".internal")
            || host.ends_with(".local"))
    {
        return Err(format!("{host} is a private or local address: not fetched"));
    }
    Ok(())
}

/// IPv4 and IPv6 literals of private, shared, link-local, loopback, multicast and reserved
/// ranges (and IPv4 in IPv6 forms).
fn is_private_address(host: &str) -> bool {
    if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        let [a, b, ..] = v4.octets();
        return v4.is_private()
            || v4.is_loopback()
            || v4.is_link_local()
            || v4.is_unspecified()
            || v4.is_multicast()
            || v4.is_broadcast()
            || a == 0
            || (a == 100 && (64..128).contains(&b))
            || a >= 240;
    }
    if let Ok(v6) = host.parse::<std::net::Ipv6Addr>() {
        if let Some(v4) = v6.to_ipv4_mapped().or_else(|| v6.to_ipv4()) {
            return is_private_address(&v4.to_string()) || v6.is_loopback();
        }
        let first = v6.segments()[0];
        return v6.is_loopback()
            || v6.is_unspecified()
            || v6.is_multicast()
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80;
    }
    // Other numeric spellings some resolvers take as IPv4 (2130706433, 0x7f000001, 127.1):
    // a real domain ends in a name, not a number.
    let last = host.rsplit('.').next().unwrap_or_default();
    !last.is_empty() && (last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/",
            "http://localhost:3334/oauth/callback",
            "vscode://vscode.github-authentication/did-authenticate",
            "cursor://anysphere.cursor-mcp/oauth/callback",
        ] {
            assert!(is_redirect_uri(ok), "{ok}");
        }
        for bad in [
            "http://evil.example/cb",
            "https://claude.ai/cb#frag",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://user@evil.example/",
            "https:///nohost",
            "noscheme",
        ] {
            assert!(!is_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn document_urls_are_guarded() {
        assert!(check_document_url("https://app.example/oauth/client.json", false).is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "https://10.0.0.7/client.json",
            "https://192.168.1.1/c",
            "https://169.254.169.254/latest",
            "https://[::1]/c",
            "https://[fd00::1]/c",
            "https://[::ffff:10.0.0.1]/c",
            "https://127.0.0.1/c",
            "https://localhost/c",
            "https://2130706433/c",
            "https://0x7f000001/c",
            "https://metadata.internal/c",
            "https://u:p@app.example/c",
            "ftp://app.example/c",
        ] {
            assert!(check_document_url(bad, false).is_err(), "{bad}");
        }
        // Tests may serve documents from this machine, never from private networks.
        assert!(check_document_url("http://127.0.0.1:9999/client.json", true).is_ok());
        assert!(check_document_url("https://10.0.0.7/client.json", true).is_err());
    }
}
