/*
 * translate_test.c - the translation engine and the DMA API, once per unit
 * type: RID and PASID slots, permission and translation faults (memory
 * untouched), the IOTLB (hits, stale entries until invalidated, every
 * invalidation granularity, large leaves), nested translation through
 * stage-1 tables in guest memory, dirty bits, page requests, identity and
 * blocking domains, scatter-gather over fragmented mappings, exec/priv
 * requests and the fault log.  Buffers sit between inaccessible pages.
 */
#include "iommu_test.h"

#include <stdlib.h>

#define RW (IOMMU_READ | IOMMU_WRITE)

struct fx {
	struct iommu_unit *u;
	struct iommu_domain *d;
	uint8_t *buf;
	size_t len;
	unsigned int stage; /* stage of d */
};

static void fx_init(struct fx *f, enum iommu_unit_type type, uint32_t dflags,
		    unsigned int pages)
{
	f->u = unit_new(type);
	f->d = dom_paging(f->u, dflags);
	f->len = pages * PG;
	f->buf = gbuf_alloc(f->len, PG);
	f->stage = iommu_unit_domain_pt(f->d)->fmt == iommu_unit_format(f->u, 1)
		       ? 1
		       : 2;
	dom_map(f->d, IOVA_BASE, f->buf, f->len, RW);
	CHECK_EQ(iommu_unit_attach(f->u, RID0, IOMMU_NO_PASID, f->d, 0), 0);
}

static void fx_fini(struct fx *f)
{
	iommu_unit_destroy(f->u);
	f->d->ops->free(f->d);
	iommu_quiesce();
}

static void check_fault(const struct iommu_fault_record *r, uint32_t reason,
			uint32_t rid, uint32_t pasid, uint64_t iova,
			uint32_t access, unsigned int stage)
{
	if (r->reason != reason)
		test_fail(__FILE__, __LINE__, "reason %s, want %s",
			  iommu_fault_reason_name(r->reason),
			  iommu_fault_reason_name(reason));
	CHECK_EQ(r->rid, rid);
	CHECK_EQ(r->pasid, pasid);
	CHECK_EQ(r->iova, iova);
	CHECK_EQ(r->access, access);
	CHECK_EQ(r->stage, stage);
}

TYPE_TEST(dma_rid_roundtrip)
{
	struct fx f;
	struct iommu_dma_result res;
	uint8_t *src = malloc(16 * PG), *dst = malloc(16 * PG);
	struct iommu_fault_record r;

	fx_init(&f, type, 0, 16);
	fill_pattern(src, 16 * PG, 3);
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 100, src,
				 16 * PG - 200, 0, &res),
		 0);
	CHECK_EQ(res.done, 16 * PG - 200);
	CHECK(all_bytes(f.buf, 100, 0));
	CHECK(!memcmp(f.buf + 100, src, 16 * PG - 200));
	CHECK(all_bytes(f.buf + 16 * PG - 100, 100, 0));
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 100, dst,
				16 * PG - 200, 0, &res),
		 0);
	CHECK(!memcmp(dst, src, 16 * PG - 200));

	/* Up to the last byte of the mapping, then one past it. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 16 * PG - 10, src,
				 10, 0, NULL),
		 0);
	CHECK(!memcmp(f.buf + 16 * PG - 10, src, 10));
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 16 * PG - 10, src,
				 20, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.done, 10);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 0,
		    IOVA_BASE + 16 * PG, IOMMU_ACC_WRITE, f.stage);
	CHECK_EQ(iommu_unit_fault_pop(f.u, &r), 0);
	CHECK(!memcmp(&r, &res.fault, sizeof(r)));
	CHECK_EQ(iommu_unit_fault_pop(f.u, &r), -ENOENT);

	/* Zero length and wrapping ranges. */
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE, dst, 0, 0, &res), 0);
	CHECK_EQ(res.done, 0);
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, UINT64_MAX, dst, 2, 0, &res),
		 -EINVAL);
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE, dst, 1,
				IOMMU_ACC_WRITE, &res),
		 -EINVAL);
	free(src);
	free(dst);
	fx_fini(&f);
}

TYPE_TEST(dma_pasid_slots)
{
	struct fx f;
	struct iommu_domain *d1;
	struct iommu_dma_result res;
	uint8_t *b1 = gbuf_alloc(4 * PG, PG);
	uint32_t max = 1u << (type == IOMMU_UNIT_AMD ? 16 : 20);
	uint64_t v = 0x1122334455667788ull, got;

	fx_init(&f, type, 0, 4);
	d1 = dom_paging(f.u, IOMMU_UNIT_DOMAIN_STAGE1);
	dom_map(d1, IOVA_BASE, b1, 4 * PG, RW);
	CHECK_EQ(iommu_unit_attach(f.u, RID0, 7, d1, 0), 0);
	CHECK_EQ(iommu_unit_attach(f.u, RID1, max - 1, d1, 0), 0);

	/* Same IOVA, three slots, two address spaces. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 7, IOVA_BASE + 8, &v, 8, 0, NULL),
		 0);
	CHECK_EQ(*(uint64_t *)(b1 + 8), v);
	CHECK(all_bytes(f.buf, 4 * PG, 0));
	CHECK_EQ(
	    iommu_dma_read(f.u, RID1, max - 1, IOVA_BASE + 8, &got, 8, 0, NULL),
	    0);
	CHECK_EQ(got, v);
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 8, &got, 8, 0, NULL),
		 0);
	CHECK_EQ(got, 0);

	/* Absent and invalid slots. */
	CHECK_EQ(iommu_dma_read(f.u, RID0, 8, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_PASID_ABSENT, RID0, 8, IOVA_BASE,
		    IOMMU_ACC_READ, 0);
	CHECK_EQ(iommu_dma_read(f.u, RID1, 0, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_CTX_ABSENT, RID1, 0, IOVA_BASE,
		    IOMMU_ACC_READ, 0);
	CHECK_EQ(iommu_dma_read(f.u, 0x0300, 4, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_PASID_ABSENT);
	CHECK_EQ(iommu_dma_read(f.u, RID0, max, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_PASID_INVALID);
	CHECK_EQ(iommu_dma_read(f.u, 0x10000, 0, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_RID_INVALID);

	/* Detach: the slot faults again; the others are untouched. */
	CHECK_EQ(iommu_unit_detach(f.u, RID0, 7), 0);
	CHECK_EQ(iommu_dma_read(f.u, RID0, 7, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_PASID_ABSENT);
	CHECK_EQ(
	    iommu_dma_read(f.u, RID1, max - 1, IOVA_BASE + 8, &got, 8, 0, NULL),
	    0);
	fx_fini(&f);
	d1->ops->free(d1);
	iommu_quiesce();
}

TYPE_TEST(permission_faults)
{
	struct fx f;
	struct iommu_dma_result res;
	struct iommu_fault_record r;
	struct iommu_unit_stats st;
	uint8_t *ro = gbuf_alloc(PG, PG);
	uint8_t src[2 * 4096];

	fx_init(&f, type, 0, 1);
	dom_map(f.d, IOVA_BASE + PG, ro, PG, IOMMU_READ);
	memset(ro, 0x5a, PG);
	memset(src, 0xee, sizeof(src));

	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + PG + 16, src, 8, 0, &res),
	    -EFAULT);
	CHECK_EQ(res.done, 0);
	check_fault(&res.fault, IOMMU_FAULT_PERMISSION, RID0, 0,
		    IOVA_BASE + PG + 16, IOMMU_ACC_WRITE, f.stage);
	CHECK(all_bytes(ro, PG, 0x5a));
	CHECK_EQ(iommu_unit_fault_pop(f.u, &r), 0);
	CHECK_EQ(r.reason, IOMMU_FAULT_PERMISSION);

	/* Across RW -> RO: the RW part is written, the RO page is not. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 100, src,
				 2 * PG - 200, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.done, PG - 100);
	CHECK(all_bytes(f.buf + 100, PG - 100, 0xee));
	CHECK(all_bytes(ro, PG, 0x5a));
	CHECK_EQ(res.fault.iova, IOVA_BASE + PG);

	/* Reading is allowed, also after the cached read translation. */
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE + PG, src, PG, 0, &res),
		 0);
	CHECK(all_bytes(src, PG, 0x5a));
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + PG, src, 1, 0, &res),
		 -EFAULT);
	CHECK(all_bytes(ro, PG, 0x5a));
	iommu_unit_stats(f.u, &st);
	CHECK_EQ(st.faults, 3);
	fx_fini(&f);
}

