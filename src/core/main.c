/*
 * main.c - the iommufd context: open, ioctl dispatch, object lifetime,
 * IOMMU_DESTROY, IOMMU_OPTION (context part) and close.
 *
 * Dispatch follows the kernel's size rules (uAPI): the first u32 of every
 * command struct is its size as the caller knows it; a size below the
 * command's minimum is -EINVAL; bytes past what we know must be zero
 * (-E2BIG); a shorter struct is zero-extended; responses copy back at most
 * the caller's size.  Commands outside the iommufd range go to the VFIO
 * compatibility layer; unknown commands are -ENOTTY.
 *
 * Invariants: an id in the table is either reserved (invisible) or published;
 * close destroys objects leaves first, repeatedly removing those whose only
 * user is the table.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/immap.h"
#include "core/iommufd_private.h"
#include "iommufd_test.h"
#include "util/caps.h"
#include "util/fault_inject.h"

/* Smallest page size of any Linux target: a unit that faults as a whole. */
#define UIOMMU_UACCESS_PAGE 4096u

/* Object ids stay below 2^31, like the kernel's xa_limit_31b. */
#define IOMMUFD_ID_LIMIT 0x7fffffffu

__thread unsigned int iommufd_ctx_locks_held;

static const struct iommufd_object_ops *const iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_ACCESS] = &iommufd_access_ops,
	[IOMMUFD_OBJ_DEVICE] = &iommufd_device_ops,
	[IOMMUFD_OBJ_FAULT] = &iommufd_fault_ops,
	[IOMMUFD_OBJ_HW_QUEUE] = &iommufd_hw_queue_ops,
	[IOMMUFD_OBJ_HWPT_NESTED] = &iommufd_hwpt_nested_ops,
	[IOMMUFD_OBJ_HWPT_PAGING] = &iommufd_hwpt_paging_ops,
	[IOMMUFD_OBJ_IOAS] = &iommufd_ioas_ops,
	[IOMMUFD_OBJ_VDEVICE] = &iommufd_vdevice_ops,
	[IOMMUFD_OBJ_VEVENTQ] = &iommufd_veventq_ops,
	[IOMMUFD_OBJ_VIOMMU] = &iommufd_viommu_ops,
	[IOMMUFD_OBJ_SELFTEST] = &iommufd_selftest_ops,
};

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx,
					     size_t size,
					     enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	int ret;

	if (NEVER(type <= IOMMUFD_OBJ_NONE || type >= IOMMUFD_OBJ_MAX ||
		  !iommufd_object_ops[type]))
		return ERR_PTR(-EOPNOTSUPP);
	obj = ufi_calloc(1, size);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	if (FAULT_POINT("object id"))
		ret = -ENOMEM;
	else
		ret = idtable_reserve(&ictx->objects, &obj->id);
	if (ret) {
		free(obj);
		return ERR_PTR(ret);
	}
	obj->type = type;
	obj->users = 1;
	obj->ictx = ictx;
	return obj;
}

void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	idtable_publish(&ictx->objects, obj->id, obj);
}

void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	idtable_erase(&ictx->objects, obj->id);
	free(obj);
}

void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = iommufd_object_ops[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else
		ops->destroy(obj);
	iommufd_object_abort(ictx, obj);
}

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj = idtable_lookup(&ictx->objects, id);

	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type))
		return ERR_PTR(-ENOENT);
	obj->shortterm++;
	return obj;
}

void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	if (NEVER(!obj->shortterm))
		return;
	obj->shortterm--;
}

static void iommufd_object_free(struct iommufd_object *obj)
{
	iommufd_object_ops[obj->type]->destroy(obj);
	free(obj);
}

int iommufd_object_remove(struct iommufd_ctx *ictx,
			  struct iommufd_object *to_destroy, uint32_t id,
			  unsigned int flags)
{
	struct iommufd_object *obj = idtable_lookup(&ictx->objects, id);

	if (to_destroy) {
		if (NEVER(obj != to_destroy))
			return -ENOENT;
		obj->users--;
	} else if (!obj) {
		return -ENOENT;
	}
	/* uAPI: only an object nothing else points at can be destroyed. */
	if (obj->users != 1 || obj->shortterm) {
		if (to_destroy)
			obj->users++;
		return -EBUSY;
	}
	obj->users = 0;
	/* A tombstone keeps the id taken, invisible, until the context closes. */
	if (flags & REMOVE_OBJ_TOMBSTONE)
		idtable_unpublish(&ictx->objects, id);
	else
		idtable_erase(&ictx->objects, id);
	if (ictx->vfio_ioas && (void *)ictx->vfio_ioas == (void *)obj)
		ictx->vfio_ioas = NULL;
	iommufd_object_free(obj);
	return 0;
}

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, NULL, cmd->id, 0);
}

