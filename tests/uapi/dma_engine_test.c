/*
 * dma_engine_test.c - the DMA engine's descriptor ring (include/uiommu/
 * emu.h) driven through /dev/vfio/devices/vfio0: copy, fill and compare,
 * wrap-around, a PASID per descriptor, unrecoverable faults that touch no
 * memory past them, bad descriptors and ring errors; and recoverable I/O
 * page faults end to end through an iommufd fault queue: the record read
 * from the fault fd, SUCCESS (map, answer, the descriptor completes),
 * INVALID (aborted), an answer given twice, a program that never answers
 * (the descriptor waits until the HWPT is detached), a device reset or
 * unbind while a descriptor waits, and a second thread answering while
 * descriptors keep coming.
 *
 * The fault queue's rules are the kernel's (fault_test.c checks them on the
 * mock); the device is ours, so what it does is checked against emu.h.
 * Interrupts are waited for with a blocking read of their eventfd: a device
 * that never completes hangs the test until its timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#define IOVA_RING 0x10000ull
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define IOVA_RO 0x300000ull
#define RID UINT32_MAX	/* d_attach_pasid(): the RID, no PASID */

#define CFG_PASID                                                             \
	"unit vtd0 type=vtd pasid=20; "                                      \
	"device vfio0 unit=vtd0 bdf=0:3.0 pasid=4"
#define CFG_PRI                                                               \
	"unit vtd0 type=vtd pasid=20 pri; "                                  \
	"device vfio0 unit=vtd0 bdf=0:3.0 pasid=4 pri"

static void w32(int dfd, uint64_t off, uint32_t v)
{
	CHECK_EQ(t_pwrite(dfd, &v, 4, off), 4);
}

static uint32_t r32(int dfd, uint64_t off)
{
	uint32_t v = 0;

	CHECK_EQ(t_pread(dfd, &v, 4, off), 4);
	return v;
}

static int d_attach_pasid(int dfd, uint32_t pasid, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};

	if (pasid != RID) {
		at.flags = VFIO_DEVICE_ATTACH_PASID;
		at.pasid = pasid;
	}
	return t_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static int map_ro(int ifd, uint32_t ioas, void *buf, uint64_t len,
		  uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return t_ioctl(ifd, IOMMU_IOAS_MAP, &map);
}

/*
 * An iommufd with an IOAS, vfio0 bound, a ring of @size descriptors
 * mapped at IOVA_RING and programmed, and the MSI eventfd (blocking).
 */
struct rctx {
	int ifd, dfd, efd;
	uint32_t ioas, devid, size, tail;
	struct emu_dma_desc *ring;
};

