/*
 * harness.h - uiommu's forked test runner (libuv-style).
 *
 * A test binary is any number of .c files with TEST(name) { ... } bodies plus
 * tests/harness.c, which supplies main().  Each test runs in its own forked
 * child with a timeout, so a crash or a hang fails one test, not the binary.
 * Inside a test: CHECK(cond), CHECK_EQ(a, b), CHECK_ERRNO(expr, errno),
 * SKIP("why").  A test passes when its body returns.
 *
 * The binary prints one line per test ("ok", "not ok", "skip") and ends with
 * "N passed, N failed, N skipped".  Arguments are substrings that select tests;
 * UIOMMU_TEST_TIMEOUT overrides the per-test timeout in seconds.
 */
#ifndef UIOMMU_TESTS_HARNESS_H
#define UIOMMU_TESTS_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	unsigned int timeout_s;
	struct test_case *next;
};

void test_register(struct test_case *tc);
void __attribute__((noreturn)) test_fail(const char *file, int line,
					 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void __attribute__((noreturn)) test_skip(const char *why);

#define TEST_TIMEOUT(tname, secs)                                           \
	static void test_fn_##tname(void);                                   \
	static struct test_case test_case_##tname = { #tname, test_fn_##tname, \
						      secs, NULL };          \
	__attribute__((constructor)) static void test_reg_##tname(void)      \
	{                                                                    \
		test_register(&test_case_##tname);                           \
	}                                                                    \
	static void test_fn_##tname(void)

#define TEST(tname) TEST_TIMEOUT(tname, 0)

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		unsigned long long _a = (unsigned long long)(a);             \
		unsigned long long _b = (unsigned long long)(b);             \
		if (_a != _b)                                                \
			test_fail(__FILE__, __LINE__,                        \
				  "CHECK_EQ(%s, %s): 0x%llx != 0x%llx", #a,  \
				  #b, _a, _b);                               \
	} while (0)

/* Expect a libc-style call (-1 + errno) to fail with errno e. */
#define CHECK_ERRNO(expr, e)                                                  \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		if (_r != -1 || _e != (e))                                    \
			test_fail(__FILE__, __LINE__,                         \
				  "%s: returned %ld errno %d (%s), want -1 "  \
				  "errno %d (%s)",                            \
				  #expr, _r, _e, strerror(_e), (int)(e),      \
				  strerror(e));                               \
	} while (0)

/* Expect a libc-style call to succeed (return >= 0). */
#define CHECK_OK(expr)                                                        \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		if (_r < 0)                                                   \
			test_fail(__FILE__, __LINE__,                         \
				  "%s: returned %ld errno %d (%s)", #expr, _r, \
				  errno, strerror(errno));                    \
	} while (0)

#define SKIP(why) test_skip(why)

#endif
