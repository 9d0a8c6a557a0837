/*
 * device.c - IOMMU groups, bound devices (IOMMUFD_OBJ_DEVICE), attaching
 * them to page tables, and IOMMU_GET_HW_INFO.
 *
 * An attachment is a (group, PASID) pair pointing at one HWPT, shared by
 * every bound device of the group that attached to it (struct
 * iommufd_attach).  The driver is told only when the pair's HWPT changes:
 * first device in, last device out, or replace.  For the RID (no PASID)
 * every device of the group follows; a PASID attachment concerns the
 * attaching device alone.  A device's I/O page fault goes to the HWPT of
 * its (group, PASID) attachment, or, when the driver leaves the PASID table
 * to the user, to a nested HWPT on the RID; when an attachment goes, the
 * faults that came through it are completed (fault.c).
 *
 * PASIDs (6.17 rules): only a device with a PASID width takes PASID
 * attachments, each below that width, and only HWPTs made with
 * IOMMU_HWPT_ALLOC_PASID serve a PASID, or the RID while any PASID of the
 * group is attached.  Auto domains are made without it: an IOAS never
 * serves a PASID directly, and a RID on one blocks PASIDs (uAPI, 6.17).
 * Unbinding a device first destroys its vdevice (viommu.c), leaving a
 * tombstone.
 *
 * Invariants: an attachment exists only while it has at least one device
 * and its hwpt is set; each listed device holds one users reference on the
 * hwpt and one on itself; group->domain is the RID attachment's domain (NULL
 * when blocked).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/fault.h"
#include "core/hw_pagetable.h"
#include "core/io_pagetable.h"
#include "core/viommu.h"
#include "util/fault_inject.h"

struct iommufd_attach {
	struct list_head item;		/* in igroup->attaches */
	uint32_t pasid;
	struct iommufd_hw_pagetable *hwpt;
	unsigned int ndevs;
	unsigned int cap;
	struct iommufd_device **devs;
};

static pthread_mutex_t iommu_group_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t iommu_group_next_id;

int iommu_dev_add(struct iommu_dev *dev, struct iommu_dev *share)
{
	struct iommu_group *group;

	pthread_mutex_lock(&iommu_group_lock);
	if (share) {
		group = share->group;
	} else {
		group = ufi_calloc(1, sizeof(*group));
		if (!group) {
			pthread_mutex_unlock(&iommu_group_lock);
			return -ENOMEM;
		}
		group->id = iommu_group_next_id++;
		INIT_LIST_HEAD(&group->devices);
	}
	group->refs++;
	dev->group = group;
	list_add_tail(&dev->group_item, &group->devices);
	pthread_mutex_unlock(&iommu_group_lock);
	return 0;
}

void iommu_dev_remove(struct iommu_dev *dev)
{
	struct iommu_group *group = dev->group;

	pthread_mutex_lock(&iommu_group_lock);
	list_del(&dev->group_item);
	dev->group = NULL;
	if (--group->refs) {
		pthread_mutex_unlock(&iommu_group_lock);
		return;
	}
	NEVER(group->owner_cnt);
	pthread_mutex_unlock(&iommu_group_lock);
	free(group);
}

static int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	int rc = 0;

	pthread_mutex_lock(&iommu_group_lock);
	/* uAPI: a group's devices are owned by one context at a time. */
	if (group->owner_cnt && group->owner != owner)
		rc = -EBUSY;
	else {
		group->owner = owner;
		group->owner_cnt++;
	}
	pthread_mutex_unlock(&iommu_group_lock);
	return rc;
}

static void iommu_group_release_dma_owner(struct iommu_group *group)
{
	pthread_mutex_lock(&iommu_group_lock);
	if (!NEVER(!group->owner_cnt) && !--group->owner_cnt)
		group->owner = NULL;
	pthread_mutex_unlock(&iommu_group_lock);
}

bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group)
{
	bool ret;

	if (!ictx || !group)
		return false;
	pthread_mutex_lock(&iommu_group_lock);
	ret = group->owner == ictx && group->owner_cnt;
	pthread_mutex_unlock(&iommu_group_lock);
	return ret;
}

