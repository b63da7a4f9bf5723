// SPDX-License-Identifier: GPL-2.0
/*
 * The edu PCI device: register mapping, DMA through every method of the
 * generic DMA layer, bouncing, time-outs, signals, sharing and unbinding.
 *
 * $MMDMA_EXPECT names what the VM profile set up, and the tests hold the
 * driver to it: "limited" (28-bit device, no IOMMU: memory out of reach is
 * bounced by the driver), "iommu" (bus addresses are IOVAs), "swiotlb"
 * (swiotlb=force: every streaming mapping bounces in swiotlb), "direct"
 * (64-bit device: everything reached directly).
 */
#include <linux/capability.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "devutil.h"

#define EDU		"mmdma-edu0"
#define EDU_SYSFS	"/sys/class/misc/" EDU
#define EDU_MEM		4095
#define EDU_ID		0x010000edU

/* The edu node; fails the case where the profile promises edu, else skips. */
static int edu(void)
{
	return t_dev_or_skip(EDU);
}

static struct mmdma_dev_info edu_info(int dev)
{
	struct mmdma_dev_info info;

	ASSERT_OK(mmdma_dev_info(dev, &info));
	return info;
}

static int xfer(int dev, uint32_t op, uint32_t dma, int src, uint64_t soff,
		int dst, uint64_t doff, uint64_t devoff, uint64_t len,
		struct mmdma_xfer *out)
{
	return t_xfer_dma(dev, op, dma, 0, src, soff, dst, doff, devoff, len,
			  out);
}

/* The self-check passed at probe: the node exists and describes the device. */
static void node_describes_device(void)
{
	int dev = edu();
	struct mmdma_dev_info info = edu_info(dev);
	unsigned long long bits = t_param_get("edu_dma_bits");

	EXPECT_EQ(info.kind, MMDMA_DEV_EDU);
	EXPECT(!strcmp((char *)info.name, EDU));
	EXPECT_EQ(info.mem_size, EDU_MEM);
	EXPECT_EQ(info.max_op, EDU_MEM);
	EXPECT_EQ(info.dma_mask, bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1);
	EXPECT_EQ(t_read_ull(EDU_SYSFS "/dma_mask"), info.dma_mask);
	EXPECT(info.flags & MMDMA_DEVF_MSI);
	if (t_profile_is("limited"))
		EXPECT(info.flags & MMDMA_DEVF_LIMITED);
	if (t_profile_is("iommu"))
		EXPECT(info.flags & MMDMA_DEVF_IOMMU);
	if (t_profile_is("swiotlb"))
		EXPECT(info.flags & MMDMA_DEVF_SWIOTLB);
	if (t_profile_is("direct"))
		EXPECT(!(info.flags & (MMDMA_DEVF_LIMITED | MMDMA_DEVF_IOMMU)));
	close(dev);
}

/* BAR0 mapped into user space: the identity and liveness registers answer. */
static void bar_mapping_reads_registers(void)
{
	int dev = edu();
	volatile uint32_t *r = t_map(dev, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	void *whole;

	EXPECT_EQ(r[0], EDU_ID);
	r[1] = 0x5a5a1234;
	EXPECT_EQ(r[1], ~0x5a5a1234U);
	munmap((void *)r, PAGE);

	whole = t_map(dev, 1 << 20, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(((volatile uint32_t *)whole)[0], EDU_ID);
	munmap(whole, 1 << 20);
	close(dev);
}

/* Outside BAR0, or private: refused. */
static void bar_mapping_out_of_range_einval(void)
{
	int dev = edu();
	int kmsg = kmsg_open();

	EXPECT_SYSERR(mmap(NULL, 2 << 20, PROT_READ, MAP_SHARED, dev, 0), EINVAL);
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dev, 1 << 20), EINVAL);
	EXPECT_SYSERR(mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, dev, (1 << 20) - PAGE),
		      EINVAL);
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dev, 0), EINVAL);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(dev);
}

