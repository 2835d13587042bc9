#!/usr/bin/env bash
# The README's first command: installs what netpolgen needs, builds it (build/netpolgen) and runs
# the bundled demo (Online Boutique with several days of Hubble traffic).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
echo
build/netpolgen demo
