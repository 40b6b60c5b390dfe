#!/usr/bin/env bash
# The year-ahead run (scripts/run-tests.js --clock) moves the tests' clock with libfaketime, from
# Debian's package `faketime`; exits 1 when it cannot be had (.ci/run then skips that run, naming why).
set -euo pipefail
bash "$(dirname "$0")/ensure-debian-packages.sh" 'faketime (the year-ahead test run)' faketime
