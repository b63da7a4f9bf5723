// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: persistent named buffers.  The administrator creates one (configfs:
 * mmdma_named_cfs.c, or the named= module parameter at load) and it lives,
 * without any program holding an fd, until it is deleted or the module
 * unloads.  Each has its own node, /dev/mmdma-named/<name>, made through a
 * device class so udev and devtmpfs name it: open, read, write, lseek and
 * mmap work by path, so dd, cat and numpy.memmap need no ABI header; the
 * buffer fd's ioctls work on it too (mmdma_buf_ioctl_mode()).
 *
 * Deleting a buffer that is open or mapped revokes it, the way coherent
 * memory is revoked when its device goes: every mapping is zapped (a later
 * touch gets SIGBUS) and every later call on an open file gets ENODEV.  So
 * the node maps page by page from a fault handler that checks, under
 * map_lock, whether the buffer is gone: a fault either finds it deleted or
 * has its page in before deletion zaps the range.  Mapping the whole range
 * at mmap() time could not be revoked safely (the VMA is not yet where the
 * zap looks while ->mmap runs).  The dma-bufs exported from the buffer
 * are revoked with it (mmdma_dmabuf_revoke()): their mmaps zapped, their
 * calls ENODEV.  The memory itself goes back when its last user lets go: a
 * call that began before the deletion, an attachment's in-flight transfer,
 * an importer still holding a mapping of an exported dma-buf, a page
 * pinned (O_DIRECT, io_uring's fixed buffers) until it is unpinned; such a
 * page is then freed, never handed to anyone while pinned.  Coherent
 * memory too: its mappings are zapped at once, but a transfer may still be
 * running into it, so it is freed at the last reference
 * (mmdma_coherent_revoke_buf()).
 *
 * A buffer made for a device outlives the device: when the device goes
 * (its provider unloaded, its hardware unbound) the buffer loses its
 * mapping for it and bus_addr says ENODEV; when a device of the same name
 * registers again, the buffer is mapped for it (mmdma_named_dev_added()),
 * its bytes untouched, user mappings and open files undisturbed, and
 * bus_addr gives the new bus address (a "change" uevent says so).
 * Coherent memory was the old device's and went with it: that buffer
 * stays revoked until it is deleted and made again.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mmdma_named.h"

/* Protects mmdma_named_list and mmdma_named_nr. */
static DEFINE_MUTEX(mmdma_named_mutex);
static LIST_HEAD(mmdma_named_list);
static unsigned int mmdma_named_nr;

static DEFINE_IDA(mmdma_named_minors);
static dev_t mmdma_named_devt;

static const char *const mmdma_named_kinds[] = {
	[MMDMA_MEM_PAGES] = "pages",
	[MMDMA_MEM_CONTIG] = "contig",
	[MMDMA_MEM_VMALLOC] = "vmalloc",
	[MMDMA_MEM_COHERENT] = "coherent",
	[MMDMA_MEM_RESERVED] = "reserved",
};

static const char *const mmdma_named_caches[] = {
	[MMDMA_CACHE_DEFAULT] = "default",
	[MMDMA_CACHE_CACHED] = "cached",
	[MMDMA_CACHE_WC] = "wc",
	[MMDMA_CACHE_UC] = "uc",
};

const char *mmdma_named_kind_name(u32 kind)
{
	return kind < ARRAY_SIZE(mmdma_named_kinds) && mmdma_named_kinds[kind] ?
	       mmdma_named_kinds[kind] : "unknown";
}

const char *mmdma_named_cache_name(u32 cache)
{
	return cache < ARRAY_SIZE(mmdma_named_caches) ?
	       mmdma_named_caches[cache] : "unknown";
}

/* sysfs_streq(): a value written with echo ends in a newline. */
int mmdma_named_kind_parse(const char *s, u32 *kind)
{
	u32 i;

	for (i = MMDMA_MEM_PAGES; i < ARRAY_SIZE(mmdma_named_kinds); i++) {
		if (sysfs_streq(s, mmdma_named_kinds[i])) {
			*kind = i;
			return 0;
		}
	}
	return -EINVAL;
}

int mmdma_named_cache_parse(const char *s, u32 *cache)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(mmdma_named_caches); i++) {
		if (sysfs_streq(s, mmdma_named_caches[i])) {
			*cache = i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * mmdma_named_name_ok() - is @name a valid buffer name?
 * @name: the name
 *
 * It becomes a file name in /dev and in sysfs: 1 to MMDMA_NAMED_NAME_MAX
 * characters of [A-Za-z0-9_.-], not starting with '.' (no ".", "..",
 * hidden files), so never a '/' nor anything a shell must quote.
 *
 * Return: 0, or -EINVAL.
 */
int mmdma_named_name_ok(const char *name)
{
	size_t i, len = strnlen(name, MMDMA_NAMED_NAME_MAX + 1);

	if (!len || len > MMDMA_NAMED_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-' &&
		    name[i] != '.')
			return -EINVAL;
	}
	return 0;
}

static struct mmdma_named *mmdma_named_find_locked(const char *name)
{
	struct mmdma_named *nb;

	list_for_each_entry(nb, &mmdma_named_list, node) {
		if (!strcmp(nb->spec.name, name))
			return nb;
	}
	return NULL;
}

bool mmdma_named_exists(const char *name)
{
	bool found;

	mutex_lock(&mmdma_named_mutex);
	found = mmdma_named_find_locked(name) != NULL;
	mutex_unlock(&mmdma_named_mutex);
	return found;
}

/* Is the buffer deleted?  The caller's call then ends with ENODEV. */
static int mmdma_named_enter(struct mmdma_named *nb)
{
	int ret = 0;

	if (down_read_killable(&nb->lock))
		return -EINTR;
	if (nb->dead)
		ret = -ENODEV;
	up_read(&nb->lock);
	return ret;
}

/*
 * No reference of our own: the node's cdev is part of @nb, and an open
 * file holds the cdev (and through it the device) until after ->release.
 */
static int mmdma_named_open(struct inode *inode, struct file *file)
{
	struct mmdma_named *nb = container_of(inode->i_cdev,
					      struct mmdma_named, cdev);
	int ret = mmdma_named_enter(nb);

	if (ret)
		return ret;
	file->private_data = nb;
	/* Every open file's mappings in one place deletion can zap. */
	file->f_mapping = nb->inode ? nb->inode->i_mapping :
				      nb->buf->inode->i_mapping;
	return 0;
}

static ssize_t mmdma_named_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct mmdma_named *nb = file->private_data;
	int ret = mmdma_named_enter(nb);

	return ret ? ret : mmdma_buf_rw(nb->buf, ppos, ubuf, len, true);
}

