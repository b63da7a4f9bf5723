/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: internal interfaces between the driver's files.
 */
#ifndef MMDMA_H
#define MMDMA_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dma-direction.h>
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <uapi/linux/mmdma.h>

#include "compat.h"
#include "mmdma_provider.h"

#define MMDMA_NAME "mmdma"

struct mmdma_dev;
struct mmdma_host;
struct mmdma_map;

/**
 * struct mmdma_buf - a buffer of kernel memory handed to user space as an fd
 * @ref:       who holds references: the buffer's file (one, dropped at its
 *             release); anyone in the kernel working on the buffer without
 *             the file.  VMAs need none of their own: vma->vm_file pins the
 *             file, and the file pins the buffer.
 * @id:        number unique among live buffers (for logs and sysfs)
 * @kind:      enum mmdma_mem_kind
 * @method:    enum mmdma_map_method
 * @cache:     enum mmdma_cache_mode
 * @size:      bytes, a multiple of PAGE_SIZE
 * @nr_pages:  size >> PAGE_SHIFT
 * @pages:     MMDMA_MEM_PAGES and MMDMA_MEM_VMALLOC: every 4 KiB page, in
 *             order; they come in blocks of falling orders (mmdma_mem.c),
 *             each one high-order allocation until mmdma_buf_split()
 * @nr_blocks: MMDMA_MEM_PAGES and MMDMA_MEM_VMALLOC: blocks of @pages above
 *             order 0
 * @vaddr:     MMDMA_MEM_CONTIG: linear-map address of the first page;
 *             MMDMA_MEM_VMALLOC: the vmalloc area; MMDMA_MEM_COHERENT: the
 *             CPU address dma_alloc_coherent() returned (maybe a vmap());
 *             MMDMA_MEM_RESERVED: inside the driver's memremap() of the
 *             region
 * @live_maps: VMAs that map the buffer now (vm_ops open/close)
 * @mmaps:     successful mmap() calls
 * @faults:    pages supplied by the .fault handler
 * @inserted:  pages mapped at mmap() time
 * @huge_faults: 2 MiB ranges mapped by the .huge_fault handler
 * @syncs_skipped: MMDMA_BUF_SYNC calls that had nothing to do because the
 *             attachment's device needs no sync (mmdma_attach.c)
 * @node:      on mmdma_bufs, under mmdma_bufs_lock
 * @mdev:      MMDMA_MEM_COHERENT: the device whose memory it is (a
 *             reference is held)
 * @dma:       MMDMA_MEM_COHERENT: the DMA handle of the memory
 * @phys:      MMDMA_MEM_RESERVED: physical address of the first byte
 * @inode:     MMDMA_MEM_COHERENT: the buffer's own address space, so the
 *             driver can zap every user mapping when the device goes away
 * @dev_node:  MMDMA_MEM_COHERENT: on mdev->coherent_bufs while the memory
 *             exists, under mdev->coherent_lock
 * @access:    MMDMA_MEM_COHERENT: held for reading by every CPU access from
 *             the kernel (read, write, ioctls); revocation takes it for
 *             writing
 * @map_lock:  MMDMA_MEM_COHERENT: serialises mmap() against revocation
 *             (mmap() runs under the mmap lock, which read/write may take
 *             inside @access: a second lock keeps the order one-way)
 * @dead:      MMDMA_MEM_COHERENT: the device went away and the memory with
 *             it; set under @access and @map_lock (both for writing)
 * @nr_of_order: MMDMA_MEM_PAGES and MMDMA_MEM_VMALLOC: how many blocks of
 *             each order of mmdma_mem.c's list (highest first) @pages holds,
 *             in that order
 * @split:     MMDMA_MEM_PAGES and MMDMA_MEM_VMALLOC: the blocks were split
 *             into order-0 pages (mmdma_buf_split(), before the first user
 *             mapping or export); set once, under @split_lock
 * @split_lock: serialises splitting
 * @kobj:      its sysfs directory, or NULL (mmdma_sysfs.c)
 * @sysfs_state: where the directory is (enum mmdma_sysfs_state), under
 *             mmdma_sysfs.c's locks
 * @sysfs_node: on mmdma_sysfs.c's pending list while the directory is due
 * @exports_revoked: the dma-bufs exported from it were revoked and no more
 *             may be made (mmdma_dmabuf_revoke(): a named buffer deleted);
 *             set once, under mmdma_dmabuf.c's mmdma_exports_lock
 * @uses_lock: protects @uses; a spinlock, taken only around a walk of
 *             @uses (a handful of entries: the buffer's attachments and
 *             transfers in flight), never around anything that sleeps
 * @uses:      streaming mappings of the buffer's pages that exist now or are
 *             about to, struct mmdma_dma_use (mmdma_buf_use_begin())
 *
 * Everything but the counters is set before the fd exists and never changes,
 * except what revocation of a coherent buffer clears (@vaddr, @dead) and
 * @exports_revoked.
 */
