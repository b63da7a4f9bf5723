// SPDX-License-Identifier: GPL-2.0
/*
 * Memory kinds beyond the page allocator: coherent memory of a DMA device
 * (dma_alloc_coherent(), revoked when the device goes away) and the
 * reserved region (memmap= at boot, the module's reserved_base and
 * reserved_size).  Cases that need what a profile lacks (edu, a reserved
 * region) are skipped, with the reason.  The limits every kind obeys are in
 * test_limits.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devutil.h"
#include "util.h"

#define SOFT		"mmdma-soft0"
#define EDU		"mmdma-edu0"
#define EDU_SYSFS	"/sys/class/misc/" EDU
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu/"

static int coherent(int dev, uint64_t size)
{
	int ctl = t_ctl();
	int fd = mmdma_alloc_dev(ctl, size, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP,
				 0, dev);

	close(ctl);
	ASSERT_OK(fd);
	return fd;
}

static int raw_alloc(struct mmdma_alloc *req)
{
	int ctl = t_ctl(), ret;

	req->fd = 0;
	ret = ioctl(ctl, MMDMA_IOC_ALLOC, req) ? -errno : req->fd;

	close(ctl);
	if (ret >= 0)
		close(ret);
	return ret;
}

static int xfer(int dev, uint32_t op, int src, uint64_t soff, int dst,
		uint64_t doff, uint64_t devoff, uint64_t len, struct mmdma_xfer *out)
{
	return t_xfer_dma(dev, op, MMDMA_DMA_AUTO, 0, src, soff, dst, doff,
			  devoff, len, out);
}

/* Bad requests for coherent memory fail with the errno the ABI names. */
static void coherent_bad_input_rejected(void)
{
	int dev = t_dev_or_skip(SOFT), ctl = t_ctl();
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct mmdma_alloc req = {
		.size = PAGE, .kind = MMDMA_MEM_COHERENT,
		.method = MMDMA_MAP_REMAP,
	};

	EXPECT(t_ctl_info().features & MMDMA_FEAT_MEM_COHERENT);
	EXPECT_ERR(raw_alloc(&req), EINVAL);		/* no device named */
	req.device = dev;
	EXPECT_ERR(raw_alloc(&req), EINVAL);		/* device without the flag */
	req.flags = MMDMA_ALLOC_DEVICE;
	EXPECT_OK(raw_alloc(&req));
	req.flags = 1U << 2;
	EXPECT_ERR(raw_alloc(&req), EINVAL);		/* unknown flag */
	req.flags = MMDMA_ALLOC_DEVICE;
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_FAULT, 0, dev), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_INSERT, 0, dev), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0, dev), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, ctl), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, buf), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, null), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, 9999), EBADF);
	EXPECT_ERR(mmdma_alloc_dev(ctl, 0, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, dev), EINVAL);
	EXPECT_ERR(mmdma_alloc_dev(ctl, t_ctl_info().max_contig_size + 1,
				   MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, dev), E2BIG);
	close(null);
	close(buf);
	close(ctl);
	close(dev);
}

/* Map, write(), read(), FILL: every path sees the same bytes. */
static void coherent_data_paths_agree(const char *name)
{
	int dev = t_dev_or_skip(name);
	size_t size = 3 * PAGE + 5, len = 4 * PAGE;
	int fd = coherent(dev, size);
	struct mmdma_buf_info info = t_info(fd);
	uint8_t *p, *buf = malloc(len);
	uint64_t phys;

	ASSERT(buf != NULL);
	EXPECT_EQ(info.kind, MMDMA_MEM_COHERENT);
	EXPECT_EQ(info.size, len);
	EXPECT_SYSERR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), EINVAL);
	p = t_map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	for (size_t i = 0; i < len; i++)
		if (p[i]) {
			ktap_fail(false, __FILE__, __LINE__, "byte %zu not zeroed", i);
			break;
		}
	ASSERT_OK(mmdma_buf_fill(fd, 7, len - 9, 41));
	t_expect_pattern(p + 7, 7, len - 9, 41);
	mmdma_pattern_fill(p + 1, 1, len - 1, 42);
	ASSERT_EQ(pread(fd, buf, len, 0), (ssize_t)len);
	t_expect_pattern(buf + 1, 1, len - 1, 42);
	mmdma_pattern_fill(buf, 0, 1000, 43);
	ASSERT_EQ(pwrite(fd, buf, 1000, PAGE + 3), 1000);
	t_expect_pattern(p + PAGE + 3, 0, 1000, 43);
	/* The device's address is the DMA handle: no physical one to give. */
	if (geteuid() == 0)
		EXPECT_ERR(mmdma_buf_phys(fd, 0, 1, &phys), EINVAL);
	EXPECT_EQ(t_live_maps(fd), 1);
	munmap(p, len);
	free(buf);
	close(fd);
	close(dev);
}

