// SPDX-License-Identifier: GPL-2.0
/*
 * The ISA DMA engine (kernel/mmdma_isa.c): QEMU's floppy controller moving
 * sectors through the 8237 with the kernel's ISA DMA API.  The host wrote
 * the 1.44 MB image in a known pattern before the boot (vm/hooks/isa.sh):
 * each little-endian 32-bit word at disk offset O holds O ^ IMG_KEY.
 * Reads are checked byte for byte against it; the writes of
 * writes_land_on_the_disk use WR_KEY in the ranges of isa_writes[], which
 * the host checks in the image file itself after the VM has gone.
 */
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devutil.h"

#define ISA		"mmdma-isa0"
#define ISA_DEV		"/dev/" ISA
#define ISA_SYSFS	"/sys/class/misc/" ISA
#define ISA_DRV		"/sys/bus/platform/drivers/mmdma-isa"
#define FLOPPY_KO	"/lib/mmdma/kmod/floppy.ko"
#define DISK		1474560ULL
#define SECT		512
#define CYL		(36 * SECT)
#define IMG_KEY		0xa5c3e10fU
#define WR_KEY		0x3c96d2b4U
#define RO_KEY		0x0f1e2d3cU	/* drive 1, write-protected */

/* What writes_land_on_the_disk writes; vm/hooks/isa.sh WRITES is the same. */
static const struct { uint64_t off, len; } isa_writes[] = {
	{ 1457152, 4096 },	/* xfer from a page buffer (bounced), aligned */
	{ 1462000, 777 },	/* pwrite, partial sectors: read-modify-write */
	{ 1465244, 300 },	/* pwrite across the head 0 / head 1 line */
	{ 1454080, 2560 },	/* xfer from coherent memory across cylinders */
	{ 1470001, 1 },		/* one byte */
	{ 1471488, 1024 },	/* io_uring write */
};

static uint8_t pat(uint32_t key, uint64_t off)
{
	uint32_t w = (uint32_t)(off & ~3ULL) ^ key;

	return (uint8_t)(w >> (8 * (off & 3)));
}

/* The image as the guest must see it (after the writes, with @written). */
static uint8_t disk_byte(uint64_t off, bool written)
{
	if (written) {
		for (size_t i = 0; i < sizeof(isa_writes) / sizeof(isa_writes[0]); i++)
			if (off >= isa_writes[i].off &&
			    off < isa_writes[i].off + isa_writes[i].len)
				return pat(WR_KEY, off);
	}
	return pat(IMG_KEY, off);
}

static void fill_wr(uint8_t *p, uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = pat(WR_KEY, off + i);
}

/* @p holds disk bytes [@off, @off + @len). */
static void expect_disk(const uint8_t *p, uint64_t off, uint64_t len,
			bool written)
{
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = disk_byte(off + i, written);

		if (p[i] != want) {
			ktap_fail(false, __FILE__, __LINE__,
				  "disk byte %llu is %#x, expected %#x (%llu bytes from %llu)",
				  (unsigned long long)(off + i), p[i], want,
				  (unsigned long long)len, (unsigned long long)off);
			return;
		}
	}
}

/* Buffer @buf holds disk bytes [@dev_off, +@len) at @boff. */
static void expect_buf_disk(int buf, uint64_t boff, uint64_t dev_off,
			    uint64_t len, bool written)
{
	uint8_t *p = malloc(len);

	ASSERT(p != NULL);
	ASSERT_EQ(pread(buf, p, len, boff), (ssize_t)len);
	expect_disk(p, dev_off, len, written);
	free(p);
}

static struct t_dev isa(void)
{
	return t_dev_open(ISA);
}

static struct mmdma_dev_info isa_info(const struct t_dev *e)
{
	struct mmdma_dev_info info;

	ASSERT_OK(mmdma_dev_info(e->fd, &info));
	return info;
}

