/*
 * pages.c - the memory behind an IOAS: pages objects, pinning, accounting,
 * the process-wide pin registry and uiommu's own mappings of files.
 *
 * "Physical" addresses are host virtual addresses of this process.  A pages
 * object (see iopt_internal.h) covers whole host pages at pages->base: the
 * caller's own memory for IOAS_MAP, or uiommu's mapping of a file for
 * IOAS_MAP_FILE.  Nothing is touched until the first hold on a page (a
 * domain or an access): then the page is faulted in with
 * MADV_POPULATE_WRITE/READ, which fails where the kernel's pin_user_pages()
 * would (unmapped, or read-only when write was asked), accounted against
 * RLIMIT_MEMLOCK, and entered in the pin registry.
 *
 * Counted spans.  Holds of one pages object (page indexes) and the pin
 * registry (host addresses) are both kept as interval trees of disjoint
 * spans, each with a count; adjacent spans always differ in count (they are
 * merged otherwise).  Adding may fail only for memory and changes nothing
 * then; removing never fails (a static reserve of nodes covers malloc
 * failure on that path, as the kernel's unpin paths never fail).
 *
 * Files.  For each file (device, inode) there is one shared mapping
 * (struct iopt_file) of a generous window of it, made with the caller's fd
 * and kept while any pages object uses it, so every IOAS_MAP_FILE of the
 * same file byte gives the same physical address and the caller may close
 * its fd.  A window is mapped read-only until a writable map needs it
 * writable, and then stays writable while it lives (so a write seal waits
 * for the last map of the file, not just the last writable one).  As in
 * the kernel, only shmem (memfd, tmpfs) and hugetlbfs files can be pinned;
 * others, and files that cannot be mapped at all, are accepted and fail
 * with EINVAL when a domain or access needs them.
 *
 * Accounting.  As in the kernel, USER mode charges the real uid, MM mode
 * the process, and a process with CAP_IPC_LOCK at map time is not charged.
 * Pinned runs are also registered as io_uring fixed buffers (see "kernel-
 * visible pin accounting" below), so the host kernel holds real long-term
 * pins and shows the pages in VmPin.  Who enforces RLIMIT_MEMLOCK:
 *   - a process without CAP_IPC_LOCK in its permitted set ("charged"
 *     rings): the kernel, for USER-mode pins of writable memory -- the
 *     user's locked_vm across all its processes, ENOMEM past the limit,
 *     exactly as iommufd's USER mode (io_uring also charges its own ring
 *     memory, 2 pages per ring on Linux 6.18, to the same counter);
 *   - MM mode: the kernel too, through VmLck (see "MM mode in VmLck");
 *   - otherwise (a privileged process, which could raise CAP_IPC_LOCK
 *     anyway; read-only or hugetlbfs memory; no io_uring): this file's own
 *     counters, which see only this process's pins.
 *
 * Locks: pages objects are guarded by ictx->lock of their context; the pin
 * registry, the file list, the accounting counters and the io_uring rings
 * are process-wide and each has its own mutex, taken under ictx->lock and
 * never together, except ring_lock -> account_lock (IOAS_CHANGE_PROCESS);
 * the node reserve's lock is innermost.  Nothing here is fork-aware except
 * that a child leaves inherited rings and its VmLck region alone (they
 * count in the parent's mm): a child must not use a context it inherited (the
 * front ends route it to the owner).  A child's IOMMU_IOAS_MAP arrives from remote.c as the same
 * memory in another form (IOMMU_IOAS_MAP_FILE of a memfd or of its shared
 * file, or our own address of shared memory); such pages are "borrowed":
 * once the child has exited, pages no hold kept cannot be had (EFAULT), as
 * the kernel cannot pin user pages of a dead mm.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/iopt_internal.h"
#include "util/caps.h"
#include "util/fault_inject.h"
#include "util/sys.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

uint64_t iopt_page_size = 4096;
unsigned int iopt_page_shift = 12;

__attribute__((constructor)) static void iopt_page_size_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0 && !(ps & (ps - 1))) {
		iopt_page_size = ps;
		iopt_page_shift = __builtin_ctzl(ps);
	}
}

/* ---- counted spans ------------------------------------------------------ */

struct iopt_span {
	struct interval_tree_node node;
	uint64_t count;
};

/* Nodes reserved for paths that must not fail (span_sub). */
#define SPAN_RESERVE 64
static struct iopt_span span_reserve[SPAN_RESERVE];
static uint64_t span_reserve_used;
static pthread_mutex_t span_reserve_lock = PTHREAD_MUTEX_INITIALIZER;

static struct iopt_span *span_alloc_nofail(void)
{
	struct iopt_span *s = ufi_malloc(sizeof(*s));
	unsigned int i;

	if (s)
		return s;
	pthread_mutex_lock(&span_reserve_lock);
	for (i = 0; i < SPAN_RESERVE; i++) {
		if (!(span_reserve_used & (1ull << i))) {
			span_reserve_used |= 1ull << i;
			s = &span_reserve[i];
			break;
		}
	}
	pthread_mutex_unlock(&span_reserve_lock);
	if (!s)
		abort();
	return s;
}

static void span_free(struct iopt_span *s)
{
	if (s >= span_reserve && s < span_reserve + SPAN_RESERVE) {
		pthread_mutex_lock(&span_reserve_lock);
		span_reserve_used &= ~(1ull << (s - span_reserve));
		pthread_mutex_unlock(&span_reserve_lock);
		return;
	}
	free(s);
}

static struct iopt_span *span_of(struct interval_tree_node *n)
{
	return n ? container_of(n, struct iopt_span, node) : NULL;
}

static struct iopt_span *span_at(struct interval_tree_root *root, uint64_t x)
{
	return span_of(interval_tree_iter_first(root, x, x));
}

/* Nodes taken from malloc() up front so that span_add cannot fail half way. */
struct span_spare {
	struct iopt_span *nodes[8];
	struct iopt_span **extra;
	size_t n, cap;
};

static int span_spare_fill(struct span_spare *sp, size_t want)
{
	memset(sp, 0, sizeof(*sp));
	if (want > ARRAY_SIZE(sp->nodes)) {
		sp->extra = ufi_malloc(want * sizeof(*sp->extra));
		if (!sp->extra)
			return -ENOMEM;
	}
	sp->cap = want;
	for (; sp->n < want; sp->n++) {
		struct iopt_span *s = ufi_malloc(sizeof(*s));

		if (!s)
			goto err;
		if (sp->extra)
			sp->extra[sp->n] = s;
		else
			sp->nodes[sp->n] = s;
	}
	return 0;
err:
	while (sp->n) {
		sp->n--;
		free(sp->extra ? sp->extra[sp->n] : sp->nodes[sp->n]);
	}
	free(sp->extra);
	return -ENOMEM;
}

static struct iopt_span *span_spare_take(struct span_spare *sp)
{
	if (!sp)
		return span_alloc_nofail();
	if (NEVER(!sp->n))
		return span_alloc_nofail();
	sp->n--;
	return sp->extra ? sp->extra[sp->n] : sp->nodes[sp->n];
}

static void span_spare_release(struct span_spare *sp)
{
	while (sp->n) {
		sp->n--;
		free(sp->extra ? sp->extra[sp->n] : sp->nodes[sp->n]);
	}
	free(sp->extra);
}

static void span_insert(struct interval_tree_root *root, struct iopt_span *s,
			uint64_t start, uint64_t last, uint64_t count)
{
	s->node.start = start;
	s->node.last = last;
	s->count = count;
	interval_tree_insert(&s->node, root);
}

/* Make @at the first value of a span if a span covers both at - 1 and at. */
static void span_split(struct interval_tree_root *root, uint64_t at,
		       struct span_spare *sp)
{
	struct iopt_span *s, *rhs;
	uint64_t last;

