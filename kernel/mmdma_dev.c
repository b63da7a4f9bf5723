// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: DMA devices.  Each engine a provider module registers
 * (mmdma_provider.c) becomes a struct mmdma_dev and gets a device node,
 * /dev/mmdma-<stem><id>,
 * whose ioctls run transfers and report statistics, also kept in sysfs.
 *
 * Object lifetime is separate from hardware lifetime, as in uio: when the
 * hardware goes (unbind, module unload) the device is marked dead under its
 * lock, waiting requests fail, user mappings of its registers are zapped,
 * and every later call on a still-open node gets ENODEV.  The struct lives
 * until the last open file and the last request let go of it.
 */
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "mmdma.h"
#include "mmdma_named.h"

/*
 * Node numbers, per name stem: /dev/mmdma-<stem><id>.  A stem's entry
 * stays until the core unloads (a provider that comes back reuses it).
 */
struct mmdma_stem {
	struct list_head node;
	char name[16];
	struct ida ida;
};
static LIST_HEAD(mmdma_stems);
static DEFINE_MUTEX(mmdma_stems_lock);

static struct ida *mmdma_stem_ida(const char *name)
{
	struct mmdma_stem *st;

	mutex_lock(&mmdma_stems_lock);
	list_for_each_entry(st, &mmdma_stems, node) {
		if (!strcmp(st->name, name))
			goto out;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (st) {
		strscpy(st->name, name, sizeof(st->name));
		ida_init(&st->ida);
		list_add(&st->node, &mmdma_stems);
	}
out:
	mutex_unlock(&mmdma_stems_lock);
	return st ? &st->ida : NULL;
}

/* Module exit: no provider is left (each holds a reference on the core). */
void mmdma_dev_exit(void)
{
	struct mmdma_stem *st, *tmp;

	list_for_each_entry_safe(st, tmp, &mmdma_stems, node) {
		list_del(&st->node);
		ida_destroy(&st->ida);
		kfree(st);
	}
}

/* Registered devices: coherent memory needs one (MMDMA_FEAT_MEM_COHERENT). */
static atomic_t mmdma_nr_devs = ATOMIC_INIT(0);

bool mmdma_devs_present(void)
{
	return atomic_read(&mmdma_nr_devs) > 0;
}

/* Registered devices by name, for named buffers; protected by its mutex. */
static LIST_HEAD(mmdma_devs);
static DEFINE_MUTEX(mmdma_devs_lock);

/**
 * mmdma_dev_find() - a registered device by node name ("mmdma-edu0")
 * @name: the name
 *
 * Return: the device with a reference (mmdma_dev_put()), or NULL.
 */
struct mmdma_dev *mmdma_dev_find(const char *name)
{
	struct mmdma_dev *mdev, *found = NULL;

	mutex_lock(&mmdma_devs_lock);
	list_for_each_entry(mdev, &mmdma_devs, list) {
		if (!strcmp(mdev->name, name)) {
			kref_get(&mdev->ref);
			found = mdev;
			break;
		}
	}
	mutex_unlock(&mmdma_devs_lock);
	return found;
}

static void mmdma_dev_release(struct kref *ref)
{
	struct mmdma_dev *mdev = container_of(ref, struct mmdma_dev, ref);

	if (mdev->inode)
		iput(mdev->inode);
	if (!mdev->id_released)
		ida_free(mdev->ida, mdev->id);
	put_device(mdev->dma);
	kfree(mdev);
}

void mmdma_dev_put(struct mmdma_dev *mdev)
{
	kref_put(&mdev->ref, mmdma_dev_release);
}

/**
 * mmdma_dev_enter() - start using the device's DMA layer
 * @mdev:   the device
 * @nowait: fail with -EAGAIN rather than wait for the lock
 *
 * Takes mdev->users for reading: unregistration waits for the caller to
 * mmdma_dev_leave() before it frees the pool, the staging buffers and
 * the device.  Everything the caller maps while inside is released before
 * it leaves.  Never enter around an access to user memory (copy_*_user(),
 * pinning): a page that stalls (userfaultfd, FUSE) would stall the unbind.
 *
 * Return: 0, -EAGAIN (@nowait and contended), -EINTR (fatal signal) or
 * -ENODEV (the device is going away).
 */
int mmdma_dev_enter(struct mmdma_dev *mdev, bool nowait)
{
	if (nowait) {
		if (!down_read_trylock(&mdev->users))
			return -EAGAIN;
	} else if (down_read_killable(&mdev->users)) {
		return -EINTR;
	}
	if (READ_ONCE(mdev->dead)) {
		up_read(&mdev->users);
		return -ENODEV;
	}
	return 0;
}

/* Stop using the device's DMA layer: everything mapped inside is released. */
void mmdma_dev_leave(struct mmdma_dev *mdev)
{
	up_read(&mdev->users);
}

static struct mmdma_dev *mmdma_dev_from_sysfs(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct mmdma_dev, misc);
}

