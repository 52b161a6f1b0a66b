#!/bin/sh
# Prints the path of a promtool. When none is on PATH, takes it from Debian's `prometheus` package
# (apt-get download, then only usr/bin/promtool is unpacked into the user cache): installing the
# package would also install and start a Prometheus server, which the tests do not need.
set -eu
CACHE_DIR="${CACHE_DIR:-$HOME/.cache/instant-dev-logs}"

if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
for cached in "$CACHE_DIR"/prometheus-*/usr/bin/promtool; do
  if [ -x "$cached" ]; then echo "$cached"; exit 0; fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Cannot find promtool, and apt-get is not available to fetch Debian's prometheus package: install promtool (Prometheus >= 2.42) on PATH" >&2
  exit 1
fi

# Work inside the cache so the final rename is atomic: test files run in parallel, and a run that
# loses the race finds the winner's complete copy.
mkdir -p "$CACHE_DIR"
work=$(mktemp -d "$CACHE_DIR/.promtool-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download prometheus >&2; then
  # No package lists yet (a fresh container): fetch them, as root.
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update >&2
  apt-get download prometheus >&2
fi
deb=$(ls prometheus_*.deb)
dest="$CACHE_DIR/prometheus-$(dpkg-deb -f "$deb" Version)"
mkdir root
dpkg-deb --fsys-tarfile "$deb" | tar -x -C root ./usr/bin/promtool
mv -T root "$dest" 2>/dev/null || [ -x "$dest/usr/bin/promtool" ]
"$dest/usr/bin/promtool" --version >&2
echo "$dest/usr/bin/promtool"
