// SPDX-License-Identifier: GPL-2.0
/*
 * Persistent named buffers: made by the named= module parameter (every
 * kernel) or through configfs (skipped, with the reason, on a kernel
 * without it), each with its own node /dev/mmdma-named/NAME that works
 * like a file of fixed size; deleting one in use revokes it (ENODEV from
 * every call, SIGBUS from its mappings), and the dma-bufs exported from it;
 * a buffer made for a device is mapped again when a device of that name
 * comes back (its provider reloaded); addresses are root's only.
 * Unloads and reloads the driver ($MMDMA_KO, $MMDMA_PARAMS plus named=).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/dma-buf.h>

#include "cliutil.h"
#include "devutil.h"
#include "util.h"

#define NODE_DIR	"/dev/mmdma-named/"
#define CLASS_DIR	"/sys/class/mmdma-named/"
#define CFS_DIR		"/sys/kernel/config/mmdma/"
#define TOTAL_BYTES	"/sys/class/misc/mmdma/total_bytes"

static const char *ko_path(void)
{
	const char *ko = getenv("MMDMA_KO");

	if (!ko || access(ko, R_OK))
		t_absent("module", "MMDMA_KO does not name a readable mmdma.ko");
	return ko;
}

/*
 * The core without its providers: they hold it, and unloading them first
 * lets a case see what holds the core itself (an open node, a configfs
 * directory).  0 or the first -errno.
 */
static int core_unload(void)
{
	int ret = t_providers_unload();

	return ret ? ret : mod_unload("mmdma");
}

/*
 * The core with the profile's parameters plus @extra, then the providers:
 * 0, or -errno of the core's load (the providers' as a failed case).
 */
static int load_with(const char *extra)
{
	char params[1024], names[8][32];
	int n, ret;

	t_mod_params("mmdma", params, sizeof(params));
	snprintf(params + strlen(params), sizeof(params) - strlen(params), " %s", extra);
	core_unload();
	ret = mod_load(ko_path(), params);
	if (ret)
		return ret;
	n = t_providers(names, 8);
	for (int i = 0; i < n; i++)
		ASSERT_OK(t_mod_load_default(names[i]));
	return 0;
}

/* The profile's driver back, for whatever runs next. */
static void reload_default(void)
{
	core_unload();
	ASSERT_OK(t_driver_load());
}

static void path_of(char *out, size_t n, const char *dir, const char *name,
		    const char *file)
{
	snprintf(out, n, "%s%s%s%s", dir, name, file ? "/" : "", file ? file : "");
}

static void expect_attr(const char *name, const char *attr, const char *want)
{
	char path[256], line[128];

	path_of(path, sizeof(path), CLASS_DIR, name, attr);
	t_read_line(path, line, sizeof(line));
	if (strcmp(line, want))
		ktap_fail(false, __FILE__, __LINE__, "%s: \"%s\", expected \"%s\"",
			  path, line, want);
}

static int node_open(const char *name, int flags)
{
	char path[256];

	path_of(path, sizeof(path), NODE_DIR, name, NULL);
	return open(path, flags);
}

/* Read a whole attribute: its bytes, or -errno of open or read. */
static ssize_t read_attr(const char *path, char *out, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, out, n - 1);
	r = r < 0 ? -errno : r;
	close(fd);
	if (r >= 0)
		out[r] = '\0';
	return r;
}

static int sysfs_delete(const char *name)
{
	char path[256];

	path_of(path, sizeof(path), CLASS_DIR, name, "delete");
	return t_write_attr(path, "1");
}

/* configfs in this kernel?  A Debian kernel has it: then it must work. */
static void need_configfs(void)
{
	FILE *f = fopen("/proc/filesystems", "r");
	char line[128];
	bool have = false;

	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\tconfigfs\n"))
			have = true;
	fclose(f);
	if (!have)
		ktap_skip("the kernel has no configfs (CONFIG_CONFIGFS_FS): named= only");
	if (access(CFS_DIR, F_OK))
		ktap_fail(true, __FILE__, __LINE__, "configfs is there but %s is not: %s",
			  CFS_DIR, strerror(errno));
}

static int cfs_set(const char *name, const char *attr, const char *value)
{
	char path[256];

	path_of(path, sizeof(path), CFS_DIR, name, attr);
	return t_write_attr(path, value);
}

/* mkdir, attributes, enable: 0 or the first -errno. */
static int cfs_create(const char *name, const char *size, const char *kind,
		      const char *cache, const char *device)
{
	char path[256];
	int ret;

	path_of(path, sizeof(path), CFS_DIR, name, NULL);
	if (mkdir(path, 0755))
		return -errno;
	ret = cfs_set(name, "size", size);
	if (!ret && kind)
		ret = cfs_set(name, "kind", kind);
	if (!ret && cache)
		ret = cfs_set(name, "cache", cache);
	if (!ret && device)
		ret = cfs_set(name, "device", device);
	if (!ret)
		ret = cfs_set(name, "enable", "1");
	return ret;
}

static int cfs_remove(const char *name)
{
	char path[256];

	path_of(path, sizeof(path), CFS_DIR, name, NULL);
	return rmdir(path) ? -errno : 0;
}

/* Each malformed entry refuses the load with EINVAL. */
static void param_malformed_entries_refuse_load_einval(void)
{
	static const char *const bad[] = {
		"named=a/b:4096",	/* '/' in a name */
		"named=:4096",		/* empty name */
		"named=.hidden:4096",	/* leading dot */
		"named=abcdefghijklmnopqrstuvwxyz0123456:4096",	/* 33 characters */
		"named=x",		/* no size */
		"named=x:0",		/* zero size */
		"named=x:12q",		/* not a size */
		"named=x:4k:bogus",	/* no such kind */
		"named=x:4k:pages:bogus", /* no such cache mode */
		"named=x:4k:pages:cached:mmdma-edu0:more", /* a sixth field */
		"named=x:4k,x:8k",	/* the same name twice */
		"named=x:4k:coherent",	/* coherent memory needs a device */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = load_with(bad[i]);

		if (ret != -EINVAL)
			ktap_fail(false, __FILE__, __LINE__, "%s: load gave %d, expected %d",
				  bad[i], ret, -EINVAL);
	}
	reload_default();
}

/*
 * Limits: max_buf_size E2BIG, max_total ENOMEM.  A device that is not
 * registered is waited for (the providers load after the core): no buffer,
 * and the load succeeds.
 */
static void param_limits_refuse_load_exact_errno(void)
{
	char path[256];

	EXPECT_OK(load_with("named=x:4k:pages:cached:mmdma-nosuch0"));
	path_of(path, sizeof(path), NODE_DIR, "x", NULL);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	EXPECT_ERR(load_with("max_buf_size=1M named=x:2M"), E2BIG);
	EXPECT_ERR(load_with("max_total=1M named=x:512K,y:768K"), ENOMEM);
	reload_default();
}

