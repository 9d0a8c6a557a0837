/*
 * translate.c - the translation engine (see translate.h for the contract).
 *
 * Fast path: slot entry (three acquire loads) -> IOTLB probe -> permission
 * check.  Slow path (walk): a paging domain's own table through pt_walk();
 * a nested domain's stage-1 table through pt_walk_mem(), each entry fetched
 * at a stage-1 table address translated by stage 2 (itself cached in the
 * IOTLB under the parent's tag), then the stage-1 output translated by
 * stage 2.  The result is cached as the largest IOTLB block (4K/2M/1G) that
 * fits inside every leaf used.
 *
 * Permissions: each stage's leaf gives IOMMU_ACC_READ/WRITE/EXEC and
 * IOTLB_PERM_USER (not a supervisor-only page); a format that cannot say
 * "no execute" allows execution of what it allows to read.  A nested
 * translation allows what both stages allow.  Privileged requests may use
 * user pages.
 *
 * Dirty tracking: a write through a leaf that is clean while its domain
 * (for stage 2: the parent) tracks dirty bits sets the dirty bit first
 * (pt_set_dirty, or a compare-and-exchange on a stage-1 entry in memory);
 * only then is the entry cached with IOTLB_PERM_DIRTY_OK, so a later write
 * hit needs no walk.  Turning tracking on, and cleaning dirty bits,
 * invalidate the IOTLB (unit_domain.c).
 */
#include <errno.h>
#include <string.h>

#include "iommu/unit_priv.h"

char __iommu_rcu_token;

void iommu_dma_begin(void)
{
	iommu_rcu_read_lock();
}

void iommu_dma_end(void)
{
	iommu_rcu_read_unlock();
}

#define ACC_RWX (IOMMU_ACC_READ | IOMMU_ACC_WRITE | IOMMU_ACC_EXEC)

static inline uint32_t stage_perm(const struct pt_format *f, uint32_t prot)
{
	uint32_t p = 0;

	if (prot & PT_PROT_READ)
		p |= IOMMU_ACC_READ;
	if (prot & PT_PROT_WRITE)
		p |= IOMMU_ACC_WRITE;
	if ((f->prot_mask & PT_PROT_EXEC) ? (prot & PT_PROT_EXEC)
					  : (prot & PT_PROT_READ))
		p |= IOMMU_ACC_EXEC;
	if (!(prot & PT_PROT_PRIV))
		p |= IOTLB_PERM_USER;
	return p;
}

static inline bool perm_ok(uint32_t perm, uint32_t access)
{
	uint32_t need = access & ACC_RWX;

	if ((perm & need) != need)
		return false;
	return (access & IOMMU_ACC_PRIV) || (perm & IOTLB_PERM_USER);
}

/* Bytes from @iova to the end of its aligned 2^lg2 block, capped at @len. */
static inline uint64_t span(uint64_t iova, unsigned int lg2, uint64_t len)
{
	uint64_t left = lg2 >= 64
			    ? UINT64_MAX - iova + 1
			    : (1ull << lg2) - (iova & ((1ull << lg2) - 1));

	return left && left < len ? left : len;
}

/* --- slot lookup ---------------------------------------------------------- */

static inline const struct iommu_ste *
ste_lookup(struct iommu_unit *u, uint32_t rid, uint32_t pasid, uint32_t *reason)
{
	const struct iommu_ctx_bus *bus;
	const struct iommu_ctx_slot *s;
	const struct iommu_pasid_dir *dir;
	const struct iommu_pasid_leaf *leaf;
	const struct iommu_ste *ste;

	if (unlikely(rid > 0xffff)) {
		*reason = IOMMU_FAULT_RID_INVALID;
		return NULL;
	}
	if (unlikely(pasid != IOMMU_NO_PASID &&
		     pasid >= (1u << u->cfg.pasid_lg2))) {
		*reason = IOMMU_FAULT_PASID_INVALID;
		return NULL;
	}
	bus = __atomic_load_n(&u->bus[rid >> 8], __ATOMIC_ACQUIRE);
	if (unlikely(!bus)) {
		*reason = pasid == IOMMU_NO_PASID ? IOMMU_FAULT_CTX_ABSENT
						  : IOMMU_FAULT_PASID_ABSENT;
		return NULL;
	}
	s = &bus->slot[rid & 0xff];
	if (pasid == IOMMU_NO_PASID) {
		ste = __atomic_load_n(&s->ste, __ATOMIC_ACQUIRE);
		if (unlikely(!ste))
			*reason = IOMMU_FAULT_CTX_ABSENT;
		return ste;
	}
	*reason = IOMMU_FAULT_PASID_ABSENT;
	dir = __atomic_load_n(&s->pasids, __ATOMIC_ACQUIRE);
	if (!dir)
		return NULL;
	leaf = __atomic_load_n(&dir->leaf[pasid >> PASID_LEAF_BITS],
			       __ATOMIC_ACQUIRE);
	if (!leaf)
		return NULL;
	return __atomic_load_n(&leaf->ste[pasid & (PASID_LEAF_SIZE - 1)],
			       __ATOMIC_ACQUIRE);
}

