// Which number a visitor sees over time (issue 4): the source found on landing follows them to
// other pages and to later visits (last touch, 30 days in the demo config), a new paid click
// replaces it, a direct visit never does; blocked storage still swaps; and a returning visitor
// should never see the site's own number painted first.
// Fixtures: www/index.html, www/pricing.html, www/test/flicker.html.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, newPage, storedEvents, eventually } from './harness.mjs';
import { CAMPAIGN, GCLID, open, html, settle, paintedFrames, describe } from './dni-helpers.mjs';

const { collector, browser } = await suite();

/** A later visit: a new tab in the same browser profile. */
async function visit(ctx, path, opts = {}) {
  const page = await newPage(ctx);
  await page.goto(`${collector.url}${path}`, opts);
  await page.waitReady();
  return page;
}

test('attribution follows the visitor to another page without utm (internal navigation)', async () => {
  const { ctx, page } = await open(browser, collector, '/index.html?utm_source=campaign&utm_medium=cpc');
  assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
  await Promise.all([page.waitForURL(/\/pricing\.html$/), page.click('header a[href="/pricing.html"]')]);
  await page.waitReady();
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await page.textContent('#header-phone'), '03-5555-0101');
  assert.equal(await page.textContent('main strong'), '0120-555-010');
  assert.ok((await page.rt()).swaps.every((s) => s.source === CAMPAIGN.rule));
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('second visit: a direct visit later keeps the campaign; a new paid click replaces it; direct never does', async () => {
  const ctx = await browser.newContext();
  const first = await visit(ctx, '/index.html?utm_source=campaign');
  assert.equal(await first.textContent('#main-phone'), '03-5555-0101');
  await first.close();

  const direct = await visit(ctx, '/index.html');
  assert.equal(await direct.textContent('#main-phone'), '03-5555-0101');
  assert.equal(await direct.textContent('#freedial'), '0120-555-010');
  assert.ok((await direct.rt()).ready.every((s) => s.source === CAMPAIGN.rule));
  await direct.close();

  const paid = await visit(ctx, '/index.html?gclid=x');
  assert.equal(await paid.textContent('#main-phone'), '03-9999-0001');
  await paid.close();

  for (const path of ['/index.html', '/pricing.html', '/test/markup.html']) {
    const again = await visit(ctx, path);
    assert.equal(await again.textContent('#header-phone, #plain'), '03-9999-0001', path);
    assert.ok((await again.rt()).ready.every((s) => s.source === GCLID.rule), path);
    assert.deepEqual(again.errors, []);
    await again.close();
  }
  await ctx.close();
});

test('an internal referrer or a reload does not replace a stored paid click', async () => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?gclid=x')).close();
  const fromSelf = await visit(ctx, '/pricing.html', { referer: `${collector.url}/index.html` });
  assert.equal(await fromSelf.textContent('#header-phone'), '03-9999-0001');
  // Reloads and history navigation carry no new source either.
  await fromSelf.close();
  const again = await visit(ctx, '/index.html');
  await again.reload();
  await again.waitReady();
  assert.equal(await again.textContent('#main-phone'), '03-9999-0001');
  await ctx.close();
});

test('last touch: a later organic search visit takes over from the campaign', async () => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  const search = await visit(ctx, '/index.html', { referer: 'https://www.google.com/' });
  assert.equal(await search.textContent('#main-phone'), '03-5555-0202');
  // organic-search maps only the Tokyo number: free dial is the site's own again.
  assert.equal(await search.textContent('#freedial'), '0120-111-222');
  await ctx.close();
});

test('after the attribution window (30 days) a direct visit shows the site numbers again', async () => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  const page = await newPage(ctx);
  await page.addInitScript(() => {
    const now = Date.now.bind(Date);
    Date.now = () => now() + 31 * 864e5;
  });
  await page.goto(`${collector.url}/index.html`);
  await page.waitReady();
  assert.equal(await page.textContent('#main-phone'), '03-1234-5678');
  assert.deepEqual((await page.rt()).ready, []);
  // ...and 29 days later it would still have been the campaign.
  const ctx2 = await browser.newContext();
  await (await visit(ctx2, '/index.html?utm_source=campaign')).close();
  const within = await newPage(ctx2);
  await within.addInitScript(() => {
    const now = Date.now.bind(Date);
    Date.now = () => now() + 29 * 864e5;
  });
  await within.goto(`${collector.url}/index.html`);
  await within.waitReady();
  assert.equal(await within.textContent('#main-phone'), '03-5555-0101');
  await ctx.close();
  await ctx2.close();
});

const BLOCKED_STORAGE = {
  // Safari with "Block all cookies", Chrome with third-party storage blocked in an iframe, some
  // enterprise policies: merely reading window.localStorage throws.
  'localStorage access throws': () => {
    const deny = () => {
      throw new DOMException("Failed to read the 'localStorage' property from 'Window': Access is denied for this document.", 'SecurityError');
    };
    Object.defineProperty(window, 'localStorage', { configurable: true, get: deny });
    Object.defineProperty(window, 'sessionStorage', { configurable: true, get: deny });
  },
  // Old Safari private mode: the object exists, every write throws QuotaExceededError.
  'every write throws QuotaExceededError': () => {
    Storage.prototype.setItem = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  },
};

