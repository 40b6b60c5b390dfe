#!/usr/bin/env bash
# Installs the Debian packages whose commands are missing, when we are root on Debian; otherwise
# names what is missing and exits 1, so the caller can say what it skips.
# Usage: ensure-debian-packages.sh <what they are for> <command>[=<package>]...
#        ensure-debian-packages.sh <what they are for> --missing <package>...
#          (the caller has checked: a package with no command, such as a Python module)
set -euo pipefail
purpose=$1
shift
missing=()
if [ "${1:-}" = --missing ]; then
  shift
  missing=("$@")
else
  for spec in "$@"; do
    command -v "${spec%%=*}" >/dev/null 2>&1 || missing+=("${spec#*=}")
  done
fi
if ((${#missing[@]} == 0)); then
  echo "--- $purpose: installed"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "--- $purpose: installing ${missing[*]} from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "--- $purpose: ${missing[*]} not installed and cannot install (needs root on Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
