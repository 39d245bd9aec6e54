// ringtrail loader: the only script a site owner adds.
//
//   <script async src="/pkg/loader.js" data-config="/ringtrail/config.json"
//           data-collector="https://collect.example.com"></script>
//   <script>window.ringtrail=window.ringtrail||function(){(ringtrail.q=ringtrail.q||[]).push(arguments)}</script>
//
// It finds ringtrail.js and ringtrail_bg.wasm next to itself, fetches the config (or reads it
// inline when data-config starts with "{"), starts the wasm and then replays the commands queued
// before it was ready. It never blocks rendering, and any failure leaves the page as it was with
// one console message. All logic lives in the wasm; this file only wires it up.
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

  function fail(e) {
    console.error('[ringtrail] ' + ((e && e.message) || e) + ' (the page is unchanged)');
  }

  var configText = cfg.charAt(0) === '{'
    ? Promise.resolve(cfg)
    : fetch(new URL(cfg, location.href), { credentials: 'omit' }).then(function (r) {
        if (!r.ok) throw new Error('config ' + cfg + ': HTTP ' + r.status);
        return r.text();
      });

  import(base + 'ringtrail.js')
    .then(function (m) {
      return Promise.all([m.default({ module_or_path: base + 'ringtrail_bg.wasm' }), configText]).then(
        function (r) {
          // Throws on a bad config, before touching the page; numbers already parsed are
          // swapped now and the rest as the parser adds them.
          var snippet = m.start(r[1], collector);
          var run = function (args) {
            try {
              return snippet.command(Array.prototype.slice.call(args));
            } catch (e) {
              fail(e);
            }
          };
          var q = stub.q || [];
          w.ringtrail = function () {
            return run(arguments);
          };
          for (var i = 0; i < q.length; i++) run(q[i]);
        }
      );
    })
    .catch(fail);
})();
