// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma explain: one user virtual address, down the chain of LDD3 chapter
 * 15's "Memory Management in Linux", in the chapter's own terms.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/libmmdma.h"
#include "mmdma_cli.h"

/* The kernel's vm_flags bits (include/linux/mm.h), for the VMA line. */
static const struct {
	uint64_t bit;
	const char *name;
} vm_bits[] = {
	{ 0x1, "read" }, { 0x2, "write" }, { 0x4, "exec" }, { 0x8, "shared" },
	{ 0x400, "pfnmap" }, { 0x4000, "io" }, { 0x40000, "dontexpand" },
	{ 0x2000, "locked" }, { 0x20000000, "hugepage" },
};

static const struct {
	uint32_t bit;
	const char *name;
} pg_bits[] = {
	{ MMDMA_PG_LOCKED, "locked" }, { MMDMA_PG_REFERENCED, "referenced" },
	{ MMDMA_PG_UPTODATE, "uptodate" }, { MMDMA_PG_DIRTY, "dirty" },
	{ MMDMA_PG_LRU, "lru" }, { MMDMA_PG_ACTIVE, "active" },
	{ MMDMA_PG_SLAB, "slab" }, { MMDMA_PG_RESERVED, "reserved" },
	{ MMDMA_PG_SWAPBACKED, "swapbacked" }, { MMDMA_PG_ANON, "anon" },
	{ MMDMA_PG_LARGE, "large-folio" }, { MMDMA_PG_UNEVICTABLE, "unevictable" },
	{ MMDMA_PG_WRITEBACK, "writeback" },
};

static const char *level_name(uint32_t level)
{
	switch (level) {
	case MMDMA_LEVEL_PTE: return "pte";
	case MMDMA_LEVEL_PMD: return "pmd";
	case MMDMA_LEVEL_PUD: return "pud";
	}
	return "none";
}

