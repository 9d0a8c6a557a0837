/*
 * mock_test.c - the test mock (IOMMU_TEST_CMD) and what it exercises of the
 * object model: mock devices and their auto domains, paging HWPTs
 * (IOMMU_HWPT_ALLOC), attach/replace/destroy ordering, MD_CHECK_MAP and
 * MD_CHECK_REFS, access objects and their fds, reserved IOVA,
 * IOMMU_GET_HW_INFO and IOMMU_VFIO_IOAS.
 *
 * Every errno here was checked against a real kernel (Linux 6.12 with the
 * test mock) except where a comment names the 6.13-6.17 change it follows.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

static int access_replace(int fd, int afd, uint32_t ioas_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = afd,
		.access_replace_ioas.ioas_id = ioas_id,
	};

	return t_test_cmd(fd, &cmd);
}

static int memory_limit(int fd, uint32_t limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit.limit = limit,
	};

	return t_test_cmd(fd, &cmd);
}

static int vfio_ioas(int fd, uint16_t op, uint32_t *ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = *ioas_id,
	};
	int ret = t_ioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!ret)
		*ioas_id = cmd.ioas_id;
	return ret;
}

/* ---- mock devices and their domains -------------------------------- */

TEST(mock_domain_ids_follow_kernel_order)
{
	int fd = t_open_iommufd();
	uint32_t ioas, stdev, hwpt, idev;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, &stdev, &hwpt, &idev));
	/* uAPI: selftest object, then the bound device, then its domain. */
	CHECK_EQ(ioas, 1);
	CHECK_EQ(stdev, 2);
	CHECK_EQ(idev, 3);
	CHECK_EQ(hwpt, 4);
	t_close(fd);
}

TEST(mock_domain_needs_an_ioas_or_hwpt)
{
	int fd = t_open_iommufd();
	uint32_t ioas, stdev, hwpt, idev, next;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_ERRNO(t_mock_domain(fd, NO_ID, NULL, NULL, NULL), ENOENT);
	CHECK_ERRNO(t_mock_domain(fd, 0, NULL, NULL, NULL), ENOENT);
	CHECK_OK(t_mock_domain(fd, ioas, &stdev, &hwpt, &idev));
	/* uAPI: a device or a selftest object is not a page table. */
	CHECK_ERRNO(t_mock_domain(fd, idev, NULL, NULL, NULL), EINVAL);
	CHECK_ERRNO(t_mock_domain(fd, stdev, NULL, NULL, NULL), EINVAL);
	/* The failed attempts left no ids behind. */
	CHECK_OK(t_ioas_alloc(fd, &next));
	CHECK_EQ(next, hwpt + 1);
	t_close(fd);
}

TEST(mock_domain_flags_are_checked)
{
	int fd = t_open_iommufd();
	uint32_t ioas, hwpt[3], next;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_ERRNO(t_mock_domain_flags(fd, ioas, 1u << 5, NULL, NULL, NULL),
		    EINVAL);
	CHECK_ERRNO(t_mock_domain_flags(fd, ioas, UINT32_MAX, NULL, NULL, NULL),
		    EINVAL);
	CHECK_OK(t_mock_domain_flags(fd, ioas, 0, NULL, &hwpt[0], NULL));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL,
				     &hwpt[1], NULL));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				     NULL, &hwpt[2], NULL));
	/* The auto domain made for the first device serves the others. */
	CHECK_EQ(hwpt[1], hwpt[0]);
	CHECK_EQ(hwpt[2], hwpt[0]);
	/* 6.15+: MOCK_FLAGS_DEVICE_PASID is valid (6.12 said EINVAL). */
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_PASID, NULL,
				     NULL, NULL));
	CHECK_OK(t_ioas_alloc(fd, &next));
	CHECK_EQ(next, 2 + 4 * 2 + 1);
	t_close(fd);
}

VARIANT_TEST(mock_ioas_destroy_is_busy_while_a_domain_uses_it)
{
	if (self->mock_domains) {
		/* uAPI: the IOAS under a HWPT cannot go. */
		CHECK_ERRNO(t_destroy(self->fd, self->ioas_id), EBUSY);
		for (unsigned int i = 0; i < self->mock_domains; i++)
			CHECK_OK(t_destroy(self->fd, self->stdev_id[i]));
	}
	CHECK_OK(t_destroy(self->fd, self->ioas_id));
	CHECK_ERRNO(t_destroy(self->fd, self->ioas_id), ENOENT);
}

VARIANT_TEST(mock_device_and_hwpt_are_busy_while_attached)
{
	if (!self->mock_domains) {
		CHECK_ERRNO(t_destroy(self->fd, self->hwpt_id[0]), ENOENT);
		return;
	}
	/* uAPI: the bound device is owned by its selftest object... */
	CHECK_ERRNO(t_destroy(self->fd, self->device_id[0]), EBUSY);
	/* ...and an attached HWPT by its devices. */
	CHECK_ERRNO(t_destroy(self->fd, self->hwpt_id[0]), EBUSY);
	CHECK_OK(t_destroy(self->fd, self->stdev_id[0]));
	CHECK_ERRNO(t_destroy(self->fd, self->device_id[0]), ENOENT);
	CHECK_ERRNO(t_destroy(self->fd, self->stdev_id[0]), ENOENT);
	if (self->mock_domains == 2) {
		/* Both devices shared one auto domain: it stays for the other. */
		CHECK_EQ(self->hwpt_id[1], self->hwpt_id[0]);
		CHECK_ERRNO(t_destroy(self->fd, self->hwpt_id[0]), EBUSY);
		CHECK_OK(t_destroy(self->fd, self->stdev_id[1]));
	}
	/* uAPI: an auto domain goes with its last device. */
	CHECK_ERRNO(t_destroy(self->fd, self->hwpt_id[0]), ENOENT);
	CHECK_OK(t_destroy(self->fd, self->ioas_id));
}

VARIANT_TEST(mock_domain_attaches_to_a_hwpt)
{
	uint32_t stdev, hwpt;

	if (!self->mock_domains) {
		CHECK_ERRNO(t_mock_domain(self->fd, self->hwpt_id[0], NULL,
					  NULL, NULL),
			    ENOENT);
		return;
	}
	CHECK_OK(t_mock_domain(self->fd, self->hwpt_id[0], &stdev, &hwpt,
			       NULL));
	CHECK_EQ(hwpt, self->hwpt_id[0]);
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_destroy(self->fd, self->stdev_id[i]));
	/* The device attached by id keeps the auto domain alive. */
	CHECK_ERRNO(t_destroy(self->fd, hwpt), EBUSY);
	CHECK_OK(t_destroy(self->fd, stdev));
	CHECK_ERRNO(t_destroy(self->fd, hwpt), ENOENT);
}

TEST(mock_auto_domain_never_picks_a_user_hwpt)
{
	int fd = t_open_iommufd();
	uint32_t a, b, idev, user_hwpt, stdev, auto_hwpt;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_mock_domain(fd, a, NULL, NULL, &idev));
	CHECK_OK(t_hwpt_alloc(fd, idev, b, 0, &user_hwpt));
	CHECK_OK(t_mock_domain(fd, b, &stdev, &auto_hwpt, NULL));
	CHECK(auto_hwpt != user_hwpt);
	/* An unattached user HWPT can be destroyed; its IOAS then too. */
	CHECK_OK(t_destroy(fd, user_hwpt));
	CHECK_ERRNO(t_destroy(fd, b), EBUSY);
	CHECK_OK(t_destroy(fd, stdev));
	CHECK_OK(t_destroy(fd, b));
	t_close(fd);
}

