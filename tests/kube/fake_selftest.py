#!/usr/bin/python3
"""fake_selftest.py [BIN-IGNORED] -- protocol-level checks of fake_apiserver.py that kubectl cannot
exercise (watch faults, chunking, preconditions, dryRun, 202 finalizers, ...).  Raw HTTP over TLS with
the standard library only.  Exit 0 only if every check passes; prints PASS/FAIL per check."""

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:600]))


class Fake:
    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="fake-selftest.")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_apiserver.py"),
                                      "--dir", self.dir, "--fixed-time", "2026-01-01T00:00:00Z",
                                      "--objects", os.path.join(HERE, "objects.yaml")] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("fake-apiserver: listening on https://127.0.0.1:"), line
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = -1
        return rc

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=20)

    def req(self, method, path, body=None, ctype="application/json", token="admin-token",
            headers=None):
        c = self.conn()
        h = {"Accept": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            h["Content-Type"] = ctype
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            js = json.loads(data)
        except Exception:
            js = None
        return r.status, js, data, r

    def ctl(self, method, path, body=None):
        return self.req(method, path, body, token=None)[1]

    def watch_raw(self, path, read_timeout=10):
        """Returns (status, list of chunk payloads, ended_cleanly)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        s = self.ctx.wrap_socket(s, server_hostname="127.0.0.1")
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
                   "Accept: application/json\r\n\r\n" % path).encode())
        f = s.makefile("rb")
        status = int(f.readline().split()[1])
        hdrs = {}
        while True:
            ln = f.readline()
            if ln in (b"\r\n", b""):
                break
            k, v = ln.decode().split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        chunks, clean = [], False
        if hdrs.get("transfer-encoding") != "chunked":
            body = f.read(int(hdrs.get("content-length", "0")))
            s.close()
            return status, [body], True
        try:
            while True:
                ln = f.readline()
                if not ln:
                    break
                size = int(ln.strip() or b"0", 16)
                if size == 0:
                    clean = True
                    break
                data = f.read(size)
                if len(data) < size:
                    chunks.append(data)
                    break
                chunks.append(data)
                f.readline()
        except (socket.timeout, ssl.SSLError, OSError):
            pass
        s.close()
        return status, chunks, clean


def events(chunks):
    text = b"".join(chunks).decode()
    out = []
    for ln in text.split("\n"):
        if ln.strip():
            try:
                out.append(json.loads(ln))
            except ValueError:
                out.append({"type": "PARTIAL", "raw": ln})
    return out


NP = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies"


def pol(name, port=80):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                     "ingress": [{"ports": [{"port": port}]}]}}


def main():
    f = Fake()
    try:
        run(f)
    finally:
        rc = f.stop()
        check("SIGTERM -> exit 0", rc == 0, rc)
    # determinism: same inputs + same requests -> identical state
    a, b = Fake("--forbid", "admin:delete:pods:shop"), Fake("--forbid", "admin:delete:pods:shop")
    try:
        for x in (a, b):
            x.req("POST", NP, pol("det"))
            x.req("PATCH", "/api/v1/namespaces/shop", {"metadata": {"labels": {"z": "1"}}},
                  ctype="application/merge-patch+json")
        sa, sb = a.ctl("GET", "/__fake/objects"), b.ctl("GET", "/__fake/objects")
        ta = a.req("GET", "/api/v1/pods?limit=2")[1]["metadata"]["continue"]
        tb = b.req("GET", "/api/v1/pods?limit=2")[1]["metadata"]["continue"]
        check("deterministic: same inputs -> identical objects, uids, RVs, continue tokens",
              sa == sb and ta == tb, (sa, sb))
        code, js, _, _ = a.req("DELETE", "/api/v1/namespaces/shop/pods/web-7d4b9-abcde")
        check("--forbid flag -> 403 with the RBAC message", code == 403 and js["message"] ==
              'pods "web-7d4b9-abcde" is forbidden: User "admin" cannot delete resource "pods" in '
              'API group "" in the namespace "shop"', js)
    finally:
        a.stop()
        b.stop()
    g = Fake("--openshift")
    try:
        code, js, _, _ = g.req("GET", "/apis")
        check("--openshift: route.openshift.io in /apis",
              "route.openshift.io" in [x["name"] for x in js["groups"]], js)
        code, js, _, _ = g.req("GET", "/apis/route.openshift.io/v1")
        check("--openshift: APIResourceList with routes",
              code == 200 and js["resources"][0]["name"] == "routes", js)
    finally:
        g.stop()
    print("\nfake_selftest: %d passed, %d failed" % (sum(results), len(results) - sum(results)))
    return 0 if all(results) else 1


def run(f):
    # --- discovery
    code, js, _, _ = f.req("GET", "/apis")
    check("/apis APIGroupList without route.openshift.io", js["kind"] == "APIGroupList" and
          "route.openshift.io" not in [x["name"] for x in js["groups"]], js)
    code, js, raw, _ = f.req("GET", "/apis/route.openshift.io/v1")
    check("absent group 404 text", code == 404 and js is None and b"404 page not found" in raw, raw)

    # --- list pagination across three pages + determinism of RVs
    code, js, _, _ = f.req("GET", "/api/v1/pods?limit=2")
    rv = js["metadata"]["resourceVersion"]
    names = [i["metadata"]["name"] for i in js["items"]]
    f.ctl("POST", "/__fake/objects", {"op": "put", "object": {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "zz-late", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "i"}]}}})
    tok = js["metadata"]["continue"]
    pages = 1
    while tok:
        code, js, _, _ = f.req("GET", "/api/v1/pods?limit=2&continue=" + tok)
        check("page %d keeps the list RV" % (pages + 1), js["metadata"]["resourceVersion"] == rv, js)
        names += [i["metadata"]["name"] for i in js["items"]]
        tok = js["metadata"].get("continue")
        pages += 1
    check("pages served from the first page's snapshot", pages == 3 and len(names) == 5 and
          "zz-late" not in names, names)
    code, js, _, _ = f.req("GET", "/api/v1/pods?labelSelector=app%20in%20(api,db),pod-template-hash!=5c8f6")
    check("labelSelector set-based + !=", [i["metadata"]["name"] for i in js["items"]] ==
          ["db-6f7a8-uvwxy"], js)
    code, js, _, _ = f.req("GET", "/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dzz-late")
    check("fieldSelector metadata.name, namespaced path", len(js["items"]) == 1, js)
    code, js, _, _ = f.req("GET", "/api/v1/pods?resourceVersion=%s&resourceVersionMatch=Exact" % rv)
    check("list at an exact older RV replays history (zz-late absent)",
          code == 200 and js["metadata"]["resourceVersion"] == rv and
          "zz-late" not in [i["metadata"]["name"] for i in js["items"]], js)
    code, js, _, _ = f.req("GET", "/api/v1/pods?resourceVersion=99999")
    check("list with too large RV -> 504 ResourceVersionTooLarge", code == 504 and
          js["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge", js)
    code, js, _, _ = f.req("GET", "/api/v1/pods?resourceVersionMatch=Exact")
    check("resourceVersionMatch without resourceVersion -> 422", code == 422, js)

    # --- writes
    nopol = pol("a")
    del nopol["metadata"]["namespace"]
    code, js, _, _ = f.req("POST", "/apis/networking.k8s.io/v1/namespaces/nope/networkpolicies",
                           nopol)
    check("create in a missing namespace -> 404 namespaces not found",
          code == 404 and js["message"] == 'namespaces "nope" not found', js)
    code, js, _, _ = f.req("POST", NP + "?dryRun=All", pol("dry"))
    code2, _, _, _ = f.req("GET", NP + "/dry")
    check("create dryRun=All -> 201, not stored", code == 201 and code2 == 404, (code, code2))
    code, js, _, _ = f.req("POST", NP, pol("p1"))
    check("create 201 with uid/RV/creationTimestamp", code == 201 and js["metadata"]["uid"] and
          js["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z", js)
    old = js
    p = dict(old)
    p["spec"] = dict(old["spec"], policyTypes=["Ingress", "Egress"])
    code, js, _, _ = f.req("PUT", NP + "/p1", p)
    check("PUT with current RV -> 200, generation 2", code == 200 and js["metadata"]["generation"] == 2,
          js)
    code, js, _, _ = f.req("PUT", NP + "/p1", p)
    check("PUT with stale RV -> 409 Conflict", code == 409 and js["reason"] == "Conflict" and
          "the object has been modified" in js["message"], js)
    code, js, _, _ = f.req("DELETE", NP + "/p1", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                  "preconditions": {"uid": "wrong"}})
    check("DELETE with wrong uid precondition -> 409", code == 409 and "Precondition failed" in
          js["message"], js)
    code, js, _, _ = f.req("PATCH", NP + "/p1", {"metadata": {"labels": {"a": "b"}}},
                           ctype="text/plain")
    check("PATCH with unsupported Content-Type -> 415", code == 415, js)
    code, js, _, _ = f.req("PATCH", NP + "/p1", [{"op": "add", "path": "/metadata/labels",
                                                  "value": {"x": "y"}}],
                           ctype="application/json-patch+json")
    check("JSON patch", code == 200 and js["metadata"]["labels"] == {"x": "y"}, js)
    code, js, _, _ = f.req("PATCH", NP + "/p1?force=true", {"metadata": {}},
                           ctype="application/merge-patch+json")
    check("force on a non-apply patch -> 422", code == 422, js)
    code, js, _, _ = f.req("DELETE", NP + "/p1")
    check("DELETE -> 200 Status Success", code == 200 and js["kind"] == "Status" and
          js["status"] == "Success" and js["details"]["kind"] == "networkpolicies", js)
    code, js, _, _ = f.req("DELETE", NP + "/p1")
    check("DELETE again -> 404", code == 404 and js["reason"] == "NotFound", js)
    fin = pol("fin")
    fin["metadata"]["finalizers"] = ["example.com/hold"]
    f.req("POST", NP, fin)
    code, js, _, _ = f.req("DELETE", NP + "/fin")
    check("DELETE with finalizers -> 202 + object with deletionTimestamp",
          code == 202 and js["metadata"].get("deletionTimestamp"), js)
    code, js, _, _ = f.req("PATCH", NP + "/fin", {"metadata": {"finalizers": None}},
                           ctype="application/merge-patch+json")
    code2, _, _, _ = f.req("GET", NP + "/fin")
    check("removing the last finalizer completes the deletion", code2 == 404, (code, code2, js))
    f.ctl("POST", "/__fake/faults", {"failCreateNth": 2})
    c1 = f.req("POST", NP, pol("n1"))[0]
    c2, js, _, _ = f.req("POST", NP, pol("n2"))
    c3 = f.req("POST", NP, pol("n3"))[0]
    check("failCreateNth=2 -> second create 500", (c1, c2, c3) == (201, 500, 201), (c1, c2, c3, js))

    # --- server-side apply details
    ap = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ssa\n"
          "  labels: {a: '1', b: '2'}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n")
    A = "application/apply-patch+yaml"
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m1&dryRun=All", ap, ctype=A)
    code2 = f.req("GET", NP + "/ssa")[0]
    check("SSA dryRun=All -> 201 but not stored", code == 201 and code2 == 404, (code, code2))
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m1", ap, ctype=A)
    check("SSA create -> 201 with managedFields Apply m1", code == 201 and
          js["metadata"]["managedFields"][0]["manager"] == "m1" and
          js["metadata"]["managedFields"][0]["operation"] == "Apply", js)
    rv1 = js["metadata"]["resourceVersion"]
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m1", ap, ctype=A)
    check("SSA no-op -> 200, RV unchanged", code == 200 and js["metadata"]["resourceVersion"] == rv1,
          js)
    ap2 = ap.replace("  labels: {a: '1', b: '2'}\n", "  labels: {a: '1'}\n")
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m1", ap2, ctype=A)
    check("SSA: a field dropped from the config is removed", code == 200 and
          js["metadata"]["labels"] == {"a": "1"}, js)
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m2",
                           ap2.replace("Ingress", "Egress"), ctype=A)
    check("SSA conflict -> 409 FieldManagerConflict causes",
          code == 409 and js["details"]["causes"][0]["reason"] == "FieldManagerConflict" and
          js["details"]["causes"][0]["field"] == ".spec.policyTypes", js)
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m2&force=true",
                           ap2.replace("Ingress", "Egress"), ctype=A)
    mf = {e["manager"]: e["fieldsV1"] for e in js["metadata"]["managedFields"]}
    check("SSA force: only the conflicting field changes owner, equal values stay shared",
          code == 200 and js["spec"]["policyTypes"] == ["Egress"] and
          "f:policyTypes" not in mf["m1"]["f:spec"] and "f:podSelector" in mf["m1"]["f:spec"] and
          "f:policyTypes" in mf["m2"]["f:spec"], js)
    code, js, _, _ = f.req("PATCH", NP + "/ssa?fieldManager=m2",
                           ap2.replace("kind: NetworkPolicy\n", "kind: NetworkPolicy\n"
                                       "metadata_x: 1\n").replace("metadata:\n", "metadata:\n"
                                                                  "  managedFields: []\n"),
                           ctype=A)
    check("SSA with managedFields in the body -> 400", code == 400, js)
    f.ctl("POST", "/__fake/faults", {"forbid": [{"verb": "create", "resource": "networkpolicies"}]})
    code, js, _, _ = f.req("PATCH", NP + "/new-by-apply?fieldManager=m1",
                           ap.replace("name: ssa", "name: new-by-apply"), ctype=A)
    check("SSA that creates needs create (403 when only create is forbidden)", code == 403 and
          'cannot create resource "networkpolicies"' in js["message"], js)
    f.ctl("POST", "/__fake/faults", {"forbid": []})

    # --- 429 / canned responses
    f.ctl("POST", "/__fake/faults", {"status429": {"count": 1, "retryAfter": 2}})
    code, js, _, r = f.req("GET", "/api/v1/pods")
    check("429 with Retry-After header and details.retryAfterSeconds", code == 429 and
          r.getheader("Retry-After") == "2" and js["details"]["retryAfterSeconds"] == 2 and
          js["reason"] == "TooManyRequests", (code, js))
    f.ctl("POST", "/__fake/faults", {"respond": [{"count": 1, "code": 503, "body": "<html>down</html>",
                                                  "contentType": "text/html",
                                                  "path_prefix": "/apis/route"}]})
    code, js, raw, _ = f.req("GET", "/apis/route.openshift.io/v1")
    check("canned 503 with HTML body", code == 503 and raw == b"<html>down</html>", raw)

    # --- auth
    code, js, _, _ = f.req("GET", "/api/v1/pods", token="nope")
    check("unknown token -> 401 Status", code == 401 and js["reason"] == "Unauthorized" and
          js["message"] == "Unauthorized", js)
    f.ctl("POST", "/__fake/faults", {"rotateTokenFile": "file-token-2"})
    c_old = f.req("GET", "/api/v1/pods", token="file-token-1")[0]
    c_new = f.req("GET", "/api/v1/pods", token="file-token-2")[0]
    tok = open(os.path.join(f.dir, "token")).read().strip()
    check("rotateTokenFile: old 401, new 200, file updated",
          (c_old, c_new, tok) == (401, 200, "file-token-2"), (c_old, c_new, tok))

    # --- watch
    code, js, _, _ = f.req("GET", NP)
    lrv = js["metadata"]["resourceVersion"]
    f.ctl("POST", "/__fake/objects", {"ops": [
        {"op": "put", "object": pol("w1")},
        {"op": "patch", "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "namespace": "shop", "name": "w1", "patch": {"metadata": {"labels": {"v": "2"}}}},
        {"op": "delete", "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "namespace": "shop", "name": "w1"}]})
    st, ch, clean = f.watch_raw(NP + "?watch=1&timeoutSeconds=1&resourceVersion=" + lrv)
    ev = events(ch)
    check("watch from RV N: ADDED, MODIFIED, DELETED after N; clean end",
          [e["type"] for e in ev] == ["ADDED", "MODIFIED", "DELETED"] and clean and
          int(ev[-1]["object"]["metadata"]["resourceVersion"]) >
          int(ev[0]["object"]["metadata"]["resourceVersion"]), ev)
    f.ctl("POST", "/__fake/faults", {"watchChunking": "split"})
    st, ch, clean = f.watch_raw(NP + "?watch=1&timeoutSeconds=1&resourceVersion=" + lrv)
    check("watchChunking=split: events split across chunks still decode",
          len(ch) == 6 and [e["type"] for e in events(ch)] == ["ADDED", "MODIFIED", "DELETED"], ch)
    f.ctl("POST", "/__fake/faults", {"watchChunking": "coalesce"})
    st, ch, clean = f.watch_raw(NP + "?watch=1&timeoutSeconds=1&resourceVersion=" + lrv)
    check("watchChunking=coalesce: three events in one chunk",
          len(ch) == 1 and len(events(ch)) == 3, ch)
    f.ctl("POST", "/__fake/faults", {"watchChunking": None, "truncateWatchEvent": 1})
    st, ch, clean = f.watch_raw(NP + "?watch=1&resourceVersion=" + lrv)
    ev = events(ch)
    check("truncateWatchEvent=1: one event then truncated JSON and a cut connection",
          [e["type"] for e in ev] == ["ADDED", "PARTIAL"] and not clean, ev)
    f.ctl("POST", "/__fake/faults", {"dropWatchAfterEvents": 2})
    st, ch, clean = f.watch_raw(NP + "?watch=1&resourceVersion=" + lrv)
    check("dropWatchAfterEvents=2: two events then a cut connection",
          [e["type"] for e in events(ch)] == ["ADDED", "MODIFIED"] and not clean, ch)
    f.ctl("POST", "/__fake/faults", {"watchErrorAfterEvents": 1})
    st, ch, clean = f.watch_raw(NP + "?watch=1&resourceVersion=" + lrv)
    ev = events(ch)
    check("watchErrorAfterEvents=1: ERROR 410 Expired Status event, clean end",
          [e["type"] for e in ev] == ["ADDED", "ERROR"] and ev[1]["object"]["code"] == 410 and clean,
          ev)
    f.ctl("POST", "/__fake/faults", {"bookmarkInterval": 0.3})
    st, ch, clean = f.watch_raw(NP + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&"
                                "resourceVersion=" + lrv)
    ev = events(ch)
    check("bookmarks: BOOKMARK events with only kind/apiVersion/metadata.resourceVersion",
          sum(1 for e in ev if e["type"] == "BOOKMARK") >= 2 and
          all(set(e["object"]) == {"kind", "apiVersion", "metadata"} for e in ev
              if e["type"] == "BOOKMARK"), ev)
    st, ch, clean = f.watch_raw(NP + "?watch=1&sendInitialEvents=true&resourceVersionMatch="
                                "NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
    ev = events(ch)
    ie = [e for e in ev if e["type"] == "BOOKMARK" and e["object"]["metadata"].get("annotations")]
    check("sendInitialEvents: ADDED... then initial-events-end BOOKMARK",
          ev[0]["type"] == "ADDED" and len(ie) == 1, ev)
    f.ctl("POST", "/__fake/faults", {"rejectSendInitialEvents": True, "bookmarkInterval": None})
    st, ch, clean = f.watch_raw(NP + "?watch=1&sendInitialEvents=true&resourceVersionMatch="
                                "NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
    check("rejectSendInitialEvents -> 422", st == 422, (st, ch))
    f.ctl("POST", "/__fake/faults", {"compact": True, "watch410": "event"})
    st, ch, clean = f.watch_raw(NP + "?watch=1&resourceVersion=" + lrv)
    ev = events(ch)
    check("compacted RV with watch410=event -> 200 + ERROR 410 event", st == 200 and
          ev[0]["type"] == "ERROR" and ev[0]["object"]["reason"] == "Expired", (st, ev))
    f.ctl("POST", "/__fake/faults", {"watch410": None})
    st, ch, clean = f.watch_raw(NP + "?watch=1&resourceVersion=" + lrv)
    check("compacted RV -> HTTP 410", st == 410 and json.loads(ch[0])["code"] == 410, (st, ch))
    code, js, _, _ = f.req("GET", NP + "?resourceVersion=%s&resourceVersionMatch=Exact" % lrv)
    check("list at a compacted exact RV -> 410 Expired", code == 410 and js["reason"] == "Expired",
          js)
    # live event delivery while the stream is open
    import threading
    out = {}

    def bg():
        out["r"] = f.watch_raw(NP + "?watch=1&timeoutSeconds=2&resourceVersion=" +
                               f.req("GET", NP)[1]["metadata"]["resourceVersion"])
    t = threading.Thread(target=bg)
    t.start()
    time.sleep(0.5)
    f.req("POST", NP, pol("live"))
    t.join()
    ev = events(out["r"][1])
    check("live watch sees a create made while streaming", [e["type"] for e in ev] == ["ADDED"] and
          ev[0]["object"]["kind"] == "NetworkPolicy", ev)

    # --- robustness
    s = socket.create_connection(("127.0.0.1", f.port))
    s.sendall(b"\x16\x03\x01garbage-not-tls")
    s.close()
    for path, body in (("/api/v1/namespaces/shop/pods", b"{not json"),
                       ("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies", b"[1,2]")):
        code, js, _, _ = f.req("POST", path, body)
        check("malformed body %s -> 400 Status" % body[:8], code == 400 and js["kind"] == "Status",
              (code, js))
    code, js, _, _ = f.req("GET", "/api/v1/pods?limit=abc")
    check("bad limit -> 400", code == 400, js)
    code, js, _, _ = f.req("GET", "/api/v1/namespaces")
    check("server alive after garbage", code == 200, js)
    log = f.ctl("GET", "/__fake/requests")["requests"]
    check("request log records method/path/params/user/code",
          any(r["method"] == "POST" and r["path"] == NP and r["user"] == "admin" and
              r["code"] == 201 for r in log), log[-3:])


if __name__ == "__main__":
    sys.exit(main())
