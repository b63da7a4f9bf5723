/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: the provider API, what a DMA engine driver module (mmdma_edu,
 * mmdma_soft, mmdma_isa, yours) uses to hand its engine to the mmdma core.
 * docs/provider-api.md walks through a complete provider.
 *
 * Modelled on uio (struct uio_info + uio_register_device()) and on
 * dmaengine's provider side: the provider describes itself in one struct,
 * registers it once, reports each batch's end with one call, and never
 * writes a field of the core.  Everything user space sees (the node
 * /dev/mmdma-<name><N>, its ioctls, read/write, the mapping of the
 * register region, buffers attached to the device, coherent memory made
 * for it, revocation when it goes) is the core's.
 *
 * Every symbol is exported GPL-only in the namespace MMDMA: a provider
 * says MMDMA_IMPORT_NS() once (compat.h: the macro's argument changed
 * form in 6.13).
 */
#ifndef MMDMA_PROVIDER_H
#define MMDMA_PROVIDER_H

#include <linux/device.h>
#include <linux/moduleparam.h>
#include <linux/types.h>

#include "compat.h"

/**
 * struct mmdma_op - one hardware operation: at most max_op bytes between
 *                   one bus-contiguous host range and device memory
 * @bus:      bus address the device uses (what the DMA API returned for
 *            the provider's device: an IOVA behind an IOMMU)
 * @dev_off:  offset in device memory, bytes; @dev_off + @len never passes
 *            the provider's mem_size
 * @len:      bytes, > 0, at most max_op; the range [@bus, @bus + @len)
 *            crosses no seg_boundary and fits the DMA mask
 * @to_dev:   true when the device reads host memory (host -> device)
 * @copy:     core-private: how the CPU takes part (enum mmdma_copy)
 * @host:     core-private: which host range (0: source, 1: destination)
 * @bounce:   core-private: the copy exists because the device cannot
 *            reach the memory
 * @host_off: core-private: offset of the first byte in that host range
 *
 * A provider reads @bus, @dev_off, @len and @to_dev, nothing else.
 */
struct mmdma_op {
	dma_addr_t bus;
	u32 dev_off;
	u32 len;
	u8 to_dev;
	u8 copy;
	u8 host;
	u8 bounce;
	size_t host_off;
};

struct mmdma_provider;
struct mmdma_dev;

/**
 * struct mmdma_provider_ops - what the core asks of an engine
 * @submit:    program @n operations of @ops (1 <= @n <= max_batch; they
 *             stay valid until the batch has ended) and return 0; call
 *             mmdma_provider_done() with @seq when they have all ended,
 *             from any context that may sleep, never from within @submit.
 *             Return -errno (the request fails with it) to refuse the
 *             batch: then no completion may follow.  Called with the
 *             core's per-device lock held, one batch at a time, never
 *             after mmdma_provider_unregister() has returned: it must not
 *             sleep for long.
 * @terminate: the running batch timed out (op_timeout_ms): make sure the
 *             hardware touches no host memory any more before returning,
 *             as the core unmaps it next.  A later mmdma_provider_done()
 *             for that batch is ignored (its @seq is stale).  Called with
 *             the same lock held; may sleep.
 */
struct mmdma_provider_ops {
	int (*submit)(struct mmdma_provider *p, const struct mmdma_op *ops,
		      unsigned int n, u32 seq);
	void (*terminate)(struct mmdma_provider *p);
};

/*
 * MMDMA_PROV_CPU_COPY: the engine reaches host memory through the
 * kernel's linear map (dma_to_phys(), pfn_to_page()), not over a bus.
 * The core refuses it memory outside the linear map (reserved memory)
 * with EINVAL instead of letting it fail halfway.
 */
#define MMDMA_PROV_CPU_COPY	(1U << 0)
/*
 * MMDMA_PROV_EVENTS: the device raises events (interrupts) for user
 * space, reported with mmdma_provider_event().  Only for a provider
 * without ops (a device user space drives itself): on its node read(2)
 * returns the event count, poll(2) waits for the next event, write(2)
 * masks and unmasks through @irqcontrol, and MMDMA_DEV_IRQ_EVENTFD
 * registers an eventfd.  Without it those give EOPNOTSUPP.
 */
#define MMDMA_PROV_EVENTS	(1U << 1)
#define MMDMA_PROV_CAPS		(MMDMA_PROV_CPU_COPY | MMDMA_PROV_EVENTS)

/**
 * struct mmdma_region - a register window user space may map (optional)
 * @start: physical (CPU) address of the first byte, page aligned; 0 when
 *         the provider offers none
 * @size:  bytes, a multiple of PAGE_SIZE
 * @virt:  the provider's own ioremap of the window, for ptrace access
 *         (/proc/PID/mem, gdb); valid until mmdma_provider_unregister()
 *         returns
 *
 * The core maps it uncached, a page per fault, into a shared mapping of
 * the device node, for CAP_SYS_RAWIO only (whoever programs a DMA engine
 * can read and write all of RAM), and zaps every such mapping when the
 * provider unregisters (SIGBUS on the next access).
 */
struct mmdma_region {
	phys_addr_t start;
	resource_size_t size;
	void __iomem *virt;
};

