/*
 * hw_pagetable.c - HWPT objects and IOMMU_HWPT_ALLOC.
 *
 * A paging HWPT is created in one go: reserve the object, take the IOAS
 * reference, ask the device's driver for a domain, optionally attach the
 * device, then map the IOAS into the domain (iopt_table_add_domain) and join
 * ioas->hwpt_list.  Any failure unwinds through abort, which undoes exactly
 * the steps taken (hwpt_item empty = not yet in the IOAS).
 *
 * A nested HWPT holds its parent paging HWPT (users reference); its domain
 * comes from the driver's domain_alloc_nested, and IOMMU_HWPT_INVALIDATE
 * hands the user's request array to the driver's cache_invalidate_user.
 * With a vIOMMU as pt_id (or hwpt_id) both go to viommu.c instead.
 * A HWPT made with IOMMU_HWPT_FAULT_ID_VALID holds its fault queue (users
 * reference) and its devices' I/O page faults go there (fault.c).  Dirty
 * tracking is a HWPT ioctl too; the IOAS does the walking.
 */
#include <stdlib.h>

#include "core/hw_pagetable.h"
#include "core/viommu.h"

void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj)
{
	if (iommufd_object_remove(ictx, obj, obj->id, 0))
		iommufd_object_put_user(obj);
}

void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);

	if (hwpt_paging && hwpt_paging->auto_domain) {
		iommufd_object_put_and_try_destroy(ictx, &hwpt->obj);
		return;
	}
	iommufd_object_put_user(&hwpt->obj);
}

static void __iommufd_hwpt_destroy(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->domain)
		hwpt->domain->ops->free(hwpt->domain);
	if (hwpt->fault)
		iommufd_object_put_user(hwpt->fault);
}

static void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	if (!list_empty(&hwpt_paging->hwpt_item)) {
		list_del(&hwpt_paging->hwpt_item);
		iopt_table_remove_domain(&hwpt_paging->ioas->iopt,
					 hwpt_paging->common.domain);
	}
	__iommufd_hwpt_destroy(&hwpt_paging->common);
	iommufd_object_put_user(&hwpt_paging->ioas->obj);
}

const struct iommufd_object_ops iommufd_hwpt_paging_ops = {
	.destroy = iommufd_hwpt_paging_destroy,
};

struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t pasid,
			  uint32_t flags, bool immediate_attach,
			  const struct iommu_user_data *user_data)
{
	const uint32_t valid_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				     IOMMU_HWPT_FAULT_ID_VALID |
				     IOMMU_HWPT_ALLOC_PASID;
	const struct iommu_dev_ops *ops = idev->dev->ops;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;
	struct iommu_domain *domain;
	struct iommufd_object *obj;
	int rc;

	if ((flags || user_data) && !ops->domain_alloc_paging_flags)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~valid_flags)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !iommu_dev_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	/* uAPI: a nesting parent cannot take faults itself. */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return ERR_PTR(-EOPNOTSUPP);
	if (NEVER(!ops->domain_alloc_paging_flags))
		return ERR_PTR(-EOPNOTSUPP);

	obj = _iommufd_object_alloc(ictx, sizeof(*hwpt_paging),
				    IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return (struct iommufd_hwpt_paging *)obj;
	hwpt_paging = container_of(obj, struct iommufd_hwpt_paging, common.obj);
	hwpt = &hwpt_paging->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	hwpt->driver = ops;
	INIT_LIST_HEAD(&hwpt_paging->hwpt_item);
	iommufd_object_get_user(&ioas->obj);
	hwpt_paging->ioas = ioas;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;

	domain = ops->domain_alloc_paging_flags(
		idev->dev, flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt->domain = domain;

	if (immediate_attach) {
		rc = iommufd_hw_pagetable_attach(hwpt, idev, pasid);
		if (rc)
			goto err_abort;
	}

	rc = iopt_table_add_domain(&ioas->iopt, domain);
	if (rc)
		goto err_detach;
	list_add_tail(&hwpt_paging->hwpt_item, &ioas->hwpt_list);
	return hwpt_paging;

err_detach:
	if (immediate_attach)
		iommufd_hw_pagetable_detach(idev, pasid);
err_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

static void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt_nested =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	__iommufd_hwpt_destroy(&hwpt_nested->common);
	iommufd_object_put_user(&hwpt_nested->parent->common.obj);
	if (hwpt_nested->viommu)
		iommufd_object_put_user(hwpt_nested->viommu);
}

const struct iommufd_object_ops iommufd_hwpt_nested_ops = {
	.destroy = iommufd_hwpt_nested_destroy,
};

/*
 * A nested HWPT for @idev over @parent, reserved but not published (the
 * caller finalizes or aborts it).  ERR_PTR on failure.
 */
static struct iommufd_hwpt_nested *
iommufd_hwpt_nested_alloc(struct iommufd_ctx *ictx,
			  struct iommufd_hwpt_paging *parent,
			  struct iommufd_device *idev, uint32_t flags,
			  const struct iommu_user_data *user_data)
{
	const struct iommu_dev_ops *ops = idev->dev->ops;
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommufd_hw_pagetable *hwpt;
	struct iommu_domain *domain;
	struct iommufd_object *obj;
	int rc;

	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !user_data->len || !ops->domain_alloc_nested)
		return ERR_PTR(-EOPNOTSUPP);
	/* uAPI: only a user-made NEST_PARENT of the same driver nests. */
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.driver != ops)
		return ERR_PTR(-EINVAL);

	obj = _iommufd_object_alloc(ictx, sizeof(*hwpt_nested),
				    IOMMUFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj))
		return (struct iommufd_hwpt_nested *)obj;
	hwpt_nested = container_of(obj, struct iommufd_hwpt_nested, common.obj);
	hwpt = &hwpt_nested->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	hwpt->driver = ops;
	iommufd_object_get_user(&parent->common.obj);
	hwpt_nested->parent = parent;

	domain = ops->domain_alloc_nested(idev->dev, parent->common.domain,
					  flags & ~IOMMU_HWPT_FAULT_ID_VALID,
					  user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt->domain = domain;
	if (NEVER(domain->type != IOMMU_DOMAIN_NESTED)) {
		rc = -EOPNOTSUPP;
		goto err_abort;
	}
	return hwpt_nested;

err_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = (const void *)(uintptr_t)cmd->data_uptr,
		.len = cmd->data_len,
	};
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* uAPI: driver data comes with a type, and a type with data. */
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		/* uAPI: a missing pt_id is EINVAL here, not ENOENT. */
		rc = -EINVAL;
		goto out_put_idev;
	}

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS: {
		struct iommufd_hwpt_paging *hwpt_paging;

		hwpt_paging = iommufd_hwpt_paging_alloc(
			ucmd->ictx,
			container_of(pt_obj, struct iommufd_ioas, obj), idev,
			IOMMU_NO_PASID, cmd->flags, false,
			user_data.len ? &user_data : NULL);
		if (IS_ERR(hwpt_paging)) {
			rc = PTR_ERR(hwpt_paging);
			goto out_put_pt;
		}
		hwpt = &hwpt_paging->common;
		break;
	}
	case IOMMUFD_OBJ_HWPT_PAGING: {
		struct iommufd_hwpt_nested *hwpt_nested;

		hwpt_nested = iommufd_hwpt_nested_alloc(
			ucmd->ictx,
			to_hwpt_paging(container_of(
				pt_obj, struct iommufd_hw_pagetable, obj)),
			idev, cmd->flags, &user_data);
		if (IS_ERR(hwpt_nested)) {
			rc = PTR_ERR(hwpt_nested);
			goto out_put_pt;
		}
		hwpt = &hwpt_nested->common;
		break;
	}
	case IOMMUFD_OBJ_VIOMMU: {
		struct iommufd_hwpt_nested *hwpt_nested;

		hwpt_nested = iommufd_viommu_alloc_hwpt_nested(
			container_of(pt_obj, struct iommufd_viommu, obj),
			cmd->flags, &user_data);
		if (IS_ERR(hwpt_nested)) {
			rc = PTR_ERR(hwpt_nested);
			goto out_put_pt;
		}
		hwpt = &hwpt_nested->common;
		break;
	}
	default:
		rc = -EINVAL;
		goto out_put_pt;
	}

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_object *fault;

		fault = iommufd_get_object(ucmd->ictx, cmd->fault_id,
					   IOMMUFD_OBJ_FAULT);
		if (IS_ERR(fault)) {
			rc = PTR_ERR(fault);
			goto out_hwpt;
		}
		hwpt->fault = fault;
		/* Drivers attach it with I/O page faults enabled. */
		hwpt->domain->iopf = true;
		iommufd_object_get_user(fault);
		iommufd_put_object(ucmd->ictx, fault);
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_put_pt;

out_hwpt:
	iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
out_put_pt:
	iommufd_put_object(ucmd->ictx, pt_obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array data_array = {
		.type = cmd->data_type,
		.uptr = (const void *)(uintptr_t)cmd->data_uptr,
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommufd_object *pt_obj;
	uint32_t done_num = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	/* uAPI: a non-empty array needs a pointer and an entry size. */
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = PTR_ERR(pt_obj);
		goto out;
	}
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED: {
		struct iommufd_hw_pagetable *hwpt = container_of(
			pt_obj, struct iommufd_hw_pagetable, obj);

		if (!hwpt->driver->cache_invalidate_user) {
			rc = -EOPNOTSUPP;
			break;
		}
		rc = hwpt->driver->cache_invalidate_user(hwpt->domain,
							 &data_array);
		done_num = data_array.entry_num;
		break;
	}
	case IOMMUFD_OBJ_VIOMMU:
		rc = iommufd_viommu_cache_invalidate(pt_obj, &data_array);
		done_num = data_array.entry_num;
		break;
	default:
		/* uAPI: a paging HWPT has no user-managed cache to flush. */
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(ucmd->ictx, pt_obj);
out:
	/* uAPI: entry_num always returns how many entries were handled. */
	cmd->entry_num = done_num;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

static struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return (struct iommufd_hwpt_paging *)obj;
	return container_of(obj, struct iommufd_hwpt_paging, common.obj);
}

int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	rc = iopt_set_dirty_tracking(&hwpt_paging->ioas->iopt,
				     hwpt_paging->common.domain,
				     cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

_Static_assert(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR == IOMMU_DIRTY_NO_CLEAR,
	       "the uAPI flag is handed to domains as is");

int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	rc = iopt_read_and_clear_dirty_data(&hwpt_paging->ioas->iopt,
					    hwpt_paging->common.domain,
					    cmd->flags, cmd);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}
