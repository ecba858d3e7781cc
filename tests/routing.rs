//! SaaS routing: `/{region}/{clusterId}/mcp/cluster` reaches exactly the templated upstream, and
//! no malformed route reaches anything.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use common::*;
use serde_json::json;

const ID: &str = "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90";

fn saas() -> App {
    app_with(&[("CAMUNDA_SAAS_REGIONS", "bru-2,jfk-1")])
}

fn topology_at(app: &App, rec: &Recorder, path: &str) -> u16 {
    let mut req =
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#);
    req.path = path.to_owned();
    send(app, rec, req).status
}

#[test]
fn routed_paths_reach_the_templated_cluster() {
    let rec = Recorder::default();
    rec.answer(200, json!({}))
        .answer(200, json!({}))
        .answer(200, json!({}));
    assert_eq!(
        topology_at(&saas(), &rec, &format!("/bru-2/{ID}/mcp/cluster")),
        200
    );
    assert_eq!(
        topology_at(&saas(), &rec, &format!("/jfk-1/{ID}/mcp/cluster")),
        200
    );
    assert_eq!(topology_at(&saas(), &rec, "/mcp/cluster"), 200);
    let urls: Vec<String> = rec.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(
        urls,
        [
            format!("https://bru-2.api.camunda.io/{ID}/v2/topology"),
            format!("https://jfk-1.api.camunda.io/{ID}/v2/topology"),
            format!("{BASE}/v2/topology"),
        ]
    );
}

#[test]
fn malformed_routes_are_404_and_reach_nothing() {
    let upper = ID.to_uppercase();
    let fullwidth = ID.replacen('6', "\u{ff16}", 1);
    let cyrillic = "br\u{0443}-2";
    let paths = [
        "/bru-2/../mcp/cluster".to_owned(),
        format!("/bru-2/{ID}/../mcp/cluster"),
        "/bru-2/%2e%2e/mcp/cluster".to_owned(),
        format!("/bru-2/{ID}%2F..%2Fadmin/mcp/cluster"),
        format!("/bru-2%2F{ID}/mcp/cluster"),
        format!("/evil.example.com@bru-2/{ID}/mcp/cluster"),
        format!("/bru-2/{ID}@evil.example.com/mcp/cluster"),
        format!("/bru-2:8443/{ID}/mcp/cluster"),
        format!("/{cyrillic}/{ID}/mcp/cluster"),
        format!("/bru-2/{fullwidth}/mcp/cluster"),
        format!("/bru-2/{upper}/mcp/cluster"),
        format!("/bru-2/{ID}0/mcp/cluster"),
        format!("/bru-2/{}/mcp/cluster", "a".repeat(5000)),
        format!("/xyz-9/{ID}/mcp/cluster"),
        format!("//{ID}/mcp/cluster"),
        "/bru-2//mcp/cluster".to_owned(),
        format!("/bru-2/{ID}/extra/mcp/cluster"),
        format!("/x/bru-2/{ID}/mcp/cluster"),
        format!("/bru-2/{ID}/mcp/cluster/"),
        format!("/bru-2/{ID}/mcp/clusterx"),
    ];
    let rec = Recorder::default();
    for path in &paths {
        assert_eq!(topology_at(&saas(), &rec, path), 404, "{path}");
    }
    // Without SaaS routing, even a well-formed routed path is unknown.
    assert_eq!(
        topology_at(&app(), &rec, &format!("/bru-2/{ID}/mcp/cluster")),
        404
    );
    assert!(rec.calls().is_empty(), "{:?}", rec.calls());
}

#[test]
fn with_saas_routing_and_no_address_the_default_endpoint_is_not_served() {
    let vars = [("CAMUNDA_SAAS_REGIONS", "bru-2")];
    let config = camunda_mcp_edge::config::Config::from_vars(|n| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let app = App::new(config, camunda_mcp_edge::auth::signature::RustCrypto).unwrap();
    let rec = Recorder::default();
    let resp = send(
        &app,
        &rec,
        post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#),
    );
    assert_eq!(resp.status, 404);
    assert!(rec.calls().is_empty());
}
