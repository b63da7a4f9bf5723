// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: buffer objects.  A buffer is kernel memory of one kind (page array,
 * contiguous, vmalloc, a device's coherent memory, the reserved region:
 * mmdma_mem.c allocates it) that user space reaches through its own file
 * descriptor: mmap() it, read()/write() it, or ask the kernel to fill it.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mmdma.h"

/* Protects mmdma_bufs, mmdma_total and mmdma_nr_bufs. */
static DEFINE_SPINLOCK(mmdma_bufs_lock);
static LIST_HEAD(mmdma_bufs);
static u64 mmdma_total;
static u32 mmdma_nr_bufs;

static DEFINE_IDA(mmdma_buf_ida);

void mmdma_bufs_stats(u64 *total, u32 *nr)
{
	spin_lock(&mmdma_bufs_lock);
	*total = mmdma_total;
	*nr = mmdma_nr_bufs;
	spin_unlock(&mmdma_bufs_lock);
}

/* Charge @buf against the module-wide cap and make it visible. */
static int mmdma_buf_account(struct mmdma_buf *buf)
{
	int ret = 0;

	spin_lock(&mmdma_bufs_lock);
	if (buf->size > mmdma_max_total - min_t(u64, mmdma_total, mmdma_max_total)) {
		ret = -ENOMEM;
	} else {
		mmdma_total += buf->size;
		mmdma_nr_bufs++;
		list_add_tail(&buf->node, &mmdma_bufs);
	}
	spin_unlock(&mmdma_bufs_lock);
	return ret;
}

static void mmdma_buf_unaccount(struct mmdma_buf *buf)
{
	spin_lock(&mmdma_bufs_lock);
	mmdma_total -= buf->size;
	mmdma_nr_bufs--;
	list_del(&buf->node);
	spin_unlock(&mmdma_bufs_lock);
}

/* The kernel's address of page @pgoff; undo with mmdma_buf_kunmap(). */
static void *mmdma_buf_kmap(struct mmdma_buf *buf, unsigned long pgoff)
{
	if (!mmdma_buf_has_pages(buf))
		return buf->vaddr + (pgoff << PAGE_SHIFT);
	return kmap_local_page(mmdma_buf_page(buf, pgoff));
}

static void mmdma_buf_kunmap(struct mmdma_buf *buf, void *kaddr)
{
	if (mmdma_buf_has_pages(buf))
		kunmap_local(kaddr);
}

static void mmdma_buf_release(struct kref *ref)
{
	struct mmdma_buf *buf = container_of(ref, struct mmdma_buf, ref);

	mmdma_sysfs_buf_del(buf);
	mmdma_buf_unaccount(buf);
	if (mmdma_cache_restore(buf))
		/* Leak rather than free pages the kernel maps uncached. */
		dev_err(mmdma_dev(), "buf %u: cannot restore write-back caching; %zu bytes leaked\n",
			buf->id, buf->size);
	else
		mmdma_free_memory(buf);
	ida_free(&mmdma_buf_ida, buf->id);
	kfree(buf);
}

void mmdma_buf_get(struct mmdma_buf *buf)
{
	kref_get(&buf->ref);
}

void mmdma_buf_put(struct mmdma_buf *buf)
{
	kref_put(&buf->ref, mmdma_buf_release);
}

/*
 * Copy between the buffer and user memory through the kernel's mapping of
 * each page, the path that never involves a user mapping of the buffer.
 */
static ssize_t mmdma_buf_copy(struct mmdma_buf *buf, loff_t *ppos,
			      char __user *ubuf, size_t len, bool to_user)
{
	loff_t pos = *ppos;
	size_t done = 0;

	if (pos < 0)
		return -EINVAL;
	if (pos >= buf->size)
		return 0;
	len = min_t(size_t, len, buf->size - pos);

	while (done < len) {
		unsigned long pgoff = (pos + done) >> PAGE_SHIFT;
		size_t in_page = offset_in_page(pos + done);
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - in_page);
		void *kaddr = mmdma_buf_kmap(buf, pgoff);
		unsigned long left;

		if (to_user)
			left = copy_to_user(ubuf + done, kaddr + in_page, chunk);
		else
			left = copy_from_user(kaddr + in_page, ubuf + done, chunk);
		mmdma_buf_kunmap(buf, kaddr);
		done += chunk - left;
		if (left)
			break;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	if (!done && len)
		return fatal_signal_pending(current) ? -EINTR : -EFAULT;
	*ppos = pos + done;
	return done;
}

