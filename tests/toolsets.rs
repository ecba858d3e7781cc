//! The operator toolsets natively through `App::handle`: off unless named, each tool's exact REST
//! request, the multipart deployment, the key-or-id rule, and governance applying to them.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::camunda::toolsets::Toolset;
use camunda_mcp_edge::config::Config;
use camunda_mcp_edge::policy::ToolMask;
use common::*;
use serde_json::{json, Value};

const ALL: &str = "messages,operate,jobs,decisions,deploy,audit";

fn url(path: &str) -> String {
    format!("{BASE}/v2{path}")
}

fn tools_of(app: &App) -> Vec<Value> {
    let resp = send(
        app,
        &Recorder::default(),
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
    );
    body_json(&resp)["result"]["tools"]
        .as_array()
        .unwrap()
        .clone()
}

fn names(app: &App) -> Vec<String> {
    tools_of(app)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn toolsets_are_absent_unless_named_and_unknown_names_stop_the_gateway() {
    assert_eq!(names(&app()).len(), camunda_tools());
    let jobs = names(&app_with(&[("MCP_TOOLSETS", "jobs")]));
    assert_eq!(jobs.len(), camunda_tools() + Toolset::Jobs.tools().len());
    assert_eq!(
        &jobs[camunda_tools()..],
        [
            "searchJobs",
            "completeJob",
            "failJob",
            "throwJobError",
            "updateJob"
        ]
    );
    let operator: usize = ALL
        .split(',')
        .map(|n| Toolset::parse(n).unwrap().tools().len())
        .sum();
    let all = names(&app_with(&[("MCP_TOOLSETS", ALL)])).len();
    assert_eq!(all, camunda_tools() + operator);
    assert!(
        all <= ToolMask::CAPACITY,
        "a tool set holds {}",
        ToolMask::CAPACITY
    );
    let err = Config::from_vars(|n| (n == "MCP_TOOLSETS").then(|| "jobs,operations".to_owned()))
        .err()
        .unwrap();
    assert_eq!(
        (err.name, err.value.as_str()),
        ("MCP_TOOLSETS", "operations")
    );
}

#[test]
fn operator_tools_always_state_all_four_hints_truthfully() {
    let resp = send(
        &app_with(&[("MCP_TOOLSETS", ALL)]),
        &Recorder::default(),
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
    );
    let tools = body_json(&resp)["result"]["tools"]
        .as_array()
        .unwrap()
        .clone();
    // Camunda's 18 keep Camunda's annotations.
    assert_eq!(tools[3]["annotations"], json!({}), "resolveIncident");
    for t in &tools[camunda_tools()..] {
        let a = &t["annotations"];
        assert_eq!(a.as_object().unwrap().len(), 4, "{}", t["name"]);
        let read = a["readOnlyHint"] == true;
        assert_eq!(
            read,
            t["name"].as_str().unwrap().starts_with("search")
                || t["name"].as_str().unwrap().starts_with("get"),
            "{}",
            t["name"]
        );
    }
    let destructive = |name: &str| {
        tools.iter().find(|t| t["name"] == name).unwrap()["annotations"]["destructiveHint"].clone()
    };
    for name in [
        "cancelProcessInstance",
        "deleteResource",
        "createDeployment",
    ] {
        assert_eq!(destructive(name), true, "{name}");
    }
    assert_eq!(destructive("publishMessage"), false);
}

#[test]
#[allow(clippy::too_many_lines)] // a table: one row per tool
fn each_operator_tool_makes_its_rest_call() {
    let app = app_with(&[("MCP_TOOLSETS", ALL)]);
    let k = 2251799813685249i64;
    let d = "2026-01-01T00:00:00Z";
    let cases: Vec<(&str, Value, &str, String, Option<Value>)> = vec![
        (
            "publishMessage",
            json!({"name": "payment-received", "correlationKey": "order-1", "timeToLive": 60000, "messageId": "m1", "variables": {"paid": true}, "tenantId": "t"}),
            "POST",
            url("/messages/publication"),
            Some(
                json!({"name": "payment-received", "correlationKey": "order-1", "timeToLive": 60000, "messageId": "m1", "tenantId": "t", "variables": {"paid": true}}),
            ),
        ),
        (
            "correlateMessage",
            json!({"name": "payment-received", "correlationKey": "order-1"}),
            "POST",
            url("/messages/correlation"),
            Some(json!({"name": "payment-received", "correlationKey": "order-1"})),
        ),
        (
            "searchMessageSubscriptions",
            json!({"filter": {"messageName": "payment-received", "messageSubscriptionState": "CREATED", "processInstanceKey": k, "lastUpdatedDate": {"from": d}}}),
            "POST",
            url("/message-subscriptions/search"),
            Some(
                json!({"filter": {"messageName": "payment-received", "messageSubscriptionState": "CREATED", "processInstanceKey": k.to_string(), "lastUpdatedDate": {"$gte": d}}, "page": {"limit": 50}}),
            ),
        ),
        (
            "cancelProcessInstance",
            json!({"processInstanceKey": k}),
            "POST",
            url(&format!("/process-instances/{k}/cancellation")),
            Some(json!({})),
        ),
        (
            "createElementInstanceVariables",
            json!({"elementInstanceKey": k, "variables": {"approved": false}, "local": true}),
            "PUT",
            url(&format!("/element-instances/{k}/variables")),
            Some(json!({"local": true, "variables": {"approved": false}})),
        ),
        (
            "searchElementInstances",
            json!({"filter": {"processInstanceKey": k, "state": "ACTIVE", "type": "SERVICE_TASK", "hasIncident": true}, "sort": [{"field": "startDate", "order": "DESC"}]}),
            "POST",
            url("/element-instances/search"),
            Some(
                json!({"filter": {"processInstanceKey": k.to_string(), "state": "ACTIVE", "type": "SERVICE_TASK", "hasIncident": true}, "sort": [{"field": "startDate", "order": "DESC"}], "page": {"limit": 50}}),
            ),
        ),
        (
            "getProcessInstanceStatistics",
            json!({"processInstanceKey": k}),
            "GET",
            url(&format!(
                "/process-instances/{k}/statistics/element-instances"
            )),
            None,
        ),
        (
            "searchJobs",
            json!({"filter": {"type": "charge-card", "state": "FAILED", "retries": 0}, "page": {"limit": 5}}),
            "POST",
            url("/jobs/search"),
            Some(
                json!({"filter": {"type": "charge-card", "state": "FAILED", "retries": 0}, "page": {"limit": 5}}),
            ),
        ),
        (
            "completeJob",
            json!({"jobKey": k, "variables": {"charged": true}}),
            "POST",
            url(&format!("/jobs/{k}/completion")),
            Some(json!({"variables": {"charged": true}})),
        ),
        (
            "failJob",
            json!({"jobKey": k, "retries": 2, "errorMessage": "card service down", "retryBackOff": 30000}),
            "POST",
            url(&format!("/jobs/{k}/failure")),
            Some(json!({"retries": 2, "errorMessage": "card service down", "retryBackOff": 30000})),
        ),
        (
            "throwJobError",
            json!({"jobKey": k, "errorCode": "CARD_DECLINED", "errorMessage": "declined"}),
            "POST",
            url(&format!("/jobs/{k}/error")),
            Some(json!({"errorCode": "CARD_DECLINED", "errorMessage": "declined"})),
        ),
        (
            "updateJob",
            json!({"jobKey": k, "changeset": {"retries": 3, "timeout": 60000}}),
            "PATCH",
            url(&format!("/jobs/{k}")),
            Some(json!({"changeset": {"retries": 3, "timeout": 60000}})),
        ),
        (
            "searchDecisionDefinitions",
            json!({"filter": {"decisionDefinitionId": "risk", "isLatestVersion": true}}),
            "POST",
            url("/decision-definitions/search"),
            Some(
                json!({"filter": {"decisionDefinitionId": "risk", "isLatestVersion": true}, "page": {"limit": 50}}),
            ),
        ),
        (
            "getDecisionDefinitionXML",
            json!({"decisionDefinitionKey": k}),
            "GET",
            url(&format!("/decision-definitions/{k}/xml")),
            None,
        ),
        (
            "evaluateDecision",
            json!({"decisionDefinitionId": "risk", "variables": {"amount": 1200}}),
            "POST",
            url("/decision-definitions/evaluation"),
            Some(json!({"decisionDefinitionId": "risk", "variables": {"amount": 1200}})),
        ),
        (
            "searchDecisionInstances",
            json!({"filter": {"state": "FAILED", "evaluationDate": {"from": d}}}),
            "POST",
            url("/decision-instances/search"),
            Some(
                json!({"filter": {"state": "FAILED", "evaluationDate": {"$gte": d}}, "page": {"limit": 50}}),
            ),
        ),
        (
            "deleteResource",
            json!({"resourceKey": k, "deleteHistory": true}),
            "POST",
            url(&format!("/resources/{k}/deletion")),
            Some(json!({"deleteHistory": true})),
        ),
        (
            "searchAuditLogs",
            json!({"filter": {"operationType": "CANCEL", "actorId": "alice", "timestamp": {"from": d}}}),
            "POST",
            url("/audit-logs/search"),
            Some(
                json!({"filter": {"operationType": "CANCEL", "actorId": "alice", "timestamp": {"$gte": d}}, "page": {"limit": 50}}),
            ),
        ),
    ];
    // Every operator tool has its row (the upload has a test of its own): a new tool without
    // one fails here.
    let mut covered: Vec<&str> = cases.iter().map(|c| c.0).collect();
    covered.push("createDeployment");
    let listed = names(&app);
    let mut operator: Vec<&str> = listed[camunda_tools()..]
        .iter()
        .map(String::as_str)
        .collect();
    covered.sort_unstable();
    operator.sort_unstable();
    assert_eq!(covered, operator);
    for (name, args, method, want_url, want_body) in cases {
        let rec = Recorder::default();
        rec.answer(200, json!({"ok": true}));
        let result = call(&app, &rec, name, args);
        assert_eq!(result["isError"], false, "{name}: {result}");
        let calls = rec.calls();
        assert_eq!(calls.len(), 1, "{name}");
        let (m, u, b) = &calls[0];
        assert_eq!(
            (m.as_str(), u.as_str()),
            (method, want_url.as_str()),
            "{name}"
        );
        assert_eq!(b, &want_body, "{name}");
    }
}

#[test]
fn create_deployment_sends_a_multipart_upload() {
    let app = app_with(&[("MCP_TOOLSETS", "deploy")]);
    let rec = Recorder::default();
    rec.answer(200, json!({"deploymentKey": "1", "deployments": []}));
    let bpmn = "<?xml version=\"1.0\"?><bpmn:definitions/>";
    let args = json!({"resources": [{"name": "order.bpmn", "content": bpmn}, {"name": "risk.dmn", "content": "<definitions/>"}], "tenantId": "t1"});
    let result = call(&app, &rec, "createDeployment", args);
    assert_eq!(result["isError"], false, "{result}");
    let seen = rec.seen.borrow();
    let req = &seen[0];
    assert_eq!(req.url, url("/deployments"));
    let ct = req
        .headers
        .iter()
        .find(|(n, _)| *n == "content-type")
        .unwrap()
        .1
        .clone();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let body = String::from_utf8(req.body.clone().unwrap()).unwrap();
    assert_eq!(
        body,
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"; filename=\"order.bpmn\"\r\nContent-Type: application/octet-stream\r\n\r\n{bpmn}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"resources\"; filename=\"risk.dmn\"\r\nContent-Type: application/octet-stream\r\n\r\n<definitions/>\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"tenantId\"\r\n\r\nt1\r\n--{boundary}--\r\n"
        )
    );
}

