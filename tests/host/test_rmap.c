// Host unit tests for servers/pager/rmap.c: edge cases, then randomized
// operations (map, fork, unmap, swap out, shared objects mapped at several
// addresses, pinned spaces, exit) checked against a reference model made of
// plain arrays of mappings and regions.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rmap.h"
#include "nodes.h"

#define PG      RMAP_PAGE
#define NSP     8                   // address-space slots
#define NREG    128                 // region slots (all spaces)
#define NOBJ    6                   // objects
#define OBJ_PAGES 24                // pages of each object
#define MAXMAP  8192                // model mappings
#define MAXHIT  (NREG + NSP)        // mappings one query can find
#define VA0     ((2ull << 20) - 64 * PG) // the pages used cross a 2 MiB leaf boundary
#define VA_PAGES 192
#define VA_TOP  (SHADOW_VA_LIMIT - PG)
#define SWAPBIT (1ull << (SPTE_USER_SHIFT + 1)) // like the pager's SPTE_SWAP: not present

// ---- node provider -----------------------------------------------------------

// (nodes.h)

// ---- the implementation's side: spaces with a shadow and a region tree -------

struct tspace {
    struct shadow sh;
    struct vma_tree vt;
    bool pinned, live;
};

struct treg {
    struct vma_node node;           // [start, end)
    const void *obj;
    uint64_t pgoff;
    int space;                      // -1: slot free
};

static struct tspace sp[NSP];
static struct treg reg[NREG];
static char objmem[NOBJ + 1];       // objects are &objmem[i]; objmem[NOBJ] is never mapped
static unsigned nexts;              // calls of t_next

// rmap_spaces.next over sp[], in index order.
static void *
t_next(void *ctx, void *prev, struct rmap_space *s)
{
    (void)ctx;
    nexts++;
    for (int i = prev ? (int)((struct tspace *)prev - sp) + 1 : 0; i < NSP; i++) {
        if (sp[i].live) {
            *s = (struct rmap_space){ &sp[i].sh, &sp[i].vt, sp[i].pinned, &sp[i] };
            return &sp[i];
        }
    }
    return NULL;
}

static const void *
t_region(const struct vma_node *n, uint64_t *pgoff)
{
    const struct treg *r = vt_entry(n, struct treg, node);
    *pgoff = r->pgoff;
    return r->obj;
}

static const struct rmap_spaces spaces = { t_next, t_region, NULL };

// A mapping as a query reports it.
struct hit {
    int space;
    uint64_t va;
};

struct hits {
    struct hit h[MAXHIT];
    int n;
    bool bad;                       // fn got an entry other than the one at (space, va)
};

// rmap_fn: record the mapping; check that e is the space's entry at va.
static void
collect(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    struct hits *h = arg;
    struct tspace *t = s->owner;
    if (h->n == MAXHIT || s->shadow != &t->sh || s->vmas != &t->vt ||
        shadow_lookup(&t->sh, va) != e) {
        h->bad = true;
        return;
    }
    h->h[h->n++] = (struct hit){ (int)(t - sp), va };
}

// rmap_fn: clear the entry (what eviction does to a shared object's page).
static void
clear(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)s, (void)va;
    ++*(int *)arg;
    *e = 0;
}

static void
space_init(int i, bool pinned)
{
    sp[i].live = shadow_init(&sp[i].sh, &node_ops) == 0;
    vt_init(&sp[i].vt);
    sp[i].pinned = pinned;
}

static void
space_exit(int i)
{
    for (int r = 0; r < NREG; r++) {
        if (reg[r].space == i) {
            vt_remove(&sp[i].vt, &reg[r].node);
            reg[r].space = -1;
        }
    }
    shadow_destroy(&sp[i].sh, NULL, NULL);
    sp[i].live = false;
}

// Set the entry of space i at va. Returns false when no node could be had.
static bool
put(int i, uint64_t va, spte_t e)
{
    spte_t *p = shadow_slot(&sp[i].sh, va);
    if (p)
        *p = e;
    return p != NULL;
}

// Add a region [start, end) naming obj from page pgoff to space i. Returns
// its slot, or -1 (no slot, or it overlaps one).
static int
add_region(int i, uint64_t start, uint64_t end, const void *obj, uint64_t pgoff)
{
    for (int r = 0; r < NREG; r++) {
        if (reg[r].space >= 0)
            continue;
        reg[r] = (struct treg){ .node = { .start = start, .end = end }, .obj = obj, .pgoff = pgoff, .space = i };
        if (vt_insert(&sp[i].vt, &reg[r].node) < 0) {
            reg[r].space = -1;
            return -1;
        }
        return r;
    }
    return -1;
}

