#!/usr/bin/python3
"""fake_apiserver.py -- a faithful-enough fake Kubernetes API server for netpolgen tests.

Standard library + python3-yaml only (Debian 12 /usr/bin/python3).  Protocol facts follow
/work/shared/docs/kubernetes-api-client.md (section numbers below refer to it).

Start
-----
    fake_apiserver.py --dir DIR [--objects FILE.json|yaml ...] [--port 0]
                      [--server-name-only] [--openshift] [--rules RULES.json]
                      [--forbid USER:VERB:RESOURCE[:NS] ...]
                      [--fixed-time 2026-01-01T00:00:00Z] [--no-default-namespace] [-v]

On start it creates in DIR (with the `openssl` CLI):
    ca.crt/ca.key            a CA
    server.crt/server.key    server certificate: DNS kubernetes.fake + IP 127.0.0.1
                             (--server-name-only: DNS kubernetes.fake ONLY, so clients need
                             tls-server-name: kubernetes.fake)
    client.crt/client.key    client certificate CN=admin, O=system:masters
    token                    token file read through kubeconfig `tokenFile` (user "tokenfile-user")
    exec-plugin.sh           exec credential plugin (client.authentication.k8s.io/v1); prints an
                             ExecCredential with token "exec-token-1" (user "exec-user") and an
                             expirationTimestamp one hour ahead; appends one line per call to
                             DIR/exec-plugin.log.  If DIR/exec-token exists its content is the token.
    kubeconfig-token         bearer token "admin-token" (user "admin"), CA data
    kubeconfig-cert          client-certificate-data / client-key-data (user "admin")
    kubeconfig-tokenfile     tokenFile: DIR/token
    kubeconfig-exec          exec plugin v1, interactiveMode: Never
    kubeconfig-insecure      insecure-skip-tls-verify: true (token auth)
    kubeconfig-servername    like kubeconfig-token, with tls-server-name: kubernetes.fake
    All kubeconfigs use server https://127.0.0.1:PORT.
It prints exactly one line `fake-apiserver: listening on https://127.0.0.1:PORT` on stdout when
ready and serves until SIGTERM/SIGINT (exit 0).

Users: token "admin-token" -> admin (system:masters); client cert -> CN/O of the cert;
"file-token-1" (content of DIR/token) -> tokenfile-user; exec token -> exec-user.
Requests without credentials or with an unknown/revoked token -> 401 Status (anonymous auth off).

API surface
-----------
Discovery: /version, /api, /api/v1, /apis (legacy APIGroupList; route.openshift.io only with
--openshift; aggregated discovery v2 is NOT served, the Accept header falls back to
application/json), /apis/<group>/<version> (APIResourceList; absent group -> 404 text body
"404 page not found"), /openapi/v3 and /openapi/v3/<gv> (a minimal OpenAPI v3: paths with their
x-kubernetes-group-version-kind and the query parameters fieldValidation/dryRun/fieldManager/force,
no schemas -- enough for kubectl's field-validation verifier; kubectl >= 1.28 reads it before
apply/create), /openapi/v2 (the same paths as a gnostic protobuf Document when protobuf is accepted
-- kubectl 1.27 needs it --, JSON otherwise).  /healthz, /livez, /readyz -> "ok".

Resources: namespaces, pods, services, endpointslices, deployments, statefulsets, daemonsets,
replicasets, jobs, cronjobs, networkpolicies (+ routes with --openshift),
selfsubjectaccessreviews (create only; answers from the forbid rules).
Namespaced and cluster-wide list/watch paths; single-object paths; `/status` subresource (get/put/
patch).  One global resourceVersion counter (decimal string, clients must treat it as opaque);
uid (deterministic uuid5), creationTimestamp, generation (bumped when .spec changes), managedFields.

List (section 5): `<Kind>List`, items without kind/apiVersion, body ends with "\n";
limit/continue (opaque base64 token; all pages served from the snapshot taken by the first page,
remainingItemCount); resourceVersion=0 without continue -> the whole list, limit ignored (the
watch cache); continue + resourceVersion (not ""/"0") -> 400; resourceVersionMatch
validation; labelSelector (=, ==, !=, in, notin, exists, !exists); fieldSelector (=, ==, != on
metadata.name, metadata.namespace and any other dotted path).
Watch (section 6): watch=1|true; RV unset/"0" -> synthetic ADDED of current state; RV N -> events
after N from the event log; N older than the compacted RV -> HTTP 410 Expired (or an ERROR event,
see faults); allowWatchBookmarks -> BOOKMARK every `bookmarkInterval` s (default 60) and one right
before a timeout end; sendInitialEvents=true&resourceVersionMatch=NotOlderThan -> streaming list
with the k8s.io/initial-events-end BOOKMARK; timeoutSeconds -> clean end of stream (default 1800 s);
one JSON object + "\n" per event, objects carry kind/apiVersion; HTTP/1.1 chunked.
Writes (section 7): POST create (201; 409 AlreadyExists; 404 namespace missing; 400 namespace
mismatch; 422 Invalid with details.causes: DNS-1123/1035 names, label keys/values, required
fields, NetworkPolicy policyTypes; generateName), PUT replace (409 Conflict on stale RV; 404),
DELETE (200 Status Success; object + 202 when finalizers are pending; 404; preconditions uid/RV
-> 409; namespace deletion cascades), DELETE collection with labelSelector, PATCH with
application/merge-patch+json, application/strategic-merge-patch+json (merge patch plus merge keys
for common lists and the $patch/$retainKeys/$setElementOrder/$deleteFromPrimitiveList directives),
application/json-patch+json, and server-side apply application/apply-patch+yaml (fieldManager
required -> 422; apiVersion/kind/name checks; managedFields must be absent; resourceVersion as a
precondition; managedFields per manager with FieldManagerConflict 409 unless force=true; lists are
atomic; fields dropped from the applied config are removed; 201 create / 200 update; no-op apply
does not bump the RV); other Content-Types on PATCH -> 415; force on non-apply patch -> 422.
dryRun=All on every write validates and answers without storing (other values -> 400).
Every stored write emits a watch event.  Non-apply writes record an `Update` managedFields entry for
fieldManager (or the User-Agent's first word).
Auth & RBAC: 401 Status for missing/unknown/revoked credentials; forbid rules (from --rules FILE
with {"forbid":[...]}, --forbid flags, or the faults endpoint) make (user, verb, resource, namespace) 403 with the
real message, e.g. networkpolicies.networking.k8s.io is forbidden: User "admin" cannot create
resource "networkpolicies" in API group "networking.k8s.io" in the namespace "shop".  Server-side
apply that creates is authorized for `patch` and `create`.
Status bodies (section 7.2) for 400/401/403/404/405/409/410/415/422/429/500.

Control endpoints (no auth; real clients never call them)
--------------------------------------------------------
GET    /__fake/requests       {"requests":[{seq,method,path,query,params,contentType,accept,user,
                              auth,userAgent,code}]}  (control requests are not logged)
DELETE /__fake/requests       clear the log
GET    /__fake/faults         current faults;  DELETE /__fake/faults clears them
POST   /__fake/faults         JSON object merged into the fault set (a null value removes a key):
  status429: {"count":N, "retryAfter":S, "path_prefix":"/api/v1/pods", "method":"GET"}
        next N matching requests -> 429 TooManyRequests, Retry-After header, details.retryAfterSeconds
        and X-Kubernetes-PF-* headers.
  respond: [{"count":N, "code":C, "path_prefix":P, "method":M, "body":"text", "contentType":"text/plain",
             "status":{...Status overrides...}, "retryAfter":S}]
        next N matching requests get this canned answer (e.g. a 404 with a text body, 503, 500).
        "dryRun": false|true matches only requests without|with the dryRun parameter (a write
        that passes its dry run and then fails).
  forbid: [{"user":U, "verb":V, "resource":R, "namespace":NS, "group":G}]   ("*" or absent = any)
        replaces the forbid list; 403 Forbidden with the real message.
  failCreateNth: N          the Nth create (POST) from now fails with 500 InternalError.
  expireContinue: true|N    the next (N) list request(s) carrying `continue` -> 410 Expired, with a new
                            continue token (from the next key, at the latest state) in Status metadata.
  emptyPageFirst: true|N    the next (N) paginated list(s) answer the first page with zero items and a
                            continue token.
  ignoreLimit: true         list requests ignore `limit` (return everything, like the watch cache).
  dropWatchAfterEvents: N   the next watch stream is cut (TCP close, no final chunk) after N events.
                            The three watch faults also take {"count":N,"path_prefix":P}: the next
                            watch whose path starts with P (e.g. "/apis/apps/v1/deployments"), or a
                            list of those (each used once, by the first watch it matches).
  truncateWatchEvent: N     the next watch stream writes N full events, then half of the next event's
                            JSON, then the connection is cut.
  watchErrorAfterEvents: N  the next watch sends N events, then an ERROR event (410 Expired), then
                            ends the stream cleanly.
  watch410: "http"|"event"  how a too-old watch RV is answered (default "http": HTTP 410 Status).
  watchChunking: "split"|"coalesce"   each event split over two chunks / all ready events in one chunk.
  bookmarkInterval: S       seconds between BOOKMARK events on watches with allowWatchBookmarks.
  rejectSendInitialEvents: true   behave like a server without the WatchList gate (422 Invalid).
  compact: true             one-shot: mark every RV up to the current one as compacted (watch/list
                            with an older exact RV -> 410).
  revokeToken: "tok"        one-shot: the token is no longer accepted (401).
  addToken: {"token":T, "user":U, "groups":[...]}   one-shot: accept a new token.
  rotateTokenFile: "newtok" one-shot: write newtok into DIR/token, accept it (user tokenfile-user)
                            and revoke the previous file token.
  rotateExecToken: "newtok" one-shot: DIR/exec-token = newtok (the exec plugin prints it), accepted
                            for exec-user; the previous exec token is revoked.
  latencyMs: N              sleep N ms before answering each API request.
GET    /__fake/objects        {"items":[...]} every stored object with kind/apiVersion
POST   /__fake/objects        {"ops":[{"op":"put","object":{...}},             create or replace
                                      {"op":"patch","apiVersion":..,"kind":..,"namespace":..,"name":..,
                                       "patch":{merge patch}},
                                      {"op":"delete","apiVersion":..,"kind":..,"namespace":..,"name":..}]}
                              (a single op object is accepted too); emits watch events; answers
                              {"results":[object-or-null...],"resourceVersion":RV}.
GET    /__fake/events         the watch event log {"compactedRV":..,"events":[{rv,type,resource,namespace,name}]}

Server-side printing: an Accept of application/json;as=Table;v=v1;g=meta.k8s.io (what kubectl sends
for human output) gets meta.k8s.io Table responses on get/list/watch (real columns for pods, services,
deployments, namespaces, networkpolicies; Name/Age otherwise; includeObject honoured).

Not implemented: HTTP/2, protobuf/CBOR bodies (except decoding the SelfSubjectAccessReview of
`kubectl auth can-i`; other protobuf bodies -> 415), aggregated discovery v2, OpenAPI schemas
(`kubectl explain` shows only the kind), admission webhooks, defaulting beyond metadata, field
validation of unknown fields (fieldValidation is accepted and ignored), impersonation, subresources
other than status (no /scale: `kubectl scale` gets 404), graceful pod deletion, garbage collection via
ownerReferences, namespace Terminating phase (deletion is immediate and cascades).
"""

import argparse
import base64
import copy
import datetime
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

import yaml

# ---------------------------------------------------------------------------------------------
# Resource table
# ---------------------------------------------------------------------------------------------


class Res:
    def __init__(self, group, version, resource, kind, namespaced, short=(), verbs=None,
                 name_rule="subdomain", categories=()):
        self.group, self.version, self.resource, self.kind = group, version, resource, kind
        self.namespaced, self.short = namespaced, list(short)
        self.verbs = verbs or ["create", "delete", "deletecollection", "get", "list", "patch",
                               "update", "watch"]
        self.name_rule = name_rule
        self.categories = list(categories)

    @property
    def api_version(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def qualified(self):  # networkpolicies.networking.k8s.io / pods
        return self.resource + "." + self.group if self.group else self.resource

    @property
    def qualified_kind(self):  # NetworkPolicy.networking.k8s.io / Pod
        return self.kind + "." + self.group if self.group else self.kind


RESOURCES = [
    Res("", "v1", "namespaces", "Namespace", False, ["ns"], name_rule="label"),
    Res("", "v1", "pods", "Pod", True, ["po"], categories=["all"]),
    Res("", "v1", "services", "Service", True, ["svc"], name_rule="label1035", categories=["all"]),
    Res("", "v1", "replicationcontrollers", "ReplicationController", True, ["rc"], categories=["all"]),
    Res("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    Res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"]),
    Res("", "v1", "secrets", "Secret", True, []),
    Res("apps", "v1", "deployments", "Deployment", True, ["deploy"], categories=["all"]),
    Res("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"], categories=["all"]),
    Res("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], categories=["all"]),
    Res("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], categories=["all"]),
    Res("batch", "v1", "jobs", "Job", True, [], categories=["all"]),
    Res("batch", "v1", "cronjobs", "CronJob", True, ["cj"], categories=["all"]),
    Res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"]),
    Res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, []),
    Res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, []),
    Res("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, []),
    Res("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
        [], verbs=["create"]),
]
OPENSHIFT_RESOURCES = [Res("route.openshift.io", "v1", "routes", "Route", True, [])]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                 "'-' or '.', and must start and end with an alphanumeric character (e.g. "
                 "'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
             "and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
            "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
            "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
