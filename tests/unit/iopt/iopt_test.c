/*
 * iopt_test.c - the IOAS internals against brute force.
 *
 *   - IOVA allocation: random tables of areas, reserved and allowed ranges;
 *     iopt_alloc_iova() (find_hole on the area tree, stepping over reserved
 *     ranges) must answer exactly what a literal model of the kernel's
 *     allocator (every hole of areas + reserved, in order, inside every
 *     allowed span) answers for page-aligned memory, and a valid IOVA that
 *     keeps the in-page offset otherwise;
 *   - holds and pins: random holds on pages objects against a per-page
 *     count array (npinned, the pin registry, RLIMIT_MEMLOCK failures that
 *     change nothing);
 *   - file windows: one address per file byte, whatever the maps.
 * Seeds are fixed and printed on failure through the CHECK lines.
 */
#include "harness.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/iopt_internal.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- the kernel's allocator, literally ---------------------------------- */

struct ival {
	uint64_t start, last;
};

struct table {
	struct io_pagetable iopt;
	struct ival used[64];		/* areas and reserved */
	unsigned int nused;
	struct ival allowed[8];
	unsigned int nallowed;
	struct iopt_area *areas[64];
	unsigned int nareas;
};

static bool overlaps(const struct ival *v, unsigned int n, uint64_t s,
		     uint64_t l)
{
	for (unsigned int i = 0; i < n; i++)
		if (v[i].start <= l && s <= v[i].last)
			return true;
	return false;
}

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool k_check_range(uint64_t *start, uint64_t last, uint64_t length,
			  uint64_t align, uint64_t off)
{
	uint64_t a;

	if (__builtin_add_overflow(*start, align - 1, &a))
		return false;
	a &= ~(align - 1);
	a |= off;
	if (a >= last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

static uint64_t rpow2(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

static int k_alloc(struct table *t, uint64_t *iova, uint64_t addr,
		   uint64_t length)
{
	uint64_t ps = IOPT_PAGE_SIZE, off = addr % ps, a, hp = ps * (ps / 8);
	struct ival spans[8], used[64];
	unsigned int nspans = 0;

	if (!length || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	a = rpow2(length);
	if (addr && a > (1ull << __builtin_ctzll(addr)))
		a = 1ull << __builtin_ctzll(addr);
	if (a >= hp)
		a = hp;
	if (a < t->iopt.iova_alignment)
		return -EINVAL;

	if (!t->nallowed) {
		spans[nspans++] = (struct ival){ ps, UINT64_MAX - ps };
	} else {
		struct ival al[8];

		memcpy(al, t->allowed, sizeof(al));
		qsort(al, t->nallowed, sizeof(al[0]), cmp_ival);
		for (unsigned int i = 0; i < t->nallowed; i++) {
			struct ival v = al[i];

			if (v.last < ps || v.start > UINT64_MAX - ps)
				continue;
			if (v.start < ps)
				v.start = ps;
			if (v.last > UINT64_MAX - ps)
				v.last = UINT64_MAX - ps;
			if (nspans && spans[nspans - 1].last + 1 == v.start)
				spans[nspans - 1].last = v.last;
			else
				spans[nspans++] = v;
		}
	}
	memcpy(used, t->used, sizeof(used));
	qsort(used, t->nused, sizeof(used[0]), cmp_ival);
	for (unsigned int i = 0; i < nspans; i++) {
		uint64_t s = spans[i].start, l = spans[i].last, pos = s, tmp;
		bool done = false;

		tmp = s;
		if (!k_check_range(&tmp, l, length, a, off))
			continue;
		for (unsigned int j = 0; j < t->nused && !done; j++) {
			if (used[j].last < pos || used[j].start > l)
				continue;
			if (used[j].start > pos) {
				tmp = pos;
				if (k_check_range(&tmp, used[j].start - 1,
						  length, a, off)) {
					*iova = tmp;
					return 0;
				}
			}
			if (used[j].last >= l)
				done = true;
			else if (used[j].last + 1 > pos)
				pos = used[j].last + 1;
		}
		if (!done) {
			tmp = pos;
			if (k_check_range(&tmp, l, length, a, off)) {
				*iova = tmp;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

static void table_free(struct table *t)
{
	for (unsigned int i = 0; i < t->nareas; i++) {
		interval_tree_remove(&t->areas[i]->node, &t->iopt.area_itree);
		free(t->areas[i]);
	}
	iopt_remove_reserved_iova(&t->iopt, NULL);
	iopt_destroy_table(&t->iopt);
}

/* A random range: mostly small values, sometimes near the top. */
static struct ival rnd_range(uint64_t unit, uint64_t span)
{
	uint64_t base = rnd_below(8) ? 0 : UINT64_MAX - span * unit * 2;
	uint64_t s = base + rnd_below(span) * unit;
	uint64_t len = (1 + rnd_below(span / 8)) * unit;

	if (!rnd_below(16))
		len = 1 + rnd_below(unit * 4);
	if (s + len - 1 < s)
		len = UINT64_MAX - s + 1;
	return (struct ival){ s, s + len - 1 };
}

static void table_build(struct table *t, uint64_t unit, uint64_t span)
{
	unsigned int nres = rnd_below(4), nallow = rnd_below(4);
	unsigned int nareas = rnd_below(40);
	uint64_t aligns[] = { 1, IOPT_PAGE_SIZE / 2, IOPT_PAGE_SIZE };

	memset(t, 0, sizeof(*t));
	iopt_init_table(&t->iopt);
	t->iopt.iova_alignment = aligns[rnd_below(3)];
	for (unsigned int i = 0; i < nres; i++) {
		struct ival r = rnd_range(unit, span);

		if (overlaps(t->used, t->nused, r.start, r.last))
			continue;
		CHECK_OK(iopt_reserve_iova(&t->iopt, r.start, r.last, NULL));
		t->used[t->nused++] = r;
	}
	if (nallow) {
		struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
		struct interval_tree_node *n;
		struct ival al[8];
		unsigned int nal = 0;

		for (unsigned int i = 0; i < nallow; i++) {
			struct ival r = rnd_range(unit * 4, span);
			struct iopt_allowed *a;

			if (r.start >= r.last ||
			    overlaps(al, nal, r.start, r.last))
				continue;
			a = calloc(1, sizeof(*a));
			a->node.start = r.start;
			a->node.last = r.last;
			interval_tree_insert(&a->node, &root);
			al[nal++] = r;
		}
		if (!iopt_set_allow_iova(&t->iopt, &root)) {
			memcpy(t->allowed, al, sizeof(al));
			t->nallowed = nal;
		}
		while ((n = interval_tree_first(&root))) {
			interval_tree_remove(n, &root);
			free(container_of(n, struct iopt_allowed, node));
		}
	}
	for (unsigned int i = 0; i < nareas; i++) {
		struct ival r = rnd_range(unit, span);
		struct iopt_area *area;

		if (overlaps(t->used, t->nused, r.start, r.last))
			continue;
		area = calloc(1, sizeof(*area));
		area->node.start = r.start;
		area->node.last = r.last;
		interval_tree_insert(&area->node, &t->iopt.area_itree);
		t->areas[t->nareas++] = area;
		t->used[t->nused++] = r;
	}
}

static void check_valid(struct table *t, uint64_t iova, uint64_t addr,
			uint64_t length)
{
	uint64_t off = addr % IOPT_PAGE_SIZE;

	CHECK(iova >= IOPT_PAGE_SIZE);
	CHECK(iova + length - 1 >= iova);
	CHECK(iova + length - 1 <= UINT64_MAX - IOPT_PAGE_SIZE);
	CHECK(!overlaps(t->used, t->nused, iova, iova + length - 1));
	if (t->nallowed) {
		bool inside = false;

		for (unsigned int i = 0; i < t->nallowed; i++)
			inside |= t->allowed[i].start <= iova &&
				  iova + length - 1 <= t->allowed[i].last;
		/* Adjacent allowed ranges form one span; good enough. */
		if (!inside)
			CHECK(overlaps(t->allowed, t->nallowed, iova, iova));
	}
	if (off)
		CHECK_EQ(iova & ((2ull << (63 - __builtin_clzll(off))) - 1),
			 off);
	CHECK_EQ(iova & (t->iopt.iova_alignment - 1), 0);
}

TEST(iova_alloc_matches_the_kernel)
{
	uint64_t ps = IOPT_PAGE_SIZE, stats[3] = {};

	for (unsigned int seed = 1; seed <= 3000; seed++) {
		struct table t;
		uint64_t unit = seed % 3 ? ps : 256;

		rng_state = seed * 0x9e3779b97f4a7c15ull;
		table_build(&t, unit, 1 + rnd_below(4096));
		for (unsigned int q = 0; q < 40; q++) {
			uint64_t addr = rnd_below(1ull << 40) * ps;
			uint64_t length = rnd_below(4) ?
						  (1 + rnd_below(64)) * ps :
						  1 + rnd_below(1 << 22);
			uint64_t kiova = 0, iova = 0;
			int krc, rc;

			if (!rnd_below(4))
				addr += rnd_below(ps);
			if (!rnd_below(8))
				addr = 0;
			if (!rnd_below(32))
				length = 1ull << 62;
			krc = k_alloc(&t, &kiova, addr, length);
			rc = iopt_alloc_iova(&t.iopt, &iova, addr, length);
			if (addr % ps == 0) {
				if (rc != krc || iova != kiova)
					fprintf(stderr,
						"seed %u q %u addr %#llx len %#llx: "
						"kernel %d %#llx, ours %d %#llx\n",
						seed, q, (unsigned long long)addr,
						(unsigned long long)length, krc,
						(unsigned long long)kiova, rc,
						(unsigned long long)iova);
				CHECK_EQ(rc, krc);
				CHECK_EQ(iova, kiova);
			} else if (krc == -EOVERFLOW || krc == -EINVAL) {
				CHECK_EQ(rc, krc);
			}
			if (!rc)
				check_valid(&t, iova, addr, length);
			stats[rc == 0 ? 0 : rc == -ENOSPC ? 1 : 2]++;
		}
		table_free(&t);
	}
	/* The scenarios must exercise success and both failures. */
	CHECK(stats[0] > 10000 && stats[1] > 1000 && stats[2] > 1000);
}

/* ---- holds, pins and the registry --------------------------------------- */

#define NPAGES 48

struct hold {
	struct iopt_pages *pages;
	uint64_t index, last;
};

TEST(holds_pin_each_page_once)
{
	uint64_t ps = IOPT_PAGE_SIZE;
	char *buf = mmap(NULL, NPAGES * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iopt_pages *pages[2];
	unsigned int count[2][NPAGES] = {};
	struct hold holds[256];
	unsigned int nholds = 0;
	uint64_t sb;

	CHECK(buf != MAP_FAILED);
	/* Two pages objects: all of buf, and its second half. */
	pages[0] = iopt_alloc_user_pages((uintptr_t)buf, NPAGES * ps, true,
					 &sb);
	pages[1] = iopt_alloc_user_pages((uintptr_t)buf + NPAGES / 2 * ps,
					 NPAGES / 2 * ps, false, &sb);
	CHECK(!IS_ERR(pages[0]) && !IS_ERR(pages[1]));
	rng_state = 42;
	for (unsigned int step = 0; step < 4000; step++) {
		bool add = nholds < 8 || (nholds < 256 && rnd_below(2));

		if (add) {
			unsigned int w = rnd_below(2);
			uint64_t n = pages[w]->npages;
			uint64_t a = rnd_below(n), b = a + rnd_below(n - a);

			if (!rnd_below(8)) {
				a = 0;
				b = n - 1;
			}
			CHECK_OK(iopt_pages_hold(pages[w], a, b));
			holds[nholds++] = (struct hold){ pages[w], a, b };
			for (uint64_t i = a; i <= b; i++)
				count[w][i]++;
		} else {
			unsigned int k = rnd_below(nholds);
			struct hold h = holds[k];
			unsigned int w = h.pages == pages[1];

			iopt_pages_unhold(h.pages, h.index, h.last);
			for (uint64_t i = h.index; i <= h.last; i++)
				count[w][i]--;
			holds[k] = holds[--nholds];
		}
		for (unsigned int w = 0; w < 2; w++) {
			uint64_t pinned = 0;

			for (uint64_t i = 0; i < pages[w]->npages; i++)
				pinned += count[w][i] > 0;
			CHECK_EQ(pages[w]->npinned, pinned);
		}
		for (unsigned int i = 0; i < NPAGES; i++) {
			unsigned int refs = count[0][i] > 0;

			if (i >= NPAGES / 2)
				refs += count[1][i - NPAGES / 2] > 0;
			CHECK_EQ(iopt_pin_refs((uintptr_t)buf + i * ps + 7),
				 refs);
		}
	}
	while (nholds) {
		nholds--;
		iopt_pages_unhold(holds[nholds].pages, holds[nholds].index,
				  holds[nholds].last);
	}
	CHECK(!iopt_range_pinned((uintptr_t)buf, NPAGES * ps));
	CHECK_EQ(pages[0]->npinned + pages[1]->npinned, 0);
	iopt_pages_put(pages[0]);
	iopt_pages_put(pages[1]);
}

TEST(hold_failures_change_nothing)
{
	uint64_t ps = IOPT_PAGE_SIZE, sb;
	char *buf = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	struct rlimit rl = { 4 * ps, 4 * ps };
	struct iopt_pages *pages, *ro;

	CHECK(buf != MAP_FAILED);
	CHECK_OK(syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	CHECK_OK(syscall(SYS_capset, &hdr, data));
	CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &rl));

	pages = iopt_alloc_user_pages((uintptr_t)buf, 8 * ps, true, &sb);
	CHECK(!IS_ERR(pages));
	CHECK_OK(iopt_pages_hold(pages, 0, 2));
	CHECK_EQ(iopt_pages_hold(pages, 1, 5), -ENOMEM);
	CHECK_EQ(pages->npinned, 3);
	CHECK(!iopt_range_pinned((uintptr_t)buf + 3 * ps, 5 * ps));
	CHECK_OK(iopt_pages_hold(pages, 1, 3));
	CHECK_EQ(pages->npinned, 4);
	/* Missing memory is EFAULT, before any charge. */
	CHECK_OK(munmap(buf + 6 * ps, ps));
	CHECK_EQ(iopt_pages_hold(pages, 5, 7), -EFAULT);
	CHECK_EQ(pages->npinned, 4);
	/* Read-only memory pinned for writing is EFAULT too. */
	CHECK_OK(mprotect(buf + 4 * ps, ps, PROT_READ));
	CHECK_EQ(iopt_pages_hold(pages, 4, 4), -EFAULT);
	ro = iopt_alloc_user_pages((uintptr_t)buf + 4 * ps, ps, false, &sb);
	CHECK_EQ(iopt_pages_hold(ro, 0, 0), -ENOMEM);
	iopt_pages_unhold(pages, 0, 2);
	CHECK_OK(iopt_pages_hold(ro, 0, 0));
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf + 4 * ps), 1);
	iopt_pages_unhold(ro, 0, 0);
	iopt_pages_unhold(pages, 1, 3);
	CHECK(!iopt_range_pinned((uintptr_t)buf, 8 * ps));
	iopt_pages_put(ro);
	iopt_pages_put(pages);
}

/* ---- files -------------------------------------------------------------- */

TEST(file_windows_give_one_address_per_byte)
{
	uint64_t ps = IOPT_PAGE_SIZE, sb1, sb2, sb3;
	int mfd = memfd_create("iopt_test", 0), pfd[2];
	struct iopt_pages *a, *b, *c, *p;
	char *view;

	CHECK_OK(mfd);
	CHECK_OK(ftruncate(mfd, 64 * ps));
	view = mmap(NULL, 64 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(view != MAP_FAILED);
	a = iopt_alloc_file_pages(mfd, 3 * ps + 5, ps, false, &sb1);
	b = iopt_alloc_file_pages(mfd, ps, 8 * ps, true, &sb2);
	CHECK(!IS_ERR(a) && !IS_ERR(b));
	CHECK_EQ(sb1, 5);
	CHECK_EQ(sb2, 0);
	CHECK_EQ(a->base, b->base + 2 * ps);
	CHECK_EQ(iopt_pages_origin(a), 3 * ps);
	/* The caller's own view of the file translates to ours. */
	CHECK_EQ(iopt_user_va_to_phys((uintptr_t)view + 3 * ps + 5),
		 a->base + 5);
	CHECK_EQ(iopt_user_va_to_phys(b->base + 9), b->base + 9);
	/* Past the window's first size it grows, or a new one is made. */
	c = iopt_alloc_file_pages(mfd, 1ull << 30, ps, true, &sb3);
	CHECK(!IS_ERR(c));
	CHECK_OK(iopt_pages_hold(b, 0, 7));
	view[ps] = 0x42;
	CHECK_EQ(*(char *)b->base, 0x42);
	/* A file that cannot be mapped is taken and cannot be pinned. */
	CHECK_OK(pipe(pfd));
	p = iopt_alloc_file_pages(pfd[0], 0, ps, false, &sb3);
	CHECK(!IS_ERR(p));
	CHECK_EQ(iopt_pages_hold(p, 0, 0), -EINVAL);
	CHECK_EQ(IS_ERR(iopt_alloc_file_pages(pfd[0], 0, ps, true, &sb3)),
		 true);
	close(mfd);
	iopt_pages_unhold(b, 0, 7);
	iopt_pages_put(a);
	iopt_pages_put(b);
	iopt_pages_put(c);
	iopt_pages_put(p);
}

/* ---- io_pagetable with a fake domain ------------------------------------ */

struct fake_map {
	uint64_t iova, len;
	uintptr_t phys;
	int prot;
};

struct fake_domain {
	struct iommu_domain dom;
	struct fake_map maps[512];
	unsigned int n, map_calls;
	int fail_after;			/* map calls that succeed; < 0: all */
};

static struct fake_domain *fake_of(struct iommu_domain *d)
{
	return container_of(d, struct fake_domain, dom);
}

static int fake_map(struct iommu_domain *d, uint64_t iova, uintptr_t phys,
		    uint64_t len, int prot)
{
	struct fake_domain *f = fake_of(d);

	f->map_calls++;
	if (!f->fail_after)
		return -ENOMEM;
	if (f->fail_after > 0)
		f->fail_after--;
	for (unsigned int i = 0; i < f->n; i++)
		if (f->maps[i].iova < iova + len &&
		    iova < f->maps[i].iova + f->maps[i].len)
			return -EEXIST;
	CHECK(f->n < ARRAY_SIZE(f->maps));
	f->maps[f->n++] = (struct fake_map){ iova, len, phys, prot };
	return 0;
}

static uint64_t fake_unmap(struct iommu_domain *d, uint64_t iova,
			   uint64_t len, struct iommu_dirty_bitmap *dirty)
{
	struct fake_domain *f = fake_of(d);
	uint64_t done = 0;

	for (unsigned int i = 0; i < f->n;) {
		if (f->maps[i].iova >= iova &&
		    f->maps[i].iova + f->maps[i].len <= iova + len) {
			done += f->maps[i].len;
			f->maps[i] = f->maps[--f->n];
		} else {
			i++;
		}
	}
	return done;
}

static uintptr_t fake_iova_to_phys(struct iommu_domain *d, uint64_t iova)
{
	struct fake_domain *f = fake_of(d);

	for (unsigned int i = 0; i < f->n; i++)
		if (iova >= f->maps[i].iova &&
		    iova - f->maps[i].iova < f->maps[i].len)
			return f->maps[i].phys + (iova - f->maps[i].iova);
	return 0;
}

static int fake_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	d->dirty_tracking = enable;
	return 0;
}

/* Everything mapped is dirty. */
static int fake_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova,
				     uint64_t len, unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	struct fake_domain *f = fake_of(d);

	for (unsigned int i = 0; i < f->n; i++) {
		uint64_t s = max_t(uint64_t, iova, f->maps[i].iova);
		uint64_t e = min_t(uint64_t, iova + len,
				   f->maps[i].iova + f->maps[i].len);

		if (s < e)
			iommu_dirty_record(dirty, s, e - s);
	}
	return 0;
}

static const struct iommu_domain_ops fake_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.iova_to_phys = fake_iova_to_phys,
	.set_dirty_tracking = fake_set_dirty_tracking,
	.read_and_clear_dirty = fake_read_and_clear_dirty,
};

static void fake_init(struct fake_domain *f)
{
	memset(f, 0, sizeof(*f));
	f->dom.ops = &fake_ops;
	f->dom.type = IOMMU_DOMAIN_PAGING;
	f->dom.pgsize_bitmap = IOPT_PAGE_SIZE / 2 | IOPT_PAGE_SIZE |
			       (IOPT_PAGE_SIZE << 9);
	f->dom.aperture_start = 1ull << 20;
	f->dom.aperture_last = (1ull << 40) - 1;
	f->fail_after = -1;
}

static struct iommufd_ctx fake_ctx = {
	.account_mode = IOPT_PAGES_ACCOUNT_USER,
};

#define X (1ull << 24)		/* an IOVA inside the fake aperture */

static int map_at(struct io_pagetable *iopt, void *va, uint64_t len,
		  uint64_t iova)
{
	return iopt_map_user_pages(&fake_ctx, iopt, &iova, (uintptr_t)va, len,
				   IOMMU_READ | IOMMU_WRITE, 0);
}

static char *pages_buf(unsigned int n)
{
	char *p = mmap(NULL, n * IOPT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

TEST(domains_are_filled_and_emptied_whole)
{
	uint64_t p = IOPT_PAGE_SIZE, unmapped;
	struct fake_domain *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct io_pagetable iopt;
	char *buf = pages_buf(8);

	fake_init(a);
	fake_init(b);
	iopt_init_table(&iopt);
	for (int i = 0; i < 3; i++)
		CHECK_OK(map_at(&iopt, buf + i * p, p, X + 2 * i * p));
	/* A failing map in the middle leaves nothing behind. */
	a->fail_after = 2;
	CHECK_EQ(iopt_table_add_domain(&iopt, &a->dom), -ENOMEM);
	CHECK_EQ(a->n, 0);
	CHECK(!iopt_range_pinned((uintptr_t)buf, 8 * p));
	CHECK_EQ(iopt.iova_alignment, 1);
	CHECK(interval_tree_empty(&iopt.reserved_itree));
	a->fail_after = -1;
	CHECK_OK(iopt_table_add_domain(&iopt, &a->dom));
	CHECK_EQ(a->n, 3);
	CHECK_EQ(fake_iova_to_phys(&a->dom, X + 4 * p + 5),
		 (uintptr_t)buf + 2 * p + 5);
	CHECK_EQ(iopt.iova_alignment, p / 2);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf), 1);
	/* Outside the aperture is reserved. */
	CHECK_EQ(map_at(&iopt, buf, p, 0x1000), -EINVAL);
	CHECK_OK(iopt_table_add_domain(&iopt, &b->dom));
	CHECK_EQ(b->n, 3);
	/* A new map that fails on the second domain is undone on the first. */
	b->fail_after = 0;
	CHECK_EQ(map_at(&iopt, buf + 3 * p, p, X + 10 * p), -ENOMEM);
	CHECK_EQ(a->n, 3);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf + 3 * p), 0);
	b->fail_after = -1;
	iopt_table_remove_domain(&iopt, &a->dom);
	CHECK_EQ(a->n, 0);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf), 1);
	iopt_table_remove_domain(&iopt, &b->dom);
	CHECK_EQ(b->n, 0);
	CHECK(!iopt_range_pinned((uintptr_t)buf, 8 * p));
	CHECK_EQ(iopt.iova_alignment, 1);
	CHECK(interval_tree_empty(&iopt.reserved_itree));
	CHECK_OK(iopt_unmap_all(&iopt, &unmapped));
	CHECK_EQ(unmapped, 3 * p);
	iopt_destroy_table(&iopt);
	free(a);
	free(b);
}

