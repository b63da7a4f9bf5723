/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the test programs that drive DMA device nodes with buffers,
 * attachments and dma-bufs.  Like util.h's t_* helpers, they end the case
 * with a failure (or a skip) when they cannot do their job.
 */
#ifndef MMDMA_TEST_DEVUTIL_H
#define MMDMA_TEST_DEVUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define T_EDU		"mmdma-edu0"
#define T_SOFT		"mmdma-soft0"

/* edu's registers and DMA window (QEMU hw/misc/edu.c, kernel/mmdma_edu.c, docs/edu.md). */
#define EDU_REG_ID	0x00
#define EDU_REG_LIVE	0x04
#define EDU_REG_IRQ_ST	0x24
#define EDU_REG_RAISE	0x60
#define EDU_REG_ACK	0x64
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_COUNT	0x90
#define EDU_REG_CMD	0x98
#define EDU_RUN		0x1
#define EDU_TO_HOST	0x2
#define EDU_IRQ		0x4
#define EDU_IRQ_DMA	0x100
#define EDU_WINDOW	0x40000

/* An open DMA device node and what it says about itself. */
struct t_dev {
	const char *name;
	int fd;
	struct mmdma_dev_info info;
};

/* Open node @name (in /dev); without it, as t_dev_or_skip(). */
struct t_dev t_dev_open(const char *name);
/* $MMDMA_EXPECT, what the VM profile is built to produce, is @what. */
bool t_profile_is(const char *what);
/*
 * A new buffer the device reaches in full; in the "limited" profile it may
 * take several allocations (skips the case when none is in reach).
 */
/* Up to 40 anonymous mappings of 4 MiB (160 MiB), see devutil.c. */
struct t_filler {
	void *p[40];
	int n;
};

/* Adds one 4 MiB filler; false when the filler is full. */
bool t_filler_grow(struct t_filler *f);
/* Closes every filler buffer. */
void t_filler_release(struct t_filler *f);

int t_reachable_buf(const struct t_dev *e, uint64_t size, uint32_t kind,
		    uint32_t method);
/* MMDMA_DEV_XFER on node fd @dev with these fields; 0 or -errno, *@out
 * (if set) updated. */
int t_xfer_dma(int dev, uint32_t op, uint32_t dma, uint32_t flags, int src,
	       uint64_t soff, int dst, uint64_t doff, uint64_t devoff,
	       uint64_t len, struct mmdma_xfer *out);
/* The same with MMDMA_DMA_AUTO, on @e. */
int t_xfer(const struct t_dev *e, uint32_t op, uint32_t flags, int src,
	   uint64_t soff, int dst, uint64_t doff, uint64_t devoff, uint64_t len,
	   struct mmdma_xfer *out);
/* Buffer @dst (@dsize bytes) holds src[soff..] at doff for @len, else 0. */
void t_expect_copy(int dst, uint64_t dsize, uint64_t doff, uint64_t soff,
		   uint64_t len, uint32_t seed);
/* Bytes [off, off+len) of buffer @fd hold the fill pattern of @seed. */
void t_expect_pattern_at(int fd, uint64_t off, uint64_t len, uint32_t seed);
/* Zero @size bytes of buffer @fd through write() (a CPU write). */
void t_zero(int fd, uint64_t size);
/* MMDMA_IOC_INFO.nr_buffers. */
uint32_t t_nr_buffers(void);

#endif /* MMDMA_TEST_DEVUTIL_H */
