//! The gateway's settings as data: every Worker var it reads, with its default, its range or
//! choices, whether it is a secret, and one line of documentation. `config` parses by this
//! table; `docs/configuration.md` is checked against it.

/// A setting's value that cannot be used: which variable, what it held, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("configuration variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: std::borrow::Cow<'static, str>,
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

impl ConfigError {
    /// `value` of `name` is refused for `reason`.
    pub fn new(
        name: &'static str,
        value: impl Into<String>,
        reason: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        ConfigError {
            name,
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// A setting that must be set but is not.
    pub fn missing(name: &'static str, reason: &'static str) -> Self {
        ConfigError {
            name,
            value: String::new(),
            reason: reason.into(),
        }
    }
}

/// What values a setting takes, which also says how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A whole number within `min..=max`.
    Number { min: u64, max: u64 },
    /// One of these words; an unset setting is the first.
    Choice(&'static [&'static str]),
    /// Free text: a URL, a list or a pattern, checked where it is parsed.
    Text,
}

/// One Worker var the gateway reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// As shown to people; for numbers, the value used when unset.
    pub default: &'static str,
    pub shape: Shape,
    /// Set with `wrangler secret put`, never in `wrangler.toml`, never echoed.
    pub secret: bool,
    /// One line for `docs/configuration.md`.
    pub doc: &'static str,
}

const fn number(
    name: &'static str,
    default: &'static str,
    min: u64,
    max: u64,
    doc: &'static str,
) -> Setting {
    Setting {
        name,
        default,
        shape: Shape::Number { min, max },
        secret: false,
        doc,
    }
}

const fn choice(
    name: &'static str,
    choices: &'static [&'static str],
    doc: &'static str,
) -> Setting {
    Setting {
        name,
        default: choices[0],
        shape: Shape::Choice(choices),
        secret: false,
        doc,
    }
}

const fn text(name: &'static str, default: &'static str, doc: &'static str) -> Setting {
    Setting {
        name,
        default,
        shape: Shape::Text,
        secret: false,
        doc,
    }
}

const fn secret(name: &'static str, doc: &'static str) -> Setting {
    Setting {
        name,
        default: "",
        shape: Shape::Text,
        secret: true,
        doc,
    }
}

const FLAG: &[&str] = &["false", "true"];

