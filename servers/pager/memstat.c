/* The census behind vmstat: every frame of the pool is free, used (it has a
   reference) or bookkeeping (meta_alloc, the fixed tables at the front), and
   each used frame is put in one category by what holds it, looked for in this
   order: the zero page, the page caches of the files processes have open or
   mapped, boot-archive programs and shared objects mapped by processes, the file server's page table,
   other processes' page tables. What is left holds a reference nobody here
   names: the file layer's dirty pages and pages under I/O. A bitmap (one bit
   a frame, from the bookkeeping pool for the time of the count) makes every
   frame and every page list count once. */
#include "vfs.h"

struct census {
    uint64_t *seen;              /* bit i: frame i of the pool is counted */
    struct vmstat *st;
};

/* Mark pool frame idx. Returns true when it was not marked yet. */
static bool mark(struct census *c, uint64_t idx)
{
    if (idx >= bootinfo->pool_pages || (c->seen[idx / 64] >> (idx % 64) & 1))
        return false;
    c->seen[idx / 64] |= 1UL << (idx % 64);
    return true;
}

static bool mark_pa(struct census *c, uint64_t pa)
{
    return pa >= bootinfo->pool_base && mark(c, (pa - bootinfo->pool_base) / PAGE);
}

/* A meta_alloc block of `bytes` at p: counted once as tables. */
static void count_table(struct census *c, const void *p, size_t bytes)
{
    if (p && mark(c, ((uint64_t)p - PAGER_WINDOW) / PAGE))
        c->st->meta_tables += meta_pages(bytes);
}

/* The frames of object o not counted yet go to *n; its page list to tables. */
static void count_obj(struct census *c, const struct memobj *o, uint64_t *n)
{
    count_table(c, o->pages, o->npages * sizeof(uint64_t));
    for (uint64_t i = 0; i < o->npages; i++)
        if (o->pages[i] && !(o->pages[i] & SPTE_SWAP) && mark_pa(c, o->pages[i]))
            (*n)++;
}

static void count_vnode(struct census *c, const struct vnode *v)
{
    if (!v->cache)
        return;
    count_obj(c, v->cache, &c->st->used_cache);
    count_table(c, v->dirty, v->cache->npages);
}

static void count_idle(void *arg, struct vnode *v)
{
    count_vnode(arg, v);
}

/* Page caches and objects that p's regions and descriptors name. */
static void count_holders(struct census *c, struct proc *p)
{
    for (struct vma_node *n = vt_first(&p->vm.vmas); n; n = vt_next(n)) {
        struct vma *v = (struct vma *)n;
        if (v->vn)
            count_vnode(c, v->vn);
        else if (v->obj)
            count_obj(c, v->obj, v->ops == &image_ops ? &c->st->used_image : &c->st->used_object);
    }
    for (long fd = 0; fd < NFD; fd++) {
        long flags, err;
        struct vnode *v = fd_vnode(p, fd, &flags, &err);
        if (v)
            count_vnode(c, v);
    }
}

struct walk { struct census *c; uint64_t *n; };

static void count_swc(void *arg, uint64_t pa)
{
    struct walk *w = arg;
    if (mark_pa(w->c, pa))
        (*w->n)++;
}

static void count_entry(void *arg, uint64_t va, spte_t *e)
{
    (void)va;
    struct walk *w = arg;
    if ((*e & SPTE_PRESENT) && !(*e & SPTE_ZERO) && mark_pa(w->c, SPTE_PA(*e)))
        (*w->n)++;
}

/* Fill the frame counters of *st (the fault counters are the caller's).
   Returns 0, or -ENOMEM when there is no room for the bitmap. */
long frames_census(struct vmstat *st)
{
    struct frame_stats fs;
    frames_stats(&fs);
    size_t bytes = (bootinfo->pool_pages + 63) / 64 * 8;
    struct census c = { meta_alloc(bytes), st };
    if (!c.seen)
        return -ENOMEM;
    st->frames_free = fs.free;
    st->frames_total = fs.total;
    st->frames_used = fs.used;
    st->frames_shared = fs.shared;
    st->meta_total = fs.fixed + fs.meta;
    st->meta_fixed = fs.fixed + evict_tables();
    st->meta_heap = fs.heap;
    st->frames_lost = fs.total - fs.free - fs.used - fs.fixed - fs.meta;
    st->used_zero = mark_pa(&c, zero_page());
    uint64_t sw[2];
    swap_frames(sw);
    for (int i = 0; i < 2; i++)
        if (sw[i] && mark_pa(&c, sw[i]))
            st->used_fs++;
    struct walk sw_walk = { &c, &st->used_swap }; /* before the page tables: they may name these too */
    swc_frames(count_swc, &sw_walk);
    for (struct proc *p = proc_first(); p; p = proc_next(p))
        if (p->state == P_RUN)
            count_holders(&c, p);
    st->cache_idle = vfs_idle_pages(&st->meta_idle);
    vfs_each_idle(count_idle, &c); /* programs kept for the next exec: cache too */
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if (p->state != P_RUN)
            continue;
        struct walk w = { &c, p->server ? &st->used_fs : &st->used_private };
        shadow_walk(&p->vm.shadow, 0, SHADOW_VA_LIMIT, count_entry, &w);
        st->meta_shadow += p->vm.shadow.nodes;
    }
    uint64_t named = st->used_zero + st->used_cache + st->used_image + st->used_object + st->used_fs + st->used_private +
                     st->used_swap;
    st->used_io = fs.used - named;
    st->meta_other = fs.meta - fs.heap - st->meta_shadow - st->meta_tables - evict_tables();
    meta_free(c.seen, bytes);
    return 0;
}
