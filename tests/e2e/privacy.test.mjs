// Privacy as a visitor sees it: with Global Privacy Control or Do Not Track on, without consent
// where the site requires it, and for automation or localhost visits the site did not allow,
// numbers still swap by source but nothing is stored on the device (no `ringtrail:*` keys) and
// no event reaches the collector. `ringtrail('consent', true)` starts recording (this page view
// included, as `nav: "consent"`); `consent(false)` deletes what was stored and stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';
import { suite, newPage, storedEvents, eventually, CHROMIUM_ARGS, launch } from './harness.mjs';

const { collector, browser } = await suite();

const SITE_NUMBER = '03-1234-5678';
const CAMPAIGN_NUMBER = '03-5555-0101';

/** A config for a site of its own (so its events can be counted), with `extra` merged in. */
function config(site, { privacy, tracking } = {}) {
  return {
    site,
    region: 'JP',
    targets: [SITE_NUMBER],
    sources: [{ name: 'campaign', match: { utm_source: 'campaign' }, numbers: { [SITE_NUMBER]: CAMPAIGN_NUMBER } }],
    triggers: [{ name: 'welcome' }],
    privacy: { ...privacy },
    tracking: { allow_automation: true, allow_localhost: true, ...tracking },
  };
}

/**
 * Serves `/privacy/*.html` in `ctx` as a page tagged with `cfg` inline; `head` runs before the
 * loader is ready (queued commands).
 */
async function serve(ctx, cfg, { head = '' } = {}) {
  const json = JSON.stringify(cfg);
  assert.ok(!json.includes("'"));
  await ctx.route(/\/privacy\/[^?#]*\.html/, (r) => r.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>Privacy page</title>
      <script async src="/pkg/loader.js" data-collector="/" data-config='${json}'></script>
      <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
      ${head}</head><body><p>Call <span id="n">${SITE_NUMBER}</span></p>
      <div style="height:3000px">tall</div></body></html>`,
  }));
}

/** Every `ringtrail:*` key in local and session storage, and the cookies. */
const stored = (page) => page.evaluate(() => {
  const keys = [];
  for (const s of [localStorage, sessionStorage]) {
    for (let i = 0; i < s.length; i++) if (s.key(i).startsWith('ringtrail:')) keys.push(s.key(i));
  }
  return { keys: keys.sort(), cookie: document.cookie };
});

const siteEvents = (site) => storedEvents(collector.url, `site=${encodeURIComponent(site)}`);

/** Gives the snippet time to send anything it would send, then returns the site's events. */
async function afterAWhile(site, ms = 800) {
  await new Promise((r) => setTimeout(r, ms));
  return siteEvents(site);
}

/** Things that would produce events on a tracked page: a dwell, SPA page views, hide/pagehide. */
async function browseAround(page) {
  await page.mouse.move(10, 10);
  await page.evaluate(() => history.pushState({}, '', location.pathname + '?step=2'));
  await page.evaluate(() => ringtrail('track', 'clicked', { what: 'button' }));
  await page.waitForTimeout(1500);
  await page.evaluate(() => history.pushState({}, '', location.pathname + '?step=3'));
}

const newSite = (what) => `privacy-${what}-${randomUUID().slice(0, 8)}`;

async function openPage(ctx, url, { init } = {}) {
  const page = await newPage(ctx);
  if (init) await page.addInitScript(init);
  await page.goto(url);
  await page.waitReady();
  return page;
}

// ---------------------------------------------------------------------------------------------
// Global Privacy Control and Do Not Track

const GPC = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { configurable: true, get: () => true });
const DNT = () => Object.defineProperty(Navigator.prototype, 'doNotTrack', { configurable: true, get: () => '1' });

test('GPC on (demo site): numbers still swap, nothing stored, no events', async () => {
  const ctx = await browser.newContext();
  const probe = randomUUID();
  const page = await openPage(ctx, `${collector.url}/index.html?utm_source=campaign&probe=${probe}`, { init: GPC });
  assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
  assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
  assert.equal(await page.textContent('#freedial'), '0120-555-010');
  assert.equal(await page.evaluate(() => ringtrail('number')), '+81355550101');
  await browseAround(page);
  assert.deepEqual(await stored(page), { keys: [], cookie: '' });
  await page.close({ runBeforeUnload: true });
  await new Promise((r) => setTimeout(r, 800));
  const mine = (await storedEvents(collector.url, 'site=demo')).filter((e) => e.url.includes(probe));
  assert.deepEqual(mine, []);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('GPC on: no events and no keys on a site of its own either, across pages', async () => {
  const site = newSite('gpc');
  const ctx = await browser.newContext();
  await serve(ctx, config(site));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html?utm_source=campaign`, { init: GPC });
  assert.equal(await page.textContent('#n'), CAMPAIGN_NUMBER);
  assert.deepEqual((await page.rt()).triggers.map((t) => t.name), ['welcome'], 'triggers still run in the page');
  await browseAround(page);
  await page.goto(`${collector.url}/privacy/b.html`);
  await page.waitReady();
  assert.deepEqual(await stored(page), { keys: [], cookie: '' });
  assert.deepEqual(await afterAWhile(site), []);
  await ctx.close();
});

