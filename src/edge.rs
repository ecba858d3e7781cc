//! The Workers adapter: the only module that names `worker`. It converts requests and
//! responses, provides `fetch` with a timeout and a size cap, keeps the [`App`] for the life of
//! the isolate, and prints the log line.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use worker::{
    console_error, console_log, console_warn, event, AbortSignal, Cache, Context, Date, Env, Fetch,
    Headers, RequestInit, ResponseBody,
};

use jwt_compact::UntrustedToken;
use web_sys::{
    CryptoKey, ReadableStream, ReadableStreamByobReader, ReadableStreamReadResult, SubtleCrypto,
    WorkerGlobalScope,
};
use worker::js_sys::{self, Array, ArrayBuffer, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use crate::app::{self, App};
use crate::auth::signature::{PublicKey, Signatures};
use crate::camunda::tools::ToolClass;
use crate::config::Algorithm;
use crate::config::{Config, ConfigError};
use crate::http::{
    origin_of, path_of, query_of, BodyError, BodySource, FetchError, HttpClient, Method, Request,
    Response, UpstreamRequest, UpstreamResponse, READ_HEADERS,
};
use crate::oauth::vault::{Sealer, Store};
use crate::policy::{binding_name, LimitCheck, Limiter};

thread_local! {
    /// Parsed settings and the prepared tool list, built on the first request of an isolate.
    static APP: OnceCell<Rc<Result<App<WebCrypto>, ConfigError>>> = const { OnceCell::new() };
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let started = Date::now().as_millis();
    let app = APP.with(|cell| cell.get_or_init(|| Rc::new(build_app(&env))).clone());
    let app = match app.as_ref() {
        Ok(app) => app,
        Err(err) => {
            // The value goes to the log only: a caller learns which variable, nothing more.
            console_error!("{err}");
            return into_worker(app::internal_error(&err.public_message()));
        }
    };
    let plain = into_head(&req);
    let client = FetchClient;
    let mut body = WorkerBody {
        req,
        timeout_ms: app.config.body_timeout_ms,
        read: false,
    };
    let limits = Bindings(&env);
    let store = Kv(env.kv(KV_BINDING).ok());
    let outside = app::Outside {
        client: &client,
        limits: &limits,
        store: &store,
    };
    let (resp, trace) = app.serve(&plain, &mut body, &outside, started / 1000).await;
    body.drain_unread(app.config.max_body_bytes).await;
    let elapsed = Date::now().as_millis().saturating_sub(started);
    console_log!("{}", app::log_line(&plain, resp.status, &trace, elapsed));
    if let Some(audit) = app::audit_line(&trace, started, elapsed) {
        console_log!("{audit}");
    }
    into_worker(resp)
}

/// The `[[ratelimits]]` bindings, looked up when a tool call needs one.
struct Bindings<'a>(&'a Env);

impl Limiter for Bindings<'_> {
    async fn check(&self, class: ToolClass, key: &str) -> LimitCheck {
        let Ok(binding) = self.0.rate_limiter(binding_name(class)) else {
            return LimitCheck::Unlimited;
        };
        match binding.limit(key.to_owned()).await {
            Ok(outcome) if outcome.success => LimitCheck::Allowed,
            Ok(_) => LimitCheck::Exceeded,
            Err(e) => LimitCheck::Failed(e.to_string()),
        }
    }
}

/// The Workers KV namespace of the authorization server (`MCP_AUTH_MODE=oauth`).
const KV_BINDING: &str = "OAUTH_KV";

/// Workers KV as the authorization server's store; absent binding, every call fails (closed).
struct Kv(Option<worker::KvStore>);

impl Kv {
    fn binding(&self) -> Result<&worker::KvStore, String> {
        self.0.as_ref().ok_or_else(|| {
            format!("no {KV_BINDING} binding (see README: wrangler kv namespace create)")
        })
    }
}

