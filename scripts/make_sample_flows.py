#!/usr/bin/env python3
"""Generate the sample flow files for the demo and the golden tests.

    python3 scripts/make_sample_flows.py [--root DIR] [--samples DIR]

Writes, relative to the repository root:

    demo/online-boutique/kubernetes-manifests.yaml, LICENSE, NOTICE   (copied from the sample)
    demo/online-boutique/flows.jsonl                  canonical JSON Lines (DESIGN.md "Input formats")
    demo/online-boutique/flows.hubble.jsonl           `hubble observe -o json` lines
    demo/online-boutique/flows-with-dns.hubble.jsonl  a small Hubble file that also has DNS to kube-dns
    demo/online-boutique/README.md
    tests/golden/sock-shop/flows.jsonl, flows.hubble.jsonl
    tests/golden/bookinfo/flows.jsonl, flows.hubble.jsonl

The golden tests for Online Boutique read the demo files (they are not duplicated).

The traffic is synthetic but follows the ground-truth call graphs in ../shared/samples/*/CALLS.md: every
edge below is transcribed from those tables (callee port = the POD/container port, not the Service port).
Not emitted on purpose: kubelet probes (node traffic, never a policy rule), and DNS to kube-dns except in
flows-with-dns.hubble.jsonl (kube-dns is not in the manifests, so those flows name an unknown workload).

Deterministic: Python standard library only, fixed seeds, fixed start time 2026-11-16T00:00:00Z, no wall
clock, and only integer arithmetic in what is written. Re-running gives byte-identical files; a file whose
content is unchanged is not rewritten.
"""

import argparse
import calendar
import ipaddress
import json
import os
import random
import sys
import time

SEED = 20261116
START_S = calendar.timegm((2026, 11, 16, 0, 0, 0, 0, 0, 0))  # 2026-11-16T00:00:00Z
START_TEXT = "2026-11-16T00:00:00Z"
DAYS = 5
NS = 1_000_000_000
MS = 1_000_000
SPAN_NS = DAYS * 86400 * NS

# --------------------------------------------------------------------------------------------------------------
# The three applications. Workloads: (name, pod template labels in manifest order, service account, node index).
# Edges: (CALLS.md row, caller, callee, pod port, protocol, Service dialled, Service port). "internet" as caller is
# the entry point from outside the cluster. Every workload is a Deployment with one pod.
# --------------------------------------------------------------------------------------------------------------

ONLINE_BOUTIQUE = {
    "key": "online-boutique",
    "title": "Online Boutique",
    "sample_manifest": "kubernetes-manifests.yaml",
    "namespace": "default",  # the manifest sets no namespace
    "cluster": "boutique",
    "nodes": ["worker-1", "worker-2", "worker-3"],
    "workloads": [
        ("frontend", [("app", "frontend")], "frontend", 0),
        ("cartservice", [("app", "cartservice")], "cartservice", 0),
        ("redis-cart", [("app", "redis-cart")], "default", 0),
        ("loadgenerator", [("app", "loadgenerator")], "loadgenerator", 0),
        ("productcatalogservice", [("app", "productcatalogservice")], "productcatalogservice", 1),
        ("currencyservice", [("app", "currencyservice")], "currencyservice", 1),
        ("recommendationservice", [("app", "recommendationservice")], "recommendationservice", 1),
        ("adservice", [("app", "adservice")], "adservice", 1),
        ("checkoutservice", [("app", "checkoutservice")], "checkoutservice", 2),
        ("paymentservice", [("app", "paymentservice")], "paymentservice", 2),
        ("shippingservice", [("app", "shippingservice")], "shippingservice", 2),
        ("emailservice", [("app", "emailservice")], "emailservice", 2),
    ],
    "edges": [
        ("other", "internet", "frontend", 8080, "TCP", "frontend-external", 80),
        ("1", "loadgenerator", "frontend", 8080, "TCP", "frontend", 80),
        ("2", "frontend", "productcatalogservice", 3550, "TCP", "productcatalogservice", 3550),
        ("3", "frontend", "currencyservice", 7000, "TCP", "currencyservice", 7000),
        ("4", "frontend", "cartservice", 7070, "TCP", "cartservice", 7070),
        ("5", "frontend", "recommendationservice", 8080, "TCP", "recommendationservice", 8080),
        ("6", "frontend", "shippingservice", 50051, "TCP", "shippingservice", 50051),
        ("7", "frontend", "checkoutservice", 5050, "TCP", "checkoutservice", 5050),
        ("8", "frontend", "adservice", 9555, "TCP", "adservice", 9555),
        ("9", "checkoutservice", "cartservice", 7070, "TCP", "cartservice", 7070),
        ("10", "checkoutservice", "productcatalogservice", 3550, "TCP", "productcatalogservice", 3550),
        ("11", "checkoutservice", "currencyservice", 7000, "TCP", "currencyservice", 7000),
        ("12", "checkoutservice", "shippingservice", 50051, "TCP", "shippingservice", 50051),
        ("13", "checkoutservice", "paymentservice", 50051, "TCP", "paymentservice", 50051),
        ("14", "checkoutservice", "emailservice", 8080, "TCP", "emailservice", 5000),
        ("15", "recommendationservice", "productcatalogservice", 3550, "TCP", "productcatalogservice", 3550),
        ("16", "cartservice", "redis-cart", 6379, "TCP", "redis-cart", 6379),
    ],
}

