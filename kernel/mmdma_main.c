// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: module entry, the /dev/mmdma control node and module-wide limits.
 *
 * This is the core: buffers, mappings, attachments, dma-buf, direct and
 * asynchronous I/O, the engine framework, device nodes and revocation.  The
 * engines come from provider modules (mmdma_edu, mmdma_soft, mmdma_isa),
 * through the API of mmdma_provider.h; loaded alone, the core serves
 * buffers and no DMA device node.
 *
 * The module cannot be unloaded while a buffer exists: every buffer fd holds
 * a reference on the module through its file operations, and every mapping
 * holds the fd's file.  Nor while a provider is loaded: each links against
 * the core's exported symbols.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "mmdma.h"
#include "mmdma_named.h"

/*
 * Both limits are read-write: a buffer is checked against them once, at
 * allocation, so a change applies to the next allocation and never to
 * memory already handed out (a lower max_total than the current total only
 * makes allocations fail until enough buffers are freed).
 */
unsigned long mmdma_max_buf_size = SZ_1G;
mmdma_param_size(max_buf_size, mmdma_max_buf_size, 0644, .min = PAGE_SIZE,
		 .max = ULONG_MAX, .why = "a buffer is at least one page");
MODULE_PARM_DESC(max_buf_size, "largest buffer in bytes, at least a page, K/M/G suffixes (default 1 GiB)");

unsigned long mmdma_max_total = 4UL * SZ_1G;
mmdma_param_size(max_total, mmdma_max_total, 0644, .min = PAGE_SIZE,
		 .max = ULONG_MAX, .why = "all buffers together, at least one page");
MODULE_PARM_DESC(max_total, "bytes all buffers together may hold, at least a page, K/M/G suffixes (default 4 GiB)");

static long mmdma_ioc_info(void *ctx, void *karg, void __user *uarg)
{
	struct mmdma_info *info = karg;

	info->abi_version = MMDMA_ABI_VERSION;
	info->page_size = PAGE_SIZE;
	info->features = MMDMA_FEAT_MEM_PAGES | MMDMA_FEAT_MEM_CONTIG |
			 MMDMA_FEAT_MEM_VMALLOC | MMDMA_FEAT_MAP_REMAP |
			 MMDMA_FEAT_MAP_FAULT | MMDMA_FEAT_MAP_INSERT |
			 MMDMA_FEAT_ATTACH | MMDMA_FEAT_DMABUF |
			 MMDMA_FEAT_BUF_SYSFS | MMDMA_FEAT_EXPLAIN;
	if (mmdma_devs_present())
		info->features |= MMDMA_FEAT_MEM_COHERENT;
	if (mmdma_reserved_usable())
		info->features |= MMDMA_FEAT_MEM_RESERVED;
	if (MMDMA_HUGE_PMD)
		info->features |= MMDMA_FEAT_MAP_HUGE;
	info->max_buf_size = mmdma_max_buf_size;
	info->max_contig_size = min_t(u64, mmdma_max_contig_size(),
				      mmdma_max_buf_size);
	info->max_total = mmdma_max_total;
	mmdma_bufs_stats(&info->total, &info->nr_buffers);
	strscpy((char *)info->driver_version, MMDMA_VERSION,
		sizeof(info->driver_version));
	return 0;
}

/* ABI 2 appended driver_version; ABI 1 callers still pass 88 bytes. */
static_assert(offsetof(struct mmdma_info, driver_version) == MMDMA_INFO_SIZE_VER1);
static_assert(sizeof(MMDMA_VERSION) <= sizeof(((struct mmdma_info *)0)->driver_version));

static const struct mmdma_ioctl_desc mmdma_ctl_ioctls[] = {
	MMDMA_IOCTL_GREW(MMDMA_IOC_INFO, MMDMA_INFO_SIZE_VER1, mmdma_ioc_info),
	MMDMA_IOCTL_FD(MMDMA_IOC_ALLOC, mmdma_buf_alloc_ioctl),
	MMDMA_IOCTL(MMDMA_IOC_EXPLAIN, mmdma_ioc_explain),
};

static long mmdma_ctl_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	return mmdma_ioctl_dispatch(mmdma_ctl_ioctls,
				    ARRAY_SIZE(mmdma_ctl_ioctls), NULL, cmd, arg);
}

static const struct file_operations mmdma_ctl_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= mmdma_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static ssize_t buffers_show(struct device *dev, struct device_attribute *attr,
			    char *out)
{
	u64 total;
	u32 nr;

	/* A listing of /sys/kernel/mmdma/buffers/ after this shows them all. */
	mmdma_sysfs_flush_all();
	mmdma_bufs_stats(&total, &nr);
	return sysfs_emit(out, "%u\n", nr);
}
static DEVICE_ATTR_RO(buffers);

static ssize_t total_bytes_show(struct device *dev,
				struct device_attribute *attr, char *out)
{
	u64 total;
	u32 nr;

	mmdma_bufs_stats(&total, &nr);
	return sysfs_emit(out, "%llu\n", total);
}
static DEVICE_ATTR_RO(total_bytes);

static struct attribute *mmdma_ctl_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_total_bytes.attr,
	NULL
};
ATTRIBUTE_GROUPS(mmdma_ctl);

static struct miscdevice mmdma_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MMDMA_NAME,
	.fops	= &mmdma_ctl_fops,
	.groups	= mmdma_ctl_groups,
};

struct device *mmdma_dev(void)
{
	return mmdma_misc.this_device;
}

static int __init mmdma_init(void)
{
	int ret;

	ret = mmdma_fs_init();
	if (ret)
		return ret;
	ret = mmdma_dio_init();
	if (ret)
		goto err_fs_exit;
	ret = mmdma_reserved_init();
	if (ret)
		goto err_dio_exit;
	ret = misc_register(&mmdma_misc);
	if (ret)
		goto err_reserved_exit;
	ret = mmdma_sysfs_init();
	if (ret)
		goto err_misc_deregister;
	/* Named buffers for a device wait until its provider registers it. */
	ret = mmdma_named_init();
	if (ret)
		goto err_sysfs_exit;
	return 0;

err_sysfs_exit:
	mmdma_sysfs_exit();
err_misc_deregister:
	misc_deregister(&mmdma_misc);
err_reserved_exit:
	mmdma_reserved_exit();
err_dio_exit:
	mmdma_dio_exit();
err_fs_exit:
	mmdma_fs_exit();
	return ret;
}

static void __exit mmdma_exit(void)
{
	mmdma_named_exit();
	/* No provider is loaded: each holds a reference on this module. */
	mmdma_sysfs_exit();
	misc_deregister(&mmdma_misc);
	mmdma_reserved_exit();
	/* Waits for the last direct-I/O completion to return. */
	mmdma_dio_exit();
	mmdma_fs_exit();
	mmdma_dev_exit();
}

module_init(mmdma_init);
module_exit(mmdma_exit);

MODULE_DESCRIPTION("LDD3 chapter 15, memory mapping and DMA, on today's kernels");
MODULE_AUTHOR("mmdma developers");
MODULE_LICENSE("GPL");
/* From the tree's VERSION file (Kbuild); also in MMDMA_IOC_INFO. */
MODULE_VERSION(MMDMA_VERSION);
