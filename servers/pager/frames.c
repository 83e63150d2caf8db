/* Frames of the user pool: a buddy allocator over page indices; the pager sees
   frame pa at PAGER_WINDOW + (pa - pool_base). */
#include "pager.h"
#include "buddy.h"

static struct buddy pool;
static uint64_t base, npages, zero_pa;
struct counters cnt;

void *frame_ptr(uint64_t pa)
{
    return (void *)(PAGER_WINDOW + (pa - base));
}

/* Take the buddy metadata from the front of the pool itself, and the zero page. */
void frames_init(const struct bootinfo *bi)
{
    base = bi->pool_base;
    npages = bi->pool_pages;
    size_t meta_pages = PG_ROUNDUP(buddy_meta_bytes((uint32_t)npages)) / PAGE;
    buddy_init_empty(&pool, (uint32_t)npages, (struct buddy_page *)PAGER_WINDOW);
    buddy_free_range(&pool, (uint32_t)meta_pages, (uint32_t)(npages - meta_pages));
    zero_pa = frame_alloc();
    if (!zero_pa) {
        printf("pager: no memory for the zero page\n");
        pager_panic();
    }
}

uint64_t frame_alloc_nozero(void)
{
    int64_t i = buddy_alloc(&pool, 0);
    return i < 0 ? 0 : base + (uint64_t)i * PAGE;
}

/* Zero one page with unrolled 64-bit stores (the zero-fill fault's main cost). */
static void page_zero(uint64_t *p)
{
    for (uint64_t *end = p + PAGE / 8; p < end; p += 16) {
        p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0; p[6] = 0; p[7] = 0;
        p[8] = 0; p[9] = 0; p[10] = 0; p[11] = 0; p[12] = 0; p[13] = 0; p[14] = 0; p[15] = 0;
    }
}

uint64_t frame_alloc(void)
{
    uint64_t pa = frame_alloc_nozero();
    if (pa)
        page_zero(frame_ptr(pa));
    return pa;
}

void frame_free(uint64_t pa)
{
    if (buddy_free(&pool, (uint32_t)((pa - base) / PAGE), 0) < 0) {
        printf("pager: frame_free: %p is not an allocated frame\n", (void *)pa);
        pager_panic();
    }
}

uint64_t zero_page(void)
{
    return zero_pa;
}

static unsigned order_for(size_t bytes)
{
    unsigned o = 0;
    while ((PAGE << o) < bytes)
        o++;
    return o;
}

void *meta_alloc(size_t bytes)
{
    unsigned o = order_for(bytes);
    if (o > BUDDY_MAX_ORDER)
        return NULL;
    int64_t i = buddy_alloc(&pool, o);
    if (i < 0)
        return NULL;
    void *p = frame_ptr(base + (uint64_t)i * PAGE);
    memset(p, 0, PAGE << o);
    return p;
}

void meta_free(void *p, size_t bytes)
{
    uint64_t idx = ((uint64_t)p - PAGER_WINDOW) / PAGE;
    if (buddy_free(&pool, (uint32_t)idx, order_for(bytes)) < 0) {
        printf("pager: meta_free: bad block %p\n", p);
        pager_panic();
    }
}

uint64_t frames_free(void)
{
    return buddy_free_pages(&pool);
}

uint64_t frames_total(void)
{
    return npages;
}
