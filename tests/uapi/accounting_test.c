/*
 * accounting_test.c - pinned pages as the host kernel sees them.
 *
 * The kernel's iommufd counts the pages it pins in the process's
 * mm->pinned_vm (VmPin in /proc/PID/status) and, in USER mode, charges the
 * user's locked_vm against RLIMIT_MEMLOCK.  uiommu makes both real through
 * io_uring fixed buffers (src/core/pages.c), so these tests read VmPin and
 * expect the kernel itself to refuse a map past the limit.  They skip when
 * this host has no io_uring (uiommu then counts pins only internally).
 *
 * Each test runs in its own forked child (harness.h), so capability drops,
 * uid changes and RLIMIT_MEMLOCK changes stay inside the test.
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi.h"

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static long vm_pin_pages(void)
{
	return t_status_pages(getpid(), "VmPin");
}

static long vm_lck_pages(void)
{
	return t_status_pages(getpid(), "VmLck");
}

static void need_io_uring(void)
{
	struct io_uring_params p = {};
	int fd;

	if (getenv("UIOMMU_NO_IO_URING"))
		SKIP("UIOMMU_NO_IO_URING: uiommu's pins are internal only");
	fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd < 0)
		SKIP("no io_uring here: uiommu's pins are then internal only");
	close(fd);
	if (vm_pin_pages() < 0)
		SKIP("no VmPin in /proc/self/status");
}

static int map_va(int fd, uint32_t ioas_id, void *buf, uint64_t len,
		  uint64_t *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!ret && iova)
		*iova = cmd.iova;
	return ret;
}

static int ioas_copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		     uint64_t len)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = RW,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.src_iova = src_iova,
	};

	return t_ioctl(fd, IOMMU_IOAS_COPY, &cmd);
}

TEST(vm_pin_follows_domain_pins)
{
	uint64_t p = PAGE_SIZE_T, iova;
	char *buf = t_buffer(16 * p);
	uint32_t a, b, c;
	long base;
	int fd;

	need_io_uring();
	base = vm_pin_pages();
	fd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_ioas_alloc(fd, &c));
	/* Without a domain nothing is pinned. */
	CHECK_OK(map_va(fd, c, buf, 16 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base);
	CHECK_OK(t_mock_domain(fd, a, NULL, NULL, NULL));
	CHECK_OK(t_mock_domain(fd, b, NULL, NULL, NULL));
	/* uAPI: a domain pins the mapped pages: VmPin rises by them. */
	CHECK_OK(map_va(fd, a, buf, 16 * p, &iova));
	CHECK_EQ(vm_pin_pages(), base + 16);
	/* A copy shares the pages object: no second charge. */
	CHECK_OK(ioas_copy(fd, b, a, iova, 16 * p));
	CHECK_EQ(vm_pin_pages(), base + 16);
	CHECK_OK(t_ioas_unmap(fd, a, 0, UINT64_MAX, NULL));
	CHECK_EQ(vm_pin_pages(), base + 16);
	CHECK_OK(t_ioas_unmap(fd, b, 0, UINT64_MAX, NULL));
	CHECK_EQ(vm_pin_pages(), base);
	/* A second map of the same memory is a second pages object. */
	CHECK_OK(map_va(fd, a, buf, 8 * p, NULL));
	CHECK_OK(map_va(fd, b, buf, 4 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base + 12);
	/* Closing gives back everything. */
	CHECK_OK(t_close(fd));
	CHECK_EQ(vm_pin_pages(), base);
}

TEST(vm_pin_follows_partial_access_pins)
{
	uint64_t p = PAGE_SIZE_T, iova;
	char *buf = t_buffer(16 * p);
	uint32_t ioas, id1, id2;
	long base;
	int fd, afd;

	need_io_uring();
	base = vm_pin_pages();
	fd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(map_va(fd, ioas, buf, 16 * p, &iova));
	CHECK_OK(t_create_access(fd, ioas,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_OK(t_access_pages(fd, afd, iova, 8 * p, buf, 0, &id1));
	CHECK_EQ(vm_pin_pages(), base + 8);
	/* Overlapping pins of one pages object count each page once. */
	CHECK_OK(t_access_pages(fd, afd, iova + 4 * p, 8 * p, buf + 4 * p, 0,
				&id2));
	CHECK_EQ(vm_pin_pages(), base + 12);
	/* Dropping the first leaves pages 4..11 pinned, and only them. */
	CHECK_OK(t_destroy_access_pages(fd, afd, id1));
	CHECK_EQ(vm_pin_pages(), base + 8);
	CHECK_OK(t_destroy_access_pages(fd, afd, id2));
	CHECK_EQ(vm_pin_pages(), base);
	CHECK_OK(t_close(fd));
	CHECK_EQ(vm_pin_pages(), base);
}

TEST(memlock_limit_is_enforced_by_the_kernel)
{
	uint64_t p = PAGE_SIZE_T, iova, unmapped;
	struct rlimit rl = { 8 * p, 8 * p };
	char *buf = t_buffer(16 * p);
	uid_t uid = 200000 + getpid() % 100000;
	uint32_t ioas;
	long base;
	int fd;

	need_io_uring();
	CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
	/* A user of our own: no CAP_IPC_LOCK at all, no one else's charges. */
	if (setresuid(uid, uid, uid))
		SKIP("cannot become a fresh user (needs CAP_SETUID) to drop "
		     "CAP_IPC_LOCK from the permitted set");
	base = vm_pin_pages();
	fd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, NULL));
	/* uAPI: past RLIMIT_MEMLOCK is ENOMEM, and nothing changes. */
	CHECK_ERRNO(map_va(fd, ioas, buf, 16 * p, NULL), ENOMEM);
	CHECK_EQ(vm_pin_pages(), base);
	CHECK_OK(t_ioas_unmap(fd, ioas, 0, UINT64_MAX, &unmapped));
	CHECK_EQ(unmapped, 0);
	/*
	 * The boundary itself is not probed: io_uring charges its own ring
	 * memory (2 pages on Linux 6.18) to the same user (docs/compat.md).
	 */
	CHECK_OK(map_va(fd, ioas, buf, 4 * p, &iova));
	CHECK_EQ(vm_pin_pages(), base + 4);
	CHECK_ERRNO(map_va(fd, ioas, buf + 4 * p, 8 * p, NULL), ENOMEM);
	CHECK_EQ(vm_pin_pages(), base + 4);
	/* Unmapping gives the charge back exactly. */
	CHECK_OK(t_ioas_unmap(fd, ioas, iova, 4 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base);
	CHECK_OK(map_va(fd, ioas, buf + 8 * p, 4 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base + 4);
	CHECK_ERRNO(map_va(fd, ioas, buf, 8 * p, NULL), ENOMEM);
	CHECK_OK(t_close(fd));
	CHECK_EQ(vm_pin_pages(), base);
	/* Closing gave it back too. */
	fd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, NULL));
	CHECK_OK(map_va(fd, ioas, buf, 4 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base + 4);
	CHECK_OK(t_close(fd));
}

/*
 * MM mode (IOMMU_OPTION_RLIMIT_MODE = 1) counts in VmPin and in VmLck
 * (mm->locked_vm, with the program's own mlock()s) in the kernel.
 */
TEST(mm_mode_pins_show_in_vm_pin)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	uint64_t p = PAGE_SIZE_T;
	char *buf = t_buffer(16 * p);
	struct rlimit rl;
	uint32_t ioas;
	long base, lck;
	int fd;

	need_io_uring();
	base = vm_pin_pages();
	lck = vm_lck_pages();
	fd = t_open_iommufd();
	if (t_ioctl(fd, IOMMU_OPTION, &opt)) {
		CHECK_EQ(errno, EPERM);
		SKIP("MM accounting mode needs CAP_SYS_RESOURCE");
	}
	/* uAPI: with CAP_IPC_LOCK nothing would be charged. */
	t_drop_ipc_lock();
	CHECK_OK(t_ioas_alloc(fd, &ioas));
	CHECK_OK(t_mock_domain(fd, ioas, NULL, NULL, NULL));
	CHECK_OK(map_va(fd, ioas, buf, 8 * p, NULL));
	CHECK_EQ(vm_pin_pages(), base + 8);
	CHECK_EQ(vm_lck_pages(), lck + 8);
	/* uAPI: past RLIMIT_MEMLOCK, the program's mlock()s included: ENOMEM. */
	rl.rlim_cur = rl.rlim_max = (lck + 8 + 4) * p;
	CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
	/* (the syscall: ASan's mlock() interceptor does nothing) */
	CHECK_OK(syscall(SYS_mlock, buf + 8 * p, 4 * p));
	CHECK_ERRNO(map_va(fd, ioas, buf + 12 * p, p, NULL), ENOMEM);
	CHECK_EQ(vm_lck_pages(), lck + 12);
	CHECK_OK(syscall(SYS_munlock, buf + 8 * p, 4 * p));
	CHECK_OK(map_va(fd, ioas, buf + 12 * p, p, NULL));
	CHECK_EQ(vm_lck_pages(), lck + 9);
	CHECK_OK(t_ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	CHECK_EQ(vm_pin_pages(), base);
	CHECK_EQ(vm_lck_pages(), lck);
	CHECK_OK(t_close(fd));
}
