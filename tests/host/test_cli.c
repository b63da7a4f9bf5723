// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the mmdma CLI: everything it must get right with no
 * driver at all (usage, --help, exit statuses, the number parser, map's
 * range checks, option forms, the "module not loaded" hints) and its JSON
 * strings.  $MMDMA_CLI names the binary under test (built with ASan and
 * UBSan by `make host-check`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cliutil.h"
#include "../../tools/mmdma_cli.h"

static int failures, checks;
static struct cli_out o;

#define CHECK(c)							\
	do {								\
		checks++;						\
		if (!(c)) {						\
			failures++;					\
			printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			printf("#   status %d\n#   stdout: %.300s\n#   stderr: %.300s\n", \
			       o.status, o.out, o.err);			\
		}							\
	} while (0)

#define RUN(...)							\
	do {								\
		const char *const args_[] = { __VA_ARGS__, NULL };	\
		CHECK(cli_run(&o, NULL, false, args_) == 0);		\
	} while (0)

static char small_file[] = "/tmp/mmdma-cli-XXXXXX";

static void no_arguments_usage_exit_2(void)
{
	const char *const none[] = { NULL };

	CHECK(cli_run(&o, NULL, false, none) == 0);
	CHECK(o.status == CLI_USAGE);
	CHECK(strstr(o.err, "usage: mmdma COMMAND"));
	CHECK(strstr(o.err, "exit status:"));
	CHECK(!*o.out);
}

static void unknown_command_and_option_exit_2(void)
{
	RUN("frobnicate");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unknown command 'frobnicate'"));
	RUN("info", "--frob");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unrecognized option"));
	RUN("map", "-q", small_file, "0", "4");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "invalid option"));
	RUN("info", "extra");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unexpected argument 'extra'"));
	RUN("xfer", "mmdma-soft0");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "needs DEVICE LENGTH"));
	RUN("xfer", "--dma", "teleport", "mmdma-soft0", "4k");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unknown DMA method 'teleport'"));
	RUN("xfer", "--kind=ether", "mmdma-soft0", "4k");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unknown memory kind 'ether'"));
}

/* --help, -h and `help CMD` print the command's help and exit 0, doing nothing else. */
static void help_on_every_command_exit_0(void)
{
	const char *const *cmds = cli_commands;

	for (size_t i = 0; i < cli_nr_commands; i++) {
		char want[64];

		snprintf(want, sizeof(want), "usage: mmdma %s", cmds[i]);
		RUN(cmds[i], "--help");
		CHECK(o.status == 0 && strstr(o.out, want) && strstr(o.out, "exit status:"));
		CHECK(!*o.err);
		RUN(cmds[i], "-h");
		CHECK(o.status == 0 && strstr(o.out, want));
		RUN("help", cmds[i]);
		CHECK(o.status == 0 && strstr(o.out, want));
	}
	/* --help wins over arguments that would otherwise fail. */
	RUN("xfer", "nosuchdevice", "0", "--help");
	CHECK(o.status == 0 && strstr(o.out, "usage: mmdma xfer"));
	RUN("--help");
	CHECK(o.status == 0 && strstr(o.out, "usage: mmdma COMMAND") &&
	      strstr(o.out, "3  mmdma is not there"));
	RUN("help", "nosuch");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "no command 'nosuch'"));
}

static void map_past_end_of_file_says_so(void)
{
	RUN("map", small_file, "4096", "16");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "is 12 bytes long: OFFSET 4096 + LENGTH 16 passes its end"));
	RUN("map", small_file, "0", "8192");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "is 12 bytes long: OFFSET 0 + LENGTH 8192 passes its end"));
	RUN("map", small_file, "12", "1");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "passes its end"));
	RUN("map", small_file, "0", "13");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "passes its end"));
	RUN("map", small_file, "0", "0");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "LENGTH must be more than 0"));
	RUN("map", "/tmp", "0", "4");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "is a directory"));
	RUN("map", "/nonexistent-mmdma-file", "0", "4");
	CHECK(o.status == CLI_FAIL && strstr(o.err, "No such file or directory"));
	/* Inside: exactly the bytes. */
	RUN("map", small_file, "6", "6");
	CHECK(o.status == 0 && !strcmp(o.out, "world\n"));
	RUN("map", small_file, "0", "12");
	CHECK(o.status == 0 && !strcmp(o.out, "hello world\n"));
}

static void numbers_parsed_strictly(void)
{
	static const char *const bad[] = { " -1", "+1", " 1", "1 ", "4kk", "4q",
					   "0x", "x10", "", "1.5", "4 k" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "OFFSET '%s' is not a number", bad[i]);
		RUN("map", small_file, bad[i], "4");
		CHECK(o.status == CLI_USAGE && strstr(o.err, want));
		snprintf(want, sizeof(want), "LENGTH '%s' is not a number", bad[i]);
		RUN("xfer", "mmdma-soft0", bad[i]);
		CHECK(o.status == CLI_USAGE && strstr(o.err, want));
	}
	/* A leading '-' is an option; after "--" it is a malformed number. */
	RUN("xfer", "--", "mmdma-soft0", "-1");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "LENGTH '-1' is not a number"));
	RUN("map", small_file, "0", "99999999999999999999");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "is too large"));
	RUN("xfer", "mmdma-soft0", "17179869184G");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "is too large"));
	/* Leading zeros are decimal, hex takes 0x. */
	RUN("map", small_file, "006", "0x5");
	CHECK(o.status == 0 && !strcmp(o.out, "world"));
}