static void
reset(void)
{
    for (int i = 0; i < NSP; i++)
        if (sp[i].live)
            space_exit(i);
    memset(sp, 0, sizeof sp);
    for (int r = 0; r < NREG; r++)
        reg[r].space = -1;
    nexts = 0;
}

static uint64_t
frame(uint64_t n)
{
    return (0x80000ull + n) << 12;
}

// ---- edge cases --------------------------------------------------------------

static void
test_empty(void)
{
    reset();
    struct hits h = { .n = 0 };
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, collect, &h) == 0);
    CHECK(rmap_object(&spaces, &objmem[0], 0, frame(1), collect, &h) == 0);
    CHECK(rmap_entry(&spaces, VA0, frame(1) | SPTE_PRESENT, collect, &h) == 0);
    CHECK(h.n == 0 && !h.bad);
    // Spaces with nothing mapped, one with an empty shadow (no root).
    space_init(0, false);
    space_init(2, true);
    space_init(3, false);
    shadow_destroy(&sp[3].sh, NULL, NULL);
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, collect, &h) == 0);
    CHECK(rmap_object(&spaces, &objmem[0], 0, frame(1), collect, &h) == 0);
    CHECK(rmap_entry(&spaces, VA0, SWAPBIT | (5 << 12), collect, &h) == 0);
    CHECK(h.n == 0 && !h.bad);
    sp[3].live = false;
    reset();
    CHECK(nodes_live == 0);
}

static void
test_mapped_nowhere(void)
{
    reset();
    space_init(0, false);
    space_init(1, false);
    REQUIRE(put(0, VA0, frame(1) | SPTE_PRESENT));
    REQUIRE(put(1, VA0, frame(1) | SPTE_PRESENT | SPTE_COW));
    struct hits h = { .n = 0 };
    // Another frame at the same page, the same frame at another page, a
    // non-present entry with the frame's bits, a user address past the end.
    CHECK(rmap_private(&spaces, VA0, frame(2), RMAP_ALL, collect, &h) == 0);
    CHECK(rmap_private(&spaces, VA0 + PG, frame(1), RMAP_ALL, collect, &h) == 0);
    REQUIRE(put(0, VA0 + PG, frame(3) | SWAPBIT));
    CHECK(rmap_private(&spaces, VA0 + PG, frame(3), RMAP_ALL, collect, &h) == 0);
    CHECK(rmap_private(&spaces, SHADOW_VA_LIMIT, frame(1), RMAP_ALL, collect, &h) == 0);
    CHECK(h.n == 0 && !h.bad);
    // The frame where it is: both spaces, in their order.
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, collect, &h) == 2);
    CHECK(h.n == 2 && h.h[0].space == 0 && h.h[1].space == 1 && h.h[1].va == VA0 && !h.bad);
    // An exact entry value, not present: found by rmap_entry only.
    h.n = 0;
    CHECK(rmap_entry(&spaces, VA0 + PG, frame(3) | SWAPBIT, collect, &h) == 1);
    CHECK(rmap_entry(&spaces, VA0 + PG, frame(3) | SWAPBIT | SPTE_COW, NULL, NULL) == 0);
    CHECK(rmap_entry(&spaces, VA0, frame(1) | SPTE_PRESENT, NULL, NULL) == 1);
    CHECK(rmap_entry(&spaces, VA0, 0, NULL, NULL) == 0);
    CHECK(h.n == 1 && h.h[0].space == 0 && h.h[0].va == VA0 + PG);
    // The last user page.
    REQUIRE(put(1, VA_TOP, frame(9) | SPTE_PRESENT));
    CHECK(rmap_private(&spaces, VA_TOP, frame(9), RMAP_ALL, NULL, NULL) == 1);
    reset();
}

static void
test_max(void)
{
    reset();
    for (int i = 0; i < 4; i++) {
        space_init(i, false);
        REQUIRE(put(i, VA0, frame(1) | SPTE_PRESENT | SPTE_COW));
    }
    nexts = 0;
    CHECK(rmap_private(&spaces, VA0, frame(1), 0, NULL, NULL) == 0);
    CHECK(nexts == 0);               // max 0: nothing looked at
    struct hits h = { .n = 0 };
    CHECK(rmap_private(&spaces, VA0, frame(1), 2, collect, &h) == 2);
    CHECK(h.n == 2 && h.h[0].space == 0 && h.h[1].space == 1);
    CHECK(nexts == 2);               // stopped at the second: no third space asked for
    CHECK(rmap_private(&spaces, VA0, frame(1), 5, NULL, NULL) == 4);
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, NULL, NULL) == 4);
    reset();
}

