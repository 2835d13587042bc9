#!/usr/bin/env bash
# `netpolgen serve --kubeconfig` watching a live cluster (the fake API server,
# tests/kube/fake_apiserver.py): Online Boutique plus a ReplicaSet and a pod of checkoutservice, then
#   - the first snapshot is stored at start; a Deployment added later is in a new snapshot within
#     seconds (--snapshot-interval 1s), and nothing is stored while the cluster does not change;
#   - a watch cut mid-stream (TCP close after one event) loses no event and lists nothing again;
#   - a watch whose connection dies in the middle of an event's JSON: the half event is dropped
#     and the watch resumed, nothing lost;
#   - an ERROR 410 event and an HTTP 410 on re-watch (resourceVersion compacted): the kind is
#     listed again and every object is there;
#   - a pod address that changes owner: checkoutservice's pod (10.9.0.5) deleted, a cartservice pod given
#     the same address; flows to 10.9.0.5 before and after, ingested into the store, go to
#     checkoutservice and to the cartservice pod respectively (without the watched history both would go
#     to today's owner, which a plain `snapshot` store shows);
#   - a revoked token: serve exits 1 with one line naming 401, without retrying for minutes.
#
#   tests/kube/watch_test.sh path/to/netpolgen
set -u
bin=${1:?usage: watch_test.sh path/to/netpolgen}
source "$(dirname "$0")/script_lib.sh" netpolgen-watch

/usr/bin/python3 - "$shared/samples/online-boutique/kubernetes-manifests.yaml" "$tmp/objects.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") in ("Deployment", "Service")]
rs_labels = {"app": "checkoutservice", "pod-template-hash": "7d9c8"}
docs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
             "metadata": {"name": "checkoutservice-7d9c8", "namespace": "default", "labels": rs_labels,
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkoutservice",
                                               "uid": "u1", "controller": True}]},
             "spec": {"selector": {"matchLabels": rs_labels},
                      "template": {"metadata": {"labels": rs_labels},
                                   "spec": {"containers": [{"name": "server", "image": "x"}]}}}})
docs.append({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "checkoutservice-7d9c8-abcde", "namespace": "default", "labels": rs_labels,
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                               "name": "checkoutservice-7d9c8", "uid": "u2", "controller": True}]},
             "spec": {"containers": [{"name": "server", "image": "x"}]},
             "status": {"phase": "Running", "podIP": "10.9.0.5", "podIPs": [{"ip": "10.9.0.5"}],
                        "startTime": "2026-01-01T00:00:00Z"}})
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF

fake=$tmp/fake
start_fake "$fake"
post() { curl -sk -X POST -H 'Content-Type: application/json' -d "$2" "$url/__fake/$1" > /dev/null; }
requests() { curl -sk "$url/__fake/requests"; }
db=$tmp/s.db
snapshots() { sqlite3 -cmd '.timeout 5000' "$db" "SELECT count(*) FROM snapshots"; }
latest_has() {  # text: whether the latest snapshot holds it
    [ "$(sqlite3 -cmd '.timeout 5000' "$db" "SELECT count(*) FROM snapshot_files WHERE snapshot_id = (SELECT max(id) FROM snapshots) AND CAST(content AS TEXT) LIKE '%$1%'")" -gt 0 ]
}
wait_for() {  # seconds, command… : true once the command is
    local s=$1
    shift
    for _ in $(seq $((s * 10))); do "$@" && return 0; sleep 0.1; done
    return 1
}
count_requests() {  # method path-prefix watch(0|1) → how many such requests the fake logged
    requests | /usr/bin/python3 -c '
import json, sys
m, p, w = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
n = sum(1 for r in json.load(sys.stdin)["requests"] if r["method"] == m and r["path"] == p
        and (("watch" in r.get("params", {})) == w))
print(n)' "$@"
}
deployment() {  # name → a put op
    printf '{"op":"put","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"%s"}},"template":{"metadata":{"labels":{"app":"%s"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}}' "$1" "$1" "$1"
}

