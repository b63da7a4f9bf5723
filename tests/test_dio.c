// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O and asynchronous I/O on the device nodes: read()/write() and
 * friends move data between the caller's own pages and device memory (the
 * file position), on the software engine and on edu; libaio and io_uring
 * keep many requests in flight; bad user memory gets EFAULT; nothing stays
 * pinned (/proc/vmstat's FOLL_PIN counters balance after every case).
 */
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define EDU_MEM		4095

struct engine {
	const char *name;
	int fd;
	uint64_t mem;		/* bytes of device memory */
};

static struct engine engine(const char *name)
{
	struct engine e = { .name = name };
	struct mmdma_dev_info info;

	e.fd = t_dev_or_skip(name);
	ASSERT_OK(mmdma_dev_info(e.fd, &info));
	e.mem = info.mem_size;
	return e;
}

#define pins_held t_pins_held

/* Every pin taken in the case is released (async ones from a work item). */
static void expect_pins_released(long long before)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);

	while (pins_held() != before && t_deadline_sleep(&d))
		;
	EXPECT_EQ(pins_held(), before);
}

static void fill(void *p, size_t len, uint32_t seed)
{
	mmdma_pattern_fill(p, 0, len, seed);
}

static void expect_pattern(const void *p, size_t len, uint32_t seed)
{
	t_expect_pattern(p, 0, len, seed);
}

