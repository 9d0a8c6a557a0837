/*
 * pt_concurrency_test.c - lock-free readers against a writer.
 *
 * Readers translate a stable range while the writer maps, unmaps, splits
 * and cleans dirty bits in other ranges that share the upper tables: no
 * reader may ever see a fault or a wrong address.  pt_set_dirty racing with
 * a split (leaf replaced by a table) or with the explosion of a contiguous
 * leaf must never be lost, nor racing with read-and-clear.
 */
#include "harness.h"
#include "pt_test.h"

#include <pthread.h>

#include "util/err.h"

#define RW (PT_PROT_READ | PT_PROT_WRITE)

struct shared {
	struct pt_table *pt;
	uint64_t b_first, b_len, oa_delta;
	int stop;
	unsigned long translations, bad;
};

static void *reader(void *arg)
{
	struct shared *sh = arg;
	uint64_t x = (uint64_t)(uintptr_t)&x;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		uint64_t iova, got;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		iova = sh->b_first + (x % sh->b_len);
		got = pt_iova_to_phys(sh->pt, iova);
		if (got != iova + sh->oa_delta)
			__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		if (!(x & 63))
			pt_set_dirty(sh->pt, iova);
		__atomic_fetch_add(&sh->translations, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void nop(void *ctx, uint64_t iova, uint64_t size)
{
}

TEST_TIMEOUT(pt_readers_vs_writer, 120)
{
	static const char *const names[] = { "vtd_ss4", "amdv1_4",
					     "arm_s1_4k_48_contig",
					     "riscv_sv48" };
	const uint64_t g = 1ull << 30, m = 1ull << 21, p = 4096;

	rng_seed(0xc0c0);
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		const struct pt_format *f = pt_format_by_name(names[n]);
		struct shared sh = { .b_first = g, .b_len = 4 * m,
				     .oa_delta = 8 * g };
		pthread_t th[2];
		uint64_t u;
		int ops = 0;

		sh.pt = pt_table_create(f, NULL);
		CHECK(!IS_ERR(sh.pt));
		/* B: half 2 MiB leaves, half pages and contiguous runs. */
		CHECK_EQ(pt_map(sh.pt, g, 9 * g, 2 * m, RW), 0);
		for (uint64_t o = 2 * m; o < 4 * m; o += 16 * p)
			CHECK_EQ(pt_map(sh.pt, g + o, 9 * g + o, 16 * p, RW),
				 0);
		for (int i = 0; i < 2; i++)
			CHECK_EQ(pthread_create(&th[i], NULL, reader, &sh), 0);
		/* The writer works in [g + 8m, 2g): same upper tables. */
		for (int i = 0; i < 4000; i++, ops++) {
			uint64_t off = 8 * m + rnd_below((g - 16 * m) / m) * m;
			uint64_t len = (1 + rnd_below(3)) * m;

			if (pt_map(sh.pt, g + off, 3 * g + off, len, RW) == 0) {
				CHECK_EQ(pt_unmap(sh.pt,
						  g + off + rnd_below(512) * p,
						  (1 + rnd_below(8)) * p, &u),
					 0);
				if (!(i & 7))
					pt_read_and_clear_dirty(sh.pt, g, g, 0,
								nop, NULL);
			}
			if (!rnd_below(4))
				CHECK_EQ(pt_unmap(sh.pt, g + 8 * m, g - 16 * m,
						  &u),
					 0);
		}
		__atomic_store_n(&sh.stop, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		printf("  %s: %d writer ops, %lu translations, %lu wrong\n",
		       f->name, ops, sh.translations, sh.bad);
		CHECK_EQ(sh.bad, 0);
		CHECK(sh.translations > 0);
		pt_table_destroy(sh.pt);
	}
}

struct race {
	struct pt_table *pt;
	uint64_t iova;
	unsigned int spin;
	pthread_barrier_t go;
	int ret;
};

static void spin(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

static void *dirtier(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(&r->go);
	spin(r->spin);
	r->ret = pt_set_dirty(r->pt, r->iova);
	return NULL;
}

struct find {
	uint64_t iova;
	bool found;
};

static void find_report(void *ctx, uint64_t iova, uint64_t size)
{
	struct find *fd = ctx;

	if (fd->iova >= iova && fd->iova - iova < size)
		fd->found = true;
}

/*
 * Map a leaf of 2^size_lg2 (clean), then race a set_dirty inside it with an
 * unmap of its last page (which splits or explodes it): the dirty bit must
 * survive on whatever now maps the address.
 */
static void race_split(const char *name, unsigned int size_lg2,
		       unsigned int rounds)
{
	const struct pt_format *f = pt_format_by_name(name);
	uint64_t s = 1ull << size_lg2, base = 4 * s, p = 4096, u;
	struct race r;
	unsigned int lost = 0;

	r.pt = pt_table_create(f, NULL);
	CHECK(!IS_ERR(r.pt));
	for (unsigned int i = 0; i < rounds; i++) {
		struct find fd;
		struct pt_walk w;
		pthread_t th;

		CHECK_EQ(pt_map(r.pt, base, 2 * base, s, RW), 0);
		CHECK_EQ(pt_walk(r.pt, base, &w), 0);
		CHECK_EQ(w.size_lg2, size_lg2);
		r.iova = base + 2 * p;
		r.spin = (unsigned int)rnd_below(4000);
		pthread_barrier_init(&r.go, NULL, 2);
		CHECK_EQ(pthread_create(&th, NULL, dirtier, &r), 0);
		pthread_barrier_wait(&r.go);
		spin((unsigned int)rnd_below(4000));
		CHECK_EQ(pt_unmap(r.pt, base + s - p, p, &u), 0);
		pthread_join(th, NULL);
		pthread_barrier_destroy(&r.go);
		CHECK_EQ(r.ret, 0);
		fd = (struct find){ r.iova, false };
		CHECK_EQ(pt_read_and_clear_dirty(r.pt, base, s, 0, find_report,
						 &fd),
			 0);
		lost += !fd.found;
		CHECK_EQ(pt_unmap(r.pt, base, s, &u), 0);
		CHECK_EQ(r.pt->nr_tables, 1);
	}
	pt_table_destroy(r.pt);
	if (lost)
		test_fail(__FILE__, __LINE__, "%s: %u of %u dirty bits lost",
			  name, lost, rounds);
}

TEST_TIMEOUT(pt_set_dirty_vs_split, 120)
{
	rng_seed(0x5b17);
	race_split("vtd_ss4", 21, 400);
	race_split("vtd_fs4", 30, 100);
	race_split("amdv1_4", 21, 400);
	race_split("amdv1_4", 16, 400); /* contiguous leaf exploded */
	race_split("arm_s1_4k_48", 21, 400);
	race_split("arm_s2_4k_48", 21, 400);
	race_split("arm_s1_4k_48_contig", 16, 400);
	race_split("riscv_sv39", 21, 400);
}

struct hammer {
	struct pt_table *pt;
	uint64_t base;
	volatile int done;
	bool set[64];
};

static void *hammer_dirty(void *arg)
{
	struct hammer *h = arg;

	for (unsigned int i = 0; i < 200000; i++) {
		CHECK_EQ(pt_set_dirty(h->pt, h->base + (i % 64) * 4096), 0);
		h->set[i % 64] = true;
	}
	__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void mark(void *ctx, uint64_t iova, uint64_t size)
{
	bool *seen = ctx;

	for (uint64_t a = iova; a < iova + size; a += 4096)
		seen[(a >> 12) & 63] = true;
}

TEST_TIMEOUT(pt_set_dirty_vs_read_and_clear, 120)
{
	const char *const names[] = { "vtd_ss4", "amdv1_3", "arm_s1_4k_39",
				      "arm_s2_4k_40", "riscv_sv39x4" };

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		struct hammer h = { .base = 1ull << 30 };
		bool seen[64] = { false };
		unsigned int clears = 0;
		pthread_t th;

		h.pt = pt_table_create(pt_format_by_name(names[n]), NULL);
		/* 4 KiB pages (oa misaligned for anything larger). */
		CHECK_EQ(pt_map(h.pt, h.base, (5ull << 30) + 4096, 64 * 4096,
				RW),
			 0);
		CHECK_EQ(pthread_create(&th, NULL, hammer_dirty, &h), 0);
		while (!__atomic_load_n(&h.done, __ATOMIC_ACQUIRE)) {
			pt_read_and_clear_dirty(h.pt, h.base, 64 * 4096, 0,
						mark, seen);
			clears++;
		}
		pthread_join(th, NULL);
		pt_read_and_clear_dirty(h.pt, h.base, 64 * 4096, 0, mark, seen);
		for (int i = 0; i < 64; i++)
			CHECK(seen[i] == h.set[i]);
		/* Nothing is left dirty after the last clear. */
		memset(seen, 0, sizeof(seen));
		pt_read_and_clear_dirty(h.pt, h.base, 64 * 4096, 0, mark, seen);
		for (int i = 0; i < 64; i++)
			CHECK(!seen[i]);
		printf("  %s: %u read-and-clear passes\n", names[n], clears);
		pt_table_destroy(h.pt);
	}
}
