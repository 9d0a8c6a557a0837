/*
 * nested_test.c - nested HWPTs of the test mock (IOMMU_HWPT_DATA_SELFTEST)
 * over a NEST_PARENT paging HWPT: allocation rules, attach and replace,
 * the nested mock domain's IOTLB (IOMMU_TEST_OP_MD_CHECK_IOTLB) and
 * IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_SELFTEST entries.
 *
 * Every errno here was checked against a real kernel (Linux 6.12 with the
 * test mock) except where a comment names the 6.13-6.17 change it follows.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

static const uint32_t selftest_min_len =
	offsetof(struct iommu_hwpt_selftest, iotlb) +
	sizeof(((struct iommu_hwpt_selftest *)0)->iotlb);

/* A nested mock HWPT whose IOTLB entries all start at @iotlb. */
static int nested_alloc(int fd, uint32_t dev_id, uint32_t parent_id,
			uint32_t flags, uint32_t iotlb, uint32_t *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = iotlb };

	return t_hwpt_alloc_full(fd, dev_id, parent_id, flags, 0,
			         IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			         hwpt_id);
}

static void check_iotlb_all(int fd, uint32_t hwpt_id, uint32_t iotlb)
{
	for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		CHECK_OK(t_check_iotlb(fd, hwpt_id, i, iotlb));
}

static int inv_selftest(int fd, uint32_t hwpt_id, const void *reqs,
			uint32_t *num)
{
	return t_hwpt_invalidate(
	    fd, hwpt_id, reqs, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    sizeof(struct iommu_hwpt_invalidate_selftest), num);
}

/* A parent (NEST_PARENT) HWPT for the fixture's first device. */
static uint32_t parent_alloc(struct fixture *self)
{
	uint32_t parent;

	CHECK_OK(t_hwpt_alloc(self->fd, self->device_id[0], self->ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	return parent;
}

/* ---- allocation ---------------------------------------------------- */

VARIANT_TEST(nested_alloc_needs_a_nest_parent)
{
	uint32_t parent, plain, nested, out;

	if (!self->mock_domains) {
		/* uAPI: the device is looked up first. */
		CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0],
					 self->ioas_id, 0,
					 IOMMU_TEST_IOTLB_DEFAULT, &out),
			    ENOENT);
		return;
	}
	parent = parent_alloc(self);
	CHECK_OK(t_hwpt_alloc(self->fd, self->device_id[0], self->ioas_id, 0,
			      &plain));
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	CHECK(nested != parent);
	/* uAPI: a paging HWPT made without NEST_PARENT cannot be a parent. */
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0], plain, 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EINVAL);
	/* uAPI: neither can an auto domain, nor a nested HWPT. */
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0],
				 self->hwpt_id[0], 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EINVAL);
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0], nested, 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EINVAL);
	/* uAPI: a missing pt_id is EINVAL, a missing device ENOENT. */
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0], NO_ID, 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EINVAL);
	CHECK_ERRNO(nested_alloc(self->fd, NO_ID, parent, 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    ENOENT);
	CHECK_ERRNO(nested_alloc(self->fd, self->ioas_id, parent, 0,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    ENOENT);
	/* uAPI: selftest data on an IOAS asks the mock for a paging domain. */
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0], self->ioas_id,
				 0, IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EOPNOTSUPP);
	/* Any mock device of the context may make one over the parent. */
	if (self->mock_domains > 1)
		CHECK_OK(nested_alloc(self->fd, self->device_id[1], parent, 0,
				      IOMMU_TEST_IOTLB_DEFAULT, &out));
}

