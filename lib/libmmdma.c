// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmdma: a thin C wrapper over the mmdma ioctl ABI.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libmmdma.h"

static int neg_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

int mmdma_open(void)
{
	const char *path = getenv("MMDMA_DEV");

	return neg_errno(open(path && *path ? path : MMDMA_CTL_PATH,
			      O_RDWR | O_CLOEXEC));
}

#ifndef MMDMA_VERSION
#error "MMDMA_VERSION: build with -DMMDMA_VERSION='\"x.y.z\"' (the Makefile reads VERSION)"
#endif

const char *mmdma_version(void)
{
	return MMDMA_VERSION;
}

int mmdma_info(int ctl, struct mmdma_info *info)
{
	memset(info, 0, sizeof(*info));
	return neg_errno(ioctl(ctl, MMDMA_IOC_INFO, info));
}

/* MMDMA_IOC_ALLOC with close-on-exec: the new buffer's fd, or -errno. */
static int alloc_ioctl(int ctl, struct mmdma_alloc *req)
{
	int ret;

	req->flags |= MMDMA_ALLOC_CLOEXEC;
	ret = neg_errno(ioctl(ctl, MMDMA_IOC_ALLOC, req));
	return ret < 0 ? ret : req->fd;
}

int mmdma_alloc(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		uint32_t flags)
{
	return mmdma_alloc_cache(ctl, size, kind, method, MMDMA_CACHE_DEFAULT,
				 flags);
}

int mmdma_alloc_cache(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		      uint32_t cache, uint32_t flags)
{
	struct mmdma_alloc req = {
		.size = size,
		.kind = kind,
		.method = method,
		.cache = cache,
		.flags = flags,
	};

	return alloc_ioctl(ctl, &req);
}

int mmdma_alloc_dev(int ctl, uint64_t size, uint32_t kind, uint32_t method,
		    uint32_t flags, int dev)
{
	struct mmdma_alloc req = {
		.size = size,
		.kind = kind,
		.method = method,
		.flags = flags | MMDMA_ALLOC_DEVICE,
		.device = (uint32_t)dev,
	};

	return alloc_ioctl(ctl, &req);
}

int mmdma_buf_info(int buf, struct mmdma_buf_info *info)
{
	memset(info, 0, sizeof(*info));
	return neg_errno(ioctl(buf, MMDMA_BUF_INFO, info));
}

int mmdma_buf_fill(int buf, uint64_t offset, uint64_t length, uint32_t seed)
{
	struct mmdma_buf_fill req = {
		.offset = offset,
		.length = length,
		.seed = seed,
	};

	return neg_errno(ioctl(buf, MMDMA_BUF_FILL, &req));
}

int mmdma_explain(int ctl, struct mmdma_explain *e)
{
	return neg_errno(ioctl(ctl, MMDMA_IOC_EXPLAIN, e));
}

int mmdma_buf_phys(int buf, uint64_t offset, uint64_t count, uint64_t *addrs)
{
	struct mmdma_buf_phys req = {
		.offset = offset,
		.count = count,
		.addrs = (uintptr_t)addrs,
	};

	return neg_errno(ioctl(buf, MMDMA_BUF_PHYS, &req));
}

int mmdma_buf_attach(int buf, int dev, uint32_t dir)
{
	struct mmdma_buf_attach req = { .dev_fd = dev, .dir = dir };
	int ret = neg_errno(ioctl(buf, MMDMA_BUF_ATTACH, &req));

	return ret < 0 ? ret : (int)req.nr_segs;
}

int mmdma_buf_detach(int buf, int dev)
{
	struct mmdma_buf_detach req = { .dev_fd = dev };

	return neg_errno(ioctl(buf, MMDMA_BUF_DETACH, &req));
}

int mmdma_buf_sync(int buf, int dev, uint64_t offset, uint64_t length,
		   uint32_t dir, uint32_t flags)
{
	struct mmdma_buf_sync req = {
		.dev_fd = dev,
		.flags = flags,
		.offset = offset,
		.length = length,
		.dir = dir,
	};

	return neg_errno(ioctl(buf, MMDMA_BUF_SYNC, &req));
}

int mmdma_buf_dma_addrs(int buf, int dev, uint32_t first, uint32_t count,
			struct mmdma_dma_seg *segs, uint32_t *nr_segs)
{
	struct mmdma_buf_dma_addrs req = {
		.dev_fd = dev,
		.first = first,
		.count = count,
		.segs = (uintptr_t)segs,
	};
	int ret = neg_errno(ioctl(buf, MMDMA_BUF_DMA_ADDRS, &req));