static int iommufd_option_rlimit_mode(struct iommu_option *cmd,
				      struct iommufd_ctx *ictx)
{
	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		uint32_t id = 0;

		if (!uiommu_capable(CAP_SYS_RESOURCE))
			return -EPERM;
		/* uAPI: the mode can change only while the context is empty. */
		if (idtable_next(&ictx->objects, &id))
			return -EBUSY;
		if (cmd->val64 == 0)
			ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
		else if (cmd->val64 == 1)
			ictx->account_mode = IOPT_PAGES_ACCOUNT_MM;
		else
			return -EINVAL;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option ? iommufd_ioas_option(ucmd) :
					   -EOPNOTSUPP;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	if (copy_to_user(uptr_add(ucmd->ubuffer, offsetof(struct iommu_option, val64)),
			 &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_fault_alloc fault;
	struct iommu_hw_info info;
	struct iommu_hw_queue_alloc hw_queue;
	struct iommu_hwpt_alloc hwpt;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate cache;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vdevice_alloc vdev;
	struct iommu_veventq_alloc veventq;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_viommu_alloc viommu;
	struct iommu_test_cmd test;
};

struct iommufd_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};


/* One row per command: its struct, and the last member a caller must send. */
#define IOCTL_OP(_ioctl, _fn, _struct, _last)                                  \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                               \
		.size = sizeof(_struct),                                       \
		.min_size = offsetofend(_struct, _last),                       \
		.ioctl_num = _ioctl,                                           \
		.execute = _fn,                                                \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc,
		 struct iommu_fault_alloc, out_fault_fd),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info,
		 __reserved),
	IOCTL_OP(IOMMU_HW_QUEUE_ALLOC, iommufd_hw_queue_alloc_ioctl,
		 struct iommu_hw_queue_alloc, length),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc,
		 __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate,
		 struct iommu_hwpt_invalidate, __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		 struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		 struct iommu_ioas_change_process, __reserved),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		 src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOMMU_IOAS_MAP_FILE, iommufd_ioas_map_file,
		 struct iommu_ioas_map_file, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap,
		 length),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl,
		 struct iommu_vdevice_alloc, virt_id),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, iommufd_veventq_alloc,
		 struct iommu_veventq_alloc, out_veventq_fd),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		 __reserved),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl,
		 struct iommu_viommu_alloc, out_viommu_id),
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

/*
 * Read the caller's struct into @buf with the kernel's checks, in the
 * kernel's order: unreadable size (EFAULT), wrong command encoding (ENOTTY),
 * size below the minimum (EINVAL), non-zero unknown tail (E2BIG).  The
 * common case costs one copy: everything up to the end of the struct's first
 * page is read at once, since a page is readable as a whole or not at all.
 */
static int iommufd_ucmd_fetch(struct iommufd_ucmd *ucmd,
			      const struct iommufd_ioctl_op *op,
			      union ucmd_buffer *buf)
{
	uintptr_t uaddr = (uintptr_t)ucmd->ubuffer;
	size_t in_page = UIOMMU_UACCESS_PAGE - (uaddr & (UIOMMU_UACCESS_PAGE - 1));
	size_t got = min_t(size_t, in_page, sizeof(*buf));
	size_t want;

	if (got < sizeof(ucmd->user_size))
		got = sizeof(ucmd->user_size);
	if (copy_from_user(buf, ucmd->ubuffer, got))
		return -EFAULT;
	memcpy(&ucmd->user_size, buf, sizeof(ucmd->user_size));
	if (op->ioctl_num != ucmd->cmd_num || !op->execute)
		return -ENOTTY;
	if (ucmd->cmd_num == IOMMU_TEST_CMD && !iommufd_test_enabled())
		return -ENOTTY;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	want = min_t(size_t, ucmd->user_size, op->size);
	if (want > got &&
	    copy_from_user((char *)buf + got, uptr_add(ucmd->ubuffer, got),
			   want - got))
		return -EFAULT;
	if (want < sizeof(*buf))
		memset((char *)buf + want, 0, sizeof(*buf) - want);
	if (ucmd->user_size > op->size) {
		int zero = check_zeroed_user(uptr_add(ucmd->ubuffer, op->size),
					     ucmd->user_size - op->size);

		if (zero <= 0)
			return zero ? zero : -E2BIG;
	}
	ucmd->cmd = buf;
	return 0;
}

