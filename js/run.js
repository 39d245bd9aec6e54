// The ringtrail runtime: the browser half of the snippet. It owns listeners, timers, the DOM,
// the network and the DOM events, and asks the wasm `Core` (src/web/) for every decision:
// what to swap, what counts as a page view, what to send and when, which number to show.
// Bundled with the wasm-bindgen glue into pkg/ringtrail.js by scripts/build-snippet.sh.

// Numbers first: esbuild inlines top-level constants only when no other statement comes before
// them (and only in a module without imports, hence js/runtime.js apart).
const LEASE_TIMEOUT_MS = 1000;
const EVENT_TIMEOUT_MS = 8000;
// Core::call's requests, numbered as `op` in src/web/mod.rs.
const OP_NOSWAP = 0, OP_START_LEAD = 1, OP_DROP_PARAM = 2, OP_SWAP = 3, OP_NUMBER = 4,
  OP_TRACK = 5, OP_CONSENT = 6, OP_NEXT_BATCH = 7, OP_RETRY_IN = 8, OP_BATCH_DONE = 9,
  OP_BEACON_BODY = 10, OP_BEACON_SENT = 11, OP_CLASSIFY = 12, OP_LEAD_FORMS = 13, OP_LEAD = 14,
  OP_CALL_CLICK = 15, OP_LEASE_REQUESTS = 16, OP_LEASE_ANSWER = 17, OP_HEARTBEATS = 18,
  OP_HEARTBEAT_MS = 19, OP_HEARTBEAT_ANSWER = 20, OP_NAVIGATE = 21, OP_ACTIVITY = 22,
  OP_VISIBILITY = 23, OP_TICK = 24, OP_TARGET_DIGITS = 25;
// The first scan runs in slices of at most this long, the main thread free between them: a task
// over 50 ms delays input and paint (DESIGN.md budget). A step may overrun it (the first wasm
// swap compiles lazily: up to ~15 ms here), and the first slice shares its task with Core's
// start (its budget counts from run()), so 25 ms, not 50.
const SLICE_MS = 25;

// ---- DOM walking for the swap: stays in JS because crossing into wasm for every node of a
// large page costs more than the walk itself ------------------------------------------------
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'textarea', 'input', 'select',
  'option', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const SKIP_SELECTOR = [...SKIP].join(',') + ',[data-ringtrail-noswap]';
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'data', 'dfn', 'em',
  'font', 'i', 'kbd', 'label', 'mark', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr', 'nobr']);
const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;
const NOT_DIGITS = /[^0-9\uFF10-\uFF19]+/g;
const WIDE = /[\uFF10-\uFF19]/g;
const SEP = /[\x1d-\x1f]/;
const ATTR_SELECTOR = 'a[href^="tel:" i],[aria-label],[title]';

// Set by run(): the config's noswap selectors, every selector we never swap under, the targets'
// digit keys (see `keyed`), and the loader's pre-swapped text nodes (node → [original, shown]).
let noswap = '';
let skip = SKIP_SELECTOR;
let keys = [];
let orig = null;

/** The digits of `s`, full-width ones as ASCII. */
const digitsOf = (s) => s.replace(NOT_DIGITS, '').replace(WIDE, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

// The quick reject that keeps most text out of wasm. Core finds a target only where its national
// significant number is displayed with nothing but separators between its digits (before it
// come only a prefix, trunk 0 or country code, after it only an extension), so text whose
// digits do not hold the last six digits of some target (its national significant number, as
// Core parsed it) cannot hold one. A necessary condition, never a decision: Core still decides
// on all text that passes.
function keyed(s) {
  if (!HAS_DIGIT.test(s)) return false;
  const ds = digitsOf(s);
  return keys.some((k) => ds.includes(k));
}

// Whether a run's text or an attribute value goes to Core for a swap: it may hold a target
// (`keyed`) and holds none of the separators of OP_SWAP's plain-text input (U+001D to U+001F, see
// `Core::swap`). Text with one of these control characters is treated as holding no number, so
// Core's input never needs escaping (and the snippet no JSON parser).
const sendable = (s) => !SEP.test(s) && keyed(s);

function skipped(el) {
  return SKIP.has(el.localName) || el.hasAttribute('data-ringtrail-noswap') ||
    (noswap && el.matches(noswap)); // noswap: '' for none
}

// The block of a text node: its nearest ancestor that is not inline (an element, or a shadow
// root / fragment). Runs never cross a block's edge.
function blockOf(n) {
  let p = n.parentNode;
  while (p && p.nodeType === 1 && INLINE.has(p.localName)) p = p.parentNode;
  return p;
}

// Splits the text under `el` into runs at non-inline elements and skipped subtrees.
function walk(el, out, state) {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    const t = c.nodeType;
    if (t === 3) {
      // Core is always handed what the site wrote: a loader pre-swap is undone here, in the
      // task that applies Core's answer, so no frame shows the difference.
      const o = orig && orig.get(c);
      if (o) {
        orig.delete(c);
        if (c.data === o[1]) c.data = o[0];
      }
      state.push(c);
    } else if (t === 1) {
      if (skipped(c)) {
        endRun(out, state);
        continue;
      }
      const inline = INLINE.has(c.localName);
      if (!inline) endRun(out, state);
      walk(c, out, state);
      if (!inline) endRun(out, state);
    }
  }
}

