//! One sign-in and the grant it becomes, owned by one Durable Object (`OAUTH_GRANTS`), reached by
//! the grant id. Every step that must be consistent happens here, one at a time: the person's
//! return from the IdP, redeeming the code, rotating the refresh token, refreshing the person's
//! IdP token, revocation and expiry. Workers KV could not hold these: it has no compare-and-swap,
//! serves reads from a cache for about a minute and takes one write per second per key, so two
//! isolates could both redeem one code or both rotate one refresh token.
//!
//! The host (the Durable Object in the Worker, a lock in tests) runs one [`Op`] at a time to its
//! end, IdP round trips included: so a code is redeemed at most once, of two refreshes with one
//! token exactly one wins, and the person's IdP token is refreshed once per grant everywhere.
//! A step computes the next [`State`] from a copy and stores it before answering; a step that
//! fails leaves the stored grant as it was. The alarm is always set to the state's deadline, so
//! pending sign-ins, unredeemed codes and lapsed grants end by themselves, and the person's IdP
//! refresh token is revoked when a grant ends.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::upstream::Idp;
use super::upstream::{IdpError, PersonTokens};
use super::vault::Vault;
use super::vault::{digest, hex, random_hex, VaultError};
use crate::ports::HttpClient;
use crate::ports::{ObjectStore, Sealer, Store};

/// How long a person has between approving and coming back from the IdP.
pub const LOGIN_TTL_S: u64 = 600;
/// How long an authorization code may wait for its exchange.
pub const CODE_TTL_S: u64 = 60;
/// The person's IdP token is refreshed when it has less than this left.
const REFRESH_MARGIN_S: u64 = 60;
/// Rotated refresh tokens remembered per grant, to recognise their reuse.
const MAX_RETIRED: usize = 32;
/// The one record of an object.
const RECORD: &str = "grant";
/// A stored grant larger than this is refused (IdP tokens are the bulk; a few KB each).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// What the client asked for in its authorization request (checked before the consent page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
}

/// The person's consent, once they are back from the IdP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub request: AuthRequest,
    pub subject: String,
    pub person: PersonTokens,
}

/// Where a grant stands. Secrets are kept as their SHA-256 ([`digest`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum State {
    /// The person approved and went to the IdP; `csrf` is their browser's cookie, `verifier`
    /// our PKCE secret toward the IdP.
    Approved {
        request: AuthRequest,
        csrf: String,
        verifier: String,
        expires_at: u64,
    },
    /// Signed in; the code waits for its exchange.
    Issued {
        grant: Grant,
        code: String,
        expires_at: u64,
    },
    /// Tokens issued. `code` stays to recognise its replay.
    Active {
        grant: Grant,
        code: String,
        access: String,
        access_expires_at: u64,
        refresh: String,
        retired: Vec<String>,
        /// Unused refresh tokens lapse; each rotation moves this on.
        lapses_at: u64,
    },
    /// The grant has ended; kept (without any secret) until its sign-in could no longer be
    /// approved, so its id is never opened again.
    Ended { until: u64 },
}

impl State {
    /// When the state ends by itself (the alarm).
    pub fn deadline(&self) -> u64 {
        match self {
            State::Approved { expires_at, .. } | State::Issued { expires_at, .. } => *expires_at,
            State::Active { lapses_at, .. } => *lapses_at,
            State::Ended { until } => *until,
        }
    }

    /// The person's IdP tokens, once there are any (to revoke when the grant ends).
    fn person(&self) -> Option<&PersonTokens> {
        match self {
            State::Approved { .. } | State::Ended { .. } => None,
            State::Issued { grant, .. } | State::Active { grant, .. } => Some(&grant.person),
        }
    }
}

