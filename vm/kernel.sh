#!/bin/bash
# Resolve a kernel name used by the Makefile and the harness.
#   kernel.sh image NAME     path of the bzImage to boot
#   kernel.sh kdir NAME      kernel build directory to build the module with
#   kernel.sh packages NAME  Debian packages that provide the headers (apt-get
#                            installs them: they never change what the host boots)
#   kernel.sh release NAME   the newest release whose headers are installed
#   kernel.sh image-package NAME  the image package of that release, which
#                            scripts/deps.sh downloads and unpacks into the cache
#   kernel.sh cache          the cache of unpacked VM kernel images
#   kernel.sh mem-extra NAME MiB of guest memory to add to every profile
#   kernel.sh icount-smp NAME  vCPUs for icount profiles (empty: the profile's)
#
# Names: deb61  Debian 12's 6.1 kernel (linux-image-amd64)
#        deb612 Debian's 6.12 kernel for Debian 12 (linux-image-6.12-amd64)
#
# The VM kernels' images are never installed as packages: a linux-image
# package's hooks run update-grub, and GRUB_DEFAULT=0 boots the newest
# version, so installing 6.12 on a 6.1 host would change what it boots.
# scripts/deps.sh unpacks them (dpkg-deb -x) into the cache instead,
# $MMDMA_KERNEL_CACHE or /var/cache/mmdma/kernels/RELEASE/{boot,lib/modules}.
# An image the host has installed itself in /boot is used as it is.
#        debug  the debug kernel scripts/debug-kernel.sh builds from
#               linux-source-6.1 (KASAN, DMA-API debug, lockdep, kmemleak)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

what=${1:?usage: kernel.sh image|kdir|packages|release|image-package NAME, or kernel.sh cache}
cache=${MMDMA_KERNEL_CACHE:-/var/cache/mmdma/kernels}
if [ "$what" = cache ]; then
	echo "$cache"
	exit 0
fi
name=${2:?usage: kernel.sh image|kdir|packages|release|image-package NAME}

case "$name" in
deb61) series=6.1 packages="linux-headers-amd64" ;;
deb612) series=6.12 packages="linux-headers-6.12-amd64" ;;
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

# Releases of the series whose headers are installed, newest first.
headers=$(ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null | sort -rV || true)
image_of() {
	local r=$1
	if [ -f "$cache/$r/boot/vmlinuz-$r" ]; then
		echo "$cache/$r/boot/vmlinuz-$r"
	elif [ -f "/boot/vmlinuz-$r" ]; then
		echo "/boot/vmlinuz-$r"
	fi
}

if [ "$what" = release ] || [ "$what" = image-package ]; then
	for h in $headers; do
		[ -f "$h/Makefile" ] || continue
		r=${h#/usr/src/linux-headers-}
		[ "$what" = release ] && echo "$r" || echo "linux-image-$r"
		exit 0
	done
	echo "kernel.sh: no $series kernel headers installed (packages: $packages; make deps installs them)" >&2
	exit 1
fi

# The newest release of the series that has both headers and an image
# (they must match exactly for the module to load).
release= img=
for h in $headers; do
	r=${h#/usr/src/linux-headers-}
	[ -f "$h/Makefile" ] || continue
	img=$(image_of "$r")
	if [ -n "$img" ]; then
		release=$r
		break
	fi
done
if [ -z "$release" ]; then
	echo "kernel.sh: no $series kernel with matching headers and image (headers: $packages; make deps installs them and unpacks the image into $cache)" >&2
	exit 1
fi

case "$what" in
image) echo "$img" ;;
kdir) echo "/usr/src/linux-headers-$release" ;;
*) echo "kernel.sh: unknown query '$what'" >&2; exit 2 ;;
esac
