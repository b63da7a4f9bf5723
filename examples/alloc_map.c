// SPDX-License-Identifier: MIT
/*
 * Allocate a buffer of kernel memory from mmdma and map it.
 *
 *   cc -Wall -o alloc_map alloc_map.c        (needs <linux/mmdma.h>)
 *   ./alloc_map [SIZE_IN_BYTES]
 *
 * The buffer is a file descriptor: map it, read and write it, and it
 * lives until the fd and every mapping of it are gone.
 */
#include <fcntl.h>
#include <linux/mmdma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 1 << 20;
	struct mmdma_alloc req = {
		.size = size,
		.kind = MMDMA_MEM_PAGES,	/* order-0 pages, scattered */
		.method = MMDMA_MAP_FAULT,	/* mapped page by page on first touch */
		.flags = MMDMA_ALLOC_CLOEXEC,
	};
	struct mmdma_buf_info info = { 0 };
	char back[32] = "";
	char *p;
	int ctl;

	ctl = open("/dev/mmdma", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("/dev/mmdma (is the module loaded?)");
		return 1;
	}
	if (ioctl(ctl, MMDMA_IOC_ALLOC, &req) < 0) {
		perror("MMDMA_IOC_ALLOC");
		return 1;
	}
	close(ctl);		/* the buffer does not need the control node */

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, req.fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Written through the mapping, read through the fd: the same memory. */
	strcpy(p + size - 4096, "hello from user space");
	if (pread(req.fd, back, sizeof(back) - 1, size - 4096) < 0) {
		perror("pread");
		return 1;
	}
	if (ioctl(req.fd, MMDMA_BUF_INFO, &info) < 0) {
		perror("MMDMA_BUF_INFO");
		return 1;
	}
	printf("buffer %u: %llu bytes, %u live mapping(s), %llu page(s) faulted in\n",
	       info.id, (unsigned long long)info.size, info.live_maps,
	       (unsigned long long)info.faults);
	printf("read back: \"%s\"\n", back);
	munmap(p, size);
	close(req.fd);
	return strcmp(back, "hello from user space") != 0;
}