TYPE_TEST(unmapped_and_address_size_faults)
{
	struct fx f;
	struct iommu_dma_result res;
	uint8_t tmp[64];

	fx_init(&f, type, 0, 4);
	CHECK_EQ(f.d->ops->unmap(f.d, IOVA_BASE + 2 * PG, PG, NULL), PG);
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 2 * PG + 5, tmp, 8, 0,
				&res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 0,
		    IOVA_BASE + 2 * PG + 5, IOMMU_ACC_READ, f.stage);
	CHECK_EQ(f.d->ops->iova_to_phys(f.d, IOVA_BASE + 2 * PG), 0);
	CHECK_EQ(f.d->ops->iova_to_phys(f.d, IOVA_BASE + 3 * PG + 1),
		 (uintptr_t)f.buf + 3 * PG + 1);

	/* Beyond the input range of every 48-bit format. */
	CHECK_EQ(iommu_dma_read(f.u, RID0, 0, 1ull << 52, tmp, 8, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_ADDR_SIZE, RID0, 0, 1ull << 52,
		    IOMMU_ACC_READ, f.stage);
	fx_fini(&f);
}

TYPE_TEST(iotlb_hit_after_first_translation)
{
	struct fx f;
	struct iommu_xlate x;
	uint64_t w0;

	fx_init(&f, type, 0, 4);
	w0 = unit_walks(f.u);
	CHECK_EQ(xlate(f.u, RID0, 0, IOVA_BASE + 5, IOMMU_ACC_READ, &x, NULL),
		 0);
	CHECK_EQ(x.phys, (uintptr_t)f.buf + 5);
	CHECK_EQ(unit_walks(f.u), w0 + 1);
	CHECK_EQ(xlate(f.u, RID0, 0, IOVA_BASE + 77, IOMMU_ACC_READ, &x, NULL),
		 0);
	CHECK_EQ(x.phys, (uintptr_t)f.buf + 77);
	CHECK_EQ(x.prot & (IOMMU_ACC_READ | IOMMU_ACC_WRITE),
		 IOMMU_ACC_READ | IOMMU_ACC_WRITE);
	CHECK_EQ(xlate(f.u, RID0, 0, IOVA_BASE + 9, IOMMU_ACC_WRITE, &x, NULL),
		 0);
	CHECK_EQ(unit_walks(f.u), w0 + 1);
	CHECK_EQ(xlate(f.u, RID0, 0, IOVA_BASE + PG, IOMMU_ACC_READ, &x, NULL),
		 0);
	CHECK_EQ(unit_walks(f.u), w0 + 2);
	/* The same domain on another slot shares nothing but the tag. */
	CHECK_EQ(iommu_unit_attach(f.u, RID1, 0, f.d, 0), 0);
	CHECK_EQ(xlate(f.u, RID1, 0, IOVA_BASE + 1, IOMMU_ACC_READ, &x, NULL),
		 0);
	CHECK_EQ(unit_walks(f.u), w0 + 2);
	fx_fini(&f);
}

TYPE_TEST(stale_entry_until_invalidated)
{
	struct fx f;
	struct pt_table *pt;
	uint8_t *b = gbuf_alloc(4 * PG, PG);
	struct iommu_inv inv = {.granule = IOMMU_INV_RANGE,
				.pasid = IOMMU_INV_ANY_PASID};
	struct iommu_dma_result res;
	uint64_t unmapped;
	uint8_t byte = 0x77;

	fx_init(&f, type, 0, 4);
	pt = iommu_unit_domain_pt(f.d);
	inv.tag = iommu_unit_domain_tag(f.d);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE + i * PG),
			 (uintptr_t)f.buf + i * PG);

	/* Change the table behind the IOTLB's back. */
	CHECK_EQ(pt_unmap(pt, IOVA_BASE, 4 * PG, &unmapped), 0);
	CHECK_EQ(unmapped, 4 * PG);
	CHECK_EQ(pt_map(pt, IOVA_BASE, (uintptr_t)b, 3 * PG,
			PT_PROT_READ | PT_PROT_WRITE),
		 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE + i * PG),
			 (uintptr_t)f.buf + i * PG);
	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 3, &byte, 1, 0, NULL), 0);
	CHECK_EQ(f.buf[3], 0x77);
	CHECK_EQ(b[3], 0);

	inv.iova = IOVA_BASE;
	inv.len = PG;
	iommu_unit_invalidate(f.u, &inv);
	CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE), (uintptr_t)b);
	CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE + PG),
		 (uintptr_t)f.buf + PG);
	/* Page 3 is unmapped now but served from the IOTLB ... */
	CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE + 3 * PG),
		 (uintptr_t)f.buf + 3 * PG);
	/* ... until invalidated with the rest. */
	inv.len = 4 * PG;
	iommu_unit_flush_and_wait(f.u, &inv);
	CHECK_EQ(xlate_phys(f.u, RID0, 0, IOVA_BASE + PG), (uintptr_t)b + PG);
	CHECK_EQ(
	    iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 3 * PG, &byte, 1, 0, &res),
	    -EFAULT);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_TRANSLATION);
	fx_fini(&f);
}

