//! Who an MCP client is: a Client ID Metadata Document (an `https://` client id naming its own
//! metadata) or, as a fallback, a client registered dynamically (RFC 7591). Both are public
//! clients (PKCE, no secret).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::{Host, Url};

use crate::http::{max_age, Method, UpstreamRequest};

use crate::ports::HttpClient;
use crate::text::is_hidden;

/// CIMD documents are small; the draft suggests servers cap them at 5 KB.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// Documents kept per isolate; more clears the cache.
const MAX_CACHED: usize = 128;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2_000;
/// Longest client name shown on the consent page.
const MAX_NAME_CHARS: usize = 100;
/// Top-level names no public document lives under: RFC 6761 (`localhost`, `invalid`, `test`),
/// RFC 6762 (`local`), RFC 8375 (`home.arpa`, with all of `arpa`), RFC 7686 (`onion`), RFC 9476
/// (`alt`), ICANN's `internal`, and the names private networks commonly use.
const INTERNAL_TLDS: [&str; 13] = [
    "localhost",
    "local",
    "internal",
    "arpa",
    "invalid",
    "test",
    "onion",
    "alt",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
];
/// Schemes that run script, read local data or are not a redirect target at all.
const REFUSED_SCHEMES: [&str; 9] = [
    "javascript",
    "data",
    "file",
    "vbscript",
    "blob",
    "about",
    "ws",
    "wss",
    "ftp",
];

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
    /// The document's author got it wrong. The reason stays in the detail: a page of this
    /// gateway shows no text that a stranger's document chose.
    #[error("its client metadata document refused")]
    Document(String),
    #[error("its registration could not be read")]
    Metadata(String),
    /// The document could not be had (network, timeout, status). The runtime's own words stay
    /// in the detail, for logs: they can name internal hosts and are no business of the page.
    #[error("the client's metadata document could not be fetched")]
    Unreachable(String),
}

impl ClientError {
    /// Everything known of the failure, for logs; the Display is what a person may be shown.
    pub fn detail(&self) -> String {
        match self {
            ClientError::Unknown => self.to_string(),
            ClientError::Document(why) => format!("{self}: {why}"),
            ClientError::Metadata(why) | ClientError::Unreachable(why) => why.clone(),
        }
    }
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
    /// machine (see [`check_document_url`]); IP addresses are refused otherwise.
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
            via: None,
        };
        let refused = |why: String| ClientError::Document(why);
        let resp = client
            .send(req)
            .await
            .map_err(|e| ClientError::Unreachable(format!("{url}: {e}")))?;
        if resp.status != 200 {
            return Err(ClientError::Unreachable(format!(
                "{url}: HTTP {} (redirects are not followed)",
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
            .map(display_name)
            .filter(|n| !n.is_empty()),
        redirect_uris,
    })
}

/// A client name fit to show on the consent page, where it vouches for the client: without
/// characters that hide or reorder text (controls, bidi overrides, zero-width and invisible
/// fillers, tags, variation selectors), so that what people read is what was registered;
/// whitespace collapsed, at most [`MAX_NAME_CHARS`] characters.
pub fn display_name(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|&c| !is_hidden(c))
        .collect();
    let name = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    name.chars()
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// `https://` to any host, `http://` to a loopback host (RFC 8252 native apps), or a
/// private-use scheme such as `vscode://` or `com.example.app:/cb`; never a fragment,
/// credentials or a scheme that runs script or reads local data. Parsed as browsers parse it
/// (the URL Standard, whose scheme grammar is RFC 3986's), since a browser follows the
/// redirect; backslashes are refused because other parsers read them differently.
pub fn is_redirect_uri(uri: &str) -> bool {
    // ASCII only: an internationalised host must be written in its `xn--` form, so the consent
    // page shows what a lookalike really is, and the `Location` header can carry it.
    if !uri.is_ascii()
        || uri.len() > MAX_URI_CHARS
        || uri.contains('#')
        || uri.chars().any(|c| c.is_control() || c == ' ' || c == '\\')
    {
        return false;
    }
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => written_authority(uri, &url).is_some(),
        "http" => written_authority(uri, &url).is_some_and(is_loopback_written),
        scheme => !REFUSED_SCHEMES.contains(&scheme),
    }
}

