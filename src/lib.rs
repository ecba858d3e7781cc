//! An MCP gateway for Camunda 8 Orchestration Clusters that runs as a Cloudflare Worker.
//!
//! It serves the Model Context Protocol over stateless Streamable HTTP at `POST /mcp/cluster`
//! and turns each tool call into one (rarely a few) calls to the cluster's REST API v2, with
//! the tools, parameters and results of Camunda's own in-cluster MCP gateway.
//!
//! # Layout
//!
//! A request flows top to bottom:
//!
//! - [`edge`] (wasm32 only): the one module that touches `worker`, with its JavaScript half
//!   `src/edge.js`. Each request becomes an exchange: [`app::App::serve`]'s future, polled step
//!   by step from JS, which reads the body, does the upstream `fetch` and builds the `Response`
//!   when a step asks for it.
//! - [`app`]: routes `/mcp/cluster`, `/healthz`, the page for people ([`landing`]) and 404s;
//!   writes the access and audit log lines.
//! - [`mcp::transport`]: HTTP-level rules (405, 406, 413, 415, Origin, protocol version).
//! - [`auth`]: admits the caller (none / Basic / OIDC bearer JWTs verified against a cached
//!   JWKS / the gateway's own tokens in oauth mode) before anything goes upstream; serves the
//!   RFC 9728 metadata.
//! - [`oauth`] (oauth mode): the MCP clients' authorization server — consent, the person's
//!   login at the organisation's IdP, codes, rotating refresh tokens; each grant decided by its
//!   own Durable Object ([`oauth::grant`]), registrations in KV.
//! - [`mcp::jsonrpc`]: parses one JSON-RPC message, writes responses and error codes.
//! - [`mcp::server`]: the MCP methods (`initialize`, `tools/list`, `tools/call`, …).
//! - [`camunda::tools`]: the tool catalogue as data; [`camunda::schema`]: parameter shapes that
//!   render the JSON Schema and check and map arguments; [`camunda::client`]: the REST calls;
//!   [`camunda::compact`]: the cluster's JSON rewritten in one pass; [`camunda::results`]: REST
//!   answers and failures as MCP tool results; [`camunda::credentials`]: which token the
//!   cluster is called with (the caller's, the gateway's machine token, the person's).
//! - [`flight`]: one fetch shared by the requests that wait for it (the machine token).
//! - [`policy`]: governance: which tools a route offers, which a caller may call, how often.
//! - [`confirm`]: a person confirms covered tool calls first (MCP 2026-07-28 multi round-trip
//!   requests, with a signed `requestState`).
//! - [`config`]: settings from Worker vars, parsed once per isolate.
//! - [`text`]: what text written by others may not show as it is (hidden characters).
//!
//! Everything but [`edge`] is plain Rust, tested natively with `cargo test`.

pub mod app;
pub mod auth;
pub mod camunda;
pub mod config;
pub mod confirm;
pub mod flight;
pub mod http;
pub mod landing;
pub mod mcp;
pub mod oauth;
pub mod policy;
pub mod text;

#[cfg(target_arch = "wasm32")]
mod edge;