/* Block orders of a page array: mmdma_mem.c's mmdma_orders[]. */
#define MMDMA_NR_ORDERS	4

struct mmdma_buf {
	struct kref ref;
	u32 id;
	u32 kind;
	u32 method;
	u32 cache;
	size_t size;
	unsigned long nr_pages;
	struct page **pages;
	unsigned long nr_blocks;
	unsigned int nr_of_order[MMDMA_NR_ORDERS];
	bool split;
	struct mutex split_lock;
	void *vaddr;
	atomic_t live_maps;
	atomic64_t mmaps;
	atomic64_t faults;
	atomic64_t inserted;
	atomic64_t huge_faults;
	atomic64_t syncs_skipped;
	struct list_head node;
	struct mmdma_dev *mdev;
	dma_addr_t dma;
	phys_addr_t phys;
	struct inode *inode;
	struct list_head dev_node;
	struct rw_semaphore access;
	struct mutex map_lock;
	bool dead;
	struct kobject *kobj;
	u8 sysfs_state;
	struct list_head sysfs_node;
	bool exports_revoked;
	spinlock_t uses_lock;
	struct list_head uses;
};

/**
 * struct mmdma_dma_use - bytes of a buffer mapped for a device, recorded so
 *                        that no second mapping of them is made for it
 * @node:  on @buf->uses while @live, under @buf->uses_lock
 * @buf:   the buffer; its owner holds the reference, not the record
 * @mdev:  the device the mapping is made for (compared, never used)
 * @owner: the request or attachment: uses of one owner never conflict
 *         (a round trip reads and writes disjoint bytes of one buffer)
 * @start: first byte, rounded down to a cacheline (L1_CACHE_BYTES)
 * @end:   byte after the last, rounded up to a cacheline
 * @dir:   the mapping's direction
 * @whole: an attachment: every byte, conflicting with any other use of the
 *         same device whatever the directions (and, as any use, with
 *         another device's overlapping use unless both are DMA_TO_DEVICE)
 * @live:  on @buf->uses
 */
struct mmdma_dma_use {
	struct list_head node;
	struct mmdma_buf *buf;
	struct mmdma_dev *mdev;
	const void *owner;
	u64 start;
	u64 end;
	enum dma_data_direction dir;
	bool whole;
	bool live;
};

/* mmdma_ioctl.c: one dispatcher for every ioctl */
#define MMDMA_IOCTL_MAX_SIZE	256

/**
 * struct mmdma_ioctl_desc - one ioctl command
 * @cmd:      the command as the current ABI defines it
 * @min_size: smallest struct accepted (the size in ABI version 1)
 * @fn:       handler; @karg holds the copied-in struct and is copied out
 *            after a non-negative return; @uarg is the caller's pointer
 * @fn_fd:    instead of @fn, for a command that installs a new fd: the
 *            handler copies @karg out itself (@out_size bytes to @uarg,
 *            mmdma_ioctl_copy_out()) before fd_install(), so a copy that
 *            fails can still undo everything; the dispatcher copies
 *            nothing out
 */
struct mmdma_ioctl_desc {
	unsigned int cmd;
	size_t min_size;
	long (*fn)(void *ctx, void *karg, void __user *uarg);
	long (*fn_fd)(void *ctx, void *karg, void __user *uarg,
		      size_t out_size);
};

#define MMDMA_IOCTL(_cmd, _fn) \
	{ .cmd = (_cmd), .min_size = _IOC_SIZE(_cmd), .fn = (_fn) }
/* A struct that grew by appending: @_v1 is its size in ABI version 1. */
#define MMDMA_IOCTL_GREW(_cmd, _v1, _fn) \
	{ .cmd = (_cmd), .min_size = (_v1), .fn = (_fn) }
#define MMDMA_IOCTL_FD(_cmd, _fn) \
	{ .cmd = (_cmd), .min_size = _IOC_SIZE(_cmd), .fn_fd = (_fn) }

