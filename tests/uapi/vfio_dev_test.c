/*
 * vfio_dev_test.c - emulated VFIO devices behind software IOMMU units:
 * /dev/vfio/devices/vfioN bind / attach / detach with the kernel's errnos,
 * IOVA ranges narrowed by the VT-d MSI window, GET_HW_INFO from the unit,
 * region and interrupt info, and DMA through the unit by the DMA-engine
 * model (copy, faults on unmapped and read-only IOVA, blocked before
 * attach).  Expected values were checked on Linux 6.12 with qemu's VT-d and
 * an edu device bound to vfio-pci, where the two agree (the edu device has
 * no reset and a 1 MiB BAR0; ours resets and has a 4 KiB BAR0).
 *
 * Each test runs in its own process, so UIOMMU_DEVICES set at its start is
 * what the first open of a device reads; unset, the default configuration
 * (unit vtd0 type=vtd aw=48; device vfio0 on it, model=dma) applies.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <uiommu/emu.h>
#include <uiommu/uiommu.h>

#include "uapi.h"

#define DEV0 "/dev/vfio/devices/vfio0"
#define MSI_START 0xfee00000ull
#define MSI_LAST 0xfeefffffull
/* A VT-d paging domain is first stage: 4 levels, the canonical low half. */
#define VTD_FS4_LAST ((1ull << 47) - 1)
#define REGION_OFF(i) ((uint64_t)(i) << 40)

static int ranges(int ifd, uint32_t ioas, struct iommu_iova_range *r,
		  uint32_t *n)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *n,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = t_ioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*n = cmd.num_iovas;
	return rc;
}

/* An iommufd, an IOAS, and vfio0 bound to it. */
struct dctx {
	int ifd, dfd;
	uint32_t ioas, devid;
};

static void dctx_setup(struct dctx *c)
{
	c->ifd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(c->ifd, &c->ioas));
	c->dfd = t_open(DEV0, O_RDWR);
	CHECK_OK(c->dfd);
	CHECK_OK(t_dev_bind(c->dfd, c->ifd, &c->devid));
}

static void dctx_teardown(struct dctx *c)
{
	CHECK_OK(t_close(c->dfd));
	CHECK_OK(t_close(c->ifd));
}

/* ---- nodes, bind ------------------------------------------------------- */

TEST(vfio_dev_open)
{
	int fd = t_open(DEV0, O_RDWR);

	CHECK_OK(fd);
	CHECK_OK(t_close(fd));
	CHECK_ERRNO(t_open("/dev/vfio/devices/vfio9", O_RDWR), ENOENT);
}

TEST(vfio_dev_unbound_is_einval)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	int fd = t_open(DEV0, O_RDWR);
	uint32_t v;

	CHECK_OK(fd);
	/* uAPI: every ioctl but BIND (and I/O) is EINVAL on an unbound fd. */
	CHECK_ERRNO(t_ioctl(fd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	CHECK_ERRNO(t_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	CHECK_ERRNO(t_dev_attach(fd, 1, NULL), EINVAL);
	CHECK_ERRNO(t_dev_detach(fd), EINVAL);
	CHECK_ERRNO(t_ioctl(fd, VFIO_DEVICE_RESET, NULL), EINVAL);
	CHECK_ERRNO(t_pread(fd, &v, 4, 0), EINVAL);
	CHECK_OK(t_close(fd));
}

TEST(vfio_dev_bind_rules)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int ifd = t_open_iommufd();
	int dfd = t_open(DEV0, O_RDWR), d2, pfd[2];
	uint32_t devid, devid2;

	CHECK_OK(dfd);
	bind.iommufd = -1;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EINVAL);
	bind.iommufd = 100000;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EBADF);
	CHECK_OK(pipe(pfd));
	bind.iommufd = pfd[0];
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EBADFD);
	close(pfd[0]);
	close(pfd[1]);
	/* uAPI: an fd that is not an iommufd is EBADFD. */
	bind.iommufd = dfd;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EBADFD);
	bind.iommufd = ifd;
	bind.flags = 2;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EINVAL);
	/* No SR-IOV: a VF token is refused. */
	bind.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EINVAL);
	bind.flags = 0;
	bind.argsz = 8;
	CHECK_ERRNO(t_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), EINVAL);
	CHECK_OK(t_dev_bind(dfd, ifd, &devid));
	CHECK(devid != 0);
	/* uAPI: binding twice, or through a second fd, is EINVAL. */
	CHECK_ERRNO(t_dev_bind(dfd, ifd, NULL), EINVAL);
	d2 = t_open(DEV0, O_RDWR);
	CHECK_OK(d2);
	CHECK_ERRNO(t_dev_bind(d2, ifd, NULL), EINVAL);
	/* uAPI: the device object is busy while bound. */
	CHECK_ERRNO(t_destroy(ifd, devid), EBUSY);
	/* uAPI: closing the device fd unbinds. */
	CHECK_OK(t_close(dfd));
	CHECK_ERRNO(t_destroy(ifd, devid), ENOENT);
	CHECK_OK(t_dev_bind(d2, ifd, &devid2));
	CHECK_OK(t_close(d2));
	CHECK_OK(t_close(ifd));
}

