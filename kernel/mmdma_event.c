// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: interrupt events on a device node, for a provider whose device
 * user space drives itself (MMDMA_PROV_EVENTS, no ops: mmdma_pci).
 *
 * Modelled on uio: the provider reports each interrupt with
 * mmdma_provider_event(); the node's read(2) returns the __u32 count of
 * events, blocking until it differs from what this open file last read;
 * poll(2) says POLLIN when it does; write(2) of a __u32 1 unmasks the
 * interrupt (the provider's irqcontrol, uio's irqcontrol), 0 masks it.
 * Like VFIO_DEVICE_SET_IRQS's eventfd trigger, MMDMA_DEV_IRQ_EVENTFD
 * registers an eventfd signalled at every event.  The core keeps all of
 * it and never asks which provider it is; the provider only counts in
 * (any context) and masks or unmasks when asked (process context).
 *
 * Rights: the node's permissions (udev: root and group mmdma, 0660).
 * Reading events and registering an eventfd need the fd open for reading,
 * masking and unmasking need it open for writing (write(2) checks that
 * itself: EBADF).  An INTx provider masks the line in the kernel at every
 * interrupt and unmasks only at a write of 1: whoever may write can at
 * worst make one interrupt per write(2), never a storm.
 *
 * Revocation: unregistration (mmdma_event_gone()) wakes every reader
 * (ENODEV) and poller (POLLERR | POLLHUP), drops every eventfd and stops
 * counting; irqcontrol runs only inside the device (mmdma_dev_enter()),
 * so it is never called after mmdma_provider_unregister() returns.
 */
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "mmdma.h"

/**
 * struct mmdma_event_file - one open file of an event node
 * @node: on mdev->ev_files
 * @file: the open file (its private_data is the device, as for every node)
 * @seen: the count this file last read (or found at open)
 * @slot: index of its eventfd in mdev->ev_efds, or -1; left as it is when
 *        the device goes (mdev->ev_efds is all NULL from then on, and
 *        MMDMA_DEV_IRQ_EVENTFD refuses with ENODEV)
 *
 * @node is under mdev->ev_files_lock, @seen and @slot under mdev->ev_lock;
 * the entry lives from open to release, so a call on the file may keep a
 * pointer to it.
 */
struct mmdma_event_file {
	struct list_head node;
	struct file *file;
	u32 seen;
	int slot;
};

static bool mmdma_event_node(struct mmdma_dev *mdev)
{
	return mdev->caps & MMDMA_PROV_EVENTS;
}

/* Set up at mmdma_dev_create(), for every device. */
void mmdma_event_init(struct mmdma_dev *mdev)
{
	spin_lock_init(&mdev->ev_lock);
	mutex_init(&mdev->ev_files_lock);
	init_waitqueue_head(&mdev->ev_wait);
	INIT_LIST_HEAD(&mdev->ev_files);
}

/*
 * The entry of @file.  A walk of the openers: a device driven from user
 * space has a handful, and the struct file stays the core's own
 * (private_data is the device on every node).  Under ev_files_lock, a
 * mutex: however many opens a caller makes, the walk never runs with
 * interrupts off nor delays mmdma_event_raise() (red-team rt14 F3).
 */
static struct mmdma_event_file *mmdma_event_file(struct mmdma_dev *mdev,
						 struct file *file)
{
	struct mmdma_event_file *ef, *found = NULL;

	mutex_lock(&mdev->ev_files_lock);
	list_for_each_entry(ef, &mdev->ev_files, node) {
		if (ef->file == file) {
			found = ef;
			break;
		}
	}
	mutex_unlock(&mdev->ev_files_lock);
	return found;
}

/**
 * mmdma_event_open() - a new open file of @mdev's node
 * @mdev: the device
 * @file: the file being opened
 *
 * On an event node it starts at the current count: read(2) waits for
 * the next event, as uio's does.  Process context.
 *
 * Return: 0 or -ENOMEM.
 */
int mmdma_event_open(struct mmdma_dev *mdev, struct file *file)
{
	struct mmdma_event_file *ef;

	if (!mmdma_event_node(mdev))
		return 0;
	/* Accounted: the opener's memory cgroup pays for its opens. */
	ef = kzalloc(sizeof(*ef), GFP_KERNEL_ACCOUNT);
	if (!ef)
		return -ENOMEM;
	ef->file = file;
	ef->slot = -1;
	mutex_lock(&mdev->ev_files_lock);
	spin_lock_irq(&mdev->ev_lock);
	ef->seen = mdev->ev_count;
	spin_unlock_irq(&mdev->ev_lock);
	list_add_tail(&ef->node, &mdev->ev_files);
	mutex_unlock(&mdev->ev_files_lock);
	return 0;
}

/**
 * mmdma_event_release() - the last reference to @file went
 * @mdev: the device
 * @file: the file
 *
 * Drops the file's eventfd, if it still has one.  Process context.
 */
