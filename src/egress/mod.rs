//! Regional egress: the cluster work of an admitted call, run here or next to the cluster.
//!
//! One build has two roles. The *edge* (the public Worker, at the caller's location) judges
//! every caller and every call; a call it admits runs either here, as always, or — when the
//! route's region has an egress ([`Settings::bindings`]) — in the *egress* Worker placed in the
//! cluster's cloud region, reached over a service binding. The egress runs every REST call of
//! the call (multi-step flows and the machine token's fetch included) and hands the result
//! back ([`runner`]). A tool of four sequential REST calls then crosses the distance between
//! caller and cluster once instead of four times.
//!
//! [`Work`] is where the two paths part: the server asks it for a tool's, a process tool's or
//! the process list's result and does not know where they ran.

mod envelope;
mod handover;
mod remote;
pub mod runner;

use std::cell::{Cell, RefCell};

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::camunda::client::{Called, Cluster};
use crate::camunda::flow;
use crate::camunda::processes::{Outcome, Unavailable};
use crate::camunda::results::ToolError;
use crate::camunda::schema::Arguments;
use crate::camunda::tools::Tool;
use crate::ports::HttpClient;

pub use envelope::Key;
use envelope::{Done, Job};
pub use handover::HopError;
pub use remote::{Remote, Role, Settings, DEFAULT_REGION};

/// The cluster work of one request, and where it runs.
pub struct Work<'c, 'a, C> {
    pub cluster: &'c Cluster<'a, C>,
    remote: Option<Remote<'a>>,
    handed_over: Cell<bool>,
    /// Where the egress ran, as Cloudflare said.
    placement: RefCell<Option<String>>,
}

impl<'c, 'a, C: HttpClient> Work<'c, 'a, C> {
    /// Runs on `cluster` from here, or through `remote`.
    pub fn new(cluster: &'c Cluster<'a, C>, remote: Option<Remote<'a>>) -> Self {
        Work {
            cluster,
            remote,
            handed_over: Cell::new(false),
            placement: RefCell::default(),
        }
    }

    /// The binding a call was handed over through, once one was (for the records).
    pub fn handed_over(&self) -> Option<&'a str> {
        self.handed_over
            .get()
            .then(|| self.remote.map(|r| r.binding))
            .flatten()
    }

    /// Where Cloudflare ran the egress of a hand-over (its `cf-placement`), if it said.
    pub fn placement(&self) -> Option<String> {
        self.placement.borrow().clone()
    }

    /// `tool` with `arguments` (read from `raw`, which is what a hand-over carries).
    pub async fn tool(&self, tool: &Tool, arguments: Arguments<'_>, raw: Option<&str>) -> Called {
        let Some(remote) = self.remote else {
            return flow::call(self.cluster, tool, arguments).await;
        };
        let job = raw_json(raw).map(|arguments| Job::Tool {
            name: tool.name.to_owned(),
            arguments,
        });
        self.hand_over(remote, job, Done::into_tool_result, Err)
            .await
    }

    /// The caller's process tools.
    pub async fn process_tools(&self) -> Called<Result<Vec<Value>, ToolError>> {
        let Some(remote) = self.remote else {
            return self.cluster.process_tools().await;
        };
        let read = |done| match done {
            Done::Tools(tools) => Some(Ok(tools)),
            other => other.into_tool_result().and_then(|r| r.err()).map(Err),
        };
        self.hand_over(remote, Ok(Job::ProcessList), read, Err)
            .await
    }

    /// The process tool `name` with `arguments` (read from `raw`, which a hand-over carries).
    pub async fn process(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        raw: Option<&str>,
        correlation_key: &str,
    ) -> Called<Outcome> {
        let Some(remote) = self.remote else {
            let call = self
                .cluster
                .call_process_tool(name, arguments, correlation_key);
            return call.await;
        };
        let job = raw_json(raw).map(|arguments| Job::Process {
            name: name.to_owned(),
            arguments,
            correlation_key: correlation_key.to_owned(),
        });
        let read = |done| match done {
            Done::Unavailable {
                name,
                removed: true,
            } => Some(Outcome::Unavailable(Unavailable::Removed(name))),
            Done::Unavailable {
                name,
                removed: false,
            } => Some(Outcome::Unavailable(Unavailable::NotFound(name))),
            other => other.into_tool_result().map(Outcome::Result),
        };
        self.hand_over(remote, job, read, |err| Outcome::Result(Err(err)))
            .await
    }

    /// Sends `job` to `remote` and reads what came of it with `read` (`None`: an answer of
    /// another kind than the job's, which counts as garbage); a job that could not be written,
    /// or a failed hand-over, becomes `fail` of the tool error that says why.
    async fn hand_over<T>(
        &self,
        remote: Remote<'_>,
        job: Result<Job, ToolError>,
        read: impl FnOnce(Done) -> Option<T>,
        fail: impl FnOnce(ToolError) -> T,
    ) -> Called<T> {
        let job = match job {
            Ok(job) => job,
            Err(err) => {
                return Called {
                    result: fail(err),
                    upstream: None,
                }
            }
        };
        self.handed_over.set(true);
        let back = match handover::send(self.cluster, &remote, job).await {
            Ok(back) => back,
            Err(err) => {
                return Called {
                    result: fail(err.to_tool_error(&remote)),
                    upstream: None,
                }
            }
        };
        self.placement.replace(back.placement);
        match read(back.done) {
            Some(result) => Called {
                result,
                upstream: back.upstream,
            },
            None => Called {
                result: fail(HopError::WrongKind.to_tool_error(&remote)),
                upstream: None,
            },
        }
    }
}

/// Arguments as a hand-over carries them: the caller's JSON text, already read once by the
/// edge (so never refused here in practice; if it were, the call fails rather than running
/// without them).
fn raw_json(raw: Option<&str>) -> Result<Option<Box<RawValue>>, ToolError> {
    raw.map(|raw| RawValue::from_string(raw.to_owned()))
        .transpose()
        .map_err(|e| ToolError::InvalidArgument(format!("arguments: {e}")))
}
