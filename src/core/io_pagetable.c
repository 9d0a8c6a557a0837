/*
 * io_pagetable.c - the IOVA side of an IOAS: areas, allowed and reserved
 * ranges, IOVA allocation, attached domains, alignment, and the pin paths
 * accesses use.
 *
 * Invariants (ictx->lock held for everything):
 *   - areas never overlap each other or a reserved range;
 *   - every area is mapped in every attached domain, and while the iopt has
 *     a domain each area holds its page range of its pages object
 *     (iopt_internal.h);
 *   - iova_alignment is the largest of the domains' smallest page sizes,
 *     the accesses' alignments and PAGE_SIZE when large pages are off, and
 *     every area's IOVA, length and page offset are multiples of it;
 *   - a reserved range owned by a domain covers what lies outside its
 *     aperture; allowed ranges never overlap reserved ones.
 *
 * Errors follow the kernel's io_pagetable.c, including its quirks: a fixed
 * IOVA outside the allowed ranges is accepted (allowed ranges only steer
 * allocation), a reserved IOVA is EINVAL for a map but EADDRINUSE for
 * IOAS_ALLOW_IOVAS, and an unmap stops at the first area crossing the
 * range's edge with ENOENT after removing the areas before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/iopt_internal.h"
#include "iommu/unit.h"
#include "util/fault_inject.h"

struct iopt_area *iopt_contig_first(struct iopt_contig_iter *iter,
				    struct io_pagetable *iopt, uint64_t iova,
				    uint64_t last_iova)
{
	iter->cur_iova = iova;
	iter->last_iova = last_iova;
	iter->area = iopt_area_iter_first(iopt, iova, iova);
	if (iter->area && !iter->area->pages)
		iter->area = NULL;
	return iter->area;
}

struct iopt_area *iopt_contig_next(struct iopt_contig_iter *iter)
{
	uint64_t last_iova;

	if (!iter->area)
		return NULL;
	last_iova = iopt_area_last_iova(iter->area);
	if (iter->last_iova <= last_iova)
		return NULL;
	iter->cur_iova = last_iova + 1;
	iter->area = iopt_area_iter_next(iter->area, iter->cur_iova,
					 iter->last_iova);
	if (iter->area && (iter->cur_iova != iopt_area_iova(iter->area) ||
			   !iter->area->pages))
		iter->area = NULL;
	return iter->area;
}

static struct iopt_reserved *iopt_reserved_iter_first(struct io_pagetable *iopt,
						      uint64_t start,
						      uint64_t last)
{
	struct interval_tree_node *n =
		interval_tree_iter_first(&iopt->reserved_itree, start, last);

	return n ? container_of(n, struct iopt_reserved, node) : NULL;
}

static uint64_t roundup_pow_of_two_u64(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

/* ---- IOVA allocation ---------------------------------------------------- */

/*
 * Lowest IOVA in [start, last] where [iova, iova + length - 1] misses every
 * area and reserved range and iova % align == phase.  Areas are searched in
 * O(log n) by the tree; each reserved range met moves the search past it.
 */
static int iopt_find_free(struct io_pagetable *iopt, uint64_t start,
			  uint64_t last, uint64_t length, uint64_t align,
			  uint64_t phase, uint64_t *iova)
{
	for (;;) {
		struct iopt_reserved *r;
		uint64_t x;
		int rc;

		rc = interval_tree_find_hole(&iopt->area_itree, start, last,
					     length, align, phase, &x);
		if (rc)
			return rc;
		r = iopt_reserved_iter_first(iopt, x, x + length - 1);
		if (!r) {
			*iova = x;
			return 0;
		}
		if (r->node.last >= last)
			return -ENOSPC;
		start = r->node.last + 1;
	}
}

/*
 * Pick an IOVA for @length bytes whose first byte is at user address (or
 * file offset) @addr.  As the kernel's iopt_alloc_iova(): never IOVA 0 or
 * the top page, first fit in address order inside the allowed ranges,
 * aligned to the smaller of the length's power of two and @addr's own
 * alignment (capped at the huge page size) so huge pages stay possible,
 * keeping @addr's offset inside its page.  For page-aligned @addr the
 * answer is the kernel's exactly (tests/unit/iopt checks it).  For an
 * @addr inside a page the kernel ORs the offset into each hole's aligned
 * start; this takes the lowest IOVA whose low bits equal @addr's, which is
 * the same whenever holes start on page boundaries.
 */
