// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: a PCI driver for QEMU's "edu" device (docs/specs/edu.rst in QEMU).
 *
 * BAR0 (1 MiB of MMIO) holds an identity register, a liveness register
 * (reads back the inverse of what was written), a factorial unit, interrupt
 * status/raise/acknowledge registers and a DMA engine that moves data
 * between host memory and a 4 KiB buffer inside the device at 0x40000, one
 * transfer at a time, raising an interrupt when asked.
 *
 * Device quirks the driver works around (QEMU 7.2, Debian 12):
 *  - a DMA that touches the last byte of the 4 KiB window, or has length 0,
 *    aborts the whole VM ("DMA range ... out of bounds"): the usable device
 *    memory is 4095 bytes and edu_start() refuses anything else;
 *  - the engine drives 28 address bits unless QEMU is told otherwise
 *    (-device edu,dma_mask=...) and silently clamps higher addresses, so the
 *    DMA mask must say 28 bits ("dealing with difficult hardware");
 *  - each DMA completes 100 ms of virtual time after it starts.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "mmdma.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define  EDU_STATUS_COMPUTING	0x01
#define  EDU_STATUS_IRQFACT	0x80
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define  EDU_IRQ_FACT		0x001
#define  EDU_IRQ_DMA		0x100
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		0x1
#define  EDU_DMA_TO_HOST	0x2	/* device buffer -> host memory */
#define  EDU_DMA_IRQ		0x4

#define EDU_ID_MAGIC		0xed
#define EDU_WINDOW		0x40000
#define EDU_WINDOW_SIZE		4096
/* The last byte of the window is out of bounds for QEMU 7.2 (see above). */
#define EDU_MEM_SIZE		(EDU_WINDOW_SIZE - 1)

static unsigned int edu_dma_bits = 28;
/* 24 bits is ISA's reach, the smallest the kernel's DMA zones serve. */
mmdma_param_uint(edu_dma_bits, edu_dma_bits, 0644, .min = 24, .max = 64,
		 .why = "DMA address bits: the kernel serves masks of 24 to 64 bits");
MODULE_PARM_DESC(edu_dma_bits, "address bits the edu DMA engine drives, 24 to 64 (default 28, QEMU's default; match -device edu,dma_mask=)");

static bool edu_msi = true;
module_param(edu_msi, bool, 0644);
MODULE_PARM_DESC(edu_msi, "use MSI (default), or the legacy INTx line when 0; read at probe");

static unsigned int edu_inject_hang;
module_param(edu_inject_hang, uint, 0644);
MODULE_PARM_DESC(edu_inject_hang, "testing: start the next N DMA operations without their completion interrupt");

/**
 * struct mmdma_edu - one edu device
 * @pdev:     the PCI device
 * @regs:     BAR0
 * @bar:      BAR0's bus address range, for user mappings
 * @mdev:     the DMA device registered for it
 * @pending:  interrupt causes the hard handler saw and the thread has not
 *            yet handled (atomic bit operations)
 * @seq:      mdev->op_seq of the DMA programmed last
 * @done_seq: @seq when the DMA interrupt came, reported to the core
 * @fact_done: completed by the factorial interrupt
 */
struct mmdma_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct resource *bar;
	struct mmdma_dev *mdev;
	unsigned long pending;
	u32 seq;
	u32 done_seq;
	struct completion fact_done;
};

static u32 edu_read(struct mmdma_edu *edu, unsigned int reg)
{
	return ioread32(edu->regs + reg);
}

static void edu_write(struct mmdma_edu *edu, unsigned int reg, u32 val)
{
	iowrite32(val, edu->regs + reg);
}

/* The DMA registers take 64-bit values; a 32-bit write sets only the low half. */
static void edu_write64(struct mmdma_edu *edu, unsigned int reg, u64 val)
{
	writeq(val, edu->regs + reg);
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct mmdma_edu *edu = data;
	u32 status = edu_read(edu, EDU_REG_IRQ_STATUS);

	/* INTx may be shared: an edu with nothing pending did not raise it. */
	if (!status)
		return IRQ_NONE;
	/* Acknowledge now: a level-triggered INTx line stays up until then. */
	edu_write(edu, EDU_REG_IRQ_ACK, status);
	if (status & EDU_IRQ_FACT)
		set_bit(0, &edu->pending);
	if (status & EDU_IRQ_DMA) {
		/* Which start this completion belongs to, for the core. */
		WRITE_ONCE(edu->done_seq, READ_ONCE(edu->seq));
		set_bit(1, &edu->pending);
	}
	return IRQ_WAKE_THREAD;
}

