// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers attached to a DMA device (streaming mappings user space owns)
 * and their bus addresses, on the edu device and the software engine.
 * dma-buf and the per-buffer sysfs directory: test_dmabuf.c.
 *
 * $MMDMA_EXPECT names the VM profile (see test_edu.c): with "swiotlb" every
 * mapping bounces, which is where a skipped sync shows as stale data; with
 * "limited" part of RAM is out of the edu device's reach, and attachments
 * (which the driver never bounces) of such memory are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devutil.h"

#define EDU_SYSFS	"/sys/class/misc/" T_EDU
#define BUFS_SYSFS	"/sys/kernel/mmdma/buffers"

/* Every streaming mapping of @e bounces in swiotlb (swiotlb=force). */
static bool bounces_always(const struct t_dev *e)
{
	return t_profile_is("swiotlb") && (e->info.flags & MMDMA_DEVF_SWIOTLB);
}

/* The driver says it has what this program tests. */
static void info_reports_attach_dmabuf_sysfs(void)
{
	struct mmdma_info info;
	int ctl = t_ctl();

	ASSERT_OK(mmdma_info(ctl, &info));
	EXPECT(info.features & MMDMA_FEAT_ATTACH);
	EXPECT(info.features & MMDMA_FEAT_DMABUF);
	EXPECT(info.features & MMDMA_FEAT_BUF_SYSFS);
	close(ctl);
}

/* Malformed attach, detach, sync and address requests: EINVAL and friends. */
static void attach_bad_input_rejected(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(3 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int other = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_buf_attach a = { .dev_fd = e.fd, .dir = MMDMA_DIR_TO_DEVICE };
	struct mmdma_buf_sync s = { .dev_fd = e.fd, .flags = MMDMA_SYNC_FOR_CPU,
				    .length = 1, .dir = MMDMA_DIR_TO_DEVICE };
	struct mmdma_dma_seg seg;

	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, 0), EINVAL);
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, 4), EINVAL);
	EXPECT_ERR(mmdma_buf_attach(buf, other, MMDMA_DIR_TO_DEVICE), EINVAL);
	EXPECT_ERR(mmdma_buf_attach(buf, -1, MMDMA_DIR_TO_DEVICE), EBADF);
	a.flags = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_ATTACH, &a), EINVAL);
	a.flags = 0;
	a.nr_segs = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_ATTACH, &a), EINVAL);
	a.nr_segs = 0;
	a.reserved[3] = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_ATTACH, &a), EINVAL);

	/* Nothing attached yet. */
	EXPECT_ERR(mmdma_buf_detach(buf, e.fd), ENOENT);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_CPU), ENOENT);
	EXPECT_ERR(mmdma_buf_dma_addrs(buf, e.fd, 0, 1, &seg, NULL), ENOENT);

	ASSERT_OK(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE));
	/* Syncs: exactly one of the two flags, a range inside, the direction. */
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_TO_DEVICE, 0), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_VALID_FLAGS), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_TO_DEVICE, 4), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 0, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 3 * PAGE - 1, 2, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, UINT64_MAX, 2, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_FROM_DEVICE,
				  MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, MMDMA_DIR_BIDIRECTIONAL,
				  MMDMA_SYNC_FOR_DEVICE), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, 1, 0, MMDMA_SYNC_FOR_CPU), EINVAL);
	s.__pad = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_SYNC, &s), EINVAL);
	s.__pad = 0;
	s.reserved[1] = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_SYNC, &s), EINVAL);
	/* The other buffer is not attached, whatever this one is. */
	EXPECT_ERR(mmdma_buf_sync(other, e.fd, 0, 1, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_CPU), ENOENT);
	/* The direction it was mapped for is fine, both ways. */
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, 3 * PAGE - 1, 1, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_CPU));
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, 1, 3 * PAGE - 1, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_DEVICE));
	close(other);
	close(buf);
	close(e.fd);
}

/* One attachment per buffer and device; detach makes room for another. */
static void attach_twice_ebusy_detach_frees(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(5 * PAGE + 1, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int kmsg = kmsg_open();

	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_FROM_DEVICE), EBUSY);
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE), EBUSY);
	EXPECT_OK(mmdma_buf_detach(buf, e.fd));
	EXPECT_ERR(mmdma_buf_detach(buf, e.fd), ENOENT);
	EXPECT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	/* A bidirectional mapping takes every direction. */
	for (uint32_t d = MMDMA_DIR_TO_DEVICE; d <= MMDMA_DIR_BIDIRECTIONAL; d++) {
		EXPECT_OK(mmdma_buf_sync(buf, e.fd, 100, 5000, d, MMDMA_SYNC_FOR_CPU));
		EXPECT_OK(mmdma_buf_sync(buf, e.fd, 100, 5000, d, MMDMA_SYNC_FOR_DEVICE));
	}
	/*
	 * The refusal comes before any mapping: a second mapping of pages the
	 * device may write is an overlap DMA-API debug reports (debug kernel;
	 * the case's log watch fails on it).
	 */
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_FROM_DEVICE), EBUSY);
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL), EBUSY);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	close(buf);
	close(e.fd);
}

/*
 * A buffer attached to a device is not mapped for it a second time: a
 * transfer that would map it (sg, page, single, or auto when it picks sg)
 * is EBUSY, through the buffer fd or a dma-buf of it; the attachment and
 * the copying methods move it, and once detached it maps again.  Two
 * mappings of the same pages for one device are an overlap DMA-API debug
 * reports (debug kernel; the case's log watch fails on it).
 */
static void second_mapping_of_attached_buffer_ebusy(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	uint64_t size = 2 * PAGE, len = PAGE + 100;
	int buf = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	int src = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int d = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
	int kmsg = kmsg_open();

	ASSERT_OK(d);
	ASSERT_OK(mmdma_buf_fill(src, 0, size, 71));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, 0, -1, 0, 0, len, NULL));
	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	for (uint32_t m = MMDMA_DMA_SG; m <= MMDMA_DMA_SINGLE; m++) {
		EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, m, 0, -1, 0, buf, 0, 0,
				      len, NULL), EBUSY);
		EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_TO_DEV, m, 0, buf, 0, -1, 0, 0,
				      len, NULL), EBUSY);
	}
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 0, len, NULL), EBUSY);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, d, 0, 0, len, NULL), EBUSY);
	/* Small auto transfers go through the pool: nothing is mapped. */
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 0, 200, NULL));
	t_expect_pattern_at(buf, 0, 200, 71);
	t_zero(buf, size);
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_STREAM, 0, -1, 0, buf,
			     1, 0, len, NULL));
	t_expect_copy(buf, size, 1, 0, len, 71);
	t_zero(buf, size);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ATTACHED, -1, 0, buf, 3, 0,
			 len, NULL));
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, 0, size, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_CPU));
	t_expect_copy(buf, size, 3, 0, len, 71);
	EXPECT_OK(mmdma_buf_detach(buf, e.fd));
	t_zero(buf, size);
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, buf, 5, 0,
			     len, NULL));
	t_expect_copy(buf, size, 5, 0, len, 71);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	close(d);
	close(src);
	close(buf);
	close(e.fd);
}

