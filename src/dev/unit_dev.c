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
 * Not offered yet: nested domains (no domain_alloc_nested: IOMMU_HWPT_ALLOC
 * on a paging HWPT is EOPNOTSUPP), vIOMMUs, user PASID tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/emu_dev.h"
#include "util/err.h"
#include "util/fault_inject.h"

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

static int emu_unit_attach_dev(struct iommu_dev *dev, uint32_t pasid,
			       struct iommu_domain *domain,
			       struct iommu_domain *old)
{
	struct emu_dev *edev = to_emu_dev(dev);
	uint32_t flags = 0;
	int rc;

	if (!domain)
		return iommu_unit_detach(edev->unit, edev->rid, pasid);
	if (!iommu_domain_is_unit(domain) || domain->type != IOMMU_DOMAIN_PAGING)
		return -EINVAL;
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
	.attach_dev = emu_unit_attach_dev,
	.resv_regions = emu_unit_resv_regions,
	.page_response = emu_unit_page_response,
};

int emu_unit_dev_init(struct emu_dev *edev, struct emu_dev *share)
{
	edev->dev.ops = &emu_unit_dev_ops;
	edev->dev.priv = edev;
	edev->dev.max_pasids = edev->pasid_lg2 ? 1u << edev->pasid_lg2 : 0;
	return iommu_dev_add(&edev->dev, share ? &share->dev : NULL);
}
