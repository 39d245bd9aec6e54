// Dynamic number insertion as a visitor sees it (issue 4): numbers written in any markup are
// replaced digit by digit without moving the markup, tel: links and labels follow, full-width
// stays full-width, and the places a site marks as "not a phone number" are left alone.
// Fixtures: www/test/markup.html, www/test/exclusions.html; config: www/ringtrail/config.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { SITE, CAMPAIGN, GCLID, e164, fill, open, html, attr, settle } from './dni-helpers.mjs';

const { collector, browser } = await suite();

// [element id, innerHTML template, which number fills it ('tokyo' | 'free' | 'tokyo-nsn')]
const MARKUP = [
  ['plain', '##-####-####', 'tokyo'],
  ['paren-split', '<span>(##)</span> ####-####', 'tokyo'],
  ['bold-split', '##-<b>####</b>-####', 'tokyo'],
  ['digit-spans', '<span>#</span><span>#</span>-<span>#</span><span>#</span><span>#</span><span>#</span>-<span>#</span><span>#</span><span>#</span><span>#</span>', 'tokyo'],
  ['group-spans', '<span class="a">####</span>-<span class="b">###</span>-<span class="c">###</span>', 'free'],
  ['nested-split', '<a href="/x"><em>##</em></a>-<strong><i>####</i>-####</strong>', 'tokyo'],
  ['spaces', '## #### ####', 'tokyo'],
  ['dots', '##.####.####', 'tokyo'],
  ['intl', '+81 #-####-####', 'tokyo-nsn'],
  ['intl-compact', '+81#########', 'tokyo-nsn'],
  ['compact', '##########', 'tokyo'],
  ['jp-inline', 'お電話は##-####-####まで（受付9:00〜18:00）', 'tokyo'],
  ['fullwidth', '＃＃－＃＃＃＃－＃＃＃＃', 'tokyo'],
  ['fullwidth-free', '＃＃＃＃－＃＃＃－＃＃＃', 'free'],
  ['fullwidth-paren', '（＃＃）＃＃＃＃－＃＃＃＃', 'tokyo'],
];

const digitsFor = (numbers, which) =>
  which === 'tokyo-nsn' ? numbers.tokyo.slice(1) : numbers[which];

for (const [name, query, numbers] of [
  ['campaign (utm_source=campaign)', '?utm_source=campaign', CAMPAIGN],
  ['paid click (gclid)', '?gclid=x', GCLID],
  ['untagged visit', '', SITE],
]) {
  test(`markup: every way of writing the number shows the ${name} number, markup in place`, async () => {
    const { ctx, page } = await open(browser, collector, `/test/markup.html${query}`);
    const failures = [];
    for (const [id, template, which] of MARKUP) {
      const want = fill(template, digitsFor(numbers, which));
      const got = await html(page, `#${id}`);
      if (got !== want) failures.push(`#${id}: got ${got}\n   want ${want}`);
    }
    // Twice in one text node, two targets in one text node.
    const t = numbers.tokyo;
    const twice = `Tokyo ${fill('##-####-####', t)}, fax-free ${fill('####-###-###', numbers.free)}, again ${fill('##-####-####', t)}.`;
    if ((await html(page, '#twice')) !== twice) failures.push(`#twice: got ${await html(page, '#twice')}\n   want ${twice}`);
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.deepEqual(page.errors, []);
    await ctx.close();
  });
}

test('markup: digits that are not a target are never touched (other numbers, prices, dates, order ids)', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html?utm_source=campaign');
  assert.equal(
    await html(page, '#not-target'),
    'Osaka 06-1234-5678, wrong digit 03-1234-5679, order 2024031234567812, ¥31,234, 2024-03-12.',
  );
  assert.equal(await attr(page, '#tel-other', 'href'), 'tel:0612345678');
  assert.equal(await attr(page, '#tel-other', 'aria-label'), 'Call 06-1234-5678');
  await ctx.close();
});

test('markup: split numbers keep the very same element nodes (no re-render, listeners survive)', async () => {
  const ctx = await browser.newContext();
  // Tag every element of the fixture before the snippet can run; afterwards the same objects must
  // still be in the document, in the same places.
  await ctx.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      window.__els = [...document.querySelectorAll('body *')];
      window.__parents = window.__els.map((e) => e.parentNode);
    });
  });
  const { page } = await open(browser, collector, '/test/markup.html?utm_source=campaign', { ctx });
  await page.waitForFunction(() => window.__els);
  const moved = await page.evaluate(() =>
    window.__els.filter((e, i) => !e.isConnected || e.parentNode !== window.__parents[i]).map((e) => e.outerHTML),
  );
  assert.deepEqual(moved, []);
  assert.equal(await html(page, '#bold-split'), '03-<b>5555</b>-0101');
  await ctx.close();
});

