//! The gateway as the MCP clients' OAuth 2.1 authorization server (`MCP_AUTH_MODE=oauth`).
//!
//! A person connects Claude.ai, ChatGPT or VS Code: the client finds this server through the
//! RFC 9728 and RFC 8414 documents, identifies itself by a Client ID Metadata Document or
//! registers ([`clients`]), and sends the person to `/authorize`. They approve on the consent
//! page ([`page`]), sign in at the organisation's IdP ([`upstream`]), and come back to
//! `/oauth/callback`; the client then trades the code (PKCE S256) for this gateway's own
//! short-lived access token and a rotating refresh token. Tool calls present that token; the
//! cluster sees the person's own IdP token, never anything the client sent.
//!
//! Where things are kept, and why:
//! - Nothing for an anonymous `GET /authorize`: the request travels sealed in the consent form,
//!   tied to a `__Host-` cookie of the browser.
//! - Each grant in its own Durable Object ([`grant`]), from the person's approval to its end:
//!   the one place that decides, so codes, rotation, revocation and the person's IdP refresh
//!   are consistent everywhere at once.
//! - Registered clients in Workers KV ([`vault`], sealed): a registration read a minute late at
//!   another location only delays a sign-in; nothing correct depends on it.
//!
//! Tokens are `<grant>.<secret>`: the grant id finds the object, the secret's SHA-256 must match.

pub mod clients;
pub mod grant;
pub mod page;
pub mod upstream;
pub mod vault;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::caller::{AuthError, Principal};
use crate::auth::mode::OAuth;
use crate::http::{Request, Response};
use crate::ports::{Grants, HttpClient, Sealer, Store};
use clients::{is_document_id, redirect_matches, Client, ClientError, Documents};
use grant::{same, AuthRequest, Minter, Op, Refusal, Reply};
use upstream::{Idp, CALLBACK_PATH};
use vault::{random_hex, Vault};

pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/token";
pub const REGISTER_PATH: &str = "/register";
pub const REVOKE_PATH: &str = "/revoke";

/// Largest form or registration body read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// A registration nobody signs in with is forgotten after this; each sign-in renews it.
const CLIENT_IDLE_TTL_S: u64 = 30 * 86_400;
/// A registration is renewed at most this often (KV takes one write per second per key).
const CLIENT_RENEW_AFTER_S: u64 = 86_400;
/// The longest `state` a client may send (it comes back in the redirect).
const MAX_STATE_CHARS: usize = 1024;
/// The Rate Limiting bindings of the endpoints anyone may call, keyed by client address.
pub const REGISTER_LIMITER: &str = "OAUTH_REGISTER_LIMITER";
pub const ENDPOINT_LIMITER: &str = "OAUTH_LIMITER";
/// The period of both bindings in `wrangler.toml` (a Worker cannot read it): `Retry-After`.
pub const LIMIT_PERIOD_S: u32 = 60;

/// The outside world one request may use. `store` holds registrations and reaches the grants.
pub struct Io<'a, C, K, S> {
    pub client: &'a C,
    pub store: &'a K,
    pub sealer: &'a S,
}

/// An admitted caller of oauth mode.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub principal: Principal,
    /// The person's own token for the cluster.
    pub person_token: String,
    /// Worth a log line (the person's IdP token was refreshed).
    pub note: Option<String>,
}

/// An answer of the authorization server, with what only the log may know.
pub struct Handled {
    pub response: Response,
    pub note: Option<String>,
}

impl From<Response> for Handled {
    fn from(response: Response) -> Self {
        Handled {
            response,
            note: None,
        }
    }
}

/// Why a token request failed: an RFC 6749 error code and what to tell the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {description}")]
struct TokenError {
    code: &'static str,
    description: String,
}

fn token_error(code: &'static str, description: impl Into<String>) -> TokenError {
    TokenError {
        code,
        description: description.into(),
    }
}

