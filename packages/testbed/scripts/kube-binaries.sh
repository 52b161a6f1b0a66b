#!/usr/bin/env bash
# Builds the Kubernetes test bed (the envtest approach) from the Go module proxy and caches it:
# kube-apiserver, kube-controller-manager, kubectl, etcd and helm in $CACHE_DIR/kube-<version>/bin, plus
# kube-scheduler, kubelet and kube-proxy for the one-node cluster (kube-node.ts).
# Idempotent: only binaries that are missing or report another version are built. Progress goes to
# stderr; the last stdout line is the bin directory. First run: 15–35 min on 2 cores.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
HELM_VERSION=${HELM_VERSION:-v4.3.1}
CACHE_DIR=${CACHE_DIR:-$HOME/.cache/instant-dev-logs}
BIN=$CACHE_DIR/kube-$KUBE_VERSION/bin
STAMP="kube=$KUBE_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION"

BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd helm)

# Fast path for every test run: the marker is written last, only when every binary checks out.
complete() {
  [[ "$(cat "$BIN/.complete" 2>/dev/null)" == "$STAMP" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
}
if complete; then echo "$BIN"; exit 0; fi

# The machine's GOPROXY/GOSUMDB/GOFLAGS are kept; only the toolchain is pinned to the installed Go.
export GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "kube-binaries: $*" >&2; }
quiet() { sed '/^go: \(downloading\|added\|upgraded\|finding\) /d' >&2; } # keeps errors, drops hundreds of module lines
command -v go >/dev/null || { log "needs Go >= 1.26 on PATH (https://go.dev/dl) to build $BIN"; exit 1; }
mkdir -p "$BIN"
exec 9>"$BIN/.lock"
flock 9 # parallel test files wait for one build instead of racing it
rm -f "$BIN/.complete"

WORK=$(mktemp -d)
OUT=$(mktemp -d "$BIN/.build.XXXXXX") # same filesystem as $BIN, so the final mv is an atomic rename
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK" "$OUT"' EXIT

# has <binary> <expected version text> <version command args...>
has() {
  local bin=$1 want=$2; shift 2
  local out # not `| grep -q`: under pipefail, the writer's SIGPIPE would fail the check
  [[ -x "$BIN/$bin" ]] && out=$("$BIN/$bin" "$@" 2>/dev/null) && [[ "$out" == *"$want"* ]]
}

install_built() {
  for b in "$@"; do mv -f "$OUT/$b" "$BIN/$b"; done
}

build_kube() {
  local pkgs=() minor=${KUBE_VERSION#v1.} gomod
  has kube-apiserver "$KUBE_VERSION" --version || pkgs+=(kube-apiserver)
  has kube-controller-manager "$KUBE_VERSION" --version || pkgs+=(kube-controller-manager)
  has kube-scheduler "$KUBE_VERSION" --version || pkgs+=(kube-scheduler)
  has kubelet "$KUBE_VERSION" --version || pkgs+=(kubelet)
  has kube-proxy "$KUBE_VERSION" --version || pkgs+=(kube-proxy)
  has kubectl "$KUBE_VERSION" version --client || pkgs+=(kubectl)
  ((${#pkgs[@]})) || return 0
  local start=$SECONDS
  log "building ${pkgs[*]} $KUBE_VERSION"
  mkdir "$WORK/kube" && cd "$WORK/kube"
  go mod init instant-logs.local/kube-build 2>/dev/null
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  # Upstream replaces its staging modules with ./staging paths, which a dependency cannot use:
  # point each at its published twin (k8s.io/api v0.36.3 for Kubernetes v1.36.3).
  local m
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod"); do
    go mod edit "-replace=$m=$m@v0.$minor"
  done
  go mod edit "-go=$(awk '$1 == "go" { print $2; exit }' "$gomod")"
  for m in $(awk '/^godebug \(/ { b = 1; next } b && /^\)/ { b = 0 } b { print $1 } /^godebug [^(]/ { print $2 }' "$gomod"); do
    go mod edit "-godebug=$m"
  done
  local tools=()
  for m in "${pkgs[@]}"; do tools+=("k8s.io/kubernetes/cmd/$m@$KUBE_VERSION"); done
  go get -tool "${tools[@]}" 2>&1 | quiet
  # Without the stamps /version says v0.0.0 and Helm's kubeVersion checks fail.
  local x ldflags="-s -w"
  for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $x.gitVersion=$KUBE_VERSION -X $x.gitMajor=1 -X $x.gitMinor=${minor%%.*} -X $x.gitTreeState=clean"
  done
  nice -n 19 go build -mod=mod -trimpath -ldflags "$ldflags" -o "$OUT/" "${pkgs[@]/#/k8s.io/kubernetes/cmd/}"
  install_built "${pkgs[@]}"
  log "built ${pkgs[*]} in $((SECONDS - start))s"
}

build_etcd() {
  has etcd "etcd Version: ${ETCD_VERSION#v}" --version && return 0
  local start=$SECONDS
  log "building etcd $ETCD_VERSION"
  # A wrapper module, because go.etcd.io/etcd/server/v3's own go.mod has relative (../api) replaces.
  mkdir "$WORK/etcd" && cd "$WORK/etcd"
  go mod init instant-logs.local/etcd-build 2>/dev/null
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" 2>&1 | quiet
  nice -n 19 go build -mod=mod -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
  install_built etcd
  log "built etcd in $((SECONDS - start))s"
}

build_helm() {
  has helm "$HELM_VERSION" version --template '{{.Version}}' && return 0
  local start=$SECONDS
  log "building helm $HELM_VERSION"
  cd "$WORK"
  GOBIN=$OUT nice -n 19 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" 2>&1 | quiet
  install_built helm
  log "built helm in $((SECONDS - start))s"
}

build_kube
build_etcd
build_helm
echo "$STAMP" >"$OUT/.complete"
mv -f "$OUT/.complete" "$BIN/.complete"
log "ready in $SECONDS s: $BIN"
echo "$BIN"
