/*
 * device.h - devices as iommufd sees them, and the IOMMU driver behind each.
 *
 * Three layers, mirroring the kernel:
 *
 *  - struct iommu_dev is "a struct device with an IOMMU": what a driver (the
 *    test mock, an emulated VFIO device's IOMMU unit) creates for each device
 *    it offers.  It names its driver (struct iommu_dev_ops, the kernel's
 *    struct iommu_ops) and sits in exactly one struct iommu_group.
 *  - struct iommu_group is the unit of DMA isolation.  It has one DMA owner
 *    at a time (an iommufd context, claimed by the first bind) and one
 *    domain its devices translate through (NULL: DMA blocked).  Groups live
 *    as long as their devices; different contexts may race to claim one.
 *  - struct iommufd_device (IOMMUFD_OBJ_DEVICE) is a device bound to a
 *    context; struct iommufd_group is the context's bookkeeping for a group
 *    it owns: which HWPT each (group, PASID) is attached to and by which
 *    bound devices.
 *
 * Reference counts: a bound device holds one users reference on itself for
 * its binder (dropped by iommufd_device_unbind) and one for each attachment,
 * and each attachment holds one users reference on its HWPT.  Auto
 * domains (created by attaching a device to an IOAS) are destroyed when the
 * last device leaves them.
 *
 * Locking: everything but iommu_group membership and ownership runs under
 * the owning context's ictx->lock.  A global iommu_group_lock guards those
 * and is held while drivers' attach_dev() runs for a whole group.  Lock
 * order: ictx->lock -> iommu_group_lock -> a driver's own locks.
 */
#ifndef UIOMMU_CORE_DEVICE_H
#define UIOMMU_CORE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/iommufd_private.h"
#include "iommu/domain.h"
#include "util/list.h"

/* The PASID value that means "the RID itself" (no PASID). */
#define IOMMU_NO_PASID 0u

struct iommu_dev;
struct iommu_group;
struct iommufd_group;
struct iommufd_hw_pagetable;
struct iommufd_vdevice;
struct iommu_viommu_driver;

enum iommu_cap {
	IOMMU_CAP_CACHE_COHERENCY,		/* DMA is coherent with CPUs */
	IOMMU_CAP_ENFORCE_CACHE_COHERENCY,	/* domains can force coherency */
	IOMMU_CAP_DIRTY_TRACKING,		/* domains can track dirty IOVA */
};

/* Driver data passed through IOMMU_HWPT_ALLOC (data_type/uptr/len). */
struct iommu_user_data {
	uint32_t type;
	const void *uptr;
	size_t len;
};

/*
 * An array of driver requests passed through IOMMU_HWPT_INVALIDATE.  The
 * driver sets entry_num to the number of entries it handled.
 */
struct iommu_user_data_array {
	uint32_t type;
	const void *uptr;
	size_t entry_len;
	uint32_t entry_num;
};

/*
 * Copy driver data of @type into @dst (@dst_len bytes, the driver's struct).
 * uAPI: a wrong type, data shorter than @min_len (the struct's first
 * version) or longer than @dst_len is -EINVAL; a bad pointer -EFAULT.  A
 * shorter struct is zero-extended.
 */
int iommu_copy_struct_from_user(void *dst, size_t dst_len, size_t min_len,
				const struct iommu_user_data *src,
				uint32_t type);
/* As iommu_copy_struct_from_user, for entry @index of @array. */
int iommu_copy_struct_from_user_array(void *dst, size_t dst_len,
				      size_t min_len,
				      const struct iommu_user_data_array *array,
				      uint32_t type, uint32_t index);

/* A reserved IOVA range [start, last] of a device (MSI window, ...). */
struct iommu_resv_region {
	uint64_t start;
	uint64_t last;
};
#define IOMMU_RESV_REGIONS_MAX 8

/*
 * An IOMMU driver: the operations iommufd needs from whatever translates a
 * device's DMA.  One const instance per driver; compared by address to tell
 * drivers apart (the kernel's domain->owner checks).
 */
struct iommu_dev_ops {
	const char *name;
	/*
	 * IOMMU_GET_HW_INFO: malloc'd driver data and its length.  *type is
	 * the requested type on entry (IOMMU_HW_INFO_TYPE_DEFAULT: the
	 * driver's own) and the type returned on exit.  ERR_PTR on failure.
	 * NULL op: the driver reports nothing (type NONE).
	 */
	void *(*hw_info)(struct iommu_dev *dev, uint32_t *length,
			 uint32_t *type);
	bool (*capable)(struct iommu_dev *dev, enum iommu_cap cap);
	/*
	 * Required: a paging domain for @dev.  @flags are IOMMU_HWPT_ALLOC_*
	 * (without FAULT_ID_VALID); @user_data may be NULL.  ERR_PTR on
	 * failure.
	 */
	struct iommu_domain *(*domain_alloc_paging_flags)(
		struct iommu_dev *dev, uint32_t flags,
		const struct iommu_user_data *user_data);
	/*
	 * A nested domain over @parent (one of this driver's paging domains).
	 * NULL op: nesting unsupported.
	 */
	struct iommu_domain *(*domain_alloc_nested)(
		struct iommu_dev *dev, struct iommu_domain *parent,
		uint32_t flags, const struct iommu_user_data *user_data);
	/*
	 * Make @dev translate @pasid through @domain (NULL: block DMA), in
	 * place of @old.  Must leave @old in place on failure.  -EINVAL means
	 * @domain cannot serve @dev (auto-domain search tries another one).
	 * Called under iommu_group_lock for the RID.
	 */
	int (*attach_dev)(struct iommu_dev *dev, uint32_t pasid,
			  struct iommu_domain *domain, struct iommu_domain *old);
	/*
	 * IOMMU_HWPT_INVALIDATE on one of this driver's nested domains: run
	 * the requests of @array, set array->entry_num to how many were
	 * handled.  0 or -errno.  NULL op: nested domains have no user cache.
	 */
	int (*cache_invalidate_user)(struct iommu_domain *domain,
				     struct iommu_user_data_array *array);
	/*
	 * The user owns the PASID table: a fault on a PASID with no
	 * attachment of its own goes to a nested domain on the RID.
	 */
	bool user_pasid_table;
	/*
	 * Reserved regions of @dev: fills up to @max of @r, returns how many
	 * it has.  Kept out of the IOAS of any paging HWPT the device's RID
	 * is attached to.  NULL op: none.
	 */
	unsigned int (*resv_regions)(struct iommu_dev *dev,
				     struct iommu_resv_region *r,
				     unsigned int max);
	/* vIOMMUs of this IOMMU (viommu.h), or NULL: none. */
	const struct iommu_viommu_driver *viommu_driver;
	/*
	 * The page request group whose last fault is @last was answered
	 * with @code (IOMMUFD_PAGE_RESP_*): by the user's write() to the
	 * fault fd, or automatically (detach, replace, queue destroyed,
	 * report failed).  Called under ictx->lock: it must not take a lock
	 * that is held around an ictx->lock.  A driver with this op keeps
	 * @dev until every group it reported is answered.  NULL op: the
	 * device needs no answer.
	 */
	void (*page_response)(struct iommu_dev *dev,
			      const struct iommu_hwpt_pgfault *last,
			      uint32_t code);
};

