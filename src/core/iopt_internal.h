/*
 * iopt_internal.h - the private vocabulary of the IOAS files (ioas.c,
 * io_pagetable.c, pages.c, access.c): areas, pages objects and accesses.
 *
 * An area is a window of IOVA [node.start, node.last] onto a slice of one
 * pages object, starting at byte start_byte of that object.  A pages object
 * (struct iopt_pages) is a run of whole host pages: user memory at base, or
 * a file range seen through uiommu's own shared mapping of the file.  Areas
 * of several IOAS may share one pages object (IOAS_COPY, area splits); it is
 * refcounted and freed with its last area.
 *
 * Pinning.  A pages object's page is pinned while at least one hold covers
 * it.  Holds are taken by areas while their IOAS has at least one domain
 * (one hold per area, whatever the number of domains) and by access pins.
 * A hold on every page of the object is counted in whole_holds; other holds
 * live in the holds tree as counted spans.  A page becomes pinned on its
 * first hold (faulted in with the right permission, accounted, entered into
 * the process-wide pin registry) and unpinned on its last.
 *
 * Invariants, under ictx->lock:
 *   - every area of an iopt is mapped in every domain of that iopt, and
 *     holds its index range of its pages object iff the iopt has a domain;
 *   - pages->npinned is the number of pinned pages and exactly what is
 *     accounted (pages->account_mode, pages->source_uid);
 *   - an area with num_accesses != 0 has access holds on its pages.
 *
 * Index vocabulary: "index" is a page number inside a pages object,
 * "start_byte" a byte offset inside it; last/last_index are inclusive.
 */
#ifndef UIOMMU_CORE_IOPT_INTERNAL_H
#define UIOMMU_CORE_IOPT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/io_pagetable.h"

/* The host page size, and log2 of it; set before main() by pages.c. */
extern uint64_t iopt_page_size;
extern unsigned int iopt_page_shift;
#define IOPT_PAGE_SIZE iopt_page_size
#define IOPT_PAGE_SHIFT iopt_page_shift

enum iopt_address_type {
	IOPT_ADDRESS_USER = 0,
	IOPT_ADDRESS_FILE = 1,
};

struct iopt_file;
struct pin_acct;

/*
 * Created by iopt_alloc_user_pages()/iopt_alloc_file_pages() with one
 * reference for the caller; each area holds one reference.
 */
struct iopt_pages {
	uint32_t refs;
	uint32_t whole_holds;		/* holds covering [0, npages - 1] */
	uint8_t type;			/* enum iopt_address_type */
	bool writable;
	uint8_t account_mode;		/* enum iopt_pages_account_mode */
	uint8_t visited;		/* scratch for IOAS_CHANGE_PROCESS */
	struct pin_acct *pin_acct;	/* pages.c: whose rings, NULL ours */
	uid_t source_uid;		/* whose RLIMIT_MEMLOCK pays (USER) */
	uint64_t npages;
	uintptr_t base;			/* host address of page index 0 */
	uint64_t npinned;
	struct iopt_file *file;		/* FILE: the mapping behind base */
	/* Memory another process mapped (remote.c): that process, whose
	 * exit makes pages no hold kept unavailable. */
	bool borrowed;
	int source_pidfd;
	struct interval_tree_root holds; /* partial holds (counted spans) */
	struct interval_tree_root ring_regs; /* pages.c: io_uring buffers */
};

struct iopt_area {
	struct interval_tree_node node;	/* IOVA, in iopt->area_itree */
	struct iopt_pages *pages;
	uint64_t start_byte;		/* byte of pages at node.start */
	uint32_t num_accesses;		/* access pins inside the area */
	uint16_t num_locks;		/* pins that forbid unmap (EBUSY) */
	uint8_t iommu_prot;		/* IOMMU_READ/WRITE/CACHE */
	bool prevent_access;		/* unmap in progress: no new pins */
};

struct iopt_allowed {
	struct interval_tree_node node;
};

struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

/* One domain attached to an iopt (io_pagetable.c). */
struct iopt_domain_ref {
	struct list_head link;		/* in iopt->domains */
	struct iommu_domain *domain;
};

