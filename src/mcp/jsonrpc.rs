//! JSON-RPC 2.0 as MCP uses it: one message per HTTP body, ids that are strings or integers.
//!
//! The envelope is parsed with its `params` left as raw JSON: each MCP method reads only the
//! members it needs, so a large or hostile body is never turned into a tree here. Every
//! JSON-RPC error the gateway sends is written by [`error_body`], and every success by
//! [`success_body`]: the wire format lives in this file only.

use std::fmt;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use thiserror::Error;

/// A JSON-RPC error code. The named ones are those of JSON-RPC 2.0 and the MCP revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    pub const PARSE_ERROR: Self = Self(-32700);
    pub const INVALID_REQUEST: Self = Self(-32600);
    pub const METHOD_NOT_FOUND: Self = Self(-32601);
    pub const INVALID_PARAMS: Self = Self(-32602);
    pub const INTERNAL_ERROR: Self = Self(-32603);
    /// A refusal at the HTTP level (Accept, Content-Type, size, Origin), as MCP servers answer
    /// them before any message is read. Legacy range: modern clients read it as "fall back".
    pub const TRANSPORT: Self = Self(-32000);
    /// Credentials were refused (with HTTP 401 or 403 and a `WWW-Authenticate` challenge).
    pub const UNAUTHORIZED: Self = Self(-32001);
    /// MCP 2026-07-28: an `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header is missing
    /// or disagrees with the body.
    pub const HEADER_MISMATCH: Self = Self(-32020);
    /// MCP 2026-07-28: the requested protocol version is not served; `data` lists those that are.
    pub const UNSUPPORTED_VERSION: Self = Self(-32022);
    /// Our own, in the implementation-defined range: the caller is over a rate limit (sent
    /// with HTTP 429 and `Retry-After`).
    pub const RATE_LIMITED: Self = Self(-32029);
}

/// A protocol fault, answered as a JSON-RPC error object (never for a failed tool: that is a
/// tool result with `isError`).
#[derive(Debug, Clone, PartialEq, Error, Serialize)]
#[error("{message} ({})", code.0)]
pub struct RpcError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    pub fn method_not_found(method: &str) -> Self {
        let shown: String = method.chars().take(100).collect();
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {shown}"),
        )
    }
}

/// A request id: a string or an integer, kept as the client wrote it so that it is echoed
/// exactly (an integer above 2^53 stays exact).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Id(Box<RawValue>);

impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Id {
    fn from_raw(raw: &RawValue) -> Option<Id> {
        let text = raw.get();
        let valid = match text.as_bytes().first() {
            Some(b'"') => true,
            Some(b'-' | b'0'..=b'9') => text.bytes().skip(1).all(|b| b.is_ascii_digit()),
            _ => false,
        };
        valid.then(|| Id(raw.to_owned()))
    }

    /// The id as JSON text.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

/// One inbound message, classified. `params` borrows from the request body.
#[derive(Debug)]
pub enum Incoming<'a> {
    Request {
        id: Id,
        method: String,
        /// `params` as sent (an object), or `None` when absent.
        params: Option<&'a RawValue>,
    },
    Notification {
        method: String,
    },
    Response,
}

impl Incoming<'_> {
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
    pub id: Option<Id>,
    pub error: RpcError,
}

/// The envelope's members as raw JSON, each checked below. serde refuses a member given twice
/// (a message that means one thing to us and another to a proxy in front is refused).
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a RawValue>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

/// `Some` for a member that is present, even when it is `null` (which `Option` alone would
/// read as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

