/*
 * uapi.c - front-end switch, fixtures and small ioctl wrappers for the
 * uapi suite (see uapi.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommu/uiommu.h>

#include "uapi.h"

size_t PAGE_SIZE_T;

static int use_lib = -1;

static bool lib_mode(void)
{
	if (use_lib < 0) {
		const char *fe = getenv("UIOMMU_TEST_FRONTEND");

		use_lib = !(fe && !strcmp(fe, "shim"));
	}
	return use_lib;
}

const char *t_frontend(void)
{
	return lib_mode() ? "lib" : "shim";
}

__attribute__((constructor)) static void uapi_init(void)
{
	PAGE_SIZE_T = sysconf(_SC_PAGESIZE);
}

static long ret_errno(long r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

int t_open(const char *path, int flags)
{
	return lib_mode() ? ret_errno(uiommu_open(path, flags)) :
			    open(path, flags);
}

int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return lib_mode() ? ret_errno(uiommu_ioctl(fd, cmd, arg)) :
			    ioctl(fd, cmd, arg);
}

ssize_t t_read(int fd, void *buf, size_t n)
{
	return lib_mode() ? ret_errno(uiommu_read(fd, buf, n)) :
			    read(fd, buf, n);
}

ssize_t t_write(int fd, const void *buf, size_t n)
{
	return lib_mode() ? ret_errno(uiommu_write(fd, buf, n)) :
			    write(fd, buf, n);
}

int t_close(int fd)
{
	return lib_mode() ? ret_errno(uiommu_close(fd)) : close(fd);
}

int t_ioas_alloc(int fd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = t_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!ret)
		*ioas_id = cmd.out_ioas_id;
	return ret;
}

int t_ioas_map_fixed(int fd, uint32_t ioas_id, void *buf, uint64_t len,
		     uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return t_ioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

int t_ioas_map(int fd, uint32_t ioas_id, void *buf, uint64_t len,
	       uint64_t *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!ret && iova)
		*iova = cmd.iova;
	return ret;
}

int t_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len,
		 uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!ret && unmapped)
		*unmapped = cmd.length;
	return ret;
}

int t_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return t_ioctl(fd, IOMMU_DESTROY, &cmd);
}

int t_mock_domain(int fd, uint32_t ioas_id, uint32_t *stdev_id,
		  uint32_t *hwpt_id, uint32_t *device_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas_id,
	};
	int ret = t_ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (ret)
		return ret;
	if (stdev_id)
		*stdev_id = cmd.mock_domain.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain.out_hwpt_id;
	if (device_id)
		*device_id = cmd.mock_domain.out_idev_id;
	return 0;
}

void *t_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

void fixture_setup(struct fixture *self, unsigned int mock_domains)
{
	memset(self, 0, sizeof(*self));
	self->fd = t_open("/dev/iommu", O_RDWR);
	CHECK_OK(self->fd);
	CHECK_OK(t_ioas_alloc(self->fd, &self->ioas_id));
	self->mock_domains = mock_domains;
	for (unsigned int i = 0; i < mock_domains; i++)
		CHECK_OK(t_mock_domain(self->fd, self->ioas_id,
				       &self->stdev_id[i], &self->hwpt_id[i],
				       &self->device_id[i]));
}

void fixture_teardown(struct fixture *self)
{
	CHECK_OK(t_close(self->fd));
}