test('tel: links get E.164 hrefs; aria-label and title are swapped too', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html?utm_source=campaign');
  assert.equal(await attr(page, '#tel-dashed', 'href'), `tel:${e164(CAMPAIGN.tokyo)}`);
  assert.equal(await attr(page, '#tel-e164', 'href'), `tel:${e164(CAMPAIGN.tokyo)}`);
  assert.equal(await attr(page, '#tel-e164', 'aria-label'), 'Call 03-5555-0101');
  assert.equal(await attr(page, '#tel-e164', 'title'), 'Tokyo office 03-5555-0101');
  assert.equal(await attr(page, '#tel-free', 'href'), `tel:${e164(CAMPAIGN.free)}`);
  assert.equal(await page.textContent('#tel-free'), '0120-555-010');
  assert.equal(await attr(page, '#labelled', 'aria-label'), 'Call 0120-555-010');
  assert.equal(await attr(page, '#labelled', 'title'), 'Free dial 0120-555-010');
  // What assistive technology announces follows the label.
  const snapshot = await page.locator('#tel-e164').ariaSnapshot();
  assert.match(snapshot, /03-5555-0101/);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('tel: links of an untagged visit are left exactly as written', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html');
  assert.equal(await attr(page, '#tel-dashed', 'href'), 'tel:03-1234-5678');
  assert.equal(await attr(page, '#tel-free', 'href'), 'tel:0120111222');
  assert.equal(await attr(page, '#tel-e164', 'aria-label'), 'Call 03-1234-5678');
  await ctx.close();
});

