// The wasm's imports and exports must be the ones js/wasm.js (our glue, in place of the one
// wasm-bindgen writes) handles: fails the build on a new import in src/web/mod.rs or another
// wasm-bindgen version. Given the name map that `wasm-opt --minify-imports-and-exports-and-
// modules` printed, it then prints the esbuild `--define`s that give the glue the short names.
// Usage: node scripts/check-abi.mjs WASM [MAP.json MINIFIED_WASM]
import { readFileSync } from 'node:fs';

const [wasmPath, mapPath, minPath] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(wasmPath));
const stem = (name) => name.replace(/_[0-9a-f]{16}$/, '');
const imports = WebAssembly.Module.imports(module).map((i) => `${i.module} ${stem(i.name)} ${i.kind}`).sort();
const exports = WebAssembly.Module.exports(module).map((e) => `${e.name} ${e.kind}`).sort();
const want = {
  imports: ['./ringtrail_bg.js __wbg_host function', './ringtrail_bg.js __wbg_num function',
    './ringtrail_bg.js __wbindgen_init_externref_table function'],
  // wasm-bindgen's abort bookkeeping (two globals) is exported too; its own glue does not read
  // it for a panic=abort build either.
  exports: ['__abort_handler global', '__instance_terminated global', '__wbindgen_externrefs table',
    '__wbindgen_free function', '__wbindgen_malloc function', '__wbindgen_realloc function',
    '__wbindgen_start function', 'call function', 'memory memory', 'start function'],
};
const got = { imports, exports };
let ok = true;
for (const k of ['imports', 'exports']) {
  if (JSON.stringify(got[k]) !== JSON.stringify(want[k].slice().sort())) {
    console.error(`${wasmPath}: ${k} differ from what js/wasm.js handles:\n  got  ${got[k].join(', ')}\n  want ${want[k].join(', ')}`);
    ok = false;
  }
}
if (!ok) process.exit(1);

if (mapPath) {
  // js/wasm.js names each import and export by a constant: W_ and the name without its leading
  // underscores and hash, upper case (W_CALL, W_WBINDGEN_MALLOC, W_WBG_HOST); W_MODULE is the
  // import module.
  const map = JSON.parse(readFileSync(mapPath, 'utf8'));
  const key = (name) => 'W_' + stem(name).replace(/^_+/, '').toUpperCase();
  const defines = { W_MODULE: WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(minPath)))[0].module };
  for (const [, name, short] of map.imports) defines[key(name)] = short;
  for (const [name, short] of map.exports) defines[key(name)] = short;
  console.log(Object.entries(defines).map(([k, v]) => `--define:${k}=${JSON.stringify(v)}`).join(' '));
}
