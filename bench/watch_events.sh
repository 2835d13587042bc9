#!/usr/bin/env bash
# bench/watch_events.sh: `netpolgen serve --kubeconfig` keeping up with a stream of watch events
# (issue 12 point 7: 1,000 watch events/s applied, the snapshot and the address history kept
# current), measured against a floor in the same run.
#
#   bench/watch_events.sh [--pods N] [--events N] [--rate N] [--build-dir DIR]
#
# The fake API server (tests/kube/fake_apiserver.py) starts with Online Boutique and --pods pods
# (default 5,000, each with an address and a ReplicaSet owner), serve watches it
# (--snapshot-interval 2s), then the script changes pods at --rate events/s (default 1,000; 50
# changes per request to the fake) until --events (default 20,000) events went out: every change
# moves a pod to a new address (MODIFIED: one tenancy closed, one opened), every tenth deletes a
# pod and creates another (DELETED + ADDED). The floor: `curl` watching pods from the same
# resourceVersion at the same time, i.e. receiving the very same events over the same transport
# without doing anything with them. Reported:
#   - the rate the fake achieved (events it sent / seconds), which bounds the test;
#   - when curl had the last event (floor) and when serve had stored a snapshot holding the final
#     state (every pod of the last change at its last address), as lag after the floor;
#   - serve's CPU seconds per 1,000 events (user+sys from /proc during the stream) and peak RSS;
#   - the tenancies stored, against the changes made (each address change is one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
pods=5000 events=20000 rate=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --pods) pods=${2:?}; shift ;;
        --events) events=${2:?}; shift ;;
        --rate) rate=${2:?}; shift ;;
        --build-dir) build=$(cd "${2:?}" && pwd); shift ;;
        -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/watch_events.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
bin=$build/netpolgen
tmp=$(mktemp -d /tmp/netpolgen-watch-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

/usr/bin/python3 - "$pods" "$tmp/objects.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
items = []
apps = 50
for a in range(apps):
    labels = {"app": "app%d" % a, "pod-template-hash": "h%d" % a}
    items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "app%d" % a, "namespace": "default"},
                  "spec": {"selector": {"matchLabels": {"app": "app%d" % a}},
                           "template": {"metadata": {"labels": labels},
                                        "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    items.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": "app%d-h%d" % (a, a), "namespace": "default", "labels": labels,
                               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                    "name": "app%d" % a, "uid": "d%d" % a, "controller": True}]},
                  "spec": {"selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels},
                                        "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
for i in range(n):
    a = i % apps
    labels = {"app": "app%d" % a, "pod-template-hash": "h%d" % a}
    ip = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
    items.append({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "app%d-h%d-p%05d" % (a, a, i), "namespace": "default", "labels": labels,
                               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                    "name": "app%d-h%d" % (a, a), "uid": "r%d" % a, "controller": True}]},
                  "spec": {"containers": [{"name": "c", "image": "x"}]},
                  "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                             "startTime": "2026-01-01T00:00:00Z"}})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
EOF

fake=$tmp/fake
mkdir -p "$fake"
/usr/bin/python3 "$root/tests/kube/fake_apiserver.py" --dir "$fake" --objects "$tmp/objects.json" \
    > "$fake/out" 2> "$fake/err" &
pids+=($!)
for _ in $(seq 600); do grep -q 'listening on' "$fake/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^fake-apiserver: listening on //p' "$fake/out")
[ -n "$url" ] || { echo "the fake did not start: $(cat "$fake/err")" >&2; exit 1; }

db=$tmp/s.db
"$bin" serve --db "$db" --kubeconfig "$fake/kubeconfig-token" --listen 127.0.0.1:0 \
    --snapshot-interval 2s --kube-page-size 5000 > "$tmp/serve.out" 2> "$tmp/serve.err" &
serve=$!
pids+=($serve)
for _ in $(seq 1200); do grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$tmp/serve.out" || { cat "$tmp/serve.err" >&2; exit 1; }

