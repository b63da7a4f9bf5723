// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random-sequence fuzzer of our own.  Each step picks one of:
 * allocate (random kind, method, size; fields mostly near-valid), mmap /
 * munmap / mremap / mprotect, touch mapped pages, fork (the child runs a
 * few random steps and exits), ioctls on every node with random fields,
 * transfers on edu and the software engine with random offsets and lengths,
 * read / write / lseek, close, and (root, MMDMA_FUZZ_UNBIND=1 or --unbind)
 * unbinding and rebinding the edu device.
 *
 * A small model of the ABI (docs/abi.md) says, for each call, whether it
 * must fail (and with which errno) or may succeed; the run fails on a
 * success where failure is mandatory, a wrong errno class, wrong data or a
 * crash of the process.  The kernel's side (oops, KASAN, lockdep, leaks) is
 * the host's log check.
 *
 * The seed is printed first ("# seed N"); MMDMA_SEED=N or --seed N replays
 * a run.  MMDMA_FUZZ_SECS (default 20) bounds the run in seconds,
 * MMDMA_FUZZ_STEPS (default unbounded) in steps.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define MAX_BUFS	8
#define MAX_MAPS	8

static unsigned long long seed;
static bool unbind_allowed;
static double deadline;
static unsigned long long max_steps = ~0ULL;

/* xorshift64*: the same sequence for the same seed on every libc. */
static unsigned long long rng_state;

