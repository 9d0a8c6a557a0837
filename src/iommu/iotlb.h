/*
 * iotlb.h - a unit's IOTLB: a set-associative cache of leaf translations,
 * tagged by (domain tag, stage-2 tag, PASID, address block), read without
 * locks.
 *
 * Entries cache "blocks": a leaf is cached as the block of 4 KiB, 2 MiB or
 * 1 GiB (the largest not bigger than the leaf, and for nested translations
 * not bigger than the stage-2 leaf) around the address looked up, so every
 * entry is found by probing at most three block sizes, and an invalidation
 * of a range finds every entry meeting it.  The set of an entry depends on
 * its block only, not on its tag.  An entry records the block's
 * host address and the access it allows (IOMMU_ACC_* plus IOTLB_PERM_USER
 * and IOTLB_PERM_DIRTY_OK: a write needs no dirty-bit update).
 *
 * As in hardware, an entry stays usable until it is invalidated: changing a
 * page table does not change what the IOTLB returns.
 *
 * Concurrency: each entry has a sequence count; lookups read an entry
 * (acquire loads) between two loads of it and ignore it when it changed or
 * is odd.  Writers (fill, invalidate) own an entry while its count is odd
 * (compare-and-exchange) and write its fields with release stores.  A fill
 * races with invalidations through a generation count, bumped when an
 * invalidation starts and when it ends, and a count of invalidations in
 * progress: a walker takes iotlb_gen() before it reads
 * page tables (or IOTLB entries: nested walks build on cached stage-2
 * entries), and iotlb_fill() drops the entry when an invalidation is in
 * progress or started since then.  Hence, after iotlb_invalidate() returns,
 * no entry built from tables or entries as they were before the call can
 * appear any more.
 */
#ifndef UIOMMU_IOMMU_IOTLB_H
#define UIOMMU_IOMMU_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/translate.h"
#include "util/compiler.h"

enum {
	IOTLB_PERM_USER = 1u << 4,     /* unprivileged access allowed */
	IOTLB_PERM_DIRTY_OK = 1u << 5, /* write allowed without dirty update */
	IOTLB_PERM_MASK = 0x3f,
};

#define IOTLB_NR_BLOCKS 3

/* Block b covers 2^(12 + 9b) bytes: 4K, 2M, 1G. */
static inline unsigned int iotlb_block_lg2(unsigned int b)
{
	return 12 + 9 * b;
}

/*
 * An entry.  id packs the tag (bits 31..0) with a word (bits 63..32): the
 * PASID (20 bits), the permission (6 bits), the block index (2 bits) and a
 * valid bit (bit 31 of the word), so that a lookup compares two 64-bit
 * values.
 */
struct iotlb_entry {
	uint32_t seq;
	uint32_t s2tag; /* nested: the stage-2 tag; else 0 */
	uint64_t id;
	uint64_t block; /* iova >> block_lg2 */
	uint64_t phys;	/* host address of the block */
};

#define IOTLB_W_PASID_MASK ((1u << 20) - 1)
#define IOTLB_W_PERM_SHIFT 20
#define IOTLB_W_BLOCK_SHIFT 26
#define IOTLB_W_VALID (1u << 31)
#define IOTLB_ID_PERM_MASK ((uint64_t)IOTLB_PERM_MASK << (32 + 20))

static inline uint64_t iotlb_id(uint32_t tag, uint32_t pasid, unsigned int b,
				uint32_t perm)
{
	uint32_t w = (pasid & IOTLB_W_PASID_MASK) | IOTLB_W_VALID |
		     ((uint32_t)b << IOTLB_W_BLOCK_SHIFT) |
		     ((perm & IOTLB_PERM_MASK) << IOTLB_W_PERM_SHIFT);

	return tag | (uint64_t)w << 32;
}

struct iotlb {
	struct iotlb_entry *e; /* nr_sets * ways, a set contiguous */
	uint32_t set_mask;
	uint8_t set_bits;
	uint8_t ways;
	uint32_t used_blocks; /* block sizes ever filled (bitmap) */
	uint64_t gen;	      /* invalidation starts and ends */
	uint32_t active;      /* invalidations in progress */
	uint32_t victim;      /* replacement hint */
	bool nest;	      /* stage-2 invalidations scan for nested */
};

