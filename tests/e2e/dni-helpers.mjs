// Shared pieces of the dynamic number insertion specs (dni*.test.mjs). Not a test file itself.
import assert from 'node:assert/strict';
import { newPage } from './harness.mjs';

/** The demo config's numbers (www/ringtrail/config.json), digits only, national form. */
export const SITE = { tokyo: '0312345678', free: '0120111222' };
export const CAMPAIGN = { tokyo: '0355550101', free: '0120555010', rule: 'spring-campaign' };
export const GCLID = { tokyo: '0399990001', free: '0120999001', rule: 'google-ads' };

/** `+81` form of a national JP number (trunk 0 dropped). */
export const e164 = (national) => `+81${national.slice(1)}`;

const FULL = '０１２３４５６７８９';
/**
 * Fills a template's digit slots in order: `#` takes the next ASCII digit of `digits`, `＃` the
 * next one as a full-width digit. `fill('(##) ####-####', '0355550101')` → `(03) 5555-0101`.
 */
export function fill(template, digits) {
  let i = 0;
  const out = template.replace(/[#＃]/g, (slot) => {
    const d = digits[i++];
    assert.ok(d !== undefined, `template ${template} has more slots than ${digits}`);
    return slot === '#' ? d : FULL[d];
  });
  assert.equal(i, digits.length, `template ${template} uses ${i} of the digits ${digits}`);
  return out;
}

/** Opens `path` in a fresh context (or `ctx`); waits for `ringtrail:ready`. */
export async function open(browser, collector, path, { ctx, init, wait = true } = {}) {
  const context = ctx || (await browser.newContext());
  if (init) await context.addInitScript(init);
  const page = await newPage(context);
  await page.goto(`${collector.url}${path}`);
  if (wait) await page.waitReady();
  return { ctx: context, page };
}

export const html = (page, sel) => page.$eval(sel, (el) => el.innerHTML);
export const attr = (page, sel, name) => page.$eval(sel, (el, n) => el.getAttribute(n), name);
export const swapCount = async (page) => (await page.rt()).swaps.length;

/** Lets the MutationObserver and any stray work run; used before "nothing more happened" checks. */
export const settle = (page, ms = 300) => page.waitForTimeout(ms);

/**
 * Opens `base` + `path` in `ctx` and records, right before every frame (rAF runs right before paint) until
 * two frames after `ringtrail:ready`, what the visitor sees of #phone and #free (null: not in
 * the DOM yet, '(hidden)'). Returns { page, frames: [{t, phone, free}], fcp }.
 */
export async function paintedFrames(ctx, base, path) {
  const page = await newPage(ctx);
  await page.addInitScript(() => {
    const log = (window.__frames = []);
    window.__fcp = null;
    try {
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) if (e.name === 'first-contentful-paint') window.__fcp = e.startTime;
      }).observe({ type: 'paint', buffered: true });
    } catch {}
    const seen = (id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      return getComputedStyle(el).visibility !== 'hidden' && el.getClientRects().length ? el.textContent : '(hidden)';
    };
    let after = 0;
    const tick = () => {
      log.push({ t: performance.now(), phone: seen('phone'), free: seen('free') });
      if (window.__rt?.ready) after += 1;
      if (after < 3 && performance.now() < 10000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__rt.ready && window.__frames.length > 2);
  const { frames, fcp } = await page.evaluate(() => ({ frames: window.__frames, fcp: window.__fcp }));
  return { page, frames, fcp };
}

/** What was painted, for the diagnostic line: "t ms: phone / free" per distinct frame. */
export const describe = (frames, fcp) => `FCP ${fcp?.toFixed(1)} ms; frames: ` + frames
  .filter((f, i) => i === 0 || f.phone !== frames[i - 1].phone || f.free !== frames[i - 1].free)
  .map((f) => `${f.t.toFixed(1)} ms ${f.phone} / ${f.free}`).join(', ');
