// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the mmap device operation, every way LDD3 chapter 15 teaches it.
 *
 *  MMDMA_MAP_REMAP   remap_pfn_range() over contiguous RAM, whole range at
 *                    mmap() time ("remapping RAM", the book's simple_remap).
 *                    The VMA is VM_PFNMAP: no struct page behind it as far
 *                    as the rest of the kernel is concerned.
 *  MMDMA_MAP_FAULT   a .fault handler returning one page per fault (the
 *                    book's nopage, scullp and scullv).
 *  MMDMA_MAP_INSERT  every page at mmap() time from struct pages in one
 *                    batched call: vm_insert_pages(), for vmalloc memory
 *                    too (see mmdma_mmap_insert() for why not
 *                    remap_vmalloc_range()).
 *  coherent memory   vmf_insert_pfn() at fault time (REMAP only: mmdma_coherent.c).
 *  reserved region   vmf_insert_mixed() of its PFNs at mmap() time, in a
 *                    VM_MIXEDMAP VMA (REMAP only; see mmdma_mmap_reserved()
 *                    for why not remap_pfn_range()).
 *  MMDMA_MAP_HUGE    PMD entries from a .huge_fault handler (mmdma_huge.c).
 *
 * The buffer outlives every mapping of it without a reference per VMA:
 * vma->vm_file pins the buffer's file, and the file pins the buffer.
 */
#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mmdma.h"

/* vm_insert_pages() takes an array; batch so the array stays small. */
#define MMDMA_INSERT_BATCH	256

/**
 * mmdma_method_valid() - can @method map memory of @kind?
 * @kind:   enum mmdma_mem_kind
 * @method: enum mmdma_map_method
 *
 * remap_pfn_range() needs one physically contiguous range: vmalloc memory and
 * page arrays are refused, which is the chapter's point about remapping
 * vmalloc addresses.  Methods built on struct page take any kind that has
 * usable struct pages: not coherent memory (maybe a vmap() of pages the
 * driver does not own: a PFN map, so REMAP) nor the reserved region (not in
 * the kernel's linear map).
 */
bool mmdma_method_valid(u32 kind, u32 method)
{
	bool pages = kind != MMDMA_MEM_COHERENT && kind != MMDMA_MEM_RESERVED;

	switch (method) {
	case MMDMA_MAP_REMAP:
		return !pages || kind == MMDMA_MEM_CONTIG;
	case MMDMA_MAP_FAULT:
	case MMDMA_MAP_INSERT:
		return pages;
	case MMDMA_MAP_HUGE:
		return kind == MMDMA_MEM_CONTIG;
	}
	return false;
}

void mmdma_vm_open(struct vm_area_struct *vma)
{
	struct mmdma_buf *buf = vma->vm_private_data;

	atomic_inc(&buf->live_maps);
}

void mmdma_vm_close(struct vm_area_struct *vma)
{
	struct mmdma_buf *buf = vma->vm_private_data;

	atomic_dec(&buf->live_maps);
}

static vm_fault_t mmdma_vm_fault(struct vm_fault *vmf)
{
	struct mmdma_buf *buf = vmf->vma->vm_private_data;
	struct page *page;

	/* Past the end: reached by mremap() growing the VMA. */
	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;

	page = mmdma_buf_page(buf, vmf->pgoff);
	/* Kinds without struct pages never get here (mmdma_method_valid()). */
	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	atomic64_inc(&buf->faults);
	return 0;
}

static const struct vm_operations_struct mmdma_vm_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
	.fault	= mmdma_vm_fault,
};

/* remap_pfn_range() mappings have no struct page to fault in. */
static const struct vm_operations_struct mmdma_vm_pfn_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
};

/**
 * mmdma_reserved_insert() - map one page of reserved memory into a VMA
 * @vma:  a VM_MIXEDMAP | VM_IO VMA of a MMDMA_MEM_RESERVED buffer
 *        (mmdma_reserved_vm_flags()); the caller is its ->mmap or
 *        ->fault handler (the mmap lock, or in a fault the VMA's lock)
 * @addr: the user address, page-aligned, inside @vma
 * @buf:  the buffer
 * @pgoff: the page's offset in @buf, below buf->nr_pages
 *
 * A special entry (x86 has pte_special()): no struct page is counted, so
 * get_user_pages() finds no page behind it.  The cache attribute is the one
 * PAT recorded for the region: write-back, from the driver's
 * memremap(MEMREMAP_WB) in mmdma_reserved_init(), which reserved that
 * memory type for the whole region for as long as the module is loaded
 * (track_pfn_insert() looks it up; it would be UC- for memory PAT has no
 * entry for).
 *
 * Return: VM_FAULT_NOPAGE when the entry is there (inserted now, or already
 * by a racing fault), else VM_FAULT_OOM or VM_FAULT_SIGBUS.
 */