VARIANT_TEST(nested_alloc_data_rules)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct {
		struct iommu_hwpt_selftest data;
		uint32_t tail;
	} big = { { IOMMU_TEST_IOTLB_DEFAULT }, 0 };
	uint32_t parent, out, dev = self->device_id[0];
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	/* uAPI: data without a type, and a type without data, are EINVAL. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_NONE, &data, sizeof(data),
				      &out),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST, &data, 0, &out),
		    EINVAL);
	/* uAPI: no data at all on a paging parent is no nesting request. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_NONE, NULL, 0, &out),
		    EOPNOTSUPP);
	/* uAPI: the mock knows one data type. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST + 1, &data,
				      sizeof(data), &out),
		    EOPNOTSUPP);
	/* uAPI: shorter than the first version of the struct: EINVAL. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST, &data,
				      selftest_min_len - 1, &out),
		    EINVAL);
	/* uAPI: longer than the driver's struct: EINVAL, zero tail or not. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST, &big,
				      sizeof(big), &out),
		    EINVAL);
	big.tail = 1;
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST, &big,
				      sizeof(big), &out),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				      IOMMU_HWPT_DATA_SELFTEST, NULL,
				      sizeof(data), &out),
		    EFAULT);
	/* The data's iotlb value fills every IOTLB entry. */
	data.iotlb = 0x1234;
	CHECK_OK(t_hwpt_alloc_full(fd, dev, parent, 0, 0,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &out));
	check_iotlb_all(fd, out, 0x1234);
}

VARIANT_TEST(nested_alloc_flag_rules)
{
	uint32_t parent, out, dev = self->device_id[0];
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	/* uAPI: a nested HWPT takes FAULT_ID_VALID and PASID only. */
	CHECK_ERRNO(nested_alloc(fd, dev, parent, IOMMU_HWPT_ALLOC_NEST_PARENT,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(nested_alloc(fd, dev, parent,
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(nested_alloc(fd, dev, parent, 1u << 31,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    EOPNOTSUPP);
	/* 6.15+: the mock's nested domains accept IOMMU_HWPT_ALLOC_PASID. */
	CHECK_OK(nested_alloc(fd, dev, parent, IOMMU_HWPT_ALLOC_PASID,
			      IOMMU_TEST_IOTLB_DEFAULT, &out));
	/* uAPI: FAULT_ID_VALID names a fault object: ENOENT otherwise. */
	CHECK_ERRNO(nested_alloc(fd, dev, parent, IOMMU_HWPT_FAULT_ID_VALID,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    ENOENT);
	{
		struct iommu_hwpt_selftest data = {
			.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
		};

		CHECK_ERRNO(t_hwpt_alloc_full(fd, dev, parent,
					      IOMMU_HWPT_FAULT_ID_VALID,
					      self->ioas_id,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data), &out),
			    ENOENT);
	}
}

VARIANT_TEST(nested_failed_alloc_leaves_no_id)
{
	uint32_t parent, out, next;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_ERRNO(nested_alloc(self->fd, self->device_id[0], parent,
				 IOMMU_HWPT_FAULT_ID_VALID,
				 IOMMU_TEST_IOTLB_DEFAULT, &out),
		    ENOENT);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &next));
	CHECK_EQ(next, parent + 1);
}

VARIANT_TEST(nested_parent_is_busy_while_nested_exist)
{
	uint32_t parent, nested[2];

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[0]));
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[1]));
	/* uAPI: a nested HWPT holds its parent. */
	CHECK_ERRNO(t_destroy(self->fd, parent), EBUSY);
	CHECK_OK(t_destroy(self->fd, nested[0]));
	CHECK_ERRNO(t_destroy(self->fd, parent), EBUSY);
	CHECK_OK(t_destroy(self->fd, nested[1]));
	CHECK_OK(t_destroy(self->fd, parent));
	CHECK_ERRNO(t_destroy(self->fd, nested[1]), ENOENT);
}

TEST(nested_close_context_with_nested_attached)
{
	struct fixture f;
	uint32_t parent, nested;

	fixture_setup(&f, 1);
	parent = parent_alloc(&f);
	CHECK_OK(nested_alloc(f.fd, f.device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], nested, NULL));
	/* Closing tears down device, nested HWPT and parent in order. */
	fixture_teardown(&f);
}

/* ---- MD_CHECK_IOTLB ------------------------------------------------ */