/* The node, its sysfs directory and its size, exactly as asked. */
static void param_buffers_have_nodes_and_attributes(void)
{
	char path[256];
	struct stat st;
	int fd;

	ASSERT_OK(load_with("named=na:10000,nb:1M:contig:wc"));
	path_of(path, sizeof(path), NODE_DIR, "na", NULL);
	ASSERT_OK(stat(path, &st));
	EXPECT(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_uid, 0);
	expect_attr("na", "size", "12288\n");
	expect_attr("na", "kind", "pages\n");
	expect_attr("na", "cache", "cached\n");
	expect_attr("na", "origin", "param\n");
	expect_attr("na", "dma_device", "\n");
	expect_attr("nb", "size", "1048576\n");
	expect_attr("nb", "kind", "contig\n");
	expect_attr("nb", "cache", "wc\n");
	path_of(path, sizeof(path), "/sys/module/mmdma/parameters/", "named", NULL);
	t_read_line(path, path, sizeof(path));
	EXPECT(!strcmp(path, "na:10000:pages:default,nb:1048576:contig:wc\n"));

	fd = node_open("na", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 12288);
	EXPECT_SYSERR(lseek(fd, 12289, SEEK_SET), EINVAL);
	close(fd);
	reload_default();
}

/* read/write/lseek behave as on a file that never grows. */
static void node_read_write_like_a_fixed_size_file(void)
{
	unsigned char w[12288], r[12288];
	int fd;

	ASSERT_OK(load_with("named=na:12288"));
	fd = node_open("na", O_RDWR);
	ASSERT_OK(fd);
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (unsigned char)(i * 7 + 3);
	EXPECT_EQ(write(fd, w, sizeof(w)), 12288);
	EXPECT_SYSERR(write(fd, w, 1), ENOSPC);
	EXPECT_EQ(read(fd, r, 1), 0);
	EXPECT_EQ(pwrite(fd, w, 100, 12288 - 10), 10);
	EXPECT_EQ(pread(fd, r, sizeof(r), 0), 12288);
	EXPECT(!memcmp(r, w, 12288 - 10));
	EXPECT(!memcmp(r + 12288 - 10, w, 10));
	close(fd);
	/* dd and cat by path, no ABI header. */
	FILE *f = fopen("/tmp/named-src", "w");
	ASSERT(f);
	EXPECT_EQ(fwrite(w, 1, 8192, f), 8192);
	fclose(f);
	EXPECT_EQ(system("dd if=/tmp/named-src of=" NODE_DIR "na bs=4096 2>/dev/null"), 0);
	EXPECT_EQ(system("cat " NODE_DIR "na > /tmp/named-dst"), 0);
	int dfd = open("/tmp/named-dst", O_RDONLY);
	ASSERT_OK(dfd);
	EXPECT_EQ(read(dfd, r, sizeof(r)), 12288);
	EXPECT(!memcmp(r, w, 8192));
	close(dfd);
	unlink("/tmp/named-src");
	unlink("/tmp/named-dst");
	/* A second open sees what the first wrote: the buffer persists. */
	fd = node_open("na", O_RDONLY);
	ASSERT_OK(fd);
	EXPECT_EQ(pread(fd, r, 4, 4), 4);
	EXPECT(!memcmp(r, w + 4, 4));
	close(fd);
	reload_default();
}

/* mmap of the node shares the memory with read/write; only shared maps. */
static void node_mmap_shares_memory_with_read_write(void)
{
	const char *kinds[] = { "na:8k", "nc:8k:contig", "nv:8k:vmalloc" };

	ASSERT_OK(load_with("named=na:8k,nc:8k:contig,nv:8k:vmalloc"));
	for (size_t k = 0; k < 3; k++) {
		char name[3] = { kinds[k][0], kinds[k][1], 0 };
		unsigned char c = 0;
		volatile unsigned char *p;
		int fd = node_open(name, O_RDWR);

		ASSERT_OK(fd);
		EXPECT(mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
		       errno == EINVAL);
		EXPECT(mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
		       errno == EINVAL);
		p = t_map(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		EXPECT_EQ(pwrite(fd, "\x5a", 1, PAGE + 1), 1);
		EXPECT_EQ(p[PAGE + 1], 0x5a);
		p[7] = 0xa5;
		EXPECT_EQ(pread(fd, &c, 1, 7), 1);
		EXPECT_EQ(c, 0xa5);
		/* numpy.memmap.flush() and friends: nothing to do, no error. */
		EXPECT_OK(msync((void *)p, 2 * PAGE, MS_SYNC));
		EXPECT_OK(fsync(fd));
		munmap((void *)p, 2 * PAGE);
		close(fd);
	}
	reload_default();
}

/* A read-only open is a source only: no write, no writable map, no FILL. */
static void node_readonly_open_cannot_write(void)
{
	struct mmdma_buf_fill fill = { .offset = 0, .length = 1 };
	struct mmdma_buf_info info = { 0 };
	int fd;

	ASSERT_OK(load_with("named=na:8k"));
	fd = node_open("na", O_RDONLY);
	ASSERT_OK(fd);
	EXPECT_SYSERR(write(fd, "x", 1), EBADF);
	EXPECT(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	       errno == EACCES);
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_FILL, &fill), EBADF);
	EXPECT_OK(ioctl(fd, MMDMA_BUF_INFO, &info));
	EXPECT_EQ(info.size, 8192);
	EXPECT_EQ(info.kind, MMDMA_MEM_PAGES);
	close(fd);
	/* Written through a read-write open's ioctl, read through read(). */
	fd = node_open("na", O_RDWR);
	ASSERT_OK(fd);
	fill.length = 8192;
	fill.seed = 9;
	EXPECT_OK(ioctl(fd, MMDMA_BUF_FILL, &fill));
	void *p = t_map(fd, 8192, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern(p, 0, 8192, 9);
	munmap(p, 8192);
	close(fd);
	reload_default();
}

/* What a user the node is given write-only (0602) may and may not do. */
static void writeonly_user(void *arg)
{
	struct mmdma_buf_export ex = { .fd_flags = O_RDONLY };
	struct mmdma_buf_fill fill = { .offset = 4096, .length = 4096, .seed = 5 };
	char c;
	int fd;

	(void)arg;
	EXPECT_SYSERR(node_open("nw", O_RDONLY), EACCES);
	fd = node_open("nw", O_WRONLY);
	ASSERT_OK(fd);
	/* A dma-buf can always be read: a write-only open exports none. */
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_EXPORT, &ex), EBADF);
	EXPECT_EQ(ex.fd, 0);
	ex.fd_flags = O_RDWR;
	ex.fd = 0;
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_EXPORT, &ex), EBADF);
	EXPECT_SYSERR(pread(fd, &c, 1, 0), EBADF);
	EXPECT(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	       errno == EACCES);
	/* Writing is what it was given. */
	EXPECT_EQ(pwrite(fd, "w", 1, 0), 1);
	EXPECT_OK(ioctl(fd, MMDMA_BUF_FILL, &fill));
	close(fd);
}

