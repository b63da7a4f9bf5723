// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the engine that runs prepared requests.
 *
 * One request at a time is on the hardware, one operation (or a batch of
 * operations on host memory) at a time, started from the device's
 * completion report with a time-out on each.  Staged operations are
 * copied in and out of the shared staging buffers around the hardware's
 * turn, with the ownership hand-over (dma_sync_*) of the streaming one.
 * A submitter that is interrupted stops its request after the operation
 * on the hardware; a device going away fails what is queued.
 */
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include "mmdma.h"

unsigned int mmdma_op_timeout_ms = 1000;
/*
 * 0 would time out every operation at once; past ten minutes a dead
 * device holds its callers for longer than anyone waits.
 */
mmdma_param_uint(op_timeout_ms, mmdma_op_timeout_ms, 0644, .min = 1, .max = 600000,
		 .why = "milliseconds one device operation may take");
MODULE_PARM_DESC(op_timeout_ms, "time-out of one hardware DMA operation, 1 to 600000 ms (default 1000 ms)");

/* CPU copy between a host range and a kernel buffer, page by page. */
static void mmdma_host_copy(struct mmdma_host *h, size_t off, void *kbuf,
			    size_t len, bool to_kbuf)
{
	while (len) {
		size_t at = h->offset + off;
		size_t in_page = offset_in_page(at);
		size_t n = min(len, PAGE_SIZE - in_page);
		struct page *page = h->pages[at >> PAGE_SHIFT];

		if (to_kbuf)
			memcpy_from_page(kbuf, page, in_page, n);
		else
			memcpy_to_page(page, in_page, kbuf, n);
		kbuf += n;
		off += n;
		len -= n;
	}
}

