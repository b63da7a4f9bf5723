// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma_isa: a provider module, "DMA for ISA Devices".  The primary floppy disk controller of a PC
 * (an 82077-compatible FDC at I/O ports 0x3f0, IRQ 6), moving sectors over
 * channel 2 of the 8237 (QEMU: -device isa-fdc, i8257) through the kernel's
 * ISA DMA API: request_dma()/free_dma(), and under claim_dma_lock() the
 * disable_dma(), clear_dma_ff(), set_dma_mode(), set_dma_addr(),
 * set_dma_count(), enable_dma() sequence; get_dma_residue() when a command
 * ends or is stopped.
 *
 * Device memory is the disk (a 1.44 MB 3.5" medium in drive isa_unit: 80
 * cylinders, 2 heads, 18 sectors of 512 bytes), byte for byte: transfer
 * offsets and read(2)/write(2) positions are disk offsets.
 *
 * ISA limits and where each is kept:
 *  - 24 address bits: the platform device's DMA mask is 24 bits, so the
 *    core bounces memory above 16 MiB through its staging buffers, which
 *    the DMA layer allocates below 16 MiB (ZONE_DMA);
 *  - no 64 KiB line crossed (the page register holds the bits above 16):
 *    the DMA segment boundary is 64 KiB - 1, and the core cuts operations
 *    there (mmdma_emit());
 *  - one channel's count (64 KiB on an 8-bit channel): max_op.
 * Sectors the host range does not cover whole (an unaligned offset or
 * length, or a host page break inside a sector) go through this engine's
 * own cylinder-sized staging buffer: read, then copied out; or read,
 * merged and written back (read-modify-write).
 *
 * Probing legacy ports on a machine that may have anything there is not
 * done unasked: the engine exists only with isa_fdc=1.
 */
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <asm/dma.h>
#include <uapi/linux/mmdma.h>

#include "mmdma_provider.h"

#define ISA_NAME		"mmdma-isa"

#define FDC_BASE		0x3f0
#define FDC_IRQ			6
#define FDC_DMA			2

/* Registers, from FDC_BASE.  0x3f6 is the IDE alternate status port on PCs. */
#define FDC_DOR			2	/* digital output */
#define  FDC_DOR_NRESET		0x04
#define  FDC_DOR_DMAEN		0x08	/* DMA and interrupt gate */
#define  FDC_DOR_MOTOR0		0x10
#define FDC_MSR			4	/* main status (read) */
#define  FDC_MSR_DIO		0x40	/* controller -> host */
#define  FDC_MSR_RQM		0x80	/* FIFO ready */
#define FDC_FIFO		5
#define FDC_CCR			7	/* configuration control (write) */
#define  FDC_CCR_500K		0x00	/* the data rate of a 1.44 MB medium */

#define FDC_CMD_SPECIFY		0x03
#define FDC_CMD_RECALIBRATE	0x07
#define FDC_CMD_SENSE_INT	0x08
#define FDC_CMD_VERSION		0x10
#define FDC_CMD_CONFIGURE	0x13
#define FDC_CMD_WRITE		0x05
#define FDC_CMD_READ		0x06
#define  FDC_CMD_MFM		0x40
#define  FDC_CMD_MT		0x80	/* multi-track: head 0, then head 1 */

#define FDC_ST0_IC		0xc0	/* interrupt code: 00 normal termination */
#define FDC_ST0_SE		0x20	/* seek end */

/* A 1.44 MB medium. */
#define DISK_SECT		512
#define DISK_N			2	/* sector size code: 128 << 2 */
#define DISK_SPT		18
#define DISK_HEADS		2
#define DISK_CYLS		80
#define DISK_CYL_SECT		(DISK_SPT * DISK_HEADS)
#define DISK_SIZE		(DISK_CYLS * DISK_CYL_SECT * DISK_SECT)
#define DISK_GAP3		0x1b

/* One cylinder, in a naturally aligned allocation: no 64 KiB line inside. */
#define ISA_STAGE_SIZE		SZ_32K
#define ISA_MAX_OP		SZ_64K	/* an 8-bit channel's count */
#define ISA_BOUNDARY		SZ_64K
#define ISA_SYNC_WAIT_MS	1000

static bool isa_fdc;
module_param(isa_fdc, bool, 0444);
MODULE_PARM_DESC(isa_fdc, "drive the floppy controller at 0x3f0 (IRQ 6, ISA DMA channel 2) as an ISA DMA engine (default 0: legacy ports are never probed unasked)");

