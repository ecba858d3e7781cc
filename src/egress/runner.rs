//! The egress role: a Worker with no public route that runs the calls an edge hands over.
//! It trusts nothing but the envelope's signature, and runs an envelope only once and only
//! before its time is up. It judges no caller: the edge did, and signed what it admitted.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::json;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::envelope::{
    Done, Envelope, Handback, Job, Key, Refused, WireClient, WireCredentials, HANDOVER_PATH,
    VERSION,
};
use super::remote::DEFAULT_REGION;
use crate::camunda::client::{Called, Cluster};
use crate::camunda::credentials::{Credentials, MachineToken};
use crate::camunda::flow;
use crate::camunda::processes::{Outcome, Unavailable};
use crate::camunda::schema::Arguments;
use crate::camunda::tools::{Catalogue, HintMode};
use crate::camunda::toolsets::Toolset;
use crate::http::{BodyError, BodySource, Request, Response};
use crate::mcp::jsonrpc;
use crate::ports::HttpClient;
use crate::routes::ApiVersion;

/// How far an envelope's `issuedMs` may lie ahead of this Worker's clock (clocks of two
/// Cloudflare machines differ by far less).
const SKEW_MS: u64 = 30_000;
/// The longest an envelope may be valid: the longest CAMUNDA_REQUEST_TIMEOUT_MS.
const MAX_WINDOW_MS: u64 = 600_000;
/// Nonces remembered at most; a full memory refuses (503) until envelopes expire.
const MAX_NONCES: usize = 100_000;
/// Machine clients whose tokens are cached.
const MAX_MACHINES: usize = 16;
/// Room in a hand-over's body besides the call's arguments.
const ENVELOPE_ROOM: usize = 64 << 10;

/// What the egress did with one request, for its access line.
#[derive(Debug, Default)]
pub struct Ran {
    /// The job's tool (or `tools/list`), once the envelope was read.
    pub job: Option<String>,
    pub binding: Option<String>,
    pub region: Option<String>,
    pub upstream: Option<u16>,
    pub tool_error: bool,
    /// Why a hand-over was refused ([`Refused::code`]).
    pub refused: Option<&'static str>,
}

/// The egress's state for the life of the isolate.
pub struct Runner {
    keys: Vec<Key>,
    /// The region this egress serves (`MCP_EGRESS_REGION`), if it is told.
    region: Option<String>,
    max_body_bytes: usize,
    /// Nonces run, each until its envelope expires.
    seen: RefCell<HashMap<String, u64>>,
    machines: RefCell<Vec<([u8; 32], Rc<MachineToken>)>>,
    /// Every tool of every toolset, per API version: the edge decided what is offered.
    catalogues: [OnceCell<Catalogue>; 2],
}

impl Runner {
    /// `max_body_bytes`: the largest MCP request body an edge takes (`MCP_MAX_BODY_BYTES`).
    pub fn new(keys: Vec<Key>, region: Option<String>, max_body_bytes: usize) -> Self {
        Runner {
            keys,
            region,
            max_body_bytes,
            seen: RefCell::default(),
            machines: RefCell::default(),
            catalogues: Default::default(),
        }
    }

