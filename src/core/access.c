/*
 * access.c - IOMMUFD_OBJ_ACCESS: an in-process user of an IOAS that has no
 * domain (the kernel's emulated/mdev device path, and the selftest's access
 * objects).  It reads and writes IOAS memory with iommufd_access_rw() and
 * pins it with iommufd_access_pin_pages().
 *
 * Lifetime: iommufd_access_create() publishes the object with one extra
 * users reference held by the driver, so IOMMU_DESTROY from the program is
 * EBUSY; iommufd_access_destroy() drops it and destroys the object.  While
 * attached, the access holds a users reference on its IOAS.
 *
 * An access that pins must let go when asked: IOAS_UNMAP of an area with
 * access pins calls every attached access's ops->unmap() and retries;
 * detaching calls it for the whole IOVA space first.
 *
 * access->ioas is where new pins go (NULL while detaching); ioas_unpin is
 * where the pins already taken live.  Both under ictx->lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/iopt_internal.h"

static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *cur_ioas = access->ioas;
	int rc;

	if (cur_ioas != access->ioas_unpin)
		return -EBUSY;
	if (cur_ioas == new_ioas)
		return 0;

	/* No new pins while moving; existing ones stay on ioas_unpin. */
	access->ioas = NULL;
	if (cur_ioas)
		list_del(&access->iopt_link);
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc) {
			if (cur_ioas)
				list_add_tail(&access->iopt_link,
					      &cur_ioas->iopt.accesses);
			access->ioas = cur_ioas;
			return rc;
		}
		iommufd_object_get_user(&new_ioas->obj);
	}
	if (cur_ioas) {
		if (access->ops->unmap)
			access->ops->unmap(access->data, 0, UINT64_MAX);
		NEVER(iopt_calculate_iova_alignment(&cur_ioas->iopt));
		iommufd_object_put_user(&cur_ioas->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

static int iommufd_access_change_ioas_id(struct iommufd_access *access,
					 uint32_t id)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(access->ictx, id);
	int rc;

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iommufd_access_change_ioas(access, ioas);
	iommufd_put_object(access->ictx, &ioas->obj);
	return rc;
}

static void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	if (access->ioas)
		NEVER(iommufd_access_change_ioas(access, NULL));
}

const struct iommufd_object_ops iommufd_access_ops = {
	.destroy = iommufd_access_destroy_object,
};

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, access, IOMMUFD_OBJ_ACCESS);
	if (IS_ERR(access))
		return access;
	access->ictx = ictx;
	access->ops = ops;
	access->data = data;
	INIT_LIST_HEAD(&access->iopt_link);
	access->iova_alignment = ops->needs_pin_pages ? IOPT_PAGE_SIZE : 1;
	/* The creating driver is a user until iommufd_access_destroy(). */
	iommufd_object_get_user(&access->obj);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	NEVER(iommufd_object_remove(access->ictx, &access->obj,
				    access->obj.id, 0));
}

int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id)
{
	if (NEVER(access->ioas))
		return -EINVAL;
	return iommufd_access_change_ioas_id(access, ioas_id);
}

int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id)
{
	/* uAPI: replacing needs an IOAS to replace. */
	if (!access->ioas)
		return -ENOENT;
	return iommufd_access_change_ioas_id(access, ioas_id);
}

void iommufd_access_detach(struct iommufd_access *access)
{
	if (NEVER(!access->ioas))
		return;
	NEVER(iommufd_access_change_ioas(access, NULL));
}

void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				 uint64_t length)
{
	struct iommufd_access *access, *next;

	list_for_each_entry_safe(access, next, &iopt->accesses, iopt_link) {
		if (!access->ops->unmap)
			continue;
		/* A shortterm reference keeps it from being destroyed. */
		access->obj.shortterm++;
		access->ops->unmap(access->data, iova, length);
		access->obj.shortterm--;
	}
}

int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uintptr_t *out_pages,
			     unsigned int flags)
{
	uint64_t last_iova;

	/* Pinning needs an access made for it (page alignment, unmap op). */
	if (access->iova_alignment != IOPT_PAGE_SIZE || !access->ops->unmap)
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (check_add_overflow_u64(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	return iopt_pin_pages(&access->ioas->iopt, iova, length, out_pages,
			      flags, false);
}

void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length)
{
	/* Before attach or after detach the caller has nothing pinned. */
	if (NEVER(!access->ioas_unpin))
		return;
	iopt_unpin_pages(&access->ioas_unpin->iopt, iova, length, false);
}

int iommufd_access_rw(struct iommufd_access *access, uint64_t iova,
		      void *data, size_t len, unsigned int flags)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc;

	if (!len)
		return -EINVAL;
	if (check_add_overflow_u64(iova, len - 1, &last_iova))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	iopt_for_each_contig_area(&iter, area, &access->ioas->iopt, iova,
				  last_iova) {
		uint64_t last = min_t(uint64_t, last_iova,
				      iopt_area_last_iova(area));
		uint64_t bytes = last - iter.cur_iova + 1;

		if (area->prevent_access)
			return -EINVAL;
		/* uAPI: a write needs a writable mapping, a read a readable. */
		if (!iopt_area_check_prot(area, flags))
			return -EPERM;
		rc = iopt_pages_rw(area->pages,
				   iopt_area_start_byte(area, iter.cur_iova),
				   data, bytes, flags);
		if (rc)
			return rc;
		data = (char *)data + bytes;
	}
	/* uAPI: a hole in the range is ENOENT. */
	if (!iopt_contig_done(&iter))
		return -ENOENT;
	return 0;
}