static void coherent_soft_data_paths_agree(void)
{
	coherent_data_paths_agree(SOFT);
}

static void coherent_edu_data_paths_agree(void)
{
	coherent_data_paths_agree(EDU);
}

/*
 * A device moves its own coherent memory by its DMA handle: nothing is
 * mapped or bounced, and consecutive offsets give consecutive bus addresses.
 */
static void coherent_xfer_on_own_device(const char *name, size_t len)
{
	int dev = t_dev_or_skip(name);
	int a = coherent(dev, 2 * PAGE), b = coherent(dev, 2 * PAGE);
	int pages = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_xfer x0, x1;
	struct mmdma_dev_info before, after;
	uint8_t *pa = t_map(a, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint8_t *pb = t_map(b, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint8_t *check = malloc(len);

	ASSERT(check != NULL);
	ASSERT_OK(mmdma_dev_info(dev, &before));
	mmdma_pattern_fill(pa, 0, 2 * PAGE, 51);
	ASSERT_OK(xfer(dev, MMDMA_XFER_TO_DEV, a, 0, -1, 0, 0, len, &x0));
	ASSERT_OK(xfer(dev, MMDMA_XFER_TO_DEV, a, 100, -1, 0, 0, len, &x1));
	EXPECT_EQ(x1.bus_addr - x0.bus_addr, 100);
	EXPECT_EQ(x0.bounced, 0);
	EXPECT_EQ(x0.ops, (len + before.max_op - 1) / before.max_op);
	/* Device memory now holds a[100..]: bring it into b and into pages. */
	ASSERT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, -1, 0, b, 17, 0, len, NULL));
	t_expect_pattern(pb + 17, 100, len, 51);
	ASSERT_OK(mmdma_dev_info(dev, &after));
	EXPECT_EQ(after.bounces, before.bounces);
	ASSERT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, -1, 0, pages, 1, 0, len, NULL));
	ASSERT_EQ(pread(pages, check, len, 1), (ssize_t)len);
	t_expect_pattern(check, 100, len, 51);
	/* Round trip pages -> coherent, any length. */
	ASSERT_OK(mmdma_buf_fill(pages, 0, 2 * PAGE, 52));
	ASSERT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, pages, 3, a, 5, 0, 2 * PAGE - 8, NULL));
	t_expect_pattern(pa + 5, 3, 2 * PAGE - 8, 52);
	free(check);
	munmap(pa, 2 * PAGE);
	munmap(pb, 2 * PAGE);
	close(pages);
	close(a);
	close(b);
	close(dev);
}

static void coherent_soft_xfer_by_dma_handle(void)
{
	coherent_xfer_on_own_device(SOFT, 3000);
}

static void coherent_edu_xfer_by_dma_handle(void)
{
	coherent_xfer_on_own_device(EDU, 3000);
}

/* Coherent memory of one device is refused by another. */
static void coherent_of_other_device_einval(void)
{
	int soft = t_dev_or_skip(SOFT), edu = t_dev_or_skip(EDU);
	int a = coherent(soft, PAGE), pages = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	EXPECT_ERR(xfer(edu, MMDMA_XFER_TO_DEV, a, 0, -1, 0, 0, 64, NULL), EINVAL);
	EXPECT_ERR(xfer(edu, MMDMA_XFER_ROUNDTRIP, pages, 0, a, 0, 0, 64, NULL), EINVAL);
	EXPECT_OK(xfer(soft, MMDMA_XFER_TO_DEV, a, 0, -1, 0, 0, 64, NULL));
	close(pages);
	close(a);
	close(edu);
	close(soft);
}