function endRun(out, state) {
  if (!state.length) return;
  if (sendable(state.map((t) => t.data).join(''))) out.push(state.slice());
  state.length = 0;
}

function runsOf(blocks) {
  const runs = [];
  const state = [];
  for (const b of blocks) {
    walk(b, runs, state);
    endRun(runs, state);
  }
  return runs;
}

// Elements whose tel: href, aria-label or title may hold a number, under `roots`.
function attrsOf(roots) {
  const out = [];
  for (const r of roots) {
    if (!r || !r.isConnected || !r.querySelectorAll) continue;
    for (const el of [r, ...r.querySelectorAll(ATTR_SELECTOR)]) {
      if (el.nodeType === 1 && el.matches(ATTR_SELECTOR) && !el.closest(skip)) out.push(el);
    }
  }
  return out;
}

// Nodes added or changed by a batch of mutation records.
function mutationRoots(records) {
  return records.flatMap((rec) => (rec.type === 'childList' ? [...rec.addedNodes] : [rec.target]));
}

// POSTs `body` as text/plain (a CORS simple request: no preflight) with keepalive, so the request
// outlives the page; aborts after `timeoutMs`. Calls `done(status, retryAfterSeconds, text)`;
// status 0 means no answer (offline, DNS, CORS, timeout). fetch rejects rather than throws.
function post(url, body, timeoutMs, done) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const end = (status, ra, text) => { clearTimeout(timer); done(status, ra, text); };
  fetch(url, {
    // A string body is sent as text/plain;charset=UTF-8, in fetch's default mode: cors.
    method: 'POST', body, keepalive: body.length < 60000, credentials: 'omit', signal: ctrl.signal,
  }).then(
    (r) => {
      const ra = parseInt(r.headers.get('retry-after'), 10) || 0;
      r.text().then((t) => end(r.status, ra, t), () => end(r.status, ra, ''));
    },
    () => end(0, 0, ''),
  );
}


const ATTRS = ['href', 'aria-label', 'title'];
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
 * Starts the snippet: `wasm` the module's `start` and `call`, `config` the compiled config
 * (src/compiled.rs), `collector` the base URL ('' for none),
 * `queue` the calls made before we were ready, `pre` the loader's replay of the last page's swaps
 * (or null: see js/loader.js). Returns the function that becomes `window.ringtrail`. Throws on
 * a bad config before touching anything.
 */
