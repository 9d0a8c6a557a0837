/*
 * fault_test.c - I/O page fault queues: IOMMU_FAULT_QUEUE_ALLOC and its fd,
 * fault-capable HWPTs (IOMMU_HWPT_FAULT_ID_VALID), IOMMU_TEST_OP_TRIGGER_IOPF,
 * read() of struct iommu_hwpt_pgfault records, write() of struct
 * iommu_hwpt_page_response, poll() readiness and the object's lifetime.
 *
 * Allocation, destroy and the size rules of read() and write() were checked
 * against a real kernel (Linux 6.12 with the test mock).  That kernel has no
 * fault-capable paging HWPT (6.13+) and, built without IOMMU_IOPF, cannot
 * attach a mock device to a fault-capable HWPT; what happens to a delivered
 * fault follows the 6.17 sources (eventq.c), as the comments say.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

#define REC_SIZE sizeof(struct iommu_hwpt_pgfault)
#define RESP_SIZE sizeof(struct iommu_hwpt_page_response)

static int fault_alloc(int fd, uint32_t *fault_id, int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int ret = t_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!ret) {
		*fault_id = cmd.out_fault_id;
		*fault_fd = cmd.out_fault_fd;
	}
	return ret;
}

/* A paging HWPT on @ioas_id whose faults go to @fault_id. */
static int iopf_hwpt_alloc(int fd, uint32_t dev_id, uint32_t ioas_id,
			   uint32_t fault_id, uint32_t *hwpt_id)
{
	return t_hwpt_alloc_full(fd, dev_id, ioas_id, IOMMU_HWPT_FAULT_ID_VALID,
			         fault_id, IOMMU_HWPT_DATA_NONE, NULL, 0,
			         hwpt_id);
}

static int trigger(int fd, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
		   uint32_t perm, uint64_t addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id, .pasid = pasid,
				  .grpid = grpid, .perm = perm, .addr = addr },
	};

	return t_test_cmd(fd, &cmd);
}

static int respond(int ffd, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response resp = { .cookie = cookie,
						 .code = code };

	return t_write(ffd, &resp, sizeof(resp));
}

/* poll() events of @ffd right now. */
static short poll_now(int ffd)
{
	struct pollfd p = { .fd = ffd, .events = POLLIN | POLLOUT };

	CHECK_EQ(poll(&p, 1, 0), 1);
	return p.revents;
}

/*
 * The fixture's first device on a fresh fault-capable paging HWPT: the
 * fault queue's id and fd, the HWPT's id.
 */
static void iopf_setup(struct fixture *self, uint32_t *fault_id,
		       int *ffd, uint32_t *hwpt_id)
{
	CHECK_OK(fault_alloc(self->fd, fault_id, ffd));
	CHECK_OK(iopf_hwpt_alloc(self->fd, self->device_id[0], self->ioas_id,
				 *fault_id, hwpt_id));
	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], *hwpt_id, NULL));
}

/* ---- the queue object and its fd ----------------------------------- */

