#!/usr/bin/env bash
# Crash consistency of `netpolgen apply` on SQLite: applies killed with SIGKILL at random moments —
# while kubectl runs (tests/history/fake_kubectl.sh, slowed down), while it rolls back, while the
# apply is recorded, and record-only applies without --kubectl — leave a store that is intact and
# holds whole applies only.
#
#   tests/store/kill9_apply_test.sh path/to/netpolgen
#
# Checks after every kill: PRAGMA integrity_check is ok; the apply was recorded once or not at all
# (a recorded one is then reverted with `revert --record`, so every iteration starts from the same
# state);
# every recorded apply has the modification and the undo of a clean apply of the same input
# (compared with a store where the same apply was never killed); `netpolgen history` and
# `history --show ID` read every row; when the kubectl apply was recorded, the fake cluster holds
# exactly the applied state (the record is written after the last kubectl call succeeded). At the
# end a clean apply and a revert still work on the killed store.
# Environment: KILL9_ITERATIONS (default 30), KILL9_SEED.
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: kill9_apply_test.sh path/to/netpolgen}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
fake=$here/history/fake_kubectl.sh
iterations=${KILL9_ITERATIONS:-30}
RANDOM=${KILL9_SEED:-$$}
tmp=$(mktemp -d /tmp/netpolgen-kill9-apply.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset NETPOLGEN_DB FAKE_KUBECTL_FAIL_ON
fail=0
failed() { echo "FAIL: $*"; fail=$((fail + 1)); }
q() { sqlite3 -batch -noheader "$1" "$2"; }

policy() {  # namespace name app
    printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  podSelector:\n    matchLabels:\n      app: %s\n  policyTypes:\n  - Ingress\n' "$2" "$1" "$3"
}

# ---- the cluster: 10 policies; the modification deletes 3, replaces 3, creates 10 ---------------
mkdir -p initial/shop
for i in $(seq 0 9); do policy shop "p$i" "app$i" > "initial/shop/p$i.yaml"; done
{
    for i in 0 1 2 3 4 5; do echo "# kubectl -n shop delete networkpolicy p$i"; done
    for i in 3 4 5; do echo ---; policy shop "p$i" "changed$i"; done
    for i in $(seq 0 9); do echo ---; policy shop "n$i" "new$i"; done
} > modification.yaml
calls=16

"$bin" snapshot --db base.db --cluster initial --now 2026-11-20T10:00:00Z -q
# The reference: the same apply, never killed, on a copy of the base store and cluster.
cp base.db clean.db
rm -rf cluster && cp -r initial cluster
start=$(date +%s%N)
FAKE_KUBECTL_DIR=$tmp/cluster FAKE_KUBECTL_DELAY=0.02 "$bin" apply --db clean.db modification.yaml --kubectl \
    --kubectl-path "$fake" --user ci --now 2026-11-20T10:01:00Z > /dev/null
kubectl_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cp -r cluster applied
record() {  # db id → the recorded columns that must equal a clean apply's
    q "$1" "SELECT cluster, applied_at, user_name, modification, undo, action, via_kubectl
            FROM applies WHERE id = $2" | md5sum
}
clean_with_kubectl=$(record clean.db 1)
cp base.db clean-record.db
start=$(date +%s%N)
"$bin" apply --db clean-record.db modification.yaml --user ci --now 2026-11-20T10:01:00Z > /dev/null
record_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "clean applies (ms): with kubectl $kubectl_ms, record only $record_ms"
clean_record_only=$(record clean-record.db 1)

cp base.db kill.db
during_calls=0 after_calls=0 record_only=0 finished=0
for ((i = 0; i < iterations; i++)); do
    before=$(q kill.db 'SELECT count(*) FROM applies')
    rm -rf cluster && cp -r initial cluster
    : > kubectl.log
    kubectl_args=()
    if (( i % 3 != 2 )); then
        kubectl_args=(--kubectl --kubectl-path "$fake")
        # Anywhere in 0 … 1.1 × the clean time, so some kills land after the last call; every
        # fourth one in its last 15 %, while the last calls run and the apply is recorded.
        from=0
        (( i % 4 != 3 )) || from=0.85
        delay=$(awk -v ms="$kubectl_ms" -v f=$from -v r=$RANDOM 'BEGIN { printf "%.3f", ms * (f + (1.1 - f) * r / 32768) / 1000 }')
    else
        delay=$(awk -v ms="$record_ms" -v r=$RANDOM 'BEGIN { printf "%.3f", ms * 1.1 * r / 32768 / 1000 }')
    fi
    # Its own process group (setsid): the kill takes the running kubectl with it, so no orphan
    # writes into the next iteration's cluster directory.
    FAKE_KUBECTL_DIR=$tmp/cluster FAKE_KUBECTL_LOG=$tmp/kubectl.log FAKE_KUBECTL_DELAY=0.02 \
        setsid "$bin" apply --db kill.db modification.yaml "${kubectl_args[@]}" --user ci \
        --now 2026-11-20T10:01:00Z > /dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    moment=finished
    if kill -9 -- -"$pid" 2> /dev/null; then
        made=$(grep -c '^argv:' kubectl.log || true)
        if (( ${#kubectl_args[@]} == 0 )); then moment=record-only
        elif (( made < calls )); then moment=during-calls
        else moment=after-calls; fi
    fi
    status=0
    { wait "$pid"; } 2> /dev/null || status=$?
    [ "$moment" != finished ] || [ "$status" = 0 ] || failed "iteration $i: apply exited $status without a kill"
    case $moment in
        during-calls) during_calls=$((during_calls + 1)) ;;
        after-calls) after_calls=$((after_calls + 1)) ;;
        record-only) record_only=$((record_only + 1)) ;;
        *) finished=$((finished + 1)) ;;
    esac
    integrity=$(q kill.db 'PRAGMA integrity_check')
    [ "$integrity" = ok ] || failed "iteration $i: integrity_check: $integrity"
    after=$(q kill.db 'SELECT count(*) FROM applies')
    if [ "$after" = "$before" ]; then
        [ "$moment" != finished ] || failed "iteration $i: a finished apply was not recorded"
    elif [ "$after" = $((before + 1)) ]; then
        expected=$clean_record_only
        (( ${#kubectl_args[@]} == 0 )) || expected=$clean_with_kubectl
        [ "$(record kill.db "$after")" = "$expected" ] || failed "iteration $i: apply #$after differs from a clean one"
        if (( ${#kubectl_args[@]} > 0 )); then
            diff -r applied cluster > /dev/null || failed "iteration $i: recorded, but the cluster is not the applied state"
        fi
        "$bin" history --db kill.db --show "$after" > /dev/null || failed "iteration $i: history --show $after"
        # Back to the initial state for the next iteration, recorded as a revert (no kubectl).
        "$bin" revert --db kill.db --record --now 2026-11-20T10:02:00Z > /dev/null ||
            failed "iteration $i: revert --record"
        before=$after after=$(q kill.db 'SELECT count(*) FROM applies')
    else
        failed "iteration $i: applies $before → $after"
        break
    fi
    "$bin" history --db kill.db > /dev/null || failed "iteration $i: history"
    echo "iteration $i: kill $moment, applies recorded $before → $after"
done
echo "kills: $during_calls during kubectl calls, $after_calls after the last call, $record_only record-only; $finished runs finished first"
(( during_calls > 0 )) || failed "no kill landed during the kubectl calls"

# ---- the killed store still works: apply, then revert restores the initial cluster ---------------
rm -rf cluster && cp -r initial cluster
FAKE_KUBECTL_DIR=$tmp/cluster "$bin" apply --db kill.db modification.yaml --kubectl \
    --kubectl-path "$fake" > /dev/null || failed "a clean apply on the killed store"
FAKE_KUBECTL_DIR=$tmp/cluster "$bin" revert --db kill.db --kubectl --kubectl-path "$fake" > /dev/null ||
    failed "revert on the killed store"
diff -r initial cluster > /dev/null || failed "revert did not restore the initial cluster"

echo "kill9 apply: $fail failures"
[ "$fail" = 0 ]
