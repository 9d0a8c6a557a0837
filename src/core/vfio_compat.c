/*
 * vfio_compat.c - the VFIO type1 container ABI spoken on an iommufd, and
 * IOMMU_VFIO_IOAS, which picks the IOAS those ioctls work on.
 *
 * The type1 ioctls carry no IOAS id: they act on the context's "compat
 * IOAS" (ictx->vfio_ioas).  Without one every ioctl that needs it answers
 * -ENODEV, as a VFIO container without a group does.  Today only
 * IOMMU_VFIO_IOAS_SET installs one; the kernel also creates it on the first
 * group attached through /dev/vfio/vfio, which uiommu does not emulate yet
 * (nor the MM accounting mode the kernel selects for a context opened that
 * way, nor no-iommu mode: VFIO_NOIOMMU_IOMMU is answered as by a kernel
 * built without CONFIG_VFIO_NOIOMMU).
 *
 * Type1 (v1) differs from type1v2 in allowing an unmap to split a mapping.
 * VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU) disables large pages on the compat IOAS,
 * which makes every area splittable at page granularity, and UNMAP_DMA then
 * cuts the areas at the edges of the range before unmapping.  Selecting a
 * type never re-enables large pages, and SET_IOMMU may be repeated.
 *
 * ictx->vfio_ioas is a plain pointer, not a reference: destroying that IOAS
 * clears it (main.c), so it is either NULL or a live, published IOAS.
 * Everything runs under ictx->lock (the dispatcher takes it).
 *
 * Local vocabulary: "argsz" is the caller's size of a VFIO struct (first
 * u32); "minsz" the bytes we must read for the command to make sense.
 */
#include <string.h>

#include <linux/vfio.h>

#include "core/hw_pagetable.h"
#include "core/io_pagetable.h"
#include "core/iopt_internal.h"


static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = ictx->vfio_ioas;

	/* uAPI: no compat IOAS yet is ENODEV. */
	if (!ioas)
		return ERR_PTR(-ENODEV);
	ioas->obj.shortterm++;
	return ioas;
}

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ucmd->ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		ucmd->ictx->vfio_ioas = ioas;
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		ucmd->ictx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- container-level ioctls --------------------------------------------- */

/* VFIO_DMA_CC_IOMMU: 1 unless a paging HWPT of the IOAS snoops no caches. */
static long iommufd_vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_ioas *ioas;
	long rc = 1;

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	list_for_each_entry(hwpt_paging, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt_paging->enforce_cache_coherency) {
			rc = 0;
			break;
		}
	}
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static long iommufd_vfio_check_extension(struct iommufd_ctx *ictx,
					 unsigned long type)
{
	switch (type) {
	/* uAPI: type1, type1v2 and UNMAP_ALL are what iommufd emulates. */
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return iommufd_vfio_cc_iommu(ictx);
	/* uAPI: never VFIO_UPDATE_VADDR, nesting or no-iommu; unknown is 0. */
	case VFIO_NOIOMMU_IOMMU:
	case __VFIO_RESERVED_TYPE1_NESTING_IOMMU:
	case VFIO_UPDATE_VADDR:
	default:
		return 0;
	}
}

static long iommufd_vfio_set_iommu(struct iommufd_ctx *ictx,
				   unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	/* uAPI: only the two type1 flavours; anything else is EINVAL. */
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* uAPI: v1 may split mappings: no large pages from now on. */
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* ---- VFIO_IOMMU_GET_INFO ------------------------------------------------ */

/*
 * The page sizes every domain of the IOAS supports; sizes below the CPU
 * page fold into the CPU page (as type1 reports them), and never smaller
 * than the IOAS's IOVA alignment.
 */
static uint64_t iommufd_vfio_pgsizes(struct io_pagetable *iopt)
{
	uint64_t small = IOPT_PAGE_SIZE - 1;
	uint64_t pgsizes = UINT64_MAX;
	struct iopt_domain_ref *ref;

	list_for_each_entry(ref, &iopt->domains, link)
		pgsizes &= ref->domain->pgsize_bitmap;
	if (pgsizes & small)
		pgsizes = (pgsizes & ~small) | IOPT_PAGE_SIZE;
	return max_t(uint64_t, pgsizes, iopt->iova_alignment);
}

/*
 * A capability chain being written after a vfio_iommu_type1_info.  The
 * chain is laid out whole (total grows by each cap, 8-byte aligned) but
 * only what fits in the caller's argsz is written.  uAPI: a cap is written
 * whole or not at all, except that the iova-range cap writes each range
 * that fits even when its header does not; a cap's next is written once
 * the caller's buffer reaches the start of the cap it points at.
 */
struct vfio_info_chain {
	void *ubuf;		/* the caller's struct vfio_iommu_type1_info */
	uint64_t argsz;		/* bytes of ubuf the caller offered */
	uint64_t total;		/* bytes of struct plus caps laid out */
	uint64_t last;		/* offset of the previous cap, or 0 */
};

/* Copy @len bytes to offset @off of the caller's buffer if they fit. */
static int vfio_chain_put(struct vfio_info_chain *c, uint64_t off,
			  const void *src, uint64_t len)
{
	if (off + len > c->argsz)
		return 0;
	if (copy_to_user(uptr_add(c->ubuf, off), src, len))
		return -EFAULT;
	return 0;
}

/* Account a cap of @size bytes at c->total and link the previous one. */
static int vfio_chain_add(struct vfio_info_chain *c, uint64_t size)
{
	uint32_t next = c->total;

	if (c->last && c->argsz >= c->total &&
	    copy_to_user(uptr_add(c->ubuf, c->last +
				 offsetof(struct vfio_info_cap_header, next)),
			 &next, sizeof(next)))
		return -EFAULT;
	c->last = c->total;
	c->total += ALIGN_UP(size, sizeof(uint64_t));
	return 0;
}

static int vfio_cap_dma_avail(struct vfio_info_chain *c,
			      struct iommufd_ioas *ioas)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			    .version = 1 },
		/* uAPI: iommufd has no mapping count limit: U32_MAX. */
		.avail = UINT32_MAX,
	};
	int rc;

	rc = vfio_chain_put(c, c->total, &cap, sizeof(cap));
	if (rc)
		return rc;
	return vfio_chain_add(c, sizeof(cap));
}

