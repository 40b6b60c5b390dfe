#!/usr/bin/env bash
# `npm run test:image` builds the image with buildah and runs it with podman, no Docker engine
# needed, on a base made with debootstrap (scripts/image-base.sh). Install them from Debian's
# packages when missing (exit 1 naming them when that cannot be done).
set -euo pipefail
bash "$(dirname "$0")/ensure-debian-packages.sh" 'image tools' buildah podman debootstrap runc
echo "--- image tools: $(buildah --version | cut -d' ' -f1-3), $(podman --version), runc $(runc --version | head -1 | cut -d' ' -f3)"
