/*
 * iommu_test.h - helpers shared by the software IOMMU's unit tests: one
 * unit per vendor type, guard-page-protected buffers (a stray DMA crashes
 * the test instead of passing silently), a builder of stage-1 tables in
 * "guest" memory, and TYPE_TEST(), which runs a body once per unit type.
 */
#ifndef UIOMMU_TESTS_IOMMU_TEST_H
#define UIOMMU_TESTS_IOMMU_TEST_H

#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/dma.h"
#include "iommu/pt/pt.h"
#include "iommu/translate.h"
#include "iommu/unit.h"
#include "util/err.h"

#define PG 4096ull
#define IOVA_BASE 0x10000000ull
#define RID0 0x0100u /* 01:00.0 */
#define RID1 0x0208u /* 02:01.0 */

/* Every type with every feature; faults=64 keeps logs small. */
static const char *const unit_decl[IOMMU_UNIT_NR_TYPES] = {
    [IOMMU_UNIT_VTD] = "unit vtd0 type=vtd aw=48 pasid=20 nest dirty ats "
		       "pri exec priv faults=64",
    [IOMMU_UNIT_AMD] = "unit amd0 type=amd aw=48 pasid=16 nest dirty pri "
		       "faults=64",
    [IOMMU_UNIT_SMMUV3] = "unit smmu0 type=smmuv3 aw=48 pasid=20 nest "
			  "dirty ats pri faults=64",
    [IOMMU_UNIT_RISCV] = "unit riscv0 type=riscv aw=48 pasid=20 nest dirty "
			 "pri exec priv faults=64",
};

static inline struct iommu_unit *unit_new_str(const char *decl)
{
	char err[256];
	struct iommu_unit *u = iommu_unit_create_str(decl, err, sizeof(err));

	if (IS_ERR(u))
		test_fail(__FILE__, __LINE__, "create '%s': %s", decl, err);
	return u;
}

static inline struct iommu_unit *unit_new(enum iommu_unit_type t)
{
	return unit_new_str(unit_decl[t]);
}

/*
 * TYPE_TEST(name) { body using `type` }: one test per unit type, named
 * name_vtd, name_amd, name_smmuv3, name_riscv.
 */
