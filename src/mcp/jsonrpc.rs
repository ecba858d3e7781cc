//! JSON-RPC 2.0 as MCP uses it: one message per HTTP body, ids that are strings or integers.

use serde_json::{Map, Value};
use thiserror::Error;

/// Error codes of JSON-RPC 2.0 (the ones MCP uses).
pub mod code {
    pub const PARSE_ERROR: i32 = -32700;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL_ERROR: i32 = -32603;
}

/// A protocol fault, answered as a JSON-RPC error object (never for a failed tool: that is a
/// tool result with `isError`).
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message} ({code})")]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_REQUEST, message)
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }
}

/// One inbound message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        /// A string or an integer, kept as JSON to echo it exactly.
        id: Value,
        method: String,
        /// `params` if present; always an object.
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    Response,
}

impl Incoming {
    /// The method a request or notification names.
    pub fn method(&self) -> Option<&str> {
        match self {
            Incoming::Request { method, .. } | Incoming::Notification { method } => Some(method),
            Incoming::Response => None,
        }
    }
}

/// A message that could not be accepted, with the id to echo if one could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub id: Option<Value>,
    pub error: RpcError,
}

pub fn parse(body: &[u8]) -> Result<Incoming, Rejected> {
    let reject = |id: Option<Value>, error: RpcError| Rejected { id, error };
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        reject(
            None,
            RpcError::new(code::PARSE_ERROR, format!("Parse error: {e}")),
        )
    })?;
    let mut obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return Err(reject(
                None,
                RpcError::invalid_request(
                    "Invalid Request: batches (JSON arrays) are not supported; \
                     MCP removed them in 2025-06-18. Send one JSON-RPC message per POST.",
                ),
            ))
        }
        _ => {
            return Err(reject(
                None,
                RpcError::invalid_request("Invalid Request: the body must be a JSON object"),
            ))
        }
    };
    // Read the id first so that every later error can echo it.
    let id = obj.remove("id");
    let echo = id.clone().filter(valid_id);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(reject(
            echo,
            RpcError::invalid_request("Invalid Request: \"jsonrpc\" must be \"2.0\""),
        ));
    }
    match obj.remove("method") {
        Some(Value::String(method)) => {
            let params = match obj.remove("params") {
                None => Map::new(),
                Some(Value::Object(p)) => p,
                Some(_) => {
                    return Err(reject(
                        echo,
                        RpcError::invalid_request("Invalid Request: \"params\" must be an object"),
                    ))
                }
            };
            match id {
                None => Ok(Incoming::Notification { method }),
                Some(id) if valid_id(&id) => Ok(Incoming::Request { id, method, params }),
                Some(Value::Null) => Err(reject(
                    None,
                    RpcError::invalid_request("Invalid Request: \"id\" must not be null"),
                )),
                Some(_) => Err(reject(
                    None,
                    RpcError::invalid_request(
                        "Invalid Request: \"id\" must be a string or an integer",
                    ),
                )),
            }
        }
        Some(_) => Err(reject(
            echo,
            RpcError::invalid_request("Invalid Request: \"method\" must be a string"),
        )),
        None if id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) => {
            Ok(Incoming::Response)
        }
        None => Err(reject(
            echo,
            RpcError::invalid_request(
                "Invalid Request: expected a request, a notification or a response",
            ),
        )),
    }
}

fn valid_id(id: &Value) -> bool {
    match id {
        Value::String(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// `{"jsonrpc":"2.0","id":…,"result":…}` around an already serialised result.
pub fn success(id: &Value, result_json: &str) -> String {
    let id = id.to_string();
    let mut out = String::with_capacity(result_json.len() + id.len() + 32);
    out.push_str(r#"{"jsonrpc":"2.0","id":"#);
    out.push_str(&id);
    out.push_str(r#","result":"#);
    out.push_str(result_json);
    out.push('}');
    out
}

/// A JSON-RPC error response; `id` is `null` when it could not be read.
pub fn failure(id: Option<&Value>, error: &RpcError) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(&Value::Null),
        "error": { "code": error.code, "message": error.message },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err_of(body: &str) -> Rejected {
        parse(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn classifies_messages() {
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap(),
            Incoming::Request {
                id: json!(1),
                method: "ping".into(),
                params: Map::new()
            }
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Incoming::Notification {
                method: "notifications/initialized".into()
            }
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap(),
            Incoming::Response
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":"a","error":{"code":1,"message":"x"}}"#).unwrap(),
            Incoming::Response
        );
    }

    #[test]
    fn keeps_large_integer_ids_exact() {
        let Incoming::Request { id, .. } =
            parse(br#"{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            success(&id, "{}"),
            r#"{"jsonrpc":"2.0","id":9007199254740993,"result":{}}"#
        );
    }

    #[test]
    fn rejects_bad_shapes_with_specific_errors() {
        let cases = [
            ("{", code::PARSE_ERROR, "Parse error"),
            ("", code::PARSE_ERROR, "Parse error"),
            ("[]", code::INVALID_REQUEST, "batches"),
            (
                r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                code::INVALID_REQUEST,
                "batches",
            ),
            ("42", code::INVALID_REQUEST, "JSON object"),
            (
                r#"{"id":1,"method":"ping"}"#,
                code::INVALID_REQUEST,
                "\"jsonrpc\"",
            ),
            (
                r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                code::INVALID_REQUEST,
                "\"jsonrpc\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                code::INVALID_REQUEST,
                "must not be null",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                code::INVALID_REQUEST,
                "string or an integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
                code::INVALID_REQUEST,
                "string or an integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
                code::INVALID_REQUEST,
                "\"method\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
                code::INVALID_REQUEST,
                "\"params\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1}"#,
                code::INVALID_REQUEST,
                "expected a request",
            ),
        ];
        for (body, code, text) in cases {
            let r = err_of(body);
            assert_eq!(r.error.code, code, "{body}");
            assert!(
                r.error.message.contains(text),
                "{body}: {}",
                r.error.message
            );
        }
        // The id is echoed whenever it could be read.
        assert_eq!(
            err_of(r#"{"jsonrpc":"2.0","id":"x","method":3}"#).id,
            Some(json!("x"))
        );
    }

    #[test]
    fn failure_echoes_id_or_null() {
        let e = RpcError::new(code::METHOD_NOT_FOUND, "Method not found: x");
        let v: Value = serde_json::from_str(&failure(Some(&json!(7)), &e)).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found: x"}})
        );
        let v: Value = serde_json::from_str(&failure(None, &e)).unwrap();
        assert_eq!(v["id"], Value::Null);
    }
}
