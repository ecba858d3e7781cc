//! The edge/egress split, natively: an edge App hands admitted calls over to an egress App (the
//! service binding is a direct call here), which alone reaches the cluster. Results equal the
//! direct ones; refusals cost no hand-over; forged, replayed and expired hand-overs are refused;
//! a failing egress is a tool error naming its region, and the next call is fine.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use std::cell::{Cell, RefCell};

use camunda_mcp_edge::app::{log_line, Outside, Record};
use camunda_mcp_edge::http::{FetchError, Request, Response, UpstreamRequest, UpstreamResponse};
use camunda_mcp_edge::ports::{HttpClient, NoLimits, NoStore};
use common::*;
use serde_json::{json, Value};

const ID: &str = "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90";
const SECRET: &str = "a-shared-secret-of-32-characters-or-more";
const SAAS_URL: &str = "https://bru-2.api.camunda.io/6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90/v2";

/// What stands behind the service binding.
enum Behind {
    /// The egress App.
    Egress,
    /// The binding fails like this.
    Fails(FetchError),
    /// It answers this status and body.
    Answers(u16, &'static str),
}

/// The network as the edge sees it: hand-overs go to `behind`, anything else to `direct`
/// (which must stay empty when the split works). The egress's own fetches go to `cluster`.
struct Net<'a> {
    egress: &'a App,
    behind: RefCell<Behind>,
    direct: Recorder,
    cluster: Recorder,
    hops: RefCell<Vec<UpstreamRequest>>,
    egress_records: RefCell<Vec<Record>>,
    /// Added to the egress's clock (ms): to see an envelope expire.
    egress_late_ms: Cell<u64>,
    /// How long each of the cluster's answers takes, on the egress's clock.
    cluster_step_ms: Cell<u64>,
}

/// The egress's outbound client: the stand-in cluster, with the egress's clock, which each
/// REST call moves on by `step_ms` (a slow cluster).
struct EgressClient<'a> {
    cluster: &'a Recorder,
    late_ms: &'a Cell<u64>,
    step_ms: u64,
}

impl HttpClient for EgressClient<'_> {
    fn now_ms(&self) -> u64 {
        self.cluster.now_ms() + self.late_ms.get()
    }
    async fn pause(&self, _ms: u32) {}
    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        self.late_ms.set(self.late_ms.get() + self.step_ms);
        self.cluster.send(req).await
    }
}

impl<'a> Net<'a> {
    fn new(egress: &'a App) -> Self {
        Net {
            egress,
            behind: RefCell::new(Behind::Egress),
            direct: Recorder::default(),
            cluster: Recorder::default(),
            hops: RefCell::default(),
            egress_records: RefCell::default(),
            egress_late_ms: Cell::new(0),
            cluster_step_ms: Cell::new(0),
        }
    }

    /// `req` sent straight to the egress, as a hand-over or as anything else.
    async fn to_egress(&self, req: Request) -> Response {
        let client = EgressClient {
            cluster: &self.cluster,
            late_ms: &self.egress_late_ms,
            step_ms: self.cluster_step_ms.get(),
        };
        let outside = Outside {
            client: &client,
            limiters: &NoLimits,
            store: &NoStore,
        };
        let (resp, record) = self
            .egress
            .serve(&req, req.body.as_slice(), &outside, NOW)
            .await;
        self.egress_records.borrow_mut().push(record);
        resp
    }
}

/// A hand-over as the egress receives it.
fn handover_request(hop: &UpstreamRequest) -> Request {
    Request {
        method: "POST".into(),
        origin: "https://egress.internal".into(),
        path: "/handover".into(),
        query: None,
        headers: hop
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect(),
        body: hop.body.clone().unwrap_or_default(),
    }
}

