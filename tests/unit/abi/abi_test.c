/*
 * abi_test.c - pins uiommu's text of the kernel ABI to Linux v6.17.
 *
 * Every number here was written down by hand from the kernel's headers
 * (include/uapi/linux/iommufd.h, include/uapi/linux/vfio.h and
 * drivers/iommu/iommufd/iommufd_test.h at v6.17), never computed from our
 * headers: ioctl requests as _IO(';', nr) = 0x3b00 | nr, struct layouts as the
 * x86-64 (LP64) C layout, which __aligned_u64 makes equal to the 32-bit one
 * for every iommufd struct.  A failure means our header and the kernel's
 * disagree; fix the header, not the number.
 *
 * FIELD() pins a member's offset and width; the width catches a __u32 that
 * became a __u64 even where padding hides it from the offsets.
 */
#include <stddef.h>

#include "linux/iommufd.h"
#include "linux/vfio.h"
#include "iommufd_test.h"

#include "harness.h"

#define SIZE(type, n) CHECK_EQ(sizeof(struct type), n)

#define FIELD(type, field, off, width)                                      \
	do {                                                                \
		CHECK_EQ(offsetof(struct type, field), off);                \
		CHECK_EQ(sizeof(((struct type *)0)->field), width);          \
	} while (0)

/* A field's type is signed (fds are __s32 in the ABI). */
#define SIGNED(type, field) CHECK((__typeof__(((struct type *)0)->field))-1 < 0)

TEST(abi_commands)
{
	/* iommufd: _IO(';', 0x80 + n) */
	CHECK_EQ(IOMMUFD_TYPE, 0x3b);
	CHECK_EQ(IOMMUFD_CMD_BASE, 0x80);
	CHECK_EQ(IOMMU_DESTROY, 0x3b80);
	CHECK_EQ(IOMMU_IOAS_ALLOC, 0x3b81);
	CHECK_EQ(IOMMU_IOAS_ALLOW_IOVAS, 0x3b82);
	CHECK_EQ(IOMMU_IOAS_COPY, 0x3b83);
	CHECK_EQ(IOMMU_IOAS_IOVA_RANGES, 0x3b84);
	CHECK_EQ(IOMMU_IOAS_MAP, 0x3b85);
	CHECK_EQ(IOMMU_IOAS_UNMAP, 0x3b86);
	CHECK_EQ(IOMMU_OPTION, 0x3b87);
	CHECK_EQ(IOMMU_VFIO_IOAS, 0x3b88);
	CHECK_EQ(IOMMU_HWPT_ALLOC, 0x3b89);
	CHECK_EQ(IOMMU_GET_HW_INFO, 0x3b8a);
	CHECK_EQ(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x3b8b);
	CHECK_EQ(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x3b8c);
	CHECK_EQ(IOMMU_HWPT_INVALIDATE, 0x3b8d);
	CHECK_EQ(IOMMU_FAULT_QUEUE_ALLOC, 0x3b8e);
	CHECK_EQ(IOMMU_IOAS_MAP_FILE, 0x3b8f);
	CHECK_EQ(IOMMU_VIOMMU_ALLOC, 0x3b90);
	CHECK_EQ(IOMMU_VDEVICE_ALLOC, 0x3b91);
	CHECK_EQ(IOMMU_IOAS_CHANGE_PROCESS, 0x3b92);
	CHECK_EQ(IOMMU_VEVENTQ_ALLOC, 0x3b93);
	CHECK_EQ(IOMMU_HW_QUEUE_ALLOC, 0x3b94);

	CHECK_EQ(IOMMUFD_CMD_DESTROY, 0x80);
	CHECK_EQ(IOMMUFD_CMD_IOAS_ALLOC, 0x81);
	CHECK_EQ(IOMMUFD_CMD_IOAS_ALLOW_IOVAS, 0x82);
	CHECK_EQ(IOMMUFD_CMD_IOAS_COPY, 0x83);
	CHECK_EQ(IOMMUFD_CMD_IOAS_IOVA_RANGES, 0x84);
	CHECK_EQ(IOMMUFD_CMD_IOAS_MAP, 0x85);
	CHECK_EQ(IOMMUFD_CMD_IOAS_UNMAP, 0x86);
	CHECK_EQ(IOMMUFD_CMD_OPTION, 0x87);
	CHECK_EQ(IOMMUFD_CMD_VFIO_IOAS, 0x88);
	CHECK_EQ(IOMMUFD_CMD_HWPT_ALLOC, 0x89);
	CHECK_EQ(IOMMUFD_CMD_GET_HW_INFO, 0x8a);
	CHECK_EQ(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, 0x8b);
	CHECK_EQ(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP, 0x8c);
	CHECK_EQ(IOMMUFD_CMD_HWPT_INVALIDATE, 0x8d);
	CHECK_EQ(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, 0x8e);
	CHECK_EQ(IOMMUFD_CMD_IOAS_MAP_FILE, 0x8f);
	CHECK_EQ(IOMMUFD_CMD_VIOMMU_ALLOC, 0x90);
	CHECK_EQ(IOMMUFD_CMD_VDEVICE_ALLOC, 0x91);
	CHECK_EQ(IOMMUFD_CMD_IOAS_CHANGE_PROCESS, 0x92);
	CHECK_EQ(IOMMUFD_CMD_VEVENTQ_ALLOC, 0x93);
	CHECK_EQ(IOMMUFD_CMD_HW_QUEUE_ALLOC, 0x94);

	/* test mock: _IO(';', 0x80 + 32) */
	CHECK_EQ(IOMMU_TEST_CMD, 0x3ba0);

	/* vfio: _IO(';', 100 + n) */
	CHECK_EQ(VFIO_TYPE, 0x3b);
	CHECK_EQ(VFIO_BASE, 100);
	CHECK_EQ(VFIO_GET_API_VERSION, 0x3b64);
	CHECK_EQ(VFIO_CHECK_EXTENSION, 0x3b65);
	CHECK_EQ(VFIO_SET_IOMMU, 0x3b66);
	CHECK_EQ(VFIO_GROUP_GET_STATUS, 0x3b67);
	CHECK_EQ(VFIO_GROUP_SET_CONTAINER, 0x3b68);
	CHECK_EQ(VFIO_GROUP_UNSET_CONTAINER, 0x3b69);
	CHECK_EQ(VFIO_GROUP_GET_DEVICE_FD, 0x3b6a);
	CHECK_EQ(VFIO_DEVICE_GET_INFO, 0x3b6b);
	CHECK_EQ(VFIO_DEVICE_GET_REGION_INFO, 0x3b6c);
	CHECK_EQ(VFIO_DEVICE_GET_IRQ_INFO, 0x3b6d);
	CHECK_EQ(VFIO_DEVICE_SET_IRQS, 0x3b6e);
	CHECK_EQ(VFIO_DEVICE_RESET, 0x3b6f);
	CHECK_EQ(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 0x3b70);
	CHECK_EQ(VFIO_DEVICE_PCI_HOT_RESET, 0x3b71);
	CHECK_EQ(VFIO_DEVICE_QUERY_GFX_PLANE, 0x3b72);
	CHECK_EQ(VFIO_DEVICE_GET_GFX_DMABUF, 0x3b73);
	CHECK_EQ(VFIO_DEVICE_IOEVENTFD, 0x3b74);
	CHECK_EQ(VFIO_DEVICE_FEATURE, 0x3b75);
	CHECK_EQ(VFIO_DEVICE_BIND_IOMMUFD, 0x3b76);
	CHECK_EQ(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77);
	CHECK_EQ(VFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3b78);
	CHECK_EQ(VFIO_MIG_GET_PRECOPY_INFO, 0x3b79);
	/* container fd: these share numbers with device requests */
	CHECK_EQ(VFIO_IOMMU_GET_INFO, 0x3b70);
	CHECK_EQ(VFIO_IOMMU_MAP_DMA, 0x3b71);
	CHECK_EQ(VFIO_IOMMU_UNMAP_DMA, 0x3b72);
	CHECK_EQ(VFIO_IOMMU_ENABLE, 0x3b73);
	CHECK_EQ(VFIO_IOMMU_DISABLE, 0x3b74);
	CHECK_EQ(VFIO_IOMMU_DIRTY_PAGES, 0x3b75);
	CHECK_EQ(VFIO_IOMMU_SPAPR_TCE_GET_INFO, 0x3b70);
	CHECK_EQ(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0x3b75);
	CHECK_EQ(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0x3b76);
	CHECK_EQ(VFIO_IOMMU_SPAPR_TCE_CREATE, 0x3b77);
	CHECK_EQ(VFIO_IOMMU_SPAPR_TCE_REMOVE, 0x3b78);
	CHECK_EQ(VFIO_EEH_PE_OP, 0x3b79);
}