static bool file_has(const char *path, const char *needle)
{
	char line[256];
	FILE *f = fopen(path, "re");
	bool found = false;

	ASSERT(f != NULL);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* The node, its limits, and the resources the chapter's API claimed. */
static void node_describes_isa_engine(void)
{
	struct t_dev e = isa();

	EXPECT_EQ(e.info.kind, MMDMA_DEV_ISA);
	EXPECT(!strcmp((char *)e.info.name, ISA));
	EXPECT_EQ(e.info.mem_size, DISK);
	EXPECT_EQ(e.info.max_op, 65536);
	EXPECT_EQ(e.info.dma_mask, 0xffffffULL);
	EXPECT(e.info.flags & MMDMA_DEVF_LIMITED);
	EXPECT(file_has("/proc/dma", " 2: mmdma-isa"));
	EXPECT(file_has("/proc/ioports", "03f0-03f5 : mmdma-isa"));
	EXPECT(file_has("/proc/ioports", "03f7-03f7 : mmdma-isa"));
	EXPECT(file_has("/proc/interrupts", "mmdma-isa"));
	close(e.fd);
}

/* Offsets and lengths past the disk: EINVAL, EOF, ENOSPC. */
static void beyond_the_disk_refused(void)
{
	struct t_dev e = isa();
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint8_t p[200];

	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, DISK - 100, 200, NULL),
		   EINVAL);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, DISK, 1, NULL), EINVAL);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, buf, 0, -1, 0, DISK - 1, 2, NULL), EINVAL);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 1ULL << 63, 1, NULL),
		   EINVAL);
	EXPECT_EQ(pread(e.fd, p, sizeof(p), DISK), 0);
	EXPECT_SYSERR(pwrite(e.fd, p, sizeof(p), DISK), ENOSPC);
	/* A read that runs off the end stops there. */
	EXPECT_EQ(pread(e.fd, p, sizeof(p), DISK - 100), 100);
	expect_disk(p, DISK - 100, 100, false);
	close(buf);
	close(e.fd);
}

/* The node fd's own mode: reading the disk needs read, writing it write. */
static void node_fd_mode_checked(void)
{
	int ro = open(ISA_DEV, O_RDONLY | O_CLOEXEC);
	int wo = open(ISA_DEV, O_WRONLY | O_CLOEXEC);
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct t_dev r = { .name = ISA, .fd = ro }, w = { .name = ISA, .fd = wo };
	uint8_t p[SECT];

	if (ro < 0 && errno == ENOENT)
		t_absent("isa", "no device %s", ISA);
	ASSERT(ro >= 0 && wo >= 0);
	EXPECT_ERR(t_xfer(&r, MMDMA_XFER_TO_DEV, 0, buf, 0, -1, 0, 0, SECT, NULL), EBADF);
	EXPECT_ERR(t_xfer(&w, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 0, SECT, NULL), EBADF);
	EXPECT_SYSERR(pwrite(ro, p, SECT, 0), EBADF);
	EXPECT_SYSERR(pread(wo, p, SECT, 0), EBADF);
	/* What each may do, it can. */
	EXPECT_OK(t_xfer(&r, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 0, SECT, NULL));
	expect_buf_disk(buf, 0, 0, SECT, false);
	close(buf);
	close(ro);
	close(wo);
}

struct unpriv_arg {
	int dev;
	int buf;
};

static void unpriv_child(void *p)
{
	struct unpriv_arg *a = p;
	struct t_dev e = { .name = ISA, .fd = a->dev };
	struct mmdma_xfer x;

	/* The node is root's (0600): no open of its own. */
	EXPECT_SYSERR(open(ISA_DEV, O_RDONLY), EACCES);
	/* A passed fd works, and tells no address. */
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, a->buf, 0, 3 * SECT, 2 * SECT, &x));
	EXPECT_EQ(x.bus_addr, 0);
	EXPECT_EQ(x.phys_addr, 0);
	EXPECT_EQ(x.ops, 0);
	EXPECT_EQ(x.bounced, 0);
	expect_buf_disk(a->buf, 0, 3 * SECT, 2 * SECT, false);
}

/* An unprivileged user: as for the other engines (docs/security.md). */
static void unprivileged_user_as_other_engines(void)
{
	struct t_dev e = isa();
	struct unpriv_arg a = { e.fd, t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT) };
	int keep[2] = { a.dev, a.buf };

	EXPECT_EQ(t_run_unprivileged(unpriv_child, &a, keep, 2), 0);
	close(a.buf);
	close(e.fd);
}

