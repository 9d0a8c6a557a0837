/*
 * viommu.c - vIOMMU, vdevice, vEVENTQ and HW queue objects and their
 * ioctls: IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC (and
 * the vEVENTQ file's read), IOMMU_HW_QUEUE_ALLOC; nested HWPTs made by a
 * vIOMMU and IOMMU_HWPT_INVALIDATE on a vIOMMU; the driver-facing helpers
 * (find a vdevice, report an event).
 *
 * vEVENTQ records: each event is a struct iommufd_vevent on the queue's
 * deliver list, counted in num_events (at most depth).  The lost-events
 * record is embedded in the queue; it is on the list exactly when it is the
 * list's last entry, carrying the sequence number of the latest event that
 * was dropped.  A new event takes it off the tail (the gap in sequence
 * numbers still tells the reader what was lost).  read() hands out whole
 * records only: a header, then the event's data.
 *
 * See viommu.h for the objects and their references.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/viommu.h"
#include "util/fault_inject.h"
#include "util/sys.h"

struct iommufd_vevent {
	struct list_head node;		/* in veventq->deliver */
	struct iommufd_vevent_header header;
	uint32_t data_len;		/* 0 for the lost-events record */
	uint8_t data[];
};

struct iommufd_veventq {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_viommu *viommu;	/* users ref */
	struct ufile *filep;		/* NULL once its last fd is closed */
	struct list_head node;		/* in viommu->veventqs */
	struct list_head deliver;	/* struct iommufd_vevent */
	uint32_t type;
	uint32_t depth;
	uint32_t num_events;		/* on deliver, lost record excluded */
	uint32_t sequence;		/* the next event's */
	struct iommufd_vevent lost;	/* last member: no data */
};

static struct iommufd_viommu *to_viommu(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_viommu, obj);
}

static struct iommufd_viommu *iommufd_get_viommu(struct iommufd_ucmd *ucmd,
						 uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_VIOMMU);
	if (IS_ERR(obj))
		return (struct iommufd_viommu *)obj;
	return to_viommu(obj);
}

/* ---- vIOMMU ------------------------------------------------------------ */

static void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = to_viommu(obj);

	NEVER(!list_empty(&viommu->vdevs) || !list_empty(&viommu->veventqs));
	if (viommu->ops && viommu->ops->destroy)
		viommu->ops->destroy(viommu);
	iommufd_object_put_user(&viommu->hwpt->common.obj);
}

/* Undo a vIOMMU whose driver init failed or never ran. */
static void iommufd_viommu_abort(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = to_viommu(obj);

	if (viommu->hwpt)
		iommufd_object_put_user(&viommu->hwpt->common.obj);
}

const struct iommufd_object_ops iommufd_viommu_ops = {
	.destroy = iommufd_viommu_destroy,
	.abort = iommufd_viommu_abort,
};

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->type,
		.uptr = (const void *)(uintptr_t)cmd->data_uptr,
		.len = cmd->data_len,
	};
	const struct iommu_viommu_driver *ops;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* uAPI: a driver without vIOMMUs, or of another type, EOPNOTSUPP. */
	ops = idev->dev->ops->viommu_driver;
	if (!ops || !ops->supports(cmd->type) ||
	    (ops->dev_supports && !ops->dev_supports(idev->dev, cmd->type))) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}

	obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
				 IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_idev;
	}
	hwpt_paging = container_of(obj, struct iommufd_hwpt_paging, common.obj);
	/* uAPI: a vIOMMU sits on a nesting parent of the same driver. */
	if (!hwpt_paging->nest_parent ||
	    hwpt_paging->common.driver != idev->dev->ops) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}

	viommu = iommufd_object_alloc_ucmd(ucmd, viommu, IOMMUFD_OBJ_VIOMMU);
	if (IS_ERR(viommu)) {
		rc = PTR_ERR(viommu);
		goto out_put_hwpt;
	}
	viommu->ictx = ucmd->ictx;
	viommu->type = cmd->type;
	viommu->iommu = idev->dev->ops;
	viommu->dev = idev->dev;
	INIT_LIST_HEAD(&viommu->vdevs);
	INIT_LIST_HEAD(&viommu->veventqs);
	viommu->hwpt = hwpt_paging;
	iommufd_object_get_user(&hwpt_paging->common.obj);

	rc = ops->init(viommu, hwpt_paging->common.domain,
		       user_data.len ? &user_data : NULL);
	viommu->dev = NULL;
	if (rc)
		goto out_put_hwpt;
	viommu->ops = ops;

	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* The dispatcher aborts: run the driver's undo first. */
		ops->destroy(viommu);
		viommu->ops = NULL;
	}