MSG_LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                   "'_' or '.', and must start and end with an alphanumeric character (e.g. "
                   "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
MSG_QNAME = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
             "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
             "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


# ---------------------------------------------------------------------------------------------
# Server-side printing (meta.k8s.io/v1 Table), as kubectl requests for human output
# ---------------------------------------------------------------------------------------------


def human_duration(seconds):
    s = max(0, int(seconds))
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    d = h // 24
    if d < 8:
        return "%dd%dh" % (d, h % 24) if h % 24 else "%dd" % d
    if d < 365 * 2:
        return "%dd" % d
    return "%dy" % (d // 365)


def age(o):
    ts = (o.get("metadata") or {}).get("creationTimestamp")
    if not ts:
        return "<unknown>"
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<unknown>"
    return human_duration((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())


def fmt_selector(sel):
    sel = sel or {}
    parts = ["%s=%s" % kv for kv in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator", "")
        if op in ("In", "NotIn"):
            parts.append("%s %s (%s)" % (e.get("key"), op.lower(), ",".join(e.get("values") or [])))
        elif op == "Exists":
            parts.append(e.get("key", ""))
        elif op == "DoesNotExist":
            parts.append("!" + e.get("key", ""))
    return ",".join(parts) if parts else "<none>"


def col(name, typ="string", prio=0, fmt="", desc=""):
    return {"name": name, "type": typ, "format": fmt, "description": desc or name, "priority": prio}


def table_columns(res):
    name = col("Name", fmt="name", desc="Name must be unique within a namespace.")
    a = col("Age", desc="CreationTimestamp is a timestamp representing the server time when this "
            "object was created.")
    r = res.resource
    if r == "namespaces":
        return [name, col("Status"), a]
    if r == "pods":
        return [name, col("Ready"), col("Status"), col("Restarts", "string"), a, col("IP", prio=1),
                col("Node", prio=1), col("Nominated Node", prio=1), col("Readiness Gates", prio=1)]
    if r == "services":
        return [name, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), a,
                col("Selector", prio=1)]
    if r in ("deployments",):
        return [name, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), a,
                col("Containers", prio=1), col("Images", prio=1), col("Selector", prio=1)]
    if r == "networkpolicies":
        return [name, col("Pod-Selector"), a]
    return [name, a]


def table_cells(res, o):
    md, spec, status = o.get("metadata") or {}, o.get("spec") or {}, o.get("status") or {}
    r = res.resource
    n = md.get("name", "")
    if r == "namespaces":
        return [n, status.get("phase", "Active"), age(o)]
    if r == "pods":
        cs = status.get("containerStatuses") or []
        total = len(spec.get("containers") or [])
        ready = sum(1 for c in cs if c.get("ready")) if cs else (
            total if status.get("phase") == "Running" else 0)
        restarts = sum(int(c.get("restartCount", 0)) for c in cs)
        phase = "Terminating" if md.get("deletionTimestamp") else status.get("phase", "Pending")
        return [n, "%d/%d" % (ready, total), phase, str(restarts), age(o),
                status.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>",
                "<none>"]
    if r == "services":
        ports = ",".join("%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
                         for p in spec.get("ports") or []) or "<none>"
        sel = ",".join("%s=%s" % kv for kv in sorted((spec.get("selector") or {}).items()))
        return [n, spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>",
                ",".join(spec.get("externalIPs") or []) or "<none>", ports, age(o),
                sel or "<none>"]
    if r == "deployments":
        cont = (((spec.get("template") or {}).get("spec") or {}).get("containers") or [])
        return [n, "%d/%d" % (status.get("readyReplicas", 0), spec.get("replicas", 1)),
                status.get("updatedReplicas", 0), status.get("availableReplicas", 0), age(o),
                ",".join(c.get("name", "") for c in cont), ",".join(c.get("image", "") for c in cont),
                fmt_selector(spec.get("selector"))]
    if r == "networkpolicies":
        return [n, fmt_selector(spec.get("podSelector")), age(o)]
    return [n, age(o)]


def wants_table(accept):
    for part in (accept or "").split(","):
        params = [x.strip() for x in part.split(";")]
        if "as=Table" in params and "g=meta.k8s.io" in params and (
                "v=v1" in params or "v=v1beta1" in params):
            return "v1beta1" if "v=v1beta1" in params and "v=v1" not in params else "v1"
    return None


def to_table(res, objs, meta, include, version="v1", headers=True):
    rows = []
    for o in objs:
        row = {"cells": table_cells(res, o)}
        if include == "Object":
            full = copy.deepcopy(o)
            full["apiVersion"], full["kind"] = res.api_version, res.kind
            row["object"] = full
        elif include != "None":
            m = copy.deepcopy(o.get("metadata") or {})
            m.pop("managedFields", None)
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + version,
                             "metadata": m}
        rows.append(row)
    t = {"kind": "Table", "apiVersion": "meta.k8s.io/" + version, "metadata": meta}
    if headers:
        t["columnDefinitions"] = table_columns(res)
    t["rows"] = rows
    return t


class ApiError(Exception):
    """An error answered as a Status object."""

    def __init__(self, code, reason, message, details=None, headers=None, metadata=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers, self.metadata = details, headers or {}, metadata

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": self.metadata or {},
              "status": "Failure", "message": self.message, "reason": self.reason}
        if self.details is not None:
            st["details"] = self.details
        st["code"] = self.code
        return st


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


def not_found(res, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (res.qualified, name),
                    {"name": name, "group": res.group, "kind": res.resource})


def conflict(res, name, msg):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (res.qualified, name, msg), {"name": name, "group": res.group,
                                                     "kind": res.resource})


def invalid(res, name, causes):
    """causes: list of (reason, field, message-after-field)"""
    parts = ["%s: %s" % (f, m) for (_, f, m) in causes]
    msg = '%s "%s" is invalid: ' % (res.qualified_kind, name)
    msg += parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, "Invalid", msg, {
        "name": name, "group": res.group, "kind": res.kind,
        "causes": [{"reason": r, "message": m, "field": f} for (r, f, m) in causes]})


class TextResponse(Exception):
    def __init__(self, code, body, ctype="text/plain; charset=utf-8", headers=None):
        super().__init__(body)
        self.code, self.body, self.ctype, self.headers = code, body, ctype, headers or {}


# ---------------------------------------------------------------------------------------------
# Helpers: selectors, merge patches, field sets
# ---------------------------------------------------------------------------------------------


def split_top(s, sep=","):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [x.strip() for x in out if x.strip()]


