/*
 * pt.h - I/O page tables in real hardware formats, written as data, with the
 * map / unmap / walk / dirty algorithms written once (generic page table).
 *
 * A struct pt_format describes one format variant: its geometry (levels,
 * the address bits each level resolves, the root table's size and any
 * concatenation), which leaf sizes each level may hold, and a small table of
 * pure encode/decode functions that turn (level, address, size, prot) into a
 * 64-bit descriptor and back.  The bit layouts live in one header per format
 * family (vtd_ss.h, vtd_fs.h, amdv1.h, arm_lpae.h, riscv.h) with the
 * specification section cited for every bit.  Everything that touches table
 * memory is in pt.c and is shared by every format.  docs/pt-formats.md has
 * the overview: variants, specs, what is not modelled.
 *
 * Words: a "level" counts up from 0, the level whose entries map one granule
 * (4 KiB pages for most formats); the top level is levels - 1.  An entry's
 * "item" is the range of input addresses it covers (1 << lvl[level].shift).
 * A leaf may span 2^n consecutive entries of one table (AMD v1 page-size
 * encoding, Arm contiguous bit): such a run is one "contiguous leaf".
 * "Physical" (output) addresses are numbers; uiommu uses the owner's virtual
 * addresses, and table pages are addressed by their host virtual address.
 *
 * Concurrency: writers (map, unmap, read_and_clear_dirty, collapse, destroy)
 * on one pt_table must be serialised by the caller (a lock per table).  Readers (pt_walk,
 * pt_iova_to_phys, pt_visit, pt_set_dirty) take no lock and may run
 * concurrently with writers working on other ranges: each entry is read with
 * one 64-bit acquire load; a new table is zeroed and filled before it is
 * published with a release store, so a reader that sees the table pointer
 * sees its contents; a large leaf is split by building the replacement table
 * completely and swapping it in with one compare-and-exchange, so a reader
 * sees either the old leaf or the new table, both translating the same.
 * Table pages that unmap/collapse take out of the tree go to the free hook
 * (struct pt_alloc_ops); while readers may still hold pointers into them the
 * hook must defer the free (e.g. call_rcu) - the default hook frees at once
 * and is only right when there are no concurrent readers.  Dirty bits are
 * set (pt_set_dirty) and cleared (read_and_clear_dirty, split, collapse)
 * with compare-and-exchange so a concurrent set is never lost (collapse
 * excepted, see pt_collapse).
 *
 * The software IOMMU behaves as hardware with accessed/dirty updates turned
 * on (VT-d SSADE, AMD HAD, SMMU HTTU HA+HD, RISC-V Svadu): leaves are written
 * with the accessed flag set and the dirty state clean, and the translation
 * engine calls pt_set_dirty() on the first write through a clean leaf.
 */
#ifndef UIOMMU_IOMMU_PT_PT_H
#define UIOMMU_IOMMU_PT_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_MAX_LEVELS 6

/* Access rights and attributes of a mapping (prot arguments and results). */
enum {
	PT_PROT_READ = 1u << 0,
	PT_PROT_WRITE = 1u << 1,
	PT_PROT_EXEC = 1u << 2,	 /* instruction fetch allowed */
	PT_PROT_PRIV = 1u << 3,	 /* privileged (supervisor) accesses only */
	PT_PROT_CACHE = 1u << 4, /* coherent / cacheable (VT-d SNP, AMD FC) */
	PT_PROT_MMIO = 1u << 5,	 /* device memory; wins over CACHE */
};

enum pt_entry_kind {
	PT_ENTRY_EMPTY,	/* not present */
	PT_ENTRY_TABLE, /* points at a next-level table */
	PT_ENTRY_LEAF,	/* maps an output range */
	PT_ENTRY_BAD,	/* present but malformed (reserved encoding) */
};

/* One descriptor, decoded by its format (pt_format_decode). */
struct pt_entry_info {
	enum pt_entry_kind kind;
	uint8_t next_level; /* TABLE: level of the table pointed at */
	uint8_t size_lg2;   /* LEAF: size of the whole (contiguous) leaf */
	bool dirty;	    /* LEAF: written since last cleaned */
	bool accessed;	    /* LEAF */
	uint32_t prot;	    /* LEAF: PT_PROT_* the entry grants */
	uint64_t addr;	    /* TABLE: table address; LEAF: output address of
			       the start of the whole leaf */
};

