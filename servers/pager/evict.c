/* Eviction and swap-in: the mechanism under every policy. The policy sees
   the private frames of user tasks (frame_track) and names victims; this
   file finds every shadow entry that maps a victim, takes it out of every
   page table, points the entries at a swap slot and writes the frame out.
   A fault on a swapped page reads it back; the fault waits (parked) while
   the read is under way, never the pager.

   The reverse map (rmap.c, over the address spaces the loop's hooks
   list): a private frame backs one virtual page (frame_va), and only
   address spaces of one fork family map it, all at that page, so its
   mappings are the entries at that address that name it. A frame whose
   entries do not account for every reference is busy (something else
   holds it) and is not evicted. A page of a shared anonymous object is
   found through its object: the regions that name the object map page i
   at their own addresses (one each), and the object's page list holds one
   more reference. Its mappings are cleared (a fault asks the object again)
   and the object's page list names the slot. */
#include "vm.h"
#include "rmap.h"

#define WRITES_MAX 48            /* evictions under way at once (the swap queue holds 64 jobs) */
#define TRIES_MAX 256            /* victims looked at by one reclaim */
#define STUCK_MAX 16             /* ... or this many in a row that cannot go (swap full or absent) */
#define REST 64                  /* vm_reclaim_idle: passes skipped after one that did nothing */
#define OBJ_MAX 1024             /* shared anonymous objects whose pages may be evicted */

static struct evict_hooks hooks;
static unsigned writing;         /* writes under way */
static uint64_t *metered;        /* the counter of the piece of paging work under way, or NULL */
static uint64_t meter_t0;        /* since when it counts */
static uint64_t meter_ovh;       /* what one reading costs, taken off each piece */
static struct memobj *objs[OBJ_MAX]; /* by number (1..OBJ_MAX-1): the evictable shared objects */
static uint16_t obj_next = 1;    /* where the search for a free number starts */

/* Add the instructions since meter_t0 (less a reading's cost) to *counter. */
static void meter_add(uint64_t *counter, uint64_t now)
{
    uint64_t d = now - meter_t0;
    *counter += d > meter_ovh ? d - meter_ovh : 0;
}

/* Count the pager's own instructions (thread_instret) of a piece of paging
   work into *counter (a field of cnt), until meter_stop. A piece started
   inside another counts for itself; the outer one pauses meanwhile.
   Returns what meter_stop needs to resume the outer one. */
static uint64_t *meter_start(uint64_t *counter)
{
    uint64_t now = my_instret(), *outer = metered;
    if (outer)
        meter_add(outer, now);
    metered = counter;
    meter_t0 = now;
    return outer;
}

static void meter_stop(uint64_t *outer)
{
    uint64_t now = my_instret();
    meter_add(metered, now);
    metered = outer;
    meter_t0 = now;
}

/* The reverse map's view of the live address spaces (rmap.h): the one
   after prev (NULL: the first), from the hooks. */
static void *space_next(void *ctx, void *prev, struct rmap_space *s)
{
    (void)ctx;
    struct vmspace *vs = prev ? hooks.next(prev) : hooks.first();
    if (vs)
        *s = (struct rmap_space){ &vs->shadow, &vs->vmas, vs->pinned, vs };
    return vs;
}

/* The object region n names, and its page at n->start. */
static const void *region_obj(const struct vma_node *n, uint64_t *pgoff)
{
    const struct vma *v = vt_entry(n, struct vma, node);
    *pgoff = v->pgoff;
    return v->obj;
}

static const struct rmap_spaces spaces = { space_next, region_obj, NULL };

/* The address space that took frame idx when it still maps it alone
   (the common case: no fork shares it), else NULL: look in all of them. */
static struct vmspace *sole_mapper(uint32_t idx, uint64_t pa, uint64_t va)
{
    struct vmspace *vs = frame_refs(pa) == 1 ? hooks.space((uint8_t)frame_space(idx)) : NULL;
    return vs && !vs->pinned && rmap_at(&vs->shadow, va, pa) ? vs : NULL;
}

/* Whether vs's mapping of va was used since the last look (clears A). */
static bool used_in(struct vmspace *vs, uint64_t va)
{
    long a = 0, d = 0;
    return sys_ad_bits(vs->as_slot, (long)va, 1, AD_CLEAR_A, &a, &d) >= 0 && (a & 1);
}