#define MMDMA_STAT_ATTR(_name)						\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *out)	\
{									\
	struct mmdma_dev *mdev = mmdma_dev_from_sysfs(dev);		\
									\
	return sysfs_emit(out, "%lld\n",				\
			  atomic64_read(&mdev->stats._name));		\
}									\
static DEVICE_ATTR_RO(_name)

MMDMA_STAT_ATTR(transfers);
MMDMA_STAT_ATTR(bytes);
MMDMA_STAT_ATTR(ops);
MMDMA_STAT_ATTR(bounces);
MMDMA_STAT_ATTR(bounce_bytes);
MMDMA_STAT_ATTR(errors);
MMDMA_STAT_ATTR(timeouts);

static ssize_t dma_mask_show(struct device *dev, struct device_attribute *attr,
			     char *out)
{
	struct mmdma_dev *mdev = mmdma_dev_from_sysfs(dev);

	return sysfs_emit(out, "%#llx\n", dma_get_mask(mdev->dma));
}
static DEVICE_ATTR_RO(dma_mask);

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *out)
{
	struct mmdma_dev *mdev = mmdma_dev_from_sysfs(dev);

	return sysfs_emit(out, "%s%s%s%s%s\n",
			  mdev->flags & MMDMA_DEVF_IOMMU ? "iommu " : "",
			  mdev->flags & MMDMA_DEVF_SWIOTLB ? "swiotlb " : "",
			  mdev->flags & MMDMA_DEVF_MSI ? "msi " : "",
			  mdev->flags & MMDMA_DEVF_INTX ? "intx " : "",
			  mdev->flags & MMDMA_DEVF_LIMITED ? "limited" : "");
}
static DEVICE_ATTR_RO(flags);

static ssize_t busy_show(struct device *dev, struct device_attribute *attr,
			 char *out)
{
	struct mmdma_dev *mdev = mmdma_dev_from_sysfs(dev);

	return sysfs_emit(out, "%d\n", READ_ONCE(mdev->cur) != NULL);
}
static DEVICE_ATTR_RO(busy);

static struct attribute *mmdma_dev_attrs[] = {
	&dev_attr_transfers.attr,
	&dev_attr_bytes.attr,
	&dev_attr_ops.attr,
	&dev_attr_bounces.attr,
	&dev_attr_bounce_bytes.attr,
	&dev_attr_errors.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_dma_mask.attr,
	&dev_attr_flags.attr,
	&dev_attr_busy.attr,
	NULL
};
ATTRIBUTE_GROUPS(mmdma_dev);

static long mmdma_dev_ioc_info(void *ctx, void *karg, void __user *uarg)
{
	struct file *file = ctx;
	struct mmdma_dev *mdev = file->private_data;
	struct mmdma_dev_info *info = karg;

	info->id = mdev->id;
	info->kind = mdev->kind;
	strscpy(info->name, mdev->name, sizeof(info->name));
	info->mem_size = mdev->mem_size;
	info->max_op = mdev->max_op;
	info->dma_mask = dma_get_mask(mdev->dma);
	info->flags = mdev->flags;
	info->transfers = atomic64_read(&mdev->stats.transfers);
	info->bytes = atomic64_read(&mdev->stats.bytes);
	info->ops = atomic64_read(&mdev->stats.ops);
	info->bounces = atomic64_read(&mdev->stats.bounces);
	info->bounce_bytes = atomic64_read(&mdev->stats.bounce_bytes);
	info->errors = atomic64_read(&mdev->stats.errors);
	info->timeouts = atomic64_read(&mdev->stats.timeouts);
	return 0;
}