static void
test_pinned(void)
{
    reset();
    space_init(0, false);
    space_init(1, true);
    space_init(2, false);
    REQUIRE(put(0, VA0, frame(1) | SPTE_PRESENT));
    REQUIRE(put(2, VA0, frame(1) | SPTE_PRESENT));
    REQUIRE(put(1, VA0, frame(2) | SPTE_PRESENT));
    // A pinned space that maps something else changes nothing.
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, NULL, NULL) == 2);
    // One that maps the frame: -1, fn called only for the spaces before it.
    REQUIRE(put(1, VA0, frame(1) | SPTE_PRESENT));
    struct hits h = { .n = 0 };
    CHECK(rmap_private(&spaces, VA0, frame(1), RMAP_ALL, collect, &h) == -1);
    CHECK(h.n == 1 && h.h[0].space == 0);
    CHECK(rmap_private(&spaces, VA0, frame(1), 1, NULL, NULL) == 1); // found enough before it
    // rmap_entry does not care.
    CHECK(rmap_entry(&spaces, VA0, frame(1) | SPTE_PRESENT, NULL, NULL) == 3);
    // Objects: the same rule.
    REQUIRE(add_region(0, VA0 + 8 * PG, VA0 + 12 * PG, &objmem[0], 2) >= 0);
    REQUIRE(add_region(1, VA0 + 20 * PG, VA0 + 24 * PG, &objmem[0], 0) >= 0);
    REQUIRE(put(0, VA0 + 9 * PG, frame(5) | SPTE_PRESENT));   // page 3
    CHECK(rmap_object(&spaces, &objmem[0], 3, frame(5), NULL, NULL) == 1);
    REQUIRE(put(1, VA0 + 23 * PG, frame(5) | SPTE_PRESENT));  // page 3 in the pinned one
    h.n = 0;
    CHECK(rmap_object(&spaces, &objmem[0], 3, frame(5), collect, &h) == -1);
    CHECK(h.n == 1 && h.h[0].space == 0 && h.h[0].va == VA0 + 9 * PG);
    reset();
}

// rmap_spaces.next like t_next, but describing no space's regions.
static void *
t_next_novmas(void *ctx, void *prev, struct rmap_space *s)
{
    void *o = t_next(ctx, prev, s);
    if (o)
        s->vmas = NULL;
    return o;
}

