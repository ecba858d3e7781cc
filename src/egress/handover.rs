//! The edge's side of a hand-over: the envelope written, signed and sent through the service
//! binding, the hand-back read, and every way that can fail said once, as a tool error that
//! names the region and the binding.

use super::envelope::{
    fresh_nonce, Envelope, Handback, Job, WireCredentials, HANDOVER_PATH, HANDOVER_URL, VERSION,
};
use super::remote::{Remote, DEFAULT_REGION};
use crate::camunda::client::Cluster;
use crate::camunda::credentials::Credentials;
use crate::camunda::results::{Call, ToolError};
use crate::http::{FetchError, Method, UpstreamRequest};
use crate::ports::HttpClient;

/// The egress gets the call's time less this (at most a tenth of it), so that its own answer —
/// a cluster timeout, say — reaches the edge before the edge stops waiting.
const MARGIN_MS: u32 = 1000;

/// Why a hand-over brought back no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HopError {
    #[error("could not be reached ({0})")]
    Unreachable(String),
    #[error("did not answer within {0} ms (CAMUNDA_REQUEST_TIMEOUT_MS)")]
    Timeout(u32),
    #[error("broke off its answer ({0})")]
    Broken(String),
    #[error("answered with more than {0} bytes")]
    TooLarge(usize),
    #[error("refused the hand-over (HTTP {0}: {1})")]
    Refused(u16, String),
    /// An error status that is not an egress's refusal: no Worker behind the binding, or one
    /// that failed.
    #[error("answered HTTP {0} ({1})")]
    Failed(u16, String),
    #[error("answered with something that is not a hand-back ({0})")]
    Garbage(String),
    #[error("answered with a result of another kind than the call's")]
    WrongKind,
}

impl HopError {
    /// The one place a failed hand-over becomes what the caller sees: a 502 or 504 problem.
    pub fn to_tool_error(&self, remote: &Remote<'_>) -> ToolError {
        let call = Call {
            method: Method::Post,
            path: HANDOVER_PATH.to_owned(),
        };
        let (status, title) = match self {
            HopError::Timeout(_) => (504, "Gateway Timeout"),
            _ => (502, "Bad Gateway"),
        };
        let hint = match self {
            HopError::Unreachable(_) | HopError::Failed(..) => " Check that the edge's wrangler environment binds it, that the egress Worker is deployed, and its log.",
            HopError::Refused(401, _) => " Check that MCP_EGRESS_SECRET is the same on the edge and the egress.",
            HopError::Refused(..) | HopError::Garbage(_) | HopError::WrongKind => " Check that the edge and the egress run the same build.",
            _ => "",
        };
        let unknown = match self {
            HopError::Timeout(_) | HopError::Broken(_) | HopError::TooLarge(_) => {
                " Whether the call reached the cluster is not known: for a write, check before calling again."
            }
            _ => "",
        };
        let detail = format!(
            "The egress Worker for region {} ({}) {self}.{unknown}{hint}",
            remote.region, remote.binding
        );
        let mut err = ToolError::problem(status, title, detail, &call);
        if let ToolError::Problem(p) = &mut err {
            p.extra.insert("egress".into(), remote.binding.into());
            p.extra.insert("region".into(), remote.region.into());
        }
        err
    }
}

/// Hands `job` over to `remote` and reads the hand-back.
pub(super) async fn send<C: HttpClient>(
    cluster: &Cluster<'_, C>,
    remote: &Remote<'_>,
    job: Job,
) -> Result<Handback, HopError> {
    let limits = *cluster.limits;
    let timeout_ms = limits.request_timeout_ms;
    let issued_ms = cluster.client.now_ms();
    let envelope = Envelope {
        v: VERSION,
        nonce: fresh_nonce(),
        issued_ms,
        expires_ms: issued_ms + u64::from(timeout_ms),
        binding: remote.binding.to_owned(),
        region: Some(remote.region.to_owned()).filter(|r| r != DEFAULT_REGION),
        api_version: remote.api_version,
        address: cluster.address.to_owned(),
        tenant: cluster.tenant.map(str::to_owned),
        credentials: match cluster.credentials {
            Credentials::Forward(header) => WireCredentials::Forward(header.map(str::to_owned)),
            Credentials::Bearer(token) => WireCredentials::Bearer(token.to_owned()),
            Credentials::Machine(machine) => WireCredentials::Machine(machine.settings().into()),
        },
        limits: crate::camunda::client::UpstreamLimits {
            request_timeout_ms: timeout_ms.saturating_sub(MARGIN_MS.min(timeout_ms / 10)),
            ..limits
        },
        trace: cluster.trace.cloned(),
        job,
    };
    // Serialising strings, numbers and maps cannot fail.
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let req = UpstreamRequest {
        method: Method::Post,
        url: HANDOVER_URL.to_owned(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("authorization", remote.key.sign(&body)),
        ],
        body: Some(body),
        timeout_ms,
        // A result is at most MCP_MAX_RESULT_CHARS characters, each at most six bytes escaped.
        max_bytes: limits.max_result_chars.saturating_mul(6) + (64 << 10),
        compact: None,
        via: Some(remote.binding.to_owned()),
    };
    let resp = cluster.client.send(req).await.map_err(|e| match e {
        FetchError::Unreachable(why) => HopError::Unreachable(why),
        FetchError::Timeout(ms) => HopError::Timeout(ms),
        FetchError::Broken(why) => HopError::Broken(why),
        FetchError::TooLarge(cap) => HopError::TooLarge(cap),
    })?;
    if resp.status != 200 {
        return Err(not_handed_back(resp.status, &resp.body));
    }
    let mut back: Handback =
        serde_json::from_slice(&resp.body).map_err(|e| HopError::Garbage(e.to_string()))?;
    back.placement = resp.placement;
    Ok(back)
}

/// An answer other than 200: the egress's own refusal (`{"error":"handover_refused",…}`), or
/// a failure of whatever stands behind the binding.
fn not_handed_back(status: u16, body: &[u8]) -> HopError {
    let said = serde_json::from_slice::<serde_json::Value>(body).ok();
    let message = said
        .as_ref()
        .and_then(|v| v["message"].as_str())
        .map(|m| crate::text::visible(&m.chars().take(300).collect::<String>()));
    let refused = said
        .as_ref()
        .is_some_and(|v| v["error"] == "handover_refused");
    let message = message.unwrap_or_else(|| "no message".to_owned());
    match refused {
        true => HopError::Refused(status, message),
        false => HopError::Failed(status, message),
    }
}
