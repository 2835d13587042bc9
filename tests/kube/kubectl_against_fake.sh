#!/bin/bash
# kubectl_against_fake.sh [BIN-IGNORED]
# Proves tests/kube/fake_apiserver.py faithful by driving it with the REAL kubectl.
# The first argument (a netpolgen binary path, when run from CTest) is ignored.
# Exit 0 only if every check passes; each check prints "PASS name" or "FAIL name: why".
# Needs: /usr/bin/python3 (+python3-yaml), openssl, kubectl, curl.  Runtime ~20-30 s.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
FAKE="$HERE/fake_apiserver.py"
KUBECTL=${KUBECTL:-kubectl}
command -v "$KUBECTL" >/dev/null || { echo "SKIP: kubectl not installed"; exit 77; }
kubectl() { command "$KUBECTL" "$@"; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

WORK=$(mktemp -d /tmp/kubectl-fake.XXXXXX)
D="$WORK/a"      # main fake (cert with IP SAN)
D2="$WORK/b"     # second fake, --server-name-only
cleanup() {
    # start_fake runs in a command substitution (a subshell), so the pids live in files
    for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

PASSED=0; FAILED=0; FAILS=()
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); FAILS+=("$1"); }

start_fake() { # dir extra-args...
    local dir=$1; shift
    mkdir -p "$dir"
    "$PY" "$FAKE" --dir "$dir" "$@" >"$dir.stdout" 2>"$dir.stderr" &
    echo $! > "$dir.pid"
    for _ in $(seq 1 100); do
        if grep -q '^fake-apiserver: listening on https://127.0.0.1:' "$dir.stdout" 2>/dev/null; then
            sed -n 's/^fake-apiserver: listening on //p' "$dir.stdout"
            return 0
        fi
        sleep 0.1
    done
    echo "fake did not start: $(cat "$dir.stderr")" >&2
    return 1
}

URL=$(start_fake "$D" --objects "$HERE/objects.yaml") || { echo "FAIL start"; exit 1; }
URL2=$(start_fake "$D2" --server-name-only --objects "$HERE/objects.yaml") || { echo "FAIL start2"; exit 1; }
echo "fake: $URL  (server-name-only fake: $URL2)"
[ "$(wc -l < "$D.stdout")" = 1 ] && pass "startup prints exactly one line" || fail "startup line" "$(cat "$D.stdout")"

kc() { # kubeconfig-name args...
    local cfg=$1; shift
    kubectl --kubeconfig "$D/$cfg" --cache-dir "$WORK/cache-$cfg" "$@"
}
K() { kc kubeconfig-token "$@"; }
ctl() { # method path [json]
    curl -sS -k -X "$1" "$URL$2" ${3:+-H 'Content-Type: application/json' -d "$3"}
}
reqlog() { ctl GET /__fake/requests; }
clearlog() { ctl DELETE /__fake/requests >/dev/null; }
jsonq() { "$PY" -c "import json,sys; d=json.load(sys.stdin); $1"; }
api() { # method path [curl args...]  -> body, then last line HTTP code
    local m=$1 p=$2; shift 2
    curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer admin-token" -X "$m" \
        -w '\n%{http_code}' "$URL$p" "$@"
}

cat > "$WORK/pol.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
  labels: {owner: netpolgen}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 8080, protocol: TCP}]
EOF
sed 's/8080/8081/' "$WORK/pol.yaml" > "$WORK/pol-v2.yaml"
sed 's/8080/9999/' "$WORK/pol.yaml" > "$WORK/pol-other.yaml"
sed 's/allow-web/created-pol/' "$WORK/pol.yaml" > "$WORK/created.yaml"
sed 's/allow-web/watched-pol/' "$WORK/pol.yaml" > "$WORK/watched.yaml"

# 1. get pods -A -----------------------------------------------------------------------------------
out=$(K get pods -A -o wide 2>&1)
n=$(echo "$out" | grep -c -- '-[0-9a-f]\{5\}-.*Running.*10\.0\.')
if [ "$n" = 5 ] && echo "$out" | head -1 | grep -q 'NAMESPACE *NAME *READY *STATUS'; then pass "kubectl get pods -A (5 pods, server-side Table columns)"
else fail "kubectl get pods -A" "$out"; fi

