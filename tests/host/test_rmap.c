// Host unit tests for servers/pager/rmap.c: edge cases, then randomized
// operations checked against a reference model (a plain list of mappings).

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "check.h"
#include "rmap.h"

#define PG RMAP_PAGE

// ---- helpers -----------------------------------------------------------------

// A reverse map over a buffer of its own (free with done()).
struct fixture {
    struct rmap m;
    void *buf;
    size_t len;
};

// Set f up for the limits; false if the buffer or init failed.
static bool
setup(struct fixture *f, uint32_t nframes, uint32_t nas, uint32_t nentries)
{
    f->len = rmap_bytes(nframes, nas, nentries);
    f->buf = f->len ? malloc(f->len) : NULL;
    if (!f->buf)
        return false;
    return rmap_init(&f->m, f->buf, f->len, nframes, nas, nentries) == 0;
}

static void
done(struct fixture *f)
{
    free(f->buf);
    f->buf = NULL;
}

// A copy of everything the map owns, to prove an operation changed nothing.
struct snap {
    struct rmap m;
    void *buf;
};

static void
take(struct snap *s, const struct fixture *f)
{
    s->m = f->m;
    s->buf = malloc(f->len);
    if (s->buf)
        memcpy(s->buf, f->buf, f->len);
}

// True if f is byte for byte what s saw; frees s's copy.
static bool
same(struct snap *s, const struct fixture *f)
{
    bool eq = s->buf && memcmp(&s->m, &f->m, sizeof s->m) == 0 &&
              memcmp(s->buf, f->buf, f->len) == 0;
    free(s->buf);
    s->buf = NULL;
    return eq;
}

// How many times iterating frame returns (as, va); -1 if it returns more
// mappings than the map can hold (a loop).
static int
seen(const struct rmap *m, uint32_t frame, uint32_t as, uint64_t va)
{
    struct rmap_iter it;
    uint32_t a;
    uint64_t v;
    int n = 0;
    uint32_t steps = 0;
    rmap_iter_init(m, frame, &it);
    while (rmap_iter_next(m, &it, &a, &v)) {
        if (++steps > m->nentries)
            return -1;
        n += a == as && v == va;
    }
    return n;
}

// ---- edge cases ----------------------------------------------------------------

static void
test_init_limits(void)
{
    CHECK(rmap_bytes(0, 1, 1) == 0);
    CHECK(rmap_bytes(1, 0, 1) == 0);
    CHECK(rmap_bytes(1, 1, 0) == 0);
    CHECK(rmap_bytes(RMAP_MAX + 1, 1, 1) == 0);
    CHECK(rmap_bytes(1, 1, 1) > 0);

    size_t len = rmap_bytes(8, 2, 16);
    uint64_t *buf = malloc(len + 8);
    REQUIRE(buf);
    struct rmap m, before;
    memset(&m, 0x5a, sizeof m);
    before = m;
    CHECK(rmap_init(&m, buf, len - 1, 8, 2, 16) == -EINVAL);
    CHECK(rmap_init(&m, (char *)buf + 4, len, 8, 2, 16) == -EINVAL);
    CHECK(rmap_init(&m, NULL, len, 8, 2, 16) == -EINVAL);
    CHECK(rmap_init(&m, buf, len, 0, 2, 16) == -EINVAL);
    CHECK(memcmp(&m, &before, sizeof m) == 0);
    CHECK(rmap_init(&m, buf, len, 8, 2, 16) == 0);
    CHECK(rmap_check(&m) == 0);
    CHECK(rmap_free(&m) == 16);
    CHECK(m.nbuckets >= 16);
    for (uint32_t f = 0; f < 8; f++)
        CHECK(rmap_count(&m, f) == 0);
    free(buf);
}

