/*
 * unit.h - the software IOMMU units ("the hardware"): one per emulated IOMMU
 * instance, of one vendor type (Intel VT-d, AMD-Vi, Arm SMMUv3, RISC-V
 * IOMMU), with its configuration, its GET_HW_INFO data, its per-RID context
 * entries and per-PASID entries, its IOTLB and its fault log; and the I/O
 * page tables (struct iommu_domain, domain.h) it translates through.
 *
 * A unit is declared by a line of configuration text:
 *
 *	unit vtd0 type=vtd aw=48 pasid=20 nest dirty ats pri
 *
 * parsed by iommu_unit_config_parse(); errors name the offending token.
 *
 * Words: a "slot" is one (RID, PASID) pair of a unit; PASID 0
 * (IOMMU_NO_PASID) is the slot for requests without a PASID.  A slot points
 * at one domain at a time (attach / detach / replace are one RCU pointer
 * publish).  A "tag" is the IOTLB tag of a domain (its domain id, never
 * reused).  Stage 1 is the first (guest / process) translation, stage 2 the
 * second (host / IPA) one; a paging domain has one stage, a nested domain
 * has a stage-1 table in memory reached through its stage-2 parent.
 *
 * Lifetimes and ordering (the IOMMU's security property): after a domain's
 * unmap (ops->unmap) or a detach, device DMA already in flight may still use
 * the old translation until iommu_dma_wait() (or iommu_unit_flush_and_wait())
 * returns; only then may the memory be unpinned.  Domains, context entries
 * and table pages are freed after an RCU grace period, so readers never see
 * freed memory.
 *
 * Locking: attach/detach and the fault log take the unit's mutex; the
 * translation path (translate.h, dma.h) takes no lock.  Map/unmap/dirty on
 * one domain are serialised by the caller (domain.h).
 */
#ifndef UIOMMU_IOMMU_UNIT_H
#define UIOMMU_IOMMU_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>

#include "iommu/domain.h"
#include "iommu/pt/pt.h"

#define IOMMU_NO_PASID 0u
#define IOMMU_UNIT_NAME_MAX 32
#define IOMMU_UNIT_MAX 64 /* units alive at once */

enum iommu_unit_type {
	IOMMU_UNIT_VTD,
	IOMMU_UNIT_AMD,
	IOMMU_UNIT_SMMUV3,
	IOMMU_UNIT_RISCV,
	IOMMU_UNIT_NR_TYPES,
};

/* Features a unit may be declared with (struct iommu_unit_config.features). */
enum {
	IOMMU_UNIT_F_NEST = 1u << 0,  /* nested (stage 1 over stage 2) */
	IOMMU_UNIT_F_DIRTY = 1u << 1, /* hardware dirty tracking */
	IOMMU_UNIT_F_ATS = 1u << 2,   /* PCIe ATS (device IOTLB) */
	IOMMU_UNIT_F_PRI = 1u << 3,   /* PCIe PRI (recoverable faults) */
	IOMMU_UNIT_F_EXEC = 1u << 4,  /* PASID execute requests */
	IOMMU_UNIT_F_PRIV = 1u << 5,  /* PASID privileged requests */
};

struct iommu_unit_config {
	char name[IOMMU_UNIT_NAME_MAX];
	enum iommu_unit_type type;
	uint8_t aw;		/* input (IOVA) address width of its tables */
	uint8_t oas;		/* output address width */
	uint8_t pasid_lg2;	/* PASID width; 0: no PASID support */
	uint8_t granule_lg2;	/* smallest page (SMMUv3: 12, 14 or 16) */
	uint32_t features;	/* IOMMU_UNIT_F_* */
	uint32_t iotlb_entries; /* power of two; 0: no IOTLB */
	uint8_t iotlb_ways;	/* 1, 2, 4 or 8 */
	uint32_t fault_log;	/* records kept in the fault log (>= 1) */
	char s1_format[32];	/* pt format names; "" = the type's default */
	char s2_format[32];
};

/* Defaults of @type (a usable unit named "iommu0"). */
void iommu_unit_config_init(struct iommu_unit_config *cfg,
			    enum iommu_unit_type type);

/*
 * Parse one declaration: "unit NAME key=value... flag...".  Keys: type
 * (vtd|amd|smmuv3|riscv, required, first), aw, oas, pasid, granule
 * (4k|16k|64k), iotlb (entries, 0 = off), ways, faults, s1, s2 (pt format
 * names).  Flags: nest, dirty, ats, pri, exec, priv; "no" + flag clears.
 * 0, or -EINVAL with a message naming the offending token in @err.
 */
int iommu_unit_config_parse(const char *text, struct iommu_unit_config *cfg,
			    char *err, size_t err_len);

/* Name of a unit type as the configuration spells it ("vtd", ...). */
const char *iommu_unit_type_name(enum iommu_unit_type type);

struct iommu_unit;