impl HttpClient for Net<'_> {
    async fn pause(&self, _ms: u32) {}

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        if req.via.is_none() {
            return self.direct.send(req).await;
        }
        self.hops.borrow_mut().push(req.clone());
        let canned = match &*self.behind.borrow() {
            Behind::Fails(err) => return Err(err.clone()),
            Behind::Answers(status, body) => Some((*status, body.as_bytes().to_vec())),
            Behind::Egress => None,
        };
        let (status, body) = match canned {
            Some(answer) => answer,
            None => {
                let resp = self.to_egress(handover_request(&req)).await;
                (resp.status, resp.body)
            }
        };
        Ok(UpstreamResponse {
            status,
            content_type: Some("application/json".into()),
            cache_control: None,
            body,
            compacted: None,
            // What Cloudflare says of a Worker placed away from the caller.
            placement: Some("remote-BRU".into()),
        })
    }
}

fn egress_app() -> App {
    App::new(
        config_of(&[("MCP_ROLE", "egress"), ("MCP_EGRESS_SECRET", SECRET)]).unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    )
    .unwrap()
}

/// An edge with an egress for bru-2; `extra` settings come first, so they win.
fn edge_app(extra: &[(&str, &str)]) -> App {
    let mut vars = extra.to_vec();
    vars.extend_from_slice(&[
        ("CAMUNDA_SAAS_REGIONS", "bru-2,jfk-1"),
        ("MCP_EGRESS_BINDINGS", "bru-2=EGRESS_BRU_2"),
        ("MCP_EGRESS_SECRET", SECRET),
    ]);
    App::new(
        config_of(&vars).unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    )
    .unwrap()
}

/// The same settings without the split: what the results must equal.
fn direct_app(extra: &[(&str, &str)]) -> App {
    let mut vars = vec![("CAMUNDA_SAAS_REGIONS", "bru-2,jfk-1")];
    vars.extend_from_slice(extra);
    App::new(
        config_of(&vars).unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    )
    .unwrap()
}

fn tool_call(path: &str, name: &str, args: Value) -> Request {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": name, "arguments": args}});
    let mut req = post(&body.to_string());
    req.path = path.to_owned();
    req.headers
        .push(("authorization".into(), "Bearer caller-token".into()));
    req
}

fn bru() -> String {
    format!("/bru-2/{ID}/mcp/cluster")
}

/// Serves `req` at `app` over `net`; the response and the edge's record.
fn serve<C: HttpClient>(app: &App, net: &C, req: &Request) -> (Response, Record) {
    let outside = Outside {
        client: net,
        limiters: &NoLimits,
        store: &NoStore,
    };
    pollster::block_on(app.serve(req, req.body.as_slice(), &outside, NOW))
}

fn result_of(resp: &Response) -> Value {
    body_json(resp)["result"].clone()
}

/// Scripts the same cluster answers into `a` and `b`.
fn script(recorders: [&Recorder; 2], answers: &[(u16, Value)]) {
    for rec in recorders {
        for (status, body) in answers {
            rec.answer(*status, body.clone());
        }
    }
}

#[test]
fn a_call_runs_in_the_egress_and_equals_the_direct_one() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let direct = Recorder::default();
    let topology = json!({"brokers": [], "clusterSize": 1, "gatewayVersion": "8.9.0"});
    script([&net.cluster, &direct], &[(200, topology)]);
    let req = tool_call(&bru(), "getTopology", json!({}));
    let (split, record) = serve(&edge_app(&[]), &net, &req);
    let (plain, _) = serve(&direct_app(&[]), &direct, &req);
    assert_eq!(split.status, 200);
    assert_eq!(result_of(&split), result_of(&plain));
    assert!(
        net.direct.calls().is_empty(),
        "the edge fetched nothing itself"
    );
    assert_eq!(net.cluster.calls(), direct.calls());
    assert_eq!(
        net.cluster.calls()[0].1,
        format!("{SAAS_URL}/topology"),
        "the egress called the route's cluster"
    );
    let seen = net.cluster.seen.borrow();
    let auth = seen[0].headers.iter().find(|(n, _)| *n == "authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer caller-token"));
    // One hand-over, through the region's binding; the records say so.
    let hops = net.hops.borrow();
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].via.as_deref(), Some("EGRESS_BRU_2"));
    assert_eq!(record.egress.as_deref(), Some("EGRESS_BRU_2"));
    let audit = logged(&record, NOW * 1000, 5);
    assert_eq!(audit["log"], "audit");
    assert_eq!(audit["egress"], "EGRESS_BRU_2");
    assert_eq!(audit["egressPlacement"], "remote-BRU");
    let ran = &net.egress_records.borrow()[0];
    let line: Value =
        serde_json::from_str(&log_line(&handover_request(&hops[0]), 200, ran, 0, 1)).unwrap();
    assert_eq!(line["role"], "egress");
    assert_eq!(line["tool"], "getTopology");
    assert_eq!(line["region"], "bru-2");
    assert_eq!(line["upstream"], 200);
}

