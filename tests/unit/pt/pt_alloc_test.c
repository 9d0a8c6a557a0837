/*
 * pt_alloc_test.c - table memory in every format: each allocation a map
 * makes is failed in turn and the map must return -ENOMEM with the table
 * exactly as before (mappings, table count, pages held); a split that
 * cannot allocate fails cleanly and reports what it did; create fails
 * cleanly; destroy of a populated table gives every page back.
 */
#include "harness.h"
#include "pt_test.h"

#include "util/err.h"

TEST(pt_create_enomem)
{
	const struct pt_format *f;

	for_each_format(f) {
		struct count_alloc ca;
		struct pt_table *pt;

		count_alloc_init(&ca);
		ca.fail_countdown = 1;
		pt = pt_table_create(f, &ca.ops);
		CHECK(IS_ERR(pt));
		CHECK_EQ(PTR_ERR(pt), -ENOMEM);
		CHECK_EQ(ca.outstanding, 0);
	}
	CHECK(IS_ERR(pt_table_create(NULL, NULL)));
}

TEST(pt_map_enomem_sweep)
{
	const struct pt_format *f;
	unsigned int failures = 0;

	for_each_format(f) {
		const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;
		uint64_t p = 1ull << f->granule_lg2;
		unsigned int top = f->levels - 1;
		/* Straddle a boundary of the top level's items (or the
		   middle of a one-level table) with pages of a misaligned
		   oa: new tables are needed on both sides at every level. */
		uint64_t item = top ? 1ull << f->lvl[top].shift :
				      1ull << (f->ias_lg2 - 1);
		uint64_t iova = item - 3 * p, len = 6 * p, oa = p;
		struct count_alloc ca;
		struct pt_table *pt;
		struct model m;
		long k;

		if (fmt_low_end(f) && item + 3 * p > fmt_low_end(f)) {
			item >>= 1;
			iova = item - 3 * p;
		}
		count_alloc_init(&ca);
		pt = pt_table_create(f, &ca.ops);
		CHECK(!IS_ERR(pt));
		model_init(&m);
		/* Something already there, sharing the upper tables. */
		CHECK_EQ(pt_map(pt, iova - 8 * p, 0x7000 * p, p, rw), 0);
		model_map(&m, iova - 8 * p, iova - 7 * p - 1, 0x7000 * p,
			  pt_prot_normalize(f, rw));

		for (k = 1;; k++) {
			uint64_t tables = pt->nr_tables;
			long held = ca.outstanding;
			int ret;

			ca.fail_countdown = k;
			ret = pt_map(pt, iova, oa, len, rw);
			ca.fail_countdown = 0;
			if (ret == 0)
				break;
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(pt->nr_tables, tables);
			CHECK_EQ(ca.outstanding, held);
			check_against_model(pt, &m, iova - 16 * p,
					    iova + len + 16 * p - 1);
			failures++;
		}
		model_map(&m, iova, iova + len - 1, oa,
			  pt_prot_normalize(f, rw));
		check_against_model(pt, &m, iova - 16 * p,
				    iova + len + 16 * p - 1);
		if (top)
			CHECK(k > 1);
		pt_table_destroy(pt);
		CHECK_EQ(ca.outstanding, 0);
		model_free(&m);
	}
	printf("  %u failed allocations rolled back\n", failures);
}

TEST(pt_split_enomem)
{
	const struct pt_format *f;

	for_each_format(f) {
		const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;
		uint64_t p = 1ull << f->granule_lg2, s, base, u;
		unsigned int l = 0;
		struct count_alloc ca;
		struct pt_table *pt;
		struct model m;

		/* The largest natural leaf with room for two of them. */
		for (unsigned int i = 1; i < f->levels; i++)
			if ((f->lvl[i].leaf_sizes & (1ull << f->lvl[i].shift)) &&
			    (!fmt_low_end(f) ||
			     (4ull << f->lvl[i].shift) <= fmt_low_end(f)) &&
			    f->lvl[i].shift + 2 < f->oas_lg2 &&
			    f->lvl[i].shift <= 40)
				l = i;
		if (!l)
			continue;
		s = 1ull << f->lvl[l].shift;
		base = s;
		count_alloc_init(&ca);
		pt = pt_table_create(f, &ca.ops);
		CHECK(!IS_ERR(pt));
		model_init(&m);
		CHECK_EQ(pt_map(pt, base, 2 * s, 2 * s, rw), 0);
		model_map(&m, base, base + 2 * s - 1, 2 * s,
			  pt_prot_normalize(f, rw));

		/* A range that removes the first leaf whole, then fails in
		   the second: the first is gone and reported. */
		ca.fail_countdown = 1;
		CHECK_EQ(pt_unmap(pt, base, s + p, &u), -ENOMEM);
		ca.fail_countdown = 0;
		CHECK_EQ(u, s);
		model_unmap(&m, base, base + s - 1);
		check_against_model(pt, &m, 0, 4 * s - 1);
		/* Cutting into the second leaf needs l tables.  Fail the
		   first: nothing changes.  Then let one split through per
		   call: each keeps its table (same translations) and the
		   next fails. */
		for (long k = 0; k < (long)l; k++) {
			long held = ca.outstanding;

			ca.fail_countdown = k ? 2 : 1;
			CHECK_EQ(pt_unmap(pt, base + s + p, p, &u), -ENOMEM);
			ca.fail_countdown = 0;
			CHECK_EQ(u, 0);
			CHECK_EQ(ca.outstanding, held + (k ? 1 : 0));
			check_against_model(pt, &m, 0, 4 * s - 1);
		}
		ca.fail_countdown = 2; /* the last level needs one table */
		CHECK_EQ(pt_unmap(pt, base + s + p, p, &u), 0);
		ca.fail_countdown = 0;
		CHECK_EQ(u, p);
		model_unmap(&m, base + s + p, base + s + 2 * p - 1);
		check_against_model(pt, &m, 0, 4 * s - 1);
		/* And without failures it completes. */
		CHECK_EQ(pt_unmap(pt, base, s + s / 2, &u), 0);
		CHECK_EQ(u, s / 2 - p);
		model_unmap(&m, base, base + s + s / 2 - 1);
		check_against_model(pt, &m, 0, 4 * s - 1);
		pt_table_destroy(pt);
		CHECK_EQ(ca.outstanding, 0);
		model_free(&m);
	}
}

TEST(pt_destroy_frees_everything)
{
	const struct pt_format *f;

	rng_seed(0xde57);
	for_each_format(f) {
		uint64_t p = 1ull << f->granule_lg2;
		uint64_t space = fmt_low_end(f);
		struct count_alloc ca;
		struct pt_table *pt;

		if (!space || space > (1ull << 40))
			space = 1ull << 40;
		count_alloc_init(&ca);
		pt = pt_table_create(f, &ca.ops);
		CHECK(!IS_ERR(pt));
		for (int i = 0; i < 200; i++) {
			uint64_t iova = rnd_below(space / p - 64) * p;

			pt_map(pt, iova, iova & 0xffffffffffull,
			       (1 + rnd_below(40)) * p, PT_PROT_READ);
		}
		if (f->sign_extend)
			CHECK_EQ(pt_map(pt, 0 - p, 0, p, PT_PROT_READ), 0);
		CHECK(pt->nr_tables > 1 || f->levels == 1);
		CHECK_EQ(ca.outstanding, (long)pt->nr_tables);
		pt_table_destroy(pt);
		CHECK_EQ(ca.outstanding, 0);
		CHECK_EQ(ca.bytes, 0);
	}
	check_no_leaks();
}
