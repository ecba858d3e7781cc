//! The processes-as-tools server of Camunda 8.10 (`/mcp/processes`), re-created from the REST
//! API: every process start event marked as a tool (a message start event with the
//! `io.camunda.tool:name` property) is one tool, named `<toolName>_<subscriptionKey>`; calling
//! it correlates the start event's message with the arguments as variables and answers the new
//! instance's key. Beside them, one static tool, `getProcessState`, reads an instance back.
//!
//! The list depends on the cluster and on what the caller may see there (the search runs with
//! the caller's credentials), so the server keeps it per cluster *and* credential, briefly.

use serde_json::{json, Map, Value};

use super::client::{Called, Calls, Cluster};
use super::results::Call;
use super::results::{structured_result, ToolError};
use crate::http::Method;
use crate::ports::HttpClient;

/// The one tool that is always there.
pub const GET_PROCESS_STATE: &str = "getProcessState";

/// Description parts from the start event's `io.camunda.tool:*` properties, in Camunda's order,
/// with the heading each gets (the purpose has none).
const DESCRIPTION_PARTS: [(&str, Option<&str>); 5] = [
    ("io.camunda.tool:purpose", None),
    ("io.camunda.tool:inputs", Some("## Inputs")),
    ("io.camunda.tool:when_to_use", Some("## When to use")),
    (
        "io.camunda.tool:when_not_to_use",
        Some("## When not to use"),
    ),
    ("io.camunda.tool:results", Some("## Results")),
];

/// Why a processes call never reached a tool: answered as JSON-RPC invalid params, with
/// Camunda's own wording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unavailable {
    #[error("Tool not found: {0}")]
    NotFound(String),
    #[error("Tool {0} has been removed. Please refresh the tool list.")]
    Removed(String),
}

/// How one processes call ended.
#[derive(Debug)]
pub enum Outcome {
    /// A tool result (an `isError` one for cluster failures).
    Result(Result<String, ToolError>),
    Unavailable(Unavailable),
}

fn get_process_state_tool() -> Value {
    json!({
        "name": GET_PROCESS_STATE,
        "title": "Get process state",
        "description": "Reads a process instance by key: its state (ACTIVE, COMPLETED, TERMINATED), \
            its variables, the elements active now and its open incidents. Use it after starting a \
            process with one of the other tools, to follow its progress or find why it stopped.",
        "inputSchema": {
            "type": "object",
            "properties": {"processInstanceKey": {"type": "integer", "format": "int64", "description": "Key of the process instance to read."}},
            "required": ["processInstanceKey"],
            "additionalProperties": false,
        },
        "annotations": {"readOnlyHint": true},
    })
}

fn process_tool(subscription: &Value) -> Option<Value> {
    let tool_name = subscription["toolName"]
        .as_str()
        .filter(|n| !n.is_empty())?;
    let key = key_text(&subscription["messageSubscriptionKey"])?;
    let props = &subscription["toolProperties"];
    let description: Vec<String> = DESCRIPTION_PARTS
        .iter()
        .filter_map(|(prop, heading)| {
            let value = props[*prop].as_str().filter(|v| !v.trim().is_empty())?;
            Some(match heading {
                Some(h) => format!("{h}\n{value}"),
                None => value.to_owned(),
            })
        })
        .collect();
    Some(json!({
        "name": format!("{tool_name}_{key}"),
        "title": tool_name,
        "description": description.join("\n\n"),
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": true},
        "outputSchema": {
            "type": "object",
            "properties": {"processInstanceKey": {"type": "integer", "format": "int64", "description": "Key of the started process instance: read it back with getProcessState."}},
            "required": ["processInstanceKey"],
        },
    }))
}

/// A key as the cluster sends it (a string of digits, or a number).
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// Most start events listed; a cluster with more is told to the log by the list's length.
const MAX_TOOLS: u32 = 500;

impl<C: HttpClient> Cluster<'_, C> {
    /// The tools of the processes server for this caller: `getProcessState`, then one tool per
    /// active start event marked as a tool.
    pub async fn process_tools(&self) -> Called<Result<Vec<Value>, ToolError>> {
        let mut calls = Calls::new(self);
        let listed = calls.list_process_tools().await;
        calls.called(listed)
    }

    /// Calls the processes tool `name` with `arguments` (an object, or none).
    pub async fn call_process_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        correlation_key: &str,
    ) -> Called<Outcome> {
        let mut calls = Calls::new(self);
        let outcome = calls
            .run_process_tool(name, arguments, correlation_key)
            .await;
        calls.called(outcome)
    }
}

impl<C: HttpClient> Calls<'_, '_, C> {
    async fn list_process_tools(&mut self) -> Result<Vec<Value>, ToolError> {
        let body = json!({
            "filter": {
                "messageSubscriptionType": "START_EVENT",
                "messageSubscriptionState": {"$neq": "DELETED"},
                "toolName": {"$exists": true},
            },
            "page": {"limit": MAX_TOOLS},
        });
        let items = self.subscriptions(body).await?;
        let mut tools = vec![get_process_state_tool()];
        tools.extend(items.iter().filter_map(process_tool));
        Ok(tools)
    }

    async fn subscriptions(&mut self, query: Value) -> Result<Vec<Value>, ToolError> {
        let call = Call::new(Method::Post, "/message-subscriptions/search");
        let v: Value = self.read_json(&call, Some(query)).await?;
        Ok(v["items"].as_array().cloned().unwrap_or_default())
    }

