#!/usr/bin/env bash
# Crash consistency of `netpolgen ingest` on SQLite or PostgreSQL: ingests killed with SIGKILL at
# random moments (during the read, inside the store transaction, and around its commit) leave a
# store that is intact and holds whole ingests only; two concurrent ingests into one store both
# land.
#
#   tests/store/kill9_test.sh path/to/netpolgen                  # SQLite files
#   tests/store/kill9_test.sh path/to/netpolgen postgres URIFILE # databases on that server
#
# Checks after every kill: (SQLite) PRAGMA integrity_check is ok; sum(edge_days.count) =
# sum(ingests.flows) = sum(edge_totals.count); every recorded ingest has the lines/flows/bytes a
# clean ingest of the same input records. A kill counts as "inside the transaction" only when the
# store showed an open write transaction of the ingest right before the kill (SQLite: the write
# lock is held, `BEGIN IMMEDIATE` of another connection fails; PostgreSQL: pg_locks shows its
# RowExclusiveLock on edge_days) and the ingest was not recorded afterwards; at least one kill must
# land there. An ingest that was not killed must exit 0. At the end every input is ingested again
# without kills (the committed ones are skipped) and the edges, totals and ingests must equal those
# of a store built without kills; `generate --db` prints the same bytes on both.
# Environment: KILL9_ITERATIONS (default 24), KILL9_LINES per input (default 60000), KILL9_SEED
# (printed, to replay a run).
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: kill9_test.sh path/to/netpolgen [postgres URIFILE]}")" && pwd)/$(basename "$1")
backend=${2:-sqlite}
iterations=${KILL9_ITERATIONS:-24}
lines=${KILL9_LINES:-60000}
seed=${KILL9_SEED:-$$}
RANDOM=$seed
echo "kill9 ($backend): seed $seed (replay with KILL9_SEED=$seed)"
tmp=$(mktemp -d /tmp/netpolgen-kill9.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
failed() { echo "FAIL: $*"; fail=$((fail + 1)); }

case $backend in
    sqlite) ;;
    postgres)
        uri_file=${3:?postgres needs the URI file of the test server}
        if [ "${NETPOLGEN_SKIP_PG:-}" = 1 ] || [ ! -s "$uri_file" ]; then
            echo "no PostgreSQL test server (NETPOLGEN_SKIP_PG=1 or no $uri_file): skipped"
            exit 0
        fi
        server_uri=$(cat "$uri_file")
        ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
esac
# A new, empty store named $1: a file, or a database on the server.
new_store() {
    if [ "$backend" = sqlite ]; then echo "$tmp/$1.db"; return; fi
    PGOPTIONS="--client-min-messages=warning" psql -q -X "$server_uri" -c "DROP DATABASE IF EXISTS kill9_$1" -c "CREATE DATABASE kill9_$1" > /dev/null
    echo "${server_uri%/*}/kill9_$1"
}
q() {  # store sql
    if [ "$backend" = sqlite ]; then sqlite3 -batch -noheader "$1" "$2"; else psql -X -qAt "$1" -c "$2"; fi
}
integrity() {  # store → "ok" or what is wrong
    if [ "$backend" = sqlite ]; then q "$1" 'PRAGMA integrity_check'; else
        # No page-level check on PostgreSQL without amcheck: that the tables read whole is the check.
        q "$1" 'SELECT count(*) FROM edge_days' > /dev/null && q "$1" 'SELECT count(*) FROM edge_totals' > /dev/null && echo ok
    fi
}
write_transaction_open() {  # store: does another connection hold an open write transaction?
    if [ "$backend" = sqlite ]; then
        ! sqlite3 -batch "$1" "BEGIN IMMEDIATE; ROLLBACK;" > /dev/null 2>&1
    else
        [ "$(q "$1" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                     WHERE c.relname = 'edge_days' AND l.mode = 'RowExclusiveLock'
                       AND l.pid <> pg_backend_pid()")" != 0 ]
    fi
}

