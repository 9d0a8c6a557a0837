/*
 * file.c - the fd table and the device-node table.
 *
 * The fd table maps a kernel fd number to the emulated file installed there.
 * It is two-level (1024 chunks of 1024 slots) so it covers fds below 2^20
 * without a large up-front allocation; chunks are never freed.  Invariants:
 * every slot that holds a file holds one reference to it; a file's kfd is
 * one of the slots that hold it, a private dup it owns (kfd_private), or -1,
 * so its eventfd is never written through a number the kernel may already
 * have reused.
 *
 * fork: the handlers below hold both locks across fork() and let remote.c
 * set up the child's connections while the table cannot change; in the
 * child each file's reference count is recounted from the slots (references
 * of calls in flight in other threads of the parent do not exist there).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/file.h"
#include "core/remote.h"
#include "core/uaccess.h"
#include "util/compiler.h"
#include "util/fault_inject.h"
#include "util/sys.h"

#define FDT_CHUNK_SHIFT 10
#define FDT_CHUNK (1u << FDT_CHUNK_SHIFT)
#define FDT_MAX (FDT_CHUNK * FDT_CHUNK)

static pthread_rwlock_t fdt_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct ufile **fdt[FDT_CHUNK];
/* Leaf lock: ufile.kfd of every file and the orphan list. */
static pthread_mutex_t kfd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ufile *ufile_orphans;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void ufile_fork_prepare(void)
{
	remote_fork_quiesce();
	pthread_rwlock_wrlock(&fdt_lock);
	pthread_mutex_lock(&kfd_lock);
	remote_fork_prepare();
}

static void ufile_fork_parent(void)
{
	remote_fork_parent();
	pthread_mutex_unlock(&kfd_lock);
	pthread_rwlock_unlock(&fdt_lock);
}

static void ufile_refs_zero(struct ufile *f, void *arg)
{
	atomic_store_explicit(&f->refs, 0, memory_order_relaxed);
}

static void ufile_refs_count(struct ufile *f, void *arg)
{
	ufile_hold(f);
}

/* The child has one thread; a rwlock cannot be unlocked by a new tid. */
static void ufile_fork_child(void)
{
	pthread_mutex_init(&kfd_lock, NULL);
	pthread_rwlock_init(&fdt_lock, NULL);
	uaccess_after_fork();
	/* A keeper (remote.c) keeps the files as they are, and serves them. */
	if (!remote_fork_is_keeper()) {
		ufile_for_each_locked(ufile_refs_zero, NULL);
		ufile_for_each_locked(ufile_refs_count, NULL);
	}
	remote_fork_child();
}

void ufile_for_each_locked(void (*fn)(struct ufile *f, void *arg), void *arg)
{
	for (unsigned int hi = 0; hi < FDT_CHUNK; hi++) {
		if (!fdt[hi])
			continue;
		for (unsigned int lo = 0; lo < FDT_CHUNK; lo++)
			if (fdt[hi][lo])
				fn(fdt[hi][lo], arg);
	}
}

void ufile_for_each_fd(void (*fn)(int fd, struct ufile *f, void *arg),
		       void *arg)
{
	pthread_rwlock_rdlock(&fdt_lock);
	for (unsigned int hi = 0; hi < FDT_CHUNK; hi++) {
		if (!fdt[hi])
			continue;
		for (unsigned int lo = 0; lo < FDT_CHUNK; lo++)
			if (fdt[hi][lo])
				fn((int)(hi << FDT_CHUNK_SHIFT | lo),
				   fdt[hi][lo], arg);
	}
	pthread_rwlock_unlock(&fdt_lock);
}

static void ufile_fork_register(void)
{
	pthread_atfork(ufile_fork_prepare, ufile_fork_parent,
		       ufile_fork_child);
}

static struct ufile **fdt_slot(int fd, bool create)
{
	unsigned int hi, lo;

	if (fd < 0 || (unsigned int)fd >= FDT_MAX)
		return NULL;
	hi = (unsigned int)fd >> FDT_CHUNK_SHIFT;
	lo = (unsigned int)fd & (FDT_CHUNK - 1);
	if (!fdt[hi]) {
		struct ufile **chunk;

		if (!create)
			return NULL;
		chunk = ufi_calloc(FDT_CHUNK, sizeof(*chunk));
		if (!chunk)
			return NULL;
		/* Published for ufile_fd_maybe(), which takes no lock. */
		__atomic_store_n(&fdt[hi], chunk, __ATOMIC_RELEASE);
	}
	return &fdt[hi][lo];
}

