#!/usr/bin/env bash
# `cmake --install` puts netpolgen and the kubectl-netpolgen plugin link into the prefix, and the
# installed binary finds its demo data. With kubectl on PATH, `kubectl netpolgen` runs it too.
set -euo pipefail
build=${1:?usage: install_test.sh BUILD_DIR}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/netpolgen"
test "$(readlink "$prefix/bin/kubectl-netpolgen")" = netpolgen
"$prefix/bin/kubectl-netpolgen" --version
out=$(NETPOLGEN_DEMO_DIR= "$prefix/bin/netpolgen" demo -q)
grep -q "name: stackrox-generated-frontend" <<< "$out"
if command -v kubectl >/dev/null; then
    out=$(PATH="$prefix/bin:$PATH" kubectl netpolgen demo -q)
    grep -q "kind: NetworkPolicy" <<< "$out"
    echo "kubectl plugin: ok"
fi
echo "install: ok"
