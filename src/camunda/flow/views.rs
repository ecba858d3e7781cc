//! The reads behind the process view (toolset `views`; the document is `crate::view`). The two
//! tools the model calls sum up what they read as text and name the keys the view needs; the
//! view's own tools hand it the BPMN XML and each element's state, which the model never reads.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use crate::camunda::bpmn::Model;
use crate::camunda::client::Calls;
use crate::camunda::results::{is_success, summary_result, Call, ToolError};
use crate::camunda::tools::{Reply, ViewFlow};
use crate::http::Method;
use crate::ports::HttpClient;

/// Open incidents read per instance: more than a person reads in a summary.
const INCIDENTS_READ: u32 = 50;
/// Elements and incidents named in a summary; the rest are counted.
const NAMED_IN_TEXT: usize = 10;

pub(super) async fn run<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    flow: ViewFlow,
    args: &Map<String, Value>,
) -> Result<String, ToolError> {
    let key = |name: &str| args.get(name).map(Value::to_string).unwrap_or_default();
    match flow {
        ViewFlow::ShowInstance => show_instance(calls, &key("processInstanceKey")).await,
        ViewFlow::ShowDefinition => show_definition(calls, &key("processDefinitionKey")).await,
        ViewFlow::Diagram => diagram(calls, &key("processDefinitionKey")).await,
        ViewFlow::InstanceState => instance_state(calls, &key("processInstanceKey")).await,
        ViewFlow::DefinitionState => definition_state(calls, &key("processDefinitionKey")).await,
    }
}

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
struct Instance {
    #[serde(deserialize_with = "key")]
    process_instance_key: String,
    #[serde(deserialize_with = "key")]
    process_definition_key: String,
    process_definition_id: String,
    #[serde(default)]
    process_definition_name: Option<String>,
    #[serde(default)]
    process_definition_version: Option<i64>,
    state: String,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    #[serde(deserialize_with = "key")]
    process_definition_key: String,
    process_definition_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

/// How many element instances of one element are in each state (REST v2's element statistics).
/// `active` and `incidents` do not overlap: an element instance stuck on an incident is counted
/// under `incidents` only, so the tokens at an element are the two together.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Counts {
    element_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    element_name: Option<String>,
    #[serde(default)]
    active: u64,
    #[serde(default)]
    completed: u64,
    #[serde(default)]
    canceled: u64,
    #[serde(default)]
    incidents: u64,
}

impl Counts {
    fn tokens(&self) -> u64 {
        self.active + self.incidents
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Incident {
    #[serde(deserialize_with = "key")]
    incident_key: String,
    element_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    element_name: Option<String>,
    #[serde(default)]
    error_type: String,
    #[serde(default)]
    error_message: String,
}

/// A sequence flow an instance took. Its `elementId` is the flow's id in the BPMN model
/// (`sequenceFlowId` is a key of Camunda's own, prefixed with the instance's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SequenceFlow {
    element_id: String,
}

#[derive(Debug, Deserialize)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    page: Option<Page>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    total_items: Option<u64>,
}

/// Where an instance is: element counts and its open incidents (with how many there are).
struct InstanceState {
    elements: Vec<Counts>,
    incidents: Vec<Incident>,
    open_incidents: u64,
}

async fn read_instance_state<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<InstanceState, ToolError> {
    let stats = Call::new(
        Method::Get,
        &format!("/process-instances/{key}/statistics/element-instances"),
    );
    let elements: Items<Counts> = calls.read_json(&stats, None).await?;
    let search = Call::new(
        Method::Post,
        &format!("/process-instances/{key}/incidents/search"),
    );
    let query = json!({"filter": {"state": "ACTIVE"}, "page": {"limit": INCIDENTS_READ}});
    let incidents: Items<Incident> = calls.read_json(&search, Some(query)).await?;
    let open_incidents = incidents
        .page
        .and_then(|p| p.total_items)
        .unwrap_or(incidents.items.len() as u64);
    Ok(InstanceState {
        elements: elements.items,
        incidents: incidents.items,
        open_incidents,
    })
}

async fn read_definition_counts<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<Vec<Counts>, ToolError> {
    let stats = Call::new(
        Method::Post,
        &format!("/process-definitions/{key}/statistics/element-instances"),
    );
    let counts: Items<Counts> = calls.read_json(&stats, Some(json!({}))).await?;
    Ok(counts.items)
}

