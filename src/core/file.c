/*
 * file.c - the fd table and the device-node table.
 *
 * The fd table maps a kernel fd number to the emulated file installed there.
 * It is two-level (1024 chunks of 1024 slots) so it covers fds below 2^20
 * without a large up-front allocation; chunks are never freed.  Invariant:
 * every slot that holds a file holds one reference to it.
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
#include "util/compiler.h"
#include "util/sys.h"

#define FDT_CHUNK_SHIFT 10
#define FDT_CHUNK (1u << FDT_CHUNK_SHIFT)
#define FDT_MAX (FDT_CHUNK * FDT_CHUNK)

static pthread_rwlock_t fdt_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct ufile **fdt[FDT_CHUNK];

static struct ufile **fdt_slot(int fd, bool create)
{
	unsigned int hi, lo;

	if (fd < 0 || (unsigned int)fd >= FDT_MAX)
		return NULL;
	hi = (unsigned int)fd >> FDT_CHUNK_SHIFT;
	lo = (unsigned int)fd & (FDT_CHUNK - 1);
	if (!fdt[hi]) {
		if (!create)
			return NULL;
		fdt[hi] = calloc(FDT_CHUNK, sizeof(*fdt[hi]));
		if (!fdt[hi])
			return NULL;
	}
	return &fdt[hi][lo];
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
	*slot = f;
	pthread_rwlock_unlock(&fdt_lock);
	return 0;
}

int ufile_install_new(struct ufile *f, const struct ufile_ops *ops,
		      void *priv, int flags)
{
	struct ufile *old;
	int efd_flags = 0;
	int fd, ret;

	if (flags & O_CLOEXEC)
		efd_flags |= EFD_CLOEXEC;
	if (flags & O_NONBLOCK)
		efd_flags |= EFD_NONBLOCK;
	fd = eventfd(0, efd_flags);
	if (fd < 0)
		return -errno;
	if ((unsigned int)fd >= FDT_MAX) {
		sys_close(fd);
		return -EMFILE;
	}
	f->ops = ops;
	f->priv = priv;
	f->kfd = fd;
	f->flags = flags;
	atomic_init(&f->refs, 1);
	atomic_init(&f->readable, false);
	ret = fdt_store(fd, f, &old);
	if (ret) {
		sys_close(fd);
		return ret;
	}
	/* A stale entry means the kernel fd was closed behind our back. */
	if (old)
		ufile_put(old);
	return fd;
}

struct ufile *ufile_get(int fd)
{
	struct ufile **slot, *f = NULL;

	pthread_rwlock_rdlock(&fdt_lock);
	slot = fdt_slot(fd, false);
	if (slot && *slot) {
		f = *slot;
		atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&fdt_lock);
	return f;
}

void ufile_put(struct ufile *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
		return;
	f->ops->release(f);
}

int ufile_remove_fd(int fd)
{
	struct ufile *old;

	fdt_store(fd, NULL, &old);
	if (!old)
		return -EBADF;
	ufile_put(old);
	return 0;
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
	if (readable) {
		if (sys_write(f->kfd, &v, sizeof(v)) != sizeof(v))
			atomic_store(&f->readable, false);
	} else {
		if (sys_read(f->kfd, &v, sizeof(v)) != sizeof(v))
			atomic_store(&f->readable, true);
	}
}

static const struct unode unodes[] = {
	{ "/dev/iommu", false, iommufd_fops_open },
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
