/* A pager policy: the decisions the pager's mechanism leaves open. A policy
   is one file in servers/pager/policies/ that fills a struct policy and ends
   with POLICY(its struct); the build links it with the mechanism into its own
   pager binary (build/servers/pager/<name>.elf; `scons run PAGER=<name>`).
   The victim choice is pure code: the host tests and the paging simulator
   (tools/pagesim) run the same file against a simulated mechanism.

   Frames are named by their index (0 .. nframes-1). The mechanism tells the
   policy which frames hold pages it may evict (insert/remove) and asks it
   for victims; it never evicts a page the policy has not been told about
   (servers and the pages of I/O in flight are never inserted). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NO_FRAME UINT32_MAX

/* What the mechanism offers a policy. */
struct policy_env {
    uint32_t nframes;                     /* frame indices run 0 .. nframes-1 */
    /* Whether any mapping of frame was used since the last call; clears the
       accessed bits it read (never the dirty bits). */
    bool (*accessed)(uint32_t frame);
    /* Zeroed memory for the policy's own state, for the pager's lifetime;
       NULL when there is none left. Only during init. */
    void *(*alloc)(size_t bytes);
};

struct policy {
    const char *name;
    /* Set up the policy's state. Returns 0, or -1 when env->alloc failed
       (the pager then does not start). Called once, before any other hook;
       *env stays valid for the pager's lifetime. */
    int (*init)(const struct policy_env *env);
    /* frame now holds an evictable page. key names the page (the same page
       has the same key when it comes back after an eviction), so that a
       policy may remember pages it evicted. */
    void (*insert)(uint32_t frame, uint64_t key);
    /* frame no longer holds an evictable page: evicted (evicted true), or
       freed or pinned for I/O. Only for inserted frames. */
    void (*remove)(uint32_t frame, bool evicted);
    /* The frame to evict next among those inserted, or NO_FRAME when none
       is. It stays inserted: the mechanism calls remove when it evicts it.
       When it cannot (the page is busy) it asks again, and the policy must
       then offer the others before this one again. */
    uint32_t (*victim)(void);
    /* Optional (NULL: none): periodic work between evictions (ageing).
       The pager's loop calls it after taking a message when at least 100 ms
       (rdtime) went by since the last call and fewer than a quarter of the
       frames are free: never while memory is plentiful (nothing will be
       evicted soon, so there is nothing to age, and the work would only
       delay faults), never while the pager sleeps waiting for a message,
       and once (not once per 100 ms missed) after a long sleep. It may
       call env->accessed; it must not take long (the message waits): a
       bounded amount of work. */
    void (*tick)(void);
    /* On a fault that resolves, also map up to this many following pages of
       the same region (at most MAP_BATCH_MAX, not past the 2 MiB of the
       faulting page's page table) that need no I/O and no new frame: file,
       program and shared-file pages already in memory (0: only the faulting
       page). Stops at the first page that has an entry or needs more.
       Reported in PG_STAT (POLICY_AROUND_SHIFT) and vmstat (fault_around). */
    unsigned fault_around;
    /* Map every page of a region when it is created or exec'd, instead of
       on first touch. */
    bool eager;
    /* true: sbrk and mmap fail with ENOMEM once the memory promised to
       tasks would exceed RAM plus swap; false: overcommit (a task may
       reserve more than it touches; out of memory kills a task then). */
    bool strict;
};

/* The one policy of this pager binary (not in host builds, which link
   several policies into one program and name them directly). */
#ifdef POLICY_HOST
#define POLICY(p)
#else
#define POLICY(p) const struct policy *const the_policy = &(p);
#endif
extern const struct policy *const the_policy;
