/*
 * viommu_test.c - the test mock's vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST) and
 * what hangs off it: IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC (including
 * the tombstone a vdevice leaves when its device goes), nested HWPTs made
 * by a vIOMMU, IOMMU_HWPT_INVALIDATE on a vIOMMU (checked with
 * IOMMU_TEST_OP_DEV_CHECK_CACHE), IOMMU_VEVENTQ_ALLOC with read() and
 * poll() of its fd (IOMMU_TEST_OP_TRIGGER_VEVENT, sequence numbers, the
 * lost-events record) and IOMMU_HW_QUEUE_ALLOC.
 *
 * The reference kernel (6.12) predates all of this: the errnos follow the
 * 6.17 sources (drivers/iommu/iommufd/viommu.c, eventq.c, selftest.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

#define VIRT_ID 0x99u

static int viommu_alloc_full(int fd, uint32_t flags, uint32_t type,
			     uint32_t dev_id, uint32_t hwpt_id,
			     void *data, uint32_t data_len,
			     uint32_t *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = t_ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (!ret && viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return ret;
}

static int viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt_id,
			uint32_t *viommu_id)
{
	return viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST, dev_id,
				 hwpt_id, NULL, 0, viommu_id);
}

static int vdevice_alloc(int fd, uint32_t viommu_id, uint32_t dev_id,
			 uint64_t virt_id, uint32_t *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int ret = t_ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (!ret && vdev_id)
		*vdev_id = cmd.out_vdevice_id;
	return ret;
}

static int veventq_alloc_full(int fd, uint32_t flags, uint32_t reserved,
			      uint32_t viommu_id, uint32_t type,
			      uint32_t depth, uint32_t *veventq_id, int *vfd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.__reserved = reserved,
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	int ret = t_ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);

	if (!ret) {
		if (veventq_id)
			*veventq_id = cmd.out_veventq_id;
		*vfd = cmd.out_veventq_fd;
	}
	return ret;
}

static int veventq_alloc(int fd, uint32_t viommu_id, uint32_t depth,
			 uint32_t *veventq_id, int *vfd)
{
	return veventq_alloc_full(fd, 0, 0, viommu_id,
				  IOMMU_VEVENTQ_TYPE_SELFTEST, depth,
				  veventq_id, vfd);
}

static int trigger_vevent(int fd, uint32_t dev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent.dev_id = dev_id,
	};

	return t_test_cmd(fd, &cmd);
}

static int inv_selftest(int fd, uint32_t viommu_id,
			const struct iommu_viommu_invalidate_selftest *reqs,
			uint32_t *num)
{
	return t_hwpt_invalidate(fd, viommu_id, reqs,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*reqs), num);
}

static int hw_queue_alloc_full(int fd, uint32_t flags, uint32_t viommu_id,
			       uint32_t type, uint32_t index, uint64_t iova,
			       uint64_t length, uint32_t *hw_queue_id)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.viommu_id = viommu_id,
		.type = type,
		.index = index,
		.nesting_parent_iova = iova,
		.length = length,
	};
	int ret = t_ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);

	if (!ret && hw_queue_id)
		*hw_queue_id = cmd.out_hw_queue_id;
	return ret;
}

static int hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t index,
			  uint64_t iova, uint64_t length, uint32_t *id)
{
	return hw_queue_alloc_full(fd, 0, viommu_id,
				   IOMMU_HW_QUEUE_TYPE_SELFTEST, index, iova,
				   length, id);
}

/* poll() events of @vfd right now. */
static short poll_now(int vfd)
{
	struct pollfd p = { .fd = vfd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0);
	return p.revents;
}

/*
 * The fixture's device(s) on the IOAS, a NEST_PARENT HWPT and a selftest
 * vIOMMU on it.
 */
struct vsetup {
	struct fixture f;
	uint32_t parent;
	uint32_t viommu;
};

static void vsetup(struct vsetup *v, unsigned int mock_domains)
{
	fixture_setup(&v->f, mock_domains);
	CHECK_OK(t_hwpt_alloc(v->f.fd, v->f.device_id[0], v->f.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &v->parent));
	CHECK_OK(viommu_alloc(v->f.fd, v->f.device_id[0], v->parent,
			      &v->viommu));
}

/*
 * As vsetup, plus a vdevice (VIRT_ID) for device 0 and device 0's RID on a
 * nested HWPT of the vIOMMU, so its events reach the vIOMMU.
 */
