/*
 * unit_smmuv3.c - the Arm SMMUv3 unit type: limits, default formats and the
 * ID registers that IOMMU_GET_HW_INFO reports
 * (IOMMU_HW_INFO_TYPE_ARM_SMMUV3), derived from the unit's configuration.
 *
 * Model: an SMMUv3.2 with AArch64 stage-1 tables (arm_s1_*: aw = VA width,
 * 39 or 48 with a 4k granule, 48 with 16k/64k) and, when declared with
 * "nest", stage-2 tables (arm_s2_*: 48-bit IPA, 40-bit when aw = 39) and
 * nesting; a two-level stream table and two-level CD tables for PASIDs
 * (substreams); HTTU access flag (and dirty state with "dirty", stage 1, as
 * Linux uses it); range invalidation.  Paging domains default to stage 1.
 *
 * Register fields (SMMUv3 spec 6.3):
 *   IDR0: 0 S2P, 1 S1P, 3:2 TTF, 4 COHACC, 5 BTM, 7:6 HTTU, 9 HYP, 10 ATS,
 *         12 ASID16, 13 MSI, 14 SEV, 16 PRI, 18 VMID16, 19 CD2L,
 *         22:21 TTENDIAN, 25:24 STALL_MODEL, 26 TERM_MODEL, 28:27 ST_LEVEL.
 *   IDR1: 5:0 SIDSIZE, 10:6 SSIDSIZE, 15:11 PRIQS, 20:16 EVENTQS,
 *         25:21 CMDQS.
 *   IDR3: 10 RIL.
 *   IDR5: 2:0 OAS, 4 GRAN4K, 5 GRAN16K, 6 GRAN64K, 11:10 VAX.
 *   IIDR: 11:0 Implementer (0: none claimed, so no vendor errata apply),
 *         15:12 Revision, 19:16 Variant, 31:20 ProductID.
 *   AIDR: 3:0 ArchMinorRev, 7:4 ArchMajorRev (0x02: SMMUv3.2).
 */
#include <errno.h>
#include <stdio.h>

#include "iommu/unit_priv.h"

#define SMMU_CMDQS 8
#define SMMU_PRIQS 8

static void smmuv3_defaults(struct iommu_unit_config *cfg)
{
	cfg->aw = 48;
	cfg->pasid_lg2 = 20;
}

static int smmuv3_validate(const struct iommu_unit_config *cfg,
			   const char **key, char *msg, size_t len)
{
	if (cfg->granule_lg2 == 12 ? cfg->aw != 39 && cfg->aw != 48
				   : cfg->aw != 48) {
		*key = "aw";
		snprintf(msg, len,
			 "SMMUv3 VA width must be 48 (or 39 with granule=4k)");
		return -EINVAL;
	}
	if (cfg->oas != 48 && cfg->oas != 52) {
		*key = "oas";
		snprintf(msg, len, "SMMUv3 output width must be 48 or 52");
		return -EINVAL;
	}
	return 0;
}

static void smmuv3_formats(const struct iommu_unit_config *cfg, const char **s1,
			   const char **s2)
{
	switch (cfg->granule_lg2) {
	case 14:
		*s1 = "arm_s1_16k_48";
		*s2 = "arm_s2_16k_48";
		break;
	case 16:
		*s1 = "arm_s1_64k_48";
		*s2 = "arm_s2_64k_48_contig";
		break;
	default:
		*s1 = cfg->aw == 39 ? "arm_s1_4k_39" : "arm_s1_4k_48";
		*s2 = cfg->aw == 39 ? "arm_s2_4k_40" : "arm_s2_4k_48";
		break;
	}
}

static bool smmuv3_stage_ok(const struct iommu_unit *u, unsigned int stage)
{
	return stage == 1 || (u->cfg.features & IOMMU_UNIT_F_NEST);
}

static uint32_t ilog2_u32(uint32_t v)
{
	return 31u - (uint32_t)__builtin_clz(v);
}

static void smmuv3_hw_info(const struct iommu_unit *u,
			   struct iommu_unit_hw_info *info)
{
	const struct iommu_unit_config *cfg = &u->cfg;
	struct iommu_hw_info_arm_smmuv3 *r = &info->data.smmuv3;
	uint32_t f = cfg->features;
	uint32_t evtqs = ilog2_u32(cfg->fault_log);
	bool s2 = f & IOMMU_UNIT_F_NEST;

	r->idr[0] = (s2 ? 1u << 0 : 0) | 1u << 1 |	      /* S2P, S1P */
		    2u << 2 |				      /* TTF AArch64 */
		    1u << 4 |				      /* COHACC */
		    (f & IOMMU_UNIT_F_DIRTY ? 2u : 1u) << 6 | /* HTTU */
		    (f & IOMMU_UNIT_F_ATS ? 1u << 10 : 0) | 1u << 12 |
		    1u << 13 | /* ASID16, MSI */
		    (f & IOMMU_UNIT_F_PRI ? 1u << 16 : 0) |
		    (s2 ? 1u << 18 : 0) |	      /* VMID16 */
		    (cfg->pasid_lg2 ? 1u << 19 : 0) | /* CD2L */
		    2u << 21 |			      /* TTENDIAN LE */
		    1u << 24 |			      /* STALL_MODEL none */
		    1u << 27;			      /* 2-level STE */
	r->idr[1] = 16u |			      /* SIDSIZE */
		    (uint32_t)cfg->pasid_lg2 << 6 |   /* SSIDSIZE */
		    (f & IOMMU_UNIT_F_PRI ? SMMU_PRIQS : 0u) << 11 |
		    (evtqs > 19 ? 19u : evtqs) << 16 |
		    (uint32_t)SMMU_CMDQS << 21;
	r->idr[2] = 0;
	r->idr[3] = 1u << 10; /* RIL */
	r->idr[4] = 0;
	r->idr[5] = (cfg->oas == 52 ? 6u : 5u) | /* OAS */
		    (cfg->granule_lg2 == 12 ? 1u << 4 : 0) |
		    (cfg->granule_lg2 == 14 ? 1u << 5 : 0) |
		    (cfg->granule_lg2 == 16 ? 1u << 6 : 0);
	r->iidr = 0;
	r->aidr = 0x02;
	r->flags = 0;
	info->type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	info->len = sizeof(*r);
}

const struct iommu_unit_type_ops iommu_unit_smmuv3_ops = {
    .type = IOMMU_UNIT_SMMUV3,
    .name = "smmuv3",
    .defaults = smmuv3_defaults,
    .validate = smmuv3_validate,
    .formats = smmuv3_formats,
    .stage_ok = smmuv3_stage_ok,
    .default_stage = 1,
    .dirty_stages = 1u << 1,
    .hw_info = smmuv3_hw_info,
};