static ssize_t mmdma_named_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct mmdma_named *nb = file->private_data;
	int ret = mmdma_named_enter(nb);

	return ret ? ret : mmdma_buf_rw(nb->buf, ppos, (char __user *)ubuf,
					len, false);
}

static loff_t mmdma_named_llseek(struct file *file, loff_t off, int whence)
{
	struct mmdma_named *nb = file->private_data;
	int ret = mmdma_named_enter(nb);

	return ret ? ret : fixed_size_llseek(file, off, whence, nb->buf->size);
}

static long mmdma_named_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct mmdma_named *nb = file->private_data;
	int ret = mmdma_named_enter(nb);

	return ret ? ret : mmdma_buf_ioctl_mode(nb->buf, file->f_mode, cmd, arg);
}

/* One page per fault, put in under map_lock: see the top of the file. */
static vm_fault_t mmdma_named_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmdma_named *nb = vma->vm_file->private_data;
	struct mmdma_buf *buf = nb->buf;
	vm_fault_t ret;
	int err;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&nb->map_lock);
	if (nb->dead) {
		ret = VM_FAULT_SIGBUS;
	} else if (!mmdma_buf_has_pages(buf)) {
		/* Reserved memory: a special entry nothing can pin. */
		ret = mmdma_reserved_insert(vma, vmf->address, buf, vmf->pgoff);
	} else {
		/* A normal, refcounted entry: GUP and O_DIRECT work on it. */
		err = vm_insert_page(vma, vmf->address,
				     mmdma_buf_page(buf, vmf->pgoff));
		if (!err || err == -EBUSY)	/* -EBUSY: another thread won */
			ret = VM_FAULT_NOPAGE;
		else
			ret = err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	if (!(ret & VM_FAULT_ERROR))
		atomic64_inc(&buf->faults);
	mutex_unlock(&nb->map_lock);
	return ret;
}

static const struct vm_operations_struct mmdma_named_vm_ops = {
	.open	= mmdma_vm_open,
	.close	= mmdma_vm_close,
	.fault	= mmdma_named_fault,
};

