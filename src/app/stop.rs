//! Why an MCP request stopped before the cluster answered it. Each stage returns its refusal as
//! a [`Stop`]; this is the one place a refusal becomes an HTTP answer.

use crate::auth::{AuthError, Challenge};
use crate::http::Response;
use crate::mcp::jsonrpc::{self, Id, RpcError};
use crate::mcp::transport;

/// A stage's refusal: what the request gets instead of going on.
#[derive(Debug)]
pub(super) enum Stop {
    /// An HTTP-level refusal of the request or its body; the id when the body was read for it.
    Transport(transport::Refusal, Option<Id>),
    /// Credentials refused (401), or a scope every token needs missing (403); the id once the
    /// body was read.
    Auth(AuthError, Option<Id>),
    /// The tool needs a scope the caller lacks: the 403 step-up challenge adds it to the scopes
    /// asked for.
    StepUp(AuthError, Id),
    /// A notification or a response: accepted, nothing to answer (202).
    Accepted,
    /// A JSON-RPC error with its HTTP status, and why a `tools/call` was refused, if it was.
    Rpc {
        status: u16,
        id: Option<Id>,
        error: Box<RpcError>,
        refused: Option<&'static str>,
    },
    /// The caller's rate limit is spent: 429 with `Retry-After`.
    Limited {
        id: Id,
        error: Box<RpcError>,
        retry_after_s: u32,
    },
    /// A result in place of the call (the person is asked first, or declined).
    Answer {
        id: Id,
        result: String,
        refused: &'static str,
    },
}

impl Stop {
    /// A JSON-RPC error answered with `status`.
    pub(super) fn rpc(status: u16, id: Option<&Id>, error: RpcError) -> Self {
        Stop::Rpc {
            status,
            id: id.cloned(),
            error: Box::new(error),
            refused: None,
        }
    }

    /// The same, for a `tools/call` refused for `reason` (the audit record's outcome).
    pub(super) fn refused_call(id: &Id, error: RpcError, reason: &'static str) -> Self {
        Stop::Rpc {
            status: 200,
            id: Some(id.clone()),
            error: Box::new(error),
            refused: Some(reason),
        }
    }

    /// Why a `tools/call` that stopped here was refused, for the audit record.
    pub(super) fn refused(&self) -> Option<&'static str> {
        match self {
            Stop::StepUp(..) => Some("insufficient_scope"),
            Stop::Limited { .. } => Some("rate_limited"),
            Stop::Answer { refused, .. } => Some(refused),
            Stop::Rpc { refused, .. } => *refused,
            Stop::Transport(..) | Stop::Auth(..) | Stop::Accepted => None,
        }
    }

    /// The answer; `challenge` points a refused client at where to get credentials.
    pub(super) fn response<'c>(self, challenge: impl FnOnce() -> Challenge<'c>) -> Response {
        match self {
            Stop::Transport(refusal, id) => refusal.response(id.as_ref()),
            Stop::Auth(err, id) => err.response(&challenge(), id.as_ref()),
            Stop::StepUp(err, id) => {
                let mut challenge = challenge();
                if let AuthError::InsufficientScope { scope, .. } = &err {
                    challenge.scopes.push(scope.clone());
                }
                err.response(&challenge, Some(&id))
            }
            Stop::Accepted => Response::new(202),
            Stop::Rpc {
                status, id, error, ..
            } => Response::json(status, jsonrpc::error_body(id.as_ref(), &error)),
            Stop::Limited {
                id,
                error,
                retry_after_s,
            } => Response::json(429, jsonrpc::error_body(Some(&id), &error))
                .with_header("retry-after", retry_after_s.to_string()),
            Stop::Answer { id, result, .. } => {
                Response::json(200, jsonrpc::success_body(&id, &result))
            }
        }
    }
}
