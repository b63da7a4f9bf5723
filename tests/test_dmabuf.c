// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers as dma-bufs: export (mmap of the dma-buf, DMA_BUF_IOCTL_SYNC, the
 * dma-buf holding the memory after the buffer fd is closed) and import by
 * transfers on the edu device and the software engine; and the per-buffer
 * sysfs directory, /sys/kernel/mmdma/buffers/<id>/.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devutil.h"

#define BUFS_SYSFS	"/sys/kernel/mmdma/buffers"
#define CTL_BUFFERS	"/sys/class/misc/mmdma/buffers"

/* Export requests: only O_CLOEXEC and O_RDWR/O_RDONLY, output zeroed. */
static void export_bad_input_rejected(void)
{
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_buf_export req = { .fd_flags = O_RDWR, .fd = 5 };

	EXPECT_ERR(mmdma_buf_export(buf, O_WRONLY), EINVAL);
	EXPECT_ERR(mmdma_buf_export(buf, O_RDWR | O_NONBLOCK), EINVAL);
	EXPECT_ERR(mmdma_buf_export(buf, O_RDWR | O_APPEND), EINVAL);
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_EXPORT, &req), EINVAL);
	req.fd = 0;
	req.reserved[1] = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_EXPORT, &req), EINVAL);
	close(buf);
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/*
 * mmap of the dma-buf is the buffer: the same bytes both ways, every kind
 * and method; DMA_BUF_IOCTL_SYNC brackets CPU access; O_RDONLY holds.
 */
static void dmabuf_mmap_is_the_buffer(void)
{
	for (size_t c = 0; c < nr_combos; c++) {
		uint64_t size = 3 * PAGE;
		int buf = t_buf(size, combos[c].kind, combos[c].method);
		int d = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
		int ro = mmdma_buf_export(buf, O_RDONLY);
		uint8_t *p;

		ASSERT_OK(d);
		ASSERT_OK(ro);
		EXPECT(fcntl(d, F_GETFD) & FD_CLOEXEC);
		EXPECT(!(fcntl(ro, F_GETFD) & FD_CLOEXEC));
		EXPECT_EQ(lseek(d, 0, SEEK_END), (off_t)size);
		ASSERT_OK(mmdma_buf_fill(buf, 0, size, 7 + c));
		p = t_map(d, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		EXPECT_OK(dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		t_expect_pattern(p, 0, size, 7 + c);
		p[PAGE + 5] = 0xa5;
		EXPECT_OK(dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		EXPECT_ERR(dmabuf_sync(d, 0xf0), EINVAL);
		{
			uint8_t b = 0;

			ASSERT_EQ(pread(buf, &b, 1, PAGE + 5), 1);
			EXPECT_EQ(b, 0xa5);
		}
		EXPECT_EQ(t_live_maps(buf), 1);
		ASSERT_OK(munmap(p, size));
		/* Past the end, and writable through a read-only dma-buf: no. */
		EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, 3 * PAGE), EINVAL);
		EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0),
			      EACCES);
		close(ro);
		close(d);
		close(buf);
	}
}

/*
 * Buffers with a cache mode of their own and huge mappings export too: the
 * dma-buf's mapping is the buffer's (same cache mode, same method), and
 * the soft engine imports them.
 */
static void dmabuf_of_wc_and_huge_buffers(void)
{
	static const struct { uint32_t kind, method, cache; uint64_t size; } bufs[] = {
		{ MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, MMDMA_CACHE_WC, 3 * PAGE },
		{ MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT, MMDMA_CACHE_UC, 2 * PAGE },
		{ MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE, MMDMA_CACHE_DEFAULT, 2ULL << 20 },
	};
	struct t_dev e = t_dev_open(T_SOFT);
	int ctl = t_ctl();

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		uint64_t size = bufs[i].size;
		int buf = mmdma_alloc_cache(ctl, size, bufs[i].kind, bufs[i].method,
					    bufs[i].cache, 0);
		int chk = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		int d;
		uint8_t *p;

		/* docs/abi.md offers all three everywhere: EINVAL is a failure. */
		if (buf < 0)
			ktap_diag("%s/%s/%s refused", mmdma_kind_name(bufs[i].kind),
				  mmdma_method_name(bufs[i].method),
				  mmdma_cache_name(bufs[i].cache));
		ASSERT_OK(buf);
		ASSERT_OK(mmdma_buf_fill(buf, 0, size, 70 + i));
		d = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
		ASSERT_OK(d);
		p = t_map(d, size, PROT_READ, MAP_SHARED, 0);
		t_expect_pattern(p, 0, size, 70 + i);
		EXPECT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, 0, d, 0, chk, 0, 0, size, NULL));
		t_expect_copy(chk, size, 0, 0, size, 70 + i);
		ASSERT_OK(munmap(p, size));
		close(d);
		close(buf);
		close(chk);
	}
	close(ctl);
	close(e.fd);
}

