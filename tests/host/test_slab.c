// Host unit tests for kernel/slab.c.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "slab.h"

// ---- page provider -------------------------------------------------------

#define PROV_MAX_PAGES 8192

// Host page provider: aligned_alloc with bookkeeping and fault injection.
struct provider {
    void *live[PROV_MAX_PAGES];  // pages handed out and not yet returned
    size_t nlive;
    size_t allocs;               // successful page_alloc calls
    size_t frees;                // page_free calls
    size_t bogus_frees;          // page_free of a page we don't own
    bool fail;                   // make page_alloc return NULL
    bool misalign;               // hand out pages 64 bytes off alignment
};

// page_alloc callback. Returns a page, or NULL if failure is injected.
static void *
prov_alloc(void *ctx)
{
    struct provider *pv = ctx;
    if (pv->fail || pv->nlive == PROV_MAX_PAGES)
        return NULL;
    char *page = aligned_alloc(KMEM_PAGE_SIZE, pv->misalign ?
                               2 * KMEM_PAGE_SIZE : KMEM_PAGE_SIZE);
    if (page == NULL)
        return NULL;
    if (pv->misalign)
        page += 64;
    pv->live[pv->nlive++] = page;
    pv->allocs++;
    return page;
}

// page_free callback. Counts pages it did not hand out as bogus.
static void
prov_free(void *ctx, void *page)
{
    struct provider *pv = ctx;
    pv->frees++;
    for (size_t i = 0; i < pv->nlive; i++) {
        if (pv->live[i] == page) {
            pv->live[i] = pv->live[--pv->nlive];
            uintptr_t a = (uintptr_t)page;
            free((void *)(a & ~(uintptr_t)(KMEM_PAGE_SIZE - 1)));
            return;
        }
    }
    pv->bogus_frees++;
}

// Set up k over a fresh provider pv.
static void
setup(struct kmem *k, struct provider *pv)
{
    memset(pv, 0, sizeof *pv);
    kmem_init(k, prov_alloc, prov_free, pv);
}

// Release k's cached pages and check that nothing is left behind.
// Returns true if k and the provider agree that no page is held.
static bool
teardown(struct kmem *k, struct provider *pv)
{
    kmem_shrink(k);
    bool clean = kmem_pages_in_use(k) == 0 && pv->nlive == 0 &&
                 pv->bogus_frees == 0;
    while (pv->nlive > 0)                      // don't leak on failure
        prov_free(pv, pv->live[pv->nlive - 1]);
    return clean;
}

// ---- helpers -------------------------------------------------------------

// Deterministic PRNG (xorshift64*).
// Random request size in [1, 2048], biased towards small objects.
static size_t
rng_size(void)
{
    uint32_t shift = rng_below(9);             // class 8 .. 2048
    size_t hi = (size_t)KMEM_MIN_SIZE << shift;
    return 1 + rng_below((uint32_t)hi);
}

// Pattern byte i of an object filled with seed.
static uint8_t
pattern(uint32_t seed, size_t i)
{
    return (uint8_t)(seed * 31u + i * 7u + (i >> 8) + 1);
}

static void
fill(void *p, size_t n, uint32_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = pattern(seed, i);
}

// True if p still holds the pattern written by fill.
static bool
intact(const void *p, size_t n, uint32_t seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern(seed, i))
            return false;
    return true;
}

// True if p, holding a `size`-byte request, is placed sanely: aligned to
// min(class, 16) (at least 8), past the page header, inside its page.
static bool
placed_ok(const void *p, size_t size)
{
    size_t cls = kmem_class_size(size);
    size_t align = cls < 16 ? cls : 16;
    uintptr_t off = (uintptr_t)p & (KMEM_PAGE_SIZE - 1);
    return cls != 0 && (uintptr_t)p % align == 0 && (uintptr_t)p % 8 == 0 &&
           off >= 16 && off + cls <= KMEM_PAGE_SIZE;
}

// Objects that fit one slab page of the class serving size.
static uint32_t
per_page(const struct kmem *k, size_t size)
{
    for (int i = 0; i < KMEM_NCLASSES; i++)
        if (k->cache[i].objsize == kmem_class_size(size))
            return k->cache[i].objs_per_slab;
    return 0;
}

