// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: read and write on a device node, as direct I/O (the chapter's
 * "Performing direct I/O" and "Asynchronous I/O").
 *
 * The file position is an offset in device memory.  Each user segment of
 * the call is pinned (pin_user_pages_fast(), FOLL_WRITE when the device
 * writes it; then again, without faulting, under the mmap lock that the
 * lookup of buffer mappings holds: mmdma_dio_pin()), mapped for the
 * device as a scatter/gather table and moved by the engine straight to
 * or from the caller's pages: no kernel copy, except
 * where the device cannot reach a page (then it bounces, and the device's
 * statistics count it) and for transfers of at most MMDMA_POOL_MAX bytes,
 * which go through a dma_pool block.  Pages the device wrote are dirtied
 * when they are unpinned, so a file mapping sees the data.
 *
 * A synchronous call waits; a signal stops it, and then it returns the
 * bytes moved so far, or -EINTR.  An asynchronous kiocb (libaio, io_uring)
 * gets -EIOCBQUEUED and completes through ->ki_complete() once every
 * segment has ended; a process that exits meanwhile leaves its requests to
 * end on the engine (bounded by the time-out), and they unpin its pages.
 *
 * Teardown: pages are pinned outside the device (mmdma_dev_enter()), so a
 * userfaultfd or FUSE page that stalls the pinning never holds off an
 * unbind; the call then finds the device gone and fails with ENODEV.
 * Inside, every DMA mapping and pool block a request took is released
 * before the call leaves: by the engine when the request ends, by the
 * shutdown for queued ones, here for one that failed to queue.  Only the
 * unpinning may come later, from the completion.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "mmdma.h"

/*
 * How often mmdma_dio_pin() pins a segment again when a page went between
 * its two pins; then EFAULT.  Only a thread changing the range's mappings
 * while the call pins gets there.
 */
#define MMDMA_DIO_PIN_TRIES	8

/* One asynchronous read or write: a request per user segment. */
struct mmdma_dio {
	struct kiocb *iocb;
	struct mmdma_dev *mdev;
	atomic_t pending;	/* requests not ended, +1 while submitting */
	struct work_struct work;
	unsigned int nr;
	struct mmdma_req reqs[];
};

/*
 * The pieces of the pinned range @h that are user mappings of mmdma
 * buffers (every mapping of a buffer, through its fd, a named node or an
 * exported dma-buf, has mmdma_vm_open() as .open and the buffer as
 * vm_private_data), noted in @h->user_uses with a reference on each
 * buffer.  mmdma_req_prepare() records them as it does a buffer fd's
 * range: their pages are the buffer's, and a buffer attached to the device,
 * or in flight for it, must not be mapped for it a second time (EBUSY).
 * The caller holds the mmap lock for reading, and found @h's pages mapped
 * in the range under that same hold (mmdma_dio_pin_locked()): the VMAs
 * looked at here are the ones the pages are mapped through.
 */
