/* SPDX-License-Identifier: MIT */
/*
 * iommufd.h - uiommu's text of the Linux /dev/iommu (iommufd) ioctl ABI.
 *
 * Target: Linux v6.17.  Every ioctl is _IO(';', 0x80 + n) and takes one
 * struct whose first __u32 is its size; the struct layouts, command numbers,
 * flag bits and enum values below are the kernel's and must not change.
 * Field names are the kernel's too, so programs written against the kernel's
 * header build unchanged against this one.  Comments are ours.
 *
 * Conventions in the ABI:
 *   - "size" is the caller's sizeof; a shorter struct is zero-extended, a
 *     longer one must have a zero tail (else E2BIG).
 *   - "__reserved*" fields must be zero (else EOPNOTSUPP).
 *   - "out_*" fields are written by the kernel; pointers travel as
 *     __aligned_u64 so 32- and 64-bit layouts are identical.
 *   - IOVA ranges are start/last, inclusive.
 *
 * The include guard is the kernel source's name; the name headers_install
 * gives it (_IOMMUFD_H) is honoured as well, so this header and an installed
 * <linux/iommufd.h> never both expand in one translation unit.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H
#ifndef _IOMMUFD_H
#define _IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Older <linux/types.h> (before v6.13) lacks the little-endian aligned type. */
#ifndef __aligned_le64
#define __aligned_le64 __le64 __attribute__((aligned(8)))
#endif

#define IOMMUFD_TYPE (';')

/* uAPI: command numbers; the ioctl request is _IO(IOMMUFD_TYPE, number). */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/* ---- object lifetime ---------------------------------------------------- */

/* IOMMU_DESTROY: drop the object named by id (any destroyable type). */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* ---- I/O address spaces ------------------------------------------------- */

/* IOMMU_IOAS_ALLOC: create an empty IOAS. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* One IOVA interval; last is inclusive. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * IOMMU_IOAS_IOVA_RANGES: list the IOVA ranges usable in an IOAS.
 * uAPI: num_iovas is the array length on input and the total on output;
 * EMSGSIZE when the array was too short (num_iovas then says how long).
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer: iommu_iova_range[] */
	__aligned_u64 out_iova_alignment; /* map/copy IOVA and length granule */
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/*
 * IOMMU_IOAS_ALLOW_IOVAS: replace the IOAS's allowed list; later attaches
 * that would narrow the usable ranges below it are refused.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer: iommu_iova_range[] */
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags of IOAS_MAP, IOAS_MAP_FILE and IOAS_COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,	/* iova is an input */
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,	/* device may write */
	IOMMU_IOAS_MAP_READABLE = 1 << 2,	/* device may read */
};

/* IOMMU_IOAS_MAP: map user memory at a chosen or kernel-picked IOVA. */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;	/* in with FIXED_IOVA, else out */
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* IOMMU_IOAS_MAP_FILE: as IOAS_MAP, but the memory is a range of a memfd. */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;	/* byte offset into the file */
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/*
 * IOMMU_IOAS_COPY: map into dst the pages already mapped in src.
 * uAPI: src_iova/length must exactly cover one earlier MAP.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;	/* in with FIXED_IOVA, else out */
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/*
 * IOMMU_IOAS_UNMAP: unmap whole earlier mappings inside [iova, iova+length);
 * length returns the bytes unmapped.  uAPI: iova 0, length U64_MAX = all.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* ---- options ------------------------------------------------------------ */

/* Option ids for IOMMU_OPTION. */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,	/* global: 0 per-user, 1 per-process */
	IOMMU_OPTION_HUGE_PAGES = 1,	/* per IOAS: 1 combine pages (default) */
};

/* Operations for IOMMU_OPTION. */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* IOMMU_OPTION: get or set one option of the context or of an object. */
struct iommu_option {
	__u32 size;
	__u32 option_id;	/* enum iommufd_option */
	__u16 op;		/* enum iommufd_option_ops */
	__u16 __reserved;
	__u32 object_id;	/* 0 for global options */
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* Operations for IOMMU_VFIO_IOAS. */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/* IOMMU_VFIO_IOAS: get, set or clear the IOAS used by the type1 container API. */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;		/* enum iommufd_vfio_ioas_op */
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* ---- hardware page tables ----------------------------------------------- */

/* Flags of IOMMU_HWPT_ALLOC. */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,	  /* usable as a nesting parent */
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1, /* must support dirty tracking */
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,	  /* fault_id is meaningful */
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,	  /* attachable to PASIDs */
};

/* Attribute bits of iommu_hwpt_vtd_s1.flags. */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* IOMMU_HWPT_DATA_VTD_S1: an Intel VT-d first-stage table owned by the user. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;		/* enum iommu_hwpt_vtd_s1_flags */
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/* IOMMU_HWPT_DATA_ARM_SMMUV3: words 0-1 of a guest STE, little-endian. */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/* data_type of IOMMU_HWPT_ALLOC. */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/*
 * IOMMU_HWPT_ALLOC: create a HWPT for dev_id on pt_id (an IOAS gives a
 * kernel-managed table; a parent HWPT or vIOMMU gives a nested one whose
 * format is data_type).  uAPI: DATA_NONE requires data_len = data_uptr = 0.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;		/* enum iommufd_hwpt_alloc_flags */
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;	/* enum iommu_hwpt_data_type */
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;		/* with IOMMU_HWPT_FAULT_ID_VALID */
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ---- hardware information ----------------------------------------------- */

