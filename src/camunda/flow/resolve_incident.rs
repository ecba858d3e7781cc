//! `resolveIncident`: resolving fails while the incident's job has no retries left; Camunda's
//! gateway then gives the job one retry and resolves again, and so do we — up to four calls.

use serde_json::{json, Map, Value};

use super::request::{reply, Built};
use crate::camunda::client::{Calls, Payload};
use crate::camunda::results::{self, fill_path, is_success, Call, ToolError};
use crate::camunda::tools::{Reply, Tool};
use crate::http::{Method, UpstreamResponse};
use crate::ports::HttpClient;

pub(super) async fn run<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    tool: &Tool,
    built: &Built<'_>,
) -> Result<String, ToolError> {
    let resolution = Call::new(tool.method, &built.path);
    let resp = resolve(calls, &resolution, tool.reply).await?;
    if is_success(resp.status) {
        return reply(calls.cluster, tool.reply, &resp, &resolution, &built.args);
    }
    let err = results::failure(&resp, &resolution);
    let ToolError::Problem(problem) = &err else {
        return Err(err);
    };
    if !problem.is_no_retries_left() {
        return Err(err);
    }
    let detail = problem.detail.as_deref().unwrap_or_default();
    let job_key = job_of_incident(calls, &built.args, detail).await?;
    let patch = Call::new(Method::Patch, &format!("/jobs/{job_key}"));
    let retry = json!({"changeset": {"retries": 1}}).to_string();
    let retried = calls
        .send(&patch, Some(Payload::json(retry)), Reply::Json)
        .await?;
    if !is_success(retried.status) {
        return Err(results::failure(&retried, &patch));
    }
    let resp = resolve(calls, &resolution, tool.reply).await?;
    reply(calls.cluster, tool.reply, &resp, &resolution, &built.args)
}

async fn resolve<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    resolution: &Call,
    kind: Reply,
) -> Result<UpstreamResponse, ToolError> {
    let body = Payload::json("{}".to_owned());
    calls.send(resolution, Some(body), kind).await
}

/// The key of the incident's job, read from the incident; `detail` is the failed resolution's,
/// quoted when there is no job to retry.
async fn job_of_incident<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    args: &Map<String, Value>,
    detail: &str,
) -> Result<String, ToolError> {
    let get = Call::new(Method::Get, &fill_path("/incidents/{incidentKey}", args));
    let incident = calls.send(&get, None, Reply::Json).await?;
    if !is_success(incident.status) {
        return Err(results::failure(&incident, &get));
    }
    serde_json::from_slice::<Value>(&incident.body)
        .ok()
        .and_then(|v| match v.get("jobKey") {
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Some(s.clone())
            }
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            ToolError::bad_gateway(
                format!("{detail} The incident has no job to retry ({get} returned no jobKey)."),
                &get,
            )
        })
}
