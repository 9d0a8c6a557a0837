/*
 * ioas_test.c - the IOAS: IOAS_ALLOC, IOVA_RANGES, ALLOW_IOVAS, MAP,
 * MAP_FILE, COPY, UNMAP, CHANGE_PROCESS, IOMMU_OPTION_HUGE_PAGES, pinned
 * page accounting and the access object's rules, each with a case that
 * must succeed and one that must fail.
 *
 * Rules that depend on attached domains run as VARIANT_TESTs (0, 1 and 2
 * mock domains): a mock domain narrows the usable IOVA to
 * [MOCK_APERTURE_START, MOCK_APERTURE_LAST], sets the alignment to half a
 * CPU page, and pins what is mapped.  The errnos were checked against
 * Linux 6.12 (IOAS_MAP_FILE and IOAS_CHANGE_PROCESS, newer, against the
 * v6.17 sources).
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "uapi.h"

#ifndef F_SEAL_WRITE
#define F_ADD_SEALS 1033
#define F_SEAL_WRITE 0x0008
#endif

/* A fixed IOVA that is usable with and without mock domains. */
#define BASE_IOVA ((uint64_t)MOCK_APERTURE_START)

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA

static int map_raw(int fd, uint32_t ioas_id, uint64_t user_va, uint64_t len,
		   uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = user_va,
		.length = len,
		.iova = iova ? *iova : 0,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!ret && iova)
		*iova = cmd.iova;
	return ret;
}

static int map_file(int fd, uint32_t ioas_id, int mfd, uint64_t start,
		    uint64_t len, uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = len,
		.iova = iova ? *iova : 0,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	if (!ret && iova)
		*iova = cmd.iova;
	return ret;
}

static int ioas_copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		     uint64_t len, uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = dst_iova ? *dst_iova : 0,
		.src_iova = src_iova,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_COPY, &cmd);

	if (!ret && dst_iova)
		*dst_iova = cmd.dst_iova;
	return ret;
}

/* IOVA_RANGES into @ranges (room for *num); *num gets the total. */
static int iova_ranges(int fd, uint32_t ioas_id,
		       struct iommu_iova_range *ranges, uint32_t *num,
		       uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int ret = t_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return ret;
}

static uint64_t iova_alignment(int fd, uint32_t ioas_id)
{
	struct iommu_iova_range r[4];
	uint32_t num = 4;
	uint64_t align = 0;

	CHECK_OK(iova_ranges(fd, ioas_id, r, &num, &align));
	return align;
}

static int allow_iovas(int fd, uint32_t ioas_id,
		       const struct iommu_iova_range *ranges, uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return t_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static int huge_pages(int fd, uint32_t ioas_id, uint16_t op, uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = op,
		.object_id = ioas_id,
		.val64 = *val,
	};
	int ret = t_ioctl(fd, IOMMU_OPTION, &cmd);

	*val = cmd.val64;
	return ret;
}

/* Every mock domain of @self maps [iova, iova + len) to @uptr. */
static void check_mock_map(struct fixture *self, uint64_t iova, void *uptr,
			   uint64_t len)
{
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_check_map(self->fd, self->hwpt_id[i], iova, len,
				     uptr));
}

static int memfd_of(size_t len)
{
	int mfd = memfd_create("ioas_test", MFD_ALLOW_SEALING);

	CHECK_OK(mfd);
	CHECK_OK(ftruncate(mfd, len));
	return mfd;
}

static void set_memlock_pages(uint64_t pages)
{
	struct rlimit rl = { pages * PAGE_SIZE_T, pages * PAGE_SIZE_T };

	CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
}

/* ---- IOAS_ALLOC --------------------------------------------------------- */

TEST(ioas_alloc_flags_are_eopnotsupp)
{
	int fd = t_open_iommufd();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	uint32_t id;

	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd), EOPNOTSUPP);
	CHECK_ERRNO(t_destroy(fd, 1), ENOENT);
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_EQ(id, 1);
	CHECK_OK(t_destroy(fd, id));
	t_close(fd);
}

TEST(ioas_destroy_unmaps_everything)
{
	int fd = t_open_iommufd();
	void *buf = t_buffer(4 * PAGE_SIZE_T);
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	for (int i = 0; i < 4; i++)
		CHECK_OK(t_ioas_map(fd, id, (char *)buf + i * PAGE_SIZE_T,
				    PAGE_SIZE_T, NULL));
	CHECK_OK(t_destroy(fd, id));
	/* uAPI: an IOAS id is not an object of another type. */
	CHECK_ERRNO(t_ioas_map(fd, id, buf, PAGE_SIZE_T, NULL), ENOENT);
	t_close(fd);
}

VARIANT_TEST(ioas_destroy_busy_while_attached)
{
	/* uAPI: a HWPT holds its IOAS: destroying the IOAS is EBUSY. */
	if (self->mock_domains) {
		CHECK_ERRNO(t_destroy(self->fd, self->ioas_id), EBUSY);
		for (unsigned int i = 0; i < self->mock_domains; i++)
			CHECK_OK(t_destroy(self->fd, self->stdev_id[i]));
	}
	CHECK_OK(t_destroy(self->fd, self->ioas_id));
}

/* ---- IOVA_RANGES -------------------------------------------------------- */

VARIANT_TEST(iova_ranges_report_the_aperture)
{
	struct iommu_iova_range r[4] = {};
	uint32_t num = 4;
	uint64_t align;

	CHECK_OK(iova_ranges(self->fd, self->ioas_id, r, &num, &align));
	CHECK_EQ(num, 1);
	if (self->mock_domains) {
		CHECK_EQ(r[0].start, MOCK_APERTURE_START);
		CHECK_EQ(r[0].last, MOCK_APERTURE_LAST);
		CHECK_EQ(align, MOCK_PAGE_SIZE_T);
	} else {
		CHECK_EQ(r[0].start, 0);
		CHECK_EQ(r[0].last, UINT64_MAX);
		CHECK_EQ(align, 1);
	}
}

VARIANT_TEST(iova_ranges_short_array_is_emsgsize)
{
	struct iommu_iova_range r = { 7, 7 };
	uint32_t num = 0;
	uint64_t align = 0;

	/* uAPI: too small an array is EMSGSIZE, with the count needed. */
	CHECK_ERRNO(iova_ranges(self->fd, self->ioas_id, NULL, &num, &align),
		    EMSGSIZE);
	CHECK_EQ(num, 1);
	CHECK_EQ(align, self->mock_domains ? MOCK_PAGE_SIZE_T : 1);
	num = 0;
	CHECK_ERRNO(iova_ranges(self->fd, self->ioas_id, &r, &num, NULL),
		    EMSGSIZE);
	CHECK_EQ(r.start, 7);
	num = 1;
	CHECK_OK(iova_ranges(self->fd, self->ioas_id, &r, &num, NULL));
}

