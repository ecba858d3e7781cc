//! The page a person sees when they open the gateway's address in a browser: what this is, the
//! MCP URL(s), ready-to-paste client settings, how callers sign in, which tools are offered and
//! the limits. Self-contained (no script, no external asset; the CSP forbids loading any), built
//! from settings only: it never calls the cluster and never shows a secret or the cluster's
//! address.

use crate::auth::mode::AuthMode;
use crate::camunda::tools::{Catalogue, HintMode, ToolClass};
use crate::config::Config;
use crate::http::Response;
use crate::policy::{binding_name, Policy};
use crate::routes::{ApiVersion, Reach};
use crate::routes::{MCP_PATH, PROCESSES_PATH};
use crate::text::esc;

/// What the page is built from.
pub struct Facts<'a> {
    /// `scheme://host[:port]` as the browser called it.
    pub origin: &'a str,
    pub config: &'a Config,
    pub catalogue: &'a Catalogue,
    pub policy: &'a Policy,
    /// Tool classes that have a Rate Limiting binding in this deployment.
    pub limited: &'a [ToolClass],
}

/// The page as an HTTP answer, with a policy that lets it load nothing at all.
pub fn response(facts: &Facts<'_>) -> Response {
    Response::new(200)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
        .with_header("cache-control", "no-cache")
        .with_header("vary", "accept")
        .with_body(render(facts))
}

