/*
 * pt_encoding_test.c - every format variant, level by level: the geometry
 * (levels, input width, root size and concatenation, page sizes) against a
 * hand-written table, and the raw descriptors map() writes - each table
 * entry on the path and each entry of a leaf, for every leaf size of every
 * level and a set of prots - against descriptors built from the specs in
 * pt_test_util.c.
 */
#include "harness.h"
#include "pt_test.h"

#include "util/err.h"

#define KB(n) ((uint64_t)(n) << 10)
#define MB(n) ((uint64_t)(n) << 20)
#define GB(n) ((uint64_t)(n) << 30)
#define TB(n) ((uint64_t)(n) << 40)
#define SZ(lg2) (1ull << (lg2))

struct geometry {
	const char *name;
	unsigned int levels, ias;
	bool sign_extend;
	unsigned int root_bytes, root_tables;
	uint64_t pgsizes;
};

/* Worked out from the specs by hand; see docs/pt-formats.md. */
static const struct geometry geometries[] = {
	{ "vtd_ss3", 3, 39, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "vtd_ss4", 4, 48, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "vtd_ss5", 5, 57, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "vtd_fs4", 4, 48, true, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "vtd_fs5", 5, 57, true, 4096, 1, KB(4) | MB(2) | GB(1) },
	/* AMD: every power of two from 4K, up to half a table's reach per
	   level (Table 14), capped at 2^51 by the address field. */
	{ "amdv1_1", 1, 21, false, 4096, 1, 0x00000000001ff000ull },
	{ "amdv1_2", 2, 30, false, 4096, 1, 0x000000003ffff000ull },
	{ "amdv1_3", 3, 39, false, 4096, 1, 0x0000007ffffff000ull },
	{ "amdv1_4", 4, 48, false, 4096, 1, 0x0000fffffffff000ull },
	{ "amdv1_5", 5, 57, false, 4096, 1, 0x000ffffffffff000ull },
	{ "amdv1_6", 6, 64, false, 4096, 1, 0x000ffffffffff000ull },
	/* Arm: start level from the input size; stage 2 concatenates up to
	   16 tables to drop a level (D8.2.2). */
	{ "arm_s1_4k_48", 4, 48, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "arm_s1_4k_39", 3, 39, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "arm_s1_4k_32", 3, 32, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "arm_s1_4k_48_contig", 4, 48, false, 4096, 1,
	  KB(4) | KB(64) | MB(2) | MB(32) | GB(1) | GB(16) },
	{ "arm_s1_16k_48", 4, 48, false, 16384, 1, KB(16) | MB(32) },
	{ "arm_s1_64k_48", 3, 48, false, 65536, 1, KB(64) | MB(512) },
	{ "arm_s2_4k_48", 4, 48, false, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "arm_s2_4k_40", 3, 40, false, 8192, 2, KB(4) | MB(2) | GB(1) },
	{ "arm_s2_4k_43", 3, 43, false, 65536, 16, KB(4) | MB(2) | GB(1) },
	{ "arm_s2_4k_34", 2, 34, false, 65536, 16, KB(4) | MB(2) },
	{ "arm_s2_16k_48", 3, 48, false, 32768, 2, KB(16) | MB(32) },
	{ "arm_s2_64k_48", 3, 48, false, 65536, 1, KB(64) | MB(512) },
	{ "arm_s2_64k_48_contig", 3, 48, false, 65536, 1,
	  KB(64) | MB(2) | MB(512) | GB(16) },
	{ "riscv_sv39", 3, 39, true, 4096, 1, KB(4) | MB(2) | GB(1) },
	{ "riscv_sv48", 4, 48, true, 4096, 1,
	  KB(4) | MB(2) | GB(1) | GB(512) },
	{ "riscv_sv57", 5, 57, true, 4096, 1,
	  KB(4) | MB(2) | GB(1) | GB(512) | TB(256) },
	{ "riscv_sv39x4", 3, 41, false, 16384, 4, KB(4) | MB(2) | GB(1) },
	{ "riscv_sv48x4", 4, 50, false, 16384, 4,
	  KB(4) | MB(2) | GB(1) | GB(512) },
	{ "riscv_sv57x4", 5, 59, false, 16384, 4,
	  KB(4) | MB(2) | GB(1) | GB(512) | TB(256) },
};