SOCK_SHOP = {
    "key": "sock-shop",
    "title": "Sock Shop",
    "sample_manifest": "complete-demo.yaml",
    "namespace": "sock-shop",
    "cluster": "sockshop-lab",
    "nodes": ["node-1", "node-2", "node-3"],
    "workloads": [
        ("front-end", [("name", "front-end")], "default", 0),
        ("session-db", [("name", "session-db")], "default", 0),
        ("catalogue", [("name", "catalogue")], "default", 0),
        ("catalogue-db", [("name", "catalogue-db")], "default", 0),
        ("payment", [("name", "payment")], "default", 0),
        ("carts", [("name", "carts")], "default", 1),
        ("carts-db", [("name", "carts-db")], "default", 1),
        ("user", [("name", "user")], "default", 1),
        ("user-db", [("name", "user-db")], "default", 1),
        ("orders", [("name", "orders")], "default", 2),
        ("orders-db", [("name", "orders-db")], "default", 2),
        ("shipping", [("name", "shipping")], "default", 2),
        ("queue-master", [("name", "queue-master")], "default", 2),
        ("rabbitmq", [("name", "rabbitmq")], "default", 2),
    ],
    "edges": [
        ("1", "internet", "front-end", 8079, "TCP", "front-end", 80),
        ("2", "front-end", "catalogue", 80, "TCP", "catalogue", 80),
        ("3", "front-end", "carts", 80, "TCP", "carts", 80),
        ("4", "front-end", "orders", 80, "TCP", "orders", 80),
        ("5", "front-end", "user", 80, "TCP", "user", 80),
        ("6", "front-end", "session-db", 6379, "TCP", "session-db", 6379),
        ("7", "orders", "user", 80, "TCP", "user", 80),
        ("8", "orders", "carts", 80, "TCP", "carts", 80),
        ("9", "orders", "payment", 80, "TCP", "payment", 80),
        ("10", "orders", "shipping", 80, "TCP", "shipping", 80),
        ("11", "orders", "orders-db", 27017, "TCP", "orders-db", 27017),
        ("12", "carts", "carts-db", 27017, "TCP", "carts-db", 27017),
        ("13", "catalogue", "catalogue-db", 3306, "TCP", "catalogue-db", 3306),
        ("14", "user", "user-db", 27017, "TCP", "user-db", 27017),
        ("15", "shipping", "rabbitmq", 5672, "TCP", "rabbitmq", 5672),
        ("16", "queue-master", "rabbitmq", 5672, "TCP", "rabbitmq", 5672),
    ],
}

BOOKINFO = {
    "key": "bookinfo",
    "title": "Bookinfo",
    "sample_manifest": "bookinfo.yaml",
    "namespace": "default",  # the manifest sets no namespace
    "cluster": "bookinfo-lab",
    "nodes": ["node-1", "node-2"],
    "workloads": [
        ("productpage-v1", [("app", "productpage"), ("version", "v1")], "bookinfo-productpage", 0),
        ("details-v1", [("app", "details"), ("version", "v1")], "bookinfo-details", 1),
        ("reviews-v1", [("app", "reviews"), ("version", "v1")], "bookinfo-reviews", 0),
        ("reviews-v2", [("app", "reviews"), ("version", "v2")], "bookinfo-reviews", 1),
        ("reviews-v3", [("app", "reviews"), ("version", "v3")], "bookinfo-reviews", 0),
        ("ratings-v1", [("app", "ratings"), ("version", "v1")], "bookinfo-ratings", 1),
    ],
    "edges": [
        ("1", "internet", "productpage-v1", 9080, "TCP", "productpage", 9080),
        ("2", "productpage-v1", "details-v1", 9080, "TCP", "details", 9080),
        ("3", "productpage-v1", "reviews-v1", 9080, "TCP", "reviews", 9080),
        ("3", "productpage-v1", "reviews-v2", 9080, "TCP", "reviews", 9080),
        ("3", "productpage-v1", "reviews-v3", 9080, "TCP", "reviews", 9080),
        ("4", "reviews-v2", "ratings-v1", 9080, "TCP", "ratings", 9080),
        ("4", "reviews-v3", "ratings-v1", 9080, "TCP", "ratings", 9080),
    ],
}

APPS = [ONLINE_BOUTIQUE, SOCK_SHOP, BOOKINFO]

# kube-dns, only for flows-with-dns.hubble.jsonl (not part of any sample manifest).
KUBE_DNS = {"namespace": "kube-system", "workload": "coredns",
            "labels": [("k8s-app", "kube-dns")], "sa": "coredns", "nodes": [0, 1]}

# --------------------------------------------------------------------------------------------------------------
# User behaviour. A step is (source, destination[, extra delay in ms]); source "@" is whoever started the
# action (the loadgenerator pod or an internet client). Each action returns its steps in order.
# --------------------------------------------------------------------------------------------------------------


def ob_home(rng):
    return [("@", "frontend"), ("frontend", "currencyservice"), ("frontend", "productcatalogservice"),
            ("frontend", "cartservice"), ("cartservice", "redis-cart"), ("frontend", "currencyservice"),
            ("frontend", "adservice")]


def ob_set_currency(rng):
    return [("@", "frontend")]  # sets a cookie and redirects; no backend call


def ob_product(rng):
    return [("@", "frontend"), ("frontend", "productcatalogservice"), ("frontend", "currencyservice"),
            ("frontend", "cartservice"), ("cartservice", "redis-cart"), ("frontend", "recommendationservice"),
            ("recommendationservice", "productcatalogservice"), ("frontend", "adservice")]


def ob_add_to_cart(rng):
    return [("@", "frontend"), ("frontend", "productcatalogservice"), ("frontend", "cartservice"),
            ("cartservice", "redis-cart")]


def ob_view_cart(rng):
    steps = [("@", "frontend"), ("frontend", "currencyservice"), ("frontend", "cartservice"),
             ("cartservice", "redis-cart"), ("frontend", "recommendationservice"),
             ("recommendationservice", "productcatalogservice"), ("frontend", "shippingservice")]
    steps += [("frontend", "productcatalogservice")] * rng.randint(1, 3)
    return steps + [("frontend", "currencyservice")]


