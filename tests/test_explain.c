// SPDX-License-Identifier: GPL-2.0
/*
 * MMDMA_IOC_EXPLAIN: a user virtual address followed to its VMA, page-table
 * entries, PFN and physical address, struct page, kernel logical and
 * virtual addresses and a device's bus address.  Each answer is checked
 * against what something else knows: MMDMA_BUF_PHYS, /proc/self/pagemap,
 * the buffer's attachment (MMDMA_BUF_DMA_ADDRS), a transfer's bus address,
 * the edu BAR in sysfs, fstat() of a mapped file.  Failure cases first.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devutil.h"

/* The kernel's vm_flags bits, as the ABI reports them. */
#define VM_READ		0x1ULL
#define VM_WRITE	0x2ULL
#define VM_SHARED	0x8ULL
#define VM_PFNMAP	0x400ULL
#define VM_IO		0x4000ULL
#define VM_MIXEDMAP	0x10000000ULL

/* x86 page-table entry bits that choose the cache type (4 KiB entry). */
#define PTE_PWT		0x08ULL
#define PTE_PCD		0x10ULL
#define PTE_PAT		0x80ULL

#define EDU_ID		0x010000edU

static int ctl = -1;

static int ctl_fd(void)
{
	if (ctl < 0)
		ctl = t_ctl();
	return ctl;
}

/* MMDMA_IOC_EXPLAIN of @addr in @pid (0: us), for device fd @dev (< 0: none). */
static int explain(pid_t pid, const void *addr, int dev, struct mmdma_explain *e)
{
	memset(e, 0, sizeof(*e));
	e->addr = (uintptr_t)addr;
	e->pid = pid;
	if (dev >= 0) {
		e->flags = MMDMA_EXPLAIN_DEVICE;
		e->dev_fd = dev;
	}
	return mmdma_explain(ctl_fd(), e);
}

/* The PFN /proc/self/pagemap gives for @p (present, or the case fails). */
static uint64_t pagemap_pfn(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t ent = 0;

	ASSERT_OK(fd);
	ASSERT_EQ(pread(fd, &ent, sizeof(ent), (uintptr_t)p / PAGE * sizeof(ent)),
		  sizeof(ent));
	close(fd);
	ASSERT(ent & (1ULL << 63));
	return ent & ((1ULL << 55) - 1);
}

static uint64_t buf_phys(int fd, uint64_t off)
{
	uint64_t phys = 0;

	ASSERT_OK(mmdma_buf_phys(fd, off, 1, &phys));
	return phys;
}

/* PFN of a page-table entry value (x86-64: bits 12..51). */
static uint64_t entry_pfn(uint64_t v)
{
	return (v & 0x000ffffffffff000ULL) >> 12;
}

/* The fields every present answer with a struct page shares. */
static void expect_present(const struct mmdma_explain *e, uint64_t phys)
{
	EXPECT(e->valid & MMDMA_EXPLAIN_PRESENT);
	EXPECT_EQ(e->phys, phys);
	EXPECT_EQ(e->pfn, phys >> 12);
	EXPECT(!(e->valid & MMDMA_EXPLAIN_SWAP));
	if (e->leaf == MMDMA_LEVEL_PTE) {
		EXPECT_EQ(e->levels, 5);
		EXPECT_EQ(entry_pfn(e->pte), e->pfn);
		EXPECT(e->pte & 1);
	}
}

static void expect_page_lowmem(const struct mmdma_explain *e)
{
	EXPECT(e->valid & MMDMA_EXPLAIN_PAGE);
	/* x86-64 has no high memory: every page is in the linear map. */
	EXPECT(!(e->valid & MMDMA_EXPLAIN_HIGHMEM));
	EXPECT(e->valid & MMDMA_EXPLAIN_LOGICAL);
	EXPECT(e->zone[0] != '\0');
	EXPECT_EQ(e->node, 0);
	/* The linear map starts at page_offset_base, in the upper half. */
	EXPECT(e->kernel_logical >= 0xff00000000000000ULL);
	EXPECT_EQ(e->kernel_logical & 0xfff, e->phys & 0xfff);
}

/* Unknown flags, output or reserved fields set, a stray dev_fd: EINVAL. */
static void explain_bad_input_einval(void)
{
	struct mmdma_explain e;
	int x = 0;

	memset(&e, 0, sizeof(e));
	e.addr = (uintptr_t)&x;
	e.flags = 1U << 5;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.flags = 0;
	e.valid = MMDMA_EXPLAIN_PRESENT;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.valid = 0;
	e.pfn = 1;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.pfn = 0;
	e.reserved[1] = 1;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.reserved[1] = 0;
	e.__pad = 1;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.__pad = 0;
	e.dev_fd = ctl_fd();
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.dev_fd = 0;
	e.pid = -1;
	EXPECT_ERR(mmdma_explain(ctl_fd(), &e), EINVAL);
	e.pid = 0;
	EXPECT_OK(mmdma_explain(ctl_fd(), &e));
}

/*
 * The command is announced (MMDMA_FEAT_EXPLAIN) and grows like the others:
 * a bigger struct with a zero tail works, a non-zero tail is E2BIG, a
 * smaller one EINVAL.
 */
