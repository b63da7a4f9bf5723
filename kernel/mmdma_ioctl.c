// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: the ioctl dispatcher shared by the control node and buffer fds.
 *
 * Commands are matched on type, number and direction, not on size, so a
 * struct can grow by appending fields: the kernel copies in the smaller of
 * the two sizes, insists that any user bytes beyond its own struct are zero
 * (a newer caller asking for something this kernel does not know), and
 * copies out the smaller of the two sizes.  A command that makes a new fd
 * copies out itself (mmdma_ioctl_desc.fn_fd), so that nothing can fail
 * after the fd is installed.
 */
#include <linux/uaccess.h>

#include "mmdma.h"

long mmdma_ioctl_dispatch(const struct mmdma_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg)
{
	/*
	 * Not zeroed at entry (the kernel builds with
	 * -ftrivial-auto-var-init=zero, INIT_STACK_ALL_ZERO, which would clear
	 * all 256 bytes on every call, a no-op MMDMA_BUF_SYNC's largest
	 * single cost under TCG): the command's ksize bytes are written below
	 * before anything reads them, and nothing reads past ksize.
	 */
	u64 kbuf[MMDMA_IOCTL_MAX_SIZE / sizeof(u64)] __uninitialized;
	void __user *uarg = (void __user *)arg;
	const struct mmdma_ioctl_desc *desc = NULL;
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize;
	long ret;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int c = table[i].cmd;

		if (_IOC_TYPE(c) == _IOC_TYPE(cmd) && _IOC_NR(c) == _IOC_NR(cmd) &&
		    _IOC_DIR(c) == _IOC_DIR(cmd)) {
			desc = &table[i];
			break;
		}
	}
	if (!desc)
		return -ENOTTY;

	ksize = _IOC_SIZE(desc->cmd);
	if (WARN_ON_ONCE(ksize > sizeof(kbuf)))
		return -EINVAL;
	/* A struct smaller than version 1 of it is a caller bug. */
	if (usize < ksize && usize < desc->min_size)
		return -EINVAL;

	/*
	 * Only the command's own struct: copy_struct_from_user() zero-fills
	 * what a shorter caller's struct leaves out, and nothing past ksize
	 * is read.  Clearing all of kbuf cost a third of a no-op
	 * MMDMA_BUF_SYNC under QEMU's TCG.
	 */
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(kbuf, ksize, uarg, usize);
		if (ret)
			return ret;
	} else {
		memset(kbuf, 0, ksize);
	}

	/* It copies out itself, before the fd it made is installed. */
	if (desc->fn_fd)
		return desc->fn_fd(ctx, kbuf, uarg, min(usize, ksize));

	ret = desc->fn(ctx, kbuf, uarg);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, kbuf, min(usize, ksize)))
		return -EFAULT;
	return ret;
}

/**
 * mmdma_ioctl_copy_out() - a handler's own copy-out of its whole struct
 * @uarg:     the caller's struct
 * @karg:     the kernel's copy, with every output filled in
 * @out_size: bytes to copy (the dispatcher's min(user size, kernel size))
 *
 * Return: 0, or -EFAULT when any of it is not writable (the caller then
 * undoes the call: nothing may be left behind, no fd installed).
 */
int mmdma_ioctl_copy_out(void __user *uarg, const void *karg,
			 size_t out_size)
{
	return copy_to_user(uarg, karg, out_size) ? -EFAULT : 0;
}