/* A controller that never completes (its channel left masked): ETIMEDOUT. */
static void masked_channel_times_out_with_residue(void)
{
	unsigned long long saved = t_param_get("op_timeout_ms");
	struct t_dev e = isa();
	int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_dev_info before = isa_info(&e), after;
	unsigned long long errs = t_read_ull(ISA_SYSFS "/device/fdc_errors");

	t_param_set("op_timeout_ms", 400);
	t_param_set("isa_inject_hang", 1);
	EXPECT_ERR(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 5 * SECT, 3 * SECT, NULL),
		   ETIMEDOUT);
	t_param_set("op_timeout_ms", saved);
	after = isa_info(&e);
	EXPECT_EQ(after.timeouts, before.timeouts + 1);
	EXPECT_EQ(after.errors, before.errors + 1);
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/timeouts"), before.timeouts + 1);
	/* get_dma_residue(): the channel moved nothing of its 3 sectors. */
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/last_residue"), 3 * SECT);
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/fdc_errors"), errs + 1);
	/* The controller was reset: the next transfer works. */
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 5 * SECT, 3 * SECT, NULL));
	expect_buf_disk(buf, 0, 5 * SECT, 3 * SECT, false);
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/last_residue"), 0);
	close(buf);
	close(e.fd);
}

static int bind_isa(void)
{
	int fd = open(ISA_DRV "/bind", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	ASSERT(fd >= 0);
	n = write(fd, "mmdma-isa", 9);
	close(fd);
	return n == 9 ? 0 : -errno;
}

/* Unbind the engine and bind it again on drive @unit (isa_unit, at probe). */
static void rebind_on_unit(unsigned int unit)
{
	t_write_str(ISA_DRV "/unbind", "mmdma-isa");
	t_param_set("isa_unit", unit);
	ASSERT_OK(bind_isa());
}

/*
 * A write to a write-protected medium (drive 1, read-only to QEMU) ends
 * abnormally: EIO, counted, with the channel's residue; reads work, and
 * nothing changes on the medium (the host checks the image).
 */
static void write_protected_medium_eio_with_residue(void)
{
	struct t_dev e;
	struct mmdma_dev_info before, after;
	unsigned long long errs;
	uint8_t p[1024], q[1024];

	rebind_on_unit(1);
	e = isa();
	before = isa_info(&e);
	errs = t_read_ull(ISA_SYSFS "/device/fdc_errors");
	EXPECT_EQ(pread(e.fd, q, sizeof(q), 8192), (ssize_t)sizeof(q));
	for (size_t i = 0; i < sizeof(q); i++)
		if (q[i] != pat(RO_KEY, 8192 + i)) {
			ktap_fail(false, __FILE__, __LINE__, "drive 1 byte %zu is %#x, expected %#x",
				  8192 + i, q[i], pat(RO_KEY, 8192 + i));
			break;
		}
	fill_wr(p, 8192, sizeof(p));
	EXPECT_SYSERR(pwrite(e.fd, p, sizeof(p), 8192), EIO);
	/*
	 * QEMU 7.2's controller counts the first sector it refused as moved
	 * (its DMA handler returns that sector's length), so the channel is
	 * left with the second: 512 of the 1024 bytes.
	 */
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/last_residue"), 512);
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/fdc_errors"), errs + 1);
	/* A partial sector: the read half of the read-modify-write works. */
	EXPECT_SYSERR(pwrite(e.fd, p, 100, 8192 + 7), EIO);
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/fdc_errors"), errs + 2);
	after = isa_info(&e);
	EXPECT_EQ(after.errors, before.errors + 2);
	EXPECT_EQ(after.timeouts, before.timeouts);
	EXPECT_EQ(pread(e.fd, q, sizeof(q), 8192), (ssize_t)sizeof(q));
	EXPECT_EQ(q[0], pat(RO_KEY, 8192));
	close(e.fd);
	rebind_on_unit(0);
	e = isa();
	EXPECT_EQ(pread(e.fd, q, 16, 0), 16);
	expect_disk(q, 0, 16, false);
	close(e.fd);
}

/*
 * Ports, IRQ 6 and DMA channel 2 held by the kernel's floppy driver (its
 * fd0 open): binding the engine is EBUSY; once it lets go, the engine
 * binds again.
 */
static void busy_controller_is_ebusy(void)
{
	struct t_dev e = isa();
	int fd0, ret, i;

	close(e.fd);
	if (access(FLOPPY_KO, R_OK))
		ktap_skip("no floppy module in this kernel's tree (%s)", FLOPPY_KO);
	t_write_str(ISA_DRV "/unbind", "mmdma-isa");
	EXPECT(access(ISA_DEV, F_OK) != 0);
	EXPECT(!file_has("/proc/dma", "mmdma-isa"));

	ASSERT_OK(mod_load(FLOPPY_KO, NULL));
	if (access("/dev/fd0", F_OK))
		ASSERT_OK(mknod("/dev/fd0", S_IFBLK | 0600, makedev(2, 0)));
	fd0 = open("/dev/fd0", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	EXPECT(fd0 >= 0);
	EXPECT(file_has("/proc/dma", " 2: floppy"));
	EXPECT_ERR(bind_isa(), EBUSY);
	EXPECT(access(ISA_DEV, F_OK) != 0);
	if (fd0 >= 0)
		close(fd0);

	/* The floppy driver lets go at its last close, and at unload. */
	for (i = 0; i < 50 && (ret = mod_unload("floppy")) == -EAGAIN; i++)
		usleep(100000);
	EXPECT_OK(ret);
	ASSERT_OK(bind_isa());
	e = isa();
	{
		int buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

		EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 40 * SECT, PAGE, NULL));
		expect_buf_disk(buf, 0, 40 * SECT, PAGE, false);
		close(buf);
	}
	close(e.fd);
}