int iopt_alloc_iova(struct io_pagetable *iopt, uint64_t *iova, uint64_t addr,
		    uint64_t length)
{
	uint64_t page_offset = addr & (IOPT_PAGE_SIZE - 1);
	uint64_t max_alignment = IOPT_PAGE_SIZE * (IOPT_PAGE_SIZE / 8);
	struct interval_tree_span_iter allowed;
	uint64_t iova_alignment, align, phase, find_len;

	/* uAPI: a length that cannot be aligned is EOVERFLOW. */
	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	iova_alignment = roundup_pow_of_two_u64(length);
	if (addr)
		iova_alignment = min_t(uint64_t, iova_alignment,
				       1ull << __builtin_ctzll(addr));
	if (iova_alignment >= max_alignment)
		iova_alignment = max_alignment;
	/* uAPI: an address below the IOAS's alignment is EINVAL. */
	if (iova_alignment < iopt->iova_alignment)
		return -EINVAL;

	if (!page_offset) {
		align = iova_alignment;
		phase = 0;
	} else {
		/* Keep the address's low bits: iova % 2^k == addr % 2^k. */
		align = 2ull << (63 - __builtin_clzll(page_offset));
		phase = page_offset;
	}
	/* The kernel wants one byte to spare after a 1-byte map. */
	find_len = max_t(uint64_t, length, 2);

	if (interval_tree_empty(&iopt->allowed_itree))
		return iopt_find_free(iopt, IOPT_PAGE_SIZE,
				      UINT64_MAX - IOPT_PAGE_SIZE, find_len,
				      align, phase, iova);
	interval_tree_for_each_span(&allowed, &iopt->allowed_itree,
				    IOPT_PAGE_SIZE,
				    UINT64_MAX - IOPT_PAGE_SIZE) {
		if (allowed.is_hole)
			continue;
		if (!iopt_find_free(iopt, allowed.start_used,
				    allowed.last_used, find_len, align, phase,
				    iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, uint64_t iova,
			   uint64_t length)
{
	uint64_t last;

	/* uAPI: a fixed IOVA must be aligned to out_iova_alignment. */
	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	/* uAPI: mapping over a reserved range is EINVAL... */
	if (iopt_reserved_iter_first(iopt, iova, last))
		return -EINVAL;
	/* ...and over an existing mapping EEXIST. */
	if (iopt_area_iter_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- areas and domains -------------------------------------------------- */

static int iopt_area_map_domain(struct io_pagetable *iopt,
				struct iopt_area *area,
				struct iommu_domain *domain)
{
	uint64_t iova = iopt_area_iova(area), length = iopt_area_length(area);
	uintptr_t phys = iopt_pages_va(area->pages, area->start_byte);
	uint64_t done;
	int rc;

	if (!iopt->disable_large_pages)
		return domain->ops->map(domain, iova, phys, length,
					area->iommu_prot);
	/*
	 * Without large pages every PAGE_SIZE is its own mapping, so VFIO
	 * type1 v1 can later unmap any page of it.
	 */
	for (done = 0; done < length; done += IOPT_PAGE_SIZE) {
		rc = domain->ops->map(domain, iova + done, phys + done,
				      IOPT_PAGE_SIZE, area->iommu_prot);
		if (rc) {
			if (done)
				domain->ops->unmap(domain, iova, done, NULL);
			return rc;
		}
	}
	return 0;
}

static void iopt_area_unmap_domain(struct iopt_area *area,
				   struct iommu_domain *domain)
{
	uint64_t length = iopt_area_length(area);

	NEVER(domain->ops->unmap(domain, iopt_area_iova(area), length, NULL) !=
	      length);
}

/* Pin @area and map it into every domain of @iopt; all or nothing. */
static int iopt_area_fill_domains(struct io_pagetable *iopt,
				  struct iopt_area *area)
{
	struct iopt_domain_ref *ref, *undo;
	int rc;

	if (!iopt->num_domains)
		return 0;
	rc = iopt_pages_hold(area->pages, iopt_area_index(area),
			     iopt_area_last_index(area));
	if (rc)
		return rc;
	list_for_each_entry(ref, &iopt->domains, link) {
		rc = iopt_area_map_domain(iopt, area, ref->domain);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry(undo, &iopt->domains, link) {
		if (undo == ref)
			break;
		iopt_area_unmap_domain(area, undo->domain);
	}
	iopt_pages_unhold(area->pages, iopt_area_index(area),
			  iopt_area_last_index(area));
	return rc;
}

/*
 * A unit domain's unmap leaves DMA already in flight on the old PTEs: wait
 * for it before anything is unpinned (docs/iommu.md, "Ordering").
 */
static void iopt_dma_wait(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	struct iopt_domain_ref *ref;

	if (domain) {
		if (iommu_domain_is_unit(domain))
			iommu_dma_wait();
		return;
	}
	list_for_each_entry(ref, &iopt->domains, link) {
		if (iommu_domain_is_unit(ref->domain)) {
			iommu_dma_wait();
			return;
		}
	}
}

/* Unmap @area from every domain, then unpin (never the other way round). */
static void iopt_area_unfill_domains(struct io_pagetable *iopt,
				     struct iopt_area *area)
{
	struct iopt_domain_ref *ref;

	if (!iopt->num_domains)
		return;
	list_for_each_entry(ref, &iopt->domains, link)
		iopt_area_unmap_domain(area, ref->domain);
	iopt_dma_wait(iopt, NULL);
	iopt_pages_unhold(area->pages, iopt_area_index(area),
			  iopt_area_last_index(area));
}

/* The area takes bytes [start_byte, start_byte + length) of @pages. */
static int iopt_insert_area(struct io_pagetable *iopt, struct iopt_area *area,
			    struct iopt_pages *pages, uint64_t iova,
			    uint64_t start_byte, uint64_t length,
			    int iommu_prot)
{
	uint64_t pages_last;

	/* uAPI: a writable map of read-only pages (IOAS_COPY) is EPERM. */
	if ((iommu_prot & IOMMU_WRITE) && !pages->writable)
		return -EPERM;
	/* uAPI: the memory's offset in its page must suit the alignment. */
	if ((start_byte & (IOPT_PAGE_SIZE - 1)) & (iopt->iova_alignment - 1))
		return -EINVAL;
	area->iommu_prot = iommu_prot;
	area->start_byte = start_byte;
	area->node.start = iova;
	if (check_add_overflow_u64(iova, length - 1, &area->node.last))
		return -EOVERFLOW;
	if (check_add_overflow_u64(start_byte, length - 1, &pages_last))
		return -EOVERFLOW;
	if (NEVER((pages_last >> IOPT_PAGE_SHIFT) >= pages->npages))
		return -EOVERFLOW;
	area->pages = pages;
	interval_tree_insert(&area->node, &iopt->area_itree);
	return 0;
}

int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *elms,
		   size_t n, uint64_t length, uint64_t *dst_iova,
		   int iommu_prot, unsigned int flags)
{
	struct iopt_area **areas;
	size_t i, inserted = 0, filled = 0;
	uint64_t iova;
	int rc;

	if (NEVER(!n))
		return -EINVAL;
	areas = ufi_calloc(n, sizeof(*areas));
	if (!areas)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		areas[i] = ufi_calloc(1, sizeof(*areas[i]));
		if (!areas[i]) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	/* uAPI: the length must be a non-zero multiple of the alignment. */
	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out_free;
	}
	if (flags & IOPT_ALLOC_IOVA) {
		rc = iopt_alloc_iova(iopt, dst_iova,
				     iopt_pages_origin(elms[0].pages) +
					     elms[0].start_byte,
				     length);
		if (rc)
			goto out_free;
		if (NEVER(iopt_check_iova(iopt, *dst_iova, length))) {
			rc = -EINVAL;
			goto out_free;
		}
	} else {
		rc = iopt_check_iova(iopt, *dst_iova, length);
		if (rc)
			goto out_free;
	}

	iova = *dst_iova;
	for (; inserted < n; inserted++) {
		rc = iopt_insert_area(iopt, areas[inserted],
				      elms[inserted].pages, iova,
				      elms[inserted].start_byte,
				      elms[inserted].length, iommu_prot);
		if (rc)
			goto out_remove;
		iova += elms[inserted].length;
	}
	for (; filled < n; filled++) {
		rc = iopt_area_fill_domains(iopt, areas[filled]);
		if (rc)
			goto out_unfill;
	}
	/* The pages references move from the list into the areas. */
	for (i = 0; i < n; i++)
		elms[i].pages = NULL;
	free(areas);
	return 0;

out_unfill:
	while (filled--)
		iopt_area_unfill_domains(iopt, areas[filled]);
out_remove:
	while (inserted--)
		interval_tree_remove(&areas[inserted]->node,
				     &iopt->area_itree);
out_free:
	for (i = 0; i < n; i++)
		free(areas[i]);
	free(areas);
	return rc;
}

static int iopt_map_common(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			   struct iopt_pages *pages, uint64_t *iova,
			   uint64_t length, uint64_t start_byte,
			   int iommu_prot, unsigned int flags)
{
	struct iopt_pages_list elm = {
		.pages = pages,
		.start_byte = start_byte,
		.length = length,
	};
	int rc;

	if (ictx->account_mode == IOPT_PAGES_ACCOUNT_MM &&
	    pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	rc = iopt_map_pages(iopt, &elm, 1, length, iova, iommu_prot, flags);
	if (rc)
		iopt_pages_put(pages);
	return rc;
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, uintptr_t uptr, uint64_t length,
			int iommu_prot, unsigned int flags)
{
	struct iopt_pages *pages;
	uint64_t start_byte;

	pages = iopt_alloc_user_pages(uptr, length, iommu_prot & IOMMU_WRITE,
				      &start_byte);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	return iopt_map_common(ictx, iopt, pages, iova, length, start_byte,
			       iommu_prot, flags);
}

int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, int fd, uint64_t start,
			uint64_t length, int iommu_prot, unsigned int flags)
{
	struct iopt_pages *pages;
	uint64_t start_byte;

	pages = iopt_alloc_file_pages(fd, start, length,
				      iommu_prot & IOMMU_WRITE, &start_byte);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	return iopt_map_common(ictx, iopt, pages, iova, length, start_byte,
			       iommu_prot, flags);
}

void iopt_free_pages_list(struct iopt_pages_list *elms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (elms[i].pages)
			iopt_pages_put(elms[i].pages);
	free(elms);
}

int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list **out, size_t *out_n)
{
	struct iopt_pages_list *elms = NULL, *grown;
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	size_t n = 0, cap = 0;
	uint64_t last_iova;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow_u64(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last = min_t(uint64_t, last_iova,
				      iopt_area_last_iova(area));

		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			grown = ufi_realloc(elms, cap * sizeof(*elms));
			if (!grown) {
				rc = -ENOMEM;
				goto err_free;
			}
			elms = grown;
		}
		elms[n].pages = area->pages;
		elms[n].start_byte = iopt_area_start_byte(area, iter.cur_iova);
		elms[n].length = last - iter.cur_iova + 1;
		iopt_pages_get(area->pages);
		n++;
	}
	/* uAPI: IOAS_COPY of a range with a hole is ENOENT. */
	if (!iopt_contig_done(&iter)) {
		rc = -ENOENT;
		goto err_free;
	}
	*out = elms;
	*out_n = n;
	return 0;
err_free:
	iopt_free_pages_list(elms, n);
	return rc;
}

static void iopt_remove_area(struct io_pagetable *iopt,
			     struct iopt_area *area)
{
	iopt_area_unfill_domains(iopt, area);
	interval_tree_remove(&area->node, &iopt->area_itree);
	iopt_pages_put(area->pages);
	free(area);
}

/* Tries at one area before an access that keeps its pins is given up on. */
#define IOPT_UNMAP_TRIES 100

static int iopt_unmap_iova_range(struct io_pagetable *iopt, uint64_t start,
				 uint64_t last, uint64_t *unmapped)
{
	uint64_t unmapped_bytes = 0;
	unsigned int tries = 0;
	struct iopt_area *area;
	int rc = 0;

	while ((area = iopt_area_iter_first(iopt, start, last))) {
		uint64_t area_first = iopt_area_iova(area);
		uint64_t area_last = iopt_area_last_iova(area);

		/* uAPI: an area locked by a HW queue cannot go: EBUSY. */
		if (area->num_locks) {
			rc = -EBUSY;
			break;
		}
		/* uAPI: unmap never splits an area; crossing it is ENOENT. */
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (area_first != start)
			tries = 0;
		if (area->num_accesses) {
			/*
			 * Ask every access to let go and look again; an
			 * access that never does makes this EDEADLK.
			 */
			start = area_first;
			area->prevent_access = true;
			iommufd_access_notify_unmap(iopt, area_first,
						    iopt_area_length(area));
			if (++tries > IOPT_UNMAP_TRIES) {
				rc = -EDEADLK;
				break;
			}
			continue;
		}
		iopt_remove_area(iopt, area);
		unmapped_bytes += area_last - area_first + 1;
	}
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova,
		    uint64_t length, uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
	return iopt_unmap_iova_range(iopt, 0, UINT64_MAX, unmapped);
}

/* ---- allowed and reserved ranges ---------------------------------------- */

int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct interval_tree_root *allowed)
{
	struct interval_tree_root old = iopt->allowed_itree;
	struct interval_tree_node *n;

	for (n = interval_tree_first(allowed); n; n = interval_tree_next(n)) {
		/* uAPI: an allowed range over a reserved one is EADDRINUSE. */
		if (iopt_reserved_iter_first(iopt, n->start, n->last))
			return -EADDRINUSE;
	}
	iopt->allowed_itree = *allowed;
	*allowed = old;
	return 0;
}

int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start,
		      uint64_t last, void *owner)
{
	struct iopt_reserved *reserved;

	if (NEVER(start > last))
		return -EINVAL;
	/* uAPI: reserving over a mapping or an allowed range: EADDRINUSE. */
	if (iopt_area_iter_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	reserved = ufi_calloc(1, sizeof(*reserved));
	if (!reserved)
		return -ENOMEM;
	reserved->node.start = start;
	reserved->node.last = last;
	reserved->owner = owner;
	interval_tree_insert(&reserved->node, &iopt->reserved_itree);
	return 0;
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	struct iopt_reserved *reserved;
	struct interval_tree_node *n, *next;

	for (n = interval_tree_first(&iopt->reserved_itree); n; n = next) {
		next = interval_tree_next(n);
		reserved = container_of(n, struct iopt_reserved, node);
		if (reserved->owner != owner)
			continue;
		interval_tree_remove(n, &iopt->reserved_itree);
		free(reserved);
	}
}

/* ---- the table ---------------------------------------------------------- */

void iopt_init_table(struct io_pagetable *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	INIT_LIST_HEAD(&iopt->domains);
	INIT_LIST_HEAD(&iopt->accesses);
	/* A table without domains takes any IOVA at byte granularity. */
	iopt->iova_alignment = 1;
}

static void iopt_free_tree(struct interval_tree_root *root, size_t offset)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_first(root))) {
		interval_tree_remove(n, root);
		free((char *)n - offset);
	}
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	NEVER(!interval_tree_empty(&iopt->area_itree));
	NEVER(!list_empty(&iopt->domains));
	NEVER(!list_empty(&iopt->accesses));
	iopt_free_tree(&iopt->allowed_itree,
		       offsetof(struct iopt_allowed, node));
	iopt_free_tree(&iopt->reserved_itree,
		       offsetof(struct iopt_reserved, node));
}

