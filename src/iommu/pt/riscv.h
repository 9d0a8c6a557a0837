/*
 * riscv.h - RISC-V Sv39/Sv48/Sv57 page-table entries and the G-stage
 * Sv39x4/Sv48x4/Sv57x4 variants, as the RISC-V IOMMU walks them, bit by bit.
 *
 * Sources:
 *  The RISC-V Instruction Set Manual, Volume II: Privileged Architecture,
 *  20211203:
 *   §4.3.1 Addressing and Memory Protection (PTE fields, Sv32 layout)
 *   §4.3.2 Virtual Address Translation Process (leaf when R|W|X, W
 *          without R reserved, misaligned superpage = page fault, A/D)
 *   §4.4   Sv39, §4.5 Sv48, §4.6 Sv57 (PTE layout: PPN 53:10, bits 60:54
 *          reserved, PBMT 62:61, N 63; VA bits 63:VALEN must equal bit
 *          VALEN-1)
 *   §8.5.1 Guest Physical Address Translation (Sv39x4/48x4/57x4: root 16
 *          KiB and 16 KiB aligned, 2 extra GPA bits, GPA zero-extended;
 *          every G-stage access is a U-mode access)
 *  (20240411 renumbers these §10.3-10.6 and §19.5.1.)
 *  RISC-V IOMMU Architecture Specification 1.0: §2.1 device context
 *  (iohgatp, fsc/iosatp modes), §2.3 translation process, A/D update with
 *  DC.tc.GADE / SADE.
 *
 * Levels: ours l is the spec's i = l (level 0 maps 4 KiB pages); a leaf may
 * sit at any level (superpages).  Svnapot (N) and Svpbmt (PBMT) are not
 * modelled: entries that use them decode as malformed.
 */
#ifndef UIOMMU_IOMMU_PT_RISCV_H
#define UIOMMU_IOMMU_PT_RISCV_H

#include "iommu/pt/pt_fmt.h"

enum {
	RISCV_V = PT_BIT(0), /* valid (§4.3.1) */
	RISCV_R = PT_BIT(1), /* readable; R=W=X=0 means a pointer to the next
				level (§4.3.1) */
	RISCV_W = PT_BIT(2), /* writable; W without R is reserved */
	RISCV_X = PT_BIT(3), /* executable */
	RISCV_U = PT_BIT(4), /* user-mode accessible; must be 1 in G-stage
				leaves (§8.5.1) */
	RISCV_G = PT_BIT(5), /* global mapping; not written */
	RISCV_A = PT_BIT(6), /* accessed (§4.3.1; reserved 0 in non-leaves) */
	RISCV_D = PT_BIT(7), /* dirty (leaves; reserved 0 in non-leaves) */
	/* bits 9:8 RSW: reserved for software, not written. */
};
/* PPN: bits 53:10 hold the 44-bit physical page number (§4.4-4.6). */
#define RISCV_PPN PT_GENMASK(53, 10)
#define RISCV_PPN_SHIFT 10
/* Bits 60:54 reserved (must be 0), 62:61 PBMT (Svpbmt), 63 N (Svnapot). */
#define RISCV_RSVD PT_GENMASK(60, 54)
#define RISCV_PBMT PT_GENMASK(62, 61)
#define RISCV_N PT_BIT(63)

#endif