/*
 * Ownership hand-overs on coherent memory are valid no-ops: a sync for the
 * buffer's own device succeeds in every direction, around transfers whose
 * data arrive exact; the range and fields are still checked, and another
 * device's sync is EINVAL.
 */
static void coherent_sync_is_noop(void)
{
	int soft = t_dev_or_skip(SOFT), edu = mmdma_dev_open(EDU);
	int a = coherent(soft, 2 * PAGE), b = coherent(soft, 2 * PAGE);
	static const uint32_t dirs[] = {
		MMDMA_DIR_BIDIRECTIONAL, MMDMA_DIR_TO_DEVICE, MMDMA_DIR_FROM_DEVICE,
	};
	uint8_t *check = malloc(3000);

	ASSERT(check != NULL);
	ASSERT_OK(mmdma_buf_fill(a, 0, 2 * PAGE, 61));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		EXPECT_OK(mmdma_buf_sync(a, soft, 0, 2 * PAGE, dirs[i], MMDMA_SYNC_FOR_DEVICE));
		EXPECT_OK(mmdma_buf_sync(a, soft, PAGE - 1, 2, dirs[i], MMDMA_SYNC_FOR_CPU));
	}
	/* CPU wrote a: hand it to the device, move it into b, hand b back. */
	EXPECT_OK(mmdma_buf_sync(a, soft, 7, 3000, MMDMA_DIR_TO_DEVICE, MMDMA_SYNC_FOR_DEVICE));
	ASSERT_OK(xfer(soft, MMDMA_XFER_ROUNDTRIP, a, 7, b, 11, 0, 3000, NULL));
	EXPECT_OK(mmdma_buf_sync(b, soft, 11, 3000, MMDMA_DIR_FROM_DEVICE, MMDMA_SYNC_FOR_CPU));
	ASSERT_EQ(pread(b, check, 3000, 11), (ssize_t)3000);
	t_expect_pattern(check, 7, 3000, 61);
	/* Still checked: range, flags, direction; and the device. */
	EXPECT_ERR(mmdma_buf_sync(a, soft, 2 * PAGE - 1, 2, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(a, soft, 0, 0, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(a, soft, 0, 1, MMDMA_DIR_TO_DEVICE, 0), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(a, soft, 0, 1, 99, MMDMA_SYNC_FOR_CPU), EINVAL);
	EXPECT_ERR(mmdma_buf_sync(a, a, 0, 1, MMDMA_DIR_TO_DEVICE, MMDMA_SYNC_FOR_CPU), EINVAL);
	/* Another device's check needs edu: promised, it must be there. */
	if (edu < 0 && t_promised("edu"))
		EXPECT_OK(edu);
	if (edu >= 0) {
		EXPECT_ERR(mmdma_buf_sync(a, edu, 0, 1, MMDMA_DIR_TO_DEVICE,
					  MMDMA_SYNC_FOR_DEVICE), EINVAL);
		close(edu);
	}
	free(check);
	close(a);
	close(b);
	close(soft);
}

/*
 * The module has a reserved region, so the cases that cover every kind take
 * it in.  Without one they cover the others, unless the profile promises it.
 */
static bool reserved_configured(void)
{
	if (t_param_get("reserved_size"))
		return true;
	if (t_promised("reserved"))
		ktap_fail(true, __FILE__, __LINE__,
			  "reserved_size is 0, but the profile promises a reserved region");
	return false;
}

/* Each buffer's sysfs directory names its kind, the new kinds included. */
static void sysfs_names_every_kind(void)
{
	int soft = t_dev_or_skip(SOFT), ctl = t_ctl();
	int fds[5] = {
		t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT),
		t_buf(PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT),
		t_buf(PAGE, MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT),
		coherent(soft, PAGE), -1,
	};

	if (reserved_configured()) {
		fds[4] = mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0);
		ASSERT_OK(fds[4]);
	}
	for (int i = 0; i < 5 && fds[i] >= 0; i++) {
		struct mmdma_buf_info info = t_info(fds[i]);
		char path[128], line[64], want[64];

		snprintf(path, sizeof(path), "/sys/kernel/mmdma/buffers/%u/kind", info.id);
		snprintf(want, sizeof(want), "%s\n", mmdma_kind_name(info.kind));
		t_read_line(path, line, sizeof(line));
		EXPECT_EQ(strcmp(line, want), 0);
		if (strcmp(line, want))
			ktap_diag("%s says '%s', expected '%s'", path, line, want);
		close(fds[i]);
	}
	close(ctl);
	close(soft);
}

