// The ringtrail runtime: the browser half of the snippet. It owns listeners, timers, the DOM,
// the network and the DOM events, and asks the wasm `Core` (src/web/) for every decision:
// what to swap, what counts as a page view, what to send and when, which number to show.
// Bundled with the wasm-bindgen glue into pkg/ringtrail.js by scripts/build-snippet.sh.
import init, { Core } from '../pkg/ringtrail.js';

export default init;

// ---- DOM walking for the swap: stays in JS because crossing into wasm for every node of a
// large page costs more than the walk itself ------------------------------------------------
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'textarea', 'input', 'select',
  'option', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const SKIP_SELECTOR = [...SKIP].join(',') + ',[data-ringtrail-noswap]';
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'data', 'dfn', 'em',
  'font', 'i', 'kbd', 'label', 'mark', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr', 'nobr']);
const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;
const DIGITS = /[0-9\uFF10-\uFF19]/g;
const ATTR_SELECTOR = 'a[href^="tel:" i],[aria-label],[title]';

function skipped(el, noswap) {
  return SKIP.has(el.localName) || el.hasAttribute('data-ringtrail-noswap') ||
    (noswap !== '' && el.matches(noswap));
}

// The nearest ancestor that starts a run (an element that is not inline, or a shadow root /
// fragment), or null when `node` sits in a subtree we never touch.
function runRoot(node, noswap) {
  let root = null;
  for (let n = node.nodeType === 1 || node.nodeType === 11 ? node : node.parentNode; n; n = n.parentNode) {
    if (n.nodeType === 11) return root || n;
    if (n.nodeType !== 1) break;
    if (skipped(n, noswap)) return null;
    if (!root && !INLINE.has(n.localName)) root = n;
  }
  return root;
}

// Splits the text under `el` into runs at non-inline elements and skipped subtrees.
function walk(el, noswap, min, out, state) {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    const t = c.nodeType;
    if (t === 3) {
      if (HAS_DIGIT.test(c.data)) state.digits += c.data.match(DIGITS).length;
      state.run.push(c);
    } else if (t === 1) {
      if (skipped(c, noswap)) {
        endRun(out, state, min);
        continue;
      }
      const inline = INLINE.has(c.localName);
      if (!inline) endRun(out, state, min);
      walk(c, noswap, min, out, state);
      if (!inline) endRun(out, state, min);
    }
  }
}

function endRun(out, state, min) {
  if (state.digits >= min) out.push(state.run);
  if (state.run.length) state.run = [];
  state.digits = 0;
}

// Roots: elements, text nodes or shadow roots. Finds the text nodes with a digit with the
// browser's own TreeWalker (fast, even cold), then splits only their blocks into runs, so a
// large page with few numbers costs little more than one native pass.
// Returns [runs, attributeElements].
function collect(roots, noswap, min) {
  const blocks = new Set();
  const attrs = [];
  const skip = SKIP_SELECTOR + (noswap ? ',' + noswap : '');
  for (const r of roots) {
    if (!r || !r.isConnected) continue;
    if (r.nodeType === 3) {
      if (HAS_DIGIT.test(r.data)) {
        const b = runRoot(r, noswap);
        if (b) blocks.add(b);
      }
      continue;
    }
    const tw = document.createTreeWalker(r, NodeFilter.SHOW_TEXT);
    for (let t = tw.nextNode(); t; t = tw.nextNode()) {
      if (!HAS_DIGIT.test(t.data)) continue;
      const p = t.parentNode;
      if (p.nodeType === 1 && p.closest(skip)) continue;
      const b = runRoot(t, noswap);
      if (b) blocks.add(b);
    }
    if (r.querySelectorAll) {
      if (r.nodeType === 1 && r.matches(ATTR_SELECTOR) && runRoot(r, noswap)) attrs.push(r);
      for (const el of r.querySelectorAll(ATTR_SELECTOR)) if (!el.closest(skip)) attrs.push(el);
    }
  }
  // A block inside another block would be split twice: keep the outermost.
  const tops = [...blocks].filter((b) => {
    for (let p = b.parentNode; p; p = p.parentNode) if (blocks.has(p)) return false;
    return true;
  });
  const runs = [];
  for (const b of tops) {
    const state = { run: [], digits: 0 };
    walk(b, noswap, min, runs, state);
    endRun(runs, state, min);
  }
  return [runs, attrs];
}

// Nodes added or changed by a batch of mutation records.
function mutationRoots(records) {
  const roots = [];
  for (const rec of records) {
    if (rec.type === 'childList') for (const n of rec.addedNodes) roots.push(n);
    else roots.push(rec.target);
  }
  return roots;
}

