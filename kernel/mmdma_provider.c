// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the provider API (mmdma_provider.h, docs/provider-api.md).
 *
 * A provider module describes its engine in a struct mmdma_provider and
 * registers it; the core makes a struct mmdma_dev of it (mmdma_dev.c) and
 * does everything else.  The core never asks which provider it is: what
 * differs between engines is in the description (DMA reach, segment
 * boundary, window, batch size, MMDMA_PROV_* capabilities, register
 * window) and behind the two ops.
 *
 * Module references: a provider module holds the core (it links against
 * these symbols, so the core cannot unload while a provider is loaded).
 * The core takes no reference on a provider module while it calls the
 * ops; it relies on unregistration draining instead: a provider calls
 * mmdma_provider_unregister() from its remove or exit path, that call
 * returns only when no op is running or will run again and everything made
 * for the device (mappings, attachments, coherent memory, register
 * mappings) has been released or revoked, and nothing the core keeps
 * afterwards (open files, VMAs, sysfs) points into the provider's module.
 */
#include <linux/ctype.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>

#include "mmdma.h"

/*
 * Protects every provider's @mdev against a completion or an event that
 * races with unregistration: one lock for all, so it exists before any
 * provider has registered (an early interrupt finds @mdev NULL and is
 * ignored).  Irq-safe: mmdma_provider_event() takes it in hard interrupt
 * context.
 */
static DEFINE_SPINLOCK(mmdma_provider_lock);

/* [a-z0-9], 1 to 15 characters: it becomes part of a node name. */
static bool mmdma_provider_name_ok(const char *name)
{
	size_t i, n = name ? strnlen(name, 16) : 0;

	if (!n || n > 15)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit(name[i]) && !(name[i] >= 'a' && name[i] <= 'z'))
			return false;
	}
	return true;
}

/* Refuse a description the core cannot serve, saying what is wrong. */
static int mmdma_provider_check(struct mmdma_provider *p)
{
	struct device *dev = p->dev;
	const char *why = NULL;

	if (!dev)
		return -EINVAL;
	if (!mmdma_provider_name_ok(p->name))
		why = "name must be 1 to 15 characters of [a-z0-9]";
	else if (!p->kind)
		why = "kind must be an enum mmdma_dev_kind value";
	else if (p->ops && (!p->ops->submit || !p->ops->terminate))
		why = "ops->submit and ops->terminate go together";
	else if (p->ops && (!p->mem_size || !p->max_op))
		why = "mem_size and max_op must be non-zero";
	else if (!p->ops && (p->mem_size || p->max_op || p->max_batch))
		why = "a provider without ops has no device memory";
	else if (p->dma_bits < 24 || p->dma_bits > 64)
		why = "dma_bits must be 24 to 64";
	else if (p->caps & ~MMDMA_PROV_CAPS)
		why = "unknown caps bits";
	else if (p->ops && (p->caps & MMDMA_PROV_EVENTS))
		why = "events are for a provider without ops (read() is the engine's)";
	else if (p->irqcontrol && !(p->caps & MMDMA_PROV_EVENTS))
		why = "irqcontrol needs MMDMA_PROV_EVENTS";
	else if ((p->seg_boundary || p->max_seg_size) && !dev->dma_parms)
		why = "seg_boundary and max_seg_size need a device with dma_parms";
	else if (p->regs.size && (!PAGE_ALIGNED(p->regs.start) ||
				  !PAGE_ALIGNED(p->regs.size) || !p->regs.virt))
		why = "regs must be whole pages and mapped (virt)";
	else if (p->mdev)
		why = "already registered";
	if (why) {
		dev_err(dev, "mmdma provider %s: %s\n",
			p->name ? p->name : "(no name)", why);
		return -EINVAL;
	}
	return 0;
}

/* What the engine reaches, set on the device before anything is mapped. */
static int mmdma_provider_dma_setup(struct mmdma_provider *p)
{
	struct device *dev = p->dev;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(p->dma_bits));
	if (ret) {
		dev_err(dev, "mmdma provider %s: cannot use a %u-bit DMA mask: %d\n",
			p->name, p->dma_bits, ret);
		return ret;
	}
	/* dma_parms was checked: 6.12's setters return void. */
	if (p->seg_boundary)
		dma_set_seg_boundary(dev, p->seg_boundary);
	if (p->max_seg_size)
		dma_set_max_seg_size(dev, p->max_seg_size);
	return 0;
}

/**
 * mmdma_provider_register() - hand an engine to the core
 * @p: the description (struct mmdma_provider), filled in, core-private
 *     fields zero; the provider keeps it alive and unchanged until
 *     mmdma_provider_unregister() has returned
 *
 * Sets @p->dev's DMA mask (@p->dma_bits), segment boundary and maximum
 * segment size, allocates the device's staging buffers (only with @p->ops:
 * nothing else copies through them), and creates the
 * node /dev/mmdma-<name><N>.  From then on @p->ops may be called; the
 * provider's interrupts (or whatever calls mmdma_provider_done()) must
 * already work.  Process context; may sleep.
 *
 * Return: 0; -EINVAL for a description the core cannot serve (logged);
 * -EIO (or the DMA layer's error) when the DMA mask is refused; -ENOMEM;
 * or misc_register()'s error.
 */