/* read(2) of odd sizes at odd offsets: partial sectors come through the stage. */
static void odd_sizes_read_byte_exact(void)
{
	static const struct { uint64_t off, len; } c[] = {
		{ 0, 1 }, { 511, 2 }, { 1000, 511 }, { 4095, 513 }, { 9000, 1025 },
		{ 18431, 4097 }, { 123457, 12345 }, { DISK - 1, 1 }, { 700001, 65537 },
	};
	struct t_dev e = isa();
	unsigned long long staged = t_read_ull(ISA_SYSFS "/device/staged_bytes");
	uint8_t *p = malloc(70000);

	ASSERT(p != NULL);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(p, 0xee, c[i].len);
		EXPECT_EQ(pread(e.fd, p, c[i].len, c[i].off), (ssize_t)c[i].len);
		expect_disk(p, c[i].off, c[i].len, false);
	}
	/* At least the bytes of every partial sector went through the stage. */
	EXPECT(t_read_ull(ISA_SYSFS "/device/staged_bytes") > staged);
	free(p);
	close(e.fd);
}

/* The whole disk through read(2), byte for byte (before any write). */
static void whole_disk_reads_byte_exact(void)
{
	struct t_dev e = isa();
	struct mmdma_dev_info before = isa_info(&e), after;
	uint8_t *p = malloc(DISK);
	struct timespec t0, t1;
	double secs;

	ASSERT(p != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(pread(e.fd, p, DISK, 0), (ssize_t)DISK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_disk(p, 0, DISK, false);
	after = isa_info(&e);
	EXPECT_EQ(after.bytes - before.bytes, DISK);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ktap_diag("floppy read: %llu bytes in %.3f s (guest clock), %.0f bytes/s, %llu operations",
		  DISK, secs, DISK / secs, (unsigned long long)(after.ops - before.ops));
	free(p);
	close(e.fd);
}

/* A page buffer (above 16 MiB): every byte bounced below 16 MiB. */
static void buffer_above_16m_bounced(void)
{
	struct t_dev e = isa();
	uint64_t size = 4 * PAGE, phys[4], expect = 0, len = 12345, boff = 100;
	int buf = t_buf(size, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	struct mmdma_dev_info before = isa_info(&e), after;
	struct mmdma_xfer x;

	ASSERT_OK(mmdma_buf_phys(buf, 0, 4, phys));
	/* What lies above 16 MiB must bounce (the device drives 24 bits). */
	for (int i = 0; i < 4; i++) {
		uint64_t lo = i ? i * PAGE : boff, hi = (i + 1) * PAGE;

		if (hi > boff + len)
			hi = boff + len;
		if (phys[i] >= (16ULL << 20) && hi > lo)
			expect += hi - lo;
	}
	if (!expect)
		ktap_skip("all four pages lie below 16 MiB");
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, boff, 777, len, &x));
	EXPECT_EQ(x.bounced, expect);
	after = isa_info(&e);
	EXPECT_EQ(after.bounce_bytes - before.bounce_bytes, expect);
	EXPECT(after.bounces > before.bounces);
	expect_buf_disk(buf, boff, 777, len, false);
	close(buf);
	close(e.fd);
}

/*
 * Coherent memory of the ISA device lies below 16 MiB and is reached
 * directly.  A range across a 64 KiB line is split there (two
 * operations), nothing bounced.
 */
static void range_across_64k_line_split(void)
{
	struct t_dev e = isa();
	int ctl = t_ctl();
	int buf = mmdma_alloc_dev(ctl, 128 * 1024, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, e.fd);
	struct mmdma_dev_info before, after;
	struct mmdma_xfer x;
	uint64_t base, off;

	ASSERT_OK(buf);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 0, SECT, &x));
	base = x.bus_addr;
	ASSERT(base != 0 && base < (16ULL << 20));
	/* 1 KiB before the next 64 KiB line, 8 KiB long. */
	off = 0x10000 - (base & 0xffff) - 1024;
	ASSERT(off + 8192 <= 128 * 1024);
	before = isa_info(&e);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, off, 17 * SECT, 8192, &x));
	after = isa_info(&e);
	EXPECT_EQ(x.bus_addr, base + off);
	EXPECT_EQ(x.ops, 2);
	EXPECT_EQ(x.bounced, 0);
	EXPECT_EQ(after.bounces, before.bounces);
	EXPECT_EQ(after.ops - before.ops, 2);
	expect_buf_disk(buf, off, 17 * SECT, 8192, false);
	close(buf);
	close(ctl);
	close(e.fd);
}

