// Host unit tests for lib/buddy.c.

#include <stdint.h>
#include <stdlib.h>

#include "buddy.h"
#include "check.h"

// ---- fixtures and helpers ------------------------------------------------

// A buddy instance together with its heap-allocated metadata.
struct fixture {
    struct buddy b;
    struct buddy_page *meta;
};

// Set up f over npages pages, all free (or all allocated if empty).
// Returns false if the metadata could not be allocated.
static bool
fx_init(struct fixture *f, uint32_t npages, bool empty)
{
    size_t bytes = buddy_meta_bytes(npages);
    f->meta = malloc(bytes ? bytes : 1);
    if (f->meta == NULL)
        return false;
    if (empty)
        buddy_init_empty(&f->b, npages, f->meta);
    else
        buddy_init(&f->b, npages, f->meta);
    return true;
}

// Release the metadata of f.
static void
fx_done(struct fixture *f)
{
    free(f->meta);
    f->meta = NULL;
}

// Length of the free list of the given order (capped to avoid cycles).
static uint32_t
list_len(const struct buddy *b, unsigned order)
{
    uint32_t n = 0;
    for (uint32_t p = b->free_head[order]; p != BUDDY_NONE && n <= b->npages;
         p = b->meta[p].next)
        n++;
    return n;
}

// True if page is on the free list of the given order.
static bool
on_list(const struct buddy *b, uint32_t page, unsigned order)
{
    uint32_t n = 0;
    for (uint32_t p = b->free_head[order]; p != BUDDY_NONE && n <= b->npages;
         p = b->meta[p].next, n++)
        if (p == page)
            return true;
    return false;
}

// Number of free blocks on all lists.
static uint32_t
total_blocks(const struct buddy *b)
{
    uint32_t n = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        n += list_len(b, k);
    return n;
}

// True if the free lists hold exactly the maximal aligned decomposition
// of [first, end), i.e. everything in that range is free and coalesced.
static bool
lists_are_decomposition(const struct buddy *b, uint32_t first, uint32_t end)
{
    uint32_t expected = 0;
    for (uint32_t p = first; p < end; ) {
        unsigned k = 0;
        while (k < BUDDY_MAX_ORDER && (p & ((2u << k) - 1)) == 0 &&
               (uint64_t)p + (2u << k) <= end)
            k++;
        if (!on_list(b, p, k))
            return false;
        expected++;
        p += 1u << k;
    }
    return total_blocks(b) == expected && b->nfree == end - first;
}

// Deterministic PRNG (xorshift64*), so failures are reproducible.
// Random order, geometrically biased towards small orders.
static unsigned
rng_order(void)
{
    unsigned k = 0;
    while (k < BUDDY_MAX_ORDER && rng_below(100) < 45)
        k++;
    return k;
}

// ---- test cases ----------------------------------------------------------

// Allocating splits blocks into the expected halves; freeing coalesces.
static void
test_split_coalesce(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 16, false));
    struct buddy *b = &f.b;

    CHECK(b->free_head[4] == 0 && list_len(b, 4) == 1);
    CHECK(total_blocks(b) == 1);
    CHECK(buddy_alloc(b, 0) == 0);
    CHECK(buddy_free_pages(b) == 15);
    // Splitting 16 -> 8+4+2+1 leaves one free block per lower order.
    CHECK(on_list(b, 1, 0) && on_list(b, 2, 1) && on_list(b, 4, 2) &&
          on_list(b, 8, 3));
    CHECK(total_blocks(b) == 4 && list_len(b, 4) == 0);
    CHECK(buddy_alloc(b, 0) == 1);                // takes the buddy
    CHECK(buddy_alloc(b, 1) == 2);
    CHECK(buddy_check(b) == 0);

    CHECK(buddy_free(b, 0, 0) == 0);              // buddy 1 still in use
    CHECK(on_list(b, 0, 0) && list_len(b, 1) == 0);
    CHECK(buddy_free(b, 1, 0) == 0);              // 0+1 -> order 1 at 0
    CHECK(on_list(b, 0, 1) && list_len(b, 0) == 0);
    CHECK(buddy_check(b) == 0);
    CHECK(buddy_free(b, 2, 1) == 0);              // cascades to order 4
    CHECK(b->free_head[4] == 0 && total_blocks(b) == 1);
    CHECK(buddy_free_pages(b) == 16);
    CHECK(buddy_check(b) == 0);
    fx_done(&f);
}

