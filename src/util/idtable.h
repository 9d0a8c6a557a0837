/*
 * idtable.h - object ids for a context, with the kernel's xarray ALLOC1
 * behaviour: ids start at 1, the lowest free id is always taken, an id can be
 * reserved (allocated but not yet visible) before it is published.
 *
 * No locking: the owner (the iommufd context) serialises access.
 */
#ifndef UIOMMU_UTIL_IDTABLE_H
#define UIOMMU_UTIL_IDTABLE_H

#include <stdint.h>

struct idtable {
	void **slots;		/* slots[id]; NULL = free, IDTABLE_RESERVED = reserved */
	uint64_t *free_bits;	/* two-level bitmap of free ids (private) */
	uint64_t *free_sum;
	uint32_t cap;		/* slots allocated */
	uint32_t limit;		/* highest id + 1 that may be handed out */
	uint32_t used;
	uint32_t sum_hint;	/* free_sum words below this are zero (private) */
};

#define IDTABLE_RESERVED ((void *)1)

/* limit: ids handed out are 1 .. limit - 1.  Allocates nothing. */
void idtable_init(struct idtable *t, uint32_t limit);
/* Free the table's memory; the objects the ids point at are the caller's. */
void idtable_destroy(struct idtable *t);

/*
 * Reserve the lowest free id.  0 on success, -ENOMEM (table unchanged) or
 * -ENOSPC (all of 1 .. limit - 1 taken).
 */
int idtable_reserve(struct idtable *t, uint32_t *id);
/* Make a reserved id point at @ptr (non-NULL). */
void idtable_publish(struct idtable *t, uint32_t id, void *ptr);
/*
 * Turn a published id back into a reserved one (a tombstone: the id stays
 * taken but lookups miss it); returns what was published, or NULL.
 */
void *idtable_unpublish(struct idtable *t, uint32_t id);
/* Published pointer, or NULL (free, reserved or out of range). */
void *idtable_lookup(const struct idtable *t, uint32_t id);
/*
 * Free a reserved or published id; returns the published pointer, or NULL
 * when the id was only reserved or was not allocated.
 */
void *idtable_erase(struct idtable *t, uint32_t id);
/* Next published id >= *id, or 0 when none; *id updated. */
void *idtable_next(const struct idtable *t, uint32_t *id);

#endif
