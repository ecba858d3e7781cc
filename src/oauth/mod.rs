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
//! Everything is kept in Workers KV, sealed ([`vault`]). Tokens are `<grant>.<secret>`: the
//! grant id finds the record, the secret's SHA-256 must match it. KV is eventually
//! consistent across locations (a token used within seconds of being issued is normally read
//! where it was written); reuse of a rotated refresh token revokes the whole grant.

pub mod clients;
pub mod page;
pub mod upstream;
pub mod vault;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::{AuthError, Principal};
use crate::config::OAuth;
use crate::flight::Flights;
use crate::http::{HttpClient, Request, Response};
use clients::{is_document_id, Client, ClientError, Documents};
use upstream::{Idp, IdpError, PersonTokens, CALLBACK_PATH};
use vault::{digest, random_hex, Sealer, Store, Vault, VaultError};

pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/token";
pub const REGISTER_PATH: &str = "/register";
pub const REVOKE_PATH: &str = "/revoke";

/// Largest form or registration body read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long a person has between opening the consent page and coming back from the IdP.
const LOGIN_TTL_S: u64 = 600;
/// How long an authorization code may wait for its exchange.
const CODE_TTL_S: u64 = 60;
/// Registered clients are kept this long after registration.
const CLIENT_TTL_S: u64 = 365 * 86_400;
/// The person's IdP token is refreshed when it has less than this left.
const REFRESH_MARGIN_S: u64 = 60;
/// Rotated refresh tokens remembered per grant, to recognise their reuse.
const MAX_RETIRED: usize = 32;

/// The outside world one request may use.
pub struct Io<'a, C, K, S> {
    pub client: &'a C,
    pub store: &'a K,
    pub sealer: &'a S,
}

/// An authorization request waiting for the person's approval and sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    resource: String,
    csrf: String,
    /// Our PKCE verifier toward the IdP.
    verifier: String,
    approved: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Code {
    hash: String,
    challenge: String,
    expires_at: u64,
    used: bool,
}

/// One person's consent to one client for one resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    resource: String,
    subject: String,
    person: PersonTokens,
    code: Code,
    access: Option<String>,
    refresh: Option<String>,
    retired: Vec<String>,
}

/// What a tool call needs, in one read: kept under the access token's digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Access {
    grant: String,
    client_id: String,
    resource: String,
    subject: String,
    expires_at: u64,
    person: PersonTokens,
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

impl From<VaultError> for TokenError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Tampered => token_error("invalid_grant", e.to_string()),
            VaultError::Unavailable(_) => token_error("temporarily_unavailable", e.to_string()),
        }
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

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `<grant>.<secret>`, the shape of every code and token this server issues.
fn grant_of(token: &str) -> Option<&str> {
    let (grant, secret) = token.split_once('.')?;
    let hex = |s: &str, n| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(grant, 32) && hex(secret, 64)).then_some(grant)
}

fn new_token(grant: &str) -> String {
    format!("{grant}.{}", random_hex(32))
}

/// `uri` with `params` appended to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

fn redirect(location: String) -> Response {
    no_store(Response::new(302).with_header("location", location))
}

/// The cookie that ties a login to the browser that opened its consent page.
fn cookie_name(request: &str) -> String {
    format!("mcp_login_{}", &request[..16.min(request.len())])
}

fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header("cookie")?.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

fn host_of(uri: &str) -> &str {
    uri.split_once("://")
        .map_or(uri, |(_, r)| r.split(['/', '?']).next().unwrap_or(r))
}

