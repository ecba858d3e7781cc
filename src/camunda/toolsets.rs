//! Operator toolsets: tools beyond Camunda's 18, for agents that must act on a cluster, not only
//! read it. Off unless `MCP_TOOLSETS` names them. Each tool is named after the REST v2 operation
//! it calls (the 8.9 spec's `operationId`), so a tool and its REST call map one to one; rows are
//! built from the same field helpers as the 18, so schemas, argument checks and error texts are
//! the same.

use super::schema::{Field, Shape};
use super::tools::{
    dates, filter, key, key_string, one_of, page, read_doc, sort, string, Catalogue, Effects, Flow,
    HintMode, Reply, Tool, ToolUi, ViewFlow, Visibility, READ_EFFECTS,
};
use crate::http::Method;
use crate::routes::ApiVersion;
use crate::view::PROCESS_VIEW;

/// A group of operator tools, enabled together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolset {
    Messages,
    Operate,
    Jobs,
    Decisions,
    Deploy,
    Audit,
    /// The process view (an MCP App) and the tools that feed it.
    Views,
}

impl Toolset {
    pub const ALL: [Toolset; 7] = [
        Toolset::Messages,
        Toolset::Operate,
        Toolset::Jobs,
        Toolset::Decisions,
        Toolset::Deploy,
        Toolset::Audit,
        Toolset::Views,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Toolset::Messages => "messages",
            Toolset::Operate => "operate",
            Toolset::Jobs => "jobs",
            Toolset::Decisions => "decisions",
            Toolset::Deploy => "deploy",
            Toolset::Audit => "audit",
            Toolset::Views => "views",
        }
    }

    pub fn parse(s: &str) -> Option<Toolset> {
        Toolset::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The tools of this set, in a stable order.
    pub fn tools(self) -> Vec<Tool> {
        match self {
            Toolset::Messages => messages(),
            Toolset::Operate => operate(),
            Toolset::Jobs => jobs(),
            Toolset::Decisions => decisions(),
            Toolset::Deploy => deploy(),
            Toolset::Audit => audit(),
            Toolset::Views => views(),
        }
    }
}

fn op(
    name: &'static str,
    description: &'static str,
    method: Method,
    path: &'static str,
    fields: Vec<Field>,
    reply: Reply,
    effects: Option<Effects>,
) -> Tool {
    Tool {
        name,
        description,
        read_only: effects.is_none(),
        effects: effects.unwrap_or(READ_EFFECTS),
        method,
        path,
        fields,
        reply,
        flow: Flow::Plain,
        ui: None,
    }
}

fn search(
    name: &'static str,
    description: &'static str,
    path: &'static str,
    fields: Vec<Field>,
    sorts: Vec<&'static str>,
) -> Tool {
    op(
        name,
        description,
        Method::Post,
        path,
        vec![filter(fields), page(true), sort(sorts)],
        Reply::Json,
        None,
    )
}

fn variables(description: &'static str) -> Field {
    Field::new("variables", Shape::AnyObject, description)
}

fn tenant() -> Field {
    string("tenantId", "Tenant, in multi-tenant clusters.")
}

fn bool_field(name: &'static str, description: &'static str) -> Field {
    Field::new(name, Shape::Bool, description)
}

const MESSAGE_STATES: [&str; 4] = ["CORRELATED", "CREATED", "DELETED", "MIGRATED"];

