// Smoke run of bench/swap-bench.mjs (one round, no timing assertions: timing is noisy and the
// budgets are reported by `node bench/swap-bench.mjs`, not gated). Checks that the benchmark
// page is what it claims and that every measurement actually swapped what it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { runBench, BENCH_COLLECTOR_ARGS } from '../../bench/swap-bench.mjs';

const { collector, browser } = await suite(BENCH_COLLECTOR_ARGS);

test('swap benchmark, one round: 10,000-node page, 50 numbers swapped at start and by rescan, observer batch swapped', async () => {
  const { summary: s } = await runBench({ iterations: 1, browser, collector });
  assert.ok(s.page.nodes >= 10000 && s.page.nodes < 11000, `page nodes: ${s.page.nodes}`);
  assert.deepEqual(s.swaps.atReady, [50]);
  assert.deepEqual(s.swaps.rescan, [50]);
  assert.deepEqual(s.swaps.observerBatch, [20]);
  // Plain text occurrences only: numbers split across elements are out of a TreeWalker's reach.
  assert.deepEqual(s.swaps.treeWalkerReplaced, [50 - s.page.splitAcrossElements]);
  assert.ok(s.swaps.visibleAfterReady[0] >= 35, `swapped numbers visible: ${s.swaps.visibleAfterReady[0]}`);
  for (const k of ['startToReady', 'instantiatedToReady', 'rescan', 'treeWalker', 'observerBatch']) {
    assert.ok(s[k] && s[k].median > 0, `${k} measured: ${JSON.stringify(s[k])}`);
  }
  assert.deepEqual(s.errors, []);
});
