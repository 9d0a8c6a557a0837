/*
 * iommu_bench.c - the software IOMMU's translation path, measured: IOTLB
 * hits, random translation over 1K / 64K / 1M mapped 4 KiB pages in every
 * unit format with the IOTLB on and off, nested walks cold and warm,
 * invalidation of a page / a 2^k range / a domain, 4 KiB DMA; and, in the
 * same run, the baselines they should be compared with: a naive radix-tree
 * walk over the same keys and a plain memcpy.
 *
 * Output: one JSON object per line:
 *   {"bench":"iotlb_hit","unit":"vtd","format":"vtd_fs4","pages":1,
 *    "iotlb":true,"ns_per_op":2.31,"ops":50000000,"target_ns":5}
 * Build with --buildtype=release for meaningful numbers.  Arguments: "quick"
 * (smaller runs), or substrings selecting benches.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "iommu/dma.h"
#include "bench.h"
#include "iommu/pt/pt.h"
#include "iommu/translate.h"
#include "iommu/unit.h"
#include "util/err.h"

#define PG 4096ull
#define IOVA_BASE 0x100000000ull
#define RID 0x0100u

static bool quick;
static int nsel;
static char **sel;
static volatile uint64_t sink;

static bool selected(const char *name)
{
	return bench_selected(name, nsel, sel);
}

#define now_ns bench_now_ns

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void emit(const char *bench, const char *unit, const char *fmt,
		 uint64_t pages, int iotlb, double ns, uint64_t ops,
		 double target)
{
	printf("{\"bench\":\"%s\"", bench);
	if (unit)
		printf(",\"unit\":\"%s\"", unit);
	if (fmt)
		printf(",\"format\":\"%s\"", fmt);
	if (pages)
		printf(",\"pages\":%llu", (unsigned long long)pages);
	if (iotlb >= 0)
		printf(",\"iotlb\":%s", iotlb ? "true" : "false");
	printf(",\"ns_per_op\":%.2f,\"ops\":%llu", ns / ops,
	       (unsigned long long)ops);
	if (target > 0)
		printf(",\"target_ns\":%g", target);
	printf("}\n");
	fflush(stdout);
}

static void *big_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* --- setups --------------------------------------------------------------- */

static const char *const decls[][2] = {
    /* unit declaration, IOTLB-off variant */
    {"unit vtd type=vtd nest dirty", "unit vtd type=vtd nest iotlb=0"},
    {"unit amd type=amd nest dirty", "unit amd type=amd nest iotlb=0"},
    {"unit smmuv3 type=smmuv3 nest dirty",
     "unit smmuv3 type=smmuv3 nest iotlb=0"},
    {"unit riscv type=riscv nest dirty", "unit riscv type=riscv nest iotlb=0"},
};

static struct iommu_unit *unit_make(const char *decl)
{
	char err[256];
	struct iommu_unit *u = iommu_unit_create_str(decl, err, sizeof(err));

	if (IS_ERR(u)) {
		fprintf(stderr, "%s: %s\n", decl, err);
		exit(1);
	}
	return u;
}

/* Host memory the pages map to: cycled through, one leaf per page. */
#define HOST_PAGES 16384ull
static uint8_t *host;

/* A paging domain of @stage with @pages 4K leaves at IOVA_BASE. */
static struct iommu_domain *domain_make(struct iommu_unit *u,
					unsigned int stage, uint64_t pages)
{
	struct iommu_domain *d = iommu_unit_domain_alloc_paging(
	    u,
	    stage == 1 ? IOMMU_UNIT_DOMAIN_STAGE1 : IOMMU_UNIT_DOMAIN_STAGE2);
	struct pt_table *pt;

	if (IS_ERR(d)) {
		fprintf(stderr, "domain: %ld\n", PTR_ERR(d));
		exit(1);
	}
	pt = iommu_unit_domain_pt(d);
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t oa = (uintptr_t)host + (i * 7 % HOST_PAGES) * PG;

		if (pt_map(pt, IOVA_BASE + i * PG, oa, PG,
			   PT_PROT_READ | PT_PROT_WRITE)) {
			fprintf(stderr, "pt_map failed at page %llu\n",
				(unsigned long long)i);
			exit(1);
		}
	}
	return d;
}

/* --- translation benches ------------------------------------------------- */

