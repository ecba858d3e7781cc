//! Which MCP era a request speaks, decided per request with no state, and the checks the
//! 2026-07-28 revision makes of a modern request before it is dispatched.
//!
//! A request is *modern* when its `params._meta` names a protocol version (any value), or its
//! `MCP-Protocol-Version` header names a modern revision; everything else is *legacy*
//! (2025-03-26, 2025-06-18, 2025-11-25: `initialize`, and no header meaning 2025-03-26). Both
//! are served on the same endpoint. A modern request then passes the ladder of
//! [`modern_checks`], in the order the specification gives, so that each fault gets the error
//! a client expects.

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::jsonrpc::{without_position, ErrorCode, RpcError};
use crate::http::Request;

/// The revision of the modern lane (MCP 2026-07-28): no `initialize`, per-request `_meta`.
pub const MODERN_VERSION: &str = "2026-07-28";

/// The 2025 revisions, newest first; the first is offered when `initialize` asks for another.
pub const LEGACY_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// Every revision served on this endpoint, newest first: `server/discover`'s
/// `supportedVersions`, and the `supported` list of an unsupported-version error, so that a
/// client of either era that asked for something else learns what it can use.
pub const ALL_VERSIONS: [&str; 4] = [MODERN_VERSION, "2025-11-25", "2025-06-18", "2025-03-26"];

/// The methods of the modern lane; any other is 404. Resources and prompts are empty lists, as
/// in the legacy lane (some clients fail without them).
const MODERN_METHODS: [&str; 8] = [
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
];

/// How a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// MCP 2025-*: results in the 2025 shape, JSON-RPC errors with HTTP 200.
    Legacy,
    /// MCP 2026-07-28: `resultType` and caching hints on results, HTTP statuses on errors.
    Modern,
}

impl Lane {
    /// As the log line names it.
    pub fn name(self) -> &'static str {
        match self {
            Lane::Legacy => "legacy",
            Lane::Modern => "modern",
        }
    }
}

/// A request refused before dispatch, with its HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub status: u16,
    pub error: RpcError,
}

impl Refused {
    fn bad_request(error: RpcError) -> Self {
        Refused { status: 400, error }
    }
}

/// The members of `params` the gateway reads; the rest is left unparsed. serde refuses a member
/// given twice, so one request cannot mean two things.
#[derive(Debug, Default, Deserialize)]
pub struct Params<'a> {
    #[serde(borrow, rename = "_meta", default)]
    pub meta: Option<Meta<'a>>,
    /// `tools/call`, `prompts/get`: the tool's or prompt's name (checked to be a string where
    /// it is used).
    #[serde(borrow, default)]
    pub name: Option<&'a RawValue>,
    /// `resources/read`: the resource's URI.
    #[serde(borrow, default)]
    pub uri: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub arguments: Option<&'a RawValue>,
    /// `tools/list`: paging cursor.
    #[serde(borrow, default)]
    pub cursor: Option<&'a RawValue>,
    /// `initialize` (legacy): the version the client asks for.
    #[serde(borrow, rename = "protocolVersion", default)]
    pub protocol_version: Option<&'a RawValue>,
    /// 2026-07-28 multi round-trip requests: the state the server gave, echoed.
    #[serde(borrow, rename = "requestState", default)]
    pub request_state: Option<&'a RawValue>,
    /// ... and the answers to its input requests, by key.
    #[serde(borrow, rename = "inputResponses", default)]
    pub input_responses: Option<&'a RawValue>,
}

/// Per-request protocol fields of MCP 2026-07-28, and W3C trace context (either era).
#[derive(Debug, Default, Deserialize)]
pub struct Meta<'a> {
    #[serde(
        borrow,
        rename = "io.modelcontextprotocol/protocolVersion",
        default,
        deserialize_with = "present"
    )]
    pub protocol_version: Option<&'a RawValue>,
    #[serde(
        borrow,
        rename = "io.modelcontextprotocol/clientCapabilities",
        default,
        deserialize_with = "present"
    )]
    pub client_capabilities: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub traceparent: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub tracestate: Option<&'a RawValue>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// The JSON string in `raw`, if it is one.
pub fn string(raw: Option<&RawValue>) -> Option<String> {
    serde_json::from_str(raw?.get()).ok()
}

impl<'a> Params<'a> {
    pub fn parse(raw: Option<&'a RawValue>) -> Result<Self, RpcError> {
        match raw {
            None => Ok(Params::default()),
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| {
                RpcError::invalid_params(format!("Invalid params: {}", without_position(&e)))
            }),
        }
    }
}

