#!/bin/sh
# trinity (the Debian package) aimed at mmdma's device nodes, as one KTAP
# case.  Runs in the test VM (busybox sh, root): the host copies trinity
# and its shared libraries into the initramfs when it is installed there.
#
# Victims: copies of /dev/mmdma, /dev/mmdma-soft0 and /dev/mmdma-edu0 in a
# directory of their own (trinity walks one victim path, and /dev as a
# whole would hand it /dev/port and /dev/mem).  Other fd providers are off
# and the syscalls limited to what a device node serves, so the fuzzing
# stays on the driver.  MMDMA_TRINITY_SYSCALLS (default 20000) bounds the
# run; MMDMA_SEED replays one (trinity's -s).
echo "KTAP version 1"
echo "1..1"
name=trinity_on_device_nodes
bin=$(command -v trinity)
if [ -z "$bin" ]; then
	echo "ok 1 $name # SKIP trinity is not in the guest (install the Debian package trinity on the host)"
	exit 0
fi

victims=/tmp/mmdma-victims
rm -rf $victims && mkdir -p $victims
for n in mmdma mmdma-soft0 mmdma-edu0; do
	[ -r /sys/class/misc/$n/dev ] || continue
	IFS=: read -r major minor < /sys/class/misc/$n/dev
	mknod $victims/$n c "$major" "$minor"
done
if [ -z "$(ls $victims)" ]; then
	echo "not ok 1 $name # no mmdma device node to aim at"
	exit 1
fi

seed=${MMDMA_SEED:-$(date +%s)}
n=${MMDMA_TRINITY_SYSCALLS:-20000}
echo "# trinity seed $seed (replay: MMDMA_SEED=$seed), $n syscalls on: $(ls $victims | tr '\n' ' ')"
mkdir -p /tmp/trinity && cd /tmp/trinity || exit 1
before=$(cat /sys/class/misc/mmdma/buffers)
# Root needs --dangerous; -T: only a kernel warning, oops or bad page
# counts as trinity's failure (the kernel is already tainted: out-of-tree
# module, KUnit).
timeout -s KILL 600 "$bin" --dangerous -q -l off -T WARN,BAD_PAGE,DIE \
	-V $victims -a 64 -C 2 -N "$n" -s "$seed" \
	--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm \
	-c ioctl -c mmap -c munmap -c mremap -c mprotect -c madvise -c read -c write \
	-c pread64 -c pwrite64 -c readv -c writev -c preadv -c pwritev -c lseek \
	-c newfstat -c fcntl -c dup > /tmp/trinity.out 2>&1
rc=$?
tail -n 15 /tmp/trinity.out | sed 's/^/# /'
# Every buffer trinity made died with its processes.
after=$(cat /sys/class/misc/mmdma/buffers)
if [ $rc -ne 0 ]; then
	echo "not ok 1 $name # trinity exit status $rc"
	exit 1
fi
if [ "$after" != "$before" ]; then
	echo "not ok 1 $name # $after live buffers after trinity, $before before"
	exit 1
fi
echo "ok 1 $name"
