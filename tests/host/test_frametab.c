// Host unit tests for servers/pager/frametab.c, plus a fork/exit/munmap
// simulation over servers/pager/shadow.c checking that no frame leaks.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frametab.h"
#include "shadow.h"
#include "nodes.h"

#define PG    4096ull
#define BASE  0x80200000ull           // pool base used by most cases

// ---- helpers -------------------------------------------------------------

// Deterministic PRNG (xorshift64*).
// Count array with a guard word on each side to catch stray writes.
#define GUARD 0xBEEF
#define MAXF  256
static uint32_t refmem[MAXF + 2];

// Fill the array (guards included) with junk and set up t over n frames.
static void
setup(struct frametab *t, uint64_t base, uint64_t n)
{
    for (size_t i = 0; i < MAXF + 2; i++)
        refmem[i] = 0x5a5a;
    refmem[0] = GUARD;
    refmem[n + 1] = GUARD;
    ft_init(t, refmem + 1, base, n);
}

// True if both guards around t's array are intact.
static bool
guards_ok(const struct frametab *t)
{
    return refmem[0] == GUARD && refmem[t->nframes + 1] == GUARD;
}

// ---- basic cases ---------------------------------------------------------

static void
test_init(void)
{
    struct frametab t;
    setup(&t, BASE, 16);
    CHECK(t.used == 0 && t.shared == 0 && t.nframes == 16 && t.base == BASE);
    for (uint64_t i = 0; i < 16; i++)
        CHECKF(ft_get(&t, BASE + i * PG) == 0, "frame %llu not 0", (unsigned long long)i);
    CHECK(guards_ok(&t));
}

static void
test_inc_dec_get(void)
{
    struct frametab t;
    setup(&t, BASE, 16);
    uint64_t pa = BASE + 5 * PG;
    CHECK(ft_inc(&t, pa) == 1);
    CHECK(t.used == 1 && t.shared == 0);
    CHECK(ft_inc(&t, pa) == 2);
    CHECK(t.used == 1 && t.shared == 1);
    CHECK(ft_inc(&t, pa) == 3);
    CHECK(ft_get(&t, pa) == 3);
    CHECK(t.used == 1 && t.shared == 1);
    CHECK(ft_inc(&t, BASE) == 1);                            // first and last frame
    CHECK(ft_inc(&t, BASE + 15 * PG) == 1);
    CHECK(t.used == 3 && t.shared == 1);
    CHECK(ft_get(&t, BASE + 4 * PG) == 0 && ft_get(&t, BASE + 6 * PG) == 0);

    CHECK(ft_dec(&t, pa) == 2);
    CHECK(t.used == 3 && t.shared == 1);
    CHECK(ft_dec(&t, pa) == 1);
    CHECK(t.used == 3 && t.shared == 0);
    CHECK(ft_dec(&t, pa) == 0);
    CHECK(t.used == 2 && t.shared == 0);
    CHECK(ft_dec(&t, BASE) == 0 && ft_dec(&t, BASE + 15 * PG) == 0);
    CHECK(t.used == 0 && t.shared == 0);
    CHECK(guards_ok(&t));
}

static void
test_bad_pa(void)
{
    struct frametab t;
    setup(&t, BASE, 16);
    REQUIRE(ft_inc(&t, BASE + 3 * PG) == 1);
    const uint64_t bad[] = {
        0, BASE - PG, BASE - 1, BASE + 1, BASE + 0x800, BASE + 3 * PG + 8,
        BASE + 16 * PG, BASE + 17 * PG, UINT64_MAX, UINT64_MAX & ~(PG - 1),
        BASE + (1ull << 44),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(ft_get(&t, bad[i]) == -1, "get(%#llx) accepted", (unsigned long long)bad[i]);
        CHECKF(ft_inc(&t, bad[i]) == -1, "inc(%#llx) accepted", (unsigned long long)bad[i]);
        CHECKF(ft_dec(&t, bad[i]) == -1, "dec(%#llx) accepted", (unsigned long long)bad[i]);
    }
    CHECK(t.used == 1 && t.shared == 0);
    CHECK(ft_get(&t, BASE + 3 * PG) == 1);
    for (uint64_t i = 0; i < 16; i++)
        CHECK(i == 3 || ft_get(&t, BASE + i * PG) == 0);
    CHECK(guards_ok(&t));

    struct frametab empty;                                   // a pool of no frames
    setup(&empty, BASE, 0);
    CHECK(ft_get(&empty, BASE) == -1 && ft_inc(&empty, BASE) == -1);
    CHECK(empty.used == 0);
}

