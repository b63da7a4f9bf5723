// SPDX-License-Identifier: GPL-2.0
/*
 * The generic PCI provider (mmdma_pci.ko, docs/pci.md, issue 13 part 2):
 * QEMU's edu is taken from mmdma-edu and bound to mmdma-pci by
 * driver_override, then driven by a user-space driver written here: BAR 0
 * mapped through /dev/mmdma-pci0, a named coherent buffer and an attached
 * streaming buffer made for the device, their bus addresses written into
 * edu's DMA registers, the interrupt waited for by a blocking read(2) of
 * the node, the memory synced and checked byte for byte.  The node's
 * interrupt events are also checked through poll(2) with write(2)
 * acknowledgements, an eventfd (MMDMA_DEV_IRQ_EVENTFD), INTx masking, a
 * signal and an unbind under a blocked reader and poller.
 *
 * Runs in the edu (28 bits, no IOMMU) and edu-iommu profiles.  The cases
 * run in order, each in its own process: the first moves edu, the last
 * gives it back to mmdma-edu for the tests after.  edu drives 28 address
 * bits, so the first case sets mmdma_pci's dma_bits to 28 (default 32);
 * the last puts 32 back.
 */
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devutil.h"

#define PCI_DEVS	"/sys/bus/pci/devices/"
#define PCI_DRV		"/sys/bus/pci/drivers/mmdma-pci"
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define PCI_PARAMS	"/sys/module/mmdma_pci/parameters/"
#define NODE		"mmdma-pci0"
#define CFS_DIR		"/sys/kernel/config/mmdma/"
#define NAMED_CLASS	"/sys/class/mmdma-named/"

/* Well inside the 4 KiB window: its last byte and length 0 abort QEMU. */
#define XFER		2048

static uint16_t pci_command(const char *bdf)
{
	char path[256];
	uint16_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVS "%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(pread(fd, &cmd, 2, PCI_COMMAND), 2);
	close(fd);
	return cmd;
}

/* Bind edu to mmdma-pci and wait for its node. */
static int bind_pci(const char *bdf)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", bdf);
	t_write_str(path, "mmdma-pci");
	t_write_str(PCI_DRV "/bind", bdf);
	while ((fd = mmdma_dev_open(NODE)) < 0 && t_deadline_sleep(&d))
		;
	ASSERT_OK(fd);
	return fd;
}

static void unbind_pci(const char *bdf)
{
	if (!strcmp(t_pci_driver(bdf), "mmdma-pci"))
		t_write_str(PCI_DRV "/unbind", bdf);
	ASSERT(!strcmp(t_pci_driver(bdf), ""));
}

/* Open the node; the case fails if edu is not bound to mmdma-pci. */
static int pci_node(void)
{
	ASSERT(!strcmp(t_pci_driver(t_edu_pci_addr()), "mmdma-pci"));
	return t_dev_or_skip(NODE);
}

/* BAR 0's first page, through the node's register window. */
static volatile uint32_t *bar0(int dev)
{
	volatile uint32_t *r = t_map(dev, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	ASSERT_EQ(r[EDU_REG_ID / 4] & 0xff, 0xed);
	return r;
}

static void wr64(volatile uint32_t *r, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)r + reg) = v;
}

/* The node opened with @flags (O_RDWR, O_RDONLY, | O_NONBLOCK). */
static int node_open(int flags)
{
	int fd = open("/dev/" NODE, flags | O_CLOEXEC);

	ASSERT_OK(fd);
	return fd;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * read(2) of the node's event count, blocking; a 10 s timer turns a lost
 * interrupt into EINTR (the handler is installed without SA_RESTART), a
 * failed case rather than a hung one.
 */
static uint32_t irq_read(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_sec = 10 } };
	struct itimerval off = { 0 };
	uint32_t n = 0;
	ssize_t r;

	ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
	r = read(fd, &n, sizeof(n));
	setitimer(ITIMER_REAL, &off, NULL);
	ASSERT_EQ(r, (ssize_t)sizeof(n));
	return n;
}