/*
 * A write-only open is a sink only: it changes the memory, never reads it,
 * not even through a dma-buf exported from it.  As a real unprivileged
 * user the node is given to (mode 0602).
 */
static void node_writeonly_open_cannot_read(void)
{
	struct mmdma_buf_fill fill = { .offset = 0, .length = 8192, .seed = 77 };
	unsigned char c = 0;
	void *p;
	int fd;

	ASSERT_OK(load_with("named=nw:8k"));
	fd = node_open("nw", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_OK(ioctl(fd, MMDMA_BUF_FILL, &fill));
	ASSERT_OK(chmod(NODE_DIR "nw", 0602));
	EXPECT_EQ(t_run_unprivileged(writeonly_user, NULL, NULL, 0), 0);
	/* The writer's byte and fill landed; the rest is as root left it. */
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 'w');
	p = t_map(fd, 8192, PROT_READ, MAP_SHARED, 0);
	t_expect_pattern((char *)p + 1, 1, 4095, 77);
	t_expect_pattern((char *)p + 4096, 4096, 4096, 5);
	munmap(p, 8192);
	close(fd);
	reload_default();
}

/* Deletion of a buffer open and mapped: ENODEV everywhere, SIGBUS, gone. */
static void delete_while_open_and_mapped_revokes(void)
{
	struct mmdma_buf_info info;
	unsigned long long before;
	volatile unsigned char *p;
	char c, path[256];
	uint64_t v;
	int fd;

	ASSERT_OK(load_with("named=na:64k"));
	before = t_read_ull(TOTAL_BYTES);
	fd = node_open("na", O_RDWR);
	ASSERT_OK(fd);
	p = t_map(fd, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[100] = 1;
	ASSERT_OK(sysfs_delete("na"));
	EXPECT(t_read_sigbus(p + 100, 1, &v));
	EXPECT(t_read_sigbus(p + 40000, 1, &v));
	EXPECT_SYSERR(read(fd, &c, 1), ENODEV);
	EXPECT_SYSERR(write(fd, &c, 1), ENODEV);
	EXPECT_SYSERR(lseek(fd, 0, SEEK_SET), ENODEV);
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_INFO, &info), ENODEV);
	EXPECT(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	       errno == ENODEV);
	EXPECT_SYSERR(node_open("na", O_RDWR), ENOENT);
	path_of(path, sizeof(path), CLASS_DIR, "na", NULL);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	/* The memory goes back with the last user. */
	EXPECT_EQ(t_read_ull(TOTAL_BYTES), before);
	munmap((void *)p, 65536);
	close(fd);
	EXPECT_EQ(t_read_ull(TOTAL_BYTES), before - 65536);
	reload_default();
}

/* A user hammering the node while it is deleted: only ENODEV/ENOENT/SIGBUS. */
static void race_user(void *arg)
{
	char b[512];
	uint64_t v;

	(void)arg;
	for (int i = 0; i < 100000; i++) {
		int fd = node_open("rc", O_RDWR);
		volatile unsigned char *p;
		ssize_t r;

		if (fd < 0) {
			EXPECT(errno == ENOENT || errno == ENODEV);
			return;
		}
		p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			EXPECT(errno == ENODEV);
		} else {
			for (size_t off = (size_t)i % PAGE; off < 65536; off += PAGE)
				t_read_sigbus(p + off, 1, &v);
			munmap((void *)p, 65536);
		}
		r = pread(fd, b, sizeof(b), (i * 512) % 65536);
		EXPECT(r == (ssize_t)sizeof(b) || (r < 0 && errno == ENODEV));
		r = pwrite(fd, b, sizeof(b), (i * 512) % 65536);
		EXPECT(r == (ssize_t)sizeof(b) || (r < 0 && errno == ENODEV));
		close(fd);
	}
}

/* Deletion racing with open, mmap, faults and I/O of two processes. */
static void delete_races_with_open_mmap_io(void)
{
	for (int round = 0; round < 5; round++) {
		pid_t a, b;

		ASSERT_OK(load_with("named=rc:64k"));
		a = t_fork(race_user, NULL);
		b = t_fork(race_user, NULL);
		usleep(20000 + round * 20000);
		EXPECT_OK(sysfs_delete("rc"));
		EXPECT_EQ(t_wait(a), 0);
		EXPECT_EQ(t_wait(b), 0);
		/* Nothing left holding the module. */
		EXPECT_OK(core_unload());
	}
	reload_default();
}

/*
 * Deleting a coherent buffer while the device writes into it: the transfer
 * that began before the deletion ends normally and its memory stays the
 * device's until then (the next one gets ENODEV).  Freed at once, the
 * engine wrote into freed pages: a KASAN use-after-free on the debug
 * kernel, whose log this checks.
 */
static void coherent_delete_during_transfer_waits(void)
{
	char params[512] = "named=";
	struct t_dev soft;
	int k = kmsg_open();

	for (int i = 0; i < 4; i++)
		snprintf(params + strlen(params), sizeof(params) - strlen(params),
			 "%sx%d:4M:coherent:cached:" T_SOFT, i ? "," : "", i);
	ASSERT_OK(load_with(params));
	soft = t_dev_open(T_SOFT);
	for (int i = 0; i < 4; i++) {
		char name[8], path[256];
		pid_t c;
		int d, st;

		snprintf(name, sizeof(name), "x%d", i);
		d = node_open(name, O_RDWR);
		ASSERT_OK(d);
		c = fork();
		ASSERT_OK(c);
		if (!c) {
			int r = 0;

			for (int n = 0; n < 100000 && !r; n++)
				r = t_xfer(&soft, MMDMA_XFER_FROM_DEV, 0, -1, 0, d, 0, 0,
					   4 << 20, NULL);
			_exit(r == -ENODEV ? 0 : 1);
		}
		usleep(30000 + i * 10000);
		path_of(path, sizeof(path), CLASS_DIR, name, "delete");
		EXPECT_OK(t_write_attr(path, "1"));
		ASSERT_EQ(waitpid(c, &st, 0), c);
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		close(d);
	}
	close(soft.fd);
	EXPECT_EQ(kmsg_bad(k), 0);
	close(k);
	reload_default();
}

/* Unloading deletes named buffers nobody uses; an open node holds it. */
static void unload_with_named_buffers(void)
{
	char path[256];
	int fd;

	ASSERT_OK(load_with("named=na:8k"));
	fd = node_open("na", O_RDONLY);
	ASSERT_OK(fd);
	EXPECT_ERR(core_unload(), EWOULDBLOCK);
	close(fd);
	EXPECT_OK(core_unload());
	path_of(path, sizeof(path), NODE_DIR, "na", NULL);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	reload_default();
}

