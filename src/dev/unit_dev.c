/*
 * unit_dev.c - the IOMMU driver of emulated devices: a device's DMA goes
 * through the software IOMMU unit it is declared behind (src/iommu), and
 * iommufd reaches that unit through these iommu_dev_ops.
 *
 * Paging domains are the unit's own (iommu_unit_domain_alloc_paging), so
 * they serve devices of any unit of the same type and formats; attach
 * points the device's (RID, PASID) slot at the domain, detach empties it
 * (DMA then faults: blocked).  GET_HW_INFO is the unit's
 * (iommu_unit_hw_info).  Reserved IOVA: the x86 interrupt window on VT-d
 * and AMD-Vi units, which no mapping of an IOAS the device is attached to
 * may cover (as the kernel's IOMMU drivers report it).
 *
 * A HWPT with a fault queue is attached with IOMMU_ATTACH_PRI (the unit
 * then turns translation and permission faults into page requests, which
 * the device model reports to the queue); only a device declared `pri`
 * behind a unit with `pri` takes one (else ENODEV).  The answer to a page
 * request reaches the model through page_response (under ictx->lock).
 *
 * Nested domains (VT-d): IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1 on a
 * NEST_PARENT paging HWPT of a VT-d unit with `nest` makes a unit nested
 * domain whose first-stage table is at pgtbl_addr, a guest physical address
 * (an IOVA of the parent); the unit walks it through stage 2 and sets the
 * D bits of its leaves as VT-d hardware does (A bits: not modelled).  As in the kernel, the stage-1
 * configuration (addr_width, SRE, EAFE) is checked when a device attaches.
 * IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 drops the
 * nested domain's IOTLB entries of a page range (or all of them): until
 * then the unit keeps using what it cached, as hardware does.  Units of
 * other types have no nested domains of their own.
 *
 * SMMUv3 nesting goes through a vIOMMU (emu_viommu_driver): vSTE HWPTs, the
 * guest's CD 0 read through stage 2 when a device attaches and on CFGI_CD
 * (the unit's configuration cache), guest commands run in order.  A device
 * on a vSTE HWPT translates through the unit nested domain, a blocking
 * domain or the parent, whichever the vSTE and CD say (vste_effective).
 *
 * Not offered yet: user PASID tables.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/uaccess.h"
#include "core/viommu.h"
#include "dev/emu_dev.h"
#include "util/err.h"
#include "util/fault_inject.h"

#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

static struct emu_dev *to_emu_dev(struct iommu_dev *dev)
{
	return dev->priv;
}

static void *emu_unit_hw_info(struct iommu_dev *dev, uint32_t *length,
			      uint32_t *type)
{
	struct iommu_unit_hw_info info;
	void *data;

	iommu_unit_hw_info(to_emu_dev(dev)->unit, &info);
	/* uAPI: a requested type the IOMMU does not report is EOPNOTSUPP. */
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != info.type)
		return ERR_PTR(-EOPNOTSUPP);
	/* Units without a v6.17 data type (AMD-Vi, RISC-V) report NONE. */
	if (info.type == IOMMU_HW_INFO_TYPE_NONE || !info.len) {
		*length = 0;
		*type = IOMMU_HW_INFO_TYPE_NONE;
		return NULL;
	}
	data = ufi_malloc(info.len);
	if (!data)
		return ERR_PTR(-ENOMEM);
	memcpy(data, &info.data, info.len);
	*length = info.len;
	*type = info.type;
	return data;
}

static bool emu_unit_capable(struct iommu_dev *dev, enum iommu_cap cap)
{
	const struct iommu_unit_config *cfg =
		iommu_unit_config(to_emu_dev(dev)->unit);

	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return cfg->features & IOMMU_UNIT_F_DIRTY;
	default:
		return false;
	}
}

static struct iommu_domain *
emu_unit_domain_alloc_paging(struct iommu_dev *dev, uint32_t flags,
			     const struct iommu_user_data *user_data)
{
	uint32_t uflags = 0;

	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
		      IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		uflags |= IOMMU_UNIT_DOMAIN_NEST_PARENT;
	if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		uflags |= IOMMU_UNIT_DOMAIN_DIRTY;
	return iommu_unit_domain_alloc_paging(to_emu_dev(dev)->unit, uflags);
}

/* --- VT-d nested (first stage over second stage) ------------------------ */

