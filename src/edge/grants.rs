//! The sign-in's Durable Objects on Workers: the edge's client of them ([`Records`], also the
//! Workers KV of registrations) and the object class itself ([`GrantObject`]), which runs
//! [`Steps::grant_step`](crate::auth::oauth::grant::Steps::grant_step) one step at a time inside `blockConcurrencyWhile`.

use base64ct::{Base64, Encoding};
use worker::js_sys::{self, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{self, JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, console_warn, durable_object, DurableObject, Env, ScheduledTime};

use super::bindings::{app_for, Shared};
use super::bindings::{GRANTS_BINDING, KV_BINDING};
use super::crypto::WebCrypto;
use super::js::{lines, BROKEN, TIMEOUT, TOO_LARGE};
use crate::auth::oauth::grant::{ObjectIo, Op, Refusal, Reply};
use crate::auth::oauth::AuthServer;
use crate::http::{FetchError, UpstreamRequest, UpstreamResponse};
use crate::ports::HttpClient;
use crate::ports::Store;
use crate::ports::{Grants, ObjectStore};

#[wasm_bindgen(module = "/src/edge.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchWhole)]
    fn fetch_whole(
        url: &str,
        method: &str,
        headers: &str,
        body: Option<Vec<u8>>,
        timeout_ms: u32,
        cap: usize,
    ) -> Promise;
}

/// The authorization server's storage as the edge sees it: registrations in KV, grants in
/// their objects, each binding looked up when a call needs it (most requests need neither,
/// and each lookup crosses into JS). A missing binding fails every call (closed).
pub struct Records<'a>(pub &'a Env);

impl Records<'_> {
    fn kv(&self) -> Result<worker::KvStore, String> {
        self.0.kv(KV_BINDING).map_err(|_| {
            format!("no {KV_BINDING} binding (see docs: wrangler kv namespace create)")
        })
    }
}

impl Store for Records<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.kv()?.get(key).bytes().await.map_err(|e| e.to_string())
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl_s: u64) -> Result<(), String> {
        self.kv()?
            .put_bytes(key, &value)
            .map_err(|e| e.to_string())?
            .expiration_ttl(ttl_s)
            .execute()
            .await
            .map_err(|e| e.to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.kv()?.delete(key).await.map_err(|e| e.to_string())
    }
}

impl Grants<Op, Reply> for Records<'_> {
    async fn call(&self, grant: &str, op: &Op) -> Result<Reply, String> {
        let namespace = self
            .0
            .durable_object(GRANTS_BINDING)
            .map_err(|_| format!("no {GRANTS_BINDING} Durable Object binding"))?;
        let failed = |e: worker::Error| e.to_string();
        let stub = namespace.get_by_name(grant).map_err(failed)?;
        let mut init = worker::RequestInit::new();
        let body = serde_json::to_string(op).map_err(|e| e.to_string())?;
        init.with_method(worker::Method::Post)
            .with_body(Some(JsValue::from_str(&body)));
        let url = format!("https://grant.invalid/{grant}");
        let req = worker::Request::new_with_init(&url, &init).map_err(failed)?;
        let mut resp = stub.fetch_with_request(req).await.map_err(failed)?;
        let text = resp.text().await.map_err(failed)?;
        serde_json::from_str(&text).map_err(|e| format!("grant object answered {e}"))
    }
}

/// One grant: its record and alarm in the object's own storage.
#[durable_object]
pub struct GrantObject {
    state: worker::State,
    env: Env,
}

impl DurableObject for GrantObject {
    fn new(state: worker::State, env: Env) -> Self {
        GrantObject { state, env }
    }

    async fn fetch(&self, mut req: worker::Request) -> worker::Result<worker::Response> {
        let id = req.path().trim_start_matches('/').to_owned();
        let op: Op = serde_json::from_str(&req.text().await?)
            .map_err(|e| worker::Error::RustError(format!("not a grant step: {e}")))?;
        let host = self.host();
        let glanced = match host.parts() {
            Some((server, io)) => server.steps().grant_glance(&op, &io, now_s()).await,
            None => None,
        };
        if let Some(reply) = glanced {
            return worker::Response::from_json(&reply);
        }
        // One step at a time, IdP round trips included: nothing else reaches this object
        // until the step has stored its outcome.
        let reply = self
            .state
            .block_concurrency_while(async move {
                Ok(match host.parts() {
                    Some((server, io)) => server.steps().grant_step(&id, &op, &io, now_s()).await,
                    None => Reply::Refused(Refusal::Unavailable("not in oauth mode".into())),
                })
            })
            .await?;
        if let Reply::Refused(Refusal::Unavailable(why) | Refusal::Ended(why)) = &reply {
            console_warn!("grant: {why}");
        }
        worker::Response::from_json(&reply)
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        let host = self.host();
        let done = self
            .state
            .block_concurrency_while(async move {
                Ok(match host.parts() {
                    Some((server, io)) => server.steps().grant_alarm(&io, now_s()).await,
                    None => Err("not in oauth mode".to_owned()),
                })
            })
            .await?;
        // A failed alarm is retried by the runtime (with backoff) only if it fails here: the
        // grant it should end must not be kept for ever.
        done.map_err(|why| {
            console_error!("grant alarm: {why}");
            worker::Error::RustError(why)
        })?;
        worker::Response::ok("")
    }
}