TYPE_TEST(invalidation_granularity)
{
	struct fx f;
	struct iommu_domain *d2;
	uint8_t *a2 = gbuf_alloc(16 * PG, PG), *b = gbuf_alloc(16 * PG, PG);
	uint8_t *b2 = gbuf_alloc(16 * PG, PG);
	struct iommu_inv inv = {0};
	uint32_t t1, t2;
	uint64_t unmapped;

	fx_init(&f, type, 0, 16);
	d2 = dom_paging(f.u, 0);
	dom_map(d2, IOVA_BASE, a2, 16 * PG, RW);
	CHECK_EQ(iommu_unit_attach(f.u, RID0, 5, f.d, 0), 0);
	CHECK_EQ(iommu_unit_attach(f.u, RID1, 0, d2, 0), 0);
	t1 = iommu_unit_domain_tag(f.d);
	t2 = iommu_unit_domain_tag(d2);
	CHECK(t1 && t2 && t1 != t2);

#define OLD1(rid, pasid, i)                                       \
	CHECK_EQ(xlate_phys(f.u, rid, pasid, IOVA_BASE + (i)*PG), \
		 (uintptr_t)f.buf + (i)*PG)
#define NEW1(rid, pasid, i)                                       \
	CHECK_EQ(xlate_phys(f.u, rid, pasid, IOVA_BASE + (i)*PG), \
		 (uintptr_t)b + (i)*PG)
	for (unsigned int i = 0; i < 16; i++) {
		OLD1(RID0, 0, i);
		OLD1(RID0, 5, i);
		CHECK_EQ(xlate_phys(f.u, RID1, 0, IOVA_BASE + i * PG),
			 (uintptr_t)a2 + i * PG);
	}
	CHECK_EQ(
	    pt_unmap(iommu_unit_domain_pt(f.d), IOVA_BASE, 16 * PG, &unmapped),
	    0);
	CHECK_EQ(pt_map(iommu_unit_domain_pt(f.d), IOVA_BASE, (uintptr_t)b,
			16 * PG, PT_PROT_READ | PT_PROT_WRITE),
		 0);
	CHECK_EQ(
	    pt_unmap(iommu_unit_domain_pt(d2), IOVA_BASE, 16 * PG, &unmapped),
	    0);
	CHECK_EQ(pt_map(iommu_unit_domain_pt(d2), IOVA_BASE, (uintptr_t)b2,
			16 * PG, PT_PROT_READ | PT_PROT_WRITE),
		 0);

	/* One page of one PASID. */
	inv = (struct iommu_inv){.granule = IOMMU_INV_RANGE,
				 .tag = t1,
				 .pasid = 0,
				 .iova = IOVA_BASE + 3 * PG,
				 .len = PG};
	iommu_unit_invalidate(f.u, &inv);
	NEW1(RID0, 0, 3);
	OLD1(RID0, 0, 2);
	OLD1(RID0, 0, 4);
	OLD1(RID0, 5, 3);

	/* A 2^2-page range, any PASID; unaligned start inside a page. */
	inv = (struct iommu_inv){.granule = IOMMU_INV_RANGE,
				 .tag = t1,
				 .pasid = IOMMU_INV_ANY_PASID,
				 .iova = IOVA_BASE + 8 * PG + 1,
				 .len = 4 * PG - 1};
	iommu_unit_invalidate(f.u, &inv);
	for (unsigned int i = 8; i < 12; i++) {
		NEW1(RID0, 0, i);
		NEW1(RID0, 5, i);
	}
	OLD1(RID0, 0, 7);
	OLD1(RID0, 5, 12);
	OLD1(RID0, 5, 3);

	/* One PASID. */
	inv = (struct iommu_inv){
	    .granule = IOMMU_INV_PASID, .tag = t1, .pasid = 5};
	iommu_unit_invalidate(f.u, &inv);
	for (unsigned int i = 0; i < 16; i++)
		NEW1(RID0, 5, i);
	OLD1(RID0, 0, 0);
	OLD1(RID0, 0, 15);

	/* The domain. */
	inv = (struct iommu_inv){.granule = IOMMU_INV_DOMAIN, .tag = t1};
	iommu_unit_invalidate(f.u, &inv);
	for (unsigned int i = 0; i < 16; i++)
		NEW1(RID0, 0, i);
	CHECK_EQ(xlate_phys(f.u, RID1, 0, IOVA_BASE), (uintptr_t)a2);

	/* Everything. */
	inv = (struct iommu_inv){.granule = IOMMU_INV_GLOBAL};
	iommu_unit_invalidate(f.u, &inv);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(xlate_phys(f.u, RID1, 0, IOVA_BASE + i * PG),
			 (uintptr_t)b2 + i * PG);
#undef OLD1
#undef NEW1
	fx_fini(&f);
	d2->ops->free(d2);
	iommu_quiesce();
}