#[test]
fn a_region_without_an_egress_runs_as_before() {
    let egress = egress_app();
    let net = Net::new(&egress);
    net.direct.answer(200, json!({"brokers": []}));
    let req = tool_call(
        &format!("/jfk-1/{ID}/mcp/cluster"),
        "getTopology",
        json!({}),
    );
    let (resp, record) = serve(&edge_app(&[]), &net, &req);
    assert_eq!(result_of(&resp)["isError"], false);
    assert!(net.hops.borrow().is_empty());
    assert_eq!(net.direct.calls().len(), 1);
    assert_eq!(record.egress, None);
    // Methods that need no cluster never cross either.
    let list = post(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    let mut list = list;
    list.path = bru();
    assert_eq!(serve(&edge_app(&[]), &net, &list).0.status, 200);
    assert!(net.hops.borrow().is_empty());
}

#[test]
fn a_multi_step_tool_runs_whole_in_the_egress() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let direct = Recorder::default();
    let no_retries = json!({"type": "about:blank", "title": "INVALID_STATE", "status": 409,
        "detail": "Expected to resolve incident with key '42', but the job has no retries left"});
    script(
        [&net.cluster, &direct],
        &[
            (409, no_retries),
            (
                200,
                json!({"incidentKey": "42", "jobKey": "77", "state": "ACTIVE"}),
            ),
            (204, Value::Null),
            (204, Value::Null),
        ],
    );
    let req = tool_call(&bru(), "resolveIncident", json!({"incidentKey": 42}));
    let (split, record) = serve(&edge_app(&[]), &net, &req);
    let (plain, _) = serve(&direct_app(&[]), &direct, &req);
    assert_eq!(result_of(&split), result_of(&plain));
    assert_eq!(text(&result_of(&split)), "Incident with key 42 resolved.");
    assert_eq!(net.cluster.calls().len(), 4);
    assert_eq!(net.cluster.calls(), direct.calls());
    assert_eq!(net.hops.borrow().len(), 1, "four REST calls, one hand-over");
    assert_eq!(record.upstream, Some(204));
}

#[test]
fn cluster_failures_and_bad_arguments_come_back_as_they_would_directly() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let direct = Recorder::default();
    let missing =
        json!({"title": "NOT_FOUND", "status": 404, "detail": "Incident with key 42 not found"});
    script([&net.cluster, &direct], &[(404, missing)]);
    for (name, args) in [
        ("getIncident", json!({"incidentKey": 42})),
        ("getIncident", json!({"incidentKey": "x"})),
    ] {
        let req = tool_call(&bru(), name, args);
        let (split, record) = serve(&edge_app(&[]), &net, &req);
        let (plain, plain_record) = serve(&direct_app(&[]), &direct, &req);
        assert_eq!(result_of(&split), result_of(&plain));
        assert_eq!(result_of(&split)["isError"], true);
        assert_eq!(
            (record.tool_error, record.upstream),
            (plain_record.tool_error, plain_record.upstream)
        );
    }
}

