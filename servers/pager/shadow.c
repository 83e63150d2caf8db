/* Shadow page tables: a three-level software radix tree per address space.
   See shadow.h for the layout. Levels are numbered like Sv39: 2 is the root,
   0 the leaves. Interior entries hold the child node's address, 0 if none. */
#include "shadow.h"

#define ROOT_LEVEL 2
#define INDEX_MASK (SHADOW_NODE_ENTRIES - 1)

/* Bit position of the va bits that index a node of this level. */
static unsigned level_shift(int level)
{
    return 12 + 9 * (unsigned)level;
}

/* Index of va's entry in a node of this level. */
static unsigned pt_index(uint64_t va, int level)
{
    return (unsigned)(va >> level_shift(level)) & INDEX_MASK;
}

/* The node an interior entry points at (NULL for an empty entry). */
static uint64_t *child_of(uint64_t e)
{
    return (uint64_t *)(uintptr_t)e;
}

/* A new zeroed node from the caller, counted. Returns NULL when none. */
static uint64_t *node_new(struct shadow *s)
{
    uint64_t *n = s->ops->node_alloc(s->ops->ctx);
    if (n)
        s->nodes++;
    return n;
}

/* Give node n back to the caller. Never fails. */
static void node_put(struct shadow *s, uint64_t *n)
{
    s->ops->node_free(s->ops->ctx, n);
    s->nodes--;
}

/* True if every entry of node n is 0. */
static bool node_empty(const uint64_t *n)
{
    for (unsigned i = 0; i < SHADOW_NODE_ENTRIES; i++)
        if (n[i])
            return false;
    return true;
}

/* The entries [*lo, *hi] of a node of this level covering addresses from
   base that intersect [start, last] (inclusive; the node must intersect it). */
static void node_range(int level, uint64_t base, uint64_t start, uint64_t last,
                       unsigned *lo, unsigned *hi)
{
    unsigned shift = level_shift(level);
    uint64_t h = (last - base) >> shift;
    *lo = start > base ? (unsigned)((start - base) >> shift) : 0;
    *hi = h > INDEX_MASK ? INDEX_MASK : (unsigned)h;
}

/* The leaf node covering va, allocating missing nodes if alloc. Returns NULL
   when the tree is gone, va is not a user address, a node is missing and
   !alloc, or allocation fails. */
static uint64_t *leaf_find(struct shadow *s, uint64_t va, bool alloc)
{
    if (s->root == NULL || va >= SHADOW_VA_LIMIT)
        return NULL;
    uint64_t *node = s->root;
    for (int level = ROOT_LEVEL; level > 0; level--) {
        uint64_t *e = &node[pt_index(va, level)];
        if (*e == 0) {
            uint64_t *c = alloc ? node_new(s) : NULL;
            if (c == NULL)
                return NULL;
            *e = (uint64_t)(uintptr_t)c;
        }
        node = child_of(*e);
    }
    return node;
}

/* Returns 0, or -1 when the root node cannot be allocated. */
int shadow_init(struct shadow *s, const struct shadow_ops *ops)
{
    s->ops = ops;
    s->nodes = 0;
    s->visits = 0;
    s->root = node_new(s);
    return s->root ? 0 : -1;
}

/* Drop every entry below node (of this level, covering from base) and free
   the subtree, node included. Never fails. */
static void destroy_node(struct shadow *s, uint64_t *node, int level, uint64_t base,
                         void (*drop)(void *, uint64_t, spte_t), void *arg)
{
    unsigned shift = level_shift(level);
    for (unsigned i = 0; i < SHADOW_NODE_ENTRIES; i++) {
        uint64_t e = node[i];
        uint64_t va = base + ((uint64_t)i << shift);
        if (e == 0)
            continue;
        if (level > 0)
            destroy_node(s, child_of(e), level - 1, va, drop, arg);
        else if (drop)
            drop(arg, va, e);
    }
    node_put(s, node);
}