	if (!at)
		return;
	s = span_at(root, at);
	if (!s || s->node.start == at)
		return;
	last = s->node.last;
	interval_tree_remove(&s->node, root);
	s->node.last = at - 1;
	interval_tree_insert(&s->node, root);
	rhs = span_spare_take(sp);
	span_insert(root, rhs, at, last, s->count);
}

/* Join the spans ending at at - 1 and starting at at if their counts match. */
static void span_merge(struct interval_tree_root *root, uint64_t at)
{
	struct iopt_span *lhs, *rhs;

	if (!at)
		return;
	lhs = span_at(root, at - 1);
	rhs = span_at(root, at);
	if (!lhs || !rhs || lhs == rhs || lhs->count != rhs->count)
		return;
	interval_tree_remove(&rhs->node, root);
	interval_tree_remove(&lhs->node, root);
	lhs->node.last = rhs->node.last;
	interval_tree_insert(&lhs->node, root);
	span_free(rhs);
}

/* Nodes span_add() may need over [start, last]. */
static size_t span_add_needs(struct interval_tree_root *root, uint64_t start,
			     uint64_t last)
{
	struct interval_tree_span_iter it;
	size_t holes = 0;

	interval_tree_for_each_span(&it, root, start, last)
		holes += it.is_hole;
	return holes + 2;
}

/*
 * Add one to the count of every value of [start, last]; @fn is told of each
 * run that goes from 0 to 1.  @sp holds span_add_needs() nodes.
 */
static void span_add(struct interval_tree_root *root, uint64_t start,
		     uint64_t last, struct span_spare *sp,
		     void (*fn)(void *arg, uint64_t start, uint64_t last),
		     void *arg)
{
	uint64_t pos = start;

	span_split(root, start, sp);
	if (last != UINT64_MAX)
		span_split(root, last + 1, sp);
	for (;;) {
		struct iopt_span *s =
			span_of(interval_tree_iter_first(root, pos, last));
		uint64_t hole_last = s ? s->node.start - 1 : last;

		if (!s || s->node.start > pos) {
			span_insert(root, span_spare_take(sp), pos, hole_last,
				    1);
			if (fn)
				fn(arg, pos, hole_last);
			if (!s)
				break;
		}
		s->count++;
		if (s->node.last >= last)
			break;
		pos = s->node.last + 1;
	}
	span_merge(root, start);
	if (last != UINT64_MAX)
		span_merge(root, last + 1);
}

/*
 * Take one from the count of every value of [start, last], which must all
 * be counted; @fn is told of each run that goes to 0.  Never fails.
 */
static void span_sub(struct interval_tree_root *root, uint64_t start,
		     uint64_t last,
		     void (*fn)(void *arg, uint64_t start, uint64_t last),
		     void *arg)
{
	uint64_t pos = start;

	span_split(root, start, NULL);
	if (last != UINT64_MAX)
		span_split(root, last + 1, NULL);
	for (;;) {
		struct iopt_span *s = span_at(root, pos);
		uint64_t s_last;

		if (NEVER(!s))
			break;
		s_last = s->node.last;
		if (!--s->count) {
			interval_tree_remove(&s->node, root);
			if (fn)
				fn(arg, s->node.start, s_last);
			span_free(s);
		}
		if (s_last >= last)
			break;
		pos = s_last + 1;
	}
	span_merge(root, start);
	if (last != UINT64_MAX)
		span_merge(root, last + 1);
}

static void span_destroy_all(struct interval_tree_root *root)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_first(root))) {
		interval_tree_remove(n, root);
		span_free(span_of(n));
	}
}

/* ---- the pin registry --------------------------------------------------- */

static struct interval_tree_root pin_registry = INTERVAL_TREE_ROOT_INIT;
static pthread_mutex_t pin_registry_lock = PTHREAD_MUTEX_INITIALIZER;

static int pin_registry_add(uintptr_t va, uint64_t length)
{
	struct span_spare sp;
	uint64_t last = va + length - 1;
	int rc;

	pthread_mutex_lock(&pin_registry_lock);
	rc = span_spare_fill(&sp, span_add_needs(&pin_registry, va, last));
	if (!rc) {
		span_add(&pin_registry, va, last, &sp, NULL, NULL);
		span_spare_release(&sp);
	}
	pthread_mutex_unlock(&pin_registry_lock);
	return rc;
}

void (*iopt_unpinned_hook)(uintptr_t va, uint64_t length);