/*
 * Coherent memory is revoked when its device goes, and revocation waits
 * for every access (mmdma_buf_access_begin()).  So the copy goes a page at
 * a time through a kernel page, and user memory is touched only outside
 * the access: a user page that stalls (userfaultfd, FUSE) never holds off
 * an unbind.  A buffer revoked half-way ends the copy there.
 */
static ssize_t mmdma_buf_copy_coherent(struct mmdma_buf *buf, loff_t *ppos,
				       char __user *ubuf, size_t len,
				       bool to_user)
{
	loff_t pos = *ppos;
	size_t done = 0;
	ssize_t ret = 0;
	void *bounce;

	if (pos < 0)
		return -EINVAL;
	if (pos >= buf->size)
		return 0;
	len = min_t(size_t, len, buf->size - pos);
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (done < len) {
		size_t in_page = offset_in_page(pos + done);
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - in_page);
		size_t n = chunk;
		void *kaddr;

		ret = -EFAULT;
		if (!to_user) {
			n -= copy_from_user(bounce, ubuf + done, chunk);
			if (!n)
				break;
		}
		ret = mmdma_buf_access_begin(buf);
		if (ret)
			break;
		kaddr = mmdma_buf_kmap(buf, (pos + done) >> PAGE_SHIFT);
		if (to_user)
			memcpy(bounce, kaddr + in_page, chunk);
		else
			memcpy(kaddr + in_page, bounce, n);
		mmdma_buf_kunmap(buf, kaddr);
		mmdma_buf_access_end(buf);
		if (to_user)
			n -= copy_to_user(ubuf + done, bounce, chunk);
		done += n;
		ret = -EFAULT;
		if (n < chunk)
			break;
		ret = -EINTR;
		if (fatal_signal_pending(current))
			break;
		ret = 0;
		cond_resched();
	}
	kfree(bounce);
	if (!done && len)
		return ret;
	*ppos = pos + done;
	return done;
}

/* Memory of any kind and user memory, through the kernel's mapping. */
static ssize_t mmdma_buf_copy_checked(struct mmdma_buf *buf, loff_t *ppos,
				      char __user *ubuf, size_t len,
				      bool to_user)
{
	if (buf->kind == MMDMA_MEM_COHERENT)
		return mmdma_buf_copy_coherent(buf, ppos, ubuf, len, to_user);
	return mmdma_buf_copy(buf, ppos, ubuf, len, to_user);
}

/**
 * mmdma_buf_rw() - read(2) or write(2) of a buffer at *@ppos
 * @buf:     the buffer
 * @ppos:    file position, advanced by the bytes copied
 * @ubuf:    the caller's memory
 * @len:     bytes asked for
 * @to_user: true for read
 *
 * Return: bytes copied; 0 at or past the end for a read; -ENOSPC for a
 * write at or past the end (a buffer never grows); -EFAULT, -EINTR, or
 * -ENODEV for coherent memory whose device went away.
 */
ssize_t mmdma_buf_rw(struct mmdma_buf *buf, loff_t *ppos, char __user *ubuf,
		     size_t len, bool to_user)
{
	if (!to_user && len && *ppos >= 0 && *ppos >= buf->size)
		return -ENOSPC;
	return mmdma_buf_copy_checked(buf, ppos, ubuf, len, to_user);
}

static ssize_t mmdma_buf_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	return mmdma_buf_copy_checked(file->private_data, ppos, ubuf, len, true);
}

static ssize_t mmdma_buf_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct mmdma_buf *buf = file->private_data;

	/* Unlike a regular file, a buffer never grows. */
	if (len && *ppos >= 0 && *ppos >= buf->size)
		return -ENOSPC;
	return mmdma_buf_copy_checked(buf, ppos, (char __user *)ubuf, len, false);
}

static loff_t mmdma_buf_llseek(struct file *file, loff_t off, int whence)
{
	struct mmdma_buf *buf = file->private_data;

	return fixed_size_llseek(file, off, whence, buf->size);
}

static int mmdma_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return mmdma_buf_mmap(file->private_data, vma);
}

/* Bounds check shared by every ioctl that names a byte range. */
static int mmdma_buf_range_ok(struct mmdma_buf *buf, u64 offset, u64 length)
{
	u64 end;

	if (!length || check_add_overflow(offset, length, &end) ||
	    end > buf->size) {
		dev_dbg(mmdma_dev(), "buf %u: range %llu+%llu outside %zu bytes\n",
			buf->id, offset, length, buf->size);
		return -EINVAL;
	}
	return 0;
}

