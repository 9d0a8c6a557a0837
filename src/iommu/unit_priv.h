/*
 * unit_priv.h - what the files of the software IOMMU share and nobody else
 * sees: the unit, its context table, slot entries, the unit domains, and
 * the per-type operations (unit_vtd.c, unit_amd.c, unit_smmuv3.c,
 * unit_riscv.c).
 *
 * Context table: unit->bus[bus] (allocated on first attach, published
 * once, freed with the unit) holds 256 slots, one per devfn; a slot holds
 * the entry for requests without PASID and a PASID directory (published
 * once) of 1024-entry leaves (published once).  Entries (struct iommu_ste)
 * are immutable after publication: attach / detach / replace publish a new
 * pointer (release store) and free the old one after a grace period.
 * Readers load pointers with acquire loads inside an RCU read-side section.
 *
 * RCU flavour: liburcu "bulletproof" (urcu-bp): threads register themselves
 * on their first read-side section, so device models may call DMA from any
 * thread.  The read-side calls are liburcu's out-of-line functions (not the
 * _LGPL_SOURCE inlines): liburcu 0.13 places its per-thread reader records
 * below their declared alignment, which UBSan reports when the inlines are
 * compiled into our sanitized code.
 */
#ifndef UIOMMU_IOMMU_UNIT_PRIV_H
#define UIOMMU_IOMMU_UNIT_PRIV_H

#include <pthread.h>
#include <urcu-bp.h>

#include "iommu/iotlb.h"
#include "iommu/translate.h"
#include "iommu/unit.h"

/*
 * RCU calls go through these wrappers, which tell ThreadSanitizer about the
 * ordering liburcu provides (liburcu itself is not instrumented): a reader's
 * unlock happens before the end of a later grace period, and call_rcu()
 * happens before its callback.
 */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define IOMMU_TSAN_ACQUIRE(p) __tsan_acquire(p)
#define IOMMU_TSAN_RELEASE(p) __tsan_release(p)
#else
#define IOMMU_TSAN_ACQUIRE(p) ((void)(p))
#define IOMMU_TSAN_RELEASE(p) ((void)(p))
#endif
extern char __iommu_rcu_token;

static inline void iommu_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

static inline void iommu_rcu_read_unlock(void)
{
	IOMMU_TSAN_RELEASE(&__iommu_rcu_token);
	urcu_bp_read_unlock();
}

static inline void iommu_synchronize_rcu(void)
{
	urcu_bp_synchronize_rcu();
	IOMMU_TSAN_ACQUIRE(&__iommu_rcu_token);
}

static inline void iommu_call_rcu(struct rcu_head *head,
				  void (*fn)(struct rcu_head *head))
{
	IOMMU_TSAN_RELEASE(head);
	urcu_bp_call_rcu(head, fn);
}

/* First statement of every call_rcu() callback. */
static inline void iommu_rcu_callback(struct rcu_head *head)
{
	IOMMU_TSAN_ACQUIRE(head);
	IOMMU_TSAN_ACQUIRE(&__iommu_rcu_token);
}

static inline void iommu_rcu_barrier(void)
{
	urcu_bp_barrier();
}

#define CTX_DEVFNS 256
#define CTX_BUSES 256
#define PASID_LEAF_BITS 10
#define PASID_LEAF_SIZE (1u << PASID_LEAF_BITS)

enum iommu_udomain_kind {
	UDOM_BLOCKED,
	UDOM_IDENTITY,
	UDOM_PAGING,
	UDOM_NESTED,
};

/*
 * A unit domain: the struct iommu_domain the core holds, plus what the
 * engine needs.  Created by iommu_unit_domain_alloc_*, freed by ops->free
 * (after a grace period).  Immutable after creation except the page table
 * (writers serialised by the caller), domain.dirty_tracking (atomic) and
 * units (atomic OR).
 */
struct iommu_udomain {
	struct iommu_domain domain;
	enum iommu_unit_type type; /* of the allocating unit */
	enum iommu_udomain_kind kind;
	uint32_t tag;		      /* IOTLB tag, never reused */
	uint32_t flags;		      /* IOMMU_UNIT_DOMAIN_* */
	uint8_t stage;		      /* PAGING: 1 or 2 */
	const struct pt_format *fmt;  /* PAGING: pt->fmt; NESTED: stage 1 */
	struct pt_table *pt;	      /* PAGING */
	struct iommu_udomain *parent; /* NESTED: the stage-2 domain */
	uint64_t s1_root;	      /* NESTED (atomic: a new CD may move it) */
	uint32_t s1_flags;	      /* NESTED: IOMMU_NESTED_S1_* (atomic) */
	struct iommu_nested_s1 s1;    /* NESTED: as allocated (drv words) */
	uint64_t units;		      /* bit n: attached to unit index n */
	bool dying;		      /* tables freed at once (final free) */
	struct rcu_head rcu;
};

