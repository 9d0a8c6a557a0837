/*
 * unit_amd.c - the AMD-Vi unit type: limits and default formats.
 *
 * Model: an AMD IOMMU with the v1 host page table (amdv1_3..6 by aw = 39,
 * 48, 57, 64: modes 3..6) as stage 2 and the v2 guest table (x86 long-mode
 * paging, the same encoding as VT-d first stage: vtd_fs4/5) as stage 1,
 * reached per PASID (GCR3).  Paging domains default to v1, as Linux does;
 * dirty tracking is the v1 table's host dirty bit (HDSup).
 *
 * GET_HW_INFO: Linux v6.17 defines no AMD data type, so a device behind this
 * unit reports IOMMU_HW_INFO_TYPE_NONE with no data (the extended feature
 * register is not exposed), plus the generic capabilities and PASID width.
 */
#include <errno.h>
#include <stdio.h>

#include "iommu/unit_priv.h"

static void amd_defaults(struct iommu_unit_config *cfg)
{
	cfg->aw = 48;
	cfg->pasid_lg2 = 16;
}

static int amd_validate(const struct iommu_unit_config *cfg, const char **key,
			char *msg, size_t len)
{
	if (cfg->aw != 39 && cfg->aw != 48 && cfg->aw != 57 && cfg->aw != 64) {
		*key = "aw";
		snprintf(msg, len,
			 "AMD v1 address width must be 39, 48, 57 or 64 "
			 "(modes 3..6)");
		return -EINVAL;
	}
	if (cfg->granule_lg2 != 12) {
		*key = "granule";
		snprintf(msg, len, "AMD-Vi pages are 4k");
		return -EINVAL;
	}
	return 0;
}

static void amd_formats(const struct iommu_unit_config *cfg, const char **s1,
			const char **s2)
{
	*s1 = cfg->aw >= 57 ? "vtd_fs5" : "vtd_fs4";
	*s2 = cfg->aw == 39   ? "amdv1_3"
	      : cfg->aw == 57 ? "amdv1_5"
	      : cfg->aw == 64 ? "amdv1_6"
			      : "amdv1_4";
}

/* v2 tables live in the GCR3 table: they need guest translation (PASID). */
static bool amd_stage_ok(const struct iommu_unit *u, unsigned int stage)
{
	return stage == 2 || u->cfg.pasid_lg2;
}

static void amd_hw_info(const struct iommu_unit *u,
			struct iommu_unit_hw_info *info)
{
	info->type = IOMMU_HW_INFO_TYPE_NONE;
	info->len = 0;
}

const struct iommu_unit_type_ops iommu_unit_amd_ops = {
    .type = IOMMU_UNIT_AMD,
    .name = "amd",
    .defaults = amd_defaults,
    .validate = amd_validate,
    .formats = amd_formats,
    .stage_ok = amd_stage_ok,
    .default_stage = 2,
    .dirty_stages = 1u << 2,
    .hw_info = amd_hw_info,
};
