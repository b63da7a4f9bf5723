#!/bin/sh
# The programs of examples/ run as a user would run them, one KTAP case
# each: exit status 0 and the line that says the data was checked.  The
# Python example needs python3 and numpy in the guest (PYTHON=yes): a
# profile without them skips it.
bin=/opt/mmdma/bin
py=/opt/mmdma/python
echo "KTAP version 1"
echo "1..7"
n=0 bad=0
run() {
	name=$1 want=$2
	shift 2
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ] && echo "$out" | grep -q "$want"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name # exit status $rc"
		bad=1
	fi
}
run alloc_map 'read back: "hello from user space"' $bin/example_alloc_map 1048576
run dma_roundtrip_soft 'data checked' $bin/example_dma_roundtrip /dev/mmdma-soft0 1048576
if [ -e /dev/mmdma-edu0 ]; then
	run dma_roundtrip_edu 'data checked' $bin/example_dma_roundtrip /dev/mmdma-edu0 16384
else
	n=$((n + 1))
	case " $MMDMA_PROMISE " in
	*" edu "*) echo "not ok $n dma_roundtrip_edu # the profile promises edu"; bad=1 ;;
	*) echo "ok $n dma_roundtrip_edu # SKIP no edu device" ;;
	esac
fi
run dio_uring 'data checked' $bin/example_dio_uring /dev/mmdma-soft0
run dmabuf_export 'moved and checked' $bin/example_dmabuf_export /dev/mmdma-soft0
if command -v python3 > /dev/null; then
	run numpy_roundtrip 'data checked' env PYTHONPATH=$py python3 $py/numpy_roundtrip.py mmdma-soft0
else
	n=$((n + 1))
	echo "ok $n numpy_roundtrip # SKIP no python3 in this profile's guest (PYTHON=yes)"
fi
if ! command -v python3 > /dev/null; then
	n=$((n + 1))
	echo "ok $n persistent_buffer # SKIP no python3 in this profile's guest (PYTHON=yes)"
elif [ ! -d /sys/kernel/config/mmdma ]; then
	n=$((n + 1))
	echo "ok $n persistent_buffer # SKIP the kernel has no configfs (mmdma create needs it)"
else
	run persistent_buffer 'data checked' env PATH=$bin:$PATH PYTHONPATH=$py \
		python3 $py/persistent_buffer.py example
fi
exit $bad