static struct iommufd_group *iommufd_get_group(struct iommufd_ctx *ictx,
					       struct iommu_group *group)
{
	struct iommufd_group *igroup = group->igroup;

	if (igroup) {
		igroup->refs++;
		return igroup;
	}
	igroup = ufi_calloc(1, sizeof(*igroup));
	if (!igroup)
		return ERR_PTR(-ENOMEM);
	igroup->refs = 1;
	igroup->ictx = ictx;
	igroup->group = group;
	INIT_LIST_HEAD(&igroup->attaches);
	group->igroup = igroup;
	return igroup;
}

static void iommufd_put_group(struct iommufd_group *igroup)
{
	if (--igroup->refs)
		return;
	NEVER(!list_empty(&igroup->attaches));
	igroup->group->igroup = NULL;
	free(igroup);
}

static void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);
	struct iommu_group *group = idev->igroup->group;

	iommufd_put_group(idev->igroup);
	iommu_group_release_dma_owner(group);
}

const struct iommufd_object_ops iommufd_device_ops = {
	.destroy = iommufd_device_destroy,
};

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct iommu_dev *dev, uint32_t *id)
{
	struct iommufd_group *igroup;
	struct iommufd_device *idev;
	int rc;

	/* uAPI: iommufd always maps cache coherent; other devices can't bind. */
	if (!iommu_dev_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);
	if (!dev->group)
		return ERR_PTR(-ENODEV);
	rc = iommu_group_claim_dma_owner(dev->group, ictx);
	if (rc)
		return ERR_PTR(rc);
	igroup = iommufd_get_group(ictx, dev->group);
	if (IS_ERR(igroup)) {
		rc = PTR_ERR(igroup);
		goto err_release_owner;
	}
	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_put_group;
	}
	idev->ictx = ictx;
	idev->dev = dev;
	idev->igroup = igroup;
	idev->enforce_cache_coherency =
		iommu_dev_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	/* The binder is a user until iommufd_device_unbind(). */
	iommufd_object_get_user(&idev->obj);
	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;

err_put_group:
	iommufd_put_group(igroup);
err_release_owner:
	iommu_group_release_dma_owner(dev->group);
	return ERR_PTR(rc);
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	iommufd_vdevice_tombstone(idev);
	NEVER(iommufd_object_remove(idev->ictx, &idev->obj, idev->obj.id, 0));
}

static struct iommufd_attach *iommufd_group_attach(struct iommufd_group *igroup,
						   uint32_t pasid)
{
	struct iommufd_attach *attach;

	list_for_each_entry(attach, &igroup->attaches, item)
		if (attach->pasid == pasid)
			return attach;
	return NULL;
}

static int iommufd_attach_find_dev(struct iommufd_attach *attach,
				   struct iommufd_device *idev)
{
	for (unsigned int i = 0; i < attach->ndevs; i++)
		if (attach->devs[i] == idev)
			return i;
	return -1;
}

/*
 * uAPI: a HWPT attached to the RID while PASIDs are attached, or to a PASID,
 * must have been allocated with IOMMU_HWPT_ALLOC_PASID; so must the RID's.
 */
