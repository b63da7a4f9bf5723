// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings the kernel can use, cache modes and huge mappings.
 *
 *  - A mapping built from struct pages (FAULT, INSERT) is ordinary user
 *    memory: get_user_pages() pins it, so O_DIRECT reads from a block
 *    device, io_uring reads and process_vm_writev() land in it, byte-exact.
 *    A PFN map (REMAP, HUGE) cannot be pinned: each of them gets EFAULT.
 *    mmdma's own direct I/O (read() on /dev/mmdma-soft0) into every
 *    kind/method is test_dio's mmdma_buffer_as_user_memory; the HUGE method
 *    is checked here.
 *  - Cache modes WC and UC map and read back what the kernel wrote, and
 *    BUF_INFO reports them.  Under TCG no timing shows the difference, and
 *    PAT tracks RAM pages in page flags, not in pat_memtype_list, so the
 *    attribute itself is not observable from user space.
 *  - MMDMA_MAP_HUGE: one fault per 2 MiB, a 4 KiB fallback after a split.
 *
 * The O_DIRECT source is a RAM disk (brd), loaded from the initramfs when
 * the kernel ships it as a module; without one those cases skip.
 */
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

#define MIB		(1024UL * 1024)
#define RAMDISK		"/dev/ram0"
#define BRD_KO		"/lib/mmdma/kmod/brd.ko"

static const int rw = PROT_READ | PROT_WRITE;

/* Every kind/method pair that maps, with HUGE (which needs 2 MiB sizes). */
static const struct combo all[] = {
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_INSERT },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE },
};
#define NR_ALL	(sizeof(all) / sizeof(all[0]))

static bool pfn_map(const struct combo *c)
{
	return c->method == MMDMA_MAP_REMAP || c->method == MMDMA_MAP_HUGE;
}

static uint64_t features(void)
{
	int ctl = t_ctl();
	struct mmdma_info info;

	ASSERT_OK(mmdma_info(ctl, &info));
	close(ctl);
	return info.features;
}

static int t_buf_cache(uint64_t size, uint32_t kind, uint32_t method,
		       uint32_t cache)
{
	int ctl = t_ctl();
	int fd = mmdma_alloc_cache(ctl, size, kind, method, cache, 0);

	if (fd < 0)
		ktap_fail(true, __FILE__, __LINE__, "alloc %llu bytes %s/%s cache %s: %s",
			  (unsigned long long)size, mmdma_kind_name(kind),
			  mmdma_method_name(method), mmdma_cache_name(cache),
			  strerror(-fd));
	close(ctl);
	return fd;
}

/* A buffer of @c, @size bytes (2 MiB for HUGE), mapped shared. */
static uint8_t *map_combo(const struct combo *c, size_t size, int *fd)
{
	*fd = t_buf(size, c->kind, c->method);
	return t_map(*fd, size, rw, MAP_SHARED, 0);
}

static size_t combo_size(const struct combo *c)
{
	return c->method == MMDMA_MAP_HUGE ? 2 * MIB : 24 * PAGE;
}

/*
 * The RAM disk, opened O_DIRECT, with @len bytes of pattern @seed written
 * at offset 0.  Skips when the kernel has no brd driver.
 */
