/*
 * mm.c - the shim's memory interposers: keep pinned memory where the device
 * sees it (munmap, mmap(MAP_FIXED), mremap, madvise), and mmap() of emulated
 * fds (core/file.c keeps the mappings).  Behaviour and its limits, against
 * the kernel's: docs/mmap.md.
 *
 * The kernel's IOMMU holds a reference on every pinned page, so a program
 * may munmap() a buffer that is still mapped in an IOAS and DMA keeps
 * reaching the same pages.  In uiommu a page's "physical address" is its
 * address in this process, so the shim defers munmap() of pinned pages:
 * the unpinned parts of the range are unmapped at once, the pinned parts
 * stay mapped (the program must not touch them, as after a real munmap) and
 * are unmapped when their last pin goes (iopt_unpinned_hook).
 *
 * Invariants: deferred ranges are page aligned and never overlap (a second
 * munmap over a deferred range merges into it); a deferred range is unmapped
 * once, when no byte of it is pinned any more, and forgotten at that moment
 * so a later mapping at the same address is never touched.
 *
 * Over pinned pages, mmap(MAP_FIXED) and mremap() that would move them are
 * refused (ENOMEM): a pinned page must stay at its address, which is its
 * "physical" address.  madvise() that would drop pages skips pinned ones.
 * Every interposer makes the raw syscall (no dlsym, no recursion) and is
 * safe before any uiommu state exists (the loader and libc call mmap early).
 */
#undef _FILE_OFFSET_BITS

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uiommu/uiommu.h>

#include "core/file.h"
#include "core/io_pagetable.h"
#include "util/compiler.h"
#include "util/interval_tree.h"

struct deferred_unmap {
	struct interval_tree_node node;
	struct deferred_unmap *next;	/* on a local list once removed */
};

/* Leaf lock; taken after none of uiommu's other locks but the context's. */
static pthread_mutex_t deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static struct interval_tree_root deferred_tree = INTERVAL_TREE_ROOT_INIT;

static long sys_munmap(uintptr_t addr, uintptr_t len)
{
	return syscall(SYS_munmap, addr, len);
}

