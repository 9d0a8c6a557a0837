/*
 * mm_test.c - pinned memory outlives the program's munmap() (the kernel's
 * page pin): DMA keeps reaching the same data until the IOAS unmaps it, and
 * then the memory really goes.  Only the preload shim sees munmap(), so
 * these tests skip in library mode.
 */
#include <string.h>
#include <sys/mman.h>

#include "uapi.h"

static void need_shim(void)
{
	if (strcmp(t_frontend(), "shim"))
		SKIP("needs the preload shim: the library cannot see munmap()");
}

static bool is_mapped(void *p, size_t len)
{
	unsigned char vec[16];

	return mincore(p, len, vec) == 0;
}

TEST(mm_munmap_of_pinned_memory_is_deferred)
{
	struct fixture f;
	size_t len = 4 * PAGE_SIZE_T;
	unsigned char *buf, out[64];
	int afd;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(len);
	memset(buf, 0x5a, len);
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf, len, MOCK_APERTURE_START));
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));

	/* The program lets go of its buffer; the IOAS still holds the pages. */
	CHECK_OK(munmap(buf, len));
	memset(out, 0, sizeof(out));
	CHECK_OK(t_access_rw(f.fd, afd, MOCK_APERTURE_START + len - sizeof(out),
			     sizeof(out), out, 0));
	for (size_t i = 0; i < sizeof(out); i++)
		CHECK_EQ(out[i], 0x5a);
	/* DMA writes still land in those pages and read back. */
	memset(out, 0xc3, sizeof(out));
	CHECK_OK(t_access_rw(f.fd, afd, MOCK_APERTURE_START, sizeof(out), out,
			     MOCK_ACCESS_RW_WRITE));
	memset(out, 0, sizeof(out));
	CHECK_OK(
	    t_access_rw(f.fd, afd, MOCK_APERTURE_START, sizeof(out), out, 0));
	CHECK_EQ(out[0], 0xc3);

	/* Once the IOAS unmaps, the memory is really gone. */
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MOCK_APERTURE_START, len, NULL));
	CHECK(!is_mapped(buf, len));
	t_close(afd);
	fixture_teardown(&f);
}

TEST(mm_munmap_splits_pinned_and_unpinned_parts)
{
	struct fixture f;
	size_t p = PAGE_SIZE_T;
	unsigned char *buf;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(4 * p);
	/* Only the middle two pages are pinned (mapped with a domain). */
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf + p, 2 * p,
				  MOCK_APERTURE_START));
	CHECK_OK(munmap(buf, 4 * p));
	CHECK(!is_mapped(buf, p));
	CHECK(is_mapped(buf + p, 2 * p));
	CHECK(!is_mapped(buf + 3 * p, p));
	/* Unmapping it twice is fine, as for the kernel. */
	CHECK_OK(munmap(buf, 4 * p));
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MOCK_APERTURE_START, 2 * p, NULL));
	CHECK(!is_mapped(buf + p, 2 * p));
	fixture_teardown(&f);
}

TEST(mm_closing_the_context_releases_deferred_memory)
{
	struct fixture f;
	size_t len = 2 * PAGE_SIZE_T;
	unsigned char *buf;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(len);
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf, len, MOCK_APERTURE_START));
	CHECK_OK(munmap(buf, len));
	CHECK(is_mapped(buf, len));
	fixture_teardown(&f);
	CHECK(!is_mapped(buf, len));
}

TEST(mm_munmap_without_pins_and_bad_arguments)
{
	size_t p = PAGE_SIZE_T;
	unsigned char *buf = t_buffer(2 * p);

	/* No IOAS involved: plain munmap, with the kernel's errors. */
	CHECK_ERRNO(munmap(buf + 1, p), EINVAL);
	CHECK_ERRNO(munmap(buf, 0), EINVAL);
	CHECK_OK(munmap(buf, 2 * p));
	CHECK(!is_mapped(buf, 2 * p));
}
