/*
 * vtd_ss.h - Intel VT-d second-stage paging entries, bit by bit.
 *
 * Source: Intel Virtualization Technology for Directed I/O Architecture
 * Specification, rev. 5.10 (D51397-018):
 *   §3.7   Second-Stage Translation; Table 4 "Second-stage Paging Structures"
 *   §3.7.1 Access Rights; §3.7.2 Accessed and Dirty Flags
 *   §3.10  Snoop Behavior
 *   §9.8   Second-Stage Paging Entries; Figure 9-8; Tables 41-47:
 *          41 SS-PML5E, 42 SS-PML4E, 43 SS-PDPE mapping 1 GB, 44 SS-PDPE
 *          referencing a directory, 45 SS-PDE mapping 2 MB, 46 SS-PDE
 *          referencing a table, 47 SS-PTE mapping 4 KB.
 *
 * Levels: 0 SS-PTE, 1 SS-PDE, 2 SS-PDPE, 3 SS-PML4E, 4 SS-PML5E.  The
 * context / PASID-table entry's AW field selects 3, 4 or 5 levels (39, 48,
 * 57-bit input, §3.7); inputs above the width fault (no sign extension).
 * An entry with R and W both clear is not present (§3.7.1).
 */
#ifndef UIOMMU_IOMMU_PT_VTD_SS_H
#define UIOMMU_IOMMU_PT_VTD_SS_H

#include "iommu/pt/pt_fmt.h"

enum {
	/* Read: every entry (Tables 41-47).  In a non-leaf entry it gates
	   the whole region below; we always set it there. */
	VTDSS_R = PT_BIT(0),
	/* Write: every entry (Tables 41-47), likewise. */
	VTDSS_W = PT_BIT(1),
	/* Bit 2 X (execute, only with SSEE=1 and ERS), bits 5:3 EMT and
	   bit 6 IPAT (leaves; memory type, only with EMTE=1, §3.11): not
	   written. */
	/* Page Size: 1 in an SS-PDPE / SS-PDE maps a 1 GB / 2 MB page
	   (Tables 43, 45), 0 references a table (44, 46); reserved (0) in
	   SS-PML5E / SS-PML4E (41, 42).  Bit 7 of an SS-PTE is ignored. */
	VTDSS_PS = PT_BIT(7),
	/* Accessed: every entry, set by hardware when SSADE=1 (§3.7.2). */
	VTDSS_A = PT_BIT(8),
	/* Dirty: leaves only, set by hardware on write when SSADE=1
	   (§3.7.2; Tables 43, 45, 47).  Bit 9 is ignored in non-leaves. */
	VTDSS_D = PT_BIT(9),
	/* Bit 10: ignored. */
	/* Snoop: leaves only; forces snooped access to the page (§3.10;
	   Tables 43, 45, 47).  PT_PROT_CACHE. */
	VTDSS_SNP = PT_BIT(11),
};
/* Address: bits (HAW-1):12 of the next table or the page; a 2 MB page
   uses 51:21 (20:12 reserved), a 1 GB page 51:30 (29:12 reserved).  Bits
   63:52 are ignored in rev. 5.10 and never written. */
#define VTDSS_ADDR PT_GENMASK(51, 12)

#endif