// ---- test cases ----------------------------------------------------------

// Size-class mapping and one full page plus one object for every class.
static void
test_every_class(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    for (size_t s = 1; s <= KMEM_MAX_SIZE; s++) {
        size_t c = kmem_class_size(s);
        CHECKF(c >= s && c >= KMEM_MIN_SIZE && (c & (c - 1)) == 0 &&
               (c == KMEM_MIN_SIZE || c / 2 < s), "size %zu -> class %zu",
               s, c);
    }
    for (size_t c = KMEM_MIN_SIZE; c <= KMEM_MAX_SIZE; c *= 2) {
        uint32_t n = per_page(&k, c);
        REQUIREF(n >= 1 && n * c <= KMEM_PAGE_SIZE, "class %zu: %u per page",
                 c, n);
        CHECKF(c > 1024 || n >= (KMEM_PAGE_SIZE / c) * 3 / 4,
               "class %zu wastes too much: %u per page", c, n);
        void **objs = malloc((n + 1) * sizeof *objs);
        REQUIRE(objs != NULL);
        size_t pages0 = kmem_pages_in_use(&k);
        for (uint32_t i = 0; i <= n; i++) {
            objs[i] = kmem_alloc(&k, c);
            REQUIREF(objs[i] != NULL && placed_ok(objs[i], c),
                     "class %zu object %u at %p", c, i, objs[i]);
            fill(objs[i], c, (uint32_t)(c + i));
        }
        CHECKF(kmem_pages_in_use(&k) == pages0 + 2,
               "class %zu: %zu pages for %u objects", c,
               kmem_pages_in_use(&k) - pages0, n + 1);
        for (uint32_t i = 0; i <= n; i++) {
            CHECKF(intact(objs[i], c, (uint32_t)(c + i)),
                   "class %zu object %u clobbered", c, i);
            kmem_free(&k, objs[i]);
        }
        // One empty page is cached for the class, the other returned.
        CHECKF(kmem_pages_in_use(&k) == pages0 + 1, "class %zu: %zu pages",
               c, kmem_pages_in_use(&k) - pages0);
        free(objs);
    }
    CHECK(kmem_cached_pages(&k) == KMEM_NCLASSES);
    CHECK(kmem_pages_in_use(&k) == KMEM_NCLASSES && pv.nlive == KMEM_NCLASSES);
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));
}

// Ordering for qsort of object start addresses.
struct span {
    uintptr_t start;
    size_t len;
};

static int
span_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const struct span *)a)->start;
    uintptr_t y = ((const struct span *)b)->start;
    return x < y ? -1 : x > y;
}

// Many live objects of mixed sizes never overlap and keep their contents.
static void
test_no_overlap(void)
{
    enum { N = 5000 };
    static struct kmem k;
    static struct provider pv;
    static struct span spans[N];
    static void *objs[N];
    static size_t sizes[N];
    setup(&k, &pv);
    rng_state = 42;

    for (int i = 0; i < N; i++) {
        sizes[i] = rng_size();
        objs[i] = kmem_alloc(&k, sizes[i]);
        REQUIREF(objs[i] != NULL, "alloc %d of %zu bytes", i, sizes[i]);
        fill(objs[i], sizes[i], (uint32_t)i);
        spans[i] = (struct span){ (uintptr_t)objs[i],
                                  kmem_class_size(sizes[i]) };
    }
    for (int i = 0; i < N; i++)
        CHECKF(intact(objs[i], sizes[i], (uint32_t)i), "object %d clobbered", i);
    qsort(spans, N, sizeof spans[0], span_cmp);
    for (int i = 1; i < N; i++)
        CHECKF(spans[i - 1].start + spans[i - 1].len <= spans[i].start,
               "objects at %#lx (+%zu) and %#lx overlap",
               (unsigned long)spans[i - 1].start, spans[i - 1].len,
               (unsigned long)spans[i].start);
    CHECK(kmem_pages_in_use(&k) == pv.nlive);
    for (int i = 0; i < N; i++)
        kmem_free(&k, objs[i]);
    CHECK(kmem_pages_in_use(&k) == kmem_cached_pages(&k));
    CHECK(teardown(&k, &pv));
}