#[test]
fn refusals_cost_no_hand_over() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let read_only = edge_app(&[("MCP_READ_ONLY", "true")]);
    for (app, name) in [
        (&read_only, "resolveIncident"),
        (&edge_app(&[]), "noSuchTool"),
    ] {
        let req = tool_call(&bru(), name, json!({"incidentKey": 42}));
        let (resp, record) = serve(app, &net, &req);
        assert_eq!(body_json(&resp)["error"]["code"], -32602, "{name}");
        assert!(record.refused.is_some());
        assert_eq!(record.egress, None);
    }
    assert!(net.hops.borrow().is_empty());
    assert!(net.cluster.calls().is_empty() && net.direct.calls().is_empty());
}

#[test]
fn forged_replayed_and_expired_hand_overs_are_refused() {
    let egress = egress_app();
    let net = Net::new(&egress);
    net.cluster.answer(200, json!({"brokers": []}));
    let req = tool_call(&bru(), "getTopology", json!({}));
    serve(&edge_app(&[]), &net, &req);
    let real = handover_request(&net.hops.borrow()[0]);
    let refused = |req: Request, status: u16, reason: &str| {
        let resp = pollster::block_on(net.to_egress(req));
        assert_eq!(resp.status, status, "{reason}");
        assert_eq!(body_json(&resp)["error"], "handover_refused");
        let record = net.egress_records.borrow().last().cloned().unwrap();
        assert_eq!(record.refused, Some(reason));
    };
    refused(real.clone(), 409, "replayed");
    let mut unsigned = real.clone();
    unsigned.headers.retain(|(n, _)| n != "authorization");
    refused(unsigned, 401, "unsigned");
    let mut altered = real.clone();
    altered.body = String::from_utf8(altered.body)
        .unwrap()
        .replace("getTopology", "getIncident")
        .into_bytes();
    refused(altered, 401, "forged");
    let other_key = edge_app(&[(
        "MCP_EGRESS_SECRET",
        "another-secret-of-32-characters-or-more",
    )]);
    let late = Net::new(&egress);
    serve(&other_key, &late, &req);
    refused(handover_request(&late.hops.borrow()[0]), 401, "forged");
    // A fresh, well-signed envelope that arrives after the call's time is up.
    let slow = Net::new(&egress);
    slow.behind.replace(Behind::Answers(599, "{}"));
    serve(&edge_app(&[]), &slow, &req);
    net.egress_late_ms.set(31_000);
    refused(handover_request(&slow.hops.borrow()[0]), 401, "expired");
    assert_eq!(
        net.cluster.calls().len(),
        1,
        "only the real call reached the cluster"
    );
}

#[test]
fn the_egress_serves_hand_overs_and_nothing_else() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let mut mcp = tool_call(&bru(), "getTopology", json!({}));
    mcp.path = "/mcp/cluster".into();
    assert_eq!(pollster::block_on(net.to_egress(mcp)).status, 404);
    let mut get = post("");
    get.method = "GET".into();
    get.path = "/handover".into();
    assert_eq!(pollster::block_on(net.to_egress(get.clone())).status, 405);
    get.path = "/healthz".into();
    let health = pollster::block_on(net.to_egress(get));
    assert_eq!(body_json(&health)["role"], "egress");
    assert!(net.cluster.calls().is_empty());
}