# Faults for the first watch of a kind, set before serve starts: each applies to netpolgen's first
# watch request of that path.
post faults '{"dropWatchAfterEvents":[{"count":1,"path_prefix":"/apis/apps/v1/deployments"},
                                      {"count":1,"path_prefix":"/apis/networking.k8s.io/v1/networkpolicies"}],
              "truncateWatchEvent":{"count":1,"path_prefix":"/api/v1/services"},
              "watchErrorAfterEvents":{"count":1,"path_prefix":"/apis/batch/v1/jobs"}}'

"$bin" serve --db "$db" --kubeconfig "$fake/kubeconfig-token" --listen 127.0.0.1:0 \
    --snapshot-interval 1s > "$tmp/serve.out" 2> "$tmp/serve.err" &
serve_pid=$!
pids+=($serve_pid)
wait_for 30 grep -q 'listening on' "$tmp/serve.out"
check "serve --kubeconfig starts and stores the first snapshot" [ "$(snapshots)" = 1 ]
check "the first snapshot holds the listed objects" latest_has checkoutservice-7d9c8-abcde
sleep 2.5
check "no new snapshot while the cluster does not change" [ "$(snapshots)" = 1 ]

post objects "{\"ops\":[$(deployment newapp)]}"
check "a Deployment added is in a new snapshot within 10 s" wait_for 10 latest_has '"name":"newapp"'

# The deployments watch is cut after one event: three created at once, all must arrive.
post objects "{\"ops\":[$(deployment cut-a),$(deployment cut-b),$(deployment cut-c)]}"
all_cut() { latest_has '"name":"cut-a"' && latest_has '"name":"cut-b"' && latest_has '"name":"cut-c"'; }
check "a watch cut mid-stream loses no event (3 of 3 in the snapshot)" wait_for 10 all_cut
check "… resumed by watching again, not by listing again (1 list of deployments)" \
    [ "$(count_requests GET /apis/apps/v1/deployments 0)" = 1 ]
check "… from the last resourceVersion (≥ 2 watches of deployments)" \
    [ "$(count_requests GET /apis/apps/v1/deployments 1)" -ge 2 ]

svc() { printf '{"op":"put","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"%s","namespace":"default"},"spec":{"selector":{"app":"%s"},"ports":[{"port":80}]}}}' "$1" "$1"; }
post objects "{\"ops\":[$(svc trunc-a),$(svc trunc-b)]}"
both_svc() { latest_has '"name":"trunc-a"' && latest_has '"name":"trunc-b"'; }
check "a watch cut inside an event's JSON: the half event is dropped, nothing lost" wait_for 10 both_svc

job() { printf '{"op":"put","object":{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"%s","namespace":"default"},"spec":{"template":{"metadata":{"labels":{"job":"%s"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}}}' "$1" "$1"; }
post objects "{\"ops\":[$(job err-a),$(job err-b)]}"
both_jobs() { latest_has '"name":"err-a"' && latest_has '"name":"err-b"'; }
check "an ERROR 410 event: jobs listed again, every job there" wait_for 10 both_jobs
check "… with a second list of jobs" [ "$(count_requests GET /apis/batch/v1/jobs 0)" -ge 2 ]

# HTTP 410 on the re-watch: the networkpolicies watch is cut when it would send its second event
# (fault set at start), after the history was compacted past the first: watching again from the
# last resourceVersion seen is refused with an HTTP 410, so the kind is listed again.
np() { printf '{"op":"put","object":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"%s","namespace":"default"},"spec":{"podSelector":{"matchLabels":{"app":"none"}},"policyTypes":["Ingress"]}}}' "$1"; }
post faults '{"watch410":"http"}'
post objects "{\"ops\":[$(np np-a)]}"
wait_for 10 latest_has '"name":"np-a"'
# Another kind's change moves the resourceVersion on, so that compacting makes np-a's too old.
post objects "{\"ops\":[$(svc bump)]}"
post faults '{"compact":true}'
post objects "{\"ops\":[$(np np-b)]}"
both_np() { latest_has '"name":"np-a"' && latest_has '"name":"np-b"'; }
check "an HTTP 410 on watching again: listed again, every policy there" wait_for 15 both_np
watch_410s() {
    requests | /usr/bin/python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"] == sys.argv[1]
          and "watch" in r.get("params", {}) and r.get("code") == 410))' "$1"
}
check "… after a 410 answer to the re-watch" \
    [ "$(watch_410s /apis/networking.k8s.io/v1/networkpolicies)" -ge 1 ]
