#!/usr/bin/env bash
# netpolgen reading a live cluster through the fake API server (tests/kube/fake_apiserver.py, proven
# against the real kubectl by kubectl_against_fake.sh): Online Boutique's manifests served by the
# fake, then
#   - generate --kubeconfig prints the bytes generate --cluster prints for the same manifests, for
#     every way of authenticating (token, client certificate, token file, exec plugin, insecure,
#     tls-server-name on a server whose certificate has only a DNS name) and --in-cluster;
#   - snapshot --kubeconfig, then generate --db: the same bytes again;
#   - by default each kind's list asks the watch cache (resourceVersion=0, which ignores limit): one
#     request per kind even with --kube-page-size 3;
#   - paging (--kube-consistent-read --kube-page-size 3: limit/continue, no resourceVersion at
#     all), an empty first page, an expired continue token (listed again whole), a server ignoring
#     limit;
#   - 429 with Retry-After is waited out; a 403 on list networkpolicies, a revoked token and a
#     server certificate that does not match are one clear error each (exit 2), without retries.
#
#   tests/kube/live_cluster_test.sh path/to/netpolgen
set -u
bin=${1:?usage: live_cluster_test.sh path/to/netpolgen}
source "$(dirname "$0")/script_lib.sh" netpolgen-live

# The kinds the fake serves, from Online Boutique's manifests (ServiceAccounts left out).
/usr/bin/python3 - "$shared/samples/online-boutique/kubernetes-manifests.yaml" "$tmp/objects.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") in ("Deployment", "Service")]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF
manifests=$shared/samples/online-boutique/kubernetes-manifests.yaml
flows=$root/demo/online-boutique/flows.jsonl

requests() { curl -sk "$url/__fake/requests"; }
clear_requests() { curl -sk -X DELETE "$url/__fake/requests" > /dev/null; }

fake=$tmp/fake
start_fake "$fake"
"$bin" generate --cluster "$manifests" --flows "$flows" -q > "$tmp/from-file.yaml" || exit 1
[ -s "$tmp/from-file.yaml" ] || exit 1

same_as_file() {  # kubeconfig-or-args… → generate through the API equals generate --cluster
    "$bin" generate "$@" --flows "$flows" -q > "$tmp/live.yaml" 2> "$tmp/err" && cmp -s "$tmp/live.yaml" "$tmp/from-file.yaml" ||
        { sed 's/^/    /' "$tmp/err" | head -5; false; }
}
for auth in token cert tokenfile exec insecure servername; do
    check "generate --kubeconfig kubeconfig-$auth = generate --cluster (same bytes)" same_as_file --kubeconfig "$fake/kubeconfig-$auth"
done
check "the exec plugin ran once for a whole run (credential cached)" [ "$(wc -l < "$fake/exec-plugin.log")" = 1 ]
KUBECONFIG=$tmp/none:$fake/kubeconfig-cert check "KUBECONFIG list + --context" same_as_file --context "$(sed -n 's/^current-context: *//p' "$fake/kubeconfig-cert")"

