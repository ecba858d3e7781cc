//! Runs one tool call against the cluster's REST API v2: arguments → request(s) → result JSON.

use std::cell::Cell;
use std::fmt;

use serde_json::{json, Map, Value};

use super::credentials::Credentials;
use super::results::{self, fill, is_success, text_result, Call, ToolError};
use super::schema::{convert_fields, Arguments, Converted, Target};
use super::tools::{Flow, Reply, Tool};
use crate::http::{Method, TraceContext, UpstreamRequest, UpstreamResponse};
use crate::ports::HttpClient;

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// How long the cluster may take and how much of its answers is read and handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole upstream exchange, body included (a 504 problem after).
    pub request_timeout_ms: u32,
    /// Largest upstream response body read (a tool error above).
    pub max_upstream_bytes: usize,
    /// Longest tool result text handed to the model; longer results are cut, saying so.
    pub max_result_chars: usize,
    /// `page.limit` sent with searches that set none (0: send none, the cluster's default applies).
    pub default_page_limit: u32,
}

/// What a tool call came to, and the status of the cluster's last answer (for the log line,
/// and for Basic mode, where the cluster's 401 becomes the gateway's).
#[derive(Debug)]
pub struct Called {
    pub result: Result<String, ToolError>,
    pub upstream: Option<u16>,
}

/// One cluster as seen by one MCP request: where it is and whose credentials to present.
pub struct Cluster<'a, C> {
    pub client: &'a C,
    /// Timeout and result limits.
    pub config: &'a Limits,
    /// REST base without `/v2` (with a physical tenant's prefix when routed to one).
    pub address: &'a str,
    /// The physical tenant the request was routed to, if any.
    pub tenant: Option<&'a str>,
    /// Whose credentials the cluster sees.
    pub credentials: Credentials<'a>,
    /// Seconds since the epoch (for the machine token's expiry).
    pub now: u64,
    /// W3C trace context to pass on, so a call can be followed from agent to cluster.
    pub trace: Option<&'a TraceContext>,
    last_status: Cell<Option<u16>>,
}

impl<'a, C: HttpClient> Cluster<'a, C> {
    pub fn new(client: &'a C, config: &'a Limits, address: &'a str) -> Self {
        Cluster {
            client,
            config,
            address,
            tenant: None,
            credentials: Credentials::Forward(None),
            now: 0,
            trace: None,
            last_status: Cell::new(None),
        }
    }

    /// Status of the cluster's last answer to this request, if any.
    pub fn last_status(&self) -> Option<u16> {
        self.last_status.get()
    }

    /// Runs `tool` with `args`; failures are `isError` results.
    pub async fn call(&self, tool: &Tool, args: Arguments<'_>) -> Called {
        let result = self.run(tool, args).await;
        Called {
            result,
            upstream: self.last_status.get(),
        }
    }