def ob_place_order(rng):
    steps = [("@", "frontend"), ("frontend", "checkoutservice"), ("checkoutservice", "cartservice"),
             ("cartservice", "redis-cart")]
    steps += [("checkoutservice", "productcatalogservice")] * rng.randint(1, 3)
    steps += [("checkoutservice", "currencyservice"), ("checkoutservice", "shippingservice"),
              ("checkoutservice", "currencyservice"), ("checkoutservice", "paymentservice"),
              ("checkoutservice", "shippingservice"), ("checkoutservice", "cartservice"),
              ("cartservice", "redis-cart"), ("checkoutservice", "emailservice"),
              ("frontend", "recommendationservice"), ("recommendationservice", "productcatalogservice"),
              ("frontend", "currencyservice")]
    return steps


# Locust tasks of src/loadgenerator/locustfile.py with their weights (CALLS.md row 1).
OB_TASKS = [
    ("index", 1, lambda rng: ob_home(rng)),
    ("setCurrency", 2, lambda rng: ob_set_currency(rng)),
    ("browseProduct", 10, lambda rng: ob_product(rng)),
    ("addToCart", 2, lambda rng: ob_product(rng) + ob_add_to_cart(rng)),
    ("viewCart", 3, lambda rng: ob_view_cart(rng)),
    ("checkout", 1, lambda rng: ob_product(rng) + ob_add_to_cart(rng) + ob_place_order(rng)),
]
# Human visitors from the internet: more home pages and browsing, the same pages.
OB_VISITOR_TASKS = [
    ("index", 4, lambda rng: ob_home(rng)),
    ("setCurrency", 1, lambda rng: ob_set_currency(rng)),
    ("browseProduct", 10, lambda rng: ob_product(rng)),
    ("addToCart", 2, lambda rng: ob_add_to_cart(rng)),
    ("viewCart", 2, lambda rng: ob_view_cart(rng)),
    ("checkout", 1, lambda rng: ob_place_order(rng)),
]


def ss_session(steps):
    return steps + [("front-end", "session-db")]


SS_TASKS = [
    ("browse", 10, lambda rng: ss_session(
        [("@", "front-end")] + [("front-end", "catalogue"), ("catalogue", "catalogue-db")] * rng.randint(1, 3))),
    ("viewItem", 6, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "catalogue"), ("catalogue", "catalogue-db")])),
    ("login", 2, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "user"), ("user", "user-db"), ("front-end", "carts"),
         ("carts", "carts-db")])),
    ("addToCart", 3, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "catalogue"), ("catalogue", "catalogue-db"), ("front-end", "carts"),
         ("carts", "carts-db")])),
    ("viewCart", 3, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "carts"), ("carts", "carts-db")])),
    # CALLS.md: 4 -> (7 x3, 8) -> 9 -> 10 -> 11, and 10 triggers 15, later 16.
    ("order", 1, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "orders"),
         ("orders", "user"), ("user", "user-db"), ("orders", "user"), ("user", "user-db"),
         ("orders", "user"), ("user", "user-db"), ("orders", "carts"), ("carts", "carts-db"),
         ("orders", "payment"), ("orders", "shipping"), ("shipping", "rabbitmq"), ("orders", "orders-db"),
         ("queue-master", "rabbitmq", rng.randint(500, 20000))])),
    ("myOrders", 1, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "orders"), ("orders", "orders-db")])),
    ("account", 1, lambda rng: ss_session(
        [("@", "front-end"), ("front-end", "user"), ("user", "user-db"), ("front-end", "user"),
         ("user", "user-db")])),
]


def bi_reviews(rng):
    version = rng.choice(["reviews-v1", "reviews-v2", "reviews-v3"])  # the reviews Service balances
    steps = [("productpage-v1", version)]
    if version != "reviews-v1":  # v1 never calls ratings (CALLS.md row 4)
        steps.append((version, "ratings-v1"))
    return steps


BI_TASKS = [
    ("productpage", 10, lambda rng: [("@", "productpage-v1"), ("productpage-v1", "details-v1")] + bi_reviews(rng)),
    ("apiProducts", 2, lambda rng: [("@", "productpage-v1")]),
    ("apiReviews", 1, lambda rng: [("@", "productpage-v1")] + bi_reviews(rng)),
    ("static", 3, lambda rng: [("@", "productpage-v1")] * rng.randint(1, 4)),
    ("login", 1, lambda rng: [("@", "productpage-v1")]),
]

# How much traffic each output gets. "robot": an in-cluster client running all the time (the Online Boutique
# loadgenerator); "sessions": visitors from the internet, with a daily rhythm. bucket_min: canonical lines
# aggregate the connections of one (source, destination) per bucket into one line with a count.
PROFILES = {
    "online-boutique": {
        "robot": "loadgenerator", "robot_tasks": OB_TASKS, "visitor_tasks": OB_VISITOR_TASKS,
        "canonical": {"robot_actions": 7200, "sessions": 1450, "bucket_min": 30},
        "hubble": {"robot_actions": 46, "sessions": 29},
    },
    "sock-shop": {
        "robot": None, "robot_tasks": None, "visitor_tasks": SS_TASKS,
        "canonical": {"robot_actions": 0, "sessions": 1000, "bucket_min": 120},
        "hubble": {"robot_actions": 0, "sessions": 22},
    },
    "bookinfo": {
        "robot": None, "robot_tasks": None, "visitor_tasks": BI_TASKS,
        "canonical": {"robot_actions": 0, "sessions": 900, "bucket_min": 40},
        "hubble": {"robot_actions": 0, "sessions": 40},
    },
}

# --------------------------------------------------------------------------------------------------------------
# Small deterministic helpers
# --------------------------------------------------------------------------------------------------------------

HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for pod-template-hash and pod suffixes


