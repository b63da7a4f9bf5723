// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP runner: one child process per case, results in KTAP version 1.
 */

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define KTAP_DEFAULT_TIMEOUT	60

/* Shared with the case's child so the parent can print the skip reason. */
struct ktap_shared {
	char skip_reason[256];
};

static struct ktap_shared *shared;
static bool case_failed;
static bool in_case;

static void vdiag(const char *fmt, va_list ap)
{
	char line[1024];
	char *p, *nl;

	vsnprintf(line, sizeof(line), fmt, ap);
	/* Every line of a multi-line message stays a diagnostic. */
	for (p = line; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p || !nl)
			printf("# %s\n", p);
	}
	fflush(stdout);
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

void ktap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (shared)
		vsnprintf(shared->skip_reason, sizeof(shared->skip_reason), fmt, ap);
	va_end(ap);
	fflush(stdout);
	/* A check that already failed is not excused by the skip. */
	_exit(case_failed ? 1 : KTAP_SKIP_EXIT);
}

void ktap_fail(bool fatal, const char *file, int line, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ktap_diag("%s:%d: %s", file, line, msg);
	case_failed = true;
	if (fatal) {
		fflush(stdout);
		if (in_case)
			_exit(1);
		exit(1);
	}
}

bool ktap_failed(void)
{
	return case_failed;
}

static int run_case(const struct ktap_case *c)
{
	unsigned int timeout = c->timeout ? c->timeout : KTAP_DEFAULT_TIMEOUT;
	int status;
	pid_t pid;

	memset(shared, 0, sizeof(*shared));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ktap_diag("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* The case may fork again; its children must not outlive it. */
		setpgid(0, 0);
		in_case = true;
		case_failed = false;
		alarm(timeout);
		c->fn();
		fflush(stdout);
		_exit(case_failed ? 1 : 0);
	}
	setpgid(pid, pid);
	if (waitpid(pid, &status, 0) < 0) {
		ktap_diag("waitpid: %s", strerror(errno));
		return 1;
	}
	/* Reap whatever the case left behind in its process group. */
	kill(-pid, SIGKILL);
	while (waitpid(-pid, NULL, 0) > 0)
		;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WTERMSIG(status) == SIGALRM)
		ktap_diag("%s: timed out after %u s", c->name, timeout);
	else
		ktap_diag("%s: killed by signal %d (%s)", c->name,
			  WTERMSIG(status), strsignal(WTERMSIG(status)));
	return 1;
}

int ktap_main(const struct ktap_case *cases, size_t n, int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	size_t i, planned = 0, num = 0;
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!filter || strstr(cases[i].name, filter))
			planned++;

	printf("KTAP version 1\n1..%zu\n", planned);
	for (i = 0; i < n; i++) {
		struct timespec t0, t1;
		int rc;

		if (filter && !strstr(cases[i].name, filter))
			continue;
		num++;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = run_case(&cases[i]);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc == KTAP_SKIP_EXIT) {
			printf("ok %zu %s # SKIP %s\n", num, cases[i].name,
			       shared->skip_reason);
		} else if (rc == 0) {
			printf("ok %zu %s\n", num, cases[i].name);
		} else {
			printf("not ok %zu %s\n", num, cases[i].name);
			failed++;
		}
		if (t1.tv_sec - t0.tv_sec >= 5)
			ktap_diag("%s took %ld s", cases[i].name,
				  (long)(t1.tv_sec - t0.tv_sec));
	}
	return failed ? 1 : 0;
}
