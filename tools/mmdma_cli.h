/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma CLI: what the command files share.
 */
#ifndef MMDMA_CLI_H
#define MMDMA_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/libmmdma.h"

/*
 * Exit statuses, the same for every command (documented in `mmdma --help`,
 * README.md and docs/cli.md).
 */
enum {
	CLI_OK = 0,		/* done; for xfer: the data came back intact */
	CLI_FAIL = 1,		/* the driver or the system refused, or data differs */
	CLI_USAGE = 2,		/* bad command line: option, number, range, node type */
	CLI_UNAVAILABLE = 3,	/* module not loaded, node missing or stale */
};

extern const char *cli_prog;

/* Print "mmdma: WHAT: strerror(ERR)" to stderr; returns CLI_FAIL. */
int cli_fail(const char *what, int err);
/* Print "mmdma: " and the message to stderr; returns @status. */
int cli_say(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The one number parser of the CLI: decimal or 0x-hex digits, an optional
 * k/M/G suffix (powers of 1024), nothing else (no space, no sign).  On a
 * bad @s, says on stderr which argument (@what) is wrong and why, and
 * returns CLI_USAGE; 0 on success.
 */
int cli_number(const char *cmd, const char *what, const char *s, uint64_t *out);

/*
 * Open the control node; on failure say why (module not loaded, node
 * missing, node stale, permission) and return -CLI_* status to exit with.
 */
int cli_open_ctl(void);
/*
 * Explain on stderr why opening @path failed with @err (errno), with the
 * hint that fits: module not loaded, node missing, stale node, the udev
 * rule for EACCES.  Returns the exit status to use.
 */
int cli_explain_open(const char *path, int err);

/* JSON output (tools/mmdma_json.c): a string with every needed escape. */
void json_string(FILE *f, const char *s);
/* The first line of @dir/@name/@attr (sysfs), newline dropped; "" if unreadable. */
void cli_attr(const char *dir, const char *name, const char *attr, char *out,
	      size_t n);

/*
 * Options of a command that takes only -j/--json and -h/--help: returns
 * -1 to go on (*@json set), or the status to exit with.
 */
int cli_json_opts(const char *cmd, int argc, char **argv, bool *json);

int cmd_devices(int argc, char **argv);
int cmd_buffers(int argc, char **argv);
/* tools/mmdma_named.c: named buffers */
int cmd_create(int argc, char **argv);
int cmd_delete(int argc, char **argv);
/* Print the named buffers (after @first JSON objects or none); how many. */
int cli_named_list(bool json, bool first);
int cmd_xfer(int argc, char **argv);
int cmd_explain(int argc, char **argv);
/* MMDMA_IOC_EXPLAIN of @addr in @pid (0: us), for device fd @dev (or -1). */
int cli_explain_print(int ctl, int pid, uint64_t addr, int dev, const char *name);
/* The tour's ISA DMA stop (tools/mmdma_dev.c). */
int cli_tour_isa(int ctl);

/* Per-command help: prints the help of @cmd to @f; false for no such command. */
bool cli_help(FILE *f, const char *cmd);

#endif /* MMDMA_CLI_H */
