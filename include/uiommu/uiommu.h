/*
 * uiommu.h - the library front end of uiommu.
 *
 * A program links libuiommu and calls these functions instead of open(),
 * ioctl(), read(), write() and close() on the device nodes uiommu emulates
 * ("/dev/iommu", /dev/vfio/devices/vfioN of declared devices).  Every fd handed out is a
 * real kernel fd (so poll, fork and close-on-exec work on it); the library
 * keeps a table fd -> emulated file.  The memory the IOMMU maps is the
 * calling process's own memory.
 *
 * All functions return a value >= 0 on success or a negative errno; they
 * never set errno.  uiommu_ioctl() takes the kernel's ioctl numbers and
 * structs (<linux/iommufd.h>, <linux/vfio.h>) unchanged.
 */
#ifndef UIOMMU_UIOMMU_H
#define UIOMMU_UIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open an emulated device node.  flags: O_RDWR plus O_CLOEXEC / O_NONBLOCK. */
int uiommu_open(const char *path, int flags);
/* Issue an ioctl on an emulated fd: >= 0 or -errno (-EBADF for other fds). */
int uiommu_ioctl(int fd, unsigned long request, void *arg);
ssize_t uiommu_read(int fd, void *buf, size_t count);
ssize_t uiommu_write(int fd, const void *buf, size_t count);
/*
 * Positioned read/write on an emulated fd: a VFIO device's regions (region
 * index << 40 is the region's offset).  -ESPIPE on files without regions.
 */
ssize_t uiommu_pread(int fd, void *buf, size_t count, off_t offset);
ssize_t uiommu_pwrite(int fd, const void *buf, size_t count, off_t offset);
/*
 * mmap() of an emulated fd, with the kernel's rules and errnos: the
 * iommufd at the offset a vIOMMU reported (out_mmap_offset/_length), a VFIO
 * device's mmap-able region at its offset.  0 with the address in @out, or
 * -errno.  The mapping keeps the file (and what the driver exposes) alive
 * until uiommu_munmap() of its last page; under the preload shim plain
 * mmap()/munmap() do the same.
 */
int uiommu_mmap(int fd, void *addr, size_t length, int prot, int flags,
		off_t offset, void **out);
/* munmap() that also ends mappings made by uiommu_mmap(): 0 or -errno. */
int uiommu_munmap(void *addr, size_t length);
/*
 * Declare IOMMU units and emulated devices (/dev/vfio/devices/vfioN): lines
 * (or ';'-separated entries) such as
 *   unit vtd0 type=vtd aw=48
 *   device vfio0 unit=vtd0 bdf=0000:00:03.0 group=1 model=dma pasid=20
 * Adds to what UIOMMU_DEVICES / UIOMMU_CONFIG declared; once anything is
 * declared the default device set is not created.  0, or -errno with a
 * message naming the offending entry in @err (@err_len bytes).
 */
int uiommu_devices_declare(const char *text, char *err, size_t err_len);
/* Close an emulated fd (also closes the kernel fd). */
int uiommu_close(int fd);
/*
 * Record that @newfd, already made by dup()/dup2()/dup3()/fcntl(F_DUPFD*)
 * on @oldfd, refers to the same emulated file.  If @newfd was itself an
 * emulated fd, that reference is dropped first.
 */
int uiommu_dup_track(int oldfd, int newfd);
/* Forget @fd without closing it (the kernel already closed it). */
void uiommu_forget(int fd);
/* True when @path names a node uiommu emulates. */
bool uiommu_path_is_emulated(const char *path);
/* True when @fd is an emulated fd. */
bool uiommu_is_fd(int fd);
/* Text for a negative errno returned by this library. */
const char *uiommu_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
