// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every allocation and mapping the driver makes can fail,
 * and each failure comes back as a clean errno with nothing left behind (no
 * buffer, no pinned page, no DMA mapping, no kernel report).
 *
 * Two tools, both only in kernels built with fault injection (the debug
 * kernel; every case SKIPs elsewhere, saying why):
 *  - fail_function on the driver's own functions marked
 *    ALLOW_ERROR_INJECTION(): the Nth call fails (space = N, times = 1)
 *    for N = 1, 2, ... until a run in which it was not called N times, and
 *    that run must succeed; every injected run must fail with exactly the
 *    injected errno.
 *  - /proc/thread-self/fail-nth with failslab and fail_page_alloc: the Nth
 *    slab or page allocation of one system call fails, N = 1, 2, ... until
 *    the call makes fewer than N.  Every allocation on the path is hit,
 *    the kernel's own (struct file, VMAs, page tables) included.
 * After each failed attempt: the caller's fds are closed and MMDMA_IOC_INFO
 * must count no more live buffers than before, /proc/vmstat's FOLL_PIN
 * counters balance, DMA-API debug counts no error and the kernel log holds
 * no warning; at the end of the run the guest scans for leaks (kmemleak).
 */
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

#define DBG		"/sys/kernel/debug"
#define FF		DBG "/fail_function"
#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define MAX_NTH		3000

/* ---- fault injection controls ------------------------------------------ */

static void set(const char *dir, const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	t_write_str(path, value);
}

static void need_fail_function(void)
{
	if (access(FF "/inject", W_OK))
		ktap_skip("no %s/inject (kernel without FAIL_FUNCTION or debugfs): %s",
			  FF, strerror(errno));
}

static void need_fail_nth(void)
{
	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access(DBG "/failslab", F_OK) || access(DBG "/fail_page_alloc", F_OK))
		ktap_skip("no fail-nth, failslab or fail_page_alloc (kernel without FAULT_INJECTION)");
}

/*
 * fail_function: the function's Nth call in this process returns -@err.
 * verbose 0: a forced failure must not print a stack trace, which the
 * host's log check would take for a real report.  The task filter needs
 * the kprobe on ftrace's entry hook (the debug kernel has it): from an
 * int3 trap, NMI context to the kernel, the filter never matches.
 */
static void ff_arm(const char *fn, int err, unsigned int nth)
{
	char v[64], dir[128];

	set(FF, "inject", " ");
	set(FF, "inject", fn);
	snprintf(dir, sizeof(dir), FF "/%s", fn);
	snprintf(v, sizeof(v), "%#llx", (unsigned long long)-(long long)err);
	set(dir, "retval", v);
	set(FF, "verbose", "0");
	set(FF, "task-filter", "Y");
	set(FF, "probability", "100");
	set(FF, "interval", "1");
	/* Each call takes one unit of space; the call that finds none fails. */
	snprintf(v, sizeof(v), "%u", nth);
	set(FF, "space", v);
	set(FF, "times", "1");
	t_write_str("/proc/self/make-it-fail", "1");
}

/* Disarm; true when the failure was injected. */
static bool ff_disarm(void)
{
	bool fired = t_read_ull(FF "/times") == 0;

	t_write_str("/proc/self/make-it-fail", "0");
	set(FF, "times", "0");
	set(FF, "inject", " ");
	return fired;
}

/*
 * failslab and fail_page_alloc answer fail-nth only, and quietly.  The
 * faults profile boots with
 * slub_debug=A;-,radix_tree_node,kmeml*,Acpi-*,proc_dir_entry: every slab
 * cache but those is marked for failslab, and failslab's cache filter
 * keeps failures out of the others.  DMA-API debug tracks mappings in a
 * radix tree with atomic allocations: one failure there turns DMA-API
 * debug off for the rest of the boot ("cacheline tracking ENOMEM"), and
 * kmemleak's own objects would drain its emergency pool.  The last two
 * are kernel code that mishandles a failure (vm/profiles/faults.conf):
 * binding the device reaches both.
 */
