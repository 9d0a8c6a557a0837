/*
 * file.h - emulated files and the fd table.
 *
 * An emulated file (struct ufile) is what the kernel would call a struct
 * file: the open instance of /dev/iommu, of a VFIO device cdev, of a fault
 * queue.  Each has a real kernel fd beside it (an eventfd, so poll() and
 * close-on-exec behave) and sits in the process-wide fd table at that fd.
 * dup()ed fds share the ufile; the ufile is released when its last fd goes.
 *
 * Readiness: a file whose ops are not pollable is always ready (its eventfd
 * holds 1), as the kernel reports POLLIN|POLLOUT for a file without ->poll;
 * a pollable file's readiness follows ufile_set_readable().
 *
 * fork: the child gets a copy of the table and of every file (it is memory).
 * The copy is the child's own (its ioctls change only the copy); releasing it
 * in the child frees nothing, because what the file holds may be shared with
 * the parent through inherited kernel objects.  The copy is kept reachable
 * (leak checkers stay quiet) until the child exits.
 *
 * Locking: the fd table has one rwlock; lookups take it shared and a
 * reference on the ufile, so a concurrent close cannot free a file that an
 * ioctl is using (the kernel's fdget()).  kfd_lock (a leaf) guards ufile.kfd.
 * Both are held across fork() so the child never inherits them locked.
 */
#ifndef UIOMMU_CORE_FILE_H
#define UIOMMU_CORE_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ufile;

struct ufile_ops {
	const char *name;
	/* Has a poll method: readiness follows ufile_set_readable(). */
	bool pollable;
	/* >= 0 or -errno; unknown commands -ENOTTY. */
	long (*ioctl)(struct ufile *f, unsigned long cmd, void *arg);
	ssize_t (*read)(struct ufile *f, void *buf, size_t count);
	ssize_t (*write)(struct ufile *f, const void *buf, size_t count);
	/* The last fd is gone: free everything the file holds. */
	void (*release)(struct ufile *f);
};

struct ufile {
	const struct ufile_ops *ops;
	atomic_uint refs;	/* one per fd in the table + in-flight calls */
	int kfd;		/* one of its fds, or -1 once none is left;
				 * kfd_lock */
	int flags;		/* open flags (O_NONBLOCK ...) */
	atomic_bool readable;	/* mirrors the eventfd counter (0/1) */
	pid_t owner_pid;	/* process that installed it (see fork above) */
	struct ufile *orphan_next;	/* forked copies released in a child */
	void *priv;
};

/*
 * Make the kernel fd for a new file and install it: returns the fd or
 * -errno.  On failure nothing is installed and @f is untouched (the caller
 * frees it).  On success the table holds the only reference.
 */
int ufile_install_new(struct ufile *f, const struct ufile_ops *ops,
		      void *priv, int flags);
/* Take a reference to the file at @fd, or NULL. */
struct ufile *ufile_get(int fd);
void ufile_put(struct ufile *f);
/*
 * Lock-free hint: may @fd be an emulated fd?  false is exact for an fd the
 * caller holds open (nobody else can install at its number); true must be
 * confirmed with ufile_get().  Keeps libc calls on other fds off the lock.
 */
bool ufile_fd_maybe(int fd);
/* Drop @fd from the table (the caller closes the kernel fd). 0 or -EBADF. */
int ufile_remove_fd(int fd);
/*
 * Drop every fd in [@first, @last] from the table (close_range(2)); the
 * caller closes the kernel fds.
 */
void ufile_remove_range(unsigned int first, unsigned int last);
/* Point @newfd at the file of @oldfd. */
int ufile_dup_fd(int oldfd, int newfd);
/*
 * Signal readiness on the file's kernel fd (poll sees POLLIN) or clear it.
 * Callers serialise calls for one file (they hold the file owner's lock).
 */
void ufile_set_readable(struct ufile *f, bool readable);

/* Device nodes: path -> open function. */
struct unode {
	const char *path;	/* exact path, or prefix when prefix is true */
	bool prefix;
	int (*open)(const char *path, int flags);	/* fd or -errno */
};
const struct unode *unode_lookup(const char *path);

int iommufd_fops_open(const char *path, int flags);

#endif
