// Visits as a site owner sees them in the collector: page views (first load, SPA history
// changes, hash routes, back/forward cache, prerender shown), engaged time (visible AND focused AND
// active in the last 30 s) reported as increments when the page is left, sessions and revisits,
// and triggers. Time is Playwright's fake clock, paused: every engaged_ms is exact.
//
// Headless Chromium pages are always visible and focused, so the visibility and focus the
// snippet reads are driven by an init script (PRESENCE) that overrides
// `document.visibilityState` / `document.hasFocus()` and dispatches the real events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { suite, newPage, storedEvents, eventually, CHROMIUM_ARGS, launch } from './harness.mjs';

const T0 = Date.UTC(2026, 2, 2, 0, 0, 0); // 2026-03-02T09:00+09:00
const SEC = 1000;
const MIN = 60 * SEC;

const { collector, browser } = await suite();

/** Lets the page's visibility and focus be set from the spec: `window.__presence.hide()` etc. */
function PRESENCE() {
  let state = 'visible';
  let focused = true;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => state === 'hidden' });
  Document.prototype.hasFocus = function hasFocus() { return focused; };
  const vis = (s) => { state = s; document.dispatchEvent(new Event('visibilitychange', { bubbles: true })); };
  window.__presence = {
    hide: () => vis('hidden'),
    show: () => vis('visible'),
    blur: () => { focused = false; window.dispatchEvent(new FocusEvent('blur')); },
    focus: () => { focused = true; window.dispatchEvent(new FocusEvent('focus')); },
  };
}

/**
 * A page in `ctx` (a fresh context by default) with the presence controls and a paused fake
 * clock at `at`, opened at `path`; waits for `ringtrail:ready` and for the page view to be stored.
 */
async function open(path, { ctx, at = T0, referer, init, clock = true, waitPageView = true } = {}) {
  const context = ctx || (await browser.newContext());
  const page = await newPage(context);
  await page.addInitScript(PRESENCE);
  if (init) await page.addInitScript(init);
  if (clock) await pausedClock(page, at);
  await page.goto(`${collector.url}${path}`, referer ? { referer } : {});
  await page.waitReady();
  if (waitPageView) await pageViewStored(page, 0);
  return { ctx: context, page };
}

/** Installs the fake clock, paused at `at` (installed a little earlier: real time flows until the pause). */
async function pausedClock(page, at) {
  await page.clock.install({ time: at - 5 * SEC });
  await page.clock.pauseAt(at);
}

/**
 * Waits until the visitor has more than `before` page views stored and the newest one has left the
 * page's queue (its request answered), so that moving the paused clock on cannot time it out.
 */
async function pageViewStored(page, before) {
  const v = await visitorOf(page);
  const pvs = await eventually(async () => {
    const got = await events(v, 'page_view');
    return got.length > before && got;
  });
  await sent(page, pvs.at(-1).id);
}

/** Waits until event `id` is no longer in the page's queue (delivered and removed). */
const sent = (page, id) => page.waitForFunction(
  (i) => !Object.keys(localStorage).some((k) => k.startsWith('ringtrail:outbox') && (localStorage.getItem(k) || '').includes(i)), id, { timeout: 8000 });

/** Navigates an open page (same tab) and waits like `open`. */
async function go(page, path, { waitPageView = true } = {}) {
  const before = waitPageView ? (await events(await visitorOf(page), 'page_view')).length : 0;
  await page.goto(`${collector.url}${path}`);
  await page.waitReady();
  if (waitPageView) await pageViewStored(page, before);
}

const visitorOf = (page) => page.evaluate(() => localStorage.getItem('ringtrail:visitor'));
const presence = (page, what) => page.evaluate((w) => window.__presence[w](), what);

/** The collector's events for a visitor (optionally of one type), oldest first. */
async function events(visitor, type) {
  assert.ok(visitor, 'a visitor id is stored');
  return storedEvents(collector.url, `visitor=${encodeURIComponent(visitor)}${type ? `&type=${type}` : ''}`);
}