impl TokenError {
    fn response(&self) -> Response {
        let status = match self.code {
            "invalid_client" => 401,
            "temporarily_unavailable" => 503,
            _ => 400,
        };
        no_store(Response::json(
            status,
            json!({"error": self.code, "error_description": self.description}).to_string(),
        ))
    }
}

/// The one place a grant's refusal becomes what each caller is told. Texts are fixed: what
/// storage or the IdP said goes to the log only.
impl Refusal {
    fn token_error(&self) -> TokenError {
        match self {
            Refusal::OtherResource => token_error("invalid_target", self.to_string()),
            Refusal::Unavailable(_) => token_error("temporarily_unavailable", self.to_string()),
            _ => token_error("invalid_grant", self.to_string()),
        }
    }

    fn auth_error(&self) -> AuthError {
        match self {
            Refusal::Unavailable(_) => AuthError::Unavailable(self.to_string()),
            Refusal::Ended(_) => AuthError::InvalidToken(
                "your sign-in has ended at the identity provider; sign in again".into(),
            ),
            Refusal::OtherResource => {
                AuthError::InvalidToken("the token is for another resource (MCP endpoint)".into())
            }
            Refusal::AccessExpired => AuthError::InvalidToken(self.to_string()),
            _ => AuthError::InvalidToken("unknown, expired or revoked token".into()),
        }
    }

    /// What only the log may know.
    fn detail(&self) -> Option<String> {
        match self {
            Refusal::Unavailable(why) | Refusal::Ended(why) => Some(why.clone()),
            _ => None,
        }
    }
}

fn no_store(resp: Response) -> Response {
    resp.with_header("cache-control", "no-store")
        .with_header("pragma", "no-cache")
}

/// The query string or form body as pairs (first value of each name wins).
fn form(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

fn field<'f>(pairs: &'f [(String, String)], name: &str) -> Option<&'f str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `uri` with `params` appended to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

/// The cookie that ties a sign-in to the browser that opened its consent page. `__Host-`: only
/// this origin can set it (not a sibling subdomain), always `Secure`, `Path=/`.
fn cookie_name(grant: &str) -> String {
    format!("__Host-mcp_login_{}", &grant[..16.min(grant.len())])
}

fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header("cookie")?.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The consent page's hidden field: the checked request, sealed, so nothing is stored for a
/// page anyone may open.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Consent {
    grant: String,
    request: AuthRequest,
    csrf: String,
    expires_at: u64,
}

/// Additional data of the sealed consent: a sealed record of another kind never opens as one.
const CONSENT_AAD: &[u8] = b"consent v1";

/// A registered client as kept in KV, with when its idle expiry was last pushed back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Registered {
    client: Client,
    renewed_at: u64,
}

/// The per-isolate state of the authorization server.
pub struct AuthServer {
    idp: Idp,
    documents: Documents,
    key: [u8; 32],
    minter: Minter,
}

/// Whether a path is one of the authorization server's.
pub fn is_route(path: &str) -> bool {
    path.starts_with(METADATA_PATH)
        || [
            AUTHORIZE_PATH,
            TOKEN_PATH,
            REGISTER_PATH,
            REVOKE_PATH,
            CALLBACK_PATH,
        ]
        .contains(&path)
}

/// The Rate Limiting binding that bounds anonymous calls of an endpoint, if any.
fn limiter(path: &str) -> Option<&'static str> {
    match path {
        REGISTER_PATH => Some(REGISTER_LIMITER),
        AUTHORIZE_PATH | TOKEN_PATH | REVOKE_PATH | CALLBACK_PATH => Some(ENDPOINT_LIMITER),
        _ => None,
    }
}

/// Who a limit counts: an IPv4 address, or an IPv6 /64 (one subscriber's whole network, which
/// one attacker can spread over).
fn address_key(address: &str) -> String {
    match address.trim().parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.trim().chars().take(64).collect(),
    }
}

