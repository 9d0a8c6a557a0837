/*
 * unit_hwpt_test.c - HWPTs on the software IOMMU units through the ioctl
 * ABI: paging HWPTs on every unit type (vtd, amd, smmuv3, riscv) and address
 * width with DMA by the DMA-engine model; dirty tracking read from the
 * formats' dirty bits that device writes set; VT-d nested HWPTs
 * (IOMMU_HWPT_DATA_VTD_S1) and SMMUv3 vIOMMUs with vSTE HWPTs, whose stage-1
 * tables (and CD) the test writes into its own memory mapped in the IOAS (a
 * guest's physical memory), with every allocation, attach and invalidation
 * error the kernel reports, and stale stage-1 translations that stay in use
 * until IOMMU_HWPT_INVALIDATE (VT-d) or a TLBI command (SMMUv3) drops them.
 *
 * Each test runs in its own process, so UIOMMU_DEVICES set at its start
 * declares the units and devices it uses.  Errnos follow Linux v6.17
 * (drivers/iommu/intel/nested.c, pasid.c, arm-smmu-v3-iommufd.c,
 * iommufd/hw_pagetable.c, viommu.c).  The 6.12 kernel oracle's VT-d (qemu
 * 7.2) has no nesting or dirty tracking: it confirmed only the errnos of a
 * unit without them (NEST_PARENT and DIRTY_TRACKING EOPNOTSUPP, VTD_S1 data
 * on an IOAS EOPNOTSUPP, on a plain paging HWPT EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <uiommu/emu.h>
#include <uiommu/uiommu.h>

#include "uapi.h"

#define DEV0 "/dev/vfio/devices/vfio0"
#define DEV1 "/dev/vfio/devices/vfio1"
#define PG 4096ull

#define DMA_OK EMU_DMA_STATUS_DONE
#define DMA_FAULT (EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT)

/* An iommufd, an IOAS, and vfio0 (and vfio1 when declared) bound to it. */
struct uctx {
	int ifd, dfd, dfd1;
	uint32_t ioas, dev, dev1;
};

static void uctx_setup(struct uctx *c, const char *devices, bool two)
{
	CHECK_OK(setenv("UIOMMU_DEVICES", devices, 1));
	c->ifd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(c->ifd, &c->ioas));
	c->dfd = t_open(DEV0, O_RDWR);
	CHECK_OK(c->dfd);
	CHECK_OK(t_dev_bind(c->dfd, c->ifd, &c->dev));
	c->dfd1 = -1;
	if (two) {
		c->dfd1 = t_open(DEV1, O_RDWR);
		CHECK_OK(c->dfd1);
		CHECK_OK(t_dev_bind(c->dfd1, c->ifd, &c->dev1));
	}
}

static void uctx_teardown(struct uctx *c)
{
	if (c->dfd1 >= 0)
		CHECK_OK(t_close(c->dfd1));
	CHECK_OK(t_close(c->dfd));
	CHECK_OK(t_close(c->ifd));
}

static const char *const unit_types[] = {"vtd", "amd", "smmuv3", "riscv"};

static void unit_decl(char *buf, size_t len, const char *type,
		      const char *flags)
{
	snprintf(buf, len,
		 "unit u0 type=%s %s\ndevice vfio0 unit=u0 bdf=0:3.0 model=dma",
		 type, flags);
}

static int set_dirty(int ifd, uint32_t hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
	    .size = sizeof(cmd),
	    .flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	    .hwpt_id = hwpt,
	};

	return t_ioctl(ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

/* ---- paging HWPTs on every unit type ----------------------------------- */

#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull

/* A buffer of @len bytes aligned to @align (a power of two). */
static char *aligned_buffer(size_t len, size_t align)
{
	uintptr_t p = (uintptr_t)t_buffer(len + align);

	return (char *)((p + align - 1) & ~(uintptr_t)(align - 1));
}

/*
 * A paging HWPT on a unit of @type (with @flags, its smallest page @g):
 * DMA, unmap, remap, replace, and the allocation errors of a unit without
 * nesting or dirty tracking.
 */
static void paging_one(const char *type, const char *flags, size_t g)
{
	char decl[160];
	char *src = aligned_buffer(2 * g, g), *dst = aligned_buffer(2 * g, g);
	uint32_t hwpt, hwpt2, out;
	struct uctx c;

	unit_decl(decl, sizeof(decl), type, flags);
	uctx_setup(&c, decl, false);
	for (size_t i = 0; i < 2 * g; i++)
		src[i] = (char)(i * 3 + 1);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, 2 * g, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, 2 * g, IOVA_DST));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &hwpt));
	/* Not attached: blocked. */
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 64), DMA_FAULT);
	CHECK_OK(t_dev_attach(c.dfd, hwpt, &out));
	CHECK_EQ(out, hwpt);
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC + 16, IOVA_DST + 8, g + 64), DMA_OK);
	CHECK(!memcmp(dst + 8, src + 16, g + 64));
	/* Unmapped from the IOAS: gone from the HWPT and its IOTLB. */
	CHECK_OK(t_ioas_unmap(c.ifd, c.ioas, IOVA_DST, 2 * g, NULL));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 8), DMA_FAULT);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_DST);
	/* Mapped again: the IOAS fills the HWPT. */
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, 2 * g, IOVA_DST));
	memset(dst, 0, 2 * g);
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST, 32), DMA_OK);
	CHECK(!memcmp(dst, src, 32));
	/* Replace by another paging HWPT of the same IOAS. */
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &hwpt2));
	CHECK_OK(t_dev_attach(c.dfd, hwpt2, NULL));
	CHECK_ERRNO(t_destroy(c.ifd, hwpt2), EBUSY);
	CHECK_OK(t_destroy(c.ifd, hwpt));
	CHECK_EQ(t_dma_copy(c.dfd, IOVA_SRC, IOVA_DST + g, 32), DMA_OK);
	CHECK(!memcmp(dst + g, src, 32));
	/* uAPI: a nest parent needs the unit's nesting; none here. */
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, NULL),
		    EOPNOTSUPP);
	/* uAPI: dirty tracking without the hardware's: EOPNOTSUPP. */
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL),
		    EOPNOTSUPP);
	CHECK_ERRNO(set_dirty(c.ifd, hwpt2, true), EOPNOTSUPP);
	/* uAPI: unknown allocation flags: EOPNOTSUPP. */
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 1u << 30, NULL),
		    EOPNOTSUPP);
	uctx_teardown(&c);
}

#define PAGING_TEST(name, type, flags, g)   \
	TEST(unit_hwpt_paging_##name)       \
	{                                   \
		paging_one(type, flags, g); \
	}
PAGING_TEST(vtd, "vtd", "", PG)
PAGING_TEST(vtd_aw39, "vtd", "aw=39", PG)
PAGING_TEST(vtd_aw57, "vtd", "aw=57", PG)
PAGING_TEST(amd, "amd", "", PG)
PAGING_TEST(amd_aw64, "amd", "aw=64", PG)
PAGING_TEST(smmuv3, "smmuv3", "", PG)
PAGING_TEST(riscv, "riscv", "", PG)
PAGING_TEST(riscv_sv39, "riscv", "aw=39", PG)
PAGING_TEST(riscv_sv57, "riscv", "aw=57", PG)

/*
 * uAPI: a domain whose smallest page is larger than the CPU's cannot serve
 * an IOAS (EINVAL): SMMUv3 units with 16K or 64K granules on a 4K host.
 */
static void big_granule(const char *flags)
{
	char decl[160];
	struct uctx c;

	unit_decl(decl, sizeof(decl), "smmuv3", flags);
	uctx_setup(&c, decl, false);
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, NULL), EINVAL);
	CHECK_ERRNO(t_dev_attach(c.dfd, c.ioas, NULL), EINVAL);
	uctx_teardown(&c);
}

TEST(unit_hwpt_paging_smmuv3_16k)
{
	if (PAGE_SIZE_T != PG)
		SKIP("the host page is not 4 KiB");
	big_granule("granule=16k");
}

TEST(unit_hwpt_paging_smmuv3_64k)
{
	if (PAGE_SIZE_T != PG)
		SKIP("the host page is not 4 KiB");
	big_granule("granule=64k");
}

/* ---- dirty tracking ---------------------------------------------------- */

/*
 * The dirty bitmap of [iova, iova + npages * 4K) (npages <= 64, all mapped)
 * by 4 KiB pages.
 */
