//! The whole gateway as one function of a plain request: routing, the MCP endpoint, and the
//! log line. Built once per isolate; nothing here depends on the Workers runtime.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::json;

use crate::auth::signature::Signatures;
use crate::auth::{AuthError, Destination, Gate, METADATA_PATH};
use crate::camunda::client::Cluster;
use crate::config::{is_cluster_id, is_physical_tenant_id, ApiVersion, AuthMode, Config};
use crate::http::{BodySource, HttpClient, Request, Response, TraceContext};
use crate::mcp::era::{self, Lane, Params};
use crate::mcp::jsonrpc::{self, ErrorCode, Id, Incoming, RpcError};
use crate::mcp::server::Server;
use crate::mcp::transport;

/// The MCP endpoint of a single-cluster gateway, as on a Camunda cluster.
pub const MCP_PATH: &str = "/mcp/cluster";

/// The cluster one request is for.
struct Target<'a> {
    /// REST base without `/v2`, with a physical tenant's prefix when routed to one.
    address: Cow<'a, str>,
    /// The MCP path the request came to (names the RFC 9728 resource).
    path: &'a str,
    region: Option<&'a str>,
    /// The cluster id a token may name (`https://camunda.com/clusterId`), if any is known.
    cluster: Option<&'a str>,
    /// A Camunda 8.10 physical tenant (Self-Managed), when the path names one.
    tenant: Option<&'a str>,
}

/// What one request did, for the structured log line. Never tokens, headers or bodies.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Trace {
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
}

/// Everything that does not depend on the request: settings, the MCP server with its prepared
/// answers, and the authentication state (key and token caches) that lives as long as the
/// isolate.
pub struct App<S> {
    pub config: Config,
    server: Server,
    gate: Gate<S>,
}

impl<S: Signatures> App<S> {
    /// `signatures` checks JWT signatures: WebCrypto in the Worker, pure Rust natively.
    pub fn new(config: Config, signatures: S) -> Self {
        let server = Server::new(config.api_version);
        let gate = Gate::new(&config.auth, signatures);
        App {
            config,
            server,
            gate,
        }
    }

