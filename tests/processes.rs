//! `/mcp/processes` natively through `App::handle`: when it is served, the list from message
//! subscriptions and its cache, correlation with a fresh key, removed tools, getProcessState,
//! and governance on its reads and writes.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::http::Request;
use common::*;
use serde_json::{json, Value};

const ON: [(&str, &str); 2] = [("MCP_PROCESSES", "true"), ("CAMUNDA_API_VERSION", "8.10")];

fn at(path: &str, req: Request) -> Request {
    Request {
        path: path.into(),
        ..req
    }
}

fn rpc(method: &str, params: Value) -> Request {
    let body = json!({"jsonrpc": "2.0", "id": 5, "method": method, "params": params});
    at("/mcp/processes", post(&body.to_string()))
}

fn subscriptions() -> Value {
    json!({"items": [
        {"messageSubscriptionKey": "2251799813695001", "messageSubscriptionState": "CREATED", "messageSubscriptionType": "START_EVENT",
         "messageName": "vacation-requested", "toolName": "requestVacation", "tenantId": "<default>",
         "toolProperties": {"io.camunda.tool:purpose": "Files a vacation request.", "io.camunda.tool:inputs": "employee, from, to"}},
        {"messageSubscriptionKey": "2251799813695002", "messageSubscriptionState": "CREATED", "messageSubscriptionType": "START_EVENT",
         "messageName": "damage-reported", "toolName": "reportDamage", "toolProperties": {}},
    ], "page": {"totalItems": 2}})
}

fn names(resp: &camunda_mcp_edge::http::Response) -> Vec<String> {
    body_json(resp)["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&resp.body)))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_processes_server_introduces_itself_as_camundas_does() {
    let app = app_with(&ON);
    let init = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}});
    let result =
        body_json(&send(&app, &Recorder::default(), rpc("initialize", init)))["result"].clone();
    assert_eq!(
        result["serverInfo"]["name"],
        "Camunda 8 Orchestration API Processes MCP Server"
    );
    assert!(result["instructions"]
        .as_str()
        .unwrap()
        .contains("getProcessState"));
    let discover = send(
        &app,
        &Recorder::default(),
        at("/mcp/processes", modern("server/discover", json!({}))),
    );
    let result = body_json(&discover)["result"].clone();
    assert_eq!(
        result["serverInfo"]["name"],
        "Camunda 8 Orchestration API Processes MCP Server"
    );
    // The cluster server keeps its own name on the same deployment.
    let cluster = send(
        &app,
        &Recorder::default(),
        modern("server/discover", json!({})),
    );
    assert_eq!(
        body_json(&cluster)["result"]["serverInfo"]["name"],
        "Camunda 8 Orchestration API MCP Server"
    );
}

#[test]
fn served_only_when_enabled_on_8_10_saying_why_otherwise() {
    for (vars, why) in [
        (vec![], "MCP_PROCESSES=true"),
        (vec![("MCP_PROCESSES", "true")], "CAMUNDA_API_VERSION=8.10"),
    ] {
        let rec = Recorder::default();
        let resp = send(&app_with(&vars), &rec, rpc("tools/list", json!({})));
        assert_eq!(resp.status, 404);
        assert!(body_json(&resp)["message"].as_str().unwrap().contains(why));
        assert!(rec.seen.borrow().is_empty());
    }
}

#[test]
fn the_list_comes_from_start_events_marked_as_tools_and_is_kept_briefly() {
    let app = app_with(&[ON[0], ON[1], ("MCP_PROCESSES_LIST_TTL_MS", "30000")]);
    let rec = Recorder::default();
    rec.answer(200, subscriptions());
    let resp = send(&app, &rec, rpc("tools/list", json!({})));
    assert_eq!(
        names(&resp),
        [
            "getProcessState",
            "requestVacation_2251799813695001",
            "reportDamage_2251799813695002"
        ]
    );
    let tools = body_json(&resp)["result"]["tools"].clone();
    assert_eq!(tools[1]["title"], "requestVacation");
    assert_eq!(
        tools[1]["description"],
        "Files a vacation request.\n\n## Inputs\nemployee, from, to"
    );
    assert_eq!(
        tools[1]["outputSchema"]["properties"]["processInstanceKey"]["type"],
        "integer"
    );
    let calls = rec.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].1,
        format!("{BASE}/v2/message-subscriptions/search")
    );
    assert_eq!(
        calls[0].2,
        Some(
            json!({"filter": {"messageSubscriptionType": "START_EVENT", "messageSubscriptionState": {"$neq": "DELETED"}, "toolName": {"$exists": true}}, "page": {"limit": 500}})
        )
    );
    // Kept: the same caller again reads nothing; the modern lane says for how long, privately.
    let modern_list = send(
        &app,
        &rec,
        at("/mcp/processes", modern("tools/list", json!({}))),
    );
    let result = &body_json(&modern_list)["result"];
    assert_eq!(
        (result["ttlMs"].clone(), result["cacheScope"].clone()),
        (json!(30000), json!("private"))
    );
    assert_eq!(result["tools"].as_array().unwrap().len(), 3);
    assert_eq!(rec.calls().len(), 1);
    // Another credential is another list (the cluster shows each caller what it may see).
    rec.answer(200, json!({"items": []}));
    let other = with(
        rpc("tools/list", json!({})),
        "authorization",
        "Bearer other",
    );
    assert_eq!(names(&send(&app, &rec, other)), ["getProcessState"]);
    assert_eq!(rec.calls().len(), 2);
}

