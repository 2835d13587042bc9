#!/usr/bin/env bash
# History end to end through the built binary: snapshot → apply --kubectl (fake_kubectl.sh) from
# stdin → history → a failing apply that is rolled back → revert --kubectl, and the fake cluster
# directory must end byte for byte as it started. The detailed cases (call order, rollback of
# replaces and deletes, revert --to / --steps N, outputs) are in tests/unit/history_cli_test.cpp.
#
#   tests/history/run.sh path/to/netpolgen                    # a SQLite file
#   tests/history/run.sh path/to/netpolgen postgres URIFILE   # --db postgresql://… on that server
set -u
bin=${1:?usage: run.sh path/to/netpolgen [postgres URIFILE]}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FAKE_KUBECTL_DIR=$tmp/cluster FAKE_KUBECTL_LOG=$tmp/kubectl.log
unset FAKE_KUBECTL_FAIL_ON NETPOLGEN_DB
db=$tmp/history.db
if [ "${2:-}" = postgres ]; then
    if [ "${NETPOLGEN_SKIP_PG:-}" = 1 ] || [ ! -s "${3:-}" ]; then
        echo "no PostgreSQL test server: skipped"
        exit 0
    fi
    server_uri=$(cat "$3")
    PGOPTIONS="--client-min-messages=warning" psql -q -X "$server_uri" \
        -c "DROP DATABASE IF EXISTS history_cli" -c "CREATE DATABASE history_cli" > /dev/null || exit 1
    db=${server_uri%/*}/history_cli
fi
kubectl=(--kubectl --kubectl-path "$here/fake_kubectl.sh")
pass=0
fail=0

check() {  # description, command…
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

policy() {  # namespace name app
    printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  podSelector:\n    matchLabels:\n      app: %s\n  policyTypes:\n  - Ingress\n' "$2" "$1" "$3"
}

mkdir -p "$tmp/cluster/shop"
policy shop allow-web web > "$tmp/cluster/shop/allow-web.yaml"
cp -r "$tmp/cluster" "$tmp/initial"

check "snapshot" "$bin" snapshot --db "$db" --cluster "$tmp/cluster" --now 2026-11-20T10:00:00Z -q

{ echo "# kubectl -n shop delete networkpolicy allow-web"; echo ---; policy shop new new
  echo ---; policy shop allow-web other; } > "$tmp/m1.yaml"
"$bin" apply --db "$db" - "${kubectl[@]}" --user ci --now 2026-11-20T10:01:00Z \
    < "$tmp/m1.yaml" > "$tmp/out" 2> "$tmp/err"
check "apply from stdin exits 0" [ $? = 0 ]
check "apply created and replaced" grep -qx 'recorded apply #1 for cluster "default": 1 created, 1 replaced, 0 deleted, via kubectl' "$tmp/out"
check "the fake cluster has the new policy" [ -f "$tmp/cluster/shop/new.yaml" ]

"$bin" history --db "$db" > "$tmp/out" 2> "$tmp/err"
check "history lists apply #1" grep -q '^1  *2026-11-20T10:01:00Z  *ci  *apply  *1  *1  *0  *kubectl$' "$tmp/out"

# A failing apply: shop/a is created, shop/b fails, shop/a is deleted again, nothing recorded.
cp -r "$tmp/cluster" "$tmp/after1"
{ echo ---; policy shop a a; echo ---; policy shop b b; } > "$tmp/m2.yaml"
FAKE_KUBECTL_FAIL_ON=b "$bin" apply --db "$db" "$tmp/m2.yaml" "${kubectl[@]}" > "$tmp/out" 2> "$tmp/err"
check "a failing kubectl exits 1" [ $? = 1 ]
check "kubectl's stderr is shown" grep -q 'kubectl create networkpolicy shop/b failed (exit 1): Error from server (Forbidden)' "$tmp/err"
check "the rollback is reported" grep -qx 'rolled back: deleted networkpolicy shop/a' "$tmp/out"
check "the cluster is as before the failed apply" diff -r "$tmp/after1" "$tmp/cluster"
"$bin" history --db "$db" --format json > "$tmp/out"
check "nothing recorded" [ "$(grep -c '"id"' "$tmp/out")" = 1 ]

"$bin" revert --db "$db" "${kubectl[@]}" --now 2026-11-20T10:02:00Z > "$tmp/out" 2> "$tmp/err"
check "revert exits 0" [ $? = 0 ]
check "revert restores the initial cluster" diff -r "$tmp/initial" "$tmp/cluster"
check "kubectl gets the name after --" grep -qx 'argv: delete networkpolicy -n shop -- new' "$tmp/kubectl.log"

"$bin" revert --db "$db" --to 9 > "$tmp/out" 2> "$tmp/err"
check "an unknown id exits 2" [ $? = 2 ]
"$bin" revert --db "$db" --cluster-name other > "$tmp/out" 2> "$tmp/err"
check "no snapshot exits 2" [ $? = 2 ]

echo "history: $pass passed, $fail failed"
[ "$fail" = 0 ]
