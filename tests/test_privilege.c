// SPDX-License-Identifier: GPL-2.0
/*
 * test_privilege: the privilege boundaries of docs/security.md, tried by a
 * genuinely unprivileged process (another uid, no capabilities, no new
 * privileges, only the fds root passed to it: t_run_unprivileged()) and by
 * root with single capabilities dropped, with root's own view for contrast.
 *
 *  - Access mode: a read-only fd or mapping can only be a source; a
 *    transfer into a read-only dma-buf is EBADF and leaves every byte.
 *  - Disclosure: physical and bus addresses reach a caller only with
 *    CAP_SYS_ADMIN (physical) or CAP_SYS_RAWIO (bus), whatever the channel.
 *  - Nodes: 0600, so another user opens none; an fd root passes works.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/dma-heap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devutil.h"

#define RW	(PROT_READ | PROT_WRITE)

/* The fds a case hands to its unprivileged child. */
struct fds {
	int ctl, dev, buf, buf2, dmabuf, sysfs, edu;
	uint64_t phys;		/* root's view, for comparison */
	uint64_t bus;
};

static int keep_of(const struct fds *f, int *keep)
{
	const int all[] = { f->ctl, f->dev, f->buf, f->buf2, f->dmabuf,
			    f->sysfs, f->edu };
	int n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] > 2)
			keep[n++] = all[i];
	return n;
}

/* @fn(@arg) as nobody, holding only @f's fds. */
static int run_unpriv(void (*fn)(void *), void *arg, const struct fds *f)
{
	int keep[8];
	int n = keep_of(f, keep);

	return t_run_unprivileged(fn, arg, keep, (size_t)n);
}

static struct fds no_fds(void)
{
	return (struct fds){ -1, -1, -1, -1, -1, -1, -1, 0, 0 };
}

static int soft(void)
{
	return t_dev_open(T_SOFT).fd;
}

static struct t_dev soft_dev(void)
{
	return t_dev_open(T_SOFT);
}

static int xfer(int dev, uint32_t op, uint32_t dma, uint32_t flags, int src,
		uint64_t soff, int dst, uint64_t doff, uint64_t len,
		struct mmdma_xfer *out)
{
	return t_xfer_dma(dev, op, dma, flags, src, soff, dst, doff, 0, len,
			  out);
}

/* The first physical address of @buf (root). */
static uint64_t phys_of(int buf)
{
	uint64_t phys = 0;

	ASSERT_OK(mmdma_buf_phys(buf, 0, 1, &phys));
	ASSERT(phys != 0);
	return phys;
}

/* ---- who runs here --------------------------------------------------------- */

static void unpriv_is_genuine(void *arg)
{
	struct stat st;
	pid_t pid;
	int status;

	(void)arg;
	/* No way back to root. */
	EXPECT_SYSERR(setresuid(0, 0, 0), EPERM);
	EXPECT_SYSERR(setgroups(0, NULL), EPERM);
	/* Only the fds passed (none here): fd 3 is closed. */
	EXPECT_SYSERR(fcntl(3, F_GETFD), EBADF);
	/* The VM's tree is usable by another user: / is searchable ... */
	ASSERT_OK(stat("/", &st));
	EXPECT_EQ(st.st_mode & 07777, 0755);
	/* ... and a program runs. */
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		execl("/bin/busybox", "true", (char *)NULL);
		_exit(99);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* /tmp takes its files. */
	int fd = open("/tmp/unpriv-probe", O_CREAT | O_EXCL | O_RDWR, 0600);

	EXPECT(fd >= 0);
	if (fd >= 0) {
		close(fd);
		unlink("/tmp/unpriv-probe");
	}
}

/*
 * The helper really makes another user: other uid and gids, no capability,
 * no way back; the VM's root directory lets it run programs (the initramfs
 * used to be built from a 0700 mktemp directory).
 */
static void unprivileged_child_is_genuine(void)
{
	struct fds f = no_fds();

	EXPECT_EQ(run_unpriv(unpriv_is_genuine, &f, &f), 0);
}

/* ---- device nodes ------------------------------------------------------------ */

static const char *const nodes[] = { "/dev/mmdma", "/dev/" T_SOFT, "/dev/" T_EDU };

static void unpriv_open_nodes(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if (access(nodes[i], F_OK) && errno == ENOENT)
			continue;
		EXPECT_SYSERR(open(nodes[i], O_RDWR), EACCES);
		EXPECT_SYSERR(open(nodes[i], O_RDONLY), EACCES);
		EXPECT_SYSERR(open(nodes[i], O_WRONLY), EACCES);
	}
}

