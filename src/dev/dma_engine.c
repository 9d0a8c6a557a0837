/*
 * dma_engine.c - the DMA engine device model (model=dma): BAR0 registers
 * (include/uiommu/emu.h), a single copy command and a descriptor ring
 * (copy, fill, compare; a PASID per descriptor), all DMA through the
 * device's IOMMU unit with the DMA API (src/iommu/dma.h).
 *
 * A descriptor runs as at most two steps, each one IOVA range moved to or
 * from a bounce buffer (copy: read src, write dst; fill: write the pattern;
 * compare: read src, read dst), so a fault reading never writes.  Steps
 * keep their progress, so a descriptor that stopped on a page request
 * resumes at the faulting byte.
 *
 * Page requests: when the unit answers an access with -EAGAIN (the slot
 * was attached with IOMMU_ATTACH_PRI: a fault-capable HWPT), the engine
 * reports one page request (its own group index) to the iommufd fault queue
 * and the descriptor waits.  The answer comes through the driver's
 * page_response op under ictx->lock, possibly on another thread, and
 * possibly while that thread holds edev->lock (unbind), so it cannot run
 * the device there: it posts the answer to a mailbox and a device thread
 * (started at the first page request of the process, then waiting for
 * answers forever) takes edev->lock and resumes or aborts the descriptor,
 * then runs the rest of the ring.  A program that never answers leaves the
 * thread asleep and the descriptor waiting; a reset or ring reprogramming
 * forgets it (a later answer to it is ignored: requests carry a sequence
 * number).
 *
 * Locking: edev->lock guards the registers, the ring and the running
 * descriptor; reporting a page request takes the bound context's
 * ictx->lock under it (emu_dev.h's order).  resp_lock guards the mailbox;
 * it is a leaf, taken under either.  The bound idev stays alive while
 * edev->lock is held (vfio_cdev.c unbinds under it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uiommu/emu.h>

#include "core/fault.h"
#include "core/iommufd_private.h"
#include "core/uaccess.h"
#include "dev/emu_dev.h"
#include "iommu/dma.h"
#include "util/fault_inject.h"

#define DESC_SIZE sizeof(struct emu_dma_desc)
#define PRQ_GRPID_MASK 0x1ffu		/* PCIe: 9-bit page request group */
#define PRQ_PAGE 4096ull

struct emu_dma_step {
	uint64_t iova;
	char *buf;
	uint64_t len;
	bool write;
};

/*
 * A DMA engine's state: made with its device (emu_dma_engine_init), lives
 * until the process exits, as the device does; emu_model_reset() zeroes
 * the registers.  Everything is guarded by edev->lock except the mailbox
 * (resp_lock), which the page_response op fills and the device's thread
 * empties.
 */
struct emu_dma_engine {
	/* Single command. */
	uint64_t src, dst, len;
	uint32_t status;
	uint64_t fault_iova;
	uint64_t done;

	/* Ring. */
	uint64_t ring_base;
	uint32_t ring_size, head, tail, ring_status;
	uint64_t ring_fault, ring_done;

	/* The descriptor at head, while it runs or waits. */
	struct emu_dma_desc cur;
	char *buf[2];
	struct emu_dma_step steps[2];
	unsigned int step, nsteps;
	uint64_t off;			/* progress in steps[step] */
	uint64_t written;		/* bytes written to dst */
	bool waiting;			/* for the answer to request wait_seq */
	uint64_t wait_seq;
	uint64_t prq_iova;		/* the address it asked for */
	uint32_t next_grpid;

	/* Mailbox: resp_lock. */
	pthread_mutex_t resp_lock;
	pthread_cond_t resp_cond;
	bool req_out;			/* a request waits for its answer */
	uint32_t req_grpid;
	uint64_t req_seq, seq;
	bool resp_ready;		/* an answer for the thread */
	uint64_t resp_seq;
	uint32_t resp_code;
	pid_t worker_pid;		/* the process whose thread runs, or 0 */
};

