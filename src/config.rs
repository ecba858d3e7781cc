//! Gateway settings, read once per isolate from Worker vars (or any name → value lookup).
//!
//! A bad value is an error naming the variable, not a silent default: a gateway pointed at the
//! wrong cluster, or with a typo in its timeout, should say so on the first request.

use thiserror::Error;

use crate::camunda::tools::{HintMode, ToolClass};
use crate::camunda::toolsets::Toolset;
use crate::confirm::{self, Confirm, Cover};

/// The settings that are secrets: set with `wrangler secret put`, never in `wrangler.toml`
/// (tests/config_files.rs checks the shipped file names none of them as a var).
pub const SECRETS: [&str; 5] = [
    "MCP_CACHE_SECRET",
    "MCP_CONFIRM_SECRET",
    "OAUTH_KV_KEY",
    "OAUTH_UPSTREAM_CLIENT_SECRET",
    "CAMUNDA_CLIENT_SECRET",
];

/// Which REST API v2 line the cluster speaks. Decides which tools' fields may reach it:
/// an 8.9 cluster rejects fields that only 8.10 knows, so they are not offered at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    V8_9,
    V8_10,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Cluster REST base of `/mcp/cluster` without a trailing `/` or `/v2`, e.g.
    /// `http://localhost:8080`. `None` when SaaS routing is on and no address was set: then
    /// `/mcp/cluster` is not served rather than pointing at a cluster nobody chose.
    pub rest_address: Option<String>,
    pub request_timeout_ms: u32,
    pub api_version: ApiVersion,
    /// Largest MCP request body accepted (413 above).
    pub max_body_bytes: usize,
    /// How long an admitted caller may take to send its body (408 after).
    pub body_timeout_ms: u32,
    /// Largest upstream response body read (a tool error above).
    pub max_upstream_bytes: usize,
    /// Longest tool result text handed to the model; longer results are cut, saying so.
    pub max_result_chars: usize,
    /// `page.limit` sent with searches that set none (0: send none, the cluster's default applies).
    pub default_page_limit: u32,
    pub origins: OriginPolicy,
    pub auth: AuthMode,
    /// Whose credentials the cluster is called with (`CAMUNDA_UPSTREAM_AUTH`).
    pub upstream: UpstreamAuth,
    /// Camunda SaaS routing: `/{region}/{clusterId}/mcp/cluster` besides `/mcp/cluster`.
    pub saas: Option<Saas>,
    /// Operator toolsets offered besides Camunda's 18 tools (`MCP_TOOLSETS`), in the order named.
    pub toolsets: Vec<Toolset>,
    /// The processes-as-tools server at `/mcp/processes` (`MCP_PROCESSES=true`, 8.10 only).
    pub processes: Option<ProcessesServer>,
    /// Which tools are offered, to whom and how often; what the audit record holds.
    pub governance: Governance,
    /// Which calls a person confirms first (`MCP_CONFIRM_WRITES`), or none.
    pub confirm: Option<Confirm>,
    /// Things worth one log line at start (e.g. a cleartext key source allowed for loopback).
    pub warnings: Vec<String>,
}

/// The platform team's controls, as written in the Worker vars. Tool names are checked against
/// the catalogue when the policy is built (`policy::Policy::new`), so a typo stops the gateway
/// instead of silently offering a tool nobody meant to offer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Governance {
    /// Routes where only read tools are offered (`MCP_READ_ONLY`); `true` is `[Reach::Any]`.
    pub read_only: Vec<Reach>,
    /// `MCP_TOOLS`: when set, only these tools are offered.
    pub allow: Option<Vec<String>>,
    /// `MCP_TOOLS_DENY`: never offered.
    pub deny: Vec<String>,
    /// `MCP_TOOL_SCOPES`: `(tool name or class, scope)`; a tool's own entry beats its class's.
    pub tool_scopes: Vec<(String, String)>,
    pub hints: HintMode,
    /// `MCP_AUDIT_ARGUMENTS=keys`: audit records name the arguments given (never values).
    pub audit_argument_keys: bool,
    /// `MCP_RATE_LIMITS`: what the `[[ratelimits]]` bindings allow, for `Retry-After`, error
    /// messages and the landing page (a Worker cannot read its bindings' settings).
    pub rate_limits: Vec<RateLimit>,
}

/// Settings of `/mcp/processes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessesServer {
    /// How long a caller's list of process tools is reused (`MCP_PROCESSES_LIST_TTL_MS`; 0:
    /// read every time). Also the `ttlMs` modern clients are told.
    pub list_ttl_ms: u32,
}

/// One rate limit as `MCP_RATE_LIMITS` describes it: `limit` calls per `period_s` seconds per
/// caller, for one class of tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub class: ToolClass,
    pub limit: u32,
    /// 10 or 60: the only periods Cloudflare's Rate Limiting binding offers.
    pub period_s: u32,
}

/// One deployment in front of many SaaS clusters. Only the two path slots vary the upstream,
/// and both are checked against strict rules before anything is fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Saas {
    /// Regions a path may name, e.g. `bru-2`.
    pub regions: Vec<String>,
    /// Upstream base with `{region}` and `{clusterId}` slots.
    pub template: String,
}

