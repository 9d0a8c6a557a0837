/*
 * fault_group_test.c - page request groups of several faults, which the
 * test mock's TRIGGER_IOPF (always a single, last fault) cannot make: the
 * faults of a group reach read() only once its last one arrived, in order,
 * under one cookie; a group is read whole or not at all; detaching the
 * device drops groups still waiting for their last fault.
 *
 * The context is driven through its file's ioctl op; faults enter through
 * iommufd_fault_report() as a device model would send them.
 */
#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/device.h"
#include "core/fault.h"
#include "iommufd_test.h"

#define REC_SIZE sizeof(struct iommu_hwpt_pgfault)

struct ctx {
	struct ufile *f;
	struct ufile *ff;	/* the fault queue's file */
	int fd, ffd;
	uint32_t ioas, stdev, idev, fault, hwpt;
};

static long ctx_ioctl(struct ctx *c, unsigned long cmd, void *arg)
{
	return c->f->ops->ioctl(c->f, cmd, arg);
}

static int replace(struct ctx *c, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = c->stdev,
		.mock_domain_replace.pt_id = pt_id,
	};

	return ctx_ioctl(c, IOMMU_TEST_CMD, &cmd);
}

static void ctx_setup(struct ctx *c)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
				       .flags = IOMMU_HWPT_FAULT_ID_VALID };

	c->fd = iommufd_fops_open("/dev/iommu", O_RDWR);
	CHECK(c->fd >= 0);
	c->f = ufile_get(c->fd);
	CHECK(c->f);
	CHECK_EQ(ctx_ioctl(c, IOMMU_IOAS_ALLOC, &ioas), 0);
	c->ioas = ioas.out_ioas_id;
	md.id = c->ioas;
	CHECK_EQ(ctx_ioctl(c, IOMMU_TEST_CMD, &md), 0);
	c->stdev = md.mock_domain.out_stdev_id;
	c->idev = md.mock_domain.out_idev_id;
	CHECK_EQ(ctx_ioctl(c, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	c->fault = fa.out_fault_id;
	c->ffd = fa.out_fault_fd;
	c->ff = ufile_get(c->ffd);
	CHECK(c->ff);
	ha.dev_id = c->idev;
	ha.pt_id = c->ioas;
	ha.fault_id = c->fault;
	CHECK_EQ(ctx_ioctl(c, IOMMU_HWPT_ALLOC, &ha), 0);
	c->hwpt = ha.out_hwpt_id;
	CHECK_EQ(replace(c, c->hwpt), 0);
}

static void ctx_teardown(struct ctx *c)
{
	ufile_put(c->ff);
	CHECK_EQ(ufile_remove_fd(c->ffd), 0);
	close(c->ffd);
	ufile_put(c->f);
	CHECK_EQ(ufile_remove_fd(c->fd), 0);
	close(c->fd);
}

/* A fault of the context's device, @last ending its group. */
static void report(struct ctx *c, uint32_t grpid, uint64_t addr, bool last)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_ufile(c->f);
	struct iommu_hwpt_pgfault rec = {
		.flags = last ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0,
		.grpid = grpid,
		.perm = IOMMU_PGFAULT_PERM_READ,
		.addr = addr,
		.length = 4096,
	};
	struct iommufd_object *obj;

	iommufd_ctx_lock(ictx);
	obj = iommufd_get_object(ictx, c->idev, IOMMUFD_OBJ_DEVICE);
	CHECK(!IS_ERR(obj));
	iommufd_fault_report(container_of(obj, struct iommufd_device, obj),
			     &rec);
	iommufd_put_object(ictx, obj);
	iommufd_ctx_unlock(ictx);
}

static ssize_t fault_read(struct ctx *c, void *buf, size_t n)
{
	return c->ff->ops->read(c->ff, buf, n);
}

static ssize_t fault_respond(struct ctx *c, uint32_t cookie)
{
	struct iommu_hwpt_page_response resp = { .cookie = cookie };

	return c->ff->ops->write(c->ff, &resp, sizeof(resp));
}

