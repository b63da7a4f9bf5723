// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the test helpers' promise rule (tests/util.c,
 * t_absent()): a helper that finds the driver, a device node or the edu
 * device missing fails its case when $MMDMA_PROMISE names that thing, and
 * skips it only when nothing promised it.  The host has no mmdma nodes
 * ($MMDMA_DEV points the control node at a path that does not exist), so
 * every helper here finds its thing missing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../devutil.h"

static int failures, checks;

static void use_ctl(void) { t_ctl(); }
static void use_edu_node(void) { t_dev_or_skip(T_EDU); }
static void use_soft_node(void) { t_dev_or_skip(T_SOFT); }
static void use_t_dev_open(void) { t_dev_open(T_SOFT); }
static void use_edu_bdf(void) { t_edu_bdf(); }

/* Exit status of @fn run in a child with MMDMA_PROMISE=@promise. */
static int run(void (*fn)(void), const char *promise)
{
	int status, null;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		setenv("MMDMA_PROMISE", promise, 1);
		setenv("MMDMA_DEV", "/nonexistent/mmdma", 1);
		null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define EXPECT_STATUS(fn, promise, want)				\
	do {								\
		int got_ = run(fn, promise);				\
		checks++;						\
		if (got_ != (want)) {					\
			failures++;					\
			printf("not ok: %s with MMDMA_PROMISE='%s': exit status %d, expected %d\n", \
			       #fn, promise, got_, want);		\
		}							\
	} while (0)

int main(void)
{
	const int fail = 1, skip = KTAP_SKIP_EXIT;

	if (!access("/dev/" T_EDU, F_OK) || !access("/dev/" T_SOFT, F_OK) ||
	    !access("/sys/class/misc/" T_EDU, F_OK)) {
		printf("not ok: mmdma nodes exist on this host: unload mmdma to run test_promise\n");
		return 1;
	}
	/* Promised and missing: the case fails. */
	EXPECT_STATUS(use_ctl, "module soft edu", fail);
	EXPECT_STATUS(use_edu_node, "module soft edu", fail);
	EXPECT_STATUS(use_soft_node, "module soft", fail);
	EXPECT_STATUS(use_t_dev_open, "soft", fail);
	EXPECT_STATUS(use_edu_bdf, "edu", fail);
	/* Not promised: a skip. */
	EXPECT_STATUS(use_ctl, "", skip);
	EXPECT_STATUS(use_edu_node, "module soft", skip);
	EXPECT_STATUS(use_soft_node, "module edu", skip);
	EXPECT_STATUS(use_t_dev_open, "", skip);
	EXPECT_STATUS(use_edu_bdf, "module soft reserved", skip);
	/* Whole words only. */
	EXPECT_STATUS(use_edu_node, "module educated", skip);
	EXPECT_STATUS(use_edu_node, "  module   edu  ", fail);
	printf("test_promise: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
