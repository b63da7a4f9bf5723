// SPDX-License-Identifier: GPL-2.0
/*
 * The mmdma CLI against the driver: each case is one thing a user saw go
 * wrong (issue 14), now said plainly with the right exit status.  The
 * cases that need no driver run on the host too (tests/host/test_cli.c).
 * Runs `mmdma` from $PATH (or $MMDMA_CLI).  Unloads and reloads the
 * driver ($MMDMA_KO, $MMDMA_PARAMS) in the module cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cliutil.h"
#include "util.h"

static struct cli_out o;

/* Report the run when a check on it fails. */
#define EXPECT_RUN(cond)						\
	do {								\
		if (!(cond))						\
			ktap_fail(false, __FILE__, __LINE__,		\
				  "expected: %s; status %d\n#   stdout: %.400s\n#   stderr: %.400s", \
				  #cond, o.status, o.out, o.err);	\
	} while (0)

#define RUN_ENV(env, ...)						\
	do {								\
		const char *const args_[] = { __VA_ARGS__, NULL };	\
		ASSERT_OK(cli_run(&o, env, false, args_));		\
	} while (0)
#define RUN(...)	RUN_ENV(NULL, __VA_ARGS__)

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static const char *ko_path(void)
{
	return t_core_ko();
}

/* A DMA device node's device number, from sysfs. */
static dev_t misc_devt(const char *name)
{
	char path[128], line[64];
	unsigned int maj, min;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/dev", name);
	t_read_line(path, line, sizeof(line));
	ASSERT_EQ(sscanf(line, "%u:%u", &maj, &min), 2);
	return makedev(maj, min);
}

/* `mmdma` alone is a usage error: usage on stderr, exit 2. */
static void no_arguments_usage_exit_2(void)
{
	const char *const none[] = { NULL };

	ASSERT_OK(cli_run(&o, NULL, false, none));
	EXPECT_RUN(o.status == 2 && has(o.err, "usage: mmdma COMMAND") && !*o.out);
}

/* Every command's --help prints its help, runs nothing, exits 0. */
static void help_on_every_command_runs_nothing(void)
{
	const char *const *cmds = cli_commands;

	for (size_t i = 0; i < cli_nr_commands; i++) {
		char want[64];

		snprintf(want, sizeof(want), "usage: mmdma %s", cmds[i]);
		RUN(cmds[i], "--help");
		EXPECT_RUN(o.status == 0 && has(o.out, want) && has(o.out, "exit status:"));
		/* The tour's and the driver's own output are not there. */
		EXPECT_RUN(!has(o.out, "mmdma tour:") && !has(o.out, "abi version      ") &&
			   !has(o.out, "  dma mask       "));
	}
}

/* A range past a file's end is refused with the file's size, not SIGBUS. */
static void map_past_end_of_file_refused(void)
{
	int fd = open("/tmp/cli-12", O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);

	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "hello world\n", 12), 12);
	close(fd);
	RUN("map", "/tmp/cli-12", "4096", "16");
	EXPECT_RUN(o.status == 2 && has(o.err, "is 12 bytes long: OFFSET 4096 + LENGTH 16 passes its end"));
	RUN("map", "/tmp/cli-12", "0", "8192");
	EXPECT_RUN(o.status == 2 && has(o.err, "OFFSET 0 + LENGTH 8192 passes its end"));
	RUN("map", "/init", "99999999", "16");
	EXPECT_RUN(o.status == 2 && has(o.err, "passes its end"));
	RUN("map", "/tmp/cli-12", "6", "6");
	EXPECT_RUN(o.status == 0 && !strcmp(o.out, "world\n"));
	unlink("/tmp/cli-12");
}

/* " -1" and friends are not numbers, wherever a number is read. */
static void numbers_strict_everywhere(void)
{
	RUN("map", "/init", " -1", "16");
	EXPECT_RUN(o.status == 2 && has(o.err, "OFFSET ' -1' is not a number"));
	RUN("xfer", "mmdma-soft0", " -1");
	EXPECT_RUN(o.status == 2 && has(o.err, "LENGTH ' -1' is not a number"));
	RUN("xfer", "mmdma-soft0", "4k ");
	EXPECT_RUN(o.status == 2 && has(o.err, "LENGTH '4k ' is not a number"));
	RUN("xfer", "mmdma-soft0", "99999999999999999999");
	EXPECT_RUN(o.status == 2 && has(o.err, "is too large"));
}

