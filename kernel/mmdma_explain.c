// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: MMDMA_IOC_EXPLAIN, "Memory Management in Linux" made visible.
 *
 * One user virtual address is followed down the chain the chapter opens
 * with: the VMA holding it, each page-table entry on the way down, the page
 * frame and physical address, the struct page (zone, node, flags, counts,
 * high or low memory), the kernel logical address in the linear map (and the
 * driver's own kernel virtual address for a buffer, maybe in vmalloc space),
 * and the bus address a DMA device would use.
 *
 * Read-only by construction: the page tables are walked by hand under the
 * target's mmap lock (read) and the PTE or PMD lock, never through the fault
 * path, so an unpopulated address stays unpopulated.  The mmap lock keeps
 * the VMA and the upper page-table levels in place against a concurrent
 * munmap(); the entry itself is read under its page-table lock, and the
 * struct page is looked at before that lock is dropped.  Whatever needs a
 * sleeping lock of the driver (a buffer's attachments, a coherent buffer's
 * revocation lock, the DMA layer) happens after the mmap lock is dropped,
 * with references on the buffer and the page, so no lock of ours is ever
 * taken inside the mmap lock (read() and write() take them the other way
 * round).
 */
#include <linux/cred.h>
#include <linux/swiotlb.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mmdma.h"

/* A huge entry that splits under us sends the walk round again; not forever. */
#define MMDMA_EXPLAIN_TRIES	8

/* What the walk found, for the steps after the mmap lock is dropped. */
struct mmdma_explain_ctx {
	struct mmdma_explain *e;
	struct page *page;		/* referenced, for a transient mapping */
	struct mmdma_buf *buf;		/* referenced: the buffer mapped there */
	bool want_bus;			/* a device was named */
	bool want_ref;			/* a page reference may be taken (below) */
	bool buf_holds;			/* ... even from a special entry: @buf
					 * keeps the memory */
	bool mixed;			/* VM_MIXEDMAP: a huge entry may map a
					 * page it does not count (6.1 has no
					 * pmd_special()), so it is special */
};

/*
 * Another process's page tables only for a caller that could ptrace any
 * process: CAP_SYS_PTRACE.  Not the /proc/PID/maps rule (same ids and
 * dumpable): checked without the target's exec_update_lock, that rule can
 * be raced by an exec of a setuid program (the new mm is installed before
 * the new credentials), and it skips the security modules' ptrace hooks.
 */
static int mmdma_explain_may_read(struct task_struct *task)
{
	if (same_thread_group(task, current))
		return 0;
	if (!capable(CAP_SYS_PTRACE)) {
		dev_dbg(mmdma_dev(), "explain: pid %d needs CAP_SYS_PTRACE\n",
			task_pid_nr(task));
		return -EACCES;
	}
	return 0;
}

/* The mm of the caller (@pid 0) or of process @pid, referenced. */
static struct mm_struct *mmdma_explain_mm(s32 pid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *spid;
	int ret;

	if (!pid) {
		mm = get_task_mm(current);
		return mm ?: ERR_PTR(-ESRCH);
	}
	spid = find_get_pid(pid);
	task = get_pid_task(spid, PIDTYPE_PID);
	put_pid(spid);
	if (!task)
		return ERR_PTR(-ESRCH);
	ret = mmdma_explain_may_read(task);
	if (ret) {
		put_task_struct(task);
		return ERR_PTR(ret);
	}
	mm = get_task_mm(task);
	put_task_struct(task);
	return mm ?: ERR_PTR(-ESRCH);
}

static void mmdma_explain_file(struct mmdma_explain *e, struct file *file)
{
	char *path;

	e->file_ino = file_inode(file)->i_ino;
	path = d_path(&file->f_path, e->file_name, sizeof(e->file_name));
	if (IS_ERR(path)) {
		/* Too long (or unreachable): the last component will do. */
		snprintf(e->file_name, sizeof(e->file_name), "%pD", file);
		return;
	}
	memmove(e->file_name, path, strlen(path) + 1);
}

/* The struct page of @pfn, looked at under the page-table lock. */
static void mmdma_explain_page(struct mmdma_explain_ctx *c, unsigned long pfn,
			       bool special)
{
	struct mmdma_explain *e = c->e;
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio;
	u32 f = 0;

	if (!page)
		return;
	folio = page_folio(page);
	e->valid |= MMDMA_EXPLAIN_PAGE;
	e->page_raw_flags = page->flags;
	f |= folio_test_locked(folio) ? MMDMA_PG_LOCKED : 0;
	f |= folio_test_referenced(folio) ? MMDMA_PG_REFERENCED : 0;
	f |= folio_test_uptodate(folio) ? MMDMA_PG_UPTODATE : 0;
	f |= folio_test_dirty(folio) ? MMDMA_PG_DIRTY : 0;
	f |= folio_test_lru(folio) ? MMDMA_PG_LRU : 0;
	f |= folio_test_active(folio) ? MMDMA_PG_ACTIVE : 0;
	f |= folio_test_slab(folio) ? MMDMA_PG_SLAB : 0;
	f |= PageReserved(page) ? MMDMA_PG_RESERVED : 0;
	f |= folio_test_swapbacked(folio) ? MMDMA_PG_SWAPBACKED : 0;
	f |= folio_test_anon(folio) ? MMDMA_PG_ANON : 0;
	f |= folio_test_large(folio) ? MMDMA_PG_LARGE : 0;
	f |= folio_test_unevictable(folio) ? MMDMA_PG_UNEVICTABLE : 0;
	f |= folio_test_writeback(folio) ? MMDMA_PG_WRITEBACK : 0;
	e->page_flags = f;
	e->refcount = folio_ref_count(folio);
	e->mapcount = mmdma_page_mapcount(page);
	e->folio_order = folio_order(folio);
	e->node = page_to_nid(page);
	strscpy(e->zone, page_zone(page)->name, sizeof(e->zone));
	if (PageHighMem(page))
		e->valid |= MMDMA_EXPLAIN_HIGHMEM;
	/*
	 * For a transient DMA mapping after the locks are gone.  The count
	 * reported above was read first.  Only where the mapping stands for
	 * a counted page (c->want_ref, and not a special PTE): a reference
	 * taken on a page in someone else's PFN map could outlive its owner's
	 * use of it.
	 */
	if (c->want_ref && (!special || c->buf_holds) &&
	    folio_try_get(folio))
		c->page = page;		/* put_page() drops the folio's */
}

static void mmdma_explain_leaf(struct mmdma_explain_ctx *c, u32 level,
			       unsigned long pfn, bool special)
{
	struct mmdma_explain *e = c->e;

	e->leaf = level;
	e->valid |= MMDMA_EXPLAIN_PRESENT;
	e->pfn = pfn;
	e->phys = PFN_PHYS(pfn) + offset_in_page(e->addr);
	mmdma_explain_page(c, pfn, special);
}

/* The PTE, read under its lock (mmdma_pte_locked()). */
static void mmdma_explain_pte(void *arg, pte_t pte)
{
	struct mmdma_explain_ctx *c = arg;
	struct mmdma_explain *e = c->e;

	e->pte = pte_val(pte);
	e->levels = 5;
	if (pte_present(pte))
		mmdma_explain_leaf(c, MMDMA_LEVEL_PTE, pte_pfn(pte),
				   pte_special(pte));
	else if (!pte_none(pte))
		e->valid |= MMDMA_EXPLAIN_SWAP;
}

/*
 * Walk @mm's page tables for e->addr; mmap lock held for reading.  Return:
 * 0 (the walk ended somewhere, maybe early), or -EAGAIN when a huge entry
 * changed between two looks (the caller tries again).
 */
static int mmdma_explain_walk(struct mmdma_explain_ctx *c,
			      struct mm_struct *mm)
{
	struct mmdma_explain *e = c->e;
	unsigned long addr = e->addr;
	pgd_t *pgdp;
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	spinlock_t *ptl;
	p4d_t p4d;
	pgd_t pgd;

	pgdp = pgd_offset(mm, addr);
	pgd = READ_ONCE(*pgdp);
	e->pgd = pgd_val(pgd);
	e->levels = 1;
	if (pgd_none(pgd) || pgd_bad(pgd))
		return 0;

	p4dp = p4d_offset(pgdp, addr);
	p4d = READ_ONCE(*p4dp);
	e->p4d = p4d_val(p4d);
	e->levels = 2;
	if (p4d_none(p4d) || p4d_bad(p4d))
		return 0;

	pudp = pud_offset(p4dp, addr);
	pud = READ_ONCE(*pudp);
	e->pud = pud_val(pud);
	e->levels = 3;
	if (pud_none(pud))
		return 0;
	if (pud_leaf(pud)) {
		/* A huge PUD (1 GiB): read it again under its lock. */
		ptl = pud_lock(mm, pudp);
		pud = READ_ONCE(*pudp);
		e->pud = pud_val(pud);
		if (!pud_leaf(pud)) {
			spin_unlock(ptl);
			return pud_none(pud) ? 0 : -EAGAIN;
		}
		if (pud_present(pud))
			mmdma_explain_leaf(c, MMDMA_LEVEL_PUD, pud_pfn(pud) +
					   ((addr & ~PUD_MASK) >> PAGE_SHIFT), c->mixed);
		spin_unlock(ptl);
		return 0;
	}
	if (pud_bad(pud))
		return 0;

	pmdp = pmd_offset(pudp, addr);
	pmd = mmdma_pmdp_get(pmdp);
	e->pmd = pmd_val(pmd);
	e->levels = 4;
	if (pmd_none(pmd))
		return 0;
	if (!pmd_present(pmd) || pmd_leaf(pmd)) {
		/* A huge PMD, or a migration entry for one: under its lock. */
		ptl = pmd_lock(mm, pmdp);
		pmd = mmdma_pmdp_get(pmdp);
		e->pmd = pmd_val(pmd);
		if (pmd_none(pmd)) {
			spin_unlock(ptl);
			return 0;
		}
		if (pmd_present(pmd) && !pmd_leaf(pmd)) {
			/* Split into a page table meanwhile. */
			spin_unlock(ptl);
			return -EAGAIN;
		}
		if (pmd_present(pmd))
			mmdma_explain_leaf(c, MMDMA_LEVEL_PMD, pmd_pfn(pmd) +
					   ((addr & ~PMD_MASK) >> PAGE_SHIFT), c->mixed);
		else
			e->valid |= MMDMA_EXPLAIN_SWAP;
		spin_unlock(ptl);
		return 0;
	}
	if (pmd_bad(pmd))
		return 0;

	return mmdma_pte_locked(mm, pmdp, addr, mmdma_explain_pte, c);
}

/* The VMA's part; mmap lock held for reading.  -ENOENT without a VMA. */
static int mmdma_explain_vma(struct mmdma_explain_ctx *c, struct mm_struct *mm)
{
	struct mmdma_explain *e = c->e;
	struct vm_area_struct *vma;
	int tries, ret;

	vma = vma_lookup(mm, e->addr);
	if (!vma) {
		dev_dbg(mmdma_dev(), "explain: no VMA at %#llx\n", e->addr);
		return -ENOENT;
	}
	e->vm_start = vma->vm_start;
	e->vm_end = vma->vm_end;
	e->vm_flags = vma->vm_flags;
	e->vm_pgoff = vma->vm_pgoff;
	if (vma->vm_flags & (VM_PFNMAP | VM_IO))
		e->valid |= MMDMA_EXPLAIN_PFNMAP;
	else
		c->want_ref = c->want_bus;
	c->mixed = vma->vm_flags & VM_MIXEDMAP;
	if (vma->vm_file) {
		struct mmdma_buf *buf = mmdma_buf_from_file(vma->vm_file);

		mmdma_explain_file(e, vma->vm_file);
		if (buf) {
			u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) +
				  (e->addr - vma->vm_start);

			/* mremap() may have grown the VMA past the buffer. */
			if (off < buf->size) {
				/*
				 * Its memory lives while we hold the buffer,
				 * but for coherent memory, which its device
				 * takes back when it goes away.
				 */
				if (buf->kind != MMDMA_MEM_COHERENT) {
					c->want_ref = c->want_bus;
					c->buf_holds = true;
				}
				e->valid |= MMDMA_EXPLAIN_BUF;
				e->buf_id = buf->id;
				e->buf_offset = off;
				/* The file (vm_file) pins it until we let go. */
				mmdma_buf_get(buf);
				c->buf = buf;
			}
		}
	}

	for (tries = 0; tries < MMDMA_EXPLAIN_TRIES; tries++) {
		ret = mmdma_explain_walk(c, mm);
		if (ret != -EAGAIN)
			return ret;
		cond_resched();
	}
	dev_dbg(mmdma_dev(), "explain: the entry at %#llx kept changing\n",
		e->addr);
	return -EAGAIN;
}

