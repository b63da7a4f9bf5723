#!/bin/bash
# Debian packages of mmdma, and their test (docs/install.md).
#
#   deb.sh build DIR            build mmdma-dkms, libmmdma0, libmmdma-dev and
#                               mmdma-tools from a copy of the tree; .debs in DIR
#   deb.sh check DIR KERNELS FILE...
#                               build them, install them into a throw-away
#                               root, let DKMS build the module there for each
#                               kernel, and run the mm profile in a VM on each
#                               kernel against the DKMS-built module (FILEs:
#                               the guest's test programs)
#
# The throw-away root is an overlay over this machine's own root, in a
# private mount namespace: the packages install through dpkg into its upper
# layer, with the kernel headers and build tools this machine has, and the
# host's dpkg database, /usr/src, /lib/modules and /etc never change (the
# check asserts it).  No network is used.  It needs root (mounts, chroot).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:?usage: deb.sh build|check DIR [KERNELS FILE...]}
dest=${2:?usage: deb.sh build|check DIR [KERNELS FILE...]}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
version=$(cat VERSION)
packages="mmdma-dkms libmmdma0 libmmdma-dev mmdma-tools python3-mmdma"
# The ABI version the installed header and Python module must both say.
abi=$(awk '$2 == "MMDMA_ABI_VERSION" { print $3 }' include/uapi/linux/mmdma.h)

build() {
	local cl src
	cl=$(dpkg-parsechangelog -l debian/changelog -S Version)
	if [ "$cl" != "$version" ]; then
		echo "deb: debian/changelog is at $cl, VERSION says $version: add a changelog entry (dch -v $version)" >&2
		exit 1
	fi
	"$top/scripts/deps.sh" --deb
	# A copy of the tree without build output or git: dpkg-buildpackage
	# writes its .debs next to the source directory, which is here.
	src=$dest/src/mmdma-$version
	rm -rf "$dest/src" "$dest"/*.deb "$dest"/*.buildinfo "$dest"/*.changes
	mkdir -p "$src"
	tar -C "$top" --exclude=./build --exclude=./.git --exclude="./${O:-build}" -cf - . |
		tar -C "$src" -xf -
	(cd "$src" && dpkg-buildpackage -b -us -uc) > "$dest/build.log" 2>&1 || {
		tail -n 30 "$dest/build.log" >&2
		echo "deb: dpkg-buildpackage failed; the whole log is $dest/build.log" >&2
		exit 1
	}
	mv "$dest/src"/*.deb "$dest/"
	for p in $packages; do
		ls "$dest/${p}_${version}_"*.deb > /dev/null 2>&1 || {
			echo "deb: $p was not built" >&2
			exit 1
		}
	done
	echo "deb: built in $dest:"
	(cd "$dest" && ls -1 ./*.deb | sed 's|^\./|  |')
}

if [ "$what" = build ]; then
	build
	exit 0
fi
[ "$what" = check ] || { echo "deb.sh: unknown action '$what'" >&2; exit 2; }
shift 2
kernels=${1:?deb.sh check DIR KERNELS FILE...}
shift
[ "$(id -u)" -eq 0 ] || { echo "deb: check needs root (a mount namespace and chroot)" >&2; exit 1; }

fails=0
bad() {
	echo "not ok: $*"
	fails=$((fails + 1))
}
t0=$(date +%s)
lap() { echo "# deb-check: $1 after $(( $(date +%s) - t0 )) s"; }
build
lap "packages built"

# The provider modules DKMS builds next to the core (dist/dkms.conf.in).
providers="mmdma_edu mmdma_soft mmdma_isa mmdma_pci"
# The kernels to build for, by release (vm/kernel.sh names -> releases).
releases=
for k in $kernels; do
	kdir=$(vm/kernel.sh kdir "$k")
	releases="$releases ${kdir#/usr/src/linux-headers-}"
done

# mmdma on the host: none of it may be there (the root would not be clean).
mmdma_state() {
	dpkg-query -W -f='${Package} ${Status}\n' $packages 2>/dev/null | grep ' installed$' || true
	ls -d /usr/src/mmdma-* /var/lib/dkms/mmdma 2>/dev/null || true
	ls /lib/modules/*/updates/dkms/mmdma*.ko* 2>/dev/null || true
}
# And what the install touches on the host must be the same after.
host_state() {
	mmdma_state
	getent group mmdma || true
	md5sum /var/lib/dpkg/status /etc/group
	ls /boot /lib/modules
}
if [ -n "$(mmdma_state)" ]; then
	echo "deb: mmdma is already installed on this machine, so the root would not be clean:" >&2
	mmdma_state >&2
	exit 1
