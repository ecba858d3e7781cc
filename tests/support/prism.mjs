// Stoplight Prism as a validating proxy in front of the stand-in, with Camunda's REST API v2
// OpenAPI bundle from ../shared (tests that use it skip, saying so, when it is absent).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = (v) => path.join(root, `../shared/camunda/openapi/${v}/bundled/rest-api.bundle.json`);
/** `skip` option of node:test: a reason when the spec is not beside this clone. */
export const skip = fs.existsSync(bundle('8.9')) ? false : 'SKIPPED: ../shared/camunda/openapi is not beside this clone';

/**
 * `oneOf` schemas whose branches cannot exclude each other, so strict JSON Schema rejects every
 * value: the page request (no branch forbids extra members, so even `{"limit": 10}` matches two;
 * Camunda marks it `x-polymorphic-schema` and picks the branch by the fields present) and
 * ScopeKey (a process instance key or an element instance key: two identical string schemas),
 * and ResourceKey (four identical key schemas). Read as `anyOf`, which is what Camunda's server
 * does.
 */
const AMBIGUOUS_ONE_OF = ['SearchQueryPageRequest', 'ScopeKey', 'ResourceKey'];

/** The bundle as Prism needs it: paths under /v2, internal refs to them rewritten. */
function prismSpec(version) {
  const spec = JSON.parse(fs.readFileSync(bundle(version), 'utf8'));
  const schemas = spec.components.schemas;
  for (const name of AMBIGUOUS_ONE_OF) {
    schemas[name].anyOf = schemas[name].oneOf;
    delete schemas[name].oneOf;
  }
  // 8.10-alpha closes search queries with additionalProperties: false while their `page` comes
  // from an allOf member, which strict validation then counts as additional. Fold the allOf
  // members' properties in, as the authors meant.
  for (const schema of Object.values(schemas)) {
    if (schema.additionalProperties !== false || !schema.allOf) continue;
    for (const part of schema.allOf) {
      const member = part.$ref ? schemas[part.$ref.split('/').pop()] : part;
      schema.properties = { ...member.properties, ...schema.properties };
    }
  }
  // Multipart arrays are repeated parts (OpenAPI's default encoding for form data: style form,
  // explode true). Prism applies that only when the encoding is spelled out, and otherwise reads
  // the `resources` files of a deployment as one string; spell the default out. allowReserved
  // means nothing for multipart (OpenAPI 3.0 §4.7.15: urlencoded only), but Prism checks file
  // bytes for URL-reserved characters unless it is set, which any XML file has.
  const upload = spec.paths['/deployments']?.post?.requestBody?.content?.['multipart/form-data'];
  if (upload) upload.encoding = { ...upload.encoding, resources: { style: 'form', explode: true, allowReserved: true } };
  spec.paths = Object.fromEntries(Object.entries(spec.paths).map(([p, v]) => [`/v2${p}`, v]));
  spec.servers = [{ url: 'http://127.0.0.1' }];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'prism-')), 'spec.json');
  fs.writeFileSync(file, JSON.stringify(spec).replaceAll('"#/paths/~1', '"#/paths/~1v2~1'));
  return file;
}

/**
 * Prism as a validating proxy. With `errors`, any violation (request or response) is answered
 * 422/500 instead of being forwarded; without, violations are only logged.
 */
export async function startPrism(version, upstreamUrl, { errors = true } = {}) {
  const port = 14000 + Math.floor(Math.random() * 1000);
  const bin = path.join(root, 'node_modules/.bin/prism');
  const args = ['proxy', prismSpec(version), upstreamUrl, '--host', '127.0.0.1', '--port', String(port), ...(errors ? ['--errors'] : [])];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 90_000;
  while (!out.includes('Prism is listening')) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`Prism did not start:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://127.0.0.1:${port}`, log: () => out, close: () => proc.kill() };
}

/** Request-side problems Prism found (errors and warnings), from its log. */
export function requestViolations(log) {
  return log.split('\n').filter((l) => l.includes('Violation: request.'));
}

