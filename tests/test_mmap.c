// SPDX-License-Identifier: GPL-2.0
/*
 * The mmap device operation: every memory kind and mapping method, seen from
 * user space.
 */

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Not a whole number of pages: the driver rounds up. */
#define ODD_SIZE	(5 * PAGE + 123)
#define ROUNDED		(6 * PAGE)

static const int rw = PROT_READ | PROT_WRITE;

/* Data written with write() shows in a mapping, and the other way round. */
static void every_method_maps_what_write_wrote_sized(size_t size,
						     size_t rounded)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(size, c->kind, c->method);
		uint8_t *src = malloc(rounded), *p;
		struct mmdma_buf_info info = t_info(fd);

		ktap_diag("%s", combo_name(c));
		EXPECT_EQ(info.size, rounded);
		EXPECT_EQ(info.kind, c->kind);
		EXPECT_EQ(info.method, c->method);
		mmdma_pattern_fill(src, 0, rounded, 11);
		ASSERT_EQ(pwrite(fd, src, rounded, 0), rounded);

		p = t_map(fd, rounded, rw, MAP_SHARED, 0);
		t_expect_pattern(p, 0, rounded, 11);

		mmdma_pattern_fill(p, 0, rounded, 12);
		memset(src, 0, rounded);
		ASSERT_EQ(pread(fd, src, rounded, 0), rounded);
		t_expect_pattern(src, 0, rounded, 12);

		/* The kernel writes through its own mapping of the pages. */
		ASSERT_OK(mmdma_buf_fill(fd, PAGE + 7, 3 * PAGE, 13));
		t_expect_pattern(p + PAGE + 7, PAGE + 7, 3 * PAGE, 13);
		t_expect_pattern(p, 0, PAGE + 7, 12);

		info = t_info(fd);
		EXPECT_EQ(info.mmaps, 1);
		EXPECT_EQ(info.live_maps, 1);
		if (c->method == MMDMA_MAP_FAULT) {
			EXPECT_EQ(info.faults, rounded / PAGE);
			EXPECT_EQ(info.inserted, 0);
		} else {
			/* Mapped at mmap() time: no fault reaches the driver. */
			EXPECT_EQ(info.faults, 0);
			EXPECT_EQ(info.inserted, rounded / PAGE);
		}
		munmap(p, rounded);
		EXPECT_EQ(t_live_maps(fd), 0);
		free(src);
		close(fd);
	}
}

static void every_method_maps_what_write_wrote(void)
{
	every_method_maps_what_write_wrote_sized(ODD_SIZE, ROUNDED);
}

/*
 * Page arrays and vmalloc memory of more than 64 KiB come in blocks of
 * several pages (a 1 MiB block, a 64 KiB one and single pages here, each
 * block split into order-0 pages); every method maps them like single pages.
 */
#define BLOCKS_SIZE	((1UL << 20) + 17 * PAGE + 123)
#define BLOCKS_ROUNDED	((1UL << 20) + 18 * PAGE)

static void every_method_maps_a_buffer_taken_in_blocks(void)
{
	every_method_maps_what_write_wrote_sized(BLOCKS_SIZE, BLOCKS_ROUNDED);
}

/* A mapping at a page offset shows the buffer from that offset on. */
static void mapping_at_offset_starts_there(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(8 * PAGE, c->kind, c->method);
		uint8_t *p;

		ASSERT_OK(mmdma_buf_fill(fd, 0, 8 * PAGE, 21));
		p = t_map(fd, 3 * PAGE, PROT_READ, MAP_SHARED, 5 * PAGE);
		t_expect_pattern(p, 5 * PAGE, 3 * PAGE, 21);
		munmap(p, 3 * PAGE);
		close(fd);
	}
}

/* Two mappings in one process are two views of the same memory. */
static void two_mappings_share_memory(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(4 * PAGE, c->kind, c->method);
		uint8_t *a = t_map(fd, 4 * PAGE, rw, MAP_SHARED, 0);
		uint8_t *b = t_map(fd, 2 * PAGE, PROT_READ, MAP_SHARED, 2 * PAGE);

		EXPECT_EQ(t_live_maps(fd), 2);
		mmdma_pattern_fill(a, 0, 4 * PAGE, 31);
		t_expect_pattern(b, 2 * PAGE, 2 * PAGE, 31);
		munmap(a, 4 * PAGE);
		munmap(b, 2 * PAGE);
		EXPECT_EQ(t_live_maps(fd), 0);
		close(fd);
	}
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int peer_sock;

