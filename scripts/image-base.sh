#!/usr/bin/env bash
# Makes the base image the Dockerfile names (node:<major>-<suite>-slim) on a machine that reaches
# no container registry, only Debian's mirror and the npm registry: the same layout as Docker's
# official image, built from the same parts.
#   - Debian: debootstrap --variant=minbase, then what debian:<suite>-slim adds (debuerreotype's
#     dpkg path excludes for docs, man pages and locales, its apt settings, deb822 sources).
#   - Node: the binary of the npm package node-linux-<arch> in /usr/local/bin, the npm release that
#     Node version bundles in /usr/local/lib/node_modules/npm, user and group node (uid/gid 1000).
# The root file system is cached as a tarball keyed by Node version and architecture
# (BREWSTREAM_IMAGE_CACHE, default ~/.cache/brewstream-image), so only the first run takes about a
# minute and a half. The image is tagged with the official name (docker.io/library/node:...), so
# `buildah bud --pull=never` builds the Dockerfile as written.
#
# Behind a TLS-inspecting proxy npm inside the build needs the proxy's CA: when NODE_EXTRA_CA_CERTS
# names a bundle on this machine, the base gets a copy at /usr/local/share/build-ca/ca-bundle.pem
# (a path the image's ca-certificates package never rewrites, unlike /etc/ssl/certs) and
# NODE_EXTRA_CA_CERTS pointing at it, as a company's own base image would.
#
# Environment: NODE_VERSION (exact, default the newest of the Dockerfile's major), DEBIAN_MIRROR
# (default the first Debian mirror in /etc/apt/sources.list*), BREWSTREAM_IMAGE_CACHE. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[image-base %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "$*"; exit 1; }

[[ $(id -u) == 0 ]] || fail "needs root: debootstrap, chroot and podman's rootful storage (where buildah builds)"

from=$(grep -m1 -E '^FROM node:' Dockerfile | awk '{print $2}')
[[ $from =~ ^node:([0-9]+)-([a-z]+)-slim$ ]] || fail "the Dockerfile's base '$from' is not node:<major>-<suite>-slim"
major=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}
base=docker.io/library/$from
cache=${BREWSTREAM_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/brewstream-image}

arch=$(dpkg --print-architecture)
case $arch in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *) fail "no Node build for architecture $arch" ;;
esac

newest() { # the highest version in `npm view ... version --json` (a string or an array)
  node -e 'const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const key = (s) => s.split(".").map(Number);
    v.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    console.log(v.at(-1));'
}
node_version=${NODE_VERSION:-$(npm view "node-linux-${node_arch}@${major}" version --json | newest)}
[[ -n $node_version ]] || fail "no node-linux-${node_arch}@${major} on the npm registry"

ca_file=${NODE_EXTRA_CA_CERTS:-}
ca_id=none
if [[ -n $ca_file && -f $ca_file ]]; then ca_id=$(sha256sum "$ca_file" | cut -c1-16); fi

label() { podman image inspect -f "{{index .Labels \"$1\"}}" "$base" 2>/dev/null || true; }
if [[ $(label brewstream.node-version) == "$node_version" && $(label brewstream.build-ca) == "$ca_id" ]]; then
  log "$base: node $node_version, already here"
  exit 0
fi

mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -v '^[[:space:]]*#' | grep -o -E 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)
  echo "${found:-http://deb.debian.org/debian}"
}

work=
trap 'rm -rf "${work:-}"' EXIT

make_rootfs() { # $1: the tarball to write
  local rootfs url npm_version
  work=$(mktemp -d "$cache/work.XXXXXX")
  rootfs=$work/rootfs
  url=$(mirror)
  log "debootstrap --variant=minbase $suite from $url (about a minute)"
  debootstrap --variant=minbase "$suite" "$rootfs" "$url" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }

  # What debian:<suite>-slim adds to minbase.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${url%/}
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${url%/debian*}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/all_languages
path-include /usr/share/locale/currency/*
path-include /usr/share/locale/l10n/*
path-include /usr/share/locale/languages
path-exclude /usr/share/man/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' \
    >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # Remove what the excludes would have kept out of what debootstrap already unpacked. This leaves
  # /usr/share/man empty, as in the official image (the Dockerfile's mkdir man1 is for that).
  find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,groff,linda,lintian}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name all_languages ! -name currency \
    ! -name l10n ! -name languages -exec rm -rf {} +

  # Node and npm where the official image has them. The package node-linux-<arch> holds the
  # release binary itself (the `node` package only installs it through a preinstall script).
  log "node $node_version (npm package node-linux-$node_arch)"
  (cd "$work" && npm pack --silent "node-linux-${node_arch}@${node_version}" >/dev/null)
  mkdir -p "$work/node" && tar -xzf "$work"/node-linux-*.tgz -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
  npm_version=$(grep -m1 -o -E 'upgrade npm to [0-9]+\.[0-9]+\.[0-9]+' "$work/node/package/CHANGELOG.md" |
    awk '{print $4}' || true)
  npm_version=${npm_version:-$(npm view npm version)}
  log "npm $npm_version (the one node $node_version bundles)"
  (cd "$work" && npm pack --silent "npm@${npm_version}" >/dev/null)
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# Run the command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
  chroot "$rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$rootfs" /usr/local/bin/node --version >/dev/null
  chroot "$rootfs" /usr/local/bin/npm --version >/dev/null

  tar --numeric-owner -C "$rootfs" -cf "$1.tmp" .
  mv "$1.tmp" "$1"
}

mkdir -p "$cache"
tarball=$cache/node-$node_version-$suite-slim-$arch.tar
if [[ ! -f $tarball ]]; then make_rootfs "$tarball"; fi

log "importing $tarball as $base"
imported=$(podman import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$node_version" \
  --change "LABEL brewstream.node-version=$node_version" \
  --change "LABEL brewstream.build-ca=none" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  "$tarball" "$base")
if [[ $ca_id != none ]]; then
  log "adding the build CA $ca_file (NODE_EXTRA_CA_CERTS)"
  container=$(buildah from --pull=never "$base")
  buildah copy --quiet "$container" "$ca_file" /usr/local/share/build-ca/ca-bundle.pem >/dev/null
  buildah config --env NODE_EXTRA_CA_CERTS=/usr/local/share/build-ca/ca-bundle.pem \
    --label "brewstream.build-ca=$ca_id" "$container"
  buildah commit --quiet --rm "$container" "$base" >/dev/null
  # The import is now only the new image's parent layer; drop its own record.
  podman image rm "$imported" >/dev/null 2>&1 || true
fi
log "$base: node $node_version, $(podman image inspect -f '{{.Size}}' "$base" | awk '{printf "%d MB", $1 / 1e6}')"
