/*
 * pt_test_util.c - RNG, counting allocator, reference model and the
 * spec-derived raw-descriptor builders shared by the page-table tests.
 *
 * The descriptor builders below are written from the vendors' tables (see
 * the comments), not from src/iommu/pt, so that the encoding tests compare
 * two independent readings of the specifications.
 */
#include "harness.h"
#include "pt_test.h"

#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/* --- random numbers ------------------------------------------------------ */

static uint64_t rng_state;

void rng_seed(uint64_t seed)
{
	rng_state = seed;
}

uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* --- allocator ------------------------------------------------------------ */

static void *count_alloc_fn(void *ctx, size_t size)
{
	struct count_alloc *ca = ctx;
	void *p;

	if (ca->fail_countdown > 0 && --ca->fail_countdown == 0)
		return NULL;
	p = aligned_alloc(size, size);
	CHECK(p);
	/* Poison: the library must zero what it uses. */
	memset(p, 0xa5, size);
	ca->outstanding++;
	ca->allocs++;
	ca->bytes += size;
	return p;
}

static void count_free_fn(void *ctx, void *table, size_t size)
{
	struct count_alloc *ca = ctx;

	CHECK(((uintptr_t)table & (size - 1)) == 0);
	ca->outstanding--;
	ca->bytes -= size;
	free(table);
}

void count_alloc_init(struct count_alloc *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->ops.alloc = count_alloc_fn;
	ca->ops.free = count_free_fn;
	ca->ops.ctx = ca;
}

/* --- reference model -------------------------------------------------------- */

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

void model_free(struct model *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* First extent with last >= iova. */
static size_t model_find(const struct model *m, uint64_t iova)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->v[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool model_overlaps(const struct model *m, uint64_t first, uint64_t last)
{
	size_t i = model_find(m, first);

	return i < m->n && m->v[i].first <= last;
}

static void model_insert(struct model *m, size_t at, struct model_ext e)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		CHECK(m->v);
	}
	memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(*m->v));
	m->v[at] = e;
	m->n++;
}

void model_map(struct model *m, uint64_t first, uint64_t last, uint64_t oa,
	       uint32_t prot)
{
	struct model_ext e = { first, last, oa, prot };

	CHECK(!model_overlaps(m, first, last));
	model_insert(m, model_find(m, first), e);
}

uint64_t model_unmap(struct model *m, uint64_t first, uint64_t last)
{
	uint64_t bytes = 0;
	size_t i = model_find(m, first);

	while (i < m->n && m->v[i].first <= last) {
		struct model_ext e = m->v[i];
		uint64_t cf = e.first > first ? e.first : first;
		uint64_t cl = e.last < last ? e.last : last;

		bytes += cl - cf + 1;
		memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
		m->n--;
		if (e.last > last) {
			struct model_ext hi = { last + 1, e.last,
						e.oa + (last + 1 - e.first),
						e.prot };
			model_insert(m, i, hi);
		}
		if (e.first < first) {
			struct model_ext lo = { e.first, first - 1, e.oa,
						e.prot };
			model_insert(m, i, lo);
			i++;
		}
		if (e.last > last)
			i++;
	}
	return bytes;
}

const struct model_ext *model_lookup(const struct model *m, uint64_t iova)
{
	size_t i = model_find(m, iova);

	if (i < m->n && m->v[i].first <= iova)
		return &m->v[i];
	return NULL;
}

uint64_t model_bytes(const struct model *m, uint64_t first, uint64_t last)
{
	uint64_t bytes = 0;

	for (size_t i = model_find(m, first); i < m->n && m->v[i].first <= last;
	     i++) {
		uint64_t cf = m->v[i].first > first ? m->v[i].first : first;
		uint64_t cl = m->v[i].last < last ? m->v[i].last : last;

		bytes += cl - cf + 1;
	}
	return bytes;
}

struct ext_list {
	struct model_ext *v;
	size_t n, cap;
	uint64_t first, last;
};

