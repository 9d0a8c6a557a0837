/*
 * pt.c - the page-table algorithms, written once for every format: table
 * create/destroy, map, unmap (with splitting and freeing of emptied
 * tables), walk, dirty tracking, visit and collapse.
 *
 * Formats reach this file only through struct pt_format: lvl[] (geometry and
 * the leaf sizes each level may hold) and ops (encode/decode one entry).
 * Everything that reads or writes table memory is here.
 *
 * Invariants kept by the writers:
 *  - a raw entry of 0 is empty, and every entry this file clears is set
 *    to 0, so "not 0" is a fast test for "something is here";
 *  - a table entry never points at an empty table (unmap frees a table as
 *    soon as it empties; map's rollback unmaps what it added, which frees
 *    the tables it allocated);
 *  - the entries of a contiguous leaf are written and cleared together.
 *
 * Ranges are start/last (inclusive) inside this file so that a range may
 * end at the top of a 64-bit input space; the API takes (iova, len).
 *
 * Memory ordering (see pt.h): loads are acquire, stores that publish a table
 * or a leaf are release, dirty updates and leaf->table swaps are
 * compare-and-exchange.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/pt/pt.h"
#include "iommu/pt/pt_fmt.h"
#include "util/compiler.h"
#include "util/err.h"
#include "util/fault_inject.h"

static inline uint64_t pte_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pte_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline bool pte_cas(uint64_t *p, uint64_t *old, uint64_t new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static inline uint64_t *pa_to_table(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

static inline uint64_t table_to_pa(const uint64_t *t)
{
	return (uint64_t)(uintptr_t)t;
}

static inline unsigned int top_level(const struct pt_format *fmt)
{
	return fmt->levels - 1u;
}

static inline uint64_t item_size(const struct pt_format *fmt,
				 unsigned int level)
{
	return 1ull << fmt->lvl[level].shift;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* --- formats ------------------------------------------------------------ */

int __pt_format_finish(struct pt_format *fmt)
{
	unsigned int top;

	if (fmt->levels < 1 || fmt->levels > PT_MAX_LEVELS ||
	    fmt->ias_lg2 > 64 || fmt->oas_lg2 >= 64 || !fmt->ops)
		return -EINVAL;
	top = top_level(fmt);
	if (fmt->lvl[top].shift + fmt->lvl[top].index_bits != fmt->ias_lg2)
		return -EINVAL;
	fmt->pgsize_bitmap = 0;
	for (unsigned int l = 0; l <= top; l++) {
		struct pt_level_desc *ld = &fmt->lvl[l];
		unsigned int cover = ld->shift + ld->index_bits;

		if (l && ld->shift != fmt->lvl[l - 1].shift +
					      fmt->lvl[l - 1].index_bits)
			return -EINVAL;
		if (l < top && ld->index_bits + 3u != fmt->table_lg2)
			return -EINVAL;
		/* A leaf never spans more than its table ... */
		if (cover < 64)
			ld->leaf_sizes &= pt_sizes_range(0, cover);
		/* ... nor both halves of a sign-extended space ... */
		if (fmt->sign_extend && l == top)
			ld->leaf_sizes &= pt_sizes_range(0, cover - 1);
		/* ... nor more output bits than the entries hold. */
		ld->leaf_sizes &= pt_sizes_range(0, fmt->oas_lg2 - 1u);
		ld->leaf_sizes &= ~pt_sizes_range(0, ld->shift - 1u);
		fmt->pgsize_bitmap |= ld->leaf_sizes;
	}
	if (!(fmt->lvl[0].leaf_sizes & PT_BIT(fmt->granule_lg2)))
		return -EINVAL;
	fmt->root_lg2 = (uint8_t)max_t(unsigned int,
				       fmt->lvl[top].index_bits + 3u,
				       fmt->table_lg2);
	fmt->root_tables =
		(uint8_t)(fmt->lvl[top].index_bits + 3u > fmt->table_lg2 ?
				  1u << (fmt->lvl[top].index_bits + 3u -
					 fmt->table_lg2) :
				  1u);
	return 0;
}

bool pt_format_iova_ok(const struct pt_format *fmt, uint64_t iova)
{
	if (fmt->ias_lg2 >= 64)
		return true;
	if (fmt->sign_extend) {
		int64_t hi = (int64_t)iova >> (fmt->ias_lg2 - 1);

		return hi == 0 || hi == -1;
	}
	return (iova >> fmt->ias_lg2) == 0;
}

uint32_t pt_prot_normalize(const struct pt_format *fmt, uint32_t prot)
{
	uint32_t p = prot & fmt->prot_mask;

	if (p & PT_PROT_MMIO)
		p &= ~(uint32_t)PT_PROT_CACHE;
	p |= fmt->prot_always;
	if (prot & PT_PROT_WRITE)
		p |= fmt->prot_with_write;
	return p;
}

