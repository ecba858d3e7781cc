//! MCP methods of a tools server, for both eras: `initialize`, `ping`, the resource and prompt
//! lists (both lanes; resources are the MCP App views the tools name, if any), `resources/read`,
//! `server/discover` (2026-07-28 lane), and `tools/list` and `tools/call` (both). One dispatcher
//! serves both lanes; the lane only decides which methods exist and how a result is framed
//! ([`Lane::Modern`] results carry `resultType`, `_meta` and, for lists, caching hints).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use crate::camunda::client::Cluster;
use crate::camunda::processes;
use crate::camunda::results::ToolError;
use crate::camunda::schema::Arguments;
use crate::camunda::tools::{Catalogue, Tool};
use crate::egress::Work;
use crate::mcp::era::{self, Lane, Params, ALL_VERSIONS, LEGACY_VERSIONS};
use crate::mcp::jsonrpc::{self, RpcError};
use crate::policy::ToolMask;
use crate::ports::HttpClient;
use crate::routes::{PROCESSES_SERVER_NAME, SERVER_NAME};
use crate::view::{self, View};

const INSTRUCTIONS: &str = "Tools for a Camunda 8 Orchestration Cluster. Every call runs with the \
caller's own permissions, so results show only what the caller may see. Reads come from a \
secondary store and are eventually consistent: an instance, incident or task created moments ago \
may not be found yet, so retry a search briefly before concluding it is missing. Process \
instances, their incidents, user tasks and variables are linked by processInstanceKey. Keys are \
int64 numbers; where a filter asks for a key as a string, pass its digits. When \
createProcessInstance with awaitCompletion times out, the instance is still running, not failed: \
tag instances when you start them and find them later with searchProcessInstances.";

const PROCESSES_INSTRUCTIONS: &str = "Each tool but getProcessState is a process of this \
Camunda 8 cluster: calling it starts a new instance, with the arguments as its variables, and \
returns the instance's processInstanceKey; follow it with getProcessState. Calls run with the \
caller's own permissions. The list comes from deployed processes whose start events are marked \
as tools, read with a short delay: a process deployed moments ago may not be listed yet.";

/// How long a modern client may reuse `server/discover` and `tools/list` results: the tools of
/// a deployment change only when it is redeployed.
const LIST_TTL_MS: u64 = 3_600_000;

/// Distinct tool lists kept per isolate (a list per combination of route gating and caller
/// scopes in use); past this the memo starts over.
const MAX_LISTS: usize = 64;

/// The tools one request may see and call, as the policy decided them.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// Offered on this route: any other tool is unknown.
    pub offered: ToolMask,
    /// Of those, the ones this caller may call: what `tools/list` shows.
    pub listed: ToolMask,
    /// The list depends on the caller (per-tool scopes), so caches must not share it.
    pub private: bool,
    pub endpoint: Endpoint,
}

/// Which of the two MCP servers a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/mcp/cluster`: the catalogue's tools.
    Cluster,
    /// `/mcp/processes`: the cluster's processes as tools.
    Processes(ProcessesOffer),
}

/// What `/mcp/processes` offers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessesOffer {
    /// `getProcessState` is offered to this caller.
    pub reads: bool,
    /// The process tools are offered to this caller.
    pub writes: bool,
    pub list_ttl_ms: u32,
    /// Dates the list cache.
    pub now_s: u64,
}

/// Process tool lists kept per cluster and credential (see `camunda::processes`).
const MAX_PROCESS_LISTS: usize = 256;

/// A caller's process tools, and until when (ms since the epoch) they are reused.
type ProcessList = (u64, Rc<Vec<Value>>);

/// What one dispatched request came to: its result or protocol error, and what the log line
/// and the authentication rules need to know of it.
#[derive(Debug)]
pub struct Outcome {
    pub answer: Result<String, RpcError>,
    /// The tool answered with `isError`.
    pub tool_error: bool,
    /// Status of the cluster's last answer, if it was called.
    pub upstream: Option<u16>,
    /// Why a `tools/call` was refused before the tool ran, for the audit record.
    pub refused: Option<&'static str>,
}