static long iommufd_fops_ioctl(struct ufile *f, unsigned long cmd, void *arg)
{
	struct iommufd_ctx *ictx = f->priv;
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = { .ictx = ictx, .ubuffer = arg, .cmd_num = cmd };
	union ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	long ret;

	/* uAPI: only the number is range-checked; the type must then match. */
	if (nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(iommufd_ioctl_ops)) {
		if (!iommufd_vfio_ioctl)
			return -ENOTTY;
		iommufd_ctx_lock(ictx);
		ret = iommufd_vfio_ioctl(ictx, cmd, arg);
		iommufd_ctx_unlock(ictx);
		return ret;
	}
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	ret = iommufd_ucmd_fetch(&ucmd, op, &buf);
	if (ret)
		return ret;

	iommufd_ctx_lock(ictx);
	ret = op->execute(&ucmd);
	if (ucmd.new_obj) {
		if (ret)
			iommufd_object_abort_and_destroy(ictx, ucmd.new_obj);
		else
			iommufd_object_finalize(ictx, ucmd.new_obj);
	}
	iommufd_ctx_unlock(ictx);
	return ret;
}

static void iommufd_ctx_destroy_all(struct iommufd_ctx *ictx)
{
	for (;;) {
		unsigned int destroyed = 0, seen = 0;
		struct iommufd_object *obj;
		uint32_t id = 1;

		while ((obj = idtable_next(&ictx->objects, &id))) {
			seen++;
			if (obj->users == 1 && !obj->shortterm) {
				obj->users = 0;
				idtable_erase(&ictx->objects, id);
				iommufd_object_free(obj);
				destroyed++;
			}
			id++;
		}
		if (!seen || NEVER(!destroyed))
			break;
	}
}

static void iommufd_fops_release(struct ufile *f)
{
	struct iommufd_ctx *ictx = f->priv;

	iommufd_ctx_lock(ictx);
	if (iommufd_test_ctx_release)
		iommufd_test_ctx_release(ictx);
	iommufd_ctx_destroy_all(ictx);
	iommufd_ctx_destroy_all_mmap(ictx);
	iommufd_ctx_unlock(ictx);
	idtable_destroy(&ictx->objects);
	pthread_mutex_destroy(&ictx->lock);
	free(ictx);
	free(f);
}

static const struct ufile_ops iommufd_fops = {
	.name = "iommufd",
	.ioctl = iommufd_fops_ioctl,
	.mmap = iommufd_fops_mmap,
	.munmap = iommufd_fops_munmap,
	.release = iommufd_fops_release,
};

int iommufd_fops_open(const char *path, int flags)
{
	struct iommufd_ctx *ictx;
	pthread_mutexattr_t attr;
	struct ufile *f;
	int fd;

	ictx = ufi_calloc(1, sizeof(*ictx));
	f = ufi_calloc(1, sizeof(*f));
	if (!ictx || !f) {
		free(ictx);
		free(f);
		return -ENOMEM;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ictx->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	idtable_init(&ictx->objects, IOMMUFD_ID_LIMIT);
	ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	ictx->owner_pid = getpid();
	ictx->file = f;
	fd = ufile_install_new(f, &iommufd_fops, ictx, flags);
	if (fd < 0) {
		idtable_destroy(&ictx->objects);
		pthread_mutex_destroy(&ictx->lock);
		free(ictx);
		free(f);
	}
	return fd;
}

struct iommufd_ctx *iommufd_ctx_from_ufile(struct ufile *f)
{
	return f->ops == &iommufd_fops ? f->priv : NULL;
}

static int test_enabled = -1;

bool iommufd_test_enabled(void)
{
	if (test_enabled < 0) {
		const char *env = getenv("UIOMMU_TEST_MOCK");

		test_enabled = !(env && !strcmp(env, "0"));
	}
	return test_enabled;
}