/*
 * Memory without struct pages cannot be attached (coherent memory already
 * is its device's) or exported as a dma-buf (importers map pages).
 */
static void pageless_kinds_not_attached_or_exported(void)
{
	int soft = t_dev_or_skip(SOFT), ctl = t_ctl();
	int fds[2] = { coherent(soft, PAGE), -1 };

	if (reserved_configured()) {
		fds[1] = mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0);
		ASSERT_OK(fds[1]);
	}
	for (int i = 0; i < 2 && fds[i] >= 0; i++) {
		EXPECT_ERR(mmdma_buf_attach(fds[i], soft, MMDMA_DIR_BIDIRECTIONAL), EINVAL);
		EXPECT_ERR(mmdma_buf_export(fds[i], O_RDWR | O_CLOEXEC), EINVAL);
		close(fds[i]);
	}
	close(ctl);
	close(soft);
}

/* Does touching @p raise SIGBUS? */
static bool touch_sigbus(volatile uint8_t *p)
{
	return t_read_sigbus(p, 1, NULL);
}

static int race_pipe[2];

/* Read, write, fill and map the buffer until the device is gone. */
static void coherent_user(void *arg)
{
	int fd = *(int *)arg;
	uint8_t b[300];
	bool told = false;

	for (long i = 0; i < 10000000; i++) {
		ssize_t n = pread(fd, b, sizeof(b), i % PAGE);
		int fill;
		uint8_t *p;

		if (n < 0 && errno == ENODEV)
			return;
		ASSERT_EQ(n, (ssize_t)sizeof(b));
		n = pwrite(fd, b, sizeof(b), (i * 7) % PAGE);
		ASSERT(n == (ssize_t)sizeof(b) || (n < 0 && errno == ENODEV));
		fill = mmdma_buf_fill(fd, 0, PAGE, (uint32_t)i);
		ASSERT(fill == 0 || fill == -ENODEV);
		p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT(p != MAP_FAILED || errno == ENODEV);
		if (p != MAP_FAILED) {
			/* Zapped between mmap() and here: SIGBUS, and that is fine. */
			touch_sigbus(p + PAGE);
			munmap(p, 2 * PAGE);
		}
		if (!told) {
			ASSERT_EQ(write(race_pipe[1], "r", 1), 1);
			told = true;
		}
	}
	ktap_fail(false, __FILE__, __LINE__, "the device never went away");
}

/*
 * Processes reading, writing, filling and mapping coherent buffers while
 * edu is unbound see data or ENODEV (or SIGBUS on a zapped mapping), and
 * the kernel log stays clean: revocation waits for kernel accesses.
 */
static void coherent_users_racing_unbind(void)
{
	int dev = t_dev_or_skip(EDU), kmsg = kmsg_open();
	const char *bdf = t_edu_bdf();
	int fd[3];
	pid_t pid[3];
	char c;

	ASSERT_OK(pipe(race_pipe));
	for (int i = 0; i < 3; i++) {
		fd[i] = coherent(dev, 2 * PAGE);
		pid[i] = t_fork(coherent_user, &fd[i]);
	}
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(read(race_pipe[0], &c, 1), 1);
	t_write_str(EDU_DRV "unbind", bdf);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(t_wait(pid[i]), 0);
		close(fd[i]);
	}
	close(dev);
	close(t_edu_rebind(bdf));
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/*
 * Unbinding edu takes its coherent memory away: mappings (also one whose fd
 * is closed) raise SIGBUS, the fd says ENODEV, and after rebinding the new
 * device hands out coherent memory again.
 */
