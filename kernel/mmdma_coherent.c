// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: MMDMA_MEM_COHERENT buffers, DMA-coherent memory of one DMA device
 * (the chapter's dma_alloc_coherent(), handed to user space).
 *
 * The memory belongs to the device as much as to the buffer: the DMA API
 * wants it back before the driver lets go of the device (DMA-API debug
 * reports "pending DMA allocations" at unbind otherwise).  So a buffer's
 * life and its memory's life are separate, as uio separates an open file
 * from the hardware behind it: when the device goes away every coherent
 * buffer of it is revoked (user mappings zapped, memory freed, the buffer
 * marked dead) while the fds and VMAs stay until their owners close them.
 *
 * The CPU address dma_alloc_coherent() returns may be a vmap() of scattered
 * pages (behind an IOMMU), so nothing here assumes a struct page or a linear
 * address: the kernel reads and writes through that address, user space
 * maps it page by page at fault time (see mmdma_coherent_mmap() for why not
 * dma_mmap_coherent()), the device uses the DMA handle.
 */
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "mmdma.h"

/**
 * mmdma_buf_access_begin() - start a CPU access to a buffer's memory
 * @buf: the buffer
 *
 * Return: 0 (undo with mmdma_buf_access_end()), -EINTR, or -ENODEV when the
 * buffer's device and memory are gone.  Other kinds never go away.
 */
int mmdma_buf_access_begin(struct mmdma_buf *buf)
{
	if (buf->kind != MMDMA_MEM_COHERENT)
		return 0;
	if (down_read_killable(&buf->access))
		return -EINTR;
	if (buf->dead) {
		up_read(&buf->access);
		dev_dbg(mmdma_dev(), "buf %u: its device went away\n", buf->id);
		return -ENODEV;
	}
	return 0;
}

void mmdma_buf_access_end(struct mmdma_buf *buf)
{
	if (buf->kind == MMDMA_MEM_COHERENT)
		up_read(&buf->access);
}

/**
 * mmdma_coherent_alloc() - coherent memory of the device behind @dev_fd
 * @buf:    a new buffer with its size set
 * @dev_fd: fd of a DMA device node
 *
 * Held in the device's users lock (for reading), like every call that maps
 * memory for the device, so unregistration either sees the buffer on its
 * list or the allocation sees the device dead.
 */
int mmdma_coherent_alloc(struct mmdma_buf *buf, int dev_fd)
{
	struct mmdma_dev *mdev = mmdma_dev_from_fd(dev_fd);
	int ret;

	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	ret = mmdma_coherent_alloc_dev(buf, mdev);
	mmdma_dev_put(mdev);
	if (ret)
		dev_dbg(mmdma_dev(), "alloc: coherent memory of fd %d: %d\n",
			dev_fd, ret);
	return ret;
}

/**
 * mmdma_coherent_alloc_dev() - coherent memory of @mdev
 * @buf:  a new buffer with its size set
 * @mdev: the device; the buffer takes its own reference
 *
 * Return: 0, -EINTR, -ENODEV (the device is going away), -ENOMEM.
 */
int mmdma_coherent_alloc_dev(struct mmdma_buf *buf, struct mmdma_dev *mdev)
{
	struct inode *inode;
	int ret;

	kref_get(&mdev->ref);
	inode = mmdma_fs_inode();
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_put_dev;
	}
	init_rwsem(&buf->access);
	mutex_init(&buf->map_lock);

	ret = -EINTR;
	if (down_read_killable(&mdev->users))
		goto err_iput;
	ret = -ENODEV;
	if (READ_ONCE(mdev->dead))
		goto err_up;
	/* Zeroed by the DMA API; too big fails, it must not warn. */
	buf->vaddr = dma_alloc_coherent(mdev->dma, buf->size, &buf->dma,
					GFP_KERNEL | __GFP_NOWARN);
	ret = -ENOMEM;
	if (!buf->vaddr)
		goto err_up;
	/*
	 * Complete before it is on the list: from there an unbind may
	 * revoke it, and revocation needs the device and the inode.
	 */
	buf->mdev = mdev;
	buf->inode = inode;
	mutex_lock(&mdev->coherent_lock);
	list_add_tail(&buf->dev_node, &mdev->coherent_bufs);
	mutex_unlock(&mdev->coherent_lock);
	up_read(&mdev->users);
	return 0;

err_up:
	up_read(&mdev->users);
err_iput:
	iput(inode);
err_put_dev:
	mmdma_dev_put(mdev);
	return ret;
}

/* Called with mdev->coherent_lock held, on a buffer not yet revoked. */
static void mmdma_coherent_release_memory(struct mmdma_buf *buf)
{
	list_del_init(&buf->dev_node);
	dma_free_coherent(buf->mdev->dma, buf->size, buf->vaddr, buf->dma);
	buf->vaddr = NULL;
}

/* The buffer's last reference is gone: no fd, no VMA, no access. */
void mmdma_coherent_free(struct mmdma_buf *buf)
{
	struct mmdma_dev *mdev = buf->mdev;

	mutex_lock(&mdev->coherent_lock);
	/* Still there unless the device's unbind took it. */
	if (buf->vaddr)
		mmdma_coherent_release_memory(buf);
	mutex_unlock(&mdev->coherent_lock);
	iput(buf->inode);
	mmdma_dev_put(mdev);
}

/* The page frame of byte offset @off: a linear address, or a vmap(). */
static unsigned long mmdma_coherent_pfn(struct mmdma_buf *buf, size_t off)
{
	void *addr = buf->vaddr + off;

	return is_vmalloc_addr(addr) ? vmalloc_to_pfn(addr) : PHYS_PFN(virt_to_phys(addr));
}

