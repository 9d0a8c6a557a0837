/*
 * interval_tree_test.c - the interval tree against brute force.
 *
 * A model keeps the live intervals in an array (with an insertion sequence
 * number, so ties in start have a defined order).  After every random insert
 * or remove the tree's red-black and augmentation invariants are checked and
 * random queries are compared with references:
 *   - overlap iteration: a linear scan of the model, sorted by (start, seq);
 *   - span iteration and find_hole: per-point brute force over a window of
 *     4096 consecutive values (at 0 and at the top of u64), and a sort-and-
 *     merge sweep for a window scaled over the whole of u64.
 * Trees are built both with overlapping nodes and with disjoint ones (for
 * which __subtree_gap must be exact).  Seeds are fixed and printed.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/compiler.h"
#include "util/interval_tree.h"

#define U 4096u

struct ival {
	struct interval_tree_node node;
	uint64_t seq;
	bool live;
};

struct model {
	struct interval_tree_root root;
	struct ival *iv;
	unsigned int cap, nlive;
	uint64_t seq;
	/* window: values base + x * scale (+ jitter), x in [0, U) */
	uint64_t base, scale;
	bool disjoint;		/* only insert intervals overlapping nothing */
	uint64_t rng;
	/* coverage, printed at the end */
	uint64_t live_sum, iter_hits, spans, holes_found, holes_none;
};

