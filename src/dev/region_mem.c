/*
 * region_mem.c - device-local RAM of an emulated device (region_mem.h).
 *
 * Each device with memory gets one memfd, made on first use and kept until
 * the process exits (devices are never destroyed either, see config.c).
 * pread/pwrite of the region go through the memfd; mmap() of the device fd
 * maps the same memfd, so both views always agree.  Contents survive
 * VFIO_DEVICE_RESET and rebinding, as a device's RAM keeps its contents over
 * a function reset.
 *
 * Locking: region_lock guards the list; the memfd itself needs none.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/file.h"
#include "core/uaccess.h"
#include "dev/emu_dev.h"
#include "dev/region_mem.h"
#include "util/compiler.h"
#include "util/fault_inject.h"

struct emu_region_mem {
	const struct emu_dev *edev;
	int memfd;
	struct emu_region_mem *next;
};

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_region_mem *regions;

uint64_t emu_region_mem_size(const struct emu_dev *edev)
{
	return edev->model == EMU_MODEL_DMA ? EMU_REGION_MEM_SIZE : 0;
}

int emu_region_mem_fd(struct emu_dev *edev)
{
	struct emu_region_mem *r;
	int fd;

	if (!emu_region_mem_size(edev))
		return -EINVAL;
	pthread_mutex_lock(&region_lock);
	for (r = regions; r; r = r->next) {
		if (r->edev == edev) {
			fd = r->memfd;
			goto out_unlock;
		}
	}
	r = ufi_calloc(1, sizeof(*r));
	if (!r) {
		fd = -ENOMEM;
		goto out_unlock;
	}
	fd = ufile_memfd_new("uiommu-bar", emu_region_mem_size(edev));
	if (fd < 0) {
		free(r);
		goto out_unlock;
	}
	r->edev = edev;
	r->memfd = fd;
	r->next = regions;
	regions = r;
out_unlock:
	pthread_mutex_unlock(&region_lock);
	return fd;
}

ssize_t emu_region_mem_rw(struct emu_dev *edev, void *buf, size_t count,
			  uint64_t pos, bool write)
{
	uint64_t size = emu_region_mem_size(edev);
	unsigned char bounce[512];
	size_t done = 0;
	int fd;

	/* uAPI: vfio-pci's BAR access: past the end EINVAL, else clamped. */
	if (pos >= size)
		return -EINVAL;
	count = min_t(uint64_t, count, size - pos);
	fd = emu_region_mem_fd(edev);
	if (fd < 0)
		return fd;
	/* The caller's buffer may be another process's: copy_*_user. */
	while (done < count) {
		size_t n = min_t(size_t, count - done, sizeof(bounce));
		ssize_t r;

		if (write) {
			if (copy_from_user(bounce, uptr_add(buf, done), n))
				return done ? (ssize_t)done : -EFAULT;
			r = pwrite(fd, bounce, n, pos + done);
		} else {
			r = pread(fd, bounce, n, pos + done);
			if (r > 0 && copy_to_user(uptr_add(buf, done), bounce, r))
				return done ? (ssize_t)done : -EFAULT;
		}
		if (r <= 0)
			return done ? (ssize_t)done : (r < 0 ? -errno : -EIO);
		done += r;
	}
	return done;
}
