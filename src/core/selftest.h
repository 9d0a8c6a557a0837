/*
 * selftest.h - the test mock IOMMU (selftest_mock.c) and what the rest of
 * the core may read of the selftest state (selftest.c).
 *
 * The mock IOMMU is the kernel's selftest driver: devices on their own
 * bus, one group each, whose paging domains store one entry per mock page
 * (half a host page) over the aperture MOCK_APERTURE_START..LAST, so that
 * IOMMU_TEST_OP_MD_CHECK_MAP can read back exactly what the core mapped.
 */
#ifndef UIOMMU_CORE_SELFTEST_H
#define UIOMMU_CORE_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/device.h"
#include "iommufd_test.h"

/*
 * IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: the most bytes a temporary buffer of
 * the pages code (pin batches, page lists) may take, so tests can force the
 * chunked paths.  65536 by default, as in the kernel.
 */
extern size_t iommufd_test_memory_limit;

/* The mock page: half a host page.  The huge mock page: 512 of them. */
size_t mock_io_page_size(void);
static inline size_t mock_huge_page_size(void)
{
	return 512 * mock_io_page_size();
}

struct iommufd_viommu;

struct mock_dev {
	struct iommu_dev dev;
	uint32_t flags;			/* MOCK_FLAGS_DEVICE_* */
	uint32_t cache[MOCK_DEV_CACHE_NUM];
	/*
	 * The vIOMMU of the nested domain on the RID and the device's
	 * virt_id in it, set when the RID attaches (vdev_id 0: none), for
	 * IOMMU_TEST_OP_TRIGGER_VEVENT.
	 */
	struct iommufd_viommu *viommu;
	uint64_t vdev_id;
	/* PASID IOMMU_TEST_PASID_RESERVED: the next attach change fails. */
	bool pasid_reserved_fail;
};

/* A mock device in a group of its own: ERR_PTR(-EINVAL) for bad flags. */
struct mock_dev *mock_dev_create(uint32_t dev_flags);
void mock_dev_destroy(struct mock_dev *mdev);
/* The mock device behind @dev, or NULL for another driver's device. */
struct mock_dev *mock_dev_from_dev(struct iommu_dev *dev);

/* Is @domain a mock paging domain? */
bool mock_domain_is_paging(struct iommu_domain *domain);
/* Is @domain a nested mock domain (IOMMU_HWPT_DATA_SELFTEST)? */
bool mock_domain_is_nested(struct iommu_domain *domain);
/* IOTLB entry @id (<= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) of a nested one. */
uint32_t mock_nested_iotlb(struct iommu_domain *domain, unsigned int id);
/* Mark the mock page at @iova dirty: false when nothing is mapped there. */
bool mock_domain_mark_dirty(struct iommu_domain *domain, uint64_t iova);

#endif
