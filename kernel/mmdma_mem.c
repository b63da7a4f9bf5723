// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the memory behind a buffer, by kind.  Page arrays, contiguous
 * blocks and vmalloc areas are allocated here (charged to the caller's
 * memory cgroup); coherent and reserved memory in mmdma_coherent.c and
 * mmdma_reserved.c.  The rest of the driver finds a buffer's pages through
 * mmdma_buf_page().
 */
#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mmdma.h"

/*
 * Every kind is zeroed and charged to the caller's memcg (__GFP_ACCOUNT).
 * Order-0 pages and the contiguous and vmalloc kinds may fail rather than
 * wake the OOM killer: a too-big request is the caller's problem, not a
 * reason to kill an innocent process.
 */
#define MMDMA_GFP (GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_RETRY_MAYFAIL | \
		   __GFP_NOWARN)

/*
 * Blocks of a page array above order 0, the way the dma-buf system heap
 * takes them: no reclaim or compaction at all (a high-order block is a
 * bonus, not worth a stall: the next smaller order is tried at once).
 * Not compound (see mmdma_buf_split() for why).
 */
#define MMDMA_GFP_HIGH ((GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NORETRY | \
			 __GFP_NOWARN) & ~__GFP_RECLAIM)

/*
 * Orders a page array is taken in, highest first.  8 and 4 are the system
 * heap's (1 MiB and 64 KiB, sizes IOMMUs map in one entry); the largest
 * block the allocator has (4 MiB) comes first because each block is one
 * DMA segment at most, so a fresh machine maps 64 MiB in 16.  Order 9
 * (PMD size) is left out from the time the blocks were compound (the core
 * maps a compound block of exactly that order with one PMD from .fault);
 * split blocks do not need it, and 4 MiB blocks come first anyway.
 */
static const unsigned int mmdma_orders[] = { MMDMA_MAX_PAGE_ORDER, 8, 4, 0 };

static_assert(MMDMA_MAX_PAGE_ORDER > 9);
static_assert(ARRAY_SIZE(mmdma_orders) == MMDMA_NR_ORDERS);

size_t mmdma_max_contig_size(void)
{
	return PAGE_SIZE << MMDMA_MAX_PAGE_ORDER;
}

/*
 * Pages [0, @n) of @pages, each order 0 with its own count (split):
 * release_pages() drops them in batches, and a page someone else still
 * holds outlives the buffer alone.
 */
static void mmdma_free_page_array(struct page **pages, unsigned long n)
{
	while (n) {
		int nr = min_t(unsigned long, n, INT_MAX);

		release_pages(pages, nr);
		pages += nr;
		n -= nr;
	}
}

/*
 * The blocks of @buf, the first @n pages of it: one __free_pages() per
 * block while they are whole, as the allocator gave them (and as the heap
 * frees its own); page by page once split.
 */
static void mmdma_free_blocks(struct mmdma_buf *buf, unsigned long n)
{
	unsigned long i = 0, b;
	unsigned int k;

	if (buf->split) {
		mmdma_free_page_array(buf->pages, n);
		return;
	}
	for (k = 0; k < MMDMA_NR_ORDERS; k++) {
		for (b = 0; b < buf->nr_of_order[k] && i < n; b++) {
			__free_pages(buf->pages[i], mmdma_orders[k]);
			i += 1UL << mmdma_orders[k];
		}
	}
}

/**
 * mmdma_buf_split() - split a page array's blocks into order-0 pages
 * @buf: a buffer of any kind (only page arrays and vmalloc memory have
 *       blocks); the caller holds a reference
 *
 * Called before anything outside the driver can take a reference to one
 * of the buffer's pages: the first user mapping (mmdma_buf_mmap(), whose
 * pages get_user_pages() may then pin, vmsplice() hand to a pipe, an
 * io_uring fixed buffer keep) and dma-buf export (an importer has the
 * pages).  Until then a block is one allocation whose head holds the only
 * count, freed in one call: that is what makes freeing a buffer never
 * mapped cost what the heap's free costs.  After it, each page has a count
 * of its own (split_page()), so a page someone else keeps outlives the
 * buffer alone.  A compound block would instead let that one page keep
 * its whole block, up to 4 MiB, alive after the buffer is freed and
 * max_total has given its bytes back.  Once done, it stays done.  May
 * sleep.
 */
void mmdma_buf_split(struct mmdma_buf *buf)
{
	unsigned long i = 0, b;
	unsigned int k;

	if (buf->kind != MMDMA_MEM_PAGES && buf->kind != MMDMA_MEM_VMALLOC)
		return;
	/* Pairs with the release below: split pages before the flag. */
	if (smp_load_acquire(&buf->split))
		return;
	mutex_lock(&buf->split_lock);
	if (!buf->split) {
		for (k = 0; k < MMDMA_NR_ORDERS; k++) {
			for (b = 0; b < buf->nr_of_order[k]; b++) {
				if (mmdma_orders[k]) {
					split_page(buf->pages[i], mmdma_orders[k]);
					cond_resched();
				}
				i += 1UL << mmdma_orders[k];
			}
		}
		smp_store_release(&buf->split, true);
	}
	mutex_unlock(&buf->split_lock);
}

/*
 * The largest block no bigger than @left pages and no higher than
 * @max_order: like the heap, never climb back to an order that failed
 * once, so a fragmented machine pays for each failed order only once.
 * Returns the block and its index in mmdma_orders[] in *@k.
 */
static struct page *mmdma_alloc_block(unsigned long left,
				      unsigned int max_order, unsigned int *k)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mmdma_orders); i++) {
		unsigned int order = mmdma_orders[i];

		if (order > max_order || left < (1UL << order))
			continue;
		page = alloc_pages(order ? MMDMA_GFP_HIGH : MMDMA_GFP, order);
		if (page) {
			*k = i;
			return page;
		}
	}
	return NULL;
}

