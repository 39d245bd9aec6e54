// Visitor-level pool numbers and call attribution, end to end (issue 5): visitors get their own
// number from the demo's `visitors` pool (www/ringtrail/config.json: `?utm_medium=display` →
// source `display-ads`, 03-1234-5678 → 03-5555-1001..1003, fallback 03-5555-1000), keep it when
// they come back, see the fallback when the collector is slow, down or the pool is exhausted; a
// call to a leased number is attributed to the visit that was shown it, on the webhook's answer,
// in `ringtrail call` and on the report; leases never cross sites.
//
// Every spec starts its own collector (a fresh database: an empty pool).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, startCollector, launch, newPage, storedEvents, eventually } from './harness.mjs';
import { paintedFrames, describe } from './dni-helpers.mjs';

const CONFIG = join(ROOT, 'www/ringtrail/config.json');
// `ringtrail serve` refuses secrets shorter than 8 characters.
const SECRET = 's3cret-demo-e2e';
const DISPLAY = '/index.html?utm_source=banner&utm_medium=display';
const SITE_NUMBER = '03-1234-5678';
const POOL = ['03-5555-1001', '03-5555-1002', '03-5555-1003'];
const FALLBACK = '03-5555-1000';
const FREEDIAL_DISPLAY = '0120-555-020'; // display-ads' fixed number for the second target

/** `+81…` of a JP number written with any separators. */
const e164 = (n) => `+81${n.replace(/\D/g, '').slice(1)}`;
const FULL = '０１２３４５６７８９';
const fullWidth = (n) => n.replace(/\d/g, (d) => FULL[d]).replace(/-/g, '－');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A collector with the demo config and its webhook secret (plus `extra` arguments). */
async function demoCollector(t, extra = []) {
  const c = await startCollector(['--config', CONFIG, '--webhook-secret', `demo=${SECRET}`, ...extra]);
  t.after(() => c.stop());
  return c;
}

/** A fresh browser context, closed after the test. */
async function context(t) {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  return ctx;
}

/**
 * Records, from the very start, every state of the demo page's phone markup with a timestamp
 * (performance.now()) and the time `ringtrail:ready` fired: `window.__seen`, `window.__readyAt`.
 */
function WATCH() {
  window.__seen = [];
  window.__readyAt = null;
  document.addEventListener('ringtrail:ready', () => { window.__readyAt = performance.now(); });
  const snap = () => {
    const q = (s) => document.querySelector(s);
    const main = q('#main-phone');
    if (!main) return;
    const state = {
      main: main.textContent,
      href: q('#header-phone')?.getAttribute('href'),
      header: q('#header-phone')?.textContent,
      split: q('#split')?.innerHTML,
      button: q('#call-button')?.getAttribute('href'),
    };
    const last = window.__seen[window.__seen.length - 1];
    if (!last || JSON.stringify({ ...last, t: 0 }) !== JSON.stringify({ ...state, t: 0 })) {
      window.__seen.push({ ...state, t: performance.now() });
    }
  };
  new MutationObserver(snap).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  document.addEventListener('DOMContentLoaded', snap);
}

/** Console errors that are not the browser reporting a refused/aborted request. */
const ownErrors = (page) => page.errors.filter((e) => !/Failed to load resource|net::ERR_/.test(e));

/** Opens `path` in `ctx` with the markup watcher; waits for `ringtrail:ready`. */
async function open(ctx, base, path = DISPLAY) {
  const page = await newPage(ctx);
  page.uncaught = [];
  page.on('pageerror', (e) => page.uncaught.push(String(e)));
  page.leaseRequests = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/leases$/.test(new URL(r.url()).pathname)) page.leaseRequests.push(r);
  });
  await page.addInitScript(WATCH);
  await page.goto(`${base}${path}`);
  await page.waitReady();
  return page;
}

const mainPhone = (page) => page.textContent('#main-phone');

/** Waits until `#main-phone` shows one of `numbers`; returns it. */
async function shows(page, numbers, timeout = 5000) {
  await page.waitForFunction((ns) => ns.includes(document.querySelector('#main-phone').textContent), numbers, { timeout });
  return mainPhone(page);
}

