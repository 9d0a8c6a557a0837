/*
 * selftest_mock.c - the mock IOMMU driver of the test mock: mock devices and
 * their paging domains.
 *
 * A mock paging domain is a two-level table of 64-bit entries, one per mock
 * page of the aperture: the "physical" page number plus flag bits.  Leaves
 * are allocated on first map and kept until the domain is freed, so readers
 * (iova_to_phys, the translation path) need no lock: they load the leaf
 * pointer and the entry atomically and see either the old or the new value.
 * Writers (map, unmap, dirty) are serialised by the context lock.
 *
 * Entry flags follow the kernel mock: BOUNDARY marks the first and the last
 * mock page of each run mapped in one go at one page size (the kernel's
 * START/LAST, one bit for both); an unmap must begin and end on such a page
 * unless the domain has huge pages (the core may then break a run in the
 * middle).  HUGE marks pages mapped as part of a huge mock page; DIRTY is set
 * by IOMMU_TEST_OP_DIRTY and read back by dirty tracking.
 *
 * A nested mock domain (IOMMU_HWPT_DATA_SELFTEST) has no stage-1 table of
 * its own: it translates through its parent and carries the kernel mock's
 * IOTLB, MOCK_NESTED_DOMAIN_IOTLB_NUM values set from the allocation data,
 * which IOMMU_HWPT_INVALIDATE (IOMMU_HWPT_INVALIDATE_DATA_SELFTEST entries)
 * clears and IOMMU_TEST_OP_MD_CHECK_IOTLB reads.  The IOTLB values are
 * written under the context lock and read under it.
 *
 * The mock vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST, viommu.h) makes nested
 * domains that remember it: a device whose RID attaches to one must have a
 * vdevice in that vIOMMU, and records the vIOMMU and its virt_id for
 * IOMMU_TEST_OP_TRIGGER_VEVENT.  Its invalidation requests
 * (IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) clear a vdevice's device cache;
 * its HW queues (IOMMU_HW_QUEUE_TYPE_SELFTEST, at most
 * IOMMU_TEST_HW_QUEUE_MAX) start in index order, each holding the one
 * before it.  PASID IOMMU_TEST_PASID_RESERVED fails every other change of
 * domain, to exercise the core's rollback.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/immap.h"
#include "core/selftest.h"
#include "core/viommu.h"
#include "util/fault_inject.h"
#include "util/sys.h"

#define MOCK_PTE_PRESENT (1ull << 63)
#define MOCK_PTE_BOUNDARY (1ull << 62)
#define MOCK_PTE_DIRTY (1ull << 61)
#define MOCK_PTE_HUGE (1ull << 60)
#define MOCK_PTE_PFN_MASK ((1ull << 60) - 1)

#define MOCK_LEAF_ENTRIES 512

struct mock_iommu_domain {
	struct iommu_domain domain;
	unsigned int nr_leaves;
	uint64_t **leaves;		/* atomic pointers, NULL until mapped */
};

struct mock_nested_domain {
	struct iommu_domain domain;
	struct mock_iommu_domain *parent;
	struct iommufd_viommu *viommu;	/* made through a vIOMMU, or NULL */
	uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static size_t mock_page_size;

size_t mock_io_page_size(void)
{
	if (!mock_page_size)
		mock_page_size = sysconf(_SC_PAGESIZE) / 2;
	return mock_page_size;
}

static const struct iommu_domain_ops mock_domain_ops;
static const struct iommu_domain_ops mock_domain_dirty_ops;

static struct mock_iommu_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_iommu_domain, domain);
}

bool mock_domain_is_paging(struct iommu_domain *domain)
{
	return domain->ops == &mock_domain_ops ||
	       domain->ops == &mock_domain_dirty_ops;
}

static uint64_t mock_pte_index(uint64_t iova)
{
	return (iova - MOCK_APERTURE_START) / mock_io_page_size();
}

static uint64_t *mock_pte_leaf(struct mock_iommu_domain *mock, uint64_t index)
{
	return __atomic_load_n(&mock->leaves[index / MOCK_LEAF_ENTRIES],
			       __ATOMIC_ACQUIRE);
}

