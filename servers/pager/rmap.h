/* Reverse map: every (address space, virtual page) whose shadow entry maps a
   frame, found from where the mappings must be rather than from a table
   (docs/design.md, "The reverse map"):

   - a private frame backs one virtual page va, and only the address spaces
     of one fork family map it, all at va: its mappings are the entries at
     va that name it (rmap_private; rmap_entry finds entries holding one
     exact value, e.g. a swap slot);
   - a page of an object (shared anonymous memory) is mapped by every region
     that names the object and covers the page, at region start + (page -
     the region's first page) * 4096 (rmap_object).

   The caller lists the address spaces (struct rmap_spaces: an iterator that
   describes each one in a struct rmap_space, and an accessor giving a
   region's object and first page), so the same code runs over the pager's
   struct vmspace and struct vma and over a host test's own structures.

   Cost: rmap_private and rmap_entry do one shadow lookup per address space;
   rmap_object looks at every region of every address space. Nothing is
   stored, so fork and unmap pay nothing.

   Pure module: shadow_lookup and the VMA tree, no system calls, no
   allocation, not thread safe (the pager is single threaded). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shadow.h"
#include "vmatree.h"

#define RMAP_PAGE 4096ULL
#define RMAP_ALL  (~0u)         /* rmap_private's max: no limit */

/* One address space as the reverse map sees it. */
struct rmap_space {
    struct shadow *shadow;       /* its shadow page table */
    struct vma_tree *vmas;       /* its regions (rmap_object; may be NULL: none) */
    bool pinned;                 /* a server's: a frame it maps is never evicted */
    void *owner;                 /* the caller's handle (the pager: struct vmspace) */
};

/* Where the address spaces and the regions' objects come from. */
struct rmap_spaces {
    /* Describe in *s the address space after the one whose owner is prev
       (prev NULL: the first one) and return its owner; NULL after the last
       (*s is then left alone). Owners are never NULL. */
    void *(*next)(void *ctx, void *prev, struct rmap_space *s);
    /* The object region n names (NULL: none), with in *pgoff the page of
       that object at n->start. Needed by rmap_object only. */
    const void *(*region)(const struct vma_node *n, uint64_t *pgoff);
    void *ctx;
};

/* Called for each mapping found: entry *e of address space s maps the page
   at va. It may change *e (e.g. clear it); it may not add or remove
   address spaces or regions. */
typedef void (*rmap_fn)(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e);

/* The entry of shadow s at va when it is present and names frame pa, else
   NULL. Inline: eviction's one-lookup fast path uses it. */
static inline spte_t *rmap_at(struct shadow *s, uint64_t va, uint64_t pa)
{
    spte_t *e = shadow_lookup(s, va);
    return e && (*e & SPTE_PRESENT) && SPTE_PA(*e) == pa ? e : NULL;
}

/* The mappings of private frame pa backing page va: call fn(arg, s, va, e)
   (fn may be NULL) for each present entry at va naming pa, in the order
   sp lists the spaces, stopping once max were found (RMAP_ALL: no limit; 0:
   nothing is looked at). Returns how many were found, or -1 as soon as one
   is in a pinned space (fn is not called for it, nor for any later one). */
int rmap_private(const struct rmap_spaces *sp, uint64_t va, uint64_t pa, unsigned max,
                 rmap_fn fn, void *arg);

/* Call fn(arg, s, va, e) (fn may be NULL) for each entry at va whose value
   is exactly value (nonzero: e.g. a swap slot's entry), in every listed
   space, pinned or not. Returns how many there were; 0 for value 0. */
int rmap_entry(const struct rmap_spaces *sp, uint64_t va, spte_t value, rmap_fn fn, void *arg);

/* The mappings of frame pa holding page `page` of object obj (not NULL):
   for every region of every listed space that names obj (sp->region) and
   covers the page, the entry at region start + (page - its first page) *
   RMAP_PAGE, when present and naming pa: call fn(arg, s, va, e) (fn may be
   NULL), in the order sp lists spaces and, within one, by address. Returns
   how many were found, or -1 as soon as one is in a pinned space (fn is
   not called for it, nor for any later one). */
int rmap_object(const struct rmap_spaces *sp, const void *obj, uint64_t page, uint64_t pa,
                rmap_fn fn, void *arg);
