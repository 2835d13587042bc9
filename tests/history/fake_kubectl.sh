#!/usr/bin/env bash
# A stand-in for kubectl in the history tests: it keeps NetworkPolicies as files in a directory
# ("the cluster") and logs every call, so tests can check which calls netpolgen made, in which
# order, and what the cluster looks like afterwards.
#
#   FAKE_KUBECTL_DIR      the cluster: one file NAMESPACE/NAME.yaml per NetworkPolicy (required)
#   FAKE_KUBECTL_LOG      appends "argv: ARGS" and, for -f -, the YAML read from stdin
#   FAKE_KUBECTL_FAIL_ON  fail every call on the policy of this name, as the API server would
#                         (exit 1, "Error from server (Forbidden): …" on stderr)
#   FAKE_KUBECTL_DELAY    seconds every call takes (the kill -9 test lands kills between calls)
#
# Supported: [--context CTX] create -f - | replace -f - | delete networkpolicy -n NS -- NAME |
# label --overwrite namespace -- NS KEY=VALUE: names only after "--", as netpolgen passes them so
# that kubectl never reads a name as a flag. Anything else exits 2.
set -u
dir=${FAKE_KUBECTL_DIR:?FAKE_KUBECTL_DIR must name the cluster directory}
log=${FAKE_KUBECTL_LOG:-/dev/null}
echo "argv: $*" >> "$log"
[ -z "${FAKE_KUBECTL_DELAY:-}" ] || sleep "$FAKE_KUBECTL_DELAY"
if [ "${1:-}" = --context ]; then
    shift 2
fi

# metadata.name and metadata.namespace of the YAML netpolgen writes (two-space indentation).
field() {
    sed -n "s/^  $1: *//p" "$2" | head -1 | tr -d "\"'"
}

fail_if_asked() {  # name
    if [ -n "${FAKE_KUBECTL_FAIL_ON:-}" ] && [ "$1" = "$FAKE_KUBECTL_FAIL_ON" ]; then
        echo "Error from server (Forbidden): networkpolicies.networking.k8s.io \"$1\" is forbidden: injected failure" >&2
        exit 1
    fi
}

from_stdin() {  # verb
    local tmp ns name
    tmp=$(mktemp)
    cat > "$tmp"
    cat "$tmp" >> "$log"
    ns=$(field namespace "$tmp")
    name=$(field name "$tmp")
    fail_if_asked "$name"
    local file="$dir/$ns/$name.yaml"
    if [ "$1" = create ] && [ -e "$file" ]; then
        echo "Error from server (AlreadyExists): error when creating \"STDIN\": networkpolicies.networking.k8s.io \"$name\" already exists" >&2
        rm -f "$tmp"; exit 1
    fi
    if [ "$1" = replace ] && [ ! -e "$file" ]; then
        echo "Error from server (NotFound): error when replacing \"STDIN\": networkpolicies.networking.k8s.io \"$name\" not found" >&2
        rm -f "$tmp"; exit 1
    fi
    mkdir -p "$dir/$ns"
    mv "$tmp" "$file"
    echo "networkpolicy.networking.k8s.io/$name ${1}d"
}

case "${1:-} ${2:-}" in
    "create -f" | "replace -f")
        [ "${3:-}" = - ] || { echo "fake kubectl: only -f - is supported" >&2; exit 2; }
        from_stdin "$1"
        ;;
    "delete networkpolicy")
        if [ "${3:-}" != -n ] || [ "${5:-}" != -- ] || [ $# != 6 ]; then
            echo "fake kubectl: delete networkpolicy -n NS -- NAME" >&2
            exit 2
        fi
        fail_if_asked "$6"
        if [ ! -e "$dir/$4/$6.yaml" ]; then
            echo "Error from server (NotFound): networkpolicies.networking.k8s.io \"$6\" not found" >&2
            exit 1
        fi
        rm "$dir/$4/$6.yaml"
        echo "networkpolicy.networking.k8s.io \"$6\" deleted"
        ;;
    "label --overwrite")
        if [ "${3:-}" != namespace ] || [ "${4:-}" != -- ] || [ $# != 6 ]; then
            echo "fake kubectl: label --overwrite namespace -- NS KEY=VALUE" >&2
            exit 2
        fi
        mkdir -p "$dir/_namespaces"
        echo "$6" >> "$dir/_namespaces/$5.labels"
        echo "namespace/$5 labeled"
        ;;
    *)
        echo "fake kubectl: unsupported call: $*" >&2
        exit 2
        ;;
esac
