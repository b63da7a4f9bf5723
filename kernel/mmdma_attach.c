// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: buffers attached to a DMA device.  An attachment is the book's
 * streaming mapping kept alive: the buffer's pages are mapped for one device
 * once (dma_map_sgtable() with one direction), user space moves ownership
 * between CPU and device with MMDMA_BUF_SYNC, learns the bus addresses with
 * MMDMA_BUF_DMA_ADDRS, and transfers with MMDMA_XFER_ATTACHED use the
 * mapping as it is.
 *
 * Lifetime: the buffer's file holds one reference on each of its
 * attachments (dropped by MMDMA_BUF_DETACH or when the file goes), each
 * transfer using one holds another.  The mapping goes with the last
 * reference, or earlier when the device goes away: mmdma_dev_unregister()
 * unmaps every attachment of the device once no call is inside its node;
 * the attachment then stays, unmapped, and every use but DETACH gets
 * ENODEV.  The attachment holds the device struct (not the hardware) and
 * the buffer.
 */
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mmdma.h"

/**
 * struct mmdma_attach - a buffer mapped for a device
 * @ref:      held by the buffer's file until detach or close (unless
 *            @detached), and by each transfer using the mapping
 * @node:     on mmdma_atts
 * @buf:      the buffer (a reference is held)
 * @mdev:     the device (a reference is held)
 * @dir:      the direction of the mapping
 * @sgt:      the pages, and once mapped their DMA segments
 * @mapped:   @sgt is mapped for the device (false once it has gone away)
 * @detached: the file's reference is gone; lookups no longer find it
 * @owned:    made by the kernel for a named buffer's device
 *            (mmdma_attach_buf_dev()): no fd detaches it (EBUSY); it goes
 *            with the buffer
 * @need_sync: the DMA layer says some segment needs syncing (a device that
 *            does not snoop caches, a segment swiotlb bounces); without,
 *            MMDMA_BUF_SYNC has nothing to do and returns at once
 * @segs:     when @need_sync and each bus segment is one CPU entry: the
 *            entries in order, so a range sync finds its first entry by
 *            binary search (NULL otherwise)
 * @seg_end:  with @segs: the buffer offset just past each entry
 * @use:      the mapping's record on the buffer, live while @mapped (and
 *            from just before the mapping is made): a transfer that would
 *            map the buffer for the same device meanwhile gets EBUSY
 * @rcu:      freed after a grace period: mmdma_att_sync_skip() walks
 *            mmdma_atts without the lock
 */
struct mmdma_attach {
	struct kref ref;
	struct list_head node;
	struct mmdma_buf *buf;
	struct mmdma_dev *mdev;
	enum dma_data_direction dir;
	struct sg_table sgt;
	bool mapped;
	bool detached;
	bool owned;
	bool need_sync;
	struct scatterlist **segs;
	u64 *seg_end;
	struct mmdma_dma_use use;
	struct rcu_head rcu;
};

/*
 * Protects mmdma_atts and each attachment's @mapped and @detached, so that
 * a device going away and a sync or a last reference never unmap the same
 * mapping twice or sync one that is gone.  Syncs are short: one mutex for
 * all keeps the rules simple.  The list changes with the _rcu helpers, for
 * the one reader that does not take the mutex (mmdma_att_sync_skip()).
 */
static DEFINE_MUTEX(mmdma_att_lock);
static LIST_HEAD(mmdma_atts);

static void mmdma_att_unmap(struct mmdma_attach *att)
{
	lockdep_assert_held(&mmdma_att_lock);
	if (att->mapped) {
		dma_unmap_sgtable(att->mdev->dma, &att->sgt, att->dir, 0);
		mmdma_buf_use_end(&att->use);
	}
	WRITE_ONCE(att->mapped, false);
}

