# Sourced by the bench scripts that start `netpolgen serve` in the background.
#
#   url=$(wait_for_serve_url OUT_FILE ERR_FILE SECONDS) || exit 1
#
# The URL serve prints on OUT_FILE once it listens ("netpolgen serve: listening on http://…/"),
# polled every 0.05 s for at most SECONDS; without one, ERR_FILE goes to stderr and it fails.
wait_for_serve_url() {
    local out=$1 err=$2 tries=$(($3 * 20)) url
    for _ in $(seq 1 "$tries"); do
        grep -q 'listening on' "$out" && break
        sleep 0.05
    done
    url=$(grep -o 'http://[^ ]*' "$out" | head -1)
    [ -n "$url" ] || { cat "$err" >&2; return 1; }
    echo "$url"
}