/*
 * The book's scullp takes order-0 pages one at a time (or 2^order with its
 * "order" parameter, never mixed).  Here the memory comes in blocks of
 * falling orders, and @buf->pages still names every 4 KiB page.  A block
 * stays one allocation until mmdma_buf_split() makes its pages order-0
 * pages with counts of their own, before any user mapping: so the .fault
 * and insert methods, kmap and the DMA paths treat each like any page.
 * What the blocks give is physical adjacency (fewer, larger DMA segments)
 * and, for a buffer never mapped, a free in one call per block.
 */
static int mmdma_alloc_pages(struct mmdma_buf *buf)
{
	unsigned int max_order = mmdma_orders[0];
	unsigned long i = 0, j;
	int ret = -ENOMEM;

	buf->pages = kvmalloc_array(buf->nr_pages, sizeof(*buf->pages),
				    GFP_KERNEL_ACCOUNT);
	if (!buf->pages)
		return -ENOMEM;

	mutex_init(&buf->split_lock);
	buf->split = false;
	buf->nr_blocks = 0;
	memset(buf->nr_of_order, 0, sizeof(buf->nr_of_order));
	while (i < buf->nr_pages) {
		struct page *page;
		unsigned int k, order;

		/* Large buffers take a while: let a killed caller go. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free_pages;
		}
		page = mmdma_alloc_block(buf->nr_pages - i, max_order, &k);
		if (!page)
			goto err_free_pages;
		order = mmdma_orders[k];
		for (j = 0; j < (1UL << order); j++)
			buf->pages[i + j] = page + j;
		buf->nr_of_order[k]++;
		if (order)
			buf->nr_blocks++;
		max_order = order;
		i += 1UL << order;
		cond_resched();
	}
	return 0;

err_free_pages:
	mmdma_free_blocks(buf, i);
	kvfree(buf->pages);
	buf->pages = NULL;
	return ret;
}

/*
 * The book's scullv calls vmalloc(), which takes order-0 pages one by one
 * and frees them one by one.  Here the area is vmap() of a page array
 * taken in blocks (mmdma_alloc_pages()): the same kind of address (in the
 * vmalloc range, found page by page with vmalloc_to_page()), allocated and
 * freed a block at a time.  Not vmalloc_user() either way: it cannot charge
 * the caller's memcg.  Without VM_USERMAP the insert method maps the
 * area's pages with vm_insert_pages().
 */
static int mmdma_alloc_vmalloc(struct mmdma_buf *buf)
{
	int ret = mmdma_alloc_pages(buf);

	if (ret)
		return ret;
	buf->vaddr = vmap(buf->pages, buf->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!buf->vaddr) {
		mmdma_free_blocks(buf, buf->nr_pages);
		kvfree(buf->pages);
		buf->pages = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* noinline: fault injection (fail_function) must see every call. */
noinline int mmdma_alloc_memory(struct mmdma_buf *buf)
{
	switch (buf->kind) {
	case MMDMA_MEM_PAGES:
		return mmdma_alloc_pages(buf);
	case MMDMA_MEM_CONTIG:
		/*
		 * alloc_pages_exact() splits the block into order-0 pages with
		 * their own reference counts, which the fault and insert
		 * methods need, and frees the tail beyond @size.
		 */
		buf->vaddr = alloc_pages_exact(buf->size, MMDMA_GFP);
		return buf->vaddr ? 0 : -ENOMEM;
	case MMDMA_MEM_VMALLOC:
		return mmdma_alloc_vmalloc(buf);
	case MMDMA_MEM_RESERVED:
		return mmdma_reserved_alloc(buf);
	}
	return -EINVAL;
}
ALLOW_ERROR_INJECTION(mmdma_alloc_memory, ERRNO);

void mmdma_free_memory(struct mmdma_buf *buf)
{
	switch (buf->kind) {
	case MMDMA_MEM_PAGES:
		mmdma_free_blocks(buf, buf->nr_pages);
		kvfree(buf->pages);
		break;
	case MMDMA_MEM_CONTIG:
		free_pages_exact(buf->vaddr, buf->size);
		break;
	case MMDMA_MEM_VMALLOC:
		vunmap(buf->vaddr);
		mmdma_free_blocks(buf, buf->nr_pages);
		kvfree(buf->pages);
		break;
	case MMDMA_MEM_COHERENT:
		mmdma_coherent_free(buf);
		break;
	case MMDMA_MEM_RESERVED:
		mmdma_reserved_free(buf);
		break;
	}
}

/**
 * mmdma_buf_page() - the page backing page @pgoff of @buf
 * @buf:   the buffer
 * @pgoff: page index, below buf->nr_pages
 *
 * Return: the page, or NULL for coherent and reserved memory, which have no
 * struct page the driver may use (see mmdma_buf_has_pages()).
 */
struct page *mmdma_buf_page(struct mmdma_buf *buf, unsigned long pgoff)
{
	switch (buf->kind) {
	case MMDMA_MEM_PAGES:
		return buf->pages[pgoff];
	case MMDMA_MEM_CONTIG:
		return virt_to_page(buf->vaddr + (pgoff << PAGE_SHIFT));
	case MMDMA_MEM_VMALLOC:
		/* The book's scullv: vmalloc memory is found page by page. */
		return vmalloc_to_page(buf->vaddr + (pgoff << PAGE_SHIFT));
	}
	return NULL;
}

/* Coherent and reserved memory: a kernel address, no usable struct page. */
bool mmdma_buf_has_pages(const struct mmdma_buf *buf)
{
	return buf->kind != MMDMA_MEM_COHERENT &&
	       buf->kind != MMDMA_MEM_RESERVED;
}
