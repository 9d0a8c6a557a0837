/*
 * ioas.c - IOMMUFD_OBJ_IOAS and its ioctls: IOAS_ALLOC, IOVA_RANGES,
 * ALLOW_IOVAS, MAP, MAP_FILE, COPY, UNMAP, CHANGE_PROCESS and the per-IOAS
 * IOMMU_OPTION (HUGE_PAGES).
 *
 * Each handler checks in the kernel's order, which fixes the errno a
 * program sees when several things are wrong: unknown flags and reserved
 * fields (EOPNOTSUPP), values past ULONG_MAX (EOVERFLOW), missing
 * READABLE/WRITEABLE (EINVAL), the IOAS lookup (ENOENT), then the
 * io_pagetable's own checks.  Results are written back only on success.
 *
 * An IOAS is destroyed (IOMMU_DESTROY) only when nothing points at it: a
 * HWPT or an access holds a users reference.  Destroying unmaps everything.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/iopt_internal.h"
#include "util/fault_inject.h"

static void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	int rc;

	rc = iopt_unmap_all(&ioas->iopt, NULL);
	NEVER(rc && rc != -ENOENT);
	iopt_destroy_table(&ioas->iopt);
}

const struct iommufd_object_ops iommufd_ioas_ops = {
	.destroy = iommufd_ioas_destroy,
};

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_object_alloc(ictx, ioas, IOMMUFD_OBJ_IOAS);
	if (IS_ERR(ioas))
		return ioas;
	iopt_init_table(&ioas->iopt);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	return ioas;
}

struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, uint32_t id)
{
	struct iommufd_object *obj =
		iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);

	if (IS_ERR(obj))
		return (struct iommufd_ioas *)obj;
	return container_of(obj, struct iommufd_ioas, obj);
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* The dispatcher publishes it on success and destroys it otherwise. */
	ucmd->new_obj = &ioas->obj;
	cmd->out_ioas_id = ioas->obj.id;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommu_iova_range *ranges;
	struct interval_tree_span_iter span;
	struct iommufd_ioas *ioas;
	uint32_t max_iovas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	max_iovas = cmd->num_iovas;
	ranges = (struct iommu_iova_range *)(uintptr_t)cmd->allowed_iovas;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	/* uAPI: the usable ranges are what no reserved range covers. */
	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0,
				    UINT64_MAX) {
		if (!span.is_hole)
			continue;
		if (cmd->num_iovas < max_iovas) {
			struct iommu_iova_range elm = {
				.start = span.start_hole,
				.last = span.last_hole,
			};

			if (copy_to_user(uptr_add(ranges, (uint64_t)cmd->num_iovas * sizeof(elm)), &elm,
					 sizeof(elm))) {
				rc = -EFAULT;
				goto out_put;
			}
		}
		cmd->num_iovas++;
	}
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_put;
	/* uAPI: a short array is EMSGSIZE, with num_iovas the count needed. */
	if (cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out_put:
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

static void iommufd_free_allowed(struct interval_tree_root *itree)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_first(itree))) {
		interval_tree_remove(node, itree);
		free(container_of(node, struct iopt_allowed, node));
	}
}