TEST(large_pages_off_maps_and_cuts_per_page)
{
	uint64_t p = IOPT_PAGE_SIZE, unmapped, cut;
	struct fake_domain *a = malloc(sizeof(*a));
	struct io_pagetable iopt;
	char *buf = pages_buf(4);

	fake_init(a);
	iopt_init_table(&iopt);
	CHECK_OK(iopt_table_add_domain(&iopt, &a->dom));
	CHECK_OK(map_at(&iopt, buf, 4 * p, X));
	CHECK_EQ(a->map_calls, 1);
	/* With large pages, a domain's area cannot be cut. */
	cut = X + 2 * p - 1;
	CHECK_EQ(iopt_cut_iova(&iopt, &cut, 1), -EINVAL);
	CHECK_EQ(iopt_disable_large_pages(&iopt), -EINVAL);
	CHECK_OK(iopt_unmap_all(&iopt, NULL));
	CHECK_OK(iopt_disable_large_pages(&iopt));
	CHECK_EQ(iopt.iova_alignment, p);
	CHECK_OK(map_at(&iopt, buf, 4 * p, X));
	CHECK_EQ(a->map_calls, 5);
	CHECK_OK(iopt_cut_iova(&iopt, &cut, 1));
	CHECK_OK(iopt_unmap_iova(&iopt, X, 2 * p, &unmapped));
	CHECK_EQ(unmapped, 2 * p);
	CHECK_EQ(a->n, 2);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf + p), 0);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf + 2 * p), 1);
	/* A cut must fall on the alignment. */
	cut = X + 3 * p - 2;
	CHECK_EQ(iopt_cut_iova(&iopt, &cut, 1), -EINVAL);
	iopt_enable_large_pages(&iopt);
	CHECK_EQ(iopt.iova_alignment, p / 2);
	iopt_table_remove_domain(&iopt, &a->dom);
	CHECK_OK(iopt_unmap_all(&iopt, &unmapped));
	CHECK_EQ(unmapped, 2 * p);
	CHECK(!iopt_range_pinned((uintptr_t)buf, 4 * p));
	iopt_destroy_table(&iopt);
	free(a);
}

