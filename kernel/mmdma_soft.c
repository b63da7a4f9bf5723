// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma_soft: the software engine, a provider module (and the model of
 * docs/provider-api.md): a DMA-capable platform device with no hardware
 * behind it.  Its "device memory" is a vmalloc area and its engine is a
 * work item that copies with the CPU.  Everything in front of the
 * engine is the same as for the edu device: the pinning, the sg tables, the
 * DMA-API mappings (swiotlb bounces them too when the kernel forces it) and
 * the syncs; the engine reaches host memory only through the bus addresses
 * the DMA layer handed out, as hardware would.
 *
 * Unlike edu it takes a whole descriptor list per submit (max_batch), as
 * scatter/gather engines do, so a transfer costs one wake-up, not one per
 * page.  It lets every path run at memory speed on any machine, which is
 * what the benchmarks measure.
 */
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/mmdma.h>

#include "mmdma_provider.h"

#define SOFT_NAME	"mmdma-soft"
#define SOFT_MAX_BATCH	1024

static unsigned long soft_mem_size = SZ_32M;
/* The engine's operations carry 32-bit lengths: below 4 GiB. */
mmdma_param_size(soft_mem_size, soft_mem_size, 0444, .zero_ok = true,
		 .page_aligned = true, .min = PAGE_SIZE, .max = SZ_4G - PAGE_SIZE,
		 .why = "device memory of the software engine, whole pages below 4 GiB");
MODULE_PARM_DESC(soft_mem_size, "bytes of device memory of the software engine, whole pages below 4 GiB, K/M/G suffixes (default 32 MiB, 0: no software engine)");

static unsigned int soft_inject_hang;
module_param(soft_inject_hang, uint, 0644);
MODULE_PARM_DESC(soft_inject_hang, "testing: let this many starts of the software engine never complete");

/**
 * struct mmdma_soft - the software engine
 * @prov: its description for the core (embedded: it lives as long as this)
 * @dev:  the platform device the DMA layer maps for
 * @mem:  device memory, soft_mem_size bytes
 * @wq:   where the copies run
 * @work: the copy of the batch in @ops
 * @ops:  the batch being copied; set by soft_submit() under the core's lock
 * @n:    operations in @ops
 * @seq:  the batch's sequence number, for mmdma_provider_done()
 * @busy: a batch is being copied (host memory may be touched)
 * @idle: woken when @busy goes false
 */
struct mmdma_soft {
	struct mmdma_provider prov;
	struct device *dev;
	void *mem;
	struct workqueue_struct *wq;
	struct work_struct work;
	const struct mmdma_op *ops;
	unsigned int n;
	u32 seq;
	bool busy;
	wait_queue_head_t idle;
};

static struct platform_device *soft_pdev;

/* Copy one operation: host memory is found from its bus address only. */
static int soft_copy(struct mmdma_soft *soft, const struct mmdma_op *op)
{
	phys_addr_t phys = dma_to_phys(soft->dev, op->bus);
	void *mem = soft->mem + op->dev_off;
	size_t len = op->len;

	while (len) {
		unsigned long pfn = PHYS_PFN(phys);
		size_t in_page = offset_in_page(phys);
		size_t n = min(len, PAGE_SIZE - in_page);

		if (!pfn_valid(pfn))
			return -EFAULT;
		if (op->to_dev)
			memcpy_from_page(mem, pfn_to_page(pfn), in_page, n);
		else
			memcpy_to_page(pfn_to_page(pfn), in_page, mem, n);
		phys += n;
		mem += n;
		len -= n;
	}
	return 0;
}

static void soft_work(struct work_struct *work)
{
	struct mmdma_soft *soft = container_of(work, struct mmdma_soft, work);
	unsigned int i;
	bool hang = false;
	int err = 0;
	u32 seq = soft->seq;

	for (i = 0; i < soft->n && !err; i++) {
		err = soft_copy(soft, &soft->ops[i]);
		cond_resched();
	}
	if (soft_inject_hang) {
		soft_inject_hang--;
		hang = true;
	}
	/* From here on the engine touches no host memory. */
	WRITE_ONCE(soft->busy, false);
	wake_up_all(&soft->idle);
	if (!hang)
		mmdma_provider_done(&soft->prov, seq, err);
}