/// Every setting, grouped as `docs/configuration.md` shows them.
#[rustfmt::skip]
pub const SETTINGS: &[Setting] = &[
    // The cluster
    text("CAMUNDA_REST_ADDRESS", "http://localhost:8080", "REST base of `/mcp/cluster`; a trailing `/` or `/v2` is fine, credentials in the URL are not. Unset with SaaS routing on: `/mcp/cluster` is a 404."),
    choice("CAMUNDA_API_VERSION", &["8.9", "8.10"], "Which REST v2 line the cluster speaks: 8.9 clusters are never offered or sent fields only 8.10 knows."),
    number("CAMUNDA_REQUEST_TIMEOUT_MS", "30000", 1, 600_000, "Whole upstream exchange, body included; then a 504 problem."),
    number("CAMUNDA_MAX_RESPONSE_BYTES", "16777216", 1024, 100 << 20, "Largest upstream body read; a larger answer is a 502 problem asking to narrow the search."),
    text("CAMUNDA_SAAS_REGIONS", "", "SaaS routing: regions that may appear in `/{region}/{clusterId}/mcp/cluster`, comma-separated."),
    text("CAMUNDA_SAAS_URL_TEMPLATE", "https://{region}.api.camunda.io/{clusterId}", "SaaS routing: the REST base, with `{region}` and `{clusterId}` slots."),
    text("CAMUNDA_CLUSTER_ID", "", "oidc: a token's `https://camunda.com/clusterId` claim, if present, must equal it."),
    // The MCP endpoint
    number("MCP_MAX_BODY_BYTES", "4194304", 1024, 64 << 20, "Largest MCP request body; 413 above (a declared length over it is refused unread)."),
    number("MCP_BODY_TIMEOUT_MS", "10000", 100, 120_000, "How long an admitted caller may take to send its body; then 408."),
    number("MCP_MAX_RESULT_CHARS", "100000", 1000, 10_000_000, "Longest tool result handed to the model; longer ones are cut to whole items, saying so."),
    number("MCP_DEFAULT_PAGE_LIMIT", "50", 0, 10_000, "`page.limit` sent with searches that set none (0: none; the cluster's default is 100)."),
    text("MCP_ALLOWED_ORIGINS", "loopback only", "Browser origins allowed besides loopback ones, comma-separated; `*` allows all."),
    // Who may call
    choice("MCP_AUTH_MODE", &["none", "basic", "oidc", "oauth"], "How callers are checked at the edge: forwarded as they come, HTTP Basic, bearer JWTs, or the gateway's own sign-in."),
    text("CAMUNDA_UPSTREAM_AUTH", "", "Whose token the cluster sees: `client-credentials` (the gateway's) or `forward` (the caller's). Required in oidc mode, unset in oauth mode."),
    text("CAMUNDA_CLIENT_ID", "", "client-credentials: the gateway's machine client id."),
    secret("CAMUNDA_CLIENT_SECRET", "client-credentials: the machine client's secret."),
    text("CAMUNDA_OAUTH_URL", "", "client-credentials: the token endpoint (`https://`; loopback `http://` for tests)."),
    text("CAMUNDA_TOKEN_AUDIENCE", "", "client-credentials: `audience` of the token request (`zeebe.camunda.io` on SaaS)."),
    text("CAMUNDA_TOKEN_SCOPE", "", "client-credentials: `scope` of the token request."),
    text("OIDC_ISSUERS", "", "oidc: trusted issuers, comma-separated, exactly as tokens carry them in `iss`."),
    text("OIDC_JWKS_URIS", "", "oidc: one JWKS URI per issuer, same order; unset means OIDC discovery."),
    text("OIDC_AUDIENCES", "", "oidc, required: accepted audiences, the cluster API's own."),
    text("OIDC_ALGORITHMS", "RS256,ES256", "oidc: accepted signature algorithms (RS256, ES256; never `none` or HMAC)."),
    number("OIDC_LEEWAY_SECONDS", "60", 0, 300, "oidc: clock leeway for `exp` and `nbf`."),
    text("OIDC_REQUIRED_SCOPES", "", "oidc: scopes every token must carry."),
    choice("OIDC_REQUIRE_CLUSTER_CLAIM", FLAG, "oidc: `true` refuses tokens without a `https://camunda.com/clusterId` claim."),
    text("OIDC_ISSUER_ROUTES", "*", "oidc: per issuer, `;`-separated, what its tokens may reach (`*`, `default`, `region:<r>`, `cluster:<uuid>`, `tenant:<id>`). Required with several issuers."),
    secret("MCP_CACHE_SECRET", "oidc: names where key sets are shared between isolates (Cache API); unset, each isolate fetches its own."),
    text("OAUTH_UPSTREAM_ISSUER", "", "oauth: the organisation's OIDC issuer, where people sign in."),
    text("OAUTH_UPSTREAM_CLIENT_ID", "", "oauth: the gateway's confidential client at that IdP."),
    secret("OAUTH_UPSTREAM_CLIENT_SECRET", "oauth: that client's secret."),
    text("OAUTH_UPSTREAM_SCOPES", "openid offline_access", "oauth: scopes asked of the IdP; `openid` is always added."),
    text("OAUTH_UPSTREAM_AUDIENCE", "", "oauth: `audience` for IdPs that mint tokens per API (Auth0)."),
    secret("OAUTH_KV_KEY", "oauth: 32+ random characters; every sealed record and grant MAC key derives from it. Changing it ends every grant."),
    number("OAUTH_ACCESS_TOKEN_TTL_S", "900", 60, 3600, "oauth: lifetime of the gateway's access tokens."),
    number("OAUTH_REFRESH_TOKEN_TTL_S", "2592000", 3600, 90 * 86_400, "oauth: how long a grant lives unused; each refresh rotates the token."),
    choice("OAUTH_CIMD_ALLOW_LOOPBACK", FLAG, "oauth, tests only: client metadata documents may come from this machine over `http://`."),
    // Governance
    text("MCP_READ_ONLY", "false", "`true`: only read tools everywhere; or the routes served read-only (`default`, `region:<r>`, `cluster:<uuid>`, `tenant:<id>`)."),
    text("MCP_TOOLS", "", "Allow-list of tool names: only these are offered."),
    text("MCP_TOOLS_DENY", "", "Deny-list of tool names: never offered."),
    text("MCP_TOOL_SCOPES", "", "oidc: `<tool or read/write>=<scope>`, comma-separated; a tool's own entry beats its class's."),
    choice("MCP_TOOL_HINTS", &["camunda", "explicit"], "`explicit`: every tool states all four annotation hints; `camunda`: Camunda's own."),
    text("MCP_RATE_LIMITS", "", "What the `[[ratelimits]]` bindings allow, `read=<n>/<10|60>s,write=<n>/<10|60>s`, for `Retry-After` and messages."),
    choice("MCP_AUDIT_ARGUMENTS", &["none", "keys"], "`keys`: audit records name each call's arguments (never their values)."),
    text("MCP_CONFIRM_WRITES", "off", "`elicit`: a person confirms each call that changes the cluster, where the client can ask; or the tool names to confirm."),
    secret("MCP_CONFIRM_SECRET", "With `MCP_CONFIRM_WRITES`: 32+ characters signing the confirmation state; comma-separated to rotate."),
    number("MCP_CONFIRM_TTL_S", "300", 30, 3600, "How long a person has to answer, and an acceptance stays usable."),
    // More tools
    text("MCP_TOOLSETS", "", "Operator toolsets besides Camunda's tools: `messages`, `operate`, `jobs`, `decisions`, `deploy`, `audit`, and `views` (the process view, an MCP App)."),
    choice("MCP_PROCESSES", FLAG, "`true` serves Camunda 8.10's processes-as-tools server at `/mcp/processes`."),
    number("MCP_PROCESSES_LIST_TTL_MS", "10000", 0, 600_000, "How long a caller's process tools are reused (0: read every time)."),
    // Regional egress
    choice("MCP_ROLE", &["edge", "egress"], "`egress`: this Worker only runs calls handed over by an edge Worker through a service binding; it serves no MCP endpoint (deploy it without a public URL: `workers_dev` and `preview_urls` off, no routes)."),
    text("MCP_EGRESS_BINDINGS", "", "edge: `<region>=<service binding>`, comma-separated: calls to that region's clusters run in the egress Worker behind the binding, which gets the call's timeout less up to 1 s. Each region is one of `CAMUNDA_SAAS_REGIONS`, or `default` for `/mcp/cluster`; each binding a `[[services]]` entry."),
    text("MCP_EGRESS_REGION", "", "egress only (refused on an edge): the region it serves (e.g. `bru-2`, or `default`); a hand-over for another region is refused."),
    secret("MCP_EGRESS_SECRET", "Edge with `MCP_EGRESS_BINDINGS`, and egress: 32+ characters signing hand-overs, the same on both; comma-separated to rotate (the first signs)."),
];