/* The entry for @iova, or 0 when nothing is mapped there. */
static uint64_t mock_pte_load(struct mock_iommu_domain *mock, uint64_t iova)
{
	uint64_t index, *leaf;

	if (iova < MOCK_APERTURE_START || iova > MOCK_APERTURE_LAST)
		return 0;
	index = mock_pte_index(iova);
	leaf = mock_pte_leaf(mock, index);
	if (!leaf)
		return 0;
	return __atomic_load_n(&leaf[index % MOCK_LEAF_ENTRIES],
			       __ATOMIC_RELAXED);
}

static uint64_t *mock_pte_slot(struct mock_iommu_domain *mock, uint64_t iova)
{
	uint64_t index = mock_pte_index(iova);

	return &mock_pte_leaf(mock, index)[index % MOCK_LEAF_ENTRIES];
}

static void mock_pte_store(uint64_t *slot, uint64_t pte)
{
	__atomic_store_n(slot, pte, __ATOMIC_RELAXED);
}

static bool mock_range_valid(uint64_t iova, uint64_t length)
{
	uint64_t last;

	return !__builtin_add_overflow(iova, length - 1, &last) &&
	       iova >= MOCK_APERTURE_START && last <= MOCK_APERTURE_LAST;
}

static int mock_alloc_leaves(struct mock_iommu_domain *mock, uint64_t iova,
			     uint64_t length)
{
	uint64_t first = mock_pte_index(iova) / MOCK_LEAF_ENTRIES;
	uint64_t last = mock_pte_index(iova + length - 1) / MOCK_LEAF_ENTRIES;

	for (uint64_t i = first; i <= last; i++) {
		uint64_t *leaf;

		if (mock->leaves[i])
			continue;
		leaf = ufi_calloc(MOCK_LEAF_ENTRIES, sizeof(*leaf));
		if (!leaf)
			return -ENOMEM;
		__atomic_store_n(&mock->leaves[i], leaf, __ATOMIC_RELEASE);
	}
	return 0;
}

/* Page size the kernel's iommu_map() would pick at (iova, phys). */
static size_t mock_pgsize(struct iommu_domain *domain, uint64_t iova,
			  uintptr_t phys, uint64_t remaining)
{
	size_t huge = mock_huge_page_size();

	if ((domain->pgsize_bitmap & huge) && remaining >= huge &&
	    !((iova | phys) & (huge - 1)))
		return huge;
	return mock_io_page_size();
}

static int mock_domain_map(struct iommu_domain *domain, uint64_t iova,
			   uintptr_t phys, uint64_t length, int prot)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	size_t page = mock_io_page_size();
	uint64_t *prev = NULL;
	size_t prev_pgsize = 0;
	int rc;

	if (!length)
		return 0;
	if (NEVER(iova % page || phys % page || length % page) ||
	    !mock_range_valid(iova, length))
		return -EINVAL;
	for (uint64_t off = 0; off < length; off += page)
		if (mock_pte_load(mock, iova + off))
			return -EEXIST;
	rc = mock_alloc_leaves(mock, iova, length);
	if (rc)
		return rc;

	while (length) {
		size_t pgsize = mock_pgsize(domain, iova, phys, length);
		uint64_t flags = MOCK_PTE_PRESENT;

		if (pgsize != page)
			flags |= MOCK_PTE_HUGE;
		for (size_t cur = 0; cur < pgsize; cur += page) {
			uint64_t *slot = mock_pte_slot(mock, iova);
			uint64_t pte = flags | (phys / page);

			/* A new run at a new page size starts a map call. */
			if (pgsize != prev_pgsize) {
				if (prev)
					mock_pte_store(prev,
						       *prev | MOCK_PTE_BOUNDARY);
				pte |= MOCK_PTE_BOUNDARY;
				prev_pgsize = pgsize;
			}
			mock_pte_store(slot, pte);
			prev = slot;
			iova += page;
			phys += page;
		}
		length -= pgsize;
	}
	mock_pte_store(prev, *prev | MOCK_PTE_BOUNDARY);
	return 0;
}

static uint64_t mock_domain_unmap(struct iommu_domain *domain, uint64_t iova,
				  uint64_t length,
				  struct iommu_dirty_bitmap *dirty)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	bool check = !(domain->pgsize_bitmap & mock_huge_page_size());
	size_t page = mock_io_page_size();

	if (!length || NEVER(iova % page || length % page) ||
	    !mock_range_valid(iova, length))
		return 0;
	for (uint64_t off = 0; off < length; off += page) {
		uint64_t pte = mock_pte_load(mock, iova + off);

		if (!pte)
			continue;
		/* The core unmaps whole map calls, never a piece of one. */
		if (check && (off == 0 || off + page == length))
			NEVER(!(pte & MOCK_PTE_BOUNDARY));
		if ((pte & MOCK_PTE_DIRTY) && dirty)
			iommu_dirty_record(dirty, iova + off, page);
		mock_pte_store(mock_pte_slot(mock, iova + off), 0);
	}
	return length;
}

