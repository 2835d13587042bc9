#!/usr/bin/env python3
"""Check the sample flow files written by scripts/make_sample_flows.py.

    python3 scripts/check_sample_flows.py [--root DIR] [--samples DIR] [--no-regenerate]

For each app (Online Boutique, Sock Shop, Bookinfo) the expected edge set is derived independently of the
generator: from the tables in ../shared/samples/<app>/CALLS.md (caller, callee, pod port, protocol, plus the
internet entry point), resolved to Deployments through the pod template labels in the sample manifest. Then:

  canonical file  every line is a JSON object; the distinct (src, dst, port, protocol) edges, with public IP
                  sources counted as `internet`, equal the expected set exactly.
  Hubble file     keeping only flows with is_reply false and (TCP) SYN without ACK, and deduplicating the two
                  observation points of a connection by its 5-tuple, the edges equal the expected set; every
                  in-cluster connection was seen at FROM_ENDPOINT and TO_ENDPOINT; pods have stable IPs.
  DNS file        the Online Boutique edges plus DNS (UDP 53, some TCP 53) from every pod to kube-system/coredns.

Unless --no-regenerate is given, it also regenerates everything into a temporary directory and checks that the
files in the repository are byte-identical to what the script produces. Prints the edge sets; exit status 1 on
any mismatch.
"""

import argparse
import calendar
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

START_S = calendar.timegm((2026, 11, 16, 0, 0, 0, 0, 0, 0))
END_S = START_S + 5 * 86400
MAX_BYTES = 8 * 1000 * 1000

APPS = [
    # key, manifest, namespace when the manifest sets none, canonical file, Hubble file (relative to root)
    ("online-boutique", "kubernetes-manifests.yaml", "default",
     "demo/online-boutique/flows.jsonl", "demo/online-boutique/flows.hubble.jsonl"),
    ("sock-shop", "complete-demo.yaml", "default",
     "tests/golden/sock-shop/flows.jsonl", "tests/golden/sock-shop/flows.hubble.jsonl"),
    ("bookinfo", "bookinfo.yaml", "default",
     "tests/golden/bookinfo/flows.jsonl", "tests/golden/bookinfo/flows.hubble.jsonl"),
]
DNS_FILE = "demo/online-boutique/flows-with-dns.hubble.jsonl"
GENERATED = ["demo/online-boutique/flows.jsonl", "demo/online-boutique/flows.hubble.jsonl", DNS_FILE,
             "demo/online-boutique/README.md", "demo/online-boutique/kubernetes-manifests.yaml",
             "demo/online-boutique/LICENSE", "demo/online-boutique/NOTICE",
             "tests/golden/sock-shop/flows.jsonl", "tests/golden/sock-shop/flows.hubble.jsonl",
             "tests/golden/bookinfo/flows.jsonl", "tests/golden/bookinfo/flows.hubble.jsonl"]

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


# --------------------------------------------------------------------------------------------------------------
# Expected edges: CALLS.md + the manifest's Deployments
# --------------------------------------------------------------------------------------------------------------


def deployments(manifest_path, default_ns):
    """[(namespace, name, {template label: value})] from a multi-document YAML file. A small block-mapping
    walker, enough for these manifests (standard library only)."""
    out = []
    with open(manifest_path, encoding="utf-8") as f:
        docs = re.split(r"^---\s*$", f.read(), flags=re.M)
    for doc in docs:
        stack = []  # (indent, key)
        kind, name, ns, labels = None, None, default_ns, {}
        for raw in doc.splitlines():
            line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            text = line.strip()
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if text.startswith("- "):
                stack.append((indent, "-"))
                indent += 2
                text = text[2:]
            m = re.match(r'^([A-Za-z0-9_./-]+):(?:\s+(.*))?$', text)
            if not m:
                continue
            key, value = m.group(1), (m.group(2) or "").strip().strip('"').strip("'")
            path = [k for _, k in stack]
            if path == [] and key == "kind":
                kind = value
            elif path == ["metadata"] and key == "name":
                name = value
            elif path == ["metadata"] and key == "namespace":
                ns = value
            elif path == ["spec", "template", "metadata", "labels"] and value:
                labels[key] = value
            if not value:
                stack.append((indent, key))
        if kind == "Deployment":
            out.append((ns, name, labels))
    return out


def clean(cell):
    return cell.replace("**", "").replace("`", "").strip()


