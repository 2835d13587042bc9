#!/usr/bin/env python3
"""Output does not depend on the order of the inputs.

    python3 tests/golden/check_shuffled_inputs.py path/to/netpolgen [--seed N] [--rounds R]

For Online Boutique (with its sample NetworkPolicies), Sock Shop and Bookinfo, each round builds a
reordered copy of the same inputs: the manifests' YAML documents shuffled and spread over several
files (given as several --cluster arguments in a random order, and as one directory with random
file names), the flow lines shuffled and split over several files given as several --flows
arguments in a random order. Then every command that reads them must print the same bytes as on
the inputs as published:

  generate (YAML and --format json, with and without ports), connectivity (--format json and
  txt), simulate --apply (the generated policies, --format json), and, through a store filled in
  that order (snapshot + one ingest per flow file), generate --db and the HTTP API's generate,
  graph and simulate answers of `serve`.

The seed is printed (and taken from --seed) so that a failure can be replayed. Exit 1 on any
difference, naming the command and the first differing line.
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("NETPOLGEN_SHARED_DIR", os.path.join(ROOT, "..", "shared"))

APPS = [  # key, manifest, policies folder or None, canonical flows
    ("online-boutique", "kubernetes-manifests.yaml", "network-policies",
     "demo/online-boutique/flows.jsonl"),
    ("sock-shop", "complete-demo.yaml", None, "tests/golden/sock-shop/flows.jsonl"),
    ("bookinfo", "bookinfo.yaml", None, "tests/golden/bookinfo/flows.jsonl"),
]

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def yaml_documents(path):
    """The documents of a YAML file as text, split on `---` lines (bytes kept as written)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    docs = re.split(r"(?m)^---[ \t]*$\n?", text)
    return [d if d.endswith("\n") else d + "\n" for d in docs if d.strip()
            and any(not line.lstrip().startswith("#") for line in d.splitlines() if line.strip())]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def spread(items, parts, rng):
    """Shuffles items and deals them onto `parts` lists (some maybe empty-free)."""
    items = list(items)
    rng.shuffle(items)
    out = [[] for _ in range(parts)]
    for i, item in enumerate(items):
        out[i % parts].append(item)
    return [o for o in out if o]


def run(binary, args, what):
    proc = subprocess.run([binary] + args, capture_output=True, check=False)
    if proc.returncode != 0:
        fail("%s: exit %d: %s" % (what, proc.returncode, proc.stderr.decode(errors="replace")[:400]))
        return None
    return proc.stdout


def compare(what, want, got):
    if want is None or got is None:
        return
    if want == got:
        return
    a, b = want.decode(errors="replace").splitlines(), got.decode(errors="replace").splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            fail("%s: output differs at line %d:\n  published: %s\n  shuffled:  %s" % (what, i + 1, x, y))
            return
    fail("%s: output differs in length (%d lines published, %d shuffled)" % (what, len(a), len(b)))


class Inputs:
    """One ordering of an app's inputs, as command-line arguments."""

    def __init__(self, cluster_args, flow_args, cluster_files, flow_files):
        self.cluster = cluster_args  # ["--cluster", X, ...]
        self.flows = flow_args        # ["--flows", Y, ...]
        self.cluster_files = cluster_files
        self.flow_files = flow_files


def published(app_dir, manifest, policies, flows):
    files = [os.path.join(app_dir, manifest)]
    if policies:
        files.append(os.path.join(app_dir, policies))
    return Inputs(sum((["--cluster", f] for f in files), []), ["--flows", flows], files, [flows])


def shuffled(work, rng, app_dir, manifest, policies, flows, as_directory):
    docs = yaml_documents(os.path.join(app_dir, manifest))
    if policies:
        folder = os.path.join(app_dir, policies)
        for name in sorted(os.listdir(folder)):
            docs += yaml_documents(os.path.join(folder, name))
    cluster_files = []
    cdir = os.path.join(work, "cluster")
    os.makedirs(cdir)
    for i, part in enumerate(spread(docs, rng.randint(2, 5), rng)):
        name = "%08x-%d.yaml" % (rng.getrandbits(32), i)
        path = os.path.join(cdir, name)
        write(path, "---\n".join(part))
        cluster_files.append(path)
    rng.shuffle(cluster_files)
    with open(flows, encoding="utf-8") as f:
        lines = [line if line.endswith("\n") else line + "\n" for line in f if line.strip()]
    flow_files = []
    for i, part in enumerate(spread(lines, rng.randint(2, 4), rng)):
        path = os.path.join(work, "flows-%d.jsonl" % i)
        write(path, "".join(part))
        flow_files.append(path)
    rng.shuffle(flow_files)
    cluster_args = ["--cluster", cdir] if as_directory else sum((["--cluster", f] for f in cluster_files), [])
    return Inputs(cluster_args, sum((["--flows", f] for f in flow_files), []), cluster_files, flow_files)


