// Lead moments on the demo site, as the visitor does them and as the site owner finds them in the
// collector: the contact form (values normalized in the browser, the password never read, the
// site's own submit untouched), an email link's `rt_lid` token, `identify`, the pricing chat box's
// `ringtrail('lead', ...)`, a click on a tel: tracking number, `on('lead')` listeners;
// `leads.send: "hashed"`; and the collector's merge: a visitor's earlier page views belong to the
// lead, the same email from another browser joins the same lead, `/leads.csv` lists it.
//
// Every test uses identities of its own (emails, phones, tokens carry a random tag), so the
// leads of the shared `demo` site never merge across tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { suite, newPage, storedEvents, eventually } from './harness.mjs';

const { collector, browser } = await suite();

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const tag = () => randomUUID().replaceAll('-', '').slice(0, 10);
/** A Japanese mobile number of its own: `[national, E.164]`. */
function mobile() {
  const n = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return [`090-${n.slice(0, 4)}-${n.slice(4)}`, `+8190${n}`];
}
/** ASCII → full-width forms (digits, letters, `-` → `－`), as a Japanese IME types them. */
const fullWidth = (s) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A new browser context whose pages' POSTs to `/v1/events` (fetch and beacon) are all kept. */
async function context() {
  const ctx = await browser.newContext();
  ctx.bodies = [];
  ctx.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/v1/events')) ctx.bodies.push(r.postData() || '');
  });
  return ctx;
}

const visitorOf = (page) => page.evaluate(() => localStorage.getItem('ringtrail:visitor'));

/** The visitor's stored events (optionally of one type), oldest first. */
function events(visitor, type, site) {
  assert.ok(visitor, 'a visitor id is stored');
  const q = [`visitor=${encodeURIComponent(visitor)}`];
  if (type) q.push(`type=${type}`);
  if (site) q.push(`site=${site}`);
  return storedEvents(collector.url, q.join('&'));
}

/**
 * An event's `data` without the `type` field the snippet may repeat there (it is the event's own
 * type; checked equal).
 */
function dataOf(e) {
  const { type, ...rest } = e.data;
  if (type !== undefined) assert.equal(type, e.type, 'data.type repeats the event type');
  return rest;
}

/** Waits for the visitor's first stored event of `type` (optionally matching `pred`). */
async function one(visitor, type, pred = () => true, site) {
  return eventually(async () => (await events(visitor, type, site)).find(pred));
}

/** `GET /v1/leads?site=` */
async function leads(site = 'demo') {
  const r = await fetch(`${collector.url}/v1/leads?site=${site}`);
  assert.equal(r.status, 200);
  return r.json();
}

/** Waits for the lead satisfying `pred` (by its JSON) and returns it. */
async function leadWhere(pred, site = 'demo') {
  return eventually(async () => (await leads(site)).leads.find(pred));
}

/** Minimal RFC 4180 reader (quotes, CRLF); strips the BOM. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && s[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** Opens `path` of the demo site in `ctx` and waits for the snippet. */
async function open(ctx, path) {
  const page = await newPage(ctx);
  await page.goto(`${collector.url}${path}`);
  await page.waitReady();
  return page;
}

/** Fills the demo contact form and submits it as a visitor does (click on Send). */
async function submitContact(page, { name, email, phone, password }) {
  await page.fill('#contact input[name=name]', name);
  await page.fill('#contact input[name=email]', email);
  await page.fill('#contact input[name=phone]', phone);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/thanks\.html/), page.click('#contact button')]);
}

// ---------------------------------------------------------------------------------------------
// Form submit