static void vsetup_nested(struct vsetup *v, uint32_t *vdev_id,
			  uint32_t *nested)
{
	vsetup(v, 1);
	CHECK_OK(vdevice_alloc(v->f.fd, v->viommu, v->f.device_id[0], VIRT_ID,
			       vdev_id));
	CHECK_OK(t_nested_alloc(v->f.fd, v->f.device_id[0], v->viommu, 0,
			        nested));
	CHECK_OK(t_mock_replace(v->f.fd, v->f.stdev_id[0], *nested, NULL));
}

/* ---- IOMMU_VIOMMU_ALLOC -------------------------------------------- */

TEST(viommu_alloc_rules)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	uint32_t plain, viommu, out;
	struct fixture f;
	int fd;

	fixture_setup(&f, 1);
	fd = f.fd;
	uint32_t dev = f.device_id[0], parent;

	CHECK_OK(t_hwpt_alloc(fd, dev, f.ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      &parent));
	CHECK_OK(t_hwpt_alloc(fd, dev, f.ioas_id, 0, &plain));

	/* uAPI: flags, and the reserved DEFAULT type, are EOPNOTSUPP. */
	CHECK_ERRNO(viommu_alloc_full(fd, 1, IOMMU_VIOMMU_TYPE_SELFTEST, dev,
				      parent, NULL, 0, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_DEFAULT, dev,
				      parent, NULL, 0, &out),
		    EOPNOTSUPP);
	/* uAPI: a type the device's driver does not offer is EOPNOTSUPP. */
	CHECK_ERRNO(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
				      dev, parent, NULL, 0, &out),
		    EOPNOTSUPP);
	/* uAPI: missing device or HWPT ENOENT (an IOAS is no HWPT). */
	CHECK_ERRNO(viommu_alloc(fd, NO_ID, parent, &out), ENOENT);
	CHECK_ERRNO(viommu_alloc(fd, dev, NO_ID, &out), ENOENT);
	CHECK_ERRNO(viommu_alloc(fd, dev, f.ioas_id, &out), ENOENT);
	/* uAPI: only a NEST_PARENT HWPT carries a vIOMMU. */
	CHECK_ERRNO(viommu_alloc(fd, dev, plain, &out), EINVAL);
	CHECK_ERRNO(viommu_alloc(fd, dev, f.hwpt_id[0], &out), EINVAL);

	CHECK_OK(viommu_alloc(fd, dev, parent, &viommu));
	CHECK(viommu != parent && viommu != plain);
	/* uAPI: the vIOMMU holds its parent. */
	CHECK_ERRNO(t_destroy(fd, parent), EBUSY);
	/* Several vIOMMUs may share one parent. */
	CHECK_OK(viommu_alloc(fd, dev, parent, &out));
	CHECK_OK(t_destroy(fd, out));
	CHECK_OK(t_destroy(fd, viommu));

	/* uAPI (mock): the driver data echoes in_data as out_data. */
	CHECK_OK(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST, dev,
				   parent, &data, sizeof(data), &viommu));
	CHECK_EQ(data.out_data, 0xbeef);
	CHECK_OK(t_destroy(fd, viommu));
	/* uAPI: driver data shorter than its first version is EINVAL. */
	CHECK_ERRNO(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST, dev,
				      parent, &data, 4, &out),
		    EINVAL);
	CHECK_ERRNO(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST, dev,
				      parent, (void *)8, sizeof(data), &out),
		    EFAULT);
	CHECK_OK(t_destroy(fd, parent));
	fixture_teardown(&f);
}

/* ---- mmap() of the iommufd: the vIOMMU's page ----------------------- */