fn messages() -> Vec<Tool> {
    let message_fields = |extra: Vec<Field>| {
        let mut fields = vec![
            string("name", "Message name, as in the BPMN message definition.").required(),
            string("correlationKey", "Value that selects the waiting subscription (the process's correlation key expression). Empty for message start events."),
        ];
        fields.extend(extra);
        fields.push(variables(
            "Variables to set on the instance that receives the message, as a JSON object.",
        ));
        fields.push(tenant());
        fields
    };
    vec![
        op(
            "publishMessage",
            "Publishes a message that waiting or future subscriptions with the same name and correlation key receive (buffered for timeToLive). Starts instances of processes with a matching message start event. Returns the message key; check searchMessageSubscriptions first to see who is waiting.",
            Method::Post,
            "/messages/publication",
            message_fields(vec![
                Field::new("timeToLive", Shape::Int64, "How long the message is buffered for subscriptions that open later, in milliseconds (0: not buffered)."),
                string("messageId", "Unique id: a second message with the same id is rejected while the first is buffered."),
            ]),
            Reply::Json,
            Some(Effects {
                destructive: false,
                idempotent: false,
                open_world: true,
                why: "Adds a message and touches nothing existing; each call publishes another (unless messageId repeats); receiving processes then run on.",
            }),
        ),
        op(
            "correlateMessage",
            "Delivers a message to exactly one waiting subscription now (or starts one instance via a message start event) and returns the process instance it reached; fails with NOT_FOUND when nothing waits. Prefer this to publishMessage when the agent needs to know who received it.",
            Method::Post,
            "/messages/correlation",
            message_fields(vec![]),
            Reply::Json,
            Some(Effects {
                destructive: false,
                idempotent: false,
                open_world: true,
                why: "Moves one waiting instance on (or starts one); a repeat reaches another subscription or none; the instance then runs on.",
            }),
        ),
        search(
            "searchMessageSubscriptions",
            read_doc!("Finds message subscriptions: which process instances (or start events) wait for which message name and correlation key."),
            "/message-subscriptions/search",
            vec![
                string("messageName", "Message name."),
                string("correlationKey", "Correlation key the subscription waits for."),
                one_of("messageSubscriptionState", MESSAGE_STATES.to_vec(), "Subscription state."),
                string("processDefinitionId", "BPMN process id."),
                key_string("processDefinitionKey", "Key of the process definition."),
                key_string("processInstanceKey", "Key of the waiting process instance."),
                string("elementId", "BPMN id of the waiting element."),
                key_string("elementInstanceKey", "Key of the waiting element instance."),
                key_string("messageSubscriptionKey", "Key of the subscription."),
                dates("lastUpdatedDate", "When the subscription last changed."),
                tenant(),
            ],
            vec!["messageSubscriptionKey", "processDefinitionId", "processInstanceKey", "elementId", "elementInstanceKey", "messageSubscriptionState", "lastUpdatedDate", "messageName", "correlationKey", "tenantId"],
        ),
    ]
}

