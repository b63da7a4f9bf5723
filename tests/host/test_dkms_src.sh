#!/bin/bash
# Host-side test of the DKMS source tree (make dkms-src, docs/install.md):
# exactly what Kbuild needs and a dkms.conf at the tree's version; the
# module's Makefile, for a kernel without headers, fails naming the Debian
# package to install; debian/changelog at the tree's version.  It installs
# nothing on the host (dkms add/build run in make deb-check's root).
. "$(dirname "$0")/lib.sh"
O=${O:-build}
version=$(cat "$top/VERSION")

# A failure first: a kernel release without headers, in the tree and in the
# DKMS copy, both name linux-headers-<release>; so does an absent KDIR
# under /lib/modules.
for dir in "$top/kernel"; do
	n=$((n + 1))
	out=$(make -s -C "$dir" KVER=6.99.0-1-amd64 2>&1) && bad "make for a kernel without headers succeeded"
	echo "$out" | grep -qx 'mmdma: on Debian: apt-get install linux-headers-6.99.0-1-amd64' ||
		bad "make KVER=6.99.0-1-amd64 did not name the package: $out"
	n=$((n + 1))
	out=$(make -s -C "$dir" KDIR=/lib/modules/6.98.0-2-amd64/build 2>&1) && bad "make with a missing KDIR succeeded"
	echo "$out" | grep -qx 'mmdma: on Debian: apt-get install linux-headers-6.98.0-2-amd64' ||
		bad "make KDIR=/lib/modules/6.98.0-2-amd64/build did not name the package: $out"
	n=$((n + 1))
	out=$(make -s -C "$dir" KDIR="$tmp/nothing" 2>&1) && bad "make with KDIR=$tmp/nothing succeeded"
	echo "$out" | grep -q "no kernel build tree at $tmp/nothing (KDIR)" ||
		bad "make with an arbitrary missing KDIR: $out"
	echo "$out" | grep -q 'apt-get install linux-headers-' &&
		bad "make with an arbitrary KDIR guessed a package: $out"
done

n=$((n + 1))
if ! make -s -C "$top" O="$O" DESTDIR="$tmp/root" dkms-src > "$tmp/log" 2>&1; then
	bad "make dkms-src: $(tail -n 3 "$tmp/log")"
else
	src=$tmp/root/usr/src/mmdma-$version
	want=$( (cd "$top" && ls kernel/*.c kernel/*.h kernel/kunit/*.c kernel/Kbuild kernel/Makefile \
		include/uapi/linux/mmdma.h VERSION; echo dkms.conf) | sort)
	expect_eq "DKMS tree's files" "$(cd "$src" && find . -type f | sed 's|^\./||' | sort)" "$want"
	expect_eq "DKMS tree's VERSION" "$(cat "$src/VERSION")" "$version"
	# dkms.conf is shell: read it as DKMS does, with DKMS's variables set.
	conf=$(kernelver=6.1.0-57-amd64 kernel_source_dir=/lib/modules/6.1.0-57-amd64/build bash -c "
		set -u; . '$src/dkms.conf'
		echo \"\$PACKAGE_NAME|\$PACKAGE_VERSION|\${BUILT_MODULE_NAME[0]}|\${BUILT_MODULE_LOCATION[0]}|\${DEST_MODULE_LOCATION[0]}|\$AUTOINSTALL|\${MAKE[0]}\"")
	expect_eq "dkms.conf" "$conf" \
		"mmdma|$version|mmdma|kernel/|/updates/dkms|yes|make -C kernel KVER=6.1.0-57-amd64 KDIR=/lib/modules/6.1.0-57-amd64/build"
	grep -q '@VERSION@' "$src/dkms.conf" && bad "dkms.conf: @VERSION@ left"
	n=$((n + 1))
	out=$(make -s -C "$src/kernel" KVER=6.99.0-1-amd64 2>&1) && bad "DKMS tree: make without headers succeeded"
	echo "$out" | grep -qx 'mmdma: on Debian: apt-get install linux-headers-6.99.0-1-amd64' ||
		bad "DKMS tree: make without headers did not name the package: $out"
fi

if command -v dpkg-parsechangelog > /dev/null; then
	expect_eq "debian/changelog version" \
		"$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)" "$version"
else
	expect_eq "debian/changelog version" \
		"$(sed -n '1s/^mmdma (\([^)]*\)).*/\1/p' "$top/debian/changelog")" "$version"
fi

finish test_dkms_src
