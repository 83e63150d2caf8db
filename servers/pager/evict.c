/* Eviction and swap-in: the mechanism under every policy. The policy sees
   the private frames of user tasks (frame_track) and names victims; this
   file finds every shadow entry that maps a victim, takes it out of every
   page table, points the entries at a swap slot and writes the frame out.
   A fault on a swapped page reads it back; the fault waits (parked) while
   the read is under way, never the pager.

   The reverse map: a private frame backs one virtual page (frame_va), and
   only address spaces of one fork family map it, all at that page, so its
   mappings are the entries at that address that name it, in the address
   spaces the loop's hooks list. A frame whose entries do not account for
   every reference is busy (something else holds it) and is not evicted. */
#include "vm.h"

#define WRITES_MAX 48            /* evictions under way at once (the swap queue holds 64 jobs) */
#define TRIES_MAX 256            /* victims looked at by one reclaim */
#define STUCK_MAX 16             /* ... or this many in a row that cannot go (swap full or absent) */
#define REST 64                  /* vm_reclaim_idle: passes skipped after one that did nothing */

static struct evict_hooks hooks;
static unsigned writing;         /* writes under way */
static uint64_t *metered;        /* the counter of the piece of paging work under way, or NULL */
static uint64_t meter_t0;        /* since when it counts */
static uint64_t meter_ovh;       /* what one reading costs, taken off each piece */

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

/* Whether e names frame pa. */
static bool names(const spte_t *e, uint64_t pa)
{
    return e && (*e & SPTE_PRESENT) && SPTE_PA(*e) == pa;
}

/* The policy's view: was any mapping of frame idx used since the last
   look? Clears the accessed bits it reads, never the dirty bits. */
/* The address space that took frame idx when it still maps it alone
   (the common case: no fork shares it), else NULL: look in all of them. */
static struct vmspace *sole_mapper(uint32_t idx, uint64_t pa, uint64_t va)
{
    struct vmspace *vs = frame_refs(pa) == 1 ? hooks.space(frame_space(idx)) : NULL;
    return vs && !vs->pinned && names(shadow_lookup(&vs->shadow, va), pa) ? vs : NULL;
}

/* Whether vs's mapping of va was used since the last look (clears A). */
static bool used_in(struct vmspace *vs, uint64_t va)
{
    long a = 0, d = 0;
    return sys_ad_bits(vs->as_slot, (long)va, 1, AD_CLEAR_A, &a, &d) >= 0 && (a & 1);
}

