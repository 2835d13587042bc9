#!/usr/bin/env python3
"""The in-cluster installation (deploy/) is valid and matches what the code does.

    python3 tests/deploy/check_deploy.py path/to/netpolgen

With the fake API server (tests/kube/fake_apiserver.py) standing in for a cluster:
  - `kubectl apply --dry-run=client -k deploy/ -o yaml` and the same for deploy/writer/ parse, and
    `kubectl apply --server-side -k deploy/writer/` is accepted;
  - the Deployment runs netpolgen non-root with a read-only root filesystem, no privilege
    escalation, all capabilities dropped, resource requests, probes on /v1/healthz, the service
    account the ClusterRoleBindings name, the token Secret and the store's claim mounted;
  - RBAC against the code: the reader ClusterRole grants get and list on every resource
    src/kube/api_kinds.h lists and no write verb; the writer ClusterRole grants what
    src/cli/kube_writer.cpp sends (POST create, PUT update after GET get, DELETE delete on
    networkpolicies; PATCH patch on namespaces) and list (delete-generated --kube); deploy/ serves
    with --record-only, deploy/writer/ without;
  - the container's arguments are accepted by the binary: run as in the pod (service account
    token and CA, KUBERNETES_SERVICE_HOST/PORT pointing at the fake), netpolgen serve stores a
    snapshot of the cluster, listens, and /v1/healthz answers 200.
Exit 1 on any failure (kubectl missing: 77, skipped).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAILURES = []


def check(what, ok, detail=""):
    print(("PASS " if ok else "FAIL: ") + what + ("" if ok else (" — " + detail if detail else "")))
    if not ok:
        FAILURES.append(what)


def kubectl(kubeconfig, cache, *args):
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", cache] + list(args),
                          capture_output=True, text=True, timeout=60)


def start_fake(work):
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/kube/fake_apiserver.py"),
                             "--dir", work], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (https://\S+)", line)
    if not m:
        proc.kill()
        sys.exit("the fake API server did not start: %r" % line)
    return proc, m.group(1)


def rendered(kubeconfig, cache, path):
    run = kubectl(kubeconfig, cache, "apply", "--dry-run=client", "-k", path, "-o", "yaml")
    check("kubectl apply --dry-run=client -k %s -o yaml" % path, run.returncode == 0, run.stderr.strip())
    doc = yaml.safe_load(run.stdout) if run.returncode == 0 else {"items": []}
    return doc.get("items", []) if doc else []


def by_kind(items, kind):
    return [o for o in items if o.get("kind") == kind]


def code_resources():
    """(group, resource) pairs the cluster reader lists and watches, from its kind tables."""
    text = open(os.path.join(ROOT, "src/kube/api_kinds.h"), encoding="utf-8").read()
    out = set()
    for prefix, resource in re.findall(r'\{\s*"(/apis?/[^"]+)",\s*"([a-z]+)",\s*"[A-Za-z]+",\s*"[^"]+",'
                                       r'\s*(?:true|false),\s*(?:true|false)\s*\}', text):
        parts = prefix.split("/")
        out.add(("" if parts[1] == "api" else parts[2], resource))
    return out


def grants(role, group, resource):
    verbs = set()
    for rule in role.get("rules", []):
        if group in rule.get("apiGroups", []) and resource in rule.get("resources", []):
            verbs |= set(rule.get("verbs", []))
    return verbs


def check_deployment(items):
    deps = by_kind(items, "Deployment")
    check("one Deployment", len(deps) == 1)
    if not deps:
        return None
    pod = deps[0]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    check("runs as non-root", psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0)
    check("read-only root filesystem", csc.get("readOnlyRootFilesystem") is True)
    check("no privilege escalation", csc.get("allowPrivilegeEscalation") is False)
    check("all capabilities dropped", csc.get("capabilities", {}).get("drop") == ["ALL"])
    check("resource requests", bool(c.get("resources", {}).get("requests")))
    for probe in ("readinessProbe", "livenessProbe"):
        check(probe + " on /v1/healthz", c.get(probe, {}).get("httpGet", {}).get("path") == "/v1/healthz")
    sas = [o["metadata"]["name"] for o in by_kind(items, "ServiceAccount")]
    check("the pod's service account exists", pod.get("serviceAccountName") in sas)
    for b in by_kind(items, "ClusterRoleBinding"):
        subjects = [(s["kind"], s["name"], s.get("namespace")) for s in b.get("subjects", [])]
        check("%s binds that service account" % b["metadata"]["name"],
              ("ServiceAccount", pod.get("serviceAccountName"), deps[0]["metadata"]["namespace"]) in subjects)
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = [o["metadata"]["name"] for o in by_kind(items, "PersistentVolumeClaim")]
    data = volumes.get(mounts.get("/data"), {})
    check("the store's claim is mounted at /data",
          data.get("persistentVolumeClaim", {}).get("claimName") in claims)
    check("the token Secret is mounted", "secret" in volumes.get(mounts.get("/etc/netpolgen"), {}))
    return c["args"]


def check_rbac(read_items, write_items):
    readers = [o for o in by_kind(read_items, "ClusterRole") if o["metadata"]["name"] == "netpolgen-reader"]
    check("deploy/ has the reader ClusterRole only", len(by_kind(read_items, "ClusterRole")) == 1 and len(readers) == 1)
    if not readers:
        return
    reader = readers[0]
    resources = code_resources()
    check("the cluster reader's kinds were found in the code (%d)" % len(resources), len(resources) >= 11)
    for group, resource in sorted(resources):
        have = grants(reader, group, resource)
        # serve --in-cluster lists and watches every kind (kube/cluster_watch.h).
        check("reader: get, list, watch on %s" % (resource if not group else resource + "." + group),
              {"get", "list", "watch"} <= have, "has %s" % sorted(have))
    writes = {"create", "update", "patch", "delete", "deletecollection", "*"}
    check("the reader grants no write verb",
          not any(writes & set(r.get("verbs", [])) for r in reader.get("rules", [])))
    writers = [o for o in by_kind(write_items, "ClusterRole") if o["metadata"]["name"] == "netpolgen-writer"]
    check("deploy/writer/ adds the writer ClusterRole", len(writers) == 1)
    if writers:
        code = open(os.path.join(ROOT, "src/cli/kube_writer.cpp"), encoding="utf-8").read()
        sent = set(re.findall(r'request\(\s*"([A-Z]+)"', code))
        needed = {"POST": "create", "PUT": "update", "GET": "get", "DELETE": "delete"}
        for method in sorted(sent - {"PATCH"}):
            check("writer: %s networkpolicies (the code sends %s)" % (needed[method], method),
                  needed[method] in grants(writers[0], "networking.k8s.io", "networkpolicies"))
        check("writer: patch namespaces (the code sends PATCH)",
              "PATCH" in sent and "patch" in grants(writers[0], "", "namespaces"))
        apply_code = open(os.path.join(ROOT, "src/cli/apply_command.cpp"), encoding="utf-8").read()
        check("writer: list networkpolicies (delete-generated --kube lists them)",
              "readNetworkPolicies" in apply_code and
              "list" in grants(writers[0], "networking.k8s.io", "networkpolicies"))
    # deploy/ has read-only RBAC: its server only records; deploy/writer/ lets it change the cluster.
    def args_of(items):
        deps = by_kind(items, "Deployment")
        return deps[0]["spec"]["template"]["spec"]["containers"][0]["args"] if deps else []
    check("deploy/ serves with --record-only (its RBAC cannot write)", "--record-only" in args_of(read_items))
    check("deploy/writer/ serves without --record-only (the API's apply changes the cluster)",
          "--record-only" not in args_of(write_items) and "--in-cluster" in args_of(write_items))


def check_runs(binary, args, fake_dir, url):
    """The container's arguments, run as in the pod against the fake."""
    work = tempfile.mkdtemp(prefix="netpolgen-deploy-")
    try:
        sa = os.path.join(work, "sa")
        os.makedirs(sa)
        shutil.copy(os.path.join(fake_dir, "ca.crt"), os.path.join(sa, "ca.crt"))
        open(os.path.join(sa, "token"), "w").write("admin-token\n")
        open(os.path.join(sa, "namespace"), "w").write("netpolgen\n")
        tokens = os.path.join(work, "tokens")
        open(tokens, "w").write("s3cret admin\n")
        os.chmod(tokens, 0o600)
        local = []
        for a in args:  # the pod's paths and address, moved into the scratch directory
            a = a.replace("/data/", work + "/").replace("/etc/netpolgen/tokens", tokens)
            a = "--listen=127.0.0.1:0" if a.startswith("--listen=") else a
            local.append(a)
        host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
        env = dict(os.environ, KUBERNETES_SERVICE_HOST=host, KUBERNETES_SERVICE_PORT=port,
                   NETPOLGEN_SERVICE_ACCOUNT_DIR=sa)
        proc = subprocess.Popen([binary] + local, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        check("netpolgen %s starts as in the pod" % " ".join(args[:2]), m is not None,
              proc.stderr.read() if m is None else "")
        if m:
            with urllib.request.urlopen(m.group(1) + "v1/healthz", timeout=10) as answer:
                check("/v1/healthz answers 200", answer.status == 200)
        proc.terminate()
        err = proc.communicate(timeout=10)[1]
        check("it stored a snapshot of the cluster first",
              'snapshot 1 of the watched cluster "default" stored' in err, err)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    if shutil.which("kubectl") is None:
        print("kubectl not found: skipped")
        return 77
    work = tempfile.mkdtemp(prefix="netpolgen-fake-")
    proc, url = start_fake(work)
    try:
        kubeconfig, cache = os.path.join(work, "kubeconfig-token"), os.path.join(work, "cache")
        read_items = rendered(kubeconfig, cache, os.path.join(ROOT, "deploy"))
        write_items = rendered(kubeconfig, cache, os.path.join(ROOT, "deploy", "writer"))
        run = kubectl(kubeconfig, cache, "apply", "--server-side", "-k", os.path.join(ROOT, "deploy", "writer"))
        check("kubectl apply --server-side -k deploy/writer/ is accepted", run.returncode == 0, run.stderr.strip())
        args = check_deployment(read_items)
        check_rbac(read_items, write_items)
        if args:
            check_runs(binary, args, work, url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print("deploy: %d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