/* Called with mmdma_att_lock held (kref_put_mutex()); drops it. */
static void mmdma_att_release(struct kref *ref)
{
	struct mmdma_attach *att = container_of(ref, struct mmdma_attach, ref);

	list_del_rcu(&att->node);
	mmdma_att_unmap(att);
	mutex_unlock(&mmdma_att_lock);
	kvfree(att->segs);
	kvfree(att->seg_end);
	sg_free_table(&att->sgt);
	mmdma_dev_put(att->mdev);
	mmdma_buf_put(att->buf);
	kfree_rcu(att, rcu);
}

static void mmdma_att_put(struct mmdma_attach *att)
{
	kref_put_mutex(&att->ref, mmdma_att_release, &mmdma_att_lock);
}

/* The live attachment of @buf to @mdev.  mmdma_att_lock held. */
static struct mmdma_attach *mmdma_att_find(struct mmdma_buf *buf,
					   struct mmdma_dev *mdev)
{
	struct mmdma_attach *att;

	lockdep_assert_held(&mmdma_att_lock);
	list_for_each_entry(att, &mmdma_atts, node) {
		if (att->buf == buf && att->mdev == mdev && !att->detached)
			return att;
	}
	return NULL;
}

static int mmdma_dir_from_user(u32 dir, enum dma_data_direction *out)
{
	switch (dir) {
	case MMDMA_DIR_TO_DEVICE:
		*out = DMA_TO_DEVICE;
		return 0;
	case MMDMA_DIR_FROM_DEVICE:
		*out = DMA_FROM_DEVICE;
		return 0;
	case MMDMA_DIR_BIDIRECTIONAL:
		*out = DMA_BIDIRECTIONAL;
		return 0;
	}
	return -EINVAL;
}

/**
 * mmdma_buf_reachable() - may @buf's pages be handed to dma_map_*() for @dev?
 * @buf: the buffer
 * @dev: the device the DMA API maps for
 *
 * Yes behind a paging IOMMU or with swiotlb in the device's reach (the DMA
 * layer then gives the device addresses it can use), or when every page
 * lies in the device's reach.  Otherwise dma-direct would hand swiotlb a
 * page it cannot bounce for this device, and fail or warn.
 */
bool mmdma_buf_reachable(struct mmdma_buf *buf, struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	unsigned long i;

	if ((dom && (dom->type & __IOMMU_DOMAIN_PAGING)) ||
	    mmdma_swiotlb_in_reach(dev))
		return true;
	for (i = 0; i < buf->nr_pages; i++) {
		phys_addr_t phys = page_to_phys(mmdma_buf_page(buf, i));

		if (!dma_capable(dev, phys_to_dma(dev, phys), PAGE_SIZE, true))
			return false;
	}
	return true;
}

/**
 * mmdma_buf_sgt() - an sg table over all of @buf, not yet mapped
 * @buf: the buffer
 * @dev: the device it will be mapped for: no entry exceeds what one of its
 *       mappings may cover
 * @sgt: filled in; free with sg_free_table()
 */
int mmdma_buf_sgt(struct mmdma_buf *buf, struct device *dev,
		  struct sg_table *sgt)
{
	struct page **pages;
	unsigned long i;
	int ret;

	pages = kvmalloc_array(buf->nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < buf->nr_pages; i++)
		pages[i] = mmdma_buf_page(buf, i);
	ret = mmdma_sgt_build(sgt, pages, buf->nr_pages, 0, buf->size, dev);
	kvfree(pages);
	return ret;
}

/*
 * Is every DMA segment of @sgt the CPU entry of the same index, at the same
 * length?  So it is with dma-direct and swiotlb, which map entry by entry;
 * an IOMMU may merge entries into fewer, longer bus segments, and then a
 * bus segment no longer names one physically contiguous run of memory.
 */
static bool mmdma_sgt_one_to_one(struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	if (sgt->nents != sgt->orig_nents)
		return false;
	for_each_sgtable_sg(sgt, sg, i) {
		if (sg_dma_len(sg) != sg->length)
			return false;
	}
	return true;
}

