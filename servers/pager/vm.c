/* Address spaces as the pager keeps them: regions (VMAs) in a balanced tree and a
   shadow page table recording which frame backs each page. The kernel's page
   tables only ever hold what this says; every change goes through map, unmap,
   protect and pt_copy. */
#include "vm.h"

#define VMA(n) ((struct vma *)(n)) /* node is the first member */

static void *node_alloc(void *ctx)
{
    (void)ctx;
    return meta_alloc(PAGE);
}

static void node_free(void *ctx, void *node)
{
    (void)ctx;
    meta_free(node, PAGE);
}

static const struct shadow_ops shadow_ops = { node_alloc, node_free, NULL };

/* ---- commitments ---- */

static uint64_t committed; /* the sum of every region's charge, plus shared anonymous objects' */

uint64_t commit_limit(void)
{
    return bootinfo->pool_pages + swap_slots();
}

uint64_t commit_total(void)
{
    return committed;
}

int commit_charge(uint64_t pages)
{
    if (the_policy->strict && committed + pages > commit_limit())
        return -ENOMEM;
    committed += pages;
    return 0;
}

void commit_uncharge(uint64_t pages)
{
    if (pages > committed)
        pager_panic("commit_uncharge: more than was charged");
    committed -= pages;
}

/* What region v promises: its pages when it is private and writable (each
   may need a frame of its own), else nothing. */
static uint64_t vma_charge(const struct vma *v)
{
    return v->ops->private && (v->prot & PERM_W) ? (v->node.end - v->node.start) / PAGE : 0;
}

int vm_create(struct vmspace *vs, bool pinned, uint8_t id)
{
    memset(vs, 0, sizeof *vs);
    vs->pinned = pinned;
    vs->id = id;
    vt_init(&vs->vmas);
    if (shadow_init(&vs->shadow, &shadow_ops) < 0)
        return -ENOMEM;
    vs->as_slot = sys_as_create(BOOT_MEM_SLOT);
    if (vs->as_slot < 0) {
        shadow_destroy(&vs->shadow, NULL, NULL);
        return (int)vs->as_slot;
    }
    sys_as_limit(vs->as_slot, PT_QUOTA);
    return 0;
}

static void drop_run(void *arg, uint64_t va, spte_t *e, spte_t *unused, unsigned n)
{
    (void)arg; (void)va; (void)unused;
    frames_unref_run(e, n);
}

static void vma_free(struct vma *v)
{
    commit_uncharge(vma_charge(v));
    if (v->ops->release)
        v->ops->release(v);
    pfree(v);
}

/* Let every region of [start, end) that has a sync method hand its dirty
   pages to their files (before the kernel's dirty bits go with the mapping). */
static void sync_range(struct vmspace *vs, uint64_t start, uint64_t end)
{
    for (struct vma_node *n = vt_first_at_or_after(&vs->vmas, start); n && n->start < end; n = vt_next(n)) {
        struct vma *v = VMA(n);
        if (v->ops->sync)
            v->ops->sync(vs, v, n->start > start ? n->start : start, n->end < end ? n->end : end);
    }
}

void vm_destroy(struct vmspace *vs)
{
    if (vs->as_slot > 0 && vs->shadow.root)
        sync_range(vs, 0, USER_LIMIT); /* exit and exec write back shared file pages */
    if (vs->as_slot > 0)
        sys_as_destroy(vs->as_slot);
    vs->as_slot = 0;
    struct vma_node *n;
    while ((n = vt_first(&vs->vmas)) != NULL) {
        vs->hint = NULL;
        vt_remove(&vs->vmas, n);
        vma_free(VMA(n));
    }
    if (vs->shadow.root) {
        shadow_walk_runs(&vs->shadow, 0, USER_LIMIT, drop_run, NULL);
        shadow_destroy(&vs->shadow, NULL, NULL);
    }
    vs->shadow.root = NULL;
}

/* A copy of region t (any kind) in vs: fork, and file regions. NULL when out
   of memory, or vs has MAX_REGIONS regions already, or a strict policy cannot
   promise its pages. */