/** A display-ads visitor in `ctx` (a new context by default): their page and pool number. */
async function visitor(t, collector, ctx) {
  const c = ctx || (await context(t));
  const page = await open(c, collector.url);
  const number = await shows(page, [...POOL, FALLBACK]);
  const id = await page.evaluate(() => localStorage.getItem('ringtrail:visitor'));
  return { ctx: c, page, number, id };
}

/** The swap events the collector stored for a visitor id. */
const swapEvents = (collector, id) => storedEvents(collector.url, `type=swap&visitor=${encodeURIComponent(id)}`);

/** Posts the call webhook; resolves with { status, body }. */
async function postCall(collector, body, secret = SECRET) {
  const headers = { 'content-type': 'application/json' };
  if (secret !== null) headers.authorization = `Bearer ${secret}`;
  const r = await fetch(`${collector.url}/v1/calls`, {
    method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

/** Runs the `ringtrail` binary; resolves with { code, stdout, stderr }. */
function cli(args) {
  return new Promise((ok) => {
    execFile(BIN, args, { timeout: 15000 }, (err, stdout, stderr) => {
      ok({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

const decode = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
  .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The report's table rows as arrays of cell texts. */
async function reportRows(collector, query = '?site=demo') {
  const html = await (await fetch(`${collector.url}/${query}`)).text();
  return [...html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => decode(c[1].replace(/<[^>]*>/g, '')).trim()));
}

// ---------------------------------------------------------------------------------------------
// 1. Two visitors, two numbers.

test('two visitors on the display-ads URL get different pool numbers, in text and tel: hrefs, each with a stored swap event', async (t) => {
  const collector = await demoCollector(t);
  // Both at once: the collector's leases are exclusive under concurrent requests.
  const [a, b] = await Promise.all([visitor(t, collector), visitor(t, collector)]);
  assert.ok(POOL.includes(a.number), `A shows a pool number, got ${a.number}`);
  assert.ok(POOL.includes(b.number), `B shows a pool number, got ${b.number}`);
  assert.notEqual(a.number, b.number, 'two visitors at once never share a pool number');
  assert.notEqual(a.id, b.id);

  for (const { page, number } of [a, b]) {
    const digits = number.replace(/\D/g, '');
    assert.equal(await page.textContent('#header-phone'), number);
    assert.equal(await page.getAttribute('#header-phone', 'href'), `tel:${e164(number)}`);
    assert.equal(await page.getAttribute('#call-button', 'href'), `tel:${e164(number)}`);
    assert.equal(await page.getAttribute('#call-button', 'aria-label'), `Call ${number}`);
    assert.equal(await page.innerHTML('#split'), `03-<b>${digits.slice(2, 6)}</b>-${digits.slice(6)}`);
    assert.equal(await page.textContent('#fullwidth'), fullWidth(number));
    assert.equal(await page.textContent('#intl'), `+81 3-${digits.slice(2, 6)}-${digits.slice(6)}`);
    assert.equal(await page.textContent('#freedial'), FREEDIAL_DISPLAY, 'the fixed number of the same source');
    assert.equal(await page.textContent('#legal'), `Registered clinic no. ${SITE_NUMBER} (not a phone line; never swapped)`);
    // number() is what forms and analytics read: the leased number once it shows.
    assert.equal(await page.evaluate(() => new Promise((r) => window.ringtrail('number', r))), e164(number));
    const swaps = (await page.rt()).swaps;
    assert.ok(swaps.some((s) => s.number === e164(number) && s.source === 'display-ads'), JSON.stringify(swaps));
    assert.deepEqual(page.uncaught, []);
    assert.deepEqual(ownErrors(page), []);
  }

  for (const { id, number } of [a, b]) {
    const events = await eventually(async () => {
      const e = await swapEvents(collector, id);
      return e.some((x) => x.data?.lease_id) && e;
    });
    const swap = events.find((x) => x.data?.lease_id);
    assert.equal(swap.site, 'demo');
    assert.equal(swap.data.pool, 'visitors');
    assert.equal(swap.data.target, e164(SITE_NUMBER));
    assert.equal(e164(swap.data.number), e164(number), `the swap event names the number shown: ${JSON.stringify(swap.data)}`);
    assert.match(swap.data.lease_id, /^[0-9a-f-]{36}$/);
    assert.equal(swap.source?.name, 'display-ads');
  }
  const [sa] = (await swapEvents(collector, a.id)).filter((x) => x.data?.lease_id);
  const [sb] = (await swapEvents(collector, b.id)).filter((x) => x.data?.lease_id);
  assert.notEqual(sa.data.lease_id, sb.data.lease_id);
});

test('a page whose data-config is the collector\'s /v1/config/demo gets the compiled config: one GET, no compile request, pool number shown', async (t) => {
  const collector = await demoCollector(t);
  const ctx = await context(t);
  const html = readFileSync(join(ROOT, 'www/index.html'), 'utf8')
    .replace('data-config="/ringtrail/config.json"', 'data-config="/v1/config/demo"');
  await ctx.route(/\/served-config\.html/, (r) => r.fulfill({ contentType: 'text/html', body: html }));
  const configRequests = [];
  ctx.on('request', (r) => { if (/\/v1\/config|config\.json/.test(r.url())) configRequests.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  const page = await open(ctx, collector.url, '/served-config.html?utm_source=banner&utm_medium=display');
  const number = await shows(page, [...POOL, FALLBACK]);
  assert.ok(POOL.includes(number), number);
  assert.deepEqual(configRequests, ['GET /v1/config/demo']);
  const served = await (await fetch(`${collector.url}/v1/config/demo`)).json();
  assert.match(served, /^rt2\x1fdemo\x1fJP\x1f/);
  assert.deepEqual(ownErrors(page), []);
});

// ---------------------------------------------------------------------------------------------
// 2. A returning visitor.

test('a returning visitor sees their number at once (first ready, no lease round trip) and keeps it', async (t) => {
  const collector = await demoCollector(t);
  const first = await visitor(t, collector);
  assert.ok(POOL.includes(first.number));
  // Someone else takes a number meanwhile.
  const other = await visitor(t, collector);
  assert.notEqual(other.number, first.number);
  await first.page.waitForTimeout(500);

  // A new page later, the first still open (a second tab) — then after closing every page.
  for (const step of ['second tab', 'after closing the page', 'untagged page later']) {
    if (step === 'after closing the page') {
      for (const p of first.ctx.pages()) await p.close();
    }
    const path = step === 'untagged page later' ? '/pricing.html' : DISPLAY;
    const page = await open(first.ctx, collector.url, path);
    const rt = await page.rt();
    // The very first swap announced (in ringtrail:ready) already is the visitor's number.
    const ready = rt.ready.filter((s) => s.target === SITE_NUMBER);
    assert.ok(ready.length > 0, `${step}: ready lists the swap of ${SITE_NUMBER}: ${JSON.stringify(rt.ready)}`);
    assert.ok(ready.every((s) => s.number === e164(first.number)), `${step}: ${JSON.stringify(ready)}`);
    const seen = await page.evaluate(() => window.__seen);
    const shown = seen.map((s) => s.header).filter((x) => x !== undefined);
    assert.ok(shown.every((x) => x === SITE_NUMBER || x === first.number), `${step}: only ever the site's number or theirs: ${JSON.stringify(shown)}`);
    assert.equal(await page.textContent('#header-phone'), first.number);
    assert.equal(await page.getAttribute('#header-phone', 'href'), `tel:${e164(first.number)}`);
    // ...and it stays (a late lease answer or heartbeat does not change it).
    await page.waitForTimeout(1500);
    assert.equal(await page.textContent('#header-phone'), first.number, `${step}: kept`);
    assert.equal(page.leaseRequests.length, 0, `${step}: the stored lease is used, no new lease request`);
    assert.deepEqual(page.uncaught, []);
    assert.deepEqual(ownErrors(page), []);
  }
});

test('first paint: a returning pool visitor never sees the site number painted before their leased number', async (t) => {
  const collector = await demoCollector(t);
  const first = await visitor(t, collector);
  assert.ok(POOL.includes(first.number));
  // The next pages replay what the last one showed (js/loader.js), the leased number included
  // once the lease is known (the page that leased it writes the replay header on the answer).
  for (const step of ['second page', 'third page']) {
    const { page, frames, fcp } = await paintedFrames(first.ctx, collector.url, '/test/flicker.html');
    t.diagnostic(`${step}: ${describe(frames, fcp)}`);
    const phones = frames.map((f) => f.phone).filter((p) => p !== null && p !== '(hidden)');
    assert.ok(phones.length > 0, `${step}: no frame showed #phone`);
    assert.deepEqual([...new Set(phones)], [first.number], `${step}: ${describe(frames, fcp)}`);
    const frees = frames.map((f) => f.free).filter((p) => p !== null && p !== '(hidden)');
    assert.deepEqual([...new Set(frees)], [FREEDIAL_DISPLAY], `${step}: ${describe(frames, fcp)}`);
    assert.equal(page.leaseRequests?.length ?? 0, 0);
    await page.close();
  }
});

test('a returning visitor whose stored lease is gone gets the same number back from the collector', async (t) => {
  const collector = await demoCollector(t);
  const a = await visitor(t, collector);
  await visitor(t, collector);
  await a.page.evaluate(() => {
    for (const k of Object.keys(localStorage)) if (k.startsWith('ringtrail:lease:')) localStorage.removeItem(k);
  });
  await a.page.close();
  const page = await open(a.ctx, collector.url);
  assert.equal(await shows(page, [...POOL, FALLBACK]), a.number);
  assert.equal(page.leaseRequests.length, 1);
  await page.waitForTimeout(300);
  assert.equal(await mainPhone(page), a.number);
});

// ---------------------------------------------------------------------------------------------
// 3. The fallback when the collector cannot answer in time.

/** The states `#main-phone` went through, and when the fallback first showed after ready. */
async function timeline(page) {
  const { seen, readyAt } = await page.evaluate(() => ({ seen: window.__seen, readyAt: window.__readyAt }));
  const fallbackAt = seen.find((s) => s.main === FALLBACK)?.t;
  return { seen, readyAt, fallbackMs: fallbackAt === undefined ? null : fallbackAt - readyAt };
}

/** The page only ever showed well-formed site or fallback numbers. */
function assertClean(seen, what) {
  const ok = new Set([SITE_NUMBER, FALLBACK]);
  for (const s of seen) {
    assert.ok(ok.has(s.main) && ok.has(s.header), `${what}: unexpected text ${JSON.stringify(s)}`);
    const digits = s.main.replace(/\D/g, '');
    assert.equal(s.split, `03-<b>${digits.slice(2, 6)}</b>-${digits.slice(6)}`, `${what}: split markup ${JSON.stringify(s)}`);
    assert.ok([`tel:${e164(SITE_NUMBER)}`, `tel:${e164(FALLBACK)}`].includes(s.href), `${what}: href ${JSON.stringify(s)}`);
  }
}

const SLOW = [
  ['aborted', (route) => route.abort('connectionrefused')],
  ['answering after 3 s', async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    // The page gave up on it by now; Playwright may refuse to continue a cancelled request.
    await route.continue().catch(() => {});
  }],
];

for (const [what, handler] of SLOW) {
  test(`lease request ${what}: the fallback shows within ~1.2 s, clean markup, no uncaught error`, async (t) => {
    const collector = await demoCollector(t);
    const ctx = await context(t);
    await ctx.route(/\/v1\/leases$/, handler);
    const page = await open(ctx, collector.url);
    await shows(page, [FALLBACK], 3000);
    const { fallbackMs } = await timeline(page);
    t.diagnostic(`fallback ${Math.round(fallbackMs)} ms after ready`);
    assert.ok(fallbackMs !== null && fallbackMs <= 1200, `fallback after ${fallbackMs} ms`);
    assert.equal(await page.getAttribute('#header-phone', 'href'), `tel:${e164(FALLBACK)}`);
    assert.equal(await page.textContent('#freedial'), FREEDIAL_DISPLAY);
    await page.waitForTimeout(what.includes('3 s') ? 2600 : 500);
    assert.equal(await mainPhone(page), FALLBACK, 'a late answer does not change the number again');
    assertClean((await timeline(page)).seen, what);
    assert.deepEqual(page.uncaught, []);
    assert.deepEqual(ownErrors(page), []);
  });
}

test('collector stopped: the fallback shows at once, clean markup, no uncaught error; the next page asks again', async (t) => {
  const site = await demoCollector(t);
  // A collector that was running and is now stopped: its port refuses connections.
  const gone = await startCollector(['--config', CONFIG]);
  await gone.stop();
  // The config comes compiled from where the site serves it (here the running collector; a
  // JSON config would need the stopped one to compile it).
  const html = readFileSync(join(ROOT, 'www/index.html'), 'utf8')
    .replace('data-collector="/"', `data-collector="${gone.url}"`)
    .replace('data-config="/ringtrail/config.json"', 'data-config="/v1/config/demo"');
  assert.ok(html.includes(gone.url) && html.includes('/v1/config/demo'));
  const ctx = await context(t);
  await ctx.route(/\/calls-stopped\.html/, (r) => r.fulfill({ contentType: 'text/html', body: html }));
  const page = await open(ctx, site.url, '/calls-stopped.html?utm_source=banner&utm_medium=display');
  await shows(page, [FALLBACK], 3000);
  const { fallbackMs } = await timeline(page);
  t.diagnostic(`fallback ${Math.round(fallbackMs)} ms after ready`);
  assert.ok(fallbackMs !== null && fallbackMs <= 1200, `fallback after ${fallbackMs} ms`);
  await page.waitForTimeout(500);
  assertClean((await timeline(page)).seen, 'stopped');
  assert.deepEqual(page.uncaught, []);
  assert.deepEqual(ownErrors(page), []);
  // The fallback is not remembered as the visitor's number: with the collector back, they get one.
  await page.close();
  const again = await open(ctx, site.url, DISPLAY);
  assert.ok(POOL.includes(await shows(again, POOL)));
});

// ---------------------------------------------------------------------------------------------
// 4. An exhausted pool.

test('four visitors on a three-number pool: the fourth gets the fallback; the report shows the overflow', async (t) => {
  const collector = await demoCollector(t);
  const visitors = [];
  for (let i = 0; i < 4; i++) visitors.push(await visitor(t, collector));
  const numbers = visitors.map((v) => v.number);
  assert.deepEqual(new Set(numbers.slice(0, 3)), new Set(POOL), `three distinct pool numbers: ${numbers}`);
  assert.equal(numbers[3], FALLBACK);
  const fourth = visitors[3].page;
  assert.equal(await fourth.getAttribute('#header-phone', 'href'), `tel:${e164(FALLBACK)}`);
  assert.deepEqual(fourth.uncaught, []);
  assert.deepEqual(ownErrors(fourth), []);
  // The fallback has no lease: nothing is stored for it as a lease of the fourth visitor.
  assert.equal(await fourth.evaluate(() => localStorage.getItem('ringtrail:lease:visitors:0')), null);
  const swaps = await eventually(async () => (await swapEvents(collector, visitors[2].id)).length > 0);
  assert.ok(swaps);
  assert.ok((await swapEvents(collector, visitors[3].id)).every((e) => !e.data?.lease_id));

  const row = await eventually(async () => (await reportRows(collector)).find((r) => r[0] === 'demo' && r[1] === 'visitors'));
  // Site, Pool, Numbers, Leases, Overflows, Overflow rate, Peak held, Peak demand, Hint
  assert.deepEqual(row.slice(0, 8), ['demo', 'visitors', '3', '3', '1', '25.0%', '3', '4'], JSON.stringify(row));
  assert.ok(row[8].length > 0, 'a pool-size hint');
});

// ---------------------------------------------------------------------------------------------
// 5. Calls.

test('a test call to visitor A\'s number is attributed to A\'s visit (webhook, CLI, report)', async (t) => {
  const collector = await demoCollector(t);
  const a = await visitor(t, collector);
  const b = await visitor(t, collector);
  assert.notEqual(a.number, b.number);
  // A looks at a second page before calling.
  await a.page.click('header a[href="/pricing.html"]');
  await a.page.waitForURL(/pricing\.html$/);
  await a.page.waitReady();
  assert.equal(await a.page.textContent('#header-phone'), a.number);
  const views = await eventually(async () => {
    const e = await storedEvents(collector.url, `type=page_view&visitor=${encodeURIComponent(a.id)}`);
    return e.length >= 2 && e;
  });
  const session = views[0].session;
  assert.ok(session && views.every((v) => v.session === session));
  const lease = (await eventually(async () => (await swapEvents(collector, a.id)).find((e) => e.data?.lease_id))).data.lease_id;

  const call = {
    site: 'demo', call_id: 'e2e-call-1', called_number: a.number, caller_number: '090-1234-5678',
    started_at: Date.now(), duration_s: 95,
  };
  const { status, body } = await postCall(collector, call);
  assert.equal(status, 201, JSON.stringify(body));
  assert.equal(body.attributed_to, 'visitor');
  assert.equal(body.reason, null);
  assert.equal(body.called_number, e164(a.number));
  assert.equal(body.caller_number, '+819012345678');
  assert.equal(body.visitor, a.id);
  assert.equal(body.session, session);
  assert.equal(body.pool, 'visitors');
  assert.equal(body.lease_id, lease);
  assert.equal(body.source?.name, 'display-ads');
  assert.deepEqual([body.source?.group, body.source?.utm_source, body.source?.utm_medium, body.source?.landing],
    ['paid', 'banner', 'display', '/index.html'], JSON.stringify(body.source));
  assert.equal(body.landing_page, '/index.html');
  assert.equal(body.pages_viewed, 2);
  assert.deepEqual(body.pages.map((p) => new URL(p.url).pathname), ['/index.html', '/pricing.html']);
  assert.equal(new URL(body.pages[0].url).search, '?utm_source=banner&utm_medium=display');

  // The provider retries: the stored attribution, once.
  const again = await postCall(collector, call);
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
  assert.equal(again.body.visitor, a.id);

  // The same through `ringtrail call`.
  const run = await cli(['call', '--collector', collector.url, '--site', 'demo', '--to', a.number,
    '--from', '080-2222-3333', '--secret', SECRET, '--duration', '30']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^201: call test-\S+ to \+81355551\d{3} at /);
  assert.ok(run.stdout.includes(`attributed to visitor ${a.id} (session ${session}, lease ${lease})`), run.stdout);
  assert.match(run.stdout, /\nsource: display-ads/);
  assert.match(run.stdout, /\nlanding page: \/index\.html\n/);
  assert.match(run.stdout, /\npages viewed: 2\n/);

  // B's number is B's.
  const bCall = await postCall(collector, { ...call, call_id: 'e2e-call-b', called_number: b.number });
  assert.equal(bCall.body.visitor, b.id);

  // The report: the call with A's journey.
  const rows = await reportRows(collector);
  const mine = rows.filter((r) => r.some((c) => c === `visitor ${a.id} (session ${session})`));
  assert.equal(mine.length, 2, `two calls attributed to A on the report: ${JSON.stringify(rows.filter((r) => r.length === 8))}`);
  for (const row of mine) {
    // Started, Called, Caller, Answered, Attributed to, Source, Landing page, Pages viewed
    assert.equal(row[1], e164(a.number));
    assert.equal(row[5], 'display-ads (paid)');
    assert.equal(row[6], '/index.html');
    assert.match(row[7], /\/index\.html\?utm_source=banner&utm_medium=display → .*\/pricing\.html$/);
  }
  assert.ok(mine.some((r) => r[2] === '+819012345678' && r[3] === '1:35'), JSON.stringify(mine));
});

test('calls to the fallback or the site number say why they have no visitor', async (t) => {
  const collector = await demoCollector(t);
  const base = { site: 'demo', caller_number: 'anonymous', started_at: new Date().toISOString(), duration_s: 0 };
  const fb = await postCall(collector, { ...base, call_id: 'fb-1', called_number: FALLBACK });
  assert.equal(fb.status, 201, JSON.stringify(fb.body));
  assert.equal(fb.body.attributed_to, null);
  assert.equal(fb.body.reason, 'fallback_number');
  assert.equal(fb.body.visitor, null);
  assert.equal(fb.body.pool, 'visitors');
  assert.equal(fb.body.caller_number, null);
  const site = await postCall(collector, { ...base, call_id: 'site-1', called_number: SITE_NUMBER });
  assert.equal(site.body.reason, 'site_number');
  // A pool number nobody held.
  const idle = await postCall(collector, { ...base, call_id: 'idle-1', called_number: POOL[2] });
  assert.equal(idle.body.reason, 'no_lease_at_that_time');
  assert.equal(idle.body.visitor, null);
  const run = await cli(['call', '--collector', collector.url, '--site', 'demo', '--to', FALLBACK, '--secret', SECRET]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /\nnot attributed: fallback_number\n/);
  const rows = await reportRows(collector);
  assert.ok(rows.some((r) => r[1] === e164(FALLBACK) && r[4] === 'fallback_number'), JSON.stringify(rows));
});

test('the call webhook refuses bad bodies with a reason and a wrong or missing secret with 401', async (t) => {
  const collector = await demoCollector(t);
  const good = { site: 'demo', call_id: 'x-1', called_number: POOL[0], started_at: Date.now(), duration_s: 10 };
  const bad = [
    ['invalid JSON', '{"site": "demo", "call_id": ', /JSON/i],
    ['no called number', { ...good, called_number: undefined }, /^called_number: /],
    ['not a phone number', { ...good, called_number: 'call me' }, /^called_number: not a phone number/],
    ['no start time', { ...good, started_at: undefined }, /^started_at: required/],
    ['bad start time', { ...good, started_at: 'yesterday' }, /^started_at: /],
    ['negative duration', { ...good, duration_s: -5 }, /^duration_s: /],
    ['empty call id', { ...good, call_id: '' }, /^call_id: /],
    ['an array', '[]', /body|site/],
  ];
  for (const [what, body, reason] of bad) {
    const r = await postCall(collector, body);
    assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, reason, what);
  }
  const wrong = await postCall(collector, good, 'not-the-secret');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'wrong webhook secret');
  assert.ok(!JSON.stringify(wrong.body).includes(SECRET));
  const none = await postCall(collector, good, null);
  assert.equal(none.status, 401);
  assert.match(none.body.error, /missing webhook secret/);
  const run = await cli(['call', '--collector', collector.url, '--site', 'demo', '--to', POOL[0], '--secret', 'not-the-secret']);
  assert.notEqual(run.code, 0);
  assert.equal(run.stdout, '401: wrong webhook secret\n');
  // Nothing refused was stored.
  const rows = await reportRows(collector);
  assert.ok(!rows.some((r) => r[1] === e164(POOL[0])), 'no refused call on the report');
});

// ---------------------------------------------------------------------------------------------
// 6. Leases per site.

const BRANCH_POOL = ['03-7777-2001', '03-7777-2002'];
const BRANCH_FALLBACK = '03-7777-2000';
const BRANCH = {
  site: 'branch',
  region: 'JP',
  targets: [SITE_NUMBER],
  sources: [{ name: 'display-ads', match: { utm_medium: 'display' }, numbers: { [SITE_NUMBER]: { pool: 'visitors' } } }],
  pools: { visitors: { numbers: BRANCH_POOL, fallback: BRANCH_FALLBACK, idle_minutes: 15 } },
  tracking: { allow_automation: true, allow_localhost: true },
};
/** The demo page, configured for `branch` (served by a route: same origin as the demo). */
const BRANCH_HTML = readFileSync(join(ROOT, 'www/index.html'), 'utf8')
  .replace('data-config="/ringtrail/config.json"', 'data-config="/calls-branch/config.json"');

async function twoSites(t) {
  const dir = mkdtempSync(join(tmpdir(), 'ringtrail-calls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'branch.json');
  writeFileSync(path, JSON.stringify(BRANCH, null, 2));
  return demoCollector(t, ['--config', path, '--webhook-secret', `branch=${SECRET}-branch`]);
}

async function branchVisitor(t, collector, ctx) {
  const c = ctx || (await context(t));
  await c.route(/\/calls-branch\//, (r) => r.fulfill(r.request().url().endsWith('.json')
    ? { contentType: 'application/json', body: JSON.stringify(BRANCH) }
    : { contentType: 'text/html', body: BRANCH_HTML }));
  const page = await open(c, collector.url, '/calls-branch/index.html?utm_source=banner&utm_medium=display');
  return { ctx: c, page, number: await shows(page, [...BRANCH_POOL, BRANCH_FALLBACK, ...POOL, FALLBACK]) };
}

const leaseApi = async (collector, body) => {
  const r = await fetch(`${collector.url}/v1/leases`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

test('leases are per site: a second site never receives the demo\'s numbers', async (t) => {
  const collector = await twoSites(t);
  const demo = [];
  for (let i = 0; i < 3; i++) demo.push((await visitor(t, collector)).number);
  assert.deepEqual(new Set(demo), new Set(POOL));
  const branch = [];
  for (let i = 0; i < 3; i++) branch.push((await branchVisitor(t, collector)).number);
  assert.deepEqual(branch.slice(0, 2).sort(), BRANCH_POOL, `branch visitors: ${branch}`);
  assert.equal(branch[2], BRANCH_FALLBACK);
  // The demo's pool, also full, still answers its own fallback.
  assert.equal((await visitor(t, collector)).number, FALLBACK);

  // Straight to the API: same pool name and target, other site.
  const req = { visitor_id: 'api-v', session_id: 'api-s', pool: 'visitors', target: '+81312345678' };
  const b = await leaseApi(collector, { ...req, site: 'branch' });
  assert.equal(b.status, 200);
  assert.equal(b.body.fallback, true);
  assert.equal(b.body.number, e164(BRANCH_FALLBACK));
  const unknown = await leaseApi(collector, { ...req, site: 'nosuch' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /^site: /);
  const nopool = await leaseApi(collector, { ...req, site: 'branch', pool: 'ads' });
  assert.equal(nopool.status, 400);
  assert.match(nopool.body.error, /^pool: /);

  // A branch call to a demo number is not a branch visitor's.
  const r = await postCall(collector, { site: 'branch', call_id: 'br-1', called_number: demo[0], started_at: Date.now() }, `${SECRET}-branch`);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.reason, 'unknown_number');
  assert.equal(r.body.visitor, null);
  // Each site's secret is its own.
  const cross = await postCall(collector, { site: 'branch', call_id: 'br-2', called_number: BRANCH_POOL[0], started_at: Date.now() }, SECRET);
  assert.equal(cross.status, 401);

  const rows = await reportRows(collector, '');
  const pools = rows.filter((row) => row[1] === 'visitors' && ['demo', 'branch'].includes(row[0]));
  // Site, Pool, Numbers, Leases, Overflows (branch: its third browser visitor and the API request)
  assert.deepEqual(pools.map((row) => row.slice(0, 5)).sort(), [['branch', 'visitors', '2', '2', '2'], ['demo', 'visitors', '3', '3', '1']]);
});

test('leases are per site in the browser too: a demo visitor opening the branch site on the same origin does not show the demo\'s number there', async (t) => {
  const collector = await twoSites(t);
  const a = await visitor(t, collector);
  assert.ok(POOL.includes(a.number));
  const br = await branchVisitor(t, collector, a.ctx);
  assert.ok(BRANCH_POOL.includes(br.number), `the branch page shows ${br.number}`);
  const ready = (await br.page.rt()).ready;
  assert.ok(ready.every((s) => !POOL.map(e164).includes(s.number)), `first swap on the branch page: ${JSON.stringify(ready)}`);
});
