#!/usr/bin/env bash
# bench/whole_command.sh: the whole `netpolgen generate` against a bare simdjson pass over the same
# files (issue 11 point 6), measured side by side in one run.
#
#   bench/whole_command.sh [--lines N] [--edges N] [--workloads N] [--namespaces N] [--runs N]
#                          [--build-dir DIR] [--data DIR] [--baseline NETPOLGEN] [--no-json]
#
# 1. Data (written once, reused): netpolgen_synth --workloads 10000 --namespaces 300 --label-sets 200
#    --services-ratio 0.8 --external-ratio 0.05 --seed 1 --edges 1000000 --canonical-lines 10000000
#    into DIR (default /work/tmp-bench/whole-W-E-N), then cluster.yaml turned into cluster.json (one
#    `List`, python3 + PyYAML) so that both programs read the very same two files.
# 2. Floor: build/bench/bench_bare_parse --flows DIR/flows.jsonl --cluster DIR/cluster.json
#    (simdjson On-Demand visiting every value of both files).
# 3. `netpolgen generate --cluster DIR/cluster.json --flows DIR/flows.jsonl -q > /dev/null`, YAML
#    and --format json; with --baseline, the same with another netpolgen binary (e.g. main's build),
#    and then (untimed) both outputs of both binaries into DIR/out.*, which must be equal (cmp).
# Each program runs --runs times (default 3, interleaved) under /usr/bin/time -v; the table gives
# the median user+sys CPU seconds, the median wall time, the median peak RSS and the CPU ratio to
# the floor's median. The goal of issue 11.6: generate ≤ 3× the floor, JSON under 1 GB.
# Needs the targets netpolgen, netpolgen_synth and bench_bare_parse in the build directory
# (default: build/, the release preset).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
workloads=10000 namespaces=300 edges=1000000 lines=10000000 runs=3
data="" baseline="" json=1
while [ $# -gt 0 ]; do
    case "$1" in
        --lines) lines=${2:?}; shift ;;
        --edges) edges=${2:?}; shift ;;
        --workloads) workloads=${2:?}; shift ;;
        --namespaces) namespaces=${2:?}; shift ;;
        --runs) runs=${2:?}; shift ;;
        --build-dir) build=$(cd "${2:?}" && pwd); shift ;;
        --data) data=${2:?}; shift ;;
        --baseline) baseline=$(realpath "${2:?}"); shift ;;
        --no-json) json=0 ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/whole_command.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
data=${data:-/work/tmp-bench/whole-$workloads-$edges-$lines}
mkdir -p "$data"
for program in netpolgen bench/netpolgen_synth bench/bench_bare_parse; do
    if [ ! -x "$build/$program" ]; then
        echo "bench/whole_command.sh: $build/$program is missing (ninja -C $build ${program##*/})" >&2
        exit 1
    fi
done

# ---- data ----------------------------------------------------------------------------------------
synth_args=(--workloads "$workloads" --namespaces "$namespaces" --label-sets 200 --services-ratio 0.8
    --external-ratio 0.05 --seed 1 --edges "$edges" --canonical-lines "$lines")
if [ ! -s "$data/flows.jsonl" ] || [ "$(cat "$data/synth.args" 2> /dev/null)" != "${synth_args[*]}" ]; then
    echo "== writing the data into $data"
    echo "netpolgen_synth ${synth_args[*]} --no-hubble"
    "$build/bench/netpolgen_synth" "${synth_args[@]}" --no-hubble --out-dir "$data" | tee "$data/synth.txt"
    rm -f "$data/cluster.json"
    echo "${synth_args[*]}" > "$data/synth.args"
fi
if [ ! -s "$data/cluster.json" ]; then
    python3 - "$data/cluster.yaml" "$data/cluster.json" << 'EOF'
import json, sys, yaml
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
with open(sys.argv[1]) as f:
    items = [d for d in yaml.load_all(f, Loader=loader) if d]