pub fn parse(body: &[u8]) -> Result<Incoming<'_>, Rejected> {
    let reject = |id: Option<Id>, error: RpcError| Rejected { id, error };
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => {}
        Some(b'[') => {
            return Err(reject(
                None,
                RpcError::invalid_request(
                    "Invalid Request: batches (JSON arrays) are not supported; \
                     MCP removed them in 2025-06-18. Send one JSON-RPC message per POST.",
                ),
            ))
        }
        _ => {
            // Not an object: say whether it is JSON at all.
            let parsed = serde_json::from_slice::<IgnoredAny>(body);
            return Err(match parsed {
                Err(e) => reject(None, parse_error(&e)),
                Ok(_) => reject(
                    None,
                    RpcError::invalid_request("Invalid Request: the body must be a JSON object"),
                ),
            });
        }
    }
    if let Some(depth) = too_deep(body) {
        return Err(reject(
            None,
            RpcError::invalid_request(format!(
                "Invalid Request: JSON nested deeper than {MAX_DEPTH} levels (at byte {depth})"
            )),
        ));
    }
    let env: Envelope = serde_json::from_slice(body).map_err(|e| {
        let error = if e.is_data() {
            // Valid JSON of the wrong form: e.g. a member given twice.
            RpcError::invalid_request(format!("Invalid Request: {}", without_position(&e)))
        } else {
            parse_error(&e)
        };
        reject(None, error)
    })?;
    // The id first, so that every later error can echo it.
    let id = env.id.map(|raw| (raw, Id::from_raw(raw)));
    let echo = id.as_ref().and_then(|(_, id)| id.clone());
    if env.jsonrpc.map(RawValue::get) != Some(r#""2.0""#) {
        return Err(reject(
            echo,
            RpcError::invalid_request("Invalid Request: \"jsonrpc\" must be \"2.0\""),
        ));
    }
    let Some(method) = env.method else {
        if id.is_some() && (env.result.is_some() || env.error.is_some()) {
            return Ok(Incoming::Response);
        }
        return Err(reject(
            echo,
            RpcError::invalid_request(
                "Invalid Request: expected a request, a notification or a response",
            ),
        ));
    };
    let Ok(method) = serde_json::from_str::<String>(method.get()) else {
        return Err(reject(
            echo,
            RpcError::invalid_request("Invalid Request: \"method\" must be a string"),
        ));
    };
    let params = match env.params {
        Some(p) if !p.get().starts_with('{') => {
            return Err(reject(
                echo,
                RpcError::invalid_request("Invalid Request: \"params\" must be an object"),
            ))
        }
        p => p,
    };
    match id {
        None => Ok(Incoming::Notification { method }),
        Some((_, Some(id))) => Ok(Incoming::Request { id, method, params }),
        Some((raw, None)) if raw.get() == "null" => Err(reject(
            None,
            RpcError::invalid_request("Invalid Request: \"id\" must not be null"),
        )),
        Some(_) => Err(reject(
            None,
            RpcError::invalid_request("Invalid Request: \"id\" must be a string or an integer"),
        )),
    }
}

/// Largest body read only to echo the id of a refused request.
pub const MAX_PEEK_BYTES: usize = 64 * 1024;

/// The id of a request that is refused before it is parsed (e.g. for its Accept header), so
/// the error can echo it: only for small bodies, since this is work done for a request that
/// will not be served.
pub fn id_of(body: &[u8]) -> Option<Id> {
    if body.len() > MAX_PEEK_BYTES {
        return None;
    }
    match parse(body) {
        Ok(Incoming::Request { id, .. }) => Some(id),
        Ok(_) => None,
        Err(rejected) => rejected.id,
    }
}

