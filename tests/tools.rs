//! Every tool's REST call, result shape and bad-input message, natively through `App::handle`.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::http::FetchError;
use common::*;
use serde_json::{json, Value};

fn url(path: &str) -> String {
    format!("{BASE}/v2{path}")
}

/// One REST request per tool call, with exactly the method, URL and body Camunda's gateway sends.
#[test]
#[allow(clippy::too_many_lines)] // a table: one row per tool
fn each_tool_makes_its_rest_call() {
    let k = 2251799813685249i64;
    let cases: Vec<(&str, Value, &str, String, Option<Value>)> = vec![
        ("getClusterStatus", json!({}), "GET", url("/status"), None),
        ("getTopology", json!({}), "GET", url("/topology"), None),
        (
            "getIncident",
            json!({"incidentKey": k}),
            "GET",
            url(&format!("/incidents/{k}")),
            None,
        ),
        (
            "resolveIncident",
            json!({"incidentKey": k}),
            "POST",
            url(&format!("/incidents/{k}/resolution")),
            Some(json!({})),
        ),
        (
            "searchIncidents",
            json!({"filter": {"state": "ACTIVE", "creationTime": {"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}, "tenantId": "hidden", "processInstanceKey": k}, "sort": [{"field": "creationTime", "order": "DESC"}], "page": {"limit": 5, "after": "c1"}}),
            "POST",
            url("/incidents/search"),
            Some(
                json!({"filter": {"creationTime": {"$gte": "2025-01-01T00:00:00Z", "$lt": "2025-02-01T00:00:00Z"}, "processInstanceKey": k.to_string(), "state": "ACTIVE"}, "page": {"after": "c1", "limit": 5}, "sort": [{"field": "creationTime", "order": "DESC"}]}),
            ),
        ),
        (
            "getProcessDefinition",
            json!({"processDefinitionKey": k}),
            "GET",
            url(&format!("/process-definitions/{k}")),
            None,
        ),
        (
            "getProcessDefinitionXml",
            json!({"processDefinitionKey": k}),
            "GET",
            url(&format!("/process-definitions/{k}/xml")),
            None,
        ),
        (
            "searchProcessDefinitions",
            json!({"filter": {"isLatestVersion": true}}),
            "POST",
            url("/process-definitions/search"),
            Some(json!({"filter": {"isLatestVersion": true}, "page": {"limit": 50}})),
        ),
        (
            "createProcessInstance",
            json!({"processDefinitionId": "order-process", "variables": {"amount": 10}, "tags": ["t1"]}),
            "POST",
            url("/process-instances"),
            Some(
                json!({"processDefinitionId": "order-process", "tags": ["t1"], "variables": {"amount": 10}, "awaitCompletion": false}),
            ),
        ),
        (
            "getProcessInstance",
            json!({"processInstanceKey": k}),
            "GET",
            url(&format!("/process-instances/{k}")),
            None,
        ),
        (
            "searchProcessInstances",
            json!({"filter": {"variables": [{"name": "orderId", "value": "\"A-1\""}], "startDate": {"from": "2025-01-01T00:00:00Z"}}}),
            "POST",
            url("/process-instances/search"),
            Some(
                json!({"filter": {"startDate": {"$gte": "2025-01-01T00:00:00Z"}, "variables": [{"name": "orderId", "value": "\"A-1\""}]}, "page": {"limit": 50}}),
            ),
        ),
        (
            "assignUserTask",
            json!({"userTaskKey": k, "assignee": "demo"}),
            "POST",
            url(&format!("/user-tasks/{k}/assignment")),
            Some(json!({"assignee": "demo", "action": "assign", "allowOverride": true})),
        ),
        (
            "completeUserTask",
            json!({"userTaskKey": k, "completionOptions": {"variables": {"ok": true}}}),
            "POST",
            url(&format!("/user-tasks/{k}/completion")),
            Some(json!({"variables": {"ok": true}})),
        ),
        (
            "getUserTask",
            json!({"userTaskKey": k}),
            "GET",
            url(&format!("/user-tasks/{k}")),
            None,
        ),
        (
            "searchUserTaskVariables",
            json!({"userTaskKey": k, "filter": {"name": "amount"}, "truncateValues": false}),
            "POST",
            url(&format!(
                "/user-tasks/{k}/variables/search?truncateValues=false"
            )),
            Some(json!({"filter": {"name": "amount"}, "page": {"limit": 50}})),
        ),
        (
            "searchUserTasks",
            json!({"filter": {"assignee": "demo", "state": "CREATED"}}),
            "POST",
            url("/user-tasks/search"),
            Some(
                json!({"filter": {"assignee": "demo", "state": "CREATED"}, "page": {"limit": 50}}),
            ),
        ),
        (
            "getVariable",
            json!({"variableKey": k}),
            "GET",
            url(&format!("/variables/{k}")),
            None,
        ),
        (
            "searchVariables",
            json!({}),
            "POST",
            url("/variables/search"),
            Some(json!({"page": {"limit": 50}})),
        ),
    ];
    assert_eq!(cases.len(), camunda_tools());
    for (tool, args, method, expected_url, body) in cases {
        let rec = Recorder::default();
        let reply = if method == "GET"
            && tool.starts_with("get")
            && tool != "getClusterStatus"
            && tool != "getProcessDefinitionXml"
        {
            json!({"ok": true})
        } else {
            json!({"items": []})
        };
        rec.answer(200, reply);
        let result = call(&app(), &rec, tool, args);
        let calls = rec.calls();
        assert_eq!(calls.len(), 1, "{tool}: {calls:?}");
        assert_eq!(
            (calls[0].0.as_str(), calls[0].1.as_str()),
            (method, expected_url.as_str()),
            "{tool}"
        );
        assert_eq!(calls[0].2, body, "{tool}");
        assert_eq!(result["isError"], false, "{tool}: {result}");
    }
}

#[test]
fn keys_above_2_pow_53_reach_the_path_exactly() {
    let rec = Recorder::default();
    rec.answer(200, json!({"incidentKey": "9007199254740993"}));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getIncident","arguments":{"incidentKey":9007199254740993}}}"#;
    send(&app(), &rec, post(body));
    assert_eq!(rec.calls()[0].1, url("/incidents/9007199254740993"));
}

#[test]
fn the_caller_authorization_is_forwarded_unchanged() {
    let rec = Recorder::default();
    rec.answer(200, json!({}));
    let mut req =
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#);
    req.headers
        .push(("authorization".into(), "Bearer abc.def.ghi".into()));
    send(&app(), &rec, req);
    let seen = rec.seen.borrow();
    assert!(seen[0]
        .headers
        .contains(&("authorization", "Bearer abc.def.ghi".into())));
}

#[test]
fn results_are_structured_text_or_fixed_sentences() {
    let rec = Recorder::default();
    rec.answer(200, json!({"clusterSize": 3, "gone": null}));
    let r = call(&app(), &rec, "getTopology", json!({}));
    assert_eq!(r["structuredContent"], json!({"clusterSize": 3}));
    assert_eq!(text(&r), r#"{"clusterSize":3}"#);

    let rec = Recorder::default();
    rec.answer_raw(200, "<bpmn:definitions/>");
    let r = call(
        &app(),
        &rec,
        "getProcessDefinitionXml",
        json!({"processDefinitionKey": 1}),
    );
    assert_eq!(text(&r), "<bpmn:definitions/>");
    assert!(r.get("structuredContent").is_none());

    // 204 on the XML endpoint: the definition has no XML to give.
    let r = call(
        &app(),
        &Recorder::default(),
        "getProcessDefinitionXml",
        json!({"processDefinitionKey": 7}),
    );
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["status"], 404);

    let r = call(
        &app(),
        &Recorder::default(),
        "resolveIncident",
        json!({"incidentKey": 42}),
    );
    assert_eq!(text(&r), "Incident with key 42 resolved.");
    let r = call(
        &app(),
        &Recorder::default(),
        "completeUserTask",
        json!({"userTaskKey": 5}),
    );
    assert_eq!(text(&r), "User task with key 5 completed.");

    let rec = Recorder::default();
    rec.answer(503, json!({"title": "Service Unavailable"}));
    assert_eq!(
        text(&call(&app(), &rec, "getClusterStatus", json!({}))),
        "UNHEALTHY"
    );
    assert_eq!(
        text(&call(
            &app(),
            &Recorder::default(),
            "getClusterStatus",
            json!({})
        )),
        "HEALTHY"
    );
}

#[test]
fn assign_with_a_name_and_unassign_without_one() {
    let rec = Recorder::default();
    let r = call(
        &app(),
        &rec,
        "assignUserTask",
        json!({"userTaskKey": 5, "assignee": "demo", "assignmentOptions": {"allowOverride": false, "action": "claim"}}),
    );
    assert_eq!(text(&r), "User task with key 5 assigned to demo.");
    assert_eq!(
        rec.calls()[0].2,
        Some(json!({"assignee": "demo", "action": "claim", "allowOverride": false}))
    );

    for args in [
        json!({"userTaskKey": 5}),
        json!({"userTaskKey": 5, "assignee": "  "}),
        json!({"userTaskKey": 5, "assignee": null}),
    ] {
        let rec = Recorder::default();
        let r = call(&app(), &rec, "assignUserTask", args);
        assert_eq!(text(&r), "User task with key 5 unassigned.");
        assert_eq!(
            rec.calls(),
            vec![("DELETE".into(), url("/user-tasks/5/assignee"), None)]
        );
    }
}

#[test]
fn resolve_incident_gives_the_job_a_retry_when_none_are_left() {
    let rec = Recorder::default();
    rec.answer(409, json!({"type": "about:blank", "title": "INVALID_STATE", "status": 409, "detail": "Expected to resolve incident with key '42', but the job has no retries left", "instance": "/v2/incidents/42/resolution"}))
        .answer(200, json!({"incidentKey": "42", "jobKey": "77", "state": "ACTIVE"}))
        .answer_raw(204, "")
        .answer_raw(204, "");
    let r = call(&app(), &rec, "resolveIncident", json!({"incidentKey": 42}));
    assert_eq!(text(&r), "Incident with key 42 resolved.");
    assert_eq!(
        rec.calls(),
        vec![
            (
                "POST".into(),
                url("/incidents/42/resolution"),
                Some(json!({}))
            ),
            ("GET".into(), url("/incidents/42"), None),
            (
                "PATCH".into(),
                url("/jobs/77"),
                Some(json!({"changeset": {"retries": 1}}))
            ),
            (
                "POST".into(),
                url("/incidents/42/resolution"),
                Some(json!({}))
            ),
        ]
    );

    // Any other failure is reported as is, without the dance.
    let rec = Recorder::default();
    rec.answer(
        404,
        json!({"title": "NOT_FOUND", "status": 404, "detail": "Incident with key 42 not found"}),
    );
    let r = call(&app(), &rec, "resolveIncident", json!({"incidentKey": 42}));
    assert_eq!(r["isError"], true);
    assert_eq!(
        r["structuredContent"]["detail"],
        "Incident with key 42 not found"
    );
    assert_eq!(rec.calls().len(), 1);
}

#[test]
fn create_process_instance_needs_exactly_one_definition_reference() {
    for args in [
        json!({}),
        json!({"processDefinitionKey": "1", "processDefinitionId": "p"}),
    ] {
        let rec = Recorder::default();
        let r = call(&app(), &rec, "createProcessInstance", args);
        assert_eq!(r["isError"], true);
        assert_eq!(r["structuredContent"]["title"], "INVALID_ARGUMENT");
        assert_eq!(r["structuredContent"]["status"], 400);
        assert!(rec.calls().is_empty());
    }
    let rec = Recorder::default();
    rec.answer(200, json!({"processInstanceKey": "9"}));
    call(
        &app(),
        &rec,
        "createProcessInstance",
        json!({"processDefinitionKey": 2251799813685249i64, "awaitCompletion": true}),
    );
    assert_eq!(
        rec.calls()[0].2,
        Some(json!({"awaitCompletion": true, "processDefinitionKey": "2251799813685249"}))
    );
}

/// Each bad argument gets its own readable message and no REST call is made.
#[test]
fn bad_input_gets_a_specific_tool_error_and_no_rest_call() {
    let cases = [
        ("getIncident", json!({}), "incidentKey: Incident key must not be null."),
        ("getIncident", json!({"incidentKey": null}), "incidentKey: Incident key must not be null."),
        ("getIncident", json!({"incidentKey": 0}), "incidentKey: Incident key must be a positive number."),
        ("getIncident", json!({"incidentKey": -1}), "incidentKey: Incident key must be a positive number."),
        ("getProcessDefinition", json!({"processDefinitionKey": -3}), "processDefinitionKey: Process definition key must be a positive number."),
        ("getProcessInstance", json!({}), "processInstanceKey: Process instance key must not be null."),
        ("getUserTask", json!({"userTaskKey": 0}), "userTaskKey: User task key must be a positive number."),
        ("getVariable", json!({}), "variableKey: Variable key must not be null."),
        ("getVariable", json!({"variableKey": "abc"}), "variableKey: Variable key must be a positive integer (int64), got a string."),
        ("getVariable", json!({"variableKey": [1]}), "variableKey: Variable key must be a positive integer (int64), got an array."),
        ("searchIncidents", json!({"filter": {"state": "OPEN"}}), "filter.state: must be one of ACTIVE, MIGRATED, PENDING, RESOLVED, UNKNOWN; got \"OPEN\""),
        ("searchIncidents", json!({"filter": []}), "filter: expected an object, got an array"),
        ("searchIncidents", json!({"sort": {"field": "state"}}), "sort: expected an array, got an object"),
        ("searchIncidents", json!({"sort": [{"order": "ASC"}]}), "sort[0].field: is required"),
        ("searchIncidents", json!({"sort": [{"field": "state", "order": "UP"}]}), "sort[0].order: must be one of ASC, DESC; got \"UP\""),
        ("searchIncidents", json!({"page": {"limit": "ten"}}), "page.limit: expected an integer (int32), got a string"),
        ("searchIncidents", json!({"page": {"limit": 3_000_000_000u64}}), "page.limit: 3000000000 is out of range for int32 (-2147483648 to 2147483647)"),
        ("searchIncidents", json!({"filter": {"creationTime": {"from": "last week"}}}), "filter.creationTime.from: \"last week\" is not an RFC 3339 date-time such as 2025-01-31T09:00:00Z"),
        ("searchProcessDefinitions", json!({"filter": {"version": 1.5}}), "filter.version: expected an integer (int32), got 1.5"),
        ("searchProcessDefinitions", json!({"filter": {"isLatestVersion": "yes"}}), "filter.isLatestVersion: expected true or false, got a string"),
        ("searchProcessInstances", json!({"filter": {"variables": [{"name": "x"}]}}), "filter.variables[0].value: is required"),
        ("searchProcessInstances", json!({"filter": {"tags": "a"}}), "filter.tags: expected an array, got a string"),
        ("searchProcessInstances", json!({"filter": {"processInstanceKey": true}}), "filter.processInstanceKey: expected a key as a string of digits, got a boolean"),
        ("createProcessInstance", json!({"processDefinitionId": "p", "variables": "x=1"}), "variables: expected an object, got a string"),
        ("createProcessInstance", json!({"processDefinitionId": 5}), "processDefinitionId: expected a string, got an integer"),
        ("searchUserTaskVariables", json!({"userTaskKey": 1, "truncateValues": "no"}), "truncateValues: expected true or false, got a string"),
        ("assignUserTask", json!({"userTaskKey": 1, "assignee": 7}), "assignee: expected a string, got an integer"),
    ];
    for (tool, args, message) in cases {
        let rec = Recorder::default();
        let r = call(&app(), &rec, tool, args.clone());
        assert_eq!(r["isError"], true, "{tool} {args}");
        assert_eq!(text(&r), message, "{tool} {args}");
        assert!(rec.calls().is_empty(), "{tool} {args} reached the cluster");
    }
}

#[test]
fn unknown_tools_and_malformed_calls_are_protocol_errors() {
    let rec = Recorder::default();
    let e = call(&app(), &rec, "dropDatabase", json!({}));
    assert_eq!(
        e,
        json!({"code": -32602, "message": "Unknown tool: dropDatabase"})
    );
    for params in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "getTopology", "arguments": [1]}),
    ] {
        let msg = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params});
        let v = body_json(&send(&app(), &rec, post(&msg.to_string())));
        assert_eq!(v["error"]["code"], -32602, "{params}");
        assert_eq!(v["id"], 3);
    }
    assert!(rec.calls().is_empty());
}

