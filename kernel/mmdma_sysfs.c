// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: a sysfs directory per buffer, /sys/kernel/mmdma/buffers/<id>/, so
 * that scripts and other programs can see what exists without the fd:
 * size, kind, method, cache, live_maps, attachments (device, direction,
 * state) and, for root with CAP_SYS_RAWIO only (mode 0400), dma_addrs
 * (device and first bus address of each attachment).
 *
 * The directory is made lazily.  A kobject and its seven files are eight
 * kernfs nodes to make at allocation and to remove (and free after an RCU
 * grace period) at release: three times what the rest of allocating and
 * freeing a 4 KiB buffer costs.  So a new buffer only goes on a pending
 * list, and its directory is made by a work item MMDMA_SYSFS_DELAY later,
 * or at once when someone may look for it: MMDMA_BUF_INFO (the way to
 * learn a buffer's id) and a read of the control node's "buffers" count
 * (what a listing reads first) make what is pending before they answer.
 * A buffer freed while still pending never had a directory and costs
 * nothing here.
 *
 * The directory lives until the buffer's release, which removes it before
 * freeing anything: kernfs waits for readers still in a show function, so
 * show never sees a freed buffer.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

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

/*
 * Where a buffer's directory is.  PENDING: on mmdma_sysfs_pending, not made
 * yet.  MAKING: taken off the list by the holder of mmdma_sysfs_mutex, who
 * is making it.  LIVE: made (buf->kobj).  NONE: never made (its release
 * came first, or making it failed) or already removed.
 */
enum mmdma_sysfs_state {
	MMDMA_SYSFS_NONE,
	MMDMA_SYSFS_PENDING,
	MMDMA_SYSFS_MAKING,
	MMDMA_SYSFS_LIVE,
};

/*
 * How long a new buffer waits for its directory.  Short enough that a
 * person or script listing buffers sees every buffer older than that;
 * long enough that a buffer allocated and freed within it (a loop of
 * small allocations) never pays for one.
 */
#define MMDMA_SYSFS_DELAY	msecs_to_jiffies(10)

/*
 * mmdma_sysfs_lock (a spinlock: taken on the allocation path) guards the
 * pending list and every change of a buffer's state away from PENDING.
 * mmdma_sysfs_mutex is held by whoever makes a directory, from taking the
 * buffer off the list (PENDING -> MAKING) to setting LIVE or NONE: a
 * release that finds MAKING waits for it on the mutex, so the maker never
 * touches a freed buffer.
 */
static DEFINE_SPINLOCK(mmdma_sysfs_lock);
static DEFINE_MUTEX(mmdma_sysfs_mutex);
static LIST_HEAD(mmdma_sysfs_pending);

static void mmdma_sysfs_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mmdma_sysfs_work, mmdma_sysfs_work_fn);

/* Make @buf's directory; mmdma_sysfs_mutex held, @buf in MAKING. */
static void mmdma_sysfs_make(struct mmdma_buf *buf)
{
	struct mmdma_buf_kobj *bk;
	int ret;

	lockdep_assert_held(&mmdma_sysfs_mutex);
	bk = kzalloc(sizeof(*bk), GFP_KERNEL);
	if (!bk) {
		ret = -ENOMEM;
		goto failed;
	}
	bk->buf = buf;
	ret = kobject_init_and_add(&bk->kobj, &mmdma_buf_ktype, mmdma_bufs_kobj,
				   "%u", buf->id);
	if (ret) {
		/* The kobject owns @bk now: its release frees it. */
		kobject_put(&bk->kobj);
		goto failed;
	}
	buf->kobj = &bk->kobj;
	WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_LIVE);
	return;

failed:
	/* The buffer works without it; MMDMA_BUF_INFO tries again. */
	dev_warn_ratelimited(mmdma_dev(), "buf %u: no sysfs directory: %d\n",
			     buf->id, ret);
	WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_NONE);
}

/* Take @buf off the pending list if it is there; mmdma_sysfs_mutex held. */
static bool mmdma_sysfs_claim(struct mmdma_buf *buf)
{
	bool claimed = false;

	spin_lock(&mmdma_sysfs_lock);
	if (buf->sysfs_state == MMDMA_SYSFS_PENDING) {
		list_del_init(&buf->sysfs_node);
		WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_MAKING);
		claimed = true;
	}
	spin_unlock(&mmdma_sysfs_lock);
	return claimed;
}

/*
 * Make every pending directory, oldest first.  The mutex is let go between
 * buffers, so a release waiting for one of them waits for that one only.
 */