/*
 * Across devices only the directions let two mappings of the same bytes
 * stand: a buffer attached both ways to the software engine cannot be
 * attached to edu or mapped by an edu transfer that writes it (EBUSY); two
 * TO_DEVICE attachments (two readers) go side by side, and then only a
 * transfer that reads the buffer may map it.  The DMA-API debug check
 * keeps one set of mapped cachelines for every device.
 */
static void cross_device_overlap_ebusy(void)
{
	struct t_dev soft = t_dev_open(T_SOFT);
	struct t_dev edu = t_dev_open(T_EDU);
	/* edu's window is 4 KiB, and a DMA may not touch its last byte. */
	uint64_t size = 2 * PAGE, len = PAGE + 100, elen = 1000;
	int buf = t_reachable_buf(&edu, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int other = t_reachable_buf(&edu, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int kmsg = kmsg_open();

	ASSERT_OK(mmdma_buf_fill(buf, 0, size, 83));
	ASSERT(mmdma_buf_attach(buf, soft.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	EXPECT_ERR(mmdma_buf_attach(buf, edu.fd, MMDMA_DIR_BIDIRECTIONAL), EBUSY);
	EXPECT_ERR(mmdma_buf_attach(buf, edu.fd, MMDMA_DIR_TO_DEVICE), EBUSY);
	EXPECT_ERR(t_xfer_dma(edu.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, buf, 0, -1,
			      0, 0, elen, NULL), EBUSY);
	/* Another buffer, and copying methods, are not concerned. */
	EXPECT(mmdma_buf_attach(other, edu.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	EXPECT_OK(mmdma_buf_detach(other, edu.fd));
	EXPECT_OK(t_xfer_dma(edu.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_STREAM, 0, buf, 0, -1,
			     0, 0, elen, NULL));
	EXPECT_OK(mmdma_buf_detach(buf, soft.fd));

	/* Two readers. */
	ASSERT(mmdma_buf_attach(buf, soft.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	ASSERT(mmdma_buf_attach(buf, edu.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	EXPECT_ERR(t_xfer_dma(edu.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, buf,
			      0, 0, elen, NULL), EBUSY);
	/* edu's own attachment bars any second mapping for edu. */
	EXPECT_ERR(t_xfer_dma(edu.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, buf, 0, -1,
			      0, 0, elen, NULL), EBUSY);
	EXPECT_ERR(t_xfer_dma(soft.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, buf,
			      0, 0, len, NULL), EBUSY);
	EXPECT_OK(mmdma_buf_detach(buf, soft.fd));
	EXPECT_OK(t_xfer_dma(soft.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, buf, 0, -1,
			     0, 0, len, NULL));
	EXPECT_ERR(t_xfer_dma(soft.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, buf,
			      0, 0, len, NULL), EBUSY);
	EXPECT_OK(mmdma_buf_detach(buf, edu.fd));
	/* Alone again: a transfer that writes it goes, with the bytes read. */
	t_zero(buf, size);
	EXPECT_OK(t_xfer_dma(soft.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, buf,
			     1, 0, len, NULL));
	t_expect_copy(buf, size, 1, 0, len, 83);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	close(other);
	close(buf);
	close(edu.fd);
	close(soft.fd);
}

/*
 * The whole ownership cycle, as a driver does it: the CPU fills, hands the
 * source to the device, the device reads it into its memory and writes it
 * into another attached buffer, the CPU takes that back and reads exact
 * data.  Odd offsets and lengths; every memory kind.
 */
static void attached_roundtrip_exact(const char *name)
{
	static const uint32_t kinds[] = { MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG,
					  MMDMA_MEM_VMALLOC };
	struct t_dev e = t_dev_open(name);
	uint64_t size = 5 * PAGE, soff = 777, doff = 1234, devoff = 3;
	uint64_t len = e.info.mem_size - devoff < 3 * PAGE + 1001 ?
		       e.info.mem_size - devoff : 3 * PAGE + 1001;

	for (size_t k = 0; k < 3; k++) {
		int src = t_reachable_buf(&e, size, kinds[k], MMDMA_MAP_FAULT);
		int dst = t_reachable_buf(&e, size, kinds[k], MMDMA_MAP_FAULT);
		uint32_t seed = 40 + k;
		struct mmdma_xfer x;

		ktap_diag("%s: %s, %llu bytes", name, mmdma_kind_name(kinds[k]),
			  (unsigned long long)len);
		ASSERT(mmdma_buf_attach(src, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
		ASSERT(mmdma_buf_attach(dst, e.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
		ASSERT_OK(mmdma_buf_fill(src, 0, size, seed));
		ASSERT_OK(mmdma_buf_sync(src, e.fd, soff, len, MMDMA_DIR_TO_DEVICE,
					 MMDMA_SYNC_FOR_DEVICE));
		EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, src, soff,
				 -1, 0, devoff, len, &x));
		EXPECT_EQ(x.bounced, 0);
		EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ATTACHED, -1, 0,
				 dst, doff, devoff, len, &x));
		ASSERT_OK(mmdma_buf_sync(dst, e.fd, doff, len, MMDMA_DIR_FROM_DEVICE,
					 MMDMA_SYNC_FOR_CPU));
		t_expect_copy(dst, size, doff, soff, len, seed);

		/* A round trip between the two attachments, in one call. */
		ASSERT_OK(mmdma_buf_detach(dst, e.fd));
		ASSERT(mmdma_buf_attach(dst, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
		t_zero(dst, size);
		ASSERT_OK(mmdma_buf_sync(dst, e.fd, 0, size, MMDMA_DIR_BIDIRECTIONAL,
					 MMDMA_SYNC_FOR_DEVICE));
		/* Only [soff, soff + len) of the source went over so far. */
		ASSERT_OK(mmdma_buf_sync(src, e.fd, 0, size, MMDMA_DIR_TO_DEVICE,
					 MMDMA_SYNC_FOR_DEVICE));
		EXPECT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, MMDMA_XFER_ATTACHED, src, 1,
				 dst, 2, 0, size - 2, NULL));
		ASSERT_OK(mmdma_buf_sync(dst, e.fd, 0, size, MMDMA_DIR_BIDIRECTIONAL,
					 MMDMA_SYNC_FOR_CPU));
		t_expect_copy(dst, size, 2, 1, size - 2, seed);
		close(src);
		close(dst);
	}
	close(e.fd);
}

static void attached_roundtrip_exact_edu(void) { attached_roundtrip_exact(T_EDU); }
static void attached_roundtrip_exact_soft(void) { attached_roundtrip_exact(T_SOFT); }

/* What an attached transfer refuses: no attachment, wrong way, a method. */
static void attached_xfer_bad_input_rejected(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_xfer x = {
		.op = MMDMA_XFER_TO_DEV, .flags = MMDMA_XFER_ATTACHED,
		.src_fd = buf, .dst_fd = -1, .length = 100,
	};

	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, buf, 0, -1, 0,
			  0, 100, NULL), ENOENT);
	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
	/* Mapped for the device to write: it may not read through it. */
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, buf, 0, -1, 0,
			  0, 100, NULL), EINVAL);
	x.op = MMDMA_XFER_FROM_DEV;
	x.src_fd = -1;
	x.dst_fd = buf;
	for (uint32_t m = MMDMA_DMA_PAGE; m <= MMDMA_DMA_STREAM; m++) {
		x.dma = m;
		EXPECT_SYSERR(ioctl(e.fd, MMDMA_DEV_XFER, &x), EINVAL);
	}
	x.dma = MMDMA_DMA_SG;
	x.flags = 1;
	EXPECT_SYSERR(ioctl(e.fd, MMDMA_DEV_XFER, &x), EINVAL);
	x.flags = MMDMA_XFER_ATTACHED;
	EXPECT_OK(ioctl(e.fd, MMDMA_DEV_XFER, &x));
	/* The range must lie inside the buffer. */
	x.dst_offset = 2 * PAGE - 99;
	EXPECT_SYSERR(ioctl(e.fd, MMDMA_DEV_XFER, &x), EINVAL);
	close(buf);
	close(e.fd);
}

/*
 * With every mapping bouncing in swiotlb, ownership is visible: skip the
 * sync for the CPU and the device's bytes stay in swiotlb (stale data);
 * skip the sync for the device and it reads what swiotlb held at mapping
 * time.  Sync, and the data arrives.
 */
static void skipped_sync_gives_stale_data(const char *name)
{
	struct t_dev e = t_dev_open(name);
	uint64_t len = e.info.mem_size < 2 * PAGE ? e.info.mem_size : 2 * PAGE;
	int src, dst, chk;

	if (!bounces_always(&e))
		ktap_skip("%s does not bounce every mapping (profile %s)", name,
			  getenv("MMDMA_EXPECT") ?: "none");
	src = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	dst = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	chk = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	/* Device -> CPU. */
	ASSERT(mmdma_buf_attach(dst, e.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
	ASSERT_OK(mmdma_buf_fill(dst, 0, len, 1));
	ASSERT_OK(mmdma_buf_fill(src, 0, len, 2));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, 0, -1, 0, 0, len, NULL));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ATTACHED, -1, 0, dst, 0,
			 0, len, NULL));
	ktap_diag("without a sync for the CPU the buffer keeps its old bytes");
	t_expect_pattern_at(dst, 0, len, 1);
	ASSERT_OK(mmdma_buf_sync(dst, e.fd, 0, len, MMDMA_DIR_FROM_DEVICE,
				 MMDMA_SYNC_FOR_CPU));
	t_expect_copy(dst, len, 0, 0, len, 2);

	/* CPU -> device: the bounce copy is what src held when mapped (seed 2). */
	ASSERT(mmdma_buf_attach(src, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	ASSERT_OK(mmdma_buf_fill(src, 0, len, 3));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, src, 0, -1, 0,
			 0, len, NULL));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, chk, 0, 0, len, NULL));
	ktap_diag("without a sync for the device it reads the stale bounce copy");
	t_expect_copy(chk, 2 * PAGE, 0, 0, len, 2);
	ASSERT_OK(mmdma_buf_sync(src, e.fd, 0, len, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_DEVICE));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, src, 0, -1, 0,
			 0, len, NULL));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, chk, 0, 0, len, NULL));
	t_expect_copy(chk, 2 * PAGE, 0, 0, len, 3);
	close(src);
	close(dst);
	close(chk);
	close(e.fd);
}