/// One step asked of a grant's object. Tokens and codes travel whole; the object compares
/// their digests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The person approved on the consent page.
    Open {
        request: AuthRequest,
        csrf: String,
        verifier: String,
    },
    /// The person is back from the IdP (`idp_code`, or the IdP's `idp_error`); `csrf` is the
    /// cookie of the browser that came back; `origin` the gateway's (the IdP redirect URI).
    Callback {
        csrf: String,
        idp_code: Option<String>,
        origin: String,
    },
    /// `grant_type=authorization_code`.
    Redeem {
        code: String,
        client_id: String,
        redirect_uri: Option<String>,
        verifier: String,
        resource: Option<String>,
    },
    /// `grant_type=refresh_token`.
    Refresh {
        token: String,
        client_id: String,
        resource: Option<String>,
    },
    /// A tool call's access token, for the endpoint `resource`.
    Admit { token: String, resource: String },
    /// RFC 7009: any token of the grant ends it.
    Revoke {
        token: String,
        client_id: Option<String>,
    },
}

/// What a step answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Opened,
    /// Back to the client at `redirect_uri` with `params` (a code, or an error) and its state.
    Back {
        redirect_uri: String,
        state: Option<String>,
        params: Vec<(String, String)>,
        /// What went wrong, for the log only.
        detail: Option<String>,
    },
    Tokens {
        access: String,
        refresh: String,
        expires_in: u64,
    },
    Admitted {
        person_token: String,
        subject: String,
        client_id: String,
        refreshed: bool,
    },
    /// Revoked, or nothing to revoke (the caller learns nothing either way).
    Revoked,
    Refused(Refusal),
}

/// Why a step was refused. Mapped to OAuth errors, pages and tool-call errors once, in
/// [`super`] (`impl Refusal`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "why", content = "detail", rename_all = "snake_case")]
pub enum Refusal {
    #[error("unknown, expired or revoked")]
    Unknown,
    #[error("this sign-in was approved already")]
    AlreadyOpen,
    #[error("this sign-in was not started in this browser")]
    OtherBrowser,
    #[error("the code has expired")]
    CodeExpired,
    #[error("issued to another client")]
    OtherClient,
    #[error("the grant is for another resource")]
    OtherResource,
    #[error("redirect_uri differs from the authorization request")]
    OtherRedirect,
    #[error("code_verifier does not match the code_challenge")]
    WrongVerifier,
    #[error("the code was already used: its grant is revoked")]
    CodeReused,
    #[error("the refresh token was already used: its grant is revoked")]
    RefreshReused,
    #[error("the token has expired")]
    AccessExpired,
    /// The IdP refused the person's refresh token: the grant has ended.
    #[error("the sign-in has ended at the identity provider")]
    Ended(String),
    /// Storage or the IdP failed; the grant is as it was. The text is for the log only.
    #[error("the sign-in service is unavailable")]
    Unavailable(String),
}

/// What one step of an object may use.
pub struct ObjectIo<'a, C, O, S> {
    pub client: &'a C,
    pub storage: &'a O,
    pub sealer: &'a S,
}

/// Mints grant ids, codes and tokens that carry a MAC under a key of this deployment, and
/// checks it: so a made-up id or token is refused at the edge, before it can wake a Durable
/// Object (each costs money, and a flood on one grant's object would queue its person's calls).
pub struct Minter {
    key: [u8; 32],
}

/// A grant id: 16 random bytes and an 8-byte tag, in hex.
const ID_HEX: usize = 48;
/// A secret: 24 random bytes and a 16-byte tag over the grant id and them, in hex.
const SECRET_HEX: usize = 80;

impl Minter {
    /// `secret` is `OAUTH_KV_KEY`; the MAC key is derived from it under its own label.
    pub fn new(secret: &str) -> Self {
        let key = Sha256::new()
            .chain_update(b"camunda-mcp-edge oauth mint v1\0")
            .chain_update(secret.as_bytes())
            .finalize()
            .into();
        Minter { key }
    }

