#!/usr/bin/env bash
# Reading a large live cluster (issue 12 point 7, first half): the initial list of a 10,000-workload /
# 50,000-pod cluster from the fake API server, target under 10 s and under 1 GB.
#
#   bench/live_list_scale.sh [path/to/netpolgen]         # default build/netpolgen
#
# Environment: WORKLOADS (10000), PODS (50000), NAMESPACES (100), LIVE_SCALE_TMP (a directory kept
# between runs: the objects file is reused), LIVE_SCALE_FAKE (the --dir of a fake already serving
# them: its start takes minutes), RUNS (best of, default 1).
#
# 1. bench/live_cluster_objects.py writes the cluster as one JSON List (Namespaces, Deployments with
#    their ReplicaSets, StatefulSets, DaemonSets, Pods with ownerReferences and pod IPs, Services).
# 2. tests/kube/fake_apiserver.py serves it (it adds uid, resourceVersion, managedFields…).
# 3. The fake's own share: curl fetches the pages netpolgen asks for (same paths, same limit,
#    following `continue`), one request after the other, no rate limit. The answers are saved.
# 4. Floor, in the same run: `netpolgen snapshot --db F --cluster floor.json`, floor.json being the
#    saved pages' objects as one List (decoding, building the cluster, storing; no HTTP).
# 5. `netpolgen snapshot --db X --kubeconfig K` against the fake with the default client settings
#    (QPS 5, burst 10, each kind's list from the watch cache: resourceVersion=0, one answer per
#    kind, as client-go's reflector), then --kube-consistent-read (pages of 500 from etcd, as
#    kubectl get) with the flags a user of a large cluster would set; and the same against
#    bench/replay_pages.py, which serves the saved answers as they were (a live list over HTTPS
#    without the fake's Python cost; its own share measured with curl).
# 6. `netpolgen serve --kubeconfig K`: the seconds until it logs "the cluster is listed and cached"
#    (every kind listed into the watch cache: issue 12.7's "initial list and cache"), and until the
#    first snapshot is stored; peak RSS (VmHWM) at each point.
# Each snapshot run under /usr/bin/time -v: wall, CPU (user + sys: netpolgen's own, the servers are
# other processes), max RSS; ratios to the floor.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${1:-$root/build/netpolgen}
workloads=${WORKLOADS:-10000}
pods=${PODS:-50000}
namespaces=${NAMESPACES:-100}
runs=${RUNS:-1}
out=${LIVE_SCALE_TMP:-$(mktemp -d /tmp/netpolgen-live-scale.XXXXXX)}
mkdir -p "$out"
fake_pid=""
replay_pid=""
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2> /dev/null
    [ -n "$replay_pid" ] && kill "$replay_pid" 2> /dev/null
    wait 2> /dev/null || true
}
trap cleanup EXIT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
wait_for() {  # FILE PATTERN PID: the URL printed after PATTERN
    for _ in $(seq 6000); do
        grep -q "$2" "$1" 2> /dev/null && break
        kill -0 "$3" 2> /dev/null || return 1
        sleep 0.2
    done
    sed -n "s/^$2 //p" "$1"
}

objects=$out/objects-$workloads-$pods.json
if [ ! -s "$objects" ]; then
    /usr/bin/python3 "$here/live_cluster_objects.py" "$objects" --workloads "$workloads" \
        --pods "$pods" --namespaces "$namespaces"
fi
echo "objects: $objects ($(du -m "$objects" | cut -f1) MB)"

# ---- the fake API server -------------------------------------------------------------------------
fake=${LIVE_SCALE_FAKE:-}
if [ -z "$fake" ]; then
    fake=$out/fake
    rm -rf "$fake"
    mkdir -p "$fake"
    start=$(now)
    /usr/bin/python3 "$root/tests/kube/fake_apiserver.py" --dir "$fake" --objects "$objects" \
        > "$fake/out" 2> "$fake/err" &
    fake_pid=$!
    wait_for "$fake/out" 'fake-apiserver: listening on' "$fake_pid" > /dev/null ||
        { echo "the fake died: $(cat "$fake/err")" >&2; exit 1; }
    echo "fake API server started in $(seconds "$start" "$(now)") s"
fi
url=$(sed -n 's/^fake-apiserver: listening on //p' "$fake/out")
[ -n "$url" ] || { echo "the fake did not start: $(cat "$fake/err")" >&2; exit 1; }
echo "fake API server: $url"