static struct vma *vma_insert_copy(struct vmspace *vs, const struct vma *t)
{
    struct vma *v = vs->vmas.count < MAX_REGIONS ? pmalloc(sizeof *v) : NULL;
    if (!v)
        return NULL;
    *v = *t;
    v->node = (struct vma_node){ .start = t->node.start, .end = t->node.end };
    v->flags = vs->pinned ? v->flags | VMA_PINNED : v->flags & ~VMA_PINNED;
    v->space = vs->id;
    if (commit_charge(vma_charge(v)) < 0) {
        pfree(v);
        return NULL;
    }
    if (vt_insert(&vs->vmas, &v->node) < 0) {
        commit_uncharge(vma_charge(v));
        pfree(v);
        return NULL;
    }
    if (v->ops->retain)
        v->ops->retain(v);
    return v;
}

/* A new region [start, end) (page aligned, free). NULL when out of memory or regions. */
struct vma *vm_add(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot,
                   const struct region_ops *ops, struct memobj *obj, uint64_t pgoff, uint32_t flags)
{
    struct vma t = { .node = { .start = start, .end = end }, .prot = prot, .flags = flags, .ops = ops,
                     .obj = obj, .pgoff = pgoff };
    return vma_insert_copy(vs, &t);
}

/* A file region [start, end) of kind ops (file_ops: private, fshared_ops:
   shared) showing file pages from pgoff on, with zeros past byte file_end of
   the file. NULL when out of memory. */
struct vma *vm_add_file(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot,
                        const struct region_ops *ops, struct vnode *vn, uint64_t pgoff, uint64_t file_end,
                        uint32_t flags)
{
    struct vma t = { .node = { .start = start, .end = end }, .prot = prot, .ops = ops, .pgoff = pgoff,
                     .vn = vn, .file_end = file_end, .flags = flags };
    return vma_insert_copy(vs, &t);
}

/* Split v at addr (inside it): v keeps [start, addr), the new region gets
   [addr, end). Returns the new region or NULL when out of memory or regions. */
static struct vma *vma_split(struct vmspace *vs, struct vma *v, uint64_t addr)
{
    struct vma *n = vs->vmas.count < MAX_REGIONS ? pmalloc(sizeof *n) : NULL;
    if (!n)
        return NULL;
    *n = *v;
    n->node.start = addr;
    n->pgoff = v->pgoff + (addr - v->node.start) / PAGE;
    vt_resize(&vs->vmas, &v->node, v->node.start, addr);
    if (vt_insert(&vs->vmas, &n->node) < 0)
        pager_panic("vma_split: tree refused a split half");
    if (n->ops->retain)
        n->ops->retain(n);
    return n;
}

/* Merge v with its right neighbour when they are the same kind of region and continue each other. */
static void vma_merge_next(struct vmspace *vs, struct vma *v)
{
    struct vma_node *nn = vt_next(&v->node);
    if (!nn)
        return;
    struct vma *n = VMA(nn);
    if (n->node.start != v->node.end || n->ops != v->ops || n->prot != v->prot || n->flags != v->flags ||
        n->obj != v->obj || n->vn != v->vn || n->file_end != v->file_end ||
        ((v->obj || v->vn) && n->pgoff != v->pgoff + (v->node.end - v->node.start) / PAGE))
        return;
    uint64_t end = n->node.end, charge = vma_charge(n);
    vs->hint = NULL;
    vt_remove(&vs->vmas, nn);
    vma_free(n);
    vt_resize(&vs->vmas, &v->node, v->node.start, end);
    committed += charge; /* v took n's pages, and their promise */
}

/* Make region boundaries fall on start and end. Returns 0 or -ENOMEM. */
static int split_at(struct vmspace *vs, uint64_t start, uint64_t end)
{
    struct vma_node *n = vt_find(&vs->vmas, start);
    if (n && n->start < start && !vma_split(vs, VMA(n), start))
        return -ENOMEM;
    n = vt_find(&vs->vmas, end - 1);
    if (n && n->end > end && !vma_split(vs, VMA(n), end))
        return -ENOMEM;
    return 0;
}

/* Remove every region and page in [start, end). Returns 0 or -ENOMEM (a split failed). */
int vm_unmap(struct vmspace *vs, uint64_t start, uint64_t end)
{
    if (split_at(vs, start, end) < 0)
        return -ENOMEM;
    sync_range(vs, start, end);
    struct vma_node *n = vt_first_at_or_after(&vs->vmas, start);
    while (n && n->start < end) {
        struct vma_node *next = vt_next(n);
        vs->hint = NULL;
        vt_remove(&vs->vmas, n);
        vma_free(VMA(n));
        n = next;
    }
    sys_unmap(vs->as_slot, (long)start, (long)((end - start) / PAGE)); /* out of the page table before they are free */
    shadow_walk_runs(&vs->shadow, start, end, drop_run, NULL);
    shadow_prune(&vs->shadow, start, end);
    return 0;
}

