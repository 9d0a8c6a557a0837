/*
 * vtd_fs.h - Intel VT-d first-stage paging entries (x86 4- and 5-level
 * paging as the IOMMU uses it), bit by bit.
 *
 * Source: Intel Virtualization Technology for Directed I/O Architecture
 * Specification, rev. 5.10 (D51397-018):
 *   §3.6   First-Stage Translation; Table 3 "First-Stage Paging Structures"
 *   §3.6.1 Access Rights; §3.6.2 Accessed, Extended Accessed, Dirty Flags
 *   §9.7   First-Stage Paging Entries; Figure 9-7; Tables 34-40:
 *          34 PML5E, 35 PML4E, 36 PDPE mapping 1 GB, 37 PDPE referencing
 *          a directory, 38 PDE mapping 2 MB, 39 PDE referencing a table,
 *          40 PTE mapping 4 KB.
 * The same layout is the CPU's (Intel SDM vol. 3 §4.5, 4-level and 5-level
 * paging).
 *
 * Levels: 0 PTE, 1 PDE, 2 PDPE, 3 PML4E, 4 PML5E.  The PASID-table entry
 * selects 4 or 5 levels (FLPM); input addresses must be canonical (bits
 * 63:47 or 63:56 equal), §3.6.
 */
#ifndef UIOMMU_IOMMU_PT_VTD_FS_H
#define UIOMMU_IOMMU_PT_VTD_FS_H

#include "iommu/pt/pt_fmt.h"

enum {
	/* Present: every entry (Tables 34-40). */
	VTDFS_P = PT_BIT(0),
	/* Read/Write: 0 = writes not allowed to the region below (§3.6.1).
	   Set in every non-leaf entry we write. */
	VTDFS_RW = PT_BIT(1),
	/* User/Supervisor: 0 = supervisor requests only (§3.6.1).  Set in
	   non-leaf entries; clear in a leaf for PT_PROT_PRIV. */
	VTDFS_US = PT_BIT(2),
	/* Bits 3 PWT, 4 PCD (and PAT: bit 7 of a PTE, bit 12 of a large
	   page) select the memory type (§3.11): left 0 (write-back). */
	/* Accessed: every entry (§3.6.2). */
	VTDFS_A = PT_BIT(5),
	/* Dirty: leaves only (§3.6.2; Tables 36, 38, 40); ignored in
	   non-leaf entries. */
	VTDFS_D = PT_BIT(6),
	/* Page Size: PDPE / PDE map a page when 1 (Tables 36, 38), reference
	   a table when 0 (37, 39); reserved in PML5E / PML4E (34, 35). */
	VTDFS_PS = PT_BIT(7),
	/* Bit 8 G (global, leaves), bits 11:9 ignored / HLAT restart: not
	   written. */
	/* Execute Disable: with NXE=1 in the PASID-table entry, no
	   instruction fetch from the region (§3.6.1).  uiommu's PASID entries
	   run with NXE=1; leaves without PT_PROT_EXEC get XD. */
	VTDFS_XD = PT_BIT(63),
};
/* Address: bits (HAW-1):12; 2 MB pages use 51:21, 1 GB pages 51:30 (the
   bits between are PAT at 12 and reserved).  Bits 62:52 are ignored. */
#define VTDFS_ADDR PT_GENMASK(51, 12)

#endif
