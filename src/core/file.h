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
 * Files across processes (src/core/remote.c, docs/remote.md): every file
 * names its owner record, the process that serves it.  After fork() the
 * child's copies still name the parent's record, so "owner is not this
 * process's record" is exactly "served remotely": the child's calls on such
 * a file go to the owner over a connection made at fork, and closing its
 * last fd in the child drops the child's reference at the owner.  The copy
 * itself is never released in the child (what it points at is the owner's);
 * it stays reachable (leak checkers stay quiet) until the child exits.
 * A handle is the file's name at its owner (the owner's address of it).
 *
 * ufile_ops read/write reach the caller's buffer only with copy_*_user (the
 * caller may be another process).
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
#include <stdint.h>
#include <sys/types.h>

struct ufile;

/*
 * What backs an mmap() of an emulated file: a range of a shared-memory fd
 * (a memfd) that the file keeps open while any mapping of it lives.
 */
struct ufile_map {
	int memfd;
	uint64_t memfd_off;
	void *cookie;		/* the file's, handed back to ->munmap */
};

struct ufile_ops {
	const char *name;
	/* Has a poll method: readiness follows ufile_set_readable(). */
	bool pollable;
	/* >= 0 or -errno; unknown commands -ENOTTY. */
	long (*ioctl)(struct ufile *f, unsigned long cmd, void *arg);
	ssize_t (*read)(struct ufile *f, void *buf, size_t count);
	ssize_t (*write)(struct ufile *f, const void *buf, size_t count);
	/* Positioned I/O (device regions); NULL: -ESPIPE. */
	ssize_t (*pread)(struct ufile *f, void *buf, size_t count,
			 uint64_t off);
	ssize_t (*pwrite)(struct ufile *f, const void *buf, size_t count,
			  uint64_t off);
	/*
	 * mmap() at @off of @len bytes (page aligned, checked for overflow):
	 * the driver's checks, then fill @map and take whatever the mapping
	 * keeps alive; ->munmap gives it back when the last page of the
	 * mapping is unmapped.  NULL: the file cannot be mapped (-ENODEV).
	 */
	int (*mmap)(struct ufile *f, uint64_t off, uint64_t len, int prot,
		    int flags, struct ufile_map *map);
	void (*munmap)(struct ufile *f, struct ufile_map *map);
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
	bool kfd_private;	/* kfd is a dup of our own, in no slot */
	bool remote_alloc;	/* a client's stand-in made by remote.c */
	struct remote_owner *owner;	/* who serves it (see above) */
	uint64_t handle;	/* its name at the owner */
	struct ufile *orphan_next;	/* remote copies released here */
	void *priv;
};

static inline void ufile_hold(struct ufile *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

/*
 * Make the kernel fd for a new file and install it: returns the fd or
 * -errno.  On failure nothing is installed and @f is untouched (the caller
 * frees it).  On success the table holds the only reference.
 */
int ufile_install_new(struct ufile *f, const struct ufile_ops *ops,
		      void *priv, int flags);
/*
 * Install a remote file's stand-in @f (ops, owner, handle set) at @fd, a
 * kernel fd the caller made: 0 or -errno.  The table takes @fd's reference.
 */
int ufile_install_at(struct ufile *f, int fd);
/*
 * Take a reference to the file at @fd, or NULL.  While serving a remote
 * caller, @fd is the caller's number and only files it passed are found.
 */
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

/*
 * Keep @f's kernel fd signallable after its last slot goes (the file lives
 * on in other processes): kfd becomes a private dup.  0 or -errno.
 */
int ufile_kfd_keep(struct ufile *f);
/* The same from the fork handlers, which hold the lock. */
int ufile_kfd_keep_locked(struct ufile *f);
/*
 * Call @fn on every slot's file (a file once per fd).  Only from the fork
 * handlers, which hold the table locked.
 */
void ufile_for_each_locked(void (*fn)(struct ufile *f, void *arg), void *arg);

/*
 * Call @fn on every fd of the table with its file, the table locked shared:
 * @fn must not change the table.
 */
void ufile_for_each_fd(void (*fn)(int fd, struct ufile *f, void *arg),
		       void *arg);

/*
 * Mappings of emulated files (the kernel's VMAs of such files).  A mapping
 * holds a reference on its file (an fd closed while mapped keeps the file,
 * as a VMA keeps its struct file) and whatever ->mmap took; both go when
 * its last page is unmapped.  Only this process's mappings are tracked: in
 * a forked child the records are forgotten without releasing anything.
 */

/* A new memfd of @size zero bytes (close-on-exec): fd or -errno. */
int ufile_memfd_new(const char *name, uint64_t size);
/*
 * mmap(2) of the emulated file at @fd (the generic checks of the kernel's
 * do_mmap, then the file's): 0 with the address in @out, or -errno.
 */
int ufile_mmap(int fd, void *addr, size_t len, int prot, int flags,
	       int64_t off, void **out);
/* Is any page of [@addr, @addr + @len) a mapping of an emulated file? */
bool ufile_maps_any(uintptr_t addr, uint64_t len);
/* [@addr, @addr + @len) was unmapped (munmap, MAP_FIXED over it). */
void ufile_maps_unmapped(uintptr_t addr, uint64_t len);
/*
 * Before mremap(@old, @old_len, @new_len) of a range with mappings of
 * emulated files: 0 when the call may go ahead (the range is one whole
 * mapping, or none), -EFAULT when it would grow one (the kernel's
 * VM_DONTEXPAND), -EINVAL when it would move part of one (not modelled).
 */
int ufile_maps_mremap_check(uintptr_t old, uint64_t old_len,
			    uint64_t new_len);
/* The mremap() checked above moved @old to @new_addr, now @new_len long. */
void ufile_maps_moved(uintptr_t old, uintptr_t new_addr, uint64_t new_len);

/* Device nodes: path -> open function. */
struct unode {
	const char *path;	/* exact path, or prefix when prefix is true */
	bool prefix;
	int (*open)(const char *path, int flags);	/* fd or -errno */
	bool (*match)(const char *path);	/* instead of path, if set */
};
const struct unode *unode_lookup(const char *path);

int iommufd_fops_open(const char *path, int flags);
/* /dev/vfio/devices/<name>: an emulated device's VFIO cdev (src/dev). */
int vfio_cdev_open(const char *path, int flags);
/* /proc/.../task/<tid>/fail-nth of this process (src/core/fail_nth.c). */
bool fail_nth_path(const char *path);
int fail_nth_open(const char *path, int flags);

#endif
