//! The split into edge and egress Workers: `MCP_ROLE`, `MCP_EGRESS_BINDINGS`,
//! `MCP_EGRESS_SECRET`.

use crate::egress::{Key, Role, Settings, DEFAULT_REGION};
use crate::routes::{is_region, Routes};
use crate::settings::{split_list, ConfigError, Vars};

pub(super) fn role<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Role, ConfigError> {
    Ok(match vars.choice("MCP_ROLE")? {
        "egress" => Role::Egress,
        _ => Role::Edge,
    })
}

/// The hand-over's keys and bindings; `None` for an edge that hands nothing over.
pub(super) fn settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    role: Role,
    routes: &Routes,
) -> Result<Option<Settings>, ConfigError> {
    let bindings = match vars.get("MCP_EGRESS_BINDINGS") {
        None => Vec::new(),
        Some(_) if role == Role::Egress => {
            let why = "an egress runs calls itself: set MCP_EGRESS_BINDINGS on the edge only";
            return Err(ConfigError::new("MCP_EGRESS_BINDINGS", "(set)", why));
        }
        Some(v) => pairs(&v, routes)?,
    };
    let region = match (role, vars.get("MCP_EGRESS_REGION")) {
        (_, None) => None,
        (Role::Egress, Some(r)) if is_region(&r) || r == DEFAULT_REGION => Some(r),
        (Role::Egress, Some(r)) => {
            let why = "a Camunda region id (e.g. bru-2) or `default`";
            return Err(ConfigError::new("MCP_EGRESS_REGION", r, why));
        }
        (Role::Edge, Some(r)) => {
            let why = "the edge reads its regions from MCP_EGRESS_BINDINGS: set MCP_EGRESS_REGION on an egress";
            return Err(ConfigError::new("MCP_EGRESS_REGION", r, why));
        }
    };
    if role == Role::Edge && bindings.is_empty() {
        return Ok(None);
    }
    let secret = vars.required(
        "MCP_EGRESS_SECRET",
        "hand-overs between edge and egress are signed with it (wrangler secret put MCP_EGRESS_SECRET on both; 32 or more random characters)",
    )?;
    let secrets = split_list(&secret);
    if secrets.is_empty() || secrets.iter().any(|s| s.len() < 32) {
        let why = "each key must be 32 or more characters";
        return Err(ConfigError::new("MCP_EGRESS_SECRET", "(secret)", why));
    }
    let keys = secrets.iter().map(|s| Key::derive(s)).collect();
    Ok(Settings::new(keys, bindings, region))
}

/// `region=BINDING` pairs: a region of this gateway's routes (or `default`), each once, and a
/// binding name a Worker can have (letters, digits, `_`).
fn pairs(value: &str, routes: &Routes) -> Result<Vec<(String, String)>, ConfigError> {
    let invalid = |item: &str, why: String| ConfigError::new("MCP_EGRESS_BINDINGS", item, why);
    let mut out: Vec<(String, String)> = Vec::new();
    for item in split_list(value) {
        let Some((region, binding)) = item.split_once('=') else {
            return Err(invalid(&item, "expected <region>=<BINDING>".into()));
        };
        let (region, binding) = (region.trim(), binding.trim());
        let known = match routes.saas.as_ref() {
            Some(saas) => saas.regions.iter().any(|r| r == region),
            None => false,
        };
        if region == DEFAULT_REGION && routes.rest_address.is_none() {
            let why = "`default` names the route /mcp/cluster, which CAMUNDA_REST_ADDRESS sets";
            return Err(invalid(&item, why.into()));
        }
        if region != DEFAULT_REGION && !(is_region(region) && known) {
            let why = "the region must be one of CAMUNDA_SAAS_REGIONS, or `default`";
            return Err(invalid(&item, why.into()));
        }
        let name_ok = binding.starts_with(|c: char| c.is_ascii_alphabetic())
            && binding
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            let why = "a binding name is letters, digits and `_`, starting with a letter";
            return Err(invalid(&item, why.into()));
        }
        if out.iter().any(|(r, _)| r == region) {
            return Err(invalid(&item, format!("{region} is named twice")));
        }
        out.push((region.to_owned(), binding.to_owned()));
    }
    Ok(out)
}
