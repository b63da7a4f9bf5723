/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmdma: user-space ABI.
 *
 * The control node /dev/mmdma hands out buffers of kernel memory, each as its
 * own file descriptor.  A buffer fd supports mmap() (with the mapping method
 * chosen at allocation), read()/write()/lseek() through the kernel's own
 * mapping of the memory, and the MMDMA_BUF_* ioctls.  The memory lives as
 * long as the fd or any mapping of it.
 *
 * Rules every ioctl follows:
 *  - fields marked (in) are read, (out) are written, everything else is
 *    reserved and must be zero;
 *  - unknown flag bits, unknown enum values and non-zero reserved fields are
 *    rejected with EINVAL, unknown commands with ENOTTY;
 *  - structs only grow by appending fields: the kernel copies the smaller of
 *    the user's and its own size and zero-fills the rest.
 */
#ifndef _UAPI_LINUX_MMDMA_H
#define _UAPI_LINUX_MMDMA_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped when a field or command is added; never when one changes. */
#define MMDMA_ABI_VERSION	1

/**
 * enum mmdma_mem_kind - where a buffer's memory comes from
 * @MMDMA_MEM_PAGES:   order-0 pages, not physically contiguous
 * @MMDMA_MEM_CONTIG:  one physically contiguous run of pages
 * @MMDMA_MEM_VMALLOC: vmalloc memory (virtually contiguous only)
 *
 * Values start at 1 so that a zeroed struct is caught as invalid.
 */
enum mmdma_mem_kind {
	MMDMA_MEM_PAGES = 1,
	MMDMA_MEM_CONTIG = 2,
	MMDMA_MEM_VMALLOC = 3,
};

/**
 * enum mmdma_map_method - how mmap() of a buffer fd builds the mapping
 * @MMDMA_MAP_REMAP:  the whole range at mmap() time with remap_pfn_range()
 *                    (contiguous memory only; shared mappings only)
 * @MMDMA_MAP_FAULT:  nothing at mmap() time; a .fault handler supplies one
 *                    page per fault (any kind)
 * @MMDMA_MAP_INSERT: the whole range at mmap() time from struct pages, in one
 *                    batched call: vm_insert_pages(), or remap_vmalloc_range()
 *                    for vmalloc memory; faults after a zap are served by
 *                    the .fault handler (any kind)
 *
 * A kind/method pair that cannot work (remap_pfn_range() over vmalloc or
 * scattered pages) is refused by MMDMA_IOC_ALLOC with EINVAL.
 */
enum mmdma_map_method {
	MMDMA_MAP_REMAP = 1,
	MMDMA_MAP_FAULT = 2,
	MMDMA_MAP_INSERT = 3,
};

/**
 * enum mmdma_cache_mode - CPU caching of user mappings
 * @MMDMA_CACHE_DEFAULT: cached (the only mode in ABI version 1)
 * @MMDMA_CACHE_CACHED:  cached, like any anonymous memory
 */
enum mmdma_cache_mode {
	MMDMA_CACHE_DEFAULT = 0,
	MMDMA_CACHE_CACHED = 1,
};

/* Feature bits reported by MMDMA_IOC_INFO. */
#define MMDMA_FEAT_MEM_PAGES	(1ULL << 0)
#define MMDMA_FEAT_MEM_CONTIG	(1ULL << 1)
#define MMDMA_FEAT_MEM_VMALLOC	(1ULL << 2)
#define MMDMA_FEAT_MAP_REMAP	(1ULL << 8)
#define MMDMA_FEAT_MAP_FAULT	(1ULL << 9)
#define MMDMA_FEAT_MAP_INSERT	(1ULL << 10)

/**
 * struct mmdma_info - what this driver build and kernel offer
 * @abi_version:     (out) MMDMA_ABI_VERSION of the driver
 * @page_size:       (out) PAGE_SIZE; buffer sizes are rounded up to it
 * @features:        (out) MMDMA_FEAT_* bits
 * @max_buf_size:    (out) largest buffer, bytes (module parameter max_buf_size)
 * @max_contig_size: (out) largest MMDMA_MEM_CONTIG buffer, bytes
 * @max_total:       (out) cap on all buffers together (module parameter)
 * @total:           (out) bytes held by all live buffers now
 * @nr_buffers:      (out) live buffers now
 * @__pad:           reserved, zero
 * @reserved:        reserved, zero
 */
