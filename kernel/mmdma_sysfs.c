// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: a sysfs directory per buffer, /sys/kernel/mmdma/buffers/<id>/, so
 * that scripts and other programs can see what exists without the fd:
 * size, kind, method, cache, live_maps, attachments (device, direction,
 * state) and, for root with CAP_SYS_RAWIO only (mode 0400), dma_addrs
 * (device and first bus address of each attachment).
 *
 * The directory lives from allocation to the buffer's release, which
 * removes it before freeing anything: kernfs waits for readers still in a
 * show function, so show never sees a freed buffer.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mmdma.h"

static struct kobject *mmdma_kobj;
static struct kobject *mmdma_bufs_kobj;

/* One buffer's directory. */
struct mmdma_buf_kobj {
	struct kobject kobj;
	struct mmdma_buf *buf;	/* no reference: the buffer removes us */
};

static struct mmdma_buf *mmdma_kobj_buf(struct kobject *kobj)
{
	return container_of(kobj, struct mmdma_buf_kobj, kobj)->buf;
}

static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *a,
			 char *out)
{
	return sysfs_emit(out, "%zu\n", mmdma_kobj_buf(kobj)->size);
}

static const char *mmdma_kind_str(u32 kind)
{
	switch (kind) {
	case MMDMA_MEM_PAGES:
		return "pages";
	case MMDMA_MEM_CONTIG:
		return "contig";
	case MMDMA_MEM_VMALLOC:
		return "vmalloc";
	case MMDMA_MEM_COHERENT:
		return "coherent";
	case MMDMA_MEM_RESERVED:
		return "reserved";
	}
	return "unknown";
}

static const char *mmdma_method_str(u32 method)
{
	switch (method) {
	case MMDMA_MAP_REMAP:
		return "remap";
	case MMDMA_MAP_FAULT:
		return "fault";
	case MMDMA_MAP_INSERT:
		return "insert";
	case MMDMA_MAP_HUGE:
		return "huge";
	}
	return "unknown";
}

static ssize_t kind_show(struct kobject *kobj, struct kobj_attribute *a,
			 char *out)
{
	return sysfs_emit(out, "%s\n", mmdma_kind_str(mmdma_kobj_buf(kobj)->kind));
}

static ssize_t method_show(struct kobject *kobj, struct kobj_attribute *a,
			   char *out)
{
	return sysfs_emit(out, "%s\n",
			  mmdma_method_str(mmdma_kobj_buf(kobj)->method));
}

static const char *mmdma_cache_str(u32 cache)
{
	switch (cache) {
	case MMDMA_CACHE_CACHED:
		return "cached";
	case MMDMA_CACHE_WC:
		return "wc";
	case MMDMA_CACHE_UC:
		return "uc";
	}
	return "unknown";
}

static ssize_t cache_show(struct kobject *kobj, struct kobj_attribute *a,
			  char *out)
{
	return sysfs_emit(out, "%s\n", mmdma_cache_str(mmdma_kobj_buf(kobj)->cache));
}

static ssize_t live_maps_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *out)
{
	return sysfs_emit(out, "%d\n",
			  atomic_read(&mmdma_kobj_buf(kobj)->live_maps));
}

static ssize_t attachments_show(struct kobject *kobj, struct kobj_attribute *a,
				char *out)
{
	return mmdma_attach_show(mmdma_kobj_buf(kobj), out, false);
}

/*
 * Bus addresses let whoever can program a device aim it.  Two checks: the
 * mode (0400, root's) at open, and at read the reader's CAP_SYS_RAWIO, as
 * for MMDMA_BUF_DMA_ADDRS: a root process that dropped its capabilities
 * can still open its own file, and an fd opened by root and handed to
 * another process still reads nothing there.
 */
static ssize_t dma_addrs_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *out)
{
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	return mmdma_attach_show(mmdma_kobj_buf(kobj), out, true);
}

static struct kobj_attribute mmdma_attr_size = __ATTR_RO(size);
static struct kobj_attribute mmdma_attr_kind = __ATTR_RO(kind);
static struct kobj_attribute mmdma_attr_method = __ATTR_RO(method);
static struct kobj_attribute mmdma_attr_cache = __ATTR_RO(cache);
static struct kobj_attribute mmdma_attr_live_maps = __ATTR_RO(live_maps);
static struct kobj_attribute mmdma_attr_attachments = __ATTR_RO(attachments);
static struct kobj_attribute mmdma_attr_dma_addrs = __ATTR_RO_MODE(dma_addrs, 0400);

static struct attribute *mmdma_buf_attrs[] = {
	&mmdma_attr_size.attr,
	&mmdma_attr_kind.attr,
	&mmdma_attr_method.attr,
	&mmdma_attr_cache.attr,
	&mmdma_attr_live_maps.attr,
	&mmdma_attr_attachments.attr,
	&mmdma_attr_dma_addrs.attr,
	NULL
};
ATTRIBUTE_GROUPS(mmdma_buf);

static void mmdma_buf_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct mmdma_buf_kobj, kobj));
}

static const struct kobj_type mmdma_buf_ktype = {
	.release	= mmdma_buf_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= mmdma_buf_groups,
};

/**
 * mmdma_sysfs_buf_add() - create /sys/kernel/mmdma/buffers/<id>/
 * @buf: a buffer with its id and memory; buf->kobj is set on success
 */
int mmdma_sysfs_buf_add(struct mmdma_buf *buf)
{
	struct mmdma_buf_kobj *bk;
	int ret;

	bk = kzalloc(sizeof(*bk), GFP_KERNEL);
	if (!bk)
		return -ENOMEM;
	bk->buf = buf;
	ret = kobject_init_and_add(&bk->kobj, &mmdma_buf_ktype, mmdma_bufs_kobj,
				   "%u", buf->id);
	if (ret) {
		/* The kobject owns @bk now: its release frees it. */
		kobject_put(&bk->kobj);
		return ret;
	}
	buf->kobj = &bk->kobj;
	return 0;
}

/**
 * mmdma_sysfs_buf_del() - remove a buffer's directory, waiting for readers
 * @buf: the buffer being released
 */
void mmdma_sysfs_buf_del(struct mmdma_buf *buf)
{
	if (!buf->kobj)
		return;
	kobject_del(buf->kobj);
	kobject_put(buf->kobj);
	buf->kobj = NULL;
}

int mmdma_sysfs_init(void)
{
	mmdma_kobj = kobject_create_and_add(MMDMA_NAME, kernel_kobj);
	if (!mmdma_kobj)
		return -ENOMEM;
	mmdma_bufs_kobj = kobject_create_and_add("buffers", mmdma_kobj);
	if (!mmdma_bufs_kobj) {
		kobject_put(mmdma_kobj);
		return -ENOMEM;
	}
	return 0;
}

void mmdma_sysfs_exit(void)
{
	kobject_put(mmdma_bufs_kobj);
	kobject_put(mmdma_kobj);
}
