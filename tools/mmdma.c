// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: command-line tool for the mmdma driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "mmdma_cli.h"

static const char *prog = "mmdma";
const char *cli_prog = "mmdma";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  info                      what the loaded driver offers, and its limits\n"
		"  map [--hex|--hex32] FILE OFFSET LENGTH\n"
		"                            mmap LENGTH bytes of FILE (a file or a device\n"
		"                            node) at OFFSET and dump them: raw bytes to\n"
		"                            stdout, a hex dump with --hex, or 32-bit words\n"
		"                            read one at a time with --hex32 (for device\n"
		"                            registers that only answer 32-bit reads)\n"
		"                            (LDD3's mapper)\n"
		"  tour                      make a buffer of every kind, map it with every\n"
		"                            method that can map it, and show the data\n"
		"                            moving between write(), the mapping and the\n"
		"                            kernel, with the live-mapping counts; one\n"
		"                            ISA DMA read of the floppy, if there is one;\n"
		"                            and one buffer address explained\n"
		"  devices                   the DMA device nodes, their limits and counters\n"
		"  xfer DEVICE LENGTH [--dma METHOD] [--kind KIND]\n"
		"                            a round trip through DEVICE (e.g. mmdma-edu0):\n"
		"                            a filled buffer to device memory and back into a\n"
		"                            second buffer, which is checked; METHOD is one of\n"
		"                            auto sg page single coherent pool stream\n"
		"  explain [--pid PID] ADDR [--device DEV]\n"
		"                            follow user virtual address ADDR of process\n"
		"                            PID (default: mmdma itself) to its VMA, page-table\n"
		"                            entries, page frame and physical address, struct\n"
		"                            page, kernel logical address and, for DMA device\n"
		"                            DEV, bus address (needs CAP_SYS_ADMIN)\n"
		"  help                      this text\n"
		"  --version                 the tool's release\n"
		"\n"
		"Sizes and offsets take 0x-hex and k/M/G suffixes.  $MMDMA_DEV names the\n"
		"control node (default " MMDMA_CTL_PATH ").\n",
		prog);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	return 1;
}

static int open_ctl(void)
{
	int ctl = mmdma_open();

	if (ctl < 0) {
		const char *path = getenv("MMDMA_DEV");

		fprintf(stderr, "%s: %s: %s%s\n", prog,
			path && *path ? path : MMDMA_CTL_PATH, strerror(-ctl),
			ctl == -ENOENT ? " (is the mmdma module loaded?)" : "");
	}
	return ctl;
}

int cli_fail(const char *what, int err)
{
	return fail(what, err);
}

int cli_open_ctl(void)
{
	return open_ctl();
}

static int cmd_info(void)
{
	struct mmdma_info info;
	int ctl = open_ctl();
	int ret;

	if (ctl < 0)
		return 1;
	ret = mmdma_info(ctl, &info);
	close(ctl);
	if (ret < 0)
		return fail("MMDMA_IOC_INFO", -ret);
	printf("abi version      %u\n", info.abi_version);
	printf("page size        %u\n", info.page_size);
	printf("features        ");
	if (info.features & MMDMA_FEAT_MEM_PAGES)
		printf(" mem:pages");
	if (info.features & MMDMA_FEAT_MEM_CONTIG)
		printf(" mem:contig");
	if (info.features & MMDMA_FEAT_MEM_VMALLOC)
		printf(" mem:vmalloc");
	if (info.features & MMDMA_FEAT_MEM_COHERENT)
		printf(" mem:coherent");
	if (info.features & MMDMA_FEAT_MEM_RESERVED)
		printf(" mem:reserved");
	if (info.features & MMDMA_FEAT_MAP_REMAP)
		printf(" map:remap");
	if (info.features & MMDMA_FEAT_MAP_FAULT)
		printf(" map:fault");
	if (info.features & MMDMA_FEAT_MAP_INSERT)
		printf(" map:insert");
	if (info.features & MMDMA_FEAT_MAP_HUGE)
		printf(" map:huge");
	if (info.features & MMDMA_FEAT_ATTACH)
		printf(" attach");
	if (info.features & MMDMA_FEAT_DMABUF)
		printf(" dma-buf");
	if (info.features & MMDMA_FEAT_BUF_SYSFS)
		printf(" buf-sysfs");
	printf("\n");
	printf("max buffer       %llu bytes\n", (unsigned long long)info.max_buf_size);
	printf("max contiguous   %llu bytes\n", (unsigned long long)info.max_contig_size);
	printf("max total        %llu bytes\n", (unsigned long long)info.max_total);
	printf("in use           %llu bytes in %u buffers\n",
	       (unsigned long long)info.total, info.nr_buffers);
	return 0;
}