VARIANT_TEST(fault_alloc_rules)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	struct {
		struct iommu_fault_alloc cmd;
		uint32_t tail;
	} big = { { .size = sizeof(big) }, 1 };
	uint32_t id, next;
	int ffd;

	/* uAPI: flags must be zero. */
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd),
		    EOPNOTSUPP);
	/* uAPI: size rules of every command: short EINVAL, tail E2BIG. */
	cmd.flags = 0;
	cmd.size = offsetof(struct iommu_fault_alloc, out_fault_fd);
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd), EINVAL);
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &big), E2BIG);
	CHECK_ERRNO(t_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, (void *)8),
		    EFAULT);
	/* The output fields are outputs whatever they held. */
	cmd.size = sizeof(cmd);
	cmd.out_fault_id = 77;
	cmd.out_fault_fd = 77;
	CHECK_OK(t_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	id = cmd.out_fault_id;
	ffd = cmd.out_fault_fd;
	CHECK(id != 0 && id != 77);
	CHECK(ffd > 2 && ffd != 77);
	/* uAPI: the fault fd is close-on-exec. */
	CHECK_EQ(fcntl(ffd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* The failed calls left no ids behind. */
	CHECK_OK(t_ioas_alloc(self->fd, &next));
	CHECK_EQ(next, id + 1);
	CHECK_OK(t_close(ffd));
}

VARIANT_TEST(fault_queue_is_busy_while_its_fd_is_open)
{
	uint32_t id, hwpt;
	int ffd;

	CHECK_OK(fault_alloc(self->fd, &id, &ffd));
	/* uAPI: the fd holds the object. */
	CHECK_ERRNO(t_destroy(self->fd, id), EBUSY);
	CHECK_OK(t_close(ffd));
	CHECK_OK(t_destroy(self->fd, id));
	CHECK_ERRNO(t_destroy(self->fd, id), ENOENT);
	if (self->mock_domains)
		CHECK_ERRNO(iopf_hwpt_alloc(self->fd, self->device_id[0],
					    self->ioas_id, id, &hwpt),
			    ENOENT);
}

VARIANT_TEST(fault_fd_has_no_ioctls)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 1 };
	uint32_t id;
	int ffd;

	CHECK_OK(fault_alloc(self->fd, &id, &ffd));
	CHECK_ERRNO(t_ioctl(ffd, IOMMU_DESTROY, &cmd), ENOTTY);
	CHECK_OK(t_close(ffd));
}

VARIANT_TEST(fault_fd_keeps_the_context)
{
	uint32_t id;
	char buf[REC_SIZE];
	int ffd;

	CHECK_OK(fault_alloc(self->fd, &id, &ffd));
	CHECK_OK(t_close(self->fd));
	/* The context lives on behind the fault fd. */
	CHECK_EQ(t_read(ffd, buf, sizeof(buf)), 0);
	CHECK_EQ(poll_now(ffd), POLLOUT);
	CHECK_OK(t_close(ffd));
	/* The fixture's teardown closes self->fd again: give it a new one. */
	self->fd = t_open("/dev/iommu", O_RDWR);
	CHECK_OK(self->fd);
}

/* ---- fault-capable HWPTs ------------------------------------------- */

VARIANT_TEST(fault_hwpt_alloc_rules)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t id, hwpt, parent, nested, out;
	int fd = self->fd, ffd;

	CHECK_OK(fault_alloc(fd, &id, &ffd));
	if (!self->mock_domains) {
		CHECK_ERRNO(iopf_hwpt_alloc(fd, self->device_id[0],
					    self->ioas_id, id, &out),
			    ENOENT);
		CHECK_OK(t_close(ffd));
		return;
	}
	/* 6.13+: a paging HWPT may take faults (6.12 said EOPNOTSUPP). */
	CHECK_OK(iopf_hwpt_alloc(fd, self->device_id[0], self->ioas_id, id,
				 &hwpt));
	/* uAPI: fault_id must name a fault queue. */
	CHECK_ERRNO(iopf_hwpt_alloc(fd, self->device_id[0], self->ioas_id,
				    self->ioas_id, &out),
		    ENOENT);
	CHECK_ERRNO(iopf_hwpt_alloc(fd, self->device_id[0], self->ioas_id,
				    NO_ID, &out),
		    ENOENT);
	/* uAPI: a nesting parent cannot take faults itself. */
	CHECK_ERRNO(t_hwpt_alloc_full(fd, self->device_id[0], self->ioas_id,
				      IOMMU_HWPT_FAULT_ID_VALID |
					      IOMMU_HWPT_ALLOC_NEST_PARENT,
				      id, IOMMU_HWPT_DATA_NONE, NULL, 0, &out),
		    EOPNOTSUPP);
	/* Without FAULT_ID_VALID the fault_id field is ignored. */
	CHECK_OK(t_hwpt_alloc_full(fd, self->device_id[0], self->ioas_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, NO_ID,
				   IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	CHECK_OK(t_hwpt_alloc_full(fd, self->device_id[0], parent,
				   IOMMU_HWPT_FAULT_ID_VALID, id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &nested));

	/* uAPI: a HWPT holds its fault queue, even once the fd is closed. */
	CHECK_OK(t_close(ffd));
	CHECK_ERRNO(t_destroy(fd, id), EBUSY);
	CHECK_OK(t_destroy(fd, hwpt));
	CHECK_ERRNO(t_destroy(fd, id), EBUSY);
	CHECK_OK(t_destroy(fd, nested));
	CHECK_OK(t_destroy(fd, id));
}

VARIANT_TEST(fault_hwpt_attach_and_busy)
{
	uint32_t id, hwpt;
	int ffd;

	if (!self->mock_domains)
		return;
	iopf_setup(self, &id, &ffd, &hwpt);
	CHECK_ERRNO(t_destroy(self->fd, hwpt), EBUSY);
	for (unsigned int i = 1; i < self->mock_domains; i++)
		CHECK_OK(
		    t_mock_replace(self->fd, self->stdev_id[i], hwpt, NULL));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_mock_replace(self->fd, self->stdev_id[i],
				        self->ioas_id, NULL));
	CHECK_OK(t_destroy(self->fd, hwpt));
	CHECK_OK(t_close(ffd));
	CHECK_OK(t_destroy(self->fd, id));
}

