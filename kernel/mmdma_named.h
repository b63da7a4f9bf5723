/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: persistent named buffers (mmdma_named.c) and their configfs
 * front end (mmdma_named_cfs.c).
 */
#ifndef MMDMA_NAMED_H
#define MMDMA_NAMED_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/rwsem.h>

#include "mmdma.h"

/* A name: 1 to 32 of [A-Za-z0-9_.-], not starting with '.'. */
#define MMDMA_NAMED_NAME_MAX	32
/* Named buffers at once (minor numbers of the node's major). */
#define MMDMA_NAMED_MAX		64

/**
 * struct mmdma_named_spec - what the administrator asks for
 * @name:   the buffer's name, and its node's (/dev/mmdma-named/@name)
 * @size:   bytes, rounded up to a page
 * @kind:   enum mmdma_mem_kind
 * @cache:  enum mmdma_cache_mode
 * @device: a DMA device's node name ("mmdma-edu0"), or "" for none
 */
struct mmdma_named_spec {
	char name[MMDMA_NAMED_NAME_MAX + 1];
	u64 size;
	u32 kind;
	u32 cache;
	char device[32];
};

/**
 * struct mmdma_named - a named buffer
 * @dev:      its class device (/sys/class/mmdma-named/<name>/); its
 *            reference count is the object's.  References: the registry
 *            (until deletion), and through @cdev each open file of the node
 *            (VMAs pin their file)
 * @cdev:     the node
 * @spec:     what it was created with
 * @buf:      the buffer (one reference, dropped at release)
 * @mdev:     the device it is for, or NULL (a reference is held); when
 *            the device goes and one of the same name registers again,
 *            the new one (mmdma_named_dev_added()); changed under @lock
 *            for writing
 * @dma_err:  0, or why the buffer is not mapped for @mdev after it came
 *            back (-ERANGE: out of its reach), under @lock
 * @inode:    address space of user mappings of the node (all kinds but
 *            coherent, whose buffer has its own: buf->inode), zapped at
 *            deletion
 * @lock:     held for reading around the @dead check of each call on the
 *            node and around reading @mdev; deletion takes it for writing
 *            to set @dead
 * @map_lock: orders page faults against deletion: a fault either sees
 *            @dead or has its page in before the mappings are zapped
 * @dead:     deleted: every call gets ENODEV, every fault SIGBUS
 * @cfs:      made through configfs: only rmdir (or enable 0) deletes it
 * @node:     on the registry, under mmdma_named_mutex
 */
struct mmdma_named {
	struct device dev;
	struct cdev cdev;
	struct mmdma_named_spec spec;
	struct mmdma_buf *buf;
	struct mmdma_dev *mdev;
	int dma_err;
	struct inode *inode;
	struct rw_semaphore lock;
	struct mutex map_lock;
	bool dead;
	bool cfs;
	struct list_head node;
};

int mmdma_named_name_ok(const char *name);
bool mmdma_named_exists(const char *name);
int mmdma_named_kind_parse(const char *s, u32 *kind);
int mmdma_named_cache_parse(const char *s, u32 *cache);
const char *mmdma_named_kind_name(u32 kind);
const char *mmdma_named_cache_name(u32 cache);
struct mmdma_named *mmdma_named_create(const struct mmdma_named_spec *spec,
				       bool cfs);
void mmdma_named_delete(struct mmdma_named *nb);

int mmdma_named_init(void);
void mmdma_named_dev_added(struct mmdma_dev *mdev);
void mmdma_named_exit(void);

#if IS_ENABLED(CONFIG_CONFIGFS_FS)
int mmdma_named_cfs_init(void);
void mmdma_named_cfs_exit(void);
#else
static inline int mmdma_named_cfs_init(void) { return 0; }
static inline void mmdma_named_cfs_exit(void) { }
#endif

#endif /* MMDMA_NAMED_H */