static void
test_region_bounds(void)
{
    reset();
    space_init(0, false);
    space_init(1, false);
    const void *o = &objmem[1];
    // Space 0: pages 5..8 of o at A, then pages 9..12 of another object,
    // then a region of no object. Space 1: pages 6..7 of o at C, pages 0..3
    // at B (the same object twice in one space), and its last two pages
    // (pgoff near the top of the range) at D.
    uint64_t A = VA0, C = VA0 + 40 * PG, D = VA0 + 60 * PG, B = VA0 + 100 * PG;
    REQUIRE(add_region(0, A, A + 4 * PG, o, 5) >= 0);
    REQUIRE(add_region(0, A + 4 * PG, A + 8 * PG, &objmem[2], 9) >= 0);
    REQUIRE(add_region(0, A + 8 * PG, A + 12 * PG, NULL, 0) >= 0);
    REQUIRE(add_region(1, C, C + 2 * PG, o, 6) >= 0);
    REQUIRE(add_region(1, D, D + 2 * PG, o, UINT64_MAX - 1) >= 0);
    REQUIRE(add_region(1, B, B + 4 * PG, o, 0) >= 0);
    // Entries inside and past the regions: page k of A's run is frame
    // 105 + k, of B's 100 + k, so page p of o is frame 100 + p wherever it is.
    for (uint64_t k = 0; k < 12; k++) {
        REQUIRE(put(0, A + k * PG, frame(105 + k) | SPTE_PRESENT));
        REQUIRE(put(1, B + k * PG, frame(100 + k) | SPTE_PRESENT));
    }
    REQUIRE(put(1, C, frame(106) | SPTE_PRESENT));
    REQUIRE(put(1, C + PG, frame(107) | SPTE_PRESENT));
    REQUIRE(put(1, D + PG, frame(200) | SPTE_PRESENT));
    struct hits h = { .n = 0 };
    CHECK(rmap_object(&spaces, o, 4, frame(104), NULL, NULL) == 0);   // below A, past B (its entry is there)
    CHECK(rmap_object(&spaces, o, 5, frame(105), collect, &h) == 1);  // A's first page
    CHECK(h.n == 1 && h.h[0].space == 0 && h.h[0].va == A);
    h.n = 0;
    CHECK(rmap_object(&spaces, o, 8, frame(108), collect, &h) == 1);  // A's last page
    CHECK(h.n == 1 && h.h[0].space == 0 && h.h[0].va == A + 3 * PG);
    CHECK(rmap_object(&spaces, o, 9, frame(109), NULL, NULL) == 0);   // past A: another object's page there
    CHECK(rmap_object(&spaces, o, 0, frame(100), NULL, NULL) == 1);   // B's first page
    CHECK(rmap_object(&spaces, o, 3, frame(103), NULL, NULL) == 1);   // B's last page
    h.n = 0;
    CHECK(rmap_object(&spaces, o, 6, frame(106), collect, &h) == 2);  // in space order, then address order
    CHECK(h.n == 2 && h.h[0].space == 0 && h.h[0].va == A + PG && h.h[1].space == 1 && h.h[1].va == C);
    CHECK(rmap_object(&spaces, o, 7, frame(107), NULL, NULL) == 2);
    CHECK(rmap_object(&spaces, o, 7, frame(106), NULL, NULL) == 0);   // the wrong frame
    CHECK(rmap_object(&spaces, &objmem[2], 9, frame(109), NULL, NULL) == 1);
    CHECK(rmap_object(&spaces, &objmem[2], 12, frame(112), NULL, NULL) == 1);
    CHECK(rmap_object(&spaces, &objmem[2], 13, frame(113), NULL, NULL) == 0);
    CHECK(rmap_object(&spaces, &objmem[3], 0, frame(100), NULL, NULL) == 0);
    h.n = 0;
    CHECK(rmap_object(&spaces, o, UINT64_MAX, frame(200), collect, &h) == 1); // D's last page
    CHECK(h.n == 1 && h.h[0].space == 1 && h.h[0].va == D + PG);
    CHECK(rmap_object(&spaces, o, UINT64_MAX - 2, frame(200), NULL, NULL) == 0);
    CHECK(rmap_object(&spaces, o, UINT64_MAX, frame(100), NULL, NULL) == 0);
    CHECK(!h.bad);
    // fn clears the entries (eviction): nothing maps the page afterwards.
    int cleared = 0;
    CHECK(rmap_object(&spaces, o, 6, frame(106), clear, &cleared) == 2 && cleared == 2);
    CHECK(rmap_object(&spaces, o, 6, frame(106), NULL, NULL) == 0);
    CHECK(rmap_object(&spaces, o, 7, frame(107), NULL, NULL) == 2);
    // Spaces described without their regions: no object mapping, private ones still.
    const struct rmap_spaces novmas = { t_next_novmas, t_region, NULL };
    CHECK(rmap_object(&novmas, o, 0, frame(100), NULL, NULL) == 0);
    CHECK(rmap_private(&novmas, B, frame(100), RMAP_ALL, NULL, NULL) == 1);
    reset();
}

// rmap_fn: the entry names slot *arg instead (eviction of a private page).
static void
to_slot(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)s, (void)va;
    *e = ((spte_t)*(uint32_t *)arg << 12) | SWAPBIT;
}

// rmap_fn: the entry names frame *arg again (a failed write's restore).
static void
to_frame(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)s, (void)va;
    *e = *(uint64_t *)arg | SPTE_PRESENT | SPTE_COW;
}

static void
test_evict_restore(void)
{
    reset();
    for (int i = 0; i < 5; i++)
        space_init(i, false);
    uint64_t pa = frame(7);
    uint32_t slot = 42;
    for (int i = 0; i < 5; i += 2)          // a fork family: spaces 0, 2, 4
        REQUIRE(put(i, VA0 + 3 * PG, pa | SPTE_PRESENT | SPTE_COW));
    REQUIRE(put(1, VA0 + 3 * PG, frame(8) | SPTE_PRESENT));
    REQUIRE(put(3, VA0 + 3 * PG, ((spte_t)slot << 12) | SWAPBIT | SPTE_COW)); // not the same value
    CHECK(rmap_private(&spaces, VA0 + 3 * PG, pa, RMAP_ALL, to_slot, &slot) == 3);
    CHECK(rmap_private(&spaces, VA0 + 3 * PG, pa, RMAP_ALL, NULL, NULL) == 0);
    struct hits h = { .n = 0 };
    CHECK(rmap_entry(&spaces, VA0 + 3 * PG, ((spte_t)slot << 12) | SWAPBIT, collect, &h) == 3);
    CHECK(h.n == 3 && h.h[0].space == 0 && h.h[1].space == 2 && h.h[2].space == 4 && !h.bad);
    CHECK(rmap_entry(&spaces, VA0 + 3 * PG, ((spte_t)slot << 12) | SWAPBIT, to_frame, &pa) == 3);
    CHECK(rmap_private(&spaces, VA0 + 3 * PG, pa, RMAP_ALL, NULL, NULL) == 3);
    CHECK(rmap_private(&spaces, VA0 + 3 * PG, frame(8), RMAP_ALL, NULL, NULL) == 1);
    reset();
}