TEST(vfio_dev_bind_other_context_group)
{
	int a = t_open_iommufd(), b = t_open_iommufd();
	int d0, d1;
	uint32_t ioas_a, ioas_b, pt0, pt1;

	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd aw=48; "
			"device vfio0 unit=vtd0 bdf=00:03.0 group=7; "
			"device vfio1 unit=vtd0 bdf=00:03.1 group=7",
			1));
	d0 = t_open(DEV0, O_RDWR);
	d1 = t_open("/dev/vfio/devices/vfio1", O_RDWR);
	CHECK_OK(d0);
	CHECK_OK(d1);
	CHECK_OK(t_dev_bind(d0, a, NULL));
	/* uAPI: a group is owned by one context at a time. */
	CHECK_ERRNO(t_dev_bind(d1, b, NULL), EBUSY);
	CHECK_OK(t_dev_bind(d1, a, NULL));
	CHECK_OK(t_ioas_alloc(a, &ioas_a));
	CHECK_OK(t_ioas_alloc(a, &ioas_b));
	CHECK_OK(t_dev_attach(d0, ioas_a, &pt0));
	/* uAPI: the devices of a group share one page table. */
	CHECK_ERRNO(t_dev_attach(d1, ioas_b, NULL), EINVAL);
	CHECK_OK(t_dev_attach(d1, ioas_a, &pt1));
	CHECK_EQ(pt0, pt1);
	CHECK_OK(t_close(d0));
	CHECK_OK(t_close(d1));
	CHECK_OK(t_close(a));
	CHECK_OK(t_close(b));
}

TEST(vfio_dev_config_errors)
{
	char err[256] = "";

	if (strcmp(t_frontend(), "lib"))
		SKIP("uiommu_devices_declare() declares in the library's registry, not the shim's");
	CHECK_EQ(uiommu_devices_declare("unit vtd0 type=vtd aw=48\n"
					"device vfio0 unit=vtd1 bdf=00:03.0",
					err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "vfio0") && strstr(err, "unit=vtd1"));
	CHECK_EQ(uiommu_devices_declare("unit vtd0 type=vtd; "
					"device vfio0 unit=vtd0 bdf=00:20.0",
					err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "bdf=00:20.0"));
	CHECK_EQ(uiommu_devices_declare("unit vtd0 type=vtd; "
					"device vfio0 unit=vtd0 bdf=0:3.0 colour=red",
					err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "colour=red"));
	CHECK_EQ(uiommu_devices_declare("unit vtd0 type=vtd pasid=0; "
					"device vfio0 unit=vtd0 bdf=0:3.0 pasid=8",
					err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "pasid=8"));
	CHECK_EQ(uiommu_devices_declare("gadget x", err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "gadget"));
	/* Nothing of a refused declaration exists. */
	CHECK_OK(uiommu_devices_declare("unit u1 type=vtd; "
					"device vfio3 unit=u1 bdf=1:0.0",
					err, sizeof(err)));
	CHECK_ERRNO(t_open(DEV0, O_RDWR), ENOENT);
	CHECK_OK(t_close(t_open("/dev/vfio/devices/vfio3", O_RDWR)));
}

TEST(vfio_dev_config_env_error)
{
	CHECK_OK(setenv("UIOMMU_DEVICES", "device vfio0 unit=nope bdf=0:3.0",
			1));
	/* A bad configuration declares nothing (and says why on stderr). */
	CHECK_ERRNO(t_open(DEV0, O_RDWR), ENOENT);
}

/* ---- attach, IOVA ranges, HWPTs ---------------------------------------- */