struct pt_format;

/* Per-family encoders and decoders; pure functions of their arguments. */
struct pt_format_ops {
	void (*decode)(const struct pt_format *fmt, unsigned int level,
		       uint64_t pte, struct pt_entry_info *out);
	/* Entry at @level pointing at a table of level - 1 at @table_pa. */
	uint64_t (*make_table)(const struct pt_format *fmt, unsigned int level,
			       uint64_t table_pa);
	/*
	 * One entry of a leaf of 2^size_lg2 bytes at @level; @oa is the output
	 * address of this entry's own item (for a contiguous leaf the run's
	 * entries get oa, oa + item, ...).  @prot is already normalised.
	 * The result is accessed and clean.
	 */
	uint64_t (*make_leaf)(const struct pt_format *fmt, unsigned int level,
			      uint64_t oa, unsigned int size_lg2, uint32_t prot);
	/* Leaf entry with its dirty state set / cleaned; other bits kept. */
	uint64_t (*mkdirty)(const struct pt_format *fmt, uint64_t pte);
	uint64_t (*mkclean)(const struct pt_format *fmt, uint64_t pte);
};

struct pt_level_desc {
	uint8_t shift;	     /* log2 of the item an entry covers */
	uint8_t index_bits;  /* log2 of the entries of a table at this level
				(for the top level: of the root, including
				concatenated tables) */
	uint64_t leaf_sizes; /* bit n: a 2^n-byte leaf may be written here */
};

/*
 * One format variant.  Built by the family's init function from a few
 * parameters; afterwards read-only.
 */
struct pt_format {
	const char *name;	/* "vtd_ss4", "arm_s2_4k_40", ... */
	const char *desc;	/* one line for humans */
	const struct pt_format_ops *ops;
	uint8_t levels;		/* lookup levels; the root is lvl[levels - 1] */
	uint8_t ias_lg2;	/* input address bits resolved */
	uint8_t oas_lg2;	/* output address bits the entries can hold */
	uint8_t granule_lg2;	/* smallest leaf */
	uint8_t table_lg2;	/* bytes of a non-root table */
	uint8_t root_lg2;	/* bytes allocated (and aligned) for the root */
	uint8_t root_tables;	/* concatenated tables at the root (1 = none) */
	bool sign_extend;	/* inputs are canonical: bits 63..ias-1 equal */
	uint32_t prot_mask;	/* PT_PROT_* bits the format can express */
	uint32_t prot_always;	/* granted by every present leaf */
	uint32_t prot_with_write; /* implied by PT_PROT_WRITE */
	uint64_t pgsize_bitmap;	/* union of lvl[].leaf_sizes */
	struct pt_level_desc lvl[PT_MAX_LEVELS];
	uint32_t family;	/* PT_FAMILY_* */
	uint32_t flags;		/* family-specific (PT_ARM_*, PT_RISCV_*) */
};

/* pt_format.flags for PT_FAMILY_ARM */
enum {
	PT_ARM_STAGE2 = 1u << 0, /* stage 2 descriptors (else stage 1) */
	PT_ARM_CONTIG = 1u << 1, /* use the Contiguous bit for runs */
};

/* pt_format.flags for PT_FAMILY_RISCV */
enum {
	PT_RISCV_GSTAGE = 1u << 0, /* SvNNx4 G-stage (16 KiB root, no sign
				      extension, U required) */
};

enum {
	PT_FAMILY_VTD_SS,
	PT_FAMILY_VTD_FS,
	PT_FAMILY_AMDV1,
	PT_FAMILY_ARM,
	PT_FAMILY_RISCV,
};

/* Every built-in variant, NULL-terminated; stable order. */
const struct pt_format *const *pt_format_list(void);
/* A built-in variant by name, or NULL. */
const struct pt_format *pt_format_by_name(const char *name);