out_put_hwpt:
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* ---- vdevice ----------------------------------------------------------- */

static void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);

	list_del(&vdev->item);
	vdev->idev->vdev = NULL;
	iommufd_object_put_user(&vdev->viommu->obj);
}

const struct iommufd_object_ops iommufd_vdevice_ops = {
	.destroy = iommufd_vdevice_destroy,
};

static struct iommufd_vdevice *
iommufd_viommu_find_vdev(struct iommufd_viommu *viommu, uint64_t virt_id)
{
	struct iommufd_vdevice *vdev;

	list_for_each_entry(vdev, &viommu->vdevs, item)
		if (vdev->virt_id == virt_id)
			return vdev;
	return NULL;
}

struct iommu_dev *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
					  uint64_t virt_id)
{
	struct iommufd_vdevice *vdev = iommufd_viommu_find_vdev(viommu, virt_id);

	return vdev ? vdev->idev->dev : NULL;
}

int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct iommu_dev *dev, uint64_t *virt_id)
{
	struct iommufd_vdevice *vdev;

	list_for_each_entry(vdev, &viommu->vdevs, item) {
		if (vdev->idev->dev == dev) {
			*virt_id = vdev->virt_id;
			return 0;
		}
	}
	return -ENOENT;
}

int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	struct iommufd_vdevice *vdev;
	struct iommufd_device *idev;
	int rc;

	/* uAPI: virt_id indexes an unsigned long table. */
	if (cmd->virt_id > ULONG_MAX)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put_viommu;
	}
	/* uAPI: only a device behind the vIOMMU's own IOMMU. */
	if (viommu->iommu != idev->dev->ops ||
	    (viommu->ops->vdevice_ok &&
	     !viommu->ops->vdevice_ok(viommu, idev->dev))) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	/* uAPI: one vdevice per device, one device per virt_id. */
	if (idev->vdev || iommufd_viommu_find_vdev(viommu, cmd->virt_id)) {
		rc = -EEXIST;
		goto out_put_idev;
	}

	vdev = iommufd_object_alloc_ucmd(ucmd, vdev, IOMMUFD_OBJ_VDEVICE);
	if (IS_ERR(vdev)) {
		rc = PTR_ERR(vdev);
		goto out_put_idev;
	}
	vdev->viommu = viommu;
	iommufd_object_get_user(&viommu->obj);
	vdev->idev = idev;
	vdev->virt_id = cmd->virt_id;
	list_add_tail(&vdev->item, &viommu->vdevs);
	idev->vdev = vdev;

	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));

out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

void iommufd_vdevice_tombstone(struct iommufd_device *idev)
{
	struct iommufd_vdevice *vdev = idev->vdev;

	if (!vdev)
		return;
	/* uAPI: the vdevice goes with its device; its id stays taken. */
	NEVER(iommufd_object_remove(idev->ictx, NULL, vdev->obj.id,
				    REMOVE_OBJ_TOMBSTONE));
}

/* ---- nested HWPTs and invalidation through a vIOMMU ------------------- */