TEST(vfio_dev_attach_rules)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct dctx c;
	uint32_t pt, hwpt;

	dctx_setup(&c);
	CHECK_ERRNO(t_dev_attach(c.dfd, NO_ID, NULL), ENOENT);
	at.pt_id = c.ioas;
	at.flags = 4;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    EINVAL);
	at.flags = 0;
	at.argsz = 8;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    EINVAL);
	/* uAPI: detaching a detached device succeeds. */
	CHECK_OK(t_dev_detach(c.dfd));
	/* An IOAS gets an auto domain: pt_id returns its HWPT. */
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, &pt));
	CHECK(pt != c.ioas);
	/* uAPI: attaching again replaces, here by a user HWPT. */
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas, 0, &hwpt));
	CHECK_OK(t_dev_attach(c.dfd, hwpt, &pt));
	CHECK_EQ(pt, hwpt);
	CHECK_ERRNO(t_destroy(c.ifd, hwpt), EBUSY);
	dt.argsz = 4;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt),
		    EINVAL);
	dt.argsz = sizeof(dt);
	dt.flags = 2;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt),
		    EINVAL);
	CHECK_OK(t_dev_detach(c.dfd));
	CHECK_OK(t_dev_detach(c.dfd));
	CHECK_OK(t_destroy(c.ifd, hwpt));
	dctx_teardown(&c);
}

TEST(vfio_dev_iova_ranges_msi_window)
{
	struct iommu_iova_range r[4];
	uint32_t n = 4, pt;
	struct dctx c;
	void *buf = t_buffer(PAGE_SIZE_T);

	dctx_setup(&c);
	CHECK_OK(ranges(c.ifd, c.ioas, r, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].last, UINT64_MAX);
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, &pt));
	n = 4;
	CHECK_OK(ranges(c.ifd, c.ioas, r, &n));
	/* uAPI: the aperture and the device's MSI window are carved out. */
	CHECK_EQ(n, 2);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, MSI_START - 1);
	CHECK_EQ(r[1].start, MSI_LAST + 1);
	CHECK_EQ(r[1].last, VTD_FS4_LAST);
	CHECK_ERRNO(t_ioas_map_fixed(c.ifd, c.ioas, buf, PAGE_SIZE_T,
				     MSI_START + 0x1000),
		    EINVAL);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, buf, PAGE_SIZE_T,
				  MSI_START - PAGE_SIZE_T));
	/* Detached, the IOAS takes the whole space again. */
	CHECK_OK(t_dev_detach(c.dfd));
	n = 4;
	CHECK_OK(ranges(c.ifd, c.ioas, r, &n));
	CHECK_EQ(n, 1);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, buf, PAGE_SIZE_T, MSI_START));
	/* A mapping in the window keeps the device out. */
	CHECK_ERRNO(t_dev_attach(c.dfd, c.ioas, NULL), EADDRINUSE);
	dctx_teardown(&c);
}

TEST(vfio_dev_hw_info_vtd)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info hw = {
		.size = sizeof(hw),
		.data_len = sizeof(vtd),
		.data_uptr = (uintptr_t)&vtd,
	};
	struct dctx c;

	dctx_setup(&c);
	memset(&vtd, 0xaa, sizeof(vtd));
	hw.dev_id = c.devid;
	CHECK_OK(t_ioctl(c.ifd, IOMMU_GET_HW_INFO, &hw));
	CHECK_EQ(hw.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	CHECK_EQ(hw.data_len, sizeof(vtd));
	/* cap MGAW (bits 21:16) = aw - 1; SAGAW (12:8) = 4-level only. */
	CHECK_EQ((vtd.cap_reg >> 16) & 0x3f, 47);
	CHECK_EQ((vtd.cap_reg >> 8) & 0x1f, 1u << 2);
	CHECK(vtd.ecap_reg != 0);
	CHECK_EQ(vtd.flags, 0);
	/* uAPI: asking for another type is EOPNOTSUPP. */
	hw.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	hw.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	CHECK_ERRNO(t_ioctl(c.ifd, IOMMU_GET_HW_INFO, &hw), EOPNOTSUPP);
	dctx_teardown(&c);
}

TEST(vfio_dev_hwpt_nest_parent_needs_unit_nest)
{
	struct dctx c;

	dctx_setup(&c);
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.devid, c.ioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, NULL),
		    EOPNOTSUPP);
	dctx_teardown(&c);
}

