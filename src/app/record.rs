//! What one request did, as one log line: the access line of a request, which for a tool call
//! is its audit record. Filled in by the pipeline from what the stages return, and written
//! once, at the end. Never tokens, headers, bodies or argument values.

use std::borrow::Cow;

use serde::Serialize;

use crate::auth::Principal;
use crate::egress::runner::Ran;
use crate::http::Request;

/// What one request did, for the structured log line. Never tokens, headers or bodies.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Record {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc: Option<String>,
    /// `legacy` (MCP 2025-*) or `modern` (2026-07-28), once the request was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub era: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The tool answered with `isError`.
    #[serde(rename = "toolError", skip_serializing_if = "is_false")]
    pub tool_error: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<u16>,
    /// Something worth knowing from authentication (e.g. stale keys were used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// The SaaS region and cluster of the request, when routed by path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// W3C `traceparent` of the request, as passed on to the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Who called (audit record only).
    #[serde(skip)]
    pub principal: Principal,
    /// Why a `tools/call` was refused before reaching the cluster (`unknown_tool`,
    /// `insufficient_scope`, `rate_limited`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// The one log line of a request (one write: Workers Logs bills and indexes lines): what was
/// asked and how it went. A `tools/call`'s line is its audit record (`"log":"audit"`): the
/// same fields, and who called, when, the outcome, and with `MCP_AUDIT_ARGUMENTS=keys` the
/// argument names. Fields with nothing to say are left out. `at_ms` is when the request
/// arrived (ms since the epoch). Never tokens, bodies or argument values.
pub fn log_line(
    req: &Request,
    status: u16,
    record: &Record,
    at_ms: u64,
    duration_ms: u64,
) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Line<'a> {
        log: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        time: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        principal: Option<Who<'a>>,
        method: &'a str,
        path: String,
        status: u16,
        #[serde(flatten)]
        record: &'a Record,
        #[serde(skip_serializing_if = "Option::is_none")]
        outcome: Option<Cow<'static, str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        argument_keys: Option<&'a [String]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation_nonce: Option<&'a str>,
        ms: u64,
    }
    let audited = record.rpc.as_deref() == Some("tools/call");
    let outcome = match (record.refused, record.tool_error) {
        (Some(reason), _) => Cow::Owned(format!("refused:{reason}")),
        (None, true) => Cow::Borrowed("tool_error"),
        (None, false) => Cow::Borrowed("ok"),
    };
    let confirmation = record.confirmation.as_ref();
    let line = Line {
        log: if audited { "audit" } else { "access" },
        time: audited.then(|| utc_timestamp(at_ms)),
        principal: audited.then(|| Who::from(&record.principal)),
        method: &req.method,
        path: req.path.chars().take(200).collect(),
        status,
        record,
        outcome: audited.then_some(outcome),
        argument_keys: record.argument_keys.as_deref().filter(|_| audited),
        confirmation: confirmation.map(|c| c.0),
        confirmation_nonce: confirmation.map(|c| c.1.as_str()).filter(|n| !n.is_empty()),
        ms: duration_ms,
    };
    serde_json::to_string(&line).unwrap_or_default()
}

fn is_false(b: &bool) -> bool {
    !*b
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