int emu_dma_engine_init(struct emu_dev *edev)
{
	struct emu_dma_engine *e = ufi_calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->resp_lock, NULL);
	pthread_cond_init(&e->resp_cond, NULL);
	edev->dma = e;
	return 0;
}

uint64_t emu_model_bar0_size(const struct emu_dev *edev)
{
	return edev->dma ? EMU_DMA_BAR0_SIZE : 0;
}

/* Forget the running descriptor (an answer to it is then ignored). */
static void emu_dma_desc_drop(struct emu_dma_engine *e)
{
	free(e->buf[0]);
	free(e->buf[1]);
	e->buf[0] = e->buf[1] = NULL;
	e->nsteps = e->step = 0;
	e->waiting = false;
	pthread_mutex_lock(&e->resp_lock);
	e->req_out = false;
	e->resp_ready = false;
	pthread_mutex_unlock(&e->resp_lock);
}

static void emu_dma_ring_reset(struct emu_dma_engine *e)
{
	emu_dma_desc_drop(e);
	e->head = e->tail = 0;
	e->ring_status = 0;
	e->ring_fault = 0;
}

void emu_model_reset(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;

	if (!e)
		return;
	emu_dma_ring_reset(e);
	e->src = e->dst = e->len = 0;
	e->status = 0;
	e->fault_iova = e->done = 0;
	e->ring_base = 0;
	e->ring_size = 0;
	e->ring_done = 0;
}

/* --- single command ------------------------------------------------------ */

static void emu_dma_copy(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	struct iommu_dma_result res = { 0 };
	void *bounce;
	int rc;

	e->fault_iova = 0;
	e->done = 0;
	if (!e->len || e->len > EMU_DMA_MAX_LEN) {
		e->status = EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_INVALID;
		return;
	}
	bounce = ufi_malloc(e->len);
	if (!bounce) {
		e->status = EMU_DMA_STATUS_DONE | EMU_DMA_STATUS_INVALID;
		return;
	}
	rc = iommu_dma_read(edev->unit, edev->rid, IOMMU_NO_PASID, e->src,
			    bounce, e->len, 0, &res);
	if (!rc) {
		memset(&res, 0, sizeof(res));
		rc = iommu_dma_write(edev->unit, edev->rid, IOMMU_NO_PASID,
				     e->dst, bounce, e->len, 0, &res);
		e->done = res.done;
	}
	free(bounce);
	e->status = EMU_DMA_STATUS_DONE;
	if (rc) {
		/* A page request (-EAGAIN) is not waited for here. */
		e->status |= rc == -EINVAL ? EMU_DMA_STATUS_INVALID :
					     EMU_DMA_STATUS_FAULT;
		e->fault_iova = res.fault.iova;
	}
}

/* --- descriptors --------------------------------------------------------- */

/* Check e->cur and lay out its steps: 0 or an EMU_DMA_DESC_* error status. */
static uint32_t emu_dma_desc_start(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	struct emu_dma_desc *d = &e->cur;
	bool two = d->opcode == EMU_DMA_OP_COMPARE;

	e->step = e->nsteps = 0;
	e->off = e->written = 0;
	if (d->opcode < EMU_DMA_OP_COPY || d->opcode > EMU_DMA_OP_COMPARE)
		return EMU_DMA_DESC_INVALID;
	if (d->flags & ~EMU_DMA_DESC_F_PASID)
		return EMU_DMA_DESC_INVALID;
	/* A PASID the device cannot send. */
	if ((d->flags & EMU_DMA_DESC_F_PASID) &&
	    (!edev->pasid_lg2 || d->pasid >> edev->pasid_lg2))
		return EMU_DMA_DESC_INVALID;
	if (!d->len || d->len > EMU_DMA_MAX_LEN)
		return EMU_DMA_DESC_INVALID;
	e->buf[0] = ufi_malloc(d->len);
	if (two && e->buf[0])
		e->buf[1] = ufi_malloc(d->len);
	if (!e->buf[0] || (two && !e->buf[1]))
		return EMU_DMA_DESC_INVALID;	/* the device is out of memory */

	switch (d->opcode) {
	case EMU_DMA_OP_COPY:
		e->steps[0] = (struct emu_dma_step){ d->src, e->buf[0], d->len,
						     false };
		e->steps[1] = (struct emu_dma_step){ d->dst, e->buf[0], d->len,
						     true };
		e->nsteps = 2;
		break;
	case EMU_DMA_OP_FILL:
		for (uint64_t i = 0; i < d->len; i++)
			e->buf[0][i] = (char)(d->pattern >> (8 * (i % 8)));
		e->steps[0] = (struct emu_dma_step){ d->dst, e->buf[0], d->len,
						     true };
		e->nsteps = 1;
		break;
	default:
		e->steps[0] = (struct emu_dma_step){ d->src, e->buf[0], d->len,
						     false };
		e->steps[1] = (struct emu_dma_step){ d->dst, e->buf[1], d->len,
						     false };
		e->nsteps = 2;
		break;
	}
	return 0;
}