#[test]
fn calling_a_process_tool_correlates_its_message_with_a_fresh_key() {
    let app = app_with(&ON);
    let rec = Recorder::default();
    rec.answer(200, subscriptions());
    rec.answer(200, json!({"messageKey": "9", "tenantId": "<default>", "processInstanceKey": "2251799813696000"}));
    let args = json!({"employee": "ada", "from": "2026-12-20", "to": "2026-12-31"});
    let req = rpc(
        "tools/call",
        json!({"name": "requestVacation_2251799813695001", "arguments": args}),
    );
    let result = body_json(&send(&app, &rec, req))["result"].clone();
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(
        result["structuredContent"],
        json!({"processInstanceKey": 2251799813696000u64})
    );
    let calls = rec.calls();
    assert_eq!(
        calls[0].2.as_ref().unwrap()["filter"],
        json!({"messageSubscriptionKey": "2251799813695001"})
    );
    assert_eq!(calls[1].1, format!("{BASE}/v2/messages/correlation"));
    let body = calls[1].2.clone().unwrap();
    assert_eq!(body["name"], "vacation-requested");
    assert_eq!(body["variables"], args);
    assert_eq!(body["tenantId"], "<default>");
    let key = body["correlationKey"].as_str().unwrap();
    assert!(key.len() == 36 && key.as_bytes()[14] == b'4', "{key}");
    // A second start gets a key of its own.
    rec.answer(200, subscriptions());
    rec.answer(200, json!({"processInstanceKey": "2251799813696001"}));
    let req = rpc(
        "tools/call",
        json!({"name": "requestVacation_2251799813695001", "arguments": {}}),
    );
    send(&app, &rec, req);
    assert_ne!(rec.calls()[3].2.as_ref().unwrap()["correlationKey"], key);
}

#[test]
fn removed_and_unknown_tools_are_camundas_errors() {
    let app = app_with(&ON);
    let deleted = json!({"items": [{"messageSubscriptionKey": "2251799813695003", "messageSubscriptionState": "DELETED", "toolName": "orderLunch", "messageName": "m"}]});
    for (name, answer, message, upstream) in [
        (
            "orderLunch_2251799813695003",
            Some(deleted),
            "Tool orderLunch_2251799813695003 has been removed. Please refresh the tool list.",
            1,
        ),
        (
            "ghost_2251799813699999",
            Some(json!({"items": []})),
            "Tool not found: ghost_2251799813699999",
            1,
        ),
        ("noKeyHere", None, "Tool not found: noKeyHere", 0),
    ] {
        let rec = Recorder::default();
        if let Some(answer) = answer {
            rec.answer(200, answer);
        }
        let resp = send(
            &app,
            &rec,
            rpc("tools/call", json!({"name": name, "arguments": {}})),
        );
        let err = &body_json(&resp)["error"];
        assert_eq!(
            (err["code"].clone(), err["message"].clone()),
            (json!(-32602), json!(message))
        );
        assert_eq!(rec.calls().len(), upstream, "{name}");
    }
}