static uint64_t rnd(struct model *m)
{
	/* splitmix64 */
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct model *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

static void model_init(struct model *m, unsigned int cap, uint64_t base,
		       uint64_t scale, bool disjoint, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	m->root = (struct interval_tree_root)INTERVAL_TREE_ROOT_INIT;
	m->iv = calloc(cap, sizeof(*m->iv));
	CHECK(m->iv);
	m->cap = cap;
	m->base = base;
	m->scale = scale;
	m->disjoint = disjoint;
	m->rng = seed;
	printf("  seed 0x%" PRIx64 " base 0x%" PRIx64 " scale 0x%" PRIx64
	       " %s\n", seed, base, scale, disjoint ? "disjoint" : "overlapping");
}

static void model_free(struct model *m)
{
	free(m->iv);
}

/* Real value of window coordinate x, pushed by up to 3 (inside scale). */
static uint64_t win_lo(struct model *m, uint64_t x)
{
	uint64_t j = m->scale > 4 && rnd_below(m, 4) == 0 ? rnd_below(m, 3) : 0;

	return m->base + x * m->scale + j;
}

static uint64_t win_hi(struct model *m, uint64_t x)
{
	uint64_t j = m->scale > 4 && rnd_below(m, 4) == 0 ? rnd_below(m, 3) : 0;

	return m->base + x * m->scale + (m->scale - 1) - j;
}

/* Random window range [*a, *b] in coordinates, biased to touch the edges. */
static void rnd_coord_range(struct model *m, uint64_t *a, uint64_t *b,
			    unsigned int maxlen)
{
	uint64_t len = 1 + rnd_below(m, rnd_below(m, 32) == 0 ? U : maxlen);

	switch (rnd_below(m, 10)) {
	case 0:
		*a = 0;
		break;
	case 1:
		*a = len >= U ? 0 : U - len;
		break;
	default:
		*a = rnd_below(m, U);
	}
	*b = *a + len - 1;
	if (*b >= U)
		*b = U - 1;
}

static bool model_overlaps_any(struct model *m, uint64_t s, uint64_t l)
{
	for (unsigned int i = 0; i < m->cap; i++)
		if (m->iv[i].live && m->iv[i].node.start <= l &&
		    s <= m->iv[i].node.last)
			return true;
	return false;
}

static void model_insert(struct model *m)
{
	unsigned int i;
	uint64_t a, b, s, l;

	for (i = 0; i < m->cap && m->iv[i].live; i++)
		;
	if (i == m->cap)
		return;
	for (unsigned int tries = 0;; tries++) {
		if (tries == 16)
			return;
		rnd_coord_range(m, &a, &b, m->disjoint ? 16 : 64);
		s = win_lo(m, a);
		l = win_hi(m, b);
		if (s > l)
			l = s;
		if (!m->disjoint)
			break;
		/* Shrink from the top until it fits, so trees get dense. */
		while (model_overlaps_any(m, s, l) && b > a) {
			b--;
			l = win_hi(m, b);
			if (s > l)
				l = s;
		}
		if (!model_overlaps_any(m, s, l))
			break;
	}
	m->iv[i].node.start = s;
	m->iv[i].node.last = l;
	m->iv[i].seq = m->seq++;
	m->iv[i].live = true;
	m->nlive++;
	interval_tree_insert(&m->iv[i].node, &m->root);
}

static void model_remove(struct model *m)
{
	unsigned int i, k;

	if (!m->nlive)
		return;
	k = rnd_below(m, m->nlive);
	for (i = 0; i < m->cap; i++)
		if (m->iv[i].live && !k--)
			break;
	interval_tree_remove(&m->iv[i].node, &m->root);
	m->iv[i].live = false;
	m->nlive--;
}

static int cmp_ival(const void *pa, const void *pb)
{
	const struct ival *a = *(struct ival *const *)pa;
	const struct ival *b = *(struct ival *const *)pb;

	if (a->node.start != b->node.start)
		return a->node.start < b->node.start ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Live intervals overlapping [s, l], sorted by (start, seq). */
static unsigned int model_sorted(struct model *m, uint64_t s, uint64_t l,
				 struct ival **out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->cap; i++)
		if (m->iv[i].live && m->iv[i].node.start <= l &&
		    s <= m->iv[i].node.last)
			out[n++] = &m->iv[i];
	qsort(out, n, sizeof(*out), cmp_ival);
	return n;
}

static void check_invariants(struct model *m)
{
	struct ival **all = malloc(m->cap * sizeof(*all));
	unsigned int n;

	CHECK(all);
	CHECK(interval_tree_check(&m->root));
	CHECK_EQ(m->root.count, m->nlive);
	CHECK_EQ(interval_tree_empty(&m->root), m->nlive == 0);
	/* Full in-order walk equals the sorted model. */
	n = model_sorted(m, 0, UINT64_MAX, all);
	{
		struct interval_tree_node *it = interval_tree_first(&m->root);

		for (unsigned int i = 0; i < n; i++) {
			CHECK(it == &all[i]->node);
			it = interval_tree_next(it);
		}
		CHECK(!it);
	}
	if (m->disjoint && m->root.node) {
		uint64_t gap = 0;

		for (unsigned int i = 1; i < n; i++) {
			uint64_t h = all[i]->node.start - all[i - 1]->node.last - 1;

			if (h > gap)
				gap = h;
		}
		CHECK_EQ(m->root.node->__subtree_gap, gap);
		CHECK_EQ(m->root.node->__subtree_first, all[0]->node.start);
		CHECK_EQ(m->root.node->__subtree_last, all[n - 1]->node.last);
	}
	free(all);
}

static void check_iter(struct model *m, uint64_t s, uint64_t l)
{
	struct ival **want = malloc((m->cap + 1) * sizeof(*want));
	struct interval_tree_node *n;
	unsigned int nwant, i = 0;

	CHECK(want);
	nwant = model_sorted(m, s, l, want);
	interval_tree_for_each(n, &m->root, s, l) {
		CHECK(i < nwant);
		CHECK(n == &want[i]->node);
		i++;
	}
	CHECK_EQ(i, nwant);
	m->iter_hits += nwant;
	free(want);
}

/* Expected spans of [s, l]: sort, clip, merge touching runs. */
struct span {
	int is_hole;
	uint64_t a, b;
};

static unsigned int ref_spans(struct model *m, uint64_t s, uint64_t l,
			      struct span *out)
{
	struct ival **v = malloc((m->cap + 1) * sizeof(*v));
	unsigned int n, k = 0;
	uint64_t pos = s;	/* lowest value not yet reported */
	bool done = false;

	CHECK(v);
	n = model_sorted(m, s, l, v);
	for (unsigned int i = 0; i < n && !done; i++) {
		uint64_t a = v[i]->node.start < s ? s : v[i]->node.start;
		uint64_t b = v[i]->node.last > l ? l : v[i]->node.last;

		if (b < pos)
			continue;
		if (a > pos) {
			out[k++] = (struct span){ 1, pos, a - 1 };
		} else if (k && !out[k - 1].is_hole) {
			/* extends (or touches) the previous used span */
			out[k - 1].b = b;
			goto advanced;
		}
		out[k++] = (struct span){ 0, a > pos ? a : pos, b };
advanced:
		if (b == l)
			done = true;
		else
			pos = b + 1;
	}
	if (!done)
		out[k++] = (struct span){ 1, pos, l };
	free(v);
	return k;
}

/* Per-point spans over the window (scale 1 only). */
static unsigned int brute_spans(struct model *m, uint64_t s, uint64_t l,
				struct span *out)
{
	static bool cover[U];
	unsigned int k = 0;

	memset(cover, 0, sizeof(cover));
	for (unsigned int i = 0; i < m->cap; i++) {
		if (!m->iv[i].live)
			continue;
		for (uint64_t x = m->iv[i].node.start - m->base;
		     x <= m->iv[i].node.last - m->base; x++)
			cover[x] = true;
	}
	for (uint64_t x = s - m->base; x <= l - m->base; x++) {
		int hole = !cover[x];

		if (k && out[k - 1].is_hole == hole)
			out[k - 1].b = m->base + x;
		else
			out[k++] = (struct span){ hole, m->base + x, m->base + x };
	}
	return k;
}

static void check_spans(struct model *m, uint64_t s, uint64_t l)
{
	struct span *want = malloc((2 * m->cap + 2) * sizeof(*want));
	struct span *pts = malloc((U + 1) * sizeof(*pts));
	struct interval_tree_span_iter span;
	unsigned int nwant, i = 0;

	CHECK(want && pts);
	nwant = ref_spans(m, s, l, want);
	if (m->scale == 1) {
		unsigned int npts = brute_spans(m, s, l, pts);

		CHECK_EQ(npts, nwant);
		for (unsigned int j = 0; j < npts; j++) {
			CHECK_EQ(pts[j].is_hole, want[j].is_hole);
			CHECK_EQ(pts[j].a, want[j].a);
			CHECK_EQ(pts[j].b, want[j].b);
		}
	}
	interval_tree_for_each_span(&span, &m->root, s, l) {
		CHECK(i < nwant);
		CHECK_EQ(span.is_hole, want[i].is_hole);
		if (span.is_hole) {
			CHECK_EQ(span.start_hole, want[i].a);
			CHECK_EQ(span.last_hole, want[i].b);
		} else {
			CHECK_EQ(span.start_used, want[i].a);
			CHECK_EQ(span.last_used, want[i].b);
		}
		i++;
	}
	CHECK_EQ(i, nwant);
	m->spans += nwant;
	free(want);
	free(pts);
}

/* Lowest x >= a with x % align == phase, or false on overflow. */
static bool align_up_phase(uint64_t a, uint64_t align, uint64_t phase,
			   uint64_t *x)
{
	uint64_t r = a % align;

	if (r == phase) {
		*x = a;
		return true;
	}
	return !__builtin_add_overflow(a, (phase + align - r) % align, x);
}

/* find_hole reference from the merged spans. */
static int ref_find_hole(struct model *m, uint64_t s, uint64_t l, uint64_t len,
			 uint64_t align, uint64_t phase, uint64_t *iova)
{
	struct span *sp = malloc((2 * m->cap + 2) * sizeof(*sp));
	unsigned int n = ref_spans(m, s, l, sp);
	int ret = -ENOSPC;

	CHECK(sp);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t x;

		if (!sp[i].is_hole || !align_up_phase(sp[i].a, align, phase, &x))
			continue;
		if (x <= sp[i].b && sp[i].b - x >= len - 1) {
			*iova = x;
			ret = 0;
			break;
		}
	}
	free(sp);
	return ret;
}