/*
 * Ask the DMA layer once, at attach time, whether syncs of this mapping do
 * anything, and index the entries for range syncs if they do: a sync is
 * then O(1) for a device that needs none and O(entries in the range)
 * otherwise, whatever the buffer's size.
 */
static int mmdma_att_index(struct mmdma_attach *att, struct device *dev)
{
	struct scatterlist *sg;
	unsigned int i, n = att->sgt.nents;
	u64 end = 0;

	att->need_sync = false;
	if (mmdma_dev_need_sync(dev)) {
		for_each_sgtable_dma_sg(&att->sgt, sg, i) {
			if (dma_need_sync(dev, sg_dma_address(sg))) {
				att->need_sync = true;
				break;
			}
		}
	}
	if (!att->need_sync || !mmdma_sgt_one_to_one(&att->sgt))
		return 0;
	att->segs = kvmalloc_array(n, sizeof(*att->segs), GFP_KERNEL);
	att->seg_end = kvmalloc_array(n, sizeof(*att->seg_end), GFP_KERNEL);
	if (!att->segs || !att->seg_end) {
		kvfree(att->segs);
		kvfree(att->seg_end);
		att->segs = NULL;
		att->seg_end = NULL;
		return -ENOMEM;
	}
	for_each_sgtable_sg(&att->sgt, sg, i) {
		end += sg->length;
		att->segs[i] = sg;
		att->seg_end[i] = end;
	}
	return 0;
}

static struct mmdma_attach *mmdma_att_create(struct mmdma_buf *buf,
					     struct mmdma_dev *mdev,
					     enum dma_data_direction dir)
{
	struct mmdma_attach *att;
	int ret;

	/*
	 * Coherent memory is already its device's, at a fixed handle; the
	 * reserved region has no pages the DMA API may map.
	 */
	if (!mmdma_buf_has_pages(buf)) {
		dev_dbg(mdev->dma, "buf %u: %s memory cannot be attached\n",
			buf->id, buf->kind == MMDMA_MEM_COHERENT ? "coherent" : "reserved");
		return ERR_PTR(-EINVAL);
	}
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return ERR_PTR(-ENOMEM);
	/*
	 * The buffer's pages must not be in flight for this device: the
	 * attachment would be a second mapping of them.  Recorded before
	 * mapping, so no transfer can start mapping them meanwhile either.
	 * Before the reach check: a transfer bounces what the device cannot
	 * reach, and its buffer is busy all the same.
	 */
	att->use = (struct mmdma_dma_use){ .buf = buf, .end = buf->size,
					   .dir = dir, .whole = true };
	ret = mmdma_buf_use_begin(&att->use, mdev, att);
	if (ret) {
		dev_dbg(mdev->dma, "buf %u: a transfer has it mapped for this device now\n",
			buf->id);
		goto err_free_att;
	}
	if (!mmdma_buf_reachable(buf, mdev->dma)) {
		dev_dbg(mdev->dma, "buf %u: memory out of the device's reach\n",
			buf->id);
		ret = -ERANGE;
		goto err_end_use;
	}
	ret = mmdma_buf_sgt(buf, mdev->dma, &att->sgt);
	if (ret)
		goto err_end_use;
	ret = dma_map_sgtable(mdev->dma, &att->sgt, dir, 0);
	if (ret) {
		dev_dbg(mdev->dma, "buf %u: dma_map_sgtable: %d\n", buf->id, ret);
		goto err_free_sgt;
	}
	ret = mmdma_att_index(att, mdev->dma);
	if (ret)
		goto err_unmap;
	kref_init(&att->ref);
	att->dir = dir;
	att->mapped = true;
	mmdma_buf_get(buf);
	att->buf = buf;
	kref_get(&mdev->ref);
	att->mdev = mdev;
	return att;

err_unmap:
	dma_unmap_sgtable(mdev->dma, &att->sgt, dir, 0);
err_free_sgt:
	sg_free_table(&att->sgt);
err_end_use:
	mmdma_buf_use_end(&att->use);
err_free_att:
	kfree(att);
	return ERR_PTR(ret);
}