/* A write of @v (1 unmasks, 0 masks) to the node. */
static void irq_control(int fd, uint32_t v)
{
	ASSERT_EQ(write(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
}

/* poll(2) of the node for POLLIN, up to @ms: the revents. */
static short irq_poll(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM };

	ASSERT_OK(poll(&p, 1, ms));
	return p.revents;
}

/* No new event on @fd: a non-blocking read says EAGAIN. */
static void expect_no_event(int fd)
{
	uint32_t n;
	int fl = fcntl(fd, F_GETFL);

	ASSERT_OK(fl);
	ASSERT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_SYSERR(read(fd, &n, sizeof(n)), EAGAIN);
	ASSERT_OK(fcntl(fd, F_SETFL, fl));
}

static int irq_eventfd(int dev, int32_t efd)
{
	return ioctl(dev, MMDMA_DEV_IRQ_EVENTFD, &efd) ? -errno : 0;
}

/*
 * One edu DMA of XFER bytes between bus address @bus and window offset
 * @win, with its completion interrupt; returns when the interrupt has been
 * counted, the engine is idle and edu's interrupt is acknowledged.
 */
static void edu_dma(volatile uint32_t *r, uint64_t bus, uint32_t win, bool to_host)
{
	/* Opened before the DMA starts: its read waits for the next event. */
	int ev = node_open(O_RDONLY);
	uint32_t n;

	ASSERT(bus + XFER <= 1ULL << 28 && win + XFER < 4096);
	ASSERT_EQ(r[EDU_REG_CMD / 4] & EDU_RUN, 0);
	wr64(r, EDU_REG_SRC, to_host ? EDU_WINDOW + win : bus);
	wr64(r, EDU_REG_DST, to_host ? bus : EDU_WINDOW + win);
	wr64(r, EDU_REG_COUNT, XFER);
	wr64(r, EDU_REG_CMD, EDU_RUN | EDU_IRQ | (to_host ? EDU_TO_HOST : 0));
	n = irq_read(ev);
	EXPECT(n > 0);
	EXPECT_EQ(r[EDU_REG_CMD / 4] & EDU_RUN, 0);
	EXPECT_EQ(r[EDU_REG_IRQ_ST / 4], EDU_IRQ_DMA);
	r[EDU_REG_ACK / 4] = EDU_IRQ_DMA;
	/* MSI: exactly one event per DMA; nothing more is waiting. */
	expect_no_event(ev);
	close(ev);
}

/* Deterministic bytes, different per @seed. */
static uint8_t pat(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 8));
}

static void fill(volatile uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pat(i, seed);
}

static void expect_bytes(const volatile uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != pat(i, seed)) {
			ktap_fail(false, __FILE__, __LINE__,
				  "byte %zu: %#x, expected %#x", i, p[i], pat(i, seed));
			return;
		}
	}
}

static void expect_zero(const volatile uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i]) {
			ktap_fail(false, __FILE__, __LINE__, "byte %zu: %#x, expected 0",
				  i, p[i]);
			return;
		}
	}
}

/* A page buffer edu reaches (devutil.c's fillers push the allocator down). */
static int reachable_page(const struct t_dev *d)
{
	struct t_filler fill = { .n = 0 };
	int buf;

	for (;;) {
		int ret;

		buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
		ret = mmdma_buf_attach(buf, d->fd, MMDMA_DIR_BIDIRECTIONAL);
		if (ret >= 0) {
			ASSERT_OK(mmdma_buf_detach(buf, d->fd));
			break;
		}
		ASSERT_ERR(ret, ERANGE);
		close(buf);
		buf = -1;
		if (!t_filler_grow(&fill))
			break;
	}
	t_filler_release(&fill);
	ASSERT(buf >= 0);
	return buf;
}

static int cfs_set(const char *name, const char *attr, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), CFS_DIR "%s/%s", name, attr);
	return t_write_attr(path, value);
}

/* A named coherent buffer of @size for mmdma-pci0, through configfs. */
static void named_coherent(const char *name, const char *size)
{
	char path[256];

	if (access("/sys/kernel/config", F_OK))
		ktap_skip("no configfs in this kernel");
	snprintf(path, sizeof(path), CFS_DIR "%s", name);
	ASSERT_OK(mkdir(path, 0755));
	ASSERT_OK(cfs_set(name, "size", size));
	ASSERT_OK(cfs_set(name, "kind", "coherent"));
	ASSERT_OK(cfs_set(name, "device", NODE));
	ASSERT_OK(cfs_set(name, "enable", "1"));
}

static void named_remove(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), CFS_DIR "%s", name);
	EXPECT_OK(rmdir(path));
}