#[test]
fn bad_operator_input_is_a_tool_error_and_costs_nothing() {
    let app = app_with(&[("MCP_TOOLSETS", ALL)]);
    for (name, args, needle) in [
        (
            "createDeployment",
            json!({"resources": [{"name": "evil\".bpmn", "content": "x"}]}),
            "resources[0].name",
        ),
        (
            "createDeployment",
            json!({"resources": [{"name": "notes.txt", "content": "x"}]}),
            ".bpmn, .dmn or .form",
        ),
        (
            "createDeployment",
            json!({"resources": [{"name": "a.bpmn", "content": "  "}]}),
            "is empty",
        ),
        (
            "createDeployment",
            json!({"resources": []}),
            "at least one file",
        ),
        (
            "evaluateDecision",
            json!({"variables": {}}),
            "exactly one of decisionDefinitionKey or decisionDefinitionId",
        ),
        (
            "evaluateDecision",
            json!({"decisionDefinitionKey": 1, "decisionDefinitionId": "x"}),
            "exactly one",
        ),
        (
            "cancelProcessInstance",
            json!({"processInstanceKey": -1}),
            "processInstanceKey",
        ),
        ("throwJobError", json!({"jobKey": 1}), "errorCode"),
        (
            "createElementInstanceVariables",
            json!({"elementInstanceKey": 1}),
            "variables",
        ),
    ] {
        let rec = Recorder::default();
        let result = call(&app, &rec, name, args);
        assert_eq!(result["isError"], true, "{name}: {result}");
        assert!(text(&result).contains(needle), "{name}: {}", text(&result));
        assert_eq!(rec.seen.borrow().len(), 0, "{name} reached the cluster");
    }
}