// POSTs `body` as text/plain (a CORS simple request: no preflight) with keepalive, so the request
// outlives the page; aborts after `timeoutMs`. Calls `done(status, retryAfterSeconds, text)`;
// status 0 means no answer (offline, DNS, CORS, timeout).
function post(url, body, timeoutMs, done) {
  let ctrl = null;
  try { ctrl = new AbortController(); } catch (e) { /* old browsers: no timeout */ }
  const timer = ctrl && setTimeout(() => ctrl.abort(), timeoutMs);
  let p;
  try {
    p = fetch(url, {
      method: 'POST', body, keepalive: body.length < 60000, credentials: 'omit', mode: 'cors',
      headers: { 'content-type': 'text/plain;charset=UTF-8' }, signal: ctrl && ctrl.signal,
    });
  } catch (e) {
    p = Promise.reject(e);
  }
  p.then(
    (r) => {
      const ra = parseInt(r.headers.get('retry-after'), 10) || 0;
      r.text().then(
        (t) => { clearTimeout(timer); done(r.status, ra, t); },
        () => { clearTimeout(timer); done(r.status, ra, ''); },
      );
    },
    () => { clearTimeout(timer); done(0, 0, ''); },
  );
}

// navigator.sendBeacon, false when unavailable or refused.
function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}



const LEASE_TIMEOUT_MS = 1000;
const EVENT_TIMEOUT_MS = 8000;
const ATTRS = ['href', 'aria-label', 'title'];
const MIN_DIGITS = 7;
// Core::call's requests, numbered as `op` in src/web/mod.rs.
const OP_NOSWAP = 0, OP_START_LEAD = 1, OP_DROP_PARAM = 2, OP_SWAP = 3, OP_NUMBER = 4,
  OP_TRACK = 5, OP_CONSENT = 6, OP_NEXT_BATCH = 7, OP_RETRY_IN = 8, OP_BATCH_DONE = 9,
  OP_BEACON_BODY = 10, OP_BEACON_SENT = 11, OP_CLASSIFY = 12, OP_LEAD_FORMS = 13, OP_LEAD = 14,
  OP_CALL_CLICK = 15, OP_LEASE_REQUESTS = 16, OP_LEASE_ANSWER = 17, OP_HEARTBEATS = 18,
  OP_HEARTBEAT_MS = 19, OP_HEARTBEAT_ANSWER = 20, OP_NAVIGATE = 21, OP_ACTIVITY = 22,
  OP_VISIBILITY = 23, OP_TICK = 24;

const d = document;
const w = window;
const on = (t, e, f, capture) => t.addEventListener(e, f, { passive: true, capture: !!capture });
const fire = (name, detail) => d.dispatchEvent(new CustomEvent('ringtrail:' + name, { detail }));
const path = () => location.pathname;

function signals() {
  const n = navigator;
  return (n.globalPrivacyControl === true ? 1 : 0) | (n.doNotTrack === '1' || w.doNotTrack === '1' ? 2 : 0) | (n.webdriver ? 4 : 0);
}

/**
 * Starts the snippet: `config` is the JSON text, `collector` the base URL ('' for none),
 * `queue` the calls made before we were ready. Returns the function that becomes
 * `window.ringtrail`. Throws on a bad config before touching anything.
 */
