#!/bin/bash
# Install what mmdma needs on Debian 12, if it is missing.
#   deps.sh [KERNEL...]   (kernel names as in vm/kernel.sh; default deb61)
#   deps.sh --deb         what make deb needs (debhelper, dh-dkms, dkms)
# As root it installs with apt-get; otherwise through sudo if there is one;
# otherwise it prints the command to run and fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --deb ]; then
	# Only for make deb / deb-check: make check does not need them.
	packages="gcc make libc6-dev dpkg-dev debhelper dh-dkms dkms pkgconf fakeroot"
else
	kernels=${*:-deb61}
	# busybox-static, not busybox: the initramfs has no shared libraries for it.
	# man-db and pkgconf: the host test of make install (man -l, pkg-config).
	packages="gcc make libc6-dev qemu-system-x86 busybox-static cpio kmod gzip sparse liburing-dev libaio-dev trinity man-db pkgconf"
	for k in $kernels; do
		packages="$packages $("$here/../vm/kernel.sh" packages "$k")"
	done
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Run as root, or through sudo when there is one, or print it and fail.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		sh -c "$1"
	elif command -v sudo >/dev/null; then
		sudo sh -c "$1"
	else
		echo "deps: as root, run:" >&2
		echo "  $1" >&2
		return 1
	fi
}

# The test VMs' kernel images: downloaded and unpacked into a cache, never
# installed.  Installing a linux-image package runs its hooks (update-grub
# with GRUB_DEFAULT=0 boots the newest kernel installed), so it could change
# the kernel this machine boots; an unpacked image changes nothing.
vm_images() {
	local k r pkg cache
	[ "${1:-}" = --deb ] && return 0
	cache=$("$here/../vm/kernel.sh" cache)
	for k in $kernels; do
		[ "$k" = debug ] && continue
		r=$("$here/../vm/kernel.sh" release "$k") || return 1
		"$here/../vm/kernel.sh" image "$k" > /dev/null 2>&1 &&
			[ "$("$here/../vm/kernel.sh" kdir "$k")" = "/usr/src/linux-headers-$r" ] && continue
		pkg=$("$here/../vm/kernel.sh" image-package "$k")
		echo "deps: $pkg: for the test VMs only, unpacked into $cache/$r (not installed: the host's boot menu and default kernel do not change)"
		as_root "set -e; d=\$(mktemp -d); chmod 755 \$d; chown _apt \$d 2>/dev/null || true; cd \$d; apt-get download $pkg; mkdir -p $cache/$r.new; dpkg-deb -x ./*.deb $cache/$r.new; rm -rf $cache/$r; mv $cache/$r.new $cache/$r; cd /; rm -rf \$d" || return 1
	done
}

missing=
for p in $packages; do
	installed "$p" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	vm_images "$@"
	exit
fi

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	echo "deps: not a Debian system; install the equivalents of:$missing" >&2
	exit 1
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
echo "deps: installing:$missing"
case "$missing" in
*linux-headers*) echo "deps: kernel headers are for building the module for the test VMs' kernels; no kernel image is installed" ;;
esac
as_root "$cmd" || exit 1
vm_images "$@"
