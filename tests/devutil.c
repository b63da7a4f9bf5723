// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the test programs that drive DMA device nodes with buffers,
 * attachments and dma-bufs (test_attach, test_dmabuf).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devutil.h"

struct t_dev t_dev_open(const char *name)
{
	struct t_dev e = { .name = name };

	e.fd = t_dev_or_skip(name);
	ASSERT_OK(mmdma_dev_info(e.fd, &e.info));
	return e;
}

bool t_profile_is(const char *what)
{
	const char *e = getenv("MMDMA_EXPECT");

	return e && !strcmp(e, what);
}

/*
 * Fillers push the page allocator's next small allocations down, towards
 * memory a device with few address bits reaches: anonymous memory touched
 * a page at a time (no transparent huge pages) takes order-0 pages, using
 * up the free fragments a page-sized buffer comes from.  Holding the misses
 * alone did not (a fresh 512 MiB guest kept handing out high pages for
 * over 512 one-page buffers), and since vmalloc memory comes in large
 * blocks neither does a vmalloc filler.
 */
bool t_filler_grow(struct t_filler *f)
{
	const size_t len = 4 << 20;
	void *p;

	if (f->n == (int)(sizeof(f->p) / sizeof(f->p[0])))
		return false;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT(p != MAP_FAILED);
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 0x5a, len);
	f->p[f->n++] = p;
	return true;
}

void t_filler_release(struct t_filler *f)
{
	while (f->n)
		munmap(f->p[--f->n], 4 << 20);
}

/*
 * A buffer the device reaches in full.  In the "limited" profile part of RAM
 * is beyond the edu device's 28 bits and an attachment of it gets ERANGE:
 * allocate again, keeping the misses so the allocator moves on, and for
 * buffers of up to 1 MiB also growing a filler (above) after each miss.
 */
int t_reachable_buf(const struct t_dev *e, uint64_t size, uint32_t kind,
		    uint32_t method)
{
	struct t_filler fill = { .n = 0 };
	int held[512], n = 0, buf = -1;

	while (n < 512) {
		int ret;

		buf = t_buf(size, kind, method);
		ret = mmdma_buf_attach(buf, e->fd, MMDMA_DIR_BIDIRECTIONAL);
		if (ret >= 0) {
			ASSERT_OK(mmdma_buf_detach(buf, e->fd));
			break;
		}
		ASSERT_ERR(ret, ERANGE);
		held[n++] = buf;
		buf = -1;
		if (size <= (1 << 20))
			t_filler_grow(&fill);
	}
	while (n)
		close(held[--n]);
	t_filler_release(&fill);
	if (buf < 0)
		ktap_skip("no memory in reach of %s after 512 buffers", e->name);
	return buf;
}

int t_xfer_dma(int dev, uint32_t op, uint32_t dma, uint32_t flags, int src,
	       uint64_t soff, int dst, uint64_t doff, uint64_t devoff,
	       uint64_t len, struct mmdma_xfer *out)
{
	struct mmdma_xfer x = {
		.op = op, .dma = dma, .flags = flags, .src_fd = src,
		.dst_fd = dst, .src_offset = soff, .dst_offset = doff,
		.dev_offset = devoff, .length = len,
	};
	int ret = mmdma_xfer(dev, &x);

	if (out)
		*out = x;
	return ret;
}

int t_xfer(const struct t_dev *e, uint32_t op, uint32_t flags, int src,
	   uint64_t soff, int dst, uint64_t doff, uint64_t devoff, uint64_t len,
	   struct mmdma_xfer *out)
{
	return t_xfer_dma(e->fd, op, MMDMA_DMA_AUTO, flags, src, soff, dst,
			  doff, devoff, len, out);
}

/* dst[doff..] must hold the fill pattern of src[soff..]; the rest zero. */
void t_expect_copy(int dst, uint64_t dsize, uint64_t doff, uint64_t soff,
		   uint64_t len, uint32_t seed)
{
	uint8_t *d = malloc(dsize);

	ASSERT(d != NULL);
	ASSERT_EQ(pread(dst, d, dsize, 0), (ssize_t)dsize);
	for (uint64_t i = 0; i < dsize; i++) {
		uint8_t want = i >= doff && i < doff + len ?
			       mmdma_pattern_byte(seed, soff + i - doff) : 0;

		if (d[i] != want) {
			ktap_fail(false, __FILE__, __LINE__,
				  "dst byte %llu is %#x, expected %#x (copy of %llu bytes at %llu)",
				  (unsigned long long)i, d[i], want,
				  (unsigned long long)len, (unsigned long long)doff);
			break;
		}
	}
	free(d);
}

/* Zero a buffer through its fd (the CPU's write, like a fill). */
void t_zero(int fd, uint64_t size)
{
	void *z = calloc(1, size);

	ASSERT(z != NULL);
	ASSERT_EQ(pwrite(fd, z, size, 0), (ssize_t)size);
	free(z);
}

/* Bytes [off, off+len) of @fd hold the fill pattern of @seed. */
void t_expect_pattern_at(int fd, uint64_t off, uint64_t len, uint32_t seed)
{
	uint8_t *d = malloc(len);

	ASSERT(d != NULL);
	ASSERT_EQ(pread(fd, d, len, off), (ssize_t)len);
	t_expect_pattern(d, off, len, seed);
	free(d);
}

uint32_t t_nr_buffers(void)
{
	struct mmdma_info info;
	int ctl = t_ctl();

	ASSERT_OK(mmdma_info(ctl, &info));
	close(ctl);
	return info.nr_buffers;
}