static unsigned int isa_unit;
mmdma_param_uint(isa_unit, isa_unit, 0644, .min = 0, .max = 1,
		 .why = "the floppy drive: the controller's unit 0 or 1");
MODULE_PARM_DESC(isa_unit, "the drive (0 or 1) whose disk is the engine's device memory; read at probe");

static unsigned int isa_inject_hang;
module_param(isa_inject_hang, uint, 0644);
MODULE_PARM_DESC(isa_inject_hang, "testing: leave the DMA channel masked for the next N floppy commands, which then never complete");

enum isa_step {
	ISA_STEP_DIRECT = 1,	/* the controller reaches the host range */
	ISA_STEP_STAGE_IN,	/* read into the staging buffer, copy out */
	ISA_STEP_STAGE_RMW,	/* read into it, merge the host's bytes, ... */
	ISA_STEP_STAGE_OUT,	/* ... write it back */
};

/**
 * struct mmdma_isa - the floppy controller and its DMA channel
 * @pdev:     the platform device the DMA layer maps for
 * @unit:     the drive, 0 or 1 (isa_unit at probe)
 * @prov:     its description for the core
 * @hw_lock:  protects the controller's registers, @job and the staging
 *            buffer; taken inside the core's device lock (submit,
 *            terminate), never around mmdma_provider_done()
 * @sync:     completed by an interrupt no job is waiting for (reset,
 *            recalibrate at probe)
 * @stage:    the staging buffer, ISA_STAGE_SIZE bytes below 16 MiB
 * @stage_dma: its bus address
 * @job:      the operation on the controller (under @hw_lock)
 * @last_residue: bytes the channel had still to move when the last command
 *            ended or was stopped (get_dma_residue(); sysfs)
 * @fdc_errors: commands that ended abnormally or with a residue (sysfs)
 * @staged_bytes: bytes moved through the staging buffer (sysfs)
 */
struct mmdma_isa {
	struct platform_device *pdev;
	u8 unit;
	struct mmdma_provider prov;
	struct mutex hw_lock;
	struct completion sync;
	void *stage;
	dma_addr_t stage_dma;
	struct {
		bool active;
		bool to_disk;
		u32 seq;
		u32 pos;	/* next disk byte */
		u32 end;	/* disk byte after the last */
		dma_addr_t bus;	/* host bus address of byte @pos */
		enum isa_step step;
		u32 lba;
		u32 nsect;
		u32 off;	/* staged: host bytes at @off in the stage */
		u32 len;
	} job;
	atomic_t last_residue;
	atomic64_t fdc_errors;
	atomic64_t staged_bytes;
};

static void fdc_out(u8 val, unsigned int reg)
{
	outb_p(val, FDC_BASE + reg);
}

static u8 fdc_in(unsigned int reg)
{
	return inb_p(FDC_BASE + reg);
}

/* Wait until the FIFO wants (@dio 0) or offers (@dio FDC_MSR_DIO) a byte. */
static int fdc_wait_rqm(u8 dio)
{
	unsigned int i;

	for (i = 0; i < 10000; i++) {
		u8 msr = fdc_in(FDC_MSR);

		if ((msr & (FDC_MSR_RQM | FDC_MSR_DIO)) == (FDC_MSR_RQM | dio))
			return 0;
		udelay(10);
	}
	return -EIO;
}

/* The command phase: every byte when the controller asks for it. */
static int fdc_command(const u8 *cmd, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (fdc_wait_rqm(0))
			return -EIO;
		fdc_out(cmd[i], FDC_FIFO);
	}
	return 0;
}

/* The result phase: @n bytes, or fewer when the controller stops offering. */
static int fdc_result(u8 *res, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (fdc_wait_rqm(FDC_MSR_DIO))
			break;
		res[i] = fdc_in(FDC_FIFO);
	}
	return i;
}

/* SENSE INTERRUPT STATUS: what a seek, recalibrate or reset ended with. */
static int fdc_sense(u8 *st0, u8 *pcn)
{
	u8 cmd = FDC_CMD_SENSE_INT, res[2];

	if (fdc_command(&cmd, 1) || fdc_result(res, 2) != 2)
		return -EIO;
	*st0 = res[0];
	*pcn = res[1];
	return 0;
}

