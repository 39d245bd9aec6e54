// Dynamic number insertion after load (issue 4): content a single-page app or a widget adds later
// is swapped through the MutationObserver, our own output is never swapped twice, and the JS API
// (`number`, `on('swap')`, `rescan`) works for content the observer cannot see.
// Fixtures: www/spa.html (the demo SPA), www/test/api.html.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, eventually } from './harness.mjs';
import { CAMPAIGN, SITE, e164, open, html, attr, swapCount, settle } from './dni-helpers.mjs';

const { collector, browser } = await suite();

const waitText = (page, sel, text) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [sel, text], { timeout: 5000 });

test('SPA: pushState routes and the lazy widget are swapped, each number announced exactly once', async () => {
  const { ctx, page } = await open(browser, collector, '/spa.html?utm_source=campaign');
  await settle(page);
  const start = await swapCount(page);
  // header + free dial at least (the footer number touches "Free dial": see dni.test.mjs todo).
  assert.ok(start >= 2, `swaps at start: ${start}`);
  assert.equal(await page.textContent('#header-phone'), '03-5555-0101');

  await page.click('[data-route="/spa/cleaning"]');
  await waitText(page, '#view a', '03-5555-0101');
  assert.equal(new URL(page.url()).pathname, '/spa/cleaning');
  assert.equal(await attr(page, '#view a', 'href'), `tel:${e164(CAMPAIGN.tokyo)}`);
  await settle(page);
  assert.equal(await swapCount(page), start + 1);

  await page.click('[data-route="/spa/implants"]');
  await page.waitForFunction(() => document.querySelector('#view p')?.textContent.includes('0120-555-010'));
  assert.equal(await html(page, '#view p'), 'Free consultation: <span>0120</span>-<span>555</span>-<span>010</span>');
  await settle(page);
  assert.equal(await swapCount(page), start + 2);

  await page.click('#load-widget');
  await waitText(page, '#bubble', 'Chat with us or call (03) 5555-0101');
  await settle(page);
  assert.equal(await swapCount(page), start + 3);

  // Back button: the route is rendered again from the site's template, so it is swapped again.
  await page.goBack();
  await waitText(page, '#view a', '03-5555-0101');
  await settle(page);
  assert.equal(await swapCount(page), start + 4);

  const rt = await page.rt();
  assert.deepEqual(rt.swaps.slice(start).map((s) => s.displayed),
    ['03-5555-0101', '0120-555-010', '(03) 5555-0101', '03-5555-0101']);
  assert.ok(rt.swaps.every((s) => s.source === CAMPAIGN.rule));
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('our own output is never swapped twice: moving, cloning and re-setting swapped text adds no swap', async () => {
  const { ctx, page } = await open(browser, collector, '/spa.html?utm_source=campaign');
  await page.click('[data-route="/spa/cleaning"]');
  await waitText(page, '#view a', '03-5555-0101');
  await settle(page);
  const before = await swapCount(page);
  await page.evaluate(() => {
    const view = document.getElementById('view');
    const p = view.querySelector('p');
    document.querySelector('main').append(p); // move a swapped subtree
    view.append(p.cloneNode(true)); // clone it
    const h = document.getElementById('header-phone');
    h.textContent = h.textContent; // a framework re-render writing the same text
    h.firstChild.data = h.firstChild.data; // characterData with the same value
    document.body.normalize();
  });
  await settle(page);
  assert.equal(await swapCount(page), before, JSON.stringify((await page.rt()).swaps.slice(before)));
  assert.equal(await page.textContent('#header-phone'), '03-5555-0101');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('text a framework writes into existing nodes (characterData, textContent, streamed pieces) is swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/spa.html?gclid=x');
  await page.evaluate(() => {
    document.getElementById('view').innerHTML = '<p id="a">loading</p><p id="b">x</p><p id="c"></p>';
  });
  await settle(page, 100);
  const before = await swapCount(page);
  await page.evaluate(() => {
    document.getElementById('a').firstChild.data = 'Call 03-1234-5678';
    document.getElementById('b').textContent = 'Free 0120-111-222';
  });
  await waitText(page, '#a', 'Call 03-9999-0001');
  await waitText(page, '#b', 'Free 0120-999-001');
  // A chat widget streaming a reply token by token, one text node per task.
  for (const piece of ['Call ', '03-', '1234', '-56', '78', ' today']) {
    await page.evaluate((t) => document.getElementById('c').append(t), piece);
    await page.waitForTimeout(20);
  }
  await page.waitForFunction(() => document.getElementById('c').textContent === 'Call 03-9999-0001 today', null, { timeout: 5000 });
  await settle(page);
  assert.equal(await swapCount(page), before + 3);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('elements inserted later with tel: href, aria-label or title are swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/spa.html?utm_source=campaign');
  await page.evaluate(() => {
    document.getElementById('widget').innerHTML =
      '<a id="w-tel" href="tel:0120-111-222" aria-label="Call 0120-111-222">☎</a>' +
      '<button id="w-btn" title="Call 03-1234-5678">?</button>';
  });
  await page.waitForFunction(() => document.getElementById('w-tel').getAttribute('href') !== 'tel:0120-111-222', null, { timeout: 5000 });
  assert.equal(await attr(page, '#w-tel', 'href'), `tel:${e164(CAMPAIGN.free)}`);
  assert.equal(await attr(page, '#w-tel', 'aria-label'), 'Call 0120-555-010');
  assert.equal(await attr(page, '#w-btn', 'title'), 'Call 03-5555-0101');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('a tel: href or label a framework changes on an existing element is swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/spa.html?utm_source=campaign');
  await page.evaluate(() => {
    const a = document.getElementById('header-phone');
    a.setAttribute('href', 'tel:0120111222');
    a.setAttribute('aria-label', 'Call 0120-111-222');
  });
  await settle(page);
  assert.equal(await attr(page, '#header-phone', 'href'), `tel:${e164(CAMPAIGN.free)}`);
  assert.equal(await attr(page, '#header-phone', 'aria-label'), 'Call 0120-555-010');
  await ctx.close();
});

test("ringtrail('number', cb) and ringtrail('on', 'swap', cb) queued before the snippet loads", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  await page.waitForFunction(() => window.__api.numbers.length > 0);
  const api = await page.evaluate(() => window.__api);
  assert.deepEqual(api.numbers, [e164(CAMPAIGN.tokyo)]);
  assert.deepEqual(api.freeNumbers, [e164(CAMPAIGN.free)]);
  const rt = await page.rt();
  assert.equal(rt.swaps.length, 2);
  // After ready the command is synchronous and returns the number.
  assert.equal(await page.evaluate(() => ringtrail('number')), e164(CAMPAIGN.tokyo));
  assert.equal(await page.evaluate(() => ringtrail('number', '0120111222')), e164(CAMPAIGN.free));
  assert.equal(await page.evaluate(() => ringtrail('number', '06-1234-5678')), null);
  // A listener added later hears later swaps.
  await page.evaluate(() => {
    window.__late = [];
    ringtrail('on', 'swap', (s) => window.__late.push(s));
    document.body.insertAdjacentHTML('beforeend', '<p id="later">03-1234-5678</p>');
  });
  await page.waitForFunction(() => window.__late.length === 1);
  const late = await page.evaluate(() => window.__late[0]);
  assert.deepEqual(late, { target: '03-1234-5678', number: e164(CAMPAIGN.tokyo), displayed: '03-5555-0101', source: CAMPAIGN.rule });
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test("ringtrail('on', 'swap', cb) queued before load hears the start swaps", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  await settle(page);
  const api = await page.evaluate(() => window.__api);
  assert.equal(api.swaps.length, 2, JSON.stringify(api.swaps));
  await ctx.close();
});

test("ringtrail('number', cb) on an untagged visit gives the site's own number", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html');
  await page.waitForFunction(() => window.__api.numbers.length > 0);
  const api = await page.evaluate(() => window.__api);
  assert.deepEqual(api.numbers, [e164(SITE.tokyo)]);
  assert.deepEqual(api.freeNumbers, [e164(SITE.free)]);
  assert.deepEqual(api.swaps, []);
  await ctx.close();
});

test("ringtrail('on', 'swap', cb): a listener that throws stops neither the swap nor other listeners", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  await page.evaluate(() => {
    window.__ok = [];
    ringtrail('on', 'swap', () => { throw new Error('site bug'); });
    ringtrail('on', 'swap', (s) => window.__ok.push(s.displayed));
    document.body.insertAdjacentHTML('beforeend', '<p id="later">0120-111-222</p>');
  });
  await waitText(page, '#later', '0120-555-010');
  await page.waitForFunction(() => window.__ok.length === 1);
  await ctx.close();
});