impl GrantObject {
    fn host(&self) -> Host {
        Host {
            app: app_for(&self.env),
            storage: ObjectStorage(self.state.storage()),
        }
    }
}

/// What a step of an object runs with: the isolate's authorization server (oauth mode) and the
/// object's own storage. Owned, so a step can move it into `blockConcurrencyWhile`.
struct Host {
    app: Shared,
    storage: ObjectStorage,
}

impl Host {
    fn parts(&self) -> Option<(&AuthServer, ObjectIo<'_, Direct, ObjectStorage, WebCrypto>)> {
        let (server, sealer) = self.app.as_ref().as_ref().ok()?.auth_server()?;
        let io = ObjectIo {
            client: &Direct,
            storage: &self.storage,
            sealer,
        };
        Some((server, io))
    }
}

fn now_s() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The object's storage: the sealed record as base64 text, and its alarm.
struct ObjectStorage(worker::Storage);

fn storage_error(e: worker::Error) -> String {
    format!("grant storage: {e}")
}

impl Store for ObjectStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let text: Option<String> = self.0.get(key).await.map_err(storage_error)?;
        text.map(|t| Base64::decode_vec(&t).map_err(|e| format!("grant storage: {e}")))
            .transpose()
    }

    async fn put(&self, key: &str, value: Vec<u8>, _ttl_s: u64) -> Result<(), String> {
        let text = Base64::encode_string(&value);
        self.0.put(key, text).await.map_err(storage_error)
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.0.delete(key).await.map(|_| ()).map_err(storage_error)
    }
}

impl ObjectStore for ObjectStorage {
    async fn alarm(&self, at_s: Option<u64>) -> Result<(), String> {
        match at_s {
            Some(at) => {
                let date = js_sys::Date::new(&JsValue::from_f64(at as f64 * 1000.0));
                self.0.set_alarm(ScheduledTime::new(date)).await
            }
            None => self.0.delete_alarm().await,
        }
        .map_err(storage_error)
    }
}

/// `fetch` for an object's own calls (the IdP): no exchange drives an object, so the whole
/// answer is read in JS ([`fetch_whole`]) and handed over once.
struct Direct;

impl HttpClient for Direct {
    fn now_ms(&self) -> u64 {
        worker::js_sys::Date::now() as u64
    }

    async fn pause(&self, ms: u32) {
        worker::Delay::from(std::time::Duration::from_millis(ms.into())).await;
    }

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        let promise = fetch_whole(
            &req.url,
            req.method.as_str(),
            &lines(&req.headers),
            req.body,
            req.timeout_ms,
            req.max_bytes,
        );
        let got = JsFuture::from(promise)
            .await
            .map_err(|e| FetchError::Unreachable(format!("{e:?}")))?;
        let member = |name: &str| Reflect::get(&got, &JsValue::from_str(name)).ok();
        let text = |name: &str| member(name).and_then(|v| v.as_string());
        if let Some(fail) = member("fail").and_then(|v| v.as_f64()) {
            let why = text("why").unwrap_or_default();
            return Err(match fail as u8 {
                TIMEOUT => FetchError::Timeout(req.timeout_ms),
                TOO_LARGE => FetchError::TooLarge(req.max_bytes),
                BROKEN => FetchError::Broken(why),
                _ => FetchError::Unreachable(why),
            });
        }
        let body = member("body")
            .and_then(|b| b.dyn_into::<Uint8Array>().ok())
            .map(|b| b.to_vec())
            .unwrap_or_default();
        Ok(UpstreamResponse {
            status: member("status").and_then(|v| v.as_f64()).unwrap_or(0.0) as u16,
            content_type: text("contentType"),
            cache_control: text("cacheControl"),
            body,
            compacted: None,
            placement: None,
        })
    }
}
