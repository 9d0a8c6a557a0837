/*
 * pt_dirty_test.c - dirty tracking in every format: pt_set_dirty as the
 * translation engine uses it (the format's own dirty encoding checked raw),
 * read-and-clear with and without PT_DIRTY_NO_CLEAR, leaves reported whole,
 * dirty state kept across a split and a collapse, and collapse itself.
 */
#include "harness.h"
#include "pt_test.h"

#include "util/err.h"

struct report {
	uint64_t iova, size;
};

struct reports {
	struct report r[64];
	unsigned int n, total;
};

static void record(void *ctx, uint64_t iova, uint64_t size)
{
	struct reports *rs = ctx;

	if (rs->n < 64)
		rs->r[rs->n++] = (struct report){ iova, size };
	rs->total++;
}

static struct reports read_dirty(struct pt_table *pt, uint64_t iova,
				 uint64_t len, uint32_t flags)
{
	struct reports rs = { .n = 0 };

	CHECK_EQ(pt_read_and_clear_dirty(pt, iova, len, flags, record, &rs),
		 0);
	return rs;
}

/* The smallest contiguous leaf at level 0, or 0. */
static unsigned int contig_lg2(const struct pt_format *f)
{
	uint64_t s = f->lvl[0].leaf_sizes & ~(1ull << f->lvl[0].shift);

	return s ? (unsigned int)__builtin_ctzll(s) : 0;
}

