#!/usr/bin/env bash
# HTTP load on `netpolgen serve --demo` (issue: graph reads ≥ 2,000 requests/s on loopback, no
# errors): wrk for DURATION seconds (default 10) with 2 threads and 8 connections on the graph
# endpoint, per workload and collapsed per namespace, and on the health check as the floor (the
# same server answering without any work).
#
#   bench/load.sh [path/to/netpolgen] [DURATION]
set -euo pipefail
. "$(dirname "$0")/serve_url.sh"
bin=${1:-build/netpolgen}
seconds=${2:-10}
command -v wrk > /dev/null || { echo "bench/load.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
out=$(mktemp)
"$bin" serve --demo --listen 127.0.0.1:0 > "$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2> /dev/null; rm -f "$out"' EXIT
url=$(wait_for_serve_url "$out" "$out" 10) || exit 1
run() {  # label path
    local result rps errors
    result=$(wrk -t2 -c8 -d"${seconds}s" "$url$2")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<< "$result")
    errors=$(awk '/Non-2xx|Socket errors/ { print }' <<< "$result")
    printf '| %s | %s requests/s | %s |\n' "$1" "$rps" "${errors:-no errors}"
}
echo "| endpoint (wrk -t2 -c8 -d${seconds}s, serve --demo) | throughput | errors |"
echo "|---|---:|---|"
run "floor: GET /v1/healthz" "v1/healthz"
run "GET /v1/graph/default" "v1/graph/default"
run "GET /v1/graph/default?collapse=namespaces" "v1/graph/default?collapse=namespaces"
