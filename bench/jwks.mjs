// Serves the JWKS of a tokens file written by bench/auth-tokens.mjs, for benchmarks:
// node bench/jwks.mjs TOKENS.json PORT
import fs from 'node:fs';
import http from 'node:http';

const [file, port] = process.argv.slice(2);
const jwks = JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8')).jwks);
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
  res.end(jwks);
}).listen(Number(port), '127.0.0.1');