static int iommufd_hwpt_pasid_compat(struct iommufd_hw_pagetable *hwpt,
				     struct iommufd_device *idev,
				     uint32_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;

	if (pasid == IOMMU_NO_PASID) {
		if (hwpt->pasid_compat)
			return 0;
		list_for_each_entry(attach, &igroup->attaches, item)
			if (attach->pasid != IOMMU_NO_PASID)
				return -EINVAL;
		return 0;
	}
	if (!hwpt->pasid_compat)
		return -EINVAL;
	/* uAPI: a PASID beyond the device's PASID width (or none) is EINVAL. */
	if (pasid >= idev->dev->max_pasids)
		return -EINVAL;
	attach = iommufd_group_attach(igroup, IOMMU_NO_PASID);
	if (attach && !attach->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/*
 * Point the driver at @domain for (@idev's group, @pasid): every device of
 * the group for the RID, @idev alone for a PASID.  All or nothing.
 */
static int iommufd_group_set_domain(struct iommufd_device *idev,
				    uint32_t pasid, struct iommu_domain *domain,
				    struct iommu_domain *old)
{
	struct iommu_group *group = idev->igroup->group;
	struct iommu_dev *dev, *undo;
	int rc = 0;

	if (pasid != IOMMU_NO_PASID)
		return idev->dev->ops->attach_dev(idev->dev, pasid, domain,
						  old);
	pthread_mutex_lock(&iommu_group_lock);
	list_for_each_entry(dev, &group->devices, group_item) {
		rc = dev->ops->attach_dev(dev, pasid, domain, old);
		if (rc)
			goto err_undo;
	}
	__atomic_store_n(&group->domain, domain, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&iommu_group_lock);
	return 0;

err_undo:
	list_for_each_entry(undo, &group->devices, group_item) {
		if (undo == dev)
			break;
		NEVER(undo->ops->attach_dev(undo, pasid, old, domain));
	}
	pthread_mutex_unlock(&iommu_group_lock);
	return rc;
}

static int iommufd_hwpt_attach_device(struct iommufd_hw_pagetable *hwpt,
				      struct iommufd_device *idev,
				      uint32_t pasid)
{
	int rc;

	rc = iommufd_hwpt_pasid_compat(hwpt, idev, pasid);
	if (rc)
		return rc;
	/* uAPI: a domain serves only devices of the driver that made it. */
	if (hwpt->driver != idev->dev->ops)
		return -EINVAL;
	return iommufd_group_set_domain(idev, pasid, hwpt->domain, NULL);
}

static int iommufd_attach_add_dev(struct iommufd_attach *attach,
				  struct iommufd_device *idev)
{
	if (attach->ndevs == attach->cap) {
		unsigned int cap = attach->cap ? attach->cap * 2 : 2;
		struct iommufd_device **devs =
			ufi_realloc(attach->devs, cap * sizeof(*devs));

		if (!devs)
			return -ENOMEM;
		attach->devs = devs;
		attach->cap = cap;
	}
	attach->devs[attach->ndevs++] = idev;
	return 0;
}

static void iommufd_attach_free(struct iommufd_attach *attach)
{
	free(attach->devs);
	free(attach);
}

/*
 * uAPI: while a device is attached to a paging HWPT, its reserved regions
 * (an MSI window, ...) are reserved IOVA in that HWPT's IOAS, owned by the
 * device; mapping there fails and IOVA_RANGES leaves them out.
 */
static int iommufd_device_enforce_resv(struct iommufd_device *idev,
				       struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	struct iommu_resv_region r[IOMMU_RESV_REGIONS_MAX];
	unsigned int n;
	int rc;

	if (!hwpt_paging || !idev->dev->ops->resv_regions)
		return 0;
	n = idev->dev->ops->resv_regions(idev->dev, r, ARRAY_SIZE(r));
	for (unsigned int i = 0; i < n && i < ARRAY_SIZE(r); i++) {
		rc = iopt_reserve_iova(&hwpt_paging->ioas->iopt, r[i].start,
				       r[i].last, idev);
		if (rc) {
			iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt,
						  idev);
			return rc;
		}
	}
	return 0;
}

static void iommufd_device_remove_resv(struct iommufd_device *idev,
				       struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);

	if (hwpt_paging && idev->dev->ops->resv_regions)
		iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, idev);
}

int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	bool first = false;
	int rc;

	attach = iommufd_group_attach(igroup, pasid);
	if (!attach) {
		attach = ufi_calloc(1, sizeof(*attach));
		if (!attach)
			return -ENOMEM;
		attach->pasid = pasid;
		first = true;
	}
	if (iommufd_attach_find_dev(attach, idev) >= 0)
		return -EBUSY;
	/* uAPI: devices of one group share one page table per PASID. */
	if (!first && attach->hwpt != hwpt)
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID) {
		rc = iommufd_device_enforce_resv(idev, hwpt);
		if (rc)
			goto err_free_attach;
	}
	rc = iommufd_attach_add_dev(attach, idev);
	if (rc)
		goto err_free;
	if (first) {
		rc = iommufd_hwpt_attach_device(hwpt, idev, pasid);
		if (rc)
			goto err_free;
		attach->hwpt = hwpt;
		list_add_tail(&attach->item, &igroup->attaches);
	}
	iommufd_object_get_user(&hwpt->obj);
	return 0;