#[test]
fn get_process_state_reads_the_instance_back() {
    let app = app_with(&ON);
    let rec = Recorder::default();
    rec.answer(
        200,
        json!({"processInstanceKey": "7", "state": "ACTIVE", "hasIncident": true}),
    );
    rec.answer(
        200,
        json!({"items": [{"name": "employee", "value": "\"ada\"", "variableKey": "1"}]}),
    );
    rec.answer(200, json!({"items": [{"elementId": "Approve", "elementName": "Approve", "type": "USER_TASK", "state": "ACTIVE"}]}));
    rec.answer(200, json!({"items": [{"incidentKey": "3", "errorType": "JOB_NO_RETRIES", "errorMessage": "boom", "elementId": "Notify"}]}));
    let req = rpc(
        "tools/call",
        json!({"name": "getProcessState", "arguments": {"processInstanceKey": 7}}),
    );
    let result = body_json(&send(&app, &rec, req))["result"].clone();
    assert_eq!(
        result["structuredContent"],
        json!({"processInstanceKey": "7", "state": "ACTIVE", "hasIncident": true,
               "variables": [{"name": "employee", "value": "\"ada\""}],
               "activeElementInstances": [{"elementId": "Approve", "elementName": "Approve", "type": "USER_TASK"}],
               "incidents": [{"incidentKey": "3", "errorType": "JOB_NO_RETRIES", "errorMessage": "boom", "elementId": "Notify"}]})
    );
    let urls: Vec<String> = rec
        .calls()
        .into_iter()
        .map(|(m, u, _)| format!("{m} {}", u.trim_start_matches(BASE)))
        .collect();
    assert_eq!(
        urls,
        [
            "GET /v2/process-instances/7",
            "POST /v2/variables/search",
            "POST /v2/element-instances/search",
            "POST /v2/incidents/search"
        ]
    );
    let missing = rpc(
        "tools/call",
        json!({"name": "getProcessState", "arguments": {}}),
    );
    let rec = Recorder::default();
    let result = body_json(&send(&app, &rec, missing))["result"].clone();
    assert_eq!(result["isError"], true);
    assert!(rec.calls().is_empty());
}

#[test]
fn read_only_routes_offer_only_get_process_state() {
    let app = app_with(&[ON[0], ON[1], ("MCP_READ_ONLY", "true")]);
    let rec = Recorder::default();
    rec.answer(200, subscriptions());
    assert_eq!(
        names(&send(&app, &rec, rpc("tools/list", json!({})))),
        ["getProcessState"]
    );
    let before = rec.calls().len();
    let req = rpc(
        "tools/call",
        json!({"name": "requestVacation_2251799813695001", "arguments": {}}),
    );
    let err = body_json(&send(&app, &rec, req))["error"].clone();
    assert_eq!(
        err["message"],
        "Unknown tool: requestVacation_2251799813695001"
    );
    assert_eq!(rec.calls().len(), before);
    // Physical tenants have a processes server of their own.
    let rec = Recorder::default();
    rec.answer(200, json!({"items": []}));
    send(
        &app,
        &rec,
        at(
            "/physical-tenants/eu-1/mcp/processes",
            rpc("tools/list", json!({})),
        ),
    );
    assert_eq!(
        rec.calls()[0].1,
        format!("{BASE}/physical-tenants/eu-1/v2/message-subscriptions/search")
    );
}

#[test]
fn cluster_failures_are_reported_not_hidden() {
    let app = app_with(&ON);
    let problem = |status: u16, title: &str| json!({"type": "about:blank", "title": title, "status": status, "detail": format!("{title} from the cluster")});
    let rec = Recorder::default();
    rec.answer(403, problem(403, "FORBIDDEN"));
    let err = body_json(&send(&app, &rec, rpc("tools/list", json!({}))))["error"].clone();
    assert_eq!(err["code"], -32603);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("FORBIDDEN from the cluster"),
        "{err}"
    );
    assert_eq!(err["data"]["status"], 403);
    // A failed list is not kept: the next one asks again.
    rec.answer(200, subscriptions());
    assert_eq!(
        names(&send(&app, &rec, rpc("tools/list", json!({})))).len(),
        3
    );
    // A start the cluster refuses is the tool's error, with its ProblemDetail.
    let rec = Recorder::default();
    rec.answer(200, subscriptions());
    rec.answer(404, problem(404, "NOT_FOUND"));
    let req = rpc(
        "tools/call",
        json!({"name": "reportDamage_2251799813695002", "arguments": {}}),
    );
    let result = body_json(&send(&app, &rec, req))["result"].clone();
    assert_eq!(
        (
            result["isError"].clone(),
            result["structuredContent"]["status"].clone()
        ),
        (json!(true), json!(404))
    );
}

#[test]
fn a_refused_caller_is_pointed_at_the_processes_metadata() {
    let app = app_with(&[
        ON[0],
        ON[1],
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", "https://idp.test"),
        ("OIDC_AUDIENCES", "api"),
        ("MCP_TOOL_SCOPES", "write=camunda:start"),
    ]);
    // Scope rules with tokens: tests/governance.rs. Without one: 401, nothing read, and the
    // challenge names this endpoint's own RFC 9728 document.
    let rec = Recorder::default();
    let resp = send(&app, &rec, rpc("tools/list", json!({})));
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .contains("/.well-known/oauth-protected-resource/mcp/processes"));
    assert!(rec.seen.borrow().is_empty());
}
