#!/usr/bin/python3
"""live_cluster_objects.py -- a large synthetic cluster as one JSON List, for bench/live_list_scale.sh.

    live_cluster_objects.py OUT.json [--workloads 10000] [--pods 50000] [--namespaces 100] [--seed 1]
    live_cluster_objects.py --join-pages DIR LIMIT OUT.json

The second form joins list pages saved by bench/live_list_scale.sh (DIR/index.tsv: path, limit,
continue, file) into one List, kind and apiVersion put back on every item: the objects exactly as
the API server served them, as one file.

Deterministic (own seed). The objects are what `kubectl get -o json` shows of a real cluster, with
the fields a pod carries in practice (containers with images, ports, env, resources and probes,
the service account token volume, tolerations, status with conditions, container statuses and
pod IPs), so that list pages have a realistic size:
  - namespaces;
  - workloads: 85 % Deployments, each with its current ReplicaSet (pod-template-hash) and, for a
    third of them, an older ReplicaSet scaled to 0; 10 % StatefulSets; 5 % DaemonSets;
  - pods spread over the workloads (5 per workload at 10,000 / 50,000), each with an
    ownerReference to its ReplicaSet, StatefulSet or DaemonSet, its labels, node and pod IP
    (10.128.0.0/9, unique);
  - a Service (ClusterIP, selector app=NAME) for 80 % of the workloads.
The fake API server (tests/kube/fake_apiserver.py --objects) adds uid, resourceVersion,
creationTimestamp, generation and managedFields as a real server does.
"""
import argparse
import hashlib
import json
import os
import random
import sys

TEAMS = ["payments", "search", "identity", "checkout", "catalog", "media", "ml", "ads", "infra",
         "shipping", "growth", "risk", "support", "data", "edge"]
WORDS = ["api", "worker", "frontend", "cache", "db", "gateway", "indexer", "scheduler", "auth",
         "billing", "notifier", "render", "stream", "ingest", "export", "ranker", "cron", "proxy"]
IMAGES = ["registry.example.com/%s/%s:v1.%d.%d", "ghcr.io/example/%s-%s:2026.%d.%d"]
NODES = 200


def pod_template_hash(name):
    return hashlib.sha256(name.encode()).hexdigest()[:10]


def container(rng, name, ports):
    image = rng.choice(IMAGES) % (name.split("-")[0], name, rng.randrange(20), rng.randrange(9))
    return {
        "name": name.split("-")[0] if rng.random() < 0.5 else "app",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": pn, "containerPort": p, "protocol": "TCP"} for pn, p in ports],
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                "fieldPath": "metadata.name"}}},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "value": "http://otel-collector.observability:4317"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": ports[0][1], "scheme": "HTTP"},
                          "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1,
                          "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": ports[0][1], "scheme": "HTTP"},
                           "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1,
                           "failureThreshold": 3},
        "volumeMounts": [{"name": "kube-api-access", "readOnly": True,
                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }


def pod_spec(rng, name, ports):
    return {
        "containers": [container(rng, name, ports)],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
    }


def template(rng, name, labels, ports):
    return {"metadata": {"labels": dict(labels)}, "spec": pod_spec(rng, name, ports)}


def pod_status(rng, ip, node_ip, image_name, start):
    cond = lambda t: {"type": t, "status": "True", "lastProbeTime": None,  # noqa: E731
                      "lastTransitionTime": start}
    return {
        "phase": "Running",
        "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"),
                       cond("ContainersReady"), cond("PodScheduled")],
        "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
        "podIP": ip, "podIPs": [{"ip": ip}],
        "startTime": start,
        "containerStatuses": [{
            "name": "app", "state": {"running": {"startedAt": start}}, "lastState": {},
            "ready": True, "restartCount": rng.randrange(3), "image": image_name,
            "imageID": "sha256:" + hashlib.sha256(image_name.encode()).hexdigest(),
            "containerID": "containerd://" + hashlib.sha256((ip + start).encode()).hexdigest(),
            "started": True}],
        "qosClass": "Burstable",
    }