static irqreturn_t edu_irq_thread(int irq, void *data)
{
	struct mmdma_edu *edu = data;

	if (test_and_clear_bit(0, &edu->pending))
		complete(&edu->fact_done);
	if (test_and_clear_bit(1, &edu->pending)) {
		struct mmdma_dev *mdev = READ_ONCE(edu->mdev);

		if (mdev)
			mmdma_dev_op_done(mdev, READ_ONCE(edu->done_seq), 0);
	}
	return IRQ_HANDLED;
}

static int edu_start(struct mmdma_dev *mdev, const struct mmdma_op *op,
		     unsigned int n)
{
	struct mmdma_edu *edu = mdev->priv;
	u64 window = EDU_WINDOW + op->dev_off;
	u32 cmd = EDU_DMA_RUN | EDU_DMA_IRQ;

	/* Never program what aborts QEMU: see the quirks at the top. */
	if (n != 1 || !op->len || op->dev_off + op->len > EDU_MEM_SIZE)
		return -EINVAL;
	if (edu_read(edu, EDU_REG_DMA_CMD) & EDU_DMA_RUN)
		return -EBUSY;

	if (edu_inject_hang) {
		edu_inject_hang--;
		cmd &= ~EDU_DMA_IRQ;
	}
	if (op->to_dev) {
		edu_write64(edu, EDU_REG_DMA_SRC, op->bus);
		edu_write64(edu, EDU_REG_DMA_DST, window);
	} else {
		edu_write64(edu, EDU_REG_DMA_SRC, window);
		edu_write64(edu, EDU_REG_DMA_DST, op->bus);
		cmd |= EDU_DMA_TO_HOST;
	}
	edu_write64(edu, EDU_REG_DMA_COUNT, op->len);
	WRITE_ONCE(edu->seq, mdev->op_seq);
	/* writeq() orders the CPU's earlier writes to DMA memory before this. */
	edu_write64(edu, EDU_REG_DMA_CMD, cmd);
	return 0;
}

/*
 * An operation timed out.  The engine cannot be aborted, so cut it off the
 * bus (with bus mastering off QEMU drops its memory accesses, as a real
 * bridge would) and wait for it to go idle before the memory is unmapped.
 */
static void edu_stop(struct mmdma_dev *mdev)
{
	struct mmdma_edu *edu = mdev->priv;
	u32 cmd;

	pci_clear_master(edu->pdev);
	if (read_poll_timeout(edu_read, cmd, !(cmd & EDU_DMA_RUN), 1000,
			      2000000, false, edu, EDU_REG_DMA_CMD))
		dev_err(&edu->pdev->dev, "DMA engine still busy after 2 s\n");
	/* A completion of the stopped operation must not end the next one. */
	WRITE_ONCE(edu->seq, mdev->op_seq - 1);
	pci_set_master(edu->pdev);
}

/*
 * BAR0 reaches user space a page per fault, not at mmap() time.  A page is
 * put in only under mdev->lock with the device alive, and a fault only
 * happens in a VMA that is already on the node's mapping list, so an
 * unbind (dead set under the lock, then the list zapped) finds every
 * page.  A mapping filled in ->mmap (vm_iomap_memory()) joins that list
 * only after ->mmap returns: an unbind in between would miss it and leave
 * a live mapping of a BAR the driver has let go of.
 */
static vm_fault_t edu_bar_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmdma_dev *mdev = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&mdev->lock);
	if (!mdev->dead) {
		struct mmdma_edu *edu = mdev->priv;

		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(edu->bar->start) + vmf->pgoff);
	}
	mutex_unlock(&mdev->lock);
	return ret;
}

/*
 * ptrace (gdb): through the driver's own mapping of the registers, also
 * for pages not faulted in yet; writes only through a writable mapping;
 * -EIO once the device is gone.
 */
