/*
 * mock_dma_demo.c - DMA through an I/O address space, with the kernel's test
 * mock IOMMU (IOMMU_TEST_CMD, the same ABI the kernel's own selftest uses).
 *
 * Uses only <linux/iommufd.h>, the test-mock header and libc, so it runs the
 * same on a kernel built with CONFIG_IOMMUFD_TEST and under uiommu:
 *
 *	uiommu run -- build/examples/mock_dma_demo
 *
 * Steps: allocate an IOAS, attach a mock device (which gives the IOAS a mock
 * I/O page table), map a buffer, check the page table points at it, create
 * an access object and use it to write and read the buffer through the IOAS
 * (what an emulated device's DMA does), show misuses and their errno, and
 * clean up.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

static int iommufd = -1;

static void die(const char *what)
{
	fprintf(stderr, "mock_dma_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int test_cmd(struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(iommufd, IOMMU_TEST_CMD, cmd);
}

static void expect_errno(const char *what, int ret, int want)
{
	if (ret == 0 || errno != want) {
		fprintf(stderr, "mock_dma_demo: %s: expected %s, got %s\n", what,
			strerror(want), ret ? strerror(errno) : "success");
		exit(1);
	}
	printf("misuse: %s: %s (as expected)\n", what, strerror(errno));
}

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	struct iommu_test_cmd cmd;
	size_t page = sysconf(_SC_PAGESIZE), len = 4 * page;
	char msg[] = "written by DMA", back[32];
	uint32_t ioas, stdev, hwpt;
	unsigned char *buf;
	int access_fd;

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0) {
		fprintf(stderr, "mock_dma_demo: cannot open /dev/iommu: %s\n"
				"  (no iommufd here? try: uiommu run -- mock_dma_demo)\n",
			strerror(errno));
		return 1;
	}
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	ioas = alloc.out_ioas_id;

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	cmd.id = ioas;
	if (test_cmd(&cmd)) {
		fprintf(stderr, "mock_dma_demo: no test mock here (%s): the kernel "
				"needs CONFIG_IOMMUFD_TEST\n", strerror(errno));
		return 1;
	}
	stdev = cmd.mock_domain.out_stdev_id;
	hwpt = cmd.mock_domain.out_hwpt_id;
	printf("IOAS %u: mock device %u attached, I/O page table (HWPT) %u\n",
	       ioas, stdev, hwpt);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	memset(buf, 0, len);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = ioas;
	map.user_va = (uintptr_t)buf;
	map.length = len;
	map.iova = MOCK_APERTURE_START;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP");
	printf("mapped %zu bytes at IOVA 0x%" PRIx64 "\n", len, (uint64_t)map.iova);

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_MD_CHECK_MAP;
	cmd.id = hwpt;
	cmd.check_map.iova = MOCK_APERTURE_START;
	cmd.check_map.length = len;
	cmd.check_map.uptr = (uintptr_t)buf;
	if (test_cmd(&cmd))
		die("IOMMU_TEST_OP_MD_CHECK_MAP");
	printf("the mock page table maps every page of the IOVA range to the buffer\n");

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_CREATE_ACCESS;
	cmd.id = ioas;
	if (test_cmd(&cmd))
		die("IOMMU_TEST_OP_CREATE_ACCESS");
	access_fd = cmd.create_access.out_access_fd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_RW;
	cmd.id = access_fd;
	cmd.access_rw.iova = MOCK_APERTURE_START + page + 100;
	cmd.access_rw.length = sizeof(msg);
	cmd.access_rw.uptr = (uintptr_t)msg;
	cmd.access_rw.flags = MOCK_ACCESS_RW_WRITE;
	if (test_cmd(&cmd))
		die("IOMMU_TEST_OP_ACCESS_RW (write)");
	printf("DMA write of \"%s\" to IOVA 0x%" PRIx64 " -> buffer now holds \"%s\"\n",
	       msg, (uint64_t)cmd.access_rw.iova, (char *)buf + page + 100);
	if (memcmp(buf + page + 100, msg, sizeof(msg)))
		die("DMA write did not reach the buffer");

	strcpy((char *)buf + 2 * page, "written by the CPU");
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_RW;
	cmd.id = access_fd;
	cmd.access_rw.iova = MOCK_APERTURE_START + 2 * page;
	cmd.access_rw.length = sizeof(back);
	cmd.access_rw.uptr = (uintptr_t)back;
	if (test_cmd(&cmd))
		die("IOMMU_TEST_OP_ACCESS_RW (read)");
	back[sizeof(back) - 1] = 0;
	printf("DMA read from IOVA 0x%" PRIx64 " -> \"%s\"\n",
	       (uint64_t)cmd.access_rw.iova, back);

	/* Misuses, with the errno the kernel gives. */
	cmd.access_rw.iova = MOCK_APERTURE_START + len;
	expect_errno("DMA read past the mapping", test_cmd(&cmd), ENOENT);
	destroy.id = ioas;
	expect_errno("destroy the IOAS while a device uses it",
		     ioctl(iommufd, IOMMU_DESTROY, &destroy), EBUSY);
	map.iova = MOCK_APERTURE_START + page;
	expect_errno("map over an existing mapping",
		     ioctl(iommufd, IOMMU_IOAS_MAP, &map), EEXIST);

	close(access_fd);
	unmap.ioas_id = ioas;
	unmap.iova = MOCK_APERTURE_START;
	unmap.length = len;
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		die("IOMMU_IOAS_UNMAP");
	printf("unmapped %" PRIu64 " bytes\n", (uint64_t)unmap.length);
	destroy.id = stdev;
	if (ioctl(iommufd, IOMMU_DESTROY, &destroy))
		die("destroy the mock device");
	destroy.id = ioas;
	if (ioctl(iommufd, IOMMU_DESTROY, &destroy))
		die("destroy the IOAS");
	close(iommufd);
	printf("detached, destroyed, closed; done\n");
	return 0;
}
