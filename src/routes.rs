//! Where a request goes: the gateway's paths, the names of its two MCP servers, and which
//! cluster an MCP path reaches (the configured one, a SaaS cluster by region and id, or a
//! Camunda 8.10 physical tenant). A leaf: every layer above may name a route, none is needed
//! to decide one.

use std::borrow::Cow;

/// The MCP endpoint of a single-cluster gateway, as on a Camunda cluster.
pub const MCP_PATH: &str = "/mcp/cluster";
/// Camunda 8.10's processes-as-tools server (`MCP_PROCESSES=true`).
pub const PROCESSES_PATH: &str = "/mcp/processes";
/// Where the protected-resource metadata lives (RFC 9728), at the root and for the MCP path.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Clients and tests recognise Camunda's gateway by this name.
pub const SERVER_NAME: &str = "Camunda 8 Orchestration API MCP Server";
/// The name of Camunda 8.10's processes server, which `/mcp/processes` re-creates.
pub const PROCESSES_SERVER_NAME: &str = "Camunda 8 Orchestration API Processes MCP Server";

/// Which REST API v2 line the cluster speaks. Decides which tools' fields may reach it (an
/// 8.9 cluster rejects fields that only 8.10 knows, so they are not offered at all) and
/// whether physical tenants exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    V8_9,
    V8_10,
}

/// Which MCP server a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cluster,
    Processes,
}

/// The cluster one request is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Target<'a> {
    /// REST base without `/v2`, with a physical tenant's prefix when routed to one.
    pub address: Cow<'a, str>,
    /// The MCP path the request came to (names the RFC 9728 resource).
    pub path: &'a str,
    pub kind: Kind,
    pub dest: Destination<'a>,
}

/// Where a request goes, as issuer bindings (`OIDC_ISSUER_ROUTES`) and read-only routes
/// (`MCP_READ_ONLY`) see it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Destination<'a> {
    /// The cluster id a token's `https://camunda.com/clusterId` claim must equal, if known.
    pub cluster: Option<&'a str>,
    /// The SaaS region, for a SaaS path.
    pub region: Option<&'a str>,
    /// The physical tenant, for a tenant path.
    pub tenant: Option<&'a str>,
}

impl Destination<'_> {
    /// Whether any of `reach` covers this destination.
    pub fn reached_by(&self, reach: &[Reach]) -> bool {
        reach.iter().any(|r| match r {
            Reach::Any => true,
            Reach::Default => self.region.is_none() && self.tenant.is_none(),
            Reach::Region(region) => self.region == Some(region.as_str()),
            Reach::Cluster(id) => self.cluster == Some(id.as_str()) && self.tenant.is_none(),
            Reach::Tenant(tenant) => self.tenant == Some(tenant.as_str()),
        })
    }
}

/// A part of the gateway a setting names: what an issuer's tokens may reach, which routes are
/// read-only. With several trusted issuers, each could mint any `clusterId` claim, so each is
/// bound to its own clusters.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// Everything this gateway serves (the only choice with a single issuer).
    Any,
    /// `/mcp/cluster`: the configured cluster.
    Default,
    /// Every SaaS cluster of a region.
    Region(String),
    /// One SaaS cluster (or the configured one, when `CAMUNDA_CLUSTER_ID` names it).
    Cluster(String),
    /// One Camunda 8.10 physical tenant.
    Tenant(String),
}

impl Reach {
    /// `*`, `default`, `region:<r>`, `cluster:<uuid>` or `tenant:<id>`.
    pub fn parse(s: &str) -> Option<Reach> {
        Some(match s.split_once(':') {
            None if s == "*" => Reach::Any,
            None if s == "default" => Reach::Default,
            Some(("region", r)) if is_region(r) => Reach::Region(r.to_owned()),
            Some(("cluster", c)) if is_cluster_id(c) => Reach::Cluster(c.to_owned()),
            Some(("tenant", t)) if is_physical_tenant_id(t) => Reach::Tenant(t.to_owned()),
            _ => return None,
        })
    }
}

/// SaaS routing: `/{region}/{clusterId}/mcp/cluster` reaches the cluster the template names.
#[derive(Debug, Clone, PartialEq)]
pub struct Saas {
    /// Regions that may appear in a path.
    pub regions: Vec<String>,
    /// The REST base, with `{region}` and `{clusterId}` slots.
    pub template: String,
}

/// The default `CAMUNDA_SAAS_URL_TEMPLATE`: Camunda SaaS's REST API.
pub const DEFAULT_SAAS_TEMPLATE: &str = "https://{region}.api.camunda.io/{clusterId}";

/// Every route an MCP path may take, as the settings define them.
#[derive(Debug, Clone, PartialEq)]
pub struct Routes {
    /// `CAMUNDA_REST_ADDRESS`: the configured cluster, if any.
    pub rest_address: Option<String>,
    pub saas: Option<Saas>,
    pub api_version: ApiVersion,
    /// `CAMUNDA_CLUSTER_ID`: the configured cluster's id, which tokens may name.
    pub cluster_id: Option<String>,
    /// `MCP_PROCESSES=true`.
    pub processes: bool,
}