static void pin_registry_sub(uintptr_t va, uint64_t length)
{
	void (*hook)(uintptr_t, uint64_t);

	pthread_mutex_lock(&pin_registry_lock);
	span_sub(&pin_registry, va, va + length - 1, NULL, NULL);
	pthread_mutex_unlock(&pin_registry_lock);
	hook = __atomic_load_n(&iopt_unpinned_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook(va, length);
}

bool iopt_first_pinned(uintptr_t va, uint64_t length, uintptr_t *start,
		       uintptr_t *last)
{
	struct interval_tree_node *n;
	uint64_t end_last;

	if (!length)
		return false;
	if (check_add_overflow_u64(va, length - 1, &end_last))
		end_last = UINT64_MAX;
	pthread_mutex_lock(&pin_registry_lock);
	n = interval_tree_iter_first(&pin_registry, va, end_last);
	if (n) {
		*start = n->start < va ? va : n->start;
		*last = n->last > end_last ? end_last : n->last;
	}
	pthread_mutex_unlock(&pin_registry_lock);
	return n;
}

unsigned int iopt_pin_refs(uintptr_t va)
{
	struct iopt_span *s;
	unsigned int refs;

	pthread_mutex_lock(&pin_registry_lock);
	s = span_at(&pin_registry, va);
	refs = s ? s->count : 0;
	pthread_mutex_unlock(&pin_registry_lock);
	return refs;
}

bool iopt_range_pinned(uintptr_t va, uint64_t length)
{
	uint64_t last;
	bool pinned;

	if (!length)
		return false;
	if (check_add_overflow_u64(va, length - 1, &last))
		last = UINT64_MAX;
	pthread_mutex_lock(&pin_registry_lock);
	pinned = interval_tree_iter_first(&pin_registry, va, last);
	pthread_mutex_unlock(&pin_registry_lock);
	return pinned;
}

/* ---- accounting --------------------------------------------------------- */

static void iopt_pages_release_acct(struct iopt_pages *pages);

struct uid_account {
	uid_t uid;
	uint64_t locked;		/* pages */
};

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uid_account *uid_accounts;
static size_t num_uid_accounts;
static uint64_t mm_locked;		/* this process's MM-mode pages */

static uint64_t memlock_limit_pages(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur >> IOPT_PAGE_SHIFT;
}

/* The counter of @uid, created on first use; NULL only for -ENOMEM. */
static struct uid_account *uid_account_get(uid_t uid)
{
	struct uid_account *a;
	size_t i;

	for (i = 0; i < num_uid_accounts; i++)
		if (uid_accounts[i].uid == uid)
			return &uid_accounts[i];
	a = ufi_realloc(uid_accounts, (num_uid_accounts + 1) * sizeof(*a));
	if (!a)
		return NULL;
	uid_accounts = a;
	a = &uid_accounts[num_uid_accounts++];
	a->uid = uid;
	a->locked = 0;
	return a;
}

/*
 * MM mode in VmLck.  The kernel's MM mode charges mm->locked_vm, the counter
 * mlock() uses.  This process shows its MM-mode pins there with one
 * PROT_NONE, MAP_NORESERVE anonymous region, mlock2()ed with MLOCK_ONFAULT,
 * as long as those pins: the kernel counts it in locked_vm and applies
 * RLIMIT_MEMLOCK to it together with the program's own mlock()s (ENOMEM
 * past it unless CAP_IPC_LOCK), just as for iommufd's MM mode, and no memory
 * is ever behind it; mremap() resizes it.  The region also shows pages a
 * forked child took over with IOAS_CHANGE_PROCESS (mm_adopted, see
 * remote.c).  Where it cannot be made (no mlock2) the limit is checked here
 * against this process's pins alone.  Guarded by account_lock.
 */
static uint64_t mm_adopted;		/* MM-mode pages another process moved here */
static void *lock_va;
static uint64_t lock_pages;
static uint64_t lock_hidden;		/* counted before fork(): not ours */
static pid_t lock_pid;

/*
 * Make the region show @total MM-mode pages: 0, -ENOMEM (the kernel's
 * limit), -ENOSYS.  A forked child does not inherit locked_vm, so what the
 * counters held at fork() is not shown (a keeper may still unpin it).
 */
static int lock_region_set(uint64_t total)
{
	uint64_t npages;
	size_t len;
	void *va;

	if (lock_pid != getpid()) {
		/* Inherited over fork(): mlock() is not, and that copy is ours. */
		if (lock_va)
			syscall(SYS_munmap, lock_va,
				(size_t)(lock_pages << IOPT_PAGE_SHIFT));
		lock_va = NULL;
		lock_pages = 0;
		lock_hidden = lock_pid ? mm_locked + mm_adopted : 0;
		lock_pid = getpid();
	}
	if (total < lock_hidden)
		lock_hidden = total;
	npages = total - lock_hidden;
	if (npages == lock_pages)
		return 0;
	if (!npages) {
		syscall(SYS_munmap, lock_va, (size_t)(lock_pages << IOPT_PAGE_SHIFT));
		lock_va = NULL;
		lock_pages = 0;
		return 0;
	}
	if (npages > SIZE_MAX >> IOPT_PAGE_SHIFT)
		return -ENOMEM;
	len = npages << IOPT_PAGE_SHIFT;
	if (!lock_va) {
		va = (void *)syscall(SYS_mmap, NULL, len, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				     -1, 0);
		if (va == MAP_FAILED)
			return -ENOMEM;
		if (syscall(SYS_mlock2, va, len, MLOCK_ONFAULT)) {
			int err = errno;

			syscall(SYS_munmap, va, len);
			return err == ENOMEM || err == EPERM || err == EAGAIN ?
				       -ENOMEM :
				       -ENOSYS;
		}
	} else {
		va = (void *)syscall(SYS_mremap, lock_va,
				     (size_t)(lock_pages << IOPT_PAGE_SHIFT), len,
				     MREMAP_MAYMOVE);
		if (va == MAP_FAILED)
			return errno == ENOSYS ? -ENOSYS : -ENOMEM;
	}
	lock_va = va;
	lock_pages = npages;
	return 0;
}

/*
 * Charge @npages pinned pages in @mode to @uid (USER) or to the process
 * (MM): this one, or, with @mm, another whose pins are counted in *@mm.
 * 0, or -ENOMEM past RLIMIT_MEMLOCK.
 */
static int account_charge(uint8_t mode, uid_t uid, uint64_t *mm,
			  uint64_t npages)
{
	struct uid_account *a;
	uint64_t limit, *counter;
	int rc = 0;

	if (mode == IOPT_PAGES_ACCOUNT_NONE || !npages)
		return 0;
	limit = memlock_limit_pages();
	pthread_mutex_lock(&account_lock);
	if (mode == IOPT_PAGES_ACCOUNT_USER) {
		a = uid_account_get(uid);
		if (!a) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		counter = &a->locked;
	} else if (mm) {
		counter = mm;
	} else {
		counter = &mm_locked;
		if (mm_locked + npages < mm_locked) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		/* uAPI: past RLIMIT_MEMLOCK is ENOMEM: the kernel's own check. */
		rc = lock_region_set(mm_locked + mm_adopted + npages);
		if (rc != -ENOSYS) {
			if (!rc)
				mm_locked += npages;
			goto out_unlock;
		}
		rc = 0;
	}
	/* uAPI: pinning past RLIMIT_MEMLOCK is ENOMEM. */
	if (*counter + npages < *counter || *counter + npages > limit) {
		if (mode == IOPT_PAGES_ACCOUNT_USER ||
		    !uiommu_capable(CAP_IPC_LOCK)) {
			rc = -ENOMEM;
			goto out_unlock;
		}
	}
	*counter += npages;
out_unlock:
	pthread_mutex_unlock(&account_lock);
	return rc;
}

static void account_uncharge(uint8_t mode, uid_t uid, uint64_t *mm,
			     uint64_t npages)
{
	struct uid_account *a;

	if (mode == IOPT_PAGES_ACCOUNT_NONE || !npages)
		return;
	pthread_mutex_lock(&account_lock);
	if (mode == IOPT_PAGES_ACCOUNT_USER) {
		a = uid_account_get(uid);
		if (!NEVER(!a || a->locked < npages))
			a->locked -= npages;
	} else if (mm) {
		if (!NEVER(*mm < npages))
			*mm -= npages;
	} else if (!NEVER(mm_locked < npages)) {
		mm_locked -= npages;
		lock_region_set(mm_locked + mm_adopted);
	}
	pthread_mutex_unlock(&account_lock);
}

void iopt_mm_adopt(uint64_t npages)
{
	pthread_mutex_lock(&account_lock);
	if (!lock_region_set(mm_locked + mm_adopted + npages))
		mm_adopted += npages;
	pthread_mutex_unlock(&account_lock);
}

/* ---- uiommu's mappings of files ----------------------------------------- */

struct iopt_file {
	struct list_head link;		/* in file_list */
	dev_t dev;
	ino_t ino;
	uint64_t start;			/* file offset mapped at base */
	uint64_t size;			/* bytes mapped at base */
	uintptr_t base;
	bool writable;
	bool pinnable;			/* shmem or hugetlbfs */
	bool hugetlb;
	unsigned int refs;		/* pages objects using it */
};

static struct list_head file_list = LIST_HEAD_INIT(file_list);
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;

/* Windows start at file offset 0 and are at least this big... */
#define FILE_WINDOW_MIN (64ull << 20)
/* ...unless the range lies beyond this offset: then just the range. */
#define FILE_WINDOW_FAR (1ull << 40)

static uint64_t roundup_pow_of_two_u64(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

static int mmap_errno(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		/* uAPI: a writable map needs a writable, unsealed file. */
		return -EPERM;
	case ENODEV:
	case EINVAL:
		return -EINVAL;
	case EOVERFLOW:
		return -EOVERFLOW;
	case EBADF:
		return -EBADF;
	default:
		return -ENOMEM;
	}
}

/* Can @fd be mapped with @prot at @offset?  0 or mmap()'s -errno. */
static int file_check_prot(int fd, uint64_t offset, int prot)
{
	void *p = mmap(NULL, IOPT_PAGE_SIZE, prot, MAP_SHARED, fd,
		       (off_t)offset);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, IOPT_PAGE_SIZE);
	return 0;
}

/*
 * A file that cannot be mapped (a pipe, a socket): the kernel accepts it
 * and fails when it must pin, so it gets a window with nothing in it.
 */
static struct iopt_file *file_unbacked(uint64_t start)
{
	struct iopt_file *f = ufi_calloc(1, sizeof(*f));

	if (!f)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&f->link);
	f->start = start;
	f->refs = 1;
	return f;
}