/* ---- TRIGGER_IOPF and read() --------------------------------------- */

VARIANT_TEST(fault_trigger_rules)
{
	struct iommu_hwpt_pgfault rec;
	uint32_t id, hwpt;
	int ffd;

	/* uAPI: dev_id must name a bound device. */
	CHECK_ERRNO(trigger(self->fd, NO_ID, 0, 0, 0, 0), ENOENT);
	CHECK_ERRNO(trigger(self->fd, self->ioas_id, 0, 0, 0, 0), ENOENT);
	if (!self->mock_domains)
		return;
	CHECK_ERRNO(trigger(self->fd, self->stdev_id[0], 0, 0, 0, 0), ENOENT);
	CHECK_OK(fault_alloc(self->fd, &id, &ffd));
	/* uAPI: a device without a fault-capable HWPT: accepted, dropped. */
	CHECK_OK(trigger(self->fd, self->device_id[0], 0, 1, 1, 0x1000));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(iopf_hwpt_alloc(self->fd, self->device_id[0], self->ioas_id,
				 id, &hwpt));
	CHECK_OK(trigger(self->fd, self->device_id[0], 0, 1, 1, 0x1000));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(t_mock_replace(self->fd, self->stdev_id[0], hwpt, NULL));
	CHECK_OK(trigger(self->fd, self->device_id[0], 0, 1, 1, 0x1000));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	/* Another device's faults go where that device is attached. */
	if (self->mock_domains > 1) {
		CHECK_OK(trigger(self->fd, self->device_id[1], 0, 1, 1, 0));
		CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	}
	CHECK_OK(respond(ffd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	CHECK_OK(t_close(ffd));
}

TEST(fault_record_contents)
{
	struct iommu_hwpt_pgfault rec[3];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	memset(rec, 0xa5, sizeof(rec));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 0x2,
			 IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			 0xdeadbeef000ull));
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), REC_SIZE);
	/* uAPI: the mock's requests are single-fault groups. */
	CHECK_EQ(rec[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec[0].dev_id, f.device_id[0]);
	CHECK_EQ(rec[0].pasid, 0);
	CHECK_EQ(rec[0].grpid, 0x2);
	CHECK_EQ(rec[0].perm,
		 IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
	CHECK_EQ(rec[0].__reserved, 0);
	CHECK_EQ(rec[0].addr, 0xdeadbeef000ull);
	/* uAPI: no length hint, and cookies count from 1. */
	CHECK_EQ(rec[0].length, 0);
	CHECK_EQ(rec[0].cookie, 1);
	/* Nothing past the record was written. */
	CHECK_EQ(rec[1].flags, 0xa5a5a5a5);
	CHECK_OK(respond(ffd, rec[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

TEST(fault_read_size_rules)
{
	struct iommu_hwpt_pgfault rec[2];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	/* uAPI: an empty queue reads 0 bytes; it never blocks. */
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), 0);
	CHECK_EQ(t_read(ffd, rec, 0), 0);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0x1000));
	/* uAPI: a count that is not whole records is ESPIPE. */
	CHECK_ERRNO(t_read(ffd, rec, REC_SIZE - 1), ESPIPE);
	CHECK_ERRNO(t_read(ffd, rec, REC_SIZE + 1), ESPIPE);
	CHECK_ERRNO(t_read(ffd, rec, 1), ESPIPE);
	/* uAPI: a zero count takes nothing. */
	CHECK_EQ(t_read(ffd, rec, 0), 0);
	CHECK_EQ(t_read(ffd, rec, 2 * REC_SIZE), REC_SIZE);
	CHECK_EQ(rec[0].grpid, 1);
	CHECK_EQ(t_read(ffd, rec, 2 * REC_SIZE), 0);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

TEST(fault_read_takes_whole_groups_in_order)
{
	struct iommu_hwpt_pgfault rec[4];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	for (uint32_t g = 1; g <= 3; g++)
		CHECK_OK(trigger(f.fd, f.device_id[0], 0, g, 1, g << 12));
	/* Room for one record: the oldest group only. */
	CHECK_EQ(t_read(ffd, rec, REC_SIZE), REC_SIZE);
	CHECK_EQ(rec[0].grpid, 1);
	CHECK_EQ(rec[0].cookie, 1);
	CHECK_EQ(poll_now(ffd), POLLIN | POLLOUT);
	/* Room for more: everything left, each group its own cookie. */
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), 2 * REC_SIZE);
	CHECK_EQ(rec[0].grpid, 2);
	CHECK_EQ(rec[0].cookie, 2);
	CHECK_EQ(rec[1].grpid, 3);
	CHECK_EQ(rec[1].cookie, 3);
	CHECK_EQ(rec[1].addr, 3 << 12);
	CHECK_EQ(poll_now(ffd), POLLOUT);
	/* uAPI: an answered cookie is free again, lowest first. */
	CHECK_OK(respond(ffd, 2, IOMMUFD_PAGE_RESP_SUCCESS));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 4, 1, 0));
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec[0].cookie, 2);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

