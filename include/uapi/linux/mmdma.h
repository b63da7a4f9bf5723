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

/*
 * Bumped when a field or command is added; never when one changes.
 * 2: struct mmdma_info.driver_version.
 * 3: MMDMA_IOC_EXPLAIN (MMDMA_FEAT_EXPLAIN).
 */
#define MMDMA_ABI_VERSION	3

/**
 * enum mmdma_mem_kind - where a buffer's memory comes from
 * @MMDMA_MEM_PAGES:   order-0 pages, not physically contiguous
 * @MMDMA_MEM_CONTIG:  one physically contiguous run of pages
 * @MMDMA_MEM_VMALLOC: vmalloc memory (virtually contiguous only)
 * @MMDMA_MEM_COHERENT: DMA-coherent memory of one DMA device
 *                     (dma_alloc_coherent()), named by
 *                     MMDMA_ALLOC_DEVICE; mapped with MMDMA_MAP_REMAP only.
 *                     It lives no longer than the device: when the device
 *                     goes away its mappings are zapped (SIGBUS on touch)
 *                     and read/write/ioctl on the buffer fd fail with ENODEV
 * @MMDMA_MEM_RESERVED: a piece of the RAM region the kernel was told never
 *                     to use (boot with memmap=SIZE$ADDR, load the module
 *                     with reserved_base/reserved_size); MMDMA_MAP_REMAP
 *                     only; ENODEV when no region was given
 *
 * Values start at 1 so that a zeroed struct is caught as invalid.
 */
enum mmdma_mem_kind {
	MMDMA_MEM_PAGES = 1,
	MMDMA_MEM_CONTIG = 2,
	MMDMA_MEM_VMALLOC = 3,
	MMDMA_MEM_COHERENT = 4,
	MMDMA_MEM_RESERVED = 5,
};

/**
 * enum mmdma_map_method - how mmap() of a buffer fd builds the mapping
 * @MMDMA_MAP_REMAP:  the whole range at mmap() time with remap_pfn_range()
 *                    (contiguous, reserved memory; dma_mmap_coherent() for
 *                    coherent memory; shared mappings only)
 * @MMDMA_MAP_FAULT:  nothing at mmap() time; a .fault handler supplies one
 *                    page per fault (pages, contiguous, vmalloc memory)
 * @MMDMA_MAP_INSERT: the whole range at mmap() time from struct pages, in one
 *                    batched call: vm_insert_pages(); faults after a zap are
 *                    served by the .fault handler (pages, contiguous,
 *                    vmalloc memory)
 * @MMDMA_MAP_HUGE:   contiguous memory mapped 2 MiB at a time with PMD entries
 *                    from a .huge_fault handler (size a multiple of 2 MiB;
 *                    shared mappings only).  A PFN map: no struct page as far
 *                    as the rest of the kernel is concerned, so
 *                    get_user_pages() and O_DIRECT into it fail with EFAULT.
 *                    Where the kernel cannot build PMD mappings (see
 *                    MMDMA_FEAT_MAP_HUGE) every fault maps 4 KiB.
 *
 * A kind/method pair that cannot work (remap_pfn_range() over vmalloc or
 * scattered pages) is refused by MMDMA_IOC_ALLOC with EINVAL.
 */
enum mmdma_map_method {
	MMDMA_MAP_REMAP = 1,
	MMDMA_MAP_FAULT = 2,
	MMDMA_MAP_INSERT = 3,
	MMDMA_MAP_HUGE = 4,
};

/**
 * enum mmdma_cache_mode - CPU caching of user mappings
 * @MMDMA_CACHE_DEFAULT: cached (the only mode in ABI version 1)
 * @MMDMA_CACHE_CACHED:  cached, like any anonymous memory
 * @MMDMA_CACHE_WC:      write-combining (pgprot_writecombine); the kernel's
 *                       own mapping of the memory is made write-combining
 *                       too for as long as the buffer lives, so no two
 *                       mappings disagree (MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG
 *                       only; EINVAL for other kinds).  Shared mappings
 *                       only: MAP_PRIVATE is EINVAL, since its copies on
 *                       write are ordinary write-back pages
 * @MMDMA_CACHE_UC:      uncached (pgprot_noncached), with the kernel's
 *                       mapping changed the same way; same kinds and
 *                       same MAP_PRIVATE rule as WC
 */
enum mmdma_cache_mode {
	MMDMA_CACHE_DEFAULT = 0,
	MMDMA_CACHE_CACHED = 1,
	MMDMA_CACHE_WC = 2,
	MMDMA_CACHE_UC = 3,
};