static void fail_nth_setup(void)
{
	bool marked = !access("/sys/kernel/slab/kmalloc-64/failslab", R_OK) &&
		      t_read_ull("/sys/kernel/slab/kmalloc-64/failslab") == 1 &&
		      t_read_ull("/sys/kernel/slab/radix_tree_node/failslab") == 0;
	static bool said;

	if (!marked && !said)
		ktap_diag("slab caches not marked for failslab (no slub_debug=A;-,radix_tree_node,kmeml*,Acpi-*,proc_dir_entry): every cache can fail, DMA-API debug's own included");
	said = true;
	set(DBG "/failslab", "cache-filter", marked ? "Y" : "N");
	set(DBG "/failslab", "probability", "0");
	set(DBG "/failslab", "verbose", "0");
	set(DBG "/failslab", "ignore-gfp-wait", "N");
	set(DBG "/fail_page_alloc", "probability", "0");
	set(DBG "/fail_page_alloc", "verbose", "0");
	set(DBG "/fail_page_alloc", "ignore-gfp-wait", "N");
	set(DBG "/fail_page_alloc", "min-order", "0");
	/*
	 * User pages (highmem-capable) keep coming: a failed fault there is
	 * VM_FAULT_OOM, retried by the fault handler, not a driver path.
	 */
	set(DBG "/fail_page_alloc", "ignore-gfp-highmem", "Y");
	/* No function injection may take fail-nth's count. */
	if (!access(FF "/inject", W_OK))
		set(FF, "inject", " ");
}

static int nth_fd = -1;

static void nth_arm(unsigned int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	if (nth_fd < 0)
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_OK(nth_fd);
	ASSERT_EQ(pwrite(nth_fd, v, len, 0), len);
}

/* Disarm; true when the Nth allocation was reached (and failed). */
static bool nth_disarm(void)
{
	char v[16] = "";
	ssize_t n = pread(nth_fd, v, sizeof(v) - 1, 0);
	bool fired = n > 0 && atoi(v) == 0;

	ASSERT_EQ(pwrite(nth_fd, "0", 1, 0), 1);
	return fired;
}

/* ---- what "clean" means -------------------------------------------------- */

struct clean {
	int ctl;
	unsigned int nr_buffers;
	long long pins;
	long long dma_errors;
	int kmsg;
};

/* Fails the case when the counters are missing (tests/util.c). */
#define pins_held t_pins_held

static long long dma_api_errors(void)
{
	if (access(DBG "/dma-api/error_count", R_OK))
		return 0;
	return (long long)t_read_ull(DBG "/dma-api/error_count");
}

static unsigned int live_buffers(int ctl)
{
	struct mmdma_info info;

	ASSERT_OK(mmdma_info(ctl, &info));
	return info.nr_buffers;
}

static struct clean clean_start(void)
{
	struct clean c = { .ctl = t_ctl() };

	c.nr_buffers = live_buffers(c.ctl);
	c.pins = pins_held();
	c.dma_errors = dma_api_errors();
	c.kmsg = kmsg_open();
	return c;
}

/* @extra: buffers the case itself still holds. */
static void expect_clean(struct clean *c, unsigned int extra, const char *what,
			 unsigned int nth)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);
	long long pins = pins_held();

	/* Asynchronous requests unpin from a work item, shortly after. */
	while (pins != c->pins && t_deadline_sleep(&d))
		pins = pins_held();
	if (live_buffers(c->ctl) != c->nr_buffers + extra)
		ktap_fail(false, __FILE__, __LINE__, "%s, failure %u: %u live buffers, expected %u",
			  what, nth, live_buffers(c->ctl), c->nr_buffers + extra);
	if (pins != c->pins)
		ktap_fail(false, __FILE__, __LINE__, "%s, failure %u: %lld pages pinned, expected %lld",
			  what, nth, pins, c->pins);
	if (dma_api_errors() != c->dma_errors)
		ktap_fail(false, __FILE__, __LINE__, "%s, failure %u: DMA-API debug errors %lld -> %lld",
			  what, nth, c->dma_errors, dma_api_errors());
	if (kmsg_bad(c->kmsg))
		ktap_fail(false, __FILE__, __LINE__, "%s, failure %u: kernel log has reports",
			  what, nth);
}

