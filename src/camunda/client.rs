//! Runs one tool call against the cluster's REST API v2: arguments → request(s) → result JSON.

use std::cell::Cell;

use serde_json::{json, Map, Value};

use super::results::{self, fill, is_success, text_result, ToolError};
use super::schema::{convert_fields, Converted, Target};
use super::tools::{Flow, Reply, Tool};
use crate::config::Config;
use crate::http::{HttpClient, Method, SharedCache, UpstreamRequest, UpstreamResponse};

/// One cluster as seen by one MCP request: where it is and whose credentials to present.
pub struct Cluster<'a, C> {
    pub client: &'a C,
    /// Timeout and result limits.
    pub config: &'a Config,
    /// REST base without `/v2`.
    pub address: &'a str,
    /// The caller's `Authorization` header, forwarded unchanged.
    pub authorization: Option<&'a str>,
    /// Status of the last upstream answer, for the request log line.
    pub last_status: Cell<Option<u16>>,
}

impl<'a, C: HttpClient> Cluster<'a, C> {
    pub fn new(
        client: &'a C,
        config: &'a Config,
        address: &'a str,
        authorization: Option<&'a str>,
    ) -> Self {
        Cluster {
            client,
            config,
            address,
            authorization,
            last_status: Cell::new(None),
        }
    }

    /// The `CallToolResult` JSON for `tool` called with `args`; failures are `isError` results.
    pub async fn call(&self, tool: &Tool, args: &Map<String, Value>) -> Result<String, ToolError> {
        let Converted(args, fields) =
            convert_fields("", &tool.fields, args).map_err(|e| ToolError::InvalidArgument(e.0))?;
        let path = fill(tool.path, &args);
        let mut query = String::new();
        let mut body = Map::new();
        for f in fields {
            let value = &args[f.name];
            match (f.target, value) {
                (Target::Path, _) => {}
                (Target::Query, v) => {
                    query.push(if query.is_empty() { '?' } else { '&' });
                    query.push_str(f.name);
                    query.push('=');
                    // Only booleans go to the query today; anything else would need encoding.
                    query.push_str(&v.to_string());
                }
                (Target::Body, v) => {
                    body.insert(f.name.to_owned(), v.clone());
                }
                (Target::Spread, Value::Object(m)) => body.extend(m.clone()),
                (Target::Spread, _) => {}
            }
        }
        let path = path + &query;
        // Searches without a page size get a modest one, so a model is not handed thousands of
        // items it did not ask for.
        let limit = self.config.default_page_limit;
        if limit > 0 && tool.fields.iter().any(|f| f.name == "page") {
            if let Value::Object(page) = body.entry("page").or_insert(json!({})) {
                page.entry("limit").or_insert(json!(limit));
            }
        }

        match tool.flow {
            Flow::Plain => {}
            Flow::CreateProcessInstance => {
                let given = ["processDefinitionKey", "processDefinitionId"]
                    .iter()
                    .filter(|k| body.contains_key(**k))
                    .count();
                if given != 1 {
                    return Err(ToolError::problem(
                        400,
                        "INVALID_ARGUMENT",
                        "Give exactly one of processDefinitionKey or processDefinitionId.",
                        "/v2/process-instances",
                    ));
                }
                body.entry("awaitCompletion").or_insert(json!(false));
            }
            Flow::AssignOrUnassign => {
                let blank = body
                    .get("assignee")
                    .and_then(Value::as_str)
                    .is_none_or(|a| a.trim().is_empty());
                if blank {
                    let path = fill("/user-tasks/{userTaskKey}/assignee", &args);
                    let resp = self.send(Method::Delete, &path, None, Reply::Json).await?;
                    return if is_success(resp.status) {
                        Ok(text_result(
                            &fill("User task with key {userTaskKey} unassigned.", &args),
                            false,
                        ))
                    } else {
                        Err(results::failure(&resp, &what(Method::Delete, &path)))
                    };
                }
                body.entry("action").or_insert(json!("assign"));
                body.entry("allowOverride").or_insert(json!(true));
            }
            Flow::ResolveIncident => return self.resolve_incident(tool, &path, &args).await,
        }

        let body =
            matches!(tool.method, Method::Post | Method::Patch).then_some(Value::Object(body));
        let resp = self
            .send(tool.method, &path, body.as_ref(), tool.reply)
            .await?;
        self.reply(tool.reply, &resp, &what(tool.method, &path), &args)
    }

