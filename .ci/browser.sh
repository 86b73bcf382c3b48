#!/usr/bin/env bash
# Browser tests: installs Debian's Chromium if missing (playwright-core drives it; no browser is
# downloaded), installs e2e/'s pinned packages, builds the binary and runs `node --test`.
# Screenshots of the main pages and the axe-core summary land in e2e/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(
  cd e2e
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
)
cargo build -q -p parindex
cd e2e
node --test --test-concurrency=1 --test-timeout=600000 tests/