/* Another fd that holds @f, or -1.  Caller holds fdt_lock. */
static int fdt_find(const struct ufile *f)
{
	for (unsigned int hi = 0; hi < FDT_CHUNK; hi++) {
		if (!fdt[hi])
			continue;
		for (unsigned int lo = 0; lo < FDT_CHUNK; lo++)
			if (fdt[hi][lo] == f)
				return (int)(hi << FDT_CHUNK_SHIFT | lo);
	}
	return -1;
}

/* @f left slot @fd: keep its kfd on a live slot.  Caller holds fdt_lock. */
static void fdt_unlinked(struct ufile *f, int fd)
{
	pthread_mutex_lock(&kfd_lock);
	if (f->kfd == fd && !f->kfd_private)
		f->kfd = fdt_find(f);
	pthread_mutex_unlock(&kfd_lock);
}

/* Swap @f into @fd's slot under the write lock; returns what was there. */
static int fdt_store(int fd, struct ufile *f, struct ufile **old)
{
	struct ufile **slot;

	pthread_rwlock_wrlock(&fdt_lock);
	slot = fdt_slot(fd, f != NULL);
	if (!slot) {
		pthread_rwlock_unlock(&fdt_lock);
		*old = NULL;
		return f ? -ENOMEM : 0;
	}
	*old = *slot;
	__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	if (*old && *old != f)
		fdt_unlinked(*old, fd);
	pthread_rwlock_unlock(&fdt_lock);
	return 0;
}

int ufile_install_new(struct ufile *f, const struct ufile_ops *ops,
		      void *priv, int flags)
{
	struct uaccess_target *t = uaccess_target_get();
	struct remote_owner *owner;
	struct ufile *old;
	int efd_flags = 0;
	int fd, ret;

	pthread_once(&fork_once, ufile_fork_register);
	owner = remote_owner_self();
	if (!owner)
		return -ENOMEM;
	if (flags & O_CLOEXEC)
		efd_flags |= EFD_CLOEXEC;
	if (flags & O_NONBLOCK)
		efd_flags |= EFD_NONBLOCK;
	if (FAULT_POINT("eventfd"))
		return -EMFILE;
	/* uAPI: a file without a poll method always polls readable. */
	fd = eventfd(ops->pollable ? 0 : 1, efd_flags);
	if (fd < 0)
		return -errno;
	if ((unsigned int)fd >= FDT_MAX) {
		sys_close(fd);
		return -EMFILE;
	}
	f->ops = ops;
	f->priv = priv;
	f->kfd = fd;
	f->kfd_private = false;
	f->remote_alloc = false;
	f->flags = flags;
	f->owner = owner;
	f->handle = (uintptr_t)f;
	f->orphan_next = NULL;
	atomic_init(&f->refs, 1);
	atomic_init(&f->readable, !ops->pollable);
	ret = fdt_store(fd, f, &old);
	if (ret) {
		sys_close(fd);
		return ret;
	}
	/* A stale entry means the kernel fd was closed behind our back. */
	if (old)
		ufile_put(old);
	/* Made for a remote caller: the server hands it over. */
	if (t && t->nnew < UACCESS_MAX_NEW)
		t->new_fds[t->nnew++] = fd;
	return fd;
}

int ufile_install_at(struct ufile *f, int fd)
{
	struct ufile *old;
	int ret;

	pthread_once(&fork_once, ufile_fork_register);
	f->kfd = fd;
	f->kfd_private = false;
	f->orphan_next = NULL;
	atomic_init(&f->refs, 1);
	atomic_init(&f->readable, !f->ops->pollable);
	ret = fdt_store(fd, f, &old);
	if (ret)
		return ret;
	if (old)
		ufile_put(old);
	return 0;
}

/* While serving a remote caller: the files it passed, by its numbers. */
static struct ufile *ufile_get_remote(const struct uaccess_target *t, int fd)
{
	for (unsigned int i = 0; i < t->nfds; i++) {
		if (t->fds[i].fd == fd && t->fds[i].file) {
			ufile_hold(t->fds[i].file);
			return t->fds[i].file;
		}
	}
	return NULL;
}

