/* malloc and free on top of sbrk: a first-fit free list of blocks with a size
   header, coalescing neighbours on free. Large blocks (>= 128 KiB) get their
   own mmap so that free gives the memory back. */
#include "sys.h"

#define ALIGN 16
#define BIG (128 * 1024)

struct block {
    size_t size;          /* bytes including this header; low bit: block is mmapped */
    struct block *next;   /* free list (only while free) */
};

static struct block *free_list;

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

void *malloc(size_t n)
{
    if (n == 0 || n > ((size_t)1 << 40))
        return NULL;
    size_t need = round_up(n + sizeof(struct block));
    if (need >= BIG) {
        struct block *b = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
            return NULL;
        b->size = need | 1;
        return b + 1;
    }
    for (struct block **p = &free_list; *p; p = &(*p)->next) {
        struct block *b = *p;
        if (b->size < need)
            continue;
        if (b->size - need >= 2 * sizeof(struct block) + ALIGN) { /* split */
            struct block *rest = (struct block *)((char *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *p = rest;
            b->size = need;
        } else {
            *p = b->next;
        }
        return b + 1;
    }
    size_t grow = need < 64 * 1024 ? 64 * 1024 : need;
    struct block *b = sbrk((long)grow);
    if (b == (void *)-1)
        return NULL;
    b->size = grow;
    if (grow > need) {
        struct block *rest = (struct block *)((char *)b + need);
        rest->size = grow - need;
        free((struct block *)rest + 1);
        b->size = need;
    }
    return b + 1;
}

void free(void *ptr)
{
    if (!ptr)
        return;
    struct block *b = (struct block *)ptr - 1;
    if (b->size & 1) {
        munmap(b, b->size & ~(size_t)1);
        return;
    }
    /* insert in address order, merging with neighbours */
    struct block **p = &free_list;
    while (*p && *p < b)
        p = &(*p)->next;
    b->next = *p;
    *p = b;
    if (b->next && (char *)b + b->size == (char *)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (p != &free_list) {
        struct block *prev = (struct block *)((char *)p - offsetof(struct block, next));
        if ((char *)prev + prev->size == (char *)b) {
            prev->size += b->size;
            prev->next = b->next;
        }
    }
}

void *calloc(size_t n, size_t size)
{
    if (size && n > ((size_t)1 << 40) / size)
        return NULL;
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *ptr, size_t n)
{
    if (!ptr)
        return malloc(n);
    struct block *b = (struct block *)ptr - 1;
    size_t have = (b->size & ~(size_t)1) - sizeof(struct block);
    if (n <= have)
        return ptr;
    void *q = malloc(n);
    if (q) {
        memcpy(q, ptr, have);
        free(ptr);
    }
    return q;
}
