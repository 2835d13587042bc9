#!/usr/bin/env bash
# `netpolgen serve` as a process: the listening line (port 0 → the real port), a request, a clean
# stop on SIGTERM, and the start-up refusals (bad token file, no tokens off loopback, a notifier id
# both in the --notifiers file and in the store).
set -u
bin=${1:?usage: run.sh path/to/netpolgen}
here=$(cd "$(dirname "$0")" && pwd)
fixture="$here/../golden/multi-ns"
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
check() { if [ "$1" = ok ]; then :; else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

"$bin" snapshot --db "$tmp/s.db" --cluster "$fixture/cluster.yaml" -q || exit 1
"$bin" ingest --db "$tmp/s.db" --flows "$fixture/flows.jsonl" -q || exit 1

printf 'abc read\nxyz admin\n' > "$tmp/tokens"
chmod 644 "$tmp/tokens"
"$bin" serve --db "$tmp/s.db" --listen 127.0.0.1:0 --token-file "$tmp/tokens" > "$tmp/out" 2> "$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$tmp/out" && break; sleep 0.1; done
url=$(sed -n 's/^netpolgen serve: listening on \(http:\/\/127\.0\.0\.1:[0-9][0-9]*\/\)$/\1/p' "$tmp/out")
[ -n "$url" ] && check ok || check fail "no listening line: $(cat "$tmp/out" "$tmp/err")"
[ "${url%/}" != "http://127.0.0.1:0" ] && check ok || check fail "port 0 printed"
grep -qF "warning: $tmp/tokens can be read by other users" "$tmp/err" && check ok ||
    check fail "no warning for a token file readable by others: $(cat "$tmp/err")"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "${url}v1/networkpolicies/history/default")
[ "$code" = 401 ] && check ok || check fail "history without token: $code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Authorization: Bearer abc' \
    "${url}v1/networkpolicies/generate/default")
[ "$code" = 200 ] && grep -q applyYaml "$tmp/body" && check ok || check fail "generate: $code"
# curl -d sends application/x-www-form-urlencoded: refused (415) like a form of another site.
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Authorization: Bearer xyz' -d '{}' "${url}v1/notifiers")
[ "$code" = 415 ] && check ok || check fail "form-encoded POST: $code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Authorization: Bearer xyz' \
    -H 'Content-Type: application/json' -d '{"id":"ops","name":"ops","type":"slack","slack":{"webhookUrl":"https://hooks.slack.com/services/T/B/s3cret"}}' \
    "${url}v1/notifiers")
[ "$code" = 201 ] && ! grep -q s3cret "$tmp/body" && check ok || check fail "create notifier: $code"
kill -TERM "$pid"
wait "$pid"
status=$?
pid=""
[ "$status" = 0 ] && check ok || check fail "exit status after SIGTERM: $status"

printf 'abc read\nxyz write\n' > "$tmp/bad-tokens"
"$bin" serve --db "$tmp/s.db" --listen 127.0.0.1:0 --token-file "$tmp/bad-tokens" > /dev/null 2> "$tmp/err"
status=$?
[ "$status" = 2 ] && grep -qF "$tmp/bad-tokens:2: unknown role" "$tmp/err" && check ok ||
    check fail "bad token file: status $status, $(cat "$tmp/err")"
"$bin" serve --db "$tmp/s.db" --listen 0.0.0.0:0 > /dev/null 2> "$tmp/err"
status=$?
[ "$status" = 2 ] && grep -q -- "--token-file" "$tmp/err" && check ok ||
    check fail "no tokens off loopback: status $status, $(cat "$tmp/err")"

# A name that reads like loopback but does not resolve to it: tokens needed, and a warning that
# they travel in clear text (the name does not resolve here, so nothing is bound).
chmod 600 "$tmp/tokens"
"$bin" serve --db "$tmp/s.db" --listen 127.evil.example:0 > /dev/null 2> "$tmp/err"
grep -q -- "--token-file" "$tmp/err" && check ok ||
    check fail "127.evil.example counted as loopback: $(cat "$tmp/err")"
"$bin" serve --db "$tmp/s.db" --listen 127.evil.example:0 --token-file "$tmp/tokens" > /dev/null 2> "$tmp/err"
grep -q "warning: tokens are sent in clear text" "$tmp/err" && ! grep -q "can be read by other" "$tmp/err" &&
    check ok || check fail "no clear-text warning off loopback: $(cat "$tmp/err")"

"$bin" serve --db "$tmp/missing.db" --listen 127.0.0.1:0 > /dev/null 2> "$tmp/err"
status=$?
[ "$status" = 2 ] && grep -q "no such store" "$tmp/err" && [ ! -e "$tmp/missing.db" ] && check ok ||
    check fail "missing store: status $status, $(cat "$tmp/err")"

# The notifier created above is in the store: a file naming the same id is refused at start-up.
printf 'notifiers:\n- {id: ops, name: ops, type: teams, teams: {webhookUrl: "https://x.example/y"}}\n' \
    > "$tmp/notifiers.yaml"
"$bin" serve --db "$tmp/s.db" --listen 127.0.0.1:0 --notifiers "$tmp/notifiers.yaml" > /dev/null 2> "$tmp/err"
status=$?
[ "$status" = 2 ] && grep -q 'notifier id "ops" is also a notifier created through the API' "$tmp/err" &&
    check ok || check fail "notifier id in the file and the store: status $status, $(cat "$tmp/err")"

[ "$fail" = 0 ] && echo "serve: all checks passed" || echo "serve: $fail failed"
[ "$fail" = 0 ]
