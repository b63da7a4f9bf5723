// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random-sequence fuzzer of our own.  Each step picks one of:
 * allocate (random kind, method, size; fields mostly near-valid), mmap /
 * munmap / mremap / mprotect, touch mapped pages, fork (the child runs a
 * few random steps and exits), ioctls on every node with random fields,
 * transfers on edu and the software engine with random offsets and lengths,
 * read / write / lseek, close, and (root, MMDMA_FUZZ_UNBIND=1 or --unbind)
 * unbinding and rebinding the edu device (also while a direct read's pin
 * is stalled on a userfaultfd page), exporting dma-bufs (read-write and
 * read-only), attaching, syncing and detaching, and dropping
 * CAP_SYS_RAWIO and CAP_SYS_ADMIN part-way through.  Every fd field gets
 * fds of every type and access mode: buffers, read-write and read-only
 * dma-bufs, device nodes (read-write and read-only), the control node,
 * /dev/null, both ends of a pipe, an O_PATH fd and a closed fd.
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
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define MAX_BUFS	8
#define MAX_MAPS	8
#define MAX_DBUFS	6

/*
 * The access rules of issue 17 (docs/abi.md): a read-only dma-buf as a
 * transfer's destination is EBADF, and MMDMA_DEV_XFER.bus_addr is 0 for a
 * caller without CAP_SYS_RAWIO.  1 since the kernel side is in; with 0
 * (-DMODEL_ACCESS_RULES=0, for a kernel without them) the model never
 * sends a read-only dma-buf as a destination and does not look at
 * bus_addr.
 */
#ifndef MODEL_ACCESS_RULES
#define MODEL_ACCESS_RULES	1
#endif

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
	unsigned long serial;	/* unique per allocation: names the memory */
	bool attached;		/* to the software engine (either of its fds) */
	bool edu_attached;	/* an attach to edu succeeded (an unbind may have unmapped it) */
	uint32_t attach_dir;
};

/* A dma-buf exported from a buffer; it outlives the buffer's fd. */
struct fdbuf {
	int fd;
	bool writable;		/* O_RDWR, else O_RDONLY */
	uint64_t size;
	uint32_t seed;		/* the buffer's contents follow this pattern */
	unsigned long serial;	/* which buffer (fbuf.serial) */
};

struct fmap {
	uint8_t *p;
	size_t len;
	int buf;		/* index in bufs[] when mapped, or -1 once its fd closed */
	off_t off;
	bool writable;
};

static struct fbuf bufs[MAX_BUFS];
static struct fdbuf dbufs[MAX_DBUFS];
static struct fmap maps[MAX_MAPS];
static int ctl = -1, soft = -1, edu = -1;
static uint64_t soft_mem, edu_mem;
static unsigned long steps, calls, expected_failures, unbinds, forks, serials;
static unsigned long stalled_unbinds;
static unsigned long dio_maps, dio_maps_busy;	/* step_dio_map(): calls, EBUSY ones */
static bool in_child, caps_dropped, uffd_ok = true;
static unsigned long drop_caps_step;

/*
 * Files that are not buffers, for the fd fields: a closed fd, an O_PATH fd
 * (no file operations: EBADF like a closed one), /dev/null, both pipe
 * ends, and the software engine's node opened read-only.
 */
static int zoo_closed = -1, zoo_opath = -1, zoo_null = -1, zoo_pipe[2] = { -1, -1 };
static int soft_ro = -1;

/* What a file passed in an fd field is, for the model. */
enum fclass {
	FC_BADF,	/* closed, O_PATH or negative: EBADF */
	FC_OTHER,	/* open, but no mmdma file: /dev/null, a pipe, the control node */
	FC_DEV,		/* a DMA device node */
	FC_BUF,		/* a buffer fd (bufs[idx]) */
	FC_DMABUF,	/* a dma-buf (dbufs[idx]) */
};

struct fpick {
	int fd;
	enum fclass cls;
	int idx;		/* FC_BUF, FC_DMABUF: the slot */
	bool soft;		/* FC_DEV: the software engine (else edu) */
	const char *what;
};

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
		.serial = ++serials,
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

/* ---- fds of every kind ---------------------------------------------------------- */

static struct fpick fpick(int fd, enum fclass cls, int idx, bool is_soft, const char *what)
{
	return (struct fpick){ fd, cls, idx, is_soft, what };
}

/* Not a buffer: a bad fd, an unrelated file or a device node. */
static struct fpick pick_other(void)
{
	switch (rnd(10)) {
	case 0: return fpick(zoo_closed, FC_BADF, -1, false, "a closed fd");
	case 1: return fpick(zoo_opath, FC_BADF, -1, false, "an O_PATH fd");
	case 2: return fpick(-1 - (int)rnd(3), FC_BADF, -1, false, "a negative fd");
	case 3: return fpick(zoo_null, FC_OTHER, -1, false, "/dev/null");
	case 4: return fpick(zoo_pipe[0], FC_OTHER, -1, false, "a pipe's read end");
	case 5: return fpick(zoo_pipe[1], FC_OTHER, -1, false, "a pipe's write end");
	case 6: return fpick(ctl, FC_OTHER, -1, false, "the control node");
	case 7: return fpick(soft, FC_DEV, -1, true, "the soft node");
	case 8: return fpick(soft_ro, FC_DEV, -1, true, "the soft node, read-only");
	default:
		if (edu >= 0)
			return fpick(edu, FC_DEV, -1, false, "the edu node");
		return fpick(zoo_null, FC_OTHER, -1, false, "/dev/null");
	}
}

static int pick_dbuf(void)
{
	int start = rnd(MAX_DBUFS);

	for (int i = 0; i < MAX_DBUFS; i++)
		if (dbufs[(start + i) % MAX_DBUFS].fd > 0)
			return (start + i) % MAX_DBUFS;
	return -1;
}

/* Mostly the buffer @b; now and then a dma-buf or any other file. */
static struct fpick pick_mem(int b)
{
	int d;

