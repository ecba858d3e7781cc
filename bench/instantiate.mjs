// How long V8 takes to compile and instantiate the Worker's wasm (the start-up work the 1 s
// limit bounds), median of 20 runs, in ms. Imports are stand-ins: instantiating runs none.
// Usage: node bench/instantiate.mjs [build/index_bg.wasm]
import fs from 'node:fs';

const bytes = fs.readFileSync(process.argv[2] ?? 'build/index_bg.wasm');
const stand = (i) => ({ function: () => {}, tag: WebAssembly.JSTag })[i.kind];
const imports = {};
for (const i of WebAssembly.Module.imports(new WebAssembly.Module(bytes))) {
  (imports[i.module] ??= {})[i.name] = stand(i);
}
const times = [];
for (let n = 0; n < 20; n++) {
  const t = process.hrtime.bigint();
  new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
console.log(times[10].toFixed(1));