// ---- randomized operations against a reference model ---------------------------

// The model: every non-empty entry (space, va, value), and every region
// (space, [start, end), object, first page). Plain arrays, linear searches.
static struct {
    struct { int sp; uint64_t va; spte_t e; } map[MAXMAP];
    int nmap;
    struct { int sp; uint64_t start, end; int obj; uint64_t pgoff; int slot; } reg[NREG];
    int nreg;
    bool live[NSP], pinned[NSP];
    uint64_t objpa[NOBJ][OBJ_PAGES]; // the frame holding each object page now, 0: none yet
    uint64_t frames;                 // frames handed out
} m;

static int
m_find(int s, uint64_t va)
{
    for (int i = 0; i < m.nmap; i++)
        if (m.map[i].sp == s && m.map[i].va == va)
            return i;
    return -1;
}

static spte_t
m_get(int s, uint64_t va)
{
    int i = m_find(s, va);
    return i < 0 ? 0 : m.map[i].e;
}

// Set (s, va) to e in the model (0 removes). Returns false when full.
static bool
m_set(int s, uint64_t va, spte_t e)
{
    int i = m_find(s, va);
    if (i >= 0 && e)
        m.map[i].e = e;
    else if (i >= 0)
        m.map[i] = m.map[--m.nmap];
    else if (e && m.nmap < MAXMAP)
        m.map[m.nmap++] = (typeof(m.map[0])){ s, va, e };
    else if (e)
        return false;
    return true;
}

// Map (s, va) to e in both. Returns false when the model is full.
static bool
both_set(int s, uint64_t va, spte_t e)
{
    if (!m_set(s, va, e))
        return false;
    spte_t *p = e ? shadow_slot(&sp[s].sh, va) : shadow_lookup(&sp[s].sh, va);
    if (p)
        *p = e;
    return true;
}

static bool
m_names(spte_t e, uint64_t pa)
{
    return (e & SPTE_PRESENT) && SPTE_PA(e) == pa;
}

// What rmap_private must say: spaces in index order.
static int
m_private(uint64_t va, uint64_t pa, unsigned max, struct hits *h)
{
    unsigned n = 0;
    for (int s = 0; s < NSP && n < max; s++) {
        if (!m.live[s] || !m_names(m_get(s, va), pa))
            continue;
        if (m.pinned[s])
            return -1;
        h->h[h->n++] = (struct hit){ s, va };
        n++;
    }
    return (int)n;
}

static int
m_entry(uint64_t va, spte_t value, struct hits *h)
{
    int n = 0;
    for (int s = 0; s < NSP; s++) {
        if (value && m.live[s] && m_get(s, va) == value) {
            h->h[h->n++] = (struct hit){ s, va };
            n++;
        }
    }
    return n;
}

// What rmap_object must say: spaces in index order, each one's regions by address.
static int
m_object(int obj, uint64_t page, uint64_t pa, struct hits *h)
{
    int n = 0;
    for (int s = 0; s < NSP; s++) {
        if (!m.live[s])
            continue;
        uint64_t vas[NREG];
        int k = 0;
        for (int r = 0; r < m.nreg; r++) {
            uint64_t npages = (m.reg[r].end - m.reg[r].start) / PG;
            if (m.reg[r].sp == s && m.reg[r].obj == obj && page >= m.reg[r].pgoff &&
                page < m.reg[r].pgoff + npages)
                vas[k++] = m.reg[r].start + (page - m.reg[r].pgoff) * PG;
        }
        for (int i = 1; i < k; i++)          // insertion sort by address
            for (int j = i; j > 0 && vas[j - 1] > vas[j]; j--) {
                uint64_t t = vas[j];
                vas[j] = vas[j - 1];
                vas[j - 1] = t;
            }
        for (int i = 0; i < k; i++) {
            if (!m_names(m_get(s, vas[i]), pa))
                continue;
            if (m.pinned[s])
                return -1;
            h->h[h->n++] = (struct hit){ s, vas[i] };
            n++;
        }
    }
    return n;
}

