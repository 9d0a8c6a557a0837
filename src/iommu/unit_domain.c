/*
 * unit_domain.c - the domains of the software IOMMU: paging domains (a
 * pt_table in one of a unit's formats), nested domains (a stage-1 table in
 * memory over a stage-2 paging parent), identity and blocking domains; and
 * their struct iommu_domain_ops for the core.
 *
 * Invariants:
 *  - a domain's tag is unique for the life of the process (a 32-bit counter
 *    that is never reused), so a stale IOTLB entry of a freed domain can
 *    never hit for another one;
 *  - ud->units has a bit for every unit the domain was ever attached to
 *    (set before the attach is published); invalidations go to all of them;
 *  - table pages that unmap frees, and the domain itself, are freed after
 *    an RCU grace period (readers may still walk them); ops->free first
 *    drops the tag from every unit's IOTLB.
 *  - ops->unmap clears the PTEs and invalidates the IOTLB, but does not wait
 *    for DMA in flight: the caller calls iommu_dma_wait() before it unpins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/unit_priv.h"
#include "util/compiler.h"
#include "util/err.h"
#include "util/fault_inject.h"

static uint32_t next_tag = 1;

static uint32_t tag_alloc(void)
{
	uint32_t t;

	do
		t = __atomic_fetch_add(&next_tag, 1, __ATOMIC_RELAXED);
	while (!t);
	return t;
}

/* --- table memory (frees deferred past readers) ------------------------- */

struct deferred_free {
	struct rcu_head rcu;
	void *p;
};

static void *udomain_table_alloc(void *ctx, size_t size)
{
	return ufi_aligned_alloc(size, size);
}

static void deferred_free_rcu(struct rcu_head *head)
{
	struct deferred_free *df =
	    container_of(head, struct deferred_free, rcu);

	iommu_rcu_callback(head);
	free(df->p);
	free(df);
}

static void udomain_table_free(void *ctx, void *table, size_t size)
{
	struct iommu_udomain *ud = ctx;
	struct deferred_free *df;

	if (ud->dying) {
		free(table);
		return;
	}
	df = ufi_malloc(sizeof(*df));
	if (!df) {
		iommu_synchronize_rcu();
		free(table);
		return;
	}
	df->p = table;
	iommu_call_rcu(&df->rcu, deferred_free_rcu);
}

/* --- invalidation across units ------------------------------------------ */

static void inv_one(struct iommu_unit *u, void *arg)
{
	iommu_unit_invalidate(u, arg);
}

static void udomain_invalidate(struct iommu_udomain *ud,
			       enum iommu_inv_granule g, uint64_t iova,
			       uint64_t len)
{
	struct iommu_inv inv = {
	    .granule = g,
	    .tag = ud->tag,
	    .pasid = IOMMU_INV_ANY_PASID,
	    .iova = iova,
	    .len = len,
	    .flags = ud->flags & IOMMU_UNIT_DOMAIN_NEST_PARENT
			 ? IOMMU_INV_F_NESTED
			 : 0,
	};
	uint64_t mask = __atomic_load_n(&ud->units, __ATOMIC_SEQ_CST);

	if (mask)
		__iommu_units_for_mask(mask, inv_one, &inv);
}

void iommu_domain_invalidate(struct iommu_domain *d, uint64_t iova,
			     uint64_t len)
{
	if (!d || !iommu_domain_is_unit(d))
		return;
	udomain_invalidate(to_udomain(d), IOMMU_INV_RANGE, iova, len);
}

void iommu_domain_invalidate_all(struct iommu_domain *d)
{
	if (!d || !iommu_domain_is_unit(d))
		return;
	udomain_invalidate(to_udomain(d), IOMMU_INV_DOMAIN, 0, 0);
}

/* --- freeing ------------------------------------------------------------- */

static void udomain_free_rcu(struct rcu_head *head)
{
	struct iommu_udomain *ud =
	    container_of(head, struct iommu_udomain, rcu);

	iommu_rcu_callback(head);
	ud->dying = true;
	if (ud->pt)
		pt_table_destroy(ud->pt);
	free(ud);
}

static void udomain_free(struct iommu_domain *d)
{
	struct iommu_udomain *ud = to_udomain(d);

	if (ud->kind == UDOM_NESTED && ud->s1.drv_free)
		ud->s1.drv_free(ud->s1.drv_priv);
	udomain_invalidate(ud, IOMMU_INV_DOMAIN, 0, 0);
	iommu_call_rcu(&ud->rcu, udomain_free_rcu);
}