struct ufile *ufile_get(int fd)
{
	struct uaccess_target *t = uaccess_target_get();
	struct ufile **slot, *f = NULL;

	if (unlikely(t))
		return ufile_get_remote(t, fd);
	pthread_rwlock_rdlock(&fdt_lock);
	slot = fdt_slot(fd, false);
	if (slot && *slot) {
		f = *slot;
		ufile_hold(f);
	}
	pthread_rwlock_unlock(&fdt_lock);
	return f;
}

bool ufile_fd_maybe(int fd)
{
	struct ufile **chunk;

	if (fd < 0 || (unsigned int)fd >= FDT_MAX)
		return false;
	chunk = __atomic_load_n(&fdt[(unsigned int)fd >> FDT_CHUNK_SHIFT],
				__ATOMIC_ACQUIRE);
	return chunk && __atomic_load_n(&chunk[fd & (FDT_CHUNK - 1)],
					__ATOMIC_RELAXED);
}

void ufile_put(struct ufile *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (ufile_is_remote(f)) {
		/* The owner drops our reference; the copy is not ours to free. */
		remote_file_release(f);
		if (f->remote_alloc) {
			free(f);
			return;
		}
		pthread_mutex_lock(&kfd_lock);
		f->orphan_next = ufile_orphans;
		ufile_orphans = f;
		pthread_mutex_unlock(&kfd_lock);
		return;
	}
	if (f->kfd_private)
		sys_close(f->kfd);
	f->ops->release(f);
}

int ufile_kfd_keep_locked(struct ufile *f)
{
	int fd;

	if (!f->ops->pollable || f->kfd_private || f->kfd < 0)
		return 0;
	fd = syscall(SYS_fcntl, f->kfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	f->kfd = fd;
	f->kfd_private = true;
	return 0;
}

int ufile_kfd_keep(struct ufile *f)
{
	int ret;

	pthread_mutex_lock(&kfd_lock);
	ret = ufile_kfd_keep_locked(f);
	pthread_mutex_unlock(&kfd_lock);
	return ret;
}

int ufile_remove_fd(int fd)
{
	struct ufile *old;

	fdt_store(fd, NULL, &old);
	if (!old)
		return -EBADF;
	ufile_put(old);
	remote_reap_hangups();
	return 0;
}

void ufile_remove_range(unsigned int first, unsigned int last)
{
	unsigned int fd = first;

	if (last >= FDT_MAX)
		last = FDT_MAX - 1;
	while (fd <= last) {
		struct ufile *f = NULL;
		unsigned int hi;

		pthread_rwlock_wrlock(&fdt_lock);
		for (; fd <= last; fd++) {
			hi = fd >> FDT_CHUNK_SHIFT;
			if (!fdt[hi]) {
				fd |= FDT_CHUNK - 1;
				continue;
			}
			f = fdt[hi][fd & (FDT_CHUNK - 1)];
			if (f) {
				__atomic_store_n(&fdt[hi][fd & (FDT_CHUNK - 1)],
						 NULL, __ATOMIC_RELEASE);
				fdt_unlinked(f, fd);
				break;
			}
		}
		pthread_rwlock_unlock(&fdt_lock);
		if (!f)
			break;
		ufile_put(f);
		fd++;
	}
}

int ufile_dup_fd(int oldfd, int newfd)
{
	struct ufile *f, *old;
	int ret;

	if (oldfd == newfd)
		return 0;
	f = ufile_get(oldfd);
	if (!f)
		return -EBADF;
	ret = fdt_store(newfd, f, &old);
	if (ret) {
		ufile_put(f);
		return ret;
	}
	if (old)
		ufile_put(old);
	return 0;
}

void ufile_set_readable(struct ufile *f, bool readable)
{
	uint64_t v = 1;

	/* Only transitions touch the eventfd, so its counter is 0 or 1 and
	 * the read below never blocks. */
	if (atomic_exchange(&f->readable, readable) == readable)
		return;
	pthread_mutex_lock(&kfd_lock);
	if (f->kfd < 0) {
		pthread_mutex_unlock(&kfd_lock);
		return;
	}
	if (readable) {
		if (sys_write(f->kfd, &v, sizeof(v)) != sizeof(v))
			atomic_store(&f->readable, false);
	} else {
		if (sys_read(f->kfd, &v, sizeof(v)) != sizeof(v))
			atomic_store(&f->readable, true);
	}
	pthread_mutex_unlock(&kfd_lock);
}

static const struct unode unodes[] = {
	{ "/dev/iommu", false, iommufd_fops_open },
	{ "/dev/vfio/devices/vfio", true, vfio_cdev_open },
	{ "/proc/", true, fail_nth_open, fail_nth_path },
};

const struct unode *unode_lookup(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(unodes); i++) {
		const struct unode *n = &unodes[i];

		if (n->match && !n->match(path))
			continue;
		if (n->prefix ? !strncmp(path, n->path, strlen(n->path)) :
				!strcmp(path, n->path))
			return n;
	}
	return NULL;
}