struct test_access {
	struct iommufd_access access;
	struct iommufd_access_ops ops;
	struct io_pagetable *iopt;
	uint64_t iova, len;
	bool stubborn, pinned;
	unsigned int calls;
};

static void test_access_unmap(void *data, uint64_t iova, uint64_t len)
{
	struct test_access *t = data;

	t->calls++;
	if (t->stubborn || !t->pinned)
		return;
	if (t->iova < iova + len && iova < t->iova + t->len) {
		iopt_unpin_pages(t->iopt, t->iova, t->len, false);
		t->pinned = false;
	}
}

TEST(unmap_asks_accesses_and_honours_locks)
{
	uint64_t p = IOPT_PAGE_SIZE, unmapped;
	struct test_access t = {};
	struct io_pagetable iopt;
	char *buf = pages_buf(4);
	uintptr_t out[4];

	iopt_init_table(&iopt);
	t.ops.needs_pin_pages = true;
	t.ops.unmap = test_access_unmap;
	t.access.ops = &t.ops;
	t.access.data = &t;
	t.access.iova_alignment = p;
	t.iopt = &iopt;
	CHECK_OK(map_at(&iopt, buf, 4 * p, X));
	CHECK_OK(iopt_add_access(&iopt, &t.access));
	CHECK_EQ(iopt.iova_alignment, p);
	/* Pins are whole pages; the output is the host address. */
	CHECK_EQ(iopt_pin_pages(&iopt, X + 1, p, out, 0, false), -EINVAL);
	CHECK_EQ(iopt_pin_pages(&iopt, X, 5 * p, out, 0, false), -ENOENT);
	CHECK_OK(iopt_pin_pages(&iopt, X + p, 2 * p, out, IOMMUFD_ACCESS_RW_WRITE,
				false));
	CHECK_EQ(out[0], (uintptr_t)buf + p);
	CHECK_EQ(out[1], (uintptr_t)buf + 2 * p);
	CHECK_EQ(iopt_pin_refs((uintptr_t)buf + p), 1);
	t.iova = X + p;
	t.len = 2 * p;
	t.pinned = true;
	/* An access that never lets go: EDEADLK, after many tries. */
	t.stubborn = true;
	CHECK_EQ(iopt_unmap_iova(&iopt, X, 4 * p, &unmapped), -EDEADLK);
	CHECK(t.calls > 50);
	/* While unmapping, no new pins. */
	CHECK_EQ(iopt_pin_pages(&iopt, X, p, out, 0, false), -EINVAL);
	t.stubborn = false;
	CHECK_OK(iopt_unmap_iova(&iopt, X, 4 * p, &unmapped));
	CHECK_EQ(unmapped, 4 * p);
	CHECK(!t.pinned);
	CHECK(!iopt_range_pinned((uintptr_t)buf, 4 * p));

	/* A locking pin makes unmap EBUSY until it is undone. */
	CHECK_OK(map_at(&iopt, buf, 4 * p, X));
	CHECK_OK(iopt_pin_pages(&iopt, X, p, out, 0, true));
	CHECK_EQ(iopt_unmap_all(&iopt, &unmapped), -EBUSY);
	iopt_unpin_pages(&iopt, X, p, true);
	CHECK_OK(iopt_unmap_all(&iopt, &unmapped));
	CHECK_EQ(unmapped, 4 * p);
	iopt_remove_access(&iopt, &t.access);
	CHECK_EQ(iopt.iova_alignment, 1);
	iopt_destroy_table(&iopt);
}