TEST(abi_iommufd_structs)
{
	SIZE(iommu_destroy, 8);
	FIELD(iommu_destroy, size, 0, 4);
	FIELD(iommu_destroy, id, 4, 4);

	SIZE(iommu_ioas_alloc, 12);
	FIELD(iommu_ioas_alloc, size, 0, 4);
	FIELD(iommu_ioas_alloc, flags, 4, 4);
	FIELD(iommu_ioas_alloc, out_ioas_id, 8, 4);

	SIZE(iommu_iova_range, 16);
	FIELD(iommu_iova_range, start, 0, 8);
	FIELD(iommu_iova_range, last, 8, 8);

	SIZE(iommu_ioas_iova_ranges, 32);
	FIELD(iommu_ioas_iova_ranges, size, 0, 4);
	FIELD(iommu_ioas_iova_ranges, ioas_id, 4, 4);
	FIELD(iommu_ioas_iova_ranges, num_iovas, 8, 4);
	FIELD(iommu_ioas_iova_ranges, __reserved, 12, 4);
	FIELD(iommu_ioas_iova_ranges, allowed_iovas, 16, 8);
	FIELD(iommu_ioas_iova_ranges, out_iova_alignment, 24, 8);

	SIZE(iommu_ioas_allow_iovas, 24);
	FIELD(iommu_ioas_allow_iovas, size, 0, 4);
	FIELD(iommu_ioas_allow_iovas, ioas_id, 4, 4);
	FIELD(iommu_ioas_allow_iovas, num_iovas, 8, 4);
	FIELD(iommu_ioas_allow_iovas, __reserved, 12, 4);
	FIELD(iommu_ioas_allow_iovas, allowed_iovas, 16, 8);

	SIZE(iommu_ioas_map, 40);
	FIELD(iommu_ioas_map, size, 0, 4);
	FIELD(iommu_ioas_map, flags, 4, 4);
	FIELD(iommu_ioas_map, ioas_id, 8, 4);
	FIELD(iommu_ioas_map, __reserved, 12, 4);
	FIELD(iommu_ioas_map, user_va, 16, 8);
	FIELD(iommu_ioas_map, length, 24, 8);
	FIELD(iommu_ioas_map, iova, 32, 8);

	SIZE(iommu_ioas_map_file, 40);
	FIELD(iommu_ioas_map_file, size, 0, 4);
	FIELD(iommu_ioas_map_file, flags, 4, 4);
	FIELD(iommu_ioas_map_file, ioas_id, 8, 4);
	FIELD(iommu_ioas_map_file, fd, 12, 4);
	SIGNED(iommu_ioas_map_file, fd);
	FIELD(iommu_ioas_map_file, start, 16, 8);
	FIELD(iommu_ioas_map_file, length, 24, 8);
	FIELD(iommu_ioas_map_file, iova, 32, 8);

	SIZE(iommu_ioas_copy, 40);
	FIELD(iommu_ioas_copy, size, 0, 4);
	FIELD(iommu_ioas_copy, flags, 4, 4);
	FIELD(iommu_ioas_copy, dst_ioas_id, 8, 4);
	FIELD(iommu_ioas_copy, src_ioas_id, 12, 4);
	FIELD(iommu_ioas_copy, length, 16, 8);
	FIELD(iommu_ioas_copy, dst_iova, 24, 8);
	FIELD(iommu_ioas_copy, src_iova, 32, 8);

	SIZE(iommu_ioas_unmap, 24);
	FIELD(iommu_ioas_unmap, size, 0, 4);
	FIELD(iommu_ioas_unmap, ioas_id, 4, 4);
	FIELD(iommu_ioas_unmap, iova, 8, 8);
	FIELD(iommu_ioas_unmap, length, 16, 8);

	SIZE(iommu_option, 24);
	FIELD(iommu_option, size, 0, 4);
	FIELD(iommu_option, option_id, 4, 4);
	FIELD(iommu_option, op, 8, 2);
	FIELD(iommu_option, __reserved, 10, 2);
	FIELD(iommu_option, object_id, 12, 4);
	FIELD(iommu_option, val64, 16, 8);

	SIZE(iommu_vfio_ioas, 12);
	FIELD(iommu_vfio_ioas, size, 0, 4);
	FIELD(iommu_vfio_ioas, ioas_id, 4, 4);
	FIELD(iommu_vfio_ioas, op, 8, 2);
	FIELD(iommu_vfio_ioas, __reserved, 10, 2);

	SIZE(iommu_hwpt_vtd_s1, 24);
	FIELD(iommu_hwpt_vtd_s1, flags, 0, 8);
	FIELD(iommu_hwpt_vtd_s1, pgtbl_addr, 8, 8);
	FIELD(iommu_hwpt_vtd_s1, addr_width, 16, 4);
	FIELD(iommu_hwpt_vtd_s1, __reserved, 20, 4);

	SIZE(iommu_hwpt_arm_smmuv3, 16);
	FIELD(iommu_hwpt_arm_smmuv3, ste, 0, 16);
	FIELD(iommu_hwpt_arm_smmuv3, ste[1], 8, 8);

	SIZE(iommu_hwpt_alloc, 48);
	FIELD(iommu_hwpt_alloc, size, 0, 4);
	FIELD(iommu_hwpt_alloc, flags, 4, 4);
	FIELD(iommu_hwpt_alloc, dev_id, 8, 4);
	FIELD(iommu_hwpt_alloc, pt_id, 12, 4);
	FIELD(iommu_hwpt_alloc, out_hwpt_id, 16, 4);
	FIELD(iommu_hwpt_alloc, __reserved, 20, 4);
	FIELD(iommu_hwpt_alloc, data_type, 24, 4);
	FIELD(iommu_hwpt_alloc, data_len, 28, 4);
	FIELD(iommu_hwpt_alloc, data_uptr, 32, 8);
	FIELD(iommu_hwpt_alloc, fault_id, 40, 4);
	FIELD(iommu_hwpt_alloc, __reserved2, 44, 4);

	SIZE(iommu_hw_info_vtd, 24);
	FIELD(iommu_hw_info_vtd, flags, 0, 4);
	FIELD(iommu_hw_info_vtd, __reserved, 4, 4);
	FIELD(iommu_hw_info_vtd, cap_reg, 8, 8);
	FIELD(iommu_hw_info_vtd, ecap_reg, 16, 8);

	SIZE(iommu_hw_info_arm_smmuv3, 40);
	FIELD(iommu_hw_info_arm_smmuv3, flags, 0, 4);
	FIELD(iommu_hw_info_arm_smmuv3, __reserved, 4, 4);
	FIELD(iommu_hw_info_arm_smmuv3, idr, 8, 24);
	FIELD(iommu_hw_info_arm_smmuv3, iidr, 32, 4);
	FIELD(iommu_hw_info_arm_smmuv3, aidr, 36, 4);

	SIZE(iommu_hw_info_tegra241_cmdqv, 8);
	FIELD(iommu_hw_info_tegra241_cmdqv, flags, 0, 4);
	FIELD(iommu_hw_info_tegra241_cmdqv, version, 4, 1);
	FIELD(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5, 1);
	FIELD(iommu_hw_info_tegra241_cmdqv, log2vsids, 6, 1);
	FIELD(iommu_hw_info_tegra241_cmdqv, __reserved, 7, 1);

	SIZE(iommu_hw_info, 40);
	FIELD(iommu_hw_info, size, 0, 4);
	FIELD(iommu_hw_info, flags, 4, 4);
	FIELD(iommu_hw_info, dev_id, 8, 4);
	FIELD(iommu_hw_info, data_len, 12, 4);
	FIELD(iommu_hw_info, data_uptr, 16, 8);
	FIELD(iommu_hw_info, in_data_type, 24, 4);
	FIELD(iommu_hw_info, out_data_type, 24, 4);
	FIELD(iommu_hw_info, out_max_pasid_log2, 28, 1);
	FIELD(iommu_hw_info, __reserved, 29, 3);
	FIELD(iommu_hw_info, out_capabilities, 32, 8);

	SIZE(iommu_hwpt_set_dirty_tracking, 16);
	FIELD(iommu_hwpt_set_dirty_tracking, size, 0, 4);
	FIELD(iommu_hwpt_set_dirty_tracking, flags, 4, 4);
	FIELD(iommu_hwpt_set_dirty_tracking, hwpt_id, 8, 4);
	FIELD(iommu_hwpt_set_dirty_tracking, __reserved, 12, 4);

	SIZE(iommu_hwpt_get_dirty_bitmap, 48);
	FIELD(iommu_hwpt_get_dirty_bitmap, size, 0, 4);
	FIELD(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4, 4);
	FIELD(iommu_hwpt_get_dirty_bitmap, flags, 8, 4);
	FIELD(iommu_hwpt_get_dirty_bitmap, __reserved, 12, 4);
	FIELD(iommu_hwpt_get_dirty_bitmap, iova, 16, 8);
	FIELD(iommu_hwpt_get_dirty_bitmap, length, 24, 8);
	FIELD(iommu_hwpt_get_dirty_bitmap, page_size, 32, 8);
	FIELD(iommu_hwpt_get_dirty_bitmap, data, 40, 8);

	SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
	FIELD(iommu_hwpt_vtd_s1_invalidate, addr, 0, 8);
	FIELD(iommu_hwpt_vtd_s1_invalidate, npages, 8, 8);
	FIELD(iommu_hwpt_vtd_s1_invalidate, flags, 16, 4);
	FIELD(iommu_hwpt_vtd_s1_invalidate, __reserved, 20, 4);

	SIZE(iommu_viommu_arm_smmuv3_invalidate, 16);
	FIELD(iommu_viommu_arm_smmuv3_invalidate, cmd, 0, 16);

	SIZE(iommu_hwpt_invalidate, 32);
	FIELD(iommu_hwpt_invalidate, size, 0, 4);
	FIELD(iommu_hwpt_invalidate, hwpt_id, 4, 4);
	FIELD(iommu_hwpt_invalidate, data_uptr, 8, 8);
	FIELD(iommu_hwpt_invalidate, data_type, 16, 4);
	FIELD(iommu_hwpt_invalidate, entry_len, 20, 4);
	FIELD(iommu_hwpt_invalidate, entry_num, 24, 4);
	FIELD(iommu_hwpt_invalidate, __reserved, 28, 4);

	SIZE(iommu_hwpt_pgfault, 40);
	FIELD(iommu_hwpt_pgfault, flags, 0, 4);
	FIELD(iommu_hwpt_pgfault, dev_id, 4, 4);
	FIELD(iommu_hwpt_pgfault, pasid, 8, 4);
	FIELD(iommu_hwpt_pgfault, grpid, 12, 4);
	FIELD(iommu_hwpt_pgfault, perm, 16, 4);
	FIELD(iommu_hwpt_pgfault, __reserved, 20, 4);
	FIELD(iommu_hwpt_pgfault, addr, 24, 8);
	FIELD(iommu_hwpt_pgfault, length, 32, 4);
	FIELD(iommu_hwpt_pgfault, cookie, 36, 4);

	SIZE(iommu_hwpt_page_response, 8);
	FIELD(iommu_hwpt_page_response, cookie, 0, 4);
	FIELD(iommu_hwpt_page_response, code, 4, 4);

	SIZE(iommu_fault_alloc, 16);
	FIELD(iommu_fault_alloc, size, 0, 4);
	FIELD(iommu_fault_alloc, flags, 4, 4);
	FIELD(iommu_fault_alloc, out_fault_id, 8, 4);
	FIELD(iommu_fault_alloc, out_fault_fd, 12, 4);

	SIZE(iommu_viommu_tegra241_cmdqv, 16);
	FIELD(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0, 8);
	FIELD(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8, 8);

	SIZE(iommu_viommu_alloc, 40);
	FIELD(iommu_viommu_alloc, size, 0, 4);
	FIELD(iommu_viommu_alloc, flags, 4, 4);
	FIELD(iommu_viommu_alloc, type, 8, 4);
	FIELD(iommu_viommu_alloc, dev_id, 12, 4);
	FIELD(iommu_viommu_alloc, hwpt_id, 16, 4);
	FIELD(iommu_viommu_alloc, out_viommu_id, 20, 4);
	FIELD(iommu_viommu_alloc, data_len, 24, 4);
	FIELD(iommu_viommu_alloc, __reserved, 28, 4);
	FIELD(iommu_viommu_alloc, data_uptr, 32, 8);

	SIZE(iommu_vdevice_alloc, 24);
	FIELD(iommu_vdevice_alloc, size, 0, 4);
	FIELD(iommu_vdevice_alloc, viommu_id, 4, 4);
	FIELD(iommu_vdevice_alloc, dev_id, 8, 4);
	FIELD(iommu_vdevice_alloc, out_vdevice_id, 12, 4);
	FIELD(iommu_vdevice_alloc, virt_id, 16, 8);

	SIZE(iommu_ioas_change_process, 8);
	FIELD(iommu_ioas_change_process, size, 0, 4);
	FIELD(iommu_ioas_change_process, __reserved, 4, 4);

	SIZE(iommufd_vevent_header, 8);
	FIELD(iommufd_vevent_header, flags, 0, 4);
	FIELD(iommufd_vevent_header, sequence, 4, 4);

	SIZE(iommu_vevent_arm_smmuv3, 32);
	FIELD(iommu_vevent_arm_smmuv3, evt, 0, 32);

	SIZE(iommu_vevent_tegra241_cmdqv, 16);
	FIELD(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0, 16);

	SIZE(iommu_veventq_alloc, 32);
	FIELD(iommu_veventq_alloc, size, 0, 4);
	FIELD(iommu_veventq_alloc, flags, 4, 4);
	FIELD(iommu_veventq_alloc, viommu_id, 8, 4);
	FIELD(iommu_veventq_alloc, type, 12, 4);
	FIELD(iommu_veventq_alloc, veventq_depth, 16, 4);
	FIELD(iommu_veventq_alloc, out_veventq_id, 20, 4);
	FIELD(iommu_veventq_alloc, out_veventq_fd, 24, 4);
	FIELD(iommu_veventq_alloc, __reserved, 28, 4);

	SIZE(iommu_hw_queue_alloc, 40);
	FIELD(iommu_hw_queue_alloc, size, 0, 4);
	FIELD(iommu_hw_queue_alloc, flags, 4, 4);
	FIELD(iommu_hw_queue_alloc, viommu_id, 8, 4);
	FIELD(iommu_hw_queue_alloc, type, 12, 4);
	FIELD(iommu_hw_queue_alloc, index, 16, 4);
	FIELD(iommu_hw_queue_alloc, out_hw_queue_id, 20, 4);
	FIELD(iommu_hw_queue_alloc, nesting_parent_iova, 24, 8);
	FIELD(iommu_hw_queue_alloc, length, 32, 8);

	/* uAPI: 64-bit fields are 8-aligned on every architecture */
	CHECK_EQ(_Alignof(struct iommu_ioas_map), 8);
	CHECK_EQ(_Alignof(struct iommu_hwpt_arm_smmuv3), 8);
	CHECK_EQ(_Alignof(struct iommu_hw_info), 8);
}