/** Waits until the visitor has exactly `n` events of `type` (and that no more arrive). */
async function exactly(visitor, type, n, settleMs = 400) {
  await eventually(async () => (await events(visitor, type)).length >= n);
  await new Promise((r) => setTimeout(r, settleMs));
  const got = await events(visitor, type);
  assert.equal(got.length, n, `${type} events: ${JSON.stringify(got.map((e) => [e.url, e.data]), null, 1)}`);
  return got;
}

/** Leaves the page like closing the tab (pagehide → beacon). */
async function closeTab(page) {
  await page.close({ runBeforeUnload: true });
}

const sum = (evs) => evs.reduce((n, e) => n + e.data.engaged_ms, 0);

// ---------------------------------------------------------------------------------------------
// Page views

test('first view: one page view with title, referrer, source, visitor, session and revisit 0', async () => {
  const referer = 'https://www.google.com/search?q=dentist';
  const { ctx, page } = await open('/test/visits/app.html?utm_source=campaign&utm_medium=cpc', { referer });
  const visitor = await visitorOf(page);
  const session = await page.evaluate(() => localStorage.getItem('ringtrail:session'));
  const [pv] = await exactly(visitor, 'page_view', 1);
  assert.equal(pv.data.nav, 'load');
  assert.equal(pv.data.path, '/test/visits/app.html');
  assert.equal(pv.url, `${collector.url}/test/visits/app.html?utm_source=campaign&utm_medium=cpc`);
  assert.equal(pv.title, 'Visits app');
  assert.equal(pv.referrer, referer);
  assert.equal(pv.visitor, visitor);
  assert.match(pv.session, /^[0-9a-f-]{36}$/);
  assert.ok(session.includes(pv.session), `stored session ${session} is ${pv.session}`);
  assert.equal(pv.revisit, 0);
  assert.equal(pv.ts, T0);
  assert.equal(pv.source.name, 'spring-campaign');
  assert.equal(pv.source.utm_source, 'campaign');
  assert.equal(pv.source.utm_medium, 'cpc');
  assert.equal(pv.source.landing, '/test/visits/app.html');
  assert.deepEqual((await page.rt()).triggers, []);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('an organic search visit is attributed to its referrer group', async () => {
  const { ctx, page } = await open('/test/visits/app.html', { referer: 'https://www.google.com/' });
  const [pv] = await exactly(await visitorOf(page), 'page_view', 1);
  assert.equal(pv.source.name, 'organic-search');
  assert.equal(pv.source.group, 'search'); // classified by the collector
  assert.equal(pv.source.referrer_host, 'www.google.com');
  await ctx.close();
});

test('page view URLs drop the parameters in tracking.strip_params', async () => {
  const { ctx, page } = await open('/test/visits/hash.html?token=s3cret&keep=1&email=a%40b.example');
  const visitor = await visitorOf(page);
  await page.click('#to-a');
  const pvs = await exactly(visitor, 'page_view', 2);
  assert.equal(pvs[0].url, `${collector.url}/test/visits/hash.html?keep=1`);
  assert.equal(pvs[1].url, `${collector.url}/test/visits/hash.html?keep=1#/a`);
  for (const e of pvs) assert.doesNotMatch(JSON.stringify(e), /s3cret|a%40b|a@b/);
  await ctx.close();
});

test('SPA: push and pop to a new path or query are page views; same-URL push and query-only replace are not', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  const base = `${collector.url}/test/visits/app.html`;
  const nav = (fn, ...args) => page.evaluate(([f, a]) => history[f](...a), [fn, args]);

  await nav('pushState', {}, '', '/test/visits/app.html?step=2'); // page view (push)
  await nav('pushState', {}, '', '/test/visits/app.html?step=2'); // same URL: a re-render
  await nav('replaceState', {}, '', '/test/visits/app.html?step=2&sort=asc'); // query only: filters
  await nav('replaceState', {}, '', '/test/visits/booking'); // new path (replace)
  await exactly(visitor, 'page_view', 3);
  await page.evaluate(() => history.back()); // → ?step=2 (pop)
  await eventually(async () => (await events(visitor, 'page_view')).length === 4);
  await page.evaluate(() => history.back()); // → app.html (pop)
  const pvs = await exactly(visitor, 'page_view', 5);
  assert.deepEqual(pvs.map((e) => [e.data.nav, e.url]), [
    ['load', base],
    ['push', `${base}?step=2`],
    ['replace', `${collector.url}/test/visits/booking`],
    ['pop', `${base}?step=2`],
    ['pop', base],
  ]);
  assert.deepEqual(pvs.map((e) => e.data.path), ['/test/visits/app.html', '/test/visits/app.html',
    '/test/visits/booking', '/test/visits/app.html', '/test/visits/app.html']);
  assert.equal(new Set(pvs.map((e) => e.session)).size, 1, 'one session');
  assert.ok(pvs.every((e) => e.title === 'Visits app' && e.source && e.revisit === 0));
  await ctx.close();
});

test('the demo SPA page: clicking its routes records one page view per route', async () => {
  const { ctx, page } = await open('/spa.html');
  const visitor = await visitorOf(page);
  await page.click('[data-route="/spa/cleaning"]');
  await eventually(async () => (await events(visitor, 'page_view')).length === 2);
  await page.click('[data-route="/spa/implants"]');
  const pvs = await exactly(visitor, 'page_view', 3);
  assert.deepEqual(pvs.map((e) => [e.data.nav, e.data.path]),
    [['load', '/spa.html'], ['push', '/spa/cleaning'], ['push', '/spa/implants']]);
  await ctx.close();
});

test('hash mode: with tracking.hash_routing every route change is one page view', async () => {
  const { ctx, page } = await open('/test/visits/hash.html');
  const visitor = await visitorOf(page);
  await page.click('#to-a');
  await eventually(async () => (await events(visitor, 'page_view')).length === 2);
  await page.evaluate(() => { location.hash = '#/b'; });
  await eventually(async () => (await events(visitor, 'page_view')).length === 3);
  await page.evaluate(() => history.back()); // → #/a
  await eventually(async () => (await events(visitor, 'page_view')).length === 4);
  // An app pushing a route, then the visitor going back.
  await page.evaluate(() => history.pushState(null, '', '#/c'));
  await eventually(async () => (await events(visitor, 'page_view')).length === 5);
  await page.evaluate(() => history.back()); // → #/a
  const pvs = await exactly(visitor, 'page_view', 6);
  const base = `${collector.url}/test/visits/hash.html`;
  assert.deepEqual(pvs.map((e) => [e.data.nav, e.url]), [
    ['load', base], ['hash', `${base}#/a`], ['hash', `${base}#/b`], ['hash', `${base}#/a`],
    ['push', `${base}#/c`], ['hash', `${base}#/a`],
  ]);
  await ctx.close();
});

test('without hash_routing, fragment changes are not page views', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await page.evaluate(() => { location.hash = '#bottom'; });
  await page.evaluate(() => { location.hash = '#/route'; });
  await exactly(visitor, 'page_view', 1, 600);
  await ctx.close();
});