impl Store for Kv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.binding()?
            .get(key)
            .bytes()
            .await
            .map_err(|e| e.to_string())
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl_s: u64) -> Result<(), String> {
        self.binding()?
            .put_bytes(key, &value)
            .map_err(|e| e.to_string())?
            .expiration_ttl(ttl_s)
            .execute()
            .await
            .map_err(|e| e.to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.binding()?.delete(key).await.map_err(|e| e.to_string())
    }
}

fn build_app(env: &Env) -> Result<App<WebCrypto>, ConfigError> {
    let var = |name: &str| {
        env.var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|s| s.to_string()))
            .ok()
    };
    let config = Config::from_vars(var)?;
    for warning in &config.warnings {
        console_warn!("configuration: {warning}");
    }
    let mut limited = Vec::new();
    for class in [ToolClass::Read, ToolClass::Write] {
        let name = binding_name(class);
        if env.rate_limiter(name).is_ok() {
            limited.push(class);
        } else {
            console_warn!(
                "rate limits: no {name} binding, so {} tools are not rate-limited",
                class.name()
            );
        }
    }
    if matches!(config.auth, crate::config::AuthMode::OAuth(_)) && env.kv(KV_BINDING).is_err() {
        console_error!("oauth mode: no {KV_BINDING} binding, so nobody can sign in (see README)");
    }
    Ok(App::new(config, WebCrypto::default())?.with_rate_limit_bindings(limited))
}

/// The request without its body: the app reads that (through [`WorkerBody`]) only once the
/// caller has been admitted.
fn into_head(req: &worker::Request) -> Request {
    let url = req.inner().url();
    let headers = READ_HEADERS
        .iter()
        .filter_map(|&name| Some((name.to_owned(), req.headers().get(name).ok()??)))
        .collect();
    Request {
        method: req.method().to_string(),
        origin: origin_of(&url).to_owned(),
        path: path_of(&url).to_owned(),
        query: query_of(&url).map(str::to_owned),
        headers,
        body: Vec::new(),
    }
}

/// The body of a Workers request, read once: at most one byte past the cap (nothing past it
/// is copied into wasm memory), and within a deadline, so a caller that trickles its body
/// cannot hold the request open.
struct WorkerBody {
    req: worker::Request,
    timeout_ms: u32,
    /// Whether the app read the body.
    read: bool,
}

impl WorkerBody {
    /// Reads and discards a body the app did not need (a refused or misrouted request), so the
    /// client can finish sending it: the local runtimes' proxies reset a connection answered
    /// with its request body unread. Not for declared lengths over the cap (refused without
    /// reading, which they handle); bounded by the body deadline; nothing enters wasm memory.
    async fn drain_unread(&mut self, max_bytes: usize) {
        let declared = declared_length(self.req.headers());
        if self.read || declared == Some(0) || declared.is_some_and(|n| n > max_bytes) {
            return;
        }
        if let Some(stream) = self.req.inner().body() {
            let _ = within(self.timeout_ms, read_capped(stream, 0, Excess::Drain)).await;
        }
    }
}

impl BodySource<'static> for &mut WorkerBody {
    async fn read(self, max_bytes: usize) -> Result<Cow<'static, [u8]>, BodyError> {
        self.read = true;
        let read =
            async {
                match declared_length(self.req.headers()) {
                    Some(0) => Ok(Vec::new()),
                    Some(n) if n <= max_bytes => self
                        .req
                        .bytes()
                        .await
                        .map_err(|e| BodyError::Broken(e.to_string())),
                    // Unknown or too large: read (and past the cap, drain) within the deadline.
                    _ => match self.req.inner().body() {
                        Some(stream) => read_capped(stream, max_bytes, Excess::Drain)
                            .await
                            .map_err(|e| match e {
                                ReadError::TooLarge => BodyError::TooLarge,
                                ReadError::Broken(why) => BodyError::Broken(why),
                            }),
                        None => Ok(Vec::new()),
                    },
                }
            };
        match within(self.timeout_ms, read).await {
            Some(body) => body.map(Cow::Owned),
            None => Err(BodyError::Timeout),
        }
    }
}