/* Every node is root's, mode 0600: another user opens none of them. */
static void nodes_root_only_unprivileged_open_eacces(void)
{
	struct fds f = no_fds();
	struct stat st;

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if (stat(nodes[i], &st) && errno == ENOENT)
			continue;
		ASSERT_OK(stat(nodes[i], &st));
		EXPECT(S_ISCHR(st.st_mode));
		EXPECT_EQ(st.st_mode & 07777, 0600);
		EXPECT_EQ(st.st_uid, 0);
	}
	EXPECT_EQ(run_unpriv(unpriv_open_nodes, &f, &f), 0);
}

static void unpriv_uses_passed_fds(void *arg)
{
	struct fds *f = arg;
	struct t_dev e = { .name = T_SOFT, .fd = f->dev };
	struct mmdma_xfer x;
	int a, b, c;

	ASSERT_OK(mmdma_dev_info(f->dev, &e.info));
	a = mmdma_alloc(f->ctl, 3 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);
	b = mmdma_alloc(f->ctl, 3 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_INSERT, 0);
	ASSERT_OK(a);
	ASSERT_OK(b);
	ASSERT_OK(mmdma_buf_fill(a, 0, 3 * PAGE, 41));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, 0, a, 5, b, 9, 0,
			 2 * PAGE + 100, &x));
	t_expect_copy(b, 3 * PAGE, 9, 5, 2 * PAGE + 100, 41);
	/* Coherent memory of the passed device, through the passed control. */
	c = mmdma_alloc_dev(f->ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0,
			    f->dev);
	ASSERT_OK(c);
	ASSERT_OK(mmdma_buf_fill(c, 0, PAGE, 42));
	ASSERT_OK(t_xfer(&e, MMDMA_XFER_ROUNDTRIP, 0, c, 0, a, 0, 0, PAGE, NULL));
	t_expect_pattern_at(a, 0, PAGE, 42);
	close(a);
	close(b);
	close(c);
}

/* A node root opened and passed works for transfers and allocations. */
static void passed_node_fds_work_unprivileged(void)
{
	struct fds f = no_fds();

	f.ctl = t_ctl();
	f.dev = soft();
	EXPECT_EQ(run_unpriv(unpriv_uses_passed_fds, &f, &f), 0);
}

/* ---- disclosure ------------------------------------------------------------------ */

static void unpriv_phys_dma_addrs(void *arg)
{
	struct fds *f = arg;
	struct mmdma_dma_seg seg;
	struct mmdma_buf_info info;
	uint64_t phys = 0;

	EXPECT_ERR(mmdma_buf_phys(f->buf, 0, 1, &phys), EPERM);
	EXPECT_EQ(phys, 0);
	EXPECT_ERR(mmdma_buf_dma_addrs(f->buf, f->dev, 0, 1, &seg, NULL), EPERM);
	/* What discloses nothing stays open to the holder of the fd. */
	EXPECT_OK(mmdma_buf_info(f->buf, &info));
	EXPECT_EQ(info.size, PAGE);
	EXPECT_OK(mmdma_buf_fill(f->buf, 0, PAGE, 3));
}

/* MMDMA_BUF_PHYS and MMDMA_BUF_DMA_ADDRS: root yes, the fd's holder no. */
static void phys_and_dma_addrs_refused_unprivileged(void)
{
	struct fds f = no_fds();
	struct mmdma_dma_seg seg = { 0 };

	f.dev = soft();
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_attach(f.buf, f.dev, MMDMA_DIR_TO_DEVICE));
	EXPECT(phys_of(f.buf) != 0);
	EXPECT_EQ(mmdma_buf_dma_addrs(f.buf, f.dev, 0, 1, &seg, NULL), 1);
	EXPECT(seg.dma_addr != 0);
	EXPECT_EQ(seg.len, PAGE);
	EXPECT_EQ(run_unpriv(unpriv_phys_dma_addrs, &f, &f), 0);
}

static void sysfs_path(int buf, const char *attr, char *path, size_t n)
{
	snprintf(path, n, "/sys/kernel/mmdma/buffers/%u/%s", t_info(buf).id, attr);
}

static void unpriv_sysfs(void *arg)
{
	struct fds *f = arg;
	char path[128], line[256];

	sysfs_path(f->buf, "dma_addrs", path, sizeof(path));
	EXPECT_SYSERR(open(path, O_RDONLY), EACCES);
	/* The fd root opened and passed reads nothing either. */
	EXPECT_SYSERR(pread(f->sysfs, line, sizeof(line), 0), EPERM);
	sysfs_path(f->buf, "attachments", path, sizeof(path));
	t_read_line(path, line, sizeof(line));
	EXPECT_EQ(strcmp(line, "mmdma-soft0 to-device mapped\n"), 0);
}

static void rootless_sysfs(void *arg)
{
	struct fds *f = arg;
	char path[128], line[256];
	int fd;

	t_drop_cap(CAP_SYS_RAWIO);
	sysfs_path(f->buf, "dma_addrs", path, sizeof(path));
	/* Uid 0 owns the file: the mode lets it open, the capability is gone. */
	fd = open(path, O_RDONLY);
	ASSERT_OK(fd);
	EXPECT_SYSERR(read(fd, line, sizeof(line)), EPERM);
	close(fd);
}

