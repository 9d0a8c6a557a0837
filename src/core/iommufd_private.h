/*
 * iommufd_private.h - the object model shared by every file of src/core.
 *
 * A context (struct iommufd_ctx) is one open instance of /dev/iommu.  It owns
 * an id table of objects (IOAS, HWPT, device, access, fault queue, vIOMMU,
 * ...).  Every object starts with struct iommufd_object and is created in two
 * steps: iommufd_object_alloc() reserves an id (invisible to lookups), the
 * creator initialises it, then iommufd_object_finalize() publishes it or
 * iommufd_object_abort*() undoes it.  An ioctl handler that creates one object
 * may instead set ucmd->new_obj and let the dispatcher finalize or abort.
 *
 * Reference counts: obj->users counts graph edges (one for the id table, one
 * for each object that points at this one); IOMMU_DESTROY succeeds only when
 * the table's is the last (else -EBUSY).  obj->shortterm counts in-flight
 * users (a handler that looked the object up); destroy never frees an object
 * with shortterm users.
 *
 * Locking: ictx->lock (recursive) serialises every ioctl of the context and
 * every change to the object graph.  The DMA translation path takes no
 * context lock (see src/iommu).  Lock order: fd table lock -> ictx->lock.
 */
#ifndef UIOMMU_CORE_IOMMUFD_PRIVATE_H
#define UIOMMU_CORE_IOMMUFD_PRIVATE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iommufd.h>

#include "core/file.h"
#include "core/uaccess.h"
#include "util/compiler.h"
#include "util/err.h"
#include "util/idtable.h"

/* Pinned-page accounting modes (IOMMU_OPTION_RLIMIT_MODE). */
enum iopt_pages_account_mode {
	IOPT_PAGES_ACCOUNT_NONE = 0,
	IOPT_PAGES_ACCOUNT_USER = 1,	/* per user, RLIMIT_MEMLOCK (default) */
	IOPT_PAGES_ACCOUNT_MM = 2,	/* per process, as VFIO type1 does */
};

struct iommufd_ioas;

struct iommufd_ctx {
	pthread_mutex_t lock;		/* recursive; see the file comment */
	struct idtable objects;		/* id -> struct iommufd_object * */
	struct ufile *file;		/* the open /dev/iommu */
	enum iopt_pages_account_mode account_mode;
	struct iommufd_ioas *vfio_ioas;	/* IOMMU_VFIO_IOAS default, or NULL */
	pid_t owner_pid;		/* process that opened the context */
	void *test_state;		/* selftest (mock) bookkeeping, or NULL */
};

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VDEVICE,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_HW_QUEUE,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

struct iommufd_object {
	unsigned int users;		/* graph edges, guarded by ictx->lock */
	unsigned int shortterm;		/* in-flight lookups, ictx->lock */
	enum iommufd_object_type type;
	uint32_t id;
	struct iommufd_ctx *ictx;
};

/* Per-type operations; each object file defines its own const instance. */
struct iommufd_object_ops {
	/* Free everything the object holds (not the object itself). */
	void (*destroy)(struct iommufd_object *obj);
	/* Undo a fully initialised but unpublished object (default: destroy). */
	void (*abort)(struct iommufd_object *obj);
};

/* One ioctl in flight. */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void *ubuffer;			/* the caller's struct */
	uint32_t user_size;		/* its size as the caller gave it */
	unsigned long cmd_num;		/* the ioctl request number */
	void *cmd;			/* our zero-extended copy */
	struct iommufd_object *new_obj;	/* finalized on success, else aborted */
};

/* Copy the first @cmd_len bytes of ucmd->cmd back (bounded by user_size). */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx,
					     size_t size,
					     enum iommufd_object_type type);
#define iommufd_object_alloc(ictx, ptr, type)                                  \
	({                                                                     \
		struct iommufd_object *__o = _iommufd_object_alloc(            \
			ictx, sizeof(*(ptr)), type);                           \
		IS_ERR(__o) ? (__typeof__(ptr))__o :                           \
			      container_of(__o, __typeof__(*(ptr)), obj);      \
	})
/* As iommufd_object_alloc, and record it in ucmd->new_obj. */
#define iommufd_object_alloc_ucmd(ucmd, ptr, type)                             \
	({                                                                     \
		__typeof__(ptr) __p =                                          \
			iommufd_object_alloc((ucmd)->ictx, ptr, type);         \
		if (!IS_ERR(__p))                                              \
			(ucmd)->new_obj = &__p->obj;                           \
		__p;                                                           \
	})
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx,
			  struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);

/* Look up a published object of @type (or ANY) and take a shortterm ref. */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj);

/* Graph edges. */
static inline void iommufd_object_get_user(struct iommufd_object *obj)
{
	obj->users++;
}
static inline void iommufd_object_put_user(struct iommufd_object *obj)
{
	if (NEVER(obj->users <= 1))
		return;
	obj->users--;
}

/*
 * Remove and destroy an object by id when the table holds the only
 * reference: 0, -ENOENT, -EBUSY.  @to_destroy non-NULL: the caller holds one
 * users reference on it, dropped here.
 */
#define REMOVE_OBJ_TOMBSTONE 1u
int iommufd_object_remove(struct iommufd_ctx *ictx,
			  struct iommufd_object *to_destroy, uint32_t id,
			  unsigned int flags);

/* The context behind an open /dev/iommu file, or NULL for other files. */
struct iommufd_ctx *iommufd_ctx_from_ufile(struct ufile *f);

/* Context locks this thread holds (remote.c must not wait while > 0). */
extern __thread unsigned int iommufd_ctx_locks_held;

static inline void iommufd_ctx_lock(struct iommufd_ctx *ictx)
{
	pthread_mutex_lock(&ictx->lock);
	iommufd_ctx_locks_held++;
}
static inline void iommufd_ctx_unlock(struct iommufd_ctx *ictx)
{
	iommufd_ctx_locks_held--;
	pthread_mutex_unlock(&ictx->lock);
}

/*
 * Object ops and ioctl handlers, one set per object file.  Declared weak so
 * the core links while a part is still being written: a missing handler
 * answers -ENOTTY, a missing ops table means that type cannot be created.
 */
#define __weak_impl __attribute__((weak))

extern const struct iommufd_object_ops iommufd_ioas_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_access_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_device_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_hwpt_paging_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_hwpt_nested_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_fault_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_viommu_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_vdevice_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_veventq_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_hw_queue_ops __weak_impl;
extern const struct iommufd_object_ops iommufd_selftest_ops __weak_impl;

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd) __weak_impl;
/*
 * pages.c: a ring for this process's pin account at the owner of a context,
 * made before asking it for IOAS_CHANGE_PROCESS (remote.c): its fd and
 * whether it charges the user (*charged), or -errno without io_uring.
 */
int iopt_pin_ring_make(bool *charged);
/*
 * pages.c: @npages MM-mode pinned pages of a context served by another
 * process were moved to this one (IOAS_CHANGE_PROCESS): show them in VmLck.
 */
void iopt_mm_adopt(uint64_t npages);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_map(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_ioas_option(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd) __weak_impl;
int iommufd_test(struct iommufd_ucmd *ucmd) __weak_impl;

/* VFIO type1 container ioctls on the iommufd (vfio_compat.c). */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned long cmd,
			void *arg) __weak_impl;

/* Selftest per-context teardown (selftest.c), before objects go. */
void iommufd_test_ctx_release(struct iommufd_ctx *ictx) __weak_impl;

/* Runtime switch: IOMMU_TEST_CMD answers only when this is true. */
bool iommufd_test_enabled(void);

#endif