/// `fut`'s output, or `None` if it takes longer than `ms` (it is then dropped).
async fn within<T>(ms: u32, fut: impl Future<Output = T>) -> Option<T> {
    let mut fut = pin!(fut);
    let mut timer = pin!(worker::Delay::from(std::time::Duration::from_millis(
        ms.into()
    )));
    poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}

fn declared_length(headers: &Headers) -> Option<usize> {
    headers
        .get("content-length")
        .ok()
        .flatten()?
        .trim()
        .parse()
        .ok()
}

/// Reads at most `cap + 1` bytes: enough to know the body is too large. A bring-your-own-buffer
/// reader takes as much as has arrived per read: workerd hands a default reader 4 KiB at a
/// time, so a 47 KB search answer took 12 promise round trips instead of 2. Chunks are joined
/// once at the end: a growing Vec held up to three times a large body while reallocating.
/// What to do with the bytes past the cap.
#[derive(Clone, Copy, PartialEq)]
enum Excess {
    /// Stop reading: an upstream answer that is too large is abandoned.
    Cancel,
    /// Read and discard them: a client that is still sending its body must be able to finish
    /// (wrangler dev's proxy fails the next request on a connection left mid-body). Bounded by
    /// the body deadline of [`WorkerBody`].
    Drain,
}

async fn read_capped(
    stream: ReadableStream,
    cap: usize,
    excess: Excess,
) -> Result<Vec<u8>, ReadError> {
    let broken = |e: JsValue| ReadError::Broken(worker::Error::from(e).to_string());
    let reader = ReadableStreamByobReader::new(&stream).map_err(broken)?;
    let mut buffer = READ_BUFFERS
        .with_borrow_mut(Vec::pop)
        .unwrap_or_else(|| ArrayBuffer::new(READ_BUFFER_BYTES));
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut len = 0;
    let mut too_large = false;
    let outcome = loop {
        let read = reader.read_with_array_buffer_view(&Uint8Array::new(&buffer));
        let result: ReadableStreamReadResult = match JsFuture::from(read).await {
            Ok(result) => result.unchecked_into(),
            Err(e) => break Err(broken(e)),
        };
        if let Some(bytes) = result.get_value().dyn_ref::<Uint8Array>() {
            // The read moved our buffer into `bytes`; it is ours again for the next read.
            buffer = bytes.buffer();
            len += bytes.length() as usize;
            if len > cap && !too_large {
                // Nothing past the cap is copied into wasm memory, which never shrinks.
                too_large = true;
                chunks = Vec::new();
                if excess == Excess::Cancel {
                    let _ = reader.cancel();
                    break Err(ReadError::TooLarge);
                }
            }
            if !too_large {
                chunks.push(bytes.to_vec());
            }
        }
        if result.get_done() == Some(true) {
            if too_large {
                break Err(ReadError::TooLarge);
            }
            break Ok(match chunks.len() {
                1 => chunks.swap_remove(0),
                _ => chunks.concat(),
            });
        }
    };
    // A read that failed may still hold the buffer (detached, length 0): only whole ones return.
    if buffer.byte_length() == READ_BUFFER_BYTES {
        READ_BUFFERS.with_borrow_mut(|pool| {
            if pool.len() < MAX_POOLED_BUFFERS {
                pool.push(buffer);
            }
        });
    }
    outcome
}

/// Large enough for a typical search answer in one read, small enough to be no burden.
const READ_BUFFER_BYTES: u32 = 64 * 1024;
/// As many as requests commonly read at the same time in one isolate.
const MAX_POOLED_BUFFERS: usize = 16;

thread_local! {
    /// Read buffers, reused: a fresh 64 KiB buffer for every small answer (allocated, zeroed,
    /// then garbage) showed in profiles of getTopology.
    static READ_BUFFERS: RefCell<Vec<ArrayBuffer>> = const { RefCell::new(Vec::new()) };
}

enum ReadError {
    Broken(String),
    /// The body is longer than the cap.
    TooLarge,
}