static void rctx_open(struct rctx *c)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };

	c->ifd = t_open_iommufd();
	CHECK_OK(t_ioas_alloc(c->ifd, &c->ioas));
	c->dfd = t_open(DEV0, O_RDWR);
	CHECK_OK(c->dfd);
	bind.iommufd = c->ifd;
	CHECK_OK(t_ioctl(c->dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	c->devid = bind.out_devid;
	c->efd = eventfd(0, 0);
	CHECK_OK(c->efd);
	CHECK_OK(t_dev_set_irq(c->dfd, VFIO_PCI_MSI_IRQ_INDEX, c->efd));
}

static void rctx_ring(struct rctx *c, uint32_t size)
{
	size_t bytes = (size * sizeof(*c->ring) + PAGE_SIZE_T - 1) &
		       ~(PAGE_SIZE_T - 1);

	c->ring = t_buffer(bytes);
	c->size = size;
	c->tail = 0;
	CHECK_OK(t_ioas_map_fixed(c->ifd, c->ioas, c->ring, bytes, IOVA_RING));
	t_reg_write(c->dfd, EMU_DMA_REG_RING_BASE, IOVA_RING);
	w32(c->dfd, EMU_DMA_REG_RING_SIZE, size);
	CHECK_EQ(r32(c->dfd, EMU_DMA_REG_RING_STATUS), 0);
}

static void rctx_close(struct rctx *c)
{
	CHECK_OK(t_close(c->dfd));
	CHECK_OK(t_close(c->ifd));
	close(c->efd);
}

/* Queue a descriptor (not yet handed over); returns it. */
static struct emu_dma_desc *put(struct rctx *c, uint32_t op, uint64_t src,
				uint64_t dst, uint64_t len)
{
	struct emu_dma_desc *d = &c->ring[c->tail];

	memset(d, 0, sizeof(*d));
	d->opcode = op;
	d->src = src;
	d->dst = dst;
	d->len = len;
	c->tail = (c->tail + 1) % c->size;
	return d;
}

static struct emu_dma_desc *put_pasid(struct rctx *c, uint32_t op,
				      uint64_t src, uint64_t dst, uint64_t len,
				      uint32_t pasid)
{
	struct emu_dma_desc *d = put(c, op, src, dst, len);

	d->flags = EMU_DMA_DESC_F_PASID;
	d->pasid = pasid;
	return d;
}

static void kick(struct rctx *c)
{
	w32(c->dfd, EMU_DMA_REG_RING_TAIL, c->tail);
}

/*
 * Block until the completion interrupt, then read a register, as a driver
 * does (it also orders the device's writes before ours for ThreadSanitizer,
 * which does not see the eventfd as a synchronisation).
 */
static void wait_irq(struct rctx *c)
{
	uint64_t n;

	CHECK_EQ(read(c->efd, &n, sizeof(n)), sizeof(n));
	CHECK(n >= 1);
	(void)r32(c->dfd, EMU_DMA_REG_RING_STATUS);
}

/* Hand the queued descriptors over and wait until all are done. */
static void run(struct rctx *c)
{
	kick(c);
	wait_irq(c);
	CHECK_EQ(r32(c->dfd, EMU_DMA_REG_RING_HEAD), c->tail);
	CHECK_EQ(r32(c->dfd, EMU_DMA_REG_RING_STATUS), 0);
}

/* ---- opcodes ------------------------------------------------------------ */

TEST(dma_ring_opcodes)
{
	size_t ps = PAGE_SIZE_T;
	char *src = t_buffer(2 * ps), *dst = t_buffer(2 * ps);
	struct emu_dma_desc *cp, *fill, *eq, *ne;
	struct rctx c;

	rctx_open(&c);
	rctx_ring(&c, 8);
	for (size_t i = 0; i < 2 * ps; i++)
		src[i] = (char)(i * 13 + 5);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, 2 * ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, 2 * ps, IOVA_DST));
	CHECK_OK(d_attach_pasid(c.dfd, RID, c.ioas));
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_ID), EMU_DMA_ID);

	/* A copy across a page boundary on both sides. */
	cp = put(&c, EMU_DMA_OP_COPY, IOVA_SRC + 100, IOVA_DST + 40, ps + 7);
	/* A fill of an odd length with an 8-byte pattern. */
	fill = put(&c, EMU_DMA_OP_FILL, 0, IOVA_DST + ps + 100, 21);
	fill->pattern = 0x0807060504030201ull;
	eq = put(&c, EMU_DMA_OP_COMPARE, IOVA_SRC + 100, IOVA_DST + 40, ps + 7);
	ne = put(&c, EMU_DMA_OP_COMPARE, IOVA_SRC, IOVA_DST, 64);
	run(&c);

	CHECK_EQ(cp->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(cp->result, ps + 7);
	CHECK(!memcmp(dst + 40, src + 100, ps + 7));
	CHECK_EQ(dst[39], 0);
	CHECK_EQ(fill->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(fill->result, 21);
	for (size_t i = 0; i < 21; i++)
		CHECK_EQ(dst[ps + 100 + i], (char)(i % 8 + 1));
	CHECK_EQ(dst[ps + 121], 0);
	/* Equal: result is the length; different: the first differing byte. */
	CHECK_EQ(eq->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(eq->result, ps + 7);
	CHECK_EQ(ne->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(ne->result, 0);
	dst[45] ^= 1;	/* the sixth byte of the copy now differs */
	eq = put(&c, EMU_DMA_OP_COMPARE, IOVA_SRC + 100, IOVA_DST + 40, 64);
	run(&c);
	CHECK_EQ(eq->result, 5);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_RING_DONE), 5);
	rctx_close(&c);
}

TEST(dma_ring_wraparound)
{
	size_t ps = PAGE_SIZE_T;
	char *dst = t_buffer(ps);
	struct emu_dma_desc *d[3];
	struct rctx c;

	rctx_open(&c);
	rctx_ring(&c, 3);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, ps, IOVA_DST));
	CHECK_OK(d_attach_pasid(c.dfd, RID, c.ioas));
	/* 7 fills in batches of 2: the ring of 3 wraps twice. */
	for (unsigned int i = 0; i < 7; i += 2) {
		unsigned int n = i + 2 <= 7 ? 2 : 1;

		for (unsigned int j = 0; j < n; j++) {
			d[j] = put(&c, EMU_DMA_OP_FILL, 0,
				   IOVA_DST + 8 * (i + j), 8);
			d[j]->pattern = 0x0101010101010101ull * (i + j + 1);
		}
		run(&c);
		for (unsigned int j = 0; j < n; j++)
			CHECK_EQ(d[j]->status, EMU_DMA_DESC_SUCCESS);
		CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_HEAD), (i + n) % 3);
	}
	for (unsigned int i = 0; i < 7; i++)
		CHECK_EQ(dst[8 * i + 7], (char)(i + 1));
	CHECK_EQ(dst[56], 0);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_RING_DONE), 7);
	rctx_close(&c);
}