VARIANT_TEST(nested_check_iotlb_rules)
{
	uint32_t parent, nested;

	if (!self->mock_domains) {
		CHECK_ERRNO(t_check_iotlb(self->fd, self->ioas_id, 0, 0),
			    ENOENT);
		return;
	}
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	check_iotlb_all(self->fd, nested, IOMMU_TEST_IOTLB_DEFAULT);
	/* uAPI: a value that differs, or an id past the last, is EINVAL. */
	CHECK_ERRNO(t_check_iotlb(self->fd, nested, 0, 0), EINVAL);
	CHECK_ERRNO(t_check_iotlb(self->fd, nested,
				  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
				  IOMMU_TEST_IOTLB_DEFAULT),
		    EINVAL);
	/* uAPI: only a nested HWPT has one: ENOENT for anything else. */
	CHECK_ERRNO(
	    t_check_iotlb(self->fd, parent, 0, IOMMU_TEST_IOTLB_DEFAULT),
	    ENOENT);
	CHECK_ERRNO(t_check_iotlb(self->fd, self->hwpt_id[0], 0,
				  IOMMU_TEST_IOTLB_DEFAULT),
		    ENOENT);
	CHECK_ERRNO(t_check_iotlb(self->fd, NO_ID, 0, IOMMU_TEST_IOTLB_DEFAULT),
		    ENOENT);
}

/* ---- attach and replace -------------------------------------------- */

VARIANT_TEST(nested_attach_and_replace)
{
	uint32_t parent, nested[2], stdev, hwpt;
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	if (!self->mock_domains) {
		CHECK_ERRNO(
		    t_mock_replace(self->fd, self->stdev_id[0], NO_ID, NULL),
		    ENOENT);
		return;
	}
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[0]));
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[1]));

	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], nested[0], NULL));
	/* uAPI: an attached nested HWPT is busy. */
	CHECK_ERRNO(t_destroy(self->fd, nested[0]), EBUSY);
	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], nested[1], NULL));
	CHECK_ERRNO(t_destroy(self->fd, nested[1]), EBUSY);
	CHECK_OK(t_destroy(self->fd, nested[0]));

	/* A new mock device attaches straight to a nested HWPT. */
	cmd.id = nested[1];
	CHECK_OK(t_test_cmd(self->fd, &cmd));
	stdev = cmd.mock_domain.out_stdev_id;
	hwpt = cmd.mock_domain.out_hwpt_id;
	CHECK_EQ(hwpt, nested[1]);
	CHECK_OK(t_destroy(self->fd, stdev));

	/* Back to the parent, then to the IOAS (an auto domain again). */
	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], parent, NULL));
	CHECK_OK(t_destroy(self->fd, nested[1]));
	CHECK_ERRNO(t_destroy(self->fd, parent), EBUSY);
	CHECK_OK(
	    t_mock_replace(self->fd, self->stdev_id[0], self->ioas_id, NULL));
	CHECK_OK(t_destroy(self->fd, parent));
}

VARIANT_TEST(nested_mappings_follow_the_parent)
{
	size_t len = PAGE_SIZE_T * 4;
	char *buf = t_buffer(len);
	uint32_t parent, nested;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.check_map = { .iova = MOCK_APERTURE_START, .length = len,
			       .uptr = (uintptr_t)buf },
	};

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], nested, NULL));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, len,
				  MOCK_APERTURE_START));
	/* The parent mirrors the IOAS; the nested HWPT is no paging one. */
	cmd.id = parent;
	CHECK_OK(t_test_cmd(self->fd, &cmd));
	cmd.id = nested;
	CHECK_ERRNO(t_test_cmd(self->fd, &cmd), ENOENT);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START,
			      len, NULL));
	munmap(buf, len);
}

/* ---- IOMMU_HWPT_INVALIDATE ----------------------------------------- */