rv=$(curl -sk -H 'Authorization: Bearer admin-token' "$url/api/v1/pods?limit=1" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
curl -sk -N -H 'Authorization: Bearer admin-token' \
    "$url/api/v1/pods?watch=1&resourceVersion=$rv&timeoutSeconds=3600" > "$tmp/floor.jsonl" &
floor_pid=$!
pids+=($floor_pid)
sleep 1

cpu() { awk '{print $14 + $15}' "/proc/$serve/stat"; }   # clock ticks
ticks=$(getconf CLK_TCK)
cpu0=$(cpu)
start=$(date +%s.%N)
# The driver: --rate events/s in requests of 50 changes; prints the events sent and the last
# change's final state (pod name → address) for the check below.
/usr/bin/python3 - "$url" "$pods" "$events" "$rate" "$tmp/final.json" <<'EOF'
import json, ssl, sys, time, urllib.request
url, pods, events, rate, final = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ctx = ssl._create_unverified_context()
def post(ops):
    req = urllib.request.Request(url + "/__fake/objects", data=json.dumps({"ops": ops}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, context=ctx).read()
apps = 50
state = {}
sent = 0
change = 0
t0 = time.time()
batch = 50
while sent < events:
    ops = []
    while len(ops) < batch and sent < events:
        i = change % pods
        a = i % apps
        name = "app%d-h%d-p%05d" % (a, a, i)
        change += 1
        ip = "10.%d.%d.%d" % (100 + change // 65536, (change // 256) % 256, change % 256)
        if change % 10 == 0:
            ops.append({"op": "delete", "apiVersion": "v1", "kind": "Pod", "namespace": "default", "name": name})
            sent += 1
        labels = {"app": "app%d" % a, "pod-template-hash": "h%d" % a}
        ops.append({"op": "put", "object": {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": "app%d-h%d" % (a, a), "uid": "r%d" % a, "controller": True}]},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}})
        sent += 1
        state[name] = ip
    post(ops)
    ahead = t0 + sent / rate - time.time()
    if ahead > 0:
        time.sleep(ahead)
elapsed = time.time() - t0
json.dump({"sent": sent, "changes": change, "seconds": elapsed, "final": state}, open(final, "w"))
print("sent %d events in %.1f s (%.0f/s)" % (sent, elapsed, sent / elapsed))
EOF
sent=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$tmp/final.json")
# The floor: curl has every event.
for _ in $(seq 600); do [ "$(wc -l < "$tmp/floor.jsonl")" -ge "$sent" ] && break; sleep 0.05; done
floor_done=$(date +%s.%N)
cpu_stream=$(cpu)
# serve: a stored snapshot whose pods are at their final addresses (the last snapshot's text).
final_ok() {
    sqlite3 -cmd '.timeout 5000' "$db" "SELECT CAST(content AS TEXT) FROM snapshot_files WHERE snapshot_id = (SELECT max(id) FROM snapshots) AND path LIKE '%/api/v1/pods%'" |
        /usr/bin/python3 -c '
import json, sys
final = json.load(open(sys.argv[1]))["final"]
pods = {p["metadata"]["name"]: p["status"].get("podIP") for p in json.load(sys.stdin)["items"]}
sys.exit(0 if all(pods.get(n) == ip for n, ip in final.items()) else 1)' "$tmp/final.json"
}
for _ in $(seq 300); do final_ok && break; sleep 0.2; done
serve_done=$(date +%s.%N)
final_ok || { echo "serve never stored the final state" >&2; tail "$tmp/serve.err" >&2; exit 1; }
rss=$(awk '/VmHWM/ {print $2}' "/proc/$serve/status")
tenancies=$(sqlite3 -cmd '.timeout 5000' "$db" "SELECT count(*) FROM ip_tenancies")
/usr/bin/python3 - "$start" "$floor_done" "$serve_done" "$cpu0" "$cpu_stream" "$ticks" "$sent" "$rss" "$tenancies" "$pods" "$tmp/final.json" <<'EOF'
import json, sys
start, floor, done = map(float, sys.argv[1:4])
cpu0, cpu1, ticks = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
sent, rss, tenancies, pods = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
d = json.load(open(sys.argv[11]))
cpu = (cpu1 - cpu0) / ticks
print("| measure | value |")
print("|---|---|")
print("| events sent (pods %d) | %d in %.1f s: %.0f events/s achieved |" % (pods, sent, d["seconds"], sent / d["seconds"]))
print("| floor: curl has the last event | %.1f s after the first |" % (floor - start))
print("| serve: snapshot with the final state stored | %.1f s after the first (%.1f s after the floor; snapshot interval 2 s) |" % (done - start, done - floor))
print("| serve CPU while the events streamed | %.2f s: %.3f s per 1,000 events |" % (cpu, cpu / sent * 1000))
print("| serve peak RSS | %.0f MiB |" % (rss / 1024))
print("| tenancies stored | %d (%d pods at start + one per address change) |" % (tenancies, pods))
EOF