static void bench_hit(void)
{
	uint64_t ops = quick ? 2000000 : 50000000;

	for (size_t t = 0; t < 4; t++) {
		struct iommu_unit *u = unit_make(decls[t][0]);

		for (unsigned int stage = 1; stage <= 2; stage++) {
			struct iommu_domain *d = domain_make(u, stage, 1);
			struct iommu_xlate x;
			uint64_t acc = 0;
			double t0;

			iommu_unit_attach(u, RID, 0, d, 0);
			iommu_dma_begin();
			iommu_translate(u, RID, 0, IOVA_BASE, 8, IOMMU_ACC_READ,
					&x, NULL);
			t0 = now_ns();
			for (uint64_t i = 0; i < ops; i++) {
				iommu_translate(u, RID, 0,
						IOVA_BASE + (i & 0xff8), 8,
						IOMMU_ACC_READ, &x, NULL);
				acc += x.phys;
			}
			t0 = now_ns() - t0;
			iommu_dma_end();
			sink = acc;
			emit("iotlb_hit", iommu_unit_type_name(t),
			     iommu_unit_format(u, stage)->name, 1, 1, t0, ops,
			     5);
			iommu_unit_detach(u, RID, 0);
			d->ops->free(d);
		}
		iommu_unit_destroy(u);
	}
}

static uint32_t *rand_idx;
#define NRAND (1u << 22)

static void bench_random(void)
{
	static const uint64_t sizes[] = {1024, 65536, 1048576};
	uint64_t ops = quick ? 1000000 : 10000000;

	for (size_t t = 0; t < 4; t++) {
		for (unsigned int stage = 1; stage <= 2; stage++) {
			for (size_t s = 0; s < 3; s++) {
				uint64_t pages = sizes[s];

				if (quick && pages > 65536)
					continue;
				for (int on = 1; on >= 0; on--) {
					struct iommu_unit *u =
					    unit_make(decls[t][!on]);
					struct iommu_domain *d =
					    domain_make(u, stage, pages);
					struct iommu_xlate x;
					uint64_t acc = 0, mask = pages - 1;
					double t0;

					iommu_unit_attach(u, RID, 0, d, 0);
					iommu_dma_begin();
					for (uint64_t i = 0;
					     i < pages && i < ops; i++)
						iommu_translate(
						    u, RID, 0,
						    IOVA_BASE + i * PG, 8,
						    IOMMU_ACC_READ, &x, NULL);
					t0 = now_ns();
					for (uint64_t i = 0; i < ops; i++) {
						uint64_t p =
						    rand_idx[i & (NRAND - 1)] &
						    mask;

						iommu_translate(
						    u, RID, 0,
						    IOVA_BASE + p * PG + 8, 8,
						    IOMMU_ACC_READ, &x, NULL);
						acc += x.phys;
					}
					t0 = now_ns() - t0;
					iommu_dma_end();
					sink = acc;
					emit("random_xlate",
					     iommu_unit_type_name(t),
					     iommu_unit_format(u, stage)->name,
					     pages, on, t0, ops,
					     pages == 1048576 ? 60 : 0);
					iommu_unit_destroy(u);
					d->ops->free(d);
					iommu_dma_wait();
				}
			}
		}
	}
}

/* A naive radix tree: 4 levels of 512 pointers, the last holding addresses. */
struct radix {
	void *slot[512];
};

static void radix_insert(struct radix *root, uint64_t key, uint64_t val)
{
	struct radix *n = root;

	for (int l = 3; l > 0; l--) {
		unsigned int i = (key >> (12 + 9 * l)) & 511;

		if (!n->slot[i])
			n->slot[i] = calloc(1, sizeof(struct radix));
		n = n->slot[i];
	}
	n->slot[(key >> 12) & 511] = (void *)(uintptr_t)val;
}

static inline uint64_t radix_lookup(const struct radix *root, uint64_t key)
{
	const struct radix *n = root;

	for (int l = 3; l > 0; l--) {
		n = n->slot[(key >> (12 + 9 * l)) & 511];
		if (!n)
			return 0;
	}
	return (uintptr_t)n->slot[(key >> 12) & 511] + (key & 0xfff);
}

static void radix_free(struct radix *n, int l)
{
	for (int i = 0; l > 0 && i < 512; i++)
		if (n->slot[i])
			radix_free(n->slot[i], l - 1);
	free(n);
}

static void bench_radix(void)
{
	static const uint64_t sizes[] = {1024, 65536, 1048576};
	uint64_t ops = quick ? 1000000 : 10000000;

	for (size_t s = 0; s < 3; s++) {
		struct radix *root = calloc(1, sizeof(*root));
		uint64_t pages = sizes[s], mask = pages - 1, acc = 0;
		double t0;

		for (uint64_t i = 0; i < pages; i++)
			radix_insert(root, IOVA_BASE + i * PG,
				     (uintptr_t)host +
					 (i * 7 % HOST_PAGES) * PG);
		t0 = now_ns();
		for (uint64_t i = 0; i < ops; i++) {
			uint64_t p = rand_idx[i & (NRAND - 1)] & mask;

			acc += radix_lookup(root, IOVA_BASE + p * PG + 8);
		}
		t0 = now_ns() - t0;
		sink = acc;
		emit("baseline_radix_walk", NULL, NULL, pages, -1, t0, ops, 0);
		radix_free(root, 3);
	}
}