err_free:
	if (pasid == IOMMU_NO_PASID)
		iommufd_device_remove_resv(idev, hwpt);
	if (first)
		iommufd_attach_free(attach);
	else
		attach->ndevs--;
	return rc;

err_free_attach:
	if (first)
		iommufd_attach_free(attach);
	return rc;
}

struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_attach *attach;
	struct iommufd_hw_pagetable *hwpt;
	int i;

	attach = iommufd_group_attach(idev->igroup, pasid);
	if (!attach)
		return NULL;
	i = iommufd_attach_find_dev(attach, idev);
	if (i < 0)
		return NULL;
	hwpt = attach->hwpt;
	if (pasid == IOMMU_NO_PASID)
		iommufd_device_remove_resv(idev, hwpt);
	attach->devs[i] = attach->devs[--attach->ndevs];
	if (!attach->ndevs) {
		NEVER(iommufd_group_set_domain(idev, pasid, NULL,
					       hwpt->domain));
		list_del(&attach->item);
		iommufd_attach_free(attach);
		if (hwpt->fault)
			iommufd_fault_auto_response(hwpt, idev->igroup, pasid);
	}
	return hwpt;
}

static struct iommufd_hw_pagetable *
iommufd_device_do_attach(struct iommufd_device *idev, uint32_t pasid,
			 struct iommufd_hw_pagetable *hwpt)
{
	int rc = iommufd_hw_pagetable_attach(hwpt, idev, pasid);

	return rc ? ERR_PTR(rc) : NULL;
}

/* Move the reserved regions of @attach's devices from @from's IOAS to @to's. */
static int iommufd_attach_move_resv(struct iommufd_attach *attach,
				    struct iommufd_hw_pagetable *from,
				    struct iommufd_hw_pagetable *to)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < attach->ndevs; i++)
		iommufd_device_remove_resv(attach->devs[i], from);
	for (i = 0; i < attach->ndevs; i++) {
		rc = iommufd_device_enforce_resv(attach->devs[i], to);
		if (rc)
			break;
	}
	if (!rc)
		return 0;
	while (i--)
		iommufd_device_remove_resv(attach->devs[i], to);
	for (i = 0; i < attach->ndevs; i++)
		NEVER(iommufd_device_enforce_resv(attach->devs[i], from));
	return rc;
}

static struct iommufd_hw_pagetable *
iommufd_device_do_replace(struct iommufd_device *idev, uint32_t pasid,
			  struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_attach *attach;
	struct iommufd_hw_pagetable *old;
	int rc;

	attach = iommufd_group_attach(idev->igroup, pasid);
	/* uAPI: replace moves an existing attachment, it never makes one. */
	if (!attach || iommufd_attach_find_dev(attach, idev) < 0)
		return ERR_PTR(-EINVAL);
	old = attach->hwpt;
	if (hwpt == old)
		return NULL;
	rc = iommufd_hwpt_pasid_compat(hwpt, idev, pasid);
	if (rc)
		return ERR_PTR(rc);
	if (hwpt->driver != idev->dev->ops)
		return ERR_PTR(-EINVAL);
	if (pasid == IOMMU_NO_PASID) {
		rc = iommufd_attach_move_resv(attach, old, hwpt);
		if (rc)
			return ERR_PTR(rc);
	}
	rc = iommufd_group_set_domain(idev, pasid, hwpt->domain, old->domain);
	if (rc) {
		if (pasid == IOMMU_NO_PASID)
			NEVER(iommufd_attach_move_resv(attach, hwpt, old));
		return ERR_PTR(rc);
	}
	attach->hwpt = hwpt;
	if (old->fault)
		iommufd_fault_auto_response(old, idev->igroup, pasid);
	/* Every device's reference moves; the caller puts the last old one. */
	hwpt->obj.users += attach->ndevs;
	old->obj.users -= attach->ndevs - 1;
	return old;
}