test("ringtrail('rescan', el) swaps content the observer cannot see (open shadow root) and returns the swaps", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  await page.evaluate(() => {
    const root = document.getElementById('shadow-host').attachShadow({ mode: 'open' });
    root.innerHTML = '<div id="in-shadow"><p>Call <b>03-1234-5678</b></p><a href="tel:0120111222">free</a></div>';
  });
  await settle(page);
  const inShadow = (sel) => page.evaluate((s) => document.getElementById('shadow-host').shadowRoot.querySelector(s)?.outerHTML, sel);
  // The observer watches the document, not shadow roots: still the site's number.
  assert.equal(await inShadow('b'), '<b>03-1234-5678</b>');
  const before = await swapCount(page);
  const result = await page.evaluate(() =>
    ringtrail('rescan', document.getElementById('shadow-host').shadowRoot.getElementById('in-shadow')));
  assert.equal(await inShadow('b'), '<b>03-5555-0101</b>');
  assert.equal(await inShadow('a'), `<a href="tel:${e164(CAMPAIGN.free)}">free</a>`);
  assert.ok(Array.isArray(result));
  assert.deepEqual(result.map((s) => s.displayed), ['03-5555-0101']);
  assert.equal(await swapCount(page), before + 1);
  // Rescanning swapped content finds nothing more.
  assert.deepEqual(await page.evaluate(() =>
    ringtrail('rescan', document.getElementById('shadow-host').shadowRoot.getElementById('in-shadow'))), []);
  assert.deepEqual(await page.evaluate(() => ringtrail('rescan')), []);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test("ringtrail('rescan', shadowRoot) accepts the shadow root itself", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  const result = await page.evaluate(() => {
    const root = document.getElementById('shadow-host').attachShadow({ mode: 'open' });
    root.innerHTML = '<p>Call 03-1234-5678</p>';
    return ringtrail('rescan', root);
  });
  assert.equal(result.length, 1);
  assert.equal(await page.evaluate(() => document.getElementById('shadow-host').shadowRoot.textContent), 'Call 03-5555-0101');
  await ctx.close();
});

