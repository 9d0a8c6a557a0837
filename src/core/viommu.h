/*
 * viommu.h - virtual IOMMUs (IOMMUFD_OBJ_VIOMMU) and what hangs off them:
 * virtual devices (IOMMUFD_OBJ_VDEVICE), virtual event queues
 * (IOMMUFD_OBJ_VEVENTQ) and hardware queues (IOMMUFD_OBJ_HW_QUEUE).
 *
 * A vIOMMU is one VM's slice of a physical IOMMU: it sits on a NEST_PARENT
 * paging HWPT (the stage 2, users reference) and belongs to the driver of
 * the device named at allocation.  Its driver (struct iommu_viommu_driver,
 * reached through iommu_dev_ops.viommu_driver) makes nested domains for it,
 * runs its cache invalidation requests and reports its events.
 *
 * A vdevice names a bound device inside a vIOMMU by the guest's id
 * (virt_id, a vSID or vRID): at most one vdevice per device, virt_ids
 * unique per vIOMMU.  It holds a users reference on the vIOMMU, none on the
 * device: when the device is unbound, its vdevice is destroyed and its id
 * left as a tombstone (iommufd_vdevice_tombstone).
 *
 * A vEVENTQ is an object and a file, like a fault queue (fault.c): the file
 * holds a users reference on the object and a reference on the context's
 * file.  Events wait in arrival order, each with a sequence number counting
 * 0..INT_MAX and wrapping; at most depth of them, after which a single
 * lost-events record at the tail stands for everything dropped.
 *
 * A HW queue pins its guest memory in the vIOMMU's IOAS with the areas
 * locked (IOAS_UNMAP of it is -EBUSY) while it lives.
 *
 * Everything runs under the owning context's ictx->lock.
 */
#ifndef UIOMMU_CORE_VIOMMU_H
#define UIOMMU_CORE_VIOMMU_H

#include <stdint.h>

#include "core/device.h"
#include "core/hw_pagetable.h"
#include "util/list.h"

struct iommufd_viommu;
struct iommufd_hw_queue;

/* What a driver offers vIOMMUs; one const instance per driver. */
struct iommu_viommu_driver {
	/* Does the driver make vIOMMUs of @type? */
	bool (*supports)(uint32_t type);
	/*
	 * Optional: does the IOMMU behind @dev make vIOMMUs of @type (a
	 * driver whose instances differ in features)?  NULL: as supports().
	 */
	bool (*dev_supports)(struct iommu_dev *dev, uint32_t type);
	/*
	 * Optional: may @dev (of this driver) be a vdevice of @viommu, i.e.
	 * does it sit behind the same IOMMU instance?  NULL: any device.
	 */
	bool (*vdevice_ok)(struct iommufd_viommu *viommu,
			   struct iommu_dev *dev);
	/*
	 * Set up @viommu (type, hwpt set) over @parent; @user_data (type =
	 * the vIOMMU type) may be NULL.  0 or -errno; on error nothing is
	 * left for destroy.
	 */
	int (*init)(struct iommufd_viommu *viommu, struct iommu_domain *parent,
		    const struct iommu_user_data *user_data);
	void (*destroy)(struct iommufd_viommu *viommu);
	/* A nested domain of this vIOMMU.  NULL op: unsupported. */
	struct iommu_domain *(*alloc_domain_nested)(
		struct iommufd_viommu *viommu, uint32_t flags,
		const struct iommu_user_data *user_data);
	/*
	 * IOMMU_HWPT_INVALIDATE on the vIOMMU; sets array->entry_num to the
	 * entries handled.  NULL op: unsupported.
	 */
	int (*cache_invalidate)(struct iommufd_viommu *viommu,
				struct iommu_user_data_array *array);
	/* Does the driver make HW queues of @type?  NULL op: none. */
	bool (*hw_queue_supports)(uint32_t type);
	/*
	 * Start @hw_queue as queue @index over "physical" @base_pa.  0 or
	 * -errno; only a queue that started is passed to hw_queue_destroy.
	 */
	int (*hw_queue_init)(struct iommufd_hw_queue *hw_queue, uint32_t index,
			     uintptr_t base_pa);
	void (*hw_queue_destroy)(struct iommufd_hw_queue *hw_queue);
};

struct iommufd_viommu {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_hwpt_paging *hwpt;	/* users ref */
	const struct iommu_dev_ops *iommu;	/* the IOMMU it slices */
	struct iommu_dev *dev;		/* named at allocation: for init only */
	const struct iommu_viommu_driver *ops;
	uint32_t type;
	struct list_head vdevs;		/* struct iommufd_vdevice */
	struct list_head veventqs;	/* struct iommufd_veventq */
	void *priv;			/* the driver's */
};

struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;	/* users ref */
	struct iommufd_device *idev;	/* no ref: the device drops us */
	uint64_t virt_id;
	struct list_head item;		/* in viommu->vdevs */
};

struct iommufd_hw_queue {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;	/* users ref */
	uint32_t type;
	uint64_t base_addr;		/* nesting_parent_iova */
	uint64_t length;
	uint64_t pin_iova;		/* pinned page range, locked */
	uint64_t pin_length;
	bool started;			/* hw_queue_init succeeded */
	void *priv;			/* the driver's */
};

/* The bound device @viommu calls @virt_id, or NULL. */
struct iommu_dev *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
					  uint64_t virt_id);
/* The virt_id of @dev in @viommu: 0 or -ENOENT. */
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct iommu_dev *dev, uint64_t *virt_id);
/*
 * Queue one event of @type (@len > 0 bytes) on @viommu's vEVENTQ of that
 * type.  0, -EOPNOTSUPP (no such queue), -ENOMEM (recorded as lost).
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type,
				const void *data, size_t len);

/*
 * IOMMU_HWPT_ALLOC with a vIOMMU as pt_id: a nested HWPT from the vIOMMU's
 * driver, reserved but not published.  ERR_PTR on failure.
 */
struct iommufd_hwpt_nested *
iommufd_viommu_alloc_hwpt_nested(struct iommufd_viommu *viommu,
				 uint32_t flags,
				 const struct iommu_user_data *user_data);
/* IOMMU_HWPT_INVALIDATE on a vIOMMU object. */
int iommufd_viommu_cache_invalidate(struct iommufd_object *obj,
				    struct iommu_user_data_array *array);

/*
 * The device is going away: destroy its vdevice, if any, leaving the id a
 * tombstone (IOMMU_DESTROY on it is then -ENOENT).
 */
void iommufd_vdevice_tombstone(struct iommufd_device *idev);

#endif
