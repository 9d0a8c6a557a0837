/*
 * pt_boundary_test.c - every format variant at its edges: argument checks,
 * input address 0, the last page of the input space (and, for
 * sign-extended formats, both ends of the upper half and the hole between),
 * leaves meeting at 2 MiB / 1 GiB (and each format's own large sizes), and
 * a partial unmap that splits the largest leaf in two levels of tables.
 */
#include "harness.h"
#include "pt_test.h"

#include "util/err.h"

static struct pt_table *new_table(const struct pt_format *f,
				  struct count_alloc *ca)
{
	struct pt_table *pt;

	count_alloc_init(ca);
	pt = pt_table_create(f, &ca->ops);
	CHECK(!IS_ERR(pt));
	return pt;
}

static void end_table(struct pt_table *pt, struct count_alloc *ca)
{
	pt_table_destroy(pt);
	CHECK_EQ(ca->outstanding, 0);
}

static void nop_dirty(void *ctx, uint64_t iova, uint64_t size)
{
}

TEST(pt_bad_arguments)
{
	const struct pt_format *f;

	for_each_format(f) {
		uint64_t p = 1ull << f->granule_lg2, u;
		struct count_alloc ca;
		struct pt_table *pt = new_table(f, &ca);
		const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;

		CHECK_EQ(pt_map(pt, 0, 0, 0, rw), -EINVAL);
		CHECK_EQ(pt_map(pt, p / 2, 0, p, rw), -EINVAL);
		CHECK_EQ(pt_map(pt, 0, p / 2, p, rw), -EINVAL);
		CHECK_EQ(pt_map(pt, 0, 0, p + p / 2, rw), -EINVAL);
		CHECK_EQ(pt_map(pt, 0, 0, p, 0), -EINVAL);
		CHECK_EQ(pt_map(pt, 0, 0, p, PT_PROT_EXEC), -EINVAL);
		CHECK_EQ(pt_map(pt, 0 - p, 0, 2 * p, rw), -EINVAL); /* wraps */
		CHECK_EQ(pt_map(pt, 0, (1ull << f->oas_lg2) - p, 2 * p, rw),
			 -EINVAL); /* output too wide */
		CHECK_EQ(pt_map(pt, 0, 0 - p, 2 * p, rw), -EINVAL);
		CHECK_EQ(pt_unmap(pt, p / 2, p, &u), -EINVAL);
		CHECK_EQ(pt_unmap(pt, 0, 0, &u), -EINVAL);
		CHECK_EQ(pt_read_and_clear_dirty(pt, 0, p, 2, nop_dirty, NULL),
			 -EINVAL);
		CHECK_EQ(pt_collapse(pt, p / 2, p), -EINVAL);
		/* Nothing mapped: unmap finds nothing, walk faults. */
		CHECK_EQ(pt_unmap(pt, 0, p, &u), 0);
		CHECK_EQ(u, 0);
		CHECK_EQ(pt_iova_to_phys(pt, 0), PT_PHYS_NONE);
		CHECK_EQ(pt->nr_tables, 1);
		end_table(pt, &ca);
	}
}

/* Map one page at @iova, check it and its neighbours, unmap it. */
static void one_page(struct pt_table *pt, uint64_t iova, uint64_t oa)
{
	uint64_t p = 1ull << pt->fmt->granule_lg2, u;
	struct pt_walk w;

	CHECK_EQ(pt_map(pt, iova, oa, p, PT_PROT_READ), 0);
	CHECK_EQ(pt_iova_to_phys(pt, iova), oa);
	CHECK_EQ(pt_iova_to_phys(pt, iova + p - 1), oa + p - 1);
	CHECK_EQ(pt_walk(pt, iova, &w), 0);
	CHECK_EQ(w.level, 0);
	CHECK_EQ(w.size_lg2, pt->fmt->granule_lg2);
	if (pt_format_iova_ok(pt->fmt, iova - 1))
		CHECK_EQ(pt_iova_to_phys(pt, iova - 1), PT_PHYS_NONE);
	if (pt_format_iova_ok(pt->fmt, iova + p))
		CHECK_EQ(pt_iova_to_phys(pt, iova + p), PT_PHYS_NONE);
	/* Mapped twice: -EEXIST, also for a range that only overlaps. */
	CHECK_EQ(pt_map(pt, iova, oa, p, PT_PROT_READ), -EEXIST);
	if (iova >= p && pt_format_iova_ok(pt->fmt, iova - p))
		CHECK_EQ(pt_map(pt, iova - p, oa, 2 * p, PT_PROT_READ),
			 -EEXIST);
	CHECK_EQ(pt_unmap(pt, iova, p, &u), 0);
	CHECK_EQ(u, p);
	CHECK_EQ(pt->nr_tables, 1);
}