TEST(mock_domain_needs_the_ioas_inside_its_aperture)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(PAGE_SIZE_T);
	uint32_t ioas, next, hwpt, idev;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, PAGE_SIZE_T, 0));
	/* uAPI: a domain that cannot hold every area is refused. */
	CHECK_ERRNO(t_mock_domain(fd, ioas, NULL, NULL, NULL), EADDRINUSE);
	CHECK_OK(t_ioas_alloc(fd, &next));
	CHECK_EQ(next, ioas + 1);
	CHECK_OK(t_mock_domain(fd, next, NULL, NULL, &idev));
	CHECK_ERRNO(t_hwpt_alloc(fd, idev, ioas, 0, &hwpt), EADDRINUSE);
	CHECK_OK(t_ioas_unmap(fd, ioas, 0, PAGE_SIZE_T, NULL));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, &hwpt, NULL));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, PAGE_SIZE_T,
				  MOCK_APERTURE_START));
	CHECK_OK(t_check_map(fd, hwpt, MOCK_APERTURE_START, PAGE_SIZE_T, buf));
	t_close(fd);
}

/*
 * A command struct the kernel can read but not write back: the op runs,
 * fails with EFAULT at the response and leaves nothing behind.
 */
static void *ro_copy(const void *cmd, size_t len)
{
	void *p = t_buffer(PAGE_SIZE_T);

	memcpy(p, cmd, len);
	CHECK_OK(mprotect(p, PAGE_SIZE_T, PROT_READ));
	return p;
}

TEST(mock_unwritable_response_leaves_nothing)
{
	int fd = t_open_iommufd();
	size_t p = PAGE_SIZE_T;
	char *buf = t_buffer(2 * p);
	struct iommu_test_cmd cmd = { .size = sizeof(cmd) };
	struct iommu_hwpt_alloc hcmd = { .size = sizeof(hcmd) };
	uint32_t ioas, next, idev, id;
	int afd;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	cmd.id = ioas;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_TEST_CMD, ro_copy(&cmd, sizeof(cmd))),
		    EFAULT);
	CHECK_OK(t_destroy(fd, ioas));
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_EQ(ioas, 1);

	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, &idev));
	hcmd.dev_id = idev;
	hcmd.pt_id = ioas;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_HWPT_ALLOC, ro_copy(&hcmd, sizeof(hcmd))),
		    EFAULT);
	CHECK_OK(t_ioas_alloc(fd, &next));
	CHECK_EQ(next, 5);

	/* The rest works on an IOAS without domains: only accesses pin. */
	cmd.op = IOMMU_TEST_OP_CREATE_ACCESS;
	cmd.id = next;
	cmd.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_TEST_CMD, ro_copy(&cmd, sizeof(cmd))),
		    EFAULT);
	CHECK_OK(t_create_access(
	    fd, next, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_EQ(id, next + 2);

	CHECK_OK(t_ioas_map_fixed(fd, next, buf, 2 * p, MOCK_APERTURE_START));
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
	cmd.id = afd;
	cmd.access_pages.iova = MOCK_APERTURE_START + p;
	cmd.access_pages.length = p;
	cmd.access_pages.uptr = (uintptr_t)(buf + p);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_TEST_CMD, ro_copy(&cmd, sizeof(cmd))),
		    EFAULT);
	CHECK_OK(t_check_refs(fd, buf, 2 * p, 0));
	/* The failed pin took item id 0, as in the kernel. */
	CHECK_OK(t_access_pages(fd, afd, MOCK_APERTURE_START, p, buf, 0, &id));
	CHECK_EQ(id, 1);
	CHECK_OK(t_check_refs(fd, buf, p, 1));
	CHECK_OK(t_close(afd));
	CHECK_OK(t_check_refs(fd, buf, 2 * p, 0));
	t_close(fd);
}

/* ---- MOCK_DOMAIN_REPLACE ---------------------------------------------- */

TEST(mock_replace_checks_its_ids)
{
	int fd = t_open_iommufd();
	uint32_t a, b, stdev, hwpt, idev;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_mock_domain(fd, a, &stdev, &hwpt, &idev));
	CHECK_ERRNO(t_mock_replace(fd, NO_ID, b, NULL), ENOENT);
	/* uAPI: the op names the selftest object, not the device. */
	CHECK_ERRNO(t_mock_replace(fd, idev, b, NULL), ENOENT);
	CHECK_ERRNO(t_mock_replace(fd, stdev, NO_ID, NULL), ENOENT);
	CHECK_ERRNO(t_mock_replace(fd, stdev, idev, NULL), EINVAL);
	CHECK_ERRNO(t_mock_replace(fd, stdev, stdev, NULL), EINVAL);
	/* Nothing moved. */
	CHECK_ERRNO(t_destroy(fd, hwpt), EBUSY);
	CHECK_OK(t_destroy(fd, b));
	t_close(fd);
}

TEST(mock_replace_moves_between_ioas)
{
	int fd = t_open_iommufd();
	uint32_t a, b, stdev, hwpt_a, hwpt_b, again;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_mock_domain(fd, a, &stdev, &hwpt_a, NULL));
	CHECK_OK(t_mock_replace(fd, stdev, b, &hwpt_b));
	CHECK(hwpt_b != hwpt_a);
	/* uAPI: the old auto domain went with its last device. */
	CHECK_ERRNO(t_mock_replace(fd, stdev, hwpt_a, NULL), ENOENT);
	CHECK_OK(t_destroy(fd, a));
	CHECK_ERRNO(t_destroy(fd, b), EBUSY);
	/* Replacing with the same IOAS or HWPT is a no-op. */
	CHECK_OK(t_mock_replace(fd, stdev, b, &again));
	CHECK_EQ(again, hwpt_b);
	CHECK_OK(t_mock_replace(fd, stdev, hwpt_b, &again));
	CHECK_EQ(again, hwpt_b);
	CHECK_OK(t_destroy(fd, stdev));
	CHECK_OK(t_destroy(fd, b));
	t_close(fd);
}

TEST(mock_replace_keeps_a_shared_auto_domain)
{
	int fd = t_open_iommufd();
	uint32_t a, b, s1, s2, h1, h2, hb, back;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_mock_domain(fd, a, &s1, &h1, NULL));
	CHECK_OK(t_mock_domain(fd, a, &s2, &h2, NULL));
	CHECK_EQ(h1, h2);
	CHECK_OK(t_mock_replace(fd, s1, b, &hb));
	CHECK_ERRNO(t_destroy(fd, h1), EBUSY);
	CHECK_OK(t_mock_replace(fd, s1, h1, &back));
	CHECK_EQ(back, h1);
	/* The domain made on b went when s1 left it. */
	CHECK_ERRNO(t_destroy(fd, hb), ENOENT);
	CHECK_OK(t_destroy(fd, b));
	t_close(fd);
}

