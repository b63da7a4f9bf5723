// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the request builder of mmdma_xfer.c: how a transfer is
 * cut into hardware operations (max_op, device memory, copy buffers), how
 * a round trip interleaves its two halves, the range checks, and how sg
 * tables are built for a device's largest mapping.  Included
 * at the end of mmdma_xfer.c (CONFIG_KUNIT only) to reach static helpers.
 * No real device is involved: the fake mmdma_dev has no DMA device
 * (dev_dbg() copes with a NULL one), and the sg cases use a bare struct
 * device that the DMA layer maps directly.
 */
#include <kunit/test.h>

/* On the heap: struct mmdma_dev is too big for a KASAN kernel's stack frame. */
static struct mmdma_dev *mmdma_kunit_mdev(struct kunit *test, size_t mem_size,
					  size_t max_op)
{
	struct mmdma_dev *mdev = kunit_kzalloc(test, sizeof(*mdev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mdev);
	mdev->mem_size = mem_size;
	mdev->max_op = max_op;
	return mdev;
}

/* Operations never pass max_op; bus, device and host offsets advance. */
static void mmdma_kunit_emit_max_op(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, 4095, 1000);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen g = { .req = &req, .to_dev = true, .dev_base = 10 };
	unsigned int i;

	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0x10000, 2500, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 3U);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, g.ops[i].len, i < 2 ? 1000U : 500U);
		KUNIT_EXPECT_EQ(test, g.ops[i].bus, (dma_addr_t)(0x10000 + 1000 * i));
		KUNIT_EXPECT_EQ(test, g.ops[i].dev_off, 10 + 1000 * i);
		KUNIT_EXPECT_EQ(test, g.ops[i].host_off, (size_t)(1000 * i));
		KUNIT_EXPECT_TRUE(test, g.ops[i].to_dev);
		KUNIT_EXPECT_EQ(test, g.ops[i].copy, (u8)MMDMA_COPY_NONE);
	}
	/* A second range continues where the first stopped. */
	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0x80000, 1, MMDMA_COPY_NONE, false), 0);
	KUNIT_EXPECT_EQ(test, g.nr, 4U);
	KUNIT_EXPECT_EQ(test, g.ops[3].dev_off, 2510U);
	KUNIT_EXPECT_EQ(test, g.ops[3].host_off, (size_t)2500);
	KUNIT_EXPECT_EQ(test, g.ops[3].len, 1U);
	kvfree(g.ops);
}

/* A copy is cut to its buffer's size and reuses the buffer's bus address. */
static void mmdma_kunit_emit_copy(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, 1 << 20, 1 << 20);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen g = { .req = &req, .host = 1 };
	size_t pos = 0;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0x9000, 600, MMDMA_COPY_POOL, false), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 3U);
	KUNIT_EXPECT_EQ(test, g.ops[0].len, (u32)MMDMA_POOL_MAX);
	KUNIT_EXPECT_EQ(test, g.ops[2].len, 600U - 2 * MMDMA_POOL_MAX);
	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0xa000, 2 * MMDMA_STAGE_SIZE + 1,
					 MMDMA_COPY_BOUNCE, true), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 6U);
	for (i = 0; i < g.nr; i++) {
		KUNIT_EXPECT_EQ(test, g.ops[i].bus, (dma_addr_t)(i < 3 ? 0x9000 : 0xa000));
		KUNIT_EXPECT_EQ(test, g.ops[i].host_off, pos);
		KUNIT_EXPECT_EQ(test, g.ops[i].host, 1);
		KUNIT_EXPECT_EQ(test, g.ops[i].bounce, i >= 3);
		pos += g.ops[i].len;
	}
	KUNIT_EXPECT_EQ(test, g.ops[5].len, 1U);
	KUNIT_EXPECT_EQ(test, pos, (size_t)(600 + 2 * MMDMA_STAGE_SIZE + 1));
	kvfree(g.ops);
}

