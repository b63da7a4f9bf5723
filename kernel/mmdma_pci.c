// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma_pci: a generic PCI provider for user-space drivers (issue 13 part 2,
 * docs/pci.md).
 *
 * A PCI driver with no id table: it binds only to a device the
 * administrator names (driver_override or new_id), as uio_pci_generic and
 * vfio-pci do; the PCI core never offers it a device another driver holds.
 * Being the bound driver, it owns the device's DMA API, so mmdma can
 * attach buffers to the device, allocate coherent memory for it and tell
 * CAP_SYS_RAWIO their bus addresses, exactly as for edu.  It has no DMA
 * engine of its own: user space programs the device through BAR 0, mapped
 * through the node's register window (CAP_SYS_RAWIO, zapped on unbind).
 *
 * What the driver does so its users need not:
 *  - sets the DMA mask to dma_bits (module parameter, read at probe);
 *  - enables bus mastering;
 *  - takes the interrupt (MSI where the device has it, else INTx masked in
 *    the kernel) and reports it to the core as an event: the node's read(2)
 *    returns the count, poll(2) waits for it, an eventfd can be signalled
 *    (MMDMA_DEV_IRQ_EVENTFD), and after an INTx the line stays masked until
 *    user space has silenced the device and writes a __u32 1 to the node
 *    (kernel/mmdma_event.c);
 *  - binds a device without an interrupt too: its node has no events
 *    (read(2) EOPNOTSUPP).
 */
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <uapi/linux/mmdma.h>

#include "mmdma_provider.h"

static unsigned int pci_dma_bits = 32;
mmdma_param_uint(dma_bits, pci_dma_bits, 0644, .min = 24, .max = 64,
		 .why = "DMA address bits: the kernel serves masks of 24 to 64 bits");
MODULE_PARM_DESC(dma_bits, "address bits the bound device's DMA drives, 24 to 64 (default 32); read at probe");

static bool pci_msi = true;
module_param_named(msi, pci_msi, bool, 0644);
MODULE_PARM_DESC(msi, "use MSI where the device has it (default), else the INTx line; read at probe");

/**
 * struct mmdma_pci - one device bound to mmdma-pci
 * @pdev:      the PCI device
 * @prov:      its description for the core (no engine; BAR 0 as the
 *             register window when it is a page-aligned memory BAR;
 *             MMDMA_PROV_EVENTS when the device has an interrupt)
 * @lock:      orders @masked and the masking itself between the handler
 *             and irqcontrol (irq-safe)
 * @masked:    the interrupt is masked by the kernel (after an INTx, or
 *             by a write of 0 to the node) and waits for a write of 1
 * @intx_mask: INTx is masked at the device (PCI_COMMAND_INTX_DISABLE), so
 *             the line may be shared; else the interrupt is disabled
 * @irq:       the Linux interrupt number
 * @irq_requested: @irq has our handler (the device has an interrupt)
 */
struct mmdma_pci {
	struct pci_dev *pdev;
	struct mmdma_provider prov;
	spinlock_t lock;
	bool masked;
	bool intx_mask;
	int irq;
	bool irq_requested;
};

/*
 * Set or clear PCI_COMMAND_INTX_DISABLE.  Not pci_intx(): on a managed
 * device (pcim_enable_device()) some kernels record it in devres, which
 * allocates (we may hold a spinlock) and restores the old state after
 * remove (we want the line left masked).  The config accessors take the
 * PCI core's raw lock; the read-modify-write is ordered against our
 * handler by mp->lock.
 */
static void pci_intx_set_masked(struct pci_dev *pdev, bool mask)
{
	u16 cmd, want;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	want = mask ? cmd | PCI_COMMAND_INTX_DISABLE :
		      cmd & ~PCI_COMMAND_INTX_DISABLE;
	if (want != cmd)
		pci_write_config_word(pdev, PCI_COMMAND, want);
}