/*
 * Shared mappings only: a private copy of a page would outlive a deletion
 * that must take every view of the buffer away.  The VFS already refuses a
 * writable shared mapping of a read-only open (EACCES).
 */
static int mmdma_named_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmdma_named *nb = file->private_data;
	struct mmdma_buf *buf = nb->buf;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret = 0;

	if (vma->vm_pgoff >= buf->nr_pages ||
	    len > (buf->nr_pages - vma->vm_pgoff) << PAGE_SHIFT) {
		dev_dbg(&nb->dev, "mmap %lu bytes at page %lu past %zu bytes\n",
			len, vma->vm_pgoff, buf->size);
		return -EINVAL;
	}
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		dev_dbg(&nb->dev, "MAP_PRIVATE of a named buffer\n");
		return -EINVAL;
	}
	if (mutex_lock_killable(&nb->map_lock))
		return -EINTR;
	if (nb->dead)
		ret = -ENODEV;
	mutex_unlock(&nb->map_lock);
	if (ret)
		return ret;

	/*
	 * From here user space can pin the pages (vm_insert_page() makes
	 * normal entries): each needs its own count, as for a buffer fd's
	 * mapping (mmdma_buf_split()).
	 */
	mmdma_buf_split(buf);
	vma->vm_private_data = buf;
	vma->vm_page_prot = mmdma_cache_pgprot(buf, vma->vm_page_prot);
	if (buf->kind == MMDMA_MEM_COHERENT) {
		/* Its own fault handler checks the revocation deletion does. */
		ret = mmdma_coherent_mmap(buf, vma);
		if (ret)
			return ret;
	} else {
		/*
		 * Reserved memory never VM_PFNMAP: VFIO would map its
		 * PageReserved pages unpinned (mmdma_reserved_vm_flags()).
		 */
		vm_flags_set(vma, mmdma_buf_has_pages(buf) ?
			     VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP :
			     mmdma_reserved_vm_flags());
		vma->vm_ops = &mmdma_named_vm_ops;
	}
	mmdma_vm_open(vma);
	atomic64_inc(&buf->mmaps);
	return 0;
}

static const struct file_operations mmdma_named_fops = {
	.owner		= THIS_MODULE,
	.open		= mmdma_named_open,
	.read		= mmdma_named_read,
	.write		= mmdma_named_write,
	.llseek		= mmdma_named_llseek,
	.mmap		= mmdma_named_mmap,
	/* The memory is the storage: msync() and fsync() have nothing to do. */
	.fsync		= noop_fsync,
	.unlocked_ioctl	= mmdma_named_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * mmdma_buf_from_fd() for a node: a transfer's source or destination by
 * the node's fd (the caller checked the file's mode).
 */
static struct mmdma_buf *mmdma_named_file_buf(struct file *file)
{
	struct mmdma_named *nb;
	int ret;

	if (file->f_op != &mmdma_named_fops)
		return NULL;
	nb = file->private_data;
	ret = mmdma_named_enter(nb);
	if (ret)
		return ERR_PTR(ret);
	mmdma_buf_get(nb->buf);
	return nb->buf;
}