    /// Answers one request whose body is in `req`; `now` (seconds since the epoch) is the
    /// clock for token checks.
    pub async fn handle<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
    ) -> (Response, Trace) {
        self.serve(req, req.body.as_slice(), client, now).await
    }

    /// Answers one request whose body comes from `body`, read only once the caller is admitted.
    pub async fn serve<'b, C: HttpClient>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        client: &C,
        now: u64,
    ) -> (Response, Trace) {
        let mut trace = Trace::default();
        let is_get = req.method == "GET" || req.method == "HEAD";
        let resp = if let Some(target) = self.route(&req.path) {
            trace.region = target.region.map(str::to_owned);
            trace.cluster = target.cluster.map(str::to_owned);
            trace.tenant = target.tenant.map(str::to_owned);
            self.mcp(req, body, client, now, &target, &mut trace).await
        } else if let Some(rest) = req.path.strip_prefix(METADATA_PATH).filter(|_| is_get) {
            // RFC 9728: the root document describes the default endpoint; a suffixed one, the
            // endpoint at that path.
            let resource = if rest.is_empty() { MCP_PATH } else { rest };
            self.route(resource)
                .and_then(|_| self.gate.metadata(&req.origin, resource))
                .unwrap_or_else(|| not_found(req, None))
        } else if req.path == "/healthz" && is_get {
            Response::json(
                200,
                json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}).to_string(),
            )
        } else if physical_tenant(&req.path).is_some() {
            not_found(
                req,
                Some("Physical tenants exist on Camunda 8.10 clusters: set CAMUNDA_API_VERSION=8.10 to route to them."),
            )
        } else {
            not_found(req, None)
        };
        (self.with_cors(req, resp), trace)
    }

    /// The cluster an MCP path is for: `/mcp/cluster` is the configured one; with SaaS routing,
    /// `/{region}/{clusterId}/mcp/cluster` fills the URL template — only when the region is
    /// allowed and the id is a UUID, so no input can steer the upstream anywhere else; on 8.10,
    /// a physical tenant's path adds its prefix to the configured cluster's address.
    fn route<'p>(&'p self, path: &'p str) -> Option<Target<'p>> {
        let configured = || match &self.config.auth {
            AuthMode::Oidc(oidc) => oidc.cluster_id.as_deref(),
            _ => None,
        };
        if path == MCP_PATH {
            return Some(Target {
                address: Cow::Borrowed(self.config.rest_address.as_deref()?),
                path,
                region: None,
                cluster: configured(),
                tenant: None,
            });
        }
        if let Some(tenant) = physical_tenant(path) {
            if self.config.api_version < ApiVersion::V8_10 {
                return None;
            }
            let base = self.config.rest_address.as_deref()?;
            return Some(Target {
                address: Cow::Owned(format!("{base}/physical-tenants/{tenant}")),
                path,
                region: None,
                cluster: configured(),
                tenant: Some(tenant),
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
            tenant: None,
        })
    }

    async fn mcp<'b, C: HttpClient>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        client: &C,
        now: u64,
        target: &Target<'_>,
        trace: &mut Trace,
    ) -> Response {
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        if let Err(refusal) = transport::check(req, &self.config) {
            // The id is echoed when the body is small enough to be worth reading for it.
            let id = match refusal {
                transport::Refusal::PayloadTooLarge(_) => None,
                _ => body
                    .read(jsonrpc::MAX_PEEK_BYTES)
                    .await
                    .ok()
                    .and_then(|b| jsonrpc::id_of(&b)),
            };
            return refusal.response(id.as_ref());
        }
        let challenge = || self.gate.challenge(&req.origin, target.path);
        let dest = Destination {
            cluster: target.cluster,
            region: target.region,
            tenant: target.tenant,
        };
        match self.gate.admit(req, client, now, &dest).await {
            Ok(note) => trace.auth = note,
            Err(err) => {
                trace.auth = Some(err.to_string());
                return err.response(&challenge());
            }
        }
        let body = match body.read(self.config.max_body_bytes).await {
            Ok(body) => body,
            Err(err) => return transport::Refusal::of_body(&err, &self.config).response(None),
        };
        let (id, method, params) = match jsonrpc::parse(&body) {
            Ok(Incoming::Request { id, method, params }) => (id, method, params),
            Ok(other) => {
                trace.rpc = other.method().map(|m| m.chars().take(64).collect());
                return Response::new(202);
            }
            Err(rejected) => return error(400, rejected.id.as_ref(), &rejected.error),
        };
        trace.rpc = Some(method.chars().take(64).collect());
        let params = match Params::parse(params) {
            Ok(params) => params,
            Err(err) => {
                let status = match era::lane_by_header(req) {
                    Lane::Modern => 400,
                    Lane::Legacy => 200,
                };
                return error(status, Some(&id), &err);
            }
        };
        let lane = era::lane(req, Some(&params)).and_then(|lane| {
            if lane == Lane::Modern {
                era::modern_checks(req, &method, &params)?;
            }
            Ok(lane)
        });
        let lane = match lane {
            Ok(lane) => lane,
            Err(refused) => return error(refused.status, Some(&id), &refused.error),
        };
        trace.era = Some(lane.name());
        let trace_context = trace_context(req, &params);
        trace.traceparent = trace_context.as_ref().map(|t| t.parent.clone());

        let mut cluster = Cluster::new(client, &self.config, &target.address);
        cluster.tenant = target.tenant;
        cluster.authorization = req.header("authorization");
        cluster.trace = trace_context.as_ref();
        let outcome = self.server.dispatch(lane, &cluster, &method, &params).await;
        trace.tool = outcome.tool;
        trace.tool_error = outcome.tool_error;
        trace.upstream = outcome.upstream;
        // With Basic credentials, the cluster is the judge: its 401 becomes ours, so
        // clients ask for credentials again instead of showing a tool error.
        if matches!(self.gate, Gate::Basic) && outcome.upstream == Some(401) {
            let refused = AuthError::InvalidToken("the cluster refused these credentials".into());
            return refused.response(&challenge());
        }
        match outcome.answer {
            Ok(result) => Response::json(200, jsonrpc::success_body(&id, &result)),
            Err(err) => error(200, Some(&id), &err),
        }
    }

    /// Browsers on an allowed origin (e.g. a web-based inspector) may call the endpoint.
    fn preflight(&self, req: &Request) -> Response {
        match req.header("origin") {
            Some(origin) if self.config.origins.allows(origin) => Response::new(204)
                .with_header("access-control-allow-methods", "POST, OPTIONS")
                .with_header(
                    "access-control-allow-headers",
                    "content-type, accept, authorization, mcp-protocol-version, mcp-method, \
                     mcp-name, mcp-session-id, last-event-id, traceparent, tracestate",
                )
                .with_header("access-control-max-age", "86400"),
            Some(origin) => transport::Refusal::ForbiddenOrigin(origin.chars().take(200).collect())
                .response(None),
            None => transport::Refusal::MethodNotAllowed.response(None),
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

fn error(status: u16, id: Option<&Id>, err: &RpcError) -> Response {
    Response::json(status, jsonrpc::error_body(id, err))
}

/// The physical tenant an MCP path names, in either of the two forms served:
/// `/physical-tenants/{id}/mcp/cluster` and Camunda's own `/mcp/physical-tenants/{id}/cluster`.
fn physical_tenant(path: &str) -> Option<&str> {
    let id = path
        .strip_prefix("/physical-tenants/")
        .and_then(|rest| rest.strip_suffix(MCP_PATH))
        .or_else(|| {
            path.strip_prefix("/mcp/physical-tenants/")?
                .strip_suffix("/cluster")
        })?;
    is_physical_tenant_id(id).then_some(id)
}

/// The request's W3C trace context: from `_meta` when it carries one (the 2026-07-28 way),
/// else from the `traceparent`/`tracestate` headers.
fn trace_context(req: &Request, params: &Params<'_>) -> Option<TraceContext> {
    let meta = params.meta.as_ref();
    if let Some(parent) = era::string(meta.and_then(|m| m.traceparent)) {
        let state = era::string(meta.and_then(|m| m.tracestate));
        return TraceContext::new(&parent, state.as_deref());
    }
    TraceContext::new(req.header("traceparent")?, req.header("tracestate"))
}

fn not_found(req: &Request, why: Option<&str>) -> Response {
    let path: String = req.path.chars().take(200).collect();
    let message = match why {
        Some(why) => format!("No route for {} {path}. {why}", req.method),
        None => format!(
            "No route for {} {path}. The MCP endpoint is POST {MCP_PATH}.",
            req.method
        ),
    };
    Response::json(
        404,
        json!({"error": "Not Found", "message": message}).to_string(),
    )
}

/// One JSON log line per request: what was asked and how it went. Never tokens or bodies.
pub fn log_line(req: &Request, status: u16, trace: &Trace, duration_ms: u64) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        method: &'a str,
        path: String,
        status: u16,
        #[serde(flatten)]
        trace: &'a Trace,
        ms: u64,
    }
    let line = Line {
        method: &req.method,
        path: req.path.chars().take(200).collect(),
        status,
        trace,
        ms: duration_ms,
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// The JSON-RPC answer to a server fault; kept here so adapters need not know the codes.
pub fn internal_error(message: &str) -> Response {
    let err = RpcError::new(ErrorCode::INTERNAL_ERROR, message);
    error(500, None, &err)
}