static void skipped_sync_gives_stale_data_edu(void) { skipped_sync_gives_stale_data(T_EDU); }
static void skipped_sync_gives_stale_data_soft(void) { skipped_sync_gives_stale_data(T_SOFT); }

/*
 * MMDMA_BUF_SYNC syncs exactly its range where the DMA layer maps entry by
 * entry: under swiotlb=force, a sync for the CPU over a range that starts
 * and ends inside pages copies those bytes out of the bounce slots and no
 * others, across entry boundaries.
 */
static void partial_sync_is_exact(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	uint64_t size = 4 * PAGE, from = PAGE + 100, to = 3 * PAGE - 50;
	int src, dst;
	uint8_t *d;

	if (!bounces_always(&e))
		ktap_skip("%s does not bounce every mapping (profile %s)", T_SOFT,
			  getenv("MMDMA_EXPECT") ?: "none");
	src = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	dst = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT(mmdma_buf_attach(dst, e.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
	ASSERT_OK(mmdma_buf_fill(dst, 0, size, 11));
	ASSERT_OK(mmdma_buf_fill(src, 0, size, 12));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, 0, -1, 0, 0, size, NULL));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ATTACHED, -1, 0, dst,
			 0, 0, size, NULL));
	ASSERT_OK(mmdma_buf_sync(dst, e.fd, from, to - from,
				 MMDMA_DIR_FROM_DEVICE, MMDMA_SYNC_FOR_CPU));
	d = t_map(dst, size, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(d, 0, from, 11);
	t_expect_pattern(d + from, from, to - from, 12);
	t_expect_pattern(d + to, to, size - to, 11);
	munmap(d, size);
	close(src);
	close(dst);
	close(e.fd);
}

