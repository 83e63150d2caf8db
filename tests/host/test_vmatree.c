// Host unit tests for servers/pager/vmatree.c.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vmatree.h"

// ---- helpers -----------------------------------------------------------------

// What a caller of the tree embeds the node in.
struct item {
    int id;
    bool in;                 // linked into the tree (used by the random test)
    struct vma_node node;
};

#define PG 0x1000ULL

// Set it's range (without linking it).
static void
set_range(struct item *it, uint64_t start, uint64_t end)
{
    it->node.start = start;
    it->node.end = end;
}

// Set it's range and insert it. Returns vt_insert's result.
static int
put(struct vma_tree *t, struct item *it, uint64_t start, uint64_t end)
{
    set_range(it, start, end);
    return vt_insert(t, &it->node);
}

// The item a node belongs to, or NULL for NULL.
static struct item *
item_of(struct vma_node *n)
{
    return n ? vt_entry(n, struct item, node) : NULL;
}

// Store the starts of t in order into out (up to max). Returns how many
// nodes the walk met (may exceed max).
static size_t
starts(const struct vma_tree *t, uint64_t *out, size_t max)
{
    size_t k = 0;
    for (struct vma_node *n = vt_first(t); n; n = vt_next(n)) {
        if (k < max)
            out[k] = n->start;
        k++;
        if (k > t->count + 1)     // a broken tree must not loop forever
            break;
    }
    return k;
}

// True if t holds exactly the nodes starting at want[0..n) (in order).
static bool
holds(const struct vma_tree *t, const uint64_t *want, size_t n)
{
    uint64_t got[64];
    if (t->count != n || n > 64)
        return false;
    if (starts(t, got, 64) != n)
        return false;
    return memcmp(got, want, n * sizeof *want) == 0;
}

// Tree height (0 when empty).
static int
tree_height(const struct vma_tree *t)
{
    return t->root ? t->root->height : 0;
}

// True if h <= 1.45 * log2(n + 2), i.e. 2^(20h) <= (n + 2)^29; computed
// with doubles by repeated multiplication so no libm is needed.
static bool
height_ok(int h, size_t n)
{
    double lhs = 1.0, rhs = 1.0;
    for (int i = 0; i < 20 * h; i++)
        lhs *= 2.0;
    for (int i = 0; i < 29; i++)
        rhs *= (double)(n + 2);
    return lhs <= rhs;
}

// Deterministic PRNG (splitmix64).
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Uniform-ish value in [0, n); n > 0.
static uint64_t
rnd_below(uint64_t n)
{
    return rnd() % n;
}

// ---- basics ------------------------------------------------------------------

static void
test_empty(void)
{
    struct vma_tree t;
    vt_init(&t);
    CHECK(t.root == NULL && t.count == 0);
    CHECK(vt_check(&t) == 0);
    CHECK(vt_first(&t) == NULL);
    CHECK(vt_last(&t) == NULL);
    CHECK(vt_find(&t, 0) == NULL);
    CHECK(vt_find(&t, UINT64_MAX) == NULL);
    CHECK(vt_first_at_or_after(&t, 0) == NULL);
    CHECK(vt_range_free(&t, 0, UINT64_MAX));
}

static void
test_insert_find(void)
{
    struct vma_tree t;
    struct item a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    vt_init(&t);

    REQUIRE(put(&t, &b, 0x3000, 0x5000) == 0);
    REQUIRE(put(&t, &c, 0x8000, 0x9000) == 0);
    REQUIRE(put(&t, &a, 0x1000, 0x2000) == 0);
    CHECK(t.count == 3);
    CHECK(vt_check(&t) == 0);

    CHECK(item_of(vt_find(&t, 0x1000)) == &a);
    CHECK(item_of(vt_find(&t, 0x1fff)) == &a);
    CHECK(vt_find(&t, 0x2000) == NULL);
    CHECK(vt_find(&t, 0x2fff) == NULL);
    CHECK(item_of(vt_find(&t, 0x3000)) == &b);
    CHECK(item_of(vt_find(&t, 0x4abc)) == &b);
    CHECK(vt_find(&t, 0x5000) == NULL);
    CHECK(item_of(vt_find(&t, 0x8fff)) == &c);
    CHECK(vt_find(&t, 0x9000) == NULL);
    CHECK(vt_find(&t, 0) == NULL);
    CHECK(vt_find(&t, 0xfff) == NULL);
    CHECK(vt_find(&t, UINT64_MAX) == NULL);
    CHECK(item_of(vt_find(&t, 0x3000))->id == 2);

    // Ranges at both ends of the address space.
    struct item lo = {.id = 4}, hi = {.id = 5};
    REQUIRE(put(&t, &lo, 0, 1) == 0);
    REQUIRE(put(&t, &hi, UINT64_MAX - 1, UINT64_MAX) == 0);
    CHECK(item_of(vt_find(&t, 0)) == &lo);
    CHECK(vt_find(&t, 1) == NULL);
    CHECK(item_of(vt_find(&t, UINT64_MAX - 1)) == &hi);
    CHECK(vt_find(&t, UINT64_MAX) == NULL);
    CHECK(vt_check(&t) == 0);
    CHECK(t.count == 5);
}

// ---- overlap rejection -------------------------------------------------------

