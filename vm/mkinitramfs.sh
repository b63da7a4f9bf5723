#!/bin/bash
# Build the guest's initramfs.
#   mkinitramfs.sh OUT.cpio.gz CONF MODULE.ko FILE...
# CONF becomes /etc/mmdma.conf, MODULE.ko (the core) /lib/mmdma/mmdma.ko,
# the provider modules next to it (mmdma_*.ko) /lib/mmdma/, and every
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
cp "$here/guest-promise.sh" "$root/lib/mmdma/guest-promise.sh"
cp "$conf" "$root/etc/mmdma.conf"
cp "$ko" "$root/lib/mmdma/mmdma.ko"
for p in "$(dirname "$ko")"/mmdma_*.ko; do
	[ -e "$p" ] && cp "$p" "$root/lib/mmdma/"
done
for f in "$@"; do
	cp "$f" "$root/opt/mmdma/bin/"
	copy_libs "$f"
	[ "$(basename "$f")" = mmdma ] && ln -sf /opt/mmdma/bin/mmdma "$root/usr/bin/mmdma"
done

# $MMDMA_PYTHON=yes (a profile's PYTHON=yes): Debian's python3 and numpy
# with the shared libraries they load (ldd of the interpreter, of every
# stdlib extension and of numpy's), minus the test suites and the static
# library, and the tree's python/, examples/*.py and tests/python/ in
# /opt/mmdma/python.
# Only that profile's initramfs carries them; the others stay small.
if [ "${MMDMA_PYTHON:-}" = yes ]; then
	py=$(readlink -f /usr/bin/python3 2>/dev/null || true)
	ver=$(basename "${py:-none}")
	numpy=/usr/lib/python3/dist-packages/numpy
	if [ ! -x "$py" ] || [ ! -d "/usr/lib/$ver" ] || [ ! -d $numpy ]; then
		echo "mkinitramfs: the profile wants Python: apt-get install python3 python3-numpy" >&2
		exit 1
	fi
	mkdir -p "$root/usr/lib/python3/dist-packages" "$root/opt/mmdma/python"
	cp "$py" "$root/usr/bin/$ver"
	ln -sf "$ver" "$root/usr/bin/python3"
	copy_libs "$py"
	tar -C /usr/lib --exclude="$ver/test" --exclude="$ver/idlelib" \
		--exclude="$ver/tkinter" --exclude="$ver/ensurepip" --exclude="$ver/lib2to3" \
		--exclude="$ver/pydoc_data" --exclude="$ver/config-*" -cf - "$ver" |
		tar -C "$root/usr/lib" -xf -
	tar -C "$(dirname $numpy)" --exclude='tests' -cf - numpy |
		tar -C "$root/usr/lib/python3/dist-packages" -xf -
	find "$root/usr/lib/$ver/lib-dynload" "$root$numpy" -name '*.so' | while read -r so; do
		copy_libs "$so"
	done
	cp -r "$here/../python/." "$root/opt/mmdma/python/"
	cp "$here"/../examples/*.py "$root/opt/mmdma/python/"
	mkdir -p "$root/opt/mmdma/python/tests"
	cp "$here"/../tests/python/*.py "$root/opt/mmdma/python/tests/"
fi

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