TEST(vfio_dev_hwpt_alloc)
{
	struct dctx c;
	uint32_t hwpt, hwpt2, nested;
	struct iommu_hwpt_vtd_s1 s1 = { 0 };

	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd aw=48 nest; "
			"device vfio0 unit=vtd0 bdf=00:03.0",
			1));
	dctx_setup(&c);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas, 0, &hwpt));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &nested));
	/* VT-d nested HWPTs: unit_hwpt_test.c covers them. */
	s1.addr_width = 48;
	CHECK_OK(t_hwpt_alloc_data(c.ifd, c.devid, nested, 0, &hwpt2,
				   IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)));
	CHECK_OK(t_destroy(c.ifd, hwpt2));
	/* No dirty tracking without the unit's "dirty". */
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.devid, c.ioas,
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL),
		    EOPNOTSUPP);
	CHECK_OK(t_destroy(c.ifd, hwpt));
	CHECK_OK(t_destroy(c.ifd, nested));
	dctx_teardown(&c);
}

/* ---- info, interrupts -------------------------------------------------- */

TEST(vfio_dev_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct dctx c;

	dctx_setup(&c);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_INFO, &info));
	CHECK_EQ(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	CHECK_EQ(info.num_regions, 9);
	CHECK_EQ(info.num_irqs, 5);
	info.argsz = 8;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_RESET, NULL));
	CHECK_ERRNO(t_ioctl(c.dfd, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL),
		    ENOTTY);
	dctx_teardown(&c);
}

TEST(vfio_dev_region_info)
{
	struct vfio_region_info r = { .argsz = sizeof(r) };
	struct dctx c;
	uint32_t v = 0;
	uint16_t vendor = 0;

	dctx_setup(&c);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	CHECK_EQ(r.flags, VFIO_REGION_INFO_FLAG_READ |
				  VFIO_REGION_INFO_FLAG_WRITE);
	CHECK_EQ(r.size, EMU_DMA_BAR0_SIZE);
	CHECK_EQ(r.offset, 0);
	r.index = VFIO_PCI_BAR1_REGION_INDEX;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	CHECK_EQ(r.size, 0);
	CHECK_EQ(r.offset, REGION_OFF(1));
	r.index = VFIO_PCI_CONFIG_REGION_INDEX;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	CHECK_EQ(r.size, 256);
	CHECK_EQ(r.offset, REGION_OFF(7));
	/* uAPI: no VGA region; beyond the last index EINVAL. */
	r.index = VFIO_PCI_VGA_REGION_INDEX;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r), EINVAL);
	r.index = 9;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r), EINVAL);
	r.index = 0;
	r.argsz = 8;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r), EINVAL);
	CHECK_EQ(t_pread(c.dfd, &v, 4, EMU_DMA_REG_ID), 4);
	CHECK_EQ(v, EMU_DMA_ID);
	CHECK_EQ(t_pread(c.dfd, &vendor, 2, REGION_OFF(7)), 2);
	CHECK_EQ(vendor, 0x1234);
	CHECK_ERRNO(t_pread(c.dfd, &v, 4, REGION_OFF(1)), EINVAL);
	CHECK_ERRNO(t_pread(c.dfd, &v, 3, EMU_DMA_REG_ID), EINVAL);
	CHECK_ERRNO(t_pread(c.dfd, &v, 4, EMU_DMA_BAR0_SIZE), EINVAL);
	dctx_teardown(&c);
}