/* Per-point find_hole over the window (scale 1 only). */
static int brute_find_hole(struct model *m, uint64_t s, uint64_t l,
			   uint64_t len, uint64_t align, uint64_t phase,
			   uint64_t *iova)
{
	static bool cover[U];
	static uint64_t run[U + 1];	/* free values from x up to l */
	uint64_t xs = s - m->base, xl = l - m->base;

	memset(cover, 0, sizeof(cover));
	for (unsigned int i = 0; i < m->cap; i++) {
		if (!m->iv[i].live)
			continue;
		for (uint64_t x = m->iv[i].node.start - m->base;
		     x <= m->iv[i].node.last - m->base; x++)
			cover[x] = true;
	}
	run[xl + 1] = 0;
	for (uint64_t x = xl + 1; x-- > xs;)
		run[x] = cover[x] ? 0 : run[x + 1] + 1;
	for (uint64_t x = xs; x <= xl; x++) {
		if ((m->base + x) % align != phase)
			continue;
		if (run[x] >= len) {
			*iova = m->base + x;
			return 0;
		}
	}
	return -ENOSPC;
}

static void check_find_hole(struct model *m, uint64_t s, uint64_t l)
{
	uint64_t len, align, phase, want = 0, got = 0;
	int rw, rg;

	if (m->scale == 1) {
		len = 1 + rnd_below(m, rnd_below(m, 4) ? 64 : U);
		align = 1ULL << rnd_below(m, rnd_below(m, 8) ? 9 : 64);
	} else {
		len = 1 + rnd_below(m, 4) * (m->scale / 2) + rnd_below(m, 3) *
			  m->scale * rnd_below(m, 4);
		if (rnd_below(m, 6) == 0)
			len = 1 + rnd_below(m, 8);
		align = 1ULL << rnd_below(m, 64);
	}
	phase = rnd_below(m, 4) ? 0 : rnd_below(m, align);
	rw = ref_find_hole(m, s, l, len, align, phase, &want);
	if (m->scale == 1) {
		uint64_t bw = 0;
		int rb = brute_find_hole(m, s, l, len, align, phase, &bw);

		CHECK_EQ(rb, rw);
		if (!rb)
			CHECK_EQ(bw, want);
	}
	rg = interval_tree_find_hole(&m->root, s, l, len, align, phase, &got);
	if (rw)
		m->holes_none++;
	else
		m->holes_found++;
	if (rg != rw || (!rg && got != want))
		test_fail(__FILE__, __LINE__,
			  "find_hole [0x%" PRIx64 ", 0x%" PRIx64 "] len 0x%"
			  PRIx64 " align 0x%" PRIx64 " phase 0x%" PRIx64
			  ": got %d 0x%" PRIx64 " want %d 0x%" PRIx64,
			  s, l, len, align, phase, rg, got, rw, want);
}

