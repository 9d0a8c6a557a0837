/*
 * preload.c - the LD_PRELOAD shim (libuiommu-preload.so): unmodified
 * programs that open("/dev/iommu") and speak the kernel's ioctl ABI reach
 * uiommu instead of the kernel.
 *
 * What is interposed: the open family (incl. the _FORTIFY_SOURCE variants),
 * ioctl, read, write, __read_chk, pread, pwrite, pread64, pwrite64 (VFIO
 * device regions), close, dup, dup2, dup3, fcntl/fcntl64
 * (F_DUPFD, F_DUPFD_CLOEXEC), close_range and closefrom; in mm.c mmap,
 * mmap64, munmap, mremap and madvise (docs/mmap.md); in exec.c the exec
 * family, _exit and _Exit; in debugfs.c opendir and closedir (the
 * fault-injection knobs of /sys/kernel/debug only).  Nothing else is
 * needed for poll/select/epoll: every emulated fd is a real eventfd, which
 * the kernel polls as the driver's file would poll (see core/file.h).
 *
 * Invariants:
 * - A process that never opens an emulated node sees libc unchanged: each
 *   wrapper forwards to the next definition (libc, or another preload such
 *   as a sanitizer runtime) with the same arguments and returns its result
 *   and errno untouched.  No thread or fd of our own (the constructors only
 *   set a hook and read UIOMMU_EXEC, exec.c); the real functions are looked
 *   up on first use.  Until the first emulated open
 *   (shim_active) no wrapper even looks at the fd table.
 * - Only absolute paths are matched, exactly (uiommu_path_is_emulated());
 *   for openat an absolute path ignores dirfd, as in the kernel.  Relative,
 *   non-canonical or symlinked spellings reach the real file system.
 * - An fd handed out by a pass-through call cannot be emulated, so any table
 *   entry at its number is stale (its kernel fd was closed behind our back,
 *   e.g. by a raw syscall) and is dropped.
 * - Emulated files are closed by uiommu_close()/ufile_remove_fd() before the
 *   kernel fd; uiommu's own eventfd I/O uses raw syscalls (util/sys.h), so
 *   nothing in here recurses into itself.  While the real functions are
 *   being looked up, a wrapper called from inside dlsym() uses the raw
 *   syscall instead.
 *
 * Limits, by design for now:
 * - fork(): an inherited fd is the same open file in both processes; the
 *   core's atfork handlers give the child a connection to each owner
 *   (src/core/remote.c).  Its limits are in docs/remote.md.
 * - exec(): exec.c carries every emulated fd without FD_CLOEXEC into the
 *   new image (files this process owns go to a keeper process first).  An
 *   emulated fd that reaches a program some other way (posix_spawn(),
 *   system(), a raw execve) is a bare eventfd there: poll and close work,
 *   an iommufd/VFIO ioctl on it fails with EBADF, "not an fd this program
 *   can use", rather than the ENOTTY the eventfd itself would give, and
 *   read() on it reads the eventfd.
 * - epoll_ctl(EPOLL_CTL_ADD) on an emulated iommufd succeeds, where the
 *   kernel refuses a file without a poll method (EPERM).
 * - readv/writev/preadv/pwritev, fopen() and libc-internal opens are not
 *   interposed; an invalid path pointer crashes here where the kernel would
 *   return EFAULT.
 */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include <uiommu/uiommu.h>

#include "core/file.h"
#include "shim/shim.h"
#include "util/compiler.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* glibc's fortified entry points; declared here, never by a public header
 * without _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
void __chk_fail(void) __attribute__((noreturn));

enum real_fn {
	REAL_OPEN,
	REAL_OPEN64,
	REAL_OPENAT,
	REAL_OPENAT64,
	REAL_OPEN_2,
	REAL_OPEN64_2,
	REAL_OPENAT_2,
	REAL_OPENAT64_2,
	REAL_IOCTL,
	REAL_READ,
	REAL_WRITE,
	REAL_READ_CHK,
	REAL_CLOSE,
	REAL_DUP,
	REAL_DUP2,
	REAL_DUP3,
	REAL_FCNTL,
	REAL_FCNTL64,
	REAL_CLOSE_RANGE,
	REAL_CLOSEFROM,
	REAL_PREAD,
	REAL_PREAD64,
	REAL_PWRITE,
	REAL_PWRITE64,
	REAL_NR,
};

