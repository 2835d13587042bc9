#!/usr/bin/env bash
# `netpolgen collect --hubble-relay` against tests/fakes/fake_hubble_relay (a gRPC
# observer.Observer serving recorded events as Hubble Relay does). The relay's stream breaks
# mid-way (UNAVAILABLE), collect is killed by SIGKILL and restarted, the relay is killed and
# restarted on the same port, lines are appended while collect follows: in the end the store must
# hold exactly what one `netpolgen ingest` of the same lines stores (the same (day, edge) rows
# with counts and first/last seen, the same `generate --db` output). Lost events are reported.
# Then the same over mTLS (and refused without the client certificate); collect's /metrics; serve
# --hubble-relay with /metrics and /v1/collect behind a token; bad option use.
#
#   tests/collect/relay_test.sh path/to/netpolgen path/to/fake_hubble_relay
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: relay_test.sh netpolgen fake_hubble_relay}")" && pwd)/$(basename "$1")
fake=$(cd "$(dirname "${2:?usage: relay_test.sh netpolgen fake_hubble_relay}")" && pwd)/$(basename "$2")
lib=$(cd "$(dirname "$0")" && pwd)/collect_lib.sh
tmp=$(mktemp -d /tmp/netpolgen-relay.XXXXXX)
collect_pid=
fake_pid=
cleanup() {
    for p in $collect_pid $fake_pid; do kill -9 "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
# shellcheck source=tests/collect/collect_lib.sh
source "$lib"

# ---- a cluster of 20 workloads in 4 namespaces; Hubble events of 3 nodes over two UTC days -------
make_cluster > cluster.yaml
# Events [from, to): every flow a distinct connection, on node n0..n2 by turn; some replies, some
# dropped, some of a workload the cluster lacks, one lost_events line every 97.
events() {
    awk -v from="$1" -v to="$2" 'BEGIN {
        for (i = from; i < to; i++) {
            node = sprintf("c1/n%d", i % 3)
            if (i % 97 == 50) {
                printf "{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\",\"num_events_lost\":\"%d\"},\"node_name\":\"%s\"}\n", i, node
                continue
            }
            s = (i * 7) % 20; d = (i * 11 + 3) % 20
            sod = 43200 + i * 131
            day = sod >= 86400 ? "2026-12-07" : "2026-12-06"
            sod = sod % 86400
            time = sprintf("%sT%02d:%02d:%02d.%09dZ", day, int(sod / 3600), int(sod % 3600 / 60), sod % 60, i)
            src = (i % 41 == 5) ? "ghost" : sprintf("w%d", s)
            verdict = (i % 29 == 4) ? "DROPPED" : "FORWARDED"
            printf "{\"flow\":{\"time\":\"%s\",\"uuid\":\"u-%d\",\"verdict\":\"%s\",", time, i, verdict
            printf "\"IP\":{\"source\":\"10.1.0.%d\",\"destination\":\"10.1.1.%d\",\"ipVersion\":\"IPv4\"},", s, d
            printf "\"l4\":{\"TCP\":{\"source_port\":%d,\"destination_port\":%d,\"flags\":{\"SYN\":true}}},", 20000 + i, 8000 + d % 3
            printf "\"source\":{\"namespace\":\"ns%d\",\"pod_name\":\"%s-7d4b9c-x%d\",\"labels\":[\"k8s:app=%s\"],\"workloads\":[{\"name\":\"%s\",\"kind\":\"Deployment\"}]},", s % 4, src, i, src, src
            printf "\"destination\":{\"namespace\":\"ns%d\",\"pod_name\":\"w%d-7d4b9c-y%d\",\"workloads\":[{\"name\":\"w%d\",\"kind\":\"Deployment\"}]},", d % 4, d, i, d
            printf "\"Type\":\"L3_L4\",\"node_name\":\"%s\",\"is_reply\":%s,\"traffic_direction\":\"EGRESS\"},\"node_name\":\"%s\",\"time\":\"%s\"}\n", node, (i % 37 == 3) ? "true" : "false", node, time
        }
    }'
}
events 0 200 > part1.jsonl
events 200 400 > part2.jsonl
events 400 600 > part3.jsonl
cat part1.jsonl part2.jsonl part3.jsonl > all.jsonl
"$bin" snapshot --db oneshot.db --cluster cluster.yaml -q
"$bin" ingest --db oneshot.db --flows all.jsonl -q
expected=$(q oneshot.db 'SELECT flows FROM ingests')

