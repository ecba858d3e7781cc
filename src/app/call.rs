//! The policy stage of a `tools/call`: the tool is resolved once, then the policy's questions are
//! asked in order — is it offered on this route, may this caller call it, has a person confirmed
//! it (where that is asked), is the caller within its rate limit. What it finds goes to the
//! audit record; what it resolves goes to dispatch, which looks nothing up again. A process tool
//! of `/mcp/processes` is resolved by its class here; whether the cluster has such a process
//! is the cluster's answer, found when the call runs.

use serde_json::json;

use super::stop::Stop;
use crate::auth::{AuthError, Principal};
use crate::camunda::processes;
use crate::camunda::tools::{Catalogue, Tool, ToolClass};
use crate::confirm::{self, Confirm};
use crate::http::Request;
use crate::mcp::era::{self, Lane, Params};
use crate::mcp::jsonrpc::{self, ErrorCode, Id, RpcError};
use crate::policy::{binding_name, Policy};
use crate::ports::{LimitCheck, Limiter};
use crate::routes::{Destination, Target};
use crate::server::{Endpoint, Offer};

/// What the policy stage decides with: settings and the catalogue, fixed per isolate.
pub(super) struct Rules<'a> {
    pub policy: &'a Policy,
    pub catalogue: &'a Catalogue,
    pub confirm: Option<&'a Confirm>,
}

/// One `tools/call` as the policy sees it.
pub(super) struct Asked<'r> {
    pub req: &'r Request,
    pub id: &'r Id,
    pub params: &'r Params<'r>,
    pub lane: Lane,
    pub target: &'r Target<'r>,
    pub principal: &'r Principal,
    pub offer: &'r Offer,
    pub now: u64,
}

/// The tool an admitted call runs: found once, here.
pub(super) enum Resolved<'a> {
    /// A catalogue tool of `/mcp/cluster`.
    Tool(&'a Tool),
    /// A process tool of `/mcp/processes`, by name.
    Process(String),
}

/// What the stage found, whatever it decided, for the audit record.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// The tool named (at most 64 characters), once the name is a string.
    pub tool: Option<String>,
    /// `MCP_AUDIT_ARGUMENTS=keys`: the argument names.
    pub argument_keys: Option<Vec<String>>,
    /// What became of a confirmation, and the state's nonce.
    pub confirmation: Option<(&'static str, String)>,
    /// A rate limiter that failed (the call went ahead).
    pub limiter_failed: Option<String>,
}