TEST(dirty_bitmap_reports_mapped_pages)
{
	uint64_t p = IOPT_PAGE_SIZE, bitmap[2] = {};
	struct fake_domain *a = malloc(sizeof(*a));
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.iova = X,
		.length = 128 * p,
		.page_size = p,
		.data = (uintptr_t)bitmap,
	};
	struct io_pagetable iopt;
	char *buf = pages_buf(120);

	fake_init(a);
	iopt_init_table(&iopt);
	CHECK_OK(iopt_table_add_domain(&iopt, &a->dom));
	CHECK_OK(map_at(&iopt, buf, 8 * p, X));
	CHECK_OK(map_at(&iopt, buf, 120 * p, X + 8 * p));
	CHECK_OK(iopt_set_dirty_tracking(&iopt, &a->dom, true));
	CHECK_EQ(iopt.dirty_tracking, 1);
	CHECK_OK(iopt_read_and_clear_dirty_data(&iopt, &a->dom, 0, &cmd));
	CHECK_EQ(bitmap[0], ~0ull);
	CHECK_EQ(bitmap[1], ~0ull);
	/* A hole in the range, or a misaligned one, is EINVAL. */
	cmd.length = 256 * p;
	CHECK_EQ(iopt_read_and_clear_dirty_data(&iopt, &a->dom, 0, &cmd),
		 -EINVAL);
	cmd.length = 128 * p;
	cmd.iova = X + 1;
	CHECK_EQ(iopt_read_and_clear_dirty_data(&iopt, &a->dom, 0, &cmd),
		 -EINVAL);
	CHECK_OK(iopt_set_dirty_tracking(&iopt, &a->dom, false));
	CHECK_EQ(iopt.dirty_tracking, 0);
	CHECK_OK(iopt_unmap_all(&iopt, NULL));
	iopt_table_remove_domain(&iopt, &a->dom);
	iopt_destroy_table(&iopt);
	free(a);
}

