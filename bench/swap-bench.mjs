#!/usr/bin/env node
// Swap benchmark (DESIGN.md budgets): on a generated 10,000-node page with 50 target numbers,
//  (a) snippet start → ringtrail:ready, with wasm fetch / instantiate from the Performance API,
//      plus the swap pass alone (ringtrail('rescan') over a fresh copy of the page);
//  (b) a plain JS TreeWalker + regex pass replacing the same numbers on an identical fresh copy
//      (in a page without the snippet), and the ratios (budget: swap ≤ 2× TreeWalker);
//  (c) one MutationObserver batch: 100 nodes inserted at once, time until all are swapped;
//  (d) long tasks (> 50 ms) during the snippet's work (budget: none).
// Usage: node bench/swap-bench.mjs [--iterations N] [--no-write]
// Starts the collector (target/debug/ringtrail) like the e2e harness; needs `bash
// scripts/build-snippet.sh && cargo build -p ringtrail-collector` first. Not part of the test gate.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector, launch, ROOT } from '../tests/e2e/harness.mjs';
import { generatePage, documentFor, OCCURRENCES } from './page.mjs';

/** The collector serves the demo config compiled, as in the README's script tag
 * (`data-config=".../v1/config/{site}"`). */
export const BENCH_COLLECTOR_ARGS = ['--config', join(ROOT, 'www/ringtrail/config.json')];

const INSERTED_NODES = 100;
const INSERTED_NUMBERS = 20;

/** Recorded from the first line of every benchmark page. */
function instrument() {
  const b = (window.__bench = { wasm: [], longtasks: [], scripts: [], loaderStart: null, ready: null, readySwaps: 0 });
  // The loader's first statement reads window.__ringtrail_loaded: that read is its start.
  let loaded;
  Object.defineProperty(window, '__ringtrail_loaded', {
    configurable: true,
    get() { if (b.loaderStart === null) b.loaderStart = performance.now(); return loaded; },
    set(v) { loaded = v; },
  });
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const f = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      const start = performance.now();
      return f.apply(this, args).then((r) => {
        b.wasm.push({ name, start, end: performance.now() });
        return r;
      });
    };
  }
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) b.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch { /* no long task API: reported as unavailable */ b.longtasks = null; }
  // Long Animation Frames (Chromium 123+) name the script of each long stretch of work: a long
  // task is the snippet's when a script of pkg/loader.js or pkg/ringtrail.js ran in it.
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) for (const x of e.scripts) b.scripts.push({ start: x.startTime, duration: x.duration, url: x.sourceURL, invoker: x.invoker });
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch { b.scripts = null; }
  document.addEventListener('ringtrail:ready', (e) => {
    b.ready = performance.now();
    b.readySwaps = e.detail.length;
  });
}

/** The plain-JS baseline: one TreeWalker pass over all text nodes, regex, replace. */
function treeWalkerPass(root) {
  const map = new Map([['0312345678', '0355550101'], ['0120111222', '0120555010']]);
  const FW = /[\uFF10-\uFF19]/g;
  const re = /(?:\+81[ -]?|[0０])[0-9０-９]{1,4}[ .\-－()（）]{0,2}[0-9０-９]{1,4}[ .\-－]?[0-9０-９]{3,4}/g;
  const norm = (s) => s.replace(FW, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, '').replace(/^81/, '0');
  const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (/^(SCRIPT|STYLE|TEXTAREA)$/.test(n.parentNode.nodeName) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  let replaced = 0;
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const s = n.data;
    if (!re.test(s)) continue;
    re.lastIndex = 0;
    const out = s.replace(re, (m) => {
      const to = map.get(norm(m));
      if (!to) return m;
      replaced += 1;
      let i = 0; // digit by digit, keeping separators and width
      return m.replace(/^\+81[ -]?/, (p) => { i = 1; return p; }).replace(/[0-9０-９]/g, (d) => {
        const c = to[i++] ?? d;
        return d >= '０' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c;
      });
    });
    if (out !== s) n.data = out;
  }
  return replaced;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stat = (xs) => (xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length } : null);

