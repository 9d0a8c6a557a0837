/*
 * vfio_compat_test.c - the VFIO type1 container ABI on an iommufd:
 * VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO (argsz rules and the capability chain),
 * VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA (UNMAP_ALL, type1 v1 splitting)
 * and VFIO_IOMMU_DIRTY_PAGES, each with a case that must succeed and one
 * that must fail.
 *
 * The type1 ioctls act on the compat IOAS chosen with IOMMU_VFIO_IOAS_SET
 * (without one they are ENODEV).  Every errno, return value and byte of the
 * GET_INFO layout here was checked against Linux 6.12 (built without
 * CONFIG_VFIO_NOIOMMU) and the v6.17 sources.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include "uapi.h"

#define BASE_IOVA ((uint64_t)MOCK_APERTURE_START)
#define VFIO_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define MAP_ARGSZ ((uint32_t)sizeof(struct vfio_iommu_type1_dma_map))
#define UNMAP_ARGSZ ((uint32_t)sizeof(struct vfio_iommu_type1_dma_unmap))
/* Layout of the GET_INFO reply: info, dma-avail cap, iova-range cap. */
#define INFO_SZ ((uint32_t)sizeof(struct vfio_iommu_type1_info))
#define DMA_CAP_OFF INFO_SZ
#define IOVA_CAP_OFF (DMA_CAP_OFF + 16)
#define INFO_TOTAL(nr_ranges) (IOVA_CAP_OFF + 16 + 16 * (nr_ranges))
#define PRECAP_SZ ((uint32_t)offsetof(struct vfio_iommu_type1_info, cap_offset))

static int compat_ioas_op(int fd, uint32_t op, uint32_t ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = ioas_id,
	};

	return t_ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
}

static int set_iommu(int fd, unsigned long type)
{
	return t_ioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)type);
}

static int check_extension(int fd, unsigned long ext)
{
	return t_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)ext);
}

static int map_dma(int fd, uint32_t argsz, uint32_t flags, void *va,
		   uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = argsz,
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return t_ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

/* VFIO_IOMMU_UNMAP_DMA; *size_out gets the size field as returned. */
static int unmap_dma(int fd, uint32_t argsz, uint32_t flags, uint64_t iova,
		     uint64_t size, uint64_t *size_out)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = argsz,
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret = t_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
	int err = errno;

	if (size_out)
		*size_out = cmd.size;
	errno = err;
	return ret;
}

static int huge_pages(int fd, uint32_t ioas_id)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = ioas_id,
	};

	CHECK_OK(t_ioctl(fd, IOMMU_OPTION, &cmd));
	return (int)cmd.val64;
}

/* A fresh context whose compat IOAS has no domain; *ioas_id returned. */
static int open_compat(uint32_t *ioas_id)
{
	int fd = t_open_iommufd();

	CHECK_OK(t_ioas_alloc(fd, ioas_id));
	CHECK_OK(compat_ioas_op(fd, IOMMU_VFIO_IOAS_SET, *ioas_id));
	return fd;
}

TEST(vfio_api_version)
{
	int fd = t_open_iommufd();

	CHECK_EQ(t_ioctl(fd, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	/* Container ioctls iommufd does not emulate, and group ioctls. */
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_ENABLE, NULL), ENOTTY);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_DISABLE, NULL), ENOTTY);
	CHECK_ERRNO(t_ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 3), NULL), ENOTTY);
	CHECK_ERRNO(t_ioctl(fd, _IO('x', VFIO_BASE), NULL), ENOTTY);
	CHECK_OK(t_close(fd));
}

