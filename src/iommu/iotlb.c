/*
 * iotlb.c - fill and invalidation of a unit's IOTLB (lookups are inline in
 * iotlb.h).  See iotlb.h for the entry format and the concurrency rules.
 *
 * Writers own one entry at a time: entry_trylock() turns its even sequence
 * count odd with a compare-and-exchange, entry_unlock() makes it even again
 * with a release store.  Fills never wait (a busy entry means "don't
 * cache"); invalidations wait for the owner.  An invalidation raises the
 * in-progress count and bumps the generation (sequentially consistent)
 * before it scans, and bumps the generation again before it lowers the
 * count; a fill re-reads both (sequentially consistent) while it owns its
 * entry.  So of a racing fill and invalidation either the fill sees the
 * change and gives up, or the scan sees the filled entry and drops it; and a
 * walk that overlapped an invalidation (and so may have used an entry the
 * scan had not reached yet) never fills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iotlb.h"
#include "iommu/unit.h"
#include "util/fault_inject.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

int iotlb_init(struct iotlb *t, uint32_t entries, unsigned int ways, bool nest)
{
	size_t bytes;

	memset(t, 0, sizeof(*t));
	if (!ways || ways > 8 || (ways & (ways - 1)) || entries < ways ||
	    (entries & (entries - 1)))
		return -EINVAL;
	bytes = (size_t)entries * sizeof(struct iotlb_entry);
	t->e = ufi_aligned_alloc(64, bytes < 64 ? 64 : bytes);
	if (!t->e)
		return -ENOMEM;
	memset(t->e, 0, bytes);
	t->ways = (uint8_t)ways;
	t->set_mask = entries / ways - 1;
	t->set_bits = (uint8_t)__builtin_ctz(entries / ways);
	t->nest = nest;
	return 0;
}

void iotlb_destroy(struct iotlb *t)
{
	free(t->e);
	t->e = NULL;
}

static bool entry_trylock(struct iotlb_entry *e, uint32_t *seq)
{
	uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	if (!__atomic_compare_exchange_n(&e->seq, &s, s + 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	*seq = s + 1;
	return true;
}

static void entry_unlock(struct iotlb_entry *e, uint32_t seq)
{
	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELEASE);
}

bool __iotlb_lookup_large(const struct iotlb *t, uint32_t tag, uint32_t pasid,
			  uint64_t iova, uint32_t used, struct iotlb_hit *hit)
{
	for (unsigned int b = 1; b < IOTLB_NR_BLOCKS; b++)
		if ((used & (1u << b)) &&
		    iotlb_probe(t, tag, pasid, iova, b, hit))
			return true;
	return false;
}

bool iotlb_fill(struct iotlb *t, uint64_t gen, uint32_t tag, uint32_t s2tag,
		uint32_t pasid, uint64_t iova, unsigned int b,
		uint64_t block_phys, uint32_t perm)
{
	unsigned int lg2 = iotlb_block_lg2(b);
	uint64_t block = iova >> lg2;
	struct iotlb_entry *set =
	    &t->e[(size_t)iotlb_hash(t, block, b) * t->ways];
	uint64_t id = iotlb_id(tag, pasid, b, perm);
	struct iotlb_entry *e = NULL;
	uint32_t seq;

	if (!(__atomic_load_n(&t->used_blocks, __ATOMIC_RELAXED) & (1u << b)))
		__atomic_fetch_or(&t->used_blocks, 1u << b, __ATOMIC_SEQ_CST);

	/* Same key already there (a refill after a permission upgrade)? */
	for (unsigned int w = 0; w < t->ways && !e; w++) {
		struct iotlb_entry *c = &set[w];
		uint64_t cid = __atomic_load_n(&c->id, __ATOMIC_RELAXED);

		if (__atomic_load_n(&c->block, __ATOMIC_RELAXED) == block &&
		    (cid & ~IOTLB_ID_PERM_MASK) == (id & ~IOTLB_ID_PERM_MASK))
			e = c;
	}
	for (unsigned int w = 0; w < t->ways && !e; w++)
		if (!(__atomic_load_n(&set[w].id, __ATOMIC_RELAXED) >> 32 &
		      IOTLB_W_VALID))
			e = &set[w];
	if (!e) {
		uint32_t v = __atomic_load_n(&t->victim, __ATOMIC_RELAXED);

		__atomic_store_n(&t->victim, v + 1, __ATOMIC_RELAXED);

		e = &set[v & (t->ways - 1u)];
	}
	if (!entry_trylock(e, &seq))
		return false;
	if (__atomic_load_n(&t->gen, __ATOMIC_SEQ_CST) != gen ||
	    __atomic_load_n(&t->active, __ATOMIC_SEQ_CST)) {
		entry_unlock(e, seq);
		return false;
	}
	__atomic_store_n(&e->s2tag, s2tag, __ATOMIC_RELEASE);
	__atomic_store_n(&e->block, block, __ATOMIC_RELEASE);
	__atomic_store_n(&e->phys, block_phys, __ATOMIC_RELEASE);
	__atomic_store_n(&e->id, id, __ATOMIC_RELEASE);
	entry_unlock(e, seq);
	return true;
}