static void
test_overlap_rejected(void)
{
    struct vma_tree t;
    struct item base = {0}, other = {0}, x = {0};
    vt_init(&t);
    REQUIRE(put(&t, &base, 0x1000, 0x3000) == 0);
    REQUIRE(put(&t, &other, 0x6000, 0x7000) == 0);
    const uint64_t want[] = {0x1000, 0x6000};

    static const struct { uint64_t s, e; const char *what; } bad[] = {
        {0x1000, 0x3000, "equal"},
        {0x1800, 0x2000, "contained"},
        {0x1000, 0x1001, "contained at start"},
        {0x2fff, 0x3000, "contained at end"},
        {0x0800, 0x4000, "containing"},
        {0x0800, 0x1001, "straddling left"},
        {0x2fff, 0x4000, "straddling right"},
        {0x2000, 0x6800, "spanning two nodes"},
        {0x0000, UINT64_MAX, "everything"},
        {0x5000, 0x5000, "empty"},
        {0x5000, 0x4000, "inverted"},
        {0x1800, 0x1800, "empty inside a node"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vma_node *sentinel = (struct vma_node *)&bad[i];
        set_range(&x, bad[i].s, bad[i].e);
        x.node.left = x.node.right = x.node.parent = sentinel;
        CHECKF(vt_insert(&t, &x.node) == -1, "%s accepted", bad[i].what);
        CHECKF(holds(&t, want, 2), "%s changed the tree", bad[i].what);
        CHECKF(vt_check(&t) == 0, "%s broke the tree", bad[i].what);
        CHECKF(x.node.left == sentinel && x.node.parent == sentinel,
               "%s touched the node's links", bad[i].what);
    }

    // Touching ranges are not overlapping.
    struct item l = {0}, r = {0}, mid = {0};
    CHECK(put(&t, &l, 0x0800, 0x1000) == 0);
    CHECK(put(&t, &r, 0x3000, 0x3800) == 0);
    CHECK(put(&t, &mid, 0x3800, 0x6000) == 0);
    const uint64_t want2[] = {0x0800, 0x1000, 0x3000, 0x3800, 0x6000};
    CHECK(holds(&t, want2, 5));
    CHECK(vt_check(&t) == 0);
}

// ---- removal -----------------------------------------------------------------

// Insert items with starts k * PG (len PG/2) for the keys in order.
static void
build(struct vma_tree *t, struct item *items, const int *keys, size_t n)
{
    vt_init(t);
    for (size_t i = 0; i < n; i++) {
        items[keys[i]].id = keys[i];
        put(t, &items[keys[i]], (uint64_t)keys[i] * PG,
            (uint64_t)keys[i] * PG + PG / 2);
    }
}

// True if the node was fully unlinked by vt_remove.
static bool
unlinked(const struct item *it)
{
    return it->node.left == NULL && it->node.right == NULL &&
           it->node.parent == NULL;
}

static void
test_remove_leaf(void)
{
    struct vma_tree t;
    struct item it[64] = {0};
    const int keys[] = {20, 10, 30, 5};
    build(&t, it, keys, 4);
    REQUIRE(vt_check(&t) == 0);
    REQUIRE(it[5].node.left == NULL && it[5].node.right == NULL);

    vt_remove(&t, &it[5].node);
    const uint64_t want[] = {10 * PG, 20 * PG, 30 * PG};
    CHECK(holds(&t, want, 3));
    CHECK(vt_check(&t) == 0);
    CHECK(unlinked(&it[5]));
    CHECK(vt_find(&t, 5 * PG) == NULL);

    // A leaf whose removal unbalances its grandparent.
    const int keys2[] = {20, 10, 30, 5};
    build(&t, it, keys2, 4);
    vt_remove(&t, &it[30].node);
    CHECK(vt_check(&t) == 0);
    CHECK(tree_height(&t) == 2);
    CHECK(item_of(t.root) == &it[10]);
}

static void
test_remove_one_child(void)
{
    struct vma_tree t;
    struct item it[64] = {0};
    const int keys[] = {20, 10, 30, 5, 35};
    build(&t, it, keys, 5);
    REQUIRE(vt_check(&t) == 0);
    REQUIRE(it[10].node.left == &it[5].node && it[10].node.right == NULL);
    REQUIRE(it[30].node.left == NULL && it[30].node.right == &it[35].node);

    vt_remove(&t, &it[10].node);
    CHECK(vt_check(&t) == 0);
    CHECK(it[20].node.left == &it[5].node);
    CHECK(it[5].node.parent == &it[20].node);
    vt_remove(&t, &it[30].node);
    CHECK(vt_check(&t) == 0);
    const uint64_t want[] = {5 * PG, 20 * PG, 35 * PG};
    CHECK(holds(&t, want, 3));
    CHECK(unlinked(&it[10]) && unlinked(&it[30]));
}

static void
test_remove_two_children(void)
{
    struct vma_tree t;
    struct item it[64] = {0};
    // Successor is the right child itself.
    const int keys[] = {20, 10, 30, 5, 15, 25, 35};
    build(&t, it, keys, 7);
    REQUIRE(it[10].node.left && it[10].node.right == &it[15].node);
    vt_remove(&t, &it[10].node);
    CHECK(vt_check(&t) == 0);
    const uint64_t want[] = {5 * PG, 15 * PG, 20 * PG, 25 * PG, 30 * PG,
                             35 * PG};
    CHECK(holds(&t, want, 6));

    // Successor deeper down: 30's successor is 32, left child of 35.
    const int keys2[] = {20, 10, 30, 5, 15, 25, 35, 32, 40};
    build(&t, it, keys2, 9);
    REQUIRE(vt_check(&t) == 0);
    REQUIRE(it[30].node.right == &it[35].node &&
            it[35].node.left == &it[32].node);
    vt_remove(&t, &it[30].node);
    CHECK(vt_check(&t) == 0);
    CHECK(it[20].node.right == &it[32].node);
    const uint64_t want2[] = {5 * PG, 10 * PG, 15 * PG, 20 * PG, 25 * PG,
                              32 * PG, 35 * PG, 40 * PG};
    CHECK(holds(&t, want2, 8));
    CHECK(unlinked(&it[30]));
}

static void
test_remove_root(void)
{
    struct vma_tree t;
    struct item it[64] = {0};

    // Lone root.
    const int k1[] = {20};
    build(&t, it, k1, 1);
    vt_remove(&t, &it[20].node);
    CHECK(t.root == NULL && t.count == 0);
    CHECK(vt_check(&t) == 0);

    // Root with one child.
    const int k2[] = {20, 30};
    build(&t, it, k2, 2);
    vt_remove(&t, &it[20].node);
    CHECK(t.root == &it[30].node && it[30].node.parent == NULL);
    CHECK(vt_check(&t) == 0);

    // Root with two children, successor deep (20 -> 22).
    const int k3[] = {20, 10, 30, 5, 15, 25, 35, 22};
    build(&t, it, k3, 8);
    REQUIRE(t.root == &it[20].node);
    vt_remove(&t, &it[20].node);
    CHECK(t.root == &it[22].node && it[22].node.parent == NULL);
    CHECK(vt_check(&t) == 0);
    const uint64_t want[] = {5 * PG, 10 * PG, 15 * PG, 22 * PG, 25 * PG,
                             30 * PG, 35 * PG};
    CHECK(holds(&t, want, 7));

    // Remove the root until empty; the node can be reinserted afterwards.
    while (t.root) {
        vt_remove(&t, t.root);
        CHECK(vt_check(&t) == 0);
    }
    CHECK(t.count == 0);
    CHECK(put(&t, &it[20], 20 * PG, 21 * PG) == 0);
    CHECK(vt_check(&t) == 0 && t.count == 1);
}

// ---- iteration and lookups ---------------------------------------------------

static void
test_iteration(void)
{
    enum { N = 1000 };
    static struct item it[N];
    static int order[N];
    struct vma_tree t;
    vt_init(&t);
    rng_state = 7;
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = N - 1; i > 0; i--) {            // shuffle
        int j = (int)rnd_below((uint64_t)i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (int i = 0; i < N; i++) {
        int k = order[i];
        it[k].id = k;
        REQUIRE(put(&t, &it[k], (uint64_t)k * 3 * PG,
                    (uint64_t)k * 3 * PG + PG) == 0);
    }
    REQUIRE(vt_check(&t) == 0);

    int k = 0;
    for (struct vma_node *n = vt_first(&t); n; n = vt_next(n), k++) {
        REQUIRE(k < N);
        CHECKF(item_of(n)->id == k, "forward: got %d want %d",
               item_of(n)->id, k);
    }
    CHECK(k == N);
    k = N - 1;
    for (struct vma_node *n = vt_last(&t); n; n = vt_prev(n), k--) {
        REQUIRE(k >= 0);
        CHECKF(item_of(n)->id == k, "backward: got %d want %d",
               item_of(n)->id, k);
    }
    CHECK(k == -1);
    CHECK(vt_prev(vt_first(&t)) == NULL);
    CHECK(vt_next(vt_last(&t)) == NULL);
}

static void
test_first_at_or_after(void)
{
    struct vma_tree t;
    struct item a = {0}, b = {0};
    vt_init(&t);
    REQUIRE(put(&t, &a, 10, 20) == 0);
    REQUIRE(put(&t, &b, 30, 40) == 0);

    CHECK(item_of(vt_first_at_or_after(&t, 0)) == &a);
    CHECK(item_of(vt_first_at_or_after(&t, 9)) == &a);
    CHECK(item_of(vt_first_at_or_after(&t, 10)) == &a);
    CHECK(item_of(vt_first_at_or_after(&t, 19)) == &a);
    CHECK(item_of(vt_first_at_or_after(&t, 20)) == &b);
    CHECK(item_of(vt_first_at_or_after(&t, 25)) == &b);
    CHECK(item_of(vt_first_at_or_after(&t, 39)) == &b);
    CHECK(vt_first_at_or_after(&t, 40) == NULL);
    CHECK(vt_first_at_or_after(&t, UINT64_MAX) == NULL);
}

static void
test_range_free(void)
{
    struct vma_tree t;
    struct item a = {0}, b = {0}, c = {0};
    vt_init(&t);
    REQUIRE(put(&t, &a, 10, 20) == 0);
    REQUIRE(put(&t, &b, 30, 40) == 0);
    REQUIRE(put(&t, &c, 41, 42) == 0);

    // Against brute force over every small range.
    for (uint64_t s = 0; s < 60; s++) {
        for (uint64_t e = 0; e < 60; e++) {
            bool want = true;
            for (uint64_t x = s; x < e; x++)
                if ((x >= 10 && x < 20) || (x >= 30 && x < 40) || x == 41)
                    want = false;
            CHECKF(vt_range_free(&t, s, e) == want,
                   "[%llu,%llu) want %d", (unsigned long long)s,
                   (unsigned long long)e, want);
        }
    }
    CHECK(!vt_range_free(&t, 0, UINT64_MAX));
    CHECK(vt_range_free(&t, 42, UINT64_MAX));
    CHECK(vt_range_free(&t, 15, 15));      // empty is always free
}

// ---- resize in place ---------------------------------------------------------

static void
test_resize(void)
{
    struct vma_tree t;
    struct item a = {0}, b = {0}, c = {0};
    vt_init(&t);
    REQUIRE(put(&t, &a, 0x1000, 0x2000) == 0);
    REQUIRE(put(&t, &b, 0x3000, 0x4000) == 0);
    REQUIRE(put(&t, &c, 0x6000, 0x7000) == 0);

    // Grow into free space right up to both neighbours.
    CHECK(vt_resize(&t, &b.node, 0x2000, 0x6000) == 0);
    CHECK(vt_check(&t) == 0);
    CHECK(item_of(vt_find(&t, 0x2000)) == &b);
    CHECK(item_of(vt_find(&t, 0x5fff)) == &b);
    CHECK(vt_find_gap(&t, 1, 1, 0x1000, 0x7000) == 0);

    // Rejected changes leave the node alone.
    CHECK(vt_resize(&t, &b.node, 0x1fff, 0x6000) == -1);
    CHECK(vt_resize(&t, &b.node, 0x2000, 0x6001) == -1);
    CHECK(vt_resize(&t, &b.node, 0x3000, 0x3000) == -1);
    CHECK(vt_resize(&t, &b.node, 0x4000, 0x3000) == -1);
    CHECK(b.node.start == 0x2000 && b.node.end == 0x6000);
    CHECK(vt_check(&t) == 0);

    // Shrink; the hole shows up in gap searches.
    CHECK(vt_resize(&t, &b.node, 0x3000, 0x3800) == 0);
    CHECK(vt_check(&t) == 0);
    CHECK(vt_find_gap(&t, 0x2000, 0x1000, 0x1000, 0x10000) == 0x4000);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x1000, 0x10000) == 0x2000);

    // Direct assignment followed by vt_update.
    c.node.start = 0x6800;
    vt_update(&t, &c.node);
    CHECK(vt_check(&t) == 0);
    CHECK(vt_find_gap_top(&t, 0x800, 0x800, 0, 0x6800) == 0x6000);
    CHECK(vt_find(&t, 0x6000) == NULL);

    // First and last nodes may move freely on their open side.
    CHECK(vt_resize(&t, &a.node, 0, 0x3000) == 0);
    CHECK(vt_resize(&t, &c.node, 0x3800, UINT64_MAX) == 0);
    CHECK(vt_check(&t) == 0);
    CHECK(vt_range_free(&t, 0, UINT64_MAX) == false);
    CHECK(vt_find_gap(&t, 1, 1, 0, UINT64_MAX) == 0);
}