/* Do all areas conform to @new_iova_alignment? */
static int iopt_check_iova_alignment(struct io_pagetable *iopt,
				     uint64_t new_iova_alignment)
{
	uint64_t mask = new_iova_alignment - 1;
	struct iommufd_access *access;
	struct iopt_area *area;

	iopt_for_each_area(area, iopt, 0, UINT64_MAX)
		if ((iopt_area_iova(area) & mask) ||
		    (iopt_area_length(area) & mask) ||
		    (iopt_area_page_offset(area) & mask))
			return -EADDRINUSE;
	list_for_each_entry(access, &iopt->accesses, iopt_link)
		if (NEVER(access->iova_alignment > new_iova_alignment))
			return -EADDRINUSE;
	return 0;
}

static uint64_t iopt_domain_alignment(const struct iommu_domain *domain)
{
	return 1ull << __builtin_ctzll(domain->pgsize_bitmap);
}

int iopt_calculate_iova_alignment(struct io_pagetable *iopt)
{
	uint64_t new_iova_alignment = iopt->disable_large_pages ?
					      IOPT_PAGE_SIZE : 1;
	struct iommufd_access *access;
	struct iopt_domain_ref *ref;
	int rc;

	list_for_each_entry(ref, &iopt->domains, link)
		new_iova_alignment = max_t(uint64_t, new_iova_alignment,
					   iopt_domain_alignment(ref->domain));
	list_for_each_entry(access, &iopt->accesses, iopt_link)
		new_iova_alignment = max_t(uint64_t, new_iova_alignment,
					   access->iova_alignment);
	if (new_iova_alignment > iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_iova_alignment);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = new_iova_alignment;
	return 0;
}