static uint64_t named_bus_addr(const char *name)
{
	char path[256], line[64];

	snprintf(path, sizeof(path), NAMED_CLASS "%s/bus_addr", name);
	t_read_line(path, line, sizeof(line));
	return strtoull(line, NULL, 16);
}

/* dma_bits is range-checked; then edu goes to mmdma-pci, which sets it up. */
static void edu_moves_to_mmdma_pci(void)
{
	const char *bdf = t_edu_pci_addr();
	struct mmdma_dev_info info;
	char path[256];
	int dev;

	EXPECT_ERR(t_write_attr(PCI_PARAMS "dma_bits", "23"), EINVAL);
	EXPECT_ERR(t_write_attr(PCI_PARAMS "dma_bits", "65"), EINVAL);
	EXPECT_EQ(t_read_ull(PCI_PARAMS "dma_bits"), 32);
	/* edu drives 28 bits (QEMU's default dma_mask). */
	t_write_str(PCI_PARAMS "dma_bits", "28");
	if (!strcmp(t_pci_driver(bdf), "mmdma-edu"))
		t_write_str(EDU_DRV "/unbind", bdf);
	ASSERT(!strcmp(t_pci_driver(bdf), ""));
	dev = bind_pci(bdf);
	ASSERT_OK(mmdma_dev_info(dev, &info));
	EXPECT_EQ(info.kind, MMDMA_DEV_PCI);
	EXPECT_EQ(info.mem_size, 0);
	EXPECT_EQ(info.max_op, 0);
	EXPECT(info.flags & MMDMA_DEVF_MSI);
	if (t_profile_is("iommu"))
		EXPECT(info.flags & MMDMA_DEVF_IOMMU);
	/* Bus mastering is the driver's job, not its users'. */
	EXPECT(pci_command(bdf) & PCI_COMMAND_MASTER);
	snprintf(path, sizeof(path), "/sys/class/misc/%s/dma_mask", NODE);
	t_read_line(path, path, sizeof(path));
	EXPECT(!strcmp(path, "0xfffffff\n"));
	/* No interrupt yet: nothing to read. */
	expect_no_event(dev);
	close(dev);
}

/* /sys/class/misc/mmdma-pci0/dma_mask, as a number. */
static unsigned long long node_dma_mask(void)
{
	return t_read_ull("/sys/class/misc/" NODE "/dma_mask");
}

/*
 * dma_bits is read at probe, so each device keeps the width it was bound
 * with: a write changes no bound device, the next bind takes it.  This is
 * how two devices of different widths are given theirs (set, bind; set,
 * bind).  Ends bound with 28 bits, as the cases after expect.
 */
static void dma_bits_read_at_probe_per_device(void)
{
	const char *bdf = t_edu_pci_addr();
	struct mmdma_dev_info info;
	int dev = pci_node();

	/* EXPECT, not ASSERT, up to the restore: later cases need 28 bits. */
	EXPECT_EQ(node_dma_mask(), 0xfffffffULL);
	t_write_str(PCI_PARAMS "dma_bits", "32");
	EXPECT_EQ(node_dma_mask(), 0xfffffffULL);
	EXPECT_OK(mmdma_dev_info(dev, &info));
	EXPECT_EQ(info.dma_mask, 0xfffffffULL);
	close(dev);
	unbind_pci(bdf);
	dev = bind_pci(bdf);
	EXPECT_EQ(node_dma_mask(), 0xffffffffULL);
	memset(&info, 0, sizeof(info));
	EXPECT_OK(mmdma_dev_info(dev, &info));
	EXPECT_EQ(info.dma_mask, 0xffffffffULL);
	close(dev);
	t_write_str(PCI_PARAMS "dma_bits", "28");
	unbind_pci(bdf);
	dev = bind_pci(bdf);
	EXPECT_EQ(node_dma_mask(), 0xfffffffULL);
	close(dev);
}

/*
 * No engine: transfers are EOPNOTSUPP.  read(2), write(2), poll(2) and
 * MMDMA_DEV_IRQ_EVENTFD serve interrupt events, and refuse what is wrong:
 * a read or write of other than 4 bytes EINVAL, a non-blocking read with
 * no event EAGAIN, a write on a read-only fd EBADF, a value other than 0
 * and 1 EINVAL, an eventfd ioctl with an fd that is no eventfd EINVAL, a
 * closed fd EBADF, on a write-only node fd EBADF.
 */