/* --- paging domains ------------------------------------------------------ */

static uint32_t prot_to_pt(int prot)
{
	uint32_t p = 0;

	if (prot & IOMMU_READ)
		p |= PT_PROT_READ;
	if (prot & IOMMU_WRITE)
		p |= PT_PROT_WRITE;
	if (prot & IOMMU_CACHE)
		p |= PT_PROT_CACHE;
	if (prot & IOMMU_MMIO)
		p |= PT_PROT_MMIO;
	if (!(prot & IOMMU_NOEXEC))
		p |= PT_PROT_EXEC;
	return p;
}

static int paging_map(struct iommu_domain *d, uint64_t iova, uintptr_t phys,
		      uint64_t length, int prot)
{
	struct iommu_udomain *ud = to_udomain(d);

	return pt_map(ud->pt, iova, (uint64_t)phys, length, prot_to_pt(prot));
}

struct dirty_rec {
	struct iommu_dirty_bitmap *bitmap;
};

static void dirty_cb(void *ctx, uint64_t iova, uint64_t size)
{
	iommu_dirty_record(((struct dirty_rec *)ctx)->bitmap, iova, size);
}

static uint64_t paging_unmap(struct iommu_domain *d, uint64_t iova,
			     uint64_t length, struct iommu_dirty_bitmap *dirty)
{
	struct iommu_udomain *ud = to_udomain(d);
	struct dirty_rec rec = {dirty};
	uint64_t unmapped = 0;

	if (dirty)
		pt_read_and_clear_dirty(ud->pt, iova, length, PT_DIRTY_NO_CLEAR,
					dirty_cb, &rec);
	pt_unmap(ud->pt, iova, length, &unmapped);
	if (unmapped)
		udomain_invalidate(ud, IOMMU_INV_RANGE, iova, length);
	return unmapped;
}

static uintptr_t paging_iova_to_phys(struct iommu_domain *d, uint64_t iova)
{
	uint64_t pa = pt_iova_to_phys(to_udomain(d)->pt, iova);

	return pa == PT_PHYS_NONE ? 0 : (uintptr_t)pa;
}

static int paging_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	struct iommu_udomain *ud = to_udomain(d);

	if (!(ud->flags & IOMMU_UNIT_DOMAIN_DIRTY))
		return -EOPNOTSUPP;
	__atomic_store_n(&d->dirty_tracking, enable, __ATOMIC_SEQ_CST);
	/* Entries cached as "write needs no dirty update" go. */
	udomain_invalidate(ud, IOMMU_INV_DOMAIN, 0, 0);
	return 0;
}

static int paging_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova,
				       uint64_t length, unsigned long flags,
				       struct iommu_dirty_bitmap *dirty)
{
	struct iommu_udomain *ud = to_udomain(d);
	struct dirty_rec rec = {dirty};
	uint32_t ptf = flags & IOMMU_DIRTY_NO_CLEAR ? PT_DIRTY_NO_CLEAR : 0;
	int ret;

	if (!udomain_dirty_tracking(ud) && dirty)
		return -EINVAL;
	ret =
	    pt_read_and_clear_dirty(ud->pt, iova, length, ptf, dirty_cb, &rec);
	/* A cleaned leaf must be dirtied again by the next write. */
	if (!ret && !ptf)
		udomain_invalidate(ud, IOMMU_INV_RANGE, iova, length);
	return ret;
}

static const struct iommu_domain_ops paging_ops = {
    .map = paging_map,
    .unmap = paging_unmap,
    .iova_to_phys = paging_iova_to_phys,
    .set_dirty_tracking = paging_set_dirty_tracking,
    .read_and_clear_dirty = paging_read_and_clear_dirty,
    .free = udomain_free,
};

/* --- nested, identity, blocked ------------------------------------------ */

static int nomap_map(struct iommu_domain *d, uint64_t iova, uintptr_t phys,
		     uint64_t length, int prot)
{
	return -EOPNOTSUPP;
}

static uint64_t nomap_unmap(struct iommu_domain *d, uint64_t iova,
			    uint64_t length, struct iommu_dirty_bitmap *dirty)
{
	return 0;
}

static uintptr_t none_iova_to_phys(struct iommu_domain *d, uint64_t iova)
{
	return 0;
}

static uintptr_t identity_iova_to_phys(struct iommu_domain *d, uint64_t iova)
{
	return (uintptr_t)iova;
}

static const struct iommu_domain_ops nested_ops = {
    .map = nomap_map,
    .unmap = nomap_unmap,
    .iova_to_phys = none_iova_to_phys,
    .free = udomain_free,
};

