// Buddy allocator over page indices. See buddy.h for the model.

#include "buddy.h"

// Pages in a block of the given order.
static uint32_t
block_pages(unsigned order)
{
    return (uint32_t)1 << order;
}

// True if the block [page, page + 2^order) lies inside the managed range.
static bool
block_in_range(const struct buddy *b, uint32_t page, unsigned order)
{
    return (uint64_t)page + block_pages(order) <= b->npages;
}

// Push page onto the free list of the given order and mark it a free head.
// Never fails.
static void
list_push(struct buddy *b, uint32_t page, unsigned order)
{
    struct buddy_page *m = &b->meta[page];
    uint32_t head = b->free_head[order];

    m->next = head;
    m->prev = BUDDY_NONE;
    m->order = (uint8_t)order;
    m->flags = BUDDY_FREE_HEAD;
    if (head != BUDDY_NONE)
        b->meta[head].prev = page;
    b->free_head[order] = page;
}

// Unlink free head page from the list of its order in O(1) and clear its
// marker. The page must be on that list. Never fails.
static void
list_remove(struct buddy *b, uint32_t page)
{
    struct buddy_page *m = &b->meta[page];

    if (m->prev != BUDDY_NONE)
        b->meta[m->prev].next = m->next;
    else
        b->free_head[m->order] = m->next;
    if (m->next != BUDDY_NONE)
        b->meta[m->next].prev = m->prev;
    m->next = m->prev = BUDDY_NONE;
    m->flags = 0;
}

// True if page is the head of a free block of exactly the given order.
static bool
is_free_head(const struct buddy *b, uint32_t page, unsigned order)
{
    const struct buddy_page *m = &b->meta[page];

    return m->flags == BUDDY_FREE_HEAD && m->order == order;
}

// Give the unmarked block [page, page + 2^order) back to the free lists,
// merging it with its buddy for as long as the buddy is a free block of
// the same order. Counts the pages into nfree. Never fails.
static void
release_block(struct buddy *b, uint32_t page, unsigned order)
{
    b->nfree += block_pages(order);
    while (order < BUDDY_MAX_ORDER) {
        uint32_t buddy = page ^ block_pages(order);
        if (buddy >= b->npages || !is_free_head(b, buddy, order))
            break;
        list_remove(b, buddy);
        if (buddy < page)
            page = buddy;
        order++;
    }
    list_push(b, page, order);
}

// Bytes of metadata the caller must supply for npages pages.
size_t
buddy_meta_bytes(uint32_t npages)
{
    return (size_t)npages * sizeof(struct buddy_page);
}

// Initialize b with every page allocated and untracked. Never fails.
void
buddy_init_empty(struct buddy *b, uint32_t npages, struct buddy_page *meta)
{
    b->npages = npages;
    b->meta = meta;
    b->nfree = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        b->free_head[k] = BUDDY_NONE;
    for (uint32_t i = 0; i < npages; i++) {
        meta[i].next = meta[i].prev = BUDDY_NONE;
        meta[i].order = 0;
        meta[i].flags = 0;
    }
}

// Initialize b with every page free. Never fails.
void
buddy_init(struct buddy *b, uint32_t npages, struct buddy_page *meta)
{
    buddy_init_empty(b, npages, meta);
    buddy_free_range(b, 0, npages);
}

// Largest order k such that a block of order k starts at page and fits
// within end (exclusive). Requires page < end.
static unsigned
largest_fit(uint32_t page, uint64_t end)
{
    unsigned k = 0;

    while (k < BUDDY_MAX_ORDER) {
        uint32_t size = block_pages(k + 1);
        if ((page & (size - 1)) != 0 || page + (uint64_t)size > end)
            break;
        k++;
    }
    return k;
}

// Free [first, first+count) as maximal aligned blocks; pages at or beyond
// npages are ignored. Never fails (see buddy.h for the precondition).
void
buddy_free_range(struct buddy *b, uint32_t first, uint32_t count)
{
    uint64_t end = (uint64_t)first + count;

    if (end > b->npages)
        end = b->npages;
    for (uint64_t p = first; p < end; ) {
        unsigned k = largest_fit((uint32_t)p, end);
        b->meta[p].flags = 0;
        release_block(b, (uint32_t)p, k);
        p += block_pages(k);
    }
}

