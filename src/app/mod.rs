//! The whole gateway as one function of a plain request: routing, the MCP endpoint as named
//! stages, and the records. Built once per isolate; nothing here depends on the Workers runtime.

mod call;
mod record;
mod stop;

use std::borrow::Cow;

use serde_json::json;

use crate::auth::oauth::grant::{Op, Reply};
use crate::auth::oauth::{self, AuthServer, Io};
use crate::auth::{AuthError, Caller, Gate};
use crate::camunda::client::Cluster;
use crate::camunda::credentials::{Credentials, MachineToken, UpstreamAuth};
use crate::camunda::tools::{Catalogue, ToolClass};
use crate::config::Config;
use crate::confirm;
use crate::egress::runner::Runner;
use crate::egress::{Role, Work};
use crate::http::{BodySource, Request, Response, TraceContext};
use crate::landing;
use crate::mcp::era::{self, Lane, Params};
use crate::mcp::jsonrpc::{self, ErrorCode, Id, Incoming, RpcError};
use crate::mcp::transport::{self, Refusal};
use crate::policy::Policy;
use crate::ports::{
    Grants, HttpClient, LimitCheck, Limiter, NoLimits, NoStore, Sealer, Signatures, Store,
};
use crate::routes::{Kind, Target, MCP_PATH, METADATA_PATH};
use crate::server::{Endpoint, Offer, Outcome, ProcessesOffer, Server};
use crate::settings::ConfigError;
use call::{Asked, Found, Resolved, Rules};
pub use record::{log_line, Record};
use stop::Stop;

/// Everything that does not depend on the request: settings, the MCP server with its prepared
/// answers, and the authentication state (key and token caches) that lives as long as the
/// isolate.
pub struct App<S> {
    pub config: Config,
    server: Server,
    gate: Gate<S>,
    policy: Policy,
    /// Tool classes with a Rate Limiting binding (for the landing page).
    limited: Vec<ToolClass>,
    /// The gateway's own token for the cluster (`CAMUNDA_UPSTREAM_AUTH=client-credentials`).
    machine: Option<MachineToken>,
    /// Seals and opens the authorization server's records (the same crypto as `gate`'s).
    sealer: S,
    /// The egress role's state (`MCP_ROLE=egress`): such a Worker serves hand-overs only.
    runner: Option<Runner>,
}

impl<S: Signatures + Sealer> App<S> {
    /// `signatures` checks JWT signatures: WebCrypto in the Worker, pure Rust natively. Fails
    /// when the governance settings name a tool that does not exist.
    pub fn new(config: Config, signatures: S) -> Result<Self, ConfigError>
    where
        S: Clone,
    {
        let server = Server::new(Catalogue::with_toolsets(
            config.routes.api_version,
            config.governance.hints,
            &config.toolsets,
        ));
        let policy = Policy::new(&config.governance, server.catalogue())?;
        if let Some(confirm::Confirm {
            cover: confirm::Cover::Tools(names),
            ..
        }) = &config.confirm
        {
            if let Some(unknown) = names.iter().find(|n| server.catalogue().index(n).is_none()) {
                return Err(ConfigError {
                    name: "MCP_CONFIRM_WRITES",
                    value: unknown.clone(),
                    reason:
                        "not a tool of this gateway (Camunda's tools and the toolsets turned on)"
                            .into(),
                });
            }
        }
        let gate = Gate::new(&config.auth, signatures.clone());
        let machine = match &config.upstream {
            UpstreamAuth::ClientCredentials(settings) => Some(MachineToken::new(settings.clone())),
            _ => None,
        };
        Ok((App {
            config,
            server,
            gate,
            policy,
            limited: Vec::new(),
            machine,
            sealer: signatures,
            runner: None,
        })
        .with_role())
    }

    /// An egress keeps what it needs to run hand-overs (the keys were checked with the
    /// settings: an egress has some).
    fn with_role(mut self) -> Self {
        if let (Role::Egress, Some(settings)) = (self.config.role, &self.config.egress) {
            let max_body = self.config.transport.max_body_bytes;
            let region = settings.region.clone();
            self.runner = Some(Runner::new(settings.keys().to_vec(), region, max_body));
        }
        self
    }

    /// The authorization server and the crypto it seals with (oauth mode): what a grant's
    /// Durable Object runs its steps with.
    pub fn auth_server(&self) -> Option<(&AuthServer, &S)> {
        match &self.gate {
            Gate::OAuth(server) => Some((server, &self.sealer)),
            _ => None,
        }
    }

    /// Tells the app which tool classes have a Rate Limiting binding, so the page for people
    /// states the limits that really apply.
    pub fn with_rate_limit_bindings(mut self, classes: Vec<ToolClass>) -> Self {
        self.limited = classes;
        self
    }

