/*
 * sweep_test.c - the failure sweep (kernel: iommufd_fail_nth): every
 * injection point of util/fault_inject.h that a scenario passes is failed in
 * turn.
 *
 * A scenario is a list of steps through the library API (uiommu_open,
 * uiommu_ioctl, uiommu_read, uiommu_write, uiommu_close), each of which must
 * succeed when nothing is injected.  For each scenario the sweep:
 *   1. runs it with counting on, learning N, the points it passes;
 *   2. runs every prefix of k steps with nothing injected and records what a
 *      probe sees afterwards (the id the next IOAS gets, the pins on the
 *      scenario's buffers);
 *   3. for n = 1 .. N runs it with the n-th point failing.  The step that
 *      fails must have passed the failing point and must return a negative
 *      errno.  A failed call must have changed nothing, so the same call is
 *      retried (nothing injected any more) and the rest of the scenario
 *      must succeed and end in the state of a clean run.  Where the retry
 *      cannot apply (the response could not be copied back, which fails the
 *      ioctl after its effect as the kernel does; an event dropped for lack
 *      of memory) the scenario stops, and the state must be that of the k
 *      steps that succeeded (or k + 1 after a failed response).
 *    After each run, the context must still work (IOAS_ALLOC / MAP / UNMAP /
 *    DESTROY) and the probe must see the expected next id (no id leaked)
 *    and pins; closing must drop every pin, and (under ASan) nothing may
 *    leak.
 * Every run is a forked child of the test, so each starts from the same
 * state and a crash names its n.  UIOMMU_SWEEP_VERBOSE=1 prints each run.
 */
#include "harness.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <uiommu/emu.h>
#include <uiommu/uiommu.h>

#include "core/io_pagetable.h"
#include "iommufd_test.h"
#include "util/fault_inject.h"

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

#define MAX_STEPS 32
#define MAX_FDS 8
#define BUF_PAGES 4

/* What one run reports to the sweeping parent. */
struct run_result {
	int crashed_check;	/* a CHECK inside the child failed */
	unsigned int steps;	/* steps that succeeded */
	int failed_rc;		/* rc of the step that failed, or 0 */
	unsigned int fail_step;	/* its index */
	bool retried;		/* it was retried, and the scenario went on */
	int retry_rc;		/* the retry or a later step failed: rc */
	unsigned long hits;	/* points passed by the scenario */
	unsigned int probe_id;	/* id of the probe's IOAS */
	unsigned long pins;	/* pins on the scenario's buffers, probe time */
	char what[96];		/* the failed step */
	char site[96];		/* the point that failed */
};

struct sweep {
	int fd;			/* the iommufd, or -1 */
	int fds[MAX_FDS];	/* other fds to close, in this order */
	unsigned int nfds;
	unsigned int steps;
	unsigned int stop_after;
	unsigned long fail_nth;	/* 0: nothing injected */
	unsigned long win_start;	/* hits before the current window */
	unsigned long own_start;	/* hits before the current step */
	int failed_rc;		/* first failure */
	int retry_rc;		/* a failure after the retry */
	bool retried;
	unsigned long fail_hits;	/* points passed when it failed */
	unsigned long fail_win;	/* points passed when its step began */
	unsigned int fail_step;
	const char *what;
	size_t page;
	char *buf;		/* BUF_PAGES pages, mapped by the scenarios */
	char *buf2;
	int memfd;		/* BUF_PAGES pages, for IOAS_MAP_FILE */
	uint32_t ioas, ioas2, stdev, hwpt, idev;
};

/* Step flags. */
#define STEP_WINDOW_BACK 1u	/* may fail for a point of the step before */
#define STEP_COPYOUT_UNDONE 2u	/* a failed copy-out leaves nothing done */

static bool step_begin(struct sweep *s, unsigned int flags)
{
	if (s->steps == s->stop_after)
		return false;
	s->own_start = ufi_hits();
	if (!(flags & STEP_WINDOW_BACK))
		s->win_start = s->own_start;
	return true;
}

/*
 * A step failed with @rc: true when it is to be retried.  The first failure
 * is recorded; a step may fail only because the injected point was passed
 * inside its window (from its start, or from the previous step's with
 * STEP_WINDOW_BACK), which the parent checks.  A failed call must have
 * changed nothing, so the same call must then succeed, and the rest of the
 * scenario too - except when only the response could not be copied back
 * (the kernel's order: the effect stays, unless STEP_COPYOUT_UNDONE) or the
 * point was in the step before, where the scenario stops.
 */
static bool step_failed(struct sweep *s, long rc, const char *what,
			unsigned int flags)
{
	const char *site = ufi_failed_site();

	if (s->failed_rc) {
		s->retry_rc = (int)rc;
		return false;
	}
	s->failed_rc = (int)rc;
	s->what = what;
	s->fail_hits = ufi_hits();
	s->fail_win = s->win_start;
	s->fail_step = s->steps;
	if (!site || s->fail_nth <= s->own_start)
		return false;
	if (!strcmp(site, "copy_to_user") && !(flags & STEP_COPYOUT_UNDONE))
		return false;
	ufi_off();
	s->retried = true;
	return true;
}

/* Run one step; stop the scenario (return from it) when it fails. */
#define __STEP(s, expr, flags)                                               \
	do {                                                                 \
		long _r;                                                     \
		if (!step_begin(s, flags))                                   \
			return;                                              \
		_r = (expr);                                                 \
		if (_r < 0) {                                                \
			if (!step_failed(s, _r, #expr, flags))               \
				return;                                      \
			_r = (expr);                                         \
			if (_r < 0) {                                        \
				(s)->retry_rc = (int)_r;                     \
				return;                                      \
			}                                                    \
		}                                                            \
		(s)->steps++;                                                \
	} while (0)
#define STEP(s, expr) __STEP(s, expr, 0)
#define STEP_FLAGS(s, expr, flags) __STEP(s, expr, flags)

static void sweep_add_fd(struct sweep *s, int fd)
{
	CHECK(s->nfds < MAX_FDS);
	s->fds[s->nfds++] = fd;
}

/* ---- library calls, -errno on failure ------------------------------- */

static int do_open_iommufd(struct sweep *s)
{
	int fd = uiommu_open("/dev/iommu", O_RDWR);

	if (fd >= 0)
		s->fd = fd;
	return fd;
}

static int do_ioas_alloc(struct sweep *s, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = uiommu_ioctl(s->fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static int do_map(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t iova,
		  bool fixed)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)p,
		.length = len,
		.iova = iova,
	};

	return uiommu_ioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

static int do_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return uiommu_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

static int do_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return uiommu_ioctl(fd, IOMMU_DESTROY, &cmd);
}

static int do_test(struct sweep *s, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return uiommu_ioctl(s->fd, IOMMU_TEST_CMD, cmd);
}

static int do_mock_domain(struct sweep *s, uint32_t pt_id, uint32_t *stdev,
			  uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				      .id = pt_id };
	int rc = do_test(s, &cmd);

	if (!rc) {
		*stdev = cmd.mock_domain.out_stdev_id;
		*hwpt = cmd.mock_domain.out_hwpt_id;
		*idev = cmd.mock_domain.out_idev_id;
	}
	return rc;
}

