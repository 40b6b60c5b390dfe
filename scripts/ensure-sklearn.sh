#!/usr/bin/env bash
# The quality benchmark's tree reference (bench/trainer/trees.py) needs scikit-learn, which is not a
# dependency of the project: Debian's python3-sklearn, installed when we are root on Debian;
# otherwise says so and exits 1 (the benchmark then reports the reference as unavailable).
set -euo pipefail
purpose="scikit-learn (the trainer benchmark's tree reference)"
for python in ${BENCH_PYTHON:-} /usr/bin/python3 python3; do
  if "$python" -c 'import sklearn' >/dev/null 2>&1; then
    echo "--- $purpose: installed for $python"
    exit 0
  fi
done
# A Python module has no command for ensure-debian-packages.sh to look for: name it as missing.
bash "$(dirname "$0")/ensure-debian-packages.sh" "$purpose" --missing python3-sklearn
