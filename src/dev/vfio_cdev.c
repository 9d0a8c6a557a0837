/*
 * vfio_cdev.c - /dev/vfio/devices/vfioN: the VFIO device cdev of an
 * emulated device (emu_dev.h), with the kernel's rules (v6.17 vfio-pci).
 *
 * An open file is unusable until VFIO_DEVICE_BIND_IOMMUFD binds it to an
 * iommufd: every other ioctl and pread/pwrite is EINVAL before.  Binding
 * claims the group's DMA ownership for that context (DMA stays blocked
 * until an attach) and keeps the iommufd file referenced; one file of a
 * device may be bound at a time.  Closing the bound file detaches and
 * unbinds and disables the interrupts it set.
 *
 * Regions (vfio-pci layout: region index << 40 is its offset in the file):
 * BAR0 holds the model's registers (read/write; no mmap), BAR2 the DMA
 * engine's device-local RAM (region_mem.c: read/write and mmap MAP_SHARED,
 * the same bytes either way), BAR1, BAR3-5 and the ROM are absent (size 0),
 * config space is 256 bytes (type 0 header: ids and class; writes
 * ignored).  Interrupts: INTx (maskable, automasked), MSI
 * (one vector), MSI-X (none), ERR (absent: conventional PCI), REQ; INTx and
 * MSI exclusive.  Not offered: VFIO_DEVICE_FEATURE, PCI hot reset, sparse
 * mmap capabilities, unmask by eventfd (virqfd), VF tokens.
 *
 * Locking: the bound context's ictx->lock around core calls, then
 * edev->lock for the device's state; unbind holds edev->lock around its
 * ictx->lock (so that the model, under edev->lock, sees a live idev).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "core/device.h"
#include "core/file.h"
#include "core/remote.h"
#include "core/uaccess.h"
#include "dev/emu_dev.h"
#include "dev/region_mem.h"
#include "util/compiler.h"
#include "util/fault_inject.h"
#include "util/sys.h"

#define VFIO_OFFSET_SHIFT 40
#define VFIO_OFFSET_MASK ((1ull << VFIO_OFFSET_SHIFT) - 1)
#define VFIO_NUM_REGIONS (VFIO_PCI_CONFIG_REGION_INDEX + 2)	/* + VGA */
#define EMU_CONFIG_SIZE 256

#define EMU_IRQ_INTX 0
#define EMU_IRQ_MSI 1
#define EMU_IRQ_MSIX 2
#define EMU_IRQ_ERR 3
#define EMU_IRQ_REQ 4

struct vfio_cdev {
	struct emu_dev *edev;
	struct ufile *iommufd;		/* held while bound */
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;	/* NULL: not bound */
};

#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

static bool fd_is_eventfd(int fd)
{
	static const char want[] = "anon_inode:[eventfd]";
	char link[64], target[sizeof(want)];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	return n == (ssize_t)sizeof(want) - 1 && !memcmp(target, want, n);
}

/* edev->lock held. */
static void emu_irq_clear(struct emu_dev *edev, unsigned int index)
{
	if (edev->irq_efd[index] >= 0)
		sys_close(edev->irq_efd[index]);
	edev->irq_efd[index] = -1;
}