    async fn run(&self, tool: &Tool, arguments: Arguments<'_>) -> Result<String, ToolError> {
        let Converted(mut args, fields) = convert_fields("", &tool.fields, arguments.values)
            .map_err(|e| ToolError::InvalidArgument(e.0))?;
        let path = fill(tool.path, &args);
        let mut query = String::new();
        let mut body = Map::new();
        for f in fields {
            match f.target {
                Target::Path => {}
                Target::Query => {
                    query.push(if query.is_empty() { '?' } else { '&' });
                    query.push_str(f.name);
                    query.push('=');
                    // Only booleans go to the query today; anything else would need encoding.
                    query.push_str(&args[f.name].to_string());
                }
                // Objects and arrays (process variables, filters) move into the body; the
                // reply templates name scalars only, which stay in `args` for them.
                Target::Body => {
                    let value = match &args[f.name] {
                        Value::Object(_) | Value::Array(_) => args.remove(f.name),
                        small => Some(small.clone()),
                    };
                    body.extend(value.map(|v| (f.name.to_owned(), v)));
                }
                Target::Spread => {
                    if let Some(Value::Object(m)) = args.remove(f.name) {
                        body.extend(m);
                    }
                }
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
                exactly_one(&body, ["processDefinitionKey", "processDefinitionId"], tool)?;
                body.entry("awaitCompletion").or_insert(json!(false));
            }
            Flow::ExactlyOne(names) => exactly_one(&body, names, tool)?,
            Flow::Deploy => {
                let call = Call::new(tool.method, &path);
                let payload = multipart(&body).map_err(ToolError::InvalidArgument)?;
                let resp = self
                    .send_for_result(&call, Some(payload), tool.reply)
                    .await?;
                return self.reply(tool.reply, &resp, &call, &args);
            }
            Flow::AssignOrUnassign => {
                let blank = body
                    .get("assignee")
                    .and_then(Value::as_str)
                    .is_none_or(|a| a.trim().is_empty());
                if blank {
                    let call = Call::new(
                        Method::Delete,
                        &fill("/user-tasks/{userTaskKey}/assignee", &args),
                    );
                    let resp = self.send(&call, None, Reply::Json).await?;
                    return if is_success(resp.status) {
                        Ok(text_result(
                            &fill("User task with key {userTaskKey} unassigned.", &args),
                            false,
                        ))
                    } else {
                        Err(results::failure(&resp, &call))
                    };
                }
                body.entry("action").or_insert(json!("assign"));
                body.entry("allowOverride").or_insert(json!(true));
            }
            Flow::ResolveIncident => {
                return self
                    .resolve_incident(tool, &Call::new(tool.method, &path), &args)
                    .await
            }
            Flow::Health if self.tenant.is_some() => return self.tenant_health().await,
            Flow::Health => {}
        }

        let call = Call::new(tool.method, &path);
        let body = matches!(tool.method, Method::Post | Method::Put | Method::Patch)
            .then(|| Payload::json(body_text(body, &arguments.raw)));
        let resp = self.send_for_result(&call, body, tool.reply).await?;
        self.reply(tool.reply, &resp, &call, &args)
    }