    fn tag(&self, label: &str, data: &str, bytes: usize) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(label.as_bytes());
        mac.update(data.as_bytes());
        hex(&mac.finalize().into_bytes()[..bytes])
    }

    pub fn new_id(&self) -> String {
        let random = random_hex(16);
        let tag = self.tag("id:", &random, 8);
        random + &tag
    }

    /// Whether `id` is a grant id this deployment minted.
    pub fn is_id(&self, id: &str) -> bool {
        id.len() == ID_HEX && is_hex(id) && {
            let (random, tag) = id.split_at(32);
            same(&self.tag("id:", random, 8), tag)
        }
    }

    /// A new code or token of grant `id`: `<id>.<secret>`.
    pub fn new_token(&self, id: &str) -> String {
        let random = random_hex(24);
        let tag = self.tag("token:", &format!("{id}.{random}"), 16);
        format!("{id}.{random}{tag}")
    }

    /// The grant of a code or token this deployment minted (revoked or not: the object knows).
    pub fn grant_of<'t>(&self, token: &'t str) -> Option<&'t str> {
        let (id, secret) = token.split_once('.')?;
        if !self.is_id(id) || secret.len() != SECRET_HEX || !is_hex(secret) {
            return None;
        }
        let (random, tag) = secret.split_at(48);
        same(&self.tag("token:", &format!("{id}.{random}"), 16), tag).then_some(id)
    }
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether `verifier` is a well-formed PKCE verifier whose S256 is `challenge`.
fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
    valid && same(&computed, challenge)
}

/// What a step decided: keep the grant as it is, store a new state, or end it; and the answer.
enum Next {
    Keep(Reply),
    Store(Box<State>, Reply, Failed),
    End(Reply),
}

/// What to answer when the new state of a step could not be stored.
enum Failed {
    /// The grant is as it was: say so; the client tries again with the same secret.
    Refuse,
    /// The answer holds anyway: the person's IdP token was refreshed and is valid.
    Answer,
    /// The person's new IdP tokens would lead nowhere: revoke them, then refuse.
    Revoke(PersonTokens),
}

/// Tokens for a grant, and the state that knows them.
struct Issue<'a> {
    access_ttl_s: u64,
    refresh_ttl_s: u64,
    minter: &'a Minter,
}

impl Issue<'_> {
    fn tokens(&self, id: &str, grant: Grant, code: String, retired: Vec<String>, now: u64) -> Next {
        let (access, refresh) = (self.minter.new_token(id), self.minter.new_token(id));
        let state = State::Active {
            grant,
            code,
            access: digest(&access),
            access_expires_at: now + self.access_ttl_s,
            refresh: digest(&refresh),
            retired,
            lapses_at: now + self.refresh_ttl_s,
        };
        let reply = Reply::Tokens {
            access,
            refresh,
            expires_in: self.access_ttl_s,
        };
        Next::Store(Box::new(state), reply, Failed::Refuse)
    }
}

fn refused(why: Refusal) -> Next {
    Next::Keep(Reply::Refused(why))
}

/// `grant_type=authorization_code`, decided on the stored state.
fn redeem(id: &str, state: State, op: &Op, issue: &Issue<'_>, now: u64) -> Next {
    let Op::Redeem {
        code,
        client_id,
        redirect_uri,
        verifier,
        resource,
    } = op
    else {
        return refused(Refusal::Unknown);
    };
    let hash = digest(code);
    match state {
        State::Issued {
            grant,
            code: stored,
            expires_at,
        } if same(&hash, &stored) => {
            let req = &grant.request;
            if req.client_id != *client_id {
                refused(Refusal::OtherClient)
            } else if now >= expires_at {
                Next::End(Reply::Refused(Refusal::CodeExpired))
            } else if redirect_uri
                .as_ref()
                .is_some_and(|r| *r != req.redirect_uri)
            {
                refused(Refusal::OtherRedirect)
            } else if resource.as_ref().is_some_and(|r| *r != req.resource) {
                refused(Refusal::OtherResource)
            } else if !pkce_ok(verifier, &req.code_challenge) {
                refused(Refusal::WrongVerifier)
            } else {
                issue.tokens(id, grant, stored, Vec::new(), now)
            }
        }
        // A replayed code ends its grant only in the hands of whoever holds the verifier
        // (RFC 6749 §4.1.2): anyone else who saw a used code cannot revoke a person's grant.
        State::Active {
            grant, code: used, ..
        } if same(&hash, &used) => {
            if pkce_ok(verifier, &grant.request.code_challenge) {
                Next::End(Reply::Refused(Refusal::CodeReused))
            } else {
                refused(Refusal::Unknown)
            }
        }
        _ => refused(Refusal::Unknown),
    }
}

