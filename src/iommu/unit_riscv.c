/*
 * unit_riscv.c - the RISC-V IOMMU unit type: limits and default formats.
 *
 * Model: a RISC-V IOMMU (spec 1.0) with first-stage Sv39/48/57 (aw = 39, 48,
 * 57; riscv_svNN) and G-stage SvNNx4 (riscv_svNNx4) translation, process
 * contexts for PASIDs, and hardware A/D updates in both stages.  Paging
 * domains default to the first stage, as Linux does.
 *
 * GET_HW_INFO: Linux v6.17 defines no RISC-V data type, so a device behind
 * this unit reports IOMMU_HW_INFO_TYPE_NONE with no data (the capabilities
 * register is not exposed), plus the generic capabilities and PASID width.
 */
#include <errno.h>
#include <stdio.h>

#include "iommu/unit_priv.h"

static void riscv_defaults(struct iommu_unit_config *cfg)
{
	cfg->aw = 48;
	cfg->pasid_lg2 = 20;
}

static int riscv_validate(const struct iommu_unit_config *cfg, const char **key,
			  char *msg, size_t len)
{
	if (cfg->aw != 39 && cfg->aw != 48 && cfg->aw != 57) {
		*key = "aw";
		snprintf(msg, len,
			 "RISC-V address width must be 39, 48 or 57 "
			 "(Sv39/48/57)");
		return -EINVAL;
	}
	if (cfg->granule_lg2 != 12) {
		*key = "granule";
		snprintf(msg, len, "RISC-V pages are 4k");
		return -EINVAL;
	}
	return 0;
}

static void riscv_formats(const struct iommu_unit_config *cfg, const char **s1,
			  const char **s2)
{
	*s1 = cfg->aw == 39   ? "riscv_sv39"
	      : cfg->aw == 57 ? "riscv_sv57"
			      : "riscv_sv48";
	*s2 = cfg->aw == 39   ? "riscv_sv39x4"
	      : cfg->aw == 57 ? "riscv_sv57x4"
			      : "riscv_sv48x4";
}

static bool riscv_stage_ok(const struct iommu_unit *u, unsigned int stage)
{
	return true;
}

static void riscv_hw_info(const struct iommu_unit *u,
			  struct iommu_unit_hw_info *info)
{
	info->type = IOMMU_HW_INFO_TYPE_NONE;
	info->len = 0;
}

const struct iommu_unit_type_ops iommu_unit_riscv_ops = {
    .type = IOMMU_UNIT_RISCV,
    .name = "riscv",
    .defaults = riscv_defaults,
    .validate = riscv_validate,
    .formats = riscv_formats,
    .stage_ok = riscv_stage_ok,
    .default_stage = 1,
    .dirty_stages = 1u << 1 | 1u << 2,
    .hw_info = riscv_hw_info,
};
