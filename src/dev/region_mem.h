/*
 * region_mem.h - device-local memory behind a VFIO region (BAR2 of the DMA
 * engine): the same bytes through pread/pwrite of the device fd and through
 * mmap(MAP_SHARED) of it, as a memory BAR of a real device.
 */
#ifndef UIOMMU_DEV_REGION_MEM_H
#define UIOMMU_DEV_REGION_MEM_H

#include <stdint.h>
#include <sys/types.h>

struct emu_dev;

/* The region index and size of @edev's memory (0: the model has none). */
#define EMU_REGION_MEM_INDEX 2		/* VFIO_PCI_BAR2_REGION_INDEX */
#define EMU_REGION_MEM_SIZE (16u * 1024)
uint64_t emu_region_mem_size(const struct emu_dev *edev);
/*
 * The memfd holding @edev's memory, made (zeroed) on first use and kept
 * while the process lives, as the device is: fd or -errno.
 */
int emu_region_mem_fd(struct emu_dev *edev);
/* pread/pwrite at @pos of the region: bytes done or -errno (vfio-pci's). */
ssize_t emu_region_mem_rw(struct emu_dev *edev, void *buf, size_t count,
			  uint64_t pos, bool write);

#endif
