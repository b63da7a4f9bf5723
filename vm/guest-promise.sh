# mmdma guest: what the profile promises, checked once the module is loaded.
# Sourced by vm/guest-init (busybox sh); tests/host/test_guest_promise.sh
# runs it on the host against a fake tree.
#
# $MMDMA_PROMISE holds words, each a thing the run must have (vm/run.sh
# builds it from the profile's PROMISE):
#   module    insmod of the core and of every provider module succeeded,
#             /sys/module/mmdma and the control node exist
#   soft      the software engine's node mmdma-soft0 (mmdma_soft loaded,
#             soft_mem_size > 0)
#   edu       the edu device's node mmdma-edu0 (the profile adds -device edu)
#   isa       the ISA DMA engine's node mmdma-isa0 (isa-fdc and
#             mmdma_isa.isa_fdc=1)
#   reserved  a reserved region claimed by the driver (reserved_size > 0)
# The test programs read the same variable (tests/util.c, t_absent()): a
# case that finds a promised thing missing fails instead of skipping.
#
# promise_check INSMOD_STATUS prints one "mmdma-guest-fail: REASON" line
# for each broken promise (vm/ktap-summary.awk counts each as a failure)
# and returns how many there were.  $SYSROOT (empty in the guest) prefixes
# every path it looks at.

promise_fail() {
	echo "mmdma-guest-fail: $*"
	promise_broken=$((promise_broken + 1))
}

# promise_node NAME WORD: the misc device NAME is registered and has its node.
promise_node() {
	[ -e "$SYSROOT/sys/class/misc/$1" ] ||
		promise_fail "promised $2: no /sys/class/misc/$1"
	[ -e "$SYSROOT/dev/$1" ] ||
		promise_fail "promised $2: no /dev/$1"
}

promise_check() {
	promise_broken=0
	for p in $MMDMA_PROMISE; do
		case "$p" in
		module)
			[ "$1" = 0 ] ||
				promise_fail "insmod ${MMDMA_KO_FAILED:-$MMDMA_KO${MMDMA_PARAMS:+ $MMDMA_PARAMS}} failed (status $1)"
			[ -d "$SYSROOT/sys/module/mmdma" ] ||
				promise_fail "promised module: mmdma is not loaded"
			promise_node mmdma module
			;;
		soft)
			promise_node mmdma-soft0 soft
			;;
		edu)
			promise_node mmdma-edu0 edu
			;;
		isa)
			promise_node mmdma-isa0 isa
			;;
		reserved)
			size=$(cat "$SYSROOT/sys/module/mmdma/parameters/reserved_size" 2>/dev/null)
			[ -n "$size" ] && [ "$size" != 0 ] ||
				promise_fail "promised reserved: reserved_size is '${size:-unreadable}'"
			grep -q ' : mmdma-reserved$' "$SYSROOT/proc/iomem" 2>/dev/null ||
				promise_fail "promised reserved: /proc/iomem has no mmdma-reserved region"
			;;
		*)
			promise_fail "unknown promise '$p' in the profile"
			;;
		esac
	done
	return $promise_broken
}