static void mmdma_sysfs_drain(void)
{
	struct mmdma_buf *buf;

	for (;;) {
		mutex_lock(&mmdma_sysfs_mutex);
		spin_lock(&mmdma_sysfs_lock);
		buf = list_first_entry_or_null(&mmdma_sysfs_pending,
					       struct mmdma_buf, sysfs_node);
		if (buf) {
			list_del_init(&buf->sysfs_node);
			WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_MAKING);
		}
		spin_unlock(&mmdma_sysfs_lock);
		if (buf)
			mmdma_sysfs_make(buf);
		mutex_unlock(&mmdma_sysfs_mutex);
		if (!buf)
			break;
		cond_resched();
	}
}

static void mmdma_sysfs_work_fn(struct work_struct *work)
{
	mmdma_sysfs_drain();
}

/**
 * mmdma_sysfs_buf_add() - give a new buffer its directory, lazily
 * @buf: a complete buffer with its id and memory
 *
 * Puts @buf on the pending list; /sys/kernel/mmdma/buffers/<id>/ appears
 * at the latest MMDMA_SYSFS_DELAY later (see the comment at the top).
 * Never fails and never sleeps.
 */
void mmdma_sysfs_buf_add(struct mmdma_buf *buf)
{
	spin_lock(&mmdma_sysfs_lock);
	buf->sysfs_state = MMDMA_SYSFS_PENDING;
	list_add_tail(&buf->sysfs_node, &mmdma_sysfs_pending);
	spin_unlock(&mmdma_sysfs_lock);
	/* Already queued: the earlier deadline stands. */
	queue_delayed_work(system_wq, &mmdma_sysfs_work, MMDMA_SYSFS_DELAY);
}

/**
 * mmdma_sysfs_buf_flush() - make @buf's directory now if it is not there
 * @buf: a live buffer (the caller holds a reference)
 *
 * Called before the buffer's id reaches user space (MMDMA_BUF_INFO), so
 * that a caller who has the id finds the directory.  Also tries again
 * where making it failed before.  May sleep.
 */
void mmdma_sysfs_buf_flush(struct mmdma_buf *buf)
{
	/* The common case: made long ago.  LIVE lasts until the release. */
	if (READ_ONCE(buf->sysfs_state) == MMDMA_SYSFS_LIVE)
		return;
	mutex_lock(&mmdma_sysfs_mutex);
	/* MAKING by someone else ended when they let go of the mutex. */
	if (mmdma_sysfs_claim(buf)) {
		mmdma_sysfs_make(buf);
	} else if (READ_ONCE(buf->sysfs_state) == MMDMA_SYSFS_NONE) {
		/* A failure before: the buffer is live, so not released. */
		WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_MAKING);
		mmdma_sysfs_make(buf);
	}
	mutex_unlock(&mmdma_sysfs_mutex);
}

/**
 * mmdma_sysfs_flush_all() - make every pending directory now
 *
 * Called before the control node's "buffers" count is read, so that a
 * listing of /sys/kernel/mmdma/buffers/ made after it shows every buffer
 * allocated before it: the drain ends holding the mutex with nothing
 * pending, so no directory is still being made either.  May sleep.
 */
void mmdma_sysfs_flush_all(void)
{
	mmdma_sysfs_drain();
}

/**
 * mmdma_sysfs_buf_del() - remove a buffer's directory, waiting for readers
 * @buf: the buffer being released (no reference left)
 *
 * A buffer still pending comes off the list and never gets a directory.
 * One being made is waited for, then removed.  May sleep.
 */
void mmdma_sysfs_buf_del(struct mmdma_buf *buf)
{
	struct kobject *kobj;

	spin_lock(&mmdma_sysfs_lock);
	if (buf->sysfs_state == MMDMA_SYSFS_PENDING) {
		list_del_init(&buf->sysfs_node);
		buf->sysfs_state = MMDMA_SYSFS_NONE;
		spin_unlock(&mmdma_sysfs_lock);
		return;
	}
	spin_unlock(&mmdma_sysfs_lock);
	/* Not pending now means it never will be again: no reference left. */
	if (READ_ONCE(buf->sysfs_state) == MMDMA_SYSFS_NONE)
		return;
	/* LIVE, or MAKING until the maker lets go of the mutex. */
	mutex_lock(&mmdma_sysfs_mutex);
	kobj = buf->kobj;
	buf->kobj = NULL;
	WRITE_ONCE(buf->sysfs_state, MMDMA_SYSFS_NONE);
	mutex_unlock(&mmdma_sysfs_mutex);
	if (kobj) {
		kobject_del(kobj);
		kobject_put(kobj);
	}
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
	/* Every buffer is gone (each holds the module): nothing is pending. */
	cancel_delayed_work_sync(&mmdma_sysfs_work);
	kobject_put(mmdma_bufs_kobj);
	kobject_put(mmdma_kobj);
}
