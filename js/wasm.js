// The glue between js/run.js and the wasm: instantiates it and passes strings across, in place of
// the JS that wasm-bindgen generates. Why our own: ours does only what the snippet's two exports
// and two imports need (its generated glue handles every type, old browsers and warnings: about
// 0.9 KB gzip more). The wasm is still processed by wasm-bindgen (pinned with `=` in Cargo.toml),
// whose ABI this follows:
// - a `&str` argument is UTF-8 copied into memory from `__wbindgen_malloc(len, 1)`: pointer and
//   length; the wasm frees it;
// - an `Option<String>` answer is a pointer and length (pointer 0: none); we free it with
//   `__wbindgen_free(ptr, len, 1)`;
// - the `host` import gets its two strings as pointer and length (the wasm's, only read here)
//   and writes its `Option<String>` answer as pointer and length at the address it is given.
// Import names carry a hash (`__wbg_host_74bbbf9cb4615ddf`); they are matched by their stem,
// and an import we do not know fails the start. scripts/build-snippet.sh checks both lists.
import { host, num } from './browser.js';

let x; // the instance's exports
const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = () => new Uint8Array(x.memory.buffer);

// A string into wasm memory: [pointer, length].
const put = (s) => {
  const b = enc.encode(s);
  const p = x.__wbindgen_malloc(b.length, 1) >>> 0;
  bytes().set(b, p);
  return [p, b.length];
};

// An `Option<String>` answer: the string, or undefined.
const take = ([p, n]) => {
  if (!p) return;
  p >>>= 0;
  const s = dec.decode(bytes().subarray(p, p + n));
  x.__wbindgen_free(p, n, 1);
  return s;
};
const read = (p, n) => dec.decode(bytes().subarray(p >>> 0, (p >>> 0) + n));

const IMPORTS = {
  __wbg_host(ret, op, a, an, b, bn) {
    const v = host(op >>> 0, read(a, an), read(b, bn));
    const [p, n] = v == null ? [0, 0] : put(v);
    const view = new DataView(x.memory.buffer);
    view.setInt32(ret + 4, n, true);
    view.setInt32(ret, p, true);
  },
  __wbg_num: (op) => num(op >>> 0),
  // wasm-bindgen's table of JS values: its reserved slots (the snippet passes no JS objects).
  __wbindgen_init_externref_table() {
    const t = x.__wbindgen_externrefs;
    t.set(0, undefined);
    t.set(1024, undefined);
    t.set(1025, null);
    t.set(1026, true);
    t.set(1027, false);
  },
};

/** Compiles (streaming when the server says application/wasm) and starts the wasm. */
export default async function init(response) {
  const r = await response;
  if (!r.ok) throw new Error('ringtrail_bg.wasm: HTTP ' + r.status);
  const module = await WebAssembly.compileStreaming(r.clone())
    .catch(() => r.arrayBuffer().then((b) => WebAssembly.compile(b)));
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) {
    const f = IMPORTS[i.name.replace(/_[0-9a-f]{16}$/, '')];
    if (!f) throw new Error('ringtrail_bg.wasm: unknown import ' + i.name);
    (imports[i.module] = imports[i.module] || {})[i.name] = f;
  }
  x = (await WebAssembly.instantiate(module, imports)).exports;
  x.__wbindgen_start();
}

/** `start(config, collector, page, signals)`: the error, or undefined. */
export const start = (config, collector, page, signals) =>
  take(x.start(...put(config), collector, ...put(page), signals));

/** `call(op, args, n, m)`: the answer, or undefined. */
export const call = (op, args, n, m) => take(x.call(op, ...put(args), n, m));
