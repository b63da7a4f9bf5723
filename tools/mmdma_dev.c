// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma CLI: the DMA device commands ("devices", "xfer").
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "mmdma_cli.h"

static const char *dev_kind_name(uint32_t kind)
{
	switch (kind) {
	case MMDMA_DEV_EDU:
		return "edu";
	case MMDMA_DEV_SOFT:
		return "soft";
	case MMDMA_DEV_ISA:
		return "isa";
	}
	return "?";
}

static void print_flags(uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ MMDMA_DEVF_IOMMU, "iommu" },
		{ MMDMA_DEVF_SWIOTLB, "swiotlb" },
		{ MMDMA_DEVF_MSI, "msi" },
		{ MMDMA_DEVF_INTX, "intx" },
		{ MMDMA_DEVF_LIMITED, "limited-reach" },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].bit) {
			printf("%s%s", any ? "," : "", names[i].name);
			any = true;
		}
	}
	printf("%s\n", any ? "" : "-");
}

static void print_dev(const struct mmdma_dev_info *d)
{
	printf("%s (%s)\n", (const char *)d->name, dev_kind_name(d->kind));
	printf("  device memory  %llu bytes, at most %llu per operation\n",
	       (unsigned long long)d->mem_size, (unsigned long long)d->max_op);
	printf("  dma mask       %#llx\n", (unsigned long long)d->dma_mask);
	printf("  flags          ");
	print_flags(d->flags);
	printf("  transfers      %llu (%llu failed, %llu operations timed out)\n",
	       (unsigned long long)d->transfers, (unsigned long long)d->errors,
	       (unsigned long long)d->timeouts);
	printf("  moved          %llu bytes in %llu operations; bounced %llu bytes in %llu\n",
	       (unsigned long long)d->bytes, (unsigned long long)d->ops,
	       (unsigned long long)d->bounce_bytes,
	       (unsigned long long)d->bounces);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_dev_node(const struct dirent *e)
{
	return !strncmp(e->d_name, "mmdma-", 6);
}

int cmd_devices(void)
{
	struct dirent **list;
	int n = scandir("/dev", &list, is_dev_node, by_name);
	int bad = 0;

	if (n < 0)
		return cli_fail("/dev", errno);
	if (n == 0)
		printf("no DMA device nodes (/dev/mmdma-*)\n");
	for (int i = 0; i < n; i++) {
		struct mmdma_dev_info info;
		int fd = mmdma_dev_open(list[i]->d_name);
		int ret = fd < 0 ? fd : mmdma_dev_info(fd, &info);

		if (ret < 0) {
			fprintf(stderr, "%s: /dev/%s: %s\n", cli_prog,
				list[i]->d_name, strerror(-ret));
			bad = 1;
		} else {
			print_dev(&info);
		}
		if (fd >= 0)
			close(fd);
		free(list[i]);
	}
	free(list);
	return bad;
}

struct xfer_args {
	const char *dev;
	uint64_t len;
	int dma;
	uint32_t kind;
};

static int parse_xfer(int argc, char **argv, struct xfer_args *a)
{
	int pos = 0;

	a->dma = MMDMA_DMA_AUTO;
	a->kind = MMDMA_MEM_PAGES;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dma") && i + 1 < argc) {
			a->dma = mmdma_dma_parse(argv[++i]);
			if (a->dma < 0) {
				fprintf(stderr, "%s: unknown DMA method '%s'\n",
					cli_prog, argv[i]);
				return -1;
			}
		} else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
			a->kind = mmdma_kind_parse(argv[++i]);
			if (!a->kind) {
				fprintf(stderr, "%s: unknown memory kind '%s'\n",
					cli_prog, argv[i]);
				return -1;
			}
		} else if (pos == 0) {
			a->dev = argv[i];
			pos++;
		} else if (pos == 1) {
			if (mmdma_parse_size(argv[i], &a->len) < 0 || !a->len) {
				fprintf(stderr, "%s: bad length '%s'\n", cli_prog,
					argv[i]);
				return -1;
			}
			pos++;
		} else {
			pos = -1;
			break;
		}
	}
	if (pos != 2) {
		fprintf(stderr, "usage: %s xfer DEVICE LENGTH [--dma METHOD] [--kind KIND]\n",
			cli_prog);
		return -1;
	}
	return 0;
}

/* Both buffers mapped by fault: every kind can be mapped that way. */
static int xfer_buffers(int ctl, const struct xfer_args *a, int fds[2])
{
	for (int i = 0; i < 2; i++) {
		fds[i] = mmdma_alloc(ctl, a->len, a->kind, MMDMA_MAP_FAULT, 0);
		if (fds[i] < 0)
			return cli_fail("MMDMA_IOC_ALLOC", -fds[i]);
	}
	return 0;
}