static int do_check_map(struct sweep *s, uint32_t hwpt, uint64_t iova,
			uint64_t len, void *p)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)p },
	};

	return do_test(s, &cmd);
}

static int do_check_refs(struct sweep *s, void *p, uint64_t len,
			 uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)p,
				.refs = refs },
	};

	return do_test(s, &cmd);
}

static int do_replace(struct sweep *s, uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return do_test(s, &cmd);
}

static int do_hwpt_alloc(struct sweep *s, uint32_t dev, uint32_t pt,
			 uint32_t flags, uint32_t fault_id, uint32_t data_type,
			 void *data, uint32_t data_len, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev,
		.pt_id = pt,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = uiommu_ioctl(s->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*out = cmd.out_hwpt_id;
	return rc;
}

/* ---- the probe ------------------------------------------------------ */

static unsigned long buf_pins(struct sweep *s)
{
	unsigned long pins = 0;

	for (unsigned int i = 0; i < BUF_PAGES; i++) {
		pins += iopt_pin_refs(
			iopt_user_va_to_phys((uintptr_t)s->buf + i * s->page));
		pins += iopt_pin_refs(
			iopt_user_va_to_phys((uintptr_t)s->buf2 + i * s->page));
	}
	return pins;
}

/* The context still works: an IOAS, a map, an unmap, a destroy. */
static void probe(struct sweep *s, struct run_result *res)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.length = s->page,
	};
	void *p = mmap(NULL, s->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t id;

	CHECK(p != MAP_FAILED);
	if (s->fd < 0)
		CHECK(do_open_iommufd(s) >= 0);
	CHECK_EQ(do_ioas_alloc(s, &id), 0);
	res->probe_id = id;
	map.ioas_id = id;
	map.user_va = (uintptr_t)p;
	CHECK_EQ(uiommu_ioctl(s->fd, IOMMU_IOAS_MAP, &map), 0);
	CHECK_EQ(do_unmap(s->fd, id, map.iova, s->page), 0);
	CHECK_EQ(do_destroy(s->fd, id), 0);
	CHECK_EQ(iopt_pin_refs(iopt_user_va_to_phys((uintptr_t)p)), 0);
	munmap(p, s->page);
	res->pins = buf_pins(s);
}

/* ---- scenarios ------------------------------------------------------ */

static void scn_ioas(struct sweep *s)
{
	struct iommu_ioas_copy copy = { .size = sizeof(copy),
					.flags = IOMMU_IOAS_MAP_READABLE |
						 IOMMU_IOAS_MAP_WRITEABLE |
						 IOMMU_IOAS_MAP_FIXED_IOVA };
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges rcmd = { .size = sizeof(rcmd),
					       .num_iovas = 4 };
	uint64_t len = BUF_PAGES * s->page;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	STEP(s, do_map(s->fd, s->ioas, s->buf2, len, 1ull << 28, true));
	STEP(s, do_ioas_alloc(s, &s->ioas2));
	copy.dst_ioas_id = s->ioas2;
	copy.src_ioas_id = s->ioas;
	copy.length = len;
	copy.src_iova = 1ull << 24;
	copy.dst_iova = 1ull << 26;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_COPY, &copy));
	rcmd.ioas_id = s->ioas2;
	rcmd.allowed_iovas = (uintptr_t)ranges;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_IOVA_RANGES, &rcmd));
	STEP(s, do_unmap(s->fd, s->ioas, 1ull << 24, len));
	STEP(s, do_unmap(s->fd, s->ioas, 0, UINT64_MAX));
	STEP(s, do_destroy(s->fd, s->ioas));
}

static void scn_mock_domain(struct sweep *s)
{
	uint64_t len = BUF_PAGES * s->page;
	uint32_t stdev2, hwpt2, idev2;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	STEP(s, do_check_map(s, s->hwpt, 1ull << 24, len, s->buf));
	STEP(s, do_check_refs(s, s->buf, len, 1));
	STEP(s, do_mock_domain(s, s->ioas, &stdev2, &hwpt2, &idev2));
	STEP(s, do_check_map(s, hwpt2, 1ull << 24, len, s->buf));
	STEP(s, do_unmap(s->fd, s->ioas, 1ull << 24, len));
	STEP(s, do_check_refs(s, s->buf, len, 0));
	STEP(s, do_destroy(s->fd, stdev2));
}

/* IOAS_CHANGE_PROCESS over file maps, pinned by a domain. */
static void scn_change_process(struct sweep *s)
{
	struct iommu_ioas_change_process change = { .size = sizeof(change) };
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.iova = 1ull << 24,
	};
	uint64_t len = BUF_PAGES * s->page;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	mf.ioas_id = s->ioas;
	mf.fd = s->memfd;
	mf.length = len;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_MAP_FILE, &mf));
	mf.iova = 1ull << 25;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_MAP_FILE, &mf));
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_CHANGE_PROCESS, &change));
	STEP(s, do_unmap(s->fd, s->ioas, 0, UINT64_MAX));
}

static void scn_access(struct sweep *s)
{
	struct iommu_test_cmd create = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.create_access = {
			.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES },
	};
	struct iommu_test_cmd pages = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct iommu_test_cmd rw = { .op = IOMMU_TEST_OP_ACCESS_RW };
	struct iommu_test_cmd unpin = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };
	uint64_t len = BUF_PAGES * s->page;
	char data[64];

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	create.id = s->ioas;
	STEP(s, do_test(s, &create));
	sweep_add_fd(s, create.create_access.out_access_fd);
	pages.id = create.create_access.out_access_fd;
	pages.access_pages.flags = MOCK_FLAGS_ACCESS_WRITE;
	pages.access_pages.iova = 1ull << 24;
	pages.access_pages.length = 2 * s->page;
	pages.access_pages.uptr = (uintptr_t)s->buf;
	STEP(s, do_test(s, &pages));
	memset(data, 0x5a, sizeof(data));
	rw.id = pages.id;
	rw.access_rw.iova = (1ull << 24) + s->page - 16;
	rw.access_rw.length = sizeof(data);
	rw.access_rw.uptr = (uintptr_t)data;
	rw.access_rw.flags = MOCK_ACCESS_RW_WRITE;
	STEP(s, do_test(s, &rw));
	CHECK(!memcmp(s->buf + s->page - 16, data, sizeof(data)));
	memset(data, 0, sizeof(data));
	rw.access_rw.flags = MOCK_ACCESS_RW_SLOW_PATH;
	STEP(s, do_test(s, &rw));
	CHECK_EQ(data[0], 0x5a);
	CHECK_EQ(data[sizeof(data) - 1], 0x5a);
	unpin.id = pages.id;
	unpin.destroy_access_pages.access_pages_id =
		pages.access_pages.out_access_pages_id;
	STEP(s, do_test(s, &unpin));
	STEP(s, do_unmap(s->fd, s->ioas, 0, UINT64_MAX));
}

