# Shared by the live cluster test scripts (sourced): the paths, a scratch directory removed at
# exit with the processes started (append their ids to `pids`), the fake API server, and check().
#   bin=$1; source "$(dirname "$0")/script_lib.sh" netpolgen-live
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${NETPOLGEN_SHARED_DIR:-$root/../shared}
tmp=$(mktemp -d "/tmp/${1:-netpolgen-test}.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0
fail=0
check() {  # description, command…
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "PASS $what"; else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
start_fake() {  # dir, extra args… → sets $url (serves $tmp/objects.yaml)
    local dir=$1
    shift
    mkdir -p "$dir"
    /usr/bin/python3 "$here/fake_apiserver.py" --dir "$dir" --objects "$tmp/objects.yaml" "$@" \
        > "$dir/out" 2> "$dir/err" &
    pids+=($!)
    for _ in $(seq 100); do grep -q 'listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
    url=$(sed -n 's/^fake-apiserver: listening on //p' "$dir/out")
    [ -n "$url" ] || { echo "the fake did not start: $(cat "$dir/err")"; exit 1; }
}
faults() { curl -sk -X POST -H 'Content-Type: application/json' -d "$1" "$url/__fake/faults" > /dev/null; }
