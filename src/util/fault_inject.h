/*
 * fault_inject.h - failure injection for tests (SQLite-style allocation
 * failure simulation, in the spirit of the kernel's fail_nth).
 *
 * Every place that can fail at run time and is worth testing is a named
 * injection point: the allocation wrappers ufi_malloc/ufi_calloc/
 * ufi_realloc/ufi_aligned_alloc/ufi_strdup (named by their call site) and
 * FAULT_POINT("name") for other failures (a syscall, an id reservation), on
 * which the caller takes its own error path with its own errno.
 *
 * One process-wide counter drives them all.  Off (the default), a point
 * costs one relaxed atomic load.  Armed, every point hit increments the
 * counter; in fail-nth mode the hit that brings it to n fails, once, and
 * the points after it succeed again; in count mode nothing fails, so a test
 * learns how many points a scenario passes.  The counter is shared by every
 * thread of the process, unless armed for one thread.
 */
#ifndef UIOMMU_UTIL_FAULT_INJECT_H
#define UIOMMU_UTIL_FAULT_INJECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"

/* Non-zero while counting or failing; read on every point. */
extern atomic_int __ufi_armed;

bool __ufi_hit(const char *site);

/* True when the point @site must fail now. */
static inline bool ufi_should_fail(const char *site)
{
	if (likely(!atomic_load_explicit(&__ufi_armed, memory_order_relaxed)))
		return false;
	return __ufi_hit(site);
}

#define __UFI_STR2(x) #x
#define __UFI_STR(x) __UFI_STR2(x)
#ifdef __FILE_NAME__
#define UFI_SITE __FILE_NAME__ ":" __UFI_STR(__LINE__)
#else
#define UFI_SITE __FILE__ ":" __UFI_STR(__LINE__)
#endif

/* A non-allocation failure point; the caller supplies the error path. */
#define FAULT_POINT(name) ufi_should_fail(name)

static inline void *__ufi_malloc(size_t size, const char *site)
{
	return ufi_should_fail(site) ? NULL : malloc(size);
}

static inline void *__ufi_calloc(size_t n, size_t size, const char *site)
{
	return ufi_should_fail(site) ? NULL : calloc(n, size);
}

static inline void *__ufi_realloc(void *p, size_t size, const char *site)
{
	return ufi_should_fail(site) ? NULL : realloc(p, size);
}

static inline void *__ufi_aligned_alloc(size_t align, size_t size,
					const char *site)
{
	return ufi_should_fail(site) ? NULL : aligned_alloc(align, size);
}

static inline char *__ufi_strdup(const char *s, const char *site)
{
	return ufi_should_fail(site) ? NULL : strdup(s);
}

#define ufi_malloc(size) __ufi_malloc(size, UFI_SITE)
#define ufi_calloc(n, size) __ufi_calloc(n, size, UFI_SITE)
#define ufi_realloc(p, size) __ufi_realloc(p, size, UFI_SITE)
#define ufi_aligned_alloc(align, size) \
	__ufi_aligned_alloc(align, size, UFI_SITE)
#define ufi_strdup(s) __ufi_strdup(s, UFI_SITE)

/* Count points from now on; nothing fails. */
void ufi_count_start(void);
/* Fail the @n-th point hit from now on (n >= 1); 0 disarms. */
void ufi_fail_nth(unsigned long n);
/*
 * The same, counting only the points thread @tid passes (the kernel's
 * per-task fail-nth).
 */
void ufi_fail_nth_thread(unsigned long n, int tid);
/*
 * What the kernel's fail-nth file reads for thread @tid: how many points
 * are left until the armed failure, or 0 once it happened (or when nothing
 * is armed for @tid).
 */
unsigned long ufi_fail_nth_pending(int tid);
/* Disarm; counters keep their values until the next start. */
void ufi_off(void);
/* Points hit since the last start. */
unsigned long ufi_hits(void);
/* Site of the point that failed since the last start, or NULL. */
const char *ufi_failed_site(void);

#endif
