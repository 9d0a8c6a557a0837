/*
 * pt_bench.c - the page-table formats' map and unmap, measured format by
 * format: 1, 256 and 262,144 granule-sized pages (one leaf per page: the
 * output address is one granule off a large-leaf alignment, so no larger
 * leaf fits) and one 2 MiB and one 1 GiB leaf where the format has them.
 * Each round starts from an empty table, so table pages are allocated and
 * freed inside the measured calls, as the software IOMMU's domains do; one
 * unmeasured round first, and glibc told not to give freed memory back, so
 * the table memory is warm (as in a long-running process), not fresh pages
 * the kernel must fault in.  A case stops after its call count or about
 * 0.3 s, whichever comes first.
 *
 * Output: one JSON object per line:
 *   {"bench":"pt_map","format":"vtd_ss4","pages":256,"leaf_lg2":12,
 *    "calls":2000,"ns_per_call":10000.0,"ns_per_pte":39.1}
 * (pt_unmap likewise).  The target for contiguous maps is 2 ns per
 * PTE.  Build with --buildtype=release.  Arguments: "quick" (fewer
 * repetitions), or substrings selecting formats.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "iommu/pt/pt.h"
#include "util/err.h"

static bool quick;
static int nsel;
static char **sel;

static bool selected(const char *name)
{
	return bench_selected(name, nsel, sel);
}

#define now_ns bench_now_ns

static void emit(const char *op, const struct pt_format *fmt, uint64_t pages,
		 unsigned int leaf_lg2, unsigned long calls, double ns)
{
	printf("{\"bench\":\"%s\",\"format\":\"%s\",\"pages\":%llu,"
	       "\"leaf_lg2\":%u,\"calls\":%lu,\"ns_per_call\":%.1f,"
	       "\"ns_per_pte\":%.2f}\n",
	       op, fmt->name, (unsigned long long)pages, leaf_lg2, calls,
	       ns / calls, ns / calls / pages);
}

/*
 * Map and unmap @pages leaves of 2^@leaf_lg2 bytes @calls times (a fresh
 * table each round, so the tables are built inside the measured map).
 */
static int bench_one(const struct pt_format *fmt, uint64_t pages,
		     unsigned int leaf_lg2, unsigned long calls)
{
	uint64_t len = pages << leaf_lg2, iova = 1ull << 30, oa, unmapped;
	uint32_t prot = PT_PROT_READ | PT_PROT_WRITE;
	double t_map = 0, t_unmap = 0, t0;

	/* Large leaves: aligned.  Granule pages: one granule off 1 GiB. */
	if (leaf_lg2 > fmt->granule_lg2) {
		iova = 1ull << 31;
		oa = 1ull << 31;
	} else {
		oa = (1ull << 30) + (1ull << leaf_lg2);
	}
	if (iova + len > (1ull << fmt->ias_lg2) ||
	    oa + len > (1ull << fmt->oas_lg2))
		return 0;	/* does not fit this format's address space */
	double start = now_ns();
	unsigned long done = 0;

	/* Round 0 warms the allocator and is not counted. */
	for (unsigned long i = 0; i <= calls; i++) {
		struct pt_table *pt = pt_table_create(fmt, NULL);
		double m, u = 0;
		int rc;

		if (IS_ERR(pt))
			return PTR_ERR(pt);
		t0 = now_ns();
		rc = pt_map(pt, iova, oa, len, prot);
		m = now_ns() - t0;
		if (!rc) {
			t0 = now_ns();
			rc = pt_unmap(pt, iova, len, &unmapped);
			u = now_ns() - t0;
			if (!rc && unmapped != len)
				rc = -EIO;
		}
		pt_table_destroy(pt);
		if (i) {
			t_map += m;
			t_unmap += u;
			done++;
		}
		if (i && now_ns() - start > 3e8)
			break;
		if (rc) {
			fprintf(stderr, "pt_bench: %s %llu x 2^%u: %s\n",
				fmt->name, (unsigned long long)pages, leaf_lg2,
				strerror(-rc));
			return rc;
		}
	}
	emit("pt_map", fmt, pages, leaf_lg2, done, t_map);
	emit("pt_unmap", fmt, pages, leaf_lg2, done, t_unmap);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		uint64_t pages;
		unsigned long calls;
	} runs[] = { { 1, 200000 }, { 256, 20000 }, { 262144, 5 } };
	const struct pt_format *const *list = pt_format_list();
	int rc = 0;

	/* Freed tables stay in the heap: warm memory, not page faults. */
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "quick"))
			quick = true;
		else
			sel = &argv[i], nsel = argc - i, i = argc;
	}
	for (size_t f = 0; list[f]; f++) {
		const struct pt_format *fmt = list[f];

		if (!selected(fmt->name))
			continue;
		for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
			rc |= bench_one(fmt, runs[r].pages, fmt->granule_lg2,
					quick ? 1 + runs[r].calls / 100 :
						runs[r].calls);
		if (fmt->pgsize_bitmap & (1ull << 21))
			rc |= bench_one(fmt, 1, 21, quick ? 100 : 20000);
		if (fmt->pgsize_bitmap & (1ull << 30))
			rc |= bench_one(fmt, 1, 30, quick ? 100 : 20000);
	}
	return rc ? 1 : 0;
}
