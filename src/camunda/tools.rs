//! The tool catalogue: every tool of Camunda's Orchestration Cluster MCP gateway as one row of
//! data (name, parameters, REST call, result kind). Names, parameters and REST calls follow
//! Camunda's contract; the descriptions are ours.

use serde_json::{json, Value};

use super::schema::{object_schema, Field, Shape, Target};
use crate::http::Method;
use crate::routes::ApiVersion;
use crate::view::View;

/// How a successful REST answer becomes a tool result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// 204 → `HEALTHY`, 503 → `UNHEALTHY`.
    Health,
    /// The REST JSON as structured content and as text.
    Json,
    /// The body as text (BPMN or DMN XML); 204 means there is none, and the message (filled
    /// from the arguments) says so.
    Xml(&'static str),
    /// A fixed sentence; `{name}` is filled from the arguments.
    Text(&'static str),
}

/// What a tool does besides one templated REST call: a check of its arguments, defaults, or
/// more calls (`camunda::flow` runs each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Plain,
    /// Resolve; on "no retries left", give the incident's job one retry and resolve again.
    ResolveIncident,
    /// A blank or missing assignee unassigns (`DELETE …/assignee`) instead.
    AssignOrUnassign,
    /// Exactly one of key/id; `awaitCompletion` defaults to false.
    CreateProcessInstance,
    /// `GET /status`; for a physical tenant, read from its topology (see `Cluster`).
    Health,
    /// Exactly one of the two arguments must be given (a key or an id).
    ExactlyOne([&'static str; 2]),
    /// `resources` (name and text of each file) become the multipart upload of `/deployments`.
    Deploy,
    /// The process view's tools (`camunda::flow::views`): several reads, summed up.
    View(ViewFlow),
}

/// What each tool of the `views` toolset reads and returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewFlow {
    /// An instance: its state, where its tokens are, its open incidents, as text for the model.
    ShowInstance,
    /// A definition: how many instances are active or stuck at each element.
    ShowDefinition,
    /// The definition's BPMN XML, for the view only.
    Diagram,
    /// Per-element counts, open incidents and the sequence flows taken, for the view only.
    InstanceState,
    /// Per-element counts over a definition's instances, for the view only.
    DefinitionState,
}

/// Who may call a tool that belongs to an MCP App view (`_meta.ui.visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The model calls it; its result is drawn by the view.
    ModelAndApp,
    /// Only the view calls it, through the host: hosts keep it out of the model's tool list.
    App,
}

/// A tool's place in an MCP App: the view that draws its results, and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolUi {
    pub view: &'static View,
    pub visibility: Visibility,
}

/// What a call does to the cluster, as MCP's tool annotations describe it. Camunda's gateway
/// states only `readOnlyHint`; `MCP_TOOL_HINTS=explicit` states all four, for directories that
/// require them. `why` is the justification, shown on the landing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effects {
    /// It may overwrite or end something that exists (not only add).
    pub destructive: bool,
    /// Repeating the same call has no further effect.
    pub idempotent: bool,
    /// It may reach systems beyond the cluster (BPMN service tasks, connectors, job workers).
    pub open_world: bool,
    pub why: &'static str,
}

/// Every read: it changes nothing, so it is neither destructive nor able to set anything in
/// motion beyond the cluster, and repeating it changes nothing.
pub const READ_EFFECTS: Effects = Effects {
    destructive: false,
    idempotent: true,
    open_world: false,
    why: "Reads the cluster's state; changes nothing.",
};

/// Reads and writes get separate permissions and rate limits: a team may let an agent look
/// freely but act rarely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolClass {
    Read,
    Write,
}

impl ToolClass {
    pub fn parse(s: &str) -> Option<ToolClass> {
        match s.trim() {
            "read" => Some(ToolClass::Read),
            "write" => Some(ToolClass::Write),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ToolClass::Read => "read",
            ToolClass::Write => "write",
        }
    }
}

/// Which tool annotations `tools/list` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HintMode {
    /// Camunda's exact contract: `readOnlyHint: true` on reads, nothing on writes.
    #[default]
    Camunda,
    /// All four hints on every tool (`MCP_TOOL_HINTS=explicit`).
    Explicit,
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
    pub read_only: bool,
    pub effects: Effects,
    pub method: Method,
    /// Below `/v2`; `{name}` is replaced by the path argument of that name.
    pub path: &'static str,
    pub fields: Vec<Field>,
    pub reply: Reply,
    pub flow: Flow,
    /// Set on the tools of an MCP App view; Camunda's tools have none.
    pub ui: Option<ToolUi>,
}