	if (chance(12) && (d = pick_dbuf()) >= 0)
		return fpick(dbufs[d].fd, FC_DMABUF, d, false,
			     dbufs[d].writable ? "a dma-buf" : "a read-only dma-buf");
	if (chance(8))
		return pick_other();
	return fpick(bufs[b].fd, FC_BUF, b, false, "a buffer");
}

/* A device node fd field: mostly the engine, now and then anything. */
static struct fpick pick_dev(bool on_soft)
{
	int b, d;

	switch (chance(25) ? rnd(3) : 3) {
	case 0:
		return pick_other();
	case 1:
		if ((b = pick_buf()) >= 0)
			return fpick(bufs[b].fd, FC_BUF, b, false, "a buffer");
		return pick_other();
	case 2:
		if ((d = pick_dbuf()) >= 0)
			return fpick(dbufs[d].fd, FC_DMABUF, d, false, "a dma-buf");
		return pick_other();
	default:
		if (on_soft)
			return chance(30) ? fpick(soft_ro, FC_DEV, -1, true, "the soft node, read-only")
					  : fpick(soft, FC_DEV, -1, true, "the soft node");
		return fpick(edu, FC_DEV, -1, false, "the edu node");
	}
}

/* Open the fds of pick_other() that are not the nodes. */
static void zoo_open(void)
{
	zoo_null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_OK(zoo_null);
	zoo_opath = open("/dev/null", O_PATH | O_CLOEXEC);
	ASSERT_OK(zoo_opath);
	ASSERT_OK(pipe2(zoo_pipe, O_CLOEXEC | O_NONBLOCK));
	/* High, so nothing this process opens later takes the number. */
	zoo_closed = fcntl(zoo_null, F_DUPFD_CLOEXEC, 900);
	ASSERT_OK(zoo_closed);
	close(zoo_closed);
	soft_ro = open("/dev/" SOFT, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(soft_ro);
}

/* ---- transfers ------------------------------------------------------------------ */

/* One side of a transfer as the model sees it. */
struct xside {
	struct fpick p;
	bool used;
	uint64_t size;		/* FC_BUF, FC_DMABUF */
	uint32_t seed;
	uint32_t kind;		/* FC_BUF: the memory kind */
	unsigned long serial;
};

static struct xside xside(struct fpick p, bool used)
{
	struct xside x = { .p = p, .used = used };

	if (p.cls == FC_BUF) {
		x.size = bufs[p.idx].size;
		x.seed = bufs[p.idx].seed;
		x.kind = bufs[p.idx].kind;
		x.serial = bufs[p.idx].serial;
	} else if (p.cls == FC_DMABUF) {
		x.size = dbufs[p.idx].size;
		x.seed = dbufs[p.idx].seed;
		x.serial = dbufs[p.idx].serial;
	}
	return x;
}

#define ERRBIT(e)	(1ULL << (e))

/*
 * The errors the fd of one side must give, by itself (docs/abi.md, "Errors
 * of the device node's ioctls" and "Import"): none when it is usable.
 */
static unsigned long long side_errors(const struct xside *x, bool is_dst, uint32_t dma)
{
	if (!x->used)
		return 0;
	switch (x->p.cls) {
	case FC_BADF:
		return ERRBIT(EBADF);
	case FC_OTHER:
	case FC_DEV:
		return ERRBIT(EINVAL);
	case FC_DMABUF:
		if (is_dst && !dbufs[x->p.idx].writable)
			return ERRBIT(EBADF) |
			       (dma != MMDMA_DMA_AUTO && dma != MMDMA_DMA_SG ? ERRBIT(EINVAL) : 0);
		/* Imports are mapped as a scatterlist: AUTO or SG only. */
		return dma != MMDMA_DMA_AUTO && dma != MMDMA_DMA_SG ? ERRBIT(EINVAL) : 0;
	default:
		return 0;
	}
}

/*
 * Is the buffer behind @x (its fd, or the buffer a dma-buf was made of)
 * attached to soft, or (@edu) maybe to edu?
 */
static bool side_attached(const struct xside *x, bool edu)
{
	if (!x->used)
		return false;
	if (x->p.cls == FC_BUF)
		return edu ? bufs[x->p.idx].edu_attached : bufs[x->p.idx].attached;
	if (x->p.cls != FC_DMABUF)
		return false;
	/* Closing a buffer's fd detached it: only a live slot can be. */
	for (int b = 0; b < MAX_BUFS; b++)
		if (bufs[b].fd > 0 && bufs[b].serial == x->serial &&
		    (edu ? bufs[b].edu_attached : bufs[b].attached))
			return true;
	return false;
}

/*
 * A transfer that would map a buffer attached to its device a second time
 * (sg, page, single; auto picks sg but for small transfers of buffers,
 * which go through the pool) is EBUSY: required on the software engine
 * (@any false: its own attachments), allowed (@any true) when the buffer
 * is attached to either device: edu's attachments the model only half
 * knows (an unbind unmaps them), and an attachment to the other device
 * conflicts unless both mappings only go to the device, which the model
 * does not follow.  So is one into bytes another transfer has in flight,
 * which a sequence of synchronous calls never makes (test_attach.c covers
 * that on edu).
 */
static bool maps_attached_again(const struct mmdma_xfer *x, const struct xside *src,
				const struct xside *dst, bool any)
{
	uint32_t m = x->dma;

	if (m == MMDMA_DMA_AUTO)
		m = x->length <= MMDMA_POOL_MAX &&
		    !(src->used && src->p.cls == FC_DMABUF) &&
		    !(dst->used && dst->p.cls == FC_DMABUF) ? MMDMA_DMA_POOL : MMDMA_DMA_SG;
	if (m != MMDMA_DMA_SG && m != MMDMA_DMA_PAGE && m != MMDMA_DMA_SINGLE)
		return false;
	return side_attached(src, false) || side_attached(dst, false) ||
	       (any && (side_attached(src, true) || side_attached(dst, true)));
}

/* The memory of @x after a transfer wrote [off, off + len): check, restore. */
static void check_and_restore(const struct xside *dst, uint64_t off, uint64_t len,
			      const struct xside *src, uint64_t soff)
{
	uint8_t *back, *m = NULL;

	if (dst->p.cls == FC_BUF) {
		back = malloc(len);
		ASSERT(back);
		ASSERT_EQ(pread(dst->p.fd, back, len, off), (ssize_t)len);
	} else {
		/* A dma-buf has no read(): its mapping is the buffer's. */
		m = mmap(NULL, dst->size, PROT_READ | PROT_WRITE, MAP_SHARED, dst->p.fd, 0);
		if (m == MAP_FAILED) {
			PROBLEM("mmap of a writable dma-buf (%llu bytes): %s",
				(unsigned long long)dst->size, strerror(errno));
			return;
		}
		back = m + off;
	}
	/* Round trips are: the source's bytes came back. */
	if (src)
		t_expect_pattern(back, soff, len, src->seed);
	/* The destination's range now holds other bytes: put its pattern back. */
	mmdma_pattern_fill(back, off, len, dst->seed);
	if (m) {
		munmap(m, dst->size);
	} else {
		ASSERT_EQ(pwrite(dst->p.fd, back, len, off), (ssize_t)len);
		free(back);
	}
}

/* MMDMA_DEV_XFER with near-valid random fields, checked by the model. */
static void step_xfer(void)
{
	bool on_edu = chance(25);
	int dev = on_edu ? edu : soft, s = pick_buf(), d = pick_buf(), ret;
	uint64_t mem = on_edu ? edu_mem : soft_mem;
	struct mmdma_xfer x = { .op = 1 + rnd(3), .dma = rnd(7) };
	unsigned long long must = 0;	/* ERRBIT()s: one of them, or a problem */
	struct xside src, dst;

	if (dev < 0 || s < 0 || d < 0)
		return;
	/* On the soft node, now and then through its read-only fd. */
	if (!on_edu && chance(20))
		dev = soft_ro;
	src = xside(pick_mem(s), x.op != MMDMA_XFER_FROM_DEV);
	dst = xside(pick_mem(d), x.op != MMDMA_XFER_TO_DEV);
	/* Until the kernel has the rule, no read-only dma-buf as a destination. */
	if (!MODEL_ACCESS_RULES && dst.used && dst.p.cls == FC_DMABUF &&
	    !dbufs[dst.p.idx].writable)
		return;
	x.src_fd = src.p.fd;
	x.dst_fd = dst.p.fd;
	x.length = chance(90) ? 1 + rnd(on_edu ? 4095 : 3 * PAGE) : fuzz_size();
	x.src_offset = chance(90) && src.size ? rnd(src.size) : rnd64();
	x.dst_offset = chance(90) && dst.size ? rnd(dst.size) : rnd64();
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
	if (chance(3)) {
		x.src_fd = x.dst_fd = -1 - rnd(3);
		src = xside(fpick(x.src_fd, FC_BADF, -1, false, "a negative fd"), src.used);
		dst = xside(fpick(x.dst_fd, FC_BADF, -1, false, "a negative fd"), dst.used);
	}
	/*
	 * Two fds of one memory (a buffer and its dma-buf) in a round trip:
	 * the driver cannot see that the ranges overlap, and the model would
	 * not know the result.  Only two buffer fds are checked for overlap.
	 */
	if (src.used && dst.used && src.serial && src.serial == dst.serial &&
	    !(src.p.cls == FC_BUF && dst.p.cls == FC_BUF))
		return;

	{
		uint64_t e;
		bool range_bad =
			(src.used && src.size && (__builtin_add_overflow(x.src_offset, x.length, &e) ||
						  e > src.size)) ||
			(dst.used && dst.size && (__builtin_add_overflow(x.dst_offset, x.length, &e) ||
						  e > dst.size)) ||
			(x.op == MMDMA_XFER_ROUNDTRIP && src.p.cls == FC_BUF &&
			 dst.p.cls == FC_BUF && s == d &&
			 x.src_offset < x.dst_offset + x.length &&
			 x.dst_offset < x.src_offset + x.length) ||
			(x.op != MMDMA_XFER_ROUNDTRIP &&
			 (__builtin_add_overflow(x.dev_offset, x.length, &e) || e > mem)) ||
			(x.dma == MMDMA_DMA_POOL && x.length > MMDMA_POOL_MAX) ||
			(x.dma == MMDMA_DMA_SINGLE &&
			 ((src.used && src.p.cls == FC_BUF && src.kind != MMDMA_MEM_CONTIG) ||
			  (dst.used && dst.p.cls == FC_BUF && dst.kind != MMDMA_MEM_CONTIG)));
		unsigned long long sides = side_errors(&src, false, x.dma) |
					   side_errors(&dst, true, x.dma);

		bool structural_bad = x.op < 1 || x.op > 3 || x.dma > MMDMA_DMA_STREAM ||
				      x.flags || x.reserved[0] || x.reserved[1] ||
				      x.reserved[2] || x.reserved[3] || !x.length;

		if (structural_bad)
			must = ERRBIT(EINVAL);
		else if (sides)
			/* Which side is looked at first is not the ABI's. */
			must = sides | (range_bad ? ERRBIT(EINVAL) : 0);
		else if (range_bad)
			must = ERRBIT(EINVAL);
		/*
		 * Once the fields are sound, edu imports a dma-buf before it
		 * looks at methods and ranges: memory it cannot reach may be
		 * refused first (ERANGE, the exporter's attach).
		 */
		/*
		 * The node's own mode comes right after the struct's fields,
		 * as read(2)/write(2) check it first: a read-only node fd
		 * cannot write device memory (TO_DEV, ROUNDTRIP).
		 */
		if (!structural_bad && dev == soft_ro && x.op != MMDMA_XFER_FROM_DEV)
			must = ERRBIT(EBADF);
		else if (must && on_edu && !(must == ERRBIT(EINVAL) && structural_bad) &&
		    ((src.used && src.p.cls == FC_DMABUF) || (dst.used && dst.p.cls == FC_DMABUF)))
			must |= ERRBIT(ERANGE);
		if (!must && !on_edu && maps_attached_again(&x, &src, &dst, false))
			must = ERRBIT(EBUSY);
	}
	calls++;
	ret = mmdma_xfer(dev, &x);
	if (on_edu && ret == -ENODEV) {
		reopen_edu();	/* unbound under us: allowed */
		return;
	}
	if (must) {
		expected_failures++;
		if (ret >= 0 || !(must & ERRBIT(-ret)))
			PROBLEM("xfer op %u dma %u len %llu src %s at %llu dst %s at %llu dev %llu on %s: got %s, expected %s%s",
				x.op, x.dma, (unsigned long long)x.length, src.p.what,
				(unsigned long long)x.src_offset, dst.p.what,
				(unsigned long long)x.dst_offset,
				(unsigned long long)x.dev_offset, on_edu ? "edu" : "soft",
				ret ? strerror(-ret) : "success",
				must & ERRBIT(EBADF) ? "EBADF" :
				must & ERRBIT(EBUSY) ? "EBUSY" : strerror(EINVAL),
				(must & ERRBIT(EBADF)) && (must & ERRBIT(EINVAL)) ? " or EINVAL" : "");
		return;
	}
	if (ret) {
		/* edu: time-outs, signals; and memory an importer cannot reach. */
		if (!(on_edu && (ret == -ETIMEDOUT || ret == -EINTR ||
				 (ret == -ERANGE && (src.p.cls == FC_DMABUF ||
						     dst.p.cls == FC_DMABUF)))) &&
		    !(ret == -EBUSY && maps_attached_again(&x, &src, &dst, true)) &&
		    ret != -ENOMEM)
			PROBLEM("xfer op %u dma %u len %llu (src %s, dst %s) on %s: %s", x.op,
				x.dma, (unsigned long long)x.length, src.p.what, dst.p.what,
				on_edu ? "edu" : "soft", strerror(-ret));
		return;
	}
	/* What only privileged callers get to see (docs/abi.md, the XFER fields). */
	if (caps_dropped)
		EXPECT_EQ(x.phys_addr, 0);
	if (MODEL_ACCESS_RULES && caps_dropped) {
		EXPECT_EQ(x.bus_addr, 0);
		EXPECT_EQ(x.ops, 0);
		EXPECT_EQ(x.bounced, 0);
	} else {
		EXPECT(x.ops >= 1);	/* a transfer takes at least one */
	}
	/* The first host byte is the source's, FROM_DEV's the destination's. */
	if ((x.op == MMDMA_XFER_FROM_DEV ? dst : src).p.cls == FC_DMABUF)
		EXPECT_EQ(x.phys_addr, 0);
	if (x.op == MMDMA_XFER_TO_DEV)
		return;	/* device memory is not modelled */
	check_and_restore(&dst, x.dst_offset, x.length,
			  x.op == MMDMA_XFER_ROUNDTRIP ? &src : NULL, x.src_offset);
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

/*
 * Direct I/O from a mapping of a buffer: the pinned pages are the buffer's,
 * found through the mapping.  While the buffer is attached to the software
 * engine, a transfer that would map them for it again is EBUSY (more than
 * MMDMA_POOL_MAX bytes; smaller ones are copied through the pool and go).
 * A remap_pfn_range() mapping has no pages to pin (EFAULT).  Transfers here
 * are synchronous, so the other half of the rule (bytes in flight for the
 * device) never applies: test_attach.c covers it on edu.
 */
static void step_dio_map(void)
{
	int bi = pick_buf();
	struct fbuf *b;
	size_t at, len;
	uint8_t *p, *back;
	ssize_t n;

	if (bi < 0 || soft < 0)
		return;
	/* Mostly an attached buffer, where the rule bites. */
	for (int i = 0; chance(70) && i < MAX_BUFS; i++)
		if (bufs[i].fd > 0 && bufs[i].attached) {
			bi = i;
			break;
		}
	b = &bufs[bi];
	p = mmap(NULL, b->size, PROT_READ, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED) {
		PROBLEM("mmap of a %llu-byte %s buffer: %s", (unsigned long long)b->size,
			mmdma_method_name(b->method), strerror(errno));
		return;
	}
	at = chance(50) ? 0 : rnd(b->size);
	len = 1 + (chance(30) ? rnd(MMDMA_POOL_MAX) : rnd(b->size - at));
	if (len > soft_mem)
		len = soft_mem;
	calls++;
	dio_maps++;
	n = pwrite(soft, p + at, len, 0);
	if (n < 0 && errno == EBUSY)
		dio_maps_busy++;
	if (b->method == MMDMA_MAP_REMAP) {
		expected_failures++;
		if (n != -1 || errno != EFAULT)
			PROBLEM("pwrite from a remap_pfn_range mapping: %zd (%s), expected EFAULT",
				n, n < 0 ? strerror(errno) : "bytes");
	} else if (b->edu_attached && len > MMDMA_POOL_MAX && n < 0 && errno == EBUSY) {
		/* Attached to edu (the model does not follow its direction). */
	} else if (b->attached && len > MMDMA_POOL_MAX) {
		expected_failures++;
		if (n != -1 || errno != EBUSY)
			PROBLEM("pwrite of %zu bytes from a mapping of a buffer attached to soft: %zd (%s), expected EBUSY",
				len, n, n < 0 ? strerror(errno) : "bytes");
	} else if (n != (ssize_t)len) {
		PROBLEM("pwrite of %zu bytes from a mapping of a %s buffer (%s): %zd (%s)", len,
			mmdma_method_name(b->method), b->attached ? "attached" : "unattached",
			n, n < 0 ? strerror(errno) : "short");
	} else {
		back = malloc(len);
		ASSERT(back);
		if (pread(soft, back, len, 0) == (ssize_t)len)
			t_expect_pattern(back, at, len, b->seed);
		else
			PROBLEM("pread %zu after a pwrite from a mapping: %s", len, strerror(errno));
		free(back);
	}
	munmap(p, b->size);
}

/* ---- dma-bufs, attachments, coherent memory of a device ------------------------ */

static void close_dbuf(int d)
{
	close(dbufs[d].fd);
	dbufs[d].fd = 0;
}

/* Export a buffer, read-write or read-only; bad flags must be EINVAL. */
static void step_export(void)
{
	int b = pick_buf(), d, ret;
	uint32_t flags = chance(60) ? O_RDWR : O_RDONLY;
	bool bad = false;
	void *p;

	if (b < 0)
		return;
	if (chance(50))
		flags |= O_CLOEXEC;
	if (chance(5)) {
		flags = chance(50) ? O_WRONLY : flags | O_NONBLOCK;
		bad = true;
	}
	for (d = 0; d < MAX_DBUFS && dbufs[d].fd > 0; d++)
		;
	if (d == MAX_DBUFS)
		close_dbuf(d = rnd(MAX_DBUFS));
	calls++;
	ret = mmdma_buf_export(bufs[b].fd, flags);
	if (bad) {
		expected_failures++;
		if (ret != -EINVAL)
			PROBLEM("export with fd_flags %#x: %s, expected EINVAL", flags,
				ret < 0 ? strerror(-ret) : "success");
		if (ret >= 0)
			close(ret);
		return;
	}
	if (ret == -ENOMEM)
		return;
	if (ret < 0) {
		PROBLEM("export of a %s/%s buffer, fd_flags %#x: %s",
			mmdma_kind_name(bufs[b].kind), mmdma_method_name(bufs[b].method),
			flags, strerror(-ret));
		return;
	}
	dbufs[d] = (struct fdbuf){
		.fd = ret, .writable = (flags & O_ACCMODE) == O_RDWR,
		.size = bufs[b].size, .seed = bufs[b].seed, .serial = bufs[b].serial,
	};
	if (!dbufs[d].writable) {
		/* A read-only dma-buf refuses a writable shared mapping. */
		calls++;
		expected_failures++;
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ret, 0);
		if (p != MAP_FAILED) {
			PROBLEM("writable mapping of a read-only dma-buf succeeded");
			munmap(p, PAGE);
		} else if (errno != EACCES) {
			PROBLEM("writable mapping of a read-only dma-buf: %s, expected EACCES",
				strerror(errno));
		}
	}
}

/* Which of @got is in @must, else a problem naming @what. */
static void expect_one_of(unsigned long long must, int got, const char *what, const char *dev)
{
	expected_failures++;
	if (got >= 0 || !(must & ERRBIT(-got)))
		PROBLEM("%s with %s: %s, expected %s%s", what, dev,
			got < 0 ? strerror(-got) : "success",
			must & ERRBIT(EBADF) ? "EBADF" : must & ERRBIT(EINVAL) ? "EINVAL" :
			must & ERRBIT(EPERM) ? "EPERM" : must & ERRBIT(EBUSY) ? "EBUSY" : "ENOENT",
			__builtin_popcountll(must) > 1 ? " (or another of the errors that apply)" : "");
}

/* What a dev_fd field's file must give by itself: EBADF, EINVAL or nothing. */
static unsigned long long dev_fd_errors(const struct fpick *dv)
{
	return dv->cls == FC_BADF ? ERRBIT(EBADF) : dv->cls == FC_DEV ? 0 : ERRBIT(EINVAL);
}

/*
 * MMDMA_BUF_ATTACH, DETACH, SYNC and DMA_ADDRS with any file as dev_fd.
 * Attachments to the software engine are modelled (either of its fds names
 * the one device); edu's may be refused (ERANGE) or lost to an unbind, so
 * only its fd checks are exact.  Not in a forked child: attachments belong
 * to the file, which the parent shares.
 */
static void step_attach(void)
{
	int b = pick_buf(), ret;
	bool on_soft = edu < 0 || chance(75);
	struct fpick dv;
	unsigned long long must;
	struct fbuf *fb;
	uint32_t dir = 1 + rnd(3);
	bool dir_bad = false;

	if (b < 0 || in_child)
		return;
	fb = &bufs[b];
	dv = pick_dev(on_soft);
	on_soft = dv.cls == FC_DEV && dv.soft;
	must = dev_fd_errors(&dv);
	if (chance(5)) {
		dir = chance(50) ? 0 : 4 + rnd(100);
		dir_bad = true;
	}
	calls++;
	switch (rnd(4)) {
	case 0:
		ret = mmdma_buf_attach(fb->fd, dv.fd, dir);
		if (dir_bad)
			must |= ERRBIT(EINVAL);
		else if (!must && on_soft && fb->attached)
			must = ERRBIT(EBUSY);
		if (must) {
			expect_one_of(must, ret, "attach", dv.what);
		} else if (on_soft && ret == -EBUSY && fb->edu_attached) {
			/* Attached to edu too, not both only to the device. */
		} else if (on_soft) {
			/* The segment count is told to CAP_SYS_RAWIO only. */
			if (ret < 0 || (caps_dropped ? ret != 0 : ret < 1))
				PROBLEM("attach dir %u to %s: %s", dir, dv.what,
					ret < 0 ? strerror(-ret) :
					ret ? "segments told without CAP_SYS_RAWIO" : "no segments");
			fb->attached = true;
			fb->attach_dir = dir;
		} else if (ret >= 0) {
			fb->edu_attached = true;
		} else if (ret != -EBUSY && ret != -ERANGE && ret != -ENODEV &&
			   ret != -ENOMEM) {
			PROBLEM("attach dir %u to edu: %s", dir, strerror(-ret));
		}
		break;
	case 1:
		ret = mmdma_buf_detach(fb->fd, dv.fd);
		if (!must && on_soft && !fb->attached)
			must = ERRBIT(ENOENT);
		if (must) {
			expect_one_of(must, ret, "detach", dv.what);
		} else if (on_soft) {
			if (ret)
				PROBLEM("detach from %s: %s", dv.what, strerror(-ret));
			fb->attached = false;
		} else if (ret && ret != -ENOENT && ret != -ENODEV) {
			PROBLEM("detach from edu: %s", strerror(-ret));
		} else if (!ret) {
			fb->edu_attached = false;
		}
		break;
	case 2: {
		uint64_t off = rnd(fb->size), len = 1 + rnd(fb->size - off);
		uint32_t flags = chance(50) ? MMDMA_SYNC_FOR_CPU : MMDMA_SYNC_FOR_DEVICE;

		if (chance(5))
			len = chance(50) ? 0 : fb->size + 1;
		ret = mmdma_buf_sync(fb->fd, dv.fd, off, len, dir, flags);
		if (dir_bad || !len || off + len > fb->size)
			must |= ERRBIT(EINVAL);
		else if (!must && on_soft && !fb->attached)
			must = ERRBIT(ENOENT);
		else if (!must && on_soft && fb->attach_dir != MMDMA_DIR_BIDIRECTIONAL &&
			 dir != fb->attach_dir)
			must = ERRBIT(EINVAL);
		if (must)
			expect_one_of(must, ret, "sync", dv.what);
		else if (on_soft && ret)
			PROBLEM("sync dir %u of a dir %u attachment to %s: %s", dir,
				fb->attach_dir, dv.what, strerror(-ret));
		else if (!on_soft && ret && ret != -ENOENT && ret != -ENODEV && ret != -EINVAL)
			PROBLEM("sync on edu: %s", strerror(-ret));
		break;
	}
	default: {
		struct mmdma_dma_seg segs[4];
		uint32_t nr = 0;

		ret = mmdma_buf_dma_addrs(fb->fd, dv.fd, 0, 1 + rnd(4), segs, &nr);
		/* Bus addresses are CAP_SYS_RAWIO's (docs/abi.md), whatever the fd. */
		if (caps_dropped)
			must |= ERRBIT(EPERM);
		else if (!must && on_soft && !fb->attached)
			must = ERRBIT(ENOENT);
		if (must)
			expect_one_of(must, ret, "dma_addrs", dv.what);
		/* Success is the number of segments stored: 1 or more. */
		else if (on_soft && (ret < 1 || !nr))
			PROBLEM("dma_addrs of an attachment to %s: %s, %u segments", dv.what,
				ret < 0 ? strerror(-ret) : "none stored", nr);
		else if (!on_soft && ret < 0 && ret != -ENOENT && ret != -ENODEV)
			PROBLEM("dma_addrs on edu: %s", strerror(-ret));
		break;
	}
	}
}

/* Coherent memory of the device in .device, whatever file that is. */
static void step_alloc_device(void)
{
	struct fpick dv = pick_dev(edu < 0 || chance(60));
	struct mmdma_alloc a = {
		.size = (1 + rnd(4)) * PAGE, .kind = MMDMA_MEM_COHERENT,
		.method = MMDMA_MAP_REMAP, .flags = MMDMA_ALLOC_DEVICE | MMDMA_ALLOC_CLOEXEC,
		.device = (uint32_t)dv.fd,
	};
	unsigned long long must = dev_fd_errors(&dv);
	uint8_t byte;
	int ret;

	calls++;
	ret = ioctl(ctl, MMDMA_IOC_ALLOC, &a) ? -errno : 0;
	if (must) {
		expect_one_of(must, ret, "coherent alloc", dv.what);
		if (!ret)
			close(a.fd);
		return;
	}
	if (ret) {
		if (ret != -ENOMEM && !(!dv.soft && ret == -ENODEV))
			PROBLEM("coherent alloc of %llu bytes on %s: %s",
				(unsigned long long)a.size, dv.what, strerror(-ret));
		return;
	}
	ASSERT_OK(mmdma_buf_fill(a.fd, 0, a.size, 5));
	ASSERT_EQ(pread(a.fd, &byte, 1, a.size - 1), 1);
	EXPECT_EQ(byte, mmdma_pattern_byte(5, a.size - 1));
	close(a.fd);
}

/* CAP_SYS_RAWIO and CAP_SYS_ADMIN go, for the rest of this process. */
static void drop_caps(void)
{
	t_drop_cap(CAP_SYS_RAWIO);
	t_drop_cap(CAP_SYS_ADMIN);
	caps_dropped = true;
	if (!in_child)
		ktap_diag("step %lu: CAP_SYS_RAWIO and CAP_SYS_ADMIN dropped", steps);
}

/* The commands each kind of file serves (kernel: mmdma_main.c, _buf.c, _dev.c). */
static const unsigned int ctl_cmds[] = { MMDMA_IOC_INFO, MMDMA_IOC_ALLOC, MMDMA_IOC_EXPLAIN };
static const unsigned int buf_cmds[] = {
	MMDMA_BUF_INFO, MMDMA_BUF_FILL, MMDMA_BUF_PHYS, MMDMA_BUF_ATTACH,
	MMDMA_BUF_DETACH, MMDMA_BUF_DMA_ADDRS, MMDMA_BUF_SYNC, MMDMA_BUF_EXPORT,
};
/* MMDMA_DEV_IRQ_EVENTFD is served on every node (EOPNOTSUPP without events). */
static const unsigned int dev_cmds[] = { MMDMA_DEV_INFO, MMDMA_DEV_XFER, MMDMA_DEV_IRQ_EVENTFD };

/* @cmd is one of @table by type, number and direction (not size: growth). */
static bool serves(const unsigned int *table, size_t n, unsigned int cmd)
{
	for (size_t i = 0; i < n; i++)
		if (_IOC_TYPE(table[i]) == _IOC_TYPE(cmd) && _IOC_NR(table[i]) == _IOC_NR(cmd) &&
		    _IOC_DIR(table[i]) == _IOC_DIR(cmd))
			return true;
	return false;
}

/* A new fd the kernel returned in a struct: close it unless it is one of ours. */
static void close_if_new(int fd)
{
	bool ours = fd == ctl || fd == soft || fd == edu || fd == soft_ro || fd <= 2 ||
		    fd == zoo_null || fd == zoo_opath || fd == zoo_pipe[0] || fd == zoo_pipe[1];

	for (int i = 0; i < MAX_BUFS; i++)
		ours |= bufs[i].fd == fd;
	for (int i = 0; i < MAX_DBUFS; i++)
		ours |= dbufs[i].fd == fd;
	if (!ours)
		close(fd);
}

/*
 * Any ioctl number of our magic (and some others), random bytes, any of
 * our files.  A number of our magic that the file does not serve is ENOTTY
 * (docs/abi.md), whatever the file: the control node, a buffer, a device
 * node or a dma-buf.
 */
static void step_ioctl(void)
{
	static const unsigned int *const tables[] = { ctl_cmds, buf_cmds, dev_cmds };
	static const size_t sizes[] = { 3, 8, 3 };
	uint64_t arg[40];
	unsigned int cmd;
	int b = pick_buf(), d = pick_dbuf(), fd, ret, which = rnd(6);
	const unsigned int *table = NULL;
	size_t n = 0;
	const char *what;

	switch (which) {
	case 0: fd = ctl; table = ctl_cmds; n = 3; what = "the control node"; break;
	case 1: fd = soft; table = dev_cmds; n = 3; what = "the soft node"; break;
	case 2: fd = soft_ro; table = dev_cmds; n = 3; what = "the read-only soft node"; break;
	case 3: fd = edu; table = dev_cmds; n = 3; what = "the edu node"; break;
	case 4: fd = b >= 0 ? bufs[b].fd : -1; table = buf_cmds; n = 8; what = "a buffer"; break;
	default: fd = d >= 0 ? dbufs[d].fd : -1; what = "a dma-buf"; break;
	}
	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(arg) / sizeof(arg[0]); i++)
		arg[i] = chance(70) ? 0 : rnd64() >> rnd(64);
	if (chance(60)) {
		size_t t = rnd(3);

		cmd = tables[t][rnd(sizes[t])];
	} else {
		cmd = _IOC(rnd(4), chance(80) ? MMDMA_IOC_MAGIC : rnd(256), rnd(256),
			   rnd(sizeof(arg) + 1));
	}
	if (table && serves(table, n, cmd)) {
		/*
		 * Served, with random bytes: a transfer or a fill would change
		 * buffers behind the model, PHYS and DMA_ADDRS store to a
		 * random address of this very process, and attach and detach
		 * change the attachments the model keeps.
		 */
		switch (_IOC_NR(cmd)) {
		case _IOC_NR(MMDMA_DEV_XFER):
		case _IOC_NR(MMDMA_BUF_FILL):
		case _IOC_NR(MMDMA_BUF_PHYS):
		case _IOC_NR(MMDMA_BUF_DMA_ADDRS):
		case _IOC_NR(MMDMA_BUF_ATTACH):
		case _IOC_NR(MMDMA_BUF_DETACH):
			return;
		}
	}
	calls++;
	ret = ioctl(fd, cmd, arg) ? -errno : 0;
	if (!ret && table == ctl_cmds && cmd == MMDMA_IOC_ALLOC) {
		struct mmdma_alloc a;

		/* A new buffer fd, unless the struct was not copied back. */
		memcpy(&a, arg, sizeof(a));
		close_if_new(a.fd);
	}
	if (!ret && table == buf_cmds && _IOC_NR(cmd) == _IOC_NR(MMDMA_BUF_EXPORT)) {
		struct mmdma_buf_export e;

		/* A dma-buf holds its buffer: let it go, as the model did. */
		memcpy(&e, arg, sizeof(e));
		close_if_new(e.fd);
	}
	if (_IOC_TYPE(cmd) == MMDMA_IOC_MAGIC && !(table && serves(table, n, cmd))) {
		expected_failures++;
		if (ret != -ENOTTY)
			PROBLEM("ioctl %#x (not served by %s): %s, expected ENOTTY", cmd, what,
				ret ? strerror(-ret) : "success");
	}
}