static void scn_hwpt(struct sweep *s)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint64_t len = BUF_PAGES * s->page;
	uint32_t parent, nested, paging;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, 0, 0, IOMMU_HWPT_DATA_NONE,
			      NULL, 0, &paging));
	STEP(s, do_replace(s, s->stdev, paging));
	STEP(s, do_check_map(s, paging, 1ull << 24, len, s->buf));
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	STEP(s, do_hwpt_alloc(s, s->idev, parent, 0, 0,
			      IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			      &nested));
	STEP(s, do_replace(s, s->stdev, nested));
	STEP(s, do_replace(s, s->stdev, s->ioas));
	STEP(s, do_destroy(s->fd, nested));
	STEP(s, do_destroy(s->fd, paging));
}

/* read() of one record: 0, -ENODATA when none was queued, or -errno. */
static int read_one(int fd, void *buf, size_t len)
{
	ssize_t n = uiommu_read(fd, buf, len);

	return n < 0 ? (int)n : n ? 0 : -ENODATA;
}

static void scn_fault(struct sweep *s)
{
	struct iommu_fault_alloc falloc = { .size = sizeof(falloc) };
	struct iommu_test_cmd trig = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS };
	uint32_t hwpt;
	int ffd;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	STEP(s, uiommu_ioctl(s->fd, IOMMU_FAULT_QUEUE_ALLOC, &falloc));
	ffd = falloc.out_fault_fd;
	sweep_add_fd(s, ffd);
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, IOMMU_HWPT_FAULT_ID_VALID,
			      falloc.out_fault_id, IOMMU_HWPT_DATA_NONE, NULL,
			      0, &hwpt));
	STEP(s, do_replace(s, s->stdev, hwpt));
	trig.trigger_iopf.dev_id = s->idev;
	trig.trigger_iopf.grpid = 1;
	trig.trigger_iopf.perm = 1;
	trig.trigger_iopf.addr = 0x1000;
	STEP(s, do_test(s, &trig));
	/*
	 * uAPI: a fault the queue could not take is dropped; one that could
	 * not be copied out stays queued (as the kernel's).
	 */
	STEP_FLAGS(s, read_one(ffd, &rec, sizeof(rec)),
		   STEP_WINDOW_BACK | STEP_COPYOUT_UNDONE);
	resp.cookie = rec.cookie;
	STEP(s, uiommu_write(ffd, &resp, sizeof(resp)));
	STEP(s, do_replace(s, s->stdev, s->ioas));
	STEP(s, do_destroy(s->fd, hwpt));
}

static int do_dev_open(struct sweep *s, int *dfd)
{
	int fd = uiommu_open("/dev/vfio/devices/vfio0", O_RDWR);

	if (fd >= 0) {
		*dfd = fd;
		sweep_add_fd(s, fd);
	}
	return fd;
}

/* One copy by the DMA engine (region 0): 0, or -EIO when it failed. */
static int do_dma(int dfd, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t regs[3] = { src, dst, len };
	uint32_t cmd = EMU_DMA_CMD_COPY, st = 0;

	for (unsigned int i = 0; i < 3; i++)
		if (uiommu_pwrite(dfd, &regs[i], 8, EMU_DMA_REG_SRC + 8 * i) !=
		    8)
			return -EIO;
	if (uiommu_pwrite(dfd, &cmd, 4, EMU_DMA_REG_CMD) != 4 ||
	    uiommu_pread(dfd, &st, 4, EMU_DMA_REG_STATUS) != 4)
		return -EIO;
	return st == EMU_DMA_STATUS_DONE ? 0 : -EIO;
}

/*
 * mmap() of @len bytes of @fd at @off, check that its first u32 is @want,
 * write @poke at byte 8 and munmap(): 0 or -errno.  One step, so no run
 * ends with the mapping (which would keep the context) still there.
 */
static int do_mmap_roundtrip(int fd, uint64_t off, uint64_t len,
			     uint32_t want, uint8_t poke)
{
	uint32_t *p;
	int rc;

	rc = uiommu_mmap(fd, NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 off, (void **)&p);
	if (rc)
		return rc;
	rc = p[0] == want ? 0 : -EIO;
	((uint8_t *)p)[8] = poke;
	uiommu_munmap(p, len);
	return rc;
}

static void scn_vfio(struct sweep *s)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct iommu_hw_info info = { .size = sizeof(info) };
	uint64_t hw[64];
	uint64_t len = BUF_PAGES * s->page;
	int dfd = -1;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_dev_open(s, &dfd));
	bind.iommufd = s->fd;
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	info.dev_id = bind.out_devid;
	info.data_len = sizeof(hw);
	info.data_uptr = (uintptr_t)hw;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_GET_HW_INFO, &info));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	at.pt_id = s->ioas;
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	STEP(s, do_map(s->fd, s->ioas, s->buf2, len, 1ull << 28, true));
	STEP(s, do_dma(dfd, 1ull << 24, (1ull << 28) + s->page, s->page));
	CHECK_EQ(s->buf2[s->page], 1);
	CHECK_EQ(s->buf2[2 * s->page - 1], 1);
	STEP(s, do_unmap(s->fd, s->ioas, 1ull << 24, len));
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	at.pt_id = s->ioas;
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	/* BAR2 (device RAM): written by pwrite, read back through mmap. */
	STEP(s, uiommu_pwrite(dfd, &(uint32_t){ 0x5a5a }, 4, 2ull << 40));
	STEP(s, do_mmap_roundtrip(dfd, 2ull << 40, s->page, 0x5a5a, 7));
	{
		uint8_t b = 0;

		STEP(s, uiommu_pread(dfd, &b, 1, (2ull << 40) + 8));
		CHECK_EQ(b, 7);
	}
}