/* ---- bad descriptors, ring errors ---------------------------------------- */

TEST(dma_ring_bad_descriptors)
{
	size_t ps = PAGE_SIZE_T;
	char *src = t_buffer(ps), *dst = t_buffer(ps);
	struct emu_dma_desc *d[6];
	struct rctx c;

	rctx_open(&c);
	rctx_ring(&c, 8);
	memset(src, 0x77, ps);
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, ps, IOVA_DST));
	CHECK_OK(d_attach_pasid(c.dfd, RID, c.ioas));
	d[0] = put(&c, 0, IOVA_SRC, IOVA_DST, 8);
	d[1] = put(&c, 9, IOVA_SRC, IOVA_DST, 8);
	d[2] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 0);
	d[3] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST,
		   EMU_DMA_MAX_LEN + 1ull);
	d[4] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 8);
	d[4]->flags = 1u << 5;
	/* The default device has no PASID capability. */
	d[5] = put_pasid(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 8, 1);
	run(&c);
	for (unsigned int i = 0; i < 6; i++) {
		CHECK_EQ(d[i]->status, EMU_DMA_DESC_INVALID);
		CHECK_EQ(d[i]->result, 0);
	}
	for (size_t i = 0; i < ps; i++)
		CHECK_EQ(dst[i], 0);

	/* A tail beyond the ring stops it until it is programmed again. */
	w32(c.dfd, EMU_DMA_REG_RING_TAIL, 8);
	wait_irq(&c);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	d[0] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 8);
	kick(&c);
	CHECK_EQ(d[0]->status, 0);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_HEAD), 6);
	CHECK_EQ(dst[0], 0);
	/* An unaligned base, a size 0 or too big: error until fixed. */
	t_reg_write(c.dfd, EMU_DMA_REG_RING_BASE, IOVA_RING + 8);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	t_reg_write(c.dfd, EMU_DMA_REG_RING_BASE, IOVA_RING);
	w32(c.dfd, EMU_DMA_REG_RING_SIZE, 0);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	w32(c.dfd, EMU_DMA_REG_RING_SIZE, EMU_DMA_RING_MAX + 1);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	/* Reprogrammed: head and tail back at 0. */
	w32(c.dfd, EMU_DMA_REG_RING_SIZE, 8);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), 0);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_HEAD), 0);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_TAIL), 0);
	c.tail = 0;
	d[0] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 8);
	run(&c);
	CHECK_EQ(d[0]->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(dst[7], 0x77);

	/* A ring the device cannot read: error, RING_FAULT says where. */
	t_reg_write(c.dfd, EMU_DMA_REG_RING_BASE, IOVA_RING + 0x100000);
	w32(c.dfd, EMU_DMA_REG_RING_TAIL, 1);
	wait_irq(&c);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_RING_FAULT), IOVA_RING + 0x100000);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_HEAD), 0);
	/* Registers: 32-bit halves of a 64-bit one, a 64-bit pair. */
	w32(c.dfd, EMU_DMA_REG_RING_BASE + 4, 1);
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_RING_BASE), (1ull << 32) | 0x100000 |
							    IOVA_RING);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_BASE + 4), 1);
	/* SIZE and STATUS (clear: the base write reset the ring). */
	CHECK_EQ(t_reg_read(c.dfd, EMU_DMA_REG_RING_SIZE), 8);
	rctx_close(&c);
}

/* ---- faults ------------------------------------------------------------- */

