// One benchmark target of bench/oauth.sh and bench/confirm.sh: a gateway build under Miniflare
// (its own workerd process) in oauth mode with a signed-in person, without auth, or without
// auth and with MCP_CONFIRM_WRITES=elicit. Prints one JSON line
// {"pid": <workerd pid>, "token": <gateway access token or "">} and serves until killed.
// node bench/oauth.mjs BUILD_DIR PORT UPSTREAM_URL oauth|none|confirm
import fs from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { OAuth2Server } from 'oauth2-mock-server';
import { signedIn } from '../tests/support/signin.mjs';
import { COMPATIBILITY_DATE } from '../tests/support/worker.mjs';

const [dir, port, upstream, mode] = process.argv.slice(2);
const script = path.resolve(dir, 'index.js');
// workerd serves the build's files from below its working directory, wherever the build is.
process.chdir(path.resolve(dir));
const vars = { CAMUNDA_REST_ADDRESS: upstream };
let idp;
if (mode === 'confirm') {
  Object.assign(vars, { MCP_CONFIRM_WRITES: 'elicit', MCP_CONFIRM_SECRET: 'a-bench-confirmation-secret-of-32-chars+' });
}
if (mode === 'oauth') {
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  Object.assign(vars, {
    MCP_AUTH_MODE: 'oauth', OAUTH_UPSTREAM_ISSUER: idp.issuer.url, OAUTH_UPSTREAM_CLIENT_ID: 'bench',
    OAUTH_UPSTREAM_CLIENT_SECRET: 'bench-secret', OAUTH_KV_KEY: 'a-bench-vault-key-of-more-than-32-characters',
  });
}
// Builds from before the grant objects have no GrantObject class to bind.
const grants = fs.readFileSync(script, 'utf8').includes('GrantObject');
const mf = new Miniflare({
  rootPath: path.resolve(dir),
  scriptPath: script,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: COMPATIBILITY_DATE,
  bindings: vars,
  kvNamespaces: ['OAUTH_KV'],
  ...(grants ? { durableObjects: { OAUTH_GRANTS: { className: 'GrantObject', useSQLite: true } } } : {}),
  host: '127.0.0.1',
  port: Number(port),
  // The Worker's log lines go to stderr: stdout carries only the line above.
  handleRuntimeStdio(stdout, stderr) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});
const base = (await mf.ready).href.replace(/\/$/, '');
/** The workerd process Miniflare started for us (the one whose CPU time is measured). */
function workerdPid() {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(workerd)')) return Number(entry);
    } catch { /* gone */ }
  }
  throw new Error('no workerd child process');
}
const token = mode === 'oauth' ? (await signedIn(base, 'http://127.0.0.1:1/callback')).tokens.access_token : '';
console.log(JSON.stringify({ pid: workerdPid(), token }));
const stop = async () => { await mf.dispose(); await idp?.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
