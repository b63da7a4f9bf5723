// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: several processes of several threads allocate, map, fault,
 * transfer (ioctl, direct I/O, libaio, io_uring; edu and the software
 * engine) and close, while another process unbinds and rebinds the edu
 * device over and over.  Afterwards, with everything closed, the module is
 * unloaded and loaded again.
 *
 * Every operation must succeed or fail with an errno the ABI documents for
 * the situation (docs/abi.md): on edu, whose device can vanish at any
 * moment, ENODEV (device gone), ENOENT / ENXIO (its node is gone or going
 * while it is opened), ETIMEDOUT and EINTR; on the software engine and for
 * buffers, nothing.  Every successful transfer moves the right bytes (each
 * thread owns a slot of device memory).  At the end no buffer is live, no
 * page stays pinned, DMA-API debug counted no error and the kernel log is
 * clean (the host checks it too, and the guest runs kmemleak).
 *
 * MMDMA_STRESS_SECS sets the duration (default 20 s of guest time).
 */
#include <dirent.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define PROCS		3
#define THREADS		2
#define SLOTS		(PROCS * THREADS)
#define EDU_SLOT	(4095 / SLOTS)

static double deadline;
static char edu_addr[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double duration(void)
{
	const char *s = getenv("MMDMA_STRESS_SECS");

	return s && atof(s) > 0 ? atof(s) : 20;
}

/* The PCI address of the edu device bound to our driver, or "". */
static void find_edu(void)
{
	DIR *d = opendir(EDU_DRV);
	struct dirent *e;

	edu_addr[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strchr(e->d_name, ':'))
			snprintf(edu_addr, sizeof(edu_addr), "%.60s", e->d_name);
	closedir(d);
}

struct worker {
	int slot;
	unsigned int rnd;
	int soft, edu;
	uint64_t soft_mem;
	uint8_t *user;		/* 6 pages of anonymous memory */
	io_context_t aio;
	struct io_uring ring;
	unsigned long ok, errs[5];	/* ENODEV, ENOENT/ENXIO, ETIMEDOUT, EINTR, other */
};

static unsigned int rnd(struct worker *w, unsigned int n)
{
	return rand_r(&w->rnd) % n;
}

/* An edu failure the ABI allows while the device comes and goes. */
static bool edu_errno_ok(struct worker *w, int err, const char *what)
{
	switch (err) {
	case ENODEV: w->errs[0]++; return true;
	case ENOENT: case ENXIO: w->errs[1]++; return true;
	case ETIMEDOUT: w->errs[2]++; return true;
	case EINTR: w->errs[3]++; return true;
	}
	w->errs[4]++;
	ktap_fail(false, __FILE__, __LINE__, "slot %d: %s on edu: %s", w->slot,
		  what, strerror(err));
	return false;
}

static void reopen_edu(struct worker *w)
{
	if (w->edu >= 0)
		close(w->edu);
	w->edu = mmdma_dev_open(EDU);
	if (w->edu < 0)
		edu_errno_ok(w, -w->edu, "open");
}

/* A buffer of random kind and method: map, touch, read back, close. */
static void op_buffer(struct worker *w)
{
	const struct combo *c = &combos[rnd(w, nr_combos)];
	size_t size = (1 + rnd(w, 16)) * PAGE - rnd(w, 100);
	size_t len = (size + PAGE - 1) & ~(PAGE - 1);
	uint32_t seed = rand_r(&w->rnd);
	int fd = t_buf(size, c->kind, c->method);
	uint8_t *p = t_map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint8_t back[256];
	size_t off = rnd(w, len - sizeof(back));

	ASSERT_OK(mmdma_buf_fill(fd, 0, len, seed));
	t_expect_pattern(p + off, off, sizeof(back), seed);
	p[off] ^= 0xff;
	ASSERT_EQ(pread(fd, back, 1, off), 1);
	EXPECT_EQ(back[0], (uint8_t)(mmdma_pattern_byte(seed, off) ^ 0xff));
	munmap(p, len);
	close(fd);
	w->ok++;
}

/* MMDMA_DEV_XFER to the thread's slot and back. */
static void op_xfer(struct worker *w, bool edu)
{
	int dev = edu ? w->edu : w->soft;
	uint64_t slot = edu ? EDU_SLOT : w->soft_mem / SLOTS;
	uint32_t dma = rnd(w, MMDMA_DMA_STREAM + 1);
	size_t len = 1 + rnd(w, dma == MMDMA_DMA_POOL ? 256 : slot < 3 * PAGE ? slot : 3 * PAGE);
	uint32_t seed = rand_r(&w->rnd);
	int src = t_buf(4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT);
	int dst = t_buf(4 * PAGE, rnd(w, 2) ? MMDMA_MEM_CONTIG : MMDMA_MEM_PAGES,
			MMDMA_MAP_FAULT);
	struct mmdma_xfer x = { .op = MMDMA_XFER_TO_DEV, .dma = dma, .src_fd = src,
				.dst_fd = dst, .src_offset = rnd(w, PAGE),
				.dev_offset = w->slot * slot + rnd(w, slot - len + 1),
				.length = len };
	uint8_t *back = malloc(len);
	int ret;

	ASSERT(back);
	ASSERT_OK(mmdma_buf_fill(src, 0, 4 * PAGE, seed));
	if (dev < 0)
		goto out;
	ret = mmdma_xfer(dev, &x);
	if (!ret) {
		x.op = MMDMA_XFER_FROM_DEV;
		x.dst_offset = rnd(w, PAGE);
		ret = mmdma_xfer(dev, &x);
		if (ret == -EINVAL && dma == MMDMA_DMA_SINGLE) {
			/* A page-array destination has no linear address. */
			struct mmdma_buf_info bi = t_info(dst);

			EXPECT_EQ(bi.kind, MMDMA_MEM_PAGES);
			w->ok++;
			goto out;
		}
	}
	if (ret) {
		if (!edu)
			ktap_fail(false, __FILE__, __LINE__, "slot %d: soft xfer %s %zu bytes: %s",
				  w->slot, mmdma_dma_name(dma), len, strerror(-ret));
		else if (edu_errno_ok(w, -ret, "xfer"))
			reopen_edu(w);
		goto out;
	}
	ASSERT_EQ(pread(dst, back, len, x.dst_offset), (ssize_t)len);
	t_expect_pattern(back, x.src_offset, len, seed);
	w->ok++;
out:
	free(back);
	close(src);
	close(dst);
}

/* Direct I/O, synchronous or asynchronous, to the slot and back. */
static void op_dio(struct worker *w, bool edu)
{
	int dev = edu ? w->edu : w->soft, how = rnd(w, 3);
	uint64_t slot = edu ? EDU_SLOT : w->soft_mem / SLOTS;
	size_t len = 1 + rnd(w, slot < 2 * PAGE ? slot : 2 * PAGE);
	off_t pos = w->slot * slot + rnd(w, slot - len + 1);
	/* Source in the first three pages, destination in the last three. */
	uint8_t *src = w->user + rnd(w, PAGE), *dst = w->user + 3 * PAGE + rnd(w, PAGE);
	uint32_t seed = rand_r(&w->rnd);
	ssize_t r[2] = { 0, 0 };

	if (dev < 0)
		return;
	mmdma_pattern_fill(src, 0, len, seed);
	for (int i = 0; i < 2; i++) {
		uint8_t *p = i ? dst : src;

		if (how == 0) {
			r[i] = i ? pread(dev, p, len, pos) : pwrite(dev, p, len, pos);
			if (r[i] < 0)
				r[i] = -errno;
		} else if (how == 1) {
			struct iocb cb, *cbs[1] = { &cb };
			struct io_event ev;

			if (i)
				io_prep_pread(&cb, dev, p, len, pos);
			else
				io_prep_pwrite(&cb, dev, p, len, pos);
			r[i] = io_submit(w->aio, 1, cbs);
			if (r[i] == 1) {
				ASSERT_EQ(io_getevents(w->aio, 1, 1, &ev, NULL), 1);
				r[i] = (long)ev.res;
			}
		} else {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
			struct io_uring_cqe *cqe;

			ASSERT(sqe);
			if (i)
				io_uring_prep_read(sqe, dev, p, len, pos);
			else
				io_uring_prep_write(sqe, dev, p, len, pos);
			ASSERT_EQ(io_uring_submit(&w->ring), 1);
			ASSERT_EQ(io_uring_wait_cqe(&w->ring, &cqe), 0);
			r[i] = cqe->res;
			io_uring_cqe_seen(&w->ring, cqe);
		}
		if (r[i] < 0)
			break;
	}
	if (r[0] < 0 || r[1] < 0) {
		int err = (int)-(r[0] < 0 ? r[0] : r[1]);

		if (!edu)
			ktap_fail(false, __FILE__, __LINE__, "slot %d: soft dio (%d) %zu bytes: %s",
				  w->slot, how, len, strerror(err));
		else if (edu_errno_ok(w, err, "dio"))
			reopen_edu(w);
		return;
	}
	EXPECT_EQ(r[0], (ssize_t)len);
	EXPECT_EQ(r[1], (ssize_t)len);
	t_expect_pattern(dst, 0, len, seed);
	w->ok++;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct mmdma_dev_info info;

	w->soft = mmdma_dev_open(SOFT);
	ASSERT_OK(w->soft);
	ASSERT_OK(mmdma_dev_info(w->soft, &info));
	w->soft_mem = info.mem_size;
	w->edu = -1;
	reopen_edu(w);
	w->user = t_map(-1, 6 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_EQ(io_setup(4, &w->aio), 0);
	ASSERT_EQ(io_uring_queue_init(4, &w->ring, 0), 0);
	while (now() < deadline && !ktap_failed()) {
		switch (rnd(w, 6)) {
		case 0: op_buffer(w); break;
		case 1: op_xfer(w, false); break;
		case 2: op_xfer(w, true); break;
		case 3: op_dio(w, false); break;
		case 4: op_dio(w, true); break;
		default: reopen_edu(w); break;
		}
	}
	io_destroy(w->aio);
	io_uring_queue_exit(&w->ring);
	munmap(w->user, 6 * PAGE);
	close(w->soft);
	if (w->edu >= 0)
		close(w->edu);
	return NULL;
}

static void worker_process(void *arg)
{
	int proc = (int)(intptr_t)arg;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned long ok = 0, errs[5] = { 0 };

	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i].slot = proc * THREADS + i;
		w[i].rnd = 0x5eed + w[i].slot;
		ASSERT_OK(-pthread_create(&t[i], NULL, worker_thread, &w[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		for (int e = 0; e < 5; e++)
			errs[e] += w[i].errs[e];
	}
	ktap_diag("process %d: %lu operations done; edu: %lu ENODEV, %lu ENOENT/ENXIO, %lu ETIMEDOUT, %lu EINTR, %lu other",
		  proc, ok, errs[0], errs[1], errs[2], errs[3], errs[4]);
	EXPECT(ok > 0);
}

/* Unbind and rebind edu until the deadline; returns the cycles done. */
static void chaos_process(void *arg)
{
	unsigned int seed = 77, cycles = 0;

	(void)arg;
	while (now() < deadline) {
		usleep(20000 + rand_r(&seed) % 300000);
		t_write_str(EDU_DRV "/unbind", edu_addr);
		usleep(rand_r(&seed) % 100000);
		t_write_str(EDU_DRV "/bind", edu_addr);
		cycles++;
	}
	ktap_diag("edu unbound and rebound %u times", cycles);
	/* The run has edu and time to spare: no cycle means no chaos tested. */
	EXPECT(cycles >= 1);
}

/* Everything at once; then nothing left over. */
static void concurrent_use_with_unbind(void)
{
	int ctl = t_ctl(), kmsg = kmsg_open();
	long long pins = t_pins_held();
	struct t_deadline d;
	pid_t pids[PROCS + 1];
	struct mmdma_info info;
	int n = 0;

	find_edu();
	if (!edu_addr[0])
		t_absent("edu", "no edu device bound to %s", EDU_DRV);
	deadline = now() + duration();
	for (int p = 0; p < PROCS; p++)
		pids[n++] = t_fork(worker_process, (void *)(intptr_t)p);
	if (geteuid() == 0)
		pids[n++] = t_fork(chaos_process, NULL);
	else
		ktap_diag("not root: edu stays bound");
	for (int i = 0; i < n; i++)
		EXPECT_EQ(t_wait(pids[i]), 0);

	find_edu();
	EXPECT(edu_addr[0]);
	ASSERT_OK(mmdma_info(ctl, &info));
	EXPECT_EQ(info.nr_buffers, 0);
	/* Asynchronous requests unpin from a work item, shortly after. */
	d = t_deadline_ms(T_POLL_MS);
	while (t_pins_held() != pins && t_deadline_sleep(&d))
		;
	EXPECT_EQ(t_pins_held(), pins);
	if (!access("/sys/kernel/debug/dma-api/error_count", R_OK))
		EXPECT_EQ(t_read_ull("/sys/kernel/debug/dma-api/error_count"), 0);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(ctl);
}

/* Idle again: the module goes and comes back, and works. */
static void unload_reload_after_stress(void)
{
	const char *ko = getenv("MMDMA_KO");
	int kmsg = kmsg_open();

	if (!ko || access(ko, R_OK))
		t_absent("module", "MMDMA_KO does not name a readable mmdma.ko");
	for (int i = 0; i < 3; i++) {
		ASSERT_OK(t_driver_unload());
		ASSERT_OK(t_driver_load());
	}
	close(t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT));
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE_T(concurrent_use_with_unbind, 600),
	KTAP_CASE(unload_reload_after_stress),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