struct iommu_dev {
	const struct iommu_dev_ops *ops;
	struct iommu_group *group;
	struct list_head group_item;	/* in group->devices */
	uint32_t max_pasids;		/* 0: no PASID support */
	void *priv;			/* the driver's */
};

struct iommu_group {
	unsigned int refs;		/* devices in it; iommu_group_lock */
	uint32_t id;
	struct list_head devices;	/* struct iommu_dev; iommu_group_lock */
	void *owner;			/* DMA owner or NULL; iommu_group_lock */
	unsigned int owner_cnt;		/* claims by that owner */
	struct iommufd_group *igroup;	/* the owning context's, owner's lock */
	struct iommu_domain *domain;	/* RID translation, NULL blocked */
};

/*
 * Put @dev (ops and priv set by the caller) in a group: a new one of its
 * own when @share is NULL, else @share's.  0 or -ENOMEM.
 */
int iommu_dev_add(struct iommu_dev *dev, struct iommu_dev *share);
/* Take @dev out of its group (freed with its last device). */
void iommu_dev_remove(struct iommu_dev *dev);

struct iommufd_attach;

struct iommufd_group {
	unsigned int refs;		/* bound devices of this group */
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct list_head attaches;	/* struct iommufd_attach, by PASID */
};

struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_group *igroup;
	struct iommu_dev *dev;
	bool enforce_cache_coherency;
	struct iommufd_vdevice *vdev;	/* its vdevice, or NULL */
};

static inline struct iommufd_device *
iommufd_get_device(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj =
		iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_DEVICE);

	if (IS_ERR(obj))
		return (struct iommufd_device *)obj;
	return container_of(obj, struct iommufd_device, obj);
}

static inline bool iommu_dev_capable(struct iommu_dev *dev, enum iommu_cap cap)
{
	return dev->ops->capable && dev->ops->capable(dev, cap);
}

/*
 * Bind @dev to @ictx: claim DMA ownership of its group for the context and
 * publish an IOMMUFD_OBJ_DEVICE (*id).  The caller is a user of the device
 * until iommufd_device_unbind(); a caller outside the context (a device
 * file) must keep the context's file referenced while the device is bound.
 * ERR_PTR: -EINVAL (not cache coherent), -ENODEV (no group), -EBUSY (group
 * owned by another context), -ENOMEM.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct iommu_dev *dev, uint32_t *id);
/* Undo iommufd_device_bind(); the device must be detached. */
void iommufd_device_unbind(struct iommufd_device *idev);

/*
 * Attach @pasid of the device to *pt_id: a paging or nested HWPT, or an
 * IOAS (an auto domain is found or made; *pt_id returns its HWPT id).
 * 0, -ENOENT (no such object), -EINVAL (incompatible, or not a page table),
 * or any error of domain allocation or of mapping the IOAS into it.
 * Undo with iommufd_device_detach().
 */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *pt_id);
/*
 * Atomically move an attached @pasid to *pt_id (as attach).  Nothing changes
 * on failure; -EINVAL when @pasid is not attached.
 */
int iommufd_device_replace(struct iommufd_device *idev, uint32_t pasid,
			   uint32_t *pt_id);
/* Undo iommufd_device_attach(); DMA on @pasid is then blocked. */
void iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid);
/* Detach every PASID of the device (not the RID). */
void iommufd_device_detach_pasids(struct iommufd_device *idev);
/* The HWPT attached at (@idev's group, @pasid) for @idev, or NULL. */
struct iommufd_hw_pagetable *
iommufd_device_attached_hwpt(struct iommufd_device *idev, uint32_t pasid);

/* Attach/detach one device to a HWPT (hw_pagetable.c's immediate attach). */
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev, uint32_t pasid);
struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev, uint32_t pasid);

/*
 * The HWPT that takes an I/O page fault of @idev on @pasid (IOMMU_NO_PASID:
 * the RID), or NULL when none with a fault queue is attached there.
 * *attach_pasid returns the PASID whose attachment was used.
 */
struct iommufd_hw_pagetable *
iommufd_device_fault_hwpt(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *attach_pasid);

/* Is any device of @group bound to @ictx? */
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group);

#endif
