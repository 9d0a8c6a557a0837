/*
 * shim.h - what the preload shim's files share (src/shim/): whether the
 * shim has seen an emulated fd yet.  Nothing here is exported.
 */
#ifndef UIOMMU_SHIM_SHIM_H
#define UIOMMU_SHIM_SHIM_H

#include <stdbool.h>

/* Has this process had an emulated fd (opened, or inherited over exec)? */
bool shim_is_active(void);
/* From now on the wrappers look at the fd table. */
void shim_activate(void);

#endif