    async fn run_process_tool(
        &mut self,
        name: &str,
        arguments: Map<String, Value>,
        correlation_key: &str,
    ) -> Outcome {
        if name == GET_PROCESS_STATE {
            return Outcome::Result(self.process_state(&arguments).await);
        }
        let key = name
            .rsplit_once('_')
            .map(|(_, key)| key)
            .filter(|k| !k.is_empty() && k.len() <= 19 && k.bytes().all(|b| b.is_ascii_digit()));
        let Some(key) = key else {
            return Outcome::Unavailable(Unavailable::NotFound(name.to_owned()));
        };
        let query = json!({"filter": {"messageSubscriptionKey": key}, "page": {"limit": 1}});
        let subscription = match self.subscriptions(query).await {
            Ok(items) => items.into_iter().next(),
            Err(err) => return Outcome::Result(Err(err)),
        };
        let Some(subscription) = subscription.filter(|s| process_tool(s).is_some()) else {
            return Outcome::Unavailable(Unavailable::NotFound(name.to_owned()));
        };
        if subscription["messageSubscriptionState"] == "DELETED" {
            return Outcome::Unavailable(Unavailable::Removed(name.to_owned()));
        }
        let mut body = json!({
            "name": subscription["messageName"],
            "correlationKey": correlation_key,
            "variables": arguments,
        });
        if let Some(tenant) = subscription["tenantId"].as_str() {
            body["tenantId"] = json!(tenant);
        }
        let call = Call::new(Method::Post, "/messages/correlation");
        let started = self
            .read_json::<Value>(&call, Some(body))
            .await
            .and_then(|v| {
                let key = key_text(&v["processInstanceKey"]).ok_or_else(|| {
                    ToolError::bad_gateway(
                        format!("The cluster answered {call} without a processInstanceKey."),
                        &call,
                    )
                })?;
                Ok(structured_result(
                    &json!({"processInstanceKey": key.parse::<u64>().unwrap_or_default()})
                        .to_string(),
                    false,
                ))
            });
        Outcome::Result(started)
    }

    /// `getProcessState`: the instance, its variables, its active elements and its incidents,
    /// from four reads.
    async fn process_state(&mut self, args: &Map<String, Value>) -> Result<String, ToolError> {
        let key = match args.get("processInstanceKey") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|k| k > 0) => n.to_string(),
            Some(Value::String(s)) if key_text(&Value::String(s.clone())).is_some() => s.clone(),
            _ => {
                return Err(ToolError::InvalidArgument(
                    "processInstanceKey: is required and must be a positive int64".into(),
                ))
            }
        };
        let by_instance = |extra: Value| {
            let mut filter = json!({"processInstanceKey": key});
            if let (Value::Object(f), Value::Object(e)) = (&mut filter, extra) {
                f.extend(e);
            }
            json!({"filter": filter, "page": {"limit": 1000}})
        };
        let instance = self
            .read_json::<Value>(
                &Call::new(Method::Get, &format!("/process-instances/{key}")),
                None,
            )
            .await?;
        let items = |v: Value| v["items"].as_array().cloned().unwrap_or_default();
        let variables = items(
            self.read_json(
                &Call::new(Method::Post, "/variables/search"),
                Some(by_instance(json!({}))),
            )
            .await?,
        );
        let active = items(
            self.read_json(
                &Call::new(Method::Post, "/element-instances/search"),
                Some(by_instance(json!({"state": "ACTIVE"}))),
            )
            .await?,
        );
        let incidents = items(
            self.read_json(
                &Call::new(Method::Post, "/incidents/search"),
                Some(by_instance(json!({"state": "ACTIVE"}))),
            )
            .await?,
        );
        let state = json!({
            "processInstanceKey": instance["processInstanceKey"],
            "state": instance["state"],
            "hasIncident": instance["hasIncident"],
            "variables": variables.iter().map(|v| json!({"name": v["name"], "value": v["value"]})).collect::<Vec<_>>(),
            "activeElementInstances": active.iter().map(|e| json!({"elementId": e["elementId"], "elementName": e["elementName"], "type": e["type"]})).collect::<Vec<_>>(),
            "incidents": incidents.iter().map(|i| json!({"incidentKey": i["incidentKey"], "errorType": i["errorType"], "errorMessage": i["errorMessage"], "elementId": i["elementId"]})).collect::<Vec<_>>(),
        });
        Ok(structured_result(&state.to_string(), false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_start_event_becomes_a_tool_with_camundas_description() {
        let sub = json!({
            "messageSubscriptionKey": "2251799813700001", "toolName": "requestVacation",
            "toolProperties": {
                "io.camunda.tool:purpose": "Requests vacation.",
                "io.camunda.tool:inputs": "employee, from, to",
                "io.camunda.tool:results": " ",
            },
        });
        let tool = process_tool(&sub).unwrap();
        assert_eq!(tool["name"], "requestVacation_2251799813700001");
        assert_eq!(tool["title"], "requestVacation");
        assert_eq!(
            tool["description"],
            "Requests vacation.\n\n## Inputs\nemployee, from, to"
        );
        assert_eq!(tool["outputSchema"]["required"][0], "processInstanceKey");
        assert!(process_tool(&json!({"messageSubscriptionKey": "1"})).is_none());
        assert!(process_tool(&json!({"toolName": "x", "messageSubscriptionKey": "a1"})).is_none());
    }
}