/*
 * buffers/<id>/dma_addrs: mode 0400 and CAP_SYS_RAWIO at read.  Another
 * user cannot open it, root without the capability cannot read it, and an
 * fd root opened and passed on reads nothing.
 */
static void sysfs_dma_addrs_need_cap_sys_rawio(void)
{
	struct fds f = no_fds();
	char path[128], line[256];
	struct stat st;
	unsigned long long addr = 0;

	f.dev = soft();
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_attach(f.buf, f.dev, MMDMA_DIR_TO_DEVICE));
	sysfs_path(f.buf, "dma_addrs", path, sizeof(path));
	ASSERT_OK(stat(path, &st));
	EXPECT_EQ(st.st_mode & 0777, 0400);
	t_read_line(path, line, sizeof(line));
	EXPECT_EQ(sscanf(line, "mmdma-soft0 to-device mapped %llx", &addr), 1);
	EXPECT(addr != 0);
	f.sysfs = open(path, O_RDONLY);
	ASSERT_OK(f.sysfs);
	EXPECT_EQ(run_unpriv(unpriv_sysfs, &f, &f), 0);
	EXPECT_EQ(t_wait(t_fork(rootless_sysfs, &f)), 0);
}

struct addr_case {
	struct fds *f;
	int drop;		/* capability to drop, or -1 */
	bool bus, phys;		/* disclosed to this caller? */
	uint32_t flags;
};

static void expect_addrs(const struct addr_case *c, const struct mmdma_xfer *x)
{
	if (!c->bus)
		EXPECT_EQ(x->bus_addr, 0);
	else if (c->f->bus)
		EXPECT_EQ(x->bus_addr, c->f->bus);
	else
		EXPECT(x->bus_addr != 0);	/* a swiotlb slot: any */
	EXPECT_EQ(x->phys_addr, c->phys ? c->f->phys : 0);
}

static void addrs_with(void *arg)
{
	struct addr_case *c = arg;
	struct mmdma_xfer x;

	if (c->drop >= 0)
		t_drop_cap(c->drop);
	ASSERT_OK(xfer(c->f->dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, c->flags,
		       c->f->buf, 0, -1, 0, PAGE, &x));
	/* The operation count goes with the bus address (CAP_SYS_RAWIO). */
	EXPECT_EQ(x.ops, c->bus ? 1 : 0);
	expect_addrs(c, &x);
	/* The destination of FROM_DEV follows the same rule. */
	ASSERT_OK(xfer(c->f->dev, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, c->flags,
		       -1, 0, c->f->buf, 0, PAGE, &x));
	EXPECT_EQ(x.ops, c->bus ? 1 : 0);
	expect_addrs(c, &x);
}

/* Root sees both; each capability dropped hides its address; nobody none. */
static void check_addrs(struct fds *f, uint32_t flags)
{
	struct addr_case root = { f, -1, true, true, flags };
	struct addr_case norawio = { f, CAP_SYS_RAWIO, false, true, flags };
	struct addr_case noadmin = { f, CAP_SYS_ADMIN, true, false, flags };
	struct addr_case nobody = { f, -1, false, false, flags };

	addrs_with(&root);
	EXPECT_EQ(t_wait(t_fork(addrs_with, &norawio)), 0);
	EXPECT_EQ(t_wait(t_fork(addrs_with, &noadmin)), 0);
	EXPECT_EQ(run_unpriv(addrs_with, &nobody, f), 0);
}

/*
 * Issue 12, item 2: MMDMA_DEV_XFER's bus_addr is written for CAP_SYS_RAWIO
 * only, phys_addr for CAP_SYS_ADMIN only.  Without an IOMMU (the software
 * engine never has one) the bus address is the physical address that
 * MMDMA_BUF_PHYS refuses to the same caller.
 */
static void xfer_addresses_need_capabilities(void)
{
	struct t_dev e = soft_dev();
	struct fds f = no_fds();

	f.dev = e.fd;
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	f.phys = phys_of(f.buf);
	EXPECT_EQ(e.info.flags & MMDMA_DEVF_IOMMU, 0);
	/* Under swiotlb=force the device sees a bounce slot, not the page. */
	f.bus = t_profile_is("swiotlb") ? 0 : f.phys;
	check_addrs(&f, 0);
}

/* The same through an attachment: its bus address is what DMA_ADDRS gives. */
static void attached_xfer_addresses_need_capabilities(void)
{
	struct fds f = no_fds();
	struct mmdma_dma_seg seg = { 0 };

	f.dev = soft();
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	f.phys = phys_of(f.buf);
	ASSERT_OK(mmdma_buf_attach(f.buf, f.dev, MMDMA_DIR_BIDIRECTIONAL));
	ASSERT_EQ(mmdma_buf_dma_addrs(f.buf, f.dev, 0, 1, &seg, NULL), 1);
	ASSERT(seg.dma_addr != 0);
	f.bus = seg.dma_addr;
	check_addrs(&f, MMDMA_XFER_ATTACHED);
}