/*
 * After a reset: the data rate of the medium, step and head timings with
 * DMA on (SPECIFY's ND bit clear), and CONFIGURE with implied seeks (a
 * READ or WRITE moves the head to the cylinder it names; an 8272 without
 * CONFIGURE rejects it and seeks explicitly, which QEMU never needs).
 */
static int fdc_setup(void)
{
	static const u8 specify[] = { FDC_CMD_SPECIFY, 0xdf, 0x02 };
	static const u8 configure[] = { FDC_CMD_CONFIGURE, 0x00, 0x5a, 0x00 };
	u8 res;

	fdc_out(FDC_CCR_500K, FDC_CCR);
	if (fdc_command(specify, sizeof(specify)))
		return -EIO;
	if (fdc_command(configure, sizeof(configure)))
		return -EIO;
	/* An invalid-command result, if any, must not stay in the FIFO. */
	if (fdc_in(FDC_MSR) & FDC_MSR_DIO)
		fdc_result(&res, 1);
	return 0;
}

/* Drive @unit selected, its motor on, DMA and interrupts enabled. */
static u8 fdc_dor(unsigned int unit)
{
	return FDC_DOR_NRESET | FDC_DOR_DMAEN | (FDC_DOR_MOTOR0 << unit) | unit;
}

/* Pulse reset; the caller collects or ignores the interrupt it raises. */
static void fdc_reset_pulse(struct mmdma_isa *isa)
{
	fdc_out(0, FDC_DOR);
	udelay(20);
	fdc_out(fdc_dor(isa->unit), FDC_DOR);
}

/* The four drives' SENSE INTERRUPT STATUS an 82077 wants after a reset. */
static int fdc_after_reset(void)
{
	unsigned int i;
	u8 st0, pcn;

	for (i = 0; i < 4; i++) {
		if (fdc_sense(&st0, &pcn))
			return -EIO;
	}
	return fdc_setup();
}

/* Bytes from @bus to the channel's next 64 KiB line. */
static u32 isa_to_line(dma_addr_t bus)
{
	return ISA_BOUNDARY - (bus & (ISA_BOUNDARY - 1));
}

/*
 * Program channel 2 and start a READ DATA or WRITE DATA of @nsect sectors
 * from @lba, inside one cylinder, to or from @bus.  hw_lock held.
 */
static int isa_program(struct mmdma_isa *isa, bool write, dma_addr_t bus,
		       u32 lba, u32 nsect)
{
	u32 cyl = lba / DISK_CYL_SECT, head = lba / DISK_SPT % DISK_HEADS;
	u8 cmd[9] = {
		(write ? FDC_CMD_WRITE : FDC_CMD_READ) | FDC_CMD_MFM | FDC_CMD_MT,
		head << 2 | isa->unit, cyl, head, lba % DISK_SPT + 1, DISK_N,
		DISK_SPT,
		DISK_GAP3, 0xff,
	};
	u32 count = nsect * DISK_SECT;
	unsigned long flags;
	bool hang = false;

	/* Never program what the channel cannot do: see the top. */
	if (!nsect || bus + count > SZ_16M || count > isa_to_line(bus) ||
	    (lba % DISK_CYL_SECT) + nsect > DISK_CYL_SECT)
		return -EINVAL;
	if (isa_inject_hang) {
		isa_inject_hang--;
		hang = true;
	}
	isa->job.lba = lba;
	isa->job.nsect = nsect;

	flags = claim_dma_lock();
	disable_dma(FDC_DMA);
	clear_dma_ff(FDC_DMA);
	/* DMA_MODE_READ: the device writes memory (a disk read). */
	set_dma_mode(FDC_DMA, write ? DMA_MODE_WRITE : DMA_MODE_READ);
	set_dma_addr(FDC_DMA, bus);
	set_dma_count(FDC_DMA, count);
	/* A masked channel never serves the controller: it never completes. */
	if (!hang)
		enable_dma(FDC_DMA);
	release_dma_lock(flags);

	return fdc_command(cmd, sizeof(cmd));
}