/*
 * Behind an IOMMU the pages of a buffer merge into fewer bus segments;
 * a sync of a range inside one then covers the whole attachment (no bus
 * range names it), and the data the device wrote arrives.  The DMA-API
 * debug checks of the debug kernel see only whole-table syncs there.
 */
static void sync_on_merged_iommu_mapping(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	uint64_t size = 16 * PAGE, off = 5 * PAGE + 7, len = 1000;
	int kmsg = kmsg_open();
	int src, dst, n;

	if (!(e.info.flags & MMDMA_DEVF_IOMMU))
		ktap_skip("%s is not behind an IOMMU (profile %s)", T_EDU,
			  getenv("MMDMA_EXPECT") ?: "none");
	src = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	dst = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	n = mmdma_buf_attach(dst, e.fd, MMDMA_DIR_BIDIRECTIONAL);
	ASSERT(n >= 1);
	EXPECT(n < 16);
	ASSERT_OK(mmdma_buf_fill(src, 0, PAGE, 13));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, 0, -1, 0, 0, len, NULL));
	ASSERT_OK(mmdma_buf_sync(dst, e.fd, off, len, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_DEVICE));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ATTACHED, -1, 0, dst,
			 off, 0, len, NULL));
	ASSERT_OK(mmdma_buf_sync(dst, e.fd, off, len, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_CPU));
	t_expect_copy(dst, size, off, 0, len, 13);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(src);
	close(dst);
	close(e.fd);
}

/*
 * A sync the device does not need does nothing and is counted: the
 * software engine snoops caches (x86) and, unless swiotlb bounces every
 * mapping, no segment is bounced, so the DMA layer says no sync is needed
 * and each MMDMA_BUF_SYNC returns at once.  Under swiotlb=force every
 * sync copies, none is skipped (the stale-data cases show the copies).
 */
static void sync_skipped_when_device_needs_none(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(3 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint64_t want = bounces_always(&e) ? 0 : 3;

	if (e.info.flags & MMDMA_DEVF_IOMMU)
		ktap_skip("%s is behind an IOMMU: the DMA layer decides per kernel",
			  T_SOFT);
	EXPECT_EQ(t_info(buf).syncs_skipped, 0);
	/* Not attached: refused before anything is counted. */
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, PAGE, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), ENOENT);
	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	/* A direction the mapping does not allow is refused, skipped or not. */
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, PAGE, MMDMA_DIR_FROM_DEVICE,
				  MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_EQ(t_info(buf).syncs_skipped, 0);
	ASSERT_OK(mmdma_buf_sync(buf, e.fd, 0, 3 * PAGE, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_CPU));
	ASSERT_OK(mmdma_buf_sync(buf, e.fd, 0, 3 * PAGE, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_DEVICE));
	ASSERT_OK(mmdma_buf_sync(buf, e.fd, PAGE + 5, 10, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_DEVICE));
	EXPECT_EQ(t_info(buf).syncs_skipped, want);
	/* After detach the attachment is gone for the skip path too. */
	ASSERT_OK(mmdma_buf_detach(buf, e.fd));
	EXPECT_ERR(mmdma_buf_sync(buf, e.fd, 0, PAGE, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), ENOENT);
	EXPECT_EQ(t_info(buf).syncs_skipped, want);
	close(buf);
	close(e.fd);
}

/*
 * A 64 MiB page array comes in 4 MiB blocks on a young machine, so it maps
 * for the software engine in few segments: at most 57, a sixteenth of the
 * 923 that order-0 pages took on a fresh guest (issue 16), and never more
 * segments than blocks plus single pages allow.  swiotlb=force cuts every
 * segment to what one bounce slot run holds, so there the count is not
 * the allocator's.
 */
static void page_array_64mib_maps_to_few_segments(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(64UL << 20, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_buf_info info = t_info(buf);
	int n;

	if (bounces_always(&e))
		ktap_skip("swiotlb=force: segments are cut to bounce slots");
	ktap_diag("%llu blocks", (unsigned long long)info.blocks);
	EXPECT(info.blocks >= 16);
	EXPECT(info.blocks <= 57);
	n = mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL);
	ASSERT(n >= 1);
	ktap_diag("%d segments", n);
	EXPECT(n <= 57);
	EXPECT((uint64_t)n <= info.blocks);
	close(buf);
	close(e.fd);
}

/*
 * A 256 MiB page array on a young machine is mostly one physical run, but
 * no segment of its mapping is longer than 64 MiB, so a range sync at its
 * far end names a segment that starts at most 64 MiB before it (the debug
 * kernel's DMA-API check finds mappings only within 128 MiB below a synced
 * address, and would report the sync as one of memory never mapped).
 */
static void long_runs_cut_into_64mib_segments(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	uint64_t size = 256ULL << 20;
	int buf, n;

	/* There every segment is one bounce slot run, and 256 MiB does not fit. */
	if (bounces_always(&e))
		ktap_skip("swiotlb=force: segments are cut to bounce slots");
	buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	n = mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL);
	ASSERT(n >= 1);
	ktap_diag("%d segments", n);
	EXPECT(n >= 4);
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, size - 3 * PAGE, 2 * PAGE + 7,
				 MMDMA_DIR_BIDIRECTIONAL, MMDMA_SYNC_FOR_CPU));
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, size - 3 * PAGE, 2 * PAGE + 7,
				 MMDMA_DIR_BIDIRECTIONAL, MMDMA_SYNC_FOR_DEVICE));
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, 100 << 20, 1, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_CPU));
	close(buf);
	close(e.fd);
}

