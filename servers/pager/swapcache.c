/* Swap slots with reference counts (swapslot.c), and the swap cache: the
   frames on their way to or from a slot. A frame being written out stays
   here until the write is done, so a fault on its page meanwhile takes it
   back without the disk; a frame read in stays while other shadow entries
   (fork siblings) still name the slot, so they share it instead of reading
   it again. Every entry holds one reference to its frame. Part of the frames
   layer: it knows slots and frames, not address spaces. */
#include "frames.h"
#include "swapslot.h"

#define SWC_MAX 128                /* frames in the cache at most: more is "full" for the caller */

static struct swapslots slots;
static void *slots_buf;
static size_t slots_len;
static struct swc cache[SWC_MAX];  /* state 0: unused */

/* The swap disk answered its check: nslots slots from now on. Without
   memory for the table there is no swap (said once). */
void swapcache_setup(uint32_t nslots)
{
    if (slots_buf || nslots == 0)
        return;
    size_t len = slot_bytes(nslots);
    void *buf = len ? meta_alloc(len) : NULL;
    if (!buf || slot_init(&slots, buf, len, nslots) < 0) {
        printf("pager: no memory for the swap slot table; no swap\n");
        if (buf)
            meta_free(buf, len);
        return;
    }
    slots_buf = buf;
    slots_len = len;
}

uint64_t slots_table_pages(void)
{
    return slots_buf ? meta_pages(slots_len) : 0;
}

/* Call fn for the frame of every entry (vmstat's census). */
void swc_frames(void (*fn)(void *arg, uint64_t pa), void *arg)
{
    for (unsigned i = 0; i < SWC_MAX; i++)
        if (cache[i].state)
            fn(arg, cache[i].pa);
}

uint64_t slots_total(void)
{
    return slots_buf ? slots.nslots : 0;
}

uint64_t slots_used(void)
{
    return slots_buf ? slots.nslots - slot_nfree(&slots) : 0;
}

/* A free slot with one reference; -ENOSPC when there is none (or no swap). */
long slot_new(void)
{
    if (!slots_buf || !swap_slots())
        return -ENOSPC;
    return slot_alloc(&slots);
}

void slot_get(uint32_t slot)
{
    if (slot_ref(&slots, slot) < 0)
        pager_panic("slot_get: a shadow entry names a free slot");
}

/* The last reference gone frees the slot, and its cached frame with it (a
   write or read under way lets go of the frame when it is over). */
void slot_put(uint32_t slot)
{
    int64_t n = slot_unref(&slots, slot);
    if (n < 0)
        pager_panic("slot_put: a shadow entry names a free slot");
    if (n > 0)
        return;
    struct swc *c = swc_find(slot);
    if (!c)
        return;
    if (c->state == SC_READY)
        swc_drop(c);
    else
        swc_orphan(c); /* the job's done function drops it */
}

uint32_t slot_refs(uint32_t slot)
{
    int64_t n = slot_count(&slots, slot);
    return n > 0 ? (uint32_t)n : 0;
}

/* The cache's index: entries by slot in SWC_BUCKETS chains (orphans are
   taken out: their slot may be in use again), and a stack of free entries. */
#define SWC_BUCKETS 256
#define SWC_NONE 0xff
static uint8_t bucket[SWC_BUCKETS], chain[SWC_MAX];
static uint8_t free_stack[SWC_MAX];
static unsigned nfree_entries, nready;
static bool swc_ready_init;

static void swc_init(void)
{
    for (unsigned i = 0; i < SWC_BUCKETS; i++)
        bucket[i] = SWC_NONE;
    for (unsigned i = 0; i < SWC_MAX; i++)
        free_stack[i] = (uint8_t)(SWC_MAX - 1 - i);
    nfree_entries = SWC_MAX;
    swc_ready_init = true;
}

/* Take entry i out of its slot's chain (it may not be in it: an orphan). */
static void unhash(unsigned i)
{
    for (uint8_t *p = &bucket[cache[i].slot % SWC_BUCKETS]; *p != SWC_NONE; p = &chain[*p]) {
        if (*p == i) {
            *p = chain[i];
            return;
        }
    }
}

/* The live entry for slot (orphans, whose slot may be reused, are not). */
struct swc *swc_find(uint32_t slot)
{
    if (!swc_ready_init)
        return NULL;
    for (uint8_t i = bucket[slot % SWC_BUCKETS]; i != SWC_NONE; i = chain[i])
        if (cache[i].slot == slot)
            return &cache[i];
    return NULL;
}

/* A new entry holding frame pa (the caller's reference becomes the
   entry's). NULL when the cache is full. */
struct swc *swc_add(uint32_t slot, uint64_t pa, uint64_t va, int state)
{
    if (!swc_ready_init)
        swc_init();
    if (!nfree_entries)
        return NULL;
    unsigned i = free_stack[--nfree_entries];
    cache[i] = (struct swc){ .slot = slot, .state = (uint8_t)state, .pa = pa, .va = va };
    chain[i] = bucket[slot % SWC_BUCKETS];
    bucket[slot % SWC_BUCKETS] = (uint8_t)i;
    return &cache[i];
}

/* c's slot is free (its job's done function drops it later): no lookup
   finds it any more. */
void swc_orphan(struct swc *c)
{
    if (!c->orphan)
        unhash((unsigned)(c - cache));
    c->orphan = true;
}

void swc_set_ready(struct swc *c)
{
    c->state = SC_READY;
    nready++;
}

/* Let go of c's frame. When shadow entries still map it, it is a private
   frame again and the policy gets it back. */
void swc_drop(struct swc *c)
{
    unsigned i = (unsigned)(c - cache);
    uint64_t pa = c->pa;
    if (!c->orphan)
        unhash(i);
    if (c->state == SC_READY)
        nready--;
    c->state = 0;
    c->orphan = false;
    free_stack[nfree_entries++] = (uint8_t)i;
    frame_unref(pa);
    if (frame_refs(pa) > 0)
        frame_retrack(pa);
}

/* Drop a READY entry (its data is safe in its slot) to free memory. Returns
   false when there is none. */
bool swc_drop_ready(void)
{
    if (!nready)
        return false;
    for (unsigned i = 0; i < SWC_MAX; i++) {
        if (cache[i].state == SC_READY) {
            swc_drop(&cache[i]);
            cnt.evict_clean++; /* its data is on the disk already */
            return true;
        }
    }
    return false;
}
