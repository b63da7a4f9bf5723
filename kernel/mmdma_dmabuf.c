// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: buffers as dma-bufs.  Any buffer can be exported (MMDMA_BUF_EXPORT)
 * so that another driver, or one of our own DMA devices, maps it for its
 * device; and a transfer accepts a dma-buf fd of any exporter in place of a
 * buffer fd, importing it for the duration of the transfer.
 *
 * Exporter lifetime: the dma-buf holds a reference on the buffer, dropped at
 * its release (last fd, mapping and importer attachment gone), so closing
 * the buffer fd leaves the memory to the dma-buf.  Each importer attachment
 * gets its own sg table, because DMA addresses are per device.
 *
 * Revocation (mmdma_dmabuf_revoke(), when a named buffer is deleted): the
 * dma-bufs of the buffer lose their CPU mappings (zapped; a later touch gets
 * SIGBUS) and refuse mmap, CPU access (DMA_BUF_IOCTL_SYNC), new attachments,
 * new mappings and transfers with ENODEV.  An importer that has already
 * mapped an attachment keeps that mapping: a static importer cannot be made
 * to let go, so its sg table, the DMA mapping and the memory stay until it
 * unmaps and detaches, and the memory goes back with the dma-buf's release,
 * never before.  For that the mappings of a dma-buf whose buffer maps page
 * by page (MMDMA_MAP_FAULT, every named buffer) are made page by page under
 * @map_lock, as a named node's are: a fault either sees the revocation or
 * has its page in before the zap.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mmdma.h"

MMDMA_IMPORT_NS_DMA_BUF();

/**
 * struct mmdma_export - an exported buffer (dma_buf->priv)
 * @buf:      the buffer (a reference is held)
 * @dmabuf:   the dma-buf; valid while on mmdma_exports
 * @lock:     protects @atts, each attachment's mapping state, and @dead
 *            for attach, map and CPU access
 * @map_lock: orders mmap and faults against revocation (taken under the
 *            mmap lock, so not @lock, which DMA mapping holds)
 * @atts:     the importers' attachments, struct mmdma_export_att
 * @dead:     revoked: set under @lock and @map_lock both
 * @node:     on mmdma_exports, under mmdma_exports_lock
 */
struct mmdma_export {
	struct mmdma_buf *buf;
	struct dma_buf *dmabuf;
	struct mutex lock;
	struct mutex map_lock;
	struct list_head atts;
	bool dead;
	struct list_head node;
};

/*
 * Protects mmdma_exports and every buffer's @exports_revoked.  One list for
 * all: only a revocation (a named buffer's deletion) walks it.
 */
static DEFINE_MUTEX(mmdma_exports_lock);
static LIST_HEAD(mmdma_exports);

/**
 * struct mmdma_export_att - one importer (dma_buf_attachment->priv)
 * @node:   on mmdma_export.atts
 * @dev:    the importing device
 * @sgt:    the buffer's pages, mapped for @dev while @mapped
 * @dir:    the direction of the mapping
 * @mapped: map_dma_buf done and not yet undone
 */
struct mmdma_export_att {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
};

static int mmdma_exp_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct mmdma_export *exp = dmabuf->priv;
	struct mmdma_export_att *a;
	int ret;

	/* The driver does not bounce for importers: refuse what cannot map. */
	if (!mmdma_buf_reachable(exp->buf, attach->dev)) {
		dev_dbg(attach->dev, "buf %u: memory out of the importer's reach\n",
			exp->buf->id);
		return -ERANGE;
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = mmdma_buf_sgt(exp->buf, attach->dev, &a->sgt);
	if (ret) {
		kfree(a);
		return ret;
	}
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&exp->lock);
	if (exp->dead) {
		mutex_unlock(&exp->lock);
		sg_free_table(&a->sgt);
		kfree(a);
		return -ENODEV;
	}
	list_add_tail(&a->node, &exp->atts);
	mutex_unlock(&exp->lock);
	return 0;
}