def resolve(text, deps):
    """A caller/callee cell of CALLS.md -> workload names ('internet' for outside callers)."""
    text = clean(text)
    if text.startswith("(") or text.lower().startswith("internet"):
        return ["internet"]
    app = re.match(r"[A-Za-z0-9-]+", text).group(0)
    versions = None
    m = re.search(r"version in \{([^}]*)\}", text)
    if m:
        versions = {v.strip() for v in m.group(1).split(",")}
    names = []
    for ns, name, labels in deps:
        if labels.get("app") == app or labels.get("name") == app:
            if versions is None or labels.get("version") in versions:
                names.append("%s/%s" % (ns, name))
    if not names:
        raise SystemExit("CALLS.md names %r, which matches no Deployment" % text)
    return sorted(names)


def expected_edges(calls_path, deps):
    edges = set()
    header = None
    with open(calls_path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("|"):
                header = None
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            low = [c.lower() for c in cells]
            if header is None:
                header = low
                continue
            if all(set(c) <= set("-: ") for c in cells):
                continue
            if "caller" in " ".join(header):
                ci = next(i for i, h in enumerate(header) if h.startswith("caller"))
                ei = next(i for i, h in enumerate(header) if h.startswith("callee"))
                pi = header.index("pod port")
                ri = header.index("proto")
                port, proto = int(re.search(r"\d+", cells[pi]).group(0)), clean(cells[ri]).upper()
                for src in resolve(cells[ci], deps):
                    for dst in resolve(cells[ei], deps):
                        edges.add((src, dst, port, proto))
            elif header[:3] == ["from", "to", "port"] and "internet" in low[0]:
                m = re.match(r"(TCP|UDP|SCTP)\s+(\d+)$", clean(cells[2]))
                for dst in resolve(cells[1], deps):
                    edges.add(("internet", dst, int(m.group(2)), m.group(1)))
    return edges


# --------------------------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------------------------

NOT_PUBLIC = [ipaddress.ip_network(n) for n in [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8"]]


def is_public(addr):
    """Public in DESIGN.md's sense: outside the private/special ranges. The documentation ranges (192.0.2.0/24,
    198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) count as public here on purpose."""
    ip = ipaddress.ip_address(addr)
    return not any(ip.version == n.version and ip in n for n in NOT_PUBLIC)


def parse_ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def check_canonical(path, known, expected):
    edges = {}
    n = 0
    forms = {"ip": 0, "ipv6": 0, "internet": 0, "workload": 0, "no-protocol": 0}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            n += 1
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail("%s:%d: not JSON: %s" % (path, lineno, e))
                continue
            src, dst, port = obj.get("src"), obj.get("dst"), obj.get("port")
            proto = obj.get("protocol", "TCP")
            if "protocol" not in obj:
                forms["no-protocol"] += 1
            count = obj.get("count", 1)
            if not isinstance(port, int) or not 0 < port < 65536 or not isinstance(count, int) or count < 1:
                fail("%s:%d: bad port/count" % (path, lineno))
            t = obj.get("time")
            try:
                ts = calendar.timegm(tuple(int(x) for x in re.match(
                    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$", t).groups()) + (0, 0, 0))
                if not START_S <= ts < END_S:
                    fail("%s:%d: time %s outside the 5 days" % (path, lineno, t))
            except (AttributeError, TypeError):
                fail("%s:%d: bad time %r" % (path, lineno, t))
            ip = parse_ip(src)
            if src == "internet":
                forms["internet"] += 1
                entity = "internet"
            elif ip is not None:
                forms["ipv6" if ip.version == 6 else "ip"] += 1
                if not is_public(src):
                    fail("%s:%d: source IP %s is not public" % (path, lineno, src))
                entity = "internet"
            elif src in known:
                forms["workload"] += 1
                entity = src
            else:
                fail("%s:%d: unknown source %r" % (path, lineno, src))
                continue
            if dst not in known:
                fail("%s:%d: unknown destination %r" % (path, lineno, dst))
                continue
            e = (entity, dst, port, proto)
            lines, total = edges.get(e, (0, 0))
            edges[e] = (lines + 1, total + count)
    return n, edges, forms


def get(d, snake):
    """A field by its proto name or its lowerCamelCase json_name."""
    if snake in d:
        return d[snake]
    parts = snake.split("_")
    return d.get(parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]))


def entity(ep):
    workloads = ep.get("workloads") or []
    if ep.get("namespace") and workloads:
        return "%s/%s" % (ep["namespace"], workloads[0]["name"])
    if "reserved:world" in (ep.get("labels") or []):
        return "internet"
    return "unknown"


def check_hubble(path):
    stats = {"lines": 0, "flows": 0, "node_status": 0, "lost_events": 0, "camelCase flows": 0,
             "replies skipped": 0, "non-SYN skipped": 0, "SYN observations": 0}
    conns = {}  # 5-tuple -> (edge, {observation points})
    naive = set()
    pod_ip, pod_workload = {}, {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            stats["lines"] += 1
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail("%s:%d: not JSON: %s" % (path, lineno, e))
                continue
            if "node_status" in obj or "nodeStatus" in obj:
                stats["node_status"] += 1
                continue
            if "lost_events" in obj or "lostEvents" in obj:
                stats["lost_events"] += 1
                continue
            flow = obj.get("flow")
            if flow is None:
                fail("%s:%d: neither flow nor node_status/lost_events" % (path, lineno))
                continue
            stats["flows"] += 1
            t = flow.get("time", "")
            m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{3}|\.\d{6}|\.\d{9})?Z$", t)
            if not m or obj.get("time") != t or get(obj, "node_name") != get(flow, "node_name"):
                fail("%s:%d: bad time %r or envelope differs from the flow" % (path, lineno, t))
            elif not START_S <= calendar.timegm(tuple(int(x) for x in m.groups()[:6]) + (0, 0, 0)) < END_S + 60:
                fail("%s:%d: time %s outside the 5 days" % (path, lineno, t))
            if "isReply" in flow:
                stats["camelCase flows"] += 1
            if flow.get("verdict") != "FORWARDED" or flow.get("Type") != "L3_L4" or get(flow, "event_type") is None:
                fail("%s:%d: unexpected verdict/Type/event_type" % (path, lineno))
            src_ep, dst_ep = flow["source"], flow["destination"]
            for ep, ip in ((src_ep, flow["IP"]["source"]), (dst_ep, flow["IP"]["destination"])):
                pod = get(ep, "pod_name")
                if pod:
                    if not ipaddress.ip_address(ip) in ipaddress.ip_network("10.244.0.0/16"):
                        fail("%s:%d: pod IP %s outside 10.244.0.0/16" % (path, lineno, ip))
                    if pod_ip.setdefault(pod, ip) != ip:
                        fail("%s:%d: pod %s changes IP" % (path, lineno, pod))
                    if pod_workload.setdefault(pod, entity(ep)) != entity(ep):
                        fail("%s:%d: pod %s changes workload" % (path, lineno, pod))
                elif entity(ep) == "internet":
                    if not is_public(ip) or ep.get("identity") != 2:
                        fail("%s:%d: world endpoint with IP %s / identity %r" % (path, lineno, ip, ep.get("identity")))
            l4 = flow["l4"]
            proto = next(iter(l4))
            ports = l4[proto]
            sport, dport = get(ports, "source_port"), get(ports, "destination_port")
            naive.add((entity(src_ep), entity(dst_ep), dport, proto))
            is_reply = get(flow, "is_reply")
            if is_reply is not False:
                stats["replies skipped"] += 1
                continue
            flags = ports.get("flags", {})
            if proto == "TCP" and not (flags.get("SYN") and not flags.get("ACK")):
                stats["non-SYN skipped"] += 1
                continue
            stats["SYN observations"] += 1
            point = get(flow, "trace_observation_point")
            direction = get(flow, "traffic_direction")
            if (point, direction) not in (("FROM_ENDPOINT", "EGRESS"), ("TO_ENDPOINT", "INGRESS")):
                fail("%s:%d: observation point %s with direction %s" % (path, lineno, point, direction))
            key = (flow["IP"]["source"], sport, flow["IP"]["destination"], dport, proto)
            edge = (entity(src_ep), entity(dst_ep), dport, proto)
            prev = conns.setdefault(key, (edge, set()))
            if prev[0] != edge:
                fail("%s:%d: 5-tuple reused for another edge" % (path, lineno))
            if point in prev[1]:
                fail("%s:%d: the same observation point twice for one connection" % (path, lineno))
            prev[1].add(point)
    edges = {}
    for key, (edge, points) in conns.items():
        want = {"TO_ENDPOINT"} if edge[0] == "internet" else {"FROM_ENDPOINT", "TO_ENDPOINT"}
        if points != want:
            fail("%s: connection %s seen at %s, expected %s" % (path, key, sorted(points), sorted(want)))
        edges[edge] = edges.get(edge, 0) + 1
    stats["connections"] = len(conns)
    stats["pods"] = len(pod_ip)
    stats["naive tuples (no reply/SYN filter)"] = len(naive)
    return stats, edges


def show(title, edges, expected, value_name):
    print("  %s:" % title)
    for e in sorted(edges, key=lambda e: (e[0] != "internet", e)):
        v = edges[e]
        print("    %-28s -> %-34s %5d/%s  %s" % (e[0], e[1], e[2], e[3], value_name(v)))
    missing, extra = expected - set(edges), set(edges) - expected
    for e in sorted(missing):
        fail("%s: missing edge %s" % (title, e))
    for e in sorted(extra):
        fail("%s: unexpected edge %s" % (title, e))
    if not missing and not extra:
        print("    = expected (%d edges)" % len(expected))


def size_ok(path):
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        fail("%s is %d bytes (> %d)" % (path, size, MAX_BYTES))
    return size


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--samples", default=None)
    ap.add_argument("--no-regenerate", action="store_true")
    args = ap.parse_args()
    root = args.root
    samples = args.samples or os.path.join(root, "..", "shared", "samples")

    ob_expected, ob_known = None, None
    for key, manifest, default_ns, canonical, hubble in APPS:
        deps = deployments(os.path.join(samples, key, manifest), default_ns)
        known = {"%s/%s" % (ns, name) for ns, name, _ in deps}
        expected = expected_edges(os.path.join(samples, key, "CALLS.md"), deps)
        if key == "online-boutique":
            ob_expected, ob_known = expected, known
        print("== %s: %d Deployments, %d expected edges from CALLS.md" % (key, len(deps), len(expected)))

        cpath = os.path.join(root, canonical)
        n, edges, forms = check_canonical(cpath, known, expected)
        print("  %s: %d lines, %d bytes; sources: %s" % (canonical, n, size_ok(cpath),
                                                         ", ".join("%s %d" % kv for kv in forms.items())))
        show("canonical " + key, edges, expected, lambda v: "%4d lines, count %6d" % v)

        hpath = os.path.join(root, hubble)
        stats, hedges = check_hubble(hpath)
        print("  %s: %d bytes; %s" % (hubble, size_ok(hpath), ", ".join("%s %d" % kv for kv in stats.items())))
        show("hubble " + key, hedges, expected, lambda v: "%4d connections" % v)

    dpath = os.path.join(root, DNS_FILE)
    stats, dedges = check_hubble(dpath)
    print("== %s: %d bytes; %s" % (DNS_FILE, size_ok(dpath), ", ".join("%s %d" % kv for kv in stats.items())))
    dns_expected = set(ob_expected)
    for w in sorted(ob_known):
        dns_expected.add((w, "kube-system/coredns", 53, "UDP"))
    tcp53 = {e for e in dedges if e[1] == "kube-system/coredns" and e[3] == "TCP"}
    if not tcp53:
        fail("no TCP 53 in the DNS file")
    dns_expected |= tcp53  # TCP 53 from a few pods, whichever they are
    show("hubble with DNS", dedges, dns_expected, lambda v: "%4d connections" % v)
    for rel in [a[3] for a in APPS]:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            if "kube-system" in f.read():
                fail("%s mentions kube-system (DNS belongs in %s only)" % (rel, DNS_FILE))

    if not args.no_regenerate:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, os.path.join(here, "make_sample_flows.py"), "--root", tmp,
                            "--samples", samples], check=True, stdout=subprocess.DEVNULL)
            same = 0
            for rel in GENERATED:
                with open(os.path.join(tmp, rel), "rb") as a, open(os.path.join(root, rel), "rb") as b:
                    if a.read() != b.read():
                        fail("%s differs from a fresh run of make_sample_flows.py" % rel)
                    else:
                        same += 1
            print("== regenerated into a temporary directory: %d/%d files byte-identical" % (same, len(GENERATED)))

    print("\n%s" % ("OK" if not FAILURES else "%d FAILURES" % len(FAILURES)))
    return 0 if not FAILURES else 1


if __name__ == "__main__":
    sys.exit(main())
