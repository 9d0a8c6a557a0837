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
 * Nested domains (VT-d): IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1 on a
 * NEST_PARENT paging HWPT of a VT-d unit with `nest` makes a unit nested
 * domain whose first-stage table is at pgtbl_addr, a guest physical address
 * (an IOVA of the parent); the unit walks it through stage 2 and sets its
 * A/D bits as VT-d hardware does.  As in the kernel, the stage-1
 * configuration (addr_width, SRE, EAFE) is checked when a device attaches.
 * IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 drops the
 * nested domain's IOTLB entries of a page range (or all of them): until
 * then the unit keeps using what it cached, as hardware does.  Units of
 * other types have no nested domains of their own (SMMUv3 nests through a
 * vIOMMU).
 *
 * Not offered yet: user PASID tables, PRI attach.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
	struct iommu_nested_s1 s1 = { 0 };
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
		&vtd, sizeof(vtd), offsetofend(struct iommu_hwpt_vtd_s1, __reserved),
		user_data, IOMMU_HWPT_DATA_VTD_S1);
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
	int rc;

	if (!domain)
		return iommu_unit_detach(edev->unit, edev->rid, pasid);
	if (!iommu_domain_is_unit(domain))
		return -EINVAL;
	if (domain->type == IOMMU_DOMAIN_NESTED) {
		s1 = iommu_unit_domain_nested_s1(domain);
		if (!s1)
			return -EINVAL;
		if (s1->drv[NESTED_DRV_KIND] == IOMMU_HWPT_DATA_VTD_S1) {
			rc = vtd_nested_check(edev->unit, s1);
			if (rc)
				return rc;
		}
	} else if (domain->type != IOMMU_DOMAIN_PAGING) {
		return -EINVAL;
	}
	rc = iommu_unit_attach(edev->unit, edev->rid, pasid, domain, 0);
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

const struct iommu_dev_ops emu_unit_dev_ops = {
	.name = "uiommu_unit",
	.hw_info = emu_unit_hw_info,
	.capable = emu_unit_capable,
	.domain_alloc_paging_flags = emu_unit_domain_alloc_paging,
	.domain_alloc_nested = emu_unit_domain_alloc_nested,
	.attach_dev = emu_unit_attach_dev,
	.cache_invalidate_user = emu_unit_cache_invalidate_user,
	.resv_regions = emu_unit_resv_regions,
};

int emu_unit_dev_init(struct emu_dev *edev, struct emu_dev *share)
{
	edev->dev.ops = &emu_unit_dev_ops;
	edev->dev.priv = edev;
	edev->dev.max_pasids = edev->pasid_lg2 ? 1u << edev->pasid_lg2 : 0;
	return iommu_dev_add(&edev->dev, share ? &share->dev : NULL);
}