#[test]
fn a_failing_egress_is_a_tool_error_naming_its_region_and_the_next_call_is_fine() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let edge = edge_app(&[]);
    let cases = [
        (
            Behind::Fails(FetchError::Unreachable("no such service".into())),
            502,
            "could not be reached",
        ),
        (
            Behind::Fails(FetchError::Timeout(30_000)),
            504,
            "did not answer within 30000 ms",
        ),
        (Behind::Answers(200, "not json"), 502, "not a hand-back"),
        (
            Behind::Answers(500, "{\"message\":\"secret detail\"}"),
            502,
            "answered HTTP 500.",
        ),
        (Behind::Answers(503, ""), 502, "deployed, and its log"),
        (
            Behind::Answers(200, r#"{"upstream":200,"done":{"tools":[]}}"#),
            502,
            "another kind",
        ),
        (
            Behind::Answers(401, r#"{"error":"handover_refused","reason":"forged"}"#),
            502,
            "MCP_EGRESS_SECRET",
        ),
        (
            Behind::Answers(401, r#"{"error":"handover_refused","reason":"expired"}"#),
            502,
            "clocks disagree",
        ),
        (
            Behind::Answers(200, r#"{"upstream":200,"done":{"result":"#),
            502,
            "Eof at line 1",
        ),
    ];
    for (behind, status, says) in cases {
        net.behind.replace(behind);
        let (resp, record) = serve(&edge, &net, &tool_call(&bru(), "getTopology", json!({})));
        let result = result_of(&resp);
        assert_eq!(result["isError"], true, "{says}");
        let problem = &result["structuredContent"];
        assert_eq!(problem["status"], status, "{says}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("region bru-2 (EGRESS_BRU_2)"), "{detail}");
        assert!(detail.contains(says), "{detail}");
        assert!(
            !detail.contains("secret detail"),
            "what stands behind the binding says is not passed on"
        );
        assert_eq!(problem["egress"], "EGRESS_BRU_2");
        assert!(record.tool_error);
    }
    net.behind.replace(Behind::Egress);
    net.cluster.answer(200, json!({"brokers": []}));
    let (resp, _) = serve(&edge, &net, &tool_call(&bru(), "getTopology", json!({})));
    assert_eq!(result_of(&resp)["isError"], false);
    assert!(
        net.direct.calls().is_empty(),
        "no failure made the edge fetch itself"
    );
}

#[test]
fn the_egress_gets_the_calls_time_less_a_margin() {
    let egress = egress_app();
    let net = Net::new(&egress);
    net.behind.replace(Behind::Answers(599, "{}"));
    let edge = edge_app(&[("CAMUNDA_REQUEST_TIMEOUT_MS", "5000")]);
    serve(&edge, &net, &tool_call(&bru(), "getTopology", json!({})));
    let hop = net.hops.borrow()[0].clone();
    assert_eq!(hop.timeout_ms, 5000, "the whole call keeps the timeout");
    let envelope: Value = serde_json::from_slice(hop.body.as_ref().unwrap()).unwrap();
    assert_eq!(envelope["limits"]["requestTimeoutMs"], 4500);
    let window = envelope["expiresMs"].as_u64().unwrap() - envelope["issuedMs"].as_u64().unwrap();
    assert_eq!(window, 5000);
    // What the envelope carries: the call and what it needs, no request headers besides.
    assert_eq!(envelope["job"]["tool"]["name"], "getTopology");
    assert_eq!(envelope["credentials"]["forward"], "Bearer caller-token");
    assert_eq!(envelope["address"], SAAS_URL.trim_end_matches("/v2"));
    // In the egress, the REST calls share what is left of the call's time.
    net.behind.replace(Behind::Egress);
    serve(&edge, &net, &tool_call(&bru(), "getTopology", json!({})));
    let rest = net.cluster.seen.borrow()[0].timeout_ms;
    assert!((4000..=4500).contains(&rest), "{rest}");
}

#[test]
fn machine_tokens_are_fetched_by_the_egress() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let machine = [
        ("CAMUNDA_UPSTREAM_AUTH", "client-credentials"),
        ("CAMUNDA_CLIENT_ID", "gateway"),
        ("CAMUNDA_CLIENT_SECRET", "machine-secret"),
        ("CAMUNDA_OAUTH_URL", "https://login.example.com/oauth/token"),
    ];
    net.cluster
        .answer(
            200,
            json!({"access_token": "machine-token", "expires_in": 300}),
        )
        .answer(200, json!({"brokers": []}))
        .answer(200, json!({"brokers": []}));
    let edge = edge_app(&machine);
    for _ in 0..2 {
        let (resp, _) = serve(&edge, &net, &tool_call(&bru(), "getTopology", json!({})));
        assert_eq!(result_of(&resp)["isError"], false);
    }
    let calls = net.cluster.calls();
    let urls: Vec<&str> = calls.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://login.example.com/oauth/token",
            &format!("{SAAS_URL}/topology"),
            &format!("{SAAS_URL}/topology")
        ],
        "one token fetch, near the cluster, reused"
    );
    let seen = net.cluster.seen.borrow();
    let auth = seen[1].headers.iter().find(|(n, _)| *n == "authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer machine-token"));
    assert!(net.direct.calls().is_empty());
}