static irqreturn_t pci_irq(int irq, void *data)
{
	struct mmdma_pci *mp = data;

	if (mp->pdev->msi_enabled) {
		/* Masked by a write of 0: disable_irq_nosync() holds it back. */
		mmdma_provider_event(&mp->prov);
		return IRQ_HANDLED;
	}
	/*
	 * INTx is level triggered: it stays up until user space silences the
	 * device, so mask it here and unmask at a write of 1 to the node.
	 */
	spin_lock(&mp->lock);
	if (mp->intx_mask) {
		/*
		 * A shared line: not ours unless the device asserts it, and
		 * not while ours is masked already (the disable bit leaves
		 * the device's status bit set: another device's interrupt
		 * would be counted and claimed as ours).
		 */
		if (mp->masked || !pci_check_and_mask_intx(mp->pdev)) {
			spin_unlock(&mp->lock);
			return IRQ_NONE;
		}
	} else {
		disable_irq_nosync(irq);
	}
	mp->masked = true;
	spin_unlock(&mp->lock);
	mmdma_provider_event(&mp->prov);
	return IRQ_HANDLED;
}

/*
 * A write to the node (the core's irqcontrol): @on unmasks after user
 * space has silenced the device, !@on masks.  An INTx line the device
 * still asserts is the next interrupt: it is counted as an event and the
 * line stays masked, so a user who acknowledges without silencing the
 * device gets one event per write, never a storm.  MSI is masked with
 * disable_irq_nosync(): a message that comes meanwhile is replayed at the
 * unmask.  Process context, inside the device (so never after
 * unregistration).
 */
static int pci_irqcontrol(struct mmdma_provider *p, bool on)
{
	struct mmdma_pci *mp = container_of(p, struct mmdma_pci, prov);
	bool by_line = mp->pdev->msi_enabled || !mp->intx_mask;
	bool again = false;

	spin_lock_irq(&mp->lock);
	if (on && mp->masked) {
		if (by_line) {
			mp->masked = false;
			enable_irq(mp->irq);
		} else if (pci_check_and_unmask_intx(mp->pdev)) {
			mp->masked = false;
		} else {
			again = true;
		}
	} else if (!on && !mp->masked) {
		if (by_line)
			disable_irq_nosync(mp->irq);
		else
			pci_intx_set_masked(mp->pdev, true);
		mp->masked = true;
	}
	spin_unlock_irq(&mp->lock);
	if (again)
		mmdma_provider_event(p);
	return 0;
}

/*
 * The device's one interrupt: MSI where it has it (and msi=1), else INTx.
 * Return: 0 with *@flags saying which, or -errno (the device then binds
 * without events).
 */
static int pci_setup_irq(struct mmdma_pci *mp, u32 *flags)
{
	struct pci_dev *pdev = mp->pdev;
	unsigned int types = PCI_IRQ_INTX;
	unsigned long irqf = 0;
	int ret;

	if (pci_msi && pdev->msi_cap)
		types |= PCI_IRQ_MSI;
	/* pcim_enable_device() makes the vectors managed as well. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, types);
	if (ret < 0)
		return ret;
	mp->irq = pci_irq_vector(pdev, 0);
	if (pdev->msi_enabled) {
		*flags = MMDMA_DEVF_MSI;
	} else {
		*flags = MMDMA_DEVF_INTX;
		mp->intx_mask = pci_intx_mask_supported(pdev);
		if (mp->intx_mask)
			irqf = IRQF_SHARED;
	}
	/* Not devm: remove() frees it before leaving INTx masked. */
	ret = request_irq(mp->irq, pci_irq, irqf, dev_name(&pdev->dev), mp);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	mp->irq_requested = true;
	/*
	 * An earlier unbind left INTx masked at the device (and a device
	 * without a reset method keeps that): open it for our handler.
	 */
	if (!pdev->msi_enabled && mp->intx_mask) {
		spin_lock_irq(&mp->lock);
		pci_intx_set_masked(pdev, false);
		spin_unlock_irq(&mp->lock);
	}
	return 0;
}

/*
 * Reset the function where it can be (FLR, PM or bus reset); probe and
 * remove hold the device lock the _locked form wants.  A device without a
 * reset method (QEMU's edu) is left as it is: docs/pci.md says so.
 */
static void pci_reset_quietly(struct pci_dev *pdev)
{
	int ret = pci_reset_function_locked(pdev);

	if (ret)
		dev_dbg(&pdev->dev, "no function reset: %d\n", ret);
}

/*
 * Free the handler and the vectors, and leave INTx masked at the device:
 * a device left asserting its line (no driver silences it any more)
 * would otherwise make a storm on it, and on a shared line the kernel
 * would disable it for every device sharing it ("nobody cared").  The
 * next driver that takes INTx unmasks it (as our probe does).  The
 * vectors go first: disabling MSI turns INTx back on.
 */