/* A unit of @cfg (validated again); ERR_PTR -EINVAL, -ENOSPC, -ENOMEM. */
struct iommu_unit *iommu_unit_create(const struct iommu_unit_config *cfg);
/* Parse + create; a parse error is copied to @err. */
struct iommu_unit *iommu_unit_create_str(const char *text, char *err,
					 size_t err_len);
/*
 * Tear down: every slot is detached, callbacks waited for.  The caller has
 * freed (or will free) its domains; no DMA may run on this unit any more.
 */
void iommu_unit_destroy(struct iommu_unit *u);

const struct iommu_unit_config *iommu_unit_config(const struct iommu_unit *u);
/* The format used for stage 1 or stage 2 (stage = 1 or 2). */
const struct pt_format *iommu_unit_format(const struct iommu_unit *u,
					  unsigned int stage);

/* What IOMMU_GET_HW_INFO reports for a device behind this unit. */
struct iommu_unit_hw_info {
	uint32_t type; /* enum iommu_hw_info_type */
	uint32_t len;  /* bytes of data */
	uint8_t max_pasid_lg2;
	uint64_t capabilities; /* enum iommufd_hw_capabilities */
	union {
		struct iommu_hw_info_vtd vtd;
		struct iommu_hw_info_arm_smmuv3 smmuv3;
	} data;
};
void iommu_unit_hw_info(const struct iommu_unit *u,
			struct iommu_unit_hw_info *info);

/* --- domains ------------------------------------------------------------- */

enum {
	IOMMU_UNIT_DOMAIN_STAGE1 = 1u << 0,	 /* stage-1 format */
	IOMMU_UNIT_DOMAIN_STAGE2 = 1u << 1,	 /* stage-2 format */
	IOMMU_UNIT_DOMAIN_NEST_PARENT = 1u << 2, /* may parent nested domains */
	IOMMU_UNIT_DOMAIN_DIRTY = 1u << 3,	 /* dirty tracking allowed */
};

/*
 * A paging domain in one of the unit's formats.  Without STAGE1/STAGE2 the
 * stage is the type's default for the other flags (a nest parent is stage
 * 2; dirty tracking picks a stage the type tracks dirty bits in).  ERR_PTR
 * -EINVAL (unknown flag, both stages), -EOPNOTSUPP (a flag the unit cannot
 * honour: NEST_PARENT on stage 1 or without nesting, DIRTY without dirty
 * tracking in that stage, a stage the unit lacks), -ENOMEM.  The table is built
 * with d->ops->map / unmap (which invalidate the IOTLB) or, for tests, with the
 * pt API on iommu_unit_domain_pt(d) (which does not).  Free with
 * d->ops->free after detaching it everywhere.
 */
struct iommu_domain *iommu_unit_domain_alloc_paging(struct iommu_unit *u,
						    uint32_t flags);

/* Stage-1 table in memory, for iommu_unit_domain_alloc_nested(). */
enum {
	IOMMU_NESTED_S1_DIRTY = 1u << 0, /* hardware sets stage-1 dirty bits */
};
struct iommu_nested_s1 {
	const struct pt_format *fmt; /* NULL: the unit's stage-1 format */
	uint64_t root;		     /* root table, a parent input address */
	uint32_t flags;		     /* IOMMU_NESTED_S1_* */
	/*
	 * The driver's own words, kept with the domain and never read here
	 * (unit_dev.c: the user's stage-1 configuration).
	 */
	uint64_t drv[4];
	/*
	 * Optional: called with drv_priv when the domain is freed (ops->free,
	 * before the grace period), for the driver's own state.
	 */
	void (*drv_free)(void *drv_priv);
	void *drv_priv;
};

/*
 * A nested domain: stage 1 = @s1 (tables in "guest" memory, every table
 * address and the output translated through @parent), stage 2 = @parent, a
 * NEST_PARENT paging domain of the same unit.  ERR_PTR -EOPNOTSUPP (unit
 * without nesting), -EINVAL (parent not a nest parent, format not stage-1
 * capable, root misaligned), -ENOMEM.
 */
struct iommu_domain *
iommu_unit_domain_alloc_nested(struct iommu_unit *u,
			       struct iommu_domain *parent,
			       const struct iommu_nested_s1 *s1);

/*
 * Is @d a NEST_PARENT paging domain that nested domains of @u may sit on
 * (same unit type, the unit's stage-2 format)?
 */
bool iommu_unit_domain_nest_parent_of(struct iommu_domain *d,
				      const struct iommu_unit *u);
/*
 * The stage-1 description a nested domain was made with (root: the current
 * one), or NULL for any other domain.
 */
const struct iommu_nested_s1 *
iommu_unit_domain_nested_s1(struct iommu_domain *d);
/*
 * Point nested domain @d at another stage-1 root and IOMMU_NESTED_S1_*
 * flags (a guest rewrote its context descriptor and invalidated it): atomic
 * stores, then the domain's IOTLB entries go (not when nothing changed:
 * entries cached from the same table stay until invalidated).  0, -EINVAL
 * (not nested, root misaligned, unknown flag).
 */