TEST(vfio_check_extension)
{
	uint32_t ioas_id;
	int fd = t_open_iommufd();

	CHECK_EQ(check_extension(fd, VFIO_TYPE1_IOMMU), 1);
	CHECK_EQ(check_extension(fd, VFIO_TYPE1v2_IOMMU), 1);
	CHECK_EQ(check_extension(fd, VFIO_UNMAP_ALL), 1);
	CHECK_EQ(check_extension(fd, 0), 0);
	CHECK_EQ(check_extension(fd, 2), 0);	/* sPAPR TCE */
	CHECK_EQ(check_extension(fd, 5), 0);	/* EEH */
	CHECK_EQ(check_extension(fd, __VFIO_RESERVED_TYPE1_NESTING_IOMMU), 0);
	CHECK_EQ(check_extension(fd, 7), 0);	/* sPAPR TCE v2 */
	CHECK_EQ(check_extension(fd, VFIO_NOIOMMU_IOMMU), 0);
	CHECK_EQ(check_extension(fd, VFIO_UPDATE_VADDR), 0);
	CHECK_EQ(check_extension(fd, 11), 0);
	/* The argument is a full unsigned long, not truncated. */
	CHECK_EQ(check_extension(fd, (1ul << 32) | VFIO_TYPE1_IOMMU), 0);
	/* Cache coherency is a question about the compat IOAS. */
	CHECK_ERRNO(check_extension(fd, VFIO_DMA_CC_IOMMU), ENODEV);
	CHECK_OK(t_ioas_alloc(fd, &ioas_id));
	CHECK_OK(compat_ioas_op(fd, IOMMU_VFIO_IOAS_SET, ioas_id));
	CHECK_EQ(check_extension(fd, VFIO_DMA_CC_IOMMU), 1);
	CHECK_OK(t_close(fd));
}

/* DMA_CC_IOMMU is 1 only if every paging HWPT of the IOAS enforces it. */
VARIANT_TEST(vfio_check_extension_cc)
{
	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_SET, self->ioas_id));
	/* The mock HWPT does not enforce cache coherency (as in Linux). */
	CHECK_EQ(check_extension(self->fd, VFIO_DMA_CC_IOMMU),
		 self->mock_domains ? 0 : 1);
	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_CLEAR, 0));
	CHECK_ERRNO(check_extension(self->fd, VFIO_DMA_CC_IOMMU), ENODEV);
}

TEST(vfio_set_iommu)
{
	uint32_t ioas_id;
	int fd = t_open_iommufd();

	/* The type is checked before the compat IOAS. */
	CHECK_ERRNO(set_iommu(fd, 0), EINVAL);
	CHECK_ERRNO(set_iommu(fd, 2), EINVAL);
	CHECK_ERRNO(set_iommu(fd, VFIO_NOIOMMU_IOMMU), EINVAL);
	CHECK_ERRNO(set_iommu(fd, __VFIO_RESERVED_TYPE1_NESTING_IOMMU), EINVAL);
	CHECK_ERRNO(set_iommu(fd, VFIO_TYPE1_IOMMU), ENODEV);
	CHECK_ERRNO(set_iommu(fd, VFIO_TYPE1v2_IOMMU), ENODEV);

	CHECK_OK(t_ioas_alloc(fd, &ioas_id));
	CHECK_OK(compat_ioas_op(fd, IOMMU_VFIO_IOAS_SET, ioas_id));
	CHECK_ERRNO(set_iommu(fd, VFIO_NOIOMMU_IOMMU), EINVAL);
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_EQ(huge_pages(fd, ioas_id), 1);
	/* v1 turns large pages off; selecting v2 later leaves them off. */
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1_IOMMU), 0);
	CHECK_EQ(huge_pages(fd, ioas_id), 0);
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1_IOMMU), 0);
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_EQ(huge_pages(fd, ioas_id), 0);
	CHECK_OK(t_close(fd));
}

/* v1 cannot be chosen once domains hold mappings that may be large. */
TEST(vfio_set_iommu_v1_mapped_domain)
{
	size_t ps = PAGE_SIZE_T;
	void *buf = t_buffer(4 * ps);
	uint32_t ioas_id;
	int fd = open_compat(&ioas_id);

	CHECK_OK(t_mock_domain(fd, ioas_id, NULL, NULL, NULL));
	CHECK_OK(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, 4 * ps));
	CHECK_ERRNO(set_iommu(fd, VFIO_TYPE1_IOMMU), EINVAL);
	CHECK_EQ(huge_pages(fd, ioas_id), 1);
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_OK(t_close(fd));
}

/* v1 forces page-aligned IOVAs: a mapping that is not makes it fail. */
TEST(vfio_set_iommu_v1_misaligned_area)
{
	size_t ps = PAGE_SIZE_T;
	void *buf = t_buffer(4 * ps);
	uint32_t ioas_id;
	int fd = open_compat(&ioas_id);

	/* Without a domain the IOAS takes byte-aligned IOVAs. */
	CHECK_OK(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA + 1, ps));
	CHECK_ERRNO(set_iommu(fd, VFIO_TYPE1_IOMMU), EADDRINUSE);
	CHECK_EQ(huge_pages(fd, ioas_id), 1);
	CHECK_OK(unmap_dma(fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			   NULL));
	CHECK_OK(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, ps));
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1_IOMMU), 0);
	CHECK_OK(t_close(fd));
}

