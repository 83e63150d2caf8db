/* Anonymous shared memory (MAP_ANONYMOUS|MAP_SHARED): the pages belong to an
   object that every region mapping it (after fork too) names, so a write is seen
   by all. Its pages may go to swap (evict.c): the object's page list then
   names the slot, and the next fault on any region brings the page back. */
#include "vm.h"

/* A new object of npages zero-filled-on-demand pages, with no region yet. */
struct memobj *shared_obj(uint64_t npages)
{
    struct memobj *o = pmalloc(sizeof *o);
    if (!o)
        return NULL;
    o->npages = npages;
    o->pages = meta_alloc(npages * sizeof(uint64_t));
    if (!o->pages) {
        pfree(o);
        return NULL;
    }
    return o;
}

/* shared_obj for MAP_SHARED|MAP_ANONYMOUS memory, numbered for eviction.
   NULL when there is no memory or no free number. */
struct memobj *shared_anon(uint64_t npages)
{
    struct memobj *o = shared_obj(npages);
    if (o && evict_obj_add(o) < 0) {
        memobj_free(o);
        return NULL;
    }
    return o;
}

static int shared_fault(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                        struct vm_wait *w)
{
    (void)access;
    struct memobj *o = v->obj;
    if (!(*e & SPTE_PRESENT)) {
        uint64_t idx = v->pgoff + (va - v->node.start) / PAGE;
        if (idx >= o->npages)
            return -EFAULT;
        if (o->pages[idx] & SPTE_SWAP) {
            int r = swap_fault_obj(o, idx, v->flags & VMA_PINNED, w);
            if (r < 0)
                return r; /* -EAGAIN: being read (*w says which) */
        }
        if (!o->pages[idx]) {
            uint64_t f = vma_frame(v);
            if (!f)
                return -ENOMEM;
            o->pages[idx] = f; /* the object's reference */
            if (o->id)
                frame_track_obj(f, o->id, idx, !(v->flags & VMA_PINNED));
            cnt.zero_fill++;
        }
        frame_ref(o->pages[idx]); /* this mapping's reference */
        *e = o->pages[idx] | SPTE_PRESENT;
    }
    *pa = SPTE_PA(*e);
    *perms = v->prot | PERM_R;
    return 0;
}

static void shared_retain(struct vma *v)
{
    v->obj->refs++;
}

/* Free object o and drop the references its pages hold. */
void memobj_free(struct memobj *o)
{
    evict_obj_forget(o);
    for (uint64_t i = 0; i < o->npages; i++) {
        if (o->pages[i] & SPTE_SWAP)
            slot_put(SPTE_SLOT(o->pages[i]));
        else if (o->pages[i])
            frame_unref(o->pages[i]);
    }
    meta_free(o->pages, o->npages * sizeof(uint64_t));
    commit_uncharge(o->charged);
    pfree(o);
}

static void shared_release(struct vma *v)
{
    struct memobj *o = v->obj;
    if (--o->refs == 0)
        memobj_free(o);
}

const struct region_ops shared_ops = {
    .name = "shared",
    .private = false,
    .fault = shared_fault,
    .retain = shared_retain,
    .release = shared_release,
};
