// SPDX-License-Identifier: GPL-2.0

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

const struct combo combos[] = {
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_REMAP },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_FAULT },
	{ MMDMA_MEM_PAGES, MMDMA_MAP_INSERT },
	{ MMDMA_MEM_CONTIG, MMDMA_MAP_INSERT },
	{ MMDMA_MEM_VMALLOC, MMDMA_MAP_INSERT },
};
const size_t nr_combos = sizeof(combos) / sizeof(combos[0]);

const char *combo_name(const struct combo *c)
{
	static char name[64];

	snprintf(name, sizeof(name), "%s/%s", mmdma_kind_name(c->kind),
		 mmdma_method_name(c->method));
	return name;
}

bool t_promised(const char *what)
{
	const char *p = getenv("MMDMA_PROMISE");
	size_t n = strlen(what);

	/* A whole word of the space-separated list. */
	while (p && *p) {
		p += strspn(p, " ");
		if (!strncmp(p, what, n) && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += strcspn(p, " ");
	}
	return false;
}

void t_absent(const char *what, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (t_promised(what))
		ktap_fail(true, __FILE__, __LINE__,
			  "%s, but the profile promises %s (MMDMA_PROMISE)",
			  reason, what);
	ktap_skip("%s", reason);
}

/* The promise word for device node @name: "mmdma-edu0" is "edu". */
static const char *dev_promise(const char *name)
{
	if (strstr(name, "edu"))
		return "edu";
	return strstr(name, "isa") ? "isa" : "soft";
}

int t_ctl(void)
{
	int fd = mmdma_open();

	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		t_absent("module", "no mmdma control node (driver not loaded)");
	ASSERT_OK(fd);
	return fd;
}

int t_buf(uint64_t size, uint32_t kind, uint32_t method)
{
	int ctl = t_ctl();
	int fd = mmdma_alloc(ctl, size, kind, method, 0);

	if (fd < 0)
		ktap_fail(true, __FILE__, __LINE__,
			  "alloc %llu bytes %s/%s: %s", (unsigned long long)size,
			  mmdma_kind_name(kind), mmdma_method_name(method),
			  strerror(-fd));
	close(ctl);
	return fd;
}

void *t_map(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		ktap_fail(true, __FILE__, __LINE__, "mmap %zu bytes at %lld: %s",
			  len, (long long)off, strerror(errno));
	return p;
}

struct mmdma_buf_info t_info(int fd)
{
	struct mmdma_buf_info info;

	ASSERT_OK(mmdma_buf_info(fd, &info));
	return info;
}

unsigned int t_live_maps(int fd)
{
	return t_info(fd).live_maps;
}

pid_t t_fork(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(ktap_failed() ? 1 : 0);
	}
	return pid;
}

int t_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		ktap_fail(true, __FILE__, __LINE__, "waitpid %d: %s", (int)pid,
			  strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	/* A child that skipped (no device, say) skips the whole case. */
	if (WEXITSTATUS(status) == KTAP_SKIP_EXIT && !ktap_failed()) {
		fflush(stdout);
		_exit(KTAP_SKIP_EXIT);
	}
	return WEXITSTATUS(status);
}

void t_expect_pattern(const void *p, uint64_t off, size_t len, uint32_t seed)
{
	size_t bad = mmdma_pattern_check(p, off, len, seed);

	if (bad != len)
		ktap_fail(false, __FILE__, __LINE__,
			  "pattern %#x: byte %llu is %#x, expected %#x", seed,
			  (unsigned long long)(off + bad),
			  ((const uint8_t *)p)[bad],
			  mmdma_pattern_byte(seed, off + bad));
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	/* A clean-log check that cannot read the log has checked nothing. */
	if (fd < 0)
		ktap_fail(true, __FILE__, __LINE__, "open /dev/kmsg: %s",
			  strerror(errno));
	lseek(fd, 0, SEEK_END);
	return fd;
}

static const char *const kmsg_bad_words[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "DMA-API",
	"kmemleak", "possible circular locking", "general protection",
	"Call Trace:", "refcount_t:", "list_add corruption", "list_del corruption",
	/* "dma_pool_destroy <pool> busy": blocks outlived their device. */
	"dma_pool_destroy",
};

/* Has a kernel log line since @fd was opened (kmsg_open) held @want? */
bool kmsg_saw(int fd, const char *want)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records: go on */
				continue;
			break;			/* EAGAIN: no more */
		}
		rec[n] = '\0';
		if (strstr(rec, want))
			return true;
	}
	return false;
}