pub fn render(f: &Facts<'_>) -> String {
    let mut urls: Vec<(String, &str)> = Vec::new();
    if f.config.routes.rest_address.is_some() {
        urls.push((format!("{}{MCP_PATH}", f.origin), "the configured cluster"));
    }
    if f.config.routes.saas.is_some() {
        urls.push((
            format!("{}/{{region}}/{{clusterId}}{MCP_PATH}", f.origin),
            "a Camunda SaaS cluster: region and cluster id from the cluster's API credentials",
        ));
    }
    let v8_10 = f.config.routes.api_version >= ApiVersion::V8_10;
    if v8_10 && f.config.routes.rest_address.is_some() {
        urls.push((
            format!("{}/physical-tenants/{{tenantId}}{MCP_PATH}", f.origin),
            "a physical tenant of the configured cluster (Camunda 8.10)",
        ));
    }
    if v8_10 && f.config.processes.is_some() {
        urls.push((
            format!("{}{PROCESSES_PATH}", f.origin),
            "the processes server: the cluster's processes whose start events are marked as tools (also under each route above)",
        ));
    }
    let example = urls
        .first()
        .map(|(u, _)| u.clone())
        .unwrap_or_else(|| format!("{}{MCP_PATH}", f.origin));

    let mut html = String::with_capacity(16 * 1024);
    html.push_str(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Camunda 8 MCP gateway</title><style>",
        "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1b}",
        "h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}",
        "code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}",
        "pre{padding:.7rem;overflow-x:auto;border-radius:4px}",
        "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:top}",
        ".w{color:#b5400e}.r{color:#2a6f2a}small{color:#555}",
        "</style></head><body>",
        "<h1>Camunda 8 MCP gateway</h1>",
        "<p>This address serves the <a href=\"https://modelcontextprotocol.io\">Model Context Protocol</a> ",
        "for a Camunda 8 Orchestration Cluster: AI agents call its tools, and each call becomes a call ",
        "to the cluster's REST API v2, made with the caller's own credentials. It speaks stateless ",
        "Streamable HTTP (MCP 2025-06-18, 2025-11-25 and 2026-07-28) at the URLs below; this page is ",
        "for people.</p>",
    ));

    html.push_str("<h2>MCP URLs</h2><ul>");
    for (url, what) in &urls {
        html += &format!("<li><code>{}</code> — {}</li>", esc(url), esc(what));
    }
    html.push_str("</ul>");
    if let Some(saas) = &f.config.routes.saas {
        html += &format!(
            "<p>SaaS regions served: {}.</p>",
            saas.regions
                .iter()
                .map(|r| format!("<code>{}</code>", esc(r)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    html.push_str("<h2>Sign-in</h2>");
    html += &auth_section(f);

    html.push_str("<h2>Connect a client</h2>");
    html += &clients_section(f, &example);

    html.push_str("<h2>Tools</h2>");
    html += &tools_section(f);

    html.push_str("<h2>Limits</h2><ul>");
    for class in [ToolClass::Read, ToolClass::Write] {
        let binding = binding_name(class);
        let line = match (f.limited.contains(&class), f.policy.limit_of(class)) {
            (false, _) => format!("{} tools: no rate limit (no <code>{binding}</code> binding).", class.name()),
            (true, Some(l)) => format!(
                "{} tools: {} calls per {} s for each caller (<code>{binding}</code>); over it, HTTP 429 with <code>Retry-After</code>.",
                class.name(), l.limit, l.period_s
            ),
            (true, None) => format!(
                "{} tools: rate-limited per caller by the <code>{binding}</code> binding; over it, HTTP 429 with <code>Retry-After</code>.",
                class.name()
            ),
        };
        html += &format!("<li>{line}</li>");
    }
    let c = f.config;
    html += &format!(
        "<li>Request bodies up to {} bytes; cluster calls time out after {} ms; tool results are cut at {} characters (saying so).</li></ul>",
        c.transport.max_body_bytes, c.cluster.request_timeout_ms, c.cluster.max_result_chars
    );
    html += &format!(
        "<p><small>camunda-mcp-edge {} · Camunda REST API {} · <a href=\"/healthz\">/healthz</a></small></p></body></html>",
        env!("CARGO_PKG_VERSION"),
        match c.routes.api_version {
            ApiVersion::V8_9 => "8.9",
            ApiVersion::V8_10 => "8.10",
        }
    );
    html
}

fn auth_section(f: &Facts<'_>) -> String {
    match &f.config.auth {
        AuthMode::None => "<p>None at the edge: calls go to the cluster as they come (the cluster \
            may still ask for credentials).</p>"
            .into(),
        AuthMode::Basic => {
            "<p>HTTP Basic: send <code>Authorization: Basic …</code> with a cluster \
            user's name and password; the cluster checks them.</p>"
                .into()
        }
        AuthMode::OAuth(settings) => format!(
            "<p>Sign-in in the browser: this gateway is the OAuth authorization server of its MCP \
             endpoints (<a href=\"/.well-known/oauth-authorization-server\">metadata</a>). Clients \
             that speak the MCP authorization flow (Claude.ai, ChatGPT, VS Code, Cursor) need only \
             the URL; people sign in at <code>{}</code> and the cluster sees their own token.</p>",
            esc(&settings.upstream_issuer)
        ),
        AuthMode::Oidc(oidc) => {
            let list = |items: &mut dyn Iterator<Item = &String>| {
                items
                    .map(|i| format!("<code>{}</code>", esc(i)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut s = format!(
                "<p>OAuth bearer tokens (JWT), checked here before anything reaches the cluster. \
                 Get a token from {} for audience {} and send it as \
                 <code>Authorization: Bearer &lt;token&gt;</code>. The endpoint's \
                 <a href=\"/.well-known/oauth-protected-resource\">protected-resource metadata</a> \
                 names the issuers.</p>",
                list(&mut oidc.issuers.iter().map(|i| &i.issuer)),
                list(&mut oidc.audiences.iter()),
            );
            if !oidc.required_scopes.is_empty() {
                s += &format!(
                    "<p>Every token needs the scopes {}.</p>",
                    list(&mut oidc.required_scopes.iter())
                );
            }
            if f.policy.lists_per_caller() {
                s += "<p>Some tools need a scope of their own (see Tools): a caller sees only the \
                      tools its token allows, and calling another one is answered with HTTP 403 \
                      naming the scope to ask for.</p>";
            }
            s
        }
    }
}

/// The exact packages the page's commands run: an unpinned `npx` runs whatever is latest (or
/// whatever someone registers under a name nobody owns). tests/e2e/commands.test.mjs runs every
/// command on this page as shown.
pub const INSPECTOR: &str = "@modelcontextprotocol/inspector@2.12.0";
pub const C8CTL: &str = "@camunda8/cli@4.1.0";

fn clients_section(f: &Facts<'_>, url: &str) -> String {
    let bearer = matches!(f.config.auth, AuthMode::Oidc(_));
    let basic = matches!(f.config.auth, AuthMode::Basic);
    // The credential as an environment variable: shells write `${NAME}`, editors `${env:NAME}`.
    let variable = if bearer {
        Some(("Bearer", "CAMUNDA_TOKEN"))
    } else if basic {
        Some(("Basic", "CAMUNDA_BASIC"))
    } else {
        None
    };
    let cli_header = variable
        .map(|(scheme, var)| format!(" \\\n  --header \"Authorization: {scheme} ${{{var}}}\""))
        .unwrap_or_default();
    let json_header = variable
        .map(|(scheme, var)| {
            format!(",\n      \"headers\": {{ \"Authorization\": \"{scheme} ${{env:{var}}}\" }}")
        })
        .unwrap_or_default();
    let pre = |text: String| format!("<pre>{}</pre>", esc(&text));
    let config = |key: &str, kind: &str| {
        pre(format!(
            "{{\n  \"{key}\": {{\n    \"camunda\": {{\n{kind}      \"url\": \"{url}\"{json_header}\n    }}\n  }}\n}}"
        ))
    };
    let http = "      \"type\": \"http\",\n";
    let mut s = String::new();
    // The Inspector's CLI and c8ctl cannot do the browser sign-in: not shown in oauth mode.
    let oauth = matches!(f.config.auth, AuthMode::OAuth(_));
    if oauth {
        s += "<p>Clients sign in through the browser when they first connect: give them the URL \
              and nothing else.</p>";
    } else {
        s += "<h3>Try it: MCP Inspector</h3><p>Lists the tools, then calls one (Node.js 22.19 or newer).</p>";
        s += &pre(format!(
            "npx -y {INSPECTOR} --cli {url} --transport http --method tools/list{cli_header}"
        ));
        s += &pre(format!(
            "npx -y {INSPECTOR} --cli {url} --transport http --method tools/call --tool-name getTopology{cli_header}"
        ));
    }
    s += "<h3>Claude Code</h3><p><code>.mcp.json</code> in your project</p>";
    s += &config("mcpServers", http);
    s += "<h3>Cursor</h3><p><code>~/.cursor/mcp.json</code></p>";
    s += &config("mcpServers", "");
    s += "<h3>VS Code</h3><p><code>.vscode/mcp.json</code></p>";
    s += &config("servers", http);
    if oauth {
        return s;
    }
    // c8ctl takes the REST-style base and appends the MCP path itself.
    let base = url.strip_suffix(MCP_PATH).unwrap_or(url);
    let env = match &f.config.auth {
        AuthMode::Oidc(_) => "CAMUNDA_AUTH_STRATEGY=OAUTH CAMUNDA_CLIENT_ID=… CAMUNDA_CLIENT_SECRET=… \\\n  CAMUNDA_OAUTH_URL=… CAMUNDA_TOKEN_AUDIENCE=… ",
        AuthMode::Basic => "CAMUNDA_AUTH_STRATEGY=BASIC CAMUNDA_BASIC_AUTH_USERNAME=… CAMUNDA_BASIC_AUTH_PASSWORD=… \\\n  ",
        AuthMode::None | AuthMode::OAuth(_) => "",
    };
    s += "<h3>c8ctl mcp-proxy</h3><p>A stdio bridge (Camunda's CLI, npm package \
          <code>@camunda8/cli</code>) that fetches and refreshes tokens for clients that cannot; \
          point its base at this gateway.</p>";
    s += &pre(format!(
        "CAMUNDA_REST_ADDRESS={base} {env}npx -y {C8CTL} mcp-proxy {MCP_PATH}"
    ));
    if variable.is_some() {
        s += "<p><small>Set <code>CAMUNDA_TOKEN</code> (or <code>CAMUNDA_BASIC</code>, the Basic \
              credentials in base64) in the environment first; nothing secret is shown here.</small></p>";
    }
    s
}

fn tools_section(f: &Facts<'_>) -> String {
    let p = f.policy;
    let default = crate::routes::Destination::default();
    let offered = p.offered(&default);
    let explicit = f.config.governance.hints == HintMode::Explicit;
    let mut s = format!(
        "<p>{} of {} tools are offered at <code>{MCP_PATH}</code>.",
        offered.len(),
        f.catalogue.tools().len()
    );
    if !f.config.toolsets.is_empty() {
        s += &format!(
            " Operator toolsets turned on (<code>MCP_TOOLSETS</code>): {}.",
            f.config
                .toolsets
                .iter()
                .map(|t| format!("<code>{}</code>", t.name()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let ro = &f.config.governance.read_only;
    if ro.contains(&Reach::Any) {
        s += " The gateway is read-only: no tool changes the cluster.";
    } else if !ro.is_empty() {
        s += &format!(
            " These routes are read-only (reads only): {}.",
            ro.iter()
                .map(|r| format!("<code>{}</code>", esc(&reach_text(r))))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s += "</p><table><tr><th>Tool</th><th>Kind</th>";
    if p.lists_per_caller() {
        s += "<th>Scope needed</th>";
    }
    if explicit {
        s += "<th>Effects</th>";
    }
    s += "</tr>";
    for (i, tool) in f.catalogue.tools().iter().enumerate() {
        if !offered.contains(i) {
            continue;
        }
        let (class, css) = match tool.class() {
            ToolClass::Read => ("read", "r"),
            ToolClass::Write => ("write", "w"),
        };
        s += &format!(
            "<tr><td><code>{}</code></td><td class=\"{css}\">{class}</td>",
            tool.name
        );
        if p.lists_per_caller() {
            s += &format!(
                "<td>{}</td>",
                p.scope_of(i)
                    .map(|sc| format!("<code>{}</code>", esc(sc)))
                    .unwrap_or_else(|| "—".into())
            );
        }
        if explicit {
            s += &format!("<td><small>{}</small></td>", esc(tool.effects.why));
        }
        s += "</tr>";
    }
    s + "</table>"
}

fn reach_text(r: &Reach) -> String {
    match r {
        Reach::Any => "*".into(),
        Reach::Default => MCP_PATH.into(),
        Reach::Region(r) => format!("region {r}"),
        Reach::Cluster(c) => format!("cluster {c}"),
        Reach::Tenant(t) => format!("tenant {t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_host_header_could_smuggle() {
        assert_eq!(
            esc(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }
}
