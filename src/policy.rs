//! Governance at the edge: which tools a route offers, which of them a caller may call, and how
//! often. Decided before anything goes upstream, so a refused call costs the cluster nothing.
//!
//! This module answers three questions; the policy stage of a `tools/call` (`app::call`) asks
//! them in this order, with a person's confirmation (`confirm`) between the second and third:
//! 1. Is the tool offered on this route? (`MCP_READ_ONLY`, `MCP_TOOLS`, `MCP_TOOLS_DENY`) If not,
//!    it does not exist for the caller: absent from `tools/list`, `Unknown tool` when called.
//! 2. May this caller call it? (`MCP_TOOL_SCOPES`, from the verified token) If not, it is absent
//!    from the caller's `tools/list`, and a call is a 403 step-up challenge naming the scope.
//! 3. Is the caller within the rate limit of the tool's class? If not, 429 with `Retry-After`.

use crate::camunda::tools::{Catalogue, HintMode, ToolClass};
use crate::routes::Destination;
use crate::routes::Reach;
use crate::settings::ConfigError;

/// The names of the Rate Limiting bindings (`[[ratelimits]]` in `wrangler.toml`), one per class.
pub fn binding_name(class: ToolClass) -> &'static str {
    match class {
        ToolClass::Read => "MCP_READ_LIMITER",
        ToolClass::Write => "MCP_WRITE_LIMITER",
    }
}

/// A set of catalogue tools, one bit per tool in catalogue order (Camunda's tools and every
/// operator toolset fit: tests/toolsets.rs checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ToolMask(u64);

impl ToolMask {
    /// Catalogues are checked against this when the policy is built.
    pub const CAPACITY: usize = 64;

    pub fn contains(self, index: usize) -> bool {
        index < Self::CAPACITY && self.0 & (1 << index) != 0
    }

    pub fn and(self, other: ToolMask) -> ToolMask {
        ToolMask(self.0 & other.0)
    }

