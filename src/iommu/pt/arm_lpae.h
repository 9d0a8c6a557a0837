/*
 * arm_lpae.h - Arm VMSAv8-64 translation table descriptors (the "LPAE"
 * long-descriptor format) for stage 1 and stage 2, as the SMMUv3 walks
 * them, bit by bit.
 *
 * Sources:
 *  Arm Architecture Reference Manual for A-profile, DDI 0487 (L.a
 *  numbering; titles are stable across issues):
 *   D8.2.2   Concatenated translation tables (stage 2, up to 16 tables
 *            at the initial level, aligned to their total size)
 *   D8.3     Translation table descriptor formats; Table D8-48
 *            "Determination of descriptor type"
 *   D8.3.1.1 Table descriptor format; Tables D8-50 (stage 1), D8-51
 *            (stage 2)
 *   D8.3.1.2 Block and Page descriptor formats; Tables D8-52 (stage 1),
 *            D8-53 (stage 2)
 *   D8.4     "The Access flag", "The dirty state", "Hardware management
 *            of the dirty state" (DBM), "The Contiguous bit"
 *   D8.6     Memory region attributes (AttrIndx / MAIR, stage 2 MemAttr,
 *            Shareability)
 *  Arm SMMUv3 Architecture Specification, IHI 0070: §5.2 STE (S2T0SZ,
 *  S2SL0, S2TG, S2HA/S2HD), §5.4 CD (T0SZ, TG0, HA/HD, MAIR), §3.13
 *  (hardware update of the Access flag and dirty state).
 *
 * Levels: ours 0 is the Arm lookup level 3 (pages); ours l is Arm level
 * 3 - l.  Only the TTB0 (lower) input range is modelled, 48-bit output
 * (no LPA/LPA2), no hierarchical permission bits (APTable, XNTable are 0).
 *
 * Stage 1 memory attributes: AttrIndx selects a MAIR byte.  uiommu's
 * context descriptors program MAIR as: index 0 Normal non-cacheable
 * (0x44), index 1 Normal write-back read/write-allocate (0xff), index 2
 * Device-nGnRE (0x04).
 */
#ifndef UIOMMU_IOMMU_PT_ARM_LPAE_H
#define UIOMMU_IOMMU_PT_ARM_LPAE_H

#include "iommu/pt/pt_fmt.h"

enum {
	/* bit 0: valid (Table D8-48). */
	ARM_VALID = PT_BIT(0),
	/* bit 1: at levels 0-2, 1 = Table, 0 = Block; at level 3, 1 = Page,
	   0 = reserved, treated as invalid (Table D8-48). */
	ARM_TYPE = PT_BIT(1),

	/* Stage 1 Block/Page, Table D8-52: */
	ARM_S1_ATTRIDX = PT_GENMASK(4, 2), /* AttrIndx[2:0] (D8.6) */
	/* bit 5 NS: RES0 outside Secure state; not written. */
	ARM_S1_AP1 = PT_BIT(6),	 /* AP[1]: 1 = unprivileged access too */
	ARM_S1_AP2 = PT_BIT(7),	 /* AP[2]: 1 = read-only (with DBM: writable-
				    clean, hardware clears it on write) */
	ARM_S1_NG = PT_BIT(11),	 /* not global: ASID-tagged (set) */
	ARM_S1_PXN = PT_BIT(53), /* privileged execute-never */
	ARM_S1_UXN = PT_BIT(54), /* unprivileged execute-never */

	/* Stage 2 Block/Page, Table D8-53: */
	ARM_S2_MEMATTR = PT_GENMASK(5, 2), /* MemAttr[3:0] (D8.6) */
	ARM_S2AP_R = PT_BIT(6),		   /* S2AP[0]: read allowed */
	ARM_S2AP_W = PT_BIT(7), /* S2AP[1]: write allowed (with DBM: 0 =
				   writable-clean, hardware sets it) */
	/* bit 11: RES0 / FnXS; not written. */
	ARM_S2_XN = PT_BIT(54), /* XN (XN[1] with FEAT_XNX); bit 53 XN[0]
				   left 0 */

	/* Both stages, Block/Page: */
	ARM_SH = PT_GENMASK(9, 8), /* Shareability (D8.6) */
	ARM_AF = PT_BIT(10),	   /* Access flag (set: no Access flag fault) */
	ARM_DBM = PT_BIT(51),	   /* Dirty Bit Modifier (D8.4) */
	ARM_CONT = PT_BIT(52),	   /* Contiguous: one of an aligned run of
				      entries mapping one range (D8.4) */
	/* bits 58:55: software use; 62:59 PBHA / reserved for SMMU; 63
	   ignored / RES0: none written. */
};

/* SH values (D8.6): 0b10 outer shareable, 0b11 inner shareable. */
#define ARM_SH_OS (2ull << 8)
#define ARM_SH_IS (3ull << 8)
/* Stage 1 AttrIndx values under the MAIR above. */
#define ARM_S1_IDX_NC (0ull << 2)
#define ARM_S1_IDX_WB (1ull << 2)
#define ARM_S1_IDX_DEV (2ull << 2)
/* Stage 2 MemAttr values (D8.6): 0b0001 Device-nGnRE, 0b0101 Normal
   inner/outer non-cacheable, 0b1111 Normal inner/outer write-back. */
#define ARM_S2_MEMATTR_DEV (0x1ull << 2)
#define ARM_S2_MEMATTR_NC (0x5ull << 2)
#define ARM_S2_MEMATTR_WB (0xfull << 2)

/* Output / next-table address: bits 47:granule (Tables D8-50..53). */
#define ARM_ADDR(granule_lg2) PT_GENMASK(47, granule_lg2)

#endif