/* A round trip reuses device memory: no operation crosses its end. */
static void mmdma_kunit_emit_chunked(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, 4095, 1 << 20);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen g = { .req = &req, .chunked = true };

	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0, 3000, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0x100000, 7000, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 4U);
	KUNIT_EXPECT_EQ(test, g.ops[0].len, 3000U);
	KUNIT_EXPECT_EQ(test, g.ops[1].len, 1095U);
	KUNIT_EXPECT_EQ(test, g.ops[1].dev_off, 3000U);
	KUNIT_EXPECT_EQ(test, g.ops[2].len, 4095U);
	KUNIT_EXPECT_EQ(test, g.ops[2].dev_off, 0U);
	KUNIT_EXPECT_EQ(test, g.ops[2].bus, (dma_addr_t)(0x100000 + 1095));
	KUNIT_EXPECT_EQ(test, g.ops[3].len, 10000U - 3000 - 1095 - 4095);
	KUNIT_EXPECT_EQ(test, g.ops[3].dev_off, 0U);
	kvfree(g.ops);
}

/* The operation array grows past its first allocation without losing any. */
static void mmdma_kunit_emit_grows(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, SZ_1M, 7);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen g = { .req = &req };
	unsigned int i;

	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0, 7 * 300 + 3, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 301U);
	KUNIT_EXPECT_GE(test, g.cap, g.nr);
	for (i = 0; i < g.nr; i++)
		KUNIT_EXPECT_EQ(test, g.ops[i].host_off, (size_t)(7 * i));
	KUNIT_EXPECT_EQ(test, g.ops[300].len, 3U);
	kvfree(g.ops);
}

/* No operation crosses the device's segment boundary (ISA: 64 KiB). */
static void mmdma_kunit_emit_boundary(struct kunit *test)
{
	struct device_dma_parameters parms = { .segment_boundary_mask = 0xffff };
	/* struct device is too big for a KUnit case's stack. */
	struct device *dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, SZ_1M, SZ_1M);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen g = { .req = &req };

	KUNIT_ASSERT_NOT_NULL(test, dev);
	dev->dma_parms = &parms;
	mdev->dma = dev;
	KUNIT_ASSERT_EQ(test, mmdma_emit(&g, 0xf000, 0x13000, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, g.nr, 3U);
	KUNIT_EXPECT_EQ(test, g.ops[0].bus, (dma_addr_t)0xf000);
	KUNIT_EXPECT_EQ(test, g.ops[0].len, 0x1000U);
	KUNIT_EXPECT_EQ(test, g.ops[1].bus, (dma_addr_t)0x10000);
	KUNIT_EXPECT_EQ(test, g.ops[1].len, 0x10000U);
	KUNIT_EXPECT_EQ(test, g.ops[2].bus, (dma_addr_t)0x20000);
	KUNIT_EXPECT_EQ(test, g.ops[2].len, 0x2000U);
	KUNIT_EXPECT_EQ(test, g.ops[2].host_off, (size_t)0x11000);
	kvfree(g.ops);
}

/* Chunk by chunk: source in, destination out, in host order. */
static void mmdma_kunit_merge_chunks(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, 4095, 2000);
	struct mmdma_req req = { .mdev = mdev };
	struct mmdma_opgen src = { .req = &req, .host = 0, .to_dev = true, .chunked = true };
	struct mmdma_opgen dst = { .req = &req, .host = 1, .chunked = true };
	/* Each half: 2000 + 2000 + 95 in the first window, 1905 in the next. */
	static const u8 host[] = { 0, 0, 0, 1, 1, 1, 0, 1 };
	size_t covered[2] = { 0, 0 };
	unsigned int i;

	KUNIT_ASSERT_EQ(test, mmdma_emit(&src, 0, 6000, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, mmdma_emit(&dst, 0, 6000, MMDMA_COPY_NONE, false), 0);
	KUNIT_ASSERT_EQ(test, mmdma_merge_chunks(&req, &src, &dst), 0);
	KUNIT_ASSERT_EQ(test, req.nr_ops, src.nr + dst.nr);
	KUNIT_ASSERT_EQ(test, req.nr_ops, (unsigned int)ARRAY_SIZE(host));
	for (i = 0; i < req.nr_ops; i++) {
		const struct mmdma_op *op = &req.ops[i];

		KUNIT_EXPECT_EQ_MSG(test, op->host, host[i], "op %u", i);
		/* Each half stays in host order. */
		KUNIT_EXPECT_EQ_MSG(test, op->host_off, covered[op->host], "op %u", i);
		covered[op->host] += op->len;
	}
	KUNIT_EXPECT_EQ(test, covered[0], (size_t)6000);
	KUNIT_EXPECT_EQ(test, covered[1], (size_t)6000);
	kvfree(req.ops);
	kvfree(src.ops);
	kvfree(dst.ops);
}