static unsigned long long rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)(rnd64() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

struct fbuf {
	int fd;
	uint64_t size;		/* rounded to pages */
	uint32_t kind, method;
	uint32_t seed;		/* its contents follow this fill pattern */
};

struct fmap {
	uint8_t *p;
	size_t len;
	int buf;		/* index in bufs[] when mapped, or -1 once its fd closed */
	off_t off;
	bool writable;
};

static struct fbuf bufs[MAX_BUFS];
static struct fmap maps[MAX_MAPS];
static int ctl = -1, soft = -1, edu = -1;
static uint64_t soft_mem, edu_mem;
static unsigned long steps, calls, expected_failures, unbinds, forks;

#define PROBLEM(...) ktap_fail(false, __FILE__, __LINE__, __VA_ARGS__)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A size near the interesting edges: 1, pages +- 1, big, huge, zero. */
static uint64_t fuzz_size(void)
{
	switch (rnd(8)) {
	case 0: return 1 + rnd(PAGE);
	case 1: return (1 + rnd(8)) * PAGE + rnd(3) - 1;
	case 2: return (1 + rnd(64)) * PAGE;
	case 3: return 0;
	case 4: return ~0ULL - rnd(PAGE);
	case 5: return 1ULL << (20 + rnd(24));
	default: return 1 + rnd(4 * PAGE);
	}
}

/* ---- buffers ------------------------------------------------------------------ */

static int free_buf_slot(void)
{
	for (int i = 0; i < MAX_BUFS; i++)
		if (bufs[i].fd <= 0)
			return i;
	return -1;
}

static void step_alloc(void)
{
	struct mmdma_alloc a = {
		.size = fuzz_size(),
		.kind = 1 + rnd(3), .method = 1 + rnd(3),
	};
	struct mmdma_info info;
	int slot = free_buf_slot(), ret, want = 0;

	if (slot < 0)
		return;
	/*
	 * Wrong values are zero or far out of range, so that kinds, methods
	 * and cache modes added to the ABI later keep the model right.
	 */
	if (chance(10))
		a.kind = chance(50) ? 0 : 64 + rnd(1000);
	if (chance(10))
		a.method = chance(50) ? 0 : 64 + rnd(1000);
	if (chance(5))
		a.flags = 1U << (16 + rnd(16));
	if (chance(20))
		a.cache = chance(50) ? MMDMA_CACHE_CACHED : 64 + rnd(1000);
	if (chance(3))
		a.reserved[rnd(4)] = rnd64();
	if (chance(3))
		a.device = 1 + rnd(4);
	ASSERT_OK(mmdma_info(ctl, &info));
	/* The model: what must fail, in the order the ABI states. */
	if ((a.flags & ~MMDMA_ALLOC_VALID_FLAGS) || a.device || a.reserved[0] ||
	    a.reserved[1] || a.reserved[2] || a.reserved[3] ||
	    a.kind < MMDMA_MEM_PAGES || a.kind > MMDMA_MEM_VMALLOC ||
	    a.method < MMDMA_MAP_REMAP || a.method > MMDMA_MAP_INSERT ||
	    (a.method == MMDMA_MAP_REMAP && a.kind != MMDMA_MEM_CONTIG) ||
	    a.cache > MMDMA_CACHE_CACHED || !a.size)
		want = EINVAL;
	else if (a.size > info.max_buf_size ||
		 (a.kind == MMDMA_MEM_CONTIG && a.size > info.max_contig_size))
		want = E2BIG;
	calls++;
	ret = ioctl(ctl, MMDMA_IOC_ALLOC, &a) ? -errno : 0;
	if (want) {
		expected_failures++;
		if (ret != -want)
			PROBLEM("alloc size %llu kind %u method %u cache %u flags %#x: got %s, expected %s",
				(unsigned long long)a.size, a.kind, a.method, a.cache, a.flags,
				ret ? strerror(-ret) : "success", strerror(want));
		if (!ret)
			close(a.fd);
		return;
	}
	/* A valid request may still find no memory (or the total cap). */
	if (ret == -ENOMEM)
		return;
	if (ret) {
		PROBLEM("alloc size %llu kind %u method %u: %s", (unsigned long long)a.size,
			a.kind, a.method, strerror(-ret));
		return;
	}
	bufs[slot] = (struct fbuf){
		.fd = a.fd, .size = (a.size + PAGE - 1) & ~(PAGE - 1),
		.kind = a.kind, .method = a.method, .seed = (uint32_t)rnd64(),
	};
	ASSERT_OK(mmdma_buf_fill(a.fd, 0, bufs[slot].size, bufs[slot].seed));
}

static int pick_buf(void)
{
	int start = rnd(MAX_BUFS);

	for (int i = 0; i < MAX_BUFS; i++) {
		int b = (start + i) % MAX_BUFS;

		if (bufs[b].fd > 0)
			return b;
	}
	return -1;
}

static void step_close_buf(void)
{
	int b = pick_buf();

	if (b < 0)
		return;
	close(bufs[b].fd);
	bufs[b].fd = 0;
	/* Mappings outlive the fd; they no longer name a live slot. */
	for (int m = 0; m < MAX_MAPS; m++)
		if (maps[m].p && maps[m].buf == b)
			maps[m].buf = -1;
}

/* read/write/lseek/pread/pwrite through the buffer fd, checked by the model. */
static void step_buf_rw(void)
{
	int b = pick_buf();
	uint8_t tmp[3 * 4096];
	off_t pos;
	size_t len = rnd(sizeof(tmp) + 1);
	ssize_t r;

	if (b < 0)
		return;
	pos = chance(80) ? (off_t)rnd(bufs[b].size + 2) : (off_t)rnd64();
	calls++;
	if (chance(50)) {
		r = pread(bufs[b].fd, tmp, len, pos);
		if (pos < 0) {
			expected_failures++;
			if (r != -1 || errno != EINVAL)
				PROBLEM("pread at %lld: %zd, expected EINVAL", (long long)pos, r);
			return;
		}
		{
			uint64_t end = (uint64_t)pos >= bufs[b].size ? 0 : bufs[b].size - pos;
			size_t want = len < end ? len : end;

			if (r != (ssize_t)want) {
				PROBLEM("pread %zu at %lld of %llu: %zd (%s), expected %zu", len,
					(long long)pos, (unsigned long long)bufs[b].size, r,
					r < 0 ? strerror(errno) : "-", want);
				return;
			}
			if (want)
				t_expect_pattern(tmp, pos, want, bufs[b].seed);
		}
	} else if (chance(50)) {
		uint64_t end;

		if (pos < 0 || (uint64_t)pos >= bufs[b].size)
			pos = rnd(bufs[b].size);
		end = bufs[b].size - pos;
		if (len > end)
			len = end;
		mmdma_pattern_fill(tmp, pos, len, bufs[b].seed);
		r = pwrite(bufs[b].fd, tmp, len, pos);
		if (r != (ssize_t)len)
			PROBLEM("pwrite %zu at %lld: %zd (%s)", len, (long long)pos, r,
				r < 0 ? strerror(errno) : "short");
	} else {
		int whence = rnd(3);
		long long cur = lseek(bufs[b].fd, 0, SEEK_CUR), target;
		long long base = whence == SEEK_SET ? 0 : whence == SEEK_END ?
				 (long long)bufs[b].size : cur;
		bool wraps = __builtin_add_overflow(base, (long long)pos, &target);
		off_t got = lseek(bufs[b].fd, pos, whence);

		if (wraps || target < 0 || (uint64_t)target > bufs[b].size) {
			expected_failures++;
			if (got != -1 || errno != EINVAL)
				PROBLEM("lseek %lld whence %d from %lld: %lld, expected EINVAL",
					(long long)pos, whence, cur, (long long)got);
		} else if (got != target) {
			PROBLEM("lseek %lld whence %d: %lld, expected %lld", (long long)pos,
				whence, (long long)got, target);
		}
	}
}

/* ---- mappings ----------------------------------------------------------------- */

static void step_mmap(void)
{
	int b = pick_buf(), m;
	off_t off;
	size_t len;
	int flags = chance(80) ? MAP_SHARED : MAP_PRIVATE;
	int prot = chance(80) ? PROT_READ | PROT_WRITE : PROT_READ;
	bool valid;
	uint8_t *p;

	if (b < 0)
		return;
	for (m = 0; m < MAX_MAPS && maps[m].p; m++)
		;
	if (m == MAX_MAPS)
		return;
	off = chance(85) ? (off_t)rnd(bufs[b].size / PAGE + 1) * PAGE : (off_t)rnd(1 << 30) * PAGE;
	len = chance(85) ? (1 + rnd(bufs[b].size / PAGE + 1)) * PAGE : 1 + rnd(64 * PAGE);
	/* The kernel maps whole pages. */
	len = (len + PAGE - 1) & ~(PAGE - 1);
	valid = (uint64_t)off < bufs[b].size && len <= bufs[b].size - off &&
		!(bufs[b].method == MMDMA_MAP_REMAP && flags == MAP_PRIVATE &&
		  (prot & PROT_WRITE));
	/* A private read-only mapping may still become writable: COW. */
	if (bufs[b].method == MMDMA_MAP_REMAP && flags == MAP_PRIVATE)
		valid = false;
	calls++;
	p = mmap(NULL, len, prot, flags, bufs[b].fd, off);
	if (!valid) {
		expected_failures++;
		if (p != MAP_FAILED) {
			PROBLEM("mmap %zu at %lld of %llu-byte %s buffer (%s) succeeded",
				len, (long long)off, (unsigned long long)bufs[b].size,
				mmdma_method_name(bufs[b].method),
				flags == MAP_SHARED ? "shared" : "private");
			munmap(p, len);
		} else if (errno != EINVAL) {
			PROBLEM("mmap out of range: %s, expected EINVAL", strerror(errno));
		}
		return;
	}
	if (p == MAP_FAILED) {
		PROBLEM("mmap %zu at %lld of %llu bytes (%s): %s", len, (long long)off,
			(unsigned long long)bufs[b].size, mmdma_method_name(bufs[b].method),
			strerror(errno));
		return;
	}
	maps[m] = (struct fmap){ p, len, b, off, prot & PROT_WRITE && flags == MAP_SHARED };
	/* The mapping shows the buffer's contents where it starts. */
	t_expect_pattern(p, off, len < 64 ? len : 64, bufs[b].seed);
}

static int pick_map(void)
{
	int start = rnd(MAX_MAPS);

	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[(start + i) % MAX_MAPS].p)
			return (start + i) % MAX_MAPS;
	return -1;
}