start_fake() {  # extra options…
    rm -f port
    "$fake" --events relay-buffer.jsonl --port-file port "$@" > /dev/null 2> fake.log &
    fake_pid=$!
    for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.05; done
    [ -s port ] || { failed "the fake relay did not start: $(cat fake.log)"; exit 1; }
    port=$(cat port)
}
db=relay.db
"$bin" snapshot --db "$db" --cluster cluster.yaml -q
start_collect() {  # log [options…]
    local log=$1
    shift
    "$bin" collect --db "$db" --hubble-relay "127.0.0.1:$port" --commit-interval 300ms --status "$@" 2> "$log" &
    collect_pid=$!
}
committed() { q "$1" 'SELECT coalesce(sum(flows), 0) FROM ingests' 2> /dev/null || echo 0; }
wait_committed() {  # db flows label
    for _ in $(seq 1 400); do
        [ "$(committed "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    failed "$3: $(committed "$1") flows committed after 20 s, expected $2"
}
part_flows() {  # the flows one ingest stores of a file
    rm -f part.db
    "$bin" snapshot --db part.db --cluster cluster.yaml -q
    "$bin" ingest --db part.db --flows "$1" -q
    q part.db 'SELECT flows FROM ingests'
}
flows1=$(part_flows part1.jsonl)
flows12=$(( flows1 + $(part_flows part2.jsonl) ))

# ---- the stream breaks after 100 flows; collect reconnects and resumes -----------------------------
cp part1.jsonl relay-buffer.jsonl
start_fake --follow-file --fail-after 100
start_collect collect1.log
wait_committed "$db" "$flows1" "the first 200 events, across a broken stream"
grep -q 'ended (code 14' collect1.log || failed "the broken stream was not reported: $(cat collect1.log)"
grep -q 'events lost (HUBBLE_RING_BUFFER) on c1/n2' collect1.log || failed "lost events not reported: $(cat collect1.log)"
# The status line counts them: 50 (event 50), then 197 (event 147 too), whichever it printed.
grep -Eq ' (50|197) lost events' collect1.log || failed "no lost-event count in the status line: $(tail -2 collect1.log)"

# ---- lines appended while collect follows; collect killed -9 mid-way and restarted -----------------
cat part2.jsonl >> relay-buffer.jsonl
sleep 0.$((RANDOM % 5))
kill -9 "$collect_pid"
{ wait "$collect_pid"; } 2> /dev/null || true
start_collect collect2.log
wait_committed "$db" "$flows12" "after the SIGKILL"
positions=$(q "$db" 'SELECT count(*) FROM stream_positions')
[ "$positions" = 3 ] || failed "$positions node positions stored, expected 3"

# ---- the relay is killed and comes back on the same port with the whole buffer ----------------------
kill -9 "$fake_pid"
{ wait "$fake_pid"; } 2> /dev/null || true
cat part3.jsonl >> relay-buffer.jsonl
sleep 1
start_fake --follow-file --listen "127.0.0.1:$port"
wait_committed "$db" "$expected" "after the relay's restart"
sleep 1  # anything counted twice would show now
kill -TERM "$collect_pid"
status=0
wait "$collect_pid" || status=$?
collect_pid=
[ "$status" = 0 ] || failed "collect exited $status on SIGTERM: $(tail -3 collect2.log)"
grep -q 'received again' collect2.log || failed "the overlap after the restart was not seen: $(tail -2 collect2.log)"
# Lost events (at events 50, 147, 244, 341, 438, 535), each stored once across the reconnects.
lost=$(q "$db" "SELECT count FROM ingest_skips WHERE reason = 'lost-events'")
[ "$lost" = $((50 + 147 + 1558)) ] || failed "lost events stored: $lost, expected 1755"

edge_dump "$db" > relay.edges
edge_dump oneshot.db > oneshot.edges
[ -s oneshot.edges ] || failed "the one-shot ingest stored no edges"
diff oneshot.edges relay.edges > edges.diff || failed "edges differ from a one-shot ingest: $(head -20 edges.diff)"
[ "$(committed "$db")" = "$expected" ] || failed "$(committed "$db") flows committed, a one-shot ingest stores $expected"
"$bin" generate --db oneshot.db > oneshot.yaml 2> /dev/null
"$bin" generate --db "$db" > relay.yaml 2> /dev/null
[ -s oneshot.yaml ] && cmp -s oneshot.yaml relay.yaml || failed "generate --db differs from the one-shot store"
skips=$(q "$db" "SELECT reason || '=' || count FROM ingest_skips ORDER BY reason" | tr '\n' ' ')
case "$skips" in *reply=*unknown-workload=*) ;; *) failed "skip counts: $skips" ;; esac
kill -9 "$fake_pid"
{ wait "$fake_pid"; } 2> /dev/null || true

