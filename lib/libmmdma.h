/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmmdma: a thin C wrapper over the mmdma ioctl ABI.
 *
 * Every function returns a non-negative value on success and -errno on
 * failure (errno is left as the system call set it), so calls compose
 * without consulting errno.
 */
#ifndef LIBMMDMA_H
#define LIBMMDMA_H

#include <stddef.h>
#include <stdint.h>
#include <linux/mmdma.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the control node; $MMDMA_DEV overrides it. */
#define MMDMA_CTL_PATH "/dev/mmdma"

/*
 * The library's release, "MAJOR.MINOR.PATCH" (the same VERSION file as the
 * module's, which MMDMA_IOC_INFO reports in driver_version).  Needs no
 * device.
 */
const char *mmdma_version(void);

/* Open the control node (read/write, close-on-exec).  Returns the fd. */
int mmdma_open(void);

/* MMDMA_IOC_INFO. */
int mmdma_info(int ctl, struct mmdma_info *info);

/*
 * Allocate a buffer of @size bytes of memory @kind, mapped by @method;
 * @flags are MMDMA_ALLOC_* bits (MMDMA_ALLOC_CLOEXEC is always added).
 * Returns the buffer fd.
 */
int mmdma_alloc(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		uint32_t flags);

/* The same with a cache mode (enum mmdma_cache_mode). */
int mmdma_alloc_cache(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		      uint32_t cache, uint32_t flags);

/*
 * The same for memory of the DMA device open as @dev (MMDMA_ALLOC_DEVICE,
 * added here): MMDMA_MEM_COHERENT.
 */
int mmdma_alloc_dev(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		    uint32_t flags, int dev);

/*
 * MMDMA_IOC_EXPLAIN: @e's (in) fields set, everything else zero; 0 or
 * -errno, @e filled in.
 */
int mmdma_explain(int ctl, struct mmdma_explain *e);

/* MMDMA_BUF_INFO and MMDMA_BUF_FILL on a buffer fd. */
int mmdma_buf_info(int buf, struct mmdma_buf_info *info);
int mmdma_buf_fill(int buf, uint64_t offset, uint64_t length, uint32_t seed);

/* Physical addresses of @count pages from @offset (CAP_SYS_ADMIN). */
int mmdma_buf_phys(int buf, uint64_t offset, uint64_t count, uint64_t *addrs);

/*
 * Attachments (MMDMA_BUF_ATTACH ...): map buffer @buf for the device of
 * node fd @dev in direction @dir (enum mmdma_dma_dir); returns the number of
 * bus segments (0 for a caller without CAP_SYS_RAWIO).  Sync hands [@offset, @offset + @length) to the CPU or the
 * device (@flags: MMDMA_SYNC_FOR_CPU or MMDMA_SYNC_FOR_DEVICE).  DMA_ADDRS
 * stores up to @count segments from @first in @segs and the total in
 * *@nr_segs (may be NULL); returns the number stored (CAP_SYS_RAWIO).
 */
int mmdma_buf_attach(int buf, int dev, uint32_t dir);
int mmdma_buf_detach(int buf, int dev);
int mmdma_buf_sync(int buf, int dev, uint64_t offset, uint64_t length,
		   uint32_t dir, uint32_t flags);
int mmdma_buf_dma_addrs(int buf, int dev, uint32_t first, uint32_t count,
			struct mmdma_dma_seg *segs, uint32_t *nr_segs);

/* MMDMA_BUF_EXPORT: a dma-buf fd; @fd_flags O_CLOEXEC and O_RDWR/O_RDONLY. */
int mmdma_buf_export(int buf, uint32_t fd_flags);

/*
 * Open a DMA device node: a name such as "mmdma-edu0" (looked up in /dev)
 * or a path.  Returns the fd.
 */
int mmdma_dev_open(const char *name);
int mmdma_dev_info(int dev, struct mmdma_dev_info *info);
/* MMDMA_DEV_XFER: @x is updated with the (out) fields. */
int mmdma_xfer(int dev, struct mmdma_xfer *x);

/* Names for enum values, and back; parse returns 0 for an unknown name. */
const char *mmdma_kind_name(uint32_t kind);
const char *mmdma_method_name(uint32_t method);
uint32_t mmdma_kind_parse(const char *name);
uint32_t mmdma_method_parse(const char *name);
const char *mmdma_dma_name(uint32_t dma);
const char *mmdma_cache_name(uint32_t cache);
/* enum mmdma_dma_method for a name, or -EINVAL (AUTO is a valid 0). */
int mmdma_dma_parse(const char *name);

/*
 * Parse a size or offset: decimal, or 0x-hex, with an optional k/K, m/M,
 * g/G suffix (powers of 1024), and nothing else: no leading space or sign
 * (" -1" is -EINVAL, not a huge number), a leading 0 is not octal.
 * Returns 0, or -EINVAL / -ERANGE (*@out untouched then).
 */
int mmdma_parse_size(const char *s, uint64_t *out);

/* Write / check the MMDMA_BUF_FILL pattern for buffer bytes [off, off+len). */
void mmdma_pattern_fill(void *p, uint64_t off, size_t len, uint32_t seed);
/* Index of the first byte that differs from the pattern, or @len. */
size_t mmdma_pattern_check(const void *p, uint64_t off, size_t len,
			   uint32_t seed);

#ifdef __cplusplus
}
#endif

#endif /* LIBMMDMA_H */