TEST(abi_vfio_structs)
{
	/* cdev API: every field */
	SIZE(vfio_device_bind_iommufd, 24);
	FIELD(vfio_device_bind_iommufd, argsz, 0, 4);
	FIELD(vfio_device_bind_iommufd, flags, 4, 4);
	FIELD(vfio_device_bind_iommufd, iommufd, 8, 4);
	SIGNED(vfio_device_bind_iommufd, iommufd);
	FIELD(vfio_device_bind_iommufd, out_devid, 12, 4);
	FIELD(vfio_device_bind_iommufd, token_uuid_ptr, 16, 8);

	SIZE(vfio_device_attach_iommufd_pt, 16);
	FIELD(vfio_device_attach_iommufd_pt, argsz, 0, 4);
	FIELD(vfio_device_attach_iommufd_pt, flags, 4, 4);
	FIELD(vfio_device_attach_iommufd_pt, pt_id, 8, 4);
	FIELD(vfio_device_attach_iommufd_pt, pasid, 12, 4);

	SIZE(vfio_device_detach_iommufd_pt, 12);
	FIELD(vfio_device_detach_iommufd_pt, argsz, 0, 4);
	FIELD(vfio_device_detach_iommufd_pt, flags, 4, 4);
	FIELD(vfio_device_detach_iommufd_pt, pasid, 8, 4);

	/* capability chains */
	SIZE(vfio_info_cap_header, 8);
	FIELD(vfio_info_cap_header, id, 0, 2);
	FIELD(vfio_info_cap_header, version, 2, 2);
	FIELD(vfio_info_cap_header, next, 4, 4);

	/* group and device API */
	SIZE(vfio_group_status, 8);
	FIELD(vfio_group_status, flags, 4, 4);

	SIZE(vfio_device_info, 24);
	FIELD(vfio_device_info, argsz, 0, 4);
	FIELD(vfio_device_info, flags, 4, 4);
	FIELD(vfio_device_info, num_regions, 8, 4);
	FIELD(vfio_device_info, num_irqs, 12, 4);
	FIELD(vfio_device_info, cap_offset, 16, 4);
	FIELD(vfio_device_info, pad, 20, 4);

	SIZE(vfio_device_info_cap_pci_atomic_comp, 16);
	FIELD(vfio_device_info_cap_pci_atomic_comp, flags, 8, 4);
	FIELD(vfio_device_info_cap_pci_atomic_comp, reserved, 12, 4);

	SIZE(vfio_region_info, 32);
	FIELD(vfio_region_info, argsz, 0, 4);
	FIELD(vfio_region_info, flags, 4, 4);
	FIELD(vfio_region_info, index, 8, 4);
	FIELD(vfio_region_info, cap_offset, 12, 4);
	FIELD(vfio_region_info, size, 16, 8);
	FIELD(vfio_region_info, offset, 24, 8);

	SIZE(vfio_region_sparse_mmap_area, 16);
	FIELD(vfio_region_sparse_mmap_area, offset, 0, 8);
	FIELD(vfio_region_sparse_mmap_area, size, 8, 8);

	SIZE(vfio_region_info_cap_sparse_mmap, 16);
	FIELD(vfio_region_info_cap_sparse_mmap, header, 0, 8);
	FIELD(vfio_region_info_cap_sparse_mmap, nr_areas, 8, 4);
	FIELD(vfio_region_info_cap_sparse_mmap, reserved, 12, 4);
	CHECK_EQ(offsetof(struct vfio_region_info_cap_sparse_mmap, areas), 16);

	SIZE(vfio_region_info_cap_type, 16);
	FIELD(vfio_region_info_cap_type, type, 8, 4);
	FIELD(vfio_region_info_cap_type, subtype, 12, 4);

	SIZE(vfio_region_gfx_edid, 24);
	FIELD(vfio_region_gfx_edid, link_state, 20, 4);

	SIZE(vfio_device_migration_info, 32);
	FIELD(vfio_device_migration_info, pending_bytes, 8, 8);
	FIELD(vfio_device_migration_info, data_size, 24, 8);

	SIZE(vfio_region_info_cap_nvlink2_ssatgt, 16);
	FIELD(vfio_region_info_cap_nvlink2_ssatgt, tgt, 8, 8);
	SIZE(vfio_region_info_cap_nvlink2_lnkspd, 16);
	FIELD(vfio_region_info_cap_nvlink2_lnkspd, link_speed, 8, 4);

	SIZE(vfio_irq_info, 16);
	FIELD(vfio_irq_info, argsz, 0, 4);
	FIELD(vfio_irq_info, flags, 4, 4);
	FIELD(vfio_irq_info, index, 8, 4);
	FIELD(vfio_irq_info, count, 12, 4);

	SIZE(vfio_irq_set, 20);
	FIELD(vfio_irq_set, argsz, 0, 4);
	FIELD(vfio_irq_set, flags, 4, 4);
	FIELD(vfio_irq_set, index, 8, 4);
	FIELD(vfio_irq_set, start, 12, 4);
	FIELD(vfio_irq_set, count, 16, 4);
	CHECK_EQ(offsetof(struct vfio_irq_set, data), 20);

	SIZE(vfio_pci_dependent_device, 8);
	FIELD(vfio_pci_dependent_device, group_id, 0, 4);
	FIELD(vfio_pci_dependent_device, devid, 0, 4);
	FIELD(vfio_pci_dependent_device, segment, 4, 2);
	FIELD(vfio_pci_dependent_device, bus, 6, 1);
	FIELD(vfio_pci_dependent_device, devfn, 7, 1);
	SIZE(vfio_pci_hot_reset_info, 12);
	CHECK_EQ(offsetof(struct vfio_pci_hot_reset_info, devices), 12);
	SIZE(vfio_pci_hot_reset, 12);
	CHECK_EQ(offsetof(struct vfio_pci_hot_reset, group_fds), 12);

	SIZE(vfio_device_gfx_plane_info, 64);
	FIELD(vfio_device_gfx_plane_info, drm_format_mod, 16, 8);
	FIELD(vfio_device_gfx_plane_info, y_hot, 52, 4);
	FIELD(vfio_device_gfx_plane_info, dmabuf_id, 56, 4);
	FIELD(vfio_device_gfx_plane_info, reserved, 60, 4);

	SIZE(vfio_device_ioeventfd, 32);
	FIELD(vfio_device_ioeventfd, offset, 8, 8);
	FIELD(vfio_device_ioeventfd, data, 16, 8);
	FIELD(vfio_device_ioeventfd, fd, 24, 4);
	FIELD(vfio_device_ioeventfd, reserved, 28, 4);

	SIZE(vfio_device_feature, 8);
	CHECK_EQ(offsetof(struct vfio_device_feature, data), 8);
	SIZE(vfio_device_feature_migration, 8);
	SIZE(vfio_device_feature_mig_state, 8);
	FIELD(vfio_device_feature_mig_state, data_fd, 4, 4);
	SIZE(vfio_precopy_info, 24);
	FIELD(vfio_precopy_info, initial_bytes, 8, 8);
	FIELD(vfio_precopy_info, dirty_bytes, 16, 8);
	SIZE(vfio_device_low_power_entry_with_wakeup, 8);
	SIZE(vfio_device_feature_dma_logging_control, 24);
	FIELD(vfio_device_feature_dma_logging_control, num_ranges, 8, 4);
	FIELD(vfio_device_feature_dma_logging_control, ranges, 16, 8);
	SIZE(vfio_device_feature_dma_logging_range, 16);
	SIZE(vfio_device_feature_dma_logging_report, 32);
	FIELD(vfio_device_feature_dma_logging_report, bitmap, 24, 8);
	SIZE(vfio_device_feature_mig_data_size, 8);
	SIZE(vfio_device_feature_bus_master, 4);

	/* type1 container API */
	SIZE(vfio_iommu_type1_info, 24);
	FIELD(vfio_iommu_type1_info, argsz, 0, 4);
	FIELD(vfio_iommu_type1_info, flags, 4, 4);
	FIELD(vfio_iommu_type1_info, iova_pgsizes, 8, 8);
	FIELD(vfio_iommu_type1_info, cap_offset, 16, 4);
	FIELD(vfio_iommu_type1_info, pad, 20, 4);

	SIZE(vfio_iova_range, 16);
	FIELD(vfio_iova_range, start, 0, 8);
	FIELD(vfio_iova_range, end, 8, 8);

	SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
	FIELD(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8, 4);
	FIELD(vfio_iommu_type1_info_cap_iova_range, reserved, 12, 4);
	CHECK_EQ(offsetof(struct vfio_iommu_type1_info_cap_iova_range,
			  iova_ranges), 16);

	SIZE(vfio_iommu_type1_info_cap_migration, 32);
	FIELD(vfio_iommu_type1_info_cap_migration, flags, 8, 4);
	FIELD(vfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16, 8);
	FIELD(vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size, 24, 8);

	SIZE(vfio_iommu_type1_info_dma_avail, 12);
	FIELD(vfio_iommu_type1_info_dma_avail, avail, 8, 4);

	SIZE(vfio_iommu_type1_dma_map, 32);
	FIELD(vfio_iommu_type1_dma_map, argsz, 0, 4);
	FIELD(vfio_iommu_type1_dma_map, flags, 4, 4);
	FIELD(vfio_iommu_type1_dma_map, vaddr, 8, 8);
	FIELD(vfio_iommu_type1_dma_map, iova, 16, 8);
	FIELD(vfio_iommu_type1_dma_map, size, 24, 8);

	SIZE(vfio_iommu_type1_dma_unmap, 24);
	FIELD(vfio_iommu_type1_dma_unmap, argsz, 0, 4);
	FIELD(vfio_iommu_type1_dma_unmap, flags, 4, 4);
	FIELD(vfio_iommu_type1_dma_unmap, iova, 8, 8);
	FIELD(vfio_iommu_type1_dma_unmap, size, 16, 8);
	CHECK_EQ(offsetof(struct vfio_iommu_type1_dma_unmap, data), 24);

#if __SIZEOF_POINTER__ == 8
	SIZE(vfio_bitmap, 24);
	FIELD(vfio_bitmap, pgsize, 0, 8);
	FIELD(vfio_bitmap, size, 8, 8);
	FIELD(vfio_bitmap, data, 16, 8);
	SIZE(vfio_iommu_type1_dirty_bitmap_get, 40);
	FIELD(vfio_iommu_type1_dirty_bitmap_get, bitmap, 16, 24);
#endif
	FIELD(vfio_iommu_type1_dirty_bitmap_get, iova, 0, 8);
	FIELD(vfio_iommu_type1_dirty_bitmap_get, size, 8, 8);

	SIZE(vfio_iommu_type1_dirty_bitmap, 8);
	CHECK_EQ(offsetof(struct vfio_iommu_type1_dirty_bitmap, data), 8);

	/* sPAPR */
	SIZE(vfio_iommu_spapr_tce_ddw_info, 16);
	SIZE(vfio_iommu_spapr_tce_info, 32);
	FIELD(vfio_iommu_spapr_tce_info, ddw, 16, 16);
	SIZE(vfio_eeh_pe_err, 24);
	SIZE(vfio_eeh_pe_op, 40);
	FIELD(vfio_eeh_pe_op, err, 16, 24);
	SIZE(vfio_iommu_spapr_register_memory, 24);
	SIZE(vfio_iommu_spapr_tce_create, 40);
	FIELD(vfio_iommu_spapr_tce_create, window_size, 16, 8);
	FIELD(vfio_iommu_spapr_tce_create, start_addr, 32, 8);
	SIZE(vfio_iommu_spapr_tce_remove, 16);
}

