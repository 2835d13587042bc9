#!/usr/bin/env bash
# bench/agent_rate.sh: `netpolgen agent` at 50,000 new connections per second (issue 17), a rate
# this 2-core machine cannot make with a socket per connection (TCP through conn_load tops out at
# ~49,000/s with both cores busy, ~42,000/s with the agent's programs in the path: agent_cost.sh).
# New UDP flows cost the sender nothing but a frame: bench/udp_inject.py writes datagrams on a's
# veth, each from the next source port, so b's namespace sees RATE new 5-tuples a second, and a
# UDP socket in b reads them. The agent (eBPF) counts each first datagram of a tuple.
#
#   bench/agent_rate.sh [--rate N] [--seconds S] [--build-dir DIR]      (root)
#
# Prints the datagrams sent and received by b, the connections the agent recorded for them, its
# lost events, its CPU and peak RSS. Floor: the sender's own rate (what the agent must keep up with).
set -euo pipefail
rate=50000
seconds=6
build=build
while [ $# -gt 0 ]; do
    case $1 in
        --rate) rate=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --build-dir) build=$2; shift 2 ;;
        *) echo "usage: $0 [--rate N] [--seconds S] [--build-dir DIR]" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
netpolgen=$(realpath "$build/netpolgen")
p="npgr$$"
tmp=$(mktemp -d)
cleanup() {
    for ns in a b; do
        ip netns pids "$p$ns" 2> /dev/null | xargs -r kill 2> /dev/null || true
        ip netns del "$p$ns" 2> /dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "${p}a"
ip netns add "${p}b"
ip link add "${p}a0" netns "${p}a" type veth peer name "${p}b0" netns "${p}b"
ip -n "${p}a" addr add 10.251.0.1/24 dev "${p}a0"
ip -n "${p}b" addr add 10.251.0.2/24 dev "${p}b0"
ip netns exec "${p}b" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n "${p}a" link set "${p}a0" up
ip -n "${p}b" link set "${p}b0" up
mac_of() { ip -n "$1" link show "$2" | awk '/ether/ { print $2 }'; }
received() { ip -n "${p}b" -s link show "${p}b0" | awk '/RX:/ { getline; print $2 }'; }

ip netns exec "${p}b" python3 -c "
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
u.bind(('0.0.0.0', 5353))
u.setblocking(False)
end = time.time() + $seconds + 8
while time.time() < end:
    try:
        u.recv(64)
    except BlockingIOError:
        time.sleep(0.001)
" &
"$netpolgen" agent --output "$tmp/flows.jsonl" --capture bpf --interval 1s --no-scan -q 2> "$tmp/agent.err" &
agent=$!
sleep 2
before=$(received)
sent=$(ip netns exec "${p}a" python3 "$here/udp_inject.py" "${p}a0" "$(mac_of "${p}a" "${p}a0")" \
    "$(mac_of "${p}b" "${p}b0")" 10.251.0.10 10.251.0.2 5353 "$rate" "$seconds")
got=$(( $(received) - before ))
sleep 2
cpu=$(awk '{ printf "%.3f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$agent/stat")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$agent/status")
kill -TERM "$agent"
wait "$agent" || true
recorded=$(python3 -c "
import json
print(sum(json.loads(l)['count'] for l in open('$tmp/flows.jsonl') if '\"dst\":\"10.251.0.2\"' in l))")
lost=$(sed -n 's/.*; \([0-9]*\) events lost;.*/\1/p' "$tmp/agent.err")
echo "sender: $sent"
echo "b received $got frames; the agent recorded $recorded new UDP connections to b; $lost events lost"
echo "agent CPU ${cpu}s over the run, peak RSS $((hwm / 1024)) MiB"