/// The setting called `name`. Every name the gateway reads is in [`SETTINGS`] (a test reads
/// them all), so a miss is a typo in this crate.
fn setting(name: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| unreachable!("{name} is not in SETTINGS"))
}

/// The names of the secrets.
pub fn secrets() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().filter(|s| s.secret).map(|s| s.name)
}

/// The Worker vars as the settings read them: trimmed, empty meaning unset, each value checked
/// by its [`Shape`].
pub struct Vars<F> {
    var: F,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(var: F) -> Self {
        Vars { var }
    }

    /// The value of `name`, trimmed; `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        debug_assert!(
            SETTINGS.iter().any(|s| s.name == name),
            "{name} is not in SETTINGS"
        );
        (self.var)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, which must be set.
    pub fn required(
        &self,
        name: &'static str,
        reason: &'static str,
    ) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::missing(name, reason))
    }

    /// A [`Shape::Number`] setting: its default when unset, else a number within its range.
    pub fn number<T: TryFrom<u64>>(&self, name: &'static str) -> Result<T, ConfigError> {
        let s = setting(name);
        let Shape::Number { min, max } = s.shape else {
            unreachable!("{name} is not a number")
        };
        let value = self.get(name);
        let parsed = match &value {
            None => s.default.parse::<u64>().ok(),
            Some(v) => v.parse::<u64>().ok().filter(|n| (min..=max).contains(n)),
        };
        parsed
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| ConfigError {
                name,
                value: value.unwrap_or_default(),
                reason: format!("expected a whole number from {min} to {max}").into(),
            })
    }

    /// A [`Shape::Choice`] setting: the word chosen, the first when unset.
    pub fn choice(&self, name: &'static str) -> Result<&'static str, ConfigError> {
        let Shape::Choice(choices) = setting(name).shape else {
            unreachable!("{name} is not a choice")
        };
        match self.get(name) {
            None => Ok(choices[0]),
            Some(v) => choices
                .iter()
                .find(|c| **c == v)
                .copied()
                .ok_or_else(|| ConfigError {
                    name,
                    value: v,
                    reason: format!("expected {}", one_of(choices)).into(),
                }),
        }
    }

    /// A `true`/`false` setting.
    pub fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        self.choice(name).map(|v| v == "true")
    }

    /// A list setting: comma- or space-separated, empty items dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        split_list(&self.get(name).unwrap_or_default())
    }
}

/// Comma- or space-separated items, trimmed, empty ones dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(choices: &[&str]) -> String {
    match choices {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The settings as the Markdown table of `docs/configuration.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| variable | default | values | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let default = match s.default {
            "" => "—".to_owned(),
            d => format!("`{d}`"),
        };
        let values = match s.shape {
            Shape::Number { min, max } => format!("{min}–{max}"),
            Shape::Choice(choices) => choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            Shape::Text if s.secret => "secret".to_owned(),
            Shape::Text => "text".to_owned(),
        };
        out.push_str(&format!(
            "| `{}` | {default} | {values} | {} |\n",
            s.name, s.doc
        ));
    }
    out
}