// Every order can be allocated, is aligned, and can be freed back; orders
// above the maximum are refused.
static void
test_every_order(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 4096, false));
    struct buddy *b = &f.b;

    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint32_t size = 1u << k, count = 0;
        int64_t pages[4096];
        for (;;) {
            int64_t p = buddy_alloc(b, k);
            if (p < 0)
                break;
            CHECKF(p % size == 0 && p + size <= 4096,
                   "order %u block at %lld", k, (long long)p);
            REQUIRE(count < 4096);
            pages[count++] = p;
        }
        CHECKF(count == 4096 / size, "order %u: %u blocks", k, count);
        CHECK(buddy_free_pages(b) == 0);
        CHECK(buddy_check(b) == 0);
        for (uint32_t i = 0; i < count; i++)
            CHECK(buddy_free(b, (uint32_t)pages[i], k) == 0);
        CHECK(lists_are_decomposition(b, 0, 4096));
    }
    CHECK(buddy_alloc(b, BUDDY_MAX_ORDER + 1) == -1);
    CHECK(buddy_alloc(b, 1000) == -1);
    CHECK(buddy_free_pages(b) == 4096);

    CHECK(buddy_order_for(0) == BUDDY_MAX_ORDER + 1);
    CHECK(buddy_order_for(1) == 0 && buddy_order_for(2) == 1);
    CHECK(buddy_order_for(3) == 2 && buddy_order_for(1024) == 10);
    CHECK(buddy_order_for(1025) == BUDDY_MAX_ORDER + 1);
    fx_done(&f);
}

// Running out returns -1 (never crashes); freeing restores everything.
static void
test_exhaustion(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 64, false));
    struct buddy *b = &f.b;
    bool seen[64] = { false };

    for (int i = 0; i < 64; i++) {
        int64_t p = buddy_alloc(b, 0);
        REQUIREF(p >= 0 && p < 64 && !seen[p], "alloc %d gave %lld", i,
                 (long long)p);
        seen[p] = true;
    }
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER + 1; k++)
        CHECKF(buddy_alloc(b, k) == -1, "order %u after exhaustion", k);
    CHECK(buddy_free_pages(b) == 0 && total_blocks(b) == 0);

    // Free every other page: 32 free pages, but no order-1 block.
    for (uint32_t p = 0; p < 64; p += 2)
        CHECK(buddy_free(b, p, 0) == 0);
    CHECK(buddy_free_pages(b) == 32);
    CHECK(buddy_alloc(b, 1) == -1);
    CHECK(buddy_check(b) == 0);
    for (uint32_t p = 1; p < 64; p += 2)
        CHECK(buddy_free(b, p, 0) == 0);
    CHECK(lists_are_decomposition(b, 0, 64));
    CHECK(buddy_alloc(b, 6) == 0);
    CHECK(buddy_alloc(b, 0) == -1);
    CHECK(buddy_free(b, 0, 6) == 0);
    CHECK(buddy_free_pages(b) == 64);
    fx_done(&f);

    // Zero and one page instances.
    REQUIRE(fx_init(&f, 0, false));
    CHECK(buddy_alloc(&f.b, 0) == -1 && buddy_free_pages(&f.b) == 0);
    CHECK(buddy_free(&f.b, 0, 0) == -1);
    fx_done(&f);
    REQUIRE(fx_init(&f, 1, false));
    CHECK(buddy_alloc(&f.b, 1) == -1);
    CHECK(buddy_alloc(&f.b, 0) == 0 && buddy_alloc(&f.b, 0) == -1);
    CHECK(buddy_free(&f.b, 0, 0) == 0 && buddy_free_pages(&f.b) == 1);
    fx_done(&f);
}