static uintptr_t page_size(void)
{
	static uintptr_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/* Remember [start, last] as unmapped by the program but kept for DMA. */
static void deferred_add(struct deferred_unmap *d, uintptr_t start,
			 uintptr_t last)
{
	struct deferred_unmap *merged = NULL;
	struct interval_tree_node *n;

	pthread_mutex_lock(&deferred_lock);
	while ((n = interval_tree_iter_first(&deferred_tree, start, last))) {
		struct deferred_unmap *old = container_of(n, struct deferred_unmap,
							  node);

		interval_tree_remove(n, &deferred_tree);
		start = min_t(uintptr_t, start, n->start);
		last = max_t(uintptr_t, last, n->last);
		old->next = merged;
		merged = old;
	}
	d->node.start = start;
	d->node.last = last;
	interval_tree_insert(&d->node, &deferred_tree);
	pthread_mutex_unlock(&deferred_lock);
	while (merged) {
		struct deferred_unmap *next = merged->next;

		free(merged);
		merged = next;
	}
}

static void shim_unpinned(uintptr_t va, uint64_t length)
{
	struct deferred_unmap *done = NULL;
	struct interval_tree_node *n, *next;
	uint64_t last;

	if (!length || check_add_overflow_u64(va, length - 1, &last))
		return;
	pthread_mutex_lock(&deferred_lock);
	for (n = interval_tree_iter_first(&deferred_tree, va, last); n; n = next) {
		struct deferred_unmap *d = container_of(n, struct deferred_unmap,
							node);

		next = interval_tree_iter_next(n, va, last);
		if (iopt_range_pinned(n->start, n->last - n->start + 1))
			continue;
		interval_tree_remove(n, &deferred_tree);
		d->next = done;
		done = d;
	}
	pthread_mutex_unlock(&deferred_lock);
	while (done) {
		struct deferred_unmap *d = done;

		done = d->next;
		sys_munmap(d->node.start, d->node.last - d->node.start + 1);
		free(d);
	}
}

/*
 * A forked child inherits a copy of the pin registry that names its
 * parent's pins, which do not hold the child's pages: when there were any,
 * the refusals below (MAP_FIXED, mremap, madvise) no longer apply in it.
 */
static bool mm_pinned_at_fork;
static bool mm_forked;

static void shim_mm_fork_prepare(void)
{
	uintptr_t pstart, plast;

	mm_pinned_at_fork = iopt_first_pinned(0, UINTPTR_MAX, &pstart, &plast);
}

static void shim_mm_fork_child(void)
{
	if (mm_pinned_at_fork)
		mm_forked = true;
}

__attribute__((constructor)) static void shim_mm_init(void)
{
	__atomic_store_n(&iopt_unpinned_hook, shim_unpinned, __ATOMIC_RELEASE);
	pthread_atfork(shim_mm_fork_prepare, NULL, shim_mm_fork_child);
}

__uiommu_public int munmap(void *addr, size_t len)
{
	uintptr_t ps = page_size(), start = (uintptr_t)addr, end, cursor;
	uintptr_t pstart, plast;
	long ret;

	/* Bad arguments, and the common case of nothing pinned: the kernel. */
	if (!len || (start & (ps - 1)) || start + len < start ||
	    !iopt_first_pinned(start, len, &pstart, &plast)) {
		ret = sys_munmap(start, len);
		if (ret < 0)
			return -1;
		ufile_maps_unmapped(start, len);
		return 0;
	}
	ufile_maps_unmapped(start, len);
	end = ALIGN_UP(start + len, ps);
	if (end < start) {
		errno = EINVAL;
		return -1;
	}
	cursor = start;
	while (cursor < end &&
	       iopt_first_pinned(cursor, end - cursor, &pstart, &plast)) {
		struct deferred_unmap *d = malloc(sizeof(*d));

		pstart = ALIGN_DOWN(pstart, ps);
		plast = ALIGN_UP(plast + 1, ps) - 1;
		if (!d) {
			errno = ENOMEM;
			return -1;
		}
		if (pstart > cursor && sys_munmap(cursor, pstart - cursor) < 0) {
			free(d);
			return -1;
		}
		deferred_add(d, pstart, plast);
		cursor = plast + 1;
	}
	if (cursor < end && sys_munmap(cursor, end - cursor) < 0)
		return -1;
	/* A pin may have gone between the checks above: settle it now. */
	shim_unpinned(start, end - start);
	return 0;
}

/* Is any page of [@start, @start + @len) pinned (or kept for DMA)? */
static bool range_pinned(uintptr_t start, uintptr_t len)
{
	uintptr_t pstart, plast;

	return !mm_forked && len && start + len > start &&
	       iopt_first_pinned(start, len, &pstart, &plast);
}

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	uintptr_t ps = page_size();
	void *out;
	long p;
	int ret;

	/*
	 * New memory over a pinned page: the kernel would keep the old page
	 * for the device while the process sees the new one, but here a
	 * page's address is its physical address (docs/remote.md).
	 */
	if ((flags & MAP_FIXED) && !((uintptr_t)addr & (ps - 1)) &&
	    range_pinned((uintptr_t)addr, ALIGN_UP(len, ps))) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	if (!(flags & MAP_ANONYMOUS) && ufile_fd_maybe(fd) &&
	    uiommu_is_fd(fd)) {
		ret = ufile_mmap(fd, addr, len, prot, flags, off, &out);
		if (ret) {
			errno = -ret;
			return MAP_FAILED;
		}
		return out;
	}
	p = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	if (p == -1)
		return MAP_FAILED;
	if (flags & MAP_FIXED)
		ufile_maps_unmapped(p, len);
	return (void *)p;
}

