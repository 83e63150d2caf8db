// Host unit tests for servers/pager/swapslot.c: edge cases, then randomized
// operations checked against a reference model (a count per slot and a
// linear next-fit search).

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "check.h"
#include "swapslot.h"

// ---- helpers -----------------------------------------------------------------

struct fixture {
    struct swapslots ss;
    void *buf;
    size_t len;
};

// Set f up with n slots; false if the buffer or init failed.
static bool
setup(struct fixture *f, uint32_t n)
{
    f->len = slot_bytes(n);
    f->buf = f->len ? malloc(f->len) : NULL;
    if (!f->buf)
        return false;
    return slot_init(&f->ss, f->buf, f->len, n) == 0;
}

static void
done(struct fixture *f)
{
    free(f->buf);
    f->buf = NULL;
}

struct snap {
    struct swapslots ss;
    void *buf;
};

static void
take(struct snap *s, const struct fixture *f)
{
    s->ss = f->ss;
    s->buf = malloc(f->len);
    if (s->buf)
        memcpy(s->buf, f->buf, f->len);
}

// True if f is byte for byte what s saw; frees s's copy.
static bool
same(struct snap *s, const struct fixture *f)
{
    bool eq = s->buf && memcmp(&s->ss, &f->ss, sizeof s->ss) == 0 &&
              memcmp(s->buf, f->buf, f->len) == 0;
    free(s->buf);
    s->buf = NULL;
    return eq;
}

// ---- edge cases ----------------------------------------------------------------

static void
test_init_limits(void)
{
    CHECK(slot_bytes(0) == 0);
    CHECK(slot_bytes(SLOT_MAX + 1) == 0);
    CHECK(slot_bytes(1) == 8 + 4);
    CHECK(slot_bytes(65) == 16 + 65 * 4);
    size_t len = slot_bytes(100);
    uint64_t *buf = malloc(len + 8);
    REQUIRE(buf);
    struct swapslots ss, before;
    memset(&ss, 0x5a, sizeof ss);
    before = ss;
    CHECK(slot_init(&ss, buf, len - 1, 100) == -EINVAL);
    CHECK(slot_init(&ss, (char *)buf + 4, len, 100) == -EINVAL);
    CHECK(slot_init(&ss, NULL, len, 100) == -EINVAL);
    CHECK(slot_init(&ss, buf, len, 0) == -EINVAL);
    CHECK(memcmp(&ss, &before, sizeof ss) == 0);
    CHECK(slot_init(&ss, buf, len, 100) == 0);
    CHECK(slot_nfree(&ss) == 100);
    CHECK(slot_check(&ss) == 0);
    free(buf);
}

// Consecutive allocations get consecutive slots.
static void
test_sequential(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 300));
    for (int i = 0; i < 300; i++)
        CHECK(slot_alloc(&f.ss) == i);
    CHECK(slot_nfree(&f.ss) == 0);
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// Freed slots behind the cursor are taken only after the search wraps.
static void
test_next_fit(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 130));
    for (int i = 0; i < 10; i++)
        REQUIRE(slot_alloc(&f.ss) == i);
    CHECK(slot_unref(&f.ss, 3) == 0);
    CHECK(slot_unref(&f.ss, 5) == 0);
    CHECK(slot_alloc(&f.ss) == 10);      // not 3: keeps the run going
    CHECK(slot_alloc(&f.ss) == 11);
    for (int i = 12; i < 130; i++)
        REQUIRE(slot_alloc(&f.ss) == i);
    CHECK(slot_alloc(&f.ss) == 3);       // wrapped
    CHECK(slot_unref(&f.ss, 100) == 0);
    CHECK(slot_alloc(&f.ss) == 5);       // the next hole after 3, not 100
    CHECK(slot_alloc(&f.ss) == 100);
    CHECK(slot_alloc(&f.ss) == -ENOSPC);
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// Every slot once, never one past the end, for sizes around the bitmap words.
static void
test_odd_sizes(void)
{
    static const uint32_t sizes[] = { 1, 2, 63, 64, 65, 127, 128, 129, 1000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct fixture f;
        uint32_t n = sizes[k];
        REQUIRE(setup(&f, n));
        uint8_t *got = calloc(n, 1);
        REQUIRE(got);
        for (uint32_t i = 0; i < n; i++) {
            int s = slot_alloc(&f.ss);
            CHECKF(s >= 0 && (uint32_t)s < n && !got[s], "n=%u: alloc %u gave %d", n, i, s);
            if (s >= 0 && (uint32_t)s < n)
                got[s] = 1;
        }
        CHECKF(slot_alloc(&f.ss) == -ENOSPC, "n=%u: one too many", n);
        // Free the last and a middle slot; after the wrap the search finds the
        // middle one first.
        CHECK(slot_unref(&f.ss, n - 1) == 0);
        if (n >= 3)
            CHECK(slot_unref(&f.ss, n / 2) == 0);
        if (n >= 3)
            CHECKF(slot_alloc(&f.ss) == (int)n / 2, "n=%u: not the middle", n);
        CHECKF(slot_alloc(&f.ss) == (int)n - 1, "n=%u: not the last", n);
        CHECK(slot_nfree(&f.ss) == 0);
        CHECK(slot_check(&f.ss) == 0);
        free(got);
        done(&f);
    }
}

