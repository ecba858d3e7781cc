//! Ask before acting (`MCP_CONFIRM_WRITES`): a person confirms a covered tool call before it
//! reaches the cluster, through MCP 2026-07-28's multi round-trip requests, with nothing kept
//! on the server. The first `tools/call` is answered `input_required` with one form elicitation
//! and a `requestState` the gateway signs; the client asks the person and calls again with
//! their answer and the state echoed. The state binds who asked, where, which tool, a digest
//! of the exact arguments and an expiry: it cannot be moved to another caller, cluster, tool
//! or argument, and is worthless after its expiry. Replaying an accepted state within its
//! expiry repeats a call the same caller could make anyway; each use is in the audit record,
//! with the state's nonce, so repeats are visible.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::text::{shortened, visible};

/// Which calls are confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cover {
    /// Every tool that changes the cluster (the write class).
    Writes,
    /// The named tools only.
    Tools(Vec<String>),
}

/// The settings: what is covered, the signing keys (the first signs; all verify, so a key can
/// be rotated in), how long a question stays answerable.
#[derive(Clone, PartialEq)]
pub struct Confirm {
    pub cover: Cover,
    pub keys: Vec<[u8; 32]>,
    pub ttl_s: u64,
}

impl std::fmt::Debug for Confirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirm")
            .field("cover", &self.cover)
            .field("keys", &self.keys.len())
            .field("ttl_s", &self.ttl_s)
            .finish()
    }
}

/// The call a state is bound to. The arguments are bound as the client sent them (trimmed):
/// a client retries with the very arguments it sent, and any other text — another number
/// spelling, a re-encoded string — is another call, so nothing a parser might read differently
/// can slip through.
pub struct Call<'a> {
    /// Who asks (a stable identity of the caller, never a credential).
    pub caller: &'a str,
    /// The MCP endpoint and cluster the call goes to.
    pub route: &'a str,
    pub tool: &'a str,
    /// The call's `arguments` as sent (`None`: none).
    pub arguments: Option<&'a str>,
    pub now: u64,
}

/// What the retry carried.
pub struct Answer<'a> {
    pub request_state: Option<&'a str>,
    pub input_responses: Option<&'a str>,
}

/// What to do with a covered call.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Ask the person: the `input_required` result's members, and the new state's nonce.
    Ask(Value, String),
    /// The person accepted this very call: run it. The nonce goes to the audit record.
    Accepted(String),
    /// The person declined or cancelled: nothing is done.
    Declined(String),
    /// The state is not one the gateway gave for this call, or has expired.
    Refused(&'static str),
}

/// What a `requestState` shows: only its expiry and nonce. The call it is bound to (caller,
/// route, tool, arguments) is in its MAC, never in the clear: a state in a client's log tells
/// nothing about who asked or where.
#[derive(Serialize, Deserialize)]
struct State {
    v: u8,
    exp: u64,
    nonce: String,
}

/// The elicitation's key in `inputRequests` / `inputResponses`.
const KEY: &str = "confirm";

impl Confirm {
    pub fn covers(&self, tool: &str, writes: bool) -> bool {
        match &self.cover {
            Cover::Writes => writes,
            Cover::Tools(names) => names.iter().any(|n| n == tool),
        }
    }

    /// Decides a covered call from what its request carried.
    /// `message` is asked for only when the person is to be asked.
    pub fn decide(
        &self,
        call: &Call<'_>,
        answer: &Answer<'_>,
        message: impl FnOnce() -> String,
    ) -> Decision {
        let Some(raw) = answer.request_state else {
            return self.ask(call, message);
        };
        let Some(state) = self.open(raw, call) else {
            return Decision::Refused(
                "the requestState was not issued by this gateway for this call (caller, cluster, tool and arguments)",
            );
        };
        if call.now >= state.exp {
            return Decision::Refused("the confirmation has expired; call the tool again");
        }
        match response_action(answer.input_responses) {
            Some("accept") => Decision::Accepted(state.nonce),
            Some(_) => Decision::Declined(state.nonce),
            // No answer yet: ask again.
            None => self.ask(call, message),
        }
    }

    fn ask(&self, call: &Call<'_>, message: impl FnOnce() -> String) -> Decision {
        let mut nonce = [0u8; 16];
        getrandom::getrandom(&mut nonce).expect("the runtime provides randomness");
        let state = State {
            v: 2,
            exp: call.now + self.ttl_s,
            nonce: Base64UrlUnpadded::encode_string(&nonce),
        };
        let body = Base64UrlUnpadded::encode_string(
            &serde_json::to_vec(&state).expect("a state serialises"),
        );
        let request = json!({
            "method": "elicitation/create",
            "params": {
                "mode": "form",
                "message": message(),
                // Accept or decline is the whole answer: nothing to fill in.
                "requestedSchema": {"type": "object", "properties": {}},
            },
        });
        let sealed = format!("{body}.{}", tag(&self.keys[0], &body, call));
        Decision::Ask(
            json!({"inputRequests": {KEY: request}, "requestState": sealed}),
            state.nonce,
        )
    }