/* Try to make @f cover up to file offset @end by mapping right after it. */
static bool file_grow(struct iopt_file *f, int fd, uint64_t end,
		      uint64_t align)
{
	uint64_t size = ALIGN_UP(roundup_pow_of_two_u64(end - f->start) * 2,
				 align);
	uint64_t more = size - f->size;
	void *want = (void *)(f->base + f->size);
	void *p;

	if (f->start + size < f->start || f->start + size > FILE_WINDOW_FAR)
		return false;
	p = mmap(want, more, PROT_READ | (f->writable ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED_NOREPLACE, fd,
		 (off_t)(f->start + f->size));
	if (p == MAP_FAILED)
		return false;
	if (p != want) {
		munmap(p, more);
		return false;
	}
	f->size = size;
	return true;
}

/*
 * The window of @fd's file covering [start, end) (page aligned), with a
 * reference for the caller.  Windows are only ever upgraded to writable.
 */
static struct iopt_file *file_get(int fd, uint64_t start, uint64_t end,
				  bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	struct iopt_file *f;
	struct statfs sfs;
	struct stat st;
	uint64_t align;
	void *p;
	int rc;

	if (fstat(fd, &st) || fstatfs(fd, &sfs))
		return ERR_PTR(errno == EBADF ? -EBADF : -EINVAL);
	align = max_t(uint64_t, IOPT_PAGE_SIZE, sfs.f_bsize);
	if (align & (align - 1))
		align = IOPT_PAGE_SIZE;
	/* The permission of this fd is checked, whatever window it ends in. */
	rc = file_check_prot(fd, ALIGN_DOWN(start, align), prot);
	if (rc == -ENODEV)
		return file_unbacked(start);
	if (rc)
		return ERR_PTR(mmap_errno(-rc));

	pthread_mutex_lock(&file_lock);
	list_for_each_entry(f, &file_list, link) {
		if (f->dev != st.st_dev || f->ino != st.st_ino ||
		    start < f->start)
			continue;
		if (end > f->start + f->size && !file_grow(f, fd, end, align))
			continue;
		if (writable && !f->writable) {
			p = sys_mmap((void *)f->base, f->size, prot,
				     MAP_SHARED | MAP_FIXED, fd,
				     (off_t)f->start);
			if (p == MAP_FAILED) {
				f = ERR_PTR(mmap_errno(errno));
				goto out_unlock;
			}
			f->writable = true;
		}
		f->refs++;
		goto out_unlock;
	}

	f = ufi_calloc(1, sizeof(*f));
	if (!f) {
		f = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	if (end <= FILE_WINDOW_FAR) {
		f->start = 0;
		f->size = max_t(uint64_t, roundup_pow_of_two_u64(end) * 2,
				FILE_WINDOW_MIN);
	} else {
		f->start = ALIGN_DOWN(start, align);
		f->size = end - f->start;
	}
	f->size = ALIGN_UP(f->size, align);
	p = mmap(NULL, f->size, prot, MAP_SHARED, fd, (off_t)f->start);
	if (p == MAP_FAILED) {
		rc = mmap_errno(errno);
		free(f);
		f = ERR_PTR(rc);
		goto out_unlock;
	}
	f->base = (uintptr_t)p;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->writable = writable;
	f->hugetlb = sfs.f_type == HUGETLBFS_MAGIC;
	f->pinnable = sfs.f_type == TMPFS_MAGIC || f->hugetlb;
	f->refs = 1;
	list_add(&f->link, &file_list);
out_unlock:
	pthread_mutex_unlock(&file_lock);
	return f;
}

static void file_put(struct iopt_file *f)
{
	pthread_mutex_lock(&file_lock);
	if (!--f->refs) {
		list_del(&f->link);
		if (f->size)
			munmap((void *)f->base, f->size);
		free(f);
	}
	pthread_mutex_unlock(&file_lock);
}

/* One line of /proc/self/maps around @va: 0, or -ENOENT. */
static int maps_lookup(const char *path, uintptr_t va, uint64_t *file_off,
		       dev_t *dev, ino_t *ino, bool *shared)
{
	char line[512];
	FILE *fp = fopen(path, "re");
	int rc = -ENOENT;

	if (!fp)
		return rc;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long start, end, off, inode;
		unsigned int maj, min;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end,
			   perms, &off, &maj, &min, &inode) != 7)
			continue;
		if (va < start || va >= end)
			continue;
		*file_off = off + (va - start);
		*dev = makedev(maj, min);
		*ino = inode;
		*shared = perms[3] == 's';
		rc = 0;
		break;
	}
	fclose(fp);
	return rc;
}

uintptr_t iopt_user_va_to_phys(uintptr_t va)
{
	struct uaccess_target *t = uaccess_target_get();
	char path[64] = "/proc/self/maps";
	uintptr_t phys = va;
	struct iopt_file *f;
	uint64_t off;
	bool shared;
	dev_t dev;
	ino_t ino;

	/* A remote caller's address is looked up in its own maps. */
	if (t)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->pid);
	pthread_mutex_lock(&file_lock);
	if (!t)
		list_for_each_entry(f, &file_list, link)
			if (va >= f->base && va - f->base < f->size)
				goto out_unlock;
	if (list_empty(&file_list))
		goto out_unlock;
	pthread_mutex_unlock(&file_lock);

	if (maps_lookup(path, va, &off, &dev, &ino, &shared) || !shared ||
	    !ino)
		return va;

	pthread_mutex_lock(&file_lock);
	list_for_each_entry(f, &file_list, link) {
		if (f->dev == dev && f->ino == ino && off >= f->start &&
		    off - f->start < f->size) {
			phys = f->base + (off - f->start);
			break;
		}
	}
out_unlock:
	pthread_mutex_unlock(&file_lock);
	return phys;
}

/* ---- pages objects ------------------------------------------------------ */

static struct iopt_pages *iopt_alloc_pages(uint64_t start_byte,
					   uint64_t length, bool writable)
{
	struct iopt_pages *pages;

	/* uAPI: zero or absurd lengths are EINVAL. */
	if (!length || length > SIZE_MAX - IOPT_PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	pages = ufi_calloc(1, sizeof(*pages));
	if (!pages)
		return ERR_PTR(-ENOMEM);
	pages->refs = 1;
	pages->writable = writable;
	pages->npages = (length + start_byte + IOPT_PAGE_SIZE - 1) >>
			IOPT_PAGE_SHIFT;
	/* uAPI: CAP_IPC_LOCK at map time exempts the pages from accounting. */
	if (uiommu_capable(CAP_IPC_LOCK)) {
		pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	} else {
		pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
		pages->source_uid = getuid();
	}
	return pages;
}

/* Remote IOMMU_IOAS_MAP (see remote.c): remember whose memory it is. */
static void iopt_pages_borrow(struct iopt_pages *pages)
{
	struct uaccess_target *t = uaccess_target_get();
	int pidfd;

	if (!t || !t->borrowed)
		return;
	pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	if (pidfd < 0)
		return;
	pages->borrowed = true;
	pages->source_pidfd = pidfd;
}

/* uAPI: an exited process's pages are there only while something holds them. */
static bool iopt_pages_source_gone(const struct iopt_pages *pages)
{
	struct pollfd p = { .fd = pages->source_pidfd, .events = POLLIN };

	return pages->borrowed && poll(&p, 1, 0) == 1;
}

struct iopt_pages *iopt_alloc_user_pages(uintptr_t uptr, uint64_t length,
					 bool writable, uint64_t *start_byte)
{
	uintptr_t uptr_down = ALIGN_DOWN(uptr, IOPT_PAGE_SIZE);
	struct iopt_pages *pages;
	uint64_t end;

	if (check_add_overflow_u64(uptr, length, &end))
		return ERR_PTR(-EOVERFLOW);
	pages = iopt_alloc_pages(uptr - uptr_down, length, writable);
	if (IS_ERR(pages))
		return pages;
	pages->type = IOPT_ADDRESS_USER;
	pages->base = uptr_down;
	iopt_pages_borrow(pages);
	*start_byte = uptr - uptr_down;
	return pages;
}

struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start,
					 uint64_t length, bool writable,
					 uint64_t *start_byte)
{
	uint64_t start_down = ALIGN_DOWN(start, IOPT_PAGE_SIZE);
	struct iopt_pages *pages;
	struct iopt_file *f;
	uint64_t last;

	if (length && check_add_overflow_u64(start, length - 1, &last))
		return ERR_PTR(-EOVERFLOW);
	pages = iopt_alloc_pages(start - start_down, length, writable);
	if (IS_ERR(pages))
		return pages;
	/* mmap() offsets are signed. */
	if (start_down + (pages->npages << IOPT_PAGE_SHIFT) > INT64_MAX) {
		free(pages);
		return ERR_PTR(-EOVERFLOW);
	}
	f = file_get(fd, start_down,
		     start_down + (pages->npages << IOPT_PAGE_SHIFT), writable);
	if (IS_ERR(f)) {
		free(pages);
		return (void *)f;
	}
	pages->type = IOPT_ADDRESS_FILE;
	pages->file = f;
	iopt_pages_borrow(pages);
	pages->base = f->base + (start_down - f->start);
	*start_byte = start - start_down;
	return pages;
}

