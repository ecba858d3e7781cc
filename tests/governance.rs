//! Governance natively through the App: gating (list and call, per route), per-tool scopes
//! with the step-up challenge, rate limits through a counting limiter, the audit record,
//! explicit hints and the page for people. Every refusal is checked to cost zero upstream calls.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use std::cell::RefCell;

use camunda_mcp_edge::app::{log_line, Outside, Record};
use camunda_mcp_edge::http::Request;
use camunda_mcp_edge::ports::NoStore;
use chrono::{TimeZone, Utc};
use common::*;
use jwt_compact::alg::Es256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.test/realms/camunda";
const CLUSTER: &str = "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90";
type SigningKey = <Es256 as jwt_compact::Algorithm>::SigningKey;

fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[7; 32]).unwrap()
}

fn jwks() -> Value {
    let mut jwk = serde_json::to_value(JsonWebKey::from(signing_key().verifying_key())).unwrap();
    jwk["kid"] = json!("k1");
    json!({ "keys": [jwk] })
}

fn token(sub: &str, scope: &str) -> String {
    let mut claims = Claims::new(json!({
        "iss": ISSUER, "aud": "zeebe.camunda.io", "sub": sub, "azp": "agent-client", "scope": scope,
    }));
    claims.expiration = Some(Utc.timestamp_opt(NOW as i64 + 3600, 0).unwrap());
    Es256
        .token(&Header::empty().with_key_id("k1"), &claims, &signing_key())
        .unwrap()
}

fn oidc_app(extra: &[(&str, &str)]) -> App {
    let mut vars = vec![
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", ISSUER),
        ("OIDC_JWKS_URIS", "https://idp.test/jwks"),
        ("OIDC_AUDIENCES", "zeebe.camunda.io"),
        ("MCP_CACHE_SECRET", "s"),
    ];
    vars.extend_from_slice(extra);
    app_with(&vars)
}

fn rpc(method: &str, params: Value) -> Request {
    post(&json!({"jsonrpc": "2.0", "id": 3, "method": method, "params": params}).to_string())
}

/// A call with arguments that pass the tool's own checks (keys where it needs them).
fn call_req(name: &str) -> Request {
    let args = match name {
        "getIncident" | "resolveIncident" => json!({"incidentKey": 1}),
        "completeUserTask" => json!({"userTaskKey": 1}),
        _ => json!({}),
    };
    rpc("tools/call", json!({"name": name, "arguments": args}))
}

fn bearer(mut req: Request, token: &str) -> Request {
    req.headers
        .push(("authorization".into(), format!("Bearer {token}")));
    req
}

