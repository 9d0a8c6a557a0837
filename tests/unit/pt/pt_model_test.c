/*
 * pt_model_test.c - every format variant against a brute-force reference
 * model (sorted extents iova -> oa, prot) under thousands of random,
 * overlapping map / unmap operations.
 *
 * Operations mix single pages, runs that can use contiguous leaves, ranges
 * aligned for the level-1 and level-2 leaves (2 MiB / 1 GiB and friends),
 * and unaligned slices of those, so maps choose mixed leaf sizes and unmaps
 * split large and contiguous leaves.  Windows sit at input address 0, at the
 * top of the input space and (sign-extended formats) at the top of the upper
 * half.  After every operation: the return value against the model (a map
 * over anything mapped must fail with -EEXIST and change nothing, not even
 * the table count), pt_iova_to_phys / pt_walk / pt_walk_mem on the
 * operation's boundaries and random points, and pt_visit over the touched
 * range; every 64 operations the whole window and __pt_table_sane (no empty
 * table left linked, contiguous leaves whole, table count right).  At the end everything is
 * unmapped, every table but the root must be gone, and destroy must give
 * back every page.  Seeds are fixed per format and printed; PT_SEED and
 * PT_OPS override.
 */
#include "harness.h"
#include "pt_test.h"

#include "util/err.h"

struct window {
	uint64_t base, size;
};

static unsigned int pick_windows(const struct pt_format *f, struct window *w)
{
	uint64_t low_end = fmt_low_end(f); /* 0 = 2^64 */
	uint64_t want = 8ull << 30;
	uint64_t low_size = low_end && low_end < want ? low_end : want;
	unsigned int n = 0;

	w[n++] = (struct window){ 0, low_size };
	if (!low_end || low_end >= 4 * want)
		w[n++] = (struct window){ low_end - want, want };
	if (f->sign_extend)
		w[n++] = (struct window){ 0 - want, want };
	return n;
}

static uint64_t leaf_align(const struct pt_format *f, unsigned int level,
			   uint64_t limit)
{
	uint64_t p = 1ull << f->granule_lg2;

	if (level >= f->levels ||
	    !(f->lvl[level].leaf_sizes & (1ull << f->lvl[level].shift)))
		return p;
	if ((1ull << f->lvl[level].shift) > limit)
		return p;
	return 1ull << f->lvl[level].shift;
}

struct op {
	uint64_t iova, len, oa;
	uint32_t prot;
	bool map;
	bool clear_first; /* unmap the range just before mapping it */
};

static const uint32_t model_prots[] = {
	PT_PROT_READ | PT_PROT_WRITE,
	PT_PROT_READ,
	PT_PROT_WRITE,
	PT_PROT_READ | PT_PROT_EXEC,
	PT_PROT_READ | PT_PROT_WRITE | PT_PROT_CACHE,
};

static void gen_op(const struct pt_format *f, const struct window *w,
		   struct op *op)
{
	uint64_t p = 1ull << f->granule_lg2;
	uint64_t pages = w->size / p;
	uint64_t a1 = leaf_align(f, 1, w->size / 4);
	uint64_t a2 = leaf_align(f, 2, w->size / 4);
	uint64_t r = rnd_below(100), align, len, off;
	bool aligned_oa = rnd_below(4) != 0;

	op->clear_first = false;

	if (r < 45) {
		align = p << rnd_below(6);
		len = (1 + rnd_below(16)) * p;
	} else if (r < 60) {
		/* A leaf size of the format, aligned: every size gets used. */
		uint64_t sizes = f->pgsize_bitmap &
				 (((w->size / 4) << 1) - 1);
		unsigned int k = (unsigned int)rnd_below(
			(uint64_t)__builtin_popcountll(sizes));

		while (k--)
			sizes &= sizes - 1;
		align = 1ull << __builtin_ctzll(sizes);
		len = (1 + rnd_below(3)) * align;
		aligned_oa = true;
		op->clear_first = rnd_below(2);
	} else if (r < 85) {
		align = a1;
		len = (1 + rnd_below(3)) * a1;
		if (rnd_below(2))
			len += rnd_below(4) * p;
	} else {
		align = a2;
		len = (1 + rnd_below(2)) * a2;
		aligned_oa = true;
	}
	if (align > w->size)
		align = p;
	off = rnd_below(w->size / align) * align;
	if (r >= 60 && rnd_below(3) == 0)
		off += rnd_below(4) * p;
	if (off >= w->size)
		off = rnd_below(pages) * p;
	if (len > w->size - off)
		len = w->size - off;
	op->iova = w->base + off;
	op->len = len;
	op->map = rnd_below(2);
	if (!op->map && rnd_below(10) == 0) {
		/* A wide unmap sweeping many mappings. */
		op->len = (1 + rnd_below(w->size / 4 / p)) * p;
		if (op->len > w->size - off)
			op->len = w->size - off;
	}
	/* oa congruent to iova modulo 4 GiB lets large leaves form. */
	if (aligned_oa)
		op->oa = (op->iova & 0xffffffffull) + (rnd_below(64) << 32);
	else
		op->oa = rnd_below(1ull << (38 - f->granule_lg2)) * p;
	op->prot = model_prots[rnd_below(sizeof(model_prots) /
					 sizeof(model_prots[0]))];
}