static int get_dirty(int ifd, uint32_t hwpt, uint64_t iova, uint64_t npages,
		     uint32_t flags, uint64_t *bits)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
	    .size = sizeof(cmd),
	    .hwpt_id = hwpt,
	    .flags = flags,
	    .iova = iova,
	    .length = npages * PG,
	    .page_size = PG,
	    .data = (uintptr_t)bits,
	};

	*bits = 0;
	return t_ioctl(ifd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

#define DIRTY_BASE 0x400000ull

static void dirty_one_type(unsigned int t)
{
	char decl[160];
	char *buf = t_buffer(8 * PG);
	uint32_t hwpt;
	uint64_t bits;
	struct uctx c;

	unit_decl(decl, sizeof(decl), unit_types[t], "dirty nest");
	uctx_setup(&c, decl, false);
	memset(buf, 0x5a, 8 * PG);
	/*
	 * Page by page: one IOAS map of 32 KiB would be one 32 KiB leaf on
	 * AMD-Vi (any power-of-two page size), dirty as a whole.
	 */
	for (unsigned int i = 0; i < 8; i++)
		CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, buf + i * PG, PG,
					  DIRTY_BASE + i * PG));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	CHECK_OK(t_dev_attach(c.dfd, hwpt, NULL));
	/* uAPI: reading the bitmap with tracking off: EINVAL. */
	CHECK_ERRNO(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits), EINVAL);
	/* Writes before tracking starts leave no trace. */
	CHECK_EQ(t_dma_copy(c.dfd, DIRTY_BASE, DIRTY_BASE + PG, 16), DMA_OK);
	CHECK_OK(set_dirty(c.ifd, hwpt, true));
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0);
	/* A device write dirties exactly the pages written; reads do not. */
	CHECK_EQ(t_dma_copy(c.dfd, DIRTY_BASE, DIRTY_BASE + 3 * PG - 8, 16),
		 DMA_OK);
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8,
			   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bits));
	CHECK_EQ(bits, 0xc);
	/* NO_CLEAR left them; a plain read reports and cleans them. */
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0xc);
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0);
	/* Cleaned, the next write dirties again (the IOTLB was flushed). */
	CHECK_EQ(t_dma_copy(c.dfd, DIRTY_BASE, DIRTY_BASE + 3 * PG, 16), DMA_OK);
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0x8);
	/* Tracking off: writes are not recorded. */
	CHECK_OK(set_dirty(c.ifd, hwpt, false));
	CHECK_EQ(t_dma_copy(c.dfd, DIRTY_BASE, DIRTY_BASE + 5 * PG, 16), DMA_OK);
	CHECK_OK(set_dirty(c.ifd, hwpt, true));
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0);
	CHECK_EQ(t_dma_copy(c.dfd, DIRTY_BASE, DIRTY_BASE + 6 * PG, 16), DMA_OK);
	CHECK_OK(get_dirty(c.ifd, hwpt, DIRTY_BASE, 8, 0, &bits));
	CHECK_EQ(bits, 0x40);
	/* uAPI: a HWPT made without DIRTY_TRACKING refuses to track. */
	{
		uint32_t plain;

		CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &plain));
		CHECK_ERRNO(set_dirty(c.ifd, plain, true), EOPNOTSUPP);
		CHECK_OK(t_destroy(c.ifd, plain));
	}
	uctx_teardown(&c);
}

#define DIRTY_TEST(name, t)          \
	TEST(unit_hwpt_dirty_##name) \
	{                            \
		dirty_one_type(t);   \
	}
DIRTY_TEST(vtd, 0)
DIRTY_TEST(amd, 1)
DIRTY_TEST(smmuv3, 2)
DIRTY_TEST(riscv, 3)

/* ---- VT-d nested ------------------------------------------------------- */

/*
 * Guest memory: GMEM_PAGES pages mapped at GPA_BASE in the IOAS (the nest
 * parent).  Pages 0..3 hold the first-stage table (PML4, PDPT, PD, PT),
 * pages 8.. data.  Stage-1 IOVAs S1_IOVA + n * 4K use PT entry n.
 */
#define GMEM_PAGES 16
#define GPA_BASE 0x40000000ull
#define GPA(pg) (GPA_BASE + (uint64_t)(pg)*PG)
#define S1_IOVA 0x200000ull /* PML4[0] PDPT[0] PD[1] */
#define FS_P (1ull << 0)
#define FS_RW (1ull << 1)
#define FS_US (1ull << 2)
#define FS_A (1ull << 5)
#define FS_D (1ull << 6)
#define PG_SRC 8
#define PG_DST 9
#define PG_ALT 10

struct guest {
	uint64_t *mem; /* GMEM_PAGES pages */
};

static uint64_t *gpage(struct guest *g, unsigned int pg)
{
	return (uint64_t *)((char *)g->mem + pg * PG);
}

/* A 4-level first-stage table at page 0 mapping nothing yet. */
static void guest_init(struct guest *g)
{
	g->mem = t_buffer(GMEM_PAGES * PG);
	gpage(g, 0)[0] = GPA(1) | FS_P | FS_RW | FS_US;
	gpage(g, 1)[0] = GPA(2) | FS_P | FS_RW | FS_US;
	gpage(g, 2)[1] = GPA(3) | FS_P | FS_RW | FS_US;
}

/* PT entry @n (IOVA S1_IOVA + n * 4K) -> guest page @pg. */
static void guest_map(struct guest *g, unsigned int n, unsigned int pg,
		      uint64_t bits)
{
	__atomic_store_n(&gpage(g, 3)[n], bits ? GPA(pg) | bits : 0,
			 __ATOMIC_RELEASE);
}

static int vtd_s1_alloc(int ifd, uint32_t dev, uint32_t parent, uint64_t pgtbl,
			uint32_t aw, uint64_t flags, uint32_t *id)
{
	struct iommu_hwpt_vtd_s1 s1 = {
	    .flags = flags,
	    .pgtbl_addr = pgtbl,
	    .addr_width = aw,
	};

	return t_hwpt_alloc_data(ifd, dev, parent, 0, id,
				 IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
}

static int vtd_inv(int ifd, uint32_t id, uint64_t addr, uint64_t npages)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = {
	    .addr = addr,
	    .npages = npages,
	};
	uint32_t n = 1;

	return t_hwpt_invalidate(
	    ifd, id, &inv, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, sizeof(inv), &n);
}

#define VTD_NEST                          \
	"unit vtd0 type=vtd aw=48 nest\n" \
	"device vfio0 unit=vtd0 bdf=0:3.0 model=dma"

TEST(unit_hwpt_vtd_nested_alloc_errors)
{
	struct iommu_hwpt_vtd_s1 s1 = {.pgtbl_addr = GPA(0), .addr_width = 48};
	struct iommu_hwpt_arm_smmuv3 ste = {{0}};
	struct {
		struct iommu_hwpt_vtd_s1 s1;
		uint64_t extra;
	} big = {.s1 = s1};
	uint32_t parent, plain, auto_id, nested, dirtyp;
	struct uctx c;

	uctx_setup(&c,
		   "unit vtd0 type=vtd aw=48 nest dirty\n"
		   "unit amd0 type=amd nest\n"
		   "device vfio0 unit=vtd0 bdf=0:3.0 model=dma\n"
		   "device vfio1 unit=amd0 bdf=0:4.0 model=dma",
		   true);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &plain));
	CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 48, 0, &nested));
	CHECK_OK(t_destroy(c.ifd, nested));
	/* uAPI: VT-d nests on a second-stage parent with dirty tracking too. */
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &dirtyp));
	CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, dirtyp, GPA(0), 48, 0, &nested));
	CHECK_OK(t_destroy(c.ifd, nested));

	/* uAPI: the parent must be a user-made NEST_PARENT paging HWPT. */
	CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev, plain, GPA(0), 48, 0, NULL),
		    EINVAL);
	CHECK_OK(t_dev_attach(c.dfd1, c.ioas, &auto_id));
	CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev, auto_id, GPA(0), 48, 0, NULL),
		    EINVAL);
	CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev, 9999, GPA(0), 48, 0, NULL),
		    EINVAL);
	/* An IOAS as pt_id with VT-d data: paging domains take none. */
	CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev, c.ioas, GPA(0), 48, 0, NULL),
		    EOPNOTSUPP);
	/* A nest parent of an AMD-Vi unit does not parent VT-d stage 1. */
	{
		uint32_t amd_parent;

		CHECK_OK(t_hwpt_alloc(c.ifd, c.dev1, c.ioas,
				      IOMMU_HWPT_ALLOC_NEST_PARENT,
				      &amd_parent));
		CHECK_ERRNO(
		    vtd_s1_alloc(c.ifd, c.dev, amd_parent, GPA(0), 48, 0, NULL),
		    EINVAL);
		/* uAPI: AMD-Vi makes no nested domain of its own. */
		CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev1, amd_parent, GPA(0), 48,
					 0, NULL),
			    EOPNOTSUPP);
		CHECK_OK(t_destroy(c.ifd, amd_parent));
	}
	/* uAPI: allocation flags other than PASID: EOPNOTSUPP. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent,
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)),
		    EOPNOTSUPP);
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent,
				      IOMMU_HWPT_ALLOC_NEST_PARENT, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)),
		    EOPNOTSUPP);
	CHECK_OK(t_hwpt_alloc_data(c.ifd, c.dev, parent, IOMMU_HWPT_ALLOC_PASID,
				   &nested, IOMMU_HWPT_DATA_VTD_S1, &s1,
				   sizeof(s1)));
	CHECK_OK(t_destroy(c.ifd, nested));
	/* uAPI: another driver's data type: EOPNOTSUPP. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				      sizeof(ste)),
		    EOPNOTSUPP);
	/* uAPI: a type without data, data without a type: EINVAL. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &s1, 0),
		    EINVAL);
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_NONE, &s1, sizeof(s1)),
		    EINVAL);
	/* uAPI: shorter than the first version: EINVAL. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &s1, 16),
		    EINVAL);
	/* uAPI: longer than the driver's struct: EINVAL, even zero-tailed. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &big,
				      sizeof(big)),
		    EINVAL);
	/* A bad pointer: EFAULT. */
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_VTD_S1,
				      (void *)(uintptr_t)8, sizeof(s1)),
		    EFAULT);
	/* A nested HWPT does not parent another one. */
	CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 48, 0, &nested));
	CHECK_ERRNO(vtd_s1_alloc(c.ifd, c.dev, nested, GPA(0), 48, 0, NULL),
		    EINVAL);
	/* uAPI: the parent is held while a nested HWPT is on it. */
	CHECK_ERRNO(t_destroy(c.ifd, parent), EBUSY);
	CHECK_OK(t_destroy(c.ifd, nested));

	/*
	 * uAPI: the stage-1 configuration is checked at attach (EINVAL):
	 * widths other than 48/57, 57 without FS5LP, SRE without SRS, EAFE
	 * (no EAFS).  The failed attach leaves the device as it was.
	 */
	{
		static const struct {
			uint32_t aw;
			uint64_t flags;
		} bad[] = {
		    {39, 0},
		    {0, 0},
		    {57, 0},
		    {48, IOMMU_VTD_S1_SRE},
		    {48, IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE},
		    {48, IOMMU_VTD_S1_EAFE},
		};

		CHECK_OK(t_dev_attach(c.dfd, plain, NULL));
		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]);
		     i++) {
			CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0),
					      bad[i].aw, bad[i].flags,
					      &nested));
			CHECK_ERRNO(t_dev_attach(c.dfd, nested, NULL), EINVAL);
			CHECK_OK(t_destroy(c.ifd, nested));
		}
		/* Still on the paging HWPT. */
		CHECK_ERRNO(t_destroy(c.ifd, plain), EBUSY);
		/* WPE alone needs nothing. */
		CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 48,
				      IOMMU_VTD_S1_WPE, &nested));
		CHECK_OK(t_dev_attach(c.dfd, nested, NULL));
		CHECK_OK(t_dev_attach(c.dfd, plain, NULL));
		CHECK_OK(t_destroy(c.ifd, nested));
	}
	uctx_teardown(&c);
}

