#!/bin/bash
# Host-side tests of vm/hooks/isa.sh: the post-boot check of the floppy
# image must fail for an image the guest did not write as tests/test_isa.c
# says (a missing write, a damaged neighbour, a wrong size), and pass only
# for the exact result.
set -u
hook=$(cd "$(dirname "$0")/../../vm/hooks" && pwd)/isa.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0 n=0

# expect NAME STATUS: "isa.sh post" on $dir exits with STATUS.
expect() {
	local out rc
	n=$((n + 1))
	out=$("$hook" post "$dir" 2>&1)
	rc=$?
	if [ "$rc" != "$2" ]; then
		echo "not ok: $1: status $rc, expected $2:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
}

# Apply the guest's writes (the WRITES of isa.sh) to the image.
write_all() {
	python3 - "$dir/floppy.img" <<'PY'
import sys, struct
path = sys.argv[1]
writes = [(1457152, 4096), (1462000, 777), (1465244, 300), (1454080, 2560), (1470001, 1), (1471488, 1024)]
data = bytearray(open(path, "rb").read())
for off, ln in writes:
    base = off & ~3
    words = struct.pack("<%dI" % ((ln + 8) // 4 + 1), *[((base + 4 * i) ^ 0x3c96d2b4) & 0xffffffff for i in range((ln + 8) // 4 + 1)])
    data[off:off + ln] = words[off - base:off - base + ln]
open(path, "wb").write(data)
PY
}

"$hook" pre "$dir" || { echo "not ok: pre failed"; exit 1; }
[ "$(stat -c %s "$dir/floppy.img")" = 1474560 ] || { echo "not ok: image size"; fails=$((fails + 1)); }
expect "pristine image: the guest wrote nothing" 1
write_all
expect "every write there, the rest untouched" 0
printf '\x00' | dd of="$dir/floppy.img" bs=1 seek=1461999 conv=notrunc status=none
expect "a neighbour of a write damaged" 1
"$hook" pre "$dir" && write_all
printf '\x00' | dd of="$dir/floppy.img" bs=1 seek=5 conv=notrunc status=none
expect "a stray byte far from the writes" 1
"$hook" pre "$dir" && write_all && truncate -s 1474048 "$dir/floppy.img"
expect "a shorter image" 1
rm -f "$dir/floppy.img"
expect "no image" 1
"$hook" pre "$dir" && write_all
expect "both images as expected" 0
printf '\x00' | dd of="$dir/floppy-ro.img" bs=1 seek=4096 conv=notrunc status=none
expect "the read-only image changed" 1

echo "test_isa_hook: $n checks, $fails failed"
[ $fails -eq 0 ]