pub const DEFAULT_SAAS_TEMPLATE: &str = "https://{region}.api.camunda.io/{clusterId}";

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
    /// organisation's IdP (`crate::oauth`).
    OAuth(Box<OAuth>),
}

/// A value that must never reach a log line or an error message, not even through `{:?}`.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
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

#[derive(Debug, Clone, PartialEq)]
pub struct Issuer {
    pub issuer: String,
    /// Where the signing keys are; `None` means OIDC discovery from the issuer.
    pub jwks_uri: Option<String>,
    /// What this issuer's tokens may reach (`OIDC_ISSUER_ROUTES`); any one of them.
    pub reach: Vec<Reach>,
}

/// A part of the gateway an issuer's tokens may reach. With several trusted issuers, each
/// could mint any `clusterId` claim, so each is bound to its own clusters.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// Everything this gateway serves (the only choice with a single issuer).
    Any,
    /// `/mcp/cluster`: the configured cluster.
    Default,
    /// Every SaaS cluster of a region.
    Region(String),
    /// One SaaS cluster (or the configured one, when `CAMUNDA_CLUSTER_ID` names it).
    Cluster(String),
    /// One Camunda 8.10 physical tenant.
    Tenant(String),
}

impl Reach {
    fn parse(s: &str) -> Option<Reach> {
        Some(match s.split_once(':') {
            None if s == "*" => Reach::Any,
            None if s == "default" => Reach::Default,
            Some(("region", r)) if is_region(r) => Reach::Region(r.to_owned()),
            Some(("cluster", c)) if is_cluster_id(c) => Reach::Cluster(c.to_owned()),
            Some(("tenant", t)) if is_physical_tenant_id(t) => Reach::Tenant(t.to_owned()),
            _ => return None,
        })
    }
}

/// Signature algorithms that may be accepted. Never `none`, never HMAC: a gateway that holds only
/// public keys must not let a token choose a symmetric check against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// Which browser origins may call the gateway (DNS-rebinding protection).
#[derive(Debug, Clone, PartialEq)]
pub enum OriginPolicy {
    /// Only `http(s)://localhost|127.0.0.1|[::1]` with any port: the safe default.
    Loopback,
    /// Exactly these origins (plus loopback ones), compared case-insensitively.
    List(Vec<String>),
    /// `*`: any origin. Only for deployments behind another origin check.
    Any,
}

impl OriginPolicy {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            OriginPolicy::Any => true,
            OriginPolicy::Loopback => is_loopback_origin(origin),
            OriginPolicy::List(list) => {
                is_loopback_origin(origin) || list.iter().any(|o| o.eq_ignore_ascii_case(origin))
            }
        }
    }
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(port) => (h, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match rest.split_once(':') {
            Some((h, port)) => (h, Some(port)),
            None => (rest, None),
        },
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && is_loopback_host(host)
}

/// `localhost`, `127.0.0.0/8` or `::1`: this machine.
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|rest| {
            rest.split('.').count() == 3 && rest.split('.').all(|o| o.parse::<u8>().is_ok())
        })
}

#[derive(Debug, Clone, PartialEq, Error)]
#[error("configuration variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl ConfigError {
    /// What a caller may be told: the variable's name, never its value (which may name
    /// internal hosts, or be a secret); the whole error goes to the log.
    pub fn public_message(&self) -> String {
        format!(
            "The gateway is misconfigured: {} is invalid (details in the Worker log).",
            self.name
        )
    }
}

pub const DEFAULT_REST_ADDRESS: &str = "http://localhost:8080";

