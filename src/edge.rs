//! The Workers adapter: the only module that names `worker`, in two halves. This one keeps the
//! [`App`] for the life of the isolate and turns each request into an [`Exchange`]: the app's
//! future, polled step by step. Its JavaScript half (`src/edge.js`) drives that loop and does the
//! plain I/O — reading the request body, the upstream `fetch`, building the `Response` — in the
//! runtime's own code. Measured (bench/RESULTS.md): doing that I/O from Rust cost more CPU than
//! all of the gateway's own work, spent crossing between JS and wasm and in the promise executor.
//! Work that needs other runtime APIs (WebCrypto, KV, the Cache API, rate limits, timers) stays
//! in Rust and is awaited through the [`Step::Wait`] step.

use worker::{event, Env};

use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{self, JsValue};

use crate::http::READ_HEADERS;

mod bindings;
mod crypto;
mod exchange;
mod grants;
mod js;

use bindings::app_for;
use exchange::{parse_head, Exchange};

#[wasm_bindgen(module = "/src/edge.js")]
extern "C" {
    #[wasm_bindgen(js_name = setHeaderNames)]
    fn set_header_names(names: &str);
    /// The method, URL and the [`READ_HEADERS`] present, as one string (one crossing).
    fn head(req: &web_sys::Request) -> String;
    /// Serves `req` by polling `exchange` to its end; resolves to the `Response`. `env` holds
    /// the service bindings a hand-over goes through; `body_timeout_ms` bounds reading the
    /// request body.
    fn drive(
        req: web_sys::Request,
        exchange: Exchange,
        env: &JsValue,
        body_timeout_ms: u32,
    ) -> Promise;
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
    set_header_names(&READ_HEADERS.join("\n"));
}

/// The Worker's fetch handler (worker-build's entry calls the export named `fetch`).
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, _ctx: JsValue) -> Promise {
    // Date.now(), not a Date object: two per request.
    let started = js_sys::Date::now() as u64;
    let app = app_for(&env);
    let body_timeout_ms = app
        .as_ref()
        .as_ref()
        .map_or(0, |app| app.config.transport.body_timeout_ms);
    let plain = parse_head(&head(&req));
    let bindings = JsValue::from(env.clone());
    let exchange = Exchange::new(app, plain, env, started);
    drive(req, exchange, &bindings, body_timeout_ms)
}