static struct iommufd_hw_pagetable *
iommufd_device_auto_get_domain(struct iommufd_device *idev, uint32_t pasid,
			       struct iommufd_ioas *ioas, uint32_t *pt_id,
			       struct iommufd_hw_pagetable *(*do_attach)(
				       struct iommufd_device *, uint32_t,
				       struct iommufd_hw_pagetable *))
{
	bool immediate_attach = do_attach == iommufd_device_do_attach;
	struct iommufd_hw_pagetable *destroy_hwpt;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;

	/* Any auto domain the device accepts will do; made ones are never used. */
	list_for_each_entry(hwpt_paging, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt_paging->auto_domain)
			continue;
		hwpt = &hwpt_paging->common;
		if (!hwpt->obj.users)
			continue;
		hwpt->obj.shortterm++;
		destroy_hwpt = do_attach(idev, pasid, hwpt);
		iommufd_put_object(idev->ictx, &hwpt->obj);
		if (IS_ERR(destroy_hwpt)) {
			if (PTR_ERR(destroy_hwpt) == -EINVAL)
				continue;
			return destroy_hwpt;
		}
		*pt_id = hwpt->obj.id;
		return destroy_hwpt;
	}

	hwpt_paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, pasid,
						0, immediate_attach, NULL);
	if (IS_ERR(hwpt_paging))
		return (struct iommufd_hw_pagetable *)hwpt_paging;
	hwpt = &hwpt_paging->common;
	destroy_hwpt = NULL;
	if (!immediate_attach) {
		destroy_hwpt = do_attach(idev, pasid, hwpt);
		if (IS_ERR(destroy_hwpt)) {
			iommufd_object_abort_and_destroy(idev->ictx, &hwpt->obj);
			return destroy_hwpt;
		}
	}
	hwpt_paging->auto_domain = true;
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(idev->ictx, &hwpt->obj);
	return destroy_hwpt;
}

static int iommufd_device_change_pt(struct iommufd_device *idev,
				    uint32_t pasid, uint32_t *pt_id,
				    struct iommufd_hw_pagetable *(*do_attach)(
					    struct iommufd_device *, uint32_t,
					    struct iommufd_hw_pagetable *))
{
	struct iommufd_hw_pagetable *destroy_hwpt;
	struct iommufd_object *pt_obj;

	pt_obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj))
		return PTR_ERR(pt_obj);

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		destroy_hwpt = do_attach(idev, pasid,
					 container_of(pt_obj,
						      struct iommufd_hw_pagetable,
						      obj));
		break;
	case IOMMUFD_OBJ_IOAS:
		destroy_hwpt = iommufd_device_auto_get_domain(
			idev, pasid,
			container_of(pt_obj, struct iommufd_ioas, obj), pt_id,
			do_attach);
		break;
	default:
		/* uAPI: only an IOAS or a HWPT can be attached to. */
		destroy_hwpt = ERR_PTR(-EINVAL);
		break;
	}
	iommufd_put_object(idev->ictx, pt_obj);
	if (IS_ERR(destroy_hwpt))
		return PTR_ERR(destroy_hwpt);
	if (destroy_hwpt)
		iommufd_hw_pagetable_put(idev->ictx, destroy_hwpt);
	return 0;
}

int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *pt_id)
{
	int rc;

	rc = iommufd_device_change_pt(idev, pasid, pt_id,
				      iommufd_device_do_attach);
	if (rc)
		return rc;
	/* Pairs with iommufd_device_detach(): an attached device is busy. */
	iommufd_object_get_user(&idev->obj);
	return 0;
}

int iommufd_device_replace(struct iommufd_device *idev, uint32_t pasid,
			   uint32_t *pt_id)
{
	return iommufd_device_change_pt(idev, pasid, pt_id,
					iommufd_device_do_replace);
}

void iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_hw_pagetable *hwpt;

	hwpt = iommufd_hw_pagetable_detach(idev, pasid);
	if (!hwpt)
		return;
	iommufd_hw_pagetable_put(idev->ictx, hwpt);
	iommufd_object_put_user(&idev->obj);
}

void iommufd_device_detach_pasids(struct iommufd_device *idev)
{
	struct iommufd_attach *attach, *next;

	list_for_each_entry_safe(attach, next, &idev->igroup->attaches, item)
		if (attach->pasid != IOMMU_NO_PASID &&
		    iommufd_attach_find_dev(attach, idev) >= 0)
			iommufd_device_detach(idev, attach->pasid);
}