TEST(pt_geometry)
{
	const struct pt_format *f;
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(geometries) / sizeof(geometries[0]);
	     i++) {
		const struct geometry *g = &geometries[i];

		f = pt_format_by_name(g->name);
		if (!f)
			test_fail(__FILE__, __LINE__, "no format %s", g->name);
		CHECK_EQ(f->levels, g->levels);
		CHECK_EQ(f->ias_lg2, g->ias);
		CHECK_EQ(f->sign_extend, g->sign_extend);
		CHECK_EQ(1u << f->root_lg2, g->root_bytes);
		CHECK_EQ(f->root_tables, g->root_tables);
		if (f->pgsize_bitmap != g->pgsizes)
			test_fail(__FILE__, __LINE__, "%s: pgsizes %#llx",
				  g->name,
				  (unsigned long long)f->pgsize_bitmap);
	}
	for_each_format(f)
		n++;
	CHECK_EQ(n, sizeof(geometries) / sizeof(geometries[0]));
	CHECK(!pt_format_by_name("no_such_format"));
}

/* An iova with a distinct index at every level from @level up. */
static uint64_t pick_iova(const struct pt_format *f, unsigned int level,
			  unsigned int size_lg2)
{
	uint64_t iova = 0;

	for (unsigned int l = level; l < f->levels; l++) {
		unsigned int bits = f->lvl[l].index_bits;
		uint64_t entries = 1ull << bits;
		uint64_t idx;

		if (l == f->levels - 1u && f->sign_extend)
			entries /= 2;
		idx = (l * 7 + 3) % entries;
		iova |= idx << f->lvl[l].shift;
	}
	iova &= ~((1ull << size_lg2) - 1);
	/* Keep the whole leaf inside the lower input range. */
	while (fmt_low_end(f) && iova + (1ull << size_lg2) > fmt_low_end(f))
		iova >>= 1, iova &= ~((1ull << size_lg2) - 1);
	return iova;
}

static uint64_t pick_oa(const struct pt_format *f, unsigned int size_lg2)
{
	uint64_t m = 0x2b5;
	unsigned int lim = f->oas_lg2 < 48 ? f->oas_lg2 : 48;

	while (m && ((m << size_lg2) >> lim))
		m >>= 1;
	return m << size_lg2;
}

static const uint32_t prots[] = {
	PT_PROT_READ | PT_PROT_WRITE,
	PT_PROT_READ,
	PT_PROT_WRITE,
	PT_PROT_READ | PT_PROT_EXEC,
	PT_PROT_READ | PT_PROT_WRITE | PT_PROT_CACHE,
	PT_PROT_READ | PT_PROT_MMIO,
	PT_PROT_READ | PT_PROT_WRITE | PT_PROT_PRIV,
};

static unsigned int reports;
static uint64_t report_iova, report_size;

static void count_report(void *ctx, uint64_t iova, uint64_t size)
{
	(*(unsigned int *)ctx)++;
	report_iova = iova;
	report_size = size;
}