/*
 * Serialises attaching, from the look for an existing attachment to the
 * new one's publication: a second mapping of pages already mapped for the
 * same device in a direction it writes is what the DMA API forbids (DMA-API
 * debug: "overlapping mappings aren't supported"), so the EBUSY check comes
 * before mapping, and nobody can map in between.  Attaching is rare; one
 * mutex for all keeps the rule simple.
 */
static DEFINE_MUTEX(mmdma_att_create_lock);

static bool mmdma_att_exists(struct mmdma_buf *buf, struct mmdma_dev *mdev)
{
	bool found;

	mutex_lock(&mmdma_att_lock);
	found = mmdma_att_find(buf, mdev) != NULL;
	mutex_unlock(&mmdma_att_lock);
	return found;
}

/* Map and publish; called with the device's users lock held. */
static int mmdma_attach_locked(struct mmdma_buf *buf, struct mmdma_dev *mdev,
			       enum dma_data_direction dir, u32 *nr_segs)
{
	struct mmdma_attach *att;

	if (READ_ONCE(mdev->dead))
		return -ENODEV;
	if (mutex_lock_killable(&mmdma_att_create_lock))
		return -EINTR;
	if (mmdma_att_exists(buf, mdev)) {
		mutex_unlock(&mmdma_att_create_lock);
		dev_dbg(mdev->dma, "buf %u: attached already\n", buf->id);
		return -EBUSY;
	}
	att = mmdma_att_create(buf, mdev, dir);
	if (IS_ERR(att)) {
		mutex_unlock(&mmdma_att_create_lock);
		return PTR_ERR(att);
	}
	mutex_lock(&mmdma_att_lock);
	list_add_tail_rcu(&att->node, &mmdma_atts);
	/* The count tells which pages are adjacent: see mmdma_xfer_disclose(). */
	*nr_segs = ns_capable_noaudit(&init_user_ns, CAP_SYS_RAWIO) ?
		   att->sgt.nents : 0;
	mutex_unlock(&mmdma_att_lock);
	mutex_unlock(&mmdma_att_create_lock);
	return 0;
}

long mmdma_buf_ioc_attach(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf *buf = ctx;
	struct mmdma_buf_attach *req = karg;
	enum dma_data_direction dir;
	struct mmdma_dev *mdev;
	int ret;

	if (req->flags || req->nr_segs ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)) ||
	    mmdma_dir_from_user(req->dir, &dir)) {
		dev_dbg(mmdma_dev(), "attach: bad flags, direction or reserved field\n");
		return -EINVAL;
	}
	mdev = mmdma_dev_from_fd(req->dev_fd);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	/* Unregistering waits for us, then finds the attachment to unmap. */
	if (down_read_killable(&mdev->users)) {
		ret = -EINTR;
	} else {
		ret = mmdma_attach_locked(buf, mdev, dir, &req->nr_segs);
		up_read(&mdev->users);
	}
	mmdma_dev_put(mdev);
	return ret;
}

/**
 * mmdma_attach_buf_dev() - attach @buf to @mdev from inside the kernel
 * @buf:  the buffer (the attachment takes its own reference)
 * @mdev: the device
 * @dir:  DMA direction of the mapping
 *
 * For a named buffer made for a device (mmdma_named.c).  Return: 0, or
 * MMDMA_BUF_ATTACH's errno.
 */
int mmdma_attach_buf_dev(struct mmdma_buf *buf, struct mmdma_dev *mdev,
			 enum dma_data_direction dir)
{
	struct mmdma_attach *att;
	u32 nr_segs;
	int ret;

	if (down_read_killable(&mdev->users))
		return -EINTR;
	ret = mmdma_attach_locked(buf, mdev, dir, &nr_segs);
	if (!ret) {
		mutex_lock(&mmdma_att_lock);
		att = mmdma_att_find(buf, mdev);
		if (att)
			att->owned = true;
		mutex_unlock(&mmdma_att_lock);
	}
	up_read(&mdev->users);
	return ret;
}