TEST(mock_replace_rotates_user_hwpts)
{
	int fd = t_open_iommufd();
	uint32_t ioas, stdev, idev, hwpt[3], s2, h2;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, &stdev, NULL, &idev));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, 0, &hwpt[0]));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      &hwpt[1]));
	/* 6.13+: a HWPT may be made PASID compatible. */
	CHECK_OK(
	    t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, &hwpt[2]));
	CHECK_OK(t_mock_replace(fd, stdev, hwpt[2], NULL));
	CHECK_OK(t_mock_replace(fd, stdev, hwpt[0], NULL));
	CHECK_OK(t_destroy(fd, hwpt[2]));
	CHECK_ERRNO(t_destroy(fd, hwpt[0]), EBUSY);
	CHECK_OK(t_mock_replace(fd, stdev, hwpt[1], NULL));
	CHECK_ERRNO(t_destroy(fd, hwpt[1]), EBUSY);
	/* A user HWPT outlives its devices. */
	CHECK_OK(t_mock_replace(fd, stdev, ioas, NULL));
	CHECK_OK(t_destroy(fd, hwpt[1]));
	CHECK_OK(t_mock_domain(fd, hwpt[0], &s2, &h2, NULL));
	CHECK_EQ(h2, hwpt[0]);
	CHECK_OK(t_destroy(fd, s2));
	CHECK_OK(t_destroy(fd, hwpt[0]));
	t_close(fd);
}

/* ---- IOMMU_HWPT_ALLOC ------------------------------------------------- */

VARIANT_TEST(mock_hwpt_alloc_checks)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	uint32_t dev = self->device_id[0], hwpt;

	if (!self->mock_domains) {
		CHECK_ERRNO(
		    t_hwpt_alloc(self->fd, dev, self->ioas_id, 0, &hwpt),
		    ENOENT);
		return;
	}
	CHECK_ERRNO(t_hwpt_alloc(self->fd, NO_ID, self->ioas_id, 0, &hwpt),
		    ENOENT);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, self->ioas_id, self->ioas_id, 0,
			         &hwpt),
		    ENOENT);
	/* uAPI: a missing or wrong pt_id is EINVAL here. */
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, NO_ID, 0, &hwpt), EINVAL);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, dev, 0, &hwpt), EINVAL);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, self->stdev_id[0], 0, &hwpt),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, self->ioas_id,
			         ~IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, self->ioas_id, 1u << 31, &hwpt),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_hwpt_alloc(self->fd, dev, self->ioas_id,
			         IOMMU_HWPT_ALLOC_NEST_PARENT |
				         IOMMU_HWPT_FAULT_ID_VALID,
			         &hwpt),
		    EOPNOTSUPP);
	cmd.dev_id = dev;
	cmd.pt_id = self->ioas_id;
	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd), EOPNOTSUPP);
	/* uAPI: data needs a type and a type needs data. */
	CHECK_ERRNO(t_hwpt_alloc_data(self->fd, dev, self->ioas_id, 0, &hwpt,
				      IOMMU_HWPT_DATA_NONE, &data,
				      sizeof(data)),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_data(self->fd, dev, self->ioas_id, 0, &hwpt,
				      IOMMU_HWPT_DATA_SELFTEST, &data, 0),
		    EINVAL);
	/* The mock's paging domains take no driver data. */
	CHECK_ERRNO(t_hwpt_alloc_data(self->fd, dev, self->ioas_id, 0, &hwpt,
				      IOMMU_HWPT_DATA_SELFTEST, &data,
				      sizeof(data)),
		    EOPNOTSUPP);
	/*
	 * 6.14+: a paging HWPT may take faults, so a bad fault_id is ENOENT
	 * (6.12 refused the flag itself with EOPNOTSUPP).
	 */
	cmd.__reserved = 0;
	cmd.flags = IOMMU_HWPT_FAULT_ID_VALID;
	cmd.fault_id = NO_ID;
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd), ENOENT);
	/* Nothing was left behind by the failures. */
	CHECK_OK(t_hwpt_alloc(self->fd, dev, self->ioas_id, 0, &hwpt));
	CHECK_EQ(hwpt, self->hwpt_id[0] + 1 + (self->mock_domains - 1) * 2);
	CHECK_OK(t_destroy(self->fd, hwpt));
}

TEST(mock_hwpt_alloc_reserved2_is_ignored)
{
	int fd = t_open_iommufd();
	uint32_t ioas, idev;
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, &idev));
	cmd.dev_id = idev;
	cmd.pt_id = ioas;
	cmd.__reserved2 = 5;
	CHECK_OK(t_ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	CHECK_OK(t_destroy(fd, cmd.out_hwpt_id));
	t_close(fd);
}

TEST(mock_hwpt_dirty_tracking_needs_a_capable_device)
{
	int fd = t_open_iommufd();
	uint32_t ioas, idev, idev_nd, stdev_nd, dirty, plain, h;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, &idev));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY,
				     &stdev_nd, NULL, &idev_nd));
	CHECK_ERRNO(t_hwpt_alloc(fd, idev_nd, ioas,
			         IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty),
		    EOPNOTSUPP);
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &dirty));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, 0, &plain));
	/* uAPI: a dirty-tracking domain refuses a device that can't track. */
	CHECK_ERRNO(t_mock_domain_flags(fd, dirty, MOCK_FLAGS_DEVICE_NO_DIRTY,
				        NULL, NULL, NULL),
		    EINVAL);
	CHECK_ERRNO(t_mock_replace(fd, stdev_nd, dirty, NULL), EINVAL);
	CHECK_OK(t_mock_replace(fd, stdev_nd, plain, NULL));
	CHECK_OK(t_mock_domain_flags(fd, dirty, 0, NULL, &h, NULL));
	CHECK_EQ(h, dirty);
	CHECK_ERRNO(t_destroy(fd, plain), EBUSY);
	CHECK_OK(t_mock_replace(fd, stdev_nd, ioas, NULL));
	CHECK_OK(t_destroy(fd, plain));
	t_close(fd);
}

TEST(mock_hwpt_nested_parent_rules)
{
	int fd = t_open_iommufd();
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t ioas, idev, auto_hwpt, plain, out;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, &auto_hwpt, &idev));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, 0, &plain));
	/* Flags are checked first. */
	CHECK_ERRNO(t_hwpt_alloc_data(fd, idev, auto_hwpt,
				      IOMMU_HWPT_ALLOC_NEST_PARENT, &out,
				      IOMMU_HWPT_DATA_SELFTEST, &data,
				      sizeof(data)),
		    EOPNOTSUPP);
	/* uAPI: only a user-made NEST_PARENT HWPT can be a parent. */
	CHECK_ERRNO(t_hwpt_alloc_data(fd, idev, auto_hwpt, 0, &out,
				      IOMMU_HWPT_DATA_SELFTEST, &data,
				      sizeof(data)),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_data(fd, idev, plain, 0, &out,
				      IOMMU_HWPT_DATA_SELFTEST, &data,
				      sizeof(data)),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_data(fd, idev, plain, 0, &out,
				      IOMMU_HWPT_DATA_NONE, &data,
				      sizeof(data)),
		    EINVAL);
	CHECK_OK(t_destroy(fd, plain));
	t_close(fd);
}

