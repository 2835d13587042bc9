#!/usr/bin/env python3
"""Checks the policies netpolgen generates for the sample applications against their call graphs.

    python3 tests/golden/check_sample_policies.py path/to/netpolgen

The golden files of tests/golden/run.sh are recorded from the binary itself, so a wrong update
would pass them. This check does not trust the binary: for Online Boutique, Sock Shop and Bookinfo
it generates policies from the sample traffic, parses the YAML people would apply (PyYAML, not
netpolgen's reader), evaluates it with a small evaluator written here from the Kubernetes rules
(docs/networkpolicy-semantics.md), and compares what the policies allow with the ground truth:

  expected  the edges of ../shared/samples/<app>/CALLS.md (scripts/check_sample_flows.py derives
            them from the tables and the manifest's pod template labels), plus the open rules
            StackRox writes on purpose: a workload reached from the internet is open to every
            source on the ports the internet used.
  allowed   for every (source, destination) with the source a workload of the manifest or the
            internet, the ports and protocols the policies admit; a rule without ports admits
            every port, which never equals a call graph.

Both sets must be equal: every call allowed (nothing breaks) and nothing else (least privilege,
overlapping labels such as Bookinfo's three `app: reviews` versions caught). With --exclude-ports
the same holds for (source, destination) pairs. Exit 1 on any difference, listing it.

    python3 tests/golden/check_sample_policies.py --self-test path/to/netpolgen

breaks the generated YAML on purpose (a selector widened, ports dropped, a port changed, a rule
dropped, `ingress: [{}]`) and fails unless the check catches every one of them.
"""

import re

