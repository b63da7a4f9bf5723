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
 * Page arrays are filled with order-0 pages that may fail rather than wake
 * the OOM killer: a too-big request is the caller's problem, not a reason to
 * kill an innocent process.  __GFP_ACCOUNT charges the caller's memcg.
 */
#define MMDMA_GFP (GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_RETRY_MAYFAIL | \
		   __GFP_NOWARN)

size_t mmdma_max_contig_size(void)
{
	return PAGE_SIZE << MMDMA_MAX_PAGE_ORDER;
}

static void mmdma_free_page_array(struct page **pages, unsigned long n)
{
	while (n--)
		__free_page(pages[n]);
}

static int mmdma_alloc_pages(struct mmdma_buf *buf)
{
	unsigned long i;

	buf->pages = kvcalloc(buf->nr_pages, sizeof(*buf->pages),
			      GFP_KERNEL_ACCOUNT);
	if (!buf->pages)
		return -ENOMEM;

	for (i = 0; i < buf->nr_pages; i++) {
		/* Large buffers take a while: let a killed caller go. */
		if (!(i & 1023) && fatal_signal_pending(current))
			goto err_free_pages;
		buf->pages[i] = alloc_page(MMDMA_GFP);
		if (!buf->pages[i])
			goto err_free_pages;
		cond_resched();
	}
	return 0;

err_free_pages:
	mmdma_free_page_array(buf->pages, i);
	kvfree(buf->pages);
	buf->pages = NULL;
	return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
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
		/*
		 * Not vmalloc_user(): it cannot charge the caller's memcg, and
		 * the variant that takes both the gfp flags and VM_USERMAP is
		 * not exported (6.1, 6.12).  Without VM_USERMAP the insert
		 * method maps the area's pages with vm_insert_pages().
		 */
		buf->vaddr = __vmalloc(buf->size, MMDMA_GFP);
		return buf->vaddr ? 0 : -ENOMEM;
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
		vfree(buf->vaddr);
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
