/*
 * ioas_bench.c - cost of IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP through the
 * library front end (uiommu_ioctl), and the IOAS's bookkeeping per area.
 *
 * Cases: 4 KiB maps one at a time (x1, x256, x262144 live at once), one
 * 2 MiB map and one 1 GiB map; each with a fixed and an allocated IOVA,
 * without a domain and with one mock domain (IOMMU_TEST_OP_MOCK_DOMAIN;
 * that column is skipped with a message when the mock is unavailable).
 * With a domain every map pins its memory (MADV_POPULATE_WRITE walks it)
 * and fills the mock page table; the buffer is faulted in beforehand.
 * Memory: malloc bytes (mallinfo2) per area with 1M one-page areas mapped.
 *
 * Output: one JSON object per line; every line carries the machine and
 * the commit.  Build with --buildtype=release for numbers worth quoting.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <uiommu/uiommu.h>

#include "iommufd_test.h"

#ifndef UIOMMU_SOURCE_ROOT
#define UIOMMU_SOURCE_ROOT "."
#endif

static char machine[512];
static size_t page_size;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void machine_init(void)
{
	char commit[64] = "unknown";
	struct utsname u;
	FILE *p;

	p = popen("git -C " UIOMMU_SOURCE_ROOT
		  " rev-parse --short HEAD 2>/dev/null",
		  "r");
	if (p) {
		if (fgets(commit, sizeof(commit), p))
			commit[strcspn(commit, "\n")] = 0;
		if (!commit[0])
			strcpy(commit, "unknown");
		pclose(p);
	}
	uname(&u);
	snprintf(machine, sizeof(machine),
		 "\"machine\":{\"uname\":\"%s %s %s\",\"nproc\":%ld},"
		 "\"commit\":\"%s\"",
		 u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
		 commit);
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "ioas-bench: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static int map(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t *iova,
	       bool fixed)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = *iova,
	};
	int rc = uiommu_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	*iova = cmd.iova;
	return rc;
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return uiommu_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

/* A context with one IOAS and, if asked, one mock domain: 0 or -errno. */
static int ctx_open(int *fd, uint32_t *ioas, bool domain)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	int rc;

	*fd = uiommu_open("/dev/iommu", O_RDWR);
	if (*fd < 0)
		die("open /dev/iommu", *fd);
	rc = uiommu_ioctl(*fd, IOMMU_IOAS_ALLOC, &alloc);
	if (rc)
		die("IOAS_ALLOC", rc);
	*ioas = alloc.out_ioas_id;
	if (!domain)
		return 0;
	mock.id = *ioas;
	rc = uiommu_ioctl(*fd, IOMMU_TEST_CMD, &mock);
	if (rc)
		uiommu_close(*fd);
	return rc;
}

static void report(const char *name, const char *op, bool fixed, bool domain,
		   uint64_t calls, uint64_t pages_per_call, uint64_t ns)
{
	printf("{\"bench\":\"ioas\",\"case\":\"%s\",\"op\":\"%s\","
	       "\"iova\":\"%s\",\"domain\":%d,\"calls\":%llu,"
	       "\"ns_per_call\":%.1f,\"ns_per_page\":%.2f,%s}\n",
	       name, op, fixed ? "fixed" : "allocated", domain,
	       (unsigned long long)calls, (double)ns / calls,
	       (double)ns / (calls * pages_per_call), machine);
	fflush(stdout);
}

/*
 * @n maps of @len bytes each live at once, then their unmaps; @rounds
 * times.  Map k takes buf + k * len at IOVA base + k * len when fixed.
 */
static void bench_case(const char *name, int fd, uint32_t ioas, char *buf,
		       uint64_t len, uint64_t n, unsigned int rounds,
		       bool fixed, bool domain)
{
	uint64_t *iovas = malloc(n * sizeof(*iovas));
	uint64_t base = MOCK_APERTURE_START, t_map = 0, t_unmap = 0, t0;
	int rc;

	if (!iovas)
		die("malloc", -ENOMEM);
	for (unsigned int r = 0; r < rounds; r++) {
		t0 = now_ns();
		for (uint64_t k = 0; k < n; k++) {
			iovas[k] = base + k * len;
			rc = map(fd, ioas, buf + k * len, len, &iovas[k],
				 fixed);
			if (rc)
				die("IOAS_MAP", rc);
		}
		t_map += now_ns() - t0;
		t0 = now_ns();
		for (uint64_t k = 0; k < n; k++) {
			rc = unmap(fd, ioas, iovas[k], len);
			if (rc)
				die("IOAS_UNMAP", rc);
		}
		t_unmap += now_ns() - t0;
	}
	report(name, "map", fixed, domain, n * rounds, len / page_size, t_map);
	report(name, "unmap", fixed, domain, n * rounds, len / page_size,
	       t_unmap);
	free(iovas);
}

