// Slab allocator for small kernel objects. See slab.h for the model.

#include "slab.h"

#define SLAB_MAGIC   0x51AB51ABu
#define BITMAP_WORDS 8                /* 512 objects per page at most */
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~(size_t)((a) - 1))

// Header at the start of every slab page.
struct kmem_slab {
    struct kmem_slab *next;           /* links on the class's partial list */
    struct kmem_slab *prev;
    struct kmem *owner;               /* allocator the page belongs to */
    struct free_obj *free;            /* free objects in this page */
    uint32_t magic;                   /* SLAB_MAGIC while the page is held */
    uint16_t cls;                     /* size-class index */
    uint16_t inuse;                   /* allocated objects */
    uint64_t used[BITMAP_WORDS];      /* bit i set: object i allocated */
};

// A free object stores the link to the next free object in its first bytes.
struct free_obj {
    struct free_obj *next;
};

#define OBJ_START ALIGN_UP(sizeof(struct kmem_slab), 16)

_Static_assert((KMEM_PAGE_SIZE - OBJ_START) / KMEM_MIN_SIZE <=
               BITMAP_WORDS * 64, "slab bitmap too small");
_Static_assert(KMEM_MIN_SIZE << (KMEM_NCLASSES - 1) == KMEM_MAX_SIZE,
               "size classes do not span KMEM_MIN_SIZE..KMEM_MAX_SIZE");
_Static_assert(KMEM_PAGE_SIZE - OBJ_START >= KMEM_MAX_SIZE,
               "largest class does not fit a slab page");

// Index of the size class serving size bytes, or -1 if there is none.
static int
class_index(size_t size)
{
    size_t c = KMEM_MIN_SIZE;
    int i = 0;

    if (size == 0 || size > KMEM_MAX_SIZE)
        return -1;
    while (c < size) {
        c <<= 1;
        i++;
    }
    return i;
}

// Size class serving size bytes, or 0 if there is none.
size_t
kmem_class_size(size_t size)
{
    int i = class_index(size);

    return i < 0 ? 0 : (size_t)KMEM_MIN_SIZE << i;
}

// Initialize k with empty caches and the given page provider. Never fails.
void
kmem_init(struct kmem *k, void *(*page_alloc)(void *ctx),
          void (*page_free)(void *ctx, void *page), void *ctx)
{
    for (int i = 0; i < KMEM_NCLASSES; i++) {
        struct kmem_cache *c = &k->cache[i];
        c->partial = NULL;
        c->empty = NULL;
        c->objsize = (uint32_t)KMEM_MIN_SIZE << i;
        c->objs_per_slab = (uint32_t)((KMEM_PAGE_SIZE - OBJ_START) /
                                      c->objsize);
    }
    k->page_alloc = page_alloc;
    k->page_free = page_free;
    k->ctx = ctx;
    k->pages = 0;
    k->bad_frees = 0;
}

// Address of object i in slab s.
static void *
obj_at(struct kmem_slab *s, uint32_t i, uint32_t objsize)
{
    return (char *)s + OBJ_START + (size_t)i * objsize;
}

// Push s onto the front of the partial list of cache c. Never fails.
static void
partial_push(struct kmem_cache *c, struct kmem_slab *s)
{
    s->prev = NULL;
    s->next = c->partial;
    if (c->partial)
        c->partial->prev = s;
    c->partial = s;
}