static int mmdma_xfer_check(struct mmdma_dev *mdev, const struct mmdma_xfer *x)
{
	if (x->op < MMDMA_XFER_TO_DEV || x->op > MMDMA_XFER_ROUNDTRIP ||
	    x->dma > MMDMA_DMA_STREAM) {
		dev_dbg(mdev->dma, "xfer: unknown op %u or dma method %u\n",
			x->op, x->dma);
		return -EINVAL;
	}
	if ((x->flags & ~MMDMA_XFER_VALID_FLAGS) || x->__pad ||
	    memchr_inv(x->reserved, 0, sizeof(x->reserved))) {
		dev_dbg(mdev->dma, "xfer: unknown flags or reserved bits\n");
		return -EINVAL;
	}
	if (!x->length) {
		dev_dbg(mdev->dma, "xfer: zero length\n");
		return -EINVAL;
	}
	if ((x->flags & MMDMA_XFER_ATTACHED) &&
	    x->dma != MMDMA_DMA_AUTO && x->dma != MMDMA_DMA_SG) {
		dev_dbg(mdev->dma, "xfer: attached buffers take no dma method %u\n",
			x->dma);
		return -EINVAL;
	}
	return 0;
}

/*
 * Memory without pages reaches only some devices: coherent memory only the
 * device it belongs to (another device would need its own mapping of pages
 * the driver cannot assume exist); the reserved region only a device that
 * really does DMA (an engine with MMDMA_PROV_CPU_COPY, the software one,
 * copies through the kernel's linear map, which does not cover the region).
 */