/*
 * Coherent memory has no physical address the driver may assume:
 * phys_addr is "not written" (0) even for root, at any offset; its bus
 * address is the allocation's handle plus the offset.
 */
static void coherent_xfer_phys_addr_not_written(void)
{
	int dev = soft(), ctl = t_ctl();
	int c = mmdma_alloc_dev(ctl, 2 * PAGE, MMDMA_MEM_COHERENT,
				MMDMA_MAP_REMAP, 0, dev);
	struct mmdma_xfer x0, x1, x2;

	ASSERT_OK(c);
	ASSERT_OK(xfer(dev, MMDMA_XFER_TO_DEV, 0, 0, c, 0, -1, 0, 100, &x0));
	ASSERT_OK(xfer(dev, MMDMA_XFER_TO_DEV, 0, 0, c, PAGE + 8, -1, 0, 100, &x1));
	ASSERT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, c, PAGE, 100, &x2));
	EXPECT_EQ(x0.phys_addr, 0);
	EXPECT_EQ(x1.phys_addr, 0);
	EXPECT_EQ(x2.phys_addr, 0);
	EXPECT(x0.bus_addr != 0);
	EXPECT_EQ(x1.bus_addr - x0.bus_addr, PAGE + 8);
	EXPECT_EQ(x2.bus_addr - x0.bus_addr, PAGE);
	close(c);
	close(ctl);
}

/*
 * How many operations a transfer took, how many bytes bounced and how many
 * segments an attachment has tell which pages are physically adjacent and
 * which lie above the device's mask: only CAP_SYS_RAWIO learns them.  Two
 * pages of one buffer moved with SG take one operation exactly when they
 * are adjacent, so without the capability every count is 0.
 */
static void unpriv_counts(void *arg)
{
	struct fds *f = arg;
	struct mmdma_buf_attach a = { .dev_fd = f->dev, .dir = MMDMA_DIR_TO_DEVICE };
	struct mmdma_xfer x;

	for (uint64_t off = 0; off < 7 * PAGE; off += PAGE) {
		memset(&x, 0xff, sizeof(x));
		ASSERT_OK(xfer(f->dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, f->buf,
			       off, -1, 0, 2 * PAGE, &x));
		EXPECT_EQ(x.ops, 0);
		EXPECT_EQ(x.bounced, 0);
		EXPECT_EQ(x.bus_addr, 0);
		EXPECT_EQ(x.phys_addr, 0);
	}
	ASSERT_OK(ioctl(f->buf2, MMDMA_BUF_ATTACH, &a));
	EXPECT_EQ(a.nr_segs, 0);
}

