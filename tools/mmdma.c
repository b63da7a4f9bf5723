// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: command-line tool for the mmdma driver.
 *
 * Every command parses its own options with getopt_long(): long options
 * as "--opt value" or "--opt=value", short ones, in any order with the
 * positional arguments.  Exit statuses: see mmdma_cli.h and the help text.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmdma_cli.h"

#define EXIT_CODES							\
	"exit status:\n"						\
	"  0  success (xfer: the data came back intact)\n"		\
	"  1  the driver or the system refused, or the data differs\n"	\
	"  2  bad command line: unknown command or option, a malformed\n" \
	"     number, a range the file does not have, a node of the wrong type\n" \
	"  3  mmdma is not there: module not loaded, node missing or stale\n"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"commands:\n"
		"  info [--json]             what the loaded driver offers, and its limits\n"
		"  devices [--json]          the DMA device nodes, their limits and counters\n"
		"  buffers [--json]          the buffers alive now (/sys/kernel/mmdma/buffers),\n"
		"                            named ones by name too\n"
		"  create [--kind K] [--cache C] [--device DEV] NAME SIZE\n"
		"                            a persistent named buffer, /dev/mmdma-named/NAME\n"
		"                            (root; configfs)\n"
		"  delete NAME               delete a named buffer, revoking it if in use\n"
		"  map [--hex|--hex32] FILE OFFSET LENGTH\n"
		"                            mmap LENGTH bytes of FILE at OFFSET and dump\n"
		"                            them (LDD3's mapper)\n"
		"  tour                      a buffer of every kind, mapped every way, and\n"
		"                            one ISA DMA read of the floppy, if there is one\n"
		"  xfer [--dma METHOD] [--kind KIND] DEVICE LENGTH\n"
		"                            a checked round trip through a DMA device\n"
		"  explain [--pid PID] [--device DEV] ADDR\n"
		"                            follow a user virtual address to its VMA,\n"
		"                            page-table entries, physical address, struct\n"
		"                            page, kernel and bus addresses (CAP_SYS_ADMIN)\n"
		"  help [COMMAND]            this text, or a command's own\n"
		"  --version                 the tool's release\n"
		"\n"
		"'%s COMMAND --help' tells more.  Options go anywhere on the line, as\n"
		"--opt VALUE, --opt=VALUE or their short forms.  Sizes and offsets are\n"
		"decimal or 0x-hex with an optional k, M or G suffix (powers of 1024).\n"
		"$MMDMA_DEV names the control node (default " MMDMA_CTL_PATH ").\n"
		"\n" EXIT_CODES,
		cli_prog, cli_prog);
}

