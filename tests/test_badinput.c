// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to the control node and to buffer fds: every case gets a clear
 * errno, leaves nothing behind, and the kernel log stays clean.
 */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "util.h"

static int kmsg;

static void start(void)
{
	kmsg = kmsg_open();
}

static void end_clean(void)
{
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
}

static struct mmdma_alloc good_req(void)
{
	return (struct mmdma_alloc){
		.size = 4 * PAGE,
		.kind = MMDMA_MEM_PAGES,
		.method = MMDMA_MAP_FAULT,
	};
}

static long alloc_raw(int ctl, struct mmdma_alloc *req)
{
	long ret = ioctl(ctl, MMDMA_IOC_ALLOC, req);

	if (ret == 0) {
		close(req->fd);
		req->fd = 0;
	}
	return ret;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ASSERT(d != NULL);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Unknown flag bits are refused, each one. */
static void alloc_unknown_flags_einval(void)
{
	int ctl = t_ctl();

	start();
	for (int bit = 0; bit < 32; bit++) {
		struct mmdma_alloc req = good_req();

		if ((1U << bit) & MMDMA_ALLOC_VALID_FLAGS)
			continue;
		req.flags = 1U << bit;
		EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	}
	end_clean();
}

/* Reserved fields, the device field and the output fd must be zero. */
static void alloc_nonzero_reserved_einval(void)
{
	int ctl = t_ctl();
	struct mmdma_alloc req;

	start();
	for (int i = 0; i < 4; i++) {
		req = good_req();
		req.reserved[i] = 1ULL << 40;
		EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	}
	req = good_req();
	req.device = 1;
	EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	req = good_req();
	req.fd = 3;
	EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	end_clean();
}

/* Unknown kinds, methods, cache modes, and pairs that cannot work. */
static void alloc_bad_kind_method_einval(void)
{
	static const struct combo bad[] = {
		{ 0, MMDMA_MAP_FAULT }, { 99, MMDMA_MAP_FAULT },
		{ MMDMA_MEM_PAGES, 0 }, { MMDMA_MEM_PAGES, 99 },
		/* remap_pfn_range() needs physically contiguous memory. */
		{ MMDMA_MEM_PAGES, MMDMA_MAP_REMAP },
		{ MMDMA_MEM_VMALLOC, MMDMA_MAP_REMAP },
	};
	int ctl = t_ctl();
	struct mmdma_alloc req;

	start();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = good_req();
		req.kind = bad[i].kind;
		req.method = bad[i].method;
		EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	}
	req = good_req();
	req.cache = 77;
	EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	end_clean();
}

/* A zero size is refused; sizes over the caps are E2BIG. */
static void alloc_sizes_checked(void)
{
	unsigned long long max = t_param_get("max_buf_size");
	int ctl = t_ctl();
	struct mmdma_alloc req;
	struct mmdma_info info;

	start();
	ASSERT_OK(mmdma_info(ctl, &info));
	EXPECT_EQ(info.max_buf_size, max);

	req = good_req();
	req.size = 0;
	EXPECT_SYSERR(alloc_raw(ctl, &req), EINVAL);
	req.size = max + 1;
	EXPECT_SYSERR(alloc_raw(ctl, &req), E2BIG);
	req.size = UINT64_MAX;
	EXPECT_SYSERR(alloc_raw(ctl, &req), E2BIG);

	req = good_req();
	req.kind = MMDMA_MEM_CONTIG;
	req.size = info.max_contig_size + 1;
	EXPECT_SYSERR(alloc_raw(ctl, &req), E2BIG);
	req.size = info.max_contig_size;
	EXPECT_OK(alloc_raw(ctl, &req));
	end_clean();
}

/* The max_buf_size module parameter is honoured when changed at run time. */
static void alloc_follows_max_buf_size_param(void)
{
	unsigned long long saved = t_param_get("max_buf_size");
	int ctl = t_ctl();
	struct mmdma_alloc req = good_req();

	start();
	t_param_set("max_buf_size", 1 << 20);
	req.size = (1 << 20) + 1;
	EXPECT_SYSERR(alloc_raw(ctl, &req), E2BIG);
	req.size = 1 << 20;
	EXPECT_OK(alloc_raw(ctl, &req));

	/* Even with no cap, sizes that cannot exist fail cleanly. */
	t_param_set("max_buf_size", UINT64_MAX);
	req.size = UINT64_MAX;
	EXPECT_SYSERR(alloc_raw(ctl, &req), ENOMEM);
	req.size = UINT64_MAX - PAGE + 2;
	EXPECT_SYSERR(alloc_raw(ctl, &req), ENOMEM);
	t_param_set("max_buf_size", saved);
	end_clean();
}

