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
// wasm-bindgen's table of JS values and its start function (which fills the table's reserved
// slots) are not used: the snippet passes no JS objects, so nothing in the wasm reads that
// table, and the build removes both. scripts/build-snippet.sh checks the imports and exports
// (scripts/check-abi.mjs), removes what the glue does not call, then has wasm-opt shorten the
// names; the W_ constants are those short names, given by esbuild `--define`s (W_CALL for
// `call`, W_WBG_HOST for `__wbg_host_<hash>`, ...).
/* global W_MODULE, W_WBG_HOST, W_WBG_NUM, W_MEMORY, W_CALL, W_START, W_WBINDGEN_MALLOC,
   W_WBINDGEN_FREE */
import { host, num } from './browser.js';

let x; // the instance's exports
const enc = new TextEncoder();
const dec = new TextDecoder();
// `n` bytes of wasm memory from `p` (a pointer the wasm hands over as a signed i32).
const bytes = (p, n) => new Uint8Array(x[W_MEMORY].buffer, p >>> 0, n);

// A string into wasm memory: [pointer, length].
const put = (s) => {
  const b = enc.encode(s);
  const p = x[W_WBINDGEN_MALLOC](b.length, 1) >>> 0;
  bytes(p, b.length).set(b);
  return [p, b.length];
};

// An `Option<String>` answer: the string, or undefined.
const read = (p, n) => dec.decode(bytes(p, n));
const take = ([p, n]) => {
  if (!p) return;
  const s = read(p, n);
  x[W_WBINDGEN_FREE](p, n, 1);
  return s;
};

// `op` (a u32 to wasm-bindgen, an i32 here) is a small number: read as is.
const IMPORTS = {
  [W_MODULE]: {
    [W_WBG_HOST](ret, op, a, an, b, bn) {
      const v = host(op, read(a, an), read(b, bn));
      const [p, n] = v == null ? [0, 0] : put(v);
      // Two little-endian i32s, as wasm-bindgen's own glue long wrote them (every browser
      // platform is little-endian, like wasm memory).
      new Int32Array(x[W_MEMORY].buffer, ret >>> 0, 2).set([p, n]);
    },
    [W_WBG_NUM]: num,
  },
};

/** Instantiates the wasm (streaming when the server says application/wasm). */
export default async function init(response) {
  // The loader's fetch has already turned an HTTP error into its message.
  const r = await response;
  const { instance } = await WebAssembly.instantiateStreaming(r.clone(), IMPORTS)
    .catch(() => r.arrayBuffer().then((b) => WebAssembly.instantiate(b, IMPORTS)));
  x = instance.exports;
}

/** `start(config, collector, page, signals)`: the error, or undefined. */
export const start = (config, collector, page, signals) =>
  take(x[W_START](...put(config), collector, ...put(page), signals));

/** `call(op, args, n, m)`: the answer, or undefined. */
export const call = (op, args, n, m) => take(x[W_CALL](op, ...put(args), n, m));
