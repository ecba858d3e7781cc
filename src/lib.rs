//! An MCP gateway for Camunda 8 Orchestration Clusters that runs as a Cloudflare Worker.
//!
//! It serves the Model Context Protocol over stateless Streamable HTTP at `POST /mcp/cluster`
//! and turns each tool call into one (rarely a few) calls to the cluster's REST API v2, with
//! the tools, parameters and results of Camunda's own in-cluster MCP gateway.
//!
//! # Layout
//!
//! Layers, bottom to top. A module may use only modules of the layers below its own;
//! `tests/layers.rs` checks this rule and that no file reaches back to itself.
//!
//! 1. Leaves: [`text`] (what text written by others may not show as it is; HTML escaping;
//!    secrets), [`json`] (the cluster's JSON rewritten in one streaming pass), [`routes`]
//!    (paths, server names, which cluster a path reaches, and the cluster's API version),
//!    [`view`] (the process view, an MCP App document put together at compile time).
//! 2. [`http`] (requests, responses, URL rules) and [`settings`] (every Worker var as data:
//!    default, range or choices, secret or not, one line of documentation).
//! 3. [`ports`] (what the core asks of the outside world: fetch, KV, Durable Objects, sealing,
//!    signatures, rate limits) and [`mcp`] (the protocol: JSON-RPC messages, the two eras,
//!    Streamable HTTP rules).
//! 4. [`flight`] (one fetch shared by the requests that wait for it) and [`confirm`] (a person
//!    confirms covered tool calls first, MCP 2026-07-28 multi round-trip requests).
//! 5. [`auth`]: admits the caller before anything goes upstream (none / Basic / OIDC JWTs
//!    against a cached JWKS / the gateway's own sign-in, [`auth::oauth`], each grant owned by a
//!    Durable Object).
//! 6. [`camunda`]: the tool catalogue as data, argument shapes, the REST calls, results, and
//!    whose credentials reach the cluster.
//! 7. [`policy`]: governance: which tools a route offers, which a caller may call, how often;
//!    and [`egress`]: where an admitted call's cluster work runs, here or handed over to an
//!    egress Worker next to the cluster (and that egress's side of it).
//! 8. [`server`]: the MCP methods (`initialize`, `tools/list`, `tools/call`, …) of both servers.
//! 9. [`config`]: reads the settings once per isolate into each layer's own settings types.
//! 10. [`landing`]: the page for people at `/`.
//! 11. [`app`]: the whole gateway as one function of a request: routing, the MCP endpoint as
//!     stages, the access and audit records.
//! 12. `edge` (wasm32 only): the one module that touches `worker`, with its JavaScript half
//!     `src/edge.js`: each request becomes an exchange, [`app::App::serve`]'s future polled
//!     step by step from JS.
//!
//! Everything but `edge` is plain Rust, tested natively with `cargo test`.

pub mod app;
pub mod auth;
pub mod camunda;
pub mod config;
pub mod confirm;
pub mod egress;
pub mod flight;
pub mod http;
pub mod json;
pub mod landing;
pub mod mcp;
pub mod policy;
pub mod ports;
pub mod routes;
pub mod server;
pub mod settings;
pub mod text;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod edge;
