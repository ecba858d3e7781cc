//! Ask before acting (`MCP_CONFIRM_WRITES`), natively: a covered call from a 2026-07-28 client
//! that can elicit reaches the cluster only after the person accepted that very call; every
//! refusal sends nothing upstream; clients that cannot ask, and the 2025 lane, run as before.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::app::Outside;
use camunda_mcp_edge::ports::NoStore;
use common::{app_with, body_json, meta, modern, send, App, Counting, Recorder, NOW};
use serde_json::{json, Value};

const SECRET: &str = "a-confirmation-secret-of-more-than-32-chars";
const ARGS: &str = r#"{"incidentKey":"2251799813685249"}"#;

fn confirming(cover: &str) -> App {
    app_with(&[
        ("MCP_CONFIRM_WRITES", cover),
        ("MCP_CONFIRM_SECRET", SECRET),
    ])
}

/// A modern `tools/call` of `name` from a client that can elicit, with `extra` params.
fn asking(name: &str, extra: Value) -> camunda_mcp_edge::http::Request {
    let mut params =
        json!({"name": name, "arguments": serde_json::from_str::<Value>(ARGS).unwrap()});
    for (k, v) in extra.as_object().unwrap() {
        params[k] = v.clone();
    }
    let mut req = modern("tools/call", params);
    let mut body: Value = serde_json::from_slice(&req.body).unwrap();
    let mut m = meta();
    m["io.modelcontextprotocol/clientCapabilities"] = json!({"elicitation": {"form": {}}});
    body["params"]["_meta"] = m;
    req.body = body.to_string().into_bytes();
    req
}

fn result(resp: &camunda_mcp_edge::http::Response) -> Value {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    body_json(resp)
}

/// The first round: the question and its state; nothing upstream.
fn ask(app: &App, rec: &Recorder) -> String {
    let v = result(&send(app, rec, asking("resolveIncident", json!({}))));
    let r = &v["result"];
    assert_eq!(r["resultType"], "input_required", "{v}");
    let request = &r["inputRequests"]["confirm"];
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(request["params"]["mode"], "form");
    assert!(request["params"]["message"]
        .as_str()
        .unwrap()
        .contains("resolveIncident"));
    assert!(request["params"]["message"]
        .as_str()
        .unwrap()
        .contains("2251799813685249"));
    assert_eq!(rec.calls().len(), 0, "nothing upstream before the answer");
    r["requestState"].as_str().unwrap().to_owned()
}

