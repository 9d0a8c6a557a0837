/*
 * arm_lpae.c - Arm VMSAv8-64 stage 1 and stage 2 translation tables with
 * 4, 16 and 64 KiB granules: encoders, decoder and geometry.  Bits and spec
 * references: arm_lpae.h.
 *
 * Blocks: 4 KiB granule at levels 1 and 2 (1 GiB, 2 MiB); 16 KiB and 64 KiB
 * granules at level 2 only (32 MiB, 512 MiB; level 1 blocks need LPA2/LPA,
 * not modelled).  With PT_ARM_CONTIG, runs of 16 (4K), 128/32 (16K at levels
 * 3/2) or 32 (64K) entries carry the Contiguous bit.
 *
 * Dirty state (D8.4, "Hardware management of the dirty state"): writable
 * leaves are written with DBM=1 in the writable-clean state (stage 1
 * AP[2]=1, stage 2 S2AP[1]=0); a write makes them writable-dirty (stage 1
 * AP[2]=0, stage 2 S2AP[1]=1).  Read-only leaves have DBM=0.  AF is set.
 */
#include "iommu/pt/arm_lpae.h"

static unsigned int arm_contig_lg2(const struct pt_format *fmt,
				   unsigned int level)
{
	if (!(fmt->flags & PT_ARM_CONTIG))
		return 0;
	switch (fmt->granule_lg2) {
	case 12:
		return 4;
	case 14:
		return level == 0 ? 7 : 5;
	default:
		return 5;
	}
}

static void arm_decode(const struct pt_format *fmt, unsigned int level,
		       uint64_t pte, struct pt_entry_info *out)
{
	unsigned int shift = fmt->lvl[level].shift;
	unsigned int size_lg2 = shift;
	unsigned int c = arm_contig_lg2(fmt, level);

	*out = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
	if (!(pte & ARM_VALID))
		return;
	if (level && (pte & ARM_TYPE)) {
		out->kind = PT_ENTRY_TABLE;
		out->next_level = (uint8_t)(level - 1);
		out->addr = pte & ARM_ADDR(fmt->granule_lg2);
		return;
	}
	/* A level-3 0b01 or a block where none is allowed: invalid. */
	if ((!level && !(pte & ARM_TYPE)) ||
	    !(fmt->lvl[level].leaf_sizes & PT_BIT(shift))) {
		out->kind = PT_ENTRY_BAD;
		return;
	}
	if ((pte & ARM_CONT) && c &&
	    (fmt->lvl[level].leaf_sizes & PT_BIT(shift + c)))
		size_lg2 += c;
	out->kind = PT_ENTRY_LEAF;
	out->size_lg2 = (uint8_t)size_lg2;
	out->addr = pte & ARM_ADDR(fmt->granule_lg2) & ~((1ull << size_lg2) - 1);
	out->accessed = pte & ARM_AF;
	if (fmt->flags & PT_ARM_STAGE2) {
		uint64_t attr = pte & ARM_S2_MEMATTR;

		out->prot = (pte & ARM_S2AP_R ? PT_PROT_READ : 0) |
			    (pte & (ARM_S2AP_W | ARM_DBM) ? PT_PROT_WRITE : 0) |
			    (pte & ARM_S2_XN ? 0 : PT_PROT_EXEC);
		if (attr == ARM_S2_MEMATTR_WB)
			out->prot |= PT_PROT_CACHE;
		else if (!(attr & (0xcull << 2)))
			out->prot |= PT_PROT_MMIO;
		out->dirty = (pte & (ARM_DBM | ARM_S2AP_W)) ==
			     (ARM_DBM | ARM_S2AP_W);
	} else {
		uint64_t idx = pte & ARM_S1_ATTRIDX;

		out->prot = PT_PROT_READ |
			    (!(pte & ARM_S1_AP2) || (pte & ARM_DBM) ?
				     PT_PROT_WRITE :
				     0) |
			    (pte & ARM_S1_AP1 ? 0 : PT_PROT_PRIV) |
			    (pte & (ARM_S1_UXN | ARM_S1_PXN) ? 0 :
							       PT_PROT_EXEC);
		if (idx == ARM_S1_IDX_WB)
			out->prot |= PT_PROT_CACHE;
		else if (idx == ARM_S1_IDX_DEV)
			out->prot |= PT_PROT_MMIO;
		out->dirty = (pte & (ARM_DBM | ARM_S1_AP2)) == ARM_DBM;
	}
}

static uint64_t arm_make_table(const struct pt_format *fmt, unsigned int level,
			       uint64_t table_pa)
{
	return (table_pa & ARM_ADDR(fmt->granule_lg2)) | ARM_VALID | ARM_TYPE;
}

