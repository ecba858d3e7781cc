//! The REST request a tool's row makes of a call's arguments, and the tool result an answer
//! becomes: shared by the plain path and the named flows.

use serde_json::{json, Map, Value};

use crate::camunda::client::Cluster;
use crate::camunda::results::{self, fill, fill_path, is_success, text_result, Call, ToolError};
use crate::camunda::schema::{convert_fields, Arguments, Converted, Target};
use crate::camunda::tools::{Reply, Tool};

/// A tool call's REST request, built from its arguments by the tool's row.
pub(super) struct Built<'a> {
    /// Below `/v2`, path parameters filled in and percent-encoded, query appended.
    pub path: String,
    /// The JSON body's members (objects and arrays moved here from the arguments).
    pub body: Map<String, Value>,
    /// The converted arguments the reply templates name.
    pub args: Map<String, Value>,
    /// Pass-through objects, spliced into the body as they came.
    pub raw: Vec<(&'static str, &'a serde_json::value::RawValue)>,
}

/// The request `tool`'s row makes of `arguments`: path parameters into the path, booleans into
/// the query, everything else into the body; searches without a page size get `page_limit`.
pub(super) fn build<'a>(
    tool: &Tool,
    arguments: Arguments<'a>,
    page_limit: u32,
) -> Result<Built<'a>, ToolError> {
    let Converted(mut args, fields) = convert_fields("", &tool.fields, arguments.values)
        .map_err(|e| ToolError::InvalidArgument(e.0))?;
    let mut path = fill_path(tool.path, &args);
    let mut query = String::new();
    let mut body = Map::new();
    for f in fields {
        match f.target {
            Target::Path => {}
            Target::Query => {
                query.push(if query.is_empty() { '?' } else { '&' });
                query.push_str(f.name);
                query.push('=');
                // Only booleans go to the query today; anything else would need encoding.
                query.push_str(&args[f.name].to_string());
            }
            // Objects and arrays (process variables, filters) move into the body; the reply
            // templates name scalars only, which stay in `args` for them.
            Target::Body => {
                let value = match &args[f.name] {
                    Value::Object(_) | Value::Array(_) => args.remove(f.name),
                    small => Some(small.clone()),
                };
                body.extend(value.map(|v| (f.name.to_owned(), v)));
            }
            Target::Spread => {
                if let Some(Value::Object(m)) = args.remove(f.name) {
                    body.extend(m);
                }
            }
        }
    }
    path += &query;
    // A model is not handed thousands of items it did not ask for.
    if page_limit > 0 && tool.fields.iter().any(|f| f.name == "page") {
        if let Value::Object(page) = body.entry("page").or_insert(json!({})) {
            page.entry("limit").or_insert(json!(page_limit));
        }
    }
    Ok(Built {
        path,
        body,
        args,
        raw: arguments.raw,
    })
}

/// The tool result for an upstream answer; text longer than the result limit is cut, saying
/// so.
pub(super) fn reply<C>(
    cluster: &Cluster<'_, C>,
    kind: Reply,
    resp: &crate::http::UpstreamResponse,
    call: &Call,
    args: &Map<String, Value>,
) -> Result<String, ToolError> {
    let max = cluster.limits.max_result_chars;
    match kind {
        Reply::Health if resp.status == 503 => Ok(text_result("UNHEALTHY", false)),
        _ if !is_success(resp.status) => Err(results::failure(resp, call)),
        Reply::Health => Ok(text_result("HEALTHY", false)),
        Reply::Json => results::json_success(resp, call, max),
        Reply::Xml(missing) if resp.status == 204 || resp.body.is_empty() => Err(
            ToolError::problem(404, "NOT_FOUND", fill(missing, args), call),
        ),
        Reply::Xml(_) => Ok(results::long_text(
            &String::from_utf8_lossy(&resp.body),
            max,
        )),
        Reply::Text(template) => Ok(text_result(&fill(template, args), false)),
    }
}

/// The REST body: the mapped members, then the pass-through objects spliced in as they came.
pub(super) fn body_text(
    body: Map<String, Value>,
    raw: &[(&str, &serde_json::value::RawValue)],
) -> String {
    let mapped = Value::Object(body).to_string();
    // Sized once: growing a string by a large value would double its capacity past it.
    let spliced: usize = raw.iter().map(|(n, v)| n.len() + v.get().len() + 4).sum();
    let mut out = String::with_capacity(mapped.len() + spliced);
    out.push_str(&mapped);
    for (name, value) in raw {
        out.pop(); // the closing brace
        if out.len() > 1 {
            out.push(',');
        }
        // Serialising a str cannot fail.
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
        out.push(':');
        out.push_str(value.get());
        out.push('}');
    }
    out
}
