// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the buffer checks of mmdma_buf.c and mmdma_mmap.c.
 * Included at the end of mmdma_buf.c (CONFIG_KUNIT only), so it reaches
 * the file's static helpers without exporting them; KUnit runs it when the
 * module loads and keeps its results in debugfs (kunit/mmdma_buf/results).
 */
#include <kunit/test.h>

/*
 * Every kind/method pair of ABI version 1: only remap_pfn_range() is
 * picky.  Unknown values are far out of range, so that kinds and methods
 * added later do not change the answer.
 */
static void mmdma_kunit_method_valid(struct kunit *test)
{
	static const u32 kinds[] = { 0, MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG,
				     MMDMA_MEM_VMALLOC };
	static const u32 methods[] = { 0, MMDMA_MAP_REMAP, MMDMA_MAP_FAULT,
				       MMDMA_MAP_INSERT, 0x7fffffff, U32_MAX };
	unsigned int k, m;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (m = 0; m < ARRAY_SIZE(methods); m++) {
			u32 kind = kinds[k], method = methods[m];
			bool want = (method == MMDMA_MAP_REMAP &&
				     kind == MMDMA_MEM_CONTIG) ||
				    method == MMDMA_MAP_FAULT ||
				    method == MMDMA_MAP_INSERT;

			KUNIT_EXPECT_EQ_MSG(test, mmdma_method_valid(kind, method),
					    want, "kind %u method %u", kind, method);
		}
	}
}

/* Byte ranges: empty, wrapping and out-of-buffer ones are refused. */
static void mmdma_kunit_range_ok(struct kunit *test)
{
	struct mmdma_buf buf = { .size = 3 * PAGE_SIZE, .nr_pages = 3 };
	const u64 size = buf.size;

	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, 0, size), 0);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, size - 1, 1), 0);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, size, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, 1, size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, size, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, U64_MAX, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, 2, U64_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmdma_buf_range_ok(&buf, U64_MAX, U64_MAX), -EINVAL);
}

static struct mmdma_alloc mmdma_kunit_alloc(u64 size, u32 kind, u32 method)
{
	return (struct mmdma_alloc){ .size = size, .kind = kind, .method = method };
}

/* MMDMA_IOC_ALLOC's checks, one field at a time. */
static void mmdma_kunit_alloc_check(struct kunit *test)
{
	struct mmdma_alloc ok = mmdma_kunit_alloc(1, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_alloc a;

	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&ok), 0);
	a = ok; a.flags = MMDMA_ALLOC_CLOEXEC;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), 0);
	a = ok; a.flags = 1U << 31;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.fd = 3;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.device = 1;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.kind = 0;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.kind = 0x7fffffff;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.method = MMDMA_MAP_REMAP;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.cache = 0x7fffffff;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.size = 0;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -EINVAL);
	a = ok; a.size = (u64)mmdma_max_buf_size + 1;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -E2BIG);
	a = ok; a.size = U64_MAX;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -E2BIG);
	a = mmdma_kunit_alloc(mmdma_max_contig_size(), MMDMA_MEM_CONTIG,
			      MMDMA_MAP_REMAP);
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), 0);
	a.size++;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a),
			-E2BIG);
}

/* Past the caps: more than the machine has never reaches PAGE_ALIGN(). */
static void mmdma_kunit_alloc_over_ram(struct kunit *test)
{
	unsigned long saved = mmdma_max_buf_size;
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	struct mmdma_alloc a = mmdma_kunit_alloc(ram + 1, MMDMA_MEM_PAGES,
						 MMDMA_MAP_FAULT);

	mmdma_max_buf_size = ULONG_MAX;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -ENOMEM);
	a.size = U64_MAX;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -ENOMEM);
	a.size = U64_MAX - PAGE_SIZE + 2;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), -ENOMEM);
	a.size = ram;
	KUNIT_EXPECT_EQ(test, mmdma_alloc_check(&a), 0);
	mmdma_max_buf_size = saved;
}

/*
 * A buffer fd without FMODE_WRITE dispatches through mmdma_buf_ro_ioctls.
 * No such fd can be made from user space (buffer fds are read-write and
 * cannot be reopened), so the table's checks are tested here, on the
 * structs the dispatcher would have copied in: every write is EBADF before
 * anything else, and what only reads goes on to the ordinary handler,
 * whose own first check (a bad flag, here) answers.  No handler reaches
 * the buffer on these paths, so none is needed.
 */