static int mmdma_xfer_kind_ok(struct mmdma_dev *mdev, struct mmdma_buf *buf)
{
	if (buf->kind == MMDMA_MEM_COHERENT && buf->mdev != mdev) {
		dev_dbg(mdev->dma, "xfer: buf %u is coherent memory of %s, not of this device\n",
			buf->id, buf->mdev->name);
		return -EINVAL;
	}
	if (buf->kind == MMDMA_MEM_RESERVED && (mdev->caps & MMDMA_PROV_CPU_COPY)) {
		dev_dbg(mdev->dma, "xfer: %s copies through the linear map, which does not cover reserved memory\n",
			mdev->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Describe buffer @fd's range @offset+@len as host range @h of @req: an
 * mmdma buffer (through its attachment to this device with
 * MMDMA_XFER_ATTACHED), or else a dma-buf the device imports.
 */
static int mmdma_xfer_host(struct mmdma_req *req, int h, int fd, u64 offset,
			   u64 len, enum dma_data_direction dir, u32 flags)
{
	/* A read-only fd can only be a source (docs/security.md). */
	fmode_t need = dir == DMA_FROM_DEVICE ? FMODE_WRITE : FMODE_READ;
	struct mmdma_buf *buf = mmdma_buf_from_fd(fd, need);
	int ret;

	if (IS_ERR(buf)) {
		if (PTR_ERR(buf) != -EINVAL || (flags & MMDMA_XFER_ATTACHED))
			return PTR_ERR(buf);
		return mmdma_dmabuf_host(req->mdev, fd, offset, len, dir,
					 &req->host[h]);
	}
	ret = mmdma_xfer_kind_ok(req->mdev, buf);
	if (!ret)
		ret = mmdma_buf_host(buf, offset, len, dir, &req->host[h]);
	mmdma_buf_put(buf);
	if (!ret && (flags & MMDMA_XFER_ATTACHED))
		ret = mmdma_attach_host(req->mdev, &req->host[h], offset);
	return ret;
}

/* A round trip inside one buffer must not read what it has written. */
static bool mmdma_xfer_overlaps(const struct mmdma_req *req,
				const struct mmdma_xfer *x)
{
	return req->host[0].buf && req->host[0].buf == req->host[1].buf &&
	       x->src_offset < x->dst_offset + x->length &&
	       x->dst_offset < x->src_offset + x->length;
}

/*
 * Has the caller @cap (CAP_SYS_RAWIO, CAP_SYS_ADMIN), to be told an
 * address?  Its own capability, in the initial namespace, asked without an
 * audit record: the transfer succeeds either way, so a caller without it
 * is no denial worth logging on every transfer.
 */
static bool mmdma_may_know(int cap)
{
	return ns_capable_noaudit(&init_user_ns, cap);
}

/*
 * The addresses a transfer reports, each only to a caller with the
 * capability that guards it everywhere else (docs/security.md): without
 * an IOMMU a bus address is a physical address, and either lets a process
 * that can program a device aim DMA at any memory.  The capability is
 * asked only when there is something to disclose.
 */
static void mmdma_xfer_disclose(struct mmdma_req *req, int primary,
				struct mmdma_xfer *x)
{
	struct mmdma_host *h = &req->host[primary];
	unsigned int i;

	/*
	 * How many operations a range took tells which of its pages are
	 * physically adjacent, and whether it bounced tells which lie above
	 * the device's mask: what /proc/self/pagemap hides from a caller
	 * without privilege.  Both go with the bus address.
	 */
	if (mmdma_may_know(CAP_SYS_RAWIO)) {
		x->ops = req->next_op;
		x->bounced = req->bounced;
		for (i = 0; i < req->nr_ops; i++) {
			if (req->ops[i].host == primary && !req->ops[i].host_off) {
				x->bus_addr = req->ops[i].bus;
				break;
			}
		}
	}
	/*
	 * Coherent memory has no physical address the driver may assume:
	 * "not written" (0), as for memory without pages of any other kind,
	 * and as for any dma-buf, whatever its exporter.
	 */
	if (h->pages && !h->imported && mmdma_may_know(CAP_SYS_ADMIN))
		x->phys_addr = page_to_phys(h->pages[0]) + h->offset;
	else if (h->direct && h->buf->kind == MMDMA_MEM_RESERVED &&
		 mmdma_may_know(CAP_SYS_ADMIN))
		x->phys_addr = h->phys;
}

/*
 * The node's own access mode, as read(2) and write(2) check it: a transfer
 * to the device writes device memory (FMODE_WRITE), one from it reads
 * device memory (FMODE_READ), a round trip does both.
 */
static int mmdma_xfer_node_mode(struct file *file, const struct mmdma_xfer *x)
{
	fmode_t need = 0;

	if (x->op != MMDMA_XFER_FROM_DEV)
		need |= FMODE_WRITE;
	if (x->op != MMDMA_XFER_TO_DEV)
		need |= FMODE_READ;
	if ((file->f_mode & need) != need) {
		dev_dbg(((struct mmdma_dev *)file->private_data)->dma,
			"xfer: the device node fd is not open for %s\n",
			need & ~file->f_mode & FMODE_WRITE ? "writing" : "reading");
		return -EBADF;
	}
	return 0;
}

static long mmdma_dev_do_xfer(struct mmdma_dev *mdev, void *karg)
{
	struct mmdma_xfer *x = karg;
	int primary = x->op == MMDMA_XFER_FROM_DEV;
	struct mmdma_req *req;
	int ret;

	/* Outputs: whatever the caller left there never comes back. */
	x->ops = 0;
	x->bounced = 0;
	x->bus_addr = 0;
	x->phys_addr = 0;
	x->nsecs = 0;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	kref_get(&mdev->ref);
	req->mdev = mdev;

	if (x->op != MMDMA_XFER_FROM_DEV) {
		ret = mmdma_xfer_host(req, 0, x->src_fd, x->src_offset,
				      x->length, DMA_TO_DEVICE, x->flags);
		if (ret)
			goto out;
	}
	if (x->op != MMDMA_XFER_TO_DEV) {
		ret = mmdma_xfer_host(req, 1, x->dst_fd, x->dst_offset,
				      x->length, DMA_FROM_DEVICE, x->flags);
		if (ret)
			goto out;
	}
	if (x->op == MMDMA_XFER_ROUNDTRIP && mmdma_xfer_overlaps(req, x)) {
		dev_dbg(mdev->dma, "xfer: round trip ranges overlap\n");
		ret = -EINVAL;
		goto out;
	}
	ret = mmdma_req_prepare(req, x->op, x->dma, x->dev_offset);
	if (ret)
		goto out;
	ret = mmdma_req_run(req);

	x->nsecs = req->nsecs;
	mmdma_xfer_disclose(req, primary, x);
out:
	mmdma_req_release(req);
	mmdma_dev_put(mdev);
	kfree(req);
	return ret;
}

/*
 * MMDMA_DEV_XFER.  Inside the device (mmdma_dev_enter()) from the first
 * mapping to the last release, so every mapping, pool block and dma-buf
 * attachment of the transfer is gone before an unbind frees the device's
 * DMA layer.  The dispatcher copies the struct in and out outside.
 */
static long mmdma_dev_ioc_xfer(void *ctx, void *karg, void __user *uarg)
{
	struct file *file = ctx;
	struct mmdma_dev *mdev = file->private_data;
	long ret;

	/* A device user space drives itself has no engine to transfer with. */
	if (!mdev->ops)
		return -EOPNOTSUPP;
	ret = mmdma_xfer_check(mdev, karg);
	if (!ret)
		ret = mmdma_xfer_node_mode(file, karg);
	if (ret)
		return ret;
	ret = mmdma_dev_enter(mdev, false);
	if (ret)
		return ret;
	ret = mmdma_dev_do_xfer(mdev, karg);
	mmdma_dev_leave(mdev);
	return ret;
}

static const struct mmdma_ioctl_desc mmdma_dev_ioctls[] = {
	MMDMA_IOCTL(MMDMA_DEV_INFO, mmdma_dev_ioc_info),
	MMDMA_IOCTL(MMDMA_DEV_XFER, mmdma_dev_ioc_xfer),
	MMDMA_IOCTL(MMDMA_DEV_IRQ_EVENTFD, mmdma_event_ioc_eventfd),
};

static long mmdma_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct mmdma_dev *mdev = file->private_data;

	/*
	 * Not inside the device here: the dispatcher copies the struct in
	 * and out, and user memory may stall.  Handlers that use the DMA
	 * layer enter it themselves and check again.
	 */
	if (READ_ONCE(mdev->dead))
		return -ENODEV;
	return mmdma_ioctl_dispatch(mmdma_dev_ioctls,
				    ARRAY_SIZE(mmdma_dev_ioctls), file, cmd,
				    arg);
}

/*
 * The provider's register window reaches user space a page per fault, not
 * at mmap() time.  A page is put in only under mdev->lock with the device
 * alive, and a fault only happens in a VMA that is already on the node's
 * mapping list, so an unregistration (dead set under the lock, then the
 * list zapped) finds every page.  A mapping filled in ->mmap
 * (vm_iomap_memory()) joins that list only after ->mmap returns: an
 * unregistration in between would miss it and leave a live mapping of
 * registers the provider has let go of.  The vm_ops are the core's, so a
 * mapping never points into a provider module that has gone.
 */
static vm_fault_t mmdma_regs_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmdma_dev *mdev = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&mdev->lock);
	if (!mdev->dead)
		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(mdev->regs.start) + vmf->pgoff);
	mutex_unlock(&mdev->lock);
	return ret;
}