export function run(config, collector, queue) {
  const base = collector.replace(/\/+$/, '');
  const core = new Core(config, base !== '' || collector === '/', location.href, d.referrer, location.hostname, signals());
  // Core's one entry point (see Core::call in src/web/mod.rs): op, numbers, then strings.
  const call = (op, n, m, ...s) => core.call(op, s.map((x) => x.replace(/\x1f/g, ' ')).join('\x1f'), n, m);
  const events = (base || '') + '/v1/events';
  const leases = (base || '') + '/v1/leases';
  const listeners = {};
  const emit = (name, detail) => (listeners[name] || []).forEach((f) => { try { f(detail); } catch (e) { /* the site's bug */ } });
  const noswap = call(OP_NOSWAP);
  let observer = null;

  // ---- swapping ---------------------------------------------------------------------------
  function swap(roots) {
    const [runs, els] = collect(roots, noswap, MIN_DIGITS);
    const attrs = [];
    const where = [];
    for (const el of els) for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v !== null) { attrs.push([a, v]); where.push([el, a]); }
    }
    if (!runs.length && !attrs.length) return [];
    const out = JSON.parse(call(OP_SWAP, 0, 0, JSON.stringify({ r: runs.map((r) => r.map((t) => t.data)), a: attrs })));
    for (const [r, p, text] of out.r) runs[r][p].data = text;
    for (const [i, v] of out.a) where[i][0].setAttribute(where[i][1], v);
    if (observer) observer.takeRecords(); // our own edits are never scanned again
    for (const s of out.s) { fire('swap', s); emit('swap', s); }
    if (early) early.push(...out.s);
    return out.s;
  }
  // Swaps made before `ringtrail:ready` (while the parser is still adding the page).
  let early = [];
  const swapAll = () => swap([d.documentElement]);

  // ---- delivery ---------------------------------------------------------------------------
  let inFlight = false;
  let timer = 0;
  function flush() {
    if (inFlight) return;
    const body = call(OP_NEXT_BATCH);
    if (body === undefined) {
      const wait = call(OP_RETRY_IN);
      clearTimeout(timer);
      if (wait !== undefined) timer = setTimeout(flush, Math.max(wait, 50));
      return;
    }
    inFlight = true;
    post(events, body, EVENT_TIMEOUT_MS, (status, retryAfter) => {
      inFlight = false;
      call(OP_BATCH_DONE, status, retryAfter);
      flush();
    });
  }
  const after = (result) => { flush(); return result; };

  // ---- visits -----------------------------------------------------------------------------
  const triggers = (json) => {
    if (!json) return;
    for (const t of JSON.parse(json)) { fire('trigger', t); emit('trigger', t); }
  };
  const navigate = (kind) => { triggers(call(OP_NAVIGATE, kind, 0, location.href, path())); flush(); };
  const visibility = () => call(OP_VISIBILITY, +(d.visibilityState === 'visible'), +d.hasFocus());

  // ---- leases -----------------------------------------------------------------------------
  let beat = 0;
  function heartbeats() {
    clearInterval(beat);
    const every = +call(OP_HEARTBEAT_MS);
    if (!every || d.visibilityState !== 'visible') return;
    beat = setInterval(() => {
      for (const [slot, id] of JSON.parse(call(OP_HEARTBEATS))) {
        post(leases + '/' + encodeURIComponent(id) + '/heartbeat', '{}', 5000, (status, _r, text) => call(OP_HEARTBEAT_ANSWER, slot, status, text));
      }
    }, every);
  }

  // ---- the JS API -------------------------------------------------------------------------
  const nfkc = (v) => (typeof v === 'string' ? v.normalize('NFKC') : '');
  const pairs = (o) => JSON.stringify(Object.keys(o || {}).map((k) => [k, nfkc(o[k])]));
  const lead = (kind, channel, ps, key, value) => {
    const detail = JSON.parse(call(OP_LEAD, 0, 0, kind, channel, ps, key || '', value || ''));
    emit('lead', detail);
    flush();
  };
  const commands = {
    on(name, cb) { if (typeof cb === 'function') (listeners[name] = listeners[name] || []).push(cb); },
    rescan(root) { return swap([root instanceof Node ? root : d.documentElement]); },
    number(target, cb) {
      if (typeof target === 'function') { cb = target; target = undefined; }
      const n = call(OP_NUMBER, 0, 0, typeof target === 'string' ? target : '') || null;
      if (typeof cb === 'function') cb(n);
      return n;
    },
    track(name, props) { if (typeof name !== 'string') throw new Error('track: event name must be a string'); call(OP_TRACK, 0, 0, name, JSON.stringify(props || {}) || '{}'); flush(); },
    consent(yes) {
      if (typeof yes !== 'boolean') throw new Error('consent: expected true or false');
      call(OP_CONSENT, +yes, signals());
      flush();
    },
    identify(id, traits) {
      if (typeof id !== 'string' || !id.trim()) throw new Error('identify: user id must be a non-empty string');
      lead('identify', 'identify', pairs(traits), 'user_id', id.trim());
    },
    lead(o) { lead('lead', (o && typeof o.channel === 'string' && o.channel) || 'custom', pairs(o)); },
  };
  const api = function (name, ...args) {
    const f = commands[name];
    if (!f) throw new Error(name + ': unknown command');
    return f(...args);
  };

  // Queued on() listeners first, so they hear the first swaps (and the email-link lead).
  for (const args of queue) if (args[0] === 'on') api(...args);
  const startLead = call(OP_START_LEAD);
  if (startLead) emit('lead', JSON.parse(startLead));

  // ---- start ------------------------------------------------------------------------------
  swapAll();
  observer = new MutationObserver((records) => {
    const roots = mutationRoots(records);
    if (roots.length) swap(roots);
  });
  observer.observe(d.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRS,
  });
  // The parser may still be adding nodes: the observer swaps them as they come, one more pass at
  // DOMContentLoaded catches text the parser grew in place, and `ringtrail:ready` (the first
  // scan of the whole page is done) carries every swap made until then.
  const ready = () => { const all = early; early = null; fire('ready', all); };
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', () => { swapAll(); ready(); }, { once: true });
  else ready();

  const drop = call(OP_DROP_PARAM);
  if (drop) {
    try {
      const u = new URL(location.href);
      u.searchParams.delete(drop);
      history.replaceState(history.state, '', u.pathname + u.search + u.hash);
    } catch (e) { /* leave the URL */ }
  }

  for (const [slot, body] of JSON.parse(call(OP_LEASE_REQUESTS))) {
    post(leases, body, LEASE_TIMEOUT_MS, (status, _r, text) => {
      if (call(OP_LEASE_ANSWER, slot, status, text)) swapAll();
      heartbeats();
      flush();
    });
  }
  heartbeats();

  visibility();
  if (d.prerendering) {
    call(OP_NAVIGATE, 6, 0, location.href, path());
    d.addEventListener('prerenderingchange', () => { visibility(); navigate(7); }, { once: true });
  } else {
    navigate(0);
  }
  ['pushState', 'replaceState'].forEach((name, i) => {
    const orig = history[name];
    if (typeof orig !== 'function') return;
    history[name] = function () {
      const result = orig.apply(this, arguments);
      try { navigate(i + 1); } catch (e) { /* never break the site's router */ }
      return result;
    };
  });
  on(w, 'popstate', () => navigate(3));
  on(w, 'hashchange', () => navigate(4));
  on(w, 'pageshow', (e) => { if (e.persisted) { visibility(); navigate(5); } });
  on(w, 'focus', visibility);
  on(w, 'blur', visibility);
  let scrolled = 0;
  const activity = (e) => {
    let pct = 0;
    const now = Date.now();
    if (e.type === 'scroll' && now - scrolled > 200) {
      scrolled = now;
      const el = d.documentElement;
      const h = Math.max(el.scrollHeight, d.body ? d.body.scrollHeight : 0, 1);
      pct = Math.max(1, Math.min(100, Math.round(((w.scrollY + w.innerHeight) * 100) / h)));
    }
    call(OP_ACTIVITY, pct);
  };
  ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel', 'scroll'].forEach((e) => on(w, e, activity, true));
  setInterval(() => { triggers(call(OP_TICK, 0, 0, path())); flush(); }, 1000);

  // Leaving: engagement first, then one beacon with everything unsent.
  const leave = (e) => {
    if (e.type === 'visibilitychange') { visibility(); heartbeats(); }
    if (e.type === 'pagehide' || d.visibilityState === 'hidden') {
      const body = call(OP_BEACON_BODY);
      if (body !== undefined && beacon(events, body)) call(OP_BEACON_SENT);
    }
  };
  on(w, 'visibilitychange', leave);
  on(w, 'pagehide', leave);
  on(w, 'online', flush);

  // Lead moments the page produces by itself: submits of chosen forms (after the site's own
  // handlers; never delayed or prevented), and clicks on tel: links.
  const forms = call(OP_LEAD_FORMS);
  on(w, 'submit', (e) => {
    const f = e.target;
    if (!(f instanceof HTMLFormElement) || !f.matches(forms)) return;
    const ps = [];
    for (const el of Array.from(f.elements)) {
      if (!el.name && !el.id) continue;
      const kind = call(OP_CLASSIFY, 0, 0, el.type || '', el.getAttribute('name') || '', el.id || '', el.getAttribute('autocomplete') || '');
      if (kind) ps.push([kind, nfkc(el.value)]); // passwords and card fields are never read
    }
    lead('form_submit', 'form', JSON.stringify(ps), 'form', f.id || f.getAttribute('name') || '');
  });
  on(d, 'click', (e) => {
    const a = e.composedPath().find((n) => n.nodeType === 1 && n.localName === 'a' && /^tel:/i.test(n.getAttribute('href') || ''));
    if (!a) return;
    const data = call(OP_CALL_CLICK, 0, 0, a.getAttribute('href'));
    if (data) { emit('lead', JSON.parse(data)); flush(); }
  }, true);

  flush();
  return (name, ...args) => after(api(name, ...args));
}
