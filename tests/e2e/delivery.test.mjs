// Durable delivery under faults, counted end to end: the snippet on a page of a site of its own
// per scenario, the real collector behind a Playwright route that can fail, slow down or drop its
// requests; then the network is restored, retries finish, and every event created in the browser
// is looked for in the collector. Budget (DESIGN.md): 0 events lost and 0 duplicates stored.
//
// Created: an init script wraps `Storage.prototype.setItem` and notes every event id the snippet
// writes into its queues (`ringtrail:outbox:<tab>`, one per tab), per tab, in `test:created:<tab>` (which survives a
// closed tab); events are page views, `ringtrail('track', 'probe', {n})` custom events and the
// engagement reports pages send when left. Stored: `GET /v1/events?site=`. Lost: created ids
// never stored. Duplicates: an id stored twice, or a probe `n` stored under two ids. Traffic is
// counted too: POSTs (fetch and beacon), ids posted more than once (at least once delivery: the
// collector drops them by id, reported as its `duplicates` count).
//
// Time: the context's clock is Playwright's fake clock, installed but flowing; `settle` jumps it
// over backoff waits and expired claims only while no request is in flight.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { suite, newPage, storedEvents, eventually } from './harness.mjs';

const { collector, browser } = await suite();
const table = [];
after(() => { if (table.length) printTable(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Notes every event id the snippet queues, per tab, in localStorage (`test:created:<tab>`). */
function CREATED_LOG() {
  const tab = Math.random().toString(36).slice(2, 10);
  const set = Storage.prototype.setItem;
  const seen = {};
  Storage.prototype.setItem = function setItem(k, v) {
    const r = set.call(this, k, v);
    if (String(k).startsWith('ringtrail:outbox') && this === window.localStorage) {
      let added = false;
      for (const line of String(v).split('\n').slice(1)) {
        const id = line.slice(0, line.indexOf(' '));
        if (id && !(id in seen)) {
          const m = /"type":"([a-z_]+)"/.exec(line);
          seen[id] = m ? m[1] : '?';
          added = true;
        }
      }
      if (added) set.call(this, `test:created:${tab}`, JSON.stringify(seen));
    }
    return r;
  };
}

/**
 * A scenario: a fresh context serving `/fault/<site>.html` (the snippet with an inline config for
 * `site`), the fake clock, the created-ids log, and a route on `/v1/events` that passes requests
 * to the collector unless `fault(req, n)` (n = 0-based POST count) handles it.
 */
async function scenario(name) {
  const site = `fault-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 60);
  const ctx = await browser.newContext();
  await ctx.clock.install();
  await ctx.addInitScript(CREATED_LOG);
  const cfg = JSON.stringify({
    site, region: 'JP', targets: ['03-1234-5678'],
    tracking: { allow_automation: true, allow_localhost: true },
  });
  await ctx.route(/\/fault\/[^?#]*\.html/, (r) => r.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>Fault ${name}</title>
      <script async src="/pkg/loader.js" data-collector="/" data-config='${cfg}'></script>
      <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
      </head><body><p>Call 03-1234-5678</p></body></html>`,
  }));
  const s = {
    name, site, ctx, pages: [], probes: new Set(), nextProbe: 0,
    posts: 0, postedIds: new Map(), accepted: 0, collectorDuplicates: 0, statuses: [],
    fault: null,
  };
  const count = (req) => {
    s.posts++;
    try {
      for (const e of JSON.parse(req.postData() || '{}').events || []) s.postedIds.set(e.id, (s.postedIds.get(e.id) || 0) + 1);
    } catch { /* not JSON */ }
  };
  const pending = new Set();
  ctx.on('request', (req) => {
    if (req.method() === 'POST' && req.url().includes('/v1/events')) { pending.add(req); count(req); }
  });
  ctx.on('requestfinished', (req) => pending.delete(req));
  ctx.on('requestfailed', (req) => pending.delete(req));
  // Requests of open tabs still waiting for an answer (a closed tab's keepalive request may never
  // report its end).
  Object.defineProperty(s, 'inFlight', {
    get: () => [...pending].filter((req) => {
      try { return !req.frame().page().isClosed(); } catch { return false; }
    }).length,
  });
  let n = 0;
  await ctx.route('**/v1/events', async (route) => {
    const req = route.request();
    if (req.method() !== 'POST') return route.continue();
    const i = n++;
    try {
      // Offline: the route sees requests Chromium would fail (its handler reaches the collector
      // from Node), so it fails them as the network would.
      if (s.offline) return await route.abort('internetdisconnected');
      if (s.fault && (await s.fault(route, i))) return;
      await pass(s, route);
    } catch (e) {
      if (!/closed|not handled|already handled|Target/i.test(String(e))) throw e;
    }
  });
  /** `context.setOffline`, and the route fails what it sees meanwhile. */
  s.setOffline = async (on) => { s.offline = on; await ctx.setOffline(on); };
  s.url = (page = 'p') => `${collector.url}/fault/${page}.html`;
  /** Opens a tab and waits for the snippet. */
  s.open = async (page) => {
    const p = await newPage(ctx);
    s.pages.push(p);
    await p.goto(s.url(page));
    await p.waitReady();
    return p;
  };
  /** `k` probes in `page`, synchronously one after the other (each one `track` call). */
  s.probe = async (page, k) => {
    const ns = Array.from({ length: k }, () => s.nextProbe++);
    ns.forEach((x) => s.probes.add(x));
    await page.evaluate((list) => { for (const x of list) ringtrail('track', 'probe', { n: x }); }, ns);
  };
  return s;
}