/* --- table memory -------------------------------------------------------- */

static void *default_alloc(void *ctx, size_t size)
{
	return ufi_aligned_alloc(size, size);
}

static void default_free(void *ctx, void *table, size_t size)
{
	free(table);
}

static uint64_t *table_alloc(struct pt_table *pt, unsigned int lg2)
{
	size_t size = (size_t)1 << lg2;
	uint64_t *t = pt->alloc.alloc(pt->alloc.ctx, size);

	if (!t)
		return NULL;
	memset(t, 0, size);
	pt->nr_tables++;
	return t;
}

static void table_free(struct pt_table *pt, uint64_t *t)
{
	pt->nr_tables--;
	pt->alloc.free(pt->alloc.ctx, t, (size_t)1 << pt->fmt->table_lg2);
}

/*
 * True when every entry of @t is 0.  The scan starts at @hint (just past
 * what the caller cleared, where a neighbour is most likely still live).
 */
static bool table_is_empty(const struct pt_format *fmt, const uint64_t *t,
			   unsigned int level, size_t hint)
{
	size_t n = (size_t)1 << fmt->lvl[level].index_bits;

	for (size_t i = hint; i < n; i++)
		if (pte_load(&t[i]))
			return false;
	for (size_t i = 0; i < hint && i < n; i++)
		if (pte_load(&t[i]))
			return false;
	return true;
}

struct pt_table *pt_table_create(const struct pt_format *fmt,
				 const struct pt_alloc_ops *alloc)
{
	struct pt_table *pt;

	if (!fmt)
		return ERR_PTR(-EINVAL);
	pt = ufi_calloc(1, sizeof(*pt));
	if (!pt)
		return ERR_PTR(-ENOMEM);
	pt->fmt = fmt;
	if (alloc) {
		pt->alloc = *alloc;
	} else {
		pt->alloc.alloc = default_alloc;
		pt->alloc.free = default_free;
	}
	pt->root = table_alloc(pt, fmt->root_lg2);
	if (!pt->root) {
		free(pt);
		return ERR_PTR(-ENOMEM);
	}
	return pt;
}

static void destroy_level(struct pt_table *pt, uint64_t *t, unsigned int level)
{
	const struct pt_format *fmt = pt->fmt;
	size_t n = (size_t)1 << fmt->lvl[level].index_bits;
	struct pt_entry_info info;

	for (size_t i = 0; level && i < n; i++) {
		uint64_t pte = pte_load(&t[i]);

		if (!pte)
			continue;
		pt_format_decode(fmt, level, pte, &info);
		if (info.kind == PT_ENTRY_TABLE &&
		    ALWAYS(info.next_level == level - 1)) {
			destroy_level(pt, pa_to_table(info.addr), level - 1);
			table_free(pt, pa_to_table(info.addr));
		}
	}
}

void pt_table_destroy(struct pt_table *pt)
{
	if (IS_ERR_OR_NULL(pt))
		return;
	destroy_level(pt, pt->root, top_level(pt->fmt));
	pt->nr_tables--;
	pt->alloc.free(pt->alloc.ctx, pt->root, (size_t)1 << pt->fmt->root_lg2);
	free(pt);
}

/* --- range checks --------------------------------------------------------- */

/* Validate (iova, len) for a writer; *last gets the inclusive end. */
static int check_range(const struct pt_format *fmt, uint64_t iova,
		       uint64_t len, uint64_t *last)
{
	uint64_t gmask = (1ull << fmt->granule_lg2) - 1;

	if (!len || ((iova | len) & gmask))
		return -EINVAL;
	if (check_add_overflow_u64(iova, len - 1, last))
		return -EINVAL;
	if (!pt_format_iova_ok(fmt, iova) || !pt_format_iova_ok(fmt, *last))
		return -EINVAL;
	/* Both ends valid but in different halves: the range spans the hole. */
	if (fmt->sign_extend && ((iova ^ *last) >> 63))
		return -EINVAL;
	return 0;
}

static inline uint64_t chunk_end(const struct pt_format *fmt,
				 unsigned int level, uint64_t iova,
				 uint64_t last)
{
	return min_u64(iova | (item_size(fmt, level) - 1), last);
}

/* --- map -------------------------------------------------------------------- */