/* ---- the operations under test --------------------------------------------
 * Each returns 0 or -errno and undoes its own work (closes, unmaps) either
 * way, checking data whenever it succeeded.  @o carries what was set up
 * before the fault window: only the call under test runs inside it.
 */
struct op {
	const char *what;
	int (*run)(struct op *o);
	void (*check)(struct op *o);	/* after a success, outside the window */
	void (*failed)(struct op *o);	/* after a failure, outside the window */
	/* set-up, outside the window */
	uint32_t kind, method, dma;
	uint64_t size;
	const char *dev;
	const char *drv, *node;	/* probe: the driver's sysfs dir, the node */
	int ctl, dev_fd, src, dst;
	size_t len, off;
	int mode;		/* dio: 0 pread, 1 pwrite, 2 libaio, 3 io_uring */
	uint8_t *user;
	io_context_t aio;
	struct io_uring ring;
	bool ring_ok;
};

static int op_alloc(struct op *o)
{
	int fd = mmdma_alloc(o->ctl, o->size, o->kind, o->method, 0);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

static int op_mmap(struct op *o)
{
	uint8_t *p = mmap(NULL, o->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  o->src, 0);

	if (p == MAP_FAILED)
		return -errno;
	/* The first faults are part of the path under test. */
	p[0] = 1;
	p[o->size - 1] = 2;
	EXPECT_EQ(p[0] + p[o->size - 1], 3);
	/* munmap() allocates too (maple tree nodes): the one failure may land there. */
	while (munmap(p, o->size))
		ASSERT_EQ(errno, ENOMEM);
	return 0;
}

static int op_open(struct op *o)
{
	int fd = o->dev ? mmdma_dev_open(o->dev) : mmdma_open();

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

static int op_xfer(struct op *o)
{
	struct mmdma_xfer x = {
		.op = MMDMA_XFER_ROUNDTRIP, .dma = o->dma, .src_fd = o->src,
		.dst_fd = o->dst, .src_offset = o->off, .dst_offset = o->off,
		.length = o->len,
	};

	return mmdma_xfer(o->dev_fd, &x);
}

/* After a successful round trip (outside the window): the data, then zero it. */
static void check_xfer(struct op *o)
{
	uint8_t *back = calloc(1, 3 * PAGE);

	ASSERT(back);
	ASSERT_EQ(pread(o->dst, back, o->len, o->off), (ssize_t)o->len);
	t_expect_pattern(back, o->off, o->len, 7);
	memset(back, 0, o->len);
	ASSERT_EQ(pwrite(o->dst, back, o->len, o->off), (ssize_t)o->len);
	free(back);
}

static int op_dio(struct op *o)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	ssize_t r;
	int ret;

	switch (o->mode) {
	case 0:
		r = pread(o->dev_fd, o->user, o->len, 0);
		break;
	case 1:
		r = pwrite(o->dev_fd, o->user, o->len, 0);
		break;
	case 2:
		io_prep_pread(&cb, o->dev_fd, o->user, o->len, 0);
		ret = io_submit(o->aio, 1, cbs);
		if (ret != 1)
			return ret < 0 ? ret : -EIO;
		ASSERT_EQ(io_getevents(o->aio, 1, 1, &ev, NULL), 1);
		r = (long)ev.res;
		break;
	default:
		sqe = io_uring_get_sqe(&o->ring);
		ASSERT(sqe);
		io_uring_prep_write(sqe, o->dev_fd, o->user, o->len, 0);
		ret = io_uring_submit(&o->ring);
		if (ret != 1)
			return ret < 0 ? ret : -EIO;
		ASSERT_EQ(io_uring_wait_cqe(&o->ring, &cqe), 0);
		r = cqe->res;
		io_uring_cqe_seen(&o->ring, cqe);
		break;
	}
	if (r < 0)
		return r == -1 ? -errno : (int)r;
	EXPECT_EQ(r, (ssize_t)o->len);
	return 0;
}

/* ---- the two loops ----------------------------------------------------------- */

static bool allowed(int ret, const int *errs)
{
	for (; *errs; errs++)
		if (ret == -*errs)
			return true;
	return false;
}

static const int enomem_only[] = { ENOMEM, 0 };
/*
 * libaio and io_uring answer a failed allocation of their own request
 * structures with EAGAIN, as documented for io_submit() and io_uring_enter().
 */
static const int enomem_eagain[] = { ENOMEM, EAGAIN, 0 };
/*
 * Requesting a BAR's region (request_mem_region()) answers a failed
 * allocation of its struct resource as a region in use: EBUSY.
 */
static const int enomem_ebusy[] = { ENOMEM, EBUSY, 0 };

/*
 * Fail the Nth call of @fn with -@err, N = 1, 2, ...; the operation must
 * fail with exactly that errno each time it was injected, and succeed in
 * the first run where it was not.  Returns the number of failures.
 */
static unsigned int ff_loop(struct op *o, const char *fn, int err)
{
	struct clean c = clean_start();
	unsigned int nth;

	for (nth = 1; nth <= MAX_NTH && !ktap_failed(); nth++) {
		int ret;
		bool fired;

		ff_arm(fn, err, nth);
		ret = o->run(o);
		fired = ff_disarm();
		if (!ret && o->check)
			o->check(o);
		if (!fired) {
			if (ret)
				ktap_fail(false, __FILE__, __LINE__, "%s: %s called %u times and not failed, yet: %s",
					  o->what, fn, nth - 1, strerror(-ret));
			break;
		}
		if (ret != -err)
			ktap_fail(false, __FILE__, __LINE__, "%s: call %u of %s failed with %s; the operation got %s",
				  o->what, nth, fn, strerror(err), ret ? strerror(-ret) : "success");
		expect_clean(&c, 0, o->what, nth);
	}
	if (nth > MAX_NTH)
		ktap_fail(false, __FILE__, __LINE__, "%s: still calling %s after %u calls", o->what, fn, MAX_NTH);
	expect_clean(&c, 0, o->what, nth);
	ktap_diag("%s: %s failed at %u call(s), then succeeded", o->what, fn, nth - 1);
	close(c.ctl);
	return nth - 1;
}

/*
 * Fail the Nth slab or page allocation of the operation's system call,
 * N = 1, 2, ...  An injected failure may be absorbed (a fallback path) or
 * end the call with an errno from @errs; anything else fails the case.
 */
static unsigned int nth_loop(struct op *o, const int *errs)
{
	struct clean c = clean_start();
	unsigned int nth, failed = 0;

	fail_nth_setup();
	for (nth = 1; nth <= MAX_NTH && !ktap_failed(); nth++) {
		int ret;
		bool fired;

		nth_arm(nth);
		ret = o->run(o);
		fired = nth_disarm();
		if (!ret && o->check)
			o->check(o);
		if (!fired) {
			if (ret)
				ktap_fail(false, __FILE__, __LINE__, "%s: fewer than %u allocations and none failed, yet: %s",
					  o->what, nth, strerror(-ret));
			break;
		}
		if (ret) {
			failed++;
			if (o->failed)
				o->failed(o);
			if (!allowed(ret, errs))
				ktap_fail(false, __FILE__, __LINE__, "%s: allocation %u failed; the operation got %s",
					  o->what, nth, strerror(-ret));
		}
		expect_clean(&c, 0, o->what, nth);
	}
	if (nth > MAX_NTH)
		ktap_fail(false, __FILE__, __LINE__, "%s: still allocating after %u", o->what, MAX_NTH);
	ktap_diag("%s: %u allocations, %u of whose failures failed the call",
		  o->what, nth - 1, failed);
	close(c.ctl);
	return nth - 1;
}

/* ---- set-ups ----------------------------------------------------------------- */

static const uint32_t kinds[] = { MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG, MMDMA_MEM_VMALLOC };
static const uint32_t dmas[] = {
	MMDMA_DMA_AUTO, MMDMA_DMA_SG, MMDMA_DMA_PAGE, MMDMA_DMA_SINGLE,
	MMDMA_DMA_COHERENT, MMDMA_DMA_POOL, MMDMA_DMA_STREAM,
};

/* Source and destination contiguous buffers (SINGLE needs them), filled. */
static void xfer_setup(struct op *o, const char *dev, uint32_t dma)
{
	o->run = op_xfer;
	o->check = check_xfer;
	o->dev_fd = t_dev_or_skip(dev);
	o->dma = dma;
	o->src = t_buf(3 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	o->dst = t_buf(3 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	/* Over a page boundary, except for the pool's small blocks. */
	o->len = dma == MMDMA_DMA_POOL || dma == MMDMA_DMA_AUTO ? 200 : 3001;
	o->off = PAGE - 1000;
	ASSERT_OK(mmdma_buf_fill(o->src, 0, 3 * PAGE, 7));
}

static void xfer_teardown(struct op *o)
{
	close(o->src);
	close(o->dst);
	close(o->dev_fd);
}

static void dio_setup(struct op *o, const char *dev, int mode)
{
	o->run = op_dio;
	o->dev_fd = t_dev_or_skip(dev);
	o->mode = mode;
	o->len = 3001;
	o->user = t_map(-1, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	o->user += PAGE - 500;
	/* Faulted in now: the window is for the driver's path. */
	memset(o->user, 0x5a, o->len);
	if (mode == 2)
		ASSERT_EQ(io_setup(4, &o->aio), 0);
	if (mode == 3) {
		ASSERT_EQ(io_uring_queue_init(4, &o->ring, 0), 0);
		o->ring_ok = true;
	}
}

static void dio_teardown(struct op *o)
{
	if (o->mode == 2)
		io_destroy(o->aio);
	if (o->ring_ok)
		io_uring_queue_exit(&o->ring);
	close(o->dev_fd);
}

static const char *const dio_names[] = { "pread", "pwrite", "libaio read", "io_uring write" };

#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define SOFT_DRV	"/sys/bus/platform/drivers/mmdma-soft"

/*
 * Bind the unbound device @o->dev to the driver at @o->drv through the
 * driver's bind file (@o->src, opened before the window): probe runs in
 * this task, so every allocation of the driver's probe and of the driver
 * core and bus code around it is in the window.
 */
static int op_bind(struct op *o)
{
	ssize_t n = pwrite(o->src, o->dev, strlen(o->dev), 0);

	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(o->dev) ? 0 : -EIO;
}

/* A probe that failed left nothing: no driver on the device, no node. */
static void check_unbound(struct op *o)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", o->drv, o->dev);
	EXPECT(access(path, F_OK) && errno == ENOENT);
	snprintf(path, sizeof(path), "/dev/%s", o->node);
	EXPECT(access(path, F_OK) && errno == ENOENT);
}

/* The node of a device just bound, once probing is done. */
static int node_after_bind(const char *node)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);
	int fd = -1;

	while ((fd = mmdma_dev_open(node)) < 0 && t_deadline_sleep(&d))
		;
	ASSERT_OK(fd);
	return fd;
}

/* After a successful bind: the node is there and a round trip is exact. */
static void check_bind(struct op *o)
{
	struct op x = { 0 };

	close(node_after_bind(o->node));
	xfer_setup(&x, o->node, MMDMA_DMA_SG);
	EXPECT_EQ(op_xfer(&x), 0);
	check_xfer(&x);
	xfer_teardown(&x);
	/* The next attempt binds again: leave the device unbound. */
	set(o->drv, "unbind", o->dev);
}

/* ---- cases: fail_function ------------------------------------------------- */

/* The buffer's memory cannot be had: ENOMEM, no buffer, for every kind. */
static void alloc_memory_failure_enomem(void)
{
	need_fail_function();
	for (size_t i = 0; i < 3; i++) {
		struct op o = { .run = op_alloc, .ctl = t_ctl(), .size = 5 * PAGE + 1,
				.kind = kinds[i], .method = MMDMA_MAP_FAULT,
				.what = mmdma_kind_name(kinds[i]) };

		EXPECT_EQ(ff_loop(&o, "mmdma_alloc_memory", ENOMEM), 1);
		close(o.ctl);
	}
}

/* A failing mmap method leaves no VMA counted, for every kind/method pair. */
static void mmap_failure_errno(void)
{
	need_fail_function();
	for (size_t i = 0; i < nr_combos; i++) {
		struct op o = { .run = op_mmap, .size = 4 * PAGE,
				.what = combo_name(&combos[i]) };

		o.src = t_buf(o.size, combos[i].kind, combos[i].method);
		EXPECT_EQ(ff_loop(&o, "mmdma_buf_mmap", ENOMEM), 1);
		EXPECT_EQ(t_info(o.src).live_maps, 0);
		close(o.src);
	}
}

/* Describing either buffer of a round trip fails: ENOMEM, both released. */
static void xfer_buffer_range_failure(void)
{
	const char *devs[] = { SOFT, EDU };

	need_fail_function();
	for (size_t d = 0; d < 2; d++) {
		struct op o = { .what = devs[d] };

		xfer_setup(&o, devs[d], MMDMA_DMA_SG);
		EXPECT_EQ(ff_loop(&o, "mmdma_buf_host", ENOMEM), 2);
		xfer_teardown(&o);
	}
}

/* The mapping steps fail at each call: what was mapped is unmapped. */
static void xfer_mapping_failure(void)
{
	static const struct { uint32_t dma; const char *fn; int err; } m[] = {
		{ MMDMA_DMA_SG, "mmdma_map_sg", EIO },
		{ MMDMA_DMA_PAGE, "mmdma_map_pieces", ENOMEM },
		{ MMDMA_DMA_SINGLE, "mmdma_map_pieces", ENOMEM },
	};

	need_fail_function();
	/* The software engine reaches all memory: every range is mapped. */
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct op o = { .what = mmdma_dma_name(m[i].dma) };

		xfer_setup(&o, SOFT, m[i].dma);
		EXPECT(ff_loop(&o, m[i].fn, m[i].err) >= 2);
		xfer_teardown(&o);
	}
}