/* Whether regions cover [start, end) without holes; -ENOMEM otherwise (as
   POSIX says for mprotect and msync), -EACCES when `write` and a region may
   not be written (a shared mapping of a read-only file). */
static int covered(struct vmspace *vs, uint64_t start, uint64_t end, bool write)
{
    uint64_t a = start;
    for (struct vma_node *n = vt_find(&vs->vmas, start); a < end; n = vt_next(n)) {
        if (!n || n->start > a)
            return -ENOMEM;
        if (write && (VMA(n)->flags & VMA_NOWRITE))
            return -EACCES;
        a = n->end;
    }
    return 0;
}

/* Take every region's pages out of the kernel's page table, keeping them
   here: each next touch faults and the page is mapped again as it was.
   Shared file regions hand their dirty pages to the file first. */
void vm_dropmaps(struct vmspace *vs)
{
    sync_range(vs, 0, USER_LIMIT);
    for (struct vma_node *n = vt_first(&vs->vmas); n; n = vt_next(n))
        sys_unmap(vs->as_slot, (long)n->start, (long)((n->end - n->start) / PAGE));
}

/* File vn is cut to `from` pages: take its pages from index `from` on out of
   every mmap region of vs that shows vn (VMA_EOF; shared, and private ones
   with their copy-on-write copies too), from the shadow table and the
   kernel's page table, so the next touch faults again (a bus error while the
   page is past the end). Program regions keep what they have. */
void vm_drop_file(struct vmspace *vs, struct vnode *vn, uint64_t from)
{
    for (struct vma_node *n = vt_first(&vs->vmas); n; n = vt_next(n)) {
        struct vma *v = VMA(n);
        uint64_t npages = (n->end - n->start) / PAGE;
        if (v->vn != vn || !(v->flags & VMA_EOF) || from >= v->pgoff + npages)
            continue;
        uint64_t start = from > v->pgoff ? n->start + (from - v->pgoff) * PAGE : n->start;
        sys_unmap(vs->as_slot, (long)start, (long)((n->end - start) / PAGE)); /* before the frames are free */
        shadow_walk_runs(&vs->shadow, start, n->end, drop_run, NULL);
        shadow_prune(&vs->shadow, start, n->end);
    }
}

/* msync: hand the dirty pages of shared file regions in [start, end) to their
   files. Returns 0 or -ENOMEM (part of the range is not mapped). */
int vm_sync(struct vmspace *vs, uint64_t start, uint64_t end)
{
    int r = covered(vs, start, end, false);
    if (r == 0)
        sync_range(vs, start, end);
    return r;
}

/* Change the rights of [start, end), which must be covered by regions without
   holes (-ENOMEM otherwise, -EACCES for write to a read-only file's shared
   mapping). Rights that are taken away go at once; write rights come back
   through write faults. */
int vm_protect(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot)
{
    int c = covered(vs, start, end, prot & PERM_W);
    if (c < 0)
        return c;
    uint64_t more = 0; /* pages that become writable and private: promised now */
    for (struct vma_node *n = vt_find(&vs->vmas, start); n && n->start < end; n = vt_next(n))
        if (VMA(n)->ops->private && (prot & PERM_W) && !(VMA(n)->prot & PERM_W))
            more += ((n->end < end ? n->end : end) - (n->start > start ? n->start : start)) / PAGE;
    if (commit_charge(more) < 0)
        return -ENOMEM;
    commit_uncharge(more);
    if (split_at(vs, start, end) < 0)
        return -ENOMEM;
    sync_range(vs, start, end); /* an unmap below would lose the dirty bits */
    for (struct vma_node *n = vt_find(&vs->vmas, start); n && n->start < end; n = vt_next(n)) {
        commit_uncharge(vma_charge(VMA(n)));
        VMA(n)->prot = prot;
        committed += vma_charge(VMA(n)); /* checked above */
    }
    long npages = (long)((end - start) / PAGE);
    if ((prot & (PERM_R | PERM_X)) == 0)
        sys_unmap(vs->as_slot, (long)start, npages);
    else
        sys_protect(vs->as_slot, (long)start, npages, (prot & ~PERM_W) | PERM_R);
    /* merge what became alike, from the region before start to the one after end */
    struct vma_node *n = vt_find(&vs->vmas, start), *p = vt_prev(n);
    if (p && p->end == n->start)
        n = p;
    while (n && n->start < end) {
        uint64_t old_end = n->end;
        vma_merge_next(vs, VMA(n));
        if (n->end == old_end)
            n = vt_next(n);
    }
    return 0;
}

