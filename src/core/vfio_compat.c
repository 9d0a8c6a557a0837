/*
 * vfio_compat.c - the VFIO container compatibility of an iommufd: which
 * IOAS the type1 ioctls work on (IOMMU_VFIO_IOAS).
 *
 * ictx->vfio_ioas is a plain pointer, not a reference: destroying that IOAS
 * clears it (main.c), so it is either NULL or a live, published IOAS.
 */
#include "core/io_pagetable.h"

static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = ictx->vfio_ioas;

	/* uAPI: no compat IOAS yet is ENODEV. */
	if (!ioas)
		return ERR_PTR(-ENODEV);
	ioas->obj.shortterm++;
	return ioas;
}

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ucmd->ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		ucmd->ictx->vfio_ioas = ioas;
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		ucmd->ictx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
