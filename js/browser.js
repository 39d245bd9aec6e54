// DOM walking for the swap: the one hot loop that stays in JS, because crossing into wasm for
// every node of a large page costs more than the walk itself. It only *collects*: text runs
// (the text nodes of one inline run, e.g. `<span>(03)</span> 1234-5678`) that hold enough
// digits to contain a phone number, and elements whose tel: href, aria-label or title might.
// All matching and rewriting is Rust (src/phone.rs, src/swap.rs).

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'textarea', 'input', 'select',
  'option', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const SKIP_SELECTOR = [...SKIP].join(',') + ',[data-ringtrail-noswap]';
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'data', 'dfn', 'em',
  'font', 'i', 'kbd', 'label', 'mark', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr', 'nobr']);
const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;
const DIGITS = /[0-9\uFF10-\uFF19]/g;
const ATTRS = 'a[href^="tel:" i],[aria-label],[title]';

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
        flush(out, state, min);
        continue;
      }
      const inline = INLINE.has(c.localName);
      if (!inline) flush(out, state, min);
      walk(c, noswap, min, out, state);
      if (!inline) flush(out, state, min);
    }
  }
}

function flush(out, state, min) {
  if (state.digits >= min) out.push(state.run);
  if (state.run.length) state.run = [];
  state.digits = 0;
}

// Roots: elements, text nodes or shadow roots. Finds the text nodes with a digit with the
// browser's own TreeWalker (fast, even cold), then splits only their blocks into runs, so a
// large page with few numbers costs little more than one native pass.
// Returns [runs, attributeElements].
export function collect(roots, noswap, min) {
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
      if (r.nodeType === 1 && r.matches(ATTRS) && runRoot(r, noswap)) attrs.push(r);
      for (const el of r.querySelectorAll(ATTRS)) if (!el.closest(skip)) attrs.push(el);
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
    flush(runs, state, min);
  }
  return [runs, attrs];
}

// Nodes added or changed by a batch of mutation records.
export function mutationRoots(records) {
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
export function post(url, body, timeoutMs, done) {
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
export function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}

// Calls `cb(1)` after history.pushState and `cb(2)` after history.replaceState (SPA routers).
export function hookHistory(cb) {
  ['pushState', 'replaceState'].forEach((name, i) => {
    const orig = history[name];
    if (typeof orig !== 'function') return;
    history[name] = function () {
      const result = orig.apply(this, arguments);
      try { cb(i + 1); } catch (e) { /* never break the site's router */ }
      return result;
    };
  });
}

// How far down the page the visitor has seen, 0..100.
export function scrollDepth() {
  const el = document.documentElement;
  const h = Math.max(el.scrollHeight, document.body ? document.body.scrollHeight : 0, 1);
  return Math.min(100, Math.round(((window.scrollY + window.innerHeight) * 100) / h));
}

// The form controls of a submitted form that have a name or id (values are read by the wasm,
// and only for fields it may read: never passwords or card data).
export function formControls(form) {
  return Array.from(form.elements || []).filter((e) => e.name || e.id);
}

// The closest <form> for a submit event's target (works across shadow roots via composedPath).
export function submittedForm(ev, selector) {
  const f = ev.target;
  return f && f.nodeType === 1 && f.localName === 'form' && f.matches(selector) ? f : null;
}

// The tel: link a click landed on, if any.
export function telLink(ev) {
  const path = ev.composedPath ? ev.composedPath() : [];
  for (const n of path) if (n.nodeType === 1 && n.localName === 'a' && /^tel:/i.test(n.getAttribute('href') || '')) return n;
  return null;
}

// Removes `param` from the address bar without a reload or a history entry.
export function dropParam(param) {
  try {
    const u = new URL(location.href);
    if (!u.searchParams.has(param)) return;
    u.searchParams.delete(param);
    history.replaceState(history.state, '', u.pathname + u.search + u.hash);
  } catch (e) { /* old browsers: leave the URL */ }
}
