/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: internal interfaces between the driver's files.
 */
#ifndef MMDMA_H
#define MMDMA_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <uapi/linux/mmdma.h>

#include "compat.h"

#define MMDMA_NAME "mmdma"

/**
 * struct mmdma_buf - a buffer of kernel memory handed to user space as an fd
 * @ref:       who holds references: the buffer's file (one, dropped at its
 *             release); anyone in the kernel working on the buffer without
 *             the file.  VMAs need none of their own: vma->vm_file pins the
 *             file, and the file pins the buffer.
 * @id:        number unique among live buffers (for logs and sysfs)
 * @kind:      enum mmdma_mem_kind
 * @method:    enum mmdma_map_method
 * @cache:     enum mmdma_cache_mode
 * @size:      bytes, a multiple of PAGE_SIZE
 * @nr_pages:  size >> PAGE_SHIFT
 * @pages:     MMDMA_MEM_PAGES: one order-0 page per entry
 * @vaddr:     MMDMA_MEM_CONTIG: linear-map address of the first page;
 *             MMDMA_MEM_VMALLOC: the vmalloc area
 * @live_maps: VMAs that map the buffer now (vm_ops open/close)
 * @mmaps:     successful mmap() calls
 * @faults:    pages supplied by the .fault handler
 * @inserted:  pages mapped at mmap() time
 * @node:      on mmdma_bufs, under mmdma_bufs_lock
 *
 * Everything but the counters is set before the fd exists and never changes.
 */
struct mmdma_buf {
	struct kref ref;
	u32 id;
	u32 kind;
	u32 method;
	u32 cache;
	size_t size;
	unsigned long nr_pages;
	struct page **pages;
	void *vaddr;
	atomic_t live_maps;
	atomic64_t mmaps;
	atomic64_t faults;
	atomic64_t inserted;
	struct list_head node;
};

/* mmdma_ioctl.c: one dispatcher for every ioctl */
#define MMDMA_IOCTL_MAX_SIZE	128

/**
 * struct mmdma_ioctl_desc - one ioctl command
 * @cmd:      the command as the current ABI defines it
 * @min_size: smallest struct accepted (the size in ABI version 1)
 * @fn:       handler; @karg holds the copied-in struct and is copied out
 *            after a non-negative return; @uarg is the caller's pointer
 */
struct mmdma_ioctl_desc {
	unsigned int cmd;
	size_t min_size;
	long (*fn)(void *ctx, void *karg, void __user *uarg);
};

#define MMDMA_IOCTL(_cmd, _fn) \
	{ .cmd = (_cmd), .min_size = _IOC_SIZE(_cmd), .fn = (_fn) }

long mmdma_ioctl_dispatch(const struct mmdma_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg);

/* mmdma_buf.c: buffer objects and their fds */
long mmdma_buf_alloc_ioctl(void *ctx, void *karg, void __user *uarg);
struct page *mmdma_buf_page(struct mmdma_buf *buf, unsigned long pgoff);
void mmdma_buf_get(struct mmdma_buf *buf);
void mmdma_buf_put(struct mmdma_buf *buf);
void mmdma_bufs_stats(u64 *total, u32 *nr);
size_t mmdma_max_contig_size(void);

/* mmdma_mmap.c: the mmap device operation */
int mmdma_buf_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma);
bool mmdma_method_valid(u32 kind, u32 method);

/* mmdma_main.c: module-wide limits (module parameters) */
extern unsigned long mmdma_max_buf_size;
extern unsigned long mmdma_max_total;
struct device *mmdma_dev(void);

#endif /* MMDMA_H */