static uintptr_t mock_domain_iova_to_phys(struct iommu_domain *domain,
					  uint64_t iova)
{
	size_t page = mock_io_page_size();
	uint64_t pte = mock_pte_load(to_mock_domain(domain), iova);

	if (!pte)
		return 0;
	return (pte & MOCK_PTE_PFN_MASK) * page + iova % page;
}

static int mock_domain_set_dirty_tracking(struct iommu_domain *domain,
					  bool enable)
{
	if (enable && domain->ops != &mock_domain_dirty_ops)
		return -EINVAL;
	domain->dirty_tracking = enable;
	return 0;
}

static bool mock_test_and_clear_dirty(struct mock_iommu_domain *mock,
				      uint64_t iova, size_t page_size,
				      unsigned long flags)
{
	size_t page = mock_io_page_size();
	bool dirty = false;

	for (uint64_t cur = iova; cur < iova + page_size; cur += page) {
		uint64_t pte = mock_pte_load(mock, cur);

		if (!(pte & MOCK_PTE_DIRTY))
			continue;
		dirty = true;
		if (!(flags & IOMMU_DIRTY_NO_CLEAR))
			mock_pte_store(mock_pte_slot(mock, cur),
				       pte & ~MOCK_PTE_DIRTY);
	}
	return dirty;
}

static int mock_domain_read_and_clear_dirty(struct iommu_domain *domain,
					    uint64_t iova, uint64_t length,
					    unsigned long flags,
					    struct iommu_dirty_bitmap *dirty)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	uint64_t end = iova + length;

	if (!domain->dirty_tracking && dirty)
		return -EINVAL;
	while (iova < end) {
		size_t pgsize = mock_io_page_size();
		uint64_t pte = mock_pte_load(mock, iova);
		uint64_t head;

		if (!pte) {
			iova += pgsize;
			continue;
		}
		if (pte & MOCK_PTE_HUGE)
			pgsize = mock_huge_page_size();
		head = iova & ~(uint64_t)(pgsize - 1);
		if (mock_test_and_clear_dirty(mock, head, pgsize, flags))
			iommu_dirty_record(dirty, iova, pgsize);
		iova += pgsize;
	}
	return 0;
}

bool mock_domain_mark_dirty(struct iommu_domain *domain, uint64_t iova)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	uint64_t pte = mock_pte_load(mock, iova);

	if (!pte)
		return false;
	mock_pte_store(mock_pte_slot(mock, iova), pte | MOCK_PTE_DIRTY);
	return true;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);

	for (unsigned int i = 0; i < mock->nr_leaves; i++) {
		uint64_t *leaf = mock->leaves[i];

		if (!leaf)
			continue;
		/* The core empties a domain before freeing it. */
		for (unsigned int j = 0; j < MOCK_LEAF_ENTRIES; j++)
			if (NEVER(leaf[j]))
				break;
		free(leaf);
	}
	free(mock->leaves);
	free(mock);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map = mock_domain_map,
	.unmap = mock_domain_unmap,
	.iova_to_phys = mock_domain_iova_to_phys,
	.free = mock_domain_free,
};

static const struct iommu_domain_ops mock_domain_dirty_ops = {
	.map = mock_domain_map,
	.unmap = mock_domain_unmap,
	.iova_to_phys = mock_domain_iova_to_phys,
	.set_dirty_tracking = mock_domain_set_dirty_tracking,
	.read_and_clear_dirty = mock_domain_read_and_clear_dirty,
	.free = mock_domain_free,
};