fn operate() -> Vec<Tool> {
    vec![
        op(
            "cancelProcessInstance",
            "Cancels a running process instance and everything in it (child instances, jobs, user tasks). It cannot be undone: check getProcessInstance first and cancel only what the user asked for.",
            Method::Post,
            "/process-instances/{processInstanceKey}/cancellation",
            vec![key("processInstanceKey", "Process instance key", "Key of the process instance to cancel.")],
            Reply::Text("Process instance with key {processInstanceKey} canceled."),
            Some(Effects {
                destructive: true,
                idempotent: true,
                open_world: false,
                why: "Ends the instance for good; a repeat finds it ended and changes nothing; nothing runs on.",
            }),
        ),
        op(
            "createElementInstanceVariables",
            "Sets variables on a process instance or element instance scope (the key of either), overwriting variables of the same name; with local, only in that scope. Read the current values with searchVariables first.",
            Method::Put,
            "/element-instances/{elementInstanceKey}/variables",
            vec![
                key("elementInstanceKey", "Element instance key", "Key of the scope: a process instance key or an element instance key."),
                variables("Variables to set, as a JSON object.").required(),
                bool_field("local", "Set them in this scope only, not propagated to a parent scope (default false)."),
            ],
            Reply::Text("Variables set on scope {elementInstanceKey}."),
            Some(Effects {
                destructive: true,
                idempotent: true,
                open_world: false,
                why: "Overwrites variables of the same name; setting the same values again changes nothing; it moves no token.",
            }),
        ),
        search(
            "searchElementInstances",
            read_doc!("Finds element instances (the steps of process instances: tasks, events, gateways) with their state and incident flag: where an instance is, or where it got stuck."),
            "/element-instances/search",
            vec![
                key_string("processInstanceKey", "Key of the process instance."),
                one_of("state", vec!["ACTIVE", "COMPLETED", "TERMINATED"], "Element instance state."),
                one_of("type", vec![
                    "UNSPECIFIED", "PROCESS", "SUB_PROCESS", "EVENT_SUB_PROCESS", "AD_HOC_SUB_PROCESS", "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
                    "START_EVENT", "INTERMEDIATE_CATCH_EVENT", "INTERMEDIATE_THROW_EVENT", "BOUNDARY_EVENT", "END_EVENT", "SERVICE_TASK",
                    "RECEIVE_TASK", "USER_TASK", "MANUAL_TASK", "TASK", "EXCLUSIVE_GATEWAY", "INCLUSIVE_GATEWAY", "PARALLEL_GATEWAY",
                    "EVENT_BASED_GATEWAY", "SEQUENCE_FLOW", "MULTI_INSTANCE_BODY", "CALL_ACTIVITY", "BUSINESS_RULE_TASK", "SCRIPT_TASK",
                    "SEND_TASK", "UNKNOWN",
                ], "BPMN element type."),
                string("elementId", "BPMN id of the element."),
                string("elementName", "Name of the element."),
                Field::new("hasIncident", Shape::Bool, "Whether the element instance has an incident."),
                string("processDefinitionId", "BPMN process id."),
                key_string("processDefinitionKey", "Key of the process definition."),
                key_string("elementInstanceKey", "Key of the element instance."),
                key_string("incidentKey", "Key of its incident."),
                dates("startDate", "When the element instance started."),
                dates("endDate", "When it ended."),
                tenant(),
            ],
            vec!["elementInstanceKey", "processInstanceKey", "processDefinitionKey", "processDefinitionId", "startDate", "endDate", "elementId", "elementName", "type", "state", "incidentKey", "tenantId"],
        ),
        op(
            "getProcessInstanceStatistics",
            read_doc!("Counts a process instance's element instances per element: how many are active, completed, canceled or have incidents at each BPMN element."),
            Method::Get,
            "/process-instances/{processInstanceKey}/statistics/element-instances",
            vec![key("processInstanceKey", "Process instance key", "Key of the process instance.")],
            Reply::Json,
            None,
        ),
    ]
}

