//! One request in flight: the app's future, polled step by step by `src/edge.js`, and the I/O
//! it asks for (the request body, upstream fetches) handed over as whole values. Each crossing
//! of the JS/wasm boundary costs glue work (a call, strings encoded and decoded, memory
//! allocated and freed), so what one step needs crosses at once: an upstream request is one
//! string (and its body), its answer one call, the response head and the log line one string.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

use worker::{console_error, console_warn, Cache, Env, Headers};

use worker::js_sys::{self, Function};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{self, JsValue};

use crate::app::{self, App};
use crate::camunda::results::is_success;
use crate::http::{
    origin_of, path_of, query_of, BodyError, BodySource, FetchError, Request, Response,
    UpstreamRequest, UpstreamResponse,
};
use crate::json::Compactor;
use crate::ports::HttpClient;
use crate::settings::ConfigError;

use super::bindings::Bindings;
use super::crypto::WebCrypto;
use super::js::{lines, BROKEN, TIMEOUT, TOO_LARGE};

/// What a request needs next, as [`Exchange::step`] reports it to `src/edge.js` (in the low
/// two bits; for [`Step::Body`] the body cap is the rest).
#[repr(u8)]
pub(super) enum Step {
    /// The response is ready.
    Done = 0,
    /// The request body, within [`Exchange::body_cap`] and [`Exchange::body_timeout_ms`].
    Body = 1,
    /// One upstream fetch, described by the `upstream_*` getters.
    Fetch = 2,
    /// Something Rust awaits itself (WebCrypto, KV, a timer): wait for [`Exchange::on_wake`].
    Wait = 3,
}

/// The one outside operation a request's future is waiting for, and its outcome.
#[derive(Default)]
pub(super) enum Need {
    #[default]
    Nothing,
    Body(usize),
    BodyRead(Result<Vec<u8>, BodyError>),
    Fetch(UpstreamRequest),
    Fetched(Result<UpstreamResponse, FetchError>),
}

/// Shared by an exchange and the body source and client its future holds.
pub(super) type Slot = Rc<RefCell<Need>>;

/// One request in flight: the app's future and the slot through which it asks for I/O.
#[wasm_bindgen]
pub struct Exchange {
    id: u32,
    slot: Slot,
    work: Option<Pin<Box<dyn Future<Output = Served>>>>,
    answer: Option<Served>,
    waker: Waker,
    /// When the request arrived (ms since the epoch), for the log line.
    started: u64,
    body_cap: usize,
    /// The upstream answer being compacted as its chunks arrive (see `streamAnswer`).
    compactor: RefCell<Option<Compactor>>,
}

// With `panic = "unwind"` (worker-build --panic-unwind) wasm-bindgen catches a panic at each
// exported call and asks the types it crosses to be unwind-safe. An exchange whose step panicked
// is never polled again: `drive` gets the error, stops and frees it, so no half-updated state
// of it is ever observed.
impl std::panic::UnwindSafe for Exchange {}
impl std::panic::RefUnwindSafe for Exchange {}

impl Exchange {
    pub(super) fn new(
        app: Rc<Result<App<WebCrypto>, ConfigError>>,
        plain: Request,
        env: Env,
        started: u64,
    ) -> Self {
        let id = NEXT_EXCHANGE.replace(NEXT_EXCHANGE.get().wrapping_add(1));
        WAKES.with_borrow_mut(|w| w.insert(id, Wakeup::Idle));
        let slot = Slot::default();
        let body_cap = app
            .as_ref()
            .as_ref()
            .map_or(0, |app| app.config.transport.max_body_bytes);
        let (body, client) = (StepBody(slot.clone()), Outbound(slot.clone()));
        let work = async move {
            let app = match app.as_ref() {
                Ok(app) => app,
                Err(err) => {
                    // The value goes to the log only: a caller learns which variable, nothing more.
                    console_error!("{err}");
                    let resp = app::internal_error(&err.public_message());
                    let record = app::Record::default();
                    return Served {
                        plain,
                        resp,
                        record,
                    };
                }
            };
            let limits = Bindings(&env);
            let store = super::grants::Records(&env);
            let outside = app::Outside {
                client: &client,
                limiters: &limits,
                store: &store,
            };
            let (resp, record) = app.serve(&plain, body, &outside, started / 1000).await;
            Served {
                plain,
                resp,
                record,
            }
        };
        Exchange {
            id,
            slot,
            work: Some(Box::pin(work)),
            answer: None,
            waker: Waker::from(Arc::new(WakeId(id))),
            started,
            body_cap,
            compactor: RefCell::new(None),
        }
    }

    fn upstream_with<T: Default>(&self, f: impl FnOnce(&mut UpstreamRequest) -> T) -> T {
        match &mut *self.slot.borrow_mut() {
            Need::Fetch(req) => f(req),
            _ => T::default(),
        }
    }
}

/// What a request came to: the response, and what its log line is written from.
pub(super) struct Served {
    plain: Request,
    resp: Response,
    record: app::Record,
}

