//! The REST seam of one MCP request: which cluster, with whose credentials, and the calls a
//! tool call makes there ([`Calls`]), each with the caller's trace context.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::credentials::Credentials;
use super::results::{self, is_success, Call, ToolError};

use super::tools::Reply;
use crate::http::{FetchError, TraceContext, UpstreamRequest, UpstreamResponse};
use crate::ports::HttpClient;

/// How long the cluster may take and how much of its answers is read and handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamLimits {
    /// The whole upstream exchange, body included (a 504 problem after).
    pub request_timeout_ms: u32,
    /// Largest upstream response body read (a tool error above).
    pub max_upstream_bytes: usize,
    /// Longest tool result text handed to the model; longer results are cut, saying so.
    pub max_result_chars: usize,
    /// `page.limit` sent with searches that set none (0: send none, the cluster's default applies).
    pub default_page_limit: u32,
}

/// What a tool call came to, and the status of the cluster's last answer (for the log line,
/// and for Basic mode, where the cluster's 401 becomes the gateway's).
#[derive(Debug)]
pub struct Called<T = Result<String, ToolError>> {
    pub result: T,
    pub upstream: Option<u16>,
}

/// One cluster as seen by one MCP request: where it is and whose credentials to present.
pub struct Cluster<'a, C> {
    pub client: &'a C,
    /// Timeout and result limits.
    pub limits: &'a UpstreamLimits,
    /// REST base without `/v2` (with a physical tenant's prefix when routed to one).
    pub address: &'a str,
    /// The physical tenant the request was routed to, if any.
    pub tenant: Option<&'a str>,
    /// Whose credentials the cluster sees.
    pub credentials: Credentials<'a>,
    /// Seconds since the epoch (for the machine token's expiry).
    pub now: u64,
    /// W3C trace context to pass on, so a call can be followed from agent to cluster.
    pub trace: Option<&'a TraceContext>,
    /// When the whole tool call's time is up (ms since the epoch, by `client.now_ms()`): each
    /// REST call gets what is left, at most `limits.request_timeout_ms`. Set where one call
    /// stands for several (a hand-over); `None`: each REST call has the whole timeout.
    pub deadline_ms: Option<u64>,
}

impl<'a, C: HttpClient> Cluster<'a, C> {
    pub fn new(client: &'a C, limits: &'a UpstreamLimits, address: &'a str) -> Self {
        Cluster {
            client,
            limits,
            address,
            tenant: None,
            credentials: Credentials::Forward(None),
            now: 0,
            trace: None,
            deadline_ms: None,
        }
    }
}

/// The REST calls one tool call makes, and the status of the cluster's last answer: it travels
/// with the result ([`Calls::called`]) to the log line and to Basic mode, where the cluster's
/// 401 becomes the gateway's.
pub struct Calls<'c, 'a, C> {
    pub cluster: &'c Cluster<'a, C>,
    last: Option<u16>,
}

impl<'c, 'a, C: HttpClient> Calls<'c, 'a, C> {
    pub fn new(cluster: &'c Cluster<'a, C>) -> Self {
        Calls {
            cluster,
            last: None,
        }
    }

    /// `result`, with the status of the last answer.
    pub fn called<T>(self, result: T) -> Called<T> {
        Called {
            result,
            upstream: self.last,
        }
    }

    /// One REST call whose answer becomes the tool result: a JSON answer is compacted as it
    /// arrives (see `results::json_success`).
    pub(super) async fn send_for_result(
        &mut self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
    ) -> Result<UpstreamResponse, ToolError> {
        let compact = matches!(reply, Reply::Json).then_some(self.cluster.limits.max_result_chars);
        self.exchange(call, body, reply, compact).await
    }

    /// One REST call whose answer the gateway reads itself.
    pub(super) async fn send(
        &mut self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
    ) -> Result<UpstreamResponse, ToolError> {
        self.exchange(call, body, reply, None).await
    }