test('back/forward cache restore is a new page view in the same session, frozen time not engaged', async () => {
  // Playwright turns the back/forward cache off by default; this browser keeps it on.
  const bf = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  try {
    const ctx = await bf.newContext();
    const page = await newPage(ctx);
    await page.addInitScript(PRESENCE);
    await page.addInitScript(() => {
      addEventListener('pageshow', (e) => { if (e.persisted) window.__restored = (window.__restored || 0) + 1; });
    });
    await pausedClock(page, T0);
    await page.goto(`${collector.url}/test/visits/app.html`);
    await page.waitReady();
    const visitor = await visitorOf(page);
    const [pv1] = await exactly(visitor, 'page_view', 1, 0);
    await sent(page, pv1.id);
    await page.clock.runFor(4 * SEC);
    await page.goto(`${collector.url}/index.html`);
    await page.waitReady();
    const [, pv2] = await exactly(visitor, 'page_view', 2, 0);
    await sent(page, pv2.id);
    await page.clock.runFor(20 * SEC); // the first page sits frozen in the cache
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => window.__restored === 1, null, { timeout: 5000 });
    const pvs = await exactly(visitor, 'page_view', 3);
    assert.deepEqual(pvs.map((e) => [e.data.nav, e.data.path]),
      [['load', '/test/visits/app.html'], ['load', '/index.html'], ['bfcache', '/test/visits/app.html']]);
    assert.equal(new Set(pvs.map((e) => e.session)).size, 1);
    await page.clock.runFor(3 * SEC);
    await closeTab(page);
    const eng = await exactly(visitor, 'engagement', 3);
    const byPv = Object.fromEntries(pvs.map((p, i) => [p.id, i]));
    assert.deepEqual(eng.map((e) => [byPv[e.data.page_view], e.data.engaged_ms]),
      [[0, 4 * SEC], [1, 20 * SEC], [2, 3 * SEC]]);
    await ctx.close();
  } finally {
    await bf.close();
  }
});