/* What a lookup found. */
struct iotlb_hit {
	uintptr_t phys;	    /* host address of the looked-up iova */
	uint64_t block_end; /* first iova after the block (0: wraps) */
	uint32_t perm;	    /* IOMMU_ACC_* | IOTLB_PERM_* */
	uint8_t block_lg2;  /* size of the block */
};

/* 0, or -ENOMEM / -EINVAL (entries not a power of two >= ways). */
int iotlb_init(struct iotlb *t, uint32_t entries, unsigned int ways, bool nest);
void iotlb_destroy(struct iotlb *t);

static inline uint64_t iotlb_gen(const struct iotlb *t)
{
	return __atomic_load_n(&t->gen, __ATOMIC_SEQ_CST);
}

/*
 * The set of a block.  Like a hardware IOTLB indexed by address bits, the
 * index does not depend on the tag: it can be computed (and the set loaded)
 * while the slot's entry is still being looked up.
 */
static inline uint32_t iotlb_hash(const struct iotlb *t, uint64_t block,
				  unsigned int b)
{
	uint64_t h = (block ^ ((uint64_t)b << 62)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & t->set_mask;
}

static inline bool iotlb_probe(const struct iotlb *t, uint32_t tag,
			       uint32_t pasid, uint64_t iova, unsigned int b,
			       struct iotlb_hit *hit)
{
	unsigned int lg2 = iotlb_block_lg2(b);
	uint64_t block = iova >> lg2;
	const struct iotlb_entry *e =
	    &t->e[(size_t)iotlb_hash(t, block, b) * t->ways];
	const struct iotlb_entry *end = e + t->ways;
	uint64_t want = iotlb_id(tag, pasid, b, 0);

	for (; e < end; e++) {
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		uint64_t id = __atomic_load_n(&e->id, __ATOMIC_ACQUIRE);
		uint64_t eblock = __atomic_load_n(&e->block, __ATOMIC_ACQUIRE);
		uint64_t phys = __atomic_load_n(&e->phys, __ATOMIC_ACQUIRE);

		if ((id & ~IOTLB_ID_PERM_MASK) != want || eblock != block ||
		    (s & 1))
			continue;
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s)
			continue;
		hit->phys = (uintptr_t)(phys + (iova & ((1ull << lg2) - 1)));
		hit->block_end = (block + 1) << lg2;
		hit->perm = (uint32_t)(id >> (32 + IOTLB_W_PERM_SHIFT)) &
			    IOTLB_PERM_MASK;
		hit->block_lg2 = (uint8_t)lg2;
		return true;
	}
	return false;
}

/* 2M and 1G blocks (out of line: most hits are 4K). */
bool __iotlb_lookup_large(const struct iotlb *t, uint32_t tag, uint32_t pasid,
			  uint64_t iova, uint32_t used, struct iotlb_hit *hit);

/* Look @iova up for (@tag, @pasid).  Lock-free. */
static inline bool iotlb_lookup(const struct iotlb *t, uint32_t tag,
				uint32_t pasid, uint64_t iova,
				struct iotlb_hit *hit)
{
	uint32_t used = __atomic_load_n(&t->used_blocks, __ATOMIC_RELAXED);

	if (likely(used & 1) && iotlb_probe(t, tag, pasid, iova, 0, hit))
		return true;
	if (used & ~1u)
		return __iotlb_lookup_large(t, tag, pasid, iova, used, hit);
	return false;
}

/* Largest block index for a translation of 2^size_lg2 bytes. */
static inline unsigned int iotlb_block_for(unsigned int size_lg2)
{
	unsigned int b = 0;

	while (b + 1 < IOTLB_NR_BLOCKS && iotlb_block_lg2(b + 1) <= size_lg2)
		b++;
	return b;
}

/*
 * Cache the block @b around @iova, whose first byte is at host address
 * @block_phys, if no invalidation started since @gen.  True if cached.
 */
bool iotlb_fill(struct iotlb *t, uint64_t gen, uint32_t tag, uint32_t s2tag,
		uint32_t pasid, uint64_t iova, unsigned int b,
		uint64_t block_phys, uint32_t perm);

/*
 * Drop entries.  tag 0 = every tag (GLOBAL); pasid IOMMU_INV_ANY_PASID =
 * any; len 0 = every address.  @s2 also drops nested entries whose s2tag is
 * @tag (any address: their addresses are stage-1 ones).
 */
void iotlb_invalidate(struct iotlb *t, uint32_t tag, uint32_t pasid,
		      uint64_t iova, uint64_t len, bool s2);

#endif