#[test]
fn the_process_list_and_process_tools_go_through_the_egress() {
    let egress = egress_app();
    let net = Net::new(&egress);
    let direct = Recorder::default();
    let extra = [
        ("CAMUNDA_API_VERSION", "8.10"),
        ("MCP_PROCESSES", "true"),
        ("MCP_PROCESSES_LIST_TTL_MS", "0"),
    ];
    script(
        [&net.cluster, &direct],
        &[(200, json!({"items": [], "page": {"totalItems": 0}}))],
    );
    let mut list = post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    list.path = format!("/bru-2/{ID}/mcp/processes");
    let (split, record) = serve(&edge_app(&extra), &net, &list);
    let (plain, _) = serve(&direct_app(&extra), &direct, &list);
    assert_eq!(body_json(&split), body_json(&plain));
    assert_eq!(net.cluster.calls(), direct.calls());
    assert_eq!(record.egress.as_deref(), Some("EGRESS_BRU_2"));
    // A process tool the cluster does not have: Camunda's own refusal, through the hop.
    script(
        [&net.cluster, &direct],
        &[(200, json!({"items": [], "page": {"totalItems": 0}}))],
    );
    let mut call = tool_call(
        &format!("/bru-2/{ID}/mcp/processes"),
        "startOrder",
        json!({}),
    );
    call.path = format!("/bru-2/{ID}/mcp/processes");
    let (split, _) = serve(&edge_app(&extra), &net, &call);
    let (plain, _) = serve(&direct_app(&extra), &direct, &call);
    assert_eq!(body_json(&split), body_json(&plain));
}

#[test]
fn split_settings_are_checked() {
    let bad = [
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "bru-2=EGRESS"),
        ],
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "bru-2=EGRESS"),
            ("MCP_EGRESS_SECRET", "short"),
        ],
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "syd-1=EGRESS"),
            ("MCP_EGRESS_SECRET", SECRET),
        ],
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "bru-2=EG-RESS"),
            ("MCP_EGRESS_SECRET", SECRET),
        ],
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "bru-2=A,bru-2=B"),
            ("MCP_EGRESS_SECRET", SECRET),
        ],
        vec![
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("MCP_EGRESS_BINDINGS", "default=EGRESS"),
            ("MCP_EGRESS_SECRET", SECRET),
        ],
        vec![("MCP_ROLE", "egress")],
        vec![
            ("MCP_ROLE", "egress"),
            ("MCP_EGRESS_SECRET", SECRET),
            ("MCP_EGRESS_BINDINGS", "default=EGRESS"),
        ],
        vec![("MCP_ROLE", "courier")],
    ];
    for vars in bad {
        let err = config_of(&vars).expect_err(&format!("{vars:?}"));
        assert!(
            !err.to_string().contains(SECRET),
            "secrets stay out of errors"
        );
    }
    let default = config_of(&[
        ("CAMUNDA_REST_ADDRESS", "http://localhost:8080"),
        ("MCP_EGRESS_BINDINGS", "default=EGRESS, "),
        ("MCP_EGRESS_SECRET", &format!("{SECRET},{SECRET}-old")),
    ])
    .unwrap();
    let settings = default.egress.unwrap();
    assert_eq!(
        settings.bindings,
        [("default".to_owned(), "EGRESS".to_owned())]
    );
    assert_eq!(settings.keys().len(), 2);
}