test('prerender: no page view while prerendering, one when the page is shown (simulated)', async () => {
  // Real prerendering cannot be driven here: with DevTools attached Chromium reports
  // "PrerenderingDisabledByDevTools" for speculation rules (see www/test/visits/prerender.html).
  // This simulates the API the snippet reads: document.prerendering, a hidden document, and
  // `prerenderingchange` followed by `visibilitychange` when it is activated.
  const init = () => {
    let pre = true;
    Object.defineProperty(Document.prototype, 'prerendering', { configurable: true, get: () => pre });
    window.__activate = () => {
      pre = false;
      document.dispatchEvent(new Event('prerenderingchange'));
      window.__presence.show();
    };
    // PRESENCE runs first: start hidden, as a prerendered document is.
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (pre ? 'hidden' : 'visible') });
  };
  const { ctx, page } = await open('/test/visits/app.html?prerendered=1', { init, waitPageView: false });
  const visitor = await visitorOf(page);
  await page.clock.runFor(30 * SEC);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await events(visitor), [], 'nothing while prerendering');
  await page.evaluate(() => window.__activate());
  const [pv] = await exactly(visitor, 'page_view', 1);
  assert.equal(pv.data.nav, 'prerender');
  assert.equal(pv.ts, T0 + 30 * SEC);
  await page.clock.runFor(5 * SEC);
  await closeTab(page);
  const [eng] = await exactly(visitor, 'engagement', 1);
  assert.equal(eng.data.engaged_ms, 5 * SEC, 'only time after activation is engaged');
  assert.equal(eng.data.page_view, pv.id);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Engagement

test('engagement is sent on close, with the page view id and the scroll depth', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  const [pv] = await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(3 * SEC);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2 - innerHeight));
  await page.waitForFunction(() => window.scrollY > 0);
  await page.waitForTimeout(100); // the scroll event
  await page.clock.runFor(4 * SEC);
  await closeTab(page);
  const [eng] = await exactly(visitor, 'engagement', 1);
  assert.equal(eng.data.engaged_ms, 7 * SEC);
  assert.equal(eng.data.page_view, pv.id);
  assert.ok(eng.data.scroll_pct >= 45 && eng.data.scroll_pct <= 55, `scroll_pct ${eng.data.scroll_pct}`);
  assert.equal(eng.session, pv.session);
  assert.equal(eng.ts, T0 + 7 * SEC);
  await ctx.close();
});

test('hidden tab time is excluded; hiding reports the increment so far', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  const [pv] = await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(5 * SEC);
  await presence(page, 'hide');
  const [first] = await exactly(visitor, 'engagement', 1);
  assert.equal(first.data.engaged_ms, 5 * SEC);
  await page.clock.runFor(20 * SEC);
  await presence(page, 'show');
  await page.clock.runFor(3 * SEC);
  await closeTab(page);
  const eng = await exactly(visitor, 'engagement', 2);
  assert.deepEqual(eng.map((e) => e.data.engaged_ms), [5 * SEC, 3 * SEC], 'increments, hidden time excluded');
  assert.ok(eng.every((e) => e.data.page_view === pv.id));
  await ctx.close();
});

test('time without focus (blur) is excluded', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(4 * SEC);
  await presence(page, 'blur');
  await page.clock.runFor(20 * SEC);
  await presence(page, 'focus');
  await page.clock.runFor(2 * SEC);
  await closeTab(page);
  const eng = await exactly(visitor, 'engagement', 1);
  assert.equal(sum(eng), 6 * SEC);
  await ctx.close();
});

