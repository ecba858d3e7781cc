//! The whole gateway as one function of a plain request: routing, the MCP endpoint, and the
//! log line. Built once per isolate; nothing here depends on the Workers runtime.

use serde_json::json;

use crate::auth::signature::Signatures;
use crate::auth::{AuthError, Gate, METADATA_PATH};
use crate::camunda::client::Cluster;
use crate::camunda::tools::Catalogue;
use crate::config::Config;
use crate::http::{HttpClient, Request, Response};
use crate::mcp::jsonrpc::{self, code, Incoming};
use crate::mcp::server::{self, Trace};
use crate::mcp::transport;

/// The MCP endpoint of a single-cluster gateway, as on a Camunda cluster.
pub const MCP_PATH: &str = "/mcp/cluster";

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
        let metadata_for_mcp = req.path.strip_prefix(METADATA_PATH) == Some(MCP_PATH);
        let resp = match req.path.as_str() {
            MCP_PATH => self.mcp(req, client, now, &mut trace).await,
            METADATA_PATH if req.method == "GET" => self.metadata(req),
            _ if metadata_for_mcp && req.method == "GET" => self.metadata(req),
            "/healthz" if req.method == "GET" || req.method == "HEAD" => Response::json(
                200,
                json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}).to_string(),
            ),
            _ => not_found(req),
        };
        (self.with_cors(req, resp), trace)
    }

    fn metadata(&self, req: &Request) -> Response {
        self.gate
            .metadata(&req.origin, MCP_PATH)
            .unwrap_or_else(|| not_found(req))
    }

    async fn mcp<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
        trace: &mut Trace,
    ) -> Response {
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        if let Err(refusal) = transport::check(req, &self.config) {
            return refusal.response();
        }
        match self.gate.admit(req, client, now).await {
            Ok(note) => trace.auth = note,
            Err(err) => {
                trace.auth = Some(err.to_string());
                return err.response(&self.gate.challenge(&req.origin));
            }
        }
        match jsonrpc::parse(&req.body) {
            Err(rejected) => {
                Response::json(400, jsonrpc::failure(rejected.id.as_ref(), &rejected.error))
            }
            Ok(Incoming::Notification { method }) => {
                trace.rpc = Some(method.chars().take(64).collect());
                Response::new(202)
            }
            Ok(Incoming::Response) => Response::new(202),
            Ok(Incoming::Request { id, method, params }) => {
                trace.rpc = Some(method.chars().take(64).collect());
                let cluster = Cluster::new(client, &self.config, req.header("authorization"));
                let answer =
                    server::dispatch(&self.catalogue, &cluster, &method, &params, trace).await;
                // With Basic credentials, the cluster is the judge: its 401 becomes ours, so
                // clients ask for credentials again instead of showing a tool error.
                if matches!(self.gate, Gate::Basic) && trace.upstream == Some(401) {
                    let refused =
                        AuthError::InvalidToken("the cluster refused these credentials".into());
                    return refused.response(&self.gate.challenge(&req.origin));
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
        "ms": duration_ms,
    })
    .to_string()
}

/// The JSON-RPC code a server fault gets; kept here so adapters need not know the codes.
pub fn internal_error(message: &str) -> Response {
    let err = jsonrpc::RpcError::new(code::INTERNAL_ERROR, message);
    Response::json(500, jsonrpc::failure(None, &err))
}