# 2. get deploy,svc,netpol -A -o json ---------------------------------------------------------------
out=$(K get deploy,svc,netpol -A -o json 2>&1)
kinds=$(echo "$out" | jsonq 'print(",".join(sorted(i["kind"] for i in d["items"])))' 2>&1)
if [ "$kinds" = "Deployment,Deployment,Deployment,NetworkPolicy,Service,Service" ]; then
    pass "kubectl get deploy,svc,netpol -A -o json parses ($kinds)"
else fail "get -o json" "$kinds"; fi

# 3. watch ------------------------------------------------------------------------------------------
timeout 8 kubectl --kubeconfig "$D/kubeconfig-token" --cache-dir "$WORK/cache-w" \
    get networkpolicies -A -w --output-watch-events > "$WORK/watch.out" 2>&1 &
WPID=$!
for _ in $(seq 1 50); do grep -q default-deny "$WORK/watch.out" 2>/dev/null && break; sleep 0.1; done
K create -f "$WORK/watched.yaml" >/dev/null 2>&1
sleep 0.3
ctl POST /__fake/objects '{"op":"delete","apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","namespace":"shop","name":"watched-pol"}' >/dev/null
for _ in $(seq 1 50); do grep -q 'DELETED.*watched-pol' "$WORK/watch.out" 2>/dev/null && break; sleep 0.1; done
kill $WPID 2>/dev/null; wait $WPID 2>/dev/null
if grep -q 'ADDED.*default-deny' "$WORK/watch.out" && grep -q 'ADDED.*watched-pol' "$WORK/watch.out" \
    && grep -q 'DELETED.*watched-pol' "$WORK/watch.out"; then
    pass "kubectl get networkpolicies -A -w saw ADDED (kubectl create) and DELETED (control endpoint)"
else fail "watch" "$(cat "$WORK/watch.out")"; fi
if reqlog | jsonq 'import sys; sys.exit(0 if any(r["params"].get("watch")=="true" and r["params"].get("resourceVersion") for r in d["requests"]) else 1)'; then
    pass "watch request carried watch=true&resourceVersion=<list RV>"
else fail "watch request params" "no watch request with resourceVersion"; fi

# 4. server-side apply ------------------------------------------------------------------------------
clearlog
out=$(K apply --server-side -f "$WORK/pol.yaml" 2>&1)
code=$(reqlog | jsonq 'print([r["code"] for r in d["requests"] if r["method"]=="PATCH"][-1])')
ctype=$(reqlog | jsonq 'print([r["contentType"] for r in d["requests"] if r["method"]=="PATCH"][-1])')
if echo "$out" | grep -q 'serverside-applied' && [ "$code" = 201 ] && [ "$ctype" = application/apply-patch+yaml ]; then
    pass "kubectl apply --server-side creates (201, application/apply-patch+yaml)"
