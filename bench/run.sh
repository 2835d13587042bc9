#!/usr/bin/env bash
# bench/run.sh: the benchmarks of BENCHMARKS.md, on synthetic data written for the run.
#
#   bench/run.sh [--quick] [--keep] [--jobs N] [--build-dir DIR]
#
# 1. Builds the release preset (build/) if needed: `cmake --preset release`, then
#    `cmake --build --preset release` for the programs used here.
# 2. Writes a synthetic cluster and its traffic into a temporary directory with netpolgen_synth.
# 3. Runs (a) build/bench/bench_ingest on the canonical and Hubble files, if it exists (it prints
#    its own table, ratios to a bare simdjson pass); (b) build/bench/bench_generate (generation on
#    an in-memory cluster, ratio to sorting the edges); (c) the memory-flatness check: `netpolgen
#    generate` under /usr/bin/time -v on N and 10·N lines of the same traffic (same distinct edges),
#    peak RSS of both and their ratio (target: ≤ 1.10), lines/s of the whole command and its ratio
#    to `wc -l` over the same file; (d) the store (BENCHMARKS.md "Store"): `netpolgen ingest` of the
#    small canonical file into a new SQLite store against `netpolgen generate --flows` on the same
#    file (best of 3 each; target time_generate / time_ingest ≥ 0.7), the cost of hashing the input
#    (bench_ingest_hash), and `netpolgen generate --db --since 7d` on a store of `store_days` days ×
#    `gen_edges` distinct edges a day built by bench_store (target < 3 s), against `generate --flows`
#    on a file holding the same edges once each; (e) `netpolgen serve` on that store
#    (bench/serve_scale.sh: graph and generate requests, target < 1 s and < 3 s).
# 4. Prints a markdown summary to paste into BENCHMARKS.md.
#
# Default sizes (30–70 s on 2 cores plus the build, ~2.5 GB in the temporary directory): a 10,000-workload
# cluster with 100,000 distinct edges, 1M and 10M canonical lines, 1M Hubble lines; bench_generate
# at 10,000 workloads and 1,000,000 edges; a store of 30 days × 1,000,000 edges (30M rows, ~1.1 GB,
# 3–5 min to build; reused across runs with BENCH_TMP). --quick: 2,000 workloads, 20,000 edges,
# 300k and 3M lines, 100k Hubble lines, bench_generate at 2,000 workloads and 100,000 edges, a store
# of 10 days × 100,000 edges.
# --build-dir DIR uses an already configured Release build directory instead of the preset's build/
# (to stay out of a build/ that someone else is compiling in). --keep keeps the data.
# Environment: BENCH_TMP (where the data goes; default a new directory under /tmp).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
quick=0
keep=0
jobs=2
preset=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --keep) keep=1 ;;
        --jobs) jobs=${2:?--jobs needs a number}; shift ;;
        --build-dir) build=$(cd "${2:?--build-dir needs a directory}" && pwd); preset=0; shift ;;
        -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    workloads=2000 namespaces=40 label_sets=60 edges=20000
    small_lines=300000 big_lines=3000000 hubble_lines=100000
    gen_workloads=2000 gen_edges=100000 gen_namespaces=40 gen_label_sets=60
    store_days=10
else
    workloads=10000 namespaces=100 label_sets=200 edges=100000
    small_lines=1000000 big_lines=10000000 hubble_lines=1000000
    gen_workloads=10000 gen_edges=1000000 gen_namespaces=100 gen_label_sets=200
    store_days=30
fi

section() { printf '\n== %s ==\n' "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%.1fM", n / 1e6; else if (n >= 1e3) printf "%.0fk", n / 1e3; else printf "%d", n }'; }

# ---- 1. build ------------------------------------------------------------------------------------
cd "$root"
targets=(netpolgen netpolgen_synth bench_generate bench_store bench_ingest_hash)
[ -f "$root/bench/bench_ingest.cpp" ] && targets+=(bench_ingest)
if [ "$preset" = 1 ]; then
    section "build (release preset, $build)"
    if [ ! -f "$build/build.ninja" ]; then
        cmake --preset release
    fi
    build_command=(cmake --build --preset release --target "${targets[@]}" -j "$jobs")
