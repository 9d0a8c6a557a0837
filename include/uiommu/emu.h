/*
 * emu.h - the register interfaces of uiommu's emulated device models, as a
 * program driving /dev/vfio/devices/vfioN sees them through pread/pwrite on
 * the device fd (uiommu_pread/uiommu_pwrite with the library).
 *
 * DMA engine (model=dma): BAR0 (VFIO region 0, EMU_DMA_BAR0_SIZE bytes) of
 * little-endian registers, accessed with naturally aligned 4- or 8-byte
 * reads and writes.  Program SRC, DST and LEN (device addresses: IOVAs
 * translated by the device's IOMMU unit), then write EMU_DMA_CMD_COPY to
 * CMD: the engine copies LEN bytes from SRC to DST before the write
 * returns, sets STATUS and signals its completion interrupt (the eventfd of
 * MSI vector 0 if set with VFIO_DEVICE_SET_IRQS, else INTx).  The copy
 * reads all of SRC first, then writes DST, page by page through the IOMMU:
 * a fault reading writes nothing; a fault writing leaves the pages before
 * the faulting one written.  On a fault STATUS has EMU_DMA_STATUS_FAULT,
 * FAULT_IOVA the faulting device address and DONE the bytes written.
 */
#ifndef UIOMMU_EMU_H
#define UIOMMU_EMU_H

#define EMU_DMA_BAR0_SIZE	0x1000
#define EMU_DMA_MAX_LEN		(1u << 20)	/* longest copy */

#define EMU_DMA_REG_ID		0x00	/* RO u32: EMU_DMA_ID */
#define EMU_DMA_REG_SRC		0x08	/* RW u64 */
#define EMU_DMA_REG_DST		0x10	/* RW u64 */
#define EMU_DMA_REG_LEN		0x18	/* RW u64 */
#define EMU_DMA_REG_CMD		0x20	/* WO u32: doorbell */
#define EMU_DMA_REG_STATUS	0x24	/* RO u32 */
#define EMU_DMA_REG_FAULT_IOVA	0x28	/* RO u64 */
#define EMU_DMA_REG_DONE	0x30	/* RO u64: bytes written by the last copy */

#define EMU_DMA_ID		0x756d6461u	/* the model's identity */
#define EMU_DMA_CMD_COPY	1u

#define EMU_DMA_STATUS_DONE	(1u << 0)	/* the last command finished */
#define EMU_DMA_STATUS_FAULT	(1u << 1)	/* ... on a translation fault */
#define EMU_DMA_STATUS_INVALID	(1u << 2)	/* ... bad command or length */

#endif
