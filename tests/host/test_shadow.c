// Host unit tests for servers/pager/shadow.c.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "shadow.h"

#define PG      4096ull
#define MIB2    (2ull << 20)
#define GIB     (1ull << 30)
#define VA_TOP  (SHADOW_VA_LIMIT - PG)      // last user page

// ---- node provider -------------------------------------------------------

// Host node provider: aligned_alloc + memset, counted, with fault injection.
struct provider {
    size_t live;          // nodes handed out and not yet returned
    size_t allocs;        // successful node_alloc calls
    long budget;          // allocations that may still succeed; < 0: no limit
    size_t bad_frees;     // node_free of NULL or of a misaligned pointer
};

static struct provider prov;

// node_alloc callback. Returns a zeroed node, or NULL once the budget is spent.
static void *
prov_alloc(void *ctx)
{
    struct provider *pv = ctx;
    if (pv->budget == 0)
        return NULL;
    void *n = aligned_alloc(SHADOW_NODE_BYTES, SHADOW_NODE_BYTES);
    if (n == NULL)
        return NULL;
    memset(n, 0, SHADOW_NODE_BYTES);
    if (pv->budget > 0)
        pv->budget--;
    pv->live++;
    pv->allocs++;
    return n;
}

// node_free callback.
static void
prov_free(void *ctx, void *node)
{
    struct provider *pv = ctx;
    if (node == NULL || ((uintptr_t)node & (SHADOW_NODE_BYTES - 1))) {
        pv->bad_frees++;
        return;
    }
    pv->live--;
    free(node);
}

static const struct shadow_ops ops = { prov_alloc, prov_free, &prov };

// Reset the provider to "unlimited, nothing handed out".
static void
prov_reset(void)
{
    memset(&prov, 0, sizeof prov);
    prov.budget = -1;
}

// ---- helpers -------------------------------------------------------------

// Deterministic PRNG (xorshift64*).
// A distinctive entry value for test entry number i.
static spte_t
entry_for(uint64_t i)
{
    return ((0x80000ull + i) << 12) | SPTE_PRESENT | ((i & 0x1ff) << SPTE_USER_SHIFT);
}

// Set the entry of va to e. Returns false if the slot can't be had.
static bool
put(struct shadow *s, uint64_t va, spte_t e)
{
    spte_t *p = shadow_slot(s, va);
    if (p == NULL)
        return false;
    *p = e;
    return true;
}

// The entry of va, 0 if there is none.
static spte_t
get(struct shadow *s, uint64_t va)
{
    spte_t *p = shadow_lookup(s, va);
    return p ? *p : 0;
}

// What a walk saw, in order.
#define COLLECT_MAX 8192
struct collect {
    uint64_t va[COLLECT_MAX];
    spte_t e[COLLECT_MAX];
    size_t n;
    bool overflow;
};

static struct collect col;

// Walk callback: append (va, *e) to the collect in arg.
static void
collect_fn(void *arg, uint64_t va, spte_t *e)
{
    struct collect *c = arg;
    if (c->n == COLLECT_MAX) {
        c->overflow = true;
        return;
    }
    c->va[c->n] = va;
    c->e[c->n] = *e;
    c->n++;
}

// Destroy callback: same as collect_fn, by value.
static void
collect_drop(void *arg, uint64_t va, spte_t e)
{
    collect_fn(arg, va, &e);
}

// Walk [start, end) of s into col. Returns the walk's count.
static size_t
collect_walk(struct shadow *s, uint64_t start, uint64_t end)
{
    col.n = 0;
    col.overflow = false;
    return shadow_walk(s, start, end, collect_fn, &col);
}

// Walk callback: zero the entry.
static void
zero_fn(void *arg, uint64_t va, spte_t *e)
{
    (void)arg;
    (void)va;
    *e = 0;
}

// ---- cases ---------------------------------------------------------------