static void check_one_leaf(const struct pt_format *f, unsigned int level,
			   unsigned int size_lg2, uint32_t prot)
{
	struct count_alloc ca;
	struct pt_table *pt;
	uint64_t iova = pick_iova(f, level, size_lg2);
	uint64_t oa = pick_oa(f, size_lg2);
	uint64_t item = 1ull << f->lvl[level].shift;
	unsigned int n = 1u << (size_lg2 - f->lvl[level].shift);
	uint64_t *first, unmapped;
	struct pt_walk w;

	count_alloc_init(&ca);
	pt = pt_table_create(f, &ca.ops);
	CHECK(!IS_ERR(pt));
	CHECK_EQ(((uintptr_t)pt->root) & ((1ull << f->root_lg2) - 1), 0);
	CHECK_EQ(pt_map(pt, iova, oa, 1ull << size_lg2, prot), 0);

	/* Table entries on the way down, top first. */
	for (unsigned int l = f->levels - 1; l > level; l--) {
		uint64_t *e = spec_entry(pt, iova, l);
		uint64_t ta;

		CHECK(e);
		ta = spec_table_addr(f, *e);
		CHECK(ta);
		CHECK_EQ(ta & ((1ull << f->table_lg2) - 1), 0);
		if (*e != spec_table_desc(f, l, ta))
			test_fail(__FILE__, __LINE__,
				  "%s level %u table entry %#llx want %#llx",
				  f->name, l, (unsigned long long)*e,
				  (unsigned long long)spec_table_desc(f, l, ta));
	}
	/* The leaf's entries; their neighbours stay empty. */
	first = spec_entry(pt, iova, level);
	CHECK(first);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = spec_leaf_desc(f, level, oa + i * item,
					       size_lg2, prot);

		if (first[i] != want)
			test_fail(__FILE__, __LINE__,
				  "%s level %u size 2^%u prot %#x entry %u: "
				  "%#llx want %#llx",
				  f->name, level, size_lg2, prot, i,
				  (unsigned long long)first[i],
				  (unsigned long long)want);
	}
	if (pt_format_index(f, level, iova) > 0)
		CHECK_EQ(first[-1], 0);
	if (pt_format_index(f, level, iova) + n <
	    (1u << f->lvl[level].index_bits))
		CHECK_EQ(first[n], 0);

	/* The walk agrees. */
	CHECK_EQ(pt_walk(pt, iova + (1ull << size_lg2) - (1ull << f->granule_lg2),
			 &w),
		 0);
	CHECK_EQ(w.level, level);
	CHECK_EQ(w.size_lg2, size_lg2);
	CHECK_EQ(w.leaf_oa, oa);
	CHECK_EQ(w.prot, pt_prot_normalize(f, prot));
	CHECK(!w.dirty);

	/* Dirty encoding: set through the last entry of the run, clean. */
	if (pt_prot_normalize(f, prot) & PT_PROT_WRITE) {
		uint64_t clean = first[n - 1];

		CHECK_EQ(pt_set_dirty(pt, iova + (1ull << size_lg2) - 1), 0);
		CHECK_EQ(first[n - 1], spec_leaf_dirty(f, clean));
		reports = 0;
		CHECK_EQ(pt_read_and_clear_dirty(pt, iova, 1ull << size_lg2, 0,
						 count_report, &reports),
			 0);
		CHECK_EQ(reports, 1);
		CHECK_EQ(report_iova, iova);
		CHECK_EQ(report_size, 1ull << size_lg2);
		CHECK_EQ(first[n - 1], clean);
	}

	CHECK_EQ(pt_unmap(pt, iova, 1ull << size_lg2, &unmapped), 0);
	CHECK_EQ(unmapped, 1ull << size_lg2);
	CHECK_EQ(pt->nr_tables, 1);
	CHECK_EQ(ca.outstanding, 1);
	pt_table_destroy(pt);
	CHECK_EQ(ca.outstanding, 0);
}

TEST(pt_encoding_all_levels)
{
	const struct pt_format *f;
	unsigned int checked = 0;

	for_each_format(f) {
		for (unsigned int l = 0; l < f->levels; l++) {
			uint64_t sizes = f->lvl[l].leaf_sizes;

			while (sizes) {
				unsigned int s = (unsigned int)__builtin_ctzll(
					sizes);

				sizes &= sizes - 1;
				for (size_t p = 0;
				     p < sizeof(prots) / sizeof(prots[0]); p++)
					check_one_leaf(f, l, s, prots[p]);
				checked++;
			}
		}
	}
	printf("  %u (format, level, leaf size) combinations\n", checked);
}