test('contact form: normalized values are sent, the password never is, and the site still navigates to its thanks page', async () => {
  const t = tag();
  const [national, e164] = mobile();
  const password = `hunter2-${t}`;
  const ctx = await context();
  const page = await open(ctx, '/contact.html');
  const visitor = await visitorOf(page);
  await submitContact(page, {
    name: '  ﾔﾏﾀﾞ　　Ｔａｒｏ  ', // half-width katakana, ideographic spaces, full-width letters
    email: `  Taro.Yamada+${t.toUpperCase()}@Example.CO.JP `,
    phone: fullWidth(national),
    password,
  });
  // The site's own submit went ahead: the browser is on the thanks page with the form's query.
  const thanks = new URL(page.url());
  assert.equal(thanks.pathname, '/thanks.html');
  assert.equal(thanks.searchParams.get('phone'), fullWidth(national));
  await page.waitReady();

  const ev = await one(visitor, 'form_submit');
  assert.equal(ev.url, `${collector.url}/contact.html`);
  assert.deepEqual(dataOf(ev), {
    channel: 'form',
    form: 'contact',
    email: `taro.yamada+${t}@example.co.jp`,
    phone: e164,
    name: 'ヤマダ Taro', // NFKC: half-width katakana to full-width, full-width Latin to ASCII
  });
  // The password is in no request, no stored event and not in the page's storage.
  await eventually(async () => (await events(visitor, 'page_view')).some((e) => e.url.includes('/thanks.html')));
  const all = JSON.stringify(await events(visitor));
  assert.ok(!all.includes(password), 'no stored event carries the password');
  assert.ok(ctx.bodies.length > 0);
  assert.ok(ctx.bodies.every((b) => !b.includes(password)), 'no request carries the password');
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(!storage.includes(password));
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('a contact form that fails the browser\'s validation sends nothing', async () => {
  const ctx = await context();
  const page = await open(ctx, '/contact.html');
  const visitor = await visitorOf(page);
  await page.fill('#contact input[name=email]', 'not an email');
  await page.click('#contact button');
  await page.waitForTimeout(800);
  assert.match(page.url(), /\/contact\.html$/);
  assert.deepEqual(await events(visitor, 'form_submit'), []);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Email link

test('email link: ?rt_lid=TOKEN is a lead with the token, and the parameter leaves the address bar and every recorded URL', async () => {
  const token = `tok-${tag()}`;
  const ctx = await context();
  const page = await open(ctx, `/index.html?utm_source=newsletter&utm_medium=email&rt_lid=${token}#top`);
  const visitor = await visitorOf(page);
  // The address bar keeps everything else.
  assert.equal(page.url(), `${collector.url}/index.html?utm_source=newsletter&utm_medium=email#top`);

  const lead = await one(visitor, 'lead');
  assert.deepEqual(dataOf(lead), { channel: 'email_link', lead_token: token });
  assert.equal(lead.url, `${collector.url}/index.html?utm_source=newsletter&utm_medium=email#top`);
  assert.equal(lead.source?.name, 'newsletter');

  // Next page: its referrer is the cleaned address.
  await page.click('a[href="/pricing.html"]');
  await page.waitReady();
  await eventually(async () => (await events(visitor, 'page_view')).length >= 2);
  const all = await events(visitor);
  for (const e of all) {
    assert.ok(!JSON.stringify(e).includes('rt_lid'), `${e.type}: ${e.url} ${e.referrer}`);
    assert.ok(!e.url.includes(token) && !e.referrer.includes(token));
  }
  assert.ok(ctx.bodies.every((b) => !b.includes('rt_lid')), 'no request mentions rt_lid');
  // The token is the lead's identity in the collector.
  const l = await leadWhere((x) => x.identities.lead_tokens.includes(token));
  assert.equal(l.first_moment, 'email_link');
  assert.deepEqual(l.identities.visitors, [visitor]);
  await ctx.close();
});

test('a reload after the email link does not send the lead again', async () => {
  const token = `tok-${tag()}`;
  const ctx = await context();
  const page = await open(ctx, `/index.html?rt_lid=${token}`);
  const visitor = await visitorOf(page);
  await one(visitor, 'lead');
  await page.reload();
  await page.waitReady();
  await eventually(async () => (await events(visitor, 'page_view')).length >= 2);
  await page.waitForTimeout(300);
  assert.equal((await events(visitor, 'lead')).length, 1);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// identify, chat, tel: click

test('identify(id, traits): an identify event with the user id and normalized traits', async () => {
  const t = tag();
  const [national, e164] = mobile();
  const ctx = await context();
  const page = await open(ctx, '/index.html');
  const visitor = await visitorOf(page);
  await page.evaluate(([id, email, phone]) => ringtrail('identify', id, {
    email, phone, name: ' Ｈａｎａｋｏ  Suzuki ', plan: 'gold',
  }), [`  user-${t} `, ` HANAKO.${t}@Example.com`, fullWidth(national)]);
  const ev = await one(visitor, 'identify');
  assert.deepEqual(dataOf(ev), {
    channel: 'identify',
    email: `hanako.${t}@example.com`,
    phone: e164,
    name: 'Hanako Suzuki',
    user_id: `user-${t}`,
  });
  const l = await leadWhere((x) => x.identities.user_ids.includes(`user-${t}`));
  assert.deepEqual(l.identities.emails, [`hanako.${t}@example.com`]);
  assert.deepEqual(l.identities.phones, [e164]);
  assert.equal(l.first_moment, 'identify');

  // A missing user id is the site's mistake: one console error, nothing sent.
  await page.evaluate(() => ringtrail('identify', '  '));
  await eventually(() => page.errors.length === 1);
  assert.match(page.errors[0], /^\[ringtrail\] identify: user id must be a non-empty string/);
  await page.waitForTimeout(300);
  assert.equal((await events(visitor, 'identify')).length, 1);
  await ctx.close();
});

test('pricing chat box: after the dwell trigger opens it, ringtrail(\'lead\', {email, channel: \'chat\'}) is a chat lead', async () => {
  const t = tag();
  const ctx = await context();
  const page = await newPage(ctx);
  await page.clock.install();
  await page.goto(`${collector.url}/pricing.html`);
  await page.waitReady();
  const visitor = await visitorOf(page);
  assert.equal(await page.isVisible('#chat'), false);
  await page.mouse.move(20, 20);
  for (let i = 0; i < 12 && !(await page.isVisible('#chat')); i++) {
    await page.mouse.move(20 + i, 30);
    await page.clock.runFor(1000);
  }
  assert.ok(await page.isVisible('#chat'), 'the pricing-chat trigger opened the chat box');
  await page.fill('#chat-form input[name=email]', `  Chat.${t}@Example.COM`);
  await page.click('#chat-form button');
  await page.waitForSelector('#chat >> text=Thanks!');
  const ev = await one(visitor, 'lead');
  assert.deepEqual(dataOf(ev), { channel: 'chat', email: `chat.${t}@example.com` });
  assert.equal(ev.url, `${collector.url}/pricing.html`);
  const trigger = await one(visitor, 'trigger');
  assert.equal(trigger.data.name, 'pricing-chat');
  const l = await leadWhere((x) => x.identities.emails.includes(`chat.${t}@example.com`));
  assert.equal(l.first_moment, 'chat');
  // The chat form is not a lead form: no form_submit besides the chat lead.
  assert.deepEqual(await events(visitor, 'form_submit'), []);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('a click on a tel: tracking number is a call_click with the E.164 number dialled', async () => {
  const ctx = await context();
  const page = await open(ctx, '/index.html?utm_source=campaign');
  const visitor = await visitorOf(page);
  assert.equal(await page.textContent('#header-phone'), '03-5555-0101');
  await page.click('#header-phone');
  const ev = await one(visitor, 'call_click');
  assert.deepEqual(dataOf(ev), {
    channel: 'call_click', number: '+81355550101', tracked: true, target: '+81312345678',
  });
  assert.equal(ev.source?.name, 'spring-campaign');
  await ctx.close();

  // Untracked visit: the site's own number, not tracked.
  const ctx2 = await context();
  const page2 = await open(ctx2, '/index.html');
  const v2 = await visitorOf(page2);
  assert.equal(await page2.textContent('#header-phone'), '03-1234-5678');
  await page2.click('#header-phone');
  const ev2 = await one(v2, 'call_click');
  assert.deepEqual(dataOf(ev2), {
    channel: 'call_click', number: '+81312345678', tracked: false, target: '+81312345678',
  });
  const l = await leadWhere((x) => x.identities.visitors.includes(v2));
  assert.equal(l.first_moment, 'call_click');
  await ctx2.close();
});

// ---------------------------------------------------------------------------------------------
// on('lead')

test('on(\'lead\', cb) hears every lead moment with what was sent (registered before the snippet was ready)', async () => {
  const t = tag();
  const [national, e164] = mobile();
  const ctx = await context();
  const page = await newPage(ctx);
  await page.addInitScript(() => {
    window.ringtrail = function () { (window.ringtrail.q = window.ringtrail.q || []).push(arguments); };
    ringtrail('on', 'lead', (d) => {
      // Kept across the form's navigation.
      const got = JSON.parse(sessionStorage.getItem('heard') || '[]');
      got.push(d);
      sessionStorage.setItem('heard', JSON.stringify(got));
    });
  });
  await page.goto(`${collector.url}/contact.html`);
  await page.waitReady();
  const visitor = await visitorOf(page);
  await page.evaluate((x) => ringtrail('lead', { email: `Widget.${x}@example.com`, channel: 'widget' }), t);
  await page.evaluate((x) => ringtrail('identify', `u-${x}`), t);
  await page.evaluate(() => document.getElementById('header-phone').addEventListener('click', (e) => e.preventDefault()));
  await page.click('#header-phone');
  await submitContact(page, { name: 'Ann', email: `ann.${t}@example.com`, phone: national, password: 'pw' });
  const heard = await page.evaluate(() => JSON.parse(sessionStorage.getItem('heard') || '[]'));
  assert.deepEqual(heard, [
    { type: 'lead', channel: 'widget', email: `widget.${t}@example.com` },
    { type: 'identify', channel: 'identify', user_id: `u-${t}` },
    { type: 'call_click', channel: 'call_click', number: '+81312345678', tracked: false, target: '+81312345678' },
    { type: 'form_submit', channel: 'form', name: 'Ann', email: `ann.${t}@example.com`, phone: e164, form: 'contact' },
  ], JSON.stringify(heard));
  // What the listener heard is what was stored.
  await eventually(async () => (await events(visitor)).filter((e) => ['lead', 'identify', 'call_click', 'form_submit'].includes(e.type)).length === 4);
  const stored = (await events(visitor)).filter((e) => ['lead', 'identify', 'call_click', 'form_submit'].includes(e.type));
  for (const h of heard) {
    const { type, ...data } = h;
    assert.ok(stored.some((e) => e.type === type && JSON.stringify(sortKeys(dataOf(e))) === JSON.stringify(sortKeys(data))), JSON.stringify(h));
  }
  // A listener that throws does not stop the others nor the event (on the thanks page the form
  // led to: wait until its snippet is running, or these calls are still queued when we look).
  await page.waitReady();
  await page.evaluate(() => {
    window.__second = [];
    ringtrail('on', 'lead', () => { throw new Error('site bug'); });
    ringtrail('on', 'lead', (d) => window.__second.push(d.channel));
    ringtrail('lead', { channel: 'chat', email: 'x@example.com' });
  });
  assert.deepEqual(await page.evaluate(() => window.__second), ['chat']);
  await ctx.close();
});

test('on(\'lead\', cb) queued before the snippet was ready hears the email-link lead of the landing page', async () => {
  const token = `tok-${tag()}`;
  const ctx = await context();
  const page = await newPage(ctx);
  await page.addInitScript(() => {
    window.__heard = [];
    window.ringtrail = function () { (window.ringtrail.q = window.ringtrail.q || []).push(arguments); };
    ringtrail('on', 'lead', (d) => window.__heard.push(d));
  });
  await page.goto(`${collector.url}/index.html?rt_lid=${token}`);
  await page.waitReady();
  await one(await visitorOf(page), 'lead');
  const heard = (await page.evaluate(() => window.__heard)).map(({ type, ...d }) => d);
  assert.deepEqual(heard, [{ channel: 'email_link', lead_token: token }]);
  await ctx.close();
});

const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

// ---------------------------------------------------------------------------------------------
// leads.send: "hashed"

test('leads.send "hashed": only SHA-256 of the normalized email and E.164 phone leave the browser', async () => {
  const t = tag();
  const [national, e164] = mobile();
  const email = `mixed.case+${t}@example.co.jp`;
  const ctx = await context();
  const page = await open(ctx, '/test/leads/hashed.html');
  const visitor = await visitorOf(page);
  await page.fill('#signup input[name=name]', 'Taro Yamada');
  await page.fill('#signup input[name=email]', `  Mixed.Case+${t.toUpperCase()}@EXAMPLE.co.jp `);
  await page.fill('#signup input[name=phone]', fullWidth(national));
  await page.fill('#signup input[name=password]', `pw-${t}`);
  await page.click('#signup button');
  await page.waitForSelector('#status >> text=sent');
  const ev = await one(visitor, 'form_submit', undefined, 'leads-hashed');
  assert.deepEqual(dataOf(ev), {
    channel: 'form', form: 'signup', email_sha256: sha256(email), phone_sha256: sha256(e164),
  });
  // Chat and identify are hashed too.
  await page.evaluate(([e, p, x]) => {
    ringtrail('lead', { email: e, phone: p, name: 'Taro', channel: 'chat' });
    ringtrail('identify', `u-${x}`, { email: e });
  }, [email.toUpperCase(), national, t]);
  const chat = await one(visitor, 'lead', undefined, 'leads-hashed');
  assert.deepEqual(dataOf(chat), { channel: 'chat', email_sha256: sha256(email), phone_sha256: sha256(e164) });
  const idf = await one(visitor, 'identify', undefined, 'leads-hashed');
  assert.deepEqual(dataOf(idf), { channel: 'identify', email_sha256: sha256(email), user_id: `u-${t}` });

  // Nothing readable went out: not the address in any case, the number in any form, the name.
  await page.waitForTimeout(300);
  for (const b of ctx.bodies) {
    const low = b.toLowerCase();
    assert.ok(!low.includes(`+${t}@`) && !low.includes('example.co.jp'), b);
    assert.ok(!b.includes(e164) && !b.includes(national) && !b.includes(fullWidth(national)), b);
    assert.ok(!b.includes('Taro'), b);
    assert.ok(!b.includes(`pw-${t}`), b);
  }
  // The collector keeps the hashes as the lead's identities and links the three moments.
  const l = await leadWhere((x) => x.identities.email_sha256.includes(sha256(email)), 'leads-hashed');
  assert.deepEqual(l.identities.emails, []);
  assert.deepEqual(l.identities.phones, []);
  assert.deepEqual(l.identities.phone_sha256, [sha256(e164)]);
  assert.deepEqual(l.identities.visitors, [visitor]);
  assert.equal(l.moments.length, 3);
  await ctx.close();
});

test('leads.send "hashed": a plain GET lead form does not put the raw address in the next page view\'s URL', async () => {
  const t = tag();
  const ctx = await context();
  const page = await open(ctx, '/test/leads/hashed.html');
  const visitor = await visitorOf(page);
  await page.fill('#newsletter input[name=email]', `get.${t}@example.com`);
  await Promise.all([page.waitForURL(/\?email=/), page.click('#newsletter button')]);
  await page.waitReady();
  const ev = await one(visitor, 'form_submit', undefined, 'leads-hashed');
  assert.deepEqual(dataOf(ev), { channel: 'form', form: 'newsletter', email_sha256: sha256(`get.${t}@example.com`) });
  await eventually(async () => (await events(visitor, 'page_view', 'leads-hashed')).length === 2);
  const all = await events(visitor, undefined, 'leads-hashed');
  const leaks = all.filter((e) => JSON.stringify(e).toLowerCase().includes(`get.${t}`));
  assert.deepEqual(leaks.map((e) => `${e.type} ${e.url}`), []);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------
// Merge in the collector

test('merge: the visitor\'s earlier page views belong to the lead; the same email from a second browser joins it; /leads.csv lists it', async () => {
  const t = tag();
  const [national, e164] = mobile();
  const email = `merge.${t}@example.com`;

  // Browser 1: an anonymous visit from a campaign, two pages, then the contact form.
  const ctx1 = await context();
  const page = await open(ctx1, '/index.html?utm_source=campaign');
  const v1 = await visitorOf(page);
  await page.click('a[href="/pricing.html"]');
  await page.waitReady();
  await page.click('a[href="/contact.html"]');
  await page.waitReady();
  await eventually(async () => (await events(v1, 'page_view')).length === 3);
  await submitContact(page, { name: 'Merge Test', email: `  MERGE.${t}@Example.com`, phone: national, password: 'pw' });
  await page.waitReady();
  const form = await one(v1, 'form_submit');
  await eventually(async () => (await events(v1, 'page_view')).length === 4);

  const lead1 = await leadWhere((x) => x.identities.emails.includes(email));
  assert.equal(lead1.id, form.id, 'a lead is named by its earliest moment');
  assert.deepEqual(lead1.identities.visitors, [v1]);
  assert.deepEqual(lead1.identities.phones, [e164]);
  assert.equal(lead1.event_counts.page_view, 4, JSON.stringify(lead1.event_counts));
  assert.equal(lead1.event_counts.form_submit, 1);
  assert.equal(lead1.first_touch.visitor, v1);
  assert.match(lead1.first_touch.landing, /\/index\.html/);
  assert.equal(lead1.source.name, 'spring-campaign');
  await ctx1.close();

  // Browser 2 (another device): the pricing chat with the same address, written differently.
  const ctx2 = await context();
  const page2 = await open(ctx2, '/pricing.html');
  const v2 = await visitorOf(page2);
  assert.notEqual(v1, v2);
  await page2.evaluate((e) => ringtrail('lead', { email: e, channel: 'chat' }), `Merge.${t}@EXAMPLE.com `);
  await one(v2, 'lead');
  const merged = await leadWhere((x) => x.identities.visitors.includes(v2) && x.identities.visitors.includes(v1));
  const report = await leads();
  assert.equal(report.leads.filter((x) => x.identities.emails.includes(email)).length, 1, 'one lead');
  assert.equal(merged.id, lead1.id, 'the earlier lead, extended');
  assert.deepEqual(merged.moments.map((m) => m.moment), ['form', 'chat']);
  assert.equal(merged.event_counts.page_view, 5);
  assert.equal(merged.source.name, 'spring-campaign', 'first touch stays browser 1\'s');
  await ctx2.close();

  // The CSV export has it, with both visitors and the counts.
  const r = await fetch(`${collector.url}/leads.csv?site=demo`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const rows = parseCsv(await r.text());
  const row = rows.find((x) => x.lead_id === merged.id);
  assert.ok(row, `lead ${merged.id} in the CSV`);
  assert.equal(row.emails, email);
  assert.equal(row.phones, `'${e164}`, 'a cell starting with + is guarded against formula injection');
  assert.equal(row.names, 'Merge Test');
  assert.deepEqual(row.visitors.split('; ').sort(), [v1, v2].sort());
  assert.equal(row.first_moment, 'form');
  assert.equal(row.moments, 'form; chat');
  assert.equal(row.source_name, 'spring-campaign');
  assert.equal(row.page_views, '5');
  assert.equal(row.form_submits, '1');
});
