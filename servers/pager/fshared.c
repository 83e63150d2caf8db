/* Files mapped shared (mmap(MAP_SHARED) of a file): every mapper maps the
   frame of the file's page cache itself, so a write is seen at once by every
   other mapper and by read(2). Pages are mapped with the region's full rights
   on the first touch; the kernel's dirty bit then records a write. On msync,
   munmap and exit the dirty bits are read and cleared (ad_bits) and the dirty
   pages are handed to the file (vnode_dirty), which writes them back. A page
   wholly past the file's end is a bus error. */
#include "vm.h"

static int fshared_fault(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                          struct vm_wait *w)
{
    if (!(*e & SPTE_PRESENT)) {
        uint64_t idx = v->pgoff + (va - v->node.start) / PAGE;
        if (idx * PAGE >= vnode_size(v->vn))
            return -ENXIO;
        long f = vnode_page(v->vn, idx, w);
        if (f < 0)
            return f == -EFAULT ? -ENXIO : (int)f; /* -EAGAIN: being read (*w says which) */
        frame_ref((uint64_t)f); /* this mapping's reference */
        *e = (uint64_t)f | SPTE_PRESENT;
    }
    if (access == FAULT_WRITE)
        *e |= SPTE_DIRTY; /* the pager itself may be about to write it (copy_out) */
    *pa = SPTE_PA(*e);
    *perms = v->prot | PERM_R;
    return 0;
}

/* Fault-around: a file page the cache holds read in, mapped with the
   region's full rights as a read fault maps it (the kernel's dirty bit
   records a write, which sync reads). Returns 0, or -1 (past the end of
   the file, or the page needs a read). */
static int fshared_around(struct vma *v, uint64_t va, spte_t *e, uint64_t *pa, uint32_t *perms)
{
    uint64_t idx = v->pgoff + (va - v->node.start) / PAGE;
    uint64_t f = idx * PAGE < vnode_size(v->vn) ? vnode_page_cached(v->vn, idx) : 0;
    if (!f)
        return -1;
    frame_ref(f); /* this mapping's reference */
    *e = f | SPTE_PRESENT;
    *pa = f;
    *perms = v->prot | PERM_R;
    return 0;
}

/* Hand the pages of [start, end) that were written since the last look to the file. */
static void fshared_sync(struct vmspace *vs, struct vma *v, uint64_t start, uint64_t end)
{
    for (uint64_t va = start; va < end; va += 64 * PAGE) {
        uint64_t n = (end - va) / PAGE < 64 ? (end - va) / PAGE : 64;
        long acc = 0, dirty = 0;
        if (sys_ad_bits(vs->as_slot, (long)va, (long)n, AD_CLEAR_A | AD_CLEAR_D, &acc, &dirty) < 0)
            dirty = 0;
        for (uint64_t k = 0; k < n; k++) {
            spte_t *e = shadow_lookup(&vs->shadow, va + k * PAGE);
            if (!e || !(*e & SPTE_PRESENT) || !(((uint64_t)dirty >> k & 1) || (*e & SPTE_DIRTY)))
                continue;
            *e &= ~(spte_t)SPTE_DIRTY;
            vnode_dirty(v->vn, v->pgoff + (va + k * PAGE - v->node.start) / PAGE, SPTE_PA(*e));
        }
    }
}

static void fshared_retain(struct vma *v)
{
    vnode_ref(v->vn);
}

static void fshared_release(struct vma *v)
{
    vnode_put(v->vn);
}

const struct region_ops fshared_ops = {
    .name = "fshared",
    .private = false,
    .fault = fshared_fault,
    .retain = fshared_retain,
    .release = fshared_release,
    .sync = fshared_sync,
    .around = fshared_around,
};
