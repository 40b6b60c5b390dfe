#!/usr/bin/env bash
# `npm run test:image` builds the image with buildah and runs it with podman, no Docker engine
# needed, on a base made with debootstrap (scripts/image-base.sh). Install them from Debian's
# packages when missing and we are root on Debian; otherwise say what is missing and exit 1.
set -euo pipefail
tools=(buildah podman debootstrap runc)
missing=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done

if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "--- image tools: installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tools[@]}" >/dev/null
  else
    echo "--- image tools: ${missing[*]} not installed and cannot install them (needs root on Debian: apt-get install ${tools[*]})" >&2
    exit 1
  fi
fi
echo "--- image tools: $(buildah --version | cut -d' ' -f1-3), $(podman --version), runc $(runc --version | head -1 | cut -d' ' -f3)"
