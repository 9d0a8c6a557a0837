/*
 * interval_tree.c - augmented red-black tree of inclusive u64 ranges.
 *
 * Ordering: nodes are kept in order of start; a node whose start equals an
 * existing one goes after it, so the in-order walk is (start, insertion
 * order).  Rotations and removal preserve that order.
 *
 * Colour lives in bit 0 of __parent_color (0 red, 1 black, as in Linux).
 *
 * Augmentation, for every node n over the nodes of its subtree, in order:
 *   __subtree_first  start of the leftmost node (the lowest start);
 *   __subtree_last   the highest last;
 *   __subtree_gap    an upper bound on the largest run of values between
 *                    __subtree_first and __subtree_last covered by no node of
 *                    the subtree, computed from the children as
 *                    max(gap(L), gap(R), hole(L -> n), hole(L + n -> R)).
 * When nodes do not overlap the bound is exact (the largest hole between
 * neighbours) and depends only on the set of nodes; when they overlap it may
 * count a hole in R that L covers, so it is shape dependent.  Every structural
 * change therefore recomputes the moved nodes and propagates upwards until a
 * node's values come out unchanged.
 *
 * Invariants (checked by interval_tree_check()): BST order by start, parent
 * links, red-black properties, each node's augmentation equal to its
 * recomputation from its children, root->count equal to the node count.
 */
#include <errno.h>
#include <stddef.h>

#include "util/compiler.h"
#include "util/interval_tree.h"

#define RB_RED 0
#define RB_BLACK 1

static inline struct interval_tree_node *
rb_parent(const struct interval_tree_node *n)
{
	return (struct interval_tree_node *)(n->__parent_color & ~(uintptr_t)1);
}

static inline int rb_color(const struct interval_tree_node *n)
{
	return n->__parent_color & 1;
}

static inline bool rb_is_red(const struct interval_tree_node *n)
{
	return n && rb_color(n) == RB_RED;
}

static inline void rb_set_parent(struct interval_tree_node *n,
				 struct interval_tree_node *p)
{
	n->__parent_color = (uintptr_t)p | (n->__parent_color & 1);
}

static inline void rb_set_color(struct interval_tree_node *n, int color)
{
	n->__parent_color = (n->__parent_color & ~(uintptr_t)1) | color;
}

/* Largest run strictly between @below and @above (0 when they touch). */
static inline uint64_t hole_between(uint64_t below, uint64_t above)
{
	return above > below ? above - below - 1 : 0;
}

/* Recompute @n from its children; true when something changed. */
static bool itree_compute(struct interval_tree_node *n)
{
	struct interval_tree_node *l = n->__left, *r = n->__right;
	uint64_t first = n->start, sublast = n->last, gap = 0;

	if (l) {
		first = l->__subtree_first;
		gap = l->__subtree_gap;
		gap = max_t(uint64_t, gap, hole_between(l->__subtree_last, n->start));
		sublast = max_t(uint64_t, sublast, l->__subtree_last);
	}
	if (r) {
		gap = max_t(uint64_t, gap, r->__subtree_gap);
		gap = max_t(uint64_t, gap, hole_between(sublast, r->__subtree_first));
		sublast = max_t(uint64_t, sublast, r->__subtree_last);
	}
	if (n->__subtree_first == first && n->__subtree_last == sublast &&
	    n->__subtree_gap == gap)
		return false;
	n->__subtree_first = first;
	n->__subtree_last = sublast;
	n->__subtree_gap = gap;
	return true;
}

/*
 * Recompute from @n upwards, stopping below @stop or after a node whose
 * values did not change (its ancestors are then already right).
 */
static void itree_propagate(struct interval_tree_node *n,
			    struct interval_tree_node *stop)
{
	while (n != stop) {
		if (!itree_compute(n))
			break;
		n = rb_parent(n);
	}
}

static inline void change_child(struct interval_tree_node *old,
				struct interval_tree_node *new,
				struct interval_tree_node *parent,
				struct interval_tree_root *root)
{
	if (!parent)
		root->node = new;
	else if (parent->__left == old)
		parent->__left = new;
	else
		parent->__right = new;
}

