/*
 * dma_wait_test.c - the core's half of the IOMMU ordering rule for devices
 * behind software IOMMU units (docs/iommu.md, "Ordering"): IOAS_UNMAP, and
 * destroying an auto domain on detach, return only after DMA that was in
 * flight when the PTEs were cleared has finished.  A thread holds a DMA
 * read-side section open (as a device model in the middle of a transfer
 * does) and the unmap must not return before it ends.  Checks what the
 * uapi suite cannot time: a page-sized DMA race is too short to lose.
 */
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "core/file.h"
#include "iommu/translate.h"

static atomic_bool dma_done;
static atomic_bool dma_started;

static void *dma_holder(void *arg)
{
	iommu_dma_begin();
	atomic_store(&dma_started, true);
	usleep(200 * 1000);
	atomic_store(&dma_done, true);
	iommu_dma_end();
	return NULL;
}

static long f_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct ufile *f = ufile_get(fd);
	long rc;

	CHECK(f);
	rc = f->ops->ioctl(f, cmd, arg);
	ufile_put(f);
	return rc;
}

static void run(bool detach)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	size_t len = 2 * sysconf(_SC_PAGESIZE);
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ifd = iommufd_fops_open("/dev/iommu", O_RDWR);
	int dfd = vfio_cdev_open("/dev/vfio/devices/vfio0", O_RDWR);
	pthread_t th;

	CHECK(buf != MAP_FAILED);
	CHECK(ifd >= 0 && dfd >= 0);
	bind.iommufd = ifd;
	CHECK_EQ(f_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
	CHECK_EQ(f_ioctl(ifd, IOMMU_IOAS_ALLOC, &alloc), 0);
	{
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE,
			.ioas_id = alloc.out_ioas_id,
			.user_va = (uintptr_t)buf,
			.length = len,
			.iova = 0x100000,
		};

		CHECK_EQ(f_ioctl(ifd, IOMMU_IOAS_MAP, &map), 0);
	}
	at.pt_id = alloc.out_ioas_id;
	CHECK_EQ(f_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);

	atomic_store(&dma_done, false);
	atomic_store(&dma_started, false);
	CHECK_EQ(pthread_create(&th, NULL, dma_holder, NULL), 0);
	while (!atomic_load(&dma_started))
		usleep(1000);
	if (detach) {
		/* The auto domain goes with its last device: unmapped, unpinned. */
		CHECK_EQ(f_ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	} else {
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap),
			.ioas_id = alloc.out_ioas_id,
			.iova = 0x100000,
			.length = len,
		};

		CHECK_EQ(f_ioctl(ifd, IOMMU_IOAS_UNMAP, &unmap), 0);
	}
	CHECK(atomic_load(&dma_done));
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(ufile_remove_fd(dfd), 0);
	close(dfd);
	CHECK_EQ(ufile_remove_fd(ifd), 0);
	close(ifd);
	munmap(buf, len);
}

TEST(unmap_waits_for_dma_in_flight)
{
	run(false);
}

TEST(detach_unmaps_after_dma_in_flight)
{
	run(true);
}
