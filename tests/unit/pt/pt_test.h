/*
 * pt_test.h - shared pieces of the page-table unit tests: a seeded RNG, a
 * counting (and failing) table allocator, the reference model of a mapping
 * (sorted extents iova -> oa/prot), and raw table access written from the
 * specifications independently of src/iommu/pt (so that an encoding mistake
 * there is not repeated here).
 */
#ifndef UIOMMU_TESTS_PT_TEST_H
#define UIOMMU_TESTS_PT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/pt/pt.h"

/* --- random numbers ---------------------------------------------------- */
void rng_seed(uint64_t seed);
uint64_t rnd(void);
uint64_t rnd_below(uint64_t n); /* 0 .. n-1; n > 0 */

/* --- allocator ------------------------------------------------------------ */
struct count_alloc {
	long outstanding;	  /* live table pages */
	long allocs;		  /* allocations made */
	long fail_countdown;	  /* >0: the allocation that brings it to 0 fails */
	size_t bytes;		  /* live bytes */
	struct pt_alloc_ops ops;
};
void count_alloc_init(struct count_alloc *ca);

/* --- reference model -------------------------------------------------------- */
struct model_ext {
	uint64_t first, last, oa;
	uint32_t prot;
};
struct model {
	struct model_ext *v;
	size_t n, cap;
};
void model_init(struct model *m);
void model_free(struct model *m);
bool model_overlaps(const struct model *m, uint64_t first, uint64_t last);
void model_map(struct model *m, uint64_t first, uint64_t last, uint64_t oa,
	       uint32_t prot);
uint64_t model_unmap(struct model *m, uint64_t first, uint64_t last);
const struct model_ext *model_lookup(const struct model *m, uint64_t iova);
/* Bytes mapped in [first, last]. */
uint64_t model_bytes(const struct model *m, uint64_t first, uint64_t last);

/*
 * Compare every leaf pt_visit reports in [first, last] with the model
 * (adjacent pieces with continuous oa and equal prot merged on both sides).
 * Fails the test on mismatch.
 */
void check_against_model(const struct pt_table *pt, const struct model *m,
			 uint64_t first, uint64_t last);

/* --- raw tables, from the specs ------------------------------------------ */
/* Address of the next table held in a table descriptor of @fmt's family. */
uint64_t spec_table_addr(const struct pt_format *fmt, uint64_t pte);
/* Pointer to the raw entry for @iova at @level (tables followed with
   spec_table_addr); NULL if a table on the way is missing. */
uint64_t *spec_entry(const struct pt_table *pt, uint64_t iova,
		     unsigned int level);
/* The table descriptor we expect at @level pointing at @table_pa. */
uint64_t spec_table_desc(const struct pt_format *fmt, unsigned int level,
			 uint64_t table_pa);
/* The leaf we expect for one entry of a 2^size_lg2 leaf at @level whose
   own item starts at @oa, mapped with @prot (PT_PROT_*), clean. */
uint64_t spec_leaf_desc(const struct pt_format *fmt, unsigned int level,
			uint64_t oa, unsigned int size_lg2, uint32_t prot);
/* The same leaf in the dirty state. */
uint64_t spec_leaf_dirty(const struct pt_format *fmt, uint64_t clean);

/* Largest usable input address + 1 of the lower range (2^ias or 2^(ias-1)
   when sign extended); 0 means 2^64. */
uint64_t fmt_low_end(const struct pt_format *fmt);

/*
 * Under AddressSanitizer: fail the test if anything allocated so far is
 * unreachable (the forked test ends with _exit, which skips LeakSanitizer's
 * own check).  Without ASan: nothing.
 */
void check_no_leaks(void);

#define for_each_format(f) \
	for (const struct pt_format *const *_fl = pt_format_list(); \
	     ((f) = *_fl) != NULL; _fl++)

#endif