static void unpriv_uses_node_not_addresses(void *arg)
{
	struct mmdma_buf_phys ph = { .offset = 0, .count = 1 };
	uint64_t addr;
	char buf[64];
	int fd;

	(void)arg;
	ph.addrs = (uintptr_t)&addr;
	EXPECT_SYSERR(open(CLASS_DIR "nc/phys_addr", O_RDONLY), EACCES);
	EXPECT_SYSERR(open(CLASS_DIR "nc/bus_addr", O_RDONLY), EACCES);
	EXPECT_SYSERR(open(CLASS_DIR "nc/delete", O_WRONLY), EACCES);
	EXPECT_SYSERR(node_open("na", O_RDONLY), EACCES);	/* still 0600 */
	fd = node_open("nc", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_EQ(pwrite(fd, "ok", 2, 0), 2);
	EXPECT_EQ(pread(fd, buf, 2, 0), 2);
	EXPECT(!memcmp(buf, "ok", 2));
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_PHYS, &ph), EPERM);
	close(fd);
	EXPECT_SYSERR(mkdir(CFS_DIR "evil", 0755), access(CFS_DIR, F_OK) ? ENOENT : EACCES);
}

static void drop_admin_read_phys(void *arg)
{
	char buf[64];

	(void)arg;
	t_drop_cap(CAP_SYS_ADMIN);
	t_drop_cap(CAP_SYS_RAWIO);
	EXPECT_ERR(read_attr(CLASS_DIR "nc/phys_addr", buf, sizeof(buf)), EPERM);
	EXPECT_ERR(read_attr(CLASS_DIR "nc/bus_addr", buf, sizeof(buf)), EPERM);
	EXPECT_ERR(sysfs_delete("nc"), EPERM);
}

/*
 * Addresses: root with the capability only (mode 0400, checked at read);
 * a user the node is chmod'ed to uses it and learns nothing.
 */
static void addresses_root_only_node_for_chmod_user(void)
{
	char buf[64], path[256];
	struct stat st;

	ASSERT_OK(load_with("named=na:8k,nc:64k:contig"));
	path_of(path, sizeof(path), CLASS_DIR, "nc", "phys_addr");
	ASSERT_OK(stat(path, &st));
	EXPECT_EQ(st.st_mode & 0777, 0400);
	path_of(path, sizeof(path), CLASS_DIR, "nc", "bus_addr");
	ASSERT_OK(stat(path, &st));
	EXPECT_EQ(st.st_mode & 0777, 0400);
	EXPECT(read_attr(CLASS_DIR "nc/phys_addr", buf, sizeof(buf)) > 2 &&
	       !strncmp(buf, "0x", 2));
	EXPECT_ERR(read_attr(CLASS_DIR "na/phys_addr", buf, sizeof(buf)), ENXIO);
	EXPECT_ERR(read_attr(CLASS_DIR "nc/bus_addr", buf, sizeof(buf)), ENXIO);
	EXPECT_EQ(t_wait(t_fork(drop_admin_read_phys, NULL)), 0);

	ASSERT_OK(chmod(NODE_DIR "nc", 0666));
	EXPECT_EQ(t_run_unprivileged(unpriv_uses_node_not_addresses, NULL, NULL, 0), 0);
	reload_default();
}

/* A buffer for a device: coherent memory of it, bus address for root. */
static void param_coherent_buffer_for_device(void)
{
	char buf[64];
	int fd, dev = t_dev_or_skip("mmdma-edu0");
	unsigned long long bus;

	close(dev);
	ASSERT_OK(load_with("named=co:64k:coherent:cached:mmdma-edu0"));
	expect_attr("co", "kind", "coherent\n");
	expect_attr("co", "dma_device", "mmdma-edu0\n");
	ASSERT(read_attr(CLASS_DIR "co/bus_addr", buf, sizeof(buf)) > 2);
	bus = strtoull(buf, NULL, 16);
	EXPECT(bus != 0 && !(bus & (PAGE - 1)));
	EXPECT_ERR(read_attr(CLASS_DIR "co/phys_addr", buf, sizeof(buf)), ENXIO);
	fd = node_open("co", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_EQ(pwrite(fd, "abc", 3, 65533), 3);
	volatile char *p = t_map(fd, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT_EQ(p[65535], 'c');
	ASSERT_OK(sysfs_delete("co"));
	uint64_t v;
	EXPECT(t_read_sigbus(p + 65535, 1, &v));
	EXPECT_SYSERR(pread(fd, buf, 1, 0), ENODEV);
	munmap((void *)p, 65536);
	close(fd);
	reload_default();
}

/*
 * Pages for a device: mapped for it at creation (so root reads a bus
 * address), synced through the node's ioctl, attached once (EBUSY again).
 */
static void param_pages_for_device_attached_and_synced(void)
{
	struct mmdma_buf_sync sync = { .length = 65536, .flags = MMDMA_SYNC_FOR_CPU,
				       .dir = MMDMA_DIR_BIDIRECTIONAL };
	struct mmdma_buf_attach att = { .dir = MMDMA_DIR_BIDIRECTIONAL };
	struct mmdma_buf_detach det = { 0 };
	char buf[64], before[64];
	int fd, ro, dev = t_dev_or_skip("mmdma-soft0");

	close(dev);
	ASSERT_OK(load_with("named=ps:64k:pages:cached:mmdma-soft0"));
	expect_attr("ps", "dma_device", "mmdma-soft0\n");
	EXPECT(read_attr(CLASS_DIR "ps/bus_addr", buf, sizeof(buf)) > 2 &&
	       !strncmp(buf, "0x", 2));
	fd = node_open("ps", O_RDWR);
	ASSERT_OK(fd);
	dev = t_dev_or_skip("mmdma-soft0");
	sync.dev_fd = dev;
	att.dev_fd = dev;
	det.dev_fd = dev;
	EXPECT_OK(ioctl(fd, MMDMA_BUF_SYNC, &sync));
	sync.flags = MMDMA_SYNC_FOR_DEVICE;
	EXPECT_OK(ioctl(fd, MMDMA_BUF_SYNC, &sync));
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_ATTACH, &att), EBUSY);
	/*
	 * The mapping made for the device is the buffer's, for its life: no
	 * fd detaches it (a read-only one changes no attachment at all), so
	 * bus_addr stays what was read.
	 */
	EXPECT(read_attr(CLASS_DIR "ps/bus_addr", before, sizeof(before)) > 2);
	EXPECT_SYSERR(ioctl(fd, MMDMA_BUF_DETACH, &det), EBUSY);
	ro = node_open("ps", O_RDONLY);
	ASSERT_OK(ro);
	EXPECT_SYSERR(ioctl(ro, MMDMA_BUF_DETACH, &det), EBADF);
	close(ro);
	EXPECT(read_attr(CLASS_DIR "ps/bus_addr", buf, sizeof(buf)) > 2);
	EXPECT(!strcmp(buf, before));
	close(dev);
	close(fd);
	reload_default();
}