VARIANT_TEST(nested_invalidate_argument_rules)
{
	struct iommu_hwpt_invalidate_selftest reqs[2] = {};
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	uint32_t parent, nested, num;
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));

	/* uAPI: non-zero __reserved first, and entry_num comes back 0. */
	cmd.hwpt_id = nested;
	cmd.__reserved = 1;
	cmd.entry_num = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd), EOPNOTSUPP);
	CHECK_EQ(cmd.entry_num, 0);

	/* uAPI: an empty array only checks the data type. */
	num = 0;
	CHECK_OK(inv_selftest(fd, nested, reqs, &num));
	CHECK_EQ(num, 0);
	num = 0;
	CHECK_OK(t_hwpt_invalidate(
	    fd, nested, NULL, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num));
	num = 0;
	CHECK_ERRNO(t_hwpt_invalidate(
			fd, nested, NULL,
			IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0, &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(
	    t_hwpt_invalidate(fd, nested, reqs,
			      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
			      sizeof(reqs[0]), &num),
	    EINVAL);
	CHECK_EQ(num, 0);

	/* uAPI: a non-empty array needs a pointer and an entry size. */
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, NULL, &num), EINVAL);
	CHECK_EQ(num, 0);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(fd, nested, reqs,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0,
				      &num),
		    EINVAL);
	CHECK_EQ(num, 0);

	/* 6.13+: only a nested HWPT (or vIOMMU) has a user cache: EINVAL. */
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, parent, reqs, &num), EINVAL);
	CHECK_EQ(num, 0);
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, self->device_id[0], reqs, &num), EINVAL);
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, NO_ID, reqs, &num), ENOENT);
	check_iotlb_all(fd, nested, IOMMU_TEST_IOTLB_DEFAULT);
}

VARIANT_TEST(nested_invalidate_entry_len_rules)
{
	struct iommu_hwpt_invalidate_selftest reqs[2] = {};
	struct {
		struct iommu_hwpt_invalidate_selftest req;
		uint32_t tail;
	} big[2] = {};
	uint32_t parent, nested, num;
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	/* uAPI: shorter than the first version of the entry: EINVAL. */
	for (uint32_t len = 1; len < sizeof(reqs[0]); len++) {
		num = 1;
		CHECK_ERRNO(t_hwpt_invalidate(
				fd, nested, reqs,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, len, &num),
			    EINVAL);
		CHECK_EQ(num, 0);
	}
	/* uAPI: longer than the driver's entry: EINVAL, zero tail or not. */
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(fd, nested, big,
			              IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			              sizeof(reqs[0]) + 1, &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(fd, nested, big,
			              IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			              sizeof(big[0]), &num),
		    EINVAL);
	big[0].tail = 7;
	num = 2;
	CHECK_ERRNO(t_hwpt_invalidate(fd, nested, big,
			              IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			              sizeof(big[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(fd, nested, reqs,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				      UINT32_MAX, &num),
		    EINVAL);
	check_iotlb_all(fd, nested, IOMMU_TEST_IOTLB_DEFAULT);
	/* The exact size works. */
	num = 1;
	reqs[0].iotlb_id = 2;
	CHECK_OK(inv_selftest(fd, nested, reqs, &num));
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_iotlb(fd, nested, 2, 0));
}

VARIANT_TEST(nested_invalidate_entry_rules)
{
	struct iommu_hwpt_invalidate_selftest reqs[2] = {};
	uint32_t parent, nested, num;
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	/* uAPI: unknown flags in an entry are EOPNOTSUPP. */
	reqs[0].flags = 0xffffffff;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, reqs, &num), EOPNOTSUPP);
	CHECK_EQ(num, 0);
	reqs[0].flags = 1u << 1;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, reqs, &num), EOPNOTSUPP);
	/* uAPI: an iotlb_id past the last is EINVAL, even with FLAG_ALL. */
	reqs[0].flags = 0;
	reqs[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, reqs, &num), EINVAL);
	CHECK_EQ(num, 0);
	reqs[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, reqs, &num), EINVAL);
	check_iotlb_all(fd, nested, IOMMU_TEST_IOTLB_DEFAULT);
	/* uAPI: a bad array pointer is EFAULT. */
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, nested, (void *)8, &num), EFAULT);
	CHECK_EQ(num, 0);

	/* Entries clear their own IOTLB entry... */
	reqs[0].flags = 0;
	reqs[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
	num = 1;
	CHECK_OK(inv_selftest(fd, nested, reqs, &num));
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_iotlb(fd, nested, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, 0));
	CHECK_OK(t_check_iotlb(fd, nested, 0, IOMMU_TEST_IOTLB_DEFAULT));
	/* ...or, with FLAG_ALL, every entry whatever the id says. */
	reqs[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	reqs[0].iotlb_id = 1;
	num = 1;
	CHECK_OK(inv_selftest(fd, nested, reqs, &num));
	CHECK_EQ(num, 1);
	check_iotlb_all(fd, nested, 0);
}

