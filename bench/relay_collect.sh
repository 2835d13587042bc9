#!/usr/bin/env bash
# bench/relay_collect.sh: `netpolgen collect --hubble-relay` against a bare protobuf client of the
# same stream (issue 13 point 7), measured side by side in one run.
#
#   bench/relay_collect.sh [--rounds N[,N…]] [--build-dir DIR] [--tmp DIR]
#
# The fake relay (build/tests/fake_hubble_relay, pinned to CPU 0) serves the Online Boutique demo's
# Hubble flows (6,016 flows of 3 nodes), --repeat N times, each round later in time with new uuids.
# On CPU 1:
# 1. Floor: build/tests/relay_floor reads the stream with collect's request and parses every
#    flow whole into a flow.Flow message (generated protobuf code).
# 2. `netpolgen collect --hubble-relay … --no-follow` into a store holding the demo's snapshot:
#    every flow decoded, de-duplicated per node, resolved, aggregated per (day, edge) and committed
#    every 5 s (the default), until the relay's buffer ends.
# For each, /usr/bin/time: wall seconds, user+sys CPU seconds, peak RSS; rates are flows per wall
# second and flows per CPU second (one core's capacity, whichever side of the socket is slower).
# With several --rounds, collect runs once per count: its peak RSS must not grow with the flows.
# 3. Visibility: collect following the relay (commit every 5 s); one new flow appended to the
#    relay's buffer file; the seconds until `generate --db` shows its edge.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
rounds=100
tmp=/work/tmp-bench/relay
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?}; shift ;;
        --build-dir) build=$(cd "${2:?}" && pwd); shift ;;
        --tmp) tmp=${2:?}; shift ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/relay_collect.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$tmp"
cd "$tmp"
demo="$root/demo/online-boutique"
fake_pid=
cleanup() { [ -z "$fake_pid" ] || kill "$fake_pid" 2> /dev/null || true; }
trap cleanup EXIT

start_fake() {  # events file, options…
    local events=$1
    shift
    rm -f port
    taskset -c 0 "$build/tests/fake_hubble_relay" --events "$events" --port-file port "$@" 2> fake.log &
    fake_pid=$!
    for _ in $(seq 1 200); do [ -s port ] && break; sleep 0.05; done
    port=$(cat port)
}
stop_fake() { kill "$fake_pid"; wait "$fake_pid" 2> /dev/null || true; fake_pid=; }
measure() {  # label flows command… → one table row
    local label=$1 flows=$2
    shift 2
    /usr/bin/time -f '%e %U %S %M' -o time.txt "$@" > /dev/null 2> run.log
    read -r wall user sys rss < time.txt
    awk -v l="$label" -v f="$flows" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
        c = u + s
        printf "| %s | %d | %.2f | %.2f | %.0f | %.0f | %.0f |\n", l, f, w, c, f / w, (c > 0 ? f / c : 0), r / 1024
    }'
}

echo "| run | flows | wall s | CPU s | flows/s (wall) | flows/s (CPU) | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
IFS=, read -r -a counts <<< "$rounds"
for n in "${counts[@]}"; do
    start_fake "$demo/flows.hubble.jsonl" --repeat "$n"
    flows=$(( 6016 * n ))
    measure "floor: stream + whole protobuf parse ($n rounds)" "$flows" taskset -c 1 "$build/tests/relay_floor" "127.0.0.1:$port"
    rm -f collect.db
    "$build/netpolgen" snapshot --db collect.db --cluster "$demo/kubernetes-manifests.yaml" -q
    measure "collect --hubble-relay ($n rounds)" "$flows" taskset -c 1 "$build/netpolgen" collect --db collect.db \
        --hubble-relay "127.0.0.1:$port" --no-follow -q
    got=$(sqlite3 collect.db 'SELECT lines FROM ingests')
    [ "$got" = "$flows" ] || echo "bench/relay_collect.sh: collect read $got flows of $flows" >&2
    stop_fake
done

# ---- visibility: a flow received while following, until generate --db shows it ------------------
grep -m 200 '"flow"' "$demo/flows.hubble.jsonl" > live.jsonl
start_fake live.jsonl --follow-file
rm -f live.db
"$build/netpolgen" snapshot --db live.db --cluster "$demo/kubernetes-manifests.yaml" -q
"$build/netpolgen" collect --db live.db --hubble-relay "127.0.0.1:$port" -q &
collect_pid=$!
sleep 6  # the first commit is in
before=$("$build/netpolgen" generate --db live.db 2> /dev/null | md5sum)
# A new connection: loadgenerator → frontend on a port never seen, an hour after the buffer.
python3 - "$demo/flows.hubble.jsonl" >> live.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    f = e.get("flow")
    if f and f["destination"].get("pod_name", "").startswith("frontend") and f["l4"].get("TCP", {}).get("flags", {}).get("SYN") and not f.get("is_reply"):
        f["l4"]["TCP"]["destination_port"] = 9999
        f["uuid"] = "bench-visibility"
        f["time"] = "2026-11-17T00:00:00Z"
        e["time"] = f["time"]
        print(json.dumps(e))
        break
PY
start=$(date +%s.%N)
while :; do
    now=$("$build/netpolgen" generate --db live.db 2> /dev/null | md5sum)
    [ "$now" != "$before" ] && break
    sleep 0.2
done
end=$(date +%s.%N)
kill -TERM "$collect_pid"
wait "$collect_pid" || true
awk -v s="$start" -v e="$end" 'BEGIN { printf "\nvisible in generate --db %.1f s after it reached the relay\n", e - s }'