/* A request that cannot be prepared: every DMA method, both engines. */
static void xfer_prepare_failure(void)
{
	const char *devs[] = { SOFT, EDU };

	need_fail_function();
	for (size_t d = 0; d < 2; d++) {
		for (size_t i = 0; i < sizeof(dmas) / sizeof(dmas[0]); i++) {
			struct op o;
			char what[64];

			memset(&o, 0, sizeof(o));
			snprintf(what, sizeof(what), "%s %s", devs[d], mmdma_dma_name(dmas[i]));
			o.what = what;
			xfer_setup(&o, devs[d], dmas[i]);
			EXPECT_EQ(ff_loop(&o, "mmdma_req_prepare", ENOMEM), 1);
			xfer_teardown(&o);
		}
	}
}

/* Direct I/O: pinning or preparing fails; sync and async; nothing stays pinned. */
static void dio_pin_and_prepare_failure(void)
{
	const char *devs[] = { SOFT, EDU };

	need_fail_function();
	for (size_t d = 0; d < 2; d++) {
		for (int mode = 0; mode < 4; mode++) {
			struct op o;
			char what[64];

			memset(&o, 0, sizeof(o));
			snprintf(what, sizeof(what), "%s %s", devs[d], dio_names[mode]);
			o.what = what;
			dio_setup(&o, devs[d], mode);
			EXPECT_EQ(ff_loop(&o, "mmdma_host_pin_user", EFAULT), 1);
			EXPECT_EQ(ff_loop(&o, "mmdma_req_prepare", ENOMEM), 1);
			dio_teardown(&o);
		}
	}
}