static void node_event_io_errors(void)
{
	int dev = pci_node(), buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int ro = node_open(O_RDONLY | O_NONBLOCK), wo = node_open(O_WRONLY);
	uint32_t v = 1;
	uint64_t big = 1;
	char c = 0;

	EXPECT_ERR(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, 0, buf, 0,
			      -1, 0, 0, 16, NULL), EOPNOTSUPP);
	EXPECT_SYSERR(pread(dev, &c, 1, 0), EINVAL);
	EXPECT_SYSERR(read(dev, &big, sizeof(big)), EINVAL);
	EXPECT_SYSERR(read(ro, &v, 0), EINVAL);
	EXPECT_SYSERR(read(ro, &v, sizeof(v)), EAGAIN);
	EXPECT_EQ(irq_poll(ro, 0), 0);
	EXPECT_SYSERR(write(ro, &v, sizeof(v)), EBADF);
	EXPECT_SYSERR(read(wo, &v, sizeof(v)), EBADF);
	v = 2;
	EXPECT_SYSERR(write(dev, &v, sizeof(v)), EINVAL);
	v = 0xffffffff;
	EXPECT_SYSERR(write(wo, &v, sizeof(v)), EINVAL);
	EXPECT_SYSERR(write(dev, &c, 1), EINVAL);
	EXPECT_SYSERR(write(dev, &big, sizeof(big)), EINVAL);
	EXPECT_ERR(irq_eventfd(dev, buf), EINVAL);
	EXPECT_ERR(irq_eventfd(dev, dev), EINVAL);
	EXPECT_ERR(irq_eventfd(dev, 1000000), EBADF);
	EXPECT_ERR(irq_eventfd(dev, -2), EBADF);
	EXPECT_ERR(irq_eventfd(wo, -1), EBADF);
	/* Removing when none is set is fine. */
	EXPECT_OK(irq_eventfd(ro, -1));
	close(wo);
	close(ro);
	close(buf);
	close(dev);
}

/* A blocked read(2) that a signal interrupts returns EINTR (no SA_RESTART). */
static void blocked_read_signal_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	int dev = pci_node();
	uint32_t n;

	ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_SYSERR(read(dev, &n, sizeof(n)), EINTR);
	close(dev);
}

struct unpriv_fds {
	int dev, buf;
};

static void unpriv_no_bar_no_addresses(void *arg)
{
	struct unpriv_fds *u = arg;
	struct mmdma_dma_seg seg;
	char path[256];

	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, u->dev, 0), EPERM);
	/* An attachment is allowed; its segment count and addresses are not told. */
	EXPECT_EQ(mmdma_buf_attach(u->buf, u->dev, MMDMA_DIR_BIDIRECTIONAL), 0);
	EXPECT_ERR(mmdma_buf_dma_addrs(u->buf, u->dev, 0, 1, &seg, NULL), EPERM);
	EXPECT_OK(mmdma_buf_detach(u->buf, u->dev));
	/* The node's permissions keep it from opening the node itself... */
	EXPECT_SYSERR(open("/dev/" NODE, O_RDONLY | O_CLOEXEC), EACCES);
	/* ...and an fd given to it gives what the fd was opened for. */
	EXPECT_OK(irq_eventfd(u->dev, -1));
	{
		uint32_t v = 1;

		EXPECT_EQ(write(u->dev, &v, sizeof(v)), (ssize_t)sizeof(v));
	}
	snprintf(path, sizeof(path), PCI_DEVS "%s/mmdma_irq_ack", t_edu_pci_addr());
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
}

/*
 * An unprivileged user: no BAR mapping (EPERM), no bus address, no open
 * of the node; with an fd it was given, the events (and the sysfs
 * acknowledgement of earlier versions is gone).
 */
static void unprivileged_no_bar_no_addresses(void)
{
	struct t_dev d = t_dev_open(NODE);
	struct unpriv_fds u = { .dev = pci_node(),
				.buf = reachable_page(&d) };
	int keep[] = { u.dev, u.buf };

	EXPECT_EQ(t_run_unprivileged(unpriv_no_bar_no_addresses, &u, keep, 2), 0);
	close(u.buf);
	close(u.dev);
	close(d.fd);
}

/* BAR 0 through the node: edu's identity and liveness registers. */
static void bar0_maps_through_the_node(void)
{
	int dev = pci_node();
	volatile uint32_t *r = bar0(dev);

	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dev, 0), EINVAL);
	EXPECT_EQ(r[EDU_REG_ID / 4], 0x010000ed);
	r[EDU_REG_LIVE / 4] = 0x12345678;
	EXPECT_EQ(r[EDU_REG_LIVE / 4], ~0x12345678U);
	munmap((void *)r, PAGE);
	close(dev);
}