else
    section "build ($build)"
    build_command=(cmake --build "$build" --target "${targets[@]}" -j "$jobs")
fi
if ! "${build_command[@]}"; then
    echo "bench/run.sh: the build failed; going on with the programs already built" >&2
fi
for program in netpolgen bench/netpolgen_synth bench/bench_generate; do
    if [ ! -x "$build/$program" ]; then
        echo "bench/run.sh: $build/$program is missing" >&2
        exit 1
    fi
done

# ---- 2. data -------------------------------------------------------------------------------------
data=${BENCH_TMP:-$(mktemp -d /tmp/netpolgen-bench.XXXXXX)}
mkdir -p "$data"
if [ "$keep" = 0 ] && [ -z "${BENCH_TMP:-}" ]; then
    trap 'rm -rf "$data"' EXIT
fi
section "synthetic data ($data)"
synth_args=(--workloads "$workloads" --namespaces "$namespaces" --label-sets "$label_sets"
    --services-ratio 0.8 --external-ratio 0.05 --seed 1 --edges "$edges")
echo "netpolgen_synth ${synth_args[*]} --canonical-lines $big_lines --hubble-lines $hubble_lines"
"$build/bench/netpolgen_synth" "${synth_args[@]}" --out-dir "$data" \
    --canonical-lines "$big_lines" --hubble-lines "$hubble_lines" | tee "$data/synth.txt"
# The first `edges` lines visit every edge: the prefix has the same distinct edges as the whole.
head -n "$small_lines" "$data/flows.jsonl" > "$data/flows.small.jsonl"
synth_rate=$(awk '$1 == "flows.jsonl" { print $8 }' "$data/synth.txt")

# ---- 3a. ingest ----------------------------------------------------------------------------------
ingest_table=""
if [ -x "$build/bench/bench_ingest" ]; then
    section "bench_ingest: $(human "$small_lines") canonical lines, $(human "$hubble_lines") Hubble lines"
    if "$build/bench/bench_ingest" --canonical "$data/flows.small.jsonl" \
        --hubble "$data/flows.hubble.jsonl" | tee "$data/ingest.txt"; then
        ingest_table=$(grep '^|' "$data/ingest.txt" || true)
    else
        echo "bench/run.sh: bench_ingest failed" >&2
    fi
else
    section "bench_ingest: not built ($build/bench/bench_ingest), skipped"
fi

# ---- 3b. generation ------------------------------------------------------------------------------
section "bench_generate: $gen_workloads workloads, $(human "$gen_edges") distinct edges"
"$build/bench/bench_generate" --workloads "$gen_workloads" --edges "$gen_edges" \
    --namespaces "$gen_namespaces" --label-sets "$gen_label_sets" | tee "$data/generate.txt" || true
result=$(grep '^RESULT' "$data/generate.txt" || true)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $result"; }

# ---- 3c. memory flatness -------------------------------------------------------------------------
section "memory flatness: netpolgen generate on $(human "$small_lines") and $(human "$big_lines") lines ($(human "$edges") distinct edges)"
declare -A rss seconds floor_seconds
for size in small big; do
    file="$data/flows.jsonl"
    [ "$size" = small ] && file="$data/flows.small.jsonl"
    start=$(now)
    wc -l < "$file" > /dev/null
    floor_seconds[$size]=$(elapsed "$start" "$(now)")
    # Not `-o /dev/null`: the output is written to a temporary file renamed onto the target.
    start=$(now)
    if ! /usr/bin/time -v "$build/netpolgen" generate --cluster "$data/cluster.yaml" --flows "$file" \
        -q -o "$data/policies.$size.yaml" 2> "$data/time.$size.txt"; then
        echo "bench/run.sh: netpolgen generate failed on $file:" >&2
        head -5 "$data/time.$size.txt" >&2
    fi
    seconds[$size]=$(elapsed "$start" "$(now)")
    rss[$size]=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$data/time.$size.txt")
    echo "$size: $(wc -l < "$file") lines, ${seconds[$size]} s, peak RSS ${rss[$size]} KiB (wc -l: ${floor_seconds[$size]} s)"
