/*
 * pasid_test.c - PASID attachments of mock devices through the test mock's
 * ops IOMMU_TEST_OP_PASID_ATTACH / _REPLACE / _DETACH / _CHECK_HWPT:
 * MOCK_FLAGS_DEVICE_PASID and GET_HW_INFO's out_max_pasid_log2, which
 * HWPTs may serve a PASID (IOMMU_HWPT_ALLOC_PASID, never an IOAS's auto
 * domain, and only while the RID's HWPT is PASID-compatible too), one HWPT
 * per PASID, replace, PASID faults, and the mock's failing PASID
 * (IOMMU_TEST_PASID_RESERVED) that shows a failed replace changes nothing.
 *
 * The reference kernel (6.12) has no PASID test ops: the errnos follow the
 * 6.17 sources (drivers/iommu/iommufd/device.c, selftest.c).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

/* PASID_ATTACH / PASID_REPLACE; *pt_id returns the HWPT used. */
static int pasid_op(int fd, uint32_t op, uint32_t stdev_id, uint32_t pasid,
		    uint32_t *pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = op,
		.id = stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = *pt_id },
	};
	int ret = t_test_cmd(fd, &cmd);

	if (!ret)
		*pt_id = cmd.pasid_attach.pt_id;
	return ret;
}

static int pasid_attach(int fd, uint32_t stdev_id, uint32_t pasid,
			uint32_t pt_id)
{
	return pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev_id, pasid,
			&pt_id);
}

static int pasid_replace(int fd, uint32_t stdev_id, uint32_t pasid,
			 uint32_t pt_id)
{
	return pasid_op(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev_id, pasid,
			&pt_id);
}

static int pasid_detach(int fd, uint32_t stdev_id, uint32_t pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev_id,
		.pasid_detach.pasid = pasid,
	};

	return t_test_cmd(fd, &cmd);
}

/* 0 when @pasid is on @hwpt_id (0: on nothing), else EINVAL. */
static int pasid_check(int fd, uint32_t stdev_id, uint32_t pasid,
		       uint32_t hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};

	return t_test_cmd(fd, &cmd);
}

static int hw_info(int fd, uint32_t dev_id, uint8_t *max_pasid_log2)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
	};
	int ret = t_ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!ret)
		*max_pasid_log2 = cmd.out_max_pasid_log2;
	return ret;
}

/*
 * A context with an IOAS and a mock device on it; the RID starts on its
 * auto domain (hwpt_id) and, with @s2, moves to s2_id, a paging HWPT of the
 * IOAS made with IOMMU_HWPT_ALLOC_PASID (the auto domain then goes).
 */
struct psetup {
	int fd;
	uint32_t ioas_id;
	uint32_t stdev_id;
	uint32_t hwpt_id;
	uint32_t dev_id;
	uint32_t s2_id;
};

static void psetup(struct psetup *p, uint32_t dev_flags, bool s2)
{
	memset(p, 0, sizeof(*p));
	p->fd = t_open("/dev/iommu", O_RDWR);
	CHECK_OK(p->fd);
	CHECK_OK(t_ioas_alloc(p->fd, &p->ioas_id));
	CHECK_OK(t_mock_domain_flags(p->fd, p->ioas_id, dev_flags, &p->stdev_id,
				     &p->hwpt_id, &p->dev_id));
	if (!s2)
		return;
	CHECK_OK(t_hwpt_alloc(p->fd, p->dev_id, p->ioas_id,
			      IOMMU_HWPT_ALLOC_PASID, &p->s2_id));
	CHECK_OK(t_mock_replace(p->fd, p->stdev_id, p->s2_id, NULL));
}

TEST(pasid_hw_info_width)
{
	struct psetup p, plain;
	uint8_t lg2 = 0xff;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, false);
	psetup(&plain, 0, false);
	/* uAPI: the PASID width of a PASID-capable device, else 0. */
	CHECK_OK(hw_info(p.fd, p.dev_id, &lg2));
	CHECK_EQ(lg2, MOCK_PASID_WIDTH);
	CHECK_OK(hw_info(plain.fd, plain.dev_id, &lg2));
	CHECK_EQ(lg2, 0);
	/* uAPI: unknown device flags are EINVAL. */
	CHECK_ERRNO(t_mock_domain_flags(p.fd, p.ioas_id, 1u << 30, &p.stdev_id,
				        &p.hwpt_id, &p.dev_id),
		    EINVAL);
	CHECK_OK(t_close(plain.fd));
	CHECK_OK(t_close(p.fd));
}