/* --- walks ---------------------------------------------------------------- */

/* One stage's (or the combined) result of a walk. */
struct xwalk {
	uint64_t out;	  /* output address of the iova */
	uint8_t size_lg2; /* the translation is linear over this block */
	uint32_t perm;	  /* IOMMU_ACC_* | IOTLB_PERM_* */
};

/* Per-request state of the slow path. */
struct xreq {
	struct iommu_unit *u;
	uint64_t gen; /* IOTLB generation before any table read */
	struct iommu_fault_record *rec;
};

static void fault_set(struct xreq *r, uint32_t reason, uint8_t stage,
		      uint8_t level, uint64_t addr)
{
	r->rec->reason = reason;
	r->rec->stage = stage;
	r->rec->level = level;
	r->rec->addr = addr;
}

static uint32_t walk_reason(int err)
{
	return err == -ERANGE ? IOMMU_FAULT_ADDR_SIZE
	       : err == -EIO  ? IOMMU_FAULT_BAD_ENTRY
			      : IOMMU_FAULT_TRANSLATION;
}

/*
 * Walk a paging domain's own table for @addr (an IOVA, or for stage 2 an
 * IPA): permission check and dirty update included.  0 or -EFAULT (fault
 * described in r->rec).
 */
static int walk_own(struct xreq *r, struct iommu_udomain *ud, uint64_t addr,
		    uint32_t access, struct xwalk *out)
{
	struct pt_walk w;
	int ret;

	stat_inc(&r->u->n_walks);
	ret = pt_walk(ud->pt, addr, &w);
	if (ret) {
		fault_set(r, walk_reason(ret), ud->stage, w.level, addr);
		return -EFAULT;
	}
	out->perm = stage_perm(ud->fmt, w.prot);
	if (!perm_ok(out->perm, access)) {
		fault_set(r, IOMMU_FAULT_PERMISSION, ud->stage, w.level, addr);
		return -EFAULT;
	}
	if (!udomain_dirty_tracking(ud) || w.dirty) {
		out->perm |= IOTLB_PERM_DIRTY_OK;
	} else if (access & IOMMU_ACC_WRITE) {
		ret = pt_set_dirty(ud->pt, addr);
		if (ret) {
			fault_set(r,
				  ret == -EPERM ? IOMMU_FAULT_PERMISSION
						: walk_reason(ret),
				  ud->stage, w.level, addr);
			return -EFAULT;
		}
		out->perm |= IOTLB_PERM_DIRTY_OK;
	}
	out->out = w.oa;
	out->size_lg2 = w.size_lg2;
	return 0;
}

static void cache(struct xreq *r, uint32_t tag, uint32_t s2tag, uint32_t pasid,
		  uint64_t iova, const struct xwalk *xw)
{
	unsigned int b;
	uint64_t off;

	if (!r->u->has_tlb)
		return;
	b = iotlb_block_for(xw->size_lg2);
	off = iova & ((1ull << iotlb_block_lg2(b)) - 1);
	if (iotlb_fill(&r->u->tlb, r->gen, tag, s2tag, pasid, iova, b,
		       xw->out - off, xw->perm))
		stat_inc(&r->u->n_fills);
}

/*
 * Stage 2 of a nested translation (table fetch or output): IOTLB under the
 * parent's tag (as requests without PASID of the parent see it), else a
 * walk of the parent, cached.
 */
static int stage2(struct xreq *r, struct iommu_udomain *pd, uint64_t ipa,
		  uint32_t access, struct xwalk *out)
{
	struct iotlb_hit hit;
	int ret;

	if (r->u->has_tlb &&
	    iotlb_lookup(&r->u->tlb, pd->tag, IOMMU_NO_PASID, ipa, &hit) &&
	    perm_ok(hit.perm, access) &&
	    (!(access & IOMMU_ACC_WRITE) || (hit.perm & IOTLB_PERM_DIRTY_OK))) {
		out->out = hit.phys;
		out->perm = hit.perm;
		out->size_lg2 = hit.block_lg2;
		return 0;
	}
	ret = walk_own(r, pd, ipa, access, out);
	if (ret)
		return ret;
	cache(r, pd->tag, 0, IOMMU_NO_PASID, ipa, out);
	return 0;
}