/*
 * ptrace (gdb): through the provider's own mapping of the registers, also
 * for pages not faulted in yet; writes only through a writable mapping;
 * -EIO once the device is gone.
 */
static int mmdma_regs_access(struct vm_area_struct *vma, unsigned long addr,
			     void *buf, int len, int write)
{
	struct mmdma_dev *mdev = vma->vm_private_data;
	unsigned long off = addr - vma->vm_start +
			    (vma->vm_pgoff << PAGE_SHIFT);
	int ret = -EIO;

	/* As generic_access_phys(): a read-only mapping stays read-only. */
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EINVAL;
	len = min_t(unsigned long, len, vma->vm_end - addr);
	mutex_lock(&mdev->lock);
	if (!mdev->dead && off < mdev->regs.size) {
		len = min_t(resource_size_t, len, mdev->regs.size - off);
		if (write)
			memcpy_toio(mdev->regs.virt + off, buf, len);
		else
			memcpy_fromio(buf, mdev->regs.virt + off, len);
		ret = len;
	}
	mutex_unlock(&mdev->lock);
	return ret;
}

static const struct vm_operations_struct mmdma_regs_vm_ops = {
	.fault	= mmdma_regs_fault,
	.access	= mmdma_regs_access,
};

/*
 * "Remapping specific I/O regions": the provider's register window mapped
 * uncached into user space, at fault time (see mmdma_regs_fault() for why
 * not all at once).  Whoever can write a DMA engine's registers can read
 * and write all of RAM, hence CAP_SYS_RAWIO.  Called with mdev->lock held,
 * the device alive.
 */
