// Deterministic 10,000-node page for the swap benchmark: a product/clinic site's worth of nested
// sections, cards, lists and tables with ordinary digits (prices, dates, times, order ids,
// other phone numbers) and 50 occurrences of the demo config's targets in assorted formats.

/** mulberry32: a small seeded PRNG so every run measures the same page. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('dental clinic cleaning whitening implant checkup appointment morning evening weekday ' +
  'weekend consultation insurance price course visit station minutes walk floor building reception ' +
  'doctor hygienist children family gentle modern equipment booking online parking available ' +
  '予約 診療 歯科 料金 駅 徒歩 分 受付 土曜 日曜 祝日 初診 保険 自費 相談').split(' ');

/**
 * The 50 numbers: [html, digits the visitor reads after a campaign swap, split across elements?].
 * Every one is surrounded by whitespace or punctuation (numbers glued to a following element are
 * a known open issue, see tests/e2e/dni.test.mjs).
 */
const FORMATS = [
  ['Call 03-1234-5678 today', false],
  ['Tokyo office: <span>(03)</span> 1234-5678 (weekdays)', true],
  ['Phone 03-<b>1234</b>-5678.', true],
  ['全角 ０３－１２３４－５６７８ まで', false],
  ['International +81 3-1234-5678 .', false],
  ['<a href="tel:0312345678">03-1234-5678</a> ', false],
  ['Free dial 0120-111-222 (24h)', false],
  ['Free: <span>0120</span>-<span>111</span>-<span>222</span> .', true],
  ['Tel 03 1234 5678 ext. none', false],
  ['フリーダイヤル 0120-111-222 へ', false],
];

export const OCCURRENCES = 50;

/**
 * Returns { html, body, nodes, occurrences, split } where `body` is the inner HTML of
 * #content (what the benchmark re-inserts as a fresh copy), `nodes` the element + text node
 * count of #content, `split` how many of the occurrences span several elements.
 */
export function generatePage({ targetNodes = 10000, seed = 4 } = {}) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const digits = () => pick([
    () => `¥${int(1, 99)},${String(int(0, 999)).padStart(3, '0')}`,
    () => `2024-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`,
    () => `${int(8, 11)}:00–${int(17, 20)}:30`,
    () => `order #${int(100000, 999999)}${int(100000, 999999)}`,
    () => `0${int(4, 9)}-${int(1000, 9999)}-${int(1000, 9999)}`, // another number, not a target
    () => `${int(1, 30)} min walk`,
    () => `${int(1, 9)}F, ${int(1, 5)}-${int(1, 30)}-${int(1, 20)} Shibuya`,
  ])();

  let nodes = 0; // elements + text nodes inside #content (approximate: the browser counts exactly)
  const paragraphs = []; // indexes into `parts` where a number may be appended
  const parts = [];
  const text = (s) => { nodes += 1; return s; };
  const el = (tag, inner, attrs = '') => { nodes += 1; return `<${tag}${attrs}>${inner}</${tag}>`; };

  const inline = () => {
    const k = r();
    if (k < 0.25) return el('span', text(words(int(1, 3))));
    if (k < 0.4) return el('a', text(words(int(1, 3))), ` href="/p/${int(1, 999)}"`);
    if (k < 0.5) return el('strong', text(digits()));
    if (k < 0.6) return el('em', text(words(2)));
    return el('span', text(digits()), ' class="meta"');
  };
  const para = () => {
    let inner = text(words(int(3, 12)) + ' ');
    for (let i = int(0, 3); i > 0; i--) inner += inline() + text(` ${words(int(1, 5))} `);
    return el('p', inner);
  };
  const card = () => {
    let inner = el('h3', text(words(int(2, 4))));
    for (let i = int(1, 3); i > 0; i--) {
      // A marker, so 50 of the paragraphs can get a number once the page's size is known.
      paragraphs.push(parts.length);
      parts.push(para());
      inner += `\u0000${parts.length - 1}\u0000`;
    }
    if (r() < 0.4) {
      let li = '';
      for (let i = int(2, 5); i > 0; i--) li += el('li', text(`${words(2)} `) + el('span', text(digits())));
      inner += el('ul', li);
    }
    if (r() < 0.25) {
      let rows = '';
      for (let i = int(2, 4); i > 0; i--) rows += el('tr', el('td', text(words(2))) + el('td', text(digits())));
      inner += el('table', el('tbody', rows));
    }
    return el('div', inner, ' class="card"');
  };

  let html = '';
  while (nodes < targetNodes) {
    let section = el('h2', text(words(3)));
    for (let i = int(2, 4); i > 0; i--) section += card();
    html += el('section', el('div', section, ' class="inner"'));
  }
  // Fill paragraphs, 50 of them (spread evenly) with a phone number.
  const step = paragraphs.length / OCCURRENCES;
  const withNumber = new Map();
  for (let i = 0; i < OCCURRENCES; i++) withNumber.set(paragraphs[Math.floor(i * step)], FORMATS[i % FORMATS.length]);
  let split = 0;
  html = html.replace(/\u0000(\d+)\u0000/g, (_, idx) => {
    const p = parts[Number(idx)];
    const f = withNumber.get(Number(idx));
    if (!f) return p;
    if (f[1]) split += 1;
    // The numbers' own nodes: count them so `nodes` stays exact.
    nodes += (f[0].match(/<[a-z]/g) || []).length + (f[0].match(/>[^<]+</g) || []).length + 1;
    return p.replace(/<\/p>$/, ` ${f[0]}</p>`);
  });
  return { body: html, nodes, occurrences: OCCURRENCES, split };
}

/** A whole document around `body`; `snippet` adds the loader at the end of <body>. */
export function documentFor(body, { snippet }) {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ringtrail swap benchmark</title>
<style>body{font:14px/1.5 sans-serif;margin:0 auto;max-width:60rem}.card{padding:.5rem;border:1px solid #ddd;margin:.5rem}</style>
${snippet ? '<script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>' : ''}
</head><body><div id="content">${body}</div>
${snippet ? `<script>performance.mark('bench:loader-tag')</script>
<script async src="/pkg/loader.js" data-config="/v1/config/demo" data-collector="/"></script>` : ''}
</body></html>`;
}