/* Give o a number, so that its pages can be evicted. Returns 0, or
   -ENOMEM when OBJ_MAX objects have one. */
int evict_obj_add(struct memobj *o)
{
    for (unsigned i = 0; i < OBJ_MAX - 1; i++) {
        uint16_t id = (uint16_t)(1 + (obj_next - 1 + i) % (OBJ_MAX - 1));
        if (!objs[id]) {
            objs[id] = o;
            o->id = id;
            obj_next = (uint16_t)(id % (OBJ_MAX - 1) + 1);
            return 0;
        }
    }
    return -ENOMEM;
}

void evict_obj_forget(struct memobj *o)
{
    if (o->id && objs[o->id] == o)
        objs[o->id] = NULL;
    o->id = 0;
}

/* The object frame idx holds a page of, or NULL when it no longer does. */
static struct memobj *obj_of(uint32_t idx, uint64_t *page)
{
    uint16_t id = frame_space(idx);
    struct memobj *o = id < OBJ_MAX ? objs[id] : NULL;
    *page = frame_va(idx) >> 12;
    return o && *page < o->npages && o->pages[*page] == frame_addr(idx) ? o : NULL;
}

/* rmap_fn: *arg |= whether this mapping was used (clears A). */
static void mark_used(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)e;
    *(bool *)arg |= used_in(s->owner, va);
}

/* The policy's view: was any mapping of frame idx used since the last
   look? Clears the accessed bits it reads, never the dirty bits. */
static bool accessed(uint32_t idx)
{
    uint64_t pa = frame_addr(idx), va = frame_va(idx);
    cnt.scans++;
    if (frame_is_cache(idx)) { /* both: each clears what it read */
        bool mapped = hooks.cache_accessed((uint8_t)frame_space(idx), va >> 12, pa);
        return frame_touched(idx) | mapped;
    }
    if (frame_is_obj(idx)) {
        uint64_t page;
        struct memobj *o = obj_of(idx, &page);
        bool used = false;
        if (o)
            rmap_object(&spaces, o, page, pa, mark_used, &used);
        return used;
    }
    struct vmspace *sole = sole_mapper(idx, pa, va);
    if (sole)
        return used_in(sole, va);
    int want = frame_refs(pa);
    bool used = false;
    if (want > 0) /* stops once every reference is accounted for */
        rmap_private(&spaces, va, pa, (unsigned)want, mark_used, &used);
    return used;
}

static uint64_t policy_pages;    /* what the policy's state takes */

static void *policy_alloc(size_t bytes)
{
    void *p = meta_alloc(bytes);
    if (p)
        policy_pages += meta_pages(bytes);
    return p;
}

/* Bookkeeping taken once and kept: the policy's state and the slot table. */
uint64_t evict_tables(void)
{
    return policy_pages + slots_table_pages();
}

void evict_init(const struct evict_hooks *h)
{
    static struct policy_env env; /* the policy may keep a pointer to it */
    hooks = *h;
    env = (struct policy_env){ .nframes = (uint32_t)bootinfo->pool_pages, .accessed = accessed,
                               .alloc = policy_alloc };
    if (the_policy->init(&env) < 0)
        pager_panic("no memory for the policy");
    uint64_t least = ~0UL;
    for (int i = 0; i < 8; i++) { /* the cheapest of a few back-to-back readings */
        uint64_t a = my_instret(), b = my_instret();
        least = b - a < least ? b - a : least;
    }
    meter_ovh = least;
}

/* rmap_fn of a failed write: entry e, which names c's slot, gets c's
   frame back. */
static void restore_entry(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)s, (void)va;
    struct swc *c = arg;
    frame_ref(c->pa);
    *e = c->pa | SPTE_PRESENT | SPTE_COW;
    slot_put(c->slot); /* the last one marks c an orphan */
}

/* A write is over: the page is on the disk and its frame can go. When the
   write failed, the entries that still name the slot get the frame back
   (the page stays in memory). Either way, waiters for frames try again. */