static bool accessed(uint32_t idx)
{
    uint64_t pa = frame_addr(idx), va = frame_va(idx);
    cnt.scans++;
    if (frame_is_cache(idx))
        return hooks.cache_accessed(frame_space(idx), va >> 12, pa);
    struct vmspace *sole = sole_mapper(idx, pa, va);
    if (sole)
        return used_in(sole, va);
    int want = frame_refs(pa), seen = 0;
    bool used = false;
    for (struct vmspace *vs = hooks.first(); vs && seen < want; vs = hooks.next(vs)) {
        if (!names(shadow_lookup(&vs->shadow, va), pa))
            continue;
        seen++;
        used |= used_in(vs, va);
    }
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
        for (struct vmspace *vs = hooks.first(); vs; vs = hooks.next(vs)) {
            spte_t *e = shadow_lookup(&vs->shadow, c->va);
            if (!e || *e != (((spte_t)slot << 12) | SPTE_SWAP))
                continue;
            frame_ref(c->pa);
            *e = c->pa | SPTE_PRESENT | SPTE_COW;
            slot_put(slot); /* the last one marks c an orphan */
        }
    } else if (result == 0) {
        cnt.swap_out++;
    }
    swc_drop(c);
    meter_stop(outer); /* what waited for the frame is not the eviction's work */
    hooks.wake(WAIT_MEM, 0);
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
    if (frame_is_cache(idx)) { /* a file page: dropped when clean, read again when needed */
        int r = hooks.cache_drop(frame_space(idx), va >> 12, pa);
        if (r < 0)
            frame_untrack(pa, false);
        cnt.evict_clean += r > 0;
        return 0;
    }
    struct vmspace *sole = sole_mapper(idx, pa, va);
    int n = sole ? 1 : 0;
    for (struct vmspace *vs = sole ? NULL : hooks.first(); vs; vs = hooks.next(vs))
        n += !vs->pinned && names(shadow_lookup(&vs->shadow, va), pa);
    if (n == 0 || n != frame_refs(pa)) {
        frame_untrack(pa, false); /* held by something else: not evictable */
        return 0;
    }
    if (writing >= WRITES_MAX || swap_queue_room() < 8)
        return -EAGAIN;
    long slot = slot_new();
    if (slot < 0)
        return -ENOSPC;
    struct swc *c = swc_add((uint32_t)slot, pa, va, SC_WRITING);
    if (!c) {
        slot_put((uint32_t)slot);
        return -EAGAIN;
    }
    frame_ref(pa); /* the cache's */
    frame_untrack(pa, true);
    bool first = true;
    for (struct vmspace *vs = sole ? sole : hooks.first(); vs; vs = sole ? NULL : hooks.next(vs)) {
        spte_t *e = shadow_lookup(&vs->shadow, va);
        if (vs->pinned || !names(e, pa))
            continue;
        sys_unmap(vs->as_slot, (long)va, 1);
        *e = ((spte_t)slot << 12) | SPTE_SWAP;
        if (!first)
            slot_get((uint32_t)slot);
        first = false;
        frame_unref(pa);
    }
    if (swap_io(true, (uint64_t)slot, pa, write_done, c) < 0)
        pager_panic("evict: the swap queue refused a write it had room for");
    writing++;
    cnt.evict_dirty++;
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

/* Entry *e names a swap slot: take the slot's frame when the swap cache
   has it, else start reading it. Returns 0 with *e naming the frame
   (copy-on-write: the cache may share it), -EAGAIN with *w set while it
   is read, -ENOMEM (no frame), or -EIO (swap is gone). */
int __attribute__((noinline)) swap_fault(struct vmspace *vs, uint64_t va, spte_t *e, struct vm_wait *w)
{
    uint32_t slot = SPTE_SLOT(*e);
    struct swc *c = swc_find(slot);
    if (c && c->state != SC_READING) {
        frame_ref(c->pa);
        *e = c->pa | SPTE_PRESENT | SPTE_COW;
        slot_put(slot);
        return 0;
    }
    if (!c) {
        if (!swap_slots())
            return -EIO;
        if (swap_queue_room() == 0)
            goto wait_mem;
        uint64_t pa = vs->pinned ? frame_alloc() : frame_take_user(); /* the read fills it */
        if (!pa)
            return -ENOMEM;
        if (!(c = swc_add(slot, pa, va, SC_READING)) && swc_drop_ready())
            c = swc_add(slot, pa, va, SC_READING);
        if (!c) {
            frame_unref(pa);
            goto wait_mem;
        }
        frame_track(pa, va, false, vs->id); /* the policy gets it when the cache lets go */
        if (swap_io(false, slot, pa, read_done, c) < 0)
            pager_panic("swap_fault: the swap queue refused a read it had room for");
    }
    *w = (struct vm_wait){ NULL, WAIT_SWAP | slot };
    return -EAGAIN;
wait_mem:
    *w = (struct vm_wait){ NULL, WAIT_MEM };
    return -EAGAIN;
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

/* Pages of [start, end) of vs in memory (the zero page not counted) and on
   the swap disk. */
void vm_usage(struct vmspace *vs, uint64_t start, uint64_t end, uint64_t *resident, uint64_t *swapped)
{
    struct usage u = { 0, 0 };
    if (vs->shadow.root)
        shadow_walk(&vs->shadow, start, end, count_usage, &u);
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