static void xfer_counts_need_cap_sys_rawio(void)
{
	struct fds f = no_fds();
	struct mmdma_buf_attach a;
	struct mmdma_xfer x;

	f.dev = soft();
	f.buf = t_buf(8 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	f.buf2 = t_buf(8 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	/* Root, for contrast: at least one operation per transfer. */
	ASSERT_OK(xfer(f.dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, f.buf, 0, -1, 0,
		       2 * PAGE, &x));
	EXPECT(x.ops == 1 || x.ops == 2);
	EXPECT_EQ(run_unpriv(unpriv_counts, &f, &f), 0);
	/* Root with CAP_SYS_RAWIO dropped learns no more than nobody. */
	t_drop_cap(CAP_SYS_RAWIO);
	ASSERT_OK(xfer(f.dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, f.buf, 0, -1, 0,
		       2 * PAGE, &x));
	EXPECT_EQ(x.ops, 0);
	EXPECT_EQ(x.bounced, 0);
	a = (struct mmdma_buf_attach){ .dev_fd = f.dev, .dir = MMDMA_DIR_TO_DEVICE };
	ASSERT_OK(ioctl(f.buf, MMDMA_BUF_ATTACH, &a));
	EXPECT_EQ(a.nr_segs, 0);
}

/* ---- access mode -------------------------------------------------------------- */

/*
 * A device node fd is checked as read(2) and write(2) check it: a transfer
 * to the device writes device memory (the fd must be open for writing), one
 * from it reads device memory (for reading), a round trip both.  EBADF, and
 * device memory keeps what was there.
 */
static void unpriv_ro_node(void *arg)
{
	struct fds *f = arg;
	struct mmdma_xfer x;
	int b = mmdma_alloc(f->ctl, PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT, 0);

	ASSERT_OK(b);
	ASSERT_OK(mmdma_buf_fill(b, 0, PAGE, 77));
	EXPECT_EQ(xfer(f->dev, MMDMA_XFER_TO_DEV, 0, 0, b, 0, -1, 0, PAGE, &x), -EBADF);
	EXPECT_EQ(xfer(f->dev, MMDMA_XFER_ROUNDTRIP, 0, 0, b, 0, b, 0, 100, &x), -EBADF);
	/* Reading device memory is what a read-only fd is for. */
	EXPECT_EQ(xfer(f->dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, b, 0, PAGE, &x), 0);
	t_expect_pattern_at(b, 0, PAGE, 11);
	close(b);
}

static void node_fd_access_mode_checked(void)
{
	int rw = soft();
	int ro = open("/dev/" T_SOFT, O_RDONLY | O_CLOEXEC);
	int wo = open("/dev/" T_SOFT, O_WRONLY | O_CLOEXEC);
	int b = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct fds f = no_fds();
	struct mmdma_xfer x;

	ASSERT_OK(ro);
	ASSERT_OK(wo);
	/* Device memory [0, PAGE) holds pattern 11. */
	ASSERT_OK(mmdma_buf_fill(b, 0, PAGE, 11));
	ASSERT_OK(xfer(rw, MMDMA_XFER_TO_DEV, 0, 0, b, 0, -1, 0, PAGE, &x));
	ASSERT_OK(mmdma_buf_fill(b, 0, PAGE, 12));

	/* Root too: the mode of the fd, not the caller, decides. */
	EXPECT_EQ(xfer(ro, MMDMA_XFER_TO_DEV, 0, 0, b, 0, -1, 0, PAGE, &x), -EBADF);
	EXPECT_EQ(xfer(ro, MMDMA_XFER_ROUNDTRIP, 0, 0, b, 0, b, PAGE / 2, 100, &x), -EBADF);
	EXPECT_EQ(xfer(wo, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, b, 0, PAGE, &x), -EBADF);
	EXPECT_EQ(xfer(wo, MMDMA_XFER_ROUNDTRIP, 0, 0, b, 0, b, PAGE / 2, 100, &x), -EBADF);
	/* Nothing was read into the buffer, nothing written to the device. */
	t_expect_pattern_at(b, 0, PAGE, 12);
	ASSERT_OK(xfer(ro, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, b, 0, PAGE, &x));
	t_expect_pattern_at(b, 0, PAGE, 11);
	/* A write-only fd writes device memory, as write(2) on it does. */
	ASSERT_OK(mmdma_buf_fill(b, 0, PAGE, 13));
	ASSERT_OK(xfer(wo, MMDMA_XFER_TO_DEV, 0, 0, b, 0, -1, 0, PAGE, &x));
	ASSERT_OK(mmdma_buf_fill(b, 0, PAGE, 11));
	ASSERT_OK(xfer(rw, MMDMA_XFER_TO_DEV, 0, 0, b, 0, -1, 0, PAGE, &x));

	/* nobody, holding only the control fd and the read-only node fd. */
	f.ctl = t_ctl();
	f.dev = ro;
	EXPECT_EQ(run_unpriv(unpriv_ro_node, &f, &f), 0);
	ASSERT_OK(xfer(rw, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, b, 0, PAGE, &x));
	t_expect_pattern_at(b, 0, PAGE, 11);
	close(b);
	close(wo);
	close(ro);
	close(rw);
}

/* A read-only dma-buf of one page filled with @seed; the buffer fd closed. */
static int ro_dmabuf(uint32_t seed)
{
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int d;

	ASSERT_OK(mmdma_buf_fill(buf, 0, PAGE, seed));
	d = mmdma_buf_export(buf, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(d);
	close(buf);
	return d;
}

/* Device memory [0, PAGE) holds the pattern of @seed, not the buffer's. */
static void load_device(int dev, uint32_t seed)
{
	int other = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	ASSERT_OK(mmdma_buf_fill(other, 0, PAGE, seed));
	ASSERT_OK(xfer(dev, MMDMA_XFER_TO_DEV, 0, 0, other, 0, -1, 0, PAGE, NULL));
	close(other);
}

/* Every path that would write @d, a read-only dma-buf holding @seed. */
static void ro_dmabuf_refused(int dev, int d, int src, uint32_t seed)
{
	uint8_t *p;
	uint8_t page[PAGE];

	EXPECT_SYSERR(mmap(NULL, PAGE, RW, MAP_SHARED, d, 0), EACCES);
	for (uint32_t dma = MMDMA_DMA_AUTO; dma <= MMDMA_DMA_STREAM; dma++) {
		/* The access mode is checked before the method's own rules. */
		EXPECT_ERR(xfer(dev, MMDMA_XFER_FROM_DEV, dma, 0, -1, 0, d, 0,
				dma == MMDMA_DMA_POOL ? MMDMA_POOL_MAX : PAGE, NULL),
			   EBADF);
	}
	EXPECT_ERR(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, 0, src, 0, d, 0, PAGE, NULL),
		   EBADF);
	EXPECT_SYSERR(write(d, page, 16), EBADF);
	/* Every byte as it was. */
	p = t_map(d, PAGE, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(p, 0, PAGE, seed);
	EXPECT_SYSERR(mprotect(p, PAGE, RW), EACCES);
	/* A source it can be: its bytes reach another buffer. */
	ASSERT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, 0, d, 0, src, 0, PAGE, NULL));
	t_expect_pattern_at(src, 0, PAGE, seed);
	munmap(p, PAGE);
}

static void unpriv_ro_dmabuf(void *arg)
{
	struct fds *f = arg;

	ro_dmabuf_refused(f->dev, f->dmabuf, f->buf, 61);
}

/*
 * Issue 12, item 1: a dma-buf exported O_RDONLY is never a transfer's
 * destination (EBADF, every DMA method, FROM_DEV and ROUNDTRIP), for root
 * and for a process that was only handed the fds; all its bytes stay.
 */
static void readonly_dmabuf_is_not_a_destination(void)
{
	struct fds f = no_fds();
	int rw, buf;

	f.dev = soft();
	load_device(f.dev, 99);
	f.dmabuf = ro_dmabuf(61);
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ro_dmabuf_refused(f.dev, f.dmabuf, f.buf, 61);
	load_device(f.dev, 99);
	EXPECT_EQ(run_unpriv(unpriv_ro_dmabuf, &f, &f), 0);

	/* Contrast: the read-write export of the same kind of buffer is written. */
	buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	rw = mmdma_buf_export(buf, O_RDWR | O_CLOEXEC);
	ASSERT_OK(rw);
	load_device(f.dev, 99);
	ASSERT_OK(xfer(f.dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, rw, 0, PAGE, NULL));
	t_expect_pattern_at(buf, 0, PAGE, 99);
	close(rw);
	close(buf);
}

/* The same on the edu device, whose device memory is 4095 bytes. */
static void readonly_dmabuf_is_not_an_edu_destination(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	int d = ro_dmabuf(62);
	uint8_t *p;

	EXPECT_ERR(xfer(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_SG, 0, -1, 0, d, 0,
			1000, NULL), EBADF);
	EXPECT_ERR(xfer(e.fd, MMDMA_XFER_FROM_DEV, MMDMA_DMA_AUTO, 0, -1, 0, d, 0,
			64, NULL), EBADF);
	p = t_map(d, PAGE, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(p, 0, PAGE, 62);
	munmap(p, PAGE);
	close(d);
}

/* A system-heap dma-buf of one page with access mode @acc, or skip. */
static int heap_dmabuf(uint32_t acc)
{
	struct dma_heap_allocation_data a = {
		.len = PAGE, .fd_flags = acc | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0 && errno == ENOENT)
		ktap_skip("no system dma-buf heap in this kernel");
	ASSERT_OK(heap);
	ASSERT_OK(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a));
	close(heap);
	return (int)a.fd;
}

/*
 * Another exporter's dma-bufs follow the same rule: the system heap's
 * read-only dma-buf is never a destination (its bytes stay zero), its
 * write-only one never a source, its read-write one both.
 */
static void other_exporters_dmabuf_access_mode(void)
{
	int dev = soft();
	int ro = heap_dmabuf(O_RDONLY), wo = heap_dmabuf(O_WRONLY);
	int rw = heap_dmabuf(O_RDWR);
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint8_t *p;

	load_device(dev, 97);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, ro, 0, PAGE, NULL),
		   EBADF);
	p = t_map(ro, PAGE, PROT_READ, MAP_SHARED, 0);
	for (size_t i = 0; i < PAGE; i++) {
		if (p[i]) {
			ktap_fail(false, __FILE__, __LINE__,
				  "read-only heap byte %zu is %#x", i, p[i]);
			break;
		}
	}
	munmap(p, PAGE);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_TO_DEV, 0, 0, wo, 0, -1, 0, PAGE, NULL),
		   EBADF);
	EXPECT_ERR(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, 0, wo, 0, buf, 0, PAGE, NULL),
		   EBADF);
	/* Contrast: the same directions are fine where the mode allows them. */
	EXPECT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, wo, 0, PAGE, NULL));
	EXPECT_OK(xfer(dev, MMDMA_XFER_TO_DEV, 0, 0, ro, 0, -1, 0, PAGE, NULL));
	load_device(dev, 97);
	ASSERT_OK(xfer(dev, MMDMA_XFER_FROM_DEV, 0, 0, -1, 0, rw, 0, PAGE, NULL));
	ASSERT_OK(xfer(dev, MMDMA_XFER_ROUNDTRIP, 0, 0, rw, 0, buf, 0, PAGE, NULL));
	t_expect_pattern_at(buf, 0, PAGE, 97);
	close(ro);
	close(wo);
	close(rw);
	close(buf);
	close(dev);
}