static void write_done(void *arg, long result)
{
    uint64_t *outer = meter_start(&cnt.evict_instr);
    struct swc *c = arg;
    writing--;
    if (result < 0 && !c->orphan) {
        static bool said;
        if (!said)
            printf("pager: swap: a write failed (%s); pages stay in memory\n", strerror(result));
        said = true;
        uint32_t slot = c->slot;
        struct memobj *o = c->obj ? objs[c->obj] : NULL;
        if (o && c->va < o->npages && o->pages[c->va] == (((spte_t)slot << 12) | SPTE_SWAP)) {
            frame_ref(c->pa);
            o->pages[c->va] = c->pa;
            slot_put(slot);
        }
        if (!c->obj)
            rmap_entry(&spaces, c->va, ((spte_t)slot << 12) | SPTE_SWAP, restore_entry, c);
    } else if (result == 0) {
        cnt.swap_out++;
    }
    swc_drop(c);
    meter_stop(outer); /* what waited for the frame is not the eviction's work */
    hooks.wake(WAIT_MEM, 0);
}

/* rmap_fn: take the mapping out of its page table and clear it. */
static void unmap_entry(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    (void)arg;
    sys_unmap(((struct vmspace *)s->owner)->as_slot, (long)va, 1);
    frame_unref(SPTE_PA(*e));
    *e = 0;
}

/* The slot a private frame is evicted to, and whether no entry names it yet. */
struct to_slot { uint32_t slot; bool first; };

/* Entry e of vs at va maps the frame being evicted: it leaves the page
   table and names the slot instead (one slot reference each). */
static void slot_entry(struct vmspace *vs, uint64_t va, spte_t *e, struct to_slot *t)
{
    uint64_t pa = SPTE_PA(*e);
    sys_unmap(vs->as_slot, (long)va, 1);
    *e = ((spte_t)t->slot << 12) | SPTE_SWAP;
    if (!t->first)
        slot_get(t->slot);
    t->first = false;
    frame_unref(pa);
}

static void swap_entry(void *arg, const struct rmap_space *s, uint64_t va, spte_t *e)
{
    slot_entry(s->owner, va, e, arg);
}

/* A new slot and a swap-cache entry (WRITING) for frame pa, or an error as
   evict returns it. */
static long slot_for_write(uint64_t pa, uint64_t va, uint16_t obj, struct swc **c)
{
    if (writing >= WRITES_MAX || swap_queue_room() < 8)
        return -EAGAIN;
    long slot = slot_new();
    if (slot < 0)
        return -ENOSPC;
    if (!(*c = swc_add((uint32_t)slot, pa, va, SC_WRITING))) {
        slot_put((uint32_t)slot);
        return -EAGAIN;
    }
    (*c)->obj = obj;
    frame_ref(pa); /* the cache's */
    frame_untrack(pa, true);
    return slot;
}

/* Write c's frame to its slot. */
static void start_write(struct swc *c)
{
    if (swap_io(true, c->slot, c->pa, write_done, c) < 0)
        pager_panic("evict: the swap queue refused a write it had room for");
    writing++;
    cnt.evict_dirty++;
}

/* evict for a page of a shared anonymous object: its mappings are cleared
   and the object's page list names the slot. */
static int evict_obj(uint32_t idx, uint64_t pa)
{
    uint64_t page;
    struct memobj *o = obj_of(idx, &page);
    int n = o ? rmap_object(&spaces, o, page, pa, NULL, NULL) : -1;
    if (n < 0 || n + 1 != frame_refs(pa)) {
        frame_untrack(pa, false); /* a server maps it, or something else holds it */
        return 0;
    }
    struct swc *c;
    long slot = slot_for_write(pa, page, o->id, &c);
    if (slot < 0)
        return (int)slot;
    rmap_object(&spaces, o, page, pa, unmap_entry, NULL);
    o->pages[page] = ((spte_t)slot << 12) | SPTE_SWAP;
    frame_unref(pa); /* the object's */
    cnt.evict_shared++;
    start_write(c);
    return 1;
}

/* Evict frame idx: every entry that maps it names a new slot instead, the
   page leaves every page table, and the frame is written out (the swap
   cache holds it until then); a page-cache frame is dropped instead, when
   clean (the file layer's cache_drop). Returns 1 when a write is under way,
   0 when the frame was dropped or is busy, -ENOSPC when swap is full or
   absent, -EAGAIN when the swap path is full. */