fn listed(resp: &camunda_mcp_edge::http::Response) -> Vec<String> {
    let v = body_json(resp);
    let tools = v["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Requests that reached the cluster (anything but the key set).
fn upstream_calls(rec: &Recorder) -> usize {
    rec.calls()
        .iter()
        .filter(|(_, url, _)| url.contains("/v2/"))
        .count()
}

#[test]
fn read_only_allow_and_deny_shape_the_list_and_unknown_tools_cost_nothing() {
    for (vars, count, absent, present) in [
        (
            vec![("MCP_READ_ONLY", "true")],
            14,
            "resolveIncident",
            "getIncident",
        ),
        (
            vec![("MCP_TOOLS", "getIncident,resolveIncident")],
            2,
            "searchIncidents",
            "resolveIncident",
        ),
        (
            vec![("MCP_TOOLS_DENY", "createProcessInstance")],
            17,
            "createProcessInstance",
            "completeUserTask",
        ),
    ] {
        let app = app_with(&vars);
        let rec = Recorder::default();
        let names = listed(&send(&app, &rec, rpc("tools/list", json!({}))));
        assert_eq!(names.len(), count, "{vars:?}");
        assert!(!names.iter().any(|n| n == absent) && names.iter().any(|n| n == present));
        // Both lanes list the same tools.
        let modern_list = send(&app, &rec, modern("tools/list", json!({})));
        assert_eq!(listed(&modern_list), names);
        let resp = send(&app, &rec, call_req(absent));
        let err = &body_json(&resp)["error"];
        assert_eq!(err["code"], -32602);
        assert_eq!(err["message"], format!("Unknown tool: {absent}"));
        assert_eq!(
            rec.calls().len(),
            0,
            "{vars:?}: a gated tool reached the cluster"
        );
        send(&app, &rec, call_req(present));
        assert_eq!(rec.calls().len(), 1);
    }
}

#[test]
fn read_only_per_saas_route() {
    let app = app_with(&[
        ("CAMUNDA_SAAS_REGIONS", "bru-2,jfk-1"),
        ("MCP_READ_ONLY", "region:bru-2"),
    ]);
    let at = |region: &str, req: Request| Request {
        path: format!("/{region}/{CLUSTER}/mcp/cluster"),
        ..req
    };
    let rec = Recorder::default();
    let bru = listed(&send(&app, &rec, at("bru-2", rpc("tools/list", json!({})))));
    let jfk = listed(&send(&app, &rec, at("jfk-1", rpc("tools/list", json!({})))));
    assert_eq!((bru.len(), jfk.len()), (14, camunda_tools()));
    let refused = send(&app, &rec, at("bru-2", call_req("completeUserTask")));
    assert_eq!(body_json(&refused)["error"]["code"], -32602);
    assert_eq!(rec.calls().len(), 0);
    send(&app, &rec, at("jfk-1", call_req("completeUserTask")));
    assert_eq!(rec.calls().len(), 1);
}

#[test]
fn bad_governance_settings_name_the_variable_and_the_tool() {
    for (name, value) in [
        ("MCP_TOOLS", "getIncident,getIncidnet"),
        ("MCP_TOOLS_DENY", "GetTopology"),
    ] {
        let config =
            camunda_mcp_edge::config::Config::from_vars(|n| (n == name).then(|| value.to_owned()))
                .unwrap();
        let err =
            camunda_mcp_edge::app::App::new(config, camunda_mcp_edge::auth::signature::RustCrypto)
                .err()
                .unwrap();
        assert_eq!(err.name, name);
        assert!(value.ends_with(&err.value), "{err}");
    }
}

#[test]
fn scopes_decide_the_list_and_a_forbidden_call_is_a_step_up_challenge() {
    let app = oidc_app(&[(
        "MCP_TOOL_SCOPES",
        "write=camunda:write,resolveIncident=camunda:incidents",
    )]);
    let rec = Recorder::default();
    rec.answer(200, jwks());
    let reader = token("reader", "openid");
    let names = listed(&send(
        &app,
        &rec,
        bearer(rpc("tools/list", json!({})), &reader),
    ));
    assert_eq!(names.len(), 14);
    let incidents = token("ops", "camunda:incidents");
    let names = listed(&send(
        &app,
        &rec,
        bearer(rpc("tools/list", json!({})), &incidents),
    ));
    assert_eq!(names.len(), 15);
    assert!(names.contains(&"resolveIncident".to_owned()));
    // The modern list says it is per caller.
    let modern_list = send(&app, &rec, bearer(modern("tools/list", json!({})), &reader));
    assert_eq!(body_json(&modern_list)["result"]["cacheScope"], "private");

    let before = rec.calls().len();
    let resp = send(&app, &rec, bearer(call_req("resolveIncident"), &reader));
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.header("www-authenticate").unwrap(),
        "Bearer error=\"insufficient_scope\", scope=\"camunda:incidents\", \
         resource_metadata=\"https://gw.test/.well-known/oauth-protected-resource\", \
         error_description=\"the token lacks the scope camunda:incidents needed for resolveIncident\""
    );
    let body = body_json(&resp);
    assert_eq!(
        (body["id"].clone(), body["error"]["code"].clone()),
        (json!(3), json!(-32001))
    );
    assert_eq!(
        rec.calls().len(),
        before,
        "a forbidden call reached the cluster"
    );
    // With the scope, the same call goes through; a tool without a rule needs none.
    send(&app, &rec, bearer(call_req("resolveIncident"), &incidents));
    send(&app, &rec, bearer(call_req("getClusterStatus"), &reader));
    assert_eq!(upstream_calls(&rec), 2);
}

#[test]
fn public_lists_stay_public_without_scopes() {
    let app = app_with(&[("MCP_READ_ONLY", "true")]);
    let resp = send(&app, &Recorder::default(), modern("tools/list", json!({})));
    assert_eq!(body_json(&resp)["result"]["cacheScope"], "public");
}

fn serve(
    app: &App,
    rec: &Recorder,
    limiters: &Counting,
    req: Request,
) -> (camunda_mcp_edge::http::Response, Record) {
    let outside = Outside {
        client: rec,
        limiters,
        store: &NoStore,
    };
    pollster::block_on(app.serve(&req, req.body.as_slice(), &outside, NOW))
}

#[test]
fn over_the_limit_is_429_with_retry_after_per_caller_and_class() {
    let app = oidc_app(&[("MCP_RATE_LIMITS", "read=100/60,write=2/10")]);
    let limits = Counting {
        limit: 2,
        seen: RefCell::default(),
    };
    let rec = Recorder::default();
    rec.answer(200, jwks());
    let (alice, bob) = (token("alice", ""), token("bob", ""));
    for _ in 0..2 {
        let (resp, _) = serve(
            &app,
            &rec,
            &limits,
            bearer(call_req("completeUserTask"), &alice),
        );
        assert_eq!(resp.status, 200);
    }
    let before = upstream_calls(&rec);
    let (resp, trace) = serve(
        &app,
        &rec,
        &limits,
        bearer(call_req("completeUserTask"), &alice),
    );
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("10"));
    let err = body_json(&resp)["error"].clone();
    assert_eq!(err["code"], -32029);
    assert_eq!(err["data"]["limit"], "MCP_WRITE_LIMITER");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("2 calls per 10 s"),
        "{err}"
    );
    assert_eq!(
        upstream_calls(&rec),
        before,
        "a limited call reached the cluster"
    );
    assert_eq!(trace.refused, Some("rate_limited"));
    // Another caller, and the same caller's reads, have budgets of their own.
    let (resp, _) = serve(
        &app,
        &rec,
        &limits,
        bearer(call_req("completeUserTask"), &bob),
    );
    assert_eq!(resp.status, 200);
    let (resp, _) = serve(
        &app,
        &rec,
        &limits,
        bearer(call_req("getClusterStatus"), &alice),
    );
    assert_eq!(resp.status, 200);
    // Keys carry no identity: hashes, one per (caller, class).
    let seen = limits.seen.borrow();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .keys()
        .all(|(_, k)| k.len() == 32 && !k.contains("alice")));
}

