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
use crate::camunda::processes;
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
        let arguments = raw.and_then(|r| RawValue::from_string(r.to_owned()).ok());
        let job = Job::Tool {
            name: tool.name.to_owned(),
            arguments,
        };
        self.hand_over(remote, job, |done| match done {
            Done::Result(result) => Some(Ok(result.get().to_owned())),
            Done::Problem(problem) => Some(Err(ToolError::Problem(problem))),
            Done::Invalid(text) => Some(Err(ToolError::InvalidArgument(text))),
            _ => None,
        })
        .await
        .unwrap_or_else(|err| Called {
            result: Err(err),
            upstream: None,
        })
    }

    /// The caller's process tools.
    pub async fn process_tools(&self) -> Called<Result<Vec<Value>, ToolError>> {
        let Some(remote) = self.remote else {
            return self.cluster.process_tools().await;
        };
        self.hand_over(remote, Job::ProcessList, |done| match done {
            Done::Tools(tools) => Some(Ok(tools)),
            Done::Problem(problem) => Some(Err(ToolError::Problem(problem))),
            _ => None,
        })
        .await
        .unwrap_or_else(|err| Called {
            result: Err(err),
            upstream: None,
        })
    }

    /// The process tool `name` with `arguments`.
    pub async fn process(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        correlation_key: &str,
    ) -> Called<processes::Outcome> {
        use processes::{Outcome, Unavailable};
        let Some(remote) = self.remote else {
            let call = self
                .cluster
                .call_process_tool(name, arguments, correlation_key);
            return call.await;
        };
        let job = Job::Process {
            name: name.to_owned(),
            arguments,
            correlation_key: correlation_key.to_owned(),
        };
        self.hand_over(remote, job, |done| match done {
            Done::Result(result) => Some(Outcome::Result(Ok(result.get().to_owned()))),
            Done::Problem(problem) => Some(Outcome::Result(Err(ToolError::Problem(problem)))),
            Done::Invalid(text) => Some(Outcome::Result(Err(ToolError::InvalidArgument(text)))),
            Done::Unavailable { name, removed } => Some(Outcome::Unavailable(match removed {
                true => Unavailable::Removed(name),
                false => Unavailable::NotFound(name),
            })),
            Done::Tools(_) => None,
        })
        .await
        .unwrap_or_else(|err| Called {
            result: Outcome::Result(Err(err)),
            upstream: None,
        })
    }

    /// Sends `job` to `remote` and reads what came of it with `read` (`None`: an answer of
    /// another kind than the job's, which the hand-over reports as garbage).
    async fn hand_over<T>(
        &self,
        remote: Remote<'_>,
        job: Job,
        read: impl FnOnce(Done) -> Option<T>,
    ) -> Result<Called<T>, ToolError> {
        self.handed_over.set(true);
        let back = handover::send(self.cluster, &remote, job).await;
        let back = back.map_err(|e| e.to_tool_error(&remote))?;
        let upstream = back.upstream;
        self.placement.replace(back.placement);
        let result = read(back.done).ok_or_else(|| HopError::WrongKind.to_tool_error(&remote))?;
        Ok(Called { result, upstream })
    }
}