/* ---- the fault path ---- */

static bool access_ok(uint32_t prot, int access)
{
    if (access == FAULT_WRITE)
        return prot & PERM_W;
    if (access == FAULT_EXEC)
        return prot & PERM_X;
    return prot & (PERM_R | PERM_W);
}

/* A fresh frame for page va of v, zeroed (src 0) or a copy of src, and
   tracked for eviction: *e names it. Returns 0 or -ENOMEM. Out of line:
   the paths that need no frame stay leaf functions. */
static int __attribute__((noinline)) new_frame(const struct vma *v, uint64_t va, uint64_t src, spte_t *e, uint64_t *pa)
{
    uint64_t f = src ? vma_frame_copy(v, src) : vma_frame(v);
    if (!f)
        return -ENOMEM;
    frame_track(f, va, !(v->flags & VMA_PINNED), v->space);
    if (src)
        frame_unref(src);
    *e = f | SPTE_PRESENT;
    *pa = f;
    return 0;
}

/* An untouched page (or one showing the zero page): reads get the shared zero
   page, read-only; a write gets a fresh zeroed frame. */
int zero_resolve(const struct vma *v, uint64_t va, spte_t *e, int access, uint64_t *pa, uint32_t *perms)
{
    uint32_t prot = v->prot;
    if (access != FAULT_WRITE) {
        *e = zero_page() | SPTE_ZERO;
        *pa = zero_page();
        *perms = (prot & ~PERM_W) | PERM_R;
        cnt.zero_page++;
        return 0;
    }
    *perms = prot | PERM_R;
    int r = new_frame(v, va, 0, e, pa);
    cnt.zero_fill += r == 0;
    return r;
}

/* cow_resolve's copy (others still use f): 0 or -ENOMEM. Out of line, so
   that reusing the last reference needs no stack frame. */
static int __attribute__((noinline)) cow_copy(const struct vma *v, uint64_t va, uint64_t f, spte_t *e, uint64_t *pa)
{
    int r = new_frame(v, va, f, e, pa);
    cnt.cow_copy += r == 0;
    return r;
}

/* A private page that has a frame. Copy-on-write pages are mapped read-only
   until written; the write copies the frame if others still use it and just
   takes it over when this is the last reference. */
int cow_resolve(const struct vma *v, uint64_t va, spte_t *e, int access, uint64_t *pa, uint32_t *perms)
{
    uint64_t f = SPTE_PA(*e);
    *pa = f;
    *perms = v->prot | PERM_R;
    if (!(*e & SPTE_COW))
        return 0;
    if (access != FAULT_WRITE) {
        *perms &= ~PERM_W;
        return 0;
    }
    if (__builtin_expect(frame_refs_of(f) != 1, 0))
        return cow_copy(v, va, f, e, pa);
    *e &= ~(spte_t)SPTE_COW;
    cnt.cow_reuse++;
    return 0;
}

/* Out of frames for a user page: reclaim, and try once more when that
   freed some at once. Returns true to try again; else *r stays -ENOMEM
   (nothing can come back) or becomes -EAGAIN with *w WAIT_MEM (evictions
   are under way). */
static bool __attribute__((noinline, cold)) short_of_frames(struct vmspace *vs, int *r, struct vm_wait *w)
{
    bool coming = vm_reclaim();
    if (vs->pinned ? frames_free() > 0 : frames_free() > frames_high() / 3)
        return true;
    if (coming) {
        *w = (struct vm_wait){ NULL, WAIT_MEM };
        *r = -EAGAIN;
    }
    return false;
}

/* vm_resolve of a page on the swap disk: its frame from the swap cache
   (then resolved as any page with a frame), or -EAGAIN while it is read. */