int iommu_unit_domain_set_s1(struct iommu_domain *d, uint64_t root,
			     uint32_t flags);

/* Pass-through (iova == phys) and blocking domains; ERR_PTR -ENOMEM. */
struct iommu_domain *iommu_unit_domain_alloc_identity(struct iommu_unit *u);
struct iommu_domain *iommu_unit_domain_alloc_blocked(struct iommu_unit *u);

/* True when @d was allocated by a unit (of any type). */
bool iommu_domain_is_unit(const struct iommu_domain *d);
/* The page table of a paging domain (NULL for the other kinds). */
struct pt_table *iommu_unit_domain_pt(struct iommu_domain *d);
/* The domain's IOTLB tag (its domain id). */
uint32_t iommu_unit_domain_tag(const struct iommu_domain *d);

/* --- attach ------------------------------------------------------------- */

enum {
	IOMMU_ATTACH_PRI = 1u << 0, /* faults are page requests (recoverable) */
};

/*
 * Point slot (@rid, @pasid) at @d (replacing whatever was there: one
 * atomic publish).  0, or -EINVAL (rid > 0xffff, pasid out of the unit's
 * range), -EOPNOTSUPP (domain of a unit of another type or of another
 * format, PRI without the feature), -ENOMEM.  In-flight DMA may still use
 * the previous domain until iommu_dma_wait().
 */
int iommu_unit_attach(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		      struct iommu_domain *d, uint32_t flags);
/* Empty the slot (DMA then faults: context/PASID entry not present). */
int iommu_unit_detach(struct iommu_unit *u, uint32_t rid, uint32_t pasid);
/* The domain on the slot or NULL (a snapshot). */
struct iommu_domain *iommu_unit_attached(struct iommu_unit *u, uint32_t rid,
					 uint32_t pasid);

/* --- invalidation ------------------------------------------------------- */

enum iommu_inv_granule {
	IOMMU_INV_GLOBAL, /* every entry of the unit */
	IOMMU_INV_DOMAIN, /* every entry of tag (and nested on it) */
	IOMMU_INV_PASID,  /* entries of tag for one PASID */
	IOMMU_INV_RANGE,  /* entries of tag meeting [iova, iova + len) */
};
#define IOMMU_INV_ANY_PASID UINT32_MAX

enum {
	IOMMU_INV_F_NESTED = 1u << 0, /* RANGE of a nest parent: also drop
					 the nested entries built on it */
};

struct iommu_inv {
	enum iommu_inv_granule granule;
	uint32_t flags; /* IOMMU_INV_F_* */
	uint32_t tag;	/* domain tag (not GLOBAL) */
	uint32_t pasid; /* PASID, RANGE: or IOMMU_INV_ANY_PASID */
	uint64_t iova;	/* RANGE */
	uint64_t len;	/* RANGE; a page: its size */
};

/*
 * Drop IOTLB entries.  DOMAIN also drops the nested (stage 1 + 2) entries
 * built on the tag, RANGE does with IOMMU_INV_F_NESTED (nested entries are
 * indexed by stage-1 address, so all of them go).  After return no lookup
 * hits them, and no walk that started before can cache what it read.
 */
void iommu_unit_invalidate(struct iommu_unit *u, const struct iommu_inv *inv);
/*
 * Invalidate, then wait until no DMA that might have used the dropped
 * entries (or anything unpublished before the call) is still in flight.
 * Must not be called from inside iommu_dma_begin()/end().
 */
void iommu_unit_flush_and_wait(struct iommu_unit *u,
			       const struct iommu_inv *inv);
/* Invalidate [iova, iova + len) of @d in every unit it was attached to. */
void iommu_domain_invalidate(struct iommu_domain *d, uint64_t iova,
			     uint64_t len);
/* Invalidate every entry of @d (DOMAIN granule) in every unit it was on. */
void iommu_domain_invalidate_all(struct iommu_domain *d);
/* Wait until every DMA in flight when called has finished. */
void iommu_dma_wait(void);
/*
 * Wait until every deferred free queued so far (domains, table pages, slot
 * entries) has run: for teardown and leak checks.  Not inside a DMA.
 */
void iommu_quiesce(void);

/* --- statistics ---------------------------------------------------------- */

struct iommu_unit_stats {
	uint64_t walks; /* translations that missed the IOTLB */
	uint64_t iotlb_fills;
	uint64_t faults;      /* unrecoverable faults recorded */
	uint64_t faults_lost; /* recorded while the log was full */
	uint64_t page_requests;
	uint64_t invalidations;
};
void iommu_unit_stats(const struct iommu_unit *u, struct iommu_unit_stats *s);

#endif