/// The answer to a caller over its limit: a page for the browser's endpoints, else JSON.
pub fn limited(path: &str) -> Response {
    let text = format!("Too many requests; retry in {LIMIT_PERIOD_S} s.");
    let resp = match path {
        AUTHORIZE_PATH | CALLBACK_PATH => page::error(429, None, &text),
        _ => no_store(Response::json(
            429,
            json!({"error": "slow_down", "error_description": text}).to_string(),
        )),
    };
    resp.with_header("retry-after", LIMIT_PERIOD_S.to_string())
}

/// The methods each path answers.
fn allowed(path: &str) -> &'static str {
    match path {
        AUTHORIZE_PATH => "GET, POST",
        CALLBACK_PATH => "GET",
        p if p.starts_with(METADATA_PATH) => "GET, HEAD",
        _ => "POST",
    }
}

impl AuthServer {
    /// The binding and key that bound a request to this endpoint, if any. `/token` and
    /// `/revoke` calls that present a code or token this gateway minted count against their
    /// grant — hosted clients (Claude.ai, ChatGPT) call them from a few shared addresses, which
    /// a budget per address would lock out together; anything else counts against its address.
    pub fn limit(&self, req: &Request, body: &[u8]) -> Option<(&'static str, String)> {
        let binding = limiter(&req.path)?;
        let presented = || {
            let f = form(&String::from_utf8_lossy(body));
            ["code", "refresh_token", "token"]
                .into_iter()
                .find_map(|name| field(&f, name).and_then(|t| self.minter.grant_of(t)))
                .map(str::to_owned)
        };
        let grant = match req.path.as_str() {
            TOKEN_PATH | REVOKE_PATH => presented(),
            _ => None,
        };
        let by = match grant {
            Some(grant) => format!("grant:{grant}"),
            None => address_key(req.header("cf-connecting-ip").unwrap_or("unknown")),
        };
        Some((binding, format!("{}:{by}", req.path)))
    }