static uint64_t arm_make_leaf(const struct pt_format *fmt, unsigned int level,
			      uint64_t oa, unsigned int size_lg2,
			      uint32_t prot)
{
	uint64_t pte = (oa & ARM_ADDR(fmt->granule_lg2)) | ARM_VALID | ARM_AF;

	if (level == 0)
		pte |= ARM_TYPE; /* page */
	if (size_lg2 > fmt->lvl[level].shift)
		pte |= ARM_CONT;
	if (prot & PT_PROT_WRITE)
		pte |= ARM_DBM;
	if (fmt->flags & PT_ARM_STAGE2) {
		if (prot & PT_PROT_READ)
			pte |= ARM_S2AP_R;
		if (!(prot & PT_PROT_EXEC))
			pte |= ARM_S2_XN;
		if (prot & PT_PROT_MMIO)
			pte |= ARM_S2_MEMATTR_DEV | ARM_SH_OS;
		else if (prot & PT_PROT_CACHE)
			pte |= ARM_S2_MEMATTR_WB | ARM_SH_IS;
		else
			pte |= ARM_S2_MEMATTR_NC | ARM_SH_OS;
	} else {
		pte |= ARM_S1_NG | ARM_S1_AP2;
		if (!(prot & PT_PROT_PRIV))
			pte |= ARM_S1_AP1;
		if (!(prot & PT_PROT_EXEC))
			pte |= ARM_S1_UXN | ARM_S1_PXN;
		if (prot & PT_PROT_MMIO)
			pte |= ARM_S1_IDX_DEV | ARM_SH_OS;
		else if (prot & PT_PROT_CACHE)
			pte |= ARM_S1_IDX_WB | ARM_SH_IS;
		else
			pte |= ARM_S1_IDX_NC | ARM_SH_OS;
	}
	return pte;
}

static uint64_t arm_mkdirty(const struct pt_format *fmt, uint64_t pte)
{
	if (!(pte & ARM_DBM))
		return pte;
	if (fmt->flags & PT_ARM_STAGE2)
		return pte | ARM_S2AP_W;
	return pte & ~(uint64_t)ARM_S1_AP2;
}

static uint64_t arm_mkclean(const struct pt_format *fmt, uint64_t pte)
{
	if (!(pte & ARM_DBM))
		return pte;
	if (fmt->flags & PT_ARM_STAGE2)
		return pte & ~(uint64_t)ARM_S2AP_W;
	return pte | ARM_S1_AP2;
}

static const struct pt_format_ops arm_ops = {
	.decode = arm_decode,
	.make_table = arm_make_table,
	.make_leaf = arm_make_leaf,
	.mkdirty = arm_mkdirty,
	.mkclean = arm_mkclean,
};

int pt_format_init_arm(struct pt_format *fmt, unsigned int granule_lg2,
		       unsigned int ias_lg2, uint32_t flags)
{
	unsigned int bits = granule_lg2 - 3;
	unsigned int n, top_bits;

	if ((granule_lg2 != 12 && granule_lg2 != 14 && granule_lg2 != 16) ||
	    ias_lg2 > 48 || ias_lg2 < granule_lg2 + bits + 1 ||
	    (flags & ~(PT_ARM_STAGE2 | PT_ARM_CONTIG)))
		return -EINVAL;
	/* Fewest levels that resolve ias bits (the start level). */
	n = (ias_lg2 - granule_lg2 + bits - 1) / bits;
	top_bits = ias_lg2 - (granule_lg2 + bits * (n - 1));
	/*
	 * D8.2.2: a stage 2 initial level that would have 16 or fewer entries
	 * may be replaced by that many tables concatenated one level down.
	 * Not below Arm level 2 (our level 1).
	 */
	if ((flags & PT_ARM_STAGE2) && top_bits <= 4 && n > 2) {
		n--;
		top_bits += bits;
	}
	*fmt = (struct pt_format){
		.name = flags & PT_ARM_STAGE2 ? "arm_s2" : "arm_s1",
		.desc = flags & PT_ARM_STAGE2 ? "Arm VMSAv8-64 stage 2" :
						"Arm VMSAv8-64 stage 1",
		.ops = &arm_ops,
		.family = PT_FAMILY_ARM,
		.flags = flags,
		.ias_lg2 = (uint8_t)ias_lg2,
		.oas_lg2 = 48,
		.prot_mask = PT_PROT_READ | PT_PROT_WRITE | PT_PROT_EXEC |
			     PT_PROT_CACHE | PT_PROT_MMIO,
	};
	if (!(flags & PT_ARM_STAGE2)) {
		fmt->prot_mask |= PT_PROT_PRIV;
		fmt->prot_always = PT_PROT_READ;
	}
	pt_fmt_uniform_levels(fmt, n, granule_lg2, bits);
	fmt->lvl[n - 1].index_bits = (uint8_t)top_bits;
	fmt->lvl[0].leaf_sizes = PT_BIT(granule_lg2);
	if (n > 1)
		fmt->lvl[1].leaf_sizes = PT_BIT(fmt->lvl[1].shift);
	if (n > 2 && granule_lg2 == 12)
		fmt->lvl[2].leaf_sizes = PT_BIT(fmt->lvl[2].shift);
	for (unsigned int l = 0; l < n && l < 3; l++) {
		unsigned int c = arm_contig_lg2(fmt, l);

		if (c && fmt->lvl[l].leaf_sizes)
			fmt->lvl[l].leaf_sizes |=
				PT_BIT(fmt->lvl[l].shift + c);
	}
	return __pt_format_finish(fmt);
}