/* True when any entry in [iova, last] is present. */
static bool range_has_mapping(const struct pt_format *fmt, const uint64_t *t,
			      unsigned int level, uint64_t iova, uint64_t last)
{
	struct pt_entry_info info;

	for (;;) {
		uint64_t chunk_last = chunk_end(fmt, level, iova, last);
		uint64_t pte = pte_load(&t[pt_format_index(fmt, level, iova)]);

		if (pte) {
			pt_format_decode(fmt, level, pte, &info);
			if (info.kind != PT_ENTRY_TABLE ||
			    info.next_level != level - 1)
				return true;
			if (range_has_mapping(fmt, pa_to_table(info.addr),
					      level - 1, iova, chunk_last))
				return true;
		}
		if (chunk_last == last)
			return false;
		iova = chunk_last + 1;
	}
}

/*
 * Largest size in @sizes that iova and oa are both aligned to and that fits
 * in [iova, last]; -1 when none does.
 */
static int pick_leaf(uint64_t sizes, uint64_t iova, uint64_t oa, uint64_t last)
{
	uint64_t span = last - iova; /* bytes - 1 */
	unsigned int len_lg2 =
		span == UINT64_MAX ? 64 : 63 - __builtin_clzll(span + 1);
	uint64_t a = iova | oa;
	unsigned int align_lg2 = a ? (unsigned int)__builtin_ctzll(a) : 64;
	unsigned int lim = min_t(unsigned int, len_lg2, align_lg2);

	if (lim < 63)
		sizes &= (2ull << lim) - 1;
	if (!sizes)
		return -1;
	return 63 - __builtin_clzll(sizes);
}

/*
 * True when, from (iova, oa) on, this level can only ever pick its natural
 * single-entry leaf: it has no larger (contiguous) size that iova and oa
 * could both become aligned to, since they differ below that size.
 */
static inline bool single_entries_only(const struct pt_level_desc *ld,
				       uint64_t iova, uint64_t oa)
{
	uint64_t bigger = ld->leaf_sizes & ~PT_BIT(ld->shift);
	uint64_t diff = iova ^ oa;

	if (diff)
		bigger &= PT_BIT(__builtin_ctzll(diff)) - 1;
	return !bigger;
}

/*
 * Write single-entry leaves from t[idx] to the end of the table or of
 * [iova, last], whichever comes first; returns the last iova mapped.  A
 * natural leaf's encoding is affine in its address (the address is a plain
 * bit field), so the run is the first entry plus multiples of one step.
 */
static uint64_t map_run(const struct pt_format *fmt, uint64_t *t,
			unsigned int level, unsigned int idx, uint64_t iova,
			uint64_t last, uint64_t oa, uint32_t prot)
{
	const struct pt_level_desc *ld = &fmt->lvl[level];
	uint64_t item = item_size(fmt, level);
	uint64_t in_table = (1ull << ld->index_bits) - idx;
	uint64_t span = last - iova; /* bytes - 1 */
	uint64_t in_range = span == UINT64_MAX ? 1ull << (64 - ld->shift) :
						 (span + 1) >> ld->shift;
	uint64_t n = min_u64(in_table, in_range);
	uint64_t first = fmt->ops->make_leaf(fmt, level, oa, ld->shift, prot);
	uint64_t step = 0;

	if (n > 1) {
		step = fmt->ops->make_leaf(fmt, level, oa + item, ld->shift,
					   prot) -
		       first;
		ALWAYS(fmt->ops->make_leaf(fmt, level, oa + (n - 1) * item,
					   ld->shift, prot) ==
		       first + (n - 1) * step);
	}
	for (uint64_t i = 0; i < n; i++) {
		NEVER(pte_load(&t[idx + i]));
		pte_store(&t[idx + i], first + i * step);
	}
	return iova + (n * item - 1);
}

static int map_level(struct pt_table *pt, uint64_t *t, unsigned int level,
		     uint64_t iova, uint64_t last, uint64_t oa, uint32_t prot)
{
	const struct pt_format *fmt = pt->fmt;
	const struct pt_level_desc *ld = &fmt->lvl[level];
	struct pt_entry_info info;
	int ret;

	for (;;) {
		unsigned int idx = pt_format_index(fmt, level, iova);
		int sz = pick_leaf(ld->leaf_sizes, iova, oa, last);
		uint64_t chunk_last;

		if (sz == ld->shift && single_entries_only(ld, iova, oa)) {
			chunk_last = map_run(fmt, t, level, idx, iova, last, oa,
					     prot);
		} else if (sz >= 0) {
			unsigned int n = 1u << (sz - ld->shift);
			uint64_t item = item_size(fmt, level);

			for (unsigned int i = 0; i < n; i++) {
				if (NEVER(pte_load(&t[idx + i])))
					return -EEXIST;
				pte_store(&t[idx + i],
					  fmt->ops->make_leaf(fmt, level,
							      oa + i * item,
							      (unsigned int)sz,
							      prot));
			}
			chunk_last = iova + ((1ull << sz) - 1);
		} else {
			uint64_t pte = pte_load(&t[idx]);
			uint64_t *child;

			if (NEVER(level == 0))
				return -EINVAL;
			chunk_last = chunk_end(fmt, level, iova, last);
			if (!pte) {
				child = table_alloc(pt, fmt->table_lg2);
				if (!child)
					return -ENOMEM;
				pte_store(&t[idx],
					  fmt->ops->make_table(fmt, level,
							       table_to_pa(child)));
			} else {
				pt_format_decode(fmt, level, pte, &info);
				if (NEVER(info.kind != PT_ENTRY_TABLE ||
					  info.next_level != level - 1))
					return -EEXIST;
				child = pa_to_table(info.addr);
			}
			ret = map_level(pt, child, level - 1, iova, chunk_last,
					oa, prot);
			if (ret)
				return ret;
		}
		if (chunk_last == last)
			return 0;
		oa += chunk_last - iova + 1;
		iova = chunk_last + 1;
	}
}

