//! The Streamable HTTP rules of the contract (../shared/camunda/GATEWAY.md §1), natively through `App::handle`.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::app::Outside;
use camunda_mcp_edge::http::Request;
use camunda_mcp_edge::ports::NoLimits;
use camunda_mcp_edge::ports::NoStore;

fn outside(rec: &Recorder) -> Outside<'_, Recorder, NoLimits, NoStore> {
    Outside {
        client: rec,
        limiters: &NoLimits,
        store: &NoStore,
    }
}
use common::*;
use serde_json::json;

fn with(mut req: Request, name: &str, value: &str) -> Request {
    req.headers.retain(|(k, _)| k != name);
    req.headers.push((name.into(), value.into()));
    req
}

#[test]
fn requests_get_200_json_and_notifications_or_responses_202_empty() {
    let rec = Recorder::default();
    let resp = send(
        &app(),
        &rec,
        post(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        body_json(&resp),
        json!({"jsonrpc": "2.0", "id": "a", "result": {}})
    );
    assert!(resp.header("mcp-session-id").is_none());

    for body in [
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":9,"result":{}}"#,
    ] {
        let resp = send(&app(), &rec, post(body));
        assert_eq!((resp.status, resp.body.len()), (202, 0), "{body}");
    }
    assert!(rec.calls().is_empty());
}

#[test]
fn initialize_negotiates_the_version_and_is_optional() {
    let rec = Recorder::default();
    let init = |v: &str| {
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        body_json(&send(&app(), &rec, post(&msg.to_string())))["result"].clone()
    };
    for v in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        assert_eq!(init(v)["protocolVersion"], v);
    }
    let r = init("2099-01-01");
    assert_eq!(r["protocolVersion"], "2025-11-25");
    assert_eq!(
        r["serverInfo"]["name"],
        "Camunda 8 Orchestration API MCP Server"
    );
    assert_eq!(
        r["capabilities"],
        json!({"tools": {"listChanged": false}, "resources": {"subscribe": false, "listChanged": false}, "prompts": {"listChanged": false}})
    );
    assert!(r["instructions"]
        .as_str()
        .unwrap()
        .contains("eventually consistent"));

    // No initialize first: tools/list still answers.
    let v = body_json(&send(
        &app(),
        &rec,
        post(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#),
    ));
    assert_eq!(
        v["result"]["tools"].as_array().unwrap().len(),
        camunda_tools()
    );
    for (method, key) in [
        ("resources/list", "resources"),
        ("resources/templates/list", "resourceTemplates"),
        ("prompts/list", "prompts"),
    ] {
        let msg = json!({"jsonrpc": "2.0", "id": 3, "method": method});
        assert_eq!(
            body_json(&send(&app(), &rec, post(&msg.to_string())))["result"],
            json!({ key: [] })
        );
    }
    let v = body_json(&send(
        &app(),
        &rec,
        post(r#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"cursor":"x"}}"#),
    ));
    assert_eq!(v["error"]["code"], -32602);
}

#[test]
fn json_rpc_errors_have_the_right_codes_and_statuses() {
    let rec = Recorder::default();
    let cases = [
        ("{not json", 400, -32700),
        (r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, 400, -32600),
        (r#""ping""#, 400, -32600),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            400,
            -32600,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/destroy"}"#,
            200,
            -32601,
        ),
    ];
    for (body, status, code) in cases {
        let resp = send(&app(), &rec, post(body));
        assert_eq!(resp.status, status, "{body}");
        assert_eq!(body_json(&resp)["error"]["code"], code, "{body}");
    }
}

#[test]
fn http_level_refusals() {
    let rec = Recorder::default();
    let a = app();
    let mut get = post("");
    get.method = "GET".into();
    get = with(get, "accept", "text/event-stream");
    let resp = send(&a, &rec, get.clone());
    assert_eq!((resp.status, resp.header("allow")), (405, Some("POST")));
    get.method = "DELETE".into();
    assert_eq!(send(&a, &rec, get).status, 405);

    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    assert_eq!(
        send(&a, &rec, with(post(ping), "accept", "application/json")).status,
        406
    );
    assert_eq!(
        send(&a, &rec, with(post(ping), "content-type", "text/plain")).status,
        415
    );
    assert_eq!(
        send(
            &a,
            &rec,
            with(post(ping), "mcp-protocol-version", "1999-01-01")
        )
        .status,
        400
    );
    assert_eq!(
        send(
            &a,
            &rec,
            with(post(ping), "mcp-protocol-version", "2025-06-18")
        )
        .status,
        200
    );
    assert_eq!(
        send(
            &a,
            &rec,
            with(post(ping), "origin", "https://evil.example.com")
        )
        .status,
        403
    );
    assert_eq!(
        send(
            &a,
            &rec,
            with(post(ping), "origin", "http://localhost:6274")
        )
        .status,
        200
    );

    let mut big = post(ping);
    big.body = vec![b' '; (4 << 20) + 1];
    assert_eq!(send(&a, &rec, big).status, 413);
    let small_limit = app_with(&[("MCP_MAX_BODY_BYTES", "2048")]);
    let mut big = post(ping);
    big.body = vec![b' '; 2049];
    assert_eq!(send(&small_limit, &rec, big).status, 413);
    assert!(rec.calls().is_empty());
}

#[test]
fn other_paths_are_404_with_a_short_json_body_and_healthz_needs_no_cluster() {
    let rec = Recorder::default();
    let mut req = post("{}");
    req.path = "/mcp".into();
    let resp = send(&app(), &rec, req.clone());
    assert_eq!(resp.status, 404);
    assert!(body_json(&resp)["message"]
        .as_str()
        .unwrap()
        .contains("POST /mcp/cluster"));

    req.path = "/healthz".into();
    req.method = "GET".into();
    let resp = send(&app(), &rec, req);
    assert_eq!(resp.status, 200);
    assert_eq!(body_json(&resp)["status"], "ok");
    assert!(rec.calls().is_empty());
}

#[test]
fn browsers_on_allowed_origins_get_cors_headers() {
    let rec = Recorder::default();
    let mut pre = with(post(""), "origin", "http://localhost:6274");
    pre.method = "OPTIONS".into();
    let resp = send(&app(), &rec, pre.clone());
    assert_eq!(resp.status, 204);
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some("http://localhost:6274")
    );
    let resp = send(
        &app(),
        &rec,
        with(pre, "origin", "https://evil.example.com"),
    );
    assert_eq!(resp.status, 403);
    assert!(resp.header("access-control-allow-origin").is_none());
}

/// A body that records whether the gateway read it.
struct Tripwire<'a>(&'a std::cell::Cell<bool>, &'a [u8]);

impl<'a> camunda_mcp_edge::http::BodySource<'a> for Tripwire<'a> {
    async fn read(
        self,
        max: usize,
    ) -> Result<std::borrow::Cow<'a, [u8]>, camunda_mcp_edge::http::BodyError> {
        self.0.set(true);
        self.1.read(max).await
    }
}

#[test]
fn a_refused_callers_body_is_never_read_and_an_admitted_one_is_capped() {
    let oidc = app_with(&[
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", "https://idp.test/realms/camunda"),
        ("OIDC_AUDIENCES", "zeebe.camunda.io"),
    ]);
    let rec = Recorder::default();
    let big = vec![b'x'; 3 << 20];
    let read = std::cell::Cell::new(false);
    let head = post("");
    let (resp, _) =
        pollster::block_on(oidc.serve(&head, Tripwire(&read, &big), &outside(&rec), NOW));
    assert_eq!(resp.status, 401);
    assert!(
        !read.get(),
        "the body of an unauthenticated caller was read"
    );
    // Admitted (no auth), the cap applies while reading: 413.
    let open = app_with(&[("MCP_MAX_BODY_BYTES", "1024")]);
    let (resp, _) =
        pollster::block_on(open.serve(&head, Tripwire(&read, &big), &outside(&rec), NOW));
    assert_eq!(resp.status, 413);
    assert!(read.get());
    assert!(rec.calls().is_empty());
}