VARIANT_TEST(mock_hwpt_invalidate_checks)
{
	struct iommu_hwpt_invalidate_selftest reqs[2] = {};
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	uint32_t num;

	cmd.__reserved = 1;
	cmd.entry_num = 1;
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd),
		    EOPNOTSUPP);
	/* uAPI: entry_num always comes back as the entries handled. */
	CHECK_EQ(cmd.entry_num, 0);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(self->fd, self->hwpt_id[0], NULL,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				      sizeof(reqs[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(self->fd, self->hwpt_id[0], reqs,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0,
				      &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(self->fd, NO_ID, reqs,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				      sizeof(reqs[0]), &num),
		    ENOENT);
	if (!self->mock_domains)
		return;
	/*
	 * 6.13+: a paging HWPT has no cache of the user's to invalidate:
	 * EINVAL (6.12 looked up a nested HWPT only and said ENOENT).
	 */
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(self->fd, self->hwpt_id[0], reqs,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				      sizeof(reqs[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	num = 0;
	CHECK_ERRNO(t_hwpt_invalidate(self->fd, self->ioas_id, NULL,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0,
				      &num),
		    EINVAL);
}

/* ---- dirty tracking -------------------------------------------------- */

static int set_dirty_tracking(int fd, uint32_t hwpt_id, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt_id,
	};

	return t_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_dirty_bitmap(int fd, uint32_t hwpt_id, uint32_t flags,
			    uint64_t iova, uint64_t length, uint64_t page_size,
			    void *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return t_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

static int mock_dirty(int fd, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size, const void *bitmap,
		      uint64_t *nr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = { .iova = iova, .length = length,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int ret = t_test_cmd(fd, &cmd);

	if (!ret && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return ret;
}

TEST(mock_dirty_tracking)
{
	int fd = t_open_iommufd();
	size_t p = PAGE_SIZE_T, mp = MOCK_PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START, nr, set[2] = { 0x5 }, out[2];
	char *buf = t_buffer(8 * p);
	struct iommu_hwpt_get_dirty_bitmap gcmd = { .size = sizeof(gcmd) };
	uint32_t ioas, plain, dirty, idev;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, &plain, &idev));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &dirty));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, 8 * p, base));

	CHECK_ERRNO(set_dirty_tracking(fd, dirty, 1u << 1), EOPNOTSUPP);
	CHECK_ERRNO(set_dirty_tracking(fd, NO_ID, 1), ENOENT);
	CHECK_ERRNO(set_dirty_tracking(fd, ioas, 1), ENOENT);
	/* uAPI: only a HWPT allocated with DIRTY_TRACKING can track. */
	CHECK_ERRNO(set_dirty_tracking(fd, plain,
				       IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
		    EOPNOTSUPP);
	CHECK_ERRNO(set_dirty_tracking(fd, plain, 0), EOPNOTSUPP);
	/* The mock marks pages dirty only while tracking is on. */
	CHECK_ERRNO(mock_dirty(fd, dirty, base, 8 * p, mp, set, &nr), EINVAL);

	CHECK_OK(set_dirty_tracking(fd, dirty,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	CHECK_OK(set_dirty_tracking(fd, dirty,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	CHECK_OK(mock_dirty(fd, dirty, base, 8 * p, mp, set, &nr));
	CHECK_EQ(nr, 2);
	/* Unmapped pages are not counted. */
	CHECK_OK(mock_dirty(fd, dirty, base + 16 * p, p, mp, set, &nr));
	CHECK_EQ(nr, 0);
	CHECK_ERRNO(mock_dirty(fd, dirty, base, 8 * p, 0, set, &nr), EINVAL);
	CHECK_ERRNO(mock_dirty(fd, dirty, base, 0, mp, set, &nr), EINVAL);
	CHECK_ERRNO(mock_dirty(fd, dirty, base + 1, p, mp, set, &nr), EINVAL);
	CHECK_ERRNO(mock_dirty(fd, dirty, base, p, mp, NULL, &nr), EINVAL);
	CHECK_ERRNO(mock_dirty(fd, NO_ID, base, p, mp, set, &nr), ENOENT);
	CHECK_ERRNO(mock_dirty(fd, dirty, base, p, mp, (void *)8, &nr),
		    EFAULT);

	/* uAPI: NO_CLEAR reads without clearing; a plain read clears. */
	memset(out, 0, sizeof(out));
	CHECK_OK(get_dirty_bitmap(fd, dirty,
				  IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base,
				  8 * p, mp, out));
	CHECK_EQ(out[0], 0x5);
	memset(out, 0, sizeof(out));
	CHECK_OK(get_dirty_bitmap(fd, dirty, 0, base, 8 * p, mp, out));
	CHECK_EQ(out[0], 0x5);
	memset(out, 0, sizeof(out));
	CHECK_OK(get_dirty_bitmap(fd, dirty, 0, base, 8 * p, mp, out));
	CHECK_EQ(out[0], 0);

	CHECK_ERRNO(get_dirty_bitmap(fd, dirty, 1u << 1, base, 8 * p, mp, out),
		    EOPNOTSUPP);
	gcmd.hwpt_id = dirty;
	gcmd.__reserved = 1;
	gcmd.iova = base;
	gcmd.length = p;
	gcmd.page_size = mp;
	gcmd.data = (uintptr_t)out;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gcmd),
		    EOPNOTSUPP);
	CHECK_ERRNO(get_dirty_bitmap(fd, NO_ID, 0, base, p, mp, out), ENOENT);
	CHECK_ERRNO(get_dirty_bitmap(fd, dirty, 0, base, p, 0, out), EINVAL);
	CHECK_ERRNO(get_dirty_bitmap(fd, dirty, 0, base + 1, p, mp, out),
		    EINVAL);
	CHECK_ERRNO(get_dirty_bitmap(fd, plain, 0, base, p, mp, out),
		    EOPNOTSUPP);

	/* uAPI: a device that can't track can't join a tracking HWPT. */
	CHECK_ERRNO(t_mock_domain_flags(fd, dirty, MOCK_FLAGS_DEVICE_NO_DIRTY,
				        NULL, NULL, NULL),
		    EINVAL);
	CHECK_OK(set_dirty_tracking(fd, dirty, 0));
	CHECK_OK(t_destroy(fd, dirty));
	t_close(fd);
}

TEST(mock_dirty_tracking_huge_pages)
{
	int fd = t_open_iommufd();
	size_t mp = MOCK_PAGE_SIZE_T, huge = 512 * mp;
	char *raw = t_buffer(4 * huge);
	char *buf = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	uint64_t base = MOCK_APERTURE_START, nr, set[16] = { 0 }, out[16];
	uint32_t ioas, idev, dirty;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				     NULL, NULL, &idev));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &dirty));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, 2 * huge, base));
	CHECK_OK(set_dirty_tracking(fd, dirty,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	/*
	 * uiommu's physical memory is the owner's VA, so an aligned VA run is
	 * a huge page, as hugetlb memory is in the kernel (where anon memory
	 * would be mapped in small pages and report one mock page).  One
	 * dirty mock page in the second huge page...
	 */
	set[8] = 1ull << 3;
	CHECK_OK(mock_dirty(fd, dirty, base, 2 * huge, mp, set, &nr));
	CHECK_EQ(nr, 1);
	/* ...reports the whole huge page. */
	memset(out, 0, sizeof(out));
	CHECK_OK(get_dirty_bitmap(fd, dirty, 0, base, 2 * huge, mp, out));
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(out[i], i < 8 ? 0 : UINT64_MAX);
	memset(out, 0, sizeof(out));
	CHECK_OK(get_dirty_bitmap(fd, dirty, 0, base, 2 * huge, mp, out));
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(out[i], 0);
	CHECK_OK(t_ioas_unmap(fd, ioas, base, 2 * huge, NULL));
	CHECK_OK(t_destroy(fd, dirty));
	t_close(fd);
}

/* ---- IOMMU_GET_HW_INFO ------------------------------------------------ */

static int hw_info(int fd, uint32_t dev_id, uint32_t flags, uint32_t type,
		   void *data, uint32_t len, struct iommu_hw_info *out)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.in_data_type = type,
	};
	int ret = t_ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (out)
		*out = cmd;
	return ret;
}