/* The control node, /dev/null, "" and a directory are named for what they are. */
static void xfer_wrong_node_named(void)
{
	RUN("xfer", "mmdma", "4k");
	EXPECT_RUN(o.status == 2 && has(o.err, "/dev/mmdma is mmdma's control node") &&
		   has(o.err, "not a DMA device node"));
	RUN("xfer", "/dev/null", "4k");
	EXPECT_RUN(o.status == 2 && has(o.err, "/dev/null is not a node of mmdma, not a DMA device node"));
	RUN("xfer", "", "4k");
	EXPECT_RUN(o.status == 2 && has(o.err, "an empty DEVICE name"));
	RUN("xfer", "/tmp", "4k");
	EXPECT_RUN(o.status == 2 && has(o.err, "/tmp is a directory"));
	RUN("xfer", "mmdma-nosuch7", "4k");
	EXPECT_RUN(o.status == 3 && has(o.err, "the module is loaded but has no device 'mmdma-nosuch7'"));
	RUN_ENV("MMDMA_DEV=/dev/null", "info");
	EXPECT_RUN(o.status == 2 && has(o.err, "/dev/null is not the mmdma control node"));
}

/* Each rule the driver enforces comes with the rule, the limit and its parameter. */
static void xfer_refusals_say_rule_and_limit(void)
{
	struct mmdma_info info = t_ctl_info();
	unsigned long long saved = t_param_get("max_buf_size");
	char len[32];

	t_dev_or_skip("mmdma-soft0");
	RUN("xfer", "--dma", "single", "mmdma-soft0", "8k");
	EXPECT_RUN(o.status == 1 && has(o.err, "--dma single maps the buffer with dma_map_single()") &&
		   has(o.err, "pages memory") && has(o.err, "use --kind contig"));
	RUN("xfer", "--dma=pool", "mmdma-soft0", "257");
	EXPECT_RUN(o.status == 1 && has(o.err, "at most 256 bytes (MMDMA_POOL_MAX) per transfer; LENGTH is 257"));
	RUN("xfer", "--dma=pool", "mmdma-soft0", "256");
	EXPECT_RUN(o.status == 0 && has(o.out, "data checked"));
	snprintf(len, sizeof(len), "%llu", (unsigned long long)info.max_contig_size + PAGE);
	RUN("xfer", "--kind", "contig", "mmdma-soft0", len);
	EXPECT_RUN(o.status == 1 && has(o.err, "one physically contiguous block of at most") &&
		   has(o.err, "(the page allocator's largest order)"));
	t_param_set("max_buf_size", 64 * 1024);
	RUN("xfer", "mmdma-soft0", "68k");
	t_param_set("max_buf_size", saved);
	EXPECT_RUN(o.status == 1 && has(o.err, "LENGTH 69632 is more than max_buf_size, 65536 bytes (module parameter max_buf_size)"));
	/* Room for one 64 KiB buffer, not for the two a round trip takes. */
	saved = t_param_get("max_total");
	t_param_set("max_total", t_ctl_info().total + 96 * 1024);
	RUN("xfer", "mmdma-soft0", "64k");
	t_param_set("max_total", saved);
	EXPECT_RUN(o.status == 1 && has(o.err, "all buffers together may hold max_total") &&
		   has(o.err, "(module parameter max_total)"));
}

/* --kind coherent works (the device's own memory); reserved says what it needs. */
static void xfer_kind_coherent_and_reserved(void)
{
	t_dev_or_skip("mmdma-soft0");
	RUN("xfer", "--kind", "coherent", "mmdma-soft0", "64k");
	EXPECT_RUN(o.status == 0 && has(o.out, "65536 bytes through mmdma-soft0 (coherent memory") &&
		   has(o.out, "data checked"));
	if (t_promised("edu")) {
		RUN("xfer", "--kind=coherent", "mmdma-edu0", "8k");
		EXPECT_RUN(o.status == 0 && has(o.out, "data checked"));
	}
	RUN("xfer", "--kind", "reserved", "mmdma-soft0", "8k");
	if (t_ctl_info().features & MMDMA_FEAT_MEM_RESERVED)
		EXPECT_RUN(o.status == 0 && has(o.out, "data checked"));
	else
		EXPECT_RUN(o.status == 1 && has(o.err, "no reserved region: boot with memmap=SIZE$ADDR and load the module with reserved_base=ADDR reserved_size=SIZE"));
}

/* --opt=value, short options, options after the positionals. */
static void options_any_form_any_place(void)
{
	t_dev_or_skip("mmdma-soft0");
	RUN("xfer", "mmdma-soft0", "8k", "--dma=sg");
	EXPECT_RUN(o.status == 0 && has(o.out, "(pages memory, sg)"));
	RUN("xfer", "-d", "page", "mmdma-soft0", "8k");
	EXPECT_RUN(o.status == 0 && has(o.out, "(pages memory, page)"));
	RUN("xfer", "mmdma-soft0", "--kind=contig", "8k", "-dsingle");
	EXPECT_RUN(o.status == 0 && has(o.out, "(contig memory, single)"));
	RUN("info", "-j");
	char abi[64];

	snprintf(abi, sizeof(abi), "\"abi_version\": %u, \"driver_version\": \"%s\"",
		 MMDMA_ABI_VERSION, MMDMA_VERSION);
	EXPECT_RUN(o.status == 0 && has(o.out, abi));
}

