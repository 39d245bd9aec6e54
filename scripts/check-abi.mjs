// Fails the build when the wasm's imports or exports are not the ones js/wasm.js handles (a
// new import in src/web/mod.rs, or another wasm-bindgen version).
// Usage: node scripts/check-abi.mjs pkg/ringtrail_bg.wasm
import { readFileSync } from 'node:fs';

const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const imports = WebAssembly.Module.imports(module).map((i) => `${i.module} ${i.name.replace(/_[0-9a-f]{16}$/, '')} ${i.kind}`).sort();
const exports = WebAssembly.Module.exports(module).map((e) => `${e.name} ${e.kind}`).sort();
const want = {
  imports: ['./ringtrail_bg.js __wbg_host function', './ringtrail_bg.js __wbg_num function',
    './ringtrail_bg.js __wbindgen_init_externref_table function'],
  // wasm-bindgen's abort bookkeeping (two globals) is exported too; its own glue does not read
  // it for a panic=abort build either.
  exports: ['__abort_handler global', '__instance_terminated global', '__wbindgen_externrefs table', '__wbindgen_free function', '__wbindgen_malloc function',
    '__wbindgen_realloc function', '__wbindgen_start function', 'call function', 'memory memory',
    'start function'],
};
const got = { imports, exports };
let ok = true;
for (const k of ['imports', 'exports']) {
  if (JSON.stringify(got[k]) !== JSON.stringify(want[k].slice().sort())) {
    console.error(`${process.argv[2]}: ${k} differ from what js/wasm.js handles:\n  got  ${got[k].join(', ')}\n  want ${want[k].join(', ')}`);
    ok = false;
  }
}
process.exit(ok ? 0 : 1);