/* GET_INFO into a buffer of @argsz bytes inside @buf, filled with 0xAA. */
static void get_info(int fd, uint8_t *buf, size_t buf_len, uint32_t argsz)
{
	size_t i;

	memset(buf, 0xAA, buf_len);
	memcpy(buf, &argsz, sizeof(argsz));
	CHECK_OK(t_ioctl(fd, VFIO_IOMMU_GET_INFO, buf));
	/* Nothing past argsz is ever written. */
	for (i = argsz; i < buf_len; i++)
		CHECK_EQ(buf[i], 0xAA);
}

static uint32_t get_u32(const uint8_t *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint64_t get_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

TEST(vfio_get_info_errors)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int fd = t_open_iommufd();

	/* argsz is checked before the compat IOAS. */
	info.argsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + 7;
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	info.argsz = 0;
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	info.argsz = sizeof(info);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_GET_INFO, &info), ENODEV);
	CHECK_EQ(info.argsz, sizeof(info));
	CHECK_EQ(info.flags, 0);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_GET_INFO, NULL), EFAULT);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_GET_INFO, (void *)8), EFAULT);
	CHECK_OK(t_close(fd));
}

VARIANT_TEST(vfio_get_info)
{
	uint64_t range_start = self->mock_domains ? MOCK_APERTURE_START : 0;
	uint64_t range_last =
		self->mock_domains ? MOCK_APERTURE_LAST : UINT64_MAX;
	uint64_t pgsizes = self->mock_domains ? PAGE_SIZE_T :
						~(uint64_t)(PAGE_SIZE_T - 1);
	uint32_t total = INFO_TOTAL(1), argsz;
	uint8_t buf[256];

	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_SET, self->ioas_id));

	/* The pre-capability struct: 16 bytes, and argsz asks for more. */
	get_info(self->fd, buf, sizeof(buf), PRECAP_SZ);
	CHECK_EQ(get_u32(buf, 0), total);
	CHECK_EQ(get_u32(buf, 4),
		 VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	CHECK_EQ(get_u64(buf, 8), pgsizes);

	/* The whole struct but no room for caps: cap_offset 0. */
	get_info(self->fd, buf, sizeof(buf), INFO_SZ);
	CHECK_EQ(get_u32(buf, 0), total);
	CHECK_EQ(get_u32(buf, 16), 0);
	CHECK_EQ(get_u32(buf, 20), 0);

	/* Room for the dma-avail cap only; its next stays 0. */
	get_info(self->fd, buf, sizeof(buf), DMA_CAP_OFF + 12);
	CHECK_EQ(get_u32(buf, 16), 0);
	CHECK_EQ(get_u32(buf, DMA_CAP_OFF), VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL |
						     1u << 16);
	CHECK_EQ(get_u32(buf, DMA_CAP_OFF + 4), 0);
	CHECK_EQ(get_u32(buf, DMA_CAP_OFF + 8), UINT32_MAX);
	/* Reaching the next cap's start links it, even though it is absent. */
	get_info(self->fd, buf, sizeof(buf), IOVA_CAP_OFF);
	CHECK_EQ(get_u32(buf, DMA_CAP_OFF + 4), IOVA_CAP_OFF);
	CHECK_EQ(get_u32(buf, 16), 0);
	CHECK_EQ(buf[IOVA_CAP_OFF - 1], 0xAA);	/* alignment padding */

	/* Every size below the total: nothing written past argsz. */
	for (argsz = INFO_SZ; argsz < total; argsz++) {
		get_info(self->fd, buf, sizeof(buf), argsz);
		CHECK_EQ(get_u32(buf, 0), total);
		CHECK_EQ(get_u32(buf, 16), 0);
	}

	/* The whole chain. */
	for (argsz = total; argsz < sizeof(buf); argsz += 40) {
		get_info(self->fd, buf, sizeof(buf), argsz);
		CHECK_EQ(get_u32(buf, 0), total);
		CHECK_EQ(get_u32(buf, 4), VFIO_IOMMU_INFO_PGSIZES |
						  VFIO_IOMMU_INFO_CAPS);
		CHECK_EQ(get_u64(buf, 8), pgsizes);
		CHECK_EQ(get_u32(buf, 16), DMA_CAP_OFF);
		CHECK_EQ(get_u32(buf, 20), 0);
		CHECK_EQ(get_u32(buf, DMA_CAP_OFF + 4), IOVA_CAP_OFF);
		CHECK_EQ(get_u32(buf, IOVA_CAP_OFF),
			 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE | 1u << 16);
		CHECK_EQ(get_u32(buf, IOVA_CAP_OFF + 4), 0);
		CHECK_EQ(get_u32(buf, IOVA_CAP_OFF + 8), 1);
		CHECK_EQ(get_u32(buf, IOVA_CAP_OFF + 12), 0);
		CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 16), range_start);
		CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 24), range_last);
	}
}