test('GPC is ignored when privacy.respect_gpc is false', async () => {
  const site = newSite('gpc-off');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { respect_gpc: false } }));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`, { init: GPC });
  await eventually(async () => (await siteEvents(site)).some((e) => e.type === 'page_view'));
  assert.ok((await stored(page)).keys.includes('ringtrail:visitor'));
  await ctx.close();
});

test('Do Not Track on: numbers swap, nothing stored, no events', async () => {
  const site = newSite('dnt');
  const ctx = await browser.newContext();
  await serve(ctx, config(site));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html?utm_source=campaign`, { init: DNT });
  assert.equal(await page.textContent('#n'), CAMPAIGN_NUMBER);
  await browseAround(page);
  assert.deepEqual(await stored(page), { keys: [], cookie: '' });
  await page.close({ runBeforeUnload: true });
  assert.deepEqual(await afterAWhile(site), []);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Consent

test('consent required: nothing stored or sent until consent(true); then this page view is sent', async () => {
  const site = newSite('consent');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { consent: 'required' } }));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html?utm_source=campaign`);
  assert.equal(await page.textContent('#n'), CAMPAIGN_NUMBER, 'numbers swap without consent');
  await browseAround(page); // now at ?step=3
  assert.deepEqual(await stored(page), { keys: [], cookie: '' });
  assert.deepEqual(await afterAWhile(site), []);

  await page.evaluate(() => ringtrail('consent', true));
  const [pv] = await eventually(async () => {
    const evs = await siteEvents(site);
    return evs.length > 0 && evs;
  });
  const { keys } = await stored(page);
  for (const k of ['ringtrail:consent', 'ringtrail:session', 'ringtrail:visitor']) assert.ok(keys.includes(k), `${k} in ${keys}`);
  const visitor = await page.evaluate(() => localStorage.getItem('ringtrail:visitor'));
  assert.equal(await page.evaluate(() => localStorage.getItem('ringtrail:consent')), '1');
  assert.equal(pv.type, 'page_view');
  assert.equal(pv.data.nav, 'consent');
  assert.equal(pv.url, `${collector.url}/privacy/a.html?step=3`);
  assert.equal(pv.visitor, visitor);
  assert.equal(pv.source.name, 'campaign', 'attribution from before consent is kept');
  const evs = await afterAWhile(site);
  assert.deepEqual(evs.map((e) => e.type), ['page_view'], 'nothing from before consent is sent late');

  // From now on this page and the next ones are recorded.
  await page.evaluate(() => history.pushState({}, '', '/privacy/a.html?step=4'));
  await page.goto(`${collector.url}/privacy/b.html`);
  await page.waitReady();
  const pvs = await eventually(async () => {
    const got = (await siteEvents(site)).filter((e) => e.type === 'page_view');
    return got.length >= 3 && got;
  });
  assert.deepEqual(pvs.map((e) => [e.data.nav, e.visitor]), [['consent', visitor], ['push', visitor], ['load', visitor]]);
  assert.equal(pvs[2].session, pvs[0].session);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('consent(true) queued before the loader is ready sends the first page view', async () => {
  const site = newSite('consent-queued');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { consent: 'required' } }), {
    head: "<script>ringtrail('consent', true)</script>",
  });
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`);
  const evs = await eventually(async () => {
    const got = await siteEvents(site);
    return got.length > 0 && got;
  });
  assert.equal(evs[0].type, 'page_view');
  assert.equal(evs[0].data.nav, 'consent');
  assert.equal((await afterAWhile(site)).filter((e) => e.type === 'page_view').length, 1);
  assert.equal(await page.evaluate(() => localStorage.getItem('ringtrail:consent')), '1');
  await ctx.close();
});

