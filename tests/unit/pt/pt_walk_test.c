/*
 * pt_walk_test.c - the walkers on tables the map code would never write:
 * malformed descriptors of each family must fault (-EIO) instead of
 * translating; pt_walk_mem follows an AMD v1 table entry that skips levels
 * (and faults when the skipped address bits are not zero); read errors from
 * the caller's fetch function come back unchanged.
 */
#include "harness.h"
#include "pt_test.h"

#include <stdlib.h>

#include "util/err.h"

#define B(n) (1ull << (n))

/*
 * Map one 2 MiB-or-page leaf, overwrite the entry at @level on its path
 * with (original & ~clear) | set, expect pt_walk == @want, restore.
 */
static void poke(const char *name, uint64_t iova, uint64_t len,
		 unsigned int level, uint64_t set, uint64_t clear, int want)
{
	const struct pt_format *f = pt_format_by_name(name);
	struct pt_table *pt = pt_table_create(f, NULL);
	struct pt_walk w;
	uint64_t *e, orig;

	CHECK(!IS_ERR(pt));
	CHECK_EQ(pt_map(pt, iova, iova, len, PT_PROT_READ | PT_PROT_WRITE), 0);
	e = spec_entry(pt, iova, level);
	CHECK(e && *e);
	orig = *e;
	*e = (orig & ~clear) | set;
	if (pt_walk(pt, iova, &w) != want)
		test_fail(__FILE__, __LINE__, "%s level %u entry %#llx: %d",
			  name, level, (unsigned long long)*e,
			  pt_walk(pt, iova, &w));
	*e = orig;
	CHECK_EQ(pt_walk(pt, iova, &w), 0);
	pt_table_destroy(pt);
}

TEST(pt_malformed_entries_fault)
{
	uint64_t g = B(30), m = B(21), p = B(12);

	/* VT-d: PS is reserved in a PML4E (Tables 35, 42). */
	poke("vtd_ss4", g, p, 3, B(7), 0, -EIO);
	poke("vtd_fs4", g, p, 3, B(7), 0, -EIO);
	/* VT-d SS: R=W=0 is not present (§3.7.1), whatever else is set. */
	poke("vtd_ss4", g, p, 0, 0, B(0) | B(1), -ENOENT);
	/* AMD: a PDE naming a level not below it; a page-size PTE whose
	   size does not fit its level (Table 14). */
	poke("amdv1_4", g, p, 3, 5ull << 9, 7ull << 9, -EIO);
	poke("amdv1_4", g, p, 0, (7ull << 9) | (0xffull << 12), 0, -EIO);
	poke("amdv1_4", g, m, 1, 7ull << 9, 0, -EIO); /* = natural size */
	/* Arm: 0b01 at level 3 is reserved (Table D8-48); no level 0
	   blocks with the 4K granule. */
	poke("arm_s1_4k_48", g, p, 0, 0, B(1), -EIO);
	poke("arm_s2_4k_48", g, p, 3, 0, B(1), -EIO);
	/* RISC-V: W without R; a misaligned superpage; a pointer at level
	   0; reserved bits, PBMT and N (not modelled). */
	poke("riscv_sv39", g, p, 0, 0, B(1), -EIO);
	poke("riscv_sv39", g, m, 1, B(10), 0, -EIO);
	poke("riscv_sv39", g, p, 0, 0, B(1) | B(2) | B(3), -EIO);
	poke("riscv_sv48", g, p, 0, B(54), 0, -EIO);
	poke("riscv_sv48", g, p, 0, B(61), 0, -EIO);
	poke("riscv_sv48", g, p, 0, B(63), 0, -EIO);
	/* RISC-V G-stage leaves without U grant nothing (§8.5.1). */
	{
		const struct pt_format *f = pt_format_by_name("riscv_sv39x4");
		struct pt_table *pt = pt_table_create(f, NULL);
		struct pt_walk w;
		uint64_t *e;

		CHECK_EQ(pt_map(pt, g, g, p, PT_PROT_READ | PT_PROT_PRIV), 0);
		e = spec_entry(pt, g, 0);
		CHECK(*e & B(4)); /* PRIV cannot be expressed: U stays */
		*e &= ~B(4);
		CHECK_EQ(pt_walk(pt, g, &w), 0);
		CHECK_EQ(w.prot, 0);
		*e |= B(4);
		pt_table_destroy(pt);
	}
}

