//! The one page a person sees at the gateway: which client asks, where it will send them back,
//! what it may do; approve or deny. Self-contained, no script; the form carries a CSRF token
//! that must match both the pending request and a cookie of this browser.

use super::clients::{is_document_id, Client};
use crate::http::Response;
use crate::text::esc;

/// What the consent page shows.
pub struct Consent<'a> {
    /// The sealed authorization request (see `oauth::Consent`).
    pub sealed: &'a str,
    pub csrf: &'a str,
    pub client: &'a Client,
    /// The full redirect URI the person will be sent back to (not only its host: a lookalike
    /// path on a shared host must be visible too).
    pub redirect_uri: &'a str,
    pub resource: &'a str,
    pub idp: &'a str,
}

/// Fixed texts for failures whose details go to the log only.
pub const IDP_DOWN: &str =
    "The sign-in service of your organisation did not answer. Try again in a moment.";
pub const STORE_DOWN: &str = "The gateway could not keep this sign-in. Try again in a moment.";

/// No `form-action`: browsers apply it to every redirect after the form is sent, and approving
/// goes through the IdP (which may hop through federated logins) to the client's redirect URI.
/// Nothing on the page is unescaped input, so no injected form could exist to restrict. The one
/// script is [`ARM`], allowed by its hash.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-qllgUfKryy0acUPgJgYYYpWCwBFWL5cgV8scvRWOtb8='; base-uri 'none'; frame-ancestors 'none'";

/// Approve starts disabled and is armed 600 ms after the page is first visible: a click meant
/// for another window (double-clickjacking: an attacker's page swaps in the consent page under
/// the second click of a double click) lands on a disabled button. `page::tests` checks its
/// hash in [`CSP`].
const ARM: &str = "const a=document.getElementById('approve');function arm(){if(document.visibilityState==='visible'){document.removeEventListener('visibilitychange',arm);setTimeout(function(){a.disabled=false},600)}}document.addEventListener('visibilitychange',arm);arm();";

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

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.4rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{color:#555}dd{margin:0;word-break:break-all}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}button[value=approve]{background:#fc5d0d;color:#fff;border-color:#fc5d0d}button:disabled{opacity:.45;cursor:default}";

/// Who asks, as the person should judge it: a client identified by its metadata document
/// (an `https://` URL that vouches for it) or one that registered itself and is unverified.
fn who(client: &Client) -> (String, &'static str) {
    let name = client
        .client_name
        .as_deref()
        .unwrap_or("An unnamed MCP client");
    if is_document_id(&client.client_id) {
        (esc(name), "identified by its metadata document")
    } else {
        (
            esc(name),
            "unverified: it registered itself with this gateway",
        )
    }
}

pub fn consent(c: &Consent<'_>) -> Response {
    let (name, vouched) = who(c.client);
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Allow access to Camunda?</title><style>{STYLE}</style></head><body>
<h1>Allow <span id="client">{name}</span> to use Camunda as you?</h1>
<dl><dt>Client</dt><dd><span id="client-id">{client_id}</span> <em id="client-trust">({vouched})</em></dd><dt>Sends you back to</dt><dd id="redirect-uri">{redirect}</dd><dt>Access</dt><dd id="access">Call the Camunda tools at {resource} with your own Camunda permissions, until you revoke it.</dd><dt>Sign-in</dt><dd>You sign in at {idp}; this gateway never sees your password.</dd></dl>
<form method="post" action="/authorize"><input type="hidden" name="consent" value="{sealed}"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit" name="decision" value="approve" id="approve" disabled>Approve</button><button type="submit" name="decision" value="deny">Deny</button></form>
<p><small>Only approve if you started connecting this client yourself, and you know the address it sends you back to.</small></p><noscript><p>Approving needs JavaScript: it keeps a click meant for another window from approving.</p></noscript><script>{ARM}</script></body></html>"#,
        client_id = esc(&c.client.client_id),
        redirect = esc(c.redirect_uri),
        resource = esc(c.resource),
        idp = esc(c.idp),
        sealed = esc(c.sealed),
        csrf = esc(c.csrf),
    );
    html(200, body)
}

/// A sign-in that cannot continue and must not redirect (the person has not consented, or the
/// redirect URI is not trusted). Names the client when it is known.
pub fn error(status: u16, client: Option<&Client>, message: &str) -> Response {
    let client = client.map_or(String::new(), |c| {
        let (name, vouched) = who(c);
        format!(r#"<p>Client: <span id="client">{name}</span> ({vouched})</p>"#)
    });
    html(
        status,
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title><style>{STYLE}</style></head><body><h1>Sign-in failed</h1>{client}<p id="error">{}</p><p>Start again from your MCP client.</p></body></html>"#,
            esc(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};
    use sha2::{Digest, Sha256};

    #[test]
    fn the_one_script_is_the_one_the_policy_allows() {
        let hash = Base64::encode_string(&Sha256::digest(ARM.as_bytes()));
        assert!(CSP.contains(&format!("'sha256-{hash}'")), "{hash}");
    }
}