/* An asynchronous call of several segments fails at the last: all undone. */
static void aio_segments_partial_failure(void)
{
	int fd;
	io_context_t ctx = 0;
	uint8_t *buf;
	struct iovec v[3];
	struct iocb cb, *cbs[1] = { &cb };
	struct clean c;

	need_fail_function();
	fd = t_dev_or_skip(SOFT);
	buf = t_map(-1, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	memset(buf, 1, 8 * PAGE);
	for (int i = 0; i < 3; i++)
		v[i] = (struct iovec){ buf + i * 2 * PAGE + 11, PAGE + 7 };
	ASSERT_EQ(io_setup(4, &ctx), 0);
	c = clean_start();
	for (unsigned int nth = 1; nth <= 3; nth++) {
		int err = nth == 3 ? ENOMEM : EFAULT;
		struct io_event ev;

		io_prep_preadv(&cb, fd, v, 3, 0);
		ff_arm(nth == 3 ? "mmdma_req_prepare" : "mmdma_host_pin_user", err, nth);
		/* aio reports a failed read_iter as the request's completion. */
		ASSERT_EQ(io_submit(ctx, 1, cbs), 1);
		EXPECT(ff_disarm());
		ASSERT_EQ(io_getevents(ctx, 1, 1, &ev, NULL), 1);
		EXPECT_EQ((long)ev.res, -err);
		expect_clean(&c, 0, "libaio preadv", nth);
	}
	io_destroy(ctx);
	close(c.ctl);
	close(fd);
}

/* ---- cases: fail-nth (failslab, fail_page_alloc) ---------------------------- */

/* Every slab and page allocation of MMDMA_IOC_ALLOC, in turn, each kind. */
static void alloc_each_allocation_fails(void)
{
	need_fail_nth();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct op o = { .run = op_alloc, .ctl = t_ctl(), .size = 5 * PAGE + 1,
				.kind = kinds[i], .method = MMDMA_MAP_INSERT,
				.what = mmdma_kind_name(kinds[i]) };

		EXPECT(nth_loop(&o, enomem_only) >= 2);
		close(o.ctl);
	}
}

