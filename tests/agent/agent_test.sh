#!/usr/bin/env bash
# `netpolgen agent` on this machine (issue 17): pod-like network namespaces joined by veth pairs
# to a routing "node" namespace, real TCP and UDP connections over IPv4 and IPv6 between them,
# and the agent's flow lines compared with exactly the connections made — none reversed, none
# invented, replies not counted, a connection opened before the agent started reported once.
#
#   agent_test.sh NETPOLGEN [bpf|conntrack]
#
# Needs root, network namespaces and (bpf) the kernel's BTF: it fails, never skips, without
# them — CI runs as root on a kernel with BTF. The agent sees the whole machine (other tests'
# traffic too), so only the addresses of this test's own namespaces are compared.
set -euo pipefail
NETPOLGEN=$(realpath "$1")
CAPTURE=${2:-bpf}
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "the agent tests need root (CI runs as root)"
if [ "$CAPTURE" = bpf ]; then
    [ -r /sys/kernel/btf/vmlinux ] || fail "no /sys/kernel/btf/vmlinux: the eBPF capture needs the kernel's BTF"
fi

WORK=$(mktemp -d)
ID=$(( $$ % 200 + 20 ))          # this run's address block: 10.$ID.x.0/24, fd00:$ID:x::/64
P="npga$$"                      # namespace and link names
NODE="${P}n"
AGENT_PID=""
SERVERS=()
cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in a b c n; do
        # Whatever still runs inside (a client's python behind its subshell) holds our stderr.
        ip netns pids "${P}$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "${P}$ns" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Pod namespaces a, b, c (10.$ID.1.2, .2.2, .3.2) routed through the node namespace.
ip netns add "$NODE"
ip -n "$NODE" link set lo up
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
i=0
for pod in a b c; do
    i=$((i + 1))
    ns="${P}$pod"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "${P}${pod}0" netns "$ns" type veth peer name "${P}${pod}1" netns "$NODE"
    ip -n "$ns" addr add "10.$ID.$i.2/24" dev "${P}${pod}0"
    ip -n "$ns" addr add "fd00:$ID:$i::2/64" dev "${P}${pod}0" nodad
    ip -n "$NODE" addr add "10.$ID.$i.1/24" dev "${P}${pod}1"
    ip -n "$NODE" addr add "fd00:$ID:$i::1/64" dev "${P}${pod}1" nodad
    ip -n "$ns" link set "${P}${pod}0" up
    ip -n "$NODE" link set "${P}${pod}1" up
    ip -n "$ns" route add default via "10.$ID.$i.1"
    ip -n "$ns" -6 route add default via "fd00:$ID:$i::1"
done
A="10.$ID.1.2"; B="10.$ID.2.2"; C="10.$ID.3.2"
A6="fd00:$ID:1::2"; B6="fd00:$ID:2::2"
if [ "$CAPTURE" = conntrack ]; then
    # Conntrack tracks in a namespace only where a rule needs it (kube-proxy's do on a node).
    ip netns exec "$NODE" nft -f - <<NFT
table inet npgagent { chain forward { type filter hook forward priority 0; ct state new counter; }; }
NFT
fi

# Servers: b listens on TCP 8080 (v4), 9090 (v6), UDP 5353 (v4), 5354 (v6); a on TCP 7070.
cat > "$WORK/server.py" <<'PY'
import socket, sys, threading, time
def tcp(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda c=c: (c.recv(16), time.sleep(60)), daemon=True).start()
def udp(family, addr, port):
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.bind((addr, port))
    while True:
        data, peer = u.recvfrom(64)
        u.sendto(b"reply", peer)
for spec in sys.argv[1:]:
    kind, port = spec.split(":")
    family = socket.AF_INET6 if kind.endswith("6") else socket.AF_INET
    addr = "::" if family == socket.AF_INET6 else "0.0.0.0"
    target = tcp if kind.startswith("tcp") else udp
    threading.Thread(target=target, args=(family, addr, int(port)), daemon=True).start()
print("ready", flush=True)
time.sleep(120)
PY
cat > "$WORK/client.py" <<'PY'
import socket, sys, time
# client.py tcp HOST PORT N [hold] | udp HOST PORT SOCKETS DATAGRAMS_EACH
kind, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if kind == "tcp":
    held = []
    for _ in range(n):
        c = socket.create_connection((host, port)); c.send(b"x")
        if len(sys.argv) > 5: held.append(c)
        else: c.close()
    if held: time.sleep(float(sys.argv[5]))
else:
    per_socket = int(sys.argv[5])
    for _ in range(n):
        u = socket.socket(family, socket.SOCK_DGRAM); u.settimeout(2)
        for _ in range(per_socket):
            u.sendto(b"q", (host, port)); u.recvfrom(64)
        u.close()