static int vfio_cdev_bind(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_device_bind_iommufd,
					 out_devid);
	struct vfio_device_bind_iommufd bind;
	struct emu_dev *edev = vdev->edev;
	struct iommufd_device *idev;
	struct iommufd_ctx *ictx;
	struct ufile *ifile;
	uint32_t devid;
	int rc;

	if (copy_from_user(&bind, uarg, minsz))
		return -EFAULT;
	/* uAPI: VF tokens are for SR-IOV devices; these are not. */
	if (bind.argsz < minsz || bind.flags || bind.iommufd < 0)
		return -EINVAL;
	if (vdev->idev)
		return -EINVAL;
	ifile = ufile_get(bind.iommufd);
	if (!ifile)
		/* uAPI: an open fd of another kind is EBADFD, no fd EBADF. */
		return fcntl(bind.iommufd, F_GETFD) < 0 ? -EBADF : -EBADFD;
	ictx = ufile_is_remote(ifile) ? NULL : iommufd_ctx_from_ufile(ifile);
	if (!ictx) {
		ufile_put(ifile);
		/* uAPI: an fd that is not an iommufd is EBADFD. */
		return -EBADFD;
	}
	pthread_mutex_lock(&edev->lock);
	/* uAPI: a device is open through one bound file at a time. */
	if (edev->bound) {
		pthread_mutex_unlock(&edev->lock);
		ufile_put(ifile);
		return -EINVAL;
	}
	iommufd_ctx_lock(ictx);
	idev = iommufd_device_bind(ictx, &edev->dev, &devid);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_unlock;
	}
	if (copy_to_user((char *)uarg +
				 offsetof(struct vfio_device_bind_iommufd,
					  out_devid),
			 &devid, sizeof(devid))) {
		iommufd_device_unbind(idev);
		rc = -EFAULT;
		goto err_unlock;
	}
	iommufd_ctx_unlock(ictx);
	vdev->idev = idev;
	vdev->ictx = ictx;
	vdev->iommufd = ifile;
	edev->bound = vdev;
	emu_model_reset(edev);
	pthread_mutex_unlock(&edev->lock);
	return 0;

err_unlock:
	iommufd_ctx_unlock(ictx);
	pthread_mutex_unlock(&edev->lock);
	ufile_put(ifile);
	return rc;
}