# ---- data: 300 workloads in 10 namespaces; three inputs over 10 days ----------------------------
awk 'BEGIN {
    for (n = 0; n < 10; n++) printf "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n", n
    for (w = 0; w < 300; w++) {
        printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w%d\n  namespace: ns%d\n", w, w % 10
        printf "spec:\n  selector:\n    matchLabels:\n      app: w%d\n  template:\n    metadata:\n", w
        printf "      labels:\n        app: w%d\n    spec:\n      containers:\n      - name: c\n", w
        printf "        ports:\n        - containerPort: %d\n", 8000 + w % 7
    }
}' > cluster.yaml
for input in a b c; do
    input_seed=$(printf '%d' "'$input")
    awk -v n="$lines" -v seed="$input_seed" 'BEGIN {
        srand(seed)
        t0 = 1795132800
        for (i = 0; i < n; i++) {
            s = int(rand() * 300); d = int(rand() * 300)
            src = (i % 50 == 0) ? "internet" : sprintf("ns%d/w%d", s % 10, s)
            printf "{\"src\":\"%s\",\"dst\":\"ns%d/w%d\",\"port\":%d,\"time\":%d,\"count\":%d}\n",
                src, d % 10, d, 8000 + d % 7, t0 + int(rand() * 10 * 86400), 1 + i % 3
        }
    }' > "flows-$input.jsonl"
done
inputs=(flows-a.jsonl flows-b.jsonl flows-c.jsonl)

ingest() {  # db file [extra args…]
    local db=$1 file=$2
    shift 2
    "$bin" ingest --db "$db" --flows "$file" --progress never -q "$@"
}

# ---- the reference: a store built without kills -------------------------------------------------
clean=$(new_store clean)
"$bin" snapshot --db "$clean" --cluster cluster.yaml -q
declare -A seconds
for f in "${inputs[@]}"; do
    start=$(date +%s%N)
    ingest "$clean" "$f"
    seconds[$f]=$(( ($(date +%s%N) - start) / 1000000 ))
done
echo "clean ingests (ms): a=${seconds[flows-a.jsonl]} b=${seconds[flows-b.jsonl]} c=${seconds[flows-c.jsonl]}"

totals() {  # db → "edge_days ingests edge_totals" sums
    echo "$(q "$1" 'SELECT coalesce(sum(count), 0) FROM edge_days') $(q "$1" 'SELECT coalesce(sum(flows), 0) FROM ingests') $(q "$1" 'SELECT coalesce(sum(count), 0) FROM edge_totals')"
}
ingest_rows() { q "$1" 'SELECT digest, lines, flows, bytes FROM ingests ORDER BY digest'; }
edge_dump() {  # entity ids differ between stores: compare by name
    q "$1" "SELECT c.name, d.day, s.name, t.name, d.port, d.protocol, d.count, d.first_seen, d.last_seen
            FROM edge_days d JOIN clusters c ON c.id = d.cluster_id
            JOIN entities s ON s.id = d.src JOIN entities t ON t.id = d.dst ORDER BY 1, 2, 3, 4, 5, 6"
    q "$1" "SELECT c.name, s.name, t.name, e.port, e.protocol, e.count, e.first_seen, e.last_seen, e.undated_count
            FROM edge_totals e JOIN clusters c ON c.id = e.cluster_id
            JOIN entities s ON s.id = e.src JOIN entities t ON t.id = e.dst ORDER BY 1, 2, 3, 4, 5"
}
: > failures.txt
ingest_rows "$clean" > clean.ingests
read -r days_sum ingests_sum totals_sum <<< "$(totals "$clean")"
[ "$days_sum" = "$ingests_sum" ] && [ "$days_sum" = "$totals_sum" ] || failed "clean store: totals $days_sum $ingests_sum $totals_sum"

check_store() {  # db label
    local integrity days flows totals_sum
    integrity=$(integrity "$1")
    [ "$integrity" = ok ] || failed "$2: integrity check: $integrity"
    read -r days flows totals_sum <<< "$(totals "$1")"
    [ "$days" = "$flows" ] && [ "$days" = "$totals_sum" ] ||
        failed "$2: sum(edge_days)=$days sum(ingests.flows)=$flows sum(edge_totals)=$totals_sum"
    # Every recorded ingest is one of the clean ones, whole.
    ingest_rows "$1" | while read -r row; do
        grep -qxF "$row" clean.ingests || echo "FAIL: $2: ingest row $row differs from a clean ingest"
    done | tee -a failures.txt
}

