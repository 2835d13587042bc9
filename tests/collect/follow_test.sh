#!/usr/bin/env bash
# `netpolgen collect --follow` on a Hubble exporter file that is written, rotated by rename (and
# the rotated file compressed), truncated (copytruncate) and written with a partial last line
# while collect runs, with collect killed by SIGKILL twice and restarted. In the end the store
# must hold exactly what one `netpolgen ingest` of the same lines stores: the same (day, edge)
# rows with counts and first/last seen, and the same `generate --db` output; the source's ingest
# record counts every line once; --commit-flows commits without waiting for the interval, and
# SIGTERM commits what is left and ends collect with exit 0. Then: flows of a workload that
# appears in a newer snapshot are stored once that snapshot is.
#
#   tests/collect/follow_test.sh path/to/netpolgen
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: follow_test.sh path/to/netpolgen}")" && pwd)/$(basename "$1")
lib=$(cd "$(dirname "$0")" && pwd)/collect_lib.sh
tmp=$(mktemp -d /tmp/netpolgen-follow.XXXXXX)
collect_pid=
cleanup() {
    if [ -n "$collect_pid" ]; then kill -9 "$collect_pid" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
# shellcheck source=tests/collect/collect_lib.sh
source "$lib"

# ---- a cluster of 20 workloads in 4 namespaces, and Hubble lines over two UTC days ---------------
make_cluster > cluster.yaml
# Lines [from, to): every line a distinct connection (no two observation points), some replies,
# some of a workload the cluster lacks, some invalid.
lines() {
    awk -v from="$1" -v to="$2" 'BEGIN {
        for (i = from; i < to; i++) {
            if (i % 53 == 7) { print "{\"flow\": not json"; continue }
            s = (i * 7) % 20; d = (i * 11 + 3) % 20
            sod = 43200 + i * 131
            day = sod >= 86400 ? "2026-12-07" : "2026-12-06"
            sod = sod % 86400
            time = sprintf("%sT%02d:%02d:%02d.%09dZ", day, int(sod / 3600), int(sod % 3600 / 60), sod % 60, i)
            src = (i % 41 == 5) ? "ghost" : sprintf("w%d", s)
            printf "{\"flow\":{\"time\":\"%s\",\"verdict\":\"FORWARDED\",", time
            printf "\"IP\":{\"source\":\"10.1.0.%d\",\"destination\":\"10.1.1.%d\",\"ipVersion\":\"IPv4\"},", s, d
            printf "\"l4\":{\"TCP\":{\"source_port\":%d,\"destination_port\":%d,\"flags\":{\"SYN\":true}}},", 20000 + i, 8000 + d % 3
            printf "\"source\":{\"namespace\":\"ns%d\",\"pod_name\":\"%s-7d4b9c-x%d\",\"workloads\":[{\"name\":\"%s\",\"kind\":\"Deployment\"}]},", s % 4, src, i, src
            printf "\"destination\":{\"namespace\":\"ns%d\",\"pod_name\":\"w%d-7d4b9c-y%d\",\"workloads\":[{\"name\":\"w%d\",\"kind\":\"Deployment\"}]},", d % 4, d, i, d
            printf "\"Type\":\"L3_L4\",\"is_reply\":%s,\"traffic_direction\":\"EGRESS\"},\"node_name\":\"n1\",\"time\":\"%s\"}\n", (i % 37 == 3) ? "true" : "false", time
        }
    }'
}
bounds=(0 80 160 240 320 400 480 560 640)
for k in 1 2 3 4 5 6 7 8; do lines "${bounds[k - 1]}" "${bounds[k]}" > "seg$k.jsonl"; done
total=${bounds[8]}

db=follow.db
"$bin" snapshot --db "$db" --cluster cluster.yaml -q
start_collect() {  # log file [commit interval [commit flows]]
    "$bin" collect --db "$db" --follow events.log --commit-interval "${2:-300ms}" \
        --commit-flows "${3:-100000}" --poll-interval 50ms --status 2> "$1" &
    collect_pid=$!
}
kill9_collect() {
    kill -9 "$collect_pid" 2> /dev/null || failed "collect had exited before the kill: $(tail -3 collect*.log)"
    { wait "$collect_pid"; } 2> /dev/null || true
    collect_pid=
}
committed_lines() { q "$db" 'SELECT coalesce(sum(lines), 0) FROM ingests' 2> /dev/null || echo 0; }
wait_committed() {  # lines label
    for _ in $(seq 1 300); do
        [ "$(committed_lines)" -ge "$1" ] && return 0
        sleep 0.05
    done
    failed "$2: $(committed_lines) lines committed after 15 s, expected $1"
}

# ---- appends, a partial line, rotation by rename --------------------------------------------------
start_collect collect1.log
cat seg1.jsonl >> events.log
wait_committed 80 "first lines"
line=$(head -n 1 seg2.jsonl)
printf '%s' "${line:0:100}" >> events.log  # the writer is mid-line
sleep 0.5
[ "$(committed_lines)" = 80 ] || failed "a partial line was consumed: $(committed_lines) lines committed"
offset=$(q "$db" 'SELECT byte_offset FROM follow_cursors')
[ "$offset" = "$(stat -c %s seg1.jsonl)" ] || failed "the cursor ($offset) moved past the last complete line"
printf '%s\n' "${line:100}" >> events.log
tail -n +2 seg2.jsonl >> events.log
wait_committed 160 "the partial line completed"
mv events.log events-2026-12-07T10-00-00.000.log  # the exporter's rotation
cat seg3.jsonl >> events.log
wait_committed 240 "after the rename"
grep -q 'flows read' collect1.log || failed "no status line: $(cat collect1.log)"