static void mmdma_exp_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct mmdma_export *exp = dmabuf->priv;
	struct mmdma_export_att *a = attach->priv;

	mutex_lock(&exp->lock);
	list_del(&a->node);
	mutex_unlock(&exp->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static struct sg_table *mmdma_exp_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct mmdma_export *exp = attach->dmabuf->priv;
	struct mmdma_export_att *a = attach->priv;
	int ret;

	mutex_lock(&exp->lock);
	if (a->mapped || exp->dead) {
		/* One mapping per attachment: its sg table is the mapping. */
		mutex_unlock(&exp->lock);
		return ERR_PTR(exp->dead ? -ENODEV : -EBUSY);
	}
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
	if (!ret) {
		a->dir = dir;
		a->mapped = true;
	}
	mutex_unlock(&exp->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void mmdma_exp_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	struct mmdma_export *exp = attach->dmabuf->priv;
	struct mmdma_export_att *a = attach->priv;

	mutex_lock(&exp->lock);
	dma_unmap_sgtable(a->dev, sgt, a->dir, 0);
	a->mapped = false;
	mutex_unlock(&exp->lock);
}

/*
 * DMA_BUF_IOCTL_SYNC: hand every importer's mapping to the CPU and back,
 * each with the direction it was mapped for (the DMA API wants that one).
 */
static int mmdma_exp_sync(struct mmdma_export *exp, bool for_cpu)
{
	struct mmdma_export_att *a;

	mutex_lock(&exp->lock);
	if (exp->dead) {
		mutex_unlock(&exp->lock);
		return -ENODEV;
	}
	list_for_each_entry(a, &exp->atts, node) {
		if (!a->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	}
	mutex_unlock(&exp->lock);
	return 0;
}

static int mmdma_exp_begin_cpu(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	return mmdma_exp_sync(dmabuf->priv, true);
}

static int mmdma_exp_end_cpu(struct dma_buf *dmabuf,
			     enum dma_data_direction dir)
{
	return mmdma_exp_sync(dmabuf->priv, false);
}

/* One page per fault, put in under map_lock: see the top of the file. */
static vm_fault_t mmdma_exp_fault(struct vm_fault *vmf)
{
	struct dma_buf *dmabuf = vmf->vma->vm_file->private_data;
	struct mmdma_export *exp = dmabuf->priv;
	struct mmdma_buf *buf = exp->buf;
	vm_fault_t ret;
	int err;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&exp->map_lock);
	if (exp->dead) {
		ret = VM_FAULT_SIGBUS;
	} else {
		/* A normal, refcounted entry, as the buffer fd's own. */
		err = vm_insert_page(vmf->vma, vmf->address,
				     mmdma_buf_page(buf, vmf->pgoff));
		if (!err || err == -EBUSY)	/* -EBUSY: another thread won */
			ret = VM_FAULT_NOPAGE;
		else
			ret = err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		if (ret == VM_FAULT_NOPAGE)
			atomic64_inc(&buf->faults);
	}
	mutex_unlock(&exp->map_lock);
	return ret;
}

static const struct vm_operations_struct mmdma_exp_vm_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
	.fault	= mmdma_exp_fault,
};

/*
 * The buffer's own mmap: the same method, checks and accounting; a buffer
 * mapped page by page gets the fault handler that revocation can stop.
 */
static int mmdma_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct mmdma_export *exp = dmabuf->priv;
	int ret = 0;

	if (mutex_lock_killable(&exp->map_lock))
		return -EINTR;
	if (exp->dead)
		ret = -ENODEV;
	mutex_unlock(&exp->map_lock);
	if (ret) {
		dev_dbg(mmdma_dev(), "buf %u: mmap of a revoked dma-buf\n",
			exp->buf->id);
		return ret;
	}
	ret = mmdma_buf_mmap(exp->buf, vma);
	if (!ret && exp->buf->method == MMDMA_MAP_FAULT) {
		/* vm_insert_page() at fault time wants the flag set here. */
		vm_flags_set(vma, VM_MIXEDMAP);
		vma->vm_ops = &mmdma_exp_vm_ops;
	}
	return ret;
}