static int __attribute__((noinline, cold)) swapped_resolve(struct vmspace *vs, uint64_t va, int access, uint64_t *pa,
                                                           uint32_t *perms, struct vm_wait *w)
{
    uint64_t *outer = swapin_meter_start();
    spte_t *slot = shadow_lookup(&vs->shadow, va);
    int r = swap_fault(vs, va, slot, w); /* the entry holds the frame now, the slot one reference less */
    r = r < 0 ? r : vm_resolve(vs, va, access, pa, perms, w);
    swapin_meter_stop(outer);
    return r;
}

/* The fixed fault order: find the region, check the access, bring a
   swapped page back, let the region's kind resolve the page. One try: out
   of frames it says -ENOMEM (vm_resolve_wait reclaims). */
int vm_resolve(struct vmspace *vs, uint64_t va, int access, uint64_t *pa, uint32_t *perms, struct vm_wait *w)
{
    struct vma_node *n = vs->hint;
    if (!n || va < n->start || va >= n->end)
        vs->hint = n = vt_find(&vs->vmas, va);
    if (!n || !access_ok(VMA(n)->prot, access))
        return -EFAULT;
    /* The kind works on a copy of the entry. Only entries that hold a frame
       (or a swap slot) are stored, so reading untouched memory costs no
       bookkeeping either. */
    va = PG_ROUNDDOWN(va);
    spte_t *slot = shadow_lookup(&vs->shadow, va);
    spte_t old = slot ? *slot : 0, e = old;
    struct vma *v = VMA(n);
    if (__builtin_expect(old & SPTE_SWAP, 0))
        return swapped_resolve(vs, va, access, pa, perms, w);
    int r = v->ops->fault(v, va, access, &e, pa, perms, w);
    if (e == old)
        return r;
    if (!(e & SPTE_PRESENT))
        e = 0;
    if (!slot && e && !(slot = shadow_slot(&vs->shadow, va))) {
        frame_unref(SPTE_PA(e)); /* a frame the kind just took for this entry */
        return -ENOMEM;
    }
    if (slot)
        *slot = e; /* even when r < 0: a reference the kind took is the entry's */
    return r;
}

/* Returns as vm_resolve, but out of frames it reclaims and tries once more
   (the entry is looked up again: reclaim may have evicted it), or says
   -EAGAIN with *w WAIT_MEM while evictions are under way. */
int vm_resolve_wait(struct vmspace *vs, uint64_t va, int access, uint64_t *pa, uint32_t *perms, struct vm_wait *w)
{
    int r = vm_resolve(vs, va, access, pa, perms, w);
    if (__builtin_expect(r == -ENOMEM, 0) && short_of_frames(vs, &r, w))
        r = vm_resolve(vs, va, access, pa, perms, w);
    return r;
}

/* The end of fault-around's run after a fault at va (page aligned) in n:
   at most `want` pages, not past n, nor past the 2 MiB that va's last-level
   page table covers (the run then needs no table the answer does not). */
static uint64_t around_end(const struct vma_node *n, uint64_t va, unsigned want)
{
    uint64_t end = (va | ((PAGE << 9) - 1)) + 1;
    if (want > MAP_BATCH_MAX)
        want = MAP_BATCH_MAX;
    if (end > va + PAGE + (uint64_t)want * PAGE)
        end = va + PAGE + (uint64_t)want * PAGE;
    return end < n->end ? end : n->end;
}

unsigned vm_fault_around(struct vmspace *vs, uint64_t va, unsigned want)
{
    struct vma_node *n = vs->hint;
    va = PG_ROUNDDOWN(va);
    if (!n || va < n->start || va >= n->end || !VMA(n)->ops->around)
        return 0;
    struct vma *v = VMA(n);
    uint64_t pas[MAP_BATCH_MAX], end = around_end(n, va, want);
    uint32_t perms = 0;
    unsigned k = 0;
    for (uint64_t a = va + PAGE; a < end; a += PAGE, k++) {
        spte_t *slot = shadow_lookup(&vs->shadow, a), e;
        uint32_t p;
        if (slot && *slot) /* the kernel may map it, maybe writable or dirty: never overwritten */
            break;
        if (!slot && !(slot = shadow_slot(&vs->shadow, a)))
            break;
        if (v->ops->around(v, a, &e, &pas[k], &p) < 0)
            break;
        if (k && p != perms) { /* one map_batch maps with one set of rights */
            frame_unref(SPTE_PA(e));
            break;
        }
        perms = p;
        *slot = e;
    }
    long done = k ? sys_map_batch(BOOT_MEM_SLOT, vs->as_slot, (long)(va + PAGE), (long)pas, (long)k, perms) : 0;
    if (done < 0)
        done = 0;
    for (unsigned i = (unsigned)done; i < k; i++) { /* not mapped: the entries go, and their references */
        spte_t *slot = shadow_lookup(&vs->shadow, va + PAGE + (uint64_t)i * PAGE);
        frame_unref(SPTE_PA(*slot));
        *slot = 0;
    }
    cnt.fault_around += (uint64_t)done;
    return (unsigned)done;
}

