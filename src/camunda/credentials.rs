//! What the cluster is shown: the caller's own header, the signed-in person's IdP token, or the
//! gateway's own client-credentials token, fetched once and reused until shortly before it
//! expires (one fetch per isolate however many calls need it at once).

use std::cell::RefCell;
use std::rc::Rc;

use crate::auth::oauth::upstream::token_request;
use crate::flight::Flights;
use crate::ports::HttpClient;
use crate::text::Secret;

/// The credentials of one request toward the cluster.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// The caller's `Authorization` header, unchanged (`forward`), if it sent one.
    Forward(Option<&'a str>),
    /// A bearer token the gateway holds for this request: the person's (oauth mode).
    Bearer(&'a str),
    /// The gateway's own token (`client-credentials`), fetched when a call needs it.
    Machine(&'a MachineToken),
}

/// A token is renewed when less than this share of its life is left (at most a minute).
const RENEW_BEFORE_S: u64 = 60;

impl Credentials<'_> {
    /// What distinguishes one caller's view of the cluster from another's (for caches of
    /// per-caller answers): the machine token is the same for everyone.
    pub fn identity(&self) -> &str {
        match self {
            Credentials::Forward(header) => header.unwrap_or_default(),
            Credentials::Bearer(token) => token,
            Credentials::Machine(_) => "machine",
        }
    }
}

/// The gateway's client-credentials token, cached per isolate.
pub struct MachineToken {
    settings: ClientCredentials,
    cached: RefCell<Option<(Rc<str>, u64)>>,
    flights: Flights<Rc<str>>,
}

impl MachineToken {
    pub fn new(settings: ClientCredentials) -> Self {
        MachineToken {
            settings,
            cached: RefCell::new(None),
            flights: Flights::default(),
        }
    }

    /// Where the token comes from (for error messages).
    pub fn token_url(&self) -> &str {
        &self.settings.token_url
    }

    /// The machine client, as configured (what a hand-over carries to the egress).
    pub fn settings(&self) -> &ClientCredentials {
        &self.settings
    }

    /// A valid token, from the cache or the token endpoint. `now` in seconds.
    pub async fn bearer<C: HttpClient>(&self, client: &C, now: u64) -> Result<Rc<str>, String> {
        if let Some((token, until)) = self.cached.borrow().as_ref() {
            if now < *until {
                return Ok(token.clone());
            }
        }
        let s = &self.settings;
        self.flights
            .run(client, "machine", 15_000, || async {
                let mut form = vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", s.client_id.as_str()),
                    ("client_secret", s.client_secret.0.as_str()),
                ];
                if let Some(audience) = &s.audience {
                    form.push(("audience", audience));
                }
                if let Some(scope) = &s.scope {
                    form.push(("scope", scope));
                }
                let answer = token_request(client, &s.token_url, &form)
                    .await
                    .map_err(|e| e.to_string())?;
                let life = answer.expires_in.unwrap_or(300);
                let until = now + life - RENEW_BEFORE_S.min(life / 5);
                let token: Rc<str> = answer.access_token.into();
                *self.cached.borrow_mut() = Some((token.clone(), until));
                Ok(token)
            })
            .await
    }

    /// Drops `token` from the cache after the cluster refused it (revoked, or keys rotated).
    pub fn forget(&self, token: &str) {
        let mut cached = self.cached.borrow_mut();
        if cached.as_ref().is_some_and(|(t, _)| &**t == token) {
            *cached = None;
        }
    }
}

/// Whose credentials the cluster sees. MCP forbids passing a client's token through, so the
/// choice is explicit wherever the gateway verifies tokens itself.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamAuth {
    /// The caller's `Authorization` header, unchanged: the meaning of `none` and `basic` modes,
    /// and in oidc mode only by `CAMUNDA_UPSTREAM_AUTH=forward`.
    Forward,
    /// The gateway's own client-credentials token (`CAMUNDA_UPSTREAM_AUTH=client-credentials`).
    ClientCredentials(ClientCredentials),
    /// The signed-in person's own token from the organisation's IdP (oauth mode).
    Person,
}

/// The Camunda SDK's settings for a machine client, under the same names.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    /// The token endpoint (`CAMUNDA_OAUTH_URL`).
    pub token_url: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
}