static const struct {
	const char *name;
	const char *text;
} helps[] = {
	{ "info",
	  "usage: mmdma info [-j|--json]\n"
	  "\n"
	  "What the loaded driver offers (memory kinds, mapping methods, features)\n"
	  "and its limits: max_buf_size, the contiguous cap and max_total, with\n"
	  "the bytes and buffers in use now.\n"
	  "\n"
	  "  -j, --json   one JSON object instead of text\n" },
	{ "devices",
	  "usage: mmdma devices [-j|--json]\n"
	  "\n"
	  "The DMA device nodes (/dev/mmdma-*): device memory, the largest\n"
	  "operation, DMA mask, flags and counters.  Exits 3 when the module is\n"
	  "not loaded.\n"
	  "\n"
	  "  -j, --json   a JSON array of objects instead of text\n" },
	{ "buffers",
	  "usage: mmdma buffers [-j|--json]\n"
	  "\n"
	  "The buffers alive now, from /sys/kernel/mmdma/buffers/<id>/: size,\n"
	  "memory kind, mapping method, cache mode, live mappings, attachments.\n"
	  "\n"
	  "  -j, --json   a JSON array of objects instead of text\n" },
	{ "create",
	  "usage: mmdma create [-k|--kind KIND] [-c|--cache MODE] [-d|--device DEV] NAME SIZE\n"
	  "\n"
	  "A persistent named buffer of SIZE bytes (rounded up to a page) that\n"
	  "lives without any program holding it, until 'mmdma delete NAME' or\n"
	  "module unload; its node /dev/mmdma-named/NAME (root's, 0600: chmod it\n"
	  "or write a udev rule for others) takes open, read, write, lseek, mmap\n"
	  "(shared) and the buffer ioctls.  Made through configfs\n"
	  "(/sys/kernel/config/mmdma/NAME); needs root.  Prints the node's path.\n"
	  "\n"
	  "  -k, --kind KIND    pages (default), contig, vmalloc, coherent, reserved\n"
	  "  -c, --cache MODE   default, cached, wc, uc\n"
	  "  -d, --device DEV   a DMA device (mmdma-edu0): coherent memory is its\n"
	  "                     memory; other kinds are mapped for it, and root\n"
	  "                     reads the bus address in\n"
	  "                     /sys/class/mmdma-named/NAME/bus_addr\n"
	  "\n"
	  "NAME: 1 to 32 of A-Z a-z 0-9 _ . -, not starting with '.'.\n" },
	{ "delete",
	  "usage: mmdma delete NAME\n"
	  "\n"
	  "Delete a named buffer: its node goes; a program that has it open or\n"
	  "mapped gets ENODEV from every later call and SIGBUS from its mappings.\n"
	  "Needs root.\n" },
	{ "map",
	  "usage: mmdma map [-x|--hex] [-w|--hex32] FILE OFFSET LENGTH\n"
	  "\n"
	  "mmap LENGTH bytes of FILE (a file or a device node) at OFFSET and dump\n"
	  "them: raw bytes to stdout, a hex dump with --hex, or 32-bit words with\n"
	  "--hex32 (LDD3's mapper).  The range must lie inside a regular file.\n"
	  "A DMA device node's registers (/dev/mmdma-edu0) answer only aligned\n"
	  "32-bit reads: they are always read that way, so OFFSET and LENGTH\n"
	  "must be multiples of 4; mapping them needs CAP_SYS_RAWIO.\n"
	  "\n"
	  "  -x, --hex     hex and ASCII dump of the bytes\n"
	  "  -w, --hex32   32-bit words, each read with one 32-bit load\n" },
	{ "tour",
	  "usage: mmdma tour\n"
	  "\n"
	  "Make a buffer of every memory kind, map it with every method that can\n"
	  "map it, and show the data moving between write(), the mapping and the\n"
	  "kernel, with the live-mapping counts; then the combinations the driver\n"
	  "refuses, and why; last, one ISA DMA read of the floppy when the ISA\n"
	  "engine is there (mmdma_isa with isa_fdc=1).\n" },
	{ "xfer",
	  "usage: mmdma xfer [-d|--dma METHOD] [-k|--kind KIND] DEVICE LENGTH\n"
	  "\n"
	  "A round trip through DEVICE (a DMA device node: mmdma-edu0,\n"
	  "mmdma-soft0 or a path): a buffer filled with a pattern goes to the\n"
	  "device's memory and back into a second buffer, which is checked.\n"
	  "On a terminal, a transfer that takes more than a second shows its\n"
	  "progress on stderr.\n"
	  "\n"
	  "  -d, --dma METHOD  auto (default), sg, page, single (contig memory\n"
	  "                    only), coherent, pool (at most 256 bytes), stream\n"
	  "  -k, --kind KIND   memory of both buffers: pages (default), contig,\n"
	  "                    vmalloc, coherent (the device's own coherent\n"
	  "                    memory), reserved (needs reserved_base/_size)\n" },
	{ "explain",
	  "usage: mmdma explain [-p|--pid PID] [-d|--device DEV] ADDR\n"
	  "\n"
	  "Follow user virtual address ADDR of process PID (default: mmdma\n"
	  "itself) the way LDD3's \"Memory Management in Linux\" does: the VMA\n"
	  "that holds it, the page-table entries at each level (a huge PMD or PUD\n"
	  "leaf where there is one), the page frame and physical address, the\n"
	  "struct page (zone, node, flags, counts, high or low memory), the\n"
	  "kernel logical address, and for DMA device DEV the bus address.  It\n"
	  "only reads: a page not yet faulted in is reported as not present.\n"
	  "Needs CAP_SYS_ADMIN; a bus address also CAP_SYS_RAWIO; another\n"
	  "process also CAP_SYS_PTRACE.\n"
	  "\n"
	  "  -p, --pid PID       the process whose address it is\n"
	  "  -d, --device DEV    a DMA device node (mmdma-edu0, mmdma-soft0, a path)\n" },
	{ "help",
	  "usage: mmdma help [COMMAND]\n"
	  "\n"
	  "The command list, or COMMAND's own help.\n" },
};