/*
 * The kernel logical address: low memory that is System RAM is in the
 * linear map.  A struct page alone does not say so: RAM reserved at boot
 * (memmap=, MMDMA_MEM_RESERVED) has struct pages but no linear mapping.
 * page_is_ram() reads the resource tree, so it runs after the page-table
 * lock is dropped; the PFN was read under it.
 */
static void mmdma_explain_logical(struct mmdma_explain *e)
{
	if (!(e->valid & MMDMA_EXPLAIN_PAGE) ||
	    (e->valid & MMDMA_EXPLAIN_HIGHMEM) || !page_is_ram(e->pfn))
		return;
	e->valid |= MMDMA_EXPLAIN_LOGICAL;
	e->kernel_logical = (unsigned long)pfn_to_kaddr(e->pfn) +
			    offset_in_page(e->addr);
}

/* The driver's own kernel address of the byte, for a buffer that has one. */
static void mmdma_explain_kvirt(struct mmdma_explain_ctx *c)
{
	struct mmdma_explain *e = c->e;
	struct mmdma_buf *buf = c->buf;
	unsigned long kva;

	if (!buf || mmdma_buf_access_begin(buf))
		return;
	/* None for a page array; a coherent buffer's may have gone. */
	if (buf->vaddr) {
		kva = (unsigned long)buf->vaddr + e->buf_offset;
		e->kernel_virtual = kva;
		e->valid |= MMDMA_EXPLAIN_KVIRT;
		if (is_vmalloc_addr((void *)kva))
			e->valid |= MMDMA_EXPLAIN_KVIRT_VMALLOC;
	}
	mmdma_buf_access_end(buf);
}