/* Device ranges: the last byte may be used, one more is refused. */
static void mmdma_kunit_req_check(struct kunit *test)
{
	struct mmdma_dev *mdev = mmdma_kunit_mdev(test, 4095, 4095);
	struct mmdma_req req = { .mdev = mdev };

	req.host[0].len = 100;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0), 0);
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 3995), 0);
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 3996), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, U64_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, U64_MAX - 50), -EINVAL);
	/* FROM_DEV measures the destination. */
	req.host[1].len = 4096;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0), -EINVAL);
	req.host[1].len = 4095;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0), 0);
	/* A round trip takes any length, from offset 0 only. */
	req.host[0].len = 1 << 20;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_PAGE, 0), 0);
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_ROUNDTRIP, MMDMA_DMA_PAGE, 1), -EINVAL);
	/* Pool blocks are MMDMA_POOL_MAX bytes. */
	req.host[0].len = MMDMA_POOL_MAX;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_POOL, 0), 0);
	req.host[0].len = MMDMA_POOL_MAX + 1;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_POOL, 0), -EINVAL);
	/* dma_map_single() needs a linear address on every range used. */
	req.host[0].len = 10;
	req.host[1].len = 0;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SINGLE, 0), -EINVAL);
	req.host[0].kaddr = mdev;
	KUNIT_EXPECT_EQ(test, mmdma_req_check(&req, MMDMA_XFER_TO_DEV, MMDMA_DMA_SINGLE, 0), 0);
}

/* User ranges that are empty or wrap are refused before anything is pinned. */
static void mmdma_kunit_pin_user_range(struct kunit *test)
{
	struct mmdma_host h = {};

	KUNIT_EXPECT_EQ(test, mmdma_host_pin_user(&h, 0x10000, 0, DMA_TO_DEVICE), -EFAULT);
	KUNIT_EXPECT_EQ(test, mmdma_host_pin_user(&h, ULONG_MAX - 10, 100,
						  DMA_FROM_DEVICE), -EFAULT);
	KUNIT_EXPECT_EQ(test, mmdma_host_pin_user(&h, ULONG_MAX, 2, DMA_TO_DEVICE), -EFAULT);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, NULL);
	KUNIT_EXPECT_FALSE(test, h.pinned);
}

/*
 * A device the DMA layer maps directly (no dma_ops, no swiotlb pool of its
 * own: never through device_initialize()), whose largest segment is
 * @max_seg bytes (0: the DMA layer's default, 64 KiB).
 */
static struct device *mmdma_kunit_device(struct kunit *test, unsigned int max_seg)
{
	struct device *dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	struct device_dma_parameters *parms;
	u64 *mask;

	parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	mask = kunit_kzalloc(test, sizeof(*mask), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_NOT_NULL(test, parms);
	KUNIT_ASSERT_NOT_NULL(test, mask);
	*mask = DMA_BIT_MASK(64);
	dev->dma_mask = mask;
	dev->coherent_dma_mask = *mask;
	parms->max_segment_size = max_seg;
	dev->dma_parms = parms;
	return dev;
}

/* The largest mapping: the segment limit, whole pages, at least one, at
 * most MMDMA_MAX_SEGMENT. */
static void mmdma_kunit_max_mapping(struct kunit *test)
{
	struct device *dev = mmdma_kunit_device(test, 0);

	KUNIT_EXPECT_EQ(test, mmdma_max_mapping(dev), (size_t)SZ_64K);
	dev->dma_parms->max_segment_size = UINT_MAX;
	KUNIT_EXPECT_EQ(test, mmdma_max_mapping(dev), (size_t)MMDMA_MAX_SEGMENT);
	dev->dma_parms->max_segment_size = 3 * PAGE_SIZE + 100;
	KUNIT_EXPECT_EQ(test, mmdma_max_mapping(dev), 3 * PAGE_SIZE);
	dev->dma_parms->max_segment_size = 100;
	KUNIT_EXPECT_EQ(test, mmdma_max_mapping(dev), PAGE_SIZE);
}

/*
 * Check @sgt: entries no longer than @max, the first starting @off into
 * its page and the others at a page start, lengths adding up to @len and
 * pages in the order of @pages.  Returns the number of entries.
 */
static unsigned int mmdma_kunit_sg_check(struct kunit *test,
					 struct sg_table *sgt,
					 struct page **pages, size_t off,
					 size_t len, size_t max)
{
	struct scatterlist *sg;
	unsigned int i;
	size_t sum = 0, at = off;

	for_each_sgtable_sg(sgt, sg, i) {
		KUNIT_EXPECT_LE(test, (size_t)sg->length, max);
		KUNIT_EXPECT_EQ(test, (size_t)sg->offset, i ? 0 : off);
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sg), pages[at / PAGE_SIZE]);
		sum += sg->length;
		at += sg->length;
	}
	KUNIT_EXPECT_EQ(test, sum, len);
	return sgt->orig_nents;
}

