// Buddy allocator over page indices.
//
// The allocator is non-intrusive: all bookkeeping lives in a caller-supplied
// array of struct buddy_page (one entry per managed page), and the managed
// memory itself is never read or written. Page 0 is the first managed page;
// a block of order k covers 2^k pages and starts at an index that is a
// multiple of 2^k. npages need not be a power of two.
//
// Free blocks of order k sit on a doubly-linked list (by page index) headed
// by free_head[k]. The first page of every block carries a marker: either
// BUDDY_FREE_HEAD (a free block on list `order`) or BUDDY_ALLOC_HEAD (a block
// handed out by buddy_alloc with that order). All other pages carry no flags.
// The markers make double frees and wrong-order frees detectable.
//
// Pure module: no libc, no allocation, no locking (callers serialize).

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDDY_MAX_ORDER 10            /* largest block: 2^10 pages */
#define BUDDY_NONE ((uint32_t)-1)     /* "no page" in list links */

#define BUDDY_FREE_HEAD  0x01         /* first page of a free block */
#define BUDDY_ALLOC_HEAD 0x02         /* first page of an allocated block */

struct buddy_page {
    uint32_t next;                    /* free-list links (page indices) */
    uint32_t prev;
    uint8_t order;                    /* block order, valid on heads only */
    uint8_t flags;                    /* BUDDY_FREE_HEAD, BUDDY_ALLOC_HEAD or 0 */
};

struct buddy {
    uint32_t npages;
    struct buddy_page *meta;          /* npages entries, supplied by caller */
    uint32_t free_head[BUDDY_MAX_ORDER + 1];
    uint32_t nfree;                   /* free pages in total */
};

// Bytes of metadata the caller must supply for npages pages.
size_t buddy_meta_bytes(uint32_t npages);

// Initialize b over npages pages with every page free.
void buddy_init(struct buddy *b, uint32_t npages, struct buddy_page *meta);

// Initialize b over npages pages with every page allocated (untracked);
// the caller then hands usable ranges over with buddy_free_range.
void buddy_init_empty(struct buddy *b, uint32_t npages,
                      struct buddy_page *meta);

// Free pages [first, first+count) as maximal aligned blocks, coalescing
// with free neighbours. The pages must be allocated and not part of any
// block still owned by someone (e.g. fresh after buddy_init_empty); the
// part of the range beyond npages is ignored.
void buddy_free_range(struct buddy *b, uint32_t first, uint32_t count);

// Allocate a block of 2^order pages. Returns the index of its first page,
// or -1 if order > BUDDY_MAX_ORDER or no free block is large enough.
int64_t buddy_alloc(struct buddy *b, unsigned order);

// Free the block of 2^order pages starting at page. Returns 0, or -1 (and
// changes nothing) if page is not the start of a currently allocated block
// of exactly that order (double free, wrong order, out of range).
int buddy_free(struct buddy *b, uint32_t page, unsigned order);

// Turn the allocated block of 2^order pages at page into 2^order allocated
// blocks of one page each, to be freed one by one. Returns 0, or -1 (and
// changes nothing) if page is not the start of an allocated block of that order.
int buddy_split_alloc(struct buddy *b, uint32_t page, unsigned order);

// Number of free pages.
uint32_t buddy_free_pages(const struct buddy *b);

// Smallest order whose block holds at least npages pages. Returns
// BUDDY_MAX_ORDER + 1 if npages is 0 or larger than the largest block.
unsigned buddy_order_for(uint32_t npages);

// Verify the allocator's invariants: well-formed lists, aligned in-range
// heads with matching flags, nfree equal to the listed pages, and no two
// free buddies of the same order left uncoalesced. O(npages). Returns 0 if
// consistent, or a negative code identifying the first violation.
int buddy_check(const struct buddy *b);
