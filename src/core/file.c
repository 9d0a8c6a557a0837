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
};

const struct unode *unode_lookup(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(unodes); i++) {
		const struct unode *n = &unodes[i];

		if (n->prefix ? !strncmp(path, n->path, strlen(n->path)) :
				!strcmp(path, n->path))
			return n;
	}
	return NULL;
}
