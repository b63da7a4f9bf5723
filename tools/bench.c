// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma-bench: figures for direct I/O on the software engine, printed, not
 * asserted.  In one guest it measures:
 *  - bandwidth of memcpy, of direct I/O (pread/pwrite on the device node:
 *    the engine moves data straight to or from the caller's pages) and of a
 *    copying path (the engine moves data to or from a kernel buffer, which
 *    read()/write() on the buffer's fd copy with copy_to_user and
 *    copy_from_user), for 4 KiB to 16 MiB;
 *  - requests per second of 4 KiB reads: synchronous pread, libaio and
 *    io_uring at queue depths 1, 8 and 32.
 * Then it prints each target of issue 4 with the figure that meets or
 * misses it.  The mapping figures (issue 5) are bench_maps.c's.
 *
 * The side-by-side with the kernel's own providers (issue 16) is
 * bench_peers.c's.
 *
 *   mmdma-bench [dio|maps|peers]   one part, or (no argument) all three
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "bench.h"

#define MIB		(1024.0 * 1024.0)
#define MAX_SIZE	(16UL << 20)
#define SMALL		4096UL

static int soft, kbuf;
static uint8_t *src, *dst;

static void die(const char *what, long err)
{
	fprintf(stderr, "mmdma-bench: %s: %s\n", what,
		strerror(err < 0 ? (int)-err : errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum path { MEMCPY, DIRECT_RD, DIRECT_WR, COPY_RD, COPY_WR, NR_PATHS };

static const char *const path_names[NR_PATHS] = {
	"memcpy", "direct read", "direct write", "copy read", "copy write",
};

static void xfer(uint32_t op, size_t len)
{
	struct mmdma_xfer x = {
		.op = op, .dma = MMDMA_DMA_SG, .length = len,
		.src_fd = kbuf, .dst_fd = kbuf,
	};
	int ret = mmdma_xfer(soft, &x);

	if (ret)
		die("MMDMA_DEV_XFER", ret);
}

static void once(enum path p, size_t len)
{
	switch (p) {
	case MEMCPY:
		memcpy(dst, src, len);
		break;
	case DIRECT_RD:
		if (pread(soft, dst, len, 0) != (ssize_t)len)
			die("pread", 0);
		break;
	case DIRECT_WR:
		if (pwrite(soft, src, len, 0) != (ssize_t)len)
			die("pwrite", 0);
		break;
	case COPY_RD:
		xfer(MMDMA_XFER_FROM_DEV, len);
		if (pread(kbuf, dst, len, 0) != (ssize_t)len)
			die("pread (buffer)", 0);
		break;
	case COPY_WR:
		if (pwrite(kbuf, src, len, 0) != (ssize_t)len)
			die("pwrite (buffer)", 0);
		xfer(MMDMA_XFER_TO_DEV, len);
		break;
	default:
		break;
	}
}

/* MiB/s of @p at @len: the best of three runs of ~64 MiB each. */
static double bandwidth(enum path p, size_t len)
{
	unsigned long iters = (64UL << 20) / len;
	double best = 0;

	if (iters < 4)
		iters = 4;
	once(p, len);
	for (int run = 0; run < 3; run++) {
		double t = now();

		for (unsigned long i = 0; i < iters; i++)
			once(p, len);
		t = now() - t;
		if (iters * len / MIB / t > best)
			best = iters * len / MIB / t;
	}
	return best;
}

#define NR_REQS	4096

static double rps_sync(void)
{
	double t = now();

	for (int i = 0; i < NR_REQS; i++)
		if (pread(soft, dst + (i % 32) * SMALL, SMALL, (i % 32) * SMALL) !=
		    (ssize_t)SMALL)
			die("pread", 0);
	return NR_REQS / (now() - t);
}

static double rps_libaio(int depth)
{
	io_context_t ctx = 0;
	struct iocb cbs[32], *ptr;
	struct io_event ev[32];
	int submitted = 0, done = 0, ret;
	double t;

	ret = io_setup(depth, &ctx);
	if (ret)
		die("io_setup", ret);
	t = now();
	for (int i = 0; i < depth; i++, submitted++) {
		io_prep_pread(&cbs[i], soft, dst + i * SMALL, SMALL, i * SMALL);
		ptr = &cbs[i];
		if (io_submit(ctx, 1, &ptr) != 1)
			die("io_submit", 0);
	}
	while (done < NR_REQS) {
		int n = io_getevents(ctx, 1, depth, ev, NULL);

		if (n <= 0)
			die("io_getevents", n);
		for (int k = 0; k < n; k++) {
			struct iocb *cb = ev[k].obj;

			if (ev[k].res != SMALL)
				die("libaio read", (long)ev[k].res);
			done++;
			if (submitted < NR_REQS) {
				if (io_submit(ctx, 1, &cb) != 1)
					die("io_submit", 0);
				submitted++;
			}
		}
	}
	t = now() - t;
	io_destroy(ctx);
	return NR_REQS / t;
}

static double rps_uring(int depth)
{
	struct io_uring ring;
	int submitted = 0, done = 0, ret;
	double t;

	ret = io_uring_queue_init(64, &ring, 0);
	if (ret)
		die("io_uring_queue_init", ret);
	t = now();
	for (int i = 0; i < depth; i++, submitted++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_read(sqe, soft, dst + i * SMALL, SMALL, i * SMALL);
		sqe->user_data = i;
	}
	io_uring_submit(&ring);
	while (done < NR_REQS) {
		struct io_uring_cqe *cqe;
		int refill = 0;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			die("io_uring_wait_cqe", ret);
		do {
			unsigned long slot = cqe->user_data;

			if (cqe->res != (int)SMALL)
				die("io_uring read", cqe->res);
			io_uring_cqe_seen(&ring, cqe);
			done++;
			if (submitted < NR_REQS) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				io_uring_prep_read(sqe, soft, dst + slot * SMALL,
						   SMALL, slot * SMALL);
				sqe->user_data = slot;
				submitted++;
				refill++;
			}
		} while (!io_uring_peek_cqe(&ring, &cqe));
		if (refill)
			io_uring_submit(&ring);
	}
	t = now() - t;
	io_uring_queue_exit(&ring);
	return NR_REQS / t;
}

static int bench_dio(void)
{
	static const size_t sizes[] = {
		4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20,
	};
	const size_t nr_sizes = sizeof(sizes) / sizeof(sizes[0]);
	double bw[sizeof(sizes) / sizeof(sizes[0])][NR_PATHS];
	double worst = 1e9, sync_rps, aio[3], uring[3];
	static const int depths[3] = { 1, 8, 32 };
	size_t cross_rd = 0, cross_wr = 0;
	int ctl;

	soft = mmdma_dev_open("mmdma-soft0");
	if (soft < 0)
		die("open /dev/mmdma-soft0", soft);
	ctl = mmdma_open();
	if (ctl < 0)
		die("open /dev/mmdma", ctl);
	kbuf = mmdma_alloc(ctl, MAX_SIZE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	if (kbuf < 0)
		die("MMDMA_IOC_ALLOC", kbuf);
	src = mmap(NULL, MAX_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	dst = mmap(NULL, MAX_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap", 0);
	mmdma_pattern_fill(src, 0, MAX_SIZE, 1);

	printf("# mmdma-bench: software engine, MiB/s (best of 3)\n");
	printf("%10s", "size");
	for (int p = 0; p < NR_PATHS; p++)
		printf(" %13s", path_names[p]);
	printf(" %13s\n", "direct/memcpy");
	for (size_t s = 0; s < nr_sizes; s++) {
		double ratio;

		for (int p = 0; p < NR_PATHS; p++)
			bw[s][p] = bandwidth(p, sizes[s]);
		ratio = (bw[s][DIRECT_RD] < bw[s][DIRECT_WR] ?
			 bw[s][DIRECT_RD] : bw[s][DIRECT_WR]) / bw[s][MEMCPY];
		printf("%9zuK", sizes[s] >> 10);
		for (int p = 0; p < NR_PATHS; p++)
			printf(" %13.0f", bw[s][p]);
		printf(" %13.2f\n", ratio);
		if (sizes[s] >= (1 << 20) && ratio < worst)
			worst = ratio;
		if (!cross_rd && bw[s][DIRECT_RD] > bw[s][COPY_RD])
			cross_rd = sizes[s];
		if (!cross_wr && bw[s][DIRECT_WR] > bw[s][COPY_WR])
			cross_wr = sizes[s];
	}

	printf("# 4 KiB reads, requests per second\n");
	sync_rps = rps_sync();
	printf("%-12s %10.0f\n", "sync", sync_rps);
	for (int d = 0; d < 3; d++) {
		aio[d] = rps_libaio(depths[d]);
		printf("libaio  qd%-2d %10.0f\n", depths[d], aio[d]);
	}
	for (int d = 0; d < 3; d++) {
		uring[d] = rps_uring(depths[d]);
		printf("io_uring qd%-2d %9.0f\n", depths[d], uring[d]);
	}

	printf("# targets\n");
	printf("direct I/O >= 0.8x memcpy for 1 MiB and up: worst %.2fx: %s\n",
	       worst, worst >= 0.8 ? "met" : "MISSED");
	printf("direct beats copying from: read %zu KiB, write %zu KiB%s\n",
	       cross_rd >> 10, cross_wr >> 10,
	       cross_rd && cross_wr ? "" : " (0: never, in the sizes measured)");
	printf("io_uring qd32 >= 2x sync at 4 KiB: %.2fx: %s\n",
	       uring[2] / sync_rps, uring[2] / sync_rps >= 2 ? "met" : "MISSED");
	return 0;
}

int main(int argc, char **argv)
{
	const char *part = argc > 1 ? argv[1] : "";
	int ret = 0;

	if (argc > 2 || (*part && strcmp(part, "dio") && strcmp(part, "maps") &&
			  strcmp(part, "peers"))) {
		fprintf(stderr, "usage: mmdma-bench [dio|maps|peers]\n");
		return 2;
	}
	if (!*part || !strcmp(part, "dio"))
		ret = bench_dio();
	fflush(stdout);
	if (!ret && (!*part || !strcmp(part, "maps")))
		ret = bench_maps();
	fflush(stdout);
	if (!ret && (!*part || !strcmp(part, "peers")))
		ret = bench_peers();
	return ret ? 1 : 0;
}