/*
 * A node's fd is a transfer's source or destination, within its mode: a
 * read-only open is no destination (EBADF), a deleted buffer ENODEV.
 */
static void node_fd_is_transfer_source_and_destination(void)
{
	struct mmdma_buf_fill fill = { .length = 16384, .seed = 77 };
	struct t_dev soft;
	int s, d, dro;

	ASSERT_OK(load_with("named=s1:16k,d1:16k"));
	soft = t_dev_open(T_SOFT);
	s = node_open("s1", O_RDWR);
	d = node_open("d1", O_RDWR);
	dro = node_open("d1", O_RDONLY);
	ASSERT(s >= 0 && d >= 0 && dro >= 0);
	EXPECT_OK(ioctl(s, MMDMA_BUF_FILL, &fill));
	EXPECT_ERR(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, s, 0, dro, 0, 0, 16384, NULL),
		   EBADF);
	EXPECT_OK(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, s, 0, d, 0, 0, 16384, NULL));
	t_expect_pattern_at(d, 0, 16384, 77);
	/* A read-only open is a source. */
	EXPECT_OK(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, dro, 0, s, 0, 0, 16384, NULL));
	t_expect_pattern_at(s, 0, 16384, 77);
	ASSERT_OK(sysfs_delete("s1"));
	EXPECT_ERR(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, s, 0, d, 0, 0, 16384, NULL),
		   ENODEV);
	close(s);
	close(d);
	close(dro);
	close(soft.fd);
	reload_default();
}

/* configfs: bad names EINVAL, taken names EEXIST, attributes fixed once enabled. */
static void cfs_bad_and_duplicate_names(void)
{
	need_configfs();
	ASSERT_OK(load_with("named=na:8k"));
	EXPECT_SYSERR(mkdir(CFS_DIR "a b", 0755), EINVAL);
	EXPECT_SYSERR(mkdir(CFS_DIR "abcdefghijklmnopqrstuvwxyz0123456", 0755), EINVAL);
	EXPECT_SYSERR(mkdir(CFS_DIR "na", 0755), EEXIST);
	EXPECT_ERR(cfs_create("cx", "8k", "coherent", NULL, NULL), EINVAL);
	EXPECT_ERR(cfs_set("cx", "kind", "bogus"), EINVAL);
	EXPECT_ERR(cfs_set("cx", "cache", "bogus"), EINVAL);
	EXPECT_ERR(cfs_set("cx", "size", "0"), EINVAL);
	EXPECT_OK(cfs_remove("cx"));
	EXPECT_ERR(cfs_create("cd", "8k", NULL, NULL, "mmdma-nosuch0"), ENODEV);
	EXPECT_OK(cfs_remove("cd"));
	EXPECT_ERR(cfs_create("cb", "2G", NULL, NULL, NULL), E2BIG);
	EXPECT_OK(cfs_remove("cb"));
	EXPECT_OK(cfs_create("c1", "8k", NULL, NULL, NULL));
	EXPECT_SYSERR(mkdir(CFS_DIR "c1", 0755), EEXIST);
	EXPECT_ERR(cfs_set("c1", "size", "16k"), EBUSY);
	/* Only rmdir deletes what configfs made. */
	EXPECT_ERR(sysfs_delete("c1"), EBUSY);
	EXPECT_OK(cfs_remove("c1"));
	reload_default();
}

