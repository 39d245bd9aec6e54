// ---- storage: localStorage when it works and is allowed, memory otherwise -------------------
const PREFIX = 'ringtrail:';
const mem = new Map();
let local = null;

function probe() {
  try {
    const s = window.localStorage;
    s.setItem(PREFIX + 'probe', '1');
    s.removeItem(PREFIX + 'probe');
    return s;
  } catch (e) { /* Safari private mode, blocked cookies, sandboxed frames */ }
  return null;
}

function storeGet(k) {
  try {
    // The consent answer is read (never written) before anything may be stored.
    const s = local || (k === 'consent' && !mem.has(k) && window.localStorage);
    const v = s ? s.getItem(PREFIX + k) : null;
    if (v !== null) return v;
  } catch (e) { /* blocked: fall through to memory */ }
  return mem.get(k);
}

function storeSet(k, v) {
  try {
    // The visitor's consent answer itself is remembered even when nothing else may be.
    if (local) {
      local.setItem(PREFIX + k, v);
      mem.delete(k);
      return;
    }
    if (k === 'consent') return window.localStorage.setItem(PREFIX + k, v);
  } catch (e) { /* quota or blocked: keep it in memory */ }
  mem.set(k, v);
}

function storeRemove(k) {
  mem.delete(k);
  if (local) try { local.removeItem(PREFIX + k); } catch (e) { /* ignore */ }
}

// The keys of ours in storage `s`, without the prefix.
function ours(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const k = s.key(i);
    if (k && k.startsWith(PREFIX)) out.push(k.slice(PREFIX.length));
  }
  return out;
}

function storeKeys(prefix) {
  const out = new Set();
  for (const k of mem.keys()) if (k.startsWith(prefix)) out.add(k);
  if (local) try { for (const k of ours(local)) if (k.startsWith(prefix)) out.add(k); } catch (e) { /* blocked */ }
  return [...out].join('\n');
}

function storePersist(on) {
  if (!on) { local = null; return; }
  if (local) return;
  local = probe();
  if (local) for (const [k, v] of [...mem]) storeSet(k, v);
}

function storeForget() {
  mem.clear();
  const s = local;
  local = null;
  try {
    const t = s || window.localStorage;
    ours(t).forEach((k) => t.removeItem(PREFIX + k));
  } catch (e) { /* blocked */ }
}

// The wasm's one number import (see `host`): 0 the time (Date.now()), 1 32 random bits.
export function num(op) {
  if (!op) return Date.now();
  try { return crypto.getRandomValues(new Uint32Array(1))[0]; } catch (e) { return (Math.random() * 4294967296) >>> 0; }
}

// The wasm's one string import (each import costs its own glue and a long name in both files):
// `op` numbered as `HostOp` in src/web/mod.rs; `a` and `b` are '' when unused.
export function host(op, a, b) {
  switch (op) {
    case 0: return storeGet(a);
    case 1: return storeSet(a, b);
    case 2: return storeRemove(a);
    case 3: return storeKeys(a);
    case 4: return storeForget();
    case 5: // storage off (5) or on (6)
    case 6: return storePersist(op === 6);
    case 7: return location.href;
    case 8: return document.title;
    default: console.error('[ringtrail] ' + a);
  }
}

// What the wasm imports from the browser: storage with a memory fallback, randomness, the
// page's URL and title, and one way to log. Everything else browser-side is js/run.js. It only *collects*: text runs
// (the text nodes of one inline run, e.g. `<span>(03)</span> 1234-5678`) that hold enough
// digits to contain a phone number, and elements whose tel: href, aria-label or title might.
// All matching and rewriting is Rust (src/phone.rs, src/swap.rs).
