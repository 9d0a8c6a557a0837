/*
 * exec_helper.c - a program exec_test.c execs with inherited fds.  It is an
 * ordinary program written against the kernel's uAPI (plain libc calls,
 * which the preload shim catches): it runs the steps its arguments name,
 * in order, and exits 0, or 10 + the index of the first step that did not
 * do what it should (saying which on stderr).
 *
 *   map:FD:IOAS:IOVA:LEN:BYTE  map LEN fresh bytes of value BYTE at IOVA
 *   alloc:FD                   IOMMU_IOAS_ALLOC works on FD
 *   badf:FD                    an iommufd ioctl on FD fails with EBADF
 *   signal:FD                  write one byte to FD (a pipe)
 *   wait:FD                    read FD (a pipe) until EOF
 *   open                       a new iommufd works (IOMMU_IOAS_ALLOC)
 *   read:FD:IOAS:IOVA:LEN:BYTE LEN bytes at IOVA read BYTE (through an
 *                              access of the test mock, IOMMU_TEST_CMD)
 *   unmap:FD:IOAS:IOVA:LEN     unmapping at IOVA unmaps LEN bytes
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "iommufd_test.h"

static int step(const char *s)
{
	unsigned long long a[5] = { 0 };
	char name[16];
	int n;

	if (!strcmp(s, "open")) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
		int fd = open("/dev/iommu", O_RDWR);

		if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
			return -1;
		return close(fd);
	}
	n = sscanf(s, "%15[a-z]:%llu:%llu:%llx:%llx:%llx", name, &a[0], &a[1],
		   &a[2], &a[3], &a[4]);
	if (n < 2)
		return -1;
	if (!strcmp(name, "map") && n == 6) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = (uint32_t)a[1],
			.iova = a[2],
			.length = a[3],
		};
		void *buf = mmap(NULL, a[3], PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (buf == MAP_FAILED)
			return -1;
		memset(buf, (int)a[4], a[3]);
		map.user_va = (uintptr_t)buf;
		return ioctl((int)a[0], IOMMU_IOAS_MAP, &map);
	}
	if (!strcmp(name, "read") && n == 6) {
		struct iommu_test_cmd acc = {
			.size = sizeof(acc),
			.op = IOMMU_TEST_OP_CREATE_ACCESS,
			.id = (uint32_t)a[1],
		};
		struct iommu_test_cmd rw = {
			.size = sizeof(rw),
			.op = IOMMU_TEST_OP_ACCESS_RW,
			.access_rw = { .iova = a[2], .length = a[3] },
		};
		unsigned char *buf = malloc(a[3]);
		int ok;

		if (!buf || ioctl((int)a[0], IOMMU_TEST_CMD, &acc))
			return -1;
		rw.id = acc.create_access.out_access_fd;
		rw.access_rw.uptr = (uintptr_t)buf;
		ok = !ioctl((int)a[0], IOMMU_TEST_CMD, &rw);
		for (size_t i = 0; ok && i < a[3]; i++)
			ok = buf[i] == (unsigned char)a[4];
		close(acc.create_access.out_access_fd);
		free(buf);
		return ok ? 0 : -1;
	}
	if (!strcmp(name, "unmap") && n == 5) {
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap),
			.ioas_id = (uint32_t)a[1],
			.iova = a[2],
			.length = a[3],
		};

		if (ioctl((int)a[0], IOMMU_IOAS_UNMAP, &unmap))
			return -1;
		return unmap.length == a[3] ? 0 : -1;
	}
	if (!strcmp(name, "alloc")) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

		return ioctl((int)a[0], IOMMU_IOAS_ALLOC, &alloc);
	}
	if (!strcmp(name, "badf")) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

		return ioctl((int)a[0], IOMMU_IOAS_ALLOC, &alloc) == -1 &&
			       errno == EBADF ?
			       0 :
			       -1;
	}
	if (!strcmp(name, "signal"))
		return write((int)a[0], "x", 1) == 1 ? 0 : -1;
	if (!strcmp(name, "wait")) {
		char c;

		while (read((int)a[0], &c, 1) > 0)
			;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (step(argv[i])) {
			fprintf(stderr, "exec_helper: step %d (%s) failed: %s\n",
				i, argv[i], strerror(errno));
			return 10 + i;
		}
	}
	return 0;
}