static void explain_feature_bit_and_struct_size_rules(void)
{
	struct {
		struct mmdma_explain e;
		uint64_t tail;
	} big;
	unsigned long cmd = _IOC(_IOC_READ | _IOC_WRITE, MMDMA_IOC_MAGIC,
				 _IOC_NR(MMDMA_IOC_EXPLAIN), sizeof(big));
	unsigned long small = _IOC(_IOC_READ | _IOC_WRITE, MMDMA_IOC_MAGIC,
				   _IOC_NR(MMDMA_IOC_EXPLAIN), sizeof(big.e) - 8);
	int x = 1;

	EXPECT(t_ctl_info().features & MMDMA_FEAT_EXPLAIN);
	memset(&big, 0, sizeof(big));
	big.e.addr = (uintptr_t)&x;
	EXPECT_OK(ioctl(ctl_fd(), cmd, &big));
	EXPECT(big.e.valid & MMDMA_EXPLAIN_PRESENT);
	memset(&big, 0, sizeof(big));
	big.e.addr = (uintptr_t)&x;
	big.tail = 1;
	EXPECT_SYSERR(ioctl(ctl_fd(), cmd, &big), E2BIG);
	big.tail = 0;
	EXPECT_SYSERR(ioctl(ctl_fd(), small, &big), EINVAL);
}

static void explain_own_stack(void *arg)
{
	int ctlfd = *(int *)arg, x = 1;
	struct mmdma_explain e = { .addr = (uintptr_t)&x };

	EXPECT_ERR(mmdma_explain(ctlfd, &e), EPERM);
	EXPECT_EQ(e.valid, 0);
}

/* Physical addresses are CAP_SYS_ADMIN's: a real unprivileged user gets EPERM. */
static void explain_unprivileged_eperm(void)
{
	int keep[1] = { ctl_fd() };

	EXPECT_EQ(t_run_unprivileged(explain_own_stack, &keep[0], keep, 1), 0);
}

static void drop_admin_then_explain(void *arg)
{
	t_drop_cap(CAP_SYS_ADMIN);
	explain_own_stack(arg);
}

/* Root without CAP_SYS_ADMIN: EPERM too (CAP_SYS_RAWIO is not enough). */
static void explain_without_cap_sys_admin_eperm(void)
{
	int fd = ctl_fd();

	EXPECT_EQ(t_wait(t_fork(drop_admin_then_explain, &fd)), 0);
}