static void
test_bad_args(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8, 4, 16));
    REQUIRE(rmap_add(&f.m, 1, 1, 0x1000) == 0);
    struct snap s;
    take(&s, &f);
    CHECK(rmap_add(&f.m, 8, 0, 0x2000) == -EINVAL);       // frame out of range
    CHECK(rmap_add(&f.m, 0, 4, 0x2000) == -EINVAL);       // as out of range
    CHECK(rmap_add(&f.m, 0, 0, 0x2010) == -EINVAL);       // va not page aligned
    CHECK(rmap_remove(&f.m, 8, 1, 0x1000) == -EINVAL);
    CHECK(rmap_remove(&f.m, 1, 4, 0x1000) == -EINVAL);
    CHECK(rmap_remove(&f.m, 1, 1, 0x1008) == -EINVAL);
    CHECK(rmap_move(&f.m, 1, 8, 1, 0x1000) == -EINVAL);
    CHECK(rmap_move(&f.m, 8, 1, 1, 0x1000) == -EINVAL);
    CHECK(rmap_lookup(&f.m, 4, 0x1000) == -EINVAL);
    CHECK(rmap_lookup(&f.m, 1, 0x1001) == -EINVAL);
    CHECK(rmap_remove_as(&f.m, 4) == -EINVAL);
    CHECK(rmap_count(&f.m, 8) == 0);
    CHECK(seen(&f.m, 8, 1, 0x1000) == 0);
    CHECK(same(&s, &f));
    CHECK(rmap_lookup(&f.m, 1, 0x1000) == 1);
    done(&f);
}

// Several address spaces share a frame; counts and lookups follow.
static void
test_add_remove_lookup(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 16, 8, 32));
    for (uint32_t as = 0; as < 5; as++)
        CHECK(rmap_add(&f.m, 3, as, 0x40000) == 0);
    CHECK(rmap_add(&f.m, 4, 0, 0x41000) == 0);
    CHECK(rmap_count(&f.m, 3) == 5);
    CHECK(rmap_count(&f.m, 4) == 1);
    CHECK(rmap_lookup(&f.m, 2, 0x40000) == 3);
    CHECK(rmap_lookup(&f.m, 0, 0x41000) == 4);
    CHECK(rmap_lookup(&f.m, 5, 0x40000) == -ENOENT);
    for (uint32_t as = 0; as < 5; as++)
        CHECK(seen(&f.m, 3, as, 0x40000) == 1);
    CHECK(rmap_remove(&f.m, 3, 2, 0x40000) == 0);
    CHECK(rmap_count(&f.m, 3) == 4);
    CHECK(seen(&f.m, 3, 2, 0x40000) == 0);
    CHECK(rmap_lookup(&f.m, 2, 0x40000) == -ENOENT);
    CHECK(rmap_free(&f.m) == 32 - 5);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// A second frame for the same (as, va) is refused, as is removing a mapping
// that is not there or is at another frame; nothing changes.
static void
test_duplicate_and_missing(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8, 4, 16));
    REQUIRE(rmap_add(&f.m, 2, 1, 0x5000) == 0);
    struct snap s;
    take(&s, &f);
    CHECK(rmap_add(&f.m, 2, 1, 0x5000) == -EEXIST);
    CHECK(rmap_add(&f.m, 3, 1, 0x5000) == -EEXIST);
    CHECK(rmap_remove(&f.m, 3, 1, 0x5000) == -ENOENT);   // at another frame
    CHECK(rmap_remove(&f.m, 2, 0, 0x5000) == -ENOENT);   // another as
    CHECK(rmap_remove(&f.m, 2, 1, 0x6000) == -ENOENT);   // another va
    CHECK(rmap_move(&f.m, 3, 4, 1, 0x5000) == -ENOENT);
    CHECK(same(&s, &f));
    CHECK(rmap_lookup(&f.m, 1, 0x5000) == 2);
    CHECK(rmap_remove(&f.m, 2, 1, 0x5000) == 0);
    CHECK(rmap_remove(&f.m, 2, 1, 0x5000) == -ENOENT);   // twice
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// A full pool refuses one more mapping and changes nothing; one removal
// makes room again; a move still works when full (it needs no entry).
static void
test_pool_full(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 64, 4, 40));
    for (uint32_t i = 0; i < 40; i++)
        REQUIRE(rmap_add(&f.m, i % 64, i % 4, (uint64_t)i * PG) == 0);
    CHECK(rmap_free(&f.m) == 0);
    struct snap s;
    take(&s, &f);
    CHECK(rmap_add(&f.m, 50, 0, 0x100000) == -ENOMEM);
    CHECK(rmap_add(&f.m, 0, 3, 0x100000) == -ENOMEM);
    CHECK(same(&s, &f));
    CHECK(rmap_lookup(&f.m, 0, 0x100000) == -ENOENT);
    CHECK(rmap_move(&f.m, 7, 60, 7 % 4, 7 * PG) == 0);
    CHECK(rmap_count(&f.m, 60) == 1 && rmap_count(&f.m, 7) == 0);
    CHECK(rmap_remove(&f.m, 5, 1, 5 * PG) == 0);
    CHECK(rmap_add(&f.m, 50, 0, 0x100000) == 0);
    CHECK(rmap_add(&f.m, 51, 0, 0x101000) == -ENOMEM);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// Filling and emptying the pool many times keeps the free list whole.
