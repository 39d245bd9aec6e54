// The wasm's interface and js/wasm.js (our glue, in place of the one wasm-bindgen writes), kept
// in step by scripts/build-snippet.sh:
//
//   node scripts/check-abi.mjs check WASM GRAPH.json
//     fails the build when the imports or exports are not the ones the glue handles (a new
//     import in src/web/mod.rs, another wasm-bindgen version), and writes the graph for
//     `wasm-metadce`, which then removes the exports the glue never calls;
//   node scripts/check-abi.mjs defines MAP.json MINIFIED_WASM
//     given the name map `wasm-opt --minify-imports-and-exports-and-modules` printed, prints the
//     esbuild `--define`s that give the glue the short names: W_ and the name without its leading
//     underscores and hash, upper case (W_CALL, W_WBINDGEN_MALLOC, W_WBG_HOST); W_MODULE is the
//     import module.
import { readFileSync, writeFileSync } from 'node:fs';

const [mode, a, b] = process.argv.slice(2);
const load = (path) => new WebAssembly.Module(readFileSync(path));
const stem = (name) => name.replace(/_[0-9a-f]{16}$/, '');

// What the glue uses of the wasm. Not wasm-bindgen's table of JS values (`__wbindgen_externrefs`)
// nor its start function (which only fills that table's reserved slots, through the import
// `__wbindgen_init_externref_table`): the snippet passes no JS objects, so no code of the wasm
// touches that table, and metadce removes the table, the start and that import.
const USED = ['memory', 'call', 'start', '__wbindgen_malloc', '__wbindgen_free'];

if (mode === 'check') {
  const module = load(a);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module} ${stem(i.name)} ${i.kind}`).sort();
  const exports = WebAssembly.Module.exports(module).map((e) => `${e.name} ${e.kind}`).sort();
  const want = {
    imports: ['./ringtrail_bg.js __wbg_host function', './ringtrail_bg.js __wbg_num function',
      './ringtrail_bg.js __wbindgen_init_externref_table function'],
    // wasm-bindgen also exports its realloc and its abort bookkeeping (two globals), which the
    // glue does not use (its own glue does not read the globals of a panic=abort build either).
    exports: ['__abort_handler global', '__instance_terminated global', '__wbindgen_externrefs table',
      '__wbindgen_free function', '__wbindgen_malloc function', '__wbindgen_realloc function',
      '__wbindgen_start function', 'call function', 'memory memory', 'start function'],
  };
  const got = { imports, exports };
  let ok = true;
  for (const k of ['imports', 'exports']) {
    if (JSON.stringify(got[k]) !== JSON.stringify(want[k].slice().sort())) {
      console.error(`${a}: ${k} differ from what js/wasm.js handles:\n  got  ${got[k].join(', ')}\n  want ${want[k].join(', ')}`);
      ok = false;
    }
  }
  if (!ok) process.exit(1);
  const graph = [{ name: 'glue', root: true, reaches: USED.map((e) => 'export ' + e) }];
  for (const e of WebAssembly.Module.exports(module)) graph.push({ name: 'export ' + e.name, export: e.name });
  WebAssembly.Module.imports(module).forEach((i) => graph.push({ name: 'import ' + i.name, import: [i.module, i.name] }));
  writeFileSync(b, JSON.stringify(graph));
} else if (mode === 'defines') {
  const map = JSON.parse(readFileSync(a, 'utf8'));
  const key = (name) => 'W_' + stem(name).replace(/^_+/, '').toUpperCase();
  const defines = { W_MODULE: WebAssembly.Module.imports(load(b))[0].module };
  for (const [, name, short] of map.imports) defines[key(name)] = short;
  for (const [name, short] of map.exports) defines[key(name)] = short;
  console.log(Object.entries(defines).map(([k, v]) => `--define:${k}=${JSON.stringify(v)}`).join(' '));
} else {
  console.error('usage: check-abi.mjs check WASM GRAPH.json | defines MAP.json MINIFIED_WASM');
  process.exit(2);
}