/// The per-isolate state of the authorization server.
pub struct AuthServer {
    idp: Idp,
    documents: Documents,
    key: [u8; 32],
    refreshes: Flights<PersonTokens>,
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

impl AuthServer {
    pub fn new(settings: OAuth) -> Self {
        let key = vault::seal_key(&settings.seal_key.0);
        AuthServer {
            idp: Idp::new(settings),
            documents: Documents::default(),
            key,
            refreshes: Flights::default(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.idp.settings().upstream_issuer
    }

    fn vault<'a, K: Store, S: Sealer>(
        &'a self,
        io: &Io<'a, impl HttpClient, K, S>,
    ) -> Vault<'a, K, S> {
        Vault {
            store: io.store,
            sealer: io.sealer,
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
    pub async fn handle<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        body: &[u8],
        io: &Io<'_, C, K, S>,
        now: u64,
        is_resource: impl Fn(&str) -> bool,
    ) -> Response {
        let body = String::from_utf8_lossy(body);
        let post = req.method == "POST";
        match req.path.as_str() {
            p if p.starts_with(METADATA_PATH) && !post => self.metadata(&req.origin),
            AUTHORIZE_PATH if post => self.decide(req, &form(&body), io, now).await,
            AUTHORIZE_PATH => {
                let query = form(req.query.as_deref().unwrap_or_default());
                self.authorize(req, &query, io, now, is_resource).await
            }
            CALLBACK_PATH if !post => {
                let query = form(req.query.as_deref().unwrap_or_default());
                self.callback(req, &query, io, now).await
            }
            TOKEN_PATH if post => match self.token(&form(&body), io, now).await {
                Ok(resp) => resp,
                Err(e) => e.response(),
            },
            REGISTER_PATH if post => self.register(&body, io).await,
            REVOKE_PATH if post => self.revoke(&form(&body), io, now).await,
            _ => Response::json(405, json!({"error": "method_not_allowed"}).to_string())
                .with_header("allow", if post { "GET" } else { "POST" }),
        }
    }

    async fn client<C: HttpClient, K: Store, S: Sealer>(
        &self,
        client_id: &str,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<Client, ClientError> {
        if is_document_id(client_id) {
            let loopback = self.idp.settings().cimd_loopback;
            return self
                .documents
                .fetch(io.client, client_id, now, loopback)
                .await
                .map(|c| (*c).clone());
        }
        if client_id.len() != 32 || !client_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ClientError::Unknown);
        }
        self.vault(io)
            .get::<Client>(&format!("client:{client_id}"))
            .await
            .map_err(|e| ClientError::Metadata(e.to_string()))?
            .ok_or(ClientError::Unknown)
    }

