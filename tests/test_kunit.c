// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's KUnit suites, reported as cases of this program.
 *
 * On a kernel with KUnit (the debug kernel), mmdma.ko carries KUnit suites
 * (kernel/kunit/) that KUnit runs every time the module loads, printing
 * KTAP to the kernel log.  This program reads the log (/dev/kmsg), takes
 * the last run of each suite and reports each KUnit case as one case here
 * ("<suite>.<case>"), so the host counts them and a failing KUnit case
 * fails the run.  (6.1's debugfs copy, kunit/<suite>/results, loses the
 * line breaks of its case lines, so the log is the reliable source.)
 * Kernels without KUnit (Debian's) have no /sys/kernel/debug/kunit and a
 * module without suites: one skipped case.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KUNIT_DIR "/sys/kernel/debug/kunit"

/* The suites mmdma.ko must carry on a KUnit kernel. */
static const char *const suites[] = { "mmdma_buf", "mmdma_xfer" };
#define NR_SUITES (sizeof(suites) / sizeof(suites[0]))
#define MAX_CASES 64

struct suite_run {
	int seen;		/* a "# Subtest:" line was found */
	int ended;		/* ... and its own result line */
	int planned;
	int nr;
	char line[MAX_CASES][200];	/* "ok N name..." as printed */
	char diag[16][200];
	int nr_diag;
};

static struct suite_run runs[NR_SUITES];

static void parse(int cur, const char *msg)
{
	struct suite_run *r = &runs[cur];
	int n;

	if (strncmp(msg, "    ", 4) || msg[4] == ' ')
		return;
	msg += 4;
	if (sscanf(msg, "1..%d", &n) == 1)
		r->planned = n;
	else if (!strncmp(msg, "ok ", 3) || !strncmp(msg, "not ok ", 7)) {
		if (r->nr < MAX_CASES)
			snprintf(r->line[r->nr++], sizeof(r->line[0]), "%.190s", msg);
	} else if (msg[0] == '#' && r->nr_diag < 16) {
		char *d = r->diag[r->nr_diag++], *x;

		snprintf(d, sizeof(r->diag[0]), "%.190s", msg);
		/* /dev/kmsg escapes the line breaks of a multi-line message. */
		while ((x = strstr(d, "\\x0a")))
			memcpy(x, " // ", 4);
	}
}

/* Walk the whole log; a new "# Subtest:" of a suite restarts its record. */
static int read_log(void)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int cur = -1;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *nl;
		size_t i;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		for (i = 0; i < NR_SUITES; i++) {
			char want[128];

			snprintf(want, sizeof(want), "    # Subtest: %s", suites[i]);
			if (!strcmp(msg, want)) {
				memset(&runs[i], 0, sizeof(runs[i]));
				runs[i].seen = 1;
				runs[i].planned = -1;
				cur = (int)i;
				break;
			}
		}
		if (i < NR_SUITES)
			continue;
		if (cur < 0)
			continue;
		/* The suite's own result line, unindented, ends it. */
		if (msg[0] != ' ') {
			const char *name = strrchr(msg, ' ');

			if (name && !strcmp(name + 1, suites[cur]))
				runs[cur].ended = 1;
			if (name && !strcmp(name + 1, suites[cur]))
				cur = -1;
			continue;
		}
		parse(cur, msg);
	}
	close(fd);
	return 0;
}

int main(void)
{
	struct stat st;
	size_t i;
	int total = 0, num = 0, failed = 0, ret;

	if (stat(KUNIT_DIR, &st)) {
		printf("KTAP version 1\n1..1\n");
		printf("ok 1 kunit_suites # SKIP no %s (kernel without KUnit or debugfs)\n",
		       KUNIT_DIR);
		return 0;
	}
	ret = read_log();
	if (ret) {
		printf("KTAP version 1\n1..1\nnot ok 1 kunit_log # /dev/kmsg: %s\n",
		       strerror(-ret));
		return 1;
	}
	for (i = 0; i < NR_SUITES; i++) {
		struct suite_run *r = &runs[i];

		total += r->nr;
		/* A suite missing, cut short or not matching its plan: one more. */
		if (!r->seen || !r->ended || r->planned != r->nr)
			total++;
	}
	printf("KTAP version 1\n1..%d\n", total);
	for (i = 0; i < NR_SUITES; i++) {
		struct suite_run *r = &runs[i];

		for (int d = 0; d < r->nr_diag; d++)
			printf("# %s: %s\n", suites[i], r->diag[d] + 1);
		for (int c = 0; c < r->nr; c++) {
			const char *l = r->line[c];
			int ok = !strncmp(l, "ok ", 3);
			char *name = strchr(strchr(l + (ok ? 3 : 7), ' ') ?: l, ' ');

			name = name ? name + 1 : (char *)"?";
			printf("%s %d %s.%s\n", ok ? "ok" : "not ok", ++num, suites[i], name);
			failed += !ok;
		}
		if (!r->seen || !r->ended || r->planned != r->nr) {
			printf("not ok %d %s.suite_complete # %s: planned %d cases, reported %d\n",
			       ++num, suites[i],
			       !r->seen ? "no run in the kernel log (suite not built in?)" :
			       !r->ended ? "no result line" : "plan mismatch",
			       r->planned, r->nr);
			failed++;
		}
	}
	return failed ? 1 : 0;
}