static void unprivileged(void *arg)
{
	int dev = edu(), ctl = t_ctl(), buf;
	struct mmdma_xfer x;
	uint64_t phys;

	(void)arg;
	buf = mmdma_alloc(ctl, PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	ASSERT_OK(buf);
	t_drop_cap(CAP_SYS_RAWIO);
	t_drop_cap(CAP_SYS_ADMIN);
	/* Aiming the DMA engine is aiming at all of RAM. */
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dev, 0), EPERM);
	/* Physical addresses are not disclosed ... */
	EXPECT_ERR(mmdma_buf_phys(buf, 0, 1, &phys), EPERM);
	/* ... but transfers through the driver are fine, disclosing nothing. */
	EXPECT_OK(xfer(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, buf, 0, -1, 0, 0, 100, &x));
	EXPECT_EQ(x.phys_addr, 0);
	EXPECT_EQ(x.bus_addr, 0);
}

/* Without CAP_SYS_RAWIO the registers stay out of reach. */
static void bar_mapping_needs_cap_sys_rawio(void)
{
	EXPECT_EQ(t_wait(t_fork(unprivileged, NULL)), 0);
}

/* Bad transfer requests: a clear errno, nothing on the device, a clean log. */
static void xfer_bad_input_rejected(void)
{
	int dev = edu(), ctl = t_ctl(), kmsg = kmsg_open();
	int pages = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint64_t ops = edu_info(dev).ops;
	struct mmdma_xfer x;

	EXPECT_ERR(xfer(dev, 0, 0, pages, 0, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, 4, 0, pages, 0, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 7, pages, 0, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, 0, -1, 0, 0, 0, NULL), EINVAL);
	/* Device memory is 4095 bytes: the quirk's last byte is never touched. */
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, 0, -1, 0, 4000, 96, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, 0, -1, 0, 0, 4096, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, 0, -1, 0, UINT64_MAX, 2, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, pages, 0, pages, PAGE, 1, 10, NULL), EINVAL);
	/* Buffer ranges. */
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, 2 * PAGE - 5, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, pages, UINT64_MAX - 3, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, pages, 0, pages, 100, 0, 200, NULL), EINVAL);
	/* Not buffers. */
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, ctl, 0, -1, 0, 0, 10, NULL), EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_FROM_DEV, 0, -1, 0, 999, 0, 0, 10, NULL), EBADF);
	/* Methods that cannot take this memory or size. */
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SINGLE, pages, 0, -1, 0, 0, 10, NULL),
		   EINVAL);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_POOL, pages, 0, -1, 0, 0,
			MMDMA_POOL_MAX + 1, NULL), EINVAL);
	/* Reserved bits. */
	x = (struct mmdma_xfer){ .op = MMDMA_XFER_TO_DEV, .src_fd = pages, .length = 8,
				 .flags = 1 };
	EXPECT_ERR(mmdma_xfer(dev, &x), EINVAL);
	x.flags = 0;
	x.reserved[3] = 1;
	EXPECT_ERR(mmdma_xfer(dev, &x), EINVAL);
	EXPECT_EQ(edu_info(dev).ops, ops);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(pages);
	close(ctl);
	close(dev);
}

/* Into device memory and back out, with every method of the DMA layer. */
static void to_and_from_device_every_method(void)
{
	static const uint32_t dmas[] = {
		MMDMA_DMA_AUTO, MMDMA_DMA_SG, MMDMA_DMA_PAGE, MMDMA_DMA_SINGLE,
		MMDMA_DMA_COHERENT, MMDMA_DMA_POOL, MMDMA_DMA_STREAM,
	};
	int dev = edu();

	for (size_t i = 0; i < sizeof(dmas) / sizeof(dmas[0]); i++) {
		uint32_t m = dmas[i];
		uint64_t len = m == MMDMA_DMA_POOL ? 201 : 3001;
		int src = t_buf(4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
		int dst = t_buf(4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
		struct mmdma_xfer x;

		ktap_diag("%s", mmdma_dma_name(m));
		ASSERT_OK(mmdma_buf_fill(src, 0, 4 * PAGE, 100 + i));
		/* Crosses a page boundary in the source, odd device offset. */
		EXPECT_OK(xfer(dev, MMDMA_XFER_TO_DEV, m, src, PAGE - 3, -1, 0, 77, len, &x));
		EXPECT(x.ops >= 1);
		EXPECT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, m, -1, 0, dst, 5, 77, len, &x));
		t_expect_copy(dst, 4 * PAGE, 5, PAGE - 3, len, 100 + i);
		close(src);
		close(dst);
	}
	close(dev);
}