/* A mapping the driver holds for this device: coherent memory, attachment. */
static bool mmdma_explain_held(struct mmdma_explain_ctx *c,
			       struct mmdma_dev *mdev)
{
	struct mmdma_explain *e = c->e;
	struct mmdma_buf *buf = c->buf;
	dma_addr_t dma;

	if (!buf)
		return false;
	if (buf->kind == MMDMA_MEM_COHERENT) {
		bool held = false;

		if (buf->mdev != mdev || mmdma_buf_access_begin(buf))
			return false;
		if (!buf->dead) {
			e->bus_addr = buf->dma + e->buf_offset;
			e->valid |= MMDMA_EXPLAIN_BUS_COHERENT;
			held = true;
		}
		mmdma_buf_access_end(buf);
		return held;
	}
	if (mmdma_attach_dma_addr(buf, mdev, e->buf_offset, &dma))
		return false;
	e->bus_addr = dma;
	e->valid |= MMDMA_EXPLAIN_BUS_ATTACHED;
	return true;
}

/*
 * What the DMA layer would give the device for the page: a mapping made and
 * undone at once.  DMA_TO_DEVICE with DMA_ATTR_SKIP_CPU_SYNC: no cache
 * maintenance, and DMA-API debug sees no overlap with a mapping someone
 * holds for the device to write.  Without an IOMMU a page out of the
 * device's reach is not handed over at all: dma-direct would bounce it
 * (or refuse and warn), which says nothing about the page.
 */
