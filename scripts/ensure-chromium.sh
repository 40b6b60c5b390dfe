#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core (no browser download). When it
# cannot be installed, the tests say they skip.
set -euo pipefail
bash "$(dirname "$0")/ensure-debian-packages.sh" 'chromium (the browser tests)' chromium ||
  echo "--- chromium: browser tests will be skipped"