static int mmdma_regs_mmap(struct mmdma_dev *mdev, struct vm_area_struct *vma)
{
	unsigned long pages = mdev->regs.size >> PAGE_SHIFT;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	/* VM_MAYSHARE: a read-only fd gives a shared mapping without VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* Inside the window, as vm_iomap_memory() would check. */
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	/* The VMA holds the file, the file the device. */
	vma->vm_private_data = mdev;
	vma->vm_ops = &mmdma_regs_vm_ops;
	return 0;
}

static int mmdma_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmdma_dev *mdev = file->private_data;
	int ret;

	if (!mdev->regs.size)
		return -ENODEV;
	/* Checked with the lock held: unregister zaps after setting dead. */
	if (mutex_lock_killable(&mdev->lock))
		return -EINTR;
	ret = mdev->dead ? -ENODEV : mmdma_regs_mmap(mdev, vma);
	mutex_unlock(&mdev->lock);
	return ret;
}

static int mmdma_dev_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct mmdma_dev *mdev = container_of(misc, struct mmdma_dev, misc);
	int ret;

	ret = mmdma_event_open(mdev, file);
	if (ret)
		return ret;
	kref_get(&mdev->ref);
	file->private_data = mdev;
	/* io_uring may issue asynchronous reads inline: see mmdma_dio(). */
	file->f_mode |= FMODE_NOWAIT;
	/* Mappings of every open file live in one place the driver can zap. */
	file->f_mapping = mdev->inode->i_mapping;
	return 0;
}

static int mmdma_dev_release_file(struct inode *inode, struct file *file)
{
	struct mmdma_dev *mdev = file->private_data;

	mmdma_event_release(mdev, file);
	mmdma_dev_put(mdev);
	return 0;
}

/* The file position is an offset in device memory. */
static loff_t mmdma_dev_llseek(struct file *file, loff_t offset, int whence)
{
	struct mmdma_dev *mdev = file->private_data;

	return fixed_size_llseek(file, offset, whence, mdev->mem_size);
}

static const struct file_operations mmdma_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= mmdma_dev_open,
	.release	= mmdma_dev_release_file,
	.unlocked_ioctl	= mmdma_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mmdma_dev_mmap,
	.read_iter	= mmdma_dev_read_iter,
	.write_iter	= mmdma_dev_write_iter,
	.poll		= mmdma_event_poll,
	.llseek		= mmdma_dev_llseek,
};

/**
 * mmdma_dev_of_file() - the device behind an open device node, or NULL
 * @file: any file; the caller's hold on it keeps the device (each open
 *        node holds a reference), so none is taken
 */
struct mmdma_dev *mmdma_dev_of_file(struct file *file)
{
	return file->f_op == &mmdma_dev_fops ? file->private_data : NULL;
}

/**
 * mmdma_dev_from_fd() - the DMA device behind a device node fd, referenced
 * @fd: file descriptor in the current process
 *
 * Return: the device (drop with mmdma_dev_put()), or ERR_PTR(-EBADF) for a
 * closed fd, ERR_PTR(-EINVAL) for an fd that is not a DMA device node.
 */