    /// Answers one request whose body is in `req`; `now` (seconds since the epoch) is the
    /// clock for token checks.
    pub async fn handle<C: HttpClient>(
        &self,
        req: &Request,
        client: &C,
        now: u64,
    ) -> (Response, Record) {
        let outside = Outside {
            client,
            limiters: &NoLimits,
            store: &NoStore,
        };
        self.serve(req, req.body.as_slice(), &outside, now).await
    }

    /// Answers one request whose body comes from `body`, read only once the caller is admitted.
    /// `outside` is the request's outside world (fetch, rate limiters, the authorization
    /// store); `now` is seconds since the epoch.
    pub async fn serve<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
    ) -> (Response, Record) {
        let mut record = Record::default();
        if let Some(runner) = &self.runner {
            let (resp, ran) = runner.serve(req, body, outside.client).await;
            record.egress_ran(ran);
            return (resp, record);
        }
        let is_get = req.method == "GET" || req.method == "HEAD";
        let routes = &self.config.routes;
        let resp = if let Some(target) = routes.target(&req.path) {
            record.region = target.dest.region.map(str::to_owned);
            record.cluster = target.dest.cluster.map(str::to_owned);
            record.tenant = target.dest.tenant.map(str::to_owned);
            self.mcp(req, body, outside, now, &target, &mut record)
                .await
        } else if let (Gate::OAuth(server), true) = (&self.gate, oauth::is_route(&req.path)) {
            self.authorization(server, req, body, outside, now, &mut record)
                .await
        } else if let Some(rest) = req.path.strip_prefix(METADATA_PATH).filter(|_| is_get) {
            // RFC 9728: the root document describes the default endpoint; a suffixed one, the
            // endpoint at that path.
            let resource = if rest.is_empty() { MCP_PATH } else { rest };
            routes
                .target(resource)
                .and_then(|_| self.gate.metadata(&req.origin, resource))
                .unwrap_or_else(|| not_found(req, None))
        } else if req.path == "/" && is_get && wants_html(req) {
            landing::response(&landing::Facts {
                origin: &req.origin,
                config: &self.config,
                catalogue: self.server.catalogue(),
                policy: &self.policy,
                limited: &self.limited,
            })
        } else if req.path == "/healthz" && is_get {
            Response::json(
                200,
                json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}).to_string(),
            )
        } else {
            not_found(req, routes.why_not(&req.path))
        };
        (self.with_cors(req, resp), record)
    }

    /// The authorization server's endpoints (oauth mode). Anyone may call them, so each client
    /// address (or grant) has a budget per endpoint (Rate Limiting bindings) before any work
    /// beyond reading the small body.
    async fn authorization<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        server: &AuthServer,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
        record: &mut Record,
    ) -> Response {
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        let body = if req.method == "POST" {
            match body.read(oauth::MAX_BODY_BYTES).await {
                Ok(body) => body,
                Err(err) => {
                    return transport::Refusal::of_body(&err, &self.config.transport).response(None)
                }
            }
        } else {
            Cow::Borrowed(&[][..])
        };
        if let Some((binding, key)) = server.limit(req, &body) {
            match outside.limiters.check(binding, || key).await {
                LimitCheck::Exceeded => return oauth::limited(&req.path),
                LimitCheck::Failed(why) => {
                    record.auth = Some(format!("rate limiter failed: {why}"))
                }
                LimitCheck::Unlimited | LimitCheck::Allowed => {}
            }
        }
        let io = Io {
            client: outside.client,
            store: outside.store,
            sealer: &self.sealer,
        };
        let is_resource = |url: &str| {
            url.strip_prefix(req.origin.as_str())
                .is_some_and(|path| self.config.routes.target(path).is_some())
        };
        let handled = server.handle(req, &body, &io, now, is_resource).await;
        if handled.note.is_some() {
            record.auth = handled.note;
        }
        handled.response
    }

    /// The MCP endpoint as stages: transport check → admit the caller → read the body → parse
    /// (envelope, lane, era) → policy (offer, and for a `tools/call` the resolved, admitted
    /// tool) → dispatch → respond. Each stage returns its result or its refusal (a [`Stop`])
    /// and never touches the record: [`App::stages`] writes the record from what they return,
    /// and this function adds why a refused `tools/call` was refused.
    async fn mcp<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
        target: &Target<'_>,
        record: &mut Record,
    ) -> Response {
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        let answered = self.stages(req, body, outside, now, target, record).await;
        let challenge = || self.gate.challenge(&req.origin, target.path);
        answered.unwrap_or_else(|stop| {
            if record.rpc.as_deref() == Some("tools/call") && record.refused.is_none() {
                record.refused = stop.refused();
            }
            stop.response(challenge)
        })
    }

    async fn stages<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
        target: &Target<'_>,
        record: &mut Record,
    ) -> Result<Response, Stop> {
        if let Err(refusal) = transport::check(req, &self.config.transport) {
            return Err(refused_transport(refusal, body).await);
        }
        let caller = self.admit(req, outside, now, target).await.map_err(|err| {
            record.auth = Some(err.to_string());
            Stop::Auth(err, None)
        })?;
        record.auth.clone_from(&caller.note);
        let body = body
            .read(self.config.transport.max_body_bytes)
            .await
            .map_err(|e| Stop::Transport(Refusal::of_body(&e, &self.config.transport), None))?;
        let envelope = jsonrpc::parse(&body).map_err(|r| Stop::rpc(400, r.id.as_ref(), r.error));
        let (id, method, params) = match envelope? {
            Incoming::Request { id, method, params } => (id, method, params),
            other => {
                record.rpc = other.method().map(|m| m.chars().take(64).collect());
                return Err(Stop::Accepted);
            }
        };
        record.rpc = Some(method.chars().take(64).collect());
        let is_call = method == "tools/call";
        if is_call {
            record.principal = caller.principal.clone();
        }
        let message = parse_message(req, id, method, params).inspect_err(|_| {
            // A call whose message is wrong is refused for it.
            record.refused = is_call.then_some("invalid_request");
        })?;
        record.era = Some(message.lane.name());
        record.traceparent = message.trace.as_ref().map(|t| t.parent.clone());
        let offer = self.offer(target, &caller, now);
        let resolved = if is_call {
            let asked = Asked {
                req,
                id: &message.id,
                params: &message.params,
                lane: message.lane,
                target,
                principal: &caller.principal,
                offer: &offer,
                now,
            };
            let mut found = Found::default();
            let admitted = self
                .rules()
                .check_call(&asked, outside.limiters, &mut found)
                .await;
            record.tool = found.tool;
            record.argument_keys = found.argument_keys;
            record.confirmation = found.confirmation;
            if let Some(why) = found.limiter_failed {
                record.auth = Some(format!("rate limiter failed, call let through: {why}"));
            }
            Some(admitted?)
        } else {
            None
        };
        let cluster = self.cluster(req, outside.client, now, target, &caller, &message);
        let egress = self.config.egress.as_ref();
        let remote =
            egress.and_then(|e| e.remote(target.dest.region, self.config.routes.api_version));
        let work = Work::new(&cluster, remote);
        let outcome = self.dispatch(&work, &message, resolved, &offer).await;
        record.egress = work.handed_over().map(str::to_owned);
        record.egress_placement = work.placement();
        record.tool_error = outcome.tool_error;
        record.upstream = outcome.upstream;
        record.refused = outcome.refused;
        self.respond(&message.id, outcome)
    }

    /// Dispatch: a resolved tool runs as it was resolved; any other method is the server's.
    async fn dispatch<C: HttpClient>(
        &self,
        work: &Work<'_, '_, C>,
        message: &Message<'_>,
        resolved: Option<Resolved<'_>>,
        offer: &Offer,
    ) -> Outcome {
        let (lane, params) = (message.lane, &message.params);
        match resolved {
            Some(Resolved::Tool(tool)) => self.server.call_tool(lane, work, tool, params).await,
            Some(Resolved::Process(name)) => {
                let call = self.server.call_process(lane, work, &name, params);
                call.await
            }
            None => {
                let method = &message.method;
                self.server
                    .dispatch(lane, work, method, params, offer)
                    .await
            }
        }
    }

    /// Admission: the caller's credentials, checked before anything else is read.
    async fn admit<C: HttpClient, L, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        outside: &Outside<'_, C, L, K>,
        now: u64,
        target: &Target<'_>,
    ) -> Result<Caller, AuthError> {
        let io = Io {
            client: outside.client,
            store: outside.store,
            sealer: &self.sealer,
        };
        let resource = format!("{}{}", req.origin, target.path);
        self.gate
            .admit(req, &io, now, &target.dest, &resource)
            .await
    }

    /// What the policy offers this caller on this route: the tools that exist here, those it
    /// may call, and which of the two servers answers.
    fn offer(&self, target: &Target<'_>, caller: &Caller, now: u64) -> Offer {
        let dest = &target.dest;
        let offered = self.policy.offered(dest);
        let scopes = caller.principal.scopes();
        let endpoint = match (target.kind, self.config.processes) {
            (Kind::Processes, Some(settings)) => {
                let open = |class| {
                    self.policy.class_offered(dest, class)
                        && self.policy.class_permitted(scopes, class)
                };
                Endpoint::Processes(ProcessesOffer {
                    reads: open(ToolClass::Read),
                    writes: open(ToolClass::Write),
                    list_ttl_ms: settings.list_ttl_ms,
                    now_s: now,
                })
            }
            _ => Endpoint::Cluster,
        };
        Offer {
            offered,
            listed: offered.and(self.policy.permitted(scopes)),
            private: self.policy.lists_per_caller(),
            endpoint,
        }
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            policy: &self.policy,
            catalogue: self.server.catalogue(),
            confirm: self.config.confirm.as_ref(),
        }
    }

    /// The cluster this request reaches, with the credentials it presents there.
    fn cluster<'a, C: HttpClient>(
        &'a self,
        req: &'a Request,
        client: &'a C,
        now: u64,
        target: &'a Target<'_>,
        caller: &'a Caller,
        message: &'a Message<'_>,
    ) -> Cluster<'a, C> {
        let mut cluster = Cluster::new(client, &self.config.cluster, &target.address);
        cluster.tenant = target.dest.tenant;
        cluster.now = now;
        cluster.credentials = match (&caller.person_token, &self.machine) {
            (Some(token), _) => Credentials::Bearer(token),
            (None, Some(machine)) => Credentials::Machine(machine),
            (None, None) => Credentials::Forward(req.header("authorization")),
        };
        cluster.trace = message.trace.as_ref();
        cluster
    }

    /// The answer to a dispatched request. With Basic credentials the cluster is the judge:
    /// its 401 becomes ours, so clients ask for credentials again instead of showing a tool
    /// error.
    fn respond(&self, id: &Id, outcome: Outcome) -> Result<Response, Stop> {
        if matches!(self.gate, Gate::Basic) && outcome.upstream == Some(401) {
            let refused = AuthError::InvalidToken("the cluster refused these credentials".into());
            return Err(Stop::Auth(refused, Some(id.clone())));
        }
        match outcome.answer {
            Ok(result) => Ok(Response::json(200, jsonrpc::success_body(id, &result))),
            Err(err) => Err(Stop::rpc(200, Some(id), err)),
        }
    }

    /// Browsers on an allowed origin (e.g. a web-based inspector) may call the endpoint.
    fn preflight(&self, req: &Request) -> Response {
        match req.header("origin") {
            Some(origin) if self.config.transport.origins.allows(origin) => Response::new(204)
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
            Some(origin) if self.config.transport.origins.allows(origin) => resp
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

/// The outside world of one request: `fetch`, the rate limiters, the authorization store.
pub struct Outside<'a, C, L, K> {
    pub client: &'a C,
    pub limiters: &'a L,
    pub store: &'a K,
}

/// One JSON-RPC request, read and understood: what the stages after parsing work with.
struct Message<'b> {
    id: Id,
    method: String,
    params: Params<'b>,
    lane: Lane,
    /// W3C trace context to pass on to the cluster.
    trace: Option<TraceContext>,
}