done
if cmp -s "$data/policies.small.yaml" "$data/policies.big.yaml"; then
    same_policies="yes"
else
    same_policies="NO"
fi
echo "same policies from both: $same_policies"
rss_ratio=$(awk -v a="${rss[small]}" -v b="${rss[big]}" 'BEGIN { printf "%.3f", b / a }')
flat_met=$(awk -v r="$rss_ratio" 'BEGIN { print (r <= 1.10 ? "met" : "MISSED") }')
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# ---- 3d. store -----------------------------------------------------------------------------------
# Best wall time and best CPU time (user + system) of 3 runs of a command: prints "WALL CPU".
# Runs `prepare` (may be :) before each. On a machine shared with others CPU time varies less.
best_of_3() {
    local prepare=$1 best_wall=1e9 best_cpu=1e9 wall user sys
    shift
    for _ in 1 2 3; do
        $prepare
        /usr/bin/time -f '%e %U %S' -o "$data/time.run" "$@" > /dev/null 2>> "$data/store-runs.txt" ||
            { echo "bench/run.sh: failed: $*" >&2; tail -3 "$data/store-runs.txt" >&2; }
        read -r wall user sys < <(tail -1 "$data/time.run")
        best_wall=$(awk -v a="$wall" -v b="$best_wall" 'BEGIN { print (a < b) ? a : b }')
        best_cpu=$(awk -v a="$user" -v s="$sys" -v b="$best_cpu" 'BEGIN { c = a + s; print (c < b) ? c : b }')
    done
    echo "$best_wall $best_cpu"
}
fresh_store() { rm -f "$data/ingest.db" "$data/ingest.db-wal" "$data/ingest.db-shm"; }

# Ingest vs generate on one flow file: sets ingest_s, generate_s, ingest_ratio, ingest_met,
# ingest_line (the ingest's own summary).
ingest_vs_generate() {
    local flows=$1
    : > "$data/store-runs.txt"
    read -r generate_s generate_cpu < <(best_of_3 : "$build/netpolgen" generate \
        --cluster "$data/cluster.yaml" --flows "$flows" -q -o "$data/policies.store-floor.yaml")
    read -r ingest_s ingest_cpu < <(best_of_3 fresh_store "$build/netpolgen" ingest \
        --db "$data/ingest.db" --cluster "$data/cluster.yaml" --flows "$flows" --progress never)
    ingest_line=$(grep -m1 'day buckets' "$data/store-runs.txt" | sed 's/^[^:]*: //')
    ingest_ratio=$(awk -v g="$generate_s" -v i="$ingest_s" 'BEGIN { printf "%.2f", g / i }')
    ingest_cpu_ratio=$(awk -v g="$generate_cpu" -v i="$ingest_cpu" 'BEGIN { printf "%.2f", g / i }')
    ingest_met=$(awk -v r="$ingest_ratio" 'BEGIN { print (r >= 0.7 ? "met" : "MISSED") }')
    echo "generate --flows: $generate_s s wall, $generate_cpu s CPU; ingest: $ingest_s s wall, $ingest_cpu s CPU; generate/ingest = $ingest_ratio wall, $ingest_cpu_ratio CPU (target ≥ 0.7: $ingest_met)"
    echo "ingest summary: $ingest_line"
}

section "store: ingest $(human "$small_lines") canonical lines into SQLite vs generate --flows"
ingest_vs_generate "$data/flows.small.jsonl"
canonical_ingest=("$ingest_s" "$ingest_cpu" "$generate_s" "$generate_cpu" "$ingest_ratio" "$ingest_cpu_ratio" "$ingest_met" "$ingest_line")
# The prefix of flows.jsonl covers about a day; the same number of lines written on their own
# spread over the synthetic week: one row per edge and day for the store.
mkdir -p "$data/week"
"$build/bench/netpolgen_synth" "${synth_args[@]}" --canonical-lines "$small_lines" --no-hubble \
    --no-cluster --out-dir "$data/week" > /dev/null
