//! The whole gateway as one function of a plain request: routing, the MCP endpoint, and the
//! log line. Built once per isolate; nothing here depends on the Workers runtime.

use std::borrow::Cow;

use serde_json::json;

use crate::auth::signature::Signatures;
use crate::auth::{AuthError, Gate, METADATA_PATH};
use crate::camunda::client::Cluster;
use crate::camunda::tools::Catalogue;
use crate::config::{is_cluster_id, AuthMode, Config};
use crate::http::{HttpClient, Request, Response};
use crate::mcp::jsonrpc::{self, code, Incoming};
use crate::mcp::server::{self, Trace};
use crate::mcp::transport;

/// The MCP endpoint of a single-cluster gateway, as on a Camunda cluster.
pub const MCP_PATH: &str = "/mcp/cluster";

/// The cluster one request is for.
struct Target<'a> {
    /// REST base without `/v2`.
    address: Cow<'a, str>,
    /// The MCP path the request came to (names the RFC 9728 resource).
    path: &'a str,
    region: Option<&'a str>,
    /// The cluster id a token may name (`https://camunda.com/clusterId`), if any is known.
    cluster: Option<&'a str>,
}

/// Everything that does not depend on the request: settings, the prepared tool list, and the
/// authentication state (key and token caches) that lives as long as the isolate.
pub struct App<S> {
    pub config: Config,
    catalogue: Catalogue,
    gate: Gate<S>,
}

impl<S: Signatures> App<S> {
    /// `signatures` checks JWT signatures: WebCrypto in the Worker, pure Rust natively.
    pub fn new(config: Config, signatures: S) -> Self {
        let catalogue = Catalogue::new(config.api_version);
        let gate = Gate::new(&config.auth, signatures);
        App {
            config,
            catalogue,
            gate,
        }
    }