TEST(iova_ranges_checks)
{
	int fd = t_open_iommufd();
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	cmd.ioas_id = id;
	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd), EOPNOTSUPP);
	cmd.__reserved = 0;
	cmd.ioas_id = 99;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd), ENOENT);
	cmd.ioas_id = id;
	cmd.num_iovas = 1;
	cmd.allowed_iovas = 8;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd), EFAULT);
	t_close(fd);
}

TEST(iova_ranges_ignore_allowed_ranges)
{
	int fd = t_open_iommufd();
	struct iommu_iova_range allow = { 1ull << 20, (1ull << 21) - 1 };
	struct iommu_iova_range r[2];
	uint32_t id, num = 2;

	/* uAPI: ranges are the complement of the reserved ranges only. */
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(allow_iovas(fd, id, &allow, 1));
	CHECK_OK(iova_ranges(fd, id, r, &num, NULL));
	CHECK_EQ(num, 1);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, UINT64_MAX);
	t_close(fd);
}

/* ---- ALLOW_IOVAS -------------------------------------------------------- */

TEST(allow_iovas_checks)
{
	int fd = t_open_iommufd();
	struct iommu_iova_range r[2] = { { 0x10000, 0x1ffff },
					 { 0x18000, 0x2ffff } };
	struct iommu_ioas_allow_iovas cmd = { .size = sizeof(cmd) };
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	cmd.ioas_id = id;
	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd), EOPNOTSUPP);
	CHECK_ERRNO(allow_iovas(fd, 99, r, 1), ENOENT);
	/* uAPI: overlapping ranges in the list are EINVAL... */
	CHECK_ERRNO(allow_iovas(fd, id, r, 2), EINVAL);
	/* ...as is a range of one byte or fewer. */
	r[1].start = r[1].last = 0x40000;
	CHECK_ERRNO(allow_iovas(fd, id, r, 2), EINVAL);
	r[1].start = 0x50000;
	CHECK_ERRNO(allow_iovas(fd, id, r, 2), EINVAL);
	CHECK_ERRNO(allow_iovas(fd, id, (void *)8, 1), EFAULT);
	r[1].start = 0x30000;
	r[1].last = 0x30001;
	CHECK_OK(allow_iovas(fd, id, r, 2));
	/* An empty list lifts the restriction. */
	CHECK_OK(allow_iovas(fd, id, NULL, 0));
	t_close(fd);
}

VARIANT_TEST(allow_iovas_steer_allocation)
{
	struct iommu_iova_range r = { BASE_IOVA + 0x100000,
				      BASE_IOVA + 0x1fffff };
	void *buf = t_buffer(0x200000);
	uint64_t iova = 0;

	CHECK_OK(allow_iovas(self->fd, self->ioas_id, &r, 1));
	for (int i = 0; i < 4; i++) {
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id,
				    (char *)buf + i * 0x10000, 0x10000,
				    &iova));
		CHECK(iova >= r.start && iova + 0x10000 - 1 <= r.last);
	}
	/* uAPI: allocation that does not fit the allowed ranges: ENOSPC. */
	CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, buf, 0x200000, &iova),
		    ENOSPC);
	/* uAPI: a fixed IOVA may lie outside them (they steer allocation). */
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, PAGE_SIZE_T,
				  BASE_IOVA));
}

VARIANT_TEST(allow_iovas_over_reserved_is_eaddrinuse)
{
	struct iommu_iova_range r = { PAGE_SIZE_T, BASE_IOVA + PAGE_SIZE_T };

	/* uAPI: an allowed range a domain cannot reach is EADDRINUSE. */
	if (self->mock_domains)
		CHECK_ERRNO(allow_iovas(self->fd, self->ioas_id, &r, 1),
			    EADDRINUSE);
	else
		CHECK_OK(allow_iovas(self->fd, self->ioas_id, &r, 1));
	r.start = BASE_IOVA;
	CHECK_OK(allow_iovas(self->fd, self->ioas_id, &r, 1));
}

VARIANT_TEST(allow_iovas_may_cover_mappings)
{
	void *buf = t_buffer(PAGE_SIZE_T);
	struct iommu_iova_range r = { BASE_IOVA + 0x100000,
				      BASE_IOVA + 0x1fffff };

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, PAGE_SIZE_T,
				  BASE_IOVA));
	CHECK_OK(allow_iovas(self->fd, self->ioas_id, &r, 1));
	r.start = BASE_IOVA;
	CHECK_OK(allow_iovas(self->fd, self->ioas_id, &r, 1));
}

TEST(allowed_ranges_block_an_attach_outside_them)
{
	int fd = t_open_iommufd();
	struct iommu_iova_range r = { PAGE_SIZE_T, 2 * PAGE_SIZE_T - 1 };
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(allow_iovas(fd, id, &r, 1));
	/* uAPI: the domain would reserve an allowed range: EADDRINUSE. */
	CHECK_ERRNO(t_mock_domain(fd, id, NULL, NULL, NULL), EADDRINUSE);
	CHECK_OK(allow_iovas(fd, id, NULL, 0));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	t_close(fd);
}

/* ---- IOAS_MAP ----------------------------------------------------------- */