impl Routes {
    /// The cluster an MCP path is for: `/mcp/cluster` is the configured one; with SaaS
    /// routing, `/{region}/{clusterId}/mcp/cluster` fills the URL template — only when the
    /// region is allowed and the id is a UUID, so no input can steer the upstream anywhere
    /// else; on 8.10, a physical tenant's path adds its prefix to the configured cluster's
    /// address.
    pub fn target<'p>(&'p self, path: &'p str) -> Option<Target<'p>> {
        let configured = self.cluster_id.as_deref();
        let target = if let Some((tenant, kind)) = physical_tenant(path) {
            if self.api_version < ApiVersion::V8_10 {
                return None;
            }
            let base = self.rest_address.as_deref()?;
            Target {
                address: Cow::Owned(format!("{base}/physical-tenants/{tenant}")),
                path,
                kind,
                dest: Destination {
                    cluster: configured,
                    region: None,
                    tenant: Some(tenant),
                },
            }
        } else {
            let (prefix, kind) = split_kind(path)?;
            if prefix.is_empty() {
                Target {
                    address: Cow::Borrowed(self.rest_address.as_deref()?),
                    path,
                    kind,
                    dest: Destination {
                        cluster: configured,
                        ..Destination::default()
                    },
                }
            } else {
                self.saas_target(prefix, path, kind)?
            }
        };
        (target.kind == Kind::Cluster || self.serves_processes().is_ok()).then_some(target)
    }

    fn saas_target<'p>(&'p self, prefix: &'p str, path: &'p str, kind: Kind) -> Option<Target<'p>> {
        let saas = self.saas.as_ref()?;
        let (region, cluster) = prefix.strip_prefix('/')?.split_once('/')?;
        if !saas.regions.iter().any(|r| r == region) || !is_cluster_id(cluster) {
            return None;
        }
        let address = saas
            .template
            .replace("{region}", region)
            .replace("{clusterId}", cluster);
        Some(Target {
            address: Cow::Owned(address),
            path,
            kind,
            dest: Destination {
                cluster: Some(cluster),
                region: Some(region),
                tenant: None,
            },
        })
    }

    /// Whether `/mcp/processes` is served, or why not.
    pub fn serves_processes(&self) -> Result<(), &'static str> {
        if !self.processes {
            Err("The processes MCP server is off: set MCP_PROCESSES=true to serve it.")
        } else if self.api_version < ApiVersion::V8_10 {
            Err("The processes MCP server needs a Camunda 8.10 cluster (its tools are message start events marked as tools): set CAMUNDA_API_VERSION=8.10.")
        } else {
            Ok(())
        }
    }

    /// Why a path that is no route looks like one, for the 404's message.
    pub fn why_not(&self, path: &str) -> Option<&'static str> {
        if let Some(why) = split_kind(path)
            .filter(|(_, kind)| *kind == Kind::Processes)
            .and_then(|_| self.serves_processes().err())
        {
            Some(why)
        } else if physical_tenant(path).is_some() {
            Some("Physical tenants exist on Camunda 8.10 clusters: set CAMUNDA_API_VERSION=8.10 to route to them.")
        } else {
            None
        }
    }
}

/// The MCP server a path ends with, and what comes before it.
fn split_kind(path: &str) -> Option<(&str, Kind)> {
    path.strip_suffix(MCP_PATH)
        .map(|p| (p, Kind::Cluster))
        .or_else(|| {
            path.strip_suffix(PROCESSES_PATH)
                .map(|p| (p, Kind::Processes))
        })
}

/// The physical tenant an MCP path names, and which server, in either of the two forms
/// served: `/physical-tenants/{id}/mcp/cluster` and Camunda's own
/// `/mcp/physical-tenants/{id}/cluster` (`processes` for the processes server).
fn physical_tenant(path: &str) -> Option<(&str, Kind)> {
    let (id, kind) = path
        .strip_prefix("/physical-tenants/")
        .and_then(split_kind)
        .or_else(|| {
            let rest = path.strip_prefix("/mcp/physical-tenants/")?;
            rest.strip_suffix("/cluster")
                .map(|id| (id, Kind::Cluster))
                .or_else(|| {
                    rest.strip_suffix("/processes")
                        .map(|id| (id, Kind::Processes))
                })
        })?;
    is_physical_tenant_id(id).then_some((id, kind))
}

/// 1–32 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn is_region(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Camunda 8.10 physical tenant id as the gateway accepts it in a path: 1–64 of `a-z`, `0-9`,
/// `-` and `_`, starting with a letter or digit (e.g. `default`, `eu-west-1`). Strict on purpose:
/// the id becomes part of the upstream URL.
pub fn is_physical_tenant_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

/// A lowercase UUID, `8-4-4-4-12` hex digits: the form of Camunda SaaS cluster ids.
pub fn is_cluster_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}