check "… and a second list of networkpolicies" \
    [ "$(count_requests GET /apis/networking.k8s.io/v1/networkpolicies 0)" -ge 2 ]

# A pod address that changes owner.
t_del=$(date +%s)
sleep 1
post objects '{"ops":[{"op":"delete","apiVersion":"v1","kind":"Pod","namespace":"default","name":"checkoutservice-7d9c8-abcde"},
  {"op":"put","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"cartservice-55d6f-xyz12","namespace":"default","labels":{"app":"cartservice"}},"spec":{"containers":[{"name":"s","image":"x"}]},"status":{"phase":"Running","podIP":"10.9.0.5","podIPs":[{"ip":"10.9.0.5"}]}}}]}'
check "the pod roll-over is in a snapshot" wait_for 10 latest_has cartservice-55d6f-xyz12
sleep 2
t_after=$(date +%s)
iso() { date -u -d "@$1" +%FT%TZ; }
cat > "$tmp/flows.jsonl" <<EOF
{"src":"default/frontend","dst":"10.9.0.5","port":5050,"protocol":"TCP","time":"$(iso $((t_del - 60)))","count":3}
{"src":"default/frontend","dst":"10.9.0.5","port":7070,"protocol":"TCP","time":"$(iso "$t_after")","count":2}
EOF
"$bin" ingest --db "$db" --flows "$tmp/flows.jsonl" -q
"$bin" generate --db "$db" -q --format json > "$tmp/policies.json"
cat > "$tmp/allows.py" <<'EOF'
import json, sys
for p in json.load(open(sys.argv[1]))["apply"]:
    if p["metadata"]["name"] != sys.argv[2]:
        continue
    for rule in p["spec"].get("ingress", []):
        apps = [f.get("podSelector", {}).get("matchLabels", {}).get("app") for f in rule.get("from", [])]
        ports = [x.get("port") for x in rule.get("ports", [])]
        if sys.argv[3] in apps and int(sys.argv[4]) in ports:
            sys.exit(0)
sys.exit(1)
EOF
allows() { /usr/bin/python3 "$tmp/allows.py" "$tmp/policies.json" "$@"; }  # policy, source app, port
not() { ! "$@"; }
check "a flow to 10.9.0.5 before the roll-over goes to checkoutservice (its owner then)" \
    allows stackrox-generated-checkoutservice frontend 5050
check "a flow to 10.9.0.5 after goes to the cartservice pod (its owner now)" \
    allows stackrox-generated-cartservice-55d6f-xyz12 frontend 7070
check "… and the one before does not" \
    not allows stackrox-generated-cartservice-55d6f-xyz12 frontend 5050
# Without the watched history (a plain snapshot of today's cluster) both go to today's owner.
"$bin" snapshot --db "$tmp/plain.db" --kubeconfig "$fake/kubeconfig-token" -q
"$bin" ingest --db "$tmp/plain.db" --flows "$tmp/flows.jsonl" -q
"$bin" generate --db "$tmp/plain.db" -q --format json > "$tmp/policies.json"
check "(without the history the earlier flow would go to today's owner)" \
    allows stackrox-generated-cartservice-55d6f-xyz12 frontend 5050

kill "$serve_pid"
wait "$serve_pid" 2>/dev/null
check "serve stops on SIGTERM" grep -q 'netpolgen serve: stopped' "$tmp/serve.err"

# A revoked token: one clear error at start, no minutes of retries.
post faults '{"revokeToken":"admin-token"}'
start=$(date +%s)
"$bin" serve --db "$tmp/r.db" --kubeconfig "$fake/kubeconfig-token" --listen 127.0.0.1:0 > /dev/null 2> "$tmp/revoked.err"
status=$?
check "a revoked token: serve exits 1" [ "$status" = 1 ]
check "… within 10 s" [ $(($(date +%s) - start)) -lt 10 ]
check "… with one error line naming 401" \
    [ "$(grep -c '401 Unauthorized' "$tmp/revoked.err")" = 1 ]
sed 's/^/    /' "$tmp/revoked.err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