mkdir -p "$tmp/sa"
cp "$fake/ca.crt" "$tmp/sa/ca.crt"
echo admin-token > "$tmp/sa/token"
echo netpolgen > "$tmp/sa/namespace"
port=${url##*:}
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$port NETPOLGEN_SERVICE_ACCOUNT_DIR=$tmp/sa \
    check "--in-cluster (service account token and CA)" same_as_file --in-cluster

"$bin" snapshot --db "$tmp/s.db" --kubeconfig "$fake/kubeconfig-token" -q
check "snapshot --kubeconfig exits 0" [ $? = 0 ]
"$bin" ingest --db "$tmp/s.db" --flows "$flows" -q
"$bin" generate --db "$tmp/s.db" -q > "$tmp/db.yaml"
check "snapshot --kubeconfig, ingest, generate --db = generate --cluster" cmp -s "$tmp/db.yaml" "$tmp/from-file.yaml"

# The other commands that read a cluster: the same bytes from the API as from the file.
same_command() {  # description, command args… (the cluster source is appended)
    local what=$1
    shift
    "$bin" "$@" --cluster "$manifests" > "$tmp/want" 2>/dev/null
    "$bin" "$@" --kubeconfig "$fake/kubeconfig-token" > "$tmp/got" 2> "$tmp/err"
    check "$what --kubeconfig = --cluster" bash -c "[ -s '$tmp/want' ] && cmp -s '$tmp/want' '$tmp/got'"
}
same_command "connectivity --format json" connectivity -q --format json
same_command "simulate --apply" simulate -q --format json --flows "$flows" --apply "$tmp/from-file.yaml"
same_command "compare --apply" compare -q --format json --apply "$tmp/from-file.yaml"
same_command "explain" explain --src default/frontend --dst default/cartservice --port 7070
"$bin" snapshot --db "$tmp/i.db" --cluster "$manifests" -q
"$bin" ingest --db "$tmp/i.db" --kubeconfig "$fake/kubeconfig-token" --flows "$flows" -q
"$bin" generate --db "$tmp/i.db" -q > "$tmp/ingested.yaml"
check "ingest --kubeconfig resolves as ingest against the snapshot" cmp -s "$tmp/ingested.yaml" "$tmp/from-file.yaml"

clear_requests
check "from the watch cache with --kube-page-size 3" same_as_file --kubeconfig "$fake/kubeconfig-token" --kube-page-size 3
requests > "$tmp/requests.json"
check "one request per kind, each with resourceVersion=0, no continue" /usr/bin/python3 - "$tmp/requests.json" <<'EOF'
import json, sys
reqs = json.load(open(sys.argv[1]))["requests"]
lists = [r for r in reqs if r["method"] == "GET" and r["path"] != "/apis"]
deployments = [r for r in lists if r["path"].endswith("/deployments")]
ok = len(deployments) == 1 and all("resourceVersion=0" in r["query"] and "continue=" not in r["query"]
                                   for r in lists)
sys.exit(0 if ok else 1)
EOF

clear_requests
paged="--kube-consistent-read --kube-page-size 3"
check "paging with --kube-consistent-read --kube-page-size 3" same_as_file --kubeconfig "$fake/kubeconfig-token" $paged
requests > "$tmp/requests.json"
check "limit=3 and continue were sent, never a resourceVersion" /usr/bin/python3 - "$tmp/requests.json" <<'EOF'
import json, sys
reqs = json.load(open(sys.argv[1]))["requests"]
lists = [r for r in reqs if r["path"].endswith("/deployments")]
conts = [r for r in reqs if "continue=" in r["query"]]
ok = lists and all("limit=3" in r["query"] for r in lists) and len(conts) >= 3 and \
    not any("resourceVersion=" in r["query"] for r in reqs)
sys.exit(0 if ok else 1)
EOF

faults '{"emptyPageFirst": 3}'
check "an empty first page with a continue token" same_as_file --kubeconfig "$fake/kubeconfig-token" $paged
faults '{"expireContinue": 1}'
check "an expired continue token: listed again whole, same bytes" same_as_file --kubeconfig "$fake/kubeconfig-token" $paged
faults '{"expireContinue": 1}'
"$bin" generate --kubeconfig "$fake/kubeconfig-token" $paged --flows "$flows" > /dev/null 2> "$tmp/err"
check "… and said so" grep -q "continue token expired; listed again in one request" "$tmp/err"
faults '{"ignoreLimit": true}'
check "a server that ignores limit" same_as_file --kubeconfig "$fake/kubeconfig-token" $paged
faults '{"ignoreLimit": null}'

faults '{"status429": {"count": 2, "retryAfter": 1, "path_prefix": "/apis/apps/v1/deployments"}}'
started=$(date +%s%N)
check "429 with Retry-After: 1 twice is waited out" same_as_file --kubeconfig "$fake/kubeconfig-token"
check "… for at least 2 s" [ $(( ($(date +%s%N) - started) / 1000000 )) -ge 2000 ]

faults '{"forbid": [{"user": "admin", "verb": "list", "resource": "networkpolicies"}]}'
"$bin" generate --kubeconfig "$fake/kubeconfig-token" --flows "$flows" -q > "$tmp/out" 2> "$tmp/err"
status=$?
check "403 on list networkpolicies: exit 2" [ "$status" = 2 ]
check "… one line naming the verb, resource and the API server's message" grep -qx "netpolgen: $url: cannot list networkpolicies (403 Forbidden): networkpolicies.networking.k8s.io is forbidden: User \"admin\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope" "$tmp/err"
check "… and nothing on stdout" [ ! -s "$tmp/out" ]
faults '{"forbid": []}'

faults '{"revokeToken": "admin-token"}'
clear_requests
"$bin" generate --kubeconfig "$fake/kubeconfig-token" --flows "$flows" -q > /dev/null 2> "$tmp/err"
status=$?
check "a revoked token: exit 2" [ "$status" = 2 ]
check "… one clear error" grep -q "(401 Unauthorized).*credentials were refused" "$tmp/err"
check "… after one request, not a stack of retries" [ "$(requests | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')" = 1 ]

# serve on a live cluster: a snapshot of it is stored at start (the store created), and served.
"$bin" serve --db "$tmp/serve.db" --kubeconfig "$fake/kubeconfig-cert" --listen 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
serve_url=$(sed -n 's/^netpolgen serve: listening on //p' "$tmp/serve.out")
check "serve --kubeconfig starts on a new store" [ -n "$serve_url" ]
check "… after storing a snapshot of the live cluster" grep -q '^netpolgen serve: snapshot 1 of the watched cluster "default" stored' "$tmp/serve.err"
curl -s "${serve_url}v1/networkpolicies/generate/default?includePorts=true" > "$tmp/api.json"
"$bin" generate --cluster "$manifests" --no-traffic -q > "$tmp/no-traffic.yaml"
check "… its generate answer is generate --cluster's (no traffic stored yet)" /usr/bin/python3 -c "import json,sys; sys.exit(0 if json.load(open('$tmp/api.json'))['modification']['applyYaml'] == open('$tmp/no-traffic.yaml').read() else 1)"
kill "$serve_pid"

# Applying through the API server (--kube): dry run first, all or nothing, recorded; revert.
# (admin-token was revoked above: the client certificate of user admin from here on)
generated() {  # how many generated policies the fake holds
    curl -sk "$url/__fake/objects" | /usr/bin/python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin)["items"] if o.get("kind") == "NetworkPolicy" and o["metadata"]["name"].startswith("stackrox-generated-")))'
}
creates=$(grep -c '^kind: NetworkPolicy' "$tmp/from-file.yaml")
"$bin" snapshot --db "$tmp/k.db" --kubeconfig "$fake/kubeconfig-cert" -q
"$bin" apply --db "$tmp/k.db" "$tmp/from-file.yaml" --kube --kubeconfig "$fake/kubeconfig-cert" --user ci > "$tmp/out" 2> "$tmp/err"
check "apply --kube exits 0" [ $? = 0 ]
check "… recorded, via the API server" grep -q "^recorded apply #1 .*: $creates created, 0 replaced, 0 deleted, via the API server$" "$tmp/out"
check "… the cluster holds the $creates policies" [ "$(generated)" = "$creates" ]
"$bin" revert --db "$tmp/k.db" --kube --kubeconfig "$fake/kubeconfig-cert" > "$tmp/out" 2> "$tmp/err"
check "revert --kube: exit 0, policies deleted" [ $? = 0 ] && [ "$(generated)" = 0 ]

