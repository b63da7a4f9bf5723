/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma CLI: what the command files share.
 */
#ifndef MMDMA_CLI_H
#define MMDMA_CLI_H

extern const char *cli_prog;

/* Print "mmdma: WHAT: strerror(ERR)" to stderr; returns 1 (exit status). */
int cli_fail(const char *what, int err);
/* Open the control node, explaining a failure on stderr. */
int cli_open_ctl(void);

int cmd_devices(void);
int cmd_xfer(int argc, char **argv);
/* The tour's ISA DMA stop (tools/mmdma_dev.c). */
int cli_tour_isa(int ctl);

#endif /* MMDMA_CLI_H */