static int read_mem(void *ctx, uint64_t table_pa, unsigned int index,
		    uint64_t *pte)
{
	if (ctx)
		return -EFAULT;
	*pte = ((uint64_t *)(uintptr_t)table_pa)[index];
	return 0;
}

TEST(pt_walk_mem_amd_level_skip)
{
	const struct pt_format *f = pt_format_by_name("amdv1_4");
	uint64_t *root = aligned_alloc(4096, 4096);
	uint64_t *l2 = aligned_alloc(4096, 4096); /* spec level 2 */
	uint64_t oa = 0x1234ull << 21;
	uint64_t iova = (5ull << 39) | (7ull << 21) | 0x1abc;
	struct pt_walk w;

	CHECK(root && l2);
	memset(root, 0, 4096);
	memset(l2, 0, 4096);
	/* Spec level 4 entry: PR, Next Level 2 (skips level 3), IR, IW. */
	root[5] = (uint64_t)(uintptr_t)l2 | (2ull << 9) | 1 | B(61) | B(62);
	/* Spec level 2 PTE: a 2 MiB page, Next Level 0. */
	l2[7] = oa | 1 | B(61);
	CHECK_EQ(pt_walk_mem(f, (uintptr_t)root, iova, read_mem, NULL, &w), 0);
	CHECK_EQ(w.oa, oa + 0x1abc);
	CHECK_EQ(w.size_lg2, 21);
	CHECK_EQ(w.level, 1);
	CHECK_EQ(w.prot, PT_PROT_READ);
	CHECK(w.ptep == NULL);
	/* The skipped level's address bits (38:30) must be zero. */
	CHECK_EQ(pt_walk_mem(f, (uintptr_t)root, iova | B(30), read_mem, NULL,
			     &w),
		 -ENOENT);
	/* Outside the mode's 48 bits: address-size fault. */
	CHECK_EQ(pt_walk_mem(f, (uintptr_t)root, iova | B(48), read_mem, NULL,
			     &w),
		 -ERANGE);
	/* The fetch's error is passed back. */
	CHECK_EQ(pt_walk_mem(f, (uintptr_t)root, iova, read_mem, (void *)1,
			     &w),
		 -EFAULT);
	free(root);
	free(l2);
}

/* The sanity checker itself notices broken invariants. */
TEST(pt_sanity_checker)
{
	const struct pt_format *f = pt_format_by_name("amdv1_4");
	struct pt_table *pt = pt_table_create(f, NULL);
	uint64_t g = B(30), *e, orig;

	CHECK(!IS_ERR(pt));
	CHECK(__pt_table_sane(pt));
	CHECK_EQ(pt_map(pt, g, g, 16 * 4096, PT_PROT_READ), 0);
	CHECK(__pt_table_sane(pt));
	/* An emptied table still linked. */
	e = spec_entry(pt, g, 0);
	orig = e[0];
	memset(e, 0, 16 * sizeof(*e));
	CHECK(!__pt_table_sane(pt));
	/* A contiguous leaf with a missing entry. */
	for (int i = 0; i < 16; i++)
		e[i] = orig;
	CHECK(__pt_table_sane(pt));
	e[5] = 0;
	CHECK(!__pt_table_sane(pt));
	e[5] = orig;
	/* A wrong table count. */
	pt->nr_tables++;
	CHECK(!__pt_table_sane(pt));
	pt->nr_tables--;
	CHECK(__pt_table_sane(pt));
	pt_table_destroy(pt);
}