TEST(map_checks)
{
	int fd = t_open_iommufd();
	void *buf = t_buffer(2 * PAGE_SIZE_T);
	uint64_t va = (uintptr_t)buf, iova = BASE_IOVA;
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW,
		.user_va = va,
		.length = PAGE_SIZE_T,
	};
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	cmd.ioas_id = id;
	cmd.flags = RW | (1 << 3);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_MAP, &cmd), EOPNOTSUPP);
	cmd.flags = RW;
	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_MAP, &cmd), EOPNOTSUPP);
	cmd.__reserved = 0;
	/* uAPI: values past ULONG_MAX - 1 are EOVERFLOW... */
	CHECK_ERRNO(map_raw(fd, id, va, UINT64_MAX, NULL, RW), EOVERFLOW);
	iova = UINT64_MAX;
	CHECK_ERRNO(map_raw(fd, id, va, PAGE_SIZE_T, &iova, RW | FIXED),
		    EOVERFLOW);
	/* ...before a map that is neither readable nor writeable: EINVAL... */
	CHECK_ERRNO(map_raw(fd, id, va, PAGE_SIZE_T, NULL, FIXED), EINVAL);
	CHECK_ERRNO(map_raw(fd, id, va, UINT64_MAX, NULL, 0), EOVERFLOW);
	/* ...before the IOAS lookup. */
	CHECK_ERRNO(map_raw(fd, 99, va, PAGE_SIZE_T, NULL, 0), EINVAL);
	CHECK_ERRNO(map_raw(fd, 99, va, PAGE_SIZE_T, NULL, RW), ENOENT);
	CHECK_ERRNO(map_raw(fd, id, va, 0, NULL, RW), EINVAL);
	iova = BASE_IOVA;
	CHECK_ERRNO(map_raw(fd, id, va, 0, &iova, RW | FIXED), EINVAL);
	/* uAPI: user_va + length must not wrap. */
	CHECK_ERRNO(map_raw(fd, id, UINT64_MAX - PAGE_SIZE_T + 1,
			    2 * PAGE_SIZE_T, NULL, RW),
		    EOVERFLOW);
	/* uAPI: iova + length must not wrap. */
	iova = UINT64_MAX - PAGE_SIZE_T + 1;
	CHECK_ERRNO(map_raw(fd, id, va, 2 * PAGE_SIZE_T, &iova, RW | FIXED),
		    EOVERFLOW);
	/* uAPI: no length can be aligned past half the space: EOVERFLOW. */
	CHECK_ERRNO(map_raw(fd, id, PAGE_SIZE_T, 1ull << 63, NULL, RW),
		    EOVERFLOW);
	CHECK_OK(map_raw(fd, id, va, PAGE_SIZE_T, NULL, IOMMU_IOAS_MAP_READABLE));
	CHECK_OK(map_raw(fd, id, va, PAGE_SIZE_T, NULL,
			 IOMMU_IOAS_MAP_WRITEABLE));
	t_close(fd);
}

VARIANT_TEST(map_fixed_over_a_mapping_is_eexist)
{
	void *buf = t_buffer(4 * PAGE_SIZE_T);
	uint64_t p = PAGE_SIZE_T;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				  BASE_IOVA + p));
	/* uAPI: any overlap with an existing mapping is EEXIST. */
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				     BASE_IOVA + p),
		    EEXIST);
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				     BASE_IOVA),
		    EEXIST);
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				     BASE_IOVA + 2 * p),
		    EEXIST);
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, p, BASE_IOVA));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, p,
				  BASE_IOVA + 3 * p));
	check_mock_map(self, BASE_IOVA, buf, p);
	check_mock_map(self, BASE_IOVA + p, buf, 2 * p);
}

VARIANT_TEST(map_allocates_aligned_iovas)
{
	size_t len = 64 * PAGE_SIZE_T;
	char *buf = t_buffer(len);
	uint64_t iovas[8];

	for (int i = 0; i < 8; i++) {
		uint64_t size = (i + 1) * PAGE_SIZE_T, align;
		uintptr_t va = (uintptr_t)buf + i * PAGE_SIZE_T;

		CHECK_OK(t_ioas_map(self->fd, self->ioas_id, (void *)va, size,
				    &iovas[i]));
		/* uAPI: never IOVA 0; aligned like the memory and length. */
		CHECK(iovas[i] >= PAGE_SIZE_T);
		align = 1ull << __builtin_ctzll(va);
		while (align > PAGE_SIZE_T && align / 2 >= size)
			align /= 2;
		if (align > size)
			align = PAGE_SIZE_T;
		CHECK_EQ(iovas[i] % PAGE_SIZE_T, 0);
		if (self->mock_domains)
			CHECK(iovas[i] >= MOCK_APERTURE_START &&
			      iovas[i] + size - 1 <= MOCK_APERTURE_LAST);
		for (int j = 0; j < i; j++)
			CHECK(iovas[i] + size <= iovas[j] ||
			      iovas[j] + (j + 1) * PAGE_SIZE_T <= iovas[i]);
		check_mock_map(self, iovas[i], (void *)va, size);
	}
}

VARIANT_TEST(map_keeps_the_offset_in_the_page)
{
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	uint64_t iova = 0;
	size_t off = PAGE_SIZE_T / 2;

	/* The IOVA keeps the memory's offset within its page. */
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf + off,
			    2 * PAGE_SIZE_T, &iova));
	CHECK_EQ(iova % PAGE_SIZE_T, off);
	check_mock_map(self, iova, buf + off, 2 * PAGE_SIZE_T);
}

VARIANT_TEST(map_alignment_follows_the_domain)
{
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	uint64_t m = MOCK_PAGE_SIZE_T;

	/* uAPI: with a mock domain IOVA, length and offset align to it. */
	if (self->mock_domains) {
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf, m,
					     BASE_IOVA + m / 2),
			    EINVAL);
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
					     m / 2, BASE_IOVA),
			    EINVAL);
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id,
					     buf + m / 2, m, BASE_IOVA),
			    EINVAL);
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, buf + 8, m,
				       NULL),
			    EINVAL);
	} else {
		CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf + 1, 3,
					  BASE_IOVA + 5));
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf + 8, 1, NULL));
	}
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf + m, m,
				  BASE_IOVA + 2 * PAGE_SIZE_T + m));
	check_mock_map(self, BASE_IOVA + 2 * PAGE_SIZE_T + m, buf + m, m);
}

VARIANT_TEST(map_of_missing_memory_faults_when_pinned)
{
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	uint64_t iova = 0;

	CHECK_OK(munmap(buf + PAGE_SIZE_T, PAGE_SIZE_T));
	/* uAPI: memory is pinned (EFAULT) only once a domain needs it. */
	if (self->mock_domains) {
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, buf,
				       2 * PAGE_SIZE_T, &iova),
			    EFAULT);
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id,
				       buf + PAGE_SIZE_T, PAGE_SIZE_T, &iova),
			    EFAULT);
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id,
				       (void *)PAGE_SIZE_T, PAGE_SIZE_T,
				       &iova),
			    EFAULT);
		/* Nothing stayed behind. */
		CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, 0,
					 UINT64_MAX - 1, NULL),
			    ENOENT);
	} else {
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf,
				    2 * PAGE_SIZE_T, &iova));
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id,
				    (void *)PAGE_SIZE_T, PAGE_SIZE_T, &iova));
	}
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, PAGE_SIZE_T, &iova));
}

VARIANT_TEST(map_writeable_needs_writable_memory)
{
	void *ro = mmap(NULL, PAGE_SIZE_T, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0;

	CHECK(ro != MAP_FAILED);
	/* uAPI: pinning read-only memory for device writes is EFAULT. */
	if (self->mock_domains)
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, ro,
				       PAGE_SIZE_T, &iova),
			    EFAULT);
	else
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id, ro, PAGE_SIZE_T,
				    &iova));
	CHECK_OK(map_raw(self->fd, self->ioas_id, (uintptr_t)ro, PAGE_SIZE_T,
			 &iova, IOMMU_IOAS_MAP_READABLE));
	check_mock_map(self, iova, ro, PAGE_SIZE_T);
}

