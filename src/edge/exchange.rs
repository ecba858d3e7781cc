//! One request in flight: the app's future, polled step by step by `src/edge.js`, and the I/O
//! it asks for (the request body, upstream fetches) handed over as whole values.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

use worker::{console_error, console_log, console_warn, Cache, Env, Headers};

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

/// What a request needs next, as [`Exchange::step`] reports it to `src/edge.js`.
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
    work: Option<Pin<Box<dyn Future<Output = Response>>>>,
    answer: Option<Response>,
    waker: Waker,
    body_cap: usize,
    body_timeout_ms: u32,
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
        let (body_cap, body_timeout_ms) = match app.as_ref() {
            Ok(app) => (
                app.config.transport.max_body_bytes,
                app.config.transport.body_timeout_ms,
            ),
            Err(_) => (0, 0),
        };
        let (body, client) = (StepBody(slot.clone()), Outbound(slot.clone()));
        let work = async move {
            let app = match app.as_ref() {
                Ok(app) => app,
                Err(err) => {
                    // The value goes to the log only: a caller learns which variable, nothing more.
                    console_error!("{err}");
                    return app::internal_error(&err.public_message());
                }
            };
            let limits = Bindings(&env);
            let store = super::grants::Records::new(&env);
            let outside = app::Outside {
                client: &client,
                limiters: &limits,
                store: &store,
            };
            let (resp, record) = app.serve(&plain, body, &outside, started / 1000).await;
            let elapsed = (js_sys::Date::now() as u64).saturating_sub(started);
            console_log!("{}", app::log_line(&plain, resp.status, &record, elapsed));
            if let Some(audit) = app::audit_line(&record, started, elapsed) {
                console_log!("{audit}");
            }
            resp
        };
        Exchange {
            id,
            slot,
            work: Some(Box::pin(work)),
            answer: None,
            waker: Waker::from(Arc::new(WakeId(id))),
            body_cap,
            body_timeout_ms,
            compactor: RefCell::new(None),
        }
    }

    fn upstream<T: Default>(&self, f: impl FnOnce(&mut UpstreamRequest) -> T) -> T {
        match &mut *self.slot.borrow_mut() {
            Need::Fetch(req) => f(req),
            _ => T::default(),
        }
    }
}

/// The interface `src/edge.js` drives (names as it calls them).
#[wasm_bindgen]
impl Exchange {
    /// Polls the request on until it needs something from outside; says what.
    pub fn step(&mut self) -> u8 {
        WAKES.with_borrow_mut(|w| w.insert(self.id, Wakeup::Idle));
        let Some(work) = self.work.as_mut() else {
            return Step::Done as u8;
        };
        let mut cx = std::task::Context::from_waker(&self.waker);
        if let Poll::Ready(resp) = work.as_mut().poll(&mut cx) {
            self.work = None;
            self.answer = Some(resp);
            return Step::Done as u8;
        }
        (match &*self.slot.borrow() {
            Need::Body(_) => Step::Body,
            Need::Fetch(_) => Step::Fetch,
            _ => Step::Wait,
        }) as u8
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

    /// The body cap: of the pending read, else the configured one (for draining).
    #[wasm_bindgen(js_name = bodyCap)]
    pub fn body_cap(&self) -> usize {
        match &*self.slot.borrow() {
            Need::Body(cap) => *cap,
            _ => self.body_cap,
        }
    }

    #[wasm_bindgen(js_name = bodyTimeoutMs)]
    pub fn body_timeout_ms(&self) -> u32 {
        self.body_timeout_ms
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

    #[wasm_bindgen(js_name = upstreamUrl)]
    pub fn upstream_url(&self) -> String {
        self.upstream(|r| std::mem::take(&mut r.url))
    }

    #[wasm_bindgen(js_name = upstreamMethod)]
    pub fn upstream_method(&self) -> String {
        self.upstream(|r| r.method.as_str().to_owned())
    }

    /// `name\nvalue\n…` (header values cannot hold a newline).
    #[wasm_bindgen(js_name = upstreamHeaders)]
    pub fn upstream_headers(&self) -> String {
        self.upstream(|r| lines(&r.headers))
    }

    #[wasm_bindgen(js_name = upstreamBody)]
    pub fn upstream_body(&self) -> Option<Vec<u8>> {
        self.upstream(|r| r.body.take())
    }

    /// The service binding to fetch through (a hand-over), or none: the public network.
    #[wasm_bindgen(js_name = upstreamVia)]
    pub fn upstream_via(&self) -> Option<String> {
        self.upstream(|r| r.via.take())
    }

    #[wasm_bindgen(js_name = upstreamTimeoutMs)]
    pub fn upstream_timeout_ms(&self) -> u32 {
        self.upstream(|r| r.timeout_ms)
    }

    #[wasm_bindgen(js_name = upstreamCap)]
    pub fn upstream_cap(&self) -> usize {
        self.upstream(|r| r.max_bytes)
    }

    /// Whether the answer's body, of `declared` bytes if known (else 0), is to be fed in
    /// chunks to [`Exchange::feed`] instead of read whole: a successful answer whose request
    /// asked for compaction.
    #[wasm_bindgen(js_name = streamAnswer)]
    pub fn stream_answer(&self, status: u16, declared: usize) -> bool {
        let budget = self.upstream(|r| r.compact).filter(|_| is_success(status));
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

    /// The answer: its body whole, or empty after it was streamed to [`Exchange::feed`].
    pub fn fetched(
        &self,
        status: u16,
        content_type: Option<String>,
        cache_control: Option<String>,
        body: Vec<u8>,
        placement: Option<String>,
    ) {
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
            TIMEOUT => FetchError::Timeout(self.upstream_timeout_ms()),
            TOO_LARGE => FetchError::TooLarge(self.upstream_cap()),
            BROKEN => FetchError::Broken(why),
            _ => FetchError::Unreachable(why),
        };
        self.compactor.take();
        self.slot.replace(Need::Fetched(Err(err)));
    }

    pub fn status(&self) -> u16 {
        self.answer.as_ref().map_or(500, |r| r.status)
    }

    #[wasm_bindgen(js_name = responseHeaders)]
    pub fn response_headers(&self) -> String {
        self.answer
            .as_ref()
            .map(|r| lines(&r.headers))
            .unwrap_or_default()
    }

    #[wasm_bindgen(js_name = responseBody)]
    pub fn response_body(&mut self) -> Vec<u8> {
        self.answer
            .as_mut()
            .map(|r| std::mem::take(&mut r.body))
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