struct iommufd_hwpt_nested *
iommufd_viommu_alloc_hwpt_nested(struct iommufd_viommu *viommu,
				 uint32_t flags,
				 const struct iommu_user_data *user_data)
{
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommufd_hw_pagetable *hwpt;
	struct iommu_domain *domain;
	struct iommufd_object *obj;
	int rc;

	if (flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	/* uAPI: a vIOMMU's nested HWPT always carries driver data. */
	if (!user_data->len || !viommu->ops->alloc_domain_nested)
		return ERR_PTR(-EOPNOTSUPP);

	obj = _iommufd_object_alloc(viommu->ictx, sizeof(*hwpt_nested),
				    IOMMUFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj))
		return (struct iommufd_hwpt_nested *)obj;
	hwpt_nested = container_of(obj, struct iommufd_hwpt_nested, common.obj);
	hwpt = &hwpt_nested->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	hwpt->driver = viommu->iommu;
	hwpt_nested->parent = viommu->hwpt;
	iommufd_object_get_user(&viommu->hwpt->common.obj);
	hwpt_nested->viommu = &viommu->obj;
	iommufd_object_get_user(&viommu->obj);

	domain = viommu->ops->alloc_domain_nested(
		viommu, flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt->domain = domain;
	if (NEVER(domain->type != IOMMU_DOMAIN_NESTED)) {
		rc = -EOPNOTSUPP;
		goto err_abort;
	}
	return hwpt_nested;

err_abort:
	iommufd_object_abort_and_destroy(viommu->ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

int iommufd_viommu_cache_invalidate(struct iommufd_object *obj,
				    struct iommu_user_data_array *array)
{
	struct iommufd_viommu *viommu = to_viommu(obj);

	if (!viommu->ops->cache_invalidate) {
		array->entry_num = 0;
		return -EOPNOTSUPP;
	}
	return viommu->ops->cache_invalidate(viommu, array);
}

/* ---- vEVENTQ ----------------------------------------------------------- */

static struct iommufd_veventq *to_veventq(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_veventq, obj);
}

static bool iommufd_veventq_lost_queued(struct iommufd_veventq *veventq)
{
	return !list_empty(&veventq->deliver) &&
	       veventq->deliver.prev == &veventq->lost.node;
}

static void iommufd_veventq_update_readable(struct iommufd_veventq *veventq)
{
	if (veventq->filep)
		ufile_set_readable(veventq->filep,
				   !list_empty(&veventq->deliver));
}

static void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq = to_veventq(obj);
	struct iommufd_vevent *cur, *next;

	list_for_each_entry_safe(cur, next, &veventq->deliver, node) {
		list_del(&cur->node);
		if (cur != &veventq->lost)
			free(cur);
	}
	list_del(&veventq->node);
	iommufd_object_put_user(&veventq->viommu->obj);
}

const struct iommufd_object_ops iommufd_veventq_ops = {
	.destroy = iommufd_veventq_destroy,
};

static struct iommufd_veventq *
iommufd_viommu_find_veventq(struct iommufd_viommu *viommu, uint32_t type)
{
	struct iommufd_veventq *veventq;

	list_for_each_entry(veventq, &viommu->veventqs, node)
		if (veventq->type == type)
			return veventq;
	return NULL;
}

/* Append @vevent (possibly the lost record) and number it. */
static void iommufd_veventq_add(struct iommufd_veventq *veventq,
				struct iommufd_vevent *vevent)
{
	if (iommufd_veventq_lost_queued(veventq))
		list_del(&veventq->lost.node);
	list_add_tail(&vevent->node, &veventq->deliver);
	vevent->header.sequence = veventq->sequence;
	/* uAPI: sequence numbers run 0..INT_MAX, then wrap to 0. */
	veventq->sequence = (veventq->sequence + 1) & INT_MAX;
	iommufd_veventq_update_readable(veventq);
}

int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type,
				const void *data, size_t len)
{
	struct iommufd_veventq *veventq;
	struct iommufd_vevent *vevent;

	if (NEVER(!len || !data))
		return -EINVAL;
	veventq = iommufd_viommu_find_veventq(viommu, type);
	if (!veventq)
		return -EOPNOTSUPP;
	if (veventq->num_events == veventq->depth) {
		iommufd_veventq_add(veventq, &veventq->lost);
		return 0;
	}
	vevent = ufi_calloc(1, sizeof(*vevent) + len);
	if (!vevent) {
		iommufd_veventq_add(veventq, &veventq->lost);
		return -ENOMEM;
	}
	memcpy(vevent->data, data, len);
	vevent->data_len = len;
	veventq->num_events++;
	iommufd_veventq_add(veventq, vevent);
	return 0;
}