/* The PCI address of the edu device bound to the driver, or "". */
static void edu_addr(char *addr, size_t n)
{
	struct dirent *e;
	DIR *d = opendir(EDU_DRV);

	addr[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strchr(e->d_name, ':'))
			snprintf(addr, n, "%.60s", e->d_name);
	closedir(d);
}

static void rebind(const char *addr)
{
	int fd = open(EDU_DRV "/bind", O_WRONLY | O_CLOEXEC);

	ASSERT_OK(fd);
	if (write(fd, addr, strlen(addr)) != (ssize_t)strlen(addr))
		PROBLEM("rebind %s: %s", addr, strerror(errno));
	close(fd);
	reopen_edu();
	if (edu < 0)
		PROBLEM("no %s after rebinding %s: %s", EDU, addr, strerror(-edu));
}

static void step_unbind(void)
{
	char addr[64];

	if (!unbind_allowed || in_child)
		return;
	edu_addr(addr, sizeof(addr));
	if (!addr[0]) {
		PROBLEM("no edu device bound to %s to unbind", EDU_DRV);
		return;
	}
	t_write_str(EDU_DRV "/unbind", addr);
	unbinds++;
	/* The open fd now says ENODEV to everything. */
	if (edu >= 0) {
		struct mmdma_dev_info info;

		EXPECT_ERR(mmdma_dev_info(edu, &info), ENODEV);
	}
	rebind(addr);
}