/* Reserved IOVA splits the usable range; ranges that fit are written. */
TEST(vfio_get_info_two_ranges)
{
	struct iommu_test_cmd reserve = {
		.size = sizeof(reserve),
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.add_reserved = { .start = 0x100000, .length = 0x100000 },
	};
	uint32_t ioas_id, total = INFO_TOTAL(2);
	void *mem = t_buffer(PAGE_SIZE_T);
	uint8_t buf[256];
	int fd = open_compat(&ioas_id);

	reserve.id = ioas_id;
	CHECK_OK(t_ioctl(fd, IOMMU_TEST_CMD, &reserve));

	/* Room for the first range but not the second: no header. */
	get_info(fd, buf, sizeof(buf), INFO_TOTAL(1));
	CHECK_EQ(get_u32(buf, 0), total);
	CHECK_EQ(get_u32(buf, 16), 0);
	CHECK_EQ(buf[IOVA_CAP_OFF], 0xAA);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 16), 0);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 24), 0xfffff);

	get_info(fd, buf, sizeof(buf), total);
	CHECK_EQ(get_u32(buf, 16), DMA_CAP_OFF);
	CHECK_EQ(get_u32(buf, IOVA_CAP_OFF + 8), 2);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 16), 0);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 24), 0xfffff);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 32), 0x200000);
	CHECK_EQ(get_u64(buf, IOVA_CAP_OFF + 40), UINT64_MAX);
	/* uAPI: mapping into reserved IOVA is EINVAL. */
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ, VFIO_RW, mem, 0x100000,
			    PAGE_SIZE_T),
		    EINVAL);
	CHECK_OK(t_close(fd));
}

TEST(vfio_map_dma_errors)
{
	size_t ps = PAGE_SIZE_T;
	void *buf = t_buffer(ps);
	int fd = t_open_iommufd();

	/* Size and flags are checked before the compat IOAS. */
	CHECK_ERRNO(map_dma(fd, 1, VFIO_RW, buf, BASE_IOVA, ps), EINVAL);
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ - 1, VFIO_RW, buf, BASE_IOVA, ps),
		    EINVAL);
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ, 1u << 31, buf, BASE_IOVA, ps),
		    EINVAL);
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ, VFIO_DMA_MAP_FLAG_VADDR, buf,
			    BASE_IOVA, ps),
		    EINVAL);
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, ps),
		    ENODEV);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_MAP_DMA, NULL), EFAULT);
	CHECK_OK(t_close(fd));
}

VARIANT_TEST(vfio_map_dma)
{
	size_t ps = PAGE_SIZE_T;
	uint8_t *buf = t_buffer(8 * ps);
	uint64_t unmapped = 0;
	struct iommu_ioas_unmap ioas_unmap = {
		.size = sizeof(ioas_unmap),
		.ioas_id = self->ioas_id,
		.iova = BASE_IOVA,
		.length = 2 * ps,
	};

	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_SET, self->ioas_id));
	CHECK_EQ(set_iommu(self->fd, VFIO_TYPE1v2_IOMMU), 0);

	/* The mapping lands in the compat IOAS. */
	CHECK_EQ(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, 2 * ps),
		 0);
	CHECK_OK(t_ioctl(self->fd, IOMMU_IOAS_UNMAP, &ioas_unmap));
	CHECK_EQ(ioas_unmap.length, 2 * ps);

	/* A longer argsz is fine; READ only, WRITE only and no flag map. */
	CHECK_EQ(map_dma(self->fd, MAP_ARGSZ + 64, VFIO_DMA_MAP_FLAG_READ, buf,
			 BASE_IOVA, ps),
		 0);
	CHECK_EQ(map_dma(self->fd, MAP_ARGSZ, VFIO_DMA_MAP_FLAG_WRITE,
			 buf + ps, BASE_IOVA + ps, ps),
		 0);
	CHECK_EQ(map_dma(self->fd, MAP_ARGSZ, 0, buf + 2 * ps,
			 BASE_IOVA + 2 * ps, ps),
		 0);

	/* Errors are those of IOMMU_IOAS_MAP with a fixed IOVA. */
	CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, ps),
		    EEXIST);
	CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf,
			    BASE_IOVA + 4 * ps, 0),
		    EINVAL);
	CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf,
			    UINT64_MAX - ps + 1, 2 * ps),
		    EOVERFLOW);
	if (self->mock_domains) {
		CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf, 0, ps),
			    EINVAL);
		CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf,
				    BASE_IOVA + 4 * ps + 1, ps),
			    EINVAL);
	}
	CHECK_OK(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			   &unmapped));
	CHECK_EQ(unmapped, 3 * ps);
}