fi
before=$(host_state)

work=$dest/root
rm -rf "$work" "$dest/modules"
mkdir -p "$work/upper" "$work/work" "$work/root" "$dest/modules"
# The script run inside the root, as root of it: install, check, build a
# program against the -dev package, refuse a kernel without headers, remove.
cat > "$work/in-root.sh" <<INROOT
#!/bin/bash
set -uo pipefail
fails=0
bad() { echo "not ok: \$*"; fails=\$((fails + 1)); }
expect_eq() { [ "\$2" = "\$3" ] || bad "\$1: got '\$2', expected '\$3'"; }
export DEBIAN_FRONTEND=noninteractive
echo "# in-root: dpkg -i $packages"
if ! dpkg -i $(for p in $packages; do for f in "$dest/${p}_${version}_"*.deb; do printf '/mmdma-debs/%s ' "${f##*/}"; done; done) > /mmdma-out/dpkg.log 2>&1; then
	cat /mmdma-out/dpkg.log
	bad "dpkg -i failed"
	exit 1
fi
grep -E '^Building|^dkms-all' /mmdma-out/dpkg.log | sed 's/^/# dpkg: /'
for r in $releases; do
	expect_eq "dkms status for \$r" "\$(dkms status -m mmdma -v $version -k \$r 2>/dev/null | sed 's/,.*//; s/: .*//')" "mmdma/$version"
	case "\$(dkms status -m mmdma -v $version -k \$r 2>/dev/null)" in
	*': installed'*) ;;
	*) bad "mmdma not installed by DKMS for \$r" ;;
	esac
	# DKMS compresses the modules as the kernel's own are (6.12: xz):
	# the core and each provider, which depends on it.
	for m in mmdma $providers; do
		ko=\$(ls /lib/modules/\$r/updates/dkms/\$m.ko* 2>/dev/null | head -n 1)
		[ -n "\$ko" ] || { bad "/lib/modules/\$r/updates/dkms/\$m.ko* missing"; continue; }
		expect_eq "\$r: \$m modinfo version" "\$(modinfo -F version "\$ko")" "$version"
		expect_eq "\$r: \$m vermagic release" "\$(modinfo -F vermagic "\$ko" | cut -d' ' -f1)" "\$r"
		[ \$m = mmdma ] || expect_eq "\$r: \$m depends" "\$(modinfo -F depends "\$ko")" "mmdma"
	done
done
expect_eq "mmdma --version" "\$(mmdma --version)" "mmdma $version"
getent group mmdma > /dev/null || bad "no mmdma group"
[ -f /lib/udev/rules.d/60-mmdma.rules ] || bad "no udev rule"
[ -f /etc/modprobe.d/mmdma.conf ] || bad "no modprobe.d example"
# Debian's interpreter, which the package is for: not the first python3 on
# PATH (root's own pyenv on some machines, which never sees dist-packages).
expect_eq "python3-mmdma import" "\$(cd / && /usr/bin/python3 -c 'import mmdma; print(mmdma.__file__, mmdma.ABI_VERSION)')" "/usr/lib/python3/dist-packages/mmdma/__init__.py $abi"
cat > /tmp/prog.c <<'PROG'
#include <stdio.h>
#include <libmmdma.h>
int main(void) { printf("%s %d\n", mmdma_version(), MMDMA_ABI_VERSION); return 0; }
PROG
if cc -o /tmp/prog /tmp/prog.c \$(pkg-config --cflags --libs libmmdma) &&
   cc -static -o /tmp/prog_static /tmp/prog.c \$(pkg-config --cflags --libs --static libmmdma); then
	expect_eq "libmmdma-dev program (shared)" "\$(/tmp/prog)" "$version $abi"
	expect_eq "libmmdma-dev program (static)" "\$(/tmp/prog_static)" "$version $abi"
else
	bad "a program against libmmdma-dev did not build"