def ts_seconds(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // NS))


def ts_proto(ns):
    """RFC 3339 as protojson writes a Timestamp: 0, 3, 6 or 9 fractional digits."""
    secs, frac = divmod(ns, NS)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac == 0:
        return base + "Z"
    if frac % 1_000_000 == 0:
        return "%s.%03dZ" % (base, frac // 1_000_000)
    if frac % 1000 == 0:
        return "%s.%06dZ" % (base, frac // 1000)
    return "%s.%09dZ" % (base, frac)


def weighted(rng, items):
    """items: [(value, weight)] with integer weights."""
    total = sum(w for _, w in items)
    r = rng.randrange(total)
    for value, w in items:
        if r < w:
            return value
        r -= w
    raise AssertionError


# Per-mille chance of keeping a random time, by UTC hour: a smooth day curve, lowest at 03:00, highest at
# 15:00. Integers, so that no floating-point library can change the output.
DAY_CURVE = [359, 300, 262, 250, 262, 300, 359, 437, 527, 624, 722, 812, 890, 949, 987, 1000, 987, 949, 890,
             812, 722, 625, 527, 437]


def diurnal_time(rng):
    """A time in the window, more likely in the (UTC) afternoon than at night: rejection sampling."""
    while True:
        t = rng.randrange(SPAN_NS)
        ms = (t // MS) % 86_400_000
        hour, within = divmod(ms, 3_600_000)
        a, b = DAY_CURVE[hour], DAY_CURVE[(hour + 1) % 24]
        if rng.randrange(1000) < a + (b - a) * within // 3_600_000:
            return t


def random_uuid(rng):
    x = rng.getrandbits(128)
    x = (x & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    x = (x & ~(0xC000 << 48)) | (0x8000 << 48)  # variant 10
    h = "%032x" % x
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


def random_token(rng, n):
    return "".join(rng.choice(HASH_ALPHABET) for _ in range(n))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def camel_key(key):
    if "_" not in key:
        return key
    first, *rest = key.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


def camelize(obj):
    """protojson's default (json_name) spelling, as some gRPC-gateway/UI exporters write."""
    if isinstance(obj, dict):
        return {camel_key(k): camelize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [camelize(v) for v in obj]
    return obj


# Public clients. Documentation ranges (RFC 5737) and addresses from ordinary, publicly routed /8s (RIPE region)
# avoiding every special-purpose block.
DOC_PREFIXES = ["203.0.113.", "198.51.100.", "192.0.2."]
PUBLIC_FIRST_OCTETS = [31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94,
                       95, 109, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217]
IPV6_PREFIXES = [0x2A02_8108, 0x2A01_0E0A, 0x2003_00E5, 0x2600_1700]  # ISP ranges, not 2001:db8::/32


def client_pool(rng, n_doc, n_public, n_v6):
    addrs = []
    seen = set()
    while len(addrs) < n_doc:
        a = rng.choice(DOC_PREFIXES) + str(rng.randint(1, 254))
        if a not in seen:
            seen.add(a)
            addrs.append(a)
    while len(addrs) < n_doc + n_public:
        a = "%d.%d.%d.%d" % (rng.choice(PUBLIC_FIRST_OCTETS), rng.randint(0, 255), rng.randint(0, 255),
                             rng.randint(1, 254))
        if a not in seen:
            seen.add(a)
            addrs.append(a)
    v6 = []
    while len(v6) < n_v6:
        hi = rng.choice(IPV6_PREFIXES)
        value = (hi << 96) | (rng.getrandbits(32) << 64) | rng.getrandbits(64)
        v6.append(ipaddress.IPv6Address(value).compressed)
    rng.shuffle(addrs)
    # Zipf-like popularity: a few clients come back often.
    weights = [2000 // (i + 3) for i in range(len(addrs))]
    return list(zip(addrs, weights)), v6


# --------------------------------------------------------------------------------------------------------------
# The cluster as Hubble sees it: pods with stable names, IPs, identities and endpoint IDs
# --------------------------------------------------------------------------------------------------------------


class Pod:
    def __init__(self, namespace, workload, pod_name, ip, node, identity, ep_id, labels):
        self.namespace = namespace
        self.workload = workload
        self.pod_name = pod_name
        self.ip = ip
        self.node = node
        self.identity = identity
        self.ep_id = ep_id
        self.labels = labels


class World:
    def __init__(self, ip):
        self.ip = ip
        self.node = None


def cilium_labels(template_labels, namespace, cluster, sa):
    labels = ["k8s:%s=%s" % kv for kv in template_labels]
    labels += ["k8s:io.cilium.k8s.policy.cluster=%s" % cluster,
               "k8s:io.cilium.k8s.policy.serviceaccount=%s" % sa,
               "k8s:io.kubernetes.pod.namespace=%s" % namespace]
    return sorted(labels)


class Cluster:
    def __init__(self, app, rng, with_dns=False):
        self.app = app
        self.cluster = app["cluster"]
        self.node_names = ["%s/%s" % (app["cluster"], n) for n in app["nodes"]]
        self.pods = {}
        self.used_tuples = set()  # no 5-tuple repeats in one file, so observation points pair up unambiguously
        used_ips, used_ids, used_eps = set(), set(), set()

        def new_pod(namespace, workload, template_labels, sa, node):
            rs_hash = random_token(rng, rng.choice([9, 10]))
            pod_name = "%s-%s-%s" % (workload, rs_hash, random_token(rng, 5))
            while True:
                ip = "10.244.%d.%d" % (node, rng.randint(2, 250))
                if ip not in used_ips:
                    used_ips.add(ip)
                    break
            while True:
                identity = rng.randint(1000, 65000)
                if identity not in used_ids:
                    used_ids.add(identity)
                    break
            while True:
                ep_id = rng.randint(40, 4000)
                if (node, ep_id) not in used_eps:
                    used_eps.add((node, ep_id))
                    break
            return Pod(namespace, workload, pod_name, ip, node, identity, ep_id,
                       cilium_labels(template_labels, namespace, self.cluster, sa))

        for name, template_labels, sa, node in app["workloads"]:
            self.pods[name] = new_pod(app["namespace"], name, template_labels, sa, node)
        self.dns_pods = []
        if with_dns:
            rs_hash = random_token(rng, 10)
            identity = None
            for node in KUBE_DNS["nodes"]:
                pod = new_pod(KUBE_DNS["namespace"], KUBE_DNS["workload"], KUBE_DNS["labels"], KUBE_DNS["sa"],
                              node)
                pod.pod_name = "%s-%s-%s" % (KUBE_DNS["workload"], rs_hash, pod.pod_name.rsplit("-", 1)[1])
                if identity is None:
                    identity = pod.identity
                pod.identity = identity  # same labels, same identity
                self.dns_pods.append(pod)


def endpoint_json(cluster, ep, observer_node):
    if isinstance(ep, World):
        return {"identity": 2, "labels": ["reserved:world"]}
    out = {}
    if ep.node == observer_node:
        out["ID"] = ep.ep_id  # only the local node knows the endpoint ID (0 is omitted)
    out["identity"] = ep.identity
    out["cluster_name"] = cluster.cluster
    out["namespace"] = ep.namespace
    out["labels"] = ep.labels
    out["pod_name"] = ep.pod_name
    out["workloads"] = [{"name": ep.workload, "kind": "Deployment"}]
    return out


FLAG_ORDER = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"]  # field order in flow.proto


def flow_event(rng, cluster, t, sender, receiver, proto, sport, dport, flags, node, point, direction, is_reply,
               reason):
    """One Hubble trace event (event_type 4) for a packet sender -> receiver observed on `node`."""
    node_name = cluster.node_names[node]
    if proto == "TCP":
        l4 = {"TCP": {"source_port": sport, "destination_port": dport,
                      "flags": {f: True for f in FLAG_ORDER if f in flags}}}
    else:
        l4 = {"UDP": {"source_port": sport, "destination_port": dport}}
    flow = {
        "time": ts_proto(t),
        "uuid": random_uuid(rng),
        "verdict": "FORWARDED",
        "IP": {"source": sender.ip, "destination": receiver.ip, "ipVersion": "IPv4"},
        "l4": l4,
        "source": endpoint_json(cluster, sender, node),
        "destination": endpoint_json(cluster, receiver, node),
        "Type": "L3_L4",
        "node_name": node_name,
        # trace sub_type: 5 = from-endpoint, 0 = to-endpoint (zero is omitted by protojson)
        "event_type": {"type": 4, "sub_type": 5} if point == "FROM_ENDPOINT" else {"type": 4},
    }
    flow["traffic_direction"] = direction
    flow["trace_observation_point"] = point
    flow["trace_reason"] = reason
    flow["is_reply"] = is_reply
    return (t, {"flow": flow, "node_name": node_name, "time": flow["time"]})


def ephemeral_port(rng, cluster, client, server, dport, proto):
    while True:
        # Linux pods use net.ipv4.ip_local_port_range 32768-60999; clients behind the internet use anything
        sport = rng.randint(32768, 60999) if isinstance(client, Pod) else rng.randint(1024, 65535)
        key = (client.ip, sport, server.ip, dport, proto)
        if key not in cluster.used_tuples:
            cluster.used_tuples.add(key)
            return sport


def tcp_connection(rng, cluster, t0, client, server, dport):
    """What Hubble shows for one TCP connection: the SYN at both observation points, the SYN-ACK reply, and a
    couple of ACK / PSH+ACK packets (not new connections)."""
    sport = ephemeral_port(rng, cluster, client, server, dport, "TCP")
    local = isinstance(client, Pod) and client.node == server.node
    hop = rng.randint(15_000, 60_000) if local else rng.randint(120_000, 650_000)
    ev = []
    t = t0
    if isinstance(client, Pod):
        ev.append(flow_event(rng, cluster, t, client, server, "TCP", sport, dport, {"SYN"}, client.node,
                             "FROM_ENDPOINT", "EGRESS", False, "NEW"))
    t += hop
    ev.append(flow_event(rng, cluster, t, client, server, "TCP", sport, dport, {"SYN"}, server.node,
                         "TO_ENDPOINT", "INGRESS", False, "NEW"))
    t += rng.randint(8_000, 90_000)
    ev.append(flow_event(rng, cluster, t, server, client, "TCP", dport, sport, {"SYN", "ACK"}, server.node,
                         "FROM_ENDPOINT", "INGRESS", True, "REPLY"))
    t += hop
    if isinstance(client, Pod) and rng.randrange(10) < 6:
        ev.append(flow_event(rng, cluster, t, server, client, "TCP", dport, sport, {"SYN", "ACK"}, client.node,
                             "TO_ENDPOINT", "EGRESS", True, "REPLY"))
    t += rng.randint(5_000, 40_000)
    if isinstance(client, Pod):
        ev.append(flow_event(rng, cluster, t, client, server, "TCP", sport, dport, {"ACK"}, client.node,
                             "FROM_ENDPOINT", "EGRESS", False, "ESTABLISHED"))
        if rng.randrange(10) < 7:
            t += rng.randint(20_000, 300_000)
            ev.append(flow_event(rng, cluster, t, client, server, "TCP", sport, dport, {"PSH", "ACK"},
                                 client.node, "FROM_ENDPOINT", "EGRESS", False, "ESTABLISHED"))
    if rng.randrange(10) < 5 or not isinstance(client, Pod):
        t += hop
        ev.append(flow_event(rng, cluster, t, client, server, "TCP", sport, dport, {"PSH", "ACK"}, server.node,
                             "TO_ENDPOINT", "INGRESS", False, "ESTABLISHED"))
    return ev


def udp_exchange(rng, cluster, t0, client, server, dport):
    """A UDP request/response (DNS): the request at both observation points, the response at both."""
    sport = ephemeral_port(rng, cluster, client, server, dport, "UDP")
    local = client.node == server.node
    hop = rng.randint(15_000, 60_000) if local else rng.randint(120_000, 650_000)
    t = t0
    ev = [flow_event(rng, cluster, t, client, server, "UDP", sport, dport, set(), client.node, "FROM_ENDPOINT",
                     "EGRESS", False, "NEW")]
    t += hop
    ev.append(flow_event(rng, cluster, t, client, server, "UDP", sport, dport, set(), server.node, "TO_ENDPOINT",
                         "INGRESS", False, "NEW"))
    t += rng.randint(40_000, 400_000)
    ev.append(flow_event(rng, cluster, t, server, client, "UDP", dport, sport, set(), server.node, "FROM_ENDPOINT",
                         "INGRESS", True, "REPLY"))
    t += hop
    ev.append(flow_event(rng, cluster, t, server, client, "UDP", dport, sport, set(), client.node, "TO_ENDPOINT",
                         "EGRESS", True, "REPLY"))
    return ev


# --------------------------------------------------------------------------------------------------------------
# Traffic simulation: actions expanded into calls (time, source, destination)
# --------------------------------------------------------------------------------------------------------------


def expand(rng, t, actor, steps):
    """Turns steps into timed calls. Requests from the actor after the first are separated by think time,
    backend calls by a few milliseconds."""
    calls = []
    first = True
    for step in steps:
        src, dst = step[0], step[1]
        if src == "@":
            if not first:
                t += rng.randint(300, 2500) * MS
            src = actor
        else:
            t += rng.randint(1, 40) * MS
        if len(step) > 2:
            t += step[2] * MS
        first = False
        if t < SPAN_NS:
            calls.append((t, src, dst))
    return calls, t


def simulate(rng, app, profile, robot_actions, sessions, clients):
    """Returns calls (time offset ns, source, destination) sorted by time. Source is a workload name or
    ('ip', address) for an internet client."""
    calls = []
    if robot_actions:
        tasks = [(fn, w) for _, w, fn in profile["robot_tasks"]]
        for _ in range(robot_actions):
            t = rng.randrange(SPAN_NS)  # the loadgenerator runs day and night
            fn = weighted(rng, tasks)
            calls += expand(rng, t, profile["robot"], fn(rng))[0]
    tasks = [(fn, w) for _, w, fn in profile["visitor_tasks"]]
    for _ in range(sessions):
        t = diurnal_time(rng)
        client = ("ip", weighted(rng, clients))
        actions = 1
        while actions < 8 and rng.randrange(100) < 65:  # geometric, 2.8 actions on average
            actions += 1
        for _ in range(actions):
            fn = weighted(rng, tasks)
            new, t = expand(rng, t, client, fn(rng))
            calls += new
            t += rng.randint(3, 60) * NS
    calls.sort(key=lambda c: (c[0], str(c[1]), c[2]))
    return calls


def edge_table(app):
    return {(caller, callee): (port, proto, svc) for _, caller, callee, port, proto, svc, _ in app["edges"]}


def edge_key(src):
    return "internet" if isinstance(src, tuple) else src


def ensure_coverage(rng, app, calls, clients):
    """Adds one call for every edge the random traffic happened to miss (keeps the edge set exact)."""
    seen = {(edge_key(s), d) for _, s, d in calls}
    for _, caller, callee, *_ in app["edges"]:
        if (caller, callee) not in seen:
            src = ("ip", weighted(rng, clients)) if caller == "internet" else caller
            calls.append((diurnal_time(rng), src, callee))
    calls.sort(key=lambda c: (c[0], str(c[1]), c[2]))
    table = edge_table(app)
    for _, s, d in calls:
        assert (edge_key(s), d) in table, (s, d)
    return calls


# --------------------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------------------


def canonical_lines(rng, app, calls, bucket_min, v6_clients):
    ns = app["namespace"]
    table = edge_table(app)
    bucket = bucket_min * 60 * NS
    agg = {}
    for t, src, dst in calls:
        key = (src, dst, t // bucket)
        if key in agg:
            agg[key][1] += 1
        else:
            agg[key] = [t, 1]
    rows = []
    for (src, dst, _), (t, count) in agg.items():
        port, proto, _ = table[(edge_key(src), dst)]
        rows.append((t, src, dst, port, proto, count))
    rows.sort(key=lambda r: (r[0], str(r[1]), r[2]))
    lines = []
    for t, src, dst, port, proto, count in rows:
        when = ts_seconds(START_S * NS + t)
        if isinstance(src, tuple):
            r = rng.randrange(100)
            if r < 3:
                # DESIGN.md's short form: the literal entity, protocol and count left to their defaults
                line = {"src": "internet", "dst": "%s/%s" % (ns, dst), "port": port, "time": when}
                if count > 1:
                    line["count"] = count
                lines.append(dumps(line))
                continue
            addr = src[1]
            if r < 5 and v6_clients:
                addr = rng.choice(v6_clients)
        else:
            addr = "%s/%s" % (ns, src)
        lines.append(dumps({"src": addr, "dst": "%s/%s" % (ns, dst), "port": port, "protocol": proto,
                            "time": when, "count": count}))
    return lines


def hubble_events(rng, cluster, app, calls):
    table = edge_table(app)
    events = []
    for t, src, dst in calls:
        port, proto, svc = table[(edge_key(src), dst)]
        client = World(src[1]) if isinstance(src, tuple) else cluster.pods[src]
        conn = tcp_connection(rng, cluster, START_S * NS + t, client, cluster.pods[dst], port)
        if rng.randrange(100) < 2:  # an exporter that writes protojson's lowerCamelCase names
            conn = [(te, camelize(obj)) for te, obj in conn]
        events += conn
    return events


def status_events(rng, cluster, with_gap):
    """node_status and lost_events lines, as `hubble observe` through Hubble Relay interleaves them."""
    t0 = START_S * NS
    ev = []
    for i, node in enumerate(cluster.node_names):
        t = t0 + rng.randint(1, 900) * MS
        ev.append((t, {"node_status": {"state_change": "NODE_CONNECTED", "node_names": [node]},
                       "time": ts_proto(t)}))
    if with_gap:
        node = cluster.node_names[-1]
        t_down = t0 + 2 * 86400 * NS + 4 * 3600 * NS + rng.randint(0, 3600) * NS + rng.randint(0, NS)
        ev.append((t_down, {"node_status": {"state_change": "NODE_UNAVAILABLE", "node_names": [node],
                                            "message": "connection to peer %s lost" % node},
                            "time": ts_proto(t_down)}))
        t_up = t_down + rng.randint(40, 200) * NS + rng.randint(0, NS)
        ev.append((t_up, camelize({"node_status": {"state_change": "NODE_CONNECTED", "node_names": [node]},
                                   "time": ts_proto(t_up)})))
        t_lost = t0 + 3 * 86400 * NS + 14 * 3600 * NS + rng.randint(0, 3600) * NS + rng.randint(0, NS)
        ev.append((t_lost, {"lost_events": {"source": "PERF_EVENT_RING_BUFFER",
                                            "num_events_lost": str(rng.randint(12, 400)),
                                            "cpu": rng.randint(0, 7)},
                            "node_name": cluster.node_names[0], "time": ts_proto(t_lost)}))
    return ev


def render_events(events):
    events.sort(key=lambda e: e[0])  # stable: keeps the order inside one connection for equal times
    return [dumps(obj) for _, obj in events]


def dns_file_lines(rng, app, clients):
    """~200 lines: a few Online Boutique connections, each preceded by the caller's DNS lookup, plus lookups
    from every pod (UDP 53, a few over TCP 53) to the kube-dns pods in kube-system."""
    cluster = Cluster(app, random.Random(SEED + 1), with_dns=True)  # same pods as flows.hubble.jsonl
    events = status_events(rng, cluster, False)
    t = 9 * 3600 * NS + rng.randint(0, 600) * NS  # a morning on the first day
    for _, caller, callee, port, proto, svc, _ in app["edges"]:  # every edge once
        t += rng.randint(2, 90) * NS + rng.randint(0, NS)
        if caller == "internet":
            client = World(weighted(rng, clients))
        else:
            client = cluster.pods[caller]
            events += udp_exchange(rng, cluster, START_S * NS + t, client, rng.choice(cluster.dns_pods), 53)
            t += rng.randint(1, 3) * MS
        events += tcp_connection(rng, cluster, START_S * NS + t, client, cluster.pods[callee], port)
    names = [w[0] for w in app["workloads"]]
    for name in names:  # every pod, including those that call nobody
        t += rng.randint(5, 120) * NS + rng.randint(0, NS)
        events += udp_exchange(rng, cluster, START_S * NS + t, cluster.pods[name], rng.choice(cluster.dns_pods),
                               53)
    for i in range(3):  # truncated answers retried over TCP
        t += rng.randint(30, 300) * NS + rng.randint(0, NS)
        name = rng.choice(names)
        events += tcp_connection(rng, cluster, START_S * NS + t, cluster.pods[name], rng.choice(cluster.dns_pods),
                                 53)
    return render_events(events)


def write_if_changed(path, data, written):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                written.append((path, "unchanged"))
                return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    written.append((path, "written"))


def lines_bytes(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def readme(app, counts):
    ns = app["namespace"]
    rows = []
    for row, caller, callee, port, proto, svc, svc_port in app["edges"]:
        src = "internet (public IPs)" if caller == "internet" else "%s/%s" % (ns, caller)
        rows.append("| %s | %s | %s/%s | %d | %s | %s:%d |" % (row, src, ns, callee, port, proto, svc, svc_port))
    return """# Demo: Online Boutique

A ready-made input for trying netpolgen: the Online Boutique cluster manifests and a few days of flows.

```
netpolgen generate --cluster demo/online-boutique/kubernetes-manifests.yaml --flows demo/online-boutique/flows.jsonl
netpolgen generate --cluster demo/online-boutique/kubernetes-manifests.yaml --flows demo/online-boutique/flows.hubble.jsonl
```

Both flow files contain the same edges, so both commands give the same policies. The golden CLI tests use these
files too (`tests/golden/cases/online-boutique*.args`); Sock Shop and Bookinfo flows are in `tests/golden/`.

## Files

| file | what |
|---|---|
| `kubernetes-manifests.yaml` | the cluster: 12 Deployments and their Services, namespace `default` (the manifest sets none) |
| `flows.jsonl` | canonical flow log (JSON Lines, see DESIGN.md "Input formats"), %(canonical)d lines |
| `flows.hubble.jsonl` | the same traffic pattern as `hubble observe -o json` prints it, %(hubble)d lines |
| `flows-with-dns.hubble.jsonl` | %(dns)d Hubble lines that also contain DNS lookups to kube-dns in `kube-system` |
| `LICENSE`, `NOTICE` | the upstream licence (Apache-2.0) and attribution, copied from the shared sample `samples/online-boutique/` |

## Where the manifests come from

`kubernetes-manifests.yaml` is an unmodified copy of `release/kubernetes-manifests.yaml` from
GoogleCloudPlatform/microservices-demo ("Online Boutique", Copyright Google LLC) at commit
`34ffea9175946982c3088ed84994fe6019ad6e92`, licensed under the Apache License, Version 2.0 (`LICENSE`).
`NOTICE` is copied verbatim from the shared sample; of the files it lists, only `kubernetes-manifests.yaml` is
in this directory.

## How the flows were made

The flows are synthetic. `scripts/make_sample_flows.py` (Python 3 standard library, random seed %(seed)d,
start %(start)s, %(days)d days, no wall clock) simulates the loadgenerator's Locust tasks with their weights
(index 1, setCurrency 2, browseProduct 10, addToCart 2, viewCart 3, checkout 1) around the clock, and visitors
from the internet with a daily rhythm; every page expands into the backend calls of the call graph in
`../shared/samples/online-boutique/CALLS.md`. Re-running the script gives byte-identical files, and
`scripts/check_sample_flows.py` verifies that each file has exactly the edges below.

- `flows.jsonl`: connections aggregated per (source, destination) and 30-minute bucket into one line with
  `count` and the time of the first one. In-cluster peers are workloads (`default/frontend`); internet clients
  are public IP addresses (the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, ordinary
  public IPv4 and a few IPv6 addresses), and a few lines use the entity `"src":"internet"` without protocol.
- `flows.hubble.jsonl`: individual connections. Each in-cluster TCP connection appears as Hubble shows it: the
  SYN at the client's node (`EGRESS`, `FROM_ENDPOINT`) and at the server's node (`INGRESS`, `TO_ENDPOINT`), the
  SYN-ACK reply (`is_reply: true`) and some ACK / PSH+ACK packets (`is_reply: false`, not new connections).
  Internet clients are `reserved:world` (identity 2) and are seen at the server's node only. Pods have stable
  names, IPs (10.244.N.0/24 per node), identities and endpoint IDs (`ID` only where the observing node is the
  pod's own). Encoding as protojson writes it: zero values omitted (so a `TO_ENDPOINT` event has
  `event_type: {type: 4}` without `sub_type`), timestamps with nanoseconds. The simulated Cilium replaces
  kube-proxy (socket load balancing), so packets carry pod IPs and container ports and there is no
  `destination_service`; the deprecated `Summary` is left out. Also: `node_status` lines (one in
  lowerCamelCase), one `lost_events` line, and about 2%% of the connections in lowerCamelCase
  (`isReply`, `podName`, `sourcePort`, `eventType.subType`, ...) as some exporters write them.
- `flows-with-dns.hubble.jsonl`: like the above plus DNS lookups from every pod to the `coredns` pods
  (`kube-system`, `k8s-app=kube-dns`) on UDP 53 and a few on TCP 53. kube-dns is not in the manifests, so
  those flows name a workload outside the snapshot (netpolgen reports them; `--skip-invalid` skips them).

Not in any file: kubelet health probes (node traffic, always allowed, never a policy rule).

## Edges (pod port = container port, what a NetworkPolicy must allow)

| CALLS.md row | source | destination | pod port | protocol | Service:port dialled |
|---|---|---|---|---|---|
%(rows)s

Edges that must not appear between the app's workloads: anything to `loadgenerator`; anything from adservice, currencyservice,
paymentservice, shippingservice, emailservice, productcatalogservice or redis-cart; frontend to
paymentservice, emailservice or redis-cart; checkoutservice to adservice or recommendationservice.
""" % {"canonical": counts["canonical"], "hubble": counts["hubble"], "dns": counts["dns"], "seed": SEED,
       "start": START_TEXT, "days": DAYS, "rows": "\n".join(rows)}


def generate_app(app, index):
    profile = PROFILES[app["key"]]
    rng = random.Random(SEED * 10 + index)
    clients, v6 = client_pool(rng, 24, 40, 4)
    c = profile["canonical"]
    calls = simulate(rng, app, profile, c["robot_actions"], c["sessions"], clients)
    calls = ensure_coverage(rng, app, calls, clients)
    canonical = canonical_lines(rng, app, calls, c["bucket_min"], v6)

    hrng = random.Random(SEED * 10 + index + 5)
    cluster = Cluster(app, random.Random(SEED + 1 + index))
    h = profile["hubble"]
    hcalls = simulate(hrng, app, profile, h["robot_actions"], h["sessions"], clients)
    hcalls = ensure_coverage(hrng, app, hcalls, clients)
    hubble = render_events(hubble_events(hrng, cluster, app, hcalls) + status_events(hrng, cluster, True))
    return canonical, hubble, clients


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here), help="repository root (default: parent of scripts/)")
    ap.add_argument("--samples", default=None, help="the shared samples (default: ROOT/../shared/samples)")
    args = ap.parse_args()
    root = args.root
    samples = args.samples or os.path.join(root, "..", "shared", "samples")
    written = []

    for index, app in enumerate(APPS):
        canonical, hubble, clients = generate_app(app, index)
        if app["key"] == "online-boutique":
            demo = os.path.join(root, "demo", "online-boutique")
            dns = dns_file_lines(random.Random(SEED * 10 + 99), app, clients)
            write_if_changed(os.path.join(demo, "flows.jsonl"), lines_bytes(canonical), written)
            write_if_changed(os.path.join(demo, "flows.hubble.jsonl"), lines_bytes(hubble), written)
            write_if_changed(os.path.join(demo, "flows-with-dns.hubble.jsonl"), lines_bytes(dns), written)
            counts = {"canonical": len(canonical), "hubble": len(hubble), "dns": len(dns)}
            write_if_changed(os.path.join(demo, "README.md"), readme(app, counts).encode("utf-8"), written)
            src_dir = os.path.join(samples, "online-boutique")
            for name in [app["sample_manifest"], "LICENSE", "NOTICE"]:
                src = os.path.join(src_dir, name)
                if not os.path.exists(src):
                    print("warning: %s not found, not copied" % src, file=sys.stderr)
                    continue
                with open(src, "rb") as f:
                    write_if_changed(os.path.join(demo, name), f.read(), written)
        else:
            out = os.path.join(root, "tests", "golden", app["key"])
            write_if_changed(os.path.join(out, "flows.jsonl"), lines_bytes(canonical), written)
            write_if_changed(os.path.join(out, "flows.hubble.jsonl"), lines_bytes(hubble), written)

    for path, state in written:
        print("%-9s %s" % (state, os.path.relpath(path, root)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