static void mmdma_pci_free_irq(struct mmdma_pci *mp)
{
	if (!mp->irq_requested)
		return;
	free_irq(mp->irq, mp);
	mp->irq_requested = false;
	pci_free_irq_vectors(mp->pdev);
	pci_intx_set_masked(mp->pdev, true);
}

static int pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct mmdma_region regs = {};
	struct mmdma_pci *mp;
	u32 irq_flags = 0;
	int ret;

	/*
	 * Endpoints only: a bridge losing bus mastering at unbind would stop
	 * forwarding the DMA and MSIs of every device behind it.
	 */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		dev_err(dev, "not an endpoint (header type %u): refused\n",
			pdev->hdr_type);
		return -EINVAL;
	}
	mp = devm_kzalloc(dev, sizeof(*mp), GFP_KERNEL);
	if (!mp)
		return -ENOMEM;
	mp->pdev = pdev;
	spin_lock_init(&mp->lock);
	pci_set_drvdata(pdev, mp);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	/* The core maps whole pages only: a smaller BAR 0 is not offered. */
	if ((pci_resource_flags(pdev, 0) & IORESOURCE_MEM) &&
	    PAGE_ALIGNED(pci_resource_start(pdev, 0)) &&
	    PAGE_ALIGNED(pci_resource_len(pdev, 0)) &&
	    pci_resource_len(pdev, 0)) {
		regs.virt = mmdma_pcim_iomap(pdev, 0, "mmdma-pci");
		if (IS_ERR(regs.virt))
			return PTR_ERR(regs.virt);
		regs.start = pci_resource_start(pdev, 0);
		regs.size = pci_resource_len(pdev, 0);
	} else {
		dev_info(dev, "BAR 0 is not a page-aligned memory BAR: no register window\n");
	}
	/*
	 * The device may still hold addresses an earlier user gave it (a
	 * descriptor ring in memory since freed): reset it, where it has a
	 * reset method, before it may master the bus again.
	 */
	pci_reset_quietly(pdev);
	pci_set_master(pdev);

	/*
	 * A device without a usable interrupt binds all the same, without
	 * events.  An interrupt that comes before the node exists is not
	 * counted (the core ignores events before registration); an INTx one
	 * leaves the line masked, and the first write of 1 finds it pending
	 * and counts it then.
	 */
	if (pdev->irq || pdev->msi_cap) {
		ret = pci_setup_irq(mp, &irq_flags);
		if (ret)
			dev_info(dev, "no interrupt (%d): the node has no events\n",
				 ret);
	} else {
		dev_info(dev, "no interrupt: the node has no events\n");
	}

	mp->prov = (struct mmdma_provider){
		.name		= "pci",
		.kind		= MMDMA_DEV_PCI,
		.dev		= dev,
		.ops		= NULL,	/* user space drives the device */
		.dma_bits	= pci_dma_bits,
		.flags		= irq_flags,
		.caps		= mp->irq_requested ? MMDMA_PROV_EVENTS : 0,
		.regs		= regs,
		.irqcontrol	= mp->irq_requested ? pci_irqcontrol : NULL,
	};
	ret = mmdma_provider_register(&mp->prov);
	if (ret)
		mmdma_pci_free_irq(mp);
	return ret;
}

static void pci_remove(struct pci_dev *pdev)
{
	struct mmdma_pci *mp = pci_get_drvdata(pdev);

	/*
	 * User space may have left the device running: cut it off the bus
	 * before the memory it was given goes back to the kernel.
	 */
	pci_clear_master(pdev);
	pci_reset_quietly(pdev);
	/*
	 * Attachments, coherent memory and BAR mappings are revoked here,
	 * event readers and pollers woken, eventfds dropped; the core calls
	 * irqcontrol no more.
	 */
	mmdma_provider_unregister(&mp->prov);
	mmdma_pci_free_irq(mp);
	/* devres then frees BAR 0 and @mp. */
}

/* No id table: bound only by driver_override or new_id. */
static struct pci_driver mmdma_pci_driver = {
	.name		= "mmdma-pci",
	.probe		= pci_probe,
	.remove		= pci_remove,
};

module_pci_driver(mmdma_pci_driver);

MODULE_DESCRIPTION("mmdma provider: any PCI device the administrator binds, for user-space drivers");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MMDMA_VERSION);
MMDMA_IMPORT_NS();
