#!/usr/bin/env bash
# netpolgen changing a live cluster through the fake API server (tests/kube/fake_apiserver.py),
# beyond apply/revert --kube (live_cluster_test.sh):
#   - delete-generated --kube deletes exactly the generated policies (a hand-written one stays),
#     after a StackRox backup copy of each (generateName deleted-NAME-, podSelector label
#     network-policies.stackrox.io/disable: nomatch, annotations deleted / original-name /
#     apply-timestamp, label apply-id), records it, and revert --kube brings them back (the
#     backups stay, as StackRox's); without --db it is refused, --dry-run changes nothing,
#     --no-backup makes no copy;
#   - a failure after some deletes (the Nth create, a backup, refused; a DELETE refused with 403
#     after the dry run) rolls back everything done, backups included, and records nothing;
#   - serve --kubeconfig: the apply endpoint creates the policies in the cluster and records, the
#     revert endpoint removes them and records; a 403 of the API server is a JSON 502 naming the
#     verb and resource, with nothing changed or recorded; two applies at once: one wins.
#
#   tests/kube/live_writes_test.sh path/to/netpolgen
set -u
bin=${1:?usage: live_writes_test.sh path/to/netpolgen}
source "$(dirname "$0")/script_lib.sh" netpolgen-writes

# Online Boutique's Deployments and Services, plus one NetworkPolicy written by hand.
/usr/bin/python3 - "$shared/samples/online-boutique/kubernetes-manifests.yaml" "$tmp/objects.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") in ("Deployment", "Service")]
docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "by-hand", "namespace": "default", "labels": {"team": "shop"}},
             "spec": {"podSelector": {"matchLabels": {"app": "redis-cart"}}, "policyTypes": ["Ingress"]}})
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
manifests=$shared/samples/online-boutique/kubernetes-manifests.yaml
flows=$root/demo/online-boutique/flows.jsonl

policies() {  # the fake's NetworkPolicies as JSON lines
    curl -sk "$url/__fake/objects" | /usr/bin/python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    if o.get("kind") == "NetworkPolicy":
        print(json.dumps(o))'
}
count() {  # name prefix → how many policies the fake holds with it
    policies | /usr/bin/python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["metadata"]["name"].startswith(sys.argv[1])))' "$1"
}
records() { "$bin" history --db "$1" --format json | grep -c '"id"'; }

fake=$tmp/fake
start_fake "$fake"
kc=$fake/kubeconfig-cert
"$bin" generate --cluster "$manifests" --flows "$flows" -q > "$tmp/policies.yaml" || exit 1
n=$(grep -c '^kind: NetworkPolicy' "$tmp/policies.yaml")
db=$tmp/d.db
"$bin" snapshot --db "$db" --kubeconfig "$kc" -q || exit 1
"$bin" apply --db "$db" "$tmp/policies.yaml" --kube --kubeconfig "$kc" > /dev/null 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
check "apply --kube created the $n generated policies" [ "$(count stackrox-generated-)" = "$n" ]

"$bin" delete-generated --kube --kubeconfig "$kc" > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube without --db: exit 2" [ $? = 2 ]
check "… naming --db" grep -q "pass --db" "$tmp/err"

"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" --dry-run > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube --dry-run: exit 0" [ $? = 0 ]
check "… would delete the $n generated policies" [ "$(grep -c '^would delete networkpolicy default/stackrox-generated-' "$tmp/out")" = "$n" ]
check "… and changed nothing" [ "$(count stackrox-generated-)" = "$n" ] && [ "$(count deleted-)" = 0 ]