/*
 * A transfer takes a dma-buf fd where it takes a buffer fd: the device
 * imports it (attach, map for itself), moves the data, lets it go.
 */
static void dmabuf_import_exact(const char *name)
{
	struct t_dev e = t_dev_open(name);
	uint64_t size = 5 * PAGE, soff = 999, doff = 3;
	uint64_t len = e.info.mem_size - 1 < 4 * PAGE ? e.info.mem_size - 1 : 4 * PAGE;
	int src = t_reachable_buf(&e, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int dst = t_reachable_buf(&e, size, MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT);
	int sd, dd, pipefd[2];
	struct mmdma_xfer x;

	sd = mmdma_buf_export(src, O_RDWR | O_CLOEXEC);
	dd = mmdma_buf_export(dst, O_RDWR | O_CLOEXEC);
	ASSERT_OK(sd);
	ASSERT_OK(dd);
	ASSERT_OK(mmdma_buf_fill(src, 0, size, 21));

	/* Not a dma-buf, range outside, a method that needs pages, attached. */
	ASSERT_OK(pipe(pipefd));
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, pipefd[0], 0, -1, 0, 0, 100, NULL),
		     EINVAL);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, sd, size - 99, -1, 0, 0, 100, NULL),
		     EINVAL);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, sd, 0, -1, 0, 0,
			  100, NULL), EINVAL);
	x = (struct mmdma_xfer){ .op = MMDMA_XFER_TO_DEV, .dma = MMDMA_DMA_POOL,
				 .src_fd = sd, .length = 100 };
	EXPECT_SYSERR(ioctl(e.fd, MMDMA_DEV_XFER, &x), EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);

	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, sd, soff, -1, 0, 0, len, &x));
	EXPECT(x.bus_addr != 0);
	EXPECT_EQ(x.bounced, 0);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, dd, doff, 0, len, NULL));
	t_expect_copy(dst, size, doff, soff, len, 21);

	/* dma-buf to dma-buf in one round trip, odd and small. */
	t_zero(dst, size);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, 0, sd, 5, dd, 7, 0, 201, NULL));
	t_expect_copy(dst, size, 7, 5, 201, 21);
	close(sd);
	close(dd);
	close(src);
	close(dst);
	close(e.fd);
}

/* A transfer from the device into a dma-buf, run by a thread of its own. */
struct bg_import {
	const struct t_dev *e;
	int dmabuf;
	uint64_t doff, devoff, len;
	int ret;
	volatile int started;
};

static void *bg_import_from_dev(void *arg)
{
	struct bg_import *b = arg;

	b->started = 1;
	b->ret = t_xfer(b->e, MMDMA_XFER_FROM_DEV, 0, -1, 0, b->dmabuf, b->doff,
			b->devoff, b->len, NULL);
	return NULL;
}

/*
 * Two transfers into one dma-buf at the same time, each into a range of
 * its own, while the CPU writes a third range through the mapping: every
 * range keeps what was written into it.  Each import maps the whole
 * dma-buf for the device; under swiotlb, handing all of it back to the CPU
 * at the end of one transfer would copy stale bytes over the other
 * ranges, so only the range a transfer wrote is handed back.  On the
 * debug kernel, two mappings of one dma-buf at once must not be reported
 * as overlapping (the guest log is part of the verdict).
 */