TEST(fault_group_waits_for_its_last_fault)
{
	struct iommu_hwpt_pgfault rec[4];
	struct ctx c;

	ctx_setup(&c);
	report(&c, 7, 0x1000, false);
	report(&c, 7, 0x2000, false);
	CHECK_EQ(fault_read(&c, rec, sizeof(rec)), 0);
	CHECK(!atomic_load(&c.ff->readable));
	report(&c, 7, 0x3000, true);
	CHECK(atomic_load(&c.ff->readable));
	CHECK_EQ(fault_read(&c, rec, sizeof(rec)), 3 * REC_SIZE);
	for (unsigned int i = 0; i < 3; i++) {
		CHECK_EQ(rec[i].grpid, 7);
		CHECK_EQ(rec[i].addr, 0x1000 * (i + 1));
		CHECK_EQ(rec[i].cookie, rec[0].cookie);
		CHECK_EQ(rec[i].dev_id, c.idev);
		/* uAPI: no length hint is passed on. */
		CHECK_EQ(rec[i].length, 0);
	}
	CHECK_EQ(rec[0].flags, 0);
	CHECK_EQ(rec[2].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	/* One response completes the whole group. */
	CHECK_EQ(fault_respond(&c, rec[0].cookie), 8);
	CHECK_EQ(fault_respond(&c, rec[0].cookie), -EINVAL);
	ctx_teardown(&c);
}

TEST(fault_group_is_read_whole)
{
	struct iommu_hwpt_pgfault rec[4];
	struct ctx c;

	ctx_setup(&c);
	report(&c, 1, 0x1000, false);
	report(&c, 1, 0x2000, true);
	report(&c, 2, 0x3000, false);
	report(&c, 2, 0x4000, true);
	/* uAPI: no room for the whole first group: nothing is read. */
	CHECK_EQ(fault_read(&c, rec, REC_SIZE), 0);
	CHECK(atomic_load(&c.ff->readable));
	/* Room for the first group but not the second: the first only. */
	CHECK_EQ(fault_read(&c, rec, 3 * REC_SIZE), 2 * REC_SIZE);
	CHECK_EQ(rec[0].grpid, 1);
	CHECK_EQ(rec[1].grpid, 1);
	CHECK_EQ(fault_read(&c, rec, sizeof(rec)), 2 * REC_SIZE);
	CHECK_EQ(rec[0].grpid, 2);
	CHECK_EQ(rec[1].addr, 0x4000);
	CHECK(!atomic_load(&c.ff->readable));
	ctx_teardown(&c);
}

TEST(fault_groups_interleave_by_index)
{
	struct iommu_hwpt_pgfault rec[4];
	struct ctx c;

	ctx_setup(&c);
	report(&c, 1, 0x1000, false);
	report(&c, 2, 0x2000, false);
	report(&c, 2, 0x3000, true);
	report(&c, 1, 0x4000, true);
	/* Groups queue in the order they completed. */
	CHECK_EQ(fault_read(&c, rec, sizeof(rec)), 4 * REC_SIZE);
	CHECK_EQ(rec[0].grpid, 2);
	CHECK_EQ(rec[1].addr, 0x3000);
	CHECK_EQ(rec[2].grpid, 1);
	CHECK_EQ(rec[2].addr, 0x1000);
	CHECK_EQ(rec[3].addr, 0x4000);
	CHECK(rec[0].cookie != rec[2].cookie);
	ctx_teardown(&c);
}

TEST(fault_detach_drops_partial_groups)
{
	struct iommu_hwpt_pgfault rec[4];
	struct ctx c;

	ctx_setup(&c);
	report(&c, 3, 0x1000, false);
	CHECK_EQ(replace(&c, c.ioas), 0);
	CHECK_EQ(replace(&c, c.hwpt), 0);
	/* The last fault alone makes a group of one. */
	report(&c, 3, 0x2000, true);
	CHECK_EQ(fault_read(&c, rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec[0].addr, 0x2000);
	ctx_teardown(&c);
}

TEST(fault_destroy_drops_everything)
{
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_destroy d = { .size = sizeof(d) };
	struct ctx c;

	ctx_setup(&c);
	report(&c, 1, 0x1000, false);
	report(&c, 2, 0x2000, true);
	report(&c, 3, 0x3000, true);
	CHECK_EQ(fault_read(&c, rec, REC_SIZE), REC_SIZE);
	CHECK_EQ(replace(&c, c.ioas), 0);
	d.id = c.hwpt;
	CHECK_EQ(ctx_ioctl(&c, IOMMU_DESTROY, &d), 0);
	/* The queue goes once its fd is closed; ASan sees nothing leak. */
	ufile_put(c.ff);
	CHECK_EQ(ufile_remove_fd(c.ffd), 0);
	close(c.ffd);
	d.id = c.fault;
	CHECK_EQ(ctx_ioctl(&c, IOMMU_DESTROY, &d), 0);
	ufile_put(c.f);
	CHECK_EQ(ufile_remove_fd(c.fd), 0);
	close(c.fd);
}