    /// One REST call whose JSON answer the gateway reads itself, as `T`: a failed answer is
    /// the cluster's problem, an unreadable one a 502 that says what was wrong with it.
    pub(super) async fn read_json<T: DeserializeOwned>(
        &mut self,
        call: &Call,
        body: Option<Value>,
    ) -> Result<T, ToolError> {
        let body = body.map(|b| Payload::json(b.to_string()));
        let resp = self.send(call, body, Reply::Json).await?;
        if !is_success(resp.status) {
            return Err(results::failure(&resp, call));
        }
        serde_json::from_slice(&resp.body).map_err(|e| {
            let what = if e.is_data() {
                "JSON of another shape than REST API v2 gives"
            } else {
                "not valid JSON"
            };
            let detail = format!("The cluster answered {call} with a body that is {what} ({e}).");
            ToolError::bad_gateway(detail, call)
        })
    }

    /// The next REST call's time: the timeout, or what is left before the deadline; `None`
    /// once nothing is left: a call that could not finish in time is not sent.
    fn timeout_ms(&self) -> Option<u32> {
        let limit = self.cluster.limits.request_timeout_ms;
        let Some(deadline) = self.cluster.deadline_ms else {
            return Some(limit);
        };
        let left = deadline.saturating_sub(self.cluster.client.now_ms());
        let left = u32::try_from(left).unwrap_or(u32::MAX).min(limit);
        (left > 0).then_some(left)
    }

    async fn exchange(
        &mut self,
        call: &Call,
        body: Option<Payload>,
        reply: Reply,
        compact: Option<usize>,
    ) -> Result<UpstreamResponse, ToolError> {
        let accept = match reply {
            Reply::Xml(_) => "text/xml, application/xml, application/problem+json",
            _ => "application/json, application/problem+json",
        };
        let mut headers = vec![("accept", accept.to_owned())];
        let bearer = |t: &str| format!("Bearer {t}");
        let machine = match self.cluster.credentials {
            Credentials::Forward(header) => {
                headers.extend(header.map(|h| ("authorization", h.to_owned())));
                None
            }
            Credentials::Bearer(token) => {
                headers.push(("authorization", bearer(token)));
                None
            }
            Credentials::Machine(source) => {
                let token = source.bearer(self.cluster.client, self.cluster.now).await.map_err(|why| {
                    ToolError::bad_gateway(format!("The gateway could not get its own token for the cluster from {} ({why}). Check CAMUNDA_OAUTH_URL, CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET.", source.token_url()),
                        call,
                    )
                })?;
                headers.push(("authorization", bearer(&token)));
                Some((source, token))
            }
        };
        if let Some(body) = &body {
            headers.push(("content-type", body.content_type.clone()));
        }
        if let Some(trace) = self.cluster.trace {
            headers.push(("traceparent", trace.parent.clone()));
            if let Some(state) = &trace.state {
                headers.push(("tracestate", state.clone()));
            }
        }
        let address = self.cluster.address;
        let late = || FetchError::Timeout(self.cluster.limits.request_timeout_ms);
        let timeout_ms = self
            .timeout_ms()
            .ok_or_else(|| ToolError::from_fetch(&late(), address, call))?;
        let req = UpstreamRequest {
            method: call.method,
            url: format!("{}{}", self.cluster.address, call.path),
            headers,
            body: body.map(|b| b.bytes),
            timeout_ms,
            max_bytes: self.cluster.limits.max_upstream_bytes,
            compact,
            via: None,
        };
        let resp = self
            .cluster
            .client
            .send(req)
            .await
            .map_err(|e| ToolError::from_fetch(&e, self.cluster.address, call))?;
        if let (Some((source, token)), 401) = (machine, resp.status) {
            // Revoked or signed with rotated keys: the next call fetches a new one.
            source.forget(&token);
        }
        self.last = Some(resp.status);
        Ok(resp)
    }
}

/// A request body and its media type.
pub(super) struct Payload {
    content_type: String,
    bytes: Vec<u8>,
}

impl Payload {
    pub(super) fn new(content_type: String, bytes: Vec<u8>) -> Self {
        Payload {
            content_type,
            bytes,
        }
    }

    pub(super) fn json(text: String) -> Self {
        Payload {
            content_type: "application/json".to_owned(),
            bytes: text.into_bytes(),
        }
    }
}