TEST(dma_ring_faults_touch_nothing_past)
{
	size_t ps = PAGE_SIZE_T;
	/* dst page, a PROT_NONE guard page never mapped, a read-only page. */
	char *area = t_buffer(3 * ps), *src = t_buffer(2 * ps);
	char *dst = area, *guard = area + ps, *ro = area + 2 * ps;
	struct emu_dma_desc *d[4];
	struct rctx c;

	rctx_open(&c);
	rctx_ring(&c, 8);
	memset(src, 0x5a, 2 * ps);
	memset(ro, 0x11, ps);
	CHECK_OK(mprotect(guard, ps, PROT_NONE));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, 2 * ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, ps, IOVA_DST));
	CHECK_OK(map_ro(c.ifd, c.ioas, ro, ps, IOVA_RO));
	CHECK_OK(d_attach_pasid(c.dfd, RID, c.ioas));
	/* Into the unmapped page after dst: the mapped part is written. */
	d[0] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST + ps - 16, 32);
	/* A fill running into it likewise. */
	d[1] = put(&c, EMU_DMA_OP_FILL, 0, IOVA_DST + ps - 8, 4096);
	d[1]->pattern = ~0ull;
	/* A read-only destination: permission fault, nothing written. */
	d[2] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_RO + 8, 64);
	/* An unmapped source: nothing written to a good destination. */
	d[3] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC + 2 * ps - 8, IOVA_DST, 16);
	run(&c);
	CHECK_EQ(d[0]->status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(d[0]->fault_addr, IOVA_DST + ps);
	CHECK_EQ(d[0]->result, 16);
	CHECK_EQ(d[1]->status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(d[1]->fault_addr, IOVA_DST + ps);
	CHECK_EQ(d[1]->result, 8);
	CHECK_EQ(dst[ps - 17], 0);
	CHECK_EQ(dst[ps - 9], 0x5a);		/* the copy's */
	CHECK_EQ(dst[ps - 8], (char)0xff);	/* the fill's */
	CHECK_EQ(d[2]->status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(d[2]->fault_addr, IOVA_RO + 8);
	CHECK_EQ(d[2]->result, 0);
	for (size_t i = 0; i < ps; i++)
		CHECK_EQ(ro[i], 0x11);
	CHECK_EQ(d[3]->status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(d[3]->fault_addr, IOVA_SRC + 2 * ps);
	CHECK_EQ(dst[0], 0);
	/* Detached: blocked, before any byte moves. */
	CHECK_OK(t_dev_detach(c.dfd));
	t_reg_write(c.dfd, EMU_DMA_REG_RING_BASE, IOVA_RING);
	kick(&c);
	wait_irq(&c);
	CHECK_EQ(r32(c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_ERROR);
	rctx_close(&c);
}

/* ---- PASID -------------------------------------------------------------- */

TEST(dma_ring_pasid)
{
	size_t ps = PAGE_SIZE_T;
	char *src = t_buffer(ps), *dst = t_buffer(ps);
	char *psrc = t_buffer(ps), *pdst = t_buffer(ps);
	uint32_t ioas2, rid_hwpt, pasid_hwpt;
	struct emu_dma_desc *d[4];
	struct rctx c;

	CHECK_OK(setenv("UIOMMU_DEVICES", CFG_PASID, 1));
	rctx_open(&c);
	rctx_ring(&c, 8);
	memset(src, 1, ps);
	memset(psrc, 2, ps);
	/* The RID and PASID 3 see the same IOVAs as different memory. */
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, src, ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, c.ioas, dst, ps, IOVA_DST));
	CHECK_OK(t_ioas_alloc(c.ifd, &ioas2));
	CHECK_OK(t_ioas_map_fixed(c.ifd, ioas2, psrc, ps, IOVA_SRC));
	CHECK_OK(t_ioas_map_fixed(c.ifd, ioas2, pdst, ps, IOVA_DST));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, c.ioas, IOMMU_HWPT_ALLOC_PASID,
			      &rid_hwpt));
	CHECK_OK(t_hwpt_alloc(c.ifd, c.devid, ioas2, IOMMU_HWPT_ALLOC_PASID,
			      &pasid_hwpt));
	CHECK_OK(d_attach_pasid(c.dfd, RID, rid_hwpt));
	CHECK_OK(d_attach_pasid(c.dfd, 3, pasid_hwpt));

	d[0] = put_pasid(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST, 64, 3);
	d[1] = put(&c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST + 64, 64);
	/* An attachable PASID with nothing attached: fault, no DMA. */
	d[2] = put_pasid(&c, EMU_DMA_OP_FILL, 0, IOVA_DST + 128, 64, 5);
	/* Beyond the device's 4-bit PASID width: invalid. */
	d[3] = put_pasid(&c, EMU_DMA_OP_FILL, 0, IOVA_DST + 128, 64, 16);
	d[2]->pattern = d[3]->pattern = ~0ull;
	run(&c);
	CHECK_EQ(d[0]->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(pdst[63], 2);
	CHECK_EQ(dst[63], 0);
	CHECK_EQ(d[1]->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(dst[64], 1);
	CHECK_EQ(pdst[64], 0);
	CHECK_EQ(d[2]->status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(d[2]->fault_addr, IOVA_DST + 128);
	CHECK_EQ(d[3]->status, EMU_DMA_DESC_INVALID);
	CHECK_EQ(dst[128], 0);
	CHECK_EQ(pdst[128], 0);
	rctx_close(&c);
}

/* ---- recoverable faults -------------------------------------------------- */

struct pri {
	struct rctx c;
	uint32_t fault_id, hwpt;
	int ffd;
	char *src, *dst;
};

/*
 * CFG_PRI; a fault queue; the RID (and PASID 3) attached to one
 * fault-capable HWPT; src mapped, dst (2 pages) not.
 */
static void pri_setup(struct pri *p)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	size_t ps = PAGE_SIZE_T;

	CHECK_OK(setenv("UIOMMU_DEVICES", CFG_PRI, 1));
	rctx_open(&p->c);
	rctx_ring(&p->c, 8);
	p->src = t_buffer(2 * ps);
	p->dst = t_buffer(2 * ps);
	for (size_t i = 0; i < 2 * ps; i++)
		p->src[i] = (char)(i * 3 + 1);
	CHECK_OK(t_ioas_map_fixed(p->c.ifd, p->c.ioas, p->src, 2 * ps,
				  IOVA_SRC));
	CHECK_OK(t_ioctl(p->c.ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	p->fault_id = fa.out_fault_id;
	p->ffd = fa.out_fault_fd;
	CHECK_OK(t_hwpt_alloc_full(p->c.ifd, p->c.devid, p->c.ioas,
				   IOMMU_HWPT_FAULT_ID_VALID |
					   IOMMU_HWPT_ALLOC_PASID,
				   p->fault_id, IOMMU_HWPT_DATA_NONE, NULL, 0,
				   &p->hwpt));
	CHECK_OK(d_attach_pasid(p->c.dfd, RID, p->hwpt));
	CHECK_OK(d_attach_pasid(p->c.dfd, 3, p->hwpt));
}

/* Wait for one fault record and read it. */
static void pri_read(struct pri *p, struct iommu_hwpt_pgfault *rec)
{
	struct pollfd pfd = { .fd = p->ffd, .events = POLLIN };

	CHECK_EQ(poll(&pfd, 1, -1), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(t_read(p->ffd, rec, sizeof(*rec)), sizeof(*rec));
}

static int pri_respond(struct pri *p, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie,
					      .code = code };

	return t_write(p->ffd, &r, sizeof(r));
}

TEST_TIMEOUT(dma_iopf_success, 60)
{
	size_t ps = PAGE_SIZE_T;
	struct iommu_hwpt_pgfault rec;
	struct emu_dma_desc *d, *e;
	struct pri p;

	pri_setup(&p);
	/* The second page of dst is mapped, the first is not. */
	CHECK_OK(t_ioas_map_fixed(p.c.ifd, p.c.ioas, p.dst + ps, ps,
				  IOVA_DST + ps));
	d = put(&p.c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST + 16, ps);
	e = put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST + ps, 8);
	e->pattern = 0x4242424242424242ull;
	kick(&p.c);
	/* The doorbell returned with the copy waiting on its page request. */
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_WAITING);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_HEAD), 0);
	CHECK_EQ(d->status, 0);
	pri_read(&p, &rec);
	CHECK_EQ(rec.flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec.dev_id, p.c.devid);
	CHECK_EQ(rec.pasid, 0);
	CHECK(rec.grpid <= 0x1ff);
	CHECK_EQ(rec.perm, IOMMU_PGFAULT_PERM_WRITE);
	CHECK_EQ(rec.addr, IOVA_DST);
	CHECK_EQ(rec.length, 0);
	CHECK(rec.cookie != 0);
	/* Nothing else is queued. */
	CHECK_EQ(t_read(p.ffd, &rec, sizeof(rec)), 0);
	CHECK_OK(t_ioas_map_fixed(p.c.ifd, p.c.ioas, p.dst, ps, IOVA_DST));
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 sizeof(struct iommu_hwpt_page_response));
	/* The device retried, finished the copy and ran the fill. */
	wait_irq(&p.c);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_HEAD), 2);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_STATUS), 0);
	CHECK_EQ(d->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(d->result, ps);
	CHECK_EQ(e->status, EMU_DMA_DESC_SUCCESS);
	CHECK(!memcmp(p.dst + 16, p.src, ps - 16));
	CHECK_EQ(p.dst[ps + 7], 0x42);
	CHECK_EQ(p.dst[ps + 15], p.src[ps - 1]);
	CHECK_EQ(p.dst[ps + 16], 0);
	/* uAPI: an answered cookie cannot be answered again. */
	CHECK_ERRNO(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		    EINVAL);

	/* With a PASID: the record says which; read faults too. */
	CHECK_OK(t_ioas_unmap(p.c.ifd, p.c.ioas, IOVA_SRC, 2 * ps, NULL));
	d = put_pasid(&p.c, EMU_DMA_OP_COMPARE, IOVA_SRC + ps, IOVA_DST, 32,
		      3);
	kick(&p.c);
	pri_read(&p, &rec);
	CHECK_EQ(rec.flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE |
				    IOMMU_PGFAULT_FLAGS_PASID_VALID);
	CHECK_EQ(rec.pasid, 3);
	CHECK_EQ(rec.perm, IOMMU_PGFAULT_PERM_READ);
	CHECK_EQ(rec.addr, IOVA_SRC + ps);
	CHECK_OK(t_ioas_map_fixed(p.c.ifd, p.c.ioas, p.src, 2 * ps,
				  IOVA_SRC));
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 sizeof(struct iommu_hwpt_page_response));
	wait_irq(&p.c);
	CHECK_EQ(d->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(d->result, 0);		/* p.src[ps] != p.src[0] */

	/* SUCCESS without a fix: the device asks again. */
	d = put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_RO, 8);
	kick(&p.c);
	pri_read(&p, &rec);
	CHECK_EQ(rec.addr, IOVA_RO);
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 sizeof(struct iommu_hwpt_page_response));
	pri_read(&p, &rec);
	CHECK_EQ(rec.addr, IOVA_RO);
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_INVALID),
		 sizeof(struct iommu_hwpt_page_response));
	wait_irq(&p.c);
	CHECK_EQ(d->status, EMU_DMA_DESC_ABORTED);
	CHECK_EQ(d->fault_addr, IOVA_RO);
	rctx_close(&p.c);
	close(p.ffd);
}