// Invalid frees are refused and leave the allocator untouched.
static void
test_bad_free(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 256, false));
    struct buddy *b = &f.b;

    int64_t p = buddy_alloc(b, 2);
    int64_t q = buddy_alloc(b, 3);
    REQUIRE(p >= 0 && q >= 0);
    uint32_t nfree = buddy_free_pages(b);

    CHECK(buddy_free(b, (uint32_t)p, 1) == -1);          // wrong order
    CHECK(buddy_free(b, (uint32_t)p, 3) == -1);
    CHECK(buddy_free(b, (uint32_t)p + 1, 2) == -1);      // not the head
    CHECK(buddy_free(b, (uint32_t)q + 4, 2) == -1);      // half of a block
    CHECK(buddy_free(b, (uint32_t)p, BUDDY_MAX_ORDER + 1) == -1);
    CHECK(buddy_free(b, 256, 0) == -1);                  // out of range
    CHECK(buddy_free(b, BUDDY_NONE, 0) == -1);
    CHECK(buddy_free(b, 128, 7) == -1);                  // free block head
    CHECK(buddy_free(b, 129, 0) == -1);                  // inside free block
    CHECK(buddy_free_pages(b) == nfree);
    CHECK(buddy_check(b) == 0);

    CHECK(buddy_free(b, (uint32_t)p, 2) == 0);
    CHECK(buddy_free(b, (uint32_t)p, 2) == -1);          // double free
    CHECK(buddy_free(b, (uint32_t)p, 0) == -1);
    CHECK(buddy_free_pages(b) == nfree + 4);
    CHECK(buddy_free(b, (uint32_t)q, 3) == 0);
    CHECK(buddy_free(b, (uint32_t)q, 3) == -1);
    CHECK(lists_are_decomposition(b, 0, 256));

    // A block that was coalesced away can't be freed again either.
    int64_t r = buddy_alloc(b, 0);
    REQUIRE(r == 0);
    CHECK(buddy_free(b, 0, 0) == 0);
    CHECK(buddy_free(b, 0, 0) == -1 && buddy_free(b, 0, 8) == -1);
    CHECK(lists_are_decomposition(b, 0, 256));
    CHECK(buddy_check(b) == 0);
    fx_done(&f);
}

// npages that is not a power of two: the tail is split into smaller
// aligned blocks, nothing beyond npages is ever handed out.
static void
test_non_pow2(void)
{
    static const uint32_t sizes[] = { 1000, 3000, 1, 3, 1023, 1025, 2047 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t n = sizes[s];
        struct fixture f;
        REQUIRE(fx_init(&f, n, false));
        struct buddy *b = &f.b;

        CHECKF(lists_are_decomposition(b, 0, n), "npages %u", n);
        CHECK(buddy_check(b) == 0);
        uint32_t count = 0;
        for (int64_t p; (p = buddy_alloc(b, 0)) >= 0; count++) {
            CHECKF(p < n, "npages %u: page %lld", n, (long long)p);
            REQUIREF(count < n, "npages %u: too many pages", n);
        }
        CHECKF(count == n, "npages %u: %u pages allocated", n, count);
        for (uint32_t p = 0; p < n; p++)
            CHECK(buddy_free(b, p, 0) == 0);
        CHECKF(lists_are_decomposition(b, 0, n), "npages %u after", n);
        fx_done(&f);
    }

    struct fixture f;
    REQUIRE(fx_init(&f, 1000, false));
    // 1000 = 512 + 256 + 128 + 64 + 32 + 8
    CHECK(on_list(&f.b, 0, 9) && on_list(&f.b, 512, 8) &&
          on_list(&f.b, 768, 7) && on_list(&f.b, 896, 6) &&
          on_list(&f.b, 960, 5) && on_list(&f.b, 992, 3));
    CHECK(buddy_alloc(&f.b, 10) == -1);
    CHECK(buddy_alloc(&f.b, 9) == 0 && buddy_alloc(&f.b, 9) == -1);
    CHECK(buddy_alloc(&f.b, 4) == 960);          // splits the order-5 block
    CHECK(buddy_alloc(&f.b, 4) == 976);          // takes its buddy
    CHECK(buddy_alloc(&f.b, 4) == 896);          // splits the order-6 block
    CHECK(on_list(&f.b, 912, 4) && on_list(&f.b, 928, 5));
    fx_done(&f);
}

