#!/usr/bin/env bash
# Builds buildah from the Go module proxy and caches it in $CACHE_DIR/buildah-<version>/buildah.
# Debian 12's buildah (1.28) cannot read the project's Dockerfile: it predates heredocs (COPY <<EOF).
# Needs Go and gcc (cgo); the signature code is the pure-Go openpgp one, so no gpgme headers, and the
# btrfs and devicemapper drivers are left out (no headers either). The last stdout line is the binary.
set -euo pipefail

BUILDAH_VERSION=${BUILDAH_VERSION:-v1.42.2}
CACHE_DIR=${CACHE_DIR:-$HOME/.cache/instant-dev-logs}
DIR=$CACHE_DIR/buildah-$BUILDAH_VERSION
BIN=$DIR/buildah

if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi
log() { echo "buildah: $*" >&2; }
command -v go >/dev/null || { log "needs Go on PATH (https://go.dev/dl) to build $BIN"; exit 1; }
command -v gcc >/dev/null || { log "needs gcc (cgo) to build $BIN"; exit 1; }
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi

export GOTOOLCHAIN=local CGO_ENABLED=1
WORK=$(mktemp -d)
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
start=$SECONDS
log "building buildah $BUILDAH_VERSION (first time: about 10 min on 2 cores)"
cd "$WORK"
# A wrapper module: `go install …@version` refuses it (the proxy serves its versions, not its list).
go mod init instant-logs.local/buildah-build 2>/dev/null
go get "github.com/containers/buildah@$BUILDAH_VERSION" 2>&1 | sed '/^go: \(downloading\|added\|upgraded\|finding\) /d' >&2
nice -n 19 go build -mod=mod -trimpath -ldflags "-s -w" \
  -tags "containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper" \
  -o "$WORK/buildah" github.com/containers/buildah/cmd/buildah
mv -f "$WORK/buildah" "$BIN"
log "built buildah in $((SECONDS - start))s"
echo "$BIN"