// After consent(false) the only key left is the refusal itself (ringtrail:consent = "0"): without
// it the next page would track again. Everything else is deleted.
const REFUSAL = ['ringtrail:consent'];

test('consent revoked: consent(false) deletes every ringtrail:* key but the refusal and stops sending', async () => {
  const site = newSite('revoke');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { consent: 'required' } }));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html?utm_source=campaign`);
  await page.evaluate(() => ringtrail('consent', true));
  await eventually(async () => (await siteEvents(site)).length > 0);
  await page.evaluate(() => localStorage.setItem('site:own', 'kept'));
  assert.ok((await stored(page)).keys.length >= 3);

  await page.evaluate(() => ringtrail('consent', false));
  assert.deepEqual(await stored(page), { keys: REFUSAL, cookie: '' });
  assert.equal(await page.evaluate(() => localStorage.getItem('ringtrail:consent')), '0');
  assert.equal(await page.evaluate(() => localStorage.getItem('site:own')), 'kept', 'other keys stay');
  const before = (await afterAWhile(site, 300)).length;
  await browseAround(page);
  await page.close({ runBeforeUnload: true });
  assert.equal((await afterAWhile(site)).length, before, 'no events after consent(false)');

  // A later page: still nothing (the site requires consent, and none is stored).
  const page2 = await openPage(ctx, `${collector.url}/privacy/b.html?utm_source=campaign`);
  assert.equal(await page2.textContent('#n'), CAMPAIGN_NUMBER);
  await browseAround(page2);
  assert.deepEqual(await stored(page2), { keys: REFUSAL, cookie: '' });
  assert.equal((await afterAWhile(site)).length, before);
  await ctx.close();
});

test('consent(false) on a site that does not require consent stops sending on this page', async () => {
  const site = newSite('refuse-page');
  const ctx = await browser.newContext();
  await serve(ctx, config(site));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`);
  await eventually(async () => (await siteEvents(site)).length > 0);
  await page.evaluate(() => ringtrail('consent', false));
  assert.deepEqual((await stored(page)).keys, REFUSAL);
  const before = (await afterAWhile(site, 300)).length;
  await browseAround(page);
  await page.close({ runBeforeUnload: true });
  assert.equal((await afterAWhile(site)).length, before);
  await ctx.close();
});

test('a refusal is remembered: the next page of a consent-not-required site records nothing', async () => {
  const site = newSite('refuse-next');
  const ctx = await browser.newContext();
  await serve(ctx, config(site));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`);
  await eventually(async () => (await siteEvents(site)).length > 0);
  await page.evaluate(() => ringtrail('consent', false));
  const before = (await afterAWhile(site, 300)).length;
  await page.goto(`${collector.url}/privacy/b.html`);
  await page.waitReady();
  const after = await afterAWhile(site);
  assert.deepEqual(after.slice(before).map((e) => [e.type, e.data.nav]), []);
  const { keys } = await stored(page);
  assert.ok(keys.every((k) => k === 'ringtrail:consent'), `only the refusal may be stored: ${keys}`);
  await ctx.close();
});

test('consent(true) overrides GPC on a consent-required site', async () => {
  const site = newSite('consent-gpc');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { consent: 'required' } }));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`, { init: GPC });
  assert.deepEqual(await afterAWhile(site), []);
  await page.evaluate(() => ringtrail('consent', true));
  const evs = await eventually(async () => {
    const got = await siteEvents(site);
    return got.length > 0 && got;
  });
  assert.equal(evs[0].data.nav, 'consent');
  await ctx.close();
});

