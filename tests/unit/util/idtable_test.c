/*
 * idtable_test.c - the id table against a brute-force model.
 *
 * The model is an array of states per id (free, reserved, published
 * pointer).  Random reserve / publish / unpublish / erase / lookup sequences
 * check that reserve always returns the lowest free id, -ENOSPC exactly when
 * 1 .. limit - 1 are all taken, and that lookup, erase and next agree with
 * the model.  Allocation failures (the util/fault_inject.h counter) must
 * return -ENOMEM and leave the table unchanged.  Seeds are fixed and printed.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>

#include "util/fault_inject.h"
#include "util/idtable.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* Model: NULL free, IDTABLE_RESERVED, or the published pointer. */
struct idmodel {
	void **state;
	uint32_t limit;
	uint32_t used;
	uint32_t *heap;		/* erased ids, min-heap */
	uint32_t nheap;
	uint32_t hw;		/* ids >= hw were never handed out */
};

static void *ptr_for(uint32_t id)
{
	return (void *)(uintptr_t)(0x1000 + (uintptr_t)id * 8);
}

/*
 * Lowest free id: a min-heap of erased ids plus the never-used ids from hw
 * up.  check_against_model() compares it with a plain scan.
 */
static void heap_push(struct idmodel *m, uint32_t id)
{
	uint32_t i = m->nheap++;

	while (i && m->heap[(i - 1) / 2] > id) {
		m->heap[i] = m->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->heap[i] = id;
}

static void heap_pop(struct idmodel *m)
{
	uint32_t last = m->heap[--m->nheap], i = 0, c;

	while ((c = 2 * i + 1) < m->nheap) {
		if (c + 1 < m->nheap && m->heap[c + 1] < m->heap[c])
			c++;
		if (m->heap[c] >= last)
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	m->heap[i] = last;
}

static uint32_t model_lowest_free(const struct idmodel *m)
{
	if (m->nheap)
		return m->heap[0];
	return m->hw < m->limit ? m->hw : 0;
}

static void model_take(struct idmodel *m, uint32_t id)
{
	if (m->nheap && m->heap[0] == id)
		heap_pop(m);
	else
		m->hw++;
	m->state[id] = IDTABLE_RESERVED;
	m->used++;
}

static void model_free_id(struct idmodel *m, uint32_t id)
{
	m->state[id] = NULL;
	m->used--;
	heap_push(m, id);
}

static void check_against_model(const struct idtable *t,
				struct idmodel *m)
{
	uint32_t id = 0, want;
	void *p;

	CHECK_EQ(t->used, m->used);
	for (want = 1; want < m->limit && m->state[want]; want++)
		;
	CHECK_EQ(model_lowest_free(m), want < m->limit ? want : 0);
	want = 1;
	for (uint32_t i = 0; i < m->limit; i++) {
		void *w = m->state[i] == IDTABLE_RESERVED ? NULL : m->state[i];

		CHECK(idtable_lookup(t, i) == w);
	}
	CHECK(!idtable_lookup(t, m->limit));
	CHECK(!idtable_lookup(t, UINT32_MAX));
	/* next walks exactly the published ids, in order */
	while ((p = idtable_next(t, &id))) {
		while (want < m->limit &&
		       (!m->state[want] || m->state[want] == IDTABLE_RESERVED))
			want++;
		CHECK(want < m->limit);
		CHECK_EQ(id, want);
		CHECK(p == m->state[want]);
		id++;
		want++;
	}
	CHECK_EQ(id, 0);
	while (want < m->limit &&
	       (!m->state[want] || m->state[want] == IDTABLE_RESERVED))
		want++;
	CHECK_EQ(want, m->limit);
}

static void random_ops(uint32_t limit, uint64_t seed, unsigned int ops,
		       unsigned int check_every)
{
	struct idtable t;
	struct idmodel m = { .limit = limit, .hw = 1 };

	rng_state = seed;
	printf("  seed 0x%" PRIx64 " limit %u\n", seed, limit);
	m.state = calloc(limit ? limit : 1, sizeof(*m.state));
	m.heap = calloc(limit ? limit : 1, sizeof(*m.heap));
	CHECK(m.state && m.heap);
	idtable_init(&t, limit);
	for (unsigned int op = 0; op < ops; op++) {
		/* Alternate phases that fill and drain the table. */
		unsigned int fill = (op / 700) % 2 ? 35 : 65;
		uint32_t r = rnd_below(100), id;
		int ret;

		if (r < fill) {
			uint32_t want = model_lowest_free(&m);

			ret = idtable_reserve(&t, &id);
			if (!want) {
				CHECK_EQ(ret, -ENOSPC);
				continue;
			}
			CHECK_EQ(ret, 0);
			CHECK_EQ(id, want);
			model_take(&m, id);
			if (rnd_below(4)) {
				idtable_publish(&t, id, ptr_for(id));
				m.state[id] = ptr_for(id);
			}
		} else {
			void *want;

			/* Mostly taken ids; sometimes free or out of range. */
			id = rnd_below(limit + 2);
			if (limit <= 5000 && rnd_below(4) && m.used)
				for (uint32_t k = rnd_below(m.used) + 1, i = 1;; i++)
					if (m.state[i] && !--k) {
						id = i;
						break;
					}
			want = id < limit ? m.state[id] : NULL;
			switch (rnd_below(6)) {
			case 0:	/* publish a reserved id */
				if (want == IDTABLE_RESERVED) {
					idtable_publish(&t, id, ptr_for(id));
					m.state[id] = ptr_for(id);
				}
				break;
			case 1:	/* tombstone a published one */
				CHECK(idtable_unpublish(&t, id) ==
				      (want == IDTABLE_RESERVED ? NULL : want));
				if (want)
					m.state[id] = IDTABLE_RESERVED;
				break;
			default:
				CHECK(idtable_erase(&t, id) ==
				      (want == IDTABLE_RESERVED ? NULL : want));
				if (want)
					model_free_id(&m, id);
			}
		}
		if (op % check_every == 0)
			check_against_model(&t, &m);
	}
	check_against_model(&t, &m);
	idtable_destroy(&t);
	free(m.state);
	free(m.heap);
}

TEST_TIMEOUT(idtable_random, 120)
{
	static const uint32_t limits[] = { 2, 3, 63, 64, 65, 129, 1000, 4097,
					   5000 };

	for (unsigned int i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		random_ops(limits[i], 0x1d00 + i, 20000, 1);
	random_ops(300000, 0x1dff, 3000000, 500000);
}

TEST(idtable_basic)
{
	struct idtable t;
	uint32_t id;
	int x, y;

	idtable_init(&t, 10);
	CHECK(!idtable_lookup(&t, 0));
	CHECK(!idtable_lookup(&t, 1));
	CHECK(!idtable_erase(&t, 1));
	id = 0;
	CHECK(!idtable_next(&t, &id));
	CHECK_EQ(id, 0);
	for (uint32_t i = 1; i < 10; i++) {
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, i);
		CHECK(!idtable_lookup(&t, id));		/* reserved: invisible */
	}
	CHECK_EQ(idtable_reserve(&t, &id), -ENOSPC);
	idtable_publish(&t, 4, &x);
	idtable_publish(&t, 7, &y);
	CHECK(idtable_lookup(&t, 4) == &x);
	id = 0;
	CHECK(idtable_next(&t, &id) == &x);
	CHECK_EQ(id, 4);
	id = 5;
	CHECK(idtable_next(&t, &id) == &y);
	CHECK_EQ(id, 7);
	id = 8;
	CHECK(!idtable_next(&t, &id));
	CHECK_EQ(id, 0);
	CHECK(idtable_unpublish(&t, 4) == &x);	/* tombstone */
	CHECK(!idtable_lookup(&t, 4));
	CHECK_EQ(t.used, 9);
	CHECK(!idtable_erase(&t, 2));		/* reserved: held nothing */
	CHECK(idtable_erase(&t, 7) == &y);
	CHECK(!idtable_erase(&t, 7));
	CHECK_EQ(t.used, 7);
	CHECK_EQ(idtable_reserve(&t, &id), 0);
	CHECK_EQ(id, 2);
	CHECK_EQ(idtable_reserve(&t, &id), 0);
	CHECK_EQ(id, 7);
	CHECK_EQ(idtable_reserve(&t, &id), -ENOSPC);
	idtable_destroy(&t);
	CHECK_EQ(t.used, 0);
	CHECK_EQ(idtable_reserve(&t, &id), 0);	/* usable again */
	CHECK_EQ(id, 1);
	idtable_destroy(&t);
}

TEST(idtable_tiny_limits)
{
	struct idtable t;
	uint32_t id;

	idtable_init(&t, 0);
	CHECK_EQ(idtable_reserve(&t, &id), -ENOSPC);
	idtable_destroy(&t);
	idtable_init(&t, 1);
	CHECK_EQ(idtable_reserve(&t, &id), -ENOSPC);
	idtable_destroy(&t);
	idtable_init(&t, 2);
	CHECK_EQ(idtable_reserve(&t, &id), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(idtable_reserve(&t, &id), -ENOSPC);
	idtable_destroy(&t);
	/* The largest limit: cap must not overflow. */
	idtable_init(&t, UINT32_MAX);
	for (uint32_t i = 1; i < 1000; i++) {
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, i);
	}
	CHECK(!idtable_lookup(&t, UINT32_MAX - 1));
	CHECK(!idtable_erase(&t, UINT32_MAX - 1));
	id = UINT32_MAX;
	CHECK(!idtable_next(&t, &id));
	idtable_destroy(&t);
}

/* Fail each allocation of a growth in turn: -ENOMEM, nothing changes. */
TEST(idtable_enomem)
{
	for (unsigned int fail = 1; fail <= 3; fail++) {
		struct idtable t;
		uint32_t id;
		int ret;

		idtable_init(&t, 100000);
		for (uint32_t i = 1; i < 64; i++) {
			CHECK_EQ(idtable_reserve(&t, &id), 0);
			idtable_publish(&t, id, (void *)(uintptr_t)(i * 16));
		}
		CHECK_EQ(idtable_erase(&t, 10), (uintptr_t)160);
		/* Lowest free id is below cap: no allocation. */
		ufi_fail_nth(1);
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, 10);
		ufi_fail_nth(0);
		idtable_publish(&t, id, (void *)160);
		/* The next one needs growth (from 64 to 128 slots). */
		ufi_fail_nth(fail);
		ret = idtable_reserve(&t, &id);
		ufi_fail_nth(0);
		if (fail <= 2) {	/* slots, then free_bits (free_sum fits) */
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(t.used, 63);
			CHECK_EQ(t.cap, 64);
			for (uint32_t i = 1; i < 64; i++)
				CHECK_EQ(idtable_lookup(&t, i), (uintptr_t)(i * 16));
			CHECK_EQ(idtable_reserve(&t, &id), 0);
		} else {
			CHECK_EQ(ret, 0);
		}
		CHECK_EQ(id, 64);
		CHECK_EQ(t.used, 64);
		idtable_destroy(&t);
	}
	/* Growth that reallocates all three arrays (4096 ids -> 8192). */
	for (unsigned int fail = 1; fail <= 4; fail++) {
		struct idtable t;
		uint32_t id;
		int ret;

		idtable_init(&t, 100000);
		for (uint32_t i = 1; i < 4096; i++)
			CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(t.cap, 4096);
		ufi_fail_nth(fail);
		ret = idtable_reserve(&t, &id);
		ufi_fail_nth(0);
		CHECK_EQ(ret, fail <= 3 ? -ENOMEM : 0);
		if (ret) {
			CHECK_EQ(t.cap, 4096);
			CHECK_EQ(t.used, 4095);
			CHECK(!idtable_lookup(&t, 4096));
			CHECK_EQ(idtable_reserve(&t, &id), 0);
		}
		CHECK_EQ(id, 4096);
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, 4097);
		idtable_destroy(&t);
	}
}

/* Many ids: the lowest-free property with frees far below the top. */
TEST_TIMEOUT(idtable_large, 120)
{
	const uint32_t n = 1u << 21;
	struct idtable t;
	uint32_t id;

	idtable_init(&t, 0x7fffffff);
	for (uint32_t i = 1; i <= n; i++) {
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, i);
		idtable_publish(&t, id, ptr_for(id));
	}
	/* Free every 1000th id from the top down; they come back lowest first. */
	for (uint32_t i = n - n % 1000; i >= 1000; i -= 1000)
		CHECK(idtable_erase(&t, i) == ptr_for(i));
	for (uint32_t i = 1000; i <= n; i += 1000) {
		CHECK_EQ(idtable_reserve(&t, &id), 0);
		CHECK_EQ(id, i);
	}
	CHECK_EQ(idtable_reserve(&t, &id), 0);
	CHECK_EQ(id, n + 1);
	CHECK_EQ(t.used, n + 1);
	idtable_destroy(&t);
}
