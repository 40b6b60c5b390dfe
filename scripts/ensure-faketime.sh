#!/usr/bin/env bash
# The year-ahead run (scripts/run-tests.js --clock) moves the tests' clock with libfaketime, from
# Debian's package `faketime`. Install it when missing and we are root on Debian; otherwise say so
# (.ci/run then skips that run, naming why).
set -euo pipefail
if command -v faketime >/dev/null 2>&1; then echo "--- faketime: $(command -v faketime)"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "--- faketime: installing from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
else
  echo "--- faketime: not installed and cannot install (not root on Debian)"
  exit 1
fi
