//! The hand-over on the wire. The edge sends an [`Envelope`]: one admitted call, already
//! resolved, with everything the egress needs to run it and nothing it does not. The egress
//! answers with a [`Handback`]. Both are JSON; the envelope is signed with HMAC-SHA256 under
//! the shared secret and carries its own time bounds and a one-time nonce, so that only an edge
//! holding the secret can have a call run, and only once, and only soon.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::camunda::client::UpstreamLimits;
use crate::camunda::credentials::ClientCredentials;
use crate::camunda::results::ProblemDetail;
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

/// One call handed over. Unknown members are refused: the two roles come from one build.
#[derive(Debug, Serialize, Deserialize)]
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
    /// A process tool of `/mcp/processes`.
    #[serde(rename_all = "camelCase")]
    Process {
        name: String,
        arguments: Map<String, Value>,
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

/// Whose credentials the cluster sees, as the edge decided.
#[derive(Debug, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireClient {
    pub client_id: String,
    pub client_secret: String,
    pub token_url: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

impl From<&ClientCredentials> for WireClient {
    fn from(c: &ClientCredentials) -> Self {
        WireClient {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.0.clone(),
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
            client_secret: Secret(c.client_secret),
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