/* Feature bits reported by MMDMA_IOC_INFO. */
#define MMDMA_FEAT_MEM_PAGES	(1ULL << 0)
#define MMDMA_FEAT_MEM_CONTIG	(1ULL << 1)
#define MMDMA_FEAT_MEM_VMALLOC	(1ULL << 2)
#define MMDMA_FEAT_MEM_COHERENT	(1ULL << 3)	/* a DMA device is bound */
#define MMDMA_FEAT_MEM_RESERVED	(1ULL << 4)	/* a reserved region was given */
#define MMDMA_FEAT_MAP_REMAP	(1ULL << 8)
#define MMDMA_FEAT_MAP_FAULT	(1ULL << 9)
#define MMDMA_FEAT_MAP_INSERT	(1ULL << 10)
/* MMDMA_MAP_HUGE maps with PMD entries here (else 4 KiB at a time). */
#define MMDMA_FEAT_MAP_HUGE	(1ULL << 11)

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
 * @driver_version:  (out, ABI 2) the module's release, the same string as
 *                   its MODULE_VERSION ("0.1.0"), NUL-terminated and
 *                   zero-padded.  A caller built against ABI 1 passes the
 *                   smaller struct (MMDMA_INFO_SIZE_VER1 bytes) and gets
 *                   everything up to @reserved; a kernel of ABI 1 leaves
 *                   this field as the caller set it, so zero it first
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
	__u8 driver_version[32];
};

/* sizeof(struct mmdma_info) in ABI version 1, before @driver_version. */
#define MMDMA_INFO_SIZE_VER1	88

/* Ask for the new buffer fd to be close-on-exec. */
#define MMDMA_ALLOC_CLOEXEC	(1U << 0)
/* struct mmdma_alloc.device holds the fd of a DMA device node. */
#define MMDMA_ALLOC_DEVICE	(1U << 1)
#define MMDMA_ALLOC_VALID_FLAGS	(MMDMA_ALLOC_CLOEXEC | MMDMA_ALLOC_DEVICE)

/**
 * struct mmdma_alloc - allocate a buffer, get its fd
 * @size:     (in) bytes, > 0; rounded up to a whole number of pages
 * @kind:     (in) enum mmdma_mem_kind
 * @method:   (in) enum mmdma_map_method
 * @cache:    (in) enum mmdma_cache_mode
 * @flags:    (in) MMDMA_ALLOC_* bits
 * @device:   (in) with MMDMA_ALLOC_DEVICE: an open fd of a DMA device node
 *            (/dev/mmdma-edu0, ...) whose memory the buffer is
 *            (MMDMA_MEM_COHERENT needs it, other kinds refuse it); must be
 *            zero without the flag.  EBADF for a closed fd, EINVAL for an fd
 *            that is not a DMA device node, ENODEV for a device gone away
 * @fd:       (out) the buffer's file descriptor (read/write); must be zero
 *            on entry
 * @reserved: reserved, zero
 *
 * The memory is zeroed before user space can see it.  Every kind counts
 * against the module parameters max_buf_size (E2BIG) and max_total
 * (ENOMEM).  Page-array, contiguous and vmalloc memory is charged to the
 * caller's memory cgroup (ENOMEM past its memory.max); coherent and
 * reserved memory cannot be.
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
 * @huge_faults: (out) 2 MiB ranges mapped by the .huge_fault handler so far
 *             (MMDMA_MAP_HUGE; its 4 KiB fallback faults count in @faults)
 * @blocks:    (out) MMDMA_MEM_PAGES and MMDMA_MEM_VMALLOC: blocks of more
 *             than one page the memory was taken in (0 for other kinds).
 *             Written only for a caller with CAP_SYS_RAWIO (0 otherwise:
 *             the count tells which pages are adjacent)
 * @syncs_skipped: (out) MMDMA_BUF_SYNC calls so far that did nothing because
 *             the attachment's device needs no sync (the DMA layer says so:
 *             it snoops caches and no segment is bounced).  CAP_SYS_RAWIO
 *             only, as @blocks (0 otherwise: it tells whether memory lies
 *             beyond a device's reach)
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
	__u64 huge_faults;
	__u64 blocks;
	__u64 syncs_skipped;
	__u64 reserved[1];
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
 * EBADF on a buffer fd not open for writing.
 */