static void *t_anon(size_t len)
{
	return t_map(-1, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* pwrite a pattern at @pos, pread it back at other alignments. */
static void roundtrip(struct engine *e, size_t len, size_t woff, size_t roff,
		      uint64_t pos, uint32_t seed)
{
	size_t span = len + 2 * PAGE;
	uint8_t *w = t_anon(span), *r = t_anon(span);

	fill(w + woff, len, seed);
	ASSERT_EQ(pwrite(e->fd, w + woff, len, pos), (ssize_t)len);
	ASSERT_EQ(pread(e->fd, r + roff, len, pos), (ssize_t)len);
	expect_pattern(r + roff, len, seed);
	/* Nothing outside the asked-for range was written. */
	for (size_t i = 0; i < roff; i++)
		if (r[i]) {
			ktap_fail(false, __FILE__, __LINE__,
				  "byte %zu before the read range written", i);
			break;
		}
	for (size_t i = roff + len; i < span; i++)
		if (r[i]) {
			ktap_fail(false, __FILE__, __LINE__,
				  "byte %zu after the read range written", i);
			break;
		}
	munmap(w, span);
	munmap(r, span);
}

/* The software engine is there and describes itself. */
static void soft_node_describes_engine(void)
{
	struct engine e = engine(SOFT);
	struct mmdma_dev_info info;

	ASSERT_OK(mmdma_dev_info(e.fd, &info));
	EXPECT_EQ(info.kind, MMDMA_DEV_SOFT);
	EXPECT(!strcmp((char *)info.name, SOFT));
	EXPECT_EQ(info.mem_size, t_param_get("soft_mem_size"));
	EXPECT_EQ(info.dma_mask, UINT64_MAX);
	EXPECT_EQ(lseek(e.fd, 0, SEEK_END), (off_t)e.mem);
	close(e.fd);
}

/* Unaligned buffers, lengths and positions, byte-exact, on both engines. */
static void sizes_and_alignments(const char *name, const size_t *sizes,
				 size_t n)
{
	struct engine e = engine(name);
	long long pins = pins_held();
	uint32_t seed = 1;

	for (size_t i = 0; i < n && !ktap_failed(); i++) {
		size_t len = sizes[i];
		uint64_t pos = (e.mem - len) * (i % 3) / 2;

		roundtrip(&e, len, 0, 0, 0, seed++);
		roundtrip(&e, len, 1, PAGE - 1, pos, seed++);
		roundtrip(&e, len, 123, 7, e.mem - len, seed++);
	}
	expect_pins_released(pins);
	close(e.fd);
}

static void soft_sizes_and_alignments(void)
{
	static const size_t sizes[] = {
		1, 2, 255, 256, 257, 4095, 4096, 4097, 65537, 1 << 20,
		(4 << 20) + 3, 16 << 20,
	};

	sizes_and_alignments(SOFT, sizes, sizeof(sizes) / sizeof(sizes[0]));
}

static void edu_sizes_and_alignments(void)
{
	static const size_t sizes[] = { 1, 7, 256, 257, 2049, 4000, EDU_MEM };

	sizes_and_alignments(EDU, sizes, sizeof(sizes) / sizeof(sizes[0]));
}

/* readv/writev: many segments, empty ones among them, in order. */
static void readv_writev_segments(void)
{
	struct engine e = engine(SOFT);
	uint8_t *src = t_anon(64 * PAGE), *dst = t_anon(64 * PAGE);
	struct iovec wv[5], rv[5];
	size_t lens[5] = { 100, 0, 3 * PAGE + 5, 1, 9000 }, total = 0;

	fill(src, 64 * PAGE, 42);
	for (int i = 0; i < 5; i++) {
		wv[i] = (struct iovec){ src + total, lens[i] };
		/* The read side cuts the same bytes differently. */
		total += lens[i];
	}
	rv[0] = (struct iovec){ dst, 1 };
	rv[1] = (struct iovec){ dst + 1, total - 2 };
	rv[2] = (struct iovec){ dst + total - 1, 0 };
	rv[3] = (struct iovec){ dst + total - 1, 1 };
	rv[4] = (struct iovec){ dst + total, 0 };
	ASSERT_EQ(pwritev(e.fd, wv, 5, 4096), (ssize_t)total);
	ASSERT_EQ(preadv(e.fd, rv, 5, 4096), (ssize_t)total);
	expect_pattern(dst, total, 42);
	/* A synchronous call always waits for the device: never NOWAIT. */
	EXPECT_SYSERR(preadv2(e.fd, rv, 1, 0, RWF_NOWAIT), EAGAIN);
	/* write()/read() advance the file position. */
	ASSERT_EQ(lseek(e.fd, 100, SEEK_SET), 100);
	ASSERT_EQ(write(e.fd, src, 5000), 5000);
	EXPECT_EQ(lseek(e.fd, 0, SEEK_CUR), 5100);
	ASSERT_EQ(lseek(e.fd, 100, SEEK_SET), 100);
	memset(dst, 0, 5000);
	ASSERT_EQ(read(e.fd, dst, 5000), 5000);
	expect_pattern(dst, 5000, 42);
	close(e.fd);
}

/* End of device memory: reads stop short, writes beyond get ENOSPC. */
static void position_limits(void)
{
	struct engine e = engine(SOFT);
	uint8_t *b = t_anon(2 * PAGE);
	int kmsg = kmsg_open();

	EXPECT_EQ(pread(e.fd, b, 100, e.mem), 0);
	EXPECT_EQ(pread(e.fd, b, 100, e.mem - 10), 10);
	EXPECT_EQ(pwrite(e.fd, b, 100, e.mem - 10), 10);
	EXPECT_SYSERR(pwrite(e.fd, b, 100, e.mem), ENOSPC);
	EXPECT_SYSERR(pread(e.fd, b, 100, -1), EINVAL);
	EXPECT_EQ(pread(e.fd, b, 0, 0), 0);
	EXPECT_SYSERR(lseek(e.fd, e.mem + 1, SEEK_SET), EINVAL);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(e.fd);
}

/* Unmapped, read-only or inaccessible user memory: EFAULT, nothing pinned. */
static void bad_user_memory_efault(void)
{
	struct engine e = engine(SOFT);
	long long pins = pins_held();
	int kmsg = kmsg_open();
	uint8_t *ro = t_map(-1, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	uint8_t *rw = t_anon(4 * PAGE);
	uint8_t *none = t_map(-1, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	uint8_t *hole = t_anon(4 * PAGE);
	struct iovec v[2] = { { rw, PAGE }, { ro, PAGE } };
	/* volatile: the compiler must not see through these addresses. */
	volatile uintptr_t low = 16, kernel = 0xffff888000000000UL;

	ASSERT_OK(munmap(hole + 2 * PAGE, PAGE));
	/* The device must not write read-only memory. */
	EXPECT_SYSERR(pread(e.fd, ro, 4 * PAGE, 0), EFAULT);
	/* ... but may read it. */
	EXPECT_EQ(pwrite(e.fd, ro, 4 * PAGE, 0), (ssize_t)(4 * PAGE));
	EXPECT_SYSERR(pread(e.fd, none, PAGE, 0), EFAULT);
	EXPECT_SYSERR(pwrite(e.fd, none, PAGE, 0), EFAULT);
	/* A hole in the middle of the range. */
	EXPECT_SYSERR(pread(e.fd, hole, 4 * PAGE, 0), EFAULT);
	EXPECT_SYSERR(pwrite(e.fd, hole, 4 * PAGE, 0), EFAULT);
	EXPECT_SYSERR(pread(e.fd, (void *)low, 100, 0), EFAULT);
	/* Kernel addresses are not user memory. */
	EXPECT_SYSERR(pread(e.fd, (void *)kernel, 100, 0), EFAULT);
	/* The first segment moves; the second fails: a short read. */
	EXPECT_EQ(preadv(e.fd, v, 2, 0), (ssize_t)PAGE);
	expect_pins_released(pins);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(e.fd);
}

/*
 * Zero-copy, shown: while edu (100 ms per DMA) writes into the caller's
 * pages, those pages are pinned (the FOLL_PIN counter rises by their
 * number); a copying path would pin nothing.
 */
struct slow_read {
	int fd;
	uint8_t *buf;
	ssize_t ret;
	int done;
};

static void *slow_read_thread(void *arg)
{
	struct slow_read *s = arg;
	struct iovec v[3];

	/* Three requests in a row on edu: ~300 ms of device time. */
	for (int i = 0; i < 3; i++)
		v[i] = (struct iovec){ s->buf + i * 1300, 1300 };
	s->ret = preadv(s->fd, v, 3, 0);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void zero_copy_pins_user_pages(void)
{
	struct engine e = engine(EDU);
	long long base = pins_held(), peak = base;
	uint8_t *src = t_anon(PAGE), *dst = t_anon(2 * PAGE);
	struct slow_read s = { .fd = e.fd, .buf = dst + PAGE - 1000 };
	pthread_t t;

	fill(src, 3900, 77);
	ASSERT_EQ(pwrite(e.fd, src, 3900, 0), 3900);
	ASSERT_OK(-pthread_create(&t, NULL, slow_read_thread, &s));
	while (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE)) {
		long long now = pins_held();

		if (now > peak)
			peak = now;
		usleep(1000);
	}
	pthread_join(t, NULL);
	ASSERT_EQ(s.ret, 3900);
	expect_pattern(s.buf, 3900, 77);
	ktap_diag("pins held during the transfer: %lld", peak - base);
	/* Each 1300-byte request spans one or two of the two pages. */
	EXPECT(peak - base >= 1 && peak - base <= 2);
	expect_pins_released(base);
	close(e.fd);
}

/* The device's writes land in a shared file mapping; the file has them. */
static void file_mapping_gets_data(void)
{
	struct engine e = engine(SOFT);
	const size_t len = 5 * PAGE;
	char path[] = "/tmp/mmdma-dio-XXXXXX";
	int f = mkstemp(path);
	uint8_t *src = t_anon(len), *map, *back = t_anon(len);

	ASSERT_OK(f);
	ASSERT_OK(ftruncate(f, len));
	map = t_map(f, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill(src, len, 9);
	ASSERT_EQ(pwrite(e.fd, src, len, 0), (ssize_t)len);
	ASSERT_EQ(pread(e.fd, map + 3, len - 3, 0), (ssize_t)(len - 3));
	ASSERT_OK(msync(map, len, MS_SYNC));
	ASSERT_OK(munmap(map, len));
	ASSERT_EQ(pread(f, back, len, 3), (ssize_t)(len - 3));
	expect_pattern(back, len - 3, 9);
	close(f);
	unlink(path);
	close(e.fd);
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* THP's global setting is [never]. */
static bool thp_never(void)
{
	char line[128];

	t_read_line(THP_ENABLED, line, sizeof(line));
	return strstr(line, "[never]") != NULL;
}

/* AnonHugePages (KiB) of the mapping that contains @addr, from smaps; -1 if none. */
static long long anon_huge_kib(const void *addr)
{
	char line[256];
	unsigned long start, end;
	long long kib = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* Transparent huge pages: a 2 MiB folio pinned and filled in one go. */
static void transparent_huge_pages(void)
{
	struct engine e = engine(SOFT);
	const size_t len = 4 << 20;
	uint8_t *raw = t_anon(2 * len), *huge, *src = t_anon(len);
	long long pins = pins_held();
	bool never;

	huge = (uint8_t *)(((uintptr_t)raw + len - 1) & ~(uintptr_t)(len - 1));
	if (access(THP_ENABLED, F_OK) || madvise(huge, len, MADV_HUGEPAGE))
		ktap_skip("no transparent huge pages (madvise: %s)", strerror(errno));
	/*
	 * The case is about huge folios: they must back the range, or it
	 * tests 4 KiB pages again.  A kernel set to "never" is set to
	 * "madvise" while the range faults in.
	 */
	never = thp_never();
	if (never)
		t_write_str(THP_ENABLED, "madvise");
	memset(huge, 1, len);
	if (never)
		t_write_str(THP_ENABLED, "never");
	ktap_diag("AnonHugePages of the range: %lld KiB", anon_huge_kib(huge));
	ASSERT_EQ(anon_huge_kib(huge), (long long)(len >> 10));
	fill(src, len, 5);
	ASSERT_EQ(pwrite(e.fd, src, len, 0), (ssize_t)len);
	ASSERT_EQ(pread(e.fd, huge + 17, len - 17, 0), (ssize_t)(len - 17));
	expect_pattern(huge + 17, len - 17, 5);
	ASSERT_EQ(pwrite(e.fd, huge + 17, len - 17, 1 << 20), (ssize_t)(len - 17));
	memset(src, 0, len);
	ASSERT_EQ(pread(e.fd, src, len - 17, 1 << 20), (ssize_t)(len - 17));
	expect_pattern(src, len - 17, 5);
	expect_pins_released(pins);
	close(e.fd);
}

/*
 * Memory mapped from an mmdma buffer is user memory too, when the mapping
 * is built from struct pages (fault, vm_insert_pages); a remap_pfn_range
 * mapping is VM_PFNMAP, which cannot be pinned: EFAULT.
 */
static void mmdma_buffer_as_user_memory(void)
{
	struct engine e = engine(SOFT);
	const size_t len = 8 * PAGE;
	uint8_t *src = t_anon(len);
	long long pins = pins_held();

	fill(src, len, 11);
	ASSERT_EQ(pwrite(e.fd, src, len, 0), (ssize_t)len);
	for (size_t i = 0; i < nr_combos; i++) {
		int buf = t_buf(len, combos[i].kind, combos[i].method);
		uint8_t *m = t_map(buf, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		uint8_t *back = malloc(len);

		ASSERT(back);
		if (combos[i].method == MMDMA_MAP_REMAP) {
			EXPECT_SYSERR(pread(e.fd, m, len, 0), EFAULT);
		} else {
			EXPECT_EQ(pread(e.fd, m + 1, len - 1, 0), (ssize_t)(len - 1));
			/* The buffer itself, read through its fd, has the data. */
			ASSERT_EQ(pread(buf, back, len - 1, 1), (ssize_t)(len - 1));
			expect_pattern(back, len - 1, 11);
		}
		if (ktap_failed())
			ktap_diag("combination %s", combo_name(&combos[i]));
		free(back);
		munmap(m, len);
		close(buf);
	}
	expect_pins_released(pins);
	close(e.fd);
}

/* A signal during a long direct read: short count or EINTR, no pins. */
static void on_usr1(int sig)
{
	(void)sig;
}

struct interrupter {
	pthread_t reader;
	bool sent;
};

/*
 * Signal the reader once edu is working on its read.  SIGUSR1, not
 * SIGALRM: the case's time-out (tests/ktap.c) is the process's alarm and
 * stays in force.
 */
static void *interrupt_when_busy(void *arg)
{
	struct interrupter *in = arg;

	if (t_wait_ull("/sys/class/misc/" EDU "/busy", 1, T_POLL_MS))
		in->sent = !pthread_kill(in->reader, SIGUSR1);
	return NULL;
}

static void signal_mid_direct_read(void)
{
	struct engine e = engine(EDU);
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct interrupter in = { .reader = pthread_self() };
	long long pins = pins_held();
	uint8_t *b = t_anon(64 * PAGE);
	struct iovec v[32];
	pthread_t t;
	ssize_t r;
	int err;

	for (int i = 0; i < 32; i++)
		v[i] = (struct iovec){ b + i * 2 * PAGE + 100, 100 };
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	ASSERT_OK(-pthread_create(&t, NULL, interrupt_when_busy, &in));
	/* 32 DMAs take 3.2 s; the signal comes during the first. */
	r = preadv(e.fd, v, 32, 0);
	err = errno;
	pthread_join(t, NULL);
	ASSERT(in.sent);
	ktap_diag("interrupted read returned %zd", r);
	EXPECT((r > 0 && r < 3200 && r % 100 == 0) || (r == -1 && err == EINTR));
	expect_pins_released(pins);
	close(e.fd);
}

/* libaio: @depth requests in flight, writes then reads, checked. */
static void aio_depth(struct engine *e, int depth, size_t len)
{
	io_context_t ctx = 0;
	struct iocb cbs[64], *ptrs[64];
	struct io_event ev[64];
	uint8_t *w = t_anon(depth * (len + PAGE)), *r = t_anon(depth * (len + PAGE));

	ASSERT_EQ(io_setup(depth, &ctx), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < depth; i++) {
			uint8_t *p = (pass ? r : w) + i * (len + PAGE) + i;

			if (!pass) {
				fill(p, len, 100 + i);
				io_prep_pwrite(&cbs[i], e->fd, p, len, i * len);
			} else {
				io_prep_pread(&cbs[i], e->fd, p, len, i * len);
			}
			cbs[i].data = (void *)(intptr_t)i;
			ptrs[i] = &cbs[i];
		}
		ASSERT_EQ(io_submit(ctx, depth, ptrs), depth);
		for (int got = 0; got < depth;) {
			int n = io_getevents(ctx, 1, depth - got, ev, NULL);

			ASSERT(n > 0);
			for (int k = 0; k < n; k++)
				EXPECT_EQ(ev[k].res, len);
			got += n;
		}
	}
	for (int i = 0; i < depth; i++)
		expect_pattern(r + i * (len + PAGE) + i, len, 100 + i);
	io_destroy(ctx);
	munmap(w, depth * (len + PAGE));
	munmap(r, depth * (len + PAGE));
}

static void uring_depth(struct engine *e, int depth, size_t len)
{
	struct io_uring ring;
	uint8_t *w = t_anon(depth * (len + PAGE)), *r = t_anon(depth * (len + PAGE));

	ASSERT_EQ(io_uring_queue_init(64, &ring, 0), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < depth; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			uint8_t *p = (pass ? r : w) + i * (len + PAGE) + i;

			ASSERT(sqe);
			if (!pass) {
				fill(p, len, 200 + i);
				io_uring_prep_write(sqe, e->fd, p, len, i * len);
			} else {
				io_uring_prep_read(sqe, e->fd, p, len, i * len);
			}
		}
		ASSERT_EQ(io_uring_submit(&ring), depth);
		for (int i = 0; i < depth; i++) {
			struct io_uring_cqe *cqe;

			ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
			EXPECT_EQ(cqe->res, len);
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	for (int i = 0; i < depth; i++)
		expect_pattern(r + i * (len + PAGE) + i, len, 200 + i);
	io_uring_queue_exit(&ring);
	munmap(w, depth * (len + PAGE));
	munmap(r, depth * (len + PAGE));
}

static const int depths[] = { 1, 2, 8, 32, 64 };

static void async_depths(const char *name, bool uring)
{
	struct engine e = engine(name);
	long long pins = pins_held();

	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		int d = depths[i];
		/* edu: the requests share its 4095 bytes. */
		size_t len = e.mem / d < 65536 ? e.mem / d : 65536;

		if (uring)
			uring_depth(&e, d, len);
		else
			aio_depth(&e, d, len);
		if (ktap_failed()) {
			ktap_diag("depth %d, %zu bytes each", d, len);
			break;
		}
	}
	expect_pins_released(pins);
	close(e.fd);
}

static void libaio_soft(void) { async_depths(SOFT, false); }
static void libaio_edu(void) { async_depths(EDU, false); }
static void io_uring_soft(void) { async_depths(SOFT, true); }
static void io_uring_edu(void) { async_depths(EDU, true); }

/* A process killed with requests in flight: they end, pins go, no splat. */
static void aio_and_die(void *arg)
{
	struct engine e = engine(EDU);
	uint8_t *b = t_anon(64 * PAGE);
	bool uring = arg != NULL;

	if (uring) {
		struct io_uring ring;

		ASSERT_EQ(io_uring_queue_init(64, &ring, 0), 0);
		for (int i = 0; i < 32; i++)
			io_uring_prep_read(io_uring_get_sqe(&ring), e.fd,
					   b + i * 2 * PAGE, 100, i * 100);
		ASSERT_EQ(io_uring_submit(&ring), 32);
	} else {
		io_context_t ctx = 0;
		struct iocb cbs[32], *ptrs[32];

		ASSERT_EQ(io_setup(32, &ctx), 0);
		for (int i = 0; i < 32; i++) {
			io_prep_pread(&cbs[i], e.fd, b + i * 2 * PAGE, 100, i * 100);
			ptrs[i] = &cbs[i];
		}
		ASSERT_EQ(io_submit(ctx, 32, ptrs), 32);
	}
	pause();
}

static void killed_with_requests_in_flight(void)
{
	long long pins = pins_held();
	int kmsg = kmsg_open();

	/* Skip here, not in the children, when there is no edu device. */
	close(engine(EDU).fd);
	for (int uring = 0; uring < 2; uring++) {
		pid_t pid = t_fork(aio_and_die, uring ? (void *)1 : NULL);
		struct t_deadline d = t_deadline_ms(T_POLL_MS);

		/* Until it has submitted: edu then needs 3.2 s for all 32. */
		while (pins_held() <= pins && t_deadline_sleep(&d))
			;
		EXPECT(pins_held() > pins);
		ASSERT_OK(kill(pid, SIGKILL));
		EXPECT_EQ(t_wait(pid), 128 + SIGKILL);
	}
	expect_pins_released(pins);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/* 1,000 random transfers on random engines, against a shadow copy. */
static void random_transfers(void)
{
	struct engine es[2] = { engine(SOFT), engine(EDU) };
	uint8_t *shadow[2], *buf = t_anon((1 << 20) + 2 * PAGE);
	unsigned int seed = (unsigned int)time(NULL);
	long long pins = pins_held();

	if (getenv("MMDMA_SEED"))
		seed = (unsigned int)strtoul(getenv("MMDMA_SEED"), NULL, 0);
	ktap_diag("seed %u (MMDMA_SEED=%u replays it)", seed, seed);
	srand(seed);
	for (int i = 0; i < 2; i++) {
		shadow[i] = malloc(es[i].mem);
		ASSERT(shadow[i]);
		/* Start from known contents. */
		mmdma_pattern_fill(shadow[i], 0, es[i].mem, 7);
		for (uint64_t off = 0; off < es[i].mem; off += 1 << 20) {
			size_t n = es[i].mem - off < (1 << 20) ? es[i].mem - off : 1 << 20;

			ASSERT_EQ(pwrite(es[i].fd, shadow[i] + off, n, off), (ssize_t)n);
		}
	}
	for (int t = 0; t < 1000 && !ktap_failed(); t++) {
		int k = rand() % 10 == 0;	/* edu is slow: one in ten */
		struct engine *e = &es[k];
		size_t max = e->mem < (1 << 20) ? e->mem : 1 << 20;
		size_t len = 1 + (rand() % 4 ? (size_t)(rand() % 8192) : rand() % max);
		uint64_t pos, boff = rand() % (2 * PAGE);

		if (len > max)
			len = max;
		pos = rand() % (e->mem - len + 1);
		if (rand() % 2) {
			mmdma_pattern_fill(buf + boff, 0, len, t);
			ASSERT_EQ(pwrite(e->fd, buf + boff, len, pos), (ssize_t)len);
			memcpy(shadow[k] + pos, buf + boff, len);
		} else {
			ASSERT_EQ(pread(e->fd, buf + boff, len, pos), (ssize_t)len);
			if (memcmp(buf + boff, shadow[k] + pos, len))
				ktap_fail(false, __FILE__, __LINE__,
					  "transfer %d: %s read of %zu at %llu differs",
					  t, e->name, len, (unsigned long long)pos);
		}
	}
	expect_pins_released(pins);
	for (int i = 0; i < 2; i++) {
		free(shadow[i]);
		close(es[i].fd);
	}
}

/* After everything above: every FOLL_PIN pin was released. */
static void pins_balanced_after_suite(void)
{
	long long acq = vmstat("nr_foll_pin_acquired");
	long long rel = vmstat("nr_foll_pin_released");

	ktap_diag("nr_foll_pin_acquired %lld, nr_foll_pin_released %lld", acq, rel);
	ASSERT(acq > 0 && rel >= 0);
	EXPECT_EQ(acq, rel);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(soft_node_describes_engine),
	KTAP_CASE_T(soft_sizes_and_alignments, 300),
	KTAP_CASE_T(edu_sizes_and_alignments, 300),
	KTAP_CASE(readv_writev_segments),
	KTAP_CASE(position_limits),
	KTAP_CASE(bad_user_memory_efault),
	KTAP_CASE(zero_copy_pins_user_pages),
	KTAP_CASE(file_mapping_gets_data),
	KTAP_CASE(transparent_huge_pages),
	KTAP_CASE(mmdma_buffer_as_user_memory),
	KTAP_CASE(signal_mid_direct_read),
	KTAP_CASE_T(libaio_soft, 300),
	KTAP_CASE_T(libaio_edu, 300),
	KTAP_CASE_T(io_uring_soft, 300),
	KTAP_CASE_T(io_uring_edu, 300),
	KTAP_CASE_T(killed_with_requests_in_flight, 120),
	KTAP_CASE_T(random_transfers, 600),
	KTAP_CASE(pins_balanced_after_suite),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
