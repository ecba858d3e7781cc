//! REST answers → MCP `CallToolResult` JSON, and every tool failure → an `isError` result.
//! This is the one place where a tool error gets its shape.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::http::{FetchError, Method, UpstreamResponse};
use crate::json::{compact, drop_nulls, Compact, JsonError};

/// One REST call: what a ProblemDetail's `instance` and an error message name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: Method,
    /// Below the cluster's REST base, starting with `/v2`.
    pub path: String,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Call {
    pub(crate) fn new(method: Method, path_below_v2: &str) -> Self {
        Call {
            method,
            path: format!("/v2{path_below_v2}"),
        }
    }
}

/// An RFC 9457 problem: the cluster's own (its extra members kept), or one the gateway writes
/// for an upstream fault. `null` members are dropped, as everywhere in results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemDetail {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProblemDetail {
    /// One the gateway writes itself; `instance` is the REST path of `call`.
    pub fn new(status: u16, title: &str, detail: impl Into<String>, call: &Call) -> Self {
        ProblemDetail {
            kind: Some("about:blank".to_owned()),
            title: Some(title.to_owned()),
            status: Some(status),
            detail: Some(detail.into()),
            instance: Some(call.path.clone()),
            extra: Map::new(),
        }
    }

    /// Camunda's answer when an incident's job has no retries left to resolve it with.
    pub fn is_no_retries_left(&self) -> bool {
        self.title.as_deref() == Some("INVALID_STATE")
            && self
                .detail
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("no retries left"))
    }
}

/// Why a tool call failed. Every variant becomes a tool result with `isError: true`, never a
/// JSON-RPC error: the model can read it and try again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// Arguments the model can fix; text only, as Camunda answers them.
    #[error("{0}")]
    InvalidArgument(String),
    /// The cluster's ProblemDetail, or one we built for an upstream fault (boxed: results
    /// travel by value, and most of them are not errors).
    #[error("{}", .0.detail.as_deref().unwrap_or("problem"))]
    Problem(Box<ProblemDetail>),
}

impl ToolError {
    /// A ProblemDetail the gateway writes itself.
    pub fn problem(status: u16, title: &str, detail: impl Into<String>, call: &Call) -> Self {
        ToolError::Problem(Box::new(ProblemDetail::new(status, title, detail, call)))
    }

    /// The gateway's own 502: the cluster answered, but not with anything usable.
    pub fn bad_gateway(detail: impl Into<String>, call: &Call) -> Self {
        Self::problem(502, "Bad Gateway", detail, call)
    }

    /// Turns a transport failure into a 502/504 ProblemDetail that says what happened.
    /// `address` is the cluster's REST base as configured (never with credentials in it).
    pub fn from_fetch(err: &FetchError, address: &str, call: &Call) -> Self {
        match err {
            FetchError::Unreachable(why) => Self::bad_gateway(format!("Could not reach the Camunda REST API at {address} ({why}). Check CAMUNDA_REST_ADDRESS and that the cluster is running."),
                call,
            ),
            FetchError::Timeout(ms) => Self::problem(
                504,
                "Gateway Timeout",
                format!("The Camunda REST API at {address} did not answer {call} within {ms} ms (CAMUNDA_REQUEST_TIMEOUT_MS)."),
                call,
            ),
            FetchError::Broken(why) => Self::bad_gateway(format!("The connection to the Camunda REST API at {address} broke while reading the answer to {call} ({why}). For a write, check whether it took effect before calling again."),
                call,
            ),
            FetchError::TooLarge(limit) => Self::bad_gateway(format!("The answer to {call} was larger than {limit} bytes (CAMUNDA_MAX_RESPONSE_BYTES). Narrow the search with a filter or a smaller page.limit."),
                call,
            ),
        }
    }

    /// The `CallToolResult` JSON.
    pub fn to_result(&self) -> String {
        match self {
            ToolError::InvalidArgument(text) => text_result(text, true),
            ToolError::Problem(p) => {
                // Serialising strings, numbers and a map cannot fail.
                structured_result(&serde_json::to_string(p).unwrap_or_default(), true)
            }
        }
    }
}

/// `{"content":[{"type":"text","text":…}],"isError":…}`.
pub fn text_result(text: &str, is_error: bool) -> String {
    json!({"content": [{"type": "text", "text": text}], "isError": is_error}).to_string()
}

/// A summary for people and models as text (cut at `max_chars`, saying so), and what it sums up
/// as `structuredContent` (JSON, already written).
pub fn summary_result(text: &str, structured_json: &str, max_chars: usize) -> String {
    let quoted = escape(&cut(text, max_chars));
    let text = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
    structured_parts(structured_json, text.unwrap_or_default(), None, false)
}

