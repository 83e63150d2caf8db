/* The pager's lowest layer: the user pool's frames (frames.c), the pager's
   own heap, the counters vmstat shows, and the swap disk as memory sees it
   (swapdev.c). Calls nothing above it. The layers, each using only those
   below it: frames.h; shadow.h and vmatree.h; vm.h (region kinds, the fault
   path, copies); pager.h (processes, descriptors, files); main.c (the loop).
   A request's state travels down in a struct req (req.h). */
#pragma once
#include "sys.h"
#include "bootinfo.h"
#include "shadow.h"

#define PAGE 4096UL
#define PG_ROUNDUP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PG_ROUNDDOWN(x) ((x) & ~(PAGE - 1))

extern const struct bootinfo *bootinfo;
void pager_panic(const char *why) __attribute__((noreturn)); /* the system cannot go on */

/* A shadow entry whose page is on the swap disk (not present): slot << 12 | SPTE_SWAP. */
#define SPTE_SWAP (1 << (SPTE_USER_SHIFT + 1))
#define SPTE_SLOT(e) ((uint32_t)((e) >> 12))

/* ---- frames.c: the user pool, reference counts, the zero page, pager heap ---- */
void frames_init(const struct bootinfo *bi);
uint64_t frame_alloc(void);                 /* zeroed frame with one reference; 0 when none left */
uint64_t frame_copy(uint64_t src);          /* a copy of src with one reference; 0 when none left */
/* The same for a user task: 0 also when only the reserve is left (the frames
   the pager, the servers and the paging path need to make progress). */
uint64_t frame_alloc_user(void);
uint64_t frame_copy_user(uint64_t src);
uint64_t frame_take_user(void);             /* as frame_alloc_user, not zeroed (a swap read fills it) */
uint64_t frames_free(void);                 /* free frames now */
bool frames_low(void);                      /* below the low watermark: reclaim before waiting */
uint64_t frames_high(void);                 /* reclaim frees frames up to this many */
/* Eviction's view of a frame (by index in the pool): a private page (named
   only by shadow entries at one virtual address, in one or more address
   spaces of a fork family) may be handed to the policy. */
uint32_t frame_index(uint64_t pa);
uint64_t frame_addr(uint32_t idx);
/* A fresh private frame (one reference) of page va, taken by address space
   `space` (the first place eviction looks for its mappings). */
void frame_track(uint64_t pa, uint64_t va, bool evictable, uint8_t space);
void frame_untrack(uint64_t pa, bool evicted); /* the policy forgets it (evicted, or busy); va stays */
void frame_retrack(uint64_t pa);            /* the policy gets it back (at the va it had) */
uint64_t frame_va(uint32_t idx);            /* the page a tracked frame backs */
uint16_t frame_space(uint32_t idx);         /* and the address space that took it (a cache frame: its file) */
void frame_track_cache(uint64_t pa, uint8_t file, uint64_t page); /* a page-cache frame, for eviction */
bool frame_is_cache(uint32_t idx);          /* then frame_va is the page index, frame_space the file */
void frame_track_obj(uint64_t pa, uint16_t obj, uint64_t page, bool evictable); /* a shared anonymous page */
bool frame_is_obj(uint32_t idx);            /* then frame_va is the page index, frame_space the object */
void frame_touch(uint64_t pa);              /* used without a mapping (read, write of a cache page) */
bool frame_touched(uint32_t idx);           /* and since the last call? (clears the mark) */
void frame_ref(uint64_t pa);                /* one more reference */
void frame_unref(uint64_t pa);              /* one less; the frame is free at zero */
int frame_refs(uint64_t pa);
/* The count of a frame a shadow entry names (pa valid: no checks), for the
   fault path. */
