#!/usr/bin/env bash
# `netpolgen collect --kafka` as a process (the data path is tested in-process against librdkafka's
# mock cluster: tests/unit/kafka_collect_test.cpp): options refused with exit 2 and a message; an
# unreachable broker is retried, each kind of error printed once, and SIGTERM still ends collect
# with exit 0 and its status line; the same against librdkafka's in-process mock cluster
# (test.mock.num.brokers), where the group is joined and the partitions assigned.
#
#   tests/collect/kafka_test.sh path/to/netpolgen
set -euo pipefail

bin=$(cd "$(dirname "${1:?usage: kafka_test.sh path/to/netpolgen}")" && pwd)/$(basename "$1")
lib=$(cd "$(dirname "$0")" && pwd)/collect_lib.sh
tmp=$(mktemp -d /tmp/netpolgen-kafka.XXXXXX)
collect_pid=
trap 'if [ -n "$collect_pid" ]; then kill -9 "$collect_pid" 2> /dev/null || true; fi; rm -rf "$tmp"' EXIT
cd "$tmp"
# shellcheck source=tests/collect/collect_lib.sh
source "$lib"

make_cluster > cluster.yaml
"$bin" snapshot --db k.db --cluster cluster.yaml --cluster-name prod -q

# ---- options ------------------------------------------------------------------------------------
refused() {  # expected message, then the collect arguments
    local want=$1
    shift
    local rc=0
    "$bin" collect --db k.db --cluster-name prod "$@" 2> refused.err || rc=$?
    [ "$rc" = 2 ] || failed "collect $*: exit $rc, expected 2"
    grep -qF -- "$want" refused.err || failed "collect $*: no \"$want\" in: $(cat refused.err)"
}
refused "--topic and --group are required" --kafka 127.0.0.1:1 --group g
refused "--topic and --group are required" --kafka 127.0.0.1:1 --topic t
refused "excludes" --kafka 127.0.0.1:1 --topic t --group g \
    --follow events.log
refused "enable.auto.commit: set by netpolgen" --kafka 127.0.0.1:1 --topic t --group g \
    --kafka-property enable.auto.commit=true
refused "KEY=VALUE" --kafka 127.0.0.1:1 --topic t --group g --kafka-property nonsense

# ---- runs until SIGTERM ---------------------------------------------------------------------------
run_then_term() {  # log, seconds, collect arguments…
    local log=$1 seconds=$2
    shift 2
    "$bin" collect --db k.db --cluster-name prod --topic hubble-flows --group netpolgen \
        --commit-interval 300ms --status "$@" 2> "$log" &
    collect_pid=$!
    sleep "$seconds"
    kill -TERM "$collect_pid"
    local rc=0
    wait "$collect_pid" || rc=$?
    collect_pid=
    [ "$rc" = 0 ] || failed "collect $*: exit $rc after SIGTERM: $(tail -3 "$log")"
    tail -1 "$log" | grep -q "^netpolgen collect: 0 flows read, 0 committed" ||
        failed "collect $*: no final status line: $(tail -3 "$log")"
}

# Nothing listens on port 1: librdkafka retries; "brokers are down" is printed once, not per retry.
run_then_term unreachable.log 3 --kafka 127.0.0.1:1
[ "$(grep -c "brokers are down" unreachable.log)" = 1 ] ||
    failed "unreachable broker: \"brokers are down\" not printed exactly once: $(cat unreachable.log)"
grep -q "kafka 127.0.0.1:1 topic hubble-flows: .*Connection refused" unreachable.log ||
    failed "unreachable broker: the error does not name the broker and topic: $(cat unreachable.log)"

# librdkafka's own mock cluster in the process: the group is joined (first join ~3 s), then SIGTERM.
run_then_term mock.log 5 --kafka 127.0.0.1:1 --kafka-property test.mock.num.brokers=1
grep -q "brokers are down" mock.log && failed "mock cluster: brokers down: $(cat mock.log)"

if [ "$fail" -gt 0 ]; then
    echo "collect --kafka: $fail failure(s)"
    exit 1
fi
echo "collect --kafka: ok (options, unreachable broker, SIGTERM)"