TEST(viommu_mmap_page)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	uint32_t parent, viommu, viommu2;
	size_t ps = PAGE_SIZE_T, len;
	uint32_t *page, *page2;
	struct fixture f;
	uint64_t off;
	int fd, fd2;

	fixture_setup(&f, 1);
	fd = f.fd;
	CHECK_OK(t_hwpt_alloc(fd, f.device_id[0], f.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_OK(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST,
				   f.device_id[0], parent, &data, sizeof(data),
				   &viommu));
	len = data.out_mmap_length;
	off = data.out_mmap_offset;
	/* uAPI (mock): two pages, at a page offset that is never 0. */
	CHECK_EQ(len, 2 * ps);
	CHECK(off && !(off % ps));

	/* uAPI: offset and length must be exactly the offer's: ENXIO. */
	CHECK(t_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off + ps) ==
	      MAP_FAILED && errno == ENXIO);
	CHECK(t_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off + 2 * ps) ==
	      MAP_FAILED && errno == ENXIO);
	CHECK(t_mmap(NULL, len / 2, PROT_READ, MAP_SHARED, fd, off) ==
	      MAP_FAILED && errno == ENXIO);
	CHECK(t_mmap(NULL, len * 2, PROT_READ, MAP_SHARED, fd, off) ==
	      MAP_FAILED && errno == ENXIO);
	CHECK(t_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == ENXIO);
	/* uAPI: private mappings EINVAL, executable ones EPERM. */
	CHECK(t_mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, off) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, off) ==
	      MAP_FAILED && errno == EPERM);
	/* uAPI (mm): an unaligned offset or no length is EINVAL. */
	CHECK(t_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off + 1) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, off) == MAP_FAILED &&
	      errno == EINVAL);
	/* Nothing was mapped by the failures: the vIOMMU can go. */
	CHECK_OK(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST,
				   f.device_id[0], parent, &data, sizeof(data),
				   &viommu2));
	/* A second offer of the same context gets its own offset. */
	CHECK(data.out_mmap_offset != off);
	CHECK_OK(t_destroy(fd, viommu2));

	/* The loopback: the page holds what the mock wrote. */
	page = t_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	CHECK(page != MAP_FAILED);
	CHECK_EQ(page[0], 0xbeef);
	CHECK_EQ(page[1], 0);
	/* Two mappings of one offer see the same bytes. */
	page2 = t_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	CHECK(page2 != MAP_FAILED);
	page[ps / 4] = 0x1234;
	CHECK_EQ(page2[ps / 4], 0x1234);

	/* uAPI: the owner of a mapped page cannot be destroyed. */
	CHECK_ERRNO(t_destroy(fd, viommu), EBUSY);
	CHECK_OK(t_munmap(page2, len));
	CHECK_ERRNO(t_destroy(fd, viommu), EBUSY);
	/* Unmapping part of it keeps the rest (and the owner) mapped. */
	CHECK_OK(t_munmap(page, ps));
	CHECK_EQ(page[ps / 4], 0x1234);
	CHECK_ERRNO(t_destroy(fd, viommu), EBUSY);
	CHECK_OK(t_munmap(page + ps / 4, ps));
	CHECK_OK(t_destroy(fd, viommu));

	/* A mapping keeps the context after close() of its last fd. */
	fd2 = t_open_iommufd();
	CHECK(fd2 >= 0);
	CHECK_OK(viommu_alloc_full(fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST,
				   f.device_id[0], parent, &data, sizeof(data),
				   &viommu));
	page = t_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, fd,
		      data.out_mmap_offset);
	CHECK(page != MAP_FAILED);
	CHECK_OK(t_close(fd2));
	/* An fd of another kind, or none, cannot be mapped this way. */
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, fd2, 0) == MAP_FAILED);
	fixture_teardown(&f);
	CHECK_EQ(page[0], 0xbeef);
	CHECK_OK(t_munmap(page, data.out_mmap_length));
}