struct stalled_read {
	int dev;
	uint8_t *p;
	ssize_t ret;
	int err;
};

static void *stalled_read_thread(void *arg)
{
	struct stalled_read *s = arg;

	s->ret = pread(s->dev, s->p, 100, 0);
	s->err = errno;
	return NULL;
}

/*
 * Unbind edu while a direct read from it is stuck pinning its destination:
 * the page is a userfaultfd page nobody has supplied yet.  The unbind runs
 * in a child, so a driver that waits for the read cannot hang the fuzzer;
 * the page is supplied after a grace period either way.  The unbind must
 * not wait for a page nobody supplies (docs/security.md, "Teardown"); the read
 * then says ENODEV, and no pin is left (the end of the run counts them).
 */
static void step_unbind_stalled(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .mode = 0 };
	struct stalled_read s = { .dev = edu };
	struct uffd_msg msg;
	struct pollfd pfd;
	struct t_deadline d;
	char addr[64];
	bool waited;
	pthread_t t;
	pid_t pid;
	int uffd, status;

	if (!unbind_allowed || in_child || edu < 0 || !uffd_ok)
		return;
	edu_addr(addr, sizeof(addr));
	if (!addr[0]) {
		PROBLEM("no edu device bound to %s to unbind", EDU_DRV);
		return;
	}
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		uffd_ok = false;
		ktap_diag("userfaultfd: %s: no unbind while a pin is stalled", strerror(errno));
		return;
	}
	ASSERT_OK(ioctl(uffd, UFFDIO_API, &api));
	s.p = t_map(-1, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	reg.range = (struct uffdio_range){ (uintptr_t)s.p, PAGE };
	ASSERT_OK(ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_OK(-pthread_create(&t, NULL, stalled_read_thread, &s));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	/* The read's pin faults on the page: the fault is the signal to go. */
	if (poll(&pfd, 1, T_POLL_MS) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		PROBLEM("the direct read never faulted on its userfaultfd destination");
	fflush(stdout);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		t_write_str(EDU_DRV "/unbind", addr);
		_exit(0);
	}
	/* The unbind must finish while the page is still missing. */
	d = t_deadline_ms(10000);
	while (!(waited = waitpid(pid, &status, WNOHANG) == pid) && t_deadline_sleep(&d))
		;
	zp.range = (struct uffdio_range){ (uintptr_t)s.p, PAGE };
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp) && errno != EEXIST)
		PROBLEM("UFFDIO_ZEROPAGE: %s", strerror(errno));
	ASSERT_OK(-pthread_join(t, NULL));
	if (!waited)
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unbinds++;
	if (!stalled_unbinds++)
		ktap_diag("unbind with a pin stalled: it %s the read, which returned %zd (%s)",
			  waited ? "did not wait for" : "waited for", s.ret,
			  s.ret < 0 ? strerror(s.err) : "bytes");
	if (!waited)
		PROBLEM("the unbind waited for a read stalled on its own page");
	if (!(s.ret < 0 && s.err == ENODEV))
		PROBLEM("direct read during the unbind: %zd (%s), expected ENODEV",
			s.ret, s.ret < 0 ? strerror(s.err) : "bytes");
	munmap(s.p, PAGE);
	close(uffd);
	rebind(addr);
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
		in_child = true;
		/* Some children run without the capabilities from the start. */
		if (!caps_dropped && chance(30))
			drop_caps();
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
		if (!caps_dropped && !in_child && steps >= drop_caps_step)
			drop_caps();
		switch (rnd(may_fork ? 18 : 17)) {
		case 0: case 1: step_alloc(); break;
		case 2: step_close_buf(); break;
		case 3: step_buf_rw(); break;
		case 4: step_mmap(); break;
		case 5: step_touch(); break;
		case 6: step_unmap(); break;
		case 7: step_mremap_mprotect(); break;
		case 8: case 9: step_xfer(); break;
		case 10:
			if (chance(50))
				step_dio_map();
			else
				step_dio();
			break;
		case 11: step_ioctl(); break;
		case 12:
			if (!chance(25))
				step_touch();
			else if (chance(80))
				step_unbind();
			else
				step_unbind_stalled();
			break;
		case 13: step_export(); break;
		case 14: case 15: step_attach(); break;
		case 16: step_alloc_device(); break;
		default: step_fork(); break;
		}
	}
}

