//! Camunda's own check for tools that take a key or an id: exactly one of the two.

use serde_json::{Map, Value};

use crate::camunda::results::{Call, ToolError};
use crate::camunda::tools::Tool;

/// Exactly one of `names` is in `body`, or a 400 problem saying so.
pub(super) fn check(
    body: &Map<String, Value>,
    names: [&str; 2],
    tool: &Tool,
) -> Result<(), ToolError> {
    if names.iter().filter(|k| body.contains_key(**k)).count() == 1 {
        return Ok(());
    }
    Err(ToolError::problem(
        400,
        "INVALID_ARGUMENT",
        format!("Give exactly one of {} or {}.", names[0], names[1]),
        &Call::new(tool.method, tool.path),
    ))
}
