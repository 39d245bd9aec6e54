// ringtrail loader: the only script a site owner adds.
//
//   <script async src="/pkg/loader.js" data-config="/ringtrail/config.json"
//           data-collector="https://collect.example.com"></script>
//   <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
//
// It finds ringtrail.js and ringtrail_bg.wasm next to itself, fetches them and the config (or
// reads it inline when data-config starts with "{") in parallel, starts the wasm and then replays
// the commands queued before it was ready. It never blocks rendering, and any failure leaves the
// page as it was with one console message. All logic lives in the wasm; this file only wires it.
(function () {
  var w = window;
  var d = document;
  var script = d.currentScript;
  if (!script || w.__ringtrail_loaded) return;
  w.__ringtrail_loaded = 1;
  var base = script.src.replace(/[^/?#]*([?#].*)?$/, '');
  var attr = function (n) {
    return (script.getAttribute('data-' + n) || '').trim();
  };
  var cfg = attr('config');
  var collector = attr('collector');

  // Calls made before we are ready wait here (the site's one-liner may have made the queue first).
  var stub =
    w.ringtrail ||
    function () {
      (stub.q = stub.q || []).push(arguments);
    };
  w.ringtrail = stub;

  // A returning visitor whose numbers will change (the wasm leaves this flag) should not see the
  // site's own number flash in tel: links while the wasm loads: hide those links, at most 1.5 s.
  var veil = null;
  try {
    if (w.localStorage.getItem('ringtrail:swaps') === '1') {
      veil = d.createElement('style');
      veil.textContent = 'a[href^="tel:" i]{visibility:hidden!important}';
      (d.head || d.documentElement).appendChild(veil);
      setTimeout(unveil, 1500);
    }
  } catch (e) {
    /* storage blocked: nothing to read */
  }
  function unveil() {
    if (veil && veil.parentNode) veil.parentNode.removeChild(veil);
  }

  function fail(e) {
    unveil();
    console.error('[ringtrail] ' + ((e && e.message) || e) + ' (the page is unchanged)');
  }

  var get = function (url) {
    return fetch(new URL(url, location.href), { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r;
    });
  };
  var configText = cfg.charAt(0) === '{'
    ? Promise.resolve(cfg)
    : get(cfg).then(function (r) {
        return r.text();
      });
  // The wasm download starts now, not after the glue has loaded.
  var wasm = get(base + 'ringtrail_bg.wasm');
  // Handled below through init; this only keeps a failed download from also being reported as
  // an unhandled rejection (one console message per failure).
  wasm['catch'](function () {});

  Promise.all([import(base + 'ringtrail.js'), configText])
    .then(function (r) {
      var m = r[0];
      return m.default({ module_or_path: wasm }).then(function () {
        var q = stub.q || [];
        // Throws on a bad config, before touching the page.
        var api = m.run(r[1], collector, q);
        unveil();
        w.ringtrail = function () {
          try {
            return api.apply(null, arguments);
          } catch (e) {
            fail(e);
          }
        };
        for (var i = 0; i < q.length; i++) if (q[i][0] !== 'on') w.ringtrail.apply(null, q[i]);
      });
    })
    .catch(fail);
})();
