/* Reference counts for the frames of the user pool, one uint32_t per frame
   indexed by frame number, and the copy-on-write decision.

   A frame's count is the number of shadow entries and page caches that name
   it; the frame is free when its count drops to 0. The module is pure: the
   caller supplies the count array (nframes entries). Not thread safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_PAGE      4096ULL
#define FT_REF_MAX   0x7fffffff /* a count never goes above this; unreachable: every reference
                                   is a shadow entry or cache slot in pool memory */

struct frametab {
    uint32_t *ref;      /* ref[i]: count of frame base + i * FT_PAGE */
    uint64_t base;      /* physical address of frame 0 (page aligned) */
    uint64_t nframes;
    uint64_t shared;    /* frames with ref > 1 */
    uint64_t used;      /* frames with ref >= 1 */
};

/* Cover nframes frames from base_pa with every count 0. Never fails. */
void ft_init(struct frametab *t, uint32_t *ref_array, uint64_t base_pa, uint64_t nframes);

/* The current count of frame pa; -1 if pa is outside the pool or not page
   aligned. */
int ft_get(struct frametab *t, uint64_t pa);

/* Take a reference to frame pa. Returns the new count; -1 (count unchanged)
   on a bad pa or when the count is already FT_REF_MAX. */
int ft_inc(struct frametab *t, uint64_t pa);

/* Drop a reference to frame pa. Returns the new count (0: the caller frees
   the frame); -1 (count unchanged) on a bad pa or when the count was already
   0, which is a bug the caller reports. */
int ft_dec(struct frametab *t, uint64_t pa);

enum cow_action { COW_REUSE, COW_COPY };

/* A write fault on a COW page whose frame has this count: COW_REUSE (just make
   it writable) when this mapping holds the only reference (refcount == 1),
   COW_COPY otherwise -- including a bogus count (<= 0, e.g. ft_get's -1),
   since copying is always safe. */
enum cow_action cow_decide(int refcount);