/* Family constructors: fill @fmt; 0 or -EINVAL for an impossible geometry. */
int pt_format_init_vtd_ss(struct pt_format *fmt, unsigned int levels);
int pt_format_init_vtd_fs(struct pt_format *fmt, unsigned int levels);
int pt_format_init_amdv1(struct pt_format *fmt, unsigned int mode);
/*
 * Arm VMSAv8-64: flags PT_ARM_STAGE2 / PT_ARM_CONTIG; granule_lg2 12, 14
 * or 16; ias_lg2 up to 48.  The start level follows from the input size;
 * stage 2 concatenates up to 16 tables at the start level when that saves
 * a level (Arm ARM D8.2.2).
 */
int pt_format_init_arm(struct pt_format *fmt, unsigned int granule_lg2,
		       unsigned int ias_lg2, uint32_t flags);
/* levels 3..5 (Sv39/48/57); gstage: the x4 variants (16 KiB root) */
int pt_format_init_riscv(struct pt_format *fmt, unsigned int levels,
			 bool gstage);

/* PT_PROT_* bits a leaf mapped with @prot will report. */
uint32_t pt_prot_normalize(const struct pt_format *fmt, uint32_t prot);

/* Decode one raw descriptor found at @level. */
static inline void pt_format_decode(const struct pt_format *fmt,
				    unsigned int level, uint64_t pte,
				    struct pt_entry_info *out)
{
	fmt->ops->decode(fmt, level, pte, out);
}

/* Index of @iova's entry in a table of @level (the root for the top). */
static inline unsigned int pt_format_index(const struct pt_format *fmt,
					   unsigned int level, uint64_t iova)
{
	const struct pt_level_desc *ld = &fmt->lvl[level];

	return (unsigned int)((iova >> ld->shift) &
			      ((1ull << ld->index_bits) - 1));
}

/* True when @iova is inside the format's input address space. */
bool pt_format_iova_ok(const struct pt_format *fmt, uint64_t iova);

/*
 * Table memory.  alloc returns @size bytes aligned to @size (need not be
 * zeroed) or NULL; free gets back what alloc gave.  The hook is where
 * allocation failures are simulated and where frees are deferred past
 * concurrent readers.
 */
struct pt_alloc_ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *table, size_t size);
	void *ctx;
};

/*
 * A page table of one format.  Created by pt_table_create, destroyed by
 * pt_table_destroy; writers serialised by the owner (see above).
 */
struct pt_table {
	const struct pt_format *fmt;
	uint64_t *root;
	struct pt_alloc_ops alloc;
	uint64_t nr_tables; /* table pages in the tree, root included */
};

/* New empty table (root allocated, aligned to its size); ERR_PTR on error. */
struct pt_table *pt_table_create(const struct pt_format *fmt,
				 const struct pt_alloc_ops *alloc);
/* Free every table page and @pt itself.  Never fails. */
void pt_table_destroy(struct pt_table *pt);

/*
 * Map [iova, iova + len) to [oa, oa + len) with @prot (READ and/or WRITE
 * required), using at each step the largest leaf that the alignment of iova
 * and oa and the remaining length allow.  0, or:
 *  -EINVAL  len 0, iova/oa/len not granule aligned, outside the input or
 *           output address space, or no READ/WRITE in prot;
 *  -EEXIST  part of the range is already mapped;
 *  -ENOMEM  a table allocation failed.
 * On error nothing this call installed is left behind.
 */
int pt_map(struct pt_table *pt, uint64_t iova, uint64_t oa, uint64_t len,
	   uint32_t prot);

/*
 * Unmap [iova, iova + len).  Leaves only partly inside the range are split
 * (a contiguous leaf into its entries, a large leaf into a table of smaller
 * leaves) so exactly the range goes; tables left empty are freed.
 * *unmapped gets the bytes that were mapped and now are not.  0, -EINVAL
 * (alignment / range), or -ENOMEM (a split could not allocate: *unmapped
 * tells how far it got, everything below that point is done).
 */
int pt_unmap(struct pt_table *pt, uint64_t iova, uint64_t len,
	     uint64_t *unmapped);