/** Sends a request on to the collector and back, noting the collector's counts. */
async function pass(s, route, { delayMs = 0 } = {}) {
  const res = await route.fetch();
  s.statuses.push(res.status());
  try {
    const body = await res.json();
    s.accepted += body.accepted || 0;
    s.collectorDuplicates += body.duplicates || 0;
  } catch { /* not JSON */ }
  if (delayMs) {
    await sleep(delayMs);
    // The page may be gone by then (the answer is lost: that is the scenario), and the test may
    // have ended: a late failure to answer is not one of its results.
    return route.fulfill({ response: res }).catch(() => {});
  }
  await route.fulfill({ response: res });
}

/** The queues a page sees (every tab's `ringtrail:outbox:<tab>`): events, claims, the latest
 * retry time, the page's clock. */
const queueOf = (page) => page.evaluate(() => {
  let events = 0;
  let retryAt = 0;
  const claims = [];
  let raw = '';
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (!k || !k.startsWith('ringtrail:outbox')) continue;
    const text = localStorage.getItem(k) || '';
    raw += text;
    const [head = '', ...lines] = text.split('\n');
    retryAt = Math.max(retryAt, Number(head.split(' ')[3] || 0));
    for (const l of lines) if (l) { events += 1; claims.push(Number(l.split(' ')[2] || 0)); }
  }
  return { events, retryAt, claims, now: Date.now(), raw };
});

/**
 * Lets delivery finish: waits while requests are in flight, and when the queue only waits for a
 * backoff or an expired claim, jumps the fake clock past it. Gives up when the queue is not empty
 * but nothing is waited for and no request went out for 4 s (stuck), or after `timeoutMs`.
 * Returns the queue it ended with.
 */
async function settle(s, page, { timeoutMs = 60000, jump = true } = {}) {
  const end = Date.now() + timeoutMs;
  let lastPosts = s.posts;
  let quietSince = Date.now();
  for (;;) {
    let q = await queueOf(page);
    if (q.events === 0 && s.inFlight <= 0) return q;
    if (Date.now() > end) return q;
    if (s.posts !== lastPosts || s.inFlight > 0) { lastPosts = s.posts; quietSince = Date.now(); }
    await sleep(250);
    if (s.inFlight > 0) continue;
    q = await queueOf(page);
    const waits = [q.retryAt, ...q.claims].filter((t) => t > q.now);
    if (q.events > 0 && waits.length && jump) {
      // A claim is written just before its request goes out, and the request event reaches
      // Node a little later (much later on a loaded machine): jumping the clock then would time
      // out a request that is on its way. Jump only when nothing went out for a while.
      await sleep(500);
      if (s.inFlight > 0 || s.posts !== lastPosts) continue;
    }
    if (q.events > 0 && waits.length) {
      if (jump) {
        await s.ctx.clock.fastForward(Math.max(...waits) - q.now + 50);
        quietSince = Date.now();
      } else if (Math.max(...waits) - q.now > 30000) return q;
      else quietSince = Date.now();
    } else if (Date.now() - quietSince > 4000) {
      return q; // stuck: queued, nothing waited for, nothing sent
    }
  }
}

