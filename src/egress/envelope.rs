//! The hand-over on the wire. The edge sends an [`Envelope`]: one admitted call, already
//! resolved, with everything the egress needs to run it and nothing it does not. The egress
//! answers with a [`Handback`]. Both are JSON; the envelope is signed with HMAC-SHA256 under
//! the shared secret and carries its own time bounds and a one-time nonce, so that only an edge
//! holding the secret can have a call run, and only once, and only soon.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::camunda::client::UpstreamLimits;
use crate::camunda::credentials::ClientCredentials;
use crate::camunda::results::{ProblemDetail, ToolError};
use crate::http::TraceContext;
use crate::routes::ApiVersion;
use crate::text::Secret;

/// The one path an egress serves (besides `/healthz`).
pub const HANDOVER_PATH: &str = "/handover";
/// Where the edge sends a hand-over: the host means nothing through a service binding, but
/// `fetch` wants an absolute URL.
pub const HANDOVER_URL: &str = "https://egress.internal/handover";
/// The scheme of the `Authorization` header that carries the envelope's MAC.
pub const SCHEME: &str = "Handover ";
/// This format. An egress refuses any other: both roles come from one build, and a deploy
/// that mixes builds should fail loudly.
pub const VERSION: u8 = 1;

/// A key derived from one secret: the secret itself never signs anything.
#[derive(Clone, PartialEq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn derive(secret: &str) -> Self {
        Key(Sha256::new()
            .chain_update(b"camunda-mcp-edge handover key v1\0")
            .chain_update(secret.as_bytes())
            .finalize()
            .into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length")
    }

    /// The `Authorization` header value for `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        let tag = self.mac().chain_update(body).finalize().into_bytes();
        format!("{SCHEME}{}", Base64UrlUnpadded::encode_string(&tag))
    }

    /// Whether `header` is this key's signature of `body` (compared in constant time).
    pub fn verifies(&self, header: &str, body: &[u8]) -> bool {
        let Some(tag) = header.strip_prefix(SCHEME) else {
            return false;
        };
        let Ok(tag) = Base64UrlUnpadded::decode_vec(tag.trim()) else {
            return false;
        };
        self.mac().chain_update(body).verify_slice(&tag).is_ok()
    }
}

/// One call handed over. Unknown members are refused: the two roles come from one build. No
/// `Debug`: it carries credentials.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    pub v: u8,
    /// 128 random bits, hex: an egress runs each envelope once.
    pub nonce: String,
    /// When the edge sent it and when the call's time is up (ms since the epoch).
    pub issued_ms: u64,
    pub expires_ms: u64,
    /// The binding it was sent through and the route's region, for the egress's log.
    pub binding: String,
    pub region: Option<String>,
    #[serde(with = "api_version")]
    pub api_version: ApiVersion,
    /// The cluster's REST base (with a physical tenant's prefix when routed to one).
    pub address: String,
    pub tenant: Option<String>,
    pub credentials: WireCredentials,
    pub limits: UpstreamLimits,
    pub trace: Option<TraceContext>,
    pub job: Job,
}

/// What the egress runs.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Job {
    /// A catalogue tool, by name, with the arguments as the caller sent them.
    #[serde(rename_all = "camelCase")]
    Tool {
        name: String,
        arguments: Option<Box<RawValue>>,
    },
    /// A process tool of `/mcp/processes`, with the arguments as the caller sent them.
    #[serde(rename_all = "camelCase")]
    Process {
        name: String,
        arguments: Option<Box<RawValue>>,
        correlation_key: String,
    },
    /// The caller's process tools (`tools/list` of `/mcp/processes`).
    ProcessList,
}

impl Job {
    /// What the job runs, for log lines.
    pub fn name(&self) -> &str {
        match self {
            Job::Tool { name, .. } | Job::Process { name, .. } => name,
            Job::ProcessList => "tools/list",
        }
    }
}

/// Whose credentials the cluster sees, as the edge decided (no `Debug`: they are secrets).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WireCredentials {
    /// The caller's `Authorization` header, if it sent one.
    Forward(Option<String>),
    /// The signed-in person's token.
    Bearer(String),
    /// The gateway's machine client: the egress fetches and caches the token near the cluster.
    Machine(WireClient),
}

/// [`ClientCredentials`] on the wire.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireClient {
    pub client_id: String,
    pub client_secret: Secret,
    pub token_url: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

impl From<&ClientCredentials> for WireClient {
    fn from(c: &ClientCredentials) -> Self {
        WireClient {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
            token_url: c.token_url.clone(),
            audience: c.audience.clone(),
            scope: c.scope.clone(),
        }
    }
}

impl From<WireClient> for ClientCredentials {
    fn from(c: WireClient) -> Self {
        ClientCredentials {
            client_id: c.client_id,
            client_secret: c.client_secret,
            token_url: c.token_url,
            audience: c.audience,
            scope: c.scope,
        }
    }
}

/// What came of a job, and the status of the cluster's last answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handback {
    pub upstream: Option<u16>,
    pub done: Done,
    /// Where the egress ran (the `cf-placement` header of its answer), read by the edge.
    #[serde(skip)]
    pub placement: Option<String>,
}

/// A job's result, in the shapes the edge's server frames.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Done {
    /// A tool result (the `content` object, not yet framed for an era).
    Result(Box<RawValue>),
    /// The call failed: the problem becomes an `isError` result at the edge.
    Problem(Box<ProblemDetail>),
    /// Arguments the model can fix.
    Invalid(String),
    /// The caller's process tools.
    Tools(Vec<Value>),
    /// A process tool that does not exist (`removed`: it did, and was taken away).
    #[serde(rename_all = "camelCase")]
    Unavailable { name: String, removed: bool },
}