TEST(abi_test_mock_structs)
{
	SIZE(iommu_test_cmd, 72);
	FIELD(iommu_test_cmd, size, 0, 4);
	FIELD(iommu_test_cmd, op, 4, 4);
	FIELD(iommu_test_cmd, id, 8, 4);
	FIELD(iommu_test_cmd, __reserved, 12, 4);
	FIELD(iommu_test_cmd, last, 64, 4);

	FIELD(iommu_test_cmd, add_reserved, 16, 16);
	FIELD(iommu_test_cmd, add_reserved.start, 16, 8);
	FIELD(iommu_test_cmd, add_reserved.length, 24, 8);

	FIELD(iommu_test_cmd, mock_domain, 16, 12);
	FIELD(iommu_test_cmd, mock_domain.out_stdev_id, 16, 4);
	FIELD(iommu_test_cmd, mock_domain.out_hwpt_id, 20, 4);
	FIELD(iommu_test_cmd, mock_domain.out_idev_id, 24, 4);

	FIELD(iommu_test_cmd, mock_domain_flags, 16, 16);
	FIELD(iommu_test_cmd, mock_domain_flags.out_stdev_id, 16, 4);
	FIELD(iommu_test_cmd, mock_domain_flags.out_hwpt_id, 20, 4);
	FIELD(iommu_test_cmd, mock_domain_flags.out_idev_id, 24, 4);
	FIELD(iommu_test_cmd, mock_domain_flags.dev_flags, 28, 4);

	FIELD(iommu_test_cmd, mock_domain_replace.pt_id, 16, 4);

	FIELD(iommu_test_cmd, check_map, 16, 24);
	FIELD(iommu_test_cmd, check_map.iova, 16, 8);
	FIELD(iommu_test_cmd, check_map.length, 24, 8);
	FIELD(iommu_test_cmd, check_map.uptr, 32, 8);

	FIELD(iommu_test_cmd, check_refs, 16, 24);
	FIELD(iommu_test_cmd, check_refs.length, 16, 8);
	FIELD(iommu_test_cmd, check_refs.uptr, 24, 8);
	FIELD(iommu_test_cmd, check_refs.refs, 32, 4);

	FIELD(iommu_test_cmd, create_access.out_access_fd, 16, 4);
	FIELD(iommu_test_cmd, create_access.flags, 20, 4);

	FIELD(iommu_test_cmd, destroy_access_pages.access_pages_id, 16, 4);

	FIELD(iommu_test_cmd, access_pages, 16, 32);
	FIELD(iommu_test_cmd, access_pages.flags, 16, 4);
	FIELD(iommu_test_cmd, access_pages.out_access_pages_id, 20, 4);
	FIELD(iommu_test_cmd, access_pages.iova, 24, 8);
	FIELD(iommu_test_cmd, access_pages.length, 32, 8);
	FIELD(iommu_test_cmd, access_pages.uptr, 40, 8);

	FIELD(iommu_test_cmd, access_rw, 16, 32);
	FIELD(iommu_test_cmd, access_rw.iova, 16, 8);
	FIELD(iommu_test_cmd, access_rw.length, 24, 8);
	FIELD(iommu_test_cmd, access_rw.uptr, 32, 8);
	FIELD(iommu_test_cmd, access_rw.flags, 40, 4);

	FIELD(iommu_test_cmd, memory_limit.limit, 16, 4);
	FIELD(iommu_test_cmd, access_replace_ioas.ioas_id, 16, 4);

	FIELD(iommu_test_cmd, dirty, 16, 48);
	FIELD(iommu_test_cmd, dirty.flags, 16, 4);
	FIELD(iommu_test_cmd, dirty.iova, 24, 8);
	FIELD(iommu_test_cmd, dirty.length, 32, 8);
	FIELD(iommu_test_cmd, dirty.page_size, 40, 8);
	FIELD(iommu_test_cmd, dirty.uptr, 48, 8);
	FIELD(iommu_test_cmd, dirty.out_nr_dirty, 56, 8);

	FIELD(iommu_test_cmd, check_iotlb.id, 16, 4);
	FIELD(iommu_test_cmd, check_iotlb.iotlb, 20, 4);

	FIELD(iommu_test_cmd, trigger_iopf, 16, 24);
	FIELD(iommu_test_cmd, trigger_iopf.dev_id, 16, 4);
	FIELD(iommu_test_cmd, trigger_iopf.pasid, 20, 4);
	FIELD(iommu_test_cmd, trigger_iopf.grpid, 24, 4);
	FIELD(iommu_test_cmd, trigger_iopf.perm, 28, 4);
	FIELD(iommu_test_cmd, trigger_iopf.addr, 32, 8);

	FIELD(iommu_test_cmd, check_dev_cache.id, 16, 4);
	FIELD(iommu_test_cmd, check_dev_cache.cache, 20, 4);

	FIELD(iommu_test_cmd, trigger_vevent.dev_id, 16, 4);

	FIELD(iommu_test_cmd, pasid_attach.pasid, 16, 4);
	FIELD(iommu_test_cmd, pasid_attach.pt_id, 20, 4);
	FIELD(iommu_test_cmd, pasid_replace.pasid, 16, 4);
	FIELD(iommu_test_cmd, pasid_replace.pt_id, 20, 4);
	FIELD(iommu_test_cmd, pasid_detach.pasid, 16, 4);
	FIELD(iommu_test_cmd, pasid_check.pasid, 16, 4);
	FIELD(iommu_test_cmd, pasid_check.hwpt_id, 20, 4);

	SIZE(iommu_test_hw_info, 8);
	FIELD(iommu_test_hw_info, flags, 0, 4);
	FIELD(iommu_test_hw_info, test_reg, 4, 4);

	SIZE(iommu_hwpt_selftest, 4);
	FIELD(iommu_hwpt_selftest, iotlb, 0, 4);

	SIZE(iommu_hwpt_invalidate_selftest, 8);
	FIELD(iommu_hwpt_invalidate_selftest, flags, 0, 4);
	FIELD(iommu_hwpt_invalidate_selftest, iotlb_id, 4, 4);

	SIZE(iommu_viommu_selftest, 24);
	FIELD(iommu_viommu_selftest, in_data, 0, 4);
	FIELD(iommu_viommu_selftest, out_data, 4, 4);
	FIELD(iommu_viommu_selftest, out_mmap_offset, 8, 8);
	FIELD(iommu_viommu_selftest, out_mmap_length, 16, 8);

	SIZE(iommu_viommu_invalidate_selftest, 12);
	FIELD(iommu_viommu_invalidate_selftest, flags, 0, 4);
	FIELD(iommu_viommu_invalidate_selftest, vdev_id, 4, 4);
	FIELD(iommu_viommu_invalidate_selftest, cache_id, 8, 4);

	SIZE(iommu_viommu_event_selftest, 4);
	FIELD(iommu_viommu_event_selftest, virt_id, 0, 4);
}