// init_empty hands out nothing; free_range frees exactly the given pages
// as maximal aligned blocks, clamped to npages.
static void
test_init_empty_free_range(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 2048, true));
    struct buddy *b = &f.b;

    CHECK(buddy_free_pages(b) == 0 && total_blocks(b) == 0);
    CHECK(buddy_alloc(b, 0) == -1);
    CHECK(buddy_free(b, 0, 0) == -1);            // untracked, not a block
    CHECK(buddy_check(b) == 0);

    buddy_free_range(b, 5, 0);
    CHECK(buddy_free_pages(b) == 0);
    buddy_free_range(b, 5, 100);                 // pages 5..104
    CHECK(lists_are_decomposition(b, 5, 105));
    CHECK(on_list(b, 5, 0) && on_list(b, 6, 1) && on_list(b, 8, 3) &&
          on_list(b, 16, 4) && on_list(b, 32, 5) && on_list(b, 64, 5) &&
          on_list(b, 96, 3) && on_list(b, 104, 0));
    CHECK(buddy_check(b) == 0);

    // Only freed pages come back out.
    int64_t got[100];
    uint32_t n = 0;
    for (int64_t p; (p = buddy_alloc(b, 0)) >= 0; ) {
        CHECKF(p >= 5 && p < 105, "page %lld outside range", (long long)p);
        REQUIRE(n < 100);
        got[n++] = p;
    }
    CHECK(n == 100);
    for (uint32_t i = 0; i < n; i++)
        CHECK(buddy_free(b, (uint32_t)got[i], 0) == 0);
    CHECK(lists_are_decomposition(b, 5, 105));

    // Filling the holes coalesces into two order-10 blocks.
    buddy_free_range(b, 0, 5);
    buddy_free_range(b, 105, 5000);              // clamped to 2048
    CHECK(lists_are_decomposition(b, 0, 2048));
    CHECK(list_len(b, BUDDY_MAX_ORDER) == 2 && total_blocks(b) == 2);
    CHECK(buddy_check(b) == 0);
    fx_done(&f);

    // A range entirely past the end, and one near UINT32_MAX, is ignored.
    REQUIRE(fx_init(&f, 100, true));
    buddy_free_range(&f.b, 200, 10);
    buddy_free_range(&f.b, 90, UINT32_MAX);
    CHECK(lists_are_decomposition(&f.b, 90, 100));
    CHECK(buddy_check(&f.b) == 0);
    fx_done(&f);
}

// Model state for the randomized test.
#define MODEL_PAGES 3000u
#define MODEL_OPS   200000u

struct live_block {
    uint32_t page;
    unsigned order;
};

struct model {
    int32_t owner[MODEL_PAGES];     // live block index or -1 when free
    struct live_block live[MODEL_PAGES];
    uint32_t nlive;
    uint32_t nfree;
};

// True if the model has a fully free, aligned, in-range block of order k.
static bool
model_has_free_block(const struct model *m, unsigned k)
{
    uint32_t size = 1u << k;
    for (uint32_t p = 0; p + size <= MODEL_PAGES; p += size) {
        uint32_t i = 0;
        while (i < size && m->owner[p + i] < 0)
            i++;
        if (i == size)
            return true;
    }
    return false;
}

// Independently compare the free lists with the model: every listed block
// is in range, aligned, free in the model and listed once; the listed
// pages are exactly the model's free pages. Returns false on mismatch.
static bool
model_matches_lists(const struct model *m, const struct buddy *b)
{
    static bool listed[MODEL_PAGES];
    uint32_t total = 0;

    for (uint32_t i = 0; i < MODEL_PAGES; i++)
        listed[i] = false;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint32_t size = 1u << k, steps = 0;
        for (uint32_t p = b->free_head[k]; p != BUDDY_NONE;
             p = b->meta[p].next) {
            if (++steps > MODEL_PAGES || p % size != 0 ||
                p + size > MODEL_PAGES)
                return false;
            for (uint32_t i = p; i < p + size; i++) {
                if (listed[i] || m->owner[i] >= 0)
                    return false;
                listed[i] = true;
            }
            total += size;
        }
    }
    return total == m->nfree && b->nfree == m->nfree;
}

// Try an alloc of a random order and mirror it in the model.
// Returns false (after recording a failure) on any discrepancy.
static bool
model_alloc(struct model *m, struct buddy *b)
{
    unsigned k = rng_order();
    uint32_t size = 1u << k;
    int64_t p = buddy_alloc(b, k);

    if (p < 0) {
        CHECKF(!model_has_free_block(m, k),
               "alloc order %u failed with a free aligned block", k);
        return check_case_failures() == 0;
    }
    if (p % size != 0 || p + size > MODEL_PAGES) {
        CHECKF(false, "order %u block at %lld misplaced", k, (long long)p);
        return false;
    }
    for (uint32_t i = (uint32_t)p; i < (uint32_t)p + size; i++) {
        if (m->owner[i] >= 0) {
            CHECKF(false, "order %u block at %lld overlaps block %d", k,
                   (long long)p, m->owner[i]);
            return false;
        }
        m->owner[i] = (int32_t)m->nlive;
    }
    m->live[m->nlive++] = (struct live_block){ (uint32_t)p, k };
    m->nfree -= size;
    return true;
}