test('consent takes only true or false', async () => {
  const site = newSite('consent-arg');
  const ctx = await browser.newContext();
  await serve(ctx, config(site, { privacy: { consent: 'required' } }));
  const page = await openPage(ctx, `${collector.url}/privacy/a.html`);
  await page.evaluate(() => ringtrail('consent', 'yes'));
  await eventually(() => page.errors.length > 0);
  assert.match(page.errors[0], /consent: expected true or false/);
  assert.deepEqual(await stored(page), { keys: [], cookie: '' });
  assert.deepEqual(await afterAWhile(site), []);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Automation and localhost

test('navigator.webdriver visits are not recorded unless tracking.allow_automation', async () => {
  const off = newSite('automation-off');
  const on = newSite('automation-on');
  for (const [site, allow] of [[off, false], [on, true]]) {
    const ctx = await browser.newContext();
    await serve(ctx, config(site, { tracking: { allow_automation: allow } }));
    const page = await openPage(ctx, `${collector.url}/privacy/a.html?utm_source=campaign`);
    assert.equal(await page.evaluate(() => navigator.webdriver), true);
    assert.equal(await page.textContent('#n'), CAMPAIGN_NUMBER);
    if (allow) {
      await eventually(async () => (await siteEvents(site)).some((e) => e.type === 'page_view'));
      assert.ok((await stored(page)).keys.includes('ringtrail:visitor'));
    } else {
      await browseAround(page);
      assert.deepEqual(await stored(page), { keys: [], cookie: '' });
      assert.deepEqual(await afterAWhile(site), []);
    }
    await ctx.close();
  }
});

test('localhost visits are not recorded unless tracking.allow_localhost; other hosts are', async () => {
  const port = new URL(collector.url).port;
  // A second browser where ringtrail-visits.test resolves to the collector: the same server
  // under a name that is not localhost. (Real pages from the server, not routed ones: Chromium's
  // private network access rules block a routed page from loading the loader off loopback.)
  const named = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP ringtrail-visits.test 127.0.0.1, MAP localhost 127.0.0.1'],
  });
  try {
    const cases = [
      // origin, page, site, recorded
      [`http://127.0.0.1:${port}`, '/test/visits/no-localhost.html', 'visits-no-localhost', false],
      [`http://localhost:${port}`, '/test/visits/no-localhost.html', 'visits-no-localhost', false],
      [`http://ringtrail-visits.test:${port}`, '/test/visits/no-localhost.html', 'visits-no-localhost', true],
      [`http://localhost:${port}`, '/test/visits/app.html', 'demo', true], // demo: allow_localhost
    ];
    for (const [origin, path, site, recorded] of cases) {
      const probe = randomUUID();
      const mine = async () => (await siteEvents(site)).filter((e) => e.url.includes(probe));
      const ctx = await named.newContext();
      const page = await openPage(ctx, `${origin}${path}?utm_source=campaign&probe=${probe}`);
      assert.equal(await page.$eval('#n, #phone', (el) => el.textContent.trim()), CAMPAIGN_NUMBER, origin);
      if (recorded) {
        const evs = await eventually(async () => {
          const got = await mine();
          return got.length > 0 && got;
        });
        assert.equal(new URL(evs[0].url).origin, origin);
        assert.equal(evs[0].type, 'page_view');
      } else {
        await browseAround(page);
        assert.deepEqual(await stored(page), { keys: [], cookie: '' }, origin);
        await new Promise((r) => setTimeout(r, 800));
        assert.deepEqual(await mine(), [], origin);
      }
      assert.deepEqual(page.errors, [], origin);
      await ctx.close();
    }
  } finally {
    await named.close();
  }
});