/// Whether a requested redirect URI is the registered one: the same string, or, for an
/// `http://` loopback URI registered without a port, the same URI on any port (RFC 8252 §7.3:
/// a native app listens on whatever port it gets). Scheme, host, path and query must match.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    is_portless_loopback(registered, &reg)
        && is_redirect_uri(requested)
        && req.scheme() == reg.scheme()
        && req.host() == reg.host()
        && req.path() == reg.path()
        && req.query() == reg.query()
}

/// Whether `url`, parsed from `raw`, is `http://` to a loopback host with no port written.
/// The text is read too: the URL Standard drops a default port, so `http://127.0.0.1:80/`
/// parses without one, yet it was registered with one.
fn is_portless_loopback(raw: &str, url: &Url) -> bool {
    url.scheme() == "http"
        && written_authority(raw, url).is_some_and(|a| {
            is_loopback_written(a) && !a.rsplit(']').next().unwrap_or_default().contains(':')
        })
}

/// The authority as written right after `scheme://`, if not empty. The URL Standard reads
/// `https:host`, `https:///host` and `https:\\host` all as `https://host/`; a redirect URI
/// is held to the one spelling every parser agrees on.
fn written_authority<'a>(raw: &'a str, url: &Url) -> Option<&'a str> {
    let rest = raw.get(url.scheme().len()..)?.strip_prefix("://")?;
    rest.split(['/', '?', '#']).next().filter(|a| !a.is_empty())
}