void iopt_pages_get(struct iopt_pages *pages)
{
	pages->refs++;
}

void iopt_pages_put(struct iopt_pages *pages)
{
	if (--pages->refs)
		return;
	NEVER(pages->npinned || pages->whole_holds ||
	      !interval_tree_empty(&pages->holds) ||
	      !interval_tree_empty(&pages->ring_regs));
	span_destroy_all(&pages->holds);
	iopt_pages_release_acct(pages);
	if (pages->file)
		file_put(pages->file);
	if (pages->borrowed)
		close(pages->source_pidfd);
	free(pages);
}

uint64_t iopt_pages_origin(const struct iopt_pages *pages)
{
	if (pages->type == IOPT_ADDRESS_FILE)
		return pages->file->start + (pages->base - pages->file->base);
	return pages->base;
}

/* ---- kernel-visible pin accounting (io_uring fixed buffers) ------------- */

/*
 * Each pinned run of a pages object is also registered as io_uring fixed
 * buffers, which takes real long-term pins and makes the kernel count the
 * pages in mm->pinned_vm (VmPin) and, for a ring made without CAP_IPC_LOCK,
 * in the user's locked_vm against RLIMIT_MEMLOCK.  Runs of different pages
 * objects over the same memory are registered separately, so the count is
 * per pages object as in the kernel.
 *
 * io_uring charges the mm and user of the process that made the ring,
 * whichever process registers the buffers.  So the rings of a pin account
 * (struct pin_acct) stand for one process: this process's own account makes
 * rings as it needs them; after IOAS_CHANGE_PROCESS from another process (a
 * forked child served by remote.c) the pages move to an account of that
 * process, whose one ring the caller made and we took with pidfd_getfd()
 * (io_uring files cannot be passed with SCM_RIGHTS).  We register our own
 * mapping of the same pages in it: the pins leave our VmPin and show in the
 * caller's, as the kernel moves pinned_vm.  Such an account cannot grow:
 * pins past its ring's slots are held but not registered.
 *
 * Regimes, fixed when an account is made: a process that holds CAP_IPC_LOCK
 * in its permitted set makes its rings with it ("free" rings: VmPin only)
 * and RLIMIT_MEMLOCK stays enforced here (see Accounting); any other
 * process makes "charged" rings and USER-mode pins are charged and refused
 * (ENOMEM) by the kernel alone.  Not registered, so counted only
 * internally: read-only pages objects (fixed buffers are always pinned for
 * writing), hugetlbfs files (the kernel would charge whole huge pages),
 * MM-mode and NONE-mode pins in a charged regime, and everything when
 * io_uring is unavailable (ENOSYS, EPERM: seccomp, sysctl
 * kernel.io_uring_disabled) or UIOMMU_NO_IO_URING is set.  A buffer is at
 * most 1 GiB and a ring holds RING_SLOTS of them.  Cost: one
 * io_uring_register() per pinned run and about 100 bytes per registered
 * buffer.  Accounts made by another process (inherited over fork) are dead
 * here: their registrations are forgotten, not undone.
 */
#define RING_SLOTS 16384u		/* io_uring's IORING_MAX_REG_BUFFERS */
#define RING_BUF_MAX (1ull << 30)	/* io_uring's largest fixed buffer */

struct pin_ring {
	int fd;
	uint32_t next;			/* slots never used start here */
	uint32_t nfree;
	uint32_t *free;			/* released slots */
};

struct pin_acct {
	struct list_head link;		/* in acct_list */
	unsigned int refs;		/* registrations, pages objects, users */
	pid_t pid;			/* the process the rings charge */
	pid_t holder;			/* the process holding their fds */
	uid_t uid;			/* real uid the rings charge */
	bool charged;			/* rings charge user->locked_vm */
	bool fixed;			/* the caller's ring only: make no more */
	uint64_t mm_pages;		/* its MM-mode pins (account_lock) */
	uint32_t nrings;
	struct pin_ring *rings;
};

/* One registered buffer: host addresses [start, last]. */
struct pin_reg {
	struct interval_tree_node node;	/* in pages->ring_regs */
	struct pin_acct *acct;
	uint32_t ring;
	uint32_t slot;
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_head acct_list = LIST_HEAD_INIT(acct_list);
static struct pin_acct *own_acct;	/* this process's, when own_state 1 */
static int own_state;			/* 0 not tried, 1 usable, -1 not */
static pid_t own_pid;			/* whose own_state that is */

static int ring_caps(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };

	return syscall(SYS_capget, &hdr, data);
}

static int ring_set_caps(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };

	return syscall(SYS_capset, &hdr, data);
}

static bool caps_permit_ipc_lock(const struct __user_cap_data_struct *caps)
{
	return caps[CAP_IPC_LOCK / 32].permitted & (1u << (CAP_IPC_LOCK % 32));
}