/* Bits of iommu_hw_info_vtd.flags. */
enum iommu_hw_info_vtd_flags {
	/* read-only mappings are refused on a nesting parent */
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* IOMMU_HW_INFO_TYPE_INTEL_VTD: raw VT-d capability registers. */
struct iommu_hw_info_vtd {
	__u32 flags;		/* enum iommu_hw_info_vtd_flags */
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/* IOMMU_HW_INFO_TYPE_ARM_SMMUV3: raw SMMUv3 ID registers. */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;		/* must be 0 */
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/* IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: fields of the CMDQV PARAM register. */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;		/* must be 0 */
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/* Type of the data returned by IOMMU_GET_HW_INFO. */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,	/* output: driver reports nothing */
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,	/* input: driver's own type */
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
};

/* Bits of iommu_hw_info.out_capabilities. */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/* Flags of IOMMU_GET_HW_INFO. */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,	/* in_data_type is a request */
};

/*
 * IOMMU_GET_HW_INFO: describe the IOMMU behind a bound device.
 * uAPI: data_len is the buffer size in, the driver's data size out; a longer
 * buffer's tail is zeroed.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;		/* enum iommufd_hw_info_flags */
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;	/* enum iommu_hw_info_type */
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;	/* 0: no PASID support */
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;	/* enum iommufd_hw_capabilities */
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* ---- dirty tracking ----------------------------------------------------- */

/* Flags of IOMMU_HWPT_SET_DIRTY_TRACKING. */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/* IOMMU_HWPT_SET_DIRTY_TRACKING: start or stop dirty tracking on a HWPT. */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, \
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/* Flags of IOMMU_HWPT_GET_DIRTY_BITMAP. */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,	/* read without clearing */
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: report (and by default clear) dirty IOVA.
 * uAPI: bit n of the u64 array at data stands for the page at
 * iova + n * page_size.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;	/* user pointer to the bitmap */
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, \
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* ---- cache invalidation ------------------------------------------------- */

/* data_type of IOMMU_HWPT_INVALIDATE. */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/* Bits of iommu_hwpt_vtd_s1_invalidate.flags. */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,	/* leaf entries only */
};

/* IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entry: a 4 KiB-page range. */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;	/* addr 0, npages U64_MAX = everything */
	__u32 flags;
	__u32 __reserved;
};

/* IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 entry: one CMDQ command, LE. */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/*
 * IOMMU_HWPT_INVALIDATE: run entry_num requests of entry_len bytes each on a
 * nested HWPT or vIOMMU.  uAPI: entry_num returns how many were done; 0
 * entries only probes whether data_type is supported.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;	/* enum iommu_hwpt_invalidate_data_type */
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* ---- I/O page faults ---------------------------------------------------- */

/* Bits of iommu_hwpt_pgfault.flags. */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),	/* ends its group */
};

/* Bits of iommu_hwpt_pgfault.perm. */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/* One fault record, read() from a fault fd. */
struct iommu_hwpt_pgfault {
	__u32 flags;		/* enum iommu_hwpt_pgfault_flags */
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;		/* page request group index */
	__u32 perm;		/* enum iommu_hwpt_pgfault_perm */
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;		/* size hint, 0 if none */
	__u32 cookie;		/* echo in the response to the group's last */
};

/* Response codes for iommu_hwpt_page_response.code. */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,	/* retry the access */
	IOMMUFD_PAGE_RESP_INVALID = 1,	/* fail the access */
};

/* One response record, write() to a fault fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;		/* enum iommufd_page_response_code */
};

/* IOMMU_FAULT_QUEUE_ALLOC: create a fault object and its fd. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ---- virtual IOMMUs and devices ----------------------------------------- */

/* type of IOMMU_VIOMMU_ALLOC. */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,	/* reserved */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/* IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV output data: where to mmap VINTF page 0. */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/* IOMMU_VIOMMU_ALLOC: a per-VM slice of dev_id's IOMMU over a parent HWPT. */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 type;		/* enum iommu_viommu_type */
	__u32 dev_id;
	__u32 hwpt_id;		/* nesting parent */
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;	/* type-specific data, in and out */
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/* IOMMU_VDEVICE_ALLOC: name dev_id as virt_id (vSID, vRID...) in a vIOMMU. */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/*
 * IOMMU_IOAS_CHANGE_PROCESS: move pinned-page accounting of every mapping
 * to the calling process.  uAPI: EINVAL unless all maps came from MAP_FILE.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/* ---- virtual event queues ----------------------------------------------- */

/* Bits of iommufd_vevent_header.flags. */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),	/* no data follows */
};

/*
 * Precedes every record read() from a vEVENTQ fd.  uAPI: sequence counts
 * 0..INT_MAX and wraps to 0; a gap means events were lost.
 */
struct iommufd_vevent_header {
	__u32 flags;		/* enum iommu_veventq_flag */
	__u32 sequence;
};

/* type of IOMMU_VEVENTQ_ALLOC. */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,	/* reserved */
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/* IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 record: a 256-bit SMMUv3 event, LE. */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/* IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV record: LVCMDQ error map, LE. */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/* IOMMU_VEVENTQ_ALLOC: one event queue fd of a given type on a vIOMMU. */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 viommu_id;
	__u32 type;		/* enum iommu_veventq_type */
	__u32 veventq_depth;	/* events held before overflow */
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/* ---- hardware-accelerated queues ---------------------------------------- */

/* type of IOMMU_HW_QUEUE_ALLOC. */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,	/* reserved */
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,	/* a VCMDQ */
};

/*
 * IOMMU_HW_QUEUE_ALLOC: give hardware a guest queue at nesting_parent_iova.
 * uAPI: index is per (vIOMMU, type).
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 viommu_id;
	__u32 type;		/* enum iommu_hw_queue_type */
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

#endif /* _IOMMUFD_H */
#endif /* _UAPI_IOMMUFD_H */
