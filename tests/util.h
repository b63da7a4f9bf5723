/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by mmdma's test programs.  Functions named t_* end the
 * current case with a failure (or a skip) when they cannot do their job, so
 * a test reads as the behaviour it checks.
 */
#ifndef MMDMA_TEST_UTIL_H
#define MMDMA_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/libmmdma.h"
#include "ktap.h"

#define PAGE 4096UL

/* A memory kind and a mapping method that work together. */
struct combo {
	uint32_t kind;
	uint32_t method;
};

/* Every valid kind/method pair, and their number. */
extern const struct combo combos[];
extern const size_t nr_combos;
const char *combo_name(const struct combo *c);

/*
 * $MMDMA_PROMISE (set by the VM profile, vm/guest-promise.sh) names @what:
 * "module", "soft", "edu" or "reserved".
 */
bool t_promised(const char *what);
/*
 * @what is missing: fail the case when the profile promises it, else skip
 * it with the reason (@fmt).  A skip is only for what nobody promised.
 */
void t_absent(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* The control node; fails or skips the case (t_absent "module") without it. */
int t_ctl(void);
/* MMDMA_IOC_INFO of a fresh control fd. */
struct mmdma_info t_ctl_info(void);
/*
 * The DMA device node @name opened; without it, t_absent() of "edu" for
 * mmdma-edu0 and "soft" for mmdma-soft0.
 */
int t_dev_or_skip(const char *name);
/* Give up capability @cap (CAP_*) for the rest of this process. */
void t_drop_cap(int cap);
/* A new buffer fd (fails the case on error). */
int t_buf(uint64_t size, uint32_t kind, uint32_t method);
/* mmap() that fails the case on error. */
void *t_map(int fd, size_t len, int prot, int flags, off_t off);
/* MMDMA_BUF_INFO fields. */
struct mmdma_buf_info t_info(int fd);
unsigned int t_live_maps(int fd);

/* Fork; the child runs @fn(@arg) and exits 0 unless it failed a check. */
pid_t t_fork(void (*fn)(void *), void *arg);
/* Wait for @pid; its exit status, or 128 + signal.  A child that skipped
 * skips the calling case. */
int t_wait(pid_t pid);

/*
 * The user an unprivileged child runs as: "nobody"/"nogroup" on Debian,
 * owning no file of the test VM.
 */
#define T_NOBODY	65534

/*
 * Fork a child that becomes a genuinely unprivileged process and runs
 * @fn(@arg): every fd but 0-2 and the @n in @keep closed, no supplementary
 * groups, real/effective/saved gid and uid T_NOBODY, no capability in any
 * set (the bounding set emptied too), PR_SET_NO_NEW_PRIVS, dumpable like a
 * process started as that user.  The child checks all of it before @fn
 * runs and fails the case if any step did not hold.  Returns what
 * t_wait() does: the child's exit status (0 unless a check failed).
 */
/*
 * Does reading @width bytes (1, or 4 for registers that allow only 32-bit
 * accesses) at @p raise SIGBUS?  If not, *@val (when set) is what it read.
 */
bool t_read_sigbus(const volatile void *p, unsigned int width, uint64_t *val);
int t_run_unprivileged(void (*fn)(void *), void *arg, const int *keep,
		       size_t n);
/* True when no capability is effective or permitted in this process. */
int t_no_caps(void);

/* Check that the memory holds the fill pattern; reports the first miss. */
void t_expect_pattern(const void *p, uint64_t off, size_t len, uint32_t seed);

/*
 * Kernel log watch: kmsg_open() starts at the end of the log (and fails the
 * case when /dev/kmsg cannot be opened: an unread log is not a clean one);
 * kmsg_bad() reports, as diagnostics, every line since that looks like a
 * warning, an oops or a sanitizer report, and returns how many there were.
 */
int kmsg_open(void);
int kmsg_bad(int fd);
/* Has a kernel log line since @fd was opened (kmsg_open) held @want? */
bool kmsg_saw(int fd, const char *want);

/* Module (un)loading through the syscalls: 0 or -errno. */
int mod_unload(const char *name);
int mod_load(const char *path, const char *params);

/*
 * The driver is the core (mmdma.ko, $MMDMA_KO) and the provider modules
 * next to it ($MMDMA_PROVIDERS: their names, in load order).  $MMDMA_PARAMS
 * holds the parameters of all, as on the kernel command line: "NAME=V" for
 * the core, "MODULE.NAME=V" for a provider.
 */
/* The core's path; t_absent() (fails where promised) when unreadable. */
const char *t_core_ko(void);
/* @mod's .ko next to the core, into @buf. */
const char *t_mod_path(const char *mod, char *buf, size_t n);
/* The words of $MMDMA_PARAMS for @mod ("mmdma": the core), prefixes off. */
void t_mod_params(const char *mod, char *buf, size_t n);
/* The provider modules to load, in order: up to @max names into @names. */
int t_providers(char names[][32], int max);
/* Load one module with its profile parameters: 0 or -errno. */
int t_mod_load_default(const char *mod);
/* Unload the providers that are loaded, in reverse order: 0 or the first -errno. */
int t_providers_unload(void);
/* t_providers_unload(), then the core: 0 or the first -errno. */
int t_driver_unload(void);
/* Load the core, then every provider, with the profile's parameters: 0 or the first -errno. */
int t_driver_load(void);
/* The module a parameter belongs to: edu_* mmdma_edu, soft_* mmdma_soft, isa_* mmdma_isa, else mmdma. */
const char *t_param_module(const char *name);

/* sysfs-style files: a number, or a string written in one go. */
/* The first line of a (sysfs) file, newline kept; fails the case if unreadable. */
void t_read_line(const char *path, char *out, size_t n);
unsigned long long t_read_ull(const char *path);
void t_write_str(const char *path, const char *value);
/* Module parameters of the driver (/sys/module/t_param_module(NAME)/parameters/NAME). */
unsigned long long t_param_get(const char *name);
void t_param_set(const char *name, unsigned long long value);

/* A /proc/vmstat counter, or -1 if absent. */
long long vmstat(const char *key);
/*
 * FOLL_PIN pins held now (nr_foll_pin_acquired - nr_foll_pin_released);
 * fails the case when the kernel has no such counters, so that a missing
 * counter never compares equal to itself.
 */
long long t_pins_held(void);

/*
 * Waiting for a state instead of sleeping and assuming it: poll until the
 * condition holds or the deadline passes, then assert the state.
 *
 *	struct t_deadline d = t_deadline_ms(T_POLL_MS);
 *	while (!cond && t_deadline_sleep(&d))
 *		;
 *	ASSERT(cond);
 *
 * Times are the guest's (virtual under icount, docs/testing.md); T_POLL_MS
 * stays under the 60 s case time-out of tests/ktap.c.
 */
#define T_POLL_MS	30000
struct t_deadline {
	long long end_ns;	/* CLOCK_MONOTONIC */
	unsigned int step_us;	/* next sleep, grows from 1 ms to 20 ms */
};
struct t_deadline t_deadline_ms(unsigned int ms);
/* Sleep a little; false (without sleeping) once the deadline has passed. */
bool t_deadline_sleep(struct t_deadline *d);
/* Poll until file @path holds the number @value; false at the deadline. */
bool t_wait_ull(const char *path, unsigned long long value, unsigned int ms);
/* Poll until @pid is asleep (state S or D in /proc/PID/stat); false at the deadline. */
bool t_wait_asleep(pid_t pid, unsigned int ms);

/* PCI address of the edu device behind mmdma-edu0 (t_absent "edu"). */
const char *t_edu_bdf(void);
/* PCI address of QEMU's edu (1234:11e8), whatever driver holds it (t_absent "edu"). */
const char *t_edu_pci_addr(void);
/* The driver bound to PCI device @bdf ("" when none); a static buffer. */
const char *t_pci_driver(const char *bdf);
/* Write @value to @path in one go: 0 or -errno of open or write. */
int t_write_attr(const char *path, const char *value);
/* Bind edu at @bdf to the driver again; the reopened node's fd, once
 * probing has made it (polled up to T_POLL_MS). */
int t_edu_rebind(const char *bdf);

#endif /* MMDMA_TEST_UTIL_H */
