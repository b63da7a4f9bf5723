#!/bin/bash
# Build mmdma's debug kernel (KASAN, DMA-API debug, lockdep, kmemleak, fault
# injection, KUnit) from Debian's linux-source-6.1, once, and cache it outside
# the clone.  The configuration is scripts/debug-kernel.config; the patches in
# scripts/debug-kernel-patches/ (upstream fixes to the checkers themselves)
# are applied to the source first.
#
#   debug-kernel.sh           build unless cached; print the cache directory
#   debug-kernel.sh --dir     print the cache directory, build nothing
#                             (exit 1 when the build is not there)
#   debug-kernel.sh --rebuild throw the cached build away and build again
#
# The cache is $MMDMA_CACHE (default /var/cache/mmdma), one directory per
# source package version and hash of this script, its config fragment and
# its patches:
#   debug-VERSION-HASH/bzImage   the kernel to boot
#   debug-VERSION-HASH/linux/    the build tree, usable as KDIR
#   debug-VERSION-HASH/complete  written last: the build is whole
# A build that stopped half way is resumed by the next run (make is
# incremental); a changed script or fragment gets a directory of its own.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/debug-kernel.config
patches=$here/debug-kernel-patches
cache=${MMDMA_CACHE:-/var/cache/mmdma}
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
jobs=${JOBS:-3}

mode=build
case "${1:-}" in
"") ;;
--dir) mode=dir ;;
--rebuild) mode=rebuild ;;
*) echo "usage: debug-kernel.sh [--dir|--rebuild]" >&2; exit 2 ;;
esac

say() { echo "debug-kernel: $*" >&2; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

cache_dir() {
	local version hash
	version=$(dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null) || return 1
	[ -n "$version" ] || return 1
	hash=$(cat "$0" "$fragment" "$patches"/*.patch | sha256sum | cut -c1-12)
	echo "$cache/debug-$version-$hash"
}

if [ "$mode" = dir ]; then
	if ! installed "$srcpkg" || ! dir=$(cache_dir) || [ ! -f "$dir/complete" ]; then
		say "no debug kernel built for this source and config; run 'make debug-kernel'"
		exit 1
	fi
	echo "$dir"
	exit 0
fi

# What the build needs (vm/kernel.sh packages debug lists the same).
"$here/deps.sh" debug

dir=$(cache_dir) || { say "cannot read the version of $srcpkg"; exit 1; }
[ -r "$tarball" ] || { say "$tarball is missing (reinstall $srcpkg)"; exit 1; }
mkdir -p "$cache"

# One build at a time per cache directory.
exec 9> "$dir.lock"
if ! flock -n 9; then
	say "another build of $dir is running; waiting for it"
	flock 9
fi

if [ "$mode" = rebuild ]; then
	rm -rf "$dir"
fi
if [ -f "$dir/complete" ]; then
	say "cached: $dir ($(cat "$dir/kernelrelease"))"
	echo "$dir"
	exit 0
fi

start=$(date +%s)
mkdir -p "$dir"
tree=$dir/linux
if [ ! -f "$tree/.unpacked" ]; then
	say "unpacking $tarball"
	rm -rf "$tree" "$dir/$srcpkg"
	tar -xf "$tarball" -C "$dir"
	for p in "$patches"/*.patch; do
		say "applying $(basename "$p")"
		patch -s -p1 -d "$dir/$srcpkg" < "$p"
	done
	mv "$dir/$srcpkg" "$tree"
	touch "$tree/.unpacked"
fi
cd "$tree"

# The configuration: defconfig, the KVM guest bits, then the fragment.  Run
# twice: a symbol can only be set once what it depends on is there.
kmake() { nice -n 10 make -j"$jobs" "$@"; }
if [ ! -f .config.mmdma ]; then
	say "configuring"
	make -s x86_64_defconfig
	make -s kvm_guest.config
	for pass in 1 2; do
		args=()
		while IFS= read -r line; do
			case "$line" in
			"# CONFIG_"*" is not set")
				sym=${line#\# CONFIG_}; args+=(--disable "${sym% is not set}") ;;
			CONFIG_*=y) sym=${line%%=*}; args+=(--enable "${sym#CONFIG_}") ;;
			CONFIG_*=n) sym=${line%%=*}; args+=(--disable "${sym#CONFIG_}") ;;
			CONFIG_*=m) sym=${line%%=*}; args+=(--module "${sym#CONFIG_}") ;;
			CONFIG_*=\"*\") sym=${line%%=*}; val=${line#*=}; val=${val#\"}
				args+=(--set-str "${sym#CONFIG_}" "${val%\"}") ;;
			CONFIG_*=*) sym=${line%%=*}; args+=(--set-val "${sym#CONFIG_}" "${line#*=}") ;;
			esac
		done < "$fragment"
		scripts/config "${args[@]}"
		make -s olddefconfig
	done
	# Everything the fragment asks for must have stuck.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym% is not set}
			if grep -q "^$sym=" .config; then
				say "note: $sym stays on ($(grep "^$sym=" .config)): something selects it"
			fi ;;
		CONFIG_*=n)
			sym=${line%%=*}
			grep -q "^$sym=" .config && say "note: $sym stays on: something selects it" ;;
		CONFIG_*=*)
			if ! grep -qxF "$line" .config; then
				say "error: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" .config || echo 'absent')"
				bad=1
			fi ;;
		esac
	done < "$fragment"
	[ $bad -eq 0 ] || { say "the config fragment did not apply; fix $fragment"; exit 1; }
	cp .config .config.mmdma
fi

say "building in $tree (nice -n 10 make -j$jobs; log: $dir/build.log)"
{
	kmake bzImage modules_prepare
	# Module.symvers, which out-of-tree modules are checked against, is
	# written by the modules pass.
	kmake modules
} > "$dir/build.log" 2>&1 || {
	tail -n 30 "$dir/build.log" >&2
	say "build failed; log: $dir/build.log (run again to resume)"
	exit 1
}
cp arch/x86/boot/bzImage "$dir/bzImage"
make -s kernelrelease > "$dir/kernelrelease"
touch "$dir/complete"

took=$(( $(date +%s) - start ))
say "built $(cat "$dir/kernelrelease") in $((took / 60))m$((took % 60))s: $dir"
echo "$dir"
