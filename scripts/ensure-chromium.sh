#!/usr/bin/env bash
# The dashboard's browser test drives Debian's Chromium through playwright-core (no browser
# download). Install it when missing and we are root on Debian; otherwise the test says it skips.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then echo "--- chromium: $(command -v chromium)"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "--- chromium: installing from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "--- chromium: not installed and cannot install (not root on Debian); browser tests will be skipped"
fi