static void step_touch(void)
{
	int m = pick_map();
	size_t at;

	if (m < 0)
		return;
	at = rnd(maps[m].len);
	if (maps[m].buf >= 0) {
		struct fbuf *b = &bufs[maps[m].buf];

		t_expect_pattern(maps[m].p + at, maps[m].off + at, 1, b->seed);
		if (maps[m].writable) {
			uint64_t o = maps[m].off + at;

			/* Rewrite with the same pattern byte: contents stay known. */
			maps[m].p[at] = mmdma_pattern_byte(b->seed, o);
		}
	} else {
		/* Buffer fd closed: the mapping still holds the memory. */
		volatile uint8_t v = maps[m].p[at];

		(void)v;
	}
}

static void step_unmap(void)
{
	int m = pick_map();

	if (m < 0)
		return;
	if (chance(30) && maps[m].len > PAGE) {
		/* A partial munmap splits nothing we track: drop the tail. */
		size_t keep = (1 + rnd(maps[m].len / PAGE - 1)) * PAGE;

		ASSERT_OK(munmap(maps[m].p + keep, maps[m].len - keep));
		maps[m].len = keep;
		return;
	}
	ASSERT_OK(munmap(maps[m].p, maps[m].len));
	maps[m].p = NULL;
}

static void step_mremap_mprotect(void)
{
	int m = pick_map();

	if (m < 0)
		return;
	calls++;
	if (chance(50)) {
		size_t nlen = (1 + rnd(maps[m].len / PAGE + 2)) * PAGE;
		void *q = mremap(maps[m].p, maps[m].len, nlen, MREMAP_MAYMOVE);

		/* Growing may be refused (EFAULT for remap and vmalloc insert). */
		if (q == MAP_FAILED) {
			if (errno != EFAULT && errno != ENOMEM && errno != EINVAL)
				PROBLEM("mremap %zu -> %zu: %s", maps[m].len, nlen, strerror(errno));
			return;
		}
		maps[m].p = q;
		/* Never touch past the buffer's end (SIGBUS). */
		if (maps[m].buf >= 0 && maps[m].off + nlen > bufs[maps[m].buf].size) {
			ASSERT_OK(munmap(q, nlen));
			maps[m].p = NULL;
			return;
		}
		if (maps[m].buf < 0 && nlen > maps[m].len) {
			ASSERT_OK(munmap(q, nlen));
			maps[m].p = NULL;
			return;
		}
		maps[m].len = nlen;
	} else {
		int prot = chance(50) ? PROT_READ : PROT_NONE;

		if (mprotect(maps[m].p, maps[m].len, prot))
			PROBLEM("mprotect: %s", strerror(errno));
		/* No more touching: drop it. */
		ASSERT_OK(munmap(maps[m].p, maps[m].len));
		maps[m].p = NULL;
	}
}