// Free a random live block (sometimes trying a bad free first) and
// mirror it in the model. Returns false on any discrepancy.
static bool
model_free(struct model *m, struct buddy *b)
{
    uint32_t idx = rng_below(m->nlive);
    struct live_block blk = m->live[idx];

    if (rng_below(20) == 0) {
        unsigned wrong = blk.order == 0 ? 1 : blk.order - 1;
        CHECKF(buddy_free(b, blk.page, wrong) == -1,
               "wrong-order free of %u accepted", blk.page);
        if (blk.order > 0)
            CHECKF(buddy_free(b, blk.page + 1, 0) == -1,
                   "interior free of %u accepted", blk.page + 1);
    }
    CHECKF(buddy_free(b, blk.page, blk.order) == 0,
           "free of %u order %u refused", blk.page, blk.order);
    if (rng_below(20) == 0)
        CHECKF(buddy_free(b, blk.page, blk.order) == -1,
               "double free of %u accepted", blk.page);
    if (check_case_failures() != 0)
        return false;

    uint32_t size = 1u << blk.order;
    for (uint32_t i = blk.page; i < blk.page + size; i++)
        m->owner[i] = -1;
    m->nfree += size;
    // Move the last live block into the hole, renumbering its pages.
    struct live_block last = m->live[--m->nlive];
    if (idx != m->nlive) {
        m->live[idx] = last;
        for (uint32_t i = last.page; i < last.page + (1u << last.order); i++)
            m->owner[i] = (int32_t)idx;
    }
    return true;
}

// Long random alloc/free sequence checked against a per-page owner model.
static void
test_random_model(void)
{
    static struct model m;
    struct fixture f;
    REQUIRE(fx_init(&f, MODEL_PAGES, false));
    struct buddy *b = &f.b;

    rng_state = 0x1234567887654321ull;
    for (uint32_t i = 0; i < MODEL_PAGES; i++)
        m.owner[i] = -1;
    m.nlive = 0;
    m.nfree = MODEL_PAGES;

    uint32_t allocs = 0, failed_allocs = 0;
    for (uint32_t op = 0; op < MODEL_OPS; op++) {
        // Alternate alloc-heavy and free-heavy phases to hit both
        // exhaustion and near-empty states.
        uint32_t alloc_pct = (op / 10000) % 2 == 0 ? 70 : 30;
        bool ok;
        if (m.nlive == 0 || rng_below(100) < alloc_pct) {
            uint32_t before = m.nlive;
            ok = model_alloc(&m, b);
            allocs++;
            failed_allocs += m.nlive == before;
        } else {
            ok = model_free(&m, b);
        }
        if (!ok)
            break;
        if (b->nfree != m.nfree) {
            CHECKF(false, "op %u: nfree %u, model %u", op, b->nfree, m.nfree);
            break;
        }
        if (op % 2000 == 0 && (buddy_check(b) != 0 ||
                               !model_matches_lists(&m, b))) {
            CHECKF(false, "op %u: lists disagree with model (check %d)", op,
                   buddy_check(b));
            break;
        }
    }
    // The sequence must have exercised both success and failure paths.
    CHECKF(failed_allocs > 100 && allocs - failed_allocs > 50000,
           "weak coverage: %u allocs, %u failed", allocs, failed_allocs);
    CHECK(model_matches_lists(&m, b));

    while (m.nlive > 0 && check_case_failures() == 0)
        model_free(&m, b);
    CHECK(lists_are_decomposition(b, 0, MODEL_PAGES));
    CHECK(buddy_check(b) == 0);
    fx_done(&f);
}