/* The bus address list covers the buffer, in order, and transfers use it. */
static void dma_addrs_describe_attachment(const char *name)
{
	struct t_dev e = t_dev_open(name);
	uint64_t size = 7 * PAGE, phys, total = 0, at = 0, soff = 5 * PAGE + 3;
	int buf = t_reachable_buf(&e, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int contig = t_reachable_buf(&e, 3 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	struct mmdma_dma_seg segs[8], one;
	struct mmdma_buf_dma_addrs bad = { .dev_fd = e.fd, .flags = 1 };
	struct mmdma_xfer x;
	uint32_t nr = 0;
	int n;

	n = mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE);
	ASSERT(n >= 1 && n <= 7);
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_DMA_ADDRS, &bad), EINVAL);
	EXPECT_EQ(mmdma_buf_dma_addrs(buf, e.fd, 0, 0, NULL, &nr), 0);
	EXPECT_EQ(nr, (uint32_t)n);
	ASSERT_EQ(mmdma_buf_dma_addrs(buf, e.fd, 0, 8, segs, &nr), n);
	for (int i = 0; i < n; i++) {
		EXPECT(segs[i].len > 0);
		total += segs[i].len;
	}
	EXPECT_EQ(total, size);
	EXPECT_EQ(mmdma_buf_dma_addrs(buf, e.fd, n, 8, segs, NULL), 0);
	EXPECT_ERR(mmdma_buf_dma_addrs(buf, e.fd, n + 1, 1, segs, NULL), EINVAL);
	EXPECT_ERR(mmdma_buf_dma_addrs(buf, e.fd, 0, 1, (void *)8, NULL), EFAULT);
	if (n > 1) {
		EXPECT_EQ(mmdma_buf_dma_addrs(buf, e.fd, 1, 1, &one, NULL), 1);
		EXPECT_EQ(one.dma_addr, segs[1].dma_addr);
	}
	/* Without an IOMMU or bouncing, a bus address is the physical one. */
	ASSERT_OK(mmdma_buf_phys(buf, 0, 1, &phys));
	if (!t_profile_is("swiotlb") && !(e.info.flags & MMDMA_DEVF_IOMMU))
		EXPECT_EQ(segs[0].dma_addr, phys);

	/* An attached transfer starts where the list says. */
	for (int i = 0; i < n; i++) {
		if (soff < at + segs[i].len) {
			EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED,
					 buf, soff, -1, 0, 0, 100, &x));
			EXPECT_EQ(x.bus_addr, segs[i].dma_addr + soff - at);
			break;
		}
		at += segs[i].len;
	}

	/* Physically contiguous memory is one segment. */
	ASSERT_EQ(mmdma_buf_attach(contig, e.fd, MMDMA_DIR_FROM_DEVICE), 1);
	ASSERT_EQ(mmdma_buf_dma_addrs(contig, e.fd, 0, 8, segs, &nr), 1);
	EXPECT_EQ(segs[0].len, 3 * PAGE);
	close(buf);
	close(contig);
	close(e.fd);
}

static void dma_addrs_describe_attachment_edu(void) { dma_addrs_describe_attachment(T_EDU); }
static void dma_addrs_describe_attachment_soft(void) { dma_addrs_describe_attachment(T_SOFT); }

static void unprivileged(void *arg)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_dma_seg seg;

	(void)arg;
	t_drop_cap(CAP_SYS_RAWIO);
	/* Attaching and syncing disclose nothing, not even the segment count ... */
	ASSERT_EQ(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL), 0);
	EXPECT_OK(mmdma_buf_sync(buf, e.fd, 0, PAGE, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_DEVICE));
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, buf, 0, -1, 0,
			 0, 100, NULL));
	/* ... bus addresses let a process aim DMA. */
	EXPECT_ERR(mmdma_buf_dma_addrs(buf, e.fd, 0, 1, &seg, NULL), EPERM);
}

/* Without CAP_SYS_RAWIO no bus addresses. */
static void dma_addrs_need_cap_sys_rawio(void)
{
	EXPECT_EQ(t_wait(t_fork(unprivileged, NULL)), 0);
}

/*
 * Memory the edu device cannot reach is never attached: the driver does
 * not bounce attachments, and without an IOMMU or swiotlb in reach the
 * DMA layer could not either.  Importing it as a dma-buf fails the same way.
 */
static void unreachable_memory_erange(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	uint64_t size = 320ULL << 20;
	int buf, dmabuf;

	if (!t_profile_is("limited"))
		ktap_skip("all memory is in the device's reach (profile %s)",
			  getenv("MMDMA_EXPECT") ?: "none");
	/* Big enough that a 512 MiB VM must place some of it above 256 MiB. */
	buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	EXPECT_ERR(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE), ERANGE);
	dmabuf = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
	ASSERT_OK(dmabuf);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, dmabuf, 0, -1, 0, 0, 100, NULL),
		     ERANGE);
	close(dmabuf);
	close(buf);
	close(e.fd);
}