/** One iteration: fresh context, snippet page, then the baseline page. */
async function iteration(browser, collector, page) {
  const ctx = await browser.newContext();
  await ctx.addInitScript(instrument);
  await ctx.route(/\/bench\/page\.html/, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: page.withSnippet }));
  await ctx.route(/\/bench\/baseline\.html/, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: page.baseline }));
  const tab = await ctx.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  // (a) start → ready.
  await tab.goto(`${collector.url}/bench/page.html?utm_source=campaign`);
  await tab.waitForFunction(() => window.__bench.ready !== null, null, { timeout: 15000 }).catch((e) => {
    // An old collector binary (another CARGO_TARGET_DIR) serves a config this snippet refuses.
    throw new Error(`ringtrail:ready never came; page errors: ${errors.join(' | ') || 'none'}`, { cause: e });
  });
  const a = await tab.evaluate(() => {
    const b = window.__bench;
    const res = (re) => performance.getEntriesByType('resource').find((e) => re.test(e.name));
    const tag = performance.getEntriesByName('bench:loader-tag')[0];
    const loader = res(/loader\.js/);
    const wasm = res(/\.wasm$/);
    const start = b.loaderStart ?? Math.max(tag?.startTime ?? 0, loader?.responseEnd ?? 0);
    const inst = b.wasm[0];
    const count = (root) => { let n = 0; const w = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT); while (w.nextNode()) n++; return n; };
    return {
      startToReady: b.ready - start,
      startMeasuredFrom: b.loaderStart !== null ? 'loader execution' : 'loader tag / loader.js responseEnd',
      wasmFetch: wasm ? wasm.responseEnd - wasm.startTime : null,
      wasmInstantiate: inst ? inst.end - inst.start : null,
      wasmInstantiateApi: inst?.name ?? null,
      instantiatedToReady: inst ? b.ready - inst.end : null,
      domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
      readySwaps: b.readySwaps,
      loaderStart: start,
      readyAt: b.ready,
      nodes: count(document.getElementById('content')),
      textMatches: document.getElementById('content').textContent.match(/03-5555-0101|0120-555-010|０３－５５５５－０１０１|\+81 3-5555-0101|03 5555 0101/g)?.length ?? 0,
    };
  });

  // (a') the swap pass alone: rescan of a fresh, untouched copy of #content, same task.
  const rescan = await tab.evaluate((body) => {
    const fresh = document.createElement('div');
    fresh.innerHTML = body;
    const old = document.getElementById('content');
    fresh.id = 'content';
    // Inserted before the clock starts: the observer's records for it are only delivered after
    // this task, and rescan drops them (take_records), so what is timed is the swap pass alone.
    old.replaceWith(fresh);
    const t0 = performance.now();
    const swaps = ringtrail('rescan', fresh);
    const t1 = performance.now();
    return { ms: t1 - t0, swaps: swaps.length, start: t0, end: t1 };
  }, page.body);

  // (c) one MutationObserver batch: 100 nodes, 20 with numbers, appended in one task.
  const mo = await tab.evaluate(([nodes, numbers]) => new Promise((done) => {
    const want = numbers;
    let got = 0;
    let t0 = 0;
    const timer = setTimeout(() => done({ ms: null, swaps: got, timedOut: true }), 5000);
    document.addEventListener('ringtrail:swap', () => {
      got += 1;
      if (got === want) { clearTimeout(timer); const t1 = performance.now(); done({ ms: t1 - t0, swaps: got, start: t0, end: t1 }); }
    });
    const frag = document.createDocumentFragment();
    const holders = [];
    for (let i = 0; i < nodes; i++) {
      const p = document.createElement(i % 3 ? 'p' : 'div');
      p.textContent = i % (nodes / numbers) === 0
        ? `Widget ${i}: call ${i % 2 ? '03-1234-5678' : '0120-111-222'} now`
        : `Widget line ${i}, ¥${1000 + i}, 2024-05-${(i % 28) + 1}`;
      holders.push(p);
    }
    // Inserted one by one in a single task, as a widget or framework would: one observer batch.
    const box = document.createElement('div');
    document.body.append(box);
    t0 = performance.now();
    for (const h of holders) box.append(h);
  }), [INSERTED_NODES, INSERTED_NUMBERS]);

  await tab.waitForTimeout(100); // let buffered long task entries arrive
  const { longtasks, scripts } = await tab.evaluate(() => ({ longtasks: window.__bench.longtasks, scripts: window.__bench.scripts }));
  await tab.close();

  // (b) TreeWalker on an identical fresh copy, in a page without the snippet.
  const base = await ctx.newPage();
  await base.goto(`${collector.url}/bench/baseline.html`);
  // Three passes, each on a new fresh copy: the first is cold (like the snippet's start), the
  // last warm (like a later rescan).
  const tw = await base.evaluate(([body, fn]) => {
    const walk = new Function(`return (${fn})`)();
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const fresh = document.createElement('div');
      fresh.innerHTML = body;
      fresh.id = 'content';
      document.getElementById('content').replaceWith(fresh);
      const t0 = performance.now();
      const replaced = walk(fresh);
      runs.push({ ms: performance.now() - t0, replaced });
    }
    return { ms: runs[0].ms, warmMs: runs[2].ms, replaced: runs[0].replaced };
  }, [page.body, treeWalkerPass.toString()]);
  await ctx.close();

  // (d) long tasks attributable to the snippet: those overlapping its start (loader → ready)
  // or the observer batch (the rescan step is timed work we asked for; reported separately).
  // Once the start yields between slices, the page's own parsing, style and layout can fall in
  // that window too: with Long Animation Frame data, a long task in the start window counts
  // only when a script of the snippet ran in it (`startAny` keeps the window-only figure).
  const overlaps = (t, s, e) => t.start < e && t.start + t.duration > s;
  const ours = (t) => scripts === null ||
    scripts.some((x) => /\/pkg\/(loader|ringtrail)\.js/.test(x.url) && overlaps(t, x.start, x.start + x.duration));
  const lt = longtasks === null ? null : {
    start: Math.max(0, ...longtasks.filter((t) => overlaps(t, a.loaderStart, a.readyAt) && ours(t)).map((t) => t.duration)),
    startAny: Math.max(0, ...longtasks.filter((t) => overlaps(t, a.loaderStart, a.readyAt)).map((t) => t.duration)),
    attributedBy: scripts === null ? 'time window' : 'long animation frame scripts',
    rescan: Math.max(0, ...longtasks.filter((t) => overlaps(t, rescan.start, rescan.end)).map((t) => t.duration)),
    observer: mo.start ? Math.max(0, ...longtasks.filter((t) => overlaps(t, mo.start, mo.end)).map((t) => t.duration)) : null,
    all: longtasks,
    scripts,
  };
  return { a, rescan, tw, mo, lt, errors };
}