TEST(vfio_unmap_dma_errors)
{
	uint64_t size = 0;
	int fd = t_open_iommufd();

	CHECK_ERRNO(unmap_dma(fd, 1, 0, BASE_IOVA, PAGE_SIZE_T, NULL), EINVAL);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ - 1, 0, BASE_IOVA, PAGE_SIZE_T,
			      NULL),
		    EINVAL);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ,
			      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, BASE_IOVA,
			      PAGE_SIZE_T, NULL),
		    EINVAL);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_VADDR,
			      BASE_IOVA, PAGE_SIZE_T, NULL),
		    EINVAL);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ,
			      VFIO_DMA_UNMAP_FLAG_ALL |
				      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			      0, 0, NULL),
		    EINVAL);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ, 0, BASE_IOVA, PAGE_SIZE_T,
			      &size),
		    ENODEV);
	CHECK_EQ(size, PAGE_SIZE_T);
	CHECK_ERRNO(unmap_dma(fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			      NULL),
		    ENODEV);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, NULL), EFAULT);
	CHECK_OK(t_close(fd));
}

/* Type1v2: unmap takes whole mappings only. */
VARIANT_TEST(vfio_unmap_dma_v2)
{
	size_t ps = PAGE_SIZE_T;
	uint8_t *buf = t_buffer(8 * ps);
	uint64_t size;

	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_SET, self->ioas_id));
	CHECK_EQ(set_iommu(self->fd, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_OK(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, 4 * ps));
	CHECK_OK(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf + 4 * ps,
			 BASE_IOVA + 4 * ps, 2 * ps));

	/* Cutting into a mapping is ENOENT; size says what went before. */
	size = 1;
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + ps, ps,
			      &size),
		    ENOENT);
	CHECK_EQ(size, 0);
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA, 5 * ps,
			      &size),
		    ENOENT);
	CHECK_EQ(size, 4 * ps);
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA, 0, &size),
		    EINVAL);
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, UINT64_MAX, 2, &size),
		    EOVERFLOW);
	/* UNMAP_ALL wants iova and size 0, and then leaves size alone. */
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL,
			      0, 1, &size),
		    EINVAL);
	CHECK_EQ(size, 1);
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL,
			      BASE_IOVA, 0, &size),
		    EINVAL);

	/* An empty range unmaps nothing and succeeds. */
	size = 1;
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + 16 * ps, ps,
			   &size),
		 0);
	CHECK_EQ(size, 0);
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ + 8, 0, BASE_IOVA + 4 * ps,
			   2 * ps, &size),
		 0);
	CHECK_EQ(size, 2 * ps);
	CHECK_OK(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf + 4 * ps,
			 BASE_IOVA + 4 * ps, 2 * ps));
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			   &size),
		 0);
	CHECK_EQ(size, 2 * ps);
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			   &size),
		 0);
	CHECK_EQ(size, 0);
	CHECK_ERRNO(t_ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, (void *)8), EFAULT);
}