    /// A physical tenant's health, as Camunda's gateway reports it (HEALTHY when at least one
    /// partition has a healthy leader): read from the tenant's topology, because the REST API
    /// serves `/status` for the default tenant only.
    async fn tenant_health(&self) -> Result<String, ToolError> {
        let call = Call::new(Method::Get, "/topology");
        let resp = self.send(&call, None, Reply::Json).await?;
        if !is_success(resp.status) {
            return Err(results::failure(&resp, &call));
        }
        let topology: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            ToolError::problem(
                502,
                "Bad Gateway",
                format!("The cluster answered {call} with a body that is not valid JSON ({e})."),
                &call,
            )
        })?;
        let healthy_leader = topology["brokers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|broker| broker["partitions"].as_array())
            .flatten()
            .any(|p| p["role"] == "leader" && p["health"] == "healthy");
        let status = if healthy_leader {
            "HEALTHY"
        } else {
            "UNHEALTHY"
        };
        Ok(text_result(status, false))
    }

    /// Resolving fails while the incident's job has no retries left; Camunda's gateway then
    /// gives the job one retry and resolves again, and so do we.
    async fn resolve_incident(
        &self,
        tool: &Tool,
        resolution: &Call,
        args: &Map<String, Value>,
    ) -> Result<String, ToolError> {
        let resolve = || self.send(resolution, Some(Payload::json("{}".to_owned())), tool.reply);
        let resp = resolve().await?;
        if is_success(resp.status) {
            return self.reply(tool.reply, &resp, resolution, args);
        }
        let err = results::failure(&resp, resolution);
        let ToolError::Problem(problem) = &err else {
            return Err(err);
        };
        if !problem.is_no_retries_left() {
            return Err(err);
        }
        let get = Call::new(Method::Get, &fill("/incidents/{incidentKey}", args));
        let incident = self.send(&get, None, Reply::Json).await?;
        if !is_success(incident.status) {
            return Err(results::failure(&incident, &get));
        }
        let job_key = serde_json::from_slice::<Value>(&incident.body)
            .ok()
            .and_then(|v| match v.get("jobKey") {
                Some(Value::String(s))
                    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Some(s.clone())
                }
                Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
                _ => None,
            })
            .ok_or_else(|| {
                ToolError::problem(
                    502,
                    "Bad Gateway",
                    format!(
                        "{} The incident has no job to retry ({get} returned no jobKey).",
                        problem.detail.as_deref().unwrap_or_default()
                    ),
                    &get,
                )
            })?;
        let patch = Call::new(Method::Patch, &format!("/jobs/{job_key}"));
        let retried = self
            .send(
                &patch,
                Some(Payload::json(
                    json!({"changeset": {"retries": 1}}).to_string(),
                )),
                Reply::Json,
            )
            .await?;
        if !is_success(retried.status) {
            return Err(results::failure(&retried, &patch));
        }
        let resp = resolve().await?;
        self.reply(tool.reply, &resp, resolution, args)
    }

    /// The tool result for an upstream answer; text longer than the result limit is cut,
    /// saying so.
    fn reply(
        &self,
        kind: Reply,
        resp: &UpstreamResponse,
        call: &Call,
        args: &Map<String, Value>,
    ) -> Result<String, ToolError> {
        match kind {
            Reply::Health if resp.status == 503 => Ok(text_result("UNHEALTHY", false)),
            _ if !is_success(resp.status) => Err(results::failure(resp, call)),
            Reply::Health => Ok(text_result("HEALTHY", false)),
            Reply::Json => results::json_success(resp, call, self.config.max_result_chars),
            Reply::Xml(missing) if resp.status == 204 || resp.body.is_empty() => Err(
                ToolError::problem(404, "NOT_FOUND", fill(missing, args), call),
            ),
            Reply::Xml(_) => Ok(results::long_text(
                &String::from_utf8_lossy(&resp.body),
                self.config.max_result_chars,
            )),
            Reply::Text(template) => Ok(text_result(&fill(template, args), false)),
        }
    }

    /// One REST call whose answer becomes the tool result as it is: a JSON answer is
    /// compacted as it arrives (see [`results::json_success`]).
    async fn send_for_result(
        &self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
    ) -> Result<UpstreamResponse, ToolError> {
        let compact = matches!(reply, Reply::Json).then_some(self.config.max_result_chars);
        self.exchange(call, body, reply, compact).await
    }

    /// One REST call whose answer the gateway reads itself.
    pub(super) async fn send(
        &self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
    ) -> Result<UpstreamResponse, ToolError> {
        self.exchange(call, body, reply, None).await
    }

    async fn exchange(
        &self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
        compact: Option<usize>,
    ) -> Result<UpstreamResponse, ToolError> {
        let accept = match reply {
            Reply::Xml(_) => "text/xml, application/xml, application/problem+json",
            _ => "application/json, application/problem+json",
        };
        let mut headers = vec![("accept", accept.to_owned())];
        let bearer = |t: &str| format!("Bearer {t}");
        let machine = match self.credentials {
            Credentials::Forward(header) => {
                headers.extend(header.map(|h| ("authorization", h.to_owned())));
                None
            }
            Credentials::Bearer(token) => {
                headers.push(("authorization", bearer(token)));
                None
            }
            Credentials::Machine(source) => {
                let token = source.bearer(self.client, self.now).await.map_err(|why| {
                    ToolError::problem(
                        502,
                        "Bad Gateway",
                        format!("The gateway could not get its own token for the cluster from {} ({why}). Check CAMUNDA_OAUTH_URL, CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET.", source.token_url()),
                        call,
                    )
                })?;
                headers.push(("authorization", bearer(&token)));
                Some((source, token))
            }
        };
        if let Some(body) = &body {
            headers.push(("content-type", body.content_type.clone()));
        }
        if let Some(trace) = self.trace {
            headers.push(("traceparent", trace.parent.clone()));
            if let Some(state) = &trace.state {
                headers.push(("tracestate", state.clone()));
            }
        }
        let req = UpstreamRequest {
            method: call.method,
            url: format!("{}{}", self.address, call.path),
            headers,
            body: body.map(|b| b.bytes),
            timeout_ms: self.config.request_timeout_ms,
            max_bytes: self.config.max_upstream_bytes,
            compact,
        };
        let resp = self
            .client
            .send(req)
            .await
            .map_err(|e| ToolError::from_fetch(&e, self.address, call))?;
        if let (Some((source, token)), 401) = (machine, resp.status) {
            // Revoked or signed with rotated keys: the next call fetches a new one.
            source.forget(&token);
        }
        self.last_status.set(Some(resp.status));
        Ok(resp)
    }
}