static void
test_init_destroy(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    CHECK(s.nodes == 1 && prov.live == 1);
    CHECK(collect_walk(&s, 0, SHADOW_VA_LIMIT) == 0);
    col.n = 0;
    shadow_destroy(&s, collect_drop, &col);
    CHECK(col.n == 0);
    CHECK(s.root == NULL && s.nodes == 0 && prov.live == 0);
    shadow_destroy(&s, collect_drop, &col);          // harmless twice
    CHECK(prov.live == 0 && prov.bad_frees == 0);
    CHECK(shadow_lookup(&s, 0) == NULL);
    CHECK(shadow_slot(&s, 0) == NULL);
    CHECK(shadow_walk(&s, 0, SHADOW_VA_LIMIT, collect_fn, &col) == 0);

    prov.budget = 0;                                 // no memory at all
    CHECK(shadow_init(&s, &ops) == -1);
    CHECK(prov.live == 0 && s.nodes == 0);
}

static void
test_ends_of_space(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    CHECK(shadow_lookup(&s, 0) == NULL);
    CHECK(shadow_lookup(&s, VA_TOP) == NULL);
    CHECK(s.nodes == 1);

    spte_t *lo = shadow_slot(&s, 0);
    spte_t *hi = shadow_slot(&s, VA_TOP);
    REQUIRE(lo != NULL && hi != NULL);
    CHECK(lo != hi);
    CHECK(*lo == 0 && *hi == 0);
    CHECKF(s.nodes == 5, "nodes %zu, want 5", s.nodes);
    CHECK(prov.live == s.nodes);

    *lo = entry_for(1);
    *hi = entry_for(2);
    CHECK(shadow_lookup(&s, 0) == lo);
    CHECK(shadow_lookup(&s, 0xfff) == lo);           // same page
    CHECK(shadow_lookup(&s, PG) == lo + 1);          // neighbour, same leaf
    CHECK(shadow_lookup(&s, VA_TOP) == hi);
    CHECK(shadow_lookup(&s, VA_TOP + 0xfff) == hi);
    CHECK(shadow_lookup(&s, VA_TOP - PG) == hi - 1);
    CHECK(shadow_lookup(&s, MIB2) == NULL);          // other leaf: absent
    CHECK(shadow_slot(&s, 0x123) == lo);             // no new nodes
    CHECK(shadow_slot(&s, VA_TOP) == hi);
    CHECK(s.nodes == 5);

    CHECK(collect_walk(&s, 0, SHADOW_VA_LIMIT) == 2);
    CHECK(col.n == 2 && col.va[0] == 0 && col.va[1] == VA_TOP);
    CHECK(col.e[0] == entry_for(1) && col.e[1] == entry_for(2));
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

static void
test_rejects_high_va(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    const uint64_t bad[] = { SHADOW_VA_LIMIT, SHADOW_VA_LIMIT + PG, 1ull << 39,
                             0x4000000000000000ull, UINT64_MAX & ~(PG - 1), UINT64_MAX };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(shadow_slot(&s, bad[i]) == NULL, "slot(%#llx) accepted",
               (unsigned long long)bad[i]);
        CHECKF(shadow_lookup(&s, bad[i]) == NULL, "lookup(%#llx) accepted",
               (unsigned long long)bad[i]);
    }
    CHECKF(s.nodes == 1, "rejected addresses allocated nodes: %zu", s.nodes);

    REQUIRE(put(&s, VA_TOP, entry_for(7)));
    CHECK(collect_walk(&s, VA_TOP, UINT64_MAX) == 1);       // end clipped
    CHECK(collect_walk(&s, 0, UINT64_MAX) == 1);
    CHECK(collect_walk(&s, SHADOW_VA_LIMIT, UINT64_MAX) == 0);
    CHECK(collect_walk(&s, UINT64_MAX - PG + 1, UINT64_MAX) == 0);
    shadow_prune(&s, SHADOW_VA_LIMIT, UINT64_MAX);          // nothing to do
    CHECK(get(&s, VA_TOP) == entry_for(7));
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0);
}

// Pages around 2 MiB and 1 GiB boundaries.
static const uint64_t walk_vas[] = {
    7 * PG, MIB2 - PG, MIB2, MIB2 + PG, GIB - PG, GIB, GIB + MIB2,
    3 * GIB + 5 * PG, 3 * GIB + MIB2 - PG, VA_TOP,
};
#define NWALK (sizeof walk_vas / sizeof walk_vas[0])

// Check that col holds exactly the walk_vas in [start, end), in order.
// Returns true if so.
static bool
walk_matches(uint64_t start, uint64_t end, size_t count)
{
    size_t k = 0;
    for (size_t i = 0; i < NWALK; i++) {
        if (walk_vas[i] < start || walk_vas[i] >= end)
            continue;
        if (k >= col.n || col.va[k] != walk_vas[i] || col.e[k] != entry_for(i))
            return false;
        k++;
    }
    return k == col.n && count == col.n;
}

