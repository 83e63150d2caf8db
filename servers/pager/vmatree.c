// VMA tree: intrusive AVL tree of non-overlapping ranges. See vmatree.h.

#include "vmatree.h"

// Deeper than this no AVL tree of at most 2^64 nodes can be; vt_check uses
// it to stop on a corrupted (cyclic) tree.
#define VT_MAX_DEPTH 128

// ---- small helpers --------------------------------------------------------

static uint64_t
max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

// Height of a possibly empty subtree.
static int32_t
height(const struct vma_node *x)
{
    return x ? x->height : 0;
}

// Subtree data of x computed from its children.
struct aug {
    uint64_t min_start, max_end, max_gap;
};

// x's subtree data as it should be, given up-to-date children.
static struct aug
calc_aug(const struct vma_node *x)
{
    const struct vma_node *l = x->left, *r = x->right;
    struct aug a;

    a.min_start = l ? l->min_start : x->start;
    a.max_end = r ? r->max_end : x->end;
    a.max_gap = 0;
    if (l)
        a.max_gap = max64(l->max_gap, x->start - l->max_end);
    if (r)
        a.max_gap = max64(a.max_gap, max64(r->max_gap, r->min_start - x->end));
    return a;
}

// Recompute x's height and subtree data from its children, which must be
// up to date. Never fails.
static void
pull(struct vma_node *x)
{
    int32_t hl = height(x->left), hr = height(x->right);
    struct aug a = calc_aug(x);

    x->height = (hl > hr ? hl : hr) + 1;
    x->min_start = a.min_start;
    x->max_end = a.max_end;
    x->max_gap = a.max_gap;
}

// Make new take old's place under parent p (or as root). Never fails.
static void
replace_child(struct vma_tree *t, struct vma_node *p,
              struct vma_node *old, struct vma_node *new)
{
    if (p == NULL)
        t->root = new;
    else if (p->left == old)
        p->left = new;
    else
        p->right = new;
    if (new)
        new->parent = p;
}

// ---- rotations and rebalancing -------------------------------------------

// Rotate x's right child y up into x's place. Returns y. Never fails.
static struct vma_node *
rotate_left(struct vma_tree *t, struct vma_node *x)
{
    struct vma_node *y = x->right;

    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    pull(x);
    pull(y);
    return y;
}

// Rotate x's left child y up into x's place. Returns y. Never fails.
static struct vma_node *
rotate_right(struct vma_tree *t, struct vma_node *x)
{
    struct vma_node *y = x->left;

    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    pull(x);
    pull(y);
    return y;
}

// Refresh x and restore the AVL balance at x, whose children are balanced
// and differ in height by at most 2. Returns the node now in x's place.
static struct vma_node *
balance(struct vma_tree *t, struct vma_node *x)
{
    int32_t bf;

    pull(x);
    bf = height(x->left) - height(x->right);
    if (bf > 1) {
        if (height(x->left->left) < height(x->left->right))
            rotate_left(t, x->left);
        return rotate_right(t, x);
    }
    if (bf < -1) {
        if (height(x->right->right) < height(x->right->left))
            rotate_right(t, x->right);
        return rotate_left(t, x);
    }
    return x;
}

// Rebalance and refresh every node from x up to the root. Never fails.
static void
fixup(struct vma_tree *t, struct vma_node *x)
{
    while (x) {
        x = balance(t, x);
        x = x->parent;
    }
}

// ---- navigation -----------------------------------------------------------

// Leftmost node of the non-empty subtree x.
static struct vma_node *
leftmost(struct vma_node *x)
{
    while (x->left)
        x = x->left;
    return x;
}

// Rightmost node of the non-empty subtree x.
static struct vma_node *
rightmost(struct vma_node *x)
{
    while (x->right)
        x = x->right;
    return x;
}

// Lowest node, or NULL if t is empty.
struct vma_node *
vt_first(const struct vma_tree *t)
{
    return t->root ? leftmost(t->root) : NULL;
}

// Highest node, or NULL if t is empty.
struct vma_node *
vt_last(const struct vma_tree *t)
{
    return t->root ? rightmost(t->root) : NULL;
}

// In-order successor of n, or NULL if n is the highest node.
struct vma_node *
vt_next(const struct vma_node *n)
{
    struct vma_node *x = (struct vma_node *)n;

    if (x->right)
        return leftmost(x->right);
    while (x->parent && x->parent->right == x)
        x = x->parent;
    return x->parent;
}

// In-order predecessor of n, or NULL if n is the lowest node.
struct vma_node *
vt_prev(const struct vma_node *n)
{
    struct vma_node *x = (struct vma_node *)n;

    if (x->left)
        return rightmost(x->left);
    while (x->parent && x->parent->left == x)
        x = x->parent;
    return x->parent;
}

// ---- lookup ----------------------------------------------------------------

