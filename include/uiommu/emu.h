/*
 * emu.h - the register interfaces of uiommu's emulated device models, as a
 * program driving /dev/vfio/devices/vfioN sees them through pread/pwrite on
 * the device fd (uiommu_pread/uiommu_pwrite with the library).
 *
 * DMA engine (model=dma): BAR0 (VFIO region 0, EMU_DMA_BAR0_SIZE bytes) of
 * little-endian registers, accessed with naturally aligned 4- or 8-byte
 * reads and writes (an 8-byte access to two 32-bit registers is both, low
 * first).  All device addresses are IOVAs translated by the device's IOMMU
 * unit.  The engine has two interfaces:
 *
 * Single command (RID only): program SRC, DST and LEN, then write
 * EMU_DMA_CMD_COPY to CMD: the engine copies LEN bytes from SRC to DST
 * before the write returns, sets STATUS and signals its completion
 * interrupt (the eventfd of MSI vector 0 if set with VFIO_DEVICE_SET_IRQS,
 * else INTx).  The copy reads all of SRC first, then writes DST, page by
 * page through the IOMMU: a fault reading writes nothing; a fault writing
 * leaves the pages before the faulting one written.  On a fault STATUS has
 * EMU_DMA_STATUS_FAULT, FAULT_IOVA the faulting device address and DONE
 * the bytes written.  A page request (see below) fails the command.
 *
 * Descriptor ring: RING_BASE (64-byte aligned IOVA) and RING_SIZE (entries,
 * 1..EMU_DMA_RING_MAX) describe a ring of struct emu_dma_desc; writing
 * either resets HEAD and TAIL to 0 and clears RING_STATUS.  Writing TAIL
 * (the doorbell, < RING_SIZE) hands the descriptors from HEAD up to TAIL
 * (modulo RING_SIZE) to the engine, which runs them in order inside the
 * write: each is fetched, executed and completed (result, fault_addr, then
 * status written back into it), and HEAD advances past it.  When HEAD
 * reaches TAIL the engine signals the completion interrupt.  Descriptors
 * and their write-back go through the unit on the RID; the data of a
 * descriptor flagged EMU_DMA_DESC_F_PASID goes with its PASID.
 *
 * Recoverable faults: on a device declared with `pri`, attached to a HWPT
 * made with a fault queue (IOMMU_HWPT_FAULT_ID_VALID), a data access that
 * misses a mapping or lacks the permission sends a page request (one page,
 * last-page flag, a group index of its own) to that queue and the
 * descriptor waits: RING_STATUS has EMU_DMA_RING_WAITING, HEAD stays on it
 * and the doorbell write returns.  A SUCCESS response makes the engine
 * retry the access and carry on (from a thread of its own: the interrupt
 * says when HEAD reached TAIL); any other answer - INVALID, or the
 * automatic one when the HWPT is detached or replaced - completes the
 * descriptor with EMU_DMA_DESC_ABORTED.  Closing the fault fd answers
 * nothing (as in Linux): the descriptor waits until a detach.
 */
#ifndef UIOMMU_EMU_H
#define UIOMMU_EMU_H

#include <stdint.h>

#define EMU_DMA_BAR0_SIZE	0x1000
#define EMU_DMA_MAX_LEN		(1u << 20)	/* longest copy / fill / compare */
#define EMU_DMA_RING_MAX	4096u		/* most ring entries */

/* Single command. */
#define EMU_DMA_REG_ID		0x00	/* RO u32: EMU_DMA_ID */
#define EMU_DMA_REG_SRC		0x08	/* RW u64 */
#define EMU_DMA_REG_DST		0x10	/* RW u64 */
#define EMU_DMA_REG_LEN		0x18	/* RW u64 */
#define EMU_DMA_REG_CMD		0x20	/* WO u32: doorbell */
#define EMU_DMA_REG_STATUS	0x24	/* RO u32 */
#define EMU_DMA_REG_FAULT_IOVA	0x28	/* RO u64 */
#define EMU_DMA_REG_DONE	0x30	/* RO u64: bytes written by the last copy */
/* Descriptor ring. */
#define EMU_DMA_REG_RING_BASE	0x40	/* RW u64: IOVA, 64-byte aligned */
#define EMU_DMA_REG_RING_SIZE	0x48	/* RW u32: entries */
#define EMU_DMA_REG_RING_STATUS	0x4c	/* RO u32: EMU_DMA_RING_* */
#define EMU_DMA_REG_RING_HEAD	0x50	/* RO u32: next descriptor to run */
#define EMU_DMA_REG_RING_TAIL	0x54	/* RW u32: doorbell */
#define EMU_DMA_REG_RING_FAULT	0x58	/* RO u64: IOVA of a failed fetch */
#define EMU_DMA_REG_RING_DONE	0x60	/* RO u64: descriptors completed */

#define EMU_DMA_ID		0x756d6461u	/* the model's identity */
#define EMU_DMA_CMD_COPY	1u

#define EMU_DMA_STATUS_DONE	(1u << 0)	/* the last command finished */
#define EMU_DMA_STATUS_FAULT	(1u << 1)	/* ... on a translation fault */
#define EMU_DMA_STATUS_INVALID	(1u << 2)	/* ... bad command or length */

/* RING_STATUS */
#define EMU_DMA_RING_WAITING	(1u << 0)	/* a page request is out */
/*
 * Stopped until RING_BASE or RING_SIZE is written: a TAIL >= RING_SIZE,
 * no ring, or a descriptor that could not be fetched or written back
 * (RING_FAULT has its address).
 */
#define EMU_DMA_RING_ERROR	(1u << 1)

/* A descriptor: 64 bytes, little-endian, in IOVA space. */
struct emu_dma_desc {
	uint32_t opcode;	/* EMU_DMA_OP_* */
	uint32_t flags;		/* EMU_DMA_DESC_F_* */
	uint32_t pasid;		/* with EMU_DMA_DESC_F_PASID */
	uint32_t status;	/* written back: EMU_DMA_DESC_* (0 before) */
	uint64_t src;		/* COPY, COMPARE */
	uint64_t dst;		/* COPY, FILL, COMPARE */
	uint64_t len;		/* 1..EMU_DMA_MAX_LEN */
	uint64_t pattern;	/* FILL: 8 bytes repeated from dst on */
	/*
	 * Written back: COPY / FILL the bytes written; COMPARE the offset
	 * of the first byte that differs, len when src and dst are equal.
	 */
	uint64_t result;
	uint64_t fault_addr;	/* written back with FAULT: the address */
};

#define EMU_DMA_OP_COPY		1u	/* src -> dst (all read first) */
#define EMU_DMA_OP_FILL		2u	/* pattern -> dst */
#define EMU_DMA_OP_COMPARE	3u	/* src vs dst, both read */

#define EMU_DMA_DESC_F_PASID	(1u << 0)	/* data DMA with .pasid */

#define EMU_DMA_DESC_SUCCESS	1u
#define EMU_DMA_DESC_FAULT	2u	/* an unrecoverable fault: fault_addr */
#define EMU_DMA_DESC_INVALID	3u	/* bad opcode, flags, length, PASID */
#define EMU_DMA_DESC_ABORTED	4u	/* page request not answered SUCCESS */

#endif
