#!/usr/bin/env bash
# `netpolgen serve` on a large store (issue: the graph endpoint for 10,000 workloads answers in
# under 1 s, a generate request in under 3 s). Starts the server on STORE, then times with curl:
#   - the start (decoding the snapshot and loading all stored traffic before the listening line);
#   - GET /v1/graph/default: all traffic, collapsed by the server above 2,000 workloads;
#   - the same for the last 7 days before NOW: the first request loads that window, then best of 3;
#   - the same for a window starting before every stored flow (answered from what the start loaded);
#   - the graph of one namespace over those 7 days (per workload);
#   - GET /v1/networkpolicies/generate/default?networkDataSince=NOW-7d: first and best of 3.
# Floor: `netpolgen generate --db STORE --since 7d --now NOW` (the same generation from the command
# line, best of 3); every figure is also given as a ratio to it.
#
#   bench/serve_scale.sh STORE NOW [path/to/netpolgen]     # NOW: RFC 3339, the store's "now"
#
# bench/run.sh builds such a store (30 days × 1M edges a day, 10,000 workloads) and calls this.
set -euo pipefail
. "$(dirname "$0")/serve_url.sh"
db=${1:?usage: serve_scale.sh STORE NOW [netpolgen]}
now=${2:?usage: serve_scale.sh STORE NOW [netpolgen]}
bin=${3:-build/netpolgen}
since=$(date -u -d "$now - 7 days" +%Y-%m-%dT%H:%M:%SZ)
out=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2> /dev/null; rm -rf "$out"' EXIT

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# time_get PATH: "seconds bytes status" of one request.
time_get() {
    curl -s -o "$out/body" -w '%{time_total} %{size_download} %{http_code}\n' "$url$1"
}
best_of_3() {
    local best="" t
    for _ in 1 2 3; do
        read -r t _ _ < <(time_get "$1")
        best=$(awk -v a="$t" -v b="${best:-$t}" 'BEGIN { print (a < b ? a : b) }')
    done
    echo "$best"
}

floor=""
for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$bin" generate --db "$db" --since 7d --now "$now" -q -o "$out/cli.yaml"
    t=$(seconds "$start" "$(date +%s.%N)")
    floor=$(awk -v a="$t" -v b="${floor:-$t}" 'BEGIN { print (a < b ? a : b) }')
done

start=$(date +%s.%N)
"$bin" serve --db "$db" --listen 127.0.0.1:0 > "$out/serve.out" 2> "$out/serve.err" &
pid=$!
url=$(wait_for_serve_url "$out/serve.out" "$out/serve.err" 30) || exit 1
started=$(seconds "$start" "$(date +%s.%N)")

row() {  # label seconds bytes status
    printf '| %s | %s s | %s | %s MB | %s |\n' "$1" "$2" "$(ratio "$2" "$floor")" \
        "$(awk -v b="$3" 'BEGIN { printf "%.1f", b / 1e6 }')" "$4"
}
workloads=$(grep -o 'loaded [0-9]* workloads, [0-9]* edges' "$out/serve.err" || echo "?")
echo "| serve on $(basename "$db") ($workloads; window: 7 days before $now) | time | ratio to the floor | answer | status |"
echo "|---|---:|---:|---:|---|"
printf '| floor: netpolgen generate --db --since 7d (best of 3) | %s s | 1.00 | — | — |\n' "$floor"
printf '| start: snapshot and all stored traffic loaded, listening | %s s | %s | — | — |\n' \
    "$started" "$(ratio "$started" "$floor")"
graph_all="v1/graph/default"
graph_week="v1/graph/default?since=$since"
graph_before="v1/graph/default?since=$(date -u -d "$now - 365 days" +%Y-%m-%dT%H:%M:%SZ)"
read -r t bytes status < <(time_get "$graph_all")
row "GET /v1/graph/default, first request" "$t" "$bytes" "$status"
row "GET /v1/graph/default, best of 3" "$(best_of_3 "$graph_all")" "$bytes" "$status"
read -r t bytes status < <(time_get "$graph_before")
row "GET /v1/graph/default?since=NOW-365d (before every stored flow), first" "$t" "$bytes" "$status"
read -r t bytes status < <(time_get "$graph_week")
row "GET /v1/graph/default?since=NOW-7d, first (loads the window)" "$t" "$bytes" "$status"
row "GET /v1/graph/default?since=NOW-7d, best of 3" "$(best_of_3 "$graph_week")" "$bytes" "$status"
ns=$(python3 -c 'import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
print(next(n.get("namespace", n["id"]) for n in nodes if n["type"] in ("namespace", "workload")))' "$out/body")
graph_ns="v1/graph/default?since=$since&namespaces=$ns"
read -r t bytes status < <(time_get "$graph_ns")
row "GET /v1/graph/default?since=NOW-7d&namespaces=$ns (per workload), best of 3" \
    "$(best_of_3 "$graph_ns")" "$bytes" "$status"
generate="v1/networkpolicies/generate/default?networkDataSince=$since"
read -r t bytes status < <(time_get "$generate")
row "GET …/generate/default?networkDataSince=NOW-7d, first" "$t" "$bytes" "$status"
row "GET …/generate/default?networkDataSince=NOW-7d, best of 3" "$(best_of_3 "$generate")" "$bytes" "$status"
if cmp -s <(python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["modification"]["applyYaml"])' "$out/body") "$out/cli.yaml"; then
    echo "(applyYaml equals the command's output byte for byte)"
else
    echo "(applyYaml DIFFERS from the command's output)"
fi
