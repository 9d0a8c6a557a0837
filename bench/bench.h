/*
 * bench.h - what the benchmark programs share: a monotonic clock in
 * nanoseconds and the selection of cases by the substrings given as
 * arguments.
 */
#ifndef UIOMMU_BENCH_BENCH_H
#define UIOMMU_BENCH_BENCH_H

#include <stdbool.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Does @name contain one of the @nsel strings @sel (none given: all do)? */
static inline bool bench_selected(const char *name, int nsel, char **sel)
{
	if (!nsel)
		return true;
	for (int i = 0; i < nsel; i++)
		if (strstr(name, sel[i]))
			return true;
	return false;
}

#endif