/* uAPI: the usable IOVA is every hole of the reserved ranges. */
static int vfio_cap_iova_range(struct vfio_info_chain *c,
			       struct iommufd_ioas *ioas)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			    .version = 1 },
	};
	struct interval_tree_span_iter span;
	uint64_t ranges = c->total + sizeof(cap);
	uint64_t size;
	int rc;

	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0,
				    UINT64_MAX) {
		struct vfio_iova_range range;

		if (!span.is_hole)
			continue;
		range.start = span.start_hole;
		range.end = span.last_hole;
		rc = vfio_chain_put(c, ranges + cap.nr_iovas * sizeof(range),
				    &range, sizeof(range));
		if (rc)
			return rc;
		cap.nr_iovas++;
	}
	size = sizeof(cap) + cap.nr_iovas * sizeof(struct vfio_iova_range);
	if (c->total + size <= c->argsz) {
		rc = vfio_chain_put(c, c->total, &cap, sizeof(cap));
		if (rc)
			return rc;
	}
	return vfio_chain_add(c, size);
}

static long iommufd_vfio_iommu_get_info(struct iommufd_ctx *ictx, void *arg)
{
	static int (*const fill_caps[])(struct vfio_info_chain *,
					struct iommufd_ioas *) = {
		vfio_cap_dma_avail,
		vfio_cap_iova_range,
	};
	const size_t minsz =
		offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_chain chain;
	struct iommufd_ioas *ioas;
	size_t i;
	int rc = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	/* uAPI: argsz must cover iova_pgsizes. */
	if (info.argsz < minsz)
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	chain = (struct vfio_info_chain){
		.ubuf = arg,
		.argsz = info.argsz,
		.total = sizeof(info),
	};
	for (i = 0; i < ARRAY_SIZE(fill_caps); i++) {
		rc = fill_caps[i](&chain, ioas);
		if (rc)
			goto out_put;
	}

	/* uAPI: argsz returns what the whole chain needs; caps always flag. */
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = iommufd_vfio_pgsizes(&ioas->iopt);
	info.cap_offset = info.argsz >= chain.total ? sizeof(info) : 0;
	info.argsz = chain.total;
	if (copy_to_user(arg, &info,
			 min_t(uint64_t, chain.argsz, sizeof(info))))
		rc = -EFAULT;
out_put:
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* ---- VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA --------------------------- */

static long iommufd_vfio_map_dma(struct iommufd_ctx *ictx, void *arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	const uint32_t supported =
		VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	int iommu_prot = IOMMU_CACHE;
	struct iommufd_ioas *ioas;
	uint64_t iova;
	int rc, src;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	/* uAPI: short argsz and unknown flags (VADDR too) are EINVAL. */
	if (map.argsz < minsz || (map.flags & ~supported))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		iommu_prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		iommu_prot |= IOMMU_WRITE;

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	src = uaccess_fd(UACCESS_FD_TYPE1_SOURCE);
	if (src >= 0)	/* a client's memory, as a file (remote.c) */
		rc = iopt_map_file_pages(ictx, &ioas->iopt, &iova, src,
					 map.vaddr, map.size, iommu_prot, 0);
	else
		rc = iopt_map_user_pages(ictx, &ioas->iopt, &iova, map.vaddr,
					 map.size, iommu_prot, 0);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static long iommufd_vfio_unmap_dma(struct iommufd_ctx *ictx, void *arg)
{
	const size_t minsz =
		offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	/* uAPI: only FLAG_ALL; GET_DIRTY_BITMAP and VADDR are EINVAL. */
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		/* uAPI: UNMAP_ALL wants iova = size = 0. */
		if (unmap.iova || unmap.size) {
			rc = -EINVAL;
			goto out_put;
		}
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		if (ioas->iopt.disable_large_pages) {
			/* uAPI: type1 v1 splits mappings at the range's edges. */
			uint64_t cuts[] = { unmap.iova + unmap.size - 1,
					    unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, cuts,
					   unmap.iova ? 2 : 1);
			if (rc)
				goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size,
				     &unmapped);
	}
	/* uAPI: size returns the bytes unmapped, also when unmap failed. */
	unmap.size = unmapped;
	if (copy_to_user(arg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned long cmd,
			void *arg)
{
	/* uAPI: ioctl numbers are 32 bits; argument-less ones take a value. */
	switch ((unsigned int)cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return iommufd_vfio_check_extension(ictx, (uintptr_t)arg);
	case VFIO_SET_IOMMU:
		return iommufd_vfio_set_iommu(ictx, (uintptr_t)arg);
	case VFIO_IOMMU_GET_INFO:
		return iommufd_vfio_iommu_get_info(ictx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return iommufd_vfio_map_dma(ictx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return iommufd_vfio_unmap_dma(ictx, arg);
	/* uAPI: type1 dirty tracking is not offered (use HWPT dirty). */
	case VFIO_IOMMU_DIRTY_PAGES:
	default:
		return -ENOTTY;
	}
}