/* The DMA engine's ring at @ring_iova (8 entries, in @ring). */
static int do_ring_setup(int dfd, uint64_t ring_iova)
{
	uint64_t base = ring_iova;
	uint32_t size = 8;

	if (uiommu_pwrite(dfd, &base, 8, EMU_DMA_REG_RING_BASE) != 8 ||
	    uiommu_pwrite(dfd, &size, 4, EMU_DMA_REG_RING_SIZE) != 4)
		return -EIO;
	return 0;
}

/* A 32-bit register: 0 or -errno (the copy-out is an injection point). */
static int ring_reg(int dfd, uint64_t off, uint32_t *v)
{
	ssize_t n = uiommu_pread(dfd, v, 4, off);

	return n == 4 ? 0 : n < 0 ? (int)n : -EIO;
}

/*
 * Queue one descriptor at *tail and ring the doorbell: 0 when it waits for
 * a page response (@wait) or completed with SUCCESS, else -EIO (a
 * descriptor the device failed, out of memory: a retry queues a new one).
 */
static int do_ring_desc(int dfd, struct emu_dma_desc *ring, uint32_t *tail,
			const struct emu_dma_desc *desc, bool wait)
{
	struct emu_dma_desc *d = &ring[*tail];
	uint32_t t = (*tail + 1) % 8;

	*d = *desc;
	*tail = t;
	if (uiommu_pwrite(dfd, &t, 4, EMU_DMA_REG_RING_TAIL) != 4)
		return -EIO;
	if (wait) {
		uint32_t st;
		int rc = ring_reg(dfd, EMU_DMA_REG_RING_STATUS, &st);

		return rc ? rc : st == EMU_DMA_RING_WAITING ? 0 : -EIO;
	}
	return d->status == EMU_DMA_DESC_SUCCESS ? 0 : -EIO;
}

/* The MSI eventfd of the device. */
static int do_set_msi(int dfd, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)buf;

	irq->argsz = sizeof(buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_MSI_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(efd));
	return uiommu_ioctl(dfd, VFIO_DEVICE_SET_IRQS, irq);
}

/*
 * Block on the interrupt until the device's thread has finished the ring
 * (no injection point is passed while it runs: the count stays the same
 * from run to run), then check the last descriptor.
 */
static int do_ring_drain(int dfd, int efd, const struct emu_dma_desc *ring,
			 uint32_t tail)
{
	uint64_t n;
	uint32_t head;
	int rc;

	CHECK_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	rc = ring_reg(dfd, EMU_DMA_REG_RING_HEAD, &head);
	if (rc)
		return rc;
	CHECK_EQ(head, tail);
	return ring[(tail + 7) % 8].status == EMU_DMA_DESC_SUCCESS ? 0 : -EIO;
}

/*
 * The DMA engine's ring on a PRI device (declared by the test):
 * fill and compare, then a copy into unmapped memory whose page request
 * is read from the fault queue and answered SUCCESS once it is mapped.
 */
static void scn_vfio_ring(struct sweep *s)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_fault_alloc falloc = { .size = sizeof(falloc) };
	struct iommu_hwpt_page_response resp = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct iommu_hwpt_pgfault rec;
	uint64_t len = BUF_PAGES * s->page, io = 1ull << 24;
	struct emu_dma_desc *ring = (struct emu_dma_desc *)s->buf;
	struct emu_dma_desc fill = { .opcode = EMU_DMA_OP_FILL,
				     .dst = io + s->page, .len = s->page,
				     .pattern = 0x0101010101010101ull };
	struct emu_dma_desc cmp = { .opcode = EMU_DMA_OP_COMPARE,
				    .src = io + s->page, .dst = io + s->page,
				    .len = s->page };
	struct emu_dma_desc copy = { .opcode = EMU_DMA_OP_COPY,
				     .src = io + s->page,
				     .dst = (1ull << 28) + s->page,
				     .len = s->page };
	uint32_t hwpt, tail = 0;
	int dfd = -1, ffd, efd;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_dev_open(s, &dfd));
	bind.iommufd = s->fd;
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	STEP(s, uiommu_ioctl(s->fd, IOMMU_FAULT_QUEUE_ALLOC, &falloc));
	ffd = falloc.out_fault_fd;
	sweep_add_fd(s, ffd);
	STEP(s, do_hwpt_alloc(s, bind.out_devid, s->ioas,
			      IOMMU_HWPT_FAULT_ID_VALID, falloc.out_fault_id,
			      IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt));
	at.pt_id = hwpt;
	STEP(s, uiommu_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, io, true));
	STEP(s, do_ring_setup(dfd, io));
	STEP(s, do_ring_desc(dfd, ring, &tail, &fill, false));
	STEP(s, do_ring_desc(dfd, ring, &tail, &cmp, false));
	CHECK_EQ(ring[(tail + 7) % 8].result, s->page);
	STEP(s, do_ring_desc(dfd, ring, &tail, &copy, true));
	STEP_FLAGS(s, read_one(ffd, &rec, sizeof(rec)),
		   STEP_WINDOW_BACK | STEP_COPYOUT_UNDONE);
	STEP(s, do_map(s->fd, s->ioas, s->buf2, len, 1ull << 28, true));
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	STEP(s, do_set_msi(dfd, efd));
	resp.cookie = rec.cookie;
	STEP(s, uiommu_write(ffd, &resp, sizeof(resp)));
	STEP(s, do_ring_drain(dfd, efd, ring, tail));
	CHECK_EQ(s->buf2[2 * s->page - 1], 1);
}