int kmsg_bad(int fd)
{
	char rec[2048];
	int bad = 0;

	if (fd < 0) {
		ktap_fail(false, __FILE__, __LINE__, "kernel log not open");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: keep reading */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		for (size_t i = 0; i < sizeof(kmsg_bad_words) / sizeof(*kmsg_bad_words); i++) {
			if (strstr(msg, kmsg_bad_words[i])) {
				ktap_diag("kernel log: %.200s", msg);
				bad++;
				break;
			}
		}
	}
	return bad;
}

void t_read_line(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "re");

	if (!f)
		ktap_fail(true, __FILE__, __LINE__, "%s: %s", path, strerror(errno));
	if (!fgets(out, n, f))
		out[0] = '\0';
	fclose(f);
}

unsigned long long t_read_ull(const char *path)
{
	char text[64] = "", *end;
	unsigned long long v;
	FILE *f = fopen(path, "re");

	if (!f)
		ktap_fail(true, __FILE__, __LINE__, "open %s: %s", path, strerror(errno));
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	/* Decimal, or 0x-hex (DMA masks); never octal. */
	v = strtoull(text, &end, strncmp(text, "0x", 2) ? 10 : 16);
	if (end == text)
		ktap_fail(true, __FILE__, __LINE__, "no number in %s: '%s'", path, text);
	return v;
}

void t_write_str(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		ktap_fail(true, __FILE__, __LINE__, "open %s: %s", path, strerror(errno));
	n = write(fd, value, strlen(value));
	if (n != (ssize_t)strlen(value))
		ktap_fail(true, __FILE__, __LINE__, "write '%s' to %s: %s", value,
			  path, n < 0 ? strerror(errno) : "short write");
	close(fd);
}

unsigned long long t_param_get(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
		 t_param_module(name), name);
	return t_read_ull(path);
}

void t_param_set(const char *name, unsigned long long value)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
		 t_param_module(name), name);
	snprintf(v, sizeof(v), "%llu", value);
	t_write_str(path, v);
}

int mod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

int mod_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

const char *t_param_module(const char *name)
{
	if (!strncmp(name, "edu_", 4))
		return "mmdma_edu";
	if (!strncmp(name, "soft_", 5))
		return "mmdma_soft";
	if (!strncmp(name, "isa_", 4))
		return "mmdma_isa";
	return "mmdma";
}

const char *t_core_ko(void)
{
	const char *ko = getenv("MMDMA_KO");

	if (!ko || access(ko, R_OK))
		t_absent("module", "MMDMA_KO does not name a readable mmdma.ko");
	return ko;
}

const char *t_mod_path(const char *mod, char *buf, size_t n)
{
	const char *ko = t_core_ko();
	const char *slash = strrchr(ko, '/');
	int dir = slash ? (int)(slash - ko) + 1 : 0;

	snprintf(buf, n, "%.*s%s.ko", dir, ko, mod);
	return buf;
}

void t_mod_params(const char *mod, char *buf, size_t n)
{
	const char *all = getenv("MMDMA_PARAMS");
	size_t len = 0, mlen = strlen(mod);
	char words[1024], *save = NULL, *w;

	buf[0] = '\0';
	if (!all)
		return;
	snprintf(words, sizeof(words), "%s", all);
	for (w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		const char *eq = strchr(w, '=');
		const char *dot = strchr(w, '.');
		const char *word = NULL;

		if (dot && (!eq || dot < eq)) {
			/* MODULE.NAME=V */
			if ((size_t)(dot - w) == mlen && !strncmp(w, mod, mlen))
				word = dot + 1;
		} else if (!strcmp(mod, "mmdma")) {
			word = w;
		}
		if (word && len < n)
			len += snprintf(buf + len, n - len, "%s%s", len ? " " : "", word);
	}
}

int t_providers(char names[][32], int max)
{
	const char *env = getenv("MMDMA_PROVIDERS");
	char list[256], *save = NULL, *w;
	int n = 0;

	if (!env)
		return 0;
	snprintf(list, sizeof(list), "%s", env);
	for (w = strtok_r(list, " \t", &save); w && n < max;
	     w = strtok_r(NULL, " \t", &save))
		snprintf(names[n++], 32, "%s", w);
	return n;
}

int t_mod_load_default(const char *mod)
{
	char path[256], params[512];

	t_mod_params(mod, params, sizeof(params));
	if (!strcmp(mod, "mmdma"))
		return mod_load(t_core_ko(), params);
	return mod_load(t_mod_path(mod, path, sizeof(path)), params);
}