export function run(wasm, config, collector, queue, pre) {
  const t0 = performance.now();
  const base = collector.replace(/\/+$/, '');
  const error = wasm.start(config, base !== '' || collector === '/', [location.href, d.referrer, location.hostname].join('\x1f'), signals());
  if (error) throw new Error(error);
  // Core's one entry point (see `call` in src/web/mod.rs): op, numbers, then strings, joined by
  // U+001F (blanked inside them); `[x] + ''` also reads a number as its text, null or undefined as ''.
  // The numbers may be booleans (the wasm reads true as 1).
  const call = (op, n, m, ...s) => wasm.call(op, s.map((x) => ([x] + '').replace(/\x1f/g, ' ')).join('\x1f'), n, m);
  const events = base + '/v1/events';
  // navigator.sendBeacon, false when unavailable or refused.
  const beacon = (body) => { try { return navigator.sendBeacon(events, body); } catch (e) { return false; } };
  const leases = base + '/v1/leases';
  const listeners = {};
  const emit = (name, detail) => { for (const f of listeners[name] || []) try { f(detail); } catch (e) { /* the site's bug */ } };
  noswap = call(OP_NOSWAP);
  skip = SKIP_SELECTOR + (noswap ? ',' + noswap : '');
  keys = call(OP_TARGET_DIGITS).split('\n').map((n) => n.slice(-6));
  let observer = null;

  // ---- swapping ---------------------------------------------------------------------------
  // Swaps under `roots` (elements, text nodes, shadow roots), yielding after each step so the
  // first scan can run in slices; returns the swaps made. The blocks (run roots) worth
  // splitting are found top-down, each subtree judged by its whole text with one native
  // textContent, so the many subtrees without a target's digits (most of a page, even one full
  // of prices, dates and times) are never walked node by node. `forced`: text nodes whose block
  // is searched whatever its text (the loader's replay: their text is not the site's).
  function* swapping(roots, forced) {
    const seen = new Set();
    const blocks = [];
    const todo = [];
    const add = (b, known) => {
      if (!b || seen.has(b)) return;
      seen.add(b);
      if ((known || keyed(b.textContent)) && (b.nodeType === 11 || (b.nodeType === 1 && !b.closest(skip)))) blocks.push(b);
    };
    for (const t of forced) add(blockOf(t), true);
    // Text or an inline element belongs to its block's runs; an element that is not inline (or
    // a shadow root) starts a search of its own, when nothing above it is skipped.
    for (const r of roots) {
      if (!r || !r.isConnected) continue;
      if (r.nodeType === 3 || (r.nodeType === 1 && INLINE.has(r.localName))) add(blockOf(r));
      else if ((r.nodeType === 11 || (r.nodeType === 1 && !r.closest(skip))) && keyed(r.textContent)) todo.push(r);
    }
    // An element known to hold a key somewhere: its own runs (text and inline children between
    // the elements that start or skip a run) make it a block; its other children holding a key
    // are searched next (an only child without testing: html > body > main hold the same text).
    // Such a run's text is never missing a piece of the run `walk` makes, so nothing that can
    // hold a target is passed over.
    while (todo.length) {
      const el = todo.pop();
      if (!el.isConnected) continue; // removed meanwhile: the observer has what comes back
      let run = '';
      let own = false;
      const kids = [];
      for (let c = el.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 3) run += c.data;
        else if (c.nodeType === 1) {
          const skip = skipped(c);
          if (!skip && INLINE.has(c.localName)) run += c.textContent;
          else {
            own = own || keyed(run);
            run = '';
            if (!skip) kids.push(c);
          }
        }
      }
      own = own || keyed(run);
      if (own) add(el, true);
      if (kids.length === 1 && !own) todo.push(kids[0]);
      else for (const c of kids) if (keyed(c.textContent)) todo.push(c);
      yield;
    }
    // A block inside another block would be split twice: keep the outermost.
    const set = new Set(blocks);
    const tops = blocks.filter((b) => {
      if (!b.isConnected) return false;
      for (let p = b.parentNode; p; p = p.parentNode) if (set.has(p)) return false;
      return true;
    });
    // Then a few blocks at a time (the attributes with the first).
    const els = attrsOf(roots);
    const all = [];
    for (let at = 0; !at || at < tops.length; yield) all.push(...apply(runsOf(tops.slice(at, (at += 8))), at > 8 ? [] : els));
    return all;
  }
  const swap = (roots) => {
    const g = swapping(roots, []);
    let r;
    while (!(r = g.next()).done);
    return r.value;
  };
  function apply(runs, els) {
    const attrs = [];
    const where = [];
    for (const el of els) for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v !== null && sendable(v)) { attrs.push(a + '\x1f' + v); where.push([el, a]); }
    }
    if (!runs.length && !attrs.length) return [];
    // Plain text, not JSON (see `Core::swap`): runs split by U+001E, their pieces by U+001F, then
    // U+001D and the attributes; the whole string as is (`call` would blank the separators).
    const out = JSON.parse(wasm.call(OP_SWAP, runs.map((r) => r.map((t) => t.data).join('\x1f')).join('\x1e') + '\x1d' + attrs.join('\x1e'), 0, 0));
    for (const [r, p, text] of out.r) runs[r][p].data = text;
    for (const [i, v] of out.a) where[i][0].setAttribute(where[i][1], v);
    if (observer) observer.takeRecords(); // our own edits are never scanned again
    for (const s of out.s) { fire('swap', s); emit('swap', s); }
    if (early) early.push(...out.s);
    return out.s;
  }
  // Swaps made before `ringtrail:ready` (while the parser is still adding the page).
  let early = [];

  // The next task: scheduler.yield() where there is one (the continuation keeps its place
  // ahead of other queued work), else a MessageChannel message (unlike setTimeout, never
  // clamped or throttled).
  const chan = new MessageChannel();
  const next = [];
  chan.port1.onmessage = () => next.shift()();
  const later = (f) => {
    const s = w.scheduler;
    const g = () => {
      try { f(); } catch (e) { console.error('[ringtrail] ' + ((e && e.message) || e)); } // a task of ours never throws at the page
    };
    if (s && s.yield) s.yield().then(g);
    else { next.push(g); chan.port2.postMessage(0); }
  };

  // The whole page, in slices of at most SLICE_MS (the first one ends at `end`). What the page
  // adds or removes meanwhile is the observer's (started first). Calls `done` when done.
  function scan(done, end) {
    const g = swapping([d.documentElement], orig ? [...orig.keys()] : []);
    const slice = (end = performance.now() + SLICE_MS) => {
      while (!g.next().done) if (performance.now() > end) return later(slice);
      done();
    };
    slice(end);
  }

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

  // ---- visits -----------------------------------------------------------------------------
  const triggers = (json) => {
    if (!json) return;
    for (const t of JSON.parse(json)) { fire('trigger', t); emit('trigger', t); }
  };
  // Navigations count once the first page view is recorded (see `start`).
  let started = false;
  const navigate = (kind) => { if (started) { triggers(call(OP_NAVIGATE, kind, 0, location.href, path())); flush(); } };
  const visibility = () => call(OP_VISIBILITY, d.visibilityState === 'visible', d.hasFocus());

  // ---- leases -----------------------------------------------------------------------------
  // A lease or heartbeat answer as Core reads it (`Lease::from_answer`): lease id, the number to
  // show, expiry and heartbeat pace (`call` makes null or absent ones ''); nothing when the body
  // is not JSON.
  const answer = (text) => {
    try {
      const a = JSON.parse(text);
      return [a.lease_id, a.display || a.number, a.expires_at, a.heartbeat_ms];
    } catch (e) { return []; }
  };
  let beat = 0;
  function heartbeats() {
    clearInterval(beat);
    const every = +call(OP_HEARTBEAT_MS);
    if (!every || d.visibilityState !== 'visible') return;
    beat = setInterval(() => {
      for (const [slot, id] of JSON.parse(call(OP_HEARTBEATS))) {
        post(leases + '/' + encodeURIComponent(id) + '/heartbeat', '{}', 5000, (status, _r, text) => call(OP_HEARTBEAT_ANSWER, slot, status, ...answer(text)));
      }
    }, every);
  }

  // ---- the JS API -------------------------------------------------------------------------
  const nfkc = (v) => (typeof v === 'string' ? v.normalize('NFKC') : '');
  // Keys and values in turn (see `Details::from_pairs`).
  const pairs = (o) => Object.keys(o || {}).flatMap((k) => [k, nfkc(o[k])]);
  const lead = (kind, channel, ps, key, value) => {
    emit('lead', JSON.parse(call(OP_LEAD, 0, 0, kind, channel, key, value, ...ps)));
    flush();
  };
  // Each command is followed by a flush (see the function run() returns).
  const commands = {
    on(name, cb) { if (typeof cb === 'function') (listeners[name] ||= []).push(cb); },
    rescan(root) { return swap([root instanceof Node ? root : d.documentElement]); },
    number(target, cb) {
      if (typeof target === 'function') { cb = target; target = undefined; }
      const n = call(OP_NUMBER, 0, 0, typeof target === 'string' ? target : '') || null;
      if (typeof cb === 'function') cb(n);
      return n;
    },
    track(name, props) {
      if (typeof name !== 'string') throw new Error('track: event name must be a string');
      call(OP_TRACK, 0, 0, name, JSON.stringify(props || {}) || '{}');
    },
    consent(yes) {
      if (typeof yes !== 'boolean') throw new Error('consent: expected true or false');
      call(OP_CONSENT, yes, signals());
    },
    identify(id, traits) {
      if (typeof id !== 'string' || !id.trim()) throw new Error('identify: user id must be a non-empty string');
      lead('identify', 'identify', pairs(traits), 'user_id', id.trim());
    },
    lead(o) { lead('lead', (o && typeof o.channel === 'string' && o.channel) || 'custom', pairs(o)); },
  };
  const api = (name, ...args) => {
    const f = commands[name];
    if (!f) throw new Error(name + ': unknown command');
    return f(...args);
  };

  // Queued on() listeners first, so they hear the first swaps (and the email-link lead).
  for (const args of queue) if (args[0] === 'on') api(...args);
  const startLead = call(OP_START_LEAD);
  if (startLead) emit('lead', JSON.parse(startLead));

  // ---- start ------------------------------------------------------------------------------
  // This task decides (Core above), listens, and scans what it can in SLICE_MS from its start;
  // the rest of the page is scanned in later tasks, so no task of ours comes near 50 ms on a
  // large page. The observer starts first: what the page adds from now on is swapped as it comes.
  observer = new MutationObserver((records) => {
    const roots = mutationRoots(records);
    if (roots.length) swap(roots);
  });
  observer.observe(d.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRS,
  });
  if (pre) {
    pre(); // the loader stops replaying; what it replayed is in `orig` for the scan
    orig = pre.m;
  }
  // `ringtrail:ready` means the first scan of the whole page is done and carries every swap
  // made until then. A loader that runs while the parser is still adding the page scans once
  // more after DOMContentLoaded, for text the parser grew in place (the observer has the rest).
  const parsing = d.readyState === 'loading';
  const ready = () => {
    if (pre) pre(1); // anything replayed that no scan reached (removed, noswap) shows the site's text again
    orig = null;
    const all = early;
    early = null;
    fire('ready', all);
  };
  const drop = call(OP_DROP_PARAM);
  if (drop) {
    try {
      const u = new URL(location.href);
      u.searchParams.delete(drop);
      history.replaceState(history.state, '', u);
    } catch (e) { /* leave the URL */ }
  }

  for (const [slot, body] of JSON.parse(call(OP_LEASE_REQUESTS))) {
    post(leases, body, LEASE_TIMEOUT_MS, (status, _r, text) => {
      if (call(OP_LEASE_ANSWER, slot, status, ...answer(text))) scan(() => {});
      heartbeats();
      flush();
    });
  }
  heartbeats();

  visibility();
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
      const h = Math.max(el.scrollHeight, d.body && d.body.scrollHeight, 1);
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
      if (body !== undefined && beacon(body)) call(OP_BEACON_SENT);
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
    for (const el of f.elements) {
      if (!el.name && !el.id) continue;
      const kind = call(OP_CLASSIFY, 0, 0, el.type || '', el.getAttribute('name') || '', el.id || '', el.getAttribute('autocomplete') || '');
      if (kind) ps.push(kind, nfkc(el.value)); // passwords and card fields are never read
    }
    lead('form_submit', 'form', ps, 'form', f.id || f.getAttribute('name') || '');
  });
  on(d, 'click', (e) => {
    const a = e.composedPath().find((n) => n.localName === 'a' && /^tel:/i.test(n.getAttribute('href')));
    if (!a) return;
    const data = call(OP_CALL_CLICK, 0, 0, a.getAttribute('href'));
    if (data) { emit('lead', JSON.parse(data)); flush(); }
  }, true);

  // The page view, then the calls queued before we were ready (through window.ringtrail, which
  // the loader has set by then), then delivery: after the first scan, so the number a visitor
  // sees comes first (as before, ringtrail:ready comes before the page view).
  const start = () => {
    started = true;
    if (d.prerendering) {
      call(OP_NAVIGATE, 6, 0, location.href, path());
      d.addEventListener('prerenderingchange', () => { visibility(); navigate(7); }, { once: true });
    } else {
      navigate(0);
    }
    for (const args of queue) if (args[0] !== 'on') w.ringtrail(...args);
    flush();
  };
  // The first slice of the scan runs in this task, as far as the budget allows (no paint of the
  // site's number in between when it is enough), the rest in the next ones.
  scan(() => {
    later(start);
    if (!parsing) ready();
    else if (d.readyState !== 'loading') scan(ready);
    else d.addEventListener('DOMContentLoaded', () => scan(ready), { once: true });
  }, t0 + SLICE_MS);
  return (name, ...args) => {
    const result = api(name, ...args);
    flush();
    return result;
  };
}
