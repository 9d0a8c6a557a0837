/*
 * immap.c - the iommufd's mmap offers (core/immap.h), as v6.17's
 * iommufd_ctx_alloc_mmap() and iommufd_fops_mmap().
 *
 * An offer is a range of offsets in the iommufd file, allocated per context
 * from the first page up (offset 0 is never handed out), page aligned, in
 * the lowest free gap.  A mapping must name an offer exactly: its first
 * offset and its whole length.  Each mapping holds a users reference on the
 * offer's owner object (IOMMU_DESTROY of it is EBUSY until munmap) and,
 * through core/file.c, a reference on the file (the context outlives a
 * close() of its fd while mapped).
 *
 * Invariants: offers of one context never overlap; an offer's memfd is the
 * owner's and stays open while the owner lives, which is at least as long
 * as any mapping of it.
 *
 * Locking: the offer list is guarded by immap_lock, a leaf taken under
 * ictx->lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/immap.h"
#include "core/iommufd_private.h"
#include "util/fault_inject.h"

struct iommufd_immap {
	struct iommufd_ctx *ictx;
	struct iommufd_object *owner;
	uint64_t offset;
	uint64_t length;
	int memfd;
	struct iommufd_immap *next;	/* sorted by (ictx, offset) */
};

static pthread_mutex_t immap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iommufd_immap *immaps;

int iommufd_ctx_alloc_mmap(struct iommufd_ctx *ictx,
			   struct iommufd_object *owner, int memfd,
			   uint64_t length, uint64_t *offset)
{
	uint64_t ps = sysconf(_SC_PAGESIZE), start = ps;
	struct iommufd_immap *m, **pp;

	if (!length || (length & (ps - 1)))
		return -EINVAL;
	m = ufi_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ictx = ictx;
	m->owner = owner;
	m->length = length;
	m->memfd = memfd;
	pthread_mutex_lock(&immap_lock);
	/* The lowest gap of this context's offers that fits. */
	for (pp = &immaps; *pp; pp = &(*pp)->next) {
		struct iommufd_immap *o = *pp;

		if (o->ictx != ictx)
			continue;
		if (start + length <= o->offset)
			break;
		start = o->offset + o->length;
	}
	m->offset = start;
	m->next = *pp;
	*pp = m;
	pthread_mutex_unlock(&immap_lock);
	*offset = start;
	return 0;
}

void iommufd_ctx_destroy_mmap(struct iommufd_ctx *ictx, uint64_t offset)
{
	struct iommufd_immap *m = NULL, **pp;

	pthread_mutex_lock(&immap_lock);
	for (pp = &immaps; *pp; pp = &(*pp)->next) {
		if ((*pp)->ictx == ictx && (*pp)->offset == offset) {
			m = *pp;
			*pp = m->next;
			break;
		}
	}
	pthread_mutex_unlock(&immap_lock);
	free(m);
}

void iommufd_ctx_destroy_all_mmap(struct iommufd_ctx *ictx)
{
	struct iommufd_immap *done = NULL, **pp;

	pthread_mutex_lock(&immap_lock);
	for (pp = &immaps; *pp;) {
		struct iommufd_immap *m = *pp;

		if (m->ictx != ictx) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		m->next = done;
		done = m;
	}
	pthread_mutex_unlock(&immap_lock);
	while (done) {
		struct iommufd_immap *m = done;

		done = m->next;
		free(m);
	}
}

int iommufd_fops_mmap(struct ufile *f, uint64_t off, uint64_t len, int prot,
		      int flags, struct ufile_map *map)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_ufile(f);
	struct iommufd_immap *m, *found = NULL;
	int rc = 0;

	/* uAPI: only shared mappings; never executable (EPERM). */
	if ((flags & MAP_TYPE) == MAP_PRIVATE)
		return -EINVAL;
	if (prot & PROT_EXEC)
		return -EPERM;
	iommufd_ctx_lock(ictx);
	pthread_mutex_lock(&immap_lock);
	for (m = immaps; m; m = m->next)
		if (m->ictx == ictx && off >= m->offset &&
		    off - m->offset < m->length)
			found = m;
	/* uAPI: the exact offset and length of an offer, else ENXIO. */
	if (!found || found->offset != off || found->length != len) {
		rc = -ENXIO;
	} else {
		iommufd_object_get_user(found->owner);
		map->memfd = found->memfd;
		map->memfd_off = 0;
		map->cookie = found->owner;
	}
	pthread_mutex_unlock(&immap_lock);
	iommufd_ctx_unlock(ictx);
	return rc;
}

void iommufd_fops_munmap(struct ufile *f, struct ufile_map *map)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_ufile(f);

	iommufd_ctx_lock(ictx);
	iommufd_object_put_user(map->cookie);
	iommufd_ctx_unlock(ictx);
}