static void unmap_range(struct pt_table *pt, uint64_t iova, uint64_t last,
			uint64_t *unmapped, int *err);

int pt_map(struct pt_table *pt, uint64_t iova, uint64_t oa, uint64_t len,
	   uint32_t prot)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t last, oa_last, undone;
	int ret, err = 0;

	ret = check_range(fmt, iova, len, &last);
	if (ret)
		return ret;
	if (oa & ((1ull << fmt->granule_lg2) - 1))
		return -EINVAL;
	if (check_add_overflow_u64(oa, len - 1, &oa_last) ||
	    (oa_last >> fmt->oas_lg2))
		return -EINVAL;
	if (!(prot & (PT_PROT_READ | PT_PROT_WRITE)))
		return -EINVAL;
	prot = pt_prot_normalize(fmt, prot);

	if (range_has_mapping(fmt, pt->root, top_level(fmt), iova, last))
		return -EEXIST;
	ret = map_level(pt, pt->root, top_level(fmt), iova, last, oa, prot);
	if (ret) {
		/* Everything in the range was empty before: unmap it all. */
		unmap_range(pt, iova, last, &undone, &err);
		NEVER(err);
	}
	return ret;
}

/* --- unmap ---------------------------------------------------------------- */

/*
 * Rewrite the contiguous leaf that entry idx belongs to as single-item
 * leaves, keeping the output range and prot; each entry keeps (or gains)
 * the dirty state of the run.  Needs no memory.
 */
static void explode_contig(const struct pt_format *fmt, uint64_t *t,
			   unsigned int level, unsigned int idx,
			   const struct pt_entry_info *info)
{
	unsigned int n = 1u << (info->size_lg2 - fmt->lvl[level].shift);
	unsigned int first = idx & ~(n - 1);
	uint64_t item = item_size(fmt, level);
	bool run_dirty = false;
	struct pt_entry_info e;

	for (unsigned int i = 0; i < n; i++) {
		pt_format_decode(fmt, level, pte_load(&t[first + i]), &e);
		run_dirty |= e.kind == PT_ENTRY_LEAF && e.dirty;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t old = pte_load(&t[first + i]);
		uint64_t new;

		do {
			pt_format_decode(fmt, level, old, &e);
			new = fmt->ops->make_leaf(fmt, level,
						  info->addr + i * item,
						  fmt->lvl[level].shift,
						  info->prot);
			if (run_dirty || (e.kind == PT_ENTRY_LEAF && e.dirty))
				new = fmt->ops->mkdirty(fmt, new);
		} while (!pte_cas(&t[first + i], &old, new));
	}
}

/*
 * Replace the single-item leaf at t[idx] by a table of next-level leaves
 * mapping the same range.  Returns the new table, or NULL on -ENOMEM.
 */
static uint64_t *split_leaf(struct pt_table *pt, uint64_t *t,
			    unsigned int level, unsigned int idx, uint64_t pte,
			    int *err)
{
	const struct pt_format *fmt = pt->fmt;
	unsigned int cl = level - 1;
	unsigned int n = 1u << fmt->lvl[cl].index_bits;
	uint64_t item = item_size(fmt, cl);
	struct pt_entry_info info;
	uint64_t *child;

	if (!(fmt->lvl[cl].leaf_sizes & PT_BIT(fmt->lvl[cl].shift))) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	child = table_alloc(pt, fmt->table_lg2);
	if (!child) {
		*err = -ENOMEM;
		return NULL;
	}
	for (;;) {
		pt_format_decode(fmt, level, pte, &info);
		for (unsigned int i = 0; i < n; i++) {
			uint64_t e = fmt->ops->make_leaf(fmt, cl,
							 info.addr + i * item,
							 fmt->lvl[cl].shift,
							 info.prot);

			child[i] = info.dirty ? fmt->ops->mkdirty(fmt, e) : e;
		}
		/* Release: the filled table is visible before its pointer. */
		if (pte_cas(&t[idx], &pte,
			    fmt->ops->make_table(fmt, level,
						 table_to_pa(child))))
			return child;
		/* The leaf changed (a dirty bit got set): build again. */
	}
}

