/*
 * fault.h - fault queues (IOMMUFD_OBJ_FAULT): where I/O page faults of
 * devices attached to a fault-capable HWPT wait for the user.
 *
 * A fault queue is an object and a file.  A device reports a fault; faults
 * gather into page-request groups (one device, one PASID, one group index)
 * until the group's last fault arrives; a complete group waits on the
 * queue until read() from the file hands out its records under one cookie;
 * write() of a response with that cookie completes the group.  Detaching
 * the device from the HWPT, or destroying the queue, completes what is left
 * (with IOMMUFD_PAGE_RESP_INVALID).
 *
 * Everything runs under the owning context's ictx->lock.
 */
#ifndef UIOMMU_CORE_FAULT_H
#define UIOMMU_CORE_FAULT_H

#include <stdint.h>

#include "core/device.h"
#include "core/hw_pagetable.h"

/*
 * One fault of @idev, as the hardware reports it: @fault carries flags,
 * pasid, grpid, perm, addr and length (dev_id and cookie are ignored).  It
 * goes to the queue of the HWPT attached at its PASID (or the RID): 0, and
 * the group's answer comes through the driver's page_response op (at once,
 * with INVALID, when a fault of the group could not be kept).  -ENODEV when
 * there is no such queue, -ENOMEM when a new group could not be made: the
 * fault is dropped and no answer comes (the caller fails the request).
 */
int iommufd_fault_report(struct iommufd_device *idev,
			 const struct iommu_hwpt_pgfault *fault);

/*
 * @hwpt no longer serves (@igroup, @pasid): complete every fault that came
 * in through that attachment and is not yet answered.
 */
void iommufd_fault_auto_response(struct iommufd_hw_pagetable *hwpt,
				 struct iommufd_group *igroup, uint32_t pasid);

#endif