struct mem_ctx {
	unsigned int reads;
};

static int read_direct(void *ctx, uint64_t table_pa, unsigned int index,
		       uint64_t *pte)
{
	((struct mem_ctx *)ctx)->reads++;
	*pte = __atomic_load_n(&((uint64_t *)(uintptr_t)table_pa)[index],
			       __ATOMIC_ACQUIRE);
	return 0;
}

static void check_point(const struct pt_table *pt, const struct model *m,
			uint64_t iova)
{
	const struct pt_format *f = pt->fmt;
	const struct model_ext *e = model_lookup(m, iova);
	uint64_t got = pt_iova_to_phys(pt, iova);
	struct pt_walk w, wm;
	struct mem_ctx mc = { 0 };
	int ret, retm;

	if (!e) {
		if (got != PT_PHYS_NONE)
			test_fail(__FILE__, __LINE__,
				  "%s: iova %#llx unmapped in model, table "
				  "gives %#llx",
				  f->name, (unsigned long long)iova,
				  (unsigned long long)got);
		return;
	}
	if (got != e->oa + (iova - e->first))
		test_fail(__FILE__, __LINE__,
			  "%s: iova %#llx -> %#llx, model %#llx", f->name,
			  (unsigned long long)iova, (unsigned long long)got,
			  (unsigned long long)(e->oa + (iova - e->first)));
	ret = pt_walk(pt, iova, &w);
	CHECK_EQ(ret, 0);
	CHECK_EQ(w.prot, e->prot);
	CHECK(w.leaf_iova <= iova && iova - w.leaf_iova < (1ull << w.size_lg2));
	CHECK(f->pgsize_bitmap & (1ull << w.size_lg2));
	retm = pt_walk_mem(f, (uintptr_t)pt->root, iova, read_direct, &mc, &wm);
	CHECK_EQ(retm, 0);
	CHECK_EQ(wm.oa, w.oa);
	CHECK_EQ(wm.size_lg2, w.size_lg2);
	CHECK_EQ(mc.reads, f->levels - w.level);
}

static void sample(const struct pt_table *pt, const struct model *m,
		   const struct window *w, const struct op *op)
{
	uint64_t p = 1ull << pt->fmt->granule_lg2;
	uint64_t last = op->iova + op->len - 1;
	uint64_t pts[] = { op->iova - p, op->iova, op->iova + p, last,
			   last - p + 1, last + 1 };

	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		if (pts[i] - w->base < w->size)
			check_point(pt, m, pts[i]);
	for (int i = 0; i < 6; i++)
		check_point(pt, m, w->base + rnd_below(w->size));
	if (m->n) {
		const struct model_ext *e = &m->v[rnd_below(m->n)];

		check_point(pt, m, e->first);
		check_point(pt, m, e->last);
		check_point(pt, m, e->first + rnd_below(e->last - e->first));
	}
}

struct coverage {
	unsigned int leaves[64]; /* leaves seen after maps, by size_lg2 */
	unsigned int partial;	 /* unmaps cutting through a leaf */
};

static int count_leaf(void *ctx, const struct pt_leaf *leaf)
{
	((struct coverage *)ctx)->leaves[leaf->size_lg2]++;
	return 0;
}

/* Does unmapping [iova, last] cut a leaf (forcing a split)? */
static bool cuts_leaf(const struct pt_table *pt, uint64_t iova, uint64_t last)
{
	struct pt_walk w;

	if (!pt_walk(pt, iova, &w) && w.leaf_iova < iova)
		return true;
	if (!pt_walk(pt, last, &w) &&
	    w.leaf_iova + ((1ull << w.size_lg2) - 1) > last)
		return true;
	return false;
}

