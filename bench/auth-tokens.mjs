// Writes a JWKS and N distinct RS256 and ES256 tokens (valid for an hour) for the auth
// benchmark: node bench/auth-tokens.mjs OUT.json [N]
import crypto from 'node:crypto';
import fs from 'node:fs';

const [out, n = '500'] = process.argv.slice(2);
const issuer = 'https://idp.bench.test';
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const exp = Math.floor(Date.now() / 1000) + 3600;

function tokens(alg, kid, key) {
  return Array.from({ length: Number(n) }, (_, i) => {
    const input = `${b64({ alg, typ: 'JWT', kid })}.${b64({ iss: issuer, aud: 'zeebe.camunda.io', sub: `agent-${i}`, scope: 'camunda', exp, jti: crypto.randomUUID() })}`;
    const sig = crypto.sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
    return `${input}.${sig.toString('base64url')}`;
  });
}

fs.writeFileSync(out, JSON.stringify({
  issuer,
  jwks: { keys: [jwk(rsa, 'rsa-1', 'RS256'), jwk(ec, 'ec-1', 'ES256')] },
  RS256: tokens('RS256', 'rsa-1', rsa.privateKey),
  ES256: tokens('ES256', 'ec-1', ec.privateKey),
}));