/* ---- device nodes -------------------------------------------------------------- */

static void reopen_edu(void)
{
	if (edu >= 0)
		close(edu);
	edu = mmdma_dev_open(EDU);
	if (edu >= 0) {
		struct mmdma_dev_info info;

		if (mmdma_dev_info(edu, &info) == 0)
			edu_mem = info.mem_size;
	}
}

/* MMDMA_DEV_XFER with near-valid random fields, checked by the model. */
static void step_xfer(void)
{
	bool on_edu = chance(25);
	int dev = on_edu ? edu : soft, s = pick_buf(), d = pick_buf(), want = 0, ret;
	uint64_t mem = on_edu ? edu_mem : soft_mem;
	struct mmdma_xfer x = { .op = 1 + rnd(3), .dma = rnd(7) };
	uint8_t *back;

	if (dev < 0 || s < 0 || d < 0)
		return;
	x.src_fd = bufs[s].fd;
	x.dst_fd = bufs[d].fd;
	x.length = chance(90) ? 1 + rnd(on_edu ? 4095 : 3 * PAGE) : fuzz_size();
	x.src_offset = chance(90) ? rnd(bufs[s].size) : rnd64();
	x.dst_offset = chance(90) ? rnd(bufs[d].size) : rnd64();
	x.dev_offset = x.op == MMDMA_XFER_ROUNDTRIP ? 0 :
		       chance(90) ? rnd(mem) : rnd64();
	/* Wrong values far out of range: the ABI may grow (see step_alloc). */
	if (chance(5))
		x.op = chance(50) ? 0 : 64 + rnd(1000);
	if (chance(5))
		x.dma = 64 + rnd(1000);
	if (chance(3))
		x.flags = 1U << (16 + rnd(16));
	if (chance(3))
		x.reserved[rnd(4)] = 1;
	if (chance(3))
		x.src_fd = x.dst_fd = -1 - rnd(3);

	{
		bool src_used = x.op != MMDMA_XFER_FROM_DEV, dst_used = x.op != MMDMA_XFER_TO_DEV;
		uint64_t e;

		if (x.op < 1 || x.op > 3 || x.dma > MMDMA_DMA_STREAM || x.flags ||
		    x.reserved[0] || x.reserved[1] || x.reserved[2] || x.reserved[3] ||
		    !x.length)
			want = EINVAL;
		else if ((src_used && x.src_fd < 0) || (dst_used && x.dst_fd < 0))
			want = EBADF;
		else if ((src_used && (__builtin_add_overflow(x.src_offset, x.length, &e) ||
				      e > bufs[s].size)) ||
			 (dst_used && (__builtin_add_overflow(x.dst_offset, x.length, &e) ||
				      e > bufs[d].size)) ||
			 (x.op == MMDMA_XFER_ROUNDTRIP && s == d &&
			  x.src_offset < x.dst_offset + x.length &&
			  x.dst_offset < x.src_offset + x.length) ||
			 (x.op != MMDMA_XFER_ROUNDTRIP &&
			  (__builtin_add_overflow(x.dev_offset, x.length, &e) || e > mem)) ||
			 (x.dma == MMDMA_DMA_POOL && x.length > MMDMA_POOL_MAX) ||
			 (x.dma == MMDMA_DMA_SINGLE &&
			  ((src_used && bufs[s].kind != MMDMA_MEM_CONTIG) ||
			   (dst_used && bufs[d].kind != MMDMA_MEM_CONTIG))))
			want = EINVAL;
	}
	calls++;
	ret = mmdma_xfer(dev, &x);
	if (on_edu && ret == -ENODEV) {
		reopen_edu();	/* unbound under us: allowed */
		return;
	}
	if (want) {
		expected_failures++;
		if (ret != -want)
			PROBLEM("xfer op %u dma %u len %llu src %llu dst %llu dev %llu on %s: got %s, expected %s",
				x.op, x.dma, (unsigned long long)x.length,
				(unsigned long long)x.src_offset, (unsigned long long)x.dst_offset,
				(unsigned long long)x.dev_offset, on_edu ? "edu" : "soft",
				ret ? strerror(-ret) : "success", strerror(want));
		return;
	}
	if (ret) {
		if (!(on_edu && (ret == -ETIMEDOUT || ret == -EINTR)) && ret != -ENOMEM)
			PROBLEM("xfer op %u dma %u len %llu on %s: %s", x.op, x.dma,
				(unsigned long long)x.length, on_edu ? "edu" : "soft", strerror(-ret));
		return;
	}
	if (x.op == MMDMA_XFER_TO_DEV)
		return;	/* device memory is not modelled */
	back = malloc(x.length);
	ASSERT(back);
	ASSERT_EQ(pread(bufs[d].fd, back, x.length, x.dst_offset), (ssize_t)x.length);
	/* Round trips are: the source's bytes came back. */
	if (x.op == MMDMA_XFER_ROUNDTRIP)
		t_expect_pattern(back, x.src_offset, x.length, bufs[s].seed);
	/* The destination's range now holds other bytes: put its pattern back. */
	mmdma_pattern_fill(back, x.dst_offset, x.length, bufs[d].seed);
	ASSERT_EQ(pwrite(bufs[d].fd, back, x.length, x.dst_offset), (ssize_t)x.length);
	free(back);
}

