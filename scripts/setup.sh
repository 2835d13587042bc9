#!/usr/bin/env bash
# The README's first command: installs what netpolgen needs, builds it (build/netpolgen) and runs
# the bundled demo (Online Boutique with several days of Hubble traffic). It also bundles the portal
# (web/dist) that `build/netpolgen serve --demo` shows.
#
#   bash scripts/setup.sh            # ends with the demo's policies and how to open the portal
#   bash scripts/setup.sh --serve    # then also starts the portal on the demo (Ctrl-C stops it)
set -euo pipefail
serve=0
case "${1:-}" in
    --serve) serve=1 ;;
    "") ;;
    *) echo "usage: bash scripts/setup.sh [--serve]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build --preset release
echo
build/netpolgen demo
echo
echo "The portal (network graph and policy generator) on the same demo:"
echo "  build/netpolgen serve --demo      # prints the URL to open, http://127.0.0.1:8080/"
if [ "$serve" = 1 ]; then
    exec build/netpolgen serve --demo
fi