static void
test_walk_ranges(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    for (size_t i = 0; i < NWALK; i++)
        REQUIRE(put(&s, walk_vas[i], entry_for(i)));

    // Every range whose ends are 0, the limit, an entry or the page after it.
    uint64_t pts[2 * NWALK + 2];
    size_t np = 0;
    pts[np++] = 0;
    pts[np++] = SHADOW_VA_LIMIT;
    for (size_t i = 0; i < NWALK; i++) {
        pts[np++] = walk_vas[i];
        pts[np++] = walk_vas[i] + PG;
    }
    for (size_t a = 0; a < np; a++) {
        for (size_t b = 0; b < np; b++) {
            size_t n = collect_walk(&s, pts[a], pts[b]);
            CHECKF(walk_matches(pts[a], pts[b], n), "walk [%#llx, %#llx) gave %zu entries",
                   (unsigned long long)pts[a], (unsigned long long)pts[b], n);
        }
    }
    CHECK(collect_walk(&s, MIB2, MIB2) == 0);                // empty
    CHECK(collect_walk(&s, GIB + PG, GIB) == 0);             // reversed
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0);
}

// Walk callback for test_walk_modify: clear even pages, mark odd ones COW.
static void
modify_fn(void *arg, uint64_t va, spte_t *e)
{
    (void)arg;
    if ((va / PG) % 2 == 0)
        *e = 0;
    else
        *e |= SPTE_COW;
}

static void
test_walk_modify(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    const uint64_t base = MIB2 - 50 * PG;                    // crosses 2 MiB
    for (uint64_t i = 0; i < 100; i++)
        REQUIRE(put(&s, base + i * PG, entry_for(i)));
    size_t nodes = s.nodes;

    CHECK(shadow_walk(&s, 0, SHADOW_VA_LIMIT, modify_fn, NULL) == 100);
    CHECK(collect_walk(&s, 0, SHADOW_VA_LIMIT) == 50);
    for (size_t k = 0; k < col.n; k++) {
        CHECK((col.va[k] / PG) % 2 == 1);
        CHECK(col.e[k] == (entry_for((col.va[k] - base) / PG) | SPTE_COW));
    }
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t va = base + i * PG;
        spte_t *p = shadow_lookup(&s, va);
        REQUIRE(p != NULL);                                  // walk frees nothing
        CHECK((va / PG) % 2 ? *p == (entry_for(i) | SPTE_COW) : *p == 0);
    }
    CHECK(s.nodes == nodes);
    CHECK(shadow_walk(&s, 0, SHADOW_VA_LIMIT, zero_fn, NULL) == 50);
    CHECK(collect_walk(&s, 0, SHADOW_VA_LIMIT) == 0);
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0);
}

static void
test_walk_sparse_fast(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    const uint64_t vas[] = { 0, 37 * GIB + 123 * PG, 100 * GIB + 17 * MIB2,
                             200 * GIB + 511 * MIB2 + 9 * PG, VA_TOP };
    for (size_t i = 0; i < 5; i++)
        REQUIRE(put(&s, vas[i], entry_for(i)));
    CHECK(s.nodes == 11);                                    // root + 5 + 5

    CHECK(collect_walk(&s, 0, SHADOW_VA_LIMIT) == 5);
    for (size_t i = 0; i < 5 && i < col.n; i++)
        CHECK(col.va[i] == vas[i]);
    CHECKF(s.visits <= 11, "full walk examined %zu nodes, want <= 11", s.visits);

    CHECK(collect_walk(&s, 38 * GIB, 199 * GIB) == 1);
    CHECKF(s.visits <= 3, "partial walk examined %zu nodes, want <= 3", s.visits);
    CHECK(collect_walk(&s, 1 * GIB, 37 * GIB) == 0);
    CHECKF(s.visits <= 1, "empty walk examined %zu nodes, want 1", s.visits);

    struct shadow d;
    REQUIRE(shadow_init(&d, &ops) == 0);
    CHECK(shadow_copy(&d, &s, 0, SHADOW_VA_LIMIT, NULL, NULL) == 0);
    CHECKF(s.visits <= 11, "copy examined %zu nodes, want <= 11", s.visits);
    CHECK(d.nodes == 11);
    shadow_destroy(&d, NULL, NULL);
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0);
}