static int iommufd_ioas_load_iovas(struct interval_tree_root *itree,
				   const struct iommu_iova_range *ranges,
				   uint32_t num)
{
	uint32_t i;

	for (i = 0; i != num; i++) {
		struct iommu_iova_range range;
		struct iopt_allowed *allowed;

		if (copy_from_user(&range, uptr_add(ranges, (uint64_t)i * sizeof(range)),
				   sizeof(range)))
			return -EFAULT;
		/* uAPI: a range must hold at least two bytes... */
		if (range.start >= range.last)
			return -EINVAL;
		/* ...and not overlap another of the list. */
		if (interval_tree_iter_first(itree, range.start, range.last))
			return -EINVAL;
		allowed = ufi_calloc(1, sizeof(*allowed));
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		interval_tree_insert(&allowed->node, itree);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct interval_tree_root allowed = INTERVAL_TREE_ROOT_INIT;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iommufd_ioas_load_iovas(
		&allowed,
		(const struct iommu_iova_range *)(uintptr_t)cmd->allowed_iovas,
		cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	iommufd_free_allowed(&allowed);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

#define IOAS_MAP_RW (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)
#define IOAS_MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOAS_MAP_RW)

static int conv_iommu_prot(uint32_t map_flags)
{
	/* Devices see CPU-coherent memory: there is no cache flush uAPI. */
	int iommu_prot = IOMMU_CACHE;

	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		iommu_prot |= IOMMU_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		iommu_prot |= IOMMU_READ;
	return iommu_prot;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	uint64_t iova = cmd->iova;
	struct iommufd_ioas *ioas;
	unsigned int flags = 0;
	int rc;

	if ((cmd->flags & ~IOAS_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	/* uAPI: values that do not fit an unsigned long are EOVERFLOW. */
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	/* uAPI: a mapping must be readable or writeable. */
	if (!(cmd->flags & IOAS_MAP_RW))
		return -EINVAL;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, &iova,
				 (uintptr_t)cmd->user_va, cmd->length,
				 conv_iommu_prot(cmd->flags), flags);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	uint64_t iova = cmd->iova;
	struct iommufd_ioas *ioas;
	unsigned int flags = 0;
	struct stat st;
	int fd, rc;

	if (cmd->flags & ~IOAS_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & IOAS_MAP_RW))
		return -EINVAL;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* uAPI: fd must be an open file (the kernel's fget()). */
	fd = cmd->fd < 0 ? -1 : uaccess_fd(cmd->fd);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -EBADF;
		goto out_put;
	}
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	rc = iopt_map_file_pages(ucmd->ictx, &ioas->iopt, &iova, fd,
				 cmd->start, cmd->length,
				 conv_iommu_prot(cmd->flags), flags);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
out_put:
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src_ioas, *dst_ioas;
	struct iopt_pages_list *elms;
	unsigned int flags = 0;
	uint64_t iova;
	size_t n;
	int rc;

	if (cmd->flags & ~IOAS_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= UINT64_MAX || cmd->src_iova >= UINT64_MAX ||
	    cmd->dst_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & IOAS_MAP_RW))
		return -EINVAL;

	src_ioas = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src_ioas))
		return PTR_ERR(src_ioas);
	/* uAPI: the copy shares the source's pages: no second pin. */
	rc = iopt_get_pages(&src_ioas->iopt, cmd->src_iova, cmd->length, &elms,
			    &n);
	iommufd_put_object(ucmd->ictx, &src_ioas->obj);
	if (rc)
		return rc;

	dst_ioas = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst_ioas)) {
		rc = PTR_ERR(dst_ioas);
		goto out_pages;
	}
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	iova = cmd->dst_iova;
	rc = iopt_map_pages(&dst_ioas->iopt, elms, n, cmd->length, &iova,
			    conv_iommu_prot(cmd->flags), flags);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &dst_ioas->obj);
out_pages:
	iopt_free_pages_list(elms, n);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* uAPI: iova 0 with length U64_MAX unmaps everything, even nothing. */
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
		if (rc)
			goto out_put;
	} else {
		if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX) {
			rc = -EOVERFLOW;
			goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		if (rc)
			goto out_put;
		/* uAPI: a range with nothing mapped in it is ENOENT. */
		if (!unmapped) {
			rc = -ENOENT;
			goto out_put;
		}
	}
	cmd->length = unmapped;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* Every area of every published IOAS of @ictx, in id then IOVA order. */
#define for_each_ctx_area(ictx, id, obj, area)                                 \
	for (id = 1; (obj = idtable_next(&(ictx)->objects, &id)); id++)        \
		if (obj->type == IOMMUFD_OBJ_IOAS)                             \
			iopt_for_each_area(                                    \
				area,                                          \
				&container_of(obj, struct iommufd_ioas, obj)   \
					 ->iopt,                               \
				0, UINT64_MAX)

/*
 * The pinned-page charge of every mapping of the context moves to the
 * calling process: this one, or a forked child asking through remote.c
 * (pages.c moves the pins into a ring of its mm, so VmPin follows).
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iopt_pages **list;
	struct iommufd_object *obj;
	struct iopt_area *area;
	size_t n = 0, i = 0;
	uint32_t id;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* uAPI: only file-backed memory can change process: else EINVAL. */
	for_each_ctx_area(ictx, id, obj, area) {
		if (area->pages->type != IOPT_ADDRESS_FILE)
			return -EINVAL;
		n++;
	}
	list = ufi_calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	/* Each pages object once, however many areas share it. */
	for_each_ctx_area(ictx, id, obj, area) {
		if (area->pages->visited)
			continue;
		area->pages->visited = 1;
		list[i++] = area->pages;
	}
	for (n = 0; n < i; n++)
		list[n]->visited = 0;
	rc = iopt_pages_change_process(list, i);
	free(list);
	return rc;
}

static int iommufd_ioas_option_huge_pages(struct iommu_option *cmd,
					  struct iommufd_ioas *ioas)
{
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
		return 0;
	}
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0)
			return iopt_disable_large_pages(&ioas->iopt);
		if (cmd->val64 == 1) {
			iopt_enable_large_pages(&ioas->iopt);
			return 0;
		}
		return -EINVAL;
	}
	return -EOPNOTSUPP;
}

int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	switch (cmd->option_id) {
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option_huge_pages(cmd, ioas);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