static struct mmdma_named *mmdma_named_of(struct device *dev)
{
	return container_of(dev, struct mmdma_named, dev);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *out)
{
	return sysfs_emit(out, "%zu\n", mmdma_named_of(dev)->buf->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t kind_show(struct device *dev, struct device_attribute *attr,
			 char *out)
{
	return sysfs_emit(out, "%s\n",
			  mmdma_named_kind_name(mmdma_named_of(dev)->buf->kind));
}
static DEVICE_ATTR_RO(kind);

static ssize_t cache_show(struct device *dev, struct device_attribute *attr,
			  char *out)
{
	return sysfs_emit(out, "%s\n",
			  mmdma_named_cache_name(mmdma_named_of(dev)->buf->cache));
}
static DEVICE_ATTR_RO(cache);

/* The DMA device's node name, or an empty line. */
static ssize_t dma_device_show(struct device *dev,
			       struct device_attribute *attr, char *out)
{
	return sysfs_emit(out, "%s\n", mmdma_named_of(dev)->spec.device);
}
static DEVICE_ATTR_RO(dma_device);

static ssize_t origin_show(struct device *dev, struct device_attribute *attr,
			   char *out)
{
	return sysfs_emit(out, "%s\n",
			  mmdma_named_of(dev)->cfs ? "configfs" : "param");
}
static DEVICE_ATTR_RO(origin);

/*
 * Mode 0400 keeps others from opening it; the capability, checked at read
 * time like the buffer's dma_addrs file, keeps a root process that dropped
 * it (or an fd passed on) from learning where the buffer lies.
 */
static ssize_t bus_addr_show(struct device *dev, struct device_attribute *attr,
			     char *out)
{
	struct mmdma_named *nb = mmdma_named_of(dev);
	struct mmdma_buf *buf = nb->buf;
	dma_addr_t dma;
	int ret;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (!nb->mdev)
		return -ENXIO;
	if (buf->kind == MMDMA_MEM_COHERENT) {
		ret = mmdma_buf_access_begin(buf);
		if (ret)
			return ret;
		dma = buf->dma;
		mmdma_buf_access_end(buf);
		return sysfs_emit(out, "%#llx\n", (unsigned long long)dma);
	}
	/* Against a remap for a device that came back. */
	if (down_read_killable(&nb->lock))
		return -EINTR;
	if (mmdma_attach_dma_addr(buf, nb->mdev, 0, &dma))
		/* The device went away and took the mapping with it. */
		ret = READ_ONCE(nb->mdev->dead) || !nb->dma_err ? -ENODEV :
								   nb->dma_err;
	else
		ret = 0;
	up_read(&nb->lock);
	return ret ? ret : sysfs_emit(out, "%#llx\n", (unsigned long long)dma);
}
static DEVICE_ATTR(bus_addr, 0400, bus_addr_show, NULL);

static ssize_t phys_addr_show(struct device *dev,
			      struct device_attribute *attr, char *out)
{
	struct mmdma_buf *buf = mmdma_named_of(dev)->buf;
	phys_addr_t phys;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* One value: only memory that is one physical run has one. */
	if (buf->kind == MMDMA_MEM_CONTIG)
		phys = virt_to_phys(buf->vaddr);
	else if (buf->kind == MMDMA_MEM_RESERVED)
		phys = buf->phys;
	else
		return -ENXIO;
	return sysfs_emit(out, "%#llx\n", (unsigned long long)phys);
}
static DEVICE_ATTR(phys_addr, 0400, phys_addr_show, NULL);

/* For buffers made by the parameter; configfs ones go with rmdir. */
static ssize_t delete_store(struct device *dev, struct device_attribute *attr,
			    const char *in, size_t len)
{
	struct mmdma_named *nb = mmdma_named_of(dev);
	bool yes;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtobool(in, &yes);
	if (ret || !yes)
		return -EINVAL;
	if (nb->cfs)
		return -EBUSY;
	/*
	 * device_remove_file_self() gives up the protection sysfs holds for
	 * a writer (the attribute is gone, so device removal no longer waits
	 * for this call): hold the module instead, or an rmmod racing the
	 * deletion could find the registry already empty and unload the
	 * code this call still runs (red-team, 2026-12-01).  Failing means
	 * the module is going: its exit deletes the buffer.
	 */
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	get_device(dev);
	/* Only one writer deletes; the attribute goes with the device. */
	if (device_remove_file_self(dev, attr))
		mmdma_named_delete(nb);
	put_device(dev);
	module_put(THIS_MODULE);
	return len;
}
static DEVICE_ATTR_WO(delete);

static struct attribute *mmdma_named_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_kind.attr,
	&dev_attr_cache.attr,
	&dev_attr_dma_device.attr,
	&dev_attr_origin.attr,
	&dev_attr_bus_addr.attr,
	&dev_attr_phys_addr.attr,
	&dev_attr_delete.attr,
	NULL
};
ATTRIBUTE_GROUPS(mmdma_named);

/* Root's, 0600: an administrator widens it with chmod or a udev rule. */
static char *mmdma_named_devnode(MMDMA_CLASS_DEVNODE_CONST struct device *dev,
				 umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "mmdma-named/%s", dev_name(dev));
}

static struct class mmdma_named_class = {
	.name		= "mmdma-named",
	.devnode	= mmdma_named_devnode,
	.dev_groups	= mmdma_named_groups,
};