VARIANT_TEST(map_over_reserved_iova_is_einval)
{
	void *buf = t_buffer(PAGE_SIZE_T);

	/* uAPI: a fixed map outside the domains' aperture is EINVAL. */
	if (self->mock_domains) {
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
					     PAGE_SIZE_T, PAGE_SIZE_T),
			    EINVAL);
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
					     PAGE_SIZE_T,
					     BASE_IOVA - PAGE_SIZE_T / 2),
			    EINVAL);
		CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
					     PAGE_SIZE_T,
					     (uint64_t)MOCK_APERTURE_LAST + 1),
			    EINVAL);
	} else {
		CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
					  PAGE_SIZE_T, PAGE_SIZE_T));
	}
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, PAGE_SIZE_T,
				  (uint64_t)MOCK_APERTURE_LAST + 1 - PAGE_SIZE_T));
}

VARIANT_TEST(map_after_unmap_reuses_the_iova)
{
	void *buf = t_buffer(PAGE_SIZE_T);
	uint64_t iova, again, unmapped;

	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, PAGE_SIZE_T, &iova));
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, PAGE_SIZE_T,
			      &unmapped));
	CHECK_EQ(unmapped, PAGE_SIZE_T);
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, PAGE_SIZE_T, &again));
	CHECK_EQ(again, iova);
}

/* ---- IOAS_MAP_FILE ------------------------------------------------------ */

TEST(map_file_checks)
{
	int fd = t_open_iommufd(), mfd = memfd_of(2 * PAGE_SIZE_T), pfd[2];
	struct iommu_ioas_map_file cmd = { .size = sizeof(cmd) };
	uint64_t iova = BASE_IOVA;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	cmd.ioas_id = id;
	cmd.fd = mfd;
	cmd.length = PAGE_SIZE_T;
	cmd.flags = RW | (1 << 3);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd), EOPNOTSUPP);
	CHECK_ERRNO(map_file(fd, id, mfd, 0, UINT64_MAX, NULL, RW), EOVERFLOW);
	iova = UINT64_MAX;
	CHECK_ERRNO(map_file(fd, id, mfd, 0, PAGE_SIZE_T, &iova, RW | FIXED),
		    EOVERFLOW);
	CHECK_ERRNO(map_file(fd, id, mfd, 0, PAGE_SIZE_T, NULL, 0), EINVAL);
	CHECK_ERRNO(map_file(fd, 99, mfd, 0, PAGE_SIZE_T, NULL, RW), ENOENT);
	/* uAPI: fd must be an open file: EBADF, checked before the range. */
	CHECK_ERRNO(map_file(fd, id, -1, 0, PAGE_SIZE_T, NULL, RW), EBADF);
	CHECK_ERRNO(map_file(fd, id, 1000, 0, 0, NULL, RW), EBADF);
	CHECK_ERRNO(map_file(fd, id, mfd, 0, 0, NULL, RW), EINVAL);
	CHECK_ERRNO(map_file(fd, id, mfd, UINT64_MAX - PAGE_SIZE_T,
			     2 * PAGE_SIZE_T, NULL, RW),
		    EOVERFLOW);
	/* A file that cannot be mapped is taken; pinning it will fail. */
	CHECK_OK(pipe(pfd));
	CHECK_OK(map_file(fd, id, pfd[0], 0, PAGE_SIZE_T, NULL,
			  IOMMU_IOAS_MAP_READABLE));
	CHECK_OK(map_file(fd, id, mfd, PAGE_SIZE_T, PAGE_SIZE_T, NULL, RW));
	t_close(fd);
}

VARIANT_TEST(map_file_maps_the_file)
{
	size_t len = 4 * PAGE_SIZE_T;
	int mfd = memfd_of(len);
	char *view = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
			  0);
	uint64_t iova = BASE_IOVA, iova2;

	CHECK(view != MAP_FAILED);
	CHECK_OK(map_file(self->fd, self->ioas_id, mfd, 0, len, &iova,
			  RW | FIXED));
	CHECK_OK(map_file(self->fd, self->ioas_id, mfd, PAGE_SIZE_T,
			  2 * PAGE_SIZE_T, &iova2, RW));
	CHECK_EQ(iova2 % PAGE_SIZE_T, 0);
	/* The caller's fd may go: the mapping keeps the file. */
	CHECK_OK(close(mfd));
	check_mock_map(self, iova, view, len);
	check_mock_map(self, iova2, view + PAGE_SIZE_T, 2 * PAGE_SIZE_T);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
}

VARIANT_TEST(map_file_keeps_the_offset_in_the_page)
{
	int mfd = memfd_of(4 * PAGE_SIZE_T);
	uint64_t iova = 0;

	CHECK_OK(map_file(self->fd, self->ioas_id, mfd, PAGE_SIZE_T / 2,
			  PAGE_SIZE_T, &iova, RW));
	CHECK_EQ(iova % PAGE_SIZE_T, PAGE_SIZE_T / 2);
	close(mfd);
}

VARIANT_TEST(map_file_past_the_end_is_einval_when_pinned)
{
	int mfd = memfd_of(PAGE_SIZE_T), pfd[2];
	uint64_t iova = 0;

	/* uAPI: a range the file does not back fails when pinned: EINVAL. */
	if (self->mock_domains) {
		CHECK_ERRNO(map_file(self->fd, self->ioas_id, mfd, 0,
				     2 * PAGE_SIZE_T, &iova, RW),
			    EINVAL);
		CHECK_OK(pipe(pfd));
		CHECK_ERRNO(map_file(self->fd, self->ioas_id, pfd[0], 0,
				     PAGE_SIZE_T, &iova,
				     IOMMU_IOAS_MAP_READABLE),
			    EINVAL);
	} else {
		CHECK_OK(map_file(self->fd, self->ioas_id, mfd, 0,
				  2 * PAGE_SIZE_T, &iova, RW));
	}
	CHECK_OK(map_file(self->fd, self->ioas_id, mfd, 0, PAGE_SIZE_T, &iova,
			  RW));
	CHECK_OK(ftruncate(mfd, 0));
	if (self->mock_domains)
		CHECK_ERRNO(map_file(self->fd, self->ioas_id, mfd, 0,
				     PAGE_SIZE_T, &iova, RW),
			    EINVAL);
	close(mfd);
}