fn into_worker(resp: Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &resp.headers {
        headers.append(name, value)?;
    }
    let builder = worker::Response::builder()
        .with_status(resp.status)
        .with_headers(headers);
    Ok(if resp.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(resp.body)
    })
}

/// `fetch` with the request's timeout covering the whole exchange, body included, and its size
/// cap applied while reading; the Cache API as the shared store.
struct FetchClient;

impl HttpClient for FetchClient {
    async fn pause(&self, ms: u32) {
        worker::Delay::from(std::time::Duration::from_millis(ms.into())).await;
    }

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        self.fetch(&req).await
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

impl FetchClient {
    async fn fetch(&self, req: &UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        let unreachable = |e: worker::Error| FetchError::Unreachable(e.to_string());
        let headers = Headers::new();
        for (name, value) in &req.headers {
            headers.set(name, value).map_err(unreachable)?;
        }
        let mut init = RequestInit::new();
        // Never follow a redirect: a key source or a cluster that redirects is a fault to report,
        // not a place to send credentials or to trust keys from.
        init.with_redirect(worker::RequestRedirect::Manual);
        init.with_method(match req.method {
            Method::Get => worker::Method::Get,
            Method::Post => worker::Method::Post,
            Method::Put => worker::Method::Put,
            Method::Patch => worker::Method::Patch,
            Method::Delete => worker::Method::Delete,
        })
        .with_headers(headers);
        if let Some(body) = &req.body {
            init.with_body(Some(
                worker::js_sys::Uint8Array::from(body.as_slice()).into(),
            ));
        }
        let request = worker::Request::new_with_init(&req.url, &init).map_err(unreachable)?;
        // The runtime's own timeout signal aborts the fetch and the body read alike; it costs no
        // timer closure of ours on the hot path.
        let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(
            req.timeout_ms,
        ));
        let failed = |fault: fn(String) -> FetchError| {
            let signal = signal.clone();
            move |e: worker::Error| {
                if signal.aborted() {
                    FetchError::Timeout(req.timeout_ms)
                } else {
                    fault(e.to_string())
                }
            }
        };
        let mut resp = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(failed(FetchError::Unreachable))?;
        let status = resp.status_code();
        let content_type = resp.headers().get("content-type").ok().flatten();
        let cache_control = resp.headers().get("cache-control").ok().flatten();
        // One read of a body of known, acceptable size is far cheaper than a chunk loop.
        let body = match declared_length(resp.headers()) {
            Some(n) if n > req.max_bytes => return Err(FetchError::TooLarge(req.max_bytes)),
            Some(_) => resp.bytes().await.map_err(failed(FetchError::Broken))?,
            None => match resp.body() {
                ResponseBody::Stream(stream) => {
                    read_capped(stream.clone(), req.max_bytes, Excess::Cancel)
                        .await
                        .map_err(|e| match e {
                            _ if signal.aborted() => FetchError::Timeout(req.timeout_ms),
                            ReadError::Broken(why) => FetchError::Broken(why),
                            ReadError::TooLarge => FetchError::TooLarge(req.max_bytes),
                        })?
                }
                _ => Vec::new(),
            },
        };
        Ok(UpstreamResponse {
            status,
            content_type,
            cache_control,
            body,
        })
    }
}

/// JWT signature checks and record sealing by the runtime's WebCrypto: native code, where
/// jwt-compact's pure-Rust RSA in wasm took about a millisecond per first-seen token. Imported
/// keys are kept per isolate (verification keys by their JWK text); clones share them.
#[derive(Default, Clone)]
struct WebCrypto {
    keys: Rc<RefCell<HashMap<String, CryptoKey>>>,
    /// The vault's AES-GCM key, imported once.
    sealing: Rc<RefCell<Option<CryptoKey>>>,
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(js_sys::global()
        .unchecked_into::<WorkerGlobalScope>()
        .crypto()?
        .subtle())
}

impl WebCrypto {
    /// The AES-GCM parameters for one operation (a fresh `iv` per seal).
    fn gcm(iv: &[u8], aad: &[u8]) -> Object {
        let params = object(&[("name", "AES-GCM")]);
        let _ = Reflect::set(&params, &"iv".into(), &Uint8Array::from(iv));
        let _ = Reflect::set(&params, &"additionalData".into(), &Uint8Array::from(aad));
        params
    }