static void mmdma_exp_release(struct dma_buf *dmabuf)
{
	struct mmdma_export *exp = dmabuf->priv;

	mutex_lock(&mmdma_exports_lock);
	list_del(&exp->node);
	mutex_unlock(&mmdma_exports_lock);
	mmdma_buf_put(exp->buf);
	mutex_destroy(&exp->map_lock);
	mutex_destroy(&exp->lock);
	kfree(exp);
}

static const struct dma_buf_ops mmdma_exp_ops = {
	.attach			= mmdma_exp_attach,
	.detach			= mmdma_exp_detach,
	.map_dma_buf		= mmdma_exp_map,
	.unmap_dma_buf		= mmdma_exp_unmap,
	.begin_cpu_access	= mmdma_exp_begin_cpu,
	.end_cpu_access		= mmdma_exp_end_cpu,
	.mmap			= mmdma_exp_mmap,
	.release		= mmdma_exp_release,
};

static struct dma_buf *mmdma_export(struct mmdma_buf *buf, u32 fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct mmdma_export *exp;
	struct dma_buf *dmabuf;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	mutex_init(&exp->lock);
	mutex_init(&exp->map_lock);
	INIT_LIST_HEAD(&exp->atts);
	/* An importer has the pages from now on: each needs its own count. */
	mmdma_buf_split(buf);
	mmdma_buf_get(buf);
	exp->buf = buf;

	info.ops = &mmdma_exp_ops;
	info.size = buf->size;
	info.flags = fd_flags & O_ACCMODE;
	info.priv = exp;
	/*
	 * Listed before anyone can use it, under the lock a revocation holds
	 * while it marks the buffer: a dma-buf made by a call that raced with
	 * the revocation is refused here, or is on the list it walks.
	 */
	mutex_lock(&mmdma_exports_lock);
	if (buf->exports_revoked) {
		dmabuf = ERR_PTR(-ENODEV);
	} else {
		dmabuf = dma_buf_export(&info);
		if (!IS_ERR(dmabuf)) {
			exp->dmabuf = dmabuf;
			list_add_tail(&exp->node, &mmdma_exports);
		}
	}
	mutex_unlock(&mmdma_exports_lock);
	if (IS_ERR(dmabuf)) {
		mmdma_buf_put(buf);
		kfree(exp);
	}
	return dmabuf;
}

/* Revoke one dma-buf; the caller holds a reference to its file. */
static void mmdma_export_revoke(struct mmdma_export *exp)
{
	mutex_lock(&exp->lock);
	mutex_lock(&exp->map_lock);
	WRITE_ONCE(exp->dead, true);
	mutex_unlock(&exp->map_lock);
	mutex_unlock(&exp->lock);
	/* Every mmap of the dma-buf, the exporter's and importers' alike. */
	unmap_mapping_range(exp->dmabuf->file->f_mapping, 0, 0, 1);
}

/**
 * mmdma_dmabuf_revoke() - revoke every dma-buf exported from @buf
 * @buf: the buffer (a named buffer being deleted); the caller holds a
 *       reference
 *
 * Their mmaps are zapped, and their mmap, CPU access, attach, map and use
 * in a transfer fail with ENODEV from now on; later exports of @buf too.
 * Importers' mappings made before stay until the importer unmaps them (see
 * the top of the file), and with them the memory.
 */