int mmdma_ioctl_copy_out(void __user *uarg, const void *karg,
			 size_t out_size);

long mmdma_ioctl_dispatch(const struct mmdma_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg);

/* mmdma_mem.c: the memory behind a buffer, by kind */
int mmdma_alloc_memory(struct mmdma_buf *buf);
void mmdma_buf_split(struct mmdma_buf *buf);
void mmdma_free_memory(struct mmdma_buf *buf);
struct page *mmdma_buf_page(struct mmdma_buf *buf, unsigned long pgoff);
bool mmdma_buf_has_pages(const struct mmdma_buf *buf);
size_t mmdma_max_contig_size(void);

/* mmdma_buf.c: buffer objects and their fds */
long mmdma_buf_alloc_ioctl(void *ctx, void *karg, void __user *uarg,
			   size_t out_size);
void mmdma_buf_get(struct mmdma_buf *buf);
void mmdma_buf_put(struct mmdma_buf *buf);
void mmdma_bufs_stats(u64 *total, u32 *nr);
struct mmdma_buf *mmdma_buf_from_fd(int fd, fmode_t need);
extern struct mmdma_buf *(*mmdma_buf_file_resolver)(struct file *file);
struct mmdma_buf *mmdma_buf_from_file(struct file *file);
int mmdma_buf_host(struct mmdma_buf *buf, u64 offset, u64 len,
		   enum dma_data_direction dir, struct mmdma_host *host);
int mmdma_buf_use_begin(struct mmdma_dma_use *u, struct mmdma_dev *mdev,
			const void *owner);
void mmdma_buf_use_end(struct mmdma_dma_use *u);
struct mmdma_buf *mmdma_buf_new(const struct mmdma_alloc *req,
				struct mmdma_dev *mdev);
ssize_t mmdma_buf_rw(struct mmdma_buf *buf, loff_t *ppos, char __user *ubuf,
		     size_t len, bool to_user);
long mmdma_buf_ioctl_mode(struct mmdma_buf *buf, fmode_t mode,
			  unsigned int cmd, unsigned long arg);

/* mmdma_mmap.c: the mmap device operation */
int mmdma_buf_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma);
bool mmdma_method_valid(u32 kind, u32 method);
void mmdma_vm_open(struct vm_area_struct *vma);
void mmdma_vm_close(struct vm_area_struct *vma);
vm_flags_t mmdma_reserved_vm_flags(void);
vm_fault_t mmdma_reserved_insert(struct vm_area_struct *vma,
				 unsigned long addr, struct mmdma_buf *buf,
				 unsigned long pgoff);

/* mmdma_huge.c: MMDMA_MAP_HUGE, PMD mappings from a .huge_fault handler */
bool mmdma_huge_valid(u32 kind, u64 size);
void mmdma_huge_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma);
struct file *mmdma_huge_file(const struct file_operations *fops,
			     struct mmdma_buf *buf, int flags);

/* mmdma_cache.c: MMDMA_CACHE_* modes and the kernel's own mapping */
bool mmdma_cache_valid(u32 kind, u32 cache);
int mmdma_cache_apply(struct mmdma_buf *buf);
int mmdma_cache_restore(struct mmdma_buf *buf);
pgprot_t mmdma_cache_pgprot(const struct mmdma_buf *buf, pgprot_t prot);