/* ---- mappings of emulated files ----------------------------------------- */

struct ufile_vma {
	struct ufile *file;		/* referenced */
	struct ufile_map map;
	uintptr_t start;
	uint64_t len;			/* page multiple */
	uint64_t live;			/* pages still mapped */
	unsigned long *bitmap;		/* one bit per page still mapped */
	pid_t pid;			/* the process that mapped it */
	struct ufile_vma *next;
};

/* Leaf lock: the list of mappings. */
static pthread_mutex_t vma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ufile_vma *vmas;
static atomic_uint nvmas;	/* lock-free "is there anything to look at" */

#define BITS_PER_UL (8 * sizeof(unsigned long))

static uint64_t ufile_page_size(void)
{
	static uint64_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

int ufile_memfd_new(const char *name, uint64_t size)
{
	int fd;

	if (FAULT_POINT("memfd"))
		return -EMFILE;
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		int err = errno;

		sys_close(fd);
		return -err;
	}
	return fd;
}

static bool vma_overlaps(const struct ufile_vma *v, uintptr_t addr,
			 uint64_t len)
{
	return addr < v->start + v->len && v->start < addr + len;
}

/* The mapping is gone: give back what it held (outside vma_lock). */
static void vma_release(struct ufile_vma *v)
{
	if (v->pid == getpid()) {
		if (v->file->ops->munmap)
			v->file->ops->munmap(v->file, &v->map);
		ufile_put(v->file);
	}
	free(v->bitmap);
	free(v);
}

int ufile_mmap(int fd, void *addr, size_t len, int prot, int flags,
	       int64_t off, void **out)
{
	uint64_t ps = ufile_page_size(), alen, end;
	int type = flags & MAP_TYPE, acc;
	struct ufile_vma *v;
	struct ufile *f;
	long p;
	int ret;

	/* uAPI: do_mmap's checks come before the file is asked. */
	if (!len || (off & (ps - 1)) || off < 0)
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE &&
	    type != MAP_PRIVATE)
		return -EINVAL;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	    ((uintptr_t)addr & (ps - 1)))
		return -EINVAL;
	alen = ALIGN_UP((uint64_t)len, ps);
	if (alen < len)
		return -ENOMEM;
	if (check_add_overflow_u64(off, alen, &end) || end > INT64_MAX)
		return -EOVERFLOW;
	f = ufile_get(fd);
	if (!f)
		return -EBADF;
	acc = f->flags & O_ACCMODE;
	/* A file another process serves is not mapped (docs/remote.md). */
	if (ufile_is_remote(f) || !f->ops->mmap) {
		ret = -ENODEV;
		goto out_put;
	}
	/* uAPI: the open mode must allow the access the mapping gives. */
	if (acc == O_WRONLY ||
	    (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)) {
		ret = -EACCES;
		goto out_put;
	}
	v = ufi_calloc(1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out_put;
	}
	v->bitmap = ufi_calloc((alen / ps + BITS_PER_UL - 1) / BITS_PER_UL,
			       sizeof(unsigned long));
	if (!v->bitmap) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = f->ops->mmap(f, off, alen, prot, flags, &v->map);
	if (ret)
		goto out_free;
	p = syscall(SYS_mmap, addr, alen, prot, flags, v->map.memfd,
		    v->map.memfd_off);
	if (p == -1) {
		ret = -errno;
		if (f->ops->munmap)
			f->ops->munmap(f, &v->map);
		goto out_free;
	}
	/* A fixed mapping replaced whatever was there. */
	if (flags & MAP_FIXED)
		ufile_maps_unmapped(p, alen);
	v->file = f;		/* keeps the reference ufile_get took */
	v->start = p;
	v->len = alen;
	v->live = alen / ps;
	v->pid = getpid();
	for (uint64_t i = 0; i < v->live; i++)
		v->bitmap[i / BITS_PER_UL] |= 1ul << (i % BITS_PER_UL);
	pthread_mutex_lock(&vma_lock);
	v->next = vmas;
	vmas = v;
	atomic_fetch_add(&nvmas, 1);
	pthread_mutex_unlock(&vma_lock);
	*out = (void *)p;
	return 0;