/// An authority as written (`host[:port]`) whose host is, letter for letter, `localhost`,
/// `127.0.0.1` or `[::1]`: not `127.1`, `0x7f000001` or `LOCALHOST`, which mean the same
/// address but show the person something else.
fn is_loopback_written(authority: &str) -> bool {
    let host = match authority.find(']') {
        Some(end) if authority.starts_with('[') => &authority[..=end],
        _ => authority.split(':').next().unwrap_or_default(),
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// This machine: `localhost`, `127.0.0.1` or `[::1]` (not `127.0.0.2`, and not a name that
/// merely starts with `127.` or `localhost`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name == "localhost",
        Some(Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// A document URL is fetched (server side, so a guard against SSRF) only when it is
/// `https://` to a public domain name, with a path, without credentials or a fragment, and
/// written exactly as the URL Standard writes it. It is parsed by that standard, as the
/// runtime's `fetch` parses it, and must come out unchanged: so no spelling can mean to
/// `fetch` a host other than the one checked here (dot segments, `%2e`, backslashes, tabs,
/// upper case, IPv4 in hex, octal or short forms, default ports, ...).
///
/// The host must be a domain name: IP literals are refused in every form, so every RFC 6890
/// special-purpose range (all of them IP literals) is refused with no table of ranges.
/// Special-use and internal names ([`INTERNAL_TLDS`]) are refused too. A public name that
/// resolves to a private address cannot be stopped without resolving it here, which Workers
/// cannot do; Workers' `fetch` cannot reach private networks anyway.
///
/// With `loopback` (tests serve documents from this machine), `http://` or `https://` to
/// `localhost`, `127.0.0.1` or `[::1]` is fetched as well; never other IP addresses.
pub fn check_document_url(url: &str, loopback: bool) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if parsed.as_str() != url {
        return Err(format!("not in standard form (fetch would read {parsed})"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL has credentials".into());
    }
    if parsed.fragment().is_some() {
        return Err("the URL has a fragment".into());
    }
    if parsed.path() == "/" {
        return Err("the URL has no path".into());
    }
    match (parsed.scheme(), parsed.host()) {
        ("http" | "https", _) if loopback && is_loopback(&parsed) => Ok(()),
        ("https", Some(Host::Domain(name))) => check_domain(name),
        ("https", _) => Err("the host is an IP address, not a domain name".into()),
        (scheme, _) => Err(format!("{scheme}: only https:// URLs are fetched")),
    }
}

/// A public DNS name: two labels or more, none empty (so no trailing dot), not under a
/// special-use or internal name, and not ending in a number (resolvers take those as IPv4).
fn check_domain(name: &str) -> Result<(), String> {
    let tld = name.rsplit('.').next().unwrap_or_default();
    if INTERNAL_TLDS.contains(&tld) {
        return Err(format!("{name} is a special-use or internal name"));
    }
    if !name.contains('.') || name.split('.').any(str::is_empty) {
        return Err(format!("{name} is not a fully qualified domain name"));
    }
    if tld.bytes().all(|b| b.is_ascii_digit()) || tld.starts_with("0x") {
        return Err(format!("{name} ends in a number"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{FetchError, UpstreamResponse};

    #[test]
    fn redirect_uris() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://10.0.0.7/cb",
            "http://127.0.0.1:33418/",
            "http://127.0.0.1",
            "http://localhost:3334/oauth/callback",
            "http://[::1]:8080/cb",
            "vscode://vscode.github-authentication/did-authenticate",
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "com.example.app:/cb",
        ] {
            assert!(is_redirect_uri(ok), "{ok}");
        }
        let long = format!("https://app.example/{}", "a".repeat(MAX_URI_CHARS));
        for bad in [
            "http://evil.example/cb",
            "http://127.evil.example/cb",
            "http://127.0.0.2/cb",
            "http://localhost.evil.example/cb",
            "http://localhost./cb",
            "http://[::2]/cb",
            // Loopback in another spelling, upper case, a lookalike host, a bidi override.
            "http://127.1/cb",
            "http://2130706433/cb",
            "http://0x7f000001/cb",
            "http://[0:0:0:0:0:0:0:1]/cb",
            "http://LOCALHOST/cb",
            "https://\u{430}pple.com/cb",
            "https://app.example/\u{202E}bc",
            "https://claude.ai/cb#frag",
            "https://claude.ai/cb#",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "vbscript:msgbox",
            "blob:https://app.example/x",
            "about:blank",
            "ws://localhost/cb",
            "wss://app.example/cb",
            "ftp://app.example/cb",
            "https://user@evil.example/",
            "https://u:p@evil.example/",
            "vscode://user@vscode.example/cb",
            "https:///nohost",
            "https:evil.example/cb",
            "https:\\\\evil.example\\cb",
            "http://localhost\\@evil.example/cb",
            "https://app.example/c b",
            "https://app.example/\tcb",
            "https://app.example/cb\n",
            "https://app.example/cb\u{7}",
            "1app:/cb",
            "noscheme",
            "",
            &long,
        ] {
            assert!(!is_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn loopback_redirects_take_any_port_only_when_registered_without_one() {
        for (registered, requested) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1:54321/cb"),
            ("http://localhost/cb", "http://localhost:3000/cb"),
            ("http://[::1]/cb", "http://[::1]:8080/cb"),
            ("http://127.0.0.1", "http://127.0.0.1:33418/"),
            ("http://127.0.0.1/cb?x=1", "http://127.0.0.1:5/cb?x=1"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb"),
            ("https://app.example/cb", "https://app.example/cb"),
        ] {
            assert!(redirect_matches(registered, requested), "{requested}");
        }
        for (registered, requested) in [
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:9090/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"),
            ("http://127.0.0.1:80/cb", "http://127.0.0.1:9090/cb"),
            ("http://[::1]:80/cb", "http://[::1]:9090/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:5/other"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb/"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb?x=1"),
            ("http://127.0.0.1/cb?x=1", "http://127.0.0.1:5/cb?x=2"),
            ("http://127.0.0.1/cb", "http://localhost:5/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.2:5/cb"),
            ("http://127.0.0.1/cb", "https://127.0.0.1:5/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb#f"),
            ("http://127.0.0.1/cb", "http://u@127.0.0.1:5/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:5\\cb"),
            ("http://127.evil.example/cb", "http://127.evil.example:5/cb"),
            ("https://app.example/cb", "https://app.example:8443/cb"),
            ("https://app.example/cb", "https://APP.example/cb"),
            ("https://app.example/cb", "https://app.example/cb/"),
            ("vscode://vscode.example/cb", "vscode://vscode.example:5/cb"),
        ] {
            assert!(!redirect_matches(registered, requested), "{requested}");
        }
    }

    /// Host spellings from the URL Standard's host parser (IPv4 number forms, IPv6,
    /// percent-encoding, IDNA mapping), path and authority tricks, and special-use names.
    #[test]
    fn document_urls_refused() {
        for bad in [
            "https://2130706433/c",
            "https://0x7f000001/c",
            "https://0x7f.1/c",
            "https://0177.0.0.1/c",
            "https://127.1/c",
            "https://127.0.0.1./c",
            "https://0/c",
            "https://[::ffff:127.0.0.1]/c",
            "https://[::ffff:10.0.0.1]/c",
            "https://[::1]/c",
            "https://[0:0:0:0:0:0:0:1]/c",
            "https://[fe80::1]/c",
            "https://[fd00::1]/c",
            "https://[64:ff9b::a00:1]/c",
            "https://%31%32%37.0.0.1/c",
            "https://127%2E0%2E0%2E1/c",
            "https://１２７.０.０.１/c",
            "https://127。0。0。1/c",
            "https:\\\\evil.example\\c",
            "https://evil.example\\@10.0.0.1/c",
            "https://a@b.example/c",
            "https://u:p@app.example/c",
            "https://app.exa\tmple/c",
            "https://app.example/\nc",
            "https://app.example/c\r\n",
            "https://app.example/a/../c",
            "https://app.example/./c",
            "https://app.example/%2e%2e/c",
            "https://app.example/%2E/c",
            "HTTPS://APP.EXAMPLE/c",
            "https://App.example/c",
            "https://app.example:443/c",
            "https://app.example./c",
            "https://app..example/c",
            " https://app.example/c",
            "https://bücher.example/c",
            "https://localhost/c",
            "https://x.localhost/c",
            "https://metadata.google.internal/c",
            "https://metadata.internal/c",
            "https://printer.local/c",
            "https://1.0.0.10.in-addr.arpa/c",
            "https://router.home.arpa/c",
            "https://x.invalid/c",
            "https://x.test/c",
            "https://x.onion/c",
            "https://x.alt/c",
            "https://nas.lan/c",
            "https://nas.home/c",
            "https://wiki.corp/c",
            "https://wiki.intranet/c",
            "https://wiki.private/c",
            "https://app/c",
            "https://app.example",
            "https://app.example/",
            "https://app.example/?c",
            "http://app.example/c",
            "http://127.0.0.1:9999/client.json",
            "ftp://app.example/c",
            "file:///etc/passwd",
            "https://app.example/c#f",
            "https://app.example/c#",
            "//app.example/c",
            "",
        ] {
            assert!(check_document_url(bad, false).is_err(), "{bad}");
        }
    }

    /// Each RFC 6890 special-purpose block, written as the URL Standard writes it, gets as
    /// far as the host check and is refused there: an IP literal, whatever its range.
    #[test]
    fn special_purpose_addresses_refused_as_ip_literals() {
        for host in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.7",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "1.1.1.1",
            "[::]",
            "[::1]",
            "[::ffff:a00:1]",
            "[64:ff9b::a00:1]",
            "[100::1]",
            "[2001::1]",
            "[2001:1ff::1]",
            "[2001:db8::1]",
            "[2002:a00:1::]",
            "[fc00::1]",
            "[fdff::1]",
            "[fe80::1]",
            "[febf::1]",
            "[ff02::1]",
            "[2606:4700::1111]",
        ] {
            let url = format!("https://{host}/c");
            let err = check_document_url(&url, false).unwrap_err();
            assert!(err.contains("IP address"), "{url}: {err}");
        }
    }

    #[test]
    fn document_urls_allowed() {
        for ok in [
            "https://app.example/oauth/client.json",
            "https://claude.ai/oauth/mcp-oauth-client-metadata",
            "https://xn--bcher-kva.example/c.json",
            "https://app.example:8443/c?v=1",
        ] {
            assert_eq!(check_document_url(ok, false), Ok(()), "{ok}");
        }
        // Tests may serve documents from this machine, never from private networks.
        for ok in [
            "http://127.0.0.1:9999/client.json",
            "http://localhost:9999/client.json",
            "http://[::1]:9999/client.json",
        ] {
            assert_eq!(check_document_url(ok, true), Ok(()), "{ok}");
        }
        for bad in [
            "https://10.0.0.7/client.json",
            "http://10.0.0.7/client.json",
            "http://127.0.0.2/client.json",
            "http://127.1:9999/client.json",
            "http://127.evil.example/client.json",
            "http://app.example/client.json",
        ] {
            assert!(check_document_url(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_show_what_they_say() {
        for (raw, shown) in [
            ("Claude", "Claude"),
            ("  Claude \t\n  Desktop  ", "Claude Desktop"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("\u{2067}Evil\u{2069} \u{200F}App\u{061C}", "Evil App"),
            ("Cl\u{200B}au\u{200D}de\u{FEFF}\u{00AD}\u{2060}", "Claude"),
            ("Name\u{0}\u{1B}[31m\u{7F}", "Name[31m"),
            ("Tagged\u{E0041}\u{E0042}\u{E007F}", "Tagged"),
            ("Heart\u{FE0F}\u{034F}\u{180E}", "Heart"),
            ("\u{3164}\u{115F}\u{1160}\u{FFA0}", ""),
            ("a\u{2028}b\u{85}c", "a b c"),
        ] {
            assert_eq!(display_name(raw), shown, "{raw:?}");
        }
        let long = display_name(&"x ".repeat(200));
        assert_eq!(long.chars().count(), 99, "cut at 100, then trimmed");
        let doc = serde_json::json!({
            "redirect_uris": ["https://app.example/cb"],
            "client_name": "\u{200B} \u{202E} ",
        });
        assert_eq!(metadata("id".into(), &doc).unwrap().client_name, None);
    }

    /// Answers every request with one canned result.
    struct Canned(Result<u16, FetchError>);

    impl HttpClient for Canned {
        async fn send(&self, _req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
            let status = self.0.clone()?;
            Ok(UpstreamResponse {
                status,
                content_type: None,
                cache_control: None,
                body: Vec::new(),
                compacted: None,
                placement: None,
            })
        }
        async fn pause(&self, _ms: u32) {}
    }

    #[test]
    fn fetch_failures_keep_their_detail_for_logs() {
        let url = "https://app.example/client.json";
        let fetch = |answer| {
            pollster::block_on(Documents::default().fetch(&Canned(answer), url, 0, false))
                .unwrap_err()
        };
        let refused = fetch(Err(FetchError::Unreachable("10.1.2.3:443 refused".into())));
        assert_eq!(
            refused.to_string(),
            "the client's metadata document could not be fetched"
        );
        assert!(refused.detail().contains("10.1.2.3:443 refused"));
        let missing = fetch(Ok(404));
        assert!(matches!(missing, ClientError::Unreachable(_)));
        assert!(missing.detail().contains("HTTP 404"));
        let not_json = fetch(Ok(200));
        assert_eq!(not_json, ClientError::Document("not JSON".into()));
        assert_eq!(not_json.to_string(), "its client metadata document refused");
        assert!(not_json.detail().ends_with("not JSON"));
    }
}
