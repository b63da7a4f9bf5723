// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO interop (issue 13, part 3): an mmdma buffer mapped into a process is
 * handed to VFIO_IOMMU_MAP_DMA at an IOVA the process chooses, and QEMU's
 * edu device, bound to vfio-pci, moves data through it with its DMA
 * registers programmed from user space through the VFIO BAR0 region.
 *
 * Runs in the IOMMU profile (vm/profiles/edu-iommu.conf), last: the first
 * case takes edu from mmdma-edu and binds it to vfio-pci, the last gives
 * it back.  The cases in between run in their own processes, as always,
 * and open the container, group and device afresh.
 *
 * What the kernel does with each kind of mapping (docs/vfio.md):
 *  - page-backed mappings (MMDMA_MAP_FAULT, MMDMA_MAP_INSERT) are pinned
 *    by vfio_iommu_type1 (FOLL_PIN | FOLL_LONGTERM): the pages outlive the
 *    buffer fd and the mapping until VFIO_IOMMU_UNMAP_DMA;
 *  - PFN maps (MMDMA_MAP_REMAP, MMDMA_MAP_HUGE) cannot be pinned; type1
 *    then looks the PFN up itself and maps it only if it is not ordinary
 *    RAM (reserved or MMIO).  mmdma's contiguous memory is ordinary RAM
 *    (never marked reserved), so the mapping is refused, with the errno
 *    pfnmap_*_refused assert;
 *  - reserved memory (MMDMA_MEM_RESERVED) is marked reserved by the kernel;
 *    from a PFN map type1 would map it unpinned, so mmdma maps it
 *    VM_MIXEDMAP (special entries), where type1 does no PFN lookup: EFAULT,
 *    reserved_buffer_refused_efault;
 *  - coherent memory of an mmdma device is RAM behind a PFN map: EFAULT,
 *    coherent_buffer_refused_efault.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "devutil.h"

#define KMOD_DIR	"/lib/mmdma/kmod/"
#define PCI_DEVS	"/sys/bus/pci/devices/"
#define VFIO_DRV	"/sys/bus/pci/drivers/vfio-pci"
#define EDU_DRV		"/sys/bus/pci/drivers/mmdma-edu"
#define CFS_DIR		"/sys/kernel/config/mmdma/"

/* Transfers stay well inside the 4 KiB window: QEMU 7.2 aborts on one
 * that touches its last byte, or one of length 0. */
#define XFER		2048

/*
 * IOVAs: edu drives 28 address bits (its default dma_mask), so everything
 * stays below 256 MiB; apart so that no case's mappings overlap.
 */
#define IOVA_A		0x01000000ULL
#define IOVA_B		0x02000000ULL
#define IOVA_PFN	0x03000000ULL

/* The modules, in dependency order; vfio_virqfd is 6.1's own module. */
static const char *const vfio_mods[] = {
	"irqbypass", "vfio_virqfd", "vfio", "vfio_iommu_type1",
	"vfio-pci-core", "vfio-pci",
};

/* The IOMMU group number of @bdf. */
static int iommu_group(const char *bdf)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVS "%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT(n > 0);
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/* A VFIO user of edu: container (type1), group, device and its regions. */
struct vf {
	int container, group, dev;
	uint64_t bar0, cfg;	/* region offsets in the device fd */
};

static uint64_t region(int dev, uint32_t index, uint64_t min_size)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	ASSERT_OK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT(ri.flags & VFIO_REGION_INFO_FLAG_READ);
	ASSERT(ri.flags & VFIO_REGION_INFO_FLAG_WRITE);
	ASSERT(ri.size >= min_size);
	return ri.offset;
}

static uint32_t rd32(const struct vf *v, uint64_t reg)
{
	uint32_t val = 0;

	ASSERT_EQ(pread(v->dev, &val, 4, v->bar0 + reg), 4);
	return val;
}

