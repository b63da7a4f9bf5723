// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: a tiny pseudo file system whose only job is to give each DMA device
 * an inode of its own.  Every open file of the device's node shares that
 * inode's address space, so when the device goes away one
 * unmap_mapping_range() call removes every user mapping of its registers,
 * whichever device node (or mknod'ed copy of it) they came through.
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "mmdma.h"

#define MMDMA_FS_MAGIC	0x6d6d646d	/* "mmdm" */

static struct vfsmount *mmdma_mnt;

static int mmdma_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MMDMA_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount would hold a reference on the module for as long as
 * it exists, and it exists until module exit.  The type is never registered,
 * so nothing but this file can mount it.
 */
static struct file_system_type mmdma_fs_type = {
	.name			= "mmdma",
	.init_fs_context	= mmdma_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int mmdma_fs_init(void)
{
	mmdma_mnt = kern_mount(&mmdma_fs_type);
	return PTR_ERR_OR_ZERO(mmdma_mnt);
}

void mmdma_fs_exit(void)
{
	kern_unmount(mmdma_mnt);
}

/* A new inode; release it with iput(). */
struct inode *mmdma_fs_inode(void)
{
	return alloc_anon_inode(mmdma_mnt->mnt_sb);
}

/* A file on @inode; on success the file owns the inode reference. */
struct file *mmdma_fs_file(struct inode *inode, const char *name, int flags,
			   const struct file_operations *fops)
{
	return alloc_file_pseudo(inode, mmdma_mnt, name, flags, fops);
}