/* 80 sectors from the last of cylinder 0: four commands, one operation. */
static void multi_track_transfer(void)
{
	struct t_dev e = isa();
	int ctl = t_ctl();
	int buf = mmdma_alloc_dev(ctl, 64 * 1024, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, e.fd);
	unsigned long long staged = t_read_ull(ISA_SYSFS "/device/staged_bytes");
	struct mmdma_xfer x;

	ASSERT_OK(buf);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, buf, 0, 35 * SECT, 80 * SECT, &x));
	EXPECT_EQ(x.ops, 1);
	EXPECT_EQ(x.bounced, 0);
	/* Straight to the buffer, never through the stage. */
	EXPECT_EQ(t_read_ull(ISA_SYSFS "/device/staged_bytes"), staged);
	expect_buf_disk(buf, 0, 35 * SECT, 80 * SECT, false);
	close(buf);
	close(ctl);
	close(e.fd);
}

/* libaio and io_uring reads at byte offsets. */
static void libaio_and_io_uring_read_at_offset(void)
{
	struct t_dev e = isa();
	uint8_t *a = malloc(20000), *b = malloc(20000);
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_event ev;
	struct iocb cb, *cbs[1] = { &cb };
	io_context_t ctx = 0;

	ASSERT(a != NULL && b != NULL);
	ASSERT_EQ(io_setup(4, &ctx), 0);
	io_prep_pread(&cb, e.fd, a, 20000, 300001);
	ASSERT_EQ(io_submit(ctx, 1, cbs), 1);
	ASSERT_EQ(io_getevents(ctx, 1, 1, &ev, NULL), 1);
	EXPECT_EQ((long long)ev.res, 20000);
	expect_disk(a, 300001, 20000, false);
	io_destroy(ctx);

	ASSERT_EQ(io_uring_queue_init(4, &ring, 0), 0);
	io_uring_prep_read(io_uring_get_sqe(&ring), e.fd, b, 9999, 654321);
	ASSERT_EQ(io_uring_submit(&ring), 1);
	ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	EXPECT_EQ(cqe->res, 9999);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	expect_disk(b, 654321, 9999, false);
	free(a);
	free(b);
	close(e.fd);
}

/*
 * isa_writes[], each by its own path; read back with the neighbours
 * (which a read-modify-write must keep).  The host checks the image file.
 */
