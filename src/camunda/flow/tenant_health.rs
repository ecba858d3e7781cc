//! `getClusterStatus` for a physical tenant, as Camunda's gateway reports it (HEALTHY when at
//! least one partition has a healthy leader): read from the tenant's topology, because the REST
//! API serves `/status` for the default tenant only.

use serde_json::Value;

use crate::camunda::client::Calls;
use crate::camunda::results::{text_result, Call, ToolError};
use crate::http::Method;
use crate::ports::HttpClient;

pub(super) async fn run<C: HttpClient>(calls: &mut Calls<'_, '_, C>) -> Result<String, ToolError> {
    let call = Call::new(Method::Get, "/topology");
    let topology: Value = calls.read_json(&call, None).await?;
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