static void bench_maps(char *buf, bool domain)
{
	for (int fixed = 1; fixed >= 0; fixed--) {
		uint32_t ioas;
		int fd, rc;

		rc = ctx_open(&fd, &ioas, domain);
		if (rc) {
			printf("{\"bench\":\"ioas\",\"domain\":1,\"skip\":"
			       "\"IOMMU_TEST_OP_MOCK_DOMAIN: %s\",%s}\n",
			       strerror(-rc), machine);
			return;
		}
		bench_case("4KiB x1", fd, ioas, buf, page_size, 1, 20000,
			   fixed, domain);
		bench_case("4KiB x256", fd, ioas, buf, page_size, 256, 40,
			   fixed, domain);
		bench_case("4KiB x262144", fd, ioas, buf, page_size, 262144, 1,
			   fixed, domain);
		bench_case("2MiB", fd, ioas, buf, 2 << 20, 1, 200, fixed,
			   domain);
		bench_case("1GiB", fd, ioas, buf, 1 << 30, 1, 3, fixed,
			   domain);
		uiommu_close(fd);
	}
}

/* malloc()ed bytes per area with @n one-page areas mapped. */
static void bench_memory(char *buf, uint64_t n, bool domain)
{
	struct mallinfo2 before, after;
	uint64_t iova, t0, t_map;
	uint32_t ioas;
	int fd, rc;

	rc = ctx_open(&fd, &ioas, domain);
	if (rc)
		return;
	malloc_trim(0);
	before = mallinfo2();
	t0 = now_ns();
	for (uint64_t k = 0; k < n; k++) {
		/* Every area its own pages object, over the same page. */
		iova = MOCK_APERTURE_START + k * page_size;
		rc = map(fd, ioas, buf, page_size, &iova, true);
		if (rc)
			die("IOAS_MAP", rc);
	}
	t_map = now_ns() - t0;
	after = mallinfo2();
	printf("{\"bench\":\"ioas_memory\",\"areas\":%llu,\"domain\":%d,"
	       "\"bytes_per_area\":%.1f,\"ns_per_map\":%.1f,\"note\":\"%s\","
	       "%s}\n",
	       (unsigned long long)n, domain,
	       (double)((after.uordblks + after.hblkhd) -
			(before.uordblks + before.hblkhd)) / n,
	       (double)t_map / n,
	       domain ? "includes the mock domain's page table" :
			"areas + pages objects",
	       machine);
	fflush(stdout);
	t0 = now_ns();
	rc = unmap(fd, ioas, 0, UINT64_MAX);
	if (rc)
		die("IOAS_UNMAP all", rc);
	printf("{\"bench\":\"ioas_memory\",\"op\":\"unmap_all\",\"areas\":%llu,"
	       "\"domain\":%d,\"ns_per_area\":%.1f,%s}\n",
	       (unsigned long long)n, domain, (double)(now_ns() - t0) / n,
	       machine);
	uiommu_close(fd);
}

int main(void)
{
	char *buf;

	page_size = sysconf(_SC_PAGESIZE);
	machine_init();
	buf = mmap(NULL, 1 << 30, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap 1 GiB", -errno);
	bench_maps(buf, false);
	/* Fault the buffer in once, so that maps measure pinning, not the
	 * first touch of fresh memory. */
	madvise(buf, 1 << 30, MADV_POPULATE_WRITE);
	bench_maps(buf, true);
	bench_memory(buf, 1 << 20, false);
	/* A mock domain reaches 2 GiB - 16 MiB of IOVA: half a million pages. */
	bench_memory(buf, ((uint64_t)MOCK_APERTURE_LAST + 1 -
			   MOCK_APERTURE_START) / page_size, true);
	munmap(buf, 1 << 30);
	return 0;
}