VARIANT_TEST(mock_get_hw_info)
{
	struct iommu_test_hw_info exact;
	struct {
		struct iommu_test_hw_info info;
		uint64_t trailing;
	} larger;
	uint32_t smaller;
	struct iommu_hw_info out;
	uint32_t dev = self->device_id[0];

	if (!self->mock_domains) {
		CHECK_ERRNO(hw_info(self->fd, dev, 0, 0, &exact, sizeof(exact),
				    NULL),
			    ENOENT);
		CHECK_ERRNO(hw_info(self->fd, self->ioas_id, 0, 0, &exact,
				    sizeof(exact), NULL),
			    ENOENT);
		return;
	}
	/* A zero-size buffer still reports the type and the full length. */
	CHECK_OK(hw_info(self->fd, dev, 0, 0, NULL, 0, &out));
	CHECK_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	CHECK_EQ(out.data_len, sizeof(struct iommu_test_hw_info));
	CHECK_EQ(out.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	CHECK_EQ(out.out_max_pasid_log2, 0);

	memset(&exact, 0xaa, sizeof(exact));
	CHECK_OK(hw_info(self->fd, dev, 0, 0, &exact, sizeof(exact), &out));
	CHECK_EQ(exact.flags, 0);
	CHECK_EQ(exact.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);

	/* uAPI: bytes past what the driver has are zeroed. */
	memset(&larger, 0xaa, sizeof(larger));
	CHECK_OK(hw_info(self->fd, dev, 0, 0, &larger, sizeof(larger), &out));
	CHECK_EQ(out.data_len, sizeof(struct iommu_test_hw_info));
	CHECK_EQ(larger.info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	CHECK_EQ(larger.trailing, 0);

	/* uAPI: a short buffer gets what fits. */
	smaller = 0xaaaaaaaa;
	CHECK_OK(hw_info(self->fd, dev, 0, 0, &smaller, sizeof(smaller),
			 &out));
	CHECK_EQ(smaller, 0);
	CHECK_EQ(out.data_len, sizeof(struct iommu_test_hw_info));

	CHECK_ERRNO(hw_info(self->fd, dev, 0, 0, (void *)8, sizeof(exact),
			    NULL),
		    EFAULT);
	CHECK_OK(hw_info(self->fd, dev, 0, 0, (void *)8, 0, NULL));
}

TEST(mock_get_hw_info_checks)
{
	int fd = t_open_iommufd();
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd = { .size = sizeof(cmd) };
	struct iommu_hw_info out;
	uint32_t ioas, dev, dev_nd, dev_pasid;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, &dev));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL,
				     NULL, &dev_nd));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_PASID, NULL,
				     NULL, &dev_pasid));
	CHECK_ERRNO(hw_info(fd, NO_ID, 0, 0, NULL, 0, NULL), ENOENT);
	cmd.dev_id = dev;
	cmd.__reserved[1] = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_GET_HW_INFO, &cmd), EOPNOTSUPP);
	CHECK_ERRNO(hw_info(fd, dev, 1u << 1, 0, NULL, 0, NULL), EOPNOTSUPP);
	CHECK_ERRNO(hw_info(fd, dev, UINT32_MAX, 0, NULL, 0, NULL),
		    EOPNOTSUPP);

	/* 6.17: FLAG_INPUT_TYPE asks for a type; the driver refuses others. */
	CHECK_ERRNO(hw_info(fd, dev, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			    IOMMU_HW_INFO_TYPE_SELFTEST + 1, &info,
			    sizeof(info), NULL),
		    EOPNOTSUPP);
	CHECK_OK(hw_info(fd, dev, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			 IOMMU_HW_INFO_TYPE_SELFTEST, &info, sizeof(info),
			 &out));
	CHECK_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	/* Without the flag the type field is output only. */
	CHECK_OK(hw_info(fd, dev, 0, IOMMU_HW_INFO_TYPE_SELFTEST + 1, &info,
			 sizeof(info), &out));
	CHECK_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);

	CHECK_OK(hw_info(fd, dev_nd, 0, 0, NULL, 0, &out));
	CHECK_EQ(out.out_capabilities, 0);
	CHECK_OK(hw_info(fd, dev_pasid, 0, 0, NULL, 0, &out));
	CHECK_EQ(out.out_max_pasid_log2, MOCK_PASID_WIDTH);
	t_close(fd);
}

/* ---- IOMMU_VFIO_IOAS -------------------------------------------------- */

TEST(mock_vfio_ioas)
{
	int fd = t_open_iommufd();
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd) };
	uint32_t ioas, other, idev, id = 0;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, &idev));
	/* uAPI: no compat IOAS yet is ENODEV. */
	CHECK_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	id = NO_ID;
	CHECK_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ENOENT);
	id = idev;
	CHECK_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ENOENT);
	id = ioas;
	CHECK_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	CHECK_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	CHECK_EQ(id, ioas);
	CHECK_ERRNO(vfio_ioas(fd, 3, &id), EOPNOTSUPP);
	cmd.op = IOMMU_VFIO_IOAS_GET;
	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_VFIO_IOAS, &cmd), EOPNOTSUPP);
	id = 77;
	CHECK_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	CHECK_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	/* Destroying the compat IOAS clears it. */
	CHECK_OK(t_ioas_alloc(fd, &other));
	id = other;
	CHECK_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	CHECK_OK(t_destroy(fd, other));
	CHECK_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	t_close(fd);
}

/* ---- IOMMU_TEST_CMD itself -------------------------------------------- */

TEST(mock_unknown_op_and_memory_limit)
{
	int fd = t_open_iommufd();
	struct iommu_test_cmd cmd = { .op = 0 };

	CHECK_ERRNO(t_test_cmd(fd, &cmd), EOPNOTSUPP);
	cmd.op = 1000;
	CHECK_ERRNO(t_test_cmd(fd, &cmd), EOPNOTSUPP);
	/* uAPI: the limit must hold one batch element. */
	CHECK_ERRNO(memory_limit(fd, 0), EINVAL);
	CHECK_ERRNO(memory_limit(fd, 11), EINVAL);
	CHECK_OK(memory_limit(fd, 12));
	CHECK_OK(memory_limit(fd, 65536));
	t_close(fd);
}

VARIANT_TEST(mock_device_cache_and_iotlb_checks)
{
	uint32_t dev = self->device_id[0];

	/* 6.13+: a mock device's cache starts at IOMMU_TEST_DEV_CACHE_DEFAULT. */
	for (unsigned int i = 0; i < self->mock_domains; i++)
		for (uint32_t c = 0; c < MOCK_DEV_CACHE_NUM; c++)
			CHECK_OK(
			    t_check_dev_cache(self->fd, self->device_id[i], c,
					      IOMMU_TEST_DEV_CACHE_DEFAULT));
	if (self->mock_domains) {
		CHECK_ERRNO(t_check_dev_cache(self->fd, dev,
					      MOCK_DEV_CACHE_ID_MAX + 1,
					      IOMMU_TEST_DEV_CACHE_DEFAULT),
			    EINVAL);
		CHECK_ERRNO(t_check_dev_cache(self->fd, dev, 0, 0), EINVAL);
		CHECK_ERRNO(t_check_dev_cache(self->fd, self->stdev_id[0], 0,
					      IOMMU_TEST_DEV_CACHE_DEFAULT),
			    ENOENT);
		/* uAPI: MD_CHECK_IOTLB wants a nested HWPT. */
		CHECK_ERRNO(t_check_iotlb(self->fd, self->hwpt_id[0], 0,
					  IOMMU_TEST_IOTLB_DEFAULT),
			    ENOENT);
	}
	CHECK_ERRNO(t_check_dev_cache(self->fd, NO_ID, 0,
				      IOMMU_TEST_DEV_CACHE_DEFAULT),
		    ENOENT);
	CHECK_ERRNO(t_check_dev_cache(self->fd, self->ioas_id, 0,
				      IOMMU_TEST_DEV_CACHE_DEFAULT),
		    ENOENT);
	CHECK_ERRNO(t_check_iotlb(self->fd, NO_ID, 0, IOMMU_TEST_IOTLB_DEFAULT),
		    ENOENT);
	CHECK_ERRNO(t_check_iotlb(self->fd, self->ioas_id, 0,
				  IOMMU_TEST_IOTLB_DEFAULT),
		    ENOENT);
}