TEST(pasid_attach_rules)
{
	uint32_t pasid = 100, parent, nested, plain, pt;
	struct psetup p;
	int fd;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	fd = p.fd;
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_PASID,
			      &parent));
	CHECK_OK(t_nested_alloc(fd, p.dev_id, parent, IOMMU_HWPT_ALLOC_PASID,
			        &nested));
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id, 0, &plain));

	pt = p.s2_id;
	CHECK_OK(pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, p.stdev_id, pasid,
			  &pt));
	CHECK_EQ(pt, p.s2_id);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, p.s2_id));
	CHECK_ERRNO(pasid_check(fd, p.stdev_id, pasid, 0), EINVAL);
	CHECK_ERRNO(pasid_check(fd, p.stdev_id, pasid, nested), EINVAL);
	/* uAPI: an attached PASID is EBUSY for attach, same HWPT or not. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid, p.s2_id), EBUSY);
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid, nested), EBUSY);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, p.s2_id));
	/* uAPI: a HWPT on a PASID stays busy. */
	CHECK_OK(t_mock_replace(fd, p.stdev_id, parent, NULL));
	CHECK_ERRNO(t_destroy(fd, p.s2_id), EBUSY);
	CHECK_OK(t_mock_replace(fd, p.stdev_id, p.s2_id, NULL));
	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, 0));
	/* uAPI: detaching a free PASID succeeds. */
	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid));

	/* Nested and parent HWPTs made with IOMMU_HWPT_ALLOC_PASID. */
	CHECK_OK(pasid_attach(fd, p.stdev_id, pasid, nested));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, nested));
	CHECK_ERRNO(t_destroy(fd, nested), EBUSY);
	CHECK_OK(pasid_attach(fd, p.stdev_id, pasid + 1, parent));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid + 1, parent));
	/* uAPI: a HWPT made without IOMMU_HWPT_ALLOC_PASID is EINVAL. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid + 2, plain), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid + 2, 0));
	/* uAPI: ... and, while PASIDs are attached, for the RID too. */
	CHECK_ERRNO(t_mock_replace(fd, p.stdev_id, plain, NULL), EINVAL);
	CHECK_ERRNO(t_mock_replace(fd, p.stdev_id, p.ioas_id, NULL), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, 0, p.s2_id));
	/* uAPI: an IOAS (its auto domain) never serves a PASID. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid + 2, p.ioas_id),
		    EINVAL);
	/* uAPI: a PASID beyond the device's width is EINVAL. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, 1u << MOCK_PASID_WIDTH,
				 parent),
		    EINVAL);
	/* uAPI: lookups ENOENT; a non-HWPT target EINVAL. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid + 2, NO_ID), ENOENT);
	CHECK_ERRNO(pasid_attach(fd, NO_ID, pasid + 2, parent), ENOENT);
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid + 2, p.dev_id), EINVAL);
	CHECK_ERRNO(pasid_check(fd, NO_ID, pasid, parent), ENOENT);
	CHECK_ERRNO(pasid_check(fd, p.stdev_id, pasid, NO_ID), ENOENT);
	CHECK_ERRNO(pasid_check(fd, p.stdev_id, pasid, p.ioas_id), EINVAL);

	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid));
	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid + 1));
	/* With no PASID left the RID takes any HWPT again. */
	CHECK_OK(t_mock_replace(fd, p.stdev_id, plain, NULL));
	CHECK_OK(pasid_check(fd, p.stdev_id, 0, plain));
	/* uAPI: a RID without IOMMU_HWPT_ALLOC_PASID blocks PASIDs. */
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid, parent), EINVAL);
	CHECK_OK(t_mock_replace(fd, p.stdev_id, p.ioas_id, NULL));
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, pasid, parent), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, 0));
	CHECK_OK(t_destroy(fd, nested));
	CHECK_OK(t_destroy(fd, parent));
	CHECK_OK(t_destroy(fd, plain));
	CHECK_OK(t_destroy(fd, p.s2_id));
	CHECK_OK(t_close(fd));
}

TEST(pasid_on_viommu_nested_hwpt)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_viommu_alloc va = { .size = sizeof(va),
					 .type = IOMMU_VIOMMU_TYPE_SELFTEST };
	uint32_t parent, nested, plain_nested;
	struct psetup p;
	int fd;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	fd = p.fd;
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_PASID,
			      &parent));
	va.dev_id = p.dev_id;
	va.hwpt_id = parent;
	CHECK_OK(t_ioctl(fd, IOMMU_VIOMMU_ALLOC, &va));
	CHECK_OK(t_hwpt_alloc_full(fd, p.dev_id, va.out_viommu_id,
				   IOMMU_HWPT_ALLOC_PASID,
				   0, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &nested));
	CHECK_OK(t_hwpt_alloc_full(fd, p.dev_id, va.out_viommu_id, 0,
				   0, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &plain_nested));
	/* uAPI: a vIOMMU's nested HWPT serves a PASID when made for it. */
	CHECK_OK(pasid_attach(fd, p.stdev_id, 300, nested));
	CHECK_OK(pasid_check(fd, p.stdev_id, 300, nested));
	CHECK_ERRNO(pasid_attach(fd, p.stdev_id, 301, plain_nested), EINVAL);
	CHECK_ERRNO(t_destroy(fd, va.out_viommu_id), EBUSY);
	CHECK_OK(pasid_detach(fd, p.stdev_id, 300));
	CHECK_OK(t_destroy(fd, nested));
	CHECK_OK(t_destroy(fd, plain_nested));
	CHECK_OK(t_destroy(fd, va.out_viommu_id));
	CHECK_OK(t_close(fd));
}