/* Never fails; a tree already destroyed is left alone. */
void shadow_destroy(struct shadow *s, void (*drop)(void *arg, uint64_t va, spte_t e),
                    void *arg)
{
    if (s->root == NULL)
        return;
    destroy_node(s, s->root, ROOT_LEVEL, 0, drop, arg);
    s->root = NULL;
}

/* Returns NULL when out of memory or va is not a user address. */
spte_t *shadow_slot(struct shadow *s, uint64_t va)
{
    uint64_t *leaf = leaf_find(s, va, true);
    return leaf ? &leaf[pt_index(va, 0)] : NULL;
}

/* A traversal of the present leaves of a tree over a range: `leaf` is called
   for each leaf node with the entry range [lo, hi] to handle. */
struct visitor {
    int (*leaf)(struct visitor *v, uint64_t *leaf, uint64_t base, unsigned lo, unsigned hi);
    struct shadow *s;                                    /* tree visited */
    void (*walk_fn)(void *, uint64_t, spte_t *);        /* shadow_walk */
    void (*copy_fn)(void *, uint64_t, spte_t *, spte_t *); /* shadow_copy */
    struct shadow *dst;                                  /* shadow_copy */
    void (*run_fn)(void *, uint64_t, spte_t *, spte_t *, unsigned); /* the _runs variants */
    void *arg;
    size_t count;                                        /* entries handled */
};

/* Visit the leaves under node (of this level, covering from base) that
   intersect [start, last]. Returns 0, or the first nonzero leaf result. */
static int visit(struct visitor *v, uint64_t *node, int level, uint64_t base,
                 uint64_t start, uint64_t last)
{
    unsigned lo, hi, shift = level_shift(level);
    v->s->visits++;
    node_range(level, base, start, last, &lo, &hi);
    if (level == 0)
        return v->leaf(v, node, base, lo, hi);
    for (unsigned i = lo; i <= hi; i++) {
        if (node[i] == 0)
            continue;
        uint64_t cbase = base + ((uint64_t)i << shift);
        int r = visit(v, child_of(node[i]), level - 1, cbase, start, last);
        if (r)
            return r;
    }
    return 0;
}

/* Start a traversal of v->s over [start, end). Returns 0 without visiting
   anything when the tree is gone or the range is empty, else as visit(). */
static int visit_range(struct visitor *v, uint64_t start, uint64_t end)
{
    v->s->visits = 0;
    if (v->s->root == NULL)
        return 0;
    if (end > SHADOW_VA_LIMIT)
        end = SHADOW_VA_LIMIT;
    if (start >= end)
        return 0;
    return visit(v, v->s->root, ROOT_LEVEL, 0, start, end - 1);
}

/* shadow_walk's leaf handler. Never fails (returns 0). */
static int walk_leaf(struct visitor *v, uint64_t *leaf, uint64_t base, unsigned lo, unsigned hi)
{
    for (unsigned i = lo; i <= hi; i++) {
        if (leaf[i] == 0)
            continue;
        v->walk_fn(v->arg, base + ((uint64_t)i << 12), &leaf[i]);
        v->count++;
    }
    return 0;
}

/* Returns the number of entries visited; 0 for an empty range or no fn. */
size_t shadow_walk(struct shadow *s, uint64_t start, uint64_t end,
                   void (*fn)(void *arg, uint64_t va, spte_t *e), void *arg)
{
    struct visitor v = { .leaf = walk_leaf, .s = s, .walk_fn = fn, .arg = arg };
    if (fn == NULL)
        return 0;
    visit_range(&v, start, end);
    return v.count;
}

/* shadow_copy's leaf handler: the destination leaf is found (or made) once,
   at the first entry to copy. Returns 0, or -1 when out of memory. */
static int copy_leaf(struct visitor *v, uint64_t *leaf, uint64_t base, unsigned lo, unsigned hi)
{
    uint64_t *dleaf = NULL;
    for (unsigned i = lo; i <= hi; i++) {
        uint64_t va = base + ((uint64_t)i << 12);
        if (leaf[i] == 0)
            continue;
        if (dleaf == NULL && (dleaf = leaf_find(v->dst, va, true)) == NULL)
            return -1;
        dleaf[i] = leaf[i];
        if (v->copy_fn)
            v->copy_fn(v->arg, va, &leaf[i], &dleaf[i]);
        v->count++;
    }
    return 0;
}

