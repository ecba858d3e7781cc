// The JavaScript half of the Workers adapter (src/edge.rs). Rust keeps every decision; this
// file does the I/O that Rust would otherwise do through dozens of calls across the JS/wasm
// boundary and a promise per await: it reads the request body, performs the upstream fetch,
// reads its answer with the size cap and builds the Response. One request is one `Exchange`
// (a Rust object) that this loop polls: each `step()` says what the request needs next.
// Bundled into build/index.js by worker-build (a wasm-bindgen snippet).

// Must match `Step` in src/edge/exchange.rs (the low two bits of `step()`; a body's cap is the rest).
const DONE = 0, BODY = 1, FETCH = 2, WAIT = 3;
// Must match TIMEOUT, TOO_LARGE and BROKEN in src/edge.rs (anything else: unreachable).
const UNREACHABLE = 0, TIMEOUT = 1, TOO_LARGE = 2, BROKEN = 3;

let headerNames = [];

/** The request headers Rust reads (`http::READ_HEADERS`), set once per isolate. */
export function setHeaderNames(names) {
  headerNames = names.split('\n');
}

/** "METHOD\nURL" then "\nname\nvalue" for each read header present (values hold no newline). */
export function head(request) {
  let text = request.method + '\n' + request.url;
  const headers = request.headers;
  for (const name of headerNames) {
    const value = headers.get(name);
    if (value !== null) text += '\n' + name + '\n' + value;
  }
  return text;
}

/** Serves one request: polls its exchange until it is done, doing what each step asks. */
export async function drive(request, exchange, env, bodyTimeoutMs) {
  let bodyRead = false;
  try {
    for (let next = exchange.step(); next !== DONE; next = exchange.step()) {
      const step = next & 3;
      if (step === BODY) {
        bodyRead = true;
        await readBody(request, exchange, next >>> 2, bodyTimeoutMs);
      } else if (step === FETCH) {
        await send(exchange, env);
      } else if (step === WAIT) {
        await new Promise((resolve) => exchange.onWake(resolve));
      } else {
        throw new Error(`unknown step ${step}`);
      }
    }
    const response = answer(exchange);
    if (!bodyRead) await drain(request, exchange.bodyCap(), bodyTimeoutMs);
    return response;
  } finally {
    // After a trap (a panic) the exchange is still marked borrowed and `free` throws; that must
    // not replace the trap, which worker-build's entry looks for to reset the module.
    try {
      exchange.free();
    } catch {
      // the module is reset, and the exchange with it
    }
  }
}

/** The response, and the request's one log line (Workers Logs keeps it). */
function answer(exchange) {
  const [line, status, ...headers] = exchange.finish(Date.now()).split('\n');
  if (line) console.log(line);
  const body = exchange.responseBody();
  return new Response(body.length ? body : null, { status: Number(status), headers: pairs(headers) });
}

function declaredLength(headers) {
  const value = headers.get('content-length');
  if (value === null) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The request body, capped and within the body deadline (a trickling client cannot hold us). */
async function readBody(request, exchange, cap, timeoutMs) {
  const reading = { reader: null };
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMEOUT);
  });
  try {
    const declared = declaredLength(request.headers);
    const body = declared === 0 || !request.body
      ? new Uint8Array(0)
      : await Promise.race([
        declared !== null && declared <= cap
          ? request.arrayBuffer().then((b) => new Uint8Array(b))
          // Unknown or too large: read (and past the cap, discard) so the client can finish.
          : readCapped(request.body, cap, drainLimit(cap), reading),
        late,
      ]);
    if (body === TIMEOUT) {
      reading.reader?.cancel().catch(() => {});
      exchange.bodyFailed(TIMEOUT, '');
    } else if (body === TOO_LARGE) {
      exchange.bodyFailed(TOO_LARGE, '');
    } else {
      exchange.bodyRead(body);
    }
  } catch (e) {
    exchange.bodyFailed(BROKEN, String(e));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A refused body is read and discarded up to twice the cap, so the client can finish sending it
 * and read our answer: the local runtimes reset a connection answered with its request body
 * unread, and the client then sees "fetch failed" instead of our 413. Past this, or past the body
 * deadline, the read is cancelled: a client that sends that much is not worth the CPU time.
 */
function drainLimit(cap) {
  return 2 * cap;
}

/** Reads and discards a body nobody needed (a refused or misrouted request); see `drainLimit`. */
async function drain(request, cap, ms) {
  const declared = declaredLength(request.headers);
  const limit = drainLimit(cap);
  if (!request.body || request.bodyUsed || declared === 0 || (declared !== null && declared > limit)) return;
  const reading = { reader: null };
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([readCapped(request.body, 0, limit, reading), late]);
  } catch {
    // a broken body needs no draining
  } finally {
    clearTimeout(timer);
    reading.reader?.cancel().catch(() => {});
  }
}

/**
 * One upstream exchange; the timeout signal covers the body read as well. A hand-over goes
 * through the service binding Rust names (`env[via]`), never the public network.
 */