static void scn_viommu(struct sweep *s)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_viommu_alloc va = { .size = sizeof(va),
					 .type = IOMMU_VIOMMU_TYPE_SELFTEST };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x99 };
	struct iommu_veventq_alloc vq = { .size = sizeof(vq),
					  .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
					  .veventq_depth = 4 };
	struct iommu_hw_queue_alloc hq = { .size = sizeof(hq),
					   .type = IOMMU_HW_QUEUE_TYPE_SELFTEST };
	struct iommu_test_cmd trig = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
	struct iommu_viommu_invalidate_selftest vinv = { 0 };
	struct iommu_hwpt_invalidate vicmd = {
		.size = sizeof(vicmd),
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(vinv),
		.entry_num = 1,
	};
	struct iommu_viommu_selftest vdata = { .in_data = 0xbeef };
	char ev[256];
	uint32_t parent, nested;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	STEP(s, do_map(s->fd, s->ioas, s->buf, BUF_PAGES * s->page,
		       1ull << 24, true));
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	va.dev_id = s->idev;
	va.hwpt_id = parent;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VIOMMU_ALLOC, &va));
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = s->idev;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VDEVICE_ALLOC, &vd));
	STEP(s, do_hwpt_alloc(s, s->idev, va.out_viommu_id, 0, 0,
			      IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			      &nested));
	STEP(s, do_replace(s, s->stdev, nested));
	vq.viommu_id = va.out_viommu_id;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VEVENTQ_ALLOC, &vq));
	sweep_add_fd(s, vq.out_veventq_fd);
	trig.trigger_vevent.dev_id = s->idev;
	STEP(s, do_test(s, &trig));
	STEP_FLAGS(s, read_one(vq.out_veventq_fd, ev, sizeof(ev)),
		   STEP_WINDOW_BACK | STEP_COPYOUT_UNDONE);
	vinv.vdev_id = 0x99;
	vinv.cache_id = 1;
	vicmd.hwpt_id = va.out_viommu_id;
	vicmd.data_uptr = (uintptr_t)&vinv;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_INVALIDATE, &vicmd));
	hq.viommu_id = va.out_viommu_id;
	hq.nesting_parent_iova = 1ull << 24;
	hq.length = s->page;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HW_QUEUE_ALLOC, &hq));
	STEP(s, do_replace(s, s->stdev, s->ioas));
	STEP(s, do_destroy(s->fd, nested));
	STEP(s, do_destroy(s->fd, hq.out_hw_queue_id));
	STEP(s, do_destroy(s->fd, vd.out_vdevice_id));
	/* A vIOMMU with driver data offers its page for mmap(). */
	va.data_uptr = (uintptr_t)&vdata;
	va.data_len = sizeof(vdata);
	STEP_FLAGS(s, uiommu_ioctl(s->fd, IOMMU_VIOMMU_ALLOC, &va),
		   STEP_COPYOUT_UNDONE);
	STEP(s, do_mmap_roundtrip(s->fd, vdata.out_mmap_offset,
				  vdata.out_mmap_length, 0xbeef, 1));
	STEP(s, do_destroy(s->fd, va.out_viommu_id));
}

/*
 * Nested HWPTs on software IOMMU units (UIOMMU_DEVICES of the test): a
 * VT-d first-stage HWPT with its invalidation and dirty tracking on the
 * parent, then an SMMUv3 vIOMMU, vdevice, vSTE HWPT and guest commands.
 * The guest's tables live in unit_guest (16 pages at GUEST_GPA).
 */
#define GUEST_PAGES 16
#define GUEST_GPA (1ull << 30)
static uint64_t *unit_guest;

static uint64_t *guest_page(unsigned int pg)
{
	return unit_guest + pg * 512;
}

/* A 4-level table at page 0 mapping IOVA 0x200000 + n * 4K -> page 8 + n. */
static void guest_tables(uint64_t table, uint64_t leaf)
{
	memset(unit_guest, 0, GUEST_PAGES * 4096);
	guest_page(0)[0] = (GUEST_GPA + 1 * 4096) | table;
	guest_page(1)[0] = (GUEST_GPA + 2 * 4096) | table;
	guest_page(2)[1] = (GUEST_GPA + 3 * 4096) | table;
	guest_page(3)[0] = (GUEST_GPA + 8 * 4096) | leaf;
	guest_page(3)[1] = (GUEST_GPA + 9 * 4096) | leaf;
	/* SMMUv3 CD 0 at page 4: T0SZ 16, V, AA64, ASID 5, TTB0 page 0. */
	guest_page(4)[0] = 16 | (1ull << 31) | (1ull << 41) | (5ull << 48);
	guest_page(4)[1] = GUEST_GPA;
}

static int do_bind(int dfd, int ifd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind),
						 .iommufd = ifd };
	int rc = uiommu_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!rc)
		*devid = bind.out_devid;
	return rc;
}

static int do_attach(int dfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at),
						    .pt_id = pt_id };

	return uiommu_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static int do_invalidate(struct sweep *s, uint32_t id, uint32_t type,
			 void *reqs, uint32_t len, uint32_t num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)reqs,
		.data_type = type,
		.entry_len = len,
		.entry_num = num,
	};

	return uiommu_ioctl(s->fd, IOMMU_HWPT_INVALIDATE, &cmd);
}

static void scn_unit_nested(struct sweep *s)
{
	struct iommu_hwpt_vtd_s1 vtd = { .pgtbl_addr = GUEST_GPA,
					 .addr_width = 48 };
	struct iommu_hwpt_vtd_s1_invalidate vinv = { .addr = 0x200000,
						     .npages = 2 };
	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get),
		.iova = GUEST_GPA,
		.length = GUEST_PAGES * 4096,
		.page_size = 4096,
	};
	struct iommu_viommu_alloc va = { .size = sizeof(va),
					 .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x33 };
	struct iommu_hwpt_arm_smmuv3 ste = {
		{ htole64(1 | (5ull << 1) | (GUEST_GPA + 4 * 4096)), 0 }
	};
	uint64_t cmds[3][2] = {
		{ 0x12 | (5ull << 48), 0x201000 },	/* TLBI_NH_VA */
		{ 0x05 | (0x33ull << 32), 1 },		/* CFGI_CD */
		{ 0x11 | (5ull << 48), 0 },		/* TLBI_NH_ASID */
	};
	uint64_t bits = 0;
	uint32_t dev0, dev1, parent, nested, sparent, vste;
	int d0 = -1, d1 = -1;

	/* VT-d first stage: P, RW, US. */
	guest_tables(0x7, 0x7);
	get.data = (uintptr_t)&bits;
	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_dev_open(s, &d0));
	STEP(s, do_bind(d0, s->fd, &dev0));
	STEP(s, do_map(s->fd, s->ioas, unit_guest, GUEST_PAGES * 4096,
		       GUEST_GPA, true));
	STEP(s, do_hwpt_alloc(s, dev0, s->ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	STEP(s, do_hwpt_alloc(s, dev0, parent, 0, 0, IOMMU_HWPT_DATA_VTD_S1,
			      &vtd, sizeof(vtd), &nested));
	STEP(s, do_attach(d0, nested));
	track.hwpt_id = parent;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track));
	STEP(s, do_dma(d0, 0x200000, 0x201000, 64));
	STEP(s, do_invalidate(s, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
			      &vinv, sizeof(vinv), 1));
	get.hwpt_id = parent;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &get));
	CHECK_EQ(bits, (1u << 9) | (1u << 3));
	STEP(s, do_attach(d0, parent));
	STEP(s, do_destroy(s->fd, nested));

	/* SMMUv3: the same tables as Arm stage 1 (table 0b11; AF, AP[1]). */
	guest_tables(0x3, 0x3 | (1ull << 10) | (1ull << 6));
	STEP(s, d1 = uiommu_open("/dev/vfio/devices/vfio1", O_RDWR));
	sweep_add_fd(s, d1);
	STEP(s, do_bind(d1, s->fd, &dev1));
	STEP(s, do_hwpt_alloc(s, dev1, s->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &sparent));
	va.dev_id = dev1;
	va.hwpt_id = sparent;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VIOMMU_ALLOC, &va));
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = dev1;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VDEVICE_ALLOC, &vd));
	STEP(s, do_hwpt_alloc(s, dev1, va.out_viommu_id, 0, 0,
			      IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			      &vste));
	STEP(s, do_attach(d1, vste));
	STEP(s, do_dma(d1, 0x200000, 0x201000, 64));
	STEP(s, do_invalidate(s, va.out_viommu_id,
			      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds,
			      16, 3));
	STEP(s, do_dma(d1, 0x200000, 0x201000, 64));
	STEP(s, do_attach(d1, sparent));
	STEP(s, do_destroy(s->fd, vste));
	STEP(s, do_destroy(s->fd, vd.out_vdevice_id));
	STEP(s, do_destroy(s->fd, va.out_viommu_id));
}