// A full device refuses and changes nothing.
static void
test_exhausted(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 70));
    for (int i = 0; i < 70; i++)
        REQUIRE(slot_alloc(&f.ss) == i);
    struct snap s;
    take(&s, &f);
    CHECK(slot_alloc(&f.ss) == -ENOSPC);
    CHECK(slot_alloc(&f.ss) == -ENOSPC);
    CHECK(same(&s, &f));
    CHECK(slot_unref(&f.ss, 69) == 0);
    CHECK(slot_alloc(&f.ss) == 69);
    done(&f);
}

// The life of a swapped page: written out (1), shared by fork (2), copied
// by the child's write after swap-in (1), freed at the parent's exit (0).
static void
test_refcount_life(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8));
    int s = slot_alloc(&f.ss);
    REQUIRE(s == 0);
    CHECK(slot_count(&f.ss, 0) == 1);
    CHECK(slot_ref(&f.ss, 0) == 2);       // fork
    CHECK(slot_ref(&f.ss, 0) == 3);       // fork again
    CHECK(slot_nfree(&f.ss) == 7);
    CHECK(slot_unref(&f.ss, 0) == 2);     // a child wrote: private copy
    CHECK(slot_unref(&f.ss, 0) == 1);     // the other child exits
    CHECK(slot_count(&f.ss, 0) == 1);
    CHECK(slot_nfree(&f.ss) == 7);
    CHECK(slot_unref(&f.ss, 0) == 0);     // parent exits: free
    CHECK(slot_count(&f.ss, 0) == 0);
    CHECK(slot_nfree(&f.ss) == 8);
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// A double free, a reference to a free slot and bad slot numbers are errors
// that change nothing.
static void
test_bad_slots(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 8));
    REQUIRE(slot_alloc(&f.ss) == 0);
    REQUIRE(slot_unref(&f.ss, 0) == 0);
    struct snap s;
    take(&s, &f);
    CHECK(slot_unref(&f.ss, 0) == -ENOENT);    // double free
    CHECK(slot_unref(&f.ss, 5) == -ENOENT);    // never allocated
    CHECK(slot_ref(&f.ss, 0) == -ENOENT);
    CHECK(slot_ref(&f.ss, 8) == -EINVAL);
    CHECK(slot_unref(&f.ss, 8) == -EINVAL);
    CHECK(slot_unref(&f.ss, UINT32_MAX) == -EINVAL);
    CHECK(slot_count(&f.ss, 8) == -EINVAL);
    CHECK(same(&s, &f));
    CHECK(slot_nfree(&f.ss) == 8);
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// A count stops at SLOT_REF_MAX with -EAGAIN instead of wrapping to 0.
static void
test_overflow(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 4));
    REQUIRE(slot_alloc(&f.ss) == 0);
    f.ss.count[0] = SLOT_REF_MAX - 1;          // as if 4 billion forks had shared it
    CHECK(slot_ref(&f.ss, 0) == (int64_t)SLOT_REF_MAX);
    struct snap s;
    take(&s, &f);
    CHECK(slot_ref(&f.ss, 0) == -EAGAIN);
    CHECK(same(&s, &f));
    CHECK(slot_count(&f.ss, 0) == (int64_t)SLOT_REF_MAX);
    CHECK(slot_unref(&f.ss, 0) == (int64_t)SLOT_REF_MAX - 1);
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// slot_check notices a bitmap out of step with the counts.
static void
test_check_detects(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10));
    REQUIRE(slot_alloc(&f.ss) == 0);
    REQUIRE(slot_check(&f.ss) == 0);
    f.ss.count[3] = 1;                          // used, but not in the bitmap
    CHECK(slot_check(&f.ss) == -1);
    f.ss.count[3] = 0;
    f.ss.used[0] &= ~(1ULL << 12);              // a padding bit cleared
    CHECK(slot_check(&f.ss) == -1);
    f.ss.used[0] |= 1ULL << 12;
    f.ss.nfree++;
    CHECK(slot_check(&f.ss) == -1);
    f.ss.nfree--;
    CHECK(slot_check(&f.ss) == 0);
    done(&f);
}

