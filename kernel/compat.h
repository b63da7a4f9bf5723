/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: every kernel-version difference the driver meets, in one place.
 * Each shim names the kernel version and the change that made it necessary.
 * Supported: 6.1 (Debian 12) to 6.12 (Debian 12 security/backports).
 */
#ifndef MMDMA_COMPAT_H
#define MMDMA_COMPAT_H

#include <linux/version.h>
#include <linux/dma-direct.h>
#include <linux/pci.h>
#include <linux/swiotlb.h>
#include <linux/uio.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/fs.h>
#include <linux/pfn_t.h>

/*
 * 6.3 made vma->vm_flags const and added vm_flags_set()/vm_flags_clear(),
 * which also take care of the per-VMA lock.  Before that, plain bit operations
 * under the mmap lock were the rule.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 6.4 made MAX_ORDER inclusive (the largest order, not one past it) and 6.8
 * renamed it MAX_PAGE_ORDER.  MMDMA_MAX_PAGE_ORDER is the largest order the
 * buddy allocator hands out, on every version.
 */
#if defined(MAX_PAGE_ORDER)
#define MMDMA_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define MMDMA_MAX_PAGE_ORDER	MAX_ORDER
#else
#define MMDMA_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/* 6.8 renamed PCI_IRQ_LEGACY to PCI_IRQ_INTX (and 6.10 removed the old name). */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/*
 * 6.11 added pcim_iomap_region() and deprecated pcim_iomap_regions() with its
 * table.  Both map one BAR for the life of the binding.
 */
static inline void __iomem *mmdma_pcim_iomap(struct pci_dev *pdev, int bar,
					     const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return pcim_iomap_region(pdev, bar, name);
#else
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	return ret ? IOMEM_ERR_PTR(ret) : pcim_iomap_table(pdev)[bar];
#endif
}

/*
 * 6.12 ("introduce fd_file(), convert all accessors to it") turned struct
 * fd into one tagged word read through fd_file(); before, the file is
 * f.file.
 */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/*
 * Can any streaming mapping for @dev need a sync?  6.11 ("dma: avoid
 * redundant calls for sync operations") records the answer per device
 * (dev->dma_skip_sync) and asks it through dma_dev_need_sync(); before,
 * only dma_need_sync() (5.9) answers, address by address, which is what
 * the caller asks next either way.
 */
static inline bool mmdma_dev_need_sync(struct device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return dma_dev_need_sync(dev);
#else
	return true;
#endif
}

/*
 * Does swiotlb's default pool lie wholly inside what @dev can address?  Then
 * streaming mappings of memory the device cannot reach may be left to
 * swiotlb; otherwise swiotlb would itself hand the device an address it
 * cannot use (and warn).  6.6 moved the pool bounds into mem->defpool when
 * it added dynamic pools.
 */
#ifdef CONFIG_SWIOTLB
static inline bool mmdma_swiotlb_in_reach(struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	phys_addr_t end;

	if (!mem || !mem->nslabs)
		return false;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	end = mem->defpool.end;
#else
	end = mem->end;
#endif
	return dma_capable(dev, phys_to_dma(dev, end - 1), 1, true);
}
#else
static inline bool mmdma_swiotlb_in_reach(struct device *dev)
{
	return false;
}
#endif

/*
 * The user segment at the head of a user-backed iov_iter (ITER_UBUF or
 * ITER_IOVEC), clipped to what the iterator has left; it may be empty.
 * 6.4 added iter_iov_addr()/iter_iov_len() and hid the iovec pointer.
 */
static inline struct iovec mmdma_iter_head(const struct iov_iter *i)
{
	struct iovec v;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	v.iov_base = iter_iov_addr(i);
	v.iov_len = iter_iov_len(i);
#else
	if (iter_is_ubuf(i)) {
		v.iov_base = i->ubuf + i->iov_offset;
		v.iov_len = i->count;
	} else {
		v.iov_base = i->iov->iov_base + i->iov_offset;
		v.iov_len = i->iov->iov_len - i->iov_offset;
	}
#endif
	v.iov_len = min(v.iov_len, iov_iter_count(i));
	return v;
}