fn jobs() -> Vec<Tool> {
    let job = || key("jobKey", "Job key", "Key of the job.");
    let job_effects = |why| Effects {
        destructive: true,
        idempotent: true,
        open_world: true,
        why,
    };
    vec![
        search(
            "searchJobs",
            read_doc!("Finds jobs (work items of service tasks and listeners) by type, state, worker, retries or instance: what is waiting to be worked, and what failed."),
            "/jobs/search",
            vec![
                string("type", "Job type, as in the task definition."),
                one_of("state", vec!["CANCELED", "COMPLETED", "CREATED", "ERROR_THROWN", "FAILED", "MIGRATED", "RETRIES_UPDATED", "TIMED_OUT"], "Job state."),
                one_of("kind", vec!["BPMN_ELEMENT", "EXECUTION_LISTENER", "TASK_LISTENER", "AD_HOC_SUB_PROCESS"], "What created the job."),
                string("worker", "Name of the worker that activated it."),
                Field::new("retries", Shape::Int32, "Retries left."),
                Field::new("hasFailedWithRetriesLeft", Shape::Bool, "Whether it failed and has retries left."),
                key_string("jobKey", "Key of the job."),
                key_string("processInstanceKey", "Key of the process instance."),
                key_string("processDefinitionKey", "Key of the process definition."),
                string("processDefinitionId", "BPMN process id."),
                string("elementId", "BPMN id of the element."),
                key_string("elementInstanceKey", "Key of the element instance."),
                string("errorCode", "Error code it was failed or thrown with."),
                string("errorMessage", "Error message it was failed with."),
                dates("deadline", "Activation deadline."),
                dates("creationTime", "When the job was created."),
                tenant(),
            ],
            vec!["deadline", "deniedReason", "elementId", "elementInstanceKey", "endTime", "errorCode", "errorMessage", "hasFailedWithRetriesLeft", "isDenied", "jobKey", "kind", "listenerEventType", "processDefinitionId", "processDefinitionKey", "processInstanceKey", "retries", "state", "tenantId", "type", "worker"],
        ),
        op(
            "completeJob",
            "Completes an activated job as its worker would, optionally setting variables, so that the instance continues past the task. Only for jobs no worker handles: a worker may also complete it.",
            Method::Post,
            "/jobs/{jobKey}/completion",
            vec![job(), variables("Variables to set on the job's scope, as a JSON object.")],
            Reply::Text("Job with key {jobKey} completed."),
            Some(job_effects("Ends the job for good and may overwrite variables; a repeat finds it gone; the instance then runs on.")),
        ),
        op(
            "failJob",
            "Reports a job as failed: with retries left it is retried (after retryBackOff), with none an incident is raised. Give the reason in errorMessage.",
            Method::Post,
            "/jobs/{jobKey}/failure",
            vec![
                job(),
                Field::new("retries", Shape::Int32, "Retries left after this failure (0 raises an incident)."),
                string("errorMessage", "Why the job failed (shown on the incident)."),
                Field::new("retryBackOff", Shape::Int64, "Wait before the next retry, in milliseconds."),
                variables("Variables to set on the job's scope, as a JSON object."),
            ],
            Reply::Text("Job with key {jobKey} failed."),
            Some(job_effects("Replaces the job's retries and may raise an incident; a repeat finds it no longer activated; a retry runs its worker again.")),
        ),
        op(
            "throwJobError",
            "Throws a BPMN error from a job, caught by a matching error boundary or event sub-process (an incident when nothing catches it). errorCode must match the error definition in the model.",
            Method::Post,
            "/jobs/{jobKey}/error",
            vec![
                job(),
                string("errorCode", "Code of the BPMN error to throw.").required(),
                string("errorMessage", "Message for the error (shown on an incident)."),
                variables("Variables to set, available to the catching element, as a JSON object."),
            ],
            Reply::Text("Error {errorCode} thrown from job with key {jobKey}."),
            Some(job_effects("Ends the job and diverts the instance to the catching path; a repeat finds it gone; that path runs on.")),
        ),
        op(
            "updateJob",
            "Changes a job's retries or timeout. Raising retries on a job with an incident does not resolve the incident: use resolveIncident.",
            Method::Patch,
            "/jobs/{jobKey}",
            vec![
                job(),
                Field::new("changeset", Shape::Object(vec![
                    Field::new("retries", Shape::Int32, "New number of retries."),
                    Field::new("timeout", Shape::Int64, "New activation timeout, in milliseconds from now."),
                ]), "What to change.").required(),
            ],
            Reply::Text("Job with key {jobKey} updated."),
            Some(Effects {
                destructive: true,
                idempotent: true,
                open_world: false,
                why: "Overwrites retries or timeout; the same change again leaves the same state; it runs nothing itself.",
            }),
        ),
    ]
}