/* Under the shim, MAP_FIXED over and mremap() of the page (kernel VMAs). */
TEST(viommu_mmap_page_fixed_and_mremap)
{
	struct iommu_viommu_selftest data = { .in_data = 0xcafe };
	size_t ps = PAGE_SIZE_T, len;
	uint32_t parent, viommu;
	struct fixture f;
	uint32_t *page;
	void *r;

	if (strcmp(t_frontend(), "shim"))
		SKIP("needs the preload shim: the library cannot see mremap()");
	fixture_setup(&f, 1);
	CHECK_OK(t_hwpt_alloc(f.fd, f.device_id[0], f.ioas_id,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_OK(viommu_alloc_full(f.fd, 0, IOMMU_VIOMMU_TYPE_SELFTEST,
				   f.device_id[0], parent, &data, sizeof(data),
				   &viommu));
	len = data.out_mmap_length;
	page = mmap(NULL, len, PROT_READ, MAP_SHARED, f.fd,
		    data.out_mmap_offset);
	CHECK(page != MAP_FAILED);

	/* uAPI: the mapping cannot grow (VM_DONTEXPAND: EFAULT) ... */
	CHECK(mremap(page, len, 2 * len, MREMAP_MAYMOVE) == MAP_FAILED &&
	      errno == EFAULT);
	/* ... but moves whole, and still holds the vIOMMU. */
	r = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r != MAP_FAILED);
	page = mremap(page, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	CHECK(page == r);
	CHECK_EQ(page[0], 0xcafe);
	CHECK_ERRNO(t_destroy(f.fd, viommu), EBUSY);
	/* New memory over one page keeps the other (and the owner) ... */
	CHECK(mmap(page, ps, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0) == page);
	CHECK_ERRNO(t_destroy(f.fd, viommu), EBUSY);
	/* ... over the last page lets go of it. */
	CHECK(mmap((char *)page + ps, ps, PROT_READ,
		   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	      (char *)page + ps);
	CHECK_OK(t_destroy(f.fd, viommu));
	CHECK_OK(munmap(r, 2 * len));
	fixture_teardown(&f);
}

/* ---- IOMMU_VDEVICE_ALLOC ------------------------------------------- */

TEST(vdevice_alloc_rules)
{
	uint32_t vdev, vdev2, out, viommu2;
	struct vsetup v;
	int fd;

	vsetup(&v, 2);
	fd = v.f.fd;
	CHECK_OK(vdevice_alloc(fd, v.viommu, v.f.device_id[0], VIRT_ID, &vdev));
	/* uAPI: one vdevice per device, even in another vIOMMU. */
	CHECK_ERRNO(vdevice_alloc(fd, v.viommu, v.f.device_id[0], 0x100, &out),
		    EEXIST);
	CHECK_OK(viommu_alloc(fd, v.f.device_id[0], v.parent, &viommu2));
	CHECK_ERRNO(vdevice_alloc(fd, viommu2, v.f.device_id[0], 0x100, &out),
		    EEXIST);
	/* uAPI: one device per virt_id in a vIOMMU; other vIOMMUs are apart. */
	CHECK_ERRNO(vdevice_alloc(fd, v.viommu, v.f.device_id[1], VIRT_ID,
				  &out),
		    EEXIST);
	CHECK_OK(vdevice_alloc(fd, viommu2, v.f.device_id[1], VIRT_ID, &vdev2));
	/* uAPI: lookups ENOENT. */
	CHECK_ERRNO(vdevice_alloc(fd, NO_ID, v.f.device_id[0], 1, &out),
		    ENOENT);
	CHECK_ERRNO(vdevice_alloc(fd, v.viommu, NO_ID, 1, &out), ENOENT);
	CHECK_ERRNO(vdevice_alloc(fd, v.f.ioas_id, v.f.device_id[0], 1, &out),
		    ENOENT);
	/* uAPI: a vdevice holds its vIOMMU. */
	CHECK_ERRNO(t_destroy(fd, v.viommu), EBUSY);
	CHECK_OK(t_destroy(fd, vdev));
	CHECK_OK(vdevice_alloc(fd, v.viommu, v.f.device_id[0], 0x100, &vdev));
	CHECK_OK(t_destroy(fd, vdev));
	CHECK_OK(t_destroy(fd, v.viommu));
	CHECK_ERRNO(t_destroy(fd, viommu2), EBUSY);
	CHECK_OK(t_destroy(fd, vdev2));
	CHECK_OK(t_destroy(fd, viommu2));
	fixture_teardown(&v.f);
}

TEST(vdevice_tombstone)
{
	uint32_t vdev, ioas;
	struct vsetup v;
	int fd;

	vsetup(&v, 2);
	fd = v.f.fd;
	/* Device 1 goes first; the vIOMMU's device 0 stays. */
	CHECK_OK(vdevice_alloc(fd, v.viommu, v.f.device_id[1], VIRT_ID, &vdev));
	CHECK_ERRNO(t_destroy(fd, v.viommu), EBUSY);
	CHECK_OK(t_destroy(fd, v.f.stdev_id[1]));
	/* uAPI: the vdevice went with its device, its id is a tombstone. */
	CHECK_ERRNO(t_destroy(fd, vdev), ENOENT);
	CHECK_ERRNO(vdevice_alloc(fd, v.viommu, v.f.device_id[1], VIRT_ID,
				  NULL),
		    ENOENT);
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK(ioas != vdev);
	/* The virt_id is free again, the vIOMMU no longer held. */
	CHECK_OK(vdevice_alloc(fd, v.viommu, v.f.device_id[0], VIRT_ID, &vdev));
	CHECK_OK(t_destroy(fd, vdev));
	CHECK_OK(t_destroy(fd, v.viommu));
	fixture_teardown(&v.f);
}

TEST(vdevice_left_at_close)
{
	uint32_t vdev;
	struct vsetup v;
	int vfd;

	/* Everything still alive when the context closes goes with it. */
	vsetup(&v, 1);
	CHECK_OK(vdevice_alloc(v.f.fd, v.viommu, v.f.device_id[0], VIRT_ID,
			       &vdev));
	CHECK_OK(veventq_alloc(v.f.fd, v.viommu, 4, NULL, &vfd));
	CHECK_OK(t_close(vfd));
	fixture_teardown(&v.f);
}

/* ---- nested HWPTs of a vIOMMU -------------------------------------- */

TEST(viommu_nested_hwpt)
{
	uint32_t vdev, nested, out;
	struct vsetup v;
	int fd;

	vsetup(&v, 1);
	fd = v.f.fd;
	/* uAPI: a vIOMMU's nested HWPT always carries driver data. */
	CHECK_ERRNO(t_hwpt_alloc(fd, v.f.device_id[0], v.viommu, 0, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_nested_alloc(fd, v.f.device_id[0], v.viommu,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &out),
		    EOPNOTSUPP);
	CHECK_OK(t_nested_alloc(fd, v.f.device_id[0], v.viommu, 0, &nested));
	/* uAPI (mock): the RID needs a vdevice in the HWPT's vIOMMU. */
	CHECK_ERRNO(t_mock_replace(fd, v.f.stdev_id[0], nested, NULL), ENOENT);
	CHECK_OK(vdevice_alloc(fd, v.viommu, v.f.device_id[0], VIRT_ID, &vdev));
	CHECK_OK(t_mock_replace(fd, v.f.stdev_id[0], nested, NULL));
	/* uAPI: the nested HWPT holds its vIOMMU. */
	CHECK_OK(t_destroy(fd, vdev));
	CHECK_ERRNO(t_destroy(fd, v.viommu), EBUSY);
	CHECK_ERRNO(t_destroy(fd, nested), EBUSY);
	CHECK_OK(t_mock_replace(fd, v.f.stdev_id[0], v.f.ioas_id, NULL));
	CHECK_OK(t_destroy(fd, nested));
	CHECK_OK(t_destroy(fd, v.viommu));
	CHECK_OK(t_destroy(fd, v.parent));
	fixture_teardown(&v.f);
}

/* ---- IOMMU_HWPT_INVALIDATE on a vIOMMU ----------------------------- */

static void check_cache_all(int fd, uint32_t idev, uint32_t cache)
{
	for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		CHECK_OK(t_check_dev_cache(fd, idev, i, cache));
}

TEST(viommu_invalidate)
{
	struct iommu_viommu_invalidate_selftest reqs[2] = {};
	uint32_t vdev, num, dev;
	struct vsetup v;
	int fd;

	vsetup(&v, 1);
	fd = v.f.fd;
	dev = v.f.device_id[0];
	CHECK_OK(vdevice_alloc(fd, v.viommu, dev, VIRT_ID, &vdev));
	check_cache_all(fd, dev, IOMMU_TEST_DEV_CACHE_DEFAULT);

	/* uAPI: an empty array of the right type probes support. */
	num = 0;
	CHECK_OK(inv_selftest(fd, v.viommu, reqs, &num));
	CHECK_EQ(num, 0);
	num = 0;
	CHECK_ERRNO(t_hwpt_invalidate(fd, v.viommu, reqs,
				      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
				      sizeof(reqs[0]), &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(fd, v.viommu, reqs,
				      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
				      sizeof(reqs[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);

	/* uAPI (mock): unknown flags EOPNOTSUPP, bad ids EINVAL, nothing done. */
	reqs[0] = (struct iommu_viommu_invalidate_selftest){
		.flags = 0xf0, .vdev_id = VIRT_ID, .cache_id = 1 };
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, v.viommu, reqs, &num), EOPNOTSUPP);
	CHECK_EQ(num, 0);
	reqs[0].flags = 0;
	reqs[0].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, v.viommu, reqs, &num), EINVAL);
	CHECK_EQ(num, 0);
	reqs[0].cache_id = 1;
	reqs[0].vdev_id = VIRT_ID + 1;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, v.viommu, reqs, &num), EINVAL);
	CHECK_EQ(num, 0);
	check_cache_all(fd, dev, IOMMU_TEST_DEV_CACHE_DEFAULT);

	/* One entry of the vdevice's cache. */
	reqs[0].vdev_id = VIRT_ID;
	num = 1;
	CHECK_OK(inv_selftest(fd, v.viommu, reqs, &num));
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_dev_cache(fd, dev, 1, 0));
	CHECK_OK(t_check_dev_cache(fd, dev, 0, IOMMU_TEST_DEV_CACHE_DEFAULT));
	CHECK_ERRNO(t_check_dev_cache(fd, dev, 0, 0), EINVAL);

	/* uAPI: entry_num returns how many ran before a failure. */
	reqs[0].cache_id = 2;
	reqs[1] = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = VIRT_ID, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 };
	num = 2;
	CHECK_ERRNO(inv_selftest(fd, v.viommu, reqs, &num), EINVAL);
	CHECK_EQ(num, 1);
	CHECK_OK(t_check_dev_cache(fd, dev, 2, 0));
	CHECK_OK(t_check_dev_cache(fd, dev, 3, IOMMU_TEST_DEV_CACHE_DEFAULT));

	/* FLAG_ALL ignores the cache_id. */
	reqs[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	reqs[0].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	num = 1;
	CHECK_ERRNO(inv_selftest(fd, v.viommu, reqs, &num), EINVAL);
	reqs[0].cache_id = 0;
	num = 1;
	CHECK_OK(inv_selftest(fd, v.viommu, reqs, &num));
	CHECK_EQ(num, 1);
	check_cache_all(fd, dev, 0);
	fixture_teardown(&v.f);
}

/* ---- IOMMU_VEVENTQ_ALLOC ------------------------------------------- */

TEST(veventq_alloc_rules)
{
	uint32_t veventq, out;
	struct vsetup v;
	int fd, vfd, vfd2;

	vsetup(&v, 1);
	fd = v.f.fd;
	/* uAPI: flags, __reserved and the DEFAULT type are EOPNOTSUPP. */
	CHECK_ERRNO(veventq_alloc_full(fd, 1, 0, v.viommu,
				       IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &out,
				       &vfd),
		    EOPNOTSUPP);
	CHECK_ERRNO(veventq_alloc_full(fd, 0, 1, v.viommu,
				       IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &out,
				       &vfd),
		    EOPNOTSUPP);
	CHECK_ERRNO(veventq_alloc_full(fd, 0, 0, v.viommu,
				       IOMMU_VEVENTQ_TYPE_DEFAULT, 2, &out,
				       &vfd),
		    EOPNOTSUPP);
	/* uAPI: a zero depth EINVAL, a missing vIOMMU ENOENT. */
	CHECK_ERRNO(veventq_alloc(fd, v.viommu, 0, &out, &vfd), EINVAL);
	CHECK_ERRNO(veventq_alloc(fd, NO_ID, 2, &out, &vfd), ENOENT);
	CHECK_ERRNO(veventq_alloc(fd, v.parent, 2, &out, &vfd), ENOENT);

	CHECK_OK(veventq_alloc(fd, v.viommu, 2, &veventq, &vfd));
	CHECK(vfd >= 0);
	/* uAPI: one queue per type per vIOMMU. */
	CHECK_ERRNO(veventq_alloc(fd, v.viommu, 2, &out, &vfd2), EEXIST);
	CHECK_OK(veventq_alloc_full(fd, 0, 0, v.viommu,
				    IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &out,
				    &vfd2));
	CHECK_OK(t_close(vfd2));
	CHECK_OK(t_destroy(fd, out));
	/* uAPI: the queue holds its vIOMMU; an open fd holds the queue. */
	CHECK_ERRNO(t_destroy(fd, v.viommu), EBUSY);
	CHECK_ERRNO(t_destroy(fd, veventq), EBUSY);
	CHECK_OK(t_close(vfd));
	CHECK_OK(t_destroy(fd, veventq));
	CHECK_OK(t_destroy(fd, v.viommu));
	fixture_teardown(&v.f);
}

struct vevent_rec {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest ev;
};

TEST(veventq_trigger_read_poll)
{
	uint32_t vdev, nested, veventq;
	struct vevent_rec rec[2];
	struct vsetup v;
	int fd, vfd;

	vsetup_nested(&v, &vdev, &nested);
	fd = v.f.fd;
	/* uAPI: a device without a vIOMMU-backed RID has nothing to report. */
	CHECK_ERRNO(trigger_vevent(fd, NO_ID), ENOENT);
	/* uAPI: no queue of the type: EOPNOTSUPP. */
	CHECK_ERRNO(trigger_vevent(fd, v.f.device_id[0]), EOPNOTSUPP);

	CHECK_OK(veventq_alloc(fd, v.viommu, 4, &veventq, &vfd));
	CHECK_EQ(poll_now(vfd) & POLLIN, 0);
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), 0);

	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK(poll_now(vfd) & POLLIN);
	/* uAPI: too small for a whole record reads nothing. */
	CHECK_EQ(t_read(vfd, rec, sizeof(rec[0].hdr)), 0);
	CHECK(poll_now(vfd) & POLLIN);
	memset(rec, 0xff, sizeof(rec));
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), (ssize_t)sizeof(rec[0]));
	CHECK_EQ(rec[0].hdr.flags, 0);
	CHECK_EQ(rec[0].hdr.sequence, 0);
	CHECK_EQ(rec[0].ev.virt_id, VIRT_ID);
	CHECK_EQ(poll_now(vfd) & POLLIN, 0);

	/* Two more, read in one go, numbered on. */
	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	CHECK_EQ(rec[0].hdr.sequence, 1);
	CHECK_EQ(rec[1].hdr.sequence, 2);
	CHECK_EQ(rec[1].ev.virt_id, VIRT_ID);
	/* A bad buffer is EFAULT and the event stays queued. */
	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_ERRNO(t_read(vfd, (void *)8, sizeof(rec)), EFAULT);
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), (ssize_t)sizeof(rec[0]));
	CHECK_EQ(rec[0].hdr.sequence, 3);

	/* uAPI: the device leaving the vIOMMU's HWPT ends its events. */
	CHECK_OK(t_mock_replace(fd, v.f.stdev_id[0], v.f.ioas_id, NULL));
	CHECK_ERRNO(trigger_vevent(fd, v.f.device_id[0]), ENOENT);
	CHECK_OK(t_close(vfd));
	fixture_teardown(&v.f);
}