PY
start_server() {  # NS SPEC…
    local ns=$1; shift
    ip netns exec "$ns" python3 "$WORK/server.py" "$@" > "$WORK/server-$ns.out" &
    SERVERS+=($!)
    for _ in $(seq 50); do grep -q ready "$WORK/server-$ns.out" 2>/dev/null && return; sleep 0.1; done
    fail "server in $ns did not start"
}
client() { local ns=$1; shift; ip netns exec "${P}$ns" python3 "$WORK/client.py" "$@"; }
start_server "${P}b" tcp:8080 tcp6:9090 udp:5353 udp6:5354
start_server "${P}a" tcp:7070

# A connection opened before the agent starts, held open throughout.
client a tcp "$B" 8080 1 30 & SERVERS+=($!)
sleep 0.5

AGENT_ARGS=(agent --output "$WORK/flows.jsonl" --capture "$CAPTURE" --interval 300ms)
if [ "$CAPTURE" = conntrack ]; then
    ip netns exec "$NODE" "$NETPOLGEN" "${AGENT_ARGS[@]}" 2> "$WORK/agent.err" &
else
    "$NETPOLGEN" "${AGENT_ARGS[@]}" 2> "$WORK/agent.err" &
fi
AGENT_PID=$!
for _ in $(seq 100); do
    [ -s "$WORK/agent.err" ] && break
    kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.err" >&2; fail "the agent exited at start"; }
    sleep 0.1
done
sleep 0.5

client a tcp "$B" 8080 5               # short-lived
client c tcp "$B" 8080 2
client b tcp "$A" 7070 1               # the other way round: b is the client here
client a udp "$B" 5353 3 2             # 3 sockets (tuples), 2 request/reply each
client c udp "$B" 5353 1 4
client a tcp "$B6" 9090 2              # IPv6
client a udp "$B6" 5354 1 3
client c tcp "$B" 8080 1 3 &           # long-lived, opened while the agent runs
HELD=$!
client a tcp "$B" 6000 1 2>/dev/null && fail "port 6000 should refuse" || true   # refused: no connection
wait "$HELD"
sleep 1
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || { cat "$WORK/agent.err" >&2; fail "the agent did not exit 0 on SIGTERM"; }
AGENT_PID=""
cat "$WORK/agent.err"

python3 - "$WORK/flows.jsonl" "$ID" "$A" "$B" "$C" "$A6" "$B6" <<'PY'
import json, sys
path, block, A, B, C, A6, B6 = sys.argv[1:]
got = {}
for n, line in enumerate(open(path), 1):
    f = json.loads(line)
    for key in ("src", "dst", "port", "protocol", "time", "count"):
        assert key in f, f"line {n} lacks {key}: {line}"
    ends = (f["src"], f["dst"])
    if not any(e.startswith(f"10.{block}.") or e.startswith(f"fd00:{block}:") for e in ends):
        continue  # another test's traffic
    k = (f["src"], f["dst"], f["port"], f["protocol"])
    got[k] = got.get(k, 0) + f["count"]
want = {
    (A, B, 8080, "TCP"): 1 + 5,      # the one held from before the agent started, 5 short
    (C, B, 8080, "TCP"): 2 + 1,
    (B, A, 7070, "TCP"): 1,
    (A, B, 5353, "UDP"): 3,
    (C, B, 5353, "UDP"): 1,
    (A6, B6, 9090, "TCP"): 2,
    (A6, B6, 5354, "UDP"): 1,
}
if got != want:
    print("expected:", file=sys.stderr)
    for k in sorted(want): print("  ", k, want[k], file=sys.stderr)
    print("recorded:", file=sys.stderr)
    for k in sorted(got): print("  ", k, got[k], file=sys.stderr)
    sys.exit("FAIL: the agent's connections differ from those made")
print(f"ok: {sum(want.values())} connections in {len(want)} edges, exactly")
PY
grep -q "(capture $CAPTURE); 0 events lost" "$WORK/agent.err" || fail "summary line: $(tail -1 "$WORK/agent.err")"