int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	bool first = !iopt->num_domains;
	struct iopt_domain_ref *ref;
	struct iopt_area *area, *undo;
	uint64_t new_iova_alignment;
	int rc;

	list_for_each_entry(ref, &iopt->domains, link)
		if (NEVER(ref->domain == domain))
			return -EEXIST;
	if (NEVER(!domain->pgsize_bitmap))
		return -EINVAL;

	/* The iopt works in PAGE_SIZE units: a domain must take them. */
	new_iova_alignment = max_t(uint64_t, iopt_domain_alignment(domain),
				   iopt->iova_alignment);
	if (new_iova_alignment > IOPT_PAGE_SIZE)
		return -EINVAL;
	if (new_iova_alignment != iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_iova_alignment);
		if (rc)
			return rc;
	}

	ref = ufi_calloc(1, sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	ref->domain = domain;
	/* uAPI: nothing may be mapped outside the domain's aperture. */
	if (domain->aperture_start != 0) {
		rc = iopt_reserve_iova(iopt, 0, domain->aperture_start - 1,
				       domain);
		if (rc)
			goto err_reserved;
	}
	if (domain->aperture_last != UINT64_MAX) {
		rc = iopt_reserve_iova(iopt, domain->aperture_last + 1,
				       UINT64_MAX, domain);
		if (rc)
			goto err_reserved;
	}

	iopt_for_each_area(area, iopt, 0, UINT64_MAX) {
		if (first) {
			rc = iopt_pages_hold(area->pages, iopt_area_index(area),
					     iopt_area_last_index(area));
			if (rc)
				goto err_unfill;
		}
		rc = iopt_area_map_domain(iopt, area, domain);
		if (rc) {
			if (first)
				iopt_pages_unhold(area->pages,
						  iopt_area_index(area),
						  iopt_area_last_index(area));
			goto err_unfill;
		}
	}

	iopt->iova_alignment = new_iova_alignment;
	list_add_tail(&ref->link, &iopt->domains);
	iopt->num_domains++;
	return 0;

err_unfill:
	iopt_for_each_area(undo, iopt, 0, UINT64_MAX) {
		if (undo == area)
			break;
		iopt_area_unmap_domain(undo, domain);
		if (first)
			iopt_pages_unhold(undo->pages, iopt_area_index(undo),
					  iopt_area_last_index(undo));
	}
err_reserved:
	iopt_remove_reserved_iova(iopt, domain);
	free(ref);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain)
{
	struct iopt_domain_ref *ref, *found = NULL;
	struct iopt_area *area;

	list_for_each_entry(ref, &iopt->domains, link) {
		if (ref->domain == domain) {
			found = ref;
			break;
		}
	}
	if (NEVER(!found))
		return;
	list_del(&found->link);
	iopt->num_domains--;
	iopt_for_each_area(area, iopt, 0, UINT64_MAX)
		iopt_area_unmap_domain(area, domain);
	iopt_dma_wait(iopt, domain);
	if (!iopt->num_domains)
		iopt_for_each_area(area, iopt, 0, UINT64_MAX)
			iopt_pages_unhold(area->pages, iopt_area_index(area),
					  iopt_area_last_index(area));
	iopt_remove_reserved_iova(iopt, domain);
	NEVER(iopt_calculate_iova_alignment(iopt));
	free(found);
}