    /// The state, if one of the keys signed it for this very call.
    fn open(&self, raw: &str, call: &Call<'_>) -> Option<State> {
        let (body, tag_text) = raw.split_once('.')?;
        let valid = self
            .keys
            .iter()
            .any(|k| constant_eq(tag(k, body, call).as_bytes(), tag_text.as_bytes()));
        if !valid {
            return None;
        }
        let bytes = Base64UrlUnpadded::decode_vec(body).ok()?;
        serde_json::from_slice::<State>(&bytes)
            .ok()
            .filter(|s| s.v == 2)
    }
}

/// The MAC of a state's visible part and the call it is bound to, each field length-prefixed.
fn tag(key: &[u8; 32], body: &str, call: &Call<'_>) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(b"camunda-mcp-edge confirm v2\0");
    let arguments = call.arguments.unwrap_or("").trim();
    for part in [body, call.caller, call.route, call.tool, arguments] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes())
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signing key from a secret: hashed with a label, so a secret used elsewhere gives another
/// key here.
pub fn key(secret: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"camunda-mcp-edge confirm key v1\0")
        .chain_update(secret.as_bytes())
        .finalize()
        .into()
}

/// What the person is asked: the tool, where, and every top-level argument exactly as it will
/// be sent — the call's keys first (names ending in `Key` or `Id`), then the rest by name —
/// with hidden characters written out and long values shortened, saying so. The model chose the
/// arguments' text and order; the person must see what the call acts on, not a preview it
/// could push out of view.
pub fn message(tool: &str, path: &str, arguments: Option<&str>) -> String {
    const MAX_MEMBERS: usize = 24;
    const MAX_VALUE: usize = 160;
    let show = |text: &str, max| shortened(&visible(text), max);
    let raw = arguments
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "null");
    let members = raw.and_then(|a| {
        serde_json::from_str::<std::collections::BTreeMap<String, &serde_json::value::RawValue>>(a).ok()
    });
    let mut lines = Vec::new();
    match (raw, members) {
        (None, _) => lines.push("• no arguments".to_owned()),
        (Some(_), Some(members)) => {
            let mut members: Vec<_> = members.into_iter().collect();
            members.sort_by_key(|(k, _)| !(k.ends_with("Key") || k.ends_with("Id")));
            for (k, v) in members.iter().take(MAX_MEMBERS) {
                lines.push(format!("• {}: {}", show(k, 60), show(v.get(), MAX_VALUE)));
            }
            if members.len() > MAX_MEMBERS {
                lines.push(format!(
                    "(+{} more arguments not shown)",
                    members.len() - MAX_MEMBERS
                ));
            }
        }
        (Some(text), None) => lines.push(format!("• arguments: {}", show(text, MAX_VALUE))),
    }
    format!(
        "Allow {} on the cluster of {}?\n{}\nIt changes the cluster; approve only if you asked for this.",
        show(tool, 100),
        show(path, 200),
        lines.join("\n")
    )
}

/// The person's action in `inputResponses.confirm` (`accept`, `decline`, `cancel`).
fn response_action(responses: Option<&str>) -> Option<&'static str> {
    let responses: Value = serde_json::from_str(responses?).ok()?;
    match responses.get(KEY)?.get("action")?.as_str()? {
        "accept" => Some("accept"),
        "decline" => Some("decline"),
        "cancel" => Some("cancel"),
        _ => None,
    }
}