/*
 * A named coherent buffer made for the device: its bus address (root)
 * programmed into edu, XFER bytes to the device and back into the second
 * page, each DMA ending with an interrupt; every byte checked.
 */
static void coherent_named_buffer_dma_roundtrip(void)
{
	int dev = pci_node(), fd;
	volatile uint32_t *r = bar0(dev);
	volatile uint8_t *p;
	uint64_t bus;

	named_coherent("pcicoh", "8k");
	bus = named_bus_addr("pcicoh");
	/* In reach of edu's 28 bits, or the creation would have failed. */
	EXPECT(bus && !(bus & (PAGE - 1)) && bus + 2 * PAGE <= 1ULL << 28);
	fd = open("/dev/mmdma-named/pcicoh", O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	p = t_map(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill(p, XFER, 11);
	EXPECT_OK(mmdma_buf_sync(fd, dev, 0, 2 * PAGE, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_DEVICE));
	edu_dma(r, bus, 0, false);
	edu_dma(r, bus + PAGE, 0, true);
	EXPECT_OK(mmdma_buf_sync(fd, dev, 0, 2 * PAGE, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_CPU));
	expect_bytes(p, XFER, 11);
	expect_zero(p + XFER, PAGE - XFER);
	expect_bytes(p + PAGE, XFER, 11);
	expect_zero(p + PAGE + XFER, PAGE - XFER);
	munmap((void *)p, 2 * PAGE);
	close(fd);
	named_remove("pcicoh");
	munmap((void *)r, PAGE);
	close(dev);
}

/*
 * A page buffer attached to the device (streaming, bidirectional): bus
 * address from MMDMA_BUF_DMA_ADDRS, syncs around each DMA, every byte.
 */
static void attached_streaming_buffer_dma_roundtrip(void)
{
	struct t_dev d = t_dev_open(NODE);
	volatile uint32_t *r = bar0(d.fd);
	struct mmdma_dma_seg seg;
	uint32_t nr = 0;
	volatile uint8_t *p;
	int buf;

	buf = reachable_page(&d);
	p = t_map(buf, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill(p, XFER, 23);
	ASSERT_EQ(mmdma_buf_attach(buf, d.fd, MMDMA_DIR_BIDIRECTIONAL), 1);
	ASSERT_EQ(mmdma_buf_dma_addrs(buf, d.fd, 0, 1, &seg, &nr), 1);
	EXPECT_EQ(nr, 1);
	EXPECT_EQ(seg.len, PAGE);
	EXPECT_OK(mmdma_buf_sync(buf, d.fd, 0, PAGE, MMDMA_DIR_TO_DEVICE,
				 MMDMA_SYNC_FOR_DEVICE));
	edu_dma(r, seg.dma_addr, 0, false);
	/* The copy lands in the second half, written by the device only. */
	edu_dma(r, seg.dma_addr + XFER, 0, true);
	EXPECT_OK(mmdma_buf_sync(buf, d.fd, 0, PAGE, MMDMA_DIR_FROM_DEVICE,
				 MMDMA_SYNC_FOR_CPU));
	expect_bytes(p, XFER, 23);
	expect_bytes(p + XFER, XFER, 23);
	EXPECT_OK(mmdma_buf_detach(buf, d.fd));
	munmap((void *)p, PAGE);
	close(buf);
	munmap((void *)r, PAGE);
	close(d.fd);
}

/*
 * MSI, poll(2) and write(2): edu's raise register makes an interrupt;
 * poll says POLLIN, read returns the next count, edu is silenced and a
 * write of 1 acknowledges (nothing to unmask with MSI); then poll finds
 * nothing.  A write of 0 masks: an interrupt raised meanwhile is held
 * back and delivered at the write of 1.
 */
static void msi_poll_and_ack(void)
{
	int dev = pci_node();
	volatile uint32_t *r = bar0(dev);
	uint32_t n;

	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_poll(dev, 10000), POLLIN | POLLRDNORM);
	n = irq_read(dev);
	EXPECT_EQ(r[EDU_REG_IRQ_ST / 4], 0x1000);
	r[EDU_REG_ACK / 4] = 0x1000;
	irq_control(dev, 1);
	EXPECT_EQ(irq_poll(dev, 100), 0);
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_read(dev), n + 1);
	r[EDU_REG_ACK / 4] = 0x1000;

	irq_control(dev, 0);
	irq_control(dev, 0);
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_poll(dev, 200), 0);
	r[EDU_REG_ACK / 4] = 0x1000;
	irq_control(dev, 1);
	EXPECT_EQ(irq_read(dev), n + 2);
	irq_control(dev, 1);
	expect_no_event(dev);
	munmap((void *)r, PAGE);
	close(dev);
}

