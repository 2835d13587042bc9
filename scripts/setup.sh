#!/usr/bin/env bash
# The README's first command: installs what netpolgen needs, builds it (build/netpolgen) and runs
# the bundled demo (Online Boutique with several days of Hubble traffic). It also bundles the portal
# (web/dist) that `build/netpolgen serve --demo` shows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build --preset release
echo
build/netpolgen demo