impl Config {
    /// Reads every setting through `var`; unset or empty means the default.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let saas = saas(&get)?;
        let rest_address = match get("CAMUNDA_REST_ADDRESS") {
            Some(v) => Some(normalize_address(&v).ok_or(ConfigError {
                name: "CAMUNDA_REST_ADDRESS",
                value: v,
                reason:
                    "expected an http:// or https:// URL without credentials, query or fragment",
            })?),
            None if saas.is_some() => None,
            None => Some(DEFAULT_REST_ADDRESS.to_owned()),
        };
        let api_version = match get("CAMUNDA_API_VERSION").as_deref() {
            None | Some("8.9") => ApiVersion::V8_9,
            Some("8.10") => ApiVersion::V8_10,
            Some(v) => {
                return Err(ConfigError {
                    name: "CAMUNDA_API_VERSION",
                    value: v.to_owned(),
                    reason: "expected 8.9 or 8.10",
                })
            }
        };
        let origins = match get("MCP_ALLOWED_ORIGINS") {
            None => OriginPolicy::Loopback,
            Some(v) if v == "*" => OriginPolicy::Any,
            Some(v) => OriginPolicy::List(
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        let mut warnings = Vec::new();
        let auth = auth_mode(&get, &mut warnings)?;
        let upstream = upstream_auth(&get, &auth, &mut warnings)?;
        let governance = governance(&get, &auth)?;
        let processes = match get("MCP_PROCESSES").as_deref() {
            None | Some("false") => None,
            Some("true") => Some(ProcessesServer {
                list_ttl_ms: number(&get, "MCP_PROCESSES_LIST_TTL_MS", 10_000, 0..=600_000)?,
            }),
            Some(v) => {
                return Err(ConfigError {
                    name: "MCP_PROCESSES",
                    value: v.to_owned(),
                    reason: "expected true or false",
                })
            }
        };
        let mut toolsets = Vec::new();
        for name in list(get("MCP_TOOLSETS")) {
            let set = Toolset::parse(&name).ok_or(ConfigError {
                name: "MCP_TOOLSETS",
                value: name.clone(),
                reason: "known toolsets: messages, operate, jobs, decisions, deploy, audit",
            })?;
            if !toolsets.contains(&set) {
                toolsets.push(set);
            }
        }
        Ok(Config {
            rest_address,
            request_timeout_ms: number(&get, "CAMUNDA_REQUEST_TIMEOUT_MS", 30_000, 1..=600_000)?,
            api_version,
            max_body_bytes: number(&get, "MCP_MAX_BODY_BYTES", 4 << 20, 1024..=64 << 20)?,
            body_timeout_ms: number(&get, "MCP_BODY_TIMEOUT_MS", 10_000, 100..=120_000)?,
            max_upstream_bytes: number(
                &get,
                "CAMUNDA_MAX_RESPONSE_BYTES",
                16 << 20,
                1024..=100 << 20,
            )?,
            max_result_chars: number(&get, "MCP_MAX_RESULT_CHARS", 100_000, 1_000..=10_000_000)?,
            default_page_limit: number(&get, "MCP_DEFAULT_PAGE_LIMIT", 50, 0..=10_000)?,
            origins,
            auth,
            upstream,
            saas,
            toolsets,
            processes,
            governance,
            confirm: confirmations(&get)?,
            warnings,
        })
    }
}

/// `MCP_CONFIRM_WRITES`: `off` (the default), `elicit` (every tool that changes the cluster),
/// or tool names; with `MCP_CONFIRM_SECRET` (keys, comma-separated: the first signs, every one
/// verifies) and `MCP_CONFIRM_TTL_S`.
fn confirmations(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Confirm>, ConfigError> {
    let cover = match get("MCP_CONFIRM_WRITES").as_deref() {
        None | Some("off") => return Ok(None),
        Some("elicit") => Cover::Writes,
        Some(v) => {
            let names = list(Some(v.to_owned()));
            if names.is_empty() {
                return Err(ConfigError {
                    name: "MCP_CONFIRM_WRITES",
                    value: v.to_owned(),
                    reason: "expected off, elicit or tool names",
                });
            }
            Cover::Tools(names)
        }
    };
    let secret = required(
        get,
        "MCP_CONFIRM_SECRET",
        "confirmations are signed with keys derived from this secret (wrangler secret put MCP_CONFIRM_SECRET; 32 or more random characters, comma-separated to rotate)",
    )?;
    let secrets: Vec<&str> = secret.split(',').map(str::trim).collect();
    if secrets.iter().any(|s| s.len() < 32) {
        return Err(ConfigError {
            name: "MCP_CONFIRM_SECRET",
            value: "(secret)".into(),
            reason: "each key must be 32 or more characters",
        });
    }
    Ok(Some(Confirm {
        cover,
        keys: secrets.iter().map(|s| confirm::key(s)).collect(),
        ttl_s: number(get, "MCP_CONFIRM_TTL_S", 300, 30..=3600)?,
    }))
}

fn governance(
    get: &impl Fn(&str) -> Option<String>,
    auth: &AuthMode,
) -> Result<Governance, ConfigError> {
    let invalid = |name: &'static str, value: &str, reason: &'static str| ConfigError {
        name,
        value: value.to_owned(),
        reason,
    };
    let read_only = match get("MCP_READ_ONLY").as_deref() {
        None | Some("false") => Vec::new(),
        Some("true") => vec![Reach::Any],
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(Reach::parse)
            .collect::<Option<Vec<_>>>()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                invalid(
                    "MCP_READ_ONLY",
                    v,
                    "expected true, false, or the routes to serve read-only: a list of *, default, region:<r>, cluster:<uuid>, tenant:<id>",
                )
            })?,
    };
    let allow = get("MCP_TOOLS").map(|v| list(Some(v)));
    let deny = list(get("MCP_TOOLS_DENY"));
    let tool_scopes = match get("MCP_TOOL_SCOPES") {
        None => Vec::new(),
        Some(_) if !matches!(auth, AuthMode::Oidc(_)) => {
            return Err(invalid(
                "MCP_TOOL_SCOPES",
                "",
                "per-tool scopes come from verified tokens: they need MCP_AUTH_MODE=oidc",
            ))
        }
        Some(v) => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for entry in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let pair = entry
                    .split_once('=')
                    .map(|(k, s)| (k.trim(), s.trim()))
                    .filter(|(k, s)| !k.is_empty() && is_scope(s));
                let Some((key, scope)) = pair else {
                    return Err(invalid(
                        "MCP_TOOL_SCOPES",
                        entry,
                        "expected <tool name, read or write>=<scope>, comma-separated",
                    ));
                };
                if pairs.iter().any(|(k, _)| k == key) {
                    return Err(invalid(
                        "MCP_TOOL_SCOPES",
                        key,
                        "each tool or class may be named once",
                    ));
                }
                pairs.push((key.to_owned(), scope.to_owned()));
            }
            pairs
        }
    };
    let hints = match get("MCP_TOOL_HINTS").as_deref() {
        None | Some("camunda") => HintMode::Camunda,
        Some("explicit") => HintMode::Explicit,
        Some(v) => return Err(invalid("MCP_TOOL_HINTS", v, "expected camunda or explicit")),
    };
    let audit_argument_keys = match get("MCP_AUDIT_ARGUMENTS").as_deref() {
        None | Some("none") => false,
        Some("keys") => true,
        Some(v) => {
            return Err(invalid(
                "MCP_AUDIT_ARGUMENTS",
                v,
                "expected none or keys (argument values are never recorded)",
            ))
        }
    };
    let mut rate_limits: Vec<RateLimit> = Vec::new();
    for entry in list(get("MCP_RATE_LIMITS")) {
        let parsed = entry.split_once('=').and_then(|(class, rate)| {
            let class = ToolClass::parse(class)?;
            let (limit, period) = rate.split_once('/')?;
            let period = period.strip_suffix('s').unwrap_or(period);
            Some(RateLimit {
                class,
                limit: limit.parse().ok().filter(|n| *n > 0)?,
                period_s: period.parse().ok().filter(|p| *p == 10 || *p == 60)?,
            })
        });
        match parsed {
            Some(l) if !rate_limits.iter().any(|o| o.class == l.class) => rate_limits.push(l),
            _ => {
                return Err(invalid(
                    "MCP_RATE_LIMITS",
                    &entry,
                    "expected read=<calls>/<10 or 60>s and write=<calls>/<10 or 60>s, as in the [[ratelimits]] bindings",
                ))
            }
        }
    }
    Ok(Governance {
        read_only,
        allow,
        deny,
        tool_scopes,
        hints,
        audit_argument_keys,
        rate_limits,
    })
}