static void writes_land_on_the_disk(void)
{
	struct t_dev e = isa();
	int ctl = t_ctl();
	int pbuf = t_buf(2 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	int cbuf = mmdma_alloc_dev(ctl, 16384, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, e.fd);
	uint64_t lo = 1454080 - 1000, hi = 1472512 + 1000;
	uint8_t *p = malloc(hi - lo);
	struct io_uring ring;
	struct io_uring_cqe *cqe;

	ASSERT(p != NULL);
	ASSERT_OK(cbuf);
	/* 0: from a page buffer at offset 300 in it. */
	fill_wr(p, 1457152, 4096);
	ASSERT_EQ(pwrite(pbuf, p, 4096, 300), 4096);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, pbuf, 300, -1, 0, 1457152, 4096, NULL));
	/* 1, 2, 4: pwrite(2) on the node. */
	fill_wr(p, 1462000, 777);
	EXPECT_EQ(pwrite(e.fd, p, 777, 1462000), 777);
	fill_wr(p, 1465244, 300);
	EXPECT_EQ(pwrite(e.fd, p, 300, 1465244), 300);
	fill_wr(p, 1470001, 1);
	EXPECT_EQ(pwrite(e.fd, p, 1, 1470001), 1);
	/* 3: from coherent memory, cylinders 78 and 79. */
	fill_wr(p, 1454080, 2560);
	ASSERT_EQ(pwrite(cbuf, p, 2560, 512), 2560);
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, 0, cbuf, 512, -1, 0, 1454080, 2560, NULL));
	/* 5: io_uring. */
	fill_wr(p, 1471488, 1024);
	ASSERT_EQ(io_uring_queue_init(4, &ring, 0), 0);
	io_uring_prep_write(io_uring_get_sqe(&ring), e.fd, p, 1024, 1471488);
	ASSERT_EQ(io_uring_submit(&ring), 1);
	ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	EXPECT_EQ(cqe->res, 1024);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);

	memset(p, 0xee, hi - lo);
	EXPECT_EQ(pread(e.fd, p, hi - lo, lo), (ssize_t)(hi - lo));
	expect_disk(p, lo, hi - lo, true);
	free(p);
	close(cbuf);
	close(pbuf);
	close(ctl);
	close(e.fd);
}

/* `mmdma tour` ends with one ISA transfer: the first bytes of the disk. */
static void tour_shows_an_isa_transfer(void)
{
	FILE *f = popen("/opt/mmdma/bin/mmdma tour 2>&1", "r");
	char line[256], want[64];
	bool seen_head = false, seen_bytes = false;

	ASSERT(f != NULL);
	snprintf(want, sizeof(want), "first bytes: %02x %02x %02x %02x %02x",
		 pat(IMG_KEY, 0), pat(IMG_KEY, 1), pat(IMG_KEY, 2),
		 pat(IMG_KEY, 3), pat(IMG_KEY, 4));
	while (fgets(line, sizeof(line), f)) {
		seen_head |= strstr(line, "sectors 0-1 (1024 bytes)") != NULL;
		seen_bytes |= strstr(line, want) != NULL;
	}
	EXPECT_EQ(pclose(f), 0);
	EXPECT(seen_head);
	if (!seen_bytes)
		ktap_fail(false, __FILE__, __LINE__, "no line with '%s'", want);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(node_describes_isa_engine),
	KTAP_CASE(beyond_the_disk_refused),
	KTAP_CASE(node_fd_mode_checked),
	KTAP_CASE(unprivileged_user_as_other_engines),
	KTAP_CASE(masked_channel_times_out_with_residue),
	KTAP_CASE(write_protected_medium_eio_with_residue),
	KTAP_CASE_T(busy_controller_is_ebusy, 120),
	KTAP_CASE_T(odd_sizes_read_byte_exact, 120),
	KTAP_CASE_T(whole_disk_reads_byte_exact, 300),
	KTAP_CASE(buffer_above_16m_bounced),
	KTAP_CASE(range_across_64k_line_split),
	KTAP_CASE(multi_track_transfer),
	KTAP_CASE(libaio_and_io_uring_read_at_offset),
	KTAP_CASE(writes_land_on_the_disk),
	KTAP_CASE_T(tour_shows_an_isa_transfer, 120),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
