/*
 * kselftest_regress_test.c - rules exercised by the kernel's own selftest
 * (tools/testing/selftests/iommu/iommufd.c, v6.17) that the rest of this
 * suite did not pin: the reserved-range overflow of automatic IOVA
 * allocation, and hugetlb-backed buffers (mapping across a huge page,
 * unpinning through an access after the domain is gone, page references).
 * scripts/kselftest.sh runs the selftest itself; docs/compat.md lists what
 * it reports.
 *
 * Hugetlb cases need free huge pages (vm.nr_hugepages); without them they
 * skip and say so.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

#define HUGE_SIZE ((size_t)2 << 20)

/* Two huge pages, populated; skips the test when none are free. */
static char *huge_buffer(void)
{
	void *buf = mmap(NULL, 2 * HUGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB |
				 MAP_POPULATE,
			 -1, 0);

	if (buf == MAP_FAILED)
		SKIP("no free 2 MiB hugetlb pages (vm.nr_hugepages)");
	return buf;
}

/*
 * The only hole left below 2^64 is 8 pages minus 7 bytes; an automatic IOVA
 * for 5 pages wants 8-page alignment, and the one candidate would wrap.
 */
VARIANT_TEST(ks_reserved_overflow)
{
	uint64_t p = PAGE_SIZE_T, hole = -(8 * p) + 7, iova = 0;
	char *raw = t_buffer(16 * p);
	/* uAPI: the IOVA keeps the user address's alignment, up to 8 pages. */
	char *buf = (char *)(((uintptr_t)raw + 8 * p - 1) & ~(8 * p - 1));

	CHECK_OK(t_add_reserved(self->fd, self->ioas_id, 6, hole - 6));
	/* uAPI: no aligned IOVA fits without wrapping: ENOSPC. */
	CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, buf, 5 * p, &iova),
		    ENOSPC);
	if (self->mock_domains) {
		/* The mock aperture lies wholly in the reserved range. */
		CHECK_ERRNO(t_ioas_map(self->fd, self->ioas_id, buf, p, &iova),
			    ENOSPC);
		return;
	}
	/* One page fits in the hole, page aligned, below the wrap. */
	CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf, p, &iova));
	CHECK(iova >= hole);
	CHECK_EQ(iova % p, 0);
	CHECK(iova + p - 1 >= iova);
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova, p, NULL));
}

/*
 * An access pins one page just past the start of a hugetlb mapping; the
 * domain (if any) goes first, then the access unpins: nothing stays
 * referenced.
 */
VARIANT_TEST(ks_hugetlb_access_unpin)
{
	uint64_t p = PAGE_SIZE_T, base = MOCK_APERTURE_START;
	char *buf = huge_buffer();
	uint32_t pages_id;
	int afd;

	CHECK_OK(t_ioas_map_fixed(self->fd, self->ioas_id, buf, 2 * HUGE_SIZE,
				  base));
	CHECK_OK(t_create_access(self->fd, self->ioas_id,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	CHECK_OK(
	    t_access_pages(self->fd, afd, base + p, p, buf + p, 0, &pages_id));
	CHECK_OK(t_check_refs(self->fd, buf + p, p, 1));
	for (unsigned int i = 0; i < self->mock_domains; i++)
		CHECK_OK(t_destroy(self->fd, self->stdev_id[i]));
	self->mock_domains = 0;
	CHECK_OK(t_check_refs(self->fd, buf + p, p, 1));
	CHECK_OK(t_destroy_access_pages(self->fd, afd, pages_id));
	/* uAPI: a pin already dropped is gone: ENOENT. */
	CHECK_ERRNO(t_destroy_access_pages(self->fd, afd, pages_id), ENOENT);
	CHECK_OK(t_close(afd));
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, base, 2 * HUGE_SIZE,
			      NULL));
	CHECK_OK(t_check_refs(self->fd, buf, 2 * HUGE_SIZE, 0));
	CHECK_OK(munmap(buf, 2 * HUGE_SIZE));
}

/*
 * Automatic IOVAs for ranges that start and end anywhere inside two huge
 * pages (including across the boundary) reach every domain and, with a
 * domain, hold one reference per page while mapped.  (The kernel's MD_CHECK_REFS skips
 * compound pages, so there only the uiommu side of the refs checks bites.)
 */
VARIANT_TEST(ks_hugetlb_all_aligns)
{
	size_t step = HUGE_SIZE / 8, mp = MOCK_PAGE_SIZE_T, p = PAGE_SIZE_T;
	char *buf = huge_buffer();

	CHECK_OK(t_check_refs(self->fd, buf, 2 * HUGE_SIZE, 0));
	for (size_t start = 0; start < 2 * HUGE_SIZE; start += step) {
		size_t end = 2 * HUGE_SIZE - (start ? mp : 0);
		size_t pstart = start / p * p, pend = (end + p - 1) / p * p;
		uint64_t iova;

		CHECK_OK(t_ioas_map(self->fd, self->ioas_id, buf + start,
				    end - start, &iova));
		for (unsigned int i = 0; i < self->mock_domains; i++)
			CHECK_OK(t_check_map(self->fd, self->hwpt_id[i], iova,
					     end - start, buf + start));
		/* Only a domain pins at map time. */
		CHECK_OK(t_check_refs(self->fd, buf + pstart, pend - pstart,
				      self->mock_domains ? 1 : 0));
		/* The domain holds buf + start at iova, not its neighbour. */
		if (self->mock_domains)
			CHECK_ERRNO(t_check_map(self->fd, self->hwpt_id[0],
						iova, mp, buf + start + mp),
				    EINVAL);
		CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, iova,
				      end - start, NULL));
	}
	CHECK_OK(t_check_refs(self->fd, buf, 2 * HUGE_SIZE, 0));
	CHECK_OK(munmap(buf, 2 * HUGE_SIZE));
}
