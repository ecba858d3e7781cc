//! The organisation's IdP, as the gateway's own confidential client: discovery, the login
//! redirect, the code exchange and refreshes. Also the one token-endpoint call that the
//! client-credentials mode shares.

use std::cell::RefCell;
use std::rc::Rc;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::http::vouching_url;

use crate::auth::mode::OAuth;
use crate::http::{max_age, Method, UpstreamRequest};
use crate::ports::HttpClient;

const TIMEOUT_MS: u32 = 10_000;
const MAX_BYTES: usize = 256 * 1024;

/// Why the IdP gave no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdpError {
    #[error("the identity provider at {0} could not be reached: {1}")]
    Unreachable(String, String),
    /// The IdP refused the grant itself (400/401 `invalid_grant` or `unauthorized_client`).
    #[error("the identity provider refused: {error}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("the identity provider answered something unusable: {0}")]
    Invalid(String),
}

/// What a token endpoint gave.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub id_token: Option<String>,
}

/// POSTs a form to a token endpoint (client authentication in the form, as Camunda's and most
/// IdPs accept) and reads the token answer.
pub async fn token_request<C: HttpClient>(
    client: &C,
    url: &str,
    form: &[(&str, &str)],
) -> Result<TokenAnswer, IdpError> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let req = UpstreamRequest {
        method: Method::Post,
        url: url.to_owned(),
        headers: vec![
            ("content-type", "application/x-www-form-urlencoded".into()),
            ("accept", "application/json".into()),
        ],
        body: Some(body.into_bytes()),
        timeout_ms: TIMEOUT_MS,
        max_bytes: MAX_BYTES,
        compact: None,
        via: None,
    };
    let resp = client
        .send(req)
        .await
        .map_err(|e| IdpError::Unreachable(url.to_owned(), e.to_string()))?;
    let json: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    if !(200..300).contains(&resp.status) {
        let text = |k: &str| json.get(k).and_then(Value::as_str).map(short);
        // Only a 400 or 401 refusing the grant itself is a verdict (it ends a person's
        // grant): an IdP that is overloaded, down or misconfigured says nothing about them.
        let verdict = matches!(resp.status, 400 | 401);
        return Err(match text("error") {
            Some(error)
                if verdict && matches!(error.as_str(), "invalid_grant" | "unauthorized_client") =>
            {
                IdpError::Refused {
                    error,
                    description: text("error_description"),
                }
            }
            Some(error) => {
                IdpError::Unreachable(url.to_owned(), format!("HTTP {} {error}", resp.status))
            }
            None => IdpError::Unreachable(url.to_owned(), format!("HTTP {}", resp.status)),
        });
    }
    serde_json::from_value::<TokenAnswer>(json)
        .ok()
        .filter(|t| !t.access_token.is_empty())
        .ok_or_else(|| IdpError::Invalid("no access_token in the token answer".into()))
}

fn short(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// The endpoints discovery found.
#[derive(Debug, Clone)]
struct Endpoints {
    authorization: String,
    token: String,
    revocation: Option<String>,
    fresh_until: u64,
}

/// The person's tokens at the IdP, as kept (sealed) in the grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

/// Who signed in, from the ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub subject: String,
    pub name: Option<String>,
}

/// The IdP with its discovered endpoints (per isolate).
pub struct Idp {
    settings: OAuth,
    endpoints: RefCell<Option<Rc<Endpoints>>>,
}

/// Where the IdP sends the person back.
pub const CALLBACK_PATH: &str = "/oauth/callback";

impl Idp {
    pub fn new(settings: OAuth) -> Self {
        Idp {
            settings,
            endpoints: RefCell::new(None),
        }
    }

    pub fn settings(&self) -> &OAuth {
        &self.settings
    }