static void wr32(const struct vf *v, uint64_t reg, uint32_t val)
{
	ASSERT_EQ(pwrite(v->dev, &val, 4, v->bar0 + reg), 4);
}

/* Skip the case on a kernel without VFIO (the debug kernel has none). */
static void need_vfio(void)
{
	if (access(KMOD_DIR "vfio.ko", R_OK) && access("/dev/vfio/vfio", F_OK))
		ktap_skip("no VFIO in this kernel (%svfio.ko, /dev/vfio/vfio)", KMOD_DIR);
}

static struct vf vf_open(void)
{
	const char *bdf;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];
	struct vf v;
	uint16_t cmd;

	need_vfio();
	bdf = t_edu_pci_addr();
	ASSERT(!strcmp(t_pci_driver(bdf), "vfio-pci"));
	v.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_OK(v.container);
	ASSERT_EQ(ioctl(v.container, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	ASSERT_EQ(ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	snprintf(path, sizeof(path), "/dev/vfio/%d", iommu_group(bdf));
	v.group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(v.group);
	ASSERT_OK(ioctl(v.group, VFIO_GROUP_GET_STATUS, &gs));
	ASSERT(gs.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container));
	ASSERT_OK(ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	v.dev = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	ASSERT_OK(v.dev);
	v.bar0 = region(v.dev, VFIO_PCI_BAR0_REGION_INDEX, 0x100);
	v.cfg = region(v.dev, VFIO_PCI_CONFIG_REGION_INDEX, 0x40);
	/* vfio-pci leaves bus mastering to its user, as QEMU's guests do. */
	ASSERT_EQ(pread(v.dev, &cmd, 2, v.cfg + PCI_COMMAND), 2);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(pwrite(v.dev, &cmd, 2, v.cfg + PCI_COMMAND), 2);
	ASSERT_EQ(rd32(&v, EDU_REG_ID) & 0xff, 0xed);
	return v;
}

static void vf_close(struct vf *v)
{
	close(v->dev);
	close(v->group);
	close(v->container);
}

/* VFIO_DMA_MAP_FLAG_READ: the device may read; _WRITE: it may write. */
static int map_dma_flags(const struct vf *v, void *p, uint64_t iova,
			 uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = (uintptr_t)p, .iova = iova, .size = size,
	};

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m);
}