/* The peer maps a buffer it received over a socket and writes into it. */
static void peer_writes(void *arg)
{
	int fd = recv_fd(peer_sock);
	uint8_t *p;
	char done = 'd';

	(void)arg;
	ASSERT(fd >= 0);
	p = t_map(fd, 16 * PAGE, rw, MAP_SHARED, 0);
	close(fd);
	mmdma_pattern_fill(p, 0, 16 * PAGE, 41);
	ASSERT_EQ(write(peer_sock, &done, 1), 1);
	/* Keep the mapping until the parent has counted it. */
	ASSERT_EQ(read(peer_sock, &done, 1), 1);
}

/* An unrelated process maps the same buffer: both see each other's data. */
static void two_processes_share_buffer(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int sv[2], fd;
		uint8_t *p;
		pid_t pid;
		char b;

		ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		peer_sock = sv[1];
		/* Forked before the buffer exists: it shares nothing but the socket. */
		pid = t_fork(peer_writes, NULL);
		close(sv[1]);
		fd = t_buf(16 * PAGE, c->kind, c->method);
		p = t_map(fd, 16 * PAGE, PROT_READ, MAP_SHARED, 0);
		ASSERT_OK(send_fd(sv[0], fd));
		ASSERT_EQ(read(sv[0], &b, 1), 1);
		t_expect_pattern(p, 0, 16 * PAGE, 41);
		EXPECT_EQ(t_live_maps(fd), 2);
		ASSERT_EQ(write(sv[0], &b, 1), 1);
		EXPECT_EQ(t_wait(pid), 0);
		EXPECT_EQ(t_live_maps(fd), 1);
		munmap(p, 16 * PAGE);
		close(sv[0]);
		close(fd);
	}
}

static uint8_t *child_map;

static void child_fills(void *arg)
{
	mmdma_pattern_fill(child_map, 0, 8 * PAGE, (uint32_t)(uintptr_t)arg);
}

/* A MAP_SHARED mapping stays shared across fork(); the count follows. */
static void fork_child_writes_parent_sees(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(8 * PAGE, c->kind, c->method);
		pid_t pid;

		child_map = t_map(fd, 8 * PAGE, rw, MAP_SHARED, 0);
		pid = t_fork(child_fills, (void *)(uintptr_t)51);
		EXPECT_EQ(t_wait(pid), 0);
		t_expect_pattern(child_map, 0, 8 * PAGE, 51);
		EXPECT_EQ(t_live_maps(fd), 1);
		munmap(child_map, 8 * PAGE);
		EXPECT_EQ(t_live_maps(fd), 0);
		close(fd);
	}
}

static void touch_page(void *arg)
{
	volatile uint8_t *p = arg;

	(void)*p;
}