if [ "$CAPTURE" = bpf ]; then
    # Without the privilege to load BPF programs: one clear error, exit 1, nothing written.
    set +e
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        "$NETPOLGEN" agent --output - --capture bpf --duration 1s > "$WORK/unpriv.out" 2> "$WORK/unpriv.err"
    status=$?
    set -e
    [ "$status" = 1 ] || fail "unprivileged agent: exit $status, expected 1"
    grep -q "CAP_BPF" "$WORK/unpriv.err" || fail "unprivileged agent: no clear error: $(cat "$WORK/unpriv.err")"
    [ ! -s "$WORK/unpriv.out" ] || fail "unprivileged agent wrote output"
    echo "ok: unprivileged: $(head -1 "$WORK/unpriv.err")"

    # A kernel without BTF (hidden by a tmpfs in a mount namespace of its own): --capture bpf is
    # one error naming it; auto says why and falls back on conntrack.
    no_btf() {
        unshare --mount --propagation private sh -c \
            'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh "$NETPOLGEN" agent --output - \
            --duration 500ms "$@"
    }
    set +e
    no_btf --capture bpf > /dev/null 2> "$WORK/nobtf.err"
    status=$?
    set -e
    [ "$status" = 1 ] || fail "no BTF, --capture bpf: exit $status, expected 1"
    grep -q "no kernel BTF at /sys/kernel/btf/vmlinux" "$WORK/nobtf.err" ||
        fail "no BTF: no clear error: $(cat "$WORK/nobtf.err")"
    no_btf --capture auto > /dev/null 2> "$WORK/nobtf-auto.err" ||
        fail "no BTF, --capture auto did not fall back: $(cat "$WORK/nobtf-auto.err")"
    grep -q "trying conntrack" "$WORK/nobtf-auto.err" && grep -q "(capture conntrack)" "$WORK/nobtf-auto.err" ||
        fail "no BTF, auto: $(cat "$WORK/nobtf-auto.err")"
    echo "ok: without BTF: $(head -1 "$WORK/nobtf.err")"

    # More distinct edges in one interval than the counting map holds (65,536 entries; each
    # datagram below is seen three times: by a's namespace, the node's, b's): the ones that did
    # not fit are counted as lost events, in the summary line, never silently.
    "$NETPOLGEN" agent --output "$WORK/many.jsonl" --interval 3s --no-scan -q 2> "$WORK/many.err" &
    AGENT_PID=$!
    sleep 1
    ip netns exec "${P}a" python3 -c "
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(20000, 65000):
    u.sendto(b'x', ('$B', port))
"
    sleep 3.5
    kill -TERM "$AGENT_PID"
    wait "$AGENT_PID" || fail "agent (a full map) did not exit 0"
    AGENT_PID=""
    lost=$(sed -n 's/.*; \([0-9]*\) events lost;.*/\1/p' "$WORK/many.err")
    recorded=$(grep -c "\"dst\":\"$B\"" "$WORK/many.jsonl" || true)
    [ -n "$lost" ] && [ "$lost" -gt 0 ] || fail "a full map: no lost events reported: $(cat "$WORK/many.err")"
    [ "$recorded" -gt 0 ] && [ "$recorded" -lt 45000 ] || fail "a full map: $recorded edges recorded"
    echo "ok: 45,000 new UDP edges in one interval: $recorded recorded, $lost events lost (reported)"
fi
# Into the store, as on a cluster: the addresses resolved against the snapshot's pods, then
# `generate --db` lets web reach db on 8080 and nothing else reach it.
cat > "$WORK/cluster.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: web}]}
status: {podIP: $A, podIPs: [{ip: $A}, {ip: $A6}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: db, ports: [{containerPort: 8080}]}]}
status: {podIP: $B, podIPs: [{ip: $B}, {ip: $B6}]}
YAML
"$NETPOLGEN" snapshot --db "$WORK/store.db" --cluster "$WORK/cluster.yaml" -q
AGENT_ARGS=(agent --db "$WORK/store.db" --capture "$CAPTURE" --interval 300ms --commit-interval 1s --node-name node-1 -q)
if [ "$CAPTURE" = conntrack ]; then
    ip netns exec "$NODE" "$NETPOLGEN" "${AGENT_ARGS[@]}" 2> "$WORK/agent-db.err" &
else
    "$NETPOLGEN" "${AGENT_ARGS[@]}" 2> "$WORK/agent-db.err" &
fi
AGENT_PID=$!
sleep 1.5
client a tcp "$B" 8080 3
sleep 1
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || { cat "$WORK/agent-db.err" >&2; fail "agent --db did not exit 0"; }
AGENT_PID=""
"$NETPOLGEN" ingests --db "$WORK/store.db" | grep -q "agent:node-1" || fail "no ingest record agent:node-1"
"$NETPOLGEN" generate --db "$WORK/store.db" > "$WORK/policies.yaml"
python3 - "$WORK/policies.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
db = [d for d in docs if d["metadata"]["name"] == "stackrox-generated-db"]
assert db, f"no policy for db: {[d['metadata']['name'] for d in docs]}"
rules = db[0]["spec"]["ingress"]
assert rules == [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                  "ports": [{"port": 8080, "protocol": "TCP"}]}], rules
print("ok: generate --db from the agent's flows: db admits web on 8080/TCP only")
PY

echo "agent_test ($CAPTURE): ok"
