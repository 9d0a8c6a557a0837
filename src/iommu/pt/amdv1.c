/*
 * amdv1.c - AMD IOMMU v1 host page tables, modes 1-6: encoders, decoder and
 * geometry.  Bits and spec references: amdv1.h.
 *
 * Leaf sizes: every power of two from 4 KiB up to half a table's reach at
 * each level (Table 14), capped by the 52-bit address field; sizes above a
 * level's natural one are Next Level 7 PTEs replicated over the entries
 * they cover.  Written leaves have A set and D clear.
 */
#include "iommu/pt/amdv1.h"

static void amdv1_decode(const struct pt_format *fmt, unsigned int level,
			 uint64_t pte, struct pt_entry_info *out)
{
	unsigned int shift = fmt->lvl[level].shift;
	uint64_t nl = (pte & AMDV1_NL) >> AMDV1_NL_SHIFT;
	unsigned int size_lg2 = shift;

	*out = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
	if (!(pte & AMDV1_PR))
		return;
	if (nl != AMDV1_NL_PTE && nl != AMDV1_NL_SIZE) {
		/* PDE: the next table's level is below this one (1-based
		   level of this entry's table is level + 1). */
		if (nl > level) {
			out->kind = PT_ENTRY_BAD;
			return;
		}
		out->kind = PT_ENTRY_TABLE;
		out->next_level = (uint8_t)(nl - 1);
		out->addr = pte & AMDV1_ADDR;
		return;
	}
	if (!(fmt->lvl[level].leaf_sizes & pt_sizes_range(0, 63))) {
		out->kind = PT_ENTRY_BAD; /* no PTEs at this level */
		return;
	}
	if (nl == AMDV1_NL_SIZE) {
		/* Trailing ones from bit 12 give the size (Table 14). */
		uint64_t field = (pte & AMDV1_ADDR) >> 12;
		unsigned int ones = (unsigned int)__builtin_ctzll(~field);

		size_lg2 = 13 + ones;
		if (size_lg2 <= shift ||
		    size_lg2 >= shift + fmt->lvl[level].index_bits) {
			out->kind = PT_ENTRY_BAD;
			return;
		}
	}
	out->kind = PT_ENTRY_LEAF;
	out->size_lg2 = (uint8_t)size_lg2;
	out->addr = pte & AMDV1_ADDR & ~((1ull << size_lg2) - 1);
	out->prot = (pte & AMDV1_IR ? PT_PROT_READ : 0) |
		    (pte & AMDV1_IW ? PT_PROT_WRITE : 0) |
		    (pte & AMDV1_FC ? PT_PROT_CACHE : 0);
	out->dirty = pte & AMDV1_D;
	out->accessed = pte & AMDV1_A;
}

static uint64_t amdv1_make_table(const struct pt_format *fmt,
				 unsigned int level, uint64_t table_pa)
{
	/* The table pointed at is spec level `level` (ours level - 1). */
	return (table_pa & AMDV1_ADDR) | ((uint64_t)level << AMDV1_NL_SHIFT) |
	       AMDV1_PR | AMDV1_IR | AMDV1_IW;
}

static uint64_t amdv1_make_leaf(const struct pt_format *fmt,
				unsigned int level, uint64_t oa,
				unsigned int size_lg2, uint32_t prot)
{
	uint64_t pte = AMDV1_PR | AMDV1_A;

	if (size_lg2 == fmt->lvl[level].shift) {
		pte |= (oa & AMDV1_ADDR) | (AMDV1_NL_PTE << AMDV1_NL_SHIFT);
	} else {
		uint64_t base = oa & ~((1ull << size_lg2) - 1);
		uint64_t ones = (1ull << (size_lg2 - 13)) - 1;

		pte |= ((base | (ones << 12)) & AMDV1_ADDR) |
		       (AMDV1_NL_SIZE << AMDV1_NL_SHIFT);
	}
	if (prot & PT_PROT_READ)
		pte |= AMDV1_IR;
	if (prot & PT_PROT_WRITE)
		pte |= AMDV1_IW;
	if (prot & PT_PROT_CACHE)
		pte |= AMDV1_FC;
	return pte;
}

static uint64_t amdv1_mkdirty(const struct pt_format *fmt, uint64_t pte)
{
	return pte | AMDV1_D;
}

static uint64_t amdv1_mkclean(const struct pt_format *fmt, uint64_t pte)
{
	return pte & ~(uint64_t)AMDV1_D;
}

static const struct pt_format_ops amdv1_ops = {
	.decode = amdv1_decode,
	.make_table = amdv1_make_table,
	.make_leaf = amdv1_make_leaf,
	.mkdirty = amdv1_mkdirty,
	.mkclean = amdv1_mkclean,
};

int pt_format_init_amdv1(struct pt_format *fmt, unsigned int mode)
{
	if (mode < 1 || mode > 6)
		return -EINVAL;
	*fmt = (struct pt_format){
		.name = "amdv1",
		.desc = "AMD IOMMU v1 host page table",
		.ops = &amdv1_ops,
		.family = PT_FAMILY_AMDV1,
		.ias_lg2 = (uint8_t)(mode == 6 ? 64 : 12 + 9 * mode),
		.oas_lg2 = 52,
		.prot_mask = PT_PROT_READ | PT_PROT_WRITE | PT_PROT_CACHE,
	};
	pt_fmt_uniform_levels(fmt, mode, 12, 9);
	if (mode == 6)
		fmt->lvl[5].index_bits = 7; /* bits 63:57 */
	for (unsigned int l = 0; l < mode && l < 5; l++)
		fmt->lvl[l].leaf_sizes =
			pt_sizes_range(fmt->lvl[l].shift,
				       fmt->lvl[l].shift + 8);
	return __pt_format_finish(fmt);
}