/**
 * struct mmdma_host - a range of host memory a transfer reads or writes
 * @buf:      the buffer it belongs to (a reference is held)
 * @pages:    the pages covering the range; @pages[0] holds the first byte
 * @nr_pages: entries in @pages
 * @offset:   offset of the first byte in @pages[0]
 * @len:      bytes
 * @kaddr:    linear-map address of the first byte, or NULL when the range
 *            has none (page arrays, vmalloc memory, user memory)
 * @dir:      DMA_TO_DEVICE when the device reads it, DMA_FROM_DEVICE when
 *            the device writes it
 * @pinned:   @pages are the caller's user pages, pinned with FOLL_PIN: they
 *            are unpinned (and dirtied if the device wrote them) at release
 * @direct:   the range has no pages: the device reaches it at @dma, given
 *            by the buffer (coherent memory) or mapped by the request with
 *            dma_map_resource() from @phys (reserved memory)
 * @phys:     physical address of the first byte (reserved memory)
 * @dma:      bus address of the first byte, when @direct
 * @mapped:   already mapped for the device (an attachment or an imported
 *            dma-buf): the operations come from its DMA segments, from byte
 *            @map_off on, and nothing is mapped, synced or bounced; @pages
 *            may then be NULL
 * @map_off:  offset of the first byte in @mapped
 * @put_mapped: called at release to let go of what keeps @mapped alive
 * @owner:    @put_mapped's object
 * @imported: a dma-buf fd named the range (one of mmdma's own, described by
 *            its buffer's pages): like memory @mapped already, it takes
 *            only the sg method
 * @buf_off:  with @buf and pages: the range's first byte in @buf
 * @use:      with @buf and pages: the record of the request's mapping of
 *            the range, live from mmdma_req_prepare() to mmdma_req_unmap()
 *            when the method maps it (mmdma_buf_use_begin())
 * @user_uses: @pinned: pieces of the range that are user mappings of mmdma
 *            buffers (found through the VMAs when pinning), each with a
 *            reference on its buffer, recorded like @use; NULL if none
 * @nr_user_uses: entries in @user_uses
 */
struct mmdma_host {
	struct mmdma_buf *buf;
	struct page **pages;
	unsigned long nr_pages;
	size_t offset;
	size_t len;
	void *kaddr;
	enum dma_data_direction dir;
	bool pinned;
	bool direct;
	phys_addr_t phys;
	dma_addr_t dma;
	struct sg_table *mapped;
	size_t map_off;
	void (*put_mapped)(struct mmdma_host *h);
	void *owner;
	bool imported;
	u64 buf_off;
	struct mmdma_dma_use use;
	struct mmdma_dma_use *user_uses;
	unsigned int nr_user_uses;
};

/* How the CPU takes part in one operation (struct mmdma_op.copy). */
enum mmdma_copy {
	MMDMA_COPY_NONE = 0,	/* the device reaches the host memory itself */
	MMDMA_COPY_BOUNCE,	/* through the coherent bounce buffer */
	MMDMA_COPY_POOL,	/* through the request's dma_pool block */
	MMDMA_COPY_STREAM,	/* through the streaming buffer, with syncs */
};


/**
 * struct mmdma_req - a transfer: a list of operations run back to back
 * @node:     on mdev->queue while it waits, under mdev->lock
 * @mdev:     the device (a reference is held)
 * @host:     the source and destination host ranges (len 0 if unused)
 * @ops:      the operations, in order
 * @nr_ops:   entries in @ops
 * @next_op:  the first operation running, or the next to run
 * @batch:    operations handed to the engine in the running submit()
 * @maps:     DMA mappings to undo when the request ends
 * @nr_maps:  entries used in @maps
 * @max_maps: entries allocated in @maps
 * @pool_vaddr: the request's dma_pool block, or NULL
 * @pool_dma: its bus address
 * @status:   0, or the -errno the request ended with
 * @cancel:   0, or the -errno to end with after the running operation
 *            (the submitter gave up, or the device is going away)
 * @bounced:  bytes bounced because the device could not reach them
 * @submitted: ktime_get_ns() at submission
 * @nsecs:    submission to completion
 * @done:     completed when the request has ended and its mappings are gone
 * @end:      if set, called instead of completing @done (asynchronous
 *            requests), with mdev->lock held: it must only hand off
 * @priv:     the submitter's, for @end
 */
struct mmdma_req {
	struct list_head node;
	struct mmdma_dev *mdev;
	struct mmdma_host host[2];
	struct mmdma_op *ops;
	unsigned int nr_ops;
	unsigned int next_op;
	unsigned int batch;
	struct mmdma_map *maps;
	unsigned int nr_maps;
	unsigned int max_maps;
	void *pool_vaddr;
	dma_addr_t pool_dma;
	int status;
	int cancel;
	u64 bounced;
	u64 submitted;
	u64 nsecs;
	struct completion done;
	void (*end)(struct mmdma_req *req);
	void *priv;
};

