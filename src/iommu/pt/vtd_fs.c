/*
 * vtd_fs.c - Intel VT-d first-stage page tables (x86 4- and 5-level
 * paging): encoders, decoder and geometry.  Bits and spec references:
 * vtd_fs.h.
 *
 * Every present leaf is readable; leaves are 4 KiB, 2 MiB and 1 GiB (FS1GP).
 * Written leaves have A set and D clear; hardware (here: pt_set_dirty) sets
 * D on the first write.
 */
#include "iommu/pt/vtd_fs.h"

static void vtdfs_decode(const struct pt_format *fmt, unsigned int level,
			 uint64_t pte, struct pt_entry_info *out)
{
	unsigned int shift = fmt->lvl[level].shift;

	*out = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
	if (!(pte & VTDFS_P))
		return;
	if (level == 0 || ((pte & VTDFS_PS) && level <= 2)) {
		out->kind = PT_ENTRY_LEAF;
		out->size_lg2 = (uint8_t)shift;
		out->addr = pte & VTDFS_ADDR & ~((1ull << shift) - 1);
		out->prot = PT_PROT_READ |
			    (pte & VTDFS_RW ? PT_PROT_WRITE : 0) |
			    (pte & VTDFS_US ? 0 : PT_PROT_PRIV) |
			    (pte & VTDFS_XD ? 0 : PT_PROT_EXEC);
		out->dirty = pte & VTDFS_D;
		out->accessed = pte & VTDFS_A;
		return;
	}
	if (pte & VTDFS_PS) {
		out->kind = PT_ENTRY_BAD; /* PS is reserved in PML4E/PML5E */
		return;
	}
	out->kind = PT_ENTRY_TABLE;
	out->next_level = (uint8_t)(level - 1);
	out->addr = pte & VTDFS_ADDR;
}

static uint64_t vtdfs_make_table(const struct pt_format *fmt,
				 unsigned int level, uint64_t table_pa)
{
	return (table_pa & VTDFS_ADDR) | VTDFS_P | VTDFS_RW | VTDFS_US;
}

static uint64_t vtdfs_make_leaf(const struct pt_format *fmt,
				unsigned int level, uint64_t oa,
				unsigned int size_lg2, uint32_t prot)
{
	uint64_t pte = (oa & VTDFS_ADDR) | VTDFS_P | VTDFS_A;

	if (level)
		pte |= VTDFS_PS;
	if (prot & PT_PROT_WRITE)
		pte |= VTDFS_RW;
	if (!(prot & PT_PROT_PRIV))
		pte |= VTDFS_US;
	if (!(prot & PT_PROT_EXEC))
		pte |= VTDFS_XD;
	return pte;
}

static uint64_t vtdfs_mkdirty(const struct pt_format *fmt, uint64_t pte)
{
	return pte | VTDFS_D;
}

static uint64_t vtdfs_mkclean(const struct pt_format *fmt, uint64_t pte)
{
	return pte & ~(uint64_t)VTDFS_D;
}

static const struct pt_format_ops vtdfs_ops = {
	.decode = vtdfs_decode,
	.make_table = vtdfs_make_table,
	.make_leaf = vtdfs_make_leaf,
	.mkdirty = vtdfs_mkdirty,
	.mkclean = vtdfs_mkclean,
};

int pt_format_init_vtd_fs(struct pt_format *fmt, unsigned int levels)
{
	if (levels != 4 && levels != 5)
		return -EINVAL;
	*fmt = (struct pt_format){
		.name = "vtd_fs",
		.desc = "Intel VT-d first stage (x86 paging)",
		.ops = &vtdfs_ops,
		.family = PT_FAMILY_VTD_FS,
		.ias_lg2 = (uint8_t)(12 + 9 * levels),
		.oas_lg2 = 52,
		.sign_extend = true,
		.prot_mask = PT_PROT_READ | PT_PROT_WRITE | PT_PROT_EXEC |
			     PT_PROT_PRIV,
		.prot_always = PT_PROT_READ,
	};
	pt_fmt_uniform_levels(fmt, levels, 12, 9);
	fmt->lvl[0].leaf_sizes = PT_BIT(12);
	fmt->lvl[1].leaf_sizes = PT_BIT(21);
	fmt->lvl[2].leaf_sizes = PT_BIT(30);
	return __pt_format_finish(fmt);
}
