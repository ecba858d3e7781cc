//! What is offered, to whom, how often, and what is asked first: `MCP_READ_ONLY`, `MCP_TOOLS`,
//! `MCP_TOOLS_DENY`, `MCP_TOOL_SCOPES`, `MCP_RATE_LIMITS`, `MCP_TOOLSETS`, `MCP_CONFIRM_*`.

use super::auth::reaches;
use crate::auth::mode::AuthMode;
use crate::camunda::tools::{HintMode, ToolClass};
use crate::camunda::toolsets::Toolset;
use crate::confirm::{self, Confirm, Cover};
use crate::policy::{Governance, RateLimit};
use crate::routes::Reach;
use crate::settings::{split_list, ConfigError, Vars};

pub(super) fn governance<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    auth: &AuthMode,
) -> Result<Governance, ConfigError> {
    let read_only = match vars.get("MCP_READ_ONLY").as_deref() {
        None | Some("false") => Vec::new(),
        Some("true") => vec![Reach::Any],
        Some(v) => reaches(v).ok_or_else(|| ConfigError::new(
            "MCP_READ_ONLY",
            v,
            "expected true, false, or the routes to serve read-only: a list of *, default, region:<r>, cluster:<uuid>, tenant:<id>",
        ))?,
    };
    Ok(Governance {
        read_only,
        allow: vars.get("MCP_TOOLS").map(|v| split_list(&v)),
        deny: vars.list("MCP_TOOLS_DENY"),
        tool_scopes: tool_scopes(vars, auth)?,
        hints: match vars.choice("MCP_TOOL_HINTS")? {
            "explicit" => HintMode::Explicit,
            _ => HintMode::Camunda,
        },
        audit_argument_keys: vars.choice("MCP_AUDIT_ARGUMENTS")? == "keys",
        rate_limits: rate_limits(vars)?,
    })
}

/// `MCP_TOOL_SCOPES`: `(tool name or class, scope)` pairs, each key once; oidc only.
fn tool_scopes<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    auth: &AuthMode,
) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(v) = vars.get("MCP_TOOL_SCOPES") else {
        return Ok(Vec::new());
    };
    if !matches!(auth, AuthMode::Oidc(_)) {
        let why = "per-tool scopes come from verified tokens: they need MCP_AUTH_MODE=oidc";
        return Err(ConfigError::new("MCP_TOOL_SCOPES", "", why));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for entry in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let pair = entry
            .split_once('=')
            .map(|(k, s)| (k.trim(), s.trim()))
            .filter(|(k, s)| !k.is_empty() && is_scope(s));
        let Some((key, scope)) = pair else {
            let why = "expected <tool name, read or write>=<scope>, comma-separated";
            return Err(ConfigError::new("MCP_TOOL_SCOPES", entry, why));
        };
        if pairs.iter().any(|(k, _)| k == key) {
            let why = "each tool or class may be named once";
            return Err(ConfigError::new("MCP_TOOL_SCOPES", key, why));
        }
        pairs.push((key.to_owned(), scope.to_owned()));
    }
    Ok(pairs)
}

/// `MCP_RATE_LIMITS`: `read=<n>/<10|60>s,write=<n>/<10|60>s`, each class once.
fn rate_limits<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Vec<RateLimit>, ConfigError> {
    let mut limits: Vec<RateLimit> = Vec::new();
    for entry in vars.list("MCP_RATE_LIMITS") {
        let parsed = entry.split_once('=').and_then(|(class, rate)| {
            let class = ToolClass::parse(class)?;
            let (limit, period) = rate.split_once('/')?;
            let period = period.strip_suffix('s').unwrap_or(period);
            Some(RateLimit {
                class,
                limit: limit.parse().ok().filter(|n| *n > 0)?,
                period_s: period.parse().ok().filter(|p| *p == 10 || *p == 60)?,
            })
        });
        match parsed {
            Some(l) if !limits.iter().any(|o| o.class == l.class) => limits.push(l),
            _ => return Err(ConfigError::new(
                "MCP_RATE_LIMITS",
                entry,
                "expected read=<calls>/<10 or 60>s and write=<calls>/<10 or 60>s, as in the [[ratelimits]] bindings",
            )),
        }
    }
    Ok(limits)
}

/// An OAuth scope token (RFC 6749 §3.3): printable ASCII without space, `"` or `\`.
fn is_scope(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// `MCP_TOOLSETS`: known names, each once, in the order named.
pub(super) fn toolsets<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Vec<Toolset>, ConfigError> {
    let mut toolsets = Vec::new();
    for name in vars.list("MCP_TOOLSETS") {
        let set = Toolset::parse(&name).ok_or_else(|| {
            let why = "known toolsets: messages, operate, jobs, decisions, deploy, audit";
            ConfigError::new("MCP_TOOLSETS", name.clone(), why)
        })?;
        if !toolsets.contains(&set) {
            toolsets.push(set);
        }
    }
    Ok(toolsets)
}

/// `MCP_CONFIRM_WRITES`: `off` (the default), `elicit` (every tool that changes the cluster),
/// or tool names; with `MCP_CONFIRM_SECRET` (keys, comma-separated: the first signs, every one
/// verifies) and `MCP_CONFIRM_TTL_S`.
pub(super) fn confirmations<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Option<Confirm>, ConfigError> {
    let cover = match vars.get("MCP_CONFIRM_WRITES").as_deref() {
        None | Some("off") => return Ok(None),
        Some("elicit") => Cover::Writes,
        Some(v) => {
            let names = split_list(v);
            if names.is_empty() {
                let why = "expected off, elicit or tool names";
                return Err(ConfigError::new("MCP_CONFIRM_WRITES", v, why));
            }
            Cover::Tools(names)
        }
    };
    let secret = vars.required(
        "MCP_CONFIRM_SECRET",
        "confirmations are signed with keys derived from this secret (wrangler secret put MCP_CONFIRM_SECRET; 32 or more random characters, comma-separated to rotate)",
    )?;
    let secrets: Vec<&str> = secret.split(',').map(str::trim).collect();
    if secrets.iter().any(|s| s.len() < 32) {
        let why = "each key must be 32 or more characters";
        return Err(ConfigError::new("MCP_CONFIRM_SECRET", "(secret)", why));
    }
    Ok(Some(Confirm {
        cover,
        keys: secrets.iter().map(|s| confirm::key(s)).collect(),
        ttl_s: vars.number("MCP_CONFIRM_TTL_S")?,
    }))
}
