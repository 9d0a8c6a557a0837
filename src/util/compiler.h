/*
 * compiler.h - small language helpers shared by every layer.
 *
 * Holds container_of, min/max, likely/unlikely, the defensive ALWAYS()/NEVER()
 * checks (kept in release builds: they report and return the condition so the
 * caller can recover), and the __uiommu_hidden visibility marker.  Nothing here
 * allocates or locks.
 */
#ifndef UIOMMU_UTIL_COMPILER_H
#define UIOMMU_UTIL_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The offset just past member @m of struct type @t. */
#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))

#define __uiommu_public __attribute__((visibility("default")))
#define __maybe_unused __attribute__((unused))

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

void __uiommu_defensive_report(const char *file, int line, const char *cond);

/*
 * ALWAYS(X) / NEVER(X): conditions that the design says cannot fail.  Debug
 * builds abort; release builds report once and let the caller take the
 * recovery path.  Use as: if (NEVER(refs == 0)) return -EINVAL;
 */
#ifdef NDEBUG
#define ALWAYS(x) \
	(likely(x) ? 1 : (__uiommu_defensive_report(__FILE__, __LINE__, #x), 0))
#define NEVER(x) \
	(unlikely(x) ? (__uiommu_defensive_report(__FILE__, __LINE__, #x), 1) : 0)
#else
#include <assert.h>
#define ALWAYS(x) ((x) ? 1 : (assert(0 && (x)), 0))
#define NEVER(x) ((x) ? (assert(!(x)), 1) : 0)
#endif

static inline bool check_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *res)
{
	return __builtin_add_overflow(a, b, res);
}

#endif