TEST(pt_address_zero_and_top)
{
	const struct pt_format *f;

	for_each_format(f) {
		uint64_t p = 1ull << f->granule_lg2, low_end = fmt_low_end(f);
		struct count_alloc ca;
		struct pt_table *pt = new_table(f, &ca);
		struct pt_walk w;
		uint64_t u;

		one_page(pt, 0, 0);
		one_page(pt, 0, 0x1234ull << f->granule_lg2);
		/* The last page of the lower (or only) range. */
		one_page(pt, low_end - p, 0x777ull << f->granule_lg2);
		if (low_end) {
			/* One past the top: address-size fault, -EINVAL. */
			CHECK_EQ(pt_walk(pt, low_end, &w), -ERANGE);
			CHECK_EQ(pt_iova_to_phys(pt, low_end), PT_PHYS_NONE);
			CHECK_EQ(pt_map(pt, low_end, 0, p, PT_PROT_READ),
				 -EINVAL);
			CHECK_EQ(pt_map(pt, low_end - p, 0, 2 * p,
					PT_PROT_READ),
				 -EINVAL);
			CHECK_EQ(pt_unmap(pt, low_end - p, 2 * p, &u), -EINVAL);
			CHECK_EQ(pt_walk(pt, UINT64_MAX - (f->sign_extend ?
								  low_end :
								  0),
					 &w),
				 -ERANGE);
		}
		if (f->sign_extend) {
			uint64_t hi_first = 0 - low_end; /* lowest canonical
							    upper address */

			one_page(pt, hi_first, 0x999ull << f->granule_lg2);
			one_page(pt, 0 - p, 0xabcull << f->granule_lg2);
			CHECK_EQ(pt_walk(pt, hi_first - 1, &w), -ERANGE);
			/* Spanning the hole is refused. */
			CHECK_EQ(pt_map(pt, low_end - p, 0, hi_first - low_end +
								   2 * p,
					PT_PROT_READ),
				 -EINVAL);
			/* Both ends at once: distinct, no aliasing. */
			CHECK_EQ(pt_map(pt, low_end - p, 0, p, PT_PROT_READ),
				 0);
			CHECK_EQ(pt_map(pt, hi_first, p, p, PT_PROT_READ), 0);
			CHECK_EQ(pt_iova_to_phys(pt, low_end - p), 0);
			CHECK_EQ(pt_iova_to_phys(pt, hi_first), p);
			CHECK_EQ(pt_unmap(pt, 0 - low_end, low_end, &u), 0);
			CHECK_EQ(u, p);
			CHECK_EQ(pt_unmap(pt, 0, low_end, &u), 0);
			CHECK_EQ(u, p);
		} else if (!low_end) {
			/* A 64-bit space: the range may end at 2^64. */
			CHECK_EQ(pt_map(pt, 0 - 4 * p, 0, 4 * p, PT_PROT_READ),
				 0);
			CHECK_EQ(pt_iova_to_phys(pt, UINT64_MAX), 4 * p - 1);
			CHECK_EQ(pt_unmap(pt, 0 - 8 * p, 8 * p, &u), 0);
			CHECK_EQ(u, 4 * p);
		}
		CHECK_EQ(pt->nr_tables, 1);
		end_table(pt, &ca);
	}
}

/*
 * For each level with natural leaves of size S (2 MiB, 1 GiB, ... or the
 * granule's equivalents) that fits the space: map [base - p, base + S + p)
 * with oa congruent modulo S, expect page + S leaf + page; then cut one
 * page out of the middle of the S leaf and check the split against the
 * model, the new tables, and that everything goes again.
 */
