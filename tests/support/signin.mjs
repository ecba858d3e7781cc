// A sign-in as a browser does it, without the browser (MCP_AUTH_MODE=oauth): register a client,
// open the consent page, approve it with the page's cookie and hidden fields, follow the IdP's
// redirect (oauth2-mock-server approves at once) back to the callback. Used by the end-to-end
// tests and the benchmark, which also signs in to older builds: it posts back whatever hidden
// fields the page has.
import crypto from 'node:crypto';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Registers a public client sent back to `redirectUri` (optionally as if from `address`). */
export async function register(base, redirectUri, address) {
  const res = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(address ? { 'cf-connecting-ip': address } : {}) },
    body: JSON.stringify({ redirect_uris: [redirectUri], client_name: 'Scripted client' }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Up to the code: what a client holds before it redeems it. */
export async function codeFor(base, redirectUri) {
  const clientId = (await register(base, redirectUri)).body.client_id;
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 's1',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const page = await fetch(`${base}/authorize?${q}`);
  if (page.status !== 200) throw new Error(`consent page: HTTP ${page.status}`);
  const setCookie = page.headers.get('set-cookie');
  const cookie = setCookie.split(';')[0];
  const hidden = [...(await page.text()).matchAll(/type="hidden" name="([^"]+)" value="([^"]*)"/g)];
  const approved = await fetch(`${base}/authorize`, {
    method: 'POST', redirect: 'manual', headers: { ...FORM, cookie },
    body: new URLSearchParams([...hidden.map((m) => [m[1], m[2]]), ['decision', 'approve']]),
  });
  if (approved.status !== 303) throw new Error(`approve: HTTP ${approved.status} ${await approved.text()}`);
  const atIdp = await fetch(approved.headers.get('location'), { redirect: 'manual' });
  const back = await fetch(atIdp.headers.get('location'), { redirect: 'manual', headers: { cookie } });
  if (back.status !== 302) throw new Error(`callback: HTTP ${back.status} ${await back.text()}`);
  const code = new URL(back.headers.get('location')).searchParams.get('code');
  return { clientId, verifier, code, setCookie, redirectUri };
}

export function redeem(base, { clientId, verifier, code, redirectUri }) {
  return fetch(`${base}/token`, {
    method: 'POST', headers: FORM,
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier,
    }),
  });
}

export function refreshWith(base, clientId, token) {
  return fetch(`${base}/token`, {
    method: 'POST', headers: FORM,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId }),
  });
}

/** A whole sign-in: the client id and the gateway's tokens. */
export async function signedIn(base, redirectUri) {
  const held = await codeFor(base, redirectUri);
  const tokens = await (await redeem(base, held)).json();
  if (!tokens.access_token) throw new Error(`token: ${JSON.stringify(tokens)}`);
  return { ...held, tokens };
}