static void
test_dec_below_zero(void)
{
    struct frametab t;
    setup(&t, BASE, 8);
    CHECK(ft_dec(&t, BASE + PG) == -1);
    CHECK(ft_get(&t, BASE + PG) == 0);
    CHECK(t.used == 0 && t.shared == 0);
    CHECK(ft_inc(&t, BASE + PG) == 1);
    CHECK(ft_dec(&t, BASE + PG) == 0);
    CHECK(ft_dec(&t, BASE + PG) == -1);
    CHECK(ft_get(&t, BASE + PG) == 0);
    CHECK(t.used == 0 && t.shared == 0);
    CHECK(guards_ok(&t));
}

static void
test_saturation(void)
{
    struct frametab t;
    setup(&t, BASE, 4);
    uint64_t pa = BASE + 2 * PG;
    CHECK(ft_inc(&t, pa) == 1 && ft_inc(&t, pa) == 2);
    refmem[1 + 2] = FT_REF_MAX - 1000;                       // as if 2^31 - 1000 references were taken
    int last = 0;
    for (int i = 0; i < 1000; i++)
        last = ft_inc(&t, pa);
    CHECK(last == FT_REF_MAX);
    CHECK(FT_REF_MAX > 65535);                               // 65,535 mappings of one page are fine
    CHECK(ft_inc(&t, pa) == -1);                             // refused, not wrapped
    CHECK(ft_inc(&t, pa) == -1);
    CHECK(ft_get(&t, pa) == FT_REF_MAX);
    CHECK(t.used == 1 && t.shared == 1);
    CHECK(ft_dec(&t, pa) == FT_REF_MAX - 1);
    CHECK(ft_inc(&t, pa) == FT_REF_MAX);
    CHECK(ft_get(&t, pa + PG) == 0 && ft_get(&t, pa - PG) == 0);
    CHECK(guards_ok(&t));
}

static void
test_random_vs_model(void)
{
    struct frametab t;
    enum { N = 64 };
    setup(&t, BASE, N);
    int model[N] = { 0 };
    rng_state = 0xFEEDFACE12345ull;
    for (int step = 0; step < 200000 && check_case_failures() == 0; step++) {
        uint64_t f = rng_below(N), pa = BASE + f * PG;
        int got, want;
        if (rng_below(2)) {
            got = ft_inc(&t, pa);
            want = model[f] == FT_REF_MAX ? -1 : ++model[f];
        } else {
            got = ft_dec(&t, pa);
            want = model[f] == 0 ? -1 : --model[f];
        }
        CHECKF(got == want, "step %d frame %llu: got %d want %d", step,
               (unsigned long long)f, got, want);
        uint64_t used = 0, shared = 0;
        for (int i = 0; i < N; i++) {
            used += model[i] >= 1;
            shared += model[i] > 1;
        }
        CHECKF(t.used == used && t.shared == shared,
               "step %d: used %llu/%llu shared %llu/%llu", step,
               (unsigned long long)t.used, (unsigned long long)used,
               (unsigned long long)t.shared, (unsigned long long)shared);
        if (step % 1000 == 0)
            for (int i = 0; i < N; i++)
                CHECK(ft_get(&t, BASE + (uint64_t)i * PG) == model[i]);
    }
    CHECK(guards_ok(&t));
}

static void
test_cow_decide(void)
{
    CHECK(cow_decide(1) == COW_REUSE);
    for (int r = 2; r <= 70000; r++)
        CHECKF(cow_decide(r) == COW_COPY, "cow_decide(%d)", r);
    CHECK(cow_decide(FT_REF_MAX) == COW_COPY);
    CHECK(cow_decide(0) == COW_COPY);                        // bogus counts: copy
    CHECK(cow_decide(-1) == COW_COPY);
}

// ---- fork / exit / munmap simulation ----------------------------------------

// Shadow node provider: nodes.h.

// The simulated pager: a pool, its counts, the zero page, and error tallies.
#define NF 256
struct sim {
    struct frametab ft;
    uint64_t zero_pa;
    uint64_t cursor;         // next frame the allocator tries
    int errors;              // ft_* calls that returned -1
    int freed;               // frames whose count dropped to 0
};

static struct sim sim;

// Allocate a frame with count 1. Returns its pa, 0 when the pool is full.
static uint64_t
sim_frame_alloc(void)
{
    for (uint64_t n = 0; n < NF; n++) {
        uint64_t pa = BASE + ((sim.cursor + n) % NF) * PG;
        if (ft_get(&sim.ft, pa) == 0) {
            sim.cursor = (sim.cursor + n + 1) % NF;
            if (ft_inc(&sim.ft, pa) != 1)
                sim.errors++;
            return pa;
        }
    }
    return 0;
}