/* Round trips of many sizes at odd offsets, byte-exact, nothing else touched. */
static void roundtrip_sizes_byte_exact(void)
{
	static const uint64_t sizes[] = {
		1, 2, 3, 63, 255, 256, 257, 4094, 4095, 4096, 4097, 8191,
		12289, 65537, 262143, 1 << 20,
	};
	const uint64_t bsize = (1 << 20) + 3 * PAGE;
	int dev = edu();
	int src = t_buf(bsize, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	ASSERT_OK(mmdma_buf_fill(src, 0, bsize, 7));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int dst = t_buf(bsize, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		uint64_t soff = 4093 + i, doff = 1 + 2 * i;
		struct mmdma_xfer x;

		EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_AUTO, src, soff,
			       dst, doff, 0, sizes[i], &x));
		/* Every byte goes in and comes out: at least two operations. */
		EXPECT(x.ops >= 2 * ((sizes[i] + EDU_MEM - 1) / EDU_MEM));
		t_expect_copy(dst, bsize, doff, soff, sizes[i], 7);
		close(dst);
		if (ktap_failed()) {
			ktap_diag("size %llu failed", (unsigned long long)sizes[i]);
			break;
		}
	}
	close(src);
	close(dev);
}

/* Every memory kind works as source and destination. */
static void roundtrip_every_memory_kind(void)
{
	static const uint32_t kinds[] = { MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG, MMDMA_MEM_VMALLOC };
	int dev = edu();

	for (size_t a = 0; a < 3; a++) {
		for (size_t b = 0; b < 3; b++) {
			int src = t_buf(4 * PAGE, kinds[a], MMDMA_MAP_FAULT);
			int dst = t_buf(4 * PAGE, kinds[b], MMDMA_MAP_FAULT);

			ASSERT_OK(mmdma_buf_fill(src, 0, 4 * PAGE, 30 + a));
			EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, src, 11,
				       dst, 13, 0, 3 * PAGE + 5, NULL));
			t_expect_copy(dst, 4 * PAGE, 13, 11, 3 * PAGE + 5, 30 + a);
			close(src);
			close(dst);
		}
	}
	close(dev);
}

/*
 * Where the device cannot reach, the driver bounces; where an IOMMU or
 * swiotlb stands between, it does not; bus addresses tell which.
 */
static void reach_and_bouncing_match_profile(void)
{
	int dev = edu();
	struct mmdma_dev_info info = edu_info(dev), after;
	/* Big enough that a 512 MiB VM must place some of it above 256 MiB. */
	uint64_t size = t_profile_is("limited") ? 320ULL << 20 : 64ULL << 20;
	uint64_t npages = size / PAGE, *phys = calloc(npages, sizeof(*phys));
	int buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int dst = t_buf(PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	int64_t high = -1, low = -1;
	struct mmdma_xfer x;

	ASSERT(phys != NULL);
	ASSERT_OK(mmdma_buf_phys(buf, 0, npages, phys));
	for (uint64_t i = 0; i < npages; i++) {
		if (phys[i] + PAGE - 1 > info.dma_mask || phys[i] >= (4ULL << 30)) {
			if (high < 0)
				high = i;
		} else if (low < 0) {
			low = i;
		}
	}
	ktap_diag("mask %#llx, flags %#x, first high page %lld (%#llx), first low page %lld",
		  (unsigned long long)info.dma_mask, info.flags, (long long)high,
		  high >= 0 ? (unsigned long long)phys[high] : 0ULL, (long long)low);
	if (t_profile_is("limited") || t_profile_is("direct") || t_profile_is("swiotlb"))
		ASSERT(high >= 0);

	if (high >= 0) {
		ASSERT_OK(mmdma_buf_fill(buf, high * PAGE, PAGE, 55));
		EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, buf, high * PAGE,
			       dst, 0, 0, EDU_MEM, &x));
		t_expect_copy(dst, PAGE, 0, high * PAGE, EDU_MEM, 55);
		EXPECT_EQ(x.phys_addr, phys[high]);
		if (phys[high] + PAGE - 1 > info.dma_mask &&
		    !(info.flags & (MMDMA_DEVF_IOMMU | MMDMA_DEVF_SWIOTLB))) {
			/* Out of reach: bounced through the driver's buffer. */
			EXPECT(x.bounced >= EDU_MEM);
			EXPECT(x.bus_addr + EDU_MEM - 1 <= info.dma_mask);
		} else {
			EXPECT_EQ(x.bounced, 0);
		}
		if (t_profile_is("direct"))
			EXPECT_EQ(x.bus_addr, phys[high]);
	}
	if (low >= 0) {
		ASSERT_OK(mmdma_buf_fill(buf, low * PAGE, PAGE, 56));
		EXPECT_OK(xfer(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_PAGE, buf, low * PAGE,
			       -1, 0, 0, 1000, &x));
		EXPECT_EQ(x.bounced, 0);
		/* An IOMMU or swiotlb hands the device an address of its own. */
		if (info.flags & (MMDMA_DEVF_IOMMU) || t_profile_is("swiotlb"))
			EXPECT(x.bus_addr != x.phys_addr);
		else
			EXPECT_EQ(x.bus_addr, x.phys_addr);
	}
	after = edu_info(dev);
	if (t_profile_is("limited"))
		EXPECT(after.bounces > info.bounces);
	else
		EXPECT_EQ(after.bounces, info.bounces);
	EXPECT_EQ(t_read_ull(EDU_SYSFS "/bounces"), after.bounces);
	free(phys);
	close(buf);
	close(dst);
	close(dev);
}

