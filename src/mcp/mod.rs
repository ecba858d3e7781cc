//! The Model Context Protocol side: JSON-RPC messages, Streamable HTTP rules, MCP methods.

pub mod era;
pub mod jsonrpc;
pub mod transport;