const uint32_t *frame_refcounts(void);
uint64_t frame_pool_base(void);
static inline uint32_t frame_refs_of(uint64_t pa)
{
    return frame_refcounts()[(pa - frame_pool_base()) >> 12];
}
unsigned frames_ref_run(spte_t *e, spte_t *d, unsigned n, bool cow); /* fork: +1 on each present entry */
void frames_unref_run(spte_t *e, unsigned n);
uint64_t frames_alloc_contig(unsigned order);                     /* 2^order contiguous zeroed frames, one reference each; 0 when none */                     /* -1 on each present entry; clears them */
void *frame_ptr(uint64_t pa);               /* where the pager sees the frame */
uint64_t zero_page(void);                   /* the one shared zero frame (not counted) */
void *meta_alloc(size_t bytes);             /* zeroed bookkeeping memory from the pool; NULL when full */
void meta_free(void *p, size_t bytes);
void *pmalloc(size_t bytes);                /* small zeroed objects (<= 2048 bytes); NULL when full */
void pfree(void *p);
/* fixed: buddy metadata and counts; meta: pages of meta_alloc (heap pages and shadow nodes included) */
struct frame_stats { uint64_t free, total, used, shared, fixed, meta, heap; };
void frames_stats(struct frame_stats *st);
size_t meta_pages(size_t bytes);            /* pages meta_alloc(bytes) takes */

/* Counters shown by vmstat (PG_VMSTAT). */
struct counters {
    uint64_t zero_page, zero_fill, cow_copy, cow_reuse, file, invalid;
    uint64_t forks, execs, fork_pages;
    uint64_t writeback, bus_error;
    uint64_t swap_out, swap_in, evict_clean, evict_dirty, evict_shared, scans, major, minor, oom_kills;
    uint64_t evict_instr, swapin_instr, swapdrv_write_instr, swapdrv_read_instr;
    uint64_t fault_around;
};
extern struct counters cnt;

/* ---- swapdev.c: the swap disk (its requests are in pager.h) ---- */
uint64_t swap_slots(void);                 /* slots of the swap disk; 0: no swap (yet) */
void swap_frames(uint64_t pa[2]);          /* the two frames the swap path holds (0: none) */
int swap_io(bool write, uint64_t slot, uint64_t pa, void (*done)(void *arg, long result), void *arg);
unsigned swap_queue_room(void);            /* jobs swap_io takes before -EAGAIN */

/* ---- swapcache.c: swap slots and the frames on their way to or from them ---- */
void swapcache_setup(uint32_t nslots);     /* the swap disk works: slots 0 .. nslots-1 */
uint64_t slots_total(void);
uint64_t slots_table_pages(void);          /* bookkeeping pages of the slot table */
void swc_frames(void (*fn)(void *arg, uint64_t pa), void *arg);
uint64_t slots_used(void);
long slot_new(void);                       /* a free slot with one reference, -ENOSPC */
void slot_get(uint32_t slot);              /* one more reference (fork) */
void slot_put(uint32_t slot);              /* one less; the last one frees it (and its cached frame) */
uint32_t slot_refs(uint32_t slot);
/* A frame the swap cache holds (one reference) for slot: being written
   (WRITING), being read (READING), or read and still the slot's data
   (READY). va is the page it backs (for re-tracking when the cache lets go). */
enum { SC_WRITING = 1, SC_READING, SC_READY };
struct swc { uint32_t slot; uint8_t state; bool orphan; uint16_t obj; uint64_t pa, va; }; /* obj: va is page va of object obj (0: private) */
struct swc *swc_find(uint32_t slot);        /* NULL when slot has no frame here */
struct swc *swc_add(uint32_t slot, uint64_t pa, uint64_t va, int state); /* NULL when full */
void swc_drop(struct swc *c);               /* let go of its frame (re-tracked if still mapped) */
void swc_orphan(struct swc *c);             /* its slot is free: lookups no longer find it */
void swc_set_ready(struct swc *c);          /* READING -> READY */
bool swc_drop_ready(void);                  /* drop one READY entry; false when there is none */