def parse_label_selector(s):
    reqs = []
    for term in split_top(s or ""):
        m = re.match(r"^([^\s!=()]+)\s+(in|notin)\s+\((.*)\)$", term)
        if m:
            vals = set(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append((m.group(1), m.group(2), vals))
            continue
        m = re.match(r"^([^\s!=]+)\s*(==|!=|=)\s*([^\s]*)$", term)
        if m:
            op = {"=": "in", "==": "in", "!=": "notin"}[m.group(2)]
            reqs.append((m.group(1), op, {m.group(3)}))
            continue
        m = re.match(r"^!\s*([^\s!=()]+)$", term)
        if m:
            reqs.append((m.group(1), "!exists", None))
            continue
        m = re.match(r"^([^\s!=()]+)$", term)
        if m:
            reqs.append((m.group(1), "exists", None))
            continue
        raise bad_request("unable to parse requirement: %s" % term)
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        if op == "in" and labels.get(key) not in vals:
            return False
        if op == "notin" and key in labels and labels[key] in vals:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!exists" and key in labels:
            return False
    return True


def parse_field_selector(s):
    reqs = []
    for term in split_top(s or ""):
        m = re.match(r"^([^\s!=]+)\s*(==|!=|=)\s*(.*)$", term)
        if not m:
            raise bad_request('invalid selector: \'%s\'; can\'t understand \'%s\'' % (s, term))
        reqs.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return reqs


def get_path(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return ""
        cur = cur[part]
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return "" if cur is None else str(cur)


def match_fields(reqs, obj):
    for path, eq, val in reqs:
        if (get_path(obj, path) == val) != eq:
            return False
    return True


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


SMP_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
                  "env": "name", "volumes": "name", "volumeMounts": "mountPath",
                  "imagePullSecrets": "name", "ports": None, "tolerations": None,
                  "ownerReferences": "uid", "conditions": "type", "hostAliases": "ip",
                  "volumeDevices": "devicePath", "envFrom": None, "finalizers": "$primitive"}


def strategic_merge_patch(target, patch, key=None):
    """Approximate strategic merge patch: JSON merge patch, merge keys for well-known lists,
    $patch (replace/delete/merge), $retainKeys, $setElementOrder/, $deleteFromPrimitiveList/."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        p = {k: v for k, v in patch.items() if k != "$patch"}
        return copy.deepcopy(p)
    if patch.get("$patch") == "delete":
        return None
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if k.startswith("$setElementOrder/"):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and isinstance(out.get(k), list) and k in SMP_MERGE_KEYS:
            out[k] = smp_list(out[k], v, k)
        elif isinstance(v, dict):
            r = strategic_merge_patch(out.get(k), v, k)
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
        else:
            out[k] = copy.deepcopy(v)
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if x not in v]
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def smp_list(cur, patch, field):
    mk = SMP_MERGE_KEYS.get(field)
    if mk == "$primitive":
        res = list(cur)
        for x in patch:
            if x not in res:
                res.append(x)
        return res
    if field == "ports":
        mk = "containerPort" if any("containerPort" in (x or {}) for x in patch + cur) else "port"
    if mk is None or not all(isinstance(x, dict) for x in patch + cur):
        return copy.deepcopy(patch)
    res = [copy.deepcopy(x) for x in cur]
    for item in patch:
        kv = item.get(mk)
        idx = next((i for i, x in enumerate(res) if x.get(mk) == kv), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                res.pop(idx)
            continue
        if idx is None:
            res.append({k: v for k, v in item.items() if not k.startswith("$")})
        else:
            res[idx] = strategic_merge_patch(res[idx], item)
    return res


def json_patch(target, ops):
    doc = copy.deepcopy(target)

    def walk(path):
        if not path.startswith("/"):
            raise bad_request("invalid JSON pointer %r" % path)
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        return parent, parts[-1]

    for op in ops:
        try:
            kind = op["op"]
            parent, last = walk(op["path"])
            if kind in ("add", "replace"):
                if isinstance(parent, list):
                    if last == "-":
                        parent.append(op["value"])
                    elif kind == "add":
                        parent.insert(int(last), op["value"])
                    else:
                        parent[int(last)] = op["value"]
                else:
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = op["value"]
            elif kind == "remove":
                if isinstance(parent, list):
                    parent.pop(int(last))
                else:
                    del parent[last]
            elif kind == "test":
                cur = parent[int(last)] if isinstance(parent, list) else parent[last]
                if cur != op["value"]:
                    raise ApiError(422, "Invalid", "the server rejected our request due to an error "
                                   "in our request")
            else:
                raise bad_request("Unexpected kind: %s" % kind)
        except ApiError:
            raise
        except Exception as e:
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our "
                           "request: %s" % e)
    return doc


IDENTITY_META = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
                 "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
                 "generateName"}


def managed_view(obj):
    """The part of an object that field managers own (no identity metadata, no status)."""
    out = {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind", "status"):
            continue
        if k == "metadata":
            m = {mk: mv for mk, mv in (v or {}).items() if mk not in IDENTITY_META}
            if m:
                out["metadata"] = m
        else:
            out[k] = v
    return out


def leaves(obj, prefix=()):
    res = {}
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            res.update(leaves(v, prefix + (k,)))
        else:
            res[prefix + (k,)] = v
    return res


def fields_to_v1(paths):
    root = {}
    for p in sorted(paths):
        cur = root
        for part in p:
            cur = cur.setdefault("f:" + part, {})
    return root


def v1_to_fields(fv1, prefix=()):
    out = set()
    for k, v in (fv1 or {}).items():
        if not k.startswith("f:"):
            continue
        p = prefix + (k[2:],)
        if isinstance(v, dict) and any(x.startswith("f:") for x in v):
            out |= v1_to_fields(v, p)
        else:
            out.add(p)
    return out


def path_str(p):
    return "." + ".".join(p)


def has_path(obj, p):
    cur = obj
    for part in p:
        if not isinstance(cur, dict) or part not in cur:
            return False
        cur = cur[part]
    return True


def value_at(obj, p):
    cur = obj
    for part in p:
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def set_path(obj, p, val):
    cur = obj
    for part in p[:-1]:
        if not isinstance(cur.get(part), dict):
            cur[part] = {}
        cur = cur[part]
    if isinstance(val, dict) and not val and isinstance(cur.get(p[-1]), dict):
        return  # owning an empty map does not wipe other owners' sub-fields
    cur[p[-1]] = copy.deepcopy(val)


def del_path(obj, p):
    chain = [obj]
    cur = obj
    for part in p[:-1]:
        if not isinstance(cur, dict) or part not in cur:
            return
        cur = cur[part]
        chain.append(cur)
    if isinstance(cur, dict):
        cur.pop(p[-1], None)
    # prune emptied maps (but never the top-level object)
    for i in range(len(p) - 1, 0, -1):
        parent = chain[i - 1]
        if isinstance(chain[i], dict) and not chain[i]:
            parent.pop(p[i - 1], None)
        else:
            break


def pb_fields(buf):
    """Minimal protobuf wire decoder: yields (field number, wire type, value)."""
    i, n = 0, len(buf)

    def varint():
        nonlocal i
        shift = res = 0
        while True:
            if i >= n:
                raise ValueError("truncated varint")
            b = buf[i]
            i += 1
            res |= (b & 0x7F) << shift
            if not b & 0x80:
                return res
            shift += 7

    while i < n:
        key = varint()
        fno, wt = key >> 3, key & 7
        if wt == 0:
            yield fno, wt, varint()
        elif wt == 2:
            ln = varint()
            yield fno, wt, buf[i:i + ln]
            i += ln
        elif wt == 1:
            yield fno, wt, buf[i:i + 8]
            i += 8
        elif wt == 5:
            yield fno, wt, buf[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)


def decode_k8s_protobuf_ssar(raw):
    """Decode the protobuf SelfSubjectAccessReview that kubectl `auth can-i` sends
    (k8s\\x00 + runtime.Unknown{typeMeta, raw}).  Only the spec is extracted."""
    if not raw.startswith(b"k8s\x00"):
        raise ValueError("missing k8s protobuf magic")
    inner, tm = None, {}
    for f, _, v in pb_fields(raw[4:]):
        if f == 1:
            for f2, _, v2 in pb_fields(v):
                tm[{1: "apiVersion", 2: "kind"}.get(f2, "x")] = v2.decode()
        elif f == 2:
            inner = v
    if tm.get("kind") != "SelfSubjectAccessReview" or inner is None:
        raise ValueError("unsupported protobuf kind %r" % tm.get("kind"))
    spec = {}
    for f, _, v in pb_fields(inner):
        if f == 2:
            for f2, _, v2 in pb_fields(v):
                if f2 == 1:
                    names = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource",
                             6: "subresource", 7: "name"}
                    spec["resourceAttributes"] = {names[f3]: v3.decode()
                                                  for f3, _, v3 in pb_fields(v2) if f3 in names}
                elif f2 == 2:
                    spec["nonResourceAttributes"] = {{1: "path", 2: "verb"}[f3]: v3.decode()
                                                     for f3, _, v3 in pb_fields(v2) if f3 in (1, 2)}
    return {"apiVersion": tm.get("apiVersion"), "kind": tm["kind"], "spec": spec}


def pb_varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_msg(*fields):
    """Minimal protobuf encoder: fields are (number, value) with value bytes/str (length-
    delimited), bool/int (varint) or a list of such (repeated)."""
    out = b""
    for num, val in fields:
        vals = val if isinstance(val, list) else [val]
        for v in vals:
            if isinstance(v, bool) or isinstance(v, int):
                out += pb_varint(num << 3) + pb_varint(int(v))
            else:
                v = v.encode() if isinstance(v, str) else v
                out += pb_varint((num << 3) | 2) + pb_varint(len(v)) + v
    return out


def openapi_v2_protobuf(paths):
    """Encode a gnostic openapi_v2.Document (field numbers from google/gnostic
    openapiv2/OpenAPIv2.proto) holding only paths -> operations -> query parameters and the
    x-kubernetes-group-version-kind extension: what kubectl < 1.28's field-validation verifier reads
    (kubectl/pkg/util/... query_param_verifier.go supportsQueryParam)."""
    named_paths = []
    for path, item in paths.items():
        ops = []
        for verb, num in (("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("patch", 8)):
            op = item.get(verb)
            if not op:
                continue
            params = [pb_msg((1, pb_msg((2, pb_msg((3, pb_msg((2, "query"), (4, prm["name"]),
                                                                (6, "string"), (20, True))))))))
                      for prm in op.get("parameters", [])]
            gvk = op["x-kubernetes-group-version-kind"]
            ext = pb_msg((1, "x-kubernetes-group-version-kind"), (2, pb_msg(
                (2, "group: %s\nkind: %s\nversion: %s\n" % (json.dumps(gvk["group"]), gvk["kind"],
                                                           gvk["version"])))))
            ops.append((num, pb_msg((5, op["operationId"]), (8, params), (13, ext))))
        named_paths.append(pb_msg((1, path), (2, pb_msg(*ops))))
    return pb_msg((1, "2.0"), (2, pb_msg((1, "Kubernetes (fake)"), (2, "v1.32.4"))),
                  (8, pb_msg((2, named_paths))))


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------


class State:
    def __init__(self, args):
        self.lock = threading.Condition(threading.RLock())
        self.args = args
        self.rv = 0
        self.objects = {}  # (resource, ns, name) -> stored object (with kind/apiVersion)
        self.events = []   # dicts: rv, type, res, ns, name, obj
        self.compacted_rv = 0
        self.faults = {}
        self.forbid = []
        self.requests = []
        self.req_seq = 0
        self.snapshots = {}
        self.snap_seq = 0
        self.create_count = 0
        self.tokens = {}  # token -> (user, groups)
        self.revoked = set()
        self.resources = list(RESOURCES) + (OPENSHIFT_RESOURCES if args.openshift else [])
        self.by_path = {(r.group, r.version, r.resource): r for r in self.resources}
        self.by_kind = {(r.api_version, r.kind): r for r in self.resources}
        self.uid_seq = 0
        self.item_bytes = {}  # (kind, ns, name, resourceVersion) -> list item JSON

    def encoded_item(self, o):
        """o as a list item (no kind/apiVersion), JSON, encoded once per resourceVersion."""
        md = o.get("metadata", {})
        key = (o.get("kind"), md.get("namespace"), md.get("name"), md.get("resourceVersion"))
        b = self.item_bytes.get(key)
        if b is None:
            if len(self.item_bytes) > 4 * max(10000, len(self.objects)):
                self.item_bytes.clear()  # older versions of changed objects
            b = json.dumps({k: v for k, v in o.items() if k not in ("kind", "apiVersion")},
                           separators=(",", ":")).encode()
            self.item_bytes[key] = b
        return b

    # -- time/uid
    def now(self):
        if self.args.fixed_time:
            return self.args.fixed_time
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def new_uid(self, res, ns, name):
        self.uid_seq += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "fake-apiserver/%s/%s/%s/%d"
                              % (res.resource, ns, name, self.uid_seq)))

    def next_rv(self):
        self.rv += 1
        return self.rv

    # -- events
    def emit(self, etype, res, obj):
        ev = {"rv": int(obj["metadata"]["resourceVersion"]), "type": etype, "res": res,
              "ns": obj["metadata"].get("namespace", ""), "name": obj["metadata"]["name"],
              "obj": copy.deepcopy(obj)}
        with self.lock:
            self.events.append(ev)
            self.lock.notify_all()

    # -- storage primitives (lock held)
    def key(self, res, ns, name):
        return (res.resource, ns if res.namespaced else "", name)

    def store(self, res, obj, etype):
        obj["metadata"]["resourceVersion"] = str(self.next_rv())
        self.objects[self.key(res, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])] = obj
        self.emit(etype, res, obj)
        return obj

    def remove(self, res, obj):
        k = self.key(res, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self.objects.pop(k, None)
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self.next_rv())
        self.emit("DELETED", res, gone)
        if res.resource == "namespaces":
            name = obj["metadata"]["name"]
            for k2 in sorted(k3 for k3 in self.objects if k3[1] == name and k3[0] != "namespaces"):
                o = self.objects[k2]
                r = self.by_kind[(o["apiVersion"], o["kind"])]
                self.remove(r, o)
        return gone

    def list_objects(self, res, ns):
        # filtered, then sorted by key: only this kind's objects are sorted
        mine = [(k, o) for k, o in self.objects.items()
                if k[0] == res.resource and (not ns or k[1] == ns)]
        mine.sort(key=lambda kv: kv[0])
        return [o for _, o in mine]

    def namespace_exists(self, ns):
        return ("namespaces", "", ns) in self.objects

    def prepare_new(self, res, obj, ns, user_agent_mgr, field_manager, operation="Update"):
        md = obj.setdefault("metadata", {})
        if res.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if not md.get("name") and md.get("generateName"):
            h = hashlib.sha256(("%s/%s/%d" % (ns, md["generateName"], self.rv)).encode()).hexdigest()
            alnum = "bcdfghjklmnpqrstvwxz2456789"
            md["name"] = md["generateName"] + "".join(alnum[int(h[i:i + 2], 16) % len(alnum)]
                                                       for i in range(0, 10, 2))
        md["uid"] = self.new_uid(res, ns, md.get("name", ""))
        md["creationTimestamp"] = self.now()
        if "spec" in obj:
            md["generation"] = 1
        md.pop("resourceVersion", None)
        md.pop("deletionTimestamp", None)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        if res.resource == "namespaces":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md.get("name", "")
            md.pop("generation", None)
        mgr = field_manager or user_agent_mgr
        if operation == "Update" and mgr:
            fields = set(leaves(managed_view(obj)).keys())
            md["managedFields"] = [self.mf_entry(mgr, "Update", res, fields)] if fields else []
        return obj

    def mf_entry(self, mgr, op, res, fields):
        return {"manager": mgr, "operation": op, "apiVersion": res.api_version, "time": self.now(),
                "fieldsType": "FieldsV1", "fieldsV1": fields_to_v1(fields)}

    def update_managed(self, res, old, new, mgr):
        """Non-apply update: transfer ownership of changed leaves to mgr (operation Update)."""
        entries = copy.deepcopy(old["metadata"].get("managedFields") or [])
        ol, nl = leaves(managed_view(old)), leaves(managed_view(new))
        changed = {p for p, v in nl.items() if p not in ol or ol[p] != v}
        removed = set(ol) - set(nl)
        out, mine = [], None
        for e in entries:
            f = v1_to_fields(e.get("fieldsV1"))
            if e.get("manager") == mgr and e.get("operation") == "Update":
                mine = f
                continue
            f -= changed | removed
            if f:
                e["fieldsV1"] = fields_to_v1(f)
                out.append(e)
        mine = ((mine or set()) - removed) | changed
        if mgr and mine:
            out.append(self.mf_entry(mgr, "Update", res, mine))
        new["metadata"]["managedFields"] = out

    # -- faults
    def take_fault(self, name):
        """Consume a count-style fault (true == 1). Returns True if it fires."""
        v = self.faults.get(name)
        if not v:
            return False
        if v is True or v == 1:
            self.faults.pop(name, None)
        else:
            self.faults[name] = v - 1
        return True


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def validate_object(res, obj, for_update=False):
    causes = []
    md = obj.get("metadata") or {}
    name = md.get("name", "")
    if not name:
        causes.append(("FieldValueRequired", "metadata.name",
                       "Required value: name or generateName is required"))
    else:
        rule = {"label": (DNS1123_LABEL, MSG_LABEL, 63), "label1035": (DNS1035_LABEL, MSG_1035, 63),
                "subdomain": (DNS1123_SUBDOMAIN, MSG_SUBDOMAIN, 253)}[res.name_rule]
        if not rule[0].match(name) or len(name) > rule[2]:
            causes.append(("FieldValueInvalid", "metadata.name",
                           'Invalid value: "%s": %s' % (name, rule[1])))
    for kind in ("labels", "annotations"):
        vals = md.get(kind)
        if vals is None:
            continue
        if not isinstance(vals, dict):
            causes.append(("FieldValueInvalid", "metadata." + kind, "Invalid value: must be a map"))
            continue
        for k, v in vals.items():
            nm = k.split("/", 1)[-1]
            prefix = k.split("/", 1)[0] if "/" in k else None
            if not QUALIFIED_NAME.match(nm) or len(nm) > 63 or (prefix is not None and
                                                                  not DNS1123_SUBDOMAIN.match(prefix)):
                causes.append(("FieldValueInvalid", "metadata.%s" % kind,
                               'Invalid value: "%s": %s' % (k, MSG_QNAME)))
            if kind == "labels":
                if not isinstance(v, str):
                    causes.append(("FieldValueInvalid", "metadata.labels",
                                   "Invalid value: %s: must be a string" % json.dumps(v)))
                elif not LABEL_VALUE.match(v) or len(v) > 63:
                    causes.append(("FieldValueInvalid", "metadata.labels",
                                   'Invalid value: "%s": %s' % (v, MSG_LABEL_VALUE)))
    if res.resource == "networkpolicies":
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = {}
        for i, pt in enumerate(spec.get("policyTypes") or []):
            if pt not in ("Ingress", "Egress"):
                causes.append(("FieldValueNotSupported", "spec.policyTypes[%d]" % i,
                               'Unsupported value: "%s": supported values: "Ingress", "Egress"'
                               % pt))
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for i, rule in enumerate(spec.get(direction) or []):
                for j, port in enumerate((rule or {}).get("ports") or []):
                    proto = (port or {}).get("protocol")
                    if proto is not None and proto not in ("TCP", "UDP", "SCTP"):
                        causes.append(("FieldValueNotSupported",
                                       "spec.%s[%d].ports[%d].protocol" % (direction, i, j),
                                       'Unsupported value: "%s": supported values: "SCTP", "TCP", '
                                       '"UDP"' % proto))
    if res.resource in ("deployments", "statefulsets", "daemonsets", "replicasets"):
        spec = obj.get("spec") or {}
        if "selector" not in spec:
            causes.append(("FieldValueRequired", "spec.selector", "Required value"))
    if causes:
        raise invalid(res, name, causes)


# ---------------------------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"
    sys_version = ""

    # -- plumbing -------------------------------------------------------------------------
    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write("fake-apiserver: " + (fmt % a) + "\n")

    def send_error(self, code, message=None, explain=None):
        # malformed request lines etc.: answer with a Status, never HTML
        try:
            reason = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed",
                      408: "Timeout", 413: "RequestEntityTooLarge", 414: "RequestURITooLong",
                      431: "BadRequest", 501: "MethodNotAllowed", 505: "BadRequest"}.get(code,
                                                                                      "BadRequest")
            body = json.dumps(ApiError(code, reason, message or "bad request").status(),
                              separators=(",", ":")) + "\n"
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body.encode())
        except Exception:
            self.close_connection = True

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send_json(self, code, obj, headers=None, ctype="application/json"):
        self.send_body(code, (json.dumps(obj, separators=(",", ":")) + "\n").encode(), headers,
                       ctype)

    def send_body(self, code, body, headers=None, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid5(uuid.NAMESPACE_URL, "audit/%s" % (
            self.entry["seq"] if self.entry else 0))))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.set_code(code)

    def send_text(self, code, text, ctype="text/plain; charset=utf-8", headers=None):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.set_code(code)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(data) > 64 << 20:
                    raise ApiError(413, "RequestEntityTooLarge", "request entity too large")
            return data
        n = self.headers.get("Content-Length")
        if not n:
            return b""
        try:
            n = int(n)
        except ValueError:
            raise bad_request("invalid Content-Length")
        if n < 0 or n > 64 << 20:
            raise ApiError(413, "RequestEntityTooLarge", "request entity too large")
        return self.rfile.read(n)

    # -- dispatch -------------------------------------------------------------------------
    def dispatch(self):
        st = self.server.state
        self.resp_code = 0
        self.user, self.auth_kind, self.groups = None, None, []
        self.entry = None
        try:
            parsed = urllib.parse.urlsplit(self.path)
            self.rpath = parsed.path
            self.rquery = parsed.query
            try:
                self.params = {k: v[-1] for k, v in
                               urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
            except Exception:
                self.params = {}
                raise bad_request("malformed query")
            if self.rpath.startswith("/__fake/"):
                return self.control()
            self.log_request_entry()
            self.authenticate()
            self.entry["user"], self.entry["auth"] = self.user, self.auth_kind
            self.check_canned()
            lat = st.faults.get("latencyMs")
            if lat:
                time.sleep(float(lat) / 1000.0)
            self.route()
        except ApiError as e:
            self.send_json(e.code, e.status(), e.headers)
        except TextResponse as t:
            self.send_text(t.code, t.body, t.ctype, t.headers)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # never crash: 500 Status
            if st.args.verbose:
                traceback.print_exc()
            try:
                self.send_json(500, ApiError(500, "InternalError",
                                             "Internal error occurred: %s" % e).status())
            except Exception:
                self.close_connection = True

    def set_code(self, code):
        self.resp_code = code
        if self.entry is not None:
            with self.server.state.lock:
                self.entry["code"] = code

    def log_request_entry(self):
        """Logged when the request arrives (watches are visible while streaming); the code is
        filled in when the response status is sent."""
        st = self.server.state
        with st.lock:
            st.req_seq += 1
            self.entry = {
                "seq": st.req_seq, "method": self.command, "path": self.rpath, "query": self.rquery,
                "params": self.params, "contentType": self.headers.get("Content-Type", ""),
                "accept": self.headers.get("Accept", ""), "user": None, "auth": None,
                "userAgent": self.headers.get("User-Agent", ""), "code": 0}
            st.requests.append(self.entry)

    def authenticate(self):
        st = self.server.state
        authz = self.headers.get("Authorization", "")
        if authz.lower().startswith("bearer "):
            tok = authz[7:].strip()
            with st.lock:
                ent = st.tokens.get(tok) if tok not in st.revoked else None
            if not ent:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self.user, self.groups, self.auth_kind = ent[0], ent[1], "token"
            return
        try:
            cert = self.connection.getpeercert()
        except Exception:
            cert = None
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            if cn:
                self.user, self.groups, self.auth_kind = cn, orgs, "cert"
                return
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def check_canned(self):
        st = self.server.state
        with st.lock:
            f = st.faults.get("status429")
            if f and self.matches(f):
                f["count"] = f.get("count", 1) - 1
                if f["count"] <= 0:
                    st.faults.pop("status429", None)
                ra = int(f.get("retryAfter", 1))
                raise ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                               {"retryAfterSeconds": ra},
                               {"Retry-After": str(ra),
                                "X-Kubernetes-PF-FlowSchema-UID": "fake-flowschema-uid",
                                "X-Kubernetes-PF-PriorityLevel-UID": "fake-prioritylevel-uid"})
            canned = st.faults.get("respond") or []
            for c in canned:
                if c.get("count", 1) > 0 and self.matches(c):
                    c["count"] = c.get("count", 1) - 1
                    st.faults["respond"] = [x for x in canned if x.get("count", 1) > 0]
                    hdrs = {}
                    if c.get("retryAfter") is not None:
                        hdrs["Retry-After"] = str(c["retryAfter"])
                    code = int(c.get("code", 500))
                    if "body" in c:
                        raise TextResponse(code, c["body"], c.get("contentType",
                                                                  "text/plain; charset=utf-8"), hdrs)
                    reason = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
                              404: "NotFound", 409: "Conflict", 410: "Expired", 422: "Invalid",
                              429: "TooManyRequests", 500: "InternalError",
                              503: "ServiceUnavailable", 504: "Timeout"}.get(code, "InternalError")
                    e = ApiError(code, reason, "injected fault", None, hdrs)
                    body = e.status()
                    body.update(c.get("status") or {})
                    raise _StatusOverride(code, body, hdrs)

    def matches(self, f):
        if f.get("path_prefix") and not self.rpath.startswith(f["path_prefix"]):
            return False
        if "dryRun" in f and bool(f["dryRun"]) != ("dryRun" in self.params):
            return False
        if f.get("method") and f["method"].upper() != self.command:
            return False
        return True

    # -- control endpoint -----------------------------------------------------------------
    def control(self):
        st = self.server.state
        p = self.rpath
        if p == "/__fake/requests":
            with st.lock:
                if self.command == "DELETE":
                    st.requests = []
                    return self.send_json(200, {"requests": []})
                return self.send_json(200, {"requests": list(st.requests)})
        if p == "/__fake/faults":
            with st.lock:
                if self.command == "DELETE":
                    st.faults, st.forbid = {}, []
                elif self.command == "POST":
                    body = self.json_body()
                    if not isinstance(body, dict):
                        raise bad_request("faults body must be a JSON object")
                    self.apply_faults(body)
                return self.send_json(200, dict(st.faults, forbid=st.forbid))
        if p == "/__fake/objects":
            if self.command == "GET":
                with st.lock:
                    return self.send_json(200, {"resourceVersion": str(st.rv), "items": [
                        copy.deepcopy(o) for _, o in sorted(st.objects.items())]})
            if self.command == "POST":
                body = self.json_body()
                ops = body.get("ops") if isinstance(body, dict) and "ops" in body else [body]
                results = []
                with st.lock:
                    for op in ops:
                        results.append(self.control_op(op))
                    return self.send_json(200, {"results": results, "resourceVersion": str(st.rv)})
        if p == "/__fake/events" and self.command == "GET":
            with st.lock:
                return self.send_json(200, {"compactedRV": str(st.compacted_rv), "events": [
                    {"rv": str(e["rv"]), "type": e["type"], "resource": e["res"].resource,
                     "namespace": e["ns"], "name": e["name"]} for e in st.events]})
        raise TextResponse(404, "404 page not found\n")

    def apply_faults(self, body):
        st = self.server.state
        args = st.args
        for k, v in body.items():
            if k == "forbid":
                st.forbid = list(v or [])
            elif k == "compact":
                if v:
                    st.compacted_rv = st.rv
            elif k == "revokeToken":
                st.revoked.add(v)
            elif k == "addToken":
                st.tokens[v["token"]] = (v.get("user", "admin"), v.get("groups", []))
                st.revoked.discard(v["token"])
            elif k == "rotateTokenFile":
                old = open(os.path.join(args.dir, "token")).read().strip()
                st.revoked.add(old)
                st.tokens[v] = ("tokenfile-user", ["system:authenticated"])
                st.revoked.discard(v)
                tmp = os.path.join(args.dir, "token.tmp")
                with open(tmp, "w") as fh:
                    fh.write(v + "\n")
                os.replace(tmp, os.path.join(args.dir, "token"))
            elif k == "rotateExecToken":
                path = os.path.join(args.dir, "exec-token")
                old = open(path).read().strip() if os.path.exists(path) else "exec-token-1"
                st.revoked.add(old)
                st.tokens[v] = ("exec-user", ["system:authenticated"])
                st.revoked.discard(v)
                with open(path, "w") as fh:
                    fh.write(v + "\n")
            elif v is None:
                st.faults.pop(k, None)
            else:
                st.faults[k] = copy.deepcopy(v)

    def control_op(self, op):
        st = self.server.state
        kind = op.get("op")
        if kind == "put":
            obj = copy.deepcopy(op["object"])
            res = st.by_kind.get((obj.get("apiVersion"), obj.get("kind")))
            if not res:
                raise bad_request("unknown kind %s %s" % (obj.get("apiVersion"), obj.get("kind")))
            md = obj.setdefault("metadata", {})
            ns = md.get("namespace", "default") if res.namespaced else ""
            cur = st.objects.get(st.key(res, ns, md.get("name")))
            if cur is None:
                st.prepare_new(res, obj, ns, None, None, operation=None)
                md.pop("managedFields", None)
                return copy.deepcopy(st.store(res, obj, "ADDED"))
            for f in ("uid", "creationTimestamp", "generation", "managedFields"):
                if f in cur["metadata"]:
                    md[f] = cur["metadata"][f]
            md["namespace"] = ns if res.namespaced else None
            if not res.namespaced:
                md.pop("namespace", None)
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            return copy.deepcopy(st.store(res, obj, "MODIFIED"))
        res = st.by_kind.get((op.get("apiVersion"), op.get("kind")))
        if not res:
            raise bad_request("unknown kind %s %s" % (op.get("apiVersion"), op.get("kind")))
        ns = op.get("namespace", "default") if res.namespaced else ""
        cur = st.objects.get(st.key(res, ns, op.get("name")))
        if cur is None:
            raise not_found(res, op.get("name"))
        if kind == "patch":
            new = merge_patch(cur, op.get("patch") or {})
            new["metadata"]["name"], new["metadata"]["uid"] = cur["metadata"]["name"], \
                cur["metadata"]["uid"]
            return copy.deepcopy(st.store(res, new, "MODIFIED"))
        if kind == "delete":
            return copy.deepcopy(st.remove(res, cur))
        raise bad_request("unknown op %r" % kind)

    def json_body(self):
        raw = self.read_body()
        try:
            return json.loads(raw.decode("utf-8") or "null")
        except Exception as e:
            raise bad_request("invalid JSON body: %s" % e)

    # -- API routing ----------------------------------------------------------------------
    def route(self):
        st = self.server.state
        p = self.rpath.rstrip("/") or "/"
        m = self.command
        if m not in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                           "requested resource")
        if p in ("/healthz", "/livez", "/readyz"):
            raise TextResponse(200, "ok")
        if p == "/version":
            return self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.4-fake",
                                        "gitCommit": "0" * 40, "gitTreeState": "clean",
                                        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                                        "compiler": "gc", "platform": "linux/amd64"})
        if p == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [
                                            {"clientCIDR": "0.0.0.0/0",
                                             "serverAddress": "127.0.0.1:%d" % st.port}]})
        if p == "/apis":
            return self.send_json(200, self.group_list())
        if p == "/openapi/v2":
            paths = {}
            for key in self.openapi_root()["paths"]:
                paths.update(self.openapi_gv(key)["paths"])
            if "protobuf" in self.headers.get("Accept", ""):
                body = openapi_v2_protobuf(paths)
                self.send_response(200)
                self.send_header("Content-Type",
                                 "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return self.set_code(200)
            return self.send_json(200, {"swagger": "2.0", "info": {"title": "Kubernetes (fake)",
                                                                   "version": "v1.32.4"},
                                        "paths": paths, "definitions": {}})
        if p == "/openapi/v3":
            return self.send_json(200, self.openapi_root())
        if p.startswith("/openapi/v3/"):
            return self.send_json(200, self.openapi_gv(p[len("/openapi/v3/"):]))
        parts = p.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        elif parts[0] == "apis" and len(parts) == 2:
            versions = [r for r in st.resources if r.group == parts[1]]
            if not versions:
                raise TextResponse(404, "404 page not found\n")
            return self.send_json(200, self.group_entry(parts[1]))
        else:
            raise TextResponse(404, "404 page not found\n")
        if not any(r.group == group and r.version == version for r in st.resources):
            raise TextResponse(404, "404 page not found\n")
        if not rest:
            return self.send_json(200, self.resource_list(group, version))
        # resolve namespace / resource / name / subresource
        ns, name, sub = "", None, None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, resource = rest[1], rest[2]
            name = rest[3] if len(rest) >= 4 else None
            sub = rest[4] if len(rest) >= 5 else None
            if len(rest) > 5:
                raise TextResponse(404, "404 page not found\n")
        else:
            resource = rest[0]
            name = rest[1] if len(rest) >= 2 else None
            sub = rest[2] if len(rest) >= 3 else None
            if len(rest) > 3:
                raise TextResponse(404, "404 page not found\n")
        res = st.by_path.get((group, version, resource))
        if res is None:
            raise TextResponse(404, "404 page not found\n")
        if ns and not res.namespaced:
            raise TextResponse(404, "404 page not found\n")
        if sub not in (None, "status"):
            raise TextResponse(404, "404 page not found\n")
        if res.resource == "selfsubjectaccessreviews":
            if m != "POST" or name:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                               "the requested resource")
            return self.ssar(res)
        watch = self.params.get("watch") in ("1", "true", "True")
        if name is None:
            if m in ("GET", "HEAD"):
                verb = "watch" if watch else "list"
                self.authorize(verb, res, ns, "")
                return self.watch(res, ns) if watch else self.list(res, ns)
            if m == "POST":
                if res.namespaced and not ns:
                    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                                   "on the requested resource")
                self.authorize("create", res, ns, "")
                return self.create(res, ns)
            if m == "DELETE":
                if res.namespaced and not ns:
                    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                                   "on the requested resource")
                self.authorize("deletecollection", res, ns, "")
                return self.delete_collection(res, ns)
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                           "requested resource")
        if res.namespaced and not ns:
            raise TextResponse(404, "404 page not found\n")
        if m in ("GET", "HEAD"):
            if watch:
                raise bad_request("watch on a single object path is not supported; use "
                                  "fieldSelector=metadata.name=%s" % name)
            self.authorize("get", res, ns, name, sub)
            return self.get(res, ns, name)
        if m == "PUT":
            self.authorize("update", res, ns, name, sub)
            return self.replace(res, ns, name, sub)
        if m == "PATCH":
            self.authorize("patch", res, ns, name, sub)
            return self.patch(res, ns, name, sub)
        if m == "DELETE":
            if sub:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                               "the requested resource")
            self.authorize("delete", res, ns, name)
            return self.delete(res, ns, name)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                       "requested resource")

    # -- discovery ------------------------------------------------------------------------
    def group_entry(self, group):
        st = self.server.state
        vers = sorted({r.version for r in st.resources if r.group == group})
        gv = [{"groupVersion": group + "/" + v, "version": v} for v in vers]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gv,
                "preferredVersion": gv[0]}

    def group_list(self):
        st = self.server.state
        groups = []
        for g in sorted({r.group for r in st.resources if r.group}):
            e = self.group_entry(g)
            e.pop("kind")
            e.pop("apiVersion")
            groups.append(e)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group, version):
        st = self.server.state
        out = []
        for r in st.resources:
            if r.group != group or r.version != version:
                continue
            e = {"name": r.resource, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": r.verbs,
                 "storageVersionHash": b64(hashlib.sha256(r.qualified.encode()).digest()[:8])}
            if r.short:
                e["shortNames"] = r.short
            if r.categories:
                e["categories"] = r.categories
            out.append(e)
            if "update" in r.verbs:
                out.append({"name": r.resource + "/status", "singularName": "", "namespaced":
                            r.namespaced, "kind": r.kind, "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": group + "/" + version if group else version, "resources": out}

    def openapi_root(self):
        st = self.server.state
        paths = {}
        for gv in sorted({(r.group, r.version) for r in st.resources}):
            key = ("apis/%s/%s" % gv) if gv[0] else "api/" + gv[1]
            h = hashlib.sha256(key.encode()).hexdigest()[:16].upper()
            paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, h)}
        return {"paths": paths}

    def openapi_gv(self, key):
        st = self.server.state
        parts = key.split("/")
        if parts[0] == "api" and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[0] == "apis" and len(parts) == 3:
            group, version = parts[1], parts[2]
        else:
            raise TextResponse(404, "404 page not found\n")
        rs = [r for r in st.resources if r.group == group and r.version == version]
        if not rs:
            raise TextResponse(404, "404 page not found\n")
        prefix = "/apis/%s/%s" % (group, version) if group else "/api/" + version

        def param(n):
            return {"name": n, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}

        paths = {}
        for r in rs:
            gvk = {"group": r.group, "version": r.version, "kind": r.kind}
            wr = [param(x) for x in ("dryRun", "fieldManager", "fieldValidation", "pretty")]
            coll = prefix + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.resource
            paths[coll] = {"post": {"operationId": "create" + r.kind, "parameters": wr,
                                    "x-kubernetes-action": "post",
                                    "x-kubernetes-group-version-kind": gvk,
                                    "responses": {"201": {"description": "Created"}}}}
            if "get" in r.verbs:
                paths[coll]["get"] = {"operationId": "list" + r.kind, "x-kubernetes-action": "list",
                                      "x-kubernetes-group-version-kind": gvk,
                                      "responses": {"200": {"description": "OK"}}}
                paths[coll + "/{name}"] = {
                    "get": {"operationId": "read" + r.kind, "x-kubernetes-action": "get",
                            "x-kubernetes-group-version-kind": gvk,
                            "responses": {"200": {"description": "OK"}}},
                    "put": {"operationId": "replace" + r.kind, "parameters": wr,
                            "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk,
                            "responses": {"200": {"description": "OK"}}},
                    "patch": {"operationId": "patch" + r.kind, "parameters": wr + [param("force")],
                              "x-kubernetes-action": "patch",
                              "x-kubernetes-group-version-kind": gvk,
                              "responses": {"200": {"description": "OK"}}},
                    "delete": {"operationId": "delete" + r.kind,
                               "parameters": [param("dryRun")], "x-kubernetes-action": "delete",
                               "x-kubernetes-group-version-kind": gvk,
                               "responses": {"200": {"description": "OK"}}}}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes (fake)", "version": "v1.32.4"},
                "paths": paths, "components": {"schemas": {}}}

    # -- RBAC -----------------------------------------------------------------------------
    def forbidden_by(self, verb, res, ns, user):
        st = self.server.state
        with st.lock:
            rules = list(st.forbid)
        for rule in rules:
            ok = True
            for field, val in (("user", user), ("verb", verb), ("resource", res.resource),
                               ("namespace", ns), ("group", res.group)):
                want = rule.get(field, "*")
                if want not in ("*", None) and want != val:
                    ok = False
            if ok:
                return True
        return False

    def authorize(self, verb, res, ns, name, sub=None):
        if "system:masters" in (self.groups or []) and self.user != "admin":
            pass
        if not self.forbidden_by(verb, res, ns, self.user):
            return
        rname = res.resource + ("/" + sub if sub else "")
        if ns:
            why = 'User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' % (
                self.user, verb, rname, res.group, ns)
        else:
            why = 'User "%s" cannot %s resource "%s" in API group "%s" at the cluster scope' % (
                self.user, verb, rname, res.group)
        if name:
            msg = '%s "%s" is forbidden: %s' % (res.qualified, name, why)
        else:
            msg = "%s is forbidden: %s" % (res.qualified, why)
        raise ApiError(403, "Forbidden", msg, {"name": name, "group": res.group, "kind": res.resource}
                       if name else {"group": res.group, "kind": res.resource})

    def ssar(self, res):
        if self.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf"):
            try:
                body = decode_k8s_protobuf_ssar(self.read_body())
            except Exception as e:
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an "
                               "unknown format - accepted media types include: application/json, "
                               "application/yaml (%s)" % e)
        else:
            body = self.json_body()
        if not isinstance(body, dict):
            raise bad_request("invalid body")
        ra = (body.get("spec") or {}).get("resourceAttributes") or {}
        st = self.server.state
        target = None
        for r in st.resources:
            if r.resource == ra.get("resource") and r.group == ra.get("group", ""):
                target = r
        allowed = True
        if target is not None:
            allowed = not self.forbidden_by(ra.get("verb", ""), target, ra.get("namespace", ""),
                                            self.user)
        out = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {"creationTimestamp": None}, "spec": body.get("spec") or {},
               "status": {"allowed": allowed}}
        if not allowed:
            out["status"]["denied"] = False
        return self.send_json(201, out)

    # -- reads ----------------------------------------------------------------------------
    def out_obj(self, o):
        return copy.deepcopy(o)

    def get(self, res, ns, name):
        st = self.server.state
        with st.lock:
            o = st.objects.get(st.key(res, ns, name))
            if o is None:
                raise not_found(res, name)
            tv = wants_table(self.headers.get("Accept"))
            if tv:
                return self.send_json(200, to_table(res, [o], {"resourceVersion": o["metadata"][
                    "resourceVersion"]}, self.params.get("includeObject", "Metadata"), tv),
                    ctype="application/json;as=Table;v=%s;g=meta.k8s.io" % tv)
            return self.send_json(200, self.out_obj(o))

    def selectors(self):
        return (parse_label_selector(self.params.get("labelSelector", "")),
                parse_field_selector(self.params.get("fieldSelector", "")))

    def list(self, res, ns):
        st = self.server.state
        P = self.params
        ls, fs = self.selectors()
        rv, rvm, cont = P.get("resourceVersion", ""), P.get("resourceVersionMatch", ""), \
            P.get("continue", "")
        if P.get("sendInitialEvents"):
            raise invalid_list_opts("sendInitialEvents", P.get("sendInitialEvents"),
                                    "sendInitialEvents is forbidden for list")
        if rvm:
            if rvm not in ("Exact", "NotOlderThan"):
                raise invalid_list_opts("resourceVersionMatch", rvm,
                                        'supported values: "Exact", "NotOlderThan"',
                                        "FieldValueNotSupported", "Unsupported value")
            if not rv:
                raise invalid_list_opts("resourceVersionMatch", None,
                                        "resourceVersionMatch is forbidden unless resourceVersion "
                                        "is provided", "FieldValueForbidden", "Forbidden")
            if rvm == "Exact" and rv == "0":
                raise invalid_list_opts("resourceVersionMatch", None,
                                        "resourceVersionMatch \"exact\" is forbidden for "
                                        "resourceVersion \"0\"", "FieldValueForbidden",
                                        "Forbidden")
            if cont:
                raise invalid_list_opts("resourceVersionMatch", None,
                                        "resourceVersionMatch is forbidden when continue is "
                                        "provided", "FieldValueForbidden", "Forbidden")
        if cont and rv not in ("", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        if rv and rv != "0":
            try:
                irv = int(rv)
            except ValueError:
                raise bad_request('invalid resource version "%s"' % rv)
        else:
            irv = None
        try:
            limit = int(P.get("limit", "0") or 0)
        except ValueError:
            raise bad_request('invalid limit "%s"' % P.get("limit"))
        with st.lock:
            exact_items = None
            if irv is not None:
                t_end = time.monotonic() + 3.0
                while irv > st.rv and time.monotonic() < t_end:
                    st.lock.wait(0.2)
                if irv > st.rv:
                    raise ApiError(504, "Timeout", "Too large resource version: %d, current: %d"
                                   % (irv, st.rv), {"causes": [
                                       {"reason": "ResourceVersionTooLarge",
                                        "message": "Too large resource version"}],
                                       "retryAfterSeconds": 1})
                # Exact (explicit, or legacy: limit set without resourceVersionMatch)
                exact = rvm == "Exact" or (not rvm and limit > 0)
                if exact and irv != st.rv:
                    if irv < st.compacted_rv:
                        raise ApiError(410, "Expired", "The resourceVersion for the provided list "
                                       "is too old.")
                    exact_items = self.state_at(res, ns, irv)
            if st.faults.get("ignoreLimit") or (rv == "0" and not cont):
                # resourceVersion=0 is served from the watch cache, which ignores limit (the
                # apiserver's cacher delegates a paginated list to etcd only for RV != "0")
                limit = 0
            lkind = res.kind + "List"
            meta = {}
            if cont:
                try:
                    tok = json.loads(base64.urlsafe_b64decode(cont.encode() + b"==").decode())
                    snap = st.snapshots[tok["s"]]
                    off = int(tok["o"])
                    assert tok["q"] == self.query_key(res, ns)
                except Exception:
                    raise bad_request("continue key is not valid: incorrect encoded start "
                                      "resourceVersion (version meta.k8s.io/v1)")
                if st.take_fault("expireContinue"):
                    # new token: from the key after the last one served, at the latest state
                    last_key = snap["keys"][off - 1] if off > 0 else None
                    items = [o for o in st.list_objects(res, ns) if self.sel_ok(o, ls, fs)]
                    sid = self.new_snapshot(res, ns, items)
                    new_off = len([o for o in items if last_key is not None and
                                   self.obj_key(o) <= last_key])
                    newtok = self.make_token(sid, new_off, res, ns)
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to "
                                   "display a consistent list result. You can start a new list "
                                   "without the continue parameter, or use the continue token in "
                                   "this response to retrieve the remainder of the results. "
                                   "Continuing with the provided token results in an inconsistent "
                                   "list - objects that were created, modified, or deleted between "
                                   "the time the first chunk was returned and now may show up in "
                                   "the list.", metadata={"continue": newtok})
                list_rv = snap["rv"]
            else:
                if exact_items is not None:
                    items = [o for o in exact_items if self.sel_ok(o, ls, fs)]
                    list_rv = irv
                else:
                    items = [o for o in st.list_objects(res, ns) if self.sel_ok(o, ls, fs)]
                    list_rv = st.rv
                if limit > 0:
                    sid = self.new_snapshot(res, ns, items, list_rv)
                    snap = st.snapshots[sid]
                    off = 0
                    tok = {"s": sid}
                    if st.take_fault("emptyPageFirst"):
                        meta["continue"] = self.make_token(sid, 0, res, ns)
                        meta["remainingItemCount"] = len(items)
                        return self.send_json(200, {"kind": lkind, "apiVersion": res.api_version,
                                                    "metadata": dict(meta, resourceVersion=
                                                                     str(list_rv)), "items": []})
                else:
                    snap = None
            if snap is not None:
                allitems = snap["items"]
                page = allitems[off:off + limit] if limit > 0 else allitems[off:]
                nxt = off + len(page)
                if nxt < len(allitems):
                    meta["continue"] = self.make_token(tok["s"], nxt, res, ns)
                    meta["remainingItemCount"] = len(allitems) - nxt
                else:
                    st.snapshots.pop(tok["s"], None)
                items = page
            tv = wants_table(self.headers.get("Accept"))
            if tv:
                m = {"resourceVersion": str(list_rv)}
                m.update({k: v for k, v in meta.items() if k != "resourceVersion"})
                return self.send_json(200, to_table(res, items, m, self.params.get(
                    "includeObject", "Metadata"), tv),
                    ctype="application/json;as=Table;v=%s;g=meta.k8s.io" % tv)
            meta["resourceVersion"] = str(list_rv)
            head = {"kind": lkind, "apiVersion": res.api_version,
                    "metadata": {"resourceVersion": meta["resourceVersion"], **{
                        k: v for k, v in meta.items() if k != "resourceVersion"}}}
            # Items without kind/apiVersion, each encoded once per resourceVersion (the real
            # apiserver's watch cache also keeps each object's serialization).
            body = (json.dumps(head, separators=(",", ":"))[:-1] + ',"items":[').encode() + \
                b",".join(st.encoded_item(o) for o in items) + b"]}\n"
        return self.send_body(200, body)

    def state_at(self, res, ns, irv):
        """Objects of res (in ns) as they were at resourceVersion irv, replayed from the event log
        (the log is never truncated; `compact` only moves the 410 threshold)."""
        st = self.server.state
        objs = {}
        for e in st.events:
            if e["rv"] > irv:
                break
            if e["res"].resource != res.resource or (ns and e["ns"] != ns):
                continue
            k = (e["ns"], e["name"])
            if e["type"] == "DELETED":
                objs.pop(k, None)
            elif e["type"] in ("ADDED", "MODIFIED"):
                objs[k] = e["obj"]
        return [objs[k] for k in sorted(objs)]

    def take_watch_fault(self, st, name):
        """A one-shot watch fault: N, or {"count": N, "path_prefix": P} for the next watch whose
        path starts with P only (the other watches leave it set), or a list of such objects.
        Called with st.lock held."""
        value = st.faults.get(name)
        if isinstance(value, dict):
            value = [value]
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, dict) and self.rpath.startswith(v.get("path_prefix", "")):
                    rest = value[:i] + value[i + 1:]
                    if rest:
                        st.faults[name] = rest
                    else:
                        st.faults.pop(name, None)
                    return v.get("count", 0)
            return None
        return st.faults.pop(name, None)

    def sel_ok(self, o, ls, fs):
        return match_labels(ls, o["metadata"].get("labels")) and match_fields(fs, o)

    @staticmethod
    def obj_key(o):
        return (o["metadata"].get("namespace", ""), o["metadata"]["name"])

    def query_key(self, res, ns):
        return hashlib.sha256(json.dumps([res.resource, ns, self.params.get("labelSelector", ""),
                                          self.params.get("fieldSelector", "")]).encode()
                              ).hexdigest()[:12]

    def new_snapshot(self, res, ns, items, rv=None):
        st = self.server.state
        st.snap_seq += 1
        st.snapshots[st.snap_seq] = {"rv": st.rv if rv is None else rv, "items": [copy.deepcopy(o) for o in items],
                                     "keys": [self.obj_key(o) for o in items]}
        return st.snap_seq

    def make_token(self, sid, off, res, ns):
        tok = json.dumps({"v": "meta.k8s.io/v1", "s": sid, "o": off, "q": self.query_key(res, ns)},
                         separators=(",", ":"))
        return base64.urlsafe_b64encode(tok.encode()).decode().rstrip("=")

    # -- watch ----------------------------------------------------------------------------
    def watch(self, res, ns):
        st = self.server.state
        P = self.params
        ls, fs = self.selectors()
        rv = P.get("resourceVersion", "")
        rvm = P.get("resourceVersionMatch", "")
        sie = P.get("sendInitialEvents", "")
        bookmarks = P.get("allowWatchBookmarks") in ("1", "true", "True")
        try:
            timeout = float(P["timeoutSeconds"]) if P.get("timeoutSeconds") else 1800.0
        except ValueError:
            raise bad_request('invalid timeoutSeconds "%s"' % P.get("timeoutSeconds"))
        if sie:
            if st.faults.get("rejectSendInitialEvents"):
                raise invalid_list_opts("sendInitialEvents", None, "sendInitialEvents is forbidden "
                                        "for watch unless the WatchList feature gate is enabled",
                                        "FieldValueForbidden", "Forbidden")
            if rvm != "NotOlderThan":
                raise invalid_list_opts("resourceVersionMatch", rvm or None,
                                        "sendInitialEvents requires setting resourceVersionMatch "
                                        "to NotOlderThan", "FieldValueForbidden", "Forbidden")
            if not bookmarks:
                raise invalid_list_opts("allowWatchBookmarks", None, "sendInitialEvents requires "
                                        "allowWatchBookmarks=true", "FieldValueForbidden",
                                        "Forbidden")
        elif rvm:
            raise invalid_list_opts("resourceVersionMatch", rvm, "resourceVersionMatch is forbidden "
                                    "for watch unless sendInitialEvents is provided",
                                    "FieldValueForbidden", "Forbidden")
        send_initial = (rv in ("", "0")) if not sie else sie in ("1", "true", "True")
        if rv not in ("", "0"):
            try:
                irv = int(rv)
            except ValueError:
                raise bad_request('invalid resource version "%s"' % rv)
        else:
            irv = None
        too_old = False
        with st.lock:
            if irv is not None and irv < st.compacted_rv:
                too_old = True
                msg = "too old resource version: %d (%d)" % (irv, st.compacted_rv)
                if st.faults.get("watch410", "http") == "http":
                    raise ApiError(410, "Expired", msg)
            drop_after = self.take_watch_fault(st, "dropWatchAfterEvents")
            trunc_after = self.take_watch_fault(st, "truncateWatchEvent")
            error_after = self.take_watch_fault(st, "watchErrorAfterEvents")
            initial = []
            if too_old:
                start_rv = st.rv
            elif send_initial:
                initial = [("ADDED", copy.deepcopy(o)) for o in st.list_objects(res, ns)
                           if self.sel_ok(o, ls, fs)]
                start_rv = st.rv if irv is None else max(irv, st.rv)
            else:
                start_rv = irv
            start_idx = 0
            while start_idx < len(st.events) and st.events[start_idx]["rv"] <= start_rv:
                start_idx += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.set_code(200)
        self.wfile.flush()
        sent = [0]
        chunking = st.faults.get("watchChunking")
        tv = wants_table(self.headers.get("Accept"))
        include = self.params.get("includeObject", "Metadata")

        def as_table(ev):
            if not tv or ev["type"] in ("ERROR", "BOOKMARK"):
                return ev
            return {"type": ev["type"], "object": to_table(
                res, [ev["object"]], {"resourceVersion": ev["object"]["metadata"].get(
                    "resourceVersion", "")}, include, tv)}

        def write_chunk(data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def cut():
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            except Exception:
                pass
            self.close_connection = True

        def send_events(evs):
            """Returns False when the stream must stop (connection cut)."""
            buf = []
            for ev in evs:
                if drop_after is not None and sent[0] >= drop_after:
                    if buf:
                        write_chunk(b"".join(buf))
                    cut()
                    return False
                data = (json.dumps(as_table(ev), separators=(",", ":")) + "\n").encode()
                if trunc_after is not None and sent[0] >= trunc_after:
                    if buf:
                        write_chunk(b"".join(buf))
                    write_chunk(data[:max(1, len(data) // 2)])
                    cut()
                    return False
                if error_after is not None and sent[0] >= error_after:
                    if buf:
                        write_chunk(b"".join(buf))
                    err = ApiError(410, "Expired", "too old resource version: %s (%d)"
                                   % (rv or "0", st.rv)).status()
                    write_chunk((json.dumps({"type": "ERROR", "object": err},
                                            separators=(",", ":")) + "\n").encode())
                    write_chunk(b"")
                    return False
                if chunking == "split":
                    h = max(1, len(data) // 2)
                    write_chunk(data[:h])
                    write_chunk(data[h:])
                elif chunking == "coalesce":
                    buf.append(data)
                else:
                    write_chunk(data)
                if ev["type"] != "BOOKMARK":
                    sent[0] += 1
            if buf:
                write_chunk(b"".join(buf))
            return True

        def bookmark(rv_, initial_end=False):
            md = {"resourceVersion": str(rv_), "creationTimestamp": None}
            if initial_end:
                md["annotations"] = {"k8s.io/initial-events-end": "true"}
            return {"type": "BOOKMARK", "object": {"kind": res.kind, "apiVersion": res.api_version,
                                                   "metadata": md}}

        try:
            if too_old:
                err = ApiError(410, "Expired", msg).status()
                write_chunk((json.dumps({"type": "ERROR", "object": err}) + "\n").encode())
                write_chunk(b"")
                return
            first = [{"type": t, "object": o} for t, o in initial]
            if sie and send_initial:
                first.append(bookmark(start_rv, True))
            if first and not send_events(first):
                return
            deadline = time.monotonic() + timeout
            last_bm = time.monotonic()
            idx = start_idx
            last_rv = start_rv
            while True:
                with st.lock:
                    now = time.monotonic()
                    interval = float(st.faults.get("bookmarkInterval", 60))
                    wait = min(deadline - now, (last_bm + interval - now) if bookmarks else 3600)
                    if idx >= len(st.events) and wait > 0:
                        st.lock.wait(min(wait, 1.0))
                    # compaction may have shortened the log
                    while idx > len(st.events):
                        idx = len(st.events)
                    evs = []
                    while idx < len(st.events):
                        e = st.events[idx]
                        idx += 1
                        if e["res"] is not res and e["res"].resource != res.resource:
                            continue
                        if e["rv"] <= last_rv:
                            continue
                        last_rv = e["rv"]
                        if ns and e["ns"] != ns:
                            continue
                        if not self.sel_ok(e["obj"], ls, fs):
                            continue
                        evs.append({"type": e["type"], "object": copy.deepcopy(e["obj"])})
                    cur_rv = st.rv
                if evs and not send_events(evs):
                    return
                now = time.monotonic()
                if now >= deadline:
                    if bookmarks:
                        send_events([bookmark(max(cur_rv, last_rv))])
                    write_chunk(b"")
                    return
                if bookmarks and now - last_bm >= float(st.faults.get("bookmarkInterval", 60)):
                    last_bm = now
                    if not send_events([bookmark(max(cur_rv, last_rv))]):
                        return
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    # -- writes ---------------------------------------------------------------------------
    def dry_run(self):
        d = self.params.get("dryRun")
        if d is None or d == "":
            return False
        if d != "All":
            raise invalid_list_opts("dryRun", d, 'supported values: "All"',
                                    "FieldValueNotSupported", "Unsupported value", kind="")
        return True

    def ua_manager(self):
        ua = self.headers.get("User-Agent", "")
        return ua.split("/")[0].split(" ")[0] if ua else "unknown"

    def parse_obj_body(self, allow_yaml=False):
        raw = self.read_body()
        ctype = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype not in ("application/json", "application/yaml", "application/apply-patch+yaml",
                         ""):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                           "format - accepted media types include: application/json, "
                           "application/yaml")
        try:
            if allow_yaml or ctype in ("application/yaml", "application/apply-patch+yaml"):
                obj = yaml.safe_load(raw.decode("utf-8"))
            else:
                obj = json.loads(raw.decode("utf-8"))
        except Exception as e:
            raise bad_request("the object provided is unrecognized (%s)" % e)
        return obj

    def check_body(self, res, obj, ns, name=None):
        if not isinstance(obj, dict):
            raise bad_request("the object provided is unrecognized")
        md = obj.get("metadata")
        if md is None:
            md = obj["metadata"] = {}
        if not isinstance(md, dict):
            raise bad_request("metadata must be an object")
        if obj.get("kind") not in (None, res.kind) or obj.get("apiVersion") not in (None,
                                                                                  res.api_version):
            raise bad_request("the API version in the data (%s) does not match the expected API "
                              "version (%s)" % (obj.get("apiVersion"), res.api_version)
                              if obj.get("apiVersion") != res.api_version else
                              "the kind in the data (%s) does not match the expected kind (%s)"
                              % (obj.get("kind"), res.kind))
        if res.namespaced and md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace "
                              "sent on the request")
        if name is not None and md.get("name") not in (None, "", name):
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (md.get("name"), name))

    def create(self, res, ns):
        st = self.server.state
        obj = self.parse_obj_body()
        self.check_body(res, obj, ns)
        dry = self.dry_run()
        with st.lock:
            if res.namespaced and not st.namespace_exists(ns):
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            obj = st.prepare_new(res, copy.deepcopy(obj), ns, self.ua_manager(),
                                 self.params.get("fieldManager"))
            validate_object(res, obj)
            name = obj["metadata"]["name"]
            if st.key(res, ns, name) in st.objects:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (res.qualified, name),
                               {"name": name, "group": res.group, "kind": res.resource})
            if not dry:
                st.create_count += 1
                n = st.faults.get("failCreateNth")
                if n:
                    if n <= 1:
                        st.faults.pop("failCreateNth", None)
                        raise ApiError(500, "InternalError", "Internal error occurred: injected "
                                       "failure of create", {"name": name, "group": res.group,
                                                             "kind": res.resource})
                    st.faults["failCreateNth"] = n - 1
                st.store(res, obj, "ADDED")
            else:
                obj["metadata"]["resourceVersion"] = ""
                obj["metadata"].pop("resourceVersion")
            return self.send_json(201, self.out_obj(obj))

    def replace(self, res, ns, name, sub):
        st = self.server.state
        obj = self.parse_obj_body()
        self.check_body(res, obj, ns, name)
        dry = self.dry_run()
        with st.lock:
            cur = st.objects.get(st.key(res, ns, name))
            if cur is None:
                raise not_found(res, name)
            want_rv = obj["metadata"].get("resourceVersion")
            if want_rv and want_rv != cur["metadata"]["resourceVersion"]:
                raise conflict(res, name, "the object has been modified; please apply your changes "
                               "to the latest version and try again")
            if not want_rv and res.resource in ("namespaces",):
                pass
            new = copy.deepcopy(obj)
            if sub == "status":
                new = dict(copy.deepcopy(cur), status=copy.deepcopy(obj.get("status")))
            self.finish_update(res, ns, name, cur, new, dry, self.params.get("fieldManager"))

    def finish_update(self, res, ns, name, cur, new, dry, field_manager, mgr_is_apply=False,
                      code=200):
        st = self.server.state
        md = new.setdefault("metadata", {})
        md["name"] = name
        if res.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        for f in ("uid", "creationTimestamp", "deletionTimestamp"):
            if f in cur["metadata"]:
                md[f] = cur["metadata"][f]
            else:
                md.pop(f, None)
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        if res.resource == "namespaces":
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            new["status"] = cur.get("status", {"phase": "Active"})
        validate_object(res, new)
        if "spec" in new:
            g = cur["metadata"].get("generation", 1 if "spec" in cur else 0)
            md["generation"] = g + 1 if new.get("spec") != cur.get("spec") else g or 1
            if res.resource == "namespaces":
                md.pop("generation", None)
        if not mgr_is_apply:
            st.update_managed(res, cur, new, field_manager or self.ua_manager())
        md["resourceVersion"] = cur["metadata"]["resourceVersion"]
        unchanged = new == cur
        if not dry and not unchanged:
            if md.get("deletionTimestamp") and not md.get("finalizers"):
                st.store(res, new, "MODIFIED")
                gone = st.remove(res, new)
                return self.send_json(code, self.out_obj(gone))
            st.store(res, new, "MODIFIED")
        return self.send_json(code, self.out_obj(new))

    def patch(self, res, ns, name, sub):
        st = self.server.state
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        supported = ("application/json-patch+json", "application/merge-patch+json",
                     "application/strategic-merge-patch+json", "application/apply-patch+yaml")
        if ctype not in supported:
            raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown '
                           'format - accepted media types include: %s' % ", ".join(supported))
        if ctype == "application/apply-patch+yaml":
            return self.apply(res, ns, name, sub)
        if "force" in self.params:
            raise invalid_list_opts("force", None, "may not be specified for non-apply patch",
                                    "FieldValueForbidden", "Forbidden", kind="")
        raw = self.read_body()
        try:
            patch = json.loads(raw.decode("utf-8"))
        except Exception as e:
            raise bad_request("error decoding patch: %s" % e)
        dry = self.dry_run()
        with st.lock:
            cur = st.objects.get(st.key(res, ns, name))
            if cur is None:
                raise not_found(res, name)
            if ctype == "application/json-patch+json":
                if not isinstance(patch, list):
                    raise bad_request("json patch must be a list of operations")
                new = json_patch(cur, patch)
            else:
                if not isinstance(patch, dict):
                    raise bad_request("merge patch must be a JSON object")
                pm = patch.get("metadata") if isinstance(patch.get("metadata"), dict) else {}
                if pm.get("resourceVersion") and pm["resourceVersion"] != \
                        cur["metadata"]["resourceVersion"]:
                    raise conflict(res, name, "the object has been modified; please apply your "
                                   "changes to the latest version and try again")
                if ctype == "application/merge-patch+json":
                    new = merge_patch(cur, patch)
                else:
                    new = strategic_merge_patch(cur, patch)
            if not isinstance(new, dict):
                raise bad_request("patch produced a non-object")
            if sub == "status":
                new = dict(copy.deepcopy(cur), status=new.get("status"))
            new.setdefault("metadata", {})
            if new["metadata"].get("uid") not in (None, cur["metadata"]["uid"]):
                raise conflict(res, name, "Precondition failed: UID in precondition: %s, UID in "
                               "object meta: %s" % (new["metadata"].get("uid"),
                                                    cur["metadata"]["uid"]))
            self.finish_update(res, ns, name, cur, new, dry, self.params.get("fieldManager"))

    def apply(self, res, ns, name, sub):
        st = self.server.state
        mgr = self.params.get("fieldManager")
        force = self.params.get("force") in ("true", "1", "True")
        raw = self.read_body()
        try:
            cfg = yaml.safe_load(raw.decode("utf-8"))
        except Exception as e:
            raise bad_request("error decoding YAML: %s" % e)
        if not mgr:
            raise invalid_list_opts("fieldManager", None, "is required for apply patch",
                                    "FieldValueRequired", "Required value", kind="")
        if len(mgr) > 128:
            raise invalid_list_opts("fieldManager", mgr, "must be less than 128 characters",
                                    "FieldValueTooLong", "Too long", kind="")
        if not isinstance(cfg, dict):
            raise bad_request("error decoding YAML: apply patch must be an object")
        if not cfg.get("apiVersion") or not cfg.get("kind"):
            raise bad_request("invalid object type: %s, Kind=%s" % (cfg.get("apiVersion", ""),
                                                                    cfg.get("kind", "")))
        if cfg.get("apiVersion") != res.api_version or cfg.get("kind") != res.kind:
            raise bad_request("the API version in the data (%s) does not match the expected API "
                              "version (%s)" % (cfg.get("apiVersion"), res.api_version)
                              if cfg.get("apiVersion") != res.api_version else
                              "the kind in the data (%s) does not match the expected kind (%s)"
                              % (cfg.get("kind"), res.kind))
        md = cfg.get("metadata")
        if not isinstance(md, dict) or not md.get("name"):
            raise bad_request("metadata.name is required for apply")
        if md.get("name") != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (md.get("name"), name))
        if res.namespaced and md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace "
                              "sent on the request")
        if "managedFields" in md:
            raise bad_request("metadata.managedFields must be nil")
        dry = self.dry_run()
        with st.lock:
            cur = st.objects.get(st.key(res, ns, name))
            if cur is None:
                self.authorize("create", res, ns, name)
                if res.namespaced and not st.namespace_exists(ns):
                    raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                                   {"name": ns, "kind": "namespaces"})
                if md.get("resourceVersion"):
                    raise conflict(res, name, "the object has been modified; please apply your "
                                   "changes to the latest version and try again")
            elif md.get("resourceVersion") and md["resourceVersion"] != \
                    cur["metadata"]["resourceVersion"]:
                raise conflict(res, name, "the object has been modified; please apply your changes "
                               "to the latest version and try again")
            applied = managed_view(cfg)
            if sub == "status":
                applied = {"status": cfg.get("status")} if "status" in cfg else {}
            new_leaves = leaves(applied)
            base = copy.deepcopy(cur) if cur is not None else {"metadata": {"name": name}}
            entries = copy.deepcopy(base["metadata"].get("managedFields") or [])
            parsed = [(e, v1_to_fields(e.get("fieldsV1"))) for e in entries]
            conflicts = []
            for e, fset in parsed:
                if e.get("manager") == mgr and e.get("operation") == "Apply":
                    continue
                for p in sorted(fset & set(new_leaves)):
                    if value_at(base, p) != new_leaves[p]:
                        conflicts.append((e.get("manager"), e.get("apiVersion", res.api_version), p))
            if conflicts and not force:
                by = {}
                for m_, av, p in conflicts:
                    by.setdefault((m_, av), []).append(p)
                n = len(conflicts)
                if n == 1:
                    (m_, av), ps = next(iter(by.items()))
                    msg = 'Apply failed with 1 conflict: conflict with "%s" using %s: %s' % (
                        m_, av, path_str(ps[0]))
                else:
                    chunks = []
                    for (m_, av), ps in by.items():
                        chunks.append('conflicts with "%s" using %s:\n%s' % (
                            m_, av, "\n".join("- " + path_str(p) for p in ps)))
                    msg = "Apply failed with %d conflicts: %s" % (n, "\n".join(chunks))
                raise ApiError(409, "Conflict", msg, {"causes": [
                    {"reason": "FieldManagerConflict",
                     "message": 'conflict with "%s" using %s' % (m_, av), "field": path_str(p)}
                    for m_, av, p in conflicts]})
            # ownership
            new_entries, my_old = [], set()
            others_fields = set()
            for e, fset in parsed:
                if e.get("manager") == mgr and e.get("operation") == "Apply":
                    my_old = fset
                    continue
                if force:  # forced: only the conflicting fields change owner; equal values stay shared
                    fset = fset - {p for m_, _, p in conflicts if m_ == e.get("manager")}
                if fset:
                    e["fieldsV1"] = fields_to_v1(fset)
                    new_entries.append(e)
                    others_fields |= fset
            new = base
            for p in sorted(my_old - set(new_leaves) - others_fields, key=len, reverse=True):
                if p[0] == "metadata" or p[0] in new:
                    del_path(new, p)
            for p, v in new_leaves.items():
                set_path(new, p, v)
            if new_leaves:
                new_entries.append(st.mf_entry(mgr, "Apply", res, set(new_leaves)))
            new.setdefault("metadata", {})
            if cur is None:
                new["apiVersion"], new["kind"] = res.api_version, res.kind
                new = st.prepare_new(res, new, ns, None, None, operation=None)
                new["metadata"]["managedFields"] = new_entries
                validate_object(res, new)
                if not dry:
                    st.store(res, new, "ADDED")
                return self.send_json(201, self.out_obj(new))
            new["metadata"]["managedFields"] = new_entries
            same_fields = [(e["manager"], e["operation"], e["fieldsV1"]) for e in new_entries] == \
                [(e["manager"], e["operation"], e["fieldsV1"]) for e in entries]
            if same_fields and {k: v for k, v in new.items() if k != "metadata"} == \
                    {k: v for k, v in cur.items() if k != "metadata"} and \
                    managed_view(new) == managed_view(cur):
                return self.send_json(200, self.out_obj(cur))
            self.finish_update(res, ns, name, cur, new, dry, mgr, mgr_is_apply=True)

    def delete(self, res, ns, name):
        st = self.server.state
        raw = self.read_body()
        opts = {}
        if raw.strip():
            try:
                opts = json.loads(raw.decode("utf-8"))
            except Exception as e:
                raise bad_request("invalid DeleteOptions: %s" % e)
            if not isinstance(opts, dict):
                raise bad_request("invalid DeleteOptions")
        pre = opts.get("preconditions") or {}
        for k in ("propagationPolicy",):
            v = opts.get(k) or self.params.get(k)
            if v and v not in ("Orphan", "Background", "Foreground"):
                raise invalid_list_opts("propagationPolicy", v, 'supported values: "Foreground", '
                                        '"Background", "Orphan", "nil"', "FieldValueNotSupported",
                                        "Unsupported value", kind="")
        dry = self.dry_run() or opts.get("dryRun") == ["All"]
        with st.lock:
            cur = st.objects.get(st.key(res, ns, name))
            if cur is None:
                raise not_found(res, name)
            if pre.get("uid") and pre["uid"] != cur["metadata"]["uid"]:
                raise conflict(res, name, "Precondition failed: UID in precondition: %s, UID in "
                               "object meta: %s" % (pre["uid"], cur["metadata"]["uid"]))
            if pre.get("resourceVersion") and pre["resourceVersion"] != \
                    cur["metadata"]["resourceVersion"]:
                raise conflict(res, name, "Precondition failed: ResourceVersion in precondition: "
                               "%s, ResourceVersion in object meta: %s"
                               % (pre["resourceVersion"], cur["metadata"]["resourceVersion"]))
            if cur["metadata"].get("finalizers"):
                new = copy.deepcopy(cur)
                new["metadata"].setdefault("deletionTimestamp", st.now())
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                if not dry and "deletionTimestamp" not in cur["metadata"]:
                    st.store(res, new, "MODIFIED")
                return self.send_json(202, self.out_obj(new))
            if dry:
                gone = copy.deepcopy(cur)
            else:
                gone = st.remove(res, cur)
            if res.resource in ("namespaces", "pods") and False:
                return self.send_json(200, self.out_obj(gone))
            return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                        "status": "Success", "details": {
                                            "name": name, "group": res.group, "kind": res.resource,
                                            "uid": cur["metadata"]["uid"]}})

    def delete_collection(self, res, ns):
        st = self.server.state
        self.read_body()
        ls, fs = self.selectors()
        dry = self.dry_run()
        with st.lock:
            items = [o for o in st.list_objects(res, ns) if self.sel_ok(o, ls, fs)]
            out = []
            for o in items:
                c = copy.deepcopy(o) if dry else st.remove(res, o)
                c.pop("kind", None)
                c.pop("apiVersion", None)
                out.append(c)
            return self.send_json(200, {"kind": res.kind + "List", "apiVersion": res.api_version,
                                        "metadata": {"resourceVersion": str(st.rv)}, "items": out})


class _StatusOverride(ApiError):
    def __init__(self, code, body, headers):
        super().__init__(code, body.get("reason", ""), body.get("message", ""), headers=headers)
        self.body = body

    def status(self):
        return self.body


def invalid_list_opts(field, value, detail, reason="FieldValueInvalid", prefix="Invalid value",
                      kind="ListOptions"):
    if value is None:
        m = "%s: %s" % (prefix, detail)
    else:
        m = '%s: "%s": %s' % (prefix, value, detail)
    msg = ('%s.meta.k8s.io "" is invalid: %s: %s' % (kind, field, m)) if kind else \
        "%s: %s" % (field, m)
    return ApiError(422, "Invalid", msg, {"group": "meta.k8s.io", "kind": kind,
                                          "causes": [{"reason": reason, "message": m,
                                                      "field": field}]})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if self.state.args.verbose:
            super().handle_error(request, client_address)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(None)
            if isinstance(request, ssl.SSLSocket):
                request.settimeout(30)
                request.do_handshake()
                request.settimeout(None)
        except Exception:
            try:
                request.close()
            except Exception:
                pass
            return
        super().finish_request(request, client_address)


# ---------------------------------------------------------------------------------------------
# Set-up: certificates, kubeconfigs, objects
# ---------------------------------------------------------------------------------------------


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("fake-apiserver: %s failed: %s" % (" ".join(cmd), r.stderr.decode()))


def make_certs(d, server_name_only):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
        "-subj", "/CN=fake-apiserver-ca", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    san = "DNS:kubernetes.fake" if server_name_only else "DNS:kubernetes.fake,IP:127.0.0.1"
    with open(os.path.join(d, "server.ext"), "w") as fh:
        fh.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                 "keyUsage=critical,digitalSignature,keyEncipherment\n"
                 "basicConstraints=critical,CA:FALSE\n" % san)
    run(["openssl", "req", "-new"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj",
        "/CN=kubernetes.fake"], d)
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.crt", "-days", "3650", "-extfile", "server.ext"], d)
    with open(os.path.join(d, "client.ext"), "w") as fh:
        fh.write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                 "basicConstraints=critical,CA:FALSE\n")
    run(["openssl", "req", "-new"] + ec + ["-keyout", "client.key", "-out", "client.csr", "-subj",
        "/O=system:masters/CN=admin"], d)
    run(["openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "client.crt", "-days", "3650", "-extfile", "client.ext"], d)


def kubeconfig(server, cluster_extra, user):
    cluster = {"server": server}
    cluster.update(cluster_extra)
    return {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": cluster}],
            "users": [{"name": "fake-user", "user": user}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake-user",
                                                      "namespace": "default"}}],
            "preferences": {}}


def write_files(d, port, st):
    rd = lambda n: open(os.path.join(d, n), "rb").read()  # noqa: E731
    server = "https://127.0.0.1:%d" % port
    ca = {"certificate-authority-data": b64(rd("ca.crt"))}
    with open(os.path.join(d, "token"), "w") as fh:
        fh.write("file-token-1\n")
    if os.path.exists(os.path.join(d, "exec-token")):
        os.unlink(os.path.join(d, "exec-token"))
    plugin = os.path.join(d, "exec-plugin.sh")
    with open(plugin, "w") as fh:
        fh.write("""#!/bin/sh
# exec credential plugin written by fake_apiserver.py
dir=$(dirname "$0")
echo "call $(date -u +%Y-%m-%dT%H:%M:%SZ) interactive-info=${KUBERNETES_EXEC_INFO:+set}" >> "$dir/exec-plugin.log"
tok=exec-token-1
[ -f "$dir/exec-token" ] && tok=$(cat "$dir/exec-token")
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "$tok" "$exp"
""")
    os.chmod(plugin, 0o755)
    cfgs = {
        "kubeconfig-token": kubeconfig(server, ca, {"token": "admin-token"}),
        "kubeconfig-cert": kubeconfig(server, ca, {"client-certificate-data": b64(rd("client.crt")),
                                                   "client-key-data": b64(rd("client.key"))}),
        "kubeconfig-tokenfile": kubeconfig(server, ca, {"tokenFile": os.path.join(d, "token")}),
        "kubeconfig-exec": kubeconfig(server, ca, {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": plugin, "args": [],
            "interactiveMode": "Never", "provideClusterInfo": False,
            "installHint": "exec-plugin.sh is written by fake_apiserver.py"}}),
        "kubeconfig-insecure": kubeconfig(server, {"insecure-skip-tls-verify": True},
                                          {"token": "admin-token"}),
        "kubeconfig-servername": kubeconfig(server, dict(ca, **{"tls-server-name":
                                                                "kubernetes.fake"}),
                                            {"token": "admin-token"}),
    }
    for n, c in cfgs.items():
        with open(os.path.join(d, n), "w") as fh:
            yaml.safe_dump(c, fh, default_flow_style=False, sort_keys=False)
        os.chmod(os.path.join(d, n), 0o600)
    st.tokens.update({"admin-token": ("admin", ["system:masters", "system:authenticated"]),
                      "file-token-1": ("tokenfile-user", ["system:authenticated"]),
                      "exec-token-1": ("exec-user", ["system:authenticated"])})


def load_objects(st, files):
    docs = []
    for f in files:
        text = open(f).read()
        if f.endswith(".json"):
            data = json.loads(text)
            docs.extend(data if isinstance(data, list) else [data])
        else:
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    flat = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind", "").endswith("List") and "items" in d:
            flat.extend(d["items"] or [])
        elif isinstance(d, dict):
            flat.append(d)
    # namespaces first so that namespaced objects find them; otherwise file order
    flat.sort(key=lambda o: 0 if o.get("kind") == "Namespace" else 1)
    for o in flat:
        res = st.by_kind.get((o.get("apiVersion"), o.get("kind")))
        if res is None:
            raise SystemExit("fake-apiserver: unsupported object %s/%s in --objects"
                             % (o.get("apiVersion"), o.get("kind")))
        o = copy.deepcopy(o)
        md = o.setdefault("metadata", {})
        ns = md.get("namespace") or ("default" if res.namespaced else "")
        if res.namespaced and not st.namespace_exists(ns):
            nso = st.prepare_new(st.by_kind[("v1", "Namespace")], {"metadata": {"name": ns}}, "",
                                 None, None, operation=None)
            st.store(st.by_kind[("v1", "Namespace")], nso, "ADDED")
        keep = {k: md.get(k) for k in ("uid", "creationTimestamp") if md.get(k)}
        mf = md.get("managedFields")
        st.prepare_new(res, o, ns, None, None, operation=None)
        o["metadata"].update(keep)
        if mf:
            o["metadata"]["managedFields"] = mf
        validate_object(res, o)
        if st.key(res, ns, o["metadata"]["name"]) in st.objects:
            raise SystemExit("fake-apiserver: duplicate object %s %s/%s"
                             % (res.kind, ns, o["metadata"]["name"]))
        st.store(res, o, "ADDED")


def main():
    ap = argparse.ArgumentParser(description="fake Kubernetes API server for tests")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--objects", nargs="*", default=[], action="extend")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--server-name-only", action="store_true")
    ap.add_argument("--openshift", action="store_true")
    ap.add_argument("--rules", help="JSON/YAML file: {\"forbid\":[{user,verb,resource,namespace}]}")
    ap.add_argument("--forbid", action="append", default=[], metavar="USER:VERB:RESOURCE[:NS]",
                    help="403 for this (user, verb, resource, namespace); '*' matches anything")
    ap.add_argument("--fixed-time", default=None, help="creationTimestamp/managedFields time")
    ap.add_argument("--no-default-namespace", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    args.dir = os.path.abspath(args.dir)
    st = State(args)
    if not args.no_default_namespace:
        nsr = st.by_kind[("v1", "Namespace")]
        st.store(nsr, st.prepare_new(nsr, {"metadata": {"name": "default"}}, "", None, None,
                                     operation=None), "ADDED")
    try:
        load_objects(st, args.objects)
    except ApiError as e:
        raise SystemExit("fake-apiserver: invalid --objects: %s" % e.message)
    if args.rules:
        rules = yaml.safe_load(open(args.rules).read()) or {}
        st.forbid = list(rules.get("forbid") or [])
    for spec in args.forbid:
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            raise SystemExit("fake-apiserver: --forbid wants USER:VERB:RESOURCE[:NAMESPACE]")
        st.forbid.append(dict(zip(("user", "verb", "resource", "namespace"), parts)))
    make_certs(args.dir, args.server_name_only)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(args.dir, "server.crt"), os.path.join(args.dir, "server.key"))
    ctx.load_verify_locations(os.path.join(args.dir, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    httpd = Server(("127.0.0.1", args.port), Handler)
    httpd.state = st
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    port = httpd.server_address[1]
    st.port = port
    write_files(args.dir, port, st)

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write("fake-apiserver: listening on https://127.0.0.1:%d\n" % port)
    sys.stdout.flush()
    httpd.serve_forever(poll_interval=0.2)
    httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