/*
 * An eventfd (MMDMA_DEV_IRQ_EVENTFD) counts every event; a second open
 * file's eventfd too; -1 removes it; closing the node fd drops it.  At
 * most 16 per device: the 17th open file gets EBUSY, and a slot freed by
 * -1 is taken again.  epoll on the node says EPOLLIN | EPOLLRDNORM.
 */
static void eventfd_signalled_per_event(void)
{
	int dev = pci_node(), dev2 = node_open(O_RDONLY);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	volatile uint32_t *r = bar0(dev);
	struct pollfd p = { .events = POLLIN };
	uint64_t v = 0;
	uint32_t n;

	struct epoll_event ee = { .events = EPOLLIN | EPOLLRDNORM };
	int ep = epoll_create1(EPOLL_CLOEXEC), more[15];

	ASSERT_OK(efd);
	ASSERT_OK(efd2);
	ASSERT_OK(ep);
	ASSERT_OK(irq_eventfd(dev, efd));
	/* Replacing its own is no new slot. */
	ASSERT_OK(irq_eventfd(dev, efd));
	for (int i = 0; i < 15; i++) {
		more[i] = node_open(O_RDONLY);
		ASSERT_OK(irq_eventfd(more[i], efd2));
	}
	EXPECT_ERR(irq_eventfd(dev2, efd2), EBUSY);
	EXPECT_OK(irq_eventfd(more[0], -1));
	for (int i = 0; i < 15; i++)
		close(more[i]);
	ASSERT_OK(irq_eventfd(dev2, efd2));
	EXPECT_SYSERR(read(efd, &v, sizeof(v)), EAGAIN);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, dev, &ee));
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(epoll_wait(ep, &ee, 1, 10000), 1);
	EXPECT_EQ(ee.events, EPOLLIN | EPOLLRDNORM);
	close(ep);
	p.fd = efd;
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(read(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	EXPECT_EQ(v, 1);
	n = irq_read(dev);
	r[EDU_REG_ACK / 4] = 0x1000;
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_read(dev), n + 1);
	r[EDU_REG_ACK / 4] = 0x1000;
	EXPECT_EQ(read(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	EXPECT_EQ(v, 1);
	EXPECT_EQ(read(efd2, &v, sizeof(v)), (ssize_t)sizeof(v));
	EXPECT_EQ(v, 2);

	/* Removed: the next event reaches the node, not the eventfd. */
	EXPECT_OK(irq_eventfd(dev, -1));
	close(dev2);
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_read(dev), n + 2);
	r[EDU_REG_ACK / 4] = 0x1000;
	EXPECT_SYSERR(read(efd, &v, sizeof(v)), EAGAIN);
	EXPECT_SYSERR(read(efd2, &v, sizeof(v)), EAGAIN);
	close(efd2);
	close(efd);
	munmap((void *)r, PAGE);
	close(dev);
}

/*
 * INTx (msi=0 at probe): the kernel masks the line at each interrupt
 * (PCI_COMMAND_INTX_DISABLE) until a write of 1 to the node; a write of 1
 * while edu still asserts the line counts as the next interrupt and
 * leaves it masked; a write of 0 masks it; an unbind leaves it masked.
 */
static void intx_masked_until_acknowledged(void)
{
	const char *bdf = t_edu_pci_addr();
	struct mmdma_dev_info info;
	volatile uint32_t *r;
	int dev;

	unbind_pci(bdf);
	t_write_str(PCI_PARAMS "msi", "0");
	dev = bind_pci(bdf);
	t_write_str(PCI_PARAMS "msi", "1");
	ASSERT_OK(mmdma_dev_info(dev, &info));
	EXPECT_EQ(info.flags & (MMDMA_DEVF_MSI | MMDMA_DEVF_INTX), MMDMA_DEVF_INTX);
	r = bar0(dev);
	expect_no_event(dev);
	/* The previous unbind left INTx masked; this probe opened it. */
	EXPECT_EQ(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE, 0);

	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_read(dev), 1);
	EXPECT(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE);
	/* edu still asserts: the acknowledgement finds the next interrupt. */
	irq_control(dev, 1);
	EXPECT_EQ(irq_read(dev), 2);
	EXPECT(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE);
	/* Silenced first, then acknowledged: unmasked, nothing counted. */
	r[EDU_REG_ACK / 4] = 0x1000;
	irq_control(dev, 1);
	expect_no_event(dev);
	EXPECT_EQ(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE, 0);
	/* Masked by a write of 0: a raise is held until the write of 1. */
	irq_control(dev, 0);
	EXPECT(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE);
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_poll(dev, 200), 0);
	irq_control(dev, 1);
	EXPECT_EQ(irq_read(dev), 3);
	EXPECT(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE);
	r[EDU_REG_ACK / 4] = 0x1000;
	irq_control(dev, 1);
	EXPECT_EQ(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE, 0);
	r[EDU_REG_RAISE / 4] = 0x1000;
	EXPECT_EQ(irq_read(dev), 4);
	/* Unbound before the ack: the line stays masked, edu still asserting. */
	unbind_pci(bdf);
	EXPECT(pci_command(bdf) & PCI_COMMAND_INTX_DISABLE);
	EXPECT_SYSERR(read(dev, &info, 4), ENODEV);
	munmap((void *)r, PAGE);
	close(dev);
	/* Back to MSI for the cases after; edu silenced through the new node. */
	dev = bind_pci(bdf);
	r = bar0(dev);
	r[EDU_REG_ACK / 4] = 0x1000;
	munmap((void *)r, PAGE);
	close(dev);
}

