#!/usr/bin/env bash
# The README's second command (and what .ci/run calls): builds once and runs every test.
#   0. the portal's bundle (web/dist: npm ci + esbuild), which the browser test opens
#   1. one build with clang, AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/): the
#      libraries, the binary, the tests and the libFuzzer targets (not the benchmarks: no test
#      runs them, and the release build of scripts/setup.sh compiles them)
#   2. every test under the sanitizers: unit, property, golden CLI, schema, store (with a real
#      PostgreSQL), kill -9, history, server, browser (headless chromium), install (ctest)
#   3. libFuzzer smoke runs over the committed corpora (FUZZ_SECONDS each, default 10: CI has 30 minutes)
#   4. clang-format check
# One build, not a release build besides: two builds of everything did not fit CI's 30 minutes on
# two cores. The release build is the README's first command (scripts/setup.sh); its tests run
# with `ctest --test-dir build`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

failed=0
passed=0
step() {  # name, command...
    local name=$1
    shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== FAILED: $name"; fi
}

build() { cmake --preset "$1" >/dev/null && cmake --build --preset "$1"; }

step "portal bundle" bash scripts/build-web.sh
step "asan+ubsan build" build asan
step "asan+ubsan tests" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2
fuzz_smoke() {
    local seconds=${FUZZ_SECONDS:-10}
    local targets=(build-asan/tests/fuzz_*)
    [ -x "${targets[0]}" ] || { echo "no fuzz targets were built"; return 1; }
    for target in "${targets[@]}"; do
        local name=${target##*/fuzz_}
        local corpus=tests/fuzz/corpus/$name
        [ -d "$corpus" ] || { echo "no corpus $corpus"; return 1; }
        local scratch
        scratch=$(mktemp -d)
        echo "fuzz $name: ${seconds}s"
        ASAN_OPTIONS=detect_leaks=0 "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
            -print_final_stats=0 "$scratch" "$corpus" 2>&1 | tail -1 || { rm -rf "$scratch"; return 1; }
        rm -rf "$scratch"
    done
}
step "fuzz smoke" fuzz_smoke
format_check() {
    find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror
}
step "clang-format" format_check

echo "test.sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
