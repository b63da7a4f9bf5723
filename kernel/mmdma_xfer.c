// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: building transfers through the generic DMA layer.
 *
 * A request is built in the submitter's context: its host ranges are mapped
 * for the device (scatter/gather, page or single streaming mappings), memory
 * the device cannot reach is routed through the driver's own coherent bounce
 * buffer instead of ever reaching dma_map_*(), and the transfer is cut into
 * hardware operations no bigger than the device takes.  mmdma_engine.c runs
 * them.
 */
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "mmdma.h"

/* A DMA mapping a request made and must undo. */
struct mmdma_map {
	enum { MMDMA_MAP_SG = 1, MMDMA_MAP_ONE_PAGE, MMDMA_MAP_SINGLE,
	       MMDMA_MAP_RESOURCE } kind;
	enum dma_data_direction dir;
	dma_addr_t addr;
	size_t len;
	struct sg_table sgt;
};

/* Builds the operations of one host range. */
struct mmdma_opgen {
	struct mmdma_req *req;
	u8 host;
	bool to_dev;
	bool chunked;		/* round trip: device memory reused per chunk */
	u64 dev_base;
	size_t pos;		/* bytes of the host range covered so far */
	struct mmdma_op *ops;
	unsigned int nr;
	unsigned int cap;
};

void *mmdma_copy_buf(struct mmdma_dev *mdev, struct mmdma_req *req, u8 copy)
{
	switch (copy) {
	case MMDMA_COPY_BOUNCE:
		return mdev->bounce;
	case MMDMA_COPY_STREAM:
		return mdev->stream;
	default:
		return req->pool_vaddr;
	}
}

static size_t mmdma_copy_size(u8 copy)
{
	return copy == MMDMA_COPY_POOL ? MMDMA_POOL_MAX : MMDMA_STAGE_SIZE;
}

/*
 * Bytes from @bus to the device's DMA segment boundary (an ISA channel's
 * page register holds the address bits above 16, so no operation may cross
 * a 64 KiB line).  The staging buffers never cross one: a page, or a pool
 * block inside a page.
 */
static size_t mmdma_to_boundary(struct device *dev, dma_addr_t bus)
{
	unsigned long mask = dev ? dma_get_seg_boundary(dev) : ULONG_MAX;

	if (mask == ULONG_MAX)
		return SIZE_MAX;
	return (size_t)(mask - (bus & mask)) + 1;
}

/* Append the operations for @len bytes at bus address @bus. */
static int mmdma_emit(struct mmdma_opgen *g, dma_addr_t bus, size_t len,
		      u8 copy, bool bounce)
{
	struct mmdma_dev *mdev = g->req->mdev;

	while (len) {
		size_t room = SIZE_MAX, n;
		u64 dev_off;

		if (g->chunked) {
			dev_off = g->pos % mdev->mem_size;
			room = mdev->mem_size - dev_off;
		} else {
			dev_off = g->dev_base + g->pos;
		}
		n = min3(len, mdev->max_op, room);
		if (copy)
			n = min(n, mmdma_copy_size(copy));
		else
			n = min(n, mmdma_to_boundary(mdev->dma, bus));

		if (g->nr == g->cap) {
			unsigned int cap = g->cap ? 2 * g->cap : 64;
			struct mmdma_op *ops;

			ops = kvmalloc_array(cap, sizeof(*ops), GFP_KERNEL);
			if (!ops)
				return -ENOMEM;
			if (g->nr)
				memcpy(ops, g->ops, g->nr * sizeof(*ops));
			kvfree(g->ops);
			g->ops = ops;
			g->cap = cap;
		}
		g->ops[g->nr++] = (struct mmdma_op){
			.bus = bus, .dev_off = dev_off, .len = n,
			.to_dev = g->to_dev, .copy = copy, .host = g->host,
			.bounce = bounce, .host_off = g->pos,
		};
		g->pos += n;
		len -= n;
		/* A copy reuses its buffer from the start for every operation. */
		if (!copy)
			bus += n;
	}
	return 0;
}

