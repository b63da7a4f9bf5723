#!/bin/bash
# Install what mmdma needs on Debian 12, if it is missing.
#   deps.sh [KERNEL...]   (kernel names as in vm/kernel.sh; default deb61)
# As root it installs with apt-get; otherwise through sudo if there is one;
# otherwise it prints the command to run and fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

kernels=${*:-deb61}
# busybox-static, not busybox: the initramfs has no shared libraries for it.
# python3-numpy: the mm profile's guest carries python3 and numpy (test_python).
packages="gcc make libc6-dev qemu-system-x86 busybox-static cpio kmod gzip sparse liburing-dev libaio-dev trinity python3 python3-numpy"
for k in $kernels; do
	packages="$packages $("$here/../vm/kernel.sh" packages "$k")"
done

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=
for p in $packages; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	echo "deps: not a Debian system; install the equivalents of:$missing" >&2
	exit 1
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	sh -c "$cmd"
elif command -v sudo >/dev/null; then
	sudo sh -c "$cmd"
else
	echo "deps: missing packages; as root, run:" >&2
	echo "  $cmd" >&2
	exit 1
fi