/* The total cap counts live buffers and frees their share when they go. */
static void alloc_over_max_total_enomem(void)
{
	unsigned long long saved = t_param_get("max_total");
	int ctl = t_ctl();
	struct mmdma_info info;
	int a, b;

	start();
	ASSERT_OK(mmdma_info(ctl, &info));
	t_param_set("max_total", info.total + (1 << 20));
	a = mmdma_alloc(ctl, 768 << 10, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	EXPECT_OK(a);
	EXPECT_ERR(mmdma_alloc(ctl, 512 << 10, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0),
		   ENOMEM);
	close(a);
	b = mmdma_alloc(ctl, 512 << 10, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	EXPECT_OK(b);
	close(b);
	t_param_set("max_total", saved);
	end_clean();
}

/* More memory than the machine has: ENOMEM at once, no OOM kill, no warning. */
static void alloc_more_than_ram_enomem(void)
{
	unsigned long long saved = t_param_get("max_buf_size");
	unsigned long long saved_total = t_param_get("max_total");
	int ctl = t_ctl();
	struct sysinfo si;

	start();
	ASSERT_OK(sysinfo(&si));
	t_param_set("max_buf_size", UINT64_MAX);
	t_param_set("max_total", UINT64_MAX);
	EXPECT_ERR(mmdma_alloc(ctl, (uint64_t)si.totalram * si.mem_unit * 2,
			       MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0), ENOMEM);
	t_param_set("max_buf_size", saved);
	t_param_set("max_total", saved_total);
	end_clean();
}

/* Unknown commands are ENOTTY on both kinds of fd. */
static void unknown_ioctl_enotty(void)
{
	int ctl = t_ctl();
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	char arg[64] = { 0 };

	start();
	EXPECT_SYSERR(ioctl(ctl, _IOR(MMDMA_IOC_MAGIC, 0x3f, arg), arg), ENOTTY);
	EXPECT_SYSERR(ioctl(ctl, _IO('X', 1)), ENOTTY);
	/* A buffer command on the control node, and the other way round. */
	EXPECT_SYSERR(ioctl(ctl, MMDMA_BUF_INFO, arg), ENOTTY);
	EXPECT_SYSERR(ioctl(buf, MMDMA_IOC_INFO, arg), ENOTTY);
	/* The right number with the wrong direction. */
	EXPECT_SYSERR(ioctl(buf, _IOW(MMDMA_IOC_MAGIC, 0x40, struct mmdma_buf_info), arg),
		      ENOTTY);
	close(buf);
	end_clean();
}

/*
 * Bad pointers: EFAULT, and a failed ALLOC leaves no fd and no buffer,
 * even when only the copy of the result back to user space fails.
 */
static void bad_pointers_efault_and_leak_nothing(void)
{
	int ctl = t_ctl();
	struct mmdma_info info;
	struct mmdma_alloc *ro;
	unsigned int nr;
	int fds;

	start();
	fds = count_fds();
	ASSERT_OK(mmdma_info(ctl, &info));
	nr = info.nr_buffers;
	EXPECT_SYSERR(ioctl(ctl, MMDMA_IOC_ALLOC, NULL), EFAULT);
	EXPECT_SYSERR(ioctl(ctl, MMDMA_IOC_INFO, (void *)8), EFAULT);

	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(ro != MAP_FAILED);
	*ro = good_req();
	ASSERT_OK(mprotect(ro, PAGE, PROT_READ));
	EXPECT_SYSERR(ioctl(ctl, MMDMA_IOC_ALLOC, ro), EFAULT);
	EXPECT_EQ(count_fds(), fds);
	ASSERT_OK(mmdma_info(ctl, &info));
	EXPECT_EQ(info.nr_buffers, nr);
	munmap(ro, PAGE);
	end_clean();
}

/*
 * Struct growth: a bigger struct from a newer caller is accepted when the
 * unknown tail is zero and refused (E2BIG) when it asks for more; a struct
 * smaller than version 1 is EINVAL.
 */
static void struct_size_rules(void)
{
	struct {
		struct mmdma_alloc req;
		uint64_t tail[2];
	} big = { 0 };
	int ctl = t_ctl();
	unsigned long cmd_big = _IOC(_IOC_READ | _IOC_WRITE, MMDMA_IOC_MAGIC, 0x01,
				     sizeof(big));
	unsigned long cmd_small = _IOC(_IOC_READ | _IOC_WRITE, MMDMA_IOC_MAGIC, 0x01,
				       sizeof(struct mmdma_alloc) - 8);

	start();
	big.req = good_req();
	EXPECT_OK(ioctl(ctl, cmd_big, &big));
	EXPECT(big.req.fd > 0);
	close(big.req.fd);

	big.req = good_req();
	big.tail[1] = 1;
	EXPECT_SYSERR(ioctl(ctl, cmd_big, &big), E2BIG);
	big.req = good_req();
	EXPECT_SYSERR(ioctl(ctl, cmd_small, &big), EINVAL);
	end_clean();
}

/* MMDMA_BUF_FILL checks its range, flags and reserved fields. */
static void fill_bad_range_einval(void)
{
	int buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_buf_fill f = { .offset = 0, .length = PAGE };

	start();
	EXPECT_ERR(mmdma_buf_fill(buf, 0, 0, 1), EINVAL);
	EXPECT_ERR(mmdma_buf_fill(buf, 4 * PAGE, 1, 1), EINVAL);
	EXPECT_ERR(mmdma_buf_fill(buf, 3 * PAGE + 1, PAGE, 1), EINVAL);
	EXPECT_ERR(mmdma_buf_fill(buf, UINT64_MAX - 10, 20, 1), EINVAL);
	EXPECT_ERR(mmdma_buf_fill(buf, 1, UINT64_MAX, 1), EINVAL);
	f.flags = 1;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_FILL, &f), EINVAL);
	f.flags = 0;
	f.reserved[1] = 5;
	EXPECT_SYSERR(ioctl(buf, MMDMA_BUF_FILL, &f), EINVAL);
	EXPECT_OK(mmdma_buf_fill(buf, 4 * PAGE - 1, 1, 1));
	close(buf);
	end_clean();
}

