//! What one request did, as the access line of every request and the audit record of every
//! tool call: filled in by the pipeline from what the stages return, and written as lines once,
//! at the end. Never tokens, headers,
//! bodies or argument values.

use std::borrow::Cow;

use serde::Serialize;

use crate::auth::Principal;
use crate::egress::runner::Ran;
use crate::http::Request;

/// What one request did, for the structured log line. Never tokens, headers or bodies.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Record {
    pub rpc: Option<String>,
    /// `legacy` (MCP 2025-*) or `modern` (2026-07-28), once the request was read.
    pub era: Option<&'static str>,
    pub tool: Option<String>,
    /// The tool answered with `isError`.
    #[serde(rename = "toolError")]
    pub tool_error: bool,
    pub upstream: Option<u16>,
    /// Something worth knowing from authentication (e.g. stale keys were used).
    pub auth: Option<String>,
    /// The SaaS region and cluster of the request, when routed by path.
    pub region: Option<String>,
    pub cluster: Option<String>,
    pub tenant: Option<String>,
    /// W3C `traceparent` of the request, as passed on to the cluster.
    pub traceparent: Option<String>,
    /// Who called (audit record only).
    #[serde(skip)]
    pub principal: Principal,
    /// Why a `tools/call` was refused before reaching the cluster (`unknown_tool`,
    /// `insufficient_scope`, `rate_limited`, …).
    pub refused: Option<&'static str>,
    /// The argument names of a `tools/call`, when `MCP_AUDIT_ARGUMENTS=keys` (audit only).
    #[serde(skip)]
    pub argument_keys: Option<Vec<String>>,
    /// `MCP_CONFIRM_WRITES`: what became of the confirmation (`asked`, `accepted`, `declined`,
    /// `refused_state`) and the state's nonce, which shows a replayed acceptance (audit only).
    #[serde(skip)]
    pub confirmation: Option<(&'static str, String)>,
    /// The egress Worker's binding, when the call was handed over (on an egress: the binding
    /// the edge sent it through).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress: Option<String>,
    /// Where Cloudflare ran that egress (its answer's `cf-placement`, e.g. `remote-FRA`).
    #[serde(rename = "egressPlacement", skip_serializing_if = "Option::is_none")]
    pub egress_placement: Option<String>,
    /// `egress` on an egress Worker's lines; absent on the edge's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
}

impl Record {
    /// What an egress did with a request, as its access line says it.
    pub fn egress_ran(&mut self, ran: Ran) {
        self.role = Some("egress");
        self.rpc = Some("handover".into());
        self.tool = ran.job;
        self.egress = ran.binding;
        self.region = ran.region;
        self.upstream = ran.upstream;
        self.tool_error = ran.tool_error;
        self.refused = ran.refused;
    }
}

/// One JSON log line per request: what was asked and how it went. Never tokens or bodies.
pub fn log_line(req: &Request, status: u16, record: &Record, duration_ms: u64) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        log: &'static str,
        method: &'a str,
        path: String,
        status: u16,
        #[serde(flatten)]
        record: &'a Record,
        ms: u64,
    }
    let line = Line {
        log: "access",
        method: &req.method,
        path: req.path.chars().take(200).collect(),
        status,
        record,
        ms: duration_ms,
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// Who called, as the audit record names them.
#[derive(Serialize)]
#[serde(untagged)]
enum Who<'a> {
    Anonymous(&'static str),
    Basic {
        scheme: &'static str,
        user: &'a str,
    },
    Token {
        iss: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        sub: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
}

impl<'a> From<&'a Principal> for Who<'a> {
    fn from(principal: &'a Principal) -> Self {
        match principal {
            Principal::Anonymous => Who::Anonymous("anonymous"),
            Principal::Basic { user, .. } => Who::Basic {
                scheme: "basic",
                user,
            },
            Principal::Token {
                issuer,
                subject,
                client_id,
                ..
            } => Who::Token {
                iss: issuer,
                sub: subject.as_deref(),
                client_id: client_id.as_deref(),
            },
        }
    }
}

/// The audit record of a `tools/call` (`None` for any other request): who called which tool
/// where, and how it went, as one JSON line beside the access line. Never argument values,
/// never credentials. `at_ms` is when the request arrived (ms since the epoch).
pub fn audit_line(record: &Record, at_ms: u64, duration_ms: u64) -> Option<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Audit<'a> {
        log: &'static str,
        time: String,
        principal: Who<'a>,
        region: Option<&'a str>,
        cluster: Option<&'a str>,
        tenant: Option<&'a str>,
        tool: Option<&'a str>,
        outcome: Cow<'static, str>,
        upstream: Option<u16>,
        ms: u64,
        traceparent: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        argument_keys: Option<&'a [String]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation_nonce: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        egress: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        egress_placement: Option<&'a str>,
    }
    if record.rpc.as_deref() != Some("tools/call") {
        return None;
    }
    let principal = Who::from(&record.principal);
    let outcome = match (record.refused, record.tool_error) {
        (Some(reason), _) => Cow::Owned(format!("refused:{reason}")),
        (None, true) => Cow::Borrowed("tool_error"),
        (None, false) => Cow::Borrowed("ok"),
    };
    let record = Audit {
        log: "audit",
        time: utc_timestamp(at_ms),
        principal,
        region: record.region.as_deref(),
        cluster: record.cluster.as_deref(),
        tenant: record.tenant.as_deref(),
        tool: record.tool.as_deref(),
        outcome,
        upstream: record.upstream,
        ms: duration_ms,
        traceparent: record.traceparent.as_deref(),
        argument_keys: record.argument_keys.as_deref(),
        confirmation: record.confirmation.as_ref().map(|c| c.0),
        confirmation_nonce: record
            .confirmation
            .as_ref()
            .map(|c| c.1.as_str())
            .filter(|n| !n.is_empty()),
        egress: record.egress.as_deref(),
        egress_placement: record.egress_placement.as_deref(),
    };
    serde_json::to_string(&record).ok()
}

/// RFC 3339 UTC with milliseconds, from ms since the epoch (days to a civil date by Howard
/// Hinnant's algorithm): one small function instead of a date crate in the upload.
fn utc_timestamp(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_timestamp(1_796_184_000_123), "2026-12-02T04:00:00.123Z");
    }
}