int t_providers_unload(void)
{
	char names[8][32], path[128];
	int n = t_providers(names, 8), ret;

	while (n-- > 0) {
		snprintf(path, sizeof(path), "/sys/module/%s", names[n]);
		if (access(path, F_OK))
			continue;
		ret = mod_unload(names[n]);
		if (ret)
			return ret;
	}
	return 0;
}

int t_driver_unload(void)
{
	int ret = t_providers_unload();

	return ret ? ret : mod_unload("mmdma");
}

int t_driver_load(void)
{
	char names[8][32];
	int n = t_providers(names, 8), ret;

	ret = t_mod_load_default("mmdma");
	for (int i = 0; !ret && i < n; i++)
		ret = t_mod_load_default(names[i]);
	return ret;
}

long long vmstat(const char *key)
{
	FILE *f;
	int r = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	/*
	 * The counters are per-CPU deltas folded in lazily: /proc/vmstat is
	 * only exact after stat_refresh (root) has folded them.
	 */
	if (r >= 0) {
		if (write(r, "1", 1) < 0) {
			/* Best effort: EBUSY and friends leave it approximate. */
		}
		close(r);
	}
	f = fopen("/proc/vmstat", "re");
	char name[128];
	long long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", name, &v) == 2) {
		if (!strcmp(name, key)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

long long t_pins_held(void)
{
	long long acq = vmstat("nr_foll_pin_acquired");
	long long rel = vmstat("nr_foll_pin_released");

	if (acq < 0 || rel < 0)
		ktap_fail(true, __FILE__, __LINE__,
			  "/proc/vmstat has no nr_foll_pin_acquired/released");
	return acq - rel;
}

static long long mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

struct t_deadline t_deadline_ms(unsigned int ms)
{
	return (struct t_deadline){ mono_ns() + ms * 1000000LL, 1000 };
}

bool t_deadline_sleep(struct t_deadline *d)
{
	if (mono_ns() >= d->end_ns)
		return false;
	usleep(d->step_us);
	if (d->step_us < 20000)
		d->step_us *= 2;
	return true;
}

bool t_wait_ull(const char *path, unsigned long long value, unsigned int ms)
{
	struct t_deadline d = t_deadline_ms(ms);

	while (t_read_ull(path) != value)
		if (!t_deadline_sleep(&d))
			return false;
	return true;
}

/* The state letter of /proc/@pid/stat ("pid (comm) S ..."), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], line[512], *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	/* comm may hold spaces and parentheses: the state follows the last ')'. */
	paren = strrchr(line, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool t_wait_asleep(pid_t pid, unsigned int ms)
{
	struct t_deadline d = t_deadline_ms(ms);

	for (;;) {
		char st = proc_state(pid);

		if (st == 'S' || st == 'D')
			return true;
		if (!t_deadline_sleep(&d))
			return false;
	}
}

int t_dev_or_skip(const char *name)
{
	int fd = mmdma_dev_open(name);

	if (fd == -ENOENT)
		t_absent(dev_promise(name), "no device %s", name);
	ASSERT_OK(fd);
	return fd;
}

struct mmdma_info t_ctl_info(void)
{
	struct mmdma_info info;
	int ctl = t_ctl();

	ASSERT_OK(mmdma_info(ctl, &info));
	close(ctl);
	return info;
}

void t_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	ASSERT_OK(syscall(SYS_capget, &hdr, data));
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	ASSERT_OK(syscall(SYS_capset, &hdr, data));
}

int t_no_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	ASSERT_OK(syscall(SYS_capget, &hdr, data));
	return !(data[0].effective | data[1].effective | data[0].permitted |
		 data[1].permitted | data[0].inheritable | data[1].inheritable);
}

/* Close every fd from 3 up that is not in @keep. */
static void close_all_but(const int *keep, size_t n)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++) {
		size_t i;

		for (i = 0; i < n && keep[i] != fd; i++)
			;
		if (i == n)
			close(fd);
	}
}

struct unpriv_call {
	void (*fn)(void *);
	void *arg;
	const int *keep;
	size_t n;
};

