#!/usr/bin/env bash
# bench/agent_cost.sh: what `netpolgen agent` costs a node, against a floor measured in the same
# run (issue 17).
#
#   bench/agent_cost.sh [--rate N] [--high-rate N] [--seconds S] [--build-dir DIR] [--floor-only]
#
# Topology (root needed; names unique to this run, removed on exit): a client namespace and a
# server namespace, each joined by a veth pair to a "node" namespace that routes between them, as
# a node forwards between two of its pods:
#     <id>c 10.250.1.2 ── 10.250.1.1 <id>r 10.250.2.1 ── 10.250.2.2 <id>s
# build/bench/conn_load makes new TCP connections (connect, then a reset: no TIME_WAIT) from <id>c
# to <id>s:8080 at --rate (default 10,000/s) for --seconds (default 10), three ways:
#   a. floor: no agent;
#   b. `netpolgen agent --output /dev/null --capture bpf`, run in <id>r (BPF sees every namespace);
#   c. `netpolgen agent --output /dev/null --capture conntrack`, run in <id>r: the agent reads the
#      conntrack of its own namespace, where the traffic is forwarded; an nft rule there
#      (`ct state new`) makes that namespace track connections (only during c).
# Each agent starts, settles for 3 s (BPF loaded, first scan done), then the load runs.
# Measured per way:
#   - conn_load's CPU (user+sys, its getrusage) per connection: the connecting and accepting
#     threads, where the kernel runs the connection work and the BPF programs attached to it;
#     ratio to the floor;
#   - the whole machine's busy CPU per connection over the load (/proc/stat: softirqs and kernel
#     threads too, but also whatever else runs on the machine: noisy on a shared one);
#   - the agent's CPU over the load (its threads' schedstat: ns) per 10,000 connections, and its
#     peak RSS (VmHWM) at the end;
#   - its stderr summary `netpolgen agent: N connections in M edges (capture …); L events lost`:
#     N against conn_load's count (N counts every new connection of the node, so other processes'
#     connections make it larger), and L.
# Then the same at --high-rate (default 50,000/s, two client threads): the table says the rate
# conn_load reached, which is the machine's limit when lower.
# --floor-only: way a only (before the agent exists), at both rates, plus UDP.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
rate=10000
high=50000
seconds=10
floor_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) rate=${2:?}; shift ;;
        --high-rate) high=${2:?}; shift ;;
        --seconds) seconds=${2:?}; shift ;;
        --build-dir) build=$(cd "${2:?}" && pwd); shift ;;
        --floor-only) floor_only=1 ;;
        -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/agent_cost.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