/* Result of a successful walk. */
struct pt_walk {
	uint64_t oa;	       /* output address of the iova walked */
	uint64_t leaf_iova;    /* first iova of the leaf */
	uint64_t leaf_oa;      /* output address of leaf_iova */
	uint8_t size_lg2;      /* leaf size */
	uint8_t level;	       /* level of the leaf, or where the walk stopped */
	bool dirty;
	uint32_t prot;
	uint64_t *ptep;	       /* the entry (own tables only) */
	uint64_t pte;	       /* its value as read */
};

/*
 * Translate @iova.  0 with *w filled, or a fault: -ERANGE (iova outside the
 * input address space: address-size fault), -ENOENT (no mapping:
 * translation fault, w->level = level of the empty entry), -EIO (malformed
 * entry, w->level set).  Lock-free; see the concurrency note at the top.
 */
int pt_walk(const struct pt_table *pt, uint64_t iova, struct pt_walk *w);

/*
 * The same walk over tables somewhere else (a guest's stage-1 tables, whose
 * table addresses need their own translation): @read fetches the 64-bit
 * entry @index of the table at @table_pa, returning 0 or -errno (passed
 * back).  w->ptep is NULL.
 */
typedef int (*pt_read_fn)(void *ctx, uint64_t table_pa, unsigned int index,
			  uint64_t *pte);
int pt_walk_mem(const struct pt_format *fmt, uint64_t root_pa, uint64_t iova,
		pt_read_fn read, void *ctx, struct pt_walk *w);

#define PT_PHYS_NONE UINT64_MAX
/* Output address of @iova, or PT_PHYS_NONE. */
uint64_t pt_iova_to_phys(const struct pt_table *pt, uint64_t iova);

/*
 * Record a write through @iova the way hardware with dirty tracking does:
 * the leaf mapping it becomes dirty (compare-and-exchange; retried if the
 * entry changed under us).  0 (now dirty), -ENOENT (not mapped), -EPERM
 * (leaf not writable), -ERANGE.
 */
int pt_set_dirty(const struct pt_table *pt, uint64_t iova);

/*
 * Report every dirty leaf in [iova, iova + len) through @fn (leaf start
 * iova and size: a leaf is reported whole even when it sticks out of the
 * range) and clean it, unless @flags has PT_DIRTY_NO_CLEAR.  0 or -EINVAL.
 */
#define PT_DIRTY_NO_CLEAR (1u << 0)
typedef void (*pt_dirty_fn)(void *ctx, uint64_t iova, uint64_t size);
int pt_read_and_clear_dirty(struct pt_table *pt, uint64_t iova, uint64_t len,
			    uint32_t flags, pt_dirty_fn fn, void *ctx);

/*
 * Visit every leaf meeting [iova, iova + len) in address order.  @fn gets
 * the leaf's first iova, output address, size, level, prot and dirty state
 * (a leaf is reported whole); returning non-zero stops the walk and is
 * returned.  Lock-free like pt_walk.
 */
struct pt_leaf {
	uint64_t iova;
	uint64_t oa;
	uint8_t size_lg2;
	uint8_t level;
	bool dirty;
	uint32_t prot;
};
typedef int (*pt_visit_fn)(void *ctx, const struct pt_leaf *leaf);
int pt_visit(const struct pt_table *pt, uint64_t iova, uint64_t len,
	     pt_visit_fn fn, void *ctx);

/*
 * Merge, bottom up, every table inside [iova, iova + len) whose entries are
 * all leaves of one prot mapping one contiguous, suitably aligned output
 * range into a single larger leaf (the dirty state is the OR).  Returns the
 * number of tables freed (>= 0) or -EINVAL.  Readers stay safe, but a
 * pt_set_dirty racing on the same range may be lost: the caller quiesces
 * writes through the range (or does not track dirty) while collapsing.
 */
int pt_collapse(struct pt_table *pt, uint64_t iova, uint64_t len);

/*
 * Sanity check for tests and asserts: every table entry points at a
 * non-empty table of the level below, no entry is malformed, every
 * contiguous leaf is whole and consistent, and nr_tables is the number of
 * tables reachable.  Walks the whole tree; writers must be quiescent.
 */
bool __pt_table_sane(const struct pt_table *pt);

#endif