/* How an eager policy touches a page of region v: a write for anonymous
   memory (so it gets its frame now), a read for the rest (a write would
   copy or dirty file pages for nothing); -1 for PROT_NONE. */
static int eager_access(const struct vma *v)
{
    if ((v->ops == &anon_ops || v->ops == &shared_ops) && (v->prot & PERM_W))
        return (int)FAULT_WRITE;
    return v->prot & (PERM_R | PERM_W) ? (int)FAULT_READ : v->prot & PERM_X ? (int)FAULT_EXEC : -1;
}

/* Map the run of n eager pages from va (frames pas, rights perms) with one
   map_batch. Only the pages whose entries still name their frames are
   mapped (the resolves after a page's may have reclaimed and evicted it);
   the zero page is never evicted. Returns false when not every page could
   be mapped (the rest come with their faults). */
static bool populate_run(struct vmspace *vs, uint64_t va, const uint64_t *pas, unsigned n, uint32_t perms)
{
    unsigned k = 0;
    for (; k < n; k++) {
        spte_t *e = shadow_lookup(&vs->shadow, va + (uint64_t)k * PAGE);
        bool zero = pas[k] == zero_page() && (!e || !*e || (*e & SPTE_ZERO));
        if (!zero && !(e && (*e & SPTE_PRESENT) && SPTE_PA(*e) == pas[k]))
            break;
    }
    long done = k ? sys_map_batch(BOOT_MEM_SLOT, vs->as_slot, (long)va, (long)pas, (long)k, perms) : 0;
    return done == (long)n;
}

void vm_populate(struct vmspace *vs, uint64_t start, uint64_t end)
{
    uint64_t done = 0, pas[MAP_BATCH_MAX], run_va = 0;
    uint32_t run_perms = 0;
    unsigned run = 0;
    bool stop = false;
    for (struct vma_node *n = vt_first_at_or_after(&vs->vmas, start); n && n->start < end && !stop; n = vt_next(n)) {
        int access = eager_access(VMA(n));
        for (uint64_t va = n->start > start ? n->start : start; access >= 0 && va < n->end && va < end; va += PAGE) {
            uint64_t pa;
            uint32_t perms;
            struct vm_wait w = { NULL, WAIT_NOIO };
            int r = done++ == EAGER_PAGES ? -ENOMEM : vm_resolve_wait(vs, va, access, &pa, &perms, &w);
            stop = r == -ENOMEM || (r == -EAGAIN && w.idx == WAIT_MEM);
            if (r == -EAGAIN && !w.v && w.idx == WAIT_NOIO) /* a file page not read yet: it comes with its fault */
                continue;
            if (r < 0)
                break;
            if (run && (perms != run_perms || va != run_va + (uint64_t)run * PAGE || run == MAP_BATCH_MAX)) {
                if (!populate_run(vs, run_va, pas, run, run_perms))
                    return;
                run = 0;
            }
            if (!run) {
                run_va = va;
                run_perms = perms;
            }
            pas[run++] = pa;
        }
    }
    if (run)
        populate_run(vs, run_va, pas, run, run_perms);
}

/* ---- fork ---- */

struct fork_arg { bool private; uint64_t pages; };

static void fork_run(void *arg, uint64_t va, spte_t *se, spte_t *de, unsigned n)
{
    (void)va;
    struct fork_arg *fa = arg;
    fa->pages += frames_ref_run(se, de, n, fa->private);
}

/* child gets parent's regions; private pages become copy-on-write in both,
   shared ones stay shared. No page is copied. Returns 0 or -ENOMEM. */