netpolgen="$build/netpolgen"
conn_load="$build/bench/conn_load"
[ -x "$conn_load" ] || { echo "bench/agent_cost.sh: $conn_load missing (ninja -C $build conn_load)" >&2; exit 1; }
[ "$floor_only" = 1 ] || [ -x "$netpolgen" ] || { echo "bench/agent_cost.sh: $netpolgen missing" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/agent_cost.sh: needs root (namespaces, BPF)" >&2; exit 1; }

id="npg$$"
nc="${id}c" nr="${id}r" ns="${id}s"
tmp=$(mktemp -d "/tmp/agent-cost.XXXXXX")
agent_pid=
cleanup() {
    [ -z "$agent_pid" ] || kill "$agent_pid" 2> /dev/null || true
    for n in "$nc" "$nr" "$ns"; do ip netns del "$n" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$nc"
ip netns add "$nr"
ip netns add "$ns"
ip link add "${id}a" netns "$nc" type veth peer name "${id}b" netns "$nr"
ip link add "${id}d" netns "$ns" type veth peer name "${id}e" netns "$nr"
ip -n "$nc" addr add 10.250.1.2/24 dev "${id}a"
ip -n "$nr" addr add 10.250.1.1/24 dev "${id}b"
ip -n "$nr" addr add 10.250.2.1/24 dev "${id}e"
ip -n "$ns" addr add 10.250.2.2/24 dev "${id}d"
for n in "$nc" "$nr" "$ns"; do ip -n "$n" link set lo up; done
ip -n "$nc" link set "${id}a" up
ip -n "$nr" link set "${id}b" up
ip -n "$nr" link set "${id}e" up
ip -n "$ns" link set "${id}d" up
ip -n "$nc" route add default via 10.250.1.1
ip -n "$ns" route add default via 10.250.2.1
ip netns exec "$nr" sysctl -qw net.ipv4.ip_forward=1

# Busy jiffies of the whole machine (everything but idle and iowait).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# A process's time on CPU in ns, over its threads (schedstat: ns, where stat's utime+stime count
# 10 ms ticks, too coarse for an agent that wakes once a second).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.0f\n", t }'; }
hz=$(getconf CLK_TCK)

# load MODE RATE THREADS → conn_load's JSON line, plus "machine_s" (busy CPU seconds) appended.
load() {
    local before after out
    before=$(busy)
    out=$("$conn_load" "--$1" --rate "$2" --threads "$3" --duration "$seconds" \
        --server 10.250.2.2 --port 8080 --client-netns "$nc" --server-netns "$ns")
    after=$(busy)
    echo "${out%\}},\"machine_s\":$(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN { printf "%.2f", d / hz }')}"
}
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<< "$1"; }

rows=()
# row LABEL JSON AGENT_CPU_S AGENT_HWM_KIB SUMMARY FLOOR_JSON
row() {
    local label=$1 j=$2 acpu=${3:-} hwm=${4:-} summary=${5:-} floor=${6:-}
    local conns cpu mcpu ratio mratio per10k recorded lost
    conns=$(field "$j" connections)
    # CPU µs per connection: at the machine's limit the ways reach different rates, so totals
    # would not compare.
    cpu=$(awk -v u="$(field "$j" cpu_user_s)" -v s="$(field "$j" cpu_sys_s)" -v n="$conns" 'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
    mcpu=$(awk -v m="$(field "$j" machine_s)" -v n="$conns" 'BEGIN { printf "%.1f", m * 1e6 / n }')
    ratio="" mratio=""
    if [ -n "$floor" ]; then
        local fn fcpu fm
        fn=$(field "$floor" connections)
        fcpu=$(awk -v u="$(field "$floor" cpu_user_s)" -v s="$(field "$floor" cpu_sys_s)" -v n="$fn" 'BEGIN { print (u + s) * 1e6 / n }')
        fm=$(awk -v m="$(field "$floor" machine_s)" -v n="$fn" 'BEGIN { print m * 1e6 / n }')
        ratio=$(awk -v a="$cpu" -v b="$fcpu" 'BEGIN { if (b > 0) printf "×%.2f", a / b }')
        mratio=$(awk -v a="$mcpu" -v b="$fm" 'BEGIN { if (b > 0) printf "×%.2f", a / b }')
    fi
    per10k="" recorded="" lost=""
    if [ -n "$acpu" ]; then
        per10k=$(awk -v c="$acpu" -v n="$conns" 'BEGIN { if (n > 0) printf "%.2f ms", c * 1e7 / n }')
        # "netpolgen agent: N connections in M edges (capture bpf); L events lost"
        recorded=$(sed -n 's/^netpolgen agent: \([0-9]*\) connections in .*/\1/p' <<< "$summary" | tail -1)
        lost=$(sed -n 's/.*; \([0-9]*\) events lost.*/\1/p' <<< "$summary" | tail -1)
        [ -n "$recorded" ] || recorded="(no summary)"
        [ -n "$recorded" ] && [ "$recorded" != "(no summary)" ] && recorded="$recorded ($((recorded - conns)))"
    fi
    rows+=("$(printf '| %s | %s/s | %s | %s %s | %s %s | %s | %s | %s | %s |' "$label" \
        "$(field "$j" rate)" "$conns" "$cpu" "$ratio" "$mcpu" "$mratio" "${per10k:--}" \
        "${hwm:+$((hwm / 1024)) MiB}" "${recorded:--}" "${lost:--}")")
}

# with_agent CAPTURE MODE RATE THREADS: the agent in the node namespace, then the load. Sets
# the globals j, acpu, hwm, summary.
with_agent() {
    local capture=$1 before after
    : > "$tmp/agent.err"
    # --duration bounds the agent: settle (3 s), load, then two intervals to drain the last counts.
    ip netns exec "$nr" "$netpolgen" agent --output /dev/null --capture "$capture" --interval 1s \
        --duration "$((seconds + 6))s" 2> "$tmp/agent.err" &
    agent_pid=$!  # ip netns exec execs the agent: same pid
    sleep 3
    kill -0 "$agent_pid" 2> /dev/null || { cat "$tmp/agent.err" >&2; echo "bench/agent_cost.sh: the agent did not start" >&2; exit 1; }
    before=$(cpu_ns "$agent_pid")
    j=$(load "$2" "$3" "$4")
    sleep 1.5  # the agent's interval after the last connection: its last drain
    after=$(cpu_ns "$agent_pid")
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$agent_pid/status")
    acpu=$(awk -v d=$((after - before)) 'BEGIN { printf "%.4f", d / 1e9 }')
    wait "$agent_pid" || true
    agent_pid=
    summary=$(grep '^netpolgen agent:' "$tmp/agent.err" || true)
    [ -n "$summary" ] || { echo "bench/agent_cost.sh: no summary from the agent:" >&2; cat "$tmp/agent.err" >&2; }
}

ct_on() {
    ip netns exec "$nr" nft -f - << 'EOF'
table inet agent_cost {
    chain forward {
        type filter hook forward priority 0; policy accept;
        ct state new counter
    }
}
EOF
}
ct_off() { ip netns exec "$nr" nft delete table inet agent_cost; }

echo "conn_load $rate/s and $high/s for ${seconds}s; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
floor=$(load tcp "$rate" 1)
row "a. floor (no agent), TCP" "$floor"
if [ "$floor_only" = 1 ]; then
    row "a. floor, TCP, max rate" "$(load tcp "$high" 2)"
    row "a. floor, UDP" "$(load udp "$rate" 1)"
    row "a. floor, UDP, max rate" "$(load udp "$high" 2)"
else
    with_agent bpf tcp "$rate" 1
    row "b. agent --capture bpf" "$j" "$acpu" "$hwm" "$summary" "$floor"
    ct_on
    with_agent conntrack tcp "$rate" 1
    ct_off
    row "c. agent --capture conntrack" "$j" "$acpu" "$hwm" "$summary" "$floor"
    high_floor=$(load tcp "$high" 2)
    row "a. floor, $high/s target" "$high_floor"
    with_agent bpf tcp "$high" 2
    row "b. bpf, $high/s target" "$j" "$acpu" "$hwm" "$summary" "$high_floor"
    ct_on
    with_agent conntrack tcp "$high" 2
    ct_off
    row "c. conntrack, $high/s target" "$j" "$acpu" "$hwm" "$summary" "$high_floor"
fi

echo "| way | achieved | connections | conn_load CPU µs/conn (× floor) | machine CPU µs/conn (× floor) | agent CPU / 10k conn | agent VmHWM | agent recorded (− conn_load) | lost |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
