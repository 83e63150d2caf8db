/* Queues of frames for policies: doubly linked, circular, threaded through
   two arrays indexed by frame, so insert, remove and rotate are O(1) and a
   frame is on at most one queue of a set sharing the arrays. Pure code. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "policy.h"

struct frameq_links {
    uint32_t *next, *prev;       /* per frame; NO_FRAME when not queued */
    uint8_t *owner;              /* per frame: which queue holds it (0: none) */
};

struct frameq {
    struct frameq_links *l;
    uint8_t id;                  /* this queue's owner mark, 1..255 */
    uint32_t head;               /* the oldest frame, NO_FRAME when empty */
    uint32_t count;
    uint32_t hand;               /* where frameq_sweep goes on: a frame on q, NO_FRAME: the oldest */
};

/* Links for n frames from alloc (zeroed memory). Returns 0, or -1 when
   alloc fails. */
int frameq_links_init(struct frameq_links *l, uint32_t n, void *(*alloc)(size_t));
void frameq_init(struct frameq *q, struct frameq_links *l, uint8_t id);
bool frameq_has(const struct frameq *q, uint32_t f);
void frameq_push(struct frameq *q, uint32_t f);   /* f (on no queue) becomes the newest */
void frameq_del(struct frameq *q, uint32_t f);    /* f (on q) leaves it */
uint32_t frameq_pop(struct frameq *q);           /* takes the oldest off; NO_FRAME when empty */
void frameq_rotate(struct frameq *q);             /* the oldest becomes the newest */
/* Second chance: from the oldest on, a frame used since the last look
   (accessed) goes to the back with its bit cleared, the first one not used
   is the answer; after a whole turn, the oldest. The answer goes to the back
   too (offered once per turn). NO_FRAME when q is empty. */
uint32_t frameq_second_chance(struct frameq *q, bool (*accessed)(uint32_t));
/* Ageing between evictions: look at up to max frames (at most q's count),
   going on from where the last sweep stopped (the oldest at first): a frame
   used since the last look (accessed, which clears its bit) goes to the
   back, one that was not stays where it is. Evicts nothing. */
void frameq_sweep(struct frameq *q, uint32_t max, bool (*accessed)(uint32_t));

/* The policies that keep every inserted frame on one queue in the order it
   came in (clock, fifo, eager) share this one: hooks for struct policy. */
int oneq_init(const struct policy_env *e);       /* 0, or -1 when e->alloc fails */
void oneq_insert(uint32_t f, uint64_t key);
void oneq_remove(uint32_t f, bool evicted);
uint32_t oneq_second_chance(void);               /* frameq_second_chance over the queue */
uint32_t oneq_oldest(void);                      /* the oldest, which goes to the back */
#define ONEQ_SWEEP 256                           /* frames oneq_tick looks at */
void oneq_tick(void);                            /* frameq_sweep of ONEQ_SWEEP frames over the queue */