/// The definition's BPMN XML, and the call that read it.
async fn read_xml<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<(String, Call), ToolError> {
    let call = Call::new(Method::Get, &format!("/process-definitions/{key}/xml"));
    let resp = calls.send(&call, None, Reply::Xml("")).await?;
    if !is_success(resp.status) {
        return Err(crate::camunda::results::failure(&resp, &call));
    }
    if resp.body.is_empty() {
        let detail = format!("Process definition {key} has no BPMN XML to draw.");
        return Err(ToolError::problem(404, "NOT_FOUND", detail, &call));
    }
    match String::from_utf8(resp.body) {
        Ok(xml) => Ok((xml, call)),
        Err(_) => {
            let detail = format!("The cluster answered {call} with XML that is not UTF-8.");
            Err(ToolError::problem(502, "Bad Gateway", detail, &call))
        }
    }
}

/// The XML, the model read from it, and the call that fetched it.
async fn read_model<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<(String, Model, Call), ToolError> {
    let (xml, call) = read_xml(calls, key).await?;
    let model = Model::read(&xml).map_err(|why| {
        let detail = format!("The BPMN XML of process definition {key} could not be read: {why}.");
        ToolError::problem(502, "Bad Gateway", detail, &call)
    })?;
    Ok((xml, model, call))
}

/// The result when the model has no layout: the summary still, but as an error, because the
/// view the tool promises cannot be drawn.
fn no_layout(summary: &str, key: &str, call: &Call) -> ToolError {
    let detail = format!(
        "{summary}\n\nThe process view cannot draw process definition {key}: its BPMN XML has no \
         diagram layout (no BPMN DI shapes), as happens when a model is generated by code rather \
         than drawn in a modeler."
    );
    ToolError::problem(422, "NO_DIAGRAM_LAYOUT", detail, call)
}

async fn show_instance<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<String, ToolError> {
    let get = Call::new(Method::Get, &format!("/process-instances/{key}"));
    let instance: Instance = calls.read_json(&get, None).await?;
    let mut state = read_instance_state(calls, key).await?;
    let (_, model, xml_call) = read_model(calls, &instance.process_definition_key).await?;
    name_all(&model, &mut state.elements, &mut state.incidents);
    let text = instance_text(&instance, &state);
    if !model.laid_out {
        return Err(no_layout(
            &text,
            &instance.process_definition_key,
            &xml_call,
        ));
    }
    let tokens: Vec<Value> = state
        .elements
        .iter()
        .filter(|c| c.tokens() > 0)
        .map(|c| json!({"elementId": c.element_id, "elementName": c.element_name, "count": c.tokens()}))
        .collect();
    let mut shown = json!(instance);
    shown["tokens"] = json!(tokens);
    shown["incidents"] = json!(state.incidents);
    Ok(summary_result(&text, &shown))
}

async fn show_definition<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<String, ToolError> {
    let get = Call::new(Method::Get, &format!("/process-definitions/{key}"));
    let definition: Definition = calls.read_json(&get, None).await?;
    let mut elements = read_definition_counts(calls, key).await?;
    let (_, model, xml_call) = read_model(calls, key).await?;
    name_all(&model, &mut elements, &mut []);
    let text = definition_text(&definition, &elements);
    if !model.laid_out {
        return Err(no_layout(&text, key, &xml_call));
    }
    let mut shown = json!(definition);
    shown["elements"] = json!(elements);
    Ok(summary_result(&text, &shown))
}

async fn diagram<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<String, ToolError> {
    let (xml, model, call) = read_model(calls, key).await?;
    if !model.laid_out {
        return Err(no_layout(&format!("Process definition {key}."), key, &call));
    }
    let text = format!(
        "The BPMN XML of process definition {key} ({} characters), for the process view.",
        xml.chars().count()
    );
    Ok(summary_result(
        &text,
        &json!({"processDefinitionKey": key, "xml": xml}),
    ))
}

async fn instance_state<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<String, ToolError> {
    let state = read_instance_state(calls, key).await?;
    let flows = Call::new(
        Method::Get,
        &format!("/process-instances/{key}/sequence-flows"),
    );
    let taken: Items<SequenceFlow> = calls.read_json(&flows, None).await?;
    let mut taken: Vec<String> = taken.items.into_iter().map(|f| f.element_id).collect();
    taken.sort_unstable();
    taken.dedup();
    let text = format!(
        "State of process instance {key} for the process view: {} elements, {} open incidents, {} sequence flows taken.",
        state.elements.len(),
        state.open_incidents,
        taken.len()
    );
    let shown = json!({
        "processInstanceKey": key,
        "elements": state.elements,
        "incidents": state.incidents,
        "sequenceFlows": taken,
    });
    Ok(summary_result(&text, &shown))
}