TEST(unit_hwpt_vtd_nested_features)
{
	uint32_t parent, nested;
	struct uctx c;

	/* A 5-level unit with supervisor requests takes aw=57 and SRE. */
	uctx_setup(&c,
		   "unit vtd0 type=vtd aw=57 nest priv pasid=8\n"
		   "device vfio0 unit=vtd0 bdf=0:3.0 model=dma",
		   false);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 57,
			      IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE, &nested));
	CHECK_OK(t_dev_attach(c.dfd, nested, NULL));
	CHECK_OK(t_dev_attach(c.dfd, parent, NULL));
	CHECK_OK(t_destroy(c.ifd, nested));
	CHECK_OK(vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 48, 0, &nested));
	CHECK_OK(t_dev_attach(c.dfd, nested, NULL));
	CHECK_OK(t_dev_attach(c.dfd, parent, NULL));
	CHECK_OK(t_destroy(c.ifd, nested));
	uctx_teardown(&c);
}

TEST(unit_hwpt_vtd_nested_no_nest)
{
	struct uctx c;

	/* uAPI: no nesting on the unit: no nest parent to start from. */
	uctx_setup(&c,
		   "unit vtd0 type=vtd aw=48\n"
		   "device vfio0 unit=vtd0 bdf=0:3.0 model=dma",
		   false);
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, NULL),
		    EOPNOTSUPP);
	uctx_teardown(&c);
}

/* A nest parent over the guest memory and a nested HWPT attached to vfio0. */
struct nctx {
	struct uctx c;
	struct guest g;
	uint32_t parent, nested;
};

static void nctx_setup(struct nctx *n, const char *decl)
{
	uctx_setup(&n->c, decl, false);
	guest_init(&n->g);
	for (unsigned int i = 0; i < PG; i++)
		((char *)gpage(&n->g, PG_SRC))[i] = (char)(i * 5 + 1);
	CHECK_OK(t_ioas_map_fixed(n->c.ifd, n->c.ioas, n->g.mem,
				  GMEM_PAGES * PG, GPA_BASE));
	CHECK_OK(t_hwpt_alloc(n->c.ifd, n->c.dev, n->c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &n->parent));
	CHECK_OK(vtd_s1_alloc(n->c.ifd, n->c.dev, n->parent, GPA(0), 48, 0,
			      &n->nested));
	CHECK_OK(t_dev_attach(n->c.dfd, n->nested, NULL));
}

TEST(unit_hwpt_vtd_nested_dma)
{
	struct nctx n;
	char *src, *dst, *alt;
	uint64_t pte;

	nctx_setup(&n, VTD_NEST);
	src = (char *)gpage(&n.g, PG_SRC);
	dst = (char *)gpage(&n.g, PG_DST);
	alt = (char *)gpage(&n.g, PG_ALT);
	/* Nothing mapped in stage 1 yet: the DMA faults. */
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	CHECK_EQ(t_reg_read(n.c.dfd, EMU_DMA_REG_FAULT_IOVA), S1_IOVA);
	/* A fault caches nothing: the new entries are seen at once. */
	guest_map(&n.g, 0, PG_SRC, FS_P | FS_US);
	guest_map(&n.g, 1, PG_DST, FS_P | FS_RW | FS_US);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA + 8, S1_IOVA + PG + 16, 512),
		 DMA_OK);
	CHECK(!memcmp(dst + 16, src + 8, 512));
	/* The unit set D in the leaf it wrote through, not where it read. */
	pte = gpage(&n.g, 3)[1];
	CHECK_EQ(pte & FS_D, FS_D);
	CHECK_EQ(gpage(&n.g, 3)[0] & FS_D, 0);
	/* Stage-1 read-only: writing faults. */
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA + PG, S1_IOVA, 8), DMA_FAULT);
	CHECK_EQ(t_reg_read(n.c.dfd, EMU_DMA_REG_FAULT_IOVA), S1_IOVA);
	/* Stage-2 read-only: a stage-1 writable page still cannot be written.
	 */
	{
		char *ro = t_buffer(PG);
		struct iommu_ioas_map map = {
		    .size = sizeof(map),
		    .flags =
			IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		    .ioas_id = n.c.ioas,
		    .user_va = (uintptr_t)ro,
		    .length = PG,
		    .iova = GPA(GMEM_PAGES),
		};

		CHECK_OK(t_ioctl(n.c.ifd, IOMMU_IOAS_MAP, &map));
		guest_map(&n.g, 4, GMEM_PAGES, FS_P | FS_RW | FS_US);
		CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 4 * PG + 8, 8),
			 DMA_FAULT);
		CHECK_EQ(t_reg_read(n.c.dfd, EMU_DMA_REG_FAULT_IOVA),
			 S1_IOVA + 4 * PG + 8);
		CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA + 4 * PG, S1_IOVA + PG, 8),
			 DMA_OK);
	}
	/* A stage-1 output outside the IOAS faults in stage 2. */
	guest_map(&n.g, 5, 200, FS_P | FS_RW | FS_US);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 5 * PG, 8), DMA_FAULT);
	/* Unmapping the guest memory from the IOAS stops nested DMA. */
	memset(alt, 0, PG);
	CHECK_OK(
	    t_ioas_unmap(n.c.ifd, n.c.ioas, GPA_BASE, GMEM_PAGES * PG, NULL));
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	/* The nested HWPT is held by the device, the parent by the nested. */
	CHECK_ERRNO(t_destroy(n.c.ifd, n.nested), EBUSY);
	CHECK_ERRNO(t_destroy(n.c.ifd, n.parent), EBUSY);
	uctx_teardown(&n.c);
}