impl Done {
    /// A tool result as a flow wrote it (always JSON).
    pub fn result(json: String) -> Self {
        RawValue::from_string(json).map_or_else(
            |e| Done::Invalid(format!("the result was not JSON ({e})")),
            Done::Result,
        )
    }

    /// A tool's result or failure; `None` for an answer of another kind.
    pub fn into_tool_result(self) -> Option<Result<String, ToolError>> {
        match self {
            Done::Result(result) => Some(Ok(result.get().to_owned())),
            Done::Problem(problem) => Some(Err(ToolError::Problem(problem))),
            Done::Invalid(text) => Some(Err(ToolError::InvalidArgument(text))),
            Done::Tools(_) | Done::Unavailable { .. } => None,
        }
    }
}

impl From<ToolError> for Done {
    fn from(err: ToolError) -> Self {
        match err {
            ToolError::Problem(problem) => Done::Problem(problem),
            ToolError::InvalidArgument(text) => Done::Invalid(text),
        }
    }
}

/// Why an egress refused a request: the reason code in its answer
/// (`{"error":"handover_refused","reason":…,"message":…}`), its status and its message, each
/// written once here; the edge chooses its hint from the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Path,
    Method,
    Unsigned,
    TooLarge,
    Body,
    Forged,
    Unreadable,
    Version,
    Expired,
    OutOfBounds,
    WrongEgress,
    Busy,
    Replayed,
    UnknownTool,
}

impl Refused {
    const ALL: [Refused; 14] = [
        Refused::Path,
        Refused::Method,
        Refused::Unsigned,
        Refused::TooLarge,
        Refused::Body,
        Refused::Forged,
        Refused::Unreadable,
        Refused::Version,
        Refused::Expired,
        Refused::OutOfBounds,
        Refused::WrongEgress,
        Refused::Busy,
        Refused::Replayed,
        Refused::UnknownTool,
    ];

    /// `(code, status, message)`.
    #[rustfmt::skip]
    fn row(self) -> (&'static str, u16, &'static str) {
        match self {
            Refused::Path => ("path", 404, "this Worker is an egress: it runs hand-overs from an edge Worker and serves nothing else"),
            Refused::Method => ("method", 405, "a hand-over is a POST"),
            Refused::Unsigned => ("unsigned", 401, "unsigned: a hand-over carries its signature in Authorization"),
            Refused::TooLarge => ("too_large", 413, "the hand-over is larger than this egress takes (its MCP_MAX_BODY_BYTES)"),
            Refused::Body => ("body", 400, "the hand-over's body could not be read"),
            Refused::Forged => ("forged", 401, "forged: not signed with a key of this egress's MCP_EGRESS_SECRET"),
            Refused::Unreadable => ("unreadable", 400, "signed, but not an envelope this egress can read"),
            Refused::Version => ("version", 400, "an envelope of another version than this egress reads"),
            Refused::Expired => ("expired", 401, "expired: the call's time was up when it arrived"),
            Refused::OutOfBounds => ("out_of_bounds", 401, "issued in the future, or valid for too long"),
            Refused::WrongEgress => ("wrong_egress", 403, "for another region than this egress serves (MCP_EGRESS_REGION)"),
            Refused::Busy => ("busy", 503, "too many hand-overs in flight; try again shortly"),
            Refused::Replayed => ("replayed", 409, "replayed: this envelope has run"),
            Refused::UnknownTool => ("unknown_tool", 400, "a tool this egress does not have"),
        }
    }

    pub fn code(self) -> &'static str {
        self.row().0
    }

    pub fn status(self) -> u16 {
        self.row().1
    }

    pub fn message(self) -> &'static str {
        self.row().2
    }

    /// The refusal an egress's answer names, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Refused::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// `8.9` / `8.10` on the wire.
mod api_version {
    use crate::routes::ApiVersion;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &ApiVersion, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match v {
            ApiVersion::V8_9 => "8.9",
            ApiVersion::V8_10 => "8.10",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ApiVersion, D::Error> {
        match <&str>::deserialize(d)? {
            "8.9" => Ok(ApiVersion::V8_9),
            "8.10" => Ok(ApiVersion::V8_10),
            other => Err(serde::de::Error::custom(format!(
                "unknown API version {other}"
            ))),
        }
    }
}

/// 128 random bits as hex: an envelope's nonce.
pub fn fresh_nonce() -> String {
    let mut b = [0u8; 16];
    // The runtime always has randomness; without it every nonce would repeat and the egress
    // would refuse the second call, loudly.
    let _ = getrandom::getrandom(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_its_body_and_key() {
        let (a, b) = (
            Key::derive("a".repeat(32).as_str()),
            Key::derive(&"b".repeat(32)),
        );
        let header = a.sign(b"{\"v\":1}");
        assert!(a.verifies(&header, b"{\"v\":1}"));
        assert!(!a.verifies(&header, b"{\"v\":2}"));
        assert!(!b.verifies(&header, b"{\"v\":1}"));
        assert!(!a.verifies(&header.replace(SCHEME, "Bearer "), b"{\"v\":1}"));
        assert!(!a.verifies("Handover !!!", b"{\"v\":1}"));
        assert!(!a.verifies("Handover ", b""));
        assert_eq!(format!("{a:?}"), "Key(…)");
    }

    #[test]
    fn nonces_are_fresh() {
        let (x, y) = (fresh_nonce(), fresh_nonce());
        assert_eq!(x.len(), 32);
        assert_ne!(x, y);
    }
}