/**
 * struct mmdma_dev - a DMA-capable device and its engine
 * @ref:        held by: the registration (until mmdma_dev_unregister()), each
 *              open file of the device node, each request
 * @dma:        the device the DMA API maps for (a reference is held)
 * @prov:       the provider's description; the core calls its ops only
 *              while registered, and reads nothing else of it after
 *              registration (mmdma_provider.c)
 * @ops:        @prov->ops, the engine's operations
 * @caps:       MMDMA_PROV_* bits of the provider
 * @regs:       the provider's register window (size 0: none)
 * @kind:       enum mmdma_dev_kind
 * @id:         number among devices of the same name stem
 * @stem:       the provider's name stem ("edu")
 * @ida:        the stem's node numbers (mmdma_dev.c; lives until the core
 *              unloads, so freeing @id takes no lock and may happen anywhere)
 * @name:       node name, "mmdma-<stem><id>"
 * @misc:       the device node
 * @inode:      address space of user mappings of the node, zapped when the
 *              device goes away
 * @mem_size:   bytes of device memory
 * @max_op:     bytes one operation can move
 * @max_batch:  operations one submit() takes
 * @flags:      MMDMA_DEVF_* bits, set at registration
 * @id_released: @id went back to the allocator at unregistration
 * @users:      held for reading (mmdma_dev_enter()) around every use of
 *              the device's DMA layer by a call: mapping, running and
 *              unmapping requests, attaching, allocating coherent memory.
 *              Never held across an access to user memory (copy in/out,
 *              pinning): a userfaultfd or FUSE page would stall the
 *              unregistration, which takes it for writing to wait them out
 * @lock:       protects @queue, @cur, @op_active, @dead and the engine's
 *              use of the shared bounce and streaming buffers
 * @queue:      requests waiting for the hardware
 * @cur:        the request on the hardware, or NULL
 * @op_active:  an operation of @cur is running on the hardware
 * @op_seq:     bumped at every submit(): a completion that reports an older
 *              number (a late one, after a time-out) is ignored
 * @op_deadline: jiffies when the running operation times out; a time-out
 *              handler that runs before it (one armed for an earlier
 *              operation) does nothing
 * @dead:       the device is going away: no new requests, no new mappings
 * @timeout:    fires when an operation takes longer than op_timeout_ms
 * @idle:       woken whenever @cur becomes NULL
 * @bounce:     coherent buffer, in reach of the device, for bouncing
 * @bounce_dma: its bus address
 * @stream:     long-lived streaming (noncoherent) buffer
 * @stream_dma: its bus address
 * @pool:       dma_pool for small transfers
 * @stats:      counters, reported in sysfs and MMDMA_DEV_INFO
 * @coherent_lock: protects @coherent_bufs and the coherent memory of the
 *              buffers on it (freed by the buffer or by revocation, never
 *              both)
 * @coherent_bufs: MMDMA_MEM_COHERENT buffers holding this device's memory
 * @list:       on the registered devices' list (mmdma_dev_find())
 * @irqcontrol: @prov->irqcontrol, called only inside the device
 *              (mmdma_dev_enter()), so never after unregistration
 * @ev_lock:    irq-safe (the provider reports events from its handler);
 *              protects @ev_count, @ev_gone, @ev_efds and each entry's
 *              slot and seen count; held only for O(1) work or the walk
 *              of @ev_efds, never for a walk of @ev_files
 * @ev_files_lock: protects @ev_files (taken before @ev_lock): a caller
 *              with many opens of the node makes its own lookups slow,
 *              not the interrupt path or other CPUs' interrupts
 * @ev_count:   events reported since registration (wraps at 2^32)
 * @ev_gone:    set at unregistration: readers and pollers see ENODEV and
 *              POLLHUP, events are no longer counted, eventfds are dropped
 * @ev_wait:    readers and pollers of @ev_count
 * @ev_files:   the open files of the node (struct mmdma_event_file), only
 *              with MMDMA_PROV_EVENTS: what each last read, its eventfd
 * @ev_efds:    the eventfds registered (MMDMA_DEV_IRQ_EVENTFD), at most
 *              MMDMA_EV_EVENTFDS: the interrupt handler signals a bounded
 *              array, not a list as long as the node's openers make it
 */
/* Eventfds one event node signals at most (MMDMA_DEV_IRQ_EVENTFD: EBUSY). */
#define MMDMA_EV_EVENTFDS	16

