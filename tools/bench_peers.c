// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma-bench peers (issue 16): mmdma side by side with the kernel's own
 * user DMA buffer providers, in one boot.
 *
 *  - allocation: the ioctl that returns a buffer fd (mmdma pages and
 *    vmalloc memory; the dma-buf system heap), or memfd + ftruncate + seal
 *    + UDMABUF_CREATE (udmabuf: the memfd's pages are faulted in by it), or
 *    mmap(MAP_POPULATE) (anonymous memory);
 *  - free: close() of the last reference (munmap() for anonymous memory);
 *  - free-mapped: the same close() after the buffer was mapped, touched and
 *    unmapped (the "map" rounds), since a mapping changes what freeing
 *    costs (a page array's blocks are split into single pages by then);
 *  - mmap plus first touch: mmap() of the whole buffer and one write to
 *    every page (mmdma pages with the insert method, which maps at mmap()
 *    time, and with the fault method);
 *  - sync: MMDMA_BUF_SYNC for the CPU and back for the device over the
 *    whole buffer, attached to the software engine, against
 *    DMA_BUF_IOCTL_SYNC START and END (read-write) on udmabuf.
 * Each at 4 KiB, 2 MiB, 64 MiB and 512 MiB, best and worst of N (rounds
 * taken provider after provider; syncs 4N each).
 *
 * It prints a table of figures ("fig" lines: metric, provider, size, best
 * and worst in ns), then one verdict line per metric and size: the ratio
 * best mmdma / best peer, the goal, and whether it holds.  A worst/best
 * ratio above 3 is flagged on its line.  scripts/bench-report.sh turns the
 * output into plots and docs/bench.md.  A provider the kernel lacks is
 * reported as "absent", never counted as met.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "bench.h"

enum prov { P_PAGES, P_VMALLOC, P_PAGES_FAULT, P_HEAP, P_UDMABUF, P_ANON,
	    NR_PROV };

static const char *const prov_names[NR_PROV] = {
	"mmdma-pages", "mmdma-vmalloc", "mmdma-pages-fault", "heap", "udmabuf",
	"anon",
};

enum metric { M_ALLOC, M_FREE, M_MAP, M_SYNC, M_FREE_MAPPED, NR_METRIC };

static const char *const metric_names[NR_METRIC] = {
	"alloc", "free", "map", "sync", "free-mapped",
};

#define NR_SIZES 4
static const size_t sizes[NR_SIZES] = { 4096, 2UL << 20, 64UL << 20,
					512UL << 20 };
static const char *const size_names[NR_SIZES] = { "4KiB", "2MiB", "64MiB",
						   "512MiB" };
/* Fewer rounds where one round takes long under TCG. */
static const int rounds[NR_SIZES] = { 15, 9, 5, 3 };
/*
 * Back to back within a round for the small sizes: the first run of a
 * path after another provider's is cold (QEMU's translation and the
 * guest's caches), and the best of N should be the warm figure.
 */
static const int inner[NR_SIZES] = { 3, 3, 1, 1 };

struct fig {
	bool have;
	double best, worst;	/* ns */
};

static struct fig figs[NR_METRIC][NR_PROV][NR_SIZES];
static int ctl = -1, soft = -1, heap = -1;
static bool have_udmabuf;

static double bp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void record(enum metric m, enum prov p, int s, double ns)
{
	struct fig *f = &figs[m][p][s];

	if (!f->have || ns < f->best)
		f->best = ns;
	if (!f->have || ns > f->worst)
		f->worst = ns;
	f->have = true;
}

/* A buffer of @p: its fd (or, for anonymous memory, -1 and *@anon). */
static int bp_alloc(enum prov p, size_t size, void **anon)
{
	switch (p) {
	case P_PAGES:
		return mmdma_alloc(ctl, size, MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, 0);
	case P_PAGES_FAULT:
		return mmdma_alloc(ctl, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	case P_VMALLOC:
		return mmdma_alloc(ctl, size, MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT, 0);
	case P_HEAP: {
		struct dma_heap_allocation_data d = {
			.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d))
			return -errno;
		return d.fd;
	}
	case P_UDMABUF: {
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
					    .size = size };
		int fd, dev, ret;

		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -errno;
		fd = memfd_create("bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size) ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
			ret = -errno;
			goto out;
		}
		c.memfd = fd;
		ret = ioctl(dev, UDMABUF_CREATE, &c);
		if (ret < 0)
			ret = -errno;
out:
		if (fd >= 0)
			close(fd);
		close(dev);
		return ret;
	}
	case P_ANON:
		*anon = mmap(NULL, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		return *anon == MAP_FAILED ? -errno : -1;
	default:
		return -EINVAL;
	}
}

static void bp_free(int fd, void *anon, size_t size)
{
	if (fd >= 0)
		close(fd);
	else
		munmap(anon, size);
}

/* Allocation and free, @n rounds; 0 or -errno of a failed allocation. */
static int bp_alloc_free(enum prov p, int s, int n)
{
	for (int i = 0; i < n; i++) {
		void *anon = NULL;
		double t0 = bp_now(), t1;
		int fd = bp_alloc(p, sizes[s], &anon);

		t1 = bp_now();
		if (fd < -1)
			return fd;
		record(M_ALLOC, p, s, t1 - t0);
		t0 = bp_now();
		bp_free(fd, anon, sizes[s]);
		record(M_FREE, p, s, bp_now() - t0);
	}
	return 0;
}

/* mmap() plus one write per page, timed; the buffer is allocated before. */
static int bp_map(enum prov p, int s, int n)
{
	size_t size = sizes[s];

	for (int i = 0; i < n; i++) {
		void *anon = NULL;
		volatile char *m;
		double t0;
		int fd = -1;

		if (p == P_ANON) {
			t0 = bp_now();
			m = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		} else {
			fd = bp_alloc(p, size, &anon);
			if (fd < 0)
				return fd;
			t0 = bp_now();
			m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
		}
		if (m == MAP_FAILED) {
			int err = -errno;

			if (p != P_ANON)
				close(fd);
			return err;
		}
		for (size_t off = 0; off < size; off += 4096)
			m[off] = 1;
		record(M_MAP, p, s, bp_now() - t0);
		munmap((void *)m, size);
		if (p != P_ANON) {
			t0 = bp_now();
			close(fd);
			record(M_FREE_MAPPED, p, s, bp_now() - t0);
		}
	}
	return 0;
}

static int bp_sync_mmdma(int s, int n)
{
	int fd = bp_alloc(P_PAGES, sizes[s], NULL), ret;

	if (fd < 0)
		return fd;
	/* The segment count (CAP_SYS_RAWIO) goes on a comment line. */
	ret = mmdma_buf_attach(fd, soft, MMDMA_DIR_BIDIRECTIONAL);
	if (ret >= 0) {
		printf("# segments mmdma-pages %s %d\n", size_names[s], ret);
		ret = 0;
	}
	for (int i = 0; !ret && i < n; i++) {
		double t0 = bp_now();

		ret = mmdma_buf_sync(fd, soft, 0, sizes[s],
				     MMDMA_DIR_BIDIRECTIONAL, MMDMA_SYNC_FOR_CPU);
		if (!ret)
			ret = mmdma_buf_sync(fd, soft, 0, sizes[s],
					     MMDMA_DIR_BIDIRECTIONAL,
					     MMDMA_SYNC_FOR_DEVICE);
		if (!ret)
			record(M_SYNC, P_PAGES, s, bp_now() - t0);
	}
	close(fd);
	return ret;
}

static int bp_sync_udmabuf(int s, int n)
{
	struct dma_buf_sync start = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync end = {
		.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	int fd = bp_alloc(P_UDMABUF, sizes[s], NULL), ret = 0;

	if (fd < 0)
		return fd;
	/* The first START builds and maps udmabuf's table: not counted. */
	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &start) ||
	    ioctl(fd, DMA_BUF_IOCTL_SYNC, &end))
		ret = -errno;
	for (int i = 0; !ret && i < n; i++) {
		double t0 = bp_now();

		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &start) ||
		    ioctl(fd, DMA_BUF_IOCTL_SYNC, &end))
			ret = -errno;
		else
			record(M_SYNC, P_UDMABUF, s, bp_now() - t0);
	}
	close(fd);
	return ret;
}