/* ---- splitting (VFIO type1 v1) ------------------------------------------ */

static int iopt_area_split(struct io_pagetable *iopt, struct iopt_area *area,
			   uint64_t iova)
{
	uint64_t alignment = iopt->iova_alignment;
	uint64_t last_iova = iopt_area_last_iova(area);
	uint64_t start_iova = iopt_area_iova(area);
	uint64_t new_start = iova + 1;
	struct iopt_pages *pages = area->pages;
	struct iopt_area *lhs, *rhs;
	int rc;

	if (iova == start_iova || iova == last_iova)
		return 0;
	if (!pages || area->prevent_access)
		return -EBUSY;
	if ((new_start & (alignment - 1)) ||
	    (iopt_area_start_byte(area, new_start) & (alignment - 1)))
		return -EINVAL;
	/* Splitting what an access pinned is not tracked finely enough. */
	if (area->num_accesses)
		return -EINVAL;
	/* A domain may hold the area as large pages that cannot split. */
	if (iopt->num_domains && !iopt->disable_large_pages)
		return -EINVAL;

	lhs = ufi_calloc(1, sizeof(*lhs));
	rhs = ufi_calloc(1, sizeof(*rhs));
	if (!lhs || !rhs) {
		rc = -ENOMEM;
		goto err_free;
	}
	lhs->pages = rhs->pages = pages;
	lhs->iommu_prot = rhs->iommu_prot = area->iommu_prot;
	lhs->start_byte = area->start_byte;
	lhs->node.start = start_iova;
	lhs->node.last = new_start - 1;
	rhs->start_byte = iopt_area_start_byte(area, new_start);
	rhs->node.start = new_start;
	rhs->node.last = last_iova;
	if (iopt->num_domains) {
		/* The pages are pinned already: only the holds move. */
		rc = iopt_pages_hold(pages, iopt_area_index(lhs),
				     iopt_area_last_index(lhs));
		if (rc)
			goto err_free;
		rc = iopt_pages_hold(pages, iopt_area_index(rhs),
				     iopt_area_last_index(rhs));
		if (rc) {
			iopt_pages_unhold(pages, iopt_area_index(lhs),
					  iopt_area_last_index(lhs));
			goto err_free;
		}
		iopt_pages_unhold(pages, iopt_area_index(area),
				  iopt_area_last_index(area));
	}
	interval_tree_remove(&area->node, &iopt->area_itree);
	interval_tree_insert(&lhs->node, &iopt->area_itree);
	interval_tree_insert(&rhs->node, &iopt->area_itree);
	iopt_pages_get(pages);
	free(area);
	return 0;

err_free:
	free(lhs);
	free(rhs);
	return rc;
}