// ---- gap search --------------------------------------------------------------

// Tree used by the gap tests: [0x1000,0x3000) [0x4000,0x5000) [0x9000,0xa000).
static void
gap_tree(struct vma_tree *t, struct item *it)
{
    vt_init(t);
    put(t, &it[0], 0x1000, 0x3000);
    put(t, &it[1], 0x4000, 0x5000);
    put(t, &it[2], 0x9000, 0xa000);
}

static void
test_find_gap(void)
{
    struct vma_tree t;
    struct item it[3] = {{0}};
    gap_tree(&t, it);
    REQUIRE(t.count == 3 && vt_check(&t) == 0);
    const uint64_t H = 0x100000;

    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0, H) == 0x3000);
    CHECK(vt_find_gap(&t, 0x2000, 0x1000, 0, H) == 0x5000);
    CHECK(vt_find_gap(&t, 0x4000, 0x1000, 0, H) == 0x5000);
    CHECK(vt_find_gap(&t, 0x4001, 0x1000, 0, H) == 0xa000);
    // Alignment.
    CHECK(vt_find_gap(&t, 0x2000, 0x4000, 0, H) == 0xc000);
    CHECK(vt_find_gap(&t, 0x1000, 0x2000, 0, H) == 0x6000);
    CHECK(vt_find_gap(&t, 0x100, 0x100, 0, H) == 0x100);
    // Address 0 is never returned; lo 0 starts at 1.
    CHECK(vt_find_gap(&t, 0x800, 1, 0, H) == 1);
    CHECK(vt_find_gap(&t, 0x1000, 1, 0, H) == 0x3000);
    // lo bound.
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x3800, H) == 0x5000);
    CHECK(vt_find_gap(&t, 0x800, 0x100, 0x3800, H) == 0x3800);
    CHECK(vt_find_gap(&t, 0x800, 0x100, 0x3801, H) == 0x5000);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x9000, H) == 0xa000);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x20000, H) == 0x20000);
    // hi bound.
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x5000, 0x6000) == 0x5000);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x5000, 0x5fff) == 0);
    CHECK(vt_find_gap(&t, 0x4000, 1, 0x1000, 0x9000) == 0x5000);
    CHECK(vt_find_gap(&t, 0x4000, 1, 0x1000, 0x8fff) == 0);
    // No gap at all.
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, 0x1000, 0x3000) == 0);
    CHECK(vt_find_gap(&t, 1, 1, 0x9000, 0xa000) == 0);
    CHECK(vt_find_gap(&t, UINT64_MAX, 1, 0, UINT64_MAX) == 0);
    // Bad arguments.
    CHECK(vt_find_gap(&t, 0, 0x1000, 0, H) == 0);
    CHECK(vt_find_gap(&t, 0x1000, 0, 0, H) == 0);
    CHECK(vt_find_gap(&t, 0x1000, 0x3000, 0, H) == 0);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, H, H) == 0);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, H, 0x1000) == 0);
    // Near the top of the address space: no wrap-around.
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, UINT64_MAX - 5, UINT64_MAX) == 0);
    CHECK(vt_find_gap(&t, 0x10, 0x10, UINT64_MAX - 0x20, UINT64_MAX) ==
          (UINT64_MAX & ~0xfULL) - 0x10);
    CHECK(vt_find_gap(&t, 1ULL << 63, 1ULL << 63, 0, UINT64_MAX) ==
          0);                                    // 2^63 + 2^63 > UINT64_MAX
    CHECK(vt_find_gap(&t, 1ULL << 62, 1ULL << 62, 0, UINT64_MAX) ==
          1ULL << 62);

    // Empty tree.
    struct vma_tree e;
    vt_init(&e);
    CHECK(vt_find_gap(&e, 0x1000, 1, 0, H) == 1);
    CHECK(vt_find_gap(&e, 0x1000, 0x1000, 0, H) == 0x1000);
    CHECK(vt_find_gap(&e, H, 0x1000, 0, H) == 0);
}