/* mremap() grows and shrinks a fault-mapped buffer; past the end is SIGBUS. */
static void mremap_grows_and_shrinks_fault_mapping(void)
{
	int fd = t_buf(8 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint8_t *p, *q;

	ASSERT_OK(mmdma_buf_fill(fd, 0, 8 * PAGE, 61));
	p = t_map(fd, 2 * PAGE, rw, MAP_SHARED, 0);
	t_expect_pattern(p, 0, 2 * PAGE, 61);

	q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	ASSERT(q != MAP_FAILED);
	t_expect_pattern(q, 0, 8 * PAGE, 61);
	EXPECT_EQ(t_live_maps(fd), 1);

	p = mremap(q, 8 * PAGE, PAGE, 0);
	ASSERT(p == q);
	t_expect_pattern(p, 0, PAGE, 61);
	EXPECT_EQ(t_live_maps(fd), 1);

	/* Grown past the buffer: the VMA exists but the page does not. */
	q = mremap(p, PAGE, 10 * PAGE, MREMAP_MAYMOVE);
	ASSERT(q != MAP_FAILED);
	t_expect_pattern(q, 0, 8 * PAGE, 61);
	EXPECT_EQ(t_wait(t_fork(touch_page, q + 9 * PAGE)), 128 + SIGBUS);
	munmap(q, 10 * PAGE);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
}

/* "6.1.0-..." -> 601, "6.12.117+..." -> 612. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	ASSERT_OK(uname(&u));
	ASSERT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2);
	return major * 100 + minor;
}

/*
 * Grow a 2-page mapping of an 8-page buffer to 4 pages with mremap()
 * @flags, with the pages after it free (@room) or taken by another
 * mapping.  Returns 0 when it grew (the data checked, moved or not), else
 * the errno.
 */
static int grow(uint32_t method, uint32_t seed, bool room, int flags)
{
	int fd = t_buf(8 * PAGE, MMDMA_MEM_PAGES, method);
	uint8_t *hole, *p, *q, *guard = NULL;
	int err = 0;

	ASSERT_OK(mmdma_buf_fill(fd, 0, 8 * PAGE, seed));
	/* An 8-page hole, the mapping at its start, the rest free or not. */
	hole = t_map(-1, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_OK(munmap(hole, 8 * PAGE));
	p = mmap(hole, 2 * PAGE, rw, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	ASSERT(p == hole);
	if (!room) {
		guard = mmap(hole + 2 * PAGE, PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ASSERT(guard == hole + 2 * PAGE);
	}
	q = mremap(p, 2 * PAGE, 4 * PAGE, flags);
	if (q == MAP_FAILED) {
		err = errno;
		q = p;
		t_expect_pattern(q, 0, 2 * PAGE, seed);
		munmap(q, 2 * PAGE);
	} else {
		if (!(flags & MREMAP_MAYMOVE))
			EXPECT(q == p);
		t_expect_pattern(q, 0, 4 * PAGE, seed);
		munmap(q, 4 * PAGE);
	}
	if (guard)
		munmap(guard, PAGE);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
	return err;
}

/*
 * docs/abi.md: how fault and insert mappings grow.  A fault mapping grows
 * like any file mapping: in place when the pages after it are free, by
 * moving with MREMAP_MAYMOVE when they are not.  An insert mapping is
 * VM_MIXEDMAP (vm_insert_pages()): 6.1 grows it the same way, but 6.12
 * grows in place only by merging, which VM_MIXEDMAP forbids, and fails
 * with ENOMEM whenever the pages after it are free, MREMAP_MAYMOVE or not;
 * it grows only by moving, when they are taken.
 */
static void mremap_growth_by_method_and_kernel(void)
{
	int v = kernel_version();
	int mixed = v >= 612 ? ENOMEM : 0;

	/* Free after: in place, with or without leave to move. */
	EXPECT_EQ(grow(MMDMA_MAP_FAULT, 63, true, 0), 0);
	EXPECT_EQ(grow(MMDMA_MAP_FAULT, 63, true, MREMAP_MAYMOVE), 0);
	EXPECT_EQ(grow(MMDMA_MAP_INSERT, 64, true, 0), mixed);
	EXPECT_EQ(grow(MMDMA_MAP_INSERT, 64, true, MREMAP_MAYMOVE), mixed);
	/* Taken after: only by moving. */
	EXPECT_EQ(grow(MMDMA_MAP_FAULT, 65, false, 0), ENOMEM);
	EXPECT_EQ(grow(MMDMA_MAP_FAULT, 65, false, MREMAP_MAYMOVE), 0);
	EXPECT_EQ(grow(MMDMA_MAP_INSERT, 66, false, 0), ENOMEM);
	EXPECT_EQ(grow(MMDMA_MAP_INSERT, 66, false, MREMAP_MAYMOVE), 0);
	if (ktap_failed())
		ktap_diag("kernel version %d", v);
}

/* remap_pfn_range() mappings may shrink or move but never grow. */
static void mremap_cannot_grow_remap_mapping(void)
{
	int fd = t_buf(4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
	uint8_t *p = t_map(fd, 2 * PAGE, rw, MAP_SHARED, 0), *q;

	ASSERT_OK(mmdma_buf_fill(fd, 0, 4 * PAGE, 62));
	EXPECT_SYSERR(mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE), EFAULT);
	q = mremap(p, 2 * PAGE, PAGE, 0);
	ASSERT(q == p);
	t_expect_pattern(q, 0, PAGE, 62);
	EXPECT_EQ(t_live_maps(fd), 1);
	munmap(q, PAGE);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
}

/* Offsets and lengths outside the buffer are refused before any mapping. */
static void mmap_outside_buffer_is_einval(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(4 * PAGE, c->kind, c->method);

		EXPECT_SYSERR(mmap(NULL, 5 * PAGE, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
		EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 4 * PAGE), EINVAL);
		EXPECT_SYSERR(mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 3 * PAGE), EINVAL);
		/* An offset whose page number overflows in the driver's arithmetic. */
		EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd,
				   (off_t)0x7ffffffffffff000LL), EINVAL);
		EXPECT_EQ(t_info(fd).mmaps, 0);
		EXPECT_EQ(t_live_maps(fd), 0);
		close(fd);
	}
}