/* Rotations keep the augmentation right for the whole tree. */
static void rotate_left(struct interval_tree_node *x,
			struct interval_tree_root *root)
{
	struct interval_tree_node *y = x->__right, *p = rb_parent(x);

	x->__right = y->__left;
	if (y->__left)
		rb_set_parent(y->__left, x);
	rb_set_parent(y, p);
	change_child(x, y, p, root);
	y->__left = x;
	rb_set_parent(x, y);
	itree_compute(x);
	itree_compute(y);
	if (p)
		itree_propagate(p, NULL);
}

static void rotate_right(struct interval_tree_node *x,
			 struct interval_tree_root *root)
{
	struct interval_tree_node *y = x->__left, *p = rb_parent(x);

	x->__left = y->__right;
	if (y->__right)
		rb_set_parent(y->__right, x);
	rb_set_parent(y, p);
	change_child(x, y, p, root);
	y->__right = x;
	rb_set_parent(x, y);
	itree_compute(x);
	itree_compute(y);
	if (p)
		itree_propagate(p, NULL);
}

static void insert_color(struct interval_tree_node *n,
			 struct interval_tree_root *root)
{
	struct interval_tree_node *p, *g, *u;

	while ((p = rb_parent(n)) && rb_is_red(p)) {
		g = rb_parent(p);	/* a red parent is never the root */
		if (p == g->__left) {
			u = g->__right;
			if (rb_is_red(u)) {
				rb_set_color(p, RB_BLACK);
				rb_set_color(u, RB_BLACK);
				rb_set_color(g, RB_RED);
				n = g;
				continue;
			}
			if (n == p->__right) {
				rotate_left(p, root);
				n = p;
				p = rb_parent(n);
			}
			rb_set_color(p, RB_BLACK);
			rb_set_color(g, RB_RED);
			rotate_right(g, root);
		} else {
			u = g->__left;
			if (rb_is_red(u)) {
				rb_set_color(p, RB_BLACK);
				rb_set_color(u, RB_BLACK);
				rb_set_color(g, RB_RED);
				n = g;
				continue;
			}
			if (n == p->__left) {
				rotate_right(p, root);
				n = p;
				p = rb_parent(n);
			}
			rb_set_color(p, RB_BLACK);
			rb_set_color(g, RB_RED);
			rotate_left(g, root);
		}
	}
	rb_set_color(root->node, RB_BLACK);
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	struct interval_tree_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (node->start < parent->start)
			link = &parent->__left;
		else
			link = &parent->__right;
	}
	node->__parent_color = (uintptr_t)parent | RB_RED;
	node->__left = node->__right = NULL;
	node->__subtree_first = node->start;
	node->__subtree_last = node->last;
	node->__subtree_gap = 0;
	*link = node;
	root->count++;
	if (parent)
		itree_propagate(parent, NULL);
	insert_color(node, root);
}

/* Restore the black height after a black node left from under @parent. */
static void erase_color(struct interval_tree_node *x,
			struct interval_tree_node *parent,
			struct interval_tree_root *root)
{
	struct interval_tree_node *w;