int iopt_cut_iova(struct io_pagetable *iopt, uint64_t *iovas,
		  size_t num_iovas)
{
	size_t i;
	int rc;

	for (i = 0; i < num_iovas; i++) {
		struct iopt_area *area =
			iopt_area_iter_first(iopt, iovas[i], iovas[i]);

		if (!area)
			continue;
		rc = iopt_area_split(iopt, area, iovas[i]);
		if (rc)
			return rc;
	}
	return 0;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	iopt->disable_large_pages = false;
	NEVER(iopt_calculate_iova_alignment(iopt));
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc;

	if (iopt->disable_large_pages)
		return 0;
	/* uAPI: not once domains hold mappings that may use large pages. */
	if (iopt->num_domains && !interval_tree_empty(&iopt->area_itree))
		return -EINVAL;
	iopt->disable_large_pages = true;
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
	return rc;
}

/* ---- accesses ----------------------------------------------------------- */

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	int rc;

	list_add_tail(&access->iopt_link, &iopt->accesses);
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		list_del(&access->iopt_link);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access)
{
	list_del(&access->iopt_link);
	NEVER(iopt_calculate_iova_alignment(iopt));
}

static bool iopt_contig_is_aligned(struct iopt_contig_iter *iter)
{
	if (iopt_area_start_byte(iter->area, iter->cur_iova) &
	    (IOPT_PAGE_SIZE - 1))
		return false;
	if (!iopt_contig_done(iter) &&
	    (iopt_area_start_byte(iter->area,
				  iopt_area_last_iova(iter->area)) &
	     (IOPT_PAGE_SIZE - 1)) != IOPT_PAGE_SIZE - 1)
		return false;
	return true;
}