/* The last reference: no registry, no open file, no mapping. */
static void mmdma_named_release(struct device *dev)
{
	struct mmdma_named *nb = mmdma_named_of(dev);

	if (nb->buf) {
		/* Attachments made by a call that raced with the deletion. */
		mmdma_attach_buf_closed(nb->buf);
		mmdma_buf_put(nb->buf);
	}
	if (nb->inode)
		iput(nb->inode);
	if (nb->mdev)
		mmdma_dev_put(nb->mdev);
	if (dev->devt)
		ida_free(&mmdma_named_minors, MINOR(dev->devt));
	kfree(nb);
}

/**
 * mmdma_named_create() - create a named buffer and its node
 * @spec: name, size, kind, cache mode and device
 * @cfs:  made through configfs (only configfs then deletes it)
 *
 * Return: the buffer, with the registry's reference (dropped by
 * mmdma_named_delete()), or ERR_PTR: -EINVAL for a bad name, kind, cache
 * mode or size, coherent memory without a device, a device for reserved
 * memory; -EEXIST for a name in use; -ENOSPC when MMDMA_NAMED_MAX exist;
 * -ENODEV for no such device; -E2BIG over max_buf_size; -ENOMEM over
 * max_total or out of memory; -ERANGE for memory the device cannot reach.
 */
struct mmdma_named *mmdma_named_create(const struct mmdma_named_spec *spec,
				       bool cfs)
{
	bool coherent = spec->kind == MMDMA_MEM_COHERENT;
	struct mmdma_alloc req = {
		.size = spec->size,
		.kind = spec->kind,
		.cache = spec->cache,
	};
	struct mmdma_named *nb;
	struct mmdma_buf *buf;
	int ret, minor;

	if (mmdma_named_name_ok(spec->name))
		return ERR_PTR(-EINVAL);
	if ((coherent && !spec->device[0]) ||
	    (spec->kind == MMDMA_MEM_RESERVED && spec->device[0])) {
		dev_dbg(mmdma_dev(), "named %s: coherent memory needs a device, reserved memory takes none\n",
			spec->name);
		return ERR_PTR(-EINVAL);
	}
	/* Before any memory is taken; checked again when it is published. */
	if (mmdma_named_exists(spec->name))
		return ERR_PTR(-EEXIST);

	nb = kzalloc(sizeof(*nb), GFP_KERNEL);
	if (!nb)
		return ERR_PTR(-ENOMEM);
	nb->spec = *spec;
	nb->cfs = cfs;
	init_rwsem(&nb->lock);
	mutex_init(&nb->map_lock);
	INIT_LIST_HEAD(&nb->node);
	device_initialize(&nb->dev);
	nb->dev.class = &mmdma_named_class;
	nb->dev.release = mmdma_named_release;
	/* From here on mmdma_named_release() undoes what was done. */
	ret = dev_set_name(&nb->dev, "%s", spec->name);
	if (ret)
		goto err_put;

	if (spec->device[0]) {
		nb->mdev = mmdma_dev_find(spec->device);
		ret = -ENODEV;
		if (!nb->mdev)
			goto err_put;
	}
	req.method = (coherent || spec->kind == MMDMA_MEM_RESERVED) ?
		     MMDMA_MAP_REMAP : MMDMA_MAP_FAULT;
	if (coherent)
		req.flags = MMDMA_ALLOC_DEVICE;
	buf = mmdma_buf_new(&req, coherent ? nb->mdev : NULL);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto err_put;
	}
	nb->buf = buf;
	/* Bus addresses need a mapping for the device: one, for good. */
	if (nb->mdev && !coherent) {
		ret = mmdma_attach_buf_dev(buf, nb->mdev, DMA_BIDIRECTIONAL);
		if (ret)
			goto err_put;
	}
	if (!coherent) {
		nb->inode = mmdma_fs_inode();
		if (IS_ERR(nb->inode)) {
			ret = PTR_ERR(nb->inode);
			nb->inode = NULL;
			goto err_put;
		}
	}
	minor = ida_alloc_max(&mmdma_named_minors, MMDMA_NAMED_MAX - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		ret = minor;	/* -ENOSPC when all are taken */
		goto err_put;
	}
	nb->dev.devt = MKDEV(MAJOR(mmdma_named_devt), minor);
	cdev_init(&nb->cdev, &mmdma_named_fops);
	nb->cdev.owner = THIS_MODULE;

	mutex_lock(&mmdma_named_mutex);
	ret = -EEXIST;
	if (mmdma_named_find_locked(spec->name))
		goto err_unlock;
	ret = cdev_device_add(&nb->cdev, &nb->dev);
	if (ret)
		goto err_unlock;
	list_add_tail(&nb->node, &mmdma_named_list);
	mmdma_named_nr++;
	mutex_unlock(&mmdma_named_mutex);
	dev_info(mmdma_dev(), "named buffer %s: %zu bytes of %s memory%s%s\n",
		 spec->name, buf->size, mmdma_named_kind_name(buf->kind),
		 nb->mdev ? " for " : "", spec->device);
	return nb;