/// Whether the request's client capabilities (2026-07-28 `_meta`) offer form elicitation.
pub fn client_elicits(capabilities: Option<&str>) -> bool {
    let Some(caps) = capabilities.and_then(|c| serde_json::from_str::<Value>(c).ok()) else {
        return false;
    };
    match caps.get("elicitation") {
        // `{}` is form mode (2025-06-18); otherwise `form` must be named.
        Some(Value::Object(e)) => e.is_empty() || e.contains_key("form"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirm() -> Confirm {
        Confirm {
            cover: Cover::Writes,
            keys: vec![key("secret-one-of-more-than-32-characters!")],
            ttl_s: 300,
        }
    }

    fn call<'a>(arguments: Option<&'a str>, now: u64) -> Call<'a> {
        Call {
            caller: "sub:ada",
            route: "/mcp/cluster",
            tool: "resolveIncident",
            arguments,
            now,
        }
    }

    fn state_of(d: &Decision) -> String {
        match d {
            Decision::Ask(v, _) => v["requestState"].as_str().unwrap().to_owned(),
            other => panic!("{other:?}"),
        }
    }

    fn m() -> String {
        "the question".into()
    }

    const ACCEPT: &str = r#"{"confirm":{"action":"accept","content":{}}}"#;

    #[test]
    fn a_call_is_asked_then_accepted_declined_or_asked_again() {
        let c = confirm();
        let args = Some(r#"{"incidentKey":"2251799813685249"}"#);
        let asked = c.decide(
            &call(args, 100),
            &Answer {
                request_state: None,
                input_responses: None,
            },
            m,
        );
        let state = state_of(&asked);
        let answer = |responses| Answer {
            request_state: Some(&state),
            input_responses: responses,
        };
        assert!(matches!(
            c.decide(&call(args, 150), &answer(Some(ACCEPT)), m),
            Decision::Accepted(_)
        ));
        let declined = r#"{"confirm":{"action":"decline"}}"#;
        assert!(matches!(
            c.decide(&call(args, 150), &answer(Some(declined)), m),
            Decision::Declined(_)
        ));
        assert!(matches!(
            c.decide(&call(args, 150), &answer(None), m),
            Decision::Ask(..)
        ));
        // The arguments are bound as sent: another spelling of the same value is another call,
        // so nothing a parser might read differently can slip through.
        let respelled = Some(r#"{"incidentKey":"2251799813685249","n":1e0}"#);
        let first = Some(r#"{"incidentKey":"2251799813685249","n":1}"#);
        let none = Answer {
            request_state: None,
            input_responses: None,
        };
        let s2 = state_of(&c.decide(&call(first, 100), &none, m));
        let retry = Answer {
            request_state: Some(&s2),
            input_responses: Some(ACCEPT),
        };
        assert!(matches!(
            c.decide(&call(respelled, 150), &retry, m),
            Decision::Refused(_)
        ));
    }

    #[test]
    fn states_are_bound_expire_and_rotate() {
        let c = confirm();
        let args = Some(r#"{"incidentKey":"1"}"#);
        let state = state_of(&c.decide(
            &call(args, 100),
            &Answer {
                request_state: None,
                input_responses: None,
            },
            m,
        ));
        let retry = |call: Call<'_>, c: &Confirm| {
            c.decide(
                &call,
                &Answer {
                    request_state: Some(&state),
                    input_responses: Some(ACCEPT),
                },
                m,
            )
        };
        assert!(matches!(
            retry(call(Some(r#"{"incidentKey":"2"}"#), 150), &c),
            Decision::Refused(_)
        ));
        assert!(matches!(
            retry(
                Call {
                    tool: "createProcessInstance",
                    ..call(args, 150)
                },
                &c
            ),
            Decision::Refused(_)
        ));
        assert!(matches!(
            retry(
                Call {
                    caller: "sub:eve",
                    ..call(args, 150)
                },
                &c
            ),
            Decision::Refused(_)
        ));
        assert!(matches!(
            retry(
                Call {
                    route: "/bru-2/x/mcp/cluster",
                    ..call(args, 150)
                },
                &c
            ),
            Decision::Refused(_)
        ));
        assert!(
            matches!(retry(call(args, 400), &c), Decision::Refused(_)),
            "expired"
        );
        // A new key signs; the old one still verifies until it is dropped.
        let rotated = Confirm {
            keys: vec![key("the next secret of more than 32 chars"), c.keys[0]],
            ..c.clone()
        };
        assert!(matches!(
            retry(call(args, 150), &rotated),
            Decision::Accepted(_)
        ));
        let dropped = Confirm {
            keys: vec![key("the next secret of more than 32 chars")],
            ..c
        };
        assert!(matches!(
            retry(call(args, 150), &dropped),
            Decision::Refused(_)
        ));
    }

    #[test]
    fn the_question_shows_every_argument_keys_first_hidden_characters_written_out() {
        let padding = "harmless ".repeat(60);
        let args = format!(
            r#"{{"variables":{{"note":"{padding}"}},"processDefinitionId":"wire-all-funds","x":"a\u202eb"}}"#
        );
        let m = message("createProcessInstance", "/mcp/cluster", Some(&args));
        let key = m.find("processDefinitionId").unwrap();
        assert!(key < m.find("variables").unwrap(), "{m}");
        assert!(m.contains("wire-all-funds"));
        assert!(m.contains("characters not shown"));
        assert!(!m.contains('\u{202e}'));
        assert!(m.contains("\\u202e"), "escapes are shown as sent: {m}");
        assert!(message("t", "/p", None).contains("no arguments"));
        let many: String = (0..30)
            .map(|i| format!(r#""k{i}":{i}"#))
            .collect::<Vec<_>>()
            .join(",");
        assert!(message("t", "/p", Some(&format!("{{{many}}}")))
            .contains("(+6 more arguments not shown)"));
    }

    #[test]
    fn the_state_shows_nothing_of_the_call() {
        let c = confirm();
        let secret_route = Call {
            route: "/mcp/cluster internal-host.example",
            ..call(None, 1)
        };
        let state = state_of(&c.decide(
            &secret_route,
            &Answer {
                request_state: None,
                input_responses: None,
            },
            m,
        ));
        let body = Base64UrlUnpadded::decode_vec(state.split('.').next().unwrap()).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(
            !text.contains("ada")
                && !text.contains("internal")
                && !text.contains("resolveIncident"),
            "{text}"
        );
    }

    #[test]
    fn elicitation_capability_is_read_from_the_request() {
        assert!(client_elicits(Some(r#"{"elicitation":{}}"#)));
        assert!(client_elicits(Some(r#"{"elicitation":{"form":{}}}"#)));
        assert!(!client_elicits(Some(r#"{"elicitation":{"url":{}}}"#)));
        assert!(!client_elicits(Some(r#"{}"#)));
        assert!(!client_elicits(None));
    }
}