static void hexdump(const unsigned char *p, size_t len, unsigned long long base)
{
	for (size_t i = 0; i < len; i += 16) {
		size_t n = len - i < 16 ? len - i : 16;

		printf("%08llx ", base + i);
		for (size_t j = 0; j < 16; j++) {
			if (j < n)
				printf(" %02x", p[i + j]);
			else
				printf("   ");
		}
		printf("  |");
		for (size_t j = 0; j < n; j++)
			putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
		printf("|\n");
	}
}

/* Device registers often answer only aligned 32-bit loads: do exactly those. */
static void hexdump32(const volatile uint32_t *p, size_t len, unsigned long long base)
{
	for (size_t i = 0; i < len / 4; i++) {
		if (i % 4 == 0)
			printf("%s%08llx ", i ? "\n" : "", base + 4 * i);
		printf(" %08x", p[i]);
	}
	printf("\n");
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* LDD3's mapper: map a page-aligned window around the range, dump the range. */
static int cmd_map(int argc, char **argv)
{
	uint64_t off, len, start, delta;
	long page = sysconf(_SC_PAGESIZE);
	int hex = 0;	/* 1: bytes, 4: 32-bit words */
	unsigned char *p;
	int fd, ret = 0;

	if (argc > 1 && (!strcmp(argv[1], "--hex") || !strcmp(argv[1], "--hex32"))) {
		hex = strcmp(argv[1], "--hex") ? 4 : 1;
		argc--;
		argv++;
	}
	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	if (mmdma_parse_size(argv[2], &off) || mmdma_parse_size(argv[3], &len) ||
	    !len) {
		fprintf(stderr, "%s: map: bad offset '%s' or length '%s'\n", prog,
			argv[2], argv[3]);
		return 2;
	}
	if (hex == 4 && (off % 4 || len % 4)) {
		fprintf(stderr, "%s: map: --hex32 needs 4-byte aligned offset and length\n",
			prog);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[1], errno);
	start = off & ~(uint64_t)(page - 1);
	delta = off - start;
	if (len > SIZE_MAX - delta) {
		close(fd);
		return fail("map: length", ERANGE);
	}
	p = mmap(NULL, len + delta, PROT_READ, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED) {
		ret = fail(argv[1], errno);
		close(fd);
		return ret;
	}
	if (hex == 4) {
		hexdump32((const volatile uint32_t *)(p + delta), len, off);
	} else if (hex) {
		hexdump(p + delta, len, off);
	} else {
		int err = write_all(STDOUT_FILENO, p + delta, len);

		if (err)
			ret = fail("stdout", -err);
	}
	munmap(p, len + delta);
	close(fd);
	return ret;
}

static const struct {
	uint32_t kind, method;
	const char *how;
} tour_stops[] = {
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP, "remap_pfn_range() at mmap time" },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, ".fault handler, a page per fault" },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT, ".fault handler with vmalloc_to_page()" },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, "vm_insert_pages() at mmap time" },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT, "vm_insert_pages() over vmalloc_to_page()" },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT, "vm_insert_pages() over contiguous pages" },
};

#define TOUR_SIZE (64 * 1024)

static const char *verdict(bool ok)
{
	return ok ? "ok" : "MISMATCH";
}

static unsigned int live(int fd)
{
	struct mmdma_buf_info info;

	return mmdma_buf_info(fd, &info) < 0 ? ~0U : info.live_maps;
}

