// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma_edu: a provider module, the PCI driver for QEMU's "edu" device (docs/specs/edu.rst in QEMU).
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
 *    memory is 4095 bytes and edu_submit() refuses anything else;
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
#include <uapi/linux/mmdma.h>

#include "mmdma_provider.h"

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
 * @prov:     its description for the core; BAR0 is its register window
 * @pending:  interrupt causes the hard handler saw and the thread has not
 *            yet handled (atomic bit operations)
 * @seq:      the core's sequence number of the DMA programmed last
 * @done_seq: @seq when the DMA interrupt came, reported to the core
 * @fact_done: completed by the factorial interrupt
 */
struct mmdma_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct mmdma_provider prov;
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
	/* Ignored by the core before registration and after unregistration. */
	if (test_and_clear_bit(1, &edu->pending))
		mmdma_provider_done(&edu->prov, READ_ONCE(edu->done_seq), 0);
	return IRQ_HANDLED;
}

static int edu_submit(struct mmdma_provider *p, const struct mmdma_op *op,
		      unsigned int n, u32 seq)
{
	struct mmdma_edu *edu = container_of(p, struct mmdma_edu, prov);
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
	WRITE_ONCE(edu->seq, seq);
	/* writeq() orders the CPU's earlier writes to DMA memory before this. */
	edu_write64(edu, EDU_REG_DMA_CMD, cmd);
	return 0;
}

/*
 * An operation timed out.  The engine cannot be aborted, so cut it off the
 * bus (with bus mastering off QEMU drops its memory accesses, as a real
 * bridge would) and wait for it to go idle before the memory is unmapped.
 */
static void edu_terminate(struct mmdma_provider *p)
{
	struct mmdma_edu *edu = container_of(p, struct mmdma_edu, prov);
	u32 cmd;

	pci_clear_master(edu->pdev);
	if (read_poll_timeout(edu_read, cmd, !(cmd & EDU_DMA_RUN), 1000,
			      2000000, false, edu, EDU_REG_DMA_CMD))
		dev_err(&edu->pdev->dev, "DMA engine still busy after 2 s\n");
	/* A completion of the stopped operation must not end the next one. */
	WRITE_ONCE(edu->seq, edu->seq - 1);
	pci_set_master(edu->pdev);
}

/*
 * BAR0 goes to user space through the core (struct mmdma_region): mapped
 * uncached a page per fault, for CAP_SYS_RAWIO, zapped when the device goes.
 */
static const struct mmdma_provider_ops edu_ops = {
	.submit		= edu_submit,
	.terminate	= edu_terminate,
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
	edu->regs = mmdma_pcim_iomap(pdev, 0, "mmdma-edu");
	if (IS_ERR(edu->regs))
		return PTR_ERR(edu->regs);
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

	edu->prov = (struct mmdma_provider){
		.name		= "edu",
		.kind		= MMDMA_DEV_EDU,
		.dev		= dev,
		.ops		= &edu_ops,
		.mem_size	= EDU_MEM_SIZE,
		.max_op		= EDU_MEM_SIZE,
		.dma_bits	= edu_dma_bits,
		.flags		= irq_flags,
		.regs		= {
			.start	= pci_resource_start(pdev, 0),
			.size	= pci_resource_len(pdev, 0),
			.virt	= edu->regs,
		},
	};
	return mmdma_provider_register(&edu->prov);
}

static void edu_remove(struct pci_dev *pdev)
{
	struct mmdma_edu *edu = pci_get_drvdata(pdev);

	/* Returns when no DMA runs or will start, every mapping is gone. */
	mmdma_provider_unregister(&edu->prov);
	/* devres then frees the interrupt (a late one is ignored), BAR and @edu. */
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

module_pci_driver(edu_driver);

MODULE_DESCRIPTION("mmdma provider: QEMU's edu PCI device as a DMA engine");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MMDMA_VERSION);
MMDMA_IMPORT_NS();