/*
 * An in-process user of an IOAS without a domain (access.c).  Created by
 * iommufd_access_create(), which holds one users reference for the driver
 * until iommufd_access_destroy().
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;	/* new pins go here, or NULL */
	struct iommufd_ioas *ioas_unpin; /* where existing pins live */
	const struct iommufd_access_ops *ops;
	void *data;
	uint64_t iova_alignment;
	struct list_head iopt_link;	/* in ioas->iopt.accesses */
};

static inline uint64_t iopt_area_iova(const struct iopt_area *area)
{
	return area->node.start;
}

static inline uint64_t iopt_area_last_iova(const struct iopt_area *area)
{
	return area->node.last;
}

static inline uint64_t iopt_area_length(const struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

static inline uint64_t iopt_area_page_offset(const struct iopt_area *area)
{
	return area->start_byte & (IOPT_PAGE_SIZE - 1);
}

static inline uint64_t iopt_area_start_byte(const struct iopt_area *area,
					    uint64_t iova)
{
	return area->start_byte + (iova - area->node.start);
}

static inline uint64_t iopt_area_index(const struct iopt_area *area)
{
	return area->start_byte >> IOPT_PAGE_SHIFT;
}

static inline uint64_t iopt_area_last_index(const struct iopt_area *area)
{
	return (area->start_byte + iopt_area_length(area) - 1) >>
	       IOPT_PAGE_SHIFT;
}

static inline uint64_t iopt_area_iova_to_index(const struct iopt_area *area,
					       uint64_t iova)
{
	return iopt_area_start_byte(area, iova) >> IOPT_PAGE_SHIFT;
}

static inline struct iopt_area *
iopt_area_from_node(struct interval_tree_node *n)
{
	return n ? container_of(n, struct iopt_area, node) : NULL;
}

static inline struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
						     uint64_t start,
						     uint64_t last)
{
	return iopt_area_from_node(
		interval_tree_iter_first(&iopt->area_itree, start, last));
}

static inline struct iopt_area *iopt_area_iter_next(struct iopt_area *area,
						    uint64_t start,
						    uint64_t last)
{
	return iopt_area_from_node(
		interval_tree_iter_next(&area->node, start, last));
}

#define iopt_for_each_area(area, iopt, start, last)                           \
	for (area = iopt_area_iter_first(iopt, start, last); area;            \
	     area = iopt_area_iter_next(area, start, last))

/*
 * Walk the areas covering [iova, last_iova] while they follow each other
 * without a hole.  After the loop, iopt_contig_done() says whether the
 * whole range was covered.
 */
struct iopt_contig_iter {
	uint64_t cur_iova;
	uint64_t last_iova;
	struct iopt_area *area;
};

struct iopt_area *iopt_contig_first(struct iopt_contig_iter *iter,
				    struct io_pagetable *iopt, uint64_t iova,
				    uint64_t last_iova);
struct iopt_area *iopt_contig_next(struct iopt_contig_iter *iter);

static inline bool iopt_contig_done(const struct iopt_contig_iter *iter)
{
	return iter->area && iter->last_iova <= iopt_area_last_iova(iter->area);
}

#define iopt_for_each_contig_area(iter, area, iopt, iova, last_iova)          \
	for (area = iopt_contig_first(iter, iopt, iova, last_iova); area;     \
	     area = iopt_contig_next(iter))

static inline bool iopt_area_check_prot(const struct iopt_area *area,
					unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return area->iommu_prot & IOMMU_WRITE;
	return area->iommu_prot & IOMMU_READ;
}

/* ---- pages.c ------------------------------------------------------------ */

/*
 * A pages object over user memory [uptr, uptr + length), extended to whole
 * pages; *start_byte receives uptr's offset in it.  Nothing is touched.
 * ERR_PTR(-EOVERFLOW / -EINVAL / -ENOMEM).
 */
struct iopt_pages *iopt_alloc_user_pages(uintptr_t uptr, uint64_t length,
					 bool writable, uint64_t *start_byte);