bool cli_help(FILE *f, const char *cmd)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		if (!strcmp(helps[i].name, cmd)) {
			fputs(helps[i].text, f);
			fputs("\n" EXIT_CODES, f);
			return true;
		}
	}
	return false;
}

/*
 * Options of the commands that take only --json (and --help): returns
 * -1 to go on (with *@json set), or the status to exit with.
 */
int cli_json_opts(const char *cmd, int argc, char **argv, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	*json = false;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			cli_help(stdout, cmd);
			return CLI_OK;
		default:
			fprintf(stderr, "%s %s --help tells more\n", cli_prog, cmd);
			return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_say(CLI_USAGE, "%s: unexpected argument '%s'", cmd,
			       argv[optind]);
	return -1;
}

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ MMDMA_FEAT_MEM_PAGES, "mem:pages" },
	{ MMDMA_FEAT_MEM_CONTIG, "mem:contig" },
	{ MMDMA_FEAT_MEM_VMALLOC, "mem:vmalloc" },
	{ MMDMA_FEAT_MEM_COHERENT, "mem:coherent" },
	{ MMDMA_FEAT_MEM_RESERVED, "mem:reserved" },
	{ MMDMA_FEAT_MAP_REMAP, "map:remap" },
	{ MMDMA_FEAT_MAP_FAULT, "map:fault" },
	{ MMDMA_FEAT_MAP_INSERT, "map:insert" },
	{ MMDMA_FEAT_MAP_HUGE, "map:huge" },
	{ MMDMA_FEAT_ATTACH, "attach" },
	{ MMDMA_FEAT_DMABUF, "dma-buf" },
	{ MMDMA_FEAT_BUF_SYSFS, "buf-sysfs" },
};

static void info_json(const struct mmdma_info *info)
{
	bool first = true;

	printf("{\"abi_version\": %u, \"driver_version\": ", info->abi_version);
	json_string(stdout, (const char *)info->driver_version);
	printf(", \"page_size\": %u, \"features\": [", info->page_size);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (info->features & features[i].bit) {
			printf("%s", first ? "" : ", ");
			json_string(stdout, features[i].name);
			first = false;
		}
	}
	printf("], \"max_buf_size\": %llu, \"max_contig_size\": %llu, "
	       "\"max_total\": %llu, \"total\": %llu, \"nr_buffers\": %u}\n",
	       (unsigned long long)info->max_buf_size,
	       (unsigned long long)info->max_contig_size,
	       (unsigned long long)info->max_total,
	       (unsigned long long)info->total, info->nr_buffers);
}