TEST(abi_iommufd_flags)
{
	CHECK_EQ(IOMMU_IOAS_MAP_FIXED_IOVA, 1);
	CHECK_EQ(IOMMU_IOAS_MAP_WRITEABLE, 2);
	CHECK_EQ(IOMMU_IOAS_MAP_READABLE, 4);

	CHECK_EQ(IOMMU_OPTION_RLIMIT_MODE, 0);
	CHECK_EQ(IOMMU_OPTION_HUGE_PAGES, 1);
	CHECK_EQ(IOMMU_OPTION_OP_SET, 0);
	CHECK_EQ(IOMMU_OPTION_OP_GET, 1);

	CHECK_EQ(IOMMU_VFIO_IOAS_GET, 0);
	CHECK_EQ(IOMMU_VFIO_IOAS_SET, 1);
	CHECK_EQ(IOMMU_VFIO_IOAS_CLEAR, 2);

	CHECK_EQ(IOMMU_HWPT_ALLOC_NEST_PARENT, 1);
	CHECK_EQ(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 2);
	CHECK_EQ(IOMMU_HWPT_FAULT_ID_VALID, 4);
	CHECK_EQ(IOMMU_HWPT_ALLOC_PASID, 8);

	CHECK_EQ(IOMMU_VTD_S1_SRE, 1);
	CHECK_EQ(IOMMU_VTD_S1_EAFE, 2);
	CHECK_EQ(IOMMU_VTD_S1_WPE, 4);

	CHECK_EQ(IOMMU_HWPT_DATA_NONE, 0);
	CHECK_EQ(IOMMU_HWPT_DATA_VTD_S1, 1);
	CHECK_EQ(IOMMU_HWPT_DATA_ARM_SMMUV3, 2);

	CHECK_EQ(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, 1);
	CHECK_EQ(IOMMU_HW_INFO_TYPE_NONE, 0);
	CHECK_EQ(IOMMU_HW_INFO_TYPE_DEFAULT, 0);
	CHECK_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, 1);
	CHECK_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 2);
	CHECK_EQ(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3);
	CHECK_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, 1);
	CHECK_EQ(IOMMU_HW_CAP_PCI_PASID_EXEC, 2);
	CHECK_EQ(IOMMU_HW_CAP_PCI_PASID_PRIV, 4);
	CHECK_EQ(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1);

	CHECK_EQ(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1);
	CHECK_EQ(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);

	CHECK_EQ(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0);
	CHECK_EQ(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1);
	CHECK_EQ(IOMMU_VTD_INV_FLAGS_LEAF, 1);

	CHECK_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID, 1);
	CHECK_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 2);
	CHECK_EQ(IOMMU_PGFAULT_PERM_READ, 1);
	CHECK_EQ(IOMMU_PGFAULT_PERM_WRITE, 2);
	CHECK_EQ(IOMMU_PGFAULT_PERM_EXEC, 4);
	CHECK_EQ(IOMMU_PGFAULT_PERM_PRIV, 8);
	CHECK_EQ(IOMMUFD_PAGE_RESP_SUCCESS, 0);
	CHECK_EQ(IOMMUFD_PAGE_RESP_INVALID, 1);

	CHECK_EQ(IOMMU_VIOMMU_TYPE_DEFAULT, 0);
	CHECK_EQ(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1);
	CHECK_EQ(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2);

	CHECK_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1);
	CHECK_EQ(IOMMU_VEVENTQ_TYPE_DEFAULT, 0);
	CHECK_EQ(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1);
	CHECK_EQ(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2);

	CHECK_EQ(IOMMU_HW_QUEUE_TYPE_DEFAULT, 0);
	CHECK_EQ(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1);
}