test('idle time is excluded: at most 30 s count after the last activity', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(2 * MIN); // no input: 30 s count
  await page.keyboard.press('ArrowDown');
  await page.clock.runFor(10 * SEC);
  await page.mouse.move(50, 50);
  await page.mouse.move(80, 90);
  await page.clock.runFor(5 * SEC);
  await closeTab(page);
  const eng = await exactly(visitor, 'engagement', 1);
  assert.equal(sum(eng), 45 * SEC);
  await ctx.close();
});

test('an SPA navigation reports the engagement of the page view it leaves', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(4 * SEC);
  await page.evaluate(() => history.pushState({}, '', '/test/visits/app.html?step=2'));
  const pvs = await exactly(visitor, 'page_view', 2);
  const [first] = await exactly(visitor, 'engagement', 1);
  assert.equal(first.data.engaged_ms, 4 * SEC);
  assert.equal(first.data.page_view, pvs[0].id);
  await page.clock.runFor(6 * SEC);
  await closeTab(page);
  const eng = await exactly(visitor, 'engagement', 2);
  assert.equal(eng[1].data.engaged_ms, 6 * SEC);
  assert.equal(eng[1].data.page_view, pvs[1].id);
  await ctx.close();
});

test('engagement below tracking.min_engaged_ms is held back and joins the next report', async () => {
  const { ctx, page } = await open('/test/visits/min-engaged.html');
  const visitor = await visitorOf(page);
  const [pv] = await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(3 * SEC);
  await presence(page, 'hide'); // 3 s < 5 s: not sent
  await exactly(visitor, 'engagement', 0, 600);
  await presence(page, 'show');
  await page.clock.runFor(3 * SEC);
  await closeTab(page);
  const [eng] = await exactly(visitor, 'engagement', 1);
  assert.equal(eng.data.engaged_ms, 6 * SEC);
  assert.equal(eng.data.page_view, pv.id);
  await ctx.close();
});

test('a page left after less than min_engaged_ms sends no engagement', async () => {
  const { ctx, page } = await open('/test/visits/min-engaged.html');
  const visitor = await visitorOf(page);
  await exactly(visitor, 'page_view', 1, 0);
  await page.clock.runFor(2 * SEC);
  await closeTab(page);
  await exactly(visitor, 'engagement', 0, 800);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Sessions

test('a visit within 30 minutes continues the session; after 30 idle minutes it is a revisit', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await page.clock.fastForward(29 * MIN);
  await go(page, '/index.html');
  await page.clock.fastForward(31 * MIN);
  await go(page, '/contact.html');
  await page.clock.fastForward(5 * MIN);
  await go(page, '/pricing.html');
  const pvs = await exactly(visitor, 'page_view', 4);
  assert.deepEqual(pvs.map((e) => e.revisit), [0, 0, 1, 1]);
  assert.equal(pvs[0].session, pvs[1].session);
  assert.notEqual(pvs[1].session, pvs[2].session, 'a new session after 31 idle minutes');
  assert.equal(pvs[2].session, pvs[3].session);
  assert.ok(pvs.every((e) => e.visitor === visitor));
  await ctx.close();
});

test('activity keeps the session alive past 30 minutes since it started', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  for (let i = 0; i < 4; i++) {
    await page.clock.fastForward(10 * MIN);
    await page.keyboard.press('ArrowDown');
  }
  await page.clock.fastForward(20 * MIN); // 60 min after start, 20 after the last key
  await go(page, '/index.html');
  const pvs = await exactly(visitor, 'page_view', 2);
  assert.equal(pvs[1].session, pvs[0].session);
  assert.equal(pvs[1].revisit, 0);
  await ctx.close();
});

test('tabs of one visitor share the session', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  const second = await newPage(ctx);
  await second.goto(`${collector.url}/index.html`);
  await second.waitReady();
  const pvs = await exactly(visitor, 'page_view', 2);
  assert.equal(pvs[1].visitor, visitor);
  assert.equal(pvs[1].session, pvs[0].session);
  assert.equal(pvs[1].revisit, 0);
  await ctx.close();
});