#[test]
fn governance_applies_to_the_toolsets() {
    let read_only = names(&app_with(&[
        ("MCP_TOOLSETS", ALL),
        ("MCP_READ_ONLY", "true"),
    ]));
    // Camunda's reads and the toolsets' searches and reads.
    let every = app_with(&[("MCP_TOOLSETS", ALL)]);
    let reads = tools_of(&every)
        .iter()
        .filter(|t| t["annotations"]["readOnlyHint"] == true)
        .count();
    assert_eq!(read_only.len(), reads);
    for write in [
        "cancelProcessInstance",
        "createDeployment",
        "evaluateDecision",
        "publishMessage",
    ] {
        assert!(
            !read_only.iter().any(|n| n == write),
            "{write} offered read-only"
        );
    }
    let denied = names(&app_with(&[
        ("MCP_TOOLSETS", "deploy"),
        ("MCP_TOOLS_DENY", "deleteResource"),
    ]));
    assert!(
        denied.contains(&"createDeployment".to_owned())
            && !denied.contains(&"deleteResource".to_owned())
    );
    // Names from toolsets that are off are no tools at all.
    let off = camunda_mcp_edge::app::App::new(
        Config::from_vars(|n| (n == "MCP_TOOLS_DENY").then(|| "deleteResource".to_owned()))
            .unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    );
    assert_eq!(off.err().unwrap().name, "MCP_TOOLS_DENY");
}
