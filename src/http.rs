//! Plain HTTP data: requests and responses as the core sees them, outbound requests and their
//! answers, and the URL rules shared by settings and checks.
//!
//! The core never sees `worker` types: the wasm adapter reads a Workers request into
//! [`Request`] once, and `src/edge.js` builds the runtime's `Response` from ours. That keeps
//! every rule of the gateway testable natively, with a fake `ports::HttpClient` standing in for
//! `fetch`.

use crate::json::{Compact, JsonError};
use std::fmt;

/// The request headers the gateway reads. Adapters copy only these: every header crossing from
/// the runtime into wasm costs time on each request.
pub const READ_HEADERS: [&str; 13] = [
    "accept",
    "authorization",
    // oauth mode: ties a sign-in to the browser that started it.
    "cookie",
    // Set by Cloudflare: the rate-limit key of callers without an identity.
    "cf-connecting-ip",
    "content-length",
    "content-type",
    "mcp-method",
    "mcp-name",
    "mcp-protocol-version",
    "origin",
    // oauth mode: a consent form posted from another site is refused.
    "sec-fetch-site",
    "traceparent",
    "tracestate",
];

/// W3C trace context (`traceparent`, `tracestate`) of a request, passed on to the cluster and
/// written to the log line, so that a call can be followed from the agent to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceContext {
    pub parent: String,
    pub state: Option<String>,
}

impl TraceContext {
    /// `None` unless `parent` is a valid version-00 `traceparent`; a `tracestate` is kept only
    /// beside one, and only when it is short printable ASCII (W3C: at most 512 characters).
    pub fn new(parent: &str, state: Option<&str>) -> Option<Self> {
        let parent = parent.trim();
        let b = parent.as_bytes();
        let hex = |r: std::ops::Range<usize>| {
            b[r].iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
        };
        let zeros = |r: std::ops::Range<usize>| b[r].iter().all(|&c| c == b'0');
        let valid = b.len() == 55
            && parent.starts_with("00-")
            && b[35] == b'-'
            && b[52] == b'-'
            && hex(3..35)
            && hex(36..52)
            && hex(53..55)
            && !zeros(3..35)
            && !zeros(36..52);
        let state = state.map(str::trim).filter(|s| {
            !s.is_empty() && s.len() <= 512 && s.bytes().all(|c| (0x20..0x7f).contains(&c))
        });
        valid.then(|| TraceContext {
            parent: parent.to_owned(),
            state: state.map(str::to_owned),
        })
    }
}

/// Where a request's body comes from. It is read only once the caller has been admitted (so a
/// refused caller's body is never read), with the size cap applied while reading.
#[allow(async_fn_in_trait)]
pub trait BodySource<'a> {
    async fn read(self, max_bytes: usize) -> Result<std::borrow::Cow<'a, [u8]>, BodyError>;
}

/// A body already in memory (native callers and tests).
impl<'a> BodySource<'a> for &'a [u8] {
    async fn read(self, max_bytes: usize) -> Result<std::borrow::Cow<'a, [u8]>, BodyError> {
        if self.len() > max_bytes {
            return Err(BodyError::TooLarge);
        }
        Ok(std::borrow::Cow::Borrowed(self))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than allowed")]
    TooLarge,
    #[error("the body did not arrive in time")]
    Timeout,
    #[error("the body could not be read: {0}")]
    Broken(String),
}

/// An inbound request. `body` holds it when it is already in memory; the Workers adapter
/// leaves it empty and hands the app a [`BodySource`] instead.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// `scheme://host[:port]` as the client called it (for challenge and metadata URLs).
    pub origin: String,
    pub path: String,
    /// The raw query string without `?`, if any.
    pub query: Option<String>,
    /// Header names in lower case, as the Fetch API gives them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header (names are compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An outbound response of the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Response::new(status)
            .with_header("content-type", "application/json")
            .with_body(body)
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The path of an absolute URL as the runtime gives it (already normalised), without parsing
/// the whole URL in wasm.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let from_path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    from_path.split(['?', '#']).next().unwrap_or("/")
}

pub fn origin_of(url: &str) -> &str {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "";
    };
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &url[..scheme.len() + 3 + host_len]
}

pub fn query_of(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    Some(query.split('#').next().unwrap_or(query))
}

/// HTTP methods the gateway sends upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to the Camunda REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// The whole exchange, body included, must finish within this.
    pub timeout_ms: u32,
    /// Larger bodies are not read: the cap applies while reading, so nothing past it is held.
    pub max_bytes: usize,
    /// A successful answer is to be compacted as it arrives, within this budget (see
    /// [`crate::json::Compactor`]). A client may instead hand the body over whole,
    /// for the caller to compact.
    pub compact: Option<usize>,
    /// The service binding to send it through (a hand-over to an egress Worker), instead of
    /// the public network.
    pub via: Option<String>,
}