def join_pages(folder, limit, out):
    items = []
    with open(os.path.join(folder, "index.tsv")) as index:
        for line in index:
            _, page_limit, _, name, *rv = line.rstrip("\n").split("\t")
            if page_limit != limit or (rv and rv[0]):  # the watch cache's copies: once is enough
                continue
            with open(os.path.join(folder, name)) as f:
                page = json.load(f)
            kind = page["kind"][:-len("List")]
            for o in page["items"]:
                items.append(dict({"apiVersion": page["apiVersion"], "kind": kind}, **o))
    with open(out, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f, separators=(",", ":"))
    print("%s: %d objects, %.0f MB" % (out, len(items), os.path.getsize(out) / 1e6))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--join-pages":
        join_pages(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--workloads", type=int, default=10000)
    ap.add_argument("--pods", type=int, default=50000)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    start = "2026-12-01T08:00:00Z"
    namespaces = ["%s-%d" % (TEAMS[i % len(TEAMS)], i) for i in range(a.namespaces)]
    items = [{"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns,
                                                   "team": ns.rsplit("-", 1)[0]}}}
             for ns in namespaces]
    counts = {"Deployment": 0, "ReplicaSet": 0, "StatefulSet": 0, "DaemonSet": 0, "Pod": 0,
              "Service": 0}
    pods_left = a.pods
    next_ip = 0
    for w in range(a.workloads):
        ns = namespaces[min(int(rng.paretovariate(1.2)) - 1, a.namespaces - 1) if w % 3 == 0
                        else w % a.namespaces]
        name = "%s-%s-%d" % (rng.choice(WORDS), rng.choice(WORDS), w)
        kind = "Deployment" if w % 20 < 17 else "StatefulSet" if w % 20 < 19 else "DaemonSet"
        # pods for this workload: the rest spread evenly over the workloads left
        replicas = pods_left // (a.workloads - w)
        pods_left -= replicas
        labels = {"app": name, "team": ns.rsplit("-", 1)[0],
                  "tier": rng.choice(["web", "backend", "data"])}
        ports = [("http", 8080)] + ([("grpc", 9090)] if w % 4 == 0 else []) + \
            ([("metrics", 9100)] if w % 5 == 0 else [])
        tmpl = template(rng, name, labels, ports)
        image = tmpl["spec"]["containers"][0]["image"]
        meta = {"name": name, "namespace": ns, "labels": dict(labels),
                "annotations": {"meta.helm.sh/release-name": name,
                                "meta.helm.sh/release-namespace": ns}}
        obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
               "spec": {"selector": {"matchLabels": {"app": name}}, "template": tmpl}}
        owner_kind, owner_name = kind, name
        if kind == "Deployment":
            obj["spec"].update(replicas=replicas, strategy={
                "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%",
                                                           "maxUnavailable": "25%"}},
                revisionHistoryLimit=10, progressDeadlineSeconds=600)
            obj["status"] = {"replicas": replicas, "readyReplicas": replicas,
                             "availableReplicas": replicas, "updatedReplicas": replicas,
                             "observedGeneration": 1}
            hashes = [pod_template_hash(name + "/2")] + \
                ([pod_template_hash(name + "/1")] if w % 3 == 0 else [])
            for i, h in enumerate(hashes):
                rs_labels = dict(labels, **{"pod-template-hash": h})
                rs_tmpl = template(rng, name, rs_labels, ports)
                rs_n = replicas if i == 0 else 0
                items.append({
                    "apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": "%s-%s" % (name, h), "namespace": ns,
                                 "labels": rs_labels,
                                 "annotations": {"deployment.kubernetes.io/desired-replicas":
                                                 str(replicas),
                                                 "deployment.kubernetes.io/max-replicas":
                                                 str(replicas + 1),
                                                 "deployment.kubernetes.io/revision": str(2 - i)},
                                 "ownerReferences": [{"apiVersion": "apps/v1",
                                                      "kind": "Deployment", "name": name,
                                                      "uid": "00000000-0000-0000-0000-%012d" % w,
                                                      "controller": True,
                                                      "blockOwnerDeletion": True}]},
                    "spec": {"replicas": rs_n,
                             "selector": {"matchLabels": {"app": name, "pod-template-hash": h}},
                             "template": rs_tmpl},
                    "status": {"replicas": rs_n, "readyReplicas": rs_n,
                               "availableReplicas": rs_n, "fullyLabeledReplicas": rs_n,
                               "observedGeneration": 1}})
                counts["ReplicaSet"] += 1
            owner_kind, owner_name = "ReplicaSet", "%s-%s" % (name, hashes[0])
            pod_labels = dict(labels, **{"pod-template-hash": hashes[0]})
        elif kind == "StatefulSet":
            obj["spec"].update(replicas=replicas, serviceName=name,
                               podManagementPolicy="OrderedReady",
                               updateStrategy={"type": "RollingUpdate",
                                               "rollingUpdate": {"partition": 0}})
            obj["status"] = {"replicas": replicas, "readyReplicas": replicas,
                             "currentReplicas": replicas, "updatedReplicas": replicas,
                             "observedGeneration": 1}
            pod_labels = dict(labels, **{"controller-revision-hash": name + "-7d9f8c6b5",
                                         "apps.kubernetes.io/pod-index": "0"})
        else:
            obj["spec"].update(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {
                "maxUnavailable": 1, "maxSurge": 0}})
            obj["status"] = {"currentNumberScheduled": replicas, "desiredNumberScheduled": replicas,
                             "numberReady": replicas, "numberAvailable": replicas,
                             "observedGeneration": 1}
            pod_labels = dict(labels, **{"controller-revision-hash": "6b7c9d5f4",
                                         "pod-template-generation": "1"})
        items.append(obj)
        counts[kind] += 1
        for r in range(replicas):
            if kind == "Deployment":
                suffix = hashlib.sha256(("%s/%d" % (name, r)).encode()).hexdigest()[:5]
                pod_name = "%s-%s" % (owner_name, suffix)
            elif kind == "StatefulSet":
                pod_name = "%s-%d" % (name, r)
            else:
                pod_name = "%s-%s" % (name, hashlib.sha256(("%s/%d" % (name, r)).encode())
                                      .hexdigest()[:5])
            ip = "10.%d.%d.%d" % (128 + next_ip // 65536, next_ip // 256 % 256, next_ip % 256)
            next_ip += 1
            node = rng.randrange(NODES)
            node_ip = "10.0.%d.%d" % (node // 250, node % 250 + 2)
            spec = pod_spec(rng, name, ports)
            spec["containers"][0]["image"] = image
            spec["nodeName"] = "node-%03d" % node
            spec["volumes"] = [{"name": "kube-api-access", "projected": {
                "defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt",
                                   "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                        "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}]
            spec["tolerations"] = [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300}]
            pl = dict(pod_labels)
            if kind == "StatefulSet":
                pl["apps.kubernetes.io/pod-index"] = str(r)
                pl["statefulset.kubernetes.io/pod-name"] = pod_name
            items.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod_name, "namespace": ns, "labels": pl,
                             "generateName": owner_name + "-",
                             "annotations": {"kubectl.kubernetes.io/restartedAt": start},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                                                  "name": owner_name,
                                                  "uid": "00000000-0000-0001-0000-%012d" % w,
                                                  "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": spec,
                "status": pod_status(rng, ip, node_ip, image, start)})
            counts["Pod"] += 1
        if w % 5 != 4:
            items.append({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                "spec": {"type": "ClusterIP", "selector": {"app": name},
                         "clusterIP": "172.%d.%d.%d" % (16 + w // 65536, w // 256 % 256,
                                                        w % 256),
                         "ports": [{"name": pn, "port": 80 if pn == "http" else p,
                                    "targetPort": pn, "protocol": "TCP"}
                                   for pn, p in ports]}})
            counts["Service"] += 1
    with open(a.out, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f,
                  separators=(",", ":"))
    print("objects: %d (%s namespaces, %s)" % (len(items), a.namespaces, ", ".join(
        "%d %ss" % (n, k) for k, n in counts.items())))


if __name__ == "__main__":
    main()