/* read()/write() stop at the end of the buffer; a buffer never grows. */
static void read_write_stop_at_end(void)
{
	int buf = t_buf(2 * PAGE, MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT);
	char data[PAGE];

	start();
	memset(data, 7, sizeof(data));
	EXPECT_EQ(pread(buf, data, sizeof(data), 2 * PAGE), 0);
	EXPECT_SYSERR(pwrite(buf, data, sizeof(data), 2 * PAGE), ENOSPC);
	EXPECT_EQ(pwrite(buf, data, sizeof(data), 2 * PAGE - 10), 10);
	EXPECT_EQ(pread(buf, data, sizeof(data), 2 * PAGE - 100), 100);
	EXPECT_SYSERR(pread(buf, data, 1, -1), EINVAL);
	EXPECT_EQ(lseek(buf, 0, SEEK_END), 2 * PAGE);
	EXPECT_SYSERR(lseek(buf, 1, SEEK_END), EINVAL);
	EXPECT_SYSERR(lseek(buf, -1, SEEK_SET), EINVAL);
	close(buf);
	end_clean();
}

/* read() into read-only or unmapped memory and write() from unmapped memory. */
static void read_write_bad_user_memory_efault(void)
{
	int buf = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	start();
	ASSERT(ro != MAP_FAILED && gone != MAP_FAILED);
	munmap(gone, PAGE);
	EXPECT_SYSERR(pread(buf, ro, PAGE, 0), EFAULT);
	EXPECT_SYSERR(pread(buf, gone, PAGE, 0), EFAULT);
	EXPECT_SYSERR(pwrite(buf, gone, PAGE, 0), EFAULT);
	munmap(ro, PAGE);
	close(buf);
	end_clean();
}

/* The control node is not mappable. */
static void control_node_mmap_enodev(void)
{
	int ctl = t_ctl();

	start();
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ctl, 0), ENODEV);
	end_clean();
}

static const struct ktap_case cases[] = {
	KTAP_CASE(alloc_unknown_flags_einval),
	KTAP_CASE(alloc_nonzero_reserved_einval),
	KTAP_CASE(alloc_bad_kind_method_einval),
	KTAP_CASE(alloc_sizes_checked),
	KTAP_CASE(alloc_follows_max_buf_size_param),
	KTAP_CASE(alloc_over_max_total_enomem),
	KTAP_CASE(alloc_more_than_ram_enomem),
	KTAP_CASE(unknown_ioctl_enotty),
	KTAP_CASE(bad_pointers_efault_and_leak_nothing),
	KTAP_CASE(struct_size_rules),
	KTAP_CASE(fill_bad_range_einval),
	KTAP_CASE(read_write_stop_at_end),
	KTAP_CASE(read_write_bad_user_memory_efault),
	KTAP_CASE(control_node_mmap_enodev),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
