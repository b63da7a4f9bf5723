#!/bin/bash
# Host-side test: make deps / demo / check never change which kernel this
# machine boots.  The test VMs' kernel images are not installed as packages
# (a linux-image package's hooks run update-grub, and GRUB_DEFAULT=0 boots
# the newest kernel installed): scripts/deps.sh installs only headers, which
# pull no image, and unpacks the images into a cache that vm/kernel.sh and
# vm/run.sh use, the cache before /boot.
. "$(dirname "$0")/lib.sh"
vm=$top/vm

# Nothing deps.sh installs with apt-get is a kernel image.
for k in deb61 deb612; do
	n=$((n + 1))
	pk=$("$vm/kernel.sh" packages "$k")
	case " $pk " in
	*" linux-image"*) bad "$k: kernel.sh packages names an image: $pk" ;;
	esac
	case " $pk " in
	*" linux-headers"*) ;;
	*) bad "$k: kernel.sh packages names no headers: $pk" ;;
	esac
done
n=$((n + 1))
grep -v '^[[:space:]]*#' "$top/scripts/deps.sh" | grep -q 'linux-image' &&
	bad "scripts/deps.sh names a linux-image package itself"

# The headers pull no image in (apt-get's own simulation, no root, no network).
n=$((n + 1))
if command -v apt-get > /dev/null && apt-cache show linux-headers-amd64 > /dev/null 2>&1; then
	sim=$(apt-get install -s -o Debug::NoLocking=1 --no-install-recommends \
		$("$vm/kernel.sh" packages deb61) $("$vm/kernel.sh" packages deb612) 2>&1)
	echo "$sim" | grep -E '^Inst linux-image' && bad "installing the headers would install an image"
	echo "$sim" | grep -qE '^E:' && bad "apt-get -s failed: $(echo "$sim" | grep '^E:')"
else
	echo "# no apt package lists: the headers' dependencies were not simulated"
fi

# The cache comes first, and run.sh finds the modules next to the image.
n=$((n + 1))
r=$("$vm/kernel.sh" release deb61 2>/dev/null)
if [ -n "$r" ]; then
	mkdir -p "$tmp/cache/$r/boot" "$tmp/cache/$r/lib/modules/$r/kernel"
	: > "$tmp/cache/$r/boot/vmlinuz-$r"
	got=$(MMDMA_KERNEL_CACHE=$tmp/cache "$vm/kernel.sh" image deb61)
	[ "$got" = "$tmp/cache/$r/boot/vmlinuz-$r" ] ||
		bad "kernel.sh image with a cached image: got '$got', expected the cache's"
	got=$(MMDMA_KERNEL_CACHE=$tmp/cache "$vm/kernel.sh" kdir deb61)
	[ "$got" = "/usr/src/linux-headers-$r" ] || bad "kernel.sh kdir: got '$got'"
	grep -q 'moddir=$(dirname "$kernel")/../lib/modules/$release' "$vm/run.sh" ||
		bad "run.sh does not take KMODS from next to the image"
	# An empty cache and no image in /boot: no kernel, and a message naming the cache.
	if [ ! -f "/boot/vmlinuz-$r" ]; then
		msg=$(MMDMA_KERNEL_CACHE=$tmp/none "$vm/kernel.sh" image deb61 2>&1) &&
			bad "kernel.sh image without any image succeeded"
		echo "$msg" | grep -q "$tmp/none" || bad "kernel.sh's message does not name the cache: $msg"
	fi
else
	echo "# no deb61 headers installed: the cache lookup was not checked"
fi

# What the host boots: GRUB's default entry, when there is GRUB, is not a
# kernel that is only in the cache, and no cached kernel is in /boot.
n=$((n + 1))
cache=$("$vm/kernel.sh" cache)
for d in "$cache"/*/boot/vmlinuz-*; do
	[ -f "$d" ] || continue
	rel=${d##*/vmlinuz-}
	dpkg-query -W -f='${Status}' "linux-image-$rel" 2>/dev/null | grep -q 'install ok installed' && continue
	[ -e "/boot/vmlinuz-$rel" ] && bad "$rel is in the VM cache and in /boot, not installed as a package"
	if [ -r /boot/grub/grub.cfg ] && grep -q "vmlinuz-$rel" /boot/grub/grub.cfg; then
		bad "$rel (a VM kernel) is in GRUB's menu"
	fi
done

finish test_vm_kernels_not_booted
