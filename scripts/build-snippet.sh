#!/usr/bin/env bash
# Builds the deployable snippet into pkg/: loader.js, ringtrail.js (glue), ringtrail_bg.wasm.
# wasm-opt comes from npm's binaryen (Debian's wasm-opt 108 emits wasm that breaks Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin

wasm-pack --quiet build --target web --release --mode no-install --no-typescript --no-pack \
  --out-dir pkg --out-name ringtrail -- --features snippet
# The features rustc enables by default for wasm32; wasm-opt must accept them to optimize.
features="--enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
# --converge repeats -Oz until nothing shrinks (about 1% of the wasm for a few seconds);
# --flatten --rereloop rebuilds the control flow first (another 0.8%). The target_features
# section only informs tools; browsers ignore it (0.1 KB).
# shellcheck disable=SC2086 # one word per flag
"$bin/wasm-opt" -Oz --flatten --rereloop -Oz --converge $features \
  --strip-debug --strip-producers --strip-target-features \
  pkg/ringtrail_bg.wasm -o pkg/ringtrail_bg.wasm
# The wasm's imports and exports must be the ones js/wasm.js (our glue, in place of the one
# wasm-bindgen writes) knows. Then the exports the glue never calls go, with the code only they
# reached (wasm-metadce, 0.2 KB), and the names of the rest are shortened (0.1 KB); the glue is
# given the short names (esbuild --defines printed by check-abi.mjs).
node scripts/check-abi.mjs check pkg/ringtrail_bg.wasm pkg/graph.json
# shellcheck disable=SC2086
"$bin/wasm-metadce" --graph-file pkg/graph.json $features pkg/ringtrail_bg.wasm \
  -o pkg/ringtrail_bg.wasm > /dev/null
# shellcheck disable=SC2086
"$bin/wasm-opt" -Oz $features pkg/ringtrail_bg.wasm -o pkg/ringtrail_bg.wasm
# shellcheck disable=SC2086
"$bin/wasm-opt" --minify-imports-and-exports-and-modules $features \
  pkg/ringtrail_bg.wasm -o pkg/ringtrail_min.wasm > pkg/abi.json
defines=$(node scripts/check-abi.mjs defines pkg/abi.json pkg/ringtrail_min.wasm)
mv pkg/ringtrail_min.wasm pkg/ringtrail_bg.wasm
rm pkg/abi.json pkg/graph.json
# One minified module: the runtime (js/runtime.js), its glue (js/wasm.js) and js/browser.js.
# shellcheck disable=SC2086 # one word per --define
"$bin/esbuild" js/runtime.js --bundle --minify --format=esm --log-level=warning $defines \
  --outfile=pkg/ringtrail.bundle.js
mv pkg/ringtrail.bundle.js pkg/ringtrail.js
"$bin/esbuild" js/loader.js --minify --log-level=warning --outfile=pkg/loader.js
# Only the three deployable files stay in pkg/.
rm -rf pkg/.gitignore pkg/README.md pkg/package.json pkg/*.d.ts pkg/snippets
