/*
 * selftest.c - IOMMU_TEST_CMD: the kernel's test-mock ioctl, its selftest
 * objects (IOMMUFD_OBJ_SELFTEST, the "stdev" holding a bound mock device)
 * and its access objects.
 *
 * A mock domain op creates a selftest object, a mock device, binds it
 * (an IOMMUFD_OBJ_DEVICE) and attaches it; destroying the selftest object
 * (IOMMU_DESTROY on out_stdev_id, or closing the context) undoes all three.
 * The device object itself stays busy while the selftest object lives.
 *
 * An access op creates an access object inside the context and hands out a
 * real fd for it (an emulated file); the ops name the access by that fd.
 * The file holds the context's file, as the kernel's access holds the
 * context, so the context outlives it; releasing the file destroys the
 * access.  Pages pinned through ACCESS_PAGES are items of the access, each
 * with an id; the access's unmap callback unpins and forgets every item an
 * IOAS unmap touches.
 *
 * The other ops read or poke the mock: MD_CHECK_MAP and MD_CHECK_REFS read
 * back domain entries and pin counts, DEV_CHECK_CACHE a mock device's
 * cache entries, MD_CHECK_IOTLB a nested mock domain's IOTLB entries,
 * TRIGGER_IOPF reports a page fault of a bound device, TRIGGER_VEVENT a
 * vIOMMU event, the PASID ops attach, replace, detach and check the
 * device's PASIDs, DIRTY marks mock pages dirty,
 * ADD_RESERVED reserves IOVA in an IOAS, SET_TEMP_MEMORY_LIMIT bounds the
 * pages code's temporary buffers.
 *
 * Every op runs under the context lock; an access fd of another context is
 * served under that context's lock as well.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/device.h"
#include "core/fault.h"
#include "core/hw_pagetable.h"
#include "core/io_pagetable.h"
#include "core/selftest.h"
#include "core/viommu.h"
#include "util/fault_inject.h"
#include "util/sys.h"

size_t iommufd_test_memory_limit = 65536;

/* Bigger access ops are refused before any allocation (the kernel's). */
#define SELFTEST_ACCESS_MAX (16u * 1024 * 1024)

enum selftest_obj_type {
	TYPE_IDEV,
};

struct selftest_obj {
	struct iommufd_object obj;
	enum selftest_obj_type type;
	union {
		struct {
			struct iommufd_device *idev;
			struct mock_dev *mock_dev;
		} idev;
	};
};

static struct selftest_obj *to_selftest_obj(struct iommufd_object *obj)
{
	return container_of(obj, struct selftest_obj, obj);
}

static size_t host_page_size(void)
{
	return mock_io_page_size() * 2;
}

static void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = to_selftest_obj(obj);

	switch (sobj->type) {
	case TYPE_IDEV:
		iommufd_device_detach_pasids(sobj->idev.idev);
		iommufd_device_detach(sobj->idev.idev, IOMMU_NO_PASID);
		iommufd_device_unbind(sobj->idev.idev);
		mock_dev_destroy(sobj->idev.mock_dev);
		break;
	}
}

const struct iommufd_object_ops iommufd_selftest_ops = {
	.destroy = iommufd_selftest_destroy,
};

