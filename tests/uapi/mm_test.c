/*
 * mm_test.c - pinned memory outlives the program's munmap() (the kernel's
 * page pin): DMA keeps reaching the same data until the IOAS unmaps it, and
 * then the memory really goes.  Only the preload shim sees munmap(), so
 * these tests skip in library mode.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Reads @len bytes at @iova through the access @afd into @out. */
static void dev_read(struct fixture *f, int afd, uint64_t iova, void *out,
		     size_t len)
{
	CHECK_OK(t_access_rw(f->fd, afd, iova, len, out, 0));
}

TEST(mm_madvise_dontneed_spares_pinned_pages)
{
	size_t p = PAGE_SIZE_T;
	unsigned char *buf, out[16];
	struct fixture f;
	int afd;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(4 * p);
	memset(buf, 0x5a, 4 * p);
	/* The middle two pages are pinned. */
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf + p, 2 * p,
				  MOCK_APERTURE_START));
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));

	CHECK_OK(madvise(buf, 4 * p, MADV_DONTNEED));
	/* Unpinned pages are dropped (fresh zero pages) ... */
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[3 * p], 0);
	/* ... pinned ones keep what the device sees, and stay shared. */
	CHECK_EQ(buf[p], 0x5a);
	CHECK_EQ(buf[3 * p - 1], 0x5a);
	dev_read(&f, afd, MOCK_APERTURE_START, out, sizeof(out));
	CHECK_EQ(out[0], 0x5a);
	memset(out, 0xc3, sizeof(out));
	CHECK_OK(t_access_rw(f.fd, afd, MOCK_APERTURE_START, sizeof(out), out,
			     MOCK_ACCESS_RW_WRITE));
	CHECK_EQ(buf[p], 0xc3);
	buf[p + 1] = 0x11;
	dev_read(&f, afd, MOCK_APERTURE_START, out, sizeof(out));
	CHECK_EQ(out[1], 0x11);

	CHECK_OK(madvise(buf + p, p, MADV_FREE));
	CHECK_EQ(buf[p], 0xc3);
	/* Other advice, and bad arguments, are the kernel's. */
	CHECK_OK(madvise(buf + p, 2 * p, MADV_WILLNEED));
	CHECK_ERRNO(madvise(buf + 1, p, MADV_DONTNEED), EINVAL);
	CHECK_ERRNO(madvise(buf, p, 12345), EINVAL);

	/* Once unpinned, DONTNEED drops them as usual. */
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MOCK_APERTURE_START, 2 * p, NULL));
	CHECK_OK(madvise(buf, 4 * p, MADV_DONTNEED));
	CHECK_EQ(buf[p], 0);
	t_close(afd);
	fixture_teardown(&f);
	munmap(buf, 4 * p);
}

TEST(mm_map_fixed_over_pinned_memory_is_refused)
{
	size_t p = PAGE_SIZE_T;
	unsigned char *buf, out[16];
	struct fixture f;
	void *r;
	int afd;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(3 * p);
	memset(buf, 0x77, 3 * p);
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf + p, p,
				  MOCK_APERTURE_START));
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));

	/* New memory over a pinned page: ENOMEM, nothing changed. */
	r = mmap(buf, 3 * p, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r == MAP_FAILED && errno == ENOMEM);
	CHECK_EQ(buf[0], 0x77);
	CHECK_EQ(buf[p], 0x77);
	dev_read(&f, afd, MOCK_APERTURE_START, out, sizeof(out));
	CHECK_EQ(out[0], 0x77);
	/* Around it, MAP_FIXED is the kernel's. */
	r = mmap(buf, p, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r == buf);
	CHECK_EQ(buf[0], 0);
	/* Also over a pinned page the program already unmapped. */
	CHECK_OK(munmap(buf + p, p));
	r = mmap(buf + p, p, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	CHECK(r == MAP_FAILED && errno == ENOMEM);
	dev_read(&f, afd, MOCK_APERTURE_START, out, sizeof(out));
	CHECK_EQ(out[0], 0x77);

	/* Unpinned, the address is free again. */
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MOCK_APERTURE_START, p, NULL));
	r = mmap(buf + p, p, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	CHECK(r == buf + p);
	t_close(afd);
	fixture_teardown(&f);
	munmap(buf, 3 * p);
}

