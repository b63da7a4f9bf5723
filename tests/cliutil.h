/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the mmdma CLI from a test: its exit status, stdout and stderr,
 * through pipes or (for what a terminal sees) a pseudo-terminal; and a
 * small JSON checker for its --json output.  Used in the guest
 * (tests/test_cli.c) and on the host (tests/host/test_cli.c).
 */
#ifndef MMDMA_TEST_CLIUTIL_H
#define MMDMA_TEST_CLIUTIL_H

#include <stdbool.h>
#include <stddef.h>

struct cli_out {
	int status;		/* exit status, or 128 + signal */
	char out[65536];	/* stdout (with a pty: stdout and stderr) */
	char err[16384];	/* stderr (empty with a pty) */
};

/*
 * Run the CLI ($MMDMA_CLI, else "mmdma" on $PATH) with @args (NULL
 * ended, without argv[0]); @env, if not NULL, is one NAME=VALUE added to
 * the environment.  With @pty, stdout and stderr are a pseudo-terminal.
 * Returns 0, or -errno when it could not be run at all.
 */
int cli_run(struct cli_out *o, const char *env, bool pty, const char *const *args);

/*
 * Is @s one valid JSON value (RFC 8259), with nothing but white space
 * after it?  On false, *@where points at the first byte that is wrong.
 */
bool json_valid(const char *s, const char **where);

/* Every command of the CLI, for the tests that go through them all. */
extern const char *const cli_commands[];
extern const size_t cli_nr_commands;

#endif /* MMDMA_TEST_CLIUTIL_H */
