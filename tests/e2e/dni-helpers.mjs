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