/* Type1 (v1): unmap splits mappings at page boundaries. */
VARIANT_TEST(vfio_unmap_dma_v1)
{
	size_t ps = PAGE_SIZE_T;
	uint8_t *buf = t_buffer(8 * ps);
	uint64_t size;

	CHECK_OK(compat_ioas_op(self->fd, IOMMU_VFIO_IOAS_SET, self->ioas_id));
	CHECK_EQ(set_iommu(self->fd, VFIO_TYPE1_IOMMU), 0);
	CHECK_OK(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, 6 * ps));
	/* v1 aligns IOVAs to the CPU page, even over a mock domain. */
	CHECK_ERRNO(map_dma(self->fd, MAP_ARGSZ, VFIO_RW, buf,
			    BASE_IOVA + 8 * ps + ps / 2, ps / 2),
		    EINVAL);

	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + ps, ps, &size),
		 0);
	CHECK_EQ(size, ps);
	/* The first page is a mapping of its own now. */
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA, ps, &size), 0);
	CHECK_EQ(size, ps);
	/* A cut inside a CPU page is EINVAL, and size is not written. */
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + 2 * ps,
			      ps / 2, &size),
		    EINVAL);
	CHECK_EQ(size, ps / 2);
	/* A range that runs past the mapping's end takes what is there. */
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + 5 * ps,
			   4 * ps, &size),
		 0);
	CHECK_EQ(size, ps);
	CHECK_ERRNO(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + 3 * ps, 0,
			      &size),
		    EINVAL);
	/* Left: pages [2, 5), cut at 3 by the failed unmap; take page 3. */
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, 0, BASE_IOVA + 3 * ps, ps,
			   &size),
		 0);
	CHECK_EQ(size, ps);
	CHECK_EQ(unmap_dma(self->fd, UNMAP_ARGSZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
			   &size),
		 0);
	CHECK_EQ(size, 2 * ps);
}

/* An IOVA of 0 needs no cut at its start. */
TEST(vfio_unmap_dma_v1_iova_zero)
{
	size_t ps = PAGE_SIZE_T;
	uint8_t *buf = t_buffer(4 * ps);
	uint32_t ioas_id;
	uint64_t size;
	int fd = open_compat(&ioas_id);

	CHECK_EQ(set_iommu(fd, VFIO_TYPE1_IOMMU), 0);
	CHECK_OK(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, 0, 4 * ps));
	CHECK_EQ(unmap_dma(fd, UNMAP_ARGSZ, 0, 0, ps, &size), 0);
	CHECK_EQ(size, ps);
	CHECK_EQ(unmap_dma(fd, UNMAP_ARGSZ, 0, 2 * ps, ps, &size), 0);
	CHECK_EQ(size, ps);
	/* Across the hole just made: both neighbours go. */
	CHECK_EQ(unmap_dma(fd, UNMAP_ARGSZ, 0, ps, 3 * ps, &size), 0);
	CHECK_EQ(size, 2 * ps);
	CHECK_OK(t_close(fd));
}

TEST(vfio_dirty_pages)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	uint32_t ioas_id;
	int fd = open_compat(&ioas_id);

	/* uAPI: type1 dirty tracking is not offered on an iommufd. */
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &dirty), ENOTTY);
	CHECK_EQ(compat_ioas_op(fd, IOMMU_VFIO_IOAS_CLEAR, 0), 0);
	CHECK_ERRNO(t_ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &dirty), ENOTTY);
	/* GET_API_VERSION works either way. */
	CHECK_EQ(t_ioctl(fd, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	CHECK_OK(t_close(fd));
}

/* The type1 ioctls follow IOMMU_VFIO_IOAS and leave no reference behind. */
TEST(vfio_compat_ioas_follows)
{
	size_t ps = PAGE_SIZE_T;
	void *buf = t_buffer(ps);
	uint32_t ioas_id, other_id;
	uint8_t info[256];
	uint64_t size;
	int fd = open_compat(&ioas_id);

	CHECK_OK(t_ioas_alloc(fd, &other_id));
	CHECK_OK(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, ps));
	CHECK_EQ(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_EQ(check_extension(fd, VFIO_DMA_CC_IOMMU), 1);
	get_info(fd, info, sizeof(info), sizeof(info));

	/* Switch: the old IOAS keeps its mapping, the new one is empty. */
	CHECK_OK(compat_ioas_op(fd, IOMMU_VFIO_IOAS_SET, other_id));
	CHECK_EQ(unmap_dma(fd, UNMAP_ARGSZ, 0, BASE_IOVA, ps, &size), 0);
	CHECK_EQ(size, 0);
	CHECK_OK(t_ioas_unmap(fd, ioas_id, BASE_IOVA, ps, &size));
	CHECK_EQ(size, ps);

	/* No shortterm reference leaked: both IOAS can be destroyed. */
	CHECK_OK(t_destroy(fd, ioas_id));
	CHECK_OK(t_destroy(fd, other_id));
	CHECK_ERRNO(map_dma(fd, MAP_ARGSZ, VFIO_RW, buf, BASE_IOVA, ps), ENODEV);
	CHECK_ERRNO(set_iommu(fd, VFIO_TYPE1v2_IOMMU), ENODEV);
	CHECK_OK(t_close(fd));
}