err_unlock:
	mutex_unlock(&mmdma_named_mutex);
err_put:
	dev_dbg(mmdma_dev(), "named %s: %d\n", spec->name, ret);
	put_device(&nb->dev);
	return ERR_PTR(ret);
}

/**
 * mmdma_named_delete() - delete a named buffer, revoking it if in use
 * @nb: the buffer; the caller holds a reference of its own, or the
 *      registry's (module exit).  A second call does nothing.
 *
 * Open files stay open and get ENODEV from every call; mappings are
 * zapped; the node disappears.  The registry's reference is dropped.
 */
void mmdma_named_delete(struct mmdma_named *nb)
{
	mutex_lock(&mmdma_named_mutex);
	if (list_empty(&nb->node)) {
		mutex_unlock(&mmdma_named_mutex);
		return;
	}
	list_del_init(&nb->node);
	mmdma_named_nr--;
	mutex_unlock(&mmdma_named_mutex);

	/* Wait out the calls checking for deletion, and faults. */
	down_write(&nb->lock);
	mutex_lock(&nb->map_lock);
	nb->dead = true;
	mutex_unlock(&nb->map_lock);
	up_write(&nb->lock);
	if (nb->buf->kind == MMDMA_MEM_COHERENT) {
		mmdma_coherent_revoke_buf(nb->buf);
	} else {
		unmap_mapping_range(nb->inode->i_mapping, 0, 0, 1);
		/* What was exported from it goes too (red-team finding F5). */
		mmdma_dmabuf_revoke(nb->buf);
	}
	mmdma_attach_buf_closed(nb->buf);
	cdev_device_del(&nb->cdev, &nb->dev);
	dev_info(mmdma_dev(), "named buffer %s deleted\n", nb->spec.name);
	put_device(&nb->dev);
}

/*
 * named=NAME:SIZE[:KIND[:CACHE[:DEVICE]]][,...]: buffers made at load, for
 * boot scripts and for kernels without configfs.  Checked whole when the
 * parameter is set, so a mistake refuses the load (EINVAL) with a line
 * naming the entry; made at the end of module init.
 */
static struct mmdma_named_spec mmdma_named_param_specs[MMDMA_NAMED_MAX];
static unsigned int mmdma_named_param_nr;
/*
 * Entries of named= for a device not registered yet: the core loads before
 * the provider modules, so such a buffer is made when its device appears
 * (mmdma_named_dev_added()), once.  Protected by mmdma_named_pending_lock.
 */
static bool mmdma_named_param_pending[MMDMA_NAMED_MAX];
static DEFINE_MUTEX(mmdma_named_pending_lock);

static int mmdma_named_param_entry(char *entry, struct mmdma_named_spec *spec)
{
	char *name = strsep(&entry, ":");
	char *size = strsep(&entry, ":");
	char *kind = strsep(&entry, ":");
	char *cache = strsep(&entry, ":");
	char *device = strsep(&entry, ":");
	char *end;

	memset(spec, 0, sizeof(*spec));
	if (entry || !size || mmdma_named_name_ok(name))
		return -EINVAL;
	strscpy(spec->name, name, sizeof(spec->name));
	spec->size = memparse(size, &end);
	if (end == size || *end || !spec->size)
		return -EINVAL;
	spec->kind = MMDMA_MEM_PAGES;
	if (kind && *kind && mmdma_named_kind_parse(kind, &spec->kind))
		return -EINVAL;
	if (cache && *cache && mmdma_named_cache_parse(cache, &spec->cache))
		return -EINVAL;
	if (device && strscpy(spec->device, device, sizeof(spec->device)) < 0)
		return -EINVAL;
	return 0;
}