void mmdma_event_release(struct mmdma_dev *mdev, struct file *file)
{
	struct mmdma_event_file *ef = mmdma_event_file(mdev, file);
	struct eventfd_ctx *efd = NULL;

	if (!ef)
		return;
	mutex_lock(&mdev->ev_files_lock);
	list_del(&ef->node);
	spin_lock_irq(&mdev->ev_lock);
	if (ef->slot >= 0) {
		efd = mdev->ev_efds[ef->slot];
		mdev->ev_efds[ef->slot] = NULL;
	}
	spin_unlock_irq(&mdev->ev_lock);
	mutex_unlock(&mdev->ev_files_lock);
	if (efd)
		eventfd_ctx_put(efd);
	kfree(ef);
}

/**
 * mmdma_event_raise() - count one event (mmdma_provider_event())
 * @mdev: the device
 *
 * Any context; the caller holds the provider lock, which keeps @mdev.
 */
void mmdma_event_raise(struct mmdma_dev *mdev)
{
	unsigned long flags;
	bool counted = false;
	int i;

	if (!mmdma_event_node(mdev))
		return;
	spin_lock_irqsave(&mdev->ev_lock, flags);
	if (!mdev->ev_gone) {
		mdev->ev_count++;
		for (i = 0; i < MMDMA_EV_EVENTFDS; i++) {
			if (mdev->ev_efds[i])
				mmdma_eventfd_signal(mdev->ev_efds[i]);
		}
		counted = true;
	}
	spin_unlock_irqrestore(&mdev->ev_lock, flags);
	if (counted)
		wake_up_interruptible_all(&mdev->ev_wait);
}

/**
 * mmdma_event_gone() - the device is going away: revoke its events
 * @mdev: the device, already dead (mmdma_engine_shutdown())
 *
 * Readers return ENODEV, pollers see POLLERR | POLLHUP, no event is
 * counted any more, and every eventfd is dropped here, not at close.
 * Process context.
 */
void mmdma_event_gone(struct mmdma_dev *mdev)
{
	struct eventfd_ctx *efds[MMDMA_EV_EVENTFDS];
	int i;

	spin_lock_irq(&mdev->ev_lock);
	mdev->ev_gone = true;
	memcpy(efds, mdev->ev_efds, sizeof(efds));
	memset(mdev->ev_efds, 0, sizeof(mdev->ev_efds));
	spin_unlock_irq(&mdev->ev_lock);
	wake_up_interruptible_all(&mdev->ev_wait);
	for (i = 0; i < MMDMA_EV_EVENTFDS; i++) {
		if (efds[i])
			eventfd_ctx_put(efds[i]);
	}
}

/* For wait_event(): a new event for this file, or the device gone. */
static bool mmdma_event_ready(struct mmdma_dev *mdev,
			      struct mmdma_event_file *ef)
{
	bool ready;

	spin_lock_irq(&mdev->ev_lock);
	ready = mdev->ev_gone || mdev->ev_count != ef->seen;
	spin_unlock_irq(&mdev->ev_lock);
	return ready;
}

/**
 * mmdma_event_read() - read(2) on a node without ops
 * @iocb: the call; O_NONBLOCK or IOCB_NOWAIT: never wait
 * @to:   exactly 4 bytes
 *
 * Copies out the __u32 event count once it differs from what this file
 * last read (or found at open) and remembers it.  Process context.
 *
 * Return: 4; -EOPNOTSUPP (no events on this node: no provider ops and no
 * MMDMA_PROV_EVENTS, e.g. a PCI device without an interrupt); -EINVAL
 * (not 4 bytes); -EAGAIN (non-blocking, no new event); -ERESTARTSYS (a
 * signal: EINTR or a restart); -ENODEV (the device went, also for a
 * reader that was waiting); -EFAULT.
 */
ssize_t mmdma_event_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct mmdma_dev *mdev = file->private_data;
	struct mmdma_event_file *ef;
	bool gone;
	u32 count;
	int ret;

	if (!mmdma_event_node(mdev))
		return -EOPNOTSUPP;
	if (iov_iter_count(to) != sizeof(count))
		return -EINVAL;
	ef = mmdma_event_file(mdev, file);
	if (!ef)
		return -ENODEV;
	for (;;) {
		spin_lock_irq(&mdev->ev_lock);
		gone = mdev->ev_gone;
		count = mdev->ev_count;
		spin_unlock_irq(&mdev->ev_lock);
		if (gone)
			return -ENODEV;
		if (count != READ_ONCE(ef->seen))
			break;
		if ((file->f_flags & O_NONBLOCK) || (iocb->ki_flags & IOCB_NOWAIT))
			return -EAGAIN;
		ret = wait_event_interruptible(mdev->ev_wait,
					       mmdma_event_ready(mdev, ef));
		if (ret)
			return ret;
	}
	if (copy_to_iter(&count, sizeof(count), to) != sizeof(count))
		return -EFAULT;
	spin_lock_irq(&mdev->ev_lock);
	ef->seen = count;
	spin_unlock_irq(&mdev->ev_lock);
	return sizeof(count);
}