TYPE_TEST(large_leaf)
{
	const uint64_t sz = 2ull << 20, iova = 0x40000000;
	struct fx f;
	uint8_t *big = gbuf_alloc(sz, sz);
	uint8_t *src = malloc(sz);
	struct iommu_xlate x;
	struct iommu_inv inv = {.granule = IOMMU_INV_RANGE,
				.pasid = IOMMU_INV_ANY_PASID,
				.iova = iova + 0x10000,
				.len = PG};
	struct pt_walk w;
	uint64_t w0;

	fx_init(&f, type, 0, 1);
	dom_map(f.d, iova, big, sz, RW);
	CHECK_EQ(pt_walk(iommu_unit_domain_pt(f.d), iova, &w), 0);
	CHECK_EQ(w.size_lg2, 21);
	w0 = unit_walks(f.u);
	iommu_dma_begin();
	CHECK_EQ(iommu_translate(f.u, RID0, 0, iova + PG, sz, IOMMU_ACC_READ,
				 &x, NULL),
		 0);
	iommu_dma_end();
	CHECK_EQ(x.phys, (uintptr_t)big + PG);
	CHECK_EQ(x.len, sz - PG);
	CHECK_EQ(unit_walks(f.u), w0 + 1);
	CHECK_EQ(xlate_phys(f.u, RID0, 0, iova + sz - 1),
		 (uintptr_t)big + sz - 1);
	CHECK_EQ(unit_walks(f.u), w0 + 1);
	/* Invalidating any 4K of the leaf drops the 2M entry. */
	inv.tag = iommu_unit_domain_tag(f.d);
	iommu_unit_invalidate(f.u, &inv);
	CHECK_EQ(xlate_phys(f.u, RID0, 0, iova), (uintptr_t)big);
	CHECK_EQ(unit_walks(f.u), w0 + 2);

	fill_pattern(src, sz, 9);
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, iova, src, sz, 0, NULL), 0);
	CHECK(!memcmp(big, src, sz));
	free(src);
	fx_fini(&f);
}

TYPE_TEST(sg_fragmented)
{
	static const unsigned int perm[8] = {5, 2, 7, 0, 3, 6, 1, 4};
	struct fx f;
	uint8_t *buf = gbuf_alloc(8 * PG, PG);
	const struct iommu_dma_sg sg[] = {
	    {IOVA_BASE + 100, 3 * PG},
	    {IOVA_BASE + 5 * PG + 7, 1000},
	    {IOVA_BASE + 6 * PG, 2 * PG - 1},
	    {IOVA_BASE + 3 * PG + 100, 1},
	};
	size_t total = 3 * PG + 1000 + 2 * PG - 1 + 1, off = 0;
	uint8_t *src = malloc(total), *dst = malloc(total);
	struct iommu_dma_result res;
	const struct iommu_dma_sg bad[] = {
	    sg[0], {IOVA_BASE + 9 * PG, 8}, sg[1]};

	fx_init(&f, type, 0, 1);
	/* A new domain: page i of IOVA at buffer page perm[i]. */
	CHECK_EQ(f.d->ops->unmap(f.d, IOVA_BASE, PG, NULL), PG);
	for (unsigned int i = 0; i < 8; i++)
		dom_map(f.d, IOVA_BASE + i * PG, buf + perm[i] * PG, PG, RW);
	fill_pattern(src, total, 1);
	CHECK_EQ(
	    iommu_dma_rw_sg(f.u, RID0, 0, sg, 4, src, total, true, 0, &res), 0);
	CHECK_EQ(res.done, total);
	for (unsigned int s = 0; s < 4; s++) {
		for (uint64_t i = 0; i < sg[s].len; i++, off++) {
			uint64_t a = sg[s].iova + i - IOVA_BASE;

			CHECK_EQ(buf[perm[a / PG] * PG + a % PG], src[off]);
		}
	}
	CHECK_EQ(
	    iommu_dma_rw_sg(f.u, RID0, 0, sg, 4, dst, total, false, 0, &res),
	    0);
	CHECK(!memcmp(src, dst, total));
	CHECK_EQ(iommu_dma_rw_sg(f.u, RID0, 0, sg, 4, dst, total - 1, false, 0,
				 &res),
		 -EINVAL);

	/* A fault in the middle piece: the first went, the last did not. */
	memset(dst, 0xcc, total);
	CHECK_EQ(iommu_dma_rw_sg(f.u, RID0, 0, bad, 3, dst, 3 * PG + 8 + 1000,
				 false, 0, &res),
		 -EFAULT);
	CHECK_EQ(res.done, 3 * PG);
	CHECK_EQ(res.fault.iova, IOVA_BASE + 9 * PG);
	CHECK(!memcmp(dst, src, 3 * PG));
	CHECK(all_bytes(dst + 3 * PG, 1008, 0xcc));
	free(src);
	free(dst);
	fx_fini(&f);
}

/* --- nested ----------------------------------------------------------------
 */

#define GUEST_IPA 0x40000000ull
#define DATA_IPA 0x80000000ull
#define RO_IPA 0x90000000ull
#define HOLE_IPA 0xa0000000ull

struct nfx {
	struct iommu_unit *u;
	struct iommu_domain *parent, *nested;
	struct guest_mem g;
	uint8_t *data, *rodata;
	const struct pt_format *s1;
	uint64_t root;
	uint64_t leaf0; /* IPA of the stage-1 entry of page 0 */
};

static void nfx_init(struct nfx *n, enum iommu_unit_type type, uint32_t pflags,
		     uint32_t s1flags)
{
	struct iommu_nested_s1 s1 = {0};

	memset(n, 0, sizeof(*n));
	n->u = unit_new(type);
	n->parent = dom_paging(n->u, IOMMU_UNIT_DOMAIN_NEST_PARENT | pflags);
	n->g.size = 64 * PG;
	n->g.host = gbuf_alloc(n->g.size, PG);
	n->g.ipa = GUEST_IPA;
	n->data = gbuf_alloc(8 * PG, PG);
	n->rodata = gbuf_alloc(PG, PG);
	dom_map(n->parent, GUEST_IPA, n->g.host, n->g.size, RW);
	dom_map(n->parent, DATA_IPA, n->data, 8 * PG, RW);
	dom_map(n->parent, RO_IPA, n->rodata, PG, IOMMU_READ);

	n->s1 = iommu_unit_format(n->u, 1);
	n->root = guest_root(&n->g, n->s1);
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t e = guest_map(&n->g, n->s1, n->root,
				       IOVA_BASE + i * PG, DATA_IPA + i * PG,
				       12, PT_PROT_READ | PT_PROT_WRITE);

		if (!i)
			n->leaf0 = e;
	}
	guest_map(&n->g, n->s1, n->root, IOVA_BASE + 3 * PG, DATA_IPA + 3 * PG,
		  12, PT_PROT_READ);
	guest_map(&n->g, n->s1, n->root, IOVA_BASE + 4 * PG, HOLE_IPA, 12,
		  PT_PROT_READ | PT_PROT_WRITE);
	guest_map(&n->g, n->s1, n->root, IOVA_BASE + 6 * PG, RO_IPA, 12,
		  PT_PROT_READ | PT_PROT_WRITE);

	s1.root = n->root;
	s1.flags = s1flags;
	n->nested = iommu_unit_domain_alloc_nested(n->u, n->parent, &s1);
	CHECK(!IS_ERR(n->nested));
	CHECK_EQ(n->nested->type, IOMMU_DOMAIN_NESTED);
	CHECK_EQ(iommu_unit_attach(n->u, RID0, 9, n->nested, 0), 0);
	CHECK_EQ(iommu_unit_attach(n->u, RID1, 0, n->nested, 0), 0);
}

