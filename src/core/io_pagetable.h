/*
 * io_pagetable.h - the IOAS and what other core objects may ask of it.
 *
 * An io_pagetable (iopt) is the IOVA -> user memory map behind an IOAS: a
 * tree of areas, each a window onto a refcounted "pages" object (a run of
 * user memory or of a file, shared by IOAS_COPY), plus allowed and reserved
 * IOVA ranges.  Every domain attached to the iopt mirrors every area; every
 * access attached to it is told before memory it may have pinned goes away.
 *
 * This header is the contract between the IOAS (ioas.c, io_pagetable.c,
 * pages.c, access.c) and its users (hw_pagetable.c, device.c, selftest.c,
 * vfio_compat.c).  Everything runs under ictx->lock.
 *
 * Physical addresses: see src/iommu/domain.h (host virtual addresses).
 */
#ifndef UIOMMU_CORE_IO_PAGETABLE_H
#define UIOMMU_CORE_IO_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/iommufd_private.h"
#include "iommu/domain.h"
#include "util/interval_tree.h"
#include "util/list.h"

struct io_pagetable {
	struct interval_tree_root area_itree;		/* struct iopt_area */
	struct interval_tree_root allowed_itree;	/* struct iopt_allowed */
	struct interval_tree_root reserved_itree;	/* struct iopt_reserved */
	struct list_head domains;	/* struct iopt_domain_ref, attach order */
	struct list_head accesses;	/* struct iommufd_access */
	uint64_t iova_alignment;	/* max of domains' and accesses' */
	bool disable_large_pages;	/* IOMMU_OPTION_HUGE_PAGES = 0 */
	unsigned int dirty_tracking;	/* domains with tracking on */
	unsigned int num_domains;	/* entries of domains */
	void *priv;			/* io_pagetable.c's own state */
};

struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	/* Paging HWPTs on this IOAS (struct iommufd_hwpt_paging.hwpt_item),
	 * searched for an auto domain a device can reuse. */
	struct list_head hwpt_list;
};

/* Look up an IOAS by id (shortterm ref): ERR_PTR(-ENOENT). */
struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, uint32_t id);
/* Create an IOAS object (published by the caller): for auto/compat paths. */
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);

/*
 * Attach @domain: map every area into it, reserve what lies outside its
 * aperture, raise iova_alignment to its smallest page.  0, -EADDRINUSE
 * (an area outside the aperture or misaligned for the new page size),
 * -ENOMEM, or any error of the domain's map (all undone).
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain);
/* Detach @domain: unmap every area from it (it is then empty). */
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain);

/* Reserved IOVA owned by @owner: 0, -EADDRINUSE over an area, -ENOMEM. */
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start,
		      uint64_t last, void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);

/* Dirty tracking on every domain of the iopt (HWPT_SET_DIRTY_TRACKING). */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable);
/* IOMMU_HWPT_GET_DIRTY_BITMAP for @domain over the caller's bitmap. */
int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommu_domain *domain,
				   unsigned long flags,
				   struct iommu_hwpt_get_dirty_bitmap *bitmap);

/*
 * Pin registry: how many pins hold the page at host address @va (any
 * IOAS, any context of this process).  IOMMU_TEST_OP_MD_CHECK_REFS and the
 * shim's deferred munmap use it.  @va need not be page aligned.  @va is a
 * "physical" address: for a caller's VA pass iopt_user_va_to_phys(va).
 * A pages object pins each of its pages once, whatever the number of
 * domains, accesses and IOAS_COPYs sharing it (the kernel's page pin).
 */
unsigned int iopt_pin_refs(uintptr_t va);
/* Is any byte of [va, va + length) pinned? */
bool iopt_range_pinned(uintptr_t va, uint64_t length);
/*
 * The lowest pinned run inside [va, va + length), clipped to it, as
 * [*start, *last]: true, or false when nothing there is pinned.
 */
bool iopt_first_pinned(uintptr_t va, uint64_t length, uintptr_t *start,
		       uintptr_t *last);