static void mmdma_explain_transient(struct mmdma_explain_ctx *c,
				    struct device *dev, bool iommu)
{
	struct mmdma_explain *e = c->e;
	size_t off = offset_in_page(e->addr);
	dma_addr_t dma;

	if (!c->page)
		return;
	if (!iommu &&
	    !dma_capable(dev, phys_to_dma(dev, e->phys), 1, true)) {
		e->valid |= MMDMA_EXPLAIN_BUS_UNREACHABLE;
		return;
	}
	/* A swiotlb slot's address says nothing lasting about the page. */
	if (!iommu && is_swiotlb_force_bounce(dev)) {
		e->valid |= MMDMA_EXPLAIN_BUS_BOUNCED;
		return;
	}
	dma = dma_map_page_attrs(dev, c->page, off, 1, DMA_TO_DEVICE,
				 DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, dma)) {
		dev_dbg(mmdma_dev(), "explain: the DMA layer refused the page\n");
		return;
	}
	dma_unmap_page_attrs(dev, dma, 1, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	if (!iommu && dma != phys_to_dma(dev, e->phys)) {
		e->valid |= MMDMA_EXPLAIN_BUS_BOUNCED;
		return;
	}
	e->bus_addr = dma;
	e->valid |= MMDMA_EXPLAIN_BUS;
}

