/*
 * unit_vtd.c - the Intel VT-d unit type: limits, default formats and the
 * capability registers that IOMMU_GET_HW_INFO reports
 * (IOMMU_HW_INFO_TYPE_INTEL_VTD), derived from the unit's configuration.
 *
 * Model: a scalable-mode remapping unit (Intel VT-d spec 4.x).  Stage 1 is
 * the first-stage table (x86 4- or 5-level paging, vtd_fs4/5), stage 2 the
 * second-stage table (vtd_ss3/4/5, aw = its input width, MGAW); paging
 * domains default to the first stage, as Linux does when first-stage
 * translation is available.  Dirty tracking is second-stage A/D (SSADS).
 *
 * Register bits, Capability Register (spec 11.4.2):
 *   2:0 ND, 12:8 SAGAW, 21:16 MGAW (width - 1), 33:24 FRO (offset / 16),
 *   37:34 SSLPS (bit 34 2 MiB, bit 35 1 GiB), 39 PSI, 47:40 NFR (count - 1),
 *   53:48 MAMV, 54 DWD, 55 DRD, 56 FS1GP, 60 FS5LP.
 * Extended Capability Register (spec 11.4.3):
 *   0 C, 1 QI, 2 DT, 6 PT, 7 SC, 17:8 IRO (offset / 16), 26 NEST, 29 PRS,
 *   30 ERS, 31 SRS, 39:35 PSS (width - 1), 40 PASID, 42 PDS, 43 SMTS,
 *   45 SSADS, 46 SSTS, 47 FSTS, 48 SMPWCS.
 */
#include <errno.h>
#include <stdio.h>

#include "iommu/unit_priv.h"

#define VTD_FRO 0x40 /* fault recording registers at 0x400 */
#define VTD_IRO 0x50 /* IOTLB registers at 0x500 */

static void vtd_defaults(struct iommu_unit_config *cfg)
{
	cfg->aw = 48;
	cfg->pasid_lg2 = 20;
}

static int vtd_validate(const struct iommu_unit_config *cfg, const char **key,
			char *msg, size_t len)
{
	if (cfg->aw != 39 && cfg->aw != 48 && cfg->aw != 57) {
		*key = "aw";
		snprintf(msg, len,
			 "VT-d address width must be 39, 48 or 57 (3-, 4- or "
			 "5-level second stage)");
		return -EINVAL;
	}
	if (cfg->granule_lg2 != 12) {
		*key = "granule";
		snprintf(msg, len, "VT-d pages are 4k");
		return -EINVAL;
	}
	return 0;
}

static void vtd_formats(const struct iommu_unit_config *cfg, const char **s1,
			const char **s2)
{
	*s1 = cfg->aw == 57 ? "vtd_fs5" : "vtd_fs4";
	*s2 = cfg->aw == 39 ? "vtd_ss3" : cfg->aw == 57 ? "vtd_ss5" : "vtd_ss4";
}

static bool vtd_stage_ok(const struct iommu_unit *u, unsigned int stage)
{
	return true;
}

static inline uint64_t field(uint64_t v, unsigned int lo)
{
	return v << lo;
}

static void vtd_hw_info(const struct iommu_unit *u,
			struct iommu_unit_hw_info *info)
{
	const struct iommu_unit_config *cfg = &u->cfg;
	const struct pt_format *fs = u->fmt[0], *ss = u->fmt[1];
	uint32_t f = cfg->features;
	uint32_t nfr = cfg->fault_log > 256 ? 256 : cfg->fault_log;
	uint64_t cap = 0, ecap = 0;

	cap |= field(6, 0);			   /* ND: 16-bit domain ids */
	cap |= field(1ull << (ss->levels - 2), 8); /* SAGAW */
	cap |= field(ss->ias_lg2 - 1u, 16);	   /* MGAW */
	cap |= field(VTD_FRO, 24);
	if (ss->pgsize_bitmap & (1ull << 21))
		cap |= 1ull << 34;
	if (ss->pgsize_bitmap & (1ull << 30))
		cap |= 1ull << 35;
	cap |= 1ull << 39;		     /* PSI */
	cap |= field(nfr - 1, 40);	     /* NFR */
	cap |= field(ss->ias_lg2 - 12u, 48); /* MAMV */
	cap |= 1ull << 54 | 1ull << 55;	     /* DWD, DRD */
	if (fs->pgsize_bitmap & (1ull << 30))
		cap |= 1ull << 56; /* FS1GP */
	if (fs->levels == 5)
		cap |= 1ull << 60; /* FS5LP */

	ecap |= 1ull << 0 | 1ull << 1; /* C, QI */
	if (f & IOMMU_UNIT_F_ATS)
		ecap |= 1ull << 2; /* DT */
	ecap |= 1ull << 6;	   /* PT */
	if (ss->prot_mask & PT_PROT_CACHE)
		ecap |= 1ull << 7; /* SC */
	ecap |= field(VTD_IRO, 8);
	if (f & IOMMU_UNIT_F_NEST)
		ecap |= 1ull << 26;
	if (f & IOMMU_UNIT_F_PRI)
		ecap |= 1ull << 29 | 1ull << 42; /* PRS, PDS */
	if (f & IOMMU_UNIT_F_EXEC)
		ecap |= 1ull << 30; /* ERS */
	if (f & IOMMU_UNIT_F_PRIV)
		ecap |= 1ull << 31; /* SRS */
	if (cfg->pasid_lg2) {
		ecap |= field(cfg->pasid_lg2 - 1u, 35); /* PSS */
		ecap |= 1ull << 40;			/* PASID */
	}
	ecap |= 1ull << 43; /* SMTS */
	if (f & IOMMU_UNIT_F_DIRTY)
		ecap |= 1ull << 45;		      /* SSADS */
	ecap |= 1ull << 46 | 1ull << 47 | 1ull << 48; /* SSTS, FSTS, SMPWCS */

	info->type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	info->len = sizeof(info->data.vtd);
	/* No erratum 772415: read-only mappings work on nest parents. */
	info->data.vtd.flags = 0;
	info->data.vtd.cap_reg = cap;
	info->data.vtd.ecap_reg = ecap;
}

const struct iommu_unit_type_ops iommu_unit_vtd_ops = {
    .type = IOMMU_UNIT_VTD,
    .name = "vtd",
    .defaults = vtd_defaults,
    .validate = vtd_validate,
    .formats = vtd_formats,
    .stage_ok = vtd_stage_ok,
    .default_stage = 1,
    .dirty_stages = 1u << 2,
    .hw_info = vtd_hw_info,
};
