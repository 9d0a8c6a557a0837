/*
 * vfio_dma_demo.c - a device doing DMA through an IOMMU, driven the way a
 * user-space driver drives real hardware: open the VFIO device cdev and
 * /dev/iommu, bind, make an IOAS, map two buffers, attach, program the
 * device's DMA engine (registers in BAR0, reached with pread/pwrite on the
 * device fd), wait for its completion interrupt on an eventfd, check the
 * data.  Run it under `uiommu run --`, whose default configuration declares
 * /dev/vfio/devices/vfio0: a DMA engine behind an emulated Intel VT-d unit.
 *
 * The register map is uiommu's DMA-engine model (include/uiommu/emu.h),
 * spelled out here so the program needs only the kernel headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define REG_ID 0x00
#define REG_SRC 0x08
#define REG_DST 0x10
#define REG_LEN 0x18
#define REG_CMD 0x20
#define REG_STATUS 0x24
#define CMD_COPY 1u
#define STATUS_DONE 1u

#define IOVA_SRC 0x10000000ull
#define IOVA_DST 0x20000000ull
#define LEN 8192

static void die(const char *what)
{
	fprintf(stderr, "vfio_dma_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reg_write(int dfd, uint64_t off, const void *v, size_t n)
{
	if (pwrite(dfd, v, n, off) != (ssize_t)n)
		die("register write");
}

int main(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0) };
	char irqbuf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)irqbuf;
	uint64_t src_iova = IOVA_SRC, dst_iova = IOVA_DST, len = LEN, count;
	uint32_t id = 0, cmd = CMD_COPY, status = 0;
	struct pollfd pfd;
	int dfd, ifd, efd;
	char *src, *dst;

	dfd = open("/dev/vfio/devices/vfio0", O_RDWR);
	if (dfd < 0)
		die("open /dev/vfio/devices/vfio0");
	ifd = open("/dev/iommu", O_RDWR);
	if (ifd < 0)
		die("open /dev/iommu");
	bind.iommufd = ifd;
	if (ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD");
	if (ioctl(ifd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");

	src = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap");
	for (unsigned int i = 0; i < LEN; i++)
		src[i] = (char)(i * 31 + 7);
	for (int i = 0; i < 2; i++) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 (i ? IOMMU_IOAS_MAP_WRITEABLE : 0),
			.ioas_id = alloc.out_ioas_id,
			.user_va = (uintptr_t)(i ? dst : src),
			.length = LEN,
			.iova = i ? IOVA_DST : IOVA_SRC,
		};

		if (ioctl(ifd, IOMMU_IOAS_MAP, &map))
			die("IOMMU_IOAS_MAP");
	}
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	printf("bound as device %u, attached to HWPT %u of IOAS %u\n",
	       bind.out_devid, attach.pt_id, alloc.out_ioas_id);

	if (ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &bar0))
		die("VFIO_DEVICE_GET_REGION_INFO");
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd");
	irq->argsz = sizeof(irqbuf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_MSI_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(efd));
	if (ioctl(dfd, VFIO_DEVICE_SET_IRQS, irq))
		die("VFIO_DEVICE_SET_IRQS");

	if (pread(dfd, &id, 4, bar0.offset + REG_ID) != 4)
		die("register read");
	printf("BAR0: %llu bytes, device id %#x\n",
	       (unsigned long long)bar0.size, id);
	reg_write(dfd, bar0.offset + REG_SRC, &src_iova, 8);
	reg_write(dfd, bar0.offset + REG_DST, &dst_iova, 8);
	reg_write(dfd, bar0.offset + REG_LEN, &len, 8);
	reg_write(dfd, bar0.offset + REG_CMD, &cmd, 4);

	pfd.fd = efd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(efd, &count, 8) != 8)
		die("waiting for the completion interrupt");
	if (pread(dfd, &status, 4, bar0.offset + REG_STATUS) != 4)
		die("register read");
	printf("interrupt: status %#x\n", status);
	if (status != STATUS_DONE || memcmp(src, dst, LEN)) {
		fprintf(stderr, "vfio_dma_demo: the copy did not arrive\n");
		return 1;
	}
	printf("copied %d bytes from IOVA %#llx to IOVA %#llx through the IOMMU: data ok\n",
	       LEN, (unsigned long long)IOVA_SRC,
	       (unsigned long long)IOVA_DST);
	close(dfd);
	close(ifd);
	return 0;
}
