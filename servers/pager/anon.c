/* Anonymous private memory (heap, stack, MAP_ANONYMOUS|MAP_PRIVATE): zero page
   for reads of untouched pages, a fresh frame on the first write, copy-on-write
   after fork. */
#include "vm.h"

static int anon_fault(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                      struct vm_wait *w)
{
    (void)w; /* never waits for a file page */
    if (!*e || (*e & SPTE_ZERO))
        return zero_resolve(v, va, e, access, pa, perms);
    return cow_resolve(v, va, e, access, pa, perms);
}

const struct region_ops anon_ops = {
    .name = "anon",
    .private = true,
    .fault = anon_fault,
};
