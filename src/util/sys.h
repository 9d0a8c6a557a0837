/*
 * sys.h - raw system calls for uiommu's own use of its kernel fds.
 *
 * Under the preload shim, libc's read/write/close on an emulated fd are
 * routed back into uiommu; uiommu's internal I/O on the eventfds behind its
 * files must bypass that, so it calls the kernel directly.
 */
#ifndef UIOMMU_UTIL_SYS_H
#define UIOMMU_UTIL_SYS_H

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline ssize_t sys_read(int fd, void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

static inline ssize_t sys_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

static inline int sys_close(int fd)
{
	return syscall(SYS_close, fd);
}

/*
 * mmap() past the shim's interposer, which refuses MAP_FIXED over pinned
 * pages: uiommu itself remaps its own windows in place (same file pages).
 */
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags,
			     int fd, off_t off)
{
	long p = syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	return p == -1 ? MAP_FAILED : (void *)p;
}

#endif