#[test]
fn upstream_faults_become_problem_details() {
    let rec = Recorder::default();
    rec.answer(403, json!({"type": "about:blank", "title": "FORBIDDEN", "status": 403, "detail": "Unauthorized to perform operation 'READ' on resource 'PROCESS_DEFINITION'", "instance": "/v2/topology"}));
    let r = call(&app(), &rec, "getTopology", json!({}));
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["title"], "FORBIDDEN");
    assert_eq!(
        serde_json::from_str::<Value>(text(&r)).unwrap(),
        r["structuredContent"]
    );

    let cases = [
        (
            FetchError::Unreachable("connection refused".into()),
            502,
            "Could not reach the Camunda REST API at http://cluster.test:8080",
        ),
        (
            FetchError::Timeout(30_000),
            504,
            "did not answer GET /v2/topology within 30000 ms",
        ),
        (
            FetchError::Broken("reset".into()),
            502,
            "broke while reading",
        ),
        (FetchError::TooLarge(1024), 502, "larger than 1024 bytes"),
    ];
    for (err, status, detail) in cases {
        let rec = Recorder::default();
        rec.fail(err);
        let r = call(&app(), &rec, "getTopology", json!({}));
        assert_eq!(r["isError"], true);
        assert_eq!(r["structuredContent"]["status"], status);
        let got = r["structuredContent"]["detail"].as_str().unwrap();
        assert!(got.contains(detail), "{got}");
    }

    let rec = Recorder::default();
    rec.answer_raw(200, "<html>proxy login</html>");
    let r = call(&app(), &rec, "getTopology", json!({}));
    assert_eq!(r["structuredContent"]["status"], 502);
    assert!(r["structuredContent"]["detail"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

#[test]
fn api_version_decides_what_reaches_the_cluster() {
    // On 8.9, 8.10-only filter fields are not offered and never sent.
    let rec = Recorder::default();
    rec.answer(200, json!({"items": []}));
    call(
        &app(),
        &rec,
        "searchProcessInstances",
        json!({"filter": {"suspendedDate": {"from": "2025-01-01T00:00:00Z"}, "state": "ACTIVE"}}),
    );
    assert_eq!(
        rec.calls()[0].2,
        Some(json!({"filter": {"state": "ACTIVE"}, "page": {"limit": 50}}))
    );
    let r = call(
        &app(),
        &Recorder::default(),
        "searchProcessInstances",
        json!({"filter": {"state": "SUSPENDED"}}),
    );
    assert_eq!(
        text(&r),
        "filter.state: must be one of ACTIVE, COMPLETED, TERMINATED; got \"SUSPENDED\""
    );

    let v810 = app_with(&[("CAMUNDA_API_VERSION", "8.10")]);
    let rec = Recorder::default();
    rec.answer(200, json!({"items": []}))
        .answer(200, json!({"items": []}));
    call(
        &v810,
        &rec,
        "searchProcessInstances",
        json!({"filter": {"suspendedDate": {"from": "2025-01-01T00:00:00Z"}, "state": "SUSPENDED"}}),
    );
    call(
        &v810,
        &rec,
        "searchUserTaskVariables",
        json!({"userTaskKey": 3}),
    );
    let calls = rec.calls();
    assert_eq!(
        calls[0].2,
        Some(
            json!({"filter": {"state": "SUSPENDED", "suspendedDate": {"$gte": "2025-01-01T00:00:00Z"}}, "page": {"limit": 50}})
        )
    );
    assert_eq!(calls[1].1, url("/user-tasks/3/effective-variables/search"));
}

#[test]
fn searches_without_a_page_size_get_the_default_one() {
    let rec = Recorder::default();
    call(
        &app(),
        &rec,
        "searchIncidents",
        json!({"page": {"from": 20}}),
    );
    call(
        &app(),
        &rec,
        "searchIncidents",
        json!({"page": {"limit": 500}}),
    );
    call(
        &app_with(&[("MCP_DEFAULT_PAGE_LIMIT", "0")]),
        &rec,
        "searchIncidents",
        json!({}),
    );
    let bodies: Vec<Option<Value>> = rec.calls().into_iter().map(|c| c.2).collect();
    assert_eq!(
        bodies,
        [
            Some(json!({"page": {"from": 20, "limit": 50}})),
            Some(json!({"page": {"limit": 500}})),
            Some(json!({}))
        ]
    );
}

#[test]
fn oversized_results_are_capped_for_the_model() {
    let items: Vec<Value> = (0..10_000).map(|i| json!({"processInstanceKey": format!("{}", 2251799813690001u64 + i), "state": "ACTIVE"})).collect();
    let rec = Recorder::default();
    rec.answer(
        200,
        json!({"items": items, "page": {"totalItems": 10_000, "hasMoreTotalItems": false}}),
    );
    let r = call(
        &app_with(&[("MCP_MAX_RESULT_CHARS", "20000")]),
        &rec,
        "searchProcessInstances",
        json!({"page": {"limit": 10_000}}),
    );
    assert_eq!(r["isError"], false);
    let kept = r["structuredContent"]["items"].as_array().unwrap().len();
    assert!(r["structuredContent"].to_string().len() <= 20_000);
    assert!(kept > 100 && kept < 10_000, "{kept}");
    assert!(r["content"][1]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("showing the first {kept} of the 10000 items")));
}