/// An OAuth scope token (RFC 6749 §3.3): printable ASCII without space, `"` or `\`.
fn is_scope(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', ' '])
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

fn saas(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Saas>, ConfigError> {
    let regions = list(get("CAMUNDA_SAAS_REGIONS"));
    if regions.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = regions.iter().find(|r| !is_region(r)) {
        return Err(ConfigError {
            name: "CAMUNDA_SAAS_REGIONS",
            value: bad.clone(),
            reason: "regions are lowercase letters, digits and dashes, e.g. bru-2",
        });
    }
    let template = get("CAMUNDA_SAAS_URL_TEMPLATE").unwrap_or_else(|| DEFAULT_SAAS_TEMPLATE.into());
    let filled = template
        .replace("{region}", "r")
        .replace("{clusterId}", "c");
    if !template.contains("{region}")
        || !template.contains("{clusterId}")
        || normalize_address(&filled).is_none()
    {
        return Err(ConfigError {
            name: "CAMUNDA_SAAS_URL_TEMPLATE",
            value: template,
            reason: "expected an http(s) URL with {region} and {clusterId}",
        });
    }
    Ok(Some(Saas {
        regions,
        template: template.trim_end_matches('/').to_owned(),
    }))
}

/// 1–32 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn is_region(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Camunda 8.10 physical tenant id as the gateway accepts it in a path: 1–64 of `a-z`, `0-9`,
/// `-` and `_`, starting with a letter or digit (e.g. `default`, `eu-west-1`). Strict on purpose:
/// the id becomes part of the upstream URL.
pub fn is_physical_tenant_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

/// A lowercase UUID, `8-4-4-4-12` hex digits: the form of Camunda SaaS cluster ids.
pub fn is_cluster_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn auth_mode(
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<AuthMode, ConfigError> {
    let invalid = |name: &'static str, value: String, reason: &'static str| ConfigError {
        name,
        value,
        reason,
    };
    match get("MCP_AUTH_MODE").as_deref() {
        None | Some("none") => return Ok(AuthMode::None),
        Some("basic") => return Ok(AuthMode::Basic),
        Some("oauth") => return oauth(get, warnings).map(|o| AuthMode::OAuth(Box::new(o))),
        Some("oidc") => {}
        Some(other) => {
            return Err(invalid(
                "MCP_AUTH_MODE",
                other.to_owned(),
                "expected none, basic, oidc or oauth",
            ))
        }
    }
    let issuers = list(get("OIDC_ISSUERS"));
    if issuers.is_empty() {
        return Err(invalid(
            "OIDC_ISSUERS",
            String::new(),
            "oidc mode needs one or more issuer URLs",
        ));
    }
    let jwks = list(get("OIDC_JWKS_URIS"));
    if !jwks.is_empty() && jwks.len() != issuers.len() {
        return Err(invalid(
            "OIDC_JWKS_URIS",
            jwks.join(","),
            "give one JWKS URI per issuer, in the same order, or none for discovery",
        ));
    }
    if get("MCP_CACHE_SECRET").is_none() {
        warnings.push(
            "MCP_CACHE_SECRET is unset: each isolate fetches its own signing keys \
             (set it, as a secret, to share them through the Cache API)"
                .into(),
        );
    }
    for (name, urls) in [("OIDC_ISSUERS", &issuers), ("OIDC_JWKS_URIS", &jwks)] {
        for url in urls.iter() {
            match vouching_url(url) {
                Some(Cleartext::No) => {}
                Some(Cleartext::Loopback) => warnings.push(format!(
                    "{name}: {url} is cleartext HTTP, accepted only because it is on this machine"
                )),
                None => {
                    return Err(invalid(
                        name,
                        url.clone(),
                        "keys and issuers must be https:// URLs without credentials (http:// only on loopback, for local tests)",
                    ))
                }
            }
        }
    }
    let audiences = list(get("OIDC_AUDIENCES"));
    if audiences.is_empty() {
        return Err(invalid(
            "OIDC_AUDIENCES",
            String::new(),
            "oidc mode needs the audience(s) of the cluster API, e.g. zeebe.camunda.io",
        ));
    }
    // With more than one issuer, each must say what it may reach: fail closed, not open.
    let reach: Vec<Vec<Reach>> = match get("OIDC_ISSUER_ROUTES") {
        None if issuers.len() > 1 => return Err(invalid(
            "OIDC_ISSUER_ROUTES",
            String::new(),
            "with several issuers, say what each may reach (one entry per issuer, ';'-separated)",
        )),
        None => vec![vec![Reach::Any]],
        Some(v) => {
            let entries: Vec<&str> = v.split(';').map(str::trim).collect();
            let parsed: Option<Vec<Vec<Reach>>> = entries
                .iter()
                .map(|e| {
                    e.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(Reach::parse)
                        .collect::<Option<Vec<_>>>()
                        .filter(|r| !r.is_empty())
                })
                .collect();
            match parsed {
                Some(p) if p.len() == issuers.len() => p,
                _ => {
                    return Err(invalid(
                        "OIDC_ISSUER_ROUTES",
                        v.clone(),
                        "one entry per issuer, ';'-separated, each a list of *, default, region:<r>, cluster:<uuid>, tenant:<id>",
                    ))
                }
            }
        }
    };
    let algorithms = match get("OIDC_ALGORITHMS") {
        None => vec![Algorithm::Rs256, Algorithm::Es256],
        Some(v) => list(Some(v.clone()))
            .iter()
            .map(|a| match a.as_str() {
                "RS256" => Ok(Algorithm::Rs256),
                "ES256" => Ok(Algorithm::Es256),
                _ => Err(invalid(
                    "OIDC_ALGORITHMS",
                    v.clone(),
                    "supported: RS256, ES256 (never none or HMAC)",
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(AuthMode::Oidc(Oidc {
        issuers: issuers
            .iter()
            .enumerate()
            .map(|(i, issuer)| Issuer {
                // Exact, as RFC 8414 compares issuers: the token's `iss` must be this string.
                issuer: issuer.clone(),
                jwks_uri: jwks.get(i).cloned(),
                reach: reach[i].clone(),
            })
            .collect(),
        audiences,
        algorithms,
        leeway_seconds: number(get, "OIDC_LEEWAY_SECONDS", 60, 0..=300)?,
        required_scopes: list(get("OIDC_REQUIRED_SCOPES")),
        cluster_id: get("CAMUNDA_CLUSTER_ID"),
        shared_cache_secret: get("MCP_CACHE_SECRET"),
        require_cluster_claim: match get("OIDC_REQUIRE_CLUSTER_CLAIM").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(invalid(
                    "OIDC_REQUIRE_CLUSTER_CLAIM",
                    other.to_owned(),
                    "expected true or false",
                ))
            }
        },
    }))
}

fn required(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    reason: &'static str,
) -> Result<String, ConfigError> {
    get(name).ok_or(ConfigError {
        name,
        value: String::new(),
        reason,
    })
}

/// An issuer or token endpoint: `https://`, or `http://` to this machine with a start warning.
fn identity_url(
    name: &'static str,
    url: String,
    warnings: &mut Vec<String>,
) -> Result<String, ConfigError> {
    match vouching_url(&url) {
        Some(Cleartext::No) => Ok(url),
        Some(Cleartext::Loopback) => {
            warnings.push(format!(
                "{name}: {url} is cleartext HTTP, accepted only because it is on this machine"
            ));
            Ok(url)
        }
        None => Err(ConfigError {
            name,
            value: url,
            reason: "expected an https:// URL without credentials, query or fragment (http:// only on loopback, for local tests)",
        }),
    }
}

fn oauth(
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<OAuth, ConfigError> {
    let issuer = required(get, "OAUTH_UPSTREAM_ISSUER", "oauth mode signs people in at this OIDC issuer (Keycloak realm, Entra tenant, Okta or Auth0 domain)")?;
    let seal_key = required(get, "OAUTH_KV_KEY", "oauth mode encrypts what it keeps (OAUTH_KV, the grant objects) with a key derived from this secret (wrangler secret put OAUTH_KV_KEY; 32 or more random characters)")?;
    if seal_key.len() < 32 {
        return Err(ConfigError {
            name: "OAUTH_KV_KEY",
            value: "(hidden)".into(),
            reason: "use 32 or more random characters, e.g. openssl rand -base64 32",
        });
    }
    let mut scopes = list(get("OAUTH_UPSTREAM_SCOPES").or(Some("openid offline_access".into())));
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let cimd_loopback = flag(get, "OAUTH_CIMD_ALLOW_LOOPBACK")?;
    if cimd_loopback {
        warnings.push("OAUTH_CIMD_ALLOW_LOOPBACK=true: client metadata documents may come from this machine over http (for local tests only)".into());
    }
    Ok(OAuth {
        upstream_issuer: identity_url("OAUTH_UPSTREAM_ISSUER", issuer, warnings)?,
        client_id: required(get, "OAUTH_UPSTREAM_CLIENT_ID", "the gateway's client id at the IdP (a confidential client whose redirect URI is https://<gateway>/oauth/callback)")?,
        client_secret: Secret(required(get, "OAUTH_UPSTREAM_CLIENT_SECRET", "the gateway's client secret at the IdP (wrangler secret put OAUTH_UPSTREAM_CLIENT_SECRET)")?),
        scopes,
        audience: get("OAUTH_UPSTREAM_AUDIENCE"),
        seal_key: Secret(seal_key),
        access_ttl_s: number(get, "OAUTH_ACCESS_TOKEN_TTL_S", 900, 60..=3600)?,
        refresh_ttl_s: number(get, "OAUTH_REFRESH_TOKEN_TTL_S", 30 * 86_400, 3600..=90 * 86_400)?,
        cimd_loopback,
    })
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ConfigError {
            name,
            value: other.to_owned(),
            reason: "expected true or false",
        }),
    }
}

fn upstream_auth(
    get: &impl Fn(&str) -> Option<String>,
    auth: &AuthMode,
    warnings: &mut Vec<String>,
) -> Result<UpstreamAuth, ConfigError> {
    let invalid = |value: &str, reason| ConfigError {
        name: "CAMUNDA_UPSTREAM_AUTH",
        value: value.to_owned(),
        reason,
    };
    let chosen = get("CAMUNDA_UPSTREAM_AUTH");
    match (auth, chosen.as_deref()) {
        (AuthMode::OAuth(_), None) => Ok(UpstreamAuth::Person),
        (AuthMode::OAuth(_), Some(v)) => Err(invalid(v, "oauth mode calls the cluster with the signed-in person's own token: leave CAMUNDA_UPSTREAM_AUTH unset")),
        (AuthMode::Oidc(_), None) => Err(invalid("", "oidc mode needs a choice: client-credentials (the gateway's own token; callers' tokens are for this gateway) or forward (callers' tokens are for the cluster API and go upstream unchanged)")),
        (AuthMode::None | AuthMode::Basic, None) | (_, Some("forward")) => Ok(UpstreamAuth::Forward),
        (_, Some("client-credentials")) => {
            let need = |name, reason| required(get, name, reason);
            let token_url = need("CAMUNDA_OAUTH_URL", "the token endpoint of the gateway's machine client")?;
            Ok(UpstreamAuth::ClientCredentials(ClientCredentials {
                client_id: need("CAMUNDA_CLIENT_ID", "the gateway's machine client id")?,
                client_secret: Secret(need("CAMUNDA_CLIENT_SECRET", "the machine client's secret (wrangler secret put CAMUNDA_CLIENT_SECRET)")?),
                token_url: identity_url("CAMUNDA_OAUTH_URL", token_url, warnings)?,
                audience: get("CAMUNDA_TOKEN_AUDIENCE"),
                scope: get("CAMUNDA_TOKEN_SCOPE"),
            }))
        }
        (_, Some(v)) => Err(invalid(v, "expected forward or client-credentials")),
    }
}

/// Whether a URL that vouches for identity (an issuer, a JWKS) is cleartext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleartext {
    No,
    /// `http://` to this machine: for local tests only.
    Loopback,
}

/// `Some` for an `https://` URL, or an `http://` one to a loopback host; `None` for anything
/// else, and for any URL with credentials, a query or a fragment.
pub fn vouching_url(url: &str) -> Option<Cleartext> {
    normalize_address(url)?;
    if url.starts_with("https://") {
        return Some(Cleartext::No);
    }
    let authority = url.strip_prefix("http://")?.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    is_loopback_host(host).then_some(Cleartext::Loopback)
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd,
{
    match get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError {
                name,
                value: v,
                reason: "expected a whole number within the documented range",
            }),
        },
    }
}

/// Accepts what users paste from Camunda docs and SDK settings: a trailing `/`, or the REST
/// base with `/v2`, both meaning the same cluster. Refuses credentials in the URL: they would
/// show in every error message that names the address (use `MCP_AUTH_MODE=basic` instead).
fn normalize_address(raw: &str) -> Option<String> {
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if rest.is_empty()
        || rest.starts_with('/')
        || authority.contains('@')
        || raw.contains(['?', '#', ' ', '\\'])
        || raw.chars().any(char::is_control)
    {
        return None;
    }
    let mut s = raw.trim_end_matches('/');
    if let Some(base) = s.strip_suffix("/v2") {
        s = base.trim_end_matches('/');
    }
    Some(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|n| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_point_at_c8_run() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.rest_address.as_deref(), Some("http://localhost:8080"));
        assert_eq!(c.request_timeout_ms, 30_000);
        assert_eq!(c.max_body_bytes, 4 << 20);
        assert_eq!(c.api_version, ApiVersion::V8_9);
        assert_eq!(c.origins, OriginPolicy::Loopback);
    }

    #[test]
    fn address_tolerates_trailing_slash_and_v2() {
        for raw in [
            "http://h:8080",
            "http://h:8080/",
            "http://h:8080/v2",
            "http://h:8080/v2/",
        ] {
            assert_eq!(
                cfg(&[("CAMUNDA_REST_ADDRESS", raw)])
                    .unwrap()
                    .rest_address
                    .as_deref(),
                Some("http://h:8080")
            );
        }
        assert_eq!(
            cfg(&[(
                "CAMUNDA_REST_ADDRESS",
                "https://bru-2.api.camunda.io/abc/v2"
            )])
            .unwrap()
            .rest_address
            .as_deref(),
            Some("https://bru-2.api.camunda.io/abc")
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("CAMUNDA_REST_ADDRESS", "localhost:8080"),
            ("CAMUNDA_REST_ADDRESS", "ftp://x"),
            ("CAMUNDA_REST_ADDRESS", "http://x?a=b"),
            (
                "CAMUNDA_REST_ADDRESS",
                "https://user:secret@cluster.example",
            ),
            ("CAMUNDA_REST_ADDRESS", "http://x\n/"),
            ("CAMUNDA_REQUEST_TIMEOUT_MS", "soon"),
            ("CAMUNDA_REQUEST_TIMEOUT_MS", "0"),
            ("MCP_MAX_BODY_BYTES", "-1"),
            ("CAMUNDA_API_VERSION", "9"),
            ("MCP_AUTH_MODE", "jwt"),
        ] {
            let err = cfg(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.to_string().contains(name), "{err}");
            // A caller is told the name only; the value stays in the log.
            assert!(err.public_message().contains(name));
            assert!(!err.public_message().contains(value), "{value}");
        }
    }

    #[test]
    fn oidc_settings() {
        let base = [
            ("MCP_AUTH_MODE", "oidc"),
            ("CAMUNDA_UPSTREAM_AUTH", "forward"),
            ("OIDC_ISSUERS", "https://idp.example/realms/camunda/"),
            ("OIDC_AUDIENCES", "zeebe.camunda.io"),
        ];
        let AuthMode::Oidc(o) = cfg(&base).unwrap().auth else {
            panic!()
        };
        assert_eq!(o.issuers[0].issuer, "https://idp.example/realms/camunda/");
        assert_eq!(o.issuers[0].jwks_uri, None);
        assert_eq!(o.algorithms, [Algorithm::Rs256, Algorithm::Es256]);
        assert_eq!(o.leeway_seconds, 60);
        for (name, value) in [
            ("OIDC_ALGORITHMS", "HS256"),
            ("OIDC_ALGORITHMS", "none"),
            ("OIDC_AUDIENCES", ""),
            ("OIDC_ISSUERS", ""),
            ("OIDC_JWKS_URIS", "https://a/jwks,https://b/jwks"),
            ("OIDC_LEEWAY_SECONDS", "3600"),
            ("OIDC_ISSUERS", "http://idp.example/realms/camunda"),
            ("OIDC_ISSUERS", "https://u:p@idp.example"),
            ("OIDC_JWKS_URIS", "http://idp.example/jwks"),
            ("OIDC_JWKS_URIS", "ftp://idp.example/jwks"),
            ("OIDC_REQUIRE_CLUSTER_CLAIM", "yes"),
        ] {
            let mut pairs = base.to_vec();
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, value));
            assert_eq!(cfg(&pairs).unwrap_err().name, name, "{name}={value}");
        }
        assert_eq!(
            cfg(&[("MCP_AUTH_MODE", "basic")]).unwrap().auth,
            AuthMode::Basic
        );
        // Cleartext key sources only on this machine, and said once at start.
        let mut local = base.to_vec();
        local.retain(|(k, _)| *k != "OIDC_ISSUERS");
        local.push(("OIDC_ISSUERS", "http://127.0.0.1:18080/realms/camunda"));
        local.push(("MCP_CACHE_SECRET", "s"));
        let c = cfg(&local).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("cleartext"));
        let warned = cfg(&base).unwrap().warnings;
        assert!(
            warned.len() == 1 && warned[0].contains("MCP_CACHE_SECRET"),
            "{warned:?}"
        );
    }

    #[test]
    fn several_issuers_must_each_say_what_they_may_reach() {
        let two = [
            ("MCP_AUTH_MODE", "oidc"),
            ("CAMUNDA_UPSTREAM_AUTH", "forward"),
            ("OIDC_ISSUERS", "https://a.example,https://b.example"),
            ("OIDC_AUDIENCES", "zeebe.camunda.io"),
            ("MCP_CACHE_SECRET", "s"),
        ];
        assert_eq!(cfg(&two).unwrap_err().name, "OIDC_ISSUER_ROUTES");
        let mut bound = two.to_vec();
        bound.push(("OIDC_ISSUER_ROUTES", "default, tenant:eu-1; region:bru-2"));
        let AuthMode::Oidc(o) = cfg(&bound).unwrap().auth else {
            panic!()
        };
        assert_eq!(
            o.issuers[0].reach,
            [Reach::Default, Reach::Tenant("eu-1".into())]
        );
        assert_eq!(o.issuers[1].reach, [Reach::Region("bru-2".into())]);
        for bad in [
            "*",
            "default;",
            "default;region:BRU",
            "default;cluster:x",
            ";*",
        ] {
            let mut b = two.to_vec();
            b.push(("OIDC_ISSUER_ROUTES", bad));
            assert_eq!(cfg(&b).unwrap_err().name, "OIDC_ISSUER_ROUTES", "{bad}");
        }
    }

    #[test]
    fn saas_without_an_address_serves_no_default_cluster() {
        assert_eq!(
            cfg(&[("CAMUNDA_SAAS_REGIONS", "bru-2")])
                .unwrap()
                .rest_address,
            None
        );
        let c = cfg(&[
            ("CAMUNDA_SAAS_REGIONS", "bru-2"),
            ("CAMUNDA_REST_ADDRESS", "http://h:8080"),
        ])
        .unwrap();
        assert_eq!(c.rest_address.as_deref(), Some("http://h:8080"));
    }

    #[test]
    fn saas_settings_and_slot_rules() {
        assert_eq!(cfg(&[]).unwrap().saas, None);
        let c = cfg(&[("CAMUNDA_SAAS_REGIONS", "bru-2, jfk-1")]).unwrap();
        let saas = c.saas.unwrap();
        assert_eq!(saas.regions, ["bru-2", "jfk-1"]);
        assert_eq!(saas.template, DEFAULT_SAAS_TEMPLATE);
        for (name, value) in [
            ("CAMUNDA_SAAS_REGIONS", "BRU-2"),
            ("CAMUNDA_SAAS_REGIONS", "bru_2"),
            (
                "CAMUNDA_SAAS_URL_TEMPLATE",
                "https://{region}.api.camunda.io/",
            ),
            ("CAMUNDA_SAAS_URL_TEMPLATE", "{region}/{clusterId}"),
        ] {
            let mut pairs = vec![("CAMUNDA_SAAS_REGIONS", "bru-2")];
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, value));
            assert_eq!(cfg(&pairs).unwrap_err().name, name, "{name}={value}");
        }
        assert!(is_cluster_id("6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90"));
        for bad in [
            "6C1F8A2E-4B7D-4E0A-9C3B-2F5D8E1A7B90",
            "6c1f8a2e4b7d4e0a9c3b2f5d8e1a7b90",
            "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b9",
            "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b900",
            "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7bg0",
            "../../../../../../../../../../../etc",
        ] {
            assert!(!is_cluster_id(bad), "{bad}");
        }
        assert!(is_region("bru-2") && !is_region("-x") && !is_region("bru.2") && !is_region(""));
    }

    #[test]
    fn origin_policy() {
        let loopback = OriginPolicy::Loopback;
        for ok in [
            "http://localhost:6274",
            "http://127.0.0.1",
            "https://localhost",
            "http://[::1]:8787",
        ] {
            assert!(loopback.allows(ok), "{ok}");
        }
        for bad in [
            "http://evil.example.com",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "null",
            "http://localhost:80x",
            "http://[::1]evil",
            "http://[::1]:80x",
            "http://[::1]:",
            "http://localhost:",
            "http://127.0.0.1:123456",
        ] {
            assert!(!loopback.allows(bad), "{bad}");
        }
        let c = cfg(&[(
            "MCP_ALLOWED_ORIGINS",
            "https://app.example.com/, https://b.example.com",
        )])
        .unwrap();
        assert!(c.origins.allows("https://app.example.com"));
        assert!(c.origins.allows("http://localhost:3000"));
        assert!(!c.origins.allows("https://evil.example.com"));
        assert!(cfg(&[("MCP_ALLOWED_ORIGINS", "*")])
            .unwrap()
            .origins
            .allows("https://x"));
    }
}