static bool mmdma_reaches(struct mmdma_dev *mdev, struct page *page)
{
	struct device *dev = mdev->dma;

	if (mdev->flags & (MMDMA_DEVF_IOMMU | MMDMA_DEVF_SWIOTLB))
		return true;
	return dma_capable(dev, phys_to_dma(dev, page_to_phys(page)), PAGE_SIZE,
			   true);
}

static struct mmdma_map *mmdma_new_map(struct mmdma_req *req)
{
	if (WARN_ON_ONCE(req->nr_maps >= req->max_maps))
		return NULL;
	return &req->maps[req->nr_maps];
}

/*
 * The largest piece one mapping may cover: swiotlb, for one, bounces at most
 * 256 KiB per segment, and a bigger segment would fail to map.  Never more
 * than MMDMA_MAX_SEGMENT either: DMA-API debug finds the mapping a partial
 * sync names only within 128 MiB below the synced address (16384 hash
 * buckets of 8 KiB, kernel/dma/debug.c), so a range sync deep inside a
 * longer segment would be reported as a sync of memory never mapped.
 * 64 MiB costs one segment more per 64 MiB.
 */
size_t mmdma_max_mapping(struct device *dev)
{
	size_t max = min_t(size_t, dma_max_mapping_size(dev),
			   dma_get_max_seg_size(dev));

	max = min_t(size_t, max, MMDMA_MAX_SEGMENT);

	return max(rounddown(max, PAGE_SIZE), PAGE_SIZE);
}

/**
 * mmdma_sgt_build() - an sg table over bytes of a page array, not yet mapped
 * @sgt:   filled in; free with sg_free_table()
 * @pages: the pages, in order
 * @n:     how many
 * @off:   where the bytes start in the first page
 * @len:   how many bytes
 * @dev:   the device the table will be mapped for
 *
 * Physically contiguous pages share an entry, but no entry is longer than
 * one of @dev's mappings may be (mmdma_max_mapping()).
 */
int mmdma_sgt_build(struct sg_table *sgt, struct page **pages,
		    unsigned long n, size_t off, size_t len, struct device *dev)
{
	return sg_alloc_table_from_pages_segment(sgt, pages, n, off, len,
						 mmdma_max_mapping(dev),
						 GFP_KERNEL);
}

/*
 * dma_map_sgtable() over pages [@first, @first + @n) of the host range.
 * noinline here and below: fault injection must see every call.
 */