static int mmdma_named_param_set(const char *val, const struct kernel_param *kp)
{
	char *copy, *rest, *entry;
	unsigned int n = 0, i;
	int ret = 0;

	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	rest = strim(copy);
	while ((entry = strsep(&rest, ",")) && !ret) {
		if (!*entry)
			continue;
		if (n == MMDMA_NAMED_MAX) {
			pr_err("mmdma: named=: more than %u buffers\n",
			       MMDMA_NAMED_MAX);
			ret = -EINVAL;
			break;
		}
		ret = mmdma_named_param_entry(entry, &mmdma_named_param_specs[n]);
		if (ret) {
			pr_err("mmdma: named=: bad entry %u: want NAME:SIZE[:KIND[:CACHE[:DEVICE]]], NAME 1-%u of [A-Za-z0-9_.-], SIZE > 0\n",
			       n + 1, MMDMA_NAMED_NAME_MAX);
			break;
		}
		for (i = 0; i < n; i++) {
			if (!strcmp(mmdma_named_param_specs[i].name,
				    mmdma_named_param_specs[n].name)) {
				pr_err("mmdma: named=: %s named twice\n",
				       mmdma_named_param_specs[n].name);
				ret = -EINVAL;
			}
		}
		n++;
	}
	kfree(copy);
	mmdma_named_param_nr = ret ? 0 : n;
	return ret;
}

