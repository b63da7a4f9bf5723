// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: CPU cache modes of buffers (MMDMA_CACHE_*).
 *
 * x86 forbids two mappings of the same memory with different cache
 * attributes: a write-combining user mapping of a page the kernel's linear
 * map still caches can leave stale lines and, on some CPUs, machine checks.
 * So, as TTM does for its pools, a WC or UC buffer changes the linear map of
 * its pages for as long as it lives (set_pages_array_wc()/set_memory_wc(),
 * which also record the page's memory type with PAT) and turns it back to
 * write-back before the pages go back to the allocator.
 *
 * vmalloc memory is refused: it has a second kernel alias (the vmalloc
 * area) besides the linear map, and remap_vmalloc_range() offers no way to
 * keep the three in agreement.
 */
#include <linux/mm.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include "mmdma.h"

/**
 * mmdma_cache_valid() - can memory of @kind be mapped with cache mode @cache?
 * @kind:  enum mmdma_mem_kind
 * @cache: enum mmdma_cache_mode
 */
bool mmdma_cache_valid(u32 kind, u32 cache)
{
	switch (cache) {
	case MMDMA_CACHE_DEFAULT:
	case MMDMA_CACHE_CACHED:
		return true;
	case MMDMA_CACHE_WC:
	case MMDMA_CACHE_UC:
		return IS_ENABLED(CONFIG_X86) &&
		       (kind == MMDMA_MEM_PAGES || kind == MMDMA_MEM_CONTIG);
	}
	return false;
}

#ifdef CONFIG_X86
static int mmdma_cache_set(struct mmdma_buf *buf, u32 cache)
{
	unsigned long addr = (unsigned long)buf->vaddr;
	int n = buf->nr_pages;

	if (buf->kind == MMDMA_MEM_PAGES) {
		switch (cache) {
		case MMDMA_CACHE_WC:
			return set_pages_array_wc(buf->pages, n);
		case MMDMA_CACHE_UC:
			return set_pages_array_uc(buf->pages, n);
		default:
			return set_pages_array_wb(buf->pages, n);
		}
	}
	switch (cache) {
	case MMDMA_CACHE_WC:
		return set_memory_wc(addr, n);
	case MMDMA_CACHE_UC:
		return set_memory_uc(addr, n);
	default:
		return set_memory_wb(addr, n);
	}
}
#else
static int mmdma_cache_set(struct mmdma_buf *buf, u32 cache)
{
	return -EINVAL;
}
#endif

static bool mmdma_cache_changes_kernel_map(const struct mmdma_buf *buf)
{
	return buf->cache == MMDMA_CACHE_WC || buf->cache == MMDMA_CACHE_UC;
}

/**
 * mmdma_cache_apply() - give the kernel's mapping of @buf its cache mode
 * @buf: a buffer whose memory was just allocated
 *
 * Return: 0, or the error of the set_memory call (nothing is left changed).
 */
int mmdma_cache_apply(struct mmdma_buf *buf)
{
	if (!mmdma_cache_changes_kernel_map(buf))
		return 0;
	return mmdma_cache_set(buf, buf->cache);
}

/**
 * mmdma_cache_restore() - make the kernel's mapping of @buf write-back again
 * @buf: a buffer about to free its memory
 *
 * Return: 0, or an error: then the memory must not be freed, as the
 * allocator would hand out pages whose linear mapping is still uncached.
 */
int mmdma_cache_restore(struct mmdma_buf *buf)
{
	if (!mmdma_cache_changes_kernel_map(buf))
		return 0;
	return mmdma_cache_set(buf, MMDMA_CACHE_CACHED);
}

/**
 * mmdma_cache_pgprot() - page protection for user mappings of @buf
 * @buf:  the buffer
 * @prot: the protection the VMA's flags give
 */
pgprot_t mmdma_cache_pgprot(const struct mmdma_buf *buf, pgprot_t prot)
{
	switch (buf->cache) {
	case MMDMA_CACHE_WC:
		return pgprot_writecombine(prot);
	case MMDMA_CACHE_UC:
		return pgprot_noncached(prot);
	}
	return prot;
}
