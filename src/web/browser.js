// DOM walking for the swap: the one hot loop that stays in JS, because crossing into wasm for
// every node of a large page costs more than the walk itself. It only *collects*: text runs
// (the text nodes of one inline run, e.g. `<span>(03)</span> 1234-5678`) that hold enough
// digits to contain a phone number, and elements whose tel: href, aria-label or title might.
// All matching and rewriting is Rust (src/phone.rs, src/swap.rs).

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'textarea', 'input', 'select',
  'option', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'data', 'dfn', 'em',
  'font', 'i', 'kbd', 'label', 'mark', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr', 'nobr']);
const DIGIT = /[0-9\uFF10-\uFF19]/g;
const ATTRS = 'a[href^="tel:" i],[aria-label],[title]';

function skipped(el, noswap) {
  return SKIP.has(el.localName) || el.hasAttribute('data-ringtrail-noswap') ||
    (noswap !== '' && el.matches(noswap));
}

// The nearest ancestor that starts a run (not an inline element), or null when `node` sits in
// a subtree we never touch.
function runRoot(node, noswap) {
  let el = node.nodeType === 1 ? node : node.parentElement;
  let root = null;
  for (; el; el = el.parentElement) {
    if (skipped(el, noswap)) return null;
    if (!root && !INLINE.has(el.localName)) root = el;
  }
  return root;
}

function walk(el, noswap, min, out, state) {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    const t = c.nodeType;
    if (t === 3) {
      const m = c.data.match(DIGIT);
      if (m) state.digits += m.length;
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

// Roots: elements or text nodes; overlapping roots are scanned once.
// Returns [runs, attributeElements].
export function collect(roots, noswap, min) {
  const tops = [];
  for (const n of roots) {
    const r = runRoot(n, noswap);
    if (r && !tops.some((t) => t === r || t.contains(r))) {
      for (let i = tops.length - 1; i >= 0; i--) if (r.contains(tops[i])) tops.splice(i, 1);
      tops.push(r);
    }
  }
  const runs = [];
  const attrs = [];
  for (const r of tops) {
    const state = { run: [], digits: 0 };
    walk(r, noswap, min, runs, state);
    flush(runs, state, min);
    const found = r.querySelectorAll(ATTRS);
    if (r.matches(ATTRS)) attrs.push(r);
    for (const el of found) if (runRoot(el, noswap)) attrs.push(el);
  }
  return [runs, attrs];
}

// Roots touched by a batch of mutations: added nodes and changed text.
export function mutationRoots(records) {
  const roots = [];
  for (const rec of records) {
    if (rec.type === 'characterData') roots.push(rec.target);
    else for (const n of rec.addedNodes) if (n.isConnected) roots.push(n);
  }
  return roots;
}

// POSTs `body` as text/plain (a CORS simple request: no preflight) with keepalive, so the request
// outlives the page; aborts after `timeoutMs`. Calls `done(status, retryAfterSeconds)`; status 0
// means no answer (offline, DNS, CORS, timeout).
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
    (r) => { clearTimeout(timer); done(r.status, parseInt(r.headers.get('retry-after'), 10) || 0); },
    () => { clearTimeout(timer); done(0, 0); },
  );
}

// navigator.sendBeacon, false when unavailable or refused.
export function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}
