//! The one page a person sees at the gateway: which client asks, where it will send them back,
//! what it may do; approve or deny. Self-contained, no script; the form carries a CSRF token
//! that must match both the pending request and a cookie of this browser.

use crate::http::Response;
use crate::landing::esc;

/// What the consent page shows.
pub struct Consent<'a> {
    pub request: &'a str,
    pub csrf: &'a str,
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    pub redirect_host: &'a str,
    pub resource: &'a str,
    pub idp: &'a str,
}

/// No `form-action`: browsers apply it to every redirect after the form is sent, and approving
/// goes through the IdP (which may hop through federated logins) to the client's redirect URI.
/// Nothing on the page is unescaped input, so no injected form could exist to restrict.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

fn html(status: u16, body: String) -> Response {
    Response::new(status)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_header("content-security-policy", CSP)
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
        .with_header("cache-control", "no-store")
        .with_body(body)
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.4rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{color:#555}dd{margin:0;word-break:break-all}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}button[value=approve]{background:#fc5d0d;color:#fff;border-color:#fc5d0d}";

pub fn consent(c: &Consent<'_>) -> Response {
    let name = c.client_name.unwrap_or("An unnamed MCP client");
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Allow access to Camunda?</title><style>{STYLE}</style></head><body>
<h1>Allow <span id="client">{name}</span> to use Camunda as you?</h1>
<dl><dt>Client</dt><dd id="client-id">{client_id}</dd><dt>Sends you back to</dt><dd id="redirect-host">{host}</dd><dt>Access</dt><dd id="access">Call the Camunda tools at {resource} with your own Camunda permissions, until you revoke it.</dd><dt>Sign-in</dt><dd>You sign in at {idp}; this gateway never sees your password.</dd></dl>
<form method="post" action="/authorize"><input type="hidden" name="request" value="{request}"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny">Deny</button></form>
<p><small>Only approve if you started connecting this client yourself.</small></p></body></html>"#,
        name = esc(name),
        client_id = esc(c.client_id),
        host = esc(c.redirect_host),
        resource = esc(c.resource),
        idp = esc(c.idp),
        request = esc(c.request),
        csrf = esc(c.csrf),
    );
    html(200, body)
}

/// A sign-in that cannot continue and must not redirect (the redirect URI is not trusted).
pub fn error(status: u16, message: &str) -> Response {
    html(
        status,
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title><style>{STYLE}</style></head><body><h1>Sign-in failed</h1><p id="error">{}</p><p>Start again from your MCP client.</p></body></html>"#,
            esc(message)
        ),
    )
}