static void nfx_fini(struct nfx *n)
{
	iommu_unit_destroy(n->u);
	n->nested->ops->free(n->nested);
	n->parent->ops->free(n->parent);
	iommu_quiesce();
}

TYPE_TEST(nested_translation)
{
	struct nfx n;
	struct iommu_dma_result res;
	uint8_t src[3 * 4096], tmp[16];
	uint64_t w0;

	nfx_init(&n, type, 0, 0);
	fill_pattern(src, sizeof(src), 4);
	w0 = unit_walks(n.u);
	CHECK_EQ(
	    iommu_dma_write(n.u, RID0, 9, IOVA_BASE, src, sizeof(src), 0, &res),
	    0);
	CHECK(!memcmp(n.data, src, sizeof(src)));
	CHECK(all_bytes(n.data + sizeof(src), PG, 0));
	/* Cold: stage-1 walks plus stage-2 walks of its tables. */
	CHECK(unit_walks(n.u) > w0 + 3);
	w0 = unit_walks(n.u);
	CHECK_EQ(iommu_dma_read(n.u, RID1, 0, IOVA_BASE + 5, tmp, 16, 0, &res),
		 0);
	CHECK(!memcmp(tmp, src + 5, 16));
	CHECK_EQ(unit_walks(n.u), w0 + 1); /* other PASID: own entry */
	CHECK_EQ(iommu_dma_read(n.u, RID1, 0, IOVA_BASE + 50, tmp, 16, 0, &res),
		 0);
	CHECK_EQ(unit_walks(n.u), w0 + 1); /* warm */

	/* Stage-1 permission. */
	CHECK_EQ(
	    iommu_dma_write(n.u, RID0, 9, IOVA_BASE + 3 * PG, src, 4, 0, &res),
	    -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_PERMISSION, RID0, 9,
		    IOVA_BASE + 3 * PG, IOMMU_ACC_WRITE, 1);
	CHECK(all_bytes(n.data + 3 * PG, PG, 0));
	/* Stage-1 translation. */
	CHECK_EQ(
	    iommu_dma_read(n.u, RID0, 9, IOVA_BASE + 5 * PG, tmp, 4, 0, &res),
	    -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 9,
		    IOVA_BASE + 5 * PG, IOMMU_ACC_READ, 1);
	/* Stage-2 translation of the output. */
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE + 4 * PG + 8, tmp, 4, 0,
				&res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 9,
		    IOVA_BASE + 4 * PG + 8, IOMMU_ACC_READ, 2);
	CHECK_EQ(res.fault.addr, HOLE_IPA + 8);
	CHECK(!(res.fault.flags & IOMMU_FAULT_F_TABLE));
	/* Stage-2 permission. */
	memset(n.rodata, 0x3c, PG);
	CHECK_EQ(
	    iommu_dma_read(n.u, RID0, 9, IOVA_BASE + 6 * PG, tmp, 4, 0, &res),
	    0);
	CHECK(all_bytes(tmp, 4, 0x3c));
	CHECK_EQ(
	    iommu_dma_write(n.u, RID0, 9, IOVA_BASE + 6 * PG, src, 4, 0, &res),
	    -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_PERMISSION, RID0, 9,
		    IOVA_BASE + 6 * PG, IOMMU_ACC_WRITE, 2);
	CHECK_EQ(res.fault.addr, RO_IPA);
	CHECK(all_bytes(n.rodata, PG, 0x3c));

	/* With PRI, stage-1 faults are page requests; stage-2 ones are not. */
	CHECK_EQ(iommu_unit_attach(n.u, RID0, 11, n.nested, IOMMU_ATTACH_PRI),
		 0);
	CHECK_EQ(
	    iommu_dma_read(n.u, RID0, 11, IOVA_BASE + 5 * PG, tmp, 4, 0, &res),
	    -EAGAIN);
	CHECK(res.fault.flags & IOMMU_FAULT_F_RECOVERABLE);
	CHECK_EQ(res.fault.stage, 1);
	CHECK_EQ(
	    iommu_dma_read(n.u, RID0, 11, IOVA_BASE + 4 * PG, tmp, 4, 0, &res),
	    -EFAULT);
	CHECK(!(res.fault.flags & IOMMU_FAULT_F_RECOVERABLE));
	CHECK_EQ(res.fault.stage, 2);
	nfx_fini(&n);
}

TYPE_TEST(nested_table_faults_and_invalidation)
{
	struct nfx n;
	struct iommu_dma_result res;
	struct iommu_nested_s1 s1 = {.root = HOLE_IPA};
	struct iommu_domain *bad;
	struct iommu_inv inv = {.granule = IOMMU_INV_DOMAIN};
	uint64_t v = 0xfeedull, got;

	nfx_init(&n, type, 0, 0);
	/* A stage-1 root that stage 2 does not map. */
	bad = iommu_unit_domain_alloc_nested(n.u, n.parent, &s1);
	CHECK(!IS_ERR(bad));
	CHECK_EQ(iommu_unit_attach(n.u, RID0, 10, bad, 0), 0);
	CHECK_EQ(iommu_dma_read(n.u, RID0, 10, IOVA_BASE, &got, 8, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 10, IOVA_BASE,
		    IOMMU_ACC_READ, 2);
	CHECK(res.fault.flags & IOMMU_FAULT_F_TABLE);
	CHECK(res.fault.addr >= HOLE_IPA &&
	      res.fault.addr < HOLE_IPA + (1ull << n.s1->root_lg2));

	/* Bad arguments. */
	s1.root = GUEST_IPA + 8;
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_nested(n.u, n.parent, &s1)),
		 -EINVAL);
	s1.root = GUEST_IPA;
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_nested(n.u, n.nested, &s1)),
		 -EINVAL);
	s1.fmt = iommu_unit_format(n.u, 2);
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_nested(n.u, n.parent, &s1)),
		 -EINVAL);
	s1.fmt = NULL;
	s1.flags = 1u << 9;
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_nested(n.u, n.parent, &s1)),
		 -EOPNOTSUPP);

	/* The guest changes its stage 1: stale until the guest invalidates. */
	CHECK_EQ(iommu_dma_write(n.u, RID0, 9, IOVA_BASE, &v, 8, 0, NULL), 0);
	CHECK_EQ(*(uint64_t *)n.data, v);
	*guest_ptr(&n.g, n.leaf0) = n.s1->ops->make_leaf(
	    n.s1, 0, DATA_IPA + 7 * PG, 12,
	    pt_prot_normalize(n.s1, PT_PROT_READ | PT_PROT_WRITE));
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE, &got, 8, 0, NULL), 0);
	CHECK_EQ(got, v);
	iommu_domain_invalidate(n.nested, IOVA_BASE, PG);
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE, &got, 8, 0, NULL), 0);
	CHECK_EQ(got, 0);
	CHECK_EQ(iommu_dma_write(n.u, RID0, 9, IOVA_BASE, &v, 8, 0, NULL), 0);
	CHECK_EQ(*(uint64_t *)(n.data + 7 * PG), v);

	/* Unmapping in the parent drops the nested entries built on it. */
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE + PG, &got, 8, 0, NULL),
		 0);
	CHECK_EQ(n.parent->ops->unmap(n.parent, DATA_IPA + PG, PG, NULL), PG);
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE + PG, &got, 8, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 9,
		    IOVA_BASE + PG, IOMMU_ACC_READ, 2);
	CHECK_EQ(res.fault.addr, DATA_IPA + PG);
	/* Domain invalidation of the parent too. */
	inv.tag = iommu_unit_domain_tag(n.parent);
	iommu_unit_invalidate(n.u, &inv);
	CHECK_EQ(
	    iommu_dma_read(n.u, RID0, 9, IOVA_BASE + 2 * PG, &got, 8, 0, NULL),
	    0);
	bad->ops->free(bad);
	nfx_fini(&n);
}