with open(sys.argv[2], "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f, separators=(",", ":"))
    f.write("\n")
EOF
fi
cluster="$data/cluster.json"
flows="$data/flows.jsonl"

# ---- measurements --------------------------------------------------------------------------------
# One run of a program under /usr/bin/time -v: appends "cpu wall rss_kib" to $data/m.NAME.
measure() {
    local name=$1
    shift
    local t="$data/time.$name.txt"
    local out=/dev/null
    [ "$name" = floor ] && out="$data/out.floor"
    if ! /usr/bin/time -v -o "$t" "$@" > "$out" 2> "$data/err.$name"; then
        echo "bench/whole_command.sh: $name failed:" >&2
        head -5 "$data/err.$name" "$t" >&2
        exit 1
    fi
    awk -F': *' '
        /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
        /Elapsed \(wall clock\)/ { t = $0; sub(/.*\): */, "", t); n = split(t, p, ":"); w = 0; for (i = 1; i <= n; ++i) w = w * 60 + p[i] }
        END { printf "%.3f %.3f %d\n", u + s, w, r }' "$t" >> "$data/m.$name"
}
median() {  # column $2 of file $1
    sort -n -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

names=(floor yaml)
[ "$json" = 1 ] && names+=(json)
if [ -n "$baseline" ]; then
    names+=(baseline_yaml)
    [ "$json" = 1 ] && names+=(baseline_json)
fi
for name in "${names[@]}"; do rm -f "$data/m.$name"; done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
for ((run = 1; run <= runs; ++run)); do
    echo "== run $run of $runs (load $(cut -d' ' -f1-3 /proc/loadavg))"
    measure floor "$build/bench/bench_bare_parse" --flows "$flows" --cluster "$cluster"
    measure yaml "$build/netpolgen" generate --cluster "$cluster" --flows "$flows" -q
    [ "$json" = 1 ] && measure json "$build/netpolgen" generate --cluster "$cluster" --flows "$flows" -q --format json
    if [ -n "$baseline" ]; then
        measure baseline_yaml "$baseline" generate --cluster "$cluster" --flows "$flows" -q
        [ "$json" = 1 ] && measure baseline_json "$baseline" generate --cluster "$cluster" --flows "$flows" -q --format json
    fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
same="-"
if [ -n "$baseline" ]; then
    # Not timed: the outputs, written to files for cmp.
    echo "== outputs for cmp"
    "$build/netpolgen" generate --cluster "$cluster" --flows "$flows" -q > "$data/out.yaml"
    "$baseline" generate --cluster "$cluster" --flows "$flows" -q > "$data/out.baseline_yaml"
    if [ "$json" = 1 ]; then
        "$build/netpolgen" generate --cluster "$cluster" --flows "$flows" -q --format json > "$data/out.json"
        "$baseline" generate --cluster "$cluster" --flows "$flows" -q --format json > "$data/out.baseline_json"
    fi
    same=yes
    cmp -s "$data/out.yaml" "$data/out.baseline_yaml" || same="NO (YAML differs)"
    if [ "$json" = 1 ] && ! cmp -s "$data/out.json" "$data/out.baseline_json"; then
        same="NO (JSON differs)"
    fi
fi

# ---- summary -------------------------------------------------------------------------------------
floor_cpu=$(median "$data/m.floor" 1)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "Run $started on $(nproc) cores ($cpu_model), load average $load_before before, $load_after after."
echo "Data: netpolgen_synth ${synth_args[*]}: $(wc -c < "$flows") bytes of flows, $(wc -c < "$cluster") bytes of cluster JSON."
head -3 "$data/out.floor" | sed 's/^/floor: /'
echo
echo "| program | CPU s (median of $runs) | wall s | peak RSS MiB | CPU / floor |"
echo "|---|---:|---:|---:|---:|"
for name in "${names[@]}"; do
    cpu=$(median "$data/m.$name" 1)
    wall=$(median "$data/m.$name" 2)
    rss=$(median "$data/m.$name" 3)
    case "$name" in
        floor) what="floor: bench_bare_parse (simdjson over flows + cluster)" ;;
        yaml) what="netpolgen generate (YAML)" ;;
        json) what="netpolgen generate --format json" ;;
        baseline_yaml) what="baseline generate (YAML)" ;;
        baseline_json) what="baseline generate --format json" ;;
    esac
    awk -v w="$what" -v c="$cpu" -v wa="$wall" -v r="$rss" -v f="$floor_cpu" \
        'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.2f |\n", w, c, wa, r / 1024, c / f }'
done
echo
echo "All CPU samples (cpu wall rss_kib):"
for name in "${names[@]}"; do echo "  $name: $(tr '\n' ';' < "$data/m.$name")"; done
[ -n "$baseline" ] && echo "Outputs equal the baseline's byte for byte: $same"
if [ -n "$baseline" ]; then
    echo "Output sizes: YAML $(wc -c < "$data/out.yaml") bytes$([ "$json" = 1 ] && echo ", JSON $(wc -c < "$data/out.json") bytes")"
fi
