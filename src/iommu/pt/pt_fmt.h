/*
 * pt_fmt.h - helpers shared by the format files (vtd_ss.c, vtd_fs.c,
 * amdv1.c, arm_lpae.c, riscv.c) and the generic code; private to pt/.
 *
 * A format file fills a struct pt_format: geometry in lvl[], the PT_PROT_*
 * bits it can express, and its ops; then calls __pt_format_finish(), which
 * derives the root size, trims leaf sizes that cannot fit a table, and
 * checks the geometry is self-consistent.
 */
#ifndef UIOMMU_IOMMU_PT_PT_FMT_H
#define UIOMMU_IOMMU_PT_PT_FMT_H

#include <errno.h>
#include <stdint.h>

#include "iommu/pt/pt.h"

#define PT_BIT(n) (1ull << (n))
/* Bits h..l inclusive. */
#define PT_GENMASK(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

/* Bitmap of the sizes 2^lo .. 2^hi. */
static inline uint64_t pt_sizes_range(unsigned int lo, unsigned int hi)
{
	if (hi < lo)
		return 0;
	return PT_GENMASK(hi, lo);
}

/* Lay out levels of uniform tables: shift = granule + bits * level. */
static inline void pt_fmt_uniform_levels(struct pt_format *fmt,
					 unsigned int levels,
					 unsigned int granule_lg2,
					 unsigned int bits)
{
	fmt->levels = (uint8_t)levels;
	fmt->granule_lg2 = (uint8_t)granule_lg2;
	fmt->table_lg2 = (uint8_t)(bits + 3);
	for (unsigned int l = 0; l < levels; l++) {
		fmt->lvl[l].shift = (uint8_t)(granule_lg2 + bits * l);
		fmt->lvl[l].index_bits = (uint8_t)bits;
		fmt->lvl[l].leaf_sizes = 0;
	}
}

/*
 * Finish a format: the top level's index_bits must already say how many
 * entries the root has.  Returns 0 or -EINVAL.
 */
int __pt_format_finish(struct pt_format *fmt);

#endif