void mmdma_dmabuf_revoke(struct mmdma_buf *buf)
{
	struct mmdma_export *exp, *found;

	mutex_lock(&mmdma_exports_lock);
	buf->exports_revoked = true;
	mutex_unlock(&mmdma_exports_lock);
	for (;;) {
		found = NULL;
		mutex_lock(&mmdma_exports_lock);
		list_for_each_entry(exp, &mmdma_exports, node) {
			/*
			 * A file whose last reference is gone has no mapping
			 * left and is on its way to mmdma_exp_release(),
			 * which waits for the lock: the file is still there.
			 */
			if (exp->buf == buf && !READ_ONCE(exp->dead) &&
			    mmdma_get_file_unless_zero(exp->dmabuf->file)) {
				found = exp;
				break;
			}
		}
		mutex_unlock(&mmdma_exports_lock);
		if (!found)
			return;
		mmdma_export_revoke(found);
		fput(found->dmabuf->file);
	}
}

/*
 * MMDMA_BUF_EXPORT.  The whole struct reaches user space before
 * fd_install(), so a failing copy (EFAULT) can still undo everything
 * without leaking an fd or the dma-buf.
 */
long mmdma_buf_ioc_export(void *ctx, void *karg, void __user *uarg,
			  size_t out_size)
{
	struct mmdma_buf_export *req = karg;
	u32 acc = req->fd_flags & O_ACCMODE;
	struct dma_buf *dmabuf;
	int fd;

	if ((req->fd_flags & ~(O_CLOEXEC | O_ACCMODE)) ||
	    (acc != O_RDWR && acc != O_RDONLY) || req->fd ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved))) {
		dev_dbg(mmdma_dev(), "export: bad fd_flags %#x or fields not zero\n",
			req->fd_flags);
		return -EINVAL;
	}
	/* Importers map struct pages: memory without them cannot be shared. */
	if (!mmdma_buf_has_pages(ctx)) {
		dev_dbg(mmdma_dev(), "export: buffer memory has no pages to share\n");
		return -EINVAL;
	}
	dmabuf = mmdma_export(ctx, req->fd_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = get_unused_fd_flags(req->fd_flags & O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	req->fd = fd;
	if (mmdma_ioctl_copy_out(uarg, req, out_size)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

/**
 * struct mmdma_import - a dma-buf a transfer uses
 * @dmabuf: the dma-buf (a reference is held)
 * @attach: our device's attachment
 * @sgt:    its mapping for our device
 * @dir:    the direction of the mapping
 */
struct mmdma_import {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

static void mmdma_import_put(struct mmdma_host *h)
{
	struct mmdma_import *imp = h->owner;

	dma_buf_unmap_attachment_unlocked(imp->attach, imp->sgt, imp->dir);
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	kfree(imp);
}

/**
 * mmdma_dmabuf_host() - import a dma-buf as a transfer's host range
 * @mdev:   the device of the transfer
 * @fd:     the dma-buf fd
 * @offset: first byte in the dma-buf
 * @len:    bytes, > 0
 * @dir:    DMA_TO_DEVICE or DMA_FROM_DEVICE
 * @h:      filled in; mmdma_req_release() unmaps and detaches
 *
 * The _unlocked calls take the reservation lock the 6.2 locking rules ask
 * for; Debian backported them to its 6.1, so both kernels have them.
 *
 * Return: 0, -EBADF (closed fd; an fd not open for writing used as a
 * destination, or not open for reading used as a source), -EINVAL (not a
 * dma-buf, range outside it), -ERANGE (another exporter's dma-buf on a
 * device that cannot reach all RAM with neither an IOMMU nor swiotlb), or
 * the exporter's error (ERANGE from mmdma when the device cannot reach the
 * buffer).
 */
int mmdma_dmabuf_host(struct mmdma_dev *mdev, int fd, u64 offset, u64 len,
		      enum dma_data_direction dir, struct mmdma_host *h)
{
	struct mmdma_import *imp;
	u64 end;
	int ret;

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	imp->dmabuf = dma_buf_get(fd);
	if (IS_ERR(imp->dmabuf)) {
		ret = PTR_ERR(imp->dmabuf);
		goto err_free;
	}
	/*
	 * A read-only dma-buf can only be a source.  dma_buf_get() accepts
	 * only the dma-buf's own file (nothing else has its file operations;
	 * a reopen through /proc fails with ENXIO), so its mode is the mode
	 * of the fd the caller passed.
	 */
	if (!(imp->dmabuf->file->f_mode &
	      (dir == DMA_TO_DEVICE ? FMODE_READ : FMODE_WRITE))) {
		dev_dbg(mdev->dma, "dma-buf fd %d is not open for %s\n", fd,
			dir == DMA_TO_DEVICE ? "reading" : "writing");
		ret = -EBADF;
		goto put_dmabuf;
	}
	if (!len || check_add_overflow(offset, len, &end) ||
	    end > imp->dmabuf->size) {
		dev_dbg(mdev->dma, "dma-buf range %llu+%llu outside %zu bytes\n",
			offset, len, imp->dmabuf->size);
		ret = -EINVAL;
		goto put_dmabuf;
	}
	/*
	 * A dma-buf of mmdma's own is the buffer behind it, and the transfer
	 * maps only the range it moves, as it does for the buffer's fd.  The
	 * importer's route, a mapping of the whole dma-buf per transfer,
	 * would give two transfers into different ranges of one dma-buf two
	 * mappings of the same memory for one device at once: under swiotlb
	 * each unmap copies the whole buffer back, stale bytes over what the
	 * other transfer or the CPU wrote meanwhile, and the DMA API's debug
	 * code cannot tell two identical mappings apart.  What the exporter
	 * refuses an importer, memory out of the device's reach, is refused
	 * here the same way (ERANGE).
	 */
	if (imp->dmabuf->ops == &mmdma_exp_ops) {
		struct mmdma_export *exp = imp->dmabuf->priv;

		/* Export takes only buffers with pages; said here again. */
		if (READ_ONCE(exp->dead)) {
			/* A transfer that began before it is done with it. */
			ret = -ENODEV;
		} else if (!mmdma_buf_has_pages(exp->buf)) {
			ret = -EINVAL;
		} else if (!mmdma_buf_reachable(exp->buf, mdev->dma)) {
			dev_dbg(mdev->dma, "buf %u: memory out of the device's reach\n",
				exp->buf->id);
			ret = -ERANGE;
		} else {
			/* Takes its own reference on the buffer. */
			ret = mmdma_buf_host(exp->buf, offset, len, dir, h);
			if (!ret)
				h->imported = true;
		}
		goto put_dmabuf;
	}
	/*
	 * Another exporter maps its pages for the device itself, unseen:
	 * where the device cannot reach all RAM and neither an IOMMU nor
	 * swiotlb stands between, dma-direct would WARN and fail on a page
	 * out of reach.  mmdma's own exporter checks each page (ERANGE).
	 */
	if (imp->dmabuf->ops != &mmdma_exp_ops &&
	    (mdev->flags & MMDMA_DEVF_LIMITED) &&
	    !(mdev->flags & (MMDMA_DEVF_IOMMU | MMDMA_DEVF_SWIOTLB))) {
		dev_dbg(mdev->dma, "dma-buf of another exporter: memory may be out of reach\n");
		ret = -ERANGE;
		goto put_dmabuf;
	}
	imp->attach = dma_buf_attach(imp->dmabuf, mdev->dma);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		goto put_dmabuf;
	}
	imp->sgt = dma_buf_map_attachment_unlocked(imp->attach, dir);
	if (IS_ERR(imp->sgt)) {
		ret = PTR_ERR(imp->sgt);
		goto err_detach;
	}
	imp->dir = dir;
	h->mapped = imp->sgt;
	h->map_off = offset;
	h->len = len;
	h->dir = dir;
	h->owner = imp;
	h->put_mapped = mmdma_import_put;
	return 0;

err_detach:
	dma_buf_detach(imp->dmabuf, imp->attach);
put_dmabuf:
	dma_buf_put(imp->dmabuf);
err_free:
	kfree(imp);
	return ret;
}