static void concurrent_imports_keep_their_ranges(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	uint64_t size = 4 * PAGE, len = 1000, devoff2 = 2048;
	int src = t_reachable_buf(&e, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int dst = t_reachable_buf(&e, size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct bg_import b = { .e = &e, .doff = 0, .devoff = 0, .len = len };
	uint64_t bad = 0, first = 0;
	pthread_t t;
	uint8_t *p;

	ASSERT_OK(mmdma_buf_fill(src, 0, size, 41));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, 0, -1, 0, 0, len, NULL));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, src, devoff2, -1, 0, devoff2,
			 len, NULL));
	b.dmabuf = mmdma_buf_export(dst, O_RDWR | O_CLOEXEC);
	ASSERT_OK(b.dmabuf);
	p = t_map(b.dmabuf, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	ASSERT_OK(pthread_create(&t, NULL, bg_import_from_dev, &b));
	while (!b.started)
		usleep(100);
	/* edu takes 100 ms per DMA: the thread's import is mapped by now. */
	usleep(20000);
	memset(p + 3 * PAGE, 0x5a, PAGE);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, b.dmabuf, PAGE, devoff2,
			 len, NULL));
	ASSERT_OK(pthread_join(t, NULL));
	EXPECT_OK(b.ret);

	for (uint64_t i = 0; i < size; i++) {
		uint8_t want = 0;

		if (i < len)
			want = mmdma_pattern_byte(41, i);
		else if (i >= PAGE && i < PAGE + len)
			want = mmdma_pattern_byte(41, devoff2 + i - PAGE);
		else if (i >= 3 * PAGE)
			want = 0x5a;
		if (p[i] != want && !bad++)
			first = i;
	}
	if (bad)
		ktap_diag("%llu bytes wrong, the first at %llu",
			  (unsigned long long)bad, (unsigned long long)first);
	EXPECT_EQ(bad, 0);
	ASSERT_OK(munmap(p, size));
	close(b.dmabuf);
	close(src);
	close(dst);
	close(e.fd);
}

static void dmabuf_import_exact_edu(void) { dmabuf_import_exact(T_EDU); }
static void dmabuf_import_exact_soft(void) { dmabuf_import_exact(T_SOFT); }

/*
 * The dma-buf holds the memory: close the buffer fd and it still maps,
 * imports and reads back; close the dma-buf and the buffer is gone.
 */
static void dmabuf_outlives_buffer_fd(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	uint64_t size = 2 * PAGE;
	uint32_t before = t_nr_buffers();
	int buf = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT);
	int d = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
	int chk = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	char path[128];
	uint8_t *p;

	ASSERT_OK(d);
	snprintf(path, sizeof(path), BUFS_SYSFS "/%u", t_info(buf).id);
	ASSERT_OK(mmdma_buf_fill(buf, 0, size, 33));
	close(buf);
	EXPECT_EQ(t_nr_buffers(), before + 2);
	EXPECT_OK(access(path, F_OK));
	p = t_map(d, size, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(p, 0, size, 33);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, 0, d, 1, chk, 1, 0, size - 1, NULL));
	t_expect_copy(chk, size, 1, 1, size - 1, 33);
	close(d);
	/* The mapping still holds the dma-buf's file. */
	EXPECT_EQ(t_nr_buffers(), before + 2);
	t_expect_pattern(p, 0, size, 33);
	ASSERT_OK(munmap(p, size));
	EXPECT_EQ(t_nr_buffers(), before + 1);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	close(chk);
	close(e.fd);
}

static unsigned long long read_ull_at(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return t_read_ull(path);
}

static void read_line(const char *dir, const char *name, char *out, size_t n)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	t_read_line(path, out, n);
}

