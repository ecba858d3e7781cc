//! The whole gateway as one function of a plain request: routing, the MCP endpoint, and the
//! log line. Built once per isolate; nothing here depends on the Workers runtime.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::json;

use crate::auth::oauth::grant::{Op, Reply};
use crate::auth::oauth::{self, AuthServer, Io};
use crate::auth::{AuthError, Caller, Gate, Principal};
use crate::camunda::client::Cluster;
use crate::camunda::credentials::UpstreamAuth;
use crate::camunda::credentials::{Credentials, MachineToken};
use crate::camunda::processes;
use crate::camunda::tools::{Catalogue, ToolClass};
use crate::config::Config;
use crate::confirm;
use crate::http::{BodySource, Request, Response, TraceContext};
use crate::landing;
use crate::mcp::era::{self, Lane, Params};
use crate::mcp::jsonrpc::{self, ErrorCode, Id, Incoming, RpcError};
use crate::mcp::transport;
use crate::policy::{binding_name, Policy};
use crate::ports::Grants;
use crate::ports::HttpClient;
use crate::ports::Signatures;
use crate::ports::{LimitCheck, Limiter, NoLimits};
use crate::ports::{NoStore, Sealer, Store};
use crate::routes::METADATA_PATH;
use crate::routes::{Destination, Kind, Target, MCP_PATH};
use crate::server::{Endpoint, Offer, ProcessesOffer, Server};
use crate::settings::ConfigError;

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
    /// Who called (audit record only).
    #[serde(skip)]
    pub principal: Principal,
    /// Why a `tools/call` was refused before reaching the cluster (`unknown_tool`,
    /// `insufficient_scope`, `rate_limited`, …).
    pub refused: Option<&'static str>,
    /// The argument names of a `tools/call`, when `MCP_AUDIT_ARGUMENTS=keys` (audit only).
    #[serde(skip)]
    pub argument_keys: Option<Vec<String>>,
    /// `MCP_CONFIRM_WRITES`: what became of the confirmation (`asked`, `accepted`, `declined`,
    /// `refused_state`) and the state's nonce, which shows a replayed acceptance (audit only).
    #[serde(skip)]
    pub confirmation: Option<(&'static str, String)>,
}

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
                    reason: "not a tool of this gateway (the 18 tools and the toolsets turned on)"
                        .into(),
                });
            }
        }
        let gate = Gate::new(&config.auth, signatures.clone());
        let machine = match &config.upstream {
            UpstreamAuth::ClientCredentials(settings) => Some(MachineToken::new(settings.clone())),
            _ => None,
        };
        Ok(App {
            config,
            server,
            gate,
            policy,
            limited: Vec::new(),
            machine,
            sealer: signatures,
        })
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
    ) -> (Response, Trace) {
        let outside = Outside {
            client,
            limits: &NoLimits,
            store: &NoStore,
        };
        self.serve(req, req.body.as_slice(), &outside, now).await
    }

    /// Answers one request whose body comes from `body`, read only once the caller is admitted;
    /// `limits` are the rate limits of tool calls.
    pub async fn serve<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
    ) -> (Response, Trace) {
        let mut trace = Trace::default();
        let is_get = req.method == "GET" || req.method == "HEAD";
        let routes = &self.config.routes;
        let resp = if let Some(target) = routes.target(&req.path) {
            trace.region = target.dest.region.map(str::to_owned);
            trace.cluster = target.dest.cluster.map(str::to_owned);
            trace.tenant = target.dest.tenant.map(str::to_owned);
            self.mcp(req, body, outside, now, &target, &mut trace).await
        } else if let (Gate::OAuth(server), true) = (&self.gate, oauth::is_route(&req.path)) {
            self.authorization(server, req, body, outside, now, &mut trace)
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
        (self.with_cors(req, resp), trace)
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
        trace: &mut Trace,
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
            match outside.limits.check(binding, || key).await {
                LimitCheck::Exceeded => return oauth::limited(&req.path),
                LimitCheck::Failed(why) => trace.auth = Some(format!("rate limiter failed: {why}")),
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
            trace.auth = handled.note;
        }
        handled.response
    }

    #[allow(clippy::too_many_lines)] // still one block; splitting it into named stages is the open part of issue 23
    async fn mcp<'b, C: HttpClient, L: Limiter, K: Store + Grants<Op, Reply>>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        outside: &Outside<'_, C, L, K>,
        now: u64,
        target: &Target<'_>,
        trace: &mut Trace,
    ) -> Response {
        let client = outside.client;
        if req.method == "OPTIONS" {
            return self.preflight(req);
        }
        if let Err(refusal) = transport::check(req, &self.config.transport) {
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
        let dest = target.dest;
        let io = Io {
            client,
            store: outside.store,
            sealer: &self.sealer,
        };
        let resource = format!("{}{}", req.origin, target.path);
        let caller = match self.gate.admit(req, &io, now, &dest, &resource).await {
            Ok(caller) => caller,
            Err(err) => {
                trace.auth = Some(err.to_string());
                return err.response(&challenge(), None);
            }
        };
        trace.auth = caller.note.clone();
        let body = match body.read(self.config.transport.max_body_bytes).await {
            Ok(body) => body,
            Err(err) => {
                return transport::Refusal::of_body(&err, &self.config.transport).response(None)
            }
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
        let is_call = method == "tools/call";
        if is_call {
            trace.principal = caller.principal.clone();
            // Until the call gets further, it is refused for what its message got wrong.
            trace.refused = Some("invalid_request");
        }
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
        trace.refused = None;

        let offered = self.policy.offered(&dest);
        let scopes = caller.principal.scopes();
        let endpoint = match (target.kind, self.config.processes) {
            (Kind::Processes, Some(settings)) => {
                let open = |class| {
                    self.policy.class_offered(&dest, class)
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
        let offer = Offer {
            offered,
            listed: offered.and(self.policy.permitted(scopes)),
            private: self.policy.lists_per_caller(),
            endpoint,
        };
        if is_call {
            if self.policy.audit_argument_keys {
                trace.argument_keys = Some(argument_keys(&params));
            }
            let confirming = Confirming {
                lane,
                path: target.path,
                address: &target.address,
                now,
            };
            let checked = self
                .check_call(
                    req,
                    &params,
                    &offer,
                    &dest,
                    &caller,
                    &confirming,
                    outside.limits,
                    trace,
                )
                .await;
            if let Err(refusal) = checked {
                return match refusal {
                    CallRefusal::Scope(err) => {
                        let mut challenge = challenge();
                        if let AuthError::InsufficientScope { scope, .. } = &err {
                            challenge.scopes.push(scope.clone());
                        }
                        err.response(&challenge, Some(&id))
                    }
                    CallRefusal::Limited(err, retry_after) => error(429, Some(&id), &err)
                        .with_header("retry-after", retry_after.to_string()),
                    CallRefusal::Answer(result) => {
                        Response::json(200, jsonrpc::success_body(&id, &result))
                    }
                    CallRefusal::Invalid(err) => error(200, Some(&id), &err),
                };
            }
        }

        let mut cluster = Cluster::new(client, &self.config.cluster, &target.address);
        cluster.tenant = target.dest.tenant;
        cluster.now = now;
        cluster.credentials = match (&caller.person_token, &self.machine) {
            (Some(token), _) => Credentials::Bearer(token),
            (None, Some(machine)) => Credentials::Machine(machine),
            (None, None) => Credentials::Forward(req.header("authorization")),
        };
        cluster.trace = trace_context.as_ref();
        let outcome = self
            .server
            .dispatch(lane, &cluster, &method, &params, &offer)
            .await;
        trace.tool = outcome.tool;
        trace.tool_error = outcome.tool_error;
        trace.upstream = outcome.upstream;
        trace.refused = outcome.refused;
        // With Basic credentials, the cluster is the judge: its 401 becomes ours, so
        // clients ask for credentials again instead of showing a tool error.
        if matches!(self.gate, Gate::Basic) && outcome.upstream == Some(401) {
            let refused = AuthError::InvalidToken("the cluster refused these credentials".into());
            return refused.response(&challenge(), Some(&id));
        }
        match outcome.answer {
            Ok(result) => Response::json(200, jsonrpc::success_body(&id, &result)),
            Err(err) => error(200, Some(&id), &err),
        }
    }

    /// The policy's questions for a `tools/call` of an offered tool: may this caller call it,
    /// and is it within its rate limit? A tool not offered is left to the dispatcher, which
    /// answers as if it did not exist.
    #[allow(clippy::too_many_arguments)] // the request's parts the policy reads, each once
    async fn check_call<L: Limiter>(
        &self,
        req: &Request,
        params: &Params<'_>,
        offer: &Offer,
        dest: &Destination<'_>,
        caller: &Caller,
        confirming: &Confirming<'_>,
        limits: &L,
        trace: &mut Trace,
    ) -> Result<(), CallRefusal> {
        let Some(name) = era::string(params.name) else {
            return Ok(());
        };
        // The tool's class and the scope it needs, if it is offered here at all.
        let (class, scope) = match offer.endpoint {
            Endpoint::Cluster => {
                let catalogue = self.server.catalogue();
                let Some(index) = catalogue
                    .index(&name)
                    .filter(|&i| offer.offered.contains(i))
                else {
                    return Ok(());
                };
                let permitted = offer.listed.contains(index);
                let scope = (!permitted).then(|| self.policy.scope_of(index));
                (self.policy.class_of(index), scope.flatten())
            }
            Endpoint::Processes(_) => {
                let class = if name == processes::GET_PROCESS_STATE {
                    ToolClass::Read
                } else {
                    ToolClass::Write
                };
                if !self.policy.class_offered(dest, class) {
                    return Ok(());
                }
                let permitted = self
                    .policy
                    .class_permitted(caller.principal.scopes(), class);
                (
                    class,
                    (!permitted)
                        .then(|| self.policy.class_scope(class))
                        .flatten(),
                )
            }
        };
        trace.tool = Some(name.chars().take(64).collect());
        if let Some(scope) = scope {
            trace.refused = Some("insufficient_scope");
            return Err(CallRefusal::Scope(AuthError::InsufficientScope {
                scope: scope.to_owned(),
                tool: trace.tool.clone(),
            }));
        }
        // Asked before the rate limit: only a call that runs counts.
        self.confirmation(req, params, &name, class, caller, confirming, trace)?;
        let key = || caller.principal.rate_key(req.header("cf-connecting-ip"));
        match limits.check(binding_name(class), key).await {
            LimitCheck::Unlimited | LimitCheck::Allowed => Ok(()),
            LimitCheck::Failed(why) => {
                trace.auth = Some(format!("rate limiter failed, call let through: {why}"));
                Ok(())
            }
            LimitCheck::Exceeded => {
                trace.refused = Some("rate_limited");
                let binding = binding_name(class);
                let limit = self.policy.limit_of(class);
                let retry_after = limit.map_or(60, |l| l.period_s);
                let rule = match limit {
                    Some(l) => format!("{} calls per {} s", l.limit, l.period_s),
                    None => "the limit set in wrangler.toml".to_owned(),
                };
                let err = RpcError::new(
                    ErrorCode::RATE_LIMITED,
                    format!(
                        "Rate limit exceeded: {} tools allow {rule} for each caller ({binding}); \
                         retry after {retry_after} s",
                        class.name()
                    ),
                )
                .with_data(json!({
                    "limit": binding,
                    "class": class.name(),
                    "max": limit.map(|l| l.limit),
                    "periodSeconds": limit.map(|l| l.period_s),
                    "retryAfterSeconds": retry_after,
                }));
                Err(CallRefusal::Limited(err, retry_after))
            }
        }
    }

    /// Ask before acting (`MCP_CONFIRM_WRITES`): on the 2026-07-28 lane, for a client that can
    /// elicit, a covered call runs only once the person has accepted this very call. Clients
    /// that cannot ask (and the 2025 lane, which cannot carry the question) run as before; a
    /// platform team pairs them with read-only routes or scopes (README).
    #[allow(clippy::too_many_arguments)] // the request's parts a confirmation binds, each once
    fn confirmation(
        &self,
        req: &Request,
        params: &Params<'_>,
        name: &str,
        class: ToolClass,
        caller: &Caller,
        confirming: &Confirming<'_>,
        trace: &mut Trace,
    ) -> Result<(), CallRefusal> {
        let Some(confirm) = &self.config.confirm else {
            return Ok(());
        };
        let capabilities = params.meta.as_ref().and_then(|m| m.client_capabilities);
        if !confirm.covers(name, class == ToolClass::Write)
            || confirming.lane != Lane::Modern
            || !confirm::client_elicits(capabilities.map(|c| c.get()))
        {
            return Ok(());
        }
        // Computed only for a covered call: hashing for nothing is per-call work.
        let who = caller.principal.rate_key(req.header("cf-connecting-ip"));
        let who = confirm_caller(&caller.principal, &who, req.header("authorization"));
        // The state's MAC binds the route; nothing of it is written into the client's hands.
        let route = format!("{} {}", confirming.path, confirming.address);
        let call = confirm::Call {
            caller: &who,
            route: &route,
            tool: name,
            arguments: params.arguments.map(|a| a.get()),
            now: confirming.now,
        };
        let request_state = era::string(params.request_state);
        let answer = confirm::Answer {
            request_state: request_state.as_deref(),
            input_responses: params.input_responses.map(|r| r.get()),
        };
        // What is asked is built from the call itself: fetching the incident or instance first
        // would add a cluster round trip to every question, and its answer could differ from
        // what the call then acts on.
        let message = || confirm::message(name, confirming.path, call.arguments);
        match confirm.decide(&call, &answer, message) {
            confirm::Decision::Accepted(nonce) => {
                trace.confirmation = Some(("accepted", nonce));
                Ok(())
            }
            confirm::Decision::Ask(mut members, nonce) => {
                trace.confirmation = Some(("asked", nonce));
                trace.refused = Some("confirmation_asked");
                members["resultType"] = json!("input_required");
                Err(CallRefusal::Answer(members.to_string()))
            }
            confirm::Decision::Declined(nonce) => {
                trace.confirmation = Some(("declined", nonce));
                trace.refused = Some("confirmation_declined");
                let text = format!(
                    "Not done: the person declined to confirm {name}. Nothing was sent to the cluster."
                );
                let result = json!({"resultType": "complete", "isError": true,
                    "content": [{"type": "text", "text": text}]});
                Err(CallRefusal::Answer(result.to_string()))
            }
            confirm::Decision::Refused(why) => {
                trace.confirmation = Some(("refused_state", String::new()));
                trace.refused = Some("confirmation_refused");
                let err = RpcError::invalid_params(format!(
                    "Invalid params: {why}. Nothing was sent to the cluster."
                ));
                Err(CallRefusal::Invalid(err))
            }
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
    pub limits: &'a L,
    pub store: &'a K,
}

/// Why the policy stopped a `tools/call` of an offered tool.
enum CallRefusal {
    /// HTTP 403 with a step-up challenge.
    Scope(AuthError),
    /// HTTP 429; the seconds for `Retry-After`.
    Limited(RpcError, u32),
    /// A result instead of the call: the person is asked first, or declined.
    Answer(String),
    /// A confirmation that does not hold (tampered, expired, for another call).
    Invalid(RpcError),
}

/// What a confirmation of a `tools/call` is bound to besides the call itself.
struct Confirming<'a> {
    lane: Lane,
    /// The MCP path as called, and the cluster it reaches.
    path: &'a str,
    address: &'a str,
    now: u64,
}

/// Who a confirmation is bound to: the caller's stable identity (a token's subject or client,
/// the Basic credential); where there is none (no auth at the edge, a token naming neither),
/// also the credentials the call would carry upstream, so another caller behind the same
/// address cannot use the state.
fn confirm_caller(principal: &Principal, who: &str, authorization: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let stable = match principal {
        Principal::Token {
            subject, client_id, ..
        } => subject.is_some() || client_id.is_some(),
        Principal::Basic { .. } => true,
        Principal::Anonymous => false,
    };
    match authorization {
        Some(credentials) if !stable => {
            let digest = Sha256::digest(credentials.as_bytes());
            let short: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("{who} {short}")
        }
        _ => who.to_owned(),
    }
}

/// The names of a call's arguments, for an audit record that must not hold their values.
fn argument_keys(params: &Params<'_>) -> Vec<String> {
    params
        .arguments
        .and_then(|raw| jsonrpc::strict_members(raw.get()).ok())
        .map(|members| {
            members
                .into_iter()
                .take(64)
                .map(|(name, _)| name.chars().take(64).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// A browser asking for a page (its `Accept` names HTML), not a client asking for JSON.
fn wants_html(req: &Request) -> bool {
    req.header("accept")
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/html")))
}

fn error(status: u16, id: Option<&Id>, err: &RpcError) -> Response {
    Response::json(status, jsonrpc::error_body(id, err))
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
        log: &'static str,
        method: &'a str,
        path: String,
        status: u16,
        #[serde(flatten)]
        trace: &'a Trace,
        ms: u64,
    }
    let line = Line {
        log: "access",
        method: &req.method,
        path: req.path.chars().take(200).collect(),
        status,
        trace,
        ms: duration_ms,
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// The audit record of a `tools/call` (`None` for any other request): who called which tool
/// where, and how it went, as one JSON line beside the access line. Never argument values,
/// never credentials. `at_ms` is when the request arrived (ms since the epoch).
pub fn audit_line(trace: &Trace, at_ms: u64, duration_ms: u64) -> Option<String> {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Who<'a> {
        Anonymous(&'static str),
        Basic {
            scheme: &'static str,
            user: &'a str,
        },
        Token {
            iss: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            sub: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            client_id: Option<&'a str>,
        },
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Audit<'a> {
        log: &'static str,
        time: String,
        principal: Who<'a>,
        region: Option<&'a str>,
        cluster: Option<&'a str>,
        tenant: Option<&'a str>,
        tool: Option<&'a str>,
        outcome: Cow<'static, str>,
        upstream: Option<u16>,
        ms: u64,
        traceparent: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        argument_keys: Option<&'a [String]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        confirmation_nonce: Option<&'a str>,
    }
    if trace.rpc.as_deref() != Some("tools/call") {
        return None;
    }
    let principal = match &trace.principal {
        Principal::Anonymous => Who::Anonymous("anonymous"),
        Principal::Basic { user, .. } => Who::Basic {
            scheme: "basic",
            user,
        },
        Principal::Token {
            issuer,
            subject,
            client_id,
            ..
        } => Who::Token {
            iss: issuer,
            sub: subject.as_deref(),
            client_id: client_id.as_deref(),
        },
    };
    let outcome = match (trace.refused, trace.tool_error) {
        (Some(reason), _) => Cow::Owned(format!("refused:{reason}")),
        (None, true) => Cow::Borrowed("tool_error"),
        (None, false) => Cow::Borrowed("ok"),
    };
    let record = Audit {
        log: "audit",
        time: utc_timestamp(at_ms),
        principal,
        region: trace.region.as_deref(),
        cluster: trace.cluster.as_deref(),
        tenant: trace.tenant.as_deref(),
        tool: trace.tool.as_deref(),
        outcome,
        upstream: trace.upstream,
        ms: duration_ms,
        traceparent: trace.traceparent.as_deref(),
        argument_keys: trace.argument_keys.as_deref(),
        confirmation: trace.confirmation.as_ref().map(|c| c.0),
        confirmation_nonce: trace
            .confirmation
            .as_ref()
            .map(|c| c.1.as_str())
            .filter(|n| !n.is_empty()),
    };
    serde_json::to_string(&record).ok()
}

/// RFC 3339 UTC with milliseconds, from ms since the epoch (days to a civil date by Howard
/// Hinnant's algorithm): one small function instead of a date crate in the upload.
fn utc_timestamp(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// The JSON-RPC answer to a server fault; kept here so adapters need not know the codes.
pub fn internal_error(message: &str) -> Response {
    let err = RpcError::new(ErrorCode::INTERNAL_ERROR, message);
    error(500, None, &err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_timestamp(1_796_184_000_123), "2026-12-02T04:00:00.123Z");
    }
}