/// The lane of a request whose `params` could be read; legacy requests with a version header
/// we do not serve are refused here too.
pub fn lane(req: &Request, params: Option<&Params<'_>>) -> Result<Lane, Refused> {
    let header = header(req, "mcp-protocol-version");
    let in_meta = params
        .and_then(|p| p.meta.as_ref())
        .is_some_and(|m| m.protocol_version.is_some());
    match header.as_deref() {
        _ if in_meta => Ok(Lane::Modern),
        Some(MODERN_VERSION) => Ok(Lane::Modern),
        None => Ok(Lane::Legacy),
        Some(v) if LEGACY_VERSIONS.contains(&v) => Ok(Lane::Legacy),
        Some(v) => Err(unsupported(v)),
    }
}

/// The lane a request would have by its headers alone, for answering one whose `params` could
/// not be read.
pub fn lane_by_header(req: &Request) -> Lane {
    match header(req, "mcp-protocol-version").as_deref() {
        Some(MODERN_VERSION) => Lane::Modern,
        _ => Lane::Legacy,
    }
}

/// The 2026-07-28 checks of a modern request, in the specification's order: `_meta` fields,
/// version header against `_meta`, served version, `Mcp-Method` and `Mcp-Name`, and whether the
/// method exists in this revision.
pub fn modern_checks(req: &Request, method: &str, params: &Params<'_>) -> Result<(), Refused> {
    let meta = params.meta.as_ref();
    let version = meta.and_then(|m| m.protocol_version);
    let capabilities = meta.and_then(|m| m.client_capabilities);
    let (Some(version), Some(capabilities)) = (version, capabilities) else {
        return Err(Refused::bad_request(RpcError::invalid_params(
            "Invalid params: a 2026-07-28 request must carry _meta with \
             io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities",
        )));
    };
    let Some(version) = string(Some(version)) else {
        return Err(Refused::bad_request(RpcError::invalid_params(
            "Invalid params: _meta io.modelcontextprotocol/protocolVersion must be a string",
        )));
    };
    if !capabilities.get().starts_with('{') {
        return Err(Refused::bad_request(RpcError::invalid_params(
            "Invalid params: _meta io.modelcontextprotocol/clientCapabilities must be an object",
        )));
    }
    match header(req, "mcp-protocol-version") {
        Some(h) if h == version => {}
        Some(h) => {
            return Err(mismatch(format!(
                "the MCP-Protocol-Version header ({}) differs from _meta's protocolVersion ({})",
                shown(&h),
                shown(&version)
            )))
        }
        None => {
            return Err(mismatch(
                "the MCP-Protocol-Version header is missing".into(),
            ))
        }
    }
    if version != MODERN_VERSION {
        return Err(unsupported(&version));
    }
    match header(req, "mcp-method") {
        Some(h) if h == method => {}
        Some(h) => {
            return Err(mismatch(format!(
                "the Mcp-Method header ({}) differs from the method ({})",
                shown(&h),
                shown(method)
            )))
        }
        None => return Err(mismatch("the Mcp-Method header is missing".into())),
    }
    let named = match method {
        "tools/call" | "prompts/get" => Some(("params.name", params.name)),
        "resources/read" => Some(("params.uri", params.uri)),
        _ => None,
    };
    // A name that is not a string is an invalid-params error of the method itself.
    if let Some((member, Some(name))) = named.map(|(m, raw)| (m, string(raw))) {
        match header(req, "mcp-name") {
            Some(h) if h == name => {}
            Some(h) => {
                return Err(mismatch(format!(
                    "the Mcp-Name header ({}) differs from {member} ({})",
                    shown(&h),
                    shown(&name)
                )))
            }
            None => return Err(mismatch("the Mcp-Name header is missing".into())),
        }
    }
    if !MODERN_METHODS.contains(&method) {
        let mut error = RpcError::method_not_found(method);
        error
            .message
            .push_str(" (not a method of MCP 2026-07-28 on this server)");
        return Err(Refused { status: 404, error });
    }
    Ok(())
}

fn mismatch(what: String) -> Refused {
    Refused::bad_request(RpcError::new(
        ErrorCode::HEADER_MISMATCH,
        format!("Header mismatch: {what}"),
    ))
}

fn unsupported(requested: &str) -> Refused {
    Refused::bad_request(
        RpcError::new(
            ErrorCode::UNSUPPORTED_VERSION,
            format!(
                "Unsupported protocol version {}; supported: {} (the 2025 revisions through \
                 initialize, without _meta)",
                shown(requested),
                ALL_VERSIONS.join(", ")
            ),
        )
        .with_data(json!({"supported": ALL_VERSIONS, "requested": requested})),
    )
}