static void iopt_area_remove_access(struct iopt_area *area, uint64_t index,
				    uint64_t last_index, bool unlock_area)
{
	if (NEVER(!area->num_accesses))
		return;
	if (unlock_area && !NEVER(!area->num_locks))
		area->num_locks--;
	area->num_accesses--;
	iopt_pages_unhold(area->pages, index, last_index);
}

static void iopt_unpin_range(struct io_pagetable *iopt, uint64_t iova,
			     uint64_t last_iova, bool unlock_area)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;

	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova)
		iopt_area_remove_access(
			area, iopt_area_iova_to_index(area, iter.cur_iova),
			iopt_area_iova_to_index(
				area, min_t(uint64_t, last_iova,
					    iopt_area_last_iova(area))),
			unlock_area);
	NEVER(!iopt_contig_done(&iter));
}

int iopt_pin_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   uintptr_t *out_pages, unsigned int flags, bool lock_area)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow_u64(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last = min_t(uint64_t, last_iova,
				      iopt_area_last_iova(area));
		uint64_t index = iopt_area_iova_to_index(area, iter.cur_iova);
		uint64_t last_index = iopt_area_iova_to_index(area, last);
		uint64_t i;

		/* uAPI: pins are whole pages, and not while unmapping. */
		if (area->prevent_access || !iopt_contig_is_aligned(&iter)) {
			rc = -EINVAL;
			goto err_remove;
		}
		if (!iopt_area_check_prot(area, flags) ||
		    ((flags & IOMMUFD_ACCESS_RW_WRITE) &&
		     !area->pages->writable)) {
			rc = -EPERM;
			goto err_remove;
		}
		rc = iopt_pages_hold(area->pages, index, last_index);
		if (rc)
			goto err_remove;
		area->num_accesses++;
		if (lock_area)
			area->num_locks++;
		for (i = index; i <= last_index; i++)
			*out_pages++ = iopt_pages_va(area->pages,
						     i << IOPT_PAGE_SHIFT);
	}
	/* uAPI: pinning across a hole is ENOENT. */
	if (!iopt_contig_done(&iter)) {
		rc = -ENOENT;
		goto err_remove;
	}
	return 0;

err_remove:
	if (iova < iter.cur_iova)
		iopt_unpin_range(iopt, iova, iter.cur_iova - 1, lock_area);
	return rc;
}

void iopt_unpin_pages(struct io_pagetable *iopt, uint64_t iova,
		      uint64_t length, bool unlock_area)
{
	uint64_t last_iova;

	if (NEVER(!length) ||
	    NEVER(check_add_overflow_u64(iova, length - 1, &last_iova)))
		return;
	iopt_unpin_range(iopt, iova, last_iova, unlock_area);
}

/* ---- dirty tracking ----------------------------------------------------- */

int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_domain_ops *ops = domain->ops;
	bool was = domain->dirty_tracking;
	struct iopt_area *area;
	int rc;

	if (!ops->set_dirty_tracking)
		return -EOPNOTSUPP;
	/* Start from a clean snapshot. */
	if (enable && ops->read_and_clear_dirty) {
		iopt_for_each_area(area, iopt, 0, UINT64_MAX) {
			rc = ops->read_and_clear_dirty(domain,
						       iopt_area_iova(area),
						       iopt_area_length(area),
						       0, NULL);
			if (rc)
				return rc;
		}
	}
	rc = ops->set_dirty_tracking(domain, enable);
	if (rc)
		return rc;
	if (was != domain->dirty_tracking) {
		if (domain->dirty_tracking)
			iopt->dirty_tracking++;
		else if (!NEVER(!iopt->dirty_tracking))
			iopt->dirty_tracking--;
	}
	return 0;
}