/* Direct I/O on a device node: a write then a read of the same range. */
static void step_dio(void)
{
	bool on_edu = chance(25);
	int dev = on_edu ? edu : soft;
	uint64_t mem = on_edu ? edu_mem : soft_mem;
	size_t len = 1 + rnd(on_edu ? 4095 : 2 * PAGE);
	off_t pos = chance(90) ? (off_t)rnd(mem) : (off_t)rnd64();
	uint8_t *w, *r;
	uint32_t s = (uint32_t)rnd64();
	ssize_t n;

	if (dev < 0)
		return;
	w = malloc(len);
	r = malloc(len);
	ASSERT(w && r);
	mmdma_pattern_fill(w, 0, len, s);
	calls++;
	n = pwrite(dev, w, len, pos);
	if (n < 0 && on_edu && errno == ENODEV) {
		reopen_edu();
	} else if (pos < 0) {
		expected_failures++;
		if (n != -1 || errno != EINVAL)
			PROBLEM("pwrite at %lld: %zd, expected EINVAL", (long long)pos, n);
	} else if ((uint64_t)pos >= mem) {
		expected_failures++;
		if (n != -1 || errno != ENOSPC)
			PROBLEM("pwrite at %lld of %llu: %zd, expected ENOSPC", (long long)pos,
				(unsigned long long)mem, n);
	} else {
		size_t want = len < mem - pos ? len : mem - pos;

		if (n != (ssize_t)want) {
			if (!(on_edu && n < 0 && (errno == ETIMEDOUT || errno == EINTR)))
				PROBLEM("pwrite %zu at %lld on %s: %zd (%s), expected %zu", len,
					(long long)pos, on_edu ? "edu" : "soft", n,
					n < 0 ? strerror(errno) : "short", want);
		} else {
			n = pread(dev, r, want, pos);
			if (n == (ssize_t)want)
				t_expect_pattern(r, 0, want, s);
			else if (!(on_edu && n < 0 && (errno == ENODEV || errno == ETIMEDOUT)))
				PROBLEM("pread %zu at %lld: %zd (%s)", want, (long long)pos, n,
					n < 0 ? strerror(errno) : "short");
		}
	}
	free(w);
	free(r);
}