#[test]
fn accepted_runs_once_declined_runs_never() {
    let app = confirming("elicit");
    let rec = Recorder::default();
    let state = ask(&app, &rec);
    let decline =
        json!({"requestState": state, "inputResponses": {"confirm": {"action": "decline"}}});
    let v = result(&send(&app, &rec, asking("resolveIncident", decline)));
    assert_eq!(v["result"]["isError"], true);
    assert!(v["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("declined"));
    let cancel =
        json!({"requestState": state, "inputResponses": {"confirm": {"action": "cancel"}}});
    send(&app, &rec, asking("resolveIncident", cancel));
    assert_eq!(
        rec.calls().len(),
        0,
        "declined and cancelled: nothing upstream"
    );
    // No answer yet: asked again.
    let v = result(&send(
        &app,
        &rec,
        asking("resolveIncident", json!({"requestState": state})),
    ));
    assert_eq!(v["result"]["resultType"], "input_required");
    // Accepted: the call runs, once.
    rec.answer(204, Value::Null);
    let accept = json!({"requestState": state, "inputResponses": {"confirm": {"action": "accept", "content": {}}}});
    let v = result(&send(&app, &rec, asking("resolveIncident", accept)));
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
    assert_eq!(rec.calls().len(), 1);
}

#[test]
fn tampered_expired_or_rebound_states_are_refused_with_nothing_upstream() {
    let app = confirming("elicit");
    let rec = Recorder::default();
    let state = ask(&app, &rec);
    let accept = |state: &str| json!({"requestState": state, "inputResponses": {"confirm": {"action": "accept"}}});
    let mut bent = state.clone().into_bytes();
    bent[5] = if bent[5] == b'A' { b'B' } else { b'A' };
    let bent = String::from_utf8(bent).unwrap();
    let refused = |req| {
        let v = result(&send(&app, &rec, req));
        assert_eq!(v["error"]["code"], -32602, "{v}");
        v["error"]["message"].as_str().unwrap().to_owned()
    };
    assert!(refused(asking("resolveIncident", accept(&bent))).contains("not issued"));
    // Another tool, other arguments.
    assert!(refused(asking("createProcessInstance", accept(&state))).contains("for this call"));
    let mut other = asking("resolveIncident", accept(&state));
    other.body = String::from_utf8(other.body)
        .unwrap()
        .replace("2251799813685249", "2251799813685250")
        .into_bytes();
    assert!(refused(other).contains("for this call"));
    // Another caller (a Basic user) on a gateway that knows callers.
    let basic = app_with(&[
        ("MCP_CONFIRM_WRITES", "elicit"),
        ("MCP_CONFIRM_SECRET", SECRET),
        ("MCP_AUTH_MODE", "basic"),
    ]);
    let as_user = |user: &str, extra| {
        let mut req = asking("resolveIncident", extra);
        req.headers
            .push(("authorization".into(), format!("Basic {user}")));
        req
    };
    let v = result(&send(&basic, &rec, as_user("YWRhOnB3", json!({}))));
    let ada = v["result"]["requestState"].as_str().unwrap().to_owned();
    let v = result(&send(&basic, &rec, as_user("ZXZlOnB3", accept(&ada))));
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("for this call"));
    // With no auth at the edge, the credentials the call carries upstream are bound too: the
    // same address with another cluster token cannot use the state.
    let with_token = |token: &str, extra| {
        let mut req = asking("resolveIncident", extra);
        req.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        req
    };
    let v = result(&send(&app, &rec, with_token("token-of-ada", json!({}))));
    let adas = v["result"]["requestState"].as_str().unwrap().to_owned();
    let v = result(&send(&app, &rec, with_token("token-of-eve", accept(&adas))));
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("for this call"));
    // Expired (300 s by default).
    let late =
        pollster::block_on(app.handle(&asking("resolveIncident", accept(&state)), &rec, NOW + 301))
            .0;
    assert!(result(&late)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    assert_eq!(rec.calls().len(), 0, "no refusal reached the cluster");
}

#[test]
fn clients_that_cannot_ask_and_the_2025_lane_run_as_before() {
    let app = confirming("elicit");
    let rec = Recorder::default();
    rec.answer(204, Value::Null).answer(204, Value::Null);
    // A modern client without the elicitation capability.
    let plain = modern(
        "tools/call",
        json!({"name": "resolveIncident", "arguments": serde_json::from_str::<Value>(ARGS).unwrap()}),
    );
    let v = result(&send(&app, &rec, plain));
    assert_eq!(v["result"]["resultType"], "complete");
    // The 2025 lane.
    let legacy = common::post(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "resolveIncident", "arguments": serde_json::from_str::<Value>(ARGS).unwrap()}}).to_string());
    let v = result(&send(&app, &rec, legacy));
    assert!(v["result"]["content"].is_array());
    assert_eq!(rec.calls().len(), 2);
    // Reads are not covered by `elicit`; a list covers only the named tools.
    rec.answer(200, json!({"brokers": [], "clusterSize": 1, "partitionsCount": 1, "replicationFactor": 1, "gatewayVersion": "8.9.0"}));
    let v = result(&send(
        &app,
        &rec,
        asking("getTopology", json!({"arguments": {}})),
    ));
    assert_eq!(v["result"]["resultType"], "complete");
    let listed = confirming("createProcessInstance");
    rec.answer(204, Value::Null);
    let v = result(&send(&listed, &rec, asking("resolveIncident", json!({}))));
    assert_eq!(v["result"]["resultType"], "complete", "not named: runs");
    let v = result(&send(
        &listed,
        &rec,
        asking("createProcessInstance", json!({})),
    ));
    assert_eq!(v["result"]["resultType"], "input_required");
}

#[test]
fn a_confirmed_call_is_counted_once_and_audited_with_its_outcome() {
    let app = confirming("elicit");
    let rec = Recorder::default();
    let limits = Counting {
        limit: u32::MAX,
        ..Counting::default()
    };
    let serve = |req: camunda_mcp_edge::http::Request| {
        let outside = Outside {
            client: &rec,
            limiters: &limits,
            store: &NoStore,
        };
        pollster::block_on(app.serve(&req, req.body.as_slice(), &outside, NOW))
    };
    let (resp, trace) = serve(asking("resolveIncident", json!({})));
    let state = result(&resp)["result"]["requestState"]
        .as_str()
        .unwrap()
        .to_owned();
    let audit: Value = common::logged(&trace, 0, 1);
    assert_eq!(audit["confirmation"], "asked");
    assert_eq!(limits.checks(), 0, "asking is no call");
    rec.answer(204, Value::Null);
    let accept =
        json!({"requestState": state, "inputResponses": {"confirm": {"action": "accept"}}});
    let (_, trace) = serve(asking("resolveIncident", accept.clone()));
    let first: Value = common::logged(&trace, 0, 1);
    assert_eq!(first["confirmation"], "accepted");
    assert_eq!(limits.checks(), 1);
    // A replay within the expiry repeats the call; the audit shows the same nonce twice.
    rec.answer(204, Value::Null);
    let (_, trace) = serve(asking("resolveIncident", accept));
    let again: Value = common::logged(&trace, 0, 1);
    assert_eq!(again["confirmationNonce"], first["confirmationNonce"]);
}