static void random_query(struct model *m)
{
	uint64_t a, b, s, l;

	if (rnd_below(m, 8) == 0) {
		a = 0;
		b = U - 1;
	} else {
		rnd_coord_range(m, &a, &b, 512);
	}
	s = win_lo(m, a);
	l = win_hi(m, b);
	if (s > l)
		l = s;
	if (rnd_below(m, 16) == 0) {	/* whole of u64 */
		s = 0;
		l = UINT64_MAX;
		if (m->scale == 1) {	/* stay inside the brute-force window */
			s = m->base;
			l = m->base + U - 1;
		}
	}
	check_iter(m, s, l);
	check_spans(m, s, l);
	check_find_hole(m, s, l);
}

static void run_random(uint64_t base, uint64_t scale, bool disjoint,
		       uint64_t seed, unsigned int cap, unsigned int ops)
{
	struct model m;

	model_init(&m, cap, base, scale, disjoint, seed);
	for (unsigned int op = 0; op < ops; op++) {
		/* Drift between filling up and draining. */
		unsigned int fill = (op / 500) % 2 ? 30 : 70;

		if (rnd_below(&m, 100) < fill)
			model_insert(&m);
		else
			model_remove(&m);
		check_invariants(&m);
		random_query(&m);
		m.live_sum += m.nlive;
	}
	printf("  %u ops: avg %" PRIu64 " nodes, %" PRIu64 " overlaps, %"
	       PRIu64 " spans, find_hole %" PRIu64 " found %" PRIu64 " none\n",
	       ops, m.live_sum / ops, m.iter_hits, m.spans, m.holes_found,
	       m.holes_none);
	while (m.nlive) {
		model_remove(&m);
		check_invariants(&m);
		random_query(&m);
	}
	CHECK(interval_tree_empty(&m.root));
	model_free(&m);
}

#define TOP (UINT64_MAX - (U - 1))

TEST_TIMEOUT(interval_tree_random_low_overlapping, 120)
{
	run_random(0, 1, false, 0x1001, 200, 6000);
	run_random(0, 1, false, 0x1002, 40, 4000);
}