static bool
same_hits(const struct hits *a, const struct hits *b)
{
    if (a->bad || a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->h[i].space != b->h[i].space || a->h[i].va != b->h[i].va)
            return false;
    return true;
}

static uint64_t
new_frame(void)
{
    return frame(++m.frames);
}

static uint64_t
random_va(void)
{
    if (rng_below(40) == 0)
        return VA_TOP - rng_below(4) * PG;
    return VA0 + rng_below(VA_PAGES) * PG;
}

static int
random_live(void)
{
    int live[NSP], n = 0;
    for (int s = 0; s < NSP; s++)
        if (m.live[s])
            live[n++] = s;
    return n ? live[rng_below((uint64_t)n)] : -1;
}

static int
free_space(void)
{
    for (int s = 0; s < NSP; s++)
        if (!m.live[s])
            return s;
    return -1;
}

// The model's region overlapping [start, end) in space s, or -1.
static int
m_overlap(int s, uint64_t start, uint64_t end)
{
    for (int r = 0; r < m.nreg; r++)
        if (m.reg[r].sp == s && m.reg[r].start < end && start < m.reg[r].end)
            return r;
    return -1;
}

// Add a region to both. Returns false when it overlaps or no slot is left.
static bool
both_region(int s, uint64_t start, uint64_t end, int obj, uint64_t pgoff)
{
    if (m.nreg == NREG || m_overlap(s, start, end) >= 0)
        return false;
    int slot = add_region(s, start, end, &objmem[obj], pgoff);
    CHECKF(slot >= 0, "the tree refused [%#llx, %#llx), the model did not", (unsigned long long)start,
           (unsigned long long)end);
    if (slot < 0)
        return false;
    m.reg[m.nreg++] = (typeof(m.reg[0])){ s, start, end, obj, pgoff, slot };
    return true;
}

static void
m_unregion(int r)
{
    vt_remove(&sp[m.reg[r].sp].vt, &reg[m.reg[r].slot].node);
    reg[m.reg[r].slot].space = -1;
    m.reg[r] = m.reg[--m.nreg];
}

static void
op_spawn(void)
{
    int s = free_space();
    if (s < 0)
        return;
    space_init(s, rng_below(6) == 0);
    m.live[s] = sp[s].live;
    m.pinned[s] = sp[s].pinned;
}

static void
op_exit(void)
{
    int s = random_live();
    if (s < 0)
        return;
    space_exit(s);
    for (int i = m.nmap - 1; i >= 0; i--)
        if (m.map[i].sp == s)
            m.map[i] = m.map[--m.nmap];
    for (int r = m.nreg - 1; r >= 0; r--)
        if (m.reg[r].sp == s)
            m.reg[r] = m.reg[--m.nreg];
    m.live[s] = false;
}

// A private page: a new frame, or (sharing, like copy-on-write siblings)
// the frame another space maps at the same page.
static void
op_map_private(void)
{
    int s = random_live();
    if (s < 0)
        return;
    uint64_t va = random_va(), pa = 0;
    for (int t = 0; t < NSP && rng_below(2); t++)
        if (t != s && m.live[t] && (m_get(t, va) & SPTE_PRESENT))
            pa = SPTE_PA(m_get(t, va));
    both_set(s, va, (pa ? pa : new_frame()) | SPTE_PRESENT | (rng_below(2) ? SPTE_COW : 0));
}

// Fork: a new space with a copy of every entry and region of another.
static void
op_fork(void)
{
    int p = random_live(), c = free_space(), nreg = 0;
    for (int r = 0; r < m.nreg; r++)
        nreg += p >= 0 && m.reg[r].sp == p;
    if (p < 0 || c < 0 || m.nmap * 2 > MAXMAP || m.nreg + nreg > NREG)
        return;
    space_init(c, rng_below(8) == 0);
    if (!sp[c].live)
        return;
    m.live[c] = true;
    m.pinned[c] = sp[c].pinned;
    CHECK(shadow_copy(&sp[c].sh, &sp[p].sh, 0, SHADOW_VA_LIMIT, NULL, NULL) == 0);
    for (int i = 0, n = m.nmap; i < n; i++)
        if (m.map[i].sp == p)
            m_set(c, m.map[i].va, m.map[i].e);
    for (int r = 0, n = m.nreg; r < n; r++)
        if (m.reg[r].sp == p)
            CHECK(both_region(c, m.reg[r].start, m.reg[r].end, m.reg[r].obj, m.reg[r].pgoff));
}