/* --opt=value, short options, options after the positionals. */
static void options_in_every_form_and_place(void)
{
	RUN("map", "--hex", small_file, "0", "4");
	CHECK(o.status == 0 && strstr(o.out, "00000000  68 65 6c 6c"));
	RUN("map", small_file, "0", "4", "--hex");
	CHECK(o.status == 0 && strstr(o.out, "00000000  68 65 6c 6c"));
	RUN("map", "-x", small_file, "0", "4");
	CHECK(o.status == 0 && strstr(o.out, "00000000  68 65 6c 6c"));
	RUN("map", small_file, "-w", "0", "4");
	CHECK(o.status == 0 && strstr(o.out, "00000000  6c6c6568"));
	RUN("map", small_file, "0", "4", "--hex32");
	CHECK(o.status == 0 && strstr(o.out, "6c6c6568"));
	RUN("map", "--hex32", small_file, "1", "4");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "4-byte aligned"));
	/* Parsed before anything is opened: usage errors are 2 without a module. */
	RUN("xfer", "mmdma-soft0", "4k", "--dma=single", "--kind", "teleport");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "unknown memory kind 'teleport'"));
	RUN("xfer", "-d", "pool", "-k", "contig", "mmdma-soft0", "-1");
	CHECK(o.status == CLI_USAGE && strstr(o.err, "invalid option"));
}

/* Without the module: exit 3 and a message saying the module is not loaded. */
static void no_module_exit_3_with_hint(void)
{
	if (!access("/sys/module/mmdma", F_OK)) {
		printf("# mmdma is loaded on this host: the no-module cases run in the guest only\n");
		return;
	}
	RUN("devices");
	CHECK(o.status == CLI_UNAVAILABLE && strstr(o.err, "the mmdma module is not loaded"));
	CHECK(!*o.out);
	RUN("devices", "--json");
	CHECK(o.status == CLI_UNAVAILABLE && !*o.out);
	RUN("info");
	CHECK(o.status == CLI_UNAVAILABLE && strstr(o.err, "/dev/mmdma: No such file or directory: the mmdma module is not loaded"));
	RUN("buffers");
	CHECK(o.status == CLI_UNAVAILABLE && strstr(o.err, "not loaded"));
	RUN("tour");
	CHECK(o.status == CLI_UNAVAILABLE);
	RUN("xfer", "mmdma-soft0", "4k");
	CHECK(o.status == CLI_UNAVAILABLE && strstr(o.err, "not loaded"));
	RUN("map", "/dev/mmdma-edu0", "0", "4");
	CHECK(o.status == CLI_UNAVAILABLE && strstr(o.err, "not loaded"));
}

/* What the CLI prints as a JSON string is valid JSON, whatever the bytes. */
static void json_strings_valid(void)
{
	static const char *const s[] = { "plain", "quote\" back\\slash", "nl\n tab\t",
					 "\x01\x1f ctl", "\xff\xfe high", "" };
	const char *where;

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		fputc('[', f);
		json_string(f, s[i]);
		fputs(", 12, -1.5e3, true, null, {\"a\": []}]", f);
		fclose(f);
		CHECK(json_valid(buf, &where));
		free(buf);
	}
	/* And the checker refuses what is not JSON. */
	CHECK(!json_valid("[1,]", &where));
	CHECK(!json_valid("{\"a\" 1}", &where));
	CHECK(!json_valid("\"tab\there\"", &where));
	CHECK(!json_valid("[01]", &where));
	CHECK(!json_valid("{} x", &where));
	CHECK(!json_valid("", &where));
	CHECK(json_valid(" {\"a\": [1, 2.5, \"\\u00e9\"]} \n", &where));
}

int main(void)
{
	int fd = mkstemp(small_file);

	if (fd < 0 || write(fd, "hello world\n", 12) != 12) {
		perror("test_cli: temporary file");
		return 1;
	}
	close(fd);
	if (!getenv("MMDMA_CLI")) {
		fprintf(stderr, "test_cli: set MMDMA_CLI to the mmdma binary\n");
		return 1;
	}
	no_arguments_usage_exit_2();
	unknown_command_and_option_exit_2();
	help_on_every_command_exit_0();
	map_past_end_of_file_says_so();
	numbers_parsed_strictly();
	options_in_every_form_and_place();
	no_module_exit_3_with_hint();
	json_strings_valid();
	unlink(small_file);
	printf("test_cli: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