static void coherent_revoked_when_device_unbound(void)
{
	int dev = t_dev_or_skip(EDU), kmsg = kmsg_open();
	const char *bdf = t_edu_bdf();
	int fd = coherent(dev, 2 * PAGE), gone = coherent(dev, PAGE);
	uint8_t *p = t_map(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint8_t *q = t_map(gone, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	struct mmdma_buf_info info;
	char c;

	close(gone);
	p[PAGE] = 9;
	q[0] = 8;
	EXPECT(!touch_sigbus(p + PAGE));
	t_write_str(EDU_DRV "unbind", bdf);
	EXPECT(touch_sigbus(p));
	EXPECT(touch_sigbus(p + PAGE));
	EXPECT(touch_sigbus(q));
	EXPECT_SYSERR(pread(fd, &c, 1, 0), ENODEV);
	EXPECT_SYSERR(pwrite(fd, &c, 1, 0), ENODEV);
	EXPECT_ERR(mmdma_buf_fill(fd, 0, 1, 1), ENODEV);
	EXPECT_ERR(mmdma_buf_info(fd, &info), ENODEV);
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0), ENODEV);
	{
		int ctl = t_ctl();

		EXPECT_ERR(mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT,
					   MMDMA_MAP_REMAP, 0, dev), ENODEV);
		close(ctl);
	}
	munmap(p, 2 * PAGE);
	munmap(q, PAGE);
	close(fd);
	close(dev);

	dev = t_edu_rebind(bdf);
	fd = coherent(dev, PAGE);
	ASSERT_OK(mmdma_buf_fill(fd, 0, PAGE, 5));
	EXPECT_OK(xfer(dev, MMDMA_XFER_TO_DEV, fd, 0, -1, 0, 0, 100, NULL));
	close(fd);
	close(dev);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

/* --- reserved region ---------------------------------------------------- */

static uint64_t reserved_size_or_skip(void)
{
	uint64_t size = t_param_get("reserved_size");

	if (!size)
		t_absent("reserved",
			 "no reserved region (boot with memmap=, load with reserved_base/size)");
	return size;
}

/* The feature bit and ENODEV follow the module parameters. */
static void reserved_follows_parameters(void)
{
	uint64_t size = t_param_get("reserved_size");
	bool feat = t_ctl_info().features & MMDMA_FEAT_MEM_RESERVED;
	int ctl = t_ctl();

	EXPECT_EQ(feat, size != 0);
	if (!size)
		EXPECT_ERR(mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0), ENODEV);
	EXPECT_ERR(mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_FAULT, 0), EINVAL);
	EXPECT_ERR(mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_INSERT, 0), EINVAL);
	close(ctl);
}

/* /proc/iomem shows the region reserved and claimed by the driver. */
static void reserved_region_claimed_in_iomem(void)
{
	uint64_t size = reserved_size_or_skip(), base = t_param_get("reserved_base");
	char line[256], name[128];
	FILE *f = fopen("/proc/iomem", "re");
	bool claimed = false, reserved = false;
	unsigned long long start, end;

	ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %llx-%llx : %127[^\n]", &start, &end, name) != 3)
			continue;
		if (!strcmp(name, "mmdma-reserved") && start == base &&
		    end == base + size - 1)
			claimed = true;
		/* The firmware map's entry (from memmap=) holds the claim. */
		if (!strcmp(name, "Reserved") && start <= base && end >= base + size - 1)
			reserved = true;
		if (!strcmp(name, "System RAM") && start <= base + size - 1 && end >= base)
			ktap_fail(false, __FILE__, __LINE__, "System RAM overlaps: %s", line);
	}
	fclose(f);
	EXPECT(claimed);
	EXPECT(reserved);
}

static uint64_t phys_of(int fd)
{
	uint64_t phys = 0;

	ASSERT_OK(mmdma_buf_phys(fd, 0, 1, &phys));
	return phys;
}