struct mmdma_info {
	__u32 abi_version;
	__u32 page_size;
	__u64 features;
	__u64 max_buf_size;
	__u64 max_contig_size;
	__u64 max_total;
	__u64 total;
	__u32 nr_buffers;
	__u32 __pad;
	__u64 reserved[4];
};

/* Ask for the new buffer fd to be close-on-exec. */
#define MMDMA_ALLOC_CLOEXEC	(1U << 0)
#define MMDMA_ALLOC_VALID_FLAGS	(MMDMA_ALLOC_CLOEXEC)

/**
 * struct mmdma_alloc - allocate a buffer, get its fd
 * @size:     (in) bytes, > 0; rounded up to a whole number of pages
 * @kind:     (in) enum mmdma_mem_kind
 * @method:   (in) enum mmdma_map_method
 * @cache:    (in) enum mmdma_cache_mode
 * @flags:    (in) MMDMA_ALLOC_* bits
 * @device:   (in) reserved for memory bound to a device; must be zero
 * @fd:       (out) the buffer's file descriptor (read/write); must be zero
 *            on entry
 * @reserved: reserved, zero
 *
 * The memory is zeroed before user space can see it.
 */
struct mmdma_alloc {
	__u64 size;
	__u32 kind;
	__u32 method;
	__u32 cache;
	__u32 flags;
	__u32 device;
	__s32 fd;
	__u64 reserved[4];
};

/**
 * struct mmdma_buf_info - a buffer's description and live state
 * @size:      (out) bytes (a whole number of pages)
 * @kind:      (out) enum mmdma_mem_kind
 * @method:    (out) enum mmdma_map_method
 * @cache:     (out) enum mmdma_cache_mode actually used
 * @id:        (out) buffer number, unique while the module is loaded
 * @live_maps: (out) VMAs mapping the buffer now, in all processes (a mapping
 *             split by a partial munmap or mprotect counts twice)
 * @__pad:     reserved, zero
 * @mmaps:     (out) successful mmap() calls on the buffer so far
 * @faults:    (out) pages supplied by the .fault handler so far
 * @inserted:  (out) pages mapped at mmap() time (remap or insert) so far
 * @reserved:  reserved, zero
 */
struct mmdma_buf_info {
	__u64 size;
	__u32 kind;
	__u32 method;
	__u32 cache;
	__u32 id;
	__u32 live_maps;
	__u32 __pad;
	__u64 mmaps;
	__u64 faults;
	__u64 inserted;
	__u64 reserved[4];
};

/**
 * struct mmdma_buf_fill - write a known pattern into a buffer from the kernel
 * @offset:   (in) first byte
 * @length:   (in) bytes; offset + length must not pass the buffer's end
 * @seed:     (in) pattern seed, see mmdma_pattern_byte()
 * @flags:    (in) none defined; must be zero
 * @reserved: reserved, zero
 *
 * Byte at buffer offset o becomes mmdma_pattern_byte(seed, o), so user space
 * can check any window of the buffer without knowing how it was written.
 */
struct mmdma_buf_fill {
	__u64 offset;
	__u64 length;
	__u32 seed;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * mmdma_pattern_byte() - the byte MMDMA_BUF_FILL writes at offset @off
 * @seed: the fill's seed
 * @off:  byte offset in the buffer
 *
 * Mixes the page number in, so a page mapped at the wrong place shows.
 */
static __inline__ __u8 mmdma_pattern_byte(__u32 seed, __u64 off)
{
	__u64 x = off ^ ((off >> 12) * 0x9e3779b1ULL) ^ seed;

	return (__u8)(x ^ (x >> 8) ^ (x >> 19) ^ (seed >> 8));
}

#define MMDMA_IOC_MAGIC		0xD3

/* On /dev/mmdma. */
#define MMDMA_IOC_INFO		_IOR(MMDMA_IOC_MAGIC, 0x00, struct mmdma_info)
#define MMDMA_IOC_ALLOC		_IOWR(MMDMA_IOC_MAGIC, 0x01, struct mmdma_alloc)

/* On a buffer fd. */
#define MMDMA_BUF_INFO		_IOR(MMDMA_IOC_MAGIC, 0x40, struct mmdma_buf_info)
#define MMDMA_BUF_FILL		_IOW(MMDMA_IOC_MAGIC, 0x41, struct mmdma_buf_fill)

#endif /* _UAPI_LINUX_MMDMA_H */