static int map_dma(const struct vf *v, void *p, uint64_t iova, uint64_t size)
{
	return map_dma_flags(v, p, iova, size,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

/* Unmap [iova, iova+size): the bytes type1 says it unmapped. */
static uint64_t unmap_dma(const struct vf *v, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	ASSERT_OK(ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u));
	return u.size;
}

/* One edu DMA of XFER bytes between bus address @bus and window offset
 * @win, polled to completion (the run bit clears, 100 ms virtual later). */
static void edu_dma(const struct vf *v, uint64_t bus, uint32_t win, bool to_host)
{
	struct t_deadline d = t_deadline_ms(T_POLL_MS);
	uint32_t cmd;

	ASSERT(bus + XFER <= 1ULL << 28 && win + XFER < 4096);
	ASSERT_EQ(rd32(v, EDU_REG_CMD) & EDU_RUN, 0);
	wr32(v, EDU_REG_SRC, to_host ? EDU_WINDOW + win : (uint32_t)bus);
	wr32(v, EDU_REG_DST, to_host ? (uint32_t)bus : EDU_WINDOW + win);
	wr32(v, EDU_REG_COUNT, XFER);
	wr32(v, EDU_REG_CMD, EDU_RUN | (to_host ? EDU_TO_HOST : 0));
	while ((cmd = rd32(v, EDU_REG_CMD)) & EDU_RUN && t_deadline_sleep(&d))
		;
	ASSERT_EQ(cmd & EDU_RUN, 0);
}

/* A mapped buffer: its fd and shared read/write mapping. */
static void *mapped_buf(int *fd, uint64_t size, uint32_t kind, uint32_t method)
{
	*fd = t_buf(size, kind, method);
	return t_map(*fd, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
}

/* Bytes [off, off+len) of @p are the pattern of @seed at @soff; the rest
 * of [0, size) is zero. */
static void expect_only_copy(const uint8_t *p, uint64_t size, uint64_t off,
			     uint64_t len, uint64_t soff, uint32_t seed)
{
	for (uint64_t i = 0; i < size; i++) {
		uint8_t want = i >= off && i < off + len ?
			       mmdma_pattern_byte(seed, soff + i - off) : 0;

		if (p[i] != want) {
			ktap_fail(false, __FILE__, __LINE__,
				  "byte %llu is %#x, expected %#x",
				  (unsigned long long)i, p[i], want);
			return;
		}
	}
}

/*
 * edu leaves mmdma-edu for vfio-pci: the modules load with their defaults
 * (the emulated IOMMU remaps interrupts, so type1 needs no
 * allow_unsafe_interrupts), the mmdma node goes away and the device's
 * group node appears.
 */
static void edu_moves_to_vfio_pci(void)
{
	const char *bdf = t_edu_pci_addr();
	char path[256];
	int ret;

	need_vfio();
	for (size_t i = 0; i < sizeof(vfio_mods) / sizeof(vfio_mods[0]); i++) {
		snprintf(path, sizeof(path), KMOD_DIR "%s.ko", vfio_mods[i]);
		if (access(path, R_OK))
			continue;	/* vfio_virqfd: built into vfio since 6.2 */
		ret = mod_load(path, NULL);
		if (ret != -EEXIST)
			ASSERT_OK(ret);
	}
	ASSERT(!strcmp(t_pci_driver(bdf), "mmdma-edu"));
	t_write_str(EDU_DRV "/unbind", bdf);
	EXPECT(access("/dev/" T_EDU, F_OK) != 0);
	snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", bdf);
	t_write_str(path, "vfio-pci");
	t_write_str("/sys/bus/pci/drivers_probe", bdf);
	ASSERT(!strcmp(t_pci_driver(bdf), "vfio-pci"));
	snprintf(path, sizeof(path), "/dev/vfio/%d", iommu_group(bdf));
	EXPECT_OK(access(path, F_OK));
	ktap_diag("edu %s in IOMMU group %d", bdf, iommu_group(bdf));
}

static void open_group_unprivileged(void *arg)
{
	EXPECT_SYSERR(open((const char *)arg, O_RDWR | O_CLOEXEC), EACCES);
}

/*
 * The route needs whoever owns the group node (root here): an
 * unprivileged process cannot open it, so it cannot map anything into the
 * device's IOMMU domain, mmdma buffer or not.
 */
static void unprivileged_user_cannot_open_the_group(void)
{
	static char path[64];

	need_vfio();
	snprintf(path, sizeof(path), "/dev/vfio/%d", iommu_group(t_edu_pci_addr()));
	ASSERT_EQ(t_run_unprivileged(open_group_unprivileged, path, NULL, 0), 0);
}

/*
 * A MMDMA_MAP_REMAP mapping (contiguous RAM, VM_PFNMAP) cannot be pinned;
 * type1 finds an ordinary RAM page behind the PFN and refuses with
 * EFAULT, leaving nothing mapped at the IOVA.
 */
static void pfnmap_remap_buffer_refused_efault(void)
{
	struct vf v = vf_open();
	long long pins = t_pins_held();
	int fd;
	void *p = mapped_buf(&fd, 4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);

	EXPECT_SYSERR(map_dma(&v, p, IOVA_PFN, 4 * PAGE), EFAULT);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT_EQ(unmap_dma(&v, IOVA_PFN, 4 * PAGE), 0);
	munmap(p, 4 * PAGE);
	close(fd);
	vf_close(&v);
}

/* The running kernel is @maj.@min or later. */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	ASSERT_OK(uname(&u));
	ASSERT_EQ(sscanf(u.release, "%d.%d", &a, &b), 2);
	return a > maj || (a == maj && b >= min);
}

/*
 * The same for MMDMA_MAP_HUGE (PMD PFN entries): refused, nothing pinned
 * or mapped.  Before 6.12 type1 looks the PFN up with follow_pte(), which
 * does not walk a huge PMD: EINVAL (and a VM_BUG_ON on a CONFIG_DEBUG_VM
 * kernel, docs/vfio.md).  From 6.12 follow_pfnmap_start() walks it and
 * finds RAM: EFAULT, as for MMDMA_MAP_REMAP.
 */
static void pfnmap_huge_buffer_refused(void)
{
	const uint64_t sz = 2UL << 20;
	struct vf v = vf_open();
	long long pins = t_pins_held();
	int fd, ret, err;
	uint8_t *p = mapped_buf(&fd, sz, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);

	p[0] = 1;	/* fault it in: a PMD entry where the kernel can */
	errno = 0;
	ret = map_dma(&v, p, IOVA_PFN, sz);
	err = errno;
	ktap_diag("MAP_DMA of a huge mapping: %d, errno %d (%s)", ret, err, strerror(err));
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(err, kernel_at_least(6, 12) ? EFAULT : EINVAL);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT_EQ(unmap_dma(&v, IOVA_PFN, sz), 0);
	munmap(p, sz);
	close(fd);
	vf_close(&v);
}

/*
 * Reserved memory (MMDMA_MEM_RESERVED: RAM hidden at boot with memmap=) is
 * PageReserved.  Mapped with remap_pfn_range() (VM_PFNMAP), type1 took it
 * for MMIO and mapped it unpinned: the IOMMU mapping outlived the buffer
 * and reached the next owner of that piece of the region (docs/vfio.md).
 * mmdma maps it VM_MIXEDMAP | VM_IO with special entries instead, where
 * type1 does no PFN lookup: the pin fails with EFAULT, nothing is pinned,
 * nothing is mapped at the IOVA.  The whole buffer is mapped at mmap()
 * time, so the entries are there when type1 looks.
 */
static void reserved_buffer_refused_efault(void)
{
	const uint64_t sz = 4 * PAGE;
	long long pins;
	int fd;
	uint8_t *p;
	struct vf v;

	if (!t_param_get("reserved_size"))
		t_absent("reserved", "no reserved region in this profile");
	v = vf_open();
	pins = t_pins_held();
	p = mapped_buf(&fd, sz, MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP);
	ASSERT_OK(mmdma_buf_fill(fd, 0, sz, 0x2e85eed2));
	EXPECT_EQ(mmdma_pattern_check(p, 0, sz, 0x2e85eed2), sz);
	EXPECT_SYSERR(map_dma(&v, p, IOVA_PFN, sz), EFAULT);
	/* Read-only for the device (no FOLL_WRITE): the same refusal. */
	EXPECT_SYSERR(map_dma_flags(&v, p, IOVA_PFN, sz, VFIO_DMA_MAP_FLAG_READ),
		      EFAULT);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT_EQ(unmap_dma(&v, IOVA_PFN, sz), 0);
	/* The mapping is untouched by the attempt. */
	EXPECT_EQ(mmdma_pattern_check(p, 0, sz, 0x2e85eed2), sz);
	munmap(p, sz);
	close(fd);
	vf_close(&v);
}

/*
 * A named reserved buffer (configfs, /dev/mmdma-named/NAME) is mapped at
 * fault time, the same way: special entries in a VM_MIXEDMAP | VM_IO VMA
 * (it was VM_PFNMAP, with the same unpinned mapping by type1).  Faulted in
 * first; refused with EFAULT, nothing pinned or mapped.
 */
static void named_reserved_buffer_refused_efault(void)
{
	const uint64_t sz = 4 * PAGE;
	struct vf v;
	long long pins;
	volatile uint8_t *p;
	int fd;

	if (!t_param_get("reserved_size"))
		t_absent("reserved", "no reserved region in this profile");
	v = vf_open();
	pins = t_pins_held();
	ASSERT_OK(mkdir(CFS_DIR "vfio-res", 0755));
	ASSERT_OK(t_write_attr(CFS_DIR "vfio-res/size", "16384"));
	ASSERT_OK(t_write_attr(CFS_DIR "vfio-res/kind", "reserved"));
	ASSERT_OK(t_write_attr(CFS_DIR "vfio-res/enable", "1"));
	fd = open("/dev/mmdma-named/vfio-res", O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	p = t_map(fd, sz, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	for (uint64_t i = 0; i < sz; i += PAGE)
		p[i] = 0x5a;
	EXPECT_SYSERR(map_dma(&v, (void *)p, IOVA_PFN, sz), EFAULT);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT_EQ(unmap_dma(&v, IOVA_PFN, sz), 0);
	munmap((void *)p, sz);
	close(fd);
	EXPECT_OK(rmdir(CFS_DIR "vfio-res"));
	vf_close(&v);
}

/*
 * Coherent memory of an mmdma device (here the software engine's, which
 * stays with mmdma while VFIO holds edu) is ordinary RAM behind a PFN map
 * filled at fault time: type1 cannot pin it, looks the PFN up, finds RAM
 * and refuses with EFAULT.  Faulted in first, so that the refusal is not
 * merely an empty entry.
 */
static void coherent_buffer_refused_efault(void)
{
	const uint64_t sz = 4 * PAGE;
	struct vf v = vf_open();
	long long pins = t_pins_held();
	int dev = t_dev_or_skip(T_SOFT), ctl = t_ctl(), fd;
	volatile uint8_t *p;

	fd = mmdma_alloc_dev(ctl, sz, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, dev);
	ASSERT_OK(fd);
	p = t_map(fd, sz, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	for (uint64_t i = 0; i < sz; i += PAGE)
		p[i] = 0x5a;
	EXPECT_SYSERR(map_dma(&v, (void *)p, IOVA_PFN, sz), EFAULT);
	EXPECT_EQ(t_pins_held(), pins);
	EXPECT_EQ(unmap_dma(&v, IOVA_PFN, sz), 0);
	munmap((void *)p, sz);
	close(fd);
	close(ctl);
	close(dev);
	vf_close(&v);
}

/*
 * A page-backed buffer mapped at IOVA_A: edu copies XFER bytes from across
 * the page 0/1 line into its window and back across the page 2/3 line
 * (scattered pages, contiguous in IOVA space); every byte checked, the
 * four pages pinned while mapped and released by the unmap.
 */
static void roundtrip(uint32_t method)
{
	const uint64_t sz = 4 * PAGE, src = PAGE - 1000, dst = 3 * PAGE - 600;
	const uint32_t seed = 0x5eed0000 | method;
	struct vf v = vf_open();
	long long pins = t_pins_held();
	int fd;
	uint8_t *p = mapped_buf(&fd, sz, MMDMA_MEM_PAGES, method);

	memset(p, 0, sz);
	ASSERT_OK(mmdma_buf_fill(fd, 0, 2 * PAGE, seed));
	ASSERT_OK(map_dma(&v, p, IOVA_A, sz));
	EXPECT_EQ(t_pins_held(), pins + 4);
	edu_dma(&v, IOVA_A + src, 512, false);
	edu_dma(&v, IOVA_A + dst, 512, true);
	EXPECT_EQ(mmdma_pattern_check(p, 0, 2 * PAGE, seed), 2 * PAGE);
	expect_only_copy(p + 2 * PAGE, 2 * PAGE, dst - 2 * PAGE, XFER, src, seed);
	/* The buffer fd reads what the mapping shows. */
	t_expect_pattern_at(fd, 0, 2 * PAGE, seed);
	EXPECT_EQ(unmap_dma(&v, IOVA_A, sz), sz);
	EXPECT_EQ(t_pins_held(), pins);
	munmap(p, sz);
	close(fd);
	vf_close(&v);
}

static void fault_buffer_dma_roundtrip(void)
{
	roundtrip(MMDMA_MAP_FAULT);
}

static void insert_buffer_dma_roundtrip(void)
{
	roundtrip(MMDMA_MAP_INSERT);
}

/*
 * The buffer fd closed and the mapping gone while the IOMMU mapping stays:
 * mmdma lets go of the buffer (its count is back at the baseline), vfio's
 * pins keep the pages, and edu still reads the data through the IOVA.
 * VFIO_IOMMU_UNMAP_DMA then releases the last pins.
 */
static void pinned_pages_outlive_fd_and_mapping(void)
{
	const uint64_t sz = 2 * PAGE;
	const uint32_t seed = 0x0bad5eed;
	struct vf v = vf_open();
	uint32_t nbufs = t_nr_buffers();
	long long pins = t_pins_held();
	int fd, out;
	uint8_t *p = mapped_buf(&fd, sz, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	uint8_t *q;

	ASSERT_OK(mmdma_buf_fill(fd, 0, sz, seed));
	ASSERT_OK(map_dma(&v, p, IOVA_A, sz));
	EXPECT_EQ(t_pins_held(), pins + 2);
	EXPECT_EQ(munmap(p, sz), 0);
	EXPECT_EQ(close(fd), 0);
	EXPECT_EQ(t_nr_buffers(), nbufs);
	EXPECT_EQ(t_pins_held(), pins + 2);

	/* edu reads the orphaned pages, writes them into a live buffer. */
	q = mapped_buf(&out, sz, MMDMA_MEM_PAGES, MMDMA_MAP_INSERT);
	memset(q, 0, sz);
	ASSERT_OK(map_dma(&v, q, IOVA_B, sz));
	EXPECT_EQ(t_pins_held(), pins + 4);
	edu_dma(&v, IOVA_A + PAGE - 1024, 0, false);
	edu_dma(&v, IOVA_B + 100, 0, true);
	expect_only_copy(q, sz, 100, XFER, PAGE - 1024, seed);

	EXPECT_EQ(unmap_dma(&v, IOVA_A, sz), sz);
	EXPECT_EQ(t_pins_held(), pins + 2);
	EXPECT_EQ(unmap_dma(&v, IOVA_B, sz), sz);
	EXPECT_EQ(t_pins_held(), pins);
	munmap(q, sz);
	close(out);
	vf_close(&v);
	EXPECT_EQ(t_nr_buffers(), nbufs);
}

/* edu goes back to mmdma-edu, and its node works, for the tests after. */
static void edu_returns_to_mmdma(void)
{
	const char *bdf = t_edu_pci_addr();
	char path[256];
	struct mmdma_dev_info info;
	int fd;

	if (!strcmp(t_pci_driver(bdf), "vfio-pci"))
		t_write_str(VFIO_DRV "/unbind", bdf);
	snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", bdf);
	t_write_str(path, "\n");
	if (strcmp(t_pci_driver(bdf), "mmdma-edu")) {
		fd = t_edu_rebind(bdf);
	} else {
		fd = mmdma_dev_open(T_EDU);
		ASSERT_OK(fd);
	}
	EXPECT_OK(mmdma_dev_info(fd, &info));
	close(fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(edu_moves_to_vfio_pci),
	KTAP_CASE(unprivileged_user_cannot_open_the_group),
	KTAP_CASE(pfnmap_remap_buffer_refused_efault),
	KTAP_CASE(pfnmap_huge_buffer_refused),
	KTAP_CASE(reserved_buffer_refused_efault),
	KTAP_CASE(named_reserved_buffer_refused_efault),
	KTAP_CASE(coherent_buffer_refused_efault),
	KTAP_CASE(fault_buffer_dma_roundtrip),
	KTAP_CASE(insert_buffer_dma_roundtrip),
	KTAP_CASE(pinned_pages_outlive_fd_and_mapping),
	KTAP_CASE(edu_returns_to_mmdma),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