TEST_TIMEOUT(dma_iopf_invalid_aborts, 60)
{
	size_t ps = PAGE_SIZE_T;
	struct iommu_hwpt_pgfault rec;
	struct emu_dma_desc *d, *e;
	struct pri p;

	pri_setup(&p);
	CHECK_OK(t_ioas_map_fixed(p.c.ifd, p.c.ioas, p.dst, ps, IOVA_DST));
	/* The part before the faulting page is written, the rest never. */
	d = put(&p.c, EMU_DMA_OP_COPY, IOVA_SRC, IOVA_DST + ps - 8, 16);
	e = put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8);
	e->pattern = 0x0909090909090909ull;
	kick(&p.c);
	pri_read(&p, &rec);
	CHECK_EQ(rec.addr, IOVA_DST + ps);
	CHECK_EQ(rec.perm, IOMMU_PGFAULT_PERM_WRITE);
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_INVALID),
		 sizeof(struct iommu_hwpt_page_response));
	wait_irq(&p.c);
	CHECK_EQ(d->status, EMU_DMA_DESC_ABORTED);
	CHECK_EQ(d->result, 8);
	CHECK_EQ(d->fault_addr, IOVA_DST + ps);
	CHECK_EQ(p.dst[ps - 1], p.src[7]);
	/* The ring went on with the next descriptor. */
	CHECK_EQ(e->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(p.dst[7], 9);
	CHECK_EQ(p.dst[8], 0);
	/* uAPI: a response to an answered or unknown cookie is EINVAL. */
	CHECK_ERRNO(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		    EINVAL);
	CHECK_ERRNO(pri_respond(&p, 999, IOMMUFD_PAGE_RESP_SUCCESS), EINVAL);
	/* The single command does not wait for a page: it faults. */
	t_reg_write(p.c.dfd, EMU_DMA_REG_SRC, IOVA_SRC);
	t_reg_write(p.c.dfd, EMU_DMA_REG_DST, IOVA_DST + ps);
	t_reg_write(p.c.dfd, EMU_DMA_REG_LEN, 8);
	w32(p.c.dfd, EMU_DMA_REG_CMD, EMU_DMA_CMD_COPY);
	wait_irq(&p.c);
	/* An 8-byte read of CMD reads STATUS in its high half. */
	CHECK_EQ(t_reg_read(p.c.dfd, EMU_DMA_REG_CMD),
		 (uint64_t)(EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_FAULT) << 32);
	CHECK_EQ(t_reg_read(p.c.dfd, EMU_DMA_REG_FAULT_IOVA), IOVA_DST + ps);
	CHECK_EQ(t_read(p.ffd, &rec, sizeof(rec)), 0);
	rctx_close(&p.c);
	close(p.ffd);
}