static int edu_bar_access(struct vm_area_struct *vma, unsigned long addr,
			  void *buf, int len, int write)
{
	struct mmdma_dev *mdev = vma->vm_private_data;
	unsigned long off = addr - vma->vm_start +
			    (vma->vm_pgoff << PAGE_SHIFT);
	int ret = -EIO;

	/* As generic_access_phys(): a read-only mapping stays read-only. */
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EINVAL;
	len = min_t(unsigned long, len, vma->vm_end - addr);
	mutex_lock(&mdev->lock);
	if (!mdev->dead) {
		struct mmdma_edu *edu = mdev->priv;
		resource_size_t size = resource_size(edu->bar);

		if (off < size) {
			len = min_t(resource_size_t, len, size - off);
			if (write)
				memcpy_toio(edu->regs + off, buf, len);
			else
				memcpy_fromio(buf, edu->regs + off, len);
			ret = len;
		}
	}
	mutex_unlock(&mdev->lock);
	return ret;
}

static const struct vm_operations_struct edu_bar_vm_ops = {
	.fault	= edu_bar_fault,
	.access	= edu_bar_access,
};

/*
 * "Remapping specific I/O regions": BAR0 mapped uncached into user space,
 * at fault time (see edu_bar_fault() for why not all at once).  Whoever
 * can write the DMA registers can read and write all of RAM, hence
 * CAP_SYS_RAWIO.  Called with mdev->lock held, the device alive.
 */