# ---- kill -9 at random moments -------------------------------------------------------------------
kill_store=$(new_store kill)
"$bin" snapshot --db "$kill_store" --cluster cluster.yaml -q
during_read=0 in_transaction=0 after_store=0 finished=0
for ((i = 0; i < iterations; i++)); do
    f=${inputs[RANDOM % 3]}
    committed_before=$(q "$kill_store" 'SELECT count(*) FROM ingests')
    "$bin" ingest --db "$kill_store" --flows "$f" --progress always -q 2> progress.txt &
    pid=$!
    open=no
    case $((i % 3)) in
        0)  # Anywhere in the run: 0 … 1.1 × the clean time.
            sleep "$(awk -v ms="${seconds[$f]}" -v r=$RANDOM 'BEGIN { printf "%.3f", ms * 1.1 * r / 32768 / 1000 }')" ;;
        1)  # Inside the transaction: as soon as the store shows it open.
            for _ in $(seq 1 4000); do
                kill -0 "$pid" 2> /dev/null || break
                if grep -q storing progress.txt 2> /dev/null && write_transaction_open "$kill_store"; then
                    open=yes
                    break
                fi
                sleep 0.002
            done ;;
        2)  # Around the commit: once "storing" is printed, 0 … 300 ms later.
            for _ in $(seq 1 2000); do
                grep -q storing progress.txt 2> /dev/null && break
                kill -0 "$pid" 2> /dev/null || break
                sleep 0.005
            done
            sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.3 * r / 32768 }')" ;;
    esac
    killed=no
    kill -9 "$pid" 2> /dev/null && killed=yes
    status=0
    { wait "$pid"; } 2> /dev/null || status=$?  # braces: bash's "Killed" job message goes too
    committed=$(q "$kill_store" 'SELECT count(*) FROM ingests')
    if [ "$killed" = no ]; then
        moment="no kill (finished first)"
        finished=$((finished + 1))
        [ "$status" = 0 ] || failed "iteration $i: an ingest that was not killed exited $status: $(tail -c 300 progress.txt)"
    elif [ "$open" = yes ] && [ "$committed" = "$committed_before" ]; then
        moment="inside the open transaction"
        in_transaction=$((in_transaction + 1))
    elif grep -q storing progress.txt; then
        moment="storing or after the commit"
        after_store=$((after_store + 1))
    else
        moment=reading
        during_read=$((during_read + 1))
        [ "$committed" = "$committed_before" ] || failed "iteration $i: killed while reading, yet an ingest was recorded"
    fi
    if [ "$backend" = postgres ]; then
        # The server ends the killed client's backend (and rolls back) when it sees the socket close.
        for _ in $(seq 1 200); do write_transaction_open "$kill_store" || break; sleep 0.05; done
    fi
    check_store "$kill_store" "iteration $i ($f)"
    echo "iteration $i: $f, kill $moment, ingests recorded $committed_before → $committed"
done
echo "kills: $during_read while reading, $in_transaction inside an open store transaction, $after_store while storing or after the commit; $finished runs finished first"
(( in_transaction > 0 )) || failed "no kill landed inside an open store transaction"

# ---- finish cleanly and compare with the reference ------------------------------------------------
for f in "${inputs[@]}"; do ingest "$kill_store" "$f"; done
check_store "$kill_store" "after clean re-ingest"
[ "$(ingest_rows "$kill_store")" = "$(cat clean.ingests)" ] || failed "ingests differ from the clean store"
if [ "$(edge_dump "$kill_store" | md5sum)" = "$(edge_dump "$clean" | md5sum)" ]; then :; else
    failed "edges differ from the clean store"
fi
"$bin" generate --db "$clean" -q > clean.yaml
"$bin" generate --db "$kill_store" -q > killed.yaml
[ -s clean.yaml ] && cmp -s clean.yaml killed.yaml || failed "generate --db differs between the killed and the clean store"

# ---- two concurrent ingests into one file ---------------------------------------------------------
both=$(new_store both)
"$bin" snapshot --db "$both" --cluster cluster.yaml -q
ingest "$both" flows-a.jsonl & a=$!
ingest "$both" flows-b.jsonl & b=$!
wait "$a" || failed "concurrent ingest a exited $?"
wait "$b" || failed "concurrent ingest b exited $?"
seq_store=$(new_store seq)
"$bin" snapshot --db "$seq_store" --cluster cluster.yaml -q
ingest "$seq_store" flows-a.jsonl
ingest "$seq_store" flows-b.jsonl
check_store "$both" "concurrent"
[ "$(totals "$both")" = "$(totals "$seq_store")" ] || failed "concurrent totals $(totals "$both"), sequential $(totals "$seq_store")"
[ "$(edge_dump "$both" | md5sum)" = "$(edge_dump "$seq_store" | md5sum)" ] || failed "concurrent edges differ from sequential ones"

fail=$((fail + $(grep -c FAIL failures.txt || true)))
if (( fail > 0 )); then
    echo "kill9 ($backend): $fail failures (seed $seed)"
    exit 1
fi
echo "kill9 ($backend): ok ($iterations kills, concurrent ingests, seed $seed)"
