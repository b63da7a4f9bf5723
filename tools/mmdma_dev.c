// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma CLI: the DMA device and buffer commands ("devices", "buffers",
 * "xfer").
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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
	case MMDMA_DEV_PCI:
		return "pci";
	}
	return "?";
}

static const struct {
	uint32_t bit;
	const char *name;
} dev_flags[] = {
	{ MMDMA_DEVF_IOMMU, "iommu" },
	{ MMDMA_DEVF_SWIOTLB, "swiotlb" },
	{ MMDMA_DEVF_MSI, "msi" },
	{ MMDMA_DEVF_INTX, "intx" },
	{ MMDMA_DEVF_LIMITED, "limited-reach" },
};

static void print_flags(uint32_t flags)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(dev_flags) / sizeof(dev_flags[0]); i++) {
		if (flags & dev_flags[i].bit) {
			printf("%s%s", any ? "," : "", dev_flags[i].name);
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

static void print_dev_json(const struct mmdma_dev_info *d, bool first)
{
	bool any = false;
	char name[sizeof(d->name) + 1];

	memcpy(name, d->name, sizeof(d->name));
	name[sizeof(d->name)] = '\0';
	printf("%s\n  {\"name\": ", first ? "" : ",");
	json_string(stdout, name);
	printf(", \"kind\": ");
	json_string(stdout, dev_kind_name(d->kind));
	printf(", \"id\": %u, \"mem_size\": %llu, \"max_op\": %llu, \"dma_mask\": %llu, \"flags\": [",
	       d->id, (unsigned long long)d->mem_size,
	       (unsigned long long)d->max_op, (unsigned long long)d->dma_mask);
	for (size_t i = 0; i < sizeof(dev_flags) / sizeof(dev_flags[0]); i++) {
		if (d->flags & dev_flags[i].bit) {
			printf("%s", any ? ", " : "");
			json_string(stdout, dev_flags[i].name);
			any = true;
		}
	}
	printf("], \"transfers\": %llu, \"bytes\": %llu, \"ops\": %llu, \"bounces\": %llu, "
	       "\"bounce_bytes\": %llu, \"errors\": %llu, \"timeouts\": %llu}",
	       (unsigned long long)d->transfers, (unsigned long long)d->bytes,
	       (unsigned long long)d->ops, (unsigned long long)d->bounces,
	       (unsigned long long)d->bounce_bytes,
	       (unsigned long long)d->errors, (unsigned long long)d->timeouts);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_dev_node(const struct dirent *e)
{
	return !strncmp(e->d_name, "mmdma-", 6);
}

static bool module_loaded(void)
{
	return access("/sys/module/mmdma", F_OK) == 0;
}

int cmd_devices(int argc, char **argv)
{
	struct dirent **list;
	int n, ret, bad = 0;
	bool json;

	ret = cli_json_opts("devices", argc, argv, &json);
	if (ret >= 0)
		return ret;
	if (!module_loaded())
		return cli_say(CLI_UNAVAILABLE,
			       "devices: the mmdma module is not loaded (insmod mmdma.ko, or modprobe mmdma where it is installed)");
	n = scandir("/dev", &list, is_dev_node, by_name);
	if (n < 0)
		return cli_fail("/dev", errno);
	if (json)
		printf("[");
	else if (n == 0)
		printf("no DMA device nodes (/dev/mmdma-*): no provider module has registered a device (modprobe mmdma_soft, unless soft_mem_size=0; mmdma_edu needs an edu device)\n");
	for (int i = 0; i < n; i++) {
		struct mmdma_dev_info info;
		int fd = mmdma_dev_open(list[i]->d_name);

		ret = fd < 0 ? fd : mmdma_dev_info(fd, &info);
		if (ret < 0) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "/dev/%s", list[i]->d_name);
			cli_explain_open(path, -ret);
			bad = 1;
		} else if (json) {
			print_dev_json(&info, i == 0);
		} else {
			print_dev(&info);
		}
		if (fd >= 0)
			close(fd);
		free(list[i]);
	}
	free(list);
	if (json)
		printf("%s]\n", n ? "\n" : "");
	return bad ? CLI_FAIL : CLI_OK;
}

#define BUF_SYSFS "/sys/kernel/mmdma/buffers"

/* The first line of a buffer's attribute, newline dropped; "" if unreadable. */
static void buf_attr(const char *id, const char *attr, char *out, size_t n)
{
	cli_attr(BUF_SYSFS, id, attr, out, n);
}

static int is_number(const struct dirent *e)
{
	return e->d_name[0] >= '0' && e->d_name[0] <= '9';
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name) - atoi((*b)->d_name);
}

