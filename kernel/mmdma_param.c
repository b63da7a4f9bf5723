// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: module parameters with ranges.
 *
 * A value out of range is refused where it is given: at load (the
 * module does not load, EINVAL) and through /sys/module/MODULE/parameters/
 * (the write fails with EINVAL), each time with a log line saying which
 * range was broken.  Size parameters read K, M, G, T, P, E suffixes (powers
 * of 1024) the way memparse() does, but strictly: digits first, one suffix,
 * nothing after, and a value that does not fit 64 bits is refused rather
 * than wrapped.  The ranges are listed in docs/abi.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "mmdma.h"

/* A size: decimal, 0x-hex or 0-octal digits, one optional suffix. */
static int mmdma_param_parse_size(const char *val, size_t len, u64 *out)
{
	static const char suffixes[] = "KMGTPE";
	unsigned int shift = 0;
	const char *s;
	char buf[32];
	u64 v;

	if (!len || len >= sizeof(buf) || !isdigit(val[0]))
		return -EINVAL;
	memcpy(buf, val, len);
	buf[len] = '\0';
	s = strchr(suffixes, toupper(buf[len - 1]));
	if (s && *s) {
		shift = 10 * (s - suffixes + 1);
		buf[len - 1] = '\0';
	}
	if (kstrtoull(buf, 0, &v))
		return -EINVAL;
	if (v > (U64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int mmdma_param_store(const struct kernel_param *kp, const char *val,
			     int len, u64 v)
{
	const struct mmdma_param_range *r = kp->arg;
	u64 max = r->is_uint ? min_t(u64, r->max, UINT_MAX) :
		  min_t(u64, r->max, ULONG_MAX);

	if (v == 0 && r->zero_ok)
		goto store;
	if (v < r->min || v > max) {
		pr_err("%s=%.*s refused: the range is %llu to %llu%s (%s)\n",
		       kp->name, len, val, r->min, max,
		       r->zero_ok ? ", or 0" : "", r->why);
		return -EINVAL;
	}
	if (r->page_aligned && !PAGE_ALIGNED(v)) {
		pr_err("%s=%.*s refused: not a multiple of the page size, %lu (%s)\n",
		       kp->name, len, val, PAGE_SIZE, r->why);
		return -EINVAL;
	}
store:
	if (r->is_uint)
		WRITE_ONCE(*(unsigned int *)r->value, (unsigned int)v);
	else
		WRITE_ONCE(*(unsigned long *)r->value, (unsigned long)v);
	return 0;
}

/* The value without the newline a write to sysfs brings along. */
static int mmdma_param_len(const char *val)
{
	return (int)min_t(size_t, strcspn(val, "\n"), 64);
}

static int mmdma_param_set_size(const char *val, const struct kernel_param *kp)
{
	int len = mmdma_param_len(val);
	u64 v;

	if (mmdma_param_parse_size(val, strcspn(val, "\n"), &v)) {
		pr_err("%s=%.*s refused: not a size in bytes (digits with an optional K, M, G, T, P or E suffix, below 2^64)\n",
		       kp->name, len, val);
		return -EINVAL;
	}
	return mmdma_param_store(kp, val, len, v);
}

static int mmdma_param_set_uint(const char *val, const struct kernel_param *kp)
{
	int len = mmdma_param_len(val);
	unsigned int v;

	if (kstrtouint(val, 0, &v)) {
		pr_err("%s=%.*s refused: not a number of 32 bits or less\n",
		       kp->name, len, val);
		return -EINVAL;
	}
	return mmdma_param_store(kp, val, len, v);
}

static int mmdma_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct mmdma_param_range *r = kp->arg;

	if (r->is_uint)
		return scnprintf(buffer, PAGE_SIZE, "%u\n",
				 READ_ONCE(*(unsigned int *)r->value));
	return scnprintf(buffer, PAGE_SIZE, "%lu\n",
			 READ_ONCE(*(unsigned long *)r->value));
}

/*
 * Exported for the providers' parameters (mmdma_param_size() and
 * mmdma_param_uint() in mmdma_provider.h): a provider module's parameters
 * are parsed with these at its load, which is why it needs the core.
 */
const struct kernel_param_ops mmdma_param_ops_size = {
	.set = mmdma_param_set_size,
	.get = mmdma_param_get,
};
MMDMA_EXPORT(mmdma_param_ops_size);

const struct kernel_param_ops mmdma_param_ops_uint = {
	.set = mmdma_param_set_uint,
	.get = mmdma_param_get,
};
MMDMA_EXPORT(mmdma_param_ops_uint);