# ---- the fake's share: the same pages with curl, saved -------------------------------------------
# The paths netpolgen lists (kube/cluster_reader.cpp kKinds), all served by the fake.
paths=(/api/v1/namespaces /api/v1/pods /api/v1/services /api/v1/replicationcontrollers
    /apis/apps/v1/deployments /apis/apps/v1/statefulsets /apis/apps/v1/daemonsets
    /apis/apps/v1/replicasets /apis/batch/v1/jobs /apis/batch/v1/cronjobs
    /apis/networking.k8s.io/v1/networkpolicies)
get() {  # path [curl args…] → body on stdout
    local path=$1
    shift
    curl -sf --cacert "$fake/ca.crt" -H 'Authorization: Bearer admin-token' \
        -H 'Accept: application/json' --compressed -G "$@" "$url$path"
}
pages=$out/pages
rm -rf "$pages"
mkdir -p "$pages"
get /apis > "$pages/apis.json"
printf '/apis\t\t\tapis.json\n' > "$pages/index.tsv"
# fetch_all LIMIT [RV]: every page of every path into $pages, indexed for replay_pages.py; prints
# the seconds it took and the number of requests. RV 0: the first page from the watch cache (which
# ignores limit: one request per path), as netpolgen asks by default.
fetch_all() {
    local limit=$1 rv=${2:-} n=0 t0 token file
    t0=$(now)
    for path in "${paths[@]}"; do
        token=""
        while :; do
            n=$((n + 1))
            file=$limit-$rv-$n.json
            local page_rv=""  # the resourceVersion goes with the first page only
            [ -n "$token" ] || page_rv=$rv
            get "$path" --data-urlencode "limit=$limit" ${token:+--data-urlencode "continue=$token"} \
                ${page_rv:+--data-urlencode "resourceVersion=$page_rv"} > "$pages/$file"
            printf '%s\t%s\t%s\t%s\t%s\n' "$path" "$limit" "$token" "$file" "$page_rv" \
                >> "$pages/index.tsv"
            token=$(grep -o '"continue":"[^"]*"' "$pages/$file" | head -1 | sed 's/.*:"//; s/"$//' || true)
            [ -n "$token" ] || break
        done
    done
    echo "$(seconds "$t0" "$(now)") $n"
}
read -r curlcache requestscache < <(fetch_all 500 0)
read -r curl500 requests500 < <(fetch_all 500)
read -r curl5000 requests5000 < <(fetch_all 5000)
echo "the fake, with curl: from the watch cache: $requestscache requests, $curlcache s; pages of 500: $requests500 requests, $curl500 s; pages of 5000: $requests5000 requests, $curl5000 s"

# The floor's input: the served objects (kind and apiVersion put back) as one List.
/usr/bin/python3 "$here/live_cluster_objects.py" --join-pages "$pages" 500 "$out/floor.json"

# ---- the same answers replayed (bench/replay_pages.py) -------------------------------------------
/usr/bin/python3 "$here/replay_pages.py" "$pages" "$fake/server.crt" "$fake/server.key" \
    > "$out/replay.out" 2> "$out/replay.err" &
replay_pid=$!
replay_url=$(wait_for "$out/replay.out" 'replay: listening on' "$replay_pid") ||
    { echo "the replay did not start: $(cat "$out/replay.err")" >&2; exit 1; }
sed "s|server: .*|server: $replay_url|" "$fake/kubeconfig-token" > "$out/kubeconfig-replay"
replay_share() {  # FILE-PREFIX: the seconds curl takes for the replayed pages saved under it
    local prefix=$1 t0
    t0=$(now)
    # '|' for the tabs: read merges adjacent tabs (IFS whitespace), which would shift the fields
    # after an empty continue token.
    while IFS='|' read -r path l cont file rv; do
        [[ "$file" == "$prefix"* ]] || continue
        curl -sf --cacert "$fake/ca.crt" -G --data-urlencode "limit=$l" \
            ${cont:+--data-urlencode "continue=$cont"} ${rv:+--data-urlencode "resourceVersion=$rv"} \
            "$replay_url$path" > /dev/null || { echo "replay: $path $l $cont: no answer" >&2; exit 1; }
    done < <(tr '\t' '|' < "$pages/index.tsv")
    seconds "$t0" "$(now)"
}
replaycache=$(replay_share 500-0-)
replay500=$(replay_share 500--)
replay5000=$(replay_share 5000--)
echo "the replay, with curl: from the watch cache: $replaycache s; pages of 500: $replay500 s; pages of 5000: $replay5000 s"

