// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the request builder of mmdma_xfer.c: how a transfer is
 * cut into hardware operations (max_op, device memory, copy buffers), how
 * a round trip interleaves its two halves, and the range checks.  Included
 * at the end of mmdma_xfer.c (CONFIG_KUNIT only) to reach static helpers.
 * No device is involved: the fake mmdma_dev has no DMA device (dev_dbg()
 * copes with a NULL one).
 */
#include <kunit/test.h>

static struct mmdma_dev mmdma_kunit_mdev(size_t mem_size, size_t max_op)
{
	return (struct mmdma_dev){ .mem_size = mem_size, .max_op = max_op };
}

/* Operations never pass max_op; bus, device and host offsets advance. */
static void mmdma_kunit_emit_max_op(struct kunit *test)
{
	struct mmdma_dev mdev = mmdma_kunit_mdev(4095, 1000);
	struct mmdma_req req = { .mdev = &mdev };
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
	struct mmdma_dev mdev = mmdma_kunit_mdev(1 << 20, 1 << 20);
	struct mmdma_req req = { .mdev = &mdev };
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
	struct mmdma_dev mdev = mmdma_kunit_mdev(4095, 1 << 20);
	struct mmdma_req req = { .mdev = &mdev };
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
	struct mmdma_dev mdev = mmdma_kunit_mdev(SZ_1M, 7);
	struct mmdma_req req = { .mdev = &mdev };
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

/* Chunk by chunk: source in, destination out, in host order. */
static void mmdma_kunit_merge_chunks(struct kunit *test)
{
	struct mmdma_dev mdev = mmdma_kunit_mdev(4095, 2000);
	struct mmdma_req req = { .mdev = &mdev };
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
	struct mmdma_dev mdev = mmdma_kunit_mdev(4095, 4095);
	struct mmdma_req req = { .mdev = &mdev };

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
	req.host[0].kaddr = &mdev;
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

static struct kunit_case mmdma_xfer_kunit_cases[] = {
	KUNIT_CASE(mmdma_kunit_emit_max_op),
	KUNIT_CASE(mmdma_kunit_emit_copy),
	KUNIT_CASE(mmdma_kunit_emit_chunked),
	KUNIT_CASE(mmdma_kunit_emit_grows),
	KUNIT_CASE(mmdma_kunit_merge_chunks),
	KUNIT_CASE(mmdma_kunit_req_check),
	KUNIT_CASE(mmdma_kunit_pin_user_range),
	{}
};

static struct kunit_suite mmdma_xfer_kunit_suite = {
	.name = "mmdma_xfer",
	.test_cases = mmdma_xfer_kunit_cases,
};
kunit_test_suite(mmdma_xfer_kunit_suite);