/// The interface `src/edge.js` drives (names as it calls them).
#[wasm_bindgen]
impl Exchange {
    /// Polls the request on until it needs something from outside; says what (a [`Step`] in
    /// the low two bits), and for a body, within which cap (the rest).
    pub fn step(&mut self) -> u32 {
        WAKES.with_borrow_mut(|w| w.insert(self.id, Wakeup::Idle));
        let Some(work) = self.work.as_mut() else {
            return Step::Done as u32;
        };
        let mut cx = std::task::Context::from_waker(&self.waker);
        if let Poll::Ready(served) = work.as_mut().poll(&mut cx) {
            self.work = None;
            self.answer = Some(served);
            return Step::Done as u32;
        }
        match &*self.slot.borrow() {
            // The cap is at most MCP_MAX_BODY_BYTES (64 MiB), or an endpoint's smaller one.
            Need::Body(cap) => ((*cap as u32) << 2) | Step::Body as u32,
            Need::Fetch(_) => Step::Fetch as u32,
            _ => Step::Wait as u32,
        }
    }

    /// Calls `resolve` once the future can go on (at once if it already can).
    #[wasm_bindgen(js_name = onWake)]
    pub fn on_wake(&self, resolve: Function) {
        let now = WAKES.with_borrow_mut(|w| match w.get(&self.id) {
            Some(Wakeup::Woken) => true,
            _ => {
                w.insert(self.id, Wakeup::Listener(resolve.clone()));
                false
            }
        });
        if now {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// The configured body cap, for draining a body nobody read.
    #[wasm_bindgen(js_name = bodyCap)]
    pub fn body_cap(&self) -> usize {
        self.body_cap
    }

    #[wasm_bindgen(js_name = bodyRead)]
    pub fn body_read(&self, body: Vec<u8>) {
        self.slot.replace(Need::BodyRead(Ok(body)));
    }

    #[wasm_bindgen(js_name = bodyFailed)]
    pub fn body_failed(&self, kind: u8, why: String) {
        let err = match kind {
            TIMEOUT => BodyError::Timeout,
            TOO_LARGE => BodyError::TooLarge,
            _ => BodyError::Broken(why),
        };
        self.slot.replace(Need::BodyRead(Err(err)));
    }

    /// The pending upstream request, but its body, as one string: method, URL, timeout (ms),
    /// size cap, the service binding to go through (empty: the public network), whether a
    /// body follows (`1`/`0`), then header names and values, one per line (none holds a
    /// newline).
    pub fn upstream(&self) -> String {
        self.upstream_with(|r| {
            let mut out = format!(
                "{}\n{}\n{}\n{}\n{}\n{}",
                r.method.as_str(),
                std::mem::take(&mut r.url),
                r.timeout_ms,
                r.max_bytes,
                r.via.take().unwrap_or_default(),
                u8::from(r.body.is_some()),
            );
            if !r.headers.is_empty() {
                out.push('\n');
                out.push_str(&lines(&r.headers));
            }
            out
        })
    }

    /// The pending upstream request's body (asked for only when [`Exchange::upstream`] says
    /// there is one).
    #[wasm_bindgen(js_name = upstreamBody)]
    pub fn upstream_body(&self) -> Option<Vec<u8>> {
        self.upstream_with(|r| r.body.take())
    }

    /// Whether the answer's body, of `declared` bytes if known (else 0), is to be fed in
    /// chunks to [`Exchange::feed`] instead of read whole: a successful answer whose request
    /// asked for compaction.
    #[wasm_bindgen(js_name = streamAnswer)]
    pub fn stream_answer(&self, status: u16, declared: usize) -> bool {
        let budget = self
            .upstream_with(|r| r.compact)
            .filter(|_| is_success(status));
        let compactor = budget.map(|budget| Compactor::new(budget, declared));
        let streams = compactor.is_some();
        self.compactor.replace(compactor);
        streams
    }

    /// The next chunk of an answer being streamed; it is not kept.
    pub fn feed(&self, chunk: &[u8]) {
        if let Some(c) = self.compactor.borrow_mut().as_mut() {
            c.feed(chunk);
        }
    }

    /// The answer: its status; its `content-type`, `cache-control` and (for a hand-over)
    /// `cf-placement` headers as three lines (empty: absent); and its body whole, or empty
    /// after it was streamed to [`Exchange::feed`].
    pub fn fetched(&self, status: u16, head: &str, body: Vec<u8>) {
        let mut head = head
            .split('\n')
            .map(|v| Some(v.to_owned()).filter(|v| !v.is_empty()));
        let mut next = || head.next().flatten();
        let (content_type, cache_control, placement) = (next(), next(), next());
        let compacted = self.compactor.take().map(Compactor::finish);
        self.slot.replace(Need::Fetched(Ok(UpstreamResponse {
            status,
            content_type,
            cache_control,
            body,
            compacted,
            placement,
        })));
    }

    #[wasm_bindgen(js_name = fetchFailed)]
    pub fn fetch_failed(&self, kind: u8, why: String) {
        let err = match kind {
            TIMEOUT => FetchError::Timeout(self.upstream_with(|r| r.timeout_ms)),
            TOO_LARGE => FetchError::TooLarge(self.upstream_with(|r| r.max_bytes)),
            BROKEN => FetchError::Broken(why),
            _ => FetchError::Unreachable(why),
        };
        self.compactor.take();
        self.slot.replace(Need::Fetched(Err(err)));
    }

    /// The request's log line, then the response's status and its headers, one per line (the
    /// line is JSON: it holds no raw newline). `now_ms` ends the request's duration.
    pub fn finish(&self, now_ms: f64) -> String {
        let Some(Served {
            plain,
            resp,
            record,
        }) = &self.answer
        else {
            return "\n500".to_owned();
        };
        let elapsed = (now_ms as u64).saturating_sub(self.started);
        let mut out = app::log_line(plain, resp.status, record, self.started, elapsed);
        out.push('\n');
        out.push_str(&resp.status.to_string());
        if !resp.headers.is_empty() {
            out.push('\n');
            out.push_str(&lines(&resp.headers));
        }
        out
    }

    #[wasm_bindgen(js_name = responseBody)]
    pub fn response_body(&mut self) -> Vec<u8> {
        self.answer
            .as_mut()
            .map(|s| std::mem::take(&mut s.resp.body))
            .unwrap_or_default()
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        WAKES.with_borrow_mut(|w| w.remove(&self.id));
    }
}

/// Where each live exchange's wake-up stands.
pub(super) enum Wakeup {
    Idle,
    /// Woken before `src/edge.js` asked to be told.
    Woken,
    /// `src/edge.js` waits on this.
    Listener(Function),
}

thread_local! {
    static WAKES: RefCell<HashMap<u32, Wakeup>> = RefCell::new(HashMap::new());
    static NEXT_EXCHANGE: Cell<u32> = const { Cell::new(0) };
}

/// Wakes one exchange by id: a waker that outlives its exchange finds nothing to wake.
pub(super) struct WakeId(u32);

impl Wake for WakeId {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let listener = WAKES.with_borrow_mut(|w| match w.get_mut(&self.0) {
            Some(state) => match std::mem::replace(state, Wakeup::Woken) {
                Wakeup::Listener(f) => {
                    *state = Wakeup::Idle;
                    Some(f)
                }
                _ => None,
            },
            None => None,
        });
        if let Some(f) = listener {
            let _ = f.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Parses [`head`]'s string.
pub(super) fn parse_head(text: &str) -> Request {
    let mut parts = text.split('\n');
    let method = parts.next().unwrap_or_default().to_owned();
    let url = parts.next().unwrap_or_default();
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        headers.push((name.to_owned(), value.to_owned()));
    }
    Request {
        method,
        origin: origin_of(url).to_owned(),
        path: path_of(url).to_owned(),
        query: query_of(url).map(str::to_owned),
        headers,
        body: Vec::new(),
    }
}

/// Waits until `src/edge.js` has put an outcome in the slot, then takes it.
pub(super) async fn outcome<T>(slot: &Slot, take: impl Fn(Need) -> Result<T, Need>) -> T {
    poll_fn(|_| {
        let need = slot.take();
        match take(need) {
            Ok(out) => Poll::Ready(out),
            Err(need) => {
                slot.replace(need);
                Poll::Pending
            }
        }
    })
    .await
}

/// The request body, read by `src/edge.js` once the app asks for it (after admission).
pub(super) struct StepBody(Slot);

impl BodySource<'static> for StepBody {
    async fn read(self, max_bytes: usize) -> Result<std::borrow::Cow<'static, [u8]>, BodyError> {
        self.0.replace(Need::Body(max_bytes));
        let body = outcome(&self.0, |need| match need {
            Need::BodyRead(read) => Ok(read),
            other => Err(other),
        })
        .await;
        body.map(std::borrow::Cow::Owned)
    }
}

/// Upstream calls through `src/edge.js`'s `fetch`; the Cache API as the shared store.
pub(super) struct Outbound(Slot);

impl HttpClient for Outbound {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    async fn pause(&self, ms: u32) {
        worker::Delay::from(std::time::Duration::from_millis(ms.into())).await;
    }

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        self.0.replace(Need::Fetch(req));
        outcome(&self.0, |need| match need {
            Need::Fetched(got) => Ok(got),
            other => Err(other),
        })
        .await
    }

    async fn shared_get(&self, key: &str) -> Option<Vec<u8>> {
        let mut hit = Cache::default().get(key, false).await.ok()??;
        hit.bytes().await.ok()
    }

    async fn shared_put(&self, key: &str, body: Vec<u8>, ttl_s: u64) {
        let stored = async {
            let headers = Headers::new();
            headers.set("content-type", "application/json")?;
            headers.set("cache-control", &format!("max-age={ttl_s}"))?;
            let copy = worker::Response::builder()
                .with_headers(headers)
                .fixed(body);
            Cache::default().put(key, copy).await
        };
        if let Err(e) = stored.await {
            console_warn!("shared cache: could not store a key set: {e}");
        }
    }
}