static struct mock_dev *to_mock_dev(struct iommu_dev *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

static struct iommu_domain *mock_domain_alloc(struct mock_dev *mdev,
					      bool dirty)
{
	uint64_t pages = (MOCK_APERTURE_LAST - MOCK_APERTURE_START + 1) /
			 mock_io_page_size();
	struct mock_iommu_domain *mock;

	mock = ufi_calloc(1, sizeof(*mock));
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mock->nr_leaves =
		(pages + MOCK_LEAF_ENTRIES - 1) / MOCK_LEAF_ENTRIES;
	mock->leaves = ufi_calloc(mock->nr_leaves, sizeof(*mock->leaves));
	if (!mock->leaves) {
		free(mock);
		return ERR_PTR(-ENOMEM);
	}
	mock->domain.ops = dirty ? &mock_domain_dirty_ops : &mock_domain_ops;
	mock->domain.type = IOMMU_DOMAIN_PAGING;
	mock->domain.pgsize_bitmap = mock_io_page_size();
	if (mdev->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		mock->domain.pgsize_bitmap |= mock_huge_page_size();
	mock->domain.aperture_start = MOCK_APERTURE_START;
	mock->domain.aperture_last = MOCK_APERTURE_LAST;
	mock->domain.owner = mock;
	return &mock->domain;
}

static void *mock_dev_hw_info(struct iommu_dev *dev, uint32_t *length,
			      uint32_t *type)
{
	struct iommu_test_hw_info *info;

	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	info = ufi_calloc(1, sizeof(*info));
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static bool mock_dev_capable(struct iommu_dev *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	default:
		return false;
	}
}

static struct iommu_domain *
mock_domain_alloc_paging_flags(struct iommu_dev *dev, uint32_t flags,
			       const struct iommu_user_data *user_data)
{
	const uint32_t paging_flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_PASID;
	struct mock_dev *mdev = to_mock_dev(dev);
	bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;

	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & ~paging_flags) ||
	    (dirty && (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY)))
		return ERR_PTR(-EOPNOTSUPP);
	return mock_domain_alloc(mdev, dirty);
}

static const struct iommu_domain_ops mock_nested_ops;

static struct mock_nested_domain *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested_domain, domain);
}

bool mock_domain_is_nested(struct iommu_domain *domain)
{
	return domain->ops == &mock_nested_ops;
}

uint32_t mock_nested_iotlb(struct iommu_domain *domain, unsigned int id)
{
	return to_mock_nested(domain)->iotlb[id];
}

/* Stage 1 is the identity: DMA sees the parent's translation. */
static uintptr_t mock_nested_iova_to_phys(struct iommu_domain *domain,
					  uint64_t iova)
{
	struct iommu_domain *parent = &to_mock_nested(domain)->parent->domain;

	return parent->ops->iova_to_phys(parent, iova);
}

static void mock_nested_free(struct iommu_domain *domain)
{
	free(to_mock_nested(domain));
}

static const struct iommu_domain_ops mock_nested_ops = {
	.iova_to_phys = mock_nested_iova_to_phys,
	.free = mock_nested_free,
};

static struct iommu_domain *
mock_domain_alloc_nested(struct iommu_dev *dev, struct iommu_domain *parent,
			 uint32_t flags, const struct iommu_user_data *user_data)
{
	(void)dev;
	struct mock_nested_domain *mock_nested;
	struct iommu_hwpt_selftest cfg;
	int rc;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID)
		return ERR_PTR(-EOPNOTSUPP);
	if (!parent || !mock_domain_is_paging(parent))
		return ERR_PTR(-EINVAL);
	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	rc = iommu_copy_struct_from_user(
		&cfg, sizeof(cfg),
		offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(cfg.iotlb),
		user_data, IOMMU_HWPT_DATA_SELFTEST);
	if (rc)
		return ERR_PTR(rc);

	mock_nested = ufi_calloc(1, sizeof(*mock_nested));
	if (!mock_nested)
		return ERR_PTR(-ENOMEM);
	mock_nested->parent = to_mock_domain(parent);
	mock_nested->domain.ops = &mock_nested_ops;
	mock_nested->domain.type = IOMMU_DOMAIN_NESTED;
	mock_nested->domain.pgsize_bitmap = parent->pgsize_bitmap;
	mock_nested->domain.aperture_start = parent->aperture_start;
	mock_nested->domain.aperture_last = parent->aperture_last;
	mock_nested->domain.owner = mock_nested;
	for (unsigned int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		mock_nested->iotlb[i] = cfg.iotlb;
	return &mock_nested->domain;
}

