#!/usr/bin/env bash
# Installs the Debian packages whose commands are missing, when we are root on Debian; otherwise
# names what is missing and exits 1, so the caller can say what it skips.
# Usage: ensure-debian-packages.sh <what they are for> <command>[=<package>]...
set -euo pipefail
purpose=$1
shift
missing=()
for spec in "$@"; do
  command -v "${spec%%=*}" >/dev/null 2>&1 || missing+=("${spec#*=}")
done
if ((${#missing[@]} == 0)); then
  echo "--- $purpose: installed"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "--- $purpose: installing ${missing[*]} from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "--- $purpose: ${missing[*]} not installed and cannot install (needs root on Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
