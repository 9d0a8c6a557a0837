/*
 * immap.h - memory a driver exposes through mmap() of the iommufd (the
 * kernel's iommufd_ctx_alloc_mmap / iommufd_fops_mmap): a vIOMMU's page,
 * shared between the driver and the program as a memfd.
 */
#ifndef UIOMMU_CORE_IMMAP_H
#define UIOMMU_CORE_IMMAP_H

#include <stdint.h>

#include "core/file.h"

struct iommufd_ctx;
struct iommufd_object;

/*
 * Offer @length bytes of @memfd (from its start) for mmap() of @ictx's file,
 * owned by @owner: every mapping holds a users reference on @owner, so it
 * cannot be destroyed while mapped.  The offset to give to mmap() is
 * returned in @offset.  0 or -errno.  ictx->lock held.
 */
int iommufd_ctx_alloc_mmap(struct iommufd_ctx *ictx,
			   struct iommufd_object *owner, int memfd,
			   uint64_t length, uint64_t *offset);
/* Withdraw the offer at @offset (mappings made stay).  ictx->lock held. */
void iommufd_ctx_destroy_mmap(struct iommufd_ctx *ictx, uint64_t offset);
/* Every offer of @ictx (the context is going away). */
void iommufd_ctx_destroy_all_mmap(struct iommufd_ctx *ictx);

/* The iommufd file's mmap methods (struct ufile_ops). */
int iommufd_fops_mmap(struct ufile *f, uint64_t off, uint64_t len, int prot,
		      int flags, struct ufile_map *map);
void iommufd_fops_munmap(struct ufile *f, struct ufile_map *map);

#endif