static void ext_push(struct ext_list *l, uint64_t first, uint64_t last,
		     uint64_t oa, uint32_t prot)
{
	if (first < l->first) {
		oa += l->first - first;
		first = l->first;
	}
	if (last > l->last)
		last = l->last;
	if (l->n) {
		struct model_ext *p = &l->v[l->n - 1];

		CHECK(p->last < first); /* sorted, no overlap */
		if (p->last + 1 == first && p->prot == prot &&
		    p->oa + (p->last - p->first + 1) == oa) {
			p->last = last;
			return;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		CHECK(l->v);
	}
	l->v[l->n++] = (struct model_ext){ first, last, oa, prot };
}

static int visit_collect(void *ctx, const struct pt_leaf *leaf)
{
	struct ext_list *l = ctx;

	ext_push(l, leaf->iova, leaf->iova + ((1ull << leaf->size_lg2) - 1),
		 leaf->oa, leaf->prot);
	return 0;
}

void check_against_model(const struct pt_table *pt, const struct model *m,
			 uint64_t first, uint64_t last)
{
	struct ext_list got = { .first = first, .last = last };
	struct ext_list want = { .first = first, .last = last };

	CHECK_EQ(pt_visit(pt, first, last - first + 1, visit_collect, &got),
		 0);
	for (size_t i = model_find(m, first); i < m->n && m->v[i].first <= last;
	     i++)
		ext_push(&want, m->v[i].first, m->v[i].last, m->v[i].oa,
			 m->v[i].prot);
	for (size_t i = 0; i < got.n || i < want.n; i++) {
		if (i >= got.n || i >= want.n ||
		    got.v[i].first != want.v[i].first ||
		    got.v[i].last != want.v[i].last ||
		    got.v[i].oa != want.v[i].oa ||
		    got.v[i].prot != want.v[i].prot) {
			const struct model_ext *g = i < got.n ? &got.v[i] : NULL;
			const struct model_ext *w = i < want.n ? &want.v[i] :
								 NULL;

			fprintf(stderr,
				"  %s: extent %zu: table %#llx-%#llx oa %#llx "
				"prot %#x, model %#llx-%#llx oa %#llx prot %#x\n",
				pt->fmt->name, i,
				g ? (unsigned long long)g->first : 0,
				g ? (unsigned long long)g->last : 0,
				g ? (unsigned long long)g->oa : 0,
				g ? g->prot : 0,
				w ? (unsigned long long)w->first : 0,
				w ? (unsigned long long)w->last : 0,
				w ? (unsigned long long)w->oa : 0,
				w ? w->prot : 0);
			CHECK(!"table differs from the model");
		}
	}
	free(got.v);
	free(want.v);
}

/* --- raw descriptors, from the specs ----------------------------------- */

#define B(n) (1ull << (n))
#define MASK(h, l) ((~0ull >> (63 - (h))) & ~(B(l) - 1))

uint64_t spec_table_addr(const struct pt_format *fmt, uint64_t pte)
{
	switch (fmt->family) {
	case PT_FAMILY_VTD_SS: /* VT-d 5.10 Tables 41, 42, 44, 46: 51:12 */
	case PT_FAMILY_VTD_FS: /* VT-d 5.10 Tables 34, 35, 37, 39: 51:12 */
	case PT_FAMILY_AMDV1:  /* AMD 48882 §2.2.3 PDE: 51:12 */
		return pte & MASK(51, 12);
	case PT_FAMILY_ARM: /* Arm ARM Tables D8-50/51: NLTA 47:granule */
		return pte & MASK(47, fmt->granule_lg2);
	case PT_FAMILY_RISCV: /* RISC-V priv. §4.4: PPN 53:10 */
		return ((pte >> 10) & MASK(43, 0)) << 12;
	}
	CHECK(!"family");
	return 0;
}

uint64_t *spec_entry(const struct pt_table *pt, uint64_t iova,
		     unsigned int level)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t *t = pt->root;

	for (unsigned int l = fmt->levels - 1;; l--) {
		uint64_t idx = (iova >> fmt->lvl[l].shift) &
			       (B(fmt->lvl[l].index_bits) - 1);

		if (l == level)
			return &t[idx];
		if (!t[idx])
			return NULL;
		t = (uint64_t *)(uintptr_t)spec_table_addr(fmt, t[idx]);
	}
}

uint64_t spec_table_desc(const struct pt_format *fmt, unsigned int level,
			 uint64_t table_pa)
{
	switch (fmt->family) {
	case PT_FAMILY_VTD_SS: /* R | W */
		return table_pa | 0x3;
	case PT_FAMILY_VTD_FS: /* P | R/W | U/S */
		return table_pa | 0x7;
	case PT_FAMILY_AMDV1: /* PR | NextLevel (1-based level below) | IR | IW */
		return table_pa | ((uint64_t)level << 9) | 0x1 | B(61) | B(62);
	case PT_FAMILY_ARM: /* valid | table */
		return table_pa | 0x3;
	case PT_FAMILY_RISCV: /* V, PPN */
		return ((table_pa >> 12) << 10) | 0x1;
	}
	CHECK(!"family");
	return 0;
}