TEST(unit_hwpt_vtd_nested_stale_until_invalidated)
{
	char *src, *dst, *alt;
	struct nctx n;

	nctx_setup(&n, VTD_NEST);
	src = (char *)gpage(&n.g, PG_SRC);
	dst = (char *)gpage(&n.g, PG_DST);
	alt = (char *)gpage(&n.g, PG_ALT);
	guest_map(&n.g, 0, PG_SRC, FS_P | FS_US);
	guest_map(&n.g, 1, PG_DST, FS_P | FS_RW | FS_US);
	guest_map(&n.g, 2, PG_DST, FS_P | FS_RW | FS_US);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 2 * PG + 8, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));

	/* The guest moves IOVA page 1 to another page without telling. */
	guest_map(&n.g, 1, PG_ALT, FS_P | FS_RW | FS_US);
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	/* Stale: the cached translation still reaches the old page. */
	CHECK(!memcmp(dst, src, 8));
	CHECK_EQ(alt[0], 0);
	/* An invalidation of other pages leaves it. */
	CHECK_OK(vtd_inv(n.c.ifd, n.nested, S1_IOVA + 2 * PG, 1));
	CHECK_OK(vtd_inv(n.c.ifd, n.nested, S1_IOVA, 1));
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));
	CHECK_EQ(alt[0], 0);
	/* An invalidation of the page: the new translation is used. */
	CHECK_OK(vtd_inv(n.c.ifd, n.nested, S1_IOVA + PG, 1));
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(alt, src, 8));
	CHECK_EQ(dst[0], 0);

	/* Unmapped in stage 1 but cached: still usable until invalidated. */
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 2 * PG, 8), DMA_OK);
	guest_map(&n.g, 2, 0, 0);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 2 * PG, 8), DMA_OK);
	/* A multi-page range covering it (LEAF too) drops it. */
	{
		struct iommu_hwpt_vtd_s1_invalidate inv = {
		    .addr = S1_IOVA,
		    .npages = 4,
		    .flags = IOMMU_VTD_INV_FLAGS_LEAF,
		};
		uint32_t num = 1;

		CHECK_OK(t_hwpt_invalidate(n.c.ifd, n.nested, &inv,
					   IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					   sizeof(inv), &num));
		CHECK_EQ(num, 1);
	}
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + 2 * PG, 8), DMA_FAULT);

	/* Everything: addr 0, npages U64_MAX. */
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	guest_map(&n.g, 1, PG_DST, FS_P | FS_RW | FS_US);
	memset(alt, 0, PG);
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(alt, src, 8)); /* still the cached ALT page */
	CHECK_OK(vtd_inv(n.c.ifd, n.nested, 0, UINT64_MAX));
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));

	/*
	 * An unmap from the parent drops the nested entries built on it,
	 * though the guest invalidated nothing.
	 */
	CHECK_OK(
	    t_ioas_unmap(n.c.ifd, n.c.ioas, GPA_BASE, GMEM_PAGES * PG, NULL));
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	uctx_teardown(&n.c);
}

TEST(unit_hwpt_vtd_nested_invalidate_errors)
{
	struct iommu_hwpt_vtd_s1_invalidate inv[3] = {
	    {.addr = S1_IOVA + PG, .npages = 1},
	    {.addr = S1_IOVA, .npages = 1},
	    {.addr = S1_IOVA, .npages = 1},
	};
	struct {
		struct iommu_hwpt_vtd_s1_invalidate inv;
		uint64_t extra;
	} big[2] = {{.inv = {.addr = S1_IOVA + PG, .npages = 1}},
		    {.inv = {.addr = S1_IOVA, .npages = 1}, .extra = 1}};
	char *src, *dst, *alt;
	struct nctx n;
	uint32_t num;

	nctx_setup(&n, VTD_NEST);
	src = (char *)gpage(&n.g, PG_SRC);
	dst = (char *)gpage(&n.g, PG_DST);
	alt = (char *)gpage(&n.g, PG_ALT);
	guest_map(&n.g, 0, PG_SRC, FS_P | FS_US);
	guest_map(&n.g, 1, PG_DST, FS_P | FS_RW | FS_US);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	guest_map(&n.g, 1, PG_ALT, FS_P | FS_RW | FS_US);

	/* uAPI: an empty array does nothing and succeeds. */
	num = 0;
	CHECK_OK(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				   IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				   sizeof(inv[0]), &num));
	CHECK_EQ(num, 0);
	/* uAPI: another data type: EINVAL before any entry. */
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      sizeof(inv[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	/* uAPI: entries shorter than the first version: EINVAL. */
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 8,
				      &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	/* uAPI: a non-empty array with no pointer or entry size: EINVAL. */
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, NULL,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0,
				      &num),
		    EINVAL);
	/* Nothing was invalidated so far: still stale. */
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));
	CHECK_EQ(alt[0], 0);

	/* uAPI: unknown flags: EOPNOTSUPP at that entry; earlier ones ran. */
	inv[1].flags = 1u << 1;
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EOPNOTSUPP);
	CHECK_EQ(num, 1);
	CHECK_EQ(t_dma_copy(n.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(alt, src, 8)); /* entry 0 took effect */
	inv[1].flags = 0;
	/* uAPI: reserved bits set: EOPNOTSUPP. */
	inv[2].__reserved = 1;
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EOPNOTSUPP);
	CHECK_EQ(num, 2);
	inv[2].__reserved = 0;
	/* uAPI: an address not 4 KiB aligned: EINVAL. */
	inv[0].addr = S1_IOVA + 8;
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	/* uAPI: "everything" (npages U64_MAX) must start at 0: EINVAL. */
	inv[0].addr = S1_IOVA;
	inv[0].npages = UINT64_MAX;
	num = 3;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	/* uAPI: entries longer than the driver's struct: EINVAL. */
	num = 2;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, big,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(big[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	/* A bad array pointer: EFAULT, nothing done. */
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.nested, (void *)(uintptr_t)8,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EFAULT);
	CHECK_EQ(num, 0);
	/* uAPI: a paging HWPT or an IOAS has no user cache: EINVAL. */
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.parent, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EINVAL);
	CHECK_EQ(num, 0);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, n.c.ioas, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    EINVAL);
	num = 1;
	CHECK_ERRNO(t_hwpt_invalidate(n.c.ifd, 9999, inv,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      sizeof(inv[0]), &num),
		    ENOENT);
	uctx_teardown(&n.c);
}

/*
 * Dirty tracking on the nest parent: guest DMA through the nested HWPT
 * dirties the parent's (stage-2) pages it writes, which
 * IOMMU_HWPT_GET_DIRTY_BITMAP on the parent reports by GPA.
 */
