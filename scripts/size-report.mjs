// Prints the gzip -9 size of each file a browser downloads (pkg/loader.js, pkg/ringtrail.js,
// pkg/ringtrail_bg.wasm) and the total, and exits 1 over the 40,960-byte budget (DESIGN.md).
//
//   node scripts/size-report.mjs
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync, constants } from 'node:zlib';

const BUDGET = 40 * 1024;
const AIM = 20 * 1024;
const files = ['pkg/loader.js', 'pkg/ringtrail.js', 'pkg/ringtrail_bg.wasm'];
// The figure of the command everyone runs, `gzip -9c FILE | wc -c` (GNU gzip, file name in the
// header); Node's zlib at level 9 when there is no gzip (its output runs about 0.5% larger).
function gzip(f, raw) {
  try {
    return execFileSync('gzip', ['-9c', f], { maxBuffer: 1 << 24 }).length;
  } catch (e) {
    return gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  }
}
let total = 0;
for (const f of files) {
  const raw = readFileSync(f);
  const gz = gzip(f, raw);
  total += gz;
  console.log(`${f.padEnd(24)} ${String(raw.length).padStart(8)} B raw ${String(gz).padStart(7)} B gzip -9`);
}
console.log(`${'total'.padEnd(24)} ${String(total).padStart(24)} B gzip -9 (budget ${BUDGET}, aim ${AIM})`);
if (total > BUDGET) {
  console.error(`size report: ${total} B is over the budget of ${BUDGET} B by ${total - BUDGET} B`);
  process.exit(1);
}
console.log(`${BUDGET - total} B under the budget`);
