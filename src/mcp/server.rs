//! MCP methods of a tools-only server, for both eras: `initialize`, `ping` and the empty
//! resource and prompt lists (2025 lane), `server/discover` (2026-07-28 lane), and
//! `tools/list` and `tools/call` (both). One dispatcher serves both lanes; the lane only
//! decides which methods exist and how a result is framed ([`Lane::Modern`] results carry
//! `resultType`, `_meta` and, for lists, caching hints).

use serde_json::{json, Value};

use super::era::{self, Lane, Params, ALL_VERSIONS, LEGACY_VERSIONS};
use super::jsonrpc::{self, RpcError};
use crate::camunda::client::Cluster;
use crate::camunda::results::ToolError;
use crate::camunda::schema::Arguments;
use crate::camunda::tools::Catalogue;
use crate::camunda::tools::Tool;
use crate::config::ApiVersion;
use crate::http::HttpClient;

/// Clients and tests recognise Camunda's gateway by this name.
pub const SERVER_NAME: &str = "Camunda 8 Orchestration API MCP Server";

const INSTRUCTIONS: &str = "Tools for a Camunda 8 Orchestration Cluster. Every call runs with the \
caller's own permissions, so results show only what the caller may see. Reads come from a \
secondary store and are eventually consistent: an instance, incident or task created moments ago \
may not be found yet, so retry a search briefly before concluding it is missing. Process \
instances, their incidents, user tasks and variables are linked by processInstanceKey. Keys are \
int64 numbers; where a filter asks for a key as a string, pass its digits. When \
createProcessInstance with awaitCompletion times out, the instance is still running, not failed: \
tag instances when you start them and find them later with searchProcessInstances.";

/// How long a modern client may reuse `server/discover` and `tools/list` results: the tools of
/// a deployment change only when it is redeployed.
const LIST_TTL_MS: u64 = 3_600_000;

/// What one dispatched request came to: its result or protocol error, and what the log line
/// and the authentication rules need to know of it.
#[derive(Debug)]
pub struct Outcome {
    pub answer: Result<String, RpcError>,
    /// The tool that was called, if the request named one.
    pub tool: Option<String>,
    /// The tool answered with `isError`.
    pub tool_error: bool,
    /// Status of the cluster's last answer, if it was called.
    pub upstream: Option<u16>,
}

impl Outcome {
    fn of(answer: Result<String, RpcError>) -> Self {
        Outcome {
            answer,
            tool: None,
            tool_error: false,
            upstream: None,
        }
    }
}