vm_fault_t mmdma_reserved_insert(struct vm_area_struct *vma,
				 unsigned long addr, struct mmdma_buf *buf,
				 unsigned long pgoff)
{
	unsigned long pfn = PHYS_PFN(buf->phys) + pgoff;

	/* PFN_DEV: memory the kernel does not manage, never a devmap page. */
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV));
}

/*
 * Refills an entry the owner zapped: VM_MIXEDMAP, unlike VM_PFNMAP, lets
 * madvise(MADV_DONTNEED) through.  mremap() cannot grow the VMA
 * (VM_DONTEXPAND), but its offset is checked all the same.
 */
static vm_fault_t mmdma_reserved_fault(struct vm_fault *vmf)
{
	struct mmdma_buf *buf = vmf->vma->vm_private_data;
	vm_fault_t ret;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	ret = mmdma_reserved_insert(vmf->vma, vmf->address, buf, vmf->pgoff);
	if (!(ret & VM_FAULT_ERROR))
		atomic64_inc(&buf->faults);
	return ret;
}

static const struct vm_operations_struct mmdma_vm_reserved_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
	.fault	= mmdma_reserved_fault,
};

/**
 * mmdma_reserved_vm_flags() - the VMA flags of every user mapping of
 *	reserved memory
 *
 * Not VM_PFNMAP, which remap_pfn_range() would set: the region's pages are
 * PageReserved, and VFIO's type1 IOMMU driver, when it cannot pin a range,
 * looks up the PFN of a VM_PFNMAP VMA itself and maps a reserved page into
 * the IOMMU without a pin or any reference (it takes it for MMIO).  That
 * IOMMU mapping would outlive the buffer and reach the next owner of that
 * piece of the region.  In a VM_MIXEDMAP VMA type1 does no such lookup,
 * and VM_IO makes every get_user_pages() fail with EFAULT before it walks
 * (without it, 6.1's __get_user_pages() answers a pin of a special entry
 * with EEXIST, by its source), so
 * VFIO_IOMMU_MAP_DMA, O_DIRECT and io_uring's fixed buffers all get
 * EFAULT, as they did from the PFN map.  /proc/PID/mem has no ->access
 * to fall back on, as before.  VM_DONTEXPAND | VM_DONTDUMP as
 * remap_pfn_range() sets them; fork() copies the special entries.
 */
vm_flags_t mmdma_reserved_vm_flags(void)
{
	return VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
}

/*
 * The whole range at mmap() time, as remap_pfn_range() did: the method is
 * still MMDMA_MAP_REMAP and its counter is buf->inserted.
 */
static int mmdma_mmap_reserved(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	unsigned long i, n = vma_pages(vma);
	vm_fault_t ret;

	vm_flags_set(vma, mmdma_reserved_vm_flags());
	vma->vm_ops = &mmdma_vm_reserved_ops;
	for (i = 0; i < n; i++) {
		ret = mmdma_reserved_insert(vma, vma->vm_start + (i << PAGE_SHIFT),
					    buf, vma->vm_pgoff + i);
		if (ret & VM_FAULT_ERROR) {
			/* The caller's failed mmap() unmaps what was put in. */
			return ret & VM_FAULT_OOM ? -ENOMEM : -EINVAL;
		}
	}
	atomic64_add(n, &buf->inserted);
	return 0;
}

/*
 * Validate before touching the page tables, the way /dev/mem's mmap does:
 * the offset is inside the buffer, the range does not run past its end, and
 * the method can honour the mapping type.
 */
