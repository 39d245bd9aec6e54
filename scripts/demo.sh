#!/usr/bin/env bash
# Builds the snippet and the collector, then serves the demo site, the snippet and the collector
# on one loopback port. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-snippet.sh
cargo build --quiet -p ringtrail-collector
addr=${RINGTRAIL_ADDR:-127.0.0.1:8787}
db=${RINGTRAIL_DB:-data/ringtrail.db}
# Where cargo put it (CARGO_TARGET_DIR when set: an old binary in ./target would serve a config
# the new snippet refuses).
bin=${CARGO_TARGET_DIR:-target}/debug/ringtrail
cat <<MSG

  ringtrail demo
  ──────────────
  Site, untagged:        http://$addr/index.html
  Site, tagged campaign: http://$addr/index.html?utm_source=campaign&utm_medium=cpc   (shows 03-5555-0101)
  Site, ad click:        http://$addr/index.html?gclid=demo-click                     (shows 03-9999-0001)
  Site, pool number:     http://$addr/index.html?utm_source=banner&utm_medium=display (leases 03-5555-100x)
  Pricing (chat trigger after 10 s): http://$addr/pricing.html
  Reports:               http://$addr/
  Data (SQLite):         $db
  Config:                www/ringtrail/config.json  (also served at /v1/config/demo)
  A test call to the number you were shown (no telephony account needed):
    $bin call --collector http://$addr --site demo --to 03-5555-1001 \\
      --secret demo-webhook-secret
  Ctrl-C stops it.

MSG
exec "$bin" serve --addr "$addr" --db "$db" --www www --mount /pkg=pkg \
  --config www/ringtrail/config.json --webhook-secret demo=demo-webhook-secret