static long mmdma_buf_ioc_info(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf *buf = ctx;
	struct mmdma_buf_info *info = karg;

	info->size = buf->size;
	info->kind = buf->kind;
	info->method = buf->method;
	info->cache = buf->cache;
	info->id = buf->id;
	/* Whoever has the id finds /sys/kernel/mmdma/buffers/<id>/. */
	mmdma_sysfs_buf_flush(buf);
	info->live_maps = atomic_read(&buf->live_maps);
	info->mmaps = atomic64_read(&buf->mmaps);
	info->faults = atomic64_read(&buf->faults);
	info->inserted = atomic64_read(&buf->inserted);
	info->huge_faults = atomic64_read(&buf->huge_faults);
	/* Both tell where memory lies: see mmdma_attach_locked(). */
	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_RAWIO)) {
		info->blocks = buf->nr_blocks;
		info->syncs_skipped = atomic64_read(&buf->syncs_skipped);
	}
	return 0;
}

static long mmdma_buf_ioc_fill(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf *buf = ctx;
	struct mmdma_buf_fill *fill = karg;
	u64 off, end;
	int ret;

	if (fill->flags || memchr_inv(fill->reserved, 0, sizeof(fill->reserved))) {
		dev_dbg(mmdma_dev(), "fill: unknown flags or reserved bits\n");
		return -EINVAL;
	}
	ret = mmdma_buf_range_ok(buf, fill->offset, fill->length);
	if (ret)
		return ret;

	/* The one command that touches the memory: see mmdma_buf_ioctl(). */
	ret = mmdma_buf_access_begin(buf);
	if (ret)
		return ret;
	end = fill->offset + fill->length;
	for (off = fill->offset; off < end;) {
		u64 stop = min_t(u64, end, (off | (PAGE_SIZE - 1)) + 1);
		u8 *kaddr = mmdma_buf_kmap(buf, off >> PAGE_SHIFT);

		for (; off < stop; off++)
			kaddr[offset_in_page(off)] = mmdma_pattern_byte(fill->seed, off);
		mmdma_buf_kunmap(buf, kaddr);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	mmdma_buf_access_end(buf);
	return ret;
}

static long mmdma_buf_ioc_phys(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf *buf = ctx;
	struct mmdma_buf_phys *req = karg;
	u64 __user *out = u64_to_user_ptr(req->addrs);
	unsigned long first, i;
	int ret;

	if (memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	first = req->offset >> PAGE_SHIFT;
	if (!req->count || req->count > buf->nr_pages ||
	    first > buf->nr_pages - req->count)
		return -EINVAL;
	ret = mmdma_buf_range_ok(buf, req->offset, 1);
	if (ret)
		return ret;
	/*
	 * What the device uses is the DMA handle (MMDMA_DEV_XFER reports
	 * it); the CPU side may be a vmap() of pages the driver must not
	 * assume.
	 */
	if (buf->kind == MMDMA_MEM_COHERENT) {
		dev_dbg(mmdma_dev(), "buf %u: coherent memory has no physical addresses to report\n",
			buf->id);
		return -EINVAL;
	}
	for (i = 0; i < req->count; i++) {
		u64 phys = buf->kind == MMDMA_MEM_RESERVED ?
			   buf->phys + ((first + i) << PAGE_SHIFT) :
			   page_to_phys(mmdma_buf_page(buf, first + i));

		if (put_user(phys, out + i))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/*
 * A buffer fd without FMODE_WRITE can only be a source: nothing reached
 * through it may write the memory, neither the CPU (MMDMA_BUF_FILL) nor a
 * device (an attachment the device may write, a read-write dma-buf whose
 * importers may).  Each check reads the struct the dispatcher copied in,
 * never user memory again, so the caller cannot change it after the check.
 * Buffer fds are created read-write and cannot be reopened (their inode
 * has no open method: ENXIO); a named buffer's node opened read-only
 * (mmdma_named.c) comes through this table.
 */
static long mmdma_buf_ioc_fill_ro(void *ctx, void *karg, void __user *uarg)
{
	dev_dbg(mmdma_dev(), "fill: the fd is not open for writing\n");
	return -EBADF;
}

static long mmdma_buf_ioc_attach_ro(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf_attach *req = karg;

	if (req->dir == MMDMA_DIR_FROM_DEVICE ||
	    req->dir == MMDMA_DIR_BIDIRECTIONAL) {
		dev_dbg(mmdma_dev(), "attach: direction %u writes memory the fd may only read\n",
			req->dir);
		return -EBADF;
	}
	return mmdma_buf_ioc_attach(ctx, karg, uarg);
}

/* Attachments are what a device may do with the memory: not the reader's. */
static long mmdma_buf_ioc_detach_ro(void *ctx, void *karg, void __user *uarg)
{
	dev_dbg(mmdma_dev(), "detach: the fd is not open for writing\n");
	return -EBADF;
}

static long mmdma_buf_ioc_sync_ro(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_buf_sync *req = karg;

	/* Syncing for the CPU what the device wrote copies into the memory. */
	if (req->dir == MMDMA_DIR_FROM_DEVICE ||
	    req->dir == MMDMA_DIR_BIDIRECTIONAL) {
		dev_dbg(mmdma_dev(), "sync: direction %u writes memory the fd may only read\n",
			req->dir);
		return -EBADF;
	}
	return mmdma_buf_ioc_sync(ctx, karg, uarg);
}

static long mmdma_buf_ioc_export_ro(void *ctx, void *karg, void __user *uarg,
				    size_t out_size)
{
	struct mmdma_buf_export *req = karg;

	if ((req->fd_flags & O_ACCMODE) == O_RDWR) {
		dev_dbg(mmdma_dev(), "export: a read-only fd exports read-only dma-bufs only\n");
		return -EBADF;
	}
	return mmdma_buf_ioc_export(ctx, karg, uarg, out_size);
}

static const struct mmdma_ioctl_desc mmdma_buf_ro_ioctls[] = {
	MMDMA_IOCTL(MMDMA_BUF_INFO, mmdma_buf_ioc_info),
	MMDMA_IOCTL(MMDMA_BUF_FILL, mmdma_buf_ioc_fill_ro),
	MMDMA_IOCTL(MMDMA_BUF_PHYS, mmdma_buf_ioc_phys),
	MMDMA_IOCTL(MMDMA_BUF_ATTACH, mmdma_buf_ioc_attach_ro),
	MMDMA_IOCTL(MMDMA_BUF_DETACH, mmdma_buf_ioc_detach_ro),
	MMDMA_IOCTL(MMDMA_BUF_DMA_ADDRS, mmdma_buf_ioc_dma_addrs),
	MMDMA_IOCTL(MMDMA_BUF_SYNC, mmdma_buf_ioc_sync_ro),
	MMDMA_IOCTL_FD(MMDMA_BUF_EXPORT, mmdma_buf_ioc_export_ro),
};

/*
 * A file open for writing only (a named buffer's node given to a writer
 * with mode 0200, say) may change the memory but not read it: a dma-buf can
 * always be read (mapped, or imported as a transfer's source), so such a
 * file exports none.  Buffer fds are always read-write.
 */
static long mmdma_buf_ioc_export_wo(void *ctx, void *karg, void __user *uarg,
				    size_t out_size)
{
	dev_dbg(mmdma_dev(), "export: the fd is not open for reading\n");
	return -EBADF;
}

static const struct mmdma_ioctl_desc mmdma_buf_wo_ioctls[] = {
	MMDMA_IOCTL(MMDMA_BUF_INFO, mmdma_buf_ioc_info),
	MMDMA_IOCTL(MMDMA_BUF_FILL, mmdma_buf_ioc_fill),
	MMDMA_IOCTL(MMDMA_BUF_PHYS, mmdma_buf_ioc_phys),
	MMDMA_IOCTL(MMDMA_BUF_ATTACH, mmdma_buf_ioc_attach),
	MMDMA_IOCTL(MMDMA_BUF_DETACH, mmdma_buf_ioc_detach),
	MMDMA_IOCTL(MMDMA_BUF_DMA_ADDRS, mmdma_buf_ioc_dma_addrs),
	MMDMA_IOCTL(MMDMA_BUF_SYNC, mmdma_buf_ioc_sync),
	MMDMA_IOCTL_FD(MMDMA_BUF_EXPORT, mmdma_buf_ioc_export_wo),
};

static const struct mmdma_ioctl_desc mmdma_buf_ioctls[] = {
	MMDMA_IOCTL(MMDMA_BUF_INFO, mmdma_buf_ioc_info),
	MMDMA_IOCTL(MMDMA_BUF_FILL, mmdma_buf_ioc_fill),
	MMDMA_IOCTL(MMDMA_BUF_PHYS, mmdma_buf_ioc_phys),
	MMDMA_IOCTL(MMDMA_BUF_ATTACH, mmdma_buf_ioc_attach),
	MMDMA_IOCTL(MMDMA_BUF_DETACH, mmdma_buf_ioc_detach),
	MMDMA_IOCTL(MMDMA_BUF_DMA_ADDRS, mmdma_buf_ioc_dma_addrs),
	MMDMA_IOCTL(MMDMA_BUF_SYNC, mmdma_buf_ioc_sync),
	MMDMA_IOCTL_FD(MMDMA_BUF_EXPORT, mmdma_buf_ioc_export),
};

/**
 * mmdma_buf_ioctl_mode() - a buffer ioctl, for a file opened with @mode
 * @buf:  the buffer
 * @mode: the caller's file's f_mode: without FMODE_WRITE only the commands
 *        that cannot write the memory (mmdma_buf_ro_ioctls) are allowed;
 *        without FMODE_READ no dma-buf is exported (mmdma_buf_wo_ioctls)
 * @cmd:  ioctl command
 * @arg:  its argument
 *
 * The buffer fd and a named buffer's node (mmdma_named.c) share this.
 */
long mmdma_buf_ioctl_mode(struct mmdma_buf *buf, fmode_t mode,
			  unsigned int cmd, unsigned long arg)
{
	long ret = mmdma_buf_access_begin(buf);

	/*
	 * A revoked buffer refuses every command.  But the dispatcher copies
	 * user memory, which may stall, and revocation (an unbind) waits for
	 * accesses: so it runs outside, and MMDMA_BUF_FILL, the only command
	 * that touches the memory, takes the access itself.
	 */
	if (ret)
		return ret;
	mmdma_buf_access_end(buf);
	if ((mode & (FMODE_READ | FMODE_WRITE)) == FMODE_WRITE)
		return mmdma_ioctl_dispatch(mmdma_buf_wo_ioctls,
					    ARRAY_SIZE(mmdma_buf_wo_ioctls), buf,
					    cmd, arg);
	if (mode & FMODE_WRITE)
		return mmdma_ioctl_dispatch(mmdma_buf_ioctls,
					    ARRAY_SIZE(mmdma_buf_ioctls), buf,
					    cmd, arg);
	return mmdma_ioctl_dispatch(mmdma_buf_ro_ioctls,
				    ARRAY_SIZE(mmdma_buf_ro_ioctls), buf, cmd,
				    arg);
}

static long mmdma_buf_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	return mmdma_buf_ioctl_mode(file->private_data, file->f_mode, cmd, arg);
}

static int mmdma_buf_file_release(struct inode *inode, struct file *file)
{
	/* Attachments belong to the fd; an exported dma-buf does not. */
	mmdma_attach_buf_closed(file->private_data);
	mmdma_buf_put(file->private_data);
	return 0;
}

static const struct file_operations mmdma_buf_fops = {
	.owner		= THIS_MODULE,
	.read		= mmdma_buf_read,
	.write		= mmdma_buf_write,
	.llseek		= mmdma_buf_llseek,
	.mmap		= mmdma_file_mmap,
	/* 2 MiB-aligned addresses for 2 MiB-aligned offsets (MMDMA_MAP_HUGE). */
	.get_unmapped_area = thp_get_unmapped_area,
	.unlocked_ioctl	= mmdma_buf_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= mmdma_buf_file_release,
};

/**
 * mmdma_buf_from_fd() - the buffer behind a buffer fd, with a reference
 * @fd:   file descriptor in the current process
 * @need: FMODE_READ and/or FMODE_WRITE the fd must have been opened with
 *        (FMODE_WRITE for memory a device or the CPU will write)
 *
 * Return: the buffer, or ERR_PTR(-EBADF) for a closed fd or one without
 * @need, ERR_PTR(-EINVAL) for an fd that is not an mmdma buffer.
 */
struct mmdma_buf *mmdma_buf_from_fd(int fd, fmode_t need)
{
	struct file *file = fget(fd);
	struct mmdma_buf *buf = NULL;

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &mmdma_buf_fops && !mmdma_buf_file_resolver) {
		fput(file);
		dev_dbg(mmdma_dev(), "fd %d is not an mmdma buffer\n", fd);
		return ERR_PTR(-EINVAL);
	}
	if ((file->f_mode & need) != need) {
		/* Not a buffer at all is EINVAL, whatever its mode. */
		if (file->f_op != &mmdma_buf_fops)
			buf = mmdma_buf_file_resolver(file);
		if (file->f_op == &mmdma_buf_fops || !IS_ERR_OR_NULL(buf)) {
			if (buf)
				mmdma_buf_put(buf);
			fput(file);
			dev_dbg(mmdma_dev(), "fd %d is not open for %s\n", fd,
				need & FMODE_WRITE ? "writing" : "reading");
			return ERR_PTR(-EBADF);
		}
	} else if (file->f_op == &mmdma_buf_fops) {
		buf = file->private_data;
		mmdma_buf_get(buf);
	} else {
		buf = mmdma_buf_file_resolver(file);
	}
	fput(file);
	if (!buf) {
		dev_dbg(mmdma_dev(), "fd %d is not an mmdma buffer\n", fd);
		return ERR_PTR(-EINVAL);
	}
	return buf;
}

/*
 * Files other than buffer fds that stand for a
 * buffer: a named buffer's node (mmdma_named.c sets it while loaded, so
 * this file calls nothing above it).  Returns the buffer with a reference,
 * ERR_PTR(-ENODEV) for a deleted one, NULL for a file that is no buffer.
 * Set at module init and cleared at exit only, when nothing else runs.
 */
struct mmdma_buf *(*mmdma_buf_file_resolver)(struct file *file);

/**
 * mmdma_buf_from_file() - the buffer behind @file, if it is a buffer's file
 * @file: any file (a VMA's vm_file, say)
 *
 * Return: the buffer, without a reference (it lives as long as @file), or
 * NULL for any other file.
 */
struct mmdma_buf *mmdma_buf_from_file(struct file *file)
{
	return file->f_op == &mmdma_buf_fops ? file->private_data : NULL;
}

/**
 * mmdma_buf_host() - describe bytes [@offset, @offset + @len) of @buf for DMA
 * @buf:    the buffer; @host takes its own reference
 * @offset: first byte
 * @len:    bytes, > 0
 * @dir:    DMA_TO_DEVICE or DMA_FROM_DEVICE
 * @host:   filled in; undo with mmdma_host_release()
 */
int mmdma_buf_host(struct mmdma_buf *buf, u64 offset, u64 len,
		   enum dma_data_direction dir, struct mmdma_host *host)
{
	unsigned long first, i;
	int ret;

	ret = mmdma_buf_range_ok(buf, offset, len);
	if (ret)
		return ret;

	if (!mmdma_buf_has_pages(buf)) {
		/* The device reaches it directly: see struct mmdma_host. */
		host->direct = true;
		host->phys = buf->phys + offset;
		host->dma = buf->kind == MMDMA_MEM_COHERENT ? buf->dma + offset : 0;
		host->offset = offset_in_page(offset);
		host->len = len;
		host->dir = dir;
		mmdma_buf_get(buf);
		host->buf = buf;
		return 0;
	}
	first = offset >> PAGE_SHIFT;
	host->nr_pages = ((offset + len - 1) >> PAGE_SHIFT) - first + 1;
	host->pages = kvmalloc_array(host->nr_pages, sizeof(*host->pages),
				     GFP_KERNEL);
	if (!host->pages)
		return -ENOMEM;
	for (i = 0; i < host->nr_pages; i++)
		host->pages[i] = mmdma_buf_page(buf, first + i);
	host->offset = offset_in_page(offset);
	host->buf_off = offset;
	host->len = len;
	host->dir = dir;
	host->kaddr = buf->kind == MMDMA_MEM_CONTIG ? buf->vaddr + offset : NULL;
	mmdma_buf_get(buf);
	host->buf = buf;
	return 0;
}
ALLOW_ERROR_INJECTION(mmdma_buf_host, ERRNO);

/*
 * Do @a and @b map bytes the DMA API forbids mapping twice?  For one device
 * an attachment conflicts with every other use, whatever the directions.
 * Across devices too, only the directions save a pair: DMA-API debug keeps
 * one tree of the cachelines mapped for any device (a second mapping that
 * starts in a tracked cacheline is "overlapping mappings aren't
 * supported", whichever device it is for), and where the CPU's caches are
 * not coherent one device's unmap or sync for the CPU discards what the
 * other device wrote.
 */
static bool mmdma_uses_conflict(const struct mmdma_dma_use *a,
				const struct mmdma_dma_use *b)
{
	if (a->owner == b->owner)
		return false;
	if (a->mdev == b->mdev && (a->whole || b->whole))
		return true;
	/*
	 * Two mappings devices only read may share memory: DMA-API debug
	 * does not track DMA_TO_DEVICE mappings, and neither mapping's unmap
	 * or sync copies anything back.  Any other pair sharing a cacheline
	 * is reported by DMA-API debug, and under swiotlb the two bounce
	 * slots would copy stale bytes over each other.
	 */
	if (a->dir == DMA_TO_DEVICE && b->dir == DMA_TO_DEVICE)
		return false;
	return a->start < b->end && b->start < a->end;
}

/**
 * mmdma_buf_use_begin() - record a streaming mapping of a buffer's bytes,
 *                         unless one already recorded forbids it
 * @u:     @u->buf, @u->start, @u->end (byte offsets), @u->dir and @u->whole
 *         filled in; @u->start and @u->end are widened to cachelines here
 * @mdev:  the device the mapping is for
 * @owner: the request or attachment making it
 *
 * The check and the record are one step under the buffer's @uses_lock, so
 * two callers can never both pass it.  Call before mapping; undo with
 * mmdma_buf_use_end() after unmapping (or instead of mapping).
 *
 * Return: 0, or -EBUSY when the buffer has an attachment to @mdev (or @u is
 * one, and the buffer is in flight for @mdev), or another owner's mapping
 * for any device shares a cacheline with @u and not both only go to the
 * device (an attachment covers the whole buffer).
 */
int mmdma_buf_use_begin(struct mmdma_dma_use *u, struct mmdma_dev *mdev,
			const void *owner)
{
	struct mmdma_buf *buf = u->buf;
	struct mmdma_dma_use *o;
	int ret = 0;

	u->mdev = mdev;
	u->owner = owner;
	u->start = round_down(u->start, L1_CACHE_BYTES);
	u->end = round_up(u->end, L1_CACHE_BYTES);
	spin_lock(&buf->uses_lock);
	list_for_each_entry(o, &buf->uses, node) {
		if (mmdma_uses_conflict(o, u)) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret) {
		list_add_tail(&u->node, &buf->uses);
		u->live = true;
	}
	spin_unlock(&buf->uses_lock);
	return ret;
}

/**
 * mmdma_buf_use_end() - the mapping recorded by mmdma_buf_use_begin() is gone
 * @u: the record; nothing happens if it is not live
 */
void mmdma_buf_use_end(struct mmdma_dma_use *u)
{
	if (!u->live)
		return;
	spin_lock(&u->buf->uses_lock);
	list_del(&u->node);
	spin_unlock(&u->buf->uses_lock);
	u->live = false;
}

static int mmdma_alloc_check(const struct mmdma_alloc *req)
{
	struct device *dev = mmdma_dev();

	if (req->flags & ~MMDMA_ALLOC_VALID_FLAGS) {
		dev_dbg(dev, "alloc: unknown flags %#x\n", req->flags);
		return -EINVAL;
	}
	if (req->fd || (req->device && !(req->flags & MMDMA_ALLOC_DEVICE)) ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved))) {
		dev_dbg(dev, "alloc: fd, device or reserved field not zero\n");
		return -EINVAL;
	}
	if (req->kind < MMDMA_MEM_PAGES || req->kind > MMDMA_MEM_RESERVED) {
		dev_dbg(dev, "alloc: unknown memory kind %u\n", req->kind);
		return -EINVAL;
	}
	/* Only coherent memory belongs to a device, and it always does. */
	if (!!(req->flags & MMDMA_ALLOC_DEVICE) != (req->kind == MMDMA_MEM_COHERENT)) {
		dev_dbg(dev, "alloc: MMDMA_ALLOC_DEVICE is for (and needed by) coherent memory\n");
		return -EINVAL;
	}
	if (!mmdma_method_valid(req->kind, req->method)) {
		dev_dbg(dev, "alloc: method %u cannot map memory kind %u\n",
			req->method, req->kind);
		return -EINVAL;
	}
	if (!mmdma_cache_valid(req->kind, req->cache)) {
		dev_dbg(dev, "alloc: cache mode %u unknown or impossible for memory kind %u\n",
			req->cache, req->kind);
		return -EINVAL;
	}
	if (req->method == MMDMA_MAP_HUGE && !mmdma_huge_valid(req->kind, req->size)) {
		dev_dbg(dev, "alloc: huge mapping needs contiguous memory, a multiple of 2 MiB: %llu bytes\n",
			req->size);
		return -EINVAL;
	}
	if (!req->size) {
		dev_dbg(dev, "alloc: zero size\n");
		return -EINVAL;
	}
	if (req->size > mmdma_max_buf_size) {
		dev_dbg(dev, "alloc: %llu bytes over max_buf_size %lu\n",
			req->size, mmdma_max_buf_size);
		return -E2BIG;
	}
	/* Without an IOMMU, coherent memory is one run of pages as well. */
	if ((req->kind == MMDMA_MEM_CONTIG || req->kind == MMDMA_MEM_COHERENT) &&
	    req->size > mmdma_max_contig_size()) {
		dev_dbg(dev, "alloc: %llu contiguous bytes over the %zu the page allocator gives\n",
			req->size, mmdma_max_contig_size());
		return -E2BIG;
	}
	/*
	 * More than the machine has can never succeed, whatever the caps say;
	 * failing here also keeps PAGE_ALIGN() below from wrapping.
	 */
	if (req->size > (u64)totalram_pages() << PAGE_SHIFT) {
		dev_dbg(dev, "alloc: %llu bytes is more than all RAM\n", req->size);
		return -ENOMEM;
	}
	return 0;
}