/* A child blocked in read(2), or in poll(2), on the node until the unbind. */
struct blocked {
	int ready;	/* pipe: the child has opened the node */
	bool poll;
};

static void blocked_child(void *arg)
{
	struct blocked *b = arg;
	int dev = node_open(O_RDONLY);
	uint32_t n;

	ASSERT_EQ(write(b->ready, "x", 1), 1);
	if (b->poll) {
		struct pollfd p = { .fd = dev, .events = POLLIN };

		EXPECT_EQ(poll(&p, 1, 20000), 1);
		EXPECT_EQ(p.revents, POLLERR | POLLHUP);
	} else {
		EXPECT_SYSERR(read(dev, &n, sizeof(n)), ENODEV);
	}
	close(dev);
}

/* Start a blocked child; returns when it sleeps (state S). */
static pid_t start_blocked(bool poll_it)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);
	int pfd[2];
	struct blocked b;
	char path[64], st[256], c;
	pid_t pid;

	ASSERT_OK(pipe(pfd));
	b.ready = pfd[1];
	b.poll = poll_it;
	pid = t_fork(blocked_child, &b);
	ASSERT(pid > 0);
	close(pfd[1]);
	ASSERT_EQ(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		t_read_line(path, st, sizeof(st));
		if (strstr(st, ") S ") || !t_deadline_sleep(&d))
			break;
	}
	EXPECT(strstr(st, ") S ") != NULL);
	return pid;
}

/*
 * Unbinding mmdma-pci with a buffer attached, coherent memory (a buffer
 * fd, and a named buffer where configfs exists) and BAR 0 mapped: the
 * mappings raise SIGBUS, every call on the node, the attachment and the
 * coherent buffers ENODEV; nothing leaks and the log stays clean.
 */
