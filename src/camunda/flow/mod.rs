//! How a tool call becomes REST calls. Most tools are one call whose answer is the result
//! ([`call`] builds it from the tool's row, `request.rs`). The tools that need more — more
//! calls, or a check Camunda makes first — are named by the catalogue's [`Flow`]; each flow of
//! more than a line has a file here.

mod assign;
mod deploy;
mod exactly_one;
mod request;
mod resolve_incident;
mod tenant_health;
mod views;

use serde_json::json;

use super::client::{Called, Calls, Cluster, Payload};
use super::results::{Call, ToolError};
use super::schema::Arguments;
use super::tools::{Flow, Tool};
use crate::http::Method;
use crate::ports::HttpClient;
use request::{body_text, build, reply};

/// Runs `tool` with `arguments` on `cluster`; failures are `isError` results. The status of the
/// cluster's last answer travels with the result.
pub async fn call<C: HttpClient>(
    cluster: &Cluster<'_, C>,
    tool: &Tool,
    arguments: Arguments<'_>,
) -> Called {
    let mut calls = Calls::new(cluster);
    let result = run(&mut calls, tool, arguments).await;
    calls.called(result)
}

async fn run<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    tool: &Tool,
    arguments: Arguments<'_>,
) -> Result<String, ToolError> {
    let mut built = build(tool, arguments, calls.cluster.limits.default_page_limit)?;
    match tool.flow {
        Flow::Plain => {}
        Flow::CreateProcessInstance => {
            exactly_one::check(
                &built.body,
                ["processDefinitionKey", "processDefinitionId"],
                tool,
            )?;
            built.body.entry("awaitCompletion").or_insert(json!(false));
        }
        Flow::ExactlyOne(names) => exactly_one::check(&built.body, names, tool)?,
        Flow::Deploy => return deploy::run(calls, tool, &built).await,
        Flow::AssignOrUnassign => {
            if let Some(unassigned) = assign::unassign_if_blank(calls, &mut built).await {
                return unassigned;
            }
        }
        Flow::ResolveIncident => return resolve_incident::run(calls, tool, &built).await,
        Flow::Health if calls.cluster.tenant.is_some() => return tenant_health::run(calls).await,
        Flow::Health => {}
        Flow::View(flow) => return views::run(calls, flow, &built.args).await,
    }
    let call = Call::new(tool.method, &built.path);
    let body = matches!(tool.method, Method::Post | Method::Put | Method::Patch)
        .then(|| Payload::json(body_text(built.body, &built.raw)));
    let resp = calls.send_for_result(&call, body, tool.reply).await?;
    reply(calls.cluster, tool.reply, &resp, &call, &built.args)
}