/*
 * mmap() and the first touches, every pair, each allocation failing.  Not
 * remap: on 6.1 a page-table allocation failing inside remap_pfn_range()
 * ends in the kernel's own WARN in untrack_pfn() (its error path zaps the
 * half-built range, then looks up the first page for the PAT bookkeeping
 * and finds nothing), whatever the driver does.  fail_function's
 * mmdma_buf_mmap() case covers the driver's side of remap.
 */
static void mmap_each_allocation_fails(void)
{
	need_fail_nth();
	for (size_t i = 0; i < nr_combos; i++) {
		struct op o = { .run = op_mmap, .size = 4 * PAGE,
				.what = combo_name(&combos[i]) };

		if (combos[i].method == MMDMA_MAP_REMAP)
			continue;

		o.src = t_buf(o.size, combos[i].kind, combos[i].method);
		EXPECT(nth_loop(&o, enomem_only) >= 1);
		EXPECT_EQ(t_info(o.src).live_maps, 0);
		close(o.src);
	}
}

/*
 * Probe: each allocation of binding a device fails in turn.  A failed bind
 * gets one of @errs and leaves the device unbound, with no node and
 * nothing leaked; every bind that succeeds (the last, and those whose
 * failure was absorbed, INTx standing in for MSI and the like) gives a
 * device whose round trip is exact.  Returns the number of allocations.
 */