static int evict(uint32_t idx)
{
    uint64_t pa = frame_addr(idx), va = frame_va(idx);
    if (frame_is_obj(idx))
        return evict_obj(idx, pa);
    if (frame_is_cache(idx)) { /* a file page: dropped when clean, read again when needed */
        int r = hooks.cache_drop((uint8_t)frame_space(idx), va >> 12, pa);
        if (r < 0)
            frame_untrack(pa, false);
        cnt.evict_clean += r > 0;
        return 0;
    }
    struct vmspace *sole = sole_mapper(idx, pa, va);
    int n = sole ? 1 : rmap_private(&spaces, va, pa, RMAP_ALL, NULL, NULL);
    if (n <= 0 || n != frame_refs(pa)) {
        frame_untrack(pa, false); /* held by something else: not evictable */
        return 0;
    }
    struct swc *c;
    long slot = slot_for_write(pa, va, 0, &c);
    if (slot < 0)
        return (int)slot;
    struct to_slot t = { (uint32_t)slot, true };
    if (sole)
        slot_entry(sole, va, rmap_at(&sole->shadow, va, pa), &t);
    else
        rmap_private(&spaces, va, pa, RMAP_ALL, swap_entry, &t);
    start_write(c);
    return 1;
}

/* Returns true while frames are on their way back. */
bool vm_reclaim(void)
{
    unsigned stuck = 0; /* victims in a row that could not go */
    for (unsigned tries = 0; frames_free() + writing < frames_high() && tries < TRIES_MAX; tries++) {
        if (swc_drop_ready())
            continue;
        uint64_t *outer = meter_start(&cnt.evict_instr);
        uint32_t idx = the_policy->victim();
        int r = idx == NO_FRAME ? -ENOENT : evict(idx);
        meter_stop(outer);
        if (r == -ENOENT || r == -EAGAIN || (r < 0 && ++stuck == STUCK_MAX))
            break; /* no victim, or the swap path is full: wait for it */
        if (r >= 0)
            stuck = 0;
    }
    return writing > 0;
}

/* The loop's reclaim between messages, below the low watermark: after a
   pass that freed nothing and started nothing (only private pages left and
   no swap for them), the next REST passes are skipped; a fault short of
   frames still reclaims at once. */
void vm_reclaim_idle(void)
{
    static unsigned rest;
    if (rest) {
        rest--;
        return;
    }
    uint64_t before = frames_free();
    if (!vm_reclaim() && frames_free() <= before)
        rest = REST;
}

/* A read is over: the faults that wait for it are handled again (and take
   the frame), or fail when the page could not be read. */
static void read_done(void *arg, long result)
{
    uint64_t *outer = meter_start(&cnt.swapin_instr);
    struct swc *c = arg;
    uint64_t key = WAIT_SWAP | c->slot;
    if (result == 0)
        cnt.swap_in++;
    if (result < 0 || c->orphan)
        swc_drop(c);
    else
        swc_set_ready(c);
    hooks.wake(key, result < 0 ? -EIO : 0); /* the faults are handled again: counted here */
    meter_stop(outer);
    hooks.wake(WAIT_MEM, 0);
}

/* The frame of slot: 0 with one more reference to it in *pa when the
   swap cache has it, else -EAGAIN with *w set while it is read into a new
   frame (tracked as page `where` of `who`, an object when obj), -ENOMEM
   (no frame) or -EIO (swap is gone). */
static int slot_frame(uint32_t slot, bool pinned, uint64_t where, uint16_t who, bool obj, uint64_t *pa,
                      struct vm_wait *w)
{
    struct swc *c = swc_find(slot);
    if (c && c->state != SC_READING) {
        frame_ref(c->pa);
        *pa = c->pa;
        return 0;
    }
    if (!c) {
        if (!swap_slots())
            return -EIO;
        if (swap_queue_room() == 0)
            goto wait_mem;
        uint64_t f = pinned ? frame_alloc() : frame_take_user(); /* the read fills it */
        if (!f)
            return -ENOMEM;
        if (!(c = swc_add(slot, f, where, SC_READING)) && swc_drop_ready())
            c = swc_add(slot, f, where, SC_READING);
        if (!c) {
            frame_unref(f);
            goto wait_mem;
        }
        c->obj = obj ? who : 0;
        if (obj) /* the policy gets it when the cache lets go */
            frame_track_obj(f, who, where, false);
        else
            frame_track(f, where, false, (uint8_t)who);
        if (swap_io(false, slot, f, read_done, c) < 0)
            pager_panic("slot_frame: the swap queue refused a read it had room for");
    }
    *w = (struct vm_wait){ NULL, WAIT_SWAP | slot };
    return -EAGAIN;
wait_mem:
    *w = (struct vm_wait){ NULL, WAIT_MEM };
    return -EAGAIN;
}

