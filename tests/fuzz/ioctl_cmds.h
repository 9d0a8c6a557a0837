/*
 * ioctl_cmds.h - the command table of fuzz_ioctl_seq, shared with
 * gen_corpus.c so that seeds name commands by the same index.  An input
 * record's first byte indexes cmds[] (modulo its length); the table only
 * grows at its end, or the committed seeds change meaning.
 */
#ifndef UIOMMU_FUZZ_IOCTL_CMDS_H
#define UIOMMU_FUZZ_IOCTL_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"

#define PAGE 4096ul
#define SANDBOX (16 * PAGE)
#define DATA_PAGES 8	/* the first pages: memory to map */
#define MAX_FD 1024

enum arg_kind {
	ARG_STRUCT,	/* pointer to a size-first struct */
	ARG_INT,	/* the argument is a small integer */
	ARG_NONE,	/* read() / write() of a handed-out fd */
};

struct cmd {
	unsigned long nr;
	unsigned int size;	/* of the struct (0: argsz-less int) */
	enum arg_kind kind;
	int ptr_off[2];		/* user pointers in the struct, -1: none */
	int fd_off;		/* an fd the caller names, -1: none */
};

#define S(_nr, _struct, p0, p1, fdo)                                          \
	{ _nr, sizeof(struct _struct), ARG_STRUCT, { p0, p1 }, fdo }
#define OFF(_struct, _m) (int)offsetof(struct _struct, _m)

static const struct cmd cmds[] __attribute__((unused)) = {
	S(IOMMU_DESTROY, iommu_destroy, -1, -1, -1),
	S(IOMMU_IOAS_ALLOC, iommu_ioas_alloc, -1, -1, -1),
	S(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas,
	  OFF(iommu_ioas_allow_iovas, allowed_iovas), -1, -1),
	S(IOMMU_IOAS_COPY, iommu_ioas_copy, -1, -1, -1),
	S(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges,
	  OFF(iommu_ioas_iova_ranges, allowed_iovas), -1, -1),
	S(IOMMU_IOAS_MAP, iommu_ioas_map, OFF(iommu_ioas_map, user_va), -1, -1),
	S(IOMMU_IOAS_UNMAP, iommu_ioas_unmap, -1, -1, -1),
	S(IOMMU_OPTION, iommu_option, -1, -1, -1),
	S(IOMMU_VFIO_IOAS, iommu_vfio_ioas, -1, -1, -1),
	S(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, OFF(iommu_hwpt_alloc, data_uptr),
	  -1, -1),
	S(IOMMU_GET_HW_INFO, iommu_hw_info, OFF(iommu_hw_info, data_uptr), -1,
	  -1),
	S(IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, -1, -1,
	  -1),
	S(IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	  OFF(iommu_hwpt_get_dirty_bitmap, data), -1, -1),
	S(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate,
	  OFF(iommu_hwpt_invalidate, data_uptr), -1, -1),
	S(IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc, -1, -1, -1),
	S(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, -1, -1,
	  OFF(iommu_ioas_map_file, fd)),
	S(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc,
	  OFF(iommu_viommu_alloc, data_uptr), -1, -1),
	S(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, -1, -1, -1),
	S(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, -1, -1, -1),
	S(IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc, -1, -1, -1),
	S(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, -1, -1, -1),
	/* IOMMU_TEST_CMD: the pointer offsets depend on op (test_ptr_off) */
	S(IOMMU_TEST_CMD, iommu_test_cmd, -1, -1, -1),
	S(IOMMU_TEST_CMD, iommu_test_cmd, -1, -1, -1),
	S(IOMMU_TEST_CMD, iommu_test_cmd, -1, -1, -1),
	S(IOMMU_TEST_CMD, iommu_test_cmd, -1, -1, -1),
	/* VFIO type1 compatibility on the iommufd */
	{ VFIO_GET_API_VERSION, 0, ARG_INT, { -1, -1 }, -1 },
	{ VFIO_CHECK_EXTENSION, 0, ARG_INT, { -1, -1 }, -1 },
	{ VFIO_SET_IOMMU, 0, ARG_INT, { -1, -1 }, -1 },
	{ VFIO_IOMMU_ENABLE, 0, ARG_INT, { -1, -1 }, -1 },
	{ VFIO_IOMMU_DISABLE, 0, ARG_INT, { -1, -1 }, -1 },
	S(VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info, -1, -1, -1),
	S(VFIO_IOMMU_MAP_DMA, vfio_iommu_type1_dma_map,
	  OFF(vfio_iommu_type1_dma_map, vaddr), -1, -1),
	{ VFIO_IOMMU_UNMAP_DMA,
	  sizeof(struct vfio_iommu_type1_dma_unmap) +
		  sizeof(struct vfio_bitmap),
	  ARG_STRUCT,
	  { sizeof(struct vfio_iommu_type1_dma_unmap) +
		    offsetof(struct vfio_bitmap, data), -1 }, -1 },
	{ VFIO_IOMMU_DIRTY_PAGES,
	  sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		  sizeof(struct vfio_iommu_type1_dirty_bitmap_get),
	  ARG_STRUCT,
	  { sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		    offsetof(struct vfio_iommu_type1_dirty_bitmap_get,
			     bitmap.data), -1 }, -1 },
	/* read() / write() on the newest fd handed out */
	{ 0, 64, ARG_NONE, { -1, -1 }, -1 },
	{ 1, 64, ARG_NONE, { -1, -1 }, -1 },
	/* invalid: unused number in range, past the table, wrong type, dir */
	S(_IO(IOMMUFD_TYPE, 0x9f), iommu_test_cmd, -1, -1, -1),
	S(_IO(IOMMUFD_TYPE, 0xa1), iommu_test_cmd, -1, -1, -1),
	S(_IO('x', IOMMUFD_CMD_IOAS_ALLOC), iommu_ioas_alloc, -1, -1, -1),
	S(_IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC, struct iommu_ioas_alloc),
	  iommu_ioas_alloc, -1, -1, -1),
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

#define TOFF(_m) (int)offsetof(struct iommu_test_cmd, _m)

static inline int test_ptr_off(uint32_t op)
{
	switch (op) {
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return TOFF(check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return TOFF(check_refs.uptr);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return TOFF(access_pages.uptr);
	case IOMMU_TEST_OP_ACCESS_RW:
		return TOFF(access_rw.uptr);
	case IOMMU_TEST_OP_DIRTY:
		return TOFF(dirty.uptr);
	}
	return -1;
}

#endif