static const struct iommu_domain_ops identity_ops = {
    .map = nomap_map,
    .unmap = nomap_unmap,
    .iova_to_phys = identity_iova_to_phys,
    .free = udomain_free,
};

static const struct iommu_domain_ops blocked_ops = {
    .map = nomap_map,
    .unmap = nomap_unmap,
    .iova_to_phys = none_iova_to_phys,
    .free = udomain_free,
};

bool iommu_domain_is_unit(const struct iommu_domain *d)
{
	return d->ops == &paging_ops || d->ops == &nested_ops ||
	       d->ops == &identity_ops || d->ops == &blocked_ops;
}

struct pt_table *iommu_unit_domain_pt(struct iommu_domain *d)
{
	if (!iommu_domain_is_unit(d))
		return NULL;
	return to_udomain(d)->pt;
}

uint32_t iommu_unit_domain_tag(const struct iommu_domain *d)
{
	if (!iommu_domain_is_unit(d))
		return 0;
	return container_of(d, struct iommu_udomain, domain)->tag;
}

/* --- allocation ---------------------------------------------------------- */

static struct iommu_udomain *udomain_new(struct iommu_unit *u,
					 enum iommu_udomain_kind kind,
					 const struct iommu_domain_ops *ops,
					 enum iommu_domain_type type)
{
	struct iommu_udomain *ud = ufi_calloc(1, sizeof(*ud));

	if (!ud)
		return NULL;
	ud->type = u->cfg.type;
	ud->kind = kind;
	ud->tag = tag_alloc();
	ud->domain.ops = ops;
	ud->domain.type = type;
	ud->domain.owner = ud;
	ud->domain.aperture_last = UINT64_MAX;
	return ud;
}

static void set_aperture(struct iommu_domain *d, const struct pt_format *f)
{
	unsigned int bits = f->sign_extend ? f->ias_lg2 - 1u : f->ias_lg2;

	d->aperture_start = 0;
	d->aperture_last = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
	d->pgsize_bitmap = f->pgsize_bitmap;
}

struct iommu_domain *iommu_unit_domain_alloc_paging(struct iommu_unit *u,
						    uint32_t flags)
{
	const uint32_t known =
	    IOMMU_UNIT_DOMAIN_STAGE1 | IOMMU_UNIT_DOMAIN_STAGE2 |
	    IOMMU_UNIT_DOMAIN_NEST_PARENT | IOMMU_UNIT_DOMAIN_DIRTY;
	const struct iommu_unit_type_ops *ops = u->ops;
	struct pt_alloc_ops alloc;
	struct iommu_udomain *ud;
	unsigned int stage;

	if ((flags & ~known) || ((flags & IOMMU_UNIT_DOMAIN_STAGE1) &&
				 (flags & IOMMU_UNIT_DOMAIN_STAGE2)))
		return ERR_PTR(-EINVAL);
	if (flags & IOMMU_UNIT_DOMAIN_STAGE1)
		stage = 1;
	else if (flags &
		 (IOMMU_UNIT_DOMAIN_STAGE2 | IOMMU_UNIT_DOMAIN_NEST_PARENT))
		stage = 2;
	else if ((flags & IOMMU_UNIT_DOMAIN_DIRTY) &&
		 !(ops->dirty_stages & (1u << ops->default_stage)))
		stage = 3 - ops->default_stage;
	else
		stage = ops->default_stage;

	if (!ops->stage_ok(u, stage))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_UNIT_DOMAIN_NEST_PARENT) &&
	    (stage != 2 || !(u->cfg.features & IOMMU_UNIT_F_NEST)))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_UNIT_DOMAIN_DIRTY) &&
	    (!(u->cfg.features & IOMMU_UNIT_F_DIRTY) ||
	     !(ops->dirty_stages & (1u << stage))))
		return ERR_PTR(-EOPNOTSUPP);

	ud = udomain_new(u, UDOM_PAGING, &paging_ops, IOMMU_DOMAIN_PAGING);
	if (!ud)
		return ERR_PTR(-ENOMEM);
	ud->stage = (uint8_t)stage;
	ud->flags = flags;
	ud->fmt = u->fmt[stage - 1];
	alloc.alloc = udomain_table_alloc;
	alloc.free = udomain_table_free;
	alloc.ctx = ud;
	ud->pt = pt_table_create(ud->fmt, &alloc);
	if (IS_ERR(ud->pt)) {
		long err = PTR_ERR(ud->pt);

		free(ud);
		return ERR_PTR(err);
	}
	set_aperture(&ud->domain, ud->fmt);
	return &ud->domain;
}

