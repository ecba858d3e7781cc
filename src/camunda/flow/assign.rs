//! `assignUserTask`: a blank or missing assignee unassigns (`DELETE …/assignee`) instead, as
//! Camunda's gateway does; otherwise the assignment overrides, unless told not to.

use serde_json::{json, Value};

use super::request::Built;
use crate::camunda::client::Calls;
use crate::camunda::results::{self, fill, fill_path, is_success, text_result, Call, ToolError};
use crate::camunda::tools::Reply;
use crate::http::Method;
use crate::ports::HttpClient;

/// The unassignment's result when the assignee is blank; else `None`, with the assignment's
/// defaults added to the body.
pub(super) async fn unassign_if_blank<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    built: &mut Built<'_>,
) -> Option<Result<String, ToolError>> {
    let blank = built
        .body
        .get("assignee")
        .and_then(Value::as_str)
        .is_none_or(|a| a.trim().is_empty());
    if !blank {
        built.body.entry("action").or_insert(json!("assign"));
        built.body.entry("allowOverride").or_insert(json!(true));
        return None;
    }
    let path = fill_path("/user-tasks/{userTaskKey}/assignee", &built.args);
    let call = Call::new(Method::Delete, &path);
    let resp = match calls.send(&call, None, Reply::Json).await {
        Ok(resp) => resp,
        Err(err) => return Some(Err(err)),
    };
    Some(if is_success(resp.status) {
        let text = fill("User task with key {userTaskKey} unassigned.", &built.args);
        Ok(text_result(&text, false))
    } else {
        Err(results::failure(&resp, &call))
    })
}