static int ring_create(bool with_ipc_lock)
{
	struct __user_cap_data_struct caps[2], raised[2];
	uint32_t bit = 1u << (CAP_IPC_LOCK % 32);
	unsigned int w = CAP_IPC_LOCK / 32;
	struct io_uring_rsrc_register reg = {
		.nr = RING_SLOTS,
		.flags = IORING_RSRC_REGISTER_SPARSE,
	};
	struct io_uring_params p = {};
	bool restore = false;
	int fd, err;

	if (ring_caps(caps))
		return -errno;
	memcpy(raised, caps, sizeof(raised));
	if (with_ipc_lock && !(caps[w].effective & bit)) {
		raised[w].effective |= bit;
		restore = true;
	} else if (!with_ipc_lock && (caps[w].effective & bit)) {
		raised[w].effective &= ~bit;
		restore = true;
	}
	if (restore && ring_set_caps(raised))
		return -errno;
	fd = syscall(SYS_io_uring_setup, 1, &p);
	err = errno;
	if (restore)
		ring_set_caps(caps);
	if (fd < 0)
		return -err;
	if (syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS2, &reg,
		    sizeof(reg)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int iopt_pin_ring_make(bool *charged)
{
	struct __user_cap_data_struct caps[2];

	if (getenv("UIOMMU_NO_IO_URING") || ring_caps(caps))
		return -EOPNOTSUPP;
	*charged = !caps_permit_ipc_lock(caps);
	return ring_create(!*charged);
}

static struct pin_acct *acct_new(pid_t pid, uid_t uid, bool charged,
				 bool fixed)
{
	struct pin_acct *a = ufi_calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->refs = 1;
	a->pid = pid;
	a->holder = own_pid;
	a->uid = uid;
	a->charged = charged;
	a->fixed = fixed;
	list_add(&a->link, &acct_list);
	return a;
}

/* Give ring @fd to @a: 0, or -ENOMEM (@fd is then still the caller's). */
static int acct_add_ring(struct pin_acct *a, int fd)
{
	struct pin_ring *grown;

	grown = ufi_realloc(a->rings, (a->nrings + 1) * sizeof(*a->rings));
	if (!grown)
		return -ENOMEM;
	a->rings = grown;
	memset(&a->rings[a->nrings], 0, sizeof(*a->rings));
	a->rings[a->nrings++].fd = fd;
	return 0;
}

static void acct_drop_rings(struct pin_acct *a)
{
	for (uint32_t i = 0; i < a->nrings; i++) {
		close(a->rings[i].fd);
		free(a->rings[i].free);
	}
	free(a->rings);
	a->rings = NULL;
	a->nrings = 0;
}

static void acct_put(struct pin_acct *a)
{
	if (--a->refs)
		return;
	list_del(&a->link);
	acct_drop_rings(a);
	free(a);
}

/* Are @a's registrations ours to undo (not inherited over fork)? */
static bool acct_alive(const struct pin_acct *a)
{
	return a->holder == own_pid;
}

/*
 * After fork(): every account the parent made is dead here (its rings
 * count in the parent's or a third process's mm); close our copies.
 */
static void accts_check_fork(void)
{
	struct pin_acct *a, *n;
	pid_t pid = getpid();

	if (own_pid == pid)
		return;
	own_pid = pid;
	own_state = 0;
	list_for_each_entry_safe(a, n, &acct_list, link)
		acct_drop_rings(a);
	if (own_acct)
		acct_put(own_acct);
	own_acct = NULL;
}

/* Called with ring_lock held: this process's account, or NULL. */
static struct pin_acct *own_ready(void)
{
	struct __user_cap_data_struct caps[2];
	struct pin_acct *a;
	int fd;

	accts_check_fork();
	if (own_state)
		return own_state > 0 ? own_acct : NULL;
	own_state = -1;
	if (getenv("UIOMMU_NO_IO_URING") || ring_caps(caps))
		return NULL;
	a = acct_new(own_pid, getuid(), !caps_permit_ipc_lock(caps), false);
	if (!a)
		return NULL;
	fd = ring_create(!a->charged);
	if (fd < 0 || acct_add_ring(a, fd)) {
		if (fd >= 0)
			close(fd);
		acct_put(a);
		return NULL;
	}
	own_acct = a;
	own_state = 1;
	return a;
}

/* A free slot of @a (*ring, *slot): 0, -ENOSPC (fixed and full), -ENOMEM. */
static int ring_slot_get(struct pin_acct *a, uint32_t *ring, uint32_t *slot)
{
	struct pin_ring *r;
	uint32_t i;
	int fd;

	for (i = 0; i < a->nrings; i++) {
		r = &a->rings[i];
		if (r->nfree) {
			*ring = i;
			*slot = r->free[--r->nfree];
			return 0;
		}
		if (r->next < RING_SLOTS) {
			*ring = i;
			*slot = r->next++;
			return 0;
		}
	}
	if (a->fixed)
		return -ENOSPC;
	fd = ring_create(!a->charged);
	if (fd < 0)
		return -ENOMEM;
	if (acct_add_ring(a, fd)) {
		close(fd);
		return -ENOMEM;
	}
	*ring = a->nrings - 1;
	*slot = a->rings[*ring].next++;
	return 0;
}

static void ring_slot_put(struct pin_acct *a, uint32_t ring, uint32_t slot)
{
	struct pin_ring *r = &a->rings[ring];

	if (!r->free) {
		r->free = ufi_malloc(RING_SLOTS * sizeof(*r->free));
		if (!r->free)
			return;	/* the slot is lost, nothing else */
	}
	r->free[r->nfree++] = slot;
}

/* Point slot @slot of @ring at [va, va + len) (len 0: empty it). */
static int ring_slot_set(struct pin_acct *a, uint32_t ring, uint32_t slot,
			 uintptr_t va, uint64_t len)
{
	struct iovec iov = { .iov_base = (void *)va, .iov_len = len };
	struct io_uring_rsrc_update2 up = {
		.offset = slot,
		.data = (uintptr_t)&iov,
		.nr = 1,
	};

	if (syscall(SYS_io_uring_register, a->rings[ring].fd,
		    IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up)) < 0)
		return -errno;
	return 0;
}

static void ring_reg_drop(struct interval_tree_root *regs,
			  struct pin_reg *reg)
{
	if (acct_alive(reg->acct)) {
		ring_slot_set(reg->acct, reg->ring, reg->slot, 0, 0);
		ring_slot_put(reg->acct, reg->ring, reg->slot);
	}
	interval_tree_remove(&reg->node, regs);
	acct_put(reg->acct);
	free(reg);
}

/* Register [va, last] in @a, in buffers of at most RING_BUF_MAX. */
static int ring_reg_add(struct pin_acct *a, struct interval_tree_root *regs,
			uintptr_t va, uintptr_t last)
{
	while (va <= last) {
		uint64_t len = min_t(uint64_t, last - va + 1, RING_BUF_MAX);
		struct pin_reg *reg = ufi_malloc(sizeof(*reg));
		int rc;

		if (!reg)
			return -ENOMEM;
		rc = ring_slot_get(a, &reg->ring, &reg->slot);
		if (!rc) {
			rc = ring_slot_set(a, reg->ring, reg->slot, va, len);
			if (rc)
				ring_slot_put(a, reg->ring, reg->slot);
		}
		if (rc) {
			free(reg);
			return rc;
		}
		reg->acct = a;
		a->refs++;
		reg->node.start = va;
		reg->node.last = va + len - 1;
		interval_tree_insert(&reg->node, regs);
		va += len;
		if (!va)
			break;
	}
	return 0;
}

/*
 * Unregister [va, last]; buffers reaching outside are registered again for
 * what remains.  That can only fail if the user's limit was used up by
 * others in between: the remainder then stays pinned uncharged.
 */
static void ring_reg_sub(struct interval_tree_root *regs, uintptr_t va,
			 uintptr_t last)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_iter_first(regs, va, last))) {
		struct pin_reg *reg = container_of(n, struct pin_reg, node);
		struct pin_acct *a = reg->acct;
		uintptr_t s = n->start, l = n->last;
		bool ours = acct_alive(a);

		a->refs++;
		ring_reg_drop(regs, reg);
		if (ours && s < va)
			ring_reg_add(a, regs, s, va - 1);
		if (ours && l > last)
			ring_reg_add(a, regs, last + 1, l);
		acct_put(a);
	}
}

static void ring_reg_sub_all(struct interval_tree_root *regs)
{
	ring_reg_sub(regs, 0, UINTPTR_MAX);
}

/* Would @pages' pins be registered in @a, charging @uid? */
static bool ring_wanted(const struct iopt_pages *pages,
			const struct pin_acct *a, uid_t uid)
{
	if (!pages->writable)
		return false;
	if (pages->type == IOPT_ADDRESS_FILE && pages->file->hugetlb)
		return false;
	if (!a->charged)
		return true;
	return pages->account_mode == IOPT_PAGES_ACCOUNT_USER &&
	       uid == a->uid;
}

/* The MM-mode counter of @a's process (NULL: this process, VmLck). */
static uint64_t *acct_mm(struct pin_acct *a)
{
	return a ? &a->mm_pages : NULL;
}

/* Called with ring_lock held: the account @pages' pins go to, or NULL. */
static struct pin_acct *pages_acct(const struct iopt_pages *pages)
{
	return pages->pin_acct ? pages->pin_acct : own_ready();
}

/* What pages.c itself charges for @pages in @a: nothing if the kernel does. */
static uint8_t internal_mode_in(const struct iopt_pages *pages,
				const struct pin_acct *a, uid_t uid)
{
	if (pages->account_mode == IOPT_PAGES_ACCOUNT_NONE ||
	    (a && a->charged && ring_wanted(pages, a, uid)))
		return IOPT_PAGES_ACCOUNT_NONE;
	return pages->account_mode;
}