/* --- dirty tracking ------------------------------------------------------- */

struct dirty_set {
	uint64_t iova[64];
	uint64_t len[64];
	unsigned int n;
};

static void dirty_record(struct iommu_dirty_bitmap *b, uint64_t iova,
			 uint64_t len)
{
	struct dirty_set *s = b->priv;

	CHECK(s->n < 64);
	s->iova[s->n] = iova;
	s->len[s->n++] = len;
}

static unsigned int read_dirty(struct iommu_domain *d, struct dirty_set *s,
			       unsigned long flags)
{
	struct iommu_dirty_bitmap b = {dirty_record, s};

	s->n = 0;
	CHECK_EQ(
	    d->ops->read_and_clear_dirty(d, IOVA_BASE, 1ull << 30, flags, &b),
	    0);
	return s->n;
}

TYPE_TEST(dirty_tracking)
{
	struct fx f;
	struct dirty_set s;
	uint8_t v = 1;
	struct pt_walk w;

	fx_init(&f, type, IOMMU_UNIT_DOMAIN_DIRTY, 8);
	/* One leaf per page (AMD v1 would use one 32K leaf for the run). */
	CHECK_EQ(f.d->ops->unmap(f.d, IOVA_BASE, 8 * PG, NULL), 8 * PG);
	for (unsigned int i = 0; i < 8; i++)
		dom_map(f.d, IOVA_BASE + i * PG, f.buf + i * PG, PG, RW);
	/* Tracking off: writes leave no trace. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE, &v, 1, 0, NULL), 0);
	CHECK_EQ(f.d->ops->read_and_clear_dirty(
		     f.d, IOVA_BASE, PG, 0,
		     &(struct iommu_dirty_bitmap){dirty_record, &s}),
		 -EINVAL);
	CHECK_EQ(f.d->ops->set_dirty_tracking(f.d, true), 0);
	CHECK_EQ(read_dirty(f.d, &s, 0), 0);

	/* A read is not a write; writes dirty their page only. */
	CHECK_EQ(
	    iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 2 * PG, &v, 1, 0, NULL),
	    0);
	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + PG + 9, &v, 1, 0, NULL),
	    0);
	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 5 * PG, &v, 1, 0, NULL),
	    0);
	/* The first write went through a cached clean entry: still dirty. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE, &v, 1, 0, NULL), 0);
	CHECK_EQ(pt_walk(iommu_unit_domain_pt(f.d), IOVA_BASE + PG, &w), 0);
	CHECK(w.dirty);
	CHECK_EQ(read_dirty(f.d, &s, IOMMU_DIRTY_NO_CLEAR), 3);
	CHECK_EQ(read_dirty(f.d, &s, 0), 3);
	CHECK_EQ(s.iova[0], IOVA_BASE);
	CHECK_EQ(s.iova[1], IOVA_BASE + PG);
	CHECK_EQ(s.iova[2], IOVA_BASE + 5 * PG);
	CHECK_EQ(s.len[1], PG);
	CHECK_EQ(read_dirty(f.d, &s, 0), 0);
	/* Cleaned: the next write through the (re-filled) entry dirties. */
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + PG, &v, 1, 0, NULL),
		 0);
	CHECK_EQ(iommu_dma_write(f.u, RID0, 0, IOVA_BASE + PG, &v, 1, 0, NULL),
		 0);
	CHECK_EQ(read_dirty(f.d, &s, 0), 1);
	CHECK_EQ(s.iova[0], IOVA_BASE + PG);
	/* Unmap reports what was dirty. */
	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 7 * PG, &v, 1, 0, NULL),
	    0);
	s.n = 0;
	CHECK_EQ(
	    f.d->ops->unmap(f.d, IOVA_BASE + 6 * PG, 2 * PG,
			    &(struct iommu_dirty_bitmap){dirty_record, &s}),
	    2 * PG);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.iova[0], IOVA_BASE + 7 * PG);
	/* Off again. */
	CHECK_EQ(f.d->ops->set_dirty_tracking(f.d, false), 0);
	CHECK_EQ(
	    iommu_dma_write(f.u, RID0, 0, IOVA_BASE + 3 * PG, &v, 1, 0, NULL),
	    0);
	CHECK_EQ(pt_walk(iommu_unit_domain_pt(f.d), IOVA_BASE + 3 * PG, &w), 0);
	CHECK(!w.dirty);
	fx_fini(&f);
}