TEST(mm_mremap_of_pinned_memory)
{
	size_t p = PAGE_SIZE_T;
	unsigned char *buf, *guard, out[16];
	struct fixture f;
	void *r;
	int afd;

	need_shim();
	fixture_setup(&f, 1);
	/* Room to grow in place: 4 pages reserved, the last 2 given back. */
	buf = t_buffer(4 * p);
	CHECK_OK(munmap(buf + 2 * p, 2 * p));
	memset(buf, 0x42, 2 * p);
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf, 2 * p,
				  MOCK_APERTURE_START));
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));

	/* Growing in place keeps the pinned pages where they are. */
	r = mremap(buf, 2 * p, 3 * p, MREMAP_MAYMOVE);
	CHECK(r == buf);
	CHECK_EQ(buf[p], 0x42);
	/* Moving them is refused: the device must keep them. */
	guard = mmap(buf + 3 * p, p, PROT_NONE,
		     MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(guard == buf + 3 * p);
	r = mremap(buf, 3 * p, 5 * p, MREMAP_MAYMOVE);
	CHECK(r == MAP_FAILED && errno == ENOMEM);
	r = t_buffer(3 * p);
	CHECK(mremap(buf, 3 * p, 3 * p, MREMAP_MAYMOVE | MREMAP_FIXED, r) ==
	      MAP_FAILED && errno == ENOMEM);
	/* Nor may another mapping be moved over them. */
	CHECK(mremap(r, p, p, MREMAP_MAYMOVE | MREMAP_FIXED, buf) ==
	      MAP_FAILED && errno == ENOMEM);
	CHECK_OK(munmap(r, 3 * p));
	CHECK_EQ(buf[0], 0x42);

	/* Shrinking lets go of the tail; its pinned page stays for DMA. */
	r = mremap(buf, 3 * p, p, 0);
	CHECK(r == buf);
	CHECK(is_mapped(buf + p, p));
	dev_read(&f, afd, MOCK_APERTURE_START + p, out, sizeof(out));
	CHECK_EQ(out[0], 0x42);
	CHECK(!is_mapped(buf + 2 * p, p));
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MOCK_APERTURE_START, 2 * p, NULL));
	CHECK(!is_mapped(buf + p, p));

	/* Unpinned memory moves as usual. */
	r = mremap(buf, p, 8 * p, MREMAP_MAYMOVE);
	CHECK(r != MAP_FAILED);
	CHECK_EQ(((unsigned char *)r)[0], 0x42);
	CHECK_OK(munmap(r, 8 * p));
	CHECK_OK(munmap(guard, p));
	t_close(afd);
	fixture_teardown(&f);
}

/*
 * uiommu's own remaps are not the program's: a file mapped read-only (and
 * pinned) and then writable again makes the core remap its window of the
 * file writable in place, which the shim must let through.
 */
TEST(mm_core_remaps_its_pinned_file_window)
{
	size_t p = PAGE_SIZE_T;
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.length = 2 * p,
		.iova = MOCK_APERTURE_START,
	};
	unsigned char in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
	struct fixture f;
	int mfd, afd;

	need_shim();
	fixture_setup(&f, 1);
	mfd = memfd_create("mm-test", 0);
	CHECK_OK(mfd);
	CHECK_OK(ftruncate(mfd, 2 * p));
	cmd.fd = mfd;
	cmd.ioas_id = f.ioas_id;
	CHECK_OK(t_ioctl(f.fd, IOMMU_IOAS_MAP_FILE, &cmd));
	cmd.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	cmd.iova = MOCK_APERTURE_START + 2 * p;
	CHECK_OK(t_ioctl(f.fd, IOMMU_IOAS_MAP_FILE, &cmd));
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(f.fd, afd, MOCK_APERTURE_START + 2 * p, sizeof(in),
			     in, MOCK_ACCESS_RW_WRITE));
	dev_read(&f, afd, MOCK_APERTURE_START, out, sizeof(out));
	CHECK(!memcmp(in, out, sizeof(in)));
	t_close(afd);
	fixture_teardown(&f);
	close(mfd);
}

/* A forked child's memory is its own: the parent's pins do not hold it. */
TEST(mm_forked_child_is_not_held_by_parent_pins)
{
	size_t p = PAGE_SIZE_T;
	unsigned char *buf;
	struct fixture f;
	int status;
	pid_t pid;

	need_shim();
	fixture_setup(&f, 1);
	buf = t_buffer(2 * p);
	memset(buf, 0x33, 2 * p);
	CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf, 2 * p,
				  MOCK_APERTURE_START));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		bool ok = !madvise(buf, p, MADV_DONTNEED) && buf[0] == 0 &&
			  mmap(buf + p, p, PROT_READ | PROT_WRITE,
			       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0) == buf + p &&
			  buf[p] == 0;

		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's pinned pages are untouched, and still held. */
	CHECK_EQ(buf[0], 0x33);
	CHECK_EQ(buf[p], 0x33);
	CHECK(mmap(buf, p, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0) == MAP_FAILED && errno == ENOMEM);
	fixture_teardown(&f);
	munmap(buf, 2 * p);
}