struct bg_xfer {
	int dev, src, dst;
	uint64_t len;
	int ret;
	volatile bool done;
};

static void *bg_roundtrip(void *arg)
{
	struct bg_xfer *b = arg;

	b->ret = xfer(b->dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, b->src, 0, b->dst,
		      0, 0, b->len, NULL);
	b->done = true;
	return NULL;
}

/* swiotlb=force: streaming mappings bounce in swiotlb, and the data holds. */
static void swiotlb_bounces_streaming_mappings(void)
{
	const char *used = "/sys/kernel/debug/swiotlb/io_tlb_used";
	struct bg_xfer b = { .len = 64 << 10 };
	unsigned long long peak = 0;
	pthread_t th;

	if (!t_profile_is("swiotlb"))
		ktap_skip("not the swiotlb profile");
	b.dev = edu();
	b.src = t_buf(b.len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	b.dst = t_buf(b.len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(b.src, 0, b.len, 66));
	ASSERT_EQ(t_read_ull(used), 0);
	ASSERT_OK(-pthread_create(&th, NULL, bg_roundtrip, &b));
	/* The mappings live for the whole transfer: watch the slots in use. */
	while (!b.done) {
		unsigned long long u = t_read_ull(used);

		if (u > peak)
			peak = u;
		usleep(20000);
	}
	pthread_join(th, NULL);
	EXPECT_OK(b.ret);
	ktap_diag("swiotlb slots in use at peak: %llu", peak);
	/* 2 KiB slots: both 64 KiB buffers sat in swiotlb. */
	EXPECT(peak >= 2 * (b.len / 2048));
	t_expect_copy(b.dst, b.len, 0, 0, b.len, 66);
}

static void on_signal(int sig)
{
	(void)sig;
}

static int sync_pipe[2];

static void long_transfer(void *arg)
{
	int dev = edu();
	uint64_t len = 1 << 20;
	int src = t_buf(len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int dst = t_buf(len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
	ASSERT_EQ(write(sync_pipe[1], "r", 1), 1);
	ret = xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, src, 0, dst, 0, 0, len, NULL);
	if (arg)
		EXPECT_ERR(ret, (int)(intptr_t)arg);
	else
		EXPECT_OK(ret);
}

static void wait_idle(void)
{
	EXPECT(t_wait_ull(EDU_SYSFS "/busy", 0, T_POLL_MS));
}

static pid_t start_long_transfer(int expected_err)
{
	pid_t pid;
	char b;

	ASSERT_OK(pipe(sync_pipe));
	pid = t_fork(long_transfer, (void *)(intptr_t)expected_err);
	ASSERT_EQ(read(sync_pipe[0], &b, 1), 1);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	/*
	 * Into the transfer (about 500 operations of 100 ms each): the
	 * device works on it and the child sleeps in its wait.  Not a
	 * guess at how long that takes: with icount, guest time follows
	 * a loaded host.
	 */
	ASSERT(t_wait_ull(EDU_SYSFS "/busy", 1, T_POLL_MS));
	ASSERT(t_wait_asleep(pid, T_POLL_MS));
	return pid;
}

/* A signal mid-transfer: EINTR, the device goes idle, nothing is left. */
static void signal_mid_transfer_eintr(void)
{
	int dev = edu();
	long long bufs = t_read_ull("/sys/class/misc/mmdma/buffers");
	struct mmdma_dev_info before = edu_info(dev), after;
	pid_t pid = start_long_transfer(EINTR);

	ASSERT_OK(kill(pid, SIGUSR1));
	EXPECT_EQ(t_wait(pid), 0);
	wait_idle();
	after = edu_info(dev);
	EXPECT_EQ(after.errors, before.errors + 1);
	EXPECT_EQ(t_read_ull("/sys/class/misc/mmdma/buffers"), bufs);
	close(dev);
}

/* A process killed mid-transfer leaves the device idle and nothing behind. */
static void kill_mid_transfer_cleans_up(void)
{
	int dev = edu(), src, dst;
	long long bufs = t_read_ull("/sys/class/misc/mmdma/buffers");
	pid_t pid = start_long_transfer(0);

	ASSERT_OK(kill(pid, SIGKILL));
	EXPECT_EQ(t_wait(pid), 128 + SIGKILL);
	wait_idle();
	EXPECT_EQ(t_read_ull("/sys/class/misc/mmdma/buffers"), bufs);
	/* And the device still works. */
	src = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	dst = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(src, 0, PAGE, 8));
	EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, src, 0, dst, 0, 0, PAGE, NULL));
	t_expect_copy(dst, PAGE, 0, 0, PAGE, 8);
	close(dev);
}