/* Any ioctl number of our magic (and some others), random bytes, any node. */
static void step_ioctl(void)
{
	static const unsigned int known[] = {
		MMDMA_IOC_INFO, MMDMA_IOC_ALLOC, MMDMA_BUF_INFO, MMDMA_BUF_FILL,
		MMDMA_BUF_PHYS, MMDMA_DEV_INFO, MMDMA_DEV_XFER, MMDMA_BUF_ATTACH,
		MMDMA_BUF_DETACH, MMDMA_BUF_DMA_ADDRS, MMDMA_BUF_SYNC,
		MMDMA_BUF_EXPORT,
	};
	const unsigned int nr_known = sizeof(known) / sizeof(known[0]);
	uint64_t arg[40];
	unsigned int cmd;
	int b = pick_buf(), fds[4] = { ctl, soft, edu, b >= 0 ? bufs[b].fd : -1 };
	int fd = fds[rnd(4)], ret;
	bool is_known = false;

	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(arg) / sizeof(arg[0]); i++)
		arg[i] = chance(70) ? 0 : rnd64() >> rnd(64);
	if (chance(60))
		cmd = known[rnd(nr_known)];
	else
		cmd = _IOC(rnd(4), chance(80) ? MMDMA_IOC_MAGIC : rnd(256), rnd(256),
			   rnd(sizeof(arg) + 1));
	/* Known numbers with another size or direction may be valid (growth). */
	for (unsigned int i = 0; i < nr_known; i++)
		is_known |= _IOC_NR(cmd) == _IOC_NR(known[i]);
	if (is_known && (_IOC_NR(cmd) == _IOC_NR(MMDMA_DEV_XFER) ||
			 _IOC_NR(cmd) == _IOC_NR(MMDMA_BUF_FILL) ||
			 _IOC_NR(cmd) == _IOC_NR(MMDMA_BUF_PHYS) ||
			 _IOC_NR(cmd) == _IOC_NR(MMDMA_BUF_DMA_ADDRS)))
		return;
	/* A transfer with random fds may write any buffer: only our own. */
	if (cmd == MMDMA_DEV_XFER)
		return;
	/*
	 * FILL would change a buffer's contents behind the model, and PHYS
	 * and DMA_ADDRS would store to a random address of this very process.
	 */
	if (cmd == MMDMA_BUF_FILL || cmd == MMDMA_BUF_PHYS)
		return;
	calls++;
	ret = ioctl(fd, cmd, arg) ? -errno : 0;
	if (!ret && _IOC_TYPE(cmd) == MMDMA_IOC_MAGIC &&
	    _IOC_NR(cmd) == _IOC_NR(MMDMA_IOC_ALLOC)) {
		struct mmdma_alloc a;
		bool ours = false;

		/* A new buffer fd, unless the struct was not copied back. */
		memcpy(&a, arg, sizeof(a));
		ours = a.fd == ctl || a.fd == soft || a.fd == edu || a.fd <= 2;
		for (int i = 0; i < MAX_BUFS; i++)
			ours |= bufs[i].fd == a.fd;
		if (!ours)
			close(a.fd);
	}
	if (!ret && _IOC_TYPE(cmd) == MMDMA_IOC_MAGIC &&
	    _IOC_NR(cmd) == _IOC_NR(MMDMA_BUF_EXPORT)) {
		struct mmdma_buf_export e;

		/* A dma-buf holds its buffer: let it go, as the model did. */
		bool ours;

		memcpy(&e, arg, sizeof(e));
		ours = e.fd == ctl || e.fd == soft || e.fd == edu || e.fd <= 2;
		for (int i = 0; i < MAX_BUFS; i++)
			ours |= bufs[i].fd == e.fd;
		if (!ours)
			close(e.fd);
	}
	if (!is_known && _IOC_TYPE(cmd) == MMDMA_IOC_MAGIC) {
		/* Numbers the ABI does not define, on any of our files. */
		expected_failures++;
		if (ret != -ENOTTY && ret != -EINVAL)
			PROBLEM("ioctl %#x (unknown): %s, expected ENOTTY", cmd,
				ret ? strerror(-ret) : "success");
	}
}