static int mmdma_dio_find_bufs(struct mmdma_host *h, unsigned long uaddr)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = uaddr + h->len, a;
	struct vm_area_struct *vma;
	unsigned int n = 0;
	int pass;

	/* Not mmap_assert_locked(): under DEBUG_VM it calls dump_mm(), unexported. */
	lockdep_assert_held(&mm->mmap_lock);
	for (pass = 0; pass < 2; pass++) {
		for (a = uaddr; a < end; a = vma->vm_end) {
			struct mmdma_dma_use *u;
			struct mmdma_buf *buf;
			unsigned long from, to;

			vma = find_vma(mm, a);
			if (!vma || vma->vm_start >= end)
				break;
			if (!vma->vm_ops || vma->vm_ops->open != mmdma_vm_open)
				continue;
			if (!pass) {
				n++;
				continue;
			}
			buf = vma->vm_private_data;
			from = max(a, vma->vm_start);
			to = min(end, vma->vm_end);
			u = &h->user_uses[h->nr_user_uses++];
			*u = (struct mmdma_dma_use){
				.buf = buf, .dir = h->dir,
				.start = ((u64)vma->vm_pgoff << PAGE_SHIFT) +
					 (from - vma->vm_start),
			};
			u->end = min_t(u64, u->start + (to - from), buf->size);
			mmdma_buf_get(buf);
		}
		if (!n)
			break;
		if (!pass) {
			h->user_uses = kcalloc(n, sizeof(*h->user_uses), GFP_KERNEL);
			if (!h->user_uses)
				return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Pin @h's range again, with the mmap lock held for reading, check that
 * these are the pages the first pin took, and look the range's buffer
 * mappings up under the same hold; the second pin is only that check, and
 * is dropped again before returning.  FOLL_NOFAULT: a fault here could not
 * drop the lock (no FAULT_FLAG_ALLOW_RETRY with the lock held by the
 * caller), so a userfaultfd page would fail with SIGBUS and a FUSE or file
 * page would be read, perhaps unkillably, with the process's mmap lock
 * held (red-team rt15).  No FOLL_WRITE: the first pin did the write fault
 * (COW, page_mkwrite), and writeback may have write-protected a pinned
 * file page's entry since, which a write pin could only undo by faulting
 * (red-team rt16: reads into a mapped file then failed all tries).
 * Without it, a range swapped for fresh memory could pin the zero page:
 * hence the identity check.  A page gone or replaced since the first pin
 * fails with -EFAULT, and the caller pins again from the start.
 */
static int mmdma_dio_pin_locked(struct mmdma_host *h, unsigned long uaddr)
{
	unsigned long first = uaddr >> PAGE_SHIFT, done = 0, i;
	struct mm_struct *mm = current->mm;
	struct page **pages;
	long n;
	int ret = 0;

	pages = kvmalloc_array(h->nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	if (mmap_read_lock_killable(mm)) {
		kvfree(pages);
		return -EINTR;
	}
	while (done < h->nr_pages) {
		n = mmdma_pin_user_pages_locked((first + done) << PAGE_SHIFT,
						min_t(unsigned long,
						      h->nr_pages - done, INT_MAX),
						FOLL_NOFAULT, pages + done);
		if (n <= 0) {
			ret = n ?: -EFAULT;
			break;
		}
		done += n;
	}
	for (i = 0; !ret && i < h->nr_pages; i++) {
		if (pages[i] != h->pages[i])
			ret = -EFAULT;
	}
	if (!ret)
		ret = mmdma_dio_find_bufs(h, uaddr);
	mmap_read_unlock(mm);
	unpin_user_pages(pages, done);
	kvfree(pages);
	return ret;
}

/*
 * Pin user segment @seg for the request that moves it.  Outside the device
 * (not between mmdma_dev_enter() and mmdma_dev_leave()): the pages may be
 * userfaultfd or FUSE pages that take forever, and an unbind must not
 * wait for them.
 */
static int mmdma_dio_pin(struct mmdma_req *req, struct mmdma_dev *mdev,
			 struct iovec seg, bool to_dev)
{
	struct mmdma_host *h = &req->host[to_dev ? 0 : 1];
	int ret, tries;

	req->mdev = mdev;
	/*
	 * The first pin faults the pages in without the mmap lock held, so a
	 * userfaultfd or FUSE page may stall it without holding anyone off.
	 * The pages it pins may belong to a mapping another thread replaces
	 * right after (munmap or mmap MAP_FIXED of the same address): looked
	 * up afterwards, a buffer mapped there would be missed, and an
	 * attached buffer mapped a second time for the device (red-team
	 * rt14).  So a second pin, without faulting and under the same mmap
	 * lock hold as the lookup, must find the same pages.  When it finds
	 * a page gone, both pins start over; a range that another thread
	 * keeps changing gets EFAULT after MMDMA_DIO_PIN_TRIES.
	 */
	for (tries = 0; tries < MMDMA_DIO_PIN_TRIES; tries++) {
		if (tries && fatal_signal_pending(current))
			return -EINTR;
		ret = mmdma_host_pin_user(h, (unsigned long)seg.iov_base,
					  seg.iov_len, to_dev ? DMA_TO_DEVICE :
					  DMA_FROM_DEVICE);
		if (ret)
			return ret;
		ret = mmdma_dio_pin_locked(h, (unsigned long)seg.iov_base);
		if (ret != -EFAULT)
			return ret;
		/* A page went between the pins: drop the first pin too. */
		unpin_user_pages(h->pages, h->nr_pages);
		kvfree(h->pages);
		h->pages = NULL;
		h->nr_pages = 0;
		h->pinned = false;
	}
	return -EFAULT;
}

/* Map a pinned request for the device; the caller is inside the device. */
static int mmdma_dio_map(struct mmdma_req *req, loff_t pos, bool to_dev)
{
	return mmdma_req_prepare(req, to_dev ? MMDMA_XFER_TO_DEV :
				 MMDMA_XFER_FROM_DEV, MMDMA_DMA_AUTO, pos);
}

/* Next non-empty user segment of @iter, or an empty one at the end. */
static struct iovec mmdma_dio_next_seg(struct iov_iter *iter)
{
	struct iovec seg = mmdma_iter_head(iter);

	while (!seg.iov_len && iov_iter_count(iter)) {
		unsigned long segs = iter->nr_segs;

		/* Advancing by 0 steps over empty segments. */
		iov_iter_advance(iter, 0);
		if (iter->nr_segs == segs)
			break;
		seg = mmdma_iter_head(iter);
	}
	return seg;
}

static ssize_t mmdma_dio_sync(struct mmdma_dev *mdev, struct kiocb *iocb,
			      struct iov_iter *iter, bool to_dev)
{
	struct mmdma_req *req;
	ssize_t done = 0;
	int ret = 0;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	while (iov_iter_count(iter)) {
		struct iovec seg = mmdma_dio_next_seg(iter);

		if (!seg.iov_len)
			break;
		ret = mmdma_dio_pin(req, mdev, seg, to_dev);
		if (!ret)
			ret = mmdma_dev_enter(mdev, false);
		if (!ret) {
			ret = mmdma_dio_map(req, iocb->ki_pos + done, to_dev);
			if (!ret)
				ret = mmdma_req_run(req);
			/* DMA state goes while the device is held; pins later. */
			mmdma_req_unmap(req);
			mmdma_dev_leave(mdev);
		}
		mmdma_req_release(req);
		if (ret)
			break;
		iov_iter_advance(iter, seg.iov_len);
		done += seg.iov_len;
	}
	kfree(req);
	iocb->ki_pos += done;
	return done ?: ret;
}

static void mmdma_dio_complete(struct work_struct *work)
{
	struct mmdma_dio *dio = container_of(work, struct mmdma_dio, work);
	struct kiocb *iocb = dio->iocb;
	ssize_t bytes = 0;
	int err = 0;
	unsigned int i;

	for (i = 0; i < dio->nr; i++) {
		struct mmdma_req *req = &dio->reqs[i];

		if (req->status && !err)
			err = req->status;
		bytes += req->host[0].len + req->host[1].len;
		mmdma_req_release(req);
	}
	mmdma_dev_put(dio->mdev);
	kvfree(dio);
	iocb->ki_complete(iocb, err ?: bytes);
}

/*
 * Completions run on the module's own queue, which module unload drains:
 * the last thing a completion does, ki_complete(), may drop the last
 * reference to the file and with it to the module, and the work function
 * must still be there to return into.
 */
static struct workqueue_struct *mmdma_dio_wq;

int mmdma_dio_init(void)
{
	mmdma_dio_wq = alloc_workqueue("mmdma_dio", WQ_UNBOUND, 0);
	return mmdma_dio_wq ? 0 : -ENOMEM;
}

void mmdma_dio_exit(void)
{
	destroy_workqueue(mmdma_dio_wq);
}

static void mmdma_dio_put(struct mmdma_dio *dio)
{
	if (atomic_dec_and_test(&dio->pending))
		queue_work(mmdma_dio_wq, &dio->work);
}

/* Called by the engine with mdev->lock held: only hand off. */
static void mmdma_dio_req_end(struct mmdma_req *req)
{
	mmdma_dio_put(req->priv);
}

static ssize_t mmdma_dio_async(struct mmdma_dev *mdev, struct kiocb *iocb,
			       struct iov_iter *iter, bool to_dev)
{
	unsigned long max = iter->nr_segs;
	loff_t pos = iocb->ki_pos;
	struct mmdma_dio *dio;
	unsigned int i;
	int ret = 0;

	dio = kvzalloc(struct_size(dio, reqs, max), GFP_KERNEL);
	if (!dio)
		return -ENOMEM;
	dio->iocb = iocb;
	dio->mdev = mdev;
	INIT_WORK(&dio->work, mmdma_dio_complete);

	/* Pin everything first, outside the device: a failure fails the call. */
	while (iov_iter_count(iter) && dio->nr < max) {
		struct iovec seg = mmdma_dio_next_seg(iter);

		if (!seg.iov_len)
			break;
		ret = mmdma_dio_pin(&dio->reqs[dio->nr], mdev, seg, to_dev);
		dio->nr++;
		if (ret)
			goto err_release;
		iov_iter_advance(iter, seg.iov_len);
	}

	ret = mmdma_dev_enter(mdev, iocb->ki_flags & IOCB_NOWAIT);
	if (ret)
		goto err_release;
	for (i = 0; i < dio->nr; i++) {
		struct mmdma_req *req = &dio->reqs[i];

		ret = mmdma_dio_map(req, pos, to_dev);
		if (ret)
			goto err_unmap;
		pos += req->host[0].len + req->host[1].len;
	}

	kref_get(&mdev->ref);
	atomic_set(&dio->pending, dio->nr + 1);
	for (i = 0; i < dio->nr; i++) {
		struct mmdma_req *req = &dio->reqs[i];

		req->end = mmdma_dio_req_end;
		req->priv = dio;
		ret = mmdma_req_submit(req);
		if (ret) {
			/*
			 * Not queued: it ends here, with the error.  Its
			 * mappings and pool block go now, while the device is
			 * held; only the pins wait for the completion.
			 */
			mmdma_req_unmap(req);
			req->status = ret;
			mmdma_dio_put(dio);
		}
	}
	/* Queued requests are unmapped by the engine, or by the shutdown. */
	mmdma_dio_put(dio);
	mmdma_dev_leave(mdev);
	return -EIOCBQUEUED;

err_unmap:
	for (i = 0; i < dio->nr; i++)
		mmdma_req_unmap(&dio->reqs[i]);
	mmdma_dev_leave(mdev);
err_release:
	for (i = 0; i < dio->nr; i++)
		mmdma_req_release(&dio->reqs[i]);
	kvfree(dio);
	return ret;
}

static ssize_t mmdma_dio(struct kiocb *iocb, struct iov_iter *iter,
			 bool to_dev)
{
	struct mmdma_dev *mdev = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos;

	/* No engine (mmdma_pci): nothing moves device memory. */
	if (!mdev->ops)
		return -EOPNOTSUPP;
	if (!user_backed_iter(iter))
		return -EOPNOTSUPP;
	if (pos < 0)
		return -EINVAL;
	if (!iov_iter_count(iter))
		return 0;
	if (pos >= mdev->mem_size)
		return to_dev ? -ENOSPC : 0;
	iov_iter_truncate(iter, mdev->mem_size - pos);

	/*
	 * IOCB_NOWAIT (io_uring's first, inline attempt; RWF_NOWAIT): a
	 * synchronous call always waits for the device, so it gets -EAGAIN;
	 * an asynchronous one is queued.  Pinning may still fault pages in,
	 * as the block layer's direct I/O does under IOCB_NOWAIT.
	 */
	if ((iocb->ki_flags & IOCB_NOWAIT) && is_sync_kiocb(iocb))
		return -EAGAIN;
	/* Early out only: mmdma_dev_enter() decides, after the pinning. */
	if (READ_ONCE(mdev->dead))
		return -ENODEV;
	if (is_sync_kiocb(iocb))
		return mmdma_dio_sync(mdev, iocb, iter, to_dev);
	return mmdma_dio_async(mdev, iocb, iter, to_dev);
}

/* Device memory at the file position to the caller's memory. */
ssize_t mmdma_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmdma_dev *mdev = iocb->ki_filp->private_data;

	/* No engine: read() returns interrupt events (mmdma_event.c). */
	if (!mdev->ops)
		return mmdma_event_read(iocb, to);
	return mmdma_dio(iocb, to, false);
}

/* The caller's memory to device memory at the file position. */
ssize_t mmdma_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmdma_dev *mdev = iocb->ki_filp->private_data;

	/* No engine: write() masks and unmasks the interrupt. */
	if (!mdev->ops)
		return mmdma_event_write(iocb, from);
	return mmdma_dio(iocb, from, true);
}