VARIANT_TEST(mock_small_memory_limit_still_maps)
{
	size_t len = PAGE_SIZE_T * 16;
	char *buf = t_buffer(len);
	uint64_t iova;

	/* The pages code works in tiny batches, with the same result. */
	CHECK_OK(memory_limit(self->fd, 16));
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, len, &iova));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(
		    t_check_map(self->fd, self->hwpt_id[i], iova, len, buf));
	CHECK_OK(t_check_refs(self->fd, buf, len, self->mock_domains ? 1 : 0));
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, len, NULL));
	CHECK_OK(memory_limit(self->fd, 65536));
}

/* ---- ADD_RESERVED ----------------------------------------------------- */

VARIANT_TEST(mock_add_reserved)
{
	uint64_t base = MOCK_APERTURE_START, p = PAGE_SIZE_T;
	char *buf = t_buffer(p);

	CHECK_ERRNO(t_add_reserved(self->fd, NO_ID, base + 100 * p, p), ENOENT);
	if (self->mock_domains)
		CHECK_ERRNO(t_add_reserved(self->fd, self->hwpt_id[0],
					   base + 100 * p, p),
			    ENOENT);
	CHECK_OK(t_add_reserved(self->fd, self->ioas_id, base + 100 * p, p));
	/* Reserved IOVA cannot be mapped... */
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf, p,
				     base + 100 * p),
		    EINVAL);
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, p, base));
	/* ...and mapped IOVA cannot be reserved. */
	CHECK_ERRNO(t_add_reserved(self->fd, self->ioas_id, base, p),
		    EADDRINUSE);
	/* Reserving twice is fine; nothing is not. */
	CHECK_OK(t_add_reserved(self->fd, self->ioas_id, base + 100 * p, p));
	/* Arguments are checked before the IOAS is looked up. */
	CHECK_ERRNO(t_add_reserved(self->fd, self->ioas_id, base + 100 * p, 0),
		    EINVAL);
	CHECK_ERRNO(t_add_reserved(self->fd, NO_ID, base + 100 * p, 0), EINVAL);
	CHECK_ERRNO(t_add_reserved(self->fd, NO_ID, -p, 2 * p), EOVERFLOW);
	CHECK_ERRNO(t_add_reserved(self->fd, self->ioas_id, -p, 2 * p),
		    EOVERFLOW);
	CHECK_OK(t_add_reserved(self->fd, self->ioas_id, -p, p));
}

/* ---- MD_CHECK_MAP and MD_CHECK_REFS ------------------------------------ */

VARIANT_TEST(mock_check_map)
{
	size_t p = PAGE_SIZE_T, mp = MOCK_PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(8 * p);
	uint32_t h = self->hwpt_id[0], stdev, late;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 4 * p, base));
	if (!self->mock_domains) {
		CHECK_ERRNO(t_check_map(self->fd, h, base, p, buf), ENOENT);
		return;
	}
	for (unsigned int i = 0; i < self->mock_domains; i++) {
		CHECK_OK(t_check_map(self->fd, self->hwpt_id[i], base, 4 * p,
				     buf));
		CHECK_OK(t_check_map(self->fd, self->hwpt_id[i], base + mp,
				     3 * mp, buf + mp));
	}
	CHECK_OK(t_check_map(self->fd, h, base, 0, buf));
	/* A domain added after the map was filled with it. */
	CHECK_OK(t_mock_domain_flags(self->fd, self->ioas_id, 0, &stdev, &late,
				     NULL));
	CHECK_OK(t_check_map(self->fd, late, base, 4 * p, buf));
	CHECK_OK(t_destroy(self->fd, stdev));

	CHECK_ERRNO(t_check_map(self->fd, h, base, p, buf + p), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, h, base + 4 * p, p, buf), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, h, base + 1, p, buf), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, h, base, 1, buf), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, h, base, p, buf + 1), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, h, base, p, (void *)-mp), EINVAL);
	/* Arguments are checked before the object is looked up. */
	CHECK_ERRNO(t_check_map(self->fd, NO_ID, base + 1, p, buf), EINVAL);
	CHECK_ERRNO(t_check_map(self->fd, NO_ID, base, p, buf), ENOENT);
	CHECK_ERRNO(t_check_map(self->fd, self->ioas_id, base, p, buf), ENOENT);
	CHECK_ERRNO(t_check_map(self->fd, self->device_id[0], base, p, buf),
		    ENOENT);
	CHECK_ERRNO(t_check_map(self->fd, h, base, p, (void *)(16 * p)),
		    EFAULT);

	/* Unmapping empties every domain. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, base, 4 * p, NULL));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_ERRNO(t_check_map(self->fd, self->hwpt_id[i], base, mp,
				        buf),
			    EINVAL);
}

VARIANT_TEST(mock_check_refs)
{
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(8 * p);
	unsigned int pinned = self->mock_domains ? 1 : 0;

	CHECK_OK(t_check_refs(self->fd, buf, 8 * p, 0));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p, base));
	/* uAPI: memory is pinned once, by domains, whatever their number. */
	CHECK_OK(t_check_refs(self->fd, buf, 2 * p, pinned));
	CHECK_ERRNO(t_check_refs(self->fd, buf, 2 * p, pinned + 1), EIO);
	CHECK_OK(t_check_refs(self->fd, buf + 2 * p, 6 * p, 0));
	/* A second map of the same memory is a second pin. */
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				  base + 16 * p));
	CHECK_OK(t_check_refs(self->fd, buf, 2 * p, 2 * pinned));
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, base + 16 * p, 2 * p,
			      NULL));
	CHECK_OK(t_check_refs(self->fd, buf, 2 * p, pinned));

	CHECK_ERRNO(t_check_refs(self->fd, buf + 1, p, 0), EINVAL);
	CHECK_ERRNO(t_check_refs(self->fd, buf, p / 2, 0), EINVAL);
	CHECK_ERRNO(t_check_refs(self->fd, (void *)-p, 2 * p, 0), EINVAL);
	CHECK_OK(t_check_refs(self->fd, buf, 0, 7));
	CHECK_ERRNO(t_check_refs(self->fd, (void *)(16 * p), p, 0), EFAULT);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, base, 2 * p, NULL));
	CHECK_OK(t_check_refs(self->fd, buf, 8 * p, 0));
}