/* CPU copy between the stage and host memory known by its bus address. */
static int isa_host_copy(struct mmdma_isa *isa, dma_addr_t bus, void *kbuf,
			 size_t len, bool to_host)
{
	/* No IOMMU translates for an ISA device: bus addresses are physical. */
	phys_addr_t phys = dma_to_phys(&isa->pdev->dev, bus);

	while (len) {
		unsigned long pfn = PHYS_PFN(phys);
		size_t in_page = offset_in_page(phys);
		size_t n = min(len, PAGE_SIZE - in_page);

		if (!pfn_valid(pfn))
			return -EFAULT;
		if (to_host)
			memcpy_to_page(pfn_to_page(pfn), in_page, kbuf, n);
		else
			memcpy_from_page(kbuf, pfn_to_page(pfn), in_page, n);
		phys += n;
		kbuf += n;
		len -= n;
	}
	return 0;
}

/*
 * Start the next step of the job.  Return: 0 started, 1 nothing left,
 * or -errno.  hw_lock held.
 */
static int isa_next_step(struct mmdma_isa *isa)
{
	u32 left = isa->job.end - isa->job.pos;
	u32 lba = isa->job.pos / DISK_SECT, in_sec = isa->job.pos % DISK_SECT;
	u32 cyl_left = DISK_CYL_SECT - lba % DISK_CYL_SECT;
	dma_addr_t bus = isa->job.bus;
	u32 nsect;
	int ret;

	if (!left)
		return 1;
	/* Whole sectors the channel can reach go straight to the host. */
	if (!in_sec && left >= DISK_SECT && bus < SZ_16M &&
	    isa_to_line(bus) >= DISK_SECT) {
		nsect = min3(left / DISK_SECT, cyl_left,
			     isa_to_line(bus) / DISK_SECT);
		nsect = min_t(u32, nsect, (SZ_16M - bus) / DISK_SECT);
		if (nsect) {
			isa->job.step = ISA_STEP_DIRECT;
			return isa_program(isa, isa->job.to_disk, bus, lba, nsect);
		}
	}

	/* The rest through the stage: at most a cylinder. */
	nsect = min(DIV_ROUND_UP(in_sec + left, DISK_SECT), cyl_left);
	isa->job.off = in_sec;
	isa->job.len = min(left, nsect * DISK_SECT - in_sec);
	if (!isa->job.to_disk) {
		isa->job.step = ISA_STEP_STAGE_IN;
		return isa_program(isa, false, isa->stage_dma, lba, nsect);
	}
	if (isa->job.off || (isa->job.off + isa->job.len) % DISK_SECT) {
		/* Partial sectors: their other bytes come from the disk. */
		isa->job.step = ISA_STEP_STAGE_RMW;
		return isa_program(isa, false, isa->stage_dma, lba, nsect);
	}
	ret = isa_host_copy(isa, bus, isa->stage, isa->job.len, false);
	if (ret)
		return ret;
	isa->job.step = ISA_STEP_STAGE_OUT;
	return isa_program(isa, true, isa->stage_dma, lba, nsect);
}

static void isa_advance(struct mmdma_isa *isa, u32 n)
{
	isa->job.pos += n;
	isa->job.bus += n;
}

/*
 * The controller interrupted during a job: collect the result phase and
 * the channel's residue, then go on.  Return as isa_next_step().
 */
static int isa_step_done(struct mmdma_isa *isa)
{
	struct device *dev = &isa->pdev->dev;
	unsigned long flags;
	u8 res[7];
	int n, residue, ret;

	n = fdc_result(res, sizeof(res));
	flags = claim_dma_lock();
	clear_dma_ff(FDC_DMA);
	residue = get_dma_residue(FDC_DMA);
	disable_dma(FDC_DMA);
	release_dma_lock(flags);
	atomic_set(&isa->last_residue, residue);

	if (n != sizeof(res) || (res[0] & FDC_ST0_IC) || residue) {
		atomic64_inc(&isa->fdc_errors);
		dev_dbg(dev, "sectors %u+%u: %d result bytes, ST0 %#x ST1 %#x ST2 %#x, residue %d\n",
			isa->job.lba, isa->job.nsect, n, n > 0 ? res[0] : 0,
			n > 1 ? res[1] : 0, n > 2 ? res[2] : 0, residue);
		return -EIO;
	}

	switch (isa->job.step) {
	case ISA_STEP_DIRECT:
		isa_advance(isa, isa->job.nsect * DISK_SECT);
		break;
	case ISA_STEP_STAGE_IN:
		ret = isa_host_copy(isa, isa->job.bus, isa->stage + isa->job.off,
				    isa->job.len, true);
		if (ret)
			return ret;
		atomic64_add(isa->job.len, &isa->staged_bytes);
		isa_advance(isa, isa->job.len);
		break;
	case ISA_STEP_STAGE_RMW:
		ret = isa_host_copy(isa, isa->job.bus, isa->stage + isa->job.off,
				    isa->job.len, false);
		if (ret)
			return ret;
		isa->job.step = ISA_STEP_STAGE_OUT;
		return isa_program(isa, true, isa->stage_dma, isa->job.lba,
				   isa->job.nsect);
	case ISA_STEP_STAGE_OUT:
		atomic64_add(isa->job.len, &isa->staged_bytes);
		isa_advance(isa, isa->job.len);
		break;
	}
	return isa_next_step(isa);
}

