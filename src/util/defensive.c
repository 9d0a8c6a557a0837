/*
 * defensive.c - the release-build reporter behind ALWAYS()/NEVER().
 * Reports each failed defensive check on stderr; never aborts.
 */
#include <stdio.h>

#include "util/compiler.h"

void __uiommu_defensive_report(const char *file, int line, const char *cond)
{
	fprintf(stderr, "uiommu: internal check failed at %s:%d: %s\n", file,
		line, cond);
}