TEST(mock_huge_iova_domain_maps_huge_pages)
{
	int fd = t_open_iommufd();
	size_t huge = 512 * MOCK_PAGE_SIZE_T, p = PAGE_SIZE_T;
	char *raw = t_buffer(4 * huge);
	char *buf = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	uint64_t base = MOCK_APERTURE_START;
	uint32_t ioas, hwpt;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				     NULL, &hwpt, NULL));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, 2 * huge, base));
	CHECK_OK(t_check_map(fd, hwpt, base, 2 * huge, buf));
	CHECK_OK(t_check_map(fd, hwpt, base + p, p, buf + p));
	CHECK_OK(t_ioas_unmap(fd, ioas, base, 2 * huge, NULL));
	/* Misaligned for huge pages: small ones, same answers. */
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf + p, huge, base + p));
	CHECK_OK(t_check_map(fd, hwpt, base + p, huge, buf + p));
	CHECK_ERRNO(t_check_map(fd, hwpt, base, p, buf), EINVAL);
	t_close(fd);
}

/* ---- access objects --------------------------------------------------- */

TEST(mock_access_create)
{
	int fd = t_open_iommufd();
	struct iommu_test_cmd cmd = { .size = sizeof(cmd) };
	uint32_t ioas, other, hwpt, next;
	char c;
	int afd, afd2;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, &hwpt, NULL));
	CHECK_ERRNO(t_create_access(fd, ioas, 1u << 1, &afd), EOPNOTSUPP);
	CHECK_ERRNO(t_create_access(fd, NO_ID, 0, &afd), ENOENT);
	CHECK_ERRNO(t_create_access(fd, hwpt, 0, &afd), ENOENT);
	CHECK_OK(t_create_access(
	    fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	CHECK(afd >= 0 && afd != fd);
	/* uAPI: the access is an object: it took an id. */
	CHECK_OK(t_ioas_alloc(fd, &other));
	CHECK_EQ(other, hwpt + 2);
	/* The access fd is a file of its own with no ioctls and no read. */
	CHECK_ERRNO(t_ioctl(afd, IOMMU_TEST_CMD, &cmd), ENOTTY);
	CHECK_ERRNO(t_read(afd, &c, 1), EINVAL);
	/* uAPI: the access holds its IOAS until its fd is closed. */
	CHECK_OK(t_create_access(fd, other, 0, &afd2));
	CHECK_ERRNO(t_destroy(fd, other), EBUSY);
	CHECK_OK(t_close(afd2));
	CHECK_OK(t_destroy(fd, other));
	CHECK_OK(t_ioas_alloc(fd, &next));
	CHECK_EQ(next, other);
	CHECK_OK(t_close(afd));
	t_close(fd);
}

VARIANT_TEST(mock_access_pages)
{
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(16 * p);
	uint32_t id, id2;
	int afd, nopin;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 4 * p, base));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &nopin));

	/* Checks before the access is looked up. */
	CHECK_ERRNO(t_access_pages(self->fd, NO_ID, base, 16 * 1024 * 1024 + 1,
				   buf, 0, &id),
		    ENOMEM);
	CHECK_ERRNO(t_access_pages(self->fd, NO_ID, base, p, buf, 1u << 1, &id),
		    EOPNOTSUPP);
	/* uAPI: a fd that is not an access fd is EBADFD. */
	CHECK_ERRNO(t_access_pages(self->fd, NO_ID, base, p, buf, 0, &id),
		    EBADFD);
	CHECK_ERRNO(t_access_pages(self->fd, self->fd, base, p, buf, 0, &id),
		    EBADFD);
	CHECK_ERRNO(t_access_pages(self->fd, nopin, base, p, buf, 0, &id),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_access_pages(self->fd, afd, base, 0, buf, 0, &id),
		    EINVAL);
	CHECK_ERRNO(t_access_pages(self->fd, afd, -p, 2 * p, NULL, 0, &id),
		    EOVERFLOW);
	CHECK_ERRNO(
	    t_access_pages(self->fd, afd, base + 50 * p, p, buf, 0, &id),
	    ENOENT);
	CHECK_ERRNO(t_access_pages(self->fd, afd, base + 3 * p, 2 * p,
				   buf + 3 * p, 0, &id),
		    ENOENT);
	/* uAPI: uptr must name the very pages pinned (EBADE), mapped. */
	CHECK_ERRNO(t_access_pages(self->fd, afd, base, p, buf + p, 0, &id),
		    EBADE);
	CHECK_ERRNO(t_access_pages(self->fd, afd, base, p, (void *)(16 * p), 0,
				   &id),
		    EFAULT);
	/* Nothing stayed pinned by the failures. */
	CHECK_OK(
	    t_check_refs(self->fd, buf, 4 * p, self->mock_domains ? 1 : 0));

	/* uAPI: item ids count from 0 per access. */
	CHECK_OK(t_access_pages(self->fd, afd, base, 2 * p, buf, 0, &id));
	CHECK_EQ(id, 0);
	CHECK_OK(t_access_pages(self->fd, afd, base + 2 * p, p, NULL,
			        MOCK_FLAGS_ACCESS_WRITE, &id2));
	CHECK_EQ(id2, 1);
	/* An access pin is the pages' one pin, domains or not. */
	CHECK_OK(t_check_refs(self->fd, buf, 3 * p, 1));
	CHECK_OK(t_check_refs(self->fd, buf + 3 * p, p,
			      self->mock_domains ? 1 : 0));
	CHECK_ERRNO(t_destroy_access_pages(self->fd, afd, 99), ENOENT);
	CHECK_ERRNO(t_destroy_access_pages(self->fd, NO_ID, id2), EBADFD);
	CHECK_OK(t_destroy_access_pages(self->fd, afd, id2));
	CHECK_ERRNO(t_destroy_access_pages(self->fd, afd, id2), ENOENT);

	/* uAPI: unmap tells the access, which drops what it pinned there. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, base, 4 * p, NULL));
	CHECK_ERRNO(t_destroy_access_pages(self->fd, afd, id), ENOENT);
	CHECK_OK(t_check_refs(self->fd, buf, 4 * p, 0));
	CHECK_ERRNO(t_access_pages(self->fd, afd, base, p, buf, 0, &id),
		    ENOENT);
	CHECK_OK(t_close(nopin));
	CHECK_OK(t_close(afd));
}

TEST(mock_access_syzkaller_iova)
{
	int fd = t_open_iommufd();
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	unsigned char *buf = t_buffer(4 * p);
	unsigned char small[16];
	uint32_t ioas, id;
	int afd, afd_rw;

	memset(buf, 3, 4 * p);
	buf[2 * p + 16] = 9;
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, p, base));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf + 2 * p, 2 * p, base + 8 * p));
	CHECK_OK(t_create_access(
	    fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	CHECK_OK(t_create_access(fd, ioas, 0, &afd_rw));
	/* uAPI: with ACCESS_SYZ the iova is (nth area, offset) in 32+32 bits. */
	CHECK_OK(t_access_pages(fd, afd, 0, p, NULL, MOCK_FLAGS_ACCESS_SYZ,
			        &id));
	CHECK_OK(t_access_pages(fd, afd, 1 | ((uint64_t)p << 32), p, NULL,
			        MOCK_FLAGS_ACCESS_SYZ, &id));
	CHECK_OK(t_check_refs(fd, buf + 3 * p, p, 1));
	CHECK_OK(t_check_refs(fd, buf + 2 * p, p, 0));
	/* No such area: iova 0, where nothing is mapped. */
	CHECK_ERRNO(t_access_pages(fd, afd, 2, p, NULL, MOCK_FLAGS_ACCESS_SYZ,
				   &id),
		    ENOENT);
	CHECK_OK(t_access_rw(fd, afd_rw, 1 | (16ull << 32), sizeof(small),
			     small, MOCK_FLAGS_ACCESS_SYZ));
	CHECK_EQ(small[0], 9);
	CHECK_ERRNO(t_access_rw(fd, afd_rw, 5, sizeof(small), small,
			        MOCK_FLAGS_ACCESS_SYZ),
		    ENOENT);
	CHECK_OK(t_close(afd_rw));
	CHECK_OK(t_close(afd));
	t_close(fd);
}