    /// Answers one request to the egress.
    pub async fn serve<'b, C: HttpClient>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        client: &C,
    ) -> (Response, Ran) {
        let mut ran = Ran::default();
        let is_get = req.method == "GET" || req.method == "HEAD";
        let answer = match (req.path.as_str(), req.method.as_str()) {
            ("/healthz", _) if is_get => Ok(Response::json(
                200,
                json!({"status": "ok", "role": "egress", "version": env!("CARGO_PKG_VERSION")})
                    .to_string(),
            )),
            (HANDOVER_PATH, "POST") => self.handover(req, body, client, &mut ran).await,
            (HANDOVER_PATH, _) => Err(Refused::Method),
            _ => Err(Refused::Path),
        };
        let resp = answer.unwrap_or_else(|refused| {
            ran.refused = Some(refused.code());
            let body = json!({"error": "handover_refused", "reason": refused.code(),
                "message": refused.message()});
            Response::json(refused.status(), body.to_string())
        });
        (resp, ran)
    }

    async fn handover<'b, C: HttpClient>(
        &self,
        req: &Request,
        body: impl BodySource<'b>,
        client: &C,
        ran: &mut Ran,
    ) -> Result<Response, Refused> {
        let signature = req.header("authorization").ok_or(Refused::Unsigned)?;
        let body = body
            .read(self.max_body_bytes + ENVELOPE_ROOM)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => Refused::TooLarge,
                _ => Refused::Body,
            })?;
        if !self.keys.iter().any(|k| k.verifies(signature, &body)) {
            return Err(Refused::Forged);
        }
        // What serde says could quote the envelope (credentials): only the code goes out.
        let envelope: Envelope = serde_json::from_slice(&body).map_err(|_| Refused::Unreadable)?;
        ran.job = Some(envelope.job.name().chars().take(64).collect());
        ran.binding = Some(envelope.binding.chars().take(64).collect());
        ran.region.clone_from(&envelope.region);
        let now = client.now_ms();
        self.admit(&envelope, now)?;
        let called = self.run(envelope, client, now).await?;
        ran.upstream = called.upstream;
        ran.tool_error = matches!(called.result, Done::Problem(_) | Done::Invalid(_));
        let back = Handback {
            upstream: called.upstream,
            done: called.result,
            placement: None,
        };
        // Serialising the hand-back (strings, numbers, raw JSON) cannot fail.
        let body = serde_json::to_string(&back).unwrap_or_default();
        Ok(Response::json(200, body))
    }

    /// Whether a signed envelope may run here and now: this format, this egress's region,
    /// within its time, never seen.
    fn admit(&self, envelope: &Envelope, now: u64) -> Result<(), Refused> {
        if envelope.v != VERSION {
            return Err(Refused::Version);
        }
        let for_region = envelope.region.as_deref().unwrap_or(DEFAULT_REGION);
        if self
            .region
            .as_deref()
            .is_some_and(|mine| mine != for_region)
        {
            return Err(Refused::WrongEgress);
        }
        if now > envelope.expires_ms {
            return Err(Refused::Expired);
        }
        let window = envelope.expires_ms.saturating_sub(envelope.issued_ms);
        if envelope.issued_ms > now + SKEW_MS || window > MAX_WINDOW_MS {
            return Err(Refused::OutOfBounds);
        }
        let mut seen = self.seen.borrow_mut();
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, until| *until >= now);
        }
        if seen.len() >= MAX_NONCES {
            return Err(Refused::Busy);
        }
        match seen.insert(envelope.nonce.clone(), envelope.expires_ms) {
            Some(_) => Err(Refused::Replayed),
            None => Ok(()),
        }
    }

    /// Runs the envelope's job on its cluster, with its credentials, within its time.
    async fn run<C: HttpClient>(
        &self,
        envelope: Envelope,
        client: &C,
        now: u64,
    ) -> Result<Called<Done>, Refused> {
        let machine;
        let credentials = match &envelope.credentials {
            WireCredentials::Forward(header) => Credentials::Forward(header.as_deref()),
            WireCredentials::Bearer(token) => Credentials::Bearer(token),
            WireCredentials::Machine(settings) => {
                machine = self.machine(settings);
                Credentials::Machine(&machine)
            }
        };
        let limits = envelope.limits;
        let mut cluster = Cluster::new(client, &limits, &envelope.address);
        cluster.tenant = envelope.tenant.as_deref();
        cluster.credentials = credentials;
        cluster.now = now / 1000;
        cluster.trace = envelope.trace.as_ref();
        // The call's REST calls share its time (the edge kept a margin to hear the answer).
        let budget = u64::from(limits.request_timeout_ms);
        cluster.deadline_ms = Some((now + budget).min(envelope.expires_ms));
        match envelope.job {
            Job::Tool { name, arguments } => {
                let raw = arguments.as_deref().map(RawValue::get);
                self.tool(&cluster, envelope.api_version, &name, raw).await
            }
            Job::ProcessList => {
                let Called { result, upstream } = cluster.process_tools().await;
                let result = result.map_or_else(Done::from, Done::Tools);
                Ok(Called { result, upstream })
            }
            Job::Process {
                name,
                arguments,
                correlation_key,
            } => Ok(process(&cluster, &name, arguments.as_deref(), &correlation_key).await),
        }
    }

    /// A catalogue tool's call.
    async fn tool<C: HttpClient>(
        &self,
        cluster: &Cluster<'_, C>,
        version: ApiVersion,
        name: &str,
        raw: Option<&str>,
    ) -> Result<Called<Done>, Refused> {
        let catalogue = self.catalogues[usize::from(version == ApiVersion::V8_10)]
            .get_or_init(|| Catalogue::with_toolsets(version, HintMode::Camunda, &Toolset::ALL));
        let index = catalogue.index(name).ok_or(Refused::UnknownTool)?;
        let tool = &catalogue.tools()[index];
        let arguments = match raw {
            None | Some("null") => Ok(Arguments::default()),
            Some(raw) => Arguments::read(&tool.fields, raw),
        };
        Ok(match arguments {
            Ok(arguments) => {
                let Called { result, upstream } = flow::call(cluster, tool, arguments).await;
                let result = result.map_or_else(Done::from, Done::result);
                Called { result, upstream }
            }
            Err(why) => Called {
                result: Done::Invalid(why),
                upstream: None,
            },
        })
    }

    /// The isolate's token cache of one machine client (the edge's settings, as sent).
    fn machine(&self, settings: &WireClient) -> Rc<MachineToken> {
        let mut digest = Sha256::new();
        for part in [
            &settings.token_url,
            &settings.client_id,
            &settings.client_secret.0,
        ] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        for part in [&settings.audience, &settings.scope] {
            digest.update(part.as_deref().unwrap_or_default().as_bytes());
            digest.update([0]);
        }
        let id: [u8; 32] = digest.finalize().into();
        let mut machines = self.machines.borrow_mut();
        if let Some((_, token)) = machines.iter().find(|(k, _)| *k == id) {
            return token.clone();
        }
        if machines.len() >= MAX_MACHINES {
            machines.remove(0);
        }
        let token = Rc::new(MachineToken::new(settings.clone().into()));
        machines.push((id, token.clone()));
        token
    }
}

/// A process tool's call, its arguments read as the edge read them (an object, or none).
async fn process<C: HttpClient>(
    cluster: &Cluster<'_, C>,
    name: &str,
    raw: Option<&RawValue>,
    correlation_key: &str,
) -> Called<Done> {
    let arguments = match raw.map(RawValue::get) {
        None | Some("null") => Ok(serde_json::Map::new()),
        Some(raw) => match jsonrpc::strict_value(raw) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err("arguments: must be an object".to_owned()),
            Err(why) => Err(format!("arguments: {why}")),
        },
    };
    let arguments = match arguments {
        Ok(arguments) => arguments,
        Err(why) => {
            return Called {
                result: Done::Invalid(why),
                upstream: None,
            }
        }
    };
    let Called { result, upstream } = cluster
        .call_process_tool(name, arguments, correlation_key)
        .await;
    let result = match result {
        Outcome::Result(result) => result.map_or_else(Done::from, Done::result),
        Outcome::Unavailable(Unavailable::NotFound(name)) => Done::Unavailable {
            name,
            removed: false,
        },
        Outcome::Unavailable(Unavailable::Removed(name)) => Done::Unavailable {
            name,
            removed: true,
        },
    };
    Called { result, upstream }
}