    async fn endpoints<C: HttpClient>(
        &self,
        client: &C,
        now: u64,
    ) -> Result<Rc<Endpoints>, IdpError> {
        if let Some(e) = self
            .endpoints
            .borrow()
            .as_ref()
            .filter(|e| now < e.fresh_until)
        {
            return Ok(e.clone());
        }
        let issuer = &self.settings.upstream_issuer;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let req = UpstreamRequest {
            method: Method::Get,
            url: url.clone(),
            headers: vec![("accept", "application/json".into())],
            body: None,
            timeout_ms: TIMEOUT_MS,
            max_bytes: MAX_BYTES,
            compact: None,
            via: None,
        };
        let unreachable = |why: String| IdpError::Unreachable(url.clone(), why);
        let resp = client
            .send(req)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        if resp.status != 200 {
            return Err(unreachable(format!("HTTP {}", resp.status)));
        }
        let doc: Value = serde_json::from_slice(&resp.body)
            .map_err(|_| IdpError::Invalid("discovery document is not JSON".into()))?;
        let field = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
        if field("issuer").as_deref() != Some(issuer.as_str()) {
            return Err(IdpError::Invalid(format!(
                "discovery names issuer {:?}, expected {issuer}",
                field("issuer").unwrap_or_default()
            )));
        }
        // Endpoints receive the person and the client secret: https, or this machine in tests.
        let endpoint = |k: &str| {
            field(k)
                .filter(|u| vouching_url(u).is_some())
                .ok_or_else(|| IdpError::Invalid(format!("discovery lacks a usable {k}")))
        };
        let endpoints = Rc::new(Endpoints {
            authorization: endpoint("authorization_endpoint")?,
            token: endpoint("token_endpoint")?,
            revocation: endpoint("revocation_endpoint").ok(),
            fresh_until: now + max_age(resp.cache_control.as_deref()),
        });
        *self.endpoints.borrow_mut() = Some(endpoints.clone());
        Ok(endpoints)
    }

    /// Whether the IdP answers discovery (asked before the person approves anything).
    pub async fn reachable<C: HttpClient>(&self, client: &C, now: u64) -> Result<(), IdpError> {
        self.endpoints(client, now).await.map(|_| ())
    }