/*
 * MAP_PRIVATE: the page-backed methods copy on write (the buffer keeps its
 * data, the writer sees its own copy); remap_pfn_range() refuses.
 */
static void map_private_copies_on_write_or_is_refused(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(4 * PAGE, c->kind, c->method);
		uint8_t check[4 * PAGE];
		uint8_t *p;

		ktap_diag("%s", combo_name(c));
		ASSERT_OK(mmdma_buf_fill(fd, 0, 4 * PAGE, 71));
		if (c->method == MMDMA_MAP_REMAP) {
			EXPECT_SYSERR(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE, fd, 0), EINVAL);
			close(fd);
			continue;
		}
		p = t_map(fd, 4 * PAGE, rw, MAP_PRIVATE, 0);
		t_expect_pattern(p, 0, 4 * PAGE, 71);
		memset(p + PAGE, 0xa5, PAGE);
		ASSERT_EQ(pread(fd, check, sizeof(check), 0), sizeof(check));
		t_expect_pattern(check, 0, 4 * PAGE, 71);
		t_expect_pattern(p + 2 * PAGE, 2 * PAGE, 2 * PAGE, 71);
		/* The written page is the writer's own: a new fill of the buffer leaves it. */
		ASSERT_OK(mmdma_buf_fill(fd, 0, 4 * PAGE, 72));
		for (size_t b = PAGE; b < 2 * PAGE; b++)
			if (p[b] != 0xa5) {
				EXPECT_EQ(p[b], 0xa5);
				break;
			}
		munmap(p, 4 * PAGE);
		EXPECT_EQ(t_live_maps(fd), 0);
		close(fd);
	}
}

/* A partial munmap splits the VMA: the count follows the pieces. */
static void live_maps_follow_partial_munmap(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(4 * PAGE, c->kind, c->method);
		uint8_t *p = t_map(fd, 4 * PAGE, rw, MAP_SHARED, 0);

		ASSERT_OK(munmap(p + PAGE, PAGE));
		EXPECT_EQ(t_live_maps(fd), 2);
		p[0] = 1;
		p[2 * PAGE] = 2;
		ASSERT_OK(munmap(p, PAGE));
		EXPECT_EQ(t_live_maps(fd), 1);
		ASSERT_OK(munmap(p + 2 * PAGE, 2 * PAGE));
		EXPECT_EQ(t_live_maps(fd), 0);
		close(fd);
	}
}

static int ready_pipe[2];

static void map_and_wait(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t *p = t_map(fd, 4 * PAGE, rw, MAP_SHARED, 0);

	p[0] = 1;
	ASSERT_EQ(write(ready_pipe[1], "r", 1), 1);
	pause();
}

/* A process killed with SIGKILL drops its mappings; the count returns to 0. */
static void live_maps_zero_after_kill(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		int fd = t_buf(4 * PAGE, c->kind, c->method);
		pid_t pid;
		char b;

		ASSERT_OK(pipe(ready_pipe));
		pid = t_fork(map_and_wait, (void *)(intptr_t)fd);
		ASSERT_EQ(read(ready_pipe[0], &b, 1), 1);
		EXPECT_EQ(t_live_maps(fd), 1);
		ASSERT_OK(kill(pid, SIGKILL));
		EXPECT_EQ(t_wait(pid), 128 + SIGKILL);
		EXPECT_EQ(t_live_maps(fd), 0);
		close(ready_pipe[0]);
		close(ready_pipe[1]);
		close(fd);
	}
}

