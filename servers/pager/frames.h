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

/* ---- frames.c: the user pool, reference counts, the zero page, pager heap ---- */
void frames_init(const struct bootinfo *bi);
uint64_t frame_alloc(void);                 /* zeroed frame with one reference; 0 when none left */
uint64_t frame_copy(uint64_t src);          /* a copy of src with one reference; 0 when none left */
void frame_ref(uint64_t pa);                /* one more reference */
void frame_unref(uint64_t pa);              /* one less; the frame is free at zero */
int frame_refs(uint64_t pa);
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
};
extern struct counters cnt;

/* ---- swapdev.c: the swap disk (its requests are in pager.h) ---- */
uint64_t swap_slots(void);                 /* slots of the swap disk; 0: no swap (yet) */
void swap_frames(uint64_t pa[2]);          /* the two frames the swap path holds (0: none) */
int swap_io(bool write, uint64_t slot, uint64_t pa, void (*done)(void *arg, long result), void *arg);