/* A regular file on @dir: -1 when @dir is not there. */
static int regular_file(const char *dir, size_t len, bool *shmem)
{
	char path[128];
	struct statfs sfs;
	int fd;

	snprintf(path, sizeof(path), "%s/ioas_test.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	CHECK_OK(ftruncate(fd, len));
	CHECK_OK(fstatfs(fd, &sfs));
	*shmem = sfs.f_type == TMPFS_MAGIC;
	return fd;
}

VARIANT_TEST(map_file_pins_only_shmem_files)
{
	bool shmem;
	int tmpfs = regular_file("/dev/shm", PAGE_SIZE_T, &shmem);
	int disk = regular_file("/var/tmp", PAGE_SIZE_T, &shmem);
	uint64_t iova = 0;

	if (tmpfs < 0 || disk < 0 || shmem)
		SKIP("needs /dev/shm and a /var/tmp that is not tmpfs");
	/* A tmpfs file is shmem: like a memfd it can be pinned. */
	CHECK_OK(map_file(self->fd, self->ioas_id, tmpfs, 0, PAGE_SIZE_T,
			  &iova, RW));
	/* uAPI: other files are taken, but pinning them is EINVAL. */
	if (self->mock_domains)
		CHECK_ERRNO(map_file(self->fd, self->ioas_id, disk, 0,
				     PAGE_SIZE_T, &iova, RW),
			    EINVAL);
	else
		CHECK_OK(map_file(self->fd, self->ioas_id, disk, 0, PAGE_SIZE_T,
				  &iova, RW));
	close(tmpfs);
	close(disk);
}

TEST(map_file_writeable_needs_a_writable_file)
{
	int fd = t_open_iommufd(), mfd = memfd_of(PAGE_SIZE_T), rofd;
	char path[64];
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	rofd = open(path, O_RDONLY);
	CHECK_OK(rofd);
	/* uAPI: device writes need an fd open for writing: EPERM. */
	CHECK_ERRNO(map_file(fd, id, rofd, 0, PAGE_SIZE_T, NULL, RW), EPERM);
	CHECK_OK(map_file(fd, id, rofd, 0, PAGE_SIZE_T, NULL,
			  IOMMU_IOAS_MAP_READABLE));
	CHECK_OK(map_file(fd, id, mfd, 0, PAGE_SIZE_T, NULL, RW));
	t_close(fd);
}

TEST(map_file_writeable_respects_seals)
{
	int fd = t_open_iommufd(), mfd = memfd_of(PAGE_SIZE_T);
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	/* uAPI: a write-sealed file cannot be mapped writeable: EPERM. */
	CHECK_ERRNO(map_file(fd, id, mfd, 0, PAGE_SIZE_T, NULL, RW), EPERM);
	CHECK_OK(map_file(fd, id, mfd, 0, PAGE_SIZE_T, NULL,
			  IOMMU_IOAS_MAP_READABLE));
	t_close(fd);
}

/* ---- IOAS_COPY ---------------------------------------------------------- */

TEST(copy_checks)
{
	int fd = t_open_iommufd();
	void *buf = t_buffer(4 * PAGE_SIZE_T);
	struct iommu_ioas_copy cmd = { .size = sizeof(cmd), .flags = RW };
	uint64_t p = PAGE_SIZE_T, iova;
	uint32_t a, b;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_ioas_map_fixed(fd, a, buf, 2 * p, BASE_IOVA));
	CHECK_OK(t_ioas_map_fixed(fd, a, buf, p, BASE_IOVA + 3 * p));
	cmd.dst_ioas_id = b;
	cmd.src_ioas_id = a;
	cmd.flags = RW | (1 << 3);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_COPY, &cmd), EOPNOTSUPP);
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA, UINT64_MAX, NULL, RW),
		    EOVERFLOW);
	CHECK_ERRNO(ioas_copy(fd, b, a, UINT64_MAX, p, NULL, RW), EOVERFLOW);
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA, p, NULL, 0), EINVAL);
	CHECK_ERRNO(ioas_copy(fd, b, 99, BASE_IOVA, p, NULL, RW), ENOENT);
	CHECK_ERRNO(ioas_copy(fd, 99, a, BASE_IOVA, p, NULL, RW), ENOENT);
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA, 0, NULL, RW), EINVAL);
	/* uAPI: the source range must be mapped without holes: ENOENT. */
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA + 2 * p, p, NULL, RW),
		    ENOENT);
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA, 4 * p, NULL, RW), ENOENT);
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA - p, 2 * p, NULL, RW),
		    ENOENT);
	/* The destination has its own rules: EEXIST on a fixed overlap. */
	iova = BASE_IOVA;
	CHECK_OK(ioas_copy(fd, b, a, BASE_IOVA, 2 * p, &iova, RW | FIXED));
	CHECK_ERRNO(ioas_copy(fd, b, a, BASE_IOVA, p, &iova, RW | FIXED),
		    EEXIST);
	t_close(fd);
}

VARIANT_TEST(copy_maps_the_same_memory)
{
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	uint64_t p = PAGE_SIZE_T, iova, dst_iova, unmapped;
	uint32_t dst;

	CHECK_OK(t_ioas_alloc(self->fd, &dst));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * p,
				  BASE_IOVA));
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf + 2 * p, 2 * p,
				  BASE_IOVA + 2 * p));
	/* A copy may take part of an area and span adjacent areas. */
	CHECK_OK(ioas_copy(self->fd, dst, self->ioas_id, BASE_IOVA + p, 2 * p,
			   &dst_iova, RW));
	CHECK_OK(ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			   BASE_IOVA + p, 2 * p, &iova, RW));
	check_mock_map(self, iova, buf + p, 2 * p);
	/*
	 * ...and then is two areas: an unmap that cuts into the second is
	 * ENOENT, after the first went.
	 */
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, iova, p / 2 * 3,
				 NULL),
		    ENOENT);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, 2 * p,
			      &unmapped));
	CHECK_EQ(unmapped, p);
	/* The source going away does not affect the copy. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
	CHECK_OK(ioas_copy(self->fd, self->ioas_id, dst, dst_iova, 2 * p,
			   &iova, RW));
	check_mock_map(self, iova, buf + p, 2 * p);
}

VARIANT_TEST(copy_writeable_of_readonly_is_eperm)
{
	void *buf = t_buffer(PAGE_SIZE_T);
	uint64_t iova = BASE_IOVA;

	CHECK_OK(map_raw(self->fd, self->ioas_id, (uintptr_t)buf, PAGE_SIZE_T,
			 &iova, IOMMU_IOAS_MAP_READABLE | FIXED));
	/* uAPI: a copy cannot add write permission: EPERM. */
	CHECK_ERRNO(ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			      BASE_IOVA, PAGE_SIZE_T, NULL, RW),
		    EPERM);
	CHECK_OK(ioas_copy(self->fd, self->ioas_id, self->ioas_id, BASE_IOVA,
			   PAGE_SIZE_T, NULL, IOMMU_IOAS_MAP_READABLE));
}