// ---- randomized against a model ------------------------------------------------

// The model: a 64-bit count per slot and the next-fit cursor.
struct model {
    uint32_t n, cursor;
    uint64_t *count;
};

// The slot next-fit picks: the first free one from the cursor, wrapping.
static int
model_alloc(struct model *md)
{
    for (uint32_t k = 0; k < md->n; k++) {
        uint32_t s = (md->cursor + k) % md->n;
        if (md->count[s] == 0) {
            md->count[s] = 1;
            md->cursor = (s + 1) % md->n;
            return (int)s;
        }
    }
    return -ENOSPC;
}

// Run ops random operations on fx's slots (all free) and md (the same);
// every result is compared with the model, the whole state every
// check_every ops.
static void
random_ops(struct fixture *fx, struct model *md, uint32_t ops, uint32_t check_every)
{
    struct swapslots *ss = &fx->ss;
    uint32_t n = md->n;
    uint32_t allocs = 0, fulls = 0, frees = 0;
    // Phases alternate between filling (more allocations) and draining.
    for (uint32_t op = 0; op < ops; op++) {
        bool filling = (op / 1000) % 2 == 0;
        uint32_t kind = (uint32_t)rng_below(100);
        uint32_t s = (uint32_t)rng_below(n + 2);    // now and then out of range
        if (kind < (filling ? 50u : 20u)) {
            int want = model_alloc(md), got = slot_alloc(ss);
            REQUIREF(got == want, "n=%u op %u: alloc %d, want %d", n, op, got, want);
            allocs += want >= 0;
            fulls += want == -ENOSPC;
        } else if (kind < 65) {
            int64_t want = s >= n ? -EINVAL : md->count[s] == 0 ? -ENOENT : (int64_t)++md->count[s];
            int64_t got = slot_ref(ss, s);
            REQUIREF(got == want, "n=%u op %u: ref(%u) %lld, want %lld", n, op, s,
                     (long long)got, (long long)want);
        } else if (kind < 95) {
            int64_t want = s >= n ? -EINVAL : md->count[s] == 0 ? -ENOENT : (int64_t)--md->count[s];
            int64_t got = slot_unref(ss, s);
            REQUIREF(got == want, "n=%u op %u: unref(%u) %lld, want %lld", n, op, s,
                     (long long)got, (long long)want);
            frees += want == 0;
        } else {
            int64_t want = s >= n ? -EINVAL : (int64_t)md->count[s];
            REQUIREF(slot_count(ss, s) == want, "n=%u op %u: count(%u)", n, op, s);
        }
        if (op % check_every == 0 || op + 1 == ops) {
            REQUIREF(slot_check(ss) == 0, "n=%u op %u: slot_check", n, op);
            uint32_t nfree = 0;
            for (uint32_t k = 0; k < n; k++) {
                REQUIREF(slot_count(ss, k) == (int64_t)md->count[k], "n=%u op %u: slot %u", n, op, k);
                nfree += md->count[k] == 0;
            }
            REQUIREF(slot_nfree(ss) == nfree, "n=%u op %u: nfree", n, op);
        }
    }
    CHECKF(allocs > 0 && frees > 0 && fulls > 0, "n=%u: %u allocs, %u frees, %u full",
           n, allocs, frees, fulls);
}

// random_ops with seed on n fresh slots and a fresh model.
static void
random_run(uint64_t seed, uint32_t n, uint32_t ops, uint32_t check_every)
{
    struct fixture f;
    struct model md = { n, 0, calloc(n, sizeof(uint64_t)) };
    f.buf = NULL;
    rng_state = seed;
    if (md.count && setup(&f, n))
        random_ops(&f, &md, ops, check_every);
    else
        CHECKF(0, "no memory for the test");
    free(md.count);
    done(&f);
}

static void
test_random(void)
{
    static const uint32_t sizes[] = { 1, 7, 64, 65, 200, 1000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0] && check_case_failures() == 0; k++)
        for (uint64_t seed = 1; seed <= 3 && check_case_failures() == 0; seed++)
            random_run(seed * 0x9E3779B97F4A7C15ull + sizes[k], sizes[k], 30000, 1);
}

int
main(void)
{
    CHECK_RUN(swapslot, init_limits);
    CHECK_RUN(swapslot, sequential);
    CHECK_RUN(swapslot, next_fit);
    CHECK_RUN(swapslot, odd_sizes);
    CHECK_RUN(swapslot, exhausted);
    CHECK_RUN(swapslot, refcount_life);
    CHECK_RUN(swapslot, bad_slots);
    CHECK_RUN(swapslot, overflow);
    CHECK_RUN(swapslot, check_detects);
    CHECK_RUN(swapslot, random);
    return check_exit_code();
}
