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
 * bonus, not worth a stall: the next smaller order is tried at once).  Not
 * compound: each block is split into order-0 pages (split_page()), each
 * with its own reference count.  A compound block would let one page that
 * someone else still references (vmsplice() into a pipe, an io_uring fixed
 * buffer) keep the whole block, up to 4 MiB, alive after the buffer is
 * freed and max_total has given its bytes back.
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

size_t mmdma_max_contig_size(void)
{
	return PAGE_SIZE << MMDMA_MAX_PAGE_ORDER;
}

/*
 * Pages [0, @n) of @pages.  Every page is order 0 with its own count (the
 * blocks were split): release_pages() drops them in batches, and a page
 * someone else still holds outlives the buffer alone.
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
 * The largest block no bigger than @left pages and no higher than
 * @max_order: like the heap, never climb back to an order that failed
 * once, so a fragmented machine pays for each failed order only once.
 */
static struct page *mmdma_alloc_block(unsigned long left,
				      unsigned int max_order, unsigned int *got)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mmdma_orders); i++) {
		unsigned int order = mmdma_orders[i];

		if (order > max_order || left < (1UL << order))
			continue;
		page = alloc_pages(order ? MMDMA_GFP_HIGH : MMDMA_GFP, order);
		if (page) {
			if (order)
				split_page(page, order);
			*got = order;
			return page;
		}
	}
	return NULL;
}

/*
 * The book's scullp takes order-0 pages one at a time (or 2^order with its
 * "order" parameter, never mixed).  Here the memory comes in blocks of
 * falling orders, and @buf->pages still names every 4 KiB page: each
 * block is split into order-0 pages with reference counts of their own,
 * so the .fault and insert methods, kmap and the DMA paths treat each like
 * any page, and each is freed on its own.  What the blocks still give is
 * physical adjacency: fewer, larger DMA segments.
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

	buf->nr_blocks = 0;
	while (i < buf->nr_pages) {
		struct page *page;
		unsigned int order;

		/* Large buffers take a while: let a killed caller go. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free_pages;
		}
		page = mmdma_alloc_block(buf->nr_pages - i, max_order, &order);
		if (!page)
			goto err_free_pages;
		for (j = 0; j < (1UL << order); j++)
			buf->pages[i + j] = page + j;
		if (order)
			buf->nr_blocks++;
		max_order = order;
		i += 1UL << order;
		cond_resched();
	}
	return 0;

err_free_pages:
	mmdma_free_page_array(buf->pages, i);
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
		mmdma_free_page_array(buf->pages, buf->nr_pages);
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
		mmdma_free_page_array(buf->pages, buf->nr_pages);
		kvfree(buf->pages);
		break;
	case MMDMA_MEM_CONTIG:
		free_pages_exact(buf->vaddr, buf->size);
		break;
	case MMDMA_MEM_VMALLOC:
		vunmap(buf->vaddr);
		mmdma_free_page_array(buf->pages, buf->nr_pages);
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