static uint32_t emu_dma_desc_pasid(const struct emu_dma_desc *d)
{
	return d->flags & EMU_DMA_DESC_F_PASID ? d->pasid : IOMMU_NO_PASID;
}

/*
 * Send the page request of @f for the running descriptor.  True when it
 * went to a fault queue (the descriptor now waits), false when nothing
 * will answer it.
 */
static bool emu_dma_page_request(struct emu_dev *edev,
				 const struct iommu_fault_record *f);

/*
 * Run the descriptor's steps from where they stopped.  Returns 0 when it
 * is finished (e->cur's status, result and fault_addr set), -EAGAIN when
 * it waits for a page response.
 */
static int emu_dma_desc_run(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	struct emu_dma_desc *d = &e->cur;
	uint32_t pasid = emu_dma_desc_pasid(d);

	while (e->step < e->nsteps) {
		struct emu_dma_step *s = &e->steps[e->step];
		struct iommu_dma_result res = { 0 };
		int rc;

		if (s->write)
			rc = iommu_dma_write(edev->unit, edev->rid, pasid,
					     s->iova + e->off, s->buf + e->off,
					     s->len - e->off, 0, &res);
		else
			rc = iommu_dma_read(edev->unit, edev->rid, pasid,
					    s->iova + e->off, s->buf + e->off,
					    s->len - e->off, 0, &res);
		e->off += res.done;
		if (s->write)
			e->written += res.done;
		if (!rc) {
			e->step++;
			e->off = 0;
			continue;
		}
		if (rc == -EAGAIN && emu_dma_page_request(edev, &res.fault))
			return -EAGAIN;
		d->result = e->written;
		d->fault_addr = res.fault.iova;
		if (rc == -EINVAL)
			d->status = EMU_DMA_DESC_INVALID;	/* wraps */
		else
			d->status = rc == -EAGAIN ? EMU_DMA_DESC_ABORTED :
						    EMU_DMA_DESC_FAULT;
		return 0;
	}
	d->status = EMU_DMA_DESC_SUCCESS;
	d->fault_addr = 0;
	if (d->opcode == EMU_DMA_OP_COMPARE) {
		uint64_t i = 0;

		while (i < d->len && e->buf[0][i] == e->buf[1][i])
			i++;
		d->result = i;
	} else {
		d->result = e->written;
	}
	return 0;
}

/* Write back the completion of the descriptor at head.  0 or -EFAULT. */
static int emu_dma_desc_complete(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	uint64_t at = e->ring_base + (uint64_t)e->head * DESC_SIZE;
	struct iommu_dma_result res = { 0 };
	int rc;

	emu_dma_desc_drop(e);
	/* The record first, then the status that says it is there. */
	rc = iommu_dma_write(edev->unit, edev->rid, IOMMU_NO_PASID,
			     at + offsetof(struct emu_dma_desc, result),
			     &e->cur.result, 2 * sizeof(uint64_t), 0, &res);
	if (!rc)
		rc = iommu_dma_write(edev->unit, edev->rid, IOMMU_NO_PASID,
				     at + offsetof(struct emu_dma_desc, status),
				     &e->cur.status, sizeof(uint32_t), 0, &res);
	if (rc) {
		e->ring_status |= EMU_DMA_RING_ERROR;
		e->ring_fault = res.fault.iova;
		return -EFAULT;
	}
	e->head = (e->head + 1) % e->ring_size;
	e->ring_done++;
	return 0;
}

