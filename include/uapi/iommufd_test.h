/* SPDX-License-Identifier: MIT */
/*
 * iommufd_test.h - uiommu's text of the iommufd test-mock ABI.
 *
 * Target: Linux v6.17 (drivers/iommu/iommufd/iommufd_test.h).  This is the
 * ABI the kernel's iommufd selftest speaks to the mock IOMMU driver: one
 * multiplexed ioctl, IOMMU_TEST_CMD, whose op picks a union member, plus
 * magic type numbers that select the mock driver's formats in the regular
 * iommufd ioctls.  Numbers and layouts are the kernel's; comments are ours.
 *
 * uAPI: the op values are consecutive from 1 in the order below; "id" in
 * struct iommu_test_cmd names the object an op works on (an IOAS, a mock
 * device's stdev_id, a HWPT...), as stated per op.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>

#include "linux/iommufd.h"

/* Values of iommu_test_cmd.op. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,	/* id: IOAS */
	IOMMU_TEST_OP_MOCK_DOMAIN,	/* id: IOAS or HWPT to attach to */
	IOMMU_TEST_OP_MD_CHECK_MAP,	/* id: mock HWPT */
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,	/* id: IOAS */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, /* id: access fd */
	IOMMU_TEST_OP_ACCESS_PAGES,	/* id: access fd */
	IOMMU_TEST_OP_ACCESS_RW,	/* id: access fd */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, /* id: stdev_id */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, /* id: access fd */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, /* as MOCK_DOMAIN, with dev_flags */
	IOMMU_TEST_OP_DIRTY,		/* id: mock HWPT */
	IOMMU_TEST_OP_MD_CHECK_IOTLB,	/* id: nested mock HWPT */
	IOMMU_TEST_OP_TRIGGER_IOPF,
	IOMMU_TEST_OP_DEV_CHECK_CACHE,	/* id: idev_id */
	IOMMU_TEST_OP_TRIGGER_VEVENT,
	IOMMU_TEST_OP_PASID_ATTACH,	/* id: stdev_id */
	IOMMU_TEST_OP_PASID_REPLACE,	/* id: stdev_id */
	IOMMU_TEST_OP_PASID_DETACH,	/* id: stdev_id */
	IOMMU_TEST_OP_PASID_CHECK_HWPT,	/* id: stdev_id */
};

/* uAPI: the IOVA window of every mock domain, inclusive. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* access_pages.flags. */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags. */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags: the access object needs pinned pages. */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags. */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,	/* no dirty tracking */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,	/* huge-page mock domain */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,	/* device supports PASID */
};

/* Entries of a nested mock domain's IOTLB. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* Entries of a mock device's cache (vIOMMU invalidation target). */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* A PASID the PASID-replace test keeps for itself. */
#define IOMMU_TEST_PASID_RESERVED 1024

/* IOMMU_TEST_CMD argument; the union member is chosen by op. */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;	/* the selftest device object */
			__u32 out_hwpt_id;
			__u32 out_idev_id;	/* its ordinary bound device */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;	/* MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;	/* expected backing memory */
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;		/* expected page refcount */
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;		/* MOCK_ACCESS_RW_* */
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;	/* bitmap of pages to dirty */
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;		/* IOTLB entry */
			__u32 iotlb;		/* expected value */
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;		/* cache entry */
			__u32 cache;		/* expected value */
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;		/* expected */
		} pasid_check;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of the mock IOMMU and device. */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO data of the mock driver. */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* IOMMU_HWPT_ALLOC data_type of a nested mock domain (no real type's value). */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/* IOMMU_HWPT_DATA_SELFTEST data. */
struct iommu_hwpt_selftest {
	__u32 iotlb;		/* initial value of every IOTLB entry */
};

/* IOMMU_HWPT_INVALIDATE data_type for a nested mock domain, and a bad one. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* Bit of the invalidate entries' flags: every entry, the index is ignored. */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL	(1 << 0)

/* IOMMU_HWPT_INVALIDATE_DATA_SELFTEST entry. */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* IOMMU_VIOMMU_ALLOC type of the mock vIOMMU. */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/* IOMMU_VIOMMU_TYPE_SELFTEST data: out_data echoes in_data. */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;	/* mmap() of the iommufd fd */
	__aligned_u64 out_mmap_length;
};

/* IOMMU_HWPT_INVALIDATE data_type for a mock vIOMMU, and a bad one. */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST entry: a vdevice's cache entry. */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* IOMMU_VEVENTQ_ALLOC type of the mock vIOMMU, and its record. */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* IOMMU_HW_QUEUE_ALLOC type of the mock vIOMMU, and its queue count. */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif /* _UAPI_IOMMUFD_TEST_H */