// Unmap one entry, or a run of pages of one space.
static void
op_unmap(void)
{
    if (m.nmap == 0)
        return;
    int i = (int)rng_below((uint64_t)m.nmap), s = m.map[i].sp;
    uint64_t va = m.map[i].va, pages = rng_below(3) ? 1 : 1 + rng_below(16);
    for (uint64_t k = 0; k < pages && va + k * PG < SHADOW_VA_LIMIT; k++)
        both_set(s, va + k * PG, 0);
}

// Swap out: an entry names a slot (not present); sometimes a slot number
// equal to the frame's, so that only the present bit tells them apart.
static void
op_swap(void)
{
    if (m.nmap == 0)
        return;
    int i = (int)rng_below((uint64_t)m.nmap);
    uint64_t slot = rng_below(2) ? m.map[i].e >> 12 : rng_below(16);
    both_set(m.map[i].sp, m.map[i].va, (slot << 12) | SWAPBIT);
}

// A shared object mapped into a space at a random place from a random page,
// with some of its pages filled (the frame that holds the page now).
static void
op_map_object(void)
{
    int s = random_live(), obj = (int)rng_below(NOBJ);
    if (s < 0)
        return;
    uint64_t npages = 1 + rng_below(8), pgoff = rng_below(OBJ_PAGES - npages + 1);
    uint64_t start = VA0 + rng_below(VA_PAGES - npages + 1) * PG;
    if (!both_region(s, start, start + npages * PG, obj, pgoff))
        return;
    for (uint64_t k = 0; k < npages; k++) {
        if (rng_below(3) == 0)
            continue;
        uint64_t *pa = &m.objpa[obj][pgoff + k];
        if (!*pa)
            *pa = new_frame();
        both_set(s, start + k * PG, *pa | SPTE_PRESENT);
    }
}

// A fault on a page of a mapped object: the entry names its frame now.
static void
op_touch_object(void)
{
    if (m.nreg == 0)
        return;
    int r = (int)rng_below((uint64_t)m.nreg);
    uint64_t k = rng_below((m.reg[r].end - m.reg[r].start) / PG);
    uint64_t *pa = &m.objpa[m.reg[r].obj][m.reg[r].pgoff + k];
    if (!*pa)
        *pa = new_frame();
    both_set(m.reg[r].sp, m.reg[r].start + k * PG, *pa | SPTE_PRESENT);
}

// An object page gets a new frame (it went to swap and came back): the
// entries still naming the old one are stale.
static void
op_object_new_frame(void)
{
    m.objpa[rng_below(NOBJ)][rng_below(OBJ_PAGES)] = new_frame();
}

// munmap of a region; its entries go too, or (half the time) stay behind
// with no region over them.
static void
op_unmap_region(void)
{
    if (m.nreg == 0)
        return;
    int r = (int)rng_below((uint64_t)m.nreg), s = m.reg[r].sp;
    uint64_t start = m.reg[r].start, end = m.reg[r].end;
    m_unregion(r);
    if (rng_below(2))
        for (uint64_t va = start; va < end; va += PG)
            both_set(s, va, 0);
}

// A space becomes a server's (pinned), or (more often) stops being one.
static void
op_pin(void)
{
    int s = random_live();
    if (s >= 0)
        m.pinned[s] = sp[s].pinned = rng_below(3) == 0;
}

// A frame to ask about: one some entry names, one an object holds, or any.
static uint64_t
random_frame(void)
{
    uint64_t r = rng_below(10);
    if (r < 6 && m.nmap)
        return SPTE_PA(m.map[rng_below((uint64_t)m.nmap)].e);
    if (r < 8)
        return m.objpa[rng_below(NOBJ)][rng_below(OBJ_PAGES)];
    return frame(rng_below(m.frames + 3));
}

// What the questions of compare found: [0] rmap_private, [1] rmap_object,
// [2] rmap_entry; [k][0] some mapping, [k][1] -1 (pinned), [k][2] more than one.
static long seen[3][3];

static void
count_seen(int kind, int got)
{
    seen[kind][0] += got > 0;
    seen[kind][1] += got < 0;
    seen[kind][2] += got > 1;
}

