/*
 * hw_pagetable.h - HWPT objects: an I/O page table (struct iommu_domain) as
 * an iommufd object devices attach to.
 *
 * A paging HWPT (IOMMUFD_OBJ_HWPT_PAGING) mirrors one IOAS: every area of
 * the IOAS is mapped into its domain for as long as the HWPT lives, and it
 * holds a users reference on the IOAS (so the IOAS cannot be destroyed under
 * it).  It is on ioas->hwpt_list from the moment its domain is filled until
 * it is destroyed.  An auto domain is one iommufd made for a device attached
 * to an IOAS; it is shared by any compatible device attached to that IOAS and
 * destroyed with its last device.  User-allocated HWPTs (IOMMU_HWPT_ALLOC)
 * are never picked for auto attachment.
 *
 * Everything runs under ictx->lock.
 */
#ifndef UIOMMU_CORE_HW_PAGETABLE_H
#define UIOMMU_CORE_HW_PAGETABLE_H

#include "core/device.h"
#include "core/io_pagetable.h"
#include "core/iommufd_private.h"

struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	const struct iommu_dev_ops *driver;	/* who made the domain */
	struct iommufd_object *fault;	/* IOMMUFD_OBJ_FAULT (users ref) */
	bool pasid_compat;		/* IOMMU_HWPT_ALLOC_PASID */
};

struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;	/* users ref */
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	struct list_head hwpt_item;	/* in ioas->hwpt_list, or empty */
};

/* A nested HWPT: a stage-1 domain over a NEST_PARENT paging HWPT. */
struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
	struct iommufd_hwpt_paging *parent;	/* users ref */
	struct iommufd_object *viommu;	/* made by a vIOMMU: users ref */
};

/* Objects are allocated and freed through their first member. */
_Static_assert(offsetof(struct iommufd_hwpt_paging, common.obj) == 0,
	       "the object header leads");
_Static_assert(offsetof(struct iommufd_hwpt_nested, common.obj) == 0,
	       "the object header leads");

static inline struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

/* The paging HWPT behind @hwpt, or NULL for other kinds. */
static inline struct iommufd_hwpt_paging *
find_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING)
		return to_hwpt_paging(hwpt);
	return NULL;
}

/*
 * Allocate a paging HWPT for @idev over @ioas with its domain filled from
 * the IOAS.  The object is reserved, not published: the caller finalizes or
 * aborts it.  With @immediate_attach, @idev is attached (for drivers whose
 * domains are usable only once attached).  ERR_PTR on failure.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t pasid,
			  uint32_t flags, bool immediate_attach,
			  const struct iommu_user_data *user_data);

/*
 * Drop a device's reference on @hwpt; an auto domain goes away with its
 * last user.
 */
void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt);

/* Drop the caller's users reference; destroy @obj if nothing else holds it. */
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj);

#endif