static int tour_one(int ctl, uint32_t kind, uint32_t method, const char *how)
{
	static unsigned char scratch[TOUR_SIZE];
	struct mmdma_buf_info info;
	unsigned char *p;
	int fd, bad = 0;
	pid_t pid;

	printf("\n%s/%s: %s, %d KiB\n", mmdma_kind_name(kind),
	       mmdma_method_name(method), how, TOUR_SIZE / 1024);
	fd = mmdma_alloc(ctl, TOUR_SIZE, kind, method, 0);
	if (fd < 0)
		return fail("alloc", -fd);
	p = mmap(NULL, TOUR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return fail("mmap", errno);
	}

	mmdma_pattern_fill(scratch, 0, TOUR_SIZE, 1);
	bad |= pwrite(fd, scratch, TOUR_SIZE, 0) != TOUR_SIZE;
	bad |= mmdma_pattern_check(p, 0, TOUR_SIZE, 1) != TOUR_SIZE;
	printf("  write() pattern 1           -> seen in the mapping: %s\n", verdict(!bad));

	mmdma_pattern_fill(p, 0, TOUR_SIZE, 2);
	bad |= pread(fd, scratch, TOUR_SIZE, 0) != TOUR_SIZE;
	bad |= mmdma_pattern_check(scratch, 0, TOUR_SIZE, 2) != TOUR_SIZE;
	printf("  mapping written, pattern 2  -> seen by read(): %s\n", verdict(!bad));

	bad |= mmdma_buf_fill(fd, 0, TOUR_SIZE, 3) < 0;
	bad |= mmdma_pattern_check(p, 0, TOUR_SIZE, 3) != TOUR_SIZE;
	printf("  kernel fills pattern 3      -> seen in the mapping: %s\n", verdict(!bad));

	printf("  live mappings: %u", live(fd));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The child's copy of the mapping writes; the parent sees it. */
		mmdma_pattern_fill(p, 0, TOUR_SIZE, 4);
		printf(", in forked child %u", live(fd));
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	bad |= mmdma_pattern_check(p, 0, TOUR_SIZE, 4) != TOUR_SIZE;
	printf(", child gone %u", live(fd));
	munmap(p, TOUR_SIZE);
	printf(", unmapped %u\n", live(fd));
	printf("  child wrote pattern 4       -> seen by the parent: %s\n",
	       verdict(!bad));

	if (mmdma_buf_info(fd, &info) == 0)
		printf("  pages mapped at mmap(): %llu, by the fault handler: %llu\n",
		       (unsigned long long)info.inserted,
		       (unsigned long long)info.faults);
	close(fd);
	return bad;
}

/* One address of a vmalloc buffer, explained ("Memory Management in Linux"). */
static int tour_explain(int ctl)
{
	int fd, dev, ret;
	char *p;

	printf("\none address explained: a vmalloc buffer mapped by the fault handler\n");
	fd = mmdma_alloc(ctl, TOUR_SIZE, MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT, 0);
	if (fd < 0)
		return fail("alloc", -fd);
	p = mmap(NULL, TOUR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return fail("mmap", errno);
	}
	p[4096 + 16] = 1;	/* fault page 1 in; explain itself never does */
	dev = mmdma_dev_open("mmdma-soft0");
	ret = cli_explain_print(ctl, 0, (uintptr_t)(p + 4096 + 16), dev,
				"mmdma-soft0");
	if (ret == -EPERM)
		printf("  (needs CAP_SYS_ADMIN: it shows physical addresses)\n");
	else if (ret)
		fail("explain", -ret);
	if (dev >= 0)
		close(dev);
	munmap(p, TOUR_SIZE);
	close(fd);
	return ret && ret != -EPERM;
}

static int cmd_tour(void)
{
	static const struct { uint32_t kind, method; } refused[] = {
		{ MMDMA_MEM_PAGES, MMDMA_MAP_REMAP },
		{ MMDMA_MEM_VMALLOC, MMDMA_MAP_REMAP },
	};
	int ctl = open_ctl();
	int bad = 0;

	if (ctl < 0)
		return 1;
	printf("mmdma tour: one buffer per memory kind and mapping method");
	for (size_t i = 0; i < sizeof(tour_stops) / sizeof(tour_stops[0]); i++)
		bad |= tour_one(ctl, tour_stops[i].kind, tour_stops[i].method,
				tour_stops[i].how);

	printf("\ncombinations the driver refuses:\n");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int fd = mmdma_alloc(ctl, TOUR_SIZE, refused[i].kind,
				     refused[i].method, 0);

		printf("  %s/%s: %s\n", mmdma_kind_name(refused[i].kind),
		       mmdma_method_name(refused[i].method),
		       fd < 0 ? strerror(-fd) : "accepted (unexpected)");
		if (fd >= 0) {
			close(fd);
			bad = 1;
		}
	}
	printf("  (remap_pfn_range() maps one physically contiguous range;\n"
	       "   vmalloc memory and page arrays are not one)\n");
	bad |= cli_tour_isa(ctl);
	bad |= tour_explain(ctl);
	close(ctl);
	return bad;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	/* The tool's release (the tree's VERSION file, as the module's). */
	if (!strcmp(cmd, "--version")) {
		printf("mmdma %s\n", MMDMA_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "info"))
		return cmd_info();
	if (!strcmp(cmd, "map"))
		return cmd_map(argc - 1, argv + 1);
	if (!strcmp(cmd, "tour"))
		return cmd_tour();
	if (!strcmp(cmd, "devices"))
		return cmd_devices();
	if (!strcmp(cmd, "xfer"))
		return cmd_xfer(argc - 1, argv + 1);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage(stderr);
	return 2;
}