struct unmap_state {
	uint64_t unmapped;
	int err;
};

static void unmap_level(struct pt_table *pt, uint64_t *t, unsigned int level,
			uint64_t iova, uint64_t last, struct unmap_state *st)
{
	const struct pt_format *fmt = pt->fmt;
	const uint64_t start = iova;
	struct pt_entry_info info;

	for (;;) {
		unsigned int idx = pt_format_index(fmt, level, iova);
		uint64_t chunk_last = chunk_end(fmt, level, iova, last);
		uint64_t pte = pte_load(&t[idx]);
		uint64_t *child;

		if (!pte)
			goto next;
		pt_format_decode(fmt, level, pte, &info);
		if (info.kind == PT_ENTRY_LEAF) {
			uint64_t size = 1ull << info.size_lg2;
			uint64_t leaf_first = iova & ~(size - 1);
			uint64_t leaf_last = leaf_first + (size - 1);
			unsigned int n = 1u << (info.size_lg2 -
						fmt->lvl[level].shift);

			if (leaf_first >= start && leaf_last <= last) {
				unsigned int first = idx & ~(n - 1);

				for (unsigned int i = 0; i < n; i++)
					pte_store(&t[first + i], 0);
				st->unmapped += size;
				chunk_last = leaf_last;
				goto next;
			}
			if (n > 1) {
				explode_contig(fmt, t, level, idx, &info);
				continue; /* look at this entry again */
			}
			child = split_leaf(pt, t, level, idx, pte, &st->err);
			if (!child)
				return;
		} else if (info.kind == PT_ENTRY_TABLE &&
			   ALWAYS(info.next_level == level - 1)) {
			child = pa_to_table(info.addr);
			if (level == 1 && !(iova & (item_size(fmt, 1) - 1)) &&
			    chunk_last == (iova | (item_size(fmt, 1) - 1))) {
				/* A whole leaf table goes: unlink, count,
				   free.  Every present level-0 entry we
				   write maps exactly one item. */
				size_t n = (size_t)1 << fmt->lvl[0].index_bits;
				uint64_t live = 0;

				pte_store(&t[idx], 0);
				for (size_t i = 0; i < n; i++)
					live += pte_load(&child[i]) != 0;
				st->unmapped += live << fmt->lvl[0].shift;
				table_free(pt, child);
				goto next;
			}
		} else {
			/* Malformed: drop it only when the whole item goes. */
			if ((iova & (item_size(fmt, level) - 1)) == 0 &&
			    chunk_last == (iova | (item_size(fmt, level) - 1)))
				pte_store(&t[idx], 0);
			goto next;
		}

		unmap_level(pt, child, level - 1, iova, chunk_last, st);
		if (table_is_empty(fmt, child, level - 1,
				   chunk_last == (iova | (item_size(fmt, level) - 1)) ?
					   0 :
					   pt_format_index(fmt, level - 1,
							   chunk_last + 1))) {
			pte_store(&t[idx], 0);
			table_free(pt, child);
		}
		if (st->err)
			return;
next:
		if (chunk_last == last)
			return;
		iova = chunk_last + 1;
	}
}

static void unmap_range(struct pt_table *pt, uint64_t iova, uint64_t last,
			uint64_t *unmapped, int *err)
{
	struct unmap_state st = { 0, 0 };

	unmap_level(pt, pt->root, top_level(pt->fmt), iova, last, &st);
	*unmapped = st.unmapped;
	*err = st.err;
}

int pt_unmap(struct pt_table *pt, uint64_t iova, uint64_t len,
	     uint64_t *unmapped)
{
	uint64_t last;
	int ret, err;

	*unmapped = 0;
	ret = check_range(pt->fmt, iova, len, &last);
	if (ret)
		return ret;
	unmap_range(pt, iova, last, unmapped, &err);
	return err;
}

/* --- walk ----------------------------------------------------------------- */

static inline void walk_fill(struct pt_walk *w, uint64_t iova,
			     const struct pt_entry_info *info)
{
	uint64_t mask = (1ull << info->size_lg2) - 1;

	w->size_lg2 = info->size_lg2;
	w->leaf_iova = iova & ~mask;
	w->leaf_oa = info->addr;
	w->oa = info->addr + (iova & mask);
	w->dirty = info->dirty;
	w->prot = info->prot;
}

