/* The pager's shadow page tables: for each address space, a software radix
   tree shaped like Sv39 (three levels of 512 entries, one 4096-byte node per
   level) that records which frame backs each user page and in what state.

   Level 2 (the root) indexes va bits 30..38, level 1 bits 21..29 and level 0
   (the leaves) bits 12..20. Interior entries hold a child node's address or 0;
   leaf entries are spte_t values. User addresses are below 2^38, so only the
   lower half of the root is ever used.

   The module is pure: nodes come from the caller's callbacks and nothing else
   is allocated. It is not thread safe; the pager is single threaded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t spte_t;   /* 0 = empty; else frame pa (4K aligned) | flags */

#define SPTE_PRESENT 0x1   /* names a frame (pa in bits 12..63) */
#define SPTE_COW     0x2   /* shared copy-on-write: writable only after a copy or reuse */
#define SPTE_ZERO    0x4   /* the shared zero page is mapped here (pa = zero page) */
#define SPTE_USER_SHIFT 3  /* bits 3..11 are free for the caller */
#define SPTE_PA(e) ((e) & ~0xfffULL)

#define SHADOW_NODE_ENTRIES 512
#define SHADOW_NODE_BYTES   4096
#define SHADOW_VA_LIMIT     (1ULL << 38)   /* first address that is not user */

struct shadow_ops {
    void *(*node_alloc)(void *ctx);          /* a zeroed 4096-byte, 4096-aligned node or NULL */
    void (*node_free)(void *ctx, void *node);
    void *ctx;
};

struct shadow {
    uint64_t *root;
    const struct shadow_ops *ops;
    size_t nodes;        /* nodes held, root included */
    size_t visits;       /* debug: nodes examined by the last walk or copy */
};

/* Give s an empty tree (one root node). Returns 0, or -1 when no node. */
int shadow_init(struct shadow *s, const struct shadow_ops *ops);

/* Call drop(arg, va, e) for every non-empty entry in address order (drop may
   be NULL), then free every node. s is left empty (root NULL, nodes 0); a
   second destroy is harmless. */
void shadow_destroy(struct shadow *s, void (*drop)(void *arg, uint64_t va, spte_t e),
                    void *arg);

/* The entry slot for va's page; NULL if its leaf node does not exist or
   va >= SHADOW_VA_LIMIT. Never allocates. Inline: every fault starts here. */
static inline spte_t *shadow_lookup(struct shadow *s, uint64_t va)
{
    uint64_t *node = s->root;
    if (node == NULL || va >= SHADOW_VA_LIMIT)
        return NULL;
    for (unsigned shift = 30; shift > 12; shift -= 9) {
        uint64_t e = node[(va >> shift) & (SHADOW_NODE_ENTRIES - 1)];
        if (e == 0)
            return NULL;
        node = (uint64_t *)(uintptr_t)e;
    }
    return &node[(va >> 12) & (SHADOW_NODE_ENTRIES - 1)];
}

/* Like shadow_lookup but allocates missing nodes. NULL when out of memory
   (nodes already allocated on the way stay, empty) or va >= SHADOW_VA_LIMIT. */
spte_t *shadow_slot(struct shadow *s, uint64_t va);

/* Visit every non-empty entry of the pages [start, end) touches, in address
   order; fn may modify *e, including setting it to 0 (nodes are never freed
   here: see shadow_prune). Absent subtrees are skipped in O(1) each. end is
   clipped to SHADOW_VA_LIMIT. Returns the number of entries visited (0 for an
   empty or invalid range). */
size_t shadow_walk(struct shadow *s, uint64_t start, uint64_t end,
                   void (*fn)(void *arg, uint64_t va, spte_t *e), void *arg);

/* Copy every non-empty entry of src in [start, end) to the same address in
   dst (allocating dst nodes, overwriting what dst had there), then call
   fn(arg, va, &src_e, &dst_e) so the caller can adjust flags and reference
   counts (fn may be NULL). src and dst must differ. Returns 0, or -1 when out
   of memory: entries already copied (and passed to fn) stay; the caller cleans
   up dst with shadow_destroy. */
int shadow_copy(struct shadow *dst, struct shadow *src, uint64_t start, uint64_t end,
                void (*fn)(void *arg, uint64_t va, spte_t *se, spte_t *de), void *arg);

/* Free the non-root nodes that are entirely empty among those covering
   [start, end), e.g. after unmapping that range. Never fails. */
/* Like shadow_copy, but the callback gets each leaf's run of entries at once
   (n entries from va; entries may be empty): for loops that must be fast (fork). */
int shadow_copy_runs(struct shadow *dst, struct shadow *src, uint64_t start, uint64_t end,
                     void (*fn)(void *arg, uint64_t va, spte_t *se, spte_t *de, unsigned n), void *arg);
/* Like shadow_walk, one run of entries per leaf (entries may be empty); de is NULL. */
void shadow_walk_runs(struct shadow *s, uint64_t start, uint64_t end,
                      void (*fn)(void *arg, uint64_t va, spte_t *e, spte_t *de, unsigned n), void *arg);
void shadow_prune(struct shadow *s, uint64_t start, uint64_t end);