/* Quarters fill the region; it is never handed out twice; freeing refills. */
static void reserved_fills_then_enomem(void)
{
	uint64_t size = reserved_size_or_skip(), base = t_param_get("reserved_base");
	uint64_t q = size / 4, seen[4];
	int ctl = t_ctl(), fd[4];

	for (int i = 0; i < 4; i++) {
		fd[i] = mmdma_alloc(ctl, q, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0);
		ASSERT_OK(fd[i]);
		seen[i] = phys_of(fd[i]);
		EXPECT(seen[i] >= base && seen[i] + q <= base + size);
		for (int j = 0; j < i; j++)
			EXPECT(seen[i] + q <= seen[j] || seen[j] + q <= seen[i]);
	}
	EXPECT_ERR(mmdma_alloc(ctl, PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0), ENOMEM);
	EXPECT_ERR(mmdma_alloc(ctl, size + PAGE, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0), ENOMEM);
	/* A freed piece comes back, zeroed. */
	ASSERT_OK(mmdma_buf_fill(fd[2], 0, q, 61));
	close(fd[2]);
	fd[2] = mmdma_alloc(ctl, q, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0);
	ASSERT_OK(fd[2]);
	EXPECT_EQ(phys_of(fd[2]), seen[2]);
	{
		uint8_t *p = t_map(fd[2], q, PROT_READ, MAP_SHARED, 0);

		for (uint64_t i = 0; i < q; i++)
			if (p[i]) {
				ktap_fail(false, __FILE__, __LINE__, "byte %llu not zeroed",
					  (unsigned long long)i);
				break;
			}
		munmap(p, q);
	}
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	/* Empty again: the whole region in one piece. */
	fd[0] = mmdma_alloc(ctl, size, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, 0);
	EXPECT_OK(fd[0]);
	close(fd[0]);
	close(ctl);
}