/*
 * Run descriptors from head to tail, until one waits or the ring stops.
 * @progress: a descriptor completed before this call (by the thread).
 * Signals the interrupt when the run ends with head at tail or on error.
 */
static void emu_dma_ring_run(struct emu_dev *edev, bool progress)
{
	struct emu_dma_engine *e = edev->dma;

	while (!e->waiting && !(e->ring_status & EMU_DMA_RING_ERROR) &&
	       e->head != e->tail) {
		uint64_t at = e->ring_base + (uint64_t)e->head * DESC_SIZE;
		struct iommu_dma_result res = { 0 };
		uint32_t st;

		if (iommu_dma_read(edev->unit, edev->rid, IOMMU_NO_PASID, at,
				   &e->cur, DESC_SIZE, 0, &res)) {
			e->ring_status |= EMU_DMA_RING_ERROR;
			e->ring_fault = res.fault.iova;
			progress = true;
			break;
		}
		st = emu_dma_desc_start(edev);
		if (st) {
			e->cur.status = st;
			e->cur.result = 0;
			e->cur.fault_addr = 0;
		} else if (emu_dma_desc_run(edev) == -EAGAIN) {
			e->waiting = true;
			e->ring_status |= EMU_DMA_RING_WAITING;
			break;
		}
		emu_dma_desc_complete(edev);
		progress = true;
	}
	if (progress && !e->waiting)
		emu_dev_irq_signal(edev);
}

/* --- page requests and their answers ------------------------------------- */

static void *emu_dma_worker(void *arg)
{
	struct emu_dev *edev = arg;
	struct emu_dma_engine *e = edev->dma;

	for (;;) {
		uint32_t code;
		uint64_t seq;

		pthread_mutex_lock(&e->resp_lock);
		while (!e->resp_ready)
			pthread_cond_wait(&e->resp_cond, &e->resp_lock);
		e->resp_ready = false;
		code = e->resp_code;
		seq = e->resp_seq;
		pthread_mutex_unlock(&e->resp_lock);

		pthread_mutex_lock(&edev->lock);
		if (e->waiting && e->wait_seq == seq) {
			e->waiting = false;
			e->ring_status &= ~EMU_DMA_RING_WAITING;
			if (code == IOMMUFD_PAGE_RESP_SUCCESS) {
				if (emu_dma_desc_run(edev) == -EAGAIN) {
					e->waiting = true;
					e->ring_status |= EMU_DMA_RING_WAITING;
				}
			} else {
				e->cur.status = EMU_DMA_DESC_ABORTED;
				e->cur.result = e->written;
				e->cur.fault_addr = e->prq_iova;
			}
			if (!e->waiting) {
				emu_dma_desc_complete(edev);
				emu_dma_ring_run(edev, true);
			}
		}
		pthread_mutex_unlock(&edev->lock);
	}
	return NULL;
}

/* edev->lock held: the device thread of this process runs.  0 or -errno. */
static int emu_dma_worker_start(struct emu_dev *edev)
{
	struct emu_dma_engine *e = edev->dma;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	/* A child of fork() has no thread yet. */
	if (e->worker_pid == getpid())
		return 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, emu_dma_worker, edev);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	e->worker_pid = getpid();
	return 0;
}

static uint32_t emu_dma_perm(uint32_t access)
{
	return (access & IOMMU_ACC_READ ? IOMMU_PGFAULT_PERM_READ : 0) |
	       (access & IOMMU_ACC_WRITE ? IOMMU_PGFAULT_PERM_WRITE : 0) |
	       (access & IOMMU_ACC_EXEC ? IOMMU_PGFAULT_PERM_EXEC : 0) |
	       (access & IOMMU_ACC_PRIV ? IOMMU_PGFAULT_PERM_PRIV : 0);
}