// Simulated frame reference counts for test_copy_cow: frame k at pa FRAME(k).
#define NFRAMES  1024
#define FRAME(k) (0x80000000ull + (uint64_t)(k) * PG)
#define ZERO_PA  0x7ffff000ull
struct refs {
    int ref[NFRAMES];
    size_t calls;
};

// Copy callback: what fork does with a private page -- both sides COW and
// one more reference on the frame. The zero page takes no references.
static void
fork_fn(void *arg, uint64_t va, spte_t *se, spte_t *de)
{
    struct refs *r = arg;
    (void)va;
    r->calls++;
    if (*se & SPTE_ZERO)
        return;
    *se |= SPTE_COW;
    *de |= SPTE_COW;
    r->ref[(SPTE_PA(*se) - FRAME(0)) / PG]++;
}

static struct refs refs;

static void
test_copy_cow(void)
{
    prov_reset();
    memset(&refs, 0, sizeof refs);
    struct shadow p, c;
    REQUIRE(shadow_init(&p, &ops) == 0 && shadow_init(&c, &ops) == 0);
    const uint64_t base = MIB2 - 100 * PG;
    for (int k = 0; k < 300; k++) {                          // crosses 2 MiB
        REQUIRE(put(&p, base + (uint64_t)k * PG, FRAME(k) | SPTE_PRESENT));
        refs.ref[k] = 1;
    }
    for (int k = 0; k < 20; k++)                             // zero-fill pages
        REQUIRE(put(&p, 5 * GIB + (uint64_t)k * PG, ZERO_PA | SPTE_PRESENT | SPTE_ZERO));

    // A partial range first: only [base + 50 pages, base + 150 pages).
    uint64_t s0 = base + 50 * PG, e0 = base + 150 * PG;
    CHECK(shadow_copy(&c, &p, s0, e0, fork_fn, &refs) == 0);
    CHECK(refs.calls == 100);
    CHECK(collect_walk(&c, 0, SHADOW_VA_LIMIT) == 100);
    CHECK(col.n > 0 && col.va[0] == s0 && col.va[col.n - 1] == e0 - PG);

    // Then the rest: the whole space again (overwrites the first part).
    shadow_destroy(&c, NULL, NULL);
    for (int k = 50; k < 150; k++)
        refs.ref[k]--;
    refs.calls = 0;
    REQUIRE(shadow_init(&c, &ops) == 0);
    CHECK(shadow_copy(&c, &p, 0, SHADOW_VA_LIMIT, fork_fn, &refs) == 0);
    CHECK(refs.calls == 320);
    CHECK(c.nodes == p.nodes);
    for (int k = 0; k < 300; k++) {
        uint64_t va = base + (uint64_t)k * PG;
        CHECKF(refs.ref[k] == 2, "frame %d: ref %d", k, refs.ref[k]);
        CHECK(get(&p, va) == (FRAME(k) | SPTE_PRESENT | SPTE_COW));
        CHECK(get(&c, va) == get(&p, va));
        CHECK(shadow_lookup(&c, va) != shadow_lookup(&p, va));
    }
    for (int k = 0; k < 20; k++) {
        uint64_t va = 5 * GIB + (uint64_t)k * PG;
        CHECK(get(&c, va) == (ZERO_PA | SPTE_PRESENT | SPTE_ZERO));
        CHECK(get(&p, va) == get(&c, va));
    }
    CHECK(shadow_copy(&c, &c, 0, SHADOW_VA_LIMIT, fork_fn, &refs) == -1);
    shadow_destroy(&c, NULL, NULL);
    shadow_destroy(&p, NULL, NULL);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

static void
test_slot_oom(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    const uint64_t va = 77 * GIB + 3 * MIB2 + 5 * PG;
    for (long budget = 0; budget < 2; budget++) {
        prov.budget = budget;
        CHECKF(shadow_slot(&s, va) == NULL, "slot succeeded with budget %ld", budget);
        CHECK(shadow_lookup(&s, va) == NULL);
        CHECK(s.nodes == prov.live);
    }
    prov.budget = -1;
    spte_t *p = shadow_slot(&s, va);
    REQUIRE(p != NULL);
    *p = entry_for(3);
    CHECK(s.nodes == 3 && prov.live == 3);

    prov.budget = 0;                                         // existing path: no allocation
    CHECK(shadow_slot(&s, va + PG) == p + 1);
    CHECK(shadow_slot(&s, va + GIB) == NULL);
    CHECK(shadow_slot(&s, va + MIB2) == NULL);
    prov.budget = -1;
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

// Copy callback counting its calls in *(size_t *)arg.
static void
count_copy_fn(void *arg, uint64_t va, spte_t *se, spte_t *de)
{
    (void)va;
    (void)se;
    (void)de;
    (*(size_t *)arg)++;
}

static void
test_copy_oom(void)
{
    prov_reset();
    struct shadow src;
    REQUIRE(shadow_init(&src, &ops) == 0);
    const uint64_t regions[] = { 0, MIB2, 4 * GIB, 4 * GIB + 9 * MIB2, 250 * GIB };
    size_t total = 0;
    for (size_t r = 0; r < 5; r++)
        for (uint64_t i = 0; i < 10; i++, total++)
            REQUIRE(put(&src, regions[r] + i * 3 * PG, entry_for(total)));
    const size_t need = src.nodes - 1;                       // dst root comes from init
    REQUIRE(need == 8);

    for (long budget = 0; budget <= (long)need; budget++) {
        struct shadow dst;
        prov.budget = -1;
        REQUIRE(shadow_init(&dst, &ops) == 0);
        prov.budget = budget;
        size_t calls = 0;
        int r = shadow_copy(&dst, &src, 0, SHADOW_VA_LIMIT, count_copy_fn, &calls);
        CHECKF(r == ((size_t)budget < need ? -1 : 0), "budget %ld: copy returned %d", budget, r);
        CHECK(dst.nodes + src.nodes == prov.live);
        size_t n = collect_walk(&dst, 0, SHADOW_VA_LIMIT);
        CHECKF(n == calls, "budget %ld: %zu entries copied, fn called %zu times", budget, n, calls);
        CHECK((size_t)budget < need || n == total);
        for (size_t k = 0; k < col.n; k++)
            CHECK(get(&src, col.va[k]) == col.e[k]);
        shadow_destroy(&dst, NULL, NULL);
        CHECK(prov.live == src.nodes);
    }
    prov.budget = -1;
    shadow_destroy(&src, NULL, NULL);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

static void
test_prune(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    const uint64_t a0 = 2 * GIB, a1 = 2 * GIB + MIB2, b = 9 * GIB + 4 * MIB2;
    for (uint64_t i = 0; i < 8; i++) {
        REQUIRE(put(&s, a0 + i * PG, entry_for(i)));
        REQUIRE(put(&s, a1 + i * PG, entry_for(i + 8)));
        REQUIRE(put(&s, b + i * PG, entry_for(i + 16)));
    }
    REQUIRE(s.nodes == 6);                                   // root, 2 L1, 3 leaves

    shadow_prune(&s, 0, SHADOW_VA_LIMIT);                    // nothing is empty
    CHECK(s.nodes == 6);

    shadow_walk(&s, a0, a0 + 8 * PG, zero_fn, NULL);         // leaf a0 now empty
    shadow_prune(&s, a0 + 4 * PG, a0 + 5 * PG);              // covers part of it
    CHECKF(s.nodes == 5, "nodes %zu, want 5", s.nodes);
    CHECK(shadow_lookup(&s, a0) == NULL);
    CHECK(get(&s, a1) == entry_for(8));

    shadow_walk(&s, a1, a1 + 4 * PG, zero_fn, NULL);         // a1 half empty
    shadow_prune(&s, 0, SHADOW_VA_LIMIT);
    CHECK(s.nodes == 5);

    shadow_walk(&s, a1, a1 + 8 * PG, zero_fn, NULL);         // a1 empty
    shadow_walk(&s, b, b + 8 * PG, zero_fn, NULL);           // b empty
    shadow_prune(&s, a1, a1 + MIB2);                         // frees a1 and its L1
    CHECKF(s.nodes == 3, "nodes %zu, want 3", s.nodes);
    CHECK(shadow_lookup(&s, b) != NULL);                     // outside: kept
    shadow_prune(&s, 0, SHADOW_VA_LIMIT);
    CHECKF(s.nodes == 1, "nodes %zu, want 1", s.nodes);
    CHECK(prov.live == 1);
    CHECK(shadow_lookup(&s, b) == NULL);

    REQUIRE(put(&s, b, entry_for(1)));                       // still usable
    CHECK(get(&s, b) == entry_for(1));
    shadow_destroy(&s, NULL, NULL);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void
test_destroy_drops_once(void)
{
    prov_reset();
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);
    static uint64_t vas[1000];
    size_t n = 0;
    while (n < 1000) {                                       // distinct, clustered
        uint64_t va = (rng_below(4) * 61 * GIB + rng_below(1 << 14) * PG);
        if (get(&s, va) != 0)
            continue;
        REQUIRE(put(&s, va, va | SPTE_PRESENT));
        vas[n++] = va;
    }
    qsort(vas, n, sizeof vas[0], cmp_u64);
    col.n = 0;
    col.overflow = false;
    shadow_destroy(&s, collect_drop, &col);
    CHECKF(col.n == n, "%zu drops for %zu entries", col.n, n);
    for (size_t i = 0; i < n && i < col.n; i++) {
        CHECKF(col.va[i] == vas[i], "drop %zu: va %#llx, want %#llx", i,
               (unsigned long long)col.va[i], (unsigned long long)vas[i]);
        CHECK(col.e[i] == (vas[i] | SPTE_PRESENT));
    }
    CHECK(prov.live == 0 && s.nodes == 0 && prov.bad_frees == 0);
}

// ---- randomized test against a sorted-array model --------------------------

#define MODEL_MAX 4096
struct model {
    uint64_t va[MODEL_MAX];
    spte_t e[MODEL_MAX];
    size_t n;
};

static struct model model;

// Index of the first model entry with va >= the given one.
static size_t
model_find(uint64_t va)
{
    size_t lo = 0, hi = model.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (model.va[mid] < va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

// Set va to e in the model (e == 0 removes). Returns false if the model is full.
static bool
model_set(uint64_t va, spte_t e)
{
    size_t i = model_find(va);
    bool here = i < model.n && model.va[i] == va;
    if (here && e != 0) {
        model.e[i] = e;
    } else if (here) {
        memmove(&model.va[i], &model.va[i + 1], (model.n - i - 1) * sizeof model.va[0]);
        memmove(&model.e[i], &model.e[i + 1], (model.n - i - 1) * sizeof model.e[0]);
        model.n--;
    } else if (e != 0) {
        if (model.n == MODEL_MAX)
            return false;
        memmove(&model.va[i + 1], &model.va[i], (model.n - i) * sizeof model.va[0]);
        memmove(&model.e[i + 1], &model.e[i], (model.n - i) * sizeof model.e[0]);
        model.va[i] = va;
        model.e[i] = e;
        model.n++;
    }
    return true;
}

// The model's entry for va, 0 if none.
static spte_t
model_get(uint64_t va)
{
    size_t i = model_find(va);
    return i < model.n && model.va[i] == va ? model.e[i] : 0;
}

// True if col holds exactly the model's entries in [start, end).
static bool
model_matches_col(uint64_t start, uint64_t end)
{
    if (col.overflow)
        return false;
    size_t i = model_find(start), k = 0;
    for (; i < model.n && model.va[i] < end; i++, k++)
        if (k >= col.n || col.va[k] != model.va[i] || col.e[k] != model.e[i])
            return false;
    return k == col.n;
}

// A random user page: mostly near a few boundaries, sometimes anywhere.
static uint64_t
random_va(void)
{
    static const uint64_t hot[] = { 0, MIB2 - 64 * PG, GIB - 100 * PG,
                                    123 * GIB + 7 * MIB2, SHADOW_VA_LIMIT - 600 * PG };
    if (rng_below(50) == 0)
        return rng_below(SHADOW_VA_LIMIT / PG) * PG;
    uint64_t h = hot[rng_below(5)];
    uint64_t span = (SHADOW_VA_LIMIT - h) / PG < 600 ? (SHADOW_VA_LIMIT - h) / PG : 600;
    return h + rng_below(span) * PG;
}

// A random nonzero entry value.
static spte_t
random_entry(void)
{
    return (rng() & ~0xfffull) | SPTE_PRESENT | (rng() & 0xffe);
}

static void
test_random_vs_model(void)
{
    prov_reset();
    memset(&model, 0, sizeof model);
    rng_state = 0x0DDB1A5E5BAD5EEDull;
    struct shadow s;
    REQUIRE(shadow_init(&s, &ops) == 0);

    for (int step = 0; step < 20000 && check_case_failures() == 0; step++) {
        uint64_t va = random_va(), r = rng_below(100);
        if (r < 40) {                                        // map / remap
            spte_t e = random_entry();
            if (model_set(va, e))
                REQUIREF(put(&s, va, e), "step %d: slot failed", step);
        } else if (r < 60) {                                 // unmap one page
            spte_t *p = shadow_lookup(&s, va);
            if (p)
                *p = 0;
            model_set(va, 0);
        } else if (r < 85) {                                 // look up
            CHECKF(get(&s, va) == model_get(va), "step %d: va %#llx", step,
                   (unsigned long long)va);
        } else if (r < 95) {                                 // walk a range
            uint64_t b = random_va();
            uint64_t lo = va < b ? va : b, hi = (va < b ? b : va) + PG;
            size_t n = collect_walk(&s, lo, hi);
            CHECKF(n == col.n && model_matches_col(lo, hi), "step %d: walk [%#llx, %#llx)",
                   step, (unsigned long long)lo, (unsigned long long)hi);
        } else if (r < 99) {                                 // unmap a range, prune
            uint64_t hi = va + rng_below(3000) * PG;
            if (hi > SHADOW_VA_LIMIT)
                hi = SHADOW_VA_LIMIT;
            shadow_walk(&s, va, hi, zero_fn, NULL);
            for (size_t i = model_find(va); i < model.n && model.va[i] < hi;)
                model_set(model.va[i], 0);
            shadow_prune(&s, va, hi);
            CHECK(s.nodes == prov.live);
        } else {                                             // fork and compare
            struct shadow d;
            REQUIRE(shadow_init(&d, &ops) == 0);
            REQUIRE(shadow_copy(&d, &s, 0, SHADOW_VA_LIMIT, NULL, NULL) == 0);
            collect_walk(&d, 0, SHADOW_VA_LIMIT);
            CHECKF(model_matches_col(0, SHADOW_VA_LIMIT), "step %d: copy differs", step);
            shadow_destroy(&d, NULL, NULL);
        }
    }
    collect_walk(&s, 0, SHADOW_VA_LIMIT);
    CHECK(model_matches_col(0, SHADOW_VA_LIMIT));
    struct shadow d;                                         // destroy drops = model
    REQUIRE(shadow_init(&d, &ops) == 0);
    REQUIRE(shadow_copy(&d, &s, 0, SHADOW_VA_LIMIT, NULL, NULL) == 0);
    col.n = 0;
    shadow_destroy(&d, collect_drop, &col);
    CHECKF(model_matches_col(0, SHADOW_VA_LIMIT), "destroy dropped %zu, model %zu",
           col.n, model.n);
    shadow_walk(&s, 0, SHADOW_VA_LIMIT, zero_fn, NULL);
    shadow_prune(&s, 0, SHADOW_VA_LIMIT);
    CHECKF(s.nodes == 1, "after unmapping everything and pruning: %zu nodes", s.nodes);
    col.n = 0;
    shadow_destroy(&s, collect_drop, &col);
    CHECK(col.n == 0);
    CHECK(prov.live == 0 && prov.bad_frees == 0);
}

int
main(void)
{
    CHECK_RUN(shadow, init_destroy);
    CHECK_RUN(shadow, ends_of_space);
    CHECK_RUN(shadow, rejects_high_va);
    CHECK_RUN(shadow, walk_ranges);
    CHECK_RUN(shadow, walk_modify);
    CHECK_RUN(shadow, walk_sparse_fast);
    CHECK_RUN(shadow, copy_cow);
    CHECK_RUN(shadow, slot_oom);
    CHECK_RUN(shadow, copy_oom);
    CHECK_RUN(shadow, prune);
    CHECK_RUN(shadow, destroy_drops_once);
    CHECK_RUN(shadow, random_vs_model);
    return check_exit_code();
}
