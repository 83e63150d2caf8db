// Host unit tests for libc/malloc.c (built with tests/host/libc_stub/sys.h:
// um_malloc and friends, memory from an arena here through um_sbrk): edge
// cases, then random mallocs, frees, reallocs and callocs checked against a
// reference model (every live block's address, size and contents), then that
// freeing everything merges the heap back into one piece.

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "libc_stub/sys.h"

// ---- the arena um_sbrk hands out ------------------------------------------------

#define ARENA (64u << 20)
static _Alignas(4096) unsigned char arena[ARENA];
static size_t brk_at, brk_limit = ARENA;
static unsigned long sbrk_calls;

void *um_sbrk(ptrdiff_t incr)
{
    sbrk_calls++;
    if ((incr > 0 && (size_t)incr > brk_limit - brk_at) || (incr < 0 && (size_t)-incr > brk_at))
        return (void *)-1;
    void *old = arena + brk_at;
    brk_at += (size_t)incr;
    return old;
}

static jmp_buf on_abort;
static int aborts;

void um_abort(void)
{
    aborts++;
    longjmp(on_abort, 1);
}

static bool in_arena(const void *p, size_t n)
{
    const unsigned char *c = p;
    return c >= arena && c + n <= arena + brk_at;
}

// ---- the reference model -------------------------------------------------------

#define MAXLIVE 2000
static struct block { unsigned char *p; size_t n; unsigned char fill; } live[MAXLIVE];
static int nlive;

// A size: mostly small, some mid-sized, a few large.
static size_t some_size(void)
{
    uint64_t r = rng_below(100);
    if (r < 70)
        return rng_below(200);
    if (r < 95)
        return rng_below(8000);
    return rng_below(300000);
}

static bool intact(const struct block *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i] != b->fill)
            return false;
    return true;
}

// b overlaps no other live block (checked against all: the model's slow way).
static bool alone(int k)
{
    for (int i = 0; i < nlive; i++) {
        if (i == k)
            continue;
        const struct block *a = &live[i], *b = &live[k];
        size_t an = a->n ? a->n : 1, bn = b->n ? b->n : 1;
        if (a->p < b->p + bn && b->p < a->p + an)
            return false;
    }
    return true;
}

static void add(unsigned char *p, size_t n)
{
    live[nlive] = (struct block){ p, n, (unsigned char)rng() };
    memset(p, live[nlive].fill, n);
    nlive++;
}

// ---- cases ---------------------------------------------------------------------

static void test_edges(void)
{
    void *z = um_malloc(0);
    CHECK(z != NULL);
    CHECK(((uintptr_t)z & 15) == 0);
    um_free(z);
    um_free(NULL);
    errno = 0;
    CHECK(um_malloc((size_t)1 << 41) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(um_calloc(SIZE_MAX / 2, 4) == NULL && errno == ENOMEM);
    unsigned char *c = um_calloc(100, 3);
    REQUIRE(c != NULL);
    for (int i = 0; i < 300; i++)
        CHECK(c[i] == 0);
    CHECK(um_realloc(c, 0) == NULL);
    unsigned char *r = um_realloc(NULL, 40);
    REQUIRE(r != NULL);
    memset(r, 7, 40);
    unsigned char *r2 = um_realloc(r, 10); // shrinking keeps the block
    CHECK(r2 == r);
    um_free(r2);
    // a double free stops the program rather than damaging the lists
    unsigned char *d = um_malloc(64);
    REQUIRE(d != NULL);
    um_free(d);
    if (setjmp(on_abort) == 0)
        um_free(d);
    CHECK(aborts == 1);
}

// The arena runs out: malloc says ENOMEM and what was allocated is intact.
static void test_out_of_memory(void)
{
    size_t saved = brk_limit;
    brk_limit = brk_at + (1u << 20);
    unsigned char *a = um_malloc(1000);
    REQUIRE(a != NULL);
    memset(a, 0x5a, 1000);
    errno = 0;
    CHECK(um_malloc(4u << 20) == NULL && errno == ENOMEM);
    bool ok = true;
    for (int i = 0; i < 1000; i++)
        ok &= a[i] == 0x5a;
    CHECK(ok);
    um_free(a);
    brk_limit = saved;
}

// Someone else moves the break between two growths: the heap goes on in a
// new piece, and both pieces work.
static void test_foreign_break(void)
{
    unsigned char *a = um_malloc(200000);
    REQUIRE(a != NULL);
    CHECK(um_sbrk(4096) != (void *)-1); // not malloc's
    unsigned char *b = um_malloc(300000);
    REQUIRE(b != NULL);
    CHECK(in_arena(b, 300000));
    CHECK(b >= a + 200000 || b + 300000 <= a);
    memset(a, 1, 200000);
    memset(b, 2, 300000);
    CHECK(a[199999] == 1 && b[0] == 2);
    um_free(a);
    um_free(b);
}

static void test_random(void)
{
    for (int step = 0; step < 100000; step++) {
        uint64_t op = rng_below(100);
        if (nlive > 0 && (op < 40 || nlive == MAXLIVE)) { // free
            int k = (int)(rng_below((uint64_t)nlive));
            REQUIREF(intact(&live[k]), "step %d: a block of %zu bytes changed before its free", step, live[k].n);
            um_free(live[k].p);
            live[k] = live[--nlive];
        } else if (nlive > 0 && op < 55) { // realloc
            int k = (int)(rng_below((uint64_t)nlive));
            size_t n = some_size() + 1, keep = n < live[k].n ? n : live[k].n;
            unsigned char *p = um_realloc(live[k].p, n);
            REQUIREF(p != NULL, "step %d: realloc to %zu failed", step, n);
            for (size_t i = 0; i < keep; i++)
                REQUIREF(p[i] == live[k].fill, "step %d: realloc lost byte %zu", step, i);
            live[k].p = p;
            live[k].n = n;
            memset(p, live[k].fill, n);
            REQUIREF(((uintptr_t)p & 15) == 0 && in_arena(p, n) && alone(k), "step %d: realloc's block is wrong", step);
        } else { // malloc or calloc
            size_t n = some_size();
            unsigned char *p = op < 60 ? um_calloc(1, n) : um_malloc(n);
            REQUIREF(p != NULL, "step %d: malloc(%zu) failed", step, n);
            if (op < 60)
                for (size_t i = 0; i < n; i++)
                    REQUIREF(p[i] == 0, "step %d: calloc's byte %zu is not 0", step, i);
            REQUIREF(((uintptr_t)p & 15) == 0, "step %d: %p is not 16-aligned", step, (void *)p);
            REQUIREF(in_arena(p, n), "step %d: outside the heap", step);
            add(p, n);
            REQUIREF(alone(nlive - 1), "step %d: a block of %zu overlaps a live one", step, n);
        }
    }
    for (int k = 0; k < nlive; k++) {
        CHECK(intact(&live[k]));
        um_free(live[k].p);
    }
    nlive = 0;
    // everything is free: the heap is one piece per growth again, so a block
    // nearly as big as the largest growth fits without asking for more
    size_t before = brk_at;
    unsigned long calls = sbrk_calls;
    unsigned char *big = um_malloc(200000);
    CHECK(big != NULL);
    CHECK(brk_at == before && sbrk_calls == calls);
    um_free(big);
}

int main(void)
{
    CHECK_RUN(malloc, edges);
    CHECK_RUN(malloc, out_of_memory);
    CHECK_RUN(malloc, foreign_break);
    CHECK_RUN(malloc, random);
    return check_exit_code();
}