TEST_TIMEOUT(dma_iopf_unanswered_detach_completes, 60)
{
	struct vfio_device_detach_iommufd_pt dt = {
		.argsz = sizeof(dt),
		.flags = VFIO_DEVICE_DETACH_PASID,
		.pasid = 3,
	};
	struct iommu_hwpt_pgfault rec;
	struct emu_dma_desc *d;
	struct pri p;

	pri_setup(&p);
	d = put_pasid(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8, 3);
	kick(&p.c);
	pri_read(&p, &rec);
	CHECK_EQ(rec.pasid, 3);
	/*
	 * uAPI: closing the fault fd answers nothing (Linux completes the
	 * group when its HWPT is detached or the queue destroyed).
	 */
	CHECK_OK(t_close(p.ffd));
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_STATUS), EMU_DMA_RING_WAITING);
	CHECK_EQ(d->status, 0);
	/* More work queues behind the waiting descriptor. */
	put_pasid(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8, 3);
	kick(&p.c);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_HEAD), 0);
	/* Detaching the PASID answers its groups INVALID: aborted. */
	CHECK_OK(t_ioctl(p.c.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	wait_irq(&p.c);
	CHECK_EQ(d->status, EMU_DMA_DESC_ABORTED);
	CHECK_EQ(d->fault_addr, IOVA_DST);
	/* The next one found the PASID detached: an unrecoverable fault. */
	CHECK_EQ(p.c.ring[1].status, EMU_DMA_DESC_FAULT);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_HEAD), 2);
	rctx_close(&p.c);
}