"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" --user ci > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube: exit 0" [ $? = 0 ] || sed 's/^/    /' "$tmp/err"
check "… recorded as an apply that deletes $n" grep -q "^recorded apply #2 .*: 0 created, 0 replaced, $n deleted, via the API server$" "$tmp/out"
check "… said which backups it made" [ "$(grep -c '^backed up networkpolicy default/stackrox-generated-.* as default/deleted-stackrox-generated-' "$tmp/out")" = "$n" ]
check "… no generated policy is left" [ "$(count stackrox-generated-)" = 0 ]
check "… the policy written by hand is left" [ "$(count by-hand)" = 1 ]
policies > "$tmp/after.jsonl"
check "… one backup per deleted policy, as StackRox makes them" /usr/bin/python3 - "$tmp/after.jsonl" "$n" <<'PY'
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
backups = [o for o in objs if o["metadata"]["name"].startswith("deleted-")]
ids = set()
ok = len(backups) == int(sys.argv[2])
for b in backups:
    md, spec = b["metadata"], b["spec"]
    orig = md["annotations"].get("network-policies.stackrox.io/original-name", "")
    ok &= md["name"].startswith("deleted-" + orig + "-") and orig.startswith("stackrox-generated-")
    ok &= spec["podSelector"]["matchLabels"].get("network-policies.stackrox.io/disable") == "nomatch"
    ok &= re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", md["annotations"].get("network-policies.stackrox.io/apply-timestamp", "")) is not None
    ok &= "restore" in md["annotations"].get("network-policies.stackrox.io/deleted", "")
    ok &= md["labels"].get("network-policy-generator.stackrox.io/generated") == "true"
    ok &= spec.get("policyTypes") == ["Ingress"]
    ids.add(md["labels"].get("network-policies.stackrox.io/apply-id"))
ok &= len(ids) == 1 and None not in ids and len(next(iter(ids))) == 36
sys.exit(0 if ok else 1)
PY

"$bin" revert --db "$db" --kube --kubeconfig "$kc" > "$tmp/out" 2> "$tmp/err"
check "revert --kube after delete-generated: exit 0" [ $? = 0 ]
check "… the $n generated policies are back" [ "$(count stackrox-generated-)" = "$n" ]
check "… the backups stay (not part of the undo, as StackRox)" [ "$(count deleted-)" = "$n" ]
"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" --dry-run > "$tmp/out" 2> "$tmp/err"
check "backups are not generated policies to delete again" [ "$(grep -c '^would delete' "$tmp/out")" = "$n" ]

# The third create (a backup) fails: the two policies deleted before are re-created and their
# backups removed; nothing recorded.
before=$(records "$db")
faults '{"failCreateNth": 3}'
"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube whose third backup is refused: exit 1" [ $? = 1 ]
check "… said why" grep -q "cannot back up networkpolicy default/stackrox-generated-.*(500" "$tmp/err"
check "… the two deletes rolled back" [ "$(grep -c '^rolled back: created networkpolicy' "$tmp/out")" = 2 ]
check "… and their backups removed" [ "$(grep -c '^rolled back: deleted backup networkpolicy default/deleted-' "$tmp/out")" = 2 ]
check "… the cluster is as before" [ "$(count stackrox-generated-)" = "$n" ] && [ "$(count deleted-)" = "$n" ]
check "… nothing recorded" [ "$(records "$db")" = "$before" ]
faults '{"failCreateNth": null}'