#[test]
fn settings_are_checked() {
    let cfg = common::config_of;
    assert_eq!(
        cfg(&[("MCP_CONFIRM_WRITES", "elicit")]).unwrap_err().name,
        "MCP_CONFIRM_SECRET"
    );
    assert_eq!(
        cfg(&[
            ("MCP_CONFIRM_WRITES", "elicit"),
            ("MCP_CONFIRM_SECRET", "short")
        ])
        .unwrap_err()
        .name,
        "MCP_CONFIRM_SECRET"
    );
    let ttl = [
        ("MCP_CONFIRM_WRITES", "elicit"),
        ("MCP_CONFIRM_SECRET", SECRET),
        ("MCP_CONFIRM_TTL_S", "5"),
    ];
    assert_eq!(cfg(&ttl).unwrap_err().name, "MCP_CONFIRM_TTL_S");
    assert!(cfg(&[("MCP_CONFIRM_WRITES", "off")])
        .unwrap()
        .confirm
        .is_none());
    let unknown = cfg(&[
        ("MCP_CONFIRM_WRITES", "noSuchTool"),
        ("MCP_CONFIRM_SECRET", SECRET),
    ])
    .unwrap();
    let empty = [("MCP_CONFIRM_WRITES", ","), ("MCP_CONFIRM_SECRET", SECRET)];
    assert_eq!(cfg(&empty).unwrap_err().name, "MCP_CONFIRM_WRITES");
    assert!(common::App::new(unknown, camunda_mcp_edge::auth::signature::RustCrypto).is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any byte of a state changed, to any other byte: refused, and nothing goes upstream.
    #[test]
    fn any_changed_byte_is_refused(at in 0usize..400, byte in 0u8..=255) {
        let app = confirming("elicit");
        let rec = Recorder::default();
        let state = ask(&app, &rec);
        let mut bent = state.clone().into_bytes();
        let at = at % bent.len();
        proptest::prop_assume!(bent[at] != byte);
        bent[at] = byte;
        let bent = String::from_utf8_lossy(&bent).into_owned();
        let accept = json!({"requestState": bent, "inputResponses": {"confirm": {"action": "accept"}}});
        let v = result(&send(&app, &rec, asking("resolveIncident", accept)));
        proptest::prop_assert_eq!(&v["error"]["code"], &json!(-32602), "{}", v);
        proptest::prop_assert_eq!(rec.calls().len(), 0);
    }
}

#[test]
fn operator_toolset_writes_and_process_starts_are_covered_reads_are_not() {
    let app = app_with(&[
        ("MCP_CONFIRM_WRITES", "elicit"),
        ("MCP_CONFIRM_SECRET", SECRET),
        ("MCP_TOOLSETS", "operate"),
        ("MCP_PROCESSES", "true"),
        ("CAMUNDA_API_VERSION", "8.10"),
    ]);
    let rec = Recorder::default();
    let cancel = asking(
        "cancelProcessInstance",
        json!({"arguments": {"processInstanceKey": "2251799813690001"}}),
    );
    let v = result(&send(&app, &rec, cancel));
    assert_eq!(v["result"]["resultType"], "input_required", "{v}");
    // A process tool on /mcp/processes starts an instance: covered; getProcessState reads.
    let mut start = asking("requestVacation", json!({"arguments": {"employee": "ada"}}));
    start.path = "/mcp/processes".into();
    start.headers.retain(|(k, _)| k != "mcp-name");
    start
        .headers
        .push(("mcp-name".into(), "requestVacation".into()));
    let v = result(&send(&app, &rec, start));
    assert_eq!(v["result"]["resultType"], "input_required", "{v}");
    let mut state = asking(
        "getProcessState",
        json!({"arguments": {"processInstanceKey": "2251799813690001"}}),
    );
    state.path = "/mcp/processes".into();
    state.headers.retain(|(k, _)| k != "mcp-name");
    state
        .headers
        .push(("mcp-name".into(), "getProcessState".into()));
    let v = result(&send(&app, &rec, state));
    assert_ne!(v["result"]["resultType"], "input_required", "{v}");
    let writes: Vec<_> = rec
        .calls()
        .into_iter()
        .filter(|(_, url, _)| url.contains("/cancellation") || url.contains("/messages/"))
        .collect();
    assert!(writes.is_empty(), "a write reached the cluster: {writes:?}");
}