/* configfs: create, use by path, enable 0 and rmdir revoke what is in use. */
static void cfs_create_use_and_delete_revokes(void)
{
	volatile unsigned char *p;
	char line[64];
	uint64_t v;
	int fd;

	need_configfs();
	ASSERT_OK(cfs_create("cv", "5000", "vmalloc", "cached", NULL));
	expect_attr("cv", "size", "8192\n");
	expect_attr("cv", "kind", "vmalloc\n");
	expect_attr("cv", "origin", "configfs\n");
	t_read_line(CFS_DIR "cv/enable", line, sizeof(line));
	EXPECT(!strcmp(line, "1\n"));
	/* The module is held while the directory exists. */
	EXPECT_ERR(core_unload(), EWOULDBLOCK);
	fd = node_open("cv", O_RDWR);
	ASSERT_OK(fd);
	p = t_map(fd, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[8191] = 0x77;
	EXPECT_OK(cfs_set("cv", "enable", "0"));
	EXPECT(t_read_sigbus(p + 8191, 1, &v));
	EXPECT_SYSERR(read(fd, line, 1), ENODEV);
	munmap((void *)p, 8192);
	close(fd);
	/* Enabled again: a new, zeroed buffer under the same name. */
	EXPECT_OK(cfs_set("cv", "enable", "1"));
	fd = node_open("cv", O_RDWR);
	ASSERT_OK(fd);
	p = t_map(fd, 8192, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(p[8191], 0);
	EXPECT_OK(cfs_remove("cv"));
	EXPECT(t_read_sigbus(p + 8191, 1, &v));
	EXPECT_SYSERR(node_open("cv", O_RDWR), ENOENT);
	munmap((void *)p, 8192);
	close(fd);
	EXPECT_OK(core_unload());
	reload_default();
}

/* configfs: coherent memory for a device. */
static void cfs_coherent_for_device(void)
{
	char buf[64];
	int dev;

	need_configfs();
	dev = t_dev_or_skip("mmdma-edu0");
	close(dev);
	EXPECT_ERR(cfs_create("cr", "8k", "reserved", NULL, "mmdma-edu0"), EINVAL);
	EXPECT_OK(cfs_remove("cr"));
	ASSERT_OK(cfs_create("cc", "12k", "coherent", NULL, "mmdma-edu0"));
	expect_attr("cc", "dma_device", "mmdma-edu0\n");
	EXPECT(read_attr(CLASS_DIR "cc/bus_addr", buf, sizeof(buf)) > 2 &&
	       !strncmp(buf, "0x", 2));
	EXPECT_OK(cfs_remove("cc"));
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

#define CLI(o, ...)							\
	do {								\
		const char *const args_[] = { __VA_ARGS__, NULL };	\
		ASSERT_OK(cli_run(o, NULL, false, args_));		\
	} while (0)
#define EXPECT_CLI(o, cond)						\
	do {								\
		if (!(cond))						\
			ktap_fail(false, __FILE__, __LINE__,		\
				  "expected: %s; status %d\n#   stdout: %.400s\n#   stderr: %.400s", \
				  #cond, (o)->status, (o)->out, (o)->err); \
	} while (0)

/* The CLI: bad input exits 2, refusals 1; create, list, delete. */
static void cli_create_buffers_delete(void)
{
	static struct cli_out o;

	CLI(&o, "create", "a/b", "4k");
	EXPECT_CLI(&o, o.status == 2 && has(o.err, "bad name 'a/b'"));
	CLI(&o, "create", "--kind", "bogus", "x", "4k");
	EXPECT_CLI(&o, o.status == 2 && has(o.err, "unknown kind 'bogus'"));
	CLI(&o, "create", "x", "4q");
	EXPECT_CLI(&o, o.status == 2);
	CLI(&o, "delete", "nosuch");
	EXPECT_CLI(&o, o.status == 1 && has(o.err, "no named buffer 'nosuch'"));

	ASSERT_OK(load_with("named=pa:8k"));
	CLI(&o, "buffers");
	EXPECT_CLI(&o, o.status == 0 && has(o.out, "/dev/mmdma-named/pa") &&
		   has(o.out, "param"));
	CLI(&o, "buffers", "--json");
	EXPECT_CLI(&o, o.status == 0 && has(o.out, "\"name\": \"pa\"") &&
		   json_valid(o.out, NULL));
	CLI(&o, "delete", "pa");
	EXPECT_CLI(&o, o.status == 0);
	EXPECT_SYSERR(node_open("pa", O_RDONLY), ENOENT);

	if (access(CFS_DIR, F_OK)) {
		CLI(&o, "create", "cl", "4k");
		EXPECT_CLI(&o, o.status == 1 && has(o.err, "no configfs"));
		reload_default();
		ktap_skip("the kernel has no configfs (CONFIG_CONFIGFS_FS): create checked to refuse");
	}
	CLI(&o, "create", "--kind", "contig", "--cache", "wc", "cl", "12k");
	EXPECT_CLI(&o, o.status == 0 && !strcmp(o.out, "/dev/mmdma-named/cl\n"));
	expect_attr("cl", "size", "12288\n");
	expect_attr("cl", "kind", "contig\n");
	expect_attr("cl", "cache", "wc\n");
	CLI(&o, "create", "cl", "4k");
	EXPECT_CLI(&o, o.status == 1 && has(o.err, "exists"));
	CLI(&o, "create", "--device", "mmdma-nosuch0", "cd", "4k");
	EXPECT_CLI(&o, o.status == 1 && has(o.err, "No such device"));
	EXPECT_SYSERR(access(CFS_DIR "/cd", F_OK), ENOENT);
	CLI(&o, "delete", "cl");
	EXPECT_CLI(&o, o.status == 0);
	EXPECT_SYSERR(node_open("cl", O_RDONLY), ENOENT);
	reload_default();
}

/* The profile's providers loaded again (the core stays): 0 or -errno. */
static int providers_reload(void)
{
	char names[8][32];
	int n = t_providers(names, 8), ret = t_providers_unload();

	for (int i = 0; !ret && i < n; i++)
		ret = t_mod_load_default(names[i]);
	return ret;
}

/* bus_addr of @name: its value, or -errno of the read. */
static long long bus_addr(const char *name)
{
	char path[256], line[64];
	ssize_t r;

	path_of(path, sizeof(path), CLASS_DIR, name, "bus_addr");
	r = read_attr(path, line, sizeof(line));
	if (r < 0)
		return r;
	return strncmp(line, "0x", 2) ? -EBADMSG : (long long)strtoull(line, NULL, 16);
}

/*
 * A page buffer made for a device outlives the device: ENODEV for its bus
 * address while the provider is out, mapped again when it is back, with
 * the bytes, the user's mapping and a transfer through the mapping intact.
 */
static void param_buffer_mapped_again_when_provider_reloads(void)
{
	const uint64_t len = 16384;
	volatile unsigned char *p;
	int fd, out, dev, kmsg;
	long long bus;

	dev = t_dev_or_skip(T_SOFT);
	close(dev);
	ASSERT_OK(load_with("named=rl:64k:pages:cached:" T_SOFT));
	kmsg = kmsg_open();
	fd = node_open("rl", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_OK(mmdma_buf_fill(fd, 0, 65536, 21));
	p = t_map(fd, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT(bus_addr("rl") > 0);

	ASSERT_OK(t_providers_unload());
	EXPECT_EQ(bus_addr("rl"), -ENODEV);
	t_expect_pattern((const void *)p, 0, 65536, 21);
	expect_attr("rl", "dma_device", T_SOFT "\n");

	ASSERT_OK(providers_reload());
	bus = bus_addr("rl");
	EXPECT(bus > 0 && !(bus & (PAGE - 1)));
	EXPECT(kmsg_saw(kmsg, "rl: mapped again for " T_SOFT));
	/* The mapping made before the reload is the same memory. */
	t_expect_pattern((const void *)p, 0, 65536, 21);
	t_expect_pattern_at(fd, 0, 65536, 21);
	p[7] = 0xa5;
	EXPECT_EQ(p[7], 0xa5);
	ASSERT_OK(mmdma_buf_fill(fd, 0, 65536, 22));

	/* The device uses the new mapping: to it and back into another buffer. */
	dev = t_dev_or_skip(T_SOFT);
	out = t_buf(len, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, MMDMA_XFER_ATTACHED,
			     fd, 0, -1, 0, 0, len, NULL));
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_FROM_DEV, MMDMA_DMA_AUTO, 0, -1, 0,
			     out, 0, 0, len, NULL));
	t_expect_pattern_at(out, 0, len, 22);

	/* Once more: each return maps it again, nothing piles up. */
	for (int i = 0; i < 1; i++) {
		close(dev);
		ASSERT_OK(providers_reload());
		EXPECT(bus_addr("rl") > 0);
		dev = t_dev_or_skip(T_SOFT);
	}
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, MMDMA_XFER_ATTACHED,
			     fd, len, -1, 0, 0, len, NULL));
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_FROM_DEV, MMDMA_DMA_AUTO, 0, -1, 0,
			     out, 0, 0, len, NULL));
	t_expect_copy(out, len, 0, len, len, 22);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	close(out);
	close(dev);
	munmap((void *)p, 65536);
	close(fd);
	reload_default();
}

/*
 * Coherent memory was the device's: revoked when it went, and it stays so
 * when a device of the name comes back (no new memory under the old name).
 */
