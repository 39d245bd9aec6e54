#!/usr/bin/env bash
# Where the snippet's bytes go: rebuilds the wasm with symbol names kept and prints twiggy's top
# items and a per-module sum (needs `cargo install twiggy`). Usage: bash scripts/size-profile.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
cargo build --quiet --lib --release --target wasm32-unknown-unknown --features snippet
wasm-bindgen "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/ringtrail.wasm" --out-dir "$out" --target web
node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  "$out/ringtrail_bg.wasm" -o "$out/named.wasm"
twiggy top -n "${1:-25}" "$out/named.wasm"
twiggy top -n 100000 --format csv "$out/named.wasm" | python3 -c '
import csv, re, sys, collections
agg = collections.Counter()
for r in csv.DictReader(sys.stdin):
    n, s = r["Name"], int(r["ShallowSize"])
    m = re.search(r"ringtrail::([a-z_]+(?:::[a-z_]+)?)", n)
    key = ("ringtrail::" + m.group(1)) if m else ("data" if n.startswith("data segment") else
          "names" if "names" in n else "alloc" if ("dlmalloc" in n or "lol_alloc" in n) else "sort" if "sort" in n else
          "fmt" if "fmt" in n else "js-glue" if re.search("wasm_bindgen|js_sys|web_sys|externref|shim", n) else "core/alloc")
    agg[key] += s
for k, v in agg.most_common(30): print(f"{v:8d}  {k}")
'
rm -rf "$out"
