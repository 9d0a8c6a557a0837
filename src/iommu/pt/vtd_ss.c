/*
 * vtd_ss.c - Intel VT-d second-stage page tables (3, 4 and 5 levels):
 * encoders, decoder and geometry.  Bits and spec references: vtd_ss.h.
 *
 * Leaves are 4 KiB (SS-PTE), 2 MiB (SS-PDE, PS=1) and 1 GiB (SS-PDPE,
 * PS=1, the SLLPS capability).  Written leaves have A set and D clear.
 */
#include "iommu/pt/vtd_ss.h"

static void vtdss_decode(const struct pt_format *fmt, unsigned int level,
			 uint64_t pte, struct pt_entry_info *out)
{
	unsigned int shift = fmt->lvl[level].shift;

	*out = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
	if (!(pte & (VTDSS_R | VTDSS_W)))
		return;
	if (level == 0 || ((pte & VTDSS_PS) && level <= 2)) {
		out->kind = PT_ENTRY_LEAF;
		out->size_lg2 = (uint8_t)shift;
		out->addr = pte & VTDSS_ADDR & ~((1ull << shift) - 1);
		out->prot = (pte & VTDSS_R ? PT_PROT_READ : 0) |
			    (pte & VTDSS_W ? PT_PROT_WRITE : 0) |
			    (pte & VTDSS_SNP ? PT_PROT_CACHE : 0);
		out->dirty = pte & VTDSS_D;
		out->accessed = pte & VTDSS_A;
		return;
	}
	if (pte & VTDSS_PS) {
		out->kind = PT_ENTRY_BAD; /* PS is reserved in PML4E/PML5E */
		return;
	}
	out->kind = PT_ENTRY_TABLE;
	out->next_level = (uint8_t)(level - 1);
	out->addr = pte & VTDSS_ADDR;
}

static uint64_t vtdss_make_table(const struct pt_format *fmt,
				 unsigned int level, uint64_t table_pa)
{
	return (table_pa & VTDSS_ADDR) | VTDSS_R | VTDSS_W;
}

static uint64_t vtdss_make_leaf(const struct pt_format *fmt,
				unsigned int level, uint64_t oa,
				unsigned int size_lg2, uint32_t prot)
{
	uint64_t pte = (oa & VTDSS_ADDR) | VTDSS_A;

	if (level)
		pte |= VTDSS_PS;
	if (prot & PT_PROT_READ)
		pte |= VTDSS_R;
	if (prot & PT_PROT_WRITE)
		pte |= VTDSS_W;
	if (prot & PT_PROT_CACHE)
		pte |= VTDSS_SNP;
	return pte;
}

static uint64_t vtdss_mkdirty(const struct pt_format *fmt, uint64_t pte)
{
	return pte | VTDSS_D;
}

static uint64_t vtdss_mkclean(const struct pt_format *fmt, uint64_t pte)
{
	return pte & ~(uint64_t)VTDSS_D;
}

static const struct pt_format_ops vtdss_ops = {
	.decode = vtdss_decode,
	.make_table = vtdss_make_table,
	.make_leaf = vtdss_make_leaf,
	.mkdirty = vtdss_mkdirty,
	.mkclean = vtdss_mkclean,
};

int pt_format_init_vtd_ss(struct pt_format *fmt, unsigned int levels)
{
	if (levels < 3 || levels > 5)
		return -EINVAL;
	*fmt = (struct pt_format){
		.name = "vtd_ss",
		.desc = "Intel VT-d second stage",
		.ops = &vtdss_ops,
		.family = PT_FAMILY_VTD_SS,
		.ias_lg2 = (uint8_t)(12 + 9 * levels),
		.oas_lg2 = 52,
		.prot_mask = PT_PROT_READ | PT_PROT_WRITE | PT_PROT_CACHE,
	};
	pt_fmt_uniform_levels(fmt, levels, 12, 9);
	fmt->lvl[0].leaf_sizes = PT_BIT(12);
	fmt->lvl[1].leaf_sizes = PT_BIT(21);
	fmt->lvl[2].leaf_sizes = PT_BIT(30);
	return __pt_format_finish(fmt);
}