    pub fn new(settings: OAuth) -> Self {
        let key = vault::seal_key(&settings.seal_key.0);
        let minter = Minter::new(&settings.seal_key.0);
        AuthServer {
            idp: Idp::new(settings),
            documents: Documents::default(),
            key,
            minter,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.idp.settings().upstream_issuer
    }

    fn vault<'a, K: Store, S: Sealer>(
        &'a self,
        io: &Io<'a, impl HttpClient, K, S>,
    ) -> Vault<'a, K, S> {
        self.sealed(io.store, io.sealer)
    }

    /// `store`'s records, sealed with this deployment's key.
    /// What a grant's Durable Object runs its steps with.
    pub fn steps(&self) -> grant::Steps<'_> {
        grant::Steps {
            idp: &self.idp,
            minter: &self.minter,
            key: &self.key,
        }
    }

    fn sealed<'a, K: Store, S: Sealer>(&'a self, store: &'a K, sealer: &'a S) -> Vault<'a, K, S> {
        Vault {
            store,
            sealer,
            key: &self.key,
        }
    }

    /// RFC 8414 metadata; the issuer is the gateway's origin.
    pub fn metadata(&self, origin: &str) -> Response {
        let doc = json!({
            "issuer": origin,
            "authorization_endpoint": format!("{origin}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{origin}{TOKEN_PATH}"),
            "registration_endpoint": format!("{origin}{REGISTER_PATH}"),
            "revocation_endpoint": format!("{origin}{REVOKE_PATH}"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        });
        Response::json(200, doc.to_string()).with_header("cache-control", "public, max-age=3600")
    }

    /// Answers a request to one of the server's paths ([`is_route`]). `body` has been read
    /// (at most [`MAX_BODY_BYTES`]); `is_resource` says whether a URL is an MCP endpoint here.
    pub async fn handle<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        req: &Request,
        body: &[u8],
        io: &Io<'_, C, K, S>,
        now: u64,
        is_resource: impl Fn(&str) -> bool,
    ) -> Handled {
        let body = String::from_utf8_lossy(body);
        let query = || form(req.query.as_deref().unwrap_or_default());
        match (req.method.as_str(), req.path.as_str()) {
            ("GET" | "HEAD", p) if p.starts_with(METADATA_PATH) => {
                self.metadata(&req.origin).into()
            }
            ("GET", AUTHORIZE_PATH) => self.authorize(req, &query(), io, now, is_resource).await,
            ("POST", AUTHORIZE_PATH) => self.decide(req, &form(&body), io, now).await,
            ("GET", CALLBACK_PATH) => self.callback(req, &query(), io).await,
            ("POST", TOKEN_PATH) => {
                let f = form(&body);
                match self.token(&f, io).await {
                    // A client in use keeps its registration, however long it only refreshes.
                    Ok(resp) => Handled {
                        response: resp,
                        note: self
                            .renew(field(&f, "client_id").unwrap_or_default(), io, now)
                            .await
                            .err(),
                    },
                    Err((e, note)) => Handled {
                        response: e.response(),
                        note,
                    },
                }
            }
            ("POST", REGISTER_PATH) => self.register(&body, io, now).await,
            ("POST", REVOKE_PATH) => self.revoke(&form(&body), io).await,
            (_, path) => Response::json(405, json!({"error": "method_not_allowed"}).to_string())
                .with_header("allow", allowed(path))
                .into(),
        }
    }

    async fn client<C: HttpClient, K: Store, S: Sealer>(
        &self,
        client_id: &str,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<(Client, Option<u64>), ClientError> {
        if is_document_id(client_id) {
            let loopback = self.idp.settings().cimd_loopback;
            return self
                .documents
                .fetch(io.client, client_id, now, loopback)
                .await
                .map(|c| ((*c).clone(), None));
        }
        if client_id.len() != 32 || !client_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ClientError::Unknown);
        }
        self.vault(io)
            .get::<Registered>(&format!("client:{client_id}"))
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?
            .map(|r| (r.client, Some(r.renewed_at)))
            .ok_or(ClientError::Unknown)
    }

    /// `GET /authorize`: checks the request, then shows the consent page. Nothing is stored
    /// and nothing redirects before the person has seen that page: an error is shown with the
    /// client's name, never sent to a redirect URI nobody vouched for (RFC 9700 §4.11.2).
    async fn authorize<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        q: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
        is_resource: impl Fn(&str) -> bool,
    ) -> Handled {
        let Some(client_id) = field(q, "client_id") else {
            return page::error(400, None, "The request names no client_id.").into();
        };
        let client = match self.client(client_id, io, now).await {
            Ok((c, _)) => c,
            Err(e) => {
                let text = format!("This client cannot sign in: {e}.");
                return Handled {
                    response: page::error(400, None, &text),
                    note: Some(e.detail()),
                };
            }
        };
        let fail = |why: &str| -> Handled {
            page::error(
                400,
                Some(&client),
                &format!(
                    "The client sent an authorization request this gateway cannot accept: {why}."
                ),
            )
            .into()
        };
        let request = match self.check_request(req, q, &client, &is_resource) {
            Ok(request) => request,
            Err(why) => return fail(why),
        };
        // The IdP is asked now, before the person approves anything it could not carry out.
        if let Err(e) = self.idp.reachable(io.client, now).await {
            return Handled {
                response: page::error(502, Some(&client), page::IDP_DOWN),
                note: Some(e.to_string()),
            };
        }
        let consent = Consent {
            grant: self.minter.new_id(),
            request,
            csrf: random_hex(32),
            expires_at: now + grant::LOGIN_TTL_S,
        };
        let sealed = match self.seal_consent(&consent, io).await {
            Ok(sealed) => sealed,
            Err(e) => {
                return Handled {
                    response: page::error(503, Some(&client), page::STORE_DOWN),
                    note: Some(e),
                }
            }
        };
        page::consent(&page::Consent {
            sealed: &sealed,
            csrf: &consent.csrf,
            client: &client,
            redirect_uri: &consent.request.redirect_uri,
            resource: &consent.request.resource,
            idp: host_of(self.issuer()),
        })
        .with_header(
            "set-cookie",
            format!(
                "{}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
                cookie_name(&consent.grant),
                consent.csrf,
                grant::LOGIN_TTL_S
            ),
        )
        .into()
    }

    /// The authorization request's parameters, checked against the client, or why not.
    fn check_request(
        &self,
        req: &Request,
        q: &[(String, String)],
        client: &Client,
        is_resource: &impl Fn(&str) -> bool,
    ) -> Result<AuthRequest, &'static str> {
        let redirect_uri = match field(q, "redirect_uri") {
            Some(uri) => client
                .redirect_uris
                .iter()
                .any(|r| redirect_matches(r, uri))
                .then(|| uri.to_owned())
                .ok_or("the redirect_uri is not one this client registered")?,
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => return Err("it names no redirect_uri"),
        };
        if field(q, "response_type") != Some("code") {
            return Err("only response_type=code is supported");
        }
        let challenge = field(q, "code_challenge").ok_or("PKCE is required (code_challenge)")?;
        if field(q, "code_challenge_method") != Some("S256") {
            return Err("only code_challenge_method=S256 is supported");
        }
        if challenge.len() != 43 || Base64UrlUnpadded::decode_vec(challenge).is_err() {
            return Err("code_challenge must be the base64url SHA-256 of the verifier");
        }
        let state = field(q, "state");
        if state.is_some_and(|s| s.len() > MAX_STATE_CHARS) {
            return Err("state is longer than 1024 characters");
        }
        let resource = match field(q, "resource") {
            Some(r) if r.starts_with(&req.origin) && is_resource(r) => r.to_owned(),
            Some(_) => return Err("resource is not an MCP endpoint of this gateway"),
            None => format!("{}{}", req.origin, crate::routes::MCP_PATH),
        };
        Ok(AuthRequest {
            client_id: client.client_id.clone(),
            redirect_uri,
            state: state.map(str::to_owned),
            code_challenge: challenge.to_owned(),
            resource,
        })
    }

    async fn seal_consent<C: HttpClient, K: Store, S: Sealer>(
        &self,
        consent: &Consent,
        io: &Io<'_, C, K, S>,
    ) -> Result<String, String> {
        let plain = serde_json::to_vec(consent).map_err(|e| e.to_string())?;
        let sealed = io.sealer.seal(&self.key, CONSENT_AAD, &plain).await?;
        Ok(Base64UrlUnpadded::encode_string(&sealed))
    }

    /// The sealed consent of a form, if it opens, has not expired, and this browser's cookie
    /// and the form both carry its CSRF token.
    async fn open_consent<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<Consent, Response> {
        let expired = || page::error(400, None, "This sign-in is unknown or has expired.");
        let sealed = field(f, "consent")
            .and_then(|s| Base64UrlUnpadded::decode_vec(s).ok())
            .ok_or_else(expired)?;
        let plain = io
            .sealer
            .open(&self.key, CONSENT_AAD, &sealed)
            .await
            .map_err(|_| expired())?;
        let consent: Consent = serde_json::from_slice(&plain).map_err(|_| expired())?;
        if now >= consent.expires_at {
            return Err(expired());
        }
        let browser =
            cookie(req, &cookie_name(&consent.grant)).is_some_and(|c| same(c, &consent.csrf));
        let form = field(f, "csrf").is_some_and(|c| same(c, &consent.csrf));
        if !browser || !form {
            return Err(page::error(
                403,
                None,
                "This sign-in was not started in this browser (CSRF check failed).",
            ));
        }
        Ok(consent)
    }

    /// `POST /authorize`: the person's decision on the consent page. Only a same-origin form
    /// counts: a cross-site or sibling-site post (`Sec-Fetch-Site`) is refused outright.
    async fn decide<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        req: &Request,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Handled {
        if req
            .header("sec-fetch-site")
            .is_some_and(|s| !matches!(s, "same-origin" | "none"))
        {
            return page::error(
                403,
                None,
                "The consent form must be sent from this gateway's own page.",
            )
            .into();
        }
        let consent = match self.open_consent(req, f, io, now).await {
            Ok(consent) => consent,
            Err(resp) => return resp.into(),
        };
        let request = &consent.request;
        if field(f, "decision") != Some("approve") {
            let params = [
                ("error", "access_denied"),
                ("error_description", "the person denied access"),
            ];
            return back(
                req,
                &request.redirect_uri,
                request.state.as_deref(),
                &params,
            )
            .into();
        }
        let verifier = Base64UrlUnpadded::encode_string(&rand_bytes::<32>());
        let login = self
            .idp
            .login_url(io.client, now, &req.origin, &consent.grant, &verifier)
            .await;
        let login = match login {
            Ok(url) => url,
            Err(e) => {
                return Handled {
                    response: page::error(502, None, page::IDP_DOWN),
                    note: Some(e.to_string()),
                }
            }
        };
        let op = Op::Open {
            request: request.clone(),
            csrf: consent.csrf.clone(),
            verifier,
        };
        match io.store.call(&consent.grant, &op).await {
            Ok(Reply::Opened) => {}
            Ok(Reply::Refused(Refusal::AlreadyOpen)) => {
                return page::error(400, None, "This sign-in was approved already.").into()
            }
            other => {
                return Handled {
                    response: page::error(503, None, page::STORE_DOWN),
                    note: Some(format!("grant object: {other:?}")),
                }
            }
        }
        let note = self.renew(&request.client_id, io, now).await.err();
        Handled {
            response: no_store(Response::new(303).with_header("location", login)),
            note,
        }
    }

    /// Pushes back the idle expiry of a registered client that is being used (a KV read; a
    /// write at most once a day).
    async fn renew<C: HttpClient, K: Store, S: Sealer>(
        &self,
        client_id: &str,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<(), String> {
        let Ok((client, Some(renewed_at))) = self.client(client_id, io, now).await else {
            return Ok(());
        };
        if now < renewed_at + CLIENT_RENEW_AFTER_S {
            return Ok(());
        }
        let record = Registered {
            client,
            renewed_at: now,
        };
        let key = format!("client:{client_id}");
        self.vault(io)
            .put(&key, &record, CLIENT_IDLE_TTL_S)
            .await
            .map_err(|e| format!("could not renew client {client_id}: {e}"))
    }

    /// `GET /oauth/callback`: the person is back from the IdP. The grant's object decides,
    /// once, with this browser's cookie.
    async fn callback<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        req: &Request,
        q: &[(String, String)],
        io: &Io<'_, C, K, S>,
    ) -> Handled {
        let unknown = || page::error(400, None, "This sign-in is unknown or has expired.");
        let Some(grant) = field(q, "state").filter(|s| self.minter.is_id(s)) else {
            return unknown().into();
        };
        let name = cookie_name(grant);
        let Some(csrf) = cookie(req, &name) else {
            return page::error(
                403,
                None,
                "This sign-in was not started in this browser (CSRF check failed).",
            )
            .into();
        };
        let op = Op::Callback {
            csrf: csrf.to_owned(),
            idp_code: field(q, "code").map(str::to_owned),
            origin: req.origin.clone(),
        };
        let (response, note) = match io.store.call(grant, &op).await {
            Ok(Reply::Back {
                redirect_uri,
                state,
                params,
                detail,
            }) => {
                let params: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                (back(req, &redirect_uri, state.as_deref(), &params), detail)
            }
            Ok(Reply::Refused(Refusal::OtherBrowser)) => (
                page::error(
                    403,
                    None,
                    "This sign-in was not started in this browser (CSRF check failed).",
                ),
                None,
            ),
            Ok(Reply::Refused(r)) if r.detail().is_none() => (unknown(), None),
            other => (
                page::error(503, None, page::STORE_DOWN),
                Some(format!("grant object: {other:?}")),
            ),
        };
        Handled {
            response: response.with_header(
                "set-cookie",
                format!("{name}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"),
            ),
            note,
        }
    }

    async fn token<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
    ) -> Result<Response, (TokenError, Option<String>)> {
        let plain = |e: TokenError| (e, None);
        let client_id = field(f, "client_id")
            .ok_or_else(|| {
                plain(token_error(
                    "invalid_request",
                    "client_id is required (public clients)",
                ))
            })?
            .to_owned();
        let resource = field(f, "resource").map(str::to_owned);
        let (secret, op) = match field(f, "grant_type") {
            Some("authorization_code") => {
                let code = field(f, "code")
                    .ok_or_else(|| plain(token_error("invalid_request", "code is required")))?;
                let verifier = field(f, "code_verifier").ok_or_else(|| {
                    plain(token_error(
                        "invalid_request",
                        "code_verifier is required (PKCE)",
                    ))
                })?;
                let op = Op::Redeem {
                    code: code.to_owned(),
                    client_id,
                    redirect_uri: field(f, "redirect_uri").map(str::to_owned),
                    verifier: verifier.to_owned(),
                    resource,
                };
                (code, op)
            }
            Some("refresh_token") => {
                let token = field(f, "refresh_token").ok_or_else(|| {
                    plain(token_error("invalid_request", "refresh_token is required"))
                })?;
                let op = Op::Refresh {
                    token: token.to_owned(),
                    client_id,
                    resource,
                };
                (token, op)
            }
            Some(other) => {
                let other: String = other.chars().take(64).collect();
                return Err(plain(token_error(
                    "unsupported_grant_type",
                    format!("{other} is not supported"),
                )));
            }
            None => {
                return Err(plain(token_error(
                    "invalid_request",
                    "grant_type is required",
                )))
            }
        };
        let grant = self
            .minter
            .grant_of(secret)
            .ok_or_else(|| plain(Refusal::Unknown.token_error()))?;
        match io.store.call(grant, &op).await {
            Ok(Reply::Tokens {
                access,
                refresh,
                expires_in,
            }) => Ok(no_store(Response::json(
                200,
                json!({
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": expires_in,
                    "refresh_token": refresh,
                })
                .to_string(),
            ))),
            Ok(Reply::Refused(r)) => Err((r.token_error(), r.detail())),
            other => Err((
                Refusal::Unavailable(String::new()).token_error(),
                Some(format!("grant object: {other:?}")),
            )),
        }
    }

    /// `POST /revoke` (RFC 7009): any token of a grant ends the grant. Unknown tokens are no
    /// error, so the endpoint tells nobody which tokens exist.
    async fn revoke<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
    ) -> Handled {
        let Some(token) = field(f, "token") else {
            return token_error("invalid_request", "token is required")
                .response()
                .into();
        };
        let Some(grant) = self.minter.grant_of(token) else {
            return no_store(Response::new(200)).into();
        };
        let op = Op::Revoke {
            token: token.to_owned(),
            client_id: field(f, "client_id").map(str::to_owned),
        };
        match io.store.call(grant, &op).await {
            Ok(Reply::Revoked) => no_store(Response::new(200)).into(),
            // Not revoked: the client must be able to tell, and try again.
            other => Handled {
                response: Refusal::Unavailable(String::new()).token_error().response(),
                note: Some(format!("grant object: {other:?}")),
            },
        }
    }

    /// `POST /register` (RFC 7591): a public client with checked redirect URIs, forgotten when
    /// nobody signs in with it for [`CLIENT_IDLE_TTL_S`].
    async fn register<C: HttpClient, K: Store, S: Sealer>(
        &self,
        body: &str,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Handled {
        let invalid = |code: &str, why: String| {
            no_store(Response::json(
                400,
                json!({"error": code, "error_description": why}).to_string(),
            ))
        };
        let Ok(doc) = serde_json::from_str::<Value>(body) else {
            return invalid(
                "invalid_client_metadata",
                "the body is not a JSON object".into(),
            )
            .into();
        };
        let client_id = random_hex(16);
        let client = match clients::metadata(client_id.clone(), &doc) {
            Ok(c) => c,
            Err(why) if why.starts_with("redirect") => {
                return invalid("invalid_redirect_uri", why).into()
            }
            Err(why) => return invalid("invalid_client_metadata", why).into(),
        };
        let record = Registered {
            client,
            renewed_at: now,
        };
        let key = format!("client:{client_id}");
        if let Err(e) = self.vault(io).put(&key, &record, CLIENT_IDLE_TTL_S).await {
            return Handled {
                response: token_error(
                    "temporarily_unavailable",
                    "the client could not be registered; try again",
                )
                .response(),
                note: Some(e.to_string()),
            };
        }
        let client = record.client;
        no_store(Response::json(
            201,
            json!({
                "client_id": client.client_id,
                "client_name": client.client_name,
                "redirect_uris": client.redirect_uris,
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            })
            .to_string(),
        ))
        .into()
    }

    /// Admits a tool call's bearer token for `resource` (this endpoint's URL) and returns the
    /// person's IdP token to call the cluster with. The grant's object decides on every call,
    /// so a revoked grant stops at once, everywhere.
    pub async fn admit<C: HttpClient, K: Store + Grants<Op, Reply>, S: Sealer>(
        &self,
        token: &str,
        resource: &str,
        io: &Io<'_, C, K, S>,
    ) -> Result<Admitted, AuthError> {
        let grant = self
            .minter
            .grant_of(token)
            .ok_or_else(|| AuthError::InvalidToken("not a token of this gateway".into()))?;
        let op = Op::Admit {
            token: token.to_owned(),
            resource: resource.to_owned(),
        };
        match io.store.call(grant, &op).await {
            Ok(Reply::Admitted {
                person_token,
                subject,
                client_id,
                refreshed,
            }) => Ok(Admitted {
                principal: Principal::Token {
                    issuer: self.issuer().to_owned(),
                    subject: Some(subject),
                    client_id: Some(client_id),
                    scopes: Vec::new(),
                },
                person_token,
                note: refreshed.then(|| "the person's IdP token was refreshed".into()),
            }),
            Ok(Reply::Refused(r)) => Err(r.auth_error()),
            _ => Err(Refusal::Unavailable(String::new()).auth_error()),
        }
    }
}

/// Back to the client at `redirect_uri` with `params`, its `state` and our `iss` (RFC 9207).
fn back(
    req: &Request,
    redirect_uri: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> Response {
    let mut all = params.to_vec();
    if let Some(state) = state {
        all.push(("state", state));
    }
    all.push(("iss", &req.origin));
    no_store(Response::new(302).with_header("location", with_query(redirect_uri, &all)))
}

fn host_of(uri: &str) -> &str {
    uri.split_once("://")
        .map_or(uri, |(_, r)| r.split(['/', '?']).next().unwrap_or(r))
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the runtime provides randomness");
    b
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn an_ipv6_subscriber_is_counted_by_its_64() {
        assert_eq!(address_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:ffff:0:0:9"), "2001:db8:1:2::/64");
        assert_eq!(address_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(address_key("::ffff:198.51.100.7"), "::ffff:198.51.100.7");
        assert_eq!(address_key(&"x".repeat(500)).len(), 64);
    }
}