// Ask the module and the model the same questions; false on a difference.
static bool
compare(int step)
{
    struct hits a = { .n = 0 }, b = { .n = 0 };
    // A private frame at its page (or at a random one).
    uint64_t va = random_va(), pa = random_frame();
    if (m.nmap && rng_below(4)) {
        int i = (int)rng_below((uint64_t)m.nmap);
        va = m.map[i].va;
        pa = SPTE_PA(m.map[i].e);
    }
    unsigned max = rng_below(3) ? RMAP_ALL : (unsigned)rng_below(4);
    int got = rmap_private(&spaces, va, pa, max, collect, &a), want = m_private(va, pa, max, &b);
    count_seen(0, got);
    if (got != want || !same_hits(&a, &b)) {
        CHECKF(false, "step %d: rmap_private(va %#llx, pa %#llx, max %u) = %d (%d calls), model %d (%d)",
               step, (unsigned long long)va, (unsigned long long)pa, max, got, a.n, want, b.n);
        return false;
    }
    // An exact entry value.
    a.n = b.n = 0;
    spte_t value = (rng_below(8) << 12) | SWAPBIT;
    if (m.nmap && rng_below(4)) {        // an entry's value, at its page or at another
        int i = (int)rng_below((uint64_t)m.nmap);
        value = m.map[i].e;
        va = rng_below(4) ? m.map[i].va : random_va();
    }
    got = rmap_entry(&spaces, va, value, collect, &a);
    want = m_entry(va, value, &b);
    count_seen(2, got);
    if (got != want || !same_hits(&a, &b)) {
        CHECKF(false, "step %d: rmap_entry(va %#llx, %#llx) = %d, model %d", step,
               (unsigned long long)va, (unsigned long long)value, got, want);
        return false;
    }
    // A page of an object, with the frame that holds it now (or another).
    a.n = b.n = 0;
    int obj = (int)rng_below(NOBJ + 1);  // NOBJ: an object no region names
    uint64_t page = rng_below(OBJ_PAGES + 2);
    pa = obj < NOBJ && page < OBJ_PAGES && rng_below(4) ? m.objpa[obj][page] : random_frame();
    got = rmap_object(&spaces, &objmem[obj], page, pa, collect, &a);
    want = obj < NOBJ ? m_object(obj, page, pa, &b) : 0;
    count_seen(1, got);
    if (got != want || !same_hits(&a, &b)) {
        CHECKF(false, "step %d: rmap_object(obj %d, page %llu, pa %#llx) = %d (%d calls), model %d (%d)",
               step, obj, (unsigned long long)page, (unsigned long long)pa, got, a.n, want, b.n);
        return false;
    }
    return true;
}

static void
test_random_vs_model(void)
{
    reset();
    memset(&m, 0, sizeof m);
    rng_state = 0x5EED0F12A4B3C2D1ull;
    static const struct { void (*fn)(void); int weight; } ops_tab[] = {
        { op_spawn, 4 }, { op_exit, 2 }, { op_map_private, 25 }, { op_fork, 3 }, { op_unmap, 10 },
        { op_swap, 6 }, { op_map_object, 8 }, { op_touch_object, 15 }, { op_object_new_frame, 3 },
        { op_unmap_region, 4 }, { op_pin, 3 },
    };
    int total = 0, counts[sizeof ops_tab / sizeof ops_tab[0]] = { 0 };
    for (size_t i = 0; i < sizeof ops_tab / sizeof ops_tab[0]; i++)
        total += ops_tab[i].weight;
    memset(seen, 0, sizeof seen);
    for (int step = 0; step < 40000 && check_case_failures() == 0; step++) {
        int r = (int)rng_below((uint64_t)total);
        size_t k = 0;
        while (r >= ops_tab[k].weight)
            r -= ops_tab[k++].weight;
        ops_tab[k].fn();
        counts[k]++;
        for (int q = 0; q < 4 && compare(step); q++)
            ;
        for (int s = 0; s < NSP && step % 1000 == 0; s++)
            if (m.live[s])
                CHECKF(vt_check(&sp[s].vt) == 0, "step %d: space %d's tree", step, s);
    }
    // The operations ran, and the questions met every kind of answer.
    for (size_t i = 0; i < sizeof ops_tab / sizeof ops_tab[0]; i++)
        CHECKF(counts[i] > 100, "operation %zu ran %d times", i, counts[i]);
    for (int kind = 0; kind < 3; kind++)
        CHECKF(seen[kind][0] > 1000 && (kind == 2 || seen[kind][1] > 100) && seen[kind][2] > 500,
               "question %d: found %ld, pinned %ld, more than one %ld", kind, seen[kind][0], seen[kind][1],
               seen[kind][2]);
    reset();
    CHECK(nodes_live == 0);
}

int
main(void)
{
    CHECK_RUN(rmap, empty);
    CHECK_RUN(rmap, mapped_nowhere);
    CHECK_RUN(rmap, max);
    CHECK_RUN(rmap, pinned);
    CHECK_RUN(rmap, region_bounds);
    CHECK_RUN(rmap, evict_restore);
    CHECK_RUN(rmap, random_vs_model);
    return check_exit_code();
}