    /// Resolving fails while the incident's job has no retries left; Camunda's gateway then
    /// gives the job one retry and resolves again, and so do we.
    async fn resolve_incident(
        &self,
        tool: &Tool,
        path: &str,
        args: &Map<String, Value>,
    ) -> Result<String, ToolError> {
        let empty = json!({});
        let resolve = || self.send(Method::Post, path, Some(&empty), tool.reply);
        let resp = resolve().await?;
        if is_success(resp.status) {
            return self.reply(tool.reply, &resp, &what(Method::Post, path), args);
        }
        let err = results::failure(&resp, &what(Method::Post, path));
        if !is_no_retries_left(&err) {
            return Err(err);
        }
        let incident_path = fill("/incidents/{incidentKey}", args);
        let incident = self
            .send(Method::Get, &incident_path, None, Reply::Json)
            .await?;
        let what_get = what(Method::Get, &incident_path);
        if !is_success(incident.status) {
            return Err(results::failure(&incident, &what_get));
        }
        let job_key = serde_json::from_slice::<Value>(&incident.body)
            .ok()
            .and_then(|v| match v.get("jobKey") {
                Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.clone()),
                Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
                _ => None,
            })
            .ok_or_else(|| {
                ToolError::problem(
                    502,
                    "Bad Gateway",
                    format!("{err_detail} The incident has no job to retry ({what_get} returned no jobKey).", err_detail = detail(&err)),
                    &format!("/v2{incident_path}"),
                )
            })?;
        let job_path = format!("/jobs/{job_key}");
        let retried = self
            .send(
                Method::Patch,
                &job_path,
                Some(&json!({"changeset": {"retries": 1}})),
                Reply::Json,
            )
            .await?;
        if !is_success(retried.status) {
            return Err(results::failure(&retried, &what(Method::Patch, &job_path)));
        }
        let resp = resolve().await?;
        self.reply(tool.reply, &resp, &what(Method::Post, path), args)
    }

    /// The tool result for an upstream answer; text longer than the result limit is cut,
    /// saying so.
    fn reply(
        &self,
        kind: Reply,
        resp: &UpstreamResponse,
        what: &str,
        args: &Map<String, Value>,
    ) -> Result<String, ToolError> {
        match kind {
            Reply::Health if resp.status == 503 => Ok(text_result("UNHEALTHY", false)),
            _ if !is_success(resp.status) => Err(results::failure(resp, what)),
            Reply::Health => Ok(text_result("HEALTHY", false)),
            Reply::Json => results::json_success(resp, what, self.config.max_result_chars),
            Reply::Xml if resp.status == 204 || resp.body.is_empty() => Err(ToolError::problem(
                404,
                "NOT_FOUND",
                fill(
                    "No BPMN XML found for process definition with key {processDefinitionKey}.",
                    args,
                ),
                results::instance_of(what),
            )),
            Reply::Xml => Ok(results::long_text(
                &String::from_utf8_lossy(&resp.body),
                self.config.max_result_chars,
            )),
            Reply::Text(template) => Ok(text_result(&fill(template, args), false)),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        reply: Reply,
    ) -> Result<UpstreamResponse, ToolError> {
        let accept = match reply {
            Reply::Xml => "text/xml, application/xml, application/problem+json",
            _ => "application/json, application/problem+json",
        };
        let mut headers = vec![("accept", accept.to_owned())];
        if let Some(auth) = self.authorization {
            headers.push(("authorization", auth.to_owned()));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        let req = UpstreamRequest {
            method,
            url: format!("{}/v2{path}", self.address),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
            timeout_ms: self.config.request_timeout_ms,
            shared_cache: SharedCache::Off,
        };
        let resp = self
            .client
            .send(req)
            .await
            .map_err(|e| ToolError::from_fetch(&e, self.address, &what(method, path)))?;
        self.last_status.set(Some(resp.status));
        Ok(resp)
    }
}

fn what(method: Method, path: &str) -> String {
    format!("{method} /v2{path}")
}

fn detail(err: &ToolError) -> String {
    match err {
        ToolError::Problem(p) => p
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        ToolError::InvalidArgument(t) => t.clone(),
    }
}

fn is_no_retries_left(err: &ToolError) -> bool {
    let ToolError::Problem(p) = err else {
        return false;
    };
    p.get("title").and_then(Value::as_str) == Some("INVALID_STATE")
        && p.get("detail")
            .and_then(Value::as_str)
            .is_some_and(|d| d.to_ascii_lowercase().contains("no retries left"))
}