static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct selftest_obj *sobj;
	uint32_t pt_id = cmd->id;
	uint32_t dev_flags = 0;
	uint32_t idev_id;
	int rc;

	sobj = iommufd_object_alloc(ucmd->ictx, sobj, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	sobj->type = TYPE_IDEV;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	sobj->idev.mock_dev = mock_dev_create(dev_flags);
	if (IS_ERR(sobj->idev.mock_dev)) {
		rc = PTR_ERR(sobj->idev.mock_dev);
		goto err_sobj;
	}

	idev = iommufd_device_bind(ucmd->ictx, &sobj->idev.mock_dev->dev,
				   &idev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_mdev;
	}
	sobj->idev.idev = idev;

	rc = iommufd_device_attach(idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto err_unbind;

	/* uAPI: the device goes away by destroying out_stdev_id. */
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_detach;
	iommufd_object_finalize(ucmd->ictx, &sobj->obj);
	return 0;

err_detach:
	iommufd_device_detach(idev, IOMMU_NO_PASID);
err_unbind:
	iommufd_device_unbind(idev);
err_mdev:
	mock_dev_destroy(sobj->idev.mock_dev);
err_sobj:
	iommufd_object_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

static struct selftest_obj *iommufd_test_get_selftest_obj(
	struct iommufd_ctx *ictx, uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return (struct selftest_obj *)obj;
	if (to_selftest_obj(obj)->type != TYPE_IDEV) {
		iommufd_put_object(ictx, obj);
		return ERR_PTR(-EINVAL);
	}
	return to_selftest_obj(obj);
}

static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    struct iommu_test_cmd *cmd)
{
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	struct selftest_obj *sobj;
	int rc;

	sobj = iommufd_test_get_selftest_obj(ucmd->ictx, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	rc = iommufd_device_replace(sobj->idev.idev, IOMMU_NO_PASID, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd,
				     uint32_t ioas_id, uint64_t start,
				     uint64_t length)
{
	struct iommufd_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * The kernel's get_user_pages() on one page of the caller: -EFAULT unless
 * the page is mapped readable.
 */
static int iommufd_test_probe_user(uintptr_t uptr)
{
	return probe_user((const void *)uptr);
}

static int iommufd_test_md_check_pa(struct iommufd_ucmd *ucmd,
				    uint32_t mockpt_id, uint64_t iova,
				    uint64_t length, uintptr_t uptr)
{
	size_t page = mock_io_page_size();
	struct iommufd_object *obj;
	struct iommu_domain *domain;
	uintptr_t end;
	int rc = 0;

	if (iova % page || length % page || uptr % page ||
	    __builtin_add_overflow(uptr, (uintptr_t)length, &end))
		return -EINVAL;

	obj = iommufd_get_object(ucmd->ictx, mockpt_id,
				 IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	if (!mock_domain_is_paging(domain)) {
		rc = -EINVAL;
		goto out_put;
	}

	for (; length; length -= page, iova += page, uptr += page) {
		uintptr_t phys;

		rc = iommufd_test_probe_user(uptr);
		if (rc)
			break;
		phys = domain->ops->iova_to_phys(domain, iova);
		if (!phys || phys != iopt_user_va_to_phys(uptr)) {
			rc = -EINVAL;
			break;
		}
	}
out_put:
	iommufd_put_object(ucmd->ictx, obj);
	return rc;
}

static int iommufd_test_md_check_refs(uintptr_t uptr, uint64_t length,
				      unsigned int refs)
{
	size_t page = host_page_size();
	uintptr_t end;
	int rc;

	if (length % page || uptr % page ||
	    __builtin_add_overflow(uptr, (uintptr_t)length, &end))
		return -EINVAL;

	for (; length; length -= page, uptr += page) {
		rc = iommufd_test_probe_user(uptr);
		if (rc)
			return rc;
		if (iopt_pin_refs(iopt_user_va_to_phys(uptr)) != refs)
			return -EIO;
	}
	return 0;
}

static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd,
				       uint32_t mockpt_id, uint32_t iotlb_id,
				       uint32_t iotlb)
{
	struct iommufd_object *obj;
	struct iommu_domain *domain;
	int rc = 0;

	obj = iommufd_get_object(ucmd->ictx, mockpt_id,
				 IOMMUFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	if (!mock_domain_is_nested(domain) ||
	    iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    mock_nested_iotlb(domain, iotlb_id) != iotlb)
		rc = -EINVAL;
	iommufd_put_object(ucmd->ictx, obj);
	return rc;
}

/*
 * One single-fault page request from a bound device, as the mock's
 * hardware would send it: uAPI: the op succeeds whether or not a fault
 * queue takes it.
 */
static int iommufd_test_trigger_iopf(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommu_hwpt_pgfault fault = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.addr = cmd->trigger_iopf.addr,
	};
	struct iommufd_device *idev;

	idev = iommufd_get_device(ucmd, cmd->trigger_iopf.dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	if (fault.pasid != IOMMU_NO_PASID)
		fault.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	(void)iommufd_fault_report(idev, &fault);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return 0;
}

static int iommufd_test_dev_check_cache(struct iommufd_ucmd *ucmd,
					uint32_t idev_id, uint32_t cache_id,
					uint32_t cache)
{
	struct iommufd_device *idev;
	struct mock_dev *mdev;
	int rc = 0;

	idev = iommufd_get_device(ucmd, idev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mdev = mock_dev_from_dev(idev->dev);
	if (!mdev || cache_id > MOCK_DEV_CACHE_ID_MAX ||
	    mdev->cache[cache_id] != cache)
		rc = -EINVAL;
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * One vIOMMU event from a bound mock device: its virt_id, to the vEVENTQ
 * of the vIOMMU its RID's nested domain came from.  uAPI: ENOENT when the
 * device has no such vIOMMU (or a virt_id of 0), EOPNOTSUPP without a
 * queue of the selftest type.
 */
static int iommufd_test_trigger_vevent(struct iommufd_ucmd *ucmd,
				       struct iommu_test_cmd *cmd)
{
	struct iommu_viommu_event_selftest event = {};
	struct iommufd_device *idev;
	struct mock_dev *mdev;
	int rc = -ENOENT;

	idev = iommufd_get_device(ucmd, cmd->trigger_vevent.dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mdev = mock_dev_from_dev(idev->dev);
	if (mdev && mdev->viommu && mdev->vdev_id) {
		event.virt_id = mdev->vdev_id;
		rc = iommufd_viommu_report_event(mdev->viommu,
						 IOMMU_VEVENTQ_TYPE_SELFTEST,
						 &event, sizeof(event));
	}
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

static int iommufd_test_pasid_attach(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;
	int rc;

	sobj = iommufd_test_get_selftest_obj(ucmd->ictx, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	rc = iommufd_device_attach(sobj->idev.idev, cmd->pasid_attach.pasid,
				   &cmd->pasid_attach.pt_id);
	if (!rc) {
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			iommufd_device_detach(sobj->idev.idev,
					      cmd->pasid_attach.pasid);
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

static int iommufd_test_pasid_replace(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;
	int rc;

	sobj = iommufd_test_get_selftest_obj(ucmd->ictx, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	rc = iommufd_device_replace(sobj->idev.idev, cmd->pasid_replace.pasid,
				    &cmd->pasid_replace.pt_id);
	if (!rc)
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/* uAPI: detaching an unattached PASID succeeds. */
static int iommufd_test_pasid_detach(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;

	sobj = iommufd_test_get_selftest_obj(ucmd->ictx, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	iommufd_device_detach(sobj->idev.idev, cmd->pasid_detach.pasid);
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return 0;
}

/*
 * Is @pasid of the device attached to hwpt_id (0: to nothing)?  uAPI: 0
 * when it is, EINVAL when not; ENOENT for a missing hwpt_id, EINVAL for an
 * object that is no HWPT.
 */
static int iommufd_test_pasid_check_hwpt(struct iommufd_ucmd *ucmd,
					 struct iommu_test_cmd *cmd)
{
	struct iommufd_hw_pagetable *attached;
	struct iommufd_object *obj;
	struct selftest_obj *sobj;
	int rc = 0;

	sobj = iommufd_test_get_selftest_obj(ucmd->ictx, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	attached = iommufd_device_attached_hwpt(sobj->idev.idev,
						cmd->pasid_check.pasid);
	if (!cmd->pasid_check.hwpt_id) {
		if (attached)
			rc = -EINVAL;
		goto out_put;
	}
	obj = iommufd_get_object(ucmd->ictx, cmd->pasid_check.hwpt_id,
				 IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put;
	}
	if ((obj->type != IOMMUFD_OBJ_HWPT_PAGING &&
	     obj->type != IOMMUFD_OBJ_HWPT_NESTED) ||
	    !attached ||
	    attached->domain !=
		    container_of(obj, struct iommufd_hw_pagetable, obj)->domain)
		rc = -EINVAL;
	iommufd_put_object(ucmd->ictx, obj);
out_put:
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

struct selftest_access {
	struct ufile file;		/* first: the file is the access */
	struct iommufd_ctx *ictx;
	struct iommufd_access *access;
	bool needs_pin_pages;
	uint32_t ioas_id;		/* for MOCK_FLAGS_ACCESS_SYZ */
	struct list_head items;		/* struct selftest_access_item */
	unsigned int next_id;
};

struct selftest_access_item {
	struct list_head items_elm;
	uint64_t iova;
	uint64_t length;
	unsigned int id;
};

static const struct ufile_ops iommufd_test_staccess_fops;

/*
 * The access behind fd @fd, its context locked: ERR_PTR(-EBADFD) when @fd
 * is not an access fd.  Undo with selftest_access_put().
 */
static struct selftest_access *selftest_access_get(int fd)
{
	struct ufile *f = ufile_get(fd);
	struct selftest_access *staccess;

	/* uAPI: EBADFD, not EBADF, for a missing or foreign fd. */
	if (!f)
		return ERR_PTR(-EBADFD);
	if (f->ops != &iommufd_test_staccess_fops) {
		ufile_put(f);
		return ERR_PTR(-EBADFD);
	}
	staccess = container_of(f, struct selftest_access, file);
	iommufd_ctx_lock(staccess->ictx);
	return staccess;
}

static void selftest_access_put(struct selftest_access *staccess)
{
	iommufd_ctx_unlock(staccess->ictx);
	ufile_put(&staccess->file);
}

static void iommufd_test_access_unmap(void *data, uint64_t iova,
				      uint64_t length)
{
	uint64_t iova_last = iova + length - 1;
	struct selftest_access *staccess = data;
	struct selftest_access_item *item, *tmp;

	list_for_each_entry_safe(item, tmp, &staccess->items, items_elm) {
		if (iova > item->iova + item->length - 1 ||
		    iova_last < item->iova)
			continue;
		list_del(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		free(item);
	}
}

static const struct iommufd_access_ops selftest_access_ops_pin = {
	.needs_pin_pages = true,
	.unmap = iommufd_test_access_unmap,
};

static const struct iommufd_access_ops selftest_access_ops = {
	.unmap = iommufd_test_access_unmap,
};

static void iommufd_test_staccess_release(struct ufile *f)
{
	struct selftest_access *staccess =
		container_of(f, struct selftest_access, file);
	struct iommufd_ctx *ictx = staccess->ictx;

	iommufd_ctx_lock(ictx);
	iommufd_test_access_unmap(staccess, 0, UINT64_MAX);
	iommufd_access_destroy(staccess->access);
	iommufd_ctx_unlock(ictx);
	free(staccess);
	ufile_put(ictx->file);
}

static const struct ufile_ops iommufd_test_staccess_fops = {
	.name = "[iommufd_test_staccess]",
	.release = iommufd_test_staccess_release,
};

static int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
				      uint32_t ioas_id, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	uint32_t id;
	int fd, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	staccess = ufi_calloc(1, sizeof(*staccess));
	if (!staccess)
		return -ENOMEM;
	INIT_LIST_HEAD(&staccess->items);
	staccess->ictx = ucmd->ictx;
	staccess->needs_pin_pages =
		flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	staccess->ioas_id = ioas_id;

	access = iommufd_access_create(ucmd->ictx,
				       staccess->needs_pin_pages ?
					       &selftest_access_ops_pin :
					       &selftest_access_ops,
				       staccess, &id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto err_free;
	}
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto err_destroy;
	staccess->access = access;

	fd = ufile_install_new(&staccess->file, &iommufd_test_staccess_fops,
			       staccess, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_destroy;
	}
	/* The context lives as long as the access file (kernel: ctx_get). */
	atomic_fetch_add_explicit(&ucmd->ictx->file->refs, 1,
				  memory_order_relaxed);

	cmd->create_access.out_access_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* Dropping the fd releases the file, the access and the hold. */
		ufile_remove_fd(fd);
		sys_close(fd);
	}
	return rc;

err_destroy:
	iommufd_access_destroy(access);
err_free:
	free(staccess);
	return rc;
}

static int iommufd_test_access_replace_ioas(uint32_t access_fd,
					    uint32_t ioas_id)
{
	struct selftest_access *staccess;
	int rc;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = iommufd_access_replace(staccess->access, ioas_id);
	if (!rc)
		staccess->ioas_id = ioas_id;
	selftest_access_put(staccess);
	return rc;
}

/*
 * Syzkaller mode: the iova is a (nth area, offset) pair, converted to the
 * offset into the nth area of the access's IOAS (0 when there is none).
 */
static uint64_t iommufd_test_syz_conv_iova(struct selftest_access *staccess,
					   uint64_t iova)
{
	uint32_t nth = (uint32_t)iova, offset = iova >> 32;
	struct interval_tree_node *node;
	struct iommufd_ioas *ioas;
	uint64_t ret = 0;

	ioas = iommufd_get_ioas(staccess->ictx, staccess->ioas_id);
	if (IS_ERR(ioas))
		return 0;
	for (node = interval_tree_first(&ioas->iopt.area_itree); node;
	     node = interval_tree_next(node)) {
		if (!nth--) {
			ret = node->start + offset;
			break;
		}
	}
	iommufd_put_object(staccess->ictx, &ioas->obj);
	return ret;
}

static int iommufd_test_access_item_destroy(uint32_t access_fd,
					    unsigned int item_id)
{
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	int rc = -ENOENT;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	list_for_each_entry(item, &staccess->items, items_elm) {
		if (item->id != item_id)
			continue;
		list_del(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		free(item);
		rc = 0;
		break;
	}
	selftest_access_put(staccess);
	return rc;
}

/* Each pinned page is the page the caller sees at the same offset. */
static int iommufd_test_check_pages(uintptr_t uptr, const uintptr_t *pages,
				    size_t npages)
{
	size_t page = host_page_size();
	int rc;

	uptr &= ~(uintptr_t)(page - 1);
	for (; npages; npages--, pages++, uptr += page) {
		rc = iommufd_test_probe_user(uptr);
		if (rc)
			return rc;
		if (iopt_user_va_to_phys(uptr) != *pages)
			return -EBADE;
	}
	return 0;
}

static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
				     uint32_t access_fd, uint64_t iova,
				     uint64_t length, uintptr_t uptr,
				     uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	uint64_t page = host_page_size();
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	uintptr_t *pages;
	size_t npages;
	int rc;

	if (length > SELFTEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (!staccess->needs_pin_pages) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = iommufd_test_syz_conv_iova(staccess,
						  cmd->access_pages.iova);

	npages = (ALIGN_UP(iova + length, page) - ALIGN_DOWN(iova, page)) /
		 page;
	pages = ufi_calloc(npages ? npages : 1, sizeof(*pages));
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}

	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      flags & MOCK_FLAGS_ACCESS_WRITE ?
					      IOMMUFD_ACCESS_RW_WRITE :
					      IOMMUFD_ACCESS_RW_READ);
	if (rc)
		goto out_free;

	/* A NULL uptr skips the check (syzkaller). */
	if (uptr) {
		rc = iommufd_test_check_pages(uptr - (iova % page), pages,
					      npages);
		if (rc)
			goto out_unpin;
	}

	item = ufi_calloc(1, sizeof(*item));
	if (!item) {
		rc = -ENOMEM;
		goto out_unpin;
	}
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	list_add_tail(&item->items_elm, &staccess->items);

	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		list_del(&item->items_elm);
		free(item);
		goto out_unpin;
	}
	goto out_free;

out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_free:
	free(pages);
out_put:
	selftest_access_put(staccess);
	return rc;
}

static int iommufd_test_access_rw(struct iommufd_ucmd *ucmd,
				  uint32_t access_fd, uint64_t iova,
				  uint64_t length, void *ubuf, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access *staccess;
	void *tmp;
	int rc;

	if (length > SELFTEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
		      MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	tmp = ufi_calloc(1, length ? length : 1);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (flags & MOCK_ACCESS_RW_WRITE) {
		rc = copy_from_user(tmp, ubuf, length);
		if (rc)
			goto out_free;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = iommufd_test_syz_conv_iova(staccess,
						  cmd->access_rw.iova);

	rc = iommufd_access_rw(staccess->access, iova, tmp, length,
			       flags & (MOCK_ACCESS_RW_WRITE |
					MOCK_ACCESS_RW_SLOW_PATH));
	if (rc)
		goto out_free;
	if (!(flags & MOCK_ACCESS_RW_WRITE))
		rc = copy_to_user(ubuf, tmp, length);

out_free:
	free(tmp);
out_put:
	selftest_access_put(staccess);
	return rc;
}

_Static_assert((unsigned int)MOCK_ACCESS_RW_WRITE == IOMMUFD_ACCESS_RW_WRITE,
	       "the mock's write flag is the core's");

/*
 * Mark dirty the mapped pages whose bits are set in the caller's bitmap
 * (bit i: iova + i * page_size) and count them.
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd, uint32_t mockpt_id,
			      uint64_t iova, uint64_t length,
			      uint64_t page_size, const void *uptr)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_object *obj;
	struct iommu_domain *domain;
	uint64_t max, count = 0;
	uint8_t *bits;
	int rc;

	if (!page_size || !length || iova % page_size || length % page_size ||
	    !uptr)
		return -EINVAL;

	obj = iommufd_get_object(ucmd->ictx, mockpt_id,
				 IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	if (!mock_domain_is_paging(domain) || !domain->dirty_tracking) {
		rc = -EINVAL;
		goto out_put;
	}

	max = length / page_size;
	bits = ufi_calloc((max + 63) / 64, sizeof(uint64_t));
	if (!bits) {
		rc = -ENOMEM;
		goto out_put;
	}
	rc = copy_from_user(bits, uptr, (max + 7) / 8);
	if (rc)
		goto out_free;
	for (uint64_t i = 0; i < max; i++) {
		uint64_t cur = iova + i * page_size;

		if (!(bits[i / 8] & (1u << (i % 8))))
			continue;
		/* uAPI: the mock page numbered cur / page_size, as the kernel. */
		if (mock_domain_mark_dirty(domain,
					   cur / page_size * mock_io_page_size()))
			count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	free(bits);
out_put:
	iommufd_put_object(ucmd->ictx, obj);
	return rc;
}

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd->id,
						 cmd->add_reserved.start,
						 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_pa(ucmd, cmd->id,
						cmd->check_map.iova,
						cmd->check_map.length,
						cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(cmd->check_refs.uptr,
						  cmd->check_refs.length,
						  cmd->check_refs.refs);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd, cmd->id,
						   cmd->check_iotlb.id,
						   cmd->check_iotlb.iotlb);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return iommufd_test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return iommufd_test_dev_check_cache(ucmd, cmd->id,
						    cmd->check_dev_cache.id,
						    cmd->check_dev_cache.cache);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return iommufd_test_trigger_vevent(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
		return iommufd_test_pasid_attach(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_REPLACE:
		return iommufd_test_pasid_replace(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_DETACH:
		return iommufd_test_pasid_detach(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return iommufd_test_pasid_check_hwpt(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd->id,
						  cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(
			cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd->id,
						 cmd->access_pages.iova,
						 cmd->access_pages.length,
						 cmd->access_pages.uptr,
						 cmd->access_pages.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(
			ucmd, cmd->id, cmd->access_rw.iova,
			cmd->access_rw.length,
			(void *)(uintptr_t)cmd->access_rw.uptr,
			cmd->access_rw.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access_item_destroy(
			cmd->id, cmd->destroy_access_pages.access_pages_id);
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd->id, cmd->dirty.iova,
					  cmd->dirty.length,
					  cmd->dirty.page_size,
					  (const void *)(uintptr_t)cmd->dirty.uptr);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* uAPI: at least one batch element (a pfn and a count). */
		if (cmd->memory_limit.limit <
		    sizeof(unsigned long) + sizeof(uint32_t))
			return -EINVAL;
		iommufd_test_memory_limit = cmd->memory_limit.limit;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