    fn of(indices: impl Iterator<Item = usize>) -> ToolMask {
        ToolMask(indices.fold(0, |bits, i| bits | (1 << i)))
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The settings of [`Governance`], checked against the catalogue and turned into tool sets.
pub struct Policy {
    /// Routes served read-only.
    read_only_routes: Vec<Reach>,
    /// Offered where writes are allowed.
    writable: ToolMask,
    /// Offered on read-only routes.
    read_only: ToolMask,
    /// Per tool (catalogue order): the scope a caller needs, if any.
    scopes: Vec<Option<String>>,
    /// The `read`/`write` entries of `MCP_TOOL_SCOPES`, for tools outside the catalogue (the
    /// processes server's).
    class_scopes: Vec<(ToolClass, String)>,
    classes: Vec<ToolClass>,
    limits: Vec<RateLimit>,
    pub audit_argument_keys: bool,
}

impl Policy {
    pub fn new(g: &Governance, catalogue: &Catalogue) -> Result<Policy, ConfigError> {
        let tools = catalogue.tools();
        // Every toolset on still fits: tests/toolsets.rs checks it.
        debug_assert!(tools.len() <= ToolMask::CAPACITY);
        let known = |var: &'static str, name: &str| {
            catalogue.index(name).ok_or_else(|| ConfigError {
                name: var,
                value: name.to_owned(),
                reason: "no tool has this name (names are case-sensitive, e.g. getIncident; an operator tool needs its toolset in MCP_TOOLSETS)".into(),
            })
        };
        let allowed = match &g.allow {
            None => ToolMask::of(0..tools.len()),
            Some(names) => ToolMask::of(
                names
                    .iter()
                    .map(|n| known("MCP_TOOLS", n))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter(),
            ),
        };
        let denied = ToolMask::of(
            g.deny
                .iter()
                .map(|n| known("MCP_TOOLS_DENY", n))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter(),
        );
        let writable = ToolMask(allowed.0 & !denied.0);
        let reads = ToolMask::of((0..tools.len()).filter(|&i| tools[i].read_only));
        let read_only = writable.and(reads);
        let offered_anywhere = if g.read_only.contains(&Reach::Any) {
            read_only
        } else {
            writable
        };
        if offered_anywhere.is_empty() {
            return Err(ConfigError {
                name: if g.allow.is_some() {
                    "MCP_TOOLS"
                } else {
                    "MCP_TOOLS_DENY"
                },
                value: String::new(),
                reason: "with MCP_READ_ONLY, MCP_TOOLS and MCP_TOOLS_DENY together, no tool is left to offer".into(),
            });
        }
        let mut scopes: Vec<Option<String>> = vec![None; tools.len()];
        // Class entries first, then tool entries over them: the more specific rule wins.
        for (key, scope) in &g.tool_scopes {
            if let Some(class) = ToolClass::parse(key) {
                for (i, t) in tools.iter().enumerate() {
                    if t.class() == class {
                        scopes[i] = Some(scope.clone());
                    }
                }
            }
        }
        for (key, scope) in &g.tool_scopes {
            if ToolClass::parse(key).is_none() {
                scopes[known("MCP_TOOL_SCOPES", key)?] = Some(scope.clone());
            }
        }
        let class_scopes = g
            .tool_scopes
            .iter()
            .filter_map(|(key, scope)| Some((ToolClass::parse(key)?, scope.clone())))
            .collect();
        Ok(Policy {
            class_scopes,
            read_only_routes: g.read_only.clone(),
            writable,
            read_only,
            scopes,
            classes: tools.iter().map(|t| t.class()).collect(),
            limits: g.rate_limits.clone(),
            audit_argument_keys: g.audit_argument_keys,
        })
    }

    /// The tools this route offers.
    pub fn offered(&self, dest: &Destination<'_>) -> ToolMask {
        if dest.reached_by(&self.read_only_routes) {
            self.read_only
        } else {
            self.writable
        }
    }

    /// Whether the route serves reads only.
    pub fn is_read_only(&self, dest: &Destination<'_>) -> bool {
        dest.reached_by(&self.read_only_routes)
    }

    /// The tools a caller holding `granted` scopes may call; `None` (no token in this auth
    /// mode) leaves every tool permitted, as scopes are only configured with OIDC.
    pub fn permitted(&self, granted: Option<&[String]>) -> ToolMask {
        let Some(granted) = granted else {
            return ToolMask::of(0..self.scopes.len());
        };
        ToolMask::of((0..self.scopes.len()).filter(|&i| {
            self.scopes[i]
                .as_ref()
                .is_none_or(|s| granted.iter().any(|g| g == s))
        }))
    }

    /// Whether tools of `class` outside the catalogue are offered on this route: writes are not
    /// on a read-only one.
    pub fn class_offered(&self, dest: &Destination<'_>, class: ToolClass) -> bool {
        class == ToolClass::Read || !self.is_read_only(dest)
    }

    /// The scope `MCP_TOOL_SCOPES` asks for tools of `class`, if any.
    pub fn class_scope(&self, class: ToolClass) -> Option<&str> {
        self.class_scopes
            .iter()
            .find(|(c, _)| *c == class)
            .map(|(_, s)| s.as_str())
    }

    /// Whether a caller holding `granted` (`None`: no tokens) may call tools of `class` outside
    /// the catalogue.
    pub fn class_permitted(&self, granted: Option<&[String]>, class: ToolClass) -> bool {
        match (granted, self.class_scope(class)) {
            (Some(granted), Some(scope)) => granted.iter().any(|g| g == scope),
            _ => true,
        }
    }

    /// Whether `tools/list` depends on who asks (then it must not be shared between callers).
    pub fn lists_per_caller(&self) -> bool {
        self.scopes.iter().any(Option::is_some)
    }

    pub fn scope_of(&self, index: usize) -> Option<&str> {
        self.scopes.get(index)?.as_deref()
    }

    pub fn class_of(&self, index: usize) -> ToolClass {
        self.classes[index]
    }

    /// What `MCP_RATE_LIMITS` says the binding of `class` allows, if it says.
    pub fn limit_of(&self, class: ToolClass) -> Option<&RateLimit> {
        self.limits.iter().find(|l| l.class == class)
    }
}

/// The platform team's controls, as written in the Worker vars. Tool names are checked against
/// the catalogue when the policy is built (`policy::Policy::new`), so a typo stops the gateway
/// instead of silently offering a tool nobody meant to offer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Governance {
    /// Routes where only read tools are offered (`MCP_READ_ONLY`); `true` is `[Reach::Any]`.
    pub read_only: Vec<Reach>,
    /// `MCP_TOOLS`: when set, only these tools are offered.
    pub allow: Option<Vec<String>>,
    /// `MCP_TOOLS_DENY`: never offered.
    pub deny: Vec<String>,
    /// `MCP_TOOL_SCOPES`: `(tool name or class, scope)`; a tool's own entry beats its class's.
    pub tool_scopes: Vec<(String, String)>,
    pub hints: HintMode,
    /// `MCP_AUDIT_ARGUMENTS=keys`: audit records name the arguments given (never values).
    pub audit_argument_keys: bool,
    /// `MCP_RATE_LIMITS`: what the `[[ratelimits]]` bindings allow, for `Retry-After`, error
    /// messages and the landing page (a Worker cannot read its bindings' settings).
    pub rate_limits: Vec<RateLimit>,
}

