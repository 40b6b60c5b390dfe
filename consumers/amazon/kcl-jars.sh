#!/bin/sh
# Puts Amazon's MultiLangDaemon jars where consumers/amazon/amazonDaemon.ts looks for them, and
# checks each one against the SHA-256 pinned in kcl-jars.sha256 (next to this script). The image
# build runs it once (Dockerfile, build argument KCL_JARS); the tests run it on fake jars.
#
#   kcl-jars.sh fetch  JARS_DIR            aws-kcl's kcl-bootstrap downloads them from Maven Central
#   kcl-jars.sh dir    JARS_DIR FROM_DIR   copies FROM_DIR/*.jar (a build without Maven access)
#   kcl-jars.sh skip   JARS_DIR            no jars: `consumer` with KCL_DAEMON=amazon will say so
#   kcl-jars.sh verify JARS_DIR            only the check
#
# The check passes only when every pinned jar is present with its checksum and no other jar is:
# java puts every jar of the folder on its classpath. An empty pin file is refused, so a build can
# never skip the check by accident. Whatever the mode, JARS_DIR/kcl-jars.txt records it
# (`KCL_JARS=<mode>`), which the launcher reads to explain a missing jar.
# KCL_JARS_SHA256 names another pin file (the tests use it).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
pins_file=${KCL_JARS_SHA256:-$here/kcl-jars.sha256}
mode=${1:-}
jars=${2:-}

fail() {
  echo "kcl-jars: $*" >&2
  exit 1
}

usage="usage: kcl-jars.sh fetch|dir|skip|verify JARS_DIR [FROM_DIR]"
[ -n "$jars" ] || fail "$usage"

# The pinned lines, comments and blank lines left out.
pins() {
  grep -v -e '^#' -e '^[[:space:]]*$' "$pins_file" || true
}

require_pins() {
  [ -f "$pins_file" ] || fail "no pin file $pins_file"
  if [ -z "$(pins)" ]; then
    fail "$pins_file pins no checksums yet, so the jars cannot be verified and the build stops here.
  Fill it on a machine that reaches Maven Central: npm ci && npm run kcl-jars:pin, then commit it.
  Without Maven access: --build-arg KCL_JARS=dir (jars in consumers/amazon/jars/, still verified)
  or --build-arg KCL_JARS=skip (an image whose Amazon consumer path says it has no jars)."
  fi
  bad=$(pins | grep -v -E '^[0-9a-f]{64}  [A-Za-z0-9._+-]+\.jar$' || true)
  [ -z "$bad" ] || fail "$pins_file: not a '<sha256>  <name>.jar' line: $bad"
}

verify() {
  require_pins
  list=$(pins)
  # sha256sum names each jar that is missing or differs.
  if ! (cd "$jars" && printf '%s\n' "$list" | sha256sum --check --strict --quiet); then
    fail "the jars in $jars do not match $pins_file (see the lines above)"
  fi
  expected=$(printf '%s\n' "$list" | sed 's/^[0-9a-f]*  //')
  for jar in "$jars"/*.jar; do
    [ -e "$jar" ] || continue
    name=$(basename "$jar")
    echo "$expected" | grep -qxF "$name" || fail "$name is in $jars but not pinned in $pins_file"
  done
  echo "kcl-jars: $(echo "$expected" | wc -l) jars match $pins_file"
}

record() {
  echo "KCL_JARS=$mode" >"$jars/kcl-jars.txt"
}

case "$mode" in
  fetch)
    require_pins
    java=$(command -v java) || fail "no java on PATH (kcl-bootstrap insists on one, even only to download)"
    mkdir -p "$jars"
    # Without -e kcl-bootstrap only downloads (into --jar-path, which must exist); it still wants
    # an existing properties file and java. Run from /app, where node_modules is.
    if ! node node_modules/aws-kcl/bin/kcl-bootstrap --jar-path "$jars" \
      --properties "$here/consumer.properties" --java "$java"; then
      fail "kcl-bootstrap could not download the jars from Maven Central (repo1.maven.org).
  Without Maven access build with --build-arg KCL_JARS=dir (jars in consumers/amazon/jars/)
  or --build-arg KCL_JARS=skip."
    fi
    verify
    record
    ;;
  dir)
    from=${3:-}
    [ -n "$from" ] || fail "$usage"
    require_pins
    mkdir -p "$jars"
    found=0
    for jar in "$from"/*.jar; do
      [ -e "$jar" ] || continue
      cp "$jar" "$jars/"
      found=$((found + 1))
    done
    [ "$found" -gt 0 ] || fail "KCL_JARS=dir but $from holds no .jar file"
    verify
    record
    ;;
  skip)
    mkdir -p "$jars"
    record
    echo "kcl-jars: none (KCL_JARS=skip): consumer with KCL_DAEMON=amazon cannot run in this image"
    ;;
  verify)
    verify
    ;;
  *)
    fail "unknown mode '$mode' (KCL_JARS is fetch, dir or skip); $usage"
    ;;
esac