/** All stored events of the scenario's site. */
async function stored(site) {
  const out = [];
  let offset = 0;
  for (;;) {
    const r = await fetch(`${collector.url}/v1/events?site=${site}&limit=1000&offset=${offset}`);
    assert.equal(r.status, 200);
    const j = await r.json();
    out.push(...j.events);
    if (j.next_offset == null) return out;
    offset = j.next_offset;
  }
}

/** Counts created vs stored, adds the row to the table and returns it. */
async function count(s, { rejected = 0, queued = 0 } = {}) {
  // Created ids, from every tab's log (read in a live tab of the context).
  const reader = s.pages.find((p) => !p.isClosed()) || (await s.open('reader'));
  const logs = await reader.evaluate(() => Object.keys(localStorage)
    .filter((k) => k.startsWith('test:created:')).map((k) => JSON.parse(localStorage.getItem(k))));
  const created = new Map();
  for (const log of logs) for (const [id, type] of Object.entries(log)) created.set(id, type);
  const rows = await stored(s.site);
  const storedIds = new Map();
  for (const e of rows) storedIds.set(e.id, (storedIds.get(e.id) || 0) + 1);
  const probeNs = new Map();
  for (const e of rows.filter((x) => x.type === 'custom' && x.data?.name === 'probe')) {
    probeNs.set(e.data.props.n, (probeNs.get(e.data.props.n) || 0) + 1);
  }
  const lostIds = [...created.keys()].filter((id) => !storedIds.has(id));
  const lostProbes = [...s.probes].filter((x) => !probeNs.has(x));
  const byType = (ids) => ids.reduce((m, id) => ({ ...m, [created.get(id)]: (m[created.get(id)] || 0) + 1 }), {});
  const dupIds = [...storedIds.values()].filter((c) => c > 1).reduce((a, c) => a + c - 1, 0);
  const dupProbes = [...probeNs.values()].filter((c) => c > 1).reduce((a, c) => a + c - 1, 0);
  const unknown = [...storedIds.keys()].filter((id) => !created.has(id));
  const resent = [...s.postedIds.values()].filter((c) => c > 1).length;
  const row = {
    scenario: s.name,
    created: created.size,
    probes: s.probes.size,
    stored: rows.length,
    lost: lostIds.length - rejected,
    duplicates: dupIds + dupProbes,
    queued,
    lostAfterNextPage: '',
    posts: s.posts,
    resent,
    collectorDuplicates: s.collectorDuplicates,
    detail: { lostByType: byType(lostIds), lostProbes, unknown: unknown.length, createdByType: byType([...created.keys()]) },
  };
  table.push(row);
  return row;
}

