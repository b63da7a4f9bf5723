#!/bin/bash
# The isa profile's floppy image (vm/profiles/isa.conf, HOOK=isa.sh).
#
#   isa.sh pre DIR    write DIR/floppy.img (drive 0) and DIR/floppy-ro.img
#                     (drive 1, read-only to the guest): 1.44 MB each
#                     (2880 sectors of 512 bytes) in the image pattern
#   isa.sh post DIR   check that DIR/floppy.img holds exactly what the
#                     guest's tests/test_isa.c wrote, and the image pattern
#                     everywhere else; and that DIR/floppy-ro.img is as
#                     written here
#
# Patterns: each little-endian 32-bit word at byte offset O holds O xor a
# key; IMG_KEY for the image as written here, WR_KEY for what the guest
# writes, RO_KEY for the read-only one.  The guest writes exactly the ranges in WRITES (tests/test_isa.c
# has the same table): a missing write, a stray one or a neighbour that a
# read-modify-write damaged fails the check.  Exit status 0 when all is
# well; each problem is one line on stdout.
set -uo pipefail

IMG_KEY=0xa5c3e10f
WR_KEY=0x3c96d2b4
RO_KEY=0x0f1e2d3c
SIZE=1474560
# offset:length, as in tests/test_isa.c isa_writes[]
WRITES="1457152:4096 1462000:777 1465244:300 1454080:2560 1470001:1 1471488:1024"

[ $# -eq 2 ] || { echo "usage: isa.sh pre|post DIR" >&2; exit 2; }
img=$2/floppy.img
ro=$2/floppy-ro.img

case "$1" in
pre)
	python3 - "$img" "$IMG_KEY" "$ro" "$RO_KEY" "$SIZE" <<'PY'
import sys, struct
size = int(sys.argv[5])
for path, key in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    key = int(key, 16)
    with open(path, "wb") as f:
        f.write(struct.pack("<%dI" % (size // 4), *[(o ^ key) & 0xffffffff for o in range(0, size, 4)]))
PY
	;;
post)
	[ -r "$img" ] || { echo "no floppy image $img"; exit 1; }
	[ -r "$ro" ] || { echo "no floppy image $ro"; exit 1; }
	python3 - "$ro" "$RO_KEY" "$SIZE" <<'PY' || exit 1
import sys, struct
path, key, size = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
want = struct.pack("<%dI" % (size // 4), *[(o ^ key) & 0xffffffff for o in range(0, size, 4)])
if open(path, "rb").read() != want:
    print("read-only floppy image %s changed" % path)
    sys.exit(1)
PY
	python3 - "$img" "$IMG_KEY" "$WR_KEY" "$SIZE" "$WRITES" <<'PY'
import sys, struct
path, ikey, wkey, size = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16), int(sys.argv[4])
writes = [tuple(map(int, w.split(":"))) for w in sys.argv[5].split()]
def pattern(key):
    return struct.pack("<%dI" % (size // 4), *[(o ^ key) & 0xffffffff for o in range(0, size, 4)])
data = open(path, "rb").read()
if len(data) != size:
    print("floppy image is %d bytes, not %d" % (len(data), size))
    sys.exit(1)
want = bytearray(pattern(ikey))
wr = pattern(wkey)
for off, ln in writes:
    want[off:off + ln] = wr[off:off + ln]
if data == bytes(want):
    print("floppy image: %d written ranges and every other byte as expected" % len(writes))
    sys.exit(0)
bad = [i for i in range(size) if data[i] != want[i]]
print("floppy image: %d bytes differ, first at %d (%#x: image %#04x, expected %#04x), last at %d"
      % (len(bad), bad[0], bad[0], data[bad[0]], want[bad[0]], bad[-1]))
for off, ln in writes:
    miss = sum(1 for i in range(off, off + ln) if data[i] != want[i])
    if miss:
        print("  write %d+%d: %d bytes not as written" % (off, ln, miss))
sys.exit(1)
PY
	;;
*)
	echo "usage: isa.sh pre|post DIR" >&2; exit 2 ;;
esac
