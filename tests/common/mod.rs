//! A recording stand-in for `fetch`, and helpers to drive the App natively.
#![allow(dead_code)] // each test binary uses a different subset

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use camunda_mcp_edge::app;
use camunda_mcp_edge::auth::signature::RustCrypto;
use camunda_mcp_edge::config::Config;
use camunda_mcp_edge::http::{FetchError, Request, Response, UpstreamRequest, UpstreamResponse};
use camunda_mcp_edge::ports::HttpClient;
use serde_json::{json, Value};

/// Answers scripted responses in order (then `204` with no body) and records every request.
/// Clones share the script and the record, as the gateway's client handles do.
#[derive(Default, Clone)]
pub struct Recorder {
    pub seen: Rc<RefCell<Vec<UpstreamRequest>>>,
    answers: Rc<RefCell<VecDeque<Result<UpstreamResponse, FetchError>>>>,
    /// The shared cache (the Cache API of a location).
    pub shared: Rc<RefCell<SharedStore>>,
}

/// key → (body, ttl in seconds).
pub type SharedStore = std::collections::HashMap<String, (Vec<u8>, u64)>;

impl Recorder {
    pub fn answer(&self, status: u16, body: Value) -> &Self {
        let ct = if status >= 400 {
            "application/problem+json"
        } else {
            "application/json"
        };
        self.answers.borrow_mut().push_back(Ok(UpstreamResponse {
            status,
            content_type: Some(ct.into()),
            cache_control: None,
            body: body.to_string().into_bytes(),
            compacted: None,
            placement: None,
        }));
        self
    }

    pub fn answer_raw(&self, status: u16, body: &str) -> &Self {
        self.answers.borrow_mut().push_back(Ok(UpstreamResponse {
            status,
            content_type: Some("text/plain".into()),
            cache_control: None,
            body: body.as_bytes().to_vec(),
            compacted: None,
            placement: None,
        }));
        self
    }

    pub fn fail(&self, err: FetchError) -> &Self {
        self.answers.borrow_mut().push_back(Err(err));
        self
    }

    /// `(method, url, body)` of every request, bodies parsed as JSON (others as a string).
    pub fn calls(&self) -> Vec<(String, String, Option<Value>)> {
        self.seen
            .borrow()
            .iter()
            .map(|r| {
                let body = r.body.as_ref().map(|b| {
                    serde_json::from_slice(b)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
                });
                (r.method.to_string(), r.url.clone(), body)
            })
            .collect()
    }
}

/// Lets other futures run once, as a real network or storage round trip does: concurrent
/// requests in a test then interleave.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

/// A rate limiter that allows `limit` calls per binding and key, and remembers them.
#[derive(Default)]
pub struct Counting {
    pub limit: u32,
    pub seen: RefCell<std::collections::HashMap<(&'static str, String), u32>>,
}

impl Counting {
    /// Checks made, over every binding and key.
    pub fn checks(&self) -> u32 {
        self.seen.borrow().values().sum()
    }
}

impl camunda_mcp_edge::ports::Limiter for Counting {
    async fn check(
        &self,
        binding: &'static str,
        key: impl FnOnce() -> String,
    ) -> camunda_mcp_edge::ports::LimitCheck {
        let mut seen = self.seen.borrow_mut();
        let n = seen.entry((binding, key())).or_default();
        *n += 1;
        if *n > self.limit {
            camunda_mcp_edge::ports::LimitCheck::Exceeded
        } else {
            camunda_mcp_edge::ports::LimitCheck::Allowed
        }
    }
}

impl HttpClient for Recorder {
    async fn pause(&self, _ms: u32) {
        yield_now().await;
    }

    async fn shared_get(&self, key: &str) -> Option<Vec<u8>> {
        self.shared.borrow().get(key).map(|(body, _)| body.clone())
    }

    async fn shared_put(&self, key: &str, body: Vec<u8>, ttl_s: u64) {
        self.shared
            .borrow_mut()
            .insert(key.to_owned(), (body, ttl_s));
    }

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        self.seen.borrow_mut().push(req);
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or(Ok(UpstreamResponse {
                status: 204,
                content_type: None,
                cache_control: None,
                body: Vec::new(),
                compacted: None,
                placement: None,
            }))
    }
}

pub type App = app::App<RustCrypto>;

pub const BASE: &str = "http://cluster.test:8080";

/// Settings from `vars` alone (no default cluster address added).
pub fn config_of(vars: &[(&str, &str)]) -> Result<Config, camunda_mcp_edge::settings::ConfigError> {
    Config::from_vars(|n| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    })
}

pub fn app_with(vars: &[(&str, &str)]) -> App {
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.push(("CAMUNDA_REST_ADDRESS".into(), BASE.into()));
    let config = Config::from_vars(|n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()));
    App::new(config.unwrap(), RustCrypto).unwrap()
}

pub fn app() -> App {
    app_with(&[])
}

pub fn post(body: &str) -> Request {
    Request {
        method: "POST".into(),
        origin: "https://gw.test".into(),
        path: "/mcp/cluster".into(),
        query: None,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                "accept".into(),
                "application/json, text/event-stream".into(),
            ),
        ],
        body: body.as_bytes().to_vec(),
    }
}

/// The clock the native tests run at (seconds since the epoch).
pub const NOW: u64 = 1_790_000_000;

pub fn send(app: &App, client: &Recorder, req: Request) -> Response {
    pollster::block_on(app.handle(&req, client, NOW)).0
}

pub fn body_json(resp: &Response) -> Value {
    serde_json::from_slice(&resp.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&resp.body)))
}

/// Calls a tool and returns the JSON-RPC `result` (a CallToolResult) or `error`.
pub fn call(app: &App, client: &Recorder, name: &str, args: Value) -> Value {
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": args}});
    let resp = send(app, client, post(&msg.to_string()));
    assert_eq!(resp.status, 200);
    let mut v = body_json(&resp);
    v.get_mut("result")
        .map(Value::take)
        .unwrap_or_else(|| v["error"].take())
}

/// The text of a tool result's first content block.
pub fn text(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {result}"))
}

/// The MCP revision of the modern lane.
pub const V: &str = "2026-07-28";

pub fn meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": {}})
}

pub fn with(mut req: Request, name: &str, value: &str) -> Request {
    req.headers.retain(|(k, _)| k != name);
    req.headers.push((name.into(), value.into()));
    req
}

/// A modern request as a 2026-07-28 client sends it: `_meta` and the three headers.
pub fn modern(method: &str, mut params: Value) -> Request {
    params["_meta"] = meta();
    let name = params["name"].as_str().map(str::to_owned);
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let mut req = with(post(&body.to_string()), "mcp-protocol-version", V);
    req = with(req, "mcp-method", method);
    if let Some(name) = name {
        req = with(req, "mcp-name", &name);
    }
    req
}

/// How many tools Camunda's gateway has: counted from the catalogue, never written down.
#[allow(dead_code)] // each test crate compiles this module; not all count tools
pub fn camunda_tools() -> usize {
    use camunda_mcp_edge::camunda::tools::{Catalogue, HintMode};
    use camunda_mcp_edge::routes::ApiVersion;
    Catalogue::new(ApiVersion::V8_9, HintMode::Camunda)
        .tools()
        .len()
}

/// The log line of a request whose record is `record`, parsed: for a tool call, its audit
/// record (`"log":"audit"`).
pub fn logged(record: &app::Record, at_ms: u64, ms: u64) -> Value {
    let line = app::log_line(&post(""), 200, record, at_ms, ms);
    serde_json::from_str(&line).unwrap()
}