VARIANT_TEST(nested_invalidate_reports_partial_progress)
{
	struct iommu_hwpt_invalidate_selftest reqs[3] = {};
	uint32_t parent, nested[2], num;
	size_t page = PAGE_SIZE_T;
	char *two;
	int fd = self->fd;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[0]));
	CHECK_OK(nested_alloc(fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested[1]));

	/* uAPI: entry_num returns the entries done before the failing one. */
	reqs[0].iotlb_id = 0;
	reqs[1].flags = 0xffffffff;
	reqs[1].iotlb_id = 1;
	num = 2;
	CHECK_ERRNO(inv_selftest(fd, nested[0], reqs, &num), EOPNOTSUPP);
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_iotlb(fd, nested[0], 0, 0));
	CHECK_OK(t_check_iotlb(fd, nested[0], 1, IOMMU_TEST_IOTLB_DEFAULT));

	reqs[1].flags = 0;
	reqs[1].iotlb_id = 1;
	reqs[2].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 3;
	CHECK_ERRNO(inv_selftest(fd, nested[0], reqs, &num), EINVAL);
	CHECK_EQ(num, 2);
	CHECK_OK(t_check_iotlb(fd, nested[0], 1, 0));
	CHECK_OK(t_check_iotlb(fd, nested[0], 2, IOMMU_TEST_IOTLB_DEFAULT));

	/* The second entry on an unmapped page: EFAULT after one. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED);
	CHECK_OK(munmap(two + page, page));
	memset(two + page - sizeof(reqs[0]), 0, sizeof(reqs[0]));
	((struct iommu_hwpt_invalidate_selftest *)(two + page))[-1]
		.iotlb_id = 3;
	num = 2;
	CHECK_ERRNO(inv_selftest(fd, nested[0],
				 two + page - sizeof(reqs[0]), &num),
		    EFAULT);
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_iotlb(fd, nested[0], 3, 0));
	munmap(two, page);

	/* Invalidation of one nested HWPT leaves the other alone. */
	check_iotlb_all(fd, nested[1], IOMMU_TEST_IOTLB_DEFAULT);
	reqs[0].iotlb_id = 2;
	reqs[1].iotlb_id = 3;
	num = 2;
	CHECK_OK(inv_selftest(fd, nested[1], reqs, &num));
	CHECK_EQ(num, 2);
	CHECK_OK(t_check_iotlb(fd, nested[1], 0, IOMMU_TEST_IOTLB_DEFAULT));
	CHECK_OK(t_check_iotlb(fd, nested[1], 2, 0));
	CHECK_OK(t_check_iotlb(fd, nested[1], 3, 0));
}

VARIANT_TEST(nested_invalidate_while_attached)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	uint32_t parent, nested, num = 1;

	if (!self->mock_domains)
		return;
	parent = parent_alloc(self);
	CHECK_OK(nested_alloc(self->fd, self->device_id[0], parent, 0,
			      IOMMU_TEST_IOTLB_DEFAULT, &nested));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(
		    t_mock_replace(self->fd, self->stdev_id[i], nested, NULL));
	CHECK_OK(inv_selftest(self->fd, nested, &req, &num));
	CHECK_EQ(num, 1);
	check_iotlb_all(self->fd, nested, 0);
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_mock_replace(self->fd, self->stdev_id[i],
				        self->ioas_id, NULL));
	CHECK_OK(t_destroy(self->fd, nested));
	CHECK_OK(t_destroy(self->fd, parent));
}
