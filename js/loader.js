// ringtrail loader: the only script a site owner adds.
//
//   <script async src="/pkg/loader.js" data-config="/ringtrail/config.json"
//           data-collector="https://collect.example.com"></script>
//   <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
//
// It finds ringtrail.js and ringtrail_bg.wasm next to itself, fetches them and the config (or
// reads it inline; see configText) in parallel, starts the wasm and then replays the commands
// queued before it was ready. It never blocks rendering, and any failure leaves the page as it
// was with one console message. All logic lives in the wasm; this file only wires it.
(() => {
  var w = window;
  var d = document;
  var script = d.currentScript;
  if (!script || w.__ringtrail_loaded) return;
  w.__ringtrail_loaded = 1;
  var base = script.src.replace(/[^/?#]*([?#].*)?$/, '');
  var attr = (n) => (script.dataset[n] || '').trim(); // data-config, data-collector
  var cfg = attr('config');
  var collector = attr('collector');

  // Calls made before we are ready wait here (the site's one-liner may have made the queue first).
  var stub =
    w.ringtrail ||
    function () {
      (stub.q = stub.q || []).push(arguments);
    };
  w.ringtrail = stub;

  // A returning visitor must never see the site's own number first, yet the wasm only arrives
  // after the first paint. The last page's Core left the swaps it made, as displayed: a header
  // (until when the visitor's source holds, in ms; the config's noswap selectors), then one
  // "before<TAB>after" line per number. Until the runtime starts, a MutationObserver (its
  // callbacks run before any rendering) replays them on the text the parser inserts, and keeps
  // each node's original text: the runtime hands Core the original and applies Core's answer in
  // the same task, so a different decision is corrected before the next frame. Not replayed when
  // this visit may bring a new source (utm_ or click id in the URL, a referrer from elsewhere):
  // Core decides first then. Why not hide the page until the swap (anti-flicker snippets of A/B
  // tools): that delays every paint of every page, for a number we already know.
  var pre = null;
  try {
    var lines = localStorage.getItem('ringtrail:swaps').split('\n');
    var head = lines.shift().split('\t');
    var ref = d.referrer.split('/')[2];
    if (lines.length && head[0] > Date.now() && !/utm_|clk?id|braid|fat_id/i.test(location.search) &&
        (!ref || ref === location.host)) {
      // Never where Core does not swap (a template's content and noscript text never show; what
      // the runtime's scan does not reach is put back after it anyway).
      var skip = 'script,style,textarea,title,svg,[data-ringtrail-noswap]' + (head[1] ? ',' + head[1] : '');
      d.documentElement.matches(skip); // a bad selector throws here, not in the observer
      var orig = new Map();
      var text = (t) => {
        var s = t.data;
        var p = t.parentElement;
        lines.forEach((l) => {
          l = l.split('\t');
          for (var i = 0; (i = s.indexOf(l[0], i)) >= 0;) {
            var j = i + l[0].length;
            // Never inside a longer digit run.
            if (/[0-9\uFF10-\uFF19]/.test(s.charAt(i - 1) + s.charAt(j))) i = j;
            else (s = s.slice(0, i) + l[1] + s.slice(j)), (i += l[1].length);
          }
        });
        if (s !== t.data && !(p && p.closest(skip))) {
          orig.set(t, [t.data, s]);
          t.data = s;
        }
      };
      var node = (n) => {
        // A text node, or the text under an element (NodeFilter.SHOW_TEXT).
        for (var tw = d.createTreeWalker(n, 4), t = n; t; t = tw.nextNode()) if (t.nodeType === 3) text(t);
      };

      var added = (rs) => rs.forEach((r) => r.addedNodes.forEach(node));
      var mo = new MutationObserver(added);
      mo.observe(d, { childList: true, subtree: true });
      node(d.documentElement);
      // The runtime calls pre() when it takes over, pre(1) after its first scan and on failure:
      // whatever it did not reach shows the site's own text again.
      pre = (undo) => {
        added(mo.takeRecords());
        mo.disconnect();
        if (undo) orig.forEach((o, t) => {
          if (t.data === o[1]) t.data = o[0];
        });
      };
      pre.m = orig;
    }
  } catch (e) {
    /* nothing stored, storage blocked: the runtime swaps as usual */
  }

  var fail = (e) => console.error('[ringtrail] ' + ((e && e.message) || e) + ' (the page is unchanged)');

  var get = (url) =>
    fetch(new URL(url, location.href), { credentials: 'omit' }).then((r) => {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r;
    });
  // The wasm reads compiled configs only (src/compiled.rs): the collector serves its sites'
  // configs compiled at /v1/config/{site}, and compiles a JSON one (inline, or at another URL)
  // on POST /v1/config, answering a bad one with the line to log (its JSON path first).
  // `ringtrail compile` prints one for a site to serve or inline itself.
  // Inline: JSON, a compiled config as a JSON string, or as is (its U+001F separators).
  var configText = (/^["{]|\x1f/.test(cfg) ? Promise.resolve(cfg) : get(cfg).then((r) => r.text()))
    .then((t) => {
      t = t.trim();
      // Compiled, as a JSON string (`ringtrail compile`, /v1/config/{site}) or as is.
      if (t[0] === '"') return JSON.parse(t);
      if (t[0] !== '{') return t;
      if (!collector) throw new Error('config error: a JSON config needs data-collector (or `ringtrail compile`)');
      return fetch(new URL(collector.replace(/\/+$/, '') + '/v1/config', location.href), {
        method: 'POST', body: t, credentials: 'omit'
      }).then((r) => r.json().catch(() => ({ error: 'config: HTTP ' + r.status })))
        .then((j) => {
          if (j.compiled) return j.compiled;
          throw new Error(j.message || j.error);
        });
    });
  // The wasm download starts now, not after the glue has loaded.
  var wasm = get(base + 'ringtrail_bg.wasm');
  // Handled below through init; this only keeps a failed download from also being reported as
  // an unhandled rejection (one console message per failure).
  wasm['catch'](() => {});

  Promise.all([import(base + 'ringtrail.js'), configText])
    .then(([m, config]) => m.default(wasm).then(() => {
      // Throws on a bad config, before touching the page. Replays the queued calls itself,
      // after the page view.
      var api = m.run(config, collector, stub.q || [], pre);
      w.ringtrail = (...args) => {
        try {
          return api(...args);
        } catch (e) {
          fail(e);
        }
      };
    }))
    .catch((e) => {
      if (pre) pre(1);
      fail(e);
    });
})();