impl<'a> Rules<'a> {
    /// Resolves and admits the call, or says why not.
    pub async fn check_call<L: Limiter>(
        &self,
        asked: &Asked<'_>,
        limiters: &L,
        found: &mut Found,
    ) -> Result<Resolved<'a>, Stop> {
        if self.policy.audit_argument_keys {
            found.argument_keys = Some(argument_keys(asked.params));
        }
        let name = era::string(asked.params.name).ok_or_else(|| {
            let err = RpcError::invalid_params(
                "Invalid params: \"name\" must be the name of a tool (a string)",
            );
            Stop::refused_call(asked.id, err, "invalid_params")
        })?;
        found.tool = Some(name.chars().take(64).collect());
        let (resolved, class, scope) = self.resolve(asked, &name)?;
        if let Some(scope) = scope {
            let err = AuthError::InsufficientScope {
                scope: scope.to_owned(),
                tool: found.tool.clone(),
            };
            return Err(Stop::StepUp(err, asked.id.clone()));
        }
        // Asked before the rate limit: only a call that runs counts.
        self.confirmation(asked, &name, class, found)?;
        let key = || {
            asked
                .principal
                .rate_key(asked.req.header("cf-connecting-ip"))
        };
        match limiters.check(binding_name(class), key).await {
            LimitCheck::Unlimited | LimitCheck::Allowed => Ok(resolved),
            LimitCheck::Failed(why) => {
                found.limiter_failed = Some(why);
                Ok(resolved)
            }
            LimitCheck::Exceeded => Err(self.limited(asked.id, class)),
        }
    }

    /// The tool `name` names on this route, its class, and the scope the caller lacks for it,
    /// if any. A tool not offered here does not exist for the caller.
    fn resolve(
        &self,
        asked: &Asked<'_>,
        name: &str,
    ) -> Result<(Resolved<'a>, ToolClass, Option<&'a str>), Stop> {
        let unknown = || {
            let err = RpcError::invalid_params(format!("Unknown tool: {name}"));
            Stop::refused_call(asked.id, err, "unknown_tool")
        };
        let scopes = asked.principal.scopes();
        match asked.offer.endpoint {
            Endpoint::Cluster => {
                let index = self
                    .catalogue
                    .index(name)
                    .filter(|&i| asked.offer.offered.contains(i))
                    .ok_or_else(unknown)?;
                // Not callable means a scope is missing; should none be named, refuse anyway.
                let scope = (!asked.offer.listed.contains(index))
                    .then(|| self.policy.scope_of(index).unwrap_or_default());
                let tool = &self.catalogue.tools()[index];
                Ok((Resolved::Tool(tool), self.policy.class_of(index), scope))
            }
            Endpoint::Processes(_) => {
                let class = if name == processes::GET_PROCESS_STATE {
                    ToolClass::Read
                } else {
                    ToolClass::Write
                };
                let dest: &Destination<'_> = &asked.target.dest;
                if !self.policy.class_offered(dest, class) {
                    return Err(unknown());
                }
                let permitted = self.policy.class_permitted(scopes, class);
                let scope = (!permitted)
                    .then(|| self.policy.class_scope(class))
                    .flatten();
                Ok((Resolved::Process(name.to_owned()), class, scope))
            }
        }
    }

    /// The 429 of a spent rate limit, saying which limit and when to retry.
    fn limited(&self, id: &Id, class: ToolClass) -> Stop {
        let binding = binding_name(class);
        let limit = self.policy.limit_of(class);
        let retry_after_s = limit.map_or(60, |l| l.period_s);
        let rule = match limit {
            Some(l) => format!("{} calls per {} s", l.limit, l.period_s),
            None => "the limit set in wrangler.toml".to_owned(),
        };
        let error = RpcError::new(
            ErrorCode::RATE_LIMITED,
            format!(
                "Rate limit exceeded: {} tools allow {rule} for each caller ({binding}); \
                 retry after {retry_after_s} s",
                class.name()
            ),
        )
        .with_data(json!({
            "limit": binding,
            "class": class.name(),
            "max": limit.map(|l| l.limit),
            "periodSeconds": limit.map(|l| l.period_s),
            "retryAfterSeconds": retry_after_s,
        }));
        Stop::Limited {
            id: id.clone(),
            error: Box::new(error),
            retry_after_s,
        }
    }

    /// Ask before acting (`MCP_CONFIRM_WRITES`): on the 2026-07-28 lane, for a client that can
    /// elicit, a covered call runs only once the person has accepted this very call. Clients
    /// that cannot ask (and the 2025 lane, which cannot carry the question) run as before; a
    /// platform team pairs them with read-only routes or scopes (docs/confirm.md).
    fn confirmation(
        &self,
        asked: &Asked<'_>,
        name: &str,
        class: ToolClass,
        found: &mut Found,
    ) -> Result<(), Stop> {
        let Some(confirm) = self.confirm else {
            return Ok(());
        };
        let params = asked.params;
        let capabilities = params.meta.as_ref().and_then(|m| m.client_capabilities);
        if !confirm.covers(name, class == ToolClass::Write)
            || asked.lane != Lane::Modern
            || !confirm::client_elicits(capabilities.map(|c| c.get()))
        {
            return Ok(());
        }
        // Computed only for a covered call: hashing for nothing is per-call work.
        let who = asked
            .principal
            .rate_key(asked.req.header("cf-connecting-ip"));
        let who = confirm_caller(asked.principal, &who, asked.req.header("authorization"));
        // The state's MAC binds the route; nothing of it is written into the client's hands.
        let route = format!("{} {}", asked.target.path, asked.target.address);
        let call = confirm::Call {
            caller: &who,
            route: &route,
            tool: name,
            arguments: params.arguments.map(|a| a.get()),
            now: asked.now,
        };
        let request_state = era::string(params.request_state);
        let answer = confirm::Answer {
            request_state: request_state.as_deref(),
            input_responses: params.input_responses.map(|r| r.get()),
        };
        // What is asked is built from the call itself: fetching the incident or instance first
        // would add a cluster round trip to every question, and its answer could differ from
        // what the call then acts on.
        let message = || confirm::message(name, asked.target.path, call.arguments);
        let id = asked.id;
        match confirm.decide(&call, &answer, message) {
            confirm::Decision::Accepted(nonce) => {
                found.confirmation = Some(("accepted", nonce));
                Ok(())
            }
            confirm::Decision::Ask(mut members, nonce) => {
                found.confirmation = Some(("asked", nonce));
                members["resultType"] = json!("input_required");
                Err(Stop::Answer {
                    id: id.clone(),
                    result: members.to_string(),
                    refused: "confirmation_asked",
                })
            }
            confirm::Decision::Declined(nonce) => {
                found.confirmation = Some(("declined", nonce));
                let text = format!(
                    "Not done: the person declined to confirm {name}. Nothing was sent to the cluster."
                );
                let result = json!({"resultType": "complete", "isError": true,
                    "content": [{"type": "text", "text": text}]});
                Err(Stop::Answer {
                    id: id.clone(),
                    result: result.to_string(),
                    refused: "confirmation_declined",
                })
            }
            confirm::Decision::Refused(why) => {
                found.confirmation = Some(("refused_state", String::new()));
                let err = RpcError::invalid_params(format!(
                    "Invalid params: {why}. Nothing was sent to the cluster."
                ));
                Err(Stop::refused_call(id, err, "confirmation_refused"))
            }
        }
    }
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
