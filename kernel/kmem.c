/* Memory for the kernel's own objects: a buddy allocator over the kernel pool
   (pages) and slab caches on top of it (small objects). Never panics when empty. */
#include "kernel.h"
#include "buddy.h"
#include "slab.h"
#include "arch/riscv/riscv.h"

static struct buddy pages;
static uint64_t pool_va; /* kernel virtual address of page index 0 */
static struct kmem slabs;

static void *slab_page_alloc(void *ctx)
{
    (void)ctx;
    return page_alloc();
}

static void slab_page_free(void *ctx, void *page)
{
    (void)ctx;
    page_free(page);
}

/* Hand [pa_start, pa_end) to the kernel allocators; the buddy metadata comes from its front. */
void kmem_setup(uint64_t pa_start, uint64_t pa_end)
{
    uint64_t npages = (pa_end - pa_start) / PGSIZE;
    uint64_t meta_pages = ROUNDUP(buddy_meta_bytes(npages), PGSIZE) / PGSIZE;
    if (meta_pages >= npages)
        panic("kmem_setup: pool too small");
    struct buddy_page *meta = P2V(pa_start);
    pool_va = (uint64_t)P2V(pa_start) + meta_pages * PGSIZE;
    buddy_init(&pages, npages - meta_pages, meta);
    kmem_init(&slabs, slab_page_alloc, slab_page_free, NULL);
}

void *pages_alloc(unsigned order)
{
    int64_t i = buddy_alloc(&pages, order);
    if (i < 0)
        return NULL;
    void *p = (void *)(pool_va + (uint64_t)i * PGSIZE);
    memset(p, 0, PGSIZE << order);
    return p;
}

void pages_free(void *p, unsigned order)
{
    if (buddy_free(&pages, ((uint64_t)p - pool_va) / PGSIZE, order) < 0)
        panic("pages_free: not an allocated block");
}

void *page_alloc(void)
{
    return pages_alloc(0);
}

void page_free(void *p)
{
    pages_free(p, 0);
}

void *kzalloc(size_t size)
{
    void *p = kmem_alloc(&slabs, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    kmem_free(&slabs, p);
}

uint64_t kmem_free_pages(void)
{
    return buddy_free_pages(&pages);
}
