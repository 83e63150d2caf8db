/* Reverse map: the mappings of a frame (rmap.h). */
#include "rmap.h"

int rmap_private(const struct rmap_spaces *sp, uint64_t va, uint64_t pa, unsigned max,
                 rmap_fn fn, void *arg)
{
    struct rmap_space s;
    unsigned n = 0;
    for (void *o = max ? sp->next(sp->ctx, NULL, &s) : NULL; o; o = sp->next(sp->ctx, o, &s)) {
        spte_t *e = rmap_at(s.shadow, va, pa);
        if (!e)
            continue;
        if (s.pinned)
            return -1;
        if (fn)
            fn(arg, &s, va, e);
        if (++n == max)
            break;
    }
    return (int)n;
}

int rmap_entry(const struct rmap_spaces *sp, uint64_t va, spte_t value, rmap_fn fn, void *arg)
{
    struct rmap_space s;
    int n = 0;
    for (void *o = value ? sp->next(sp->ctx, NULL, &s) : NULL; o; o = sp->next(sp->ctx, o, &s)) {
        spte_t *e = shadow_lookup(s.shadow, va);
        if (!e || *e != value)
            continue;
        n++;
        if (fn)
            fn(arg, &s, va, e);
    }
    return n;
}

/* Whether region n (whose first page is page pgoff of its object) covers
   page `page`; if so *va is where it maps it. */
static bool page_va(const struct vma_node *n, uint64_t pgoff, uint64_t page, uint64_t *va)
{
    if (page < pgoff || page - pgoff >= (n->end - n->start) / RMAP_PAGE)
        return false;
    *va = n->start + (page - pgoff) * RMAP_PAGE;
    return true;
}

int rmap_object(const struct rmap_spaces *sp, const void *obj, uint64_t page, uint64_t pa,
                rmap_fn fn, void *arg)
{
    struct rmap_space s;
    int n = 0;
    for (void *o = sp->next(sp->ctx, NULL, &s); o; o = sp->next(sp->ctx, o, &s)) {
        for (struct vma_node *r = s.vmas ? vt_first(s.vmas) : NULL; r; r = vt_next(r)) {
            uint64_t pgoff, va;
            if (sp->region(r, &pgoff) != obj || !page_va(r, pgoff, page, &va))
                continue;
            spte_t *e = rmap_at(s.shadow, va, pa);
            if (!e)
                continue;
            if (s.pinned)
                return -1;
            n++;
            if (fn)
                fn(arg, &s, va, e);
        }
    }
    return n;
}