#define TYPE_TEST(tname)                                     \
	static void tname##_body(enum iommu_unit_type type); \
	TEST(tname##_vtd)                                    \
	{                                                    \
		tname##_body(IOMMU_UNIT_VTD);                \
	}                                                    \
	TEST(tname##_amd)                                    \
	{                                                    \
		tname##_body(IOMMU_UNIT_AMD);                \
	}                                                    \
	TEST(tname##_smmuv3)                                 \
	{                                                    \
		tname##_body(IOMMU_UNIT_SMMUV3);             \
	}                                                    \
	TEST(tname##_riscv)                                  \
	{                                                    \
		tname##_body(IOMMU_UNIT_RISCV);              \
	}                                                    \
	static void tname##_body(enum iommu_unit_type type)

/*
 * @len bytes, aligned to @align (a power of two >= 4 KiB), with an
 * inaccessible page right before and right after.
 */
static inline void *gbuf_alloc(size_t len, size_t align)
{
	size_t map_len = len + align + 2 * PG;
	char *m =
	    mmap(NULL, map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t p;

	CHECK(m != MAP_FAILED);
	p = ((uintptr_t)m + PG + align - 1) & ~(uintptr_t)(align - 1);
	CHECK(!mprotect((void *)p, len, PROT_READ | PROT_WRITE));
	memset((void *)p, 0, len);
	return (void *)p;
}

static inline void fill_pattern(void *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

static inline bool all_bytes(const void *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != v)
			return false;
	return true;
}

/* Map @len at @iova to host @buf through the domain's ops (RW). */
static inline void dom_map(struct iommu_domain *d, uint64_t iova, void *buf,
			   uint64_t len, int prot)
{
	int ret = d->ops->map(d, iova, (uintptr_t)buf, len, prot);

	if (ret)
		test_fail(__FILE__, __LINE__, "map 0x%llx+0x%llx: %d",
			  (unsigned long long)iova, (unsigned long long)len,
			  ret);
}

static inline struct iommu_domain *dom_paging(struct iommu_unit *u,
					      uint32_t flags)
{
	struct iommu_domain *d = iommu_unit_domain_alloc_paging(u, flags);

	if (IS_ERR(d))
		test_fail(__FILE__, __LINE__, "alloc paging 0x%x: %ld", flags,
			  PTR_ERR(d));
	return d;
}

/* Translate one byte's worth inside a read-side section. */
static inline int xlate(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
			uint64_t iova, uint32_t acc, struct iommu_xlate *x,
			struct iommu_fault_record *f)
{
	int ret;

	iommu_dma_begin();
	ret = iommu_translate(u, rid, pasid, iova, 1, acc, x, f);
	iommu_dma_end();
	return ret;
}

static inline uintptr_t xlate_phys(struct iommu_unit *u, uint32_t rid,
				   uint32_t pasid, uint64_t iova)
{
	struct iommu_xlate x;

	if (xlate(u, rid, pasid, iova, IOMMU_ACC_READ, &x, NULL))
		return 0;
	return x.phys;
}

static inline uint64_t unit_walks(struct iommu_unit *u)
{
	struct iommu_unit_stats s;

	iommu_unit_stats(u, &s);
	return s.walks;
}

/* --- stage-1 tables in guest memory --------------------------------------- */

/* Guest RAM: host buffer @host seen at guest-physical (IPA) @ipa. */
struct guest_mem {
	uint8_t *host;
	uint64_t ipa;
	uint64_t size;
	uint64_t used;
};

static inline uint64_t *guest_ptr(struct guest_mem *g, uint64_t ipa)
{
	CHECK(ipa >= g->ipa && ipa - g->ipa < g->size);
	return (uint64_t *)(g->host + (ipa - g->ipa));
}

/* A zeroed, naturally aligned guest allocation; returns its IPA. */
static inline uint64_t guest_alloc(struct guest_mem *g, uint64_t size)
{
	uint64_t at = (g->used + size - 1) & ~(size - 1);

	CHECK(at + size <= g->size);
	g->used = at + size;
	memset(g->host + at, 0, size);
	return g->ipa + at;
}

/* New empty stage-1 root of format @f in guest memory. */
static inline uint64_t guest_root(struct guest_mem *g,
				  const struct pt_format *f)
{
	return guest_alloc(g, 1ull << f->root_lg2);
}

/*
 * Write a leaf of 2^size_lg2 at @iova -> @oa (IPAs) into the guest table
 * at @root, allocating tables in guest memory; returns the IPA of the leaf
 * entry.
 */
static inline uint64_t guest_map(struct guest_mem *g, const struct pt_format *f,
				 uint64_t root, uint64_t iova, uint64_t oa,
				 unsigned int size_lg2, uint32_t prot)
{
	unsigned int level = f->levels - 1u;
	uint64_t table = root;

	for (;;) {
		uint64_t ipa = table + 8ull * pt_format_index(f, level, iova);
		uint64_t *pte = guest_ptr(g, ipa);
		struct pt_entry_info info;

		if (f->lvl[level].shift == size_lg2) {
			*pte = f->ops->make_leaf(f, level, oa, size_lg2,
						 pt_prot_normalize(f, prot));
			return ipa;
		}
		CHECK(level > 0);
		if (!*pte)
			*pte = f->ops->make_table(
			    f, level, guest_alloc(g, 1ull << f->table_lg2));
		pt_format_decode(f, level, *pte, &info);
		CHECK_EQ(info.kind, PT_ENTRY_TABLE);
		table = info.addr;
		level = info.next_level;
	}
}

#endif
