// Counts what one request costs at the JS/wasm boundary, and what it writes to the log.
//
//   node bench/crossings.mjs patch IN_INDEX_JS OUT_INDEX_JS
//     A copy of the built Worker whose wasm-bindgen glue counts every call into the wasm
//     (exports: our Exchange methods, and the glue's own malloc/free) and out of it (imports:
//     console.log, Date.now, the request head, …), and writes the running totals as a log line
//     ({"log":"crossings",…}) each time a request comes in. For measurement only: the line
//     itself is not counted, and the counting makes this copy slower.
//   node bench/crossings.mjs measure URL LOG_FILE NAME=BODY_FILE[;;NAME=VALUE;NAME=VALUE…] …
//     Sends each scenario's request WARMUP + N times, one at a time, to a Worker started from
//     the patched copy (whose stdout is LOG_FILE), and prints per request: calls into the wasm,
//     calls out of it, and log lines and bytes written (the gateway's own lines).
import fs from 'node:fs';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'patch') {
  const [input, output] = args;
  const text = fs.readFileSync(input, 'utf8');
  const instance = /(\w+)=new WebAssembly\.Instance\((\w+),(\w+)\(\)\),(\w+)=\1\.exports/g;
  let found = 0;
  const patched = text.replace(instance, (_, inst, module, imports, exports) => {
    found++;
    return `${inst}=new WebAssembly.Instance(${module},__counted.imports(${imports}())),${exports}=__counted.exports(${inst}.exports)`;
  });
  if (found === 0) throw new Error(`no wasm instantiation found in ${input}: the glue changed shape`);
  const counter = `
const __counted = (() => {
  const totals = { in: 0, out: 0, requests: 0, byName: {} };
  const count = (side, name, fn) => function (...a) {
    totals[side]++;
    totals.byName[name] = (totals.byName[name] ?? 0) + 1;
    return fn.apply(this, a);
  };
  return {
    imports(object) {
      for (const module of Object.values(object)) {
        if (!module || typeof module !== 'object') continue;
        for (const [name, value] of Object.entries(module)) {
          if (typeof value === 'function') module[name] = count('out', name, value);
        }
      }
      return object;
    },
    exports(raw) {
      const wrapped = {};
      for (const [name, value] of Object.entries(raw)) {
        if (typeof value !== 'function') { wrapped[name] = value; continue; }
        const counted = count('in', name, value);
        wrapped[name] = name === 'fetch'
          ? function (...a) { totals.requests++; console.log(JSON.stringify({ log: 'crossings', ...totals })); return counted.apply(this, a); }
          : counted;
      }
      return wrapped;
    },
  };
})();
`;
  fs.writeFileSync(output, counter + patched);
} else if (mode === 'measure') {
  const [url, logFile, ...scenarios] = args;
  const WARMUP = 20;
  const N = Number(process.env.BENCH_CROSSING_REQUESTS ?? 200);
  const gatewayLine = /^\{"log":"(access|audit)"/;
  const logLines = () => fs.readFileSync(logFile, 'utf8').split('\n');
  const lastTotals = (lines) => JSON.parse(lines.filter((l) => l.startsWith('{"log":"crossings"')).at(-1));
  const settle = async (want) => {
    for (let i = 0; i < 100; i++) {
      const now = logLines();
      if (now.filter((l) => l.startsWith('{"log":"crossings"')).length >= want) return now;
      await new Promise((r) => setTimeout(r, 20));
    }
    return logLines();
  };
  console.log('| request | calls into wasm | calls out of wasm | log lines | log bytes |');
  console.log('|---|---|---|---|---|');
  for (const scenario of scenarios) {
    const at = scenario.indexOf('=');
    const [name, rest] = [scenario.slice(0, at), scenario.slice(at + 1)];
    const [file, headerText = ''] = rest.split(';;');
    const body = fs.readFileSync(file);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    for (const pair of headerText.split(';').filter(Boolean)) {
      const [k, v] = pair.split('=');
      headers[k] = v;
    }
    const send = async () => {
      const res = await fetch(`${url}/mcp/cluster`, { method: 'POST', headers, body });
      await res.arrayBuffer();
    };
    for (let i = 0; i < WARMUP; i++) await send();
    // The counts are written as a request arrives: the one after the last measured request
    // closes the window.
    await send();
    const before = await settle(1);
    const from = lastTotals(before);
    const startLine = before.length;
    for (let i = 0; i < N; i++) await send();
    await send();
    const after = await settle(from.requests + N + 1);
    const to = lastTotals(after);
    const requests = to.requests - from.requests;
    const written = after.slice(startLine).filter((l) => gatewayLine.test(l));
    // The window holds N whole requests and the one that opened it; its line came before.
    const lines = written.length / requests;
    const bytes = written.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / requests;
    const per = (side) => ((to[side] - from[side]) / requests).toFixed(1);
    console.log(`| ${name} | ${per('in')} | ${per('out')} | ${lines.toFixed(2)} | ${Math.round(bytes)} |`);
    if (process.env.BENCH_CROSSING_DETAIL) {
      const names = Object.keys(to.byName).map((k) => [k, ((to.byName[k] - (from.byName[k] ?? 0)) / requests)])
        .filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
      console.log(names.map(([k, n]) => `  ${k} ${n.toFixed(1)}`).join('\n'));
    }
  }
} else {
  console.error('usage: node bench/crossings.mjs patch IN OUT | measure URL LOG_FILE NAME=BODY_FILE[;;HEADERS] …');
  process.exit(2);
}