/* Closing the buffer's last fd and mapping tears its attachments down. */
static void close_tears_attachments_down(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(3 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint32_t before = t_nr_buffers();
	char path[128], line[256] = "";
	void *p;
	FILE *f;

	snprintf(path, sizeof(path), BUFS_SYSFS "/%u/attachments", t_info(buf).id);
	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	p = t_map(buf, 3 * PAGE, PROT_READ, MAP_SHARED, 0);
	f = fopen(path, "r");
	ASSERT(f != NULL);
	EXPECT(fgets(line, sizeof(line), f) != NULL);
	fclose(f);
	EXPECT_EQ(strcmp(line, T_SOFT " to-device mapped\n"), 0);
	/* The mapping keeps the file, and so the attachment. */
	close(buf);
	EXPECT_EQ(t_nr_buffers(), before);
	EXPECT_OK(access(path, R_OK));
	ASSERT_OK(munmap(p, 3 * PAGE));
	EXPECT_EQ(t_nr_buffers(), before - 1);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	close(e.fd);
}

struct bg_xfer {
	struct t_dev *e;
	int src, dst;
	uint64_t len;
	int ret;
};

static void *bg_attached_to_dev(void *arg)
{
	struct bg_xfer *b = arg;

	b->ret = t_xfer(b->e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, b->src, 0,
			-1, 0, 0, b->len, NULL);
	return NULL;
}

static void *bg_attached_roundtrip(void *arg)
{
	struct bg_xfer *b = arg;

	b->ret = t_xfer(b->e, MMDMA_XFER_ROUNDTRIP, MMDMA_XFER_ATTACHED, b->src, 0,
			b->dst, 0, 0, b->len, NULL);
	return NULL;
}

static bool soft_busy(void)
{
	return t_read_ull("/sys/class/misc/" T_SOFT "/busy") != 0;
}

struct bg_xfer_done {
	struct bg_xfer b;
	int done;		/* set (atomically) once the transfer returned */
};

static void *bg_attached_roundtrip_done(void *arg)
{
	struct bg_xfer_done *bd = arg;

	bg_attached_roundtrip(&bd->b);
	__atomic_store_n(&bd->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *bg_sg_roundtrip_done(void *arg)
{
	struct bg_xfer_done *bd = arg;

	bd->b.ret = t_xfer_dma(bd->b.e->fd, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, 0,
			       bd->b.src, 0, bd->b.dst, 0, 0, bd->b.len, NULL);
	__atomic_store_n(&bd->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool bg_running(struct bg_xfer_done *bd)
{
	return !__atomic_load_n(&bd->done, __ATOMIC_ACQUIRE);
}

/*
 * While a transfer has a buffer's bytes mapped for a device (a scatter/gather
 * round trip on edu, 100 ms of guest time per operation, 4 operations),
 * nothing may map the same bytes for it a second time: an attach of either
 * buffer is EBUSY, and so is a transfer whose range shares a cacheline with
 * the destination's or reads it, even one that shares no byte.  Two that
 * only read the source both go, and so does a transfer into bytes past the
 * destination's last cacheline; each then holds exactly its own bytes
 * (under swiotlb each unmap copies its bounce slot back).  After the
 * transfer ends, the attach succeeds (or is ERANGE, in the "limited"
 * profile, for memory out of edu's reach).
 */
static void inflight_mapping_blocks_attach_and_overlap_edu(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	uint64_t size = 2 * PAGE, len = PAGE + 100;
	struct bg_xfer_done bd = { .b = { .e = &e, .len = len } };
	int kmsg = kmsg_open();
	uint8_t tmp[200];
	pthread_t t;
	bool overlap_ok;

	int ret;

	/*
	 * Memory in reach or not: a transfer bounces what edu cannot reach,
	 * and the record is the same.  Only the attach afterwards may then
	 * say ERANGE, in the "limited" profile.
	 */
	bd.b.src = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	bd.b.dst = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(bd.b.src, 0, size, 43));
	ASSERT_OK(pthread_create(&t, NULL, bg_sg_roundtrip_done, &bd));
	ASSERT(t_wait_ull("/sys/class/misc/" T_EDU "/busy", 1, T_POLL_MS));
	ASSERT(bg_running(&bd));

	EXPECT_ERR(mmdma_buf_attach(bd.b.dst, e.fd, MMDMA_DIR_FROM_DEVICE), EBUSY);
	EXPECT_ERR(mmdma_buf_attach(bd.b.src, e.fd, MMDMA_DIR_TO_DEVICE), EBUSY);
	/* The last byte of the destination's range, written again. */
	EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0,
			      bd.b.dst, len - 1, 0, 100, NULL), EBUSY);
	/* No byte in common, but the cacheline of the range's last byte. */
	EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_PAGE, 0, -1, 0,
			      bd.b.dst, len, 0, 20, NULL), EBUSY);
	/* Read by the device while the device writes it. */
	EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, bd.b.dst, 0,
			      -1, 0, 0, 300, NULL), EBUSY);
	/* Written by the device while the device reads it. */
	EXPECT_ERR(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0,
			      bd.b.src, PAGE, 0, 300, NULL), EBUSY);
	/*
	 * Read twice at once: allowed.  Checked and mapped while the round
	 * trip runs, then queued behind it (edu runs one request at a time).
	 */
	overlap_ok = bg_running(&bd);
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, bd.b.src, 0,
			     -1, 0, 2048, 300, NULL));
	/* A copying method maps nothing of the buffer. */
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_POOL, 0, bd.b.dst, 0,
			     -1, 0, 2048, 200, NULL));
	ASSERT_OK(pthread_join(t, NULL));
	EXPECT_OK(bd.b.ret);
	EXPECT(overlap_ok);
	t_expect_pattern_at(bd.b.dst, 0, len, 43);

	/* After the transfer: the same transfers go, and the attach too. */
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, bd.b.src, 0,
			     -1, 0, 0, 200, NULL));
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_PAGE, 0, -1, 0,
			     bd.b.dst, len, 0, 20, NULL));
	ASSERT_EQ(pread(bd.b.dst, tmp, 20, len), 20);
	t_expect_pattern(tmp, 0, 20, 43);
	t_expect_pattern_at(bd.b.dst, 0, len, 43);
	for (int i = 0; i < 2; i++) {
		int fd = i ? bd.b.src : bd.b.dst;

		ret = mmdma_buf_attach(fd, e.fd, MMDMA_DIR_BIDIRECTIONAL);
		if (ret == -ERANGE && t_profile_is("limited")) {
			ktap_diag("buffer %d out of edu's reach: attach ERANGE", i);
			continue;
		}
		EXPECT(ret >= 1);
		EXPECT_OK(mmdma_buf_detach(fd, e.fd));
	}
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	close(bd.b.src);
	close(bd.b.dst);
	close(e.fd);
}

/*
 * Two transfers at once into ranges of one buffer that share no cacheline
 * both go, each with exactly its bytes (the first is on edu's engine when
 * the second is checked and queued).
 */
static void inflight_disjoint_ranges_both_go_edu(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	uint64_t size = 8 * PAGE, len = 4 * PAGE;
	struct bg_xfer_done bd = { .b = { .e = &e, .len = len } };
	int src2 = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint8_t tmp[1000];
	bool concurrent;
	pthread_t t;

	/* Out of reach too: a bounced page is recorded as a mapped one. */
	bd.b.src = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	bd.b.dst = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(bd.b.src, 0, size, 47));
	ASSERT_OK(mmdma_buf_fill(src2, 0, PAGE, 53));
	ASSERT_OK(pthread_create(&t, NULL, bg_sg_roundtrip_done, &bd));
	ASSERT(t_wait_ull("/sys/class/misc/" T_EDU "/busy", 1, T_POLL_MS));
	concurrent = bg_running(&bd);
	/* Mapped now, then queued behind it. */
	EXPECT_OK(t_xfer_dma(e.fd, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_SG, 0, src2, 0,
			     bd.b.dst, len + 64, 0, 1000, NULL));
	ASSERT_OK(pthread_join(t, NULL));
	EXPECT(concurrent);
	EXPECT_OK(bd.b.ret);
	t_expect_pattern_at(bd.b.dst, 0, len, 47);
	ASSERT_EQ(pread(bd.b.dst, tmp, sizeof(tmp), len + 64), (ssize_t)sizeof(tmp));
	t_expect_pattern(tmp, 0, sizeof(tmp), 53);
	close(src2);
	close(bd.b.src);
	close(bd.b.dst);
	close(e.fd);
}

/*
 * Direct I/O whose user memory is a mapping of a buffer attached to the
 * device (through the buffer fd or its dma-buf) would map the buffer's pages
 * for it a second time: EBUSY, both ways, for any transfer that maps (more
 * than MMDMA_POOL_MAX bytes); a small one is copied through the pool, and
 * after the detach the big one goes, with the buffer's bytes.
 */
