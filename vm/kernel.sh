#!/bin/bash
# Resolve a kernel name used by the Makefile and the harness.
#   kernel.sh image NAME     path of the bzImage to boot
#   kernel.sh kdir NAME      kernel build directory to build the module with
#   kernel.sh packages NAME  Debian packages that provide both
#   kernel.sh mem-extra NAME MiB of guest memory to add to every profile
#   kernel.sh icount-smp NAME  vCPUs for icount profiles (empty: the profile's)
#
# Names: deb61  Debian 12's 6.1 kernel (linux-image-amd64)
#        deb612 Debian's 6.12 kernel for Debian 12 (linux-image-6.12-amd64)
#        debug  the debug kernel scripts/debug-kernel.sh builds from
#               linux-source-6.1 (KASAN, DMA-API debug, lockdep, kmemleak)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

what=${1:?usage: kernel.sh image|kdir|packages NAME}
name=${2:?usage: kernel.sh image|kdir|packages NAME}

case "$name" in
deb61) series=6.1 packages="linux-image-amd64 linux-headers-amd64" ;;
deb612) series=6.12 packages="linux-image-6.12-amd64 linux-headers-6.12-amd64" ;;
debug) series= packages="linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev xz-utils" ;;
*) echo "kernel.sh: unknown kernel '$name' (deb61, deb612, debug)" >&2; exit 2 ;;
esac

if [ "$what" = packages ]; then
	echo "$packages"
	exit 0
fi
if [ "$what" = mem-extra ]; then
	# The debug kernel leaves a 512 MiB guest about 250 MiB free where
	# Debian's leaves 400 (KASAN's shadow is an eighth of RAM; lockdep,
	# kmemleak and DMA-API debug tables; a bigger kernel): the profiles'
	# memory sizes assume Debian's.
	[ "$name" = debug ] && echo 256 || echo 0
	exit 0
fi

if [ "$what" = icount-smp ]; then
	# Under icount the debug kernel often never brings its second CPU up
	# (the first spins in do_boot_cpu() while the one host thread never
	# runs the second): icount profiles boot it with one CPU.  Empty: the
	# profile's own count.
	[ "$name" = debug ] && echo 1
	exit 0
fi

if [ "$name" = debug ]; then
	# Built once and cached outside the clone; --dir fails with a
	# message naming 'make debug-kernel' when it is not there.
	dir=$("$here/../scripts/debug-kernel.sh" --dir) || exit 1
	case "$what" in
	image) echo "$dir/bzImage" ;;
	kdir) echo "$dir/linux" ;;
	*) echo "kernel.sh: unknown query '$what'" >&2; exit 2 ;;
	esac
	exit 0
fi

# The newest installed release of the series that has both an image and
# headers (they must match exactly for the module to load).
release=
for img in $(ls /boot/vmlinuz-"$series".*-amd64 2>/dev/null | sort -rV); do
	r=${img#/boot/vmlinuz-}
	if [ -f "/usr/src/linux-headers-$r/Makefile" ]; then
		release=$r
		break
	fi
done
if [ -z "$release" ]; then
	echo "kernel.sh: no $series kernel with matching headers installed (packages: $packages; make deps installs them)" >&2
	exit 1
fi

case "$what" in
image) echo "/boot/vmlinuz-$release" ;;
kdir) echo "/usr/src/linux-headers-$release" ;;
*) echo "kernel.sh: unknown query '$what'" >&2; exit 2 ;;
esac
