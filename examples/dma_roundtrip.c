// SPDX-License-Identifier: MIT
/*
 * A DMA round trip: a buffer goes to a device's memory and back into a
 * second buffer, which is checked.
 *
 *   cc -Wall -o dma_roundtrip dma_roundtrip.c   (needs <linux/mmdma.h>)
 *   ./dma_roundtrip [DEVICE_NODE [LENGTH]]      (default /dev/mmdma-soft0, 1 MiB)
 *
 * mmdma-soft0 is the software engine (the CPU copies, through the same DMA
 * mapping path); mmdma-edu0 is QEMU's edu PCI device.
 */
#include <fcntl.h>
#include <linux/mmdma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int alloc(int ctl, size_t size)
{
	struct mmdma_alloc req = {
		.size = size, .kind = MMDMA_MEM_PAGES, .method = MMDMA_MAP_FAULT,
		.flags = MMDMA_ALLOC_CLOEXEC,
	};

	return ioctl(ctl, MMDMA_IOC_ALLOC, &req) < 0 ? -1 : req.fd;
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : "/dev/mmdma-soft0";
	size_t len = argc > 2 ? strtoul(argv[2], NULL, 0) : 1 << 20;
	struct mmdma_xfer x = { .op = MMDMA_XFER_ROUNDTRIP, .dma = MMDMA_DMA_AUTO };
	unsigned char *src, *dst;
	int ctl, dev;

	ctl = open("/dev/mmdma", O_RDWR | O_CLOEXEC);
	dev = open(node, O_RDWR | O_CLOEXEC);
	if (ctl < 0 || dev < 0) {
		perror(ctl < 0 ? "/dev/mmdma" : node);
		return 1;
	}
	x.src_fd = alloc(ctl, len);
	x.dst_fd = alloc(ctl, len);
	if (x.src_fd < 0 || x.dst_fd < 0) {
		perror("MMDMA_IOC_ALLOC");
		return 1;
	}
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, x.src_fd, 0);
	dst = mmap(NULL, len, PROT_READ, MAP_SHARED, x.dst_fd, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 12));

	/* The driver maps both buffers for the device, runs and unmaps. */
	x.length = len;
	if (ioctl(dev, MMDMA_DEV_XFER, &x) < 0) {
		perror("MMDMA_DEV_XFER");
		return 1;
	}
	if (memcmp(src, dst, len)) {
		fprintf(stderr, "%s: the data came back different\n", node);
		return 1;
	}
	printf("%zu bytes through %s and back in %.3f ms: data checked\n", len,
	       node, x.nsecs / 1e6);
	return 0;
}