static noinline int mmdma_map_sg(struct mmdma_opgen *g, struct mmdma_host *h,
			unsigned long first, unsigned long n, size_t start,
			size_t len)
{
	struct mmdma_req *req = g->req;
	struct mmdma_map *m = mmdma_new_map(req);
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	if (!m)
		return -EINVAL;
	ret = mmdma_sgt_build(&m->sgt, h->pages + first, n,
			      offset_in_page(h->offset + start), len,
			      req->mdev->dma);
	if (ret)
		return ret;
	ret = dma_map_sgtable(req->mdev->dma, &m->sgt, h->dir, 0);
	if (ret) {
		sg_free_table(&m->sgt);
		return ret;
	}
	m->kind = MMDMA_MAP_SG;
	m->dir = h->dir;
	req->nr_maps++;

	/* Each DMA segment is cut to what the device takes by mmdma_emit(). */
	for_each_sgtable_dma_sg(&m->sgt, sg, i) {
		ret = mmdma_emit(g, sg_dma_address(sg), sg_dma_len(sg),
				 MMDMA_COPY_NONE, false);
		if (ret)
			return ret;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(mmdma_map_sg, ERRNO);

/* dma_map_page() for each page, or one dma_map_single() for the run. */
static noinline int mmdma_map_pieces(struct mmdma_opgen *g, struct mmdma_host *h,
			    u32 method, unsigned long first, size_t start,
			    size_t len)
{
	struct mmdma_req *req = g->req;
	struct device *dev = req->mdev->dma;
	unsigned long pg = first;

	while (len) {
		struct mmdma_map *m = mmdma_new_map(req);
		size_t in_page = offset_in_page(h->offset + start);
		size_t n;
		int ret;

		if (!m)
			return -EINVAL;
		if (method == MMDMA_DMA_SINGLE) {
			n = min(len, mmdma_max_mapping(dev));
			m->kind = MMDMA_MAP_SINGLE;
			m->addr = dma_map_single(dev, h->kaddr + start, n, h->dir);
		} else {
			n = min(len, PAGE_SIZE - in_page);
			m->kind = MMDMA_MAP_ONE_PAGE;
			m->addr = dma_map_page(dev, h->pages[pg], in_page, n, h->dir);
		}
		if (dma_mapping_error(dev, m->addr))
			return -ENOMEM;
		m->len = n;
		m->dir = h->dir;
		req->nr_maps++;

		ret = mmdma_emit(g, m->addr, n, MMDMA_COPY_NONE, false);
		if (ret)
			return ret;
		start += n;
		len -= n;
		pg++;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(mmdma_map_pieces, ERRNO);

/*
 * A range without pages, whatever the method: coherent memory is the
 * device's already (its DMA handle); the reserved region is mapped as a
 * physical range, which dma_map_resource() does without a struct page and
 * without bouncing, so memory out of the device's reach is refused here
 * rather than handed to it.
 */
static int mmdma_map_direct(struct mmdma_opgen *g, struct mmdma_host *h)
{
	struct mmdma_req *req = g->req;
	struct device *dev = req->mdev->dma;
	struct mmdma_map *m;

	if (h->buf->kind == MMDMA_MEM_COHERENT)
		return mmdma_emit(g, h->dma, h->len, MMDMA_COPY_NONE, false);

	if (!(req->mdev->flags & MMDMA_DEVF_IOMMU) &&
	    !dma_capable(dev, phys_to_dma(dev, h->phys), h->len, true)) {
		dev_dbg(dev, "reserved memory at %pa is out of the device's reach\n",
			&h->phys);
		return -EINVAL;
	}
	m = mmdma_new_map(req);
	if (!m)
		return -EINVAL;
	m->addr = dma_map_resource(dev, h->phys, h->len, h->dir, 0);
	if (dma_mapping_error(dev, m->addr))
		return -ENOMEM;
	m->kind = MMDMA_MAP_RESOURCE;
	m->len = h->len;
	m->dir = h->dir;
	req->nr_maps++;
	h->dma = m->addr;
	return mmdma_emit(g, m->addr, h->len, MMDMA_COPY_NONE, false);
}

/* The DMA segments of an existing mapping that cover the host range. */
static int mmdma_emit_mapped(struct mmdma_opgen *g, struct mmdma_host *h)
{
	size_t skip = h->map_off, left = h->len;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(h->mapped, sg, i) {
		size_t seg = sg_dma_len(sg), n;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		n = min(seg - skip, left);
		ret = mmdma_emit(g, sg_dma_address(sg) + skip, n,
				 MMDMA_COPY_NONE, false);
		if (ret)
			return ret;
		skip = 0;
		left -= n;
		if (!left)
			return 0;
	}
	/* The mapping is shorter than its owner claimed. */
	return -EINVAL;
}

/*
 * Give host range @g->host to the device with @method.  Runs of pages the
 * device cannot reach go through the bounce buffer, so dma_map_*() only
 * ever sees memory the device can use.
 */
static int mmdma_map_host(struct mmdma_opgen *g, u32 method)
{
	struct mmdma_req *req = g->req;
	struct mmdma_dev *mdev = req->mdev;
	struct mmdma_host *h = &req->host[g->host];
	unsigned long i = 0;

	if (h->mapped)
		return mmdma_emit_mapped(g, h);
	if (h->direct)
		return mmdma_map_direct(g, h);
	switch (method) {
	case MMDMA_DMA_COHERENT:
		return mmdma_emit(g, mdev->bounce_dma, h->len, MMDMA_COPY_BOUNCE, false);
	case MMDMA_DMA_POOL:
		return mmdma_emit(g, req->pool_dma, h->len, MMDMA_COPY_POOL, false);
	case MMDMA_DMA_STREAM:
		return mmdma_emit(g, mdev->stream_dma, h->len, MMDMA_COPY_STREAM, false);
	}

	while (i < h->nr_pages) {
		bool reach = mmdma_reaches(mdev, h->pages[i]);
		unsigned long j = i + 1;
		size_t start, end;
		int ret;

		while (j < h->nr_pages && mmdma_reaches(mdev, h->pages[j]) == reach)
			j++;
		start = i ? i * PAGE_SIZE - h->offset : 0;
		end = min_t(size_t, j * PAGE_SIZE - h->offset, h->len);

		if (!reach)
			ret = mmdma_emit(g, mdev->bounce_dma, end - start,
					 MMDMA_COPY_BOUNCE, true);
		else if (method == MMDMA_DMA_SG)
			ret = mmdma_map_sg(g, h, i, j - i, start, end - start);
		else
			ret = mmdma_map_pieces(g, h, method, i, start, end - start);
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

/*
 * A round trip moves each chunk of device memory's size in, then out:
 * interleave the source's operations with the destination's, chunk by chunk.
 */
static int mmdma_merge_chunks(struct mmdma_req *req, struct mmdma_opgen *src,
			      struct mmdma_opgen *dst)
{
	size_t window = req->mdev->mem_size;
	unsigned int a = 0, b = 0, n = 0;

	req->ops = kvmalloc_array(src->nr + dst->nr, sizeof(*req->ops),
				  GFP_KERNEL);
	if (!req->ops)
		return -ENOMEM;
	while (a < src->nr || b < dst->nr) {
		size_t chunk = a < src->nr ? src->ops[a].host_off / window
					   : dst->ops[b].host_off / window;

		while (a < src->nr && src->ops[a].host_off / window == chunk)
			req->ops[n++] = src->ops[a++];
		while (b < dst->nr && dst->ops[b].host_off / window == chunk)
			req->ops[n++] = dst->ops[b++];
	}
	req->nr_ops = n;
	return 0;
}

/*
 * Record the mappings a streaming method is about to make of buffer pages
 * (a buffer's fd, one of mmdma's own dma-bufs, or user mappings of buffers
 * that direct I/O pinned).  A buffer attached to this device is mapped for
 * it already, and so are bytes another transfer has in flight for it: a
 * second mapping of the same memory for the same device is what the DMA
 * API does not support (under swiotlb the two have separate bounce slots,
 * and either's unmap or sync copies its stale bytes over the other's).
 * The transfer uses the attachment (MMDMA_XFER_ATTACHED) or a method that
 * copies through the driver, or waits for the other transfer.  Recorded
 * whether or not a page ends up bounced: the rule does not depend on where
 * the pages happen to lie.  mmdma_req_unmap() ends the records.
 */
static int mmdma_host_use_begin(struct mmdma_req *req, struct mmdma_host *h)
{
	struct mmdma_dev *mdev = req->mdev;
	unsigned int i;
	int ret;

	if (!h->len || h->mapped || h->direct)
		return 0;
	if (h->buf) {
		h->use = (struct mmdma_dma_use){
			.buf = h->buf, .start = h->buf_off,
			.end = h->buf_off + h->len, .dir = h->dir,
		};
		ret = mmdma_buf_use_begin(&h->use, mdev, req);
		if (ret) {
			dev_dbg(mdev->dma, "buf %u: bytes %llu+%zu are mapped for this device already (attached, or another transfer): MMDMA_XFER_ATTACHED, a copying method, or wait\n",
				h->buf->id, h->buf_off, h->len);
			return ret;
		}
	}
	for (i = 0; i < h->nr_user_uses; i++) {
		struct mmdma_dma_use *u = &h->user_uses[i];

		ret = mmdma_buf_use_begin(u, mdev, req);
		if (ret) {
			dev_dbg(mdev->dma, "user memory maps bytes %llu..%llu of buf %u, mapped for this device already\n",
				u->start, u->end, u->buf->id);
			return ret;
		}
	}
	return 0;
}

static void mmdma_host_use_end(struct mmdma_host *h)
{
	unsigned int i;

	mmdma_buf_use_end(&h->use);
	for (i = 0; i < h->nr_user_uses; i++)
		mmdma_buf_use_end(&h->user_uses[i]);
}

static int mmdma_req_check(struct mmdma_req *req, u32 op, u32 method,
			   u64 dev_offset)
{
	struct mmdma_dev *mdev = req->mdev;
	size_t len = req->host[op == MMDMA_XFER_FROM_DEV].len;
	u64 end;
	int i;

	if (op == MMDMA_XFER_ROUNDTRIP) {
		if (dev_offset) {
			dev_dbg(mdev->dma, "round trip: dev_offset must be 0\n");
			return -EINVAL;
		}
	} else if (check_add_overflow(dev_offset, (u64)len, &end) ||
		   end > mdev->mem_size) {
		dev_dbg(mdev->dma, "device range %llu+%zu outside %zu bytes\n",
			dev_offset, len, mdev->mem_size);
		return -EINVAL;
	}
	if (method == MMDMA_DMA_POOL && len > MMDMA_POOL_MAX) {
		dev_dbg(mdev->dma, "pool transfers take at most %d bytes\n",
			MMDMA_POOL_MAX);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		if ((req->host[i].mapped || req->host[i].imported) &&
		    method != MMDMA_DMA_SG) {
			dev_dbg(mdev->dma, "memory mapped already takes no dma method %u\n",
				method);
			return -EINVAL;
		}
		if (method == MMDMA_DMA_SINGLE && req->host[i].len &&
		    !req->host[i].kaddr && !req->host[i].direct) {
			dev_dbg(mdev->dma, "dma_map_single() needs memory with a linear kernel address\n");
			return -EINVAL;
		}
	}
	if (method == MMDMA_DMA_SG || method == MMDMA_DMA_PAGE ||
	    method == MMDMA_DMA_SINGLE) {
		for (i = 0; i < 2; i++) {
			int ret = mmdma_host_use_begin(req, &req->host[i]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * mmdma_req_prepare() - map a request's host ranges and list its operations
 * @req:        request with @req->mdev and the host ranges it uses filled in
 * @op:         enum mmdma_xfer_op
 * @method:     enum mmdma_dma_method
 * @dev_offset: device memory offset (TO_DEV and FROM_DEV)
 *
 * On failure the caller still calls mmdma_req_release().
 */
int mmdma_req_prepare(struct mmdma_req *req, u32 op, u32 method,
		      u64 dev_offset)
{
	struct mmdma_opgen gen[2] = {
		{ .req = req, .host = 0, .to_dev = true },
		{ .req = req, .host = 1, .to_dev = false },
	};
	int i, ret;

	/*
	 * Memory mapped already (attached, imported) is used as it is, and
	 * a dma-buf is never copied through the pool either.
	 */
	if (method == MMDMA_DMA_AUTO)
		method = req->host[op == MMDMA_XFER_FROM_DEV].len <= MMDMA_POOL_MAX &&
			 !req->host[0].mapped && !req->host[1].mapped &&
			 !req->host[0].imported && !req->host[1].imported ?
			 MMDMA_DMA_POOL : MMDMA_DMA_SG;
	ret = mmdma_req_check(req, op, method, dev_offset);
	if (ret)
		return ret;

	/* A range without pages (h->direct) takes at most one mapping. */
	req->max_maps = req->host[0].nr_pages + req->host[1].nr_pages + 2;
	req->maps = kvcalloc(req->max_maps, sizeof(*req->maps), GFP_KERNEL);
	if (!req->maps)
		return -ENOMEM;
	if (method == MMDMA_DMA_POOL) {
		req->pool_vaddr = dma_pool_alloc(req->mdev->pool, GFP_KERNEL,
						 &req->pool_dma);
		if (!req->pool_vaddr)
			return -ENOMEM;
	}

	for (i = 0; i < 2; i++) {
		if (!req->host[i].len)
			continue;
		gen[i].chunked = op == MMDMA_XFER_ROUNDTRIP;
		gen[i].dev_base = dev_offset;
		ret = mmdma_map_host(&gen[i], method);
		if (ret)
			goto out;
	}

	if (op == MMDMA_XFER_ROUNDTRIP) {
		ret = mmdma_merge_chunks(req, &gen[0], &gen[1]);
	} else {
		i = op == MMDMA_XFER_FROM_DEV;
		req->ops = gen[i].ops;
		req->nr_ops = gen[i].nr;
		gen[i].ops = NULL;
	}
out:
	kvfree(gen[0].ops);
	kvfree(gen[1].ops);
	return ret;
}
ALLOW_ERROR_INJECTION(mmdma_req_prepare, ERRNO);

void mmdma_req_unmap(struct mmdma_req *req)
{
	struct device *dev = req->mdev->dma;

	while (req->nr_maps) {
		struct mmdma_map *m = &req->maps[--req->nr_maps];

		switch (m->kind) {
		case MMDMA_MAP_SG:
			dma_unmap_sgtable(dev, &m->sgt, m->dir, 0);
			sg_free_table(&m->sgt);
			break;
		case MMDMA_MAP_ONE_PAGE:
			dma_unmap_page(dev, m->addr, m->len, m->dir);
			break;
		case MMDMA_MAP_SINGLE:
			dma_unmap_single(dev, m->addr, m->len, m->dir);
			break;
		case MMDMA_MAP_RESOURCE:
			dma_unmap_resource(dev, m->addr, m->len, m->dir, 0);
			break;
		}
	}
	if (req->pool_vaddr) {
		dma_pool_free(req->mdev->pool, req->pool_vaddr, req->pool_dma);
		req->pool_vaddr = NULL;
	}
	/* Nothing of the buffers is mapped for the device any more. */
	mmdma_host_use_end(&req->host[0]);
	mmdma_host_use_end(&req->host[1]);
}

/**
 * mmdma_req_release() - undo everything mmdma_req_prepare() and the caller
 *                        set up; the request must not be on the engine
 * @req: the request
 */
void mmdma_req_release(struct mmdma_req *req)
{
	unsigned int j;
	int i;

	mmdma_req_unmap(req);
	kvfree(req->maps);
	kvfree(req->ops);
	for (i = 0; i < 2; i++) {
		struct mmdma_host *h = &req->host[i];

		/* Pages the device may have written are dirtied for their owner. */
		if (h->pinned)
			unpin_user_pages_dirty_lock(h->pages, h->nr_pages,
						    h->dir == DMA_FROM_DEVICE);
		if (h->put_mapped)
			h->put_mapped(h);
		for (j = 0; j < h->nr_user_uses; j++)
			mmdma_buf_put(h->user_uses[j].buf);
		kfree(h->user_uses);
		kvfree(h->pages);
		if (h->buf)
			mmdma_buf_put(h->buf);
	}
	memset(req, 0, sizeof(*req));
}

/**
 * mmdma_host_pin_user() - describe (and pin) user memory for DMA
 * @h:     filled in; mmdma_req_release() unpins
 * @uaddr: user address of the first byte
 * @len:   bytes, > 0
 * @dir:   DMA_FROM_DEVICE when the device writes the memory (FOLL_WRITE)
 *
 * Return: 0, -EFAULT when any page is unmapped or (for DMA_FROM_DEVICE)
 * not writable, -ENOMEM, -EINTR.  On failure nothing stays pinned.
 */
int mmdma_host_pin_user(struct mmdma_host *h, unsigned long uaddr, size_t len,
			enum dma_data_direction dir)
{
	unsigned int gup = dir == DMA_FROM_DEVICE ? FOLL_WRITE : 0;
	unsigned long first = uaddr >> PAGE_SHIFT, end;
	unsigned long done = 0;
	int ret;

	if (!len || check_add_overflow(uaddr, (unsigned long)len - 1, &end))
		return -EFAULT;
	h->nr_pages = (end >> PAGE_SHIFT) - first + 1;
	h->pages = kvmalloc_array(h->nr_pages, sizeof(*h->pages), GFP_KERNEL);
	if (!h->pages)
		return -ENOMEM;
	while (done < h->nr_pages) {
		ret = pin_user_pages_fast((first + done) << PAGE_SHIFT,
					  min_t(unsigned long, h->nr_pages - done,
						INT_MAX), gup, h->pages + done);
		if (ret <= 0) {
			unpin_user_pages(h->pages, done);
			kvfree(h->pages);
			h->pages = NULL;
			return ret ?: -EFAULT;
		}
		done += ret;
	}
	h->offset = offset_in_page(uaddr);
	h->len = len;
	h->dir = dir;
	h->kaddr = NULL;
	h->pinned = true;
	return 0;
}
ALLOW_ERROR_INJECTION(mmdma_host_pin_user, ERRNO);

/* Unit tests of the static helpers above (KUnit kernels only). */
#if IS_ENABLED(CONFIG_KUNIT)
#include "kunit/mmdma_xfer_kunit.c"
#endif