/// All tools for one API version, each one's `tools/list` entry serialised once, and the
/// whole list.
pub struct Catalogue {
    tools: Vec<Tool>,
    entries: Vec<String>,
    list_json: String,
}

impl Catalogue {
    /// Camunda's 18 tools.
    pub fn new(version: ApiVersion, hints: HintMode) -> Self {
        Catalogue::with_operator_tools(version, hints, Vec::new())
    }

    /// Camunda's 18 tools, then `operator` tools (`toolsets`). The operator tools always state
    /// all four hints: they are ours, so no contract says less.
    pub fn with_operator_tools(version: ApiVersion, hints: HintMode, operator: Vec<Tool>) -> Self {
        let mut tools = tools(version);
        let camundas = tools.len();
        tools.extend(operator);
        let entries: Vec<String> = tools
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let hints = if i < camundas {
                    hints
                } else {
                    HintMode::Explicit
                };
                t.describe(hints).to_string()
            })
            .collect();
        let list_json = format!(r#"{{"tools":[{}]}}"#, entries.join(","));
        Catalogue {
            tools,
            entries,
            list_json,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The tool's place in the catalogue (its bit in a `policy::ToolMask`).
    pub fn index(&self, name: &str) -> Option<usize> {
        self.tools.iter().position(|t| t.name == name)
    }

    /// The `"tools":[…]` member listing the tools `keep` admits, in catalogue order.
    pub fn list_members(&self, keep: impl Fn(usize) -> bool) -> String {
        let picked: Vec<&str> = (0..self.tools.len())
            .filter(|&i| keep(i))
            .map(|i| self.entries[i].as_str())
            .collect();
        format!(r#""tools":[{}]"#, picked.join(","))
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The `tools/list` result, ready to splice into a response.
    pub fn list_json(&self) -> &str {
        &self.list_json
    }
}

impl Tool {
    pub fn class(&self) -> ToolClass {
        if self.read_only {
            ToolClass::Read
        } else {
            ToolClass::Write
        }
    }

    fn describe(&self, hints: HintMode) -> Value {
        let mut input = json!({"$schema": "https://json-schema.org/draft/2020-12/schema"});
        if let (Some(dst), Value::Object(src)) =
            (input.as_object_mut(), object_schema(&self.fields, true))
        {
            dst.extend(src);
        }
        let annotations = match hints {
            HintMode::Camunda if self.read_only => json!({"readOnlyHint": true}),
            HintMode::Camunda => json!({}),
            HintMode::Explicit => json!({
                "readOnlyHint": self.read_only,
                "destructiveHint": self.effects.destructive,
                "idempotentHint": self.effects.idempotent,
                "openWorldHint": self.effects.open_world,
            }),
        };
        let mut entry = json!({
            "name": self.name,
            "title": self.name,
            "description": self.description,
            "inputSchema": input,
            "annotations": annotations,
        });
        if let (Some(ui), Value::Object(members)) = (self.ui, &mut entry) {
            members.insert("_meta".into(), ui.meta());
        }
        entry
    }
}

impl ToolUi {
    /// `_meta` of a tool entry: the nested form of the 2026-01-26 spec, and the flat key that
    /// hosts built on earlier drafts still read.
    fn meta(self) -> Value {
        let visibility = match self.visibility {
            Visibility::ModelAndApp => json!(["model", "app"]),
            Visibility::App => json!(["app"]),
        };
        json!({
            "ui": {"resourceUri": self.view.uri, "visibility": visibility},
            "ui/resourceUri": self.view.uri,
        })
    }
}

/// A read tool's description, ending with the eventual-consistency reminder.
macro_rules! read_doc {
    ($text:expr) => {
        concat!(
            $text,
            " Reads are eventually consistent: changes made moments ago may not show yet."
        )
    };
}
pub(super) use read_doc;

pub(super) fn key(name: &'static str, noun: &'static str, description: &'static str) -> Field {
    Field::new(name, Shape::Key { noun }, description)
}

pub(super) fn string(name: &'static str, description: &'static str) -> Field {
    Field::new(name, Shape::Str, description)
}

pub(super) fn key_string(name: &'static str, description: &'static str) -> Field {
    Field::new(name, Shape::KeyString, description)
}

pub(super) fn dates(name: &'static str, description: &'static str) -> Field {
    Field::new(name, Shape::DateRange, description)
}

pub(super) fn one_of(
    name: &'static str,
    values: Vec<&'static str>,
    description: &'static str,
) -> Field {
    Field::new(name, Shape::Enum(values), description)
}

/// What a cluster of one API version accepts: the one way a row says what only 8.10 knows.
/// An 8.9 cluster rejects what it does not know, so such fields, values and paths are not
/// offered to it at all.
#[derive(Debug, Clone, Copy)]
struct Accepts(ApiVersion);

impl Accepts {
    fn newer(self) -> bool {
        self.0 >= ApiVersion::V8_10
    }

    /// `item`, which only 8.10 knows, when the cluster does.
    fn newer_item<T>(self, item: T) -> Option<T> {
        self.newer().then_some(item)
    }

    /// `values` without those of `newer_values` the cluster does not know.
    fn values(self, values: &[&'static str], newer_values: &[&'static str]) -> Vec<&'static str> {
        let known = |x: &&str| self.newer() || !newer_values.contains(x);
        values.iter().copied().filter(known).collect()
    }

    /// The path of the cluster's version.
    fn path(self, older: &'static str, newer: &'static str) -> &'static str {
        if self.newer() {
            newer
        } else {
            older
        }
    }
}

pub(super) fn filter(fields: Vec<Field>) -> Field {
    Field::new(
        "filter",
        Shape::Object(fields),
        "Criteria that results must all match. Omit to match everything.",
    )
}

pub(super) fn sort(fields: Vec<&'static str>) -> Field {
    let item = Shape::Object(vec![
        one_of("field", fields, "Property to sort by.").required(),
        one_of(
            "order",
            vec!["ASC", "DESC"],
            "Direction; ascending when omitted.",
        ),
    ]);
    Field::new(
        "sort",
        Shape::Array(Box::new(item)),
        "Sort criteria, applied in order.",
    )
}

/// Paging; `cursors` adds `after`/`before` (cursor paging of REST v2) to `from`/`limit`.
pub(super) fn page(cursors: bool) -> Field {
    let mut fields = Vec::new();
    if cursors {
        fields.push(string(
            "after",
            "Cursor from a previous result's page.endCursor: return the items after it.",
        ));
        fields.push(string(
            "before",
            "Cursor from a previous result's page.startCursor: return the items before it.",
        ));
    }
    fields.push(Field::new(
        "from",
        Shape::Int32,
        "Offset of the first item to return (0-based).",
    ));
    fields.push(Field::new(
        "limit",
        Shape::Int32,
        "Most items to return (the cluster's default is 100).",
    ));
    Field::new(
        "page",
        Shape::Object(fields),
        "Which slice of the results to return.",
    )
}

/// Name/value pairs; `value` is the variable's value serialised as JSON (e.g. `"\"EUR\""`, `42`).
fn variable_filter(name: &'static str, description: &'static str) -> Field {
    let item = Shape::Object(vec![
        string("name", "Variable name.").required(),
        string("value", "Variable value as JSON text, e.g. \"\\\"open\\\"\" for a string or \"42\" for a number.").required(),
    ]);
    Field::new(name, Shape::Array(Box::new(item)), description)
}

fn truncate_values() -> Field {
    Field::new(
        "truncateValues",
        Shape::Bool,
        "Shorten long variable values (the cluster's default is true); use getVariable for the full value.",
    )
    .to(Target::Query)
}

fn tags(description: &'static str) -> Field {
    Field::new("tags", Shape::Array(Box::new(Shape::Str)), description)
}

#[allow(clippy::too_many_lines)]
fn tools(v: ApiVersion) -> Vec<Tool> {
    let v = Accepts(v);
    let plain = |name, description, read_only, method, path, fields, reply| Tool {
        name,
        description,
        read_only,
        effects: READ_EFFECTS,
        method,
        path,
        fields,
        reply,
        flow: Flow::Plain,
        ui: None,
    };
    let get = |name, description, path, fields| {
        plain(
            name,
            description,
            true,
            Method::Get,
            path,
            fields,
            Reply::Json,
        )
    };
    let search = |name, description, path, fields| {
        plain(
            name,
            description,
            true,
            Method::Post,
            path,
            fields,
            Reply::Json,
        )
    };

    vec![
        Tool {
            flow: Flow::Health,
            ..plain(
                "getClusterStatus",
                "Tells whether the cluster can process work: HEALTHY when at least one partition has a healthy leader, UNHEALTHY otherwise.",
                true, Method::Get, "/status", vec![], Reply::Health,
            )
        },
        get(
            "getTopology",
            "Describes the cluster: its brokers with their partitions and roles, the cluster size, partition count, replication factor and gateway version.",
            "/topology", vec![],
        ),
        get(
            "getIncident",
            read_doc!("Fetches one incident by key: its error type and message, the element and process instance it blocks, its job and its state."),
            "/incidents/{incidentKey}",
            vec![key("incidentKey", "Incident key", "Key of the incident (a positive int64).")],
        ),
        Tool {
            flow: Flow::ResolveIncident,
            effects: Effects {
                destructive: true,
                idempotent: true,
                open_world: true,
                why: "Ends the incident and may raise its job's retries (overwrites state); a repeat finds it resolved and changes nothing; the instance then continues, so its job workers and connectors run again.",
            },
            ..plain(
                "resolveIncident",
                "Resolves an incident so that the process instance continues. When the incident's job has no retries left, the job first gets one retry. Fix the cause (e.g. a variable or the worker) before resolving, or the incident comes back.",
                false, Method::Post, "/incidents/{incidentKey}/resolution",
                vec![key("incidentKey", "Incident key", "Key of the incident to resolve.")],
                Reply::Text("Incident with key {incidentKey} resolved."),
            )
        },
        search(
            "searchIncidents",
            read_doc!("Finds incidents matching a filter, with sorting and paging. Use processInstanceKey to list what blocks one instance."),
            "/incidents/search",
            vec![
                filter(vec![
                    dates("creationTime", "When the incident was raised."),
                    string("elementId", "BPMN id of the element where the incident occurred."),
                    one_of("errorType", v.values(&[
                        "AD_HOC_SUB_PROCESS_NO_RETRIES", "CALLED_DECISION_ERROR", "CALLED_ELEMENT_ERROR",
                        "CONDITION_ERROR", "DECISION_EVALUATION_ERROR", "EXECUTION_LISTENER_NO_RETRIES",
                        "EXTRACT_VALUE_ERROR", "FORM_NOT_FOUND", "IO_MAPPING_ERROR", "JOB_NO_RETRIES",
                        "MESSAGE_SIZE_EXCEEDED", "RESOURCE_NOT_FOUND", "SECRET_RESOLUTION_ERROR",
                        "TASK_LISTENER_NO_RETRIES", "UNHANDLED_ERROR_EVENT", "UNKNOWN", "UNSPECIFIED",
                    ], &["SECRET_RESOLUTION_ERROR"]), "Kind of failure."),
                    string("processDefinitionId", "BPMN process id of the process."),
                    key_string("processDefinitionKey", "Key of the process definition."),
                    key_string("processInstanceKey", "Key of the process instance."),
                    one_of("state", vec!["ACTIVE", "MIGRATED", "PENDING", "RESOLVED", "UNKNOWN"], "Incident state."),
                ]),
                page(true),
                sort(vec![
                    "incidentKey", "processDefinitionKey", "processDefinitionId", "processInstanceKey",
                    "errorType", "elementId", "elementInstanceKey", "creationTime", "state", "jobKey", "tenantId",
                ]),
            ],
        ),
        get(
            "getProcessDefinition",
            read_doc!("Fetches one deployed process definition by key: BPMN process id, name, version, version tag and resource name."),
            "/process-definitions/{processDefinitionKey}",
            vec![key("processDefinitionKey", "Process definition key", "Key of the process definition.")],
        ),
        plain(
            "getProcessDefinitionXml",
            read_doc!("Returns the BPMN 2.0 XML of a deployed process definition, to read its flow, tasks, gateways and variables."),
            true, Method::Get, "/process-definitions/{processDefinitionKey}/xml",
            vec![key("processDefinitionKey", "Process definition key", "Key of the process definition.")],
            Reply::Xml("No BPMN XML found for process definition with key {processDefinitionKey}."),
        ),
        search(
            "searchProcessDefinitions",
            read_doc!("Finds deployed process definitions matching a filter, with sorting and paging. Set isLatestVersion to see only the newest version of each process."),
            "/process-definitions/search",
            vec![
                filter(vec![
                    Field::new("hasStartForm", Shape::Bool, "Whether the process has a start form."),
                    Field::new("isLatestVersion", Shape::Bool, "Only the latest version of each process."),
                    string("name", "Process name."),
                    string("processDefinitionId", "BPMN process id."),
                    key_string("processDefinitionKey", "Key of the process definition."),
                    string("resourceName", "Name of the deployed resource (e.g. order.bpmn)."),
                    one_of("state", vec!["ACTIVE", "DELETED"], "Definition state."),
                    Field::new("version", Shape::Int32, "Version number."),
                    string("versionTag", "Version tag set in the model."),
                ]),
                page(true),
                sort(vec!["processDefinitionKey", "name", "resourceName", "version", "versionTag", "processDefinitionId", "tenantId"]),
            ],
        ),
        Tool {
            flow: Flow::CreateProcessInstance,
            effects: Effects {
                destructive: false,
                idempotent: false,
                open_world: true,
                why: "Adds a new instance and touches no existing one; every call starts another; the process runs service tasks and connectors that reach other systems.",
            },
            ..plain(
                "createProcessInstance",
                "Starts a process instance of a deployed process, identified by exactly one of processDefinitionKey or processDefinitionId (optionally with processDefinitionVersion). With awaitCompletion the call waits for the instance to end and returns its variables; a timeout then does not mean the instance failed. Tag instances to find them later.",
                false, Method::Post, "/process-instances",
                vec![
                    Field::new("awaitCompletion", Shape::Bool, "Wait until the instance completes (default false)."),
                    string("businessId", "Business identifier to attach to the instance."),
                    Field::new("fetchVariables", Shape::Array(Box::new(Shape::Str)), "With awaitCompletion: the variable names to return (all when omitted)."),
                    string("processDefinitionId", "BPMN process id; starts the latest version unless processDefinitionVersion is set."),
                    key_string("processDefinitionKey", "Key of the exact process definition to start."),
                    Field::new("processDefinitionVersion", Shape::Int32, "Version to start, with processDefinitionId."),
                    Field::new("requestTimeout", Shape::Int64, "With awaitCompletion: how long to wait, in milliseconds."),
                    tags("Tags to attach to the instance, for finding it later."),
                    string("tenantId", "Tenant of the process, in multi-tenant clusters."),
                    Field::new("variables", Shape::AnyObject, "Initial process variables as a JSON object."),
                ],
                Reply::Json,
            )
        },
        get(
            "getProcessInstance",
            read_doc!("Fetches one process instance by key: its process, state, start and end dates, incident flag and parent instance."),
            "/process-instances/{processInstanceKey}",
            vec![key("processInstanceKey", "Process instance key", "Key of the process instance.")],
        ),
        search(
            "searchProcessInstances",
            read_doc!("Finds process instances matching a filter, with sorting and paging. Filter by variables, tags, dates, state or incidents."),
            "/process-instances/search",
            vec![
                filter([
                    Some(string("businessId", "Business identifier of the instance.")),
                    Some(dates("endDate", "When the instance ended.")),
                    Some(Field::new("hasIncident", Shape::Bool, "Whether the instance has an incident.")),
                    Some(string("processDefinitionId", "BPMN process id.")),
                    Some(key_string("processDefinitionKey", "Key of the process definition.")),
                    Some(string("processDefinitionName", "Process name.")),
                    Some(Field::new("processDefinitionVersion", Shape::Int32, "Process version.")),
                    Some(key_string("processInstanceKey", "Key of the process instance.")),
                    Some(dates("startDate", "When the instance started.")),
                    Some(one_of("state", v.values(&["ACTIVE", "COMPLETED", "SUSPENDED", "TERMINATED"], &["SUSPENDED"]), "Instance state.")),
                    v.newer_item(dates("suspendedDate", "When the instance was suspended.")),
                    Some(tags("Instances carrying all of these tags.")),
                    Some(variable_filter("variables", "Instances whose variables have all of these values.")),
                ].into_iter().flatten().collect()),
                page(true),
                sort(v.values(&[
                    "processInstanceKey", "processDefinitionId", "processDefinitionName", "processDefinitionVersion",
                    "processDefinitionVersionTag", "processDefinitionKey", "parentProcessInstanceKey",
                    "parentElementInstanceKey", "startDate", "endDate", "suspendedDate", "state", "hasIncident",
                    "tenantId", "businessId",
                ], &["suspendedDate"])),
            ],
        ),
        Tool {
            flow: Flow::AssignOrUnassign,
            effects: Effects {
                destructive: true,
                idempotent: true,
                open_world: true,
                why: "Replaces (or removes) the current assignee; assigning the same user again leaves the same state; assignment task listeners run as jobs that may reach other systems.",
            },
            ..plain(
                "assignUserTask",
                "Assigns a user task to a user, replacing any current assignee unless allowOverride is false. Without an assignee (or with a blank one) the task is unassigned.",
                false, Method::Post, "/user-tasks/{userTaskKey}/assignment",
                vec![
                    key("userTaskKey", "User task key", "Key of the user task."),
                    string("assignee", "User id to assign; omit or leave blank to unassign."),
                    Field::new("assignmentOptions", Shape::Object(vec![
                        string("action", "Custom action name recorded with the assignment (default \"assign\")."),
                        Field::new("allowOverride", Shape::Bool, "Replace an existing assignee (default true)."),
                    ]), "Options of the assignment.").to(Target::Spread),
                ],
                Reply::Text("User task with key {userTaskKey} assigned to {assignee}."),
            )
        },
        Tool {
            effects: Effects {
                destructive: true,
                idempotent: true,
                open_world: true,
                why: "Ends the task for good and may overwrite variables; a repeat finds it completed and changes nothing; the instance then continues into whatever follows.",
            },
            ..plain(
                "completeUserTask",
                "Completes a user task, optionally setting variables on it, so that the process instance continues.",
                false, Method::Post, "/user-tasks/{userTaskKey}/completion",
                vec![
                    key("userTaskKey", "User task key", "Key of the user task."),
                    Field::new("completionOptions", Shape::Object(vec![
                        string("action", "Custom action name recorded with the completion (default \"complete\")."),
                        Field::new("variables", Shape::AnyObject, "Variables to set, as a JSON object."),
                    ]), "Options of the completion.").to(Target::Spread),
                ],
                Reply::Text("User task with key {userTaskKey} completed."),
            )
        },
        get(
            "getUserTask",
            read_doc!("Fetches one user task by key: name, state, assignee, candidate users and groups, dates, priority and its process instance."),
            "/user-tasks/{userTaskKey}",
            vec![key("userTaskKey", "User task key", "Key of the user task.")],
        ),
        search(
            "searchUserTaskVariables",
            read_doc!("Lists the variables visible to a user task (its own and those of enclosing scopes), with sorting and paging."),
            v.path("/user-tasks/{userTaskKey}/variables/search", "/user-tasks/{userTaskKey}/effective-variables/search"),
            vec![
                key("userTaskKey", "User task key", "Key of the user task."),
                filter(vec![string("name", "Variable name.")]),
                sort(vec!["value", "name", "tenantId", "variableKey", "scopeKey", "processInstanceKey"]),
                page(false),
                truncate_values(),
            ],
        ),
        search(
            "searchUserTasks",
            read_doc!("Finds user tasks matching a filter, with sorting and paging: e.g. open tasks of an assignee, or the tasks of one process instance."),
            "/user-tasks/search",
            vec![
                filter([
                    Some(string("assignee", "User the task is assigned to.")),
                    v.newer_item(string("businessId", "Business identifier of the process instance.")),
                    Some(dates("completionDate", "When the task was completed.")),
                    Some(dates("creationDate", "When the task was created.")),
                    Some(dates("dueDate", "When the task is due.")),
                    Some(string("elementId", "BPMN id of the user task element.")),
                    Some(key_string("elementInstanceKey", "Key of the element instance.")),
                    Some(dates("followUpDate", "When the task should be followed up.")),
                    Some(variable_filter("localVariables", "Tasks whose own variables have all of these values.")),
                    Some(string("name", "Task name.")),
                    Some(Field::new("priority", Shape::Int32, "Task priority (0 to 100).")),
                    Some(string("processDefinitionId", "BPMN process id.")),
                    Some(key_string("processDefinitionKey", "Key of the process definition.")),
                    Some(key_string("processInstanceKey", "Key of the process instance.")),
                    Some(variable_filter("processInstanceVariables", "Tasks whose process instance variables have all of these values.")),
                    Some(one_of("state", vec!["CREATING", "CREATED", "ASSIGNING", "UPDATING", "COMPLETING", "COMPLETED", "CANCELING", "CANCELED", "FAILED"], "Task state.")),
                    Some(tags("Tasks carrying all of these tags.")),
                    Some(key_string("userTaskKey", "Key of the user task.")),
                ].into_iter().flatten().collect()),
                page(true),
                sort(v.values(&["creationDate", "completionDate", "followUpDate", "dueDate", "priority", "name", "businessId"], &["businessId"])),
            ],
        ),
        get(
            "getVariable",
            read_doc!("Fetches one variable by key with its full, untruncated value (serialised JSON)."),
            "/variables/{variableKey}",
            vec![key("variableKey", "Variable key", "Key of the variable.")],
        ),
        search(
            "searchVariables",
            read_doc!("Finds variables matching a filter, with sorting and paging. Values are serialised JSON and may be truncated; use getVariable for a full value."),
            "/variables/search",
            vec![
                filter(vec![
                    Field::new("isTruncated", Shape::Bool, "Whether the stored value is truncated."),
                    string("name", "Variable name."),
                    key_string("processInstanceKey", "Key of the process instance."),
                    key_string("scopeKey", "Key of the scope (process or element instance) holding the variable."),
                    string("value", "Value as JSON text, e.g. \"\\\"EUR\\\"\"."),
                    key_string("variableKey", "Key of the variable."),
                ]),
                sort(vec!["value", "name", "tenantId", "variableKey", "scopeKey", "processInstanceKey"]),
                page(true),
                truncate_values(),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_listed_once_in_camundas_order() {
        let c = Catalogue::new(ApiVersion::V8_9, HintMode::Camunda);
        let names: Vec<&str> = c.tools().iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "getClusterStatus",
                "getTopology",
                "getIncident",
                "resolveIncident",
                "searchIncidents",
                "getProcessDefinition",
                "getProcessDefinitionXml",
                "searchProcessDefinitions",
                "createProcessInstance",
                "getProcessInstance",
                "searchProcessInstances",
                "assignUserTask",
                "completeUserTask",
                "getUserTask",
                "searchUserTaskVariables",
                "searchUserTasks",
                "getVariable",
                "searchVariables",
            ]
        );
        let listed: Value = serde_json::from_str(c.list_json()).unwrap();
        assert_eq!(listed["tools"].as_array().unwrap().len(), 18);
    }

    #[test]
    fn path_arguments_exist_and_reads_say_they_are_eventually_consistent() {
        for v in [ApiVersion::V8_9, ApiVersion::V8_10] {
            for t in Catalogue::new(v, HintMode::Camunda).tools() {
                for f in t.fields.iter().filter(|f| f.target == Target::Path) {
                    assert!(t.path.contains(&format!("{{{}}}", f.name)), "{}", t.name);
                }
                let read_by_key =
                    t.read_only && t.name != "getClusterStatus" && t.name != "getTopology";
                assert_eq!(
                    read_by_key,
                    t.description.contains("eventually consistent"),
                    "{}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn newer_fields_only_for_8_10() {
        let text = |v| Catalogue::new(v, HintMode::Camunda).list_json().to_owned();
        for item in ["suspendedDate", "SECRET_RESOLUTION_ERROR", "SUSPENDED"] {
            assert!(!text(ApiVersion::V8_9).contains(item), "{item}");
            assert!(text(ApiVersion::V8_10).contains(item), "{item}");
        }
        let path = |v| {
            Catalogue::new(v, HintMode::Camunda)
                .get("searchUserTaskVariables")
                .unwrap()
                .path
        };
        assert_eq!(
            path(ApiVersion::V8_9),
            "/user-tasks/{userTaskKey}/variables/search"
        );
        assert_eq!(
            path(ApiVersion::V8_10),
            "/user-tasks/{userTaskKey}/effective-variables/search"
        );
    }
}