static void drop_rawio_then_explain(void *arg)
{
	int ctlfd = *(int *)arg, x = 1;
	struct t_dev d = t_dev_open(T_SOFT);
	struct mmdma_explain e = {
		.addr = (uintptr_t)&x, .flags = MMDMA_EXPLAIN_DEVICE, .dev_fd = d.fd,
	};

	t_drop_cap(CAP_SYS_RAWIO);
	EXPECT_ERR(mmdma_explain(ctlfd, &e), EPERM);
	EXPECT_EQ(e.valid, 0);
	/* Without a device: no bus address, CAP_SYS_ADMIN is enough. */
	e.flags = 0;
	e.dev_fd = 0;
	EXPECT_OK(mmdma_explain(ctlfd, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_PRESENT);
	close(d.fd);
}

/* A bus address also needs CAP_SYS_RAWIO, as MMDMA_BUF_DMA_ADDRS does. */
static void explain_bus_address_needs_cap_sys_rawio(void)
{
	int fd = ctl_fd();

	EXPECT_EQ(t_wait(t_fork(drop_rawio_then_explain, &fd)), 0);
}

static void exit_at_once(void *arg)
{
	(void)arg;
}

/* A pid with no process behind it: ESRCH. */
static void explain_missing_pid_esrch(void)
{
	struct mmdma_explain e;
	pid_t gone = t_fork(exit_at_once, NULL);
	int x = 0;

	EXPECT_EQ(t_wait(gone), 0);
	EXPECT_ERR(explain(gone, &x, -1, &e), ESRCH);
	EXPECT_ERR(explain(0x3ffffff0, &x, -1, &e), ESRCH);
}

/* An address no VMA holds: ENOENT (EFAULT is for the struct pointer). */
static void explain_unmapped_enoent(void)
{
	struct mmdma_explain e;
	char *p = t_map(-1, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0);

	ASSERT_OK(munmap(p + PAGE, PAGE));
	EXPECT_ERR(explain(0, p + PAGE, -1, &e), ENOENT);
	EXPECT_ERR(explain(0, NULL, -1, &e), ENOENT);
	EXPECT_ERR(explain(0, (void *)0xffff888000000000ULL, -1, &e), ENOENT);
	EXPECT_OK(explain(0, p, -1, &e));
	munmap(p, PAGE);
	EXPECT_SYSERR(ioctl(ctl_fd(), MMDMA_IOC_EXPLAIN, (void *)8), EFAULT);
}

/* A closed fd as the device: EBADF; a file that is not a device node: EINVAL. */
static void explain_bad_device_fd(void)
{
	struct mmdma_explain e;
	int x = 0, buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	EXPECT_ERR(explain(0, &x, 1000, &e), EBADF);
	EXPECT_ERR(explain(0, &x, ctl_fd(), &e), EINVAL);
	EXPECT_ERR(explain(0, &x, buf, &e), EINVAL);
	close(buf);
}

struct target {
	int go[2];	/* the target says it is ready */
	void *addr;	/* an address it has touched */
	bool nobody;	/* it becomes uid/gid 65534 first */
	pid_t pid;	/* the target, once started */
};

static void target_wait(void *arg)
{
	struct target *t = arg;
	char c = 1;

	if (t->nobody) {
		ASSERT_OK(setresgid(T_NOBODY, T_NOBODY, T_NOBODY));
		ASSERT_OK(setresuid(T_NOBODY, T_NOBODY, T_NOBODY));
		ASSERT_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	}
	*(volatile char *)t->addr = 7;
	ASSERT_EQ(write(t->go[1], &c, 1), 1);
	pause();
}

static pid_t target_start(struct target *t)
{
	pid_t pid;
	char c;

	ASSERT_OK(pipe(t->go));
	pid = t_fork(target_wait, t);
	ASSERT_EQ(read(t->go[0], &c, 1), 1);
	close(t->go[0]);
	close(t->go[1]);
	return pid;
}

static void target_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void explain_other_without_ptrace(void *arg)
{
	struct target *t = arg;
	struct mmdma_explain e;

	t_drop_cap(CAP_SYS_PTRACE);
	EXPECT_ERR(explain(t->pid, t->addr, -1, &e), EACCES);
}

/*
 * Another process, another user's or our own: CAP_SYS_ADMIN alone is not
 * enough, the caller needs CAP_SYS_PTRACE too: EACCES.
 */
static void explain_other_user_needs_ptrace_eacces(void)
{
	struct target t = { .nobody = true };
	struct mmdma_explain e;
	pid_t pid;

	t.addr = t_map(-1, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	pid = target_start(&t);
	/* With CAP_SYS_PTRACE (root): allowed. */
	EXPECT_OK(explain(pid, t.addr, -1, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_PRESENT);
	t.pid = pid;
	EXPECT_EQ(t_wait(t_fork(explain_other_without_ptrace, &t)), 0);
	target_stop(pid);

	/* Our own user's child: the same answer. */
	t.nobody = false;
	pid = target_start(&t);
	t.pid = pid;
	EXPECT_EQ(t_wait(t_fork(explain_other_without_ptrace, &t)), 0);
	target_stop(pid);
	munmap(t.addr, PAGE);
}

/*
 * An address in a VMA with nothing mapped yet: reported, and left so (the
 * call never faults anything in: a second look, and the buffer's fault
 * counter, say so).
 */
static void explain_unpopulated_stays_unpopulated(void)
{
	struct mmdma_explain e;
	char *p = t_map(-1, 3 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	unsigned char vec[3];
	int buf;
	char *q;

	ASSERT_OK(explain(0, p + PAGE + 5, -1, &e));
	EXPECT_EQ(e.vm_start, (uintptr_t)p);
	EXPECT_EQ(e.vm_end, (uintptr_t)p + 3 * PAGE);
	EXPECT(!(e.valid & (MMDMA_EXPLAIN_PRESENT | MMDMA_EXPLAIN_PAGE |
			    MMDMA_EXPLAIN_SWAP)));
	EXPECT_EQ(e.leaf, MMDMA_LEVEL_NONE);
	EXPECT_EQ(e.pfn, 0);
	EXPECT(e.levels >= 1 && e.levels <= 5);
	if (e.levels == 5)
		EXPECT_EQ(e.pte, 0);
	ASSERT_OK(mincore(p, 3 * PAGE, vec));
	EXPECT_EQ(vec[1] & 1, 0);
	munmap(p, 3 * PAGE);

	buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	q = t_map(buf, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_OK(explain(0, q + 2 * PAGE, -1, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_BUF);
	EXPECT_EQ(e.buf_offset, 2 * PAGE);
	EXPECT(!(e.valid & MMDMA_EXPLAIN_PRESENT));
	EXPECT_EQ(t_info(buf).faults, 0);
	munmap(q, 4 * PAGE);
	close(buf);
}

/*
 * A private anonymous page written once: present at the PTE level, the PFN
 * pagemap gives, anonymous and swap-backed, mapped once.  Its reference
 * count is 1, or 2 while the folio still sits in this CPU's LRU-add batch.
 * After fork() the child maps it too: mapcount 2.
 */
static void explain_anon_private_page(void)
{
	struct mmdma_explain e;
	char *p = t_map(-1, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	struct target t = { 0 };
	pid_t pid;

	p[100] = 1;
	ASSERT_OK(explain(0, p + 100, -1, &e));
	EXPECT_EQ(e.vm_start, (uintptr_t)p);
	EXPECT_EQ(e.vm_flags & (VM_READ | VM_WRITE | VM_SHARED), VM_READ | VM_WRITE);
	EXPECT_EQ(e.file_ino, 0);
	EXPECT_EQ(e.file_name[0], '\0');
	EXPECT_EQ(e.vm_pgoff, (uintptr_t)p / PAGE);
	EXPECT_EQ(e.leaf, MMDMA_LEVEL_PTE);
	expect_present(&e, pagemap_pfn(p) * PAGE + 100);
	expect_page_lowmem(&e);
	EXPECT_EQ(e.page_flags & (MMDMA_PG_ANON | MMDMA_PG_SWAPBACKED | MMDMA_PG_LARGE),
		  MMDMA_PG_ANON | MMDMA_PG_SWAPBACKED);
	EXPECT_EQ(e.folio_order, 0);
	EXPECT_EQ(e.mapcount, 1);
	EXPECT(e.refcount == 1 || e.refcount == 2);
	EXPECT(!(e.valid & (MMDMA_EXPLAIN_PFNMAP | MMDMA_EXPLAIN_BUF |
			    MMDMA_EXPLAIN_KVIRT | MMDMA_EXPLAIN_BUS)));
	/* Writable and dirty in the PTE: bits 1 (RW) and 6 (dirty). */
	EXPECT_EQ(e.pte & 0x42, 0x42);

	t.addr = p + 200;	/* read by the child: stays shared */
	pid = target_start(&t);
	/* The child wrote byte 200: its copy is its own; ours is unchanged. */
	ASSERT_OK(explain(0, p + 100, -1, &e));
	EXPECT_EQ(e.pfn, pagemap_pfn(p));
	EXPECT_EQ(e.mapcount, 1);
	target_stop(pid);

	/* A child that only reads shares the page: mapcount 2, PTE read-only. */
	ASSERT_OK(pipe(t.go));
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		char c = p[100];

		if (write(t.go[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	{
		char c;

		ASSERT_EQ(read(t.go[0], &c, 1), 1);
	}
	close(t.go[0]);
	close(t.go[1]);
	ASSERT_OK(explain(0, p + 100, -1, &e));
	EXPECT_EQ(e.mapcount, 2);
	EXPECT_EQ(e.pte & 0x2, 0);
	ASSERT_OK(explain(pid, p + 100, -1, &e));
	EXPECT_EQ(e.pfn, pagemap_pfn(p));
	EXPECT_EQ(e.mapcount, 2);
	target_stop(pid);
	munmap(p, PAGE);
}

/* A shared mapping of a file at page offset 2: the VMA names file and pgoff. */
static void explain_file_page(void)
{
	char path[] = "/tmp/explain-XXXXXX";
	struct mmdma_explain e;
	static char data[3 * PAGE];
	struct stat st;
	char *p;
	int fd;

	fd = mkstemp(path);
	ASSERT_OK(fd);
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(write(fd, data, sizeof(data)), sizeof(data));
	ASSERT_OK(fstat(fd, &st));
	p = t_map(fd, PAGE, PROT_READ, MAP_SHARED, 2 * PAGE);
	EXPECT_EQ(*(volatile char *)(p + 9), 0x5a);

	ASSERT_OK(explain(0, p + 9, -1, &e));
	EXPECT_EQ(e.file_ino, st.st_ino);
	EXPECT_EQ(e.vm_pgoff, 2);
	EXPECT(!strcmp((char *)e.file_name, path));
	EXPECT_EQ(e.vm_flags & (VM_READ | VM_WRITE | VM_SHARED), VM_READ | VM_SHARED);
	EXPECT_EQ(e.leaf, MMDMA_LEVEL_PTE);
	expect_present(&e, pagemap_pfn(p) * PAGE + 9);
	expect_page_lowmem(&e);
	/* A page-cache page of tmpfs: up to date, swap-backed, not anonymous. */
	EXPECT_EQ(e.page_flags & (MMDMA_PG_ANON | MMDMA_PG_UPTODATE),
		  MMDMA_PG_UPTODATE);
	EXPECT(e.page_flags & MMDMA_PG_SWAPBACKED);
	EXPECT_EQ(e.mapcount, 1);
	/* The page cache's reference, ours: at least 2. */
	EXPECT(e.refcount >= 2);
	munmap(p, PAGE);
	close(fd);
	unlink(path);
}

/* Every kind and mapping method of a buffer, checked field by field. */
static void check_buf(uint32_t kind, uint32_t method, int dev)
{
	const uint64_t size = 4 * PAGE, off = 2 * PAGE + 123;
	struct mmdma_explain e;
	struct mmdma_buf_info info;
	int buf = t_buf(size, kind, method);
	char *p = t_map(buf, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	/*
	 * Reserved memory is mapped VM_MIXEDMAP | VM_IO, not VM_PFNMAP (VFIO
	 * would map a PFN map of its PageReserved pages unpinned): flagged
	 * MMDMA_EXPLAIN_PFNMAP for its VM_IO all the same.
	 */
	bool pfnmap = method == MMDMA_MAP_REMAP && kind != MMDMA_MEM_RESERVED;
	bool io = method == MMDMA_MAP_REMAP;
	uint64_t phys;

	ktap_diag("%s/%s", mmdma_kind_name(kind), mmdma_method_name(method));
	EXPECT_EQ(*(volatile char *)(p + off), 0);
	info = t_info(buf);
	phys = buf_phys(buf, off) + (off & (PAGE - 1));
	ASSERT_OK(explain(0, p + off, dev, &e));

	EXPECT(e.valid & MMDMA_EXPLAIN_BUF);
	EXPECT_EQ(e.buf_id, info.id);
	EXPECT_EQ(e.buf_offset, off);
	EXPECT_EQ(e.vm_start, (uintptr_t)p);
	EXPECT_EQ(e.vm_end, (uintptr_t)p + size);
	EXPECT_EQ(e.vm_pgoff, 0);
	EXPECT(e.file_ino != 0);
	EXPECT(strstr((char *)e.file_name, "mmdma-buf") != NULL);
	EXPECT_EQ(!!(e.valid & MMDMA_EXPLAIN_PFNMAP), io);
	EXPECT_EQ(!!(e.vm_flags & VM_PFNMAP), pfnmap);
	EXPECT_EQ(!!(e.vm_flags & VM_IO), io);
	/* vm_insert_pages() marks its VMA mixed too. */
	EXPECT_EQ(!!(e.vm_flags & VM_MIXEDMAP),
		  kind == MMDMA_MEM_RESERVED || method == MMDMA_MAP_INSERT);
	EXPECT_EQ(e.leaf, MMDMA_LEVEL_PTE);
	expect_present(&e, phys);
	/*
	 * Write-back: no cache bit in the entry.  For reserved memory the
	 * inserted entries take the type PAT recorded for the region (the
	 * driver's memremap() WB); memory PAT knew nothing of would be UC-
	 * (PCD set).
	 */
#ifdef __x86_64__
	EXPECT_EQ(e.pte & (PTE_PWT | PTE_PCD | PTE_PAT), 0);
#endif

	if (kind == MMDMA_MEM_RESERVED) {
		/*
		 * Not RAM the kernel manages: a struct page (pfn_valid()),
		 * never counted as mapped, and no linear-map address.
		 */
		EXPECT_EQ(e.mapcount, 0);
		EXPECT(!(e.valid & MMDMA_EXPLAIN_LOGICAL));
	} else {
		expect_page_lowmem(&e);
		EXPECT_EQ(e.folio_order, 0);
		EXPECT_EQ(e.page_flags & (MMDMA_PG_ANON | MMDMA_PG_LRU | MMDMA_PG_LARGE), 0);
		/*
		 * The driver's reference, and one per page-table entry
		 * that counts: remap_pfn_range() entries take none.
		 */
		EXPECT_EQ(e.mapcount, pfnmap ? 0 : 1);
		EXPECT_EQ(e.refcount, pfnmap ? 1 : 2);
	}

	switch (kind) {
	case MMDMA_MEM_PAGES:
		EXPECT(!(e.valid & MMDMA_EXPLAIN_KVIRT));
		break;
	case MMDMA_MEM_CONTIG:
		/* Its kernel address is the linear map's. */
		EXPECT(e.valid & MMDMA_EXPLAIN_KVIRT);
		EXPECT(!(e.valid & MMDMA_EXPLAIN_KVIRT_VMALLOC));
		EXPECT_EQ(e.kernel_virtual, e.kernel_logical);
		break;
	case MMDMA_MEM_VMALLOC:
		EXPECT(e.valid & MMDMA_EXPLAIN_KVIRT);
		EXPECT(e.valid & MMDMA_EXPLAIN_KVIRT_VMALLOC);
		EXPECT(e.kernel_virtual != e.kernel_logical);
		EXPECT_EQ(e.kernel_virtual & 0xfff, off & 0xfff);
		break;
	case MMDMA_MEM_RESERVED:
		EXPECT(e.valid & MMDMA_EXPLAIN_KVIRT);
		break;
	}
	munmap(p, size);
	close(buf);
}

/* The PFN equals MMDMA_BUF_PHYS's answer, for every kind and method. */
static void explain_pfn_equals_buf_phys_every_kind(void)
{
	for (size_t i = 0; i < nr_combos; i++)
		check_buf(combos[i].kind, combos[i].method, -1);
	if (t_ctl_info().features & MMDMA_FEAT_MEM_RESERVED)
		check_buf(MMDMA_MEM_RESERVED, MMDMA_MAP_REMAP, -1);
	else
		ktap_diag("no reserved region in this profile");
}

/* A vmalloc buffer: the driver's kernel address lies in vmalloc space. */
static void explain_vmalloc_kernel_address_in_vmalloc_space(void)
{
	check_buf(MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT, -1);
	check_buf(MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT, -1);
}

/* A MMDMA_MAP_HUGE buffer is mapped by a PMD leaf (where the kernel can). */
static void explain_huge_mapping_shows_pmd_leaf(void)
{
	const uint64_t size = 2 << 20, off = 0x12345;
	bool pmd = t_ctl_info().features & MMDMA_FEAT_MAP_HUGE;
	struct mmdma_explain e;
	int buf = t_buf(size, MMDMA_MEM_CONTIG, MMDMA_MAP_HUGE);
	char *p = t_map(buf, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint64_t phys = buf_phys(buf, off) + (off & (PAGE - 1));

	EXPECT_EQ(*(volatile char *)(p + off), 0);
	ASSERT_OK(explain(0, p + off, -1, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_PFNMAP);
	EXPECT_EQ(e.buf_offset, off);
	expect_present(&e, phys);
	expect_page_lowmem(&e);
	if (!pmd) {
		ktap_diag("no PMD mappings on this kernel: 4 KiB entries");
		EXPECT_EQ(e.leaf, MMDMA_LEVEL_PTE);
	} else {
		EXPECT_EQ(t_info(buf).huge_faults, 1);
		EXPECT_EQ(e.leaf, MMDMA_LEVEL_PMD);
		EXPECT_EQ(e.levels, 4);
		/* PSE (bit 7) set, and the entry names the 2 MiB frame. */
		EXPECT(e.pmd & 0x80);
		EXPECT_EQ(entry_pfn(e.pmd & ~0x1000ULL), (phys - off) >> 12);
		EXPECT_EQ(e.pte, 0);
	}
	munmap(p, size);
	close(buf);
}

/* The edu BAR mapping: a PFN map of I/O memory, no struct page. */
static void explain_pfnmap_bar_has_no_struct_page(void)
{
	struct t_dev d = t_dev_open(T_EDU);
	volatile uint32_t *r = t_map(d.fd, PAGE, PROT_READ, MAP_SHARED, 0);
	char path[256], line[256];
	unsigned long long bar;
	struct mmdma_explain e;

	EXPECT_EQ(r[0], EDU_ID);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", t_edu_bdf());
	t_read_line(path, line, sizeof(line));
	bar = strtoull(line, NULL, 16);

	ASSERT_OK(explain(0, (const char *)r + 8, -1, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_PFNMAP);
	EXPECT_EQ(e.vm_flags & (VM_IO | VM_PFNMAP), VM_IO | VM_PFNMAP);
	EXPECT(e.valid & MMDMA_EXPLAIN_PRESENT);
	EXPECT_EQ(e.phys, bar + 8);
	EXPECT(!(e.valid & (MMDMA_EXPLAIN_PAGE | MMDMA_EXPLAIN_LOGICAL |
			    MMDMA_EXPLAIN_BUF)));
	/* No struct page, so no bus address either. */
	ASSERT_OK(explain(0, (const char *)r + 8, d.fd, &e));
	EXPECT(!(e.valid & MMDMA_EXPLAIN_BUS));
	munmap((void *)r, PAGE);
	close(d.fd);
}

/* Another process's address (same user, root): its page, as it maps it. */
static void explain_other_pid(void)
{
	int buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	char *p = t_map(buf, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	struct target t = { .addr = p + 3 * PAGE };
	struct mmdma_explain e;
	pid_t pid;

	pid = target_start(&t);
	/* Untouched here: our page table has no entry, the child's has. */
	ASSERT_OK(explain(0, p + 3 * PAGE, -1, &e));
	EXPECT(!(e.valid & MMDMA_EXPLAIN_PRESENT));
	ASSERT_OK(explain(pid, p + 3 * PAGE + 1, -1, &e));
	expect_present(&e, buf_phys(buf, 3 * PAGE) + 1);
	EXPECT_EQ(e.buf_offset, 3 * PAGE + 1);
	target_stop(pid);
	munmap(p, 4 * PAGE);
	close(buf);
}

/* Bus addresses on a device without an IOMMU: the physical address, or
 * under swiotlb=force none that lasts (a bounce slot). */
static void explain_bus_address_without_iommu(void)
{
	struct t_dev d = t_dev_open(T_SOFT);
	int buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_INSERT);
	char *p = t_map(buf, 4 * PAGE, PROT_READ, MAP_SHARED, 0);
	struct mmdma_dma_seg seg[4];
	struct mmdma_explain e;
	uint32_t nr = 0;
	int n, x = 3;
	/*
	 * swiotlb=force: every mapping is a bounce slot, freed at once, so
	 * the DMA layer's answer is no lasting address (BUS_BOUNCED).
	 */
	bool bounce = t_profile_is("swiotlb");
	uint32_t transient = bounce ? MMDMA_EXPLAIN_BUS_BOUNCED : MMDMA_EXPLAIN_BUS;

	ASSERT_OK(explain(0, p + PAGE + 7, d.fd, &e));
	EXPECT(!(e.valid & MMDMA_EXPLAIN_BUS_IOMMU));
	EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD |
			     MMDMA_EXPLAIN_BUS_BOUNCED), transient);
	EXPECT_EQ(e.bus_addr, bounce ? 0 : e.phys);

	/* Attached: the address of the attachment the driver holds. */
	ASSERT_OK(mmdma_buf_attach(buf, d.fd, MMDMA_DIR_BIDIRECTIONAL));
	n = mmdma_buf_dma_addrs(buf, d.fd, 0, 4, seg, &nr);
	ASSERT(n >= 1);
	ASSERT_OK(explain(0, p + 7, d.fd, &e));
	EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD |
			     MMDMA_EXPLAIN_BUS_ATTACHED),
		  MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD | MMDMA_EXPLAIN_BUS_ATTACHED);
	EXPECT_EQ(e.bus_addr, seg[0].dma_addr + 7);
	ASSERT_OK(mmdma_buf_detach(buf, d.fd));

	/* A remap_pfn_range() mapping (special PTEs) of a contiguous buffer. */
	{
		int rb = t_buf(2 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP);
		char *rp = t_map(rb, 2 * PAGE, PROT_READ, MAP_SHARED, 0);

		ASSERT_OK(explain(0, rp + PAGE + 9, d.fd, &e));
		EXPECT(e.valid & MMDMA_EXPLAIN_PFNMAP);
		EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_BOUNCED),
			  transient);
		EXPECT_EQ(e.bus_addr, bounce ? 0 : buf_phys(rb, PAGE) + 9);
		munmap(rp, 2 * PAGE);
		close(rb);
	}

	/* An anonymous page, for the same device. */
	ASSERT_OK(explain(0, &x, d.fd, &e));
	EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_BOUNCED),
		  transient);
	EXPECT_EQ(e.bus_addr, bounce ? 0 : e.phys);
	munmap(p, 4 * PAGE);
	close(buf);
	close(d.fd);
}

/*
 * A coherent buffer: its bus address is the DMA handle the driver holds,
 * which a transfer from it reports too.  Behind an IOMMU it differs from
 * the physical address; without one it is the physical address.
 */
static void explain_coherent_bus_address(void)
{
	bool iommu = t_profile_is("iommu");
	struct t_dev d = t_dev_open(iommu ? T_EDU : T_SOFT);
	const uint64_t off = PAGE + 64;
	struct mmdma_explain e;
	struct mmdma_xfer x;
	int buf = mmdma_alloc_dev(ctl_fd(), 4 * PAGE, MMDMA_MEM_COHERENT,
				  MMDMA_MAP_REMAP, 0, d.fd);
	char *p;

	ASSERT_OK(buf);
	p = t_map(buf, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[off] = 1;
	ASSERT_OK(t_xfer(&d, MMDMA_XFER_TO_DEV, 0, buf, off, -1, 0, 0, 64, &x));
	ASSERT_OK(explain(0, p + off, d.fd, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_PFNMAP);
	EXPECT_EQ(e.buf_offset, off);
	/*
	 * No MMDMA_BUF_PHYS for coherent memory, and pagemap skips PFN
	 * maps: where the driver's kernel address is in the linear map, it
	 * and the page's logical address must agree.
	 */
	EXPECT(e.valid & MMDMA_EXPLAIN_PRESENT);
	EXPECT_EQ(e.leaf, MMDMA_LEVEL_PTE);
	EXPECT_EQ(e.phys & 0xfff, off & 0xfff);
	expect_page_lowmem(&e);
	EXPECT_EQ(e.mapcount, 0);
	if (!(e.valid & MMDMA_EXPLAIN_KVIRT_VMALLOC))
		EXPECT_EQ(e.kernel_virtual, e.kernel_logical);
	EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD |
			     MMDMA_EXPLAIN_BUS_COHERENT),
		  MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_HELD | MMDMA_EXPLAIN_BUS_COHERENT);
	EXPECT_EQ(e.bus_addr, x.bus_addr);
	EXPECT(e.valid & MMDMA_EXPLAIN_KVIRT);
	EXPECT_EQ(!!(e.valid & MMDMA_EXPLAIN_BUS_IOMMU), iommu);
	if (iommu)
		EXPECT(e.bus_addr != e.phys);
	else
		EXPECT_EQ(e.bus_addr, e.phys);
	munmap(p, 4 * PAGE);
	close(buf);
	close(d.fd);
}

/* Behind the IOMMU: an anonymous page and an attachment get IOVAs. */
static void explain_iommu_bus_addresses_are_iovas(void)
{
	struct t_dev d;
	struct mmdma_dma_seg seg;
	struct mmdma_explain e;
	uint32_t nr = 0;
	char *p;
	int buf, x = 5;

	if (!t_profile_is("iommu"))
		ktap_skip("no IOMMU in this profile");
	d = t_dev_open(T_EDU);
	ASSERT_OK(explain(0, &x, d.fd, &e));
	EXPECT_EQ(e.valid & (MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_IOMMU |
			     MMDMA_EXPLAIN_BUS_HELD),
		  MMDMA_EXPLAIN_BUS | MMDMA_EXPLAIN_BUS_IOMMU);
	/* The IOVA lies in the device's 28 bits, keeps the page offset. */
	EXPECT(e.bus_addr < (1ULL << 28));
	EXPECT_EQ(e.bus_addr & 0xfff, e.phys & 0xfff);

	buf = t_buf(4 * PAGE, MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT);
	p = t_map(buf, 4 * PAGE, PROT_READ, MAP_SHARED, 0);
	ASSERT_OK(mmdma_buf_attach(buf, d.fd, MMDMA_DIR_TO_DEVICE));
	ASSERT(mmdma_buf_dma_addrs(buf, d.fd, 0, 1, &seg, &nr) == 1);
	ASSERT_OK(explain(0, p + 3 * PAGE + 5, d.fd, &e));
	EXPECT(e.valid & MMDMA_EXPLAIN_BUS_ATTACHED);
	/* A contiguous buffer is one IOVA range: offset from the first. */
	EXPECT_EQ(nr, 1);
	EXPECT_EQ(e.bus_addr, seg.dma_addr + 3 * PAGE + 5);
	EXPECT(e.bus_addr != e.phys);
	munmap(p, 4 * PAGE);
	close(buf);
	close(d.fd);
}

struct cli_run {
	int pipefd[2];		/* its stdout */
	char *argv[9];
};

static void cli_explain(void *arg)
{
	struct cli_run *r = arg;

	dup2(r->pipefd[1], 1);
	close(r->pipefd[0]);
	execv("/opt/mmdma/bin/mmdma", r->argv);
	_exit(98);
}

/*
 * `mmdma explain --pid PID ADDR --device DEV` speaks the chapter's terms,
 * with the numbers the ioctl gives.
 */
static void cli_explain_uses_the_chapter_terms(void)
{
	static const char *const terms[] = {
		"user virtual address", "VMA (virtual memory area)", "page tables",
		"pte entry", "page frame number", "physical address", "struct page",
		"low memory (not high memory)", "kernel logical address",
		"kernel virtual address", "in vmalloc space", "bus address for mmdma-soft0",
		"mmdma buffer",
	};
	int buf = t_buf(4 * PAGE, MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT);
	char *p = t_map(buf, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	char pid[16], addr[32], phys[64], out[8192] = "";
	struct cli_run r = {
		.argv = { "mmdma", "explain", "--pid", pid, addr, "--device", T_SOFT, NULL },
	};
	struct mmdma_explain e;
	ssize_t n, got = 0;
	pid_t child;

	/* make check always puts the CLI in the guest. */
	ASSERT_OK(access("/opt/mmdma/bin/mmdma", X_OK));
	p[PAGE + 5] = 1;
	ASSERT_OK(explain(0, p + PAGE + 5, -1, &e));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(addr, sizeof(addr), "%p", (void *)(p + PAGE + 5));
	snprintf(phys, sizeof(phys), "physical address 0x%llx", (unsigned long long)e.phys);
	ASSERT_OK(pipe(r.pipefd));
	child = t_fork(cli_explain, &r);
	close(r.pipefd[1]);
	while ((n = read(r.pipefd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(r.pipefd[0]);
	EXPECT_EQ(t_wait(child), 0);
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++)
		if (!strstr(out, terms[i]))
			ktap_fail(false, __FILE__, __LINE__, "no \"%s\" in the output", terms[i]);
	EXPECT(strstr(out, phys) != NULL);
	if (ktap_failed())
		ktap_diag("output: %s", out);
	munmap(p, 4 * PAGE);
	close(buf);
}

struct race {
	char *addr;		/* where the mapper maps, and the explainer looks */
	int buf;
	volatile bool start, stop;
	unsigned long maps, present, absent;
};

static void *race_mapper(void *arg)
{
	struct race *r = arg;

	while (!r->start)
		;
	while (!r->stop) {
		/* NOREPLACE: never over something else that landed there. */
		char *p = mmap(r->addr, 4 * PAGE, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED_NOREPLACE, r->buf, 0);

		if (p == MAP_FAILED)
			break;
		p[PAGE] = 1;
		/* Keep it mapped a while, so some answers find the page. */
		for (int i = 0; i < 2000; i++)
			(void)*(volatile char *)(p + PAGE);
		munmap(p, 4 * PAGE);
		r->maps++;
	}
	return NULL;
}

/*
 * One thread maps, touches and unmaps a buffer in a loop while another
 * explains the address (with a device, so the buffer and page references
 * are taken and dropped too): every answer is a whole one, no oops.
 */
static void explain_races_munmap(void)
{
	struct t_dev d = t_dev_open(T_SOFT);
	struct race r = { 0 };
	struct mmdma_explain e;
	struct timespec t0, t1;
	pthread_t th;
	int ret;

	r.buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	/* The thread's stack first, so it cannot land in the hole. */
	ASSERT_EQ(pthread_create(&th, NULL, race_mapper, &r), 0);
	r.addr = t_map(-1, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_OK(munmap(r.addr, 4 * PAGE));
	r.start = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ret = explain(0, r.addr + PAGE + 1, d.fd, &e);
		if (ret == -ENOENT) {
			r.absent++;
		} else {
			EXPECT_OK(ret);
			if (ret)
				break;
			EXPECT(e.valid & MMDMA_EXPLAIN_BUF);
			EXPECT_EQ(e.buf_offset, PAGE + 1);
			if (e.valid & MMDMA_EXPLAIN_PRESENT) {
				r.present++;
				EXPECT(e.valid & MMDMA_EXPLAIN_PAGE);
				EXPECT_EQ(e.pfn, buf_phys(r.buf, PAGE) >> 12);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (!ktap_failed() && t1.tv_sec - t0.tv_sec < 3);
	r.stop = true;
	pthread_join(th, NULL);
	ktap_diag("%lu maps; %lu answers present, %lu without a VMA",
		  r.maps, r.present, r.absent);
	EXPECT(r.maps > 0);
	EXPECT_EQ(t_info(r.buf).live_maps, 0);
	close(r.buf);
	close(d.fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(explain_bad_input_einval),
	KTAP_CASE(explain_feature_bit_and_struct_size_rules),
	KTAP_CASE(explain_unprivileged_eperm),
	KTAP_CASE(explain_without_cap_sys_admin_eperm),
	KTAP_CASE(explain_bus_address_needs_cap_sys_rawio),
	KTAP_CASE(explain_missing_pid_esrch),
	KTAP_CASE(explain_unmapped_enoent),
	KTAP_CASE(explain_bad_device_fd),
	KTAP_CASE(explain_other_user_needs_ptrace_eacces),
	KTAP_CASE(explain_unpopulated_stays_unpopulated),
	KTAP_CASE(explain_anon_private_page),
	KTAP_CASE(explain_file_page),
	KTAP_CASE(explain_pfn_equals_buf_phys_every_kind),
	KTAP_CASE(explain_vmalloc_kernel_address_in_vmalloc_space),
	KTAP_CASE(explain_huge_mapping_shows_pmd_leaf),
	KTAP_CASE(explain_pfnmap_bar_has_no_struct_page),
	KTAP_CASE(explain_other_pid),
	KTAP_CASE(explain_bus_address_without_iommu),
	KTAP_CASE(explain_coherent_bus_address),
	KTAP_CASE(explain_iommu_bus_addresses_are_iovas),
	KTAP_CASE(explain_races_munmap),
	KTAP_CASE(cli_explain_uses_the_chapter_terms),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
