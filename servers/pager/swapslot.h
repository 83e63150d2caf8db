/* Swap slots: the page-sized slots of a swap device, each with a reference
   count (a swapped-out page that fork shared is named by several shadow
   entries), and the choice of a slot for the next page to write out.

   A slot is free when its count is 0. Allocation is next-fit: the search for
   a free slot starts where the previous allocation ended and wraps around
   once, so consecutive evictions get consecutive slots (one long disk write
   or read instead of many short ones) until the device fills up or the cursor
   wraps into freed holes. A bitmap of used slots lets the search skip 64
   used slots a step.

   Storage: one caller-provided buffer (slot_bytes tells its size) for the
   bitmap and one uint32_t count per slot. Counts stop at SLOT_REF_MAX: one
   more reference is refused with -EAGAIN, never wrapped.

   Cost: slot_ref, slot_unref and slot_count are O(1); slot_alloc is O(1) while
   the slots after the cursor are free and O(nslots / 64) at worst (a nearly
   full device).

   Pure module: no libc, no allocation, not thread safe (the pager is single
   threaded). Errors are the negated errno numbers of abi/abi.def. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SLOT_MAX      0x7fffffffu    /* limit on nslots (slot numbers fit an int) */
#define SLOT_REF_MAX  0xffffffffu    /* highest count */

struct swapslots {
    uint64_t *used;      /* bit s of used[s / 64]: count[s] > 0; bits past nslots are set */
    uint32_t *count;     /* count[s]: references to slot s */
    uint32_t nslots;
    uint32_t nfree;      /* slots with count 0 */
    uint32_t cursor;     /* where the next search starts, < nslots */
};

/* Bytes of buffer slot_init needs for nslots slots; 0 if nslots is 0 or above
   SLOT_MAX. */
size_t slot_bytes(uint32_t nslots);

/* Set ss up over buf (8-byte aligned, at least slot_bytes(nslots) bytes) with
   every slot free and the cursor at slot 0. Returns 0, or -EINVAL if nslots
   is 0 or above SLOT_MAX, buf is misaligned or len too small (ss unchanged). */
int slot_init(struct swapslots *ss, void *buf, size_t len, uint32_t nslots);

/* Take a free slot with count 1: the first free one at or after the cursor,
   wrapping around once; the cursor moves past it. Returns the slot, or
   -ENOSPC if every slot is in use (nothing changed). */
int slot_alloc(struct swapslots *ss);

/* One more reference to slot s (fork shares a swapped page). Returns the new
   count; -EINVAL if s is out of range, -ENOENT if s is free, -EAGAIN if the
   count is already SLOT_REF_MAX. On an error nothing changed. */
int64_t slot_ref(struct swapslots *ss, uint32_t s);

/* Drop a reference to slot s; the slot is free again when the count reaches
   0. Returns the new count (0: freed); -EINVAL if s is out of range, -ENOENT
   if s is already free (a double free; nothing changed). */
int64_t slot_unref(struct swapslots *ss, uint32_t s);

/* The count of slot s (0: free); -EINVAL if s is out of range. */
int64_t slot_count(const struct swapslots *ss, uint32_t s);

/* Free slots. */
uint32_t slot_nfree(const struct swapslots *ss);

/* Verify the invariants: the bitmap matches the counts, padding bits are set,
   nfree is the number of free slots, the cursor is in range. Returns 0 if
   they hold, else -1. O(nslots); for tests and debugging. */
int slot_check(const struct swapslots *ss);