VARIANT_TEST(mock_access_rw)
{
	size_t p = PAGE_SIZE_T, len = 4 * p;
	unsigned char *buf = t_buffer(len), *tmp = malloc(len);
	unsigned char small[64];
	uint64_t iova;
	int afd;

	CHECK(tmp);
	for (size_t i = 0; i < len; i++)
		buf[i] = i * 7 + 3;
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, len, &iova));
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &afd));

	for (uint32_t slow = 0; slow <= MOCK_ACCESS_RW_SLOW_PATH;
	     slow += MOCK_ACCESS_RW_SLOW_PATH) {
		/* Reads and writes across a page boundary. */
		uint64_t off = p - 20;

		memset(small, 0, sizeof(small));
		CHECK_OK(
		    t_access_rw(self->fd, afd, iova + off, 40, small, slow));
		CHECK(!memcmp(small, buf + off, 40));
		for (unsigned int i = 0; i < 40; i++)
			small[i] = 0x5a ^ i ^ slow;
		CHECK_OK(t_access_rw(self->fd, afd, iova + off, 40, small,
				     slow | MOCK_ACCESS_RW_WRITE));
		CHECK(!memcmp(small, buf + off, 40));
		CHECK_OK(t_access_rw(self->fd, afd, iova, len, tmp, slow));
		CHECK(!memcmp(tmp, buf, len));
	}

	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, 16 * 1024 * 1024 + 1, tmp,
			        0),
		    ENOMEM);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, 16, small, 1u << 1),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_access_rw(self->fd, NO_ID, iova, 16, small, 0), EBADFD);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, 0, small, 0), EINVAL);
	CHECK_ERRNO(t_access_rw(self->fd, afd, -8ull, 16, small, 0), EOVERFLOW);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova + len, 16, small, 0),
		    ENOENT);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova + len - 8, 16, small, 0),
		    ENOENT);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, 16, (void *)(16 * p), 0),
		    EFAULT);
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, 16, (void *)(16 * p),
			        MOCK_ACCESS_RW_WRITE),
		    EFAULT);
	CHECK_OK(t_close(afd));
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, len, NULL));
	free(tmp);
}

VARIANT_TEST(mock_access_replace_ioas)
{
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(4 * p);
	char small[16];
	uint32_t other, id;
	int afd;

	CHECK_OK(t_ioas_alloc(self->fd, &other));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p, base));
	CHECK_OK(t_ioas_map_fixed(self->fd, other, buf + 2 * p, p, base));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_OK(t_access_pages(self->fd, afd, base, p, buf, 0, &id));

	CHECK_ERRNO(access_replace(self->fd, afd, NO_ID), ENOENT);
	if (self->mock_domains)
		CHECK_ERRNO(access_replace(self->fd, afd, self->hwpt_id[0]),
			    ENOENT);
	CHECK_ERRNO(access_replace(self->fd, NO_ID, other), EBADFD);
	/* Nothing moved: the pin is still there. */
	CHECK_OK(t_check_refs(self->fd, buf, p, 1));

	CHECK_OK(access_replace(self->fd, afd, other));
	/* uAPI: moving drops every pin made through the old IOAS. */
	CHECK_ERRNO(t_destroy_access_pages(self->fd, afd, id), ENOENT);
	CHECK_OK(t_check_refs(self->fd, buf, p, self->mock_domains ? 1 : 0));
	CHECK_OK(t_access_rw(self->fd, afd, base, sizeof(small), small, 0));
	CHECK(!memcmp(small, buf + 2 * p, sizeof(small)));
	CHECK_ERRNO(t_access_rw(self->fd, afd, base + p, 8, small, 0), ENOENT);
	/* The access now holds the new IOAS and let go of the old one. */
	CHECK_ERRNO(t_destroy(self->fd, other), EBUSY);
	if (!self->mock_domains)
		CHECK_OK(t_destroy(self->fd, self->ioas_id));
	CHECK_OK(access_replace(self->fd, afd, other));
	CHECK_OK(t_close(afd));
	CHECK_OK(t_destroy(self->fd, other));
}

VARIANT_TEST(mock_destroy_domain_under_pinned_access)
{
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(4 * p);
	uint32_t id;
	int afd;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 4 * p, base));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_OK(t_access_pages(self->fd, afd, base + p, p, buf + p, 0, &id));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_destroy(self->fd, self->stdev_id[i]));
	/* The access pin outlives the domains; the rest is released. */
	CHECK_OK(t_check_refs(self->fd, buf + p, p, 1));
	CHECK_OK(t_check_refs(self->fd, buf, p, 0));
	CHECK_OK(t_destroy_access_pages(self->fd, afd, id));
	CHECK_OK(t_check_refs(self->fd, buf, 4 * p, 0));
	CHECK_OK(t_close(afd));
}

/* ---- closing with everything alive ------------------------------------ */

TEST(mock_close_context_with_everything_alive)
{
	size_t p = PAGE_SIZE_T;
	uint64_t base = MOCK_APERTURE_START;
	char *buf = t_buffer(8 * p);
	int fd = t_open_iommufd(), fd2;
	uint32_t ioas, other, idev, stdev, user_hwpt, id;
	int afd, afd_nopin;

	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_ioas_alloc(fd, &other));
	CHECK_OK(t_mock_domain(fd, ioas, &stdev, NULL, &idev));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, NULL));
	CHECK_OK(t_mock_domain_flags(fd, other, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				     NULL, NULL, NULL));
	CHECK_OK(t_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      &user_hwpt));
	CHECK_OK(t_mock_replace(fd, stdev, user_hwpt, NULL));
	CHECK_OK(t_ioas_map_fixed(fd, ioas, buf, 4 * p, base));
	CHECK_OK(t_ioas_map_fixed(fd, other, buf + 4 * p, 4 * p, base));
	CHECK_OK(t_create_access(
	    fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	CHECK_OK(t_access_pages(fd, afd, base, 2 * p, buf, 0, &id));
	CHECK_OK(t_create_access(fd, other, 0, &afd_nopin));
	CHECK_OK(t_close(afd_nopin));
	id = ioas;
	CHECK_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));

	/* uAPI: an open access fd keeps the whole context alive... */
	CHECK_OK(t_close(fd));
	fd2 = t_open_iommufd();
	CHECK_OK(t_check_refs(fd2, buf, 8 * p, 1));
	/* ...and closing it lets everything go. */
	CHECK_OK(t_close(afd));
	CHECK_OK(t_check_refs(fd2, buf, 8 * p, 0));
	t_close(fd2);
}

VARIANT_TEST(mock_close_releases_all_pins)
{
	size_t p = PAGE_SIZE_T;
	char *buf = t_buffer(4 * p);
	int fd2;

	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, 4 * p, NULL));
	CHECK_OK(
	    t_check_refs(self->fd, buf, 4 * p, self->mock_domains ? 1 : 0));
	CHECK_OK(t_close(self->fd));
	fd2 = t_open_iommufd();
	CHECK_OK(t_check_refs(fd2, buf, 4 * p, 0));
	self->fd = fd2;
}
