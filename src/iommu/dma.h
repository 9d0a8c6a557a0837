/*
 * dma.h - DMA through a unit for device models: copies between a device
 * buffer and the memory an (RID, PASID, IOVA) range translates to.
 *
 * Semantics are the hardware's, page by page: the range is cut at every
 * leaf (IOTLB block) boundary, and each piece is translated with the
 * access's permission and then copied, in address order.  On a fault the
 * pieces before it have been transferred and nothing at or after the
 * faulting address has been touched; res->done says how many bytes went.
 * A fault is recorded (or returned as a page request) as iommu_translate()
 * does.  Every call is one RCU read-side section: a concurrent unmap's
 * iommu_dma_wait() returns only after it.
 */
#ifndef UIOMMU_IOMMU_DMA_H
#define UIOMMU_IOMMU_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/translate.h"

struct iommu_unit;

/* Outcome of a DMA call (optional). */
struct iommu_dma_result {
	size_t done;			 /* bytes transferred */
	struct iommu_fault_record fault; /* when the call failed on a fault */
};

/*
 * Device reads [iova, iova + len) into @buf / writes @buf there.  @access
 * may add IOMMU_ACC_EXEC / IOMMU_ACC_PRIV to the implied READ / WRITE.
 * 0, -EFAULT (fault), -EAGAIN (page request), -EINVAL (len 0 is fine;
 * iova + len wraps).
 */
int iommu_dma_read(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		   uint64_t iova, void *buf, size_t len, uint32_t access,
		   struct iommu_dma_result *res);
int iommu_dma_write(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    uint64_t iova, const void *buf, size_t len, uint32_t access,
		    struct iommu_dma_result *res);

/* One piece of a scatter-gather list in IOVA space. */
struct iommu_dma_sg {
	uint64_t iova;
	uint64_t len;
};

/*
 * Gather (device reads: @write false) the IOVA pieces @sg[0..nr) into @buf
 * in order, or scatter @buf to them (@write true).  @buf_len must equal
 * the sum of the pieces' lengths (-EINVAL otherwise).  Returns as
 * iommu_dma_read(); res->done counts bytes over the whole list.
 */
int iommu_dma_rw_sg(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    const struct iommu_dma_sg *sg, unsigned int nr, void *buf,
		    size_t buf_len, bool write, uint32_t access,
		    struct iommu_dma_result *res);

#endif