static void param_coherent_stays_revoked_after_provider_reload(void)
{
	char c;
	int fd, dev = t_dev_or_skip(T_SOFT);

	close(dev);
	ASSERT_OK(load_with("named=cr:8k:coherent::" T_SOFT));
	fd = node_open("cr", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_EQ(pwrite(fd, "x", 1, 0), 1);
	EXPECT(bus_addr("cr") > 0);
	ASSERT_OK(t_providers_unload());
	EXPECT_EQ(bus_addr("cr"), -ENODEV);
	EXPECT_SYSERR(pread(fd, &c, 1, 0), ENODEV);
	ASSERT_OK(providers_reload());
	EXPECT_EQ(bus_addr("cr"), -ENODEV);
	EXPECT_SYSERR(pread(fd, &c, 1, 0), ENODEV);
	close(fd);
	/* A new open finds the same revoked buffer; deletion still works. */
	fd = node_open("cr", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_SYSERR(pread(fd, &c, 1, 0), ENODEV);
	close(fd);
	EXPECT_OK(sysfs_delete("cr"));
	EXPECT_SYSERR(node_open("cr", O_RDWR), ENOENT);
	reload_default();
}

/* Deleted, then the provider reloads: nothing comes back under the name. */
static void delete_then_provider_reload_resurrects_nothing(void)
{
	char path[256];
	int dev = t_dev_or_skip(T_SOFT);

	close(dev);
	/* Made when the provider loaded (the core came first). */
	ASSERT_OK(load_with("named=gn:16k:pages::" T_SOFT ",gc:8k:coherent::" T_SOFT));
	EXPECT(bus_addr("gn") > 0);
	EXPECT_OK(sysfs_delete("gn"));
	EXPECT_OK(sysfs_delete("gc"));
	ASSERT_OK(providers_reload());
	EXPECT_SYSERR(node_open("gn", O_RDWR), ENOENT);
	EXPECT_SYSERR(node_open("gc", O_RDWR), ENOENT);
	path_of(path, sizeof(path), CLASS_DIR, "gn", NULL);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	path_of(path, sizeof(path), CLASS_DIR, "gc", NULL);
	EXPECT_SYSERR(access(path, F_OK), ENOENT);
	reload_default();
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/* What a user who holds the revoked dma-buf (fd and mapping) gets. */
static void revoked_dmabuf_user(void *arg)
{
	const int *fds = arg;

	EXPECT(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fds[0], 0) == MAP_FAILED &&
	       errno == ENODEV);
	EXPECT_ERR(dmabuf_sync(fds[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), ENODEV);
	EXPECT_ERR(mmdma_buf_export(fds[1], O_RDWR), ENODEV);
}

/*
 * Red-team F5: deleting a buffer revokes the dma-bufs exported from it.
 * Their mappings SIGBUS, mmap and CPU access ENODEV, a transfer ENODEV (for
 * root and for a user who was handed the fds); the memory goes back when
 * the dma-buf, its last holder, is closed.
 */
static void delete_revokes_exported_dmabufs(void)
{
	volatile unsigned char *p, *q;
	unsigned long long before;
	struct t_dev soft;
	int fd, d, ro, out, keep[2];
	uint64_t v;

	ASSERT_OK(load_with("named=ex:64k"));
	before = t_read_ull(TOTAL_BYTES);
	fd = node_open("ex", O_RDWR);
	ASSERT_OK(fd);
	d = mmdma_buf_export(fd, O_RDWR);
	ro = mmdma_buf_export(fd, O_RDONLY);
	ASSERT(d >= 0 && ro >= 0);
	q = t_map(d, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p = t_map(fd, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT_OK(dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	q[5] = 0x42;
	EXPECT_OK(dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(p[5], 0x42);
	EXPECT(!t_read_sigbus(q + 40000, 1, &v));

	ASSERT_OK(sysfs_delete("ex"));
	EXPECT(t_read_sigbus(q + 5, 1, &v));
	EXPECT(t_read_sigbus(q + 40000, 1, &v));
	EXPECT(t_read_sigbus(q + 65535, 1, &v));
	EXPECT(t_read_sigbus(p + 5, 1, &v));
	EXPECT(mmap(NULL, 65536, PROT_READ, MAP_SHARED, d, 0) == MAP_FAILED &&
	       errno == ENODEV);
	EXPECT(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0) == MAP_FAILED &&
	       errno == ENODEV);
	EXPECT_ERR(dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), ENODEV);
	EXPECT_ERR(dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW), ENODEV);
	EXPECT_ERR(dmabuf_sync(ro, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), ENODEV);
	EXPECT_ERR(mmdma_buf_export(fd, O_RDWR), ENODEV);
	/* Neither is a transfer's source or destination any more. */
	soft = t_dev_open(T_SOFT);
	out = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	EXPECT_ERR(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, ro, 0, out, 0, 0, PAGE, NULL),
		   ENODEV);
	EXPECT_ERR(t_xfer(&soft, MMDMA_XFER_ROUNDTRIP, 0, out, 0, d, 0, 0, PAGE, NULL),
		   ENODEV);
	close(out);
	close(soft.fd);
	/* A user handed the fds gets the same, no more. */
	keep[0] = d;
	keep[1] = fd;
	EXPECT_EQ(t_run_unprivileged(revoked_dmabuf_user, keep, keep, 2), 0);
	/* Still held by the node's fd, the mappings and the dma-bufs. */
	EXPECT_EQ(t_read_ull(TOTAL_BYTES), before);
	munmap((void *)p, 65536);
	munmap((void *)q, 65536);
	close(fd);
	close(ro);
	EXPECT_EQ(t_read_ull(TOTAL_BYTES), before);
	close(d);
	EXPECT_EQ(t_read_ull(TOTAL_BYTES), before - 65536);
	reload_default();
}

/* Provider reloads racing with deletion, open, mmap, faults and I/O. */
static void reload_user(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++)
		EXPECT_OK(providers_reload());
}

static void provider_reload_races_with_delete_and_use(void)
{
	int dev = t_dev_or_skip(T_SOFT), kmsg;

	close(dev);
	kmsg = kmsg_open();
	for (int round = 0; round < 2; round++) {
		pid_t a, b;

		ASSERT_OK(load_with("named=rc:64k:pages::" T_SOFT));
		a = t_fork(race_user, NULL);
		b = t_fork(reload_user, NULL);
		usleep(30000 + round * 40000);
		EXPECT_OK(sysfs_delete("rc"));
		EXPECT_EQ(t_wait(a), 0);
		EXPECT_EQ(t_wait(b), 0);
		EXPECT_OK(core_unload());
	}
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
	reload_default();
}

/*
 * The software engine's platform device unbound and bound again (the
 * hardware path, not a module reload): mapped again, same bytes, and a
 * transfer through the new mapping.
 */
static void param_buffer_mapped_again_when_soft_rebinds(void)
{
	int fd, out, dev = t_dev_or_skip(T_SOFT);

	close(dev);
	ASSERT_OK(load_with("named=sb:8k:contig::" T_SOFT));
	fd = node_open("sb", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_OK(mmdma_buf_fill(fd, 0, 8192, 41));
	EXPECT(bus_addr("sb") > 0);
	ASSERT_OK(t_write_attr("/sys/bus/platform/drivers/mmdma-soft/unbind", "mmdma-soft"));
	EXPECT_SYSERR(access("/dev/" T_SOFT, F_OK), ENOENT);
	EXPECT_EQ(bus_addr("sb"), -ENODEV);
	ASSERT_OK(t_write_attr("/sys/bus/platform/drivers/mmdma-soft/bind", "mmdma-soft"));
	EXPECT(bus_addr("sb") > 0);
	dev = t_dev_or_skip(T_SOFT);
	out = t_buf(8192, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, MMDMA_XFER_ATTACHED,
			     fd, 0, -1, 0, 0, 8192, NULL));
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_FROM_DEV, MMDMA_DMA_AUTO, 0, -1, 0,
			     out, 0, 0, 8192, NULL));
	t_expect_pattern_at(out, 0, 8192, 41);
	close(out);
	close(dev);
	close(fd);
	reload_default();
}