/*
 * A pages object over [start, start + length) of the file open at @fd,
 * reached through a shared mapping uiommu makes (so the caller may close
 * @fd).  ERR_PTR(-EBADF / -EOVERFLOW / -EINVAL / -EPERM / -ENOMEM).
 */
struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start,
					 uint64_t length, bool writable,
					 uint64_t *start_byte);
void iopt_pages_get(struct iopt_pages *pages);
void iopt_pages_put(struct iopt_pages *pages);
/* The user address (USER) or file offset (FILE) of byte 0 of @pages. */
uint64_t iopt_pages_origin(const struct iopt_pages *pages);

/*
 * Take a hold on page indexes [index, last_index]: pages not yet pinned are
 * faulted in (write access if pages->writable), accounted and registered.
 * 0, -EFAULT (USER memory not there or not writable), -EINVAL (FILE range
 * not backed), -ENOMEM (RLIMIT_MEMLOCK or allocation).  Nothing changes on
 * failure.
 */
int iopt_pages_hold(struct iopt_pages *pages, uint64_t index,
		    uint64_t last_index);
/* Drop a hold taken by iopt_pages_hold() on the same range. */
void iopt_pages_unhold(struct iopt_pages *pages, uint64_t index,
		       uint64_t last_index);

static inline uintptr_t iopt_pages_va(const struct iopt_pages *pages,
				      uint64_t start_byte)
{
	return pages->base + start_byte;
}

/* Copy between @data and bytes of @pages (IOMMUFD_ACCESS_RW_* flags). */
int iopt_pages_rw(struct iopt_pages *pages, uint64_t start_byte, void *data,
		  uint64_t length, unsigned int flags);

/*
 * IOAS_CHANGE_PROCESS: the caller (this process, or the remote caller being
 * served) becomes the accounting owner of the @n distinct pages objects of
 * @list, all or nothing: 0 or -ENOMEM (the caller's limit).
 */
int iopt_pages_change_process(struct iopt_pages **list, size_t n);
/* ---- io_pagetable.c ----------------------------------------------------- */

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);
/*
 * Pick an IOVA for @length bytes of memory starting at user address (or
 * file offset) @addr, as the kernel's allocator does: 0, -EOVERFLOW,
 * -EINVAL (alignment below the IOAS's), -ENOSPC.
 */
int iopt_alloc_iova(struct io_pagetable *iopt, uint64_t *iova, uint64_t addr,
		    uint64_t length);

/* One slice of pages to map (IOAS_COPY may give several). */
struct iopt_pages_list {
	struct iopt_pages *pages;	/* a reference owned by the element */
	uint64_t start_byte;
	uint64_t length;
};

/*
 * Map @n slices back to back at *dst_iova (or an allocated IOVA with
 * IOPT_ALLOC_IOVA).  On success each element's pages reference has moved
 * into an area (elm->pages is NULL); on failure nothing changed and the
 * caller still owns the references.
 */
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *elms,
		   size_t n, uint64_t length, uint64_t *dst_iova,
		   int iommu_prot, unsigned int flags);
/*
 * The slices of pages covering [iova, iova + length), taking a reference
 * on each: *elms is malloc()ed, *n set.  -EINVAL, -EOVERFLOW, -ENOENT (a
 * hole), -ENOMEM.
 */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list **elms, size_t *n);
void iopt_free_pages_list(struct iopt_pages_list *elms, size_t n);

/*
 * Swap @allowed in as the allowed ranges: 0 (*allowed now holds the old
 * ones) or -EADDRINUSE (unchanged).  The caller frees *allowed.
 */
int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct interval_tree_root *allowed);
/* Recompute iova_alignment: 0 or -EADDRINUSE (an area would misalign). */
int iopt_calculate_iova_alignment(struct io_pagetable *iopt);

/* ---- access.c ----------------------------------------------------------- */

/*
 * Tell every access attached to @iopt to drop its pins inside
 * [iova, iova + length); unmap retries until they have.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				 uint64_t length);

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access);

#endif
