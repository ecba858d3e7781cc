//! Both MCP eras on one endpoint, natively through `App::handle`: the 2026-07-28 lane and its
//! validation ladder, the 2025 lane beside it with no state between them, W3C trace context,
//! and Camunda 8.10 physical-tenant routes.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::http::Request;
use common::*;
use serde_json::{json, Value};

fn status_and_body(req: Request) -> (u16, Value, Recorder) {
    let rec = Recorder::default();
    let resp = send(&app(), &rec, req);
    (resp.status, body_json(&resp), rec)
}

#[test]
fn discover_lists_and_calls_in_the_modern_lane() {
    let (status, v, _) = status_and_body(modern("server/discover", json!({})));
    assert_eq!(status, 200);
    let r = &v["result"];
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["supportedVersions"][0], V);
    assert!(r["ttlMs"].as_u64().unwrap() > 0);
    assert_eq!(r["cacheScope"], "public");
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "Camunda 8 Orchestration API MCP Server"
    );
    assert!(r["capabilities"]["tools"].is_object());

    let (_, v, _) = status_and_body(modern("tools/list", json!({})));
    assert_eq!(
        v["result"]["tools"].as_array().unwrap().len(),
        camunda_tools()
    );
    assert_eq!(v["result"]["resultType"], "complete");
    assert_eq!(v["result"]["cacheScope"], "public");

    let rec = Recorder::default();
    rec.answer(200, json!({"brokers": [], "clusterSize": 1}));
    let resp = send(
        &app(),
        &rec,
        modern(
            "tools/call",
            json!({"name": "getTopology", "arguments": {}}),
        ),
    );
    let v = body_json(&resp);
    assert_eq!(v["id"], 7);
    assert_eq!(v["result"]["resultType"], "complete");
    assert_eq!(v["result"]["structuredContent"]["clusterSize"], 1);
    assert_eq!(rec.calls().len(), 1);

    // A tool error keeps its shape inside the modern frame; an unknown tool is -32602, HTTP 200.
    let (status, v, rec) = status_and_body(modern(
        "tools/call",
        json!({"name": "getIncident", "arguments": {}}),
    ));
    assert_eq!((status, v["result"]["isError"].clone()), (200, json!(true)));
    assert_eq!(v["result"]["resultType"], "complete");
    assert!(rec.calls().is_empty());
    let (status, v, _) = status_and_body(modern("tools/call", json!({"name": "nope"})));
    assert_eq!((status, v["error"]["code"].clone()), (200, json!(-32602)));
}

#[test]
fn every_rule_of_the_modern_ladder_with_the_id_echoed() {
    let call = || modern("tools/call", json!({"name": "getTopology"}));
    let without_meta = |method: &str| {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": {}});
        with(post(&body.to_string()), "mcp-protocol-version", V)
    };
    let mut bad_version = call();
    bad_version.body = String::from_utf8(bad_version.body)
        .unwrap()
        .replace(V, "v999.0.0")
        .into_bytes();
    let cases: Vec<(&str, Request, u16, i64)> = vec![
        (
            "no _meta but a modern header",
            without_meta("server/discover"),
            400,
            -32602,
        ),
        (
            "header missing",
            {
                let mut r = call();
                r.headers.retain(|(k, _)| k != "mcp-protocol-version");
                r
            },
            400,
            -32020,
        ),
        (
            "header differs from _meta",
            with(call(), "mcp-protocol-version", "2025-11-25"),
            400,
            -32020,
        ),
        (
            "version not served",
            with(bad_version, "mcp-protocol-version", "v999.0.0"),
            400,
            -32022,
        ),
        (
            "Mcp-Method differs",
            with(call(), "mcp-method", "tools/list"),
            400,
            -32020,
        ),
        (
            "Mcp-Method in other case",
            with(call(), "mcp-method", "TOOLS/CALL"),
            400,
            -32020,
        ),
        (
            "Mcp-Name differs",
            with(call(), "mcp-name", "getIncident"),
            400,
            -32020,
        ),
        ("ping is gone", modern("ping", json!({})), 404, -32601),
        (
            "initialize is gone",
            modern("initialize", json!({})),
            404,
            -32601,
        ),
        (
            "logging/setLevel",
            modern("logging/setLevel", json!({"level": "info"})),
            404,
            -32601,
        ),
        ("unknown method", modern("x/y", json!({})), 404, -32601),
    ];
    for (what, req, status, code) in cases {
        let (got, v, rec) = status_and_body(req);
        assert_eq!(
            (got, v["error"]["code"].as_i64()),
            (status, Some(code)),
            "{what}: {v}"
        );
        assert_eq!(v["id"], 7, "{what}");
        assert!(rec.calls().is_empty(), "{what}");
    }
    // -32022 says what is served, in a form both SDK generations read.
    let (_, v, _) = status_and_body(with(
        without_meta("server/discover"),
        "mcp-protocol-version",
        "1900-01-01",
    ));
    assert_eq!(v["error"]["code"], -32022);
    assert_eq!(v["error"]["data"]["requested"], "1900-01-01");
    assert_eq!(
        v["error"]["data"]["supported"],
        json!([V, "2025-11-25", "2025-06-18", "2025-03-26"])
    );
}