struct mmdma_dev *mmdma_dev_from_fd(int fd)
{
	struct file *file = fget(fd);
	struct mmdma_dev *mdev;

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &mmdma_dev_fops) {
		fput(file);
		dev_dbg(mmdma_dev(), "fd %d is not a DMA device node\n", fd);
		return ERR_PTR(-EINVAL);
	}
	mdev = file->private_data;
	kref_get(&mdev->ref);
	fput(file);
	return mdev;
}

/**
 * mmdma_dev_create() - a DMA device for a provider, not yet visible
 * @p: the provider's description, checked by mmdma_provider_register()
 *
 * Copies what the core keeps of @p and numbers the node.  The caller owns
 * one reference; drop it with mmdma_dev_put() after mmdma_dev_unregister()
 * (or instead of registering).
 *
 * Return: the device, or ERR_PTR(-ENOMEM).
 */
struct mmdma_dev *mmdma_dev_create(struct mmdma_provider *p)
{
	struct mmdma_dev *mdev;
	struct ida *ida;
	int id;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	strscpy(mdev->stem, p->name, sizeof(mdev->stem));
	ida = mmdma_stem_ida(mdev->stem);
	id = ida ? ida_alloc(ida, GFP_KERNEL) : -ENOMEM;
	if (id < 0) {
		kfree(mdev);
		return ERR_PTR(id);
	}
	kref_init(&mdev->ref);
	mdev->ida = ida;
	mdev->dma = get_device(p->dev);
	mdev->prov = p;
	mdev->ops = p->ops;
	mdev->caps = p->caps;
	mdev->regs = p->regs;
	mdev->kind = p->kind;
	mdev->id = id;
	snprintf(mdev->name, sizeof(mdev->name), "mmdma-%s%u", mdev->stem, id);
	mdev->mem_size = p->mem_size;
	mdev->max_op = p->max_op;
	mdev->max_batch = p->max_batch ?: 1;
	mdev->flags = p->flags & (MMDMA_DEVF_MSI | MMDMA_DEVF_INTX);
	mdev->irqcontrol = p->irqcontrol;
	mmdma_event_init(mdev);
	mutex_init(&mdev->lock);
	init_rwsem(&mdev->users);
	mutex_init(&mdev->coherent_lock);
	INIT_LIST_HEAD(&mdev->coherent_bufs);
	INIT_LIST_HEAD(&mdev->queue);
	INIT_DELAYED_WORK(&mdev->timeout, mmdma_engine_timeout);
	init_waitqueue_head(&mdev->idle);
	return mdev;
}

/* Where can the device reach?  Decided once, from how the DMA layer maps. */
static void mmdma_dev_probe_reach(struct mmdma_dev *mdev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(mdev->dma);

	if (dom && (dom->type & __IOMMU_DOMAIN_PAGING))
		mdev->flags |= MMDMA_DEVF_IOMMU;
	else if (mmdma_swiotlb_in_reach(mdev->dma))
		mdev->flags |= MMDMA_DEVF_SWIOTLB;
	if (dma_addressing_limited(mdev->dma))
		mdev->flags |= MMDMA_DEVF_LIMITED;
}

static void mmdma_dev_free_dma(struct mmdma_dev *mdev)
{
	dma_pool_destroy(mdev->pool);
	if (mdev->stream)
		dma_free_noncoherent(mdev->dma, MMDMA_STAGE_SIZE, mdev->stream,
				     mdev->stream_dma, DMA_BIDIRECTIONAL);
	if (mdev->bounce)
		dma_free_coherent(mdev->dma, MMDMA_STAGE_SIZE, mdev->bounce,
				  mdev->bounce_dma);
	mdev->pool = NULL;
	mdev->stream = NULL;
	mdev->bounce = NULL;
}

/**
 * mmdma_dev_register() - allocate the device's DMA buffers, create its node
 * @mdev: from mmdma_dev_create(); engine interrupts must already work
 */