TYPE_TEST(nested_dirty_bits)
{
	struct nfx n;
	struct pt_entry_info info;
	struct dirty_set s;
	uint8_t v = 1;
	/* SMMUv3 tracks dirty bits in stage 1 only. */
	bool s2dirty = type != IOMMU_UNIT_SMMUV3;

	nfx_init(&n, type, s2dirty ? IOMMU_UNIT_DOMAIN_DIRTY : 0,
		 IOMMU_NESTED_S1_DIRTY);
	if (s2dirty)
		CHECK_EQ(n.parent->ops->set_dirty_tracking(n.parent, true), 0);
	CHECK_EQ(iommu_dma_read(n.u, RID0, 9, IOVA_BASE + PG, &v, 1, 0, NULL),
		 0);
	pt_format_decode(n.s1, 0, *guest_ptr(&n.g, n.leaf0), &info);
	CHECK(!info.dirty);
	CHECK_EQ(iommu_dma_write(n.u, RID0, 9, IOVA_BASE, &v, 1, 0, NULL), 0);
	pt_format_decode(n.s1, 0, *guest_ptr(&n.g, n.leaf0), &info);
	CHECK_EQ(info.kind, PT_ENTRY_LEAF);
	CHECK(info.dirty);
	if (s2dirty) {
		struct iommu_dirty_bitmap b = {dirty_record, &s};

		s.n = 0;
		CHECK_EQ(n.parent->ops->read_and_clear_dirty(n.parent, DATA_IPA,
							     8 * PG, 0, &b),
			 0);
		CHECK_EQ(s.n, 1);
		CHECK_EQ(s.iova[0], DATA_IPA);
	}
	nfx_fini(&n);
}

/* --- page requests, identity, blocked ------------------------------------- */

struct handler_log {
	unsigned int calls;
	struct iommu_fault_record last;
};

static void handler(void *ctx, struct iommu_unit *u,
		    const struct iommu_fault_record *r)
{
	struct handler_log *h = ctx;

	h->calls++;
	h->last = *r;
}

TYPE_TEST(page_requests)
{
	struct fx f;
	struct iommu_dma_result res;
	struct iommu_fault_record r;
	struct iommu_unit_stats st;
	struct handler_log h = {0};
	uint8_t *ro = gbuf_alloc(PG, PG);
	uint8_t v = 0;

	fx_init(&f, type, 0, 1);
	dom_map(f.d, IOVA_BASE + PG, ro, PG, IOMMU_READ);
	CHECK_EQ(iommu_unit_attach(f.u, RID0, 3, f.d, IOMMU_ATTACH_PRI), 0);
	iommu_unit_set_fault_handler(f.u, handler, &h);

	CHECK_EQ(
	    iommu_dma_read(f.u, RID0, 3, IOVA_BASE + 2 * PG, &v, 1, 0, &res),
	    -EAGAIN);
	CHECK(res.fault.flags & IOMMU_FAULT_F_RECOVERABLE);
	check_fault(&res.fault, IOMMU_FAULT_TRANSLATION, RID0, 3,
		    IOVA_BASE + 2 * PG, IOMMU_ACC_READ, f.stage);
	CHECK_EQ(iommu_dma_write(f.u, RID0, 3, IOVA_BASE + PG, &v, 1, 0, &res),
		 -EAGAIN);
	CHECK_EQ(res.fault.reason, IOMMU_FAULT_PERMISSION);
	CHECK_EQ(h.calls, 2);
	CHECK(h.last.flags & IOMMU_FAULT_F_RECOVERABLE);
	CHECK_EQ(iommu_unit_fault_pop(f.u, &r), -ENOENT);

	/* The same fault without PRI is recorded. */
	CHECK_EQ(
	    iommu_dma_read(f.u, RID0, 0, IOVA_BASE + 2 * PG, &v, 1, 0, &res),
	    -EFAULT);
	CHECK(!(res.fault.flags & IOMMU_FAULT_F_RECOVERABLE));
	CHECK_EQ(h.calls, 3);
	CHECK_EQ(iommu_unit_fault_pop(f.u, &r), 0);
	iommu_unit_stats(f.u, &st);
	CHECK_EQ(st.page_requests, 2);
	CHECK_EQ(st.faults, 1);
	iommu_unit_set_fault_handler(f.u, NULL, NULL);
	fx_fini(&f);
}

TYPE_TEST(identity_and_blocked)
{
	struct iommu_unit *u = unit_new(type);
	struct iommu_domain *id = iommu_unit_domain_alloc_identity(u);
	struct iommu_domain *bl = iommu_unit_domain_alloc_blocked(u);
	uint8_t *buf = gbuf_alloc(PG, PG);
	struct iommu_dma_result res;
	uint32_t v = 0xabcdef01;

	CHECK(!IS_ERR(id) && !IS_ERR(bl));
	CHECK_EQ(id->type, IOMMU_DOMAIN_IDENTITY);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, id, 0), 0);
	CHECK_EQ(iommu_unit_attach(u, RID1, 0, bl, 0), 0);
	CHECK_EQ(
	    iommu_dma_write(u, RID0, 0, (uintptr_t)buf + 12, &v, 4, 0, &res),
	    0);
	CHECK_EQ(*(uint32_t *)(buf + 12), v);
	CHECK_EQ(iommu_dma_write(u, RID1, 0, (uintptr_t)buf, &v, 4, 0, &res),
		 -EFAULT);
	check_fault(&res.fault, IOMMU_FAULT_BLOCKED, RID1, 0, (uintptr_t)buf,
		    IOMMU_ACC_WRITE, 0);
	CHECK_EQ(*(uint32_t *)buf, 0);
	CHECK_EQ(id->ops->map(id, 0, 0, PG, IOMMU_READ), -EOPNOTSUPP);
	iommu_unit_destroy(u);
	id->ops->free(id);
	bl->ops->free(bl);
	iommu_quiesce();
}