TEST(pt_leaf_boundaries_and_split)
{
	const struct pt_format *f;
	unsigned int tested = 0;

	for_each_format(f) {
		uint64_t p = 1ull << f->granule_lg2;
		uint64_t space = fmt_low_end(f) ? fmt_low_end(f) : UINT64_MAX;

		for (unsigned int l = 1; l < f->levels; l++) {
			unsigned int s_lg2 = f->lvl[l].shift;
			uint64_t s = 1ull << s_lg2, base, oa, u, tables;
			struct count_alloc ca;
			struct pt_table *pt;
			struct pt_walk w;
			struct model m;

			if (!(f->lvl[l].leaf_sizes & s) || s > space / 4 ||
			    s_lg2 + 3 > f->oas_lg2)
				continue;
			tested++;
			base = 2 * s;
			oa = 3 * s; /* oa - p is mapped at base - p */
			pt = new_table(f, &ca);
			model_init(&m);
			CHECK_EQ(pt_map(pt, base - p, oa - p, s + 2 * p,
					PT_PROT_READ | PT_PROT_WRITE),
				 0);
			model_map(&m, base - p, base + s + p - 1, oa - p,
				  PT_PROT_READ | PT_PROT_WRITE);
			CHECK_EQ(pt_walk(pt, base - p, &w), 0);
			CHECK_EQ(w.size_lg2, f->granule_lg2);
			CHECK_EQ(w.oa, oa - p);
			CHECK_EQ(pt_walk(pt, base, &w), 0);
			CHECK_EQ(w.level, l);
			CHECK_EQ(w.size_lg2, s_lg2);
			CHECK_EQ(pt_walk(pt, base + s - 1, &w), 0);
			CHECK_EQ(w.level, l);
			CHECK_EQ(w.oa, oa + s - 1);
			CHECK_EQ(pt_walk(pt, base + s, &w), 0);
			CHECK_EQ(w.size_lg2, f->granule_lg2);
			CHECK_EQ(w.oa, oa + s);
			check_against_model(pt, &m, 0, 4 * s - 1);

			/* Split: one page out of the middle. */
			tables = pt->nr_tables;
			CHECK_EQ(pt_unmap(pt, base + s / 2, p, &u), 0);
			CHECK_EQ(u, p);
			model_unmap(&m, base + s / 2, base + s / 2 + p - 1);
			CHECK_EQ(pt->nr_tables, tables + l);
			CHECK_EQ(pt_iova_to_phys(pt, base + s / 2),
				 PT_PHYS_NONE);
			CHECK_EQ(pt_iova_to_phys(pt, base + s / 2 + p),
				 oa + s / 2 + p);
			CHECK_EQ(pt_walk(pt, base, &w), 0);
			CHECK_EQ(w.level, l - 1);
			check_against_model(pt, &m, 0, 4 * s - 1);
			CHECK(__pt_table_sane(pt));

			/* Everything else goes and takes the tables along. */
			CHECK_EQ(pt_unmap(pt, 0, 4 * s, &u), 0);
			CHECK_EQ(u, s + 2 * p - p);
			CHECK_EQ(pt->nr_tables, 1);
			CHECK_EQ(ca.outstanding, 1);
			model_free(&m);
			end_table(pt, &ca);
		}
	}
	printf("  %u (format, leaf level) pairs\n", tested);
}

/* A contiguous leaf cut in the middle becomes single entries. */
TEST(pt_contiguous_split)
{
	const struct pt_format *f;
	unsigned int tested = 0;

	for_each_format(f) {
		/* The smallest contiguous size of at least 4 entries. */
		uint64_t sizes = f->lvl[0].leaf_sizes &
				 ~((1ull << (f->lvl[0].shift + 2)) - 1);
		uint64_t p = 1ull << f->granule_lg2;
		unsigned int c_lg2;
		uint64_t c, base, u;
		struct count_alloc ca;
		struct pt_table *pt;
		struct pt_walk w;
		struct model m;

		if (!sizes)
			continue;
		c_lg2 = (unsigned int)__builtin_ctzll(sizes);
		c = 1ull << c_lg2;
		if (fmt_low_end(f) && c * 4 > fmt_low_end(f))
			continue;
		base = c;
		pt = new_table(f, &ca);
		model_init(&m);
		CHECK_EQ(pt_map(pt, base, 5 * c, c, PT_PROT_READ), 0);
		model_map(&m, base, base + c - 1, 5 * c, PT_PROT_READ);
		CHECK_EQ(pt_walk(pt, base + p, &w), 0);
		CHECK_EQ(w.size_lg2, c_lg2);
		CHECK_EQ(w.leaf_iova, base);
		CHECK_EQ(pt_unmap(pt, base + 2 * p, p, &u), 0);
		CHECK_EQ(u, p);
		model_unmap(&m, base + 2 * p, base + 3 * p - 1);
		CHECK_EQ(pt_walk(pt, base + p, &w), 0);
		CHECK_EQ(w.size_lg2, f->granule_lg2);
		CHECK_EQ(w.oa, 5 * c + p);
		CHECK_EQ(pt_walk(pt, base + c - p, &w), 0);
		CHECK_EQ(w.oa, 6 * c - p);
		check_against_model(pt, &m, 0, 4 * c - 1);
		CHECK_EQ(pt_unmap(pt, 0, 4 * c, &u), 0);
		CHECK_EQ(u, c - p);
		model_free(&m);
		end_table(pt, &ca);
		tested++;
	}
	CHECK(tested >= 8); /* amdv1_* and the _contig variants */
}