// Drop a reference to the frame of entry e (the zero page takes none).
static void
sim_unref(spte_t e)
{
    if (!(e & SPTE_PRESENT) || (e & SPTE_ZERO))
        return;
    int r = ft_dec(&sim.ft, SPTE_PA(e));
    if (r < 0)
        sim.errors++;
    else if (r == 0)
        sim.freed++;
}

// shadow_copy callback for fork: share the frame copy-on-write.
static void
fork_fn(void *arg, uint64_t va, spte_t *se, spte_t *de)
{
    (void)arg;
    (void)va;
    if (*se & SPTE_ZERO)
        return;
    *se |= SPTE_COW;
    *de |= SPTE_COW;
    if (ft_inc(&sim.ft, SPTE_PA(*se)) < 0)
        sim.errors++;
}

// shadow_destroy callback for exit.
static void
exit_fn(void *arg, uint64_t va, spte_t e)
{
    (void)arg;
    (void)va;
    sim_unref(e);
}

// shadow_walk callback for munmap: drop the frame and clear the entry.
static void
unmap_fn(void *arg, uint64_t va, spte_t *e)
{
    (void)arg;
    (void)va;
    sim_unref(*e);
    *e = 0;
}

// Fork: a new shadow sharing everything of parent. Returns 0 or -1.
static int
sim_fork(struct shadow *child, struct shadow *parent)
{
    if (shadow_init(child, &node_ops) < 0)
        return -1;
    return shadow_copy(child, parent, 0, SHADOW_VA_LIMIT, fork_fn, NULL);
}

// A write fault at va in s: zero-fill or copy-on-write. Returns the action
// taken (0 zero-fill, 1 reuse, 2 copy), -1 on a missing entry or no frame.
static int
sim_write(struct shadow *s, uint64_t va)
{
    spte_t *e = shadow_lookup(s, va);
    if (e == NULL || *e == 0)
        return -1;
    if (*e & SPTE_ZERO) {
        uint64_t pa = sim_frame_alloc();
        if (pa == 0)
            return -1;
        *e = pa | SPTE_PRESENT;
        return 0;
    }
    if (!(*e & SPTE_COW))
        return 1;                                            // already private
    if (cow_decide(ft_get(&sim.ft, SPTE_PA(*e))) == COW_REUSE) {
        *e &= ~(spte_t)SPTE_COW;
        return 1;
    }
    uint64_t pa = sim_frame_alloc();
    if (pa == 0)
        return -1;
    sim_unref(*e);
    *e = pa | SPTE_PRESENT;
    return 2;
}

// Expected counts: one per entry naming a frame in the live shadows, plus
// the extra references in `extra`.
static int expected[NF];

static void
count_fn(void *arg, uint64_t va, spte_t *e)
{
    (void)arg;
    (void)va;
    if ((*e & SPTE_PRESENT) && !(*e & SPTE_ZERO))
        expected[(SPTE_PA(*e) - BASE) / PG]++;
}

// True if every frame's count equals the references the live shadows and
// `extra` hold, and used/shared agree.
static bool
counts_consistent(struct shadow **live, int nlive, const int *extra)
{
    uint64_t used = 0, shared = 0;
    for (int f = 0; f < NF; f++)
        expected[f] = extra[f];
    for (int i = 0; i < nlive; i++)
        shadow_walk(live[i], 0, SHADOW_VA_LIMIT, count_fn, NULL);
    for (int f = 0; f < NF; f++) {
        if (ft_get(&sim.ft, BASE + (uint64_t)f * PG) != expected[f])
            return false;
        used += expected[f] >= 1;
        shared += expected[f] > 1;
    }
    return sim.ft.used == used && sim.ft.shared == shared;
}

// Map n pages from va in s: private frames, or the zero page if zero.
// Returns false when a slot or a frame cannot be had.
static bool
sim_map(struct shadow *s, uint64_t va, int n, bool zero)
{
    for (int i = 0; i < n; i++) {
        spte_t *e = shadow_slot(s, va + (uint64_t)i * PG);
        uint64_t pa = zero ? sim.zero_pa : sim_frame_alloc();
        if (e == NULL || pa == 0)
            return false;
        *e = pa | SPTE_PRESENT | (zero ? SPTE_ZERO : 0);
    }
    return true;
}

static uint32_t simref[NF];