/**
 * struct mmdma_provider - a DMA engine, as its driver describes it
 * @name:       node stem, at most 15 characters of [a-z0-9]: "edu" makes
 *              /dev/mmdma-edu0, mmdma-edu1, ... (numbers per stem)
 * @kind:       enum mmdma_dev_kind (uapi), reported by MMDMA_DEV_INFO;
 *              non-zero
 * @dev:        the device the DMA API maps for; the core holds a
 *              reference to it while anything made for it exists
 * @ops:        the engine, with @ops->submit and @ops->terminate; NULL
 *              for a device user space drives itself (mmdma_pci): the
 *              node then has no device memory, MMDMA_DEV_XFER fails with
 *              EOPNOTSUPP, and read() and write() serve interrupt events
 *              (MMDMA_PROV_EVENTS; without it they fail with EOPNOTSUPP)
 * @mem_size:   bytes of device memory (the node's file size and the
 *              window transfers address), > 0; 0 when @ops is NULL
 * @max_op:     most bytes one operation moves, > 0; 0 when @ops is NULL
 * @max_batch:  most operations one submit takes (0 means 1): an engine
 *              with a descriptor list takes many
 * @dma_bits:   address bits the engine drives, 24 to 64: the core sets
 *              the DMA mask (streaming and coherent) of @dev to it, and
 *              bounces what lies above
 * @seg_boundary: if non-zero, a mask: no operation crosses a multiple of
 *              @seg_boundary + 1 (ISA's 64 KiB lines: SZ_64K - 1); needs
 *              @dev->dma_parms (PCI and platform devices have them)
 * @max_seg_size: if non-zero, the longest DMA segment @dev takes, bytes
 *              (also needs @dev->dma_parms)
 * @caps:       MMDMA_PROV_* bits
 * @flags:      MMDMA_DEVF_MSI or MMDMA_DEVF_INTX: how completions arrive,
 *              reported by MMDMA_DEV_INFO and sysfs (other bits are the
 *              core's and ignored)
 * @regs:       optional register window (struct mmdma_region)
 * @irqcontrol: optional, with MMDMA_PROV_EVENTS: user space wrote @on = 1
 *              (it has silenced the device: unmask its interrupt) or 0
 *              (mask it) to the node.  Return 0 or -errno (write(2)
 *              fails with it).  Process context, may not sleep for long;
 *              called with no lock of the core's held but inside the
 *              device (the core's users lock for reading), so never
 *              after mmdma_provider_unregister() has returned; calls may
 *              run concurrently with each other and with the interrupt
 *              handler: the provider orders them with its own lock.  An
 *              INTx provider masks the line in its handler and unmasks
 *              only here, so a device left asserting costs the kernel one
 *              interrupt per write, never a storm.
 * @mdev:       private to the core: set by registration, cleared by
 *              unregistration (under a lock of the core's)
 *
 * The provider fills in everything up to @irqcontrol, zeroes the rest (it
 * usually embeds the struct in its own, allocated with kzalloc()), and
 * keeps the struct alive and unchanged from registration until
 * mmdma_provider_unregister() has returned and it makes no more
 * mmdma_provider_done() or mmdma_provider_event() calls.  The core copies what it keeps.
 */
struct mmdma_provider {
	const char *name;
	u32 kind;
	struct device *dev;
	const struct mmdma_provider_ops *ops;
	size_t mem_size;
	size_t max_op;
	unsigned int max_batch;
	unsigned int dma_bits;
	unsigned long seg_boundary;
	unsigned int max_seg_size;
	u32 caps;
	u32 flags;
	struct mmdma_region regs;
	int (*irqcontrol)(struct mmdma_provider *p, bool on);
	/* private to the core */
	struct mmdma_dev *mdev;
};

int mmdma_provider_register(struct mmdma_provider *p);
int devm_mmdma_provider_register(struct device *dev, struct mmdma_provider *p);
void mmdma_provider_unregister(struct mmdma_provider *p);
void mmdma_provider_done(struct mmdma_provider *p, u32 seq, int err);
void mmdma_provider_event(struct mmdma_provider *p);

/*
 * Module parameters with ranges (mmdma_param.c), for the core and the
 * providers alike: a value outside the range is refused at load (the
 * module does not load, EINVAL) and at run time (the sysfs write fails
 * with EINVAL), with a log line naming the range and @why.
 */
struct mmdma_param_range {
	void *value;		/* unsigned int (@is_uint) or unsigned long */
	bool is_uint;
	bool zero_ok;		/* 0 is allowed besides [@min, @max] */
	bool page_aligned;	/* a multiple of PAGE_SIZE */
	u64 min, max;
	const char *why;	/* what the range protects, for the log line */
};
/* Bytes, with K/M/G/T/P/E suffixes (memparse's), into an unsigned long. */
extern const struct kernel_param_ops mmdma_param_ops_size;
/* A number (decimal, 0x-hex) into an unsigned int. */
extern const struct kernel_param_ops mmdma_param_ops_uint;

/*
 * A parameter @name of the variable @var, refused outside @r (a struct
 * mmdma_param_range initializer without .value and .is_uint).
 */
#define mmdma_param_size(name, var, perm, ...)				\
	static struct mmdma_param_range __mmdma_range_##name = {	\
		.value = &(var), .is_uint = false, __VA_ARGS__		\
	};								\
	module_param_cb(name, &mmdma_param_ops_size, &__mmdma_range_##name, perm)
#define mmdma_param_uint(name, var, perm, ...)				\
	static struct mmdma_param_range __mmdma_range_##name = {	\
		.value = &(var), .is_uint = true, __VA_ARGS__		\
	};								\
	module_param_cb(name, &mmdma_param_ops_uint, &__mmdma_range_##name, perm)

#endif /* MMDMA_PROVIDER_H */
