/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma CLI: what the command files share.
 */
#ifndef MMDMA_CLI_H
#define MMDMA_CLI_H

#include <stdint.h>

extern const char *cli_prog;

/* Print "mmdma: WHAT: strerror(ERR)" to stderr; returns 1 (exit status). */
int cli_fail(const char *what, int err);
/* Open the control node, explaining a failure on stderr. */
int cli_open_ctl(void);

int cmd_devices(void);
int cmd_xfer(int argc, char **argv);
int cmd_explain(int argc, char **argv);
/* MMDMA_IOC_EXPLAIN of @addr in @pid (0: us), for device fd @dev (or -1). */
int cli_explain_print(int ctl, int pid, uint64_t addr, int dev, const char *name);
/* The tour's ISA DMA stop (tools/mmdma_dev.c). */
int cli_tour_isa(int ctl);

#endif /* MMDMA_CLI_H */