test("ringtrail('rescan', el) respects noswap and is harmless on an untagged visit", async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html');
  await page.evaluate(() => {
    document.body.insertAdjacentHTML('beforeend', '<p id="x">03-1234-5678</p>');
  });
  assert.deepEqual(await page.evaluate(() => ringtrail('rescan', document.getElementById('x'))), []);
  assert.equal(await page.textContent('#x'), '03-1234-5678');
  await ctx.close();
  const tagged = await open(browser, collector, '/test/api.html?utm_source=campaign');
  const result = await tagged.page.evaluate(() => {
    const host = document.getElementById('shadow-host').attachShadow({ mode: 'open' });
    host.innerHTML = '<div><p class="legal">03-1234-5678</p><p data-ringtrail-noswap>0120-111-222</p></div>';
    return ringtrail('rescan', host.firstChild);
  });
  assert.deepEqual(result, []);
  await tagged.ctx.close();
});

test('text holding U+001D to U+001F (the separators of Core\'s swap input) is left alone; the rest still swaps', async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  const result = await page.evaluate(() => {
    document.body.insertAdjacentHTML('beforeend',
      '<div id="sep"><p id="sep-run">Call 03-1234-5678\u001f</p><p id="sep-split">Call <b>03-1234</b>-\u001e5678</p>' +
      '<p id="sep-ok">Call <b>03</b>-1234-5678</p>' +
      '<a id="sep-attrs" href="tel:0312345678" title="03-1234-5678\u001d" aria-label="Call 03-1234-5678">x</a></div>');
    return ringtrail('rescan', document.getElementById('sep'));
  });
  assert.equal(await page.textContent('#sep-run'), 'Call 03-1234-5678\u001f');
  assert.equal(await html(page, '#sep-split'), 'Call <b>03-1234</b>-\u001e5678');
  assert.equal(await html(page, '#sep-ok'), 'Call <b>03</b>-5555-0101');
  assert.equal(await attr(page, '#sep-attrs', 'href'), `tel:${e164(CAMPAIGN.tokyo)}`);
  assert.equal(await attr(page, '#sep-attrs', 'title'), '03-1234-5678\u001d');
  assert.equal(await attr(page, '#sep-attrs', 'aria-label'), 'Call 03-5555-0101');
  assert.deepEqual(result.map((s) => s.displayed), ['03-5555-0101', '03-5555-0101']);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('an unknown command logs one clear console error and changes nothing', async () => {
  const { ctx, page } = await open(browser, collector, '/test/api.html?utm_source=campaign');
  await page.evaluate(() => ringtrail('swapp'));
  await eventually(() => page.errors.length > 0);
  assert.equal(page.errors.length, 1);
  assert.match(page.errors[0], /^\[ringtrail\] /);
  assert.match(page.errors[0], /unknown command/);
  assert.match(page.errors[0], /swapp/);
  assert.equal(await page.textContent('#main'), 'Call 03-5555-0101');
  await ctx.close();
});