static long long sysfs_buffers(void)
{
	FILE *f = fopen("/sys/class/misc/mmdma/buffers", "re");
	long long n = -1;

	if (f) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Closing the fd keeps the memory until the last munmap, then frees it. */
static void fd_closed_while_mapped_keeps_data(void)
{
	for (size_t i = 0; i < nr_combos; i++) {
		const struct combo *c = &combos[i];
		long long before = sysfs_buffers();
		int fd = t_buf(4 * PAGE, c->kind, c->method);
		uint8_t *p;

		ASSERT(before >= 0);
		ASSERT_OK(mmdma_buf_fill(fd, 0, 4 * PAGE, 81));
		p = t_map(fd, 4 * PAGE, rw, MAP_SHARED, 0);
		close(fd);
		EXPECT_EQ(sysfs_buffers(), before + 1);
		t_expect_pattern(p, 0, 4 * PAGE, 81);
		mmdma_pattern_fill(p, 0, 4 * PAGE, 82);
		t_expect_pattern(p, 0, 4 * PAGE, 82);
		munmap(p, 4 * PAGE);
		EXPECT_EQ(sysfs_buffers(), before);
	}
}

#define THREADS		8
#define THREAD_PAGES	4096

struct thread_arg {
	uint8_t *p;
	int index;
};

static void *fault_all(void *arg)
{
	struct thread_arg *t = arg;

	/* Every thread reads every page: they race to fault each one. */
	for (unsigned long pg = 0; pg < THREAD_PAGES; pg++) {
		unsigned long at = (pg * 7 + t->index) % THREAD_PAGES;
		volatile uint8_t *b = t->p + at * PAGE;

		if (*b != mmdma_pattern_byte(91, at * PAGE))
			return (void *)1;
		/* Each thread owns a different byte of every page. */
		b[100 + t->index] = (uint8_t)t->index;
	}
	return NULL;
}

/* Eight threads fault the same buffer at once: each page appears once. */
static void threads_fault_one_buffer(void)
{
	static const uint32_t kinds[] = { MMDMA_MEM_PAGES, MMDMA_MEM_VMALLOC };

	for (size_t k = 0; k < 2; k++) {
		int fd = t_buf(THREAD_PAGES * PAGE, kinds[k], MMDMA_MAP_FAULT);
		struct thread_arg args[THREADS];
		pthread_t th[THREADS];
		uint8_t *p;
		int t;

		ASSERT_OK(mmdma_buf_fill(fd, 0, THREAD_PAGES * PAGE, 91));
		p = t_map(fd, THREAD_PAGES * PAGE, rw, MAP_SHARED, 0);
		for (t = 0; t < THREADS; t++) {
			args[t] = (struct thread_arg){ p, t };
			ASSERT_OK(-pthread_create(&th[t], NULL, fault_all, &args[t]));
		}
		for (t = 0; t < THREADS; t++) {
			void *ret;

			pthread_join(th[t], &ret);
			EXPECT(ret == NULL);
		}
		for (unsigned long pg = 0; pg < THREAD_PAGES; pg++)
			for (t = 0; t < THREADS; t++)
				if (p[pg * PAGE + 100 + t] != t)
					ASSERT_EQ(p[pg * PAGE + 100 + t], t);
		/* Racing faults on one page may each reach the driver. */
		EXPECT(t_info(fd).faults >= THREAD_PAGES);
		EXPECT(t_info(fd).faults <= THREADS * THREAD_PAGES);
		munmap(p, THREAD_PAGES * PAGE);
		close(fd);
	}
}

#define BIG_SIZE	(512UL << 20)

/* A 512 MiB page array, written end to end through the mapping. */
static void big_page_array_end_to_end(void)
{
	int fd = t_buf(BIG_SIZE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint64_t *p = t_map(fd, BIG_SIZE, rw, MAP_SHARED, 0);
	size_t words = BIG_SIZE / sizeof(uint64_t);
	static uint64_t chunk[(1 << 20) / sizeof(uint64_t)];

	for (size_t w = 0; w < words; w++)
		p[w] = w * 0x9e3779b97f4a7c15ULL;
	EXPECT_EQ(t_info(fd).faults, BIG_SIZE / PAGE);

	/* Read back through the kernel's mapping, not ours. */
	for (size_t off = 0; off < BIG_SIZE; off += sizeof(chunk)) {
		ASSERT_EQ(pread(fd, chunk, sizeof(chunk), off), sizeof(chunk));
		for (size_t w = 0; w < sizeof(chunk) / 8; w++) {
			uint64_t idx = off / 8 + w;

			if (chunk[w] != idx * 0x9e3779b97f4a7c15ULL)
				ASSERT_EQ(chunk[w], idx * 0x9e3779b97f4a7c15ULL);
		}
	}
	munmap(p, BIG_SIZE);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
}

/*
 * MMDMA_BUF_INFO counts the blocks of more than one page behind a page
 * array or vmalloc memory: orders 10, 8 and 4 (4 MiB, 1 MiB, 64 KiB) are
 * tried from the largest that fits, never climbing back, then single
 * pages.  Each block is physically contiguous (MMDMA_BUF_PHYS).  On a
 * machine this young every high-order attempt succeeds.
 */
static void blocks_counted_and_contiguous(void)
{
	static const struct {
		uint64_t pages, blocks;
	} want[] = {
		{ 1, 0 }, { 15, 0 }, { 16, 1 }, { 17, 1 }, { 33, 2 },
		{ 256 + 16 + 1, 2 }, { 1024 + 256 + 3, 2 }, { 4096, 4 },
	};
	static const uint32_t kinds[] = { MMDMA_MEM_PAGES, MMDMA_MEM_VMALLOC };
	uint64_t addrs[256];

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			int fd = t_buf(want[i].pages * PAGE, kinds[k],
				       MMDMA_MAP_FAULT);
			uint64_t n = want[i].pages < 256 ? want[i].pages : 256;

			ktap_diag("%s, %llu pages", k ? "vmalloc" : "pages",
				  (unsigned long long)want[i].pages);
			EXPECT_EQ(t_info(fd).blocks, want[i].blocks);
			/* The first block, if any, is one run of pages. */
			ASSERT_OK(mmdma_buf_phys(fd, 0, n, addrs));
			if (want[i].blocks) {
				uint64_t run = want[i].pages >= 256 ? 256 : 16;

				for (uint64_t j = 1; j < run; j++)
					EXPECT_EQ(addrs[j], addrs[0] + j * PAGE);
			}
			close(fd);
		}
	}
}