fn decisions() -> Vec<Tool> {
    vec![
        search(
            "searchDecisionDefinitions",
            read_doc!("Finds deployed DMN decisions by id, name, version or requirements graph; isLatestVersion narrows to the newest version of each."),
            "/decision-definitions/search",
            vec![
                string("decisionDefinitionId", "DMN decision id."),
                string("name", "Decision name."),
                Field::new("isLatestVersion", Shape::Bool, "Only the latest version of each decision."),
                Field::new("version", Shape::Int32, "Version."),
                string("decisionRequirementsId", "Id of the decision requirements graph (DRD)."),
                key_string("decisionDefinitionKey", "Key of the decision definition."),
                key_string("decisionRequirementsKey", "Key of the decision requirements."),
                string("decisionRequirementsName", "Name of the decision requirements."),
                Field::new("decisionRequirementsVersion", Shape::Int32, "Version of the decision requirements."),
                tenant(),
            ],
            vec!["decisionDefinitionKey", "decisionDefinitionId", "name", "version", "decisionRequirementsId", "decisionRequirementsKey", "decisionRequirementsName", "decisionRequirementsVersion", "tenantId"],
        ),
        op(
            "getDecisionDefinitionXML",
            read_doc!("Fetches the DMN XML of a decision definition: its tables, inputs, outputs and rules."),
            Method::Get,
            "/decision-definitions/{decisionDefinitionKey}/xml",
            vec![key("decisionDefinitionKey", "Decision definition key", "Key of the decision definition.")],
            Reply::Xml("No DMN XML found for decision definition with key {decisionDefinitionKey}."),
            None,
        ),
        Tool {
            flow: Flow::ExactlyOne(["decisionDefinitionKey", "decisionDefinitionId"]),
            ..op(
                "evaluateDecision",
                "Evaluates a DMN decision with the given variables and returns its output and the matched rules, identified by exactly one of decisionDefinitionKey or decisionDefinitionId (the latest version). Each evaluation is recorded as a decision instance.",
                Method::Post,
                "/decision-definitions/evaluation",
                vec![
                    key_string("decisionDefinitionKey", "Key of the exact decision definition to evaluate."),
                    string("decisionDefinitionId", "DMN decision id; evaluates its latest version."),
                    variables("Input variables, as a JSON object."),
                    tenant(),
                ],
                Reply::Json,
                Some(Effects {
                    destructive: false,
                    idempotent: false,
                    open_world: false,
                    why: "Only adds a record of the evaluation; each call adds another; it moves no process and calls nothing outside.",
                }),
            )
        },
        search(
            "searchDecisionInstances",
            read_doc!("Finds decision evaluations (decision instances) by decision, state, process instance or date: what a decision returned, and why an evaluation failed."),
            "/decision-instances/search",
            vec![
                string("decisionDefinitionId", "DMN decision id."),
                key_string("decisionDefinitionKey", "Key of the decision definition."),
                string("decisionDefinitionName", "Decision name."),
                Field::new("decisionDefinitionVersion", Shape::Int32, "Decision version."),
                one_of("decisionDefinitionType", vec!["DECISION_TABLE", "LITERAL_EXPRESSION", "UNSPECIFIED", "UNKNOWN"], "Kind of decision."),
                one_of("state", vec!["EVALUATED", "FAILED", "UNSPECIFIED", "UNKNOWN"], "Evaluation state."),
                string("evaluationFailure", "Failure message of a failed evaluation."),
                dates("evaluationDate", "When the decision was evaluated."),
                key_string("decisionEvaluationKey", "Key of the evaluation."),
                key_string("decisionEvaluationInstanceKey", "Key of the decision instance."),
                key_string("processDefinitionKey", "Key of the process definition that evaluated it."),
                key_string("processInstanceKey", "Key of the process instance that evaluated it."),
                key_string("elementInstanceKey", "Key of the business rule task instance."),
                tenant(),
            ],
            vec!["decisionDefinitionId", "decisionDefinitionKey", "decisionDefinitionName", "decisionDefinitionType", "decisionDefinitionVersion", "decisionEvaluationInstanceKey", "decisionEvaluationKey", "elementInstanceKey", "evaluationDate", "evaluationFailure", "processDefinitionKey", "processInstanceKey", "rootDecisionDefinitionKey", "state", "tenantId"],
        ),
    ]
}

