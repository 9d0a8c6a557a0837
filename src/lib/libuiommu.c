/*
 * libuiommu.c - the public library API (include/uiommu/uiommu.h) over the
 * fd table of src/core/file.c.  The only exported symbols of libuiommu.
 * A file another process serves (inherited over fork) is called through
 * src/core/remote.c; the owner's own files take the direct path
 * (pread/pwrite on a remote file go to its owner too).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uiommu/uiommu.h>

#include "core/file.h"
#include "core/remote.h"
#include "dev/emu_dev.h"
#include "util/compiler.h"
#include "util/sys.h"

__uiommu_public int uiommu_open(const char *path, int flags)
{
	const struct unode *node;

	if (!path)
		return -EFAULT;
	node = unode_lookup(path);
	if (!node)
		return -ENOENT;
	/* uAPI: the node exists and is a character device. */
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	return node->open(path, flags);
}

__uiommu_public int uiommu_ioctl(int fd, unsigned long request, void *arg)
{
	struct ufile *f = ufile_get(fd);
	long ret;

	if (!f)
		return -EBADF;
	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		/* uAPI: the VFS answers these for every file, before the driver. */
		ufile_put(f);
		ret = syscall(SYS_ioctl, fd, request, arg);
		return ret < 0 ? -errno : ret;
	}
	if (ufile_is_remote(f))
		ret = remote_ioctl(f, request, arg);
	else
		ret = f->ops->ioctl ? f->ops->ioctl(f, request, arg) : -ENOTTY;
	ufile_put(f);
	return ret;
}

__uiommu_public ssize_t uiommu_read(int fd, void *buf, size_t count)
{
	struct ufile *f = ufile_get(fd);
	ssize_t ret;

	if (!f)
		return -EBADF;
	if (ufile_is_remote(f))
		ret = remote_read(f, buf, count);
	else
		ret = f->ops->read ? f->ops->read(f, buf, count) : -EINVAL;
	ufile_put(f);
	return ret;
}

__uiommu_public ssize_t uiommu_write(int fd, const void *buf, size_t count)
{
	struct ufile *f = ufile_get(fd);
	ssize_t ret;

	if (!f)
		return -EBADF;
	if (ufile_is_remote(f))
		ret = remote_write(f, buf, count);
	else
		ret = f->ops->write ? f->ops->write(f, buf, count) : -EINVAL;
	ufile_put(f);
	return ret;
}

static ssize_t uiommu_prw(int fd, void *buf, size_t count, off_t offset,
			  bool write)
{
	struct ufile *f;
	ssize_t ret;

	/* uAPI: a negative offset is EINVAL, before the file is asked. */
	if (offset < 0)
		return -EINVAL;
	f = ufile_get(fd);
	if (!f)
		return -EBADF;
	if (ufile_is_remote(f))
		ret = write ? remote_pwrite(f, buf, count, offset) :
			      remote_pread(f, buf, count, offset);
	else if (write)
		ret = f->ops->pwrite ? f->ops->pwrite(f, buf, count, offset) :
				       -ESPIPE;
	else
		ret = f->ops->pread ? f->ops->pread(f, buf, count, offset) :
				      -ESPIPE;
	ufile_put(f);
	return ret;
}

__uiommu_public ssize_t uiommu_pread(int fd, void *buf, size_t count,
				     off_t offset)
{
	return uiommu_prw(fd, buf, count, offset, false);
}

__uiommu_public ssize_t uiommu_pwrite(int fd, const void *buf, size_t count,
				      off_t offset)
{
	return uiommu_prw(fd, (void *)buf, count, offset, true);
}

__uiommu_public int uiommu_mmap(int fd, void *addr, size_t length, int prot,
				int flags, off_t offset, void **out)
{
	if (!out)
		return -EFAULT;
	return ufile_mmap(fd, addr, length, prot, flags, offset, out);
}

__uiommu_public int uiommu_munmap(void *addr, size_t length)
{
	/* The kernel's answer first: nothing is forgotten on EINVAL. */
	if (syscall(SYS_munmap, addr, length))
		return -errno;
	ufile_maps_unmapped((uintptr_t)addr, length);
	return 0;
}

__uiommu_public int uiommu_devices_declare(const char *text, char *err,
					   size_t err_len)
{
	return emu_config_declare(text, err, err_len);
}

__uiommu_public int uiommu_close(int fd)
{
	int ret = ufile_remove_fd(fd);

	if (ret)
		return ret;
	/* The table no longer knows @fd, so a preloaded close() passes. */
	if (sys_close(fd))
		return -errno;
	return 0;
}

__uiommu_public int uiommu_dup_track(int oldfd, int newfd)
{
	return ufile_dup_fd(oldfd, newfd);
}

__uiommu_public void uiommu_forget(int fd)
{
	ufile_remove_fd(fd);
}

__uiommu_public bool uiommu_path_is_emulated(const char *path)
{
	return path && unode_lookup(path);
}

__uiommu_public bool uiommu_is_fd(int fd)
{
	struct ufile *f = ufile_get(fd);

	if (!f)
		return false;
	ufile_put(f);
	return true;
}

__uiommu_public const char *uiommu_strerror(int err)
{
	return strerror(err < 0 ? -err : err);
}