# ---- mTLS: the relay's certificate for *.hubble-relay.cilium.io, a client certificate required ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=hubble-ca 2> /dev/null
for who in server client; do
    openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" -subj "/CN=$who" 2> /dev/null
done
printf 'subjectAltName=DNS:*.hubble-relay.cilium.io\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2> /dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2> /dev/null
cp all.jsonl relay-buffer.jsonl
start_fake --tls-cert server.crt --tls-key server.key --client-ca ca.crt
db=tls.db
"$bin" snapshot --db "$db" --cluster cluster.yaml -q
start_collect tls-refused.log --tls-ca ca.crt --tls-server-name ui.hubble-relay.cilium.io
sleep 2
[ "$(committed "$db")" = 0 ] || failed "flows committed without a client certificate"
grep -q 'ended (code 14' tls-refused.log || failed "the refused handshake was not reported: $(cat tls-refused.log)"
kill -TERM "$collect_pid"
wait "$collect_pid" || failed "collect without a client certificate did not stop cleanly on SIGTERM"
start_collect tls.log --tls-ca ca.crt --tls-server-name ui.hubble-relay.cilium.io \
    --tls-cert client.crt --tls-key client.key
wait_committed "$db" "$expected" "over mTLS"
kill -TERM "$collect_pid"
wait "$collect_pid" || failed "collect over mTLS: bad exit on SIGTERM"
collect_pid=
edge_dump "$db" > tls.edges
diff oneshot.edges tls.edges > /dev/null || failed "edges over mTLS differ from a one-shot ingest"
kill -9 "$fake_pid"
{ wait "$fake_pid"; } 2> /dev/null || true

# ---- a slow store: the stream waits (bounded queue, gRPC flow control), nothing is lost ------------
db=slow.db
"$bin" snapshot --db "$db" --cluster cluster.yaml -q
cp all.jsonl relay-buffer.jsonl
start_fake --repeat 200
start_collect slow.log
wait_committed "$db" 1 "before the store is locked"
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$collect_pid/status")
python3 - "$db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")  # every commit of collect waits for this transaction
time.sleep(4)
db.execute("COMMIT")
PY
locker=$!
sleep 3
rss_locked=$(awk '/VmRSS/ {print $2}' "/proc/$collect_pid/status")
wait "$locker"
echo "slow store: collect's RSS ${rss_before} KiB before the lock, ${rss_locked} KiB after 3 s of it"
wait_committed "$db" $((200 * expected)) "after the store was slow for 4 s"
[ "$rss_locked" -lt $((rss_before + 65536)) ] ||
    failed "memory grew while the store was locked: ${rss_before} KiB -> ${rss_locked} KiB"
[ "$(committed "$db")" = $((200 * expected)) ] || failed "after the slow store: $(committed "$db") flows, expected $((200 * expected))"
kill -TERM "$collect_pid"
wait "$collect_pid" || failed "collect after the slow store: bad exit on SIGTERM"
collect_pid=
kill -9 "$fake_pid"
{ wait "$fake_pid"; } 2> /dev/null || true