/* BAR2 of the DMA engine: device RAM, by pread/pwrite and by mmap. */
TEST(vfio_dev_bar2_memory)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = 2 };
	size_t ps = PAGE_SIZE_T, size;
	unsigned char buf[64], *m, *m2;
	struct dctx c;
	int d2;

	/*
	 * uAPI: an unbound device cannot be mapped (EINVAL); a writable
	 * shared mapping of a read-only fd is EACCES before the driver is
	 * asked.  These rules were checked on Linux 6.12 with the edu device
	 * on vfio-pci (its BAR0 is mmap-able MMIO, the rest as here).
	 */
	d2 = t_open(DEV0, O_RDWR);
	CHECK_OK(d2);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, d2, REGION_OFF(2)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK_OK(t_close(d2));
	d2 = t_open(DEV0, O_RDONLY);
	CHECK_OK(d2);
	CHECK(t_mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, d2,
		     REGION_OFF(2)) == MAP_FAILED && errno == EACCES);
	CHECK(t_mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, d2,
		     REGION_OFF(2)) == MAP_FAILED && errno == EINVAL);
	CHECK_OK(t_close(d2));

	dctx_setup(&c);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	CHECK_EQ(r.flags, VFIO_REGION_INFO_FLAG_READ |
				  VFIO_REGION_INFO_FLAG_WRITE |
				  VFIO_REGION_INFO_FLAG_MMAP);
	CHECK_EQ(r.offset, REGION_OFF(2));
	size = r.size;
	CHECK(size >= 2 * ps && !(size % ps));

	/* Written through the fd, seen through the mapping, and back. */
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(t_pwrite(c.dfd, buf, sizeof(buf), REGION_OFF(2) + 100),
		 sizeof(buf));
	m = t_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c.dfd,
		   REGION_OFF(2));
	CHECK(m != MAP_FAILED);
	CHECK_EQ(m[100], 0xa5);
	CHECK_EQ(m[163], 0xa5);
	CHECK_EQ(m[164], 0);
	m[size - 1] = 0x3c;
	CHECK_EQ(t_pread(c.dfd, buf, 8, REGION_OFF(2) + size - 1), 1);
	CHECK_EQ(buf[0], 0x3c);
	/* uAPI: past the end EINVAL. */
	CHECK_ERRNO(t_pread(c.dfd, buf, 1, REGION_OFF(2) + size), EINVAL);
	/* A mapping at an offset inside the region. */
	m2 = t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd,
		    REGION_OFF(2) + size - ps);
	CHECK(m2 != MAP_FAILED);
	CHECK_EQ(m2[ps - 1], 0x3c);
	CHECK_OK(t_munmap(m2, ps));

	/* uAPI (vfio-pci): what cannot be mapped is EINVAL. */
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd, 0) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd, REGION_OFF(1)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd, REGION_OFF(7)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd, REGION_OFF(9)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_PRIVATE, c.dfd, REGION_OFF(2)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, size + ps, PROT_READ, MAP_SHARED, c.dfd,
		     REGION_OFF(2)) == MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd,
		     REGION_OFF(2) + size) == MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, MAP_SHARED, c.dfd,
		     REGION_OFF(2) + 1) == MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, 0, PROT_READ, MAP_SHARED, c.dfd, REGION_OFF(2)) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(t_mmap(NULL, ps, PROT_READ, 0, c.dfd, REGION_OFF(2)) ==
	      MAP_FAILED && errno == EINVAL);
	/* uAPI (vfio-pci): executable mappings are allowed. */
	m2 = t_mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, c.dfd,
		    REGION_OFF(2));
	CHECK(m2 != MAP_FAILED);
	CHECK_OK(t_munmap(m2, ps));

	/* Device RAM keeps its contents over a reset. */
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_RESET, NULL));
	CHECK_EQ(m[100], 0xa5);
	/* The mapping outlives the fd, as a VMA keeps its file. */
	dctx_teardown(&c);
	m[0] = 1;
	CHECK_EQ(m[size - 1], 0x3c);
	CHECK_OK(t_munmap(m, size));
}

TEST(vfio_dev_irqs)
{
	struct vfio_irq_info q = { .argsz = sizeof(q) };
	struct vfio_irq_set s = { .argsz = sizeof(s) };
	struct dctx c;
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	int pfd[2];
	uint64_t cnt;

	dctx_setup(&c);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_IRQ_INFO, &q));
	CHECK_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				  VFIO_IRQ_INFO_AUTOMASKED);
	CHECK_EQ(q.count, 1);
	q.index = VFIO_PCI_MSI_IRQ_INDEX;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_IRQ_INFO, &q));
	CHECK_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	CHECK_EQ(q.count, 1);
	q.index = VFIO_PCI_MSIX_IRQ_INDEX;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_GET_IRQ_INFO, &q));
	CHECK_EQ(q.count, 0);
	/* uAPI: no ERR interrupt on a conventional PCI device. */
	q.index = VFIO_PCI_ERR_IRQ_INDEX;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_IRQ_INFO, &q), EINVAL);
	q.index = 5;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_GET_IRQ_INFO, &q), EINVAL);

	CHECK_OK(t_dev_set_irq(c.dfd, VFIO_PCI_INTX_IRQ_INDEX, efd));
	/* uAPI: an index without vectors, or past the last, is EINVAL. */
	CHECK_ERRNO(t_dev_set_irq(c.dfd, VFIO_PCI_MSIX_IRQ_INDEX, efd), EINVAL);
	CHECK_ERRNO(t_dev_set_irq(c.dfd, 9, efd), EINVAL);
	/* INTx and MSI are exclusive. */
	CHECK_ERRNO(t_dev_set_irq(c.dfd, VFIO_PCI_MSI_IRQ_INDEX, efd2), EINVAL);
	/* DATA_NONE | TRIGGER fires the vector ... */
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.count = 1;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_SET_IRQS, &s));
	CHECK_EQ(read(efd, &cnt, sizeof(cnt)), sizeof(cnt));
	CHECK_EQ(cnt, 1);
	/* ... with count 0 it disables the index. */
	s.count = 0;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_SET_IRQS, &s));
	CHECK_OK(t_dev_set_irq(c.dfd, VFIO_PCI_MSI_IRQ_INDEX, efd2));
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
		  VFIO_IRQ_SET_DATA_BOOL;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_SET_IRQS, &s), EINVAL);
	/* Not an eventfd; not an fd. */
	CHECK_OK(pipe(pfd));
	CHECK_ERRNO(t_dev_set_irq(c.dfd, VFIO_PCI_REQ_IRQ_INDEX, pfd[0]),
		    EINVAL);
	CHECK_ERRNO(t_dev_set_irq(c.dfd, VFIO_PCI_REQ_IRQ_INDEX, 100000),
		    EBADF);
	close(pfd[0]);
	close(pfd[1]);
	close(efd);
	close(efd2);
	dctx_teardown(&c);
}