// Every request size gets an object aligned to min(class, 16).
static void
test_alignment(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    for (size_t s = 1; s <= KMEM_MAX_SIZE; s++) {
        void *p[3];
        for (int j = 0; j < 3; j++) {
            p[j] = kmem_alloc(&k, s);
            REQUIREF(p[j] != NULL, "size %zu", s);
            CHECKF(placed_ok(p[j], s), "size %zu at %p", s, p[j]);
        }
        for (int j = 0; j < 3; j++)
            kmem_free(&k, p[j]);
    }
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));
}

// Freed objects and pages are reused instead of drawing new pages.
static void
test_reuse(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    void *a = kmem_alloc(&k, 64);
    REQUIRE(a != NULL);
    kmem_free(&k, a);
    CHECK(kmem_alloc(&k, 64) == a);            // last freed, first reused
    void *c = kmem_alloc(&k, 33);              // same class, a is live
    CHECK(c != NULL && c != a);
    CHECK(pv.allocs == 1);

    // Cycling three pages' worth of objects reuses the same pages.
    uint32_t n = 3 * per_page(&k, 200);
    REQUIRE(n % 7 != 0);                       // (i * 7) % n is a permutation
    void **objs = malloc(n * sizeof *objs);
    REQUIRE(objs != NULL);
    for (int round = 0; round < 50; round++) {
        for (uint32_t i = 0; i < n; i++) {
            objs[i] = kmem_alloc(&k, 200);
            REQUIRE(objs[i] != NULL);
        }
        CHECK(kmem_pages_in_use(&k) == 1 + 3);
        for (uint32_t i = 0; i < n; i++)
            kmem_free(&k, objs[(i * 7) % n]);  // scrambled order
        CHECK(kmem_pages_in_use(&k) == 1 + 1); // one cached empty page
    }
    CHECKF(pv.allocs <= 1 + 3 + 2 * 50, "%zu page allocs", pv.allocs);
    free(objs);

    // Allocating a 2048 object after freeing one reuses the cached page.
    void *big = kmem_alloc(&k, 2048);
    REQUIRE(big != NULL);
    size_t allocs = pv.allocs;
    kmem_free(&k, big);
    CHECK(kmem_alloc(&k, 2000) == big && pv.allocs == allocs);
    kmem_free(&k, big);
    kmem_free(&k, a);
    CHECK(kmem_pages_in_use(&k) == 3);         // 64-class page still used
    kmem_free(&k, c);
    CHECK(kmem_pages_in_use(&k) == kmem_cached_pages(&k));
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));
}

// Randomized alloc/free of random sizes against a model of live objects.
static void
test_random_model(void)
{
    enum { MAXLIVE = 4000, OPS = 200000 };
    static struct kmem k;
    static struct provider pv;
    static void *obj[MAXLIVE];
    static size_t size[MAXLIVE];
    static uint32_t seed[MAXLIVE];
    uint32_t nlive = 0, peak_pages = 0;
    setup(&k, &pv);
    rng_state = 0xDEADBEEFCAFEull;

    for (uint32_t op = 0; op < OPS; op++) {
        uint32_t alloc_pct = (op / 20000) % 2 == 0 ? 65 : 35;
        if (nlive < MAXLIVE && (nlive == 0 || rng_below(100) < alloc_pct)) {
            size_t s = rng_size();
            void *p = kmem_alloc(&k, s);
            REQUIREF(p != NULL && placed_ok(p, s), "op %u: alloc %zu", op, s);
            seed[nlive] = (uint32_t)rng();
            fill(p, s, seed[nlive]);
            obj[nlive] = p;
            size[nlive++] = s;
        } else {
            uint32_t i = rng_below(nlive);
            REQUIREF(intact(obj[i], size[i], seed[i]),
                     "op %u: object of %zu bytes clobbered", op, size[i]);
            REQUIREF(kmem_free_checked(&k, obj[i]) == 0, "op %u: free", op);
            nlive--;
            obj[i] = obj[nlive];
            size[i] = size[nlive];
            seed[i] = seed[nlive];
        }
        REQUIREF(kmem_pages_in_use(&k) == pv.nlive, "op %u: %zu pages, "
                 "provider %zu", op, kmem_pages_in_use(&k), pv.nlive);
        if (pv.nlive > peak_pages)
            peak_pages = (uint32_t)pv.nlive;
        if (op % 5000 == 0)
            for (uint32_t i = 0; i < nlive; i++)
                REQUIREF(intact(obj[i], size[i], seed[i]),
                         "op %u: sweep found a clobbered object", op);
    }
    CHECKF(peak_pages > 100, "weak coverage: peak %u pages", peak_pages);
    for (uint32_t i = 0; i < nlive; i++) {
        CHECK(intact(obj[i], size[i], seed[i]));
        CHECK(kmem_free_checked(&k, obj[i]) == 0);
    }
    // Only the cached empty pages remain, at most one per class.
    CHECK(kmem_cached_pages(&k) <= KMEM_NCLASSES);
    CHECKF(kmem_pages_in_use(&k) == kmem_cached_pages(&k),
           "%zu pages held, %zu cached", kmem_pages_in_use(&k),
           kmem_cached_pages(&k));
    CHECK(pv.nlive == kmem_pages_in_use(&k));
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));
    CHECK(pv.frees == pv.allocs);
}