static void print_entries(const struct mmdma_explain *e)
{
	static const char *const names[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	const unsigned long long vals[] = { e->pgd, e->p4d, e->pud, e->pmd, e->pte };
	static const char *const leaves[] = {
		[MMDMA_LEVEL_PUD] = "   <- huge PUD leaf: a 1 GiB page",
		[MMDMA_LEVEL_PMD] = "   <- huge PMD leaf: a 2 MiB page",
		[MMDMA_LEVEL_PTE] = "   <- leaf: a 4 KiB page",
	};
	/* Index of each name's level in MMDMA_LEVEL_* terms (0: never a leaf). */
	static const uint32_t as_level[] = { 0, 0, MMDMA_LEVEL_PUD,
					     MMDMA_LEVEL_PMD, MMDMA_LEVEL_PTE };

	printf("page tables (walked top down, %u level%s read):\n", e->levels,
	       e->levels == 1 ? "" : "s");
	for (uint32_t i = 0; i < e->levels && i < 5; i++)
		printf("  %s entry 0x%016llx%s\n", names[i], vals[i],
		       e->leaf && e->leaf == as_level[i] ? leaves[e->leaf] : "");
}

static void print_page(const struct mmdma_explain *e)
{
	if (!(e->valid & MMDMA_EXPLAIN_PAGE)) {
		printf("struct page: none: the memory map has no page for this "
		       "frame (I/O memory, a PFN map)\n");
		return;
	}
	printf("struct page: zone %s, node %d, flags 0x%llx [", e->zone,
	       e->node, e->page_raw_flags);
	for (size_t i = 0, n = 0; i < sizeof(pg_bits) / sizeof(pg_bits[0]); i++)
		if (e->page_flags & pg_bits[i].bit)
			printf("%s%s", n++ ? " " : "", pg_bits[i].name);
	printf("]\n  reference count %d, map count %d, folio order %u\n",
	       e->refcount, e->mapcount, e->folio_order);
	if (e->valid & MMDMA_EXPLAIN_PFNMAP)
		printf("  (a PFN map: the VM treats the entry as having no struct "
		       "page, and does not count it)\n");
	if (e->valid & MMDMA_EXPLAIN_HIGHMEM)
		printf("  high memory: no permanent kernel logical address\n");
	else if (e->valid & MMDMA_EXPLAIN_LOGICAL)
		printf("  low memory (not high memory): permanently in the "
		       "kernel's linear map\n");
	else
		printf("  not System RAM (reserved at boot, say): not in the "
		       "kernel's linear map\n");
}

static void print_bus(const struct mmdma_explain *e, const char *dev)
{
	const char *how;

	if (e->valid & MMDMA_EXPLAIN_BUS_UNREACHABLE) {
		printf("bus address for %s: none: beyond the device's DMA mask and "
		       "no IOMMU (the DMA layer would bounce it)\n", dev);
		return;
	}
	if (e->valid & MMDMA_EXPLAIN_BUS_BOUNCED) {
		printf("bus address for %s: none that lasts: the DMA layer bounces "
		       "this page through a swiotlb slot\n", dev);
		return;
	}
	if (!(e->valid & MMDMA_EXPLAIN_BUS)) {
		printf("bus address for %s: none (%s)\n", dev,
		       !(e->valid & MMDMA_EXPLAIN_PRESENT) ? "nothing mapped" :
		       "no struct page to hand to the DMA layer");
		return;
	}
	if (e->valid & MMDMA_EXPLAIN_BUS_COHERENT)
		how = "the coherent buffer's DMA handle";
	else if (e->valid & MMDMA_EXPLAIN_BUS_ATTACHED)
		how = "the buffer's attachment, mapped by the driver";
	else
		how = "what the DMA layer gives it now: a mapping made and undone";
	printf("bus address for %s: 0x%llx (%s; %s)\n", dev, e->bus_addr,
	       e->valid & MMDMA_EXPLAIN_BUS_IOMMU ?
	       "an IOVA: the IOMMU translates it" : "no IOMMU", how);
}

/**
 * cli_explain_print() - ask the driver about @addr and print the answer
 * @ctl:  the control node
 * @pid:  the process (0: this one)
 * @addr: a user virtual address in it
 * @dev:  a DMA device node fd, or -1
 * @name: its name, for the output
 *
 * Return: 0, or -errno from MMDMA_IOC_EXPLAIN.
 */
int cli_explain_print(int ctl, int pid, uint64_t addr, int dev, const char *name)
{
	struct mmdma_explain e = { .addr = addr, .pid = pid };
	int ret;

	if (dev >= 0) {
		e.flags = MMDMA_EXPLAIN_DEVICE;
		e.dev_fd = dev;
	}
	ret = mmdma_explain(ctl, &e);
	if (ret)
		return ret;

	if (pid)
		printf("user virtual address 0x%llx (pid %d)\n",
		       (unsigned long long)addr, pid);
	else
		printf("user virtual address 0x%llx (this process)\n",
		       (unsigned long long)addr);
	printf("VMA (virtual memory area) 0x%llx-0x%llx, flags 0x%llx [",
	       e.vm_start, e.vm_end, e.vm_flags);
	for (size_t i = 0, n = 0; i < sizeof(vm_bits) / sizeof(vm_bits[0]); i++)
		if (e.vm_flags & vm_bits[i].bit)
			printf("%s%s", n++ ? " " : "", vm_bits[i].name);
	printf("], pgoff 0x%llx\n", e.vm_pgoff);
	if (e.file_ino)
		printf("  file %s (inode %llu)\n", e.file_name, e.file_ino);
	else
		printf("  anonymous memory (no file)\n");
	if (e.valid & MMDMA_EXPLAIN_BUF)
		printf("  mmdma buffer %u, byte offset 0x%llx\n", e.buf_id,
		       e.buf_offset);
	print_entries(&e);

	if (!(e.valid & MMDMA_EXPLAIN_PRESENT)) {
		printf("%s\n", e.valid & MMDMA_EXPLAIN_SWAP ?
		       "not present: the entry holds a swap or migration entry" :
		       "not populated: no page-table entry maps it yet "
		       "(explain faults nothing in)");
		if (dev >= 0)
			print_bus(&e, name);
		return 0;
	}
	printf("page frame number 0x%llx, physical address 0x%llx"
	       " (mapped at the %s level)\n", e.pfn, e.phys, level_name(e.leaf));
	print_page(&e);
	if (e.valid & MMDMA_EXPLAIN_LOGICAL)
		printf("kernel logical address 0x%llx (in the linear map)\n",
		       e.kernel_logical);
	if (e.valid & MMDMA_EXPLAIN_KVIRT)
		printf("kernel virtual address 0x%llx (the driver's own mapping "
		       "of the buffer, %s)\n", e.kernel_virtual,
		       e.valid & MMDMA_EXPLAIN_KVIRT_VMALLOC ? "in vmalloc space" :
		       "in the linear map");
	if (dev >= 0)
		print_bus(&e, name);
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dev_name = NULL;
	uint64_t addr, pid = 0;
	int c, dev = -1, ctl, ret;
	char path[PATH_MAX];

	while ((c = getopt_long(argc, argv, "p:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = cli_number("explain", "PID", optarg, &pid);
			if (ret)
				return ret;
			if (pid == 0 || pid > 0x7fffffff)
				return cli_say(CLI_USAGE, "explain: PID %s is not a process id (1 to 2147483647)",
					       optarg);
			break;
		case 'd':
			dev_name = optarg;
			break;
		case 'h':
			cli_help(stdout, "explain");
			return CLI_OK;
		default:
			fprintf(stderr, "%s explain --help tells more\n", cli_prog);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_say(CLI_USAGE, "explain: needs one ADDR (%s explain --help tells more)",
			       cli_prog);
	ret = cli_number("explain", "ADDR", argv[optind], &addr);
	if (ret)
		return ret;
	ctl = cli_open_ctl();
	if (ctl < 0)
		return -ctl;
	if (dev_name) {
		snprintf(path, sizeof(path), "%s%s",
			 strchr(dev_name, '/') ? "" : "/dev/", dev_name);
		dev = mmdma_dev_open(dev_name);
		if (dev < 0) {
			close(ctl);
			return cli_explain_open(path, -dev);
		}
	}
	ret = cli_explain_print(ctl, (int)pid, addr, dev, dev_name);
	if (dev >= 0)
		close(dev);
	close(ctl);
	if (ret == -EPERM)
		return cli_say(CLI_FAIL, "explain: %s",
			       dev_name ? "physical addresses need CAP_SYS_ADMIN, bus addresses also CAP_SYS_RAWIO" :
			       "physical addresses need CAP_SYS_ADMIN");
	if (ret == -ENOENT)
		return cli_say(CLI_FAIL, "explain: no VMA of %s holds 0x%llx",
			       pid ? "that process" : "mmdma itself",
			       (unsigned long long)addr);
	if (ret == -ESRCH)
		return cli_say(CLI_FAIL, "explain: no process %llu (or it has no memory)",
			       (unsigned long long)pid);
	if (ret == -EACCES)
		return cli_say(CLI_FAIL, "explain: another process's page tables (pid %llu) need CAP_SYS_PTRACE",
			       (unsigned long long)pid);
	return ret ? cli_fail("MMDMA_IOC_EXPLAIN", -ret) : CLI_OK;
}