struct mmdma_dev {
	struct kref ref;
	struct device *dma;
	struct mmdma_provider *prov;
	const struct mmdma_provider_ops *ops;
	u32 caps;
	struct mmdma_region regs;
	u32 kind;
	u32 id;
	char stem[16];
	struct ida *ida;
	char name[32];
	struct miscdevice misc;
	struct inode *inode;
	size_t mem_size;
	size_t max_op;
	unsigned int max_batch;
	u32 flags;
	bool id_released;
	struct rw_semaphore users;
	struct mutex lock;
	struct list_head queue;
	struct mmdma_req *cur;
	bool op_active;
	u32 op_seq;
	unsigned long op_deadline;
	bool dead;
	struct delayed_work timeout;
	wait_queue_head_t idle;
	void *bounce;
	dma_addr_t bounce_dma;
	void *stream;
	dma_addr_t stream_dma;
	struct dma_pool *pool;
	struct {
		atomic64_t transfers;
		atomic64_t bytes;
		atomic64_t ops;
		atomic64_t bounces;
		atomic64_t bounce_bytes;
		atomic64_t errors;
		atomic64_t timeouts;
	} stats;
	struct mutex coherent_lock;
	struct list_head coherent_bufs;
	struct list_head list;
	/* mmdma_event.c: MMDMA_PROV_EVENTS */
	int (*irqcontrol)(struct mmdma_provider *p, bool on);
	spinlock_t ev_lock;
	struct mutex ev_files_lock;
	u32 ev_count;
	bool ev_gone;
	wait_queue_head_t ev_wait;
	struct list_head ev_files;
	struct eventfd_ctx *ev_efds[MMDMA_EV_EVENTFDS];
};

/* The bounce and streaming buffers: one operation's worth of data. */
#define MMDMA_STAGE_SIZE	PAGE_SIZE

/* mmdma_dev.c: DMA device registration and the device node */
struct mmdma_dev *mmdma_dev_create(struct mmdma_provider *p);
int mmdma_dev_register(struct mmdma_dev *mdev);
void mmdma_dev_unregister(struct mmdma_dev *mdev);
void mmdma_dev_put(struct mmdma_dev *mdev);
int mmdma_dev_enter(struct mmdma_dev *mdev, bool nowait);
void mmdma_dev_leave(struct mmdma_dev *mdev);
struct mmdma_dev *mmdma_dev_from_fd(int fd);
struct mmdma_dev *mmdma_dev_of_file(struct file *file);
bool mmdma_devs_present(void);
struct mmdma_dev *mmdma_dev_find(const char *name);
void mmdma_dev_exit(void);

/* mmdma_event.c: interrupt events on a node (MMDMA_PROV_EVENTS) */
void mmdma_event_init(struct mmdma_dev *mdev);
void mmdma_event_raise(struct mmdma_dev *mdev);
void mmdma_event_gone(struct mmdma_dev *mdev);
int mmdma_event_open(struct mmdma_dev *mdev, struct file *file);
void mmdma_event_release(struct mmdma_dev *mdev, struct file *file);
ssize_t mmdma_event_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t mmdma_event_write(struct kiocb *iocb, struct iov_iter *from);
__poll_t mmdma_event_poll(struct file *file, struct poll_table_struct *wait);
long mmdma_event_ioc_eventfd(void *ctx, void *karg, void __user *uarg);

/* mmdma_coherent.c: MMDMA_MEM_COHERENT, memory that dies with its device */
int mmdma_coherent_alloc(struct mmdma_buf *buf, int dev_fd);
int mmdma_coherent_alloc_dev(struct mmdma_buf *buf, struct mmdma_dev *mdev);
void mmdma_coherent_revoke_buf(struct mmdma_buf *buf);
void mmdma_coherent_free(struct mmdma_buf *buf);
int mmdma_coherent_mmap(struct mmdma_buf *buf, struct vm_area_struct *vma);
void mmdma_coherent_revoke_all(struct mmdma_dev *mdev);
int mmdma_buf_access_begin(struct mmdma_buf *buf);
void mmdma_buf_access_end(struct mmdma_buf *buf);

/* mmdma_reserved.c: MMDMA_MEM_RESERVED, RAM the kernel never uses */
int mmdma_reserved_init(void);
void mmdma_reserved_exit(void);
bool mmdma_reserved_usable(void);
int mmdma_reserved_alloc(struct mmdma_buf *buf);
void mmdma_reserved_free(struct mmdma_buf *buf);

/* mmdma_xfer.c: building requests (mapping, cutting into operations) */
int mmdma_req_prepare(struct mmdma_req *req, u32 op, u32 method,
		      u64 dev_offset);
