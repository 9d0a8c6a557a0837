/*
 * amdv1.h - AMD IOMMU "v1" host page tables (I/O page tables for host
 * translations), bit by bit.
 *
 * Source: AMD I/O Virtualization Technology (IOMMU) Specification, pub.
 * 48882 (rev. 3.0x numbering):
 *   §2.2.2   Device Table Entry: Mode (levels, 1-6), Host Page Table Root
 *            Pointer 51:12, HAD (host access/dirty update enable)
 *   §2.2.3   I/O Page Tables for Host Translations: the PDE and PTE
 *            figures (Figures 8-10), Table 14 "Example Page Size
 *            Encodings", Table 15 "Page Table Level Parameters"
 *   §2.2.3.x Host access and dirty bits (EFR HASup/HDSup)
 *
 * Levels: spec level n (1..6) is our level n - 1.  A mode-n table resolves
 * 12 + 9n input bits (mode 6: 64, its root indexing bits 63:57 with 128
 * entries); input bits above the mode's width must be zero.  A PDE's
 * Next Level field names the level of the table it points at and may skip
 * levels (the skipped input bits must be zero); we never write skips but
 * the walkers follow them.  A PTE (Next Level 0) maps the level's natural
 * size; a PTE with Next Level 7 maps a larger power of two, encoded in the
 * address field (Table 14: address bits from 12 up to size_lg2 - 2 are 1,
 * bit size_lg2 - 1 is 0), and is replicated in every entry the page covers.
 * The top level of a mode-6 table holds no PTEs (Table 15).
 */
#ifndef UIOMMU_IOMMU_PT_AMDV1_H
#define UIOMMU_IOMMU_PT_AMDV1_H

#include "iommu/pt/pt_fmt.h"

enum {
	/* Present: PDE and PTE (§2.2.3 figures). */
	AMDV1_PR = PT_BIT(0),
	/* Bits 4:1 ignored. */
	/* Accessed: set by hardware when DTE.HAD enables it (§2.2.3). */
	AMDV1_A = PT_BIT(5),
	/* Dirty: PTE only, set on write when DTE.HAD enables it (§2.2.3);
	   for a replicated large page any copy may carry it. */
	AMDV1_D = PT_BIT(6),
	/* Bits 8:7 ignored. */
	/* Bits 58:52 reserved (0). */
	/* U (bit 59, PTE): ATS "untranslated access only" - not written. */
	/* FC: Force Coherent, PTE only: PT_PROT_CACHE. */
	AMDV1_FC = PT_BIT(60),
	/* IR / IW: read / write permission, PDE and PTE; a PDE's bits are
	   ANDed into the result, so PDEs we write carry both. */
	AMDV1_IR = PT_BIT(61),
	AMDV1_IW = PT_BIT(62),
	/* Bit 63 ignored. */
};
/* Next Level: 0 = PTE of the natural size, 1-6 = PDE pointing at a table
   of that level, 7 = PTE with the page-size encoding (Table 14). */
#define AMDV1_NL PT_GENMASK(11, 9)
#define AMDV1_NL_SHIFT 9
#define AMDV1_NL_PTE 0ull
#define AMDV1_NL_SIZE 7ull
/* Address: 51:12, next table or page (with the size encoding for NL=7). */
#define AMDV1_ADDR PT_GENMASK(51, 12)

#endif