static bool emu_dma_page_request(struct emu_dev *edev,
				 const struct iommu_fault_record *f)
{
	struct iommufd_device *idev = emu_dev_bound_idev(edev);
	struct emu_dma_engine *e = edev->dma;
	struct iommu_hwpt_pgfault rec = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		.grpid = e->next_grpid++ & PRQ_GRPID_MASK,
		.perm = emu_dma_perm(f->access),
		.addr = f->iova & ~(PRQ_PAGE - 1),
		.length = PRQ_PAGE,
	};
	uint64_t seq;
	int rc;

	if (!idev || emu_dma_worker_start(edev))
		return false;
	if (f->pasid != IOMMU_NO_PASID) {
		rec.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
		rec.pasid = f->pasid;
	}
	pthread_mutex_lock(&e->resp_lock);
	e->req_out = true;
	e->req_grpid = rec.grpid;
	seq = e->req_seq = ++e->seq;
	e->resp_ready = false;
	pthread_mutex_unlock(&e->resp_lock);

	iommufd_ctx_lock(idev->ictx);
	rc = iommufd_fault_report(idev, &rec);
	iommufd_ctx_unlock(idev->ictx);
	if (rc) {
		pthread_mutex_lock(&e->resp_lock);
		e->req_out = false;
		pthread_mutex_unlock(&e->resp_lock);
		return false;
	}
	e->wait_seq = seq;
	e->prq_iova = f->iova;
	return true;
}

void emu_model_page_response(struct emu_dev *edev, uint32_t grpid,
			     uint32_t code)
{
	struct emu_dma_engine *e = edev->dma;

	if (!e)
		return;
	pthread_mutex_lock(&e->resp_lock);
	/* An answer to a request the engine forgot is dropped. */
	if (e->req_out && e->req_grpid == grpid) {
		e->req_out = false;
		e->resp_ready = true;
		e->resp_code = code;
		e->resp_seq = e->req_seq;
		pthread_cond_signal(&e->resp_cond);
	}
	pthread_mutex_unlock(&e->resp_lock);
}

/* --- registers ----------------------------------------------------------- */

/* Width of the register at @off: 8, 4, or 0 (none). */
static unsigned int emu_dma_reg_width(uint64_t off)
{
	switch (off) {
	case EMU_DMA_REG_SRC:
	case EMU_DMA_REG_DST:
	case EMU_DMA_REG_LEN:
	case EMU_DMA_REG_FAULT_IOVA:
	case EMU_DMA_REG_DONE:
	case EMU_DMA_REG_RING_BASE:
	case EMU_DMA_REG_RING_FAULT:
	case EMU_DMA_REG_RING_DONE:
		return 8;
	case EMU_DMA_REG_ID:
	case EMU_DMA_REG_CMD:
	case EMU_DMA_REG_STATUS:
	case EMU_DMA_REG_RING_SIZE:
	case EMU_DMA_REG_RING_STATUS:
	case EMU_DMA_REG_RING_HEAD:
	case EMU_DMA_REG_RING_TAIL:
		return 4;
	default:
		return 0;
	}
}

static uint64_t emu_dma_reg_read(struct emu_dma_engine *e, uint64_t off)
{
	switch (off) {
	case EMU_DMA_REG_ID:
		return EMU_DMA_ID;
	case EMU_DMA_REG_SRC:
		return e->src;
	case EMU_DMA_REG_DST:
		return e->dst;
	case EMU_DMA_REG_LEN:
		return e->len;
	case EMU_DMA_REG_STATUS:
		return e->status;
	case EMU_DMA_REG_FAULT_IOVA:
		return e->fault_iova;
	case EMU_DMA_REG_DONE:
		return e->done;
	case EMU_DMA_REG_RING_BASE:
		return e->ring_base;
	case EMU_DMA_REG_RING_SIZE:
		return e->ring_size;
	case EMU_DMA_REG_RING_STATUS:
		return e->ring_status;
	case EMU_DMA_REG_RING_HEAD:
		return e->head;
	case EMU_DMA_REG_RING_TAIL:
		return e->tail;
	case EMU_DMA_REG_RING_FAULT:
		return e->ring_fault;
	case EMU_DMA_REG_RING_DONE:
		return e->ring_done;
	default:
		return 0;	/* CMD and holes read as zero */
	}
}

