/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small KTAP test runner for mmdma's test programs.
 *
 * Each case runs in its own child process with a time-out, so a case that
 * crashes, hangs or leaks a mapping cannot take the others with it.  A case
 * passes when it returns without a failed check, is skipped by
 * ktap_skip(), and fails on a failed check, a signal or the time-out.
 */
#ifndef MMDMA_KTAP_H
#define MMDMA_KTAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct ktap_case {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;	/* seconds; 0 means the default (60) */
};

#define KTAP_CASE(f)		{ #f, f, 0 }
#define KTAP_CASE_T(f, t)	{ #f, f, (t) }

/* Run @cases (argv[1], if given, selects cases whose name contains it). */
int ktap_main(const struct ktap_case *cases, size_t n, int argc, char **argv);

/* Diagnostic line ("# ..."); safe in a case and outside one. */
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A case (or a child of one) that exits with this status is skipped. */
#define KTAP_SKIP_EXIT	77

/* End the current case as skipped with @fmt as the reason. */
void ktap_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Record a failure; end the case now when @fatal. */
void ktap_fail(bool fatal, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True once the current case has a failed check. */
bool ktap_failed(void);

#define KTAP_CHECK_(fatal, cond)					\
	do {								\
		if (!(cond))						\
			ktap_fail(fatal, __FILE__, __LINE__,		\
				  "expected: %s", #cond);		\
	} while (0)

#define KTAP_CHECK_EQ_(fatal, a, b)					\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_)						\
			ktap_fail(fatal, __FILE__, __LINE__,		\
				  "%s == %s: got %lld (%#llx), expected %lld (%#llx)", \
				  #a, #b, a_, a_, b_, b_);		\
	} while (0)

/* A syscall-style call: -1 with errno @err. */
#define KTAP_CHECK_SYSERR_(fatal, expr, err)				\
	do {								\
		errno = 0;						\
		long long r_ = (long long)(expr);			\
		int e_ = errno;						\
		if (r_ != -1 || e_ != (err))				\
			ktap_fail(fatal, __FILE__, __LINE__,		\
				  "%s: got %lld errno %d (%s), expected -1 errno %d (%s)", \
				  #expr, r_, e_, strerror(e_), (err), strerror(err)); \
	} while (0)

/* A libmmdma-style call: returns -errno @err. */
#define KTAP_CHECK_ERR_(fatal, expr, err)				\
	do {								\
		long long r_ = (long long)(expr);			\
		if (r_ != -(long long)(err))				\
			ktap_fail(fatal, __FILE__, __LINE__,		\
				  "%s: got %lld (%s), expected -%d (%s)", \
				  #expr, r_, r_ < 0 ? strerror((int)-r_) : "success", \
				  (err), strerror(err));		\
	} while (0)

/* A call that must succeed (>= 0), syscall or libmmdma style. */
#define KTAP_CHECK_OK_(fatal, expr)					\
	({								\
		errno = 0;						\
		long long r_ = (long long)(expr);			\
		if (r_ < 0)						\
			ktap_fail(fatal, __FILE__, __LINE__,		\
				  "%s failed: %lld (%s)", #expr, r_,	\
				  strerror(r_ == -1 && errno ? errno : (int)-r_)); \
		r_;							\
	})

#define EXPECT(c)		KTAP_CHECK_(false, c)
#define ASSERT(c)		KTAP_CHECK_(true, c)
#define EXPECT_EQ(a, b)		KTAP_CHECK_EQ_(false, a, b)
#define ASSERT_EQ(a, b)		KTAP_CHECK_EQ_(true, a, b)
#define EXPECT_SYSERR(e, err)	KTAP_CHECK_SYSERR_(false, e, err)
#define ASSERT_SYSERR(e, err)	KTAP_CHECK_SYSERR_(true, e, err)
#define EXPECT_ERR(e, err)	KTAP_CHECK_ERR_(false, e, err)
#define ASSERT_ERR(e, err)	KTAP_CHECK_ERR_(true, e, err)
#define EXPECT_OK(e)		KTAP_CHECK_OK_(false, e)
#define ASSERT_OK(e)		KTAP_CHECK_OK_(true, e)

#endif /* MMDMA_KTAP_H */
