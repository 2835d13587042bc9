#!/usr/bin/env python3
"""The agent's installation (deploy/agent/) renders and asks for no more than the agent needs.

    python3 tests/deploy/check_agent_deploy.py path/to/netpolgen

`kubectl kustomize deploy/agent` (offline: no API server needed) and then:
  - one DaemonSet: hostPID, hostNetwork, dnsPolicy ClusterFirstWithHostNet, tolerations for every
    node (a toleration `operator: Exists` without a key), priorityClassName system-node-critical,
    updateStrategy RollingUpdate;
  - its container: not privileged, no privilege escalation, read-only root filesystem,
    capabilities drop ALL and add exactly BPF, PERFMON, NET_ADMIN, SYS_ADMIN, SYS_PTRACE; runs as
    uid 0 (added capabilities are effective for root only);
  - requests and limits of cpu and memory; the memory limit covers the BPF maps at 64 CPUs (their
    sizes read from src/agent/bpf/connections.bpf.c) plus 64 MiB for user space;
  - the only host path is /sys/kernel/btf, mounted read-only (no /sys/fs/bpf: nothing is pinned);
  - NODE_NAME from the downward API (spec.nodeName) passed as --node-name; the store's URL from a
    Secret in NETPOLGEN_DB, never in the arguments (no --db: the agent's --help says its default
    is $NETPOLGEN_DB);
  - liveness and readiness probes GET /metrics on the host and port of --metrics-listen;
  - RBAC against the code: with --in-cluster the agent watches the cluster as serve does
    (cli/live_snapshots.h, kube/cluster_watch.h), so the ClusterRole bound to the pod's service
    account grants get, list, watch on exactly the kinds of src/kube/api_kinds.h, and no other
    verb or resource;
  - the arguments' flags are flags of `netpolgen agent` (its --help); while the binary has no agent
    command, against the flags of the agent's command-line contract (a NOTE says so);
  - as root (the capture needs it; otherwise a NOTE), the container's arguments run as in the pod
    against the fake API server (tests/kube/fake_apiserver.py): service account token and CA,
    KUBERNETES_SERVICE_HOST/PORT, NODE_NAME, NETPOLGEN_DB (a SQLite file here), the metrics on a
    free loopback port, plus --duration=4s: the probes' /metrics answers 200 while it runs, it
    stores a snapshot of the watched cluster, and it exits 0 with its summary line.
Exit 1 on any failure (kubectl missing: 77, skipped).
"""

import os
import re
import shutil
import subprocess
import socket
import sys
import tempfile
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAILURES = []

CAPABILITIES = {"BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"}
# The agent's flags as agreed before `netpolgen agent` existed (used only without it).
CONTRACT_FLAGS = {"--output", "--duration", "--interval", "--capture", "--db", "--kubeconfig",
                  "--in-cluster", "--node-name", "--metrics-listen"}


def check(what, ok, detail=""):
    print(("PASS " if ok else "FAIL: ") + what + ("" if ok else (" — " + detail if detail else "")))
    if not ok:
        FAILURES.append(what)


def by_kind(items, kind):
    return [o for o in items if o.get("kind") == kind]


def quantity_bytes(text):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|M|G)?", str(text))
    if not m:
        return 0
    unit = {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 10**3, "M": 10**6, "G": 10**9}
    return int(m.group(1)) * unit[m.group(2)]


def bpf_map_bytes(cpus):
    """The BPF maps' kernel memory at `cpus` CPUs, from the program's sizes: ~120 bytes per hash
    element (key, value, the kernel's header: `bpftool map show` memlock of the agent's maps),
    plus 8 bytes per CPU and element for a per-CPU hash's values."""
    src = open(os.path.join(ROOT, "src/agent/bpf/connections.bpf.c"), encoding="utf-8").read()
    conns = int(re.search(r"#define CONN_ENTRIES (\d+)", src).group(1))
    tuples = int(re.search(r"#define UDP_TUPLES (\d+)", src).group(1))
    per_cpu = "BPF_MAP_TYPE_PERCPU_HASH" in src
    return 2 * conns * (120 + (8 * cpus if per_cpu else 0)) + tuples * 120


def code_resources():
    """(group, resource) pairs the cluster watch lists and watches, from its kind tables (as
    check_deploy.py reads them)."""
    text = open(os.path.join(ROOT, "src/kube/api_kinds.h"), encoding="utf-8").read()
    out = set()
    for prefix, resource in re.findall(r'\{\s*"(/apis?/[^"]+)",\s*"([a-z]+)",\s*"[A-Za-z]+",\s*"[^"]+",'
                                       r'\s*(?:true|false),\s*(?:true|false)\s*\}', text):
        parts = prefix.split("/")
        out.add(("" if parts[1] == "api" else parts[2], resource))
    return out


def agent_help(binary):
    """`netpolgen agent --help`, or None without an agent command."""
    run = subprocess.run([binary, "agent", "--help"], capture_output=True, text=True, timeout=30)
    # Without the command, CLI11 prints the top-level help ("Usage: netpolgen [OPTIONS] SUBCOMMAND").
    if run.returncode != 0 or not re.search(r"^Usage: \S+ agent\b", run.stdout, re.M):
        return None
    return run.stdout


