/* ASIDs (satp's address-space identifiers), handed out by generation.

   Pure module: depends only on <stdint.h>, <stddef.h>, <stdbool.h>
   (tests/host/test_asid.c runs it on the host against a model).

   Every address space keeps one tag, generation << 16 | ASID (0: none
   yet). A tag of the current generation owns its ASID: no other live
   space holds that ASID in this generation. When a space needs an ASID
   and none is free, the generation rolls over: every ASID is free
   again and every older tag is stale (its space gets a new ASID at its
   next switch). Entries of older generations may linger in any hart's
   TLB, so every hart does one full local flush before it next uses
   an ASID (asid_switch says when). ASID 0 is never handed out while
   there are others (the kernel's own page table runs under it).

   Invariant: no hart ever runs address space X with ASID n while its
   TLB may hold entries that another address space left under ASID n.
   It holds when the caller, for every hart h:
    - calls asid_switch(h) every time h loads a space's page table into
      satp (not while it stays loaded), puts the ASID it returns in satp,
      and executes sfence.vma zero, zero before running the space when
      *flush says so;
    - before asid_free(tag) of a space no hart runs any more, flushes
      the tag's ASID (sfence.vma zero, asid) on every hart (none while
      the tag is 0).
   Remote flushes of a space X's mappings (unmap, write-protect): a
   hart that is running X may run it under an ASID of an older
   generation (it has not switched since the rollover), so on a hart
   running X flush the ASID in that hart's satp; on every hart flush the
   ASID of X's tag (none while it is 0). tests/host/test_asid.c checks
   this rule too. (Entries of older generations on harts not running
   X are never used: those harts flush fully at their next switch.)

   Generations are 48 bits: 2^48 rollovers before the tag would wrap. */

#pragma once

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ASID_MAXBITS  16                    /* satp.ASID of Sv39 is 16 bits */
#define ASID_MAX      (1u << ASID_MAXBITS)
#define ASID_MAXHARTS 16                    /* harts whose flushes are tracked */
#define ASID_TAG(gen, asid) ((uint64_t)(gen) << ASID_MAXBITS | (asid))

struct asids {
    uint32_t nasids;                  /* 1 << bits: ASIDs 0 .. nasids - 1 */
    uint32_t next;                    /* where the next search for a free ASID begins */
    uint32_t nharts;                  /* harts tracked (<= ASID_MAXHARTS) */
    uint64_t gen;                     /* the current generation, from 1 */
    uint64_t flushed[ASID_MAXHARTS];  /* per hart: the generation its TLB was last fully flushed for */
    uint64_t used[ASID_MAX / 64];     /* bit n: ASID n is some space's in generation gen */
};

/* Set a up for bits ASID bits (as probed from satp: 0..16; more count
   as 16) and harts 0 .. nharts - 1 (at most ASID_MAXHARTS are tracked;
   see asid_switch for the others). Generation 1, every ASID free, no
   hart flushed yet (each flushes at its first switch). */
void asid_init(struct asids *a, unsigned bits, unsigned nharts);

/* hart loads into satp the page table of the address space whose tag
   is *tag (every time it loads one: asid.h above). Returns the ASID
   to put in satp: *tag's own when *tag is of the current generation,
   else a free one (never 0 while bits > 0), *tag set to it; when none
   is free, the generation rolls over first. *flush = true when the
   hart must do a full local flush (sfence.vma zero, zero) before it
   runs the space: the first time it uses an ASID of this generation
   (asid_switch then counts it as flushed). With bits 0 it returns 0,
   leaves *tag alone and says flush every time; so does it for a hart
   that is not tracked (hart >= nharts). Never fails. */
unsigned asid_switch(struct asids *a, uint64_t *tag, unsigned hart, bool *flush);

/* The address space with this tag is destroyed; no hart runs it and
   the caller has flushed the tag's ASID on every hart (asid.h above).
   Its ASID is free again when the tag is of the current generation
   (an older tag's ASID may be another space's now: left alone). */
void asid_free(struct asids *a, uint64_t tag);