/// `grant_type=refresh_token`: rotation, or reuse of a retired token ending the grant.
/// (A lapsed grant never gets here: its deadline has passed.)
fn refresh(id: &str, state: State, op: &Op, issue: &Issue<'_>, now: u64) -> Next {
    let Op::Refresh {
        token,
        client_id,
        resource,
    } = op
    else {
        return refused(Refusal::Unknown);
    };
    let State::Active {
        grant,
        code,
        refresh,
        mut retired,
        ..
    } = state
    else {
        return refused(Refusal::Unknown);
    };
    let hash = digest(token);
    let current = same(&hash, &refresh);
    if !current && !retired.iter().any(|r| same(r, &hash)) {
        return refused(Refusal::Unknown);
    }
    if grant.request.client_id != *client_id {
        return refused(Refusal::OtherClient);
    }
    if resource
        .as_ref()
        .is_some_and(|r| *r != grant.request.resource)
    {
        return refused(Refusal::OtherResource);
    }
    if !current {
        return Next::End(Reply::Refused(Refusal::RefreshReused));
    }
    retired.push(refresh);
    if retired.len() > MAX_RETIRED {
        retired.remove(0);
    }
    issue.tokens(id, grant, code, retired, now)
}

/// RFC 7009: the access token, the refresh token or a retired one ends the grant.
fn revoke(state: &State, op: &Op) -> Next {
    let Op::Revoke { token, client_id } = op else {
        return Next::Keep(Reply::Revoked);
    };
    let State::Active {
        grant,
        access,
        refresh,
        retired,
        ..
    } = state
    else {
        return Next::Keep(Reply::Revoked);
    };
    let hash = digest(token);
    let ours = [access, refresh]
        .into_iter()
        .chain(retired)
        .any(|h| same(h, &hash));
    let client_ok = client_id
        .as_ref()
        .is_none_or(|c| *c == grant.request.client_id);
    if ours && client_ok {
        Next::End(Reply::Revoked)
    } else {
        Next::Keep(Reply::Revoked)
    }
}

/// What a grant's object runs its steps with: the IdP, the minter and the sealing key of the
/// authorization server (`AuthServer::steps`).
pub struct Steps<'a> {
    pub idp: &'a Idp,
    pub minter: &'a Minter,
    pub key: &'a [u8; 32],
}

