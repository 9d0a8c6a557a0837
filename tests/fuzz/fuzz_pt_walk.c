/*
 * fuzz_pt_walk.c - libFuzzer target for the generic page table
 * (src/iommu/pt/pt.h), every built-in format.
 *
 * Input: byte 0 picks the format (index into pt_format_list()); byte 1
 * bit 7 picks the mode.
 *   Table mode: the rest is records of RECORD bytes (op, a, b, c); each is
 *   one map / unmap / iova_to_phys / set_dirty / read_and_clear_dirty /
 *   collapse / walk with addresses clamped to a window of the format's
 *   input and output spaces (c bit 5: a and b used unclamped).  A model
 *   (sorted list of mapped extents iova -> oa) is the oracle: map succeeds
 *   only on an unmapped range, unmap reports exactly the mapped bytes of
 *   its range, translations agree with the model, and __pt_table_sane()
 *   holds after every step.
 *   Raw mode: the rest is table memory; table addresses are byte offsets
 *   into it (root at 0) and pt_walk_mem walks it for iovas taken from the
 *   input, which must end in a leaf, a fault or -EFAULT, never a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/pt/pt.h"
#include "util/err.h"

#define RECORD 18
#define WINDOW_LG2 40

struct ext {
	uint64_t iova, len, oa;
};

struct model {
	struct ext *v;
	size_t n, cap;
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t model_lookup(const struct model *m, uint64_t iova)
{
	for (size_t i = 0; i < m->n; i++)
		if (iova >= m->v[i].iova && iova - m->v[i].iova < m->v[i].len)
			return m->v[i].oa + (iova - m->v[i].iova);
	return PT_PHYS_NONE;
}

/* Mapped bytes of [iova, iova + len); len > 0, no wrap. */
static uint64_t model_overlap(const struct model *m, uint64_t iova,
			      uint64_t len)
{
	uint64_t end = iova + len, sum = 0;

	for (size_t i = 0; i < m->n; i++) {
		uint64_t s = m->v[i].iova, e = m->v[i].iova + m->v[i].len;

		if (s < iova)
			s = iova;
		if (e > end)
			e = end;
		if (s < e)
			sum += e - s;
	}
	return sum;
}

static void model_push(struct model *m, uint64_t iova, uint64_t len,
		       uint64_t oa)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			abort();
	}
	m->v[m->n++] = (struct ext){ iova, len, oa };
}

static void model_remove(struct model *m, uint64_t iova, uint64_t len)
{
	uint64_t end = iova + len;
	size_t n = m->n;

	for (size_t i = 0; i < n;) {
		struct ext x = m->v[i];
		uint64_t xe = x.iova + x.len;

		if (xe <= iova || x.iova >= end) {
			i++;
			continue;
		}
		m->v[i] = m->v[--n];
		m->n = n;
		if (x.iova < iova)
			model_push(m, x.iova, iova - x.iova, x.oa);
		if (xe > end)
			model_push(m, end, xe - end, x.oa + (end - x.iova));
		n = m->n;
	}
}

struct ctx {
	const struct pt_format *fmt;
	struct pt_table *pt;
	struct model m;
	uint64_t gran;
};

static uint64_t clamp_addr(const struct ctx *c, uint64_t v, unsigned int bits)
{
	unsigned int w = bits - 1 < WINDOW_LG2 ? bits - 1 : WINDOW_LG2;

	return v & ((1ull << w) - 1) & ~(c->gran - 1);
}

/* Length and alignment from selector @s and @b; big sizes come aligned. */
static uint64_t pick_len(const struct ctx *c, unsigned int s, uint64_t b,
			 uint64_t *align)
{
	unsigned int lg2 = c->fmt->granule_lg2 + (s & 15);

	if (lg2 > 30)
		lg2 = 30;
	*align = s >= 9 ? 1ull << lg2 : c->gran;
	return (1 + ((b >> 56) & 15)) << lg2;
}

static void check_mapped(void *arg, uint64_t iova, uint64_t size)
{
	const struct ctx *c = arg;

	if (!size || model_lookup(&c->m, iova) == PT_PHYS_NONE ||
	    model_lookup(&c->m, iova + size - 1) == PT_PHYS_NONE)
		abort();
}

static void check_translation(const struct ctx *c, uint64_t iova)
{
	uint64_t want = model_lookup(&c->m, iova);
	uint64_t got = pt_iova_to_phys(c->pt, iova);
	struct pt_walk w;
	int ret;

	if (got != want)
		abort();
	ret = pt_walk(c->pt, iova, &w);
	if (ret == 0 ? w.oa != want : want != PT_PHYS_NONE)
		abort();
}