/*
 * sg building: contiguous pages merge up to the device's largest mapping,
 * a gap always starts an entry, and offsets and lengths are kept.
 */
static void mmdma_kunit_sg_build(struct kunit *test)
{
	struct device *dev = mmdma_kunit_device(test, 3 * PAGE_SIZE + 100);
	struct page *block = alloc_pages(GFP_KERNEL, 3), *pages[8];
	static const unsigned int gaps[][4] = { { 0, 2, 1, 3 }, { 0, 1, 3, 2 } };
	static const unsigned int gap_entries[] = { 4, 3 };
	struct sg_table sgt;
	unsigned int i, k;

	KUNIT_ASSERT_NOT_NULL(test, block);
	for (i = 0; i < 8; i++)
		pages[i] = nth_page(block, i);

	/* Eight contiguous pages, at most three to an entry: 3 + 3 + 2. */
	KUNIT_ASSERT_EQ(test, mmdma_sgt_build(&sgt, pages, 8, 0, 8 * PAGE_SIZE, dev), 0);
	KUNIT_EXPECT_EQ(test, mmdma_kunit_sg_check(test, &sgt, pages, 0, 8 * PAGE_SIZE,
						   3 * PAGE_SIZE), 3U);
	sg_free_table(&sgt);

	/* 100 bytes into the first page, ending 200 bytes before the last's end. */
	KUNIT_ASSERT_EQ(test, mmdma_sgt_build(&sgt, pages, 8, 100, 8 * PAGE_SIZE - 300, dev), 0);
	KUNIT_EXPECT_EQ(test, mmdma_kunit_sg_check(test, &sgt, pages, 100,
						   8 * PAGE_SIZE - 300, 3 * PAGE_SIZE), 3U);
	sg_free_table(&sgt);

	/* One byte, the last of a page. */
	KUNIT_ASSERT_EQ(test, mmdma_sgt_build(&sgt, pages + 5, 1, PAGE_SIZE - 1, 1, dev), 0);
	KUNIT_EXPECT_EQ(test, mmdma_kunit_sg_check(test, &sgt, pages + 5, PAGE_SIZE - 1, 1,
						   3 * PAGE_SIZE), 1U);
	sg_free_table(&sgt);

	/* Pages out of physical order never share an entry across a gap. */
	for (k = 0; k < ARRAY_SIZE(gaps); k++) {
		struct page *order[4];

		for (i = 0; i < 4; i++)
			order[i] = pages[gaps[k][i]];
		KUNIT_ASSERT_EQ(test, mmdma_sgt_build(&sgt, order, 4, 0, 4 * PAGE_SIZE, dev), 0);
		KUNIT_EXPECT_EQ(test, mmdma_kunit_sg_check(test, &sgt, order, 0, 4 * PAGE_SIZE,
							   3 * PAGE_SIZE), gap_entries[k]);
		sg_free_table(&sgt);
	}
	__free_pages(block, 3);
}

static struct kunit_case mmdma_xfer_kunit_cases[] = {
	KUNIT_CASE(mmdma_kunit_emit_max_op),
	KUNIT_CASE(mmdma_kunit_emit_copy),
	KUNIT_CASE(mmdma_kunit_emit_chunked),
	KUNIT_CASE(mmdma_kunit_emit_grows),
	KUNIT_CASE(mmdma_kunit_emit_boundary),
	KUNIT_CASE(mmdma_kunit_merge_chunks),
	KUNIT_CASE(mmdma_kunit_req_check),
	KUNIT_CASE(mmdma_kunit_pin_user_range),
	KUNIT_CASE(mmdma_kunit_max_mapping),
	KUNIT_CASE(mmdma_kunit_sg_build),
	{}
};

static struct kunit_suite mmdma_xfer_kunit_suite = {
	.name = "mmdma_xfer",
	.test_cases = mmdma_xfer_kunit_cases,
};
kunit_test_suite(mmdma_xfer_kunit_suite);