/* ---- DMA --------------------------------------------------------------- */

#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define IOVA_RO 0x300000ull

TEST(vfio_dev_dma_copy)
{
	size_t ps = PAGE_SIZE_T, len = 2 * PAGE_SIZE_T;
	char *src = t_buffer(len), *dst = t_buffer(len);
	int efd = eventfd(0, EFD_NONBLOCK);
	struct dctx c;
	uint64_t cnt;

	dctx_setup(&c);
	for (size_t i = 0; i < len; i++)
		src[i] = (char)(i * 7 + 1);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, len, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, len, IOVA_DST));
	/* uAPI: a bound device that is not attached has its DMA blocked. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, len),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_SRC);
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, NULL));
	CHECK_OK(t_dev_set_irq(c.dfd, VFIO_PCI_MSI_IRQ_INDEX, efd));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC + 8, IOVA_DST + ps - 8, ps),
		 EMU_DMA_STATUS_DONE);
	CHECK(!memcmp(dst + ps - 8, src + 8, ps));
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_DONE), ps);
	CHECK_EQ(read(efd, &cnt, sizeof(cnt)), sizeof(cnt));
	CHECK_EQ(cnt, 1);
	/* Unmapped, the source faults again. */
	CHECK_OK(t_ioas_unmap(c.ifd, c.ioas, IOVA_SRC, len, NULL));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 8),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	/* Detached: blocked. */
	CHECK_OK(t_dev_detach(c.dfd));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_DST, IOVA_DST + ps, 8),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	close(efd);
	dctx_teardown(&c);
}

TEST(vfio_dev_dma_faults)
{
	size_t ps = PAGE_SIZE_T;
	/* dst page, then a PROT_NONE guard page that is never mapped. */
	char *area = t_buffer(3 * ps), *src = t_buffer(2 * ps);
	char *dst = area, *guard = area + ps, *ro = area + 2 * ps;
	struct dctx c;

	dctx_setup(&c);
	memset(src, 0x5a, 2 * ps);
	memset(ro, 0x11, ps);
	CHECK_OK(mprotect(guard, ps, PROT_NONE));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, 2 * ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, ps, IOVA_DST));
	{
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE,
			.ioas_id = c.ioas,
			.user_va = (uintptr_t)ro,
			.length = ps,
			.iova = IOVA_RO,
		};

		CHECK_OK(t_ioctl(c.ifd, IOMMU_IOAS_MAP, &map));
	}
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, NULL));
	/* Wholly unmapped destination: fault, nothing written anywhere. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST + ps, 64),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_DST + ps);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_DONE), 0);
	/* Crossing into the unmapped page: the mapped part is written. */
	memset(dst, 0, ps);
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST + ps - 16, 32),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_DST + ps);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_DONE), 16);
	CHECK_EQ(dst[ps - 16], 0x5a);
	CHECK_EQ(dst[ps - 17], 0);
	/* An unmapped source: nothing written to a good destination. */
	memset(dst, 0, ps);
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC + 2 * ps - 8, IOVA_DST, 16),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_SRC + 2 * ps);
	CHECK_EQ(dst[0], 0);
	/* A read-only mapping refuses device writes. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_RO, 64),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_RO);
	CHECK_EQ(ro[0], 0x11);
	/* ... and serves reads. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_RO, IOVA_DST, 64), EMU_DMA_STATUS_DONE);
	CHECK_EQ(dst[63], 0x11);
	/* Bad length: refused, no DMA. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 0),
		 EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_INVALID);
	dctx_teardown(&c);
}

/* ---- unmap against DMA in flight ---------------------------------------- */