// After freeing every block in random order, the free lists are back to
// maximal blocks (one order-10 block per aligned 1024 pages).
// A block split into single pages is freed page by page and coalesces back.
static void
test_split_alloc(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 64, false));
    int64_t p = buddy_alloc(&f.b, 3);
    REQUIRE(p >= 0);
    CHECK(buddy_split_alloc(&f.b, (uint32_t)p, 2) == -1);       // wrong order
    CHECK(buddy_split_alloc(&f.b, (uint32_t)p + 1, 3) == -1);   // not a head
    CHECK(buddy_split_alloc(&f.b, (uint32_t)p, 3) == 0);
    CHECK(buddy_free(&f.b, (uint32_t)p, 3) == -1);              // no longer one block
    CHECK(buddy_free_pages(&f.b) == 56);
    for (uint32_t k = 0; k < 8; k++)
        CHECK(buddy_free(&f.b, (uint32_t)p + k, 0) == 0);
    CHECK(buddy_free(&f.b, (uint32_t)p, 0) == -1);              // double free
    CHECK(buddy_free_pages(&f.b) == 64);
    CHECK(list_len(&f.b, 6) == 1);                              // all coalesced back
    CHECK(buddy_check(&f.b) == 0);
    fx_done(&f);
}

static void
test_full_coalesce(void)
{
    static const uint32_t sizes[] = { 1024, 4096, 1536 };
    rng_state = 0xC0FFEEull;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t n = sizes[s];
        struct fixture f;
        REQUIRE(fx_init(&f, n, false));
        struct buddy *b = &f.b;
        struct live_block *blocks = malloc(n * sizeof *blocks);
        REQUIRE(blocks != NULL);

        uint32_t count = 0;
        for (;;) {                       // fill with small random blocks
            unsigned k = rng_below(4);
            int64_t p = buddy_alloc(b, k);
            if (p < 0 && (p = buddy_alloc(b, k = 0)) < 0)
                break;
            if (count == n) {
                free(blocks);
                fx_done(&f);
                REQUIREF(false, "npages %u: more than %u blocks", n, n);
            }
            blocks[count++] = (struct live_block){ (uint32_t)p, k };
        }
        CHECK(buddy_free_pages(b) == 0);
        for (uint32_t i = count; i > 1; i--) {       // shuffle
            uint32_t j = rng_below(i);
            struct live_block t = blocks[i - 1];
            blocks[i - 1] = blocks[j];
            blocks[j] = t;
        }
        for (uint32_t i = 0; i < count; i++)
            CHECK(buddy_free(b, blocks[i].page, blocks[i].order) == 0);

        CHECKF(list_len(b, BUDDY_MAX_ORDER) == n / 1024,
               "npages %u: %u order-10 blocks", n, list_len(b, BUDDY_MAX_ORDER));
        CHECK(lists_are_decomposition(b, 0, n));
        if (n == 1024) {
            CHECK(b->free_head[BUDDY_MAX_ORDER] == 0);
            CHECK(b->meta[0].next == BUDDY_NONE && b->meta[0].prev == BUDDY_NONE);
            for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
                CHECK(b->free_head[k] == BUDDY_NONE);
        }
        CHECK(buddy_check(b) == 0);
        free(blocks);
        fx_done(&f);
    }
}

// buddy_check itself notices corruption (so the tests above mean something).
static void
test_check_detects_corruption(void)
{
    struct fixture f;
    REQUIRE(fx_init(&f, 64, false));
    struct buddy *b = &f.b;

    int64_t p = buddy_alloc(b, 0);
    REQUIRE(p == 0);
    CHECK(buddy_check(b) == 0);
    b->nfree++;
    CHECK(buddy_check(b) != 0);
    b->nfree--;
    b->meta[1].prev = 5;                          // broken back link
    CHECK(buddy_check(b) != 0);
    b->meta[1].prev = BUDDY_NONE;
    b->meta[40].flags = BUDDY_ALLOC_HEAD;         // overlaps free block 32
    CHECK(buddy_check(b) != 0);
    b->meta[40].flags = 0;
    CHECK(buddy_check(b) == 0);
    fx_done(&f);
}

int
main(void)
{
    CHECK_RUN(buddy, split_coalesce);
    CHECK_RUN(buddy, every_order);
    CHECK_RUN(buddy, exhaustion);
    CHECK_RUN(buddy, bad_free);
    CHECK_RUN(buddy, non_pow2);
    CHECK_RUN(buddy, init_empty_free_range);
    CHECK_RUN(buddy, random_model);
    CHECK_RUN(buddy, full_coalesce);
    CHECK_RUN(buddy, split_alloc);
    CHECK_RUN(buddy, check_detects_corruption);
    return check_exit_code();
}
