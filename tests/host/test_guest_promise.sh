#!/bin/bash
# Host-side tests of vm/guest-promise.sh: a module that did not load, or a
# device or region the profile promises that is missing, must give a
# "mmdma-guest-fail:" line (which fails the run), never silence.
set -u
lib=$(cd "$(dirname "$0")/../../vm" && pwd)/guest-promise.sh
fails=0 n=0
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# A guest tree where everything promised is there.
make_tree() {
	rm -rf "$root" && mkdir -p "$root"/sys/module/mmdma/parameters \
		"$root"/sys/class/misc/{mmdma,mmdma-soft0,mmdma-edu0} "$root"/dev "$root"/proc
	: > "$root"/dev/mmdma; : > "$root"/dev/mmdma-soft0; : > "$root"/dev/mmdma-edu0
	echo 16777216 > "$root"/sys/module/mmdma/parameters/reserved_size
	printf '08000000-08ffffff : Reserved\n  08000000-08ffffff : mmdma-reserved\n' > "$root"/proc/iomem
}

# expect NAME PROMISE INSMOD_STATUS WANT_LINES [PATTERN]: promise_check
# prints WANT_LINES failure lines (the first matching PATTERN) and returns
# that count.
expect() {
	local name=$1 promise=$2 st=$3 want=$4 pat=${5:-} out rc lines
	n=$((n + 1))
	out=$(SYSROOT=$root MMDMA_PROMISE=$promise MMDMA_KO=mmdma.ko MMDMA_PARAMS= \
		sh -c '. "$1"; promise_check "$2"' sh "$lib" "$st")
	rc=$?
	lines=$(printf '%s' "$out" | grep -c '^mmdma-guest-fail: ')
	if [ "$lines" != "$want" ] || [ "$rc" != "$want" ] ||
	   { [ -n "$pat" ] && ! printf '%s' "$out" | grep -q -- "$pat"; }; then
		echo "not ok: $name: $lines lines, status $rc, expected $want${pat:+ matching '$pat'}:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
}

make_tree
expect "everything there" "module soft edu reserved" 0 0
expect "no promises, nothing checked" "" 1 0

make_tree
expect "insmod failed" "module soft" 1 1 "insmod mmdma.ko"

make_tree
rm -rf "$root"/sys/module/mmdma "$root"/sys/class/misc/mmdma* "$root"/dev/mmdma*
expect "insmod failed, nothing registered" "module soft edu" 1 8 "promised edu"

make_tree
rm -rf "$root"/sys/class/misc/mmdma-edu0 "$root"/dev/mmdma-edu0
expect "edu promised, probe failed" "module soft edu" 0 2 "promised edu: no /sys/class/misc/mmdma-edu0"
expect "edu not promised, absent" "module soft" 0 0

make_tree
rm -f "$root"/dev/mmdma-soft0
expect "soft node missing in /dev" "module soft" 0 1 "no /dev/mmdma-soft0"

make_tree
echo 0 > "$root"/sys/module/mmdma/parameters/reserved_size
: > "$root"/proc/iomem
expect "reserved promised, module has none" "module reserved" 0 2 "reserved_size is '0'"

make_tree
expect "isa promised, no engine (isa_fdc=0 or the probe failed)" "module soft isa" 0 2 "promised isa: no /sys/class/misc/mmdma-isa0"
mkdir -p "$root"/sys/class/misc/mmdma-isa0; : > "$root"/dev/mmdma-isa0
expect "isa promised and there" "module soft isa" 0 0

make_tree
expect "a promise the checker does not know" "module edu typo" 0 1 "unknown promise 'typo'"

echo "test_guest_promise: $n checks, $fails failed"
[ $fails -eq 0 ]