out_free:
	free(v->bitmap);
	free(v);
out_put:
	ufile_put(f);
	return ret;
}

bool ufile_maps_any(uintptr_t addr, uint64_t len)
{
	bool any = false;

	if (!atomic_load(&nvmas))
		return false;
	pthread_mutex_lock(&vma_lock);
	for (struct ufile_vma *v = vmas; v && !any; v = v->next)
		any = vma_overlaps(v, addr, len);
	pthread_mutex_unlock(&vma_lock);
	return any;
}

void ufile_maps_unmapped(uintptr_t addr, uint64_t len)
{
	uint64_t ps = ufile_page_size();
	struct ufile_vma *done = NULL, **pp;

	if (!len || !atomic_load(&nvmas))
		return;
	pthread_mutex_lock(&vma_lock);
	for (pp = &vmas; *pp;) {
		struct ufile_vma *v = *pp;
		uintptr_t lo, hi;

		if (!vma_overlaps(v, addr, len)) {
			pp = &v->next;
			continue;
		}
		lo = max_t(uintptr_t, addr, v->start);
		hi = min_t(uintptr_t, addr + len, v->start + v->len);
		for (uintptr_t a = ALIGN_DOWN(lo, ps); a < hi; a += ps) {
			uint64_t i = (a - v->start) / ps;
			unsigned long bit = 1ul << (i % BITS_PER_UL);

			if (v->bitmap[i / BITS_PER_UL] & bit) {
				v->bitmap[i / BITS_PER_UL] &= ~bit;
				v->live--;
			}
		}
		if (v->live) {
			pp = &v->next;
			continue;
		}
		*pp = v->next;
		atomic_fetch_sub(&nvmas, 1);
		v->next = done;
		done = v;
	}
	pthread_mutex_unlock(&vma_lock);
	while (done) {
		struct ufile_vma *v = done;

		done = v->next;
		vma_release(v);
	}
}

int ufile_maps_mremap_check(uintptr_t old, uint64_t old_len,
			    uint64_t new_len)
{
	uint64_t ps = ufile_page_size();
	int ret = 0;

	if (!atomic_load(&nvmas))
		return 0;
	pthread_mutex_lock(&vma_lock);
	for (struct ufile_vma *v = vmas; v; v = v->next) {
		if (!vma_overlaps(v, old, old_len ? old_len : 1))
			continue;
		/* uAPI: these mappings are VM_DONTEXPAND: growing is EFAULT. */
		if (ALIGN_UP(new_len, ps) > ALIGN_UP(old_len, ps))
			ret = -EFAULT;
		else if (v->start != old || v->len != ALIGN_UP(old_len, ps) ||
			 v->live != v->len / ps)
			ret = -EINVAL;
		break;
	}
	pthread_mutex_unlock(&vma_lock);
	return ret;
}

void ufile_maps_moved(uintptr_t old, uintptr_t new_addr, uint64_t new_len)
{
	uint64_t ps = ufile_page_size();
	struct ufile_vma *v;

	if (!atomic_load(&nvmas))
		return;
	pthread_mutex_lock(&vma_lock);
	for (v = vmas; v; v = v->next) {
		if (v->start != old)
			continue;
		new_len = ALIGN_UP(new_len, ps);
		/* Shrinking dropped the tail: clear its pages. */
		for (uint64_t i = new_len / ps; i < v->len / ps; i++) {
			unsigned long bit = 1ul << (i % BITS_PER_UL);

			if (v->bitmap[i / BITS_PER_UL] & bit) {
				v->bitmap[i / BITS_PER_UL] &= ~bit;
				v->live--;
			}
		}
		v->start = new_addr;
		v->len = new_len;
		break;
	}
	pthread_mutex_unlock(&vma_lock);
}
