/* ASIDs by generation: see asid.h for the scheme and its invariant.

   The ASIDs of the current generation that some space holds are bits
   in a->used; a search for a free one starts at a->next and wraps
   around once (ASID 0 is never taken). A hart's flushed generation
   says whether its TLB may still hold entries of older generations. */

#include "asid.h"

#define GEN(tag)  ((tag) >> ASID_MAXBITS)
#define ASID(tag) ((uint32_t)((tag) & (ASID_MAX - 1)))

void asid_init(struct asids *a, unsigned bits, unsigned nharts)
{
    if (bits > ASID_MAXBITS)
        bits = ASID_MAXBITS;
    a->nasids = 1u << bits;
    a->next = 1;
    a->nharts = nharts < ASID_MAXHARTS ? nharts : ASID_MAXHARTS;
    a->gen = 1;
    for (unsigned h = 0; h < ASID_MAXHARTS; h++)
        a->flushed[h] = 0;
    for (size_t i = 0; i < ASID_MAX / 64; i++)
        a->used[i] = 0;
}

static bool taken(const struct asids *a, uint32_t n)
{
    return a->used[n / 64] >> (n % 64) & 1;
}

/* The first free ASID in [from, to), or 0 when there is none. */
static uint32_t find_free(const struct asids *a, uint32_t from, uint32_t to)
{
    for (uint32_t n = from; n < to; n++) {
        if (n % 64 == 0 && a->used[n / 64] == ~0ull)
            n += 63;                    /* a whole word taken */
        else if (!taken(a, n))
            return n;
    }
    return 0;
}

/* A free ASID of the current generation, taken; rolls the generation
   over when there is none. a->nasids >= 2. */
static uint32_t alloc(struct asids *a)
{
    uint32_t n = find_free(a, a->next, a->nasids);
    if (n == 0)
        n = find_free(a, 1, a->next);
    if (n == 0) {                       /* all taken: a new generation */
        a->gen++;
        for (size_t i = 0; i < ASID_MAX / 64; i++)
            a->used[i] = 0;
        n = 1;
    }
    a->used[n / 64] |= 1ull << (n % 64);
    a->next = n + 1 < a->nasids ? n + 1 : 1;
    return n;
}

unsigned asid_switch(struct asids *a, uint64_t *tag, unsigned hart, bool *flush)
{
    if (a->nasids == 1) {               /* no ASIDs: flush at every switch */
        *flush = true;
        return 0;
    }
    if (*tag == 0 || GEN(*tag) != a->gen) {
        uint32_t n = alloc(a);
        *tag = ASID_TAG(a->gen, n);
    }
    if (hart >= a->nharts) {
        *flush = true;
    } else {
        *flush = a->flushed[hart] != a->gen;
        a->flushed[hart] = a->gen;
    }
    return ASID(*tag);
}

void asid_free(struct asids *a, uint64_t tag)
{
    if (tag == 0 || a->nasids == 1 || GEN(tag) != a->gen)
        return;
    uint32_t n = ASID(tag);
    if (n != 0 && n < a->nasids)
        a->used[n / 64] &= ~(1ull << (n % 64));
}