static int edu_mmap(struct mmdma_dev *mdev, struct vm_area_struct *vma)
{
	struct mmdma_edu *edu = mdev->priv;
	unsigned long pages = resource_size(edu->bar) >> PAGE_SHIFT;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	/* VM_MAYSHARE: a read-only fd gives a shared mapping without VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* Inside BAR0, as vm_iomap_memory() would check. */
	if (offset_in_page(edu->bar->start) || vma->vm_pgoff >= pages ||
	    vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	/* The VMA holds the file, the file the device. */
	vma->vm_private_data = mdev;
	vma->vm_ops = &edu_bar_vm_ops;
	return 0;
}

static const struct mmdma_dev_ops edu_ops = {
	.start	= edu_start,
	.stop	= edu_stop,
	.mmap	= edu_mmap,
};

/* Probe-time self-check of everything but DMA. */
/*
 * QEMU computes the factorial in a thread of its own, on the host's clock,
 * so the self-check waits by spinning, never idle: with -icount sleep=off
 * an idle guest's clock jumps straight to its next timer, and a sleeping
 * time-out would expire before that thread had even run (a loaded host
 * failed probe that way).  Probe happens once; the spin is short.  The
 * bound is generous: that thread runs on a host that may be busy (a
 * 2-second bound failed a probe while the host built a kernel), and only a
 * broken device ever spins that long.
 */
#define EDU_FACT_WAIT_MS	10000

static int edu_selfcheck(struct mmdma_edu *edu, bool irq)
{
	struct device *dev = &edu->pdev->dev;
	u32 id = edu_read(edu, EDU_REG_ID), v;
	unsigned int tries;

	if ((id & 0xff) != EDU_ID_MAGIC) {
		dev_err(dev, "identity register reads %#x, not an edu\n", id);
		return -ENODEV;
	}
	edu_write(edu, EDU_REG_LIVENESS, 0x12345678);
	v = edu_read(edu, EDU_REG_LIVENESS);
	if (v != ~0x12345678U) {
		dev_err(dev, "liveness check: wrote 0x12345678, read %#x\n", v);
		return -EIO;
	}

	if (!irq) {
		edu_write(edu, EDU_REG_STATUS, 0);
		edu_write(edu, EDU_REG_FACT, 5);
		if (read_poll_timeout_atomic(edu_read, v,
					     !(v & EDU_STATUS_COMPUTING), 10,
					     EDU_FACT_WAIT_MS * 1000, false, edu,
					     EDU_REG_STATUS)) {
			dev_err(dev, "factorial by polling never finished\n");
			return -ETIMEDOUT;
		}
		v = edu_read(edu, EDU_REG_FACT);
		if (v != 120) {
			dev_err(dev, "5! by polling gave %u\n", v);
			return -EIO;
		}
		return 0;
	}

	/*
	 * Twice at most: after rapid unbinds and rebinds the first interrupt
	 * was seen to go missing (2 probes in about 40 in one run); a second
	 * that goes missing too is a broken device.
	 */
	for (tries = 0; tries < 2; tries++) {
		/* edu ignores a factorial written while it still computes. */
		if (read_poll_timeout_atomic(edu_read, v,
					     !(v & EDU_STATUS_COMPUTING), 10,
					     EDU_FACT_WAIT_MS * 1000, false, edu,
					     EDU_REG_STATUS)) {
			dev_err(dev, "the factorial unit never went idle\n");
			return -ETIMEDOUT;
		}
		reinit_completion(&edu->fact_done);
		clear_bit(0, &edu->pending);
		edu_write(edu, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
		edu_write(edu, EDU_REG_FACT, 6);
		/*
		 * The hard handler's mark counts too: the spin may hold the
		 * CPU the interrupt thread is bound to.
		 */
		for (v = 0; v < EDU_FACT_WAIT_MS; v++) {
			if (try_wait_for_completion(&edu->fact_done) ||
			    test_and_clear_bit(0, &edu->pending))
				break;
			mdelay(1);
		}
		if (v < EDU_FACT_WAIT_MS)
			break;
		edu_write(edu, EDU_REG_STATUS, 0);
		dev_info(dev, "no factorial interrupt%s\n",
			 tries ? "" : ", trying once more");
	}
	if (tries == 2) {
		dev_err(dev, "no factorial interrupt\n");
		return -ETIMEDOUT;
	}
	edu_write(edu, EDU_REG_STATUS, 0);
	v = edu_read(edu, EDU_REG_FACT);
	if (v != 720) {
		dev_err(dev, "6! by interrupt gave %u\n", v);
		return -EIO;
	}
	return 0;
}

static int edu_setup_irq(struct mmdma_edu *edu, u32 *flags)
{
	struct pci_dev *pdev = edu->pdev;
	unsigned int types = edu_msi ? PCI_IRQ_MSI | PCI_IRQ_INTX : PCI_IRQ_INTX;
	int ret;

	/* pcim_enable_device() makes the vectors managed as well. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, types);
	if (ret < 0)
		return ret;
	*flags = pdev->msi_enabled ? MMDMA_DEVF_MSI : MMDMA_DEVF_INTX;
	return devm_request_threaded_irq(&pdev->dev, pci_irq_vector(pdev, 0),
					 edu_irq, edu_irq_thread,
					 pdev->msi_enabled ? 0 : IRQF_SHARED,
					 dev_name(&pdev->dev), edu);
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct mmdma_dev *mdev;
	struct mmdma_edu *edu;
	u32 irq_flags = 0;
	int ret;

	edu = devm_kzalloc(dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	init_completion(&edu->fact_done);
	pci_set_drvdata(pdev, edu);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	edu->regs = mmdma_pcim_iomap(pdev, 0, MMDMA_NAME);
	if (IS_ERR(edu->regs))
		return PTR_ERR(edu->regs);
	edu->bar = &pdev->resource[0];

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(min(edu_dma_bits, 64U)));
	if (ret) {
		dev_err(dev, "cannot use a %u-bit DMA mask: %d\n", edu_dma_bits, ret);
		return ret;
	}
	pci_set_master(pdev);

	ret = edu_selfcheck(edu, false);
	if (ret)
		return ret;
	ret = edu_setup_irq(edu, &irq_flags);
	if (ret) {
		dev_err(dev, "no interrupt: %d\n", ret);
		return ret;
	}
	ret = edu_selfcheck(edu, true);
	if (ret)
		return ret;

	mdev = mmdma_dev_create(dev, MMDMA_DEV_EDU, &edu_ops, EDU_MEM_SIZE,
				EDU_MEM_SIZE, edu);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	mdev->flags = irq_flags;
	WRITE_ONCE(edu->mdev, mdev);
	ret = mmdma_dev_register(mdev);
	if (ret)
		goto err_put_mdev;
	return 0;

err_put_mdev:
	WRITE_ONCE(edu->mdev, NULL);
	mmdma_dev_put(mdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct mmdma_edu *edu = pci_get_drvdata(pdev);
	struct mmdma_dev *mdev = edu->mdev;

	mmdma_dev_unregister(mdev);
	/* No interrupt may look at @mdev once the last reference can go. */
	devm_free_irq(&pdev->dev, pci_irq_vector(pdev, 0), edu);
	WRITE_ONCE(edu->mdev, NULL);
	mmdma_dev_put(mdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= "mmdma-edu",
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};

int mmdma_edu_init(void)
{
	return pci_register_driver(&edu_driver);
}

void mmdma_edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
}
