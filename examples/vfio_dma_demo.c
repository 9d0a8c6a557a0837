/*
 * vfio_dma_demo.c - a device doing DMA through an IOMMU, driven the way a
 * user-space driver drives real hardware: open the VFIO device cdev and
 * /dev/iommu, bind, make an IOAS, map buffers, attach, hand the device's
 * DMA engine a ring of descriptors (copy, fill, compare) through its
 * registers in BAR0 (pread/pwrite on the device fd), wait for its
 * completion interrupt on an eventfd, check the data.  Then a descriptor
 * targets memory that is not mapped yet: the device's page request arrives
 * on an iommufd fault queue, the program maps the page and answers
 * SUCCESS, and the device finishes the descriptor (I/O page faults, PCIe
 * PRI).
 *
 * Run it under `uiommu run --` (`make demo` does).  The page-fault part
 * needs a device with PRI behind a unit with PRI, declared with
 *   UIOMMU_DEVICES="unit vtd0 type=vtd pri; device vfio0 unit=vtd0 bdf=0:3.0 pri"
 * (`make demo` sets it); with the default device (no PRI) it is skipped.
 *
 * Only the kernel's uAPI headers and the device's register map
 * (include/uiommu/emu.h) are used.
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

#include <uiommu/emu.h>

#define IOVA_RING 0x10000000ull
#define IOVA_SRC 0x20000000ull
#define IOVA_DST 0x30000000ull
#define IOVA_LAZY 0x40000000ull	/* mapped only when the device asks */
#define LEN 8192
#define RING_ENTRIES 16

static int dfd, ifd, efd;
static uint64_t bar0;		/* BAR0's offset in the device fd */
static uint32_t ioas;

static void die(const char *what)
{
	fprintf(stderr, "vfio_dma_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reg_write(uint64_t reg, uint64_t val, size_t width)
{
	if (pwrite(dfd, &val, width, bar0 + reg) != (ssize_t)width)
		die("register write");
}

static uint64_t reg_read(uint64_t reg, size_t width)
{
	uint64_t val = 0;

	if (pread(dfd, &val, width, bar0 + reg) != (ssize_t)width)
		die("register read");
	return val;
}

static void *buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void map(void *buf, size_t len, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	if (ioctl(ifd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP");
}

/* Block until the device raises its completion interrupt. */
static void wait_interrupt(void)
{
	uint64_t count;

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		die("waiting for the completion interrupt");
}

static const char *status_name(uint32_t status)
{
	switch (status) {
	case EMU_DMA_DESC_SUCCESS:
		return "success";
	case EMU_DMA_DESC_FAULT:
		return "fault";
	case EMU_DMA_DESC_INVALID:
		return "invalid";
	case EMU_DMA_DESC_ABORTED:
		return "aborted";
	default:
		return "not done";
	}
}

/* The device, the IOAS, the interrupt; a fault queue if @fault_fd. */
static void setup(uint32_t *fault_id, int *fault_fd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct vfio_region_info info = { .argsz = sizeof(info) };
	char irqbuf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)irqbuf;

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
	ioas = alloc.out_ioas_id;
	printf("bound as device %u, IOAS %u\n", bind.out_devid, ioas);

	/* A HWPT whose I/O page faults go to a fault queue we read. */
	if (ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &fault))
		die("IOMMU_FAULT_QUEUE_ALLOC");
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = bind.out_devid,
		.pt_id = ioas,
		.fault_id = fault.out_fault_id,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};

	if (ioctl(ifd, IOMMU_HWPT_ALLOC, &hwpt))
		die("IOMMU_HWPT_ALLOC");
	attach.pt_id = hwpt.out_hwpt_id;
	if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) == 0) {
		*fault_id = fault.out_fault_id;
		*fault_fd = fault.out_fault_fd;
		printf("attached to HWPT %u, page faults to fault queue %u\n",
		       attach.pt_id, *fault_id);
	} else if (errno == ENODEV) {
		/* The device has no PRI: a plain attach to the IOAS. */
		close(fault.out_fault_fd);
		*fault_fd = -1;
		attach.pt_id = ioas;
		if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
			die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
		printf("attached to HWPT %u (the device has no PRI)\n",
		       attach.pt_id);
	} else {
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	}

	if (ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &info))
		die("VFIO_DEVICE_GET_REGION_INFO");
	bar0 = info.offset;
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
	printf("BAR0: %llu bytes, device id %#x\n",
	       (unsigned long long)info.size,
	       (unsigned)reg_read(EMU_DMA_REG_ID, 4));
}