/* Entry *e names a swap slot: take the slot's frame when the swap cache
   has it, else start reading it. Returns 0 with *e naming the frame
   (copy-on-write: the cache may share it), -EAGAIN with *w set while it
   is read, -ENOMEM (no frame), or -EIO (swap is gone). */
int __attribute__((noinline)) swap_fault(struct vmspace *vs, uint64_t va, spte_t *e, struct vm_wait *w)
{
    uint32_t slot = SPTE_SLOT(*e);
    uint64_t pa;
    int r = slot_frame(slot, vs->pinned, va, vs->id, false, &pa, w);
    if (r < 0)
        return r;
    *e = pa | SPTE_PRESENT | SPTE_COW;
    slot_put(slot);
    return 0;
}

/* Page `page` of object o is on the swap disk: as swap_fault, for the
   object's page list (pinned: a server's region asks, the reserve may
   serve it). */
int swap_fault_obj(struct memobj *o, uint64_t page, bool pinned, struct vm_wait *w)
{
    uint64_t *outer = meter_start(&cnt.swapin_instr);
    uint32_t slot = SPTE_SLOT(o->pages[page]);
    uint64_t pa;
    int r = slot_frame(slot, pinned, page, o->id, true, &pa, w);
    if (r == 0) {
        o->pages[page] = pa;
        slot_put(slot);
    }
    meter_stop(outer);
    return r;
}

struct usage { uint64_t resident, swapped; };

static void count_usage(void *arg, uint64_t va, spte_t *e)
{
    (void)va;
    struct usage *u = arg;
    if ((*e & SPTE_PRESENT) && !(*e & SPTE_ZERO))
        u->resident++;
    else if (*e & SPTE_SWAP)
        u->swapped++;
}

/* Whether the data of va's page of vs is on the swap disk (and not in memory). */
bool vm_swapped(struct vmspace *vs, uint64_t va)
{
    const spte_t *e = shadow_lookup(&vs->shadow, PG_ROUNDDOWN(va));
    if (e && (*e & SPTE_SWAP))
        return true;
    uint64_t swapped = 0, resident;
    if (!e || !*e)
        vm_usage(vs, PG_ROUNDDOWN(va), PG_ROUNDDOWN(va) + PAGE, &resident, &swapped); /* a shared object's */
    return swapped > 0;
}

/* Pages of [start, end) of vs in memory (the zero page not counted) and on
   the swap disk (a shared anonymous page counts for every region that maps it). */
void vm_usage(struct vmspace *vs, uint64_t start, uint64_t end, uint64_t *resident, uint64_t *swapped)
{
    struct usage u = { 0, 0 };
    if (vs->shadow.root)
        shadow_walk(&vs->shadow, start, end, count_usage, &u);
    for (struct vma_node *n = vt_first_at_or_after(&vs->vmas, start); n && n->start < end; n = vt_next(n)) {
        const struct memobj *o = ((struct vma *)n)->obj; /* shared anonymous pages on swap: the object's */
        uint64_t from = n->start > start ? n->start : start, to = n->end < end ? n->end : end;
        for (uint64_t va = from; o && o->id && va < to; va += PAGE)
            u.swapped += (o->pages[((struct vma *)n)->pgoff + (va - n->start) / PAGE] & SPTE_SWAP) != 0;
    }
    *resident = u.resident;
    *swapped = u.swapped;
}

uint64_t *swapin_meter_start(void)
{
    return meter_start(&cnt.swapin_instr);
}

void swapin_meter_stop(uint64_t *outer)
{
    meter_stop(outer);
}