struct dma_loop {
	int dfd;
	atomic_bool stop;
	unsigned long copies;
};

static void *dma_loop_fn(void *arg)
{
	struct dma_loop *l = arg;

	while (!atomic_load(&l->stop)) {
		t_dma_copy(l->dfd, IOVA_SRC, IOVA_DST, EMU_DMA_MAX_LEN);
		l->copies++;
	}
	return NULL;
}

/*
 * uAPI: once IOAS_UNMAP returns no device reaches the memory any more: the
 * buffer is made PROT_NONE right after each unmap while a device thread
 * copies from it, so a DMA still using the old translation would crash.
 */
TEST_TIMEOUT(vfio_dev_dma_unmap_waits_for_dma, 120)
{
	size_t len = EMU_DMA_MAX_LEN;
	char *dst = t_buffer(len);
	struct dma_loop l = { 0 };
	pthread_t th;
	struct dctx c;

	dctx_setup(&c);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, len, IOVA_DST));
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, NULL));
	l.dfd = c.dfd;
	atomic_init(&l.stop, false);
	CHECK_OK(pthread_create(&th, NULL, dma_loop_fn, &l));
	for (int round = 0; round < 100; round++) {
		char *src = t_buffer(len);

		memset(src, round, len);
		CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, len, IOVA_SRC));
		for (volatile int spin = 0; spin < 100000; spin++)
			;
		CHECK_OK(t_ioas_unmap(c.ifd, c.ioas, IOVA_SRC, len, NULL));
		CHECK_OK(mprotect(src, len, PROT_NONE));
		CHECK_OK(munmap(src, len));
	}
	atomic_store(&l.stop, true);
	CHECK_OK(pthread_join(th, NULL));
	CHECK(l.copies > 0);
	dctx_teardown(&c);
}

/* ---- other unit types -------------------------------------------------- */

TEST(vfio_dev_units_of_other_types)
{
	struct iommu_hw_info_arm_smmuv3 smmu;
	struct iommu_hw_info hw = {
		.size = sizeof(hw),
		.data_len = sizeof(smmu),
		.data_uptr = (uintptr_t)&smmu,
	};
	struct iommu_iova_range r[4];
	int ifd, d0, d1, d2;
	uint32_t ioas, dev0, dev1, dev2, pt0, pt1, pt2, hwpt0, n = 4;

	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd; unit smmu0 type=smmuv3; "
			"unit amd0 type=amd\n"
			"device vfio0 unit=vtd0 bdf=0:3.0\n"
			"device vfio1 unit=smmu0 bdf=0:3.0\n"
			"device vfio2 unit=amd0 bdf=0:4.0",
			1));
	ifd = t_open_iommufd();
	d0 = t_open(DEV0, O_RDWR);
	d1 = t_open("/dev/vfio/devices/vfio1", O_RDWR);
	d2 = t_open("/dev/vfio/devices/vfio2", O_RDWR);
	CHECK_OK(d0);
	CHECK_OK(d1);
	CHECK_OK(d2);
	CHECK_OK(t_dev_bind(d0, ifd, &dev0));
	CHECK_OK(t_dev_bind(d1, ifd, &dev1));
	CHECK_OK(t_dev_bind(d2, ifd, &dev2));
	hw.dev_id = dev1;
	CHECK_OK(t_ioctl(ifd, IOMMU_GET_HW_INFO, &hw));
	CHECK_EQ(hw.out_data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	CHECK_EQ(hw.data_len, sizeof(smmu));
	/* AMD-Vi has no v6.17 data type: NONE, no data. */
	hw.dev_id = dev2;
	hw.data_len = sizeof(smmu);
	CHECK_OK(t_ioctl(ifd, IOMMU_GET_HW_INFO, &hw));
	CHECK_EQ(hw.out_data_type, IOMMU_HW_INFO_TYPE_NONE);
	CHECK_EQ(hw.data_len, 0);

	CHECK_OK(t_ioas_alloc(ifd, &ioas));
	CHECK_OK(t_hwpt_alloc(ifd, dev0, ioas, 0, &hwpt0));
	/* A VT-d domain cannot serve a device behind an SMMUv3. */
	CHECK_ERRNO(t_dev_attach(d1, hwpt0, NULL), EINVAL);
	CHECK_OK(t_dev_attach(d0, ioas, &pt0));
	CHECK_OK(t_dev_attach(d1, ioas, &pt1));
	CHECK_OK(t_dev_attach(d2, ioas, &pt2));
	CHECK(pt0 != pt1 && pt1 != pt2 && pt0 != pt2);
	/* The IOAS narrows to what every attached unit takes. */
	CHECK_OK(ranges(ifd, ioas, r, &n));
	CHECK_EQ(n, 2);
	CHECK_EQ(r[0].last, MSI_START - 1);
	CHECK_EQ(r[1].start, MSI_LAST + 1);
	CHECK_OK(t_close(d0));
	CHECK_OK(t_close(d2));
	/* Only the SMMUv3 device is left: no MSI window any more. */
	n = 4;
	CHECK_OK(ranges(ifd, ioas, r, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].start, 0);
	CHECK_OK(t_close(d1));
	CHECK_OK(t_close(ifd));
}

