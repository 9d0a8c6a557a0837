/*
 * fault.c - fault queues (IOMMUFD_OBJ_FAULT), IOMMU_FAULT_QUEUE_ALLOC and
 * the fault file's read() and write().
 *
 * A group (struct iommufd_fault_group) is one page request group: the
 * faults one device sent with one group index, ended by a fault flagged
 * IOMMU_PGFAULT_FLAGS_LAST_PAGE.  It lives on exactly one of the queue's
 * lists: partial (last fault not yet seen), deliver (complete, unread, in
 * arrival order) or the response table (read, keyed by its cookie, waiting
 * for write()).  Cookies are the lowest free id from 1, as the kernel's.
 *
 * The file holds a users reference on the object and a reference on the
 * context's file, so neither goes while the fault fd is open: IOMMU_DESTROY
 * of a queue with an open fd is -EBUSY.  Closing the fd leaves the queued
 * groups in place; they are completed when the object is destroyed.  The
 * file is readable (poll POLLIN) exactly while deliver is not empty.
 *
 * Completing a group - the user's response, or INVALID when its HWPT is
 * detached or replaced or the queue destroyed - tells the device through
 * its driver's page_response op (the emulated DMA engine retries or
 * aborts); the mock has none.
 *
 * Partial groups are gathered in the queue the device's fault is routed to
 * at the time (the kernel gathers them per device); the test mock and the
 * DMA engine only ever send single-fault groups.
 *
 * Everything runs under ictx->lock; read() and write() take it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "util/fault_inject.h"
#include "util/sys.h"

struct iommufd_fault {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct ufile *filep;		/* NULL once its last fd is closed */
	struct list_head partial;	/* struct iommufd_fault_group */
	struct list_head deliver;	/* struct iommufd_fault_group */
	struct idtable response;	/* cookie -> struct iommufd_fault_group */
};

struct iommufd_fault_group {
	struct list_head node;		/* partial or deliver; empty when read */
	/* The attachment it came through, for auto response on detach. */
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_group *igroup;
	uint32_t attach_pasid;
	/* Who is told the answer (the driver's page_response op), or NULL. */
	struct iommu_dev *dev;
	uint32_t dev_id;
	uint32_t grpid;
	uint32_t cookie;		/* 0 until read */
	unsigned int nfaults;
	unsigned int cap;
	struct iommu_hwpt_pgfault *faults;
};

static struct iommufd_fault *to_fault(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_fault, obj);
}

static void iommufd_fault_update_readable(struct iommufd_fault *fault)
{
	if (fault->filep)
		ufile_set_readable(fault->filep, !list_empty(&fault->deliver));
}

/* Answer the device (if its driver listens) and free the group. */
static void iommufd_fault_group_respond(struct iommufd_fault_group *group,
					uint32_t code)
{
	if (group->dev && group->nfaults)
		group->dev->ops->page_response(
			group->dev, &group->faults[group->nfaults - 1], code);
	free(group->faults);
	free(group);
}

static bool iommufd_fault_group_match(struct iommufd_fault_group *group,
				      struct iommufd_hw_pagetable *hwpt,
				      struct iommufd_group *igroup,
				      uint32_t pasid)
{
	return group->hwpt == hwpt && group->igroup == igroup &&
	       group->attach_pasid == pasid;
}

static void iommufd_fault_list_respond(struct list_head *list,
				       struct iommufd_hw_pagetable *hwpt,
				       struct iommufd_group *igroup,
				       uint32_t pasid)
{
	struct iommufd_fault_group *group, *next;

	list_for_each_entry_safe(group, next, list, node) {
		if (hwpt && !iommufd_fault_group_match(group, hwpt, igroup,
						       pasid))
			continue;
		list_del(&group->node);
		iommufd_fault_group_respond(group, IOMMUFD_PAGE_RESP_INVALID);
	}
}

static void iommufd_fault_response_respond(struct iommufd_fault *fault,
					   struct iommufd_hw_pagetable *hwpt,
					   struct iommufd_group *igroup,
					   uint32_t pasid)
{
	struct iommufd_fault_group *group;
	uint32_t id = 1;

	while ((group = idtable_next(&fault->response, &id))) {
		if (!hwpt ||
		    iommufd_fault_group_match(group, hwpt, igroup, pasid)) {
			idtable_erase(&fault->response, id);
			iommufd_fault_group_respond(group,
						    IOMMUFD_PAGE_RESP_INVALID);
		}
		id++;
	}
}