static inline struct iommu_udomain *to_udomain(struct iommu_domain *d)
{
	return container_of(d, struct iommu_udomain, domain);
}

static inline bool udomain_dirty_tracking(const struct iommu_udomain *ud)
{
	return __atomic_load_n(&ud->domain.dirty_tracking, __ATOMIC_RELAXED);
}

/* One slot's entry: which domain, and how.  Immutable once published. */
struct iommu_ste {
	struct iommu_udomain *dom;
	enum iommu_udomain_kind kind;
	uint32_t tag;
	uint32_t s2tag; /* NESTED: the parent's tag */
	uint32_t flags; /* IOMMU_ATTACH_* */
	struct rcu_head rcu;
};

struct iommu_pasid_leaf {
	struct iommu_ste *ste[PASID_LEAF_SIZE];
};

struct iommu_pasid_dir {
	struct iommu_pasid_leaf *leaf[1]; /* 1 << (pasid_lg2 - 10) of them */
};

struct iommu_ctx_slot {
	struct iommu_ste *ste; /* requests without PASID */
	struct iommu_pasid_dir *pasids;
};

struct iommu_ctx_bus {
	struct iommu_ctx_slot slot[CTX_DEVFNS];
};

struct iommu_fault_handler {
	iommu_fault_fn fn;
	void *ctx;
	struct rcu_head rcu;
};

struct iommu_unit_type_ops {
	enum iommu_unit_type type;
	const char *name;
	/* Fill the type's defaults. */
	void (*defaults)(struct iommu_unit_config *cfg);
	/*
	 * Check a configuration: 0, or -EINVAL with *key the configuration
	 * key at fault ("aw", "pasid", ...) and a message.
	 */
	int (*validate)(const struct iommu_unit_config *cfg, const char **key,
			char *msg, size_t len);
	/* Default stage-1 / stage-2 format names for @cfg. */
	void (*formats)(const struct iommu_unit_config *cfg, const char **s1,
			const char **s2);
	/* The unit translates with this stage alone (paging domains). */
	bool (*stage_ok)(const struct iommu_unit *u, unsigned int stage);
	uint8_t default_stage; /* of a plain paging domain */
	uint8_t dirty_stages;  /* bit n: stage n tracks dirty bits */
	/* GET_HW_INFO data (type, len, data; the rest is filled by unit.c). */
	void (*hw_info)(const struct iommu_unit *u,
			struct iommu_unit_hw_info *info);
};

extern const struct iommu_unit_type_ops iommu_unit_vtd_ops;
extern const struct iommu_unit_type_ops iommu_unit_amd_ops;
extern const struct iommu_unit_type_ops iommu_unit_smmuv3_ops;
extern const struct iommu_unit_type_ops iommu_unit_riscv_ops;

struct iommu_unit {
	struct iommu_unit_config cfg;
	const struct iommu_unit_type_ops *ops;
	const struct pt_format *fmt[2]; /* stage 1, stage 2 */
	unsigned int index;		/* in the unit registry */
	bool has_tlb;
	struct iotlb tlb;
	struct iommu_ctx_bus *bus[CTX_BUSES]; /* published once */
	unsigned int pasid_dir_size;	      /* leaves in a PASID directory */

	pthread_mutex_t lock;		/* attach/detach, fault log */
	struct iommu_fault_record *log; /* ring of cfg.fault_log records */
	uint32_t log_head;		/* oldest */
	uint32_t log_count;
	struct iommu_fault_handler *handler; /* RCU */

	/* statistics: slow paths only; approximate when threads race */
	uint64_t n_walks;
	uint64_t n_fills;
	uint64_t n_faults;
	uint64_t n_faults_lost;
	uint64_t n_page_requests;
	uint64_t n_invalidations;
};

/*
 * Count an event without a locked instruction (a miss costs a walk, not a
 * bus lock): increments racing on another thread may be lost.
 */
static inline void stat_inc(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/* Registry of live units, for invalidations that follow a domain. */
void __iommu_units_for_mask(uint64_t mask,
			    void (*fn)(struct iommu_unit *u, void *arg),
			    void *arg);

/* Record an unrecoverable fault / report a page request (translate.c). */
void __iommu_unit_report(struct iommu_unit *u,
			 const struct iommu_fault_record *r);

/* Can @f serve as stage @stage (1 or 2) of a @type unit? */
bool __iommu_unit_format_fits(enum iommu_unit_type type, unsigned int stage,
			      const struct pt_format *f);

/* Parse helper shared with the device declarations of later issues. */
const struct iommu_unit_type_ops *
__iommu_unit_type_ops(enum iommu_unit_type type);

#endif