static const char *const real_names[REAL_NR] = {
	[REAL_OPEN] = "open",
	[REAL_OPEN64] = "open64",
	[REAL_OPENAT] = "openat",
	[REAL_OPENAT64] = "openat64",
	[REAL_OPEN_2] = "__open_2",
	[REAL_OPEN64_2] = "__open64_2",
	[REAL_OPENAT_2] = "__openat_2",
	[REAL_OPENAT64_2] = "__openat64_2",
	[REAL_IOCTL] = "ioctl",
	[REAL_READ] = "read",
	[REAL_WRITE] = "write",
	[REAL_READ_CHK] = "__read_chk",
	[REAL_CLOSE] = "close",
	[REAL_DUP] = "dup",
	[REAL_DUP2] = "dup2",
	[REAL_DUP3] = "dup3",
	[REAL_FCNTL] = "fcntl",
	[REAL_FCNTL64] = "fcntl64",
	[REAL_CLOSE_RANGE] = "close_range",
	[REAL_CLOSEFROM] = "closefrom",
	[REAL_PREAD] = "pread",
	[REAL_PREAD64] = "pread64",
	[REAL_PWRITE] = "pwrite",
	[REAL_PWRITE64] = "pwrite64",
};

static void *real_fns[REAL_NR];
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static __thread bool real_resolving __attribute__((tls_model("initial-exec")));
/* Set at the first emulated open; never cleared (fds may be inherited). */
static atomic_bool shim_active;

static void real_resolve(void)
{
	int saved = errno;

	real_resolving = true;
	for (int i = 0; i < REAL_NR; i++)
		real_fns[i] = dlsym(RTLD_NEXT, real_names[i]);
	real_resolving = false;
	errno = saved;
}

/* The next definition of @id, or NULL: the caller makes the raw syscall. */
static void *real(enum real_fn id)
{
	if (unlikely(real_resolving))
		return NULL;
	pthread_once(&real_once, real_resolve);
	return real_fns[id];
}

static bool active(void)
{
	return atomic_load_explicit(&shim_active, memory_order_acquire);
}

static int ret_errno(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

/* Pass-through made @fd: drop a stale table entry at that number. */
static int fd_fresh(int fd)
{
	if (fd >= 0 && unlikely(active()) && ufile_fd_maybe(fd)) {
		int saved = errno;

		uiommu_forget(fd);
		errno = saved;
	}
	return fd;
}

/* A dup of @oldfd succeeded as @newfd: make the table agree. */
static int fd_duped(int oldfd, int newfd, bool old_emulated)
{
	int ret;

	if (newfd < 0 || !old_emulated)
		return fd_fresh(newfd);
	ret = uiommu_dup_track(oldfd, newfd);
	if (ret < 0) {
		/* oldfd was closed meanwhile, or no memory for the table. */
		syscall(SYS_close, newfd);
		errno = -ret;
		return -1;
	}
	return newfd;
}

static bool is_emulated_fd(int fd)
{
	return unlikely(active()) && ufile_fd_maybe(fd) && uiommu_is_fd(fd);
}

static bool path_emulated(const char *path)
{
	return path && path[0] == '/' && uiommu_path_is_emulated(path);
}

bool shim_is_active(void)
{
	return active();
}

void shim_activate(void)
{
	atomic_store_explicit(&shim_active, true, memory_order_release);
}

static int open_emulated(const char *path, int flags)
{
	shim_activate();
	return ret_errno(uiommu_open(path, flags));
}

/* The mode argument, present only when the flags ask for one (libc's rule). */
#define OPEN_MODE(flags, last)                               \
	({                                                   \
		mode_t _m = 0;                               \
		if (__OPEN_NEEDS_MODE(flags)) {              \
			va_list _ap;                         \
			va_start(_ap, last);                 \
			_m = va_arg(_ap, mode_t);            \
			va_end(_ap);                         \
		}                                            \
		_m;                                          \
	})

static int do_open(enum real_fn id, const char *path, int flags, mode_t mode)
{
	int (*fn)(const char *, int, ...);

	if (path_emulated(path))
		return open_emulated(path, flags);
	fn = (int (*)(const char *, int, ...))real(id);
	if (!fn)
		return fd_fresh(syscall(SYS_openat, AT_FDCWD, path, flags, mode));
	return fd_fresh(fn(path, flags, mode));
}

static int do_openat(enum real_fn id, int dirfd, const char *path, int flags,
		     mode_t mode)
{
	int (*fn)(int, const char *, int, ...);

	if (path_emulated(path))
		return open_emulated(path, flags);
	fn = (int (*)(int, const char *, int, ...))real(id);
	if (!fn)
		return fd_fresh(syscall(SYS_openat, dirfd, path, flags, mode));
	return fd_fresh(fn(dirfd, path, flags, mode));
}

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	return do_open(REAL_OPEN, path, flags, OPEN_MODE(flags, flags));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	return do_open(REAL_OPEN64, path, flags, OPEN_MODE(flags, flags));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	return do_openat(REAL_OPENAT, dirfd, path, flags,
			 OPEN_MODE(flags, flags));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	return do_openat(REAL_OPENAT64, dirfd, path, flags,
			 OPEN_MODE(flags, flags));
}