static int mmdma_explain_bus(struct mmdma_explain_ctx *c,
			     struct mmdma_dev *mdev)
{
	struct mmdma_explain *e = c->e;
	struct iommu_domain *dom;
	bool iommu;
	int ret;

	ret = mmdma_dev_enter(mdev, false);
	if (ret)
		return ret;
	dom = iommu_get_domain_for_dev(mdev->dma);
	iommu = dom && (dom->type & __IOMMU_DOMAIN_PAGING);
	if (iommu)
		e->valid |= MMDMA_EXPLAIN_BUS_IOMMU;
	if (mmdma_explain_held(c, mdev))
		e->valid |= MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD;
	else if (e->valid & MMDMA_EXPLAIN_PRESENT)
		mmdma_explain_transient(c, mdev->dma, iommu);
	mmdma_dev_leave(mdev);
	return 0;
}

static int mmdma_explain_check(const struct mmdma_explain *e)
{
	size_t out = offsetof(struct mmdma_explain, valid);

	if (e->flags & ~MMDMA_EXPLAIN_VALID_FLAGS) {
		dev_dbg(mmdma_dev(), "explain: unknown flags %#x\n", e->flags);
		return -EINVAL;
	}
	if (!(e->flags & MMDMA_EXPLAIN_DEVICE) && e->dev_fd) {
		dev_dbg(mmdma_dev(), "explain: dev_fd without MMDMA_EXPLAIN_DEVICE\n");
		return -EINVAL;
	}
	if (e->pid < 0) {
		dev_dbg(mmdma_dev(), "explain: negative pid\n");
		return -EINVAL;
	}
	if (memchr_inv((const u8 *)e + out, 0, sizeof(*e) - out)) {
		dev_dbg(mmdma_dev(), "explain: output or reserved fields set on entry\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * mmdma_ioc_explain() - MMDMA_IOC_EXPLAIN on the control node
 * @ctx:  unused
 * @karg: struct mmdma_explain, copied in; filled in for the copy-out
 * @uarg: unused (the dispatcher copies out)
 *
 * Locks, in order: the target's mmap lock (read, killable), then the PTE
 * or PMD lock of the entry, both dropped before the device's users lock,
 * the attachment lock or a coherent buffer's access lock is taken.
 *
 * Return: 0; -EINVAL for bad flags, fields set on entry or a negative pid;
 * -EPERM without CAP_SYS_ADMIN (or, with MMDMA_EXPLAIN_DEVICE, without
 * CAP_SYS_RAWIO too); -ESRCH, -EACCES for the pid; -EBADF,
 * -EINVAL, -ENODEV for the device fd; -ENOENT when no VMA holds the
 * address; -EINTR on a fatal signal; -EAGAIN when a huge entry kept
 * splitting under the walk.
 */
long mmdma_ioc_explain(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_explain *e = karg;
	struct mmdma_explain_ctx c = { .e = e };
	struct mmdma_dev *mdev = NULL;
	struct mm_struct *mm;
	int ret;

	ret = mmdma_explain_check(e);
	if (ret)
		return ret;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (e->flags & MMDMA_EXPLAIN_DEVICE) {
		/* A bus address, like MMDMA_BUF_DMA_ADDRS gives one. */
		if (!capable(CAP_SYS_RAWIO))
			return -EPERM;
		mdev = mmdma_dev_from_fd(e->dev_fd);
		if (IS_ERR(mdev))
			return PTR_ERR(mdev);
	}
	mm = mmdma_explain_mm(e->pid);
	if (IS_ERR(mm)) {
		ret = PTR_ERR(mm);
		goto out_dev;
	}
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_mm;
	}
	c.want_bus = mdev != NULL;
	ret = mmdma_explain_vma(&c, mm);
	mmap_read_unlock(mm);
	if (ret)
		goto out_put;

	mmdma_explain_logical(e);
	mmdma_explain_kvirt(&c);
	if (mdev)
		ret = mmdma_explain_bus(&c, mdev);
out_put:
	if (c.page)
		put_page(c.page);
	if (c.buf)
		mmdma_buf_put(c.buf);
out_mm:
	mmput(mm);
out_dev:
	if (mdev)
		mmdma_dev_put(mdev);
	return ret;
}