/* Returns 0, or -1 when out of memory (or dst has no tree or is src). */
int shadow_copy(struct shadow *dst, struct shadow *src, uint64_t start, uint64_t end,
                void (*fn)(void *arg, uint64_t va, spte_t *se, spte_t *de), void *arg)
{
    struct visitor v = { .leaf = copy_leaf, .s = src, .copy_fn = fn, .dst = dst, .arg = arg };
    if (dst == src || dst->root == NULL)
        return -1;
    return visit_range(&v, start, end) ? -1 : 0;
}

/* Free the empty nodes among the children of node (of this level >= 1,
   covering from base) and their descendants that intersect [start, last].
   Never fails. */
static void prune_node(struct shadow *s, uint64_t *node, int level, uint64_t base,
                       uint64_t start, uint64_t last)
{
    unsigned lo, hi, shift = level_shift(level);
    node_range(level, base, start, last, &lo, &hi);
    for (unsigned i = lo; i <= hi; i++) {
        uint64_t *c = child_of(node[i]);
        if (c == NULL)
            continue;
        if (level > 1)
            prune_node(s, c, level - 1, base + ((uint64_t)i << shift), start, last);
        if (node_empty(c)) {
            node[i] = 0;
            node_put(s, c);
        }
    }
}

/* Never fails; the root always stays. */
void shadow_prune(struct shadow *s, uint64_t start, uint64_t end)
{
    if (s->root == NULL)
        return;
    if (end > SHADOW_VA_LIMIT)
        end = SHADOW_VA_LIMIT;
    if (start >= end)
        return;
    prune_node(s, s->root, ROOT_LEVEL, 0, start, end - 1);
}

/* shadow_copy_runs's leaf handler: copy the leaf's entries in [lo, hi] into
   dst's leaf (made if needed) and hand both runs to the callback at once. */
static int copy_run_leaf(struct visitor *v, uint64_t *leaf, uint64_t base, unsigned lo, unsigned hi)
{
    unsigned i = lo;
    while (i <= hi && leaf[i] == 0)
        i++;
    if (i > hi)
        return 0;
    uint64_t *dleaf = leaf_find(v->dst, base + ((uint64_t)i << 12), true);
    if (dleaf == NULL)
        return -1;
    for (unsigned k = i; k <= hi; k++)
        dleaf[k] = leaf[k];
    v->run_fn(v->arg, base + ((uint64_t)i << 12), &leaf[i], &dleaf[i], hi - i + 1);
    v->count += hi - i + 1;
    return 0;
}

/* Returns 0, or -1 when out of memory (or dst has no tree or is src). */
int shadow_copy_runs(struct shadow *dst, struct shadow *src, uint64_t start, uint64_t end,
                     void (*fn)(void *arg, uint64_t va, spte_t *se, spte_t *de, unsigned n), void *arg)
{
    struct visitor v = { .leaf = copy_run_leaf, .s = src, .run_fn = fn, .dst = dst, .arg = arg };
    if (dst == src || dst->root == NULL || fn == NULL)
        return -1;
    return visit_range(&v, start, end) ? -1 : 0;
}

/* shadow_walk_runs's leaf handler. Never fails. */
static int walk_run_leaf(struct visitor *v, uint64_t *leaf, uint64_t base, unsigned lo, unsigned hi)
{
    v->run_fn(v->arg, base + ((uint64_t)lo << 12), &leaf[lo], NULL, hi - lo + 1);
    v->count += hi - lo + 1;
    return 0;
}

void shadow_walk_runs(struct shadow *s, uint64_t start, uint64_t end,
                      void (*fn)(void *arg, uint64_t va, spte_t *e, spte_t *unused, unsigned n), void *arg)
{
    struct visitor v = { .leaf = walk_run_leaf, .s = s, .run_fn = fn, .arg = arg };
    if (fn)
        visit_range(&v, start, end);
}
