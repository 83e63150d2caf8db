// Slab allocator for small kernel objects.
//
// Requests are rounded up to one of the power-of-two size classes
// KMEM_MIN_SIZE..KMEM_MAX_SIZE (8, 16, ..., 2048 bytes). Each class carves
// objects out of 4096-byte, 4096-aligned pages obtained from a caller-
// supplied page provider, so this module is pure (no libc, no globals).
//
// Every slab page begins with a small header (struct kmem_slab, private to
// slab.c); kmem_free finds it with p & ~(KMEM_PAGE_SIZE - 1). Objects are
// aligned to min(class size, 16). The header holds an allocation bitmap, so
// frees of pointers that are not live objects (double free, interior or
// foreign pointers) are detected and refused.
//
// A class keeps at most one completely free page cached; every other page
// that becomes empty goes straight back to page_free. kmem_shrink releases
// the cached pages too. Memory is returned uninitialized.
//
// No locking: callers serialize access to a struct kmem.

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMEM_PAGE_SIZE 4096
#define KMEM_MIN_SIZE  8
#define KMEM_MAX_SIZE  2048
#define KMEM_NCLASSES  9              /* 8, 16, 32, ..., 2048 */

struct kmem_slab;                     /* page header, defined in slab.c */

struct kmem_cache {
    struct kmem_slab *partial;        /* pages with free and used objects */
    struct kmem_slab *empty;          /* at most one cached all-free page */
    uint32_t objsize;                 /* size class in bytes */
    uint32_t objs_per_slab;
};

struct kmem {
    struct kmem_cache cache[KMEM_NCLASSES];
    void *(*page_alloc)(void *ctx);   /* returns an aligned page or NULL */
    void (*page_free)(void *ctx, void *page);
    void *ctx;
    size_t pages;                     /* pages held, cached ones included */
    size_t bad_frees;                 /* refused kmem_free calls */
};

// Initialize k to draw pages from page_alloc/page_free (both called with
// ctx). Holds no pages afterwards. Never fails.
void kmem_init(struct kmem *k, void *(*page_alloc)(void *ctx),
               void (*page_free)(void *ctx, void *page), void *ctx);

// Allocate size bytes. Returns NULL if size is 0 or above KMEM_MAX_SIZE,
// or if a new page was needed and page_alloc returned NULL (or a page that
// is not KMEM_PAGE_SIZE-aligned, which is handed straight back).
void *kmem_alloc(struct kmem *k, size_t size);

// Free p, which came from kmem_alloc on k; NULL is ignored. A pointer that
// is not a live object of k is ignored and counted in k->bad_frees.
void kmem_free(struct kmem *k, void *p);

// Like kmem_free, but reports the outcome: 0 if p was freed or is NULL,
// -1 if p is not a live object of k (nothing changes except bad_frees).
int kmem_free_checked(struct kmem *k, void *p);

// Pages currently held from the provider, including cached empty pages.
size_t kmem_pages_in_use(const struct kmem *k);

// Number of held pages that are cached while completely free.
size_t kmem_cached_pages(const struct kmem *k);

// Give every cached empty page back to page_free. Never fails.
void kmem_shrink(struct kmem *k);

// Size class that serves a request of size bytes, or 0 if size is 0 or
// above KMEM_MAX_SIZE.
size_t kmem_class_size(size_t size);
