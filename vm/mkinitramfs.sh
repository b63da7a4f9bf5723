#!/bin/bash
# Build the guest's initramfs.
#   mkinitramfs.sh OUT.cpio.gz CONF MODULE.ko FILE...
# CONF becomes /etc/mmdma.conf, MODULE.ko /lib/mmdma/mmdma.ko, and every
# FILE goes to /opt/mmdma/bin (the `mmdma` tool also to /usr/bin).  Shared
# libraries a FILE needs are copied along, so dynamic binaries work too.
# Kernel modules named in $MMDMA_KMODS go, uncompressed, to /lib/mmdma/kmod.
set -euo pipefail

out=$1 conf=$2 ko=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "mkinitramfs: busybox not found (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib/mmdma,opt/mmdma/bin,usr/bin,usr/sbin}

copy_libs() {
	# ldd prints "lib => /path (addr)" and "/lib64/ld-linux... (addr)".
	# A static binary makes ldd fail: nothing to copy then.
	{ ldd "$1" 2>/dev/null || true; } | awk '/=> \// { print $3 } /^\t\/[^ ]*ld-linux/ { print $1 }' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

cp "$busybox" "$root/bin/busybox"
copy_libs "$root/bin/busybox"
cp "$here/guest-init" "$root/init"
cp "$conf" "$root/etc/mmdma.conf"
cp "$ko" "$root/lib/mmdma/mmdma.ko"
for f in "$@"; do
	cp "$f" "$root/opt/mmdma/bin/"
	copy_libs "$f"
	[ "$(basename "$f")" = mmdma ] && ln -sf /opt/mmdma/bin/mmdma "$root/usr/bin/mmdma"
done

mkdir -p "$root/lib/mmdma/kmod"
for m in ${MMDMA_KMODS:-}; do
	name=$(basename "$m")
	case "$m" in
	*.xz) xz -dc "$m" > "$root/lib/mmdma/kmod/${name%.xz}" ;;
	*.zst) zstd -qdc "$m" > "$root/lib/mmdma/kmod/${name%.zst}" ;;
	*) cp "$m" "$root/lib/mmdma/kmod/" ;;
	esac
done

# mktemp -d makes the directory 0700 and the host's umask may be strict;
# cpio carries both to the guest, where a process switched to another uid
# (tests/test_privilege.c) could then reach nothing.  The guest tree is
# what a system's is: readable and searchable by all, writable by root,
# /tmp world-writable and sticky.
chmod -R u+rwX,go+rX,go-w "$root"
chmod 1777 "$root/tmp"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