int mmdma_dev_register(struct mmdma_dev *mdev)
{
	int ret = -ENOMEM;

	mmdma_dev_probe_reach(mdev);

	/*
	 * The staging buffers serve the engine's transfers only: a device
	 * user space drives itself (no ops) gets none.
	 */
	if (!mdev->ops)
		goto node;
	/* All three come from memory the device can reach, by construction. */
	mdev->bounce = dma_alloc_coherent(mdev->dma, MMDMA_STAGE_SIZE,
					  &mdev->bounce_dma, GFP_KERNEL);
	if (!mdev->bounce)
		goto err_free_dma;
	mdev->stream = dma_alloc_noncoherent(mdev->dma, MMDMA_STAGE_SIZE,
					     &mdev->stream_dma,
					     DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (!mdev->stream)
		goto err_free_dma;
	mdev->pool = dma_pool_create(mdev->name, mdev->dma, MMDMA_POOL_MAX,
				     64, 0);
	if (!mdev->pool)
		goto err_free_dma;

node:
	mdev->inode = mmdma_fs_inode();
	if (IS_ERR(mdev->inode)) {
		ret = PTR_ERR(mdev->inode);
		mdev->inode = NULL;
		goto err_free_dma;
	}

	mdev->misc.minor = MISC_DYNAMIC_MINOR;
	mdev->misc.name = mdev->name;
	mdev->misc.fops = &mmdma_dev_fops;
	mdev->misc.parent = mdev->dma;
	mdev->misc.groups = mmdma_dev_groups;
	ret = misc_register(&mdev->misc);
	if (ret)
		goto err_free_dma;
	atomic_inc(&mmdma_nr_devs);
	mutex_lock(&mmdma_devs_lock);
	list_add_tail(&mdev->list, &mmdma_devs);
	mutex_unlock(&mmdma_devs_lock);
	dev_info(mdev->dma, "%s: DMA mask %#llx%s%s%s\n", mdev->name,
		 dma_get_mask(mdev->dma),
		 mdev->flags & MMDMA_DEVF_IOMMU ? ", behind an IOMMU" : "",
		 mdev->flags & MMDMA_DEVF_SWIOTLB ? ", swiotlb in reach" : "",
		 mdev->flags & MMDMA_DEVF_LIMITED ? ", cannot reach all RAM" : "");
	mmdma_named_dev_added(mdev);
	return 0;

err_free_dma:
	mmdma_dev_free_dma(mdev);
	return ret;
}

/**
 * mmdma_dev_unregister() - the hardware is going away
 * @mdev: a registered device
 *
 * No new opens; waiting requests fail with ENODEV and the running one stops
 * after its operation; user mappings are zapped; the DMA buffers freed.
 * Open files keep the struct (not the hardware) until they are closed.
 */
void mmdma_dev_unregister(struct mmdma_dev *mdev)
{
	mutex_lock(&mmdma_devs_lock);
	list_del(&mdev->list);
	mutex_unlock(&mmdma_devs_lock);
	atomic_dec(&mmdma_nr_devs);
	misc_deregister(&mdev->misc);
	mmdma_engine_shutdown(mdev);
	/* Readers and pollers of interrupt events wake with ENODEV. */
	mmdma_event_gone(mdev);
	/*
	 * Wait for calls still inside the device (mmdma_dev_enter()): they
	 * may hold DMA mappings and pool blocks, which must be gone before
	 * the driver lets go of the device.  Their requests have failed, and
	 * none of them waits on user memory in there, so they leave soon.
	 */
	down_write(&mdev->users);
	up_write(&mdev->users);
	/* Buffers attached to the device lose their mappings now. */
	mmdma_attach_dev_gone(mdev);
	unmap_mapping_range(mdev->inode->i_mapping, 0, 0, 1);
	/* The DMA API wants every coherent allocation back before unbind. */
	mmdma_coherent_revoke_all(mdev);
	mmdma_dev_free_dma(mdev);
	/* The name is free for the next device, e.g. this one rebound. */
	ida_free(mdev->ida, mdev->id);
	mdev->id_released = true;
}