/* Levels skipped by a table entry (AMD v1) must see zero address bits. */
static inline bool skipped_bits_zero(const struct pt_format *fmt,
				     unsigned int level,
				     unsigned int next_level, uint64_t iova)
{
	unsigned int lo = fmt->lvl[next_level].shift +
			  fmt->lvl[next_level].index_bits;
	unsigned int hi = fmt->lvl[level].shift;

	return lo >= hi || !(iova & PT_GENMASK(hi - 1, lo));
}

int pt_walk(const struct pt_table *pt, uint64_t iova, struct pt_walk *w)
{
	const struct pt_format *fmt = pt->fmt;
	unsigned int level = top_level(fmt);
	uint64_t *t = pt->root;
	struct pt_entry_info info;

	if (!pt_format_iova_ok(fmt, iova))
		return -ERANGE;
	for (;;) {
		uint64_t *p = &t[pt_format_index(fmt, level, iova)];
		uint64_t pte = pte_load(p);

		w->level = (uint8_t)level;
		if (!pte)
			return -ENOENT;
		pt_format_decode(fmt, level, pte, &info);
		switch (info.kind) {
		case PT_ENTRY_EMPTY:
			return -ENOENT;
		case PT_ENTRY_BAD:
			return -EIO;
		case PT_ENTRY_TABLE:
			if (info.next_level >= level)
				return -EIO;
			if (!skipped_bits_zero(fmt, level, info.next_level,
					       iova))
				return -ENOENT;
			level = info.next_level;
			t = pa_to_table(info.addr);
			continue;
		case PT_ENTRY_LEAF:
			walk_fill(w, iova, &info);
			w->ptep = p;
			w->pte = pte;
			return 0;
		}
		return -EIO;
	}
}

int pt_walk_mem(const struct pt_format *fmt, uint64_t root_pa, uint64_t iova,
		pt_read_fn read, void *ctx, struct pt_walk *w)
{
	unsigned int level = top_level(fmt);
	uint64_t table_pa = root_pa;
	struct pt_entry_info info;
	int ret;

	if (!pt_format_iova_ok(fmt, iova))
		return -ERANGE;
	for (;;) {
		uint64_t pte;

		w->level = (uint8_t)level;
		ret = read(ctx, table_pa, pt_format_index(fmt, level, iova),
			   &pte);
		if (ret)
			return ret;
		pt_format_decode(fmt, level, pte, &info);
		switch (info.kind) {
		case PT_ENTRY_EMPTY:
			return -ENOENT;
		case PT_ENTRY_BAD:
			return -EIO;
		case PT_ENTRY_TABLE:
			if (info.next_level >= level)
				return -EIO;
			if (!skipped_bits_zero(fmt, level, info.next_level,
					       iova))
				return -ENOENT;
			level = info.next_level;
			table_pa = info.addr;
			continue;
		case PT_ENTRY_LEAF:
			walk_fill(w, iova, &info);
			w->ptep = NULL;
			w->pte = pte;
			return 0;
		}
		return -EIO;
	}
}

uint64_t pt_iova_to_phys(const struct pt_table *pt, uint64_t iova)
{
	struct pt_walk w;

	if (pt_walk(pt, iova, &w))
		return PT_PHYS_NONE;
	return w.oa;
}

/* --- dirty ------------------------------------------------------------------ */

int pt_set_dirty(const struct pt_table *pt, uint64_t iova)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_walk w;
	int ret;

	for (;;) {
		uint64_t old;

		ret = pt_walk(pt, iova, &w);
		if (ret)
			return ret == -EIO ? -ENOENT : ret;
		if (!(w.prot & PT_PROT_WRITE))
			return -EPERM;
		if (w.dirty)
			return 0;
		old = w.pte;
		if (pte_cas(w.ptep, &old, fmt->ops->mkdirty(fmt, w.pte)))
			return 0;
		/* Entry changed (cleaned, split, unmapped): walk again. */
	}
}

struct dirty_args {
	uint32_t flags;
	pt_dirty_fn fn;
	void *ctx;
};

/* Clean every entry of a (possibly contiguous) leaf; true if any was dirty. */
static bool leaf_dirty(const struct pt_format *fmt, uint64_t *t,
		       unsigned int level, unsigned int first, unsigned int n,
		       bool clear)
{
	struct pt_entry_info e;
	bool dirty = false;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t old = pte_load(&t[first + i]);

		for (;;) {
			pt_format_decode(fmt, level, old, &e);
			if (e.kind != PT_ENTRY_LEAF || !e.dirty)
				break;
			dirty = true;
			if (!clear ||
			    pte_cas(&t[first + i], &old,
				    fmt->ops->mkclean(fmt, old)))
				break;
		}
	}
	return dirty;
}