/*
 * The caller's bitmap is gathered a chunk at a time: the chunk's words are
 * read and written back (so a bad bitmap fails with nothing cleared, as the
 * kernel's pinned bitmap does), the domain sets bits in our copy, and the
 * copy goes back to the caller.
 */
#define IOPT_DIRTY_CHUNK_WORDS 4096u

struct iopt_dirty_user {
	struct iommu_dirty_bitmap dirty;
	uint64_t iova;			/* bit 0 */
	unsigned int pgshift;
	uint64_t *words;		/* our copy of the chunk's words */
	uint64_t w0;			/* index of words[0] in the bitmap */
};

static void iopt_dirty_record(struct iommu_dirty_bitmap *b, uint64_t iova,
			      uint64_t length)
{
	struct iopt_dirty_user *u = container_of(b, struct iopt_dirty_user,
						 dirty);
	uint64_t bit = (iova - u->iova) >> u->pgshift;
	uint64_t last = (iova + length - 1 - u->iova) >> u->pgshift;

	while (bit <= last) {
		uint64_t mask, hi = min_t(uint64_t, last, bit | 63);

		mask = (hi - bit == 63) ? ~0ull :
					  ((1ull << (hi - bit + 1)) - 1)
						  << (bit & 63);
		u->words[bit / 64 - u->w0] |= mask;
		bit = hi + 1;
	}
}

/* read_and_clear_dirty over [iova, last] (one chunk of the bitmap). */
static int iopt_dirty_chunk(struct iommu_domain *domain, unsigned long flags,
			    struct iopt_dirty_user *u, uint64_t *data,
			    uint64_t iova, uint64_t last)
{
	uint64_t w0 = ((iova - u->iova) >> u->pgshift) / 64;
	uint64_t nw = ((last - u->iova) >> u->pgshift) / 64 - w0 + 1;
	int rc;

	if (copy_from_user(u->words, uptr_add(data, (uint64_t)w0 * 8), nw * 8) ||
	    copy_to_user(uptr_add(data, (uint64_t)w0 * 8), u->words, nw * 8))
		return -EFAULT;
	u->w0 = w0;
	rc = domain->ops->read_and_clear_dirty(domain, iova, last - iova + 1,
					       flags, &u->dirty);
	if (rc)
		return rc;
	return copy_to_user(uptr_add(data, (uint64_t)w0 * 8), u->words, nw * 8) ? -EFAULT : 0;
}

int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommu_domain *domain,
				   unsigned long flags,
				   struct iommu_hwpt_get_dirty_bitmap *bitmap)
{
	struct iopt_dirty_user u = {
		.dirty = { .record = iopt_dirty_record },
		.iova = bitmap->iova,
	};
	uint64_t *data = (uint64_t *)(uintptr_t)bitmap->data;
	uint64_t align = iopt->iova_alignment, last_iova, span;
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	int rc = 0;

	if (!bitmap->length ||
	    check_add_overflow_u64(bitmap->iova, bitmap->length - 1,
				   &last_iova))
		return -EOVERFLOW;
	/* uAPI: the range and the bitmap's page size align to the IOAS's. */
	if ((bitmap->iova & (align - 1)) || ((last_iova + 1) & (align - 1)))
		return -EINVAL;
	if (!bitmap->page_size)
		return -EINVAL;
	if ((bitmap->iova & (bitmap->page_size - 1)) ||
	    ((last_iova + 1) & (bitmap->page_size - 1)))
		return -EINVAL;
	if (!domain->ops->read_and_clear_dirty)
		return -EOPNOTSUPP;
	u.pgshift = __builtin_ctzll(bitmap->page_size);
	/* Whole words, so that a chunk never needs one more than it has. */
	span = (uint64_t)(IOPT_DIRTY_CHUNK_WORDS - 1) * 64;
	span = u.pgshift > (unsigned int)__builtin_clzll(span) ?
		       UINT64_MAX : span << u.pgshift;
	u.words = ufi_malloc(IOPT_DIRTY_CHUNK_WORDS * sizeof(*u.words));
	if (!u.words)
		return -ENOMEM;

	iopt_for_each_contig_area(&iter, area, iopt, bitmap->iova, last_iova) {
		uint64_t last = min_t(uint64_t, last_iova,
				      iopt_area_last_iova(area));
		uint64_t cur = iter.cur_iova;

		while (!rc) {
			uint64_t end = last - cur < span ? last :
							   cur + span - 1;

			rc = iopt_dirty_chunk(domain, flags, &u, data, cur,
					      end);
			if (end == last)
				break;
			cur = end + 1;
		}
		if (rc)
			break;
	}
	free(u.words);
	if (rc)
		return rc;
	if (!iopt_contig_done(&iter))
		return -EINVAL;
	return 0;
}
