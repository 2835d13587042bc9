#!/usr/bin/env bash
# Bundles the portal that `netpolgen serve` gives at /: installs web/'s npm packages at the exact
# versions of web/package-lock.json (npm ci), then bundles web/src into web/dist with esbuild
# (web/build.mjs). Called by setup.sh and test.sh; the page then loads nothing from the network.
set -euo pipefail
cd "$(dirname "$0")/../web"
command -v npm >/dev/null || { echo "build-web: npm not found (Node.js 18 or newer)" >&2; exit 1; }
# --prefer-offline: the npm cache is enough when these versions were installed before.
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
node build.mjs