test('an SPA page view after 30 idle minutes starts a new session; the old page keeps its own', async () => {
  const { ctx, page } = await open('/test/visits/app.html');
  const visitor = await visitorOf(page);
  await page.clock.runFor(5 * SEC);
  await page.clock.fastForward(31 * MIN);
  await page.evaluate(() => history.pushState({}, '', '/test/visits/app.html?later=1'));
  const pvs = await exactly(visitor, 'page_view', 2);
  assert.notEqual(pvs[1].session, pvs[0].session);
  assert.equal(pvs[1].revisit, 1);
  const [eng] = await exactly(visitor, 'engagement', 1);
  assert.equal(eng.data.page_view, pvs[0].id);
  assert.equal(eng.session, pvs[0].session, 'the engagement belongs to the old session');
  assert.equal(eng.data.engaged_ms, 30 * SEC, 'only the 30 s after the last activity are engaged');
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Triggers

test('pricing-chat fires once after 10 engaged seconds: DOM event, on() callback, chat box, event', async () => {
  const { ctx, page } = await open('/pricing.html');
  const visitor = await visitorOf(page);
  await page.evaluate(() => {
    window.__onTrigger = [];
    ringtrail('on', 'trigger', (t) => window.__onTrigger.push(t));
  });
  await page.clock.runFor(9 * SEC);
  assert.deepEqual((await page.rt()).triggers, []);
  assert.equal(await page.$eval('#chat', (el) => el.classList.contains('open')), false);
  await page.clock.runFor(2 * SEC);
  const session = (await events(visitor, 'page_view'))[0].session;
  const want = { name: 'pricing-chat', visitor, session };
  assert.deepEqual((await page.rt()).triggers, [want]);
  assert.deepEqual(await page.evaluate(() => window.__onTrigger), [want]);
  assert.equal(await page.$eval('#chat', (el) => el.classList.contains('open')), true);
  assert.ok(await page.isVisible('#chat-form'));
  await page.keyboard.press('ArrowDown');
  await page.clock.runFor(30 * SEC);
  assert.equal((await page.rt()).triggers.length, 1, 'once per page view');
  const [ev] = await exactly(visitor, 'trigger', 1);
  assert.equal(ev.data.name, 'pricing-chat');
  assert.equal(ev.session, session);
  assert.equal(ev.url, `${collector.url}/pricing.html`);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('pricing-chat counts engaged seconds only: hidden time does not fire it', async () => {
  const { ctx, page } = await open('/pricing.html');
  await page.clock.runFor(6 * SEC);
  await presence(page, 'hide');
  await page.clock.runFor(60 * SEC);
  assert.deepEqual((await page.rt()).triggers, []);
  await presence(page, 'show');
  await page.clock.runFor(3 * SEC);
  assert.deepEqual((await page.rt()).triggers, []);
  await page.clock.runFor(2 * SEC);
  assert.deepEqual((await page.rt()).triggers.map((t) => t.name), ['pricing-chat']);
  await ctx.close();
});

test('pricing-chat does not fire on other pages', async () => {
  const { ctx, page } = await open('/index.html');
  await page.clock.runFor(20 * SEC);
  assert.deepEqual((await page.rt()).triggers, []);
  await ctx.close();
});

test('third-visit fires on the third session only, once in that session', async () => {
  const { ctx, page } = await open('/index.html');
  const visitor = await visitorOf(page);
  assert.deepEqual((await page.rt()).triggers, []);
  await page.clock.fastForward(40 * MIN);
  await go(page, '/index.html'); // revisit 1
  await page.clock.runFor(2 * SEC);
  assert.deepEqual((await page.rt()).triggers, []);
  await page.clock.fastForward(40 * MIN);
  await go(page, '/contact.html'); // revisit 2
  await eventually(async () => (await page.rt()).triggers.length >= 1);
  await page.clock.runFor(5 * SEC);
  const fired = (await page.rt()).triggers;
  assert.equal(fired.length, 1, `fired ${fired.length} times on one page view`);
  assert.equal(fired[0].name, 'third-visit');
  assert.equal(fired[0].visitor, visitor);
  await go(page, '/index.html'); // same session: not again
  await page.clock.runFor(5 * SEC);
  assert.deepEqual((await page.rt()).triggers, [], 'not again in the same session');
  const evs = await exactly(visitor, 'trigger', 1);
  assert.equal(evs[0].data.name, 'third-visit');
  assert.equal(evs[0].revisit, 2);
  assert.equal(evs[0].session, fired[0].session);
  await ctx.close();
});