def check_daemonset(items, help_text):
    sets = by_kind(items, "DaemonSet")
    check("one DaemonSet", len(sets) == 1)
    if not sets:
        return None
    ds = sets[0]
    pod = ds["spec"]["template"]["spec"]
    check("updateStrategy RollingUpdate", ds["spec"].get("updateStrategy", {}).get("type") == "RollingUpdate")
    check("hostPID", pod.get("hostPID") is True)
    check("hostNetwork", pod.get("hostNetwork") is True)
    check("dnsPolicy ClusterFirstWithHostNet", pod.get("dnsPolicy") == "ClusterFirstWithHostNet")
    check("priorityClassName system-node-critical", pod.get("priorityClassName") == "system-node-critical")
    check("tolerates every taint (operator Exists, no key)",
          any(t.get("operator") == "Exists" and "key" not in t and "effect" not in t
              for t in pod.get("tolerations", [])))
    containers = pod.get("containers", [])
    check("one container", len(containers) == 1)
    c = containers[0]
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    check("not privileged", csc.get("privileged") is False)
    check("no privilege escalation", csc.get("allowPrivilegeEscalation") is False)
    check("read-only root filesystem", csc.get("readOnlyRootFilesystem") is True)
    caps = csc.get("capabilities", {})
    check("capabilities: drop ALL", caps.get("drop") == ["ALL"])
    added = caps.get("add", [])
    check("capabilities: add exactly %s" % sorted(CAPABILITIES),
          sorted(added) == sorted(CAPABILITIES), "adds %s" % added)
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    check("runs as uid 0 (added capabilities are effective for root only)", uid == 0)

    res = c.get("resources", {})
    for kind in ("requests", "limits"):
        check("%s: cpu and memory" % kind, {"cpu", "memory"} <= set(res.get(kind, {})))
    limit = quantity_bytes(res.get("limits", {}).get("memory", "0"))
    need = bpf_map_bytes(64) + (64 << 20)
    check("memory limit (%d MiB) covers the BPF maps at 64 CPUs + 64 MiB (%d MiB)" % (limit >> 20, need >> 20),
          limit >= need)

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    host_paths = {v["hostPath"]["path"] for v in volumes.values() if "hostPath" in v}
    check("the only host path is /sys/kernel/btf", host_paths == {"/sys/kernel/btf"}, "has %s" % sorted(host_paths))
    btf = [m for m in c.get("volumeMounts", [])
           if volumes.get(m["name"], {}).get("hostPath", {}).get("path") == "/sys/kernel/btf"]
    check("/sys/kernel/btf mounted read-only", len(btf) == 1 and btf[0].get("readOnly") is True)

    args = c.get("args", [])
    env = {e["name"]: e for e in c.get("env", [])}
    check("args start with the agent command", args[:1] == ["agent"], "%s" % args[:1])
    check("NODE_NAME from spec.nodeName",
          env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName")
    check("--node-name=$(NODE_NAME)", "--node-name=$(NODE_NAME)" in args)
    check("NETPOLGEN_DB from a Secret", "secretKeyRef" in env.get("NETPOLGEN_DB", {}).get("valueFrom", {}))
    check("no --db and no URL in the arguments (the store's URL comes from $NETPOLGEN_DB)",
          not any(a == "--db" or a.startswith("--db=") or "://" in a for a in args))
    if help_text is not None:
        check("the agent's --db defaults to $NETPOLGEN_DB (its --help)",
              re.search(r"--db\b.*\n?.*default \$NETPOLGEN_DB", help_text) is not None)
    check("--in-cluster", "--in-cluster" in args)

    listen = [a.split("=", 1)[1] for a in args if a.startswith("--metrics-listen=")]
    check("--metrics-listen HOST:PORT", len(listen) == 1)
    if listen:
        host, port = listen[0].rsplit(":", 1)
        for probe in ("livenessProbe", "readinessProbe"):
            get = c.get(probe, {}).get("httpGet", {})
            check("%s GET /metrics on %s" % (probe, listen[0]),
                  get.get("path") == "/metrics" and str(get.get("port")) == port and
                  get.get("host", "") == (host if host not in ("0.0.0.0", "") else ""), "%s" % get)

    used = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    if help_text is None:
        print("NOTE: the binary has no `agent` command: the arguments are checked against the "
              "command-line contract")
        flags = CONTRACT_FLAGS
    else:
        flags = set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))
    check("every flag of the arguments is the agent's", used <= flags, "unknown: %s" % sorted(used - flags))
    return pod, ds["metadata"]["namespace"]