TEST(fault_read_into_bad_memory)
{
	struct iommu_hwpt_pgfault rec[2];
	size_t page = PAGE_SIZE_T;
	struct fixture f;
	uint32_t id, hwpt;
	char *two;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 7, 1, 0));
	/* A record that cannot be copied out is not handed out (6.14+). */
	CHECK_ERRNO(t_read(ffd, (void *)8, REC_SIZE), EFAULT);
	CHECK_EQ(poll_now(ffd), POLLIN | POLLOUT);
	/* One whole group copied before the bad memory counts. */
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 8, 1, 0));
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED);
	CHECK_OK(munmap(two + page, page));
	CHECK_EQ(t_read(ffd, two + page - REC_SIZE, 2 * REC_SIZE), REC_SIZE);
	CHECK_EQ(((struct iommu_hwpt_pgfault *)(two + page))[-1].grpid, 7);
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec[0].grpid, 8);
	munmap(two, page);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

/* ---- write() ------------------------------------------------------- */

TEST(fault_write_rules)
{
	struct iommu_hwpt_page_response resp[2] = {};
	struct iommu_hwpt_pgfault rec[2];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	/* uAPI: a count that is not whole responses is ESPIPE. */
	CHECK_ERRNO(t_write(ffd, resp, RESP_SIZE - 1), ESPIPE);
	CHECK_ERRNO(t_write(ffd, resp, RESP_SIZE + 1), ESPIPE);
	CHECK_EQ(t_write(ffd, resp, 0), 0);
	/* uAPI: a cookie read() never handed out is EINVAL. */
	CHECK_ERRNO(respond(ffd, 0, IOMMUFD_PAGE_RESP_SUCCESS), EINVAL);
	CHECK_ERRNO(respond(ffd, 1, IOMMUFD_PAGE_RESP_SUCCESS), EINVAL);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	/* ...and so is one of a fault not yet read. */
	CHECK_ERRNO(respond(ffd, 1, IOMMUFD_PAGE_RESP_SUCCESS), EINVAL);
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), REC_SIZE);
	/* 6.14+: a code other than SUCCESS or INVALID is EINVAL. */
	CHECK_ERRNO(respond(ffd, rec[0].cookie, 2), EINVAL);
	CHECK_ERRNO(respond(ffd, rec[0].cookie, UINT32_MAX), EINVAL);
	CHECK_ERRNO(t_write(ffd, (void *)8, RESP_SIZE), EFAULT);
	CHECK_EQ(respond(ffd, rec[0].cookie, IOMMUFD_PAGE_RESP_INVALID),
		 RESP_SIZE);
	/* uAPI: a group is answered once. */
	CHECK_ERRNO(respond(ffd, rec[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		    EINVAL);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

TEST(fault_write_reports_partial_progress)
{
	struct iommu_hwpt_page_response resp[3] = {};
	struct iommu_hwpt_pgfault rec[2];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 2, 1, 0));
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), 2 * REC_SIZE);
	/* uAPI: responses up to the bad one are taken; their bytes count. */
	resp[0].cookie = rec[0].cookie;
	resp[1].cookie = NO_ID;
	resp[2].cookie = rec[1].cookie;
	CHECK_EQ(t_write(ffd, resp, sizeof(resp)), RESP_SIZE);
	CHECK_ERRNO(t_write(ffd, resp, RESP_SIZE), EINVAL);
	CHECK_EQ(t_write(ffd, &resp[2], RESP_SIZE), RESP_SIZE);
	/* Both in one call. */
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 3, 1, 0));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 4, 1, 0));
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), 2 * REC_SIZE);
	resp[0].cookie = rec[0].cookie;
	resp[1].cookie = rec[1].cookie;
	CHECK_EQ(t_write(ffd, resp, 2 * RESP_SIZE), 2 * RESP_SIZE);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