/* ---- IOAS_UNMAP --------------------------------------------------------- */

TEST(unmap_checks)
{
	int fd = t_open_iommufd();
	void *buf = t_buffer(PAGE_SIZE_T);
	uint64_t unmapped = 77;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_ERRNO(t_ioas_unmap(fd, 99, 0, UINT64_MAX, NULL), ENOENT);
	/* uAPI: unmap-all of an empty IOAS succeeds with length 0... */
	CHECK_OK(t_ioas_unmap(fd, id, 0, UINT64_MAX, &unmapped));
	CHECK_EQ(unmapped, 0);
	/* ...a range with nothing in it is ENOENT. */
	CHECK_ERRNO(t_ioas_unmap(fd, id, 0, UINT64_MAX - 1, NULL), ENOENT);
	CHECK_ERRNO(t_ioas_unmap(fd, id, BASE_IOVA, 0, NULL), EINVAL);
	CHECK_ERRNO(t_ioas_unmap(fd, id, 1, UINT64_MAX, NULL), EOVERFLOW);
	CHECK_ERRNO(t_ioas_unmap(fd, id, UINT64_MAX, 1, NULL), EOVERFLOW);
	CHECK_ERRNO(t_ioas_unmap(fd, id, UINT64_MAX - 1, 3, NULL), EOVERFLOW);
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, PAGE_SIZE_T, BASE_IOVA));
	CHECK_ERRNO(t_ioas_unmap(fd, id, 0, BASE_IOVA, NULL), ENOENT);
	CHECK_OK(t_ioas_unmap(fd, id, 0, BASE_IOVA + PAGE_SIZE_T, &unmapped));
	CHECK_EQ(unmapped, PAGE_SIZE_T);
	t_close(fd);
}

VARIANT_TEST(unmap_takes_whole_areas_only)
{
	char *buf = t_buffer(8 * PAGE_SIZE_T);
	uint64_t p = PAGE_SIZE_T, unmapped;

	for (int i = 0; i < 3; i++)
		CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id,
					  buf + 2 * i * p, 2 * p,
					  BASE_IOVA + 2 * i * p));
	/* uAPI: cutting into an area is ENOENT... */
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA + p,
				 2 * p, NULL),
		    ENOENT);
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA + p, p,
				 NULL),
		    ENOENT);
	/* ...after removing the whole areas before the cut. */
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA, 3 * p,
				 NULL),
		    ENOENT);
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA, 2 * p,
				 NULL),
		    ENOENT);
	check_mock_map(self, BASE_IOVA + 2 * p, buf + 2 * p, 4 * p);
	/* A range holding whole areas and holes returns what it removed. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA - p, 8 * p,
			      &unmapped));
	CHECK_EQ(unmapped, 4 * p);
	CHECK_ERRNO(t_ioas_unmap(self->fd, self->ioas_id, BASE_IOVA, 8 * p,
				 NULL),
		    ENOENT);
}

VARIANT_TEST(unmap_all_returns_the_total)
{
	char *buf = t_buffer(16 * PAGE_SIZE_T);
	uint64_t unmapped, total = 0;

	for (int i = 1; i <= 5; i++) {
		CHECK_OK(t_ioas_map(self->fd, self->ioas_id,
				    buf + i * PAGE_SIZE_T, i * PAGE_SIZE_T,
				    NULL));
		total += i * PAGE_SIZE_T;
	}
	/* uAPI: iova 0, length U64_MAX unmaps all and says how much. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX,
			      &unmapped));
	CHECK_EQ(unmapped, total);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX,
			      &unmapped));
	CHECK_EQ(unmapped, 0);
}

/* ---- IOMMU_OPTION_HUGE_PAGES -------------------------------------------- */

VARIANT_TEST(option_huge_pages)
{
	void *buf = t_buffer(PAGE_SIZE_T);
	uint64_t val = 7;

	CHECK_OK(huge_pages(self->fd, self->ioas_id, IOMMU_OPTION_OP_GET, &val));
	CHECK_EQ(val, 1);
	val = 0;
	CHECK_ERRNO(huge_pages(self->fd, 99, IOMMU_OPTION_OP_SET, &val), ENOENT);
	CHECK_ERRNO(huge_pages(self->fd, self->ioas_id, 2, &val), EOPNOTSUPP);
	val = 2;
	CHECK_ERRNO(huge_pages(self->fd, self->ioas_id, IOMMU_OPTION_OP_SET,
			       &val),
		    EINVAL);
	/* Off: the IOAS works in whole CPU pages. */
	val = 0;
	CHECK_OK(huge_pages(self->fd, self->ioas_id, IOMMU_OPTION_OP_SET, &val));
	CHECK_OK(huge_pages(self->fd, self->ioas_id, IOMMU_OPTION_OP_GET, &val));
	CHECK_EQ(val, 0);
	CHECK_EQ(iova_alignment(self->fd, self->ioas_id), PAGE_SIZE_T);
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
				     PAGE_SIZE_T / 2, BASE_IOVA),
		    EINVAL);
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, PAGE_SIZE_T,
				  BASE_IOVA));
	check_mock_map(self, BASE_IOVA, buf, PAGE_SIZE_T);
	val = 1;
	CHECK_OK(huge_pages(self->fd, self->ioas_id, IOMMU_OPTION_OP_SET, &val));
	CHECK_EQ(iova_alignment(self->fd, self->ioas_id),
		 self->mock_domains ? MOCK_PAGE_SIZE_T : 1);
	/* uAPI: not while a domain holds mappings: EINVAL. */
	val = 0;
	if (self->mock_domains)
		CHECK_ERRNO(huge_pages(self->fd, self->ioas_id,
				       IOMMU_OPTION_OP_SET, &val),
			    EINVAL);
	else
		CHECK_OK(huge_pages(self->fd, self->ioas_id,
				    IOMMU_OPTION_OP_SET, &val));
}