void iommufd_fault_auto_response(struct iommufd_hw_pagetable *hwpt,
				 struct iommufd_group *igroup, uint32_t pasid)
{
	struct iommufd_fault *fault = to_fault(hwpt->fault);

	iommufd_fault_list_respond(&fault->partial, hwpt, igroup, pasid);
	iommufd_fault_list_respond(&fault->deliver, hwpt, igroup, pasid);
	iommufd_fault_response_respond(fault, hwpt, igroup, pasid);
	iommufd_fault_update_readable(fault);
}

static void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault = to_fault(obj);

	/* uAPI: faults nobody answered fail when their queue goes. */
	iommufd_fault_list_respond(&fault->partial, NULL, NULL, 0);
	iommufd_fault_list_respond(&fault->deliver, NULL, NULL, 0);
	iommufd_fault_response_respond(fault, NULL, NULL, 0);
	idtable_destroy(&fault->response);
}

const struct iommufd_object_ops iommufd_fault_ops = {
	.destroy = iommufd_fault_destroy,
};

static int iommufd_fault_group_add(struct iommufd_fault_group *group,
				   const struct iommu_hwpt_pgfault *fault)
{
	if (group->nfaults == group->cap) {
		unsigned int cap = group->cap ? group->cap * 2 : 1;
		struct iommu_hwpt_pgfault *faults =
			ufi_realloc(group->faults, cap * sizeof(*faults));

		if (!faults)
			return -ENOMEM;
		group->faults = faults;
		group->cap = cap;
	}
	group->faults[group->nfaults++] = *fault;
	return 0;
}

static struct iommufd_fault_group *
iommufd_fault_partial_find(struct iommufd_fault *fault, uint32_t dev_id,
			   uint32_t grpid)
{
	struct iommufd_fault_group *group;

	list_for_each_entry(group, &fault->partial, node)
		if (group->dev_id == dev_id && group->grpid == grpid)
			return group;
	return NULL;
}

int iommufd_fault_report(struct iommufd_device *idev,
			 const struct iommu_hwpt_pgfault *record)
{
	uint32_t pasid = IOMMU_NO_PASID, attach_pasid;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_fault_group *group;
	struct iommu_hwpt_pgfault rec = *record;
	struct iommufd_fault *fault;

	if (rec.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID)
		pasid = rec.pasid;
	hwpt = iommufd_device_fault_hwpt(idev, pasid, &attach_pasid);
	if (!hwpt)
		return -ENODEV;
	fault = to_fault(hwpt->fault);

	rec.dev_id = idev->obj.id;
	rec.__reserved = 0;
	rec.cookie = 0;
	/* uAPI: the kernel passes no length hint on. */
	rec.length = 0;

	group = iommufd_fault_partial_find(fault, rec.dev_id, rec.grpid);
	if (!group) {
		group = ufi_calloc(1, sizeof(*group));
		if (!group)
			return -ENOMEM;
		group->hwpt = hwpt;
		if (idev->dev->ops->page_response)
			group->dev = idev->dev;
		group->igroup = idev->igroup;
		group->attach_pasid = attach_pasid;
		group->dev_id = rec.dev_id;
		group->grpid = rec.grpid;
		list_add_tail(&group->node, &fault->partial);
	}
	if (iommufd_fault_group_add(group, &rec)) {
		/* A group that lost a fault can only be failed. */
		list_del(&group->node);
		if (!group->nfaults) {
			free(group);
			return -ENOMEM;
		}
		/* The device hears of its earlier faults' failure. */
		group->faults[group->nfaults - 1] = rec;
		iommufd_fault_group_respond(group, IOMMUFD_PAGE_RESP_INVALID);
		return 0;
	}
	if (!(rec.flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE))
		return 0;
	list_del(&group->node);
	list_add_tail(&group->node, &fault->deliver);
	iommufd_fault_update_readable(fault);
	return 0;
}

