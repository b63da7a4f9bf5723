// SPDX-License-Identifier: MIT
/*
 * Direct I/O with io_uring: the device node's read and write move data
 * between your own memory (pinned for the transfer, no copy) and the
 * device's memory at the file offset, many requests in flight.
 *
 *   cc -Wall -o dio_uring dio_uring.c -luring   (needs <linux/mmdma.h>, liburing)
 *   ./dio_uring [DEVICE_NODE]                   (default /dev/mmdma-soft0)
 */
#include <fcntl.h>
#include <liburing.h>
#include <linux/mmdma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CHUNK	4096
#define DEPTH	8

/* Queue DEPTH reads or writes of CHUNK bytes each and wait for them all. */
static int batch(struct io_uring *ring, int dev, unsigned char *mem, int write)
{
	for (int i = 0; i < DEPTH; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (write)
			io_uring_prep_write(sqe, dev, mem + i * CHUNK, CHUNK, (__u64)i * CHUNK);
		else
			io_uring_prep_read(sqe, dev, mem + i * CHUNK, CHUNK, (__u64)i * CHUNK);
	}
	io_uring_submit(ring);
	for (int i = 0; i < DEPTH; i++) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_wait_cqe(ring, &cqe);

		if (ret < 0 || cqe->res != CHUNK) {
			fprintf(stderr, "%s: %s\n", write ? "write" : "read",
				strerror(ret < 0 ? -ret : cqe->res < 0 ? -cqe->res : EIO));
			return -1;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : "/dev/mmdma-soft0";
	struct mmdma_dev_info info = { 0 };
	unsigned char *out, *in;
	struct io_uring ring;
	int dev, ret;

	dev = open(node, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(node);
		return 1;
	}
	if (ioctl(dev, MMDMA_DEV_INFO, &info) < 0 || info.mem_size < DEPTH * CHUNK) {
		fprintf(stderr, "%s: needs %d bytes of device memory\n", node, DEPTH * CHUNK);
		return 1;
	}
	/* Page-aligned memory: each request pins whole pages of it. */
	if (posix_memalign((void **)&out, 4096, DEPTH * CHUNK) ||
	    posix_memalign((void **)&in, 4096, DEPTH * CHUNK))
		return 1;
	for (int i = 0; i < DEPTH * CHUNK; i++)
		out[i] = (unsigned char)(i ^ (i >> 8));
	memset(in, 0, DEPTH * CHUNK);

	ret = io_uring_queue_init(DEPTH, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (batch(&ring, dev, out, 1) || batch(&ring, dev, in, 0))
		return 1;
	io_uring_queue_exit(&ring);
	if (memcmp(out, in, DEPTH * CHUNK)) {
		fprintf(stderr, "%s: read back differs from what was written\n", node);
		return 1;
	}
	printf("%d x %d bytes written to %s and read back with io_uring: data checked\n",
	       DEPTH, CHUNK, (const char *)info.name);
	return 0;
}