TEST(option_huge_pages_off_refuses_unaligned_mappings)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	uint64_t val = 0;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, PAGE_SIZE_T / 2, BASE_IOVA));
	/* uAPI: an existing mapping that would misalign: EADDRINUSE. */
	CHECK_ERRNO(huge_pages(fd, id, IOMMU_OPTION_OP_SET, &val), EADDRINUSE);
	CHECK_OK(huge_pages(fd, id, IOMMU_OPTION_OP_GET, &val));
	CHECK_EQ(val, 1);
	t_close(fd);
}

/* ---- domains meeting existing mappings ---------------------------------- */

TEST(attach_needs_aligned_mappings)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	uint64_t unmapped;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, 100, BASE_IOVA));
	/* uAPI: a mapping the domain cannot express: EADDRINUSE. */
	CHECK_ERRNO(t_mock_domain(fd, id, NULL, NULL, NULL), EADDRINUSE);
	CHECK_EQ(iova_alignment(fd, id), 1);
	CHECK_OK(t_ioas_unmap(fd, id, 0, UINT64_MAX, &unmapped));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, PAGE_SIZE_T, BASE_IOVA));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	CHECK_EQ(iova_alignment(fd, id), MOCK_PAGE_SIZE_T);
	t_close(fd);
}

TEST(attach_needs_mappings_inside_the_aperture)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(PAGE_SIZE_T);
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, PAGE_SIZE_T, PAGE_SIZE_T));
	/* uAPI: a mapping outside the domain's aperture: EADDRINUSE. */
	CHECK_ERRNO(t_mock_domain(fd, id, NULL, NULL, NULL), EADDRINUSE);
	CHECK_OK(t_ioas_unmap(fd, id, PAGE_SIZE_T, PAGE_SIZE_T, NULL));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	t_close(fd);
}

TEST(attach_pins_existing_mappings)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	uint32_t id, hwpt;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, 2 * PAGE_SIZE_T, BASE_IOVA));
	CHECK_OK(munmap(buf + PAGE_SIZE_T, PAGE_SIZE_T));
	/* uAPI: memory that cannot be pinned fails the attach: EFAULT. */
	CHECK_ERRNO(t_mock_domain(fd, id, NULL, NULL, NULL), EFAULT);
	CHECK_OK(t_ioas_unmap(fd, id, 0, UINT64_MAX, NULL));
	CHECK_OK(t_ioas_map_fixed(fd, id, buf, PAGE_SIZE_T, BASE_IOVA));
	CHECK_OK(t_mock_domain(fd, id, NULL, &hwpt, NULL));
	CHECK_OK(t_check_map(fd, hwpt, BASE_IOVA, PAGE_SIZE_T, buf));
	t_close(fd);
}

/* ---- pins and accounting ------------------------------------------------ */

TEST(pins_are_counted_once_per_mapping)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	uint32_t a, b, s1, s2;
	uint64_t iova = 0;

	CHECK_OK(t_ioas_alloc(fd, &a));
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_ioas_map_fixed(fd, a, buf, PAGE_SIZE_T, BASE_IOVA));
	/* Nothing is pinned without a domain. */
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 0));
	CHECK_OK(t_mock_domain(fd, a, &s1, NULL, NULL));
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 1));
	CHECK_ERRNO(t_check_refs(fd, buf, PAGE_SIZE_T, 2), EIO);
	/* A second domain and a copy share the pin... */
	CHECK_OK(t_mock_domain(fd, a, &s2, NULL, NULL));
	CHECK_OK(t_mock_domain(fd, b, NULL, NULL, NULL));
	CHECK_OK(ioas_copy(fd, b, a, BASE_IOVA, PAGE_SIZE_T, &iova, RW));
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 1));
	/* ...a second map of the memory is a second pin. */
	CHECK_OK(t_ioas_map(fd, b, buf, PAGE_SIZE_T, &iova));
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 2));
	CHECK_OK(t_check_refs(fd, buf + PAGE_SIZE_T, PAGE_SIZE_T, 0));
	CHECK_OK(t_ioas_unmap(fd, b, 0, UINT64_MAX, NULL));
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 1));
	CHECK_OK(t_destroy(fd, s1));
	CHECK_OK(t_destroy(fd, s2));
	CHECK_OK(t_check_refs(fd, buf, PAGE_SIZE_T, 0));
	t_close(fd);
}

TEST(pinned_pages_are_accounted_to_rlimit_memlock)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(32 * PAGE_SIZE_T);
	uint64_t p = PAGE_SIZE_T, iova;
	uint32_t a, b;

	t_drop_ipc_lock();
	set_memlock_pages(16);
	CHECK_OK(t_ioas_alloc(fd, &a));
	/* Without a domain nothing is pinned, so nothing is charged. */
	CHECK_OK(t_ioas_map(fd, a, buf, 32 * p, &iova));
	CHECK_OK(t_ioas_unmap(fd, a, 0, UINT64_MAX, NULL));
	CHECK_OK(t_mock_domain(fd, a, NULL, NULL, NULL));
	CHECK_OK(t_ioas_map(fd, a, buf, 16 * p, &iova));
	/* uAPI: past RLIMIT_MEMLOCK is ENOMEM... */
	CHECK_ERRNO(t_ioas_map(fd, a, buf + 16 * p, p, NULL), ENOMEM);
	/* ...but a copy shares the pages and costs nothing. */
	CHECK_OK(t_ioas_alloc(fd, &b));
	CHECK_OK(t_mock_domain(fd, b, NULL, NULL, NULL));
	CHECK_OK(ioas_copy(fd, b, a, iova, 16 * p, NULL, RW));
	/* Unmapping gives back exactly what was charged. */
	CHECK_OK(t_ioas_unmap(fd, a, 0, UINT64_MAX, NULL));
	CHECK_ERRNO(t_ioas_map(fd, a, buf + 16 * p, p, NULL), ENOMEM);
	CHECK_OK(t_ioas_unmap(fd, b, 0, UINT64_MAX, NULL));
	CHECK_OK(t_ioas_map(fd, a, buf + 16 * p, 16 * p, NULL));
	CHECK_ERRNO(t_ioas_map(fd, a, buf, p, NULL), ENOMEM);
	t_close(fd);
}

TEST(accounting_is_released_on_close)
{
	char *buf = t_buffer(16 * PAGE_SIZE_T);

	t_drop_ipc_lock();
	set_memlock_pages(16);
	for (int i = 0; i < 3; i++) {
		int fd = t_open_iommufd();
		uint32_t id;

		CHECK_OK(t_ioas_alloc(fd, &id));
		CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
		CHECK_OK(t_ioas_map(fd, id, buf, 16 * PAGE_SIZE_T, NULL));
		CHECK_OK(t_close(fd));
	}
}