/*
 * Called after pins on [va, va + length) were dropped (part of it may still
 * be pinned by others), with no uiommu lock but the caller's context lock
 * held.  The shim sets it to finish munmap()s it deferred.
 */
extern void (*iopt_unpinned_hook)(uintptr_t va, uint64_t length);

/*
 * The "physical" identity of the caller's address @va: @va itself, except
 * inside a MAP_SHARED mapping of a file that IOAS_MAP_FILE mapped, where it
 * is the address of the same file byte in uiommu's own mapping of that file
 * (what domains hold for IOAS_MAP_FILE memory).  Slow (reads
 * /proc/self/maps); for checks, not for data paths.
 */
uintptr_t iopt_user_va_to_phys(uintptr_t va);

/*
 * Map/unmap for the VFIO type1 compatibility layer; the IOAS ioctls use
 * the same functions.  iommu_prot: IOMMU_READ/IOMMU_WRITE/IOMMU_CACHE.
 * flags: IOPT_ALLOC_IOVA (*iova is an output) or 0 (*iova is the input).
 * Errors as IOMMU_IOAS_MAP.
 */
#define IOPT_ALLOC_IOVA (1u << 0)
int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, uintptr_t uptr, uint64_t length,
			int iommu_prot, unsigned int flags);
int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, int fd, uint64_t start,
			uint64_t length, int iommu_prot, unsigned int flags);
/*
 * Unmap the areas inside [iova, iova + length - 1]; an area that crosses
 * the range's edge is -ENOENT (areas before it in IOVA order are already
 * gone, as in the kernel).  *unmapped gets the bytes unmapped (0 and
 * success when nothing was there).  -EINVAL (length 0), -EOVERFLOW,
 * -EBUSY (an area locked by iopt_pin_pages(lock_area)), -EDEADLK (an
 * access did not let go of its pins).
 */
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova,
		    uint64_t length, uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/*
 * Split areas so that each iovas[i] is the last byte of an area (VFIO
 * type1 v1 partial unmap).  0, -EBUSY, -EINVAL (misaligned, an access
 * pins the area, or large pages are enabled and a domain holds it).
 */
int iopt_cut_iova(struct io_pagetable *iopt, uint64_t *iovas,
		  size_t num_iovas);
/* IOMMU_OPTION_HUGE_PAGES: disable is -EINVAL with domains and areas. */
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);

/*
 * Pin for an in-process user that is not an access object (HW queues):
 * as iommufd_access_pin_pages() on @iopt.  With @lock_area the areas
 * touched refuse IOAS_UNMAP (-EBUSY) until iopt_unpin_pages(unlock_area).
 */
int iopt_pin_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   uintptr_t *out_pages, unsigned int flags, bool lock_area);
void iopt_unpin_pages(struct io_pagetable *iopt, uint64_t iova,
		      uint64_t length, bool unlock_area);

/*
 * Accesses (in-process device emulation without a domain: the kernel's
 * mdev path and the selftest's access objects).
 */
struct iommufd_access;
struct iommufd_access_ops {
	/* Pages may be pinned through this access (else rw only). */
	bool needs_pin_pages;
	/* Before [iova, iova + length) goes: unpin what you pinned there. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

#define IOMMUFD_ACCESS_RW_READ 0
#define IOMMUFD_ACCESS_RW_WRITE (1 << 0)
#define IOMMUFD_ACCESS_RW_KTHREAD (1 << 1)

/* Object created and published; *id returned. */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
/*
 * Pin [iova, iova + length) (page granular, iova may be unaligned within the
 * first page) and return each page's host address in out_pages[] (page
 * aligned).  flags: IOMMUFD_ACCESS_RW_WRITE needs write permission.
 * 0, -EINVAL, -ENOENT (unmapped hole), -EPERM (permission), -EFAULT.
 */
int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uintptr_t *out_pages,
			     unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length);
/* Copy between @data and the IOAS at @iova. */
int iommufd_access_rw(struct iommufd_access *access, uint64_t iova,
		      void *data, size_t len, unsigned int flags);

#endif