impl Steps<'_> {
    fn sealed<'s, K: Store, S: Sealer>(&'s self, store: &'s K, sealer: &'s S) -> Vault<'s, K, S> {
        Vault {
            store,
            sealer,
            key: self.key,
        }
    }

    fn issue(&self) -> Issue<'_> {
        let s = self.idp.settings();
        Issue {
            access_ttl_s: u64::from(s.access_ttl_s),
            refresh_ttl_s: u64::from(s.refresh_ttl_s),
            minter: self.minter,
        }
    }

    /// Runs one step on grant `id`'s object. The host runs one step at a time.
    pub async fn grant_step<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        id: &str,
        op: &Op,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Reply {
        let stored = match self.load(io).await {
            Ok(stored) => stored,
            Err(e) => return Reply::Refused(Refusal::Unavailable(e.to_string())),
        };
        // The person's IdP tokens as stored: revoked at the IdP if this step ends the grant.
        let person = stored.as_ref().and_then(State::person).cloned();
        let next = match (stored, op) {
            (
                None,
                Op::Open {
                    request,
                    csrf,
                    verifier,
                },
            ) => {
                let state = State::Approved {
                    request: request.clone(),
                    csrf: csrf.clone(),
                    verifier: verifier.clone(),
                    expires_at: now + LOGIN_TTL_S,
                };
                Next::Store(Box::new(state), Reply::Opened, Failed::Refuse)
            }
            (Some(_), Op::Open { .. }) => refused(Refusal::AlreadyOpen),
            (None | Some(State::Ended { .. }), Op::Revoke { .. }) => Next::Keep(Reply::Revoked),
            (None | Some(State::Ended { .. }), _) => refused(Refusal::Unknown),
            (Some(state), _) if now >= state.deadline() => Next::End(match op {
                Op::Revoke { .. } => Reply::Revoked,
                _ => Reply::Refused(Refusal::Unknown),
            }),
            (Some(state), Op::Callback { .. }) => self.return_step(id, state, op, io, now).await,
            (Some(state), Op::Redeem { .. }) => redeem(id, state, op, &self.issue(), now),
            (Some(state), Op::Refresh { .. }) => refresh(id, state, op, &self.issue(), now),
            (Some(state), Op::Admit { .. }) => self.admit_step(state, op, io, now).await,
            (Some(state), Op::Revoke { .. }) => revoke(&state, op),
        };
        self.settle(next, person.as_ref(), io, now).await
    }

    /// The alarm: ends the grant when its deadline has passed, else sets the alarm again.
    pub async fn grant_alarm<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Result<(), String> {
        match self.load(io).await.map_err(|e| e.to_string())? {
            Some(State::Ended { until }) if now >= until => io.storage.delete(RECORD).await,
            Some(state) if now >= state.deadline() => self.end(state.person(), io, now).await,
            Some(state) => io.storage.alarm(Some(state.deadline())).await,
            None => Ok(()),
        }
    }

    async fn load<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        io: &ObjectIo<'_, C, O, S>,
    ) -> Result<Option<State>, VaultError> {
        self.sealed(io.storage, io.sealer)
            .get::<State>(RECORD)
            .await
    }

    /// Stores what a step decided, then answers. A store that fails answers `Unavailable`
    /// and leaves the stored grant as it was.
    async fn settle<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        next: Next,
        person: Option<&PersonTokens>,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Reply {
        match next {
            Next::Keep(reply) => reply,
            Next::Store(state, reply, failed) => match self.save(&state, io).await {
                Ok(()) => reply,
                Err(why) => match failed {
                    Failed::Refuse => Reply::Refused(Refusal::Unavailable(why)),
                    Failed::Answer => reply,
                    Failed::Revoke(person) => {
                        self.idp.revoke(io.client, now, &person).await;
                        Reply::Refused(Refusal::Unavailable(why))
                    }
                },
            },
            Next::End(reply) => match self.end(person, io, now).await {
                Ok(()) => reply,
                Err(why) => Reply::Refused(Refusal::Unavailable(why)),
            },
        }
    }

    async fn save<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        state: &State,
        io: &ObjectIo<'_, C, O, S>,
    ) -> Result<(), String> {
        let size = serde_json::to_vec(state).map_or(usize::MAX, |v| v.len());
        if size > MAX_RECORD_BYTES {
            return Err(format!(
                "a grant of {size} bytes is over the {MAX_RECORD_BYTES}-byte cap"
            ));
        }
        // The alarm first: if the record then fails, an early or late alarm finds the stored
        // state and acts on its own deadline; a record stored without its alarm would never end.
        io.storage.alarm(Some(state.deadline())).await?;
        self.sealed(io.storage, io.sealer)
            .put(RECORD, state, 0)
            .await
            .map_err(|e| e.to_string())
    }

    /// Ends a grant: a tombstone replaces its record first (so it has ended even if the IdP
    /// does not answer), then the IdP is told the person's refresh token is no longer wanted.
    /// A record that could not be replaced is still there: the grant goes on, the IdP is not
    /// told.
    async fn end<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        person: Option<&PersonTokens>,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Result<(), String> {
        let tombstone = State::Ended {
            until: now + LOGIN_TTL_S,
        };
        self.save(&tombstone, io).await?;
        if let Some(person) = person {
            self.idp.revoke(io.client, now, person).await;
        }
        Ok(())
    }

    /// The person is back from the IdP: one use, from the browser that approved.
    async fn return_step<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        id: &str,
        state: State,
        op: &Op,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Next {
        let Op::Callback {
            csrf: cookie,
            idp_code,
            origin,
        } = op
        else {
            return refused(Refusal::Unknown);
        };
        let State::Approved {
            request,
            csrf,
            verifier,
            ..
        } = state
        else {
            return refused(Refusal::Unknown);
        };
        // A browser that did not approve cannot use, or use up, this sign-in.
        if !same(cookie, &csrf) {
            return refused(Refusal::OtherBrowser);
        }
        let back = |params: Vec<(&str, &str)>, detail: Option<String>| Reply::Back {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            detail,
        };
        let Some(idp_code) = idp_code else {
            let params = vec![
                ("error", "access_denied"),
                (
                    "error_description",
                    "the sign-in ended at the identity provider",
                ),
            ];
            return Next::End(back(params, None));
        };
        let answer = self
            .idp
            .exchange(io.client, now, origin, idp_code, &verifier)
            .await;
        let (person, who) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let params = vec![
                    ("error", "server_error"),
                    (
                        "error_description",
                        "the identity provider did not complete the sign-in",
                    ),
                ];
                return Next::End(back(params, Some(e.to_string())));
            }
        };
        let code = self.minter.new_token(id);
        let reply = back(vec![("code", &code)], None);
        let person_copy = person.clone();
        let grant = Grant {
            request,
            subject: who.subject,
            person,
        };
        let issued = State::Issued {
            grant,
            code: digest(&code),
            expires_at: now + CODE_TTL_S,
        };
        Next::Store(Box::new(issued), reply, Failed::Revoke(person_copy))
    }

    /// Answers a tool call's `Admit` that changes nothing (most of them) without the object's
    /// exclusive turn: a read, so parallel calls of one person do not queue. `None`: the step
    /// changes the grant (the person's IdP token is due, or the deadline passed) and must run
    /// with the turn, through [`Steps::grant_step`].
    pub async fn grant_glance<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        op: &Op,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Option<Reply> {
        let Op::Admit { .. } = op else {
            return None;
        };
        let state = self.load(io).await.ok()??;
        if now >= state.deadline() {
            return None;
        }
        match admission(&state, op, now) {
            Admission::Decided(reply) => Some(reply),
            Admission::RefreshPerson => None,
        }
    }

    /// A tool call's token: the person's IdP token to call the cluster with, refreshed here
    /// (once per grant, whichever isolate asks) when it is about to expire.
    async fn admit_step<C: HttpClient, O: ObjectStore, S: Sealer>(
        &self,
        state: State,
        op: &Op,
        io: &ObjectIo<'_, C, O, S>,
        now: u64,
    ) -> Next {
        if let Admission::Decided(reply) = admission(&state, op, now) {
            return Next::Keep(reply);
        }
        let State::Active { grant, .. } = &state else {
            return refused(Refusal::Unknown);
        };
        match self.idp.refresh(io.client, now, &grant.person).await {
            Ok(person) => {
                let reply = admitted(grant, &person, true);
                let mut next = state.clone();
                if let State::Active { grant, .. } = &mut next {
                    grant.person = person;
                }
                Next::Store(Box::new(next), reply, Failed::Answer)
            }
            Err(e @ IdpError::Refused { .. }) => {
                Next::End(Reply::Refused(Refusal::Ended(e.to_string())))
            }
            Err(e) => refused(Refusal::Unavailable(e.to_string())),
        }
    }
}

/// What a tool call's token gets without any I/O, or that the person's IdP token is due.
enum Admission {
    Decided(Reply),
    RefreshPerson,
}

fn admission(state: &State, op: &Op, now: u64) -> Admission {
    let no = |why| Admission::Decided(Reply::Refused(why));
    let (
        Op::Admit { token, resource },
        State::Active {
            grant,
            access,
            access_expires_at,
            ..
        },
    ) = (op, state)
    else {
        return no(Refusal::Unknown);
    };
    if !same(&digest(token), access) {
        no(Refusal::Unknown)
    } else if now >= *access_expires_at {
        no(Refusal::AccessExpired)
    } else if grant.request.resource != *resource {
        no(Refusal::OtherResource)
    } else if grant.person.expires_at > now + REFRESH_MARGIN_S {
        Admission::Decided(admitted(grant, &grant.person, false))
    } else {
        Admission::RefreshPerson
    }
}

fn admitted(grant: &Grant, person: &PersonTokens, refreshed: bool) -> Reply {
    Reply::Admitted {
        person_token: person.access_token.clone(),
        subject: grant.subject.clone(),
        client_id: grant.request.client_id.clone(),
        refreshed,
    }
}