static void
test_find_gap_top(void)
{
    struct vma_tree t;
    struct item it[3] = {{0}};
    gap_tree(&t, it);
    REQUIRE(t.count == 3 && vt_check(&t) == 0);

    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, 0x10000) == 0xf000);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, 0xa000) == 0x8000);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, 0x9800) == 0x8000);
    CHECK(vt_find_gap_top(&t, 0x800, 0x800, 0, 0x9800) == 0x8800);
    CHECK(vt_find_gap_top(&t, 0x4000, 0x1000, 0, 0xa000) == 0x5000);
    CHECK(vt_find_gap_top(&t, 0x4001, 1, 0, 0xa000) == 0);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, 0x5000) == 0x3000);
    // Alignment pushes the block down.
    CHECK(vt_find_gap_top(&t, 0x1000, 0x4000, 0, 0xa000) == 0x8000);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x4000, 0, 0x8fff) == 0);
    CHECK(vt_find_gap_top(&t, 0x1800, 0x2000, 0, 0xa000) == 0x6000);
    // The hole in front of the first node; 0 is never returned.
    CHECK(vt_find_gap_top(&t, 0x800, 0x800, 0, 0x1000) == 0x800);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, 0x1000) == 0);
    CHECK(vt_find_gap_top(&t, 0xfff, 1, 0, 0x1000) == 1);
    // lo bound.
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0x5800, 0x9000) == 0x8000);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0x8001, 0x9000) == 0);
    CHECK(vt_find_gap_top(&t, 0x1000, 1, 0x8000, 0x9000) == 0x8000);
    // Bad arguments.
    CHECK(vt_find_gap_top(&t, 0, 1, 0, 0x10000) == 0);
    CHECK(vt_find_gap_top(&t, 1, 6, 0, 0x10000) == 0);
    CHECK(vt_find_gap_top(&t, 1, 1, 0x10000, 0x10000) == 0);

    // The very top of the address space.
    const uint64_t T = UINT64_MAX & ~0xfffULL;
    struct item top = {0};
    REQUIRE(put(&t, &top, T - 0x3000, T - 0x2000) == 0);
    CHECK(vt_find_gap_top(&t, 0x1000, 0x1000, 0, UINT64_MAX) == T - 0x1000);
    CHECK(vt_find_gap_top(&t, 0x2000, 0x1000, 0, UINT64_MAX) == T - 0x2000);
    CHECK(vt_find_gap_top(&t, 0x3000, 0x1000, 0, UINT64_MAX) == T - 0x6000);
    CHECK(vt_find_gap_top(&t, 0x1000, 1, 0, UINT64_MAX) ==
          UINT64_MAX - 0x1000);
    CHECK(vt_find_gap(&t, 0x1000, 0x1000, T - 0x3000, UINT64_MAX) ==
          T - 0x2000);

    struct vma_tree e;
    vt_init(&e);
    CHECK(vt_find_gap_top(&e, 0x1000, 0x1000, 0, 0x10000) == 0xf000);
    CHECK(vt_find_gap_top(&e, UINT64_MAX - 1, 1, 0, UINT64_MAX) == 1);
    CHECK(vt_find_gap_top(&e, UINT64_MAX, 1, 0, UINT64_MAX) == 0);
}

