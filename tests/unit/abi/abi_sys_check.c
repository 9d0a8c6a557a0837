/*
 * abi_sys_check.c - build-time proof that the system's <linux/iommufd.h>
 * agrees with the v6.17 layouts pinned in abi_test.c.
 *
 * Built only when the system has <linux/iommufd.h>, and without uiommu's
 * include directories, so the header below is the system's, not ours.  The
 * numbers are the same hand-written literals as abi_test.c.
 *
 * System headers may be older or newer than v6.17.  The iommufd ABI only
 * grows: a field, once added, keeps its offset forever, and structs grow at
 * the tail.  So every struct is checked only when the system header has the
 * command that arrived with (or after) the struct's v6.17 shape; structs that
 * grew get a prefix check under their first command and the full check under
 * the command that came with the last growth.  Sizes are exact up to v6.17
 * headers and lower bounds for newer ones.
 */
#include <stddef.h>
#include <linux/iommufd.h>
#include <linux/version.h>

#if defined(LINUX_VERSION_CODE) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define SIZE(type, n) _Static_assert(sizeof(struct type) >= (n), #type " size")
#else
#define SIZE(type, n) _Static_assert(sizeof(struct type) == (n), #type " size")
#endif

#define OFF(type, field, off)                                               \
	_Static_assert(offsetof(struct type, field) == (off),                \
		       #type "." #field " offset")

int abi_sys_check_groups(void);

/* Groups of structs checked; the run-time test wants at least one. */
enum {
	GROUPS = 0
#ifdef IOMMU_DESTROY
		 + 1
#endif
#ifdef IOMMU_HWPT_ALLOC
		 + 1
#endif
#ifdef IOMMU_HWPT_GET_DIRTY_BITMAP
		 + 1
#endif
#ifdef IOMMU_HWPT_INVALIDATE
		 + 1
#endif
#ifdef IOMMU_FAULT_QUEUE_ALLOC
		 + 1
#endif
#ifdef IOMMU_VIOMMU_ALLOC
		 + 1
#endif
#ifdef IOMMU_IOAS_CHANGE_PROCESS
		 + 1
#endif
#ifdef IOMMU_VEVENTQ_ALLOC
		 + 1
#endif
#ifdef IOMMU_HW_QUEUE_ALLOC
		 + 1
#endif
};

int abi_sys_check_groups(void)
{
	return GROUPS;
}

/* v6.2: the original IOAS commands. */
#ifdef IOMMU_DESTROY
SIZE(iommu_destroy, 8);
OFF(iommu_destroy, id, 4);

SIZE(iommu_ioas_alloc, 12);
OFF(iommu_ioas_alloc, flags, 4);
OFF(iommu_ioas_alloc, out_ioas_id, 8);

SIZE(iommu_iova_range, 16);
OFF(iommu_iova_range, last, 8);

SIZE(iommu_ioas_iova_ranges, 32);
OFF(iommu_ioas_iova_ranges, ioas_id, 4);
OFF(iommu_ioas_iova_ranges, num_iovas, 8);
OFF(iommu_ioas_iova_ranges, __reserved, 12);
OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);

SIZE(iommu_ioas_allow_iovas, 24);
OFF(iommu_ioas_allow_iovas, ioas_id, 4);
OFF(iommu_ioas_allow_iovas, num_iovas, 8);
OFF(iommu_ioas_allow_iovas, __reserved, 12);
OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);

SIZE(iommu_ioas_map, 40);
OFF(iommu_ioas_map, flags, 4);
OFF(iommu_ioas_map, ioas_id, 8);
OFF(iommu_ioas_map, __reserved, 12);
OFF(iommu_ioas_map, user_va, 16);
OFF(iommu_ioas_map, length, 24);
OFF(iommu_ioas_map, iova, 32);

SIZE(iommu_ioas_copy, 40);
OFF(iommu_ioas_copy, flags, 4);
OFF(iommu_ioas_copy, dst_ioas_id, 8);
OFF(iommu_ioas_copy, src_ioas_id, 12);
OFF(iommu_ioas_copy, length, 16);
OFF(iommu_ioas_copy, dst_iova, 24);
OFF(iommu_ioas_copy, src_iova, 32);

SIZE(iommu_ioas_unmap, 24);
OFF(iommu_ioas_unmap, ioas_id, 4);
OFF(iommu_ioas_unmap, iova, 8);
OFF(iommu_ioas_unmap, length, 16);