TEST(unit_hwpt_vtd_nested_dirty_parent)
{
	struct uctx *c;
	struct nctx n;
	uint64_t bits;

	uctx_setup(&n.c,
		   "unit vtd0 type=vtd aw=48 nest dirty\n"
		   "device vfio0 unit=vtd0 bdf=0:3.0 model=dma",
		   false);
	c = &n.c;
	guest_init(&n.g);
	CHECK_OK(t_ioas_map_fixed(c->ifd, c->ioas, n.g.mem, GMEM_PAGES * PG,
				  GPA_BASE));
	CHECK_OK(t_hwpt_alloc(c->ifd, c->dev, c->ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT |
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &n.parent));
	CHECK_OK(
	    vtd_s1_alloc(c->ifd, c->dev, n.parent, GPA(0), 48, 0, &n.nested));
	CHECK_OK(t_dev_attach(c->dfd, n.nested, NULL));
	guest_map(&n.g, 0, PG_SRC, FS_P | FS_US);
	guest_map(&n.g, 1, PG_DST, FS_P | FS_RW | FS_US);
	CHECK_OK(set_dirty(c->ifd, n.parent, true));
	CHECK_OK(get_dirty(c->ifd, n.parent, GPA_BASE, GMEM_PAGES, 0, &bits));
	CHECK_EQ(bits, 0);
	CHECK_EQ(t_dma_copy(c->dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	/*
	 * The data page, and the page table whose A/D bits the unit set
	 * (a hardware write through stage 2 too).
	 */
	CHECK_OK(get_dirty(c->ifd, n.parent, GPA_BASE, GMEM_PAGES, 0, &bits));
	CHECK_EQ(bits, (1ull << PG_DST) | (1ull << 3));
	CHECK_OK(get_dirty(c->ifd, n.parent, GPA_BASE, GMEM_PAGES, 0, &bits));
	CHECK_EQ(bits, 0);
	uctx_teardown(c);
}

/* ---- SMMUv3 nested: vIOMMU, vdevice, vSTE, commands --------------------- */

/* Stage-1 (VMSAv8-64, 4K granule) descriptors, as a guest writes them. */
#define ARM_TABLE 0x3ull			       /* valid, table */
#define ARM_PAGE (0x3ull | (1ull << 10) | (1ull << 6)) /* AF, AP[1] */
#define ARM_RO (1ull << 7)			       /* AP[2] */
#define STE_V 1ull
#define STE_CFG(c) ((uint64_t)(c) << 1)
#define STE_ABORT STE_CFG(0)
#define STE_BYPASS STE_CFG(4)
#define STE_S1 STE_CFG(5)
#define CD_PAGE 4
#define CD0(asid) \
	(16ull | (1ull << 31) | (1ull << 41) | ((uint64_t)(asid) << 48))
#define ASID 7
#define VSID 0x42

#define OP_CFGI_STE 0x03ull
#define OP_CFGI_CD 0x05ull
#define OP_CFGI_CD_ALL 0x06ull
#define OP_TLBI_NH_ALL 0x10ull
#define OP_TLBI_NH_ASID 0x11ull
#define OP_TLBI_NH_VA 0x12ull
#define OP_TLBI_NH_VAA 0x13ull
#define OP_TLBI_NSNH_ALL 0x30ull
#define OP_ATC_INV 0x40ull
#define OP_CMD_SYNC 0x46ull

#define SMMU_NEST                       \
	"unit smmu0 type=smmuv3 nest\n" \
	"device vfio0 unit=smmu0 bdf=0:3.0 model=dma"

/* A 4-level Arm stage-1 table at guest page 0, CD 0 at page CD_PAGE. */
static void arm_guest_init(struct guest *g, uint16_t asid)
{
	g->mem = t_buffer(GMEM_PAGES * PG);
	gpage(g, 0)[0] = GPA(1) | ARM_TABLE;
	gpage(g, 1)[0] = GPA(2) | ARM_TABLE;
	gpage(g, 2)[1] = GPA(3) | ARM_TABLE;
	gpage(g, CD_PAGE)[0] = CD0(asid);
	gpage(g, CD_PAGE)[1] = GPA(0);
}

static int viommu_alloc(int ifd, uint32_t dev, uint32_t hwpt, uint32_t type,
			uint32_t *id)
{
	struct iommu_viommu_alloc cmd = {
	    .size = sizeof(cmd),
	    .type = type,
	    .dev_id = dev,
	    .hwpt_id = hwpt,
	};
	int rc = t_ioctl(ifd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (!rc && id)
		*id = cmd.out_viommu_id;
	return rc;
}

static int vdevice_alloc(int ifd, uint32_t viommu, uint32_t dev,
			 uint64_t virt_id, uint32_t *id)
{
	struct iommu_vdevice_alloc cmd = {
	    .size = sizeof(cmd),
	    .viommu_id = viommu,
	    .dev_id = dev,
	    .virt_id = virt_id,
	};
	int rc = t_ioctl(ifd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (!rc && id)
		*id = cmd.out_vdevice_id;
	return rc;
}

static int vste_alloc(int ifd, uint32_t dev, uint32_t viommu, uint64_t ste0,
		      uint64_t ste1, uint32_t *id)
{
	struct iommu_hwpt_arm_smmuv3 ste = {{htole64(ste0), htole64(ste1)}};

	return t_hwpt_alloc_data(ifd, dev, viommu, 0, id,
				 IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste));
}

/* Run @n commands on the vIOMMU; *done gets entry_num back. */
static int smmu_cmds(int ifd, uint32_t viommu, const uint64_t (*cmds)[2],
		     uint32_t n, uint32_t *done)
{
	uint32_t num = n;
	int rc = t_hwpt_invalidate(ifd, viommu, cmds,
				   IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16,
				   &num);

	if (done)
		*done = num;
	return rc;
}

static int smmu_cmd(int ifd, uint32_t viommu, uint64_t c0, uint64_t c1)
{
	const uint64_t c[1][2] = {{c0, c1}};

	return smmu_cmds(ifd, viommu, c, 1, NULL);
}

TEST(unit_hwpt_smmuv3_viommu_errors)
{
	uint32_t parent, plain, viommu, vdev, vtd_parent;
	struct uctx c;

	uctx_setup(&c,
		   "unit smmu0 type=smmuv3 nest\n"
		   "unit vtd0 type=vtd nest\n"
		   "device vfio0 unit=smmu0 bdf=0:3.0 model=dma\n"
		   "device vfio1 unit=vtd0 bdf=0:4.0 model=dma",
		   true);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &plain));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev1, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &vtd_parent));
	/* uAPI: SMMUv3 refuses a nest parent that tracks dirty bits. */
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT |
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				 NULL),
		    EOPNOTSUPP);
	/* uAPI: SMMUv3 has no nested domain without a vIOMMU. */
	{
		struct iommu_hwpt_arm_smmuv3 ste = {{0}};

		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
					      IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
					      sizeof(ste)),
			    EOPNOTSUPP);
	}
	/* uAPI: types the IOMMU does not make: EOPNOTSUPP. */
	CHECK_ERRNO(
	    viommu_alloc(c.ifd, c.dev, parent, IOMMU_VIOMMU_TYPE_DEFAULT, NULL),
	    EOPNOTSUPP);
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, parent,
				 IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, NULL),
		    EOPNOTSUPP);
	/* uAPI: a VT-d device has no SMMUv3 vIOMMU. */
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev1, vtd_parent,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    EOPNOTSUPP);
	/* uAPI: the parent must be a nest parent of this SMMU. */
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, plain,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    EINVAL);
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, vtd_parent,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    EINVAL);
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, 9999,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    ENOENT);
	CHECK_OK(viommu_alloc(c.ifd, c.dev, parent,
			      IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu));
	/* The vIOMMU holds its parent. */
	CHECK_ERRNO(t_destroy(c.ifd, parent), EBUSY);
	/* uAPI: a device behind another IOMMU is no vdevice of it. */
	CHECK_ERRNO(vdevice_alloc(c.ifd, viommu, c.dev1, VSID, NULL), EINVAL);
	CHECK_OK(vdevice_alloc(c.ifd, viommu, c.dev, VSID, &vdev));
	CHECK_ERRNO(vdevice_alloc(c.ifd, viommu, c.dev, VSID + 1, NULL),
		    EEXIST);

	/* vSTE checks (uAPI: EIO for STE fields a guest may not set). */
	{
		static const struct {
			uint64_t ste0, ste1;
			int err;
		} cases[] = {
		    {STE_V | STE_S1 | GPA(CD_PAGE), 0, 0},
		    {STE_V | STE_ABORT, 0, 0},
		    {STE_V | STE_BYPASS, 0, 0},
		    /* V clear: anything else is ignored. */
		    {~STE_V, ~0ull, 0},
		    /* S1CDMax, S1FMT, S1DSS, cacheability, EATS=TRANS */
		    {STE_V | STE_S1 | (2ull << 4) | (4ull << 59),
		     2 | (1ull << 2) | (1ull << 27) | (1ull << 28), 0},
		    {STE_V | STE_CFG(6), 0, EIO}, /* S2 only */
		    {STE_V | STE_CFG(7), 0, EIO}, /* nested */
		    {STE_V | STE_CFG(1), 0, EIO}, /* reserved */
		    {STE_V | STE_S1 | (1ull << 55), 0, EIO},
		    {STE_V | STE_S1, 1ull << 8, EIO},
		    {STE_V | STE_S1, 2ull << 28, EIO}, /* EATS S1CHK */
		    {STE_V | STE_S1, 1ull << 63, EIO},
		};

		for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]);
		     i++) {
			uint32_t id;

			if (!cases[i].err) {
				CHECK_OK(vste_alloc(c.ifd, c.dev, viommu,
						    cases[i].ste0,
						    cases[i].ste1, &id));
				CHECK_OK(t_destroy(c.ifd, id));
			} else {
				CHECK_ERRNO(vste_alloc(c.ifd, c.dev, viommu,
						       cases[i].ste0,
						       cases[i].ste1, NULL),
					    cases[i].err);
			}
		}
	}
	/* uAPI: wrong size or type of the vSTE: EINVAL; flags: EOPNOTSUPP. */
	{
		struct iommu_hwpt_arm_smmuv3 ste = {{htole64(STE_V)}};
		struct {
			struct iommu_hwpt_arm_smmuv3 ste;
			uint64_t x;
		} big = {.ste = ste};

		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, viommu, 0, NULL,
					      IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
					      8),
			    EINVAL);
		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, viommu, 0, NULL,
					      IOMMU_HWPT_DATA_ARM_SMMUV3, &big,
					      sizeof(big)),
			    EINVAL);
		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, viommu, 0, NULL,
					      IOMMU_HWPT_DATA_VTD_S1, &ste,
					      sizeof(ste)),
			    EINVAL);
		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, viommu,
					      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					      NULL, IOMMU_HWPT_DATA_ARM_SMMUV3,
					      &ste, sizeof(ste)),
			    EOPNOTSUPP);
		CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, viommu, 0, NULL,
					      IOMMU_HWPT_DATA_ARM_SMMUV3,
					      (void *)(uintptr_t)8,
					      sizeof(ste)),
			    EFAULT);
	}
	CHECK_OK(t_destroy(c.ifd, vdev));
	CHECK_OK(t_destroy(c.ifd, viommu));
	CHECK_OK(t_destroy(c.ifd, parent));
	uctx_teardown(&c);
}