async fn definition_state<C: HttpClient>(
    calls: &mut Calls<'_, '_, C>,
    key: &str,
) -> Result<String, ToolError> {
    let elements = read_definition_counts(calls, key).await?;
    let text = format!(
        "Per-element counts of process definition {key}'s instances for the process view: {} elements.",
        elements.len()
    );
    let shown = json!({"processDefinitionKey": key, "elements": elements});
    Ok(summary_result(&text, &shown))
}

/// Gives each element and incident its name from the model.
fn name_all(model: &Model, elements: &mut [Counts], incidents: &mut [Incident]) {
    for c in elements {
        c.element_name = model.name(&c.element_id).map(str::to_owned);
    }
    for i in incidents {
        i.element_name = model.name(&i.element_id).map(str::to_owned);
    }
}

/// `"Charge card" (ChargeCard)`, or the id alone when the element has no name.
fn element(id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) if !name.is_empty() => format!("\"{name}\" ({id})"),
        _ => id.to_owned(),
    }
}

/// The first [`NAMED_IN_TEXT`] of `parts` joined, then how many more there are.
fn some_of(parts: Vec<String>, separator: &str) -> String {
    let more = parts.len().saturating_sub(NAMED_IN_TEXT);
    let mut text = parts
        .into_iter()
        .take(NAMED_IN_TEXT)
        .collect::<Vec<_>>()
        .join(separator);
    if more > 0 {
        text.push_str(&format!("{separator}and {more} more"));
    }
    text
}

fn instance_text(instance: &Instance, state: &InstanceState) -> String {
    let process = element(
        &instance.process_definition_id,
        instance.process_definition_name.as_deref(),
    );
    let version = instance
        .process_definition_version
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    let mut text = format!(
        "Process instance {} of {process}{version} is {}",
        instance.process_instance_key, instance.state
    );
    match (&instance.start_date, &instance.end_date) {
        (Some(start), Some(end)) => text.push_str(&format!(" (started {start}, ended {end}).")),
        (Some(start), None) => text.push_str(&format!(" (started {start}).")),
        _ => text.push('.'),
    }
    let tokens: Vec<String> = state
        .elements
        .iter()
        .filter(|c| c.tokens() > 0)
        .map(|c| {
            format!(
                "{} {}",
                element(&c.element_id, c.element_name.as_deref()),
                c.tokens()
            )
        })
        .collect();
    if tokens.is_empty() {
        text.push_str("\nTokens: none.");
    } else {
        text.push_str(&format!("\nTokens: {}.", some_of(tokens, "; ")));
    }
    let incidents: Vec<String> = state
        .incidents
        .iter()
        .map(|i| {
            format!(
                "- {}, {}: {} (incident {})",
                element(&i.element_id, i.element_name.as_deref()),
                i.error_type,
                i.error_message,
                i.incident_key
            )
        })
        .collect();
    text.push_str(&format!("\nOpen incidents: {}", state.open_incidents));
    if !incidents.is_empty() {
        text.push('\n');
        text.push_str(&some_of(incidents, "\n"));
    }
    let completed: u64 = state.elements.iter().map(|c| c.completed).sum();
    text.push_str(&format!("\nElements completed: {completed}."));
    text
}

fn definition_text(definition: &Definition, elements: &[Counts]) -> String {
    let process = element(
        &definition.process_definition_id,
        definition.name.as_deref(),
    );
    let version = definition
        .version
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    let mut text = format!(
        "Process definition {} is {process}{version}.",
        definition.process_definition_key
    );
    let busy: Vec<String> = elements
        .iter()
        .filter(|c| c.active > 0 || c.incidents > 0)
        .map(|c| {
            let at = element(&c.element_id, c.element_name.as_deref());
            match c.incidents {
                0 => format!("{at}: {} active", c.active),
                n => format!("{at}: {} active, {n} with incidents", c.active),
            }
        })
        .collect();
    if busy.is_empty() {
        text.push_str("\nNo instance is active at any element.");
    } else {
        text.push_str(&format!("\nInstances by element: {}.", some_of(busy, "; ")));
    }
    let sum = |f: fn(&Counts) -> u64| elements.iter().map(f).sum::<u64>();
    text.push_str(&format!(
        "\nTotals over its elements: {} active, {} with incidents, {} completed, {} canceled.",
        sum(|c| c.active),
        sum(|c| c.incidents),
        sum(|c| c.completed),
        sum(|c| c.canceled)
    ));
    text
}