else fail "ssa create" "$out code=$code ctype=$ctype"; fi
clearlog
out=$(K apply --server-side -f "$WORK/pol-v2.yaml" 2>&1)
code=$(reqlog | jsonq 'print([r["code"] for r in d["requests"] if r["method"]=="PATCH"][-1])')
port=$(K get netpol allow-web -n shop -o jsonpath='{.spec.ingress[0].ports[0].port}' 2>&1)
if [ "$code" = 200 ] && [ "$port" = 8081 ]; then pass "kubectl apply --server-side updates (200, port 8081)"
else fail "ssa update" "$out code=$code port=$port"; fi
out=$(K apply --server-side --field-manager=other -f "$WORK/pol-other.yaml" 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q 'Apply failed with 1 conflict: conflict with "kubectl" using networking.k8s.io/v1: .spec.ingress'; then
    pass "apply by another field manager without --force-conflicts fails with FieldManagerConflict"
else fail "ssa conflict" "rc=$rc $out"; fi
out=$(K apply --server-side --field-manager=other --force-conflicts -f "$WORK/pol-other.yaml" 2>&1); rc=$?
port=$(K get netpol allow-web -n shop -o jsonpath='{.spec.ingress[0].ports[0].port}' 2>&1)
mgrs=$(K get netpol allow-web -n shop -o jsonpath='{.metadata.managedFields[*].manager}' --show-managed-fields 2>&1)
if [ $rc = 0 ] && [ "$port" = 9999 ]; then pass "apply --force-conflicts takes ownership (managers: $mgrs)"
else fail "ssa force" "rc=$rc port=$port $out"; fi
out=$(K apply --server-side --dry-run=server -f "$WORK/pol.yaml" --force-conflicts 2>&1)
port=$(K get netpol allow-web -n shop -o jsonpath='{.spec.ingress[0].ports[0].port}' 2>&1)
if echo "$out" | grep -q 'server dry run' && [ "$port" = 9999 ]; then pass "apply --dry-run=server does not store"
else fail "dry run" "$out port=$port"; fi

# 5. kubectl create -f ------------------------------------------------------------------------------
out=$(K create -f "$WORK/created.yaml" 2>&1)
out2=$(K create -f "$WORK/created.yaml" 2>&1); rc2=$?
if echo "$out" | grep -q 'networkpolicy.networking.k8s.io/created-pol created' && [ $rc2 != 0 ] \
    && echo "$out2" | grep -q 'AlreadyExists.*networkpolicies.networking.k8s.io "created-pol" already exists'; then
    pass "kubectl create -f (then AlreadyExists on repeat)"
else fail "create" "$out / $out2"; fi
sed 's/name: created-pol/name: Bad_Name/' "$WORK/created.yaml" > "$WORK/bad.yaml"
out=$(K create -f "$WORK/bad.yaml" 2>&1)
# kubectl rewrites 422 Invalid errors from details.kind/causes: 'The NetworkPolicy "Bad_Name" is invalid: ...'
if echo "$out" | grep -q 'The NetworkPolicy "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'; then
    pass "invalid name -> 422 Invalid (details.causes) shown by kubectl"
else fail "invalid" "$out"; fi

# 6. kubectl delete ---------------------------------------------------------------------------------
out=$(K delete networkpolicy created-pol -n shop 2>&1)
out2=$(K delete networkpolicy created-pol -n shop 2>&1); rc2=$?
if echo "$out" | grep -q '"created-pol" deleted' && [ $rc2 != 0 ] && echo "$out2" | grep -q 'NotFound'; then
    pass "kubectl delete networkpolicy (then NotFound)"
else fail "delete" "$out / $out2"; fi

# 7. kubectl label namespace ------------------------------------------------------------------------
clearlog
out=$(K label namespace shop netpolgen.io/zone=dmz 2>&1)
lab=$(K get ns shop -o jsonpath='{.metadata.labels.netpolgen\.io/zone}' 2>&1)
ct=$(reqlog | jsonq 'print([r["contentType"] for r in d["requests"] if r["method"]=="PATCH"][-1])')
if echo "$out" | grep -q 'namespace/shop labeled' && [ "$lab" = dmz ] && [ "$ct" = application/merge-patch+json ]; then
    pass "kubectl label namespace (merge-patch)"
else fail "label" "$out lab=$lab ct=$ct"; fi
out=$(K label namespace shop netpolgen.io/zone- 2>&1)
lab=$(K get ns shop -o jsonpath='{.metadata.labels.netpolgen\.io/zone}' 2>&1)
if echo "$out" | grep -q 'unlabeled' && [ -z "$lab" ]; then pass "kubectl label namespace key- removes (null in merge patch)"
else fail "unlabel" "$out lab=$lab"; fi

# 8. pagination -------------------------------------------------------------------------------------
clearlog
out=$(K get pods -A --chunk-size=2 -o name 2>&1)
n=$(echo "$out" | grep -c '^pod/')
pages=$(reqlog | jsonq 'rs=[r for r in d["requests"] if r["path"]=="/api/v1/pods"]; print(len(rs), sum(1 for r in rs if r["params"].get("limit")=="2"), sum(1 for r in rs if r["params"].get("continue")), sum(1 for r in rs if r["params"].get("continue") and r["params"].get("resourceVersion")))')
if [ "$n" = 5 ] && [ "$pages" = "3 3 2 0" ]; then pass "kubectl get pods -A --chunk-size=2: 5 pods in 3 pages (limit=2, continue, no RV with continue)"
else fail "pagination" "n=$n pages(total,limit,continue,rv+continue)=$pages"; fi
ctl POST /__fake/faults '{"emptyPageFirst":true}' >/dev/null
out=$(K get pods -A --chunk-size=2 -o name 2>&1)
n=$(echo "$out" | grep -c '^pod/')
if [ "$n" = 5 ]; then pass "pagination with an empty first page carrying continue"
else fail "empty page" "$out"; fi

# 9. the kubeconfig auth flavours -------------------------------------------------------------------
lastuser() { reqlog | jsonq 'r=[r for r in d["requests"] if r["path"]=="/api/v1/namespaces"][-1]; print(r["user"], r["auth"], r["code"])'; }
clearlog; out=$(kc kubeconfig-cert get ns -o name 2>&1); u=$(lastuser)
if echo "$out" | grep -q namespace/shop && [ "$u" = "admin cert 200" ]; then pass "kubeconfig-cert (client certificate -> user admin)"
else fail "cert" "$out / $u"; fi
clearlog; out=$(kc kubeconfig-tokenfile get ns -o name 2>&1); u=$(lastuser)
if echo "$out" | grep -q namespace/shop && [ "$u" = "tokenfile-user token 200" ]; then pass "kubeconfig-tokenfile (tokenFile)"
else fail "tokenfile" "$out / $u"; fi
clearlog; rm -f "$D/exec-plugin.log"; out=$(kc kubeconfig-exec get ns -o name 2>&1); u=$(lastuser)
calls=$(wc -l < "$D/exec-plugin.log" 2>/dev/null || echo 0)
if echo "$out" | grep -q namespace/shop && [ "$u" = "exec-user token 200" ] && [ "$calls" -ge 1 ]; then
    pass "kubeconfig-exec (exec plugin v1 called $calls time(s) for one kubectl run)"
else fail "exec" "$out / $u / calls=$calls"; fi
# exec token rotation: the fake revokes the old exec token; a new kubectl run re-executes the plugin
ctl POST /__fake/faults '{"rotateExecToken":"exec-token-2"}' >/dev/null
out=$(kc kubeconfig-exec get ns -o name 2>&1); calls2=$(wc -l < "$D/exec-plugin.log")
if echo "$out" | grep -q namespace/shop && [ "$calls2" -gt "$calls" ]; then pass "kubeconfig-exec after token rotation (plugin re-run, new token accepted)"
else fail "exec rotation" "$out calls=$calls2"; fi
clearlog; out=$(kc kubeconfig-token get ns -o name 2>&1); u=$(lastuser)
if echo "$out" | grep -q namespace/shop && [ "$u" = "admin token 200" ]; then pass "kubeconfig-token (bearer token)"
else fail "token" "$out / $u"; fi
out=$(kc kubeconfig-insecure get ns -o name 2>&1)
if echo "$out" | grep -q namespace/shop; then pass "kubeconfig-insecure (insecure-skip-tls-verify)"
else fail "insecure" "$out"; fi
# token file rotation: the old token is revoked -> a new kubectl run reads the new file
ctl POST /__fake/faults '{"rotateTokenFile":"file-token-2"}' >/dev/null
out=$(kc kubeconfig-tokenfile get ns -o name 2>&1)
if echo "$out" | grep -q namespace/shop; then pass "rotated tokenFile is picked up"
else fail "tokenfile rotation" "$out"; fi
sed 's/admin-token/no-such-token/' "$D/kubeconfig-token" > "$D/kubeconfig-bad"
out=$(kc kubeconfig-bad get ns -o name 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q 'You must be logged in to the server (the server has asked for the client to provide credentials)'; then pass "unknown token -> 401 Unauthorized"
else fail "401" "$out"; fi

# 10. tls-server-name with --server-name-only ------------------------------------------------------
kc2() { local cfg=$1; shift; kubectl --kubeconfig "$D2/$cfg" --cache-dir "$WORK/cache2-$cfg" "$@"; }
out=$(kc2 kubeconfig-servername get ns -o name 2>&1)
if echo "$out" | grep -q namespace/shop; then pass "server-name-only: kubeconfig with tls-server-name works"
else fail "tls-server-name" "$out"; fi
out=$(kc2 kubeconfig-token get ns -o name 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -qiE 'x509|certificate'; then
    pass "server-name-only: without tls-server-name verification fails ($(echo "$out" | grep -oE "x509: [^\"]*" | head -1))"
else fail "no tls-server-name" "$out"; fi

# 11. 403 forbid fault ------------------------------------------------------------------------------
ctl POST /__fake/faults '{"forbid":[{"user":"admin","verb":"create","resource":"networkpolicies","namespace":"shop"}]}' >/dev/null
sed 's/allow-web/forbidden-pol/' "$WORK/pol.yaml" > "$WORK/forbidden.yaml"
out=$(K create -f "$WORK/forbidden.yaml" 2>&1); rc=$?
want='networkpolicies.networking.k8s.io is forbidden: User "admin" cannot create resource "networkpolicies" in API group "networking.k8s.io" in the namespace "shop"'
if [ $rc != 0 ] && echo "$out" | grep -qF "$want"; then pass "403 forbid fault: kubectl prints the Forbidden message"
else fail "403" "$out"; fi
out=$(K auth can-i create networkpolicies -n shop 2>&1)
out2=$(K auth can-i create networkpolicies -n backend 2>&1)
if [ "$out" = no ] && [ "$out2" = yes ]; then pass "kubectl auth can-i follows the forbid rules (SelfSubjectAccessReview)"
else fail "can-i" "$out / $out2"; fi
ctl POST /__fake/faults '{"forbid":[]}' >/dev/null

# 12. 429 with Retry-After --------------------------------------------------------------------------
clearlog
ctl POST /__fake/faults '{"status429":{"count":2,"retryAfter":1,"path_prefix":"/api/v1/pods"}}' >/dev/null
t0=$(date +%s.%N)
out=$(K get pods -A -o name 2>&1); rc=$?
t1=$(date +%s.%N)
codes=$(reqlog | jsonq 'print(" ".join(str(r["code"]) for r in d["requests"] if r["path"]=="/api/v1/pods"))')
el=$("$PY" -c "print('%.1f' % ($t1 - $t0))")
if [ $rc = 0 ] && [ "$(echo "$out" | grep -c '^pod/')" = 5 ] && [ "$codes" = "429 429 200" ] \
    && "$PY" -c "import sys; sys.exit(0 if $el >= 2.0 else 1)"; then
    pass "429 + Retry-After: 1 (x2): kubectl waited and retried (codes: $codes, ${el}s)"
else fail "429" "rc=$rc codes=$codes el=$el $out"; fi

# 13. protocol details checked with curl (Status bodies, discovery, list options) ------------------
body=$(api GET /apis/route.openshift.io/v1)
[ "$(echo "$body" | tail -1)" = 404 ] && echo "$body" | head -1 | grep -q '404 page not found' \
    && pass "absent group -> 404 text body" || fail "404 group" "$body"
body=$(api GET '/api/v1/pods?limit=2')
tok=$(echo "$body" | sed '$d' | jsonq 'print(d["metadata"]["continue"])')
kind=$(echo "$body" | sed '$d' | jsonq 'print(d["kind"], "kind" in d["items"][0], d["metadata"]["remainingItemCount"])')
[ "$kind" = "PodList False 3" ] && pass "list: PodList, items without kind, remainingItemCount" || fail "list shape" "$kind"
body=$(api GET "/api/v1/pods?limit=2&continue=$tok&resourceVersion=5")
echo "$body" | tail -1 | grep -q 400 && echo "$body" | sed '$d' | grep -q 'specifying resource version is not allowed when using continue' \
    && pass "continue + resourceVersion -> 400" || fail "continue+rv" "$body"
ctl POST /__fake/faults '{"expireContinue":true}' >/dev/null
body=$(api GET "/api/v1/pods?limit=2&continue=$tok")
r=$(echo "$body" | sed '$d' | jsonq 'print(d["code"], d["reason"], bool(d["metadata"].get("continue")))')
[ "$r" = "410 Expired True" ] && pass "expired continue -> 410 Expired with a new continue token" || fail "expire" "$body"
body=$(api GET "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/nope")
r=$(echo "$body" | sed '$d' | jsonq 'print(d["kind"], d["status"], d["reason"], d["code"], d["details"]["kind"], d["message"])')
[ "$r" = 'Status Failure NotFound 404 networkpolicies networkpolicies.networking.k8s.io "nope" not found' ] \
    && pass "404 Status body shape" || fail "404 status" "$r"
body=$(api PATCH "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/x" -H 'Content-Type: application/apply-patch+yaml' --data-binary $'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}}\n')
echo "$body" | tail -1 | grep -q 422 && echo "$body" | grep -q 'fieldManager: Required value: is required for apply patch' \
    && pass "apply without fieldManager -> 422" || fail "ssa 422" "$body"
body=$(curl -sS --cacert "$D/ca.crt" -w '\n%{http_code}' "$URL/api/v1/pods")
echo "$body" | tail -1 | grep -q 401 && echo "$body" | grep -q '"reason":"Unauthorized"' \
    && pass "no credentials -> 401 Status" || fail "401 anon" "$body"
# watch stream: RV too old -> 410; synthetic ADDED with kind on objects; timeoutSeconds ends cleanly
ctl POST /__fake/faults '{"compact":true}' >/dev/null
body=$(api GET '/apis/networking.k8s.io/v1/networkpolicies?watch=1&resourceVersion=1')
echo "$body" | tail -1 | grep -q 410 && echo "$body" | grep -q 'too old resource version' \
    && pass "watch with compacted RV -> HTTP 410 Expired" || fail "watch 410" "$body"
t0=$(date +%s)
body=$(api GET '/apis/networking.k8s.io/v1/networkpolicies?watch=true&timeoutSeconds=1&allowWatchBookmarks=true' --max-time 10)
r=$(echo "$body" | sed '$d' | "$PY" -c 'import json,sys; ev=[json.loads(l) for l in sys.stdin if l.strip()]; print(" ".join(e["type"] for e in ev), all("kind" in e["object"] for e in ev))')
[ "$r" = "ADDED ADDED BOOKMARK True" ] && [ $(( $(date +%s) - t0 )) -le 4 ] \
    && pass "watch: synthetic ADDED with kind/apiVersion, BOOKMARK, clean end at timeoutSeconds" || fail "watch stream" "$r"
# malformed requests never crash the fake
printf 'GARBAGE\r\n\r\n' | timeout 5 openssl s_client -quiet -connect "${URL#https://}" 2>/dev/null | head -c 300 > "$WORK/garbage.out"
body=$(api GET '/api/v1/pods?labelSelector=app%20in%20(web')
if grep -q '"kind":"Status"' "$WORK/garbage.out" && echo "$body" | tail -1 | grep -q 400 \
    && K get ns -o name >/dev/null 2>&1; then pass "malformed request line / selector -> 400 Status, server still alive"
else fail "malformed" "$(cat "$WORK/garbage.out") / $body"; fi

echo
echo "kubectl_against_fake: $PASSED passed, $FAILED failed ($(kubectl version --client 2>/dev/null | head -1))"
[ $FAILED = 0 ] || { echo "failed: ${FAILS[*]}"; echo "fake stderr:"; tail -20 "$D.stderr"; exit 1; }
exit 0