section "store: ingest $(human "$small_lines") canonical lines over a week into SQLite vs generate --flows"
ingest_vs_generate "$data/week/flows.jsonl"
week_ingest=("$ingest_s" "$ingest_cpu" "$generate_s" "$generate_cpu" "$ingest_ratio" "$ingest_cpu_ratio" "$ingest_met" "$ingest_line")
"$build/bench/bench_ingest_hash" --flows "$data/flows.small.jsonl" --runs 3 | tee "$data/hash.txt"
hash_result=$(grep '^RESULT' "$data/hash.txt" || true)
hfield() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $hash_result"; }

section "store: generate --db --since 7d, $store_days days × $(human "$gen_edges") edges a day"
store_dir="$data/store-$gen_workloads-$gen_edges"
synth_store_args=(--workloads "$gen_workloads" --namespaces "$gen_namespaces" --label-sets "$gen_label_sets" --seed 1)
mkdir -p "$store_dir"
if [ ! -f "$store_dir/flows.jsonl" ]; then
    # One line per edge: the floor reads the same edges from a file.
    "$build/bench/netpolgen_synth" "${synth_store_args[@]}" --services-ratio 0.8 --external-ratio 0.05 \
        --edges "$gen_edges" --canonical-lines "$gen_edges" --no-hubble --out-dir "$store_dir" > /dev/null
fi
store_db="$store_dir/store-$store_days.db"
if [ ! -f "$store_db.done" ]; then
    rm -f "$store_db" "$store_db-wal" "$store_db-shm"
    "$build/bench/bench_store" --db "$store_db" --cluster-yaml "$store_dir/cluster.yaml" \
        --days "$store_days" --edges "$gen_edges" "${synth_store_args[@]}" | tee "$store_dir/build.txt" | tail -2
    touch "$store_db.done"
else
    echo "reusing $store_db"
fi
store_result=$(grep '^RESULT' "$store_dir/build.txt" || true)
sfield() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $store_result"; }
store_now=$(sfield now)
read -r db_generate_s db_generate_cpu < <(best_of_3 : "$build/netpolgen" generate --db "$store_db" \
    --since 7d --now "$store_now" -q -o "$data/policies.db.yaml")
read -r file_generate_s file_generate_cpu < <(best_of_3 : "$build/netpolgen" generate \
    --cluster "$store_dir/cluster.yaml" --flows "$store_dir/flows.jsonl" -q -o "$data/policies.file.yaml")
if cmp -s "$data/policies.db.yaml" "$data/policies.file.yaml"; then same_db_policies=yes; else same_db_policies=NO; fi
db_met=$(awk -v s="$db_generate_s" 'BEGIN { print (s < 3 ? "met" : "MISSED") }')
echo "generate --db --since 7d: $db_generate_s s wall, $db_generate_cpu s CPU; generate --flows (same edges, one line each): $file_generate_s s wall, $file_generate_cpu s CPU; same policies: $same_db_policies"
# The same command in steps, in one process: where the time goes.
"$build/bench/bench_store" --db "$store_db" --query 7d | tee "$data/store-query.txt"
query_result=$(grep '^RESULT' "$data/store-query.txt" || true)
section "serve on the same store (bench/serve_scale.sh)"
bash "$root/bench/serve_scale.sh" "$store_db" "$store_now" "$build/netpolgen" | tee "$data/serve-scale.txt"
qfield() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $query_result"; }

