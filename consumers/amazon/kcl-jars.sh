#!/bin/sh
# Puts Amazon's MultiLangDaemon jars where consumers/amazon/amazonDaemon.ts looks for them, and
# checks them. The image build runs it once (Dockerfile, build argument KCL_JARS); the tests run it
# on fake jars, with a local stand-in for Maven Central.
#
#   kcl-jars.sh fetch  JARS_DIR            downloads them from Maven Central (scripts/pin-kcl-jars.js)
#   kcl-jars.sh dir    JARS_DIR FROM_DIR   copies FROM_DIR/*.jar (a build without Maven access)
#   kcl-jars.sh skip   JARS_DIR            no jars: `consumer` with KCL_DAEMON=amazon will say so
#   kcl-jars.sh verify JARS_DIR            only the check against the pins
#
# The pins are the SHA-256 lines of kcl-jars.sha256 (next to this script). The check passes only
# when every pinned jar is present with its checksum and no other jar is: java puts every jar of
# the folder on its classpath.
#
# fetch downloads with the pin tool, which refuses any jar whose SHA-1 differs from the one Maven
# Central publishes beside it and puts no jar in unless every one checks out. Then:
#   - pins filled: the jars must match them (strict, as dir);
#   - pins not filled yet: the jars are checked against the SHA-256 lines just computed from the
#     download, so the folder holds exactly what was verified; the build goes on with a warning
#     that prints those lines, and the record says KCL_JARS_PINNED=no (the launcher repeats the
#     warning at start). Integrity of the download, not a pinned supply chain.
# dir and verify refuse a pin file with no checksums: supplied jars would have nothing to be
# checked against.
#
# Whatever the mode, JARS_DIR/kcl-jars.txt records it (`KCL_JARS=<mode>`, and a second line
# `KCL_JARS_PINNED=no` after an unpinned fetch), which the launcher reads.
# KCL_JARS_SHA256 names another pin file (the tests use it); MAVEN_REPOSITORY another repository
# (a mirror of Maven Central; the tests' stand-in).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
pins_file=${KCL_JARS_SHA256:-$here/kcl-jars.sha256}
# In the image /app/scripts, beside /app/node_modules where the tool finds aws-kcl's pom.
pin_tool=$here/../../scripts/pin-kcl-jars.js
repository=${MAVEN_REPOSITORY:-https://repo1.maven.org/maven2}
mode=${1:-}
jars=${2:-}

fail() {
  echo "kcl-jars: $*" >&2
  exit 1
}

usage="usage: kcl-jars.sh fetch|dir|skip|verify JARS_DIR [FROM_DIR]"
[ -n "$jars" ] || fail "$usage"

# The SHA-256 lines of a pin file, comments and blank lines left out.
pins() {
  grep -v -e '^#' -e '^[[:space:]]*$' "$1" || true
}

# Fails unless the pin file exists and each of its lines is '<sha256>  <name>.jar' (it may have none).
check_pin_file() {
  [ -f "$1" ] || fail "no pin file $1"
  bad=$(pins "$1" | grep -v -E '^[0-9a-f]{64}  [A-Za-z0-9._+-]+\.jar$' || true)
  [ -z "$bad" ] || fail "$1: not a '<sha256>  <name>.jar' line: $bad"
}

require_pins() {
  check_pin_file "$pins_file"
  if [ -z "$(pins "$pins_file")" ]; then
    fail "$pins_file pins no checksums yet, so jars supplied to the build cannot be verified and it stops here.
  Fill it on a machine that reaches Maven Central: npm ci && npm run kcl-jars:pin, then commit it.
  Or build with --build-arg KCL_JARS=fetch (the default: downloads the jars, checks each against the
  SHA-1 Maven Central publishes) or --build-arg KCL_JARS=skip (an image whose Amazon consumer path
  says it has no jars)."
  fi
}

# verify PIN_FILE WHAT [HINT]: the jars folder holds exactly the jars PIN_FILE lists, each with its
# SHA-256; WHAT names the pins in the messages, HINT is added to a failure.
verify() {
  list=$(pins "$1")
  # sha256sum names each jar that is missing or differs.
  if ! (cd "$jars" && printf '%s\n' "$list" | sha256sum --check --strict --quiet); then
    fail "the jars in $jars do not match $2 (see the lines above)${3:-}"
  fi
  expected=$(printf '%s\n' "$list" | sed 's/^[0-9a-f]*  //')
  for jar in "$jars"/*.jar; do
    [ -e "$jar" ] || continue
    name=$(basename "$jar")
    echo "$expected" | grep -qxF "$name" || fail "$name is in $jars but not pinned in $2${3:-}"
  done
  echo "kcl-jars: $(echo "$expected" | wc -l) jars match $2"
}

# record [LINE...]: KCL_JARS=<mode>, then any further lines.
record() {
  echo "KCL_JARS=$mode" >"$jars/kcl-jars.txt"
  for line in "$@"; do echo "$line" >>"$jars/kcl-jars.txt"; done
}

# Downloads every jar into the jars folder and writes their SHA-256 lines to $1.
download() {
  status=0
  node "$pin_tool" --jars-dir "$jars" --out "$1" || status=$?
  case $status in
    0) ;;
    3)
      fail "the Maven repository $repository cannot be reached from this build (see the line
  above), so the jars cannot be downloaded. Without Maven access build with --build-arg KCL_JARS=dir (the jars
  in consumers/amazon/jars/, checked against the pins) or --build-arg KCL_JARS=skip (no jars)."
      ;;
    *) fail "the jars were not fetched (the lines above say why); none was put in $jars" ;;
  esac
}

# The warning an unpinned fetch prints, with the lines to pin ($1), on stderr so no log level hides it.
warn_unpinned() {
  rule='kcl-jars: ******************************************************************************'
  {
    echo "$rule"
    echo "kcl-jars: WARNING: THE KCL JARS ARE NOT PINNED."
    echo "kcl-jars: $pins_file pins no checksums yet, so each of"
    echo "kcl-jars: these $(pins "$1" | wc -l) jars was checked only against the SHA-1 Maven Central publishes"
    echo "kcl-jars: beside it: the download is intact, but nothing proves these are the jars this"
    echo "kcl-jars: project reviewed (no pinned supply chain). The image records KCL_JARS_PINNED=no"
    echo "kcl-jars: and the consumer repeats this warning when it starts."
    echo "kcl-jars: To pin them: npm ci && npm run kcl-jars:pin on a machine that reaches Maven Central,"
    echo "kcl-jars: then commit consumers/amazon/kcl-jars.sha256. From this download it holds:"
    pins "$1"
    echo "$rule"
  } >&2
}

case "$mode" in
  fetch)
    check_pin_file "$pins_file"
    computed=$(mktemp)
    trap 'rm -f "$computed"' EXIT
    download "$computed"
    if [ -n "$(pins "$pins_file")" ]; then
      verify "$pins_file" "$pins_file" "
  If aws-kcl was upgraded, pin its jars again: npm run kcl-jars:pin, then commit the file."
      record
    else
      verify "$computed" "the SHA-256 computed from the download"
      record KCL_JARS_PINNED=no
      warn_unpinned "$computed"
    fi
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
    verify "$pins_file" "$pins_file"
    record
    ;;
  skip)
    mkdir -p "$jars"
    record
    echo "kcl-jars: none (KCL_JARS=skip): consumer with KCL_DAEMON=amazon cannot run in this image"
    ;;
  verify)
    require_pins
    verify "$pins_file" "$pins_file"
    ;;
  *)
    fail "unknown mode '$mode' (KCL_JARS is fetch, dir or skip); $usage"
    ;;
esac