# The third real create fails (the fake's fault counts stored creates, not the dry run's): the two
# before are deleted again, nothing is recorded.
faults '{"failCreateNth": 3}'
"$bin" apply --db "$tmp/k.db" "$tmp/from-file.yaml" --kube --kubeconfig "$fake/kubeconfig-cert" > "$tmp/out" 2> "$tmp/err"
check "an apply whose third create is refused exits 1" [ $? = 1 ]
check "… two creates rolled back" [ "$(grep -c '^rolled back: deleted networkpolicy' "$tmp/out")" = 2 ]
check "… the cluster holds none of them" [ "$(generated)" = 0 ]
check "… nothing recorded" bash -c "[ \"\$('$bin' history --db '$tmp/k.db' --format json | grep -c '\"id\"')\" = 2 ]"
check "… and said why" grep -q "cannot create networkpolicies in namespace default (500" "$tmp/err"

# A create the API server refuses (RBAC) is found by the dry run: nothing changes at all.
faults '{"failCreateNth": null, "forbid": [{"user": "admin", "verb": "create", "resource": "networkpolicies", "namespace": "default"}]}'
clear_requests
"$bin" apply --db "$tmp/k.db" "$tmp/from-file.yaml" --kube --kubeconfig "$fake/kubeconfig-cert" > "$tmp/out" 2> "$tmp/err"
check "a create refused by RBAC: exit 1, found by the dry run" grep -q "nothing changed: the API server refused the dry run" "$tmp/err"
check "… only dry-run writes were sent" bash -c "! curl -sk '$url/__fake/requests' | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if any(r[\"method\"] != \"GET\" and \"dryRun=All\" not in r[\"query\"] for r in json.load(sys.stdin)[\"requests\"]) else 1)'"
faults '{"forbid": []}'