/// A request body and its media type.
pub(super) struct Payload {
    content_type: String,
    bytes: Vec<u8>,
}

impl Payload {
    pub(super) fn json(text: String) -> Self {
        Payload {
            content_type: "application/json".to_owned(),
            bytes: text.into_bytes(),
        }
    }
}

/// Camunda's own check for tools that take a key or an id: exactly one of the two.
fn exactly_one(body: &Map<String, Value>, names: [&str; 2], tool: &Tool) -> Result<(), ToolError> {
    if names.iter().filter(|k| body.contains_key(**k)).count() == 1 {
        return Ok(());
    }
    Err(ToolError::problem(
        400,
        "INVALID_ARGUMENT",
        format!("Give exactly one of {} or {}.", names[0], names[1]),
        &Call::new(tool.method, tool.path),
    ))
}

/// The file kinds a deployment takes, by extension.
const DEPLOYABLE: [&str; 3] = [".bpmn", ".dmn", ".form"];

/// The `multipart/form-data` upload of `POST /deployments`: one `resources` part per file (its
/// text as the part's bytes, its name as the filename), and `tenantId` when given. The boundary
/// is derived from the content, so it cannot occur in it by chance, and is checked anyway.
fn multipart(body: &Map<String, Value>) -> Result<Payload, String> {
    use sha2::{Digest, Sha256};
    let resources = body
        .get("resources")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or("resources: give at least one file (name and content)")?;
    let mut files = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let name = r["name"].as_str().unwrap_or_default();
        let content = r["content"].as_str().unwrap_or_default();
        let safe = (1..=255).contains(&name.len())
            && !name.contains(['"', '\\', '/', '\r', '\n'])
            && !name.chars().any(char::is_control);
        if !safe || !DEPLOYABLE.iter().any(|ext| name.ends_with(ext)) {
            return Err(format!(
                "resources[{i}].name: expected a file name ending in .bpmn, .dmn or .form, without quotes, slashes or line breaks, got {:?}",
                name.chars().take(80).collect::<String>()
            ));
        }
        if content.trim().is_empty() {
            return Err(format!("resources[{i}].content: the file {name} is empty"));
        }
        files.push((name, content));
    }
    let mut digest = Sha256::new();
    for (name, content) in &files {
        digest.update(name.as_bytes());
        digest.update(content.as_bytes());
    }
    let hex: String = digest.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let boundary = format!("camunda-mcp-edge-{hex}");
    if files.iter().any(|(_, c)| c.contains(&boundary)) {
        return Err("resources: a file contains the upload's boundary; change it slightly".into());
    }
    let mut out = String::new();
    for (name, content) in &files {
        out += &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
        );
    }
    if let Some(tenant) = body.get("tenantId").and_then(Value::as_str) {
        out += &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"tenantId\"\r\n\r\n{tenant}\r\n"
        );
    }
    out += &format!("--{boundary}--\r\n");
    Ok(Payload {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        bytes: out.into_bytes(),
    })
}

/// The REST body: the mapped members, then the pass-through objects spliced in as they came.
fn body_text(body: Map<String, Value>, raw: &[(&str, &serde_json::value::RawValue)]) -> String {
    let mapped = Value::Object(body).to_string();
    // Sized once: growing a string by a large value would double its capacity past it.
    let spliced: usize = raw.iter().map(|(n, v)| n.len() + v.get().len() + 4).sum();
    let mut out = String::with_capacity(mapped.len() + spliced);
    out.push_str(&mapped);
    for (name, value) in raw {
        out.pop(); // the closing brace
        if out.len() > 1 {
            out.push(',');
        }
        // Serialising a str cannot fail.
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
        out.push(':');
        out.push_str(value.get());
        out.push('}');
    }
    out
}
