//! The process view (toolset `views`, an MCP App) natively through `App::handle`: the tools'
//! `_meta.ui`, the view as a resource in both eras, the Apps extension in the capabilities, each
//! tool's REST calls and results, and every way they fail.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::http::Request;
use camunda_mcp_edge::view::{MIME_TYPE, PROCESS_VIEW};
use common::*;
use serde_json::{json, Value};

const VIEWS: &[(&str, &str)] = &[("MCP_TOOLSETS", "views")];
const PI: &str = "2251799813700010";
const PD: &str = "2251799813700002";

fn url(path: &str) -> String {
    format!("{BASE}/v2{path}")
}

fn rpc(app: &App, req: Request) -> Value {
    let rec = Recorder::default();
    let v = body_json(&send(app, &rec, req));
    assert!(
        rec.calls().is_empty(),
        "no upstream request: {:?}",
        rec.calls()
    );
    v
}

fn legacy(method: &str, params: Value) -> Request {
    post(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
}

const LAID_OUT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d">
  <bpmn:process id="order-process" name="Order process">
    <bpmn:startEvent id="OrderReceived" name="Order received" />
    <bpmn:serviceTask id="ChargeCard" name="Charge card" />
    <bpmn:userTask id="ReviewOrder" name="Review order" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="order-process">
    <bpmndi:BPMNShape id="ChargeCard_di" bpmnElement="ChargeCard"><dc:Bounds x="0" y="0" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"#;

fn instance() -> Value {
    json!({
        "processDefinitionId": "order-process", "processDefinitionName": "Order process",
        "processDefinitionVersion": 3, "processDefinitionVersionTag": null,
        "startDate": "2026-11-20T08:00:00.000Z", "endDate": null, "state": "ACTIVE",
        "hasIncident": true, "tenantId": "<default>", "processInstanceKey": PI,
        "processDefinitionKey": PD, "parentProcessInstanceKey": null,
        "parentElementInstanceKey": null, "rootProcessInstanceKey": PI, "tags": [], "businessId": null,
    })
}

fn statistics() -> Value {
    json!({"items": [
        {"elementId": "OrderReceived", "active": 0, "canceled": 0, "incidents": 0, "completed": 1},
        {"elementId": "ChargeCard", "active": 0, "canceled": 0, "incidents": 1, "completed": 0},
        {"elementId": "ReviewOrder", "active": 2, "canceled": 0, "incidents": 0, "completed": 0},
    ]})
}

fn incidents() -> Value {
    json!({"items": [{
        "incidentKey": "2251799813700077", "elementId": "ChargeCard", "errorType": "JOB_NO_RETRIES",
        "errorMessage": "Payment provider answered 503", "processInstanceKey": PI, "state": "ACTIVE",
    }], "page": {"totalItems": 1, "hasMoreTotalItems": false}})
}

/// The instance, its statistics, its incidents and its definition's XML, answered in order.
fn script_instance(rec: &Recorder, xml: &str) {
    rec.answer(200, instance())
        .answer(200, statistics())
        .answer(200, incidents())
        .answer_raw(200, xml);
}

#[test]
fn tools_carry_their_view_and_camundas_tools_stay_as_they_are() {
    let app = app_with(VIEWS);
    let v = rpc(&app, legacy("tools/list", json!({})));
    let tools = v["result"]["tools"].as_array().unwrap();
    assert!(tools[..camunda_tools()]
        .iter()
        .all(|t| t.get("_meta").is_none()));
    let views: Vec<(&str, Value)> = tools[camunda_tools()..]
        .iter()
        .map(|t| {
            assert_eq!(t["_meta"]["ui"]["resourceUri"], PROCESS_VIEW.uri);
            assert_eq!(t["_meta"]["ui/resourceUri"], PROCESS_VIEW.uri);
            assert_eq!(t["annotations"]["readOnlyHint"], true);
            (
                t["name"].as_str().unwrap(),
                t["_meta"]["ui"]["visibility"].clone(),
            )
        })
        .collect();
    let both = json!(["model", "app"]);
    let app_only = json!(["app"]);
    assert_eq!(
        views,
        [
            ("showProcessInstance", both.clone()),
            ("showProcessDefinition", both),
            ("viewProcessDiagram", app_only.clone()),
            ("viewProcessInstanceState", app_only.clone()),
            ("viewProcessDefinitionState", app_only),
        ]
    );
    // One list for every client: a stateless server cannot know later whether the client
    // draws Apps, so a client that said so at initialize gets the same list.
    let ui_client = json!({"protocolVersion": "2025-11-25", "capabilities": {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": [MIME_TYPE]}}}, "clientInfo": {"name": "host", "version": "1"}});
    rpc(&app, legacy("initialize", ui_client));
    assert_eq!(rpc(&app, legacy("tools/list", json!({}))), v);
}

#[test]
fn the_view_is_a_resource_in_both_eras_and_costs_no_upstream_request() {
    let app = app_with(VIEWS);
    let init = rpc(
        &app,
        legacy(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
        ),
    );
    let ext = &init["result"]["capabilities"]["extensions"]["io.modelcontextprotocol/ui"];
    assert_eq!(ext["mimeTypes"], json!([MIME_TYPE]));
    let discover = rpc(&app, modern("server/discover", json!({})));
    assert_eq!(
        discover["result"]["capabilities"],
        init["result"]["capabilities"]
    );

    let list = rpc(&app, legacy("resources/list", json!({})));
    let listed = &list["result"]["resources"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        (listed[0]["uri"].as_str(), listed[0]["mimeType"].as_str()),
        (Some(PROCESS_VIEW.uri), Some(MIME_TYPE))
    );
    let modern_list = rpc(&app, modern("resources/list", json!({})));
    assert_eq!(modern_list["result"]["resources"], *listed);
    assert_eq!(modern_list["result"]["cacheScope"], "public");
    assert!(modern_list["result"]["ttlMs"].as_u64().unwrap() > 0);

    let params = json!({"uri": PROCESS_VIEW.uri});
    let read = rpc(&app, legacy("resources/read", params.clone()));
    let content = &read["result"]["contents"][0];
    assert_eq!(content["uri"], PROCESS_VIEW.uri);
    assert_eq!(content["mimeType"], MIME_TYPE);
    assert_eq!(content["text"], PROCESS_VIEW.html);
    assert!(read["result"].get("resultType").is_none());
    let req = with(
        modern("resources/read", params),
        "mcp-name",
        PROCESS_VIEW.uri,
    );
    let read = rpc(&app, req);
    assert_eq!(read["result"]["resultType"], "complete");
    assert_eq!(read["result"]["contents"][0]["text"], PROCESS_VIEW.html);
    assert_eq!(read["result"]["cacheScope"], "public");
    assert!(read["result"]["ttlMs"].as_u64().unwrap() > 0);
}

#[test]
fn unknown_views_are_errors_and_without_the_toolset_there_is_none() {
    let app = app_with(VIEWS);
    for uri in [
        "ui://camunda/nothing",
        "ui://camunda/process-view/",
        "file:///etc/passwd",
    ] {
        let v = rpc(&app, legacy("resources/read", json!({"uri": uri})));
        assert_eq!(v["error"]["code"], -32602, "{uri}");
        assert_eq!(v["error"]["data"]["uri"], uri);
    }
    // The name in the header must be the URI asked for.
    let req = with(
        modern("resources/read", json!({"uri": PROCESS_VIEW.uri})),
        "mcp-name",
        "ui://camunda/other",
    );
    let resp = send(&app, &Recorder::default(), req);
    assert_eq!(resp.status, 400);

    let plain = common::app();
    let v = rpc(
        &plain,
        legacy("resources/read", json!({"uri": PROCESS_VIEW.uri})),
    );
    assert_eq!(v["error"]["code"], -32602);
    let v = rpc(&plain, legacy("resources/list", json!({})));
    assert_eq!(v["result"]["resources"], json!([]));
    let init = rpc(
        &plain,
        legacy(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
        ),
    );
    assert!(init["result"]["capabilities"].get("extensions").is_none());
}

#[test]
fn show_process_instance_sums_up_without_the_xml() {
    let app = app_with(VIEWS);
    let rec = Recorder::default();
    script_instance(&rec, LAID_OUT);
    let r = call(
        &app,
        &rec,
        "showProcessInstance",
        json!({"processInstanceKey": PI}),
    );
    assert_eq!(r["isError"], false, "{r}");
    let calls = rec.calls();
    let sent: Vec<(&str, &str)> = calls
        .iter()
        .map(|(m, u, _)| (m.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        sent,
        [
            ("GET", url(&format!("/process-instances/{PI}")).as_str()),
            (
                "GET",
                url(&format!(
                    "/process-instances/{PI}/statistics/element-instances"
                ))
                .as_str()
            ),
            (
                "POST",
                url(&format!("/process-instances/{PI}/incidents/search")).as_str()
            ),
            (
                "GET",
                url(&format!("/process-definitions/{PD}/xml")).as_str()
            ),
        ]
    );
    assert_eq!(
        calls[2].2,
        Some(json!({"filter": {"state": "ACTIVE"}, "page": {"limit": 50}}))
    );
    let summary = text(&r);
    for part in [
        "Process instance 2251799813700010 of \"Order process\" (order-process), version 3 is ACTIVE",
        "Tokens: \"Charge card\" (ChargeCard) 1; \"Review order\" (ReviewOrder) 2.",
        "Open incidents: 1\n- \"Charge card\" (ChargeCard), JOB_NO_RETRIES: Payment provider answered 503 (incident 2251799813700077)",
        "Elements completed: 1.",
    ] {
        assert!(summary.contains(part), "{part}\n in {summary}");
    }
    let s = &r["structuredContent"];
    assert_eq!(
        (
            s["processInstanceKey"].as_str(),
            s["processDefinitionKey"].as_str()
        ),
        (Some(PI), Some(PD))
    );
    assert_eq!(
        s["tokens"],
        json!([
            {"elementId": "ChargeCard", "elementName": "Charge card", "count": 1},
            {"elementId": "ReviewOrder", "elementName": "Review order", "count": 2},
        ])
    );
    assert_eq!(s["incidents"][0]["elementName"], "Charge card");
    assert_eq!(
        (s["view"].as_str(), s["openIncidents"].as_u64()),
        (Some("instance"), Some(1))
    );
    assert!(
        !r.to_string().contains("bpmn:definitions"),
        "the XML stays out of the model's context"
    );
}

#[test]
fn show_process_definition_counts_per_element() {
    let app = app_with(VIEWS);
    let rec = Recorder::default();
    rec.answer(200, json!({"name": "Order process", "resourceName": "order.bpmn", "version": 3, "versionTag": null, "processDefinitionId": "order-process", "tenantId": "<default>", "processDefinitionKey": PD, "hasStartForm": false}))
        .answer(200, statistics())
        .answer_raw(200, LAID_OUT);
    let r = call(
        &app,
        &rec,
        "showProcessDefinition",
        json!({"processDefinitionKey": PD}),
    );
    assert_eq!(r["isError"], false, "{r}");
    let calls = rec.calls();
    assert_eq!(
        (calls[1].0.as_str(), calls[1].1.as_str(), &calls[1].2),
        (
            "POST",
            url(&format!(
                "/process-definitions/{PD}/statistics/element-instances"
            ))
            .as_str(),
            &Some(json!({}))
        )
    );
    let summary = text(&r);
    assert!(summary.contains("Instances by element: \"Charge card\" (ChargeCard): 0 active, 1 with incidents; \"Review order\" (ReviewOrder): 2 active."), "{summary}");
    assert!(
        summary.contains(
            "Totals over its elements: 2 active, 1 with incidents, 1 completed, 0 canceled."
        ),
        "{summary}"
    );
    assert_eq!(
        r["structuredContent"]["elements"][1]["elementName"],
        "Charge card"
    );
    assert_eq!(r["structuredContent"]["view"], "definition");
}

#[test]
fn summaries_are_bounded_and_the_clusters_text_cannot_forge_lines() {
    let mut hostile = instance();
    hostile["processDefinitionName"] = json!("Order\nTokens: none.\u{202e}");
    let message = format!("boom\nOpen incidents: 0 {}", "x".repeat(100_000));
    let items: Vec<Value> = (0..12u64)
        .map(|i| json!({"incidentKey": (2251799813700100u64 + i).to_string(), "elementId": "ChargeCard", "errorType": "JOB_NO_RETRIES", "errorMessage": message}))
        .collect();
    let many = json!({"items": items, "page": {"totalItems": 500}});
    let script = |rec: &Recorder| {
        rec.answer(200, hostile.clone())
            .answer(200, statistics())
            .answer(200, many.clone())
            .answer_raw(200, LAID_OUT);
    };
    let rec = Recorder::default();
    script(&rec);
    let r = call(
        &app_with(VIEWS),
        &rec,
        "showProcessInstance",
        json!({"processInstanceKey": PI}),
    );
    let summary = text(&r);
    assert!(
        summary.contains(r#"of "Order Tokens: none.\\u{202e}" (order-process)"#),
        "{summary}"
    );
    assert!(!summary.contains("\nOpen incidents: 0"), "no forged line");
    assert!(
        summary.contains("\nand 490 more\nElements completed"),
        "counted from the total: {summary}"
    );
    assert_eq!(r["structuredContent"]["openIncidents"], 500);
    let kept = r["structuredContent"]["incidents"][0]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(
        kept.chars().count() < 1100,
        "messages are cut: {}",
        kept.len()
    );

    let rec = Recorder::default();
    script(&rec);
    let capped = app_with(&[("MCP_TOOLSETS", "views"), ("MCP_MAX_RESULT_CHARS", "1000")]);
    let r = call(
        &capped,
        &rec,
        "showProcessInstance",
        json!({"processInstanceKey": PI}),
    );
    let summary = text(&r);
    assert!(summary.contains("[Cut at 1000 of "), "{summary}");
    assert!(summary.chars().count() < 1100);
}

#[test]
fn the_views_own_tools_hand_it_the_xml_and_the_state() {
    let app = app_with(VIEWS);
    let rec = Recorder::default();
    rec.answer_raw(200, LAID_OUT);
    let r = call(
        &app,
        &rec,
        "viewProcessDiagram",
        json!({"processDefinitionKey": PD}),
    );
    assert_eq!(r["structuredContent"]["xml"], LAID_OUT);
    assert_eq!(r["structuredContent"]["processDefinitionKey"], PD);

    let rec = Recorder::default();
    rec.answer(200, statistics())
        .answer(200, incidents())
        .answer(
            200,
            json!({"items": [
                {"sequenceFlowId": "f2", "elementId": "f2", "processInstanceKey": PI},
                {"sequenceFlowId": "f1", "elementId": "f1", "processInstanceKey": PI},
                {"sequenceFlowId": "f1", "elementId": "f1", "processInstanceKey": PI},
            ]}),
        );
    let r = call(
        &app,
        &rec,
        "viewProcessInstanceState",
        json!({"processInstanceKey": PI}),
    );
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(
        rec.calls()[2].1,
        url(&format!("/process-instances/{PI}/sequence-flows"))
    );
    let s = &r["structuredContent"];
    assert_eq!(s["sequenceFlows"], json!(["f1", "f2"]));
    assert_eq!(s["elements"].as_array().unwrap().len(), 3);
    assert_eq!(
        s["incidents"][0]["errorMessage"],
        "Payment provider answered 503"
    );

    let rec = Recorder::default();
    rec.answer(200, statistics());
    let r = call(
        &app,
        &rec,
        "viewProcessDefinitionState",
        json!({"processDefinitionKey": PD}),
    );
    assert_eq!(r["structuredContent"]["elements"][2]["active"], 2);
    assert_eq!(rec.calls()[0].0, "POST");
}

#[test]
fn a_model_without_layout_is_an_error_that_still_sums_up() {
    let app = app_with(VIEWS);
    let flat = LAID_OUT.replace("bpmndi:BPMNShape", "bpmndi:Nothing");
    let rec = Recorder::default();
    script_instance(&rec, &flat);
    let r = call(
        &app,
        &rec,
        "showProcessInstance",
        json!({"processInstanceKey": PI}),
    );
    assert_eq!(r["isError"], true);
    let p = &r["structuredContent"];
    assert_eq!(
        (p["status"].as_u64(), p["title"].as_str()),
        (Some(422), Some("NO_DIAGRAM_LAYOUT"))
    );
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("Tokens: \"Charge card\" (ChargeCard) 1")
            && detail.contains("no diagram layout"),
        "{detail}"
    );

    let rec = Recorder::default();
    rec.answer_raw(200, &flat);
    let r = call(
        &app,
        &rec,
        "viewProcessDiagram",
        json!({"processDefinitionKey": PD}),
    );
    assert_eq!(r["isError"], true);
    assert!(r["structuredContent"].get("xml").is_none());
}

#[test]
fn cluster_failures_and_bad_input_are_clear_tool_errors() {
    let app = app_with(VIEWS);
    // An unknown key: the cluster's own problem, and nothing more is asked.
    let rec = Recorder::default();
    rec.answer(404, json!({"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": format!("Process instance with key '{PI}' not found"), "instance": "/v2/process-instances"}));
    let r = call(
        &app,
        &rec,
        "showProcessInstance",
        json!({"processInstanceKey": PI}),
    );
    assert_eq!(r["isError"], true);
    assert!(r["structuredContent"]["detail"]
        .as_str()
        .unwrap()
        .contains("not found"));
    assert_eq!(rec.calls().len(), 1);

    // A cluster that fails half way, and one that answers garbage.
    for (second, want) in [
        (Err(503), "503"),
        (Ok("<html>login</html>"), "not valid JSON"),
        (Ok(r#"{"items": 7}"#), "another shape"),
    ] {
        let rec = Recorder::default();
        rec.answer(200, instance());
        match second {
            Err(status) => rec.answer(status, json!({"title": "UNAVAILABLE", "status": status, "detail": "503 Service Unavailable"})),
            Ok(body) => rec.answer_raw(200, body),
        };
        let r = call(
            &app,
            &rec,
            "showProcessInstance",
            json!({"processInstanceKey": PI}),
        );
        assert_eq!(r["isError"], true, "{want}");
        let detail = r["structuredContent"]["detail"].as_str().unwrap();
        assert!(detail.contains(want), "{want}: {detail}");
    }

    // Malformed XML and an empty answer where the XML should be.
    for (xml, want) in [
        ("<bpmn:definitions><a></b>", "could not be read"),
        ("", "has no BPMN XML"),
    ] {
        let rec = Recorder::default();
        rec.answer_raw(200, xml);
        let r = call(
            &app,
            &rec,
            "viewProcessDiagram",
            json!({"processDefinitionKey": PD}),
        );
        assert!(
            r["structuredContent"]["detail"]
                .as_str()
                .unwrap()
                .contains(want),
            "{r}"
        );
    }

    // Arguments the model can fix cost no upstream request.
    for args in [
        json!({}),
        json!({"processInstanceKey": "abc"}),
        json!({"processInstanceKey": -1}),
        json!({"processInstanceKey": "1/../2"}),
    ] {
        let rec = Recorder::default();
        let r = call(&app, &rec, "showProcessInstance", args.clone());
        assert_eq!(r["isError"], true, "{args}");
        assert!(rec.calls().is_empty(), "{args}");
    }
}

#[test]
fn governance_applies_to_the_views_own_tools() {
    let app = app_with(&[
        ("MCP_TOOLSETS", "views"),
        ("MCP_TOOLS_DENY", "viewProcessDiagram"),
    ]);
    let rec = Recorder::default();
    let r = call(
        &app,
        &rec,
        "viewProcessDiagram",
        json!({"processDefinitionKey": PD}),
    );
    assert_eq!(r["code"], -32602, "a denied tool is unknown: {r}");
    assert!(rec.calls().is_empty());
    let ro = app_with(&[("MCP_TOOLSETS", "views"), ("MCP_READ_ONLY", "true")]);
    let v = rpc(&ro, legacy("tools/list", json!({})));
    let names: Vec<&str> = v["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"viewProcessInstanceState") && names.contains(&"showProcessInstance"));
}
