/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmdma: every kernel-version difference the driver meets, in one place.
 * Each shim names the kernel version and the change that made it necessary.
 * Supported: 6.1 (Debian 12) to 6.12 (Debian 12 security/backports).
 */
#ifndef MMDMA_COMPAT_H
#define MMDMA_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

/*
 * 6.3 made vma->vm_flags const and added vm_flags_set()/vm_flags_clear(),
 * which also take care of the per-VMA lock.  Before that, plain bit operations
 * under the mmap lock were the rule.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 6.4 made MAX_ORDER inclusive (the largest order, not one past it) and 6.8
 * renamed it MAX_PAGE_ORDER.  MMDMA_MAX_PAGE_ORDER is the largest order the
 * buddy allocator hands out, on every version.
 */
#if defined(MAX_PAGE_ORDER)
#define MMDMA_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define MMDMA_MAX_PAGE_ORDER	MAX_ORDER
#else
#define MMDMA_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

#endif /* MMDMA_COMPAT_H */