// A failing provider yields NULL and leaves existing state intact.
static void
test_page_alloc_failure(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    pv.fail = true;
    CHECK(kmem_alloc(&k, 64) == NULL);
    CHECK(kmem_pages_in_use(&k) == 0 && pv.nlive == 0);
    pv.fail = false;

    uint32_t n = per_page(&k, 256);
    void **objs = malloc((n + 1) * sizeof *objs);
    REQUIRE(objs != NULL);
    objs[0] = kmem_alloc(&k, 256);
    REQUIRE(objs[0] != NULL);
    pv.fail = true;
    for (uint32_t i = 1; i < n; i++) {          // rest of the page works
        objs[i] = kmem_alloc(&k, 256);
        REQUIREF(objs[i] != NULL, "object %u of a held page", i);
    }
    for (uint32_t i = 0; i < n; i++)
        fill(objs[i], 256, i);
    for (int tries = 0; tries < 3; tries++)
        CHECK(kmem_alloc(&k, 256) == NULL);     // needs a new page
    CHECK(kmem_alloc(&k, 8) == NULL);           // other classes too
    CHECK(kmem_pages_in_use(&k) == 1 && pv.nlive == 1);

    kmem_free(&k, objs[3]);
    void *again = kmem_alloc(&k, 256);
    CHECK(again == objs[3]);
    fill(again, 256, 3);
    pv.fail = false;
    objs[n] = kmem_alloc(&k, 256);
    CHECK(objs[n] != NULL && kmem_pages_in_use(&k) == 2);
    for (uint32_t i = 0; i < n; i++)
        CHECKF(intact(objs[i], 256, i), "object %u clobbered", i);
    for (uint32_t i = 0; i <= n; i++)
        kmem_free(&k, objs[i]);
    free(objs);
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));

    // A provider handing out a misaligned page gets it straight back.
    setup(&k, &pv);
    pv.misalign = true;
    CHECK(kmem_alloc(&k, 100) == NULL);
    CHECK(kmem_pages_in_use(&k) == 0 && pv.nlive == 0 && pv.frees == 1);
    pv.misalign = false;
    void *p = kmem_alloc(&k, 100);
    CHECK(p != NULL && kmem_pages_in_use(&k) == 1);
    kmem_free(&k, p);
    CHECK(teardown(&k, &pv));
}

// Sizes outside 1..2048 are refused without taking pages.
static void
test_bad_sizes(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    CHECK(kmem_alloc(&k, 0) == NULL);
    CHECK(kmem_alloc(&k, KMEM_MAX_SIZE + 1) == NULL);
    CHECK(kmem_alloc(&k, 4096) == NULL);
    CHECK(kmem_alloc(&k, SIZE_MAX) == NULL);
    CHECK(kmem_class_size(0) == 0 && kmem_class_size(2049) == 0);
    CHECK(kmem_pages_in_use(&k) == 0 && pv.allocs == 0);
    void *p = kmem_alloc(&k, KMEM_MAX_SIZE);
    CHECK(p != NULL && placed_ok(p, KMEM_MAX_SIZE));
    kmem_free(&k, p);
    kmem_free(&k, NULL);                        // ignored
    CHECK(k.bad_frees == 0);
    CHECK(teardown(&k, &pv));
}