/* ---- poll() -------------------------------------------------------- */

TEST(fault_poll_follows_the_queue)
{
	struct iommu_hwpt_pgfault rec;
	struct pollfd p;
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	/* uAPI: always writable; readable exactly while faults wait. */
	CHECK_EQ(poll_now(ffd), POLLOUT);
	p = (struct pollfd){ .fd = ffd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 10), 0);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	CHECK_EQ(poll_now(ffd), POLLIN | POLLOUT);
	CHECK_EQ(poll(&p, 1, -1), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	/* Read but unanswered faults do not make the fd readable. */
	CHECK_EQ(poll_now(ffd), POLLOUT);
	CHECK_OK(respond(ffd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	CHECK_EQ(poll_now(ffd), POLLOUT);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

/* ---- routing by PASID ---------------------------------------------- */

TEST(fault_pasid_routing)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_pgfault rec;
	uint32_t id, hwpt, parent, nested;
	struct fixture f;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	/*
	 * 6.17: a PASID fault goes to that PASID's attachment; with none,
	 * the mock (a user-managed PASID table) sends it to a nested HWPT on
	 * the RID, never to a paging one.
	 */
	CHECK_OK(trigger(f.fd, f.device_id[0], 5, 1, 1, 0));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(t_hwpt_alloc_full(f.fd, f.device_id[0], f.ioas_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				   IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	CHECK_OK(t_hwpt_alloc_full(f.fd, f.device_id[0], parent,
				   IOMMU_HWPT_FAULT_ID_VALID, id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &nested));
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], nested, NULL));
	CHECK_OK(trigger(f.fd, f.device_id[0], 5, 2, IOMMU_PGFAULT_PERM_EXEC,
			 0x5000));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec.flags,
		 IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec.pasid, 5);
	CHECK_EQ(rec.grpid, 2);
	CHECK_EQ(rec.perm, IOMMU_PGFAULT_PERM_EXEC);
	CHECK_EQ(rec.addr, 0x5000);
	CHECK_OK(respond(ffd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	/* A nested HWPT without a queue drops it. */
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], hwpt, NULL));
	CHECK_OK(t_destroy(f.fd, nested));
	CHECK_OK(t_hwpt_alloc_full(f.fd, f.device_id[0], parent, 0, 0,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data), &nested));
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], nested, NULL));
	CHECK_OK(trigger(f.fd, f.device_id[0], 5, 3, 1, 0));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 3, 1, 0));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