TEST_TIMEOUT(interval_tree_random_low_disjoint, 120)
{
	run_random(0, 1, true, 0x2001, 300, 6000);
}

TEST_TIMEOUT(interval_tree_random_top_overlapping, 120)
{
	run_random(TOP, 1, false, 0x3001, 200, 6000);
}

TEST_TIMEOUT(interval_tree_random_top_disjoint, 120)
{
	run_random(TOP, 1, true, 0x4001, 300, 6000);
}

/* Window scaled over all of u64: coordinate x covers [x << 52, ...]. */
TEST_TIMEOUT(interval_tree_random_scaled, 120)
{
	run_random(0, 1ULL << 52, false, 0x5001, 200, 6000);
	run_random(0, 1ULL << 52, true, 0x5002, 300, 6000);
}

TEST(interval_tree_empty_tree)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_span_iter span;
	uint64_t iova = 0;
	unsigned int n = 0;

	CHECK(interval_tree_empty(&root));
	CHECK(interval_tree_check(&root));
	CHECK(!interval_tree_iter_first(&root, 0, UINT64_MAX));
	CHECK(!interval_tree_first(&root));
	interval_tree_for_each_span(&span, &root, 0, UINT64_MAX) {
		CHECK_EQ(span.is_hole, 1);
		CHECK_EQ(span.start_hole, 0);
		CHECK_EQ(span.last_hole, UINT64_MAX);
		n++;
	}
	CHECK_EQ(n, 1);
	/* start > last: no spans, no hole */
	interval_tree_span_iter_first(&span, &root, 5, 4);
	CHECK(interval_tree_span_iter_done(&span));
	CHECK_EQ(interval_tree_find_hole(&root, 5, 4, 1, 1, 0, &iova), -ENOSPC);

	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, UINT64_MAX, 1, 0,
					 &iova), 0);
	CHECK_EQ(iova, 0);
	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, UINT64_MAX, 2, 1,
					 &iova), 0);
	CHECK_EQ(iova, 1);
	CHECK_EQ(interval_tree_find_hole(&root, 1, UINT64_MAX, UINT64_MAX, 2, 0,
					 &iova), -ENOSPC);
	CHECK_EQ(interval_tree_find_hole(&root, 1, UINT64_MAX, 1, 1ULL << 63, 0,
					 &iova), 0);
	CHECK_EQ(iova, 1ULL << 63);
	CHECK_EQ(interval_tree_find_hole(&root, (1ULL << 63) + 1, UINT64_MAX, 1,
					 1ULL << 63, 0, &iova), -ENOSPC);
	CHECK_EQ(interval_tree_find_hole(&root, UINT64_MAX, UINT64_MAX, 1, 1, 0,
					 &iova), 0);
	CHECK_EQ(iova, UINT64_MAX);
	CHECK_EQ(interval_tree_find_hole(&root, UINT64_MAX, UINT64_MAX, 2, 1, 0,
					 &iova), -ENOSPC);
}

TEST(interval_tree_whole_space)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node all = { .start = 0, .last = UINT64_MAX };
	struct interval_tree_node top = { .start = UINT64_MAX, .last = UINT64_MAX };
	struct interval_tree_span_iter span;
	uint64_t iova;
	unsigned int n = 0;

	interval_tree_insert(&all, &root);
	CHECK(interval_tree_check(&root));
	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, 1, 1, 0, &iova),
		 -ENOSPC);
	interval_tree_for_each_span(&span, &root, 0, UINT64_MAX) {
		CHECK_EQ(span.is_hole, 0);
		CHECK_EQ(span.start_used, 0);
		CHECK_EQ(span.last_used, UINT64_MAX);
		n++;
	}
	CHECK_EQ(n, 1);
	interval_tree_remove(&all, &root);
	interval_tree_insert(&top, &root);
	CHECK(interval_tree_check(&root));
	CHECK(interval_tree_iter_first(&root, UINT64_MAX, UINT64_MAX) == &top);
	CHECK(!interval_tree_iter_first(&root, 0, UINT64_MAX - 1));
	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, UINT64_MAX, 1, 0,
					 &iova), 0);
	CHECK_EQ(iova, 0);
	CHECK_EQ(interval_tree_find_hole(&root, 1, UINT64_MAX, UINT64_MAX - 1,
					 1, 0, &iova), 0);
	CHECK_EQ(iova, 1);
	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, UINT64_MAX, 2, 1,
					 &iova), -ENOSPC);
	n = 0;
	interval_tree_for_each_span(&span, &root, UINT64_MAX - 1, UINT64_MAX) {
		if (n == 0) {
			CHECK_EQ(span.is_hole, 1);
			CHECK_EQ(span.start_hole, UINT64_MAX - 1);
			CHECK_EQ(span.last_hole, UINT64_MAX - 1);
		} else {
			CHECK_EQ(span.is_hole, 0);
			CHECK_EQ(span.start_used, UINT64_MAX);
			CHECK_EQ(span.last_used, UINT64_MAX);
		}
		n++;
	}
	CHECK_EQ(n, 2);
}