fn deploy() -> Vec<Tool> {
    let resource = Shape::Object(vec![
        string(
            "name",
            "File name; its extension says what it is: .bpmn, .dmn or .form.",
        )
        .required(),
        string(
            "content",
            "The whole file as text (BPMN or DMN XML, or form JSON).",
        )
        .required(),
    ]);
    vec![
        Tool {
            flow: Flow::Deploy,
            ..op(
                "createDeployment",
                "Deploys BPMN processes, DMN decisions and forms, given as file name and text, as one deployment; returns what was deployed with keys and versions. A changed file becomes a new version that new instances use; an unchanged one is not deployed again. Review the model first: running instances keep their version.",
                Method::Post,
                "/deployments",
                vec![
                    Field::new("resources", Shape::Array(Box::new(resource)), "The files to deploy.").required(),
                    tenant(),
                ],
                Reply::Json,
                Some(Effects {
                    destructive: true,
                    idempotent: true,
                    open_world: false,
                    why: "A new version replaces the latest for every new instance; deploying the same files again changes nothing; nothing runs until started.",
                }),
            )
        },
        op(
            "deleteResource",
            "Deletes a deployed resource (a process definition, decision requirements or form) by its key; running instances of a process must be gone first. With deleteHistory, its history goes too. It cannot be undone.",
            Method::Post,
            "/resources/{resourceKey}/deletion",
            vec![
                key("resourceKey", "Resource key", "Key of the resource: a process definition key, decision requirements key or form key."),
                bool_field("deleteHistory", "Also delete the resource's history (instances, audit data) (default false)."),
            ],
            Reply::Json,
            Some(Effects {
                destructive: true,
                idempotent: true,
                open_world: false,
                why: "Removes the resource for good; a repeat finds it gone; nothing runs.",
            }),
        ),
    ]
}

fn audit() -> Vec<Tool> {
    vec![search(
        "searchAuditLogs",
        read_doc!("Finds audit log entries: who (actor) did what (operation) to which entity, when, and whether it succeeded. Clusters keep them only where audit logging is on."),
        "/audit-logs/search",
        vec![
            one_of("operationType", vec!["ASSIGN", "CANCEL", "COMPLETE", "CREATE", "DELETE", "EVALUATE", "MIGRATE", "MODIFY", "RESOLVE", "RESUME", "SUSPEND", "UNASSIGN", "UNKNOWN", "UPDATE"], "What was done."),
            one_of("entityType", vec!["AUTHORIZATION", "BATCH", "DECISION", "GROUP", "INCIDENT", "JOB", "MAPPING_RULE", "PROCESS_INSTANCE", "RESOURCE", "ROLE", "TENANT", "USER", "USER_TASK", "VARIABLE", "CLIENT"], "Kind of entity it was done to."),
            key_string("entityKey", "Key of the entity."),
            one_of("result", vec!["FAIL", "SUCCESS"], "Whether it succeeded."),
            string("actorId", "Who did it (user or client id)."),
            one_of("actorType", vec!["ANONYMOUS", "CLIENT", "UNKNOWN", "USER"], "Kind of actor."),
            one_of("category", vec!["ADMIN", "DEPLOYED_RESOURCES", "USER_TASKS"], "Area of the operation."),
            dates("timestamp", "When it happened."),
            key_string("processInstanceKey", "Key of the process instance concerned."),
            key_string("processDefinitionKey", "Key of the process definition concerned."),
            string("processDefinitionId", "BPMN process id concerned."),
            key_string("jobKey", "Key of the job concerned."),
            tenant(),
        ],
        vec!["actorId", "actorType", "auditLogKey", "batchOperationKey", "batchOperationType", "category", "decisionDefinitionId", "decisionDefinitionKey", "decisionEvaluationKey", "decisionRequirementsId", "decisionRequirementsKey", "elementInstanceKey", "entityKey", "entityType", "jobKey", "operationType", "processDefinitionId", "processDefinitionKey", "processInstanceKey", "result", "tenantId", "timestamp", "userTaskKey"],
    )]
}

