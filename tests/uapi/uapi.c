/*
 * uapi.c - front-end switch, fixtures and small ioctl wrappers for the
 * uapi suite (see uapi.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <linux/vfio.h>
#include <uiommu/emu.h>
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

void *t_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *out;
	int r;

	if (!lib_mode())
		return mmap(addr, len, prot, flags, fd, off);
	r = uiommu_mmap(fd, addr, len, prot, flags, off, &out);
	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return out;
}

int t_munmap(void *addr, size_t len)
{
	return lib_mode() ? ret_errno(uiommu_munmap(addr, len)) :
			    munmap(addr, len);
}

int t_close(int fd)
{
	return lib_mode() ? ret_errno(uiommu_close(fd)) : close(fd);
}

ssize_t t_pread(int fd, void *buf, size_t n, off_t off)
{
	return lib_mode() ? ret_errno(uiommu_pread(fd, buf, n, off)) :
			    pread(fd, buf, n, off);
}

ssize_t t_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return lib_mode() ? ret_errno(uiommu_pwrite(fd, buf, n, off)) :
			    pwrite(fd, buf, n, off);
}

int t_dev_bind(int dfd, int ifd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = ifd,
	};
	int rc = t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!rc && devid)
		*devid = bind.out_devid;
	return rc;
}

int t_dev_attach(int dfd, uint32_t pt_id, uint32_t *out)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};
	int rc = t_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

	if (!rc && out)
		*out = at.pt_id;
	return rc;
}

int t_dev_detach(int dfd)
{
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

	return t_ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
}

int t_dev_set_irq(int dfd, uint32_t index, int32_t efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &efd, sizeof(efd));
	return t_ioctl(dfd, VFIO_DEVICE_SET_IRQS, s);
}

void t_reg_write(int dfd, uint64_t off, uint64_t v)
{
	CHECK_EQ(t_pwrite(dfd, &v, 8, off), 8);
}

uint64_t t_reg_read(int dfd, uint64_t off)
{
	uint64_t v = 0;

	CHECK_EQ(t_pread(dfd, &v, 8, off), 8);
	return v;
}

uint32_t t_dma_copy(int dfd, uint64_t src, uint64_t dst, uint64_t len)
{
	uint32_t cmd = EMU_DMA_CMD_COPY, st = 0;

	t_reg_write(dfd, EMU_DMA_REG_SRC, src);
	t_reg_write(dfd, EMU_DMA_REG_DST, dst);
	t_reg_write(dfd, EMU_DMA_REG_LEN, len);
	CHECK_EQ(t_pwrite(dfd, &cmd, 4, EMU_DMA_REG_CMD), 4);
	CHECK_EQ(t_pread(dfd, &st, 4, EMU_DMA_REG_STATUS), 4);
	return st;
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

void t_drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	CHECK_OK(syscall(SYS_capget, &hdr, data));
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	CHECK_OK(syscall(SYS_capset, &hdr, data));
}

long t_status_pages(pid_t pid, const char *field)
{
	size_t n = strlen(field);
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return kb < 0 ? -1 : kb * 1024 / (long)PAGE_SIZE_T;
}

int t_ioas_map_file(int fd, uint32_t ioas_id, int mfd, uint64_t start,
		    uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = len,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

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

int t_open_iommufd(void)
{
	int fd = t_open("/dev/iommu", O_RDWR);

	CHECK_OK(fd);
	return fd;
}

int t_test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return t_ioctl(fd, IOMMU_TEST_CMD, cmd);
}

int t_mock_domain_flags(int fd, uint32_t pt_id, uint32_t flags,
			uint32_t *stdev_id, uint32_t *hwpt_id,
			uint32_t *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags.dev_flags = flags,
	};
	int ret = t_test_cmd(fd, &cmd);

	if (ret)
		return ret;
	if (stdev_id)
		*stdev_id = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

int t_mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id,
		   uint32_t *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace.pt_id = pt_id,
	};
	int ret = t_test_cmd(fd, &cmd);

	if (!ret && hwpt_id)
		*hwpt_id = cmd.mock_domain_replace.pt_id;
	return ret;
}

int t_check_map(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t length,
		const void *uptr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)uptr },
	};

	return t_test_cmd(fd, &cmd);
}

int t_check_refs(int fd, const void *uptr, uint64_t length, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length, .uptr = (uintptr_t)uptr,
				.refs = refs },
	};

	return t_test_cmd(fd, &cmd);
}

int t_check_iotlb(int fd, uint32_t hwpt_id, uint32_t iotlb_id,
		  uint32_t iotlb)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = iotlb },
	};

	return t_test_cmd(fd, &cmd);
}

int t_check_dev_cache(int fd, uint32_t idev_id, uint32_t cache_id,
		      uint32_t cache)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = idev_id,
		.check_dev_cache = { .id = cache_id, .cache = cache },
	};

	return t_test_cmd(fd, &cmd);
}

int t_add_reserved(int fd, uint32_t ioas_id, uint64_t start,
		   uint64_t length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};

	return t_test_cmd(fd, &cmd);
}

int t_create_access(int fd, uint32_t ioas_id, uint32_t flags, int *afd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas_id,
		.create_access.flags = flags,
	};
	int ret = t_test_cmd(fd, &cmd);

	if (!ret)
		*afd = cmd.create_access.out_access_fd;
	return ret;
}

int t_access_pages(int fd, int afd, uint64_t iova, uint64_t length,
		   const void *uptr, uint32_t flags, uint32_t *id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = afd,
		.access_pages = { .flags = flags, .iova = iova,
				  .length = length, .uptr = (uintptr_t)uptr },
	};
	int ret = t_test_cmd(fd, &cmd);

	if (!ret && id)
		*id = cmd.access_pages.out_access_pages_id;
	return ret;
}

int t_destroy_access_pages(int fd, int afd, uint32_t id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = afd,
		.destroy_access_pages.access_pages_id = id,
	};

	return t_test_cmd(fd, &cmd);
}

int t_access_rw(int fd, int afd, uint64_t iova, uint64_t length, void *uptr,
		uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = afd,
		.access_rw = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)uptr, .flags = flags },
	};

	return t_test_cmd(fd, &cmd);
}

int t_hwpt_alloc_full(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		      uint32_t fault_id, uint32_t data_type, const void *data,
		      uint32_t data_len, uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int ret = t_ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!ret && hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return ret;
}

int t_hwpt_alloc_data(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		      uint32_t *hwpt_id, uint32_t data_type, const void *data,
		      uint32_t data_len)
{
	return t_hwpt_alloc_full(fd, dev_id, pt_id, flags, 0, data_type, data,
				 data_len, hwpt_id);
}

int t_hwpt_invalidate(int fd, uint32_t id, const void *reqs,
		      uint32_t data_type, uint32_t entry_len, uint32_t *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)reqs,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int ret = t_ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return ret;
}

int t_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		 uint32_t *hwpt_id)
{
	return t_hwpt_alloc_full(fd, dev_id, pt_id, flags, 0,
				 IOMMU_HWPT_DATA_NONE, NULL, 0, hwpt_id);
}

int t_nested_alloc(int fd, uint32_t dev_id, uint32_t parent_id,
		   uint32_t flags, uint32_t *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	return t_hwpt_alloc_full(fd, dev_id, parent_id, flags, 0,
				 IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				 hwpt_id);
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