/* Equal starts come out in insertion order, however the tree rotates. */
TEST(interval_tree_duplicates_in_order)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	static struct interval_tree_node nodes[300];
	struct interval_tree_node *n;
	unsigned int i = 0;

	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		nodes[i].start = i % 3 == 0 ? 100 : 50 + i % 7;
		nodes[i].last = nodes[i].start + i;
		interval_tree_insert(&nodes[i], &root);
		CHECK(interval_tree_check(&root));
	}
	i = 0;
	uint64_t prev_start = 0;
	const struct interval_tree_node *prev = NULL;

	interval_tree_for_each(n, &root, 0, UINT64_MAX) {
		if (prev && prev_start == n->start)
			CHECK(prev < n);	/* array order == insertion order */
		prev = n;
		prev_start = n->start;
		i++;
	}
	CHECK_EQ(i, ARRAY_SIZE(nodes));
}

/*
 * 1M adjacent 4 KiB nodes: the dense case io_pagetable depends on.  A hole
 * search must not walk the tree (the test's timeout would catch an O(n)
 * search repeated 10^5 times).
 */
TEST_TIMEOUT(interval_tree_dense_million, 120)
{
	const unsigned int n = 1u << 20;
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node *nodes = calloc(n, sizeof(*nodes));
	uint64_t iova = 0;

	CHECK(nodes);
	for (unsigned int i = 0; i < n; i++) {
		nodes[i].start = (uint64_t)i << 12;
		nodes[i].last = nodes[i].start + 4095;
		interval_tree_insert(&nodes[i], &root);
	}
	CHECK(interval_tree_check(&root));
	CHECK_EQ(root.node->__subtree_gap, 0);
	for (unsigned int i = 0; i < 100000; i++) {
		CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, 4096, 4096,
						 0, &iova), 0);
		CHECK_EQ(iova, (uint64_t)n << 12);
	}
	/* Punch a hole in the middle: found, then filled, then gone again. */
	interval_tree_remove(&nodes[n / 3], &root);
	for (unsigned int i = 0; i < 100000; i++) {
		CHECK_EQ(interval_tree_find_hole(&root, 4096, UINT64_MAX, 4096,
						 4096, 0, &iova), 0);
		CHECK_EQ(iova, (uint64_t)(n / 3) << 12);
	}
	CHECK_EQ(interval_tree_find_hole(&root, 0, UINT64_MAX, 8192, 4096, 0,
					 &iova), 0);
	CHECK_EQ(iova, (uint64_t)n << 12);
	interval_tree_insert(&nodes[n / 3], &root);
	/* Remove every other node, then re-add them in random order. */
	for (unsigned int i = 0; i < n; i += 2)
		interval_tree_remove(&nodes[i], &root);
	CHECK(interval_tree_check(&root));
	CHECK_EQ(root.count, n / 2);
	CHECK_EQ(interval_tree_find_hole(&root, 4096, UINT64_MAX, 4096, 4096, 0,
					 &iova), 0);
	CHECK_EQ(iova, 2 << 12);
	for (unsigned int k = 0, i = 0; k < n / 2; k++) {
		i = (i + 7919 * 2) % n;	/* even, a permutation of the evens */
		interval_tree_insert(&nodes[i], &root);
	}
	CHECK(interval_tree_check(&root));
	CHECK_EQ(root.count, n);
	CHECK_EQ(root.node->__subtree_gap, 0);
	free(nodes);
}