static int do_open_2(enum real_fn id, const char *path, int flags)
{
	int (*fn)(const char *, int);

	if (path_emulated(path))
		return open_emulated(path, flags);
	fn = (int (*)(const char *, int))real(id);
	if (!fn)
		return fd_fresh(syscall(SYS_openat, AT_FDCWD, path, flags, 0));
	return fd_fresh(fn(path, flags));
}

static int do_openat_2(enum real_fn id, int dirfd, const char *path,
		       int flags)
{
	int (*fn)(int, const char *, int);

	if (path_emulated(path))
		return open_emulated(path, flags);
	fn = (int (*)(int, const char *, int))real(id);
	if (!fn)
		return fd_fresh(syscall(SYS_openat, dirfd, path, flags, 0));
	return fd_fresh(fn(dirfd, path, flags));
}

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	return do_open_2(REAL_OPEN_2, path, flags);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	return do_open_2(REAL_OPEN64_2, path, flags);
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat_2(REAL_OPENAT_2, dirfd, path, flags);
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_openat_2(REAL_OPENAT64_2, dirfd, path, flags);
}

/* Is @fd an eventfd?  Only asked on a failing iommufd ioctl. */
static bool fd_is_eventfd(int fd)
{
	static const char want[] = "anon_inode:[eventfd]";
	char link[64], target[sizeof(want)];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	return n == (ssize_t)sizeof(want) - 1 && !memcmp(target, want, n);
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	int (*fn)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (is_emulated_fd(fd))
		return ret_errno(uiommu_ioctl(fd, request, arg));
	fn = (int (*)(int, unsigned long, ...))real(REAL_IOCTL);
	ret = fn ? fn(fd, request, arg) : syscall(SYS_ioctl, fd, request, arg);
	/*
	 * An emulated fd inherited across exec: its context is gone with the
	 * old image (file comment).  IOMMUFD_TYPE is VFIO's type too.
	 */
	if (ret == -1 && errno == ENOTTY && _IOC_TYPE(request) == IOMMUFD_TYPE) {
		int err = fd_is_eventfd(fd) ? EBADF : ENOTTY;

		errno = err;
	}
	return ret;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	ssize_t (*fn)(int, void *, size_t);

	if (is_emulated_fd(fd))
		return ret_errno(uiommu_read(fd, buf, count));
	fn = (ssize_t (*)(int, void *, size_t))real(REAL_READ);
	return fn ? fn(fd, buf, count) : syscall(SYS_read, fd, buf, count);
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	ssize_t (*fn)(int, void *, size_t, size_t);

	if (is_emulated_fd(fd)) {
		if (count > buflen)
			__chk_fail();
		return ret_errno(uiommu_read(fd, buf, count));
	}
	fn = (ssize_t (*)(int, void *, size_t, size_t))real(REAL_READ_CHK);
	if (!fn) {
		if (count > buflen)
			__chk_fail();
		return syscall(SYS_read, fd, buf, count);
	}
	return fn(fd, buf, count, buflen);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	ssize_t (*fn)(int, const void *, size_t);

	if (is_emulated_fd(fd))
		return ret_errno(uiommu_write(fd, buf, count));
	fn = (ssize_t (*)(int, const void *, size_t))real(REAL_WRITE);
	return fn ? fn(fd, buf, count) : syscall(SYS_write, fd, buf, count);
}

