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

static struct evict_hooks hooks;
static unsigned writing;         /* writes under way */

/* Whether e names frame pa. */
static bool names(const spte_t *e, uint64_t pa)
{
    return e && (*e & SPTE_PRESENT) && SPTE_PA(*e) == pa;
}

/* The policy's view: was any mapping of frame idx used since the last
   look? Clears the accessed bits it reads, never the dirty bits. */
static bool accessed(uint32_t idx)
{
    uint64_t pa = frame_addr(idx), va = frame_va(idx);
    int want = frame_refs(pa), seen = 0;
    bool used = false;
    cnt.scans++;
    for (struct vmspace *vs = hooks.first(); vs && seen < want; vs = hooks.next(vs)) {
        if (!names(shadow_lookup(&vs->shadow, va), pa))
            continue;
        seen++;
        long a = 0, d = 0;
        if (sys_ad_bits(vs->as_slot, (long)va, 1, AD_CLEAR_A, &a, &d) >= 0 && (a & 1))
            used = true;
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
}

/* A write is over: the page is on the disk and its frame can go. When the
   write failed, the entries that still name the slot get the frame back
   (the page stays in memory). Either way, waiters for frames try again. */
static void write_done(void *arg, long result)
{
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
    hooks.wake(WAIT_MEM, 0);
}

/* Evict frame idx: every entry that maps it names a new slot instead, the
   page leaves every page table, and the frame is written out (the swap
   cache holds it until then). Returns 1 when the write is under way, 0 when
   the frame is busy (the policy forgets it), -ENOSPC when swap is full,
   -EAGAIN when the swap cache is. */
static int evict(uint32_t idx)
{
    uint64_t pa = frame_addr(idx), va = frame_va(idx);
    int n = 0;
    for (struct vmspace *vs = hooks.first(); vs; vs = hooks.next(vs))
        n += !vs->pinned && names(shadow_lookup(&vs->shadow, va), pa);
    if (n == 0 || n != frame_refs(pa)) {
        frame_untrack(pa);
        return 0;
    }
    long slot = slot_new();
    if (slot < 0)
        return -ENOSPC;
    struct swc *c = swc_add((uint32_t)slot, pa, va, SC_WRITING);
    if (!c) {
        slot_put((uint32_t)slot);
        return -EAGAIN;
    }
    frame_ref(pa); /* the cache's */
    frame_untrack(pa);
    bool first = true;
    for (struct vmspace *vs = hooks.first(); vs; vs = hooks.next(vs)) {
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
    for (unsigned tries = 0; frames_free() + writing < frames_high() && tries < TRIES_MAX; tries++) {
        if (swc_drop_ready())
            continue;
        if (writing >= WRITES_MAX || swap_queue_room() < 8 || !swap_slots() || slots_used() == slots_total())
            break;
        uint32_t idx = the_policy->victim();
        if (idx == NO_FRAME || evict(idx) < 0)
            break;
    }
    return writing > 0;
}

/* A read is over: the faults that wait for it are handled again (and take
   the frame), or fail when the page could not be read. */
static void read_done(void *arg, long result)
{
    struct swc *c = arg;
    uint64_t key = WAIT_SWAP | c->slot;
    if (result == 0)
        cnt.swap_in++;
    if (result < 0 || c->orphan)
        swc_drop(c);
    else
        c->state = SC_READY;
    hooks.wake(key, result < 0 ? -EIO : 0);
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
        uint64_t pa = vs->pinned ? frame_alloc() : frame_alloc_user();
        if (!pa)
            return -ENOMEM;
        if (!(c = swc_add(slot, pa, va, SC_READING)) && swc_drop_ready())
            c = swc_add(slot, pa, va, SC_READING);
        if (!c) {
            frame_unref(pa);
            goto wait_mem;
        }
        frame_track(pa, va, false); /* the policy gets it when the cache lets go */
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