int main(void)
{
	struct emu_dma_desc *ring, *d;
	uint32_t tail = 0, fault_id = 0;
	int fault_fd;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char *src, *dst, *lazy;
	int bad = 0;

	setup(&fault_id, &fault_fd);

	/* The ring and two data buffers live in our memory, mapped. */
	ring = buffer(page);	/* RING_ENTRIES * 64 bytes fit */
	src = buffer(LEN);
	dst = buffer(LEN);
	for (unsigned int i = 0; i < LEN; i++)
		src[i] = (char)(i * 31 + 7);
	map(ring, page, IOVA_RING);
	map(src, LEN, IOVA_SRC);
	map(dst, LEN, IOVA_DST);
	reg_write(EMU_DMA_REG_RING_BASE, IOVA_RING, 8);
	reg_write(EMU_DMA_REG_RING_SIZE, RING_ENTRIES, 4);

	/* Copy src to dst, fill dst's last 64 bytes, compare twice. */
	ring[0] = (struct emu_dma_desc){ .opcode = EMU_DMA_OP_COPY,
					 .src = IOVA_SRC, .dst = IOVA_DST,
					 .len = LEN };
	ring[1] = (struct emu_dma_desc){ .opcode = EMU_DMA_OP_COMPARE,
					 .src = IOVA_SRC, .dst = IOVA_DST,
					 .len = LEN };
	ring[2] = (struct emu_dma_desc){ .opcode = EMU_DMA_OP_FILL,
					 .dst = IOVA_DST + LEN - 64, .len = 64,
					 .pattern = 0xa5a5a5a5a5a5a5a5ull };
	ring[3] = ring[1];
	tail = 4;
	reg_write(EMU_DMA_REG_RING_TAIL, tail, 4);	/* doorbell */
	wait_interrupt();
	printf("ring: copy %s (%llu bytes), compare %s (equal: %s), "
	       "fill %s, compare %s (first difference at %llu)\n",
	       status_name(ring[0].status), (unsigned long long)ring[0].result,
	       status_name(ring[1].status),
	       ring[1].result == LEN ? "yes" : "no",
	       status_name(ring[2].status), status_name(ring[3].status),
	       (unsigned long long)ring[3].result);
	if (memcmp(src, dst, LEN - 64) || (unsigned char)dst[LEN - 1] != 0xa5 ||
	    ring[1].result != LEN || ring[3].result != LEN - 64) {
		fprintf(stderr, "vfio_dma_demo: the ring's work did not arrive\n");
		bad = 1;
	}

	if (fault_fd < 0) {
		printf("page faults: skipped (declare the device with pri)\n");
		goto out;
	}

	/* A copy into IOVA_LAZY, which nothing maps yet. */
	lazy = buffer(LEN);
	d = &ring[tail];
	*d = (struct emu_dma_desc){ .opcode = EMU_DMA_OP_COPY,
				    .src = IOVA_SRC, .dst = IOVA_LAZY,
				    .len = LEN };
	tail = (tail + 1) % RING_ENTRIES;
	reg_write(EMU_DMA_REG_RING_TAIL, tail, 4);

	/*
	 * Serve the device's page requests, a page at a time, until its
	 * completion interrupt says the ring is done.
	 */
	for (;;) {
		struct pollfd pfd[2] = { { .fd = efd, .events = POLLIN },
					 { .fd = fault_fd, .events = POLLIN } };
		struct iommu_hwpt_pgfault rec;
		struct iommu_hwpt_page_response resp = {
			.code = IOMMUFD_PAGE_RESP_SUCCESS,
		};

		if (poll(pfd, 2, -1) < 1)
			die("poll");
		if (pfd[0].revents & POLLIN) {
			wait_interrupt();
			break;
		}
		if (read(fault_fd, &rec, sizeof(rec)) != sizeof(rec))
			die("read fault fd");
		printf("page request: device %u, address %#llx, %s, group %u, "
		       "cookie %u\n",
		       rec.dev_id, (unsigned long long)rec.addr,
		       rec.perm & IOMMU_PGFAULT_PERM_WRITE ? "write" : "read",
		       rec.grpid, rec.cookie);
		if (rec.addr >= IOVA_LAZY && rec.addr < IOVA_LAZY + LEN) {
			uint64_t off = (rec.addr - IOVA_LAZY) & ~(page - 1);

			map(lazy + off, page, IOVA_LAZY + off);
			printf("  mapped the page at %#llx: answering SUCCESS\n",
			       (unsigned long long)(IOVA_LAZY + off));
		} else {
			resp.code = IOMMUFD_PAGE_RESP_INVALID;
			printf("  not ours: answering INVALID\n");
		}
		resp.cookie = rec.cookie;
		if (write(fault_fd, &resp, sizeof(resp)) != sizeof(resp))
			die("write fault fd");
	}
	printf("faulting copy: %s, %llu bytes\n", status_name(d->status),
	       (unsigned long long)d->result);
	if (d->status != EMU_DMA_DESC_SUCCESS || memcmp(src, lazy, LEN)) {
		fprintf(stderr, "vfio_dma_demo: the faulting copy did not arrive\n");
		bad = 1;
	}
	close(fault_fd);
out:
	if (!bad)
		printf("all data ok\n");
	close(dfd);
	close(ifd);
	return bad;
}
