// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the software engine, a DMA-capable platform device with no
 * hardware behind it.  Its "device memory" is a vmalloc area and its engine
 * is a work item that copies with the CPU.  Everything in front of the
 * engine is the same as for the edu device: the pinning, the sg tables, the
 * DMA-API mappings (swiotlb bounces them too when the kernel forces it) and
 * the syncs; the engine reaches host memory only through the bus addresses
 * the DMA layer handed out, as hardware would.
 *
 * Unlike edu it takes a whole descriptor list per start (max_batch), as
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

#include "mmdma.h"

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

struct mmdma_soft {
	struct mmdma_dev *mdev;
	void *mem;
	struct workqueue_struct *wq;
	struct work_struct work;
	/* The batch being copied; set by soft_start() under mdev->lock. */
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
	struct device *dev = soft->mdev->dma;
	phys_addr_t phys = dma_to_phys(dev, op->bus);
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
		mmdma_dev_op_done(soft->mdev, seq, err);
}

static int soft_start(struct mmdma_dev *mdev, const struct mmdma_op *ops,
		      unsigned int n)
{
	struct mmdma_soft *soft = mdev->priv;
	unsigned int i;

	if (READ_ONCE(soft->busy))
		return -EBUSY;
	for (i = 0; i < n; i++) {
		if (!ops[i].len || ops[i].dev_off + ops[i].len > mdev->mem_size)
			return -EINVAL;
	}
	soft->ops = ops;
	soft->n = n;
	soft->seq = mdev->op_seq;
	soft->busy = true;
	queue_work(soft->wq, &soft->work);
	return 0;
}

/* After a time-out: the copy must be over before the memory is unmapped. */
static void soft_stop(struct mmdma_dev *mdev)
{
	struct mmdma_soft *soft = mdev->priv;

	wait_event(soft->idle, !READ_ONCE(soft->busy));
}

static const struct mmdma_dev_ops soft_ops = {
	.start	= soft_start,
	.stop	= soft_stop,
};

static int soft_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct mmdma_soft *soft;
	struct mmdma_dev *mdev;
	int ret;

	/* The engine finds host memory with dma_to_phys(): no IOMMU here. */
	if (get_dma_ops(dev))
		return -ENODEV;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(dev, UINT_MAX);

	soft = devm_kzalloc(dev, sizeof(*soft), GFP_KERNEL);
	if (!soft)
		return -ENOMEM;
	/* Quietly: the failed probe says why, without an allocator trace. */
	soft->mem = __vmalloc(soft_mem_size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!soft->mem) {
		dev_err(dev, "cannot allocate %lu bytes of device memory\n",
			soft_mem_size);
		return -ENOMEM;
	}
	init_waitqueue_head(&soft->idle);
	INIT_WORK(&soft->work, soft_work);
	soft->wq = alloc_workqueue(SOFT_NAME, WQ_UNBOUND | WQ_HIGHPRI, 1);
	if (!soft->wq) {
		ret = -ENOMEM;
		goto err_mem;
	}

	mdev = mmdma_dev_create(dev, MMDMA_DEV_SOFT, &soft_ops, soft_mem_size,
				min_t(unsigned long, soft_mem_size, U32_MAX),
				soft);
	if (IS_ERR(mdev)) {
		ret = PTR_ERR(mdev);
		goto err_wq;
	}
	mdev->max_batch = SOFT_MAX_BATCH;
	soft->mdev = mdev;
	ret = mmdma_dev_register(mdev);
	if (ret)
		goto err_put;
	platform_set_drvdata(pdev, soft);
	return 0;

err_put:
	mmdma_dev_put(mdev);
err_wq:
	destroy_workqueue(soft->wq);
err_mem:
	vfree(soft->mem);
	return ret;
}

static void soft_remove(struct platform_device *pdev)
{
	struct mmdma_soft *soft = platform_get_drvdata(pdev);

	mmdma_dev_unregister(soft->mdev);
	/* The engine is idle: unregister waited for the last request. */
	destroy_workqueue(soft->wq);
	vfree(soft->mem);
	mmdma_dev_put(soft->mdev);
}

static struct platform_driver soft_driver = {
	.driver = {
		.name = SOFT_NAME,
	},
	.probe = soft_probe,
	.remove_new = soft_remove,
};

int mmdma_soft_init(void)
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

void mmdma_soft_exit(void)
{
	if (!soft_pdev)
		return;
	platform_device_unregister(soft_pdev);
	platform_driver_unregister(&soft_driver);
	soft_pdev = NULL;
}