static uint8_t iopt_pages_internal_mode(const struct iopt_pages *pages)
{
	uint8_t mode;

	if (pages->account_mode == IOPT_PAGES_ACCOUNT_NONE)
		return IOPT_PAGES_ACCOUNT_NONE;
	pthread_mutex_lock(&ring_lock);
	mode = internal_mode_in(pages, pages_acct(pages), pages->source_uid);
	pthread_mutex_unlock(&ring_lock);
	return mode;
}

/* Called with ring_lock held: register [va, va + length) of @pages in @a. */
static int ring_register_in(struct iopt_pages *pages, struct pin_acct *a,
			    uid_t uid, struct interval_tree_root *regs,
			    uintptr_t va, uint64_t length)
{
	int rc;

	if (!a || !acct_alive(a) || !ring_wanted(pages, a, uid))
		return 0;
	rc = ring_reg_add(a, regs, va, va + length - 1);
	if (rc)
		ring_reg_sub(regs, va, va + length - 1);
	/* Free rings only show the pins, and a full fixed account cannot. */
	if (!a->charged || rc == -ENOSPC)
		return 0;
	if (rc && rc != -ENOMEM)
		return pages->type == IOPT_ADDRESS_FILE ? -EINVAL : -EFAULT;
	return rc;
}

static int ring_register(struct iopt_pages *pages, uintptr_t va,
			 uint64_t length)
{
	int rc;

	pthread_mutex_lock(&ring_lock);
	rc = ring_register_in(pages, pages_acct(pages), pages->source_uid,
			      &pages->ring_regs, va, length);
	pthread_mutex_unlock(&ring_lock);
	return rc;
}

static void ring_unregister(struct iopt_pages *pages, uintptr_t va,
			    uint64_t length)
{
	if (interval_tree_empty(&pages->ring_regs))
		return;
	pthread_mutex_lock(&ring_lock);
	accts_check_fork();
	ring_reg_sub(&pages->ring_regs, va, va + length - 1);
	pthread_mutex_unlock(&ring_lock);
}

/* ---- IOAS_CHANGE_PROCESS -------------------------------------------------- */

/* Register every pinned run of @pages in @a, into @regs. */
static int ring_register_pinned(struct iopt_pages *pages, struct pin_acct *a,
				uid_t uid, struct interval_tree_root *regs)
{
	struct interval_tree_span_iter it;
	int rc;

	if (!pages->npinned)
		return 0;
	if (pages->whole_holds)
		return ring_register_in(pages, a, uid, regs, pages->base,
					pages->npages << IOPT_PAGE_SHIFT);
	interval_tree_for_each_span(&it, &pages->holds, 0, pages->npages - 1) {
		if (it.is_hole)
			continue;
		rc = ring_register_in(
			pages, a, uid, regs,
			pages->base + (it.start_used << IOPT_PAGE_SHIFT),
			(it.last_used - it.start_used + 1) << IOPT_PAGE_SHIFT);
		if (rc)
			return rc;
	}
	return 0;
}

/* Does the kernel move @pages' charge to process @pid, user @uid? */
static bool change_needed(const struct iopt_pages *pages, pid_t pid,
			  uid_t uid)
{
	pid_t from = pages->pin_acct ? pages->pin_acct->pid : own_pid;

	switch (pages->account_mode) {
	case IOPT_PAGES_ACCOUNT_USER:
		return from != pid || pages->source_uid != uid;
	case IOPT_PAGES_ACCOUNT_MM:
		return from != pid;
	default:
		return false;
	}
}

/*
 * The caller of IOAS_CHANGE_PROCESS: this process (NULL), or the remote
 * caller being served, with the ring it made for its account (or none).
 */
static int change_target(struct pin_acct **to, pid_t *pid, uid_t *uid)
{
	struct uaccess_target *t = uaccess_target_get();
	int fd;

	*to = NULL;
	*pid = own_pid;
	*uid = getuid();
	if (!t)
		return 0;
	*pid = t->pid;
	*uid = t->uid;
	fd = uaccess_fd(UACCESS_FD_PIN_RING);
	*to = acct_new(t->pid, t->uid, t->ring_charged, true);
	if (!*to)
		return -ENOMEM;
	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0 && acct_add_ring(*to, fd))
			close(fd);
	}
	/* Without its ring the caller's pins are counted here. */
	if (!(*to)->nrings)
		(*to)->charged = false;
	return 0;
}

struct change_step {
	struct interval_tree_root regs;	/* the registrations in the new account */
	uint8_t old_mode, new_mode;	/* internal charge before / after */
	bool moving;
};

int iopt_pages_change_process(struct iopt_pages **list, size_t n)
{
	struct change_step *steps = ufi_calloc(n ? n : 1, sizeof(*steps));
	struct pin_acct *to, *dest;
	size_t i, done = 0;
	uint64_t adopted = 0;
	pid_t pid;
	uid_t uid;
	int rc;

	if (!steps)
		return -ENOMEM;
	pthread_mutex_lock(&ring_lock);
	accts_check_fork();
	rc = change_target(&to, &pid, &uid);
	if (rc)
		goto out_unlock;
	dest = to ? to : own_ready();

	/* Charge and register everything in the new owner first... */
	for (; done < n; done++) {
		struct iopt_pages *p = list[done];
		struct change_step *s = &steps[done];

		if (!change_needed(p, pid, uid))
			continue;
		s->old_mode = internal_mode_in(p, pages_acct(p), p->source_uid);
		s->new_mode = internal_mode_in(p, dest, uid);
		rc = account_charge(s->new_mode, uid, acct_mm(to), p->npinned);
		if (rc)
			goto err_undo;
		s->moving = true;
		rc = ring_register_pinned(p, dest, uid, &s->regs);
		if (rc)
			goto err_undo;
	}
	/* ...then let go of the old one (nothing here can fail). */
	for (i = 0; i < n; i++) {
		struct iopt_pages *p = list[i];
		struct change_step *s = &steps[i];

		if (!s->moving)
			continue;
		ring_reg_sub_all(&p->ring_regs);
		account_uncharge(s->old_mode, p->source_uid,
				 acct_mm(p->pin_acct), p->npinned);
		if (to && s->new_mode == IOPT_PAGES_ACCOUNT_MM)
			adopted += p->npinned;
		p->ring_regs = s->regs;
		if (p->pin_acct)
			acct_put(p->pin_acct);
		p->pin_acct = to;
		if (to)
			to->refs++;
		p->source_uid = uid;
	}
	/* The caller shows its new MM-mode pins in its own VmLck (remote.c). */
	if (to)
		uaccess_target_get()->mm_adopt = adopted;
	goto out_put;

err_undo:
	/* uAPI: a failed IOAS_CHANGE_PROCESS changes nothing. */
	for (i = 0; i <= done && i < n; i++) {
		struct change_step *s = &steps[i];

		if (!s->moving)
			continue;
		ring_reg_sub_all(&s->regs);
		account_uncharge(s->new_mode, uid, acct_mm(to), list[i]->npinned);
	}
out_put:
	if (to)
		acct_put(to);
out_unlock:
	pthread_mutex_unlock(&ring_lock);
	free(steps);
	return rc;
}

static void iopt_pages_release_acct(struct iopt_pages *pages)
{
	if (!pages->pin_acct)
		return;
	pthread_mutex_lock(&ring_lock);
	acct_put(pages->pin_acct);
	pages->pin_acct = NULL;
	pthread_mutex_unlock(&ring_lock);
}

/* ---- pinning ------------------------------------------------------------ */

static int populate_supported = -1;

