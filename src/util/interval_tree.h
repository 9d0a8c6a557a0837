/*
 * interval_tree.h - augmented red-black interval tree over inclusive u64
 * ranges, with span iteration and aligned hole search.
 *
 * Nodes are embedded in the caller's objects (areas, reserved ranges, allowed
 * ranges) and carry [start, last], inclusive.  The tree is augmented with the
 * subtree's highest `last`, lowest `start` and largest gap between nodes, so
 * overlap queries and hole searches cost O(log n + k).  Nodes may overlap;
 * interval_tree_find_hole() is exact for trees whose nodes do not overlap
 * (what io_pagetable keeps for areas) and correct but slower otherwise.
 * The tree does no locking and no allocation.
 */
#ifndef UIOMMU_UTIL_INTERVAL_TREE_H
#define UIOMMU_UTIL_INTERVAL_TREE_H

#include <stdbool.h>
#include <stdint.h>

struct interval_tree_node {
	uintptr_t __parent_color;
	struct interval_tree_node *__left, *__right;
	uint64_t start;
	uint64_t last;
	uint64_t __subtree_first;	/* lowest start in this subtree */
	uint64_t __subtree_last;	/* highest last in this subtree */
	uint64_t __subtree_gap;		/* largest hole between nodes inside */
};

struct interval_tree_root {
	struct interval_tree_node *node;
	uint64_t count;
};

#define INTERVAL_TREE_ROOT_INIT { NULL, 0 }

static inline bool interval_tree_empty(const struct interval_tree_root *root)
{
	return !root->node;
}

/* Insert @node (start/last set by the caller).  Duplicates are allowed. */
void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root);
void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root);

/* Lowest-start node overlapping [start, last], or NULL. */
struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, uint64_t start,
			 uint64_t last);
/* Next node (by start, then insertion order) after @node overlapping [start, last]. */
struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, uint64_t start,
			uint64_t last);

/* In-order neighbours over the whole tree. */
struct interval_tree_node *interval_tree_first(struct interval_tree_root *root);
struct interval_tree_node *interval_tree_next(struct interval_tree_node *node);

#define interval_tree_for_each(n, root, s, l)                  \
	for (n = interval_tree_iter_first(root, s, l); n;       \
	     n = interval_tree_iter_next(n, s, l))

/*
 * Span iteration: walk [start, last] as alternating used and hole spans.
 * A used span is a maximal run covered by the union of nodes; a hole span is
 * a maximal run covered by none.  An empty range (start > last) yields no
 * spans.  Usage:
 *
 *	struct interval_tree_span_iter span;
 *	interval_tree_for_each_span(&span, root, start, last) {
 *		if (span.is_hole) ... span.start_hole .. span.last_hole
 *		else ... span.start_used .. span.last_used
 *	}
 */
struct interval_tree_span_iter {
	/* outputs */
	uint64_t start_hole, last_hole;
	uint64_t start_used, last_used;
	int is_hole;	/* 1 hole, 0 used, -1 done */
	/* private */
	struct interval_tree_root *root;
	struct interval_tree_node *nodes[2];
	uint64_t first_index, last_index;
};

void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   struct interval_tree_root *root,
				   uint64_t first_index, uint64_t last_index);
void interval_tree_span_iter_next(struct interval_tree_span_iter *it);
static inline bool interval_tree_span_iter_done(struct interval_tree_span_iter *it)
{
	return it->is_hole == -1;
}

#define interval_tree_for_each_span(it, root, s, l)              \
	for (interval_tree_span_iter_first(it, root, s, l);     \
	     !interval_tree_span_iter_done(it);                 \
	     interval_tree_span_iter_next(it))

/*
 * Lowest iova in [start, last] such that [iova, iova + length - 1] lies
 * inside [start, last], overlaps no node, and iova % align == phase
 * (align is a power of two, phase < align).  length >= 1.
 * Returns 0 and sets *iova, or -ENOSPC (also when start > last).  Bad
 * arguments (length 0, align not a power of two, phase >= align) are a caller
 * bug: NEVER() fires and -EINVAL is returned.  O(log n) per candidate hole
 * for a tree of non-overlapping nodes.
 */
int interval_tree_find_hole(struct interval_tree_root *root, uint64_t start,
			    uint64_t last, uint64_t length, uint64_t align,
			    uint64_t phase, uint64_t *iova);

/*
 * Sanity check of the red-black and augmentation invariants, O(n).  For
 * asserts and tests only.
 */
bool interval_tree_check(const struct interval_tree_root *root);

#endif
