//! `deployResources`: the files (name and text of each) become the `multipart/form-data` upload
//! of `POST /deployments`.

use serde_json::{Map, Value};

use super::request::{reply, Built};
use crate::camunda::client::{Calls, Payload};
use crate::camunda::results::{Call, ToolError};
use crate::camunda::tools::Tool;
use crate::ports::HttpClient;

pub(super) async fn run<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    tool: &Tool,
    built: &Built<'_>,
) -> Result<String, ToolError> {
    let call = Call::new(tool.method, &built.path);
    let payload = multipart(&built.body).map_err(ToolError::InvalidArgument)?;
    let resp = calls
        .send_for_result(&call, Some(payload), tool.reply)
        .await?;
    reply(calls.cluster, tool.reply, &resp, &call, &built.args)
}

/// The file kinds a deployment takes, by extension.
const DEPLOYABLE: [&str; 3] = [".bpmn", ".dmn", ".form"];

/// The `multipart/form-data` upload of `POST /deployments`: one `resources` part per file (its
/// text as the part's bytes, its name as the filename), and `tenantId` when given. The boundary
/// is derived from the content, so it cannot occur in it by chance, and is checked anyway.
fn multipart(body: &Map<String, Value>) -> Result<Payload, String> {
    use sha2::{Digest, Sha256};
    let resources = body
        .get("resources")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or("resources: give at least one file (name and content)")?;
    let mut files = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let name = r["name"].as_str().unwrap_or_default();
        let content = r["content"].as_str().unwrap_or_default();
        let safe = (1..=255).contains(&name.len())
            && !name.contains(['"', '\\', '/', '\r', '\n'])
            && !name.chars().any(char::is_control);
        if !safe || !DEPLOYABLE.iter().any(|ext| name.ends_with(ext)) {
            return Err(format!(
                "resources[{i}].name: expected a file name ending in .bpmn, .dmn or .form, without quotes, slashes or line breaks, got {:?}",
                name.chars().take(80).collect::<String>()
            ));
        }
        if content.trim().is_empty() {
            return Err(format!("resources[{i}].content: the file {name} is empty"));
        }
        files.push((name, content));
    }
    let mut digest = Sha256::new();
    for (name, content) in &files {
        digest.update(name.as_bytes());
        digest.update(content.as_bytes());
    }
    let hex: String = digest.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let boundary = format!("camunda-mcp-edge-{hex}");
    if files.iter().any(|(_, c)| c.contains(&boundary)) {
        return Err("resources: a file contains the upload's boundary; change it slightly".into());
    }
    let mut out = String::new();
    for (name, content) in &files {
        out += &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
        );
    }
    if let Some(tenant) = body.get("tenantId").and_then(Value::as_str) {
        out += &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"tenantId\"\r\n\r\n{tenant}\r\n"
        );
    }
    out += &format!("--{boundary}--\r\n");
    Ok(Payload::new(
        format!("multipart/form-data; boundary={boundary}"),
        out.into_bytes(),
    ))
}