/* drv[] words of a unit nested domain made here. */
enum {
	NESTED_DRV_KIND,  /* enum iommu_hwpt_data_type of the user's data */
	NESTED_DRV_FLAGS, /* VT-d: iommu_hwpt_vtd_s1.flags */
	NESTED_DRV_AW,	  /* VT-d: iommu_hwpt_vtd_s1.addr_width */
};

#define VTD_PAGE_MASK (~0xfffull)

static struct iommu_domain *
vtd_alloc_nested(struct iommu_unit *u, struct iommu_domain *parent,
		 uint32_t flags, const struct iommu_user_data *user_data)
{
	const struct iommu_unit_config *cfg = iommu_unit_config(u);
	struct iommu_nested_s1 s1 = {0};
	struct iommu_hwpt_vtd_s1 vtd;
	int rc;

	/* uAPI: a unit without nesting, or a flag other than PASID. */
	if (!(cfg->features & IOMMU_UNIT_F_NEST) ||
	    (flags & ~IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	if (user_data->type != IOMMU_HWPT_DATA_VTD_S1)
		return ERR_PTR(-EOPNOTSUPP);
	/* uAPI: the parent must be a second-stage nest parent of VT-d. */
	if (!iommu_unit_domain_nest_parent_of(parent, u))
		return ERR_PTR(-EINVAL);
	rc = iommu_copy_struct_from_user(
	    &vtd, sizeof(vtd),
	    offsetofend(struct iommu_hwpt_vtd_s1, __reserved), user_data,
	    IOMMU_HWPT_DATA_VTD_S1);
	if (rc)
		return ERR_PTR(rc);

	/*
	 * The format follows addr_width; a width the hardware cannot walk is
	 * refused at attach (where the kernel checks it), so the domain gets
	 * the unit's own format meanwhile.
	 */
	if (vtd.addr_width == 48)
		s1.fmt = pt_format_by_name("vtd_fs4");
	else if (vtd.addr_width == 57)
		s1.fmt = pt_format_by_name("vtd_fs5");
	/* The PASID entry's FLPTR field keeps bits 63:12 of the address. */
	s1.root = vtd.pgtbl_addr & VTD_PAGE_MASK;
	/* First-stage A/D bits are always hardware-managed on VT-d. */
	s1.flags = IOMMU_NESTED_S1_DIRTY;
	s1.drv[NESTED_DRV_KIND] = IOMMU_HWPT_DATA_VTD_S1;
	s1.drv[NESTED_DRV_FLAGS] = vtd.flags;
	s1.drv[NESTED_DRV_AW] = vtd.addr_width;
	return iommu_unit_domain_alloc_nested(u, parent, &s1);
}

/* Can the unit of @u run the stage-1 configuration of @s1? */
static int vtd_nested_check(struct iommu_unit *u,
			    const struct iommu_nested_s1 *s1)
{
	const struct iommu_unit_config *cfg = iommu_unit_config(u);
	uint64_t vflags = s1->drv[NESTED_DRV_FLAGS];

	/* uAPI: widths are 48 and 57 (the latter with FS5LP): else EINVAL. */
	switch (s1->drv[NESTED_DRV_AW]) {
	case 48:
		break;
	case 57:
		if (iommu_unit_format(u, 1)->levels != 5)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* uAPI: SRE needs ecap.SRS; EAFE needs ecap.EAFS (never reported). */
	if ((vflags & IOMMU_VTD_S1_SRE) && !(cfg->features & IOMMU_UNIT_F_PRIV))
		return -EINVAL;
	if (vflags & IOMMU_VTD_S1_EAFE)
		return -EINVAL;
	return 0;
}

/* --- SMMUv3 nested: vIOMMU, vSTE, CD, commands --------------------------- */

/* STE, CD and command fields (SMMUv3 spec 5.2, 5.4, 4.x). */
#define STE0_V (1ull << 0)
#define STE0_CFG_SHIFT 1
#define STE0_CFG_MASK (7ull << 1)
#define STE0_CFG_ABORT 0
#define STE0_CFG_BYPASS 4
#define STE0_CFG_S1 5
#define STE0_S1FMT_SHIFT 4
#define STE0_S1FMT_MASK (3ull << 4)
#define STE0_S1CTXPTR_MASK 0x000fffffffffffc0ull /* 51:6 */
#define STE0_S1CDMAX_SHIFT 59
#define STE0_S1CDMAX_MASK (0x1full << 59)
#define STE0_NESTING_ALLOWED                                             \
	(STE0_V | STE0_CFG_MASK | STE0_S1FMT_MASK | STE0_S1CTXPTR_MASK | \
	 STE0_S1CDMAX_MASK)
#define STE1_S1DSS_MASK 3ull /* 0 terminate, 1 bypass, 2 SSID 0 */
#define STE1_EATS_SHIFT 28
#define STE1_EATS_MASK (3ull << 28)
#define STE1_EATS_ABT 0
#define STE1_EATS_TRANS 1
#define STE1_NESTING_ALLOWED                                         \
	(STE1_S1DSS_MASK | (3ull << 2) | (3ull << 4) | (3ull << 6) | \
	 (1ull << 27) | STE1_EATS_MASK)

#define CD0_T0SZ_MASK 0x3full
#define CD0_TG0_SHIFT 6
#define CD0_TG0_MASK (3ull << 6)
#define CD0_EPD0 (1ull << 14)
#define CD0_ENDI (1ull << 15)
#define CD0_V (1ull << 31)
#define CD0_AA64 (1ull << 41)
#define CD0_HD (1ull << 42)
#define CD0_ASID_SHIFT 48
#define CD1_TTB0_MASK 0x000ffffffffffff0ull /* 51:4 */
#define CDL1_V (1ull << 0)
#define CDL1_L2PTR_MASK 0x000ffffffffff000ull /* 51:12 */

#define CMD_OP_MASK 0xffull
#define CMD_CFGI_CD 0x05
#define CMD_CFGI_CD_ALL 0x06
#define CMD_TLBI_NH_ALL 0x10
#define CMD_TLBI_NH_ASID 0x11
#define CMD_TLBI_NH_VA 0x12
#define CMD_TLBI_NH_VAA 0x13
#define CMD_TLBI_NSNH_ALL 0x30
#define CMD_ATC_INV 0x40
#define CMD_SID_SHIFT 32
#define CMD_TLBI_NUM(c0) (((c0) >> 12) & 0x1f)
#define CMD_TLBI_SCALE(c0) (((c0) >> 20) & 0x1f)
#define CMD_TLBI_ASID(c0) ((uint16_t)((c0) >> 48))
#define CMD_TLBI_TG(c1) (((c1) >> 10) & 3)
#define CMD_TLBI_VA(c1) ((c1) & ~0xfffull)

/* The driver's side of an SMMUv3 vIOMMU (viommu->priv). */
struct emu_vsmmu {
	struct iommufd_viommu *core;
	struct iommu_unit *unit;
	struct iommu_domain *s2; /* the nest parent */
	struct list_head vstes;	 /* struct emu_vste, one per HWPT */
};

/*
 * A nested HWPT of an SMMUv3 vIOMMU: the guest's STE and what the unit
 * cached of its CD 0.  @nested is the unit nested domain the core holds
 * (its stage-1 root follows the CD); a device attached to it translates
 * through @nested, @blocked (abort, or a CD the unit cannot use: DMA
 * faults) or the parent (bypass), whichever the STE and CD say.
 */
struct emu_vste {
	struct list_head item; /* in vsmmu->vstes */
	struct emu_vsmmu *vsmmu;
	struct iommu_domain *nested;
	struct iommu_domain *blocked;
	uint64_t ste[2];
	unsigned int cfg; /* STE0_CFG_* (V clear: abort) */
	bool cd_ok;	  /* CD 0 read and usable */
	uint16_t asid;	  /* of CD 0, when cd_ok */
};

static bool emu_is_unit_dev(struct iommu_dev *dev);

/* Read a 64-bit little-endian word of guest memory at @ipa (stage 2). */
static int s2_read64(struct iommu_domain *s2, uint64_t ipa, uint64_t *v)
{
	uintptr_t pa;

	if (ipa & 7)
		return -EINVAL;
	pa = s2->ops->iova_to_phys(s2, ipa);
	if (!pa)
		return -EFAULT;
	*v = __atomic_load_n((uint64_t *)pa, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * Fetch CD 0 of @vste's context table (linear or two-level) and check it
 * against what the unit walks: AArch64, little-endian, TTB0 walks enabled,
 * the unit's granule and input size.  0 with *cd filled, or -errno (the
 * hardware's C_BAD_CD: the device's DMA then faults).
 */
static int vste_read_cd(struct emu_vste *vste, uint64_t cd[2])
{
	struct iommu_domain *s2 = vste->vsmmu->s2;
	const struct pt_format *f = iommu_unit_format(vste->vsmmu->unit, 1);
	uint64_t ptr = vste->ste[0] & STE0_S1CTXPTR_MASK, l1;
	unsigned int fmt = (vste->ste[0] & STE0_S1FMT_MASK) >> STE0_S1FMT_SHIFT;
	unsigned int tg, want_tg;
	int rc;

	if ((vste->ste[0] & STE0_S1CDMAX_MASK) && fmt) {
		/* Two-level (4K or 64K leaves): SSID 0 is L1[0], L2[0]. */
		if (fmt == 3)
			return -EINVAL;
		rc = s2_read64(s2, ptr, &l1);
		if (rc)
			return rc;
		if (!(l1 & CDL1_V))
			return -ENOENT;
		ptr = l1 & CDL1_L2PTR_MASK;
	}
	rc = s2_read64(s2, ptr, &cd[0]);
	if (!rc)
		rc = s2_read64(s2, ptr + 8, &cd[1]);
	if (rc)
		return rc;
	tg = (cd[0] & CD0_TG0_MASK) >> CD0_TG0_SHIFT;
	want_tg = f->granule_lg2 == 12 ? 0 : f->granule_lg2 == 16 ? 1 : 2;
	if (!(cd[0] & CD0_V) || !(cd[0] & CD0_AA64) || (cd[0] & CD0_EPD0) ||
	    (cd[0] & CD0_ENDI) || tg != want_tg ||
	    (cd[0] & CD0_T0SZ_MASK) != 64u - f->ias_lg2)
		return -EINVAL;
	return 0;
}

/*
 * The domain a device attached to @vste translates through for requests
 * without PASID; re-reads CD 0 when the STE uses it (attach, CFGI_CD).
 */
static struct iommu_domain *vste_effective(struct emu_vste *vste)
{
	uint32_t flags = 0;
	uint64_t cd[2];

	if (vste->cfg == STE0_CFG_BYPASS)
		return vste->vsmmu->s2;
	if (vste->cfg != STE0_CFG_S1)
		return vste->blocked;
	/* With substreams, S1DSS says what a request without one gets. */
	if (vste->ste[0] & STE0_S1CDMAX_MASK) {
		switch (vste->ste[1] & STE1_S1DSS_MASK) {
		case 1:
			return vste->vsmmu->s2;
		case 2:
			break;
		default:
			return vste->blocked;
		}
	}
	vste->cd_ok = false;
	if (vste_read_cd(vste, cd))
		return vste->blocked;
	/* CD.HD: the unit updates stage-1 dirty state (HTTU, with `dirty`). */
	if ((cd[0] & CD0_HD) &&
	    (iommu_unit_config(vste->vsmmu->unit)->features &
	     IOMMU_UNIT_F_DIRTY))
		flags = IOMMU_NESTED_S1_DIRTY;
	if (iommu_unit_domain_set_s1(vste->nested, cd[1] & CD1_TTB0_MASK,
				     flags))
		return vste->blocked;
	vste->cd_ok = true;
	vste->asid = (uint16_t)(cd[0] >> CD0_ASID_SHIFT);
	return vste->nested;
}

static void vste_free(void *priv)
{
	struct emu_vste *vste = priv;

	list_del(&vste->item);
	vste->blocked->ops->free(vste->blocked);
	free(vste);
}

static bool emu_viommu_supports(uint32_t type)
{
	return type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
}

/* uAPI: an SMMUv3 without nesting (IDR0.S2P) makes no vIOMMU. */
static bool emu_viommu_dev_supports(struct iommu_dev *dev, uint32_t type)
{
	const struct iommu_unit_config *cfg =
	    iommu_unit_config(to_emu_dev(dev)->unit);

	return type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
	       cfg->type == IOMMU_UNIT_SMMUV3 &&
	       (cfg->features & IOMMU_UNIT_F_NEST);
}

static bool emu_viommu_vdevice_ok(struct iommufd_viommu *viommu,
				  struct iommu_dev *dev)
{
	struct emu_vsmmu *vsmmu = viommu->priv;

	return emu_is_unit_dev(dev) && to_emu_dev(dev)->unit == vsmmu->unit;
}

static int emu_viommu_init(struct iommufd_viommu *viommu,
			   struct iommu_domain *parent,
			   const struct iommu_user_data *user_data)
{
	struct iommu_unit *u = to_emu_dev(viommu->dev)->unit;
	struct emu_vsmmu *vsmmu;

	/* uAPI: the parent must be this SMMU's own stage-2 nest parent. */
	if (!iommu_unit_domain_nest_parent_of(parent, u))
		return -EINVAL;
	vsmmu = ufi_calloc(1, sizeof(*vsmmu));
	if (!vsmmu)
		return -ENOMEM;
	vsmmu->core = viommu;
	vsmmu->unit = u;
	vsmmu->s2 = parent;
	INIT_LIST_HEAD(&vsmmu->vstes);
	viommu->priv = vsmmu;
	return 0;
}

static void emu_viommu_destroy(struct iommufd_viommu *viommu)
{
	free(viommu->priv);
	viommu->priv = NULL;
}

/* uAPI: the vSTE fields a guest may set; anything else is EIO. */
static int vste_validate(uint64_t ste[2])
{
	unsigned int cfg, eats;

	if (!(ste[0] & STE0_V)) {
		ste[0] = ste[1] = 0;
		return 0;
	}
	if ((ste[0] & ~STE0_NESTING_ALLOWED) ||
	    (ste[1] & ~STE1_NESTING_ALLOWED))
		return -EIO;
	cfg = (ste[0] & STE0_CFG_MASK) >> STE0_CFG_SHIFT;
	if (cfg != STE0_CFG_ABORT && cfg != STE0_CFG_BYPASS &&
	    cfg != STE0_CFG_S1)
		return -EIO;
	/* uAPI: EATS is full ATS or none (the host sets it). */
	eats = (ste[1] & STE1_EATS_MASK) >> STE1_EATS_SHIFT;
	ste[1] &= ~STE1_EATS_MASK;
	if (eats != STE1_EATS_ABT && eats != STE1_EATS_TRANS)
		return -EIO;
	return 0;
}

static struct iommu_domain *
emu_viommu_alloc_domain_nested(struct iommufd_viommu *viommu, uint32_t flags,
			       const struct iommu_user_data *user_data)
{
	struct emu_vsmmu *vsmmu = viommu->priv;
	struct iommu_nested_s1 s1 = {0};
	struct iommu_hwpt_arm_smmuv3 arg;
	struct iommu_domain *d;
	uint64_t ste[2];
	struct emu_vste *vste;
	int rc;

	if (flags)
		return ERR_PTR(-EOPNOTSUPP);
	rc = iommu_copy_struct_from_user(&arg, sizeof(arg), sizeof(arg),
					 user_data, IOMMU_HWPT_DATA_ARM_SMMUV3);
	if (rc)
		return ERR_PTR(rc);
	ste[0] = le64toh(arg.ste[0]);
	ste[1] = le64toh(arg.ste[1]);
	rc = vste_validate(ste);
	if (rc)
		return ERR_PTR(rc);

	vste = ufi_calloc(1, sizeof(*vste));
	if (!vste)
		return ERR_PTR(-ENOMEM);
	vste->vsmmu = vsmmu;
	vste->ste[0] = ste[0];
	vste->ste[1] = ste[1];
	vste->cfg =
	    ste[0] & STE0_V
		? (unsigned int)((ste[0] & STE0_CFG_MASK) >> STE0_CFG_SHIFT)
		: STE0_CFG_ABORT;
	vste->blocked = iommu_unit_domain_alloc_blocked(vsmmu->unit);
	if (IS_ERR(vste->blocked)) {
		rc = PTR_ERR(vste->blocked);
		goto err_free_vste;
	}
	/* The root follows CD 0 (vste_effective); 0 until a device attaches. */
	s1.root = 0;
	s1.drv[NESTED_DRV_KIND] = IOMMU_HWPT_DATA_ARM_SMMUV3;
	s1.drv_free = vste_free;
	s1.drv_priv = vste;
	d = iommu_unit_domain_alloc_nested(vsmmu->unit, vsmmu->s2, &s1);
	if (IS_ERR(d)) {
		rc = PTR_ERR(d);
		goto err_free_blocked;
	}
	vste->nested = d;
	list_add_tail(&vste->item, &vsmmu->vstes);
	return d;

err_free_blocked:
	vste->blocked->ops->free(vste->blocked);
err_free_vste:
	free(vste);
	return ERR_PTR(rc);
}

/* Attach @dev (RID, no PASID) to what @vste currently resolves to. */
static int vste_attach(struct emu_vste *vste, struct emu_dev *edev)
{
	int rc = iommu_unit_attach(edev->unit, edev->rid, IOMMU_NO_PASID,
				   vste_effective(vste), 0);

	return rc == -EOPNOTSUPP ? -EINVAL : rc;
}

static int vsmmu_attach_dev(struct emu_vste *vste, struct emu_dev *edev,
			    uint32_t pasid)
{
	uint64_t vsid;

	/* uAPI: a vIOMMU of another SMMU instance, or a PASID: EINVAL. */
	if (edev->unit != vste->vsmmu->unit || pasid != IOMMU_NO_PASID)
		return -EINVAL;
	/* uAPI: stage-1 translation needs the device's vSID (a vdevice). */
	if (vste->cfg == STE0_CFG_S1 &&
	    iommufd_viommu_get_vdev_id(vste->vsmmu->core, &edev->dev, &vsid))
		return -ENOENT;
	return vste_attach(vste, edev);
}

/* Invalidate [va, va + len) (len 0: everything) of matching stage 1s. */
static void vsmmu_tlbi(struct emu_vsmmu *vsmmu, bool any_asid, uint16_t asid,
		       uint64_t va, uint64_t len)
{
	struct emu_vste *vste;

	list_for_each_entry (vste, &vsmmu->vstes, item) {
		if (!vste->cd_ok || (!any_asid && vste->asid != asid))
			continue;
		if (len)
			iommu_domain_invalidate(vste->nested, va, len);
		else
			iommu_domain_invalidate_all(vste->nested);
	}
}

/*
 * CFGI_CD(_ALL) for @dev: the unit drops and re-reads its CD 0.  0, or
 * -ENOMEM (the slot could not be repointed; running it again completes it).
 */
static int vsmmu_cfgi_cd(struct emu_vsmmu *vsmmu, struct emu_dev *edev)
{
	struct iommu_domain *cur =
	    iommu_unit_attached(edev->unit, edev->rid, IOMMU_NO_PASID);
	struct emu_vste *vste;

	if (!cur)
		return 0;
	list_for_each_entry(vste, &vsmmu->vstes, item) {
		if (cur == vste->nested || cur == vste->blocked)
			return vste_attach(vste, edev);
	}
	return 0;
}

/*
 * Run one guest command: 0, -EIO (refused, as the kernel does) or -ENOMEM.
 */
static int vsmmu_cmd(struct emu_vsmmu *vsmmu, const uint64_t cmd[2])
{
	unsigned int op = cmd[0] & CMD_OP_MASK;
	uint64_t va = CMD_TLBI_VA(cmd[1]), len;
	unsigned int tg = CMD_TLBI_TG(cmd[1]);
	struct iommu_dev *dev;

	switch (op) {
	case CMD_TLBI_NH_ALL:
	case CMD_TLBI_NSNH_ALL:
		vsmmu_tlbi(vsmmu, true, 0, 0, 0);
		return 0;
	case CMD_TLBI_NH_ASID:
		vsmmu_tlbi(vsmmu, false, CMD_TLBI_ASID(cmd[0]), 0, 0);
		return 0;
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VAA:
		/* TG 0: one address; else (NUM + 1) << SCALE granules. */
		if (!tg)
			len = 1;
		else
			len = (uint64_t)(CMD_TLBI_NUM(cmd[0]) + 1)
			      << (CMD_TLBI_SCALE(cmd[0]) + (tg == 1   ? 12
							    : tg == 2 ? 14
								      : 16));
		if (len > UINT64_MAX - va)
			len = 0;
		vsmmu_tlbi(vsmmu, op == CMD_TLBI_NH_VAA, CMD_TLBI_ASID(cmd[0]),
			   va, len);
		return 0;
	case CMD_CFGI_CD:
	case CMD_CFGI_CD_ALL:
	case CMD_ATC_INV:
		/* uAPI: a vSID without a vdevice: EIO. */
		dev = iommufd_viommu_find_dev(
		    vsmmu->core, (uint32_t)(cmd[0] >> CMD_SID_SHIFT));
		if (!dev)
			return -EIO;
		/* No device TLB is modelled: ATC_INV has nothing to drop. */
		if (op == CMD_ATC_INV)
			return 0;
		return vsmmu_cfgi_cd(vsmmu, to_emu_dev(dev));
	default:
		/* uAPI: every other command (CFGI_STE, CMD_SYNC, ...): EIO. */
		return -EIO;
	}
}

static int emu_viommu_cache_invalidate(struct iommufd_viommu *viommu,
				       struct iommu_user_data_array *array)
{
	struct iommu_viommu_arm_smmuv3_invalidate *cmds;
	uint32_t i = 0;
	int rc = 0;

	/* uAPI: the whole array is read first; a bad one runs nothing. */
	if (array->type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 ||
	    !array->entry_num) {
		rc = -EINVAL;
		goto out;
	}
	cmds = ufi_calloc(array->entry_num, sizeof(*cmds));
	if (!cmds) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < array->entry_num; i++) {
		rc = copy_struct_from_user(&cmds[i], sizeof(cmds[i]),
					   (const char *)array->uptr +
					       (size_t)array->entry_len * i,
					   array->entry_len);
		if (rc)
			break;
	}
	if (!rc) {
		for (i = 0; i < array->entry_num; i++) {
			uint64_t c[2] = {le64toh(cmds[i].cmd[0]),
					 le64toh(cmds[i].cmd[1])};

			rc = vsmmu_cmd(viommu->priv, c);
			if (rc)
				break;
		}
	} else {
		i = 0;
	}
	free(cmds);
out:
	array->entry_num = i;
	return rc;
}

static const struct iommu_viommu_driver emu_viommu_driver = {
    .supports = emu_viommu_supports,
    .dev_supports = emu_viommu_dev_supports,
    .vdevice_ok = emu_viommu_vdevice_ok,
    .init = emu_viommu_init,
    .destroy = emu_viommu_destroy,
    .alloc_domain_nested = emu_viommu_alloc_domain_nested,
    .cache_invalidate = emu_viommu_cache_invalidate,
};

static struct iommu_domain *
emu_unit_domain_alloc_nested(struct iommu_dev *dev, struct iommu_domain *parent,
			     uint32_t flags,
			     const struct iommu_user_data *user_data)
{
	struct iommu_unit *u = to_emu_dev(dev)->unit;

	if (iommu_unit_config(u)->type == IOMMU_UNIT_VTD)
		return vtd_alloc_nested(u, parent, flags, user_data);
	/* uAPI: IOMMU drivers without domain_alloc_nested: EOPNOTSUPP. */
	return ERR_PTR(-EOPNOTSUPP);
}

static int vtd_cache_invalidate_user(struct iommu_domain *domain,
				     struct iommu_user_data_array *array)
{
	struct iommu_hwpt_vtd_s1_invalidate inv;
	uint32_t i, done = 0;
	uint64_t len;
	int rc = 0;

	/* uAPI: the whole array is refused for a foreign data type. */
	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < array->entry_num; i++) {
		rc = iommu_copy_struct_from_user_array(
		    &inv, sizeof(inv),
		    offsetofend(struct iommu_hwpt_vtd_s1_invalidate,
				__reserved),
		    array, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, i);
		if (rc)
			break;
		/* uAPI: unknown flags or reserved bits: EOPNOTSUPP. */
		if ((inv.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved) {
			rc = -EOPNOTSUPP;
			break;
		}
		/* uAPI: a misaligned address, or "all" not from 0: EINVAL. */
		if ((inv.addr & ~VTD_PAGE_MASK) ||
		    (inv.npages == UINT64_MAX && inv.addr)) {
			rc = -EINVAL;
			break;
		}
		/*
		 * The model caches no paging-structure entries, so LEAF
		 * changes nothing here.
		 */
		if (inv.npages == UINT64_MAX ||
		    inv.npages > (UINT64_MAX - inv.addr) >> 12) {
			iommu_domain_invalidate_all(domain);
		} else if (inv.npages) {
			len = inv.npages << 12;
			iommu_domain_invalidate(domain, inv.addr, len);
		}
		done++;
	}
out:
	array->entry_num = done;
	return rc;
}

static int emu_unit_cache_invalidate_user(struct iommu_domain *domain,
					  struct iommu_user_data_array *array)
{
	const struct iommu_nested_s1 *s1 = iommu_unit_domain_nested_s1(domain);

	if (s1 && s1->drv[NESTED_DRV_KIND] == IOMMU_HWPT_DATA_VTD_S1)
		return vtd_cache_invalidate_user(domain, array);
	array->entry_num = 0;
	return -EOPNOTSUPP;
}

static int emu_unit_attach_dev(struct iommu_dev *dev, uint32_t pasid,
			       struct iommu_domain *domain,
			       struct iommu_domain *old)
{
	struct emu_dev *edev = to_emu_dev(dev);
	const struct iommu_nested_s1 *s1;
	uint32_t flags = 0;
	int rc;

	if (!domain)
		return iommu_unit_detach(edev->unit, edev->rid, pasid);
	if (!iommu_domain_is_unit(domain))
		return -EINVAL;
	if (domain->type == IOMMU_DOMAIN_NESTED) {
		s1 = iommu_unit_domain_nested_s1(domain);
		if (!s1)
			return -EINVAL;
		if (s1->drv[NESTED_DRV_KIND] == IOMMU_HWPT_DATA_ARM_SMMUV3)
			return vsmmu_attach_dev(s1->drv_priv, edev, pasid);
		if (s1->drv[NESTED_DRV_KIND] == IOMMU_HWPT_DATA_VTD_S1) {
			rc = vtd_nested_check(edev->unit, s1);
			if (rc)
				return rc;
		}
	} else if (domain->type != IOMMU_DOMAIN_PAGING) {
		return -EINVAL;
	}
	if (domain->iopf) {
		/*
		 * uAPI: a fault-capable HWPT needs I/O page faults on the
		 * device (PCIe PRI, and a unit that takes page requests).
		 */
		if (!edev->pri || !(iommu_unit_config(edev->unit)->features &
				    IOMMU_UNIT_F_PRI))
			return -ENODEV;
		flags |= IOMMU_ATTACH_PRI;
	}
	rc = iommu_unit_attach(edev->unit, edev->rid, pasid, domain, flags);
	/* Another unit type's or format's domain: not for this device. */
	return rc == -EOPNOTSUPP ? -EINVAL : rc;
}

static unsigned int emu_unit_resv_regions(struct iommu_dev *dev,
					  struct iommu_resv_region *r,
					  unsigned int max)
{
	enum iommu_unit_type type =
		iommu_unit_config(to_emu_dev(dev)->unit)->type;

	if (type != IOMMU_UNIT_VTD && type != IOMMU_UNIT_AMD)
		return 0;
	if (max) {
		/* The x86 MSI address window (interrupt requests, not DMA). */
		r[0].start = 0xfee00000;
		r[0].last = 0xfeefffff;
	}
	return 1;
}

static void emu_unit_page_response(struct iommu_dev *dev,
				   const struct iommu_hwpt_pgfault *last,
				   uint32_t code)
{
	emu_model_page_response(to_emu_dev(dev), last->grpid, code);
}

const struct iommu_dev_ops emu_unit_dev_ops = {
	.name = "uiommu_unit",
	.hw_info = emu_unit_hw_info,
	.capable = emu_unit_capable,
	.domain_alloc_paging_flags = emu_unit_domain_alloc_paging,
	.domain_alloc_nested = emu_unit_domain_alloc_nested,
	.attach_dev = emu_unit_attach_dev,
	.cache_invalidate_user = emu_unit_cache_invalidate_user,
	.viommu_driver = &emu_viommu_driver,
	.resv_regions = emu_unit_resv_regions,
	.page_response = emu_unit_page_response,
};

static bool emu_is_unit_dev(struct iommu_dev *dev)
{
	return dev->ops == &emu_unit_dev_ops;
}

int emu_unit_dev_init(struct emu_dev *edev, struct emu_dev *share)
{
	edev->dev.ops = &emu_unit_dev_ops;
	edev->dev.priv = edev;
	edev->dev.max_pasids = edev->pasid_lg2 ? 1u << edev->pasid_lg2 : 0;
	return iommu_dev_add(&edev->dev, share ? &share->dev : NULL);
}