TEST(abi_vfio_flags)
{
	CHECK_EQ(VFIO_API_VERSION, 0);
	CHECK_EQ(VFIO_TYPE1_IOMMU, 1);
	CHECK_EQ(VFIO_SPAPR_TCE_IOMMU, 2);
	CHECK_EQ(VFIO_TYPE1v2_IOMMU, 3);
	CHECK_EQ(VFIO_DMA_CC_IOMMU, 4);
	CHECK_EQ(VFIO_EEH, 5);
	CHECK_EQ(__VFIO_RESERVED_TYPE1_NESTING_IOMMU, 6);
	CHECK_EQ(VFIO_SPAPR_TCE_v2_IOMMU, 7);
	CHECK_EQ(VFIO_NOIOMMU_IOMMU, 8);
	CHECK_EQ(VFIO_UNMAP_ALL, 9);
	CHECK_EQ(VFIO_UPDATE_VADDR, 10);

	CHECK_EQ(VFIO_GROUP_FLAGS_VIABLE, 1);
	CHECK_EQ(VFIO_GROUP_FLAGS_CONTAINER_SET, 2);

	CHECK_EQ(VFIO_DEVICE_FLAGS_RESET, 0x1);
	CHECK_EQ(VFIO_DEVICE_FLAGS_PCI, 0x2);
	CHECK_EQ(VFIO_DEVICE_FLAGS_PLATFORM, 0x4);
	CHECK_EQ(VFIO_DEVICE_FLAGS_AMBA, 0x8);
	CHECK_EQ(VFIO_DEVICE_FLAGS_CCW, 0x10);
	CHECK_EQ(VFIO_DEVICE_FLAGS_AP, 0x20);
	CHECK_EQ(VFIO_DEVICE_FLAGS_FSL_MC, 0x40);
	CHECK_EQ(VFIO_DEVICE_FLAGS_CAPS, 0x80);
	CHECK_EQ(VFIO_DEVICE_FLAGS_CDX, 0x100);
	CHECK_EQ(VFIO_DEVICE_INFO_CAP_ZPCI_BASE, 1);
	CHECK_EQ(VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, 5);

	CHECK_EQ(VFIO_REGION_INFO_FLAG_READ, 1);
	CHECK_EQ(VFIO_REGION_INFO_FLAG_WRITE, 2);
	CHECK_EQ(VFIO_REGION_INFO_FLAG_MMAP, 4);
	CHECK_EQ(VFIO_REGION_INFO_FLAG_CAPS, 8);
	CHECK_EQ(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1);
	CHECK_EQ(VFIO_REGION_INFO_CAP_TYPE, 2);
	CHECK_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 3);
	CHECK_EQ(VFIO_REGION_INFO_CAP_NVLINK2_SSATGT, 4);
	CHECK_EQ(VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD, 5);
	CHECK_EQ((__u32)VFIO_REGION_TYPE_PCI_VENDOR_TYPE, 0x80000000u);
	CHECK_EQ(VFIO_REGION_TYPE_PCI_VENDOR_MASK, 0xffff);
	CHECK_EQ(VFIO_REGION_TYPE_GFX, 1);
	CHECK_EQ(VFIO_REGION_TYPE_CCW, 2);
	CHECK_EQ(VFIO_REGION_TYPE_MIGRATION_DEPRECATED, 3);

	CHECK_EQ(VFIO_IRQ_INFO_EVENTFD, 1);
	CHECK_EQ(VFIO_IRQ_INFO_MASKABLE, 2);
	CHECK_EQ(VFIO_IRQ_INFO_AUTOMASKED, 4);
	CHECK_EQ(VFIO_IRQ_INFO_NORESIZE, 8);
	CHECK_EQ(VFIO_IRQ_SET_DATA_NONE, 0x1);
	CHECK_EQ(VFIO_IRQ_SET_DATA_BOOL, 0x2);
	CHECK_EQ(VFIO_IRQ_SET_DATA_EVENTFD, 0x4);
	CHECK_EQ(VFIO_IRQ_SET_ACTION_MASK, 0x8);
	CHECK_EQ(VFIO_IRQ_SET_ACTION_UNMASK, 0x10);
	CHECK_EQ(VFIO_IRQ_SET_ACTION_TRIGGER, 0x20);
	CHECK_EQ(VFIO_IRQ_SET_DATA_TYPE_MASK, 0x07);
	CHECK_EQ(VFIO_IRQ_SET_ACTION_TYPE_MASK, 0x38);

	CHECK_EQ(VFIO_PCI_BAR0_REGION_INDEX, 0);
	CHECK_EQ(VFIO_PCI_BAR5_REGION_INDEX, 5);
	CHECK_EQ(VFIO_PCI_ROM_REGION_INDEX, 6);
	CHECK_EQ(VFIO_PCI_CONFIG_REGION_INDEX, 7);
	CHECK_EQ(VFIO_PCI_VGA_REGION_INDEX, 8);
	CHECK_EQ(VFIO_PCI_NUM_REGIONS, 9);
	CHECK_EQ(VFIO_PCI_INTX_IRQ_INDEX, 0);
	CHECK_EQ(VFIO_PCI_MSI_IRQ_INDEX, 1);
	CHECK_EQ(VFIO_PCI_MSIX_IRQ_INDEX, 2);
	CHECK_EQ(VFIO_PCI_ERR_IRQ_INDEX, 3);
	CHECK_EQ(VFIO_PCI_REQ_IRQ_INDEX, 4);
	CHECK_EQ(VFIO_PCI_NUM_IRQS, 5);
	CHECK_EQ(VFIO_PCI_HOT_RESET_FLAG_DEV_ID, 1);
	CHECK_EQ(VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, 2);
	CHECK_EQ(VFIO_PCI_DEVID_OWNED, 0);
	CHECK_EQ(VFIO_PCI_DEVID_NOT_OWNED, -1);

	CHECK_EQ(VFIO_DEVICE_FEATURE_MASK, 0xffff);
	CHECK_EQ(VFIO_DEVICE_FEATURE_GET, 0x10000);
	CHECK_EQ(VFIO_DEVICE_FEATURE_SET, 0x20000);
	CHECK_EQ(VFIO_DEVICE_FEATURE_PROBE, 0x40000);
	CHECK_EQ(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 0);
	CHECK_EQ(VFIO_DEVICE_FEATURE_MIGRATION, 1);
	CHECK_EQ(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, 2);
	CHECK_EQ(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 3);
	CHECK_EQ(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, 4);
	CHECK_EQ(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, 5);
	CHECK_EQ(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, 6);
	CHECK_EQ(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 7);
	CHECK_EQ(VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, 8);
	CHECK_EQ(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, 9);
	CHECK_EQ(VFIO_DEVICE_FEATURE_BUS_MASTER, 10);
	CHECK_EQ(VFIO_MIGRATION_STOP_COPY, 1);
	CHECK_EQ(VFIO_MIGRATION_P2P, 2);
	CHECK_EQ(VFIO_MIGRATION_PRE_COPY, 4);
	CHECK_EQ(VFIO_DEVICE_STATE_ERROR, 0);
	CHECK_EQ(VFIO_DEVICE_STATE_STOP, 1);
	CHECK_EQ(VFIO_DEVICE_STATE_RUNNING, 2);
	CHECK_EQ(VFIO_DEVICE_STATE_STOP_COPY, 3);
	CHECK_EQ(VFIO_DEVICE_STATE_RESUMING, 4);
	CHECK_EQ(VFIO_DEVICE_STATE_RUNNING_P2P, 5);
	CHECK_EQ(VFIO_DEVICE_STATE_PRE_COPY, 6);
	CHECK_EQ(VFIO_DEVICE_STATE_PRE_COPY_P2P, 7);
	CHECK_EQ(VFIO_DEVICE_STATE_NR, 8);

	CHECK_EQ(VFIO_DEVICE_BIND_FLAG_TOKEN, 1);
	CHECK_EQ(VFIO_DEVICE_ATTACH_PASID, 1);
	CHECK_EQ(VFIO_DEVICE_DETACH_PASID, 1);

	CHECK_EQ(VFIO_IOMMU_INFO_PGSIZES, 1);
	CHECK_EQ(VFIO_IOMMU_INFO_CAPS, 2);
	CHECK_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	CHECK_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 2);
	CHECK_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 3);
	CHECK_EQ(VFIO_DMA_MAP_FLAG_READ, 1);
	CHECK_EQ(VFIO_DMA_MAP_FLAG_WRITE, 2);
	CHECK_EQ(VFIO_DMA_MAP_FLAG_VADDR, 4);
	CHECK_EQ(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 1);
	CHECK_EQ(VFIO_DMA_UNMAP_FLAG_ALL, 2);
	CHECK_EQ(VFIO_DMA_UNMAP_FLAG_VADDR, 4);
	CHECK_EQ(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 1);
	CHECK_EQ(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 2);
	CHECK_EQ(VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, 4);
}

