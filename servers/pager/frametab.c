/* Frame reference counts and the copy-on-write decision (see frametab.h). */
#include "frametab.h"

/* Never fails. */
void ft_init(struct frametab *t, uint32_t *ref_array, uint64_t base_pa, uint64_t nframes)
{
    t->ref = ref_array;
    t->base = base_pa;
    t->nframes = nframes;
    t->shared = 0;
    t->used = 0;
    for (uint64_t i = 0; i < nframes; i++)
        ref_array[i] = 0;
}

/* Store pa's frame number in *idx. Returns false (and leaves *idx alone) when
   pa is unaligned, below the pool or past its end. */
static bool ft_index(const struct frametab *t, uint64_t pa, uint64_t *idx)
{
    if ((pa & (FT_PAGE - 1)) || pa < t->base)
        return false;
    uint64_t i = (pa - t->base) / FT_PAGE;
    if (i >= t->nframes)
        return false;
    *idx = i;
    return true;
}

/* Returns the count, or -1 on a bad pa. */
int ft_get(struct frametab *t, uint64_t pa)
{
    uint64_t i;
    return ft_index(t, pa, &i) ? (int)t->ref[i] : -1;
}

/* Returns the new count, or -1 on a bad pa or a saturated count. */
int ft_inc(struct frametab *t, uint64_t pa)
{
    uint64_t i;
    if (!ft_index(t, pa, &i) || t->ref[i] == FT_REF_MAX)
        return -1;
    int old = (int)t->ref[i]++;
    if (old == 0)
        t->used++;
    else if (old == 1)
        t->shared++;
    return old + 1;
}

/* Returns the new count, or -1 on a bad pa or a count already 0. */
int ft_dec(struct frametab *t, uint64_t pa)
{
    uint64_t i;
    if (!ft_index(t, pa, &i) || t->ref[i] == 0)
        return -1;
    int old = (int)t->ref[i]--;
    if (old == 1)
        t->used--;
    else if (old == 2)
        t->shared--;
    return old - 1;
}

/* Never fails: anything but a sole reference means copy. */
enum cow_action cow_decide(int refcount)
{
    return refcount == 1 ? COW_REUSE : COW_COPY;
}