	while (x != root->node && !rb_is_red(x)) {
		if (x == parent->__left) {
			w = parent->__right;
			if (rb_is_red(w)) {
				rb_set_color(w, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rotate_left(parent, root);
				w = parent->__right;
			}
			if (!rb_is_red(w->__left) && !rb_is_red(w->__right)) {
				rb_set_color(w, RB_RED);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (!rb_is_red(w->__right)) {
				rb_set_color(w->__left, RB_BLACK);
				rb_set_color(w, RB_RED);
				rotate_right(w, root);
				w = parent->__right;
			}
			rb_set_color(w, rb_color(parent));
			rb_set_color(parent, RB_BLACK);
			rb_set_color(w->__right, RB_BLACK);
			rotate_left(parent, root);
			x = root->node;
		} else {
			w = parent->__left;
			if (rb_is_red(w)) {
				rb_set_color(w, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rotate_right(parent, root);
				w = parent->__left;
			}
			if (!rb_is_red(w->__left) && !rb_is_red(w->__right)) {
				rb_set_color(w, RB_RED);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (!rb_is_red(w->__left)) {
				rb_set_color(w->__right, RB_BLACK);
				rb_set_color(w, RB_RED);
				rotate_left(w, root);
				w = parent->__left;
			}
			rb_set_color(w, rb_color(parent));
			rb_set_color(parent, RB_BLACK);
			rb_set_color(w->__left, RB_BLACK);
			rotate_right(parent, root);
			x = root->node;
		}
	}
	if (x)
		rb_set_color(x, RB_BLACK);
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	struct interval_tree_node *x, *xparent, *parent = rb_parent(node);
	int removed_color;

	if (!node->__left || !node->__right) {
		x = node->__left ? node->__left : node->__right;
		xparent = parent;
		removed_color = rb_color(node);
		change_child(node, x, parent, root);
		if (x)
			rb_set_parent(x, xparent);
		if (xparent)
			itree_propagate(xparent, NULL);
	} else {
		struct interval_tree_node *s = node->__right;

		while (s->__left)
			s = s->__left;
		removed_color = rb_color(s);
		x = s->__right;
		if (s == node->__right) {
			xparent = s;
		} else {
			xparent = rb_parent(s);
			xparent->__left = x;
			if (x)
				rb_set_parent(x, xparent);
			s->__right = node->__right;
			rb_set_parent(s->__right, s);
		}
		s->__left = node->__left;
		rb_set_parent(s->__left, s);
		s->__parent_color = node->__parent_color;
		change_child(node, s, parent, root);
		/* s stands where node stood: its ancestors were computed from node */
		s->__subtree_first = node->__subtree_first;
		s->__subtree_last = node->__subtree_last;
		s->__subtree_gap = node->__subtree_gap;
		if (xparent != s)
			itree_propagate(xparent, s);
		itree_propagate(s, NULL);
	}
	root->count--;
	if (removed_color == RB_BLACK)
		erase_color(x, xparent, root);
	node->__parent_color = 0;
	node->__left = node->__right = NULL;
}

struct interval_tree_node *interval_tree_first(struct interval_tree_root *root)
{
	struct interval_tree_node *n = root->node;

	if (!n)
		return NULL;
	while (n->__left)
		n = n->__left;
	return n;
}

struct interval_tree_node *interval_tree_next(struct interval_tree_node *node)
{
	struct interval_tree_node *p;

	if (node->__right) {
		node = node->__right;
		while (node->__left)
			node = node->__left;
		return node;
	}
	while ((p = rb_parent(node)) && node == p->__right)
		node = p;
	return p;
}

/*
 * Leftmost node of the subtree at @n overlapping [start, last].  Caller
 * guarantees start <= n->__subtree_last.
 */
static struct interval_tree_node *
subtree_search(struct interval_tree_node *n, uint64_t start, uint64_t last)
{
	for (;;) {
		struct interval_tree_node *l = n->__left;

		if (l && start <= l->__subtree_last) {
			/* The leftmost node ending at or after start is here. */
			n = l;
			continue;
		}
		if (n->start > last)
			return NULL;
		if (start <= n->last)
			return n;
		n = n->__right;
		if (!n || start > n->__subtree_last ||
		    n->__subtree_first > last)
			return NULL;
	}
}

struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, uint64_t start,
			 uint64_t last)
{
	struct interval_tree_node *n = root->node;

	if (!n || start > n->__subtree_last || n->__subtree_first > last)
		return NULL;
	return subtree_search(n, start, last);
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, uint64_t start,
			uint64_t last)
{
	struct interval_tree_node *r = node->__right, *prev;

	for (;;) {
		/* Invariant: node->start <= last, r == node->__right. */
		if (r && start <= r->__subtree_last) {
			if (r->__subtree_first > last)
				return NULL;
			return subtree_search(r, start, last);
		}
		/* Up until we arrive from a left child. */
		do {
			prev = node;
			node = rb_parent(node);
			if (!node)
				return NULL;
			r = node->__right;
		} while (prev == r);
		if (node->start > last)
			return NULL;
		if (start <= node->last)
			return node;
	}
}

/*
 * Span iteration.  nodes[0] is the node with the highest last of the used
 * span being reported (or just reported); nodes[1] is the first node that
 * starts after that span, or NULL.  Both NULL: nothing follows.
 */
static void span_iter_next_gap(struct interval_tree_span_iter *it)
{
	struct interval_tree_node *cur = it->nodes[1];

	it->nodes[0] = cur;
	do {
		if (cur->last > it->nodes[0]->last)
			it->nodes[0] = cur;
		cur = interval_tree_iter_next(cur, it->first_index,
					      it->last_index);
	} while (cur && (it->nodes[0]->last >= cur->start ||
			 it->nodes[0]->last + 1 == cur->start));
	it->nodes[1] = cur;
}

/* The used span ends at nodes[0]->last, clipped to last_index. */
static void span_iter_end_used(struct interval_tree_span_iter *it)
{
	it->last_used = it->nodes[0]->last;
	if (it->last_used >= it->last_index) {
		it->last_used = it->last_index;
		it->nodes[0] = NULL;
		it->nodes[1] = NULL;
	}
}

void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   struct interval_tree_root *root,
				   uint64_t first_index, uint64_t last_index)
{
	it->root = root;
	it->first_index = first_index;
	it->last_index = last_index;
	it->nodes[0] = NULL;
	it->nodes[1] = NULL;
	if (first_index > last_index) {
		it->is_hole = -1;
		return;
	}
	it->nodes[1] = interval_tree_iter_first(root, first_index, last_index);
	if (!it->nodes[1]) {
		it->start_hole = first_index;
		it->last_hole = last_index;
		it->is_hole = 1;
		return;
	}
	if (it->nodes[1]->start > first_index) {
		it->start_hole = first_index;
		it->last_hole = it->nodes[1]->start - 1;
		it->is_hole = 1;
		span_iter_next_gap(it);
		return;
	}
	it->start_used = first_index;
	it->is_hole = 0;
	span_iter_next_gap(it);
	span_iter_end_used(it);
}

void interval_tree_span_iter_next(struct interval_tree_span_iter *it)
{
	if (!it->nodes[0] && !it->nodes[1]) {
		it->is_hole = -1;
		return;
	}
	if (it->is_hole) {
		it->start_used = it->last_hole + 1;
		it->is_hole = 0;
		span_iter_end_used(it);
		return;
	}
	/* nodes[0]->last < last_index here, so + 1 cannot wrap. */
	it->start_hole = it->nodes[0]->last + 1;
	it->is_hole = 1;
	if (!it->nodes[1]) {
		it->last_hole = it->last_index;
		it->nodes[0] = NULL;
		return;
	}
	it->last_hole = it->nodes[1]->start - 1;
	span_iter_next_gap(it);
}

/*
 * Hole search.  The walk visits nodes in order of start, keeping pos: the
 * lowest value not yet known to be covered or rejected.  Each uncovered run
 * [pos, n->start - 1] is a candidate.  A subtree entirely below pos is
 * skipped; a subtree whose __subtree_gap is below length can only offer the
 * run before its first node, so it is skipped after that one check.
 */
enum hole_walk_result {
	HOLE_CONTINUE,	/* keep walking */
	HOLE_FOUND,	/* hs->iova set */
	HOLE_PAST,	/* reached nodes starting after last: try [pos, last] */
	HOLE_NONE,	/* pos went past last: nothing can fit */
};

struct hole_search {
	uint64_t pos;
	uint64_t last;
	uint64_t length;
	uint64_t mask;	/* align - 1 */
	uint64_t phase;
	uint64_t iova;
};

/* Does [hs->pos, end] (end >= pos) hold an aligned run of length? */
static bool hole_try(struct hole_search *hs, uint64_t end)
{
	uint64_t x;

	if (end > hs->last)
		end = hs->last;
	x = (hs->pos & ~hs->mask) | hs->phase;
	if (x < hs->pos && __builtin_add_overflow(x, hs->mask + 1, &x))
		return false;
	if (x > end || end - x < hs->length - 1)
		return false;
	hs->iova = x;
	return true;
}

/* Everything up to @covered_last is covered; move pos past it. */
static enum hole_walk_result hole_advance(struct hole_search *hs,
					  uint64_t covered_last)
{
	if (covered_last < hs->pos)
		return HOLE_CONTINUE;
	if (covered_last >= hs->last)
		return HOLE_NONE;
	hs->pos = covered_last + 1;
	return HOLE_CONTINUE;
}

static enum hole_walk_result hole_walk(struct hole_search *hs,
				       const struct interval_tree_node *n)
{
	enum hole_walk_result ret;

	while (n) {
		if (n->__subtree_last < hs->pos)
			return HOLE_CONTINUE;
		if (n->__subtree_first > hs->last)
			return HOLE_PAST;
		if (n->__subtree_gap < hs->length) {
			if (n->__subtree_first > hs->pos &&
			    hole_try(hs, n->__subtree_first - 1))
				return HOLE_FOUND;
			return hole_advance(hs, n->__subtree_last);
		}
		ret = hole_walk(hs, n->__left);
		if (ret != HOLE_CONTINUE)
			return ret;
		if (n->start > hs->last)
			return HOLE_PAST;
		if (n->start > hs->pos && hole_try(hs, n->start - 1))
			return HOLE_FOUND;
		ret = hole_advance(hs, n->last);
		if (ret != HOLE_CONTINUE)
			return ret;
		n = n->__right;
	}
	return HOLE_CONTINUE;
}

int interval_tree_find_hole(struct interval_tree_root *root, uint64_t start,
			    uint64_t last, uint64_t length, uint64_t align,
			    uint64_t phase, uint64_t *iova)
{
	struct hole_search hs = {
		.pos = start,
		.last = last,
		.length = length,
		.mask = align - 1,
		.phase = phase,
	};

	if (NEVER(!length || !align || (align & (align - 1)) || phase >= align))
		return -EINVAL;
	if (start > last || last - start < length - 1)
		return -ENOSPC;
	switch (hole_walk(&hs, root->node)) {
	case HOLE_FOUND:
		*iova = hs.iova;
		return 0;
	case HOLE_NONE:
		return -ENOSPC;
	default:
		if (!hole_try(&hs, last))
			return -ENOSPC;
		*iova = hs.iova;
		return 0;
	}
}

/*
 * Sanity: returns the black height of the subtree at @n (0 for NULL, counting
 * the NULL leaf as black), or -1 on any violation.  *count accumulates nodes.
 */
static int check_subtree(const struct interval_tree_node *n,
			 const struct interval_tree_node *parent,
			 uint64_t *count)
{
	struct interval_tree_node tmp;
	int lh, rh;

	if (!n)
		return 1;
	(*count)++;
	if (rb_parent(n) != parent)
		return -1;
	if (rb_is_red(n) && (rb_is_red(n->__left) || rb_is_red(n->__right)))
		return -1;
	if (n->start > n->last)
		return -1;
	if (n->__left && n->__left->start > n->start)
		return -1;
	if (n->__right && n->__right->start < n->start)
		return -1;
	lh = check_subtree(n->__left, n, count);
	rh = check_subtree(n->__right, n, count);
	if (lh < 0 || rh < 0 || lh != rh)
		return -1;
	tmp = *n;
	if (itree_compute(&tmp))
		return -1;
	return lh + (rb_color(n) == RB_BLACK);
}

bool interval_tree_check(const struct interval_tree_root *root)
{
	const struct interval_tree_node *n, *prev = NULL;
	uint64_t count = 0;

	if (root->node && rb_is_red(root->node))
		return false;
	if (check_subtree(root->node, NULL, &count) < 0)
		return false;
	if (count != root->count)
		return false;
	/* In-order starts never decrease (local checks miss deep ones). */
	for (n = interval_tree_first((struct interval_tree_root *)root); n;
	     n = interval_tree_next((struct interval_tree_node *)n)) {
		if (prev && prev->start > n->start)
			return false;
		prev = n;
	}
	return true;
}