struct mmdma_buf_fill {
	__u64 offset;
	__u64 length;
	__u32 seed;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct mmdma_buf_phys - physical addresses of a buffer's pages
 * @offset:   (in) byte offset of the first page wanted (rounded down)
 * @count:    (in) pages wanted; the range must lie inside the buffer
 * @addrs:    (in) user pointer to @count __u64 entries, each set to the
 *            physical address of one page
 * @reserved: reserved, zero
 *
 * Discloses physical addresses: CAP_SYS_ADMIN only (EPERM otherwise).
 */
struct mmdma_buf_phys {
	__u64 offset;
	__u64 count;
	__u64 addrs;
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

/**
 * enum mmdma_dev_kind - what moves the data of a DMA device node
 * @MMDMA_DEV_EDU:  QEMU's edu PCI device (vendor 0x1234, device 0x11e8)
 * @MMDMA_DEV_SOFT: the software engine: the CPU copies, through the same
 *                  pinning, scatter/gather and DMA-API path
 * @MMDMA_DEV_ISA:  a floppy disk controller on the ISA bus, moving sectors
 *                  through the 8237 DMA controller (the kernel's ISA DMA
 *                  API); device memory is the disk, byte for byte
 * @MMDMA_DEV_PCI:  any PCI device bound to mmdma-pci (docs/pci.md): no
 *                  engine and no device memory; user space drives the
 *                  device through BAR 0, MMDMA_DEV_XFER gets EOPNOTSUPP
 */
enum mmdma_dev_kind {
	MMDMA_DEV_EDU = 1,
	MMDMA_DEV_SOFT = 2,
	MMDMA_DEV_ISA = 3,
	MMDMA_DEV_PCI = 4,
};

/* struct mmdma_dev_info.flags */
#define MMDMA_DEVF_IOMMU	(1U << 0)	/* bus addresses are IOMMU-translated */
#define MMDMA_DEVF_SWIOTLB	(1U << 1)	/* swiotlb is active and in the device's reach */
#define MMDMA_DEVF_MSI		(1U << 2)	/* completion interrupts come by MSI */
#define MMDMA_DEVF_INTX		(1U << 3)	/* ... or by the legacy INTx line */
#define MMDMA_DEVF_LIMITED	(1U << 4)	/* the device cannot reach all RAM directly */

/**
 * struct mmdma_dev_info - a DMA device node's description and statistics
 * @id:           (out) device number, names /dev/mmdma-<kind><id>
 * @kind:         (out) enum mmdma_dev_kind
 * @name:         (out) NUL-terminated node name, e.g. "mmdma-edu0"
 * @mem_size:     (out) bytes of device memory (dev_offset range of transfers)
 * @max_op:       (out) most bytes one hardware operation moves
 * @dma_mask:     (out) the DMA mask the driver set for the device
 * @flags:        (out) MMDMA_DEVF_* bits
 * @__pad:        reserved, zero
 * @transfers:    (out) transfers completed (successfully or not)
 * @bytes:        (out) bytes moved by successful transfers
 * @ops:          (out) hardware operations run
 * @bounces:      (out) operations bounced through the driver's buffer
 *                because the device could not reach the memory
 * @bounce_bytes: (out) bytes moved by those operations
 * @errors:       (out) transfers that failed
 * @timeouts:     (out) hardware operations that timed out
 * @reserved:     reserved, zero
 *
 * The same counters are in /sys/class/misc/<name>/.
 */
struct mmdma_dev_info {
	__u32 id;
	__u32 kind;
	__u8 name[32];
	__u64 mem_size;
	__u64 max_op;
	__u64 dma_mask;
	__u32 flags;
	__u32 __pad;
	__u64 transfers;
	__u64 bytes;
	__u64 ops;
	__u64 bounces;
	__u64 bounce_bytes;
	__u64 errors;
	__u64 timeouts;
	__u64 reserved[4];
};

/**
 * enum mmdma_xfer_op - what a transfer moves
 * @MMDMA_XFER_TO_DEV:    buffer (src_fd) -> device memory at dev_offset
 * @MMDMA_XFER_FROM_DEV:  device memory at dev_offset -> buffer (dst_fd)
 * @MMDMA_XFER_ROUNDTRIP: buffer (src_fd) -> device -> buffer (dst_fd), any
 *                        length, in pieces the size of device memory; the
 *                        two ranges must not overlap
 */
enum mmdma_xfer_op {
	MMDMA_XFER_TO_DEV = 1,
	MMDMA_XFER_FROM_DEV = 2,
	MMDMA_XFER_ROUNDTRIP = 3,
};

/**
 * enum mmdma_dma_method - how the driver gives host memory to the device
 * @MMDMA_DMA_AUTO:     the driver's choice: @MMDMA_DMA_POOL for small
 *                      transfers, @MMDMA_DMA_SG otherwise
 * @MMDMA_DMA_SG:       dma_map_sgtable() over the buffer's pages
 * @MMDMA_DMA_PAGE:     dma_map_page() for each page
 * @MMDMA_DMA_SINGLE:   dma_map_single() over the buffer's kernel address
 *                      (only memory with a linear kernel address:
 *                      MMDMA_MEM_CONTIG; EINVAL otherwise)
 * @MMDMA_DMA_COHERENT: the CPU copies through the driver's coherent buffer
 * @MMDMA_DMA_POOL:     the CPU copies through a dma_pool block (transfers
 *                      of at most MMDMA_POOL_MAX bytes; EINVAL otherwise)
 * @MMDMA_DMA_STREAM:   the CPU copies through the driver's long-lived
 *                      streaming buffer, with explicit dma_sync_single_*
 *                      ownership hand-over around each operation
 *
 * Whatever the method, memory the device cannot reach never reaches the DMA
 * layer: the driver bounces it through its coherent buffer (or, where
 * swiotlb is active and in reach, leaves the bouncing to swiotlb).
 */
enum mmdma_dma_method {
	MMDMA_DMA_AUTO = 0,
	MMDMA_DMA_SG = 1,
	MMDMA_DMA_PAGE = 2,
	MMDMA_DMA_SINGLE = 3,
	MMDMA_DMA_COHERENT = 4,
	MMDMA_DMA_POOL = 5,
	MMDMA_DMA_STREAM = 6,
};

#define MMDMA_POOL_MAX		256

/*
 * struct mmdma_xfer.flags.  MMDMA_XFER_ATTACHED: the buffers are attached to
 * this device (MMDMA_BUF_ATTACH, in a direction that allows the transfer)
 * and the transfer uses those mappings as they are: nothing is mapped,
 * unmapped or synced, ownership is the caller's business (MMDMA_BUF_SYNC).
 * The dma method must be MMDMA_DMA_AUTO or MMDMA_DMA_SG.
 */
#define MMDMA_XFER_ATTACHED	(1U << 8)
#define MMDMA_XFER_VALID_FLAGS	(MMDMA_XFER_ATTACHED)

/**
 * struct mmdma_xfer - a synchronous DMA transfer
 * @op:         (in) enum mmdma_xfer_op.  The device node's fd must be open
 *              for writing for TO_DEV (device memory is written), for
 *              reading for FROM_DEV, for both for ROUNDTRIP: EBADF if not
 * @dma:        (in) enum mmdma_dma_method
 * @flags:      (in) MMDMA_XFER_* bits
 * @src_fd:     (in) buffer fd read by TO_DEV and ROUNDTRIP; ignored by
 *              FROM_DEV.  A dma-buf fd (of any exporter) is accepted too:
 *              the device imports it for the transfer.  EBADF for an fd
 *              not open for reading
 * @dst_fd:     (in) buffer fd written by FROM_DEV and ROUNDTRIP; ignored by
 *              TO_DEV; a dma-buf fd too.  EBADF for an fd not open for
 *              writing (a read-only dma-buf can only be a source)
 * @__pad:      reserved, zero
 * @src_offset: (in) first byte read in the source buffer
 * @dst_offset: (in) first byte written in the destination buffer
 * @dev_offset: (in) device memory offset (TO_DEV, FROM_DEV; 0 for ROUNDTRIP)
 * @length:     (in) bytes, > 0
 * @ops:        (out) hardware operations the transfer took; written only
 *              for a caller with CAP_SYS_RAWIO, 0 for everyone else (the
 *              count tells which pages are physically adjacent)
 * @bounced:    (out) bytes the driver bounced because the device could not
 *              reach them; CAP_SYS_RAWIO only, as @ops (it tells which
 *              pages lie above the device's DMA mask)
 * @bus_addr:   (out) bus address the device used for the first host byte
 *              (of the source for TO_DEV and ROUNDTRIP); written only for
 *              a caller with CAP_SYS_RAWIO, 0 for everyone else (without
 *              an IOMMU a bus address is a physical address)
 * @phys_addr:  (out) physical address of that byte; written only for a
 *              caller with CAP_SYS_ADMIN, and never for memory the driver
 *              knows no physical address of (coherent memory, an imported
 *              dma-buf): 0 then
 * @nsecs:      (out) time from submission to completion
 * @reserved:   reserved, zero
 */
struct mmdma_xfer {
	__u32 op;
	__u32 dma;
	__u32 flags;
	__s32 src_fd;
	__s32 dst_fd;
	__u32 __pad;
	__u64 src_offset;
	__u64 dst_offset;
	__u64 dev_offset;
	__u64 length;
	__u64 ops;
	__u64 bounced;
	__u64 bus_addr;
	__u64 phys_addr;
	__u64 nsecs;
	__u64 reserved[4];
};

/*
 * Streaming ownership, bus addresses and dma-buf (ABI version 1 additions).
 *
 * A buffer can be attached to a DMA device node: its pages are mapped for
 * that device once, with one direction, and stay mapped until it is
 * detached, the buffer's last fd and mapping go, or the device goes away.
 * While attached, the CPU and the device hand the memory back and forth
 * with MMDMA_BUF_SYNC, exactly as a driver does with dma_sync_*(), and
 * transfers with MMDMA_XFER_ATTACHED use the mapping as it is.
 */

/**
 * enum mmdma_dma_dir - which way the data of an attachment or a sync goes
 * @MMDMA_DIR_TO_DEVICE:     the device reads the memory
 * @MMDMA_DIR_FROM_DEVICE:   the device writes the memory
 * @MMDMA_DIR_BIDIRECTIONAL: both
 */
enum mmdma_dma_dir {
	MMDMA_DIR_TO_DEVICE = 1,
	MMDMA_DIR_FROM_DEVICE = 2,
	MMDMA_DIR_BIDIRECTIONAL = 3,
};

/* Feature bits 16 and up of MMDMA_IOC_INFO: attachments, dma-buf, sysfs. */
#define MMDMA_FEAT_ATTACH	(1ULL << 16)	/* BUF_ATTACH, DETACH, SYNC, DMA_ADDRS, XFER_ATTACHED */
#define MMDMA_FEAT_DMABUF	(1ULL << 17)	/* BUF_EXPORT; XFER takes dma-buf fds */
#define MMDMA_FEAT_BUF_SYSFS	(1ULL << 18)	/* /sys/kernel/mmdma/buffers/<id>/ */

/**
 * struct mmdma_buf_attach - map a buffer for a DMA device, persistently
 * @dev_fd:   (in) fd of a DMA device node (/dev/mmdma-edu0, ...)
 * @flags:    (in) none defined; must be zero
 * @dir:      (in) enum mmdma_dma_dir the mapping is made for
 * @nr_segs:  (out) bus-contiguous segments of the mapping; must be zero
 *            on entry; written only for a caller with CAP_SYS_RAWIO (0
 *            otherwise: the count tells which pages are adjacent)
 * @reserved: reserved, zero
 *
 * One attachment per buffer and device: EBUSY for a second.  EBADF for
 * MMDMA_DIR_FROM_DEVICE or MMDMA_DIR_BIDIRECTIONAL on a buffer fd not open
 * for writing (the device would write the memory).  ERANGE when
 * the device cannot reach all of the buffer's memory and neither an IOMMU
 * nor swiotlb can stand between (the driver does not bounce attachments);
 * ENODEV when the device has gone away.
 */
struct mmdma_buf_attach {
	__s32 dev_fd;
	__u32 flags;
	__u32 dir;
	__u32 nr_segs;
	__u64 reserved[4];
};

/**
 * struct mmdma_buf_detach - undo MMDMA_BUF_ATTACH
 * @dev_fd:   (in) the device node the buffer is attached to
 * @flags:    (in) none defined; must be zero
 * @reserved: reserved, zero
 *
 * ENOENT when the buffer is not attached to that device.  An attachment
 * whose device has gone away can (and should) still be detached.
 */
struct mmdma_buf_detach {
	__s32 dev_fd;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct mmdma_dma_seg - one bus-contiguous piece of an attachment
 * @dma_addr: bus address the device uses
 * @len:      bytes
 */
struct mmdma_dma_seg {
	__u64 dma_addr;
	__u64 len;
};

/**
 * struct mmdma_buf_dma_addrs - the bus addresses of an attachment
 * @dev_fd:   (in) the device node the buffer is attached to
 * @flags:    (in) none defined; must be zero
 * @first:    (in) first segment wanted; at most @nr_segs
 * @count:    (in) entries at @segs (0: only ask for @nr_segs)
 * @segs:     (in) user pointer to @count struct mmdma_dma_seg, in buffer
 *            order: the first starts at buffer offset 0
 * @nr_segs:  (out) segments of the attachment in all
 * @copied:   (out) entries written: min(@count, @nr_segs - @first)
 * @reserved: reserved, zero
 *
 * A process that knows bus addresses and can program a device can aim DMA
 * at any memory: CAP_SYS_RAWIO only (EPERM otherwise), like mapping the
 * registers.  ENOENT when not attached, ENODEV when the device has gone.
 */
struct mmdma_buf_dma_addrs {
	__s32 dev_fd;
	__u32 flags;
	__u32 first;
	__u32 count;
	__u64 segs;
	__u32 nr_segs;
	__u32 copied;
	__u64 reserved[2];
};

/* struct mmdma_buf_sync.flags: exactly one of the two. */
#define MMDMA_SYNC_FOR_CPU	(1U << 0)	/* the CPU takes the memory back */
#define MMDMA_SYNC_FOR_DEVICE	(1U << 1)	/* the device gets it */
#define MMDMA_SYNC_VALID_FLAGS	(MMDMA_SYNC_FOR_CPU | MMDMA_SYNC_FOR_DEVICE)

/**
 * struct mmdma_buf_sync - hand part of an attachment to the CPU or device
 * @dev_fd:   (in) the device node the buffer is attached to
 * @flags:    (in) MMDMA_SYNC_FOR_CPU or MMDMA_SYNC_FOR_DEVICE
 * @offset:   (in) first byte
 * @length:   (in) bytes, > 0; the range must lie inside the buffer
 * @dir:      (in) enum mmdma_dma_dir: the attachment's own direction, or
 *            any direction for a bidirectional attachment (EINVAL
 *            otherwise)
 * @__pad:    reserved, zero
 * @reserved: reserved, zero
 *
 * Where the DMA layer maps the buffer entry by entry (no IOMMU merging
 * entries; swiotlb bounces), only the entries covering [@offset, @offset +
 * @length) are synced, each over the part in the range, so swiotlb copies
 * exactly those bytes; where an IOMMU merged entries, the whole attachment
 * is synced (nothing is bounced there).  EBADF for MMDMA_DIR_FROM_DEVICE or
 * MMDMA_DIR_BIDIRECTIONAL on a buffer fd not open for writing.
 * ENOENT when not attached, ENODEV when the device has gone.
 */
struct mmdma_buf_sync {
	__s32 dev_fd;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u32 dir;
	__u32 __pad;
	__u64 reserved[2];
};

/**
 * struct mmdma_buf_export - export a buffer as a dma-buf
 * @fd_flags: (in) O_CLOEXEC, and O_RDWR or O_RDONLY (0) for the dma-buf's
 *            file; other bits: EINVAL.  O_RDWR from a buffer fd not open
 *            for writing: EBADF.  A read-only dma-buf cannot be mapped
 *            writable (EACCES) nor be a transfer's destination (EBADF)
 * @fd:       (out) the dma-buf fd; must be zero on entry
 * @reserved: reserved, zero
 *
 * The dma-buf holds the buffer's memory until its last fd, mapping and
 * importer attachment are gone, whatever happens to the buffer fd.
 */
struct mmdma_buf_export {
	__u32 fd_flags;
	__s32 fd;
	__u64 reserved[2];
};

/*
 * Memory management in Linux (ABI version 3): one user virtual address
 * followed down the chain LDD3 chapter 15 opens with.
 */

/* MMDMA_FEAT_EXPLAIN: MMDMA_IOC_EXPLAIN is served. */
#define MMDMA_FEAT_EXPLAIN	(1ULL << 24)

/* struct mmdma_explain.flags */
#define MMDMA_EXPLAIN_DEVICE	(1U << 0)	/* @dev_fd names a DMA device node */
#define MMDMA_EXPLAIN_VALID_FLAGS	(MMDMA_EXPLAIN_DEVICE)

/* struct mmdma_explain.valid: which (out) fields hold an answer. */
#define MMDMA_EXPLAIN_PRESENT	(1U << 0)	/* a present leaf entry: @pfn, @phys */
#define MMDMA_EXPLAIN_SWAP	(1U << 1)	/* a non-present, non-empty entry (swap, migration) */
#define MMDMA_EXPLAIN_PFNMAP	(1U << 2)	/* the VMA is VM_PFNMAP or VM_IO */
#define MMDMA_EXPLAIN_PAGE	(1U << 3)	/* the PFN has a struct page: @page_* ... @zone */
#define MMDMA_EXPLAIN_HIGHMEM	(1U << 4)	/* the page is high memory */
#define MMDMA_EXPLAIN_LOGICAL	(1U << 5)	/* @kernel_logical, in the linear map */
#define MMDMA_EXPLAIN_BUF	(1U << 6)	/* an mmdma buffer: @buf_id, @buf_offset */
#define MMDMA_EXPLAIN_KVIRT	(1U << 7)	/* @kernel_virtual: the buffer's kernel mapping */
#define MMDMA_EXPLAIN_KVIRT_VMALLOC (1U << 8)	/* ... which lies in vmalloc space */
#define MMDMA_EXPLAIN_BUS	(1U << 9)	/* @bus_addr */
#define MMDMA_EXPLAIN_BUS_IOMMU	(1U << 10)	/* the device is behind a paging IOMMU */
#define MMDMA_EXPLAIN_BUS_HELD	(1U << 11)	/* @bus_addr is a mapping the driver holds */
#define MMDMA_EXPLAIN_BUS_COHERENT (1U << 12)	/* ... the buffer's coherent DMA handle */
#define MMDMA_EXPLAIN_BUS_ATTACHED (1U << 13)	/* ... the buffer's attachment (MMDMA_BUF_ATTACH) */
#define MMDMA_EXPLAIN_BUS_UNREACHABLE (1U << 14) /* out of the device's reach, no IOMMU: no @bus_addr */
#define MMDMA_EXPLAIN_BUS_BOUNCED (1U << 15)	/* the DMA layer would copy through a
						 * swiotlb slot: no lasting @bus_addr */

/* struct mmdma_explain.leaf: the page-table level that maps the address. */
#define MMDMA_LEVEL_NONE	0
#define MMDMA_LEVEL_PTE		1	/* 4 KiB page */
#define MMDMA_LEVEL_PMD		2	/* huge PMD leaf (2 MiB on x86-64) */
#define MMDMA_LEVEL_PUD		3	/* huge PUD leaf (1 GiB on x86-64) */

/* struct mmdma_explain.page_flags: the kernel's page flags, in stable bits. */
#define MMDMA_PG_LOCKED		(1U << 0)
#define MMDMA_PG_REFERENCED	(1U << 1)
#define MMDMA_PG_UPTODATE	(1U << 2)
#define MMDMA_PG_DIRTY		(1U << 3)
#define MMDMA_PG_LRU		(1U << 4)
#define MMDMA_PG_ACTIVE		(1U << 5)
#define MMDMA_PG_SLAB		(1U << 6)
#define MMDMA_PG_RESERVED	(1U << 7)
#define MMDMA_PG_SWAPBACKED	(1U << 8)
#define MMDMA_PG_ANON		(1U << 9)	/* anonymous memory (folio->mapping) */
#define MMDMA_PG_LARGE		(1U << 10)	/* part of a large folio (@folio_order > 0) */
#define MMDMA_PG_UNEVICTABLE	(1U << 11)
#define MMDMA_PG_WRITEBACK	(1U << 12)

/**
 * struct mmdma_explain - a user virtual address, explained (MMDMA_IOC_EXPLAIN)
 * @addr:      (in) the user virtual address, any byte of a page
 * @pid:       (in) the process whose address it is, in the caller's PID
 *             namespace; 0 for the caller.  Another process needs, besides
 *             CAP_SYS_ADMIN, CAP_SYS_PTRACE (EACCES), whoever owns it.
 *             ESRCH when there is no
 *             such process or it has no memory (a kernel thread, a zombie)
 * @dev_fd:    (in) with MMDMA_EXPLAIN_DEVICE: an open DMA device node
 *             (/dev/mmdma-edu0, ...) whose bus address for the byte is
 *             wanted; EBADF for a closed fd, EINVAL for another kind of
 *             file, ENODEV for a device gone away.  Zero without the flag
 * @flags:     (in) MMDMA_EXPLAIN_* request bits
 * @valid:     (out) MMDMA_EXPLAIN_* answer bits: which fields below hold
 *             something.  It and every field after it must be zero on entry
 * @vm_start:  (out) the VMA (virtual memory area) holding @addr: first byte
 * @vm_end:    (out) one past its last byte
 * @vm_flags:  (out) its vm_flags (VM_READ 0x1, VM_WRITE 0x2, VM_SHARED 0x8,
 *             VM_IO 0x4000, VM_PFNMAP 0x400, ...: the kernel's bit values)
 * @vm_pgoff:  (out) its vm_pgoff: offset into the file, in pages (for an
 *             anonymous VMA, the start address in pages)
 * @file_ino:  (out) inode number of the mapped file, 0 for none
 * @file_name: (out) NUL-terminated path of the mapped file (its last
 *             component when the path does not fit), "" for none
 * @pgd:       (out) page-table entries walked, top to bottom: page global
 *             directory ...
 * @p4d:       (out) ... 4th-level directory (the PGD entry again where
 *             the level is folded) ...
 * @pud:       (out) ... page upper directory ...
 * @pmd:       (out) ... page middle directory ...
 * @pte:       (out) ... page table entry, each the raw entry value
 * @levels:    (out) how many of @pgd..@pte were read (0-5); the walk stops
 *             at an empty entry or at a leaf
 * @leaf:      (out) MMDMA_LEVEL_*: the level of the present entry mapping
 *             @addr, or MMDMA_LEVEL_NONE (unpopulated, or swapped out)
 * @pfn:       (out) page frame number of the 4 KiB page holding @addr
 * @phys:      (out) physical address of @addr (@pfn << 12 | offset)
 * @page_raw_flags: (out) page->flags as the running kernel lays them out
 *             (bit numbers differ between kernel versions; upper bits hold
 *             zone and node)
 * @page_flags: (out) MMDMA_PG_* bits decoded from them
 * @refcount:  (out) the folio's reference count
 * @mapcount:  (out) times the page is mapped into user page tables (for a
 *             page of a large folio on kernels without page_mapcount(), the
 *             folio's count)
 * @folio_order: (out) order of the folio holding the page (0: one page)
 * @node:      (out) NUMA node of the page
 * @zone:      (out) NUL-terminated name of its zone ("DMA", "DMA32",
 *             "Normal", "HighMem", "Movable")
 * @kernel_logical: (out) kernel logical address of @addr's byte: where the
 *             linear map shows it; MMDMA_EXPLAIN_LOGICAL, for low memory
 *             that is System RAM (not for RAM reserved at boot, which has
 *             struct pages but no linear mapping, nor for high memory)
 * @kernel_virtual: (out) the kernel virtual address the driver itself uses
 *             for the byte (the buffer's vmalloc area, contiguous block,
 *             coherent memory or memremap() of the reserved region);
 *             MMDMA_EXPLAIN_KVIRT, and MMDMA_EXPLAIN_KVIRT_VMALLOC when it
 *             lies in vmalloc space
 * @bus_addr:  (out) with MMDMA_EXPLAIN_DEVICE: the bus address the device
 *             would use for the byte.  MMDMA_EXPLAIN_BUS_HELD: the address
 *             of a mapping the driver holds (an attachment of the buffer to
 *             that device, or the DMA handle of a coherent buffer of that
 *             device).  Otherwise what the DMA layer gives: the page is
 *             mapped with dma_map_page_attrs(DMA_TO_DEVICE,
 *             DMA_ATTR_SKIP_CPU_SYNC) and unmapped at once, so this is an
 *             address the device would get, not one that stays valid (an
 *             IOMMU may hand out another next time).  Without an IOMMU a
 *             page beyond the device's DMA mask is not mapped (it would be
 *             bounced or refused): MMDMA_EXPLAIN_BUS_UNREACHABLE.  Where the
 *             DMA layer bounces every mapping (swiotlb=force) or bounced
 *             this one, the address would be a swiotlb slot's, freed at
 *             once: MMDMA_EXPLAIN_BUS_BOUNCED, and no @bus_addr.  Nothing
 *             for a PFN without a struct page
 * @buf_id:    (out) the mmdma buffer mapped at @addr (MMDMA_EXPLAIN_BUF)
 * @__pad:     reserved, zero
 * @buf_offset: (out) byte offset of @addr in that buffer
 * @reserved:  reserved, zero
 *
 * Discloses physical and kernel addresses: CAP_SYS_ADMIN only (EPERM);
 * with MMDMA_EXPLAIN_DEVICE, a bus address: CAP_SYS_RAWIO as well (EPERM),
 * as for MMDMA_BUF_DMA_ADDRS.
 * Read-only: nothing is faulted in, an unpopulated address is reported as
 * such (success, no MMDMA_EXPLAIN_PRESENT).  ENOENT when no VMA holds
 * @addr.  EINTR when a fatal signal interrupts the wait for the target's
 * mmap lock.  The answer is a snapshot: the mapping may change as soon as
 * the call returns.
 */
struct mmdma_explain {
	__u64 addr;
	__s32 pid;
	__s32 dev_fd;
	__u32 flags;
	__u32 valid;
	__u64 vm_start;
	__u64 vm_end;
	__u64 vm_flags;
	__u64 vm_pgoff;
	__u64 file_ino;
	__u8 file_name[32];
	__u64 pgd;
	__u64 p4d;
	__u64 pud;
	__u64 pmd;
	__u64 pte;
	__u32 levels;
	__u32 leaf;
	__u64 pfn;
	__u64 phys;
	__u64 page_raw_flags;
	__u32 page_flags;
	__s32 refcount;
	__s32 mapcount;
	__u32 folio_order;
	__s32 node;
	__u8 zone[12];
	__u64 kernel_logical;
	__u64 kernel_virtual;
	__u64 bus_addr;
	__u32 buf_id;
	__u32 __pad;
	__u64 buf_offset;
	__u64 reserved[2];
};

#define MMDMA_IOC_MAGIC		0xD3

/* On /dev/mmdma. */
#define MMDMA_IOC_INFO		_IOR(MMDMA_IOC_MAGIC, 0x00, struct mmdma_info)
#define MMDMA_IOC_ALLOC		_IOWR(MMDMA_IOC_MAGIC, 0x01, struct mmdma_alloc)
/* Memory management in Linux: numbers from 0x08. */
#define MMDMA_IOC_EXPLAIN	_IOWR(MMDMA_IOC_MAGIC, 0x08, struct mmdma_explain)

/* On a buffer fd. */
#define MMDMA_BUF_INFO		_IOR(MMDMA_IOC_MAGIC, 0x40, struct mmdma_buf_info)
#define MMDMA_BUF_FILL		_IOW(MMDMA_IOC_MAGIC, 0x41, struct mmdma_buf_fill)
#define MMDMA_BUF_PHYS		_IOW(MMDMA_IOC_MAGIC, 0x42, struct mmdma_buf_phys)
/* Attachments and dma-buf: numbers from 0x50, clear of other additions. */
#define MMDMA_BUF_ATTACH	_IOWR(MMDMA_IOC_MAGIC, 0x50, struct mmdma_buf_attach)
#define MMDMA_BUF_DETACH	_IOW(MMDMA_IOC_MAGIC, 0x51, struct mmdma_buf_detach)
#define MMDMA_BUF_DMA_ADDRS	_IOWR(MMDMA_IOC_MAGIC, 0x52, struct mmdma_buf_dma_addrs)
#define MMDMA_BUF_SYNC		_IOW(MMDMA_IOC_MAGIC, 0x53, struct mmdma_buf_sync)
#define MMDMA_BUF_EXPORT	_IOWR(MMDMA_IOC_MAGIC, 0x54, struct mmdma_buf_export)

/* On a DMA device node (/dev/mmdma-edu0, ...). */
#define MMDMA_DEV_INFO		_IOR(MMDMA_IOC_MAGIC, 0x80, struct mmdma_dev_info)
#define MMDMA_DEV_XFER		_IOWR(MMDMA_IOC_MAGIC, 0x81, struct mmdma_xfer)
/*
 * A node with interrupt events (mmdma-pci with an interrupt, docs/pci.md):
 * signal this eventfd at every event; -1 removes it.  One per open file,
 * which must be open for reading.
 */
#define MMDMA_DEV_IRQ_EVENTFD	_IOW(MMDMA_IOC_MAGIC, 0x82, __s32)

#endif /* _UAPI_LINUX_MMDMA_H */