static int mmdma_mmap_check(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff >= buf->nr_pages ||
	    len > (buf->nr_pages - vma->vm_pgoff) << PAGE_SHIFT) {
		dev_dbg(mmdma_dev(), "buf %u: mmap %lu bytes at page %lu past %zu bytes\n",
			buf->id, len, vma->vm_pgoff, buf->size);
		return -EINVAL;
	}
	/*
	 * A private writable mapping must copy on write.  For a VM_PFNMAP
	 * range the core can only do that when vm_pgoff is rewritten to the
	 * PFN, which would break the buffer offset every other path relies
	 * on, so remap_pfn_range() serves shared mappings only.
	 */
	if ((buf->method == MMDMA_MAP_REMAP || buf->method == MMDMA_MAP_HUGE) &&
	    is_cow_mapping(vma->vm_flags)) {
		dev_dbg(mmdma_dev(), "buf %u: MAP_PRIVATE needs a page-backed method\n",
			buf->id);
		return -EINVAL;
	}
	/*
	 * A private copy is an ordinary anonymous page, write-back in the
	 * linear map: mapping it WC or UC would be the disagreement
	 * mmdma_cache.c exists to prevent, and mapping the copies cached but
	 * the buffer's own pages (before the first write) WC would be the
	 * same disagreement the other way round.  Shared mappings only.
	 */
	if ((buf->cache == MMDMA_CACHE_WC || buf->cache == MMDMA_CACHE_UC) &&
	    is_cow_mapping(vma->vm_flags)) {
		dev_dbg(mmdma_dev(), "buf %u: MAP_PRIVATE of a WC or UC buffer\n",
			buf->id);
		return -EINVAL;
	}
	return 0;
}

static int mmdma_mmap_remap(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long pfn;
	int ret;

	/* Coherent memory is mapped at fault time: see mmdma_coherent_mmap(). */
	if (buf->kind == MMDMA_MEM_COHERENT)
		return mmdma_coherent_mmap(buf, vma);
	if (buf->kind == MMDMA_MEM_RESERVED)
		return mmdma_mmap_reserved(buf, vma);
	pfn = page_to_pfn(virt_to_page(buf->vaddr)) + vma->vm_pgoff;
	ret = remap_pfn_range(vma, vma->vm_start, pfn, len, vma->vm_page_prot);
	if (!ret)
		atomic64_add(len >> PAGE_SHIFT, &buf->inserted);
	return ret;
}

static int mmdma_mmap_insert_pages(struct mmdma_buf *buf,
				   struct vm_area_struct *vma)
{
	unsigned long total = vma_pages(vma);
	unsigned long done = 0;
	struct page **batch;
	int ret = 0;

	batch = kmalloc_array(MMDMA_INSERT_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;

	while (done < total) {
		unsigned long n = min_t(unsigned long, total - done,
					MMDMA_INSERT_BATCH);
		unsigned long left = n;
		unsigned long i;

		for (i = 0; i < n; i++)
			batch[i] = mmdma_buf_page(buf, vma->vm_pgoff + done + i);
		ret = vm_insert_pages(vma, vma->vm_start + (done << PAGE_SHIFT),
				      batch, &left);
		done += n - left;
		if (ret)
			break;
	}
	kfree(batch);
	atomic64_add(done, &buf->inserted);
	return ret;
}

static int mmdma_mmap_insert(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	/*
	 * vmalloc memory too: remap_vmalloc_range() would want VM_USERMAP,
	 * which only vmalloc_user() sets, and that cannot charge the caller's
	 * memcg (mmdma_alloc_memory()).  It walks the area's pages the same way.
	 */
	return mmdma_mmap_insert_pages(buf, vma);
}

/**
 * mmdma_buf_mmap() - map (part of) a buffer into a VMA
 * @buf: the buffer
 * @vma: the VMA; vm_pgoff is the offset into the buffer in pages
 *
 * Return: 0, or -EINVAL for a range or mapping type the buffer cannot take,
 * or the error of the mapping primitive.
 */
int mmdma_buf_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	int ret;

	ret = mmdma_mmap_check(buf, vma);
	if (ret)
		return ret;

	/* From here user space can pin its pages: each needs its own count. */
	mmdma_buf_split(buf);
	vma->vm_private_data = buf;
	vma->vm_page_prot = mmdma_cache_pgprot(buf, vma->vm_page_prot);
	switch (buf->method) {
	case MMDMA_MAP_REMAP:
		vma->vm_ops = &mmdma_vm_pfn_ops;
		ret = mmdma_mmap_remap(buf, vma);
		break;
	case MMDMA_MAP_INSERT:
		vma->vm_ops = &mmdma_vm_ops;
		ret = mmdma_mmap_insert(buf, vma);
		break;
	case MMDMA_MAP_HUGE:
		mmdma_huge_mmap(buf, vma);
		break;
	default:
		vma->vm_ops = &mmdma_vm_ops;
		break;
	}
	if (ret) {
		dev_dbg(mmdma_dev(), "buf %u: mapping failed: %d\n", buf->id, ret);
		return ret;
	}

	/* The core calls .open for copies and splits, never for the first. */
	mmdma_vm_open(vma);
	atomic64_inc(&buf->mmaps);
	return 0;
}
ALLOW_ERROR_INJECTION(mmdma_buf_mmap, ERRNO);