/// One rate limit as `MCP_RATE_LIMITS` describes it: `limit` calls per `period_s` seconds per
/// caller, for one class of tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub class: ToolClass,
    pub limit: u32,
    /// 10 or 60: the only periods Cloudflare's Rate Limiting binding offers.
    pub period_s: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::routes::ApiVersion;

    fn policy(pairs: &[(&str, &str)]) -> Result<(Policy, Catalogue), ConfigError> {
        let mut pairs: Vec<(&str, &str)> = pairs.to_vec();
        pairs.extend([
            ("MCP_AUTH_MODE", "oidc"),
            ("CAMUNDA_UPSTREAM_AUTH", "forward"),
            ("OIDC_ISSUERS", "https://idp.test"),
            ("OIDC_AUDIENCES", "api"),
        ]);
        let c = Config::from_vars(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })?;
        let catalogue = Catalogue::new(ApiVersion::V8_9, HintMode::Camunda);
        Ok((Policy::new(&c.governance, &catalogue)?, catalogue))
    }

    fn names(c: &Catalogue, set: ToolMask) -> Vec<&'static str> {
        (0..c.tools().len())
            .filter(|&i| set.contains(i))
            .map(|i| c.tools()[i].name)
            .collect()
    }

    const DEFAULT: Destination<'static> = Destination {
        cluster: None,
        region: None,
        tenant: None,
    };

    #[test]
    fn gating_by_class_allow_and_deny() {
        let (p, c) = policy(&[]).unwrap();
        assert_eq!(p.offered(&DEFAULT).len(), 18);
        let (p, c2) = policy(&[("MCP_READ_ONLY", "true")]).unwrap();
        let offered = names(&c2, p.offered(&DEFAULT));
        assert_eq!(offered.len(), 14);
        assert!(!offered.contains(&"resolveIncident"));
        let (p, _) = policy(&[
            ("MCP_TOOLS", "getIncident, resolveIncident,searchIncidents"),
            ("MCP_TOOLS_DENY", "searchIncidents"),
        ])
        .unwrap();
        assert_eq!(
            names(&c, p.offered(&DEFAULT)),
            ["getIncident", "resolveIncident"]
        );
        let err = policy(&[("MCP_TOOLS_DENY", "getincident")]).err().unwrap();
        assert_eq!(
            (err.name, err.value.as_str()),
            ("MCP_TOOLS_DENY", "getincident")
        );
        let err = policy(&[("MCP_READ_ONLY", "true"), ("MCP_TOOLS", "resolveIncident")])
            .err()
            .unwrap();
        assert!(err.reason.contains("no tool is left"), "{err}");
    }

    #[test]
    fn read_only_per_route() {
        let r = "region:bru-2,cluster:00000000-0000-4000-8000-000000000001";
        let (p, _) = policy(&[("MCP_READ_ONLY", r)]).unwrap();
        let at = |region, cluster| Destination {
            cluster,
            region,
            tenant: None,
        };
        assert_eq!(p.offered(&at(Some("bru-2"), None)).len(), 14);
        assert_eq!(p.offered(&at(Some("jfk-1"), None)).len(), 18);
        let one = Some("00000000-0000-4000-8000-000000000001");
        assert_eq!(p.offered(&at(Some("jfk-1"), one)).len(), 14);
        assert_eq!(p.offered(&DEFAULT).len(), 18);
        let err = policy(&[("MCP_READ_ONLY", "yes")]).err().unwrap();
        assert_eq!(err.name, "MCP_READ_ONLY");
    }

    #[test]
    fn scopes_by_class_and_tool_the_tool_entry_wins() {
        let (p, c) = policy(&[(
            "MCP_TOOL_SCOPES",
            "write=camunda:write,resolveIncident=camunda:incidents",
        )])
        .unwrap();
        assert!(p.lists_per_caller());
        let resolve = c.index("resolveIncident").unwrap();
        let create = c.index("createProcessInstance").unwrap();
        assert_eq!(p.scope_of(resolve), Some("camunda:incidents"));
        assert_eq!(p.scope_of(create), Some("camunda:write"));
        assert_eq!(p.permitted(Some(&[])).len(), 14);
        let incidents = ["camunda:incidents".to_owned()];
        let can = names(&c, p.permitted(Some(&incidents)));
        assert_eq!(can.len(), 15);
        assert!(can.contains(&"resolveIncident") && !can.contains(&"completeUserTask"));
        assert_eq!(p.permitted(None).len(), 18);
        for bad in [
            "write",
            "write=",
            "resolve=x y",
            "write=a,write=b",
            "nope=x",
        ] {
            let err = policy(&[("MCP_TOOL_SCOPES", bad)]).err().unwrap();
            assert_eq!(err.name, "MCP_TOOL_SCOPES", "{bad}");
        }
    }

    #[test]
    fn scopes_need_tokens_and_limits_are_binding_shaped() {
        let c = Config::from_vars(|n| (n == "MCP_TOOL_SCOPES").then(|| "read=x".to_owned()));
        assert_eq!(c.err().unwrap().name, "MCP_TOOL_SCOPES");
        let (p, _) = policy(&[("MCP_RATE_LIMITS", "read=300/60s, write=20/10")]).unwrap();
        let w = p.limit_of(ToolClass::Write).unwrap();
        assert_eq!((w.limit, w.period_s), (20, 10));
        for bad in [
            "read=300/30",
            "read=0/60",
            "reads=1/60",
            "read=1/60,read=2/60",
        ] {
            let err = policy(&[("MCP_RATE_LIMITS", bad)]).err().unwrap();
            assert_eq!(err.name, "MCP_RATE_LIMITS", "{bad}");
        }
    }
}
