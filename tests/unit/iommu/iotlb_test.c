/*
 * iotlb_test.c - the IOTLB against a brute-force model.  The model is the
 * set of entries filled and not invalidated since; a cache may forget
 * anything (eviction), but every hit must be an entry of the model, with
 * the block's address and permission, and after an invalidation nothing it
 * covered may hit.  Random fills, lookups and invalidations of every
 * granularity over a small key space and a small cache (so that sets
 * collide and evict); the seed is fixed and printed.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iotlb.h"
#include "iommu/unit.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define MAX_MODEL 4096

struct mentry {
	uint32_t tag, s2tag, pasid;
	unsigned int b;
	uint64_t block, phys;
	uint32_t perm;
	bool live;
};

static struct mentry model[MAX_MODEL];
static unsigned int nmodel;

static void model_fill(uint32_t tag, uint32_t s2tag, uint32_t pasid,
		       unsigned int b, uint64_t block, uint64_t phys,
		       uint32_t perm)
{
	for (unsigned int i = 0; i < nmodel; i++) {
		struct mentry *m = &model[i];

		if (m->live && m->tag == tag && m->pasid == pasid &&
		    m->b == b && m->block == block)
			m->live = false;
	}
	for (unsigned int i = 0; i < nmodel; i++) {
		if (!model[i].live) {
			model[i] = (struct mentry){tag,	  s2tag, pasid, b,
						   block, phys,	 perm,	true};
			return;
		}
	}
	CHECK(nmodel < MAX_MODEL);
	model[nmodel++] =
	    (struct mentry){tag, s2tag, pasid, b, block, phys, perm, true};
}

static void model_inv(uint32_t tag, uint32_t pasid, uint64_t iova, uint64_t len,
		      bool s2)
{
	for (unsigned int i = 0; i < nmodel; i++) {
		struct mentry *m = &model[i];
		unsigned int lg2 = iotlb_block_lg2(m->b);
		uint64_t first = m->block << lg2;
		uint64_t last = first + (1ull << lg2) - 1;

		if (!m->live)
			continue;
		if (tag && s2 && m->s2tag == tag) {
			m->live = false;
			continue;
		}
		if (tag && m->tag != tag)
			continue;
		if (pasid != IOMMU_INV_ANY_PASID && m->pasid != pasid)
			continue;
		if (len && tag && (last < iova || first > iova + len - 1))
			continue;
		m->live = false;
	}
}

/* Does the hit agree with a live model entry? */
static bool model_explains(uint32_t tag, uint32_t pasid, uint64_t iova,
			   const struct iotlb_hit *h)
{
	for (unsigned int i = 0; i < nmodel; i++) {
		const struct mentry *m = &model[i];
		unsigned int lg2 = iotlb_block_lg2(m->b);

		if (m->live && m->tag == tag && m->pasid == pasid &&
		    m->block == iova >> lg2 && h->block_lg2 == lg2 &&
		    h->phys == m->phys + (iova & ((1ull << lg2) - 1)) &&
		    h->perm == m->perm)
			return true;
	}
	return false;
}

static uint64_t rnd_iova(void)
{
	/* Two 1G regions, clustered so that blocks overlap. */
	return ((rnd() & 1) << 30) + (rnd() % 16) * 4096 +
	       (rnd() & 1) * (2ull << 20) + (rnd() & 0xfff);
}

TEST(iotlb_against_model)
{
	struct iotlb t;
	uint64_t seed = 0x10ab;
	unsigned long hits = 0, fills = 0;

	printf("  seed %llu\n", (unsigned long long)seed);
	rng_state = seed;
	CHECK_EQ(iotlb_init(&t, 3, 1, false), -EINVAL);
	CHECK_EQ(iotlb_init(&t, 64, 16, false), -EINVAL);
	CHECK_EQ(iotlb_init(&t, 256, 4, true), 0);
	for (unsigned int step = 0; step < 200000; step++) {
		unsigned int op = rnd() % 16;
		uint32_t tag = 1 + rnd() % 3, pasid = rnd() % 3;

		if (op < 5) {
			unsigned int b = rnd() % 4 == 0 ? 1 : 0;
			uint64_t iova = rnd_iova();
			uint64_t blk = iova >> iotlb_block_lg2(b);
			uint64_t phys = (rnd() % 1024) << 30;
			uint32_t perm = rnd() & IOTLB_PERM_MASK;
			uint32_t s2tag = rnd() % 4 == 0 ? 7 : 0;

			if (rnd() % 50 == 0)
				b = 2;
			blk = iova >> iotlb_block_lg2(b);
			if (iotlb_fill(&t, iotlb_gen(&t), tag, s2tag, pasid,
				       iova, b, phys, perm)) {
				model_fill(tag, s2tag, pasid, b, blk, phys,
					   perm);
				fills++;
			}
		} else if (op < 13) {
			uint64_t iova = rnd_iova();
			struct iotlb_hit h;

			if (iotlb_lookup(&t, tag, pasid, iova, &h)) {
				hits++;
				if (!model_explains(tag, pasid, iova, &h))
					test_fail(__FILE__, __LINE__,
						  "step %u: stale or wrong hit "
						  "tag %u pasid %u iova 0x%llx",
						  step, tag, pasid,
						  (unsigned long long)iova);
			}
		} else {
			unsigned int g = rnd() % 6;
			uint64_t iova = rnd_iova() & ~0xfffull;
			uint64_t len = g == 4 ? (1 + rnd() % 600) * 4096
					      : (1 + rnd() % 8) * 4096;
			uint32_t p = rnd() % 2 ? pasid : IOMMU_INV_ANY_PASID;
			bool s2 = rnd() % 3 == 0;

			if (g == 0) { /* global */
				tag = 0;
				len = 0;
				p = IOMMU_INV_ANY_PASID;
			} else if (g == 1) { /* domain / pasid */
				len = 0;
			} else if (g == 5) { /* a stage-2 tag */
				tag = 7;
			}
			iotlb_invalidate(&t, tag, p, iova, len, s2);
			model_inv(tag, p, iova, len, s2);
		}
	}
	printf("  %lu fills, %lu hits\n", fills, hits);
	CHECK(hits > 1000);
	/* A fill racing an invalidation (older generation) is dropped. */
	{
		uint64_t gen = iotlb_gen(&t);
		struct iotlb_hit h;

		iotlb_invalidate(&t, 0, IOMMU_INV_ANY_PASID, 0, 0, false);
		CHECK(!iotlb_fill(&t, gen, 1, 0, 0, 0x5000, 0, 0x9000,
				  IOMMU_ACC_READ));
		CHECK(!iotlb_lookup(&t, 1, 0, 0x5000, &h));
		CHECK(iotlb_fill(&t, iotlb_gen(&t), 1, 0, 0, 0x5000, 0, 0x9000,
				 IOMMU_ACC_READ));
		CHECK(iotlb_lookup(&t, 1, 0, 0x5123, &h));
		CHECK_EQ(h.phys, 0x9123);
		CHECK_EQ(h.block_end, 0x6000);
	}
	iotlb_destroy(&t);
}

TEST(iotlb_block_sizes)
{
	CHECK_EQ(iotlb_block_for(12), 0);
	CHECK_EQ(iotlb_block_for(16), 0);
	CHECK_EQ(iotlb_block_for(21), 1);
	CHECK_EQ(iotlb_block_for(29), 1);
	CHECK_EQ(iotlb_block_for(30), 2);
	CHECK_EQ(iotlb_block_for(39), 2);
}
