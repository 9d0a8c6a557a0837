/*
 * translate.h - the translation engine: a device request (unit, RID, PASID,
 * IOVA, length, access) becomes a host address, or a fault.
 *
 * The path: the slot's entry (context entry, then PASID entry) -> the
 * IOTLB -> on a miss, a walk of the domain: stage 1 (the domain's own table,
 * or a table in memory whose every table address goes through stage 2), then
 * stage 2 for the output -> permission checks -> dirty bit on the first
 * write through a clean leaf -> IOTLB fill.
 *
 * Faults: unrecoverable ones are recorded in the unit's fault log (and
 * passed to its handler); when the slot was attached with IOMMU_ATTACH_PRI a
 * translation or permission fault is instead a page request, returned to
 * the caller (and passed to the handler) and not logged.
 *
 * Readers take no lock: every call of iommu_translate() must sit inside
 * iommu_dma_begin() / iommu_dma_end() (an RCU read-side section), and the
 * host address it returns may be used only until iommu_dma_end().
 */
#ifndef UIOMMU_IOMMU_TRANSLATE_H
#define UIOMMU_IOMMU_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

struct iommu_unit;

/* Access of a request (PCIe: read/write, and with a PASID, exec / priv). */
enum {
	IOMMU_ACC_READ = 1u << 0,
	IOMMU_ACC_WRITE = 1u << 1,
	IOMMU_ACC_EXEC = 1u << 2,
	IOMMU_ACC_PRIV = 1u << 3,
};

enum iommu_fault_reason {
	IOMMU_FAULT_NONE,
	IOMMU_FAULT_RID_INVALID,     /* RID beyond 16 bits */
	IOMMU_FAULT_CTX_ABSENT,	     /* no context entry for the RID */
	IOMMU_FAULT_PASID_INVALID,   /* PASID beyond the unit's width */
	IOMMU_FAULT_PASID_ABSENT,    /* no PASID entry */
	IOMMU_FAULT_BLOCKED,	     /* attached to a blocking domain */
	IOMMU_FAULT_REQ_UNSUPPORTED, /* exec/priv request not supported */
	IOMMU_FAULT_ADDR_SIZE,	     /* address beyond the input range */
	IOMMU_FAULT_TRANSLATION,     /* no mapping */
	IOMMU_FAULT_PERMISSION,	     /* mapping does not allow the access */
	IOMMU_FAULT_BAD_ENTRY,	     /* malformed / reserved encoding */
	IOMMU_FAULT_NR_REASONS,
};

/* Fault record flags. */
enum {
	IOMMU_FAULT_F_RECOVERABLE = 1u << 0, /* a page request */
	IOMMU_FAULT_F_TABLE = 1u << 1, /* stage 2 failed on a stage-1 table */
};

/* One fault or page request, as recorded / returned. */
struct iommu_fault_record {
	uint32_t reason; /* enum iommu_fault_reason */
	uint32_t flags;	 /* IOMMU_FAULT_F_* */
	uint32_t rid;
	uint32_t pasid;	 /* IOMMU_NO_PASID: request without PASID */
	uint32_t access; /* IOMMU_ACC_* of the request */
	uint8_t stage;	 /* 1 or 2; 0: before any table */
	uint8_t level;	 /* table level where the walk stopped */
	uint16_t __pad;
	uint64_t iova; /* the request's address */
	uint64_t addr; /* stage 2: its input (IPA) that faulted */
};

/* A successful translation. */
struct iommu_xlate {
	uintptr_t phys; /* host address of iova */
	uint64_t len;	/* bytes from iova covered (<= the asked len) */
	uint32_t prot;	/* IOMMU_ACC_* the translation allows */
};

void iommu_dma_begin(void);
void iommu_dma_end(void);

/*
 * Translate [iova, iova + len) (len >= 1) for @access.  0 with *x covering
 * at least one byte (up to the end of the leaf translation: callers loop),
 * -EFAULT (unrecoverable fault, recorded, *f filled if given) or -EAGAIN
 * (page request: *f filled, IOMMU_FAULT_F_RECOVERABLE).  Inside
 * iommu_dma_begin()/end() only.
 */
int iommu_translate(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    uint64_t iova, uint64_t len, uint32_t access,
		    struct iommu_xlate *x, struct iommu_fault_record *f);

/* Fault log: pop the oldest record.  0, or -ENOENT when empty. */
int iommu_unit_fault_pop(struct iommu_unit *u, struct iommu_fault_record *r);

/*
 * Called for every fault and page request, inside the read-side section of
 * the faulting DMA: it must not block or wait for DMA.  NULL to remove.
 */
typedef void (*iommu_fault_fn)(void *ctx, struct iommu_unit *u,
			       const struct iommu_fault_record *r);
void iommu_unit_set_fault_handler(struct iommu_unit *u, iommu_fault_fn fn,
				  void *ctx);

const char *iommu_fault_reason_name(uint32_t reason);

#endif