static void
test_fork_exit_no_leak(void)
{
    memset(&sim, 0, sizeof sim);
    nodes_live = 0;
    ft_init(&sim.ft, simref, BASE, NF);
    int extra[NF] = { 0 };
    sim.zero_pa = sim_frame_alloc();                         // the pager's own ref
    extra[(sim.zero_pa - BASE) / PG]++;

    struct shadow parent;
    REQUIRE(shadow_init(&parent, &node_ops) == 0);
    const uint64_t text = 0x10000, heap = (64ull << 20) - 8 * PG, bss = 3ull << 30;
    REQUIRE(sim_map(&parent, text, 10, false));
    REQUIRE(sim_map(&parent, heap, 30, false));              // crosses 2 MiB
    REQUIRE(sim_map(&parent, bss, 12, true));
    for (int i = 0; i < 10; i++) {                           // a page cache holds the text
        uint64_t pa = SPTE_PA(*shadow_lookup(&parent, text + (uint64_t)i * PG));
        REQUIRE(ft_inc(&sim.ft, pa) == 2);
        extra[(pa - BASE) / PG]++;
    }
    struct shadow *live[3] = { &parent };
    REQUIRE(counts_consistent(live, 1, extra));
    uint32_t before[NF];
    memcpy(before, simref, sizeof before);
    uint64_t used0 = sim.ft.used, shared0 = sim.ft.shared;

    // Phase 1: fork, the child writes, the child exits: counts as before.
    struct shadow child;
    REQUIRE(sim_fork(&child, &parent) == 0);
    live[1] = &child;
    CHECK(counts_consistent(live, 2, extra));
    CHECK(ft_get(&sim.ft, SPTE_PA(*shadow_lookup(&parent, heap))) == 2);
    CHECK(sim_write(&child, heap) == 2);                     // shared: copy
    CHECK(sim_write(&child, heap) == 1);                     // now private
    CHECK(sim_write(&child, bss) == 0);                      // zero-fill
    CHECK(sim_write(&child, text) == 2);
    CHECK(counts_consistent(live, 2, extra));
    shadow_destroy(&child, exit_fn, NULL);
    CHECK(memcmp(before, simref, sizeof before) == 0);
    CHECK(sim.ft.used == used0 && sim.ft.shared == shared0);
    CHECK(counts_consistent(live, 1, extra));

    // Phase 2: fork, grandchild, writes on every side, exits out of order.
    struct shadow grand;
    REQUIRE(sim_fork(&child, &parent) == 0);
    REQUIRE(sim_fork(&grand, &child) == 0);
    live[1] = &child;
    live[2] = &grand;
    CHECK(counts_consistent(live, 3, extra));
    CHECK(sim_write(&parent, heap + PG) == 2);               // 3 sharers: copy
    CHECK(sim_write(&child, heap + PG) == 2);                // 2 left: copy
    CHECK(sim_write(&grand, heap + PG) == 1);                // last one: reuse
    CHECK(sim_write(&grand, bss + PG) == 0);
    CHECK(sim_write(&child, text + PG) == 2);
    CHECK(counts_consistent(live, 3, extra));
    shadow_destroy(&child, exit_fn, NULL);                   // middle exits first
    live[1] = &grand;
    CHECK(counts_consistent(live, 2, extra));
    CHECK(sim_write(&parent, heap + 2 * PG) == 2);
    CHECK(sim_write(&grand, heap + 2 * PG) == 1);
    shadow_destroy(&grand, exit_fn, NULL);
    CHECK(counts_consistent(live, 1, extra));

    // munmap half the heap (across 2 MiB) and prune.
    size_t nodes = parent.nodes;
    CHECK(shadow_walk(&parent, heap, heap + 20 * PG, unmap_fn, NULL) == 20);
    shadow_prune(&parent, heap, heap + 20 * PG);
    CHECK(parent.nodes == nodes - 1);                        // the first heap leaf
    CHECK(counts_consistent(live, 1, extra));

    // The parent exits; then the page cache and the zero page go.
    shadow_destroy(&parent, exit_fn, NULL);
    int none[NF] = { 0 };
    CHECK(counts_consistent(live, 0, extra));
    for (int f = 0; f < NF; f++)
        while (extra[f]-- > 0)
            sim_unref((BASE + (uint64_t)f * PG) | SPTE_PRESENT);
    CHECK(counts_consistent(live, 0, none));
    CHECK(sim.ft.used == 0 && sim.ft.shared == 0);
    CHECKF(sim.errors == 0, "%d refcount errors", sim.errors);
    CHECK(nodes_live == 0);
}

int
main(void)
{
    CHECK_RUN(frametab, init);
    CHECK_RUN(frametab, inc_dec_get);
    CHECK_RUN(frametab, bad_pa);
    CHECK_RUN(frametab, dec_below_zero);
    CHECK_RUN(frametab, saturation);
    CHECK_RUN(frametab, random_vs_model);
    CHECK_RUN(frametab, cow_decide);
    CHECK_RUN(frametab, fork_exit_no_leak);
    return check_exit_code();
}