static void scn_vfio_compat(struct sweep *s)
{
	struct iommu_vfio_ioas set = { .size = sizeof(set),
				       .op = IOMMU_VFIO_IOAS_SET };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 1ull << 24,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = 1ull << 24,
	};
	struct vfio_iommu_type1_dma_unmap unmap_all = {
		.argsz = sizeof(unmap_all),
		.flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};
	char info[256] = { 0 };

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	set.ioas_id = s->ioas;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_VFIO_IOAS, &set));
	STEP(s, uiommu_ioctl(s->fd, VFIO_SET_IOMMU,
			     (void *)(uintptr_t)VFIO_TYPE1_IOMMU));
	((struct vfio_iommu_type1_info *)info)->argsz = sizeof(info);
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_GET_INFO, info));
	map.vaddr = (uintptr_t)s->buf;
	map.size = BUF_PAGES * s->page;
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_MAP_DMA, &map));
	map.vaddr = (uintptr_t)s->buf2;
	map.iova = 1ull << 26;
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_MAP_DMA, &map));
	STEP(s, do_check_map(s, s->hwpt, 1ull << 24, BUF_PAGES * s->page,
			     s->buf));
	unmap.size = BUF_PAGES * s->page;
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	/* Type1 v1 splits a mapping that an unmap cuts. */
	unmap.iova = (1ull << 26) + s->page;
	unmap.size = s->page;
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	STEP(s, uiommu_ioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_all));
}

static void scn_dirty_pasid(struct sweep *s)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				     .mock_domain_flags.dev_flags =
					     MOCK_FLAGS_DEVICE_PASID };
	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_test_cmd dirty = { .op = IOMMU_TEST_OP_DIRTY };
	struct iommu_hwpt_get_dirty_bitmap get = { .size = sizeof(get) };
	struct iommu_test_cmd pasid = { .op = IOMMU_TEST_OP_PASID_ATTACH };
	struct iommu_test_cmd detach = { .op = IOMMU_TEST_OP_PASID_DETACH };
	struct iommu_iova_range allow = { .start = 1ull << 24,
					  .last = (1ull << 30) - 1 };
	struct iommu_ioas_allow_iovas acmd = { .size = sizeof(acmd),
					       .num_iovas = 1 };
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.iova = 1ull << 28,
	};
	uint64_t len = BUF_PAGES * s->page, bits[4] = { 0x5 }, out[4] = { 0 };
	uint32_t hwpt, phwpt;

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	md.id = s->ioas;
	STEP(s, do_test(s, &md));
	s->stdev = md.mock_domain_flags.out_stdev_id;
	s->idev = md.mock_domain_flags.out_idev_id;
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas,
			      IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				      IOMMU_HWPT_ALLOC_PASID,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt));
	STEP(s, do_replace(s, s->stdev, hwpt));
	acmd.ioas_id = s->ioas;
	acmd.allowed_iovas = (uintptr_t)&allow;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_ALLOW_IOVAS, &acmd));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	track.hwpt_id = hwpt;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track));
	dirty.id = hwpt;
	dirty.dirty.iova = 1ull << 24;
	dirty.dirty.length = len;
	dirty.dirty.page_size = s->page / 2;
	dirty.dirty.uptr = (uintptr_t)bits;
	STEP(s, do_test(s, &dirty));
	get.hwpt_id = hwpt;
	get.iova = 1ull << 24;
	get.length = len;
	get.page_size = s->page / 2;
	get.data = (uintptr_t)out;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &get));
	CHECK_EQ(out[0], 0x5);
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, IOMMU_HWPT_ALLOC_PASID, 0,
			      IOMMU_HWPT_DATA_NONE, NULL, 0, &phwpt));
	pasid.id = s->stdev;
	pasid.pasid_attach.pasid = 5;
	pasid.pasid_attach.pt_id = phwpt;
	STEP(s, do_test(s, &pasid));
	detach.id = s->stdev;
	detach.pasid_detach.pasid = 5;
	STEP(s, do_test(s, &detach));
	mf.ioas_id = s->ioas;
	mf.fd = s->memfd;
	mf.length = len;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_MAP_FILE, &mf));
	STEP(s, do_check_map(s, hwpt, 1ull << 24, len, s->buf));
	STEP(s, do_unmap(s->fd, s->ioas, 0, UINT64_MAX));
}

