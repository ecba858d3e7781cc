//! Which egress a route's calls go to: the split's settings, as the edge and the egress read
//! them.

use super::envelope::Key;
use crate::routes::ApiVersion;

/// Which part of the split a Worker plays (`MCP_ROLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The public gateway: routing, authentication, governance; runs calls or hands them over.
    #[default]
    Edge,
    /// Runs calls handed over by an edge, and nothing else.
    Egress,
}

/// The hand-over's settings: the keys (`MCP_EGRESS_SECRET`: the first signs, every one
/// verifies) and, on the edge, which region goes through which service binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub keys: Vec<Key>,
    /// `(region, binding)`; the region `default` is the route without one.
    pub bindings: Vec<(String, String)>,
}

/// The region key of the route that names none (`/mcp/cluster` to `CAMUNDA_REST_ADDRESS`).
pub const DEFAULT_REGION: &str = "default";

impl Settings {
    /// The egress for a route in `region` (`None`: the route without a region), if any.
    pub fn remote(&self, region: Option<&str>, api_version: ApiVersion) -> Option<Remote<'_>> {
        let region = region.unwrap_or(DEFAULT_REGION);
        let (region, binding) = self.bindings.iter().find(|(r, _)| r == region)?;
        Some(Remote {
            region,
            binding,
            key: self.keys.first()?,
            api_version,
        })
    }
}

/// An egress Worker, as one request reaches it.
#[derive(Debug, Clone, Copy)]
pub struct Remote<'a> {
    pub region: &'a str,
    pub binding: &'a str,
    pub(super) key: &'a Key,
    pub(super) api_version: ApiVersion,
}
