//! The edge's side of a hand-over: the envelope written, signed and sent through the service
//! binding, the hand-back read, and every way that can fail said once, as a tool error that
//! names the region and the binding.

use super::envelope::{
    fresh_nonce, Envelope, Handback, Job, Refused, WireCredentials, HANDOVER_PATH, HANDOVER_URL,
    VERSION,
};
use super::remote::{Remote, DEFAULT_REGION};
use crate::camunda::client::{Cluster, UpstreamLimits};
use crate::camunda::credentials::Credentials;
use crate::camunda::results::{Call, ToolError};
use crate::http::{FetchError, Method, UpstreamRequest};
use crate::ports::HttpClient;
use crate::text::visible;

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
    /// The egress's own refusal, by its reason code.
    #[error("refused the hand-over (HTTP {status}: {})", .reason.message())]
    Refused { status: u16, reason: Refused },
    /// An error status that is not an egress's refusal: no Worker behind the binding, or one
    /// that failed.
    #[error("answered HTTP {0}")]
    Failed(u16),
    #[error("answered with something that is not a hand-back ({0})")]
    Garbage(String),
    #[error("answered with a result of another kind than the call's")]
    WrongKind,
}

impl HopError {
    /// What an operator should look at.
    fn hint(&self) -> &'static str {
        use Refused as R;
        match self {
            HopError::Unreachable(_) | HopError::Failed(_) => " Check that the edge's wrangler environment binds it, that the egress Worker is deployed, and its log.",
            HopError::Refused { reason: R::Unsigned | R::Forged, .. } => " Check that MCP_EGRESS_SECRET is the same on the edge and the egress.",
            HopError::Refused { reason: R::Expired | R::OutOfBounds, .. } => " The hop took longer than the call's time, or the two Workers' clocks disagree; try again.",
            HopError::Refused { reason: R::WrongEgress, .. } => " Check that MCP_EGRESS_BINDINGS names this region's egress Worker.",
            HopError::Refused { reason: R::TooLarge, .. } => " Give the egress the edge's MCP_MAX_BODY_BYTES.",
            HopError::Refused { reason: R::Busy, .. } => " Try again shortly.",
            HopError::Refused { .. } | HopError::Garbage(_) | HopError::WrongKind => " Check that the edge and the egress run the same build.",
            HopError::Timeout(_) | HopError::Broken(_) | HopError::TooLarge(_) => " Whether the call reached the cluster is not known: for a write, check before calling again.",
        }
    }

    /// The one place a failed hand-over becomes what the caller sees: a 502 or 504 problem
    /// naming the region and the binding.
    pub fn to_tool_error(&self, remote: &Remote<'_>) -> ToolError {
        let call = Call {
            method: Method::Post,
            path: HANDOVER_PATH.to_owned(),
        };
        let (status, title) = match self {
            HopError::Timeout(_) => (504, "Gateway Timeout"),
            _ => (502, "Bad Gateway"),
        };
        // Runtime messages are not ours: one line, shown as it is, and short.
        let said = visible(&self.to_string().chars().take(400).collect::<String>());
        let detail = format!(
            "The egress Worker for region {} ({}) {said}.{}",
            remote.region,
            remote.binding,
            self.hint()
        );
        let mut err = ToolError::problem(status, title, detail, &call);
        if let ToolError::Problem(p) = &mut err {
            p.extra.insert("egress".into(), remote.binding.into());
            p.extra.insert("region".into(), remote.region.into());
        }
        err
    }
}

/// The envelope of `job`, for `remote`, from what the edge resolved for this request.
fn envelope<C: HttpClient>(cluster: &Cluster<'_, C>, remote: &Remote<'_>, job: Job) -> Envelope {
    let limits = *cluster.limits;
    let timeout_ms = limits.request_timeout_ms;
    let issued_ms = cluster.client.now_ms();
    Envelope {
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
        limits: UpstreamLimits {
            request_timeout_ms: timeout_ms.saturating_sub(MARGIN_MS.min(timeout_ms / 10)),
            ..limits
        },
        trace: cluster.trace.cloned(),
        job,
    }
}

/// Hands `job` over to `remote` and reads the hand-back.
pub(super) async fn send<C: HttpClient>(
    cluster: &Cluster<'_, C>,
    remote: &Remote<'_>,
    job: Job,
) -> Result<Handback, HopError> {
    let limits = *cluster.limits;
    // Serialising strings, numbers and maps cannot fail.
    let body = serde_json::to_vec(&envelope(cluster, remote, job)).unwrap_or_default();
    let req = UpstreamRequest {
        method: Method::Post,
        url: HANDOVER_URL.to_owned(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("authorization", remote.key.sign(&body)),
        ],
        body: Some(body),
        timeout_ms: limits.request_timeout_ms,
        // Whatever a direct call could bring back: a cluster's answer, or a result of at most
        // MCP_MAX_RESULT_CHARS characters, each at most six bytes escaped.
        max_bytes: limits
            .max_upstream_bytes
            .max(limits.max_result_chars.saturating_mul(6))
            .saturating_add(64 << 10),
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
    // Where the hand-back is not one, say where, not what: it may hold the cluster's data.
    let mut back: Handback = serde_json::from_slice(&resp.body).map_err(|e| {
        HopError::Garbage(format!(
            "{:?} at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    back.placement = resp.placement.filter(|p| is_placement(p));
    Ok(back)
}

/// An answer other than 200: the egress's own refusal (`{"error":"handover_refused",
/// "reason":…}`), or a failure of whatever stands behind the binding.
fn not_handed_back(status: u16, body: &[u8]) -> HopError {
    let said = serde_json::from_slice::<serde_json::Value>(body).ok();
    let reason = said
        .as_ref()
        .filter(|v| v["error"] == "handover_refused")
        .and_then(|v| v["reason"].as_str())
        .and_then(Refused::from_code);
    match reason {
        Some(reason) => HopError::Refused { status, reason },
        None => HopError::Failed(status),
    }
}

/// Cloudflare's `cf-placement` value: `local-` or `remote-` and a data center's code. Anything
/// else is not logged.
fn is_placement(value: &str) -> bool {
    let code = value
        .strip_prefix("remote-")
        .or_else(|| value.strip_prefix("local-"));
    code.is_some_and(|c| (3..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase()))
}