TEST(cap_ipc_lock_skips_accounting)
{
	int fd = t_open_iommufd();
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	uint32_t id;

	set_memlock_pages(1);
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	/* uAPI: CAP_IPC_LOCK at map time: no RLIMIT_MEMLOCK charge. */
	CHECK_OK(t_ioas_map(fd, id, buf, 4 * PAGE_SIZE_T, NULL));
	t_drop_ipc_lock();
	CHECK_ERRNO(t_ioas_map(fd, id, buf, 2 * PAGE_SIZE_T, NULL), ENOMEM);
	t_close(fd);
}

/* ---- IOAS_CHANGE_PROCESS ------------------------------------------------ */

TEST(change_process_needs_file_mappings)
{
	int fd = t_open_iommufd(), mfd = memfd_of(2 * PAGE_SIZE_T);
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
	void *buf = t_buffer(PAGE_SIZE_T);
	uint32_t id;

	cmd.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd), EOPNOTSUPP);
	cmd.__reserved = 0;
	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd));
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	CHECK_OK(map_file(fd, id, mfd, 0, 2 * PAGE_SIZE_T, NULL, RW));
	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd));
	/* uAPI: any mapping of plain user memory makes it EINVAL. */
	CHECK_OK(t_ioas_map(fd, id, buf, PAGE_SIZE_T, NULL));
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd), EINVAL);
	t_close(fd);
}

TEST(change_process_moves_the_charge_to_the_caller)
{
	int fd = t_open_iommufd(), mfd1, mfd2;
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
	uint64_t p = PAGE_SIZE_T, iova;
	uint32_t id;

	if (getuid() != 0)
		SKIP("starts as root to become another user");
	mfd1 = memfd_of(16 * p);
	mfd2 = memfd_of(16 * p);
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_mock_domain(fd, id, NULL, NULL, NULL));
	t_drop_ipc_lock();
	set_memlock_pages(16);
	CHECK_OK(map_file(fd, id, mfd1, 0, 16 * p, NULL, RW));
	/* The caller becomes another user, who pays for its own maps. */
	CHECK_OK(setresuid(65534, 65534, 65534));
	CHECK_OK(map_file(fd, id, mfd2, 0, 16 * p, &iova, RW));
	/* uAPI: taking over the first user's pins is past the limit. */
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd), ENOMEM);
	CHECK_OK(t_ioas_unmap(fd, id, iova, 16 * p, NULL));
	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd));
	CHECK_ERRNO(map_file(fd, id, mfd2, 0, p, NULL, RW), ENOMEM);
	CHECK_OK(t_ioas_unmap(fd, id, 0, UINT64_MAX, NULL));
	CHECK_OK(map_file(fd, id, mfd2, 0, 16 * p, NULL, RW));
	t_close(fd);
}

/* ---- accesses (the selftest's access objects) --------------------------- */

VARIANT_TEST(access_rw_follows_the_mapping)
{
	char *buf = t_buffer(2 * PAGE_SIZE_T), tmp[64];
	uint64_t iova = BASE_IOVA;
	int afd;

	memset(buf, 0x5a, 2 * PAGE_SIZE_T);
	CHECK_OK(map_raw(self->fd, self->ioas_id, (uintptr_t)buf, PAGE_SIZE_T,
			 &iova, IOMMU_IOAS_MAP_READABLE | FIXED));
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(self->fd, afd, iova + 10, sizeof(tmp), tmp, 0));
	CHECK_EQ(tmp[0], 0x5a);
	/* uAPI: writing through a read-only mapping is EPERM... */
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova, sizeof(tmp), tmp,
			        MOCK_ACCESS_RW_WRITE),
		    EPERM);
	/* ...and reaching past the mapping is ENOENT. */
	CHECK_ERRNO(t_access_rw(self->fd, afd, iova + PAGE_SIZE_T - 8,
				sizeof(tmp), tmp, 0),
		    ENOENT);
	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf + PAGE_SIZE_T,
				  PAGE_SIZE_T, iova + PAGE_SIZE_T));
	memset(tmp, 0x11, sizeof(tmp));
	CHECK_OK(t_access_rw(self->fd, afd, iova + 2 * PAGE_SIZE_T - 8, 8,
			     tmp, MOCK_ACCESS_RW_WRITE));
	CHECK_EQ(buf[2 * PAGE_SIZE_T - 1], 0x11);
	CHECK_OK(t_access_rw(self->fd, afd, iova + PAGE_SIZE_T - 8, sizeof(tmp),
			     tmp, 0));
	t_close(afd);
}

VARIANT_TEST(access_pins_are_dropped_on_unmap)
{
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	uint64_t iova = BASE_IOVA, unmapped;
	uint32_t pages_id;
	int afd;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
				  2 * PAGE_SIZE_T, iova));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	/* uAPI: a pin must be whole pages with no hole: ENOENT past it. */
	CHECK_ERRNO(t_access_pages(self->fd, afd, iova, 3 * PAGE_SIZE_T, buf,
				   0, NULL),
		    ENOENT);
	CHECK_ERRNO(t_access_pages(self->fd, afd, iova + 1, PAGE_SIZE_T, buf, 0,
				   NULL),
		    EINVAL);
	CHECK_OK(t_access_pages(self->fd, afd, iova, 2 * PAGE_SIZE_T, buf, 0,
			        &pages_id));
	CHECK_OK(t_check_refs(self->fd, buf, 2 * PAGE_SIZE_T, 1));
	/* The access is told and lets go, so the unmap goes through. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, 2 * PAGE_SIZE_T,
			      &unmapped));
	CHECK_EQ(unmapped, 2 * PAGE_SIZE_T);
	CHECK_OK(t_check_refs(self->fd, buf, 2 * PAGE_SIZE_T, 0));
	t_close(afd);
}

VARIANT_TEST(access_alignment_joins_the_ioas)
{
	char *buf = t_buffer(2 * PAGE_SIZE_T);
	int afd;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
				  MOCK_PAGE_SIZE_T, BASE_IOVA));
	/* uAPI: a pinning access needs page-aligned mappings: EADDRINUSE. */
	CHECK_ERRNO(t_create_access(self->fd, self->ioas_id,
				    MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				    &afd),
		    EADDRINUSE);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_EQ(iova_alignment(self->fd, self->ioas_id), PAGE_SIZE_T);
	CHECK_ERRNO(t_ioas_map_fixed(self->fd, self->ioas_id, buf,
				     MOCK_PAGE_SIZE_T, BASE_IOVA),
		    EINVAL);
	t_close(afd);
	CHECK_EQ(iova_alignment(self->fd, self->ioas_id),
		 self->mock_domains ? MOCK_PAGE_SIZE_T : 1);
}
