//! MCP methods of a tools-only server: `initialize`, `ping`, the three list methods, `tools/call`.

use serde_json::{json, Map, Value};

use super::jsonrpc::{code, RpcError};
use super::transport::SUPPORTED_VERSIONS;
use crate::camunda::client::Cluster;
use crate::camunda::tools::Catalogue;
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

/// What one request did, for the structured log line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Trace {
    pub rpc: Option<String>,
    pub tool: Option<String>,
    pub upstream: Option<u16>,
    /// The tool answered with `isError`.
    pub tool_error: bool,
    /// Something worth knowing from authentication (e.g. stale keys were used).
    pub auth: Option<String>,
    /// The SaaS region and cluster of the request, when routed by path.
    pub region: Option<String>,
    pub cluster: Option<String>,
}

/// Answers one JSON-RPC request: the serialised `result`, or a protocol error.
pub async fn dispatch<C: HttpClient>(
    catalogue: &Catalogue,
    cluster: &Cluster<'_, C>,
    method: &str,
    params: &Map<String, Value>,
    trace: &mut Trace,
) -> Result<String, RpcError> {
    match method {
        "initialize" => Ok(initialize(params).to_string()),
        "ping" => Ok("{}".to_owned()),
        "tools/list" => match params.get("cursor") {
            None | Some(Value::Null) => Ok(catalogue.list_json().to_owned()),
            Some(_) => Err(RpcError::invalid_params(
                "Invalid params: unknown cursor; tools/list returns every tool in one page",
            )),
        },
        "resources/list" => Ok(r#"{"resources":[]}"#.to_owned()),
        "resources/templates/list" => Ok(r#"{"resourceTemplates":[]}"#.to_owned()),
        "prompts/list" => Ok(r#"{"prompts":[]}"#.to_owned()),
        "tools/call" => {
            let name = match params.get("name") {
                Some(Value::String(name)) => name,
                _ => {
                    return Err(RpcError::invalid_params(
                        "Invalid params: \"name\" must be the name of a tool (a string)",
                    ))
                }
            };
            trace.tool = Some(name.chars().take(64).collect());
            let tool = catalogue
                .get(name)
                .ok_or_else(|| RpcError::invalid_params(format!("Unknown tool: {name}")))?;
            let empty = Map::new();
            let args = match params.get("arguments") {
                None | Some(Value::Null) => &empty,
                Some(Value::Object(args)) => args,
                Some(_) => {
                    return Err(RpcError::invalid_params(
                        "Invalid params: \"arguments\" must be an object",
                    ))
                }
            };
            let result = cluster.call(tool, args).await;
            trace.upstream = cluster.last_status.get();
            Ok(result.unwrap_or_else(|err| {
                trace.tool_error = true;
                err.to_result()
            }))
        }
        _ => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!(
                "Method not found: {}",
                method.chars().take(100).collect::<String>()
            ),
        )),
    }
}

fn initialize(params: &Map<String, Value>) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str);
    let version = asked
        .filter(|v| SUPPORTED_VERSIONS.contains(v))
        .unwrap_or(SUPPORTED_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {
            "tools": {"listChanged": false},
            "resources": {"subscribe": false, "listChanged": false},
            "prompts": {"listChanged": false},
        },
        "serverInfo": {"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")},
        "instructions": INSTRUCTIONS,
    })
}
