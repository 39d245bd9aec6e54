#!/usr/bin/env bash
# The wasm cost of one piece of the snippet: builds a tiny no_std cdylib that calls EXPR
# (a Rust expression over `s: &str`, returning something `Into<JsValue>`... or a String) and
# prints its gzip -9 size minus an empty probe's. Run it before and after a change to a module.
#   bash scripts/size-probe.sh 'ringtrail::json::parse(s).is_ok()'
#   bash scripts/size-probe.sh 'ringtrail::phone::PhoneNumber::parse(s, ringtrail::phone::Region::JP).is_ok()'
set -euo pipefail
shopt -s inherit_errexit # a probe that does not compile fails the script, not "0 B"
root=$(cd "$(dirname "$0")/.." && pwd)
expr=${1:?usage: size-probe.sh RUST_EXPR}
dir=${PROBE_DIR:-/tmp/ringtrail-size-probe}
export CARGO_TARGET_DIR=${PROBE_TARGET:-/tmp/ringtrail-size-probe-target}
mkdir -p "$dir/src"
wbv=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "probe"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[dependencies]
ringtrail = { path = "$root", default-features = false, features = ["nostd"] }
wasm-bindgen = { version = "=$wbv", default-features = false }
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
[workspace]
TOML
cp "$root/Cargo.lock" "$dir/Cargo.lock" 2>/dev/null || true
measure() {
  cat > "$dir/src/lib.rs" <<RS
#![no_std]
extern crate ringtrail;
extern crate alloc;
use wasm_bindgen::prelude::*;
#[wasm_bindgen]
pub fn probe(s: &str) -> JsValue {
    #[allow(unused_imports)]
    use alloc::string::ToString;
    let r = { $1 };
    JsValue::from(r)
}
RS
  (cd "$dir" && cargo build -q --release --target wasm32-unknown-unknown)
  local out; out=$(mktemp -d)
  wasm-bindgen "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/probe.wasm" --out-dir "$out" --target web
  "$root/node_modules/.bin/wasm-opt" -Oz --strip-debug --strip-producers --enable-bulk-memory \
    --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-multivalue "$out/probe_bg.wasm" -o "$out/x.wasm"
  gzip -9c "$out/x.wasm" | wc -c
  rm -rf "$out"
}
base=$(measure '{ let mut t = alloc::string::String::from(s); t.push(char::from(b"x"[0])); t.extend(s.chars().rev()); t }')
with=$(measure "$expr")
echo "probe: $((with - base)) B gzip -9 over a probe that only allocates ($with total, $base base): $expr"