/// A JSON object as `structuredContent` and the same JSON as text, written once each.
pub fn structured_result(object_json: &str, is_error: bool) -> String {
    structured_with_note(object_json, None, is_error)
}

/// As [`structured_result`], with a second text block (e.g. what a cap cut).
fn structured_with_note(object_json: &str, note: Option<&str>, is_error: bool) -> String {
    let quoted = escape(object_json);
    let text = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
    structured_parts(object_json, text.unwrap_or_default(), note, is_error)
}

/// As [`structured_with_note`], with the text copy already escaped (see `compact`).
fn structured_parts(object_json: &str, text: &str, note: Option<&str>, is_error: bool) -> String {
    let mut out = String::with_capacity(object_json.len() + text.len() + 120);
    out.push_str(r#"{"content":[{"type":"text","text":""#);
    out.push_str(text);
    out.push('"');
    if let Some(note) = note {
        out.push_str(r#"},{"type":"text","text":"#);
        out.push_str(&escape(note));
    }
    out.push_str(r#"}],"structuredContent":"#);
    out.push_str(object_json);
    out.push_str(r#","isError":"#);
    out.push_str(if is_error { "true" } else { "false" });
    out.push('}');
    out
}

/// `s` as a JSON string, quotes included (serialising a str cannot fail).
fn escape(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// A successful JSON answer to `call` → result JSON. Results longer
/// than `max_chars` are capped (see [`cap`]).
pub fn json_success(
    resp: &UpstreamResponse,
    call: &Call,
    max_chars: usize,
) -> Result<String, ToolError> {
    let whole;
    let compact = match &resp.compacted {
        Some(compacted) => compacted.as_ref(),
        None => {
            whole = compact(&resp.body, max_chars);
            whole.as_ref()
        }
    };
    let compact = compact.map_err(|e| {
        let detail = match e {
            JsonError::Empty => format!(
                "The cluster answered {call} with HTTP {} and no body, where JSON was expected.",
                resp.status
            ),
            JsonError::Syntax { .. } => format!(
                "The cluster answered {call} with HTTP {} but the body is not valid JSON ({e}; content type {}).",
                resp.status,
                resp.content_type.as_deref().unwrap_or("none"),
            ),
        };
        ToolError::bad_gateway(detail, call)
    })?;
    Ok(match compact.json.as_bytes().first() {
        Some(b'{') if compact.full_len > max_chars => cap(compact, max_chars),
        Some(b'{') => structured_parts(&compact.json, &compact.text, None, false),
        // structuredContent must be an object; anything else goes as text only.
        _ => long_text(&compact.json, max_chars),
    })
}

/// A result too long for a model's context, cut to fit while `structuredContent` stays valid
/// JSON: a search keeps as many whole items as fit; any other object has its longest strings
/// shortened. A second text block says what was cut and how to get the rest.
fn cap(compact: &Compact, max_chars: usize) -> String {
    // Room for the note and the escaping of the text copy is not counted: the cap bounds the
    // JSON, which is what fills a model's context.
    let full_len = compact.full_len;
    if let Some(items) = &compact.items {
        let (json, text, fit) = items.cut(compact, max_chars);
        let note = format!(
            "Result capped at {max_chars} characters (MCP_MAX_RESULT_CHARS): showing the first \
             {fit} of the {} items the cluster returned ({full_len} characters). Ask for \
             fewer with page.limit (e.g. {}), continue with page.from or the page cursors, or \
             narrow the filter.",
            items.total,
            fit.max(1)
        );
        return structured_parts(&json, &text, Some(&note), false);
    }
    // Rare (huge values, e.g. a variable), so the tree is worth building here.
    let Ok(mut value) = serde_json::from_str::<Value>(&compact.json) else {
        return long_text(&compact.json, max_chars);
    };
    let cut = shorten_to_fit(&mut value, full_len, max_chars);
    let json = value.to_string();
    if json.len() > max_chars {
        // Too many members to fit even with every long value cut: the cap is for the model's
        // context, so it holds; the JSON goes as cut text, without structuredContent.
        return long_text(&compact.json, max_chars);
    }
    let shown: Vec<&str> = cut
        .iter()
        .take(MAX_NAMED_CUTS)
        .map(String::as_str)
        .collect();
    let more = match cut.len().saturating_sub(MAX_NAMED_CUTS) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let note = format!(
        "Result capped at {max_chars} characters (MCP_MAX_RESULT_CHARS): the values of {}{more} \
         were shortened (an ellipsis marks each cut).",
        shown.join(", ")
    );
    structured_with_note(&json, Some(&note), false)
}

/// How many shortened values a note names; the rest are counted.
const MAX_NAMED_CUTS: usize = 10;
/// Strings this short are never cut: they are keys, states and names the model needs whole.
const MIN_CUT_CHARS: usize = 64;

/// Shortens the longest strings of `value` to one common length, the longest that brings its
/// JSON (now `len` bytes) within `max_len`, and returns the paths of those cut. Linear in the
/// size of `value`: one pass measures every string, a binary search over the common length
/// needs only those measures, one pass cuts. The estimate assumes a string's escaped bytes
/// spread evenly over its characters, so the result is checked, and the cut repeated (at most
/// four rounds) with a lower length if the estimate fell short.
fn shorten_to_fit(value: &mut Value, len: usize, max_len: usize) -> Vec<String> {
    /// (characters, bytes as written in JSON) of every string worth cutting.
    fn measure(v: &Value, out: &mut Vec<(usize, usize)>) {
        match v {
            Value::String(s) => {
                let chars = s.chars().count();
                if chars > MIN_CUT_CHARS {
                    out.push((chars, escape(s).len()));
                }
            }
            Value::Object(m) => m.values().for_each(|v| measure(v, out)),
            Value::Array(a) => a.iter().for_each(|v| measure(v, out)),
            _ => {}
        }
    }
    fn cut(v: &mut Value, path: &mut String, keep: usize, cuts: &mut Vec<String>) {
        let at = path.len();
        match v {
            Value::String(s) => {
                if let Some((end, _)) = s.char_indices().nth(keep) {
                    s.truncate(end);
                    s.push('\u{2026}');
                    cuts.push(path.trim_start_matches('.').to_owned());
                }
            }
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    path.push('.');
                    path.push_str(k);
                    cut(v, path, keep, cuts);
                    path.truncate(at);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter_mut().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    cut(v, path, keep, cuts);
                    path.truncate(at);
                }
            }
            _ => {}
        }
    }
    let mut strings = Vec::new();
    measure(value, &mut strings);
    // Bytes saved by cutting every string to `keep` characters plus an ellipsis (3 bytes).
    let saved = |strings: &[(usize, usize)], keep: usize| -> usize {
        strings
            .iter()
            .filter(|(chars, _)| *chars > keep)
            .map(|(chars, bytes)| (bytes * (chars - keep) / chars).saturating_sub(3))
            .sum()
    };
    let mut cuts = Vec::new();
    let mut len = len;
    let mut ceiling = strings.iter().map(|(c, _)| *c).max().unwrap_or(0);
    for _ in 0..4 {
        if len <= max_len || ceiling <= MIN_CUT_CHARS {
            break;
        }
        let excess = len - max_len;
        // The longest common length that saves enough (saving falls as the length grows).
        let (mut lo, mut hi) = (MIN_CUT_CHARS, ceiling - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if saved(&strings, mid) >= excess {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let keep = lo;
        // A later round cuts every string an earlier one did (they are now longer than its
        // length), so its list is the whole list.
        cuts.clear();
        cut(value, &mut String::new(), keep, &mut cuts);
        len = value.to_string().len();
        // Cut strings now have keep + 1 characters; another round goes below that.
        ceiling = keep + 1;
        for (chars, bytes) in strings.iter_mut().filter(|(c, _)| *c > keep) {
            *bytes = *bytes * keep / *chars + 3;
            *chars = keep + 1;
        }
    }
    cuts
}

/// Text for the model, cut at `max_chars` with a note saying so.
pub fn long_text(text: &str, max_chars: usize) -> String {
    text_result(&cut(text, max_chars), false)
}

/// `text`, or its first `max_chars` characters and a note saying how many there were.
fn cut(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let total = text.chars().count();
            Cow::Owned(format!(
                "{}\n\n[Cut at {max_chars} of {total} characters (MCP_MAX_RESULT_CHARS).]",
                &text[..end]
            ))
        }
    }
}

/// A failed answer → the cluster's ProblemDetail, or one we build when it sent none.
pub fn failure(resp: &UpstreamResponse, call: &Call) -> ToolError {
    let sent = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .filter(Value::is_object)
        .and_then(|mut v| {
            drop_nulls(&mut v);
            serde_json::from_value::<ProblemDetail>(v).ok()
        });
    if let Some(mut problem) = sent {
        problem.status.get_or_insert(resp.status);
        return ToolError::Problem(Box::new(problem));
    }
    let text = String::from_utf8_lossy(&resp.body);
    let snippet: String = text.trim().chars().take(300).collect();
    let detail = if snippet.is_empty() {
        format!(
            "The cluster answered {call} with HTTP {} and no problem details.",
            resp.status
        )
    } else {
        format!(
            "The cluster answered {call} with HTTP {}: {snippet}",
            resp.status
        )
    };
    ToolError::problem(resp.status, reason(resp.status), detail, call)
}

/// A REST path with its `{key}` parameters filled from converted arguments, each value
/// percent-encoded as one path segment (RFC 3986 §3.3): whatever a value holds, it cannot add
/// a segment, a query or a fragment to the call.
pub fn fill_path(template: &str, args: &Map<String, Value>) -> String {
    fill_with(template, args, push_path_segment)
}

/// `{key}` placeholders in `template` filled from converted arguments, as they are (text for
/// people and models).
pub fn fill(template: &str, args: &Map<String, Value>) -> String {
    fill_with(template, args, String::push_str)
}

/// `template` with each `{key}` whose argument exists written by `write`; only the values the
/// template names are turned into text.
fn fill_with(template: &str, args: &Map<String, Value>, write: fn(&mut String, &str)) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        match args.get(name) {
            Some(Value::String(s)) => write(&mut out, s),
            Some(v) => write(&mut out, &v.to_string()),
            None => out.push_str(&rest[start..=start + len]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` as one path segment: unreserved characters as they are, every other byte `%XX`.
fn push_path_segment(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        s if s < 300 => "OK",
        s if s < 500 => "Client Error",
        _ => "Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_one_encoded_segment_each() {
        let args = json!({"k": 2251799813685249u64, "s": "a/../b?x=1#f %é"});
        let args = args.as_object().unwrap();
        assert_eq!(
            fill_path("/incidents/{k}", args),
            "/incidents/2251799813685249"
        );
        assert_eq!(
            fill_path("/x/{s}/y", args),
            "/x/a%2F..%2Fb%3Fx%3D1%23f%20%25%C3%A9/y"
        );
        assert_eq!(fill_path("/x/{missing}", args), "/x/{missing}");
    }
    use crate::http::Method;

    fn call(method: Method, path: &str) -> Call {
        Call {
            method,
            path: path.into(),
        }
    }

    fn text(result: &Value) -> &str {
        result["content"][0]["text"].as_str().unwrap()
    }

    fn resp(status: u16, body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status,
            content_type: Some("application/json".into()),
            cache_control: None,
            body: body.as_bytes().to_vec(),
            compacted: None,
            placement: None,
        }
    }

    #[test]
    fn json_success_drops_nulls_and_writes_text_and_structure() {
        let out = json_success(
            &resp(200, r#"{"b":1,"a":null,"c":[{"x":null,"y":2}]}"#),
            &call(Method::Get, "/v2/x"),
            1000,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["structuredContent"], json!({"b":1,"c":[{"y":2}]}));
        assert_eq!(v["content"][0]["text"], r#"{"b":1,"c":[{"y":2}]}"#);
        assert_eq!(v["isError"], false);
    }

    #[test]
    fn garbage_on_success_is_a_clear_tool_error() {
        for body in ["", "<html>", r#"{"truncated": "#] {
            let err = json_success(&resp(200, body), &call(Method::Get, "/v2/topology"), 1000)
                .unwrap_err();
            let ToolError::Problem(p) = &err else {
                panic!()
            };
            assert_eq!(p.status, Some(502));
            assert!(
                p.detail.as_deref().unwrap().contains("GET /v2/topology"),
                "{p:?}"
            );
            assert_eq!(p.instance.as_deref(), Some("/v2/topology"));
        }
    }

    #[test]
    fn failures_keep_the_clusters_problem_or_build_one() {
        let p = json!({"type":"about:blank","title":"NOT_FOUND","status":404,"detail":"Incident with key 1 not found","instance":null,"traceId":"t1"});
        let err = failure(
            &resp(404, &p.to_string()),
            &call(Method::Get, "/v2/incidents/1"),
        );
        let v: Value = serde_json::from_str(&err.to_result()).unwrap();
        assert_eq!(
            v["structuredContent"],
            json!({"type":"about:blank","title":"NOT_FOUND","status":404,"detail":"Incident with key 1 not found","traceId":"t1"})
        );
        let ToolError::Problem(got) = failure(
            &resp(502, "upstream connect error"),
            &call(Method::Get, "/v2/x"),
        ) else {
            panic!()
        };
        assert_eq!(got.title.as_deref(), Some("Bad Gateway"));
        assert_eq!(
            got.detail.as_deref(),
            Some("The cluster answered GET /v2/x with HTTP 502: upstream connect error")
        );
        // A problem without a status gets the HTTP status.
        let ToolError::Problem(got) =
            failure(&resp(409, r#"{"title":"X"}"#), &call(Method::Get, "/v2/x"))
        else {
            panic!()
        };
        assert_eq!(got.status, Some(409));
    }

    #[test]
    fn long_searches_keep_whole_items_and_say_how_to_page() {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"key": format!("{i:0>16}"), "state": "ACTIVE"}))
            .collect();
        let body = json!({"items": items, "page": {"totalItems": 100}}).to_string();
        let v: Value = serde_json::from_str(
            &json_success(&resp(200, &body), &call(Method::Post, "/v2/x/search"), 1000).unwrap(),
        )
        .unwrap();
        let kept = v["structuredContent"]["items"].as_array().unwrap().len();
        assert!(kept > 10 && kept < 100, "{kept}");
        assert!(v["structuredContent"].to_string().len() <= 1000);
        assert_eq!(v["structuredContent"]["page"]["totalItems"], 100);
        assert_eq!(
            serde_json::from_str::<Value>(v["content"][0]["text"].as_str().unwrap()).unwrap(),
            v["structuredContent"]
        );
        let note = v["content"][1]["text"].as_str().unwrap();
        assert!(
            note.contains(&format!("showing the first {kept} of the 100 items")),
            "{note}"
        );
        assert!(note.contains("page.limit"), "{note}");
    }

    #[test]
    fn long_values_are_shortened_and_long_text_is_cut() {
        let body = json!({"name": "big", "value": "x".repeat(5000)}).to_string();
        let v: Value = serde_json::from_str(
            &json_success(
                &resp(200, &body),
                &call(Method::Get, "/v2/variables/1"),
                1000,
            )
            .unwrap(),
        )
        .unwrap();
        assert!(v["structuredContent"].to_string().len() <= 1000);
        assert_eq!(v["structuredContent"]["name"], "big");
        assert!(v["structuredContent"]["value"]
            .as_str()
            .unwrap()
            .ends_with('\u{2026}'));
        assert!(v["content"][1]["text"]
            .as_str()
            .unwrap()
            .contains("the values of value were shortened"));

        // Tens of thousands of long strings (8.6 MB): one common cut, linear time (shortening
        // one string per pass re-wrote the whole value 40,000 times), a bounded note.
        let many: Map<String, Value> = (0..40_000)
            .map(|i| (format!("v{i}"), json!(format!("{i}-{}", "y".repeat(200)))))
            .collect();
        let body = Value::Object(many).to_string();
        let v: Value = serde_json::from_str(
            &json_success(&resp(200, &body), &call(Method::Get, "/v2/x"), 5_000_000).unwrap(),
        )
        .unwrap();
        let kept = v["structuredContent"].to_string().len();
        assert!((4_000_000..=5_000_000).contains(&kept), "{kept}");
        assert_eq!(v["structuredContent"].as_object().unwrap().len(), 40_000);
        assert!(v["structuredContent"]["v7"]
            .as_str()
            .unwrap()
            .starts_with("7-yyy"));
        let note = v["content"][1]["text"].as_str().unwrap();
        assert!(
            note.contains("v0, v1,") && note.contains("and 39990 more"),
            "{note}"
        );
        // Too many members to fit at all: cut text, still within the cap.
        let v: Value = serde_json::from_str(
            &json_success(&resp(200, &body), &call(Method::Get, "/v2/x"), 100_000).unwrap(),
        )
        .unwrap();
        assert!(v.get("structuredContent").is_none());
        assert!(text(&v).len() < 100_200 && text(&v).ends_with("(MCP_MAX_RESULT_CHARS).]"));

        let v: Value = serde_json::from_str(&long_text(&"<x/>".repeat(500), 1000)).unwrap();
        let text = v["content"][0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("<x/>")
                && text.ends_with("[Cut at 1000 of 2000 characters (MCP_MAX_RESULT_CHARS).]")
        );
        assert_eq!(long_text("short", 1000), text_result("short", false));
    }

    #[test]
    fn fill_replaces_known_placeholders() {
        let args = json!({"userTaskKey": 5, "assignee": "demo"});
        assert_eq!(
            fill(
                "User task with key {userTaskKey} assigned to {assignee}.",
                args.as_object().unwrap()
            ),
            "User task with key 5 assigned to demo."
        );
        assert_eq!(
            fill("/a/{missing}/b", args.as_object().unwrap()),
            "/a/{missing}/b"
        );
    }
}