static void run_op(struct ctx *c, const uint8_t *r)
{
	const struct pt_format *fmt = c->fmt;
	uint64_t a = get64(r + 1), b = get64(r + 9);
	unsigned int sel = r[17];
	bool raw = sel & 0x20;
	uint64_t iova = raw ? a : clamp_addr(c, a, fmt->ias_lg2);
	uint64_t oa = raw ? b : clamp_addr(c, b, fmt->oas_lg2);
	uint64_t align, len = pick_len(c, sel, b, &align), done = 0;
	int ret;

	if (!raw) {
		iova &= ~(align - 1);
		oa &= ~(align - 1);
	}
	switch (r[0] % 7) {
	case 0: {
		uint32_t prot = (sel >> 6) & 3;
		bool busy = iova + len > iova && model_overlap(&c->m, iova, len);

		ret = pt_map(c->pt, iova, oa, len, prot);
		if (ret == 0) {
			if (busy || iova + len < iova || !prot)
				abort();
			model_push(&c->m, iova, len, oa);
		} else if (ret == -EEXIST && !busy) {
			abort();
		} else if (ret != -EEXIST && ret != -EINVAL) {
			abort();
		}
		break;
	}
	case 1:
		ret = pt_unmap(c->pt, iova, len, &done);
		if (ret == 0) {
			if (iova + len < iova ||
			    done != model_overlap(&c->m, iova, len))
				abort();
			model_remove(&c->m, iova, len);
		} else if (ret != -EINVAL) {
			abort();
		}
		break;
	case 2:
		check_translation(c, iova + (b & (c->gran - 1)));
		break;
	case 3:
		ret = pt_set_dirty(c->pt, iova);
		if (ret == 0 && model_lookup(&c->m, iova) == PT_PHYS_NONE)
			abort();
		if (ret == -ENOENT && model_lookup(&c->m, iova) != PT_PHYS_NONE)
			abort();
		break;
	case 4:
		pt_read_and_clear_dirty(c->pt, iova, len, sel & 1 ? PT_DIRTY_NO_CLEAR : 0,
					check_mapped, c);
		break;
	case 5:
		pt_collapse(c->pt, iova, len);
		break;
	case 6:
		check_translation(c, iova);
		break;
	}
	if (!__pt_table_sane(c->pt))
		abort();
}

static void run_table(const struct pt_format *fmt, const uint8_t *data,
		      size_t size)
{
	struct ctx c = { .fmt = fmt, .gran = 1ull << fmt->granule_lg2 };

	c.pt = pt_table_create(fmt, NULL);
	if (IS_ERR(c.pt))
		abort();
	for (; size >= RECORD; data += RECORD, size -= RECORD)
		run_op(&c, data);
	for (size_t i = 0; i < c.m.n; i++) {
		check_translation(&c, c.m.v[i].iova);
		check_translation(&c, c.m.v[i].iova + c.m.v[i].len - 1);
	}
	pt_table_destroy(c.pt);
	free(c.m.v);
}

struct mem {
	const uint8_t *p;
	size_t size;
};

static int mem_read(void *ctx, uint64_t table_pa, unsigned int index,
		    uint64_t *pte)
{
	const struct mem *m = ctx;
	uint64_t off;

	if (__builtin_mul_overflow((uint64_t)index, 8, &off) ||
	    __builtin_add_overflow(off, table_pa, &off) || off > m->size ||
	    m->size - off < 8)
		return -EFAULT;
	*pte = get64(m->p + off);
	return 0;
}

static void run_raw(const struct pt_format *fmt, const uint8_t *data,
		    size_t size)
{
	struct mem m = { data, size };
	uint64_t iovas[10] = { 0, ~0ull };
	unsigned int n = 2;

	for (size_t off = 0; off + 8 <= size && n < 10; off += 8)
		iovas[n++] = get64(data + off);
	for (unsigned int i = 0; i < n; i++) {
		struct pt_walk w;
		int ret = pt_walk_mem(fmt, 0, iovas[i], mem_read, &m, &w);

		if (ret && ret != -ENOENT && ret != -EIO && ret != -EFAULT &&
		    ret != -ERANGE)
			abort();
		if (ret == 0 && (w.ptep || w.size_lg2 > 63 ||
				 w.level >= fmt->levels))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pt_format *const *list = pt_format_list();
	const struct pt_format *fmt;
	size_t nfmt = 0;

	if (size < 2)
		return 0;
	while (list[nfmt])
		nfmt++;
	fmt = list[data[0] % nfmt];
	if (data[1] & 0x80)
		run_raw(fmt, data + 2, size - 2);
	else
		run_table(fmt, data + 2, size - 2);
	return 0;
}