# A DELETE refused (403) after the dry run passed: the third policy's. Its backup is removed at
# once, the two before are rolled back with theirs.
third=$(policies | /usr/bin/python3 -c '
import json, sys
print(sorted(n for n in (json.loads(l)["metadata"]["name"] for l in sys.stdin) if n.startswith("stackrox-generated-"))[2])')
faults "{\"respond\": [{\"count\": 1, \"dryRun\": false, \"code\": 403, \"method\": \"DELETE\", \"path_prefix\": \"/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/$third\"}]}"
"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" > "$tmp/out" 2> "$tmp/err"
check "a DELETE refused with 403 after the dry run: exit 1" [ $? = 1 ]
check "… named with the verb and resource" grep -q "cannot delete networkpolicies.*(403 Forbidden)" "$tmp/err"
check "… its own backup removed" grep -q "^deleted backup networkpolicy default/deleted-$third-" "$tmp/out"
check "… the two before rolled back with their backups" [ "$(grep -c '^rolled back: deleted backup' "$tmp/out")" = 2 ]
check "… the cluster is as before" [ "$(count stackrox-generated-)" = "$n" ] && [ "$(count deleted-)" = "$n" ]
check "… nothing recorded" [ "$(records "$db")" = "$before" ]

"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" --no-backup > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube --no-backup: exit 0, no new backup" [ $? = 0 ] && [ "$(count stackrox-generated-)" = 0 ] && [ "$(count deleted-)" = "$n" ]
check "… recorded" [ "$(records "$db")" = $((before + 1)) ]
"$bin" delete-generated --kube --db "$db" --kubeconfig "$kc" > "$tmp/out" 2> "$tmp/err"
check "delete-generated --kube with none left: exit 0, nothing recorded" [ $? = 0 ] && [ "$(records "$db")" = $((before + 1)) ]

# serve on the live cluster (a fresh fake): apply and revert through the API server.
fake2=$tmp/fake2
start_fake "$fake2"
printf 'admin-secret admin alice\nread-secret read bob\n' > "$tmp/tokens"
chmod 600 "$tmp/tokens"
"$bin" serve --db "$tmp/serve.db" --kubeconfig "$fake2/kubeconfig-cert" --listen 127.0.0.1:0 --token-file "$tmp/tokens" > "$tmp/serve.out" 2> "$tmp/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
api=$(sed -n 's/^netpolgen serve: listening on //p' "$tmp/serve.out")
check "serve --kubeconfig started" [ -n "$api" ]
post() {  # token, path, body file[, answer file] → HTTP status; body in $tmp/answer
    curl -s -o "${4:-$tmp/answer}" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/yaml' --data-binary "@$3" "${api}v1/networkpolicies/$2"
}
field() { /usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"a": a}))' "$tmp/answer" "$1"; }
check "apply with a read token: 403" [ "$(post read-secret apply/default "$tmp/policies.yaml")" = 403 ]
check "… nothing created" [ "$(count stackrox-generated-)" = 0 ]
check "apply with the admin token: 200" [ "$(post admin-secret apply/default "$tmp/policies.yaml")" = 200 ]
check "… applied to the cluster and recorded" [ "$(field 'a["appliedToCluster"], a["applyId"], a["counts"]["created"]')" = "(True, 1, $n)" ]
check "… the fake holds the $n policies" [ "$(count stackrox-generated-)" = "$n" ]
check "… serve logged each create" [ "$(grep -c '^netpolgen serve: apply: created networkpolicy default/stackrox-generated-' "$tmp/serve.err")" = "$n" ]
: > "$tmp/empty"
check "revert with the admin token: 200" [ "$(post admin-secret revert/default "$tmp/empty")" = 200 ]
check "… applied and recorded as a revert" [ "$(field 'a["appliedToCluster"], a["applyId"], a["counts"]["deleted"]')" = "(True, 2, $n)" ]
check "… the fake holds none of them" [ "$(count stackrox-generated-)" = 0 ]
curl -s -H 'Authorization: Bearer read-secret' "${api}v1/networkpolicies/history/default" > "$tmp/answer"
check "… the history lists both" [ "$(field '[x["action"] for x in a["applies"]]')" = "['apply', 'revert']" ]

faults '{"forbid": [{"user": "admin", "verb": "create", "resource": "networkpolicies", "namespace": "default"}]}'
check "an apply the API server forbids: 502" [ "$(post admin-secret apply/default "$tmp/policies.yaml")" = 502 ]
check "… a JSON error naming the verb, resource and refusal" /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
sys.exit(0 if a["code"] == 502 and "cannot create networkpolicies" in a["error"] and "403 Forbidden" in a["error"] and "nothing recorded" in a["error"] else 1)' "$tmp/answer"
check "… nothing created" [ "$(count stackrox-generated-)" = 0 ]
curl -s -H 'Authorization: Bearer read-secret' "${api}v1/networkpolicies/history/default" > "$tmp/answer"
check "… nothing recorded" [ "$(field 'len(a["applies"])')" = 2 ]
faults '{"forbid": []}'

# Two applies at once: serialized, so one creates everything and the other is 409.
post admin-secret apply/default "$tmp/policies.yaml" "$tmp/a1" > "$tmp/s1" &
p1=$!
post admin-secret apply/default "$tmp/policies.yaml" "$tmp/a2" > "$tmp/s2" &
p2=$!
wait $p1 $p2
statuses=$(printf '%s\n%s\n' "$(cat "$tmp/s1")" "$(cat "$tmp/s2")" | sort | tr '\n' ' ')
check "two applies at once: one 200 and one 409 (got $statuses)" [ "$statuses" = "200 409 " ]
check "… the 409 was planned after the first was recorded (the policies exist in the history)" bash -c "cat '$tmp/a1' '$tmp/a2' | grep -q 'does not apply to cluster.*already exists'"
check "… the fake holds the $n policies once" [ "$(count stackrox-generated-)" = "$n" ]
curl -s -H 'Authorization: Bearer read-secret' "${api}v1/networkpolicies/history/default" > "$tmp/answer"
check "… one more record" [ "$(field 'len(a["applies"])')" = 3 ]

echo "live writes: $pass passed, $fail failed"
[ "$fail" = 0 ]
