/*
 * caps.h - does this process hold a capability in its effective set?
 * The kernel's capable() for the checks iommufd makes (CAP_IPC_LOCK,
 * CAP_SYS_RESOURCE), read with capget(2) so no library is needed.
 */
#ifndef UIOMMU_UTIL_CAPS_H
#define UIOMMU_UTIL_CAPS_H

#include <stdbool.h>

bool uiommu_capable(int cap);

#endif
