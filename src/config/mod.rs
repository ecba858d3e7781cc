//! Gateway settings, read once per isolate from Worker vars (or any name → value lookup) into
//! the typed settings each layer defines for itself. Which vars exist, their defaults, ranges
//! and choices are data ([`crate::settings::SETTINGS`]); this module only assembles them.
//!
//! A bad value is an error naming the variable, not a silent default: a gateway pointed at the
//! wrong cluster, or with a typo in its timeout, should say so on the first request.

mod auth;
mod cluster;
mod egress;
mod governance;
#[cfg(test)]
mod tests;

use crate::auth::mode::AuthMode;
use crate::camunda::client::UpstreamLimits;
use crate::camunda::credentials::UpstreamAuth;
use crate::camunda::toolsets::Toolset;
use crate::confirm::Confirm;
use crate::egress::{self as split, Role};
use crate::mcp::transport::{self, OriginPolicy};
use crate::policy::Governance;
use crate::routes::Routes;
use crate::server::ProcessesServer;
use crate::settings::{ConfigError, Vars};

/// Every setting of one deployment, each part owned by the layer that uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Which cluster each MCP path reaches.
    pub routes: Routes,
    /// Body size and time limits, allowed browser origins.
    pub transport: transport::Limits,
    /// Timeouts and size limits of the cluster's answers.
    pub cluster: UpstreamLimits,
    pub auth: AuthMode,
    /// Whose credentials the cluster is called with (`CAMUNDA_UPSTREAM_AUTH`).
    pub upstream: UpstreamAuth,
    /// Operator toolsets offered besides Camunda's tools (`MCP_TOOLSETS`), in the order named.
    pub toolsets: Vec<Toolset>,
    /// The processes-as-tools server at `/mcp/processes` (`MCP_PROCESSES=true`, 8.10 only).
    pub processes: Option<ProcessesServer>,
    /// Which tools are offered, to whom and how often; what the audit record holds.
    pub governance: Governance,
    /// Which calls a person confirms first (`MCP_CONFIRM_WRITES`), or none.
    pub confirm: Option<Confirm>,
    /// Which part of the edge/egress split this Worker plays (`MCP_ROLE`).
    pub role: Role,
    /// The hand-over's keys, and on the edge which regions go to which egress; `None` for an
    /// edge that runs every call itself.
    pub egress: Option<split::Settings>,
    /// Things worth one log line at start (e.g. a cleartext key source allowed for loopback).
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads every setting through `var`; unset or empty means the default.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars::new(var);
        let mut warnings = Vec::new();
        let auth = auth::mode(&vars, &mut warnings)?;
        let upstream = cluster::upstream_auth(&vars, &auth, &mut warnings)?;
        let governance = governance::governance(&vars, &auth)?;
        let processes = vars.flag("MCP_PROCESSES")?;
        let routes = cluster::routes(&vars, &auth, processes)?;
        let role = egress::role(&vars)?;
        Ok(Config {
            egress: egress::settings(&vars, role, &routes)?,
            role,
            routes,
            transport: transport::Limits {
                max_body_bytes: vars.number("MCP_MAX_BODY_BYTES")?,
                body_timeout_ms: vars.number("MCP_BODY_TIMEOUT_MS")?,
                origins: origins(&vars),
            },
            cluster: UpstreamLimits {
                request_timeout_ms: vars.number("CAMUNDA_REQUEST_TIMEOUT_MS")?,
                max_upstream_bytes: vars.number("CAMUNDA_MAX_RESPONSE_BYTES")?,
                max_result_chars: vars.number("MCP_MAX_RESULT_CHARS")?,
                default_page_limit: vars.number("MCP_DEFAULT_PAGE_LIMIT")?,
            },
            auth,
            upstream,
            toolsets: governance::toolsets(&vars)?,
            processes: match processes {
                true => Some(ProcessesServer {
                    list_ttl_ms: vars.number("MCP_PROCESSES_LIST_TTL_MS")?,
                }),
                false => None,
            },
            governance,
            confirm: governance::confirmations(&vars)?,
            warnings,
        })
    }
}

/// `MCP_ALLOWED_ORIGINS`: loopback only, a list (plus loopback), or `*`.
fn origins(vars: &Vars<impl Fn(&str) -> Option<String>>) -> OriginPolicy {
    match vars.get("MCP_ALLOWED_ORIGINS") {
        None => OriginPolicy::Loopback,
        Some(v) if v == "*" => OriginPolicy::Any,
        Some(v) => OriginPolicy::List(
            v.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        ),
    }
}