/*
 * The fd's own access mode cannot be changed by reopening it: a buffer fd
 * or dma-buf reopened through /proc/self/fd fails with ENXIO (the inode
 * has no open method), read-only or read-write.  So no read-only buffer fd
 * exists for MMDMA_BUF_FILL or MMDMA_BUF_ATTACH to refuse, and no
 * read-write fd comes from a read-only dma-buf.
 */
static void fds_cannot_be_reopened_through_proc(void)
{
	int dev = soft(), ctl = t_ctl();
	int fds[5];
	char path[64];

	fds[0] = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	fds[1] = t_buf(PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
	fds[2] = mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, dev);
	ASSERT_OK(fds[2]);
	fds[3] = ro_dmabuf(5);
	fds[4] = mmdma_buf_export(fds[0], O_RDWR);
	ASSERT_OK(fds[4]);
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		EXPECT_SYSERR(open(path, O_RDONLY), ENXIO);
		EXPECT_SYSERR(open(path, O_RDWR), ENXIO);
		if (ktap_failed())
			ktap_diag("fd %d of 5", i);
		close(fds[i]);
	}
	close(ctl);
	close(dev);
}

/*
 * /proc/self/mem writes with FOLL_FORCE, the way a debugger pokes text:
 * not into a read-only shared mapping (no VM_MAYWRITE for a read-only fd).
 */
