#!/bin/sh
# Installs the programs `make test` runs for real, where the machine allows it: with apt-get (through
# sudo when not root). Anywhere else it names what to install and fails, instead of apt's own error.
set -eu

packages=""   # Debian package names of what is missing
programs=""   # the same, as people look for them
need() { packages="$packages $1"; programs="$programs $2"; }

# The browser tests look for Chromium here unless CHROMIUM_PATH says otherwise (dashboard/e2e/harness.ts).
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need chromium chromium
# The nginx test runs nginx and envsubst with PATH=/usr/sbin:/usr/bin:/bin, as the dashboard image does.
in_system() { PATH=/usr/sbin:/usr/bin:/bin command -v "$1" >/dev/null 2>&1; }
in_system syslog-ng || command -v syslog-ng >/dev/null 2>&1 || need syslog-ng-core syslog-ng
in_system nginx || need nginx nginx
in_system envsubst || need gettext-base envsubst
# The one-node cluster of the kubelet tests (packages/testbed/src/kube-node.ts) and the image builds of the
# end-to-end test: only as root, since they need network namespaces, mounts and runc (elsewhere they skip).
if [ "$(id -u)" = 0 ]; then
  in_system containerd || need containerd containerd
  in_system runc || need runc runc
  [ -x /usr/lib/cni/bridge ] || need containernetworking-plugins "CNI plugins"
  in_system iptables || need iptables iptables
  in_system debootstrap || need debootstrap debootstrap
  # Debian's buildah for /etc/containers (policy, registries); the build uses buildah 1.42 (scripts/buildah.sh), which needs netavark.
  [ -e /etc/containers/policy.json ] || need buildah buildah
  [ -x /usr/lib/podman/netavark ] || need netavark netavark
  [ -x /bin/busybox ] || need busybox-static busybox
  in_system gcc || need gcc gcc
  [ -e /usr/include/stdio.h ] || need libc6-dev "libc headers"
fi

[ -z "$packages" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "The tests need:$programs. Install them as root: apt-get install -y --no-install-recommends$packages" >&2
    exit 1
  fi
  echo "Installing$packages with apt-get for the tests${sudo:+ (through sudo)}"
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
  exit 0
fi

echo "The tests need:$programs, and there is no apt-get here to install them." >&2
case "$(uname -s)" in
  Darwin)
    echo "On macOS make dev needs none of them, and make test is run on Linux (a VM or a container):" >&2
    echo "the nginx test runs the dashboard image's config with the image's PATH (/usr/sbin:/usr/bin:/bin)." >&2
    echo "The browser and syslog tests alone: brew install syslog-ng && brew install --cask chromium," >&2
    echo "then export CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium" >&2 ;;
  *)
    echo "Install them with the system's package manager (Chromium: set CHROMIUM_PATH if it is not /usr/bin/chromium)." >&2 ;;
esac
exit 1
