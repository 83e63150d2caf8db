// VMA tree: an intrusive AVL tree of non-overlapping half-open ranges
// [start, end), ordered by start.
//
// The caller embeds a struct vma_node in its own structure, owns the memory,
// and gets back to the outer structure with vt_entry(). The tree never
// allocates and never touches memory other than the nodes linked into it.
//
// Every node carries, besides its AVL height, a small augmentation about its
// subtree (lowest start, highest end, largest hole between two neighbouring
// nodes of the subtree). It makes vt_find_gap and vt_find_gap_top skip whole
// subtrees that have no hole big enough, so a gap search usually costs
// O(log n) instead of O(n).
//
// Changing a linked node's range
// ------------------------------
// Split and merge VMAs with vt_remove / vt_insert, or change start/end of a
// linked node in place, under this rule: the new range must be non-empty and
// stay inside the free space around the node, i.e. not below the end of its
// predecessor and not above the start of its successor. Shrinking is always
// fine (keys keep their order); growing is fine only into free space up to
// the neighbours. vt_resize checks the rule and does the update for you.
// If you assign n->start / n->end yourself, you MUST call vt_update(t, n)
// right after, or the gap searches will use stale subtree data (vt_check
// reports that as VT_EAUG).
//
// Address 0 is never returned by the gap searches: 0 means "no gap".
//
// Pure module: no libc, no allocation, no locking (callers serialize).

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vma_node {
    struct vma_node *left, *right, *parent;
    uint64_t start, end;            // the range [start, end); start < end
    int32_t height;                 // AVL height; a leaf has height 1
    // Subtree augmentation, kept by the tree; read-only for callers.
    uint64_t min_start;             // start of the subtree's leftmost node
    uint64_t max_end;               // end of the subtree's rightmost node
    uint64_t max_gap;               // largest hole between neighbours inside
};

struct vma_tree {
    struct vma_node *root;
    size_t count;                   // nodes linked into the tree
};

// The structure of type `type` whose member `member` is the node `ptr`.
#define vt_entry(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

// Errors returned by vt_check (all negative).
enum {
    VT_EPARENT = -1,    // a child's parent link is wrong, or root has a parent
    VT_ERANGE = -2,     // a node holds an empty range (start >= end)
    VT_EORDER = -3,     // nodes out of order or overlapping
    VT_EHEIGHT = -4,    // a stored height is wrong
    VT_EBALANCE = -5,   // an AVL balance factor is outside [-1, 1]
    VT_EAUG = -6,       // stale min_start / max_end / max_gap
    VT_ECOUNT = -7,     // t->count differs from the number of nodes
    VT_EDEPTH = -8,     // deeper than any valid tree can be (a cycle?)
};

// Make t an empty tree. Never fails.
void vt_init(struct vma_tree *t);

// Link n, with n->start and n->end set by the caller, into t.
// Returns 0, or -1 if [n->start, n->end) is empty or overlaps a node already
// in t; then t and n's links are left unchanged.
int vt_insert(struct vma_tree *t, struct vma_node *n);

// Unlink n, which must be in t. n's links are cleared; start/end are kept.
void vt_remove(struct vma_tree *t, struct vma_node *n);

// Change the range of n, which is in t, to [start, end) in place.
// Returns 0, or -1 (n unchanged) if the range is empty or would reach below
// the end of n's predecessor or above the start of n's successor.
int vt_resize(struct vma_tree *t, struct vma_node *n,
              uint64_t start, uint64_t end);

// Refresh the subtree data on the path from n to the root after the caller
// changed n->start / n->end in place following the rule above. Never fails.
void vt_update(struct vma_tree *t, struct vma_node *n);

// The node whose range contains addr, or NULL. O(log n).
struct vma_node *vt_find(const struct vma_tree *t, uint64_t addr);

// The lowest node with end > addr (it contains addr or starts after it),
// or NULL if there is none. O(log n).
struct vma_node *vt_first_at_or_after(const struct vma_tree *t, uint64_t addr);

// The lowest / highest node, or NULL if t is empty.
struct vma_node *vt_first(const struct vma_tree *t);
struct vma_node *vt_last(const struct vma_tree *t);

// In-order successor / predecessor of n, or NULL at the end.
struct vma_node *vt_next(const struct vma_node *n);
struct vma_node *vt_prev(const struct vma_node *n);

// True if no node intersects [start, end). An empty range is always free.
bool vt_range_free(const struct vma_tree *t, uint64_t start, uint64_t end);

// The lowest address a such that [a, a + len) lies inside [lo, hi), touches
// no node, and a is a multiple of align. Returns 0 if there is none, or if
// len is 0, align is not a power of two, or lo >= hi. A start of 0 is never
// returned (a search with lo == 0 starts at 1, then rounds up to align).
uint64_t vt_find_gap(const struct vma_tree *t, uint64_t len, uint64_t align,
                     uint64_t lo, uint64_t hi);

// Same as vt_find_gap but returns the highest such address (top-down
// placement, growing down from hi). Returns 0 in the same cases.
uint64_t vt_find_gap_top(const struct vma_tree *t, uint64_t len,
                         uint64_t align, uint64_t lo, uint64_t hi);

// Verify every invariant: parent links, non-empty ranges, ordering without
// overlap, heights, AVL balance, subtree data and the count.
// Returns 0 if all hold, else one of the negative VT_E* codes.
int vt_check(const struct vma_tree *t);