import ipaddress
import json
import os
import subprocess
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("NETPOLGEN_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_sample_flows as calls  # noqa: E402  (CALLS.md parser, independent of the generator)

INTERNET = "internet"
INTERNET_IP = ipaddress.ip_address("203.0.113.7")  # a public address standing for any client
PROTOCOLS = ("TCP", "UDP", "SCTP")
ANY_PORT = 0  # a port no call uses: admitted only by a rule without ports

APPS = [  # key, manifest, canonical flows, Hubble flows
    ("online-boutique", "kubernetes-manifests.yaml",
     "demo/online-boutique/flows.jsonl", "demo/online-boutique/flows.hubble.jsonl"),
    ("sock-shop", "complete-demo.yaml",
     "tests/golden/sock-shop/flows.jsonl", "tests/golden/sock-shop/flows.hubble.jsonl"),
    ("bookinfo", "bookinfo.yaml",
     "tests/golden/bookinfo/flows.jsonl", "tests/golden/bookinfo/flows.hubble.jsonl"),
]

FAILURES = []
SCHEMA = jsonschema.Draft7Validator(json.load(open(
    os.path.join(SHARED, "schemas", "networkpolicy-networking-v1.json"), encoding="utf-8")))


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


# ---- Cluster -------------------------------------------------------------------------------------

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Workload:
    def __init__(self, ns, name, labels, ports):
        self.ns, self.name, self.labels, self.ports = ns, name, labels, ports
        self.key = "%s/%s" % (ns, name)


def load_cluster(manifest):
    """(workloads, namespace labels, policies in the manifest) from a multi-document YAML file."""
    workloads, ns_labels, policies = [], {}, []
    with open(manifest, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]
    for d in docs:
        meta = d.get("metadata") or {}
        ns = meta.get("namespace") or "default"
        kind = d.get("kind")
        if kind == "Namespace":
            ns_labels.setdefault(meta["name"], {}).update(meta.get("labels") or {})
        elif kind == "NetworkPolicy":
            policies.append(d)
        elif kind in WORKLOAD_KINDS:
            template = d["spec"]["template"]
            ports = [(p.get("name"), p["containerPort"], p.get("protocol", "TCP"))
                     for c in template["spec"].get("containers", []) for p in c.get("ports") or []]
            workloads.append(Workload(ns, meta["name"], template["metadata"].get("labels") or {},
                                      ports))
        ns_labels.setdefault(ns, {})
    for ns, labels in ns_labels.items():
        labels["kubernetes.io/metadata.name"] = ns  # set by the API server on every namespace
    return workloads, ns_labels, policies


# ---- Evaluator (docs/networkpolicy-semantics.md) -------------------------------------------------

def selects(selector, labels):
    """A LabelSelector; None never selects, {} selects everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def peer_admits(peer, policy_ns, src, ns_labels):
    if "ipBlock" in peer:
        if src != INTERNET:
            return False  # the samples give no pod IPs: a block never stands for a workload here
        block = peer["ipBlock"]
        net = ipaddress.ip_network(block["cidr"], strict=False)
        if INTERNET_IP.version != net.version or INTERNET_IP not in net:
            return False
        return not any(INTERNET_IP in ipaddress.ip_network(e, strict=False)
                       for e in block.get("except") or [])
    if src == INTERNET:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], ns_labels.get(src.ns, {})):
            return False
    elif src.ns != policy_ns:
        return False
    return selects(peer.get("podSelector", {}), src.labels)


def rule_ports(rule, dst, universe):
    """The (port, protocol) of `universe` a rule admits towards `dst`."""
    if not rule.get("ports"):
        return set(universe)
    out = set()
    for entry in rule["ports"]:
        proto = entry.get("protocol", "TCP")
        port = entry.get("port")
        if port is None:
            out |= {(p, pr) for p, pr in universe if pr == proto}
        elif isinstance(port, str):
            out |= {(n, pr) for name, n, pr in dst.ports if name == port and pr == proto}
        else:
            end = entry.get("endPort", port)
            out |= {(p, pr) for p, pr in universe if pr == proto and port <= p <= end}
    return out


def allowed(workloads, ns_labels, policies, universe):
    """{(source key, destination key): {(port, protocol)}}, non-empty entries only."""
    sources = [INTERNET] + workloads
    out = {}
    for dst in workloads:
        isolating = [p for p in policies
                     if (p["metadata"].get("namespace") or "default") == dst.ns
                     and "Ingress" in (p["spec"].get("policyTypes") or ["Ingress"])
                     and selects(p["spec"].get("podSelector", {}), dst.labels)]
        for src in sources:
            if src is not INTERNET and src.key == dst.key:
                continue  # a workload with itself is not a call between workloads
            ports = set()
            if not isolating:
                ports = set(universe)
            for p in isolating:
                policy_ns = p["metadata"].get("namespace") or "default"
                for rule in p["spec"].get("ingress") or []:
                    peers = rule.get("from")
                    if not peers or any(peer_admits(q, policy_ns, src, ns_labels) for q in peers):
                        ports |= rule_ports(rule, dst, universe)
            if ports:
                out[(src if src == INTERNET else src.key, dst.key)] = ports
    return out


# ---- Expected ------------------------------------------------------------------------------------

def expected(edges, workloads):
    """The call graph plus StackRox's open rules: a destination the internet reached is open to
    every source on those ports."""
    out = {}
    for src, dst, port, proto in edges:
        if src == INTERNET:
            for s in [INTERNET] + [w.key for w in workloads if w.key != dst]:
                out.setdefault((s, dst), set()).add((port, proto))
        else:
            out.setdefault((src, dst), set()).add((port, proto))
    return out


def compare(title, got, want, minimum_pairs):
    problems = []
    for pair in sorted(set(got) | set(want)):
        g, w = got.get(pair, set()), want.get(pair, set())
        if g != w:
            extra = sorted(g - w)
            missing = sorted(w - g)
            problems.append("%s -> %s: allowed but not called %s, called but denied %s"
                            % (pair[0], pair[1], fmt(extra), fmt(missing)))
    if len(want) < minimum_pairs:
        problems.append("only %d expected pairs (want at least %d): the call graph was not read"
                        % (len(want), minimum_pairs))
    if problems:
        fail("%s: %d differences\n    %s" % (title, len(problems), "\n    ".join(problems[:20])))
    else:
        print("ok   %s: %d (source, destination) pairs allowed, exactly the call graph"
              % (title, len(got)))


def fmt(ports):
    return "[" + ", ".join("any" if p == ANY_PORT else "%d/%s" % (p, pr) for p, pr in ports) + "]"


# Deliberate breakages of the printed YAML, each one a bug the check is there to catch.
MUTATIONS = {
    "selector widened (version labels dropped)": lambda y: re.sub(r"\n +version: v\d+", "", y),
    "ports dropped from every rule": lambda y: re.sub(
        r"\n    ports:\n(?:    - port: \d+\n      protocol: \w+\n)+", "\n", y),
    "a port changed": lambda y: y.replace("port: 9080", "port: 9081").replace(
        "port: 9555", "port: 9556").replace("port: 27017", "port: 27018"),
    "a rule's first peer dropped": lambda y: re.sub(
        r"  - from:\n    - podSelector:\n        matchLabels:\n          [\w.-]+: [\w.-]+\n", "  - from:\n", y, count=1),
    "ingress: [{}] everywhere": lambda y: re.sub(r"  ingress:\n(?:  [ -].*\n)+", "  ingress:\n  - {}\n", y),
}
MUTATION = None  # the name of the breakage applied in this run (--self-test), else None


def generate(binary, manifest, flows, extra):
    cmd = [binary, "generate", "--cluster", manifest, "--flows", flows, "-q"] + extra
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(cmd), run.returncode, run.stderr.strip()))
        return None
    text = MUTATIONS[MUTATION](run.stdout) if MUTATION else run.stdout
    docs = [d for d in yaml.safe_load_all(text) if d]
    if not docs or any(d.get("kind") != "NetworkPolicy" for d in docs):
        fail("%s: printed no NetworkPolicy documents" % " ".join(cmd))
        return None
    # The YAML as people apply it, against the API's schema (strict), before evaluating it.
    for d in docs:
        errors = list(SCHEMA.iter_errors(d))
        if errors:
            fail("%s: %s is not a valid NetworkPolicy: %s at %s" % (
                " ".join(cmd), d.get("metadata", {}).get("name"), errors[0].message,
                "/".join(str(x) for x in errors[0].path)))
            return None
    return docs


def check_app(binary, key, manifest_name, flow_files):
    manifest = os.path.join(SHARED, "samples", key, manifest_name)
    workloads, ns_labels, existing = load_cluster(manifest)
    deps = calls.deployments(manifest, "default")
    edges = calls.expected_edges(os.path.join(SHARED, "samples", key, "CALLS.md"), deps)
    universe = {(ANY_PORT, pr) for pr in PROTOCOLS} | {(p, pr) for _, _, p, pr in edges}
    universe |= {(n, pr) for w in workloads for _, n, pr in w.ports}
    want = expected(edges, workloads)
    want_pairs = {pair: {(ANY_PORT, "TCP")} for pair in want}
    for flows in flow_files:
        path = os.path.join(ROOT, flows)
        for extra, name in (([], "ports"), (["--exclude-ports"], "--exclude-ports")):
            docs = generate(binary, manifest, path, extra)
            if docs is None:
                continue
            if len(docs) != len(workloads):
                fail("%s %s: %d policies for %d workloads" % (key, name, len(docs), len(workloads)))
            got = allowed(workloads, ns_labels, existing + docs, universe)
            title = "%s (%s, %s)" % (key, os.path.basename(flows), name)
            if extra:
                # Port-less rules admit every port: compare the pairs.
                got = {pair: {(ANY_PORT, "TCP")} for pair, ports in got.items()
                       if (ANY_PORT, "TCP") in ports}
                compare(title, got, want_pairs, 5)
            else:
                compare(title, got, want, 5)


def check_all(binary):
    for key, manifest, canonical, hubble in APPS:
        check_app(binary, key, manifest, [canonical, hubble])


def self_test(binary):
    """Every breakage must make the check fail; the unbroken output must pass."""
    global MUTATION
    missed = []
    for name in MUTATIONS:
        MUTATION = name
        FAILURES.clear()
        check_all(binary)
        print("%s  %s: %d failures" % ("ok  " if FAILURES else "MISS", name, len(FAILURES)))
        if not FAILURES:
            missed.append(name)
    MUTATION = None
    FAILURES.clear()
    check_all(binary)
    if FAILURES or missed:
        print("self-test: missed %s; unbroken output failures %d" % (missed, len(FAILURES)))
        return 1
    print("self-test OK: every breakage caught")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2])
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    check_all(sys.argv[1])
    if FAILURES:
        print("%d checks failed" % len(FAILURES))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