TEST(unit_hwpt_smmuv3_no_nest)
{
	uint32_t plain;
	struct uctx c;

	/* uAPI: an SMMUv3 without stage 2 (no IDR0.S2P) makes no vIOMMU. */
	uctx_setup(&c,
		   "unit smmu0 type=smmuv3\n"
		   "device vfio0 unit=smmu0 bdf=0:3.0 model=dma",
		   false);
	CHECK_ERRNO(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, NULL),
		    EOPNOTSUPP);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas, 0, &plain));
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, plain,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    EOPNOTSUPP);
	uctx_teardown(&c);
}

/* An SMMUv3 vIOMMU over the guest memory, vfio0 its vSID VSID. */
struct sctx {
	struct uctx c;
	struct guest g;
	uint32_t parent, viommu, vdev;
};

static void sctx_setup_decl(struct sctx *s, const char *decl)
{
	uctx_setup(&s->c, decl, false);
	arm_guest_init(&s->g, ASID);
	for (unsigned int i = 0; i < PG; i++)
		((char *)gpage(&s->g, PG_SRC))[i] = (char)(i * 11 + 3);
	CHECK_OK(t_ioas_map_fixed(s->c.ifd, s->c.ioas, s->g.mem,
				  GMEM_PAGES * PG, GPA_BASE));
	CHECK_OK(t_hwpt_alloc(s->c.ifd, s->c.dev, s->c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &s->parent));
	CHECK_OK(viommu_alloc(s->c.ifd, s->c.dev, s->parent,
			      IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &s->viommu));
}

static void sctx_setup(struct sctx *s)
{
	sctx_setup_decl(s, SMMU_NEST);
}

static void arm_map(struct guest *g, unsigned int n, unsigned int pg,
		    uint64_t bits)
{
	guest_map(g, n, pg, bits);
}

TEST(unit_hwpt_smmuv3_nested_dma)
{
	char *src, *dst, *alt;
	uint32_t s1, abort_id, bypass, invalid;
	struct sctx s;

	sctx_setup(&s);
	src = (char *)gpage(&s.g, PG_SRC);
	dst = (char *)gpage(&s.g, PG_DST);
	alt = (char *)gpage(&s.g, PG_ALT);
	arm_map(&s.g, 0, PG_SRC, ARM_PAGE | ARM_RO);
	arm_map(&s.g, 1, PG_DST, ARM_PAGE);
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE), 0, &s1));
	/* uAPI: a translating vSTE needs the device's vSID: ENOENT. */
	CHECK_ERRNO(t_dev_attach(s.c.dfd, s1, NULL), ENOENT);
	/* Abort and bypass vSTEs attach without one. */
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu, STE_V | STE_ABORT, 0,
			    &abort_id));
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu, STE_V | STE_BYPASS, 0,
			    &bypass));
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu, 0, 0, &invalid));
	CHECK_OK(t_dev_attach(s.c.dfd, abort_id, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 8), DMA_FAULT);
	CHECK_OK(t_dev_attach(s.c.dfd, invalid, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 8), DMA_FAULT);
	/* Bypass: stage 2 only, device addresses are IPAs. */
	CHECK_OK(t_dev_attach(s.c.dfd, bypass, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST) + 8, 16), DMA_OK);
	CHECK(!memcmp(dst + 8, src, 16));
	memset(dst, 0, PG);

	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	CHECK_OK(t_dev_attach(s.c.dfd, s1, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA + 8, S1_IOVA + PG + 24, 256),
		 DMA_OK);
	CHECK(!memcmp(dst + 24, src + 8, 256));
	/* Read-only in stage 1; unmapped in stage 1: faults. */
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA + PG, S1_IOVA, 8), DMA_FAULT);
	CHECK_EQ(t_reg_read(s.c.dfd, EMU_DMA_REG_FAULT_IOVA), S1_IOVA);
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + 6 * PG, 8), DMA_FAULT);
	/* IPAs mean nothing now. */
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 8), DMA_FAULT);

	/*
	 * The guest points CD 0 at another table (page 5 = a copy of page 0
	 * reaching a PT whose entry 1 maps ALT) and issues CFGI_CD.
	 */
	memcpy(gpage(&s.g, 5), gpage(&s.g, 0), PG);
	gpage(&s.g, 5)[0] = GPA(6) | ARM_TABLE;
	gpage(&s.g, 6)[0] = GPA(7) | ARM_TABLE;
	gpage(&s.g, 7)[1] = GPA(11) | ARM_TABLE;
	gpage(&s.g, 11)[0] = GPA(PG_SRC) | ARM_PAGE | ARM_RO;
	gpage(&s.g, 11)[1] = GPA(PG_ALT) | ARM_PAGE;
	gpage(&s.g, CD_PAGE)[1] = GPA(5);
	memset(dst, 0, PG);
	/* Until CFGI_CD the unit uses the CD it read. */
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD | ((uint64_t)VSID << 32), 1));
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(alt, src, 8));
	CHECK_EQ(dst[0], 0);
	/* A CD the unit cannot use (V clear): DMA faults, until fixed. */
	gpage(&s.g, CD_PAGE)[0] &= ~(1ull << 31);
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD_ALL | ((uint64_t)VSID << 32), 0));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	gpage(&s.g, CD_PAGE)[0] |= 1ull << 31;
	gpage(&s.g, CD_PAGE)[0] = (gpage(&s.g, CD_PAGE)[0] & ~0x3full) | 25;
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD_ALL | ((uint64_t)VSID << 32), 0));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	gpage(&s.g, CD_PAGE)[0] = CD0(ASID);
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD | ((uint64_t)VSID << 32), 0));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);

	/* Held: the vSTE HWPT by the device, the vIOMMU by HWPTs/vdevice. */
	CHECK_ERRNO(t_destroy(s.c.ifd, s1), EBUSY);
	CHECK_ERRNO(t_destroy(s.c.ifd, s.viommu), EBUSY);
	CHECK_OK(t_dev_attach(s.c.dfd, bypass, NULL));
	CHECK_OK(t_destroy(s.c.ifd, s1));
	CHECK_OK(t_destroy(s.c.ifd, abort_id));
	CHECK_OK(t_destroy(s.c.ifd, invalid));
	uctx_teardown(&s.c);
}