/* The bound device keeps its context: DMA works after the iommufd fd is
 * closed, and closing the device last frees everything. */
TEST(vfio_dev_close_iommufd_first)
{
	char *src = t_buffer(PAGE_SIZE_T), *dst = t_buffer(PAGE_SIZE_T);
	struct dctx c;

	dctx_setup(&c);
	memset(src, 0x3c, PAGE_SIZE_T);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, PAGE_SIZE_T, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, PAGE_SIZE_T, IOVA_DST));
	CHECK_OK(t_dev_attach(c.dfd, c.ioas, NULL));
	CHECK_OK(t_close(c.ifd));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 64), EMU_DMA_STATUS_DONE);
	CHECK_EQ(dst[63], 0x3c);
	CHECK_OK(t_close(c.dfd));
}

TEST(vfio_dev_config_file)
{
	char path[] = "/tmp/uiommu-devices-XXXXXX";
	static const char text[] = "# two devices\n"
				   "unit amd0 type=amd pasid=16\n"
				   "device vfio5 unit=amd0 bdf=0001:02:00.0 pasid=8\n";
	int fd = mkstemp(path), dfd;

	CHECK_OK(fd);
	CHECK_EQ(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	unsetenv("UIOMMU_DEVICES");
	CHECK_OK(setenv("UIOMMU_CONFIG", path, 1));
	dfd = t_open("/dev/vfio/devices/vfio5", O_RDWR);
	unlink(path);
	CHECK_OK(dfd);
	/* What the file declares replaces the default set. */
	CHECK_ERRNO(t_open(DEV0, O_RDWR), ENOENT);
	CHECK_OK(t_close(dfd));
}

TEST(vfio_dev_pasid_width_reported)
{
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	struct dctx c;

	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd pasid=20; "
			"device vfio0 unit=vtd0 bdf=0:3.0 pasid=10",
			1));
	dctx_setup(&c);
	hw.dev_id = c.devid;
	CHECK_OK(t_ioctl(c.ifd, IOMMU_GET_HW_INFO, &hw));
	CHECK_EQ(hw.out_max_pasid_log2, 10);
	dctx_teardown(&c);
}

TEST(vfio_dev_pasid_attach)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.flags = VFIO_DEVICE_ATTACH_PASID,
		.pasid = 5,
	};
	struct vfio_device_detach_iommufd_pt dt = {
		.argsz = sizeof(dt),
		.flags = VFIO_DEVICE_DETACH_PASID,
		.pasid = 5,
	};
	struct dctx c;
	uint32_t hwpt, plain;

	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd pasid=20; "
			"device vfio0 unit=vtd0 bdf=0:3.0 pasid=4",
			1));
	dctx_setup(&c);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas, IOMMU_HWPT_ALLOC_PASID,
			      &hwpt));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas, 0, &plain));
	/* uAPI: a PASID takes only HWPTs made with ALLOC_PASID ... */
	at.pt_id = plain;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    EINVAL);
	/* ... and only below the device's PASID width. */
	at.pt_id = hwpt;
	at.pasid = 16;
	CHECK_ERRNO(t_ioctl(c.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    EINVAL);
	at.pasid = 5;
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	CHECK_EQ(at.pt_id, hwpt);
	CHECK_ERRNO(t_destroy(c.ifd, hwpt), EBUSY);
	CHECK_OK(t_ioctl(c.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	CHECK_OK(t_destroy(c.ifd, hwpt));
	CHECK_OK(t_destroy(c.ifd, plain));
	dctx_teardown(&c);
}