static void scn_copy_invalidate(struct sweep *s)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv[2] = {
		{ .iotlb_id = 1 }, { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL } };
	struct iommu_hwpt_invalidate icmd = {
		.size = sizeof(icmd),
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(inv[0]),
		.entry_num = 2,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.src_iova = 1ull << 24,
		.dst_iova = 1ull << 25,
	};
	struct iommu_test_cmd create = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.create_access = {
			.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES },
	};
	struct iommu_test_cmd replace = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	struct iommu_test_cmd rw = { .op = IOMMU_TEST_OP_ACCESS_RW };
	struct iommu_test_cmd pages = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct iommu_hw_info info = { .size = sizeof(info) };
	struct iommu_option opt = { .size = sizeof(opt),
				    .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET };
	uint64_t len = BUF_PAGES * s->page, hw[8];
	uint32_t stdev2, hwpt2, idev2, parent, nested;
	char out[32];

	STEP(s, do_open_iommufd(s));
	STEP(s, do_ioas_alloc(s, &s->ioas));
	STEP(s, do_ioas_alloc(s, &s->ioas2));
	opt.object_id = s->ioas2;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_OPTION, &opt));
	STEP(s, do_mock_domain(s, s->ioas, &s->stdev, &s->hwpt, &s->idev));
	STEP(s, do_mock_domain(s, s->ioas2, &stdev2, &hwpt2, &idev2));
	STEP(s, do_map(s->fd, s->ioas, s->buf, len, 1ull << 24, true));
	copy.dst_ioas_id = s->ioas2;
	copy.src_ioas_id = s->ioas;
	copy.length = len;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_IOAS_COPY, &copy));
	STEP(s, do_check_map(s, hwpt2, 1ull << 25, len, s->buf));
	create.id = s->ioas;
	STEP(s, do_test(s, &create));
	sweep_add_fd(s, create.create_access.out_access_fd);
	replace.id = create.create_access.out_access_fd;
	replace.access_replace_ioas.ioas_id = s->ioas2;
	STEP(s, do_test(s, &replace));
	rw.id = replace.id;
	rw.access_rw.iova = (1ull << 25) + 8;
	rw.access_rw.length = sizeof(out);
	rw.access_rw.uptr = (uintptr_t)out;
	STEP(s, do_test(s, &rw));
	CHECK_EQ(out[0], 1);
	pages.id = replace.id;
	pages.access_pages.iova = 1ull << 25;
	pages.access_pages.length = len;
	pages.access_pages.uptr = (uintptr_t)s->buf;
	STEP(s, do_test(s, &pages));
	info.dev_id = s->idev;
	info.data_len = sizeof(hw);
	info.data_uptr = (uintptr_t)hw;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_GET_HW_INFO, &info));
	STEP(s, do_hwpt_alloc(s, s->idev, s->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			      0, IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	STEP(s, do_hwpt_alloc(s, s->idev, parent, 0, 0,
			      IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			      &nested));
	icmd.hwpt_id = nested;
	icmd.data_uptr = (uintptr_t)inv;
	STEP(s, uiommu_ioctl(s->fd, IOMMU_HWPT_INVALIDATE, &icmd));
	STEP(s, do_unmap(s->fd, s->ioas2, 0, UINT64_MAX));
	STEP(s, do_destroy(s->fd, stdev2));
}

/* ---- the sweep ------------------------------------------------------ */

/* Made by the parent, so that every run maps the same addresses. */
static char *sweep_buf;
static int sweep_memfd = -1;

static void run_child(void (*scn)(struct sweep *), unsigned int stop_after,
		      unsigned long fail_nth, bool count, bool at_close,
		      int out)
{
	struct run_result res = { 0 };
	struct sweep s = {
		.fd = -1,
		.stop_after = stop_after,
		.fail_nth = fail_nth,
		.page = (size_t)sysconf(_SC_PAGESIZE),
	};

	s.buf = sweep_buf;
	s.buf2 = sweep_buf + BUF_PAGES * s.page;
	s.memfd = sweep_memfd;
	memset(s.buf, 1, BUF_PAGES * s.page);
	memset(s.buf2, 2, BUF_PAGES * s.page);

	if (at_close)
		;
	else if (count)
		ufi_count_start();
	else if (fail_nth)
		ufi_fail_nth(fail_nth);
	scn(&s);
	res.hits = ufi_hits();
	ufi_off();
	res.steps = s.steps;
	res.failed_rc = s.failed_rc;
	res.fail_step = s.fail_step;
	res.retried = s.retried;
	res.retry_rc = s.retry_rc;
	if (s.what)
		snprintf(res.what, sizeof(res.what), "%s", s.what);
	if (ufi_failed_site())
		snprintf(res.site, sizeof(res.site), "%s", ufi_failed_site());
	/* Only the injected failure may fail a step, and only its own. */
	if (s.failed_rc &&
	    (!fail_nth || fail_nth <= s.fail_win || fail_nth > s.fail_hits))
		test_fail(__FILE__, __LINE__,
			  "step %u (%s) failed %d (%s) with no injected "
			  "failure in it (n=%lu, site %s)",
			  s.fail_step + 1, res.what, s.failed_rc,
			  strerror(-s.failed_rc), fail_nth,
			  res.site[0] ? res.site : "none");
	probe(&s, &res);
	/* Closing never fails, whatever fails inside it. */
	if (at_close && count)
		ufi_count_start();
	else if (at_close)
		ufi_fail_nth(fail_nth);
	for (unsigned int i = 0; i < s.nfds; i++)
		CHECK_EQ(uiommu_close(s.fds[i]), 0);
	CHECK_EQ(uiommu_close(s.fd), 0);
	if (at_close) {
		res.hits = ufi_hits();
		ufi_off();
	}
	CHECK_EQ(buf_pins(&s), 0);
	if (__lsan_do_recoverable_leak_check &&
	    __lsan_do_recoverable_leak_check())
		test_fail(__FILE__, __LINE__, "memory leaked (n=%lu, site %s)",
			  fail_nth, res.site[0] ? res.site : "none");
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(3);
	_exit(0);
}

/* Run one child; false (with the reason printed) when it failed. */
static bool run_one(void (*scn)(struct sweep *), unsigned int stop_after,
		    unsigned long fail_nth, bool count, bool at_close,
		    struct run_result *res)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		close(pfd[0]);
		run_child(scn, stop_after, fail_nth, count, at_close, pfd[1]);
	}
	close(pfd[1]);
	n = read(pfd[0], res, sizeof(*res));
	close(pfd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (n != sizeof(*res) || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "  run n=%lu stop_after=%u: child %s %d\n",
			fail_nth, stop_after,
			WIFSIGNALED(status) ? "killed by signal" : "exited",
			WIFSIGNALED(status) ? WTERMSIG(status) :
					      WEXITSTATUS(status));
		return false;
	}
	return true;
}