/* ---- what happens to unanswered faults ----------------------------- */

TEST(fault_detach_answers_pending_faults)
{
	struct iommu_hwpt_pgfault rec;
	struct fixture f;
	uint32_t id, hwpt, cookie;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	/* uAPI: leaving the HWPT completes its unread faults... */
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	CHECK_EQ(poll_now(ffd), POLLIN | POLLOUT);
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], f.ioas_id, NULL));
	CHECK_EQ(poll_now(ffd), POLLOUT);
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	/* ...and its read, unanswered ones. */
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], hwpt, NULL));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 2, 1, 0));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	cookie = rec.cookie;
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], f.ioas_id, NULL));
	CHECK_ERRNO(respond(ffd, cookie, IOMMUFD_PAGE_RESP_SUCCESS), EINVAL);
	/* Destroying the device detaches it: the same. */
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], hwpt, NULL));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 3, 1, 0));
	CHECK_OK(t_destroy(f.fd, f.stdev_id[0]));
	CHECK_EQ(poll_now(ffd), POLLOUT);
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(t_destroy(f.fd, hwpt));
	CHECK_OK(t_close(ffd));
	CHECK_OK(t_destroy(f.fd, id));
	fixture_teardown(&f);
}

TEST(fault_other_devices_keep_their_faults)
{
	struct iommu_hwpt_pgfault rec[2];
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 2);
	iopf_setup(&f, &id, &ffd, &hwpt);
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[1], hwpt, NULL));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	CHECK_OK(trigger(f.fd, f.device_id[1], 0, 1, 1, 0));
	/* Only the leaving device's faults are completed. */
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], f.ioas_id, NULL));
	CHECK_EQ(t_read(ffd, rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec[0].dev_id, f.device_id[1]);
	CHECK_OK(respond(ffd, rec[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	CHECK_OK(t_close(ffd));
	fixture_teardown(&f);
}

TEST(fault_closing_the_fd_keeps_the_queue)
{
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	/*
	 * uAPI: closing the fd answers nothing; the faults wait until the
	 * queue object goes, which answers them.
	 */
	CHECK_OK(t_close(ffd));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 2, 1, 0));
	CHECK_ERRNO(t_destroy(f.fd, id), EBUSY);
	CHECK_OK(t_mock_replace(f.fd, f.stdev_id[0], f.ioas_id, NULL));
	CHECK_OK(t_destroy(f.fd, hwpt));
	CHECK_OK(t_destroy(f.fd, id));
	fixture_teardown(&f);
}

TEST(fault_close_context_with_faults_pending)
{
	struct iommu_hwpt_pgfault rec;
	struct fixture f;
	uint32_t id, hwpt;
	int ffd;

	fixture_setup(&f, 1);
	iopf_setup(&f, &id, &ffd, &hwpt);
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 1, 1, 0));
	CHECK_OK(trigger(f.fd, f.device_id[0], 0, 2, 1, 0));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	/* The context outlives its fd while the fault fd is open. */
	CHECK_OK(t_close(f.fd));
	CHECK_EQ(t_read(ffd, &rec, sizeof(rec)), REC_SIZE);
	CHECK_EQ(rec.grpid, 2);
	CHECK_EQ(respond(ffd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 RESP_SIZE);
	/* Closing the last fd frees everything (ASan checks it). */
	CHECK_OK(t_close(ffd));
}