TEST(exec_and_priv_requests)
{
	struct iommu_unit *u = unit_new(IOMMU_UNIT_VTD);
	struct iommu_unit *s = unit_new(IOMMU_UNIT_SMMUV3);
	struct iommu_domain *d = dom_paging(u, IOMMU_UNIT_DOMAIN_STAGE1);
	struct iommu_domain *ds = dom_paging(s, 0);
	uint8_t *buf = gbuf_alloc(3 * PG, PG);
	struct iommu_xlate x;
	struct iommu_fault_record r;

	dom_map(d, IOVA_BASE, buf, PG, RW);
	dom_map(d, IOVA_BASE + PG, buf + PG, PG, RW | IOMMU_NOEXEC);
	CHECK_EQ(pt_map(iommu_unit_domain_pt(d), IOVA_BASE + 2 * PG,
			(uintptr_t)buf + 2 * PG, PG,
			PT_PROT_READ | PT_PROT_WRITE | PT_PROT_PRIV),
		 0);
	CHECK_EQ(iommu_unit_attach(u, RID0, 3, d, 0), 0);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d, 0), 0);

	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE, IOMMU_ACC_READ | IOMMU_ACC_EXEC,
		       &x, &r),
		 0);
	CHECK(x.prot & IOMMU_ACC_EXEC);
	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE + PG,
		       IOMMU_ACC_READ | IOMMU_ACC_EXEC, &x, &r),
		 -EFAULT);
	CHECK_EQ(r.reason, IOMMU_FAULT_PERMISSION);
	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE + PG, IOMMU_ACC_READ, &x, &r), 0);
	/* Supervisor-only page: privileged requests only. */
	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE + 2 * PG, IOMMU_ACC_READ, &x, &r),
		 -EFAULT);
	CHECK_EQ(r.reason, IOMMU_FAULT_PERMISSION);
	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE + 2 * PG,
		       IOMMU_ACC_WRITE | IOMMU_ACC_PRIV, &x, &r),
		 0);
	CHECK_EQ(x.phys, (uintptr_t)buf + 2 * PG);
	CHECK_EQ(xlate(u, RID0, 3, IOVA_BASE, IOMMU_ACC_READ | IOMMU_ACC_PRIV,
		       &x, &r),
		 0);
	/* Exec/priv need a PASID ... */
	CHECK_EQ(xlate(u, RID0, 0, IOVA_BASE, IOMMU_ACC_READ | IOMMU_ACC_EXEC,
		       &x, &r),
		 -EFAULT);
	CHECK_EQ(r.reason, IOMMU_FAULT_REQ_UNSUPPORTED);
	/* ... and a unit that supports them. */
	CHECK_EQ(iommu_unit_attach(s, RID0, 3, ds, 0), 0);
	CHECK_EQ(xlate(s, RID0, 3, IOVA_BASE, IOMMU_ACC_READ | IOMMU_ACC_PRIV,
		       &x, &r),
		 -EFAULT);
	CHECK_EQ(r.reason, IOMMU_FAULT_REQ_UNSUPPORTED);
	iommu_unit_destroy(u);
	iommu_unit_destroy(s);
	d->ops->free(d);
	ds->ops->free(ds);
	iommu_quiesce();
}

TEST(fault_log_overflow)
{
	struct iommu_unit *u = unit_new_str("unit f type=vtd faults=4");
	struct iommu_fault_record r;
	struct iommu_unit_stats st;
	uint8_t v;

	for (unsigned int i = 0; i < 6; i++)
		CHECK_EQ(
		    iommu_dma_read(u, RID0 + i, 0, IOVA_BASE, &v, 1, 0, NULL),
		    -EFAULT);
	iommu_unit_stats(u, &st);
	CHECK_EQ(st.faults, 6);
	CHECK_EQ(st.faults_lost, 2);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(iommu_unit_fault_pop(u, &r), 0);
		CHECK_EQ(r.rid, RID0 + i);
		CHECK_EQ(r.reason, IOMMU_FAULT_CTX_ABSENT);
	}
	CHECK_EQ(iommu_unit_fault_pop(u, &r), -ENOENT);
	CHECK(!strcmp(iommu_fault_reason_name(r.reason), "context-absent"));
	iommu_unit_destroy(u);
}

TEST(iotlb_disabled)
{
	struct iommu_unit *u = unit_new_str("unit n type=riscv iotlb=0");
	struct iommu_domain *d = dom_paging(u, 0);
	uint8_t *a = gbuf_alloc(PG, PG), *b = gbuf_alloc(PG, PG);
	uint64_t unmapped, w0;

	dom_map(d, IOVA_BASE, a, PG, RW);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d, 0), 0);
	w0 = unit_walks(u);
	CHECK_EQ(xlate_phys(u, RID0, 0, IOVA_BASE), (uintptr_t)a);
	CHECK_EQ(xlate_phys(u, RID0, 0, IOVA_BASE), (uintptr_t)a);
	CHECK_EQ(unit_walks(u), w0 + 2);
	CHECK_EQ(pt_unmap(iommu_unit_domain_pt(d), IOVA_BASE, PG, &unmapped),
		 0);
	CHECK_EQ(pt_map(iommu_unit_domain_pt(d), IOVA_BASE, (uintptr_t)b, PG,
			PT_PROT_READ),
		 0);
	CHECK_EQ(xlate_phys(u, RID0, 0, IOVA_BASE), (uintptr_t)b);
	iommu_unit_destroy(u);
	d->ops->free(d);
	iommu_quiesce();
}

TEST(smmuv3_64k_granule)
{
	struct iommu_unit *u =
	    unit_new_str("unit s type=smmuv3 granule=64k nest");
	struct iommu_domain *d = dom_paging(u, 0);
	uint8_t *buf = gbuf_alloc(4 * 65536, 65536);
	uint8_t *src = malloc(4 * 65536);
	struct iommu_xlate x;

	CHECK(!(d->pgsize_bitmap & PG));
	CHECK(d->pgsize_bitmap & 65536);
	CHECK_EQ(d->ops->map(d, IOVA_BASE, (uintptr_t)buf, PG, RW), -EINVAL);
	dom_map(d, IOVA_BASE, buf, 4 * 65536, RW);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d, 0), 0);
	iommu_dma_begin();
	CHECK_EQ(iommu_translate(u, RID0, 0, IOVA_BASE + 100, 1 << 20,
				 IOMMU_ACC_READ, &x, NULL),
		 0);
	iommu_dma_end();
	CHECK_EQ(x.len, 65536 - 100);
	fill_pattern(src, 4 * 65536, 2);
	CHECK_EQ(
	    iommu_dma_write(u, RID0, 0, IOVA_BASE, src, 4 * 65536, 0, NULL), 0);
	CHECK(!memcmp(buf, src, 4 * 65536));
	/* A 64K leaf is cached in 4K blocks: invalidation finds each. */
	CHECK_EQ(d->ops->unmap(d, IOVA_BASE + 65536, 65536, NULL), 65536);
	CHECK_EQ(xlate_phys(u, RID0, 0, IOVA_BASE + 65536 + 3 * PG), 0);
	CHECK_EQ(xlate_phys(u, RID0, 0, IOVA_BASE + 2 * 65536),
		 (uintptr_t)buf + 2 * 65536);
	free(src);
	iommu_unit_destroy(u);
	d->ops->free(d);
	iommu_quiesce();
}
