#!/bin/bash
# Boot one mmdma test VM and give the host's verdict.
#
#   run.sh --kernel BZIMAGE --module MMDMA.KO --profile NAME --out DIR
#          [--mode test|demo|bench] [--tests "PROG..."] [--bench-args "ARGS"] [--timeout SECONDS]
#          [--mem-extra MIB] [--icount-smp N] FILE...
#
# MMDMA.KO is the core; the provider modules next to it (mmdma_*.ko) go
# into the guest too, which loads the core, then each provider, and the
# tests unload them in reverse.  A profile's MODPARAMS are the kernel
# command line's kind: NAME=VALUE for the core, MODULE.NAME=VALUE for a
# provider (mmdma_edu.edu_dma_bits=28).
# A profile's PYTHON=yes puts python3 and numpy in its guest (mkinitramfs.sh).
# --mem-extra adds MIB to the profile's memory (vm/kernel.sh mem-extra: the
# debug kernel's own overhead).
# FILEs (test programs, tools) go into the guest's /opt/mmdma/bin.  The
# guest's kernel log is kept in DIR/console.log, its KTAP in DIR/ktap.log.
# In test mode the last line printed is "N passed, N failed[, N skipped]"
# and DIR/summary holds "PASSED FAILED SKIPPED".  The results of an earlier
# run in DIR are removed first, before anything can stop this one, so no
# caller ever reads them as this run's.  Exit status: 0 when every
# case passed, the guest finished in time and its log holds no oops, BUG,
# WARNING, KASAN, lockdep, kmemleak or DMA-API report; 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=test tests= bench_args= timeout= kernel= module= profile=default out= mem_extra=0 icount_smp=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--bench-args) bench_args=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem-extra) mem_extra=$2; shift 2 ;;
	--icount-smp) icount_smp=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ -n "$out" ] || { echo "run.sh: --out DIR is required" >&2; exit 2; }
rm -f "$out"/console.log "$out"/ktap.log "$out"/ktap-problems "$out"/summary
[ -r "$kernel" ] || { echo "run.sh: cannot read kernel image '$kernel'" >&2; exit 2; }
[ -r "$module" ] || { echo "run.sh: cannot read module '$module'" >&2; exit 2; }
conf_file=$here/profiles/$profile.conf
[ -r "$conf_file" ] || { echo "run.sh: no profile $conf_file" >&2; exit 2; }

# Profile defaults, then the profile itself.  HOOK names a script in
# vm/hooks/ run as "HOOK pre DIR" before the boot (it may make files the
# profile's QEMU_ARGS name, under $MMDMA_OUT) and "HOOK post DIR" after
# it, in every mode; a hook that fails fails the run, one problem counted.
MEM=1G SMP=2 ICOUNT=no QEMU_ARGS= APPEND= MODPARAMS= TESTS= TIMEOUT=900 BENCH= EXPECT= KMODS= TEST_ENV=
PROMISE= HOOK= PYTHON=
MMDMA_OUT=$out
. "$conf_file"
# What the run must have (vm/guest-promise.sh): the module always, the
# software engine unless the profile turns it off, and what the profile
# adds (edu, reserved).  A broken promise fails the run.
promise="module"
case " $MODPARAMS " in
*" mmdma_soft.soft_mem_size=0 "*) ;;
*) promise="$promise soft" ;;
esac
PROMISE="$promise $PROMISE"
[ -n "$tests" ] && TESTS=$tests
[ -n "$timeout" ] && TIMEOUT=$timeout
# --icount-smp: vCPUs for a profile that uses icount (vm/kernel.sh icount-smp).
[ "$ICOUNT" = yes ] && [ -n "$icount_smp" ] && SMP=$icount_smp
if [ "$mem_extra" -gt 0 ]; then
	case "$MEM" in
	*G) MEM=$(( ${MEM%G} * 1024 + mem_extra ))M ;;
	*M) MEM=$(( ${MEM%M} + mem_extra ))M ;;
	*) MEM=$(( MEM + mem_extra )) ;;
	esac
fi

mkdir -p "$out"
cat > "$out/mmdma.conf" <<CONF
MODE='$mode'
TESTS='$TESTS'
BENCH='$BENCH'
BENCH_ARGS='$bench_args'
MODPARAMS='$MODPARAMS'
EXPECT='$EXPECT'
TEST_ENV='$TEST_ENV'
PROMISE='$PROMISE'
CONF
# DYNDBG=1 in the environment: the driver's dev_dbg() lines, on the console.
if [ -n "${DYNDBG:-}" ]; then
	echo "MODPARAMS=\"\$MODPARAMS dyndbg=+p mmdma_edu.dyndbg=+p mmdma_soft.dyndbg=+p mmdma_isa.dyndbg=+p mmdma_pci.dyndbg=+p\"" >> "$out/mmdma.conf"
	APPEND="$APPEND loglevel=8"
