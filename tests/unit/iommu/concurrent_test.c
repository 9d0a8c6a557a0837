/*
 * concurrent_test.c - the unmap ordering property under concurrent DMA:
 * while device threads hammer an IOVA range, the main thread unmaps it
 * (clear PTEs + IOTLB invalidation), waits with iommu_dma_wait(), and then
 * makes the old buffer inaccessible (PROT_NONE).  Any DMA reaching it after
 * the wait would crash the test.  Each round maps a fresh buffer at the same
 * IOVA.  Also: detach and replace under DMA, and a parent unmap under nested
 * DMA.
 */
#include "iommu_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define THREADS 4
#define PAGES 16
#define ROUNDS 40

struct shared {
	struct iommu_unit *u;
	uint32_t rid, pasid;
	uint64_t iova;
	size_t len;
	int stop;
	uint64_t ok, faults;
	unsigned int next;
};

/* Each thread moves data in its own slice of the range (no DMA races). */
static void *dma_thread(void *arg)
{
	struct shared *s = arg;
	unsigned int me = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
	size_t slice = s->len / THREADS;
	uint64_t base = s->iova + me * slice;
	uint8_t buf[PAGES * 4096 / THREADS];
	uint64_t ok = 0, faults = 0, i = 0;

	memset(buf, 0x42, sizeof(buf));
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		size_t off = (i * 1237) % slice;
		size_t n = 1 + (i * 389) % (slice - off);
		int ret = i & 1 ? iommu_dma_write(s->u, s->rid, s->pasid,
						  base + off, buf, n, 0, NULL)
				: iommu_dma_read(s->u, s->rid, s->pasid,
						 base + off, buf, n, 0, NULL);

		if (ret)
			faults++;
		else
			ok++;
		i++;
	}
	__atomic_fetch_add(&s->ok, ok, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->faults, faults, __ATOMIC_RELAXED);
	return NULL;
}

static void spin_for_ok(void)
{
	/* Let every thread translate through the new mapping a while. */
	struct timespec ts = {0, 200000};

	nanosleep(&ts, NULL);
}

static void run_threads(struct shared *s, pthread_t *t)
{
	for (int i = 0; i < THREADS; i++)
		CHECK(!pthread_create(&t[i], NULL, dma_thread, s));
}

static void stop_threads(struct shared *s, pthread_t *t)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

TYPE_TEST(unmap_wait_vs_dma)
{
	struct shared s = {.rid = RID0, .iova = IOVA_BASE, .len = PAGES * PG};
	struct iommu_domain *d;
	pthread_t t[THREADS];

	s.u = unit_new(type);
	d = dom_paging(s.u, 0);
	CHECK_EQ(iommu_unit_attach(s.u, RID0, 0, d, 0), 0);
	run_threads(&s, t);
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t *buf = gbuf_alloc(PAGES * PG, PG);

		dom_map(d, IOVA_BASE, buf, PAGES * PG,
			IOMMU_READ | IOMMU_WRITE);
		spin_for_ok();
		CHECK_EQ(d->ops->unmap(d, IOVA_BASE, PAGES * PG, NULL),
			 PAGES * PG);
		iommu_dma_wait();
		/* From here on any DMA into buf is a crash. */
		CHECK(!mprotect(buf, PAGES * PG, PROT_NONE));
	}
	stop_threads(&s, t);
	CHECK(s.ok > 0);
	CHECK(s.faults > 0);
	iommu_unit_destroy(s.u);
	d->ops->free(d);
	iommu_quiesce();
}

TYPE_TEST(detach_replace_vs_dma)
{
	struct shared s = {
	    .rid = RID1, .pasid = 4, .iova = IOVA_BASE, .len = PAGES * PG};
	struct iommu_domain *d[2];
	pthread_t t[THREADS];

	s.u = unit_new(type);
	d[0] = dom_paging(s.u, 0);
	d[1] = dom_paging(s.u, 0);
	run_threads(&s, t);
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t *buf = gbuf_alloc(PAGES * PG, PG);
		struct iommu_domain *cur = d[r & 1];

		dom_map(cur, IOVA_BASE, buf, PAGES * PG,
			IOMMU_READ | IOMMU_WRITE);
		CHECK_EQ(iommu_unit_attach(s.u, RID1, 4, cur, 0), 0);
		spin_for_ok();
		if (r % 3 == 2)
			CHECK_EQ(iommu_unit_detach(s.u, RID1, 4), 0);
		else
			CHECK_EQ(
			    iommu_unit_attach(s.u, RID1, 4, d[!(r & 1)], 0), 0);
		iommu_dma_wait();
		/* No slot uses cur now: drop its mapping and the memory. */
		CHECK_EQ(cur->ops->unmap(cur, IOVA_BASE, PAGES * PG, NULL),
			 PAGES * PG);
		CHECK(!mprotect(buf, PAGES * PG, PROT_NONE));
	}
	stop_threads(&s, t);
	CHECK(s.ok > 0);
	iommu_unit_destroy(s.u);
	d[0]->ops->free(d[0]);
	d[1]->ops->free(d[1]);
	iommu_quiesce();
}

TYPE_TEST(parent_unmap_vs_nested_dma)
{
	const uint64_t gipa = 0x40000000, dipa = 0x80000000;
	struct shared s = {
	    .rid = RID0, .pasid = 2, .iova = IOVA_BASE, .len = PAGES * PG};
	struct guest_mem g = {.size = 64 * PG, .ipa = gipa};
	struct iommu_nested_s1 s1 = {0};
	struct iommu_domain *parent, *nested;
	const struct pt_format *f;
	pthread_t t[THREADS];

	s.u = unit_new(type);
	parent = dom_paging(s.u, IOMMU_UNIT_DOMAIN_NEST_PARENT);
	g.host = gbuf_alloc(g.size, PG);
	dom_map(parent, gipa, g.host, g.size, IOMMU_READ | IOMMU_WRITE);
	f = iommu_unit_format(s.u, 1);
	s1.root = guest_root(&g, f);
	for (unsigned int i = 0; i < PAGES; i++)
		guest_map(&g, f, s1.root, IOVA_BASE + i * PG, dipa + i * PG, 12,
			  PT_PROT_READ | PT_PROT_WRITE);
	nested = iommu_unit_domain_alloc_nested(s.u, parent, &s1);
	CHECK(!IS_ERR(nested));
	CHECK_EQ(iommu_unit_attach(s.u, RID0, 2, nested, 0), 0);
	run_threads(&s, t);
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t *buf = gbuf_alloc(PAGES * PG, PG);

		dom_map(parent, dipa, buf, PAGES * PG,
			IOMMU_READ | IOMMU_WRITE);
		spin_for_ok();
		CHECK_EQ(parent->ops->unmap(parent, dipa, PAGES * PG, NULL),
			 PAGES * PG);
		iommu_dma_wait();
		CHECK(!mprotect(buf, PAGES * PG, PROT_NONE));
	}
	stop_threads(&s, t);
	CHECK(s.ok > 0);
	iommu_unit_destroy(s.u);
	nested->ops->free(nested);
	parent->ops->free(parent);
	iommu_quiesce();
}