int vm_fork(struct vmspace *child, struct vmspace *parent)
{
    child->brk_base = parent->brk_base;
    child->brk = parent->brk;
    for (struct vma_node *n = vt_first(&parent->vmas); n; n = vt_next(n)) {
        struct vma *v = VMA(n);
        if (!vma_insert_copy(child, v))
            return -ENOMEM;
        struct fork_arg fa = { v->ops->private, 0 };
        if (shadow_copy_runs(&child->shadow, &parent->shadow, n->start, n->end, fork_run, &fa) < 0)
            return -ENOMEM;
        cnt.fork_pages += fa.pages;
        long r = sys_pt_copy(parent->as_slot, child->as_slot, (long)n->start,
                             (long)((n->end - n->start) / PAGE), v->ops->private ? COPY_WP : 0);
        if (r < 0)
            return (int)r;
    }
    return 0;
}

/* ---- copying to and from process memory, through the same path as faults ---- */

/* Where the pager sees process address uva for access, and how many bytes of
   that page follow it. A write breaks copy-on-write (or allocates) and maps the
   new frame into the process too. Returns 0, -EFAULT, -ENOMEM or -EAGAIN (a
   file page not read yet: rq, if any, says which and that it waited). */
static int user_chunk(struct req *rq, struct vmspace *vs, uint64_t uva, int access, char **ptr, size_t *avail)
{
    uint64_t pa;
    uint32_t perms;
    struct vm_wait unused = { 0 };
    if (uva >= USER_LIMIT)
        return -EFAULT;
    int r = vm_resolve_wait(vs, uva, access, &pa, &perms, rq ? &rq->wait : &unused);
    if (r == -EAGAIN && rq)
        rq->waited = true;
    if (r < 0)
        return r;
    if (access == FAULT_WRITE)
        sys_map(BOOT_MEM_SLOT, vs->as_slot, (long)PG_ROUNDDOWN(uva), (long)pa, perms);
    *ptr = (char *)frame_ptr(pa) + (uva & (PAGE - 1));
    *avail = PAGE - (uva & (PAGE - 1));
    return 0;
}

int copy_in(struct req *rq, struct vmspace *vs, void *dst, uint64_t uva, size_t n)
{
    char *d = dst, *p;
    size_t chunk;
    while (n) {
        int r = user_chunk(rq, vs, uva, FAULT_READ, &p, &chunk);
        if (r < 0)
            return r;
        if (chunk > n)
            chunk = n;
        memcpy(d, p, chunk);
        d += chunk;
        uva += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_out(struct req *rq, struct vmspace *vs, uint64_t uva, const void *src, size_t n)
{
    const char *s = src;
    char *p;
    size_t chunk;
    while (n) {
        int r = user_chunk(rq, vs, uva, FAULT_WRITE, &p, &chunk);
        if (r < 0)
            return r;
        if (chunk > n)
            chunk = n;
        memcpy(p, s, chunk);
        s += chunk;
        uva += chunk;
        n -= chunk;
    }
    return 0;
}

/* Make sure no page of [uva, uva + n) (at most the first 64 KiB) waits for
   the file server, asking for those that do: a request that must not fail
   half-way later (a blocked pipe or console read or write, a reply that
   copies when a job is done) calls this first. Returns 0, or -EAGAIN with
   rq->waited and rq->wait set. Other errors are left to the copy itself. */
int user_probe(struct req *rq, struct vmspace *vs, uint64_t uva, size_t n)
{
    if (n > 65536)
        n = 65536;
    for (uint64_t a = PG_ROUNDDOWN(uva); a < uva + n && a < USER_LIMIT; a += PAGE) {
        uint64_t pa;
        uint32_t perms;
        if (vm_resolve_wait(vs, a, FAULT_READ, &pa, &perms, &rq->wait) == -EAGAIN) {
            rq->waited = true;
            return -EAGAIN;
        }
    }
    return 0;
}

/* A NUL-terminated string of at most max bytes (with the NUL). Returns its length. */
int copy_in_str(struct req *rq, struct vmspace *vs, char *dst, uint64_t uva, size_t max)
{
    size_t i = 0;
    while (i < max) {
        char *p;
        size_t chunk;
        int r = user_chunk(rq, vs, uva + i, FAULT_READ, &p, &chunk);
        if (r < 0)
            return r;
        for (size_t k = 0; k < chunk && i < max; k++, i++) {
            dst[i] = p[k];
            if (!p[k])
                return (int)i;
        }
    }
    return -ENAMETOOLONG;
}