static void buffer_json(const char *id, bool first)
{
	static const char * const attrs[] = { "size", "kind", "method", "cache",
					      "live_maps" };
	char v[4096];

	printf("%s\n  {\"id\": %s", first ? "" : ",", id);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		buf_attr(id, attrs[i], v, sizeof(v));
		printf(", \"%s\": ", attrs[i]);
		/* Numbers as numbers, names as strings. */
		if (!strcmp(attrs[i], "size") || !strcmp(attrs[i], "live_maps"))
			printf("%s", v[0] >= '0' && v[0] <= '9' ? v : "null");
		else
			json_string(stdout, v);
	}
	buf_attr(id, "attachments", v, sizeof(v));
	printf(", \"attachments\": [");
	for (char *save = NULL, *line = strtok_r(v, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		printf("%s", line == v ? "" : ", ");
		json_string(stdout, line);
	}
	printf("]}");
}

int cmd_buffers(int argc, char **argv)
{
	struct dirent **list;
	char v[32];
	FILE *f;
	int n, ret;
	bool json;

	ret = cli_json_opts("buffers", argc, argv, &json);
	if (ret >= 0)
		return ret;
	if (!module_loaded())
		return cli_say(CLI_UNAVAILABLE,
			       "buffers: the mmdma module is not loaded (insmod mmdma.ko, or modprobe mmdma where it is installed)");
	/*
	 * Reading the control node's count first makes the directories of
	 * buffers just allocated (the driver makes them lazily), so the
	 * listing shows every buffer alive now.
	 */
	f = fopen("/sys/class/misc/mmdma/buffers", "re");
	if (f) {
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
	}
	n = scandir(BUF_SYSFS, &list, is_number, by_number);
	if (n < 0)
		return cli_say(CLI_FAIL, "buffers: %s: %s (this driver has no per-buffer sysfs: MMDMA_FEAT_BUF_SYSFS)",
			       BUF_SYSFS, strerror(errno));
	if (json)
		printf("[");
	else if (n == 0)
		printf("no buffers\n");
	else
		printf("%-6s %12s %-9s %-7s %-7s %s\n", "id", "size", "kind",
		       "method", "cache", "mappings  attachments");
	for (int i = 0; i < n; i++) {
		const char *id = list[i]->d_name;
		char size[32], kind[32], method[32], cache[32], maps[32], att[4096];

		if (json) {
			buffer_json(id, i == 0);
		} else {
			buf_attr(id, "size", size, sizeof(size));
			buf_attr(id, "kind", kind, sizeof(kind));
			buf_attr(id, "method", method, sizeof(method));
			buf_attr(id, "cache", cache, sizeof(cache));
			buf_attr(id, "live_maps", maps, sizeof(maps));
			buf_attr(id, "attachments", att, sizeof(att));
			for (char *p = att; *p; p++)
				if (*p == '\n')
					*p = ';';
			printf("%-6s %12s %-9s %-7s %-7s %-9s %s\n", id, size, kind,
			       method, cache, maps, *att ? att : "-");
		}
		free(list[i]);
	}
	free(list);
	/* Named buffers are buffers too: listed above by id, here by name. */
	n += cli_named_list(json, n == 0);
	if (json)
		printf("%s]\n", n ? "\n" : "");
	return CLI_OK;
}

struct xfer_args {
	const char *dev;
	uint64_t len;
	int dma;
	uint32_t kind;
};