static void readonly_mapping_not_forced_writable(void)
{
	int d = ro_dmabuf(73), mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	uint8_t junk[64] = { 0 };
	uint8_t *p;

	ASSERT_OK(mem);
	p = t_map(d, PAGE, PROT_READ, MAP_SHARED, 0);
	EXPECT(pwrite(mem, junk, sizeof(junk), (off_t)(uintptr_t)p) < 0);
	t_expect_pattern(p, 0, PAGE, 73);
	munmap(p, PAGE);
	close(mem);
	close(d);
}

/* read(2) on the node into [p, p + len): the device writes that memory. */
static void dio_into_readonly(int dev, uint8_t *p, uint32_t seed)
{
	struct iovec iov[2] = { { p, 64 }, { p + 64, PAGE - 64 } };

	EXPECT_SYSERR(pread(dev, p, PAGE, 0), EFAULT);
	EXPECT_SYSERR(pread(dev, p + 100, 64, 0), EFAULT);
	EXPECT_SYSERR(preadv(dev, iov, 2, 0), EFAULT);
	t_expect_pattern(p, 0, PAGE, seed);
	/* A source it can be. */
	EXPECT_EQ(pwrite(dev, p, PAGE, 0), PAGE);
}

static void unpriv_dio(void *arg)
{
	struct fds *f = arg;
	uint8_t *p = t_map(f->buf, PAGE, PROT_READ, MAP_SHARED, 0);
	uint8_t *q = t_map(f->dmabuf, PAGE, PROT_READ, MAP_SHARED, 0);

	dio_into_readonly(f->dev, p, 71);
	dio_into_readonly(f->dev, q, 72);
}

/*
 * Direct I/O pins a read(2) destination with FOLL_WRITE: a read-only
 * mapping (of an mmdma buffer, of a read-only dma-buf) is EFAULT, for
 * every segment size (the 64-byte one goes through a pool block), and not
 * a byte changes.  A writable mapping of the same buffer takes the data.
 */
static void readonly_mapping_is_not_a_dio_destination(void)
{
	struct fds f = no_fds();
	uint8_t *p, *q, *w;

	f.dev = soft();
	load_device(f.dev, 98);
	f.buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(f.buf, 0, PAGE, 71));
	f.dmabuf = ro_dmabuf(72);
	p = t_map(f.buf, PAGE, PROT_READ, MAP_SHARED, 0);
	q = t_map(f.dmabuf, PAGE, PROT_READ, MAP_SHARED, 0);
	dio_into_readonly(f.dev, p, 71);
	dio_into_readonly(f.dev, q, 72);
	load_device(f.dev, 98);
	EXPECT_EQ(run_unpriv(unpriv_dio, &f, &f), 0);

	w = t_map(f.buf, PAGE, RW, MAP_SHARED, 0);
	load_device(f.dev, 98);
	EXPECT_EQ(pread(f.dev, w, PAGE, 0), PAGE);
	t_expect_pattern(p, 0, PAGE, 98);
	munmap(w, PAGE);
	munmap(p, PAGE);
	munmap(q, PAGE);
}

/* ---- registers, parameters, sysfs controls -------------------------------------- */

static void unpriv_bar(void *arg)
{
	struct fds *f = arg;
	struct mmdma_xfer x;

	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, f->edu, 0), EPERM);
	EXPECT_SYSERR(mmap(NULL, PAGE, RW, MAP_SHARED, f->edu, 0), EPERM);
	/* Transfers through the driver it may run, learning no address. */
	ASSERT_OK(xfer(f->edu, MMDMA_XFER_TO_DEV, MMDMA_DMA_SG, 0, f->buf, 0, -1,
		       0, 100, &x));
	EXPECT_EQ(x.bus_addr, 0);
	EXPECT_EQ(x.phys_addr, 0);
}