static int ramdisk(size_t len, uint32_t seed)
{
	uint8_t *src;
	int fd, ret;

	if (access(RAMDISK, F_OK)) {
		if (access(BRD_KO, R_OK))
			ktap_skip("no RAM disk for O_DIRECT: this kernel has no brd driver built in or shipped as a module");
		ret = mod_load(BRD_KO, "rd_nr=1 rd_size=8192 max_part=0");
		if (ret && ret != -EEXIST)
			ktap_fail(true, __FILE__, __LINE__, "load %s: %s", BRD_KO,
				  strerror(-ret));
		for (int i = 0; i < 100 && access(RAMDISK, F_OK); i++)
			usleep(10000);
	}
	fd = open(RAMDISK, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		ktap_fail(true, __FILE__, __LINE__, "open %s O_DIRECT: %s", RAMDISK,
			  strerror(errno));
	src = t_map(-1, len, rw, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	mmdma_pattern_fill(src, 0, len, seed);
	ASSERT_EQ(pwrite(fd, src, len, 0), (ssize_t)len);
	munmap(src, len);
	return fd;
}

/*
 * Bytes [@off, @off + @len) of the buffer behind @fd, read through the
 * kernel's mapping, hold the pattern @seed had at [@pat_off, ...).
 */
static void expect_buffer(int fd, uint64_t off, uint64_t pat_off, size_t len,
			  uint32_t seed)
{
	uint8_t *back = malloc(len);

	ASSERT(back);
	ASSERT_EQ(pread(fd, back, len, off), (ssize_t)len);
	t_expect_pattern(back, pat_off, len, seed);
	free(back);
}

/* Bad cache modes, and WC/UC for memory that cannot take them: EINVAL. */
static void cache_mode_bad_values_einval(void)
{
	static const uint32_t bad[] = { 4, 5, 99, UINT32_MAX };
	int ctl = t_ctl();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERR(mmdma_alloc_cache(ctl, PAGE, MMDMA_MEM_PAGES,
					     MMDMA_MAP_FAULT, bad[i], 0), EINVAL);
	/* vmalloc memory has a second kernel alias no one can keep in step. */
	for (uint32_t m = MMDMA_MAP_FAULT; m <= MMDMA_MAP_INSERT; m++) {
		EXPECT_ERR(mmdma_alloc_cache(ctl, PAGE, MMDMA_MEM_VMALLOC, m,
					     MMDMA_CACHE_WC, 0), EINVAL);
		EXPECT_ERR(mmdma_alloc_cache(ctl, PAGE, MMDMA_MEM_VMALLOC, m,
					     MMDMA_CACHE_UC, 0), EINVAL);
	}
	close(ctl);
}

/* HUGE needs contiguous memory, a whole number of 2 MiB: EINVAL otherwise. */
static void huge_bad_kind_or_size_einval(void)
{
	static const uint64_t sizes[] = {
		1, PAGE, 2 * MIB - PAGE, 2 * MIB + 1, 2 * MIB + PAGE, 3 * MIB,
	};
	int ctl = t_ctl();

	EXPECT_ERR(mmdma_alloc(ctl, 2 * MIB, MMDMA_MEM_PAGES, MMDMA_MAP_HUGE, 0),
		   EINVAL);
	EXPECT_ERR(mmdma_alloc(ctl, 2 * MIB, MMDMA_MEM_VMALLOC, MMDMA_MAP_HUGE, 0),
		   EINVAL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int r = mmdma_alloc(ctl, sizes[i], MMDMA_MEM_CONTIG,
				    MMDMA_MAP_HUGE, 0);

		if (r != -EINVAL)
			ktap_fail(false, __FILE__, __LINE__,
				  "huge buffer of %llu bytes: got %d, expected -EINVAL",
				  (unsigned long long)sizes[i], r);
		if (r >= 0)
			close(r);
	}
	close(ctl);
}

/* A PFN map cannot copy on write: MAP_PRIVATE of a HUGE buffer is EINVAL. */
static void huge_private_mapping_refused(void)
{
	int fd = t_buf(2 * MIB, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);

	EXPECT_SYSERR(mmap(NULL, 2 * MIB, rw, MAP_PRIVATE, fd, 0), EINVAL);
	EXPECT_SYSERR(mmap(NULL, 2 * MIB, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
}

/*
 * O_DIRECT from a block device straight into the mapping: the block layer
 * pins the pages with GUP.  PFN maps: EFAULT, and nothing written.
 */
static void odirect_read_into_mappings(void)
{
	const size_t len = 16 * PAGE + 512;
	int disk = ramdisk(2 * MIB, 21);
	int kmsg = kmsg_open();

	for (size_t i = 0; i < NR_ALL; i++) {
		int fd;
		size_t size = combo_size(&all[i]);
		uint8_t *m = map_combo(&all[i], size, &fd);

		if (pfn_map(&all[i])) {
			EXPECT_SYSERR(pread(disk, m + PAGE, len, 0), EFAULT);
			EXPECT(m[PAGE] == 0 && m[PAGE + len - 1] == 0);
		} else {
			EXPECT_EQ(pread(disk, m + PAGE, len, 0), (ssize_t)len);
			/* The kernel's view of the buffer has the bytes. */
			expect_buffer(fd, PAGE, 0, len, 21);
		}
		if (ktap_failed())
			ktap_diag("failed for %s", combo_name(&all[i]));
		munmap(m, size);
		close(fd);
	}
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(disk);
}

/* The same reads submitted through io_uring. */
static void io_uring_read_into_mappings(void)
{
	const size_t len = 8 * PAGE + 1024;
	int disk = ramdisk(2 * MIB, 22);
	struct io_uring ring;
	int ret = io_uring_queue_init(4, &ring, 0);

	if (ret == -ENOSYS)
		ktap_skip("io_uring not available");
	ASSERT_OK(ret);
	for (size_t i = 0; i < NR_ALL; i++) {
		int fd;
		size_t size = combo_size(&all[i]);
		uint8_t *m = map_combo(&all[i], size, &fd);
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;

		ASSERT(sqe);
		/* Disk offset 4096 lands at buffer offset 8192. */
		io_uring_prep_read(sqe, disk, m + 2 * PAGE, len, PAGE);
		ASSERT_EQ(io_uring_submit(&ring), 1);
		ASSERT_OK(io_uring_wait_cqe(&ring, &cqe));
		if (pfn_map(&all[i])) {
			EXPECT_EQ(cqe->res, -EFAULT);
		} else {
			EXPECT_EQ(cqe->res, (int)len);
			expect_buffer(fd, 2 * PAGE, PAGE, len, 22);
		}
		io_uring_cqe_seen(&ring, cqe);
		if (ktap_failed())
			ktap_diag("failed for %s", combo_name(&all[i]));
		munmap(m, size);
		close(fd);
	}
	io_uring_queue_exit(&ring);
	close(disk);
}

/*
 * process_vm_writev() reaches the target's memory with GUP on its mm, no
 * block device needed: the same verdicts on every kernel.
 */
static void process_vm_writev_into_mappings(void)
{
	const size_t len = 5 * PAGE + 99;
	uint8_t *src = malloc(len);

	ASSERT(src);
	mmdma_pattern_fill(src, 3, len, 23);
	for (size_t i = 0; i < NR_ALL; i++) {
		int fd;
		size_t size = combo_size(&all[i]);
		uint8_t *m = map_combo(&all[i], size, &fd);
		struct iovec local = { src, len }, remote = { m + 3, len };
		ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);

		if (pfn_map(&all[i])) {
			EXPECT_EQ(n, -1);
			EXPECT_EQ(errno, EFAULT);
		} else {
			EXPECT_EQ(n, (ssize_t)len);
			expect_buffer(fd, 3, 3, len, 23);
		}
		if (ktap_failed())
			ktap_diag("failed for %s", combo_name(&all[i]));
		munmap(m, size);
		close(fd);
	}
	free(src);
}

/* mmdma's own direct I/O cannot pin a HUGE mapping either. */
static void mmdma_dio_into_huge_mapping_efault(void)
{
	int dev = mmdma_dev_open("mmdma-soft0");
	int fd;
	uint8_t *m;

	if (dev == -ENOENT)
		ktap_skip("no device mmdma-soft0");
	ASSERT_OK(dev);
	fd = t_buf(2 * MIB, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	m = t_map(fd, 2 * MIB, rw, MAP_SHARED, 0);
	EXPECT_SYSERR(pread(dev, m, 2 * PAGE, 0), EFAULT);
	EXPECT_EQ(pwrite(dev, m, 0, 0), 0);
	EXPECT_SYSERR(pwrite(dev, m, PAGE, 0), EFAULT);
	munmap(m, 2 * MIB);
	close(fd);
	close(dev);
}

/* Each cache mode, each method that can use it: data both ways, BUF_INFO. */
static void cache_modes_map_and_read_back(void)
{
	static const uint32_t modes[] = {
		MMDMA_CACHE_DEFAULT, MMDMA_CACHE_CACHED, MMDMA_CACHE_WC,
		MMDMA_CACHE_UC,
	};
	int kmsg = kmsg_open();

	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		for (size_t i = 0; i < NR_ALL; i++) {
			const struct combo *c = &all[i];
			size_t size = combo_size(c);
			uint32_t want = modes[k] ? modes[k] : MMDMA_CACHE_CACHED;
			uint32_t seed = (uint32_t)(k * 16 + i);
			int fd;
			uint8_t *m;
			struct mmdma_buf_info info;

			if (modes[k] >= MMDMA_CACHE_WC && c->kind == MMDMA_MEM_VMALLOC)
				continue;	/* refused, see above */
			fd = t_buf_cache(size, c->kind, c->method, modes[k]);
			info = t_info(fd);
			EXPECT_EQ(info.cache, want);
			ASSERT_OK(mmdma_buf_fill(fd, 0, size, seed));
			m = t_map(fd, size, rw, MAP_SHARED, 0);
			t_expect_pattern(m, 0, size, seed);
			mmdma_pattern_fill(m + 5, 5, size - 10, seed + 1);
			expect_buffer(fd, 5, 5, size - 10, seed + 1);
			if (ktap_failed())
				ktap_diag("failed for %s, cache %s", combo_name(c),
					  mmdma_cache_name(modes[k]));
			munmap(m, size);
			close(fd);
		}
	}
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/*
 * MAP_PRIVATE of a WC or UC buffer is EINVAL, read-only or not, directly or
 * through its dma-buf: its copies on write would be write-back pages mapped
 * WC/UC (or, mapped cached, the buffer's own pages would be).  Shared
 * mappings work; a cached buffer still takes MAP_PRIVATE.
 */
static void cache_wc_uc_private_mapping_refused(void)
{
	static const uint32_t modes[] = { MMDMA_CACHE_WC, MMDMA_CACHE_UC };
	static const struct combo cs[] = {
		{ MMDMA_MEM_PAGES, MMDMA_MAP_FAULT },
		{ MMDMA_MEM_PAGES, MMDMA_MAP_INSERT },
		{ MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT },
		{ MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT },
	};
	int kmsg = kmsg_open();

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
			int fd = t_buf_cache(2 * PAGE, cs[i].kind, cs[i].method, modes[k]);
			int d = mmdma_buf_export(fd, O_RDWR | O_CLOEXEC);
			void *p;

			ASSERT_OK(d);
			EXPECT_SYSERR(mmap(NULL, 2 * PAGE, rw, MAP_PRIVATE, fd, 0), EINVAL);
			EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE), EINVAL);
			EXPECT_SYSERR(mmap(NULL, 2 * PAGE, rw, MAP_PRIVATE, d, 0), EINVAL);
			p = t_map(fd, 2 * PAGE, rw, MAP_SHARED, 0);
			munmap(p, 2 * PAGE);
			if (ktap_failed())
				ktap_diag("failed for %s, cache %s", combo_name(&cs[i]),
					  mmdma_cache_name(modes[k]));
			close(d);
			close(fd);
		}
	}
	/* The rule is about the cache mode, not the method. */
	int fd = t_buf_cache(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT,
			     MMDMA_CACHE_CACHED);
	munmap(t_map(fd, 2 * PAGE, rw, MAP_PRIVATE, 0), 2 * PAGE);
	close(fd);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/*
 * A WC or UC buffer hands its pages back write-back: PAT refuses to make a
 * page WC again unless it is, so many rounds on recycled pages all succeed.
 */
static void cache_modes_restore_write_back(void)
{
	int kmsg;

	if (access("/sys/kernel/debug/x86/pat_memtype_list", F_OK))
		ktap_skip("PAT is off (no pat_memtype_list): page memory types are not tracked");
	kmsg = kmsg_open();

	for (int round = 0; round < 40; round++) {
		uint32_t mode = round & 1 ? MMDMA_CACHE_UC : MMDMA_CACHE_WC;
		uint32_t kind = round & 2 ? MMDMA_MEM_CONTIG : MMDMA_MEM_PAGES;
		int fd = t_buf_cache(64 * PAGE, kind, MMDMA_MAP_INSERT, mode);
		uint8_t *m = t_map(fd, 64 * PAGE, rw, MAP_SHARED, 0);

		m[round] = 1;
		munmap(m, 64 * PAGE);
		close(fd);
	}
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/* A HUGE mapping at a 2 MiB-aligned address shows the buffer, both ways. */
static void huge_mapping_data_right(void)
{
	const size_t size = 4 * MIB;
	int fd = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	uint8_t *m;
	struct mmdma_buf_info info = t_info(fd);

	EXPECT_EQ(info.method, MMDMA_MAP_HUGE);
	ASSERT_OK(mmdma_buf_fill(fd, 0, size, 31));
	m = t_map(fd, size, rw, MAP_SHARED, 0);
	EXPECT_EQ((uintptr_t)m % (2 * MIB), 0);
	t_expect_pattern(m, 0, size, 31);
	mmdma_pattern_fill(m + 1, 1, size - 2, 32);
	expect_buffer(fd, 1, 1, size - 2, 32);
	/* A window at an offset: the second 2 MiB alone. */
	munmap(m, size);
	m = t_map(fd, 2 * MIB, PROT_READ, MAP_SHARED, 2 * MIB);
	t_expect_pattern(m, 2 * MIB, 2 * MIB - 1, 32);
	munmap(m, 2 * MIB);
	/* Not 2 MiB-aligned in the buffer: served 4 KiB at a time, still right. */
	m = t_map(fd, 3 * PAGE, PROT_READ, MAP_SHARED, 5 * PAGE);
	t_expect_pattern(m, 5 * PAGE, 3 * PAGE, 32);
	munmap(m, 3 * PAGE);
	close(fd);
}

static void need_huge_pmds(void)
{
	if (!(features() & MMDMA_FEAT_MAP_HUGE))
		ktap_skip("MMDMA_FEAT_MAP_HUGE clear: this kernel never asks a non-anonymous VMA for a huge fault (6.1 without CONFIG_FS_DAX)");
}

/* Every page of a 4 MiB HUGE buffer touched: 2 huge faults, 0 small ones. */
static void huge_4mib_takes_two_huge_faults(void)
{
	const size_t size = 4 * MIB;
	int fd;
	uint8_t *m;
	struct mmdma_buf_info info;

	need_huge_pmds();
	fd = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	ASSERT_OK(mmdma_buf_fill(fd, 0, size, 41));
	m = t_map(fd, size, rw, MAP_SHARED, 0);
	for (size_t off = 0; off < size; off += PAGE) {
		if (m[off + 17] != mmdma_pattern_byte(41, off + 17)) {
			ktap_fail(false, __FILE__, __LINE__, "byte %zu wrong", off + 17);
			break;
		}
		m[off] = (uint8_t)(off >> 12);
	}
	info = t_info(fd);
	EXPECT_EQ(info.huge_faults, 2);
	EXPECT_EQ(info.faults, 0);
	for (size_t off = 0; off < size; off += PAGE)
		if (m[off] != (uint8_t)(off >> 12)) {
			ktap_fail(false, __FILE__, __LINE__, "page %zu lost its write", off / PAGE);
			break;
		}
	munmap(m, size);
	close(fd);
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* The THP setting in force: the word in brackets. */
static void thp_setting(char *out, size_t len)
{
	char text[128] = "", *l, *r;
	FILE *f = fopen(THP_ENABLED, "re");

	if (!f)
		ktap_skip("no %s", THP_ENABLED);
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	l = strchr(text, '[');
	r = l ? strchr(l, ']') : NULL;
	ASSERT(l && r);
	*r = '\0';
	snprintf(out, len, "%s", l + 1);
}

/* THP "madvise": VM_HUGEPAGE on the VMA still lets the huge faults in. */
static void huge_allowed_by_thp_madvise(void)
{
	const size_t size = 4 * MIB;
	char old[32];
	int fd;
	uint8_t *m;
	struct mmdma_buf_info info;

	need_huge_pmds();
	thp_setting(old, sizeof(old));
	t_write_str(THP_ENABLED, "madvise");
	fd = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	ASSERT_OK(mmdma_buf_fill(fd, 0, size, 71));
	m = t_map(fd, size, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(m, 0, size, 71);
	info = t_info(fd);
	t_write_str(THP_ENABLED, old);
	EXPECT_EQ(info.huge_faults, 2);
	EXPECT_EQ(info.faults, 0);
	munmap(m, size);
	close(fd);
}

/*
 * munmap() of a piece inside a huge mapping splits (zaps) its PMD: the rest
 * comes back through the 4 KiB fault path, with the right data.
 */
static void huge_partial_munmap_falls_back(void)
{
	const size_t size = 4 * MIB;
	bool pmds = features() & MMDMA_FEAT_MAP_HUGE;
	int fd = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	uint8_t *m;
	struct mmdma_buf_info info;

	ASSERT_OK(mmdma_buf_fill(fd, 0, size, 51));
	m = t_map(fd, size, rw, MAP_SHARED, 0);
	t_expect_pattern(m, 0, size, 51);
	ASSERT_OK(munmap(m + MIB, MIB));
	EXPECT_EQ(t_live_maps(fd), 2);
	/* The first MiB, its PMD gone, is mapped again page by page. */
	t_expect_pattern(m, 0, MIB, 51);
	t_expect_pattern(m + 2 * MIB, 2 * MIB, 2 * MIB, 51);
	mmdma_pattern_fill(m, 0, MIB, 52);
	expect_buffer(fd, 0, 0, MIB, 52);
	info = t_info(fd);
	if (pmds) {
		EXPECT_EQ(info.huge_faults, 2);
		EXPECT_EQ(info.faults, MIB / PAGE);
	} else {
		EXPECT_EQ(info.huge_faults, 0);
	}
	munmap(m, MIB);
	munmap(m + 2 * MIB, 2 * MIB);
	EXPECT_EQ(t_live_maps(fd), 0);
	close(fd);
}

struct fork_arg {
	uint8_t *m;
	size_t size;
};

static void huge_child(void *p)
{
	struct fork_arg *a = p;

	t_expect_pattern(a->m, 0, a->size, 61);
	a->m[a->size - 1] = 0xa5;
}

/* A child of fork() sees (and writes) the same memory. */
static void huge_fork_shares_memory(void)
{
	const size_t size = 2 * MIB;
	int fd = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	struct fork_arg a = { .size = size };

	ASSERT_OK(mmdma_buf_fill(fd, 0, size, 61));
	a.m = t_map(fd, size, rw, MAP_SHARED, 0);
	t_expect_pattern(a.m, 0, size, 61);
	EXPECT_EQ(t_wait(t_fork(huge_child, &a)), 0);
	EXPECT_EQ(a.m[size - 1], 0xa5);
	EXPECT_EQ(t_live_maps(fd), 1);
	munmap(a.m, size);
	close(fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(cache_mode_bad_values_einval),
	KTAP_CASE(huge_bad_kind_or_size_einval),
	KTAP_CASE(huge_private_mapping_refused),
	KTAP_CASE(odirect_read_into_mappings),
	KTAP_CASE(io_uring_read_into_mappings),
	KTAP_CASE(process_vm_writev_into_mappings),
	KTAP_CASE(mmdma_dio_into_huge_mapping_efault),
	KTAP_CASE_T(cache_modes_map_and_read_back, 300),
	KTAP_CASE(cache_modes_restore_write_back),
	KTAP_CASE(cache_wc_uc_private_mapping_refused),
	KTAP_CASE(huge_mapping_data_right),
	KTAP_CASE(huge_4mib_takes_two_huge_faults),
	KTAP_CASE(huge_allowed_by_thp_madvise),
	KTAP_CASE(huge_partial_munmap_falls_back),
	KTAP_CASE(huge_fork_shares_memory),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