// Lowest node with end > addr, or NULL. Ends are ordered like starts
// because the ranges do not overlap.
struct vma_node *
vt_first_at_or_after(const struct vma_tree *t, uint64_t addr)
{
    struct vma_node *x = t->root, *best = NULL;

    while (x) {
        if (x->end > addr) {
            best = x;
            x = x->left;
        } else {
            x = x->right;
        }
    }
    return best;
}

// Node containing addr, or NULL.
struct vma_node *
vt_find(const struct vma_tree *t, uint64_t addr)
{
    struct vma_node *n = vt_first_at_or_after(t, addr);

    return (n && n->start <= addr) ? n : NULL;
}

// True if no node intersects [start, end); an empty range is always free.
bool
vt_range_free(const struct vma_tree *t, uint64_t start, uint64_t end)
{
    struct vma_node *n;

    if (start >= end)
        return true;
    n = vt_first_at_or_after(t, start);
    return n == NULL || n->start >= end;
}

// ---- insert / remove / resize ----------------------------------------------

void
vt_init(struct vma_tree *t)
{
    t->root = NULL;
    t->count = 0;
}

// Link n into t. Returns 0, or -1 (nothing changed) if n's range is empty
// or overlaps a node. The walk passes n's future predecessor and successor,
// so checking every node on it catches any overlap.
int
vt_insert(struct vma_tree *t, struct vma_node *n)
{
    struct vma_node *p = NULL, **link = &t->root;

    if (n->start >= n->end)
        return -1;
    while (*link) {
        p = *link;
        if (n->end <= p->start)
            link = &p->left;
        else if (n->start >= p->end)
            link = &p->right;
        else
            return -1;
    }
    n->left = n->right = NULL;
    n->parent = p;
    *link = n;
    t->count++;
    fixup(t, n);
    return 0;
}

// Put n's in-order successor s (n has two children) into n's place.
// Returns the lowest node whose subtree changed, where fixup must start.
static struct vma_node *
splice_successor(struct vma_tree *t, struct vma_node *n)
{
    struct vma_node *s = leftmost(n->right);
    struct vma_node *from = s;

    if (s != n->right) {
        from = s->parent;
        from->left = s->right;
        if (s->right)
            s->right->parent = from;
        s->right = n->right;
        s->right->parent = s;
    }
    s->left = n->left;
    s->left->parent = s;
    replace_child(t, n->parent, n, s);
    return from;
}

// Unlink n, which must be in t, and rebalance. Never fails.
void
vt_remove(struct vma_tree *t, struct vma_node *n)
{
    struct vma_node *from;

    if (n->left && n->right) {
        from = splice_successor(t, n);
    } else {
        from = n->parent;
        replace_child(t, n->parent, n, n->left ? n->left : n->right);
    }
    n->left = n->right = n->parent = NULL;
    t->count--;
    fixup(t, from);
}

// Refresh subtree data from n up to the root. Never fails.
void
vt_update(struct vma_tree *t, struct vma_node *n)
{
    (void)t;
    for (; n; n = n->parent)
        pull(n);
}

// Move n, which is in t, to [start, end) if that keeps order and no overlap.
// Returns 0, or -1 with n unchanged.
int
vt_resize(struct vma_tree *t, struct vma_node *n, uint64_t start, uint64_t end)
{
    struct vma_node *prev = vt_prev(n), *next = vt_next(n);

    if (start >= end)
        return -1;
    if ((prev && start < prev->end) || (next && end > next->start))
        return -1;
    n->start = start;
    n->end = end;
    vt_update(t, n);
    return 0;
}

// ---- gap search ------------------------------------------------------------

// A normalized gap query.
struct gapq {
    uint64_t len, align, lo, hi;
};

// Fill q from the caller's arguments. Returns false if no answer can exist.
static bool
gapq_init(struct gapq *q, uint64_t len, uint64_t align, uint64_t lo,
          uint64_t hi)
{
    if (len == 0 || align == 0 || (align & (align - 1)) != 0)
        return false;
    q->len = len;
    q->align = align;
    q->lo = lo ? lo : 1;            // 0 means "none", so never hand it out
    q->hi = hi;
    return q->lo < hi && hi - q->lo >= len;
}

// Lowest aligned start of q->len bytes inside [gs, ge) and [lo, hi),
// or 0 if they do not fit.
static uint64_t
fit_low(uint64_t gs, uint64_t ge, const struct gapq *q)
{
    uint64_t a;

    gs = max64(gs, q->lo);
    if (ge > q->hi)
        ge = q->hi;
    if (gs > UINT64_MAX - (q->align - 1))
        return 0;
    a = (gs + q->align - 1) & ~(q->align - 1);
    if (a >= ge || ge - a < q->len)
        return 0;
    return a;
}

// Highest aligned start of q->len bytes inside [gs, ge) and [lo, hi),
// or 0 if they do not fit.
static uint64_t
fit_high(uint64_t gs, uint64_t ge, const struct gapq *q)
{
    uint64_t a;

    gs = max64(gs, q->lo);
    if (ge > q->hi)
        ge = q->hi;
    if (ge <= gs || ge - gs < q->len)
        return 0;
    a = (ge - q->len) & ~(q->align - 1);
    return a >= gs ? a : 0;
}