/* The random sequence, then everything closed and nothing left over. */
static void random_sequence(void)
{
	struct mmdma_dev_info info;
	struct mmdma_info minfo;
	long long pins = t_pins_held();
	int kmsg = kmsg_open();
	const char *s;
	double secs = (s = getenv("MMDMA_FUZZ_SECS")) && atof(s) > 0 ? atof(s) : 20;
	bool had_edu;

	if ((s = getenv("MMDMA_FUZZ_STEPS")))
		max_steps = strtoull(s, NULL, 0);
	ktap_diag("seed %llu (replay: MMDMA_SEED=%llu)", seed, seed);
	rng_state = seed ? seed : 1;
	ctl = t_ctl();
	soft = t_dev_or_skip(SOFT);
	ASSERT_OK(mmdma_dev_info(soft, &info));
	soft_mem = info.mem_size;
	zoo_open();
	reopen_edu();
	had_edu = edu >= 0;
	if (!had_edu) {
		if (t_promised("edu"))
			ktap_fail(true, __FILE__, __LINE__, "no %s, but the profile promises edu", EDU);
		ktap_diag("no %s: transfers on the software engine only", EDU);
	}
	deadline = now() + secs;
	/*
	 * Part-way through, at a step the seed decides (runs take 100-500
	 * steps: docs/testing.md); by step, not time, so a replay drops them
	 * at the same point.
	 */
	drop_caps_step = 30 + rnd(200);
	run_steps(max_steps, true);
	/*
	 * However the dice fell, a run allowed to unbind has unbound edu, once
	 * with a pin stalled (where userfaultfd works): the counts are checked.
	 */
	if (unbind_allowed && had_edu && !unbinds)
		step_unbind();
	if (unbind_allowed && had_edu && !stalled_unbinds)
		step_unbind_stalled();
	ktap_diag("%lu steps, %lu checked calls, %lu of them had to fail; %lu forks, edu unbound %lu times (%lu with a pin stalled); %lu direct I/O from buffer mappings, %lu EBUSY%s",
		  steps, calls, expected_failures, forks, unbinds, stalled_unbinds,
		  dio_maps, dio_maps_busy,
		  unbind_allowed ? "" : " (not asked to: MMDMA_FUZZ_UNBIND=1 or --unbind, as root)");
	if (unbind_allowed && had_edu) {
		EXPECT(unbinds >= 1);
		EXPECT(stalled_unbinds >= 1 || !uffd_ok);
	}

	for (int m = 0; m < MAX_MAPS; m++)
		if (maps[m].p)
			munmap(maps[m].p, maps[m].len);
	for (int d = 0; d < MAX_DBUFS; d++)
		if (dbufs[d].fd > 0)
			close_dbuf(d);
	for (int b = 0; b < MAX_BUFS; b++)
		if (bufs[b].fd > 0)
			close(bufs[b].fd);
	ASSERT_OK(mmdma_info(ctl, &minfo));
	EXPECT_EQ(minfo.nr_buffers, 0);
	{
		struct t_deadline d = t_deadline_ms(T_POLL_MS);

		/* Asynchronous requests unpin from a work item, shortly after. */
		while (t_pins_held() != pins && t_deadline_sleep(&d))
			;
	}
	EXPECT_EQ(t_pins_held(), pins);
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
