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
/// verifies); on the edge, which region goes through which service binding; on an egress, the
/// region it serves, if it is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Never empty ([`Settings::new`]): an edge without a key must not fall back to anything.
    keys: Vec<Key>,
    /// `(region, binding)`; the region `default` is the route without one.
    pub bindings: Vec<(String, String)>,
    /// `MCP_EGRESS_REGION`: envelopes for another region are refused.
    pub region: Option<String>,
}

/// The region key of the route that names none (`/mcp/cluster` to `CAMUNDA_REST_ADDRESS`).
pub const DEFAULT_REGION: &str = "default";

impl Settings {
    /// `None` without a key.
    pub fn new(
        keys: Vec<Key>,
        bindings: Vec<(String, String)>,
        region: Option<String>,
    ) -> Option<Self> {
        (!keys.is_empty()).then_some(Settings {
            keys,
            bindings,
            region,
        })
    }

    /// Every key: the first signs, each one verifies.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The egress for a route in `region` (`None`: the route without a region), if any.
    pub fn remote(&self, region: Option<&str>, api_version: ApiVersion) -> Option<Remote<'_>> {
        let region = region.unwrap_or(DEFAULT_REGION);
        let (region, binding) = self.bindings.iter().find(|(r, _)| r == region)?;
        Some(Remote {
            region,
            binding,
            key: &self.keys[0],
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