long mmdma_buf_ioc_detach(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf_detach *req = karg;
	struct mmdma_attach *att;
	struct mmdma_dev *mdev;

	if (req->flags || memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	mdev = mmdma_dev_from_fd(req->dev_fd);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	mutex_lock(&mmdma_att_lock);
	att = mmdma_att_find(ctx, mdev);
	if (att && att->owned) {
		mutex_unlock(&mmdma_att_lock);
		mmdma_dev_put(mdev);
		dev_dbg(mmdma_dev(), "detach: the named buffer's own mapping for its device\n");
		return -EBUSY;
	}
	if (att)
		WRITE_ONCE(att->detached, true);
	mutex_unlock(&mmdma_att_lock);
	mmdma_dev_put(mdev);
	if (!att)
		return -ENOENT;
	mmdma_att_put(att);
	return 0;
}

/**
 * mmdma_attach_dma_addr() - the bus address of one byte of an attachment
 * @buf:    the buffer
 * @mdev:   the device it may be attached to
 * @offset: byte offset in @buf
 * @dma:    set to the bus address @mdev uses for that byte
 *
 * Return: 0, or -ENOENT when @buf has no live mapping for @mdev.
 */
int mmdma_attach_dma_addr(struct mmdma_buf *buf, struct mmdma_dev *mdev,
			  u64 offset, dma_addr_t *dma)
{
	struct mmdma_attach *att;
	struct scatterlist *sg;
	int ret = -ENOENT;
	unsigned int i;

	mutex_lock(&mmdma_att_lock);
	att = mmdma_att_find(buf, mdev);
	if (!att || !att->mapped)
		goto out;
	/* The segments cover the buffer in order, from offset 0. */
	for_each_sgtable_dma_sg(&att->sgt, sg, i) {
		if (offset < sg_dma_len(sg)) {
			*dma = sg_dma_address(sg) + offset;
			ret = 0;
			break;
		}
		offset -= sg_dma_len(sg);
	}
out:
	mutex_unlock(&mmdma_att_lock);
	return ret;
}

/*
 * Look up the attachment named by @dev_fd, still mapped; on success
 * mmdma_att_lock is held.
 */
static struct mmdma_attach *mmdma_att_lookup(struct mmdma_buf *buf,
					     int dev_fd)
{
	struct mmdma_dev *mdev = mmdma_dev_from_fd(dev_fd);
	struct mmdma_attach *att;

	if (IS_ERR(mdev))
		return ERR_CAST(mdev);
	mutex_lock(&mmdma_att_lock);
	att = mmdma_att_find(buf, mdev);
	mmdma_dev_put(mdev);
	if (att && att->mapped)
		return att;
	mutex_unlock(&mmdma_att_lock);
	return ERR_PTR(att ? -ENODEV : -ENOENT);
}

static void mmdma_dma_addrs_copy(struct mmdma_attach *att, u32 first, u32 n,
				struct mmdma_dma_seg *out)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(&att->sgt, sg, i) {
		if (i < first)
			continue;
		if (i - first >= n)
			break;
		out[i - first].dma_addr = sg_dma_address(sg);
		out[i - first].len = sg_dma_len(sg);
	}
}