static void expect_json(const char *what)
{
	const char *where = NULL;

	if (!json_valid(o.out, &where))
		ktap_fail(false, __FILE__, __LINE__, "%s: not JSON at byte %td: %.400s",
			  what, where - o.out, o.out);
}

/* info, devices and buffers --json: valid JSON holding the driver's values. */
static void json_output_valid_and_exact(void)
{
	struct mmdma_info info;
	struct mmdma_buf_info bi;
	char want[128];
	int fd;

	RUN("info", "--json");
	EXPECT_RUN(o.status == 0);
	expect_json("info --json");
	info = t_ctl_info();
	snprintf(want, sizeof(want), "\"max_buf_size\": %llu,", (unsigned long long)info.max_buf_size);
	EXPECT_RUN(has(o.out, want) && has(o.out, "\"mem:pages\""));

	RUN("devices", "--json");
	EXPECT_RUN(o.status == 0);
	expect_json("devices --json");
	EXPECT_RUN(has(o.out, "{\"name\": \"mmdma-soft0\", \"kind\": \"soft\""));
	if (t_promised("edu"))
		EXPECT_RUN(has(o.out, "{\"name\": \"mmdma-edu0\", \"kind\": \"edu\""));

	fd = t_buf(2 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
	bi = t_info(fd);
	RUN("buffers", "--json");
	EXPECT_RUN(o.status == 0);
	expect_json("buffers --json");
	snprintf(want, sizeof(want), "{\"id\": %u, \"size\": 8192, \"kind\": \"contig\", \"method\": \"remap\"",
		 bi.id);
	EXPECT_RUN(has(o.out, want));
	RUN("buffers");
	EXPECT_RUN(o.status == 0 && has(o.out, "contig") && has(o.out, "remap"));
	close(fd);
}

/* The edu registers answer 32-bit loads only: every dump mode reads them so. */
static void edu_registers_32bit_every_mode(void)
{
	unsigned char raw[16];
	unsigned int w0, w1;

	t_dev_or_skip("mmdma-edu0");
	RUN("map", "--hex32", "/dev/mmdma-edu0", "0", "16");
	EXPECT_RUN(o.status == 0);
	ASSERT_EQ(sscanf(o.out, "00000000  %8x %8x", &w0, &w1), 2);
	/* The identification register: 0xRRrr00ed, version 1.0. */
	EXPECT_EQ(w0, 0x010000ed);
	RUN("map", "/dev/mmdma-edu0", "0", "16");
	EXPECT_RUN(o.status == 0);
	memcpy(raw, o.out, sizeof(raw));
	EXPECT_EQ(raw[0], 0xed);
	EXPECT_EQ(raw[1], 0x00);
	EXPECT_EQ(raw[2], 0x00);
	EXPECT_EQ(raw[3], 0x01);
	RUN("map", "--hex", "/dev/mmdma-edu0", "0", "8");
	EXPECT_RUN(o.status == 0 && has(o.out, "00000000  ed 00 00 01"));
	RUN("map", "/dev/mmdma-edu0", "2", "4");
	EXPECT_RUN(o.status == 2 && has(o.err, "answer only aligned 32-bit reads"));
	RUN("map", "-x", "/dev/mmdma-edu0", "0", "6");
	EXPECT_RUN(o.status == 2 && has(o.err, "answer only aligned 32-bit reads"));
}

static void unprivileged_map_regs(void *arg)
{
	(void)arg;
	RUN("map", "--hex32", "/dev/mmdma-edu0", "0", "4");
	EXPECT_RUN(o.status == 1 && has(o.err, "needs CAP_SYS_RAWIO"));
}

static void unprivileged_open_0600(void *arg)
{
	(void)arg;
	RUN("info");
	EXPECT_RUN(o.status == 1 && has(o.err, "/dev/mmdma: Permission denied") &&
		   has(o.err, "udev rule"));
	RUN("xfer", "mmdma-soft0", "4k");
	EXPECT_RUN(o.status == 1 && has(o.err, "Permission denied") && has(o.err, "udev rule"));
}

/* Unprivileged: the messages name the udev rule (EACCES) and CAP_SYS_RAWIO (EPERM). */
static void unprivileged_messages_name_the_remedy(void)
{
	struct stat st;

	t_dev_or_skip("mmdma-edu0");
	ASSERT_OK(stat("/dev/mmdma", &st));
	EXPECT_EQ(st.st_mode & 0777, 0600);
	EXPECT_EQ(t_run_unprivileged(unprivileged_open_0600, NULL, NULL, 0), 0);
	/* A node a user may open: the mapping itself needs the capability. */
	ASSERT_OK(chmod("/dev/mmdma-edu0", 0666));
	EXPECT_EQ(t_run_unprivileged(unprivileged_map_regs, NULL, NULL, 0), 0);
	ASSERT_OK(chmod("/dev/mmdma-edu0", 0600));
}

/* A transfer over a second shows progress on a terminal, and only there. */
static void xfer_progress_on_terminal_only(void)
{
	const char *const args[] = { "xfer", "mmdma-edu0", "64k", NULL };

	t_dev_or_skip("mmdma-edu0");
	/* edu takes 100 ms (virtual) per 4 KiB operation: 32 of them here. */
	ASSERT_OK(cli_run(&o, NULL, true, args));
	EXPECT_RUN(o.status == 0 && has(o.out, "mmdma: xfer mmdma-edu0: ") &&
		   has(o.out, "device operations so far") && has(o.out, "data checked"));
	ASSERT_OK(cli_run(&o, NULL, false, args));
	EXPECT_RUN(o.status == 0 && !*o.err && !has(o.out, "so far") && has(o.out, "data checked"));
}

/*
 * Module gone, node gone, node stale: three different messages, exit 3.
 * Leaves the driver loaded with $MMDMA_PARAMS.
 */
static void missing_module_node_and_stale_node_told_apart(void)
{
	dev_t ctl = misc_devt("mmdma");
	dev_t soft;

	ko_path();
	/* Only to learn it is there: an open fd would pin the module. */
	close(t_dev_or_skip("mmdma-soft0"));
	soft = misc_devt("mmdma-soft0");
	/* A node made by hand outlives the module: stale after rmmod. */
	unlink("/tmp/stale-mmdma");
	unlink("/tmp/stale-soft0");
	ASSERT_OK(mknod("/tmp/stale-mmdma", S_IFCHR | 0600, ctl));
	ASSERT_OK(mknod("/tmp/stale-soft0", S_IFCHR | 0600, soft));

	/* The node missing while the module is loaded. */
	ASSERT_OK(unlink("/dev/mmdma-soft0"));
	RUN("xfer", "mmdma-soft0", "4k");
	EXPECT_RUN(o.status == 3 && has(o.err, "the module is loaded and the device exists (/sys/class/misc/mmdma-soft0") &&
		   has(o.err, "mknod /dev/mmdma-soft0 c"));
	/*
	 * Not made again by hand: devtmpfs never removes a node it did not
	 * make, so a later unbind would leave it behind (test_named's rebind
	 * case saw it); the reload below makes devtmpfs's own.
	 */

	ASSERT_OK(t_driver_unload());
	RUN("devices");
	EXPECT_RUN(o.status == 3 && has(o.err, "the mmdma module is not loaded") && !*o.out);
	RUN("info");
	EXPECT_RUN(o.status == 3 && has(o.err, "/dev/mmdma: No such file or directory: the mmdma module is not loaded"));
	RUN("buffers", "--json");
	EXPECT_RUN(o.status == 3 && has(o.err, "not loaded") && !*o.out);
	RUN_ENV("MMDMA_DEV=/tmp/stale-mmdma", "info");
	EXPECT_RUN(o.status == 3 && has(o.err, "/tmp/stale-mmdma: ") &&
		   has(o.err, "the node is stale: no driver answers its device number") &&
		   has(o.err, "the mmdma module is not loaded"));
	RUN("xfer", "/tmp/stale-soft0", "4k");
	EXPECT_RUN(o.status == 3);
	ASSERT_OK(t_driver_load());
	/* Loaded again, the right nodes work. */
	RUN("devices");
	EXPECT_RUN(o.status == 0 && has(o.out, "mmdma-soft0 (soft)"));
	unlink("/tmp/stale-mmdma");
	unlink("/tmp/stale-soft0");
}

static const struct ktap_case cases[] = {
	KTAP_CASE(no_arguments_usage_exit_2),
	KTAP_CASE(help_on_every_command_runs_nothing),
	KTAP_CASE(map_past_end_of_file_refused),
	KTAP_CASE(numbers_strict_everywhere),
	KTAP_CASE(xfer_wrong_node_named),
	KTAP_CASE(xfer_refusals_say_rule_and_limit),
	KTAP_CASE(unprivileged_messages_name_the_remedy),
	KTAP_CASE(missing_module_node_and_stale_node_told_apart),
	KTAP_CASE(xfer_kind_coherent_and_reserved),
	KTAP_CASE(options_any_form_any_place),
	KTAP_CASE(json_output_valid_and_exact),
	KTAP_CASE(edu_registers_32bit_every_mode),
	KTAP_CASE_T(xfer_progress_on_terminal_only, 120),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