TEST(pasid_faults_reach_the_pasid_hwpt)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
	struct iommu_test_cmd trig = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .pasid = 9, .grpid = 1,
				  .perm = IOMMU_PGFAULT_PERM_READ,
				  .addr = MOCK_APERTURE_START },
	};
	struct psetup p;
	int fd;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	fd = p.fd;
	CHECK_OK(t_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	ha.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	ha.dev_id = p.dev_id;
	ha.pt_id = p.ioas_id;
	ha.fault_id = fa.out_fault_id;
	CHECK_OK(t_ioctl(fd, IOMMU_HWPT_ALLOC, &ha));
	trig.trigger_iopf.dev_id = p.dev_id;

	/* Not attached: the fault is dropped. */
	CHECK_OK(t_test_cmd(fd, &trig));
	CHECK_EQ(t_read(fa.out_fault_fd, rec, sizeof(rec)), 0);
	/* uAPI: a PASID's faults go to the fault queue of its HWPT. */
	CHECK_OK(pasid_attach(fd, p.stdev_id, 9, ha.out_hwpt_id));
	CHECK_OK(t_test_cmd(fd, &trig));
	CHECK_EQ(t_read(fa.out_fault_fd, rec, sizeof(rec)),
		 (ssize_t)sizeof(rec[0]));
	CHECK_EQ(rec[0].pasid, 9);
	CHECK_EQ(rec[0].dev_id, p.dev_id);
	CHECK_EQ(rec[0].flags, IOMMU_PGFAULT_FLAGS_PASID_VALID |
				       IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	/* Another PASID of the device is not routed there. */
	trig.trigger_iopf.pasid = 10;
	CHECK_OK(t_test_cmd(fd, &trig));
	CHECK_EQ(t_read(fa.out_fault_fd, rec, sizeof(rec)), 0);
	CHECK_OK(pasid_detach(fd, p.stdev_id, 9));
	CHECK_OK(t_close(fa.out_fault_fd));
	CHECK_OK(t_close(fd));
}

TEST(pasid_never_on_an_auto_domain)
{
	uint32_t ioas2;
	struct psetup p;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, false);
	CHECK_OK(t_ioas_alloc(p.fd, &ioas2));
	CHECK_OK(t_hwpt_alloc(p.fd, p.dev_id, p.ioas_id, IOMMU_HWPT_ALLOC_PASID,
			      &p.s2_id));
	/* uAPI: with the RID on an auto domain no PASID attaches ... */
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 50, p.s2_id), EINVAL);
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 50, p.ioas_id), EINVAL);
	/* ... nor to any IOAS once the RID is PASID-compatible. */
	CHECK_OK(t_mock_replace(p.fd, p.stdev_id, p.s2_id, NULL));
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 50, p.ioas_id), EINVAL);
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 50, ioas2), EINVAL);
	CHECK_OK(pasid_check(p.fd, p.stdev_id, 50, 0));
	/* Nothing was left behind on the second IOAS. */
	CHECK_OK(t_destroy(p.fd, ioas2));
	CHECK_OK(pasid_attach(p.fd, p.stdev_id, 50, p.s2_id));
	CHECK_OK(pasid_check(p.fd, p.stdev_id, 50, p.s2_id));
	CHECK_OK(t_close(p.fd));
}

TEST(pasid_needs_a_pasid_device)
{
	uint32_t pasid_hwpt;
	struct psetup p;

	psetup(&p, 0, false);
	CHECK_OK(t_hwpt_alloc(p.fd, p.dev_id, p.ioas_id, IOMMU_HWPT_ALLOC_PASID,
			      &pasid_hwpt));
	/* uAPI: such a HWPT still serves the RID of a device without PASID. */
	CHECK_OK(t_mock_replace(p.fd, p.stdev_id, pasid_hwpt, NULL));
	/* uAPI: a device without PASID support takes no PASID attach. */
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 1, pasid_hwpt), EINVAL);
	CHECK_ERRNO(pasid_attach(p.fd, p.stdev_id, 1, p.ioas_id), EINVAL);
	CHECK_OK(pasid_check(p.fd, p.stdev_id, 1, 0));
	CHECK_OK(t_close(p.fd));
}

