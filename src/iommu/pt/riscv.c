/*
 * riscv.c - RISC-V Sv39/Sv48/Sv57 (first stage) and Sv39x4/Sv48x4/Sv57x4
 * (G-stage) page tables: encoders, decoder and geometry.  Bits and spec
 * references: riscv.h.
 *
 * Leaves at every level: 4 KiB, 2 MiB, 1 GiB, 512 GiB (Sv48+), 256 TiB
 * (Sv57).  Written leaves have A set and D clear, R whenever W (W without R
 * is reserved), U unless PT_PROT_PRIV (always U in the G-stage).
 */
#include "iommu/pt/riscv.h"

static void riscv_decode(const struct pt_format *fmt, unsigned int level,
			 uint64_t pte, struct pt_entry_info *out)
{
	unsigned int shift = fmt->lvl[level].shift;
	uint64_t addr = ((pte & RISCV_PPN) >> RISCV_PPN_SHIFT) << 12;
	bool gstage = fmt->flags & PT_RISCV_GSTAGE;

	*out = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
	if (!(pte & RISCV_V))
		return;
	if (pte & (RISCV_RSVD | RISCV_PBMT | RISCV_N)) {
		out->kind = PT_ENTRY_BAD;
		return;
	}
	if (!(pte & (RISCV_R | RISCV_W | RISCV_X))) {
		if (level == 0) {
			out->kind = PT_ENTRY_BAD; /* pointer below level 0 */
			return;
		}
		out->kind = PT_ENTRY_TABLE;
		out->next_level = (uint8_t)(level - 1);
		out->addr = addr;
		return;
	}
	/* W without R is reserved; a superpage's low PPN bits must be 0. */
	if (((pte & (RISCV_R | RISCV_W)) == RISCV_W) ||
	    (addr & ((1ull << shift) - 1))) {
		out->kind = PT_ENTRY_BAD;
		return;
	}
	out->kind = PT_ENTRY_LEAF;
	out->size_lg2 = (uint8_t)shift;
	out->addr = addr;
	out->prot = (pte & RISCV_R ? PT_PROT_READ : 0) |
		    (pte & RISCV_W ? PT_PROT_WRITE : 0) |
		    (pte & RISCV_X ? PT_PROT_EXEC : 0);
	if (!(pte & RISCV_U)) {
		if (gstage)
			out->prot = 0; /* every G-stage access is U-mode */
		else
			out->prot |= PT_PROT_PRIV;
	}
	out->dirty = pte & RISCV_D;
	out->accessed = pte & RISCV_A;
}

static uint64_t riscv_make_table(const struct pt_format *fmt,
				 unsigned int level, uint64_t table_pa)
{
	return ((table_pa >> 12) << RISCV_PPN_SHIFT & RISCV_PPN) | RISCV_V;
}

static uint64_t riscv_make_leaf(const struct pt_format *fmt,
				unsigned int level, uint64_t oa,
				unsigned int size_lg2, uint32_t prot)
{
	uint64_t pte = ((oa >> 12) << RISCV_PPN_SHIFT & RISCV_PPN) | RISCV_V |
		       RISCV_A;

	if (prot & (PT_PROT_READ | PT_PROT_WRITE))
		pte |= RISCV_R;
	if (prot & PT_PROT_WRITE)
		pte |= RISCV_W;
	if (prot & PT_PROT_EXEC)
		pte |= RISCV_X;
	if (!(prot & PT_PROT_PRIV))
		pte |= RISCV_U;
	return pte;
}

static uint64_t riscv_mkdirty(const struct pt_format *fmt, uint64_t pte)
{
	return pte | RISCV_D;
}

static uint64_t riscv_mkclean(const struct pt_format *fmt, uint64_t pte)
{
	return pte & ~(uint64_t)RISCV_D;
}

static const struct pt_format_ops riscv_ops = {
	.decode = riscv_decode,
	.make_table = riscv_make_table,
	.make_leaf = riscv_make_leaf,
	.mkdirty = riscv_mkdirty,
	.mkclean = riscv_mkclean,
};

int pt_format_init_riscv(struct pt_format *fmt, unsigned int levels,
			 bool gstage)
{
	if (levels < 3 || levels > 5)
		return -EINVAL;
	*fmt = (struct pt_format){
		.name = gstage ? "riscv_gstage" : "riscv",
		.desc = gstage ? "RISC-V G-stage (SvNNx4)" : "RISC-V SvNN",
		.ops = &riscv_ops,
		.family = PT_FAMILY_RISCV,
		.flags = gstage ? PT_RISCV_GSTAGE : 0,
		.ias_lg2 = (uint8_t)(12 + 9 * levels + (gstage ? 2 : 0)),
		.oas_lg2 = 56,
		.sign_extend = !gstage,
		.prot_mask = PT_PROT_READ | PT_PROT_WRITE | PT_PROT_EXEC |
			     (gstage ? 0 : PT_PROT_PRIV),
		.prot_with_write = PT_PROT_READ,
	};
	pt_fmt_uniform_levels(fmt, levels, 12, 9);
	if (gstage)
		fmt->lvl[levels - 1].index_bits = 11; /* the x4 root */
	for (unsigned int l = 0; l < levels; l++)
		fmt->lvl[l].leaf_sizes = PT_BIT(fmt->lvl[l].shift);
	return __pt_format_finish(fmt);
}
