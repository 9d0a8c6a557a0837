/*
 * file.h - emulated files and the fd table.
 *
 * An emulated file (struct ufile) is what the kernel would call a struct
 * file: the open instance of /dev/iommu, of a VFIO device cdev, of a fault
 * queue.  Each has a real kernel fd beside it (an eventfd, so poll() and
 * close-on-exec behave) and sits in the process-wide fd table at that fd.
 * dup()ed fds share the ufile; the ufile is released when its last fd goes.
 *
 * Locking: the fd table has one rwlock; lookups take it shared and a
 * reference on the ufile, so a concurrent close cannot free a file that an
 * ioctl is using (the kernel's fdget()).
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
	int kfd;		/* the kernel fd made for it (first fd) */
	int flags;		/* open flags (O_NONBLOCK ...) */
	atomic_bool readable;	/* mirrors the eventfd counter (0/1) */
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
/* Drop @fd from the table (the caller closes the kernel fd). 0 or -EBADF. */
int ufile_remove_fd(int fd);
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