static void sweep(const char *name, void (*scn)(struct sweep *))
{
	struct run_result full, ref[MAX_STEPS + 1], r;
	bool verbose = getenv("UIOMMU_SWEEP_VERBOSE") != NULL;
	unsigned int failures = 0, stopped = 0, retried = 0;
	unsigned long close_points;
	bool late_ok;

	if (!sweep_buf) {
		sweep_buf = mmap(NULL, 2 * BUF_PAGES * sysconf(_SC_PAGESIZE),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(sweep_buf != MAP_FAILED);
		sweep_memfd = memfd_create("sweep", 0);
		CHECK(sweep_memfd >= 0);
		CHECK_EQ(ftruncate(sweep_memfd,
				   BUF_PAGES * sysconf(_SC_PAGESIZE)), 0);
	}
	CHECK(run_one(scn, ~0u, 0, true, false, &full));
	CHECK_EQ(full.failed_rc, 0);
	CHECK(full.steps <= MAX_STEPS);
	CHECK(full.hits > 0);
	for (unsigned int k = 0; k <= full.steps; k++) {
		CHECK(run_one(scn, k, 0, false, false, &ref[k]));
		CHECK_EQ(ref[k].steps, k);
	}
	for (unsigned long n = 1; n <= full.hits; n++) {
		if (!run_one(scn, ~0u, n, false, false, &r)) {
			failures++;
			continue;
		}
		if (verbose)
			fprintf(stderr,
				"  %s n=%lu site=%s step=%u rc=%d retried=%d "
				"%s\n", name, n, r.site, r.fail_step + 1,
				r.failed_rc, r.retried, r.what);
		if (r.retried)
			retried++;
		else if (r.failed_rc)
			stopped++;
		if (strcmp(r.site, "") == 0) {
			fprintf(stderr, "  %s n=%lu: no point failed\n", name,
				n);
			failures++;
			continue;
		}
		if (r.retry_rc || (r.retried && r.steps != full.steps)) {
			fprintf(stderr,
				"  %s n=%lu (%s): step %u (%s) failed %d; after "
				"it, step %u failed %d\n",
				name, n, r.site, r.fail_step + 1, r.what,
				r.failed_rc, r.steps + 1, r.retry_rc);
			failures++;
			continue;
		}
		/*
		 * uAPI: a response that cannot be copied back fails the
		 * ioctl after its effect (the kernel's order): either state.
		 */
		late_ok = r.failed_rc && !r.retried && r.steps < full.steps &&
			  !strcmp(r.site, "copy_to_user");
		if (r.probe_id != ref[r.steps].probe_id &&
		    !(late_ok && r.probe_id == ref[r.steps + 1].probe_id)) {
			fprintf(stderr,
				"  %s n=%lu (%s): step %u (%s) failed %d; next "
				"id %u, want %u\n",
				name, n, r.site, r.steps + 1, r.what,
				r.failed_rc, r.probe_id,
				ref[r.steps].probe_id);
			failures++;
		}
		if (r.pins != ref[r.steps].pins &&
		    (r.steps == full.steps ||
		     r.pins != ref[r.steps + 1].pins)) {
			fprintf(stderr,
				"  %s n=%lu (%s): step %u (%s) failed %d; %lu "
				"pins, want %lu\n",
				name, n, r.site, r.steps + 1, r.what,
				r.failed_rc, r.pins, ref[r.steps].pins);
			failures++;
		}
	}
	/* The same for the points passed while the context closes. */
	CHECK(run_one(scn, ~0u, 0, true, true, &r));
	close_points = r.hits;
	for (unsigned long n = 1; n <= close_points; n++)
		if (!run_one(scn, ~0u, n, false, true, &r))
			failures++;
	fprintf(stderr, "  sweep %s: %u steps, %lu points (%u failed a step "
		"that then succeeded on retry, %u stopped the scenario), %lu "
		"points in close, %u failures\n", name, full.steps, full.hits,
		retried, stopped, close_points, failures);
	CHECK_EQ(failures, 0);
}

/* The counter itself: off, count mode, fail the n-th once, disarm. */
TEST(fault_inject_counter)
{
	void *p;

	CHECK(!FAULT_POINT("a"));
	ufi_count_start();
	CHECK(!FAULT_POINT("a"));
	p = ufi_malloc(8);
	CHECK(p);
	free(p);
	CHECK_EQ(ufi_hits(), 2);
	CHECK(!ufi_failed_site());
	ufi_fail_nth(3);
	CHECK(!FAULT_POINT("a"));
	CHECK(!FAULT_POINT("b"));
	CHECK(FAULT_POINT("c"));
	CHECK(!strcmp(ufi_failed_site(), "c"));
	CHECK(!FAULT_POINT("d"));
	ufi_fail_nth(1);
	CHECK(!ufi_calloc(1, 8));
	CHECK(strstr(ufi_failed_site(), "sweep_test.c:"));
	p = ufi_realloc(NULL, 8);
	CHECK(p);
	free(p);
	ufi_fail_nth(1);
	CHECK(!ufi_aligned_alloc(64, 64));
	ufi_fail_nth(1);
	CHECK(!ufi_strdup("x"));
	ufi_off();
	CHECK(!FAULT_POINT("a"));
	CHECK_EQ(ufi_hits(), 1);
}

TEST_TIMEOUT(sweep_ioas, 300)
{
	sweep("ioas", scn_ioas);
}

TEST_TIMEOUT(sweep_mock_domain, 300)
{
	sweep("mock_domain", scn_mock_domain);
}

TEST_TIMEOUT(sweep_change_process, 300)
{
	sweep("change_process", scn_change_process);
}

TEST_TIMEOUT(sweep_access, 300)
{
	sweep("access", scn_access);
}

TEST_TIMEOUT(sweep_hwpt, 300)
{
	sweep("hwpt", scn_hwpt);
}

TEST_TIMEOUT(sweep_fault, 300)
{
	sweep("fault", scn_fault);
}

TEST_TIMEOUT(sweep_vfio, 300)
{
	sweep("vfio", scn_vfio);
}

TEST_TIMEOUT(sweep_vfio_ring, 300)
{
	char err[128];

	/* A DMA engine that takes page requests, made before the runs. */
	CHECK_OK(uiommu_devices_declare("unit vtd0 type=vtd pri; "
					"device vfio0 unit=vtd0 bdf=0:3.0 pri",
					err, sizeof(err)));
	sweep("vfio_ring", scn_vfio_ring);
}

TEST_TIMEOUT(sweep_viommu, 300)
{
	sweep("viommu", scn_viommu);
}

TEST_TIMEOUT(sweep_unit_nested, 300)
{
	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd aw=48 nest dirty\n"
			"unit smmu0 type=smmuv3 nest\n"
			"device vfio0 unit=vtd0 bdf=0:3.0 model=dma\n"
			"device vfio1 unit=smmu0 bdf=0:4.0 model=dma",
			1));
	unit_guest = mmap(NULL, GUEST_PAGES * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(unit_guest != MAP_FAILED);
	/* Declare the devices here, once: the runs fork from this state. */
	for (unsigned int i = 0; i < 2; i++) {
		int fd = uiommu_open(i ? "/dev/vfio/devices/vfio1" :
					 "/dev/vfio/devices/vfio0",
				     O_RDWR);

		CHECK(fd >= 0);
		CHECK_OK(uiommu_close(fd));
	}
	sweep("unit_nested", scn_unit_nested);
}

TEST_TIMEOUT(sweep_vfio_compat, 300)
{
	sweep("vfio_compat", scn_vfio_compat);
}

TEST_TIMEOUT(sweep_dirty_pasid, 300)
{
	sweep("dirty_pasid", scn_dirty_pasid);
}

TEST_TIMEOUT(sweep_copy_invalidate, 300)
{
	sweep("copy_invalidate", scn_copy_invalidate);
}