/* --- nested ----------------------------------------------------------------
 */

#define GUEST_IPA 0x40000000ull
#define DATA_IPA 0x80000000ull

/* Stage-1 leaf at @iova -> @oa written into guest memory (IPA @g_ipa). */
struct gmem {
	uint8_t *host;
	uint64_t used, size;
};

static uint64_t galloc(struct gmem *g, uint64_t size)
{
	uint64_t at = (g->used + size - 1) & ~(size - 1);

	if (at + size > g->size) {
		fprintf(stderr, "guest memory exhausted\n");
		exit(1);
	}
	g->used = at + size;
	return GUEST_IPA + at;
}

static void gmap(struct gmem *g, const struct pt_format *f, uint64_t root,
		 uint64_t iova, uint64_t oa)
{
	unsigned int level = f->levels - 1u;
	uint64_t table = root;

	for (;;) {
		uint64_t *pte =
		    (uint64_t *)(g->host + table - GUEST_IPA +
				 8ull * pt_format_index(f, level, iova));
		struct pt_entry_info info;

		if (level == 0) {
			*pte = f->ops->make_leaf(
			    f, 0, oa, 12,
			    pt_prot_normalize(f, PT_PROT_READ | PT_PROT_WRITE));
			return;
		}
		if (!*pte)
			*pte = f->ops->make_table(
			    f, level, galloc(g, 1ull << f->table_lg2));
		pt_format_decode(f, level, *pte, &info);
		table = info.addr;
		level = info.next_level;
	}
}

static void bench_nested(void)
{
	/* Warm: every translation hits (combined + stage-2 entries fit). */
	const uint64_t pages = 1024;
	uint64_t ops = quick ? 200000 : 2000000;

	for (size_t t = 0; t < 4; t++) {
		for (int on = 1; on >= 0; on--) {
			struct iommu_unit *u = unit_make(decls[t][!on]);
			struct iommu_domain *parent =
			    iommu_unit_domain_alloc_paging(
				u, IOMMU_UNIT_DOMAIN_NEST_PARENT);
			const struct pt_format *f = iommu_unit_format(u, 1);
			struct gmem g = {.size = 64ull << 20};
			struct iommu_nested_s1 s1 = {0};
			struct iommu_domain *nested;
			struct iommu_xlate x;
			uint64_t acc = 0;
			double t0;

			g.host = big_alloc(g.size);
			for (uint64_t i = 0; i < g.size / PG; i++)
				pt_map(iommu_unit_domain_pt(parent),
				       GUEST_IPA + i * PG,
				       (uintptr_t)g.host + i * PG, PG,
				       PT_PROT_READ | PT_PROT_WRITE);
			for (uint64_t i = 0; i < pages; i++)
				pt_map(iommu_unit_domain_pt(parent),
				       DATA_IPA + i * PG,
				       (uintptr_t)host + i * PG, PG,
				       PT_PROT_READ | PT_PROT_WRITE);
			s1.root = galloc(&g, 1ull << f->root_lg2);
			for (uint64_t i = 0; i < pages; i++)
				gmap(&g, f, s1.root, IOVA_BASE + i * PG,
				     DATA_IPA + i * PG);
			nested = iommu_unit_domain_alloc_nested(u, parent, &s1);
			if (IS_ERR(nested)) {
				fprintf(stderr, "nested: %ld\n",
					PTR_ERR(nested));
				exit(1);
			}
			iommu_unit_attach(u, RID, 0, nested, 0);
			iommu_dma_begin();
			for (uint64_t i = 0; i < pages; i++)
				iommu_translate(u, RID, 0, IOVA_BASE + i * PG,
						8, IOMMU_ACC_READ, &x, NULL);
			t0 = now_ns();
			for (uint64_t i = 0; i < ops; i++) {
				uint64_t p =
				    rand_idx[i & (NRAND - 1)] & (pages - 1);

				iommu_translate(u, RID, 0,
						IOVA_BASE + p * PG + 8, 8,
						IOMMU_ACC_READ, &x, NULL);
				acc += x.phys;
			}
			t0 = now_ns() - t0;
			iommu_dma_end();
			sink = acc;
			emit(on ? "nested_warm" : "nested_cold",
			     iommu_unit_type_name(t), f->name, pages, on, t0,
			     ops, 0);
			iommu_unit_destroy(u);
			nested->ops->free(nested);
			parent->ops->free(parent);
			iommu_dma_wait();
			munmap(g.host, g.size);
		}
	}
}