/*
 * After a command that failed half-way (bytes not taken, a short result
 * phase) or ended abnormally, the controller's state is not known: mask
 * the channel and reset it, so the next command starts clean.  hw_lock
 * held; the reset's interrupt finds no job.
 */
static void isa_recover(struct mmdma_isa *isa)
{
	unsigned long flags = claim_dma_lock();

	disable_dma(FDC_DMA);
	release_dma_lock(flags);
	fdc_reset_pulse(isa);
	if (fdc_after_reset())
		dev_err(&isa->pdev->dev, "controller does not answer after a reset\n");
}

static irqreturn_t isa_irq(int irq, void *data)
{
	/* The result phase is read in the thread, under hw_lock. */
	return IRQ_WAKE_THREAD;
}

static irqreturn_t isa_irq_thread(int irq, void *data)
{
	struct mmdma_isa *isa = data;
	u32 seq;
	int ret;

	mutex_lock(&isa->hw_lock);
	if (!isa->job.active) {
		/* A reset or recalibrate someone waits for, or a stray one. */
		mutex_unlock(&isa->hw_lock);
		complete(&isa->sync);
		return IRQ_HANDLED;
	}
	ret = isa_step_done(isa);
	if (!ret) {
		mutex_unlock(&isa->hw_lock);
		return IRQ_HANDLED;
	}
	isa->job.active = false;
	if (ret == -EIO)
		isa_recover(isa);
	seq = isa->job.seq;
	mutex_unlock(&isa->hw_lock);
	mmdma_provider_done(&isa->prov, seq, ret < 0 ? ret : 0);
	return IRQ_HANDLED;
}

static int isa_submit(struct mmdma_provider *p, const struct mmdma_op *op,
		      unsigned int n, u32 seq)
{
	struct mmdma_isa *isa = container_of(p, struct mmdma_isa, prov);
	int ret;

	if (n != 1 || !op->len || op->dev_off + op->len > DISK_SIZE)
		return -EINVAL;
	mutex_lock(&isa->hw_lock);
	if (isa->job.active) {
		mutex_unlock(&isa->hw_lock);
		return -EBUSY;
	}
	isa->job.to_disk = op->to_dev;
	isa->job.seq = seq;
	isa->job.pos = op->dev_off;
	isa->job.end = op->dev_off + op->len;
	isa->job.bus = op->bus;
	ret = isa_next_step(isa);
	if (ret == -EIO)
		isa_recover(isa);
	/* Only now: an interrupt of a command refused above is no job's. */
	isa->job.active = !ret;
	mutex_unlock(&isa->hw_lock);
	return ret;
}

/*
 * An operation timed out: mask the channel, so the controller can no
 * longer reach host memory, note what it had left, and reset the
 * controller for the next job.
 */
static void isa_terminate(struct mmdma_provider *p)
{
	struct mmdma_isa *isa = container_of(p, struct mmdma_isa, prov);
	unsigned long flags;
	int residue;

	mutex_lock(&isa->hw_lock);
	flags = claim_dma_lock();
	disable_dma(FDC_DMA);
	clear_dma_ff(FDC_DMA);
	residue = get_dma_residue(FDC_DMA);
	release_dma_lock(flags);
	atomic_set(&isa->last_residue, residue);
	atomic64_inc(&isa->fdc_errors);
	dev_info_ratelimited(&isa->pdev->dev, "stopped sectors %u+%u with %d of %u bytes not moved\n",
		 isa->job.lba, isa->job.nsect, residue,
		 isa->job.nsect * DISK_SECT);
	isa->job.active = false;
	isa_recover(isa);
	mutex_unlock(&isa->hw_lock);
}