TEST_TIMEOUT(dma_iopf_close_device_while_waiting, 60)
{
	struct iommu_hwpt_pgfault rec;
	struct pri p;

	pri_setup(&p);
	put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8);
	kick(&p.c);
	pri_read(&p, &rec);
	/* Unbinding detaches: the group is answered, the device reset. */
	CHECK_OK(t_close(p.c.dfd));
	/* uAPI: the cookie is gone with the group. */
	CHECK_ERRNO(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		    EINVAL);
	CHECK_OK(t_close(p.ffd));
	CHECK_OK(t_close(p.c.ifd));
	close(p.c.efd);
}

TEST(dma_iopf_needs_pri)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	uint32_t hwpt;
	struct rctx c;

	/* A device without PRI cannot take a fault-capable HWPT. */
	CHECK_OK(setenv("UIOMMU_DEVICES",
			"unit vtd0 type=vtd pri; device vfio0 unit=vtd0 bdf=0:3.0",
			1));
	rctx_open(&c);
	CHECK_OK(t_ioctl(c.ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	CHECK_OK(t_hwpt_alloc_full(c.ifd, c.devid, c.ioas,
				   IOMMU_HWPT_FAULT_ID_VALID, fa.out_fault_id,
				   IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt));
	CHECK_ERRNO(d_attach_pasid(c.dfd, RID, hwpt), ENODEV);
	/* Without a fault queue, a PRI-less attach is fine. */
	CHECK_OK(d_attach_pasid(c.dfd, RID, c.ioas));
	CHECK_OK(t_close(fa.out_fault_fd));
	rctx_close(&c);
}

/* ---- concurrency -------------------------------------------------------- */

struct responder {
	struct pri *p;
	int stop;		/* read end of a pipe: readable = stop */
	char *backing;		/* what faulting pages get mapped to */
	unsigned int answered;
};

/* Map every page the device asks for, answer SUCCESS, until told to stop. */
static void *responder_fn(void *arg)
{
	struct responder *r = arg;
	struct pri *p = r->p;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = p->ffd, .events = POLLIN },
					 { .fd = r->stop, .events = POLLIN } };
		struct iommu_hwpt_pgfault rec;

		if (poll(pfd, 2, -1) < 1 || (pfd[1].revents & POLLIN))
			break;
		if (t_read(p->ffd, &rec, sizeof(rec)) != sizeof(rec))
			continue;
		if (t_ioas_map_fixed(p->c.ifd, p->c.ioas,
				     r->backing + (rec.addr - IOVA_DST),
				     PAGE_SIZE_T, rec.addr))
			break;
		if (pri_respond(p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS) !=
		    sizeof(struct iommu_hwpt_page_response))
			break;
		r->answered++;
	}
	return NULL;
}