static void run_model(const char *name, uint64_t seed)
{
	struct coverage cov = { { 0 }, 0 };
	const struct pt_format *f = pt_format_by_name(name);
	const char *s = getenv("PT_SEED"), *o = getenv("PT_OPS");
	unsigned int nops = o ? (unsigned int)strtoul(o, NULL, 0) : 3000;
	struct window win[3];
	unsigned int nw, maps = 0, eexist = 0, unmaps = 0, splits = 0;
	struct count_alloc ca;
	struct pt_table *pt;
	struct model m;

	CHECK(f);
	if (s)
		seed = strtoull(s, NULL, 0);
	printf("  %s: seed %#llx, %u ops\n", name, (unsigned long long)seed,
	       nops);
	rng_seed(seed);
	nw = pick_windows(f, win);
	count_alloc_init(&ca);
	pt = pt_table_create(f, &ca.ops);
	CHECK(!IS_ERR(pt));
	model_init(&m);

	for (unsigned int i = 0; i < nops; i++) {
		const struct window *w = &win[rnd_below(nw)];
		uint64_t last, before = pt->nr_tables, unmapped;
		struct op op;
		int ret;

		gen_op(f, w, &op);
		last = op.iova + op.len - 1;
		if (op.map && op.clear_first) {
			uint64_t want = model_unmap(&m, op.iova, last);

			CHECK_EQ(pt_unmap(pt, op.iova, op.len, &unmapped), 0);
			CHECK_EQ(unmapped, want);
			before = pt->nr_tables;
		}
		if (op.map) {
			bool busy = model_overlaps(&m, op.iova, last);

			ret = pt_map(pt, op.iova, op.oa, op.len, op.prot);
			if (busy) {
				if (ret != -EEXIST)
					test_fail(__FILE__, __LINE__,
						  "%s op %u: map %#llx+%#llx "
						  "over a mapping: %d",
						  name, i,
						  (unsigned long long)op.iova,
						  (unsigned long long)op.len,
						  ret);
				CHECK_EQ(pt->nr_tables, before);
				eexist++;
			} else {
				if (ret)
					test_fail(__FILE__, __LINE__,
						  "%s op %u: map %#llx+%#llx "
						  "oa %#llx: %d",
						  name, i,
						  (unsigned long long)op.iova,
						  (unsigned long long)op.len,
						  (unsigned long long)op.oa,
						  ret);
				model_map(&m, op.iova, last, op.oa,
					  pt_prot_normalize(f, op.prot));
				maps++;
				pt_visit(pt, op.iova, op.len, count_leaf, &cov);
			}
		} else {
			uint64_t want = model_unmap(&m, op.iova, last);

			cov.partial += cuts_leaf(pt, op.iova, last);

			ret = pt_unmap(pt, op.iova, op.len, &unmapped);
			CHECK_EQ(ret, 0);
			if (unmapped != want)
				test_fail(__FILE__, __LINE__,
					  "%s op %u: unmap %#llx+%#llx gave "
					  "%#llx, model %#llx",
					  name, i, (unsigned long long)op.iova,
					  (unsigned long long)op.len,
					  (unsigned long long)unmapped,
					  (unsigned long long)want);
			unmaps++;
			splits += pt->nr_tables > before;
		}
		sample(pt, &m, w, &op);
		{
			uint64_t p = 1ull << f->granule_lg2;
			uint64_t lo = op.iova - w->base >= p ? op.iova - p :
							       op.iova;
			uint64_t hi = w->base + w->size - 1 - last >= p ?
					      last + p :
					      last;

			check_against_model(pt, &m, lo, hi);
		}
		if (i % 64 == 63) {
			CHECK(__pt_table_sane(pt));
			for (unsigned int k = 0; k < nw; k++)
				check_against_model(pt, &m, win[k].base,
						    win[k].base + win[k].size -
							    1);
		}
		CHECK_EQ(ca.outstanding, (long)pt->nr_tables);
	}
	for (unsigned int k = 0; k < nw; k++) {
		uint64_t unmapped;
		uint64_t want = model_bytes(&m, win[k].base,
					    win[k].base + win[k].size - 1);

		CHECK_EQ(pt_unmap(pt, win[k].base, win[k].size, &unmapped), 0);
		CHECK_EQ(unmapped, want);
		model_unmap(&m, win[k].base, win[k].base + win[k].size - 1);
	}
	CHECK_EQ(m.n, 0);
	CHECK_EQ(pt->nr_tables, 1);
	CHECK_EQ(ca.outstanding, 1);
	pt_table_destroy(pt);
	CHECK_EQ(ca.outstanding, 0);
	CHECK_EQ(ca.bytes, 0);
	printf("  %s: %u maps, %u -EEXIST, %u unmaps (%u cutting a leaf, %u "
	       "growing the tree), %ld table pages allocated\n  leaves by "
	       "size:",
	       name, maps, eexist, unmaps, cov.partial, splits, ca.allocs);
	for (unsigned int i = 0; i < 64; i++)
		if (cov.leaves[i])
			printf(" 2^%u:%u", i, cov.leaves[i]);
	printf("\n");
	/* The operations reached every leaf size the window allows. */
	for (unsigned int i = 0; i < 64; i++)
		if ((f->pgsize_bitmap & (1ull << i)) &&
		    (1ull << i) <= win[0].size / 4 && !cov.leaves[i])
			test_fail(__FILE__, __LINE__,
				  "%s: no 2^%u leaf was ever mapped", name, i);
	CHECK(cov.partial > 0);
	model_free(&m);
	check_no_leaks();
}

