// The walking skeleton as a visitor and a site owner see it: a tagged visit shows the campaign's
// number and its page view reaches the collector; a bad config changes nothing on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, newPage, eventually, startCollector, ROOT } from './harness.mjs';

const { collector, browser } = await suite();

test('a tagged visit sees the campaign number and its page view is on the report', async () => {
  const ctx = await browser.newContext();
  const page = await newPage(ctx);
  await page.goto(`${collector.url}/index.html?utm_source=campaign&utm_medium=cpc`);
  await page.waitReady();
  assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
  assert.equal(await page.textContent('#freedial'), '0120-555-010');
  const rt = await page.rt();
  assert.ok(rt.ready.length >= 2, `ready detail lists the swaps: ${JSON.stringify(rt.ready)}`);
  assert.ok(rt.swaps.every((s) => s.source === 'spring-campaign'));
  const report = await eventually(async () => {
    const html = await (await fetch(`${collector.url}/`)).text();
    return html.includes('page_view') && html.includes('utm_source=campaign') && html;
  });
  assert.match(report, /spring-campaign/);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('an untagged visit keeps the site numbers', async () => {
  const ctx = await browser.newContext();
  const page = await newPage(ctx);
  await page.goto(`${collector.url}/index.html`);
  await page.waitReady();
  assert.equal(await page.textContent('#main-phone'), '03-1234-5678');
  assert.deepEqual((await page.rt()).ready, []);
  await ctx.close();
});

test('a config compiled ahead (ringtrail compile) works inline with no collector at all', async () => {
  const json = readFileSync(join(ROOT, 'www/ringtrail/config.json'), 'utf8');
  const { compiled } = await (await fetch(`${collector.url}/v1/config`, { method: 'POST', body: json })).json();
  assert.match(compiled, /^rt2\x1fdemo\x1f/);
  // As `ringtrail compile` prints it: a JSON string, printable, pasted into the attribute.
  const html = readFileSync(join(ROOT, 'www/index.html'), 'utf8')
    .replace('data-config="/ringtrail/config.json" data-collector="/"', `data-config='${JSON.stringify(compiled)}'`);
  assert.ok(!html.includes('data-collector') && !/[\x00-\x08\x1f]/.test(html));
  const ctx = await browser.newContext();
  const page = await newPage(ctx);
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.route(/\/inline-compiled\.html/, (r) => r.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(`${collector.url}/inline-compiled.html?utm_source=campaign&utm_medium=cpc`);
  await page.waitReady();
  assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
  assert.ok((await page.rt()).swaps.every((s) => s.source === 'spring-campaign'));
  assert.ok(!requests.some((p) => p.startsWith('/v1/')), requests.join(' '));
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

const BAD_CONFIGS = [
  ['invalid JSON', '{"site": "demo", "region": "JP", "targets": ["03-1234-5678",]}', /targets: invalid JSON at line 1 column \d+: trailing comma/],
  ['unknown field', '{"site": "demo", "region": "JP", "targets": ["03-1234-5678"], "sourcez": []}', /sourcez: unknown field "sourcez" \(did you mean "sources"\?\)/],
  ['wrong type', '{"site": "demo", "region": "JP", "targets": ["03-1234-5678"], "sources": [{"name": "x", "match": {"utm_source": 5}, "numbers": {}}]}', /sources\[0\]\.match\.utm_source: expected a string or a list of strings, found a number/],
];

for (const [what, config, message] of BAD_CONFIGS) {
  test(`a bad config (${what}) leaves the page untouched with one console error`, async () => {
    const ctx = await browser.newContext();
    const page = await newPage(ctx);
    const html = `<!doctype html><html><head><meta charset="utf-8">
      <script async src="/pkg/loader.js" data-collector="/" data-config='${config}'></script>
      <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
      </head><body><p id="n">Call 03-1234-5678</p><p id="q">queued</p>
      <script>ringtrail('on', 'swap', function () { document.getElementById('q').textContent = 'ran'; });
      window.__before = document.documentElement.outerHTML;</script></body></html>`;
    await page.route(/\/bad-config\.html/, (r) => r.fulfill({ contentType: 'text/html', body: html }));
    const before = html.replace(/\s+/g, ' ');
    await page.goto(`${collector.url}/bad-config.html?utm_source=campaign`);
    await eventually(() => page.errors.length > 0);
    await page.waitForTimeout(300);
    assert.equal(page.errors.length, 1, page.errors.join('\n'));
    assert.match(page.errors[0], /^\[ringtrail\] config error: /);
    assert.match(page.errors[0], message);
    assert.equal(await page.textContent('#n'), 'Call 03-1234-5678');
    assert.equal(await page.textContent('#q'), 'queued');
    assert.ok(before.length > 0);
    assert.ok(await page.evaluate(() => document.documentElement.outerHTML === window.__before), 'DOM unchanged');
    await ctx.close();
  });
}

test('the collector answers bad JSON with 400 and a reason', async () => {
  const r = await fetch(`${collector.url}/v1/events`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"site": "demo", "events": [',
  });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.match(body.error, /JSON/i);
});

test('with a reports token the snippet works as before and the marketer signs in to the report', async () => {
  const token = 'e2e-reports-token-0123';
  const locked = await startCollector(['--config', join(ROOT, 'www/ringtrail/config.json'), '--reports-token', token]);
  try {
    const visitor = await browser.newContext();
    const page = await newPage(visitor);
    await page.goto(`${locked.url}/index.html?utm_source=campaign&utm_medium=cpc`);
    await page.waitReady();
    assert.equal(await page.textContent('#main-phone'), '03-5555-0101');
    assert.deepEqual(page.errors, []);
    await visitor.close();

    const denied = await fetch(`${locked.url}/`);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate'), /Basic realm="ringtrail reports"/);
    assert.doesNotMatch(await denied.text(), /spring-campaign/);
    // A browser without the token cannot get past the challenge.
    const stranger = await browser.newContext();
    await assert.rejects((await stranger.newPage()).goto(`${locked.url}/`), /AUTH/);
    await stranger.close();

    // Chromium answers the Basic challenge with the credentials a user would type.
    const marketer = await browser.newContext({ httpCredentials: { username: 'marketing', password: token } });
    const reportPage = await marketer.newPage();
    await eventually(async () => {
      const r = await reportPage.goto(`${locked.url}/`);
      return r.status() === 200 && (await reportPage.content()).includes('spring-campaign');
    });
    await marketer.close();
  } finally {
    await locked.stop();
  }
});