/// The JSON in `raw` as a tree, refusing a member given twice in any object, at any depth:
/// `serde_json::Value` keeps the last one silently, so `{"state":"ACTIVE","state":"x"}` would
/// mean one thing to a policy layer in front of us and another to us.
pub fn strict_value(raw: &str) -> Result<Value, String> {
    use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};

    struct Strict;
    impl<'de> DeserializeSeed<'de> for Strict {
        type Value = Value;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Strict {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(Strict)? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut members = serde_json::Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if members.contains_key(&key) {
                    let shown: String = key.chars().take(64).collect();
                    return Err(A::Error::custom(format!("duplicate member {shown:?}")));
                }
                let value = map.next_value_seed(Strict)?;
                members.insert(key, value);
            }
            Ok(Value::Object(members))
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    let value = Strict.deserialize(&mut de).map_err(|e| {
        let text = e.to_string();
        text.rfind(" at line ")
            .map_or(text.clone(), |i| text[..i].to_owned())
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The members of the JSON object in `raw`, each left as raw JSON, refusing a member given
/// twice; `Err` names the problem.
pub fn strict_members(raw: &str) -> Result<Vec<(String, &RawValue)>, String> {
    use serde::de::{Error, MapAccess, Visitor};

    struct Members;
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members: Vec<(String, &'de RawValue)> = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                if members.iter().any(|(k, _)| *k == key) {
                    let shown: String = key.chars().take(64).collect();
                    return Err(A::Error::custom(format!("duplicate member {shown:?}")));
                }
                members.push((key, map.next_value()?));
            }
            Ok(members)
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    let members =
        serde::Deserializer::deserialize_map(&mut de, Members).map_err(|e| without_position(&e))?;
    de.end().map_err(|e| without_position(&e))?;
    Ok(members)
}

/// Checks that the JSON in `raw` has no member given twice at any depth, building nothing but
/// the key set of each object while it is read: for large values passed through as they came
/// (process variables), where a tree would cost many times their size.
pub fn check_no_repeated_members(raw: &str) -> Result<(), String> {
    use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};
    use std::collections::HashSet;

    struct Check;
    impl<'de> DeserializeSeed<'de> for Check {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Check {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Check)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut keys = HashSet::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if !keys.insert(key.clone()) {
                    let shown: String = key.chars().take(64).collect();
                    return Err(A::Error::custom(format!("duplicate member {shown:?}")));
                }
                map.next_value_seed(Check)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    Check.deserialize(&mut de).map_err(|e| without_position(&e))
}

/// Deepest nesting of arrays and objects a message may have. MCP messages and Camunda
/// arguments need a dozen levels; the limit keeps a hostile `[[[[…` from costing memory in
/// proportion to its depth while it is skipped (and stays below serde_json's own 128).
pub const MAX_DEPTH: usize = 100;

/// The byte offset where `body` first nests deeper than [`MAX_DEPTH`], if it does: one scan,
/// brackets inside strings ignored.
fn too_deep(body: &[u8]) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in body.iter().enumerate() {
        match (in_string, b) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') => in_string = false,
            (true, _) => {}
            (false, b'"') => in_string = true,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn parse_error(e: &serde_json::Error) -> RpcError {
    RpcError::new(ErrorCode::PARSE_ERROR, format!("Parse error: {e}"))
}

/// serde's message without " at line 1 column 42", which means nothing to a client.
pub fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// `{"jsonrpc":"2.0","id":…,"result":…}` around an already serialised result.
pub fn success_body(id: &Id, result_json: &str) -> String {
    let id = id.as_json();
    let mut out = String::with_capacity(result_json.len() + id.len() + 32);
    out.push_str(r#"{"jsonrpc":"2.0","id":"#);
    out.push_str(id);
    out.push_str(r#","result":"#);
    out.push_str(result_json);
    out.push('}');
    out
}

/// A JSON-RPC error response; `id` is `null` when it could not be read.
pub fn error_body(id: Option<&Id>, error: &RpcError) -> String {
    #[derive(Serialize)]
    struct Failure<'a> {
        jsonrpc: &'static str,
        id: Option<&'a Id>,
        error: &'a RpcError,
    }
    let failure = Failure {
        jsonrpc: "2.0",
        id,
        error,
    };
    // Serialising plain strings, numbers and a `Value` into a String cannot fail.
    serde_json::to_string(&failure).unwrap_or_default()
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
        let Incoming::Request { id, method, params } =
            parse(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!((id.as_json(), method.as_str()), ("1", "ping"));
        assert!(params.is_none());
        let Incoming::Request { params, .. } =
            parse(br#"{"jsonrpc":"2.0","id":"x","method":"m","params":{"a":[1]}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(params.unwrap().get(), r#"{"a":[1]}"#);
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Incoming::Notification { method } if method == "notifications/initialized"
        ));
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap(),
            Incoming::Response
        ));
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","id":"a","error":{"code":1,"message":"x"}}"#).unwrap(),
            Incoming::Response
        ));
    }

    #[test]
    fn keeps_ids_exactly_as_sent() {
        for (body, echoed) in [
            (
                r#"{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}"#,
                r#"{"jsonrpc":"2.0","id":9007199254740993,"result":{}}"#,
            ),
            (
                r#"{"jsonrpc":"2.0","id":"a\"b","method":"ping"}"#,
                r#"{"jsonrpc":"2.0","id":"a\"b","result":{}}"#,
            ),
        ] {
            let Incoming::Request { id, .. } = parse(body.as_bytes()).unwrap() else {
                panic!()
            };
            assert_eq!(success_body(&id, "{}"), echoed);
        }
    }

    #[test]
    fn rejects_bad_shapes_with_specific_errors() {
        let cases = [
            ("{", ErrorCode::PARSE_ERROR, "Parse error"),
            ("", ErrorCode::PARSE_ERROR, "Parse error"),
            ("nul", ErrorCode::PARSE_ERROR, "Parse error"),
            ("[]", ErrorCode::INVALID_REQUEST, "batches"),
            (
                r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                ErrorCode::INVALID_REQUEST,
                "batches",
            ),
            ("42", ErrorCode::INVALID_REQUEST, "JSON object"),
            (
                r#"{"id":1,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                "\"jsonrpc\"",
            ),
            (
                r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                "\"jsonrpc\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                "must not be null",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                "string or an integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                "string or an integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
                ErrorCode::INVALID_REQUEST,
                "\"method\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
                ErrorCode::INVALID_REQUEST,
                "\"params\"",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1}"#,
                ErrorCode::INVALID_REQUEST,
                "expected a request",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}"#,
                ErrorCode::INVALID_REQUEST,
                "duplicate field `method`",
            ),
            (
                &format!(
                    r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"a":{}"#,
                    "[".repeat(200)
                ),
                ErrorCode::INVALID_REQUEST,
                "nested deeper than 100",
            ),
        ];
        // Brackets in strings do not count; 100 levels are fine.
        let ok = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"s":"[[[[\"{{{{","a":{}{}}}}}"#,
            "[".repeat(97),
            "]".repeat(97)
        );
        assert!(parse(ok.as_bytes()).is_ok(), "{ok}");
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
            err_of(r#"{"jsonrpc":"2.0","id":"x","method":3}"#)
                .id
                .map(|i| i.to_string()),
            Some("\"x\"".into())
        );
    }

    #[test]
    fn strict_values_refuse_repeated_members_at_any_depth() {
        assert_eq!(
            strict_value(r#"{"a":[1,{"b":null}],"c":9007199254740993}"#).unwrap(),
            json!({"a":[1,{"b":null}],"c":9007199254740993u64})
        );
        for dup in [
            r#"{"a":1,"a":2}"#,
            r#"{"f":{"state":"A","state":"B"}}"#,
            r#"[{"x":1,"x":1}]"#,
        ] {
            assert!(
                strict_value(dup).unwrap_err().contains("duplicate member"),
                "{dup}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(strict_value(&deep).unwrap_err().contains("recursion limit"));
        for dup in [
            r#"{"f":{"state":"A","state":"B"}}"#,
            r#"[{"x":1,"\u0078":1}]"#,
        ] {
            let err = check_no_repeated_members(dup).unwrap_err();
            assert!(err.contains("duplicate member"), "{dup}: {err}");
        }
        assert_eq!(
            check_no_repeated_members(r#"{"a":{"a":[{"a":1}]},"b":2}"#),
            Ok(())
        );
        assert!(check_no_repeated_members(&deep)
            .unwrap_err()
            .contains("recursion limit"));
        let members = strict_members(r#"{"a":[1,2],"b":{"c":3}}"#).unwrap();
        assert_eq!(members[1].0, "b");
        assert_eq!(members[1].1.get(), r#"{"c":3}"#);
        assert!(strict_members(r#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate"));
    }

    #[test]
    fn error_body_echoes_id_or_null_and_carries_data() {
        let e = RpcError::method_not_found("x");
        let id = Id::from_raw(serde_json::from_str::<&RawValue>("7").unwrap()).unwrap();
        let v: Value = serde_json::from_str(&error_body(Some(&id), &e)).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found: x"}})
        );
        let e = RpcError::new(ErrorCode::UNSUPPORTED_VERSION, "no").with_data(json!({"a": 1}));
        let v: Value = serde_json::from_str(&error_body(None, &e)).unwrap();
        assert_eq!(v["id"], Value::Null);
        assert_eq!(v["error"]["data"], json!({"a": 1}));
    }
}