TEST(pt_dirty_set_read_clear)
{
	const struct pt_format *f;

	for_each_format(f) {
		const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;
		uint64_t p = 1ull << f->granule_lg2;
		unsigned int l1 = f->levels > 1 ? f->lvl[1].shift : 0;
		unsigned int c = contig_lg2(f);
		uint64_t s1 = l1 ? 1ull << l1 : 0;
		/* A: one page; B: a level-1 leaf; C: a contiguous leaf; D:
		   a read-only page. */
		uint64_t a = 4 * p, d = 6 * p, cc = c ? 1ull << c : 0;
		uint64_t b = s1 ? 2 * s1 : 0, space = fmt_low_end(f);
		uint64_t *ea, *eb = NULL, *ec = NULL, ca_clean, cb_clean = 0,
			      cc_clean = 0;
		struct count_alloc ca;
		struct pt_table *pt;
		struct reports rs;
		unsigned int want;

		if (!space || space > (64ull << 30))
			space = 64ull << 30;
		if (!(f->lvl[1 % f->levels].leaf_sizes & s1) || 4 * s1 > space)
			b = 0;
		count_alloc_init(&ca);
		pt = pt_table_create(f, &ca.ops);
		CHECK(!IS_ERR(pt));
		CHECK_EQ(pt_map(pt, a, 0x10000000, p, rw), 0);
		CHECK_EQ(pt_map(pt, d, 0x20000000, p, PT_PROT_READ), 0);
		if (b)
			CHECK_EQ(pt_map(pt, b, 0x40000000ull << 4, s1, rw), 0);
		if (c)
			CHECK_EQ(pt_map(pt, 8 * cc, 0x50000000, cc, rw), 0);
		ea = spec_entry(pt, a, 0);
		ca_clean = *ea;
		CHECK_EQ(ca_clean, spec_leaf_desc(f, 0, 0x10000000,
						  f->granule_lg2, rw));
		if (b) {
			eb = spec_entry(pt, b + 5 * p, 1);
			cb_clean = *eb;
		}
		if (c) {
			ec = spec_entry(pt, 8 * cc + p, 0);
			cc_clean = *ec;
		}

		/* Clean after map: nothing to report. */
		rs = read_dirty(pt, 0, space, 0);
		CHECK_EQ(rs.total, 0);

		/* The engine's writes. */
		CHECK_EQ(pt_set_dirty(pt, a + 8), 0);
		CHECK_EQ(pt_set_dirty(pt, a + 16), 0); /* already dirty */
		CHECK_EQ(*ea, spec_leaf_dirty(f, ca_clean));
		CHECK_EQ(pt_set_dirty(pt, d), -EPERM);
		CHECK_EQ(pt_set_dirty(pt, 5 * p), -ENOENT);
		if (fmt_low_end(f))
			CHECK_EQ(pt_set_dirty(pt, fmt_low_end(f)), -ERANGE);
		if (b) {
			CHECK_EQ(pt_set_dirty(pt, b + 5 * p), 0);
			CHECK_EQ(*eb, spec_leaf_dirty(f, cb_clean));
		}
		if (c) {
			CHECK_EQ(pt_set_dirty(pt, 8 * cc + p), 0);
			CHECK_EQ(*ec, spec_leaf_dirty(f, cc_clean));
		}
		want = 1 + !!b + !!c;

		/* NO_CLEAR reports and keeps the bits, twice. */
		for (int i = 0; i < 2; i++) {
			rs = read_dirty(pt, 0, space, PT_DIRTY_NO_CLEAR);
			CHECK_EQ(rs.total, want);
			CHECK_EQ(rs.r[0].iova, a);
			CHECK_EQ(rs.r[0].size, p);
			CHECK_EQ(*ea, spec_leaf_dirty(f, ca_clean));
		}
		if (c) {
			CHECK_EQ(rs.r[1].iova, 8 * cc);
			CHECK_EQ(rs.r[1].size, cc);
		}
		if (b) {
			CHECK_EQ(rs.r[want - 1].iova, b);
			CHECK_EQ(rs.r[want - 1].size, s1);
			/* A range inside a leaf reports the whole leaf. */
			rs = read_dirty(pt, b + p, p, PT_DIRTY_NO_CLEAR);
			CHECK_EQ(rs.total, 1);
			CHECK_EQ(rs.r[0].iova, b);
			CHECK_EQ(rs.r[0].size, s1);
		}

		/* Clearing read: same reports, then nothing; raw clean. */
		rs = read_dirty(pt, 0, space, 0);
		CHECK_EQ(rs.total, want);
		rs = read_dirty(pt, 0, space, 0);
		CHECK_EQ(rs.total, 0);
		CHECK_EQ(*ea, ca_clean);
		if (b)
			CHECK_EQ(*eb, cb_clean);
		if (c) {
			unsigned int n = 1u << (c - f->lvl[0].shift);
			uint64_t *first = spec_entry(pt, 8 * cc, 0);

			CHECK_EQ(*ec, cc_clean);
			for (unsigned int i = 0; i < n; i++)
				CHECK_EQ(first[i],
					 spec_leaf_desc(f, 0,
							0x50000000 + i * p, c,
							rw));
		}

		/* A split keeps the dirty state on every piece. */
		if (b) {
			uint64_t u;
			unsigned int pieces = 1u << (l1 - f->lvl[0].shift);

			CHECK_EQ(pt_set_dirty(pt, b), 0);
			CHECK_EQ(pt_unmap(pt, b + s1 - p, p, &u), 0);
			CHECK_EQ(u, p);
			rs = read_dirty(pt, b, s1, 0);
			CHECK_EQ(rs.total, pieces - 1);
			CHECK_EQ(rs.r[0].iova, b);
			CHECK_EQ(rs.r[0].size, p);
			rs = read_dirty(pt, b, s1, 0);
			CHECK_EQ(rs.total, 0);
		}
		pt_table_destroy(pt);
		CHECK_EQ(ca.outstanding, 0);
	}
}

/*
 * Collapse: a level-1 item mapped page by page with one continuous output
 * range becomes one level-1 leaf (dirty if any page was); a mismatch in
 * prot or output address blocks it.
 */
