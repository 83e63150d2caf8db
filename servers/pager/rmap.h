/* Reverse map: for each frame of the user pool, every (address space, virtual
   page) that maps it -- shared file pages, copy-on-write siblings, shared
   anonymous memory -- so that a frame can be unmapped everywhere before it is
   reused (eviction, swap).

   Frames are numbered like frametab.h numbers them: frame i is the page at
   pool_base + i * 4096, 0 <= i < nframes. Address spaces are small integers
   0 <= as < nas (the caller's process slots). A virtual page maps at most one
   frame, so a mapping is named by (as, va) alone and rmap_add refuses a second
   frame for the same (as, va).

   Storage: one caller-provided buffer (rmap_bytes tells its size) holds a
   fixed pool of entries with a free list, a list head and a count per frame,
   a list head per address space, and a hash table on (as, va). Each entry is
   on three lists: its frame's (doubly linked), its address space's (doubly
   linked) and its hash bucket's (singly linked). Links are entry indices, not
   pointers. Nothing is allocated after rmap_init; a full pool is -ENOMEM for
   the caller, never a panic.

   Cost: add, remove, move and lookup are O(1) expected (one hash bucket,
   whose mean length is at most 1: there are at least as many buckets as
   entries); count is O(1); iterating a frame is O(its mappings); remove_as is
   O(the address space's mappings). The hash is fixed, so a task that picks
   its addresses to collide can put all of its mappings in one bucket: an
   operation that lands in that bucket then costs O(that task's mappings),
   nothing worse.

   Pure module: no libc, no allocation, not thread safe (the pager is single
   threaded). Errors are the negated errno numbers of abi/abi.def. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMAP_NIL       0xffffffffu   /* "no entry" in every link */
#define RMAP_MAX       0x7fffffffu   /* limit on nframes, nas and nentries */
#define RMAP_PAGE      4096ULL

struct rmap_entry {
    uint64_t va;                     /* page aligned */
    uint32_t frame;                  /* RMAP_NIL while on the free list */
    uint32_t as;
    uint32_t fprev, fnext;           /* the frame's list */
    uint32_t aprev, anext;           /* the address space's list */
    uint32_t hnext;                  /* hash chain; the free list's link when free */
    uint32_t pad;
};

struct rmap {
    struct rmap_entry *e;            /* e[nentries] */
    uint32_t *fhead;                 /* fhead[nframes]: first entry of each frame */
    uint32_t *fcount;                /* fcount[nframes]: mappings of each frame */
    uint32_t *ahead;                 /* ahead[nas]: first entry of each address space */
    uint32_t *bucket;                /* bucket[nbuckets]: first entry of each hash chain */
    uint32_t nframes, nas, nentries;
    uint32_t nbuckets;               /* a power of two, >= nentries */
    uint32_t hash_shift;             /* 64 - log2(nbuckets) */
    uint32_t free;                   /* first free entry */
    uint32_t used;                   /* entries in use */
};

/* An iteration over one frame's mappings (rmap_iter_*). */
struct rmap_iter {
    uint32_t next;                   /* entry to return next, or RMAP_NIL */
};

/* Errors of rmap_check (all negative, not errno numbers). */
enum {
    RMAP_EFREE = -1,     /* free list wrong: a used entry on it, a cycle or a wrong length */
    RMAP_EFRAME = -2,    /* a frame list with wrong links, count or members */
    RMAP_EAS = -3,       /* an address-space list with wrong links or members */
    RMAP_EHASH = -4,     /* an entry in the wrong bucket, missing from it, or twice */
    RMAP_ECOUNT = -5,    /* used differs from the entries on the frame lists */
};

/* Bytes of buffer rmap_init needs for these limits; 0 if a limit is 0 or
   above RMAP_MAX. */
size_t rmap_bytes(uint32_t nframes, uint32_t nas, uint32_t nentries);

/* Set m up with no mappings over buf (8-byte aligned, at least
   rmap_bytes(nframes, nas, nentries) bytes). Returns 0, or -EINVAL if a limit
   is 0 or above RMAP_MAX, buf is misaligned or len is too small (m unchanged). */
int rmap_init(struct rmap *m, void *buf, size_t len,
              uint32_t nframes, uint32_t nas, uint32_t nentries);

/* Record that address space as maps frame at va. Returns 0; -EINVAL if frame
   or as is out of range or va is not page aligned; -EEXIST if (as, va) is
   already recorded (at any frame); -ENOMEM if the pool is full. On an error
   nothing changed. */
int rmap_add(struct rmap *m, uint32_t frame, uint32_t as, uint64_t va);

/* Forget that as maps frame at va. Returns 0; -EINVAL on bad arguments (as
   rmap_add); -ENOENT if (as, va) is not recorded at that frame (nothing
   changed; a mapping of (as, va) at another frame stays). */
int rmap_remove(struct rmap *m, uint32_t frame, uint32_t as, uint64_t va);

/* Move the mapping (as, va) from frame from to frame to (a copy-on-write
   break). Needs no new entry, so it never fails for lack of room. Returns 0;
   -EINVAL on bad arguments; -ENOENT if (as, va) is not recorded at from.
   On an error nothing changed. */
int rmap_move(struct rmap *m, uint32_t from, uint32_t to, uint32_t as, uint64_t va);

/* The frame (as, va) is recorded at; -EINVAL on bad arguments, -ENOENT if
   none. */
int rmap_lookup(const struct rmap *m, uint32_t as, uint64_t va);

/* Number of mappings of frame; 0 for a frame out of range. */
uint32_t rmap_count(const struct rmap *m, uint32_t frame);

/* Forget every mapping of address space as (exit). Returns how many were
   removed; -EINVAL if as is out of range. */
int rmap_remove_as(struct rmap *m, uint32_t as);

/* Entries left in the pool. */
uint32_t rmap_free(const struct rmap *m);

/* Start an iteration over frame's mappings (in no particular order); a frame
   out of range has none. */
void rmap_iter_init(const struct rmap *m, uint32_t frame, struct rmap_iter *it);

/* The next mapping in *as and *va; false when there is none left. Between two
   calls the caller may remove (rmap_remove or rmap_move) the mapping just
   returned, and change other frames and the mappings already returned, but
   not remove or move mappings of this frame not yet returned. Mappings added
   to the frame meanwhile may or may not be returned. */
bool rmap_iter_next(const struct rmap *m, struct rmap_iter *it, uint32_t *as, uint64_t *va);

/* Call fn(arg, as, va) for each mapping of frame, with the rules of
   rmap_iter_next (fn may remove the mapping it is given). Stops at the first
   nonzero result of fn and returns it; 0 after the last mapping. */
int rmap_foreach(struct rmap *m, uint32_t frame,
                 int (*fn)(void *arg, uint32_t as, uint64_t va), void *arg);

/* Verify every invariant (free list, the three kinds of lists, counts).
   Returns 0 if they hold, else one of the RMAP_E* codes. O(nentries +
   nframes + nas + nbuckets); for tests and debugging. */
int rmap_check(const struct rmap *m);
