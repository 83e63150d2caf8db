/* pagesim's simulated mechanism (sim.c): a reference to a resident page sets
   its accessed bit (and dirty bit for a write); a reference to a page not
   resident is a major fault, which takes a free frame or evicts a victim (a
   dirty victim is one page written to swap) and inserts the page with its
   accessed bit set. A page read back from swap is clean until written. */
#pragma once
#include <stddef.h>
#include "frameq.h"

struct ref { uint32_t page; bool write; };
struct trace { const char *name, *what; struct ref *r; size_t n, cap; uint32_t pages; };
struct result { uint64_t faults, writes; };

/* Zeroed memory from a fixed arena (a policy's alloc); NULL when it is
   used up. sim_alloc_reset empties the arena (run_policy does, first). */
void *sim_alloc(size_t n);
void sim_alloc_reset(void);

/* trace t on `frames` frames under policy pol (exits on a policy that offers
   no resident frame). */
struct result run_policy(const struct policy *pol, const struct trace *t, uint32_t frames);
/* The same under Belady's MIN: the optimum for t. */
struct result run_min(const struct trace *t, uint32_t frames);