/**
 * mmdma_event_write() - write(2) on a node without ops: irqcontrol
 * @iocb: the call (the VFS has checked that the file is open for
 *        writing: EBADF otherwise)
 * @from: exactly 4 bytes, a __u32: 1 unmasks the interrupt (after user
 *        space has silenced the device), 0 masks it
 *
 * Process context.  Calls the provider's irqcontrol inside the device.
 *
 * Return: 4; -EOPNOTSUPP (no events, or a provider without irqcontrol);
 * -EINVAL (not 4 bytes, or a value other than 0 and 1); -EFAULT;
 * -ENODEV (the device went); -EAGAIN (IOCB_NOWAIT and contended);
 * -EINTR (fatal signal); or the provider's error.
 */
ssize_t mmdma_event_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmdma_dev *mdev = iocb->ki_filp->private_data;
	u32 v;
	int ret;

	if (!mmdma_event_node(mdev))
		return -EOPNOTSUPP;
	if (iov_iter_count(from) != sizeof(v))
		return -EINVAL;
	if (copy_from_iter(&v, sizeof(v), from) != sizeof(v))
		return -EFAULT;
	if (v > 1)
		return -EINVAL;
	if (!mdev->irqcontrol)
		return -EOPNOTSUPP;
	ret = mmdma_dev_enter(mdev, iocb->ki_flags & IOCB_NOWAIT);
	if (ret)
		return ret;
	ret = mdev->irqcontrol(mdev->prov, v);
	mmdma_dev_leave(mdev);
	return ret ?: sizeof(v);
}

/**
 * mmdma_event_poll() - poll(2) on any device node
 * @file: the node
 * @wait: poll table
 *
 * An event node: EPOLLIN | EPOLLRDNORM when read(2) would return a new
 * count, EPOLLERR | EPOLLHUP once the device went.  Any other node
 * reports what the VFS reports for a file without poll (always ready).
 */
__poll_t mmdma_event_poll(struct file *file, struct poll_table_struct *wait)
{
	struct mmdma_dev *mdev = file->private_data;
	struct mmdma_event_file *ef;
	__poll_t mask = 0;

	if (!mmdma_event_node(mdev))
		return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;
	ef = mmdma_event_file(mdev, file);
	if (!ef)
		return EPOLLERR;
	poll_wait(file, &mdev->ev_wait, wait);
	spin_lock_irq(&mdev->ev_lock);
	if (mdev->ev_gone)
		mask = EPOLLERR | EPOLLHUP;
	else if (mdev->ev_count != ef->seen)
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&mdev->ev_lock);
	return mask;
}

/**
 * mmdma_event_ioc_eventfd() - MMDMA_DEV_IRQ_EVENTFD: signal an eventfd
 *                             at every event
 * @ctx:  the node's file, open for reading
 * @karg: the __s32 eventfd; -1 removes this file's
 * @uarg: unused
 *
 * One eventfd per open file; a new one replaces the old.  It is dropped
 * when the file is closed or the device goes.  At most MMDMA_EV_EVENTFDS
 * per device, so the interrupt handler's work stays bounded however many
 * files hold the node open.  Process context.
 *
 * Return: 0; -EOPNOTSUPP (no events on this node); -EBADF (the node is not
 * open for reading, or the fd is not open); -EINVAL (not an eventfd);
 * -EBUSY (MMDMA_EV_EVENTFDS other open files have one); -ENODEV (the
 * device went).
 */
long mmdma_event_ioc_eventfd(void *ctx, void *karg, void __user *uarg)
{
	struct file *file = ctx;
	struct mmdma_dev *mdev = file->private_data;
	struct eventfd_ctx *efd = NULL, *old;
	struct mmdma_event_file *ef;
	s32 fd = *(s32 *)karg;
	long ret = 0;
	int i;

	if (!mmdma_event_node(mdev))
		return -EOPNOTSUPP;
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ef = mmdma_event_file(mdev, file);
	if (!ef)
		return -ENODEV;
	if (fd != -1) {
		efd = eventfd_ctx_fdget(fd);
		if (IS_ERR(efd))
			return PTR_ERR(efd);
	}
	spin_lock_irq(&mdev->ev_lock);
	old = efd;
	if (mdev->ev_gone) {
		ret = -ENODEV;
	} else if (ef->slot >= 0) {
		/* Replace, or remove (efd NULL) and free the slot. */
		old = mdev->ev_efds[ef->slot];
		mdev->ev_efds[ef->slot] = efd;
		if (!efd)
			ef->slot = -1;
	} else if (efd) {
		for (i = 0; i < MMDMA_EV_EVENTFDS && mdev->ev_efds[i]; i++)
			;
		if (i < MMDMA_EV_EVENTFDS) {
			mdev->ev_efds[i] = efd;
			ef->slot = i;
			old = NULL;
		} else {
			ret = -EBUSY;
		}
	}
	spin_unlock_irq(&mdev->ev_lock);
	if (old)
		eventfd_ctx_put(old);
	return ret;
}