#define MODEL_TEST(fmt, seed)                \
	TEST_TIMEOUT(pt_model_##fmt, 120) \
	{                                    \
		run_model(#fmt, seed);       \
	}

MODEL_TEST(vtd_ss3, 0x5eed0001)
MODEL_TEST(vtd_ss4, 0x5eed0002)
MODEL_TEST(vtd_ss5, 0x5eed0003)
MODEL_TEST(vtd_fs4, 0x5eed0004)
MODEL_TEST(vtd_fs5, 0x5eed0005)
MODEL_TEST(amdv1_1, 0x5eed0006)
MODEL_TEST(amdv1_2, 0x5eed0007)
MODEL_TEST(amdv1_3, 0x5eed0008)
MODEL_TEST(amdv1_4, 0x5eed0009)
MODEL_TEST(amdv1_5, 0x5eed000a)
MODEL_TEST(amdv1_6, 0x5eed000b)
MODEL_TEST(arm_s1_4k_48, 0x5eed000c)
MODEL_TEST(arm_s1_4k_39, 0x5eed000d)
MODEL_TEST(arm_s1_4k_32, 0x5eed000e)
MODEL_TEST(arm_s1_4k_48_contig, 0x5eed000f)
MODEL_TEST(arm_s1_16k_48, 0x5eed0010)
MODEL_TEST(arm_s1_64k_48, 0x5eed0011)
MODEL_TEST(arm_s2_4k_48, 0x5eed0012)
MODEL_TEST(arm_s2_4k_40, 0x5eed0013)
MODEL_TEST(arm_s2_4k_43, 0x5eed0014)
MODEL_TEST(arm_s2_4k_34, 0x5eed0015)
MODEL_TEST(arm_s2_16k_48, 0x5eed0016)
MODEL_TEST(arm_s2_64k_48, 0x5eed001e)
MODEL_TEST(arm_s2_64k_48_contig, 0x5eed0017)
MODEL_TEST(riscv_sv39, 0x5eed0018)
MODEL_TEST(riscv_sv48, 0x5eed0019)
MODEL_TEST(riscv_sv57, 0x5eed001a)
MODEL_TEST(riscv_sv39x4, 0x5eed001b)
MODEL_TEST(riscv_sv48x4, 0x5eed001c)
MODEL_TEST(riscv_sv57x4, 0x5eed001d)

/* Every built-in variant has a model test above. */
TEST(pt_model_covers_every_format)
{
	static const char *const covered[] = {
		"vtd_ss3", "vtd_ss4", "vtd_ss5", "vtd_fs4", "vtd_fs5",
		"amdv1_1", "amdv1_2", "amdv1_3", "amdv1_4", "amdv1_5",
		"amdv1_6", "arm_s1_4k_48", "arm_s1_4k_39", "arm_s1_4k_32",
		"arm_s1_4k_48_contig", "arm_s1_16k_48", "arm_s1_64k_48",
		"arm_s2_4k_48", "arm_s2_4k_40", "arm_s2_4k_43", "arm_s2_4k_34",
		"arm_s2_16k_48", "arm_s2_64k_48", "arm_s2_64k_48_contig",
		"riscv_sv39",
		"riscv_sv48", "riscv_sv57", "riscv_sv39x4", "riscv_sv48x4",
		"riscv_sv57x4",
	};
	const struct pt_format *f;

	for_each_format(f) {
		bool found = false;

		for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]);
		     i++)
			found |= !strcmp(covered[i], f->name);
		if (!found)
			test_fail(__FILE__, __LINE__, "%s has no model test",
				  f->name);
	}
}