static void dirty_level(const struct pt_format *fmt, uint64_t *t,
			unsigned int level, uint64_t iova, uint64_t last,
			const struct dirty_args *a)
{
	struct pt_entry_info info;

	for (;;) {
		unsigned int idx = pt_format_index(fmt, level, iova);
		uint64_t chunk_last = chunk_end(fmt, level, iova, last);
		uint64_t pte = pte_load(&t[idx]);

		if (pte) {
			pt_format_decode(fmt, level, pte, &info);
			if (info.kind == PT_ENTRY_TABLE &&
			    info.next_level == level - 1) {
				dirty_level(fmt, pa_to_table(info.addr),
					    level - 1, iova, chunk_last, a);
			} else if (info.kind == PT_ENTRY_LEAF) {
				uint64_t size = 1ull << info.size_lg2;
				uint64_t first_iova = iova & ~(size - 1);
				unsigned int n = 1u << (info.size_lg2 -
							fmt->lvl[level].shift);

				if (leaf_dirty(fmt, t, level, idx & ~(n - 1), n,
					       !(a->flags & PT_DIRTY_NO_CLEAR)))
					a->fn(a->ctx, first_iova, size);
				chunk_last = min_u64(first_iova + (size - 1),
						     last);
			}
		}
		if (chunk_last == last)
			return;
		iova = chunk_last + 1;
	}
}

int pt_read_and_clear_dirty(struct pt_table *pt, uint64_t iova, uint64_t len,
			    uint32_t flags, pt_dirty_fn fn, void *ctx)
{
	struct dirty_args a = { flags, fn, ctx };
	uint64_t last;
	int ret;

	if (flags & ~PT_DIRTY_NO_CLEAR)
		return -EINVAL;
	ret = check_range(pt->fmt, iova, len, &last);
	if (ret)
		return ret;
	dirty_level(pt->fmt, pt->root, top_level(pt->fmt), iova, last, &a);
	return 0;
}

/* --- visit ------------------------------------------------------------------ */

static int visit_level(const struct pt_format *fmt, const uint64_t *t,
		       unsigned int level, uint64_t iova, uint64_t last,
		       pt_visit_fn fn, void *ctx)
{
	struct pt_entry_info info;
	int ret;

	for (;;) {
		uint64_t chunk_last = chunk_end(fmt, level, iova, last);
		uint64_t pte = pte_load(&t[pt_format_index(fmt, level, iova)]);

		if (pte) {
			pt_format_decode(fmt, level, pte, &info);
			if (info.kind == PT_ENTRY_TABLE &&
			    info.next_level == level - 1) {
				ret = visit_level(fmt, pa_to_table(info.addr),
						  level - 1, iova, chunk_last,
						  fn, ctx);
				if (ret)
					return ret;
			} else if (info.kind == PT_ENTRY_LEAF) {
				uint64_t size = 1ull << info.size_lg2;
				struct pt_leaf leaf = {
					.iova = iova & ~(size - 1),
					.oa = info.addr,
					.size_lg2 = info.size_lg2,
					.level = (uint8_t)level,
					.dirty = info.dirty,
					.prot = info.prot,
				};

				ret = fn(ctx, &leaf);
				if (ret)
					return ret;
				chunk_last = min_u64(leaf.iova + (size - 1),
						     last);
			}
		}
		if (chunk_last == last)
			return 0;
		iova = chunk_last + 1;
	}
}

int pt_visit(const struct pt_table *pt, uint64_t iova, uint64_t len,
	     pt_visit_fn fn, void *ctx)
{
	uint64_t last;
	int ret;

	ret = check_range(pt->fmt, iova, len, &last);
	if (ret)
		return ret;
	return visit_level(pt->fmt, pt->root, top_level(pt->fmt), iova, last,
			   fn, ctx);
}

/* --- collapse --------------------------------------------------------------- */

/*
 * If the table @child (level - 1) maps one contiguous output range with one
 * prot, aligned for a leaf of @level, return that leaf entry; else 0.
 */