static void
test_reuse(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 32, 8, 100));
    for (int round = 0; round < 20; round++) {
        for (uint32_t i = 0; i < 100; i++)
            REQUIRE(rmap_add(&f.m, (i * 7 + (uint32_t)round) % 32, i % 8,
                             (uint64_t)(i + (uint32_t)round) * PG) == 0);
        REQUIRE(rmap_add(&f.m, 0, 0, 0x7770000) == -ENOMEM);
        REQUIRE(rmap_check(&f.m) == 0);
        if (round % 2) {
            for (uint32_t as = 0; as < 8; as++)
                CHECK(rmap_remove_as(&f.m, as) == 100 / 8 + (as < 100 % 8));
        } else {
            for (uint32_t i = 0; i < 100; i++)
                REQUIRE(rmap_remove(&f.m, (i * 7 + (uint32_t)round) % 32, i % 8,
                                    (uint64_t)(i + (uint32_t)round) * PG) == 0);
        }
        REQUIRE(rmap_free(&f.m) == 100);
        REQUIRE(rmap_check(&f.m) == 0);
    }
    done(&f);
}

// Copy-on-write break: one of the sharers moves to its own frame.
static void
test_move(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 16, 4, 16));
    for (uint32_t as = 0; as < 3; as++)
        REQUIRE(rmap_add(&f.m, 5, as, 0x10000) == 0);
    CHECK(rmap_move(&f.m, 5, 9, 1, 0x10000) == 0);
    CHECK(rmap_count(&f.m, 5) == 2);
    CHECK(rmap_count(&f.m, 9) == 1);
    CHECK(rmap_lookup(&f.m, 1, 0x10000) == 9);
    CHECK(seen(&f.m, 5, 1, 0x10000) == 0);
    CHECK(seen(&f.m, 9, 1, 0x10000) == 1);
    CHECK(rmap_move(&f.m, 5, 9, 1, 0x10000) == -ENOENT);   // not at 5 any more
    CHECK(rmap_move(&f.m, 9, 9, 1, 0x10000) == 0);         // to itself: no change
    CHECK(rmap_count(&f.m, 9) == 1);
    CHECK(rmap_free(&f.m) == 13);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// Iterating a frame while removing the mapping just returned (eviction).
static void
test_remove_while_iterating(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8, 16, 64));
    for (uint32_t as = 0; as < 12; as++)
        REQUIRE(rmap_add(&f.m, 2, as, 0x20000 + as * PG) == 0);
    REQUIRE(rmap_add(&f.m, 3, 0, 0x90000) == 0);

    // Every other one.
    struct rmap_iter it;
    uint32_t as, visits = 0, mask = 0;
    uint64_t va;
    rmap_iter_init(&f.m, 2, &it);
    while (rmap_iter_next(&f.m, &it, &as, &va)) {
        visits++;
        mask |= 1u << as;
        CHECK(va == 0x20000 + as * PG);
        if (as % 2 == 0)
            CHECK(rmap_remove(&f.m, 2, as, va) == 0);
    }
    CHECK(visits == 12 && mask == 0xfff);
    CHECK(rmap_count(&f.m, 2) == 6);
    CHECK(rmap_check(&f.m) == 0);

    // All of them, moving some (a COW break during the walk) and removing the rest.
    visits = 0;
    mask = 0;
    rmap_iter_init(&f.m, 2, &it);
    while (rmap_iter_next(&f.m, &it, &as, &va)) {
        visits++;
        mask |= 1u << as;
        if (as == 5)
            CHECK(rmap_move(&f.m, 2, 6, as, va) == 0);
        else
            CHECK(rmap_remove(&f.m, 2, as, va) == 0);
    }
    CHECK(visits == 6 && mask == 0xaaa);
    CHECK(rmap_count(&f.m, 2) == 0);
    CHECK(rmap_count(&f.m, 6) == 1 && rmap_count(&f.m, 3) == 1);
    CHECK(rmap_free(&f.m) == 62);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

struct unmap_ctx {
    struct rmap *m;
    uint32_t frame, calls, stop_after;
};