# ---- /metrics of collect; serve --hubble-relay: /metrics and /v1/collect for the portal -----------
db=metrics.db
"$bin" snapshot --db "$db" --cluster cluster.yaml -q
start_fake --follow-file
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_collect metrics.log --metrics-listen "127.0.0.1:$mport"
wait_committed "$db" "$expected" "with --metrics-listen"
sleep 0.5
curl -s "http://127.0.0.1:$mport/metrics" > metrics.txt
grep -q "^netpolgen_collect_committed_flows_total{source=\"relay:127.0.0.1:$port\"} $expected\$" metrics.txt ||
    failed "collect's /metrics: $(grep committed metrics.txt)"
grep -q '^netpolgen_collect_lost_events_total{.*} 1755$' metrics.txt || failed "lost events in /metrics: $(grep lost metrics.txt)"
grep -q '^netpolgen_collect_up{.*state="streaming"} 1$' metrics.txt || failed "collect_up: $(grep _up metrics.txt)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/other")" = 404 ] || failed "/other is not 404"
printf 'BAD\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$mport" || true
curl -sf "http://127.0.0.1:$mport/metrics" > /dev/null || failed "/metrics no longer answers after a malformed request"
kill -TERM "$collect_pid"
wait "$collect_pid" || failed "collect --metrics-listen: bad exit on SIGTERM"
collect_pid=

rm -f serve.db
"$bin" snapshot --db serve.db --cluster cluster.yaml -q
printf 'reader-token read\n' > tokens
"$bin" serve --db serve.db --listen 127.0.0.1:0 --token-file tokens --hubble-relay "127.0.0.1:$port" > serve.out 2> serve.err &
serve_pid=$!
for _ in $(seq 1 100); do grep -q listening serve.out 2> /dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*listening on \(http[^ ]*\)\/$/\1/p' serve.out)
wait_committed serve.db "$expected" "serve --hubble-relay"
sleep 0.3
auth=(-H 'Authorization: Bearer reader-token')
curl -sf "${auth[@]}" "$url/v1/collect" > collect.json || failed "serve /v1/collect: $(cat serve.err)"
python3 - "$expected" collect.json <<'PY' || failed "serve /v1/collect: $(cat collect.json)"
import json, sys
s = json.load(open(sys.argv[2]))["sources"][0]
assert s["state"] == "streaming" and s["committed"] == int(sys.argv[1]) and s["lostEvents"] == 1755, s
PY
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" = 401 ] || failed "serve /metrics without a token is not 401"
curl -sf "${auth[@]}" "$url/metrics" | grep -q "^netpolgen_collect_committed_flows_total{.*} $expected\$" ||
    failed "serve /metrics: $(curl -s "${auth[@]}" "$url/metrics" | grep committed)"
kill -TERM "$serve_pid"
wait "$serve_pid" || failed "serve --hubble-relay: bad exit on SIGTERM: $(cat serve.err)"
kill -9 "$fake_pid"
{ wait "$fake_pid"; } 2> /dev/null || true

# ---- options ---------------------------------------------------------------------------------------
status=0
"$bin" collect --db "$db" 2> none.err || status=$?
[ "$status" = 2 ] && grep -q 'one source' none.err || failed "collect without a source: exit $status, $(cat none.err)"
status=0
"$bin" collect --db "$db" --hubble-relay x:1 --follow f 2> both.err || status=$?
[ "$status" = 2 ] || failed "collect with two sources: exit $status, $(cat both.err)"
status=0
"$bin" collect --db "$db" --hubble-relay "127.0.0.1:$port" --tls-cert client.crt 2> half.err || status=$?
[ "$status" = 2 ] && grep -q 'go together' half.err || failed "--tls-cert without --tls-key: exit $status, $(cat half.err)"

if [ "$fail" -gt 0 ]; then
    echo "relay_test: $fail failure(s)"
    exit 1
fi
echo "relay_test: ok ($expected flows through a broken stream, a SIGKILL, a relay restart and mTLS)"
