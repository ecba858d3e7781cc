//! The Camunda side: the tool catalogue, argument checking and mapping, REST calls, results.

pub mod bpmn;
pub mod client;
pub mod credentials;
pub mod flow;
pub mod processes;
pub mod results;
pub mod schema;
pub mod tools;
pub mod toolsets;