// Callback: remove the mapping given (unmap it everywhere); stop (return 7)
// after stop_after calls.
static int
unmap_one(void *arg, uint32_t as, uint64_t va)
{
    struct unmap_ctx *c = arg;
    if (rmap_remove(c->m, c->frame, as, va) != 0)
        return -1;
    return ++c->calls == c->stop_after ? 7 : 0;
}

static void
test_foreach(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8, 16, 64));
    for (uint32_t as = 0; as < 10; as++)
        REQUIRE(rmap_add(&f.m, 4, as, 0x3000) == 0);
    struct unmap_ctx c = { &f.m, 4, 0, 3 };
    CHECK(rmap_foreach(&f.m, 4, unmap_one, &c) == 7);
    CHECK(c.calls == 3 && rmap_count(&f.m, 4) == 7);
    c.stop_after = 0;
    CHECK(rmap_foreach(&f.m, 4, unmap_one, &c) == 0);
    CHECK(c.calls == 10 && rmap_count(&f.m, 4) == 0);
    CHECK(rmap_foreach(&f.m, 4, unmap_one, &c) == 0);    // nothing left: no call
    CHECK(c.calls == 10);
    CHECK(rmap_free(&f.m) == 64);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// Exit of an address space that maps thousands of frames, some of them
// shared with others, leaves the others' mappings alone.
static void
test_remove_as_many(void)
{
    enum { NF = 4096, NA = 64, NE = 8000 };
    struct fixture f;
    REQUIRE(setup(&f, NF, NA, NE));
    for (uint32_t i = 0; i < 3000; i++)
        REQUIRE(rmap_add(&f.m, i, 1, 0x400000 + (uint64_t)i * PG) == 0);
    for (uint32_t i = 0; i < 3000; i += 2)      // shared with as 2 (forked)
        REQUIRE(rmap_add(&f.m, i, 2, 0x400000 + (uint64_t)i * PG) == 0);
    for (uint32_t i = 3000; i < NF; i++)        // as 3's own
        REQUIRE(rmap_add(&f.m, i, 3, (uint64_t)i * PG) == 0);
    CHECK(rmap_remove_as(&f.m, 1) == 3000);
    CHECK(rmap_check(&f.m) == 0);
    CHECK(rmap_free(&f.m) == NE - 1500 - (NF - 3000));
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 3000; i++) {
        bad += rmap_count(&f.m, i) != (i % 2 == 0);
        bad += rmap_lookup(&f.m, 1, 0x400000 + (uint64_t)i * PG) != -ENOENT;
        if (i % 2 == 0)
            bad += rmap_lookup(&f.m, 2, 0x400000 + (uint64_t)i * PG) != (int)i;
    }
    for (uint32_t i = 3000; i < NF; i++)
        bad += rmap_lookup(&f.m, 3, (uint64_t)i * PG) != (int)i;
    CHECKF(bad == 0, "%u wrong counts or lookups after remove_as", bad);
    CHECK(rmap_remove_as(&f.m, 1) == 0);
    CHECK(rmap_remove_as(&f.m, 2) == 1500);
    CHECK(rmap_remove_as(&f.m, 3) == NF - 3000);
    CHECK(rmap_free(&f.m) == NE);
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// rmap_check notices broken links (so the random test's checks mean something).
static void
test_check_detects(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8, 4, 16));
    for (uint32_t as = 0; as < 4; as++)
        REQUIRE(rmap_add(&f.m, 1, as, 0x1000) == 0);
    REQUIRE(rmap_check(&f.m) == 0);
    uint32_t head = f.m.fhead[1];

    f.m.fcount[1]++;
    CHECK(rmap_check(&f.m) == RMAP_EFRAME);
    f.m.fcount[1]--;

    uint32_t saved = f.m.e[head].fnext;
    f.m.e[head].fnext = head;                   // a cycle
    CHECK(rmap_check(&f.m) == RMAP_EFRAME);
    f.m.e[head].fnext = saved;

    f.m.e[head].va += PG;                       // now in the wrong bucket
    CHECK(rmap_check(&f.m) != 0);
    f.m.e[head].va -= PG;

    saved = f.m.ahead[f.m.e[head].as];
    f.m.ahead[f.m.e[head].as] = RMAP_NIL;       // lost from its address space
    CHECK(rmap_check(&f.m) == RMAP_ECOUNT);
    f.m.ahead[f.m.e[head].as] = saved;

    f.m.used++;
    CHECK(rmap_check(&f.m) == RMAP_EFREE);
    f.m.used--;
    CHECK(rmap_check(&f.m) == 0);
    done(&f);
}

