/* twoq: 2Q (Johnson and Shasha, VLDB 1994), adapted to accessed bits. A page
   seen for the first time waits on a short FIFO queue, `in`; when it is
   evicted from there its key is remembered on a ghost queue, `out`. A page
   that faults again while remembered has proved it is reused and joins the
   main queue, `main`, which is managed by second chance like clock. Victims
   come from `in` while it holds more than a quarter of the resident pages
   (or `main` is empty), else from `main`. A one-time scan therefore only
   cycles through `in` and never pushes the hot set out of `main`: this is
   the policy that beats clock on a hot set plus a scan.

   A fault also maps up to 15 following pages of a file or program region
   that are in memory already (fault_around, 64 KiB in all as Linux's
   default): a sequential reader of a cached file or program takes one
   fault per 16 pages instead of one per page. It costs no I/O and no
   frame, only page-table entries the task may never use; a scan over a
   cached file is the pattern 2Q is for, so this policy is the one that
   tries it (clock, the default, keeps its fault path as it was). */
#include "frameq.h"

#define Q_IN 1
#define Q_MAIN 2

static const struct policy_env *env;
static struct frameq_links links;
static struct frameq in, mainq;
static uint64_t *key_of;        /* per frame: the key of its page */

/* The ghost queue: the keys of the last `gsize` pages evicted from `in`, in
   a ring, with a chained hash for lookup. Entry i is ring slot i. */
static uint32_t gsize, gnext;   /* ring size; the slot written next */
static uint64_t *gkey;
static uint8_t *gused;
static uint32_t *gchain, *gbucket, gmask;

static uint32_t ghash(uint64_t key)
{
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ULL;
    return (uint32_t)(key >> 32) & gmask;
}

/* The slot remembering key, or NO_FRAME. */
static uint32_t ghost_find(uint64_t key)
{
    for (uint32_t i = gbucket[ghash(key)]; i != NO_FRAME; i = gchain[i])
        if (gkey[i] == key)
            return i;
    return NO_FRAME;
}

static void ghost_drop(uint32_t slot)
{
    uint32_t *p = &gbucket[ghash(gkey[slot])];
    while (*p != slot)
        p = &gchain[*p];
    *p = gchain[slot];
    gused[slot] = 0;
}

/* Remember key, forgetting the oldest when the ring is full. */
static void ghost_add(uint64_t key)
{
    uint32_t slot = gnext;
    gnext = (gnext + 1) % gsize;
    if (gused[slot])
        ghost_drop(slot);
    gkey[slot] = key;
    gused[slot] = 1;
    uint32_t h = ghash(key);
    gchain[slot] = gbucket[h];
    gbucket[h] = slot;
}

static int twoq_init(const struct policy_env *e)
{
    env = e;
    gsize = e->nframes / 2 ? e->nframes / 2 : 1;
    gnext = 0;
    uint32_t nb = 1;
    while (nb < gsize)
        nb <<= 1;
    gmask = nb - 1;
    frameq_init(&in, &links, Q_IN);
    frameq_init(&mainq, &links, Q_MAIN);
    key_of = e->alloc(e->nframes * sizeof *key_of);
    gkey = e->alloc(gsize * sizeof *gkey);
    gused = e->alloc(gsize);
    gchain = e->alloc(gsize * sizeof *gchain);
    gbucket = e->alloc(nb * sizeof *gbucket);
    if (frameq_links_init(&links, e->nframes, e->alloc) < 0 || !key_of || !gkey || !gused || !gchain || !gbucket)
        return -1;
    for (uint32_t i = 0; i < nb; i++)
        gbucket[i] = NO_FRAME;
    return 0;
}

static void twoq_insert(uint32_t f, uint64_t key)
{
    key_of[f] = key;
    uint32_t g = ghost_find(key);
    if (g != NO_FRAME) {
        ghost_drop(g);
        frameq_push(&mainq, f);
    } else {
        frameq_push(&in, f);
    }
}

static void twoq_remove(uint32_t f, bool evicted)
{
    if (frameq_has(&in, f)) {
        frameq_del(&in, f);
        if (evicted)
            ghost_add(key_of[f]);
    } else {
        frameq_del(&mainq, f);
    }
}

static uint32_t twoq_victim(void)
{
    if (in.count && (mainq.count == 0 || in.count > (in.count + mainq.count) / 4)) {
        uint32_t f = in.head;
        frameq_rotate(&in);
        return f;
    }
    return frameq_second_chance(&mainq, env->accessed);
}

const struct policy twoq_policy = {
    .name = "twoq", .init = twoq_init, .insert = twoq_insert, .remove = twoq_remove,
    .victim = twoq_victim, .fault_around = 15,
};
POLICY(twoq_policy)