static int mock_nested_cache_invalidate_user(struct iommu_domain *domain,
					     struct iommu_user_data_array *array)
{
	struct mock_nested_domain *mock_nested = to_mock_nested(domain);
	struct iommu_hwpt_invalidate_selftest inv;
	uint32_t done = 0;
	int rc = 0;

	if (NEVER(!mock_domain_is_nested(domain))) {
		rc = -EINVAL;
		goto out;
	}
	/* uAPI: the type is checked even for an empty array. */
	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (; done < array->entry_num; done++) {
		rc = iommu_copy_struct_from_user_array(
			&inv, sizeof(inv),
			offsetof(struct iommu_hwpt_invalidate_selftest,
				 iotlb_id) +
				sizeof(inv.iotlb_id),
			array, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, done);
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		/* uAPI: the id is checked even when FLAG_ALL ignores it. */
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			memset(mock_nested->iotlb, 0,
			       sizeof(mock_nested->iotlb));
		else
			mock_nested->iotlb[inv.iotlb_id] = 0;
	}
out:
	array->entry_num = done;
	return rc;
}

/*
 * uAPI (test mock): on IOMMU_TEST_PASID_RESERVED every other change of
 * domain fails with ENOMEM, so tests can watch a failed replace leave the
 * old domain in place; detaching resets the cycle.
 */
static int mock_dev_pasid_reserved_check(struct mock_dev *mdev,
					 struct iommu_domain *domain)
{
	if (!domain) {
		mdev->pasid_reserved_fail = false;
		return 0;
	}
	if (mdev->pasid_reserved_fail) {
		mdev->pasid_reserved_fail = false;
		return -ENOMEM;
	}
	mdev->pasid_reserved_fail = true;
	return 0;
}

/* Track the vIOMMU of the RID's nested domain (NULL: none). */
static int mock_dev_set_viommu(struct mock_dev *mdev,
			       struct iommu_domain *domain)
{
	struct iommufd_viommu *viommu = NULL;
	uint64_t vdev_id = 0;
	int rc;

	if (domain && mock_domain_is_nested(domain))
		viommu = to_mock_nested(domain)->viommu;
	if (viommu) {
		/* uAPI: a vIOMMU's nested domain needs the device's vdevice. */
		rc = iommufd_viommu_get_vdev_id(viommu, &mdev->dev, &vdev_id);
		if (rc)
			return rc;
	}
	mdev->viommu = viommu;
	mdev->vdev_id = vdev_id;
	return 0;
}

static int mock_dev_attach(struct iommu_dev *dev, uint32_t pasid,
			   struct iommu_domain *domain,
			   struct iommu_domain *old)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	(void)old;
	if (domain && !mock_domain_is_paging(domain) &&
	    !mock_domain_is_nested(domain))
		return -EINVAL;
	/* uAPI: a dirty-tracking domain refuses devices that can't track. */
	if (domain && domain->ops == &mock_domain_dirty_ops &&
	    (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID)
		return mock_dev_set_viommu(mdev, domain);
	if (pasid == IOMMU_TEST_PASID_RESERVED)
		return mock_dev_pasid_reserved_check(mdev, domain);
	return 0;
}

/* ---- the mock vIOMMU --------------------------------------------------- */

struct mock_viommu {
	struct mock_iommu_domain *s2_parent;
	struct iommufd_hw_queue *hw_queue[IOMMU_TEST_HW_QUEUE_MAX];
	int page_fd;			/* the mmap page's memfd, or -1 */
	uint64_t mmap_offset;		/* its offer in the iommufd */
};

/* The test mock's mmap page: two pages, the first u32 echoes in_data. */
#define MOCK_VIOMMU_MMAP_PAGES 2

static struct mock_viommu *to_mock_viommu(struct iommufd_viommu *viommu)
{
	return viommu->priv;
}

static bool mock_viommu_supports(uint32_t type)
{
	return type == IOMMU_VIOMMU_TYPE_SELFTEST;
}

/*
 * uAPI (test mock): with driver data, the vIOMMU offers a zeroed two-page
 * area for mmap() of the iommufd whose first u32 holds in_data; out_data
 * echoes in_data and out_mmap_offset/length tell where the area is.
 */
static int mock_viommu_mmap_page(struct iommufd_viommu *viommu,
				 struct mock_viommu *mock_viommu,
				 struct iommu_viommu_selftest *data)
{
	uint64_t len = MOCK_VIOMMU_MMAP_PAGES * sysconf(_SC_PAGESIZE);
	int fd, rc;