static unsigned int probe_loop(const char *drv, const char *dev,
			       const char *node, const int *errs)
{
	struct op o = { .run = op_bind, .check = check_bind,
			.failed = check_unbound, .what = node,
			.drv = drv, .dev = dev, .node = node };
	char bind[256];
	unsigned int n;

	set(drv, "unbind", dev);
	snprintf(bind, sizeof(bind), "%s/bind", drv);
	o.src = open(bind, O_WRONLY | O_CLOEXEC);
	ASSERT_OK(o.src);
	n = nth_loop(&o, errs);
	close(o.src);
	/* Bound again for the cases after this one. */
	set(drv, "bind", dev);
	close(node_after_bind(node));
	return n;
}

/* The edu PCI device: the driver core, PCI, MSI, devres and edu_probe(). */
static void edu_probe_each_allocation_fails(void)
{
	char bdf[64];

	need_fail_nth();
	snprintf(bdf, sizeof(bdf), "%s", t_edu_bdf());
	EXPECT(probe_loop(EDU_DRV, bdf, EDU, enomem_ebusy) >= 5);
}

/* The software engine: its device memory, work queue and registration. */
static void soft_probe_each_allocation_fails(void)
{
	need_fail_nth();
	close(t_dev_or_skip(SOFT));
	EXPECT(probe_loop(SOFT_DRV, "mmdma-soft", SOFT, enomem_only) >= 5);
}