static void blocks_hidden(void *arg)
{
	int fd = t_buf(1UL << 20, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	(void)arg;
	t_drop_cap(CAP_SYS_RAWIO);
	/* The count tells which pages are adjacent, like a segment count. */
	EXPECT_EQ(t_info(fd).blocks, 0);
	EXPECT_EQ(t_info(fd).syncs_skipped, 0);
	close(fd);
}

/* Without CAP_SYS_RAWIO the block count reads 0 (it is 1 for root). */
static void blocks_need_cap_sys_rawio(void)
{
	int fd = t_buf(1UL << 20, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	EXPECT_EQ(t_info(fd).blocks, 1);
	close(fd);
	EXPECT_EQ(t_wait(t_fork(blocks_hidden, NULL)), 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A new buffer reads zero, even made of the very pages a freed buffer
 * filled with a pattern.  Each kind and size in blocks and single pages,
 * the freed buffer freed whole (never mapped: one call per block) or
 * page by page (mapped and written first: its blocks were split).  The
 * allocator hands the freed pages straight back (per-CPU lists, the buddy
 * merging blocks again), which MMDMA_BUF_PHYS shows: at least one page
 * must come back, or the case proves nothing.  The debug kernel has no
 * init_on_alloc, so there only the driver's __GFP_ZERO clears them.
 */
static void new_buffers_read_zero_after_a_pattern(void)
{
	static const struct {
		uint32_t kind;
		uint64_t size;
	} c[] = {
		{ MMDMA_MEM_PAGES, PAGE }, { MMDMA_MEM_PAGES, 17 * PAGE },
		{ MMDMA_MEM_PAGES, 2UL << 20 }, { MMDMA_MEM_PAGES, (4UL << 20) + PAGE },
		{ MMDMA_MEM_VMALLOC, PAGE }, { MMDMA_MEM_VMALLOC, 17 * PAGE },
		{ MMDMA_MEM_VMALLOC, (4UL << 20) + PAGE },
		{ MMDMA_MEM_CONTIG, PAGE }, { MMDMA_MEM_CONTIG, 17 * PAGE },
		{ MMDMA_MEM_CONTIG, 2UL << 20 },
	};
	static uint64_t old[1024], now[1024];
	static uint8_t chunk[65536];
	unsigned long reused = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (int mapped = 0; mapped < 2; mapped++) {
			uint64_t n = c[i].size / PAGE < 1024 ? c[i].size / PAGE : 1024;
			int a = t_buf(c[i].size, c[i].kind, MMDMA_MAP_FAULT), b;
			uint64_t nonzero = 0, hits = 0;

			ASSERT_OK(mmdma_buf_fill(a, 0, c[i].size, 0x5a));
			if (mapped) {
				uint8_t *p = t_map(a, c[i].size, PROT_READ | PROT_WRITE,
						   MAP_SHARED, 0);

				memset(p, 0xa5, c[i].size);
				ASSERT_OK(munmap(p, c[i].size));
			}
			ASSERT_OK(mmdma_buf_phys(a, 0, n, old));
			close(a);
			b = t_buf(c[i].size, c[i].kind, MMDMA_MAP_FAULT);
			ASSERT_OK(mmdma_buf_phys(b, 0, n, now));
			qsort(old, n, sizeof(old[0]), cmp_u64);
			for (uint64_t j = 0; j < n; j++)
				hits += bsearch(&now[j], old, n, sizeof(old[0]),
						cmp_u64) != NULL;
			for (uint64_t off = 0; off < c[i].size; off += sizeof(chunk)) {
				size_t len = c[i].size - off < sizeof(chunk) ?
					     c[i].size - off : sizeof(chunk);

				ASSERT_EQ(pread(b, chunk, len, off), (ssize_t)len);
				for (size_t k = 0; k < len; k++)
					nonzero += chunk[k] != 0;
			}
			ktap_diag("kind %u, %llu bytes, %s: %llu of %llu pages reused, %llu bytes not zero",
				  c[i].kind, (unsigned long long)c[i].size,
				  mapped ? "mapped" : "never mapped",
				  (unsigned long long)hits, (unsigned long long)n,
				  (unsigned long long)nonzero);
			EXPECT_EQ(nonzero, 0);
			reused += hits;
			close(b);
		}
	}
	EXPECT(reused > 0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(mmap_outside_buffer_is_einval),
	KTAP_CASE(every_method_maps_what_write_wrote),
	KTAP_CASE(every_method_maps_a_buffer_taken_in_blocks),
	KTAP_CASE(blocks_counted_and_contiguous),
	KTAP_CASE(blocks_need_cap_sys_rawio),
	KTAP_CASE(new_buffers_read_zero_after_a_pattern),
	KTAP_CASE(mapping_at_offset_starts_there),
	KTAP_CASE(two_mappings_share_memory),
	KTAP_CASE(two_processes_share_buffer),
	KTAP_CASE(fork_child_writes_parent_sees),
	KTAP_CASE(mremap_grows_and_shrinks_fault_mapping),
	KTAP_CASE(mremap_cannot_grow_remap_mapping),
	KTAP_CASE(mremap_growth_by_method_and_kernel),
	KTAP_CASE(map_private_copies_on_write_or_is_refused),
	KTAP_CASE(live_maps_follow_partial_munmap),
	KTAP_CASE(live_maps_zero_after_kill),
	KTAP_CASE(fd_closed_while_mapped_keeps_data),
	KTAP_CASE_T(threads_fault_one_buffer, 300),
	KTAP_CASE_T(big_page_array_end_to_end, 600),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