TEST(veventq_overflow_lost_events)
{
	uint32_t vdev, nested, veventq;
	struct vevent_rec rec[3];
	struct vsetup v;
	int fd, vfd;

	vsetup_nested(&v, &vdev, &nested);
	fd = v.f.fd;
	CHECK_OK(veventq_alloc(fd, v.viommu, 2, &veventq, &vfd));
	/* Depth 2: the third and fourth are lost, one record says so. */
	for (int i = 0; i < 4; i++)
		CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	memset(rec, 0, sizeof(rec));
	/* uAPI: the lost-events record is a bare header. */
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)),
		 (ssize_t)(2 * sizeof(rec[0]) + sizeof(rec[0].hdr)));
	CHECK_EQ(rec[0].hdr.flags, 0);
	CHECK_EQ(rec[0].hdr.sequence, 0);
	CHECK_EQ(rec[1].hdr.flags, 0);
	CHECK_EQ(rec[1].hdr.sequence, 1);
	CHECK_EQ(rec[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	CHECK_EQ(rec[2].hdr.sequence, 3);
	CHECK_EQ(poll_now(vfd) & POLLIN, 0);

	/* Room again: numbering goes on after the lost ones. */
	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), (ssize_t)sizeof(rec[0]));
	CHECK_EQ(rec[0].hdr.flags, 0);
	CHECK_EQ(rec[0].hdr.sequence, 4);

	/* A new event takes the lost record off the tail (the gap stays). */
	for (int i = 0; i < 3; i++)
		CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_EQ(t_read(vfd, rec, sizeof(rec[0])), (ssize_t)sizeof(rec[0]));
	CHECK_EQ(rec[0].hdr.sequence, 5);
	CHECK_OK(trigger_vevent(fd, v.f.device_id[0]));
	CHECK_EQ(t_read(vfd, rec, sizeof(rec)), (ssize_t)(2 * sizeof(rec[0])));
	CHECK_EQ(rec[0].hdr.sequence, 6);
	CHECK_EQ(rec[1].hdr.flags, 0);
	CHECK_EQ(rec[1].hdr.sequence, 8);
	CHECK_OK(t_close(vfd));
	fixture_teardown(&v.f);
}

