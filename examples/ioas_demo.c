/*
 * ioas_demo.c - a tour of an I/O address space through the plain iommufd
 * ioctl ABI.
 *
 * Uses nothing but <linux/iommufd.h> and libc, so it runs the same on a
 * kernel with /dev/iommu and under uiommu:
 *
 *	uiommu run -- build/examples/ioas_demo
 *
 * Steps: open /dev/iommu, allocate an IOAS, list its usable IOVA ranges, map
 * a buffer at an IOVA the kernel picks and again at a fixed IOVA, copy the
 * first mapping into a second IOAS, show two misuses and their errno, unmap
 * everything, destroy the objects and close.
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

#define MAX_RANGES 16

static int iommufd = -1;

static void die(const char *what)
{
	fprintf(stderr, "ioas_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd))
		die("IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

/* Map @len bytes of @buf; at *iova when @fixed, else where the kernel says. */
static int ioas_map(uint32_t ioas, void *buf, uint64_t len, uint64_t *iova,
		    int fixed)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = fixed ? *iova : 0,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &cmd))
		return -1;
	*iova = cmd.iova;
	return 0;
}

static uint64_t ioas_unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd))
		die("IOMMU_IOAS_UNMAP");
	return cmd.length;
}

static int destroy(uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &cmd);
}

/* Print the usable ranges; pick an aligned fixed IOVA inside one of them. */
static uint64_t show_ranges(uint32_t ioas, uint64_t len)
{
	struct iommu_iova_range ranges[MAX_RANGES];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = MAX_RANGES,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint64_t fixed = 0, want = 1ULL << 32;

	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd) && errno != EMSGSIZE)
		die("IOMMU_IOAS_IOVA_RANGES");
	printf("usable IOVA ranges (alignment 0x%" PRIx64 "):\n",
	       (uint64_t)cmd.out_iova_alignment);
	for (uint32_t i = 0; i < cmd.num_iovas && i < MAX_RANGES; i++) {
		uint64_t align = cmd.out_iova_alignment ?
					 cmd.out_iova_alignment : 1;
		uint64_t start = ranges[i].start;

		printf("  [0x%016" PRIx64 " - 0x%016" PRIx64 "]\n",
		       (uint64_t)ranges[i].start, (uint64_t)ranges[i].last);
		if (start < want)
			start = want;
		start = (start + align - 1) / align * align;
		if (!fixed && start <= ranges[i].last &&
		    ranges[i].last - start >= len - 1)
			fixed = start;
	}
	if (cmd.num_iovas > MAX_RANGES)
		printf("  ... %u ranges in all\n", cmd.num_iovas);
	return fixed;
}

int main(void)
{
	size_t len = 4 * (size_t)sysconf(_SC_PAGESIZE);
	uint64_t auto_iova, fixed_iova, copy_iova, n;
	uint32_t ioas, ioas2;
	char *buf;

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		fprintf(stderr,
			"ioas_demo: cannot open /dev/iommu: %s\n"
			"  (no iommufd here? try: uiommu run -- %s)\n",
			strerror(errno), "ioas_demo");
		return 1;
	}
	printf("opened /dev/iommu as fd %d\n", iommufd);

	ioas = ioas_alloc();
	printf("allocated IOAS %u\n", ioas);
	fixed_iova = show_ranges(ioas, len);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	strcpy(buf, "hello from the CPU");

	if (ioas_map(ioas, buf, len, &auto_iova, 0))
		die("IOMMU_IOAS_MAP");
	printf("mapped %zu bytes at %p to IOVA 0x%" PRIx64 " (picked by the kernel)\n",
	       len, (void *)buf, auto_iova);
	if (fixed_iova) {
		if (ioas_map(ioas, buf, len, &fixed_iova, 1))
			die("IOMMU_IOAS_MAP (fixed)");
		printf("mapped the same buffer again at fixed IOVA 0x%" PRIx64 "\n",
		       fixed_iova);
	}

	ioas2 = ioas_alloc();
	{
		struct iommu_ioas_copy cmd = {
			.size = sizeof(cmd),
			.flags = IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.dst_ioas_id = ioas2,
			.src_ioas_id = ioas,
			.length = len,
			.src_iova = auto_iova,
		};

		if (ioctl(iommufd, IOMMU_IOAS_COPY, &cmd))
			die("IOMMU_IOAS_COPY");
		copy_iova = cmd.dst_iova;
	}
	printf("copied IOAS %u IOVA 0x%" PRIx64 " to IOAS %u IOVA 0x%" PRIx64
	       " (same pages, no second pin)\n",
	       ioas, auto_iova, ioas2, copy_iova);

	printf("misuse 1: map over the existing mapping at 0x%" PRIx64 ": ",
	       auto_iova);
	if (!ioas_map(ioas, buf, len, &auto_iova, 1))
		printf("succeeded?!\n");
	else
		printf("%s (%s)\n", strerror(errno),
		       errno == EEXIST ? "EEXIST, as expected" : "unexpected");
	printf("misuse 2: destroy object id 4242, which does not exist: ");
	if (!destroy(4242))
		printf("succeeded?!\n");
	else
		printf("%s (%s)\n", strerror(errno),
		       errno == ENOENT ? "ENOENT, as expected" : "unexpected");

	n = ioas_unmap(ioas2, 0, UINT64_MAX);
	printf("unmapped everything in IOAS %u: %" PRIu64 " bytes\n", ioas2, n);
	n = ioas_unmap(ioas, 0, UINT64_MAX);
	printf("unmapped everything in IOAS %u: %" PRIu64 " bytes\n", ioas, n);
	if (destroy(ioas2) || destroy(ioas))
		die("IOMMU_DESTROY");
	printf("destroyed IOAS %u and %u\n", ioas2, ioas);
	munmap(buf, len);
	close(iommufd);
	printf("closed; done\n");
	return 0;
}