fi
# KMODS: kernel modules the tests load themselves, taken from the modules
# of the image's release, next to it: /boot/vmlinuz-RELEASE ->
# /lib/modules/RELEASE, and the same in the unpacked kernels' cache
# (DIR/boot/vmlinuz-RELEASE -> DIR/lib/modules/RELEASE, vm/kernel.sh).  A
# kernel without them (the debug kernel has no modules) ships none, and
# the tests that need them skip.  configfs always, when the kernel has it
# as a module: mmdma.ko uses its symbols (named buffers), so guest-init
# loads it first.
kmods=
release=$(basename "$kernel")
release=${release#vmlinuz-}
moddir=$(dirname "$kernel")/../lib/modules/$release
for m in configfs $KMODS; do
	f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" \
		-o -name "$m.ko.zst" 2>/dev/null | head -n 1)
	[ -n "$f" ] && kmods="$kmods $f"
done
if [ -n "$HOOK" ]; then
	mkdir -p "$out"
	"$here/hooks/$HOOK" pre "$out" || { echo "run.sh: hook $HOOK pre failed" >&2; exit 1; }
fi
MMDMA_KMODS="$kmods" MMDMA_PYTHON="$PYTHON" "$here/mkinitramfs.sh" "$out/initrd.gz" "$out/mmdma.conf" "$module" "$@" || exit 1

# One host thread for all vCPUs: with multi-threaded TCG, 6.12 sometimes
# dies at boot on an int3 left behind by cross-CPU code patching (a vCPU
# still runs a stale translation of the patched text).  The guest still has
# two CPUs, so preemption and the tests' threads still interleave.
accel="-accel tcg,thread=single"
# No CMPXCHG16B: twice (6.1 and 6.12, under test_teardown's rebinds and
# test_stress) a guest died in SLUB's fast path just after the emulated
# cmpxchg16b, with garbage in EFLAGS (a #DB, then a double fault), in code
# mmdma does not touch.  Without CX16 the kernel takes SLUB's locked path
# (and leaves IOMMU interrupt remapping off, which no test uses).
cpu="-cpu qemu64,-cx16"
extra_append=
if [ "$ICOUNT" = yes ]; then
	# Virtual time from the instruction count, and idle time skipped:
	# the edu device's 100 ms per DMA then costs little wall time.  With
	# icount the vCPUs share one host thread, and the guest's delay-loop
	# calibration hangs on the second CPU unless it is given a value.
	accel="-accel tcg -icount shift=auto,sleep=off"
	extra_append="lpj=4000000 tsc=reliable"
fi

: > "$out/console.log"
: > "$out/ktap.log"
# shellcheck disable=SC2086
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -M q35 $accel $cpu \
	-smp "$SMP" -m "$MEM" -display none -vga none -nic none -no-reboot \
	-monitor none -kernel "$kernel" -initrd "$out/initrd.gz" \
	-append "console=ttyS0 panic=-1 oops=panic $extra_append $APPEND" \
	-serial "file:$out/console.log" -serial "file:$out/ktap.log" \
	$QEMU_ARGS > "$out/qemu.log" 2>&1 &
qemu=$!
trap 'kill -KILL $qemu 2>/dev/null' EXIT
trap 'exit 130' INT TERM
# Show the guest's output as it arrives; tail exits when QEMU does.
tail -n +1 --pid=$qemu -f "$out/ktap.log" | grep -av --line-buffered '^mmdma-guest-done.\?$'
wait $qemu
qemu_rc=$?
trap - EXIT INT TERM

problems=0
note() { echo "# host: $*"; problems=$((problems + 1)); }

if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	note "guest timed out after ${TIMEOUT}s (QEMU killed)"
elif [ $qemu_rc -ne 0 ]; then
	note "QEMU exited with status $qemu_rc: $(tail -n 3 "$out/qemu.log" | tr '\n' ' ')"
fi
grep -aq '^mmdma-guest-done.\?$' "$out/ktap.log" || note "guest did not finish its run"

# The guest log is part of the verdict, whatever the cases said.
splat='Oops|BUG:|WARNING:|KASAN|UBSAN|DMA-API|kmemleak|unreferenced object|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|Kernel panic|general protection fault|Call Trace:|INFO: task .* blocked|rcu: .*stall|refcount_t:|list_(add|del) corruption|Bad page'
# What the debug kernel's checkers say at every boot, when all is well.
benign='kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread started)|DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)'
reports() { grep -avE "$benign" "$out/console.log" | grep -aE "$splat"; }
if reports > /dev/null; then
	note "kernel log holds reports:"
	reports | head -n 20 | sed 's/^/#   /'
fi
echo "# host: guest log: $out/console.log"

# What the guest left on the host (a disk image it wrote), checked here.
if [ -n "$HOOK" ]; then
	if hook_out=$("$here/hooks/$HOOK" post "$out" 2>&1); then
		printf '%s\n' "$hook_out" | sed 's/^/# host: /'
	else
		note "hook $HOOK post failed:"
		printf '%s\n' "$hook_out" | sed 's/^/#   /'
	fi
fi

if [ "$mode" != test ]; then
	# In test mode vm/ktap-summary.awk counts these with the cases.
	while read -r line; do
		note "${line#mmdma-guest-fail: }"
	done < <(grep -a '^mmdma-guest-fail: ' "$out/ktap.log")
	[ $problems -eq 0 ]
	exit $?
fi

read -r passed failed skipped < <(awk -f "$here/ktap-summary.awk" "$out/ktap.log" 2> "$out/ktap-problems")
sed 's/^/# host: /' "$out/ktap-problems"
failed=$((failed + problems))
echo "$passed $failed $skipped" > "$out/summary"
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