/*
 * The hardware unbound and bound again (not a module reload): the buffer
 * made for edu is mapped for the new device, and edu's DMA moves its bytes.
 */
static void param_buffer_mapped_again_when_edu_rebinds(void)
{
	uint64_t len;
	char name[8] = "", try[8];
	struct t_dev e;
	const char *bdf;
	int fd = -1, out, dev = t_dev_or_skip(T_EDU);

	close(dev);
	/*
	 * A 28-bit edu without swiotlb in reach (6.1) cannot map pages above
	 * 256 MiB (creation ERANGE, logged): eight tries at one in reach.
	 */
	ASSERT_OK(load_with("named=eb1:16k:pages::" T_EDU ",eb2:16k:pages::" T_EDU
			    ",eb3:16k:pages::" T_EDU ",eb4:16k:pages::" T_EDU ",eb5:16k:pages::" T_EDU
			    ",eb6:16k:pages::" T_EDU ",eb7:16k:pages::" T_EDU ",eb8:16k:pages::" T_EDU));
	for (int i = 1; i <= 8 && !name[0]; i++) {
		snprintf(try, sizeof(try), "eb%d", i);
		fd = node_open(try, O_RDWR);
		if (fd >= 0) {
			snprintf(name, sizeof(name), "%s", try);
			break;
		}
		EXPECT_EQ(errno, ENOENT);
	}
	if (!name[0]) {
		reload_default();
		ktap_skip("no buffer of 8 in edu's reach (made with ERANGE)");
	}
	bdf = t_edu_bdf();
	ASSERT_OK(mmdma_buf_fill(fd, 0, 16384, 31));
	EXPECT(bus_addr(name) > 0);
	t_write_str("/sys/bus/pci/drivers/mmdma-edu/unbind", bdf);
	EXPECT_EQ(bus_addr(name), -ENODEV);
	close(t_edu_rebind(bdf));
	EXPECT(bus_addr(name) > 0);

	e = t_dev_open(T_EDU);
	/* edu's own memory is 4 KiB: an odd length inside it. */
	len = e.info.mem_size - 5 < 3001 ? e.info.mem_size - 5 : 3001;
	out = t_reachable_buf(&e, PAGE * 2, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_sync(fd, e.fd, 0, 16384, MMDMA_DIR_BIDIRECTIONAL,
				 MMDMA_SYNC_FOR_DEVICE));
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_TO_DEV, MMDMA_XFER_ATTACHED, fd, 5, -1, 0, 0,
			 len, NULL));
	EXPECT_OK(t_xfer(&e, MMDMA_XFER_FROM_DEV, 0, -1, 0, out, 0, 0, len, NULL));
	t_expect_copy(out, PAGE * 2, 0, 5, len, 31);
	close(out);
	close(e.fd);
	close(fd);
	reload_default();
}

/* configfs: a buffer made for a device is mapped again when it comes back. */
static void cfs_buffer_mapped_again_when_provider_reloads(void)
{
	int fd, dev;

	need_configfs();
	dev = t_dev_or_skip(T_SOFT);
	close(dev);
	ASSERT_OK(cfs_create("cm", "8k", "vmalloc", NULL, T_SOFT));
	fd = node_open("cm", O_RDWR);
	ASSERT_OK(fd);
	EXPECT_EQ(pwrite(fd, "kept", 4, 8188), 4);
	EXPECT(bus_addr("cm") > 0);
	/* configfs holds the core, not the provider. */
	ASSERT_OK(t_providers_unload());
	EXPECT_EQ(bus_addr("cm"), -ENODEV);
	ASSERT_OK(providers_reload());
	EXPECT(bus_addr("cm") > 0);
	{
		char b[4];

		EXPECT_EQ(pread(fd, b, 4, 8188), 4);
		EXPECT(!memcmp(b, "kept", 4));
	}
	close(fd);
	EXPECT_OK(cfs_remove("cm"));
	EXPECT_SYSERR(node_open("cm", O_RDWR), ENOENT);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(param_malformed_entries_refuse_load_einval),
	KTAP_CASE(param_limits_refuse_load_exact_errno),
	KTAP_CASE(param_buffers_have_nodes_and_attributes),
	KTAP_CASE(node_read_write_like_a_fixed_size_file),
	KTAP_CASE(node_mmap_shares_memory_with_read_write),
	KTAP_CASE(node_readonly_open_cannot_write),
	KTAP_CASE(node_writeonly_open_cannot_read),
	KTAP_CASE(delete_while_open_and_mapped_revokes),
	KTAP_CASE(unload_with_named_buffers),
	KTAP_CASE(delete_races_with_open_mmap_io),
	KTAP_CASE(coherent_delete_during_transfer_waits),
	KTAP_CASE(addresses_root_only_node_for_chmod_user),
	KTAP_CASE(param_coherent_buffer_for_device),
	KTAP_CASE(param_pages_for_device_attached_and_synced),
	KTAP_CASE(node_fd_is_transfer_source_and_destination),
	KTAP_CASE(delete_revokes_exported_dmabufs),
	/* A provider reload takes about 11 s on the debug kernel. */
	KTAP_CASE_T(param_buffer_mapped_again_when_provider_reloads, 300),
	KTAP_CASE_T(param_buffer_mapped_again_when_soft_rebinds, 300),
	KTAP_CASE_T(param_buffer_mapped_again_when_edu_rebinds, 300),
	KTAP_CASE_T(param_coherent_stays_revoked_after_provider_reload, 300),
	KTAP_CASE_T(delete_then_provider_reload_resurrects_nothing, 300),
	KTAP_CASE_T(provider_reload_races_with_delete_and_use, 600),
	KTAP_CASE(cfs_bad_and_duplicate_names),
	KTAP_CASE(cfs_create_use_and_delete_revokes),
	KTAP_CASE(cfs_coherent_for_device),
	KTAP_CASE_T(cfs_buffer_mapped_again_when_provider_reloads, 300),
	KTAP_CASE(cli_create_buffers_delete),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