// Gap searches over a long, fragmented tree agree with a linear scan and
// find a hole that sits far from the ends (exercises subtree pruning).
static void
test_find_gap_large(void)
{
    enum { N = 4096 };
    static struct item it[N];
    struct vma_tree t;
    vt_init(&t);
    // Node i is [(i+1)*4 pages, +3 pages): one-page holes between nodes,
    // except a 9-page hole after node 3000 (and 4 pages in front).
    for (uint64_t i = 0; i < N; i++) {
        uint64_t s = (i + 1) * 4 * PG + (i > 3000 ? 8 * PG : 0);
        REQUIRE(put(&t, &it[i], s, s + 3 * PG) == 0);
    }
    REQUIRE(vt_check(&t) == 0);
    uint64_t hole = 3002 * 4 * PG - PG;          // end of node 3000
    CHECK(vt_find_gap(&t, 9 * PG, 1, 0, UINT64_MAX) == hole);
    CHECK(vt_find_gap_top(&t, 9 * PG, 1, 0, 4097 * 4 * PG) == hole);
    CHECK(vt_find_gap(&t, 9 * PG, 8 * PG, 0, 4097 * 4 * PG) == 0);
    CHECK(vt_find_gap(&t, PG, PG, 5 * PG, UINT64_MAX) == 7 * PG);
    CHECK(vt_find_gap(&t, 2 * PG, 1, 4 * PG, UINT64_MAX) == hole);
    CHECK(vt_find_gap(&t, 2 * PG, 1, PG, UINT64_MAX) == PG);
    CHECK(vt_find_gap_top(&t, PG, PG, 0, 4 * PG * 1000) ==
          4 * PG * 1000 - PG);
    CHECK(vt_find_gap_top(&t, 2 * PG, 1, 0, hole) == 2 * PG);
}

// ---- invariant checker -------------------------------------------------------