for (const [what, init] of Object.entries(BLOCKED_STORAGE)) {
  test(`storage blocked (${what}): numbers still swap, no console error, no uncaught exception`, async () => {
    const tag = `blocked-${what.split(' ')[0]}-${Date.now()}`;
    const { ctx, page } = await open(browser, collector, `/index.html?utm_source=campaign&utm_content=${tag}`, { init });
    assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
    assert.equal(await page.textContent('#freedial'), '0120-555-010');
    assert.equal(await page.textContent('#current-number'), '+81355550101');
    // SPA content is still swapped through the observer.
    await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<p id="late">0120-111-222</p>'));
    await page.waitForFunction(() => document.getElementById('late').textContent === '0120-555-010');
    // The page view still reaches the collector (delivery works from memory).
    await eventually(async () => (await storedEvents(collector.url, 'type=page_view'))
      .some((e) => JSON.stringify(e).includes(tag)));
    await settle(page);
    assert.deepEqual(page.errors, []);
    await ctx.close();
  });
}

test('first paint: a returning visitor never sees the site number (nor any other) painted before the tracking number', async (t) => {
  const ctx = await browser.newContext();
  // A campaign visit on another page leaves the swaps the loader replays on the next one.
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  const { page, frames, fcp } = await paintedFrames(ctx, collector.url, '/test/flicker.html');
  t.diagnostic(describe(frames, fcp));
  const painted = frames.filter((f) => f.phone !== null && f.phone !== '(hidden)');
  assert.ok(painted.length > 0, 'no frame showed #phone');
  // Every frame that showed the number showed the tracking number: never the site's own, never
  // another (and nothing was hidden to get there).
  assert.deepEqual([...new Set(painted.map((f) => f.phone))], ['03-5555-0101'], describe(frames, fcp));
  assert.deepEqual([...new Set(frames.filter((f) => f.free !== null).map((f) => f.free))], ['0120-555-010'], describe(frames, fcp));
  // Core still made (and announced) each swap once: the replay is not a swap of its own.
  const rt = await page.rt();
  assert.equal(rt.swaps.length, 2);
  assert.deepEqual(rt.ready.map((s) => s.displayed).sort(), ['0120-555-010', '03-5555-0101']);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('first paint: a returning visitor with a new paid click never sees the number of the stored campaign', async (t) => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  // The URL may bring a new source: the loader replays nothing, Core decides first.
  const { page, frames, fcp } = await paintedFrames(ctx, collector.url, '/test/flicker.html?gclid=x');
  t.diagnostic(describe(frames, fcp));
  assert.ok(!frames.some((f) => /5555/.test(f.phone + f.free)), describe(frames, fcp));
  assert.equal(await page.textContent('#phone'), '03-9999-0001');
  assert.equal(await page.textContent('#free'), '0120-999-001');
  await ctx.close();
});

test('first paint: a replay Core disagrees with is corrected before ready, and each swap is announced once', async () => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  // Swaps a previous page (or an older config) left that no longer hold: Core's decision wins.
  const page = await newPage(ctx);
  await page.addInitScript(() => {
    if (location.pathname === '/test/flicker.html') {
      const v = localStorage.getItem('ringtrail:swaps').split('\n')[0];
      localStorage.setItem('ringtrail:swaps', `${v}\n03-1234-5678\t03-7777-7777\n0120-111-222\t0120-777-777`);
    }
  });
  await page.goto(`${collector.url}/test/flicker.html`);
  await page.waitReady();
  assert.equal(await page.textContent('#phone'), '03-5555-0101');
  assert.equal(await page.textContent('#free'), '0120-555-010');
  assert.equal((await page.rt()).swaps.length, 2);
  await ctx.close();
});

test('first paint: when the snippet fails after the replay, the page is left exactly as it was', async () => {
  const ctx = await browser.newContext();
  await (await visit(ctx, '/index.html?utm_source=campaign')).close();
  const page = await newPage(ctx);
  await page.route(/ringtrail_bg\.wasm$/, (r) => r.fulfill({ status: 404, body: '' }));
  await page.goto(`${collector.url}/test/flicker.html`);
  // The browser's own "Failed to load resource" line is not ours.
  const ours = () => page.errors.filter((e) => !/Failed to load resource/.test(e));
  await eventually(async () => ours().length > 0);
  assert.equal(await page.textContent('#phone'), '03-1234-5678');
  assert.equal(await page.textContent('#free'), '0120-111-222');
  assert.equal(ours().length, 1, page.errors.join(' | '));
  assert.match(ours()[0], /^\[ringtrail\] .*ringtrail_bg\.wasm: HTTP 404 \(the page is unchanged\)$/);
  await ctx.close();
});

test('first paint fixture: a tagged visit swaps both numbers (control for the measurement above)', async () => {
  const { ctx, page } = await open(browser, collector, '/test/flicker.html?utm_source=campaign');
  assert.equal(await html(page, '#phone'), '03-5555-0101');
  assert.equal(await html(page, '#free'), '0120-555-010');
  await ctx.close();
});
