/* malloc for user programs (picolibc's keeps one address-ordered free list, and
   a free walks it: freeing many small blocks takes quadratic time, which left
   Lua's own tests running for minutes). Boundary tags and segregated free lists:
   malloc takes the first fit from the smallest list that can hold it, free
   merges with free neighbours and pushes the result on its list, both in time
   that does not grow with the number of blocks. Memory comes from sbrk
   (posix.c keeps the break ahead) and is never given back.

   A chunk is a header (its size, with bit 0 set when in use and bit 1 set
   when the chunk before it is in use), the payload, and, while free, the size
   again in its last word (so the next chunk finds its start). The heap ends
   with a zero-sized, in-use chunk. */
#include "sys.h"

#define ALIGN 16
#define HDR 16                       /* header before the payload: keeps it 16-aligned */
#define MIN_CHUNK 48                 /* header, two list links, the size at the end */
#define INUSE 1UL
#define PREV_INUSE 2UL
#define NLISTS 64                    /* lists 0..31: 48 + 16 * i bytes; then a power of two each */
#define MAX_REQUEST (1UL << 40)

struct chunk {
    size_t prev_size;                /* unused: the previous free chunk's size sits at our start - 8 */
    size_t head;                     /* size | INUSE | PREV_INUSE */
    struct chunk *next, *prev;       /* on a free list */
};

static struct chunk *lists[NLISTS];
static struct chunk *top;            /* the zero-sized end marker */

static void release(struct chunk *c);

static size_t csize(const struct chunk *c) { return c->head & ~(size_t)(ALIGN - 1); }
static struct chunk *after(struct chunk *c) { return (struct chunk *)((char *)c + csize(c)); }
static void *payload(struct chunk *c) { return (char *)c + HDR; }
static struct chunk *chunk_of(void *p) { return (struct chunk *)((char *)p - HDR); }

static int list_of(size_t size)
{
    if (size < MIN_CHUNK + 32 * 16)
        return (int)((size - MIN_CHUNK) / 16);
    int l = 32 + (63 - __builtin_clzl(size)) - 9;   /* 560.. bytes: log2 classes from 2^9 */
    return l < NLISTS ? l : NLISTS - 1;
}

static void set_footer(struct chunk *c) { *(size_t *)((char *)c + csize(c) - 8) = csize(c); }

static void unlink_free(struct chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        lists[list_of(csize(c))] = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* Put free chunk c (size and PREV_INUSE in its head) on its list and tell the next chunk. */
static void push_free(struct chunk *c)
{
    set_footer(c);
    after(c)->head &= ~PREV_INUSE;
    int l = list_of(csize(c));
    c->prev = NULL;
    c->next = lists[l];
    if (c->next)
        c->next->prev = c;
    lists[l] = c;
}

/* Grow the heap by at least size bytes: the old end marker becomes a free
   chunk (merged with a free chunk before it) that free() files. False when
   sbrk fails. */
static bool grow(size_t size)
{
    size_t want = (size + 65535) & ~(size_t)65535;
    if (!top) {
        char *p = sbrk(0);
        size_t pad = (size_t)(-(uintptr_t)(p + 8) & (ALIGN - 1)); /* payloads 16-aligned */
        if (sbrk((ptrdiff_t)(pad + want + 8)) == (void *)-1) /* the break ends right after top's header */
            return false;
        struct chunk *c = (struct chunk *)(p + pad - 8);
        c->head = (want) | PREV_INUSE;
        top = (struct chunk *)((char *)c + want);
        top->head = INUSE;   /* the chunk before it is free: push_free clears PREV_INUSE */
        push_free(c);
        return true;
    }
    char *p = sbrk((ptrdiff_t)want);
    if (p == (void *)-1)
        return false;
    if (p != (char *)top + HDR) {  /* someone else moved the break: a new heap piece */
        size_t pad = (size_t)(-(uintptr_t)(p + 8) & (ALIGN - 1));
        if (want < pad + MIN_CHUNK + HDR)
            return false;
        struct chunk *c = (struct chunk *)(p + pad - 8);
        c->head = (want - pad - HDR) | PREV_INUSE;
        top = after(c);
        top->head = INUSE;
        push_free(c);
        return true;
    }
    struct chunk *c = top;         /* the old marker, now the start of new space */
    c->head = want | (c->head & PREV_INUSE) | INUSE;
    top = after(c);
    top->head = INUSE | PREV_INUSE;
    release(c);
    return true;
}

void *malloc(size_t n)
{
    if (n > MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < MIN_CHUNK)
        need = MIN_CHUNK;
    for (;;) {
        for (int l = list_of(need); l < NLISTS; l++) {
            for (struct chunk *c = lists[l]; c; c = c->next) {
                size_t size = csize(c);
                if (size < need)
                    continue;
                unlink_free(c);
                if (size - need >= MIN_CHUNK) {   /* split: the rest stays free */
                    c->head = need | (c->head & PREV_INUSE) | INUSE;
                    struct chunk *rest = after(c);
                    rest->head = (size - need) | PREV_INUSE;
                    push_free(rest);
                } else {
                    c->head |= INUSE;
                    after(c)->head |= PREV_INUSE;
                }
                return payload(c);
            }
        }
        if (!grow(need)) {
            errno = ENOMEM;
            return NULL;
        }
    }
}

/* Give in-use chunk c back: merge it with free neighbours and file the result. */
static void release(struct chunk *c)
{
    size_t size = csize(c);
    struct chunk *n = after(c);
    if (!(n->head & INUSE)) {          /* merge with the next */
        unlink_free(n);
        size += csize(n);
    }
    if (!(c->head & PREV_INUSE)) {     /* merge with the previous */
        size_t psize = *(size_t *)((char *)c - 8);
        struct chunk *pc = (struct chunk *)((char *)c - psize);
        unlink_free(pc);
        size += psize;
        c = pc;
    }
    c->head = size | (c->head & PREV_INUSE);
    push_free(c);
}

void free(void *p)
{
    if (!p)
        return;
    struct chunk *c = chunk_of(p);
    if (!(c->head & INUSE))
        abort(); /* a double free: stop before the lists are damaged */
    release(c);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > MAX_REQUEST / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    struct chunk *c = chunk_of(p);
    size_t have = csize(c) - HDR;
    if (n <= have)
        return p;
    struct chunk *nx = after(c);       /* grow into a free neighbour when it is enough */
    size_t need = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (!(nx->head & INUSE) && csize(c) + csize(nx) >= need) {
        unlink_free(nx);
        size_t size = csize(c) + csize(nx);
        if (size - need >= MIN_CHUNK) {
            c->head = need | (c->head & (PREV_INUSE | INUSE));
            struct chunk *rest = after(c);
            rest->head = (size - need) | PREV_INUSE;
            push_free(rest);
        } else {
            c->head = size | (c->head & (PREV_INUSE | INUSE));
            after(c)->head |= PREV_INUSE;
        }
        return p;
    }
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}