/// At most 64 characters of a value a client sent, quoted, for an error message.
fn shown(s: &str) -> String {
    format!("{:?}", s.chars().take(64).collect::<String>())
}

/// A request header as MCP 2026-07-28 compares it: surrounding whitespace trimmed, and a value
/// in the `=?base64?…?=` form (how clients send non-ASCII names) decoded.
pub fn header(req: &Request, name: &str) -> Option<String> {
    let value = req
        .header(name)?
        .trim_matches(|c: char| c == ' ' || c == '\t');
    Some(decode_header(value).unwrap_or_else(|| value.to_owned()))
}

fn decode_header(value: &str) -> Option<String> {
    use base64ct::{Base64, Encoding};
    let encoded = value.strip_prefix("=?base64?")?.strip_suffix("?=")?;
    let mut buf = vec![0; encoded.len()];
    let bytes = Base64::decode(encoded, &mut buf).ok()?;
    String::from_utf8(bytes.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        Request {
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Request::default()
        }
    }

    const META: &str = r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"getTopology"}"#;

    fn params(text: &str) -> Params<'_> {
        Params::parse(Some(serde_json::from_str::<&RawValue>(text).unwrap())).unwrap()
    }

    const MODERN: [(&str, &str); 3] = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "getTopology"),
    ];

    #[test]
    fn era_is_decided_by_meta_or_a_modern_header() {
        let p = params(META);
        assert_eq!(lane(&req(&[]), Some(&p)), Ok(Lane::Modern));
        assert_eq!(lane(&req(&MODERN[..1]), None), Ok(Lane::Modern));
        assert_eq!(lane(&req(&[]), None), Ok(Lane::Legacy));
        assert_eq!(
            lane(&req(&[("mcp-protocol-version", " 2025-06-18 ")]), None),
            Ok(Lane::Legacy)
        );
        let refused = lane(&req(&[("mcp-protocol-version", "1900-01-01")]), None).unwrap_err();
        assert_eq!(refused.status, 400);
        assert_eq!(refused.error.code, ErrorCode::UNSUPPORTED_VERSION);
        assert_eq!(
            refused.error.data.unwrap(),
            json!({"supported": ALL_VERSIONS, "requested": "1900-01-01"})
        );
    }

    #[test]
    fn modern_ladder_in_order() {
        let p = params(META);
        assert_eq!(modern_checks(&req(&MODERN), "tools/call", &p), Ok(()));
        let code = |headers: &[(&str, &str)], method: &str, p: &Params<'_>| {
            let r = modern_checks(&req(headers), method, p).unwrap_err();
            (r.status, r.error.code.0)
        };
        // 1. _meta fields
        assert_eq!(code(&MODERN, "tools/call", &params("{}")), (400, -32602));
        let no_caps =
            params(r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#);
        assert_eq!(code(&MODERN, "tools/call", &no_caps), (400, -32602));
        // 2. header against _meta comes before the served-version check
        let future = params(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"v999.0.0","io.modelcontextprotocol/clientCapabilities":{}}}"#,
        );
        assert_eq!(code(&MODERN, "tools/call", &future), (400, -32020));
        assert_eq!(code(&MODERN[1..], "tools/call", &p), (400, -32020));
        // 3. served version
        let v = [("mcp-protocol-version", "v999.0.0"), MODERN[1], MODERN[2]];
        assert_eq!(code(&v, "tools/call", &future), (400, -32022));
        // 4. method and name headers: values are case-sensitive
        let upper = [MODERN[0], ("mcp-method", "TOOLS/CALL"), MODERN[2]];
        assert_eq!(code(&upper, "tools/call", &p), (400, -32020));
        assert_eq!(code(&MODERN[..2], "tools/call", &p), (400, -32020));
        let other = [MODERN[0], MODERN[1], ("mcp-name", "getIncident")];
        assert_eq!(code(&other, "tools/call", &p), (400, -32020));
        // 5. methods that do not exist in 2026-07-28
        for m in [
            "ping",
            "initialize",
            "logging/setLevel",
            "completion/complete",
            "resources/subscribe",
            "x/y",
        ] {
            let h = [MODERN[0], ("mcp-method", m)];
            assert_eq!(code(&h, m, &p), (404, -32601), "{m}");
        }
    }

    #[test]
    fn headers_are_trimmed_and_base64_values_decoded() {
        let p = params(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"größe"}"#,
        );
        let h = [
            MODERN[0],
            ("mcp-method", " tools/call\t"),
            ("mcp-name", "=?base64?Z3LDtsOfZQ==?="),
        ];
        assert_eq!(modern_checks(&req(&h), "tools/call", &p), Ok(()));
        assert_eq!(decode_header("=?base64?!!?="), None);
    }
}