# ---- killed mid-way; meanwhile the rotated file is compressed and more lines come -----------------
cat seg4.jsonl >> events.log
sleep 0.$((RANDOM % 4))
kill9_collect
gzip events-2026-12-07T10-00-00.000.log
touch -d '1 hour ago' events-2026-12-07T10-00-00.000.log.gz
cat seg5.jsonl >> events.log
start_collect collect2.log
wait_committed 400 "after the restart"

# ---- copytruncate, then killed right after more lines; --commit-flows, SIGTERM --------------------------------------------
cat seg6.jsonl >> events.log
cp events.log events.log.1
: > events.log
cat seg7.jsonl >> events.log
wait_committed 560 "after the truncation"
head -n 40 seg8.jsonl >> events.log
kill9_collect
# Now commits come from --commit-flows only; SIGTERM commits the rest.
start_collect collect3.log 1m 20
wait_committed 600 "after the second restart (by --commit-flows)"
sed -n 41,70p seg8.jsonl >> events.log
wait_committed 630 "30 more lines (by --commit-flows)"
tail -n 10 seg8.jsonl >> events.log  # fewer than 20 flows
sleep 0.5
[ "$(committed_lines)" = 630 ] || failed "committed before --commit-interval or --commit-flows: $(committed_lines)"

kill -TERM "$collect_pid"
status=0
wait "$collect_pid" || status=$?
collect_pid=
[ "$status" = 0 ] || failed "collect exited $status on SIGTERM: $(cat collect3.log)"

# ---- the store equals a one-shot ingest of the same lines -----------------------------------------
cat seg*.jsonl > all.jsonl
"$bin" snapshot --db oneshot.db --cluster cluster.yaml -q
"$bin" ingest --db oneshot.db --flows all.jsonl --skip-invalid -q
edge_dump "$db" > follow.edges
edge_dump oneshot.db > oneshot.edges
[ -s oneshot.edges ] || failed "the one-shot ingest stored no edges"
diff oneshot.edges follow.edges > edges.diff || failed "edges differ from a one-shot ingest: $(head -20 edges.diff)"
[ "$(q "$db" 'SELECT sum(count) FROM edge_totals')" = "$(q oneshot.db 'SELECT sum(count) FROM edge_totals')" ] ||
    failed "edge totals differ"
"$bin" generate --db oneshot.db > oneshot.yaml 2> /dev/null
"$bin" generate --db "$db" > follow.yaml 2> /dev/null
[ -s oneshot.yaml ] && cmp -s oneshot.yaml follow.yaml || failed "generate --db differs from the one-shot store"
record=$(q "$db" 'SELECT lines, flows FROM ingests')
oneshot=$(q oneshot.db 'SELECT lines, flows FROM ingests')
[ "$record" = "$oneshot" ] || failed "the followed source's record (lines|flows) $record, the one-shot ingest's $oneshot"
skips() { q "$1" "SELECT reason || '=' || count FROM ingest_skips ORDER BY reason"; }
[ "$(skips "$db")" = "$(skips oneshot.db)" ] || failed "skip counts $(skips "$db" | tr '\n' ' ') differ from $(skips oneshot.db | tr '\n' ' ')"

# ---- a workload that appears later: resolved once a newer snapshot is stored ---------------------
mkdir later
lines 0 120 | grep '"ghost-' > later/ghost.jsonl
[ "$(wc -l < later/ghost.jsonl)" -ge 2 ] || failed "the test data has too few lines of the later workload"
head -n 1 later/ghost.jsonl > later/events.log
"$bin" collect --db "$db" --follow later/events.log --commit-interval 200ms --poll-interval 50ms -q &
collect_pid=$!
ghost_edges() { q "$db" "SELECT count(*) FROM edge_days d JOIN entities s ON s.id = d.src WHERE s.name LIKE '%/ghost'"; }
unknown() { q "$db" "SELECT coalesce(sum(s.count), 0) FROM ingest_skips s JOIN ingests i ON i.id = s.ingest_id
                     WHERE i.source = 'later/events.log' AND s.reason = 'unknown-workload'"; }
for _ in $(seq 1 200); do [ "$(unknown)" = 1 ] && break; sleep 0.05; done
[ "$(unknown)" = 1 ] || failed "the flow of a workload the snapshot lacks was not counted as unknown-workload"
{ cat cluster.yaml; for n in 0 1 2 3; do
    printf -- "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ghost\n  namespace: ns%d\n" "$n"
    printf "spec:\n  selector:\n    matchLabels:\n      app: ghost\n  template:\n    metadata:\n      labels:\n        app: ghost\n"
done; } > cluster2.yaml
"$bin" snapshot --db "$db" --cluster cluster2.yaml -q
sleep 0.6  # a commit interval or two: collect reads the newer snapshot
tail -n +2 later/ghost.jsonl >> later/events.log
for _ in $(seq 1 200); do [ "$(ghost_edges)" -gt 0 ] && break; sleep 0.05; done
[ "$(ghost_edges)" -gt 0 ] || failed "flows of a workload of the newer snapshot were not stored"
[ "$(unknown)" = 1 ] || failed "unknown-workload $(unknown) after the newer snapshot, expected 1"
kill -TERM "$collect_pid"
wait "$collect_pid" || failed "collect exited $? on SIGTERM"
collect_pid=

if (( fail > 0 )); then
    echo "collect --follow: $fail failures"
    exit 1
fi
echo "collect --follow: ok ($total lines, 2 kills, rename, gzip, copytruncate, partial line)"