static struct mmdma_buf *mmdma_buf_create(const struct mmdma_alloc *req,
					  struct mmdma_dev *mdev)
{
	struct mmdma_buf *buf;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	kref_init(&buf->ref);
	spin_lock_init(&buf->uses_lock);
	INIT_LIST_HEAD(&buf->uses);
	buf->kind = req->kind;
	buf->method = req->method;
	buf->cache = req->cache ? req->cache : MMDMA_CACHE_CACHED;
	buf->size = PAGE_ALIGN(req->size);
	buf->nr_pages = buf->size >> PAGE_SHIFT;

	ret = ida_alloc(&mmdma_buf_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_free_buf;
	buf->id = ret;

	ret = mmdma_buf_account(buf);
	if (ret) {
		dev_dbg(mmdma_dev(), "alloc: %zu bytes would pass max_total %lu\n",
			buf->size, mmdma_max_total);
		goto err_free_id;
	}

	if (buf->kind == MMDMA_MEM_COHERENT && mdev)
		ret = mmdma_coherent_alloc_dev(buf, mdev);
	else if (buf->kind == MMDMA_MEM_COHERENT)
		ret = mmdma_coherent_alloc(buf, (int)req->device);
	else
		ret = mmdma_alloc_memory(buf);
	if (ret)
		goto err_unaccount;

	ret = mmdma_cache_apply(buf);
	if (ret) {
		dev_dbg(mmdma_dev(), "alloc: cannot set cache mode %u: %d\n",
			buf->cache, ret);
		goto err_free_memory;
	}
	/* From here on mmdma_buf_release() undoes everything. */
	mmdma_sysfs_buf_add(buf);
	return buf;

err_free_memory:
	mmdma_free_memory(buf);
err_unaccount:
	mmdma_buf_unaccount(buf);
err_free_id:
	ida_free(&mmdma_buf_ida, buf->id);
err_free_buf:
	kfree(buf);
	return ERR_PTR(ret);
}

/**
 * mmdma_buf_new() - a buffer without an fd, for a named buffer
 * @req:  kind, method, cache and size, checked as MMDMA_IOC_ALLOC checks
 *        them (fd and device must be 0)
 * @mdev: for MMDMA_MEM_COHERENT (with MMDMA_ALLOC_DEVICE in @req->flags),
 *        the device whose memory it is; NULL otherwise
 *
 * Return: the buffer with one reference (drop with mmdma_buf_put()), or the
 * ERR_PTR of MMDMA_IOC_ALLOC's errno for the same request.
 */
struct mmdma_buf *mmdma_buf_new(const struct mmdma_alloc *req,
				struct mmdma_dev *mdev)
{
	int ret = mmdma_alloc_check(req);