/// The process view's tools: two the model calls, whose results the view draws, and three only
/// the view calls, for what the model need not read (the BPMN XML above all).
fn views() -> Vec<Tool> {
    // The row's REST call is the flow's first; the flow makes the others.
    let view = |name, description, (method, path), field, flow, visibility| Tool {
        flow: Flow::View(flow),
        ui: Some(ToolUi {
            view: &PROCESS_VIEW,
            visibility,
        }),
        ..op(
            name,
            description,
            method,
            path,
            vec![field],
            Reply::Json,
            None,
        )
    };
    let instance = || {
        key(
            "processInstanceKey",
            "Process instance key",
            "Key of the process instance (a positive int64).",
        )
    };
    let definition = || {
        key(
            "processDefinitionKey",
            "Process definition key",
            "Key of the process definition (a positive int64).",
        )
    };
    vec![
        view(
            "showProcessInstance",
            read_doc!("Shows a process instance as its BPMN diagram (in hosts that render MCP Apps) and sums it up as text: its state, where its tokens wait, its open incidents with their messages. Use it to see why an instance is stuck."),
            (Method::Get, "/process-instances/{processInstanceKey}"),
            instance(),
            ViewFlow::ShowInstance,
            Visibility::ModelAndApp,
        ),
        view(
            "showProcessDefinition",
            read_doc!("Shows a process definition as its BPMN diagram (in hosts that render MCP Apps) with, per element, how many of its instances are active there and how many have an incident; the same counts as text."),
            (Method::Get, "/process-definitions/{processDefinitionKey}"),
            definition(),
            ViewFlow::ShowDefinition,
            Visibility::ModelAndApp,
        ),
        view(
            "viewProcessDiagram",
            read_doc!("The BPMN XML of a process definition, for the process view to draw."),
            (Method::Get, "/process-definitions/{processDefinitionKey}/xml"),
            definition(),
            ViewFlow::Diagram,
            Visibility::App,
        ),
        view(
            "viewProcessInstanceState",
            read_doc!("Per-element counts, open incidents and the sequence flows taken of a process instance, for the process view."),
            (Method::Get, "/process-instances/{processInstanceKey}/statistics/element-instances"),
            instance(),
            ViewFlow::InstanceState,
            Visibility::App,
        ),
        view(
            "viewProcessDefinitionState",
            read_doc!("Per-element counts of a process definition's instances (active, completed, canceled, with incidents), for the process view."),
            (Method::Post, "/process-definitions/{processDefinitionKey}/statistics/element-instances"),
            definition(),
            ViewFlow::DefinitionState,
            Visibility::App,
        ),
    ]
}

impl Catalogue {
    /// Camunda's 18 tools, then those of the operator toolsets named, in the order named.
    pub fn with_toolsets(version: ApiVersion, hints: HintMode, toolsets: &[Toolset]) -> Self {
        let operator = toolsets.iter().flat_map(|t| t.tools()).collect();
        Catalogue::with_operator_tools(version, hints, operator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camunda::schema::Target;

    #[test]
    fn names_are_unique_and_writes_say_why() {
        let all: Vec<Tool> = Toolset::ALL.iter().flat_map(|t| t.tools()).collect();
        let mut names: Vec<&str> = all.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for t in &all {
            assert_eq!(t.read_only, t.effects == READ_EFFECTS, "{}", t.name);
            if t.read_only {
                assert!(t.description.ends_with("may not show yet."), "{}", t.name);
            }
            for f in &t.fields {
                if f.target == Target::Path {
                    assert!(t.path.contains(&format!("{{{}}}", f.name)), "{}", t.name);
                }
            }
        }
        for name in [
            "cancelProcessInstance",
            "deleteResource",
            "createDeployment",
        ] {
            assert!(
                all.iter().any(|t| t.name == name && t.effects.destructive),
                "{name}"
            );
        }
        assert_eq!(Toolset::parse("jobs"), Some(Toolset::Jobs));
        assert_eq!(Toolset::parse("Jobs"), None);
    }
}