uint64_t spec_leaf_desc(const struct pt_format *fmt, unsigned int level,
			uint64_t oa, unsigned int size_lg2, uint32_t prot)
{
	bool r = prot & PT_PROT_READ, w = prot & PT_PROT_WRITE;
	bool x = prot & PT_PROT_EXEC, priv = prot & PT_PROT_PRIV;
	bool cache = prot & PT_PROT_CACHE, mmio = prot & PT_PROT_MMIO;
	bool contig = size_lg2 > fmt->lvl[level].shift;
	uint64_t pte;

	switch (fmt->family) {
	case PT_FAMILY_VTD_SS:
		/* A(8), PS(7) above the PTE level, R(0), W(1), SNP(11) */
		return oa | B(8) | (level ? B(7) : 0) | (r ? B(0) : 0) |
		       (w ? B(1) : 0) | (cache ? B(11) : 0);
	case PT_FAMILY_VTD_FS:
		/* P(0), A(5), PS(7), R/W(1), U/S(2), XD(63) */
		return oa | B(0) | B(5) | (level ? B(7) : 0) | (w ? B(1) : 0) |
		       (priv ? 0 : B(2)) | (x ? 0 : B(63));
	case PT_FAMILY_AMDV1:
		/* PR(0), A(5), IR(61), IW(62), FC(60); NL 11:9 = 0 or 7 with
		   the size in the run of ones from address bit 12 */
		pte = B(0) | B(5) | (r ? B(61) : 0) | (w ? B(62) : 0) |
		      (cache ? B(60) : 0);
		if (!contig)
			return pte | oa;
		return pte | (oa & ~(B(size_lg2) - 1)) |
		       ((B(size_lg2 - 13) - 1) << 12) | (7ull << 9);
	case PT_FAMILY_ARM:
		/* 0b11 page at level 3, 0b01 block; AF(10); DBM(51) when
		   writable; Contiguous(52) */
		pte = oa | (level ? 0x1 : 0x3) | B(10) | (w ? B(51) : 0) |
		      (contig ? B(52) : 0);
		if (fmt->flags & PT_ARM_STAGE2) {
			/* S2AP[0](6) read; XN(54); MemAttr 5:2; SH 9:8 */
			pte |= (r ? B(6) : 0) | (x ? 0 : B(54));
			if (mmio)
				pte |= (0x1ull << 2) | (2ull << 8);
			else if (cache)
				pte |= (0xfull << 2) | (3ull << 8);
			else
				pte |= (0x5ull << 2) | (2ull << 8);
		} else {
			/* nG(11), AP[2](7) set (RO / writable-clean),
			   AP[1](6) unprivileged, UXN(54) PXN(53),
			   AttrIndx 4:2, SH 9:8 */
			pte |= B(11) | B(7) | (priv ? 0 : B(6)) |
			       (x ? 0 : B(53) | B(54));
			if (mmio)
				pte |= (2ull << 2) | (2ull << 8);
			else if (cache)
				pte |= (1ull << 2) | (3ull << 8);
			else
				pte |= (2ull << 8);
		}
		return pte;
	case PT_FAMILY_RISCV:
		/* V(0) R(1) W(2) X(3) U(4) A(6), PPN 53:10 */
		return ((oa >> 12) << 10) | B(0) | B(6) | (r || w ? B(1) : 0) |
		       (w ? B(2) : 0) | (x ? B(3) : 0) |
		       (priv && !(fmt->flags & PT_RISCV_GSTAGE) ? 0 : B(4));
	}
	CHECK(!"family");
	return 0;
}

uint64_t spec_leaf_dirty(const struct pt_format *fmt, uint64_t clean)
{
	switch (fmt->family) {
	case PT_FAMILY_VTD_SS:
		return clean | B(9); /* D */
	case PT_FAMILY_VTD_FS:
	case PT_FAMILY_AMDV1:
		return clean | B(6); /* D */
	case PT_FAMILY_ARM:
		if (!(clean & B(51)))
			return clean;
		if (fmt->flags & PT_ARM_STAGE2)
			return clean | B(7); /* S2AP[1] */
		return clean & ~B(7);	     /* AP[2] */
	case PT_FAMILY_RISCV:
		return clean | B(7); /* D */
	}
	CHECK(!"family");
	return 0;
}

uint64_t fmt_low_end(const struct pt_format *fmt)
{
	if (fmt->ias_lg2 >= 64)
		return 0;
	if (fmt->sign_extend)
		return B(fmt->ias_lg2 - 1);
	return B(fmt->ias_lg2);
}

void check_no_leaks(void)
{
#if defined(__SANITIZE_ADDRESS__)
	CHECK(__lsan_do_recoverable_leak_check() == 0);
#endif
}