static void unbind_while_in_use_enodev(void)
{
	const char *bdf = t_edu_pci_addr();
	struct t_dev d = t_dev_open(NODE);
	unsigned int nbufs = t_nr_buffers();
	int kmsg = kmsg_open(), buf, named = -1, coh;
	volatile uint32_t *r = bar0(d.fd);
	volatile uint8_t *p = NULL, *q;
	struct mmdma_dev_info info;
	struct mmdma_dma_seg seg;
	bool cfs = !access(CFS_DIR, F_OK);
	int efd = eventfd(0, EFD_CLOEXEC);
	pid_t reader, poller;
	uint32_t n = 1;
	uint64_t v;
	char c;

	buf = reachable_page(&d);
	ASSERT_EQ(mmdma_buf_attach(buf, d.fd, MMDMA_DIR_BIDIRECTIONAL), 1);
	coh = mmdma_alloc_dev(t_ctl(), PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP,
			      MMDMA_ALLOC_DEVICE, d.fd);
	ASSERT_OK(coh);
	q = t_map(coh, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	q[0] = 1;
	/* The debug kernel has no configfs: the rest runs without it. */
	if (cfs) {
		named_coherent("pcigone", "4k");
		named = open("/dev/mmdma-named/pcigone", O_RDWR | O_CLOEXEC);
		ASSERT_OK(named);
		p = t_map(named, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		p[0] = 1;
	}

	/* An eventfd the unbind must let go of (kmemleak would tell). */
	ASSERT_OK(efd);
	ASSERT_OK(irq_eventfd(d.fd, efd));
	reader = start_blocked(false);
	poller = start_blocked(true);

	unbind_pci(bdf);
	EXPECT_EQ(t_wait(reader), 0);
	EXPECT_EQ(t_wait(poller), 0);
	EXPECT_SYSERR(read(d.fd, &n, sizeof(n)), ENODEV);
	EXPECT_SYSERR(write(d.fd, &n, sizeof(n)), ENODEV);
	EXPECT_EQ(irq_poll(d.fd, 0), POLLERR | POLLHUP);
	EXPECT_ERR(irq_eventfd(d.fd, efd), ENODEV);
	close(efd);
	EXPECT(t_read_sigbus(r, 4, &v));
	EXPECT(t_read_sigbus(q, 1, &v));
	EXPECT_SYSERR(pread(coh, &c, 1, 0), ENODEV);
	if (cfs) {
		EXPECT(t_read_sigbus(p, 1, &v));
		EXPECT_SYSERR(pread(named, &c, 1, 0), ENODEV);
	}
	EXPECT_ERR(mmdma_dev_info(d.fd, &info), ENODEV);
	EXPECT_SYSERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d.fd, 0), ENODEV);
	EXPECT_ERR(mmdma_buf_dma_addrs(buf, d.fd, 0, 1, &seg, NULL), ENODEV);
	EXPECT_ERR(mmdma_buf_sync(buf, d.fd, 0, PAGE, MMDMA_DIR_BIDIRECTIONAL,
				  MMDMA_SYNC_FOR_CPU), ENODEV);
	/* An attachment whose device went can still be detached. */
	EXPECT_OK(mmdma_buf_detach(buf, d.fd));
	if (cfs) {
		munmap((void *)p, PAGE);
		close(named);
		named_remove("pcigone");
	}
	munmap((void *)q, PAGE);
	close(coh);
	munmap((void *)r, PAGE);
	close(buf);
	close(d.fd);
	EXPECT_EQ(t_nr_buffers(), nbufs);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
}

/* edu goes back to mmdma-edu and its node works, for the tests after. */
static void edu_returns_to_mmdma_edu(void)
{
	const char *bdf = t_edu_pci_addr();
	char path[256];
	struct mmdma_dev_info info;
	int fd;

	unbind_pci(bdf);
	snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", bdf);
	t_write_str(path, "\n");
	t_write_str(PCI_PARAMS "dma_bits", "32");
	fd = t_edu_rebind(bdf);
	EXPECT_OK(mmdma_dev_info(fd, &info));
	EXPECT_EQ(info.kind, MMDMA_DEV_EDU);
	/* A provider without events: no eventfd, poll as for any file. */
	EXPECT_ERR(irq_eventfd(fd, -1), EOPNOTSUPP);
	EXPECT_EQ(irq_poll(fd, 0), POLLIN | POLLRDNORM);
	close(fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(edu_moves_to_mmdma_pci),
	KTAP_CASE(dma_bits_read_at_probe_per_device),
	KTAP_CASE(node_event_io_errors),
	KTAP_CASE(blocked_read_signal_eintr),
	KTAP_CASE(unprivileged_no_bar_no_addresses),
	KTAP_CASE(bar0_maps_through_the_node),
	KTAP_CASE(coherent_named_buffer_dma_roundtrip),
	KTAP_CASE(attached_streaming_buffer_dma_roundtrip),
	KTAP_CASE(msi_poll_and_ack),
	KTAP_CASE(eventfd_signalled_per_event),
	KTAP_CASE(intx_masked_until_acknowledged),
	KTAP_CASE(unbind_while_in_use_enodev),
	KTAP_CASE(edu_returns_to_mmdma_edu),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
