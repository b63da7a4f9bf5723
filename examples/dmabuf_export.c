// SPDX-License-Identifier: MIT
/*
 * Export a buffer as a dma-buf: any driver that imports dma-bufs (a GPU,
 * a V4L2 device, RDMA) can use the same memory.  Here the importer is an
 * mmdma DMA device: the dma-buf fd is the source of a transfer into the
 * device's memory, which comes back into a second buffer.
 *
 *   cc -Wall -o dmabuf_export dmabuf_export.c   (needs <linux/mmdma.h>)
 *   ./dmabuf_export [DEVICE_NODE]               (default /dev/mmdma-soft0)
 */
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/mmdma.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (64 * 1024)

static int alloc(int ctl)
{
	struct mmdma_alloc req = {
		.size = LEN, .kind = MMDMA_MEM_PAGES, .method = MMDMA_MAP_FAULT,
		.flags = MMDMA_ALLOC_CLOEXEC,
	};

	return ioctl(ctl, MMDMA_IOC_ALLOC, &req) < 0 ? -1 : req.fd;
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : "/dev/mmdma-soft0";
	struct mmdma_buf_export exp = { .fd_flags = O_RDWR | O_CLOEXEC };
	struct dma_buf_sync sync = { 0 };
	struct mmdma_xfer x = { 0 };
	int ctl, dev, buf, back;
	unsigned char *p, *q;

	ctl = open("/dev/mmdma", O_RDWR | O_CLOEXEC);
	dev = open(node, O_RDWR | O_CLOEXEC);
	if (ctl < 0 || dev < 0) {
		perror(ctl < 0 ? "/dev/mmdma" : node);
		return 1;
	}
	buf = alloc(ctl);
	back = alloc(ctl);
	if (buf < 0 || back < 0 || ioctl(buf, MMDMA_BUF_EXPORT, &exp) < 0) {
		perror("alloc / MMDMA_BUF_EXPORT");
		return 1;
	}
	close(buf);	/* the dma-buf holds the memory now */

	/* CPU access to a dma-buf is bracketed by DMA_BUF_IOCTL_SYNC. */
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, exp.fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap of the dma-buf");
		return 1;
	}
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	ioctl(exp.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (int i = 0; i < LEN; i++)
		p[i] = (unsigned char)(i * 13);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(exp.fd, DMA_BUF_IOCTL_SYNC, &sync);

	/* The device imports the dma-buf for the transfer. */
	x.op = MMDMA_XFER_ROUNDTRIP;
	x.src_fd = exp.fd;
	x.dst_fd = back;
	x.length = LEN;
	if (ioctl(dev, MMDMA_DEV_XFER, &x) < 0) {
		perror("MMDMA_DEV_XFER from the dma-buf");
		return 1;
	}
	q = mmap(NULL, LEN, PROT_READ, MAP_SHARED, back, 0);
	if (q == MAP_FAILED || memcmp(p, q, LEN)) {
		fprintf(stderr, "the data did not come back\n");
		return 1;
	}
	printf("dma-buf fd %d: %d bytes written by the CPU, imported by %s, moved and checked\n",
	       exp.fd, LEN, node);
	return 0;
}
