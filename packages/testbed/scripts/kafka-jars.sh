#!/usr/bin/env bash
# Installs the test broker's jars (kafka/pom.xml's runtime dependencies, via Maven Central) into
# ~/.cache/instant-dev-logs/kafka-<version>/libs unless they are already there; prints that folder.
# Safe to run concurrently: one run at a time holds a lock, and the folder appears by an atomic rename.
set -euo pipefail

pom="$(cd "$(dirname "${BASH_SOURCE[0]}")/../kafka" && pwd)/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
[ -n "$version" ] || { echo "kafka-jars: cannot read <kafka.version> from $pom" >&2; exit 1; }
root="$HOME/.cache/instant-dev-logs/kafka-$version"
libs="$root/libs"

if [ ! -d "$libs" ]; then
  command -v mvn >/dev/null || { echo "kafka-jars: mvn not found (apt-get install maven)" >&2; exit 1; }
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9
  if [ ! -d "$libs" ]; then  # another run may have finished while this one waited for the lock
    tmp="$(mktemp -d "$root/libs.tmp.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # stdout stays clean for the folder name; Maven's own output goes to stderr.
    mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
    ls "$tmp"/kafka_2.13-"$version".jar >/dev/null
    mv -T "$tmp" "$libs"
    trap - EXIT
  fi
fi
echo "$libs"