long mmdma_buf_ioc_dma_addrs(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf_dma_addrs *req = karg;
	struct mmdma_dma_seg *segs = NULL;
	struct mmdma_attach *att;
	u32 n = 0;

	if (req->flags || req->nr_segs || req->copied ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	/* Bus addresses let a process that can program a device aim DMA. */
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	att = mmdma_att_lookup(ctx, req->dev_fd);
	if (IS_ERR(att))
		return PTR_ERR(att);
	req->nr_segs = att->sgt.nents;
	if (req->first > req->nr_segs) {
		mutex_unlock(&mmdma_att_lock);
		return -EINVAL;
	}
	n = min(req->count, req->nr_segs - req->first);
	if (n) {
		/* Copied out without the lock: user memory may fault slowly. */
		segs = kvmalloc_array(n, sizeof(*segs), GFP_KERNEL);
		if (segs)
			mmdma_dma_addrs_copy(att, req->first, n, segs);
	}
	mutex_unlock(&mmdma_att_lock);
	if (n && !segs)
		return -ENOMEM;
	if (n && copy_to_user(u64_to_user_ptr(req->segs), segs,
			      array_size(n, sizeof(*segs)))) {
		kvfree(segs);
		return -EFAULT;
	}
	kvfree(segs);
	req->copied = n;
	return 0;
}

/* May @want be used on a mapping made for @mapped? (DMA-API rule) */
static bool mmdma_dir_compatible(enum dma_data_direction mapped,
				 enum dma_data_direction want)
{
	return mapped == DMA_BIDIRECTIONAL || mapped == want;
}


/*
 * Sync [@off, @off + @len) of the attachment.  Nothing at all when the
 * DMA layer said at attach time that the device needs no sync (counted in
 * the buffer's syncs_skipped).  Where each bus segment is one CPU entry
 * (@att->segs), only the entries covering the range are synced, each over
 * the part of it in the range: swiotlb then copies exactly those bytes and
 * the rest of the buffer stays as the CPU or the device left it.  A
 * single-range sync of an entry is what the sg-table form does for that
 * entry (dma-direct syncs each entry as one run at its bus address).
 * Otherwise (an IOMMU merged entries) no bus range names the byte range,
 * and a single-range sync of a merged segment would treat it as one
 * physical run: the whole table is synced with the sg-table form, which
 * walks the CPU entries.  No bouncing happens there (the IOMMU path bounces
 * only entries it maps one by one), so syncing more than asked only costs
 * cache maintenance.
 */
static void mmdma_att_sync(struct mmdma_attach *att, u64 off, u64 len,
			   enum dma_data_direction dir, bool for_cpu)
{
	struct device *dev = att->mdev->dma;
	unsigned int lo = 0, hi = att->sgt.nents - 1, i;

	if (!att->need_sync) {
		atomic64_inc(&att->buf->syncs_skipped);
		return;
	}
	if (!att->segs) {
		if (for_cpu)
			dma_sync_sgtable_for_cpu(dev, &att->sgt, dir);
		else
			dma_sync_sgtable_for_device(dev, &att->sgt, dir);
		return;
	}
	/* The first entry that ends past @off. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (att->seg_end[mid] > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (i = lo; len && i < att->sgt.nents; i++) {
		struct scatterlist *sg = att->segs[i];
		u64 start = att->seg_end[i] - sg->length;
		u64 n = min(att->seg_end[i] - off, len);

		if (for_cpu)
			dma_sync_single_range_for_cpu(dev, sg_dma_address(sg),
						      off - start, n, dir);
		else
			dma_sync_single_range_for_device(dev, sg_dma_address(sg),
							 off - start, n, dir);
		off += n;
		len -= n;
	}
}

/*
 * Coherent memory is never handed over: its device and the CPU see the same
 * bytes at all times, so a sync for its own device is a valid no-op.  No
 * other device may use it (EINVAL, as for a transfer).
 */
static long mmdma_sync_coherent(struct mmdma_buf *buf, int dev_fd)
{
	struct mmdma_dev *mdev = mmdma_dev_from_fd(dev_fd);
	long ret = 0;

	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	if (buf->mdev != mdev) {
		dev_dbg(mdev->dma, "sync: buf %u is coherent memory of %s, not of this device\n",
			buf->id, buf->mdev->name);
		ret = -EINVAL;
	}
	mmdma_dev_put(mdev);
	return ret;
}

/*
 * The sync that has nothing to do, without the mutex, a reference or an
 * atomic on the device fd (fdget()): found under RCU, an attachment whose
 * device needs no sync is skipped whatever happens to it meanwhile, since
 * a skipped sync touches nothing.  Return: 0 when skipped, -EAGAIN for
 * everything else (a sync to do, or an error the locked path reports).
 */
static int mmdma_att_sync_skip(struct mmdma_buf *buf, int dev_fd,
			       enum dma_data_direction dir)
{
	struct fd f = fdget(dev_fd);
	struct mmdma_attach *att;
	struct mmdma_dev *mdev;
	int ret = -EAGAIN;

	if (!fd_file(f))
		return -EAGAIN;
	mdev = mmdma_dev_of_file(fd_file(f));
	if (mdev) {
		rcu_read_lock();
		list_for_each_entry_rcu(att, &mmdma_atts, node) {
			if (att->buf != buf || att->mdev != mdev ||
			    READ_ONCE(att->detached))
				continue;
			if (READ_ONCE(att->mapped) && !att->need_sync &&
			    mmdma_dir_compatible(att->dir, dir)) {
				atomic64_inc(&buf->syncs_skipped);
				ret = 0;
			}
			break;
		}
		rcu_read_unlock();
	}
	fdput(f);
	return ret;
}

long mmdma_buf_ioc_sync(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf *buf = ctx;
	struct mmdma_buf_sync *req = karg;
	enum dma_data_direction dir;
	struct mmdma_attach *att;
	u64 end;

	/* Two words: an inline test, not a call to memchr_inv(). */
	static_assert(ARRAY_SIZE(req->reserved) == 2);
	if ((req->flags != MMDMA_SYNC_FOR_CPU &&
	     req->flags != MMDMA_SYNC_FOR_DEVICE) || req->__pad ||
	    (req->reserved[0] | req->reserved[1]) ||
	    mmdma_dir_from_user(req->dir, &dir)) {
		dev_dbg(mmdma_dev(), "sync: bad flags, direction or reserved field\n");
		return -EINVAL;
	}
	if (!req->length || check_add_overflow(req->offset, req->length, &end) ||
	    end > buf->size) {
		dev_dbg(mmdma_dev(), "sync: range %llu+%llu outside %zu bytes\n",
			req->offset, req->length, buf->size);
		return -EINVAL;
	}
	if (buf->kind == MMDMA_MEM_COHERENT)
		return mmdma_sync_coherent(buf, req->dev_fd);
	if (!mmdma_att_sync_skip(buf, req->dev_fd, dir))
		return 0;
	att = mmdma_att_lookup(buf, req->dev_fd);
	if (IS_ERR(att))
		return PTR_ERR(att);
	if (!mmdma_dir_compatible(att->dir, dir)) {
		mutex_unlock(&mmdma_att_lock);
		dev_dbg(mmdma_dev(), "sync: direction %u, mapped for %d\n",
			req->dir, att->dir);
		return -EINVAL;
	}
	mmdma_att_sync(att, req->offset, req->length, dir,
		       req->flags == MMDMA_SYNC_FOR_CPU);
	mutex_unlock(&mmdma_att_lock);
	return 0;
}

static void mmdma_attach_put_host(struct mmdma_host *h)
{
	mmdma_att_put(h->owner);
}

/**
 * mmdma_attach_host() - let a transfer use the buffer's attachment
 * @mdev: the device of the transfer (the caller holds mdev->users)
 * @h:    host range from mmdma_buf_host(); gets the attachment's mapping
 * @offset: the range's first byte in the buffer
 *
 * Return: 0, -ENOENT (not attached), -ENODEV (device gone), -EINVAL (the
 * attachment's direction does not allow the transfer's).
 */
int mmdma_attach_host(struct mmdma_dev *mdev, struct mmdma_host *h,
		      u64 offset)
{
	struct mmdma_attach *att;

	mutex_lock(&mmdma_att_lock);
	att = mmdma_att_find(h->buf, mdev);
	if (!att || !att->mapped) {
		mutex_unlock(&mmdma_att_lock);
		return att ? -ENODEV : -ENOENT;
	}
	if (!mmdma_dir_compatible(att->dir, h->dir)) {
		mutex_unlock(&mmdma_att_lock);
		dev_dbg(mdev->dma, "buf %u: attached for direction %d, not %d\n",
			h->buf->id, att->dir, h->dir);
		return -EINVAL;
	}
	kref_get(&att->ref);
	mutex_unlock(&mmdma_att_lock);
	h->mapped = &att->sgt;
	h->map_off = offset;
	h->owner = att;
	h->put_mapped = mmdma_attach_put_host;
	return 0;
}

/**
 * mmdma_attach_buf_closed() - the buffer's last fd and mapping are gone
 * @buf: the buffer
 *
 * Its attachments go too (those in use by a transfer when it ends).
 */
void mmdma_attach_buf_closed(struct mmdma_buf *buf)
{
	struct mmdma_attach *att;

	for (;;) {
		mutex_lock(&mmdma_att_lock);
		list_for_each_entry(att, &mmdma_atts, node) {
			if (att->buf == buf && !att->detached)
				goto found;
		}
		mutex_unlock(&mmdma_att_lock);
		return;
found:
		WRITE_ONCE(att->detached, true);
		mutex_unlock(&mmdma_att_lock);
		mmdma_att_put(att);
	}
}

/**
 * mmdma_attach_buf_dev_drop() - drop the attachment of @buf to @mdev
 * @buf:  the buffer
 * @mdev: a device, usually gone (its mapping then is too)
 *
 * A named buffer remapped for a device of the same name that came back
 * lets go of the one made for the old device.  Nothing if none is left.
 */
void mmdma_attach_buf_dev_drop(struct mmdma_buf *buf, struct mmdma_dev *mdev)
{
	struct mmdma_attach *att;

	mutex_lock(&mmdma_att_lock);
	att = mmdma_att_find(buf, mdev);
	if (att)
		WRITE_ONCE(att->detached, true);
	mutex_unlock(&mmdma_att_lock);
	if (att)
		mmdma_att_put(att);
}

/**
 * mmdma_attach_dev_gone() - unmap every attachment to a departing device
 * @mdev: the device; no call is inside its node any more, and none can
 *        attach (mdev->dead)
 */
void mmdma_attach_dev_gone(struct mmdma_dev *mdev)
{
	struct mmdma_attach *att;

	mutex_lock(&mmdma_att_lock);
	list_for_each_entry(att, &mmdma_atts, node) {
		if (att->mdev == mdev)
			mmdma_att_unmap(att);
	}
	mutex_unlock(&mmdma_att_lock);
}

/**
 * mmdma_attach_show() - a buffer's attachments, one line each, for sysfs
 * @buf:   the buffer
 * @out:   a sysfs page
 * @addrs: with the first DMA address of each (the caller checked the
 *         capability)
 */
int mmdma_attach_show(struct mmdma_buf *buf, char *out, bool addrs)
{
	static const char * const dirs[] = {
		[DMA_BIDIRECTIONAL] = "bidirectional",
		[DMA_TO_DEVICE] = "to-device",
		[DMA_FROM_DEVICE] = "from-device",
		[DMA_NONE] = "none",
	};
	struct mmdma_attach *att;
	int len = 0;

	mutex_lock(&mmdma_att_lock);
	list_for_each_entry(att, &mmdma_atts, node) {
		if (att->buf != buf || att->detached)
			continue;
		len += sysfs_emit_at(out, len, "%s %s %s", att->mdev->name,
				     dirs[att->dir],
				     att->mapped ? "mapped" : "gone");
		if (addrs && att->mapped)
			len += sysfs_emit_at(out, len, " %#llx",
					     (u64)sg_dma_address(att->sgt.sgl));
		len += sysfs_emit_at(out, len, "\n");
	}
	mutex_unlock(&mmdma_att_lock);
	return len;
}