/* --- invalidation ----------------------------------------------------------
 */

static void bench_invalidate(void)
{
	static const unsigned int range_lg2[] = {0, 4, 9, 18};
	const uint64_t pages = 4096;
	uint64_t ops = quick ? 2000 : 20000;
	struct iommu_unit *u = unit_make(decls[0][0]);
	struct iommu_domain *d = domain_make(u, 2, pages);
	uint32_t tag = iommu_unit_domain_tag(d);
	struct iommu_xlate x;

	iommu_unit_attach(u, RID, 0, d, 0);
	for (size_t k = 0; k < 5; k++) {
		struct iommu_inv inv = {.tag = tag,
					.pasid = IOMMU_INV_ANY_PASID};
		char name[64];
		double total = 0;

		if (k < 4) {
			inv.granule = IOMMU_INV_RANGE;
			inv.len = PG << range_lg2[k];
			snprintf(name, sizeof(name), "invalidate_range_2^%u",
				 range_lg2[k]);
		} else {
			inv.granule = IOMMU_INV_DOMAIN;
			snprintf(name, sizeof(name), "invalidate_domain");
		}
		for (uint64_t i = 0; i < ops; i++) {
			double t0;

			/* Refill a few entries so the scan has work. */
			iommu_dma_begin();
			for (int j = 0; j < 8; j++)
				iommu_translate(
				    u, RID, 0, IOVA_BASE + (rnd() % pages) * PG,
				    8, IOMMU_ACC_READ, &x, NULL);
			iommu_dma_end();
			inv.iova = IOVA_BASE + (rnd() % pages) * PG;
			inv.iova &= ~((PG << range_lg2[k < 4 ? k : 0]) - 1);
			t0 = now_ns();
			iommu_unit_invalidate(u, &inv);
			total += now_ns() - t0;
		}
		emit(name, "vtd", iommu_unit_format(u, 2)->name, pages, 1,
		     total, ops, 0);
	}
	{
		double t0 = now_ns();
		uint64_t n = quick ? 200 : 2000;
		struct iommu_inv inv = {.granule = IOMMU_INV_RANGE,
					.tag = tag,
					.pasid = IOMMU_INV_ANY_PASID,
					.iova = IOVA_BASE,
					.len = PG};

		for (uint64_t i = 0; i < n; i++)
			iommu_unit_flush_and_wait(u, &inv);
		emit("flush_and_wait_page", "vtd", NULL, 1, 1, now_ns() - t0, n,
		     0);
	}
	iommu_unit_destroy(u);
	d->ops->free(d);
}

/* --- DMA vs memcpy ---------------------------------------------------------
 */

static void bench_dma(void)
{
	uint64_t ops = quick ? 200000 : 2000000;
	struct iommu_unit *u = unit_make(decls[0][0]);
	struct iommu_domain *d = domain_make(u, 2, 256);
	uint8_t *buf = big_alloc(PG);
	double t0;

	iommu_unit_attach(u, RID, 0, d, 0);
	memset(buf, 1, PG);
	t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		memcpy(host + ((i % 256) * 7 % HOST_PAGES) * PG, buf, PG);
		sink += host[i % 256];
	}
	emit("baseline_memcpy_4k", NULL, NULL, 256, -1, now_ns() - t0, ops, 0);
	t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++)
		iommu_dma_write(u, RID, 0, IOVA_BASE + (i % 256) * PG, buf, PG,
				0, NULL);
	emit("dma_write_4k", "vtd", iommu_unit_format(u, 2)->name, 256, 1,
	     now_ns() - t0, ops, 0);
	t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++)
		iommu_dma_read(u, RID, 0, IOVA_BASE + (i % 256) * PG, buf, PG,
			       0, NULL);
	emit("dma_read_4k", "vtd", iommu_unit_format(u, 2)->name, 256, 1,
	     now_ns() - t0, ops, 0);
	iommu_unit_destroy(u);
	d->ops->free(d);
	munmap(buf, PG);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "quick"))
			quick = true;
		else
			sel = &argv[i], nsel = argc - i, i = argc;
	}
	host = big_alloc(HOST_PAGES * PG);
	rand_idx = malloc(NRAND * sizeof(*rand_idx));
	for (uint32_t i = 0; i < NRAND; i++)
		rand_idx[i] = (uint32_t)rnd();

	if (selected("hit"))
		bench_hit();
	if (selected("random"))
		bench_random();
	if (selected("radix"))
		bench_radix();
	if (selected("nested"))
		bench_nested();
	if (selected("invalidate"))
		bench_invalidate();
	if (selected("dma"))
		bench_dma();
	free(rand_idx);
	return 0;
}