void mmdma_req_unmap(struct mmdma_req *req);
void mmdma_req_release(struct mmdma_req *req);
void *mmdma_copy_buf(struct mmdma_dev *mdev, struct mmdma_req *req, u8 copy);
int mmdma_host_pin_user(struct mmdma_host *h, unsigned long uaddr, size_t len,
			enum dma_data_direction dir);

/* mmdma_engine.c: running requests on the hardware */
int mmdma_req_run(struct mmdma_req *req);
int mmdma_req_submit(struct mmdma_req *req);
void mmdma_dev_op_done(struct mmdma_dev *mdev, u32 seq, int err);
void mmdma_engine_shutdown(struct mmdma_dev *mdev);
void mmdma_engine_timeout(struct work_struct *work);
extern unsigned int mmdma_op_timeout_ms;

/* mmdma_fs.c: inodes whose mappings can be zapped */
int mmdma_fs_init(void);
void mmdma_fs_exit(void);
struct inode *mmdma_fs_inode(void);
struct file *mmdma_fs_file(struct inode *inode, const char *name, int flags,
			   const struct file_operations *fops);

/* mmdma_xfer.c, for attachments and imports */
/* The longest segment of a mapping, bytes (mmdma_max_mapping()). */
#define MMDMA_MAX_SEGMENT	SZ_64M
size_t mmdma_max_mapping(struct device *dev);
int mmdma_sgt_build(struct sg_table *sgt, struct page **pages,
		    unsigned long n, size_t off, size_t len, struct device *dev);

/* mmdma_attach.c: buffers mapped for a device persistently */
long mmdma_buf_ioc_attach(void *ctx, void *karg, void __user *uarg);
long mmdma_buf_ioc_detach(void *ctx, void *karg, void __user *uarg);
long mmdma_buf_ioc_dma_addrs(void *ctx, void *karg, void __user *uarg);
long mmdma_buf_ioc_sync(void *ctx, void *karg, void __user *uarg);
void mmdma_attach_buf_closed(struct mmdma_buf *buf);
int mmdma_attach_buf_dev(struct mmdma_buf *buf, struct mmdma_dev *mdev,
			 enum dma_data_direction dir);
void mmdma_attach_dev_gone(struct mmdma_dev *mdev);
void mmdma_attach_buf_dev_drop(struct mmdma_buf *buf, struct mmdma_dev *mdev);
int mmdma_attach_host(struct mmdma_dev *mdev, struct mmdma_host *h,
		      u64 offset);
int mmdma_buf_sgt(struct mmdma_buf *buf, struct device *dev,
		  struct sg_table *sgt);
bool mmdma_buf_reachable(struct mmdma_buf *buf, struct device *dev);
int mmdma_attach_show(struct mmdma_buf *buf, char *out, bool addrs);
int mmdma_attach_dma_addr(struct mmdma_buf *buf, struct mmdma_dev *mdev,
			  u64 offset, dma_addr_t *dma);

/* mmdma_dmabuf.c: dma-buf export of buffers, import into transfers */
long mmdma_buf_ioc_export(void *ctx, void *karg, void __user *uarg,
			  size_t out_size);
void mmdma_dmabuf_revoke(struct mmdma_buf *buf);
int mmdma_dmabuf_host(struct mmdma_dev *mdev, int fd, u64 offset, u64 len,
		      enum dma_data_direction dir, struct mmdma_host *h);

/* mmdma_sysfs.c: /sys/kernel/mmdma/buffers/<id>/ */
int mmdma_sysfs_init(void);
void mmdma_sysfs_exit(void);
void mmdma_sysfs_buf_add(struct mmdma_buf *buf);
void mmdma_sysfs_buf_flush(struct mmdma_buf *buf);
void mmdma_sysfs_flush_all(void);
void mmdma_sysfs_buf_del(struct mmdma_buf *buf);

/* mmdma_dio.c: read/write on a device node, direct I/O into user pages */
int mmdma_dio_init(void);
void mmdma_dio_exit(void);
ssize_t mmdma_dev_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t mmdma_dev_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* mmdma_explain.c: MMDMA_IOC_EXPLAIN, a user address down to the bus */
long mmdma_ioc_explain(void *ctx, void *karg, void __user *uarg);

/* mmdma_main.c: module-wide limits (module parameters) */
extern unsigned long mmdma_max_buf_size;
extern unsigned long mmdma_max_total;
struct device *mmdma_dev(void);

/* mmdma_param.c: ranged module parameters, declared in mmdma_provider.h */

#endif /* MMDMA_H */