/* A device that never completes: ETIMEDOUT, counted, and the driver recovers. */
static void hung_device_times_out_and_recovers(void)
{
	unsigned long long saved = t_param_get("op_timeout_ms");
	int dev = edu();
	int src = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int dst = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint64_t timeouts = edu_info(dev).timeouts;

	ASSERT_OK(mmdma_buf_fill(src, 0, PAGE, 9));
	t_param_set("op_timeout_ms", 400);
	t_param_set("edu_inject_hang", 1);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, src, 0, -1, 0, 0, 100, NULL),
		   ETIMEDOUT);
	t_param_set("op_timeout_ms", saved);
	EXPECT_EQ(edu_info(dev).timeouts, timeouts + 1);
	EXPECT_EQ(t_read_ull(EDU_SYSFS "/timeouts"), timeouts + 1);
	EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, src, 0, dst, 0, 0, PAGE, NULL));
	t_expect_copy(dst, PAGE, 0, 0, PAGE, 9);
	close(dev);
}

static void random_roundtrips(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int dev = edu();
	const uint64_t bsize = 4 * PAGE;

	for (int i = 0; i < 12; i++) {
		int src = t_buf(bsize, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		int dst = t_buf(bsize, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		uint64_t len = 1 + rand_r(&seed) % (2 * PAGE);
		uint64_t soff = rand_r(&seed) % (bsize - len);
		uint64_t doff = rand_r(&seed) % (bsize - len);
		uint32_t dma = (uint32_t[]){ MMDMA_DMA_AUTO, MMDMA_DMA_SG, MMDMA_DMA_PAGE }[i % 3];

		ASSERT_OK(mmdma_buf_fill(src, 0, bsize, seed));
		ASSERT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, dma, src, soff, dst, doff, 0, len,
			       NULL));
		t_expect_copy(dst, bsize, doff, soff, len, seed);
		close(src);
		close(dst);
	}
}