/// What a server with no resources or prompts answers to their list methods (the members of
/// the result), in both lanes.
const EMPTY_LISTS: [(&str, &str); 3] = [
    ("resources/list", r#""resources":[]"#),
    ("resources/templates/list", r#""resourceTemplates":[]"#),
    ("prompts/list", r#""prompts":[]"#),
];

/// The MCP server of one deployment: the tool catalogue and every answer that does not depend
/// on the request, serialised once per isolate.
pub struct Server {
    catalogue: Catalogue,
    /// `{"resultType":"complete","_meta":{serverInfo}`, the head of every modern result.
    modern_head: String,
    modern_list: String,
    discover: String,
    /// `(method, legacy result, modern result)` of the empty lists.
    empty_lists: Vec<(&'static str, String, String)>,
}

impl Server {
    pub fn new(version: ApiVersion) -> Self {
        let catalogue = Catalogue::new(version);
        let server_info = json!({"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")});
        let modern_head = format!(
            r#"{{"resultType":"complete","_meta":{}"#,
            json!({"io.modelcontextprotocol/serverInfo": server_info})
        );
        // The list is the same for every caller, so caches may share it.
        let hints = format!(r#""ttlMs":{LIST_TTL_MS},"cacheScope":"public""#);
        let tools = catalogue.list_json();
        let modern_list = format!(
            "{modern_head},{hints},{}",
            tools.strip_prefix('{').unwrap_or(tools)
        );
        let discover = json!({
            "supportedVersions": ALL_VERSIONS,
            "capabilities": capabilities(),
            "serverInfo": server_info,
            "instructions": INSTRUCTIONS,
        })
        .to_string();
        let discover = format!("{modern_head},{hints},{}", &discover[1..]);
        let empty_lists = EMPTY_LISTS
            .iter()
            .map(|(method, members)| {
                let modern = format!("{modern_head},{hints},{members}}}");
                (*method, format!("{{{members}}}"), modern)
            })
            .collect();
        Server {
            catalogue,
            modern_head,
            modern_list,
            discover,
            empty_lists,
        }
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Answers one JSON-RPC request of `lane` (a modern one has passed `era::modern_checks`).
    pub async fn dispatch<C: HttpClient>(
        &self,
        lane: Lane,
        cluster: &Cluster<'_, C>,
        method: &str,
        params: &Params<'_>,
    ) -> Outcome {
        let legacy = lane == Lane::Legacy;
        let fixed = |json: &str| Outcome::of(Ok(json.to_owned()));
        if let Some((_, old, new)) = self.empty_lists.iter().find(|(m, ..)| *m == method) {
            return fixed(if legacy { old } else { new });
        }
        match method {
            "tools/call" => return self.call(lane, cluster, params).await,
            "tools/list" if params.cursor.is_some_and(|c| c.get() != "null") => {
                Outcome::of(Err(RpcError::invalid_params(
                    "Invalid params: unknown cursor; tools/list returns every tool in one page",
                )))
            }
            "tools/list" if legacy => fixed(self.catalogue.list_json()),
            "tools/list" => fixed(&self.modern_list),
            "server/discover" if !legacy => fixed(&self.discover),
            "initialize" if legacy => Outcome::of(Ok(initialize(params).to_string())),
            "ping" if legacy => fixed("{}"),
            // SEP-2164: an unknown resource or prompt is invalid params naming what was asked.
            "resources/read" => Outcome::of(Err(RpcError::invalid_params(
                "Resource not found: this server has no resources",
            )
            .with_data(json!({"uri": era::string(params.uri)})))),
            "prompts/get" => Outcome::of(Err(RpcError::invalid_params(
                "Prompt not found: this server has no prompts",
            )
            .with_data(json!({"name": era::string(params.name)})))),
            _ => Outcome::of(Err(RpcError::method_not_found(method))),
        }
    }

    async fn call<C: HttpClient>(
        &self,
        lane: Lane,
        cluster: &Cluster<'_, C>,
        params: &Params<'_>,
    ) -> Outcome {
        let Some(name) = era::string(params.name) else {
            return Outcome::of(Err(RpcError::invalid_params(
                "Invalid params: \"name\" must be the name of a tool (a string)",
            )));
        };
        let mut outcome = Outcome::of(Ok(String::new()));
        outcome.tool = Some(name.chars().take(64).collect());
        let Some(tool) = self.catalogue.get(&name) else {
            outcome.answer = Err(RpcError::invalid_params(format!("Unknown tool: {name}")));
            return outcome;
        };
        let args = match params.arguments.map(|raw| raw.get()) {
            None | Some("null") => Ok(Arguments::default()),
            Some(raw) if !raw.starts_with('{') => {
                outcome.answer = Err(RpcError::invalid_params(
                    "Invalid params: \"arguments\" must be an object",
                ));
                return outcome;
            }
            Some(raw) => arguments(tool, raw),
        };
        let args = match args {
            Ok(args) => args,
            // A repeated member is the model's (or a proxy's) mistake to see and fix.
            Err(why) => {
                outcome.tool_error = true;
                let err = ToolError::InvalidArgument(why);
                outcome.answer = Ok(self.result_frame(lane, &err.to_result()));
                return outcome;
            }
        };
        let called = cluster.call(tool, args).await;
        outcome.upstream = called.upstream;
        let result = called.result.unwrap_or_else(|err| {
            outcome.tool_error = true;
            err.to_result()
        });
        outcome.answer = Ok(self.result_frame(lane, &result));
        outcome
    }

    fn result_frame(&self, lane: Lane, result: &str) -> String {
        match lane {
            Lane::Legacy => result.to_owned(),
            Lane::Modern => self.framed(result),
        }
    }

    /// A modern-lane result: the prepared head, then the members of `result`.
    fn framed(&self, result: &str) -> String {
        match result.strip_prefix('{') {
            Some("}") | None => format!("{}}}", self.modern_head),
            Some(members) => format!("{},{members}", self.modern_head),
        }
    }
}

/// The arguments of a call of `tool`, each member parsed strictly (no member given twice, at
/// any depth); pass-through objects stay raw JSON.
fn arguments<'a>(tool: &Tool, raw: &'a str) -> Result<Arguments<'a>, String> {
    let mut args = Arguments::default();
    let members = jsonrpc::strict_members(raw).map_err(|e| format!("arguments: {e}"))?;
    for (name, value) in members {
        let through = tool
            .fields
            .iter()
            .find(|f| f.name == name && f.passes_through())
            .filter(|_| value.get().starts_with('{'));
        match through {
            Some(field) => {
                jsonrpc::check_no_repeated_members(value.get())
                    .map_err(|e| format!("{name}: {e}"))?;
                args.raw.push((field.name, value));
            }
            // Anything else (a non-object in place of one included) is checked by its shape.
            None => {
                let value =
                    jsonrpc::strict_value(value.get()).map_err(|e| format!("{name}: {e}"))?;
                args.values.insert(name, value);
            }
        }
    }
    Ok(args)
}

fn initialize(params: &Params<'_>) -> Value {
    let asked = era::string(params.protocol_version);
    let version = asked
        .as_deref()
        .and_then(|v| LEGACY_VERSIONS.iter().find(|s| **s == v))
        .unwrap_or(&LEGACY_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": capabilities(),
        "serverInfo": {"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")},
        "instructions": INSTRUCTIONS,
    })
}

/// The same in both eras: tools, and the empty resources and prompts some clients need.
fn capabilities() -> Value {
    json!({
        "tools": {"listChanged": false},
        "resources": {"subscribe": false, "listChanged": false},
        "prompts": {"listChanged": false},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_lists_carry_result_type_hints_and_server_info() {
        let s = Server::new(ApiVersion::V8_9);
        for json in [&s.modern_list, &s.discover] {
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
        let v: Value = serde_json::from_str(&s.discover).unwrap();
        assert_eq!(v["supportedVersions"][0], "2026-07-28");
        assert_eq!(v["capabilities"], capabilities());
        for (_, legacy, modern) in &s.empty_lists {
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
            serde_json::from_str(&s.framed(r#"{"content":[],"isError":false}"#)).unwrap();
        assert_eq!(framed["resultType"], "complete");
        assert_eq!(framed["isError"], false);
        let empty: Value = serde_json::from_str(&s.framed("{}")).unwrap();
        assert_eq!(empty["resultType"], "complete");
    }
}
