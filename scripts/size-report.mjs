// Prints the gzip -9 size of each file a browser downloads (pkg/loader.js, pkg/ringtrail.js,
// pkg/ringtrail_bg.wasm) and the total; exits 1 over the budget. Usage: node scripts/size-report.mjs
import { readFileSync } from 'node:fs';
import { gzipSync, constants } from 'node:zlib';

const BUDGET = 40 * 1024;
const AIM = 20 * 1024;
const files = ['pkg/loader.js', 'pkg/ringtrail.js', 'pkg/ringtrail_bg.wasm'];
let total = 0;
for (const f of files) {
  const raw = readFileSync(f);
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  total += gz;
  console.log(`${f.padEnd(24)} ${String(raw.length).padStart(8)} B raw ${String(gz).padStart(7)} B gzip -9`);
}
console.log(`${'total'.padEnd(24)} ${String(total).padStart(24)} B gzip -9 (budget ${BUDGET}, aim ${AIM})`);
if (total > BUDGET) {
  console.error(`size report: ${total} B is over the ${BUDGET} B budget`);
  process.exit(1);
}