/** Runs `iterations` rounds; returns the summary (and the raw rounds). */
export async function runBench({ iterations = 5, browser, collector, log = () => {} }) {
  const gen = generatePage();
  const page = {
    body: gen.body,
    withSnippet: documentFor(gen.body, { snippet: true }),
    baseline: documentFor(gen.body, { snippet: false }),
  };
  const rounds = [];
  for (let i = 0; i < iterations; i++) {
    rounds.push(await iteration(browser, collector, page));
    const x = rounds[i];
    log(`  round ${i + 1}/${iterations}: start→ready ${x.a.startToReady.toFixed(1)} ms (swap at start ${x.a.instantiatedToReady?.toFixed(1)}), rescan ${x.rescan.ms.toFixed(1)} ms, TreeWalker ${x.tw.ms.toFixed(1)}/${x.tw.warmMs.toFixed(1)} ms, observer batch ${x.mo.ms?.toFixed(1)} ms`);
  }
  const col = (f) => rounds.map(f).filter((x) => typeof x === 'number' && Number.isFinite(x));
  const tw = stat(col((r) => r.tw.ms));
  const summary = {
    page: { nodes: rounds[0].a.nodes, occurrences: OCCURRENCES, splitAcrossElements: gen.split, htmlBytes: page.withSnippet.length },
    startToReady: stat(col((r) => r.a.startToReady)),
    startMeasuredFrom: rounds[0].a.startMeasuredFrom,
    wasmFetch: stat(col((r) => r.a.wasmFetch)),
    wasmInstantiate: stat(col((r) => r.a.wasmInstantiate)),
    wasmInstantiateApi: rounds[0].a.wasmInstantiateApi,
    instantiatedToReady: stat(col((r) => r.a.instantiatedToReady)),
    rescan: stat(col((r) => r.rescan.ms)),
    treeWalker: tw,
    treeWalkerWarm: stat(col((r) => r.tw.warmMs)),
    ratioStartSwapToTreeWalker: stat(col((r) => r.a.instantiatedToReady / r.tw.ms)),
    ratioRescanToTreeWalkerWarm: stat(col((r) => r.rescan.ms / r.tw.warmMs)),
    ratioReadyToTreeWalker: stat(col((r) => r.a.startToReady / r.tw.ms)),
    observerBatch: stat(col((r) => r.mo.ms)),
    longestTaskStart: stat(col((r) => r.lt?.start)),
    longestTaskStartAny: stat(col((r) => r.lt?.startAny)),
    longTaskAttribution: rounds[0].lt?.attributedBy ?? 'unavailable',
    longestTaskRescan: stat(col((r) => r.lt?.rescan)),
    longestTaskObserver: stat(col((r) => r.lt?.observer)),
    swaps: {
      atReady: rounds.map((r) => r.a.readySwaps),
      rescan: rounds.map((r) => r.rescan.swaps),
      treeWalkerReplaced: rounds.map((r) => r.tw.replaced),
      observerBatch: rounds.map((r) => r.mo.swaps),
      visibleAfterReady: rounds.map((r) => r.a.textMatches),
    },
    errors: rounds.flatMap((r) => r.errors),
  };
  return { summary, rounds };
}