static void
test_check_detects(void)
{
    struct vma_tree t;
    struct item it[64] = {0};
    const int keys[] = {20, 10, 30, 5, 15, 25, 35};
    build(&t, it, keys, 7);
    REQUIRE(vt_check(&t) == 0);
    struct vma_node *leaf = &it[35].node, *mid = &it[30].node;

    t.root->parent = mid;
    CHECK(vt_check(&t) == VT_EPARENT);
    t.root->parent = NULL;

    leaf->parent = &it[10].node;
    CHECK(vt_check(&t) == VT_EPARENT);
    leaf->parent = mid;

    uint64_t s = it[25].node.start;
    it[25].node.start = it[25].node.end;
    CHECK(vt_check(&t) == VT_ERANGE);
    it[25].node.start = 20 * PG + 1;             // inside node 20
    CHECK(vt_check(&t) == VT_EORDER);
    it[25].node.start = s;

    leaf->height = 2;
    CHECK(vt_check(&t) == VT_EHEIGHT);
    leaf->height = 1;

    leaf->end -= 1;                              // shrink without vt_update
    CHECK(vt_check(&t) == VT_EAUG);
    vt_update(&t, leaf);
    CHECK(vt_check(&t) == 0);

    t.count++;
    CHECK(vt_check(&t) == VT_ECOUNT);
    t.count -= 2;
    CHECK(vt_check(&t) == VT_ECOUNT);
    t.count++;
    REQUIRE(vt_check(&t) == 0);

    // A hand-made chain with correct heights but no balance.
    struct vma_tree c = {0};
    struct item a = {0}, b = {0}, d = {0};
    set_range(&a, 1, 2);
    set_range(&b, 3, 4);
    set_range(&d, 5, 6);
    a.node.right = &b.node;
    b.node.parent = &a.node;
    b.node.right = &d.node;
    d.node.parent = &b.node;
    c.root = &a.node;
    c.count = 3;
    vt_update(&c, &d.node);
    CHECK(vt_check(&c) == VT_EBALANCE);

    // A chain far deeper than any valid tree.
    enum { DEEP = 300 };
    static struct item chain[DEEP];
    struct vma_tree dt = {0};
    for (int i = 0; i < DEEP; i++) {
        set_range(&chain[i], 2 * (uint64_t)i + 1, 2 * (uint64_t)i + 2);
        chain[i].node.right = i + 1 < DEEP ? &chain[i + 1].node : NULL;
        chain[i].node.parent = i > 0 ? &chain[i - 1].node : NULL;
    }
    dt.root = &chain[0].node;
    dt.count = DEEP;
    vt_update(&dt, &chain[DEEP - 1].node);
    CHECK(vt_check(&dt) == VT_EDEPTH);
}

// ---- balance -----------------------------------------------------------------

// Insert n nodes in ascending (or descending) order, checking the height
// bound after every insertion, then remove every other one.
static void
insert_sorted(bool descending)
{
    enum { N = 100000 };
    struct item *it = calloc(N, sizeof *it);
    REQUIRE(it != NULL);
    struct vma_tree t;
    vt_init(&t);
    for (size_t i = 0; i < N; i++) {
        size_t k = descending ? N - 1 - i : i;
        if (put(&t, &it[k], (k + 1) * 2 * PG, (k + 1) * 2 * PG + PG) != 0) {
            CHECKF(false, "insert %zu failed", k);
            break;
        }
        if (!height_ok(tree_height(&t), t.count)) {
            CHECKF(false, "height %d with %zu nodes", tree_height(&t),
                   t.count);
            break;
        }
        if (i % 4096 == 0 && vt_check(&t) != 0) {
            CHECKF(false, "vt_check %d after %zu", vt_check(&t), i);
            break;
        }
    }
    CHECK(vt_check(&t) == 0);
    CHECK(t.count == N);
    for (size_t k = 0; k < N; k += 2) {
        vt_remove(&t, &it[k].node);
        if (!height_ok(tree_height(&t), t.count)) {
            CHECKF(false, "height %d with %zu nodes after removal",
                   tree_height(&t), t.count);
            break;
        }
    }
    CHECK(vt_check(&t) == 0);
    CHECK(t.count == N / 2);
    free(it);
}

static void
test_balanced_ascending(void)
{
    insert_sorted(false);
}

static void
test_balanced_descending(void)
{
    insert_sorted(true);
}

// ---- randomized comparison against a reference model -------------------------

// The model: the items in the tree, sorted by start.
enum { POOL = 400 };
static struct item pool[POOL];
static struct item *model[POOL];
static size_t nmodel;

// Index in model of the first item with start >= s.
static size_t
model_lower(uint64_t s)
{
    size_t i = 0;
    while (i < nmodel && model[i]->node.start < s)
        i++;
    return i;
}

// True if [s, e) is non-empty and meets no item in the model.
static bool
model_fits(uint64_t s, uint64_t e)
{
    if (s >= e)
        return false;
    for (size_t i = 0; i < nmodel; i++)
        if (model[i]->node.start < e && s < model[i]->node.end)
            return false;
    return true;
}

// True if the model item at index i may change to [s, e) in place: the
// range is non-empty and stays between its neighbours' ranges.
static bool
model_may_resize(size_t i, uint64_t s, uint64_t e)
{
    return s < e && (i == 0 || model[i - 1]->node.end <= s) &&
           (i + 1 == nmodel || e <= model[i + 1]->node.start);
}

static void
model_add(struct item *it)
{
    size_t i = model_lower(it->node.start);
    memmove(&model[i + 1], &model[i], (nmodel - i) * sizeof model[0]);
    model[i] = it;
    nmodel++;
    it->in = true;
}