/* Opening each node allocates (struct file and friends): ENOMEM or success. */
static void open_each_allocation_fails(void)
{
	const char *devs[] = { NULL, SOFT, EDU };

	need_fail_nth();
	for (size_t d = 0; d < 3; d++) {
		struct op o = { .run = op_open, .dev = devs[d],
				.what = devs[d] ? devs[d] : "mmdma" };

		if (devs[d])
			close(t_dev_or_skip(devs[d]));
		EXPECT(nth_loop(&o, enomem_only) >= 1);
	}
}

static void xfer_each_allocation_fails(const char *dev)
{
	need_fail_nth();
	for (size_t i = 0; i < sizeof(dmas) / sizeof(dmas[0]); i++) {
		struct op o;

		memset(&o, 0, sizeof(o));
		o.what = mmdma_dma_name(dmas[i]);
		xfer_setup(&o, dev, dmas[i]);
		EXPECT(nth_loop(&o, enomem_only) >= 1);
		xfer_teardown(&o);
	}
}

static void soft_xfer_each_allocation_fails(void) { xfer_each_allocation_fails(SOFT); }
static void edu_xfer_each_allocation_fails(void) { xfer_each_allocation_fails(EDU); }

static void dio_each_allocation_fails(const char *dev)
{
	need_fail_nth();
	for (int mode = 0; mode < 4; mode++) {
		struct op o;

		memset(&o, 0, sizeof(o));
		o.what = dio_names[mode];
		dio_setup(&o, dev, mode);
		EXPECT(nth_loop(&o, mode >= 2 ? enomem_eagain : enomem_only) >= 1);
		dio_teardown(&o);
	}
}

static void soft_dio_each_allocation_fails(void) { dio_each_allocation_fails(SOFT); }
static void edu_dio_each_allocation_fails(void) { dio_each_allocation_fails(EDU); }

static const struct ktap_case cases[] = {
	KTAP_CASE(alloc_memory_failure_enomem),
	KTAP_CASE(mmap_failure_errno),
	KTAP_CASE(xfer_buffer_range_failure),
	KTAP_CASE(xfer_mapping_failure),
	KTAP_CASE_T(xfer_prepare_failure, 300),
	KTAP_CASE_T(dio_pin_and_prepare_failure, 300),
	KTAP_CASE(aio_segments_partial_failure),
	KTAP_CASE_T(alloc_each_allocation_fails, 300),
	KTAP_CASE_T(mmap_each_allocation_fails, 300),
	KTAP_CASE_T(open_each_allocation_fails, 300),
	KTAP_CASE_T(edu_probe_each_allocation_fails, 600),
	KTAP_CASE_T(soft_probe_each_allocation_fails, 600),
	KTAP_CASE_T(soft_xfer_each_allocation_fails, 600),
	KTAP_CASE_T(edu_xfer_each_allocation_fails, 600),
	KTAP_CASE_T(soft_dio_each_allocation_fails, 600),
	KTAP_CASE_T(edu_dio_each_allocation_fails, 600),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
