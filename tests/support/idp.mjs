// A real IdP for tests: oauth2-mock-server issuing RS256 and ES256 tokens on 127.0.0.1, and a
// JWKS relay in front of its key set that tests can steer (serve a chosen key set, fail, answer
// garbage, go slow) and that counts fetches.
import http from 'node:http';
import crypto from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';

export const AUDIENCE = 'zeebe.camunda.io';

export async function startIdp() {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256', { kid: 'rsa-1' });
  await server.issuer.keys.generate('ES256', { kid: 'ec-1' });
  await server.start(0, '127.0.0.1');
  const issuer = server.issuer.url;

  // The JWKS relay.
  const relay = { mode: 'ok', fetches: 0, delayMs: 0, only: null };
  const jwks = http.createServer((req, res) => {
    relay.fetches++;
    const send = () => {
      if (relay.mode === 'down') { res.writeHead(503); return res.end('down'); }
      if (relay.mode === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"keys": [{"kty":'); }
      const keys = server.issuer.keys.toJSON().filter((k) => !relay.only || relay.only.includes(k.kid));
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
      res.end(JSON.stringify({ keys }));
    };
    if (relay.delayMs) setTimeout(send, relay.delayMs); else send();
  });
  await new Promise((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${jwks.address().port}/jwks`;

  /** A token from the IdP; `edit(header, payload)` may change anything before signing. */
  async function token({ kid = 'rsa-1', expiresIn = 600, scope = 'camunda', edit } = {}) {
    return server.issuer.buildToken({
      kid,
      expiresIn,
      scopesOrTransform: (header, payload) => {
        payload.aud = AUDIENCE;
        payload.scope = scope;
        payload.sub = 'agent-42';
        edit?.(header, payload);
      },
    });
  }

  return {
    issuer,
    jwksUri,
    relay,
    token,
    keys: server.issuer.keys,
    async close() {
      await server.stop();
      await new Promise((r) => jwks.close(r));
    },
  };
}

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A token signed with HS256 using `secret` (e.g. the RSA public key: the key-confusion attack). */
export function hmacToken(header, payload, secret) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(payload) {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** An RS256 token signed by a key the IdP does not publish. */
export function foreignToken(payload, kid = 'ghost') {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}