/* Probe once whether the kernel knows MADV_POPULATE_* (Linux 5.14+). */
static bool iopt_populate_supported(void)
{
	if (populate_supported < 0) {
		uintptr_t page = ALIGN_DOWN((uintptr_t)&iopt_page_size,
					    IOPT_PAGE_SIZE);

		populate_supported = !madvise((void *)page, IOPT_PAGE_SIZE,
					      MADV_POPULATE_READ);
	}
	return populate_supported;
}

/*
 * Fault in pages [index, last_index] the way a long-term pin would:
 * 0, or -EFAULT (USER) / -EINVAL (FILE) when a page cannot be had.
 */
static int iopt_pages_populate(struct iopt_pages *pages, uint64_t index,
			       uint64_t last_index)
{
	uintptr_t va = pages->base + (index << IOPT_PAGE_SHIFT);
	uint64_t len = (last_index - index + 1) << IOPT_PAGE_SHIFT;
	int err = pages->type == IOPT_ADDRESS_FILE ? -EINVAL : -EFAULT;

	if (iopt_pages_source_gone(pages))
		return -EFAULT;
	/* uAPI: only shmem and hugetlbfs files can be pinned. */
	if (pages->type == IOPT_ADDRESS_FILE && !pages->file->pinnable)
		return -EINVAL;
	if (FAULT_POINT("populate"))
		return -ENOMEM;
	if (iopt_populate_supported()) {
		if (madvise((void *)va, len,
			    pages->writable ? MADV_POPULATE_WRITE :
					      MADV_POPULATE_READ))
			return err;
		return 0;
	}
	/* Old kernels: a read of each page at least proves it is there. */
	for (; len; len -= IOPT_PAGE_SIZE, va += IOPT_PAGE_SIZE) {
		char c;

		if (copy_from_host(&c, (void *)va, 1))
			return err;
	}
	return 0;
}

/* Undo the registration of pages [index, last_index] by @pages. */
static void iopt_pages_unregister(struct iopt_pages *pages, uint64_t index,
				  uint64_t last_index)
{
	uintptr_t va = pages->base + (index << IOPT_PAGE_SHIFT);
	uint64_t len = (last_index - index + 1) << IOPT_PAGE_SHIFT;

	ring_unregister(pages, va, len);
	pin_registry_sub(va, len);
}

/* Undo the registration of every hole of holds in [index, last_index]. */
static void iopt_pages_unregister_holes(struct iopt_pages *pages,
					uint64_t index, uint64_t last_index,
					uint64_t stop)
{
	struct interval_tree_span_iter it;

	interval_tree_for_each_span(&it, &pages->holds, index, last_index) {
		if (!it.is_hole)
			continue;
		if (it.start_hole >= stop)
			break;
		iopt_pages_unregister(pages, it.start_hole,
				      min_t(uint64_t, it.last_hole, stop - 1));
	}
}

int iopt_pages_hold(struct iopt_pages *pages, uint64_t index,
		    uint64_t last_index)
{
	bool whole = index == 0 && last_index == pages->npages - 1;
	struct interval_tree_span_iter it;
	struct span_spare sp = {};
	uint64_t newly = 0, done = index;
	uint8_t mode;
	int rc;

	if (NEVER(last_index < index || last_index >= pages->npages))
		return -EINVAL;
	mode = iopt_pages_internal_mode(pages);
	if (!whole) {
		rc = span_spare_fill(&sp, span_add_needs(&pages->holds, index,
							 last_index));
		if (rc)
			return rc;
	}

	if (!pages->whole_holds) {
		/* Pages covered by no hold yet are pinned now. */
		interval_tree_for_each_span(&it, &pages->holds, index,
					    last_index) {
			if (!it.is_hole)
				continue;
			rc = iopt_pages_populate(pages, it.start_hole,
						 it.last_hole);
			if (rc)
				goto err_free;
			newly += it.last_hole - it.start_hole + 1;
		}
		rc = account_charge(mode, pages->source_uid,
				    acct_mm(pages->pin_acct), newly);
		if (rc)
			goto err_free;
		interval_tree_for_each_span(&it, &pages->holds, index,
					    last_index) {
			if (!it.is_hole)
				continue;
			uintptr_t va = iopt_pages_va(
				pages, it.start_hole << IOPT_PAGE_SHIFT);
			uint64_t len = (it.last_hole - it.start_hole + 1)
				       << IOPT_PAGE_SHIFT;

			rc = pin_registry_add(va, len);
			if (rc)
				goto err_unregister;
			/* uAPI: past RLIMIT_MEMLOCK is ENOMEM (the kernel's). */
			rc = ring_register(pages, va, len);
			if (rc) {
				pin_registry_sub(va, len);
				goto err_unregister;
			}
			done = it.last_hole + 1;
		}
		pages->npinned += newly;
	}

	if (whole) {
		pages->whole_holds++;
	} else {
		span_add(&pages->holds, index, last_index, &sp, NULL, NULL);
		span_spare_release(&sp);
	}
	return 0;

err_unregister:
	iopt_pages_unregister_holes(pages, index, last_index, done);
	account_uncharge(mode, pages->source_uid, acct_mm(pages->pin_acct),
			 newly);
err_free:
	span_spare_release(&sp);
	return rc;
}

struct unhold_ctx {
	struct iopt_pages *pages;
	uint64_t unpinned;
};

static void iopt_pages_unhold_run(void *arg, uint64_t index,
				  uint64_t last_index)
{
	struct unhold_ctx *u = arg;

	if (u->pages->whole_holds)
		return;
	iopt_pages_unregister(u->pages, index, last_index);
	u->unpinned += last_index - index + 1;
}

void iopt_pages_unhold(struct iopt_pages *pages, uint64_t index,
		       uint64_t last_index)
{
	struct unhold_ctx u = { .pages = pages };
	struct interval_tree_span_iter it;

	if (index == 0 && last_index == pages->npages - 1) {
		if (NEVER(!pages->whole_holds))
			return;
		if (--pages->whole_holds)
			return;
		interval_tree_for_each_span(&it, &pages->holds, 0,
					    pages->npages - 1) {
			if (it.is_hole)
				iopt_pages_unhold_run(&u, it.start_hole,
						      it.last_hole);
		}
	} else {
		span_sub(&pages->holds, index, last_index,
			 iopt_pages_unhold_run, &u);
	}
	if (NEVER(u.unpinned > pages->npinned))
		u.unpinned = pages->npinned;
	pages->npinned -= u.unpinned;
	account_uncharge(iopt_pages_internal_mode(pages), pages->source_uid,
			 acct_mm(pages->pin_acct),
			 u.unpinned);
}

/* Is every page of [index, last_index] held? */
static bool iopt_pages_held(struct iopt_pages *pages, uint64_t index,
			    uint64_t last_index)
{
	struct interval_tree_span_iter it;

	if (pages->whole_holds)
		return true;
	interval_tree_for_each_span(&it, &pages->holds, index, last_index)
		if (it.is_hole)
			return false;
	return true;
}

int iopt_pages_rw(struct iopt_pages *pages, uint64_t start_byte, void *data,
		  uint64_t length, unsigned int flags)
{
	void *va = (void *)iopt_pages_va(pages, start_byte);
	int err = pages->type == IOPT_ADDRESS_FILE ? -EINVAL : -EFAULT;

	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	if (length && iopt_pages_source_gone(pages) &&
	    !iopt_pages_held(pages, start_byte >> IOPT_PAGE_SHIFT,
			     (start_byte + length - 1) >> IOPT_PAGE_SHIFT))
		return -EFAULT;
	if (pages->type == IOPT_ADDRESS_FILE && !pages->file->pinnable)
		return -EINVAL;
	if (flags & IOMMUFD_ACCESS_RW_WRITE) {
		if (copy_to_host(va, data, length))
			return err;
	} else {
		if (copy_from_host(data, va, length))
			return err;
	}
	return 0;
}