TEST(abi_test_mock_values)
{
	CHECK_EQ(IOMMU_TEST_OP_ADD_RESERVED, 1);
	CHECK_EQ(IOMMU_TEST_OP_MOCK_DOMAIN, 2);
	CHECK_EQ(IOMMU_TEST_OP_MD_CHECK_MAP, 3);
	CHECK_EQ(IOMMU_TEST_OP_MD_CHECK_REFS, 4);
	CHECK_EQ(IOMMU_TEST_OP_CREATE_ACCESS, 5);
	CHECK_EQ(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, 6);
	CHECK_EQ(IOMMU_TEST_OP_ACCESS_PAGES, 7);
	CHECK_EQ(IOMMU_TEST_OP_ACCESS_RW, 8);
	CHECK_EQ(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 9);
	CHECK_EQ(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
	CHECK_EQ(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, 11);
	CHECK_EQ(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
	CHECK_EQ(IOMMU_TEST_OP_DIRTY, 13);
	CHECK_EQ(IOMMU_TEST_OP_MD_CHECK_IOTLB, 14);
	CHECK_EQ(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
	CHECK_EQ(IOMMU_TEST_OP_DEV_CHECK_CACHE, 16);
	CHECK_EQ(IOMMU_TEST_OP_TRIGGER_VEVENT, 17);
	CHECK_EQ(IOMMU_TEST_OP_PASID_ATTACH, 18);
	CHECK_EQ(IOMMU_TEST_OP_PASID_REPLACE, 19);
	CHECK_EQ(IOMMU_TEST_OP_PASID_DETACH, 20);
	CHECK_EQ(IOMMU_TEST_OP_PASID_CHECK_HWPT, 21);

	CHECK_EQ(MOCK_APERTURE_START, 0x1000000);
	CHECK_EQ(MOCK_APERTURE_LAST, 0x7fffffff);
	CHECK_EQ(MOCK_FLAGS_ACCESS_WRITE, 1);
	CHECK_EQ(MOCK_FLAGS_ACCESS_SYZ, 0x10000);
	CHECK_EQ(MOCK_ACCESS_RW_WRITE, 1);
	CHECK_EQ(MOCK_ACCESS_RW_SLOW_PATH, 4);
	CHECK_EQ(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, 1);
	CHECK_EQ(MOCK_FLAGS_DEVICE_NO_DIRTY, 1);
	CHECK_EQ(MOCK_FLAGS_DEVICE_HUGE_IOVA, 2);
	CHECK_EQ(MOCK_FLAGS_DEVICE_PASID, 4);
	CHECK_EQ(MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, 3);
	CHECK_EQ(MOCK_NESTED_DOMAIN_IOTLB_NUM, 4);
	CHECK_EQ(MOCK_DEV_CACHE_ID_MAX, 3);
	CHECK_EQ(MOCK_DEV_CACHE_NUM, 4);
	CHECK_EQ(IOMMU_TEST_PASID_RESERVED, 1024);
	CHECK_EQ(MOCK_PASID_WIDTH, 20);

	CHECK_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeef);
	CHECK_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, 0xdeadbeef);
	CHECK_EQ(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
	CHECK_EQ(IOMMU_TEST_IOTLB_DEFAULT, 0xbadbeef);
	CHECK_EQ(IOMMU_TEST_DEV_CACHE_DEFAULT, 0xbaddad);
	CHECK_EQ(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	CHECK_EQ(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
	CHECK_EQ(IOMMU_TEST_INVALIDATE_FLAG_ALL, 1);
	CHECK_EQ(IOMMU_VIOMMU_TYPE_SELFTEST, 0xdeadbeef);
	CHECK_EQ(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	CHECK_EQ(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
	CHECK_EQ(IOMMU_VEVENTQ_TYPE_SELFTEST, 0xbeefbeef);
	CHECK_EQ(IOMMU_HW_QUEUE_TYPE_SELFTEST, 0xdeadbeef);
	CHECK_EQ(IOMMU_TEST_HW_QUEUE_MAX, 2);
}

#ifdef UIOMMU_HAVE_SYS_IOMMUFD
/* abi_sys_check.c proves at build time that the system header agrees. */
int abi_sys_check_groups(void);

TEST(abi_system_header)
{
	CHECK(abi_sys_check_groups() > 0);
}
#endif