static void step_unbind(void)
{
	DIR *d;
	struct dirent *e;
	char addr[64] = "", path[128];
	int fd;

	if (!unbind_allowed)
		return;
	d = opendir(EDU_DRV);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strchr(e->d_name, ':'))
			snprintf(addr, sizeof(addr), "%.60s", e->d_name);
	closedir(d);
	if (!addr[0])
		return;
	snprintf(path, sizeof(path), EDU_DRV "/unbind");
	t_write_str(path, addr);
	unbinds++;
	/* The open fd now says ENODEV to everything. */
	if (edu >= 0) {
		struct mmdma_dev_info info;

		EXPECT_ERR(mmdma_dev_info(edu, &info), ENODEV);
	}
	snprintf(path, sizeof(path), EDU_DRV "/bind");
	fd = open(path, O_WRONLY);
	ASSERT_OK(fd);
	if (write(fd, addr, strlen(addr)) != (ssize_t)strlen(addr))
		PROBLEM("rebind %s: %s", addr, strerror(errno));
	close(fd);
	reopen_edu();
}

static void run_steps(unsigned long long n_steps, bool may_fork);

static void step_fork(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	forks++;
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		/* Same fds and mappings, its own sequence, then exit. */
		rng_state ^= 0x9e3779b97f4a7c15ULL;
		unbind_allowed = false;
		run_steps(20 + rnd(30), false);
		fflush(stdout);
		_exit(ktap_failed() ? 1 : 0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		PROBLEM("forked child: %s %d", WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void run_steps(unsigned long long n_steps, bool may_fork)
{
	for (unsigned long long i = 0; i < n_steps && now() < deadline &&
	     !ktap_failed(); i++) {
		steps++;
		switch (rnd(may_fork ? 14 : 13)) {
		case 0: case 1: step_alloc(); break;
		case 2: step_close_buf(); break;
		case 3: step_buf_rw(); break;
		case 4: step_mmap(); break;
		case 5: step_touch(); break;
		case 6: step_unmap(); break;
		case 7: step_mremap_mprotect(); break;
		case 8: case 9: step_xfer(); break;
		case 10: step_dio(); break;
		case 11: step_ioctl(); break;
		case 12: if (chance(25)) step_unbind(); else step_touch(); break;
		default: step_fork(); break;
		}
	}
}

/* The random sequence, then everything closed and nothing left over. */
static void random_sequence(void)
{
	struct mmdma_dev_info info;
	struct mmdma_info minfo;
	long long pins = vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
	int kmsg = kmsg_open();
	const char *s;
	double secs = (s = getenv("MMDMA_FUZZ_SECS")) && atof(s) > 0 ? atof(s) : 20;

	if ((s = getenv("MMDMA_FUZZ_STEPS")))
		max_steps = strtoull(s, NULL, 0);
	ktap_diag("seed %llu (replay: MMDMA_SEED=%llu)", seed, seed);
	rng_state = seed ? seed : 1;
	ctl = t_ctl();
	soft = mmdma_dev_open(SOFT);
	ASSERT_OK(soft);
	ASSERT_OK(mmdma_dev_info(soft, &info));
	soft_mem = info.mem_size;
	reopen_edu();
	if (edu < 0)
		ktap_diag("no %s: transfers on the software engine only", EDU);
	deadline = now() + secs;
	run_steps(max_steps, true);
	ktap_diag("%lu steps, %lu checked calls, %lu of them had to fail; %lu forks, edu unbound %lu times%s",
		  steps, calls, expected_failures, forks, unbinds,
		  unbind_allowed ? "" : " (not asked to: MMDMA_FUZZ_UNBIND=1 or --unbind, as root)");

	for (int m = 0; m < MAX_MAPS; m++)
		if (maps[m].p)
			munmap(maps[m].p, maps[m].len);
	for (int b = 0; b < MAX_BUFS; b++)
		if (bufs[b].fd > 0)
			close(bufs[b].fd);
	ASSERT_OK(mmdma_info(ctl, &minfo));
	EXPECT_EQ(minfo.nr_buffers, 0);
	EXPECT_EQ(vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released"), pins);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	if (ktap_failed())
		ktap_diag("replay with MMDMA_SEED=%llu", seed);
}

static const struct ktap_case cases[] = {
	KTAP_CASE_T(random_sequence, 600),
};

int main(int argc, char **argv)
{
	const char *s = getenv("MMDMA_SEED");
	int i;

	seed = s ? strtoull(s, NULL, 0) : (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 16);
	unbind_allowed = getenv("MMDMA_FUZZ_UNBIND") && !strcmp(getenv("MMDMA_FUZZ_UNBIND"), "1");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--unbind")) {
			unbind_allowed = true;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: %s [--seed N] [--unbind]\n"
			       "  env: MMDMA_SEED, MMDMA_FUZZ_SECS (20), MMDMA_FUZZ_STEPS, MMDMA_FUZZ_UNBIND=1\n",
			       argv[0]);
			return 0;
		} else {
			break;
		}
	}
	unbind_allowed = unbind_allowed && geteuid() == 0;
	/* The seed comes first, before any case output. */
	printf("# seed %llu\n", seed);
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc - i + 1, argv + i - 1);
}