/* ---- IOMMU_HW_QUEUE_ALLOC ------------------------------------------ */

TEST(hw_queue_rules)
{
	uint64_t iova = MOCK_APERTURE_START, page = PAGE_SIZE_T, unmapped;
	uint32_t q0, q1, out;
	struct vsetup v;
	char *buf;
	int fd;

	vsetup(&v, 1);
	fd = v.f.fd;
	buf = t_buffer(4 * page);
	/* Pages 0-1 contiguous at iova; page 3 right after them in IOVA. */
	CHECK_OK(t_ioas_map_fixed(fd, v.f.ioas_id, buf, 2 * page, iova));
	CHECK_OK(t_ioas_map_fixed(fd, v.f.ioas_id, buf + 3 * page, page,
				  iova + 2 * page));

	/* uAPI: flags and the DEFAULT type EOPNOTSUPP, length 0 EINVAL. */
	CHECK_ERRNO(hw_queue_alloc_full(fd, 1, v.viommu,
					IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
					page, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(hw_queue_alloc_full(fd, 0, v.viommu,
					IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, iova,
					page, &out),
		    EOPNOTSUPP);
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 0, iova, 0, &out), EINVAL);
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 0, UINT64_MAX - 10, page,
				   &out),
		    EOVERFLOW);
	CHECK_ERRNO(hw_queue_alloc(fd, NO_ID, 0, iova, page, &out), ENOENT);
	/* uAPI: a type the vIOMMU does not offer is EOPNOTSUPP. */
	CHECK_ERRNO(hw_queue_alloc_full(fd, 0, v.viommu,
					IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0,
					iova, page, &out),
		    EOPNOTSUPP);
	/* uAPI: the guest queue must be mapped ... */
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 0, iova + 16 * page, page,
				   &out),
		    ENOENT);
	/* ... and physically contiguous. */
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 0, iova + page, 2 * page,
				   &out),
		    EFAULT);
	/* uAPI (mock): indexes below the maximum, each after the one before. */
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, IOMMU_TEST_HW_QUEUE_MAX, iova,
				   page, &out),
		    EINVAL);
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 1, iova, page, &out), EIO);
	CHECK_OK(hw_queue_alloc(fd, v.viommu, 0, iova + 16, page / 2, &q0));
	CHECK_ERRNO(hw_queue_alloc(fd, v.viommu, 0, iova, page, &out), EEXIST);
	CHECK_OK(hw_queue_alloc(fd, v.viommu, 1, iova, 2 * page, &q1));

	/* uAPI: the queue's memory cannot be unmapped while it lives. */
	CHECK_ERRNO(t_ioas_unmap(fd, v.f.ioas_id, iova, 2 * page, &unmapped),
		    EBUSY);
	/* uAPI: a queue holds its vIOMMU, queue 1 holds queue 0. */
	CHECK_ERRNO(t_destroy(fd, v.viommu), EBUSY);
	CHECK_ERRNO(t_destroy(fd, q0), EBUSY);
	CHECK_OK(t_destroy(fd, q1));
	CHECK_ERRNO(t_ioas_unmap(fd, v.f.ioas_id, iova, 2 * page, &unmapped),
		    EBUSY);
	CHECK_OK(t_destroy(fd, q0));
	CHECK_OK(t_ioas_unmap(fd, v.f.ioas_id, iova, 2 * page, &unmapped));
	CHECK_EQ(unmapped, 2 * page);
	CHECK_OK(t_destroy(fd, v.viommu));
	fixture_teardown(&v.f);
	munmap(buf, 4 * page);
}

TEST(hw_queue_left_at_close)
{
	uint64_t iova = MOCK_APERTURE_START, page = PAGE_SIZE_T;
	uint32_t q0, q1;
	struct vsetup v;
	char *buf;

	vsetup(&v, 1);
	buf = t_buffer(2 * page);
	CHECK_OK(t_ioas_map_fixed(v.f.fd, v.f.ioas_id, buf, 2 * page, iova));
	CHECK_OK(hw_queue_alloc(v.f.fd, v.viommu, 0, iova, page, &q0));
	CHECK_OK(hw_queue_alloc(v.f.fd, v.viommu, 1, iova + page, page, &q1));
	fixture_teardown(&v.f);
	munmap(buf, 2 * page);
}