/*
 * One page per fault, by PFN.  map_lock orders the fault against
 * revocation: a fault either sees the buffer dead (SIGBUS) or inserts its
 * page before revocation zaps the range.
 */
static vm_fault_t mmdma_coherent_fault(struct vm_fault *vmf)
{
	struct mmdma_buf *buf = vmf->vma->vm_private_data;
	vm_fault_t ret;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&buf->map_lock);
	if (buf->dead) {
		ret = VM_FAULT_SIGBUS;
	} else {
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     mmdma_coherent_pfn(buf, vmf->pgoff << PAGE_SHIFT));
		atomic64_inc(&buf->faults);
	}
	mutex_unlock(&buf->map_lock);
	return ret;
}

static const struct vm_operations_struct mmdma_coherent_vm_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
	.fault	= mmdma_coherent_fault,
};

/**
 * mmdma_coherent_mmap() - map coherent memory, page by page at fault time
 * @buf: a coherent buffer
 * @vma: the VMA; vm_pgoff is the offset into the buffer in pages
 *
 * Not dma_mmap_coherent(), though it is the portable way to map this
 * memory: it builds the whole range with remap_pfn_range(), and on x86 with
 * PAT such a VMA cannot lose its entries while it lives (the munmap after
 * a revocation's zap looks the first entry up for the PAT bookkeeping,
 * finds none, and WARNs in untrack_pfn(), on 6.1 and 6.12 alike).  Entries
 * put in by vmf_insert_pfn() carry no such bookkeeping.  On x86 the memory
 * is cached and its CPU address linear or a vmap() of pages, which is all
 * mmdma_coherent_pfn() needs; the ABI method stays MMDMA_MAP_REMAP (a PFN
 * map, no struct pages for the rest of the kernel).
 */
int mmdma_coherent_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	int ret = 0;

	if (mutex_lock_killable(&buf->map_lock))
		return -EINTR;
	if (buf->dead)
		ret = -ENODEV;
	mutex_unlock(&buf->map_lock);
	if (ret)
		return ret;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mmdma_coherent_vm_ops;
	return 0;
}

/*
 * Take one buffer away from its users: CPU accesses and mappings now, and
 * the memory itself when @release (the device is going away, so no
 * transfer can be using it any more).  The caller holds a reference but
 * not mdev->coherent_lock: kernel accesses of the buffer (holding @access)
 * may take the device's locks, which rank above coherent_lock.
 */
static void mmdma_coherent_revoke(struct mmdma_buf *buf, bool release)
{
	struct mmdma_dev *mdev = buf->mdev;
	bool was_dead;

	/* Wait out kernel accesses and mmap() calls, and refuse new ones. */
	down_write(&buf->access);
	mutex_lock(&buf->map_lock);
	was_dead = buf->dead;
	buf->dead = true;
	mutex_unlock(&buf->map_lock);
	up_write(&buf->access);
	/* The device's unbind and a named buffer's deletion may both come. */
	if (!was_dead) {
		/* A touch of a zapped mapping finds no .fault handler: SIGBUS. */
		unmap_mapping_range(buf->inode->i_mapping, 0, 0, 1);
		dev_dbg(mdev->dma, "buf %u: coherent memory revoked\n", buf->id);
	}
	if (!release)
		return;
	mutex_lock(&mdev->coherent_lock);
	if (buf->vaddr)
		mmdma_coherent_release_memory(buf);
	mutex_unlock(&mdev->coherent_lock);
}

/* The next buffer to revoke, referenced, or NULL when none is left. */
static struct mmdma_buf *mmdma_coherent_next(struct mmdma_dev *mdev)
{
	struct mmdma_buf *buf;

	for (;;) {
		mutex_lock(&mdev->coherent_lock);
		buf = list_first_entry_or_null(&mdev->coherent_bufs,
					       struct mmdma_buf, dev_node);
		if (!buf || kref_get_unless_zero(&buf->ref)) {
			mutex_unlock(&mdev->coherent_lock);
			return buf;
		}
		/*
		 * Its last reference is gone and mmdma_coherent_free() waits
		 * for the lock to take it off the list: let it.
		 */
		mutex_unlock(&mdev->coherent_lock);
		cond_resched();
	}
}

/**
 * mmdma_coherent_revoke_all() - the device is going away: revoke its memory
 * @mdev: the device, dead, with no call left inside its node
 */
void mmdma_coherent_revoke_all(struct mmdma_dev *mdev)
{
	struct mmdma_buf *buf;

	while ((buf = mmdma_coherent_next(mdev))) {
		mmdma_coherent_revoke(buf, true);
		mmdma_buf_put(buf);
	}
}

/**
 * mmdma_coherent_revoke_buf() - revoke one coherent buffer now
 * @buf: a coherent buffer; the caller holds a reference
 *
 * A named buffer being deleted (mmdma_named.c): its mappings are zapped
 * and later accesses get ENODEV, as when the device goes away.  But the
 * device may still be writing the memory: a transfer that began before
 * the deletion holds the buffer (not its access) until it ends.  So the
 * memory goes back to the device with the buffer's last reference
 * (mmdma_coherent_free()), or at the device's unbind if that comes first,
 * which waits for the transfers.  Either may come first, or both at once.
 */
void mmdma_coherent_revoke_buf(struct mmdma_buf *buf)
{
	mmdma_coherent_revoke(buf, false);
}
