// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: MMDMA_MEM_RESERVED buffers, the chapter's do-it-yourself
 * allocation: RAM hidden from the kernel at boot (memmap=SIZE$ADDR marks it
 * reserved in the e820 map, so the page allocator never sees it), claimed
 * by the driver at load and carved into page-aligned pieces.
 *
 * The region is not System RAM to the kernel: it is not in the linear map
 * (the kernel maps only usable RAM there), so page_address() of its pages
 * is no address at all, even where pfn_valid() says a struct page exists
 * (x86 allocates struct pages per 128 MiB section).  The driver reaches it
 * through its own memremap(MEMREMAP_WB) mapping, user space through
 * special entries in a VM_MIXEDMAP VMA (mmdma_reserved_vm_flags() says why
 * not remap_pfn_range()), and a device through dma_map_resource(), which maps a
 * physical range without wanting a struct page.
 */
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>

#include "mmdma.h"

static unsigned long mmdma_reserved_base;
/*
 * A physical address: only root reads it back (docs/security.md), and as an
 * iomem parameter kernel lockdown refuses it.
 */
module_param_hw_named(reserved_base, mmdma_reserved_base, ulong, iomem, 0400);
MODULE_PARM_DESC(reserved_base, "physical address of RAM reserved at boot with memmap=SIZE$ADDR (page-aligned)");

static unsigned long mmdma_reserved_size;
mmdma_param_size(reserved_size, mmdma_reserved_size, 0444, .zero_ok = true,
		 .page_aligned = true, .min = PAGE_SIZE, .max = ULONG_MAX,
		 .why = "bytes of the region reserved with memmap=, whole pages");
MODULE_PARM_DESC(reserved_size, "bytes of that region, whole pages, K/M/G suffixes; 0 (default): no MMDMA_MEM_RESERVED");

/* Set at load, cleared at unload; buffers pin the module in between. */
static struct resource *mmdma_reserved_res;
static void *mmdma_reserved_vaddr;
static struct gen_pool *mmdma_reserved_pool;

bool mmdma_reserved_usable(void)
{
	return mmdma_reserved_pool;
}

static int mmdma_reserved_check(void)
{
	phys_addr_t end;

	if (!PAGE_ALIGNED(mmdma_reserved_base) ||
	    !PAGE_ALIGNED(mmdma_reserved_size) || !mmdma_reserved_base ||
	    check_add_overflow((phys_addr_t)mmdma_reserved_base,
			       (phys_addr_t)mmdma_reserved_size, &end)) {
		pr_err("mmdma: reserved region %#lx+%#lx: base and size must be non-zero multiples of the page size\n",
		       mmdma_reserved_base, mmdma_reserved_size);
		return -EINVAL;
	}
	/*
	 * Wholly inside what the firmware map calls reserved, and touching
	 * nothing else: not RAM the kernel uses, not device memory.
	 */
	if (region_intersects(mmdma_reserved_base, mmdma_reserved_size,
			      IORESOURCE_MEM, IORES_DESC_RESERVED) !=
	    REGION_INTERSECTS) {
		pr_err("mmdma: reserved region %#lx+%#lx is not reserved memory: boot with memmap=%#lx$%#lx\n",
		       mmdma_reserved_base, mmdma_reserved_size,
		       mmdma_reserved_size, mmdma_reserved_base);
		return -EINVAL;
	}
	return 0;
}

/**
 * mmdma_reserved_init() - claim the region named by the module parameters
 *
 * Nothing to do without them.  A region that is given but unusable fails
 * the module load: the administrator asked for it.
 */
int mmdma_reserved_init(void)
{
	int ret;

	if (!mmdma_reserved_size)
		return 0;
	ret = mmdma_reserved_check();
	if (ret)
		return ret;

	mmdma_reserved_res = request_mem_region(mmdma_reserved_base,
						mmdma_reserved_size,
						"mmdma-reserved");
	if (!mmdma_reserved_res) {
		pr_err("mmdma: reserved region %#lx+%#lx is in use\n",
		       mmdma_reserved_base, mmdma_reserved_size);
		return -EBUSY;
	}
	mmdma_reserved_vaddr = memremap(mmdma_reserved_base, mmdma_reserved_size,
					MEMREMAP_WB);
	ret = -ENOMEM;
	if (!mmdma_reserved_vaddr)
		goto err_release;
	/* Pieces of whole pages: remap_pfn_range() maps nothing smaller. */
	mmdma_reserved_pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!mmdma_reserved_pool)
		goto err_unmap;
	ret = gen_pool_add(mmdma_reserved_pool, mmdma_reserved_base,
			   mmdma_reserved_size, NUMA_NO_NODE);
	if (ret)
		goto err_destroy;
	/* No address at the default log level: docs/security.md. */
	pr_info("mmdma: reserved region of %#lx bytes claimed (struct pages: %s)\n",
		mmdma_reserved_size,
		pfn_valid(PHYS_PFN(mmdma_reserved_base)) ? "yes" : "no");
	return 0;

err_destroy:
	gen_pool_destroy(mmdma_reserved_pool);
	mmdma_reserved_pool = NULL;
err_unmap:
	memunmap(mmdma_reserved_vaddr);
err_release:
	release_mem_region(mmdma_reserved_base, mmdma_reserved_size);
	mmdma_reserved_res = NULL;
	return ret;
}

void mmdma_reserved_exit(void)
{
	if (!mmdma_reserved_pool)
		return;
	/* gen_pool_destroy() BUGs on pieces still handed out: none can be. */
	gen_pool_destroy(mmdma_reserved_pool);
	mmdma_reserved_pool = NULL;
	memunmap(mmdma_reserved_vaddr);
	release_mem_region(mmdma_reserved_base, mmdma_reserved_size);
	mmdma_reserved_res = NULL;
}

/**
 * mmdma_reserved_alloc() - a piece of the region for @buf
 * @buf: a new buffer with its size set
 *
 * Return: 0, -ENODEV without a region, -ENOMEM when no free run of
 * buf->size bytes is left.
 */
int mmdma_reserved_alloc(struct mmdma_buf *buf)
{
	unsigned long phys;

	if (!mmdma_reserved_pool) {
		dev_dbg(mmdma_dev(), "alloc: no reserved region (module parameters reserved_base, reserved_size)\n");
		return -ENODEV;
	}
	phys = gen_pool_alloc(mmdma_reserved_pool, buf->size);
	if (!phys) {
		dev_dbg(mmdma_dev(), "alloc: no %zu free bytes in the reserved region\n",
			buf->size);
		return -ENOMEM;
	}
	buf->phys = phys;
	buf->vaddr = mmdma_reserved_vaddr + (phys - mmdma_reserved_base);
	/* The previous owner's data must not leak to the next. */
	memset(buf->vaddr, 0, buf->size);
	return 0;
}

void mmdma_reserved_free(struct mmdma_buf *buf)
{
	gen_pool_free(mmdma_reserved_pool, buf->phys, buf->size);
}
