// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: MMDMA_MAP_HUGE, contiguous memory mapped 2 MiB at a time.
 *
 * A .huge_fault handler installs one PMD entry per 2 MiB with
 * vmf_insert_pfn_pmd(): 512 times fewer faults and page-table pages than
 * 4 KiB mappings, and one TLB entry per 2 MiB.  Three things must line up:
 *  - the memory is physically 2 MiB-aligned: contiguous buffers come from
 *    one buddy block of order >= 9, naturally aligned to its size;
 *  - the user address is 2 MiB-aligned like the buffer offset: the file's
 *    .get_unmapped_area is thp_get_unmapped_area();
 *  - the core must ask: VM_HUGEPAGE lets THP's "madvise" setting allow it,
 *    and compat.h says what older kernels need besides.
 *
 * The mapping is a PFN map (VM_PFNMAP): 6.1 has no vmf_insert_folio_pmd(),
 * and a huge PMD over pages the core cannot treat as a compound folio must
 * not be seen as one.  So GUP, and O_DIRECT into the mapping, get EFAULT.
 *
 * Whatever cannot be mapped huge falls back to the 4 KiB .fault handler: a
 * range cut by a partial munmap() or mprotect() (the core splits a PMD of a
 * PFN map by zapping it), a VMA not aligned like the buffer, or a kernel
 * whose core never calls .huge_fault.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/module.h>
#include <linux/pfn_t.h>

#include "mmdma.h"

/**
 * mmdma_huge_valid() - can a buffer of @kind and @size be mapped huge?
 * @kind: enum mmdma_mem_kind
 * @size: requested bytes
 */
bool mmdma_huge_valid(u32 kind, u64 size)
{
	return kind == MMDMA_MEM_CONTIG && size && IS_ALIGNED(size, SZ_2M);
}

static unsigned long mmdma_huge_pfn(struct mmdma_buf *buf, unsigned long pgoff)
{
	return page_to_pfn(virt_to_page(buf->vaddr)) + pgoff;
}

/* The 4 KiB path: after a split, or wherever a PMD does not fit. */
static vm_fault_t mmdma_huge_pte_fault(struct vm_fault *vmf)
{
	struct mmdma_buf *buf = vmf->vma->vm_private_data;
	vm_fault_t ret;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	ret = vmf_insert_pfn(vmf->vma, vmf->address,
			     mmdma_huge_pfn(buf, vmf->pgoff));
	if (ret == VM_FAULT_NOPAGE)
		atomic64_inc(&buf->faults);
	return ret;
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static vm_fault_t mmdma_huge_fault(struct vm_fault *vmf, mmdma_fault_size_t sz)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmdma_buf *buf = vma->vm_private_data;
	unsigned long addr = vmf->address & PMD_MASK;
	unsigned long pgoff;
	vm_fault_t ret;

	if (!MMDMA_FAULT_IS_PMD(sz))
		return VM_FAULT_FALLBACK;
	/* The 2 MiB around the address must lie inside the VMA ... */
	if (addr < vma->vm_start || addr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;
	/* ... and inside the buffer, starting on a 2 MiB boundary of it. */
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (!IS_ALIGNED(pgoff, PMD_SIZE >> PAGE_SHIFT) ||
	    pgoff + (PMD_SIZE >> PAGE_SHIFT) > buf->nr_pages)
		return VM_FAULT_FALLBACK;

	ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(mmdma_huge_pfn(buf, pgoff),
						     MMDMA_HUGE_PFN_FLAGS),
				 vmf->flags & FAULT_FLAG_WRITE);
	if (ret == VM_FAULT_NOPAGE)
		atomic64_inc(&buf->huge_faults);
	return ret;
}
#endif

static const struct vm_operations_struct mmdma_vm_huge_ops = {
	.open		= mmdma_vm_open,
	.close		= mmdma_vm_close,
	.fault		= mmdma_huge_pte_fault,
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	.huge_fault	= mmdma_huge_fault,
#endif
};

/**
 * mmdma_huge_mmap() - set a VMA up for huge faults; nothing is mapped yet
 * @buf: a MMDMA_MAP_HUGE buffer
 * @vma: the VMA, already checked to be a shared mapping inside @buf
 */
void mmdma_huge_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_HUGEPAGE);
	vma->vm_ops = &mmdma_vm_huge_ops;
}

/**
 * mmdma_huge_file() - the file of a MMDMA_MAP_HUGE buffer
 * @fops:  the buffer file operations
 * @buf:   the buffer, becomes file->private_data
 * @flags: O_* flags of the file
 *
 * Unlike other buffers, which share the anonymous inode, a huge buffer's
 * file has an inode of its own: older kernels decide from the inode whether
 * a VMA may take huge faults (compat.h), and that must not leak to every
 * other anonymous-inode file in the system.
 */
struct file *mmdma_huge_file(const struct file_operations *fops,
			     struct mmdma_buf *buf, int flags)
{
	struct inode *inode = mmdma_fs_inode();
	struct file *file;

	if (IS_ERR(inode))
		return ERR_CAST(inode);
	mmdma_huge_inode_init(inode);
	/* As anon_inode_getfile() does: the file pins the module. */
	if (!try_module_get(fops->owner)) {
		iput(inode);
		return ERR_PTR(-ENOENT);
	}
	file = mmdma_fs_file(inode, "mmdma-buf", flags & (O_ACCMODE | O_NONBLOCK),
			     fops);
	if (IS_ERR(file)) {
		module_put(fops->owner);
		iput(inode);
		return file;
	}
	file->private_data = buf;
	return file;
}