/*
 * The edu registers program its DMA engine: mapping them needs
 * CAP_SYS_RAWIO of the caller, even on an fd root opened and passed.
 */
static void edu_bar_needs_cap_sys_rawio_on_passed_fd(void)
{
	struct t_dev e = t_dev_open(T_EDU);
	struct fds f = no_fds();
	volatile uint32_t *bar;

	f.edu = e.fd;
	f.buf = t_reachable_buf(&e, PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	bar = t_map(f.edu, PAGE, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(bar[0], 0x010000edU);	/* the identity register */
	munmap((void *)bar, PAGE);
	EXPECT_EQ(run_unpriv(unpriv_bar, &f, &f), 0);
}

static void unpriv_controls(void *arg)
{
	static const char *const files[] = {
		"/sys/module/mmdma/parameters/reserved_base",
		"/sys/module/mmdma/parameters/max_total",
		"/sys/bus/platform/drivers/mmdma-soft/unbind",
	};

	(void)arg;
	EXPECT_SYSERR(open(files[0], O_RDONLY), EACCES);
	EXPECT_SYSERR(open(files[1], O_WRONLY), EACCES);
	EXPECT_SYSERR(open(files[2], O_WRONLY), EACCES);
}

/*
 * reserved_base is a physical address: root reads it (0400).  Another user
 * changes no parameter and unbinds nothing.
 */
static void controls_root_only(void)
{
	struct fds f = no_fds();
	struct stat st;

	ASSERT_OK(stat("/sys/module/mmdma/parameters/reserved_base", &st));
	EXPECT_EQ(st.st_mode & 0777, 0400);
	EXPECT_EQ(run_unpriv(unpriv_controls, &f, &f), 0);
}

/* The CLI as root without CAP_SYS_RAWIO, its output into @out. */
static void cli_without_rawio(void *arg)
{
	int *pipefd = arg;

	/* Root regains every capability at exec: drop it from the bounding set. */
	ASSERT_OK(prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0));
	ASSERT_OK(dup2(pipefd[1], 1));
	execl("/opt/mmdma/bin/mmdma", "mmdma", "xfer", T_SOFT, "8192", "--dma",
	      "sg", (char *)NULL);
	_exit(98);
}

/* `mmdma xfer` shows counts and a bus address only to a caller told them. */
static void cli_shows_no_bus_address_without_rawio(void)
{
	int pipefd[2];
	char out[4096] = "";
	ssize_t n, got = 0;

	/* make check always puts the CLI in the guest. */
	ASSERT_OK(access("/opt/mmdma/bin/mmdma", X_OK));
	soft();
	ASSERT_OK(pipe(pipefd));
	pid_t pid = t_fork(cli_without_rawio, pipefd);

	close(pipefd[1]);
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	EXPECT_EQ(t_wait(pid), 0);
	EXPECT(strstr(out, "data checked") != NULL);
	EXPECT(strstr(out, "operations, bouncing and bus address not disclosed (needs CAP_SYS_RAWIO)") != NULL);
	EXPECT(strstr(out, "first bus address 0x") == NULL);
	EXPECT(strstr(out, "operations 0") == NULL);
	if (ktap_failed())
		ktap_diag("output: %s", out);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(unprivileged_child_is_genuine),
	KTAP_CASE(nodes_root_only_unprivileged_open_eacces),
	KTAP_CASE(passed_node_fds_work_unprivileged),
	KTAP_CASE(phys_and_dma_addrs_refused_unprivileged),
	KTAP_CASE(sysfs_dma_addrs_need_cap_sys_rawio),
	KTAP_CASE(xfer_addresses_need_capabilities),
	KTAP_CASE(attached_xfer_addresses_need_capabilities),
	KTAP_CASE(coherent_xfer_phys_addr_not_written),
	KTAP_CASE(xfer_counts_need_cap_sys_rawio),
	KTAP_CASE(node_fd_access_mode_checked),
	KTAP_CASE(readonly_dmabuf_is_not_a_destination),
	KTAP_CASE(readonly_dmabuf_is_not_an_edu_destination),
	KTAP_CASE(other_exporters_dmabuf_access_mode),
	KTAP_CASE(fds_cannot_be_reopened_through_proc),
	KTAP_CASE(readonly_mapping_is_not_a_dio_destination),
	KTAP_CASE(readonly_mapping_not_forced_writable),
	KTAP_CASE(edu_bar_needs_cap_sys_rawio_on_passed_fd),
	KTAP_CASE(controls_root_only),
	KTAP_CASE(cli_shows_no_bus_address_without_rawio),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