static ssize_t iommufd_fault_fops_read(struct ufile *f, void *buf,
				       size_t count)
{
	const size_t fault_size = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = f->priv;
	struct iommufd_fault_group *group;
	size_t done = 0;
	int rc = 0;

	/* uAPI: only whole records, else ESPIPE (the kernel's answer). */
	if (count % fault_size)
		return -ESPIPE;

	iommufd_ctx_lock(fault->ictx);
	while (!list_empty(&fault->deliver) && done < count) {
		size_t start = done;

		group = list_first_entry(&fault->deliver,
					 struct iommufd_fault_group, node);
		/* uAPI: a group is read whole or not at all. */
		if (group->nfaults * fault_size > count - done)
			break;
		rc = idtable_reserve(&fault->response, &group->cookie);
		if (rc)
			break;
		for (unsigned int i = 0; i < group->nfaults; i++) {
			struct iommu_hwpt_pgfault rec = group->faults[i];

			rec.cookie = group->cookie;
			if (copy_to_user(uptr_add(buf, done), &rec,
					 fault_size)) {
				rc = -EFAULT;
				break;
			}
			done += fault_size;
		}
		if (rc) {
			/* Not handed out: it stays first in line. */
			idtable_erase(&fault->response, group->cookie);
			group->cookie = 0;
			done = start;
			break;
		}
		list_del(&group->node);
		idtable_publish(&fault->response, group->cookie, group);
	}
	iommufd_fault_update_readable(fault);
	iommufd_ctx_unlock(fault->ictx);
	return done ? (ssize_t)done : rc;
}

static ssize_t iommufd_fault_fops_write(struct ufile *f, const void *buf,
					size_t count)
{
	const size_t response_size = sizeof(struct iommu_hwpt_page_response);
	struct iommufd_fault *fault = f->priv;
	struct iommu_hwpt_page_response response;
	struct iommufd_fault_group *group;
	size_t done = 0;
	int rc = 0;

	/* uAPI: only whole responses, else ESPIPE (the kernel's answer). */
	if (count % response_size)
		return -ESPIPE;

	iommufd_ctx_lock(fault->ictx);
	while (done < count) {
		if (copy_from_user(&response, uptr_add(buf, done),
				   response_size)) {
			rc = -EFAULT;
			break;
		}
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		/* uAPI: a cookie not handed out by read() (or answered). */
		group = idtable_erase(&fault->response, response.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		iommufd_fault_group_respond(group, response.code);
		done += response_size;
	}
	iommufd_ctx_unlock(fault->ictx);
	return done ? (ssize_t)done : rc;
}

static void iommufd_fault_fops_release(struct ufile *f)
{
	struct iommufd_fault *fault = f->priv;
	struct iommufd_ctx *ictx = fault->ictx;

	iommufd_ctx_lock(ictx);
	fault->filep = NULL;
	iommufd_object_put_user(&fault->obj);
	iommufd_ctx_unlock(ictx);
	free(f);
	ufile_put(ictx->file);
}

static const struct ufile_ops iommufd_fault_fops = {
	.name = "[iommufd-pgfault]",
	.pollable = true,
	.read = iommufd_fault_fops_read,
	.write = iommufd_fault_fops_write,
	.release = iommufd_fault_fops_release,
};

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	struct ufile *f;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = iommufd_object_alloc(ucmd->ictx, fault, IOMMUFD_OBJ_FAULT);
	if (IS_ERR(fault))
		return PTR_ERR(fault);
	fault->ictx = ucmd->ictx;
	INIT_LIST_HEAD(&fault->partial);
	INIT_LIST_HEAD(&fault->deliver);
	idtable_init(&fault->response, UINT32_MAX);

	f = ufi_calloc(1, sizeof(*f));
	if (!f) {
		rc = -ENOMEM;
		goto err_abort;
	}
	/* uAPI: the fault fd is O_RDWR and close-on-exec. */
	fd = ufile_install_new(f, &iommufd_fault_fops, fault,
			       O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(f);
		rc = fd;
		goto err_abort;
	}
	fault->filep = f;
	iommufd_object_get_user(&fault->obj);
	atomic_fetch_add_explicit(&ucmd->ictx->file->refs, 1,
				  memory_order_relaxed);

	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* Dropping the fd releases the file and its two holds. */
		ufile_remove_fd(fd);
		sys_close(fd);
		goto err_abort;
	}
	iommufd_object_finalize(ucmd->ictx, &fault->obj);
	return 0;

err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &fault->obj);
	return rc;
}