static void bp_warn(const char *what, enum prov p, int s, int err)
{
	printf("# %s %s %s: %s\n", what, prov_names[p], size_names[s],
	       strerror(-err));
}

/* udmabuf refuses buffers over size_limit_mb (64 by default). */
static void bp_udmabuf_limit(void)
{
	int fd = open("/sys/module/udmabuf/parameters/size_limit_mb", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1024", 4) != 4)
			printf("# udmabuf: size_limit_mb stays as it was\n");
		close(fd);
	}
}

/* Best of mmdma's providers @a (and @b if not NR_PROV) over best of peers. */
static void verdict(enum metric m, int s, enum prov a, enum prov b,
		    const enum prov *peers, int np, double goal)
{
	const struct fig *fa = &figs[m][a][s];
	const struct fig *fb = b < NR_PROV ? &figs[m][b][s] : NULL;
	const struct fig *mine = fa, *peer = NULL;
	enum prov best_mine = a, best_peer = NR_PROV;

	if (fb && fb->have && (!fa->have || fb->best < fa->best)) {
		mine = fb;
		best_mine = b;
	}
	for (int i = 0; i < np; i++) {
		const struct fig *f = &figs[m][peers[i]][s];

		if (f->have && (!peer || f->best < peer->best)) {
			peer = f;
			best_peer = peers[i];
		}
	}
	printf("verdict %-11s %-7s %-17s ", metric_names[m], size_names[s],
	       prov_names[best_mine]);
	if (!mine->have || !peer) {
		printf("ratio   -    goal <= %.2f  absent (%s)\n", goal,
		       !mine->have ? "mmdma failed" : "no peer");
		return;
	}
	printf("ratio %5.2f goal <= %.2f  %-6s vs %-8s worst/best %.1f%s\n",
	       mine->best / peer->best, goal,
	       mine->best / peer->best <= goal ? "holds" : "MISSES",
	       prov_names[best_peer], mine->worst / mine->best,
	       mine->worst / mine->best > 3 ? " (outlier)" : "");
}

