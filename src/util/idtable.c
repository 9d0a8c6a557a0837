/*
 * idtable.c - id -> pointer table handing out the lowest free id (xarray
 * ALLOC1 semantics).
 *
 * slots[0 .. cap - 1] holds NULL (free), IDTABLE_RESERVED or a published
 * pointer; ids cap .. limit - 1 are free and unallocated.  Free ids below cap
 * are also kept in a two-level bitmap so the lowest one is found without a
 * scan of the slots:
 *   free_bits bit i  set  <=>  1 <= i < cap and slots[i] == NULL;
 *   free_sum  bit w  set  <=>  free_bits[w] != 0;
 *   free_sum words below sum_hint are zero.
 * When no id below cap is free the arrays grow geometrically (never past
 * limit), so reserve costs amortised O(1) plus a scan of free_sum words, one
 * word per 4096 * 64 ids.  used counts reserved and published ids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/fault_inject.h"
#include "util/idtable.h"

#define BITS 64

static void *idtable_realloc(void *p, size_t size)
{
	return ufi_realloc(p, size);
}

static inline uint64_t words_for(uint64_t nbits)
{
	return (nbits + BITS - 1) / BITS;
}

static void mark_free(struct idtable *t, uint32_t id)
{
	uint32_t w = id / BITS;

	t->free_bits[w] |= 1ULL << (id % BITS);
	t->free_sum[w / BITS] |= 1ULL << (w % BITS);
	if (w / BITS < t->sum_hint)
		t->sum_hint = w / BITS;
}

static void mark_taken(struct idtable *t, uint32_t id)
{
	uint32_t w = id / BITS;

	t->free_bits[w] &= ~(1ULL << (id % BITS));
	if (!t->free_bits[w])
		t->free_sum[w / BITS] &= ~(1ULL << (w % BITS));
}

void idtable_init(struct idtable *t, uint32_t limit)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
}

void idtable_destroy(struct idtable *t)
{
	free(t->slots);
	free(t->free_bits);
	free(t->free_sum);
	idtable_init(t, t->limit);
}

/*
 * Grow to at least @need slots.  Buffers that were reallocated before a
 * failure are kept (same contents, bigger); cap only moves on success.
 */
static int idtable_grow(struct idtable *t, uint64_t need)
{
	uint64_t new_cap = max_t(uint64_t, (uint64_t)t->cap * 2, BITS);
	uint64_t old_words = words_for(t->cap), new_words;
	uint64_t old_sum = words_for(old_words), new_sum;
	void *p;

	new_cap = max_t(uint64_t, new_cap, need);
	new_cap = min_t(uint64_t, new_cap, t->limit);
	new_words = words_for(new_cap);
	new_sum = words_for(new_words);

	p = idtable_realloc(t->slots, new_cap * sizeof(*t->slots));
	if (!p)
		return -ENOMEM;
	t->slots = p;
	if (new_words > old_words) {
		p = idtable_realloc(t->free_bits,
				    new_words * sizeof(*t->free_bits));
		if (!p)
			return -ENOMEM;
		t->free_bits = p;
	}
	if (new_sum > old_sum) {
		p = idtable_realloc(t->free_sum,
				    new_sum * sizeof(*t->free_sum));
		if (!p)
			return -ENOMEM;
		t->free_sum = p;
	}

	memset(t->slots + t->cap, 0,
	       (new_cap - t->cap) * sizeof(*t->slots));
	memset(t->free_bits + old_words, 0,
	       (new_words - old_words) * sizeof(*t->free_bits));
	memset(t->free_sum + old_sum, 0,
	       (new_sum - old_sum) * sizeof(*t->free_sum));
	for (uint64_t id = max_t(uint64_t, t->cap, 1); id < new_cap; id++)
		mark_free(t, id);
	t->cap = new_cap;
	return 0;
}

int idtable_reserve(struct idtable *t, uint32_t *id)
{
	uint64_t nsum = words_for(words_for(t->cap));
	uint64_t w, bw, new_id;
	int ret;

	if (t->limit <= 1 || t->used >= t->limit - 1)
		return -ENOSPC;
	for (w = t->sum_hint; w < nsum && !t->free_sum[w]; w++)
		;
	t->sum_hint = w;
	if (w < nsum) {
		bw = w * BITS + __builtin_ctzll(t->free_sum[w]);
		new_id = bw * BITS + __builtin_ctzll(t->free_bits[bw]);
	} else {
		/* Every id below cap is taken and used < limit - 1. */
		new_id = max_t(uint64_t, t->cap, 1);
		if (NEVER(new_id >= t->limit))
			return -ENOSPC;
		ret = idtable_grow(t, new_id + 1);
		if (ret)
			return ret;
	}
	mark_taken(t, new_id);
	t->slots[new_id] = IDTABLE_RESERVED;
	t->used++;
	*id = new_id;
	return 0;
}

void idtable_publish(struct idtable *t, uint32_t id, void *ptr)
{
	if (NEVER(id >= t->cap || t->slots[id] != IDTABLE_RESERVED ||
		  !ptr || ptr == IDTABLE_RESERVED))
		return;
	t->slots[id] = ptr;
}

void *idtable_unpublish(struct idtable *t, uint32_t id)
{
	void *old;

	if (id >= t->cap || !t->slots[id] || t->slots[id] == IDTABLE_RESERVED)
		return NULL;
	old = t->slots[id];
	t->slots[id] = IDTABLE_RESERVED;
	return old;
}

void *idtable_lookup(const struct idtable *t, uint32_t id)
{
	void *p;

	if (id >= t->cap)
		return NULL;
	p = t->slots[id];
	return p == IDTABLE_RESERVED ? NULL : p;
}

void *idtable_erase(struct idtable *t, uint32_t id)
{
	void *old;

	if (id == 0 || id >= t->cap || !t->slots[id])
		return NULL;
	old = t->slots[id];
	t->slots[id] = NULL;
	mark_free(t, id);
	t->used--;
	return old == IDTABLE_RESERVED ? NULL : old;
}

void *idtable_next(const struct idtable *t, uint32_t *id)
{
	uint64_t i = *id ? *id : 1;

	while (i < t->cap) {
		/* Bits clear in free_bits: taken, id 0, or past cap. */
		uint64_t taken = ~t->free_bits[i / BITS] >> (i % BITS);

		if (!taken) {
			i = (i | (BITS - 1)) + 1;
			continue;
		}
		i += __builtin_ctzll(taken);
		if (i >= t->cap)
			break;
		if (t->slots[i] != IDTABLE_RESERVED) {
			*id = i;
			return t->slots[i];
		}
		i++;
	}
	*id = 0;
	return NULL;
}