# ---- runs ----------------------------------------------------------------------------------------
# measure ARGS…: the run with the best wall time of $runs; sets wall, cpu (s) and rss (MB).
measure() {
    local best="" t c r
    for _ in $(seq "$runs"); do
        rm -f "$out/run.db"
        /usr/bin/time -v -o "$out/time.txt" "$bin" snapshot --db "$out/run.db" "$@" -q \
            2> "$out/err.txt" || { echo "snapshot $* failed: $(cat "$out/err.txt")" >&2; exit 1; }
        t=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
            for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$out/time.txt")
        c=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$out/time.txt")
        r=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$out/time.txt")
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t wall=$t cpu=$c rss=$r
        fi
    done
}
measure --cluster "$out/floor.json"
floor_wall=$wall floor_cpu=$cpu floor_rss=$rss

echo
echo "| run ($workloads workloads, $pods pods) | wall s | wall / floor | CPU s | CPU / floor | max RSS MB | RSS / floor | server's share (curl, same pages) | wall − server |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '| floor: snapshot --cluster floor.json (the same objects from one file) | %s | 1.00 | %s | 1.00 | %s | 1.00 | — | — |\n' \
    "$floor_wall" "$floor_cpu" "$floor_rss"
row() {  # label server-seconds kubeconfig args…
    local label=$1 share=$2 config=$3
    shift 3
    measure --kubeconfig "$config" "$@"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s s | %s s |\n' "$label" "$wall" \
        "$(ratio "$wall" "$floor_wall")" "$cpu" "$(ratio "$cpu" "$floor_cpu")" "$rss" \
        "$(ratio "$rss" "$floor_rss")" "$share" "$(seconds "$share" "$wall")"
}
k=$fake/kubeconfig-token
r=$out/kubeconfig-replay
paged=--kube-consistent-read
row "replay: snapshot --kubeconfig (defaults: the watch cache, QPS 5, burst 10)" "$replaycache" "$r"
row "replay: … $paged (pages of 500)" "$replay500" "$r" $paged
row "replay: … $paged --kube-qps 50 --kube-burst 100" "$replay500" "$r" $paged --kube-qps 50 --kube-burst 100
row "replay: … $paged --kube-page-size 5000" "$replay5000" "$r" $paged --kube-page-size 5000
row "fake: snapshot --kubeconfig (defaults: the watch cache)" "$curlcache" "$k"
row "fake: … $paged (pages of 500)" "$curl500" "$k" $paged
row "fake: … $paged --kube-qps 50 --kube-burst 100" "$curl500" "$k" $paged --kube-qps 50 --kube-burst 100

# serve: the list and cache of every kind (until "the cluster is listed and cached"), then the first
# snapshot stored; the peak RSS at each point from /proc.
serve_run() {  # kubeconfig label share
    local config=$1 label=$2 share=$3 t0 listed stored rss_listed rss_stored pid
    rm -f "$out/serve.db"
    t0=$(now)
    "$bin" serve --db "$out/serve.db" --kubeconfig "$config" --listen 127.0.0.1:0 \
        > "$out/serve.out" 2> "$out/serve.err" &
    pid=$!
    for _ in $(seq 6000); do
        grep -q 'listed and cached' "$out/serve.err" 2> /dev/null && break
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.05
    done
    listed=$(seconds "$t0" "$(now)")
    rss_listed=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2> /dev/null || echo "?")
    for _ in $(seq 6000); do
        grep -q 'snapshot 1 of the watched' "$out/serve.err" 2> /dev/null && break
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.05
    done
    stored=$(seconds "$t0" "$(now)")
    rss_stored=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2> /dev/null || echo "?")
    kill "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    grep -q 'listed and cached' "$out/serve.err" ||
        { echo "serve did not list the cluster: $(cat "$out/serve.err")" >&2; exit 1; }
    printf '| %s: listed and cached | %s | %s | — | — | %s | %s | %s s | %s s |\n' "$label" "$listed" \
        "$(ratio "$listed" "$floor_wall")" "$rss_listed" "$(ratio "$rss_listed" "$floor_rss")" \
        "$share" "$(seconds "$share" "$listed")"
    printf '| %s: first snapshot stored | %s | %s | — | — | %s | %s | — | — |\n' "$label" "$stored" \
        "$(ratio "$stored" "$floor_wall")" "$rss_stored" "$(ratio "$rss_stored" "$floor_rss")"
}
serve_run "$r" "replay: serve --kubeconfig (defaults)" "$replaycache"
serve_run "$k" "fake: serve --kubeconfig (defaults)" "$curlcache"
