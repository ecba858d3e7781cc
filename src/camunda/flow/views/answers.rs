//! The cluster's answers the process view reads, as types: only the members it uses, each
//! checked as it is read (keys must be keys), so nothing else of an answer is carried along.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A key as REST API v2 writes it (int64 digits in a string; numbers from older clusters).
fn key<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(s),
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        other => Err(D::Error::custom(format!("expected a key, got {other}"))),
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Instance {
    #[serde(deserialize_with = "key")]
    pub(super) process_instance_key: String,
    #[serde(deserialize_with = "key")]
    pub(super) process_definition_key: String,
    pub(super) process_definition_id: String,
    #[serde(default)]
    pub(super) process_definition_name: Option<String>,
    #[serde(default)]
    pub(super) process_definition_version: Option<i64>,
    pub(super) state: String,
    #[serde(default)]
    pub(super) start_date: Option<String>,
    #[serde(default)]
    pub(super) end_date: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Definition {
    #[serde(deserialize_with = "key")]
    pub(super) process_definition_key: String,
    pub(super) process_definition_id: String,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) version: Option<i64>,
}

/// How many element instances of one element are in each state (REST v2's element statistics).
/// `active` and `incidents` do not overlap: an element instance stuck on an incident is counted
/// under `incidents` only, so the tokens at an element are the two together.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Counts {
    pub(super) element_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) element_name: Option<String>,
    #[serde(default)]
    pub(super) active: u64,
    #[serde(default)]
    pub(super) completed: u64,
    #[serde(default)]
    pub(super) canceled: u64,
    #[serde(default)]
    pub(super) incidents: u64,
}

impl Counts {
    pub(super) fn tokens(&self) -> u64 {
        self.active.saturating_add(self.incidents)
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Incident {
    #[serde(deserialize_with = "key")]
    pub(super) incident_key: String,
    pub(super) element_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) element_name: Option<String>,
    #[serde(default)]
    pub(super) error_type: String,
    #[serde(default)]
    pub(super) error_message: String,
}

/// A sequence flow an instance took. Its `elementId` is the flow's id in the BPMN model
/// (`sequenceFlowId` is a key of Camunda's own, prefixed with the instance's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SequenceFlow {
    pub(super) element_id: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Items<T> {
    pub(super) items: Vec<T>,
    #[serde(default)]
    pub(super) page: Option<Page>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page {
    #[serde(default)]
    pub(super) total_items: Option<u64>,
}

/// Where an instance is: element counts and its first open incidents, with how many there are.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstanceState {
    pub(super) elements: Vec<Counts>,
    pub(super) incidents: Vec<Incident>,
    pub(super) open_incidents: u64,
}
