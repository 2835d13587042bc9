#!/usr/bin/env bash
# Crash consistency of `netpolgen apply` on SQLite: applies killed with SIGKILL at random moments —
# while kubectl runs (tests/history/fake_kubectl.sh, slowed down), while the apply is recorded,
# while it rolls back after a kubectl call failed (the fake refuses the last object), and
# record-only applies without --kubectl — leave a store that is intact and holds whole applies
# only; a failed apply is never recorded.
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
# Environment: KILL9_ITERATIONS (default 30), KILL9_SEED (printed, to replay a run).
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: kill9_apply_test.sh path/to/netpolgen}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
fake=$here/history/fake_kubectl.sh
iterations=${KILL9_ITERATIONS:-30}
seed=${KILL9_SEED:-$$}
RANDOM=$seed
echo "kill9 apply: seed $seed (replay with KILL9_SEED=$seed)"
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

# The same apply when kubectl refuses the last object (n9): every earlier call is rolled back.
cp base.db clean-failed.db
rm -rf cluster && cp -r initial cluster
: > kubectl.log
start=$(date +%s%N)
status=0
FAKE_KUBECTL_DIR=$tmp/cluster FAKE_KUBECTL_LOG=$tmp/kubectl.log FAKE_KUBECTL_DELAY=0.02 FAKE_KUBECTL_FAIL_ON=n9 \
    "$bin" apply --db clean-failed.db modification.yaml --kubectl --kubectl-path "$fake" --user ci \
    --now 2026-11-20T10:01:00Z > /dev/null 2> failed.err || status=$?
failing_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" != 0 ] && grep -q "rolled back" failed.err || failed "the refused apply: exit $status, $(cat failed.err)"
diff -r initial cluster > /dev/null || failed "the refused apply did not roll the cluster back"
[ "$(q clean-failed.db 'SELECT count(*) FROM applies')" = 0 ] || failed "the refused apply was recorded"
# The refused call's number (its YAML, logged after its argv line, names n9) and all calls made.
fail_call=$(awk '/^argv:/ { n++ } /^  name: n9$/ && !f { f = n } END { print f }' kubectl.log)
all_calls=$(grep -c '^argv:' kubectl.log)
(( fail_call > 0 && all_calls > fail_call + 1 )) || failed "no rollback calls logged ($fail_call, $all_calls)"
echo "refused apply: call $fail_call refused, $((all_calls - fail_call)) rollback calls, ${failing_ms} ms"

cp base.db kill.db
during_calls=0 after_calls=0 record_only=0 during_rollback=0 after_rollback=0 finished=0
for ((i = 0; i < iterations; i++)); do
    before=$(q kill.db 'SELECT count(*) FROM applies')
    rm -rf cluster && cp -r initial cluster
    : > kubectl.log
    kubectl_args=()
    fail_on=
    if (( i % 5 == 4 )); then
        # kubectl refuses n9: kill once the rollback has started, 0 … 1.1 × its clean duration later.
        kubectl_args=(--kubectl --kubectl-path "$fake")
        fail_on=n9
        delay=$(awk -v ms="$failing_ms" -v r=$RANDOM 'BEGIN { printf "%.3f", ms * 0.55 * r / 32768 / 1000 }')
    elif (( i % 3 != 2 )); then
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
        FAKE_KUBECTL_FAIL_ON=$fail_on \
        setsid "$bin" apply --db kill.db modification.yaml "${kubectl_args[@]}" --user ci \
        --now 2026-11-20T10:01:00Z > /dev/null 2>&1 &
    pid=$!
    if [ -n "$fail_on" ]; then
        # Wait for the first rollback call (the one after the refused call).
        for _ in $(seq 1 2000); do
            (( $(grep -c '^argv:' kubectl.log || true) > fail_call )) && break
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.005
        done
    fi
    sleep "$delay"
    moment=finished
    if kill -9 -- -"$pid" 2> /dev/null; then
        made=$(grep -c '^argv:' kubectl.log || true)
        if (( ${#kubectl_args[@]} == 0 )); then moment=record-only
        elif [ -n "$fail_on" ] && (( made > fail_call && made < all_calls )); then moment=during-rollback
        elif [ -n "$fail_on" ] && (( made > fail_call )); then moment=after-rollback
        elif [ -n "$fail_on" ]; then moment=before-rollback
        elif (( made < calls )); then moment=during-calls
        else moment=after-calls; fi
    fi
    status=0
    { wait "$pid"; } 2> /dev/null || status=$?
    if [ "$moment" = finished ]; then
        if [ -n "$fail_on" ]; then
            [ "$status" != 0 ] || failed "iteration $i: the refused apply exited 0"
            diff -r initial cluster > /dev/null || failed "iteration $i: the refused apply was not rolled back"
        else
            [ "$status" = 0 ] || failed "iteration $i: apply exited $status without a kill"
        fi
    fi
    case $moment in
        during-calls) during_calls=$((during_calls + 1)) ;;
        after-calls) after_calls=$((after_calls + 1)) ;;
        record-only) record_only=$((record_only + 1)) ;;
        during-rollback) during_rollback=$((during_rollback + 1)) ;;
        after-rollback | before-rollback) after_rollback=$((after_rollback + 1)) ;;
        *) finished=$((finished + 1)) ;;
    esac
    integrity=$(q kill.db 'PRAGMA integrity_check')
    [ "$integrity" = ok ] || failed "iteration $i: integrity_check: $integrity"
    after=$(q kill.db 'SELECT count(*) FROM applies')
    if [ "$after" = "$before" ]; then
        [ "$moment" != finished ] || [ -n "$fail_on" ] || failed "iteration $i: a finished apply was not recorded"
    elif [ -n "$fail_on" ]; then
        failed "iteration $i: an apply whose kubectl call was refused was recorded"
        break
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
echo "kills: $during_calls during kubectl calls, $after_calls after the last call, $record_only record-only, $during_rollback during a rollback, $after_rollback around it; $finished runs finished first"
(( during_calls > 0 )) || failed "no kill landed during the kubectl calls"
(( during_rollback > 0 )) || failed "no kill landed during a rollback"

# ---- the killed store still works: apply, then revert restores the initial cluster ---------------
rm -rf cluster && cp -r initial cluster
FAKE_KUBECTL_DIR=$tmp/cluster "$bin" apply --db kill.db modification.yaml --kubectl \
    --kubectl-path "$fake" > /dev/null || failed "a clean apply on the killed store"
FAKE_KUBECTL_DIR=$tmp/cluster "$bin" revert --db kill.db --kubectl --kubectl-path "$fake" > /dev/null ||
    failed "revert on the killed store"
diff -r initial cluster > /dev/null || failed "revert did not restore the initial cluster"

echo "kill9 apply: $fail failures (seed $seed)"
[ "$fail" = 0 ]