int bench_peers(void)
{
	static const enum prov heap_only[] = { P_HEAP };
	static const enum prov udmabuf_only[] = { P_UDMABUF };
	static const enum prov peers[] = { P_HEAP, P_UDMABUF, P_ANON };
	int err;

	ctl = mmdma_open();
	soft = mmdma_dev_open("mmdma-soft0");
	if (ctl < 0 || soft < 0) {
		fprintf(stderr, "mmdma-bench: /dev/mmdma or mmdma-soft0: %s\n",
			strerror(errno));
		return -1;
	}
	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	have_udmabuf = !access("/dev/udmabuf", R_OK | W_OK);
	if (have_udmabuf)
		bp_udmabuf_limit();
	printf("# peers: system heap %s, udmabuf %s\n",
	       heap >= 0 ? "present" : "absent",
	       have_udmabuf ? "present" : "absent");

	/*
	 * Round by round, each provider in turn: the host is shared, and a
	 * busy stretch of it then slows every provider's round alike instead
	 * of all of one provider's.
	 */
	for (int s = 0; s < NR_SIZES; s++) {
		int failed[NR_PROV][2] = { { 0 } };

		for (int r = 0; r < rounds[s]; r++) {
			for (int p = 0; p < NR_PROV; p++) {
				if ((p == P_HEAP && heap < 0) ||
				    (p == P_UDMABUF && !have_udmabuf))
					continue;
				if (p != P_PAGES_FAULT && !failed[p][0]) {
					err = bp_alloc_free(p, s, inner[s]);
					if (err) {
						bp_warn("alloc", p, s, err);
						failed[p][0] = 1;
					}
				}
				if (p != P_VMALLOC && !failed[p][1]) {
					err = bp_map(p, s, inner[s]);
					if (err) {
						bp_warn("map", p, s, err);
						failed[p][1] = 1;
					}
				}
			}
		}
		/* Syncs are short: all rounds of one, then of the other. */
		err = bp_sync_mmdma(s, rounds[s] * 4);
		if (err)
			bp_warn("sync", P_PAGES, s, err);
		if (have_udmabuf) {
			err = bp_sync_udmabuf(s, rounds[s] * 4);
			if (err)
				bp_warn("sync", P_UDMABUF, s, err);
		}
		fflush(stdout);
	}

	printf("# figures: metric provider size best_ns worst_ns\n");
	for (int m = 0; m < NR_METRIC; m++)
		for (int p = 0; p < NR_PROV; p++)
			for (int s = 0; s < NR_SIZES; s++)
				if (figs[m][p][s].have)
					printf("fig %s %s %s %.0f %.0f\n",
					       metric_names[m], prov_names[p],
					       size_names[s], figs[m][p][s].best,
					       figs[m][p][s].worst);

	printf("# verdicts: best mmdma / best peer, best of N\n");
	for (int s = 0; s < NR_SIZES; s++) {
		verdict(M_ALLOC, s, P_PAGES, NR_PROV, heap_only, 1, 0.8);
		verdict(M_ALLOC, s, P_VMALLOC, NR_PROV, heap_only, 1, 0.8);
		verdict(M_FREE, s, P_PAGES, NR_PROV, heap_only, 1, 1.0);
		verdict(M_FREE, s, P_VMALLOC, NR_PROV, heap_only, 1, 1.0);
		verdict(M_FREE_MAPPED, s, P_PAGES, P_PAGES_FAULT, heap_only, 1, 1.0);
		verdict(M_SYNC, s, P_PAGES, NR_PROV, udmabuf_only, 1, 1.0);
		verdict(M_MAP, s, P_PAGES, P_PAGES_FAULT, peers, 3, 0.5);
	}
	return 0;
}