	fd = ufile_memfd_new("uiommu-mock-viommu", len);
	if (fd < 0)
		return fd;
	if (pwrite(fd, &data->in_data, sizeof(data->in_data), 0) !=
	    sizeof(data->in_data)) {
		rc = -ENOMEM;
		goto err_close;
	}
	rc = iommufd_ctx_alloc_mmap(viommu->ictx, &viommu->obj, fd, len,
				    &mock_viommu->mmap_offset);
	if (rc)
		goto err_close;
	mock_viommu->page_fd = fd;
	data->out_mmap_offset = mock_viommu->mmap_offset;
	data->out_mmap_length = len;
	return 0;

err_close:
	sys_close(fd);
	return rc;
}

static void mock_viommu_free(struct iommufd_viommu *viommu,
			     struct mock_viommu *mock_viommu)
{
	if (mock_viommu->page_fd >= 0) {
		iommufd_ctx_destroy_mmap(viommu->ictx,
					 mock_viommu->mmap_offset);
		sys_close(mock_viommu->page_fd);
	}
	free(mock_viommu);
}

static int mock_viommu_init(struct iommufd_viommu *viommu,
			    struct iommu_domain *parent,
			    const struct iommu_user_data *user_data)
{
	struct mock_viommu *mock_viommu;
	struct iommu_viommu_selftest data;
	int rc;

	if (!mock_domain_is_paging(parent))
		return -EINVAL;
	mock_viommu = ufi_calloc(1, sizeof(*mock_viommu));
	if (!mock_viommu)
		return -ENOMEM;
	mock_viommu->page_fd = -1;
	if (user_data) {
		rc = iommu_copy_struct_from_user(
			&data, sizeof(data),
			offsetof(struct iommu_viommu_selftest, out_data) +
				sizeof(data.out_data),
			user_data, IOMMU_VIOMMU_TYPE_SELFTEST);
		if (rc)
			goto err_free;
		rc = mock_viommu_mmap_page(viommu, mock_viommu, &data);
		if (rc)
			goto err_free;
		data.out_data = data.in_data;
		if (copy_to_user((void *)user_data->uptr, &data,
				 min_t(size_t, user_data->len, sizeof(data)))) {
			rc = -EFAULT;
			goto err_free;
		}
	}
	mock_viommu->s2_parent = to_mock_domain(parent);
	viommu->priv = mock_viommu;
	return 0;

err_free:
	mock_viommu_free(viommu, mock_viommu);
	return rc;
}

static void mock_viommu_destroy(struct iommufd_viommu *viommu)
{
	mock_viommu_free(viommu, viommu->priv);
	viommu->priv = NULL;
}

static struct iommu_domain *
mock_viommu_alloc_domain_nested(struct iommufd_viommu *viommu, uint32_t flags,
				const struct iommu_user_data *user_data)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(viommu);
	struct iommu_domain *domain;

	domain = mock_domain_alloc_nested(NULL, &mock_viommu->s2_parent->domain,
					  flags, user_data);
	if (!IS_ERR(domain))
		to_mock_nested(domain)->viommu = viommu;
	return domain;
}

static int mock_viommu_cache_invalidate(struct iommufd_viommu *viommu,
					struct iommu_user_data_array *array)
{
	struct iommu_viommu_invalidate_selftest *cmds;
	uint32_t done = 0;
	int rc = 0;