int mmdma_provider_register(struct mmdma_provider *p)
{
	struct mmdma_dev *mdev;
	int ret;

	ret = mmdma_provider_check(p);
	if (ret)
		return ret;
	ret = mmdma_provider_dma_setup(p);
	if (ret)
		return ret;
	mdev = mmdma_dev_create(p);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	/* Before the node exists: the first completion must find it. */
	spin_lock_irq(&mmdma_provider_lock);
	p->mdev = mdev;
	spin_unlock_irq(&mmdma_provider_lock);
	ret = mmdma_dev_register(mdev);
	if (ret) {
		spin_lock_irq(&mmdma_provider_lock);
		p->mdev = NULL;
		spin_unlock_irq(&mmdma_provider_lock);
		mmdma_dev_put(mdev);
	}
	return ret;
}
MMDMA_EXPORT(mmdma_provider_register);

/**
 * mmdma_provider_unregister() - the engine is going away
 * @p: a registered description
 *
 * The node disappears; queued transfers fail with ENODEV and the running
 * one stops after its batch (or @p->ops->terminate() is called if it times
 * out); calls still inside the device are waited for; buffers attached to
 * the device lose their mappings, coherent memory made for it is revoked,
 * user mappings of its node and register window are zapped; open fds of
 * the node get ENODEV from then on.  Returns when the core will never call
 * @p->ops again and holds no DMA mapping or allocation for @p->dev.  The
 * core keeps a reference to @p->dev (not to the provider's module) until
 * the last open fd is closed.  A later mmdma_provider_done() on @p is
 * ignored.  Process context; sleeps.
 */
void mmdma_provider_unregister(struct mmdma_provider *p)
{
	struct mmdma_dev *mdev = p->mdev;

	if (WARN_ON_ONCE(!mdev))
		return;
	mmdma_dev_unregister(mdev);
	/* A completion racing with this sees NULL, or holds its own ref. */
	spin_lock_irq(&mmdma_provider_lock);
	p->mdev = NULL;
	spin_unlock_irq(&mmdma_provider_lock);
	mmdma_dev_put(mdev);
}
MMDMA_EXPORT(mmdma_provider_unregister);

static void mmdma_provider_devm_unregister(void *p)
{
	mmdma_provider_unregister(p);
}

/**
 * devm_mmdma_provider_register() - mmdma_provider_register(), undone when
 *                                  @dev's driver is unbound
 * @dev: the device whose devres unregisters (usually @p->dev)
 * @p:   as for mmdma_provider_register()
 *
 * Devres undoes in reverse order: what the engine needs until it has
 * drained (its interrupt, its workqueue, its memory, @p itself) must be
 * set up with devres before this call, so it goes after unregistration;
 * a driver's remove() runs before devres, so it must not tear down any of
 * that either.
 *
 * Return: as mmdma_provider_register(); -ENOMEM if the devres action
 * cannot be added (the engine is then unregistered again).
 */
int devm_mmdma_provider_register(struct device *dev, struct mmdma_provider *p)
{
	int ret = mmdma_provider_register(p);

	if (ret)
		return ret;
	return devm_add_action_or_reset(dev, mmdma_provider_devm_unregister, p);
}
MMDMA_EXPORT(devm_mmdma_provider_register);

/**
 * mmdma_provider_done() - the batch of a submit has ended
 * @p:   the description the batch was submitted to
 * @seq: the @seq of that submit
 * @err: 0 when every operation moved all its bytes, else -errno (-EIO for
 *       a device error): the request fails with it
 *
 * Process context (a threaded interrupt handler, a work item): the core
 * unmaps, copies out and submits the next batch from here.  Never call it
 * from within ops->submit or ops->terminate.  A report with no batch
 * running, about an older batch (one that timed out), or after
 * mmdma_provider_unregister() has started to clear @p, is ignored: the
 * provider need not order its last interrupt against unregistration,
 * only keep @p alive until no more calls can come.
 */
void mmdma_provider_done(struct mmdma_provider *p, u32 seq, int err)
{
	struct mmdma_dev *mdev;
	unsigned long flags;

	spin_lock_irqsave(&mmdma_provider_lock, flags);
	mdev = p->mdev;
	if (mdev)
		kref_get(&mdev->ref);
	spin_unlock_irqrestore(&mmdma_provider_lock, flags);
	if (!mdev)
		return;
	mmdma_dev_op_done(mdev, seq, err);
	mmdma_dev_put(mdev);
}
MMDMA_EXPORT(mmdma_provider_done);

/**
 * mmdma_provider_event() - the device raised an event for user space
 * @p: a description with MMDMA_PROV_EVENTS
 *
 * Counts one event on the node (the __u32 that read(2) returns, wrapping
 * at 2^32), wakes every reader and poller, and signals every eventfd
 * registered with MMDMA_DEV_IRQ_EVENTFD.  Any context, hard interrupt
 * included: it takes only irq-safe spinlocks and never sleeps; the
 * provider holds whatever lock it likes.  Before registration, and once
 * mmdma_provider_unregister() has woken the node's readers with ENODEV
 * (it does so before waiting for anything), it does nothing, so a
 * provider need not order its last interrupt against unregistration,
 * only keep @p alive until no more calls can come (free the interrupt
 * after unregistering).  Without MMDMA_PROV_EVENTS it does nothing.
 */
void mmdma_provider_event(struct mmdma_provider *p)
{
	struct mmdma_dev *mdev;
	unsigned long flags;

	/* The lock keeps @mdev alive: unregistration clears it under it. */
	spin_lock_irqsave(&mmdma_provider_lock, flags);
	mdev = p->mdev;
	if (mdev)
		mmdma_event_raise(mdev);
	spin_unlock_irqrestore(&mmdma_provider_lock, flags);
}
MMDMA_EXPORT(mmdma_provider_event);