impl Outcome {
    fn of(answer: Result<String, RpcError>) -> Self {
        Outcome {
            answer,
            tool_error: false,
            upstream: None,
            refused: None,
        }
    }
}

/// What a server with no resource templates or prompts answers to their list methods (the
/// members of the result), in both lanes.
const EMPTY_LISTS: [(&str, &str); 2] = [
    ("resources/templates/list", r#""resourceTemplates":[]"#),
    ("prompts/list", r#""prompts":[]"#),
];

/// The MCP server of one deployment: the tool catalogue and every answer that does not depend
/// on the request, serialised once per isolate.
pub struct Server {
    catalogue: Catalogue,
    /// Who answers at `/mcp/cluster` and at `/mcp/processes`.
    cluster: Identity,
    processes: Identity,
    /// The catalogue's whole list in the modern lane.
    modern_list: String,
    /// `tools/list` results other than the whole public list, by (tools, modern, private).
    lists: RefCell<HashMap<(ToolMask, bool, bool), String>>,
    /// `/mcp/processes` lists by SHA-256 of (cluster address, credentials): until (ms), tools.
    process_lists: RefCell<HashMap<[u8; 32], ProcessList>>,
}

/// One MCP server's name and instructions, and the answers that follow from them alone.
struct Identity {
    name: &'static str,
    instructions: &'static str,
    /// `{"resultType":"complete","_meta":{serverInfo}`, the head of every modern result.
    modern_head: String,
    discover: String,
    /// `(method, legacy result, modern result)` of the lists that do not depend on the caller:
    /// resources and the empty ones.
    fixed_lists: Vec<(&'static str, String, String)>,
    /// `(uri, legacy result, modern result)` of `resources/read` of each view.
    reads: Vec<(&'static str, String, String)>,
}

impl Identity {
    /// `views`: the MCP App views this server's tools name (resources, and the Apps extension).
    fn new(name: &'static str, instructions: &'static str, views: &[&'static View]) -> Self {
        let server_info = json!({"name": name, "version": env!("CARGO_PKG_VERSION")});
        let modern_head = format!(
            r#"{{"resultType":"complete","_meta":{}"#,
            json!({"io.modelcontextprotocol/serverInfo": server_info})
        );
        // These are the same for every caller, so caches may share them.
        let hints = list_hints(false);
        let discover = json!({
            "supportedVersions": ALL_VERSIONS,
            "capabilities": capabilities(!views.is_empty()),
            "serverInfo": server_info,
            "instructions": instructions,
        })
        .to_string();
        let discover = format!("{modern_head},{hints},{}", &discover[1..]);
        let both = |members: &str| {
            let modern = format!("{modern_head},{hints},{members}}}");
            (format!("{{{members}}}"), modern)
        };
        let resources = json!(views.iter().map(|v| resource(v)).collect::<Vec<_>>());
        let resources = format!(r#""resources":{resources}"#);
        let fixed_lists = EMPTY_LISTS
            .iter()
            .map(|(method, members)| (*method, *members))
            .chain([("resources/list", resources.as_str())])
            .map(|(method, members)| {
                let (legacy, modern) = both(members);
                (method, legacy, modern)
            })
            .collect();
        let reads = views
            .iter()
            .map(|v| {
                let contents = json!([{"uri": v.uri, "mimeType": view::MIME_TYPE, "text": v.html, "_meta": ui_meta()}]);
                let (legacy, modern) = both(&format!(r#""contents":{contents}"#));
                (v.uri, legacy, modern)
            })
            .collect();
        Identity {
            name,
            instructions,
            modern_head,
            discover,
            fixed_lists,
            reads,
        }
    }

    /// `resources/read`: a view, prepared at start-up; anything else is not found (SEP-2164:
    /// invalid params naming what was asked).
    fn read(&self, lane: Lane, params: &Params<'_>) -> Result<String, RpcError> {
        let uri = era::string(params.uri);
        match self.reads.iter().find(|(u, ..)| Some(*u) == uri.as_deref()) {
            Some((_, legacy, _)) if lane == Lane::Legacy => Ok(legacy.clone()),
            Some((_, _, modern)) => Ok(modern.clone()),
            None => Err(RpcError::invalid_params(
                "Resource not found: resources/list names every resource this server has",
            )
            .with_data(json!({"uri": uri}))),
        }
    }

    /// A modern-lane result: the prepared head, then the members of `result`.
    fn framed(&self, result: &str) -> String {
        match result.strip_prefix('{') {
            Some("}") | None => format!("{}}}", self.modern_head),
            Some(members) => format!("{},{members}", self.modern_head),
        }
    }

    fn result_frame(&self, lane: Lane, result: &str) -> String {
        match lane {
            Lane::Legacy => result.to_owned(),
            Lane::Modern => self.framed(result),
        }
    }

    fn initialize(&self, params: &Params<'_>) -> Value {
        let asked = era::string(params.protocol_version);
        let version = asked
            .as_deref()
            .and_then(|v| LEGACY_VERSIONS.iter().find(|s| **s == v))
            .unwrap_or(&LEGACY_VERSIONS[0]);
        json!({
            "protocolVersion": version,
            "capabilities": capabilities(!self.reads.is_empty()),
            "serverInfo": {"name": self.name, "version": env!("CARGO_PKG_VERSION")},
            "instructions": self.instructions,
        })
    }
}

/// The caching hints of a modern list result.
fn list_hints(private: bool) -> String {
    let scope = if private { "private" } else { "public" };
    format!(r#""ttlMs":{LIST_TTL_MS},"cacheScope":"{scope}""#)
}

impl Server {
    pub fn new(catalogue: Catalogue) -> Self {
        let mut views: Vec<&'static View> = Vec::new();
        for view in catalogue
            .tools()
            .iter()
            .filter_map(|t| t.ui.map(|ui| ui.view))
        {
            if !views.iter().any(|v| v.uri == view.uri) {
                views.push(view);
            }
        }
        let cluster = Identity::new(SERVER_NAME, INSTRUCTIONS, &views);
        let tools = catalogue.list_json();
        let modern_list = format!(
            "{},{},{}",
            cluster.modern_head,
            list_hints(false),
            tools.strip_prefix('{').unwrap_or(tools)
        );
        Server {
            catalogue,
            cluster,
            processes: Identity::new(PROCESSES_SERVER_NAME, PROCESSES_INSTRUCTIONS, &[]),
            modern_list,
            lists: RefCell::default(),
            process_lists: RefCell::default(),
        }
    }

    fn identity(&self, offer: &Offer) -> &Identity {
        match offer.endpoint {
            Endpoint::Cluster => &self.cluster,
            Endpoint::Processes(_) => &self.processes,
        }
    }

    /// The `tools/list` result for `offer`: the prepared one when every tool is listed to
    /// everyone, else built once per distinct set and kept.
    fn tools_list(&self, lane: Lane, offer: &Offer) -> String {
        let modern = lane == Lane::Modern;
        if offer.listed.len() == self.catalogue.tools().len() && !offer.private {
            return if modern {
                self.modern_list.clone()
            } else {
                self.catalogue.list_json().to_owned()
            };
        }
        let key = (offer.listed, modern, offer.private);
        if let Some(hit) = self.lists.borrow().get(&key) {
            return hit.clone();
        }
        let members = self.catalogue.list_members(|i| offer.listed.contains(i));
        let json = if modern {
            let hints = list_hints(offer.private);
            format!("{},{hints},{members}}}", self.cluster.modern_head)
        } else {
            format!("{{{members}}}")
        };
        let mut lists = self.lists.borrow_mut();
        if lists.len() >= MAX_LISTS {
            lists.clear();
        }
        lists.insert(key, json.clone());
        json
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Answers one JSON-RPC request of `lane` (a modern one has passed `era::modern_checks`)
    /// other than `tools/call`, whose tool the policy resolves first ([`Server::call_tool`],
    /// [`Server::call_process`]).
    pub async fn dispatch<C: HttpClient>(
        &self,
        lane: Lane,
        work: &Work<'_, '_, C>,
        method: &str,
        params: &Params<'_>,
        offer: &Offer,
    ) -> Outcome {
        let legacy = lane == Lane::Legacy;
        let fixed = |json: &str| Outcome::of(Ok(json.to_owned()));
        let id = self.identity(offer);
        if let Some((_, old, new)) = id.fixed_lists.iter().find(|(m, ..)| *m == method) {
            return fixed(if legacy { old } else { new });
        }
        if method == "tools/list" && params.cursor.is_some_and(|c| c.get() != "null") {
            return Outcome::of(Err(RpcError::invalid_params(
                "Invalid params: unknown cursor; tools/list returns every tool in one page",
            )));
        }
        if let (Endpoint::Processes(processes), "tools/list") = (&offer.endpoint, method) {
            return self.process_list(lane, work, processes).await;
        }
        match method {
            "tools/list" => Outcome::of(Ok(self.tools_list(lane, offer))),
            "server/discover" if !legacy => fixed(&id.discover),
            "initialize" if legacy => Outcome::of(Ok(id.initialize(params).to_string())),
            "ping" if legacy => fixed("{}"),
            "resources/read" => Outcome::of(id.read(lane, params)),
            // SEP-2164: an unknown prompt is invalid params naming what was asked.
            "prompts/get" => Outcome::of(Err(RpcError::invalid_params(
                "Prompt not found: this server has no prompts",
            )
            .with_data(json!({"name": era::string(params.name)})))),
            _ => Outcome::of(Err(RpcError::method_not_found(method))),
        }
    }

    /// `tools/call` of `tool`, which the policy resolved and admitted on this route.
    pub async fn call_tool<C: HttpClient>(
        &self,
        lane: Lane,
        work: &Work<'_, '_, C>,
        tool: &Tool,
        params: &Params<'_>,
    ) -> Outcome {
        let mut outcome = Outcome::of(Ok(String::new()));
        let args = match params.arguments.map(|raw| raw.get()) {
            None | Some("null") => Ok(Arguments::default()),
            Some(raw) if !raw.starts_with('{') => {
                outcome.answer = Err(RpcError::invalid_params(
                    "Invalid params: \"arguments\" must be an object",
                ));
                outcome.refused = Some("invalid_params");
                return outcome;
            }
            Some(raw) => Arguments::read(&tool.fields, raw),
        };
        let args = match args {
            Ok(args) => args,
            // A repeated member is the model's (or a proxy's) mistake to see and fix.
            Err(why) => {
                outcome.tool_error = true;
                let err = ToolError::InvalidArgument(why);
                outcome.answer = Ok(self.cluster.result_frame(lane, &err.to_result()));
                return outcome;
            }
        };
        let raw = params.arguments.map(|raw| raw.get());
        let called = work.tool(tool, args, raw).await;
        outcome.upstream = called.upstream;
        let result = called.result.unwrap_or_else(|err| {
            outcome.tool_error = true;
            err.to_result()
        });
        outcome.answer = Ok(self.cluster.result_frame(lane, &result));
        outcome
    }

    /// `tools/list` of `/mcp/processes`: the caller's process tools, read from the cluster at
    /// most once per `list_ttl_ms` per cluster and credential.
    async fn process_list<C: HttpClient>(
        &self,
        lane: Lane,
        work: &Work<'_, '_, C>,
        offer: &ProcessesOffer,
    ) -> Outcome {
        let ProcessesOffer {
            reads,
            writes,
            list_ttl_ms,
            now_s,
        } = *offer;
        let now_ms = now_s.saturating_mul(1000);
        let key = process_list_key(work.cluster);
        let cached = self
            .process_lists
            .borrow()
            .get(&key)
            .filter(|(until, _)| now_ms < *until)
            .map(|(_, tools)| tools.clone());
        let mut outcome = Outcome::of(Ok(String::new()));
        let tools = match cached {
            Some(tools) => tools,
            None => {
                let listed = work.process_tools().await;
                outcome.upstream = listed.upstream;
                let tools: Rc<Vec<Value>> = match listed.result {
                    Ok(tools) => Rc::new(tools),
                    Err(err) => {
                        let problem = match &err {
                            ToolError::Problem(p) => serde_json::to_value(p).ok(),
                            ToolError::InvalidArgument(_) => None,
                        };
                        let mut rpc = RpcError::new(
                            jsonrpc::ErrorCode::INTERNAL_ERROR,
                            format!("The cluster's process tools could not be read: {err}"),
                        );
                        if let Some(problem) = problem {
                            rpc = rpc.with_data(problem);
                        }
                        outcome.answer = Err(rpc);
                        return outcome;
                    }
                };
                if list_ttl_ms > 0 {
                    let mut lists = self.process_lists.borrow_mut();
                    if lists.len() >= MAX_PROCESS_LISTS {
                        lists.retain(|_, (until, _)| now_ms < *until);
                        if lists.len() >= MAX_PROCESS_LISTS {
                            lists.clear();
                        }
                    }
                    let until = now_ms + u64::from(list_ttl_ms);
                    lists.insert(key, (until, tools.clone()));
                }
                tools
            }
        };
        let shown: Vec<&Value> = tools
            .iter()
            .filter(|t| {
                if t["name"] == processes::GET_PROCESS_STATE {
                    reads
                } else {
                    writes
                }
            })
            .collect();
        let members = format!(r#""tools":{}"#, json!(shown));
        outcome.answer = Ok(match lane {
            Lane::Legacy => format!("{{{members}}}"),
            Lane::Modern => format!(
                r#"{},"ttlMs":{list_ttl_ms},"cacheScope":"private",{members}}}"#,
                self.processes.modern_head
            ),
        });
        outcome
    }

    /// `tools/call` of process tool `name` at `/mcp/processes`, which the policy admitted.
    pub async fn call_process<C: HttpClient>(
        &self,
        lane: Lane,
        work: &Work<'_, '_, C>,
        name: &str,
        params: &Params<'_>,
    ) -> Outcome {
        let mut outcome = Outcome::of(Ok(String::new()));
        let arguments = match params.arguments.map(|raw| raw.get()) {
            None | Some("null") => Map::new(),
            Some(raw) => match jsonrpc::strict_value(raw) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    outcome.refused = Some("invalid_params");
                    outcome.answer = Err(RpcError::invalid_params(
                        "Invalid params: \"arguments\" must be an object",
                    ));
                    return outcome;
                }
                Err(why) => {
                    outcome.tool_error = true;
                    let err = ToolError::InvalidArgument(format!("arguments: {why}"));
                    outcome.answer = Ok(self.processes.result_frame(lane, &err.to_result()));
                    return outcome;
                }
            },
        };
        let raw = params.arguments.map(|raw| raw.get());
        let called = work
            .process(name, arguments, raw, &fresh_correlation_key())
            .await;
        outcome.upstream = called.upstream;
        match called.result {
            processes::Outcome::Unavailable(why) => {
                outcome.refused = Some("unknown_tool");
                outcome.answer = Err(RpcError::invalid_params(why.to_string()));
            }
            processes::Outcome::Result(result) => {
                let result = result.unwrap_or_else(|err| {
                    outcome.tool_error = true;
                    err.to_result()
                });
                outcome.answer = Ok(self.processes.result_frame(lane, &result));
            }
        }
        outcome
    }
}

/// Where a caller's process tools are kept: its cluster and its credentials (the cluster shows
/// each caller only what it may see), hashed.
fn process_list_key<C>(cluster: &Cluster<'_, C>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(cluster.address.as_bytes());
    digest.update([0]);
    digest.update(cluster.credentials.identity().as_bytes());
    digest.finalize().into()
}

/// A random UUID (v4): each process started through `/mcp/processes` gets a correlation key of
/// its own, so no two starts of one process are taken for the same business case.
fn fresh_correlation_key() -> String {
    let mut b = [0u8; 16];
    // Without randomness the key is all zeros but still a valid key; the runtime always has it.
    let _ = getrandom::getrandom(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The same in both eras: tools, resources (empty without views) and the empty prompts some
/// clients need; with views, the MCP Apps extension (SEP-1724 extension capabilities).
fn capabilities(views: bool) -> Value {
    let mut caps = json!({
        "tools": {"listChanged": false},
        "resources": {"subscribe": false, "listChanged": false},
        "prompts": {"listChanged": false},
    });
    if views {
        caps["extensions"] = json!({view::EXTENSION: {"mimeTypes": [view::MIME_TYPE]}});
    }
    caps
}

/// A view as `resources/list` names it.
fn resource(v: &View) -> Value {
    json!({
        "uri": v.uri,
        "name": v.name,
        "title": v.title,
        "description": v.description,
        "mimeType": view::MIME_TYPE,
        "_meta": ui_meta(),
    })
}

/// How the views ask to be shown: framed by the host (they have no border of their own); no
/// network (`csp` empty: the document carries everything it needs).
fn ui_meta() -> Value {
    json!({"ui": {"prefersBorder": true, "csp": {}}})
}

/// Settings of `/mcp/processes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessesServer {
    /// How long a caller's list of process tools is reused (`MCP_PROCESSES_LIST_TTL_MS`; 0:
    /// read every time). Also the `ttlMs` modern clients are told.
    pub list_ttl_ms: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camunda::tools::HintMode;
    use crate::routes::ApiVersion;

    #[test]
    fn modern_lists_carry_result_type_hints_and_server_info() {
        let s = Server::new(Catalogue::new(ApiVersion::V8_9, HintMode::Camunda));
        for json in [&s.modern_list, &s.cluster.discover] {
            let v: Value = serde_json::from_str(json).unwrap();
            assert_eq!(v["resultType"], "complete");
            assert_eq!(v["ttlMs"], LIST_TTL_MS);
            assert_eq!(v["cacheScope"], "public");
            assert_eq!(
                v["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
                SERVER_NAME
            );
        }
        let v: Value = serde_json::from_str(&s.modern_list).unwrap();
        assert_eq!(v["tools"].as_array().unwrap().len(), 18);
        let v: Value = serde_json::from_str(&s.cluster.discover).unwrap();
        assert_eq!(v["supportedVersions"][0], "2026-07-28");
        assert_eq!(v["capabilities"], capabilities(false));
        for (_, legacy, modern) in &s.cluster.fixed_lists {
            let (l, m): (Value, Value) = (
                serde_json::from_str(legacy).unwrap(),
                serde_json::from_str(modern).unwrap(),
            );
            assert!(l.get("resultType").is_none() && l.as_object().unwrap().len() == 1);
            assert_eq!(
                (m["cacheScope"].as_str(), m["ttlMs"].as_u64()),
                (Some("public"), Some(LIST_TTL_MS))
            );
        }
        let framed: Value =
            serde_json::from_str(&s.cluster.framed(r#"{"content":[],"isError":false}"#)).unwrap();
        assert_eq!(framed["resultType"], "complete");
        assert_eq!(framed["isError"], false);
        let empty: Value = serde_json::from_str(&s.cluster.framed("{}")).unwrap();
        assert_eq!(empty["resultType"], "complete");
    }
}