static void emu_dma_reg_write(struct emu_dev *edev, uint64_t off,
			      uint64_t val)
{
	struct emu_dma_engine *e = edev->dma;

	switch (off) {
	case EMU_DMA_REG_SRC:
		e->src = val;
		break;
	case EMU_DMA_REG_DST:
		e->dst = val;
		break;
	case EMU_DMA_REG_LEN:
		e->len = val;
		break;
	case EMU_DMA_REG_CMD:
		if ((uint32_t)val == EMU_DMA_CMD_COPY)
			emu_dma_copy(edev);
		else
			e->status = EMU_DMA_STATUS_DONE |
				    EMU_DMA_STATUS_INVALID;
		emu_dev_irq_signal(edev);
		break;
	case EMU_DMA_REG_RING_BASE:
	case EMU_DMA_REG_RING_SIZE:
		if (off == EMU_DMA_REG_RING_BASE)
			e->ring_base = val;
		else
			e->ring_size = (uint32_t)val;
		emu_dma_ring_reset(e);
		if ((e->ring_base & (DESC_SIZE - 1)) || !e->ring_size ||
		    e->ring_size > EMU_DMA_RING_MAX)
			e->ring_status |= EMU_DMA_RING_ERROR;
		break;
	case EMU_DMA_REG_RING_TAIL:
		if (e->ring_status & EMU_DMA_RING_ERROR)
			break;
		if ((uint32_t)val >= e->ring_size) {
			e->ring_status |= EMU_DMA_RING_ERROR;
			emu_dev_irq_signal(edev);
			break;
		}
		e->tail = (uint32_t)val;
		emu_dma_ring_run(edev, false);
		break;
	default:
		break;	/* read-only or unused: ignored, as hardware does */
	}
}

/* One 4-byte access at @off: a 32-bit register or half of a 64-bit one. */
static void emu_dma_access32(struct emu_dev *edev, uint64_t off,
			     uint32_t *val, bool write)
{
	uint64_t base = off & ~7ull, cur;
	unsigned int shift = off & 4 ? 32 : 0;

	if (emu_dma_reg_width(off) == 4) {
		if (write)
			emu_dma_reg_write(edev, off, *val);
		else
			*val = (uint32_t)emu_dma_reg_read(edev->dma, off);
		return;
	}
	if (emu_dma_reg_width(base) != 8) {
		if (!write)
			*val = 0;
		return;
	}
	cur = emu_dma_reg_read(edev->dma, base);
	if (!write) {
		*val = (uint32_t)(cur >> shift);
		return;
	}
	cur &= ~(0xffffffffull << shift);
	emu_dma_reg_write(edev, base, cur | (uint64_t)*val << shift);
}

ssize_t emu_model_bar0_rw(struct emu_dev *edev, void *buf, size_t count,
			  uint64_t off, bool write)
{
	uint64_t val = 0;

	if (!edev->dma || off >= EMU_DMA_BAR0_SIZE)
		return -EINVAL;
	/* Registers take naturally aligned 4- and 8-byte accesses. */
	if ((count != 4 && count != 8) || (off & (count - 1)) ||
	    off + count > EMU_DMA_BAR0_SIZE)
		return -EINVAL;
	if (write && copy_from_user(&val, buf, count))
		return -EFAULT;
	if (count == 8 && emu_dma_reg_width(off) == 8) {
		if (write)
			emu_dma_reg_write(edev, off, val);
		else
			val = emu_dma_reg_read(edev->dma, off);
	} else {
		/* One 32-bit access, or two (low register first). */
		for (size_t i = 0; i < count; i += 4) {
			uint32_t v = (uint32_t)(val >> (8 * i));

			emu_dma_access32(edev, off + i, &v, write);
			if (!write)
				val |= (uint64_t)v << (8 * i);
		}
	}
	if (write)
		return count;
	return copy_to_user(buf, &val, count) ? -EFAULT : (ssize_t)count;
}
