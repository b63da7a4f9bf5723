// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma-bench, mapping figures (issue 5): printed, never asserted.
 *  - read and write bandwidth of user space through cached, write-combining
 *    and uncached mappings of a buffer, against anonymous memory;
 *  - the first-touch cost per page of each mapping method (remap_pfn_range,
 *    .fault, vm_insert_pages, huge PMDs) against anonymous memory with and
 *    without MAP_POPULATE: mmap() plus one write to every page, then the
 *    munmap(), each timed.
 *
 * Under QEMU's TCG the guest's cache attributes change nothing: TCG does not
 * model caches, so WC and UC run at cached speed here.  The figures say so
 * rather than pretend; on hardware UC reads are one to two orders of
 * magnitude slower and WC writes close to cached ones.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "bench.h"

#define BM_SIZE		(4UL << 20)	/* the largest contiguous buffer on 6.1 */
#define BM_PAGES	(BM_SIZE / 4096)
#define MIB		(1024.0 * 1024.0)

static double bm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bm_fail(const char *what, int err)
{
	fprintf(stderr, "mmdma-bench: %s: %s\n", what, strerror(err));
	return -1;
}

/* Sum every 64-bit word: a read the compiler cannot drop. */
static uint64_t bm_read(const volatile uint64_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < len / 8; i++)
		sum += p[i];
	return sum;
}

/* MiB/s reading (or writing) @len bytes at @p: best of 3 runs of >= 0.2 s. */
static double bm_bandwidth(uint8_t *p, size_t len, bool write)
{
	static volatile uint64_t sink;
	double best = 0;

	for (int run = 0; run < 3; run++) {
		double t = bm_now(), el;
		unsigned long n = 0;

		do {
			if (write)
				memset(p, (int)n, len);
			else
				sink += bm_read((const volatile uint64_t *)p, len);
			n++;
			el = bm_now() - t;
		} while (el < 0.2);
		if (n * len / MIB / el > best)
			best = n * len / MIB / el;
	}
	return best;
}

struct bm_map {
	const char *name;
	uint32_t kind, method, cache;	/* kind 0: anonymous memory */
	int flags;			/* extra mmap flags for anonymous */
};

static uint8_t *bm_mmap(const struct bm_map *m, int fd)
{
	uint8_t *p;

	if (!m->kind)
		p = mmap(NULL, BM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | m->flags, -1, 0);
	else
		p = mmap(NULL, BM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int bm_buffer(int ctl, const struct bm_map *m)
{
	if (!m->kind)
		return -1;
	return mmdma_alloc_cache(ctl, BM_SIZE, m->kind, m->method, m->cache, 0);
}

static int bm_bandwidth_table(int ctl)
{
	static const struct bm_map maps[] = {
		{ "anonymous", 0, 0, 0, MAP_POPULATE },
		{ "pages/insert cached", MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, MMDMA_CACHE_CACHED, 0 },
		{ "pages/insert wc", MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, MMDMA_CACHE_WC, 0 },
		{ "pages/insert uc", MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, MMDMA_CACHE_UC, 0 },
		{ "contig/remap cached", MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP, MMDMA_CACHE_CACHED, 0 },
		{ "contig/remap wc", MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP, MMDMA_CACHE_WC, 0 },
		{ "contig/remap uc", MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP, MMDMA_CACHE_UC, 0 },
	};

	printf("# user-space bandwidth through mappings of %lu MiB, MiB/s (best of 3)\n",
	       BM_SIZE >> 20);
	printf("# (TCG does not model caches: WC and UC cannot differ from cached here)\n");
	printf("%-22s %10s %10s\n", "memory", "read", "write");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const struct bm_map *m = &maps[i];
		int fd = bm_buffer(ctl, m);
		uint8_t *p;

		if (m->kind && fd < 0)
			return bm_fail(m->name, -fd);
		p = bm_mmap(m, fd);
		if (!p)
			return bm_fail(m->name, errno);
		memset(p, 1, BM_SIZE);	/* fault everything in first */
		printf("%-22s %10.0f %10.0f\n", m->name,
		       bm_bandwidth(p, BM_SIZE, false),
		       bm_bandwidth(p, BM_SIZE, true));
		munmap(p, BM_SIZE);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static uint64_t bm_driver_faults(int fd)
{
	struct mmdma_buf_info info;

	if (fd < 0 || mmdma_buf_info(fd, &info) < 0)
		return 0;
	return info.faults + info.huge_faults;
}

/* ns per page: mmap(), one write per page, munmap(); best of 5. */
static int bm_touch_row(int ctl, const struct bm_map *m)
{
	double best_map = 1e9, best_touch = 1e9, best_unmap = 1e9;
	int fd = bm_buffer(ctl, m);
	uint64_t faults = 0;

	if (m->kind && fd < 0) {
		printf("%-22s %s\n", m->name, strerror(-fd));
		return 0;
	}
	for (int run = 0; run < 5; run++) {
		uint64_t f0 = bm_driver_faults(fd);
		double t0 = bm_now(), t1, t2, t3;
		uint8_t *p = bm_mmap(m, fd);

		if (!p)
			return bm_fail(m->name, errno);
		t1 = bm_now();
		for (size_t off = 0; off < BM_SIZE; off += 4096)
			p[off] = (uint8_t)off;
		t2 = bm_now();
		munmap(p, BM_SIZE);
		t3 = bm_now();
		faults = bm_driver_faults(fd) - f0;
		if (t1 - t0 < best_map)
			best_map = t1 - t0;
		if (t2 - t1 < best_touch)
			best_touch = t2 - t1;
		if (t3 - t2 < best_unmap)
			best_unmap = t3 - t2;
	}
	printf("%-22s %10.0f %10.0f %10.0f %10.0f %10llu\n", m->name,
	       best_map * 1e9 / BM_PAGES, best_touch * 1e9 / BM_PAGES,
	       best_unmap * 1e9 / BM_PAGES,
	       (best_map + best_touch) * 1e9 / BM_PAGES,
	       (unsigned long long)faults);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int bm_touch_table(int ctl)
{
	static const struct bm_map maps[] = {
		{ "anonymous", 0, 0, 0, 0 },
		{ "anonymous populate", 0, 0, 0, MAP_POPULATE },
		{ "contig/remap", MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP, 0, 0 },
		{ "pages/fault", MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0, 0 },
		{ "contig/fault", MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT, 0, 0 },
		{ "pages/insert", MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, 0, 0 },
		{ "vmalloc/insert", MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT, 0, 0 },
		{ "contig/huge", MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE, 0, 0 },
	};
	struct mmdma_info info;

	if (mmdma_info(ctl, &info) == 0 && !(info.features & MMDMA_FEAT_MAP_HUGE))
		printf("# this kernel maps contig/huge 4 KiB at a time (no MMDMA_FEAT_MAP_HUGE)\n");
	printf("# first touch of %lu MiB (%lu pages), ns per page (best of 5);\n",
	       BM_SIZE >> 20, BM_PAGES);
	printf("# buffers allocated beforehand; faults: those that reached the driver\n");
	printf("%-22s %10s %10s %10s %10s %10s\n", "mapping", "mmap", "touch",
	       "munmap", "mmap+touch", "faults");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (bm_touch_row(ctl, &maps[i]))
			return -1;
	return 0;
}

int bench_maps(void)
{
	int ctl = mmdma_open();
	int ret;

	if (ctl < 0)
		return bm_fail("open /dev/mmdma", -ctl);
	ret = bm_bandwidth_table(ctl);
	if (!ret)
		ret = bm_touch_table(ctl);
	close(ctl);
	return ret;
}