static const struct mmdma_provider_ops isa_ops = {
	.submit		= isa_submit,
	.terminate	= isa_terminate,
};

static int isa_wait_irq(struct mmdma_isa *isa, const char *what)
{
	if (wait_for_completion_timeout(&isa->sync,
					msecs_to_jiffies(ISA_SYNC_WAIT_MS)))
		return 0;
	dev_err(&isa->pdev->dev, "no interrupt after %s\n", what);
	return -ENODEV;
}

/* Reset, identify, set up, recalibrate the drive. */
static int isa_hw_init(struct mmdma_isa *isa)
{
	struct device *dev = &isa->pdev->dev;
	u8 recal[] = { FDC_CMD_RECALIBRATE, isa->unit };
	u8 version = FDC_CMD_VERSION, st0, pcn;
	int ret;

	reinit_completion(&isa->sync);
	fdc_reset_pulse(isa);
	ret = isa_wait_irq(isa, "reset");
	if (ret)
		return ret;
	if (fdc_after_reset()) {
		dev_err(dev, "no floppy controller answers at %#x\n", FDC_BASE);
		return -ENODEV;
	}
	/* 0x90: an 82077 or better; 0x80 (invalid command): an 8272A. */
	if (fdc_command(&version, 1) || fdc_result(&version, 1) != 1) {
		dev_err(dev, "the controller does not report its version\n");
		return -ENODEV;
	}

	reinit_completion(&isa->sync);
	if (fdc_command(recal, sizeof(recal)))
		return -ENODEV;
	ret = isa_wait_irq(isa, "recalibrate");
	if (ret)
		return ret;
	if (fdc_sense(&st0, &pcn) || !(st0 & FDC_ST0_SE) ||
	    (st0 & FDC_ST0_IC) || pcn) {
		dev_err(dev, "recalibrate of drive %u failed\n", isa->unit);
		return -ENODEV;
	}
	dev_info(dev, "floppy controller version %#x at %#x, IRQ %d, DMA %d, drive %u\n",
		 version, FDC_BASE, FDC_IRQ, FDC_DMA, isa->unit);
	return 0;
}

/*
 * LDD3's order: the I/O ports, the interrupt line, then the DMA channel;
 * released the other way round.  Anything someone else holds (the floppy
 * driver, another controller's driver) is EBUSY.
 */
static int isa_claim(struct mmdma_isa *isa)
{
	struct device *dev = &isa->pdev->dev;
	int ret;

	if (!devm_request_region(dev, FDC_BASE, 6, ISA_NAME) ||
	    !devm_request_region(dev, FDC_BASE + FDC_CCR, 1, ISA_NAME)) {
		dev_info(dev, "I/O ports %#x-%#x are in use\n", FDC_BASE,
			 FDC_BASE + FDC_CCR);
		return -EBUSY;
	}
	ret = devm_request_threaded_irq(dev, FDC_IRQ, isa_irq, isa_irq_thread,
					0, ISA_NAME, isa);
	if (ret) {
		dev_info(dev, "IRQ %d is in use: %d\n", FDC_IRQ, ret);
		return ret;
	}
	ret = request_dma(FDC_DMA, ISA_NAME);
	if (ret) {
		dev_info(dev, "ISA DMA channel %d is in use: %d\n", FDC_DMA, ret);
		return ret;
	}
	return 0;
}

static int isa_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct mmdma_isa *isa;
	int ret;

	/* Before the stage is allocated; the core sets it again from dma_bits. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(24));
	if (ret)
		return ret;

	if (isa_unit > 1) {
		dev_err(dev, "isa_unit is %u: drive 0 or 1\n", isa_unit);
		return -EINVAL;
	}
	isa = devm_kzalloc(dev, sizeof(*isa), GFP_KERNEL);
	if (!isa)
		return -ENOMEM;
	isa->pdev = pdev;
	isa->unit = isa_unit;
	mutex_init(&isa->hw_lock);
	init_completion(&isa->sync);
	platform_set_drvdata(pdev, isa);

	isa->stage = dmam_alloc_coherent(dev, ISA_STAGE_SIZE, &isa->stage_dma,
					 GFP_KERNEL);
	if (!isa->stage)
		return -ENOMEM;
	/* Aligned to its size (DMA-API.rst), so inside one 64 KiB block. */
	if (isa->stage_dma + ISA_STAGE_SIZE > SZ_16M ||
	    isa_to_line(isa->stage_dma) < ISA_STAGE_SIZE)
		return -ENOMEM;

	ret = isa_claim(isa);
	if (ret)
		return ret;
	ret = isa_hw_init(isa);
	if (ret)
		goto err_free_dma;

	/*
	 * ISA's limits, which the core keeps (see the top): 24 address bits,
	 * no 64 KiB line crossed, one channel's count per operation.
	 */
	isa->prov = (struct mmdma_provider){
		.name		= "isa",
		.kind		= MMDMA_DEV_ISA,
		.dev		= dev,
		.ops		= &isa_ops,
		.mem_size	= DISK_SIZE,
		.max_op		= ISA_MAX_OP,
		.dma_bits	= 24,
		.seg_boundary	= ISA_BOUNDARY - 1,
		.max_seg_size	= ISA_MAX_OP,
	};
	ret = mmdma_provider_register(&isa->prov);
	if (ret)
		goto err_free_dma;
	return 0;