static void vfio_cdev_unbind(struct vfio_cdev *vdev)
{
	struct emu_dev *edev = vdev->edev;

	if (!vdev->idev)
		return;
	/* edev->lock first: the model's thread finds idev alive under it. */
	pthread_mutex_lock(&edev->lock);
	iommufd_ctx_lock(vdev->ictx);
	iommufd_device_detach_pasids(vdev->idev);
	iommufd_device_detach(vdev->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(vdev->idev);
	iommufd_ctx_unlock(vdev->ictx);
	for (unsigned int i = 0; i < EMU_DEV_NUM_IRQS; i++)
		emu_irq_clear(edev, i);
	emu_model_reset(edev);
	edev->bound = NULL;
	pthread_mutex_unlock(&edev->lock);
	ufile_put(vdev->iommufd);
	vdev->idev = NULL;
}

static int vfio_cdev_attach(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_device_attach_iommufd_pt,
					 pt_id);
	struct vfio_device_attach_iommufd_pt attach = { 0 };
	uint32_t pasid = IOMMU_NO_PASID;
	int rc;

	if (copy_from_user(&attach, uarg, minsz))
		return -EFAULT;
	if (attach.argsz < minsz ||
	    (attach.flags & ~VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	if (attach.flags & VFIO_DEVICE_ATTACH_PASID) {
		if (attach.argsz < sizeof(attach))
			return -EINVAL;
		if (copy_from_user(&attach.pasid,
				   uptr_add(uarg, offsetof(typeof(attach), pasid)),
				   sizeof(attach.pasid)))
			return -EFAULT;
		pasid = attach.pasid;
		/* The core's PASID 0 is the RID: never a valid PASID here. */
		if (pasid == IOMMU_NO_PASID)
			return -EINVAL;
	}
	iommufd_ctx_lock(vdev->ictx);
	/* uAPI: attaching an attached device replaces its page table. */
	if (iommufd_device_attached_hwpt(vdev->idev, pasid))
		rc = iommufd_device_replace(vdev->idev, pasid, &attach.pt_id);
	else
		rc = iommufd_device_attach(vdev->idev, pasid, &attach.pt_id);
	if (!rc && copy_to_user(uptr_add(uarg, offsetof(typeof(attach), pt_id)),
				&attach.pt_id, sizeof(attach.pt_id))) {
		iommufd_device_detach(vdev->idev, pasid);
		rc = -EFAULT;
	}
	iommufd_ctx_unlock(vdev->ictx);
	return rc;
}

static int vfio_cdev_detach(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_device_detach_iommufd_pt,
					 flags);
	struct vfio_device_detach_iommufd_pt detach = { 0 };
	uint32_t pasid = IOMMU_NO_PASID;

	if (copy_from_user(&detach, uarg, minsz))
		return -EFAULT;
	if (detach.argsz < minsz ||
	    (detach.flags & ~VFIO_DEVICE_DETACH_PASID))
		return -EINVAL;
	if (detach.flags & VFIO_DEVICE_DETACH_PASID) {
		if (detach.argsz < sizeof(detach))
			return -EINVAL;
		if (copy_from_user(&detach.pasid,
				   uptr_add(uarg, offsetof(typeof(detach), pasid)),
				   sizeof(detach.pasid)))
			return -EFAULT;
		pasid = detach.pasid;
		if (pasid == IOMMU_NO_PASID)
			return -EINVAL;
	}
	iommufd_ctx_lock(vdev->ictx);
	/* uAPI: detaching a detached device succeeds. */
	iommufd_device_detach(vdev->idev, pasid);
	iommufd_ctx_unlock(vdev->ictx);
	return 0;
}

static int vfio_cdev_get_info(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_NUM_REGIONS;
	info.num_irqs = EMU_DEV_NUM_IRQS;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_cdev_region_info(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.cap_offset = 0;
	info.offset = (uint64_t)info.index << VFIO_OFFSET_SHIFT;
	switch (info.index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = emu_model_bar0_size(vdev->edev);
		info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE :
					 0;
		break;
	case EMU_REGION_MEM_INDEX:
		info.size = emu_region_mem_size(vdev->edev);
		info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE |
						 VFIO_REGION_INFO_FLAG_MMAP :
					 0;
		break;
	case VFIO_PCI_BAR1_REGION_INDEX:
	case VFIO_PCI_BAR3_REGION_INDEX ... VFIO_PCI_ROM_REGION_INDEX:
		info.size = 0;
		info.flags = 0;
		break;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = EMU_CONFIG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	default:
		/* uAPI: no VGA region, no device-specific regions. */
		return -EINVAL;
	}
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

static uint32_t emu_irq_count(unsigned int index)
{
	switch (index) {
	case EMU_IRQ_INTX:
	case EMU_IRQ_MSI:
	case EMU_IRQ_REQ:
		return 1;
	default:
		return 0;
	}
}

static int vfio_cdev_irq_info(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	/* uAPI: ERR exists only on PCI Express devices. */
	if (info.argsz < minsz || info.index >= EMU_DEV_NUM_IRQS ||
	    info.index == EMU_IRQ_ERR)
		return -EINVAL;
	info.count = emu_irq_count(info.index);
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	if (info.index == EMU_IRQ_INTX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

/* edev->lock held. */
static void emu_irq_fire(struct emu_dev *edev, unsigned int index)
{
	uint64_t one = 1;

	if (edev->irq_efd[index] >= 0)
		NEVER(sys_write(edev->irq_efd[index], &one, sizeof(one)) !=
		      sizeof(one));
}

struct iommufd_device *emu_dev_bound_idev(struct emu_dev *edev)
{
	struct vfio_cdev *vdev = edev->bound;

	return vdev ? vdev->idev : NULL;
}

void emu_dev_irq_signal(struct emu_dev *edev)
{
	if (edev->irq_efd[EMU_IRQ_MSI] >= 0) {
		emu_irq_fire(edev, EMU_IRQ_MSI);
	} else if (edev->irq_efd[EMU_IRQ_INTX] >= 0 && !edev->intx_masked) {
		emu_irq_fire(edev, EMU_IRQ_INTX);
		/* uAPI: INTx is automasked: the user unmasks it. */
		edev->intx_masked = true;
	}
}

static int vfio_cdev_set_irqs(struct vfio_cdev *vdev, void *uarg)
{
	const size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct emu_dev *edev = vdev->edev;
	struct vfio_irq_set hdr;
	uint32_t data_type, action, max;
	int32_t efd = -1;
	uint8_t b = 1;
	size_t size = 0;
	int rc = 0;

	if (copy_from_user(&hdr, uarg, minsz))
		return -EFAULT;
	data_type = hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	if (hdr.argsz < minsz || hdr.index >= EMU_DEV_NUM_IRQS ||
	    hdr.index == EMU_IRQ_ERR)
		return -EINVAL;
	max = emu_irq_count(hdr.index);
	/* uAPI: exactly one data type and one action, nothing else. */
	if ((hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			   VFIO_IRQ_SET_ACTION_TYPE_MASK)) ||
	    __builtin_popcount(data_type) != 1 ||
	    __builtin_popcount(action) != 1)
		return -EINVAL;
	if (!max || hdr.start >= max || hdr.count > max - hdr.start)
		return -EINVAL;
	if (data_type == VFIO_IRQ_SET_DATA_BOOL)
		size = 1;
	else if (data_type == VFIO_IRQ_SET_DATA_EVENTFD)
		size = sizeof(int32_t);
	if (size && (hdr.argsz - minsz < hdr.count * size))
		return -EINVAL;
	if (size && hdr.count) {
		void *dst = size == 1 ? (void *)&b : (void *)&efd;

		if (copy_from_user(dst, uptr_add(uarg, minsz), size))
			return -EFAULT;
	}

	pthread_mutex_lock(&edev->lock);
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
		/* Masking is INTx's; unmask by eventfd (virqfd) is not offered. */
		if (hdr.index != EMU_IRQ_INTX ||
		    data_type == VFIO_IRQ_SET_DATA_EVENTFD)
			rc = -EINVAL;
		else if (hdr.count && b)
			edev->intx_masked =
				action == VFIO_IRQ_SET_ACTION_MASK;
		goto out_unlock;
	}
	if (data_type == VFIO_IRQ_SET_DATA_NONE && !hdr.count) {
		emu_irq_clear(edev, hdr.index);
		goto out_unlock;
	}
	if (data_type != VFIO_IRQ_SET_DATA_EVENTFD) {
		if (hdr.count && b)
			emu_irq_fire(edev, hdr.index);
		goto out_unlock;
	}
	if (!hdr.count)
		goto out_unlock;
	if (efd < 0) {
		emu_irq_clear(edev, hdr.index);
		goto out_unlock;
	}
	/* uAPI: INTx and MSI are exclusive modes of the device. */
	if ((hdr.index == EMU_IRQ_INTX && edev->irq_efd[EMU_IRQ_MSI] >= 0) ||
	    (hdr.index == EMU_IRQ_MSI && edev->irq_efd[EMU_IRQ_INTX] >= 0)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	{
		int fd = fcntl(efd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			rc = -EBADF;
			goto out_unlock;
		}
		if (!fd_is_eventfd(fd)) {
			sys_close(fd);
			rc = -EINVAL;
			goto out_unlock;
		}
		emu_irq_clear(edev, hdr.index);
		edev->irq_efd[hdr.index] = fd;
		if (hdr.index == EMU_IRQ_INTX)
			edev->intx_masked = false;
	}
out_unlock:
	pthread_mutex_unlock(&edev->lock);
	return rc;
}

static long vfio_cdev_ioctl(struct ufile *f, unsigned long cmd, void *arg)
{
	struct vfio_cdev *vdev = f->priv;

	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vfio_cdev_bind(vdev, arg);
	/* uAPI: everything else needs a bound device. */
	if (!vdev->idev)
		return -EINVAL;
	switch (cmd) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return vfio_cdev_attach(vdev, arg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return vfio_cdev_detach(vdev, arg);
	case VFIO_DEVICE_GET_INFO:
		return vfio_cdev_get_info(vdev, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_cdev_region_info(vdev, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_cdev_irq_info(vdev, arg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_cdev_set_irqs(vdev, arg);
	case VFIO_DEVICE_RESET:
		pthread_mutex_lock(&vdev->edev->lock);
		emu_model_reset(vdev->edev);
		pthread_mutex_unlock(&vdev->edev->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static void emu_config_space(const struct emu_dev *edev, uint8_t *cfg)
{
	memset(cfg, 0, EMU_CONFIG_SIZE);
	cfg[0] = 0x34;		/* vendor 0x1234 (emulated devices) */
	cfg[1] = 0x12;
	cfg[2] = 0xd0;		/* device 0x00d0: uiommu model */
	cfg[3] = edev->model;
	cfg[8] = 0x01;		/* revision */
	cfg[0x0a] = 0x80;	/* class 08 80: other system peripheral */
	cfg[0x0b] = 0x08;
}

static ssize_t vfio_cdev_rw(struct ufile *f, void *buf, size_t count,
			    uint64_t off, bool write)
{
	struct vfio_cdev *vdev = f->priv;
	struct emu_dev *edev = vdev->edev;
	unsigned int index = off >> VFIO_OFFSET_SHIFT;
	uint64_t pos = off & VFIO_OFFSET_MASK;
	uint8_t cfg[EMU_CONFIG_SIZE];
	ssize_t rc;

	if (!vdev->idev)
		return -EINVAL;
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		pthread_mutex_lock(&edev->lock);
		rc = emu_model_bar0_rw(edev, buf, count, pos, write);
		pthread_mutex_unlock(&edev->lock);
		return rc;
	case EMU_REGION_MEM_INDEX:
		return emu_region_mem_rw(edev, buf, count, pos, write);
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (pos >= EMU_CONFIG_SIZE)
			return -EINVAL;
		count = min_t(size_t, count, EMU_CONFIG_SIZE - pos);
		if (write)
			return count;
		emu_config_space(edev, cfg);
		return copy_to_user(buf, cfg + pos, count) ? -EFAULT :
							      (ssize_t)count;
	default:
		return -EINVAL;
	}
}

static ssize_t vfio_cdev_pread(struct ufile *f, void *buf, size_t count,
			       uint64_t off)
{
	return vfio_cdev_rw(f, buf, count, off, false);
}

static ssize_t vfio_cdev_pwrite(struct ufile *f, const void *buf,
				size_t count, uint64_t off)
{
	return vfio_cdev_rw(f, (void *)buf, count, off, true);
}

/* Maps of a region stay valid after unbind, as the kernel's do until zapped. */
static int vfio_cdev_mmap(struct ufile *f, uint64_t off, uint64_t len,
			  int prot, int flags, struct ufile_map *map)
{
	struct vfio_cdev *vdev = f->priv;
	unsigned int index = off >> VFIO_OFFSET_SHIFT;
	uint64_t pos = off & VFIO_OFFSET_MASK, size;
	int fd;

	/* uAPI: vfio-pci's order: bound, region, shared, mmap-able, bounds. */
	if (!vdev->idev || index >= VFIO_NUM_REGIONS)
		return -EINVAL;
	if ((flags & MAP_TYPE) == MAP_PRIVATE)
		return -EINVAL;
	if (index != EMU_REGION_MEM_INDEX)
		return -EINVAL;
	size = emu_region_mem_size(vdev->edev);
	if (!size || pos + len > ALIGN_UP(size, (uint64_t)sysconf(_SC_PAGESIZE)))
		return -EINVAL;
	fd = emu_region_mem_fd(vdev->edev);
	if (fd < 0)
		return fd;
	map->memfd = fd;
	map->memfd_off = pos;
	map->cookie = NULL;
	return 0;
}

static void vfio_cdev_release(struct ufile *f)
{
	struct vfio_cdev *vdev = f->priv;

	vfio_cdev_unbind(vdev);
	free(vdev);
	free(f);
}

static const struct ufile_ops vfio_cdev_fops = {
	.name = "vfio-device",
	.ioctl = vfio_cdev_ioctl,
	.pread = vfio_cdev_pread,
	.pwrite = vfio_cdev_pwrite,
	.mmap = vfio_cdev_mmap,
	.release = vfio_cdev_release,
};

int vfio_cdev_open(const char *path, int flags)
{
	const char *name = strrchr(path, '/') + 1;
	struct emu_dev *edev = emu_dev_lookup(name);
	struct vfio_cdev *vdev;
	struct ufile *f;
	int fd;

	if (!edev)
		return -ENOENT;
	vdev = ufi_calloc(1, sizeof(*vdev));
	f = ufi_calloc(1, sizeof(*f));
	if (!vdev || !f) {
		free(vdev);
		free(f);
		return -ENOMEM;
	}
	vdev->edev = edev;
	fd = ufile_install_new(f, &vfio_cdev_fops, vdev, flags);
	if (fd < 0) {
		free(vdev);
		free(f);
	}
	return fd;
}