static int cmd_info(int argc, char **argv)
{
	struct mmdma_info info;
	int ctl, ret;
	bool json;

	ret = cli_json_opts("info", argc, argv, &json);
	if (ret >= 0)
		return ret;
	ctl = cli_open_ctl();
	if (ctl < 0)
		return -ctl;
	ret = mmdma_info(ctl, &info);
	close(ctl);
	if (ret < 0)
		return cli_fail("MMDMA_IOC_INFO", -ret);
	if (json) {
		info_json(&info);
		return CLI_OK;
	}
	printf("abi version      %u\n", info.abi_version);
	printf("driver version   %s (this tool: %s)\n",
	       (const char *)info.driver_version, MMDMA_VERSION);
	printf("page size        %u\n", info.page_size);
	printf("features        ");
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (info.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	printf("max buffer       %llu bytes (module parameter max_buf_size)\n",
	       (unsigned long long)info.max_buf_size);
	printf("max contiguous   %llu bytes (the page allocator's largest block)\n",
	       (unsigned long long)info.max_contig_size);
	printf("max total        %llu bytes (module parameter max_total)\n",
	       (unsigned long long)info.max_total);
	printf("in use           %llu bytes in %u buffers\n",
	       (unsigned long long)info.total, info.nr_buffers);
	return CLI_OK;
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

static void hexdump32(const uint32_t *p, size_t len, unsigned long long base)
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

/*
 * A touch of a mapping where nothing backs it (past the end of a file
 * that shrank, a device that went away) raises SIGBUS: copy out of the
 * mapping under this jump buffer, so the tool says what happened.
 */
static sigjmp_buf map_jmp;

static void map_sigbus(int sig)
{
	(void)sig;
	siglongjmp(map_jmp, 1);
}

struct map_args {
	const char *file;
	uint64_t off, len;
	int hex;	/* 0: raw bytes, 1: hex bytes, 4: 32-bit words */
	bool regs;	/* a device's registers: 32-bit loads only */
};

/*
 * Copy @len bytes from the mapping @src into @dst; with @regs one aligned
 * 32-bit load at a time (the edu device answers nothing else: a byte load
 * reads 0xff or zero).  *@done counts the bytes copied, for the SIGBUS
 * message.
 */
static void map_copy(unsigned char *dst, const unsigned char *src, size_t len,
		     bool regs, volatile size_t *done)
{
	const size_t chunk = 4096;

	for (size_t i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;

		*done = i;
		if (regs) {
			const volatile uint32_t *w = (const volatile uint32_t *)(src + i);

			for (size_t j = 0; j < n / 4; j++) {
				uint32_t v = w[j];

				memcpy(dst + i + 4 * j, &v, 4);
			}
		} else {
			memcpy(dst + i, src + i, n);
		}
	}
	*done = len;
}

static int map_dump(const struct map_args *a, const unsigned char *p)
{
	volatile size_t done = 0;
	struct sigaction sa = { .sa_handler = map_sigbus }, old;
	unsigned char *copy = malloc(a->len ? a->len : 1);
	int ret = CLI_OK;

	if (!copy)
		return cli_fail("map: a copy of the range", ENOMEM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(map_jmp, 1)) {
		sigaction(SIGBUS, &old, NULL);
		free(copy);
		return cli_say(CLI_FAIL,
			       "map: %s: nothing backs offset %#llx (SIGBUS): the range passes the end of what %s holds now",
			       a->file, (unsigned long long)(a->off + done), a->file);
	}
	map_copy(copy, p, a->len, a->regs, &done);
	sigaction(SIGBUS, &old, NULL);

	if (a->hex == 4) {
		hexdump32((const uint32_t *)copy, a->len, a->off);
	} else if (a->hex) {
		hexdump(copy, a->len, a->off);
	} else {
		int err = write_all(STDOUT_FILENO, copy, a->len);

		if (err)
			ret = cli_fail("stdout", -err);
	}
	free(copy);
	return ret;
}

/* Is the range one the file can back?  CLI_OK, or the status to exit with. */
static int map_check(int fd, struct map_args *a)
{
	struct mmdma_dev_info di;
	struct stat st;

	if (fstat(fd, &st))
		return cli_fail(a->file, errno);
	if (S_ISDIR(st.st_mode))
		return cli_say(CLI_USAGE, "map: %s is a directory, not a file or a device node",
			       a->file);
	if (S_ISREG(st.st_mode) &&
	    (a->off >= (uint64_t)st.st_size || a->len > (uint64_t)st.st_size - a->off))
		return cli_say(CLI_USAGE,
			       "map: %s is %lld bytes long: OFFSET %llu + LENGTH %llu passes its end",
			       a->file, (long long)st.st_size,
			       (unsigned long long)a->off,
			       (unsigned long long)a->len);
	/* A DMA device node maps its registers. */
	a->regs = S_ISCHR(st.st_mode) && mmdma_dev_info(fd, &di) == 0;
	if (a->regs && (a->off % 4 || a->len % 4))
		return cli_say(CLI_USAGE,
			       "map: %s: the device's registers answer only aligned 32-bit reads: OFFSET and LENGTH must be multiples of 4",
			       a->file);
	if (a->hex == 4 && (a->off % 4 || a->len % 4))
		return cli_say(CLI_USAGE, "map: --hex32 needs 4-byte aligned OFFSET and LENGTH");
	return CLI_OK;
}

/* LDD3's mapper: map a page-aligned window around the range, dump the range. */
static int cmd_map(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hex", no_argument, NULL, 'x' },
		{ "hex32", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long page = sysconf(_SC_PAGESIZE);
	struct map_args a = { 0 };
	uint64_t start, delta;
	unsigned char *p;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "xwh", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			a.hex = 1;
			break;
		case 'w':
			a.hex = 4;
			break;
		case 'h':
			cli_help(stdout, "map");
			return CLI_OK;
		default:
			fprintf(stderr, "%s map --help tells more\n", cli_prog);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 3)
		return cli_say(CLI_USAGE, "map: needs FILE OFFSET LENGTH (%s map --help tells more)",
			       cli_prog);
	a.file = argv[optind];
	ret = cli_number("map", "OFFSET", argv[optind + 1], &a.off);
	if (!ret)
		ret = cli_number("map", "LENGTH", argv[optind + 2], &a.len);
	if (ret)
		return ret;
	if (!a.len)
		return cli_say(CLI_USAGE, "map: LENGTH must be more than 0");
	start = a.off & ~(uint64_t)(page - 1);
	delta = a.off - start;
	if (a.len > SIZE_MAX - delta || a.off > (uint64_t)INT64_MAX)
		return cli_say(CLI_USAGE, "map: OFFSET %llu and LENGTH %llu cannot be mapped here",
			       (unsigned long long)a.off, (unsigned long long)a.len);

	fd = open(a.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_explain_open(a.file, errno);
	ret = map_check(fd, &a);
	if (ret) {
		close(fd);
		return ret;
	}
	p = mmap(NULL, a.len + delta, PROT_READ, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED) {
		int err = errno;

		close(fd);
		if (err == EPERM && (a.regs || !strncmp(a.file, "/dev/mmdma-", 11)))
			return cli_say(CLI_FAIL,
				       "map: %s: %s: mapping a DMA device's registers needs CAP_SYS_RAWIO (whoever programs the device's DMA can read and write all RAM; docs/security.md)",
				       a.file, strerror(err));
		if (err == EACCES)
			return cli_say(CLI_FAIL, "map: %s: %s: the file is not open for what the mapping needs",
				       a.file, strerror(err));
		return cli_fail(a.file, err);
	}
	ret = map_dump(&a, p + delta);
	munmap(p, a.len + delta);
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
		return cli_fail("alloc", -fd);
	p = mmap(NULL, TOUR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return cli_fail("mmap", errno);
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
		return cli_fail("alloc", -fd);
	p = mmap(NULL, TOUR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return cli_fail("mmap", errno);
	}
	p[4096 + 16] = 1;	/* fault page 1 in; explain itself never does */
	dev = mmdma_dev_open("mmdma-soft0");
	ret = cli_explain_print(ctl, 0, (uintptr_t)(p + 4096 + 16), dev,
				"mmdma-soft0");
	if (ret == -EPERM)
		printf("  (needs CAP_SYS_ADMIN: it shows physical addresses)\n");
	else if (ret)
		cli_fail("explain", -ret);
	if (dev >= 0)
		close(dev);
	munmap(p, TOUR_SIZE);
	close(fd);
	return ret && ret != -EPERM;
}

static int cmd_tour(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct { uint32_t kind, method; } refused[] = {
		{ MMDMA_MEM_PAGES, MMDMA_MAP_REMAP },
		{ MMDMA_MEM_VMALLOC, MMDMA_MAP_REMAP },
	};
	int c, ctl, bad = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_help(stdout, "tour");
			return CLI_OK;
		}
		fprintf(stderr, "%s tour --help tells more\n", cli_prog);
		return CLI_USAGE;
	}
	if (optind != argc)
		return cli_say(CLI_USAGE, "tour: unexpected argument '%s'", argv[optind]);
	ctl = cli_open_ctl();
	if (ctl < 0)
		return -ctl;
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
	return bad ? CLI_FAIL : CLI_OK;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return cli_say(CLI_USAGE, "help: one COMMAND at most");
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_help(stdout, "help");
		return CLI_OK;
	}
	if (argc == 2) {
		if (!cli_help(stdout, argv[1]))
			return cli_say(CLI_USAGE, "help: no command '%s'", argv[1]);
		return CLI_OK;
	}
	usage(stdout);
	return CLI_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "info", cmd_info },
	{ "devices", cmd_devices },
	{ "buffers", cmd_buffers },
	{ "create", cmd_create },
	{ "delete", cmd_delete },
	{ "map", cmd_map },
	{ "tour", cmd_tour },
	{ "xfer", cmd_xfer },
	{ "explain", cmd_explain },
	{ "help", cmd_help },
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	char label[64];

	if (!cmd) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return CLI_OK;
	}
	/* The tool's release (the tree's VERSION file, as the module's). */
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("mmdma %s\n", MMDMA_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		/*
		 * The command sees itself as argv[0]; getopt's own messages
		 * then read "mmdma xfer: unrecognized option".
		 */
		snprintf(label, sizeof(label), "%s %s", cli_prog, cmd);
		argv[1] = label;
		optind = 1;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, cmd);
	usage(stderr);
	return CLI_USAGE;
}