TEST(unit_hwpt_smmuv3_cd_formats)
{
	char *src, *dst;
	uint32_t id;
	struct sctx s;

	sctx_setup(&s);
	src = (char *)gpage(&s.g, PG_SRC);
	dst = (char *)gpage(&s.g, PG_DST);
	arm_map(&s.g, 0, PG_SRC, ARM_PAGE | ARM_RO);
	arm_map(&s.g, 1, PG_DST, ARM_PAGE);
	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	/* Two-level CD table (S1FMT 64K_L2): L1 at page 12 -> CDs at 4. */
	gpage(&s.g, 12)[0] = GPA(CD_PAGE) | 1;
	CHECK_OK(vste_alloc(
	    s.c.ifd, s.c.dev, s.viommu,
	    STE_V | STE_S1 | GPA(12) | (2ull << 4) | (8ull << 59), 2, &id));
	CHECK_OK(t_dev_attach(s.c.dfd, id, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 64), DMA_OK);
	CHECK(!memcmp(dst, src, 64));
	CHECK_OK(t_dev_attach(s.c.dfd, s.parent, NULL));
	CHECK_OK(t_destroy(s.c.ifd, id));
	/* With substreams, S1DSS=bypass: requests without one use stage 2. */
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE) | (4ull << 59), 1,
			    &id));
	CHECK_OK(t_dev_attach(s.c.dfd, id, NULL));
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 64), DMA_OK);
	CHECK(!memcmp(dst, src, 64));
	CHECK_OK(t_dev_attach(s.c.dfd, s.parent, NULL));
	CHECK_OK(t_destroy(s.c.ifd, id));
	/* S1DSS=terminate: they fault. */
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE) | (4ull << 59), 0,
			    &id));
	CHECK_OK(t_dev_attach(s.c.dfd, id, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 64), DMA_FAULT);
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 64), DMA_FAULT);
	CHECK_OK(t_dev_attach(s.c.dfd, s.parent, NULL));
	CHECK_OK(t_destroy(s.c.ifd, id));
	uctx_teardown(&s.c);
}

TEST(unit_hwpt_smmuv3_stale_until_tlbi)
{
	char *src, *dst, *alt;
	uint32_t s1;
	struct sctx s;

	sctx_setup(&s);
	src = (char *)gpage(&s.g, PG_SRC);
	dst = (char *)gpage(&s.g, PG_DST);
	alt = (char *)gpage(&s.g, PG_ALT);
	arm_map(&s.g, 0, PG_SRC, ARM_PAGE | ARM_RO);
	arm_map(&s.g, 1, PG_DST, ARM_PAGE);
	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE), 0, &s1));
	CHECK_OK(t_dev_attach(s.c.dfd, s1, NULL));

	/* Each TLBI form: stale before, the new page after. */
	static const struct {
		uint64_t c0, c1;
	} tlbi[] = {
	    {OP_TLBI_NH_VA | ((uint64_t)ASID << 48), S1_IOVA + PG},
	    /* range: TG=4K, SCALE 0, NUM 3: four pages from S1_IOVA */
	    {OP_TLBI_NH_VA | ((uint64_t)ASID << 48) | (3ull << 12),
	     S1_IOVA | (1ull << 10)},
	    {OP_TLBI_NH_VAA, S1_IOVA + PG},
	    {OP_TLBI_NH_ASID | ((uint64_t)ASID << 48), 0},
	    {OP_TLBI_NH_ALL, 0},
	    {OP_TLBI_NSNH_ALL, 0},
	};
	for (unsigned int i = 0; i < sizeof(tlbi) / sizeof(tlbi[0]); i++) {
		unsigned int from = i & 1 ? PG_ALT : PG_DST;
		unsigned int to = i & 1 ? PG_DST : PG_ALT;
		char *from_p = i & 1 ? alt : dst, *to_p = i & 1 ? dst : alt;

		memset(dst, 0, PG);
		memset(alt, 0, PG);
		arm_map(&s.g, 1, from, ARM_PAGE);
		/* (Re)fill: the first round's fill is the attach's. */
		CHECK_OK(smmu_cmd(s.c.ifd, s.viommu, OP_TLBI_NH_ALL, 0));
		CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
		CHECK(!memcmp(from_p, src, 8));
		arm_map(&s.g, 1, to, ARM_PAGE);
		memset(from_p, 0, PG);
		CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
		CHECK(!memcmp(from_p, src, 8)); /* stale */
		CHECK_EQ(to_p[0], 0);
		/* Other ASIDs and other pages leave it. */
		CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
				  OP_TLBI_NH_VA | ((uint64_t)(ASID + 1) << 48),
				  S1_IOVA + PG));
		CHECK_OK(smmu_cmd(
		    s.c.ifd, s.viommu,
		    OP_TLBI_NH_ASID | ((uint64_t)(ASID + 1) << 48), 0));
		CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
				  OP_TLBI_NH_VA | ((uint64_t)ASID << 48),
				  S1_IOVA + 2 * PG));
		memset(from_p, 0, PG);
		CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
		CHECK(!memcmp(from_p, src, 8));
		/* CFGI_CD re-reads the same CD: cached entries stay. */
		CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
				  OP_CFGI_CD | ((uint64_t)VSID << 32), 0));
		memset(from_p, 0, PG);
		CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
		CHECK(!memcmp(from_p, src, 8));
		CHECK_OK(smmu_cmd(s.c.ifd, s.viommu, tlbi[i].c0, tlbi[i].c1));
		memset(from_p, 0, PG);
		CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
		CHECK(!memcmp(to_p, src, 8));
		CHECK_EQ(from_p[0], 0);
	}
	/* An IOAS unmap of the parent drops nested entries on its own. */
	CHECK_OK(
	    t_ioas_unmap(s.c.ifd, s.c.ioas, GPA_BASE, GMEM_PAGES * PG, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	uctx_teardown(&s.c);
}

TEST(unit_hwpt_smmuv3_invalidate_errors)
{
	uint64_t cmds[3][2] = {
	    {OP_TLBI_NH_ALL, 0},
	    {OP_ATC_INV | ((uint64_t)VSID << 32), 0},
	    {OP_CFGI_CD | ((uint64_t)VSID << 32), 0},
	};
	uint32_t done, s1;
	struct sctx s;

	sctx_setup(&s);
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE), 0, &s1));
	/* uAPI: a vSID without a vdevice: EIO at that command. */
	CHECK_ERRNO(smmu_cmds(s.c.ifd, s.viommu, cmds, 3, &done), EIO);
	CHECK_EQ(done, 1);
	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	CHECK_OK(smmu_cmds(s.c.ifd, s.viommu, cmds, 3, &done));
	CHECK_EQ(done, 3);
	/* uAPI: commands the kernel does not forward: EIO. */
	{
		static const uint64_t bad[] = {OP_CFGI_STE,
					       OP_CMD_SYNC,
					       0x04 /* CFGI_ALL */,
					       0x2a /* TLBI_S2_IPA */,
					       0x28 /* TLBI_S12_VMALL */,
					       0x41 /* PRI_RESP */,
					       0xff};

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]);
		     i++) {
			cmds[2][0] = bad[i] | ((uint64_t)VSID << 32);
			CHECK_ERRNO(
			    smmu_cmds(s.c.ifd, s.viommu, cmds, 3, &done), EIO);
			CHECK_EQ(done, 2);
		}
		cmds[2][0] = OP_CFGI_CD | ((uint64_t)VSID << 32);
	}
	/* uAPI: another data type, or no entries: EINVAL, nothing run. */
	done = 3;
	CHECK_ERRNO(t_hwpt_invalidate(s.c.ifd, s.viommu, cmds,
				      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 16,
				      &done),
		    EINVAL);
	CHECK_EQ(done, 0);
	CHECK_ERRNO(smmu_cmds(s.c.ifd, s.viommu, cmds, 0, &done), EINVAL);
	CHECK_EQ(done, 0);
	/* uAPI: shorter entries are zero-extended. */
	{
		uint64_t ops[2] = {OP_TLBI_NH_ALL, OP_TLBI_NSNH_ALL};

		done = 2;
		CHECK_OK(t_hwpt_invalidate(
		    s.c.ifd, s.viommu, ops,
		    IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 8, &done));
		CHECK_EQ(done, 2);
	}
	/* uAPI: longer entries need a zero tail, else E2BIG (nothing run). */
	{
		uint64_t big[2][3] = {{OP_TLBI_NH_ALL, 0, 0},
				      {OP_CMD_SYNC, 0, 1}};

		done = 2;
		CHECK_ERRNO(
		    t_hwpt_invalidate(s.c.ifd, s.viommu, big,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      24, &done),
		    E2BIG);
		CHECK_EQ(done, 0);
		big[1][2] = 0;
		done = 2;
		CHECK_ERRNO(
		    t_hwpt_invalidate(s.c.ifd, s.viommu, big,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      24, &done),
		    EIO);
		CHECK_EQ(done, 1);
	}
	/* A bad pointer: EFAULT, nothing run. */
	done = 1;
	CHECK_ERRNO(t_hwpt_invalidate(s.c.ifd, s.viommu, (void *)(uintptr_t)8,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      16, &done),
		    EFAULT);
	CHECK_EQ(done, 0);
	/* uAPI: the vSTE HWPT itself has no invalidation of its own. */
	done = 1;
	CHECK_ERRNO(smmu_cmds(s.c.ifd, s1, cmds, 1, &done), EOPNOTSUPP);
	CHECK_EQ(done, 0);
	uctx_teardown(&s.c);
}