    /// Answers one request; `now` (seconds since the epoch) is the clock for token checks.
    pub async fn handle<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
    ) -> (Response, Trace) {
        let mut trace = Trace::default();
        let is_get = req.method == "GET" || req.method == "HEAD";
        let resp = if let Some(target) = self.route(&req.path) {
            trace.region = target.region.map(str::to_owned);
            trace.cluster = target.cluster.map(str::to_owned);
            self.mcp(req, client, now, &target, &mut trace).await
        } else if let Some(rest) = req.path.strip_prefix(METADATA_PATH).filter(|_| is_get) {
            // RFC 9728: the root document describes the default endpoint; a suffixed one, the
            // endpoint at that path.
            let resource = if rest.is_empty() { MCP_PATH } else { rest };
            self.route(resource)
                .and_then(|_| self.gate.metadata(&req.origin, resource))
                .unwrap_or_else(|| not_found(req))
        } else if req.path == "/healthz" && is_get {
            Response::json(
                200,
                json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}).to_string(),
            )
        } else {
            not_found(req)
        };
        (self.with_cors(req, resp), trace)
    }

    /// The cluster an MCP path is for: `/mcp/cluster` is the configured one; with SaaS routing,
    /// `/{region}/{clusterId}/mcp/cluster` fills the URL template — only when the region is
    /// allowed and the id is a UUID, so no input can steer the upstream anywhere else.
    fn route<'p>(&'p self, path: &'p str) -> Option<Target<'p>> {
        if path == MCP_PATH {
            let cluster = match &self.config.auth {
                AuthMode::Oidc(oidc) => oidc.cluster_id.as_deref(),
                _ => None,
            };
            return Some(Target {
                address: Cow::Borrowed(&self.config.rest_address),
                path,
                region: None,
                cluster,
            });
        }
        let saas = self.config.saas.as_ref()?;
        let (region, cluster) = path
            .strip_suffix(MCP_PATH)?
            .strip_prefix('/')?
            .split_once('/')?;
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
            region: Some(region),
            cluster: Some(cluster),
        })
    }

    async fn mcp<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
        target: &Target<'_>,
        trace: &mut Trace,
    ) -> Response {
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        if let Err(refusal) = transport::check(req, &self.config) {
            return refusal.response();
        }
        let challenge = || self.gate.challenge(&req.origin, target.path);
        match self.gate.admit(req, client, now, target.cluster).await {
            Ok(note) => trace.auth = note,
            Err(err) => {
                trace.auth = Some(err.to_string());
                return err.response(&challenge());
            }
        }
        let incoming = match jsonrpc::parse(&req.body) {
            Ok(incoming) => incoming,
            Err(rejected) => {
                return Response::json(400, jsonrpc::failure(rejected.id.as_ref(), &rejected.error))
            }
        };
        trace.rpc = incoming.method().map(|m| m.chars().take(64).collect());
        match incoming {
            Incoming::Notification { .. } | Incoming::Response => Response::new(202),
            Incoming::Request { id, method, params } => {
                let cluster = Cluster::new(
                    client,
                    &self.config,
                    &target.address,
                    req.header("authorization"),
                );
                let answer =
                    server::dispatch(&self.catalogue, &cluster, &method, &params, trace).await;
                // With Basic credentials, the cluster is the judge: its 401 becomes ours, so
                // clients ask for credentials again instead of showing a tool error.
                if matches!(self.gate, Gate::Basic) && trace.upstream == Some(401) {
                    let refused =
                        AuthError::InvalidToken("the cluster refused these credentials".into());
                    return refused.response(&challenge());
                }
                let body = match answer {
                    Ok(result) => jsonrpc::success(&id, &result),
                    Err(err) => jsonrpc::failure(Some(&id), &err),
                };
                Response::json(200, body)
            }
        }
    }

    /// Browsers on an allowed origin (e.g. a web-based inspector) may call the endpoint.
    fn preflight(&self, req: &Request) -> Response {
        match req.header("origin") {
            Some(origin) if self.config.origins.allows(origin) => Response::new(204)
                .with_header("access-control-allow-methods", "POST, OPTIONS")
                .with_header(
                    "access-control-allow-headers",
                    "content-type, accept, authorization, mcp-protocol-version, mcp-session-id, last-event-id",
                )
                .with_header("access-control-max-age", "86400"),
            Some(origin) => transport::Refusal::ForbiddenOrigin(origin.chars().take(200).collect()).response(),
            None => transport::Refusal::MethodNotAllowed.response(),
        }
    }

    fn with_cors(&self, req: &Request, resp: Response) -> Response {
        match req.header("origin") {
            Some(origin) if self.config.origins.allows(origin) => resp
                .with_header("access-control-allow-origin", origin)
                .with_header(
                    "access-control-expose-headers",
                    "www-authenticate, mcp-protocol-version",
                )
                .with_header("vary", "origin"),
            _ => resp,
        }
    }
}

fn not_found(req: &Request) -> Response {
    let path: String = req.path.chars().take(200).collect();
    Response::json(
        404,
        json!({
            "error": "Not Found",
            "message": format!("No route for {} {path}. The MCP endpoint is POST {MCP_PATH}.", req.method),
        })
        .to_string(),
    )
}

/// One JSON log line per request: what was asked and how it went. Never tokens or bodies.
pub fn log_line(req: &Request, status: u16, trace: &Trace, duration_ms: u64) -> String {
    json!({
        "method": req.method,
        "path": req.path.chars().take(200).collect::<String>(),
        "rpc": trace.rpc,
        "tool": trace.tool,
        "status": status,
        "toolError": trace.tool_error,
        "upstream": trace.upstream,
        "auth": trace.auth,
        "region": trace.region,
        "cluster": trace.cluster,
        "ms": duration_ms,
    })
    .to_string()
}

/// The JSON-RPC code a server fault gets; kept here so adapters need not know the codes.
pub fn internal_error(message: &str) -> Response {
    let err = jsonrpc::RpcError::new(code::INTERNAL_ERROR, message);
    Response::json(500, jsonrpc::failure(None, &err))
}
