/* Swap-slot allocator with reference counts. See swapslot.h. */
#include "swapslot.h"
#include "abi.h"    /* errno numbers only */

#define WORD_BITS 64

/* Words of bitmap for n slots. */
static uint64_t
bitmap_words(uint32_t n)
{
    return ((uint64_t)n + WORD_BITS - 1) / WORD_BITS;
}

size_t
slot_bytes(uint32_t nslots)
{
    if (nslots == 0 || nslots > SLOT_MAX)
        return 0;
    return (size_t)(bitmap_words(nslots) * sizeof(uint64_t) + (uint64_t)nslots * sizeof(uint32_t));
}

int
slot_init(struct swapslots *ss, void *buf, size_t len, uint32_t nslots)
{
    size_t need = slot_bytes(nslots);
    if (need == 0 || !buf || ((uintptr_t)buf & 7) || len < need)
        return -EINVAL;
    uint64_t nw = bitmap_words(nslots);
    ss->used = buf;
    ss->count = (uint32_t *)(ss->used + nw);
    for (uint64_t w = 0; w < nw; w++)
        ss->used[w] = 0;
    if (nslots % WORD_BITS)     /* the slots past the end look used */
        ss->used[nw - 1] = ~0ULL << (nslots % WORD_BITS);
    for (uint32_t s = 0; s < nslots; s++)
        ss->count[s] = 0;
    ss->nslots = nslots;
    ss->nfree = nslots;
    ss->cursor = 0;
    return 0;
}

/* Index of the lowest set bit of x, which is not 0. */
static uint32_t
lowest_bit(uint64_t x)
{
    uint32_t n = 0;
    for (uint32_t step = 32; step > 0; step >>= 1) {
        if ((x & ((1ULL << step) - 1)) == 0) {
            x >>= step;
            n += step;
        }
    }
    return n;
}

/* The first free slot at or after s in word order, wrapping around; the
   caller knows there is one. Looks at each word at most once, the first
   one twice (its bits below s on the way back). */
static uint32_t
find_free(const struct swapslots *ss, uint32_t s)
{
    uint64_t nw = bitmap_words(ss->nslots), w = s / WORD_BITS;
    uint64_t freebits = ~ss->used[w] & (~0ULL << (s % WORD_BITS));
    for (uint64_t k = 0; freebits == 0 && k < nw; k++) {
        w = (w + 1) % nw;
        freebits = ~ss->used[w];
    }
    return (uint32_t)(w * WORD_BITS + lowest_bit(freebits));
}

int
slot_alloc(struct swapslots *ss)
{
    if (ss->nfree == 0)
        return -ENOSPC;
    uint32_t s = find_free(ss, ss->cursor);
    ss->used[s / WORD_BITS] |= 1ULL << (s % WORD_BITS);
    ss->count[s] = 1;
    ss->nfree--;
    ss->cursor = s + 1 < ss->nslots ? s + 1 : 0;
    return (int)s;
}

int64_t
slot_ref(struct swapslots *ss, uint32_t s)
{
    if (s >= ss->nslots)
        return -EINVAL;
    if (ss->count[s] == 0)
        return -ENOENT;
    if (ss->count[s] == SLOT_REF_MAX)
        return -EAGAIN;
    return ++ss->count[s];
}

int64_t
slot_unref(struct swapslots *ss, uint32_t s)
{
    if (s >= ss->nslots)
        return -EINVAL;
    if (ss->count[s] == 0)
        return -ENOENT;
    if (--ss->count[s] == 0) {
        ss->used[s / WORD_BITS] &= ~(1ULL << (s % WORD_BITS));
        ss->nfree++;
    }
    return ss->count[s];
}

int64_t
slot_count(const struct swapslots *ss, uint32_t s)
{
    if (s >= ss->nslots)
        return -EINVAL;
    return ss->count[s];
}

uint32_t
slot_nfree(const struct swapslots *ss)
{
    return ss->nfree;
}

int
slot_check(const struct swapslots *ss)
{
    uint64_t nw = bitmap_words(ss->nslots), nfree = 0;
    if (ss->nslots == 0 || ss->cursor >= ss->nslots)
        return -1;
    for (uint64_t s = 0; s < nw * WORD_BITS; s++) {
        int bit = (ss->used[s / WORD_BITS] >> (s % WORD_BITS)) & 1;
        int want = s >= ss->nslots || ss->count[s] > 0;
        if (bit != want)
            return -1;
        nfree += !want;
    }
    return nfree == ss->nfree ? 0 : -1;
}