static ssize_t iommufd_veventq_fops_read(struct ufile *f, void *buf,
					 size_t count)
{
	const size_t hdr_size = sizeof(struct iommufd_vevent_header);
	struct iommufd_veventq *veventq = f->priv;
	struct iommufd_vevent *cur;
	size_t done = 0;
	int rc = 0;

	iommufd_ctx_lock(veventq->ictx);
	while (!list_empty(&veventq->deliver)) {
		cur = list_first_entry(&veventq->deliver, struct iommufd_vevent,
				       node);
		/* uAPI: whole records only; what does not fit stays queued. */
		if (hdr_size + cur->data_len > count - done)
			break;
		if (copy_to_user(uptr_add(buf, done), &cur->header, hdr_size) ||
		    (cur->data_len &&
		     copy_to_user(uptr_add(buf, done + hdr_size), cur->data,
				  cur->data_len))) {
			rc = -EFAULT;
			break;
		}
		done += hdr_size + cur->data_len;
		list_del(&cur->node);
		if (cur != &veventq->lost) {
			veventq->num_events--;
			free(cur);
		}
	}
	iommufd_veventq_update_readable(veventq);
	iommufd_ctx_unlock(veventq->ictx);
	return done ? (ssize_t)done : rc;
}

static void iommufd_veventq_fops_release(struct ufile *f)
{
	struct iommufd_veventq *veventq = f->priv;
	struct iommufd_ctx *ictx = veventq->ictx;

	iommufd_ctx_lock(ictx);
	veventq->filep = NULL;
	iommufd_object_put_user(&veventq->obj);
	iommufd_ctx_unlock(ictx);
	free(f);
	ufile_put(ictx->file);
}

static const struct ufile_ops iommufd_veventq_fops = {
	.name = "[iommufd-viommu-event]",
	.pollable = true,
	.read = iommufd_veventq_fops_read,
	.release = iommufd_veventq_fops_release,
};

int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_veventq *veventq;
	struct iommufd_viommu *viommu;
	struct ufile *f;
	int fd, rc;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	/* uAPI: one queue per type per vIOMMU. */
	if (iommufd_viommu_find_veventq(viommu, cmd->type)) {
		rc = -EEXIST;
		goto out_put_viommu;
	}

	veventq = iommufd_object_alloc(ucmd->ictx, veventq,
				       IOMMUFD_OBJ_VEVENTQ);
	if (IS_ERR(veventq)) {
		rc = PTR_ERR(veventq);
		goto out_put_viommu;
	}
	veventq->ictx = ucmd->ictx;
	veventq->type = cmd->type;
	veventq->depth = cmd->veventq_depth;
	veventq->viommu = viommu;
	iommufd_object_get_user(&viommu->obj);
	INIT_LIST_HEAD(&veventq->deliver);
	list_add_tail(&veventq->node, &viommu->veventqs);
	veventq->lost.header.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;

	f = ufi_calloc(1, sizeof(*f));
	if (!f) {
		rc = -ENOMEM;
		goto err_abort;
	}
	/* uAPI: the vEVENTQ fd is O_RDWR and close-on-exec. */
	fd = ufile_install_new(f, &iommufd_veventq_fops, veventq,
			       O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(f);
		rc = fd;
		goto err_abort;
	}
	veventq->filep = f;
	iommufd_object_get_user(&veventq->obj);
	atomic_fetch_add_explicit(&ucmd->ictx->file->refs, 1,
				  memory_order_relaxed);

	cmd->out_veventq_id = veventq->obj.id;
	cmd->out_veventq_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* Dropping the fd releases the file and its two holds. */
		ufile_remove_fd(fd);
		sys_close(fd);
		goto err_abort;
	}
	iommufd_object_finalize(ucmd->ictx, &veventq->obj);
	goto out_put_viommu;