__uiommu_public void *mmap(void *addr, size_t len, int prot, int flags,
			   int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

__uiommu_public void *mmap64(void *addr, size_t len, int prot, int flags,
			     int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

/*
 * mremap() of pinned memory: growing or shrinking in place is the kernel's
 * (a shrunk tail that is pinned is kept for DMA, as by munmap); moving it
 * is refused with ENOMEM, the kernel's answer when it cannot grow in place
 * without MREMAP_MAYMOVE, since the device must keep the pages where they
 * are.  Mappings of emulated fds may move whole (VM_DONTEXPAND: growing is
 * EFAULT).
 */
__uiommu_public void *mremap(void *old, size_t old_len, size_t new_len,
			     int flags, ...)
{
	uintptr_t ps = page_size(), start = (uintptr_t)old;
	void *new_addr = NULL;
	bool moving;
	va_list ap;
	long p;
	int ret;

	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	/* Bad arguments and old_len 0 (a second mapping): the kernel's. */
	if ((start & (ps - 1)) || !old_len || !new_len)
		goto pass;
	ret = ufile_maps_mremap_check(start, old_len, new_len);
	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	moving = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
	if ((flags & MREMAP_FIXED) &&
	    range_pinned((uintptr_t)new_addr, ALIGN_UP(new_len, ps))) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	if (range_pinned(start, ALIGN_UP(old_len, ps))) {
		if (moving) {
			errno = ENOMEM;
			return MAP_FAILED;
		}
		if (ALIGN_UP(new_len, ps) < ALIGN_UP(old_len, ps)) {
			uintptr_t keep = ALIGN_UP(new_len, ps);

			if (munmap((void *)(start + keep),
				   ALIGN_UP(old_len, ps) - keep))
				return MAP_FAILED;
			return old;
		}
		/* Grow in place only; the kernel says ENOMEM if it can't. */
		p = syscall(SYS_mremap, old, old_len, new_len, 0);
		return p == -1 ? MAP_FAILED : (void *)p;
	}
pass:
	p = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (p == -1)
		return MAP_FAILED;
	if (old_len && new_len && p != (long)start) {
		if (flags & MREMAP_FIXED)
			ufile_maps_unmapped(p, new_len);
		ufile_maps_moved(start, p, new_len);
	} else if (old_len) {
		ufile_maps_moved(start, p, new_len);
	}
	return (void *)p;
}

static bool advice_frees(int advice)
{
	return advice == MADV_DONTNEED || advice == MADV_FREE ||
	       advice == MADV_REMOVE || advice == MADV_DONTNEED_LOCKED;
}

/*
 * madvise() that would drop pages (DONTNEED, DONTNEED_LOCKED, FREE,
 * REMOVE) leaves pinned pages alone: the device keeps seeing what it saw,
 * and so does the process (the kernel would give the process fresh zero
 * pages there, and the device the old ones: docs/remote.md).  The
 * unpinned parts of the range get the advice.
 */
__uiommu_public int madvise(void *addr, size_t len, int advice)
{
	uintptr_t ps = page_size(), start = (uintptr_t)addr, end, cursor;
	uintptr_t pstart, plast;

	if (!advice_frees(advice) || (start & (ps - 1)) || !len ||
	    !range_pinned(start, ALIGN_UP(len, ps)))
		return syscall(SYS_madvise, addr, len, advice) ? -1 : 0;
	end = ALIGN_UP(start + len, ps);
	cursor = start;
	while (cursor < end &&
	       iopt_first_pinned(cursor, end - cursor, &pstart, &plast)) {
		pstart = ALIGN_DOWN(pstart, ps);
		plast = ALIGN_UP(plast + 1, ps) - 1;
		if (pstart > cursor &&
		    syscall(SYS_madvise, cursor, pstart - cursor, advice))
			return -1;
		cursor = plast + 1;
	}
	if (cursor < end && syscall(SYS_madvise, cursor, end - cursor, advice))
		return -1;
	return 0;
}