    /// `GET /authorize`: checks the request, then shows the consent page. Until the redirect
    /// URI is known to be the client's, errors are shown, never redirected (no open redirect).
    async fn authorize<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        q: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
        is_resource: impl Fn(&str) -> bool,
    ) -> Response {
        let Some(client_id) = field(q, "client_id") else {
            return page::error(400, "The request names no client_id.");
        };
        let client = match self.client(client_id, io, now).await {
            Ok(c) => c,
            Err(e) => return page::error(400, &format!("This client cannot sign in: {e}.")),
        };
        let redirect_uri =
            match field(q, "redirect_uri") {
                Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
                None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
                Some(_) => return page::error(
                    400,
                    "The redirect_uri is not one this client registered (exact match required).",
                ),
                None => return page::error(400, "The request names no redirect_uri."),
            };
        let state = field(q, "state");
        let fail = |code: &str, description: &str| {
            let mut params = vec![("error", code), ("error_description", description)];
            if let Some(state) = state {
                params.push(("state", state));
            }
            params.push(("iss", &req.origin));
            redirect(with_query(&redirect_uri, &params))
        };
        if field(q, "response_type") != Some("code") {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
        let challenge = match (
            field(q, "code_challenge"),
            field(q, "code_challenge_method"),
        ) {
            (None, _) => {
                return fail(
                    "invalid_request",
                    "PKCE is required: send code_challenge with code_challenge_method=S256",
                )
            }
            (Some(_), m) if m != Some("S256") => {
                return fail(
                    "invalid_request",
                    "only code_challenge_method=S256 is supported",
                )
            }
            (Some(c), _) if c.len() != 43 || Base64UrlUnpadded::decode_vec(c).is_err() => {
                return fail(
                    "invalid_request",
                    "code_challenge must be the base64url SHA-256 of the verifier",
                )
            }
            (Some(c), _) => c.to_owned(),
        };
        let resource = match field(q, "resource") {
            Some(r) if r.starts_with(&req.origin) && is_resource(r) => r.to_owned(),
            Some(_) => {
                return fail(
                    "invalid_target",
                    "resource is not an MCP endpoint of this gateway",
                )
            }
            None => format!("{}{}", req.origin, crate::app::MCP_PATH),
        };
        // The IdP is asked now, before the person approves anything it could not carry out.
        if let Err(e) = self.idp.reachable(io.client, now).await {
            return page::error(502, &format!("The sign-in service is unavailable: {e}"));
        }
        let id = random_hex(16);
        let pending = Pending {
            client_id: client.client_id.clone(),
            redirect_uri,
            state: state.map(str::to_owned),
            code_challenge: challenge,
            resource,
            csrf: random_hex(32),
            verifier: Base64UrlUnpadded::encode_string(&rand_bytes::<32>()),
            approved: false,
        };
        if let Err(e) = self
            .vault(io)
            .put(&format!("request:{id}"), &pending, LOGIN_TTL_S)
            .await
        {
            return page::error(503, &e.to_string());
        }
        let secure = if req.origin.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        page::consent(&page::Consent {
            request: &id,
            csrf: &pending.csrf,
            client_name: client.client_name.as_deref(),
            client_id: &client.client_id,
            redirect_host: host_of(&pending.redirect_uri),
            resource: &pending.resource,
            idp: host_of(self.issuer()),
        })
        .with_header(
            "set-cookie",
            format!(
                "{}={}; Path=/; Max-Age={LOGIN_TTL_S}; HttpOnly; SameSite=Lax{secure}",
                cookie_name(&id),
                pending.csrf
            ),
        )
    }

    /// A pending login, checked against this browser's cookie and, for the form, its token.
    async fn pending<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        id: Option<&str>,
        csrf: Option<&str>,
        io: &Io<'_, C, K, S>,
    ) -> Result<(String, Pending), Response> {
        let id = id
            .filter(|i| i.len() == 32 && i.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| page::error(400, "This sign-in is unknown or has expired."))?;
        let pending = match self
            .vault(io)
            .get::<Pending>(&format!("request:{id}"))
            .await
        {
            Ok(Some(p)) => p,
            Ok(None) => return Err(page::error(400, "This sign-in is unknown or has expired.")),
            Err(e) => return Err(page::error(400, &e.to_string())),
        };
        let browser = cookie(req, &cookie_name(id)).is_some_and(|c| same(c, &pending.csrf));
        let form = csrf.is_none_or(|c| same(c, &pending.csrf));
        if !browser || !form {
            return Err(page::error(
                403,
                "This sign-in was not started in this browser (CSRF check failed).",
            ));
        }
        Ok((id.to_owned(), pending))
    }

    /// `POST /authorize`: the person's decision on the consent page.
    async fn decide<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Response {
        let Some(csrf) = field(f, "csrf") else {
            return page::error(403, "The form lacks its CSRF token.");
        };
        let (id, mut pending) = match self.pending(req, field(f, "request"), Some(csrf), io).await {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        let key = format!("request:{id}");
        if field(f, "decision") != Some("approve") {
            let _ = self.vault(io).delete(&key).await;
            return self.back(
                req,
                &pending,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the person denied access"),
                ],
            );
        }
        let login = self
            .idp
            .login_url(io.client, now, &req.origin, &id, &pending.verifier)
            .await;
        let login = match login {
            Ok(url) => url,
            Err(e) => return page::error(502, &format!("The sign-in service is unavailable: {e}")),
        };
        pending.approved = true;
        if let Err(e) = self.vault(io).put(&key, &pending, LOGIN_TTL_S).await {
            return page::error(503, &e.to_string());
        }
        no_store(Response::new(303).with_header("location", login))
    }

    /// Back to the client with `params`, its `state` and our `iss` (RFC 9207).
    fn back(&self, req: &Request, pending: &Pending, params: &[(&str, &str)]) -> Response {
        let mut all = params.to_vec();
        if let Some(state) = &pending.state {
            all.push(("state", state));
        }
        all.push(("iss", &req.origin));
        redirect(with_query(&pending.redirect_uri, &all))
    }