    /// Where to send the person to sign in. `verifier` is our PKCE secret for this login.
    pub async fn login_url<C: HttpClient>(
        &self,
        client: &C,
        now: u64,
        origin: &str,
        state: &str,
        verifier: &str,
    ) -> Result<String, IdpError> {
        let endpoints = self.endpoints(client, now).await?;
        let challenge = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
        let redirect = format!("{origin}{CALLBACK_PATH}");
        let scope = self.settings.scopes.join(" ");
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &redirect)
            .append_pair("scope", &scope)
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("nonce", &nonce_of(verifier));
        if let Some(audience) = &self.settings.audience {
            query.append_pair("audience", audience);
        }
        let sep = if endpoints.authorization.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!(
            "{}{sep}{}",
            endpoints.authorization,
            query.finish()
        ))
    }

    /// Trades the IdP's code for the person's tokens and says who signed in.
    pub async fn exchange<C: HttpClient>(
        &self,
        client: &C,
        now: u64,
        origin: &str,
        code: &str,
        verifier: &str,
    ) -> Result<(PersonTokens, Person), IdpError> {
        let endpoints = self.endpoints(client, now).await?;
        let redirect = format!("{origin}{CALLBACK_PATH}");
        let s = &self.settings;
        let answer = token_request(
            client,
            &endpoints.token,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &redirect),
                ("code_verifier", verifier),
                ("client_id", &s.client_id),
                ("client_secret", &s.client_secret.0),
            ],
        )
        .await?;
        let person = self.person(answer.id_token.as_deref(), now, &nonce_of(verifier))?;
        Ok((tokens(answer, None, now), person))
    }

    /// New tokens for the person from their refresh token.
    pub async fn refresh<C: HttpClient>(
        &self,
        client: &C,
        now: u64,
        old: &PersonTokens,
    ) -> Result<PersonTokens, IdpError> {
        let Some(refresh) = &old.refresh_token else {
            return Err(IdpError::Refused {
                error: "invalid_grant".into(),
                description: Some("the IdP gave no refresh token; sign in again".into()),
            });
        };
        let endpoints = self.endpoints(client, now).await?;
        let s = &self.settings;
        let answer = token_request(
            client,
            &endpoints.token,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", &s.client_id),
                ("client_secret", &s.client_secret.0),
            ],
        )
        .await?;
        Ok(tokens(answer, old.refresh_token.clone(), now))
    }

    /// Tells the IdP the person's refresh token is no longer wanted (best effort).
    pub async fn revoke<C: HttpClient>(&self, client: &C, now: u64, tokens: &PersonTokens) {
        let Ok(endpoints) = self.endpoints(client, now).await else {
            return;
        };
        let (Some(url), Some(token)) = (&endpoints.revocation, &tokens.refresh_token) else {
            return;
        };
        let s = &self.settings;
        let _ = token_request(
            client,
            url,
            &[
                ("token", token),
                ("token_type_hint", "refresh_token"),
                ("client_id", &s.client_id),
                ("client_secret", &s.client_secret.0),
            ],
        )
        .await;
    }

    /// The person named by the ID token. It came straight from the token endpoint over a
    /// verified connection, which OIDC Core (3.1.3.7) accepts in place of its signature; its
    /// issuer, audience, expiry and `nonce` are still checked.
    fn person(&self, id_token: Option<&str>, now: u64, nonce: &str) -> Result<Person, IdpError> {
        let invalid = |why: &str| IdpError::Invalid(format!("ID token: {why}"));
        let payload = id_token
            .ok_or_else(|| invalid("missing (is openid among OAUTH_UPSTREAM_SCOPES?)"))?
            .split('.')
            .nth(1)
            .ok_or_else(|| invalid("not a JWT"))?;
        let bytes = Base64UrlUnpadded::decode_vec(payload.trim_end_matches('='))
            .or_else(|_| Base64::decode_vec(payload))
            .map_err(|_| invalid("not base64url"))?;
        let claims: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("not JSON"))?;
        let text = |k: &str| claims.get(k).and_then(Value::as_str);
        if text("iss") != Some(self.settings.upstream_issuer.as_str()) {
            return Err(invalid("issued by another issuer"));
        }
        let ours = |v: &Value| v.as_str() == Some(self.settings.client_id.as_str());
        let aud_ok = match claims.get("aud") {
            Some(Value::Array(list)) => list.iter().any(ours),
            Some(v) => ours(v),
            None => false,
        };
        if !aud_ok {
            return Err(invalid("issued for another client"));
        }
        if text("nonce") != Some(nonce) {
            return Err(invalid("issued for another login (nonce)"));
        }
        if claims
            .get("exp")
            .and_then(Value::as_u64)
            .is_none_or(|exp| exp + 60 < now)
        {
            return Err(invalid("expired"));
        }
        let subject = text("sub")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("no sub"))?;
        let name = text("preferred_username")
            .or(text("email"))
            .or(text("name"));
        Ok(Person {
            subject: short(subject),
            name: name.map(short),
        })
    }
}

/// The OIDC `nonce` of a login, derived from its PKCE verifier (a secret of that one login):
/// the ID token the IdP returns is bound to the login that asked for it, with nothing more to
/// keep. PKCE already binds the code; this binds the identity claims as well.
fn nonce_of(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(
        &Sha256::new()
            .chain_update(b"camunda-mcp-edge oidc nonce\0")
            .chain_update(verifier.as_bytes())
            .finalize(),
    )
}

fn tokens(answer: TokenAnswer, old_refresh: Option<String>, now: u64) -> PersonTokens {
    PersonTokens {
        access_token: answer.access_token,
        // Some IdPs rotate refresh tokens, others keep the old one valid.
        refresh_token: answer.refresh_token.or(old_refresh),
        expires_at: now + answer.expires_in.unwrap_or(300),
    }
}