SIZE(iommu_option, 24);
OFF(iommu_option, option_id, 4);
OFF(iommu_option, op, 8);
OFF(iommu_option, __reserved, 10);
OFF(iommu_option, object_id, 12);
OFF(iommu_option, val64, 16);

SIZE(iommu_vfio_ioas, 12);
OFF(iommu_vfio_ioas, ioas_id, 4);
OFF(iommu_vfio_ioas, op, 8);
OFF(iommu_vfio_ioas, __reserved, 10);
#endif

/* v6.6: HWPT_ALLOC and GET_HW_INFO; both grew later. */
#ifdef IOMMU_HWPT_ALLOC
OFF(iommu_hwpt_alloc, flags, 4);
OFF(iommu_hwpt_alloc, dev_id, 8);
OFF(iommu_hwpt_alloc, pt_id, 12);
OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
OFF(iommu_hwpt_alloc, __reserved, 20);

OFF(iommu_hw_info, flags, 4);
OFF(iommu_hw_info, dev_id, 8);
OFF(iommu_hw_info, data_len, 12);
OFF(iommu_hw_info, data_uptr, 16);

SIZE(iommu_hw_info_vtd, 24);
OFF(iommu_hw_info_vtd, __reserved, 4);
OFF(iommu_hw_info_vtd, cap_reg, 8);
OFF(iommu_hw_info_vtd, ecap_reg, 16);
#endif

/* v6.7: dirty tracking, hw_info capabilities, nested HWPT data. */
#ifdef IOMMU_HWPT_GET_DIRTY_BITMAP
SIZE(iommu_hwpt_set_dirty_tracking, 16);
OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);

SIZE(iommu_hwpt_get_dirty_bitmap, 48);
OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
OFF(iommu_hwpt_get_dirty_bitmap, data, 40);

SIZE(iommu_hw_info, 40);
OFF(iommu_hw_info, out_capabilities, 32);
#endif

/* v6.8: cache invalidation (nested HWPT data is present by then). */
#ifdef IOMMU_HWPT_INVALIDATE
SIZE(iommu_hwpt_invalidate, 32);
OFF(iommu_hwpt_invalidate, hwpt_id, 4);
OFF(iommu_hwpt_invalidate, data_uptr, 8);
OFF(iommu_hwpt_invalidate, data_type, 16);
OFF(iommu_hwpt_invalidate, entry_len, 20);
OFF(iommu_hwpt_invalidate, entry_num, 24);
OFF(iommu_hwpt_invalidate, __reserved, 28);

SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

SIZE(iommu_hwpt_vtd_s1, 24);
OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
OFF(iommu_hwpt_vtd_s1, addr_width, 16);
OFF(iommu_hwpt_vtd_s1, __reserved, 20);

OFF(iommu_hwpt_alloc, data_type, 24);
OFF(iommu_hwpt_alloc, data_len, 28);
OFF(iommu_hwpt_alloc, data_uptr, 32);
#endif

/* v6.11: fault queues; HWPT_ALLOC reaches its v6.17 size. */
#ifdef IOMMU_FAULT_QUEUE_ALLOC
SIZE(iommu_fault_alloc, 16);
OFF(iommu_fault_alloc, flags, 4);
OFF(iommu_fault_alloc, out_fault_id, 8);
OFF(iommu_fault_alloc, out_fault_fd, 12);

SIZE(iommu_hwpt_alloc, 48);
OFF(iommu_hwpt_alloc, fault_id, 40);
OFF(iommu_hwpt_alloc, __reserved2, 44);

OFF(iommu_hwpt_pgfault, dev_id, 4);
OFF(iommu_hwpt_pgfault, pasid, 8);
OFF(iommu_hwpt_pgfault, grpid, 12);
OFF(iommu_hwpt_pgfault, perm, 16);
#endif

/* v6.13: memfd maps, vIOMMU and vDEVICE. */
#ifdef IOMMU_VIOMMU_ALLOC
SIZE(iommu_ioas_map_file, 40);
OFF(iommu_ioas_map_file, flags, 4);
OFF(iommu_ioas_map_file, ioas_id, 8);
OFF(iommu_ioas_map_file, fd, 12);
OFF(iommu_ioas_map_file, start, 16);
OFF(iommu_ioas_map_file, length, 24);
OFF(iommu_ioas_map_file, iova, 32);