err_free_dma:
	free_dma(FDC_DMA);
	return ret;
}

static void isa_remove(struct platform_device *pdev)
{
	struct mmdma_isa *isa = platform_get_drvdata(pdev);

	/* Returns when no operation runs and none will start. */
	mmdma_provider_unregister(&isa->prov);
	/*
	 * An interrupt thread that ended a command may still be on its way
	 * to mmdma_provider_done() (which now ignores it): free_irq() waits
	 * it out, before the channel goes.
	 */
	devm_free_irq(&pdev->dev, FDC_IRQ, isa);
	/* Motor off, controller out of reset, for whoever comes next. */
	fdc_out(FDC_DOR_NRESET | FDC_DOR_DMAEN, FDC_DOR);
	free_dma(FDC_DMA);
	/* devm then frees the ports, the stage and @isa. */
}

static ssize_t last_residue_show(struct device *dev,
				 struct device_attribute *attr, char *out)
{
	struct mmdma_isa *isa = dev_get_drvdata(dev);

	return sysfs_emit(out, "%d\n", atomic_read(&isa->last_residue));
}
static DEVICE_ATTR_RO(last_residue);

static ssize_t fdc_errors_show(struct device *dev,
			       struct device_attribute *attr, char *out)
{
	struct mmdma_isa *isa = dev_get_drvdata(dev);

	return sysfs_emit(out, "%lld\n", atomic64_read(&isa->fdc_errors));
}
static DEVICE_ATTR_RO(fdc_errors);

static ssize_t staged_bytes_show(struct device *dev,
				 struct device_attribute *attr, char *out)
{
	struct mmdma_isa *isa = dev_get_drvdata(dev);

	return sysfs_emit(out, "%lld\n", atomic64_read(&isa->staged_bytes));
}
static DEVICE_ATTR_RO(staged_bytes);

static struct attribute *isa_attrs[] = {
	&dev_attr_last_residue.attr,
	&dev_attr_fdc_errors.attr,
	&dev_attr_staged_bytes.attr,
	NULL
};
ATTRIBUTE_GROUPS(isa);

static struct platform_driver isa_driver = {
	.driver = {
		.name = ISA_NAME,
		.dev_groups = isa_groups,
	},
	.probe = isa_probe,
	.remove_new = isa_remove,
};

static struct platform_device *isa_pdev;

static int __init isa_init(void)
{
	struct platform_device_info info = {
		.name = ISA_NAME,
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(24),
	};
	int ret;

	if (!isa_fdc)
		return 0;
	ret = platform_driver_register(&isa_driver);
	if (ret)
		return ret;
	/* A failed probe (EBUSY, no controller) leaves the device unbound. */
	isa_pdev = platform_device_register_full(&info);
	if (IS_ERR(isa_pdev)) {
		platform_driver_unregister(&isa_driver);
		ret = PTR_ERR(isa_pdev);
		isa_pdev = NULL;
		return ret;
	}
	return 0;
}

/* Returns when the engine is unregistered: nothing calls this module again. */
static void __exit isa_exit(void)
{
	if (!isa_pdev)
		return;
	platform_device_unregister(isa_pdev);
	platform_driver_unregister(&isa_driver);
	isa_pdev = NULL;
}

module_init(isa_init);
module_exit(isa_exit);

MODULE_DESCRIPTION("mmdma provider: a floppy disk controller through the ISA DMA API");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MMDMA_VERSION);
MMDMA_IMPORT_NS();