static void
model_del(struct item *it)
{
    size_t i = 0;
    while (model[i] != it)
        i++;
    memmove(&model[i], &model[i + 1], (nmodel - i - 1) * sizeof model[0]);
    nmodel--;
    it->in = false;
}

// Lowest item with end > a, or NULL.
static struct item *
model_at_or_after(uint64_t a)
{
    for (size_t i = 0; i < nmodel; i++)
        if (model[i]->node.end > a)
            return model[i];
    return NULL;
}

typedef unsigned __int128 u128;

// Reference vt_find_gap / vt_find_gap_top: scan every hole in order, with
// 128-bit arithmetic so nothing can wrap. The hole after the last item ends
// at 2^64.
static uint64_t
model_gap(uint64_t len, uint64_t align, uint64_t lo, uint64_t hi, bool top)
{
    if (len == 0 || align == 0 || (align & (align - 1)) || lo >= hi)
        return 0;
    u128 low = lo ? lo : 1, best = 0;
    for (size_t i = 0; i <= nmodel; i++) {
        u128 gs = i ? model[i - 1]->node.end : 0;
        u128 ge = i < nmodel ? model[i]->node.start : (u128)1 << 64;
        u128 s = gs > low ? gs : low, e = ge < hi ? ge : hi;
        if (e < s + len)
            continue;
        if (top) {
            u128 a = (e - len) & ~(u128)(align - 1);
            if (a >= s)
                best = a;                        // keep the last one
        } else {
            u128 a = (s + align - 1) & ~(u128)(align - 1);
            if (a + len <= e)
                return (uint64_t)a;
        }
    }
    return (uint64_t)best;
}

// A random address: mostly low, sometimes near the top of the space.
static uint64_t
rnd_addr(void)
{
    const uint64_t U = 1 << 16;
    uint64_t a = rnd_below(U);
    return rnd_below(8) == 0 ? UINT64_MAX - a : a;
}

// A random length, mostly small.
static uint64_t
rnd_len(void)
{
    uint64_t r = rnd_below(100);
    if (r < 50)
        return 1 + rnd_below(64);
    if (r < 85)
        return 1 + rnd_below(1024);
    return 1 + rnd_below(8192);
}

// A random range [*s, *e); occasionally empty, never wrapping.
static void
rnd_range(uint64_t *s, uint64_t *e)
{
    *s = rnd_addr();
    if (rnd_below(50) == 0) {
        *e = *s;
        return;
    }
    uint64_t len = rnd_len();
    *e = *s > UINT64_MAX - len ? UINT64_MAX : *s + len;
}

// Compare the full in-order walk of t with the model. Returns false and
// records a failure on mismatch.
static bool
walk_matches(const struct vma_tree *t, long step)
{
    size_t i = 0;
    for (struct vma_node *n = vt_first(t); n; n = vt_next(n), i++) {
        if (i >= nmodel || item_of(n) != model[i]) {
            CHECKF(false, "step %ld: walk differs at %zu", step, i);
            return false;
        }
    }
    CHECKF(i == nmodel, "step %ld: walk has %zu nodes, model %zu", step, i,
           nmodel);
    return i == nmodel;
}

struct rstats {
    long ins_ok, ins_bad, removes, resize_ok, resize_bad;
    long gaps_found, gaps_none;
    size_t max_nodes;
};

// One random insertion attempt.
static bool
op_insert(struct vma_tree *t, long step, struct rstats *st)
{
    struct item *it = &pool[rnd_below(POOL)];
    if (it->in)
        return true;
    uint64_t s, e;
    rnd_range(&s, &e);
    bool want = model_fits(s, e);
    int r = put(t, it, s, e);
    if (r != (want ? 0 : -1)) {
        CHECKF(false, "step %ld: insert [%#llx,%#llx) gave %d", step,
               (unsigned long long)s, (unsigned long long)e, r);
        return false;
    }
    if (want) {
        model_add(it);
        st->ins_ok++;
    } else {
        st->ins_bad++;
    }
    return true;
}

// One random removal.
static bool
op_remove(struct vma_tree *t, struct rstats *st)
{
    if (nmodel == 0)
        return true;
    struct item *it = model[rnd_below(nmodel)];
    vt_remove(t, &it->node);
    model_del(it);
    st->removes++;
    return true;
}

// One random in-place change: shrink, or move the ends somewhere near.
static bool
op_resize(struct vma_tree *t, long step, struct rstats *st)
{
    if (nmodel == 0)
        return true;
    size_t i = rnd_below(nmodel);
    struct item *it = model[i];
    uint64_t s = it->node.start, e = it->node.end, ns, ne;
    if (rnd_below(2)) {                          // shrink
        ns = s + rnd_below(e - s);
        ne = ns + 1 + rnd_below(e - ns);
    } else {                                     // anything nearby
        uint64_t d1 = rnd_below(512), d2 = rnd_below(512);
        ns = rnd_below(2) ? (s > d1 ? s - d1 : 0) : s + d1 / 4;
        ne = rnd_below(2) ? (e < UINT64_MAX - d2 ? e + d2 : UINT64_MAX)
                          : e - (e - s) / (1 + d2);
    }
    bool want = model_may_resize(i, ns, ne);
    int r;
    if (want && rnd_below(2)) {                  // the caller's own way
        it->node.start = ns;
        it->node.end = ne;
        vt_update(t, &it->node);
        r = 0;
    } else {
        r = vt_resize(t, &it->node, ns, ne);
    }
    if (r != (want ? 0 : -1) ||
        (!want && (it->node.start != s || it->node.end != e))) {
        CHECKF(false, "step %ld: resize to [%#llx,%#llx) gave %d", step,
               (unsigned long long)ns, (unsigned long long)ne, r);
        return false;
    }
    if (want)
        st->resize_ok++;
    else
        st->resize_bad++;
    return true;
}

