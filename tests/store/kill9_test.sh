#!/usr/bin/env bash
# Crash consistency of `netpolgen ingest` on SQLite: ingests killed with SIGKILL at random moments
# (during the read, and right after "storing …" appears, i.e. during the transaction and its commit)
# leave a store that is intact and holds whole ingests only; two concurrent ingests into one file
# both land.
#
#   tests/store/kill9_test.sh path/to/netpolgen
#
# Checks after every kill: PRAGMA integrity_check is ok; sum(edge_days.count) = sum(ingests.flows)
# = sum(edge_totals.count); every recorded ingest has the lines/flows/bytes a clean ingest of the
# same input records. At the end every input is ingested again without kills (the committed ones
# are skipped) and the edges, totals and ingests must equal those of a store built without kills.
# Environment: KILL9_ITERATIONS (default 24), KILL9_LINES per input (default 60000), KILL9_SEED.
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: kill9_test.sh path/to/netpolgen}")" && pwd)/$(basename "$1")
iterations=${KILL9_ITERATIONS:-24}
lines=${KILL9_LINES:-60000}
RANDOM=${KILL9_SEED:-$$}
tmp=$(mktemp -d /tmp/netpolgen-kill9.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
failed() { echo "FAIL: $*"; fail=$((fail + 1)); }

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
    seed=$(printf '%d' "'$input")
    awk -v n="$lines" -v seed="$seed" 'BEGIN {
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
"$bin" snapshot --db clean.db --cluster cluster.yaml -q
declare -A seconds
for f in "${inputs[@]}"; do
    start=$(date +%s%N)
    ingest clean.db "$f"
    seconds[$f]=$(( ($(date +%s%N) - start) / 1000000 ))
done
echo "clean ingests (ms): a=${seconds[flows-a.jsonl]} b=${seconds[flows-b.jsonl]} c=${seconds[flows-c.jsonl]}"

q() { sqlite3 -batch -noheader "$1" "$2"; }
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
ingest_rows clean.db > clean.ingests
read -r days_sum ingests_sum totals_sum <<< "$(totals clean.db)"
[ "$days_sum" = "$ingests_sum" ] && [ "$days_sum" = "$totals_sum" ] || failed "clean store: totals $days_sum $ingests_sum $totals_sum"

check_store() {  # db label
    local integrity days flows totals_sum
    integrity=$(q "$1" 'PRAGMA integrity_check')
    [ "$integrity" = ok ] || failed "$2: integrity_check: $integrity"
    read -r days flows totals_sum <<< "$(totals "$1")"
    [ "$days" = "$flows" ] && [ "$days" = "$totals_sum" ] ||
        failed "$2: sum(edge_days)=$days sum(ingests.flows)=$flows sum(edge_totals)=$totals_sum"
    # Every recorded ingest is one of the clean ones, whole.
    ingest_rows "$1" | while read -r row; do
        grep -qxF "$row" clean.ingests || echo "FAIL: $2: ingest row $row differs from a clean ingest"
    done | tee -a failures.txt
}

# ---- kill -9 at random moments -------------------------------------------------------------------
"$bin" snapshot --db kill.db --cluster cluster.yaml -q
during_read=0 during_store=0 finished=0
for ((i = 0; i < iterations; i++)); do
    f=${inputs[RANDOM % 3]}
    committed_before=$(q kill.db 'SELECT count(*) FROM ingests')
    "$bin" ingest --db kill.db --flows "$f" --progress always -q 2> progress.txt &
    pid=$!
    if (( i % 2 == 0 )); then
        # Anywhere in the run: 0 … 1.1 × the clean time.
        sleep "$(awk -v ms="${seconds[$f]}" -v r=$RANDOM 'BEGIN { printf "%.3f", ms * 1.1 * r / 32768 / 1000 }')"
    else
        # In the store phase: once "storing" is printed, 0 … 300 ms later.
        for _ in $(seq 1 2000); do
            grep -q storing progress.txt 2> /dev/null && break
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.005
        done
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.3 * r / 32768 }')"
    fi
    moment="no kill (finished first)"
    if kill -9 "$pid" 2> /dev/null; then
        moment=reading
        if grep -q storing progress.txt; then moment=storing; fi
    fi
    { wait "$pid"; } 2> /dev/null || true  # braces: bash's "Killed" job message goes too
    case $moment in
        reading) during_read=$((during_read + 1)) ;;
        storing) during_store=$((during_store + 1)) ;;
        *) finished=$((finished + 1)) ;;
    esac
    check_store kill.db "iteration $i ($f)"
    committed=$(q kill.db 'SELECT count(*) FROM ingests')
    echo "iteration $i: $f, kill while $moment, ingests recorded $committed_before → $committed"
done
echo "kills: $during_read while reading, $during_store while storing/committing; $finished runs finished first"
(( during_store > 0 )) || failed "no kill landed in the store phase"

# ---- finish cleanly and compare with the reference ------------------------------------------------
for f in "${inputs[@]}"; do ingest kill.db "$f"; done
check_store kill.db "after clean re-ingest"
[ "$(ingest_rows kill.db)" = "$(cat clean.ingests)" ] || failed "ingests differ from the clean store"
if [ "$(edge_dump kill.db | md5sum)" = "$(edge_dump clean.db | md5sum)" ]; then :; else
    failed "edges differ from the clean store"
fi

# ---- two concurrent ingests into one file ---------------------------------------------------------
"$bin" snapshot --db both.db --cluster cluster.yaml -q
ingest both.db flows-a.jsonl & a=$!
ingest both.db flows-b.jsonl & b=$!
wait "$a" || failed "concurrent ingest a exited $?"
wait "$b" || failed "concurrent ingest b exited $?"
"$bin" snapshot --db seq.db --cluster cluster.yaml -q
ingest seq.db flows-a.jsonl
ingest seq.db flows-b.jsonl
check_store both.db "concurrent"
[ "$(totals both.db)" = "$(totals seq.db)" ] || failed "concurrent totals $(totals both.db), sequential $(totals seq.db)"
[ "$(edge_dump both.db | md5sum)" = "$(edge_dump seq.db | md5sum)" ] || failed "concurrent edges differ from sequential ones"

fail=$((fail + $(grep -c FAIL failures.txt || true)))
if (( fail > 0 )); then
    echo "kill9: $fail failures"
    exit 1
fi
echo "kill9: ok ($iterations kills, concurrent ingests)"
