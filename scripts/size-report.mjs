// Prints the gzip -9 size of each file a browser downloads (pkg/loader.js, pkg/ringtrail.js,
// pkg/ringtrail_bg.wasm) and the total, and exits 1 over the 40,960-byte budget.
//
//   node scripts/size-report.mjs               # the budget (DESIGN.md): fails over 40,960 B
//   node scripts/size-report.mjs --ratchet N   # CI while the budget is not met: fails over N B,
//                                              # and still says how far over the budget it is
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync, constants } from 'node:zlib';

const BUDGET = 40 * 1024;
const AIM = 20 * 1024;
const i = process.argv.indexOf('--ratchet');
const limit = i > 0 ? Number(process.argv[i + 1]) : BUDGET;
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
if (total > BUDGET) console.log(`OVER BUDGET by ${total - BUDGET} B (${(total / BUDGET).toFixed(2)}x)`);
if (total > limit) {
  console.error(`size report: ${total} B is over the ${limit === BUDGET ? 'budget' : 'ratchet'} of ${limit} B`);
  process.exit(1);
}