struct iommu_domain *
iommu_unit_domain_alloc_nested(struct iommu_unit *u,
			       struct iommu_domain *parent,
			       const struct iommu_nested_s1 *s1)
{
	const struct pt_format *fmt = s1->fmt ? s1->fmt : u->fmt[0];
	struct iommu_udomain *pd, *ud;

	if (!(u->cfg.features & IOMMU_UNIT_F_NEST))
		return ERR_PTR(-EOPNOTSUPP);
	if (s1->flags & ~(uint32_t)IOMMU_NESTED_S1_DIRTY)
		return ERR_PTR(-EOPNOTSUPP);
	if (!parent || !iommu_domain_is_unit(parent))
		return ERR_PTR(-EINVAL);
	pd = to_udomain(parent);
	if (pd->kind != UDOM_PAGING ||
	    !(pd->flags & IOMMU_UNIT_DOMAIN_NEST_PARENT) ||
	    pd->type != u->cfg.type || pd->fmt != u->fmt[1])
		return ERR_PTR(-EINVAL);
	if (!__iommu_unit_format_fits(u->cfg.type, 1, fmt))
		return ERR_PTR(-EINVAL);
	if (!IS_ALIGNED(s1->root, 1ull << fmt->root_lg2))
		return ERR_PTR(-EINVAL);

	ud = udomain_new(u, UDOM_NESTED, &nested_ops, IOMMU_DOMAIN_NESTED);
	if (!ud)
		return ERR_PTR(-ENOMEM);
	ud->stage = 1;
	ud->fmt = fmt;
	ud->parent = pd;
	ud->s1_root = s1->root;
	ud->s1_flags = s1->flags;
	ud->s1 = *s1;
	ud->s1.fmt = fmt;
	set_aperture(&ud->domain, fmt);
	return &ud->domain;
}

bool iommu_unit_domain_nest_parent_of(struct iommu_domain *d,
				      const struct iommu_unit *u)
{
	struct iommu_udomain *pd;

	if (!d || !iommu_domain_is_unit(d))
		return false;
	pd = to_udomain(d);
	return pd->kind == UDOM_PAGING &&
	       (pd->flags & IOMMU_UNIT_DOMAIN_NEST_PARENT) &&
	       pd->type == u->cfg.type && pd->fmt == u->fmt[1];
}

const struct iommu_nested_s1 *
iommu_unit_domain_nested_s1(struct iommu_domain *d)
{
	struct iommu_udomain *ud;

	if (!d || !iommu_domain_is_unit(d))
		return NULL;
	ud = to_udomain(d);
	return ud->kind == UDOM_NESTED ? &ud->s1 : NULL;
}

int iommu_unit_domain_set_s1(struct iommu_domain *d, uint64_t root,
			     uint32_t flags)
{
	struct iommu_udomain *ud;

	if (!d || !iommu_domain_is_unit(d))
		return -EINVAL;
	ud = to_udomain(d);
	if (ud->kind != UDOM_NESTED ||
	    !IS_ALIGNED(root, 1ull << ud->fmt->root_lg2) ||
	    (flags & ~(uint32_t)IOMMU_NESTED_S1_DIRTY))
		return -EINVAL;
	/* The same table: what was cached from it stays (until invalidated). */
	if (root == ud->s1.root && flags == ud->s1.flags)
		return 0;
	/* The caller serialises changes. */
	ud->s1.root = root;
	ud->s1.flags = flags;
	__atomic_store_n(&ud->s1_flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&ud->s1_root, root, __ATOMIC_RELEASE);
	udomain_invalidate(ud, IOMMU_INV_DOMAIN, 0, 0);
	return 0;
}

struct iommu_domain *iommu_unit_domain_alloc_identity(struct iommu_unit *u)
{
	struct iommu_udomain *ud =
	    udomain_new(u, UDOM_IDENTITY, &identity_ops, IOMMU_DOMAIN_IDENTITY);

	return ud ? &ud->domain : ERR_PTR(-ENOMEM);
}

struct iommu_domain *iommu_unit_domain_alloc_blocked(struct iommu_unit *u)
{
	struct iommu_udomain *ud =
	    udomain_new(u, UDOM_BLOCKED, &blocked_ops, IOMMU_DOMAIN_BLOCKED);

	return ud ? &ud->domain : ERR_PTR(-ENOMEM);
}