// Double frees, interior pointers and foreign objects are refused.
static void
test_bad_free(void)
{
    static struct kmem k, other;
    static struct provider pv, pv2;
    setup(&k, &pv);
    setup(&other, &pv2);

    uint32_t n = per_page(&k, 32);
    void *a = kmem_alloc(&k, 32);
    void *b = kmem_alloc(&k, 32);
    void *x = kmem_alloc(&other, 32);
    REQUIRE(a != NULL && b != NULL && x != NULL);

    CHECK(kmem_free_checked(&k, NULL) == 0);
    CHECK(kmem_free_checked(&k, (char *)a + 1) == -1);
    CHECK(kmem_free_checked(&k, (char *)a + 16) == -1);
    CHECK(kmem_free_checked(&k, (void *)((uintptr_t)a & ~(uintptr_t)4095))
          == -1);                               // the page header
    CHECK(kmem_free_checked(&k, x) == -1);      // belongs to `other`
    CHECK(kmem_free_checked(&k, a) == 0);
    CHECK(kmem_free_checked(&k, a) == -1);      // double free
    kmem_free(&k, a);                           // silently refused
    CHECK(k.bad_frees == 6);
    CHECK(kmem_pages_in_use(&k) == 1);

    // The refused frees did not put `a` on the free list twice: a full
    // page's worth of allocations yields distinct objects.
    void **objs = malloc(n * sizeof *objs);
    REQUIRE(objs != NULL);
    objs[0] = b;
    for (uint32_t i = 1; i < n; i++) {
        objs[i] = kmem_alloc(&k, 32);
        REQUIRE(objs[i] != NULL);
        for (uint32_t j = 0; j < i; j++)
            REQUIREF(objs[j] != objs[i], "object %p handed out twice",
                     objs[i]);
    }
    CHECK(kmem_pages_in_use(&k) == 1);
    for (uint32_t i = 0; i < n; i++)
        CHECK(kmem_free_checked(&k, objs[i]) == 0);
    free(objs);
    kmem_free(&other, x);
    CHECK(other.bad_frees == 0);
    CHECK(teardown(&k, &pv));
    CHECK(teardown(&other, &pv2));
}

// Completely free pages go back to the provider except one per class,
// and kmem_pages_in_use is exact throughout.
static void
test_empty_page_return(void)
{
    static struct kmem k;
    static struct provider pv;
    setup(&k, &pv);

    uint32_t n = 5 * per_page(&k, 512);
    void **objs = malloc(n * sizeof *objs);
    REQUIRE(objs != NULL);
    for (uint32_t i = 0; i < n; i++) {
        objs[i] = kmem_alloc(&k, 512);
        REQUIRE(objs[i] != NULL);
    }
    CHECK(kmem_pages_in_use(&k) == 5 && pv.nlive == 5);
    for (uint32_t i = 0; i < n; i++) {
        kmem_free(&k, objs[i]);
        CHECK(kmem_pages_in_use(&k) == pv.nlive);
    }
    CHECK(kmem_pages_in_use(&k) == 1 && kmem_cached_pages(&k) == 1);
    CHECK(pv.frees == 4 && pv.bogus_frees == 0);
    kmem_shrink(&k);
    CHECK(kmem_pages_in_use(&k) == 0 && pv.nlive == 0);
    kmem_shrink(&k);                            // nothing left: no-op
    CHECK(pv.frees == 5);
    free(objs);
    CHECK(teardown(&k, &pv));
}

int
main(void)
{
    CHECK_RUN(slab, every_class);
    CHECK_RUN(slab, no_overlap);
    CHECK_RUN(slab, alignment);
    CHECK_RUN(slab, reuse);
    CHECK_RUN(slab, random_model);
    CHECK_RUN(slab, page_alloc_failure);
    CHECK_RUN(slab, bad_sizes);
    CHECK_RUN(slab, bad_free);
    CHECK_RUN(slab, empty_page_return);
    return check_exit_code();
}