err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &veventq->obj);
out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

/* ---- HW queue ---------------------------------------------------------- */

static size_t viommu_host_page(void)
{
	static size_t page;

	if (!page)
		page = sysconf(_SC_PAGESIZE);
	return page;
}

static void iommufd_hw_queue_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_queue *hw_queue =
		container_of(obj, struct iommufd_hw_queue, obj);
	struct iommufd_viommu *viommu = hw_queue->viommu;

	if (!viommu)
		return;
	if (hw_queue->started)
		viommu->ops->hw_queue_destroy(hw_queue);
	if (hw_queue->pin_length)
		iopt_unpin_pages(&viommu->hwpt->ioas->iopt, hw_queue->pin_iova,
				 hw_queue->pin_length, true);
	iommufd_object_put_user(&viommu->obj);
}

const struct iommufd_object_ops iommufd_hw_queue_ops = {
	.destroy = iommufd_hw_queue_destroy,
};

/*
 * Pin the guest queue's pages, locked against unmap, and find its
 * "physical" base: the pages must be contiguous, as hardware reads them
 * by physical address.
 */
static int iommufd_hw_queue_pin(struct iommufd_hw_queue *hw_queue,
				uintptr_t *base_pa)
{
	struct io_pagetable *iopt = &hw_queue->viommu->hwpt->ioas->iopt;
	size_t page = viommu_host_page();
	uint64_t iova = hw_queue->base_addr & ~(uint64_t)(page - 1);
	uint64_t offset = hw_queue->base_addr - iova;
	uint64_t length;
	uintptr_t *pages;
	size_t npages;
	int rc;

	if (__builtin_add_overflow(offset, hw_queue->length, &length) ||
	    __builtin_add_overflow(length, page - 1, &length))
		return -ERANGE;
	npages = length / page;
	length = npages * page;
	pages = ufi_calloc(npages, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	rc = iopt_pin_pages(iopt, iova, length, pages, 0, true);
	if (rc)
		goto out_free;
	for (size_t i = 1; i < npages; i++) {
		if (pages[i] != pages[i - 1] + page) {
			iopt_unpin_pages(iopt, iova, length, true);
			rc = -EFAULT;
			goto out_free;
		}
	}
	hw_queue->pin_iova = iova;
	hw_queue->pin_length = length;
	*base_pa = pages[0] + offset;
out_free:
	free(pages);
	return rc;
}

int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	struct iommufd_hw_queue *hw_queue;
	struct iommufd_viommu *viommu;
	uintptr_t base_pa;
	uint64_t last;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
				   &last))
		return -EOVERFLOW;

	viommu = iommufd_get_viommu(ucmd, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	if (!viommu->ops->hw_queue_supports ||
	    !viommu->ops->hw_queue_supports(cmd->type)) {
		rc = -EOPNOTSUPP;
		goto out_put_viommu;
	}

	hw_queue = iommufd_object_alloc_ucmd(ucmd, hw_queue,
					     IOMMUFD_OBJ_HW_QUEUE);
	if (IS_ERR(hw_queue)) {
		rc = PTR_ERR(hw_queue);
		goto out_put_viommu;
	}
	hw_queue->viommu = viommu;
	iommufd_object_get_user(&viommu->obj);
	hw_queue->type = cmd->type;
	hw_queue->base_addr = cmd->nesting_parent_iova;
	hw_queue->length = cmd->length;

	rc = iommufd_hw_queue_pin(hw_queue, &base_pa);
	if (rc)
		goto out_put_viommu;
	rc = viommu->ops->hw_queue_init(hw_queue, cmd->index, base_pa);
	if (rc)
		goto out_put_viommu;
	hw_queue->started = true;

	cmd->out_hw_queue_id = hw_queue->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));

out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}