OFF(iommu_viommu_alloc, flags, 4);
OFF(iommu_viommu_alloc, type, 8);
OFF(iommu_viommu_alloc, dev_id, 12);
OFF(iommu_viommu_alloc, hwpt_id, 16);
OFF(iommu_viommu_alloc, out_viommu_id, 20);

SIZE(iommu_vdevice_alloc, 24);
OFF(iommu_vdevice_alloc, viommu_id, 4);
OFF(iommu_vdevice_alloc, dev_id, 8);
OFF(iommu_vdevice_alloc, out_vdevice_id, 12);
OFF(iommu_vdevice_alloc, virt_id, 16);
#endif

/* v6.14: live-update accounting transfer. */
#ifdef IOMMU_IOAS_CHANGE_PROCESS
SIZE(iommu_ioas_change_process, 8);
OFF(iommu_ioas_change_process, __reserved, 4);
#endif

/* v6.15: vEVENTQs; the ARM SMMUv3 nesting structs are all present by then. */
#ifdef IOMMU_VEVENTQ_ALLOC
SIZE(iommu_veventq_alloc, 32);
OFF(iommu_veventq_alloc, flags, 4);
OFF(iommu_veventq_alloc, viommu_id, 8);
OFF(iommu_veventq_alloc, type, 12);
OFF(iommu_veventq_alloc, veventq_depth, 16);
OFF(iommu_veventq_alloc, out_veventq_id, 20);
OFF(iommu_veventq_alloc, out_veventq_fd, 24);
OFF(iommu_veventq_alloc, __reserved, 28);

SIZE(iommufd_vevent_header, 8);
OFF(iommufd_vevent_header, sequence, 4);

SIZE(iommu_vevent_arm_smmuv3, 32);
SIZE(iommu_hwpt_arm_smmuv3, 16);
SIZE(iommu_viommu_arm_smmuv3_invalidate, 16);

SIZE(iommu_hw_info_arm_smmuv3, 40);
OFF(iommu_hw_info_arm_smmuv3, __reserved, 4);
OFF(iommu_hw_info_arm_smmuv3, idr, 8);
OFF(iommu_hw_info_arm_smmuv3, iidr, 32);
OFF(iommu_hw_info_arm_smmuv3, aidr, 36);
#endif

/* v6.17: HW queues, vIOMMU data, typed hw_info requests, Tegra241 CMDQV. */
#ifdef IOMMU_HW_QUEUE_ALLOC
SIZE(iommu_hw_queue_alloc, 40);
OFF(iommu_hw_queue_alloc, flags, 4);
OFF(iommu_hw_queue_alloc, viommu_id, 8);
OFF(iommu_hw_queue_alloc, type, 12);
OFF(iommu_hw_queue_alloc, index, 16);
OFF(iommu_hw_queue_alloc, out_hw_queue_id, 20);
OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
OFF(iommu_hw_queue_alloc, length, 32);

SIZE(iommu_viommu_alloc, 40);
OFF(iommu_viommu_alloc, data_len, 24);
OFF(iommu_viommu_alloc, __reserved, 28);
OFF(iommu_viommu_alloc, data_uptr, 32);

OFF(iommu_hw_info, in_data_type, 24);
OFF(iommu_hw_info, out_data_type, 24);
OFF(iommu_hw_info, out_max_pasid_log2, 28);
OFF(iommu_hw_info, __reserved, 29);

SIZE(iommu_hwpt_pgfault, 40);
OFF(iommu_hwpt_pgfault, __reserved, 20);
OFF(iommu_hwpt_pgfault, addr, 24);
OFF(iommu_hwpt_pgfault, length, 32);
OFF(iommu_hwpt_pgfault, cookie, 36);

SIZE(iommu_hwpt_page_response, 8);
OFF(iommu_hwpt_page_response, code, 4);

SIZE(iommu_hw_info_tegra241_cmdqv, 8);
OFF(iommu_hw_info_tegra241_cmdqv, version, 4);
OFF(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5);
OFF(iommu_hw_info_tegra241_cmdqv, log2vsids, 6);
OFF(iommu_hw_info_tegra241_cmdqv, __reserved, 7);

SIZE(iommu_viommu_tegra241_cmdqv, 16);
OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8);

SIZE(iommu_vevent_tegra241_cmdqv, 16);
#endif