TEST(mm_mode_charges_the_process)
{
	uint64_t p = IOPT_PAGE_SIZE, iova = X;
	struct iommufd_ctx mm_ctx = { .account_mode = IOPT_PAGES_ACCOUNT_MM };
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	struct fake_domain *a = malloc(sizeof(*a));
	struct rlimit rl = { 4 * p, 4 * p };
	struct io_pagetable iopt;
	char *buf = pages_buf(8);

	CHECK_OK(syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	CHECK_OK(syscall(SYS_capset, &hdr, data));
	CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
	fake_init(a);
	iopt_init_table(&iopt);
	CHECK_OK(iopt_table_add_domain(&iopt, &a->dom));
	CHECK_OK(iopt_map_user_pages(&mm_ctx, &iopt, &iova, (uintptr_t)buf,
				     4 * p, IOMMU_READ, 0));
	iova = X + 4 * p;
	CHECK_EQ(iopt_map_user_pages(&mm_ctx, &iopt, &iova,
				     (uintptr_t)buf + 4 * p, p, IOMMU_READ, 0),
		 -ENOMEM);
	/* The per-user count is another counter. */
	CHECK_OK(map_at(&iopt, buf + 4 * p, 4 * p, iova));
	CHECK_OK(iopt_unmap_all(&iopt, NULL));
	iopt_table_remove_domain(&iopt, &a->dom);
	iopt_destroy_table(&iopt);
	free(a);
}