TEST(pt_collapse_tables)
{
	const struct pt_format *f;
	unsigned int tested = 0;

	for_each_format(f) {
		const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;
		uint64_t p = 1ull << f->granule_lg2, s1, base, oa, u;
		struct count_alloc ca;
		struct pt_table *pt;
		struct pt_walk w;
		struct reports rs;
		unsigned int n;

		if (f->levels < 2 ||
		    !(f->lvl[1].leaf_sizes & (1ull << f->lvl[1].shift)))
			continue;
		s1 = 1ull << f->lvl[1].shift;
		if (fmt_low_end(f) && 4 * s1 > fmt_low_end(f))
			continue;
		n = (unsigned int)(s1 / p);
		base = 2 * s1;
		oa = 7 * s1;
		count_alloc_init(&ca);
		pt = pt_table_create(f, &ca.ops);
		CHECK(!IS_ERR(pt));
		/* Page by page, backwards so no larger leaf can form. */
		for (unsigned int i = n; i-- > 0;)
			CHECK_EQ(pt_map(pt, base + i * p, oa + i * p, p,
					i == 3 ? PT_PROT_READ : rw),
				 0);
		CHECK_EQ(pt_collapse(pt, 0, 4 * s1), 0); /* prot differs */
		CHECK_EQ(pt_unmap(pt, base + 3 * p, p, &u), 0);
		CHECK_EQ(pt_collapse(pt, 0, 4 * s1), 0); /* hole */
		CHECK_EQ(pt_map(pt, base + 3 * p, oa + 3 * p, p, rw), 0);
		CHECK_EQ(pt_set_dirty(pt, base + 9 * p), 0);
		CHECK_EQ(pt_collapse(pt, base, s1 / 2), 0); /* not whole */
		CHECK_EQ(pt->nr_tables, f->levels);
		CHECK_EQ(pt_collapse(pt, 0, 4 * s1), 1);
		CHECK_EQ(pt->nr_tables, f->levels - 1);
		CHECK_EQ(ca.outstanding, (long)pt->nr_tables);
		CHECK(__pt_table_sane(pt));
		CHECK_EQ(pt_walk(pt, base + 5 * p, &w), 0);
		CHECK_EQ(w.level, 1);
		CHECK_EQ(w.oa, oa + 5 * p);
		CHECK_EQ(w.prot, pt_prot_normalize(f, rw));
		CHECK(w.dirty);
		CHECK_EQ(*spec_entry(pt, base, 1),
			 spec_leaf_dirty(f, spec_leaf_desc(f, 1, oa,
							   f->lvl[1].shift,
							   rw)));
		rs = read_dirty(pt, base, s1, 0);
		CHECK_EQ(rs.total, 1);
		CHECK_EQ(rs.r[0].size, s1);
		/* An output range that is not aligned for the leaf stays. */
		CHECK_EQ(pt_unmap(pt, base, s1, &u), 0);
		CHECK_EQ(u, s1);
		for (unsigned int i = n; i-- > 0;)
			CHECK_EQ(pt_map(pt, base + i * p, oa + p + i * p, p, rw),
				 0);
		CHECK_EQ(pt_collapse(pt, 0, 4 * s1), 0);
		pt_table_destroy(pt);
		CHECK_EQ(ca.outstanding, 0);
		tested++;
	}
	CHECK(tested > 20);
}

/*
 * Collapse two levels at once: a level-2 item (1 GiB with 4 KiB pages)
 * mapped as level-1 leaves of which one is a table of pages.
 */
TEST(pt_collapse_two_levels)
{
	const struct pt_format *f = pt_format_by_name("vtd_ss4");
	const uint32_t rw = PT_PROT_READ | PT_PROT_WRITE;
	uint64_t g = 1ull << 30, m = 1ull << 21, p = 4096;
	struct pt_table *pt = pt_table_create(f, NULL);
	struct pt_walk w;

	CHECK(!IS_ERR(pt));
	for (unsigned int i = 512; i-- > 1;)
		CHECK_EQ(pt_map(pt, g + i * m, 4 * g + i * m, m, rw), 0);
	for (unsigned int i = 512; i-- > 0;)
		CHECK_EQ(pt_map(pt, g + i * p, 4 * g + i * p, p, rw), 0);
	CHECK_EQ(pt->nr_tables, 4); /* root, level 2, level 1, level 0 */
	CHECK_EQ(pt_collapse(pt, g, g), 2);
	CHECK_EQ(pt->nr_tables, 2);
	CHECK_EQ(pt_walk(pt, g + 12345, &w), 0);
	CHECK_EQ(w.level, 2);
	CHECK_EQ(w.oa, 4 * g + 12345);
	pt_table_destroy(pt);
}