struct iommufd_hw_pagetable *
iommufd_device_attached_hwpt(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_attach *attach;

	attach = iommufd_group_attach(idev->igroup, pasid);
	if (!attach || iommufd_attach_find_dev(attach, idev) < 0)
		return NULL;
	return attach->hwpt;
}

struct iommufd_hw_pagetable *
iommufd_device_fault_hwpt(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *attach_pasid)
{
	struct iommufd_attach *attach;

	attach = iommufd_group_attach(idev->igroup, pasid);
	if (attach && pasid != IOMMU_NO_PASID &&
	    iommufd_attach_find_dev(attach, idev) < 0)
		attach = NULL;
	if (!attach && pasid != IOMMU_NO_PASID &&
	    idev->dev->ops->user_pasid_table) {
		/* uAPI: a user PASID table takes faults through the RID. */
		attach = iommufd_group_attach(idev->igroup, IOMMU_NO_PASID);
		if (attach &&
		    attach->hwpt->obj.type != IOMMUFD_OBJ_HWPT_NESTED)
			attach = NULL;
	}
	if (!attach || !attach->hwpt->fault)
		return NULL;
	*attach_pasid = attach->pasid;
	return attach->hwpt;
}

int iommu_copy_struct_from_user(void *dst, size_t dst_len, size_t min_len,
				const struct iommu_user_data *src,
				uint32_t type)
{
	/* uAPI: a struct longer than the driver's is refused, even if zero. */
	if (src->type != type || src->len < min_len || src->len > dst_len)
		return -EINVAL;
	return copy_struct_from_user(dst, dst_len, src->uptr, src->len);
}

int iommu_copy_struct_from_user_array(void *dst, size_t dst_len,
				      size_t min_len,
				      const struct iommu_user_data_array *array,
				      uint32_t type, uint32_t index)
{
	struct iommu_user_data src = {
		.type = array->type,
		.len = array->entry_len,
	};

	if (NEVER(index >= array->entry_num))
		return -EINVAL;
	src.uptr = uptr_add(array->uptr, (uint64_t)array->entry_len * index);
	return iommu_copy_struct_from_user(dst, dst_len, min_len, &src, type);
}

static int clear_user(void *udst, size_t len)
{
	static const char zeros[4096];

	while (len) {
		size_t n = min_t(size_t, len, sizeof(zeros));

		if (copy_to_user(udst, zeros, n))
			return -EFAULT;
		udst = uptr_add(udst, n);
		len -= n;
	}
	return 0;
}

static unsigned int ilog2_u32(uint32_t v)
{
	return 31 - __builtin_clz(v);
}

int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void *user_ptr = (void *)(uintptr_t)cmd->data_uptr;
	struct iommufd_device *idev;
	uint32_t data_len = 0;
	uint32_t copy_len;
	void *data = NULL;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* uAPI: without FLAG_INPUT_TYPE the type field is output only. */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	if (idev->dev->ops->hw_info) {
		data = idev->dev->ops->hw_info(idev->dev, &data_len,
					       &cmd->out_data_type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			data = NULL;
			goto out_put;
		}
		/* A driver may report NONE (no data) for its hardware. */
		if (NEVER(cmd->out_data_type == IOMMU_HW_INFO_TYPE_NONE &&
			  data)) {
			rc = -EOPNOTSUPP;
			goto out_put;
		}
	} else {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	}

	/* uAPI: copy what fits, zero the rest, report the full length. */
	copy_len = min_t(uint32_t, cmd->data_len, data_len);
	if (copy_to_user(user_ptr, data, copy_len) ||
	    clear_user(uptr_add(user_ptr, copy_len), cmd->data_len - copy_len)) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = data_len;

	cmd->out_capabilities = 0;
	if (iommu_dev_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	cmd->out_max_pasid_log2 = 0;
	if (idev->dev->max_pasids)
		cmd->out_max_pasid_log2 = ilog2_u32(idev->dev->max_pasids);

	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	free(data);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