// ---- randomized against a model ------------------------------------------------

// The model: the recorded mappings in no order.
struct model {
    uint32_t n, max;
    uint32_t *frame, *as;
    uint64_t *va;
};

// Index of (as, va) in the model, or -1.
static int
model_find(const struct model *md, uint32_t as, uint64_t va)
{
    for (uint32_t i = 0; i < md->n; i++)
        if (md->as[i] == as && md->va[i] == va)
            return (int)i;
    return -1;
}

static void
model_del(struct model *md, int i)
{
    md->n--;
    md->frame[i] = md->frame[md->n];
    md->as[i] = md->as[md->n];
    md->va[i] = md->va[md->n];
}

// True if the map holds exactly the model's mappings: every frame's
// iteration and count, and every lookup.
static bool
agrees(const struct rmap *m, const struct model *md)
{
    uint32_t total = 0;
    for (uint32_t f = 0; f < m->nframes; f++) {
        struct rmap_iter it;
        uint32_t as, n = 0;
        uint64_t va;
        rmap_iter_init(m, f, &it);
        while (rmap_iter_next(m, &it, &as, &va)) {
            int i = model_find(md, as, va);
            if (i < 0 || md->frame[i] != f || ++n > md->n)
                return false;
        }
        if (n != rmap_count(m, f))
            return false;
        total += n;
    }
    if (total != md->n || rmap_free(m) != md->max - md->n)
        return false;
    for (uint32_t i = 0; i < md->n; i++)
        if (rmap_lookup(m, md->as[i], md->va[i]) != (int)md->frame[i])
            return false;
    return true;
}

// Run ops random operations with seed on f's map (empty) and md (empty),
// comparing every result with the model and the whole state every
// check_every ops. Pages are drawn from npages of them.
static void
random_ops(struct fixture *fx, struct model *mdp, uint64_t seed, uint32_t npages,
           uint32_t ops, uint32_t check_every)
{
    struct rmap *m = &fx->m;
    struct model *md = mdp;
    uint32_t nframes = m->nframes, nas = m->nas, nentries = m->nentries;
    rng_state = seed;
    uint32_t adds = 0, fulls = 0, dups = 0;
    for (uint32_t op = 0; op < ops; op++) {
        // Phases of 4 * nentries operations alternate between filling (adds
        // first) and draining; an exit (remove_as) is rare.
        bool filling = (op / (4 * nentries)) % 2 == 0;
        uint32_t kind = (uint32_t)rng_below(100);
        if (kind >= (filling ? 60u : 25u))
            kind = 45 + (uint32_t)rng_below(54);
        else
            kind = 0;
        if (rng_below(1000) == 0)
            kind = 99;
        uint32_t fr = (uint32_t)rng_below(nframes), as = (uint32_t)rng_below(nas);
        uint64_t va = 0x10000 + rng_below(npages) * PG;
        // Half of the other operations name a recorded mapping (adds one
        // time in 16, to see -EEXIST), mostly at its own frame.
        if (md->n > 0 && rng_below(kind < 45 ? 16 : 2) == 0) {
            uint32_t k = (uint32_t)rng_below(md->n);
            as = md->as[k];
            va = md->va[k];
            if (rng_below(8))
                fr = md->frame[k];
        }
        int i = model_find(md, as, va);
        if (kind < 45) {
            int want = i >= 0 ? -EEXIST : md->n == md->max ? -ENOMEM : 0;
            int got = rmap_add(m, fr, as, va);
            REQUIREF(got == want, "op %u add(%u,%u,%#llx) = %d, want %d", op, fr, as,
                     (unsigned long long)va, got, want);
            if (want == 0) {
                md->frame[md->n] = fr, md->as[md->n] = as, md->va[md->n] = va, md->n++;
                adds++;
            }
            fulls += want == -ENOMEM;
            dups += want == -EEXIST;
        } else if (kind < 75) {
            int want = i >= 0 && md->frame[i] == fr ? 0 : -ENOENT;
            int got = rmap_remove(m, fr, as, va);
            REQUIREF(got == want, "op %u remove = %d, want %d", op, got, want);
            if (want == 0)
                model_del(md, i);
        } else if (kind < 88) {
            uint32_t to = (uint32_t)rng_below(nframes);
            int want = i >= 0 && md->frame[i] == fr ? 0 : -ENOENT;
            int got = rmap_move(m, fr, to, as, va);
            REQUIREF(got == want, "op %u move = %d, want %d", op, got, want);
            if (want == 0)
                md->frame[i] = to;
        } else if (kind < 94) {
            int want = i >= 0 ? (int)md->frame[i] : -ENOENT;
            REQUIREF(rmap_lookup(m, as, va) == want, "op %u lookup", op);
        } else if (kind < 99) {
            // Walk a frame, removing each mapping with probability 1/2.
            uint32_t walked = 0, want_n = 0;
            for (uint32_t j = 0; j < md->n; j++)
                want_n += md->frame[j] == fr;
            struct rmap_iter it;
            uint32_t a;
            uint64_t v;
            rmap_iter_init(m, fr, &it);
            while (rmap_iter_next(m, &it, &a, &v)) {
                int j = model_find(md, a, v);
                REQUIREF(j >= 0 && md->frame[j] == fr && ++walked <= want_n,
                         "op %u walk of frame %u returned a wrong mapping", op, fr);
                if (rng_below(2)) {
                    REQUIRE(rmap_remove(m, fr, a, v) == 0);
                    model_del(md, j);
                }
            }
            REQUIREF(walked == want_n, "op %u walk saw %u of %u", op, walked, want_n);
        } else {
            int want = 0;
            for (uint32_t j = 0; j < md->n;) {
                if (md->as[j] == as) {
                    model_del(md, (int)j);
                    want++;
                } else {
                    j++;
                }
            }
            REQUIREF(rmap_remove_as(m, as) == want, "op %u remove_as", op);
        }
        if (op % check_every == 0 || op + 1 == ops) {
            int r = rmap_check(m);
            REQUIREF(r == 0, "op %u: rmap_check = %d", op, r);
            REQUIREF(agrees(m, md), "op %u: map and model differ", op);
        }
    }
    // The run must have exercised the interesting cases.
    CHECKF(adds > ops / 10 && fulls > 0 && dups > 0, "seed %llu: %u adds, %u full pools, %u dups",
           (unsigned long long)seed, adds, fulls, dups);
}