#[test]
fn the_default_route_can_hand_over_too() {
    let egress = egress_app();
    let net = Net::new(&egress);
    net.cluster.answer(200, json!({"brokers": []}));
    let edge = App::new(
        config_of(&[
            ("CAMUNDA_REST_ADDRESS", BASE),
            ("MCP_EGRESS_BINDINGS", "default=EGRESS"),
            ("MCP_EGRESS_SECRET", SECRET),
        ])
        .unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    )
    .unwrap();
    let (resp, record) = serve(
        &edge,
        &net,
        &tool_call("/mcp/cluster", "getTopology", json!({})),
    );
    assert_eq!(result_of(&resp)["isError"], false);
    assert_eq!(record.egress.as_deref(), Some("EGRESS"));
    assert_eq!(net.cluster.calls()[0].1, format!("{BASE}/v2/topology"));
}

#[test]
fn an_egress_told_its_region_refuses_envelopes_for_another() {
    let config = config_of(&[
        ("MCP_ROLE", "egress"),
        ("MCP_EGRESS_SECRET", SECRET),
        ("MCP_EGRESS_REGION", "jfk-1"),
    ]);
    let egress = App::new(
        config.unwrap(),
        camunda_mcp_edge::auth::signature::RustCrypto,
    )
    .unwrap();
    let net = Net::new(&egress);
    let (resp, _) = serve(
        &edge_app(&[]),
        &net,
        &tool_call(&bru(), "getTopology", json!({})),
    );
    let detail = result_of(&resp)["structuredContent"]["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("another region"),
        "{detail}"
    );
    assert_eq!(net.egress_records.borrow()[0].refused, Some("wrong_egress"));
    assert!(net.cluster.calls().is_empty());
    assert!(
        config_of(&[("MCP_EGRESS_REGION", "bru-2")]).is_err(),
        "an edge is not told one"
    );
}

#[test]
fn a_rest_call_that_could_not_finish_in_time_is_not_sent() {
    let egress = egress_app();
    let net = Net::new(&egress);
    // Each answer takes 2 s: of a 5 s call (4.5 s for the egress), the fourth step of
    // resolveIncident has nothing left.
    net.cluster_step_ms.set(2_000);
    let no_retries = json!({"title": "INVALID_STATE", "status": 409,
        "detail": "Expected to resolve incident with key '42', but the job has no retries left"});
    net.cluster
        .answer(409, no_retries)
        .answer(
            200,
            json!({"incidentKey": "42", "jobKey": "77", "state": "ACTIVE"}),
        )
        .answer(204, Value::Null);
    let edge = edge_app(&[("CAMUNDA_REQUEST_TIMEOUT_MS", "5000")]);
    let call = tool_call(&bru(), "resolveIncident", json!({"incidentKey": 42}));
    let (resp, record) = serve(&edge, &net, &call);
    let result = result_of(&resp);
    assert_eq!(result["structuredContent"]["status"], 504, "{result}");
    let timeouts: Vec<u32> = net
        .cluster
        .seen
        .borrow()
        .iter()
        .map(|r| r.timeout_ms)
        .collect();
    assert_eq!(
        timeouts.len(),
        3,
        "the fourth call was not sent: {timeouts:?}"
    );
    assert!(timeouts[2] <= 500, "{timeouts:?}");
    assert!(record.tool_error);
}

#[test]
fn only_cloudflare_placements_are_recorded() {
    struct Says(&'static str);
    impl HttpClient for Says {
        async fn pause(&self, _ms: u32) {}
        async fn send(&self, _req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
            Ok(UpstreamResponse {
                status: 200,
                content_type: None,
                cache_control: None,
                body: br#"{"upstream":200,"done":{"result":{"content":[],"isError":false}}}"#
                    .to_vec(),
                compacted: None,
                placement: Some(self.0.into()),
            })
        }
    }
    let edge = edge_app(&[]);
    for (said, kept) in [
        ("remote-FRA", Some("remote-FRA")),
        ("local-BRU", Some("local-BRU")),
        ("remote-FRA\u{202e}", None),
        ("anything else", None),
    ] {
        let (_, record) = serve(
            &edge,
            &Says(said),
            &tool_call(&bru(), "getTopology", json!({})),
        );
        assert_eq!(record.egress_placement.as_deref(), kept, "{said}");
    }
}