fi
# A kernel without headers: DKMS and the module's Makefile name the package.
mkdir -p /lib/modules/6.99.0-1-amd64
out=\$(dkms build -m mmdma -v $version -k 6.99.0-1-amd64 2>&1) && bad "dkms build without headers succeeded"
echo "\$out" | grep -q 'linux-headers-6.99.0-1-amd64' || bad "dkms build without headers did not name the package: \$out"
out=\$(make -s -C /usr/src/mmdma-$version/kernel KVER=6.99.0-1-amd64 2>&1) && bad "make without headers succeeded"
echo "\$out" | grep -q 'apt-get install linux-headers-6.99.0-1-amd64' || bad "make without headers did not name the package: \$out"
rmdir /lib/modules/6.99.0-1-amd64
echo "# in-root: the modules, out to the host"
for r in $releases; do
	mkdir -p /mmdma-out/\$r
	for m in mmdma $providers; do
		ko=\$(ls /lib/modules/\$r/updates/dkms/\$m.ko* 2>/dev/null | head -n 1)
		case "\$ko" in
		*.ko) cp "\$ko" /mmdma-out/\$r/\$m.ko ;;
		*.ko.xz) xz -dc "\$ko" > /mmdma-out/\$r/\$m.ko ;;
		*.ko.zst) zstd -qdc "\$ko" > /mmdma-out/\$r/\$m.ko ;;
		*.ko.gz) gzip -dc "\$ko" > /mmdma-out/\$r/\$m.ko ;;
		*) false ;;
		esac || bad "copy of \$r's module \$m (\$ko)"
	done
done
# Removal takes the modules away again.
dpkg --purge $packages > /mmdma-out/purge.log 2>&1 || { cat /mmdma-out/purge.log; bad "dpkg --purge failed"; }
[ -n "\$(ls /lib/modules/*/updates/dkms/mmdma*.ko* 2>/dev/null)" ] && bad "modules left after purge"
[ -e /usr/src/mmdma-$version ] && bad "/usr/src/mmdma-$version left after purge"
echo "# in-root: \$fails failed"
exit \$fails
INROOT
chmod +x "$work/in-root.sh"

rc=0
unshare --mount --propagation private bash -euc '
	work=$1 out=$2 debs=$3
	mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"
	mount --rbind /dev "$work/root/dev"
	mount -t proc proc "$work/root/proc"
	mount --rbind /sys "$work/root/sys"
	mount -t tmpfs tmpfs "$work/root/tmp"
	mount -t tmpfs tmpfs "$work/root/run"
	mkdir -p "$work/root/mmdma-out" "$work/root/mmdma-debs"
	mount --bind "$out" "$work/root/mmdma-out"
	# The packages, wherever the tree is: a tree under /tmp would be
	# hidden by the tmpfs on the root at /tmp.
	mount --bind "$debs" "$work/root/mmdma-debs"
	cp "$work/in-root.sh" "$work/root/tmp/"
	chroot "$work/root" /tmp/in-root.sh
' deb-root "$work" "$dest/modules" "$dest" || rc=$?
[ $rc -eq 0 ] || bad "inside the root: $rc failed"

lap "packages installed, DKMS-built, checked and purged in the root"
after=$(host_state)
[ "$after" = "$before" ] || bad "the host changed: $after"
rm -rf "$work"

vp=0 vf=0 vs=0
for k in $kernels; do
	r=$(vm/kernel.sh kdir "$k"); r=${r#/usr/src/linux-headers-}
	ko=$dest/modules/$r/mmdma.ko
	[ -f "$ko" ] || { bad "$k: no DKMS-built module"; continue; }
	out=$dest/vm/$k-mm
	echo "### $k / mm, DKMS-built module"
	vm/run.sh --kernel "$(vm/kernel.sh image "$k")" --module "$ko" --profile mm \
		--out "$out" --mem-extra "$(vm/kernel.sh mem-extra "$k")" "$@" || bad "$k/mm on the DKMS module"
	if [ -r "$out/summary" ]; then
		read -r sp sf ss < "$out/summary"
		echo "# $k/mm (DKMS): $sp passed, $sf failed, $ss skipped"
		vp=$((vp + sp)) vf=$((vf + sf)) vs=$((vs + ss))
	fi
	lap "$k/mm done"
done

# The verdict last, as make check's ("N passed, N failed[, N skipped]"): the
# VM cases, and every failed check of the packages as one failure more.
echo "deb-check: $fails checks of the packages failed"
line="$vp passed, $((vf + fails)) failed"
[ "$vs" -gt 0 ] && line="$line, $vs skipped"
echo "$line"
[ $((vf + fails)) -eq 0 ]