static int soft_submit(struct mmdma_provider *p, const struct mmdma_op *ops,
		       unsigned int n, u32 seq)
{
	struct mmdma_soft *soft = container_of(p, struct mmdma_soft, prov);
	unsigned int i;

	if (READ_ONCE(soft->busy))
		return -EBUSY;
	for (i = 0; i < n; i++) {
		if (!ops[i].len || ops[i].dev_off + ops[i].len > p->mem_size)
			return -EINVAL;
	}
	soft->ops = ops;
	soft->n = n;
	soft->seq = seq;
	soft->busy = true;
	queue_work(soft->wq, &soft->work);
	return 0;
}

/* After a time-out: the copy must be over before the memory is unmapped. */
static void soft_terminate(struct mmdma_provider *p)
{
	struct mmdma_soft *soft = container_of(p, struct mmdma_soft, prov);

	wait_event(soft->idle, !READ_ONCE(soft->busy));
}

static const struct mmdma_provider_ops soft_ops = {
	.submit		= soft_submit,
	.terminate	= soft_terminate,
};

/* devres actions: they run after the engine has been unregistered. */
static void soft_free_mem(void *mem)
{
	vfree(mem);
}

static void soft_destroy_wq(void *wq)
{
	/* Waits for a copy whose completion came too late to count. */
	destroy_workqueue(wq);
}

static int soft_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct mmdma_soft *soft;
	int ret;

	/* The engine finds host memory with dma_to_phys(): no IOMMU here. */
	if (get_dma_ops(dev))
		return -ENODEV;

	soft = devm_kzalloc(dev, sizeof(*soft), GFP_KERNEL);
	if (!soft)
		return -ENOMEM;
	soft->dev = dev;
	init_waitqueue_head(&soft->idle);
	INIT_WORK(&soft->work, soft_work);
	/* Quietly: the failed probe says why, without an allocator trace. */
	soft->mem = __vmalloc(soft_mem_size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!soft->mem) {
		dev_err(dev, "cannot allocate %lu bytes of device memory\n",
			soft_mem_size);
		return -ENOMEM;
	}
	ret = devm_add_action_or_reset(dev, soft_free_mem, soft->mem);
	if (ret)
		return ret;
	soft->wq = alloc_workqueue(SOFT_NAME, WQ_UNBOUND | WQ_HIGHPRI, 1);
	if (!soft->wq)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, soft_destroy_wq, soft->wq);
	if (ret)
		return ret;

	soft->prov = (struct mmdma_provider){
		.name		= "soft",
		.kind		= MMDMA_DEV_SOFT,
		.dev		= dev,
		.ops		= &soft_ops,
		.mem_size	= soft_mem_size,
		.max_op		= min_t(unsigned long, soft_mem_size, U32_MAX),
		.max_batch	= SOFT_MAX_BATCH,
		.dma_bits	= 64,
		.max_seg_size	= UINT_MAX,
		.caps		= MMDMA_PROV_CPU_COPY,
	};
	/* Last: devres unregisters first, before the wq and memory go. */
	return devm_mmdma_provider_register(dev, &soft->prov);
}

static struct platform_driver soft_driver = {
	.driver = {
		.name = SOFT_NAME,
	},
	.probe = soft_probe,
};

static int __init soft_init(void)
{
	struct platform_device_info info = {
		.name = SOFT_NAME,
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(64),
	};
	int ret;

	if (!soft_mem_size)
		return 0;
	/* The range (whole pages below 4 GiB) was checked as it was set. */
	ret = platform_driver_register(&soft_driver);
	if (ret)
		return ret;
	soft_pdev = platform_device_register_full(&info);
	if (IS_ERR(soft_pdev)) {
		platform_driver_unregister(&soft_driver);
		return PTR_ERR(soft_pdev);
	}
	return 0;
}

/* Returns when the engine is unregistered: nothing calls this module again. */
static void __exit soft_exit(void)
{
	if (!soft_pdev)
		return;
	platform_device_unregister(soft_pdev);
	platform_driver_unregister(&soft_driver);
	soft_pdev = NULL;
}

module_init(soft_init);
module_exit(soft_exit);

MODULE_DESCRIPTION("mmdma provider: the software DMA engine (the CPU copies through the DMA API's bus addresses)");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MMDMA_VERSION);
MMDMA_IMPORT_NS();