/// How long a shared public document may be kept (seconds): its `Cache-Control: max-age`
/// within bounds, so that neither a missing nor an extreme value hurts; `no-store` or
/// `no-cache` mean the minimum.
pub fn max_age(cache_control: Option<&str>) -> u64 {
    const DEFAULT: u64 = 600;
    const MIN: u64 = 60;
    const MAX: u64 = 86_400;
    let Some(cc) = cache_control else {
        return DEFAULT;
    };
    let mut ttl = DEFAULT;
    for directive in cc.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache")
        {
            return MIN;
        }
        if let Some(v) = directive.strip_prefix("max-age=") {
            ttl = v.trim_matches('"').parse().unwrap_or(DEFAULT);
        }
    }
    ttl.clamp(MIN, MAX)
}

/// What the Camunda REST API answered, body read in full.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// Read for JWKS answers, whose `max-age` sets how long keys are trusted.
    pub cache_control: Option<String>,
    /// Empty when `compacted` is set.
    pub body: Vec<u8>,
    /// The body compacted as it arrived, when the request asked for it and the answer was
    /// successful: it was never held whole.
    pub compacted: Option<Result<Compact, JsonError>>,
    /// A hand-over's answer: where Cloudflare ran the egress Worker, as its `cf-placement`
    /// header says (`remote-FRA`, `local-BRU`); absent for any other fetch.
    pub placement: Option<String>,
}

/// Why no upstream response could be had. Each maps to a ProblemDetail in `camunda::results`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("could not connect: {0}")]
    Unreachable(String),
    #[error("no complete answer within {0} ms")]
    Timeout(u32),
    #[error("the response body exceeded {0} bytes")]
    TooLarge(usize),
    #[error("the connection broke while reading the body: {0}")]
    Broken(String),
}

/// Whether a URL that vouches for identity (an issuer, a JWKS) is cleartext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleartext {
    No,
    /// `http://` to this machine: for local tests only.
    Loopback,
}

/// `Some` for an `https://` URL, or an `http://` one to a loopback host; `None` for anything
/// else, and for any URL with credentials, a query or a fragment.
pub fn vouching_url(url: &str) -> Option<Cleartext> {
    normalize_address(url)?;
    if url.starts_with("https://") {
        return Some(Cleartext::No);
    }
    let authority = url.strip_prefix("http://")?.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    is_loopback_host(host).then_some(Cleartext::Loopback)
}

/// Accepts what users paste from Camunda docs and SDK settings: a trailing `/`, or the REST
/// base with `/v2`, both meaning the same cluster. Refuses credentials in the URL: they would
/// show in every error message that names the address (use `MCP_AUTH_MODE=basic` instead).
pub fn normalize_address(raw: &str) -> Option<String> {
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if rest.is_empty()
        || rest.starts_with('/')
        || authority.contains('@')
        || raw.contains(['?', '#', ' ', '\\'])
        || raw.chars().any(char::is_control)
    {
        return None;
    }
    let mut s = raw.trim_end_matches('/');
    if let Some(base) = s.strip_suffix("/v2") {
        s = base.trim_end_matches('/');
    }
    Some(s.to_owned())
}

/// `localhost`, `127.0.0.0/8` or `::1`: this machine.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|rest| {
            rest.split('.').count() == 3 && rest.split('.').all(|o| o.parse::<u8>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_of_absolute_urls() {
        assert_eq!(path_of("http://127.0.0.1:8787/mcp/cluster"), "/mcp/cluster");
        assert_eq!(
            path_of("https://gw.example/mcp/cluster?token=x#f"),
            "/mcp/cluster"
        );
        assert_eq!(path_of("https://gw.example"), "/");
        assert_eq!(path_of("https://gw.example?x=1"), "/");
        assert_eq!(
            query_of("https://gw.example/p?access_token=a&b=c#frag"),
            Some("access_token=a&b=c")
        );
        assert_eq!(query_of("https://gw.example/p"), None);
        assert_eq!(
            origin_of("http://127.0.0.1:8787/mcp/cluster?x"),
            "http://127.0.0.1:8787"
        );
        assert_eq!(origin_of("https://gw.example"), "https://gw.example");
    }

    #[test]
    fn trace_context_is_checked_before_it_is_passed_on() {
        let p = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let t = TraceContext::new(p, Some("congo=t61rcWkgMzE")).unwrap();
        assert_eq!(
            (t.parent.as_str(), t.state.as_deref()),
            (p, Some("congo=t61rcWkgMzE"))
        );
        assert_eq!(TraceContext::new(p, Some("x\u{7f}")).unwrap().state, None);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx: y",
        ] {
            assert_eq!(TraceContext::new(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn max_age_honours_cache_control_within_bounds() {
        assert_eq!(max_age(None), 600);
        assert_eq!(max_age(Some("public, max-age=3600")), 3600);
        assert_eq!(max_age(Some("max-age=5")), 60);
        assert_eq!(max_age(Some("max-age=99999999")), 86_400);
        assert_eq!(max_age(Some("no-cache")), 60);
        assert_eq!(max_age(Some("max-age=abc")), 600);
    }
}