def cli_outputs(binary, inp, work):
    """What each command prints for these inputs, by name."""
    out = {}
    variants = {
        "generate": [],
        "generate --format json": ["--format", "json"],
        "generate --exclude-ports": ["--exclude-ports"],
    }
    for name, extra in variants.items():
        out[name] = run(binary, ["generate", "-q"] + inp.cluster + inp.flows + extra, name)
    for fmt in ("json", "txt"):
        name = "connectivity --format " + fmt
        out[name] = run(binary, ["connectivity", "-q", "--format", fmt] + inp.cluster, name)
    if out["generate"] is not None:
        policies = os.path.join(work, "generated.yaml")
        with open(policies, "wb") as f:
            f.write(out["generate"])
        name = "simulate --apply generated --format json"
        out[name] = run(binary, ["simulate", "-q", "--format", "json", "--apply", policies]
                        + inp.cluster + inp.flows, name)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_outputs(binary, inp, work):
    """generate --db and the API's answers on a store filled from these inputs in their order."""
    db = os.path.join(work, "store.db")
    out = {}
    if run(binary, ["snapshot", "-q", "--db", db] + sum((["--cluster", f] for f in inp.cluster_files), []),
           "snapshot") is None:
        return out
    for f in inp.flow_files:
        if run(binary, ["ingest", "-q", "--db", db, "--flows", f], "ingest " + f) is None:
            return out
    out["generate --db"] = run(binary, ["generate", "-q", "--db", db], "generate --db")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = server.stdout.readline().decode()
        if "listening on" not in line:
            fail("serve did not start: %r" % line)
            return out
        base = "http://127.0.0.1:%d" % port
        for path in ("/v1/networkpolicies/generate/default", "/v1/graph/default?collapse=none",
                     "/v1/graph/default?collapse=namespaces"):
            with urllib.request.urlopen(base + path, timeout=30) as answer:
                out["API GET " + path] = answer.read()
        body = out.get("generate --db")
        if body:
            req = urllib.request.Request(base + "/v1/networkpolicies/simulate/default", data=body,
                                         headers={"Content-Type": "application/yaml"})
            with urllib.request.urlopen(req, timeout=30) as answer:
                out["API POST simulate"] = answer.read()
    except OSError as e:
        fail("serve: %s" % e)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print("seed %d (replay: --seed %d)" % (seed, seed))
    rng = random.Random(seed)
    compared = 0
    tmp = tempfile.mkdtemp(prefix="netpolgen-shuffle-")
    try:
        for key, manifest, policies, flows in APPS:
            app_dir = os.path.join(SHARED, "samples", key)
            flows = os.path.join(ROOT, flows)
            base_dir = os.path.join(tmp, key, "published")
            os.makedirs(base_dir)
            base = published(app_dir, manifest, policies, flows)
            want = cli_outputs(binary, base, base_dir)
            want_store = store_outputs(binary, base, base_dir)
            for r in range(args.rounds):
                work = os.path.join(tmp, key, "round-%d" % r)
                os.makedirs(work)
                inp = shuffled(work, rng, app_dir, manifest, policies, flows, as_directory=(r % 2 == 1))
                got = cli_outputs(binary, inp, work)
                got.update(store_outputs(binary, inp, work))
                for name, value in list(want.items()) + list(want_store.items()):
                    compare("%s round %d: %s" % (key, r, name), value, got.get(name))
                    compared += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if compared < 30 * args.rounds:
        fail("only %d outputs compared" % compared)
    if FAILURES:
        print("%d differences (seed %d)" % (len(FAILURES), seed))
        return 1
    print("shuffled inputs: %d outputs byte-identical to the published order (seed %d)" % (compared, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