static void become_nobody(void *p)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2] = { { 0 } };
	const struct unpriv_call *c = p;
	uid_t r, e, s;
	gid_t rg, eg, sg;

	close_all_but(c->keep, c->n);
	/* Empty the bounding set while CAP_SETPCAP is still there. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			ktap_fail(true, __FILE__, __LINE__, "PR_CAPBSET_DROP %d: %s",
				  cap, strerror(errno));
	ASSERT_OK(setgroups(0, NULL));
	ASSERT_OK(setresgid(T_NOBODY, T_NOBODY, T_NOBODY));
	/* From uid 0 to none: the kernel clears permitted and effective. */
	ASSERT_OK(setresuid(T_NOBODY, T_NOBODY, T_NOBODY));
	/* Inheritable and ambient survive a uid change: clear them too. */
	ASSERT_OK(syscall(SYS_capset, &hdr, none));
	ASSERT_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	ASSERT_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	/* A uid change made us undumpable, /proc/self root's: undo that. */
	ASSERT_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));

	ASSERT_OK(getresuid(&r, &e, &s));
	ASSERT_OK(getresgid(&rg, &eg, &sg));
	ASSERT(r == T_NOBODY && e == T_NOBODY && s == T_NOBODY);
	ASSERT(rg == T_NOBODY && eg == T_NOBODY && sg == T_NOBODY);
	ASSERT_EQ(getgroups(0, NULL), 0);
	ASSERT(t_no_caps());
	ASSERT_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0), 0);
	ASSERT_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_RAWIO, 0, 0, 0), 0);
	ASSERT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	c->fn(c->arg);
}

int t_run_unprivileged(void (*fn)(void *), void *arg, const int *keep,
		       size_t n)
{
	struct unpriv_call c = { fn, arg, keep, n };

	return t_wait(t_fork(become_nobody, &c));
}

const char *t_edu_bdf(void)
{
	static char bdf[256];
	char link[256];
	ssize_t n = readlink("/sys/class/misc/mmdma-edu0/device", link,
			     sizeof(link) - 1);
	const char *slash;

	if (n < 0 && errno == ENOENT)
		t_absent("edu", "no edu device (mmdma-edu0)");
	ASSERT(n > 0);
	link[n] = '\0';
	slash = strrchr(link, '/');
	snprintf(bdf, sizeof(bdf), "%s", slash ? slash + 1 : link);
	return bdf;
}

#define T_PCI_DEVS	"/sys/bus/pci/devices/"

const char *t_edu_pci_addr(void)
{
	static char bdf[256];
	struct dirent *de;
	DIR *d = opendir(T_PCI_DEVS);
	bool found = false;

	ASSERT(d != NULL);
	while (!found && (de = readdir(d))) {
		char path[512], id[32];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), T_PCI_DEVS "%s/vendor", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		found = fgets(id, sizeof(id), f) && !strcmp(id, "0x1234\n");
		fclose(f);
		if (!found)
			continue;
		snprintf(path, sizeof(path), T_PCI_DEVS "%s/device", de->d_name);
		f = fopen(path, "re");
		found = f && fgets(id, sizeof(id), f) && !strcmp(id, "0x11e8\n");
		if (f)
			fclose(f);
		if (found)
			snprintf(bdf, sizeof(bdf), "%s", de->d_name);
	}
	closedir(d);
	if (!found)
		t_absent("edu", "no edu device (1234:11e8) on the PCI bus");
	return bdf;
}

const char *t_pci_driver(const char *bdf)
{
	static char name[64];
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), T_PCI_DEVS "%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return "";
	link[n] = '\0';
	snprintf(name, sizeof(name), "%s", strrchr(link, '/') + 1);
	return name;
}

int t_write_attr(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, value, strlen(value));
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

int t_edu_rebind(const char *bdf)
{
	int fd = -1;

	struct t_deadline d = t_deadline_ms(T_POLL_MS);

	t_write_str("/sys/bus/pci/drivers/mmdma-edu/bind", bdf);
	/* The node appears when probing is done. */
	while ((fd = mmdma_dev_open("mmdma-edu0")) < 0 && t_deadline_sleep(&d))
		;
	ASSERT_OK(fd);
	return fd;
}

static sigjmp_buf t_bus_jmp;

static void t_on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(t_bus_jmp, 1);
}

bool t_read_sigbus(const volatile void *p, unsigned int width, uint64_t *val)
{
	struct sigaction sa = { .sa_handler = t_on_sigbus }, old;
	volatile bool bus = false;
	uint64_t v = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(t_bus_jmp, 1))
		bus = true;
	else if (width == 4)
		v = *(const volatile uint32_t *)p;
	else
		v = *(const volatile uint8_t *)p;
	sigaction(SIGBUS, &old, NULL);
	if (!bus && val)
		*val = v;
	return bus;
}
