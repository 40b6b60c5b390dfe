#!/usr/bin/env bash
# The quality benchmark's tree reference (bench/trainer/trees.py) needs scikit-learn, which is not a
# dependency of the project: Debian's python3-sklearn, installed when we are root on Debian;
# otherwise says so and exits 1 (the benchmark then reports the reference as unavailable).
set -euo pipefail
for python in ${BENCH_PYTHON:-} /usr/bin/python3 python3; do
  if "$python" -c 'import sklearn' >/dev/null 2>&1; then
    echo "--- scikit-learn (the trainer benchmark's tree reference): installed for $python"
    exit 0
  fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "--- scikit-learn (the trainer benchmark's tree reference): installing python3-sklearn from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn >/dev/null
else
  echo "--- scikit-learn: not installed and cannot install (needs root on Debian: apt-get install python3-sklearn)" >&2
  exit 1
fi