	if (ret < 0)
		return ret;
	if (nr_segs)
		*nr_segs = req.nr_segs;
	return (int)req.copied;
}

int mmdma_buf_export(int buf, uint32_t fd_flags)
{
	struct mmdma_buf_export req = { .fd_flags = fd_flags };
	int ret = neg_errno(ioctl(buf, MMDMA_BUF_EXPORT, &req));

	return ret < 0 ? ret : req.fd;
}

int mmdma_dev_open(const char *name)
{
	char path[256];

	if (strchr(name, '/'))
		return neg_errno(open(name, O_RDWR | O_CLOEXEC));
	if ((size_t)snprintf(path, sizeof(path), "/dev/%s", name) >= sizeof(path))
		return -ENAMETOOLONG;
	return neg_errno(open(path, O_RDWR | O_CLOEXEC));
}

int mmdma_dev_info(int dev, struct mmdma_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return neg_errno(ioctl(dev, MMDMA_DEV_INFO, info));
}

int mmdma_xfer(int dev, struct mmdma_xfer *x)
{
	return neg_errno(ioctl(dev, MMDMA_DEV_XFER, x));
}

struct name_map {
	uint32_t value;
	const char *name;
};

static const struct name_map kinds[] = {
	{ MMDMA_MEM_PAGES, "pages" },
	{ MMDMA_MEM_CONTIG, "contig" },
	{ MMDMA_MEM_VMALLOC, "vmalloc" },
	{ MMDMA_MEM_COHERENT, "coherent" },
	{ MMDMA_MEM_RESERVED, "reserved" },
};

static const struct name_map methods[] = {
	{ MMDMA_MAP_REMAP, "remap" },
	{ MMDMA_MAP_FAULT, "fault" },
	{ MMDMA_MAP_INSERT, "insert" },
	{ MMDMA_MAP_HUGE, "huge" },
};

static const struct name_map caches[] = {
	{ MMDMA_CACHE_DEFAULT, "default" },
	{ MMDMA_CACHE_CACHED, "cached" },
	{ MMDMA_CACHE_WC, "wc" },
	{ MMDMA_CACHE_UC, "uc" },
};

static const char *map_name(const struct name_map *m, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].value == v)
			return m[i].name;
	return "unknown";
}

static uint32_t map_parse(const struct name_map *m, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(m[i].name, s))
			return m[i].value;
	return 0;
}

static const struct name_map dmas[] = {
	{ MMDMA_DMA_AUTO, "auto" },
	{ MMDMA_DMA_SG, "sg" },
	{ MMDMA_DMA_PAGE, "page" },
	{ MMDMA_DMA_SINGLE, "single" },
	{ MMDMA_DMA_COHERENT, "coherent" },
	{ MMDMA_DMA_POOL, "pool" },
	{ MMDMA_DMA_STREAM, "stream" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *mmdma_dma_name(uint32_t dma)
{
	return map_name(dmas, ARRAY_LEN(dmas), dma);
}

int mmdma_dma_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(dmas); i++)
		if (!strcasecmp(dmas[i].name, name))
			return (int)dmas[i].value;
	return -EINVAL;
}

const char *mmdma_kind_name(uint32_t kind)
{
	return map_name(kinds, ARRAY_LEN(kinds), kind);
}

const char *mmdma_method_name(uint32_t method)
{
	return map_name(methods, ARRAY_LEN(methods), method);
}

uint32_t mmdma_kind_parse(const char *name)
{
	return map_parse(kinds, ARRAY_LEN(kinds), name);
}

uint32_t mmdma_method_parse(const char *name)
{
	return map_parse(methods, ARRAY_LEN(methods), name);
}

const char *mmdma_cache_name(uint32_t cache)
{
	return map_name(caches, ARRAY_LEN(caches), cache);
}

int mmdma_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	int base = 10;
	char *end;

	/*
	 * A digit first: strtoull() would skip leading spaces and take a
	 * sign, so " -1" would pass as a huge number.
	 */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	/* Decimal or 0x-hex: a leading 0 is not octal ("010" is ten). */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		base = 16;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (end == s)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

void mmdma_pattern_fill(void *p, uint64_t off, size_t len, uint32_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = mmdma_pattern_byte(seed, off + i);
}

size_t mmdma_pattern_check(const void *p, uint64_t off, size_t len,
			   uint32_t seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != mmdma_pattern_byte(seed, off + i))
			return i;
	return len;
}