// random_ops on a fresh map of these limits and a fresh model.
static void
random_run(uint64_t seed, uint32_t nframes, uint32_t nas, uint32_t nentries,
           uint32_t npages, uint32_t ops, uint32_t check_every)
{
    struct fixture f;
    struct model md = { 0, nentries, calloc(nentries, 4), calloc(nentries, 4),
                        calloc(nentries, 8) };
    f.buf = NULL;
    if (md.frame && md.as && md.va && setup(&f, nframes, nas, nentries))
        random_ops(&f, &md, seed, npages, ops, check_every);
    else
        CHECKF(0, "no memory for the test");
    free(md.frame);
    free(md.as);
    free(md.va);
    done(&f);
}

// Small limits: many duplicates, a pool often full, long frame lists.
static void
test_random_small(void)
{
    for (uint64_t seed = 1; seed <= 6 && check_case_failures() == 0; seed++)
        random_run(seed * 0x9E3779B97F4A7C15ull, 24, 6, 150, 100, 40000, 1);
}

// Larger limits: a hash table of thousands of entries.
static void
test_random_large(void)
{
    for (uint64_t seed = 11; seed <= 12 && check_case_failures() == 0; seed++)
        random_run(seed * 0xD1B54A32D192ED03ull, 2048, 64, 6000, 4096, 100000, 12500);
}

int
main(void)
{
    CHECK_RUN(rmap, init_limits);
    CHECK_RUN(rmap, bad_args);
    CHECK_RUN(rmap, add_remove_lookup);
    CHECK_RUN(rmap, duplicate_and_missing);
    CHECK_RUN(rmap, pool_full);
    CHECK_RUN(rmap, reuse);
    CHECK_RUN(rmap, move);
    CHECK_RUN(rmap, remove_while_iterating);
    CHECK_RUN(rmap, foreach);
    CHECK_RUN(rmap, remove_as_many);
    CHECK_RUN(rmap, check_detects);
    CHECK_RUN(rmap, random_small);
    CHECK_RUN(rmap, random_large);
    return check_exit_code();
}