test('a replacement with another digit count (newsletter: 03-1234-5678 → 050-3333-4444) keeps the markup', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html?utm_source=newsletter&utm_medium=email');
  const text = async (id) => page.textContent(`#${id}`);
  assert.equal(await text('plain'), '050-3333-4444');
  assert.equal(await text('paren-split'), '(050) 3333-4444');
  assert.equal(await text('bold-split'), '050-3333-4444');
  assert.equal(await text('fullwidth'), '０５０－３３３３－４４４４');
  // The newsletter maps only the Tokyo number: free dial stays.
  assert.equal(await text('group-spans'), '0120-111-222');
  // Same elements, same nesting.
  const shape = (sel) => page.$eval(sel, (el) => [...el.querySelectorAll('*')].map((e) => e.localName).join(','));
  assert.equal(await shape('#paren-split'), 'span');
  assert.equal(await shape('#bold-split'), 'b');
  assert.equal(await shape('#digit-spans'), 'span,span,span,span,span,span,span,span,span,span');
  assert.equal(await page.textContent('#digit-spans'), '050-3333-4444');
  assert.equal(await attr(page, '#tel-dashed', 'href'), 'tel:+815033334444');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('noswap selector, data-ringtrail-noswap, script, style, textarea, inputs, comments and template are left alone', async () => {
  const { ctx, page } = await open(browser, collector, '/test/exclusions.html?utm_source=campaign');
  // The control proves the snippet ran on this page.
  assert.equal(await page.textContent('#control'), 'Call 03-5555-0101');
  const same = {
    '#legal': 'Clinic registration 03-1234-5678',
    '#legal-deep': 'Deep inside: <span>03-1234-5678</span>',
    '#legal-tel': '03-1234-5678',
    '#attr': '03-1234-5678',
    '#attr-deep': '<b>0120-111-222</b>',
    '#attr-inline': '03-1234-5678',
    '#css': '.x::after { content: "03-1234-5678"; }',
    '#data': '{"phone": "03-1234-5678"}',
    '#inline-script': 'window.__inlineNumber = "03-1234-5678";',
    '#select': '<option>03-1234-5678</option>',
    '#comment-host': '<!-- 03-1234-5678 -->x',
  };
  for (const [sel, want] of Object.entries(same)) assert.equal(await html(page, sel), want, sel);
  assert.equal(await attr(page, '#legal-tel', 'href'), 'tel:0312345678');
  assert.equal(await attr(page, '#legal-tel', 'aria-label'), 'Call 03-1234-5678');
  assert.equal(await attr(page, '#attr-tel', 'href'), 'tel:0120111222');
  assert.equal(await attr(page, '#attr-tel', 'title'), '0120-111-222');
  // The neighbour of an excluded inline span is still a number of its own.
  assert.equal(await page.textContent('#beside-attr'), '03-5555-0101');
  assert.equal(await page.inputValue('#textarea'), '03-1234-5678');
  assert.equal(await page.inputValue('#input'), '03-1234-5678');
  assert.equal(await attr(page, '#input', 'value'), '03-1234-5678');
  assert.equal(await page.evaluate(() => document.getElementById('template').innerHTML), '<p>03-1234-5678</p>');
  assert.equal(await page.evaluate(() => window.__inlineNumber), '03-1234-5678');
  // What a visitor types is theirs, even a target number, even after the page changes.
  await page.fill('#input-typed', '03-1234-5678');
  await page.evaluate(() => document.body.append(document.createElement('p')));
  await settle(page);
  assert.equal(await page.inputValue('#input-typed'), '03-1234-5678');
  // Content added later under an excluded subtree is left alone as well.
  await page.evaluate(() => {
    document.querySelector('#legal').append(' / 0120-111-222');
    document.querySelector('#attr-deep').insertAdjacentHTML('beforeend', '<i>03-1234-5678</i>');
    const t = document.getElementById('template').content.firstChild;
    t.textContent = '0120-111-222';
  });
  await settle(page);
  assert.equal(await html(page, '#legal'), 'Clinic registration 03-1234-5678 / 0120-111-222');
  assert.equal(await html(page, '#attr-deep'), '<b>0120-111-222</b><i>03-1234-5678</i>');
  const rt = await page.rt();
  assert.equal(rt.swaps.length, 2, `only #control and #beside-attr: ${JSON.stringify(rt.swaps)}`);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('ringtrail:ready detail lists every swap made at start, the same ones as the ringtrail:swap events', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html?gclid=x');
  await settle(page);
  const rt = await page.rt();
  assert.ok(Array.isArray(rt.ready));
  // 15 MARKUP elements + 3 in #twice + the text of #tel-free + 4 labels (aria-label, title x2).
  assert.equal(rt.ready.length, 23, JSON.stringify(rt.ready.map((s) => s.displayed)));
  assert.deepEqual(rt.ready, rt.swaps.slice(0, rt.ready.length));
  assert.equal(rt.swaps.length, rt.ready.length, 'nothing swapped again after ready');
  for (const s of rt.ready) {
    assert.deepEqual(Object.keys(s).sort(), ['displayed', 'number', 'source', 'target']);
    assert.equal(s.source, GCLID.rule);
    assert.ok(['03-1234-5678', '0120-111-222'].includes(s.target), s.target);
    assert.equal(s.number, e164(s.target === '03-1234-5678' ? GCLID.tokyo : GCLID.free));
  }
  // `displayed` is the number as it now reads on the page (for labels: the number part only).
  const displayed = rt.ready.map((s) => s.displayed);
  for (const d of ['(03) 9999-0001', '+81 3-9999-0001', '+81399990001', '03.9999.0001', '0120-999-001',
    '０３－９９９９－０００１', '０１２０－９９９－００１', '（０３）９９９９－０００１', '03 9999 0001', '0399990001']) {
    assert.ok(displayed.includes(d), `${d} in ${JSON.stringify(displayed)}`);
  }
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('an untagged visit: ringtrail:ready detail is an empty list and no swap event fires', async () => {
  const { ctx, page } = await open(browser, collector, '/test/markup.html');
  await settle(page);
  const rt = await page.rt();
  assert.deepEqual(rt.ready, []);
  assert.deepEqual(rt.swaps, []);
  await ctx.close();
});

// Sites lay out inline elements with flex/grid gaps and no whitespace between them: the demo
// footer is `<span>Tokyo office: <span id="footer-phone"><span>(03)</span> 1234-5678</span></span><span>Free dial: ...`.
// The text run then reads "…1234-5678Free dial: 0120-…" and the number is not found.
test('demo footer: a number followed by the next inline element with no whitespace is swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/index.html?utm_source=campaign');
  assert.equal(await page.textContent('#footer-phone'), '(03) 5555-0101');
  await ctx.close();
});

test('numbers in adjacent inline elements with no whitespace between them are both swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/test/adjacent.html?utm_source=campaign');
  assert.equal(await html(page, '#pair'), '<span>03-5555-0101</span><span>0120-555-010</span>');
  assert.equal(await html(page, '#letter'), '<span>(03) 5555-0101</span><span>Free dial</span>');
  await ctx.close();
});

test('a number written right after "TEL" (common on Japanese sites: TEL03-1234-5678) is swapped', async () => {
  const { ctx, page } = await open(browser, collector, '/test/adjacent.html?utm_source=campaign');
  assert.equal(await html(page, '#tel-prefix'), 'TEL03-5555-0101');
  assert.equal(await html(page, '#tel-prefix-free'), 'Tel.0120-555-010');
  await ctx.close();
});