struct s1_fetch {
	struct xreq *r;
	struct iommu_udomain *pd;
	uint64_t last_ipa; /* address of the last entry fetched */
	bool s2_fault;
};

static int s1_read(void *ctx, uint64_t table_pa, unsigned int index,
		   uint64_t *pte)
{
	struct s1_fetch *c = ctx;
	struct xwalk w;

	c->last_ipa = table_pa + (uint64_t)index * 8;
	if (stage2(c->r, c->pd, c->last_ipa, IOMMU_ACC_READ, &w)) {
		c->s2_fault = true;
		return -EFAULT;
	}
	*pte = __atomic_load_n((uint64_t *)(uintptr_t)w.out, __ATOMIC_ACQUIRE);
	return 0;
}

/* Set the dirty bit of a stage-1 leaf in memory: 0, -EAGAIN (changed). */
static int s1_set_dirty(struct xreq *r, const struct iommu_udomain *ud,
			struct s1_fetch *c, uint64_t pte)
{
	const struct pt_format *f = ud->fmt;
	struct xwalk w;
	uint64_t old = pte;

	if (stage2(r, c->pd, c->last_ipa, IOMMU_ACC_WRITE, &w)) {
		c->s2_fault = true;
		return -EFAULT;
	}
	if (__atomic_compare_exchange_n((uint64_t *)(uintptr_t)w.out, &old,
					f->ops->mkdirty(f, pte), false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	return -EAGAIN;
}

static int walk_nested(struct xreq *r, struct iommu_udomain *ud, uint64_t iova,
		       uint32_t access, struct xwalk *out)
{
	struct s1_fetch c = {.r = r, .pd = ud->parent};
	struct xwalk s2;
	struct pt_walk w;
	uint32_t perm1;
	int ret, tries = 0;

again:
	stat_inc(&r->u->n_walks);
	c.s2_fault = false;
	ret = pt_walk_mem(ud->fmt,
			  __atomic_load_n(&ud->s1_root, __ATOMIC_ACQUIRE), iova,
			  s1_read, &c, &w);
	if (ret) {
		if (c.s2_fault) {
			r->rec->flags |= IOMMU_FAULT_F_TABLE;
			return -EFAULT;
		}
		fault_set(r, walk_reason(ret), 1, w.level, iova);
		return -EFAULT;
	}
	perm1 = stage_perm(ud->fmt, w.prot);
	if (!perm_ok(perm1, access)) {
		fault_set(r, IOMMU_FAULT_PERMISSION, 1, w.level, iova);
		return -EFAULT;
	}
	if (!(__atomic_load_n(&ud->s1_flags, __ATOMIC_RELAXED) &
	      IOMMU_NESTED_S1_DIRTY) ||
	    w.dirty) {
		perm1 |= IOTLB_PERM_DIRTY_OK;
	} else if ((access & IOMMU_ACC_WRITE) && (w.prot & PT_PROT_WRITE)) {
		ret = s1_set_dirty(r, ud, &c, w.pte);
		if (ret == -EFAULT) {
			r->rec->flags |= IOMMU_FAULT_F_TABLE;
			return ret;
		}
		if (ret == -EAGAIN && ++tries < 8)
			goto again;
		if (ret) {
			fault_set(r, IOMMU_FAULT_TRANSLATION, 1, w.level, iova);
			return -EFAULT;
		}
		perm1 |= IOTLB_PERM_DIRTY_OK;
	}
	ret = stage2(r, ud->parent, w.oa, access, &s2);
	if (ret)
		return ret;
	out->out = s2.out;
	out->perm = perm1 & s2.perm;
	out->size_lg2 = w.size_lg2 < s2.size_lg2 ? w.size_lg2 : s2.size_lg2;
	return 0;
}

/* --- the entry point ------------------------------------------------------ */

static int fault(struct iommu_unit *u, const struct iommu_ste *ste,
		 struct iommu_fault_record *rec, struct iommu_fault_record *f)
{
	int ret = -EFAULT;

	/*
	 * A page request asks the domain's owner to fix its table: of a
	 * nested domain only stage-1 faults are the owner's to fix.
	 */
	if (ste && (ste->flags & IOMMU_ATTACH_PRI) &&
	    (rec->reason == IOMMU_FAULT_TRANSLATION ||
	     rec->reason == IOMMU_FAULT_PERMISSION) &&
	    (ste->kind != UDOM_NESTED || rec->stage == 1)) {
		rec->flags |= IOMMU_FAULT_F_RECOVERABLE;
		ret = -EAGAIN;
	}
	__iommu_unit_report(u, rec);
	if (f)
		*f = *rec;
	return ret;
}

/* Same arguments as iommu_translate(), so that it is a sibling call. */
static int __attribute__((noinline, cold))
translate_slow(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
	       uint64_t iova, uint64_t len, uint32_t access,
	       struct iommu_xlate *x, struct iommu_fault_record *f)
{
	uint32_t reason = IOMMU_FAULT_NONE;
	const struct iommu_ste *ste = ste_lookup(u, rid, pasid, &reason);
	struct iommu_fault_record rec = {
	    .rid = rid,
	    .pasid = pasid,
	    .access = access,
	    .iova = iova,
	    .addr = iova,
	};
	struct xreq r = {.u = u, .rec = &rec};
	struct xwalk xw;
	int ret;

	if (!ste) {
		rec.reason = reason;
		return fault(u, NULL, &rec, f);
	}
	if (access & (IOMMU_ACC_EXEC | IOMMU_ACC_PRIV)) {
		uint32_t need =
		    (access & IOMMU_ACC_EXEC ? IOMMU_UNIT_F_EXEC : 0) |
		    (access & IOMMU_ACC_PRIV ? IOMMU_UNIT_F_PRIV : 0);

		if (pasid == IOMMU_NO_PASID ||
		    (u->cfg.features & need) != need) {
			rec.reason = IOMMU_FAULT_REQ_UNSUPPORTED;
			return fault(u, ste, &rec, f);
		}
	}
	/* The fast path leaves exec / priv requests to us. */
	if (u->has_tlb && ste->kind >= UDOM_PAGING &&
	    (access & (IOMMU_ACC_EXEC | IOMMU_ACC_PRIV))) {
		struct iotlb_hit hit;

		if (iotlb_lookup(&u->tlb, ste->tag, pasid, iova, &hit) &&
		    perm_ok(hit.perm, access) &&
		    (!(access & IOMMU_ACC_WRITE) ||
		     (hit.perm & IOTLB_PERM_DIRTY_OK))) {
			x->phys = hit.phys;
			x->len = span(iova, hit.block_lg2, len);
			x->prot = hit.perm & ACC_RWX;
			return 0;
		}
	}
	switch (ste->kind) {
	case UDOM_BLOCKED:
		rec.reason = IOMMU_FAULT_BLOCKED;
		return fault(u, ste, &rec, f);
	case UDOM_IDENTITY:
		x->phys = (uintptr_t)iova;
		x->len = len;
		x->prot = ACC_RWX;
		return 0;
	case UDOM_PAGING:
		if (u->has_tlb)
			r.gen = iotlb_gen(&u->tlb);
		ret = walk_own(&r, ste->dom, iova, access, &xw);
		if (ret)
			return fault(u, ste, &rec, f);
		cache(&r, ste->tag, 0, pasid, iova, &xw);
		break;
	case UDOM_NESTED:
		if (u->has_tlb)
			r.gen = iotlb_gen(&u->tlb);
		ret = walk_nested(&r, ste->dom, iova, access, &xw);
		if (ret)
			return fault(u, ste, &rec, f);
		cache(&r, ste->tag, ste->s2tag, pasid, iova, &xw);
		break;
	default:
		rec.reason = IOMMU_FAULT_BLOCKED;
		return fault(u, ste, &rec, f);
	}
	x->phys = (uintptr_t)xw.out;
	x->len = span(iova, xw.size_lg2, len);
	x->prot = xw.perm & ACC_RWX;
	return 0;
}

int iommu_translate(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		    uint64_t iova, uint64_t len, uint32_t access,
		    struct iommu_xlate *x, struct iommu_fault_record *f)
{
	uint32_t reason;
	const struct iommu_ste *ste = ste_lookup(u, rid, pasid, &reason);
	struct iotlb_hit hit;

	if (likely(ste && u->has_tlb &&
		   !(access & (IOMMU_ACC_EXEC | IOMMU_ACC_PRIV)) &&
		   ste->kind >= UDOM_PAGING &&
		   iotlb_lookup(&u->tlb, ste->tag, pasid, iova, &hit) &&
		   perm_ok(hit.perm, access) &&
		   (!(access & IOMMU_ACC_WRITE) ||
		    (hit.perm & IOTLB_PERM_DIRTY_OK)))) {
		uint64_t left = hit.block_end - iova;

		x->phys = hit.phys;
		x->len = left && left < len ? left : len;
		x->prot = hit.perm & ACC_RWX;
		return 0;
	}
	return translate_slow(u, rid, pasid, iova, len, access, x, f);
}