def check_rbac(items, pod, namespace):
    sas = [o["metadata"]["name"] for o in by_kind(items, "ServiceAccount")]
    check("the pod's service account exists", pod.get("serviceAccountName") in sas)
    roles = {o["metadata"]["name"]: o for o in by_kind(items, "ClusterRole")}
    check("no Role (namespaced rights) besides the ClusterRole", not by_kind(items, "Role"))
    bound = []
    for b in by_kind(items, "ClusterRoleBinding"):
        subjects = [(s["kind"], s["name"], s.get("namespace")) for s in b.get("subjects", [])]
        if ("ServiceAccount", pod.get("serviceAccountName"), namespace) in subjects:
            bound.append(roles.get(b["roleRef"]["name"]))
    check("one ClusterRole bound to the pod's account", len(bound) == 1 and bound[0] is not None)
    if not bound or bound[0] is None:
        return
    rules = bound[0].get("rules", [])
    verbs = set().union(*(set(r.get("verbs", [])) for r in rules)) if rules else set()
    check("verbs are read-only (get, list, watch)", verbs <= {"get", "list", "watch"}, "has %s" % sorted(verbs))
    check("no non-resource URL", not any("nonResourceURLs" in r for r in rules))
    granted = {}
    for r in rules:
        for group in r.get("apiGroups", []):
            for res in r.get("resources", []):
                granted.setdefault((group, res), set()).update(r.get("verbs", []))
    wanted = code_resources()
    check("the cluster watch's kinds were found in the code (%d)" % len(wanted), len(wanted) >= 11)
    name = lambda pairs: sorted(res + ("." + group if group else "") for group, res in pairs)
    check("resources are exactly the watched kinds", set(granted) == wanted,
          "extra %s, missing %s" % (name(set(granted) - wanted), name(wanted - set(granted))))
    for group, res in sorted(wanted):
        check("get, list, watch on %s" % name([(group, res)])[0], granted.get((group, res)) == {"get", "list", "watch"})


def start_fake(work):
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/kube/fake_apiserver.py"),
                             "--dir", work], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    m = re.search(r"listening on https://(\S+):(\d+)", proc.stdout.readline())
    if not m:
        proc.kill()
        sys.exit("the fake API server did not start")
    return proc, m.group(1), m.group(2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_runs(binary, args):
    """The container's arguments, run as in the pod (root: the capture loads BPF or reads
    conntrack) against the fake API server."""
    if os.geteuid() != 0:
        print("NOTE: not root: the container's arguments were not run")
        return
    work = tempfile.mkdtemp(prefix="netpolgen-agent-deploy-")
    fake, host, port = start_fake(os.path.join(work, "fake"))
    try:
        sa = os.path.join(work, "sa")
        os.makedirs(sa)
        shutil.copy(os.path.join(work, "fake", "ca.crt"), os.path.join(sa, "ca.crt"))
        open(os.path.join(sa, "token"), "w").write("admin-token\n")
        open(os.path.join(sa, "namespace"), "w").write("netpolgen\n")
        metrics = "127.0.0.1:%d" % free_port()
        env = dict(os.environ, KUBERNETES_SERVICE_HOST=host, KUBERNETES_SERVICE_PORT=port,
                   NETPOLGEN_SERVICE_ACCOUNT_DIR=sa, NODE_NAME="node-test",
                   NETPOLGEN_DB=os.path.join(work, "store.db"))
        # The kubelet expands $(NODE_NAME); the node's port becomes a free one.
        local = [a.replace("$(NODE_NAME)", "node-test") for a in args]
        local = ["--metrics-listen=" + metrics if a.startswith("--metrics-listen=") else a for a in local]
        proc = subprocess.Popen([binary] + local + ["--duration=4s"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        status = None
        for _ in range(30):
            try:
                with urllib.request.urlopen("http://%s/metrics" % metrics, timeout=2) as answer:
                    status = answer.status
                    break
            except OSError:
                time.sleep(0.1)
        check("/metrics (the probes) answers 200 while the agent runs", status == 200, "%s" % status)
        try:
            err = proc.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            err = proc.communicate()[1]
        check("the agent runs with the container's arguments and exits 0", proc.returncode == 0, err)
        check("it stored a snapshot of the watched cluster",
              re.search(r'snapshot 1 of the watched cluster "default" stored', err) is not None, err)
        check("it printed its summary line",
              re.search(r"^netpolgen agent: \d+ connections in \d+ edges \(capture (bpf|conntrack)\); "
                        r"\d+ events lost", err, re.M) is not None, err)
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    if shutil.which("kubectl") is None:
        print("kubectl not found: skipped")
        return 77
    run = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "deploy", "agent")],
                         capture_output=True, text=True, timeout=60)
    check("kubectl kustomize deploy/agent", run.returncode == 0, run.stderr.strip())
    items = [d for d in yaml.safe_load_all(run.stdout) if d] if run.returncode == 0 else []
    check("everything in namespace netpolgen",
          all(o["metadata"].get("namespace") == "netpolgen" for o in items
              if o["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")))
    help_text = agent_help(binary)
    found = check_daemonset(items, help_text)
    if found:
        check_rbac(items, *found)
        if help_text is not None:
            pod = found[0]
            check_runs(binary, pod["containers"][0].get("args", []))
    print("deploy/agent: %d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