static int parse_xfer(int argc, char **argv, struct xfer_args *a)
{
	static const struct option opts[] = {
		{ "dma", required_argument, NULL, 'd' },
		{ "kind", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	a->dma = MMDMA_DMA_AUTO;
	a->kind = MMDMA_MEM_PAGES;
	while ((c = getopt_long(argc, argv, "d:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dma = mmdma_dma_parse(optarg);
			if (a->dma < 0)
				return cli_say(CLI_USAGE,
					       "xfer: unknown DMA method '%s' (auto sg page single coherent pool stream)",
					       optarg);
			break;
		case 'k':
			a->kind = mmdma_kind_parse(optarg);
			if (!a->kind)
				return cli_say(CLI_USAGE,
					       "xfer: unknown memory kind '%s' (pages contig vmalloc coherent reserved)",
					       optarg);
			break;
		case 'h':
			cli_help(stdout, "xfer");
			return CLI_OK;
		default:
			fprintf(stderr, "%s xfer --help tells more\n", cli_prog);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 2)
		return cli_say(CLI_USAGE, "xfer: needs DEVICE LENGTH (%s xfer --help tells more)",
			       cli_prog);
	a->dev = argv[optind];
	c = cli_number("xfer", "LENGTH", argv[optind + 1], &a->len);
	if (c)
		return c;
	if (!a->len)
		return cli_say(CLI_USAGE, "xfer: LENGTH must be more than 0");
	return -1;
}

/*
 * Open the DMA device node @name and make sure it is one: the control
 * node, /dev/null or a directory get a message naming what was expected.
 * Returns the fd, or -status.
 */
static int xfer_open_dev(const char *name, struct mmdma_dev_info *di)
{
	char path[PATH_MAX];
	struct mmdma_info info;
	int fd, ret;

	if (!*name) {
		cli_say(CLI_USAGE, "xfer: an empty DEVICE name: give a DMA device node, e.g. mmdma-soft0 or /dev/mmdma-edu0 ('mmdma devices' lists them)");
		return -CLI_USAGE;
	}
	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/dev/", name);
	fd = mmdma_dev_open(name);
	if (fd < 0)
		return -cli_explain_open(path, -fd);
	ret = mmdma_dev_info(fd, di);
	if (ret == 0)
		return fd;
	if (ret == -ENOTTY || ret == -EINVAL) {
		bool ctl = mmdma_info(fd, &info) == 0;

		close(fd);
		cli_say(CLI_USAGE,
			"xfer: %s is %s, not a DMA device node: give /dev/mmdma-<kind><n>, e.g. mmdma-soft0 or mmdma-edu0 ('mmdma devices' lists them)",
			path, ctl ? "mmdma's control node (it allocates buffers)" :
			"not a node of mmdma");
		return -CLI_USAGE;
	}
	close(fd);
	return -cli_explain_open(path, -ret);
}

static int explain_alloc(int err, const struct xfer_args *a,
			 const struct mmdma_info *info)
{
	const char *kind = mmdma_kind_name(a->kind);

	switch (err) {
	case E2BIG:
		if (a->len > info->max_buf_size)
			return cli_say(CLI_FAIL,
				       "xfer: MMDMA_IOC_ALLOC: %s: LENGTH %llu is more than max_buf_size, %llu bytes (module parameter max_buf_size)",
				       strerror(err), (unsigned long long)a->len,
				       (unsigned long long)info->max_buf_size);
		if (a->len > info->max_contig_size)
			return cli_say(CLI_FAIL,
				       "xfer: MMDMA_IOC_ALLOC: %s: %s memory is one physically contiguous block of at most %llu bytes (the page allocator's largest order); LENGTH is %llu",
				       strerror(err), kind,
				       (unsigned long long)info->max_contig_size,
				       (unsigned long long)a->len);
		break;
	case ENOMEM:
		if (a->len > info->max_total - (info->total < info->max_total ?
						info->total : info->max_total))
			return cli_say(CLI_FAIL,
				       "xfer: MMDMA_IOC_ALLOC: %s: all buffers together may hold max_total, %llu bytes (module parameter max_total); %llu are in use and a buffer of %llu more does not fit",
				       strerror(err),
				       (unsigned long long)info->max_total,
				       (unsigned long long)info->total,
				       (unsigned long long)a->len);
		return cli_say(CLI_FAIL,
			       "xfer: MMDMA_IOC_ALLOC: %s: the kernel has no %llu bytes of %s memory to give (or the memory cgroup's memory.max is reached)",
			       strerror(err), (unsigned long long)a->len, kind);
	case ENODEV:
		if (a->kind == MMDMA_MEM_RESERVED)
			return cli_say(CLI_FAIL,
				       "xfer: MMDMA_IOC_ALLOC: %s: no reserved region: boot with memmap=SIZE$ADDR and load the module with reserved_base=ADDR reserved_size=SIZE",
				       strerror(err));
		break;
	}
	return cli_fail("xfer: MMDMA_IOC_ALLOC", err);
}

static int explain_xfer(int err, const struct xfer_args *a)
{
	if (err == EINVAL && a->dma == MMDMA_DMA_SINGLE && a->kind != MMDMA_MEM_CONTIG)
		return cli_say(CLI_FAIL,
			       "xfer: MMDMA_DEV_XFER: %s: --dma single maps the buffer with dma_map_single() over its kernel address, which only contig memory has as one range (these buffers are %s memory): use --kind contig",
			       strerror(err), mmdma_kind_name(a->kind));
	if (err == EINVAL && a->dma == MMDMA_DMA_POOL && a->len > MMDMA_POOL_MAX)
		return cli_say(CLI_FAIL,
			       "xfer: MMDMA_DEV_XFER: %s: --dma pool copies through one dma_pool block: at most %d bytes (MMDMA_POOL_MAX) per transfer; LENGTH is %llu",
			       strerror(err), MMDMA_POOL_MAX,
			       (unsigned long long)a->len);
	if (err == ETIMEDOUT)
		return cli_say(CLI_FAIL,
			       "xfer: MMDMA_DEV_XFER: %s: a device operation took longer than op_timeout_ms (module parameter; /sys/module/mmdma/parameters/op_timeout_ms)",
			       strerror(err));
	if (err == ENODEV)
		return cli_say(CLI_FAIL, "xfer: MMDMA_DEV_XFER: %s: %s went away (unbound or the module is going)",
			       strerror(err), a->dev);
	return cli_fail("xfer: MMDMA_DEV_XFER", err);
}

/* Both buffers: coherent and reserved memory map by remap only, the rest by fault. */
static int xfer_buffers(int ctl, int dev, const struct xfer_args *a, int fds[2])
{
	struct mmdma_info info;

	for (int i = 0; i < 2; i++) {
		if (a->kind == MMDMA_MEM_COHERENT)
			fds[i] = mmdma_alloc_dev(ctl, a->len, a->kind,
						 MMDMA_MAP_REMAP, 0, dev);
		else
			fds[i] = mmdma_alloc(ctl, a->len, a->kind,
					     a->kind == MMDMA_MEM_RESERVED ?
					     MMDMA_MAP_REMAP : MMDMA_MAP_FAULT, 0);
		/* The use now, with the first buffer in it, tells what failed. */
		if (fds[i] < 0) {
			if (mmdma_info(ctl, &info) < 0)
				return cli_fail("xfer: MMDMA_IOC_ALLOC", -fds[i]);
			return explain_alloc(-fds[i], a, &info);
		}
	}
	return CLI_OK;
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
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The transfer runs in a thread so that the main thread can show progress. */
struct xfer_job {
	int dev;
	struct mmdma_xfer *x;
	int ret;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
};

static void *xfer_thread(void *arg)
{
	struct xfer_job *j = arg;
	int ret = mmdma_xfer(j->dev, j->x);

	pthread_mutex_lock(&j->lock);
	j->ret = ret;
	j->done = true;
	pthread_cond_signal(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static unsigned long long dev_ops(const char *name)
{
	char path[PATH_MAX];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/ops", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Run the transfer; on a terminal (stderr), once it has taken a second,
 * show every 200 ms the time so far and the device operations done
 * (its sysfs counter).
 */
static int xfer_with_progress(int dev, const char *name, struct mmdma_xfer *x)
{
	struct xfer_job j = { .dev = dev, .x = x };
	bool tty = isatty(STDERR_FILENO), shown = false;
	unsigned long long ops0 = tty ? dev_ops(name) : 0;
	struct timespec t0;
	pthread_t th;
	int err;

	pthread_mutex_init(&j.lock, NULL);
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j.done_cond, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = pthread_create(&th, NULL, xfer_thread, &j);
	if (err)
		return -err;
	pthread_mutex_lock(&j.lock);
	while (!j.done) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&j.done_cond, &j.lock, &until);
		if (!j.done && tty && since(&t0) >= 1.0) {
			fprintf(stderr, "\r%s: xfer %s: %.1f s, %llu device operations so far",
				cli_prog, name, since(&t0), dev_ops(name) - ops0);
			shown = true;
		}
	}
	pthread_mutex_unlock(&j.lock);
	pthread_join(th, NULL);
	if (shown)
		fprintf(stderr, "\n");
	pthread_cond_destroy(&j.done_cond);
	pthread_mutex_destroy(&j.lock);
	return j.ret;
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
	struct mmdma_dev_info di;
	int fds[2] = { -1, -1 };
	int ctl, dev = -1, ret;

	ret = parse_xfer(argc, argv, &a);
	if (ret >= 0)
		return ret;
	ctl = cli_open_ctl();
	if (ctl < 0)
		return -ctl;
	dev = xfer_open_dev(a.dev, &di);
	if (dev < 0) {
		ret = -dev;
		goto out;
	}
	ret = xfer_buffers(ctl, dev, &a, fds);
	if (ret)
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
	ret = xfer_with_progress(dev, (const char *)di.name, &x);
	if (ret < 0) {
		ret = explain_xfer(-ret, &a);
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
		printf("  no ISA engine here (the provider module mmdma_isa takes isa_fdc=1\n"
		       "  to drive the floppy controller at 0x3f0; it never probes legacy\n"
		       "  ports unasked)\n");
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