/*
 * Descriptors rung in one at a time while a second thread serves their
 * page requests and the device's thread resumes them: every one
 * completes, in order, with its data.
 */
TEST_TIMEOUT(dma_iopf_concurrent_responder, 120)
{
	const unsigned int n = 100;
	size_t ps = PAGE_SIZE_T;
	struct responder r = { 0 };
	uint32_t tail = 0;
	pthread_t th;
	struct pri p;
	int stop[2];

	pri_setup(&p);
	/* A fresh ring big enough for all of them. */
	CHECK_OK(t_ioas_unmap(p.c.ifd, p.c.ioas, IOVA_RING, ps, NULL));
	rctx_ring(&p.c, 128);
	r.p = &p;
	r.backing = t_buffer(n * ps);
	CHECK_OK(pipe(stop));
	r.stop = stop[0];
	CHECK_OK(pthread_create(&th, NULL, responder_fn, &r));
	for (unsigned int i = 0; i < n; i++) {
		put(&p.c, EMU_DMA_OP_COPY, IOVA_SRC + (i % 2) * 8,
		    IOVA_DST + i * ps + 8 * (i % 16), 64);
		kick(&p.c);
	}
	tail = p.c.tail;
	while (r32(p.c.dfd, EMU_DMA_REG_RING_HEAD) != tail)
		wait_irq(&p.c);
	CHECK_EQ(write(stop[1], "x", 1), 1);
	CHECK_OK(pthread_join(th, NULL));
	CHECK_EQ(r.answered, n);
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(p.c.ring[i].status, EMU_DMA_DESC_SUCCESS);
		CHECK(!memcmp(r.backing + i * ps + 8 * (i % 16),
			      p.src + (i % 2) * 8, 64));
	}
	CHECK_EQ(t_reg_read(p.c.dfd, EMU_DMA_REG_RING_DONE), n);
	close(stop[0]);
	close(stop[1]);
	rctx_close(&p.c);
	close(p.ffd);
}

TEST_TIMEOUT(dma_iopf_reset_forgets_waiting, 60)
{
	struct iommu_hwpt_pgfault rec, rec2;
	struct emu_dma_desc *d;
	struct pri p;

	pri_setup(&p);
	d = put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8);
	d->pattern = ~0ull;
	kick(&p.c);
	pri_read(&p, &rec);
	/* A reset forgets the waiting descriptor and the ring. */
	CHECK_OK(t_ioctl(p.c.dfd, VFIO_DEVICE_RESET, NULL));
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_STATUS), 0);
	CHECK_EQ(t_reg_read(p.c.dfd, EMU_DMA_REG_RING_BASE), 0);
	CHECK_EQ(r32(p.c.dfd, EMU_DMA_REG_RING_HEAD), 0);
	/* The group is still the queue's: its answer is taken, and ignored. */
	CHECK_EQ(pri_respond(&p, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 sizeof(struct iommu_hwpt_page_response));
	/* Programmed again, the engine asks again and finishes. */
	t_reg_write(p.c.dfd, EMU_DMA_REG_RING_BASE, IOVA_RING);
	w32(p.c.dfd, EMU_DMA_REG_RING_SIZE, p.c.size);
	CHECK_OK(t_dev_set_irq(p.c.dfd, VFIO_PCI_MSI_IRQ_INDEX, p.c.efd));
	p.c.tail = 0;
	d = put(&p.c, EMU_DMA_OP_FILL, 0, IOVA_DST, 8);
	d->pattern = ~0ull;
	kick(&p.c);
	pri_read(&p, &rec2);
	CHECK_EQ(rec2.addr, IOVA_DST);
	CHECK(rec2.grpid != rec.grpid);
	CHECK_OK(t_ioas_map_fixed(p.c.ifd, p.c.ioas, p.dst, PAGE_SIZE_T,
				  IOVA_DST));
	CHECK_EQ(pri_respond(&p, rec2.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
		 sizeof(struct iommu_hwpt_page_response));
	wait_irq(&p.c);
	CHECK_EQ(d->status, EMU_DMA_DESC_SUCCESS);
	CHECK_EQ(p.dst[7], (char)0xff);
	CHECK_EQ(t_reg_read(p.c.dfd, EMU_DMA_REG_RING_DONE), 1);
	rctx_close(&p.c);
	close(p.ffd);
}