# ---- 4. summary ----------------------------------------------------------------------------------
section "summary (markdown)"
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Synthetic data: \`netpolgen_synth ${synth_args[*]}\`; canonical lines written at $synth_rate lines/s."
echo
if [ -n "$ingest_table" ]; then
    echo "Ingest (bench_ingest, $(human "$small_lines") canonical / $(human "$hubble_lines") Hubble lines):"
    echo
    echo "$ingest_table"
    echo
fi
echo "| benchmark | measured | floor (same run) | ratio to floor | target | met |"
echo "|---|---:|---:|---:|---|---|"
if [ -n "$result" ]; then
    gen_s=$(field generate_s)
    gen_met=$(awk -v s="$gen_s" -v r="$(field rss_mib)" 'BEGIN { print (s < 2 && r < 1024 ? "met" : "MISSED") }')
    echo "| generatePolicies, $(field workloads) workloads, $(human "$(field edges)") edges (best of 3) | ${gen_s} s wall, $(field generate_cpu_s) s CPU | sortedByDestination: $(field floor_s) s wall, $(field floor_cpu_s) s CPU | $(ratio "$gen_s" "$(field floor_s)") wall, $(ratio "$(field generate_cpu_s)" "$(field floor_cpu_s)") CPU | < 2 s | $gen_met |"
    echo "| modificationToYaml of that result (best of 3) | $(field yaml_s) s wall, $(field yaml_cpu_s) s CPU | sortedByDestination: $(field floor_s) s | $(ratio "$(field yaml_s)" "$(field floor_s)") wall | — | — |"
    echo "| bench_generate peak RSS (inputs alone: $(field inputs_rss_mib) MiB) | $(field rss_mib) MiB | — | — | < 1 GiB | $gen_met |"
fi
for size in small big; do
    lines=$small_lines
    [ "$size" = big ] && lines=$big_lines
    echo "| \`netpolgen generate\`, $(human "$lines") canonical lines | ${seconds[$size]} s, $(rate "$lines" "${seconds[$size]}") lines/s, peak RSS $((rss[$size] / 1024)) MiB | \`wc -l\`: ${floor_seconds[$size]} s | $(ratio "${seconds[$size]}" "${floor_seconds[$size]}") | — | — |"
done
echo "| peak RSS $(human "$big_lines") lines / $(human "$small_lines") lines (same $(human "$edges") edges; same policies: $same_policies) | $rss_ratio | — | — | ≤ 1.10 | $flat_met |"
ingest_row() {  # what, then ingest wall, cpu, generate wall, cpu, ratio wall, cpu, met, summary
    echo "| \`netpolgen ingest\` into a new SQLite store, $1 (best of 3; $9) | $2 s wall, $3 s CPU | \`generate --flows\` on the same file: $4 s wall, $5 s CPU | generate / ingest = **$6** wall, $7 CPU | ≥ 0.7 | $8 |"
}
ingest_row "$(human "$small_lines") canonical lines (the prefix of flows.jsonl)" "${canonical_ingest[@]}"
ingest_row "$(human "$small_lines") canonical lines over a week" "${week_ingest[@]}"
if [ -n "$hash_result" ]; then
    echo "| SHA-256 of the input in the read loop (bench_ingest_hash, best of 3; a separate pass, then the read: $(hfield pass_s) s) | $(hfield hook_s) s | readFlowFile alone: $(hfield floor_s) s | $(awk -v a="$(hfield hook_s)" -v b="$(hfield floor_s)" 'BEGIN { printf "%.2f", a / b }') | — | — |"
fi
echo "| \`netpolgen generate --db --since 7d\`, $store_days days × $(human "$gen_edges") edges a day ($(sfield rows) rows, $(sfield db_mib) MiB; same policies as from the file: $same_db_policies) | $db_generate_s s wall, $db_generate_cpu s CPU | \`generate --flows\`, the same $(human "$gen_edges") edges once each: $file_generate_s s wall, $file_generate_cpu s CPU | $(ratio "$db_generate_s" "$file_generate_s") wall, $(ratio "$db_generate_cpu" "$file_generate_cpu") CPU | < 3 s | $db_met |"
if [ -n "$query_result" ]; then
    echo "| its steps (bench_store --query 7d, best of 3, CPU): snapshot decoded $(qfield snapshot_cpu_s) s, edges loaded and mapped $(qfield load_cpu_s) s, modificationToYaml $(qfield yaml_cpu_s) s | $(qfield load_s) s wall to load and map | core::generatePolicies: $(qfield generate_s) s wall | $(ratio "$(qfield load_s)" "$(qfield generate_s)") | — | — |"
fi
echo
echo "\`netpolgen serve\` on the store above (bench/serve_scale.sh; targets: graph < 1 s, generate < 3 s):"
echo
cat "$data/serve-scale.txt"
