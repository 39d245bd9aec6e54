#!/usr/bin/env bash
# Runs every check and test; ends with one line "N passed, N failed". Exit 1 if anything failed.
# Steps: setup, fmt, clippy (host + wasm32), native tests, snippet build, wasm-bindgen tests in
# headless Chromium, Playwright e2e specs against the real collector, size report.
set -uo pipefail
cd "$(dirname "$0")/.."
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TERM_COLOR=never
LOG_DIR=target/test-logs
mkdir -p "$LOG_DIR"
passed=0
failed=0
failures=()
t0=$SECONDS

# step NAME CMD...: runs CMD, keeps its output in target/test-logs/NAME.log, counts its tests
# (the runner's own counts when it prints them, else the step as one check).
step() {
  local name=$1; shift
  local log="$LOG_DIR/$name.log" s=$SECONDS
  printf '==> %-14s ' "$name"
  "$@" >"$log" 2>&1
  local rc=$?
  local p f
  # cargo / wasm-bindgen-test: "test result: ok. 12 passed; 0 failed"; node --test: "# pass 5"
  p=$(grep -Eo '([0-9]+) passed;' "$log" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '([0-9]+) failed;' "$log" | awk '{s+=$1} END {print s+0}')
  if grep -Eq '^# pass [0-9]+' "$log"; then
    p=$(awk '/^# pass/ {s+=$3} END {print s+0}' "$log")
    f=$(awk '/^# fail/ {s+=$3} END {print s+0}' "$log")
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    if [ $rc -eq 0 ]; then p=1; else f=1; fi
  elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -eq 0 ]; then
    printf 'ok    %4d passed  (%ds)\n' "$p" $((SECONDS - s))
  else
    printf 'FAIL  %4d passed, %d failed  (%ds; log: %s)\n' "$p" "$f" $((SECONDS - s)) "$log"
    tail -n 40 "$log" | sed 's/^/    /'
    failures+=("$name")
  fi
  return $rc
}

step setup bash scripts/setup.sh || { echo "setup failed: nothing else can run"; echo "$passed passed, $((failed)) failed"; exit 1; }
step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step clippy-wasm cargo clippy -p ringtrail --lib --tests --target wasm32-unknown-unknown --features web -- -D warnings
step clippy-snippet cargo clippy -p ringtrail --lib --target wasm32-unknown-unknown --features snippet -- -D warnings
step unit cargo test --workspace
# Docs build without warnings (broken or private intra-doc links).
step doc env RUSTDOCFLAGS='-D warnings' cargo doc --no-deps --workspace
step build bash -c 'bash scripts/build-snippet.sh && cargo build -p ringtrail-collector'
step wasm-tests wasm-pack test --headless --chrome --mode no-install -- --features web
# Spec files run two at a time: each starts its own collector and browser.
step e2e node --test --test-concurrency=2 tests/e2e/
# The 40,960 B budget (DESIGN.md) gates: the snippet cannot grow past it.
step size node scripts/size-report.mjs
cat "$LOG_DIR/size.log" 2>/dev/null | sed 's/^/    /'

echo "total time $((SECONDS - t0))s${failures:+; failed: ${failures[*]}}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
