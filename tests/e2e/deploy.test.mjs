// `wrangler deploy --dry-run` of the regional split as wrangler.toml ships it: the edge and every
// egress environment are accepted by wrangler (placement, service bindings, no public URL), and
// wrangler shows the edge's bindings. Wrangler always runs `[build] command` first, so each dry
// run uses a copy of wrangler.toml without the [build] table whose `main` is the Worker already
// built by scripts/build.sh; everything else in the copy is the file as shipped. No network and
// no Cloudflare account are needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const text = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8');

/** wrangler.toml without its build step, `main` pointing at build/index.js, in a temp folder. */
function prebuiltCopy() {
  const withoutBuild = text.replace(/^\[build\]\ncommand = .*\n/m, '');
  assert.notEqual(withoutBuild, text, 'wrangler.toml has a [build] table');
  const main = JSON.stringify(path.join(root, 'build/index.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dry-run-'));
  const config = path.join(dir, 'wrangler.toml');
  fs.writeFileSync(config, withoutBuild.replace(/^main = .*$/m, `main = ${main}`));
  return { dir, config };
}

async function dryRun(env, { dir, config }) {
  const wrangler = path.join(root, 'node_modules/.bin/wrangler');
  const { stdout, stderr } = await run(wrangler, ['deploy', '--dry-run', '--env', env, '-c', config,
    '--outdir', path.join(dir, env)], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  });
  return stdout + stderr;
}

const egresses = [...text.matchAll(/^\[env\.(egress-[a-z0-9-]+)\]$/gm)].map((m) => m[1]);

test('the edge and every egress environment pass wrangler deploy --dry-run', async () => {
  assert.ok(egresses.length >= 1, 'wrangler.toml has egress environments');
  const copy = prebuiltCopy();
  try {
    const edge = await dryRun('edge', copy);
    for (const region of egresses.map((e) => e.replace('egress-', ''))) {
      const binding = `EGRESS_${region.replace('-', '_').toUpperCase()}`;
      assert.match(edge, new RegExp(`${binding}\\b.*camunda-mcp-egress-${region}`), `edge binds ${binding}`);
    }
    for (const env of egresses) {
      const out = await dryRun(env, copy);
      assert.match(out, /MCP_ROLE \("egress"\)/, `${env} is an egress`);
      assert.match(out, new RegExp(`MCP_EGRESS_REGION \\("${env.replace('egress-', '')}"\\)`), `${env} knows its region`);
      assert.doesNotMatch(out, /camunda-mcp-egress-/, `${env} hands nothing over`);
    }
  } finally {
    fs.rmSync(copy.dir, { recursive: true, force: true });
  }
});