static ssize_t do_pread(enum real_fn id, int fd, void *buf, size_t count,
			off_t offset)
{
	ssize_t (*fn)(int, void *, size_t, off_t);

	if (is_emulated_fd(fd))
		return ret_errno(uiommu_pread(fd, buf, count, offset));
	fn = (ssize_t (*)(int, void *, size_t, off_t))real(id);
	return fn ? fn(fd, buf, count, offset) :
		    syscall(SYS_pread64, fd, buf, count, offset);
}

static ssize_t do_pwrite(enum real_fn id, int fd, const void *buf,
			 size_t count, off_t offset)
{
	ssize_t (*fn)(int, const void *, size_t, off_t);

	if (is_emulated_fd(fd))
		return ret_errno(uiommu_pwrite(fd, buf, count, offset));
	fn = (ssize_t (*)(int, const void *, size_t, off_t))real(id);
	return fn ? fn(fd, buf, count, offset) :
		    syscall(SYS_pwrite64, fd, buf, count, offset);
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	return do_pread(REAL_PREAD, fd, buf, count, offset);
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
{
	return do_pread(REAL_PREAD64, fd, buf, count, offset);
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	return do_pwrite(REAL_PWRITE, fd, buf, count, offset);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count,
			     off_t offset)
{
	return do_pwrite(REAL_PWRITE64, fd, buf, count, offset);
}

SHIM_EXPORT int close(int fd)
{
	int (*fn)(int);

	/* The table lets go first, so a reused number never meets it. */
	if (unlikely(active()) && ufile_fd_maybe(fd)) {
		int saved = errno;

		ufile_remove_fd(fd);
		errno = saved;
	}
	fn = (int (*)(int))real(REAL_CLOSE);
	return fn ? fn(fd) : syscall(SYS_close, fd);
}

SHIM_EXPORT int dup(int oldfd)
{
	int (*fn)(int) = (int (*)(int))real(REAL_DUP);
	bool emulated = is_emulated_fd(oldfd);

	return fd_duped(oldfd, fn ? fn(oldfd) : syscall(SYS_dup, oldfd),
			emulated);
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	int (*fn)(int, int) = (int (*)(int, int))real(REAL_DUP2);
	bool emulated = is_emulated_fd(oldfd);
	int ret;

	if (fn)
		ret = fn(oldfd, newfd);
	else if (oldfd == newfd)
		ret = syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
	else
		ret = syscall(SYS_dup3, oldfd, newfd, 0);
	if (ret < 0 || oldfd == newfd)
		return ret;
	return fd_duped(oldfd, ret, emulated);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int (*fn)(int, int, int) = (int (*)(int, int, int))real(REAL_DUP3);
	bool emulated = is_emulated_fd(oldfd);

	return fd_duped(oldfd, fn ? fn(oldfd, newfd, flags) :
				    syscall(SYS_dup3, oldfd, newfd, flags),
			emulated);
}

static int do_fcntl(enum real_fn id, int fd, int cmd, void *arg)
{
	int (*fn)(int, int, ...) = (int (*)(int, int, ...))real(id);
	bool emulated = false;
	int ret;

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		emulated = is_emulated_fd(fd);
	ret = fn ? fn(fd, cmd, arg) : syscall(SYS_fcntl, fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return fd_duped(fd, ret, emulated);
	return ret;
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(REAL_FCNTL, fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(REAL_FCNTL64, fd, cmd, arg);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int (*fn)(unsigned int, unsigned int, int) =
		(int (*)(unsigned int, unsigned int, int))real(REAL_CLOSE_RANGE);

	/* Only calls that will close something drop table entries. */
	if (unlikely(active()) && first <= last &&
	    !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
	    !(flags & CLOSE_RANGE_CLOEXEC))
		ufile_remove_range(first, last);
	return fn ? fn(first, last, flags) :
		    syscall(SYS_close_range, first, last, flags);
}

SHIM_EXPORT void closefrom(int lowfd)
{
	void (*fn)(int) = (void (*)(int))real(REAL_CLOSEFROM);

	if (unlikely(active()) && lowfd >= 0)
		ufile_remove_range(lowfd, UINT_MAX);
	if (fn)
		fn(lowfd);
	else
		syscall(SYS_close_range, lowfd < 0 ? 0 : lowfd, UINT_MAX, 0);
}
