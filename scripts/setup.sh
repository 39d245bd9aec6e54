#!/usr/bin/env bash
# Installs what the demo and the tests need, only what is missing (fast when nothing is):
# Debian's chromium + chromedriver, the wasm32 target, wasm-pack, wasm-bindgen-cli at the exact
# version in Cargo.lock, and the npm dev tools (playwright-core, binaryen's wasm-opt, esbuild).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium and chromium-driver (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly, or the glue and the wasm disagree.
wbv=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
pids=()
if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack (cargo install --locked)"
  cargo install --locked --quiet wasm-pack & pids+=($!)
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbv" ]; then
  log "installing wasm-bindgen-cli $wbv"
  # Not --locked: the CLI's own lock file pins crates that no longer build with current rustc.
  cargo install --quiet --force wasm-bindgen-cli --version "$wbv" & pids+=($!)
fi
for p in "${pids[@]}"; do wait "$p"; done

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