struct inv_key {
	uint32_t tag;	      /* 0: any */
	uint32_t pasid;	      /* IOMMU_INV_ANY_PASID: any */
	uint64_t start, last; /* address range; ignored when all */
	bool all;	      /* every address */
	bool s2;	      /* also nested entries with s2tag == tag */
};

/* Does a snapshot of an entry match? */
static bool inv_match(const struct inv_key *k, uint64_t id, uint32_t s2tag,
		      uint64_t block)
{
	uint32_t tag = (uint32_t)id, word = (uint32_t)(id >> 32);
	unsigned int b = (word >> IOTLB_W_BLOCK_SHIFT) & 3;
	uint64_t first, last;

	if (!(word & IOTLB_W_VALID))
		return false;
	if (k->s2 && k->tag && s2tag == k->tag)
		return true;
	if (k->tag && tag != k->tag)
		return false;
	if (k->pasid != IOMMU_INV_ANY_PASID &&
	    (word & IOTLB_W_PASID_MASK) != k->pasid)
		return false;
	if (k->all)
		return true;
	first = block << iotlb_block_lg2(b);
	last = first + ((1ull << iotlb_block_lg2(b)) - 1);
	return first <= k->last && last >= k->start;
}

static void inv_entry(struct iotlb_entry *e, const struct inv_key *k)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_SEQ_CST);
		uint32_t s2tag;
		uint64_t id, block;

		if (s & 1) {
			cpu_relax();
			continue;
		}
		id = __atomic_load_n(&e->id, __ATOMIC_ACQUIRE);
		s2tag = __atomic_load_n(&e->s2tag, __ATOMIC_ACQUIRE);
		block = __atomic_load_n(&e->block, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s)
			continue;
		if (!inv_match(k, id, s2tag, block))
			return;
		if (!__atomic_compare_exchange_n(&e->seq, &s, s + 1, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&e->id, 0, __ATOMIC_RELEASE);
		entry_unlock(e, s + 1);
		return;
	}
}

static void inv_scan(struct iotlb *t, const struct inv_key *k)
{
	size_t n = (size_t)(t->set_mask + 1) * t->ways;

	for (size_t i = 0; i < n; i++)
		inv_entry(&t->e[i], k);
}

static void inv_set(struct iotlb *t, size_t set, const struct inv_key *k)
{
	for (unsigned int w = 0; w < t->ways; w++)
		inv_entry(&t->e[set * t->ways + w], k);
}

static void inv_run(struct iotlb *t, const struct inv_key *kp, uint32_t used,
		    bool s2)
{
	const struct inv_key k = *kp;
	uint64_t probes = 0;

	if (k.all || (s2 && t->nest)) {
		inv_scan(t, &k);
		return;
	}
	for (unsigned int b = 0; b < IOTLB_NR_BLOCKS; b++) {
		unsigned int lg2 = iotlb_block_lg2(b);

		if (used & (1u << b))
			probes += (k.last >> lg2) - (k.start >> lg2) + 1;
	}
	if (probes > t->set_mask + 1ull) {
		inv_scan(t, &k);
		return;
	}
	for (unsigned int b = 0; b < IOTLB_NR_BLOCKS; b++) {
		unsigned int lg2 = iotlb_block_lg2(b);

		if (!(used & (1u << b)))
			continue;
		for (uint64_t blk = k.start >> lg2;; blk++) {
			inv_set(t, iotlb_hash(t, blk, b), &k);
			if (blk == k.last >> lg2)
				break;
		}
	}
}

void iotlb_invalidate(struct iotlb *t, uint32_t tag, uint32_t pasid,
		      uint64_t iova, uint64_t len, bool s2)
{
	struct inv_key k = {
	    .tag = tag,
	    .pasid = pasid,
	    .start = iova,
	    .all = !len || !tag,
	    .s2 = s2,
	};
	uint32_t used;

	if (!k.all && __builtin_add_overflow(iova, len - 1, &k.last))
		k.last = UINT64_MAX;
	__atomic_fetch_add(&t->active, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_SEQ_CST);
	used = __atomic_load_n(&t->used_blocks, __ATOMIC_SEQ_CST);
	inv_run(t, &k, used, s2);
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&t->active, 1, __ATOMIC_SEQ_CST);
}