static uint64_t collapsed_leaf(const struct pt_format *fmt,
			       const uint64_t *child, unsigned int level)
{
	unsigned int cl = level - 1;
	unsigned int n = 1u << fmt->lvl[cl].index_bits;
	uint64_t item = item_size(fmt, cl);
	struct pt_entry_info first, e;
	bool dirty = false;
	uint64_t leaf;

	if (!(fmt->lvl[level].leaf_sizes & PT_BIT(fmt->lvl[level].shift)))
		return 0;
	pt_format_decode(fmt, cl, pte_load(&child[0]), &first);
	if (first.kind != PT_ENTRY_LEAF ||
	    (first.addr & (item_size(fmt, level) - 1)))
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = first.addr + i * item;

		pt_format_decode(fmt, cl, pte_load(&child[i]), &e);
		if (e.kind != PT_ENTRY_LEAF || e.prot != first.prot)
			return 0;
		/* e.addr is the start of its (possibly contiguous) leaf. */
		if (e.addr + ((uint64_t)i * item & ((1ull << e.size_lg2) - 1)) !=
		    want)
			return 0;
		dirty |= e.dirty;
	}
	leaf = fmt->ops->make_leaf(fmt, level, first.addr, fmt->lvl[level].shift,
				   first.prot);
	return dirty ? fmt->ops->mkdirty(fmt, leaf) : leaf;
}

static int collapse_level(struct pt_table *pt, uint64_t *t, unsigned int level,
			  uint64_t iova, uint64_t last)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_entry_info info;
	int freed = 0;

	for (;;) {
		unsigned int idx = pt_format_index(fmt, level, iova);
		uint64_t chunk_last = chunk_end(fmt, level, iova, last);
		uint64_t pte = pte_load(&t[idx]);
		uint64_t item_mask = item_size(fmt, level) - 1;

		if (!pte)
			goto next;
		pt_format_decode(fmt, level, pte, &info);
		if (info.kind != PT_ENTRY_TABLE || info.next_level != level - 1)
			goto next;
		if (level >= 2)
			freed += collapse_level(pt, pa_to_table(info.addr),
						level - 1, iova, chunk_last);
		if (!(iova & item_mask) && chunk_last == (iova | item_mask)) {
			uint64_t *child = pa_to_table(info.addr);
			uint64_t leaf = collapsed_leaf(fmt, child, level);
			if (!leaf)
				goto next;
			pte_store(&t[idx], leaf);
			table_free(pt, child);
			freed++;
		}
next:
		if (chunk_last == last)
			return freed;
		iova = chunk_last + 1;
	}
}

int pt_collapse(struct pt_table *pt, uint64_t iova, uint64_t len)
{
	uint64_t last;
	int ret;

	ret = check_range(pt->fmt, iova, len, &last);
	if (ret)
		return ret;
	if (pt->fmt->levels < 2)
		return 0;
	return collapse_level(pt, pt->root, top_level(pt->fmt), iova, last);
}

/* --- sanity ------------------------------------------------------------------ */

static bool sane_level(const struct pt_format *fmt, const uint64_t *t,
		       unsigned int level, size_t n, uint64_t *tables)
{
	struct pt_entry_info info, e;

	for (size_t i = 0; i < n; i++) {
		uint64_t pte = pte_load(&t[i]);
		const uint64_t *child;
		unsigned int run;

		if (!pte)
			continue;
		pt_format_decode(fmt, level, pte, &info);
		switch (info.kind) {
		case PT_ENTRY_EMPTY:
		case PT_ENTRY_BAD:
			return false;
		case PT_ENTRY_TABLE:
			child = pa_to_table(info.addr);
			if (!level || info.next_level != level - 1 ||
			    (info.addr & ((1ull << fmt->table_lg2) - 1)) ||
			    table_is_empty(fmt, child, level - 1, 0))
				return false;
			(*tables)++;
			if (!sane_level(fmt, child, level - 1,
					(size_t)1 << fmt->lvl[level - 1].index_bits,
					tables))
				return false;
			break;
		case PT_ENTRY_LEAF:
			if (!(fmt->lvl[level].leaf_sizes & PT_BIT(info.size_lg2)))
				return false;
			run = 1u << (info.size_lg2 - fmt->lvl[level].shift);
			if (run == 1)
				break;
			/* A contiguous leaf: its first entry checks the rest. */
			if (i & (run - 1))
				return false;
			for (unsigned int j = 1; j < run; j++) {
				pt_format_decode(fmt, level, pte_load(&t[i + j]),
						 &e);
				if (e.kind != PT_ENTRY_LEAF ||
				    e.size_lg2 != info.size_lg2 ||
				    e.addr != info.addr || e.prot != info.prot)
					return false;
			}
			i += run - 1;
			break;
		}
	}
	return true;
}

bool __pt_table_sane(const struct pt_table *pt)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t tables = 1;

	if (!sane_level(fmt, pt->root, top_level(fmt),
			(size_t)1 << fmt->lvl[top_level(fmt)].index_bits,
			&tables))
		return false;
	return tables == pt->nr_tables;
}