TEST(pasid_replace_rules)
{
	uint32_t pasid = 200, parent, nested[2], plain, pt;
	struct psetup p;
	int fd;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	fd = p.fd;
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_PASID,
			      &parent));
	for (int i = 0; i < 2; i++)
		CHECK_OK(t_nested_alloc(fd, p.dev_id, parent,
				        IOMMU_HWPT_ALLOC_PASID, &nested[i]));
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id, 0, &plain));

	/* uAPI: replace moves an attachment, it never makes one. */
	CHECK_ERRNO(pasid_replace(fd, p.stdev_id, pasid, parent), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, 0));

	CHECK_OK(pasid_attach(fd, p.stdev_id, pasid, parent));
	pt = p.s2_id;
	CHECK_OK(pasid_op(fd, IOMMU_TEST_OP_PASID_REPLACE, p.stdev_id, pasid,
			  &pt));
	CHECK_EQ(pt, p.s2_id);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, p.s2_id));
	/* uAPI: to an IOAS: EINVAL, the old HWPT stays. */
	CHECK_ERRNO(pasid_replace(fd, p.stdev_id, pasid, p.ioas_id), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, p.s2_id));
	/* The old HWPT is free again. */
	CHECK_OK(pasid_replace(fd, p.stdev_id, pasid, nested[0]));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, nested[0]));
	CHECK_OK(pasid_replace(fd, p.stdev_id, pasid, nested[1]));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, nested[1]));
	CHECK_OK(t_destroy(fd, nested[0]));
	CHECK_ERRNO(t_destroy(fd, nested[1]), EBUSY);
	/* uAPI: to a HWPT that cannot serve PASIDs: EINVAL, nothing moves. */
	CHECK_ERRNO(pasid_replace(fd, p.stdev_id, pasid, plain), EINVAL);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, nested[1]));
	CHECK_ERRNO(pasid_replace(fd, p.stdev_id, pasid, NO_ID), ENOENT);
	/* Replacing with the same HWPT is a no-op. */
	CHECK_OK(pasid_replace(fd, p.stdev_id, pasid, nested[1]));
	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, 0));
	CHECK_OK(t_destroy(fd, nested[1]));
	CHECK_OK(t_destroy(fd, parent));
	CHECK_OK(t_close(fd));
}

TEST(pasid_failed_replace_keeps_old)
{
	uint32_t pasid = IOMMU_TEST_PASID_RESERVED, parent, nested;
	struct psetup p;
	int fd;

	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	fd = p.fd;
	CHECK_OK(t_hwpt_alloc(fd, p.dev_id, p.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_PASID,
			      &parent));
	CHECK_OK(t_nested_alloc(fd, p.dev_id, parent, IOMMU_HWPT_ALLOC_PASID,
			        &nested));
	CHECK_OK(pasid_attach(fd, p.stdev_id, pasid, parent));
	/* uAPI (mock): the driver fails this change; the old HWPT stays. */
	CHECK_ERRNO(pasid_replace(fd, p.stdev_id, pasid, nested), ENOMEM);
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, parent));
	CHECK_OK(t_destroy(fd, nested));
	CHECK_OK(t_nested_alloc(fd, p.dev_id, parent, IOMMU_HWPT_ALLOC_PASID,
			        &nested));
	/* The next change goes through. */
	CHECK_OK(pasid_replace(fd, p.stdev_id, pasid, nested));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, nested));
	CHECK_OK(pasid_detach(fd, p.stdev_id, pasid));
	CHECK_OK(pasid_check(fd, p.stdev_id, pasid, 0));
	CHECK_OK(t_close(fd));
}

TEST(pasid_left_attached_at_close)
{
	struct psetup p;

	/* Destroying the device (or closing) detaches its PASIDs. */
	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	CHECK_OK(pasid_attach(p.fd, p.stdev_id, 7, p.s2_id));
	CHECK_OK(pasid_attach(p.fd, p.stdev_id, 8, p.s2_id));
	CHECK_ERRNO(t_destroy(p.fd, p.s2_id), EBUSY);
	CHECK_OK(t_destroy(p.fd, p.stdev_id));
	CHECK_ERRNO(pasid_check(p.fd, p.stdev_id, 7, 0), ENOENT);
	/* Every reference the device's attachments held is gone. */
	CHECK_OK(t_destroy(p.fd, p.s2_id));
	CHECK_OK(t_close(p.fd));
	psetup(&p, MOCK_FLAGS_DEVICE_PASID, true);
	CHECK_OK(pasid_attach(p.fd, p.stdev_id, 7, p.s2_id));
	CHECK_OK(t_close(p.fd));
}