static int check_dst(int dst, uint64_t len, uint32_t seed)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, dst, 0);
	size_t bad;

	if (p == MAP_FAILED)
		return cli_fail("mmap of the destination buffer", errno);
	bad = mmdma_pattern_check(p, 0, len, seed);
	munmap(p, len);
	if (bad != len) {
		fprintf(stderr, "%s: data differs from byte %zu on\n", cli_prog, bad);
		return 1;
	}
	return 0;
}

/*
 * A round trip through the device: a buffer filled with a known pattern goes
 * to the device's memory and back into a second buffer, which is checked.
 */
int cmd_xfer(int argc, char **argv)
{
	const uint32_t seed = 0x5eed;
	struct xfer_args a = { 0 };
	struct mmdma_xfer x = { 0 };
	int fds[2] = { -1, -1 };
	int ctl, dev = -1, ret = 1;

	if (parse_xfer(argc, argv, &a) < 0)
		return 2;
	ctl = cli_open_ctl();
	if (ctl < 0)
		return 1;
	dev = mmdma_dev_open(a.dev);
	if (dev < 0) {
		fprintf(stderr, "%s: %s: %s\n", cli_prog, a.dev, strerror(-dev));
		goto out;
	}
	if (xfer_buffers(ctl, &a, fds))
		goto out;
	ret = mmdma_buf_fill(fds[0], 0, a.len, seed);
	if (ret < 0) {
		ret = cli_fail("MMDMA_BUF_FILL", -ret);
		goto out;
	}
	x.op = MMDMA_XFER_ROUNDTRIP;
	x.dma = (uint32_t)a.dma;
	x.src_fd = fds[0];
	x.dst_fd = fds[1];
	x.length = a.len;
	ret = mmdma_xfer(dev, &x);
	if (ret < 0) {
		ret = cli_fail("MMDMA_DEV_XFER", -ret);
		goto out;
	}
	ret = check_dst(fds[1], a.len, seed);
	printf("%llu bytes through %s (%s memory, %s): %s\n",
	       (unsigned long long)a.len, a.dev, mmdma_kind_name(a.kind),
	       mmdma_dma_name(x.dma), ret ? "DATA DIFFERS" : "data checked");
	/*
	 * The kernel writes these for CAP_SYS_RAWIO only (docs/security.md):
	 * a transfer always takes at least one operation, so 0 means "not
	 * told".
	 */
	if (x.ops) {
		printf("  operations %llu, bounced %llu bytes\n",
		       (unsigned long long)x.ops, (unsigned long long)x.bounced);
		printf("  first bus address %#llx\n",
		       (unsigned long long)x.bus_addr);
	} else {
		printf("  operations, bouncing and bus address not disclosed (needs CAP_SYS_RAWIO)\n");
	}
	printf("  %.3f ms\n", x.nsecs / 1e6);
out:
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (dev >= 0)
		close(dev);
	close(ctl);
	return ret;
}

/*
 * The tour's ISA stop: the first sectors of the floppy in the ISA engine's
 * drive, read over the 8237 into a buffer (nothing is written to the
 * disk).  Returns 0, also when there is no ISA engine (it is opt-in).
 */
int cli_tour_isa(int ctl)
{
	const uint64_t len = 1024;
	struct mmdma_xfer x = {
		.op = MMDMA_XFER_FROM_DEV, .src_fd = -1, .length = len,
	};
	unsigned char head[16];
	int dev, buf, ret;

	printf("\nISA DMA: /dev/mmdma-isa0, the floppy controller over the 8237\n");
	dev = mmdma_dev_open("mmdma-isa0");
	if (dev == -ENOENT) {
		printf("  no ISA engine here (the module takes isa_fdc=1 to drive the\n"
		       "  floppy controller at 0x3f0; it never probes legacy ports unasked)\n");
		return 0;
	}
	if (dev < 0)
		return cli_fail("/dev/mmdma-isa0", -dev);
	buf = mmdma_alloc(ctl, len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	if (buf < 0) {
		close(dev);
		return cli_fail("MMDMA_IOC_ALLOC", -buf);
	}
	x.dst_fd = buf;
	ret = mmdma_xfer(dev, &x);
	if (ret < 0) {
		ret = cli_fail("MMDMA_DEV_XFER from the floppy", -ret);
	} else if (pread(buf, head, sizeof(head), 0) != (ssize_t)sizeof(head)) {
		ret = cli_fail("read of the buffer", errno);
	} else {
		printf("  sectors 0-1 (%llu bytes) in %.3f ms, %llu operation(s), %llu bounced\n"
		       "  (request_dma(2), set_dma_mode/addr/count, enable_dma, FDC READ DATA,\n"
		       "   IRQ 6, result phase, get_dma_residue)\n  first bytes:",
		       (unsigned long long)len, x.nsecs / 1e6,
		       (unsigned long long)x.ops, (unsigned long long)x.bounced);
		for (size_t i = 0; i < sizeof(head); i++)
			printf(" %02x", head[i]);
		printf("\n");
		ret = 0;
	}
	close(buf);
	close(dev);
	return ret;
}