/* /sys/kernel/mmdma/buffers/<id>/ describes the buffer while it lives. */
static void sysfs_describes_buffer(void)
{
	struct t_dev e = t_dev_open(T_SOFT);
	int buf = t_buf(3 * PAGE - 5, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
	char dir[128], line[256], want[256];
	struct mmdma_dma_seg seg;
	struct stat st;
	void *p;

	snprintf(dir, sizeof(dir), BUFS_SYSFS "/%u", t_info(buf).id);
	EXPECT_EQ(read_ull_at(dir, "size"), 3 * PAGE);
	read_line(dir, "kind", line, sizeof(line));
	EXPECT_EQ(strcmp(line, "contig\n"), 0);
	read_line(dir, "method", line, sizeof(line));
	EXPECT_EQ(strcmp(line, "remap\n"), 0);
	read_line(dir, "cache", line, sizeof(line));
	EXPECT_EQ(strcmp(line, "cached\n"), 0);
	EXPECT_EQ(read_ull_at(dir, "live_maps"), 0);
	p = t_map(buf, PAGE, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(read_ull_at(dir, "live_maps"), 1);
	ASSERT_OK(munmap(p, PAGE));
	read_line(dir, "attachments", line, sizeof(line));
	EXPECT_EQ(strcmp(line, ""), 0);

	ASSERT_EQ(mmdma_buf_attach(buf, e.fd, MMDMA_DIR_BIDIRECTIONAL), 1);
	ASSERT_EQ(mmdma_buf_dma_addrs(buf, e.fd, 0, 1, &seg, NULL), 1);
	read_line(dir, "attachments", line, sizeof(line));
	EXPECT_EQ(strcmp(line, T_SOFT " bidirectional mapped\n"), 0);
	/* Bus addresses are for root's eyes only. */
	snprintf(want, sizeof(want), "%s/dma_addrs", dir);
	ASSERT_OK(stat(want, &st));
	EXPECT_EQ(st.st_mode & 0777, 0400);
	read_line(dir, "dma_addrs", line, sizeof(line));
	snprintf(want, sizeof(want), T_SOFT " bidirectional mapped %#llx\n",
		 (unsigned long long)seg.dma_addr);
	EXPECT_EQ(strcmp(line, want), 0);
	if (strcmp(line, want))
		ktap_diag("dma_addrs says '%s', expected '%s'", line, want);
	close(buf);
	EXPECT_SYSERR(access(dir, F_OK), ENOENT);
	close(e.fd);
}

/*
 * Directories under buffers/, counted by listing alone: reading the
 * control node's count would make the pending ones.
 */
static int count_buf_dirs(void)
{
	DIR *d = opendir(BUFS_SYSFS);
	struct dirent *e;
	int n = 0;

	ASSERT(d != NULL);
	while ((e = readdir(d)))
		n += e->d_name[0] >= '0' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

/*
 * A buffer's directory is made lazily (kernel/mmdma_sysfs.c): not by
 * MMDMA_IOC_ALLOC itself, but by a work item 10 ms later, or at once by
 * MMDMA_BUF_INFO (whoever has the id finds the directory) and by a read
 * of the control node's buffers count (a listing after it shows every
 * buffer counted).  A buffer freed first never gets one.  The lazy case
 * gets 20 tries: the work item may run between the ioctl and the listing
 * when the process is held up that long.
 */
static void sysfs_directory_made_lazily(void)
{
	int n0 = 0, fd = -1, fd2, fd3, fd4;
	struct t_deadline d;
	bool lazy = false;
	char path[128];

	for (int i = 0; i < 20 && !lazy; i++) {
		/* Nothing pending from before. */
		t_read_ull(CTL_BUFFERS);
		n0 = count_buf_dirs();
		fd = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		lazy = count_buf_dirs() == n0;
		if (!lazy)
			close(fd);
	}
	ASSERT(lazy);
	/* Reading the count makes it. */
	EXPECT_EQ(t_read_ull(CTL_BUFFERS), t_nr_buffers());
	EXPECT_EQ(count_buf_dirs(), n0 + 1);

	/* Left alone, the work item makes it. */
	fd2 = t_buf(2 * PAGE, MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT);
	d = t_deadline_ms(T_POLL_MS);
	while (count_buf_dirs() != n0 + 2 && t_deadline_sleep(&d))
		;
	EXPECT_EQ(count_buf_dirs(), n0 + 2);

	/* The id from MMDMA_BUF_INFO names a directory that is there. */
	fd3 = t_buf(3 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
	snprintf(path, sizeof(path), BUFS_SYSFS "/%u/size", t_info(fd3).id);
	EXPECT_EQ(t_read_ull(path), 3 * PAGE);
	close(fd3);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);

	/* Freed while pending: nothing then, nothing after the delay. */
	fd4 = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	close(fd4);
	EXPECT_EQ(count_buf_dirs(), n0 + 2);
	usleep(50 * 1000);
	t_read_ull(CTL_BUFFERS);
	EXPECT_EQ(count_buf_dirs(), n0 + 2);

	close(fd);
	close(fd2);
	EXPECT_EQ(count_buf_dirs(), n0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(export_bad_input_rejected),
	KTAP_CASE(dmabuf_mmap_is_the_buffer),
	KTAP_CASE_T(dmabuf_import_exact_edu, 300),
	KTAP_CASE_T(dmabuf_import_exact_soft, 300),
	KTAP_CASE_T(concurrent_imports_keep_their_ranges, 300),
	KTAP_CASE(dmabuf_outlives_buffer_fd),
	KTAP_CASE(dmabuf_of_wc_and_huge_buffers),
	KTAP_CASE(sysfs_describes_buffer),
	KTAP_CASE(sysfs_directory_made_lazily),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