#[test]
fn header_values_are_trimmed_and_may_be_base64() {
    let req = with(
        modern("tools/call", json!({"name": "getTopology"})),
        "mcp-name",
        "  =?base64?Z2V0VG9wb2xvZ3k=?= ",
    );
    let (status, v, _) = status_and_body(req);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["resultType"], "complete");
}

#[test]
fn legacy_lane_is_unchanged_and_keeps_no_state_from_a_modern_request() {
    let app = app();
    let rec = Recorder::default();
    let modern_resp = send(&app, &rec, modern("server/discover", json!({})));
    assert_eq!(modern_resp.status, 200);
    // Straight after: a 2025 client's initialize, with no version header.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c8ctl", "version": "2"}}});
    let v = body_json(&send(&app, &rec, post(&init.to_string())));
    assert_eq!(v["result"]["protocolVersion"], "2025-11-25");
    assert!(v["result"].get("resultType").is_none());
    let list = with(
        post(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#),
        "mcp-protocol-version",
        "2025-11-25",
    );
    let v = body_json(&send(&app, &rec, list));
    assert_eq!(
        v["result"]["tools"].as_array().unwrap().len(),
        camunda_tools()
    );
    assert!(v["result"].get("ttlMs").is_none());
    // server/discover is a 2026-07-28 method: unknown to the 2025 lane (HTTP 200, -32601).
    let resp = send(
        &app,
        &rec,
        post(r#"{"jsonrpc":"2.0","id":3,"method":"server/discover"}"#),
    );
    assert_eq!(
        (resp.status, body_json(&resp)["error"]["code"].clone()),
        (200, json!(-32601))
    );
    // An unknown version header is refused with the list of what is served.
    let resp = send(
        &app,
        &rec,
        with(
            post(r#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#),
            "mcp-protocol-version",
            "2024-01-01",
        ),
    );
    assert_eq!(resp.status, 400);
    assert_eq!(body_json(&resp)["error"]["code"], -32022);
    assert_eq!(body_json(&resp)["id"], 4);
}

#[test]
fn duplicate_members_are_refused_not_resolved() {
    for body in [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"getTopology"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
    ] {
        let (status, v, rec) = status_and_body(post(body));
        assert_eq!(
            (status, v["error"]["code"].clone()),
            (400, json!(-32600)),
            "{body}"
        );
        assert!(rec.calls().is_empty());
    }
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology","name":"resolveIncident"}}"#;
    let (status, v, rec) = status_and_body(post(body));
    assert_eq!((status, v["error"]["code"].clone()), (200, json!(-32602)));
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("duplicate field `name`"));
    assert_eq!(v["id"], 1);
    assert!(rec.calls().is_empty());
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn upstream_header(rec: &Recorder, name: &str) -> Option<String> {
    rec.seen.borrow()[0]
        .headers
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.clone())
}

#[test]
fn trace_context_reaches_the_cluster_and_the_log() {
    // From headers (either era).
    let req = with(
        with(
            post(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#,
            ),
            "traceparent",
            TRACEPARENT,
        ),
        "tracestate",
        "congo=t61rcWkgMzE",
    );
    let rec = Recorder::default();
    let (_, trace) = pollster::block_on(app().handle(&req, &rec, NOW));
    assert_eq!(
        upstream_header(&rec, "traceparent").as_deref(),
        Some(TRACEPARENT)
    );
    assert_eq!(
        upstream_header(&rec, "tracestate").as_deref(),
        Some("congo=t61rcWkgMzE")
    );
    assert_eq!(trace.traceparent.as_deref(), Some(TRACEPARENT));
    assert_eq!(trace.era, Some("legacy"));
    let line: Value =
        serde_json::from_str(&camunda_mcp_edge::app::log_line(&req, 200, &trace, 0, 3)).unwrap();
    assert_eq!(line["traceparent"], TRACEPARENT);
    assert_eq!(line["tool"], "getTopology");

    // From _meta (2026-07-28), which wins over a header.
    let other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let mut params = json!({"name": "getTopology"});
    params["_meta"] = meta();
    params["_meta"]["traceparent"] = json!(other);
    let mut req = modern("tools/call", json!({"name": "getTopology"}));
    req.body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
        .to_string()
        .into_bytes();
    let req = with(req, "traceparent", TRACEPARENT);
    let rec = Recorder::default();
    let (resp, trace) = pollster::block_on(app().handle(&req, &rec, NOW));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(upstream_header(&rec, "traceparent").as_deref(), Some(other));
    assert_eq!(trace.era, Some("modern"));

    // A malformed one is not passed on (it could carry anything).
    let req = with(
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#),
        "traceparent",
        "00-zz-00f067aa0ba902b7-01",
    );
    let rec = Recorder::default();
    send(&app(), &rec, req);
    assert_eq!(upstream_header(&rec, "traceparent"), None);
}

fn at(path: &str) -> Request {
    let mut req = post(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getProcessInstance","arguments":{"processInstanceKey":5}}}"#,
    );
    req.path = path.into();
    req
}

#[test]
fn physical_tenant_routes_on_8_10() {
    let app = app_with(&[("CAMUNDA_API_VERSION", "8.10")]);
    for path in [
        "/physical-tenants/eu-west-1/mcp/cluster",
        "/mcp/physical-tenants/eu-west-1/cluster",
    ] {
        let rec = Recorder::default();
        rec.answer(200, json!({"processInstanceKey": "5"}));
        let resp = send(&app, &rec, at(path));
        assert_eq!(resp.status, 200, "{path}");
        assert_eq!(
            rec.calls()[0].1,
            format!("{BASE}/physical-tenants/eu-west-1/v2/process-instances/5"),
            "{path}"
        );
    }
    // The tenant's health comes from its topology (REST serves /status for the default only).
    let rec = Recorder::default();
    rec.answer(
        200,
        json!({"brokers": [{"partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}]}]}),
    );
    let mut req = at("/physical-tenants/t1/mcp/cluster");
    req.body =
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getClusterStatus"}}"#
            .to_vec();
    let v = body_json(&send(&app, &rec, req.clone()));
    assert_eq!(text(&v["result"]), "HEALTHY");
    assert_eq!(
        rec.calls()[0].1,
        format!("{BASE}/physical-tenants/t1/v2/topology")
    );
    let rec = Recorder::default();
    rec.answer(
        200,
        json!({"brokers": [{"partitions": [{"partitionId": 1, "role": "leader", "health": "unhealthy"}]}]}),
    );
    let v = body_json(&send(&app, &rec, req));
    assert_eq!(text(&v["result"]), "UNHEALTHY");

    // Abusive ids never reach anything.
    for path in [
        "/physical-tenants/../mcp/cluster",
        "/physical-tenants/a%2F..%2Fb/mcp/cluster",
        "/physical-tenants/EU/mcp/cluster",
        "/physical-tenants/-x/mcp/cluster",
        "/physical-tenants/a.b/mcp/cluster",
        "/physical-tenants/a@evil.example/mcp/cluster",
        "/physical-tenants//mcp/cluster",
        "/physical-tenants/a/b/mcp/cluster",
        "/mcp/physical-tenants/a/b/cluster",
        "/mcp/physical-tenants/ü/cluster",
    ] {
        let rec = Recorder::default();
        assert_eq!(send(&app, &rec, at(path)).status, 404, "{path}");
        assert!(rec.calls().is_empty(), "{path}");
    }
    let rec = Recorder::default();
    let long = format!("/physical-tenants/{}/mcp/cluster", "a".repeat(65));
    assert_eq!(send(&app, &rec, at(&long)).status, 404);
}

#[test]
fn physical_tenants_need_8_10_and_say_so() {
    let rec = Recorder::default();
    let resp = send(&app(), &rec, at("/physical-tenants/eu-west-1/mcp/cluster"));
    assert_eq!(resp.status, 404);
    assert!(body_json(&resp)["message"]
        .as_str()
        .unwrap()
        .contains("CAMUNDA_API_VERSION=8.10"));
    assert!(rec.calls().is_empty());
}

#[test]
fn duplicate_members_in_tool_arguments_are_a_tool_error_with_no_rest_call() {
    for args in [
        r#"{"incidentKey":1,"incidentKey":2}"#,
        r#"{"filter":{"state":"ACTIVE","state":"RESOLVED"}}"#,
    ] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"searchIncidents","arguments":{args}}}}}"#
        );
        let (status, v, rec) = status_and_body(post(&body));
        assert_eq!(status, 200);
        assert_eq!(v["result"]["isError"], true, "{v}");
        assert!(text(&v["result"]).contains("duplicate member"), "{v}");
        assert!(rec.calls().is_empty());
    }
}
