//! The authentication settings: which mode admits callers, with what it needs.

use crate::ports::Algorithm;
use crate::routes::Reach;
use crate::text::Secret;

/// How callers are authenticated before anything goes upstream.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthMode {
    /// Forward whatever comes (C8 Run's default: the cluster has no authentication).
    None,
    /// Require HTTP Basic credentials and forward them; an upstream 401 becomes HTTP 401.
    Basic,
    /// Verify bearer JWTs at the edge against the issuers' JWKS.
    Oidc(Oidc),
    /// Be the MCP clients' OAuth 2.1 authorization server and sign people in at the
    /// organisation's IdP (`crate::auth::oauth`).
    OAuth(Box<OAuth>),
}

/// Settings of the authorization server (`MCP_AUTH_MODE=oauth`).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth {
    /// The organisation's OIDC issuer, found by discovery (`OAUTH_UPSTREAM_ISSUER`).
    pub upstream_issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Asked of the IdP; `openid` is always among them (the person is named by the ID token).
    pub scopes: Vec<String>,
    /// Sent as `audience` to IdPs that mint tokens per API (Auth0, Camunda SaaS).
    pub audience: Option<String>,
    /// `OAUTH_KV_KEY`: the AES-256-GCM key of every sealed record (registrations in KV, grants
    /// in their Durable Objects, consent forms) is derived from it.
    pub seal_key: Secret,
    pub access_ttl_s: u32,
    pub refresh_ttl_s: u32,
    /// `OAUTH_CIMD_ALLOW_LOOPBACK=true`: client metadata documents may be fetched from this
    /// machine over http (local tests only; said in the log).
    pub cimd_loopback: bool,
}

/// oidc mode: which tokens are accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Oidc {
    pub issuers: Vec<Issuer>,
    /// At least one must appear in the token's `aud`: the cluster API's own audience, so that
    /// forwarding the token upstream is not token passthrough.
    pub audiences: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub leeway_seconds: u32,
    /// Scopes every token must carry (none by default).
    pub required_scopes: Vec<String>,
    /// When set, a token's `https://camunda.com/clusterId` claim, if present, must equal it.
    pub cluster_id: Option<String>,
    /// Refuse tokens without a `https://camunda.com/clusterId` claim (`OIDC_REQUIRE_CLUSTER_CLAIM`).
    pub require_cluster_claim: bool,
    /// `MCP_CACHE_SECRET`: names where key sets are shared between isolates (off when unset).
    pub shared_cache_secret: Option<String>,
}

/// A trusted issuer.
#[derive(Debug, Clone, PartialEq)]
pub struct Issuer {
    pub issuer: String,
    /// Where the signing keys are; `None` means OIDC discovery from the issuer.
    pub jwks_uri: Option<String>,
    /// What this issuer's tokens may reach (`OIDC_ISSUER_ROUTES`); any one of them.
    pub reach: Vec<Reach>,
}