/*
 * 6.6 changed .huge_fault's second argument from enum page_entry_size
 * (PE_SIZE_PMD) to the order of the mapping (PMD_ORDER).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
typedef unsigned int mmdma_fault_size_t;
#define MMDMA_FAULT_IS_PMD(sz)	((sz) == PMD_ORDER)
#else
typedef enum page_entry_size mmdma_fault_size_t;
#define MMDMA_FAULT_IS_PMD(sz)	((sz) == PE_SIZE_PMD)
#endif

/*
 * Whether the core calls .huge_fault for a non-anonymous VMA.  6.0's "mm:
 * thp: kill __transhuge_page_enabled()" left only DAX VMAs eligible, and
 * VM_PFNMAP ones never (VM_NO_KHUGEPAGED); 6.6 (the fix for that commit)
 * trusts any VMA with a .huge_fault handler.  Before 6.6 the buffer's own
 * inode is therefore marked S_DAX, as device-dax does, which exists only
 * with CONFIG_FS_DAX: without it MMDMA_MAP_HUGE maps 4 KiB at a time.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define MMDMA_HUGE_PMD	IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
static inline void mmdma_huge_inode_init(struct inode *inode)
{
}
#else
#define MMDMA_HUGE_PMD	(IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && \
			 IS_ENABLED(CONFIG_FS_DAX))
static inline void mmdma_huge_inode_init(struct inode *inode)
{
	inode->i_flags |= S_DAX;
}
#endif

/*
 * The pfn_t flags of a huge PFN mapping.  6.12 marks a PMD without PFN_MAP
 * "special" (pmd_special()), which GUP-fast skips.  Before that a plain huge
 * PMD looks like a THP to GUP-fast, which would take references on our pages
 * as if they were a compound page; a devmap PMD (PFN_DEV | PFN_MAP) makes
 * GUP-fast look for a dev_pagemap, find none and leave it to the slow path,
 * which refuses the VM_PFNMAP VMA with EFAULT.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define MMDMA_HUGE_PFN_FLAGS	PFN_DEV
#else
#define MMDMA_HUGE_PFN_FLAGS	(PFN_DEV | PFN_MAP)
#endif

/*
 * 6.5 dropped the @vmas argument of pin_user_pages() (the variant that wants
 * the caller to hold the mmap lock for reading, and keeps it held).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define mmdma_pin_user_pages_locked(start, nr, gup, pages) \
	pin_user_pages(start, nr, gup, pages)
#else
#define mmdma_pin_user_pages_locked(start, nr, gup, pages) \
	pin_user_pages(start, nr, gup, pages, NULL)
#endif

/*
 * 6.13 made the namespace argument of MODULE_IMPORT_NS() a string literal
 * (it was a bare identifier that the macro stringified).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define MMDMA_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS("DMA_BUF")
#else
#define MMDMA_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS(DMA_BUF)
#endif

/*
 * The same change (6.13, "module: Convert symbol namespace to string
 * literal") for the core's own namespace, MMDMA, on both sides: the core
 * exports with MMDMA_EXPORT(), each provider says MMDMA_IMPORT_NS().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define MMDMA_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, "MMDMA")
#define MMDMA_IMPORT_NS()	MODULE_IMPORT_NS("MMDMA")
#else
#define MMDMA_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, MMDMA)
#define MMDMA_IMPORT_NS()	MODULE_IMPORT_NS(MMDMA)
#endif

/*
 * Page-table walking for MMDMA_IOC_EXPLAIN (a hand-written walk: the
 * kernel's follow_pte() was replaced by follow_pfnmap_start() in 6.10,
 * which serves VM_PFNMAP/VM_IO VMAs only, and walk_page_range() is not
 * exported).
 *
 * 6.5 ("mm/pgtable: allow pte_offset_map[_lock]() to fail") lets a page
 * table be freed under the mmap read lock (khugepaged retracting tables of
 * file THPs, freed by RCU): pte_offset_map_lock() became an out-of-line
 * __pte_offset_map_lock(), not exported, that takes rcu_read_lock(), checks
 * the PMD again under the PTE lock and may fail.  mmdma_pte_locked() does
 * the same with what modules have.  Before 6.5 a PMD seen pointing at a
 * table under the mmap read lock keeps pointing at it, and
 * pte_offset_map_lock() is a macro that cannot fail.
 *
 * mmdma_pte_locked() calls @fn with the entry while it holds the PTE lock
 * and drops the lock before it returns (a callback rather than a lock held
 * on return, so that every path is balanced where sparse can see it).
 * Return: 0, or -EAGAIN when the PMD no longer points at a page table.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline pmd_t mmdma_pmdp_get(pmd_t *pmdp)
{
	return pmdp_get_lockless(pmdp);
}

static inline int mmdma_pte_locked(struct mm_struct *mm, pmd_t *pmdp,
				   unsigned long addr,
				   void (*fn)(void *arg, pte_t pte), void *arg)
{
	spinlock_t *ptl;
	int ret = -EAGAIN;
	pmd_t pmd;
	pte_t *pte;

	rcu_read_lock();
	pmd = pmdp_get_lockless(pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd) || pmd_leaf(pmd) || pmd_bad(pmd))
		goto out;
	pte = pte_offset_kernel(&pmd, addr);
	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	if (likely(pmd_same(pmd, pmdp_get_lockless(pmdp)))) {
		fn(arg, ptep_get(pte));
		ret = 0;
	}
	spin_unlock(ptl);
out:
	rcu_read_unlock();
	return ret;
}
#else
static inline pmd_t mmdma_pmdp_get(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

static inline int mmdma_pte_locked(struct mm_struct *mm, pmd_t *pmdp,
				   unsigned long addr,
				   void (*fn)(void *arg, pte_t pte), void *arg)
{
	spinlock_t *ptl;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	fn(arg, ptep_get(pte));
	pte_unmap_unlock(pte, ptl);
	return 0;
}
#endif

/*
 * 6.12 removed page_mapcount() ("mm: remove page_mapcount()"): the mapcount
 * of one page of a large folio is no longer kept for others to read, and
 * folio_mapcount() counts the folio's mappings (equal for a small folio).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline int mmdma_page_mapcount(struct page *page)
{
	return folio_mapcount(page_folio(page));
}
#else
static inline int mmdma_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/*
 * 6.2 made the device argument of struct class's devnode() const
 * ("driver core: make struct class.devnode() take a const *").
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define MMDMA_CLASS_DEVNODE_CONST const
#else
#define MMDMA_CLASS_DEVNODE_CONST
#endif

/*
 * 6.8 dropped eventfd_signal()'s count argument (it was always 1 in the
 * tree): "eventfd: simplify eventfd_signal()".
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define mmdma_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define mmdma_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/*
 * A reference to a file unless its last one is already gone.  6.7 changed
 * get_file_rcu() to take a struct file ** (and 6.13 replaced f_count by
 * f_ref); up to 6.12 f_count is an atomic_long_t on every version we build.
 * The caller knows the struct file itself is not yet freed.
 */
static inline bool mmdma_get_file_unless_zero(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}

#endif /* MMDMA_COMPAT_H */
