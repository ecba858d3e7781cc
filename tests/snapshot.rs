//! Our `tools/list` against Camunda's own regression snapshot (8.10 line), structurally: names,
//! order, titles, annotations and every schema keyword except the description texts (ours).
//! Needs `../shared/camunda/mcp/tools-schema-snapshot.json`; skips with a message without it.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use std::path::Path;

use camunda_mcp_edge::camunda::tools::{Catalogue, HintMode};
use camunda_mcp_edge::routes::ApiVersion;
use serde_json::Value;

const SNAPSHOT: &str = "../shared/camunda/mcp/tools-schema-snapshot.json";

fn without_descriptions(v: &Value) -> Value {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "description")
            .map(|(k, v)| (k.clone(), without_descriptions(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Array(a) => a.iter().map(without_descriptions).collect(),
        other => other.clone(),
    }
}

/// Camunda's snapshot, or `None` (with a message) when `../shared` is not beside this clone.
fn snapshot(test: &str) -> Option<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED {test}: {} not found (../shared is not beside this clone)",
            path.display()
        );
        return None;
    };
    Some(serde_json::from_str(&text).unwrap())
}

fn ours(hints: HintMode) -> Value {
    serde_json::from_str(Catalogue::new(ApiVersion::V8_10, hints).list_json()).unwrap()
}

/// `MCP_TOOL_HINTS=explicit` adds hint keys and changes nothing else: with the added keys
/// removed, the list is Camunda's snapshot again, and `readOnlyHint` keeps Camunda's values.
#[test]
fn explicit_hints_only_add_hint_keys_to_the_snapshot() {
    let Some(snapshot) = snapshot("explicit_hints_only_add_hint_keys_to_the_snapshot") else {
        return;
    };
    let mut explicit = ours(HintMode::Explicit);
    for (o, t) in explicit["tools"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(snapshot["tools"].as_array().unwrap())
    {
        let name = t["name"].clone();
        let hints = o["annotations"].as_object_mut().unwrap();
        assert_eq!(hints.len(), 4, "{name}: four hints");
        let read_only = hints.get("readOnlyHint") == Some(&Value::Bool(true));
        assert_eq!(
            read_only,
            t["annotations"]["readOnlyHint"] == true,
            "{name}"
        );
        hints.retain(|k, v| k == "readOnlyHint" && *v == true);
        assert_eq!(o["annotations"], t["annotations"], "{name}: annotations");
        assert_eq!(
            without_descriptions(o),
            without_descriptions(t),
            "{name}: more than hints differ"
        );
    }
}

#[test]
fn tools_list_matches_camundas_snapshot() {
    let Some(snapshot) = snapshot("tools_list_matches_camundas_snapshot") else {
        return;
    };
    let ours = ours(HintMode::Camunda);
    let (theirs, ours) = (
        snapshot["tools"].as_array().unwrap(),
        ours["tools"].as_array().unwrap(),
    );
    let names = |list: &[Value]| {
        list.iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ours), names(theirs), "tool names or order differ");
    for (o, t) in ours.iter().zip(theirs) {
        let name = &t["name"];
        assert_eq!(o["title"], t["title"], "{name}: title");
        assert_eq!(o["annotations"], t["annotations"], "{name}: annotations");
        assert_eq!(
            without_descriptions(&o["inputSchema"]),
            without_descriptions(&t["inputSchema"]),
            "{name}: inputSchema"
        );
        assert!(
            o["description"].as_str().is_some_and(|d| d.len() > 40),
            "{name}: description"
        );
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(o), keys(t), "{name}: top-level keys");
    }
}
