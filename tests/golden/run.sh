#!/usr/bin/env bash
# Golden CLI tests: runs `netpolgen` on every tests/golden/cases/<case>.args and compares stdout
# with tests/golden/cases/<case>.expected and the exit status with <case>.status (default 0).
# Also checks that output is byte-identical across runs and that canonical and Hubble inputs of
# the same traffic give the same policies. UPDATE=1 rewrites the expected files.
#
# In .args files, $SHARED is ../shared, $ROOT the repository and $GOLDEN this folder.
set -u
bin=${1:?usage: run.sh path/to/netpolgen}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=${NETPOLGEN_SHARED_DIR:-$ROOT/../shared}
GOLDEN=$here
export ROOT SHARED GOLDEN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

check() {  # name, condition-message; uses $? of the previous command
    if [ "$1" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi
}

for args_file in "$here"/cases/*.args; do
    name=$(basename "$args_file" .args)
    args=$(envsubst '$SHARED $ROOT $GOLDEN' < "$args_file")
    expected="$here/cases/$name.expected"
    want_status=0
    [ -f "$here/cases/$name.status" ] && want_status=$(cat "$here/cases/$name.status")
    # shellcheck disable=SC2086
    "$bin" $args > "$tmp/out" 2> "$tmp/err"
    status=$?
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "$tmp/out" "$expected"
        [ "$status" != 0 ] && echo "$status" > "$here/cases/$name.status"
        continue
    fi
    if [ "$status" = "$want_status" ]; then check ok ""; else
        check fail "$name: exit status $status, want $want_status"; sed 's/^/    /' "$tmp/err" | head -5; fi
    if cmp -s "$tmp/out" "$expected"; then check ok ""; else
        check fail "$name: output differs from $expected"; diff "$expected" "$tmp/out" | head -20; fi
    # shellcheck disable=SC2086
    "$bin" $args > "$tmp/out2" 2>/dev/null
    if cmp -s "$tmp/out" "$tmp/out2"; then check ok ""; else check fail "$name: output not deterministic"; fi
    # Every line of <case>.stderr must be in stderr (not any one of them).
    if [ -f "$here/cases/$name.stderr" ]; then
        while IFS= read -r want; do
            if grep -qF -- "$want" "$tmp/err"; then check ok ""; else
                check fail "$name: stderr lacks: $want"; sed 's/^/    /' "$tmp/err" | head -5; fi
        done < "$here/cases/$name.stderr"
    fi
    # Guards against a vacuous golden: a failing case names what is wrong, not only where (its
    # .stderr holds words after the location); a succeeding one prints something unless
    # <case>.empty says why nothing is right; <case>.contains lists lines written from the inputs
    # by hand (not recorded from the binary) that the output must hold.
    if [ "$want_status" != 0 ]; then
        if [ -f "$here/cases/$name.stderr" ] && grep -qE '[A-Za-z]{2,} [A-Za-z"]{2,}' "$here/cases/$name.stderr"; then
            check ok ""; else check fail "$name: a failing case needs a .stderr with the message, not only a location"; fi
    elif [ ! -f "$here/cases/$name.empty" ]; then
        if [ -s "$expected" ]; then check ok ""; else check fail "$name: printed nothing (add $name.empty if that is right)"; fi
    fi
    if [ -f "$here/cases/$name.contains" ]; then
        while IFS= read -r want; do
            if grep -qxF -- "$want" "$tmp/out"; then check ok ""; else check fail "$name: output lacks the line: $want"; fi
        done < "$here/cases/$name.contains"
    fi
done

# The same traffic in both flow formats gives the same policies.
for pair in "$here"/cases/*.same-as; do
    [ -e "$pair" ] || continue
    name=$(basename "$pair" .same-as)
    other=$(cat "$pair")
    if cmp -s "$here/cases/$name.expected" "$here/cases/$other.expected"; then check ok ""; else
        check fail "$name and $other should give the same output"; fi
done

echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
