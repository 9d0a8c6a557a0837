/*
 * dma_engine.c - the DMA engine device model (model=dma): BAR0 registers
 * (include/uiommu/emu.h) and a copy command that DMAs through the device's
 * IOMMU unit with the DMA API (src/iommu/dma.h), on the RID (no PASID).
 *
 * A copy runs to completion inside the doorbell write: it reads the whole
 * source into a bounce buffer, then writes the destination, so a fault on
 * the source writes nothing; then STATUS is set and the completion
 * interrupt signalled.  Faults are also in the unit's fault log.
 *
 * Not modelled yet: a descriptor ring, a PASID per descriptor, fill and
 * compare commands, faults delivered to an iommufd fault queue (PRI).
 *
 * All state is guarded by emu_dev.lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/emu.h>

#include "core/uaccess.h"
#include "dev/emu_dev.h"
#include "iommu/dma.h"
#include "util/fault_inject.h"

struct emu_dma_engine {
	uint64_t src, dst, len;
	uint32_t status;
	uint64_t fault_iova;
	uint64_t done;
};

int emu_dma_engine_init(struct emu_dev *edev)
{
	edev->dma = ufi_calloc(1, sizeof(*edev->dma));
	return edev->dma ? 0 : -ENOMEM;
}

uint64_t emu_model_bar0_size(const struct emu_dev *edev)
{
	return edev->dma ? EMU_DMA_BAR0_SIZE : 0;
}

void emu_model_reset(struct emu_dev *edev)
{
	if (edev->dma)
		memset(edev->dma, 0, sizeof(*edev->dma));
}

static void emu_dma_copy(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	struct iommu_dma_result res = { 0 };
	void *bounce;
	int rc;

	e->fault_iova = 0;
	e->done = 0;
	if (!e->len || e->len > EMU_DMA_MAX_LEN) {
		e->status = EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_INVALID;
		return;
	}
	bounce = ufi_malloc(e->len);
	if (!bounce) {
		e->status = EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_INVALID;
		return;
	}
	rc = iommu_dma_read(edev->unit, edev->rid, IOMMU_NO_PASID, e->src,
			    bounce, e->len, 0, &res);
	if (!rc) {
		memset(&res, 0, sizeof(res));
		rc = iommu_dma_write(edev->unit, edev->rid, IOMMU_NO_PASID,
				     e->dst, bounce, e->len, 0, &res);
		e->done = res.done;
	}
	free(bounce);
	e->status = EMU_DMA_STATUS_DONE;
	if (rc) {
		e->status |= rc == -EINVAL ? EMU_DMA_STATUS_INVALID :
					     EMU_DMA_STATUS_FAULT;
		e->fault_iova = res.fault.iova;
	}
}

static uint64_t emu_dma_reg_read(struct emu_dma_engine *e, uint64_t off)
{
	switch (off) {
	case EMU_DMA_REG_ID:
		return EMU_DMA_ID;
	case EMU_DMA_REG_SRC:
		return e->src;
	case EMU_DMA_REG_DST:
		return e->dst;
	case EMU_DMA_REG_LEN:
		return e->len;
	case EMU_DMA_REG_STATUS:
		return e->status;
	case EMU_DMA_REG_FAULT_IOVA:
		return e->fault_iova;
	case EMU_DMA_REG_DONE:
		return e->done;
	default:
		return 0;
	}
}

static void emu_dma_reg_write(struct emu_dev *edev, uint64_t off,
			      uint64_t val)
{
	struct emu_dma_engine *e = edev->dma;

	switch (off) {
	case EMU_DMA_REG_SRC:
		e->src = val;
		break;
	case EMU_DMA_REG_DST:
		e->dst = val;
		break;
	case EMU_DMA_REG_LEN:
		e->len = val;
		break;
	case EMU_DMA_REG_CMD:
		if ((uint32_t)val == EMU_DMA_CMD_COPY)
			emu_dma_copy(edev);
		else
			e->status = EMU_DMA_STATUS_DONE |
				    EMU_DMA_STATUS_INVALID;
		emu_dev_irq_signal(edev);
		break;
	default:
		break;	/* read-only or unused: ignored, as hardware does */
	}
}

ssize_t emu_model_bar0_rw(struct emu_dev *edev, void *buf, size_t count,
			  uint64_t off, bool write)
{
	uint64_t val = 0;

	if (!edev->dma || off >= EMU_DMA_BAR0_SIZE)
		return -EINVAL;
	/* Registers take naturally aligned 4- and 8-byte accesses. */
	if ((count != 4 && count != 8) || (off & (count - 1)) ||
	    off + count > EMU_DMA_BAR0_SIZE)
		return -EINVAL;
	if (write) {
		if (copy_from_user(&val, buf, count))
			return -EFAULT;
		if (count == 4 && (off & 4)) {
			/* The high half of a 64-bit register. */
			uint64_t cur = emu_dma_reg_read(edev->dma, off - 4);

			if (off - 4 != EMU_DMA_REG_CMD) {
				emu_dma_reg_write(edev, off - 4,
						  (cur & 0xffffffffull) |
							  val << 32);
				return count;
			}
		}
		if (count == 4 && off != EMU_DMA_REG_CMD &&
		    off != EMU_DMA_REG_STATUS) {
			uint64_t cur = emu_dma_reg_read(edev->dma, off);

			val = (cur & ~0xffffffffull) | val;
		}
		emu_dma_reg_write(edev, off, val);
		return count;
	}
	if (count == 4 && (off & 4) && off - 4 != EMU_DMA_REG_CMD)
		val = emu_dma_reg_read(edev->dma, off - 4) >> 32;
	else
		val = emu_dma_reg_read(edev->dma, off);
	if (count == 4)
		val &= 0xffffffffull;
	return copy_to_user(buf, &val, count) ? -EFAULT : (ssize_t)count;
}