/* The user mapping, read()/write() and the kernel's fill see one memory. */
static void reserved_map_and_kernel_fill_agree(void)
{
	size_t len = 5 * PAGE;
	int fd;
	uint8_t *p, *buf = malloc(len);

	reserved_size_or_skip();
	fd = t_buf(len - 100, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP);
	ASSERT(buf != NULL);
	EXPECT_SYSERR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), EINVAL);
	EXPECT_SYSERR(mmap(NULL, len + PAGE, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	p = t_map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_OK(mmdma_buf_fill(fd, 3, len - 3, 71));
	t_expect_pattern(p + 3, 3, len - 3, 71);
	mmdma_pattern_fill(p, 0, len, 72);
	ASSERT_EQ(pread(fd, buf, len, 0), (ssize_t)len);
	t_expect_pattern(buf, 0, len, 72);
	{
		/* A second mapping at an offset sees the same pages. */
		uint8_t *r = t_map(fd, 2 * PAGE, PROT_READ, MAP_SHARED, 3 * PAGE);

		t_expect_pattern(r, 3 * PAGE, 2 * PAGE, 72);
		munmap(r, 2 * PAGE);
	}
	munmap(p, len);
	free(buf);
	close(fd);
}

struct reserved_child {
	uint8_t *m;
	size_t len;
};

/* fork() copies the entries: the child sees and writes the same memory. */
static void reserved_child(void *arg)
{
	struct reserved_child *c = arg;

	t_expect_pattern(c->m, 0, c->len, 73);
	c->m[c->len - 1] = 0xa5;
}

/*
 * The mapping is VM_MIXEDMAP | VM_IO with special entries, not a PFN map
 * (docs/abi.md), and keeps the PFN map's rules: nothing can pin it
 * (process_vm_readv() of it, the software engine's direct I/O into it:
 * EFAULT; VFIO's refusal is test_vfio's), /proc/PID/mem cannot reach it
 * (EIO), it cannot grow (mremap: EFAULT), a child of fork() shares it, and
 * madvise(MADV_DONTNEED), which a PFN map refused, only drops entries the
 * next access puts back.
 */
static void reserved_mapping_unpinnable_and_shared(void)
{
	const size_t len = 4 * PAGE;
	struct reserved_child c = { .len = len };
	uint8_t *anon = malloc(len);
	struct iovec local = { .iov_base = anon, .iov_len = len }, remote;
	long long pins = t_pins_held();
	char path[64];
	int fd, soft, mem;

	reserved_size_or_skip();
	soft = t_dev_or_skip(SOFT);
	ASSERT(anon != NULL);
	fd = t_buf(len, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP);
	c.m = t_map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_OK(mmdma_buf_fill(fd, 0, len, 73));
	remote = (struct iovec){ .iov_base = c.m, .iov_len = len };

	EXPECT_SYSERR(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), EFAULT);
	EXPECT_SYSERR(pread(soft, c.m, len, 0), EFAULT);
	snprintf(path, sizeof(path), "/proc/%d/mem", getpid());
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(mem);
	EXPECT_SYSERR(pread(mem, anon, 16, (off_t)(uintptr_t)c.m), EIO);
	close(mem);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT(mremap(c.m, len, 2 * len, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EFAULT);

	EXPECT_EQ(t_wait(t_fork(reserved_child, &c)), 0);
	EXPECT_EQ(c.m[len - 1], 0xa5);
	c.m[len - 1] = mmdma_pattern_byte(73, len - 1);

	EXPECT_OK(madvise(c.m, len, MADV_DONTNEED));
	t_expect_pattern(c.m, 0, len, 73);
	/* The entries came back by the fault handler, one per page. */
	EXPECT_EQ(t_info(fd).faults, len / PAGE);
	EXPECT_EQ(t_info(fd).inserted, len / PAGE);
	munmap(c.m, len);
	close(fd);
	close(soft);
	free(anon);
}

/*
 * edu reaches the region by DMA (dma_map_resource(), no struct page
 * needed); the software engine, which copies through the linear map, is
 * refused.
 */
static void reserved_xfer_on_edu_not_soft(void)
{
	int edu, soft, r, pages;
	size_t len = 2 * PAGE;
	uint8_t *p;
	struct mmdma_xfer x;

	reserved_size_or_skip();
	edu = t_dev_or_skip(EDU);
	soft = t_dev_or_skip(SOFT);
	r = t_buf(len, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP);
	pages = t_buf(len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	p = t_map(r, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_ERR(xfer(soft, MMDMA_XFER_TO_DEV, r, 0, -1, 0, 0, 64, NULL), EINVAL);
	mmdma_pattern_fill(p, 0, len, 81);
	/* The region is in edu's reach: given to it directly, never bounced. */
	ASSERT_OK(xfer(edu, MMDMA_XFER_TO_DEV, r, 5, -1, 0, 0, 3000, &x));
	EXPECT_EQ(x.bounced, 0);
	if (geteuid() == 0) {
		struct mmdma_dev_info info;

		EXPECT_EQ(x.phys_addr, phys_of(r) + 5);
		ASSERT_OK(mmdma_dev_info(edu, &info));
		if (!(info.flags & MMDMA_DEVF_IOMMU))
			EXPECT_EQ(x.bus_addr, x.phys_addr);
	}
	ASSERT_OK(xfer(edu, MMDMA_XFER_FROM_DEV, -1, 0, r, PAGE, 0, 3000, &x));
	EXPECT_EQ(x.bounced, 0);
	t_expect_pattern(p + PAGE, 5, 3000, 81);
	mmdma_pattern_fill(p, 0, len, 81);
	ASSERT_OK(xfer(edu, MMDMA_XFER_ROUNDTRIP, r, 1, pages, 2, 0, len - 3, &x));
	{
		uint8_t *c = malloc(len);

		ASSERT(c != NULL);
		ASSERT_EQ(pread(pages, c, len, 0), (ssize_t)len);
		t_expect_pattern(c + 2, 1, len - 3, 81);
		free(c);
	}
	ASSERT_OK(mmdma_buf_fill(pages, 0, len, 82));
	ASSERT_OK(xfer(edu, MMDMA_XFER_ROUNDTRIP, pages, 0, r, 7, 0, len - 7, NULL));
	t_expect_pattern(p + 7, 0, len - 7, 82);
	munmap(p, len);
	close(pages);
	close(r);
	close(soft);
	close(edu);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(coherent_bad_input_rejected),
	KTAP_CASE(coherent_soft_data_paths_agree),
	KTAP_CASE(coherent_edu_data_paths_agree),
	KTAP_CASE(coherent_soft_xfer_by_dma_handle),
	KTAP_CASE(coherent_edu_xfer_by_dma_handle),
	KTAP_CASE(coherent_of_other_device_einval),
	KTAP_CASE(coherent_sync_is_noop),
	KTAP_CASE(sysfs_names_every_kind),
	KTAP_CASE(pageless_kinds_not_attached_or_exported),
	KTAP_CASE(reserved_follows_parameters),
	KTAP_CASE(reserved_region_claimed_in_iomem),
	KTAP_CASE(reserved_fills_then_enomem),
	KTAP_CASE(reserved_map_and_kernel_fill_agree),
	KTAP_CASE(reserved_mapping_unpinnable_and_shared),
	KTAP_CASE(reserved_xfer_on_edu_not_soft),
	/* Last: they unbind and rebind edu. */
	KTAP_CASE(coherent_users_racing_unbind),
	KTAP_CASE(coherent_revoked_when_device_unbound),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
