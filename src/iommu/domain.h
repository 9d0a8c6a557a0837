/*
 * domain.h - an I/O page table as the core sees it: the "hardware" side of
 * a paging HWPT.  Implemented by the mock IOMMU (src/core/selftest.c) and by
 * the software IOMMU units over the formats in src/iommu/pt/.
 *
 * "Physical" addresses are host virtual addresses of this process: a
 * mapping iova -> phys means DMA at iova reaches the byte at (void *)phys.
 * All lengths are bytes; ranges given as (iova, length) are half-open.
 * The core serialises map/unmap/dirty calls on one domain (context lock);
 * iova_to_phys and the translation path may run concurrently with them.
 */
#ifndef UIOMMU_IOMMU_DOMAIN_H
#define UIOMMU_IOMMU_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mapping permissions (the kernel's IOMMU_READ / IOMMU_WRITE values). */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#define IOMMU_CACHE (1 << 2)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_MMIO (1 << 4)

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_IDENTITY,
	IOMMU_DOMAIN_PAGING,
	IOMMU_DOMAIN_NESTED,
	IOMMU_DOMAIN_SVA,
};

struct iommu_domain;

/*
 * Collects dirty IOVAs for IOMMU_HWPT_GET_DIRTY_BITMAP and unmap-with-dirty:
 * the domain calls iommu_dirty_record(bitmap, iova, length) for every dirty
 * range it finds.  Owned by the core.
 */
struct iommu_dirty_bitmap {
	void (*record)(struct iommu_dirty_bitmap *b, uint64_t iova,
		       uint64_t length);
	void *priv;
};

static inline void iommu_dirty_record(struct iommu_dirty_bitmap *b,
				      uint64_t iova, uint64_t length)
{
	if (b)
		b->record(b, iova, length);
}

#define IOMMU_DIRTY_NO_CLEAR (1 << 0)

struct iommu_domain_ops {
	/*
	 * Map [iova, iova + length) to [phys, phys + length) with @prot.
	 * iova, phys and length are multiples of the smallest page size.
	 * 0, -EEXIST if anything there is mapped (nothing changed), -ENOMEM.
	 */
	int (*map)(struct iommu_domain *d, uint64_t iova, uintptr_t phys,
		   uint64_t length, int prot);
	/*
	 * Unmap [iova, iova + length); returns bytes unmapped.  With @dirty,
	 * report dirty pages of the range before they go.
	 */
	uint64_t (*unmap)(struct iommu_domain *d, uint64_t iova,
			  uint64_t length, struct iommu_dirty_bitmap *dirty);
	/* phys for @iova, or 0 when unmapped. */
	uintptr_t (*iova_to_phys)(struct iommu_domain *d, uint64_t iova);
	/* Optional: dirty tracking. */
	int (*set_dirty_tracking)(struct iommu_domain *d, bool enable);
	int (*read_and_clear_dirty)(struct iommu_domain *d, uint64_t iova,
				    uint64_t length, unsigned long flags,
				    struct iommu_dirty_bitmap *dirty);
	void (*free)(struct iommu_domain *d);
};

struct iommu_domain {
	const struct iommu_domain_ops *ops;
	enum iommu_domain_type type;
	uint64_t pgsize_bitmap;		/* supported leaf sizes */
	uint64_t aperture_start;	/* first usable iova */
	uint64_t aperture_last;		/* last usable iova (inclusive) */
	bool dirty_tracking;		/* enforced by set_dirty_tracking */
	bool iopf;			/* its HWPT has a fault queue */
	void *owner;			/* implementation's back pointer */
};

#endif