    /// `GET /oauth/callback`: the person is back from the IdP.
    async fn callback<C: HttpClient, K: Store, S: Sealer>(
        &self,
        req: &Request,
        q: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Response {
        let (id, pending) = match self.pending(req, field(q, "state"), None, io).await {
            Ok(p) if p.1.approved => p,
            Ok(_) => return page::error(400, "This sign-in was not approved."),
            Err(resp) => return resp,
        };
        // One use: a replayed callback finds nothing.
        let _ = self.vault(io).delete(&format!("request:{id}")).await;
        let Some(code) = field(q, "code") else {
            let why = field(q, "error").unwrap_or("no code");
            return self.back(
                req,
                &pending,
                &[
                    ("error", "access_denied"),
                    (
                        "error_description",
                        &format!("the sign-in ended at the identity provider: {why}"),
                    ),
                ],
            );
        };
        let (person, who) = match self
            .idp
            .exchange(io.client, now, &req.origin, code, &pending.verifier)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                return self.back(
                    req,
                    &pending,
                    &[
                        ("error", "server_error"),
                        ("error_description", &e.to_string()),
                    ],
                )
            }
        };
        let grant_id = random_hex(16);
        let code = new_token(&grant_id);
        let grant = Grant {
            client_id: pending.client_id.clone(),
            redirect_uri: pending.redirect_uri.clone(),
            resource: pending.resource.clone(),
            subject: who.subject,
            person,
            code: Code {
                hash: digest(&code),
                challenge: pending.code_challenge.clone(),
                expires_at: now + CODE_TTL_S,
                used: false,
            },
            access: None,
            refresh: None,
            retired: Vec::new(),
        };
        let ttl = u64::from(self.idp.settings().refresh_ttl_s);
        if let Err(e) = self
            .vault(io)
            .put(&format!("grant:{grant_id}"), &grant, ttl)
            .await
        {
            return self.back(
                req,
                &pending,
                &[
                    ("error", "temporarily_unavailable"),
                    ("error_description", &e.to_string()),
                ],
            );
        }
        self.back(req, &pending, &[("code", &code)]).with_header(
            "set-cookie",
            format!("{}=; Path=/; Max-Age=0", cookie_name(&id)),
        )
    }

    async fn token<C: HttpClient, K: Store, S: Sealer>(
        &self,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<Response, TokenError> {
        let client_id = field(f, "client_id").ok_or_else(|| {
            token_error("invalid_request", "client_id is required (public clients)")
        })?;
        let (secret, grant_type) = match field(f, "grant_type") {
            Some("authorization_code") => (field(f, "code"), "authorization_code"),
            Some("refresh_token") => (field(f, "refresh_token"), "refresh_token"),
            Some(other) => {
                return Err(token_error(
                    "unsupported_grant_type",
                    format!("{other} is not supported"),
                ))
            }
            None => return Err(token_error("invalid_request", "grant_type is required")),
        };
        let secret = secret.ok_or_else(|| {
            token_error(
                "invalid_request",
                format!("{grant_type} needs its code or token"),
            )
        })?;
        let unknown = || token_error("invalid_grant", "unknown, expired or revoked");
        let grant_id = grant_of(secret).ok_or_else(unknown)?;
        let key = format!("grant:{grant_id}");
        let mut grant: Grant = self.vault(io).get(&key).await?.ok_or_else(unknown)?;
        if grant.client_id != client_id {
            return Err(token_error("invalid_grant", "issued to another client"));
        }
        if field(f, "resource").is_some_and(|r| r != grant.resource) {
            return Err(token_error(
                "invalid_target",
                "the grant is for another resource",
            ));
        }
        let hash = digest(secret);
        if grant_type == "authorization_code" {
            if !same(&hash, &grant.code.hash) {
                return Err(unknown());
            }
            if grant.code.used {
                self.end(grant_id, &grant, io, now).await;
                return Err(token_error(
                    "invalid_grant",
                    "the code was already used: its grant is revoked",
                ));
            }
            if now >= grant.code.expires_at {
                return Err(token_error("invalid_grant", "the code has expired"));
            }
            if field(f, "redirect_uri").is_some_and(|r| r != grant.redirect_uri) {
                return Err(token_error(
                    "invalid_grant",
                    "redirect_uri differs from the authorization request",
                ));
            }
            let verifier = field(f, "code_verifier").ok_or_else(|| {
                token_error("invalid_request", "code_verifier is required (PKCE)")
            })?;
            let valid = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
            if !valid || !same(&computed, &grant.code.challenge) {
                return Err(token_error(
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                ));
            }
            grant.code.used = true;
        } else if grant.refresh.as_deref().is_some_and(|r| same(r, &hash)) {
            grant.retired.push(hash);
            if grant.retired.len() > MAX_RETIRED {
                grant.retired.remove(0);
            }
        } else if grant.retired.iter().any(|r| same(r, &hash)) {
            self.end(grant_id, &grant, io, now).await;
            return Err(token_error(
                "invalid_grant",
                "the refresh token was already used: its grant is revoked",
            ));
        } else {
            return Err(unknown());
        }
        self.issue(grant_id, grant, io, now).await
    }

    /// New access and refresh tokens for `grant`; the previous access token stops working.
    async fn issue<C: HttpClient, K: Store, S: Sealer>(
        &self,
        grant_id: &str,
        mut grant: Grant,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<Response, TokenError> {
        let settings = self.idp.settings();
        let vault = self.vault(io);
        if let Some(old) = grant.access.take() {
            vault.delete(&format!("access:{old}")).await?;
        }
        let access = new_token(grant_id);
        let refresh = new_token(grant_id);
        grant.access = Some(digest(&access));
        grant.refresh = Some(digest(&refresh));
        let record = Access {
            grant: grant_id.to_owned(),
            client_id: grant.client_id.clone(),
            resource: grant.resource.clone(),
            subject: grant.subject.clone(),
            expires_at: now + u64::from(settings.access_ttl_s),
            person: grant.person.clone(),
        };
        vault
            .put(
                &format!("grant:{grant_id}"),
                &grant,
                u64::from(settings.refresh_ttl_s),
            )
            .await?;
        vault
            .put(
                &format!("access:{}", digest(&access)),
                &record,
                u64::from(settings.access_ttl_s),
            )
            .await?;
        Ok(no_store(Response::json(
            200,
            json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": settings.access_ttl_s,
                "refresh_token": refresh,
            })
            .to_string(),
        )))
    }

    /// Ends a grant: its records go, and the IdP is told the person's refresh token is done.
    async fn end<C: HttpClient, K: Store, S: Sealer>(
        &self,
        grant_id: &str,
        grant: &Grant,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) {
        let vault = self.vault(io);
        if let Some(access) = &grant.access {
            let _ = vault.delete(&format!("access:{access}")).await;
        }
        let _ = vault.delete(&format!("grant:{grant_id}")).await;
        self.idp.revoke(io.client, now, &grant.person).await;
    }

    /// `POST /revoke` (RFC 7009): any token of a grant ends the grant. Unknown tokens are no
    /// error, so the endpoint tells nobody which tokens exist.
    async fn revoke<C: HttpClient, K: Store, S: Sealer>(
        &self,
        f: &[(String, String)],
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Response {
        let Some(token) = field(f, "token") else {
            return token_error("invalid_request", "token is required").response();
        };
        if let Some(grant_id) = grant_of(token) {
            let hash = digest(token);
            if let Ok(Some(grant)) = self
                .vault(io)
                .get::<Grant>(&format!("grant:{grant_id}"))
                .await
            {
                let ours = [&grant.access, &grant.refresh]
                    .into_iter()
                    .flatten()
                    .chain(grant.retired.iter())
                    .any(|h| same(h, &hash));
                let client_ok = field(f, "client_id").is_none_or(|c| c == grant.client_id);
                if ours && client_ok {
                    self.end(grant_id, &grant, io, now).await;
                }
            }
        }
        no_store(Response::new(200))
    }

    /// `POST /register` (RFC 7591): a public client with checked redirect URIs.
    async fn register<C: HttpClient, K: Store, S: Sealer>(
        &self,
        body: &str,
        io: &Io<'_, C, K, S>,
    ) -> Response {
        let invalid = |why: String| {
            no_store(Response::json(
                400,
                json!({"error": "invalid_client_metadata", "error_description": why}).to_string(),
            ))
        };
        let Ok(doc) = serde_json::from_str::<Value>(body) else {
            return invalid("the body is not a JSON object".into());
        };
        let client_id = random_hex(16);
        let client = match clients::metadata(client_id.clone(), &doc) {
            Ok(c) => c,
            Err(why) => {
                let code = if why.starts_with("redirect") {
                    "invalid_redirect_uri"
                } else {
                    "invalid_client_metadata"
                };
                return no_store(Response::json(
                    400,
                    json!({"error": code, "error_description": why}).to_string(),
                ));
            }
        };
        if let Err(e) = self
            .vault(io)
            .put(&format!("client:{client_id}"), &client, CLIENT_TTL_S)
            .await
        {
            return token_error("temporarily_unavailable", e.to_string()).response();
        }
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
    }

    /// Admits a tool call's bearer token for `resource` (this endpoint's URL) and returns the
    /// person's IdP token to call the cluster with, refreshed when it is about to expire.
    pub async fn admit<C: HttpClient, K: Store, S: Sealer>(
        &self,
        token: &str,
        resource: &str,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<Admitted, AuthError> {
        let invalid = |why: &str| AuthError::InvalidToken(why.to_owned());
        let grant_id = grant_of(token).ok_or_else(|| invalid("not a token of this gateway"))?;
        let key = format!("access:{}", digest(token));
        let vault = self.vault(io);
        let mut access = match vault.get::<Access>(&key).await {
            Ok(Some(a)) if a.grant == grant_id => a,
            Ok(_) => return Err(invalid("unknown, expired or revoked token")),
            Err(VaultError::Tampered) => {
                return Err(invalid("the token's record failed its integrity check"))
            }
            Err(e) => return Err(AuthError::Unavailable(e.to_string())),
        };
        if now >= access.expires_at {
            return Err(invalid("the token has expired"));
        }
        if access.resource != resource {
            return Err(invalid(&format!(
                "the token is for another resource ({})",
                access.resource
            )));
        }
        let mut note = None;
        if access.person.expires_at <= now + REFRESH_MARGIN_S {
            access.person = self
                .refresh_person(grant_id, &key, &access, io, now)
                .await?;
            note = Some("the person's IdP token was refreshed".into());
        }
        Ok(Admitted {
            principal: Principal::Token {
                issuer: self.issuer().to_owned(),
                subject: Some(access.subject),
                client_id: Some(access.client_id),
                scopes: Vec::new(),
            },
            person_token: access.person.access_token,
            note,
        })
    }

    /// One refresh per grant at a time; the new tokens go to the grant and the access record.
    async fn refresh_person<C: HttpClient, K: Store, S: Sealer>(
        &self,
        grant_id: &str,
        access_key: &str,
        access: &Access,
        io: &Io<'_, C, K, S>,
        now: u64,
    ) -> Result<PersonTokens, AuthError> {
        let refreshed = self
            .refreshes
            .run(io.client, grant_id, 15_000, || async {
                let vault = self.vault(io);
                let gkey = format!("grant:{grant_id}");
                let mut grant: Grant = vault
                    .get(&gkey)
                    .await
                    .map_err(|e| format!("unavailable: {e}"))?
                    .ok_or("revoked: the grant has ended")?;
                // Another isolate may have refreshed already.
                if grant.person.expires_at > now + REFRESH_MARGIN_S {
                    return Ok(grant.person);
                }
                match self.idp.refresh(io.client, now, &grant.person).await {
                    Ok(person) => {
                        grant.person = person.clone();
                        let mut record = access.clone();
                        record.person = person.clone();
                        let s = self.idp.settings();
                        let _ = vault.put(&gkey, &grant, u64::from(s.refresh_ttl_s)).await;
                        let ttl = record.expires_at.saturating_sub(now);
                        let _ = vault.put(access_key, &record, ttl).await;
                        Ok(person)
                    }
                    Err(e @ IdpError::Refused { .. }) => {
                        self.end(grant_id, &grant, io, now).await;
                        Err(format!("revoked: {e}"))
                    }
                    Err(e) => Err(format!("unavailable: {e}")),
                }
            })
            .await;
        refreshed.map_err(|why| match why.strip_prefix("revoked: ") {
            Some(why) => {
                AuthError::InvalidToken(format!("your sign-in has ended ({why}); sign in again"))
            }
            None => AuthError::Unavailable(why),
        })
    }
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the runtime provides randomness");
    b
}