#[test]
fn anonymous_callers_are_limited_by_address() {
    let app = app();
    let limits = Counting {
        limit: 1,
        seen: RefCell::default(),
    };
    let rec = Recorder::default();
    let from = |ip: &str| with(call_req("getClusterStatus"), "cf-connecting-ip", ip);
    assert_eq!(serve(&app, &rec, &limits, from("192.0.2.1")).0.status, 200);
    let (resp, _) = serve(&app, &rec, &limits, from("192.0.2.1"));
    assert_eq!((resp.status, resp.header("retry-after")), (429, Some("60")));
    assert_eq!(serve(&app, &rec, &limits, from("192.0.2.2")).0.status, 200);
    assert_eq!(rec.calls().len(), 2);
}

#[test]
fn the_audit_record_names_who_what_and_how_never_values_or_tokens() {
    let app = oidc_app(&[
        ("MCP_AUDIT_ARGUMENTS", "keys"),
        ("MCP_TOOL_SCOPES", "write=camunda:write"),
    ]);
    let rec = Recorder::default();
    rec.answer(200, jwks());
    let tok = token("alice", "openid");
    let args = json!({"processDefinitionId": "secret-process", "variables": {"iban": "DE00123"}});
    let req = bearer(
        with(
            rpc(
                "tools/call",
                json!({"name": "createProcessInstance", "arguments": args}),
            ),
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        &tok,
    );
    let (resp, trace) = pollster::block_on(app.handle(&req, &rec, NOW));
    assert_eq!(resp.status, 403);
    let line = log_line(&req, 403, &trace, 1_796_184_000_123, 5);
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["log"], "audit");
    assert_eq!(v["time"], "2026-12-02T04:00:00.123Z");
    assert_eq!(
        v["principal"],
        json!({"iss": ISSUER, "sub": "alice", "client_id": "agent-client"})
    );
    assert_eq!(v["tool"], "createProcessInstance");
    assert_eq!(v["outcome"], "refused:insufficient_scope");
    assert_eq!(
        v["argumentKeys"],
        json!(["processDefinitionId", "variables"])
    );
    assert_eq!(
        v["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
    for secret in ["secret-process", "DE00123", &tok[..20]] {
        assert!(!line.contains(secret), "{line}");
    }
    // An allowed call: ok, with the upstream status and duration.
    let (_, trace) =
        pollster::block_on(app.handle(&bearer(call_req("getClusterStatus"), &tok), &rec, NOW));
    let v: Value = logged(&trace, 0, 9);
    assert_eq!(
        (v["outcome"].clone(), v["upstream"].clone(), v["ms"].clone()),
        (json!("ok"), json!(204), json!(9))
    );
    // Other methods have no audit record: their line is the access line, naming nobody.
    let (_, trace) =
        pollster::block_on(app.handle(&bearer(rpc("tools/list", json!({})), &tok), &rec, NOW));
    let access = log_line(&req, 200, &trace, 0, 1);
    assert!(access.starts_with(r#"{"log":"access""#), "{access}");
    assert!(!access.contains("alice") && !access.contains("outcome"));
}

#[test]
fn anonymous_and_unknown_tools_in_the_audit_record() {
    let app = app_with(&[("MCP_TOOLS_DENY", "resolveIncident")]);
    let rec = Recorder::default();
    let (_, trace) = pollster::block_on(app.handle(&call_req("resolveIncident"), &rec, NOW));
    let v: Value = logged(&trace, 0, 1);
    assert_eq!(
        (v["principal"].clone(), v["outcome"].clone()),
        (json!("anonymous"), json!("refused:unknown_tool"))
    );
    assert!(v.get("argumentKeys").is_none());
    rec.answer(404, json!({"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": "no such incident"}));
    let req = rpc(
        "tools/call",
        json!({"name": "getIncident", "arguments": {"incidentKey": 1}}),
    );
    let (_, trace) = pollster::block_on(app.handle(&req, &rec, NOW));
    let v: Value = logged(&trace, 0, 1);
    assert_eq!(
        (v["outcome"].clone(), v["upstream"].clone()),
        (json!("tool_error"), json!(404))
    );
}

#[test]
fn explicit_hints_state_all_four_on_every_tool() {
    let camunda = listed_json(&app());
    let explicit = listed_json(&app_with(&[("MCP_TOOL_HINTS", "explicit")]));
    for (ours, plain) in explicit.iter().zip(&camunda) {
        let a = &ours["annotations"];
        for hint in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            assert!(a[hint].is_boolean(), "{} lacks {hint}", ours["name"]);
        }
        if a["readOnlyHint"] == true {
            assert_eq!(
                (a["destructiveHint"].clone(), a["openWorldHint"].clone()),
                (json!(false), json!(false))
            );
        }
        let mut without = ours.clone();
        without["annotations"] = plain["annotations"].clone();
        assert_eq!(&without, plain, "only annotations differ");
    }
    let create = explicit
        .iter()
        .find(|t| t["name"] == "createProcessInstance")
        .unwrap();
    assert_eq!(create["annotations"]["idempotentHint"], false);
}

fn listed_json(app: &App) -> Vec<Value> {
    let resp = send(app, &Recorder::default(), rpc("tools/list", json!({})));
    body_json(&resp)["result"]["tools"]
        .as_array()
        .unwrap()
        .clone()
}

fn get(path: &str, accept: &str, origin: &str) -> Request {
    Request {
        method: "GET".into(),
        origin: origin.into(),
        path: path.into(),
        query: None,
        headers: vec![("accept".into(), accept.into())],
        body: Vec::new(),
    }
}

#[test]
fn the_page_for_people_says_what_and_how_and_never_a_secret() {
    let app = oidc_app(&[
        ("MCP_READ_ONLY", "true"),
        ("MCP_TOOL_SCOPES", "read=camunda:read"),
        ("MCP_RATE_LIMITS", "read=300/60"),
    ]);
    let rec = Recorder::default();
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let resp = send(&app, &rec, get("/", browser, "https://mcp.example.com"));
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(resp
        .header("content-security-policy")
        .unwrap()
        .starts_with("default-src 'none'"));
    let html = String::from_utf8(resp.body.clone()).unwrap();
    for want in [
        "https://mcp.example.com/mcp/cluster",
        ".mcp.json",
        "mcpServers",
        "&quot;type&quot;: &quot;http&quot;",
        "npx -y @modelcontextprotocol/inspector@2.12.0 --cli",
        "npx -y @camunda8/cli@4.1.0 mcp-proxy",
        ISSUER,
        "14 of 18 tools",
        "read-only",
        "camunda:read",
        "--header &quot;Authorization: Bearer ${CAMUNDA_TOKEN}&quot;",
        "&quot;Authorization&quot;: &quot;Bearer ${env:CAMUNDA_TOKEN}&quot;",
    ] {
        assert!(html.contains(want), "page lacks {want}");
    }
    for secret in [BASE, "MCP_CACHE_SECRET", "\"s\""] {
        assert!(!html.contains(secret), "page shows {secret}");
    }
    assert_eq!(rec.calls().len(), 0, "the page called out");
    // A crafted Host cannot inject markup.
    let evil = send(
        &app,
        &rec,
        get("/", "text/html", "https://x\"><script>alert(1)</script>"),
    );
    let evil = String::from_utf8(evil.body).unwrap();
    assert!(!evil.contains("<script>"));
    // Clients that do not ask for HTML keep the JSON 404.
    for accept in ["application/json", "*/*"] {
        let resp = send(&app, &rec, get("/", accept, "https://mcp.example.com"));
        assert_eq!(resp.status, 404);
        assert_eq!(body_json(&resp)["error"], "Not Found");
    }
}

#[test]
fn class_scopes_gate_the_processes_server_too() {
    let app = oidc_app(&[
        ("MCP_PROCESSES", "true"),
        ("CAMUNDA_API_VERSION", "8.10"),
        ("MCP_TOOL_SCOPES", "write=camunda:start"),
    ]);
    let rec = Recorder::default();
    rec.answer(200, jwks());
    let subscriptions = json!({"items": [{"messageSubscriptionKey": "2251799813695001", "messageSubscriptionState": "CREATED", "toolName": "requestVacation", "messageName": "m", "toolProperties": {}}]});
    let processes = |req: Request| Request {
        path: "/mcp/processes".into(),
        ..req
    };
    let reader = token("reader", "openid");
    let starter = token("starter", "camunda:start");
    rec.answer(200, subscriptions.clone());
    let list = |t: &str| {
        listed(&send(
            &app,
            &rec,
            bearer(processes(rpc("tools/list", json!({}))), t),
        ))
    };
    assert_eq!(list(&reader), ["getProcessState"]);
    rec.answer(200, subscriptions);
    assert_eq!(
        list(&starter),
        ["getProcessState", "requestVacation_2251799813695001"]
    );
    let before = rec.calls().len();
    let call = processes(rpc(
        "tools/call",
        json!({"name": "requestVacation_2251799813695001", "arguments": {}}),
    ));
    let resp = send(&app, &rec, bearer(call, &reader));
    assert_eq!(resp.status, 403);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer error=\"insufficient_scope\", scope=\"camunda:start\", resource_metadata=\"https://gw.test/.well-known/oauth-protected-resource/mcp/processes\""));
    assert_eq!(
        rec.calls().len(),
        before,
        "a forbidden start reached the cluster"
    );
}

#[test]
fn a_scope_every_token_needs_is_asked_for_once_at_admission() {
    let app = oidc_app(&[("OIDC_REQUIRED_SCOPES", "camunda")]);
    let rec = Recorder::default();
    rec.answer(200, jwks());
    let resp = send(
        &app,
        &rec,
        bearer(call_req("getTopology"), &token("agent", "other")),
    );
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.header("www-authenticate").unwrap(),
        "Bearer error=\"insufficient_scope\", scope=\"camunda\", \
         resource_metadata=\"https://gw.test/.well-known/oauth-protected-resource\", \
         error_description=\"the token lacks the scope camunda\""
    );
    assert_eq!(rec.calls().len(), 1, "only the key set was fetched");
}
