// Shared setup for the browser specs: the real collector on a free loopback port serving the
// demo site and pkg/, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
// The collector binary: RINGTRAIL_BIN, else cargo's debug build (in CARGO_TARGET_DIR when set).
export const BIN = process.env.RINGTRAIL_BIN ||
  join(resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target'), 'debug/ringtrail');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Starts `ringtrail serve` on 127.0.0.1:0; resolves with { url, db, stop }. */
export async function startCollector(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ringtrail-e2e-'));
  const db = join(dir, 'ringtrail.db');
  const child = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--db', db,
    '--www', join(ROOT, 'www'), '--mount', `/pkg=${join(ROOT, 'pkg')}`, ...extraArgs],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`collector did not start:\n${log}`)), 15000);
    const onData = (b) => {
      log += b;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`collector exited ${code}:\n${log}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url,
    db,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.on('exit', ok)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * One collector and one browser for a whole spec file, closed after its last test:
 * `const { collector, browser } = await suite();` at the top of the file.
 */
export async function suite(extraArgs = []) {
  const collector = await startCollector(extraArgs);
  let browser;
  try {
    browser = await launch();
  } catch (e) {
    await collector.stop();
    throw e;
  }
  after(async () => {
    await browser.close();
    await collector.stop();
  });
  return { collector, browser };
}

/**
 * A page that records ringtrail's DOM events and console errors from the very start.
 * `page.rt()` returns { ready, swaps, triggers, errors }.
 */
export async function newPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    // The browser's own favicon request is not ours.
    if (m.type() === 'error' && !/favicon\.ico$/.test(m.location().url || '')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__rt = { ready: null, swaps: [], triggers: [] };
    document.addEventListener('ringtrail:ready', (e) => { window.__rt.ready = e.detail; });
    document.addEventListener('ringtrail:swap', (e) => { window.__rt.swaps.push(e.detail); });
    document.addEventListener('ringtrail:trigger', (e) => { window.__rt.triggers.push(e.detail); });
  });
  page.errors = errors;
  page.rt = () => page.evaluate(() => window.__rt);
  page.waitReady = () => page.waitForFunction(() => window.__rt && window.__rt.ready !== null, null, { timeout: 10000 });
  return page;
}

/** Events the collector stored, from its JSON API. */
export async function storedEvents(collectorUrl, query = '') {
  const r = await fetch(`${collectorUrl}/v1/events?${query}`);
  if (!r.ok) throw new Error(`GET /v1/events: ${r.status}`);
  return (await r.json()).events;
}

/** Polls `fn` until it returns a truthy value (or throws after `ms`). */
export async function eventually(fn, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out; last: ${last && last.stack ? last.stack : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