static void dio_from_attached_mapping_ebusy(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	size_t size = 3 * PAGE, len = 2 * PAGE + 1;
	int buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int d = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
	uint8_t *p, *q, *r, *back = malloc(len);

	ASSERT(back != NULL);
	ASSERT_OK(d);
	ASSERT_OK(mmdma_buf_fill(buf, 0, size, 59));
	p = t_map(buf, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	q = t_map(d, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	EXPECT_SYSERR(pwrite(e.fd, p, len, 0), EBUSY);
	EXPECT_SYSERR(pread(e.fd, p + PAGE, len - PAGE, 0), EBUSY);
	EXPECT_SYSERR(pwrite(e.fd, q + 1, len, 0), EBUSY);
	/* A range that only ends in the buffer's mapping counts too. */
	r = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(r != MAP_FAILED);
	memset(r, 1, PAGE);
	ASSERT(mmap(r + PAGE, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, buf, 0) ==
	       r + PAGE);
	EXPECT_SYSERR(pwrite(e.fd, r + PAGE - 10, MMDMA_POOL_MAX + 11, 0), EBUSY);
	EXPECT_EQ(pwrite(e.fd, r, PAGE, 0), (ssize_t)PAGE);
	munmap(r, 4 * PAGE);
	EXPECT_EQ(pwrite(e.fd, p, MMDMA_POOL_MAX, 0), MMDMA_POOL_MAX);
	EXPECT_OK(mmdma_buf_detach(buf, e.fd));
	EXPECT_EQ(pwrite(e.fd, q, len, 0), (ssize_t)len);
	EXPECT_EQ(pread(e.fd, back, len, 0), (ssize_t)len);
	t_expect_pattern(back, 0, len, 59);
	munmap(q, size);
	munmap(p, size);
	free(back);
	close(d);
	close(buf);
	close(e.fd);
}

/* Swaps what is mapped at an address until told to stop. */
struct map_swapper {
	uint8_t *addr;
	size_t size;
	int buf;
	volatile int stop;
	volatile unsigned long swaps;
};

static void *swap_mappings(void *arg)
{
	struct map_swapper *s = arg;

	while (!s->stop) {
		mmap(s->addr, s->size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		mmap(s->addr, s->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     s->buf, 0);
		s->swaps++;
	}
	return NULL;
}

/*
 * Direct I/O into an address where another thread keeps replacing a
 * mapping of an attached buffer with anonymous memory and back.  The pages
 * a read pins and the mappings it looks up to find buffers must be the
 * same: a read that pinned the buffer's pages and then saw anonymous memory
 * mapped the attached buffer a second time for the device (DMA-API debug:
 * "overlapping mappings"), and the device wrote it.  Every read is EBUSY,
 * EFAULT (nothing mapped at that moment) or lands in anonymous memory; the
 * buffer keeps its bytes.  Before the fix a hit came within ten reads on
 * the debug kernel.
 */
static void dio_racing_mapping_swap_never_maps_twice(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	size_t size = 32 * PAGE;
	struct map_swapper s = { .size = size };
	uint8_t *src = malloc(size), back[64];
	unsigned long ok = 0, busy = 0, fault = 0, other = 0, hits = 0, i;
	pthread_t t;

	ASSERT(src != NULL);
	memset(src, 0xa5, size);
	ASSERT_EQ(pwrite(e.fd, src, size, 0), (ssize_t)size);
	s.buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(s.buf, 0, size, 59));
	s.addr = t_map(s.buf, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT(mmdma_buf_attach(s.buf, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	ASSERT_OK(-pthread_create(&t, NULL, swap_mappings, &s));
	/*
	 * Bounded: more contention on the mmap lock than this had a debug
	 * kernel under TCG report an RCU stall of the spinning writer.
	 */
	for (i = 0; i < 3000 && !hits; i++) {
		unsigned long seen = s.swaps, spins = 0;
		ssize_t r;

		/* Readers can starve the swapper's mmap(): let one through. */
		while (s.swaps == seen && spins++ < 100000)
			sched_yield();
		r = pread(e.fd, s.addr, size, 0);

		if (r == (ssize_t)size) {
			ok++;
			ASSERT_EQ(pread(s.buf, back, sizeof(back), 0), (ssize_t)sizeof(back));
			hits += back[0] == 0xa5;
		} else if (r < 0 && errno == EBUSY) {
			busy++;
		} else if (r < 0 && errno == EFAULT) {
			fault++;
		} else {
			other++;
		}
	}
	s.stop = 1;
	ASSERT_OK(-pthread_join(t, NULL));
	ktap_diag("reads %lu: into anonymous memory %lu, EBUSY %lu, EFAULT %lu, other %lu, swaps %lu",
		  i, ok, busy, fault, other, s.swaps);
	EXPECT_EQ(hits, 0);
	EXPECT_EQ(other, 0);
	/* Both sides of the race were exercised, or the case proves nothing. */
	EXPECT(ok > 0 && busy > 0 && s.swaps > 0);
	t_expect_pattern_at(s.buf, 0, size, 59);
	EXPECT_OK(mmdma_buf_detach(s.buf, e.fd));
	munmap(s.addr, size);
	close(s.buf);
	close(e.fd);
	free(src);
}

/*
 * Detach and close while an attached transfer is on the engine: the
 * transfer holds its mapping until it ends.  First made certain with an
 * engine that never reports completion (the transfer times out, the
 * mapping goes after it; KASAN and the DMA-API checks watch), then with
 * data on edu: the unmap hands the destination back to the CPU, so it is
 * exact.  Each detach waits until the engine is busy with the transfer.
 */
static void detach_during_attached_transfer(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	uint64_t len = 16ULL << 20;
	unsigned long long saved = t_param_get("op_timeout_ms");
	struct bg_xfer b = { .e = &e, .len = len };
	bool busy, in_flight;
	pthread_t t;

	b.src = t_buf(len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT(mmdma_buf_attach(b.src, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	/*
	 * The hung operation ends at the time-out, so the detach must come
	 * before it: 20 s of guest time is far more than a detach takes on
	 * a loaded host, and costs no wall time under icount (idle skipped).
	 */
	t_param_set("op_timeout_ms", 20000);
	t_param_set("soft_inject_hang", 1);
	ASSERT_OK(pthread_create(&t, NULL, bg_attached_to_dev, &b));
	busy = t_wait_ull("/sys/class/misc/" T_SOFT "/busy", 1, T_POLL_MS);
	EXPECT_OK(mmdma_buf_detach(b.src, e.fd));
	close(b.src);
	EXPECT(busy && soft_busy());
	ASSERT_OK(pthread_join(t, NULL));
	t_param_set("op_timeout_ms", saved);
	EXPECT_ERR(b.ret, ETIMEDOUT);
	close(e.fd);

	/*
	 * With data, on edu: each of its operations takes 100 ms, so the
	 * transfer is certain to be in flight when the detach and close
	 * (microseconds) are done, where soft may have finished already.
	 */
	{
		struct t_dev edu = t_dev_open(T_EDU);
		struct bg_xfer_done bd = { .b = { .e = &edu, .len = 8 * PAGE } };

		bd.b.src = t_reachable_buf(&edu, bd.b.len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		bd.b.dst = t_reachable_buf(&edu, bd.b.len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		ASSERT(mmdma_buf_attach(bd.b.src, edu.fd, MMDMA_DIR_TO_DEVICE) >= 1);
		ASSERT(mmdma_buf_attach(bd.b.dst, edu.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
		ASSERT_OK(mmdma_buf_fill(bd.b.src, 0, bd.b.len, 61));
		ASSERT_OK(mmdma_buf_sync(bd.b.src, edu.fd, 0, bd.b.len, MMDMA_DIR_TO_DEVICE,
					 MMDMA_SYNC_FOR_DEVICE));
		ASSERT_OK(pthread_create(&t, NULL, bg_attached_roundtrip_done, &bd));
		ASSERT(t_wait_ull("/sys/class/misc/" T_EDU "/busy", 1, T_POLL_MS));
		EXPECT_OK(mmdma_buf_detach(bd.b.src, edu.fd));
		EXPECT_OK(mmdma_buf_detach(bd.b.dst, edu.fd));
		close(bd.b.src);
		in_flight = !__atomic_load_n(&bd.done, __ATOMIC_ACQUIRE);
		busy = t_read_ull("/sys/class/misc/" T_EDU "/busy") != 0;
		ASSERT_OK(pthread_join(t, NULL));
		EXPECT(in_flight);
		EXPECT(busy);
		EXPECT_OK(bd.b.ret);
		t_expect_pattern_at(bd.b.dst, 0, bd.b.len, 61);
		close(bd.b.dst);
		close(edu.fd);
	}
}

/*
 * Unbinding the device unmaps its attachments before it is gone (the
 * debug kernel's DMA-API checks would report a mapping left behind); they
 * stay on the buffer, unmapped, and every use but detach says ENODEV.
 */
static void device_gone_attachments_enodev(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	const char *bdf = t_edu_bdf();
	int a = t_reachable_buf(&e, 2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int b = t_reachable_buf(&e, 2 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	struct mmdma_dma_seg seg;
	char path[128], line[256] = "";
	FILE *f;

	ASSERT(mmdma_buf_attach(a, e.fd, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	ASSERT(mmdma_buf_attach(b, e.fd, MMDMA_DIR_FROM_DEVICE) >= 1);
	t_write_str("/sys/bus/pci/drivers/mmdma-edu/unbind", bdf);

	EXPECT_ERR(mmdma_buf_sync(a, e.fd, 0, PAGE, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), ENODEV);
	EXPECT_ERR(mmdma_buf_dma_addrs(a, e.fd, 0, 1, &seg, NULL), ENODEV);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, a, 0, -1, 0,
			  0, 100, NULL), ENODEV);
	EXPECT_ERR(mmdma_buf_attach(b, e.fd, MMDMA_DIR_TO_DEVICE), ENODEV);
	snprintf(path, sizeof(path), BUFS_SYSFS "/%u/attachments", t_info(b).id);
	f = fopen(path, "r");
	ASSERT(f != NULL);
	EXPECT(fgets(line, sizeof(line), f) != NULL);
	fclose(f);
	EXPECT_EQ(strcmp(line, T_EDU " from-device gone\n"), 0);
	EXPECT_OK(mmdma_buf_detach(a, e.fd));
	EXPECT_ERR(mmdma_buf_detach(a, e.fd), ENOENT);
	EXPECT_ERR(mmdma_buf_attach(a, e.fd, MMDMA_DIR_TO_DEVICE), ENODEV);
	/* b goes with its attachment still there, unmapped. */
	close(b);
	close(e.fd);

	close(t_edu_rebind(bdf));
	e = t_dev_open(T_EDU);
	EXPECT(mmdma_buf_attach(a, e.fd, MMDMA_DIR_TO_DEVICE) >= 1);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, a, 0, -1, 0,
			 0, 100, NULL));
	close(a);
	close(e.fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(info_reports_attach_dmabuf_sysfs),
	KTAP_CASE(attach_bad_input_rejected),
	KTAP_CASE(attached_xfer_bad_input_rejected),
	KTAP_CASE(dma_addrs_need_cap_sys_rawio),
	KTAP_CASE(unreachable_memory_erange),
	KTAP_CASE(attach_twice_ebusy_detach_frees),
	KTAP_CASE(second_mapping_of_attached_buffer_ebusy),
	KTAP_CASE(cross_device_overlap_ebusy),
	KTAP_CASE_T(inflight_mapping_blocks_attach_and_overlap_edu, 200),
	KTAP_CASE_T(inflight_disjoint_ranges_both_go_edu, 200),
	KTAP_CASE(dio_from_attached_mapping_ebusy),
	KTAP_CASE_T(dio_racing_mapping_swap_never_maps_twice, 200),
	KTAP_CASE_T(attached_roundtrip_exact_edu, 300),
	KTAP_CASE_T(attached_roundtrip_exact_soft, 300),
	KTAP_CASE(skipped_sync_gives_stale_data_edu),
	KTAP_CASE(skipped_sync_gives_stale_data_soft),
	KTAP_CASE(partial_sync_is_exact),
	KTAP_CASE(sync_on_merged_iommu_mapping),
	KTAP_CASE(dma_addrs_describe_attachment_edu),
	KTAP_CASE(dma_addrs_describe_attachment_soft),
	KTAP_CASE(close_tears_attachments_down),
	KTAP_CASE_T(detach_during_attached_transfer, 200),
	KTAP_CASE(device_gone_attachments_enodev),
	KTAP_CASE(sync_skipped_when_device_needs_none),
	KTAP_CASE(page_array_64mib_maps_to_few_segments),
	KTAP_CASE(long_runs_cut_into_64mib_segments),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