// Unlink s from the partial list of cache c in O(1). Never fails.
static void
partial_remove(struct kmem_cache *c, struct kmem_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->partial = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

// Turn a fresh page into an all-free slab of class cls owned by k.
// Never fails.
static void
slab_format(struct kmem *k, void *page, int cls)
{
    struct kmem_slab *s = page;
    struct kmem_cache *c = &k->cache[cls];

    s->next = s->prev = NULL;
    s->owner = k;
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    s->inuse = 0;
    for (int w = 0; w < BITMAP_WORDS; w++)
        s->used[w] = 0;
    s->free = NULL;
    for (uint32_t i = c->objs_per_slab; i > 0; i--) {   // ascending order
        struct free_obj *o = obj_at(s, i - 1, c->objsize);
        o->next = s->free;
        s->free = o;
    }
}

// Hand page s back to the provider. Never fails.
static void
slab_release(struct kmem *k, struct kmem_slab *s)
{
    s->magic = 0;
    s->owner = NULL;
    k->pages--;
    k->page_free(k->ctx, s);
}

// Put a slab with at least one free object at the head of the partial
// list of class cls: the cached empty page, else a new page. Returns the
// slab, or NULL if page_alloc failed or gave a misaligned page.
static struct kmem_slab *
slab_grow(struct kmem *k, int cls)
{
    struct kmem_cache *c = &k->cache[cls];
    struct kmem_slab *s = c->empty;

    if (s) {
        c->empty = NULL;
    } else {
        void *page = k->page_alloc(k->ctx);
        if (page == NULL)
            return NULL;
        if (((uintptr_t)page & (KMEM_PAGE_SIZE - 1)) != 0) {
            k->page_free(k->ctx, page);
            return NULL;
        }
        k->pages++;
        slab_format(k, page, cls);
        s = page;
    }
    partial_push(c, s);
    return s;
}

// Allocate size bytes. Returns the object, or NULL for a bad size or when
// no page could be obtained.
void *
kmem_alloc(struct kmem *k, size_t size)
{
    int cls = class_index(size);
    if (cls < 0)
        return NULL;
    struct kmem_cache *c = &k->cache[cls];
    struct kmem_slab *s = c->partial;
    if (s == NULL && (s = slab_grow(k, cls)) == NULL)
        return NULL;

    struct free_obj *o = s->free;
    s->free = o->next;
    uint32_t i = (uint32_t)(((uintptr_t)o - (uintptr_t)s - OBJ_START) /
                            c->objsize);
    s->used[i / 64] |= (uint64_t)1 << (i % 64);
    if (++s->inuse == c->objs_per_slab)
        partial_remove(c, s);                       // now full
    return o;
}

// Locate live object p of k: sets *sp to its slab and *ip to its index.
// Returns 0, or -1 if p is not a live object of k.
static int
find_object(struct kmem *k, void *p, struct kmem_slab **sp, uint32_t *ip)
{
    uintptr_t addr = (uintptr_t)p;
    struct kmem_slab *s = (struct kmem_slab *)(addr & ~(uintptr_t)
                                               (KMEM_PAGE_SIZE - 1));
    size_t off = addr - (uintptr_t)s;

    if (s->magic != SLAB_MAGIC || s->owner != k || s->cls >= KMEM_NCLASSES)
        return -1;
    const struct kmem_cache *c = &k->cache[s->cls];
    if (off < OBJ_START || (off - OBJ_START) % c->objsize != 0)
        return -1;
    uint32_t i = (uint32_t)((off - OBJ_START) / c->objsize);
    if (i >= c->objs_per_slab ||
        (s->used[i / 64] & ((uint64_t)1 << (i % 64))) == 0)
        return -1;
    *sp = s;
    *ip = i;
    return 0;
}

// Free p. Returns 0 if p was freed or is NULL, -1 if p is not a live
// object of k (then only bad_frees changes).
int
kmem_free_checked(struct kmem *k, void *p)
{
    struct kmem_slab *s;
    uint32_t i;

    if (p == NULL)
        return 0;
    if (find_object(k, p, &s, &i) < 0) {
        k->bad_frees++;
        return -1;
    }
    struct kmem_cache *c = &k->cache[s->cls];
    struct free_obj *o = p;
    s->used[i / 64] &= ~((uint64_t)1 << (i % 64));
    o->next = s->free;
    s->free = o;
    if (s->inuse-- == c->objs_per_slab)
        partial_push(c, s);                         // was full
    if (s->inuse == 0) {
        partial_remove(c, s);
        if (c->empty == NULL)
            c->empty = s;
        else
            slab_release(k, s);
    }
    return 0;
}

// Free p; NULL and invalid pointers are ignored (the latter counted).
void
kmem_free(struct kmem *k, void *p)
{
    (void)kmem_free_checked(k, p);
}

// Pages held from the provider, cached empty pages included.
size_t
kmem_pages_in_use(const struct kmem *k)
{
    return k->pages;
}

// Number of cached all-free pages.
size_t
kmem_cached_pages(const struct kmem *k)
{
    size_t n = 0;

    for (int i = 0; i < KMEM_NCLASSES; i++)
        if (k->cache[i].empty)
            n++;
    return n;
}

// Release every cached empty page. Never fails.
void
kmem_shrink(struct kmem *k)
{
    for (int i = 0; i < KMEM_NCLASSES; i++) {
        struct kmem_cache *c = &k->cache[i];
        if (c->empty) {
            slab_release(k, c->empty);
            c->empty = NULL;
        }
    }
}