function table(s) {
  const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(x < 10 ? 2 : 1));
  const row = (name, st, unit = 'ms', goal = '') =>
    `${name.padEnd(44)} ${f(st?.median).padStart(9)} ${f(st?.min).padStart(9)} ${f(st?.max).padStart(9)}  ${unit.padEnd(3)} ${goal}`;
  return [
    `page: ${s.page.nodes} nodes (elements + text), ${s.page.occurrences} target numbers (${s.page.splitAcrossElements} split across elements), ${(s.page.htmlBytes / 1024).toFixed(0)} KB HTML`,
    `${'measurement'.padEnd(44)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}`,
    row(`(a) start → ringtrail:ready`, s.startToReady, 'ms', `(from ${s.startMeasuredFrom})`),
    row('    wasm fetch (resource timing)', s.wasmFetch),
    row(`    wasm ${s.wasmInstantiateApi ?? 'instantiate'}`, s.wasmInstantiate),
    row('    instantiated → ready (config, start, scan)', s.instantiatedToReady),
    row("    warm swap pass: rescan(fresh copy)", s.rescan),
    row('(b) plain JS TreeWalker + regex pass, cold', s.treeWalker),
    row('    the same, warm (3rd pass, fresh copy)', s.treeWalkerWarm),
    row('    ratio start swap / TreeWalker (both cold)', s.ratioStartSwapToTreeWalker, '×', 'goal ≤ 2× (start swap = instantiated → ready)'),
    row('    ratio rescan / TreeWalker (both warm)', s.ratioRescanToTreeWalkerWarm, '×', 'goal ≤ 2×'),
    row('    ratio start → ready / TreeWalker cold', s.ratioReadyToTreeWalker, '×', '(includes fetching glue, wasm, config)'),
    row(`(c) observer batch: ${INSERTED_NODES} nodes, ${INSERTED_NUMBERS} numbers`, s.observerBatch),
    row('(d) longest task of the snippet during start', s.longestTaskStart, 'ms', `goal: none > 50 ms (0 = none); attributed by ${s.longTaskAttribution}`),
    row('    any long task in that window (page included)', s.longestTaskStartAny),
    row('    longest task during rescan', s.longestTaskRescan),
    row('    longest task during observer batch', s.longestTaskObserver),
    `swaps at ready ${JSON.stringify(s.swaps.atReady)}, rescan ${JSON.stringify(s.swaps.rescan)}, TreeWalker replaced ${JSON.stringify(s.swaps.treeWalkerReplaced)}, observer ${JSON.stringify(s.swaps.observerBatch)}`,
    s.errors.length ? `page errors: ${s.errors.join(' | ')}` : 'page errors: none',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const n = Number(args[args.indexOf('--iterations') + 1]) || 5;
  const t0 = Date.now();
  const collector = await startCollector(BENCH_COLLECTOR_ARGS);
  const browser = await launch();
  const deadline = setTimeout(() => { console.error('benchmark exceeded 60 s'); process.exit(2); }, 60000);
  try {
    console.log(`ringtrail swap benchmark: ${n} rounds (Chromium ${browser.version()})`);
    const { summary, rounds } = await runBench({ iterations: n, browser, collector, log: console.log });
    console.log(table(summary));
    if (!args.includes('--no-write')) {
      const out = join(ROOT, 'bench/results.json');
      writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), chromium: browser.version(), summary, rounds }, null, 1) + '\n');
      console.log(`wrote ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    clearTimeout(deadline);
    await browser.close();
    await collector.stop();
  }
}
