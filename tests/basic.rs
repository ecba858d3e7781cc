//! Basic mode (`MCP_AUTH_MODE=basic`): the edge requires credentials and passes them on; the
//! cluster judges them, and its 401 becomes the gateway's, so clients ask again instead of
//! showing a tool error.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use common::*;
use serde_json::json;

const CREDENTIALS: &str = "Basic ZGVtbzpkZW1v"; // demo:demo

fn call_req() -> camunda_mcp_edge::http::Request {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "getTopology", "arguments": {}}});
    post(&body.to_string())
}

#[test]
fn without_credentials_nothing_goes_upstream() {
    let app = app_with(&[("MCP_AUTH_MODE", "basic")]);
    let rec = Recorder::default();
    let resp = send(&app, &rec, call_req());
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    assert!(rec.calls().is_empty());
}

#[test]
fn the_credentials_go_upstream_as_they_came() {
    let app = app_with(&[("MCP_AUTH_MODE", "basic")]);
    let rec = Recorder::default();
    rec.answer(200, json!({"brokers": [], "clusterSize": 1}));
    let resp = send(&app, &rec, with(call_req(), "authorization", CREDENTIALS));
    assert_eq!(resp.status, 200);
    assert_eq!(body_json(&resp)["result"]["isError"], false);
    let sent: Vec<Option<String>> = rec
        .seen
        .borrow()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| *k == "authorization")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(sent, vec![Some(CREDENTIALS.to_owned())]);
}

#[test]
fn the_clusters_401_becomes_the_gateways_401_with_the_request_id() {
    let app = app_with(&[("MCP_AUTH_MODE", "basic")]);
    let rec = Recorder::default();
    rec.answer(401, json!({"title": "Unauthorized", "status": 401}));
    let resp = send(&app, &rec, with(call_req(), "authorization", CREDENTIALS));
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    let body = body_json(&resp);
    assert_eq!(body["id"], 7);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("the cluster refused these credentials"));
}

#[test]
fn any_other_refusal_of_the_cluster_stays_a_tool_error() {
    let app = app_with(&[("MCP_AUTH_MODE", "basic")]);
    let rec = Recorder::default();
    rec.answer(
        403,
        json!({"title": "Forbidden", "status": 403, "detail": "not yours"}),
    );
    let resp = send(&app, &rec, with(call_req(), "authorization", CREDENTIALS));
    assert_eq!(resp.status, 200);
    assert_eq!(body_json(&resp)["result"]["isError"], true);
}

#[test]
fn in_none_mode_the_clusters_401_is_a_tool_error() {
    let rec = Recorder::default();
    rec.answer(401, json!({"title": "Unauthorized", "status": 401}));
    let resp = send(&app(), &rec, call_req());
    assert_eq!(resp.status, 200);
    assert_eq!(body_json(&resp)["result"]["isError"], true);
}