/// The message's params, lane and era checks, and trace context.
fn parse_message<'b>(
    req: &Request,
    id: Id,
    method: String,
    params: Option<&'b serde_json::value::RawValue>,
) -> Result<Message<'b>, Stop> {
    let params = match Params::parse(params) {
        Ok(params) => params,
        Err(err) => {
            let status = match era::lane_by_header(req) {
                Lane::Modern => 400,
                Lane::Legacy => 200,
            };
            return Err(Stop::rpc(status, Some(&id), err));
        }
    };
    let lane = era::lane(req, Some(&params)).and_then(|lane| {
        if lane == Lane::Modern {
            era::modern_checks(req, &method, &params)?;
        }
        Ok(lane)
    });
    let lane = lane.map_err(|refused| Stop::rpc(refused.status, Some(&id), refused.error))?;
    let trace = trace_context(req, &params);
    Ok(Message {
        id,
        method,
        params,
        lane,
        trace,
    })
}

/// A transport refusal; the id is echoed when the body is small enough to be worth reading
/// for it.
async fn refused_transport<'b>(refusal: Refusal, body: impl BodySource<'b>) -> Stop {
    let id = match refusal {
        Refusal::PayloadTooLarge(_) => None,
        _ => body
            .read(jsonrpc::MAX_PEEK_BYTES)
            .await
            .ok()
            .and_then(|b| jsonrpc::id_of(&b)),
    };
    Stop::Transport(refusal, id)
}

/// A browser asking for a page (its `Accept` names HTML), not a client asking for JSON.
fn wants_html(req: &Request) -> bool {
    req.header("accept")
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/html")))
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

/// The JSON-RPC answer to a server fault; kept here so adapters need not know the codes.
pub fn internal_error(message: &str) -> Response {
    let err = RpcError::new(ErrorCode::INTERNAL_ERROR, message);
    Response::json(500, jsonrpc::error_body(None, &err))
}