async function send(exchange, env) {
  const [method, url, ms, capText, via, hasBody, ...headers] = exchange.upstream().split('\n');
  const cap = Number(capText);
  const signal = AbortSignal.timeout(Number(ms));
  const init = {
    method,
    headers: pairs(headers),
    // Never follow a redirect: a key source or a cluster that redirects is a fault to report,
    // not a place to send credentials or to trust keys from.
    redirect: 'manual',
    signal,
  };
  if (hasBody === '1') init.body = exchange.upstreamBody();
  const target = via === '' ? globalThis : env[via];
  if (typeof target?.fetch !== 'function') {
    exchange.fetchFailed(UNREACHABLE, `this Worker has no service binding ${via}`);
    return;
  }
  let resp;
  try {
    resp = await target.fetch(url, init);
  } catch (e) {
    exchange.fetchFailed(signal.aborted ? TIMEOUT : UNREACHABLE, String(e));
    return;
  }
  const reading = { reader: null };
  try {
    const declared = declaredLength(resp.headers);
    let got;
    if (declared !== null && declared > cap) {
      resp.body?.cancel().catch(() => {});
      got = TOO_LARGE;
    } else if (declared !== null && declared <= READ_BUFFER_BYTES) {
      // One read of a small body of known size is far cheaper than a chunk loop.
      got = new Uint8Array(await resp.arrayBuffer());
    } else if (resp.body) {
      // A body larger than one read is compacted as it arrives if Rust wants it so: a large
      // answer is then never held whole, here or in wasm.
      const sink = {
        start: () => exchange.streamAnswer(resp.status, declared ?? 0),
        feed: (chunk) => exchange.feed(chunk),
      };
      got = await readCapped(resp.body, cap, 0, reading, sink);
    } else {
      got = new Uint8Array(0);
    }
    if (got === TOO_LARGE) {
      exchange.fetchFailed(TOO_LARGE, '');
    } else {
      const h = resp.headers;
      const placement = via === '' ? '' : h.get('cf-placement') ?? '';
      exchange.fetched(resp.status, `${h.get('content-type') ?? ''}\n${h.get('cache-control') ?? ''}\n${placement}`, got);
    }
  } catch (e) {
    exchange.fetchFailed(signal.aborted ? TIMEOUT : BROKEN, String(e));
  }
}

/**
 * One fetch outside any exchange (a grant's Durable Object calling the IdP): the whole body
 * within `cap` bytes and `ms` milliseconds, no redirects followed. Resolves to
 * `{ status, contentType, cacheControl, body }`, or `{ fail, why }` with `fail` one of the codes
 * above; never rejects.
 */
export async function fetchWhole(url, method, headers, body, ms, cap) {
  const signal = AbortSignal.timeout(ms);
  const init = { method, headers: pairs(headers ? headers.split('\n') : []), redirect: 'manual', signal };
  if (body !== undefined) init.body = body;
  let resp;
  try {
    resp = await globalThis.fetch(url, init);
  } catch (e) {
    return { fail: signal.aborted ? TIMEOUT : UNREACHABLE, why: String(e) };
  }
  try {
    const declared = declaredLength(resp.headers);
    const got = declared !== null && declared > cap
      ? TOO_LARGE
      : resp.body ? await readCapped(resp.body, cap, 0, { reader: null }) : new Uint8Array(0);
    if (got === TOO_LARGE) {
      resp.body?.cancel().catch(() => {});
      return { fail: TOO_LARGE, why: '' };
    }
    return {
      status: resp.status,
      contentType: resp.headers.get('content-type'),
      cacheControl: resp.headers.get('cache-control'),
      body: got,
    };
  } catch (e) {
    return { fail: signal.aborted ? TIMEOUT : BROKEN, why: String(e) };
  }
}

/** Header lines as Rust writes them (name, value, name, value, …) as [name, value] pairs. */
function pairs(lines) {
  const out = [];
  for (let i = 0; i + 1 < lines.length; i += 2) out.push([lines[i], lines[i + 1]]);
  return out;
}

// Large enough for a typical search answer in one read, small enough to be no burden; reused,
// as a fresh buffer per small answer showed in profiles.
const READ_BUFFER_BYTES = 64 * 1024;
const MAX_POOLED_BUFFERS = 16;
const buffers = [];

/**
 * At most `cap` bytes of a stream, or TOO_LARGE. Past the cap it reads on and discards until
 * `discardUpTo` bytes have passed, then cancels (0: cancel at the cap). A `sink` is asked to
 * `start()` once more than one read's worth has arrived (a small body is cheaper handed over
 * whole, in one crossing, than fed in chunks); if it accepts, every chunk within the cap is
 * `feed`ed to it instead of kept (used before the next read reuses its buffer), and an empty
 * array is returned. A bring-your-own-buffer reader takes
 * as much as has arrived per read: workerd hands a default reader 4 KiB at a time.
 */
async function readCapped(stream, cap, discardUpTo, reading, sink = null) {
  const reader = stream.getReader({ mode: 'byob' });
  reading.reader = reader;
  let buffer = buffers.pop() ?? new ArrayBuffer(READ_BUFFER_BYTES);
  const chunks = [];
  let len = 0;
  let over = false;
  let streaming = false;
  let asked = false;
  try {
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (value) {
        // The read moved our buffer into `value`; it is ours again for the next read.
        buffer = value.buffer;
        len += value.length;
        if (len > cap && !over) {
          over = true;
          chunks.length = 0;
        }
        if (over && len > discardUpTo) {
          reader.cancel().catch(() => {});
          return TOO_LARGE;
        }
        if (!over && streaming) {
          sink.feed(value);
        } else if (!over) {
          chunks.push(value.slice());
          // Asked once, when the body outgrows one read.
          if (sink && !asked && len > READ_BUFFER_BYTES && (asked = true) && (streaming = sink.start())) {
            for (const c of chunks) sink.feed(c);
            chunks.length = 0;
          }
        }
      }
      if (done) break;
    }
  } finally {
    // A read that failed may leave the buffer detached: only whole ones return to the pool.
    if (buffer.byteLength === READ_BUFFER_BYTES && buffers.length < MAX_POOLED_BUFFERS) buffers.push(buffer);
  }
  if (over) return TOO_LARGE;
  if (streaming) return new Uint8Array(0);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(len);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