// Random lookups compared with the model.
static bool
op_lookup(const struct vma_tree *t, long step)
{
    uint64_t a = rnd_addr();
    struct item *m = model_at_or_after(a);
    struct item *f = (m && m->node.start <= a) ? m : NULL;
    if (item_of(vt_find(t, a)) != f ||
        item_of(vt_first_at_or_after(t, a)) != m) {
        CHECKF(false, "step %ld: lookup of %#llx", step,
               (unsigned long long)a);
        return false;
    }
    uint64_t s, e;
    rnd_range(&s, &e);
    bool is_free = true;
    for (size_t i = 0; i < nmodel; i++)
        if (s < e && model[i]->node.start < e && s < model[i]->node.end)
            is_free = false;
    if (vt_range_free(t, s, e) != is_free) {
        CHECKF(false, "step %ld: range_free [%#llx,%#llx)", step,
               (unsigned long long)s, (unsigned long long)e);
        return false;
    }
    return true;
}

// Random gap searches compared with the model.
static bool
op_gap(const struct vma_tree *t, long step, struct rstats *st)
{
    uint64_t len = rnd_below(30) == 0 ? rnd_below(3) : rnd_len() * 4;
    uint64_t align = 1ULL << rnd_below(14);
    uint64_t lo = rnd_addr(), hi = rnd_addr();
    if (rnd_below(8) == 0)
        lo = 0;
    if (rnd_below(8) == 0)
        hi = UINT64_MAX;
    if (rnd_below(10) != 0 && lo > hi) {
        uint64_t x = lo;
        lo = hi;
        hi = x;
    }
    bool top = rnd_below(2);
    uint64_t want = model_gap(len, align, lo, hi, top);
    uint64_t got = top ? vt_find_gap_top(t, len, align, lo, hi)
                       : vt_find_gap(t, len, align, lo, hi);
    if (got != want) {
        CHECKF(false, "step %ld: find_gap%s(len %#llx, align %#llx, "
               "[%#llx,%#llx)) = %#llx, want %#llx", step, top ? "_top" : "",
               (unsigned long long)len, (unsigned long long)align,
               (unsigned long long)lo, (unsigned long long)hi,
               (unsigned long long)got, (unsigned long long)want);
        return false;
    }
    if (want)
        st->gaps_found++;
    else
        st->gaps_none++;
    return true;
}

static void
test_random_ops(void)
{
    enum { STEPS = 100000 };
    struct vma_tree t;
    struct rstats st = {0};
    vt_init(&t);
    memset(pool, 0, sizeof pool);
    nmodel = 0;
    rng_state = 0x5eed;
    for (int i = 0; i < POOL; i++)
        pool[i].id = i;

    for (long step = 0; step < STEPS; step++) {
        uint64_t r = rnd_below(100);
        bool ok;
        if (r < 40)
            ok = op_insert(&t, step, &st);
        else if (r < 55)
            ok = op_remove(&t, &st);
        else if (r < 70)
            ok = op_resize(&t, step, &st);
        else if (r < 85)
            ok = op_lookup(&t, step);
        else
            ok = op_gap(&t, step, &st);
        if (!ok)
            return;
        int c = vt_check(&t);
        REQUIREF(c == 0, "step %ld: vt_check %d", step, c);
        REQUIREF(t.count == nmodel, "step %ld: count %zu, model %zu", step,
                 t.count, nmodel);
        REQUIREF(height_ok(tree_height(&t), t.count),
                 "step %ld: height %d with %zu nodes", step,
                 tree_height(&t), t.count);
        if (t.count > st.max_nodes)
            st.max_nodes = t.count;
        if (step % 64 == 0 && !walk_matches(&t, step))
            return;
    }
    walk_matches(&t, STEPS);
    // Make sure the run exercised both outcomes of every operation.
    CHECKF(st.ins_ok > 1000 && st.ins_bad > 1000, "inserts ok %ld bad %ld",
           st.ins_ok, st.ins_bad);
    CHECKF(st.resize_ok > 1000 && st.resize_bad > 1000,
           "resizes ok %ld bad %ld", st.resize_ok, st.resize_bad);
    CHECKF(st.gaps_found > 1000 && st.gaps_none > 1000,
           "gaps found %ld none %ld", st.gaps_found, st.gaps_none);
    CHECKF(st.removes > 1000, "removes %ld", st.removes);
    CHECKF(st.max_nodes >= 100, "tree never grew past %zu", st.max_nodes);
}

int
main(void)
{
    CHECK_RUN(vmatree, empty);
    CHECK_RUN(vmatree, insert_find);
    CHECK_RUN(vmatree, overlap_rejected);
    CHECK_RUN(vmatree, remove_leaf);
    CHECK_RUN(vmatree, remove_one_child);
    CHECK_RUN(vmatree, remove_two_children);
    CHECK_RUN(vmatree, remove_root);
    CHECK_RUN(vmatree, iteration);
    CHECK_RUN(vmatree, first_at_or_after);
    CHECK_RUN(vmatree, range_free);
    CHECK_RUN(vmatree, resize);
    CHECK_RUN(vmatree, find_gap);
    CHECK_RUN(vmatree, find_gap_top);
    CHECK_RUN(vmatree, find_gap_large);
    CHECK_RUN(vmatree, check_detects);
    CHECK_RUN(vmatree, balanced_ascending);
    CHECK_RUN(vmatree, balanced_descending);
    CHECK_RUN(vmatree, random_ops);
    return check_exit_code();
}