// Lowest fit among the holes of subtree x: the one in front of it, which
// begins at `before` (end of the node preceding x's subtree, or 0), and
// those between its nodes. Returns 0 if none fits.
static uint64_t
gap_up(const struct vma_node *x, uint64_t before, const struct gapq *q)
{
    uint64_t a;

    if (x == NULL || x->max_end <= q->lo || before >= q->hi)
        return 0;
    if (max64(x->min_start - before, x->max_gap) < q->len)
        return 0;
    a = gap_up(x->left, before, q);
    if (a)
        return a;
    a = fit_low(x->left ? x->left->max_end : before, x->start, q);
    if (a)
        return a;
    return gap_up(x->right, x->end, q);
}

// Highest fit among the holes of subtree x: those between its nodes and the
// one behind it, which ends at `after` (start of the node following x's
// subtree, or UINT64_MAX). Returns 0 if none fits.
static uint64_t
gap_down(const struct vma_node *x, uint64_t after, const struct gapq *q)
{
    uint64_t a;

    if (x == NULL || x->min_start >= q->hi || after <= q->lo)
        return 0;
    if (max64(after - x->max_end, x->max_gap) < q->len)
        return 0;
    a = gap_down(x->right, after, q);
    if (a)
        return a;
    a = fit_high(x->end, x->right ? x->right->min_start : after, q);
    if (a)
        return a;
    return gap_down(x->left, x->start, q);
}

// Lowest free aligned block of len bytes in [lo, hi), or 0 if none.
uint64_t
vt_find_gap(const struct vma_tree *t, uint64_t len, uint64_t align,
            uint64_t lo, uint64_t hi)
{
    struct gapq q;
    uint64_t a;

    if (!gapq_init(&q, len, align, lo, hi))
        return 0;
    a = gap_up(t->root, 0, &q);
    if (a)
        return a;
    return fit_low(t->root ? t->root->max_end : 0, UINT64_MAX, &q);
}

// Highest free aligned block of len bytes in [lo, hi), or 0 if none.
uint64_t
vt_find_gap_top(const struct vma_tree *t, uint64_t len, uint64_t align,
                uint64_t lo, uint64_t hi)
{
    struct gapq q;
    uint64_t a;

    if (!gapq_init(&q, len, align, lo, hi))
        return 0;
    a = gap_down(t->root, UINT64_MAX, &q);
    if (a)
        return a;
    return fit_high(0, t->root ? t->root->min_start : UINT64_MAX, &q);
}

// ---- invariant check -------------------------------------------------------

// Check the subtree x (child of parent) whose ranges must all start at or
// after *floor; on success advance *floor to its highest end and add its
// nodes to *seen. Returns x's height (0 if empty) or a negative VT_E* code.
// The depth limit keeps the walk finite on a corrupted, cyclic tree.
static int
check_sub(const struct vma_node *x, const struct vma_node *parent,
          uint64_t *floor, size_t *seen, int depth)
{
    int hl, hr;

    if (x == NULL)
        return 0;
    if (depth > VT_MAX_DEPTH)
        return VT_EDEPTH;
    if (x->parent != parent)
        return VT_EPARENT;
    hl = check_sub(x->left, x, floor, seen, depth + 1);
    if (hl < 0)
        return hl;
    if (x->start >= x->end)
        return VT_ERANGE;
    if (x->start < *floor)
        return VT_EORDER;
    *floor = x->end;
    (*seen)++;
    hr = check_sub(x->right, x, floor, seen, depth + 1);
    if (hr < 0)
        return hr;
    if (x->height != (hl > hr ? hl : hr) + 1)
        return VT_EHEIGHT;
    if (hl - hr > 1 || hr - hl > 1)
        return VT_EBALANCE;
    return x->height;
}

// Check the subtree data of x and everything below it against a fresh
// recomputation. Returns 0 or VT_EAUG. Call only on a tree whose shape
// check_sub accepted.
static int
check_aug(const struct vma_node *x)
{
    struct aug a;

    if (x == NULL)
        return 0;
    if (check_aug(x->left) < 0 || check_aug(x->right) < 0)
        return VT_EAUG;
    a = calc_aug(x);
    if (a.min_start != x->min_start || a.max_end != x->max_end ||
        a.max_gap != x->max_gap)
        return VT_EAUG;
    return 0;
}

// Returns 0 if every invariant holds, else a negative VT_E* code.
int
vt_check(const struct vma_tree *t)
{
    uint64_t floor = 0;
    size_t seen = 0;
    int h;

    if (t->root && t->root->parent != NULL)
        return VT_EPARENT;
    h = check_sub(t->root, NULL, &floor, &seen, 1);
    if (h < 0)
        return h;
    if (seen != t->count)
        return VT_ECOUNT;
    return check_aug(t->root);
}