function printTable() {
  const cols = [
    ['scenario', 'scenario'], ['created', 'created'], ['probes', 'of which probes'], ['stored', 'stored'],
    ['lost', 'lost'], ['duplicates', 'duplicates'], ['queued', 'left in queue'],
    ['lostAfterNextPage', 'lost after next page'], ['posts', 'POSTs'], ['resent', 'ids resent'],
    ['collectorDuplicates', 'collector dups'],
  ];
  const cells = [cols.map(([, h]) => h), ...table.map((r) => cols.map(([k]) => String(r[k])))];
  const w = cols.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const out = [line(cells[0]), `|${w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : `${'-'.repeat(x + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)];
  for (const r of table) if (r.lost || r.duplicates) out.push(`  ${r.scenario}: ${JSON.stringify(r.detail)}`);
  console.log(`\nDelivery fault table (created = ids the snippet queued; lost/duplicates must be 0)\n${out.join('\n')}\n`);
}

/**
 * Settles `page`, counts, and when events are still queued (stuck), opens one more page of the
 * site (what a visitor's next page view does) and counts again for `lostAfterNextPage`.
 */
async function finish(s, page, opts = {}) {
  const q = await settle(s, page, opts);
  const row = await count(s, { queued: q.events });
  if (q.events) {
    const later = await s.open('later');
    await settle(s, later);
    const again = await count(s);
    table.pop();
    row.lostAfterNextPage = again.lost;
    for (const k of ['posts', 'resent', 'collectorDuplicates']) row[k] = again[k];
    row.detail.afterNextPage = { lostByType: again.detail.lostByType, duplicates: again.duplicates };
  }
  return row;
}

/** The row must show no loss and no duplicate. */
function zeroLossZeroDup(row) {
  assert.equal(row.lost, 0, `lost: ${JSON.stringify(row.detail)}`);
  assert.equal(row.duplicates, 0, `duplicates: ${JSON.stringify(row.detail)}`);
  assert.equal(row.detail.unknown, 0, 'every stored event was created by a tab');
  assert.ok(row.probes > 0 && row.created >= row.probes);
}

// ---------------------------------------------------------------------------------------------

test('baseline: no fault', async () => {
  const s = await scenario('baseline');
  const page = await s.open();
  await s.probe(page, 20);
  const row = await finish(s, page);
  zeroLossZeroDup(row);
  assert.equal(row.resent, 0);
  await s.ctx.close();
});

test('offline: events made while offline are sent once the network is back', async () => {
  const s = await scenario('offline');
  const page = await s.open();
  await settle(s, page);
  await s.setOffline(true);
  await s.probe(page, 10);
  await sleep(3000); // several failed attempts: the backoff grows
  await s.probe(page, 10);
  const q = await queueOf(page);
  assert.ok(q.events >= 20, `queued while offline: ${q.events}`);
  await s.setOffline(false);
  zeroLossZeroDup(await finish(s, page));
  await s.ctx.close();
});

test('500s: the first 4 requests fail with 500, retries deliver', async () => {
  const s = await scenario('500s');
  s.fault = async (route, i) => i < 4 && (await route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal"}' }), true);
  const page = await s.open();
  await s.probe(page, 20);
  const row = await finish(s, page);
  zeroLossZeroDup(row);
  assert.ok(row.posts >= 5);
  await s.ctx.close();
});

test('503 with Retry-After: 3, then 408, then 429 with Retry-After: 1: retried, and not before Retry-After', async () => {
  const s = await scenario('503 408 429 Retry-After');
  const times = [];
  s.fault = async (route, i) => {
    times.push(Date.now());
    if (i === 0) await route.fulfill({ status: 503, headers: { 'retry-after': '3' }, contentType: 'application/json', body: '{"error":"busy"}' });
    else if (i === 1) await route.fulfill({ status: 408, contentType: 'application/json', body: '{"error":"timeout"}' });
    else if (i === 2) await route.fulfill({ status: 429, headers: { 'retry-after': '1' }, contentType: 'application/json', body: '{"error":"slow down"}' });
    else return false;
    return true;
  };
  const page = await s.open();
  await s.probe(page, 10);
  const row = await finish(s, page, { jump: false }); // real time: the Retry-After waits are measured
  zeroLossZeroDup(row);
  assert.ok(times.length >= 4, `${times.length} requests`);
  assert.ok(times[1] - times[0] >= 2900, `the request after a 503 Retry-After: 3 came after ${times[1] - times[0]} ms`);
  assert.ok(times[3] - times[2] >= 900, `the request after a 429 Retry-After: 1 came after ${times[3] - times[2]} ms`);
  await s.ctx.close();
});

test('slow collector: every response takes 3 s', async () => {
  const s = await scenario('slow 3 s');
  s.fault = async (route) => { await sleep(3000); return false; };
  const page = await s.open();
  for (let i = 0; i < 4; i++) {
    await s.probe(page, 5);
    await sleep(700);
  }
  const row = await finish(s, page, { jump: false });
  zeroLossZeroDup(row);
  assert.equal(row.resent, 0, 'a slow answer is waited for, not resent');
  await s.ctx.close();
});

test('slow past the timeout: the collector stores the batch but answers after 9 s (the snippet gives up at 8 s)', async () => {
  const s = await scenario('stored, answer after 9 s');
  s.fault = async (route, i) => {
    if (i > 0) return false;
    await pass(s, route, { delayMs: 9000 });
    return true;
  };
  const page = await s.open();
  await s.probe(page, 10);
  const row = await finish(s, page, { jump: false, timeoutMs: 60000 });
  zeroLossZeroDup(row);
  await s.ctx.close();
});

test('aborted requests: the first 3 connections reset', async () => {
  const s = await scenario('aborted x3');
  s.fault = async (route, i) => i < 3 && (await route.abort('connectionreset'), true);
  const page = await s.open();
  await s.probe(page, 20);
  zeroLossZeroDup(await finish(s, page));
  await s.ctx.close();
});

test('tab closed mid-send (request lost): the next tab sends the events once their claim expires', async () => {
  const s = await scenario('tab closed, request lost');
  let held = null;
  s.fault = async (route, i) => {
    if (i > 0) return false;
    held = route; // never answered until the tab is gone; then dropped
    return true;
  };
  const page = await s.open();
  await s.probe(page, 10);
  await eventually(() => held);
  await page.close({ runBeforeUnload: true });
  await held.abort('connectionreset').catch(() => {});
  const next = await s.open('next');
  zeroLossZeroDup(await finish(s, next));
  await s.ctx.close();
});

test('tab closed mid-send (stored, answer lost): the next tab resends, the collector keeps one copy', async () => {
  const s = await scenario('tab closed, answer lost');
  let held = null;
  s.fault = async (route, i) => {
    if (i > 0) return false;
    held = await route.fetch(); // stored by the collector
    return true; // the answer never reaches the page
  };
  const page = await s.open();
  await s.probe(page, 10);
  await eventually(() => held);
  await page.close({ runBeforeUnload: true });
  const next = await s.open('next');
  zeroLossZeroDup(await finish(s, next));
  await s.ctx.close();
});

test('reload mid-send: the reloaded page finishes the delivery', async () => {
  const s = await scenario('reload mid-send');
  let held = null;
  s.fault = async (route, i) => {
    if (i > 0) return false;
    held = route;
    return true;
  };
  const page = await s.open();
  await s.probe(page, 10);
  await eventually(() => held);
  await page.reload();
  await page.waitReady();
  await s.probe(page, 5);
  await pass(s, held).catch(() => {}); // the old page's request answers after all
  zeroLossZeroDup(await finish(s, page));
  await s.ctx.close();
});

test('two tabs sending at once', async () => {
  const s = await scenario('two tabs');
  const a = await s.open('a');
  const b = await s.open('b');
  const burst = (page, k) => s.probe(page, k);
  // Interleaved: both tabs create and send while the other one does.
  for (let i = 0; i < 10; i++) await Promise.all([burst(a, 3), burst(b, 3)]);
  await settle(s, a);
  zeroLossZeroDup(await finish(s, b));
  await s.ctx.close();
});

test('two tabs taking turns (one event every 150-250 ms in each, not at the same instant)', async () => {
  const s = await scenario('two tabs taking turns');
  const a = await s.open('a');
  const b = await s.open('b');
  const loop = async (page, delay) => {
    await sleep(delay);
    for (let i = 0; i < 15; i++) {
      await s.probe(page, 1);
      await sleep(150 + Math.random() * 100);
    }
  };
  await Promise.all([loop(a, 0), loop(b, 70)]);
  await settle(s, a);
  zeroLossZeroDup(await finish(s, b));
  await s.ctx.close();
});

test('two tabs, one offline burst each, then back online', async () => {
  const s = await scenario('two tabs offline');
  const a = await s.open('a');
  const b = await s.open('b');
  await Promise.all([settle(s, a), settle(s, b)]);
  await s.setOffline(true);
  for (let i = 0; i < 5; i++) await Promise.all([s.probe(a, 4), s.probe(b, 4)]);
  await sleep(1500);
  await s.setOffline(false);
  await settle(s, a);
  zeroLossZeroDup(await finish(s, b));
  await s.ctx.close();
});

test('a 4xx other than 408/429 drops the batch with one console error; later events go on', async () => {
  const s = await scenario('400 drops the batch');
  const page = await s.open();
  await settle(s, page);
  let rejectedIds = [];
  s.fault = async (route, i) => {
    const body = JSON.parse(route.request().postData());
    if (!body.events.some((e) => e.type === 'custom')) return false;
    if (rejectedIds.length) return false;
    rejectedIds = body.events.map((e) => e.id);
    await route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":"events[0].data.name: expected a string"}' });
    return true;
  };
  await s.probe(page, 1); // rejected
  await eventually(() => rejectedIds.length);
  await settle(s, page);
  await s.probe(page, 3); // delivered
  await settle(s, page);
  const errors = page.errors.filter((e) => /ringtrail/.test(e));
  assert.deepEqual(errors, [`[ringtrail] collector rejected ${rejectedIds.length} events with HTTP 400`]);
  const rows = await stored(s.site);
  assert.ok(rejectedIds.every((id) => !rows.some((e) => e.id === id)), 'the rejected batch is dropped, not retried');
  assert.equal(rows.filter((e) => e.type === 'custom').length, 3);
  assert.equal((await queueOf(page)).events, 0);
  const row = await count(s, { rejected: rejectedIds.length });
  row.scenario += ` (${rejectedIds.length} rejected by design)`;
  assert.equal(row.lost, 0);
  assert.equal(row.duplicates, 0);
  await s.ctx.close();
});