	/* uAPI: an empty array of the right type probes support. */
	if (array->type != IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	if (!array->entry_num)
		goto out;
	cmds = ufi_calloc(array->entry_num, sizeof(*cmds));
	if (!cmds) {
		rc = -ENOMEM;
		goto out;
	}
	/* uAPI: the whole array is read before any entry is run. */
	for (uint32_t i = 0; i < array->entry_num; i++) {
		rc = copy_struct_from_user(
			&cmds[i], sizeof(cmds[i]),
			uptr_add(array->uptr, (uint64_t)i * array->entry_len),
			array->entry_len);
		if (rc)
			goto out_free;
	}
	for (; done < array->entry_num; done++) {
		struct iommu_viommu_invalidate_selftest *cur = &cmds[done];
		struct iommu_dev *dev;
		struct mock_dev *mdev;

		if (cur->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (cur->cache_id > MOCK_DEV_CACHE_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		dev = iommufd_viommu_find_dev(viommu, cur->vdev_id);
		mdev = dev ? mock_dev_from_dev(dev) : NULL;
		if (!mdev) {
			rc = -EINVAL;
			break;
		}
		if (cur->flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			memset(mdev->cache, 0, sizeof(mdev->cache));
		else
			mdev->cache[cur->cache_id] = 0;
	}
out_free:
	free(cmds);
out:
	array->entry_num = done;
	return rc;
}

static bool mock_hw_queue_supports(uint32_t type)
{
	return type == IOMMU_HW_QUEUE_TYPE_SELFTEST;
}

static int mock_hw_queue_init(struct iommufd_hw_queue *hw_queue,
			      uint32_t index, uintptr_t base_pa)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(hw_queue->viommu);
	struct iommu_domain *s2 = &mock_viommu->s2_parent->domain;
	struct iommufd_hw_queue *prev = NULL;

	if (index >= IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;
	if (mock_viommu->hw_queue[index])
		return -EEXIST;
	/* uAPI (test mock): queues come in order; each needs the one before. */
	if (index) {
		prev = mock_viommu->hw_queue[index - 1];
		if (!prev)
			return -EIO;
	}
	/* The core's translation of the guest queue must be the domain's. */
	if (base_pa != s2->ops->iova_to_phys(s2, hw_queue->base_addr))
		return -EFAULT;
	if (prev)
		iommufd_object_get_user(&prev->obj);
	hw_queue->priv = prev;
	mock_viommu->hw_queue[index] = hw_queue;
	return 0;
}

static void mock_hw_queue_destroy(struct iommufd_hw_queue *hw_queue)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(hw_queue->viommu);
	struct iommufd_hw_queue *prev = hw_queue->priv;

	for (unsigned int i = 0; i < IOMMU_TEST_HW_QUEUE_MAX; i++)
		if (mock_viommu->hw_queue[i] == hw_queue)
			mock_viommu->hw_queue[i] = NULL;
	if (prev)
		iommufd_object_put_user(&prev->obj);
}

static const struct iommu_viommu_driver mock_viommu_driver = {
	.supports = mock_viommu_supports,
	.init = mock_viommu_init,
	.destroy = mock_viommu_destroy,
	.alloc_domain_nested = mock_viommu_alloc_domain_nested,
	.cache_invalidate = mock_viommu_cache_invalidate,
	.hw_queue_supports = mock_hw_queue_supports,
	.hw_queue_init = mock_hw_queue_init,
	.hw_queue_destroy = mock_hw_queue_destroy,
};

static const struct iommu_dev_ops mock_dev_ops = {
	.name = "iommufd_mock",
	.hw_info = mock_dev_hw_info,
	.capable = mock_dev_capable,
	.domain_alloc_paging_flags = mock_domain_alloc_paging_flags,
	.domain_alloc_nested = mock_domain_alloc_nested,
	.attach_dev = mock_dev_attach,
	.cache_invalidate_user = mock_nested_cache_invalidate_user,
	.user_pasid_table = true,
	.viommu_driver = &mock_viommu_driver,
};

struct mock_dev *mock_dev_from_dev(struct iommu_dev *dev)
{
	return dev->ops == &mock_dev_ops ? to_mock_dev(dev) : NULL;
}

struct mock_dev *mock_dev_create(uint32_t dev_flags)
{
	const uint32_t valid_flags = MOCK_FLAGS_DEVICE_NO_DIRTY |
				     MOCK_FLAGS_DEVICE_HUGE_IOVA |
				     MOCK_FLAGS_DEVICE_PASID;
	struct mock_dev *mdev;
	int rc;

	if (dev_flags & ~valid_flags)
		return ERR_PTR(-EINVAL);
	mdev = ufi_calloc(1, sizeof(*mdev));
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->flags = dev_flags;
	for (unsigned int i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		mdev->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	mdev->dev.ops = &mock_dev_ops;
	mdev->dev.priv = mdev;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID)
		mdev->dev.max_pasids = 1u << MOCK_PASID_WIDTH;
	rc = iommu_dev_add(&mdev->dev, NULL);
	if (rc) {
		free(mdev);
		return ERR_PTR(rc);
	}
	return mdev;
}

void mock_dev_destroy(struct mock_dev *mdev)
{
	iommu_dev_remove(&mdev->dev);
	free(mdev);
}