static void mmdma_kunit_readonly_fd(struct kunit *test)
{
	struct mmdma_buf_fill fill = { .length = 1 };
	struct mmdma_buf_attach att = { .dev_fd = -1, .flags = 1 };
	struct mmdma_buf_sync sync = { .dev_fd = -1, .length = 1 };
	struct mmdma_buf_export exp = { .reserved = { 1 } };

	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_fill_ro(NULL, &fill, NULL), -EBADF);

	att.dir = MMDMA_DIR_FROM_DEVICE;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_attach_ro(NULL, &att, NULL), -EBADF);
	att.dir = MMDMA_DIR_BIDIRECTIONAL;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_attach_ro(NULL, &att, NULL), -EBADF);
	att.dir = MMDMA_DIR_TO_DEVICE;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_attach_ro(NULL, &att, NULL), -EINVAL);

	/* flags 0 is not a sync direction: EINVAL once past the mode check. */
	sync.dir = MMDMA_DIR_FROM_DEVICE;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_sync_ro(NULL, &sync, NULL), -EBADF);
	sync.dir = MMDMA_DIR_BIDIRECTIONAL;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_sync_ro(NULL, &sync, NULL), -EBADF);
	sync.dir = MMDMA_DIR_TO_DEVICE;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_sync_ro(NULL, &sync, NULL), -EINVAL);

	exp.fd_flags = O_RDWR;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_export_ro(NULL, &exp, NULL, 0), -EBADF);
	exp.fd_flags = O_RDWR | O_CLOEXEC;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_export_ro(NULL, &exp, NULL, 0), -EBADF);
	exp.fd_flags = O_RDONLY;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_export_ro(NULL, &exp, NULL, 0), -EINVAL);
	exp.fd_flags = O_WRONLY;
	KUNIT_EXPECT_EQ(test, mmdma_buf_ioc_export_ro(NULL, &exp, NULL, 0), -EINVAL);
}

/*
 * A page array's blocks stay whole, as the allocator gave them, until
 * mmdma_buf_split(): the head holds the only count and the rest none, so
 * freeing a buffer never mapped is one __free_pages() per block.  After
 * the split (first mmap or export) every page has a count of its own.
 * 256 + 16 + 1 pages: one 1 MiB block, one 64 KiB block, one page (the
 * module loads on a young machine, where these orders are there).  The
 * allocator's free-time checks (the debug kernel's) see both frees.
 */
static void mmdma_kunit_blocks_whole_until_split(struct kunit *test)
{
	struct mmdma_buf *buf;
	unsigned long i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		buf = kunit_kzalloc(test, sizeof(*buf), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		buf->kind = MMDMA_MEM_PAGES;
		buf->nr_pages = 256 + 16 + 1;
		buf->size = buf->nr_pages << PAGE_SHIFT;
		KUNIT_ASSERT_EQ(test, mmdma_alloc_memory(buf), 0);
		KUNIT_EXPECT_EQ(test, buf->nr_blocks, 2UL);
		KUNIT_EXPECT_FALSE(test, buf->split);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[0]), 1);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[1]), 0);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[255]), 0);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[256]), 1);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[257]), 0);
		KUNIT_EXPECT_EQ(test, page_count(buf->pages[272]), 1);
		if (pass) {
			mmdma_buf_split(buf);
			KUNIT_EXPECT_TRUE(test, buf->split);
			/* Once done, done: a second call changes nothing. */
			mmdma_buf_split(buf);
			for (i = 0; i < buf->nr_pages; i++)
				KUNIT_EXPECT_EQ(test, page_count(buf->pages[i]), 1);
		}
		mmdma_free_memory(buf);
	}
}

static struct kunit_case mmdma_buf_kunit_cases[] = {
	KUNIT_CASE(mmdma_kunit_method_valid),
	KUNIT_CASE(mmdma_kunit_range_ok),
	KUNIT_CASE(mmdma_kunit_alloc_check),
	KUNIT_CASE(mmdma_kunit_alloc_over_ram),
	KUNIT_CASE(mmdma_kunit_readonly_fd),
	KUNIT_CASE(mmdma_kunit_blocks_whole_until_split),
	{}
};

static struct kunit_suite mmdma_buf_kunit_suite = {
	.name = "mmdma_buf",
	.test_cases = mmdma_buf_kunit_cases,
};
kunit_test_suite(mmdma_buf_kunit_suite);