static int mmdma_named_param_get(char *out, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < mmdma_named_param_nr; i++) {
		const struct mmdma_named_spec *s = &mmdma_named_param_specs[i];

		len += scnprintf(out + len, PAGE_SIZE - len, "%s%s:%llu:%s:%s%s%s",
				 i ? "," : "", s->name, s->size,
				 mmdma_named_kind_name(s->kind),
				 mmdma_named_cache_name(s->cache),
				 s->device[0] ? ":" : "", s->device);
	}
	len += scnprintf(out + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops mmdma_named_param_ops = {
	.set = mmdma_named_param_set,
	.get = mmdma_named_param_get,
};
module_param_cb(named, &mmdma_named_param_ops, NULL, 0444);
MODULE_PARM_DESC(named, "named buffers made at load: NAME:SIZE[:KIND[:CACHE[:DEVICE]]],... (KIND pages|contig|vmalloc|coherent|reserved, CACHE default|cached|wc|uc, DEVICE e.g. mmdma-edu0)");

static void mmdma_named_delete_all(void)
{
	struct mmdma_named *nb;

	for (;;) {
		mutex_lock(&mmdma_named_mutex);
		nb = list_first_entry_or_null(&mmdma_named_list,
					      struct mmdma_named, node);
		if (nb)
			get_device(&nb->dev);
		mutex_unlock(&mmdma_named_mutex);
		if (!nb)
			return;
		mmdma_named_delete(nb);
		put_device(&nb->dev);
	}
}

int mmdma_named_init(void)
{
	struct mmdma_named *nb;
	unsigned int i;
	int ret;

	ret = alloc_chrdev_region(&mmdma_named_devt, 0, MMDMA_NAMED_MAX,
				  "mmdma-named");
	if (ret)
		return ret;
	ret = class_register(&mmdma_named_class);
	if (ret)
		goto err_region;
	for (i = 0; i < mmdma_named_param_nr; i++) {
		struct mmdma_named_spec *spec = &mmdma_named_param_specs[i];
		struct mmdma_dev *mdev;

		if (spec->device[0]) {
			mdev = mmdma_dev_find(spec->device);
			if (!mdev) {
				pr_info("mmdma: named=: %s waits for device %s\n",
					spec->name, spec->device);
				mmdma_named_param_pending[i] = true;
				continue;
			}
			mmdma_dev_put(mdev);
		}
		nb = mmdma_named_create(spec, false);
		if (IS_ERR(nb)) {
			ret = PTR_ERR(nb);
			pr_err("mmdma: named=: cannot create %s: %d\n",
			       mmdma_named_param_specs[i].name, ret);
			goto err_delete;
		}
	}
	ret = mmdma_named_cfs_init();
	if (ret)
		goto err_delete;
	mmdma_buf_file_resolver = mmdma_named_file_buf;
	return 0;

err_delete:
	mmdma_named_delete_all();
	class_unregister(&mmdma_named_class);
err_region:
	unregister_chrdev_region(mmdma_named_devt, MMDMA_NAMED_MAX);
	return ret;
}

/*
 * Map @nb for @mdev, a device of the name it was made for that registered
 * after the one it had went away.  The mapping is made outside @nb->lock:
 * a transfer holds the device's users lock while it resolves a node's fd
 * (which takes @nb->lock), so the order is users lock, then @nb->lock.  A
 * deletion racing with this finds the new attachment at release, if not
 * before (mmdma_named_release()).
 */
static void mmdma_named_remap(struct mmdma_named *nb, struct mmdma_dev *mdev)
{
	struct mmdma_dev *old;
	bool dead;
	int ret;

	ret = mmdma_attach_buf_dev(nb->buf, mdev, DMA_BIDIRECTIONAL);
	down_write(&nb->lock);
	old = nb->mdev;
	kref_get(&mdev->ref);
	nb->mdev = mdev;
	nb->dma_err = ret;
	dead = nb->dead;
	up_write(&nb->lock);
	/* The old device's attachment lost its mapping when it went. */
	mmdma_attach_buf_dev_drop(nb->buf, old);
	mmdma_dev_put(old);
	if (dead)
		return;
	if (ret) {
		/* Once per return of the device: bus_addr says it each time. */
		dev_warn(&nb->dev, "not mapped for %s, which came back: %d%s\n",
			 mdev->name, ret,
			 ret == -ERANGE ? " (memory out of its reach)" : "");
		return;
	}
	dev_info(&nb->dev, "mapped again for %s\n", mdev->name);
	kobject_uevent(&nb->dev.kobj, KOBJ_CHANGE);
}

/* The next buffer made for a device named @name but not @mdev, or NULL. */
static struct mmdma_named *mmdma_named_next_stale(struct mmdma_dev *mdev)
{
	struct mmdma_named *nb;

	mutex_lock(&mmdma_named_mutex);
	list_for_each_entry(nb, &mmdma_named_list, node) {
		if (nb->mdev && nb->mdev != mdev &&
		    nb->buf->kind != MMDMA_MEM_COHERENT &&
		    !strcmp(nb->spec.device, mdev->name)) {
			get_device(&nb->dev);
			mutex_unlock(&mmdma_named_mutex);
			return nb;
		}
	}
	mutex_unlock(&mmdma_named_mutex);
	return NULL;
}

/**
 * mmdma_named_dev_added() - named buffers for @mdev: remap, or make
 * @mdev: a device just registered (its provider module is loading, its
 *        hardware was bound)
 *
 * Buffers made for an earlier device of the same name, which went away,
 * are mapped for @mdev (coherent ones stay revoked: their memory was the
 * old device's); a failure, -ERANGE for memory out of the device's reach,
 * is logged once and bus_addr returns it.  Then the named= entries waiting
 * for @mdev are made; each is tried once: a failure is logged with its
 * errno and the entry is dropped.  The device's registration does not
 * fail for either.  Serialised by mmdma_named_pending_lock, so a buffer
 * is remapped by one caller at a time.
 */
void mmdma_named_dev_added(struct mmdma_dev *mdev)
{
	struct mmdma_named *nb;
	unsigned int i;

	mutex_lock(&mmdma_named_pending_lock);
	/*
	 * Each pass remaps one buffer, after which it points at @mdev and is
	 * not found again; a deleted one is off the list.
	 */
	while ((nb = mmdma_named_next_stale(mdev))) {
		mmdma_named_remap(nb, mdev);
		put_device(&nb->dev);
	}
	for (i = 0; i < mmdma_named_param_nr; i++) {
		struct mmdma_named_spec *spec = &mmdma_named_param_specs[i];

		if (!mmdma_named_param_pending[i] ||
		    strcmp(spec->device, mdev->name))
			continue;
		mmdma_named_param_pending[i] = false;
		nb = mmdma_named_create(spec, false);
		if (IS_ERR(nb))
			pr_err("mmdma: named=: cannot create %s for %s: %ld\n",
			       spec->name, spec->device, PTR_ERR(nb));
	}
	mutex_unlock(&mmdma_named_pending_lock);
}

/*
 * An open node holds the module (cdev.owner), and so does every configfs
 * directory: at exit only buffers nobody uses are left.
 */
void mmdma_named_exit(void)
{
	mmdma_buf_file_resolver = NULL;
	mmdma_named_cfs_exit();
	mmdma_named_delete_all();
	class_unregister(&mmdma_named_class);
	unregister_chrdev_region(mmdma_named_devt, MMDMA_NAMED_MAX);
}