static enum dma_data_direction mmdma_op_dir(const struct mmdma_op *op)
{
	return op->to_dev ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

/* Ownership of the CPU-side buffer passes to the device for the operation. */
static void mmdma_op_before(struct mmdma_dev *mdev, struct mmdma_req *req,
			    const struct mmdma_op *op)
{
	if (op->copy && op->to_dev)
		mmdma_host_copy(&req->host[op->host], op->host_off,
				mmdma_copy_buf(mdev, req, op->copy), op->len, true);
	if (op->copy == MMDMA_COPY_STREAM)
		dma_sync_single_for_device(mdev->dma, mdev->stream_dma, op->len,
					   mmdma_op_dir(op));
}

/* ... and back to the CPU once it has ended. */
static void mmdma_op_after(struct mmdma_dev *mdev, struct mmdma_req *req,
			   const struct mmdma_op *op)
{
	if (op->copy == MMDMA_COPY_STREAM)
		dma_sync_single_for_cpu(mdev->dma, mdev->stream_dma, op->len,
					mmdma_op_dir(op));
	if (op->copy && !op->to_dev)
		mmdma_host_copy(&req->host[op->host], op->host_off,
				mmdma_copy_buf(mdev, req, op->copy), op->len, false);
}

/* End @req: unmap it and wake its submitter.  Called with mdev->lock held. */
static void mmdma_finish(struct mmdma_dev *mdev, struct mmdma_req *req,
			 int status)
{
	if (mdev->cur == req)
		mdev->cur = NULL;
	req->status = status;
	mmdma_req_unmap(req);
	req->nsecs = ktime_get_ns() - req->submitted;
	atomic64_inc(&mdev->stats.transfers);
	if (status)
		atomic64_inc(&mdev->stats.errors);
	else
		atomic64_add(req->host[0].len ?: req->host[1].len,
			     &mdev->stats.bytes);
	wake_up_all(&mdev->idle);
	/* The submitter may free @req as soon as this returns. */
	if (req->end)
		req->end(req);
	else
		complete(&req->done);
}

/*
 * How many operations from @req->next_op go to the engine at once: a run
 * of operations on the host memory itself, up to what the engine takes.  A
 * copy operation goes alone: the buffers it copies through are shared.
 */
static unsigned int mmdma_batch(struct mmdma_dev *mdev, struct mmdma_req *req)
{
	unsigned int n = 1;

	if (req->ops[req->next_op].copy)
		return 1;
	while (n < mdev->max_batch && req->next_op + n < req->nr_ops &&
	       !req->ops[req->next_op + n].copy)
		n++;
	return n;
}

static void mmdma_run_op(struct mmdma_dev *mdev, struct mmdma_req *req)
{
	const struct mmdma_op *ops = &req->ops[req->next_op];
	unsigned int i, n = mmdma_batch(mdev, req);
	int ret;

	for (i = 0; i < n; i++)
		mmdma_op_before(mdev, req, &ops[i]);
	mdev->op_seq++;
	ret = mdev->ops->submit(mdev->prov, ops, n, mdev->op_seq);
	if (ret) {
		dev_dbg(mdev->dma, "operation refused by the engine: %d\n", ret);
		mmdma_finish(mdev, req, ret);
		return;
	}
	req->batch = n;
	mdev->op_active = true;
	atomic64_add(n, &mdev->stats.ops);
	for (i = 0; i < n; i++) {
		if (!ops[i].bounce)
			continue;
		atomic64_inc(&mdev->stats.bounces);
		atomic64_add(ops[i].len, &mdev->stats.bounce_bytes);
		req->bounced += ops[i].len;
	}
	/* Before arming: the work never runs before this deadline. */
	mdev->op_deadline = jiffies + msecs_to_jiffies(mmdma_op_timeout_ms);
	mod_delayed_work(system_wq, &mdev->timeout,
			 msecs_to_jiffies(mmdma_op_timeout_ms));
}

/* Put the next waiting request on the hardware.  mdev->lock held. */
static void mmdma_start_next(struct mmdma_dev *mdev)
{
	while (!mdev->cur && !list_empty(&mdev->queue)) {
		struct mmdma_req *req = list_first_entry(&mdev->queue,
							 struct mmdma_req, node);

		list_del_init(&req->node);
		mdev->cur = req;
		if (!req->nr_ops)
			mmdma_finish(mdev, req, 0);
		else
			mmdma_run_op(mdev, req);
	}
}

/**
 * mmdma_dev_op_done() - the end of a submit(), from mmdma_provider_done()
 * @mdev: the device
 * @seq:  mdev->op_seq as it was when the operations started
 * @err:  0, or the operations' error
 *
 * Process context (a threaded interrupt handler or a work item).  A report
 * with no operation running, or about an older start (one that already
 * timed out), is ignored.
 */
void mmdma_dev_op_done(struct mmdma_dev *mdev, u32 seq, int err)
{
	struct mmdma_req *req;
	unsigned int i;

	mutex_lock(&mdev->lock);
	req = mdev->cur;
	if (!req || !mdev->op_active || seq != mdev->op_seq) {
		mutex_unlock(&mdev->lock);
		return;
	}
	mdev->op_active = false;
	cancel_delayed_work(&mdev->timeout);

	for (i = 0; !err && i < req->batch; i++)
		mmdma_op_after(mdev, req, &req->ops[req->next_op + i]);
	req->next_op += req->batch;
	if (err)
		mmdma_finish(mdev, req, err);
	else if (req->cancel)
		mmdma_finish(mdev, req, req->cancel);
	else if (req->next_op == req->nr_ops)
		mmdma_finish(mdev, req, 0);
	else
		mmdma_run_op(mdev, req);
	mmdma_start_next(mdev);
	mutex_unlock(&mdev->lock);
}

/*
 * An operation took longer than op_timeout_ms: quiesce, fail, move on.
 * mmdma_dev_op_done() cancels the work without waiting (it holds the lock
 * this takes), so a run armed for an operation that has ended may get the
 * lock only after the next one started: the deadline, set when each
 * operation is armed, tells it that this operation's time is not up, and
 * the work armed for it runs later.
 */
void mmdma_engine_timeout(struct work_struct *work)
{
	struct mmdma_dev *mdev = container_of(to_delayed_work(work),
					      struct mmdma_dev, timeout);

	mutex_lock(&mdev->lock);
	if (mdev->cur && mdev->op_active &&
	    time_after_eq(jiffies, mdev->op_deadline)) {
		mdev->op_active = false;
		atomic64_inc(&mdev->stats.timeouts);
		dev_warn_ratelimited(mdev->dma, "DMA operation timed out after %u ms\n",
				     mmdma_op_timeout_ms);
		/* The device must be quiet before the memory is unmapped. */
		mdev->ops->terminate(mdev->prov);
		mmdma_finish(mdev, mdev->cur, -ETIMEDOUT);
		mmdma_start_next(mdev);
	}
	mutex_unlock(&mdev->lock);
}

/**
 * mmdma_req_submit() - queue a prepared request
 * @req: the request; @req->end, if set, is called when it ends
 *
 * Return: 0 when queued (the request then always ends: completes @req->done
 * or calls @req->end), or -EINTR / -ENODEV (device gone) / -EOPNOTSUPP (a
 * provider without an engine) when not queued.
 */
int mmdma_req_submit(struct mmdma_req *req)
{
	struct mmdma_dev *mdev = req->mdev;

	/* The callers refuse this first; never reach a NULL engine. */
	if (!mdev->ops)
		return -EOPNOTSUPP;
	init_completion(&req->done);
	INIT_LIST_HEAD(&req->node);
	if (mutex_lock_killable(&mdev->lock))
		return -EINTR;
	if (mdev->dead) {
		mutex_unlock(&mdev->lock);
		return -ENODEV;
	}
	req->submitted = ktime_get_ns();
	list_add_tail(&req->node, &mdev->queue);
	mmdma_start_next(mdev);
	mutex_unlock(&mdev->lock);
	return 0;
}

/**
 * mmdma_req_run() - queue a prepared request and wait for it
 * @req: the request, with no @req->end
 *
 * A signal stops the request: one still queued is dropped at once, one on
 * the hardware after its running operations (which the time-out bounds),
 * so the caller can release the memory safely when this returns.
 *
 * Return: 0, -EINTR, -ETIMEDOUT, -ENODEV (device gone) or an engine error.
 */
int mmdma_req_run(struct mmdma_req *req)
{
	struct mmdma_dev *mdev = req->mdev;
	int ret;

	ret = mmdma_req_submit(req);
	if (ret)
		return ret;
	if (wait_for_completion_interruptible(&req->done)) {
		mutex_lock(&mdev->lock);
		if (!list_empty(&req->node)) {
			list_del_init(&req->node);
			mmdma_finish(mdev, req, -EINTR);
		} else if (mdev->cur == req) {
			req->cancel = -EINTR;
		}
		mutex_unlock(&mdev->lock);
		wait_for_completion(&req->done);
	}
	return req->status;
}

/**
 * mmdma_engine_shutdown() - stop taking requests and wait for the hardware
 * @mdev: the device
 *
 * Queued requests fail with -ENODEV; the one on the hardware stops after
 * its running operation ends or times out.
 */
void mmdma_engine_shutdown(struct mmdma_dev *mdev)
{
	struct mmdma_req *req, *tmp;

	mutex_lock(&mdev->lock);
	mdev->dead = true;
	list_for_each_entry_safe(req, tmp, &mdev->queue, node) {
		list_del_init(&req->node);
		mmdma_finish(mdev, req, -ENODEV);
	}
	if (mdev->cur)
		mdev->cur->cancel = -ENODEV;
	mutex_unlock(&mdev->lock);

	wait_event(mdev->idle, !READ_ONCE(mdev->cur));
	cancel_delayed_work_sync(&mdev->timeout);
}