static int d_attach_pasid(int dfd, uint32_t pasid, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
	    .argsz = sizeof(at),
	    .flags = VFIO_DEVICE_ATTACH_PASID,
	    .pt_id = pt_id,
	    .pasid = pasid,
	};

	return t_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static int d_detach_pasid(int dfd, uint32_t pasid)
{
	struct vfio_device_detach_iommufd_pt dt = {
	    .argsz = sizeof(dt),
	    .flags = VFIO_DEVICE_DETACH_PASID,
	    .pasid = pasid,
	};

	return t_ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
}

/* VT-d nested HWPTs on a PASID: made with IOMMU_HWPT_ALLOC_PASID. */
TEST(unit_hwpt_vtd_nested_pasid)
{
	uint32_t parent, nested, plain_nested, bad;
	struct uctx c;

	uctx_setup(&c,
		   "unit vtd0 type=vtd aw=48 nest pasid=8\n"
		   "device vfio0 unit=vtd0 bdf=0:3.0 model=dma pasid=8",
		   false);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	{
		struct iommu_hwpt_vtd_s1 s1 = {.pgtbl_addr = GPA(0),
					       .addr_width = 48};

		CHECK_OK(t_hwpt_alloc_data(
		    c.ifd, c.dev, parent, IOMMU_HWPT_ALLOC_PASID, &nested,
		    IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)));
		s1.addr_width = 39;
		CHECK_OK(t_hwpt_alloc_data(
		    c.ifd, c.dev, parent, IOMMU_HWPT_ALLOC_PASID, &bad,
		    IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)));
	}
	CHECK_OK(
	    vtd_s1_alloc(c.ifd, c.dev, parent, GPA(0), 48, 0, &plain_nested));
	/* uAPI: a HWPT made without IOMMU_HWPT_ALLOC_PASID: EINVAL. */
	CHECK_ERRNO(d_attach_pasid(c.dfd, 1, plain_nested), EINVAL);
	/* uAPI: the stage-1 checks apply on a PASID too. */
	CHECK_ERRNO(d_attach_pasid(c.dfd, 1, bad), EINVAL);
	CHECK_OK(d_attach_pasid(c.dfd, 1, nested));
	CHECK_OK(d_attach_pasid(c.dfd, 2, nested));
	CHECK_ERRNO(t_destroy(c.ifd, nested), EBUSY);
	CHECK_OK(d_detach_pasid(c.dfd, 1));
	CHECK_OK(d_detach_pasid(c.dfd, 2));
	CHECK_OK(t_destroy(c.ifd, nested));
	CHECK_OK(t_destroy(c.ifd, bad));
	CHECK_OK(t_destroy(c.ifd, plain_nested));
	uctx_teardown(&c);
}

/*
 * CD.HD on a unit with `dirty` (IDR0.HTTU = 2): a device write through a
 * writable-clean leaf (DBM, AP[2] set) makes it writable-dirty (AP[2]
 * cleared) in the guest's table, as HTTU hardware does.
 */
TEST(unit_hwpt_smmuv3_nested_httu)
{
	const uint64_t dbm = 1ull << 51, hd = 1ull << 42, ha = 1ull << 43;
	char *src, *dst;
	uint32_t s1;
	struct sctx s;

	sctx_setup_decl(&s, "unit smmu0 type=smmuv3 nest dirty\n"
			    "device vfio0 unit=smmu0 bdf=0:3.0 model=dma");
	src = (char *)gpage(&s.g, PG_SRC);
	dst = (char *)gpage(&s.g, PG_DST);
	arm_map(&s.g, 0, PG_SRC, ARM_PAGE | ARM_RO);
	arm_map(&s.g, 1, PG_DST, ARM_PAGE | ARM_RO | dbm);
	arm_map(&s.g, 2, PG_ALT, ARM_PAGE | ARM_RO | dbm);
	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	/* Without HD the unit leaves the guest's leaves alone. */
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE), 0, &s1));
	CHECK_OK(t_dev_attach(s.c.dfd, s1, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + 2 * PG, 8), DMA_OK);
	CHECK(gpage(&s.g, 3)[2] & ARM_RO);
	/* HD (and HA) in CD 0, picked up by CFGI_CD. */
	gpage(&s.g, CD_PAGE)[0] |= hd | ha;
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD | ((uint64_t)VSID << 32), 0));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA + 16, S1_IOVA + PG + 32, 64),
		 DMA_OK);
	CHECK(!memcmp(dst + 32, src + 16, 64));
	CHECK_EQ(gpage(&s.g, 3)[1] & (ARM_RO | dbm), dbm);
	/* Only the leaf written: the source's stays as it was. */
	CHECK(gpage(&s.g, 3)[0] & ARM_RO);
	/* The guest cleans it; after a TLBI the next write dirties again. */
	gpage(&s.g, 3)[1] |= ARM_RO;
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_TLBI_NH_VA | ((uint64_t)ASID << 48),
			  S1_IOVA + PG));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK_EQ(gpage(&s.g, 3)[1] & (ARM_RO | dbm), dbm);
	CHECK_OK(t_dev_attach(s.c.dfd, s.parent, NULL));
	CHECK_OK(t_destroy(s.c.ifd, s1));
	uctx_teardown(&s.c);
}

/*
 * A CD table pointer outside the guest memory (stage 2 cannot fetch it):
 * the attach succeeds, as on hardware, and DMA faults (C_BAD_CD / a CD
 * fetch fault) until the guest fixes its STE by a new HWPT.  CFGI_CD of a
 * vSID whose device is on another HWPT changes nothing.
 */
TEST(unit_hwpt_smmuv3_bad_cd_pointer)
{
	char *src, *dst;
	uint32_t bad, good;
	struct sctx s;

	sctx_setup(&s);
	src = (char *)gpage(&s.g, PG_SRC);
	dst = (char *)gpage(&s.g, PG_DST);
	arm_map(&s.g, 0, PG_SRC, ARM_PAGE | ARM_RO);
	arm_map(&s.g, 1, PG_DST, ARM_PAGE);
	CHECK_OK(vdevice_alloc(s.c.ifd, s.viommu, s.c.dev, VSID, &s.vdev));
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(GMEM_PAGES + 64), 0, &bad));
	CHECK_OK(vste_alloc(s.c.ifd, s.c.dev, s.viommu,
			    STE_V | STE_S1 | GPA(CD_PAGE), 0, &good));
	CHECK_OK(t_dev_attach(s.c.dfd, bad, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD | ((uint64_t)VSID << 32), 0));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_FAULT);
	CHECK_OK(t_dev_attach(s.c.dfd, good, NULL));
	CHECK_EQ(t_dma_copy(s.c.dfd, S1_IOVA, S1_IOVA + PG, 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));
	/* On the parent (not a vSTE): CFGI_CD has nothing to re-read. */
	CHECK_OK(t_dev_attach(s.c.dfd, s.parent, NULL));
	CHECK_OK(smmu_cmd(s.c.ifd, s.viommu,
			  OP_CFGI_CD | ((uint64_t)VSID << 32), 0));
	memset(dst, 0, PG);
	CHECK_EQ(t_dma_copy(s.c.dfd, GPA(PG_SRC), GPA(PG_DST), 8), DMA_OK);
	CHECK(!memcmp(dst, src, 8));
	CHECK_OK(t_destroy(s.c.ifd, bad));
	CHECK_OK(t_destroy(s.c.ifd, good));
	uctx_teardown(&s.c);
}

/* uAPI: RISC-V units make no nested domain of their own (EOPNOTSUPP). */
TEST(unit_hwpt_riscv_no_nested)
{
	struct iommu_hwpt_vtd_s1 s1 = {.pgtbl_addr = GPA(0), .addr_width = 48};
	uint32_t parent;
	struct uctx c;

	uctx_setup(&c,
		   "unit rv0 type=riscv nest\n"
		   "device vfio0 unit=rv0 bdf=0:3.0 model=dma",
		   false);
	CHECK_OK(t_hwpt_alloc(c.ifd, c.dev, c.ioas,
			      IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	CHECK_ERRNO(t_hwpt_alloc_data(c.ifd, c.dev, parent, 0, NULL,
				      IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1)),
		    EOPNOTSUPP);
	CHECK_ERRNO(viommu_alloc(c.ifd, c.dev, parent,
				 IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		    EOPNOTSUPP);
	uctx_teardown(&c);
}