	if (ret)
		return ERR_PTR(ret);
	if (req->kind == MMDMA_MEM_COHERENT && !mdev)
		return ERR_PTR(-EINVAL);
	return mmdma_buf_create(req, mdev);
}

/**
 * mmdma_buf_alloc_ioctl() - MMDMA_IOC_ALLOC: allocate a buffer, return its fd
 * @ctx:      unused
 * @karg:     struct mmdma_alloc, copied in
 * @uarg:     the caller's struct, written whole before the fd is installed
 * @out_size: bytes of it to write
 *
 * The whole struct reaches user space before fd_install(), so a failing
 * copy (any byte of it not writable: EFAULT) can still undo everything:
 * no fd, no buffer, nothing charged against max_total.
 */
long mmdma_buf_alloc_ioctl(void *ctx, void *karg, void __user *uarg,
			   size_t out_size)
{
	struct mmdma_alloc *req = karg;
	unsigned int fd_flags;
	struct mmdma_buf *buf;
	struct file *file;
	int fd, ret;

	ret = mmdma_alloc_check(req);
	if (ret)
		return ret;

	buf = mmdma_buf_create(req, NULL);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	fd_flags = (req->flags & MMDMA_ALLOC_CLOEXEC) ? O_CLOEXEC : 0;
	fd = get_unused_fd_flags(fd_flags);
	if (fd < 0) {
		ret = fd;
		goto err_put_buf;
	}

	if (buf->method == MMDMA_MAP_HUGE)
		file = mmdma_huge_file(&mmdma_buf_fops, buf, O_RDWR | fd_flags);
	else
		file = anon_inode_getfile("mmdma-buf", &mmdma_buf_fops, buf,
					  O_RDWR | fd_flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	/* The file now owns the buffer's first reference. */
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	/* Mappings land where revocation can zap them: mmdma_coherent.c. */
	if (buf->inode)
		file->f_mapping = buf->inode->i_mapping;

	req->fd = fd;
	ret = mmdma_ioctl_copy_out(uarg, req, out_size);
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_buf:
	mmdma_buf_put(buf);
	return ret;
}

/* Unit tests of the static helpers above (KUnit kernels only). */
#if IS_ENABLED(CONFIG_KUNIT)
#include "kunit/mmdma_buf_kunit.c"
#endif