    /// One vault key per deployment (`OAUTH_KV_KEY`), imported on first use.
    async fn sealing_key(&self, key: &[u8; 32]) -> Result<CryptoKey, JsValue> {
        if let Some(k) = self.sealing.borrow().clone() {
            return Ok(k);
        }
        let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
        let promise = subtle()?.import_key_with_object(
            "raw",
            &Uint8Array::from(key.as_slice()),
            &object(&[("name", "AES-GCM")]),
            false,
            &usages,
        )?;
        let k: CryptoKey = JsFuture::from(promise).await?.unchecked_into();
        *self.sealing.borrow_mut() = Some(k.clone());
        Ok(k)
    }
}

fn js_error(e: JsValue) -> String {
    worker::Error::from(e).to_string()
}

impl Sealer for WebCrypto {
    async fn seal(&self, key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut iv = [0u8; 12];
        getrandom::getrandom(&mut iv).map_err(|e| e.to_string())?;
        let sealed = async {
            let k = self.sealing_key(key).await?;
            let promise =
                subtle()?.encrypt_with_object_and_u8_array(&Self::gcm(&iv, aad), &k, plain)?;
            JsFuture::from(promise).await
        }
        .await
        .map_err(js_error)?;
        Ok([iv.as_slice(), &Uint8Array::new(&sealed).to_vec()].concat())
    }

    async fn open(&self, key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        if sealed.len() < 12 + 16 {
            return Err("too short".into());
        }
        let (iv, body) = sealed.split_at(12);
        let plain = async {
            let k = self.sealing_key(key).await?;
            let promise =
                subtle()?.decrypt_with_object_and_u8_array(&Self::gcm(iv, aad), &k, body)?;
            JsFuture::from(promise).await
        }
        .await
        .map_err(js_error)?;
        Ok(Uint8Array::new(&plain).to_vec())
    }
}

/// Key sets rotate; more distinct keys than this in one isolate clears the map.
const MAX_IMPORTED_KEYS: usize = 64;

impl Signatures for WebCrypto {
    async fn verify(&self, key: &PublicKey, token: &UntrustedToken<'_>, signed: &str) -> bool {
        self.check(key, token.signature_bytes(), signed)
            .await
            .unwrap_or(false)
    }
}

impl WebCrypto {
    async fn check(
        &self,
        key: &PublicKey,
        signature: &[u8],
        signed: &str,
    ) -> Result<bool, JsValue> {
        let subtle = subtle()?;
        let (import, verify) = match key.alg {
            Algorithm::Rs256 => (
                object(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")]),
                object(&[("name", "RSASSA-PKCS1-v1_5")]),
            ),
            Algorithm::Es256 => (
                object(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
                object(&[("name", "ECDSA"), ("hash", "SHA-256")]),
            ),
        };
        let id = key.jwk.to_string();
        let cached = self.keys.borrow().get(&id).cloned();
        let crypto_key = match cached {
            Some(k) => k,
            None => {
                let jwk: Object = js_sys::JSON::parse(&id)?.unchecked_into();
                let usages = Array::of1(&JsValue::from_str("verify"));
                let promise =
                    subtle.import_key_with_object("jwk", &jwk, &import, false, &usages)?;
                let k: CryptoKey = JsFuture::from(promise).await?.unchecked_into();
                let mut keys = self.keys.borrow_mut();
                if keys.len() >= MAX_IMPORTED_KEYS {
                    keys.clear();
                }
                keys.insert(id, k.clone());
                k
            }
        };
        let promise = subtle.verify_with_object_and_u8_array_and_u8_array(
            &verify,
            &crypto_key,
            signature,
            signed.as_bytes(),
        )?;
        Ok(JsFuture::from(promise).await?.as_bool() == Some(true))
    }
}

fn object(members: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in members {
        // Setting a string member on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}
