/*
 * dma.c - device DMA through a unit (see dma.h): the range is translated
 * and copied piece by piece, each piece ending at a leaf / IOTLB block
 * boundary, all inside one RCU read-side section.
 */
#include <errno.h>
#include <string.h>

#include "iommu/dma.h"
#include "iommu/unit.h"

#define ACC_EXTRA (IOMMU_ACC_EXEC | IOMMU_ACC_PRIV)

/* Inside iommu_dma_begin/end: move one IOVA range; *done advances. */
static int xfer(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		uint64_t iova, char *buf, uint64_t len, bool write,
		uint32_t access, size_t *done, struct iommu_fault_record *f)
{
	uint64_t off = 0;

	while (off < len) {
		struct iommu_xlate x;
		int ret = iommu_translate(u, rid, pasid, iova + off, len - off,
					  access, &x, f);

		if (ret)
			return ret;
		if (write)
			memcpy((void *)x.phys, buf + off, x.len);
		else
			memcpy(buf + off, (const void *)x.phys, x.len);
		off += x.len;
		*done += x.len;
	}
	return 0;
}

static int dma_one(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		   uint64_t iova, char *buf, size_t len, bool write,
		   uint32_t access, struct iommu_dma_result *res)
{
	struct iommu_dma_result local;
	uint64_t last;
	int ret;

	if (!res)
		res = &local;
	res->done = 0;
	memset(&res->fault, 0, sizeof(res->fault));
	if (access & ~(uint32_t)ACC_EXTRA)
		return -EINVAL;
	if (!len)
		return 0;
	if (__builtin_add_overflow(iova, (uint64_t)len - 1, &last))
		return -EINVAL;
	access |= write ? IOMMU_ACC_WRITE : IOMMU_ACC_READ;
	iommu_dma_begin();
	ret = xfer(u, rid, pasid, iova, buf, len, write, access, &res->done,
		   &res->fault);
	iommu_dma_end();
	return ret;
}

int iommu_dma_read(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		   uint64_t iova, void *buf, size_t len, uint32_t access,
		   struct iommu_dma_result *res)
{
	return dma_one(u, rid, pasid, iova, buf, len, false, access, res);
}

int iommu_dma_write(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    uint64_t iova, const void *buf, size_t len, uint32_t access,
		    struct iommu_dma_result *res)
{
	return dma_one(u, rid, pasid, iova, (char *)buf, len, true, access,
		       res);
}

int iommu_dma_rw_sg(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    const struct iommu_dma_sg *sg, unsigned int nr, void *buf,
		    size_t buf_len, bool write, uint32_t access,
		    struct iommu_dma_result *res)
{
	struct iommu_dma_result local;
	uint64_t total = 0, last;
	char *p = buf;
	int ret = 0;

	if (!res)
		res = &local;
	res->done = 0;
	memset(&res->fault, 0, sizeof(res->fault));
	if (access & ~(uint32_t)ACC_EXTRA)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		if (__builtin_add_overflow(total, sg[i].len, &total))
			return -EINVAL;
		if (sg[i].len &&
		    __builtin_add_overflow(sg[i].iova, sg[i].len - 1, &last))
			return -EINVAL;
	}
	if (total != buf_len)
		return -EINVAL;
	access |= write ? IOMMU_ACC_WRITE : IOMMU_ACC_READ;
	iommu_dma_begin();
	for (unsigned int i = 0; i < nr && !ret; i++) {
		ret = xfer(u, rid, pasid, sg[i].iova, p, sg[i].len, write,
			   access, &res->done, &res->fault);
		p += sg[i].len;
	}
	iommu_dma_end();
	return ret;
}
