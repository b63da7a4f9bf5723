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
 *    the kernel) and counts it: the PCI device's sysfs attribute
 *    mmdma_irq_count reads the count and is pollable (POLLPRI), and after an
 *    INTx the line stays masked until user space has silenced the device
 *    and writes 1 to mmdma_irq_ack.
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
 *             register window when it is a page-aligned memory BAR)
 * @count:     interrupts taken since probe
 * @lock:      orders @masked between the handler and an acknowledgement
 * @masked:    INTx is masked by the kernel and waits for mmdma_irq_ack
 * @intx_mask: INTx is masked at the device (PCI_COMMAND_INTX_DISABLE), so
 *             the line may be shared; else the interrupt is disabled
 * @irq:       the Linux interrupt number
 * @irq_requested: @irq has our handler (the device has an interrupt)
 */
struct mmdma_pci {
	struct pci_dev *pdev;
	struct mmdma_provider prov;
	atomic64_t count;
	spinlock_t lock;
	bool masked;
	bool intx_mask;
	int irq;
	bool irq_requested;
};

static irqreturn_t pci_irq(int irq, void *data)
{
	struct mmdma_pci *mp = data;

	if (mp->pdev->msi_enabled) {
		atomic64_inc(&mp->count);
		return IRQ_WAKE_THREAD;
	}
	/*
	 * INTx is level triggered: it stays up until user space silences the
	 * device, so mask it here and unmask at the acknowledgement.
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
	atomic64_inc(&mp->count);
	spin_unlock(&mp->lock);
	return IRQ_WAKE_THREAD;
}

/* sysfs_notify() sleeps: the thread wakes poll()ers of the count. */
static irqreturn_t pci_irq_thread(int irq, void *data)
{
	struct mmdma_pci *mp = data;

	sysfs_notify(&mp->pdev->dev.kobj, NULL, "mmdma_irq_count");
	return IRQ_HANDLED;
}

static ssize_t mmdma_irq_count_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct mmdma_pci *mp = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&mp->count));
}
static DEVICE_ATTR_RO(mmdma_irq_count);

/*
 * Unmask INTx after user space has silenced the device.  A device that
 * still asserts the line has raised the next interrupt: it is counted and
 * the line stays masked.  With MSI there is nothing to unmask.
 */
static ssize_t mmdma_irq_ack_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct mmdma_pci *mp = dev_get_drvdata(dev);
	bool again = false;
	unsigned int v;
	int ret;

	ret = kstrtouint(buf, 0, &v);
	if (ret)
		return ret;
	if (v != 1)
		return -EINVAL;
	spin_lock_irq(&mp->lock);
	if (mp->masked) {
		if (!mp->intx_mask) {
			mp->masked = false;
			enable_irq(mp->irq);
		} else if (pci_check_and_unmask_intx(mp->pdev)) {
			mp->masked = false;
		} else {
			atomic64_inc(&mp->count);
			again = true;
		}
	}
	spin_unlock_irq(&mp->lock);
	if (again)
		sysfs_notify(&dev->kobj, NULL, "mmdma_irq_count");
	return count;
}
static DEVICE_ATTR_WO(mmdma_irq_ack);

/* Created after probe and removed before remove by the driver core. */
static struct attribute *pci_attrs[] = {
	&dev_attr_mmdma_irq_count.attr,
	&dev_attr_mmdma_irq_ack.attr,
	NULL
};
ATTRIBUTE_GROUPS(pci);

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
	ret = devm_request_threaded_irq(&pdev->dev, mp->irq, pci_irq,
					pci_irq_thread, irqf,
					dev_name(&pdev->dev), mp);
	mp->irq_requested = !ret;
	return ret;
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
	atomic64_set(&mp->count, 0);
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

	if (pdev->irq || pdev->msi_cap) {
		ret = pci_setup_irq(mp, &irq_flags);
		if (ret) {
			dev_err(dev, "no interrupt: %d\n", ret);
			return ret;
		}
	}

	mp->prov = (struct mmdma_provider){
		.name		= "pci",
		.kind		= MMDMA_DEV_PCI,
		.dev		= dev,
		.ops		= NULL,	/* user space drives the device */
		.dma_bits	= pci_dma_bits,
		.flags		= irq_flags,
		.regs		= regs,
	};
	return mmdma_provider_register(&mp->prov);
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
	/* Attachments, coherent memory and BAR mappings are revoked here. */
	mmdma_provider_unregister(&mp->prov);
	/*
	 * An INTx line still masked at the device (no acknowledgement came)
	 * would stay masked for the next driver: free the handler, then
	 * unmask (a line disabled with disable_irq_nosync() is reset by the
	 * next request_irq()).
	 */
	if (mp->irq_requested) {
		devm_free_irq(&pdev->dev, mp->irq, mp);
		if (mp->masked && mp->intx_mask)
			pci_check_and_unmask_intx(pdev);
	}
	/* devres then frees BAR 0, the vectors and @mp. */
}

/* No id table: bound only by driver_override or new_id. */
static struct pci_driver mmdma_pci_driver = {
	.name		= "mmdma-pci",
	.probe		= pci_probe,
	.remove		= pci_remove,
	/* Not .driver.dev_groups: pci_register_driver() copies this there. */
	.dev_groups	= pci_groups,
};

module_pci_driver(mmdma_pci_driver);

MODULE_DESCRIPTION("mmdma provider: any PCI device the administrator binds, for user-space drivers");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MMDMA_VERSION);
MMDMA_IMPORT_NS();