// Allocate 2^order pages. Returns the first page index, or -1 if order is
// too large or no free block of at least that order exists.
int64_t
buddy_alloc(struct buddy *b, unsigned order)
{
    unsigned k = order;

    if (order > BUDDY_MAX_ORDER)
        return -1;
    while (k <= BUDDY_MAX_ORDER && b->free_head[k] == BUDDY_NONE)
        k++;
    if (k > BUDDY_MAX_ORDER)
        return -1;

    uint32_t page = b->free_head[k];
    list_remove(b, page);
    while (k > order) {
        k--;
        list_push(b, page + block_pages(k), k);  // upper half stays free
    }
    b->meta[page].order = (uint8_t)order;
    b->meta[page].flags = BUDDY_ALLOC_HEAD;
    b->nfree -= block_pages(order);
    return page;
}

// Free the order-`order` block at page. Returns 0, or -1 without changing
// anything if it is not a live allocated block of that order.
int
buddy_free(struct buddy *b, uint32_t page, unsigned order)
{
    if (order > BUDDY_MAX_ORDER || page >= b->npages)
        return -1;
    struct buddy_page *m = &b->meta[page];
    if (m->flags != BUDDY_ALLOC_HEAD || m->order != order)
        return -1;
    m->flags = 0;
    release_block(b, page, order);
    return 0;
}

// Number of free pages.
uint32_t
buddy_free_pages(const struct buddy *b)
{
    return b->nfree;
}

// Smallest order holding npages pages, or BUDDY_MAX_ORDER + 1 if none.
unsigned
buddy_order_for(uint32_t npages)
{
    if (npages == 0)
        return BUDDY_MAX_ORDER + 1;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        if (block_pages(k) >= npages)
            return k;
    return BUDDY_MAX_ORDER + 1;
}

// Check one free list. Adds its pages to *pages and its length to *heads.
// Returns 0, or a negative code on the first malformed entry.
static int
check_list(const struct buddy *b, unsigned order, uint64_t *pages,
           uint64_t *heads)
{
    uint32_t prev = BUDDY_NONE;
    uint64_t steps = 0;

    for (uint32_t p = b->free_head[order]; p != BUDDY_NONE;
         p = b->meta[p].next) {
        if (p >= b->npages || ++steps > b->npages)
            return -1;                              // bad link or cycle
        const struct buddy_page *m = &b->meta[p];
        if (!is_free_head(b, p, order) || m->prev != prev)
            return -2;
        if ((p & (block_pages(order) - 1)) != 0 ||
            !block_in_range(b, p, order))
            return -3;
        uint32_t buddy = p ^ block_pages(order);
        if (order < BUDDY_MAX_ORDER && buddy < b->npages &&
            is_free_head(b, buddy, order))
            return -4;                              // missed coalesce
        *pages += block_pages(order);
        prev = p;
    }
    *heads += steps;
    return 0;
}

// Scan the metadata: blocks must not overlap, every free head must be
// listed (nheads of them). Returns 0, or a negative code.
static int
check_blocks(const struct buddy *b, uint64_t nheads)
{
    uint64_t covered = 0;   // end of the last block seen
    uint64_t seen = 0;

    for (uint32_t p = 0; p < b->npages; p++) {
        const struct buddy_page *m = &b->meta[p];
        if (m->flags == 0)
            continue;
        if (p < covered || m->order > BUDDY_MAX_ORDER ||
            (m->flags != BUDDY_FREE_HEAD && m->flags != BUDDY_ALLOC_HEAD))
            return -5;
        if (!block_in_range(b, p, m->order) ||
            (p & (block_pages(m->order) - 1)) != 0)
            return -6;
        covered = (uint64_t)p + block_pages(m->order);
        if (m->flags == BUDDY_FREE_HEAD)
            seen++;
    }
    return seen == nheads ? 0 : -7;
}

// Verify invariants. Returns 0 if consistent, else a negative code.
int
buddy_check(const struct buddy *b)
{
    uint64_t pages = 0, heads = 0;

    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        int r = check_list(b, k, &pages, &heads);
        if (r < 0)
            return r;
    }
    if (pages != b->nfree)
        return -8;
    return check_blocks(b, heads);
}

int buddy_split_alloc(struct buddy *b, uint32_t page, unsigned order)
{
    if (order > BUDDY_MAX_ORDER || page >= b->npages)
        return -1;
    struct buddy_page *m = &b->meta[page];
    if (m->flags != BUDDY_ALLOC_HEAD || m->order != order)
        return -1;
    for (uint32_t k = 0; k < (1u << order); k++) {
        b->meta[page + k].flags = BUDDY_ALLOC_HEAD;
        b->meta[page + k].order = 0;
    }
    return 0;
}