names=$tmp/names
start_fake "$names" --server-name-only
"$bin" generate --kubeconfig "$names/kubeconfig-token" --flows "$flows" -q > /dev/null 2> "$tmp/err"
check "a certificate without the URL's host name is refused (exit 2)" [ $? = 2 ]
check "… with curl's TLS reason" grep -qi "certificate\|SSL" "$tmp/err"
check "tls-server-name makes it work" same_as_file --kubeconfig "$names/kubeconfig-servername"

"$bin" generate --kubeconfig "$fake/kubeconfig-token" --cluster "$manifests" --flows "$flows" -q > /dev/null 2> "$tmp/err"
check "--cluster with --kubeconfig is refused" grep -q "two cluster sources" "$tmp/err"

# A hostile or broken server answering without end: refused at 256 MiB, not kept in memory.
/usr/bin/python3 - "$tmp/endless.port" <<'EOF2' &
import http.server, sys
class Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b" " * (1 << 20)
        try:
            for _ in range(2048):
                self.wfile.write(chunk)
        except OSError:
            pass
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Endless)
open(sys.argv[1], "w").write(str(server.server_port))
server.handle_request()
EOF2
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/endless.port" ] && break; sleep 0.1; done
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: e\n  cluster: {server: "http://127.0.0.1:%s"}\ncontexts:\n- name: e\n  context: {cluster: e, user: u}\ncurrent-context: e\nusers:\n- name: u\n  user: {token: t}\n' "$(cat "$tmp/endless.port")" > "$tmp/endless.kubeconfig"
/usr/bin/time -f %M -o "$tmp/rss" "$bin" generate --kubeconfig "$tmp/endless.kubeconfig" --no-traffic -q > /dev/null 2> "$tmp/err"
check "an endless answer is refused at 256 MiB" grep -q "larger than 256 MiB; refused" "$tmp/err"
check "… in bounded memory (the server would send 2 GiB)" [ "$(tail -1 "$tmp/rss")" -lt 1572864 ]

echo "live cluster: $pass passed, $fail failed"
[ "$fail" = 0 ]