/* Four processes share the device at once; every transfer is intact. */
static void four_processes_share_device(void)
{
	pid_t pids[4];

	for (int i = 0; i < 4; i++)
		pids[i] = t_fork(random_roundtrips, (void *)(uintptr_t)(1000 + i));
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(t_wait(pids[i]), 0);
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static void watch_registers(void *arg)
{
	int dev = edu();
	volatile uint32_t *r = t_map(dev, PAGE, PROT_READ, MAP_SHARED, 0);
	struct sigaction sa = { .sa_handler = on_sigbus };

	(void)arg;
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1))
		return;		/* the mapping was zapped: what we expect */
	ASSERT_EQ(write(sync_pipe[1], "r", 1), 1);
	/* Until the unbind zaps the mapping (SIGBUS), or the deadline. */
	struct t_deadline d = t_deadline_ms(T_POLL_MS);

	do {
		if (r[0] != EDU_ID)
			ktap_fail(true, __FILE__, __LINE__, "identity %#x", r[0]);
	} while (t_deadline_sleep(&d));
	ktap_fail(false, __FILE__, __LINE__, "register mapping never went away");
}

/*
 * Unbinding while a transfer runs and the registers are mapped: the
 * transfer fails with ENODEV, the mapping is zapped (SIGBUS), the old fd
 * says ENODEV, and the device comes back on bind.
 */
static void unbind_while_busy_and_mapped(void)
{
	const char *bdf = t_edu_bdf();
	int old = edu();
	pid_t xfer_pid, map_pid;
	char b;

	ASSERT_OK(pipe(sync_pipe));
	map_pid = t_fork(watch_registers, NULL);
	ASSERT_EQ(read(sync_pipe[0], &b, 1), 1);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	xfer_pid = start_long_transfer(ENODEV);

	t_write_str("/sys/bus/pci/drivers/mmdma-edu/unbind", bdf);
	EXPECT_EQ(t_wait(xfer_pid), 0);
	EXPECT_EQ(t_wait(map_pid), 0);
	EXPECT_SYSERR(access("/dev/" EDU, F_OK), ENOENT);
	{
		struct mmdma_dev_info info;

		EXPECT_ERR(mmdma_dev_info(old, &info), ENODEV);
		EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, old, 0), ENODEV);
	}
	close(old);
	close(t_edu_rebind(bdf));
	node_describes_device();
}

/* With MSI off the driver falls back to the legacy INTx line. */
static void intx_fallback_works(void)
{
	const char *bdf = t_edu_bdf();
	int dev, src, dst;

	t_param_set("edu_msi", 0);
	t_write_str("/sys/bus/pci/drivers/mmdma-edu/unbind", bdf);
	close(t_edu_rebind(bdf));
	dev = edu();
	EXPECT(edu_info(dev).flags & MMDMA_DEVF_INTX);
	src = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	dst = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(src, 0, 2 * PAGE, 12));
	EXPECT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, src, 1, dst, 2, 0, 5000, NULL));
	t_expect_copy(dst, 2 * PAGE, 2, 1, 5000, 12);
	close(dev);

	t_param_set("edu_msi", 1);
	t_write_str("/sys/bus/pci/drivers/mmdma-edu/unbind", bdf);
	close(t_edu_rebind(bdf));
	dev = edu();
	EXPECT(edu_info(dev).flags & MMDMA_DEVF_MSI);
	close(dev);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(node_describes_device),
	KTAP_CASE(bar_mapping_reads_registers),
	KTAP_CASE(bar_mapping_out_of_range_einval),
	KTAP_CASE(bar_mapping_needs_cap_sys_rawio),
	KTAP_CASE(xfer_bad_input_rejected),
	KTAP_CASE(to_and_from_device_every_method),
	KTAP_CASE_T(roundtrip_sizes_byte_exact, 400),
	KTAP_CASE(roundtrip_every_memory_kind),
	KTAP_CASE_T(reach_and_bouncing_match_profile, 120),
	KTAP_CASE(swiotlb_bounces_streaming_mappings),
	KTAP_CASE(signal_mid_transfer_eintr),
	KTAP_CASE(kill_mid_transfer_cleans_up),
	KTAP_CASE(hung_device_times_out_and_recovers),
	KTAP_CASE_T(four_processes_share_device, 200),
	KTAP_CASE(unbind_while_busy_and_mapped),
	KTAP_CASE(intx_fallback_works),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
