/* A request's context: what the loop (main.c) hands down with each fault or
   request it handles, and with each parked request it handles again. Lower
   layers answer, save the reply cap and say what they wait for through it;
   nothing about a request is kept in globals. Needs only sys.h. */
#pragma once
#include "sys.h"

struct proc;
struct vnode;

/* What a fault or request that needs a file page (or a lookup) not there yet
   waits for: the layer that asks the file server says so here and returns
   -EAGAIN; the request is parked on it. */
struct vm_wait { struct vnode *v; uint64_t idx; };
/* Waits of the memory layers (v NULL): for free frames, for a swap slot's read. */
#define WAIT_MEM (1UL << 61)
#define WAIT_SWAP (1UL << 60)     /* | the slot */
/* Set by a caller that starts no I/O (v NULL): a file page not in the cache
   says -EAGAIN at once, asking the file server for nothing (eager populate). */
#define WAIT_NOIO (1UL << 59)

struct req {
    struct proc *p;              /* the sender */
    struct msg *m;               /* its message */
    struct msg *reply;           /* the answer, when the handler says "now" */
    long slot;                   /* handled again: its saved reply cap (0 once used); 0: the pending reply */
    struct vm_wait wait;         /* set with -EAGAIN: what it waits for */
    bool waited;                 /* a copy to or from its memory met a file page not read yet */
};

/* The reply cap of the request, to answer later: its saved cap when it is
   handled again (given away: the context forgets it), else the pending reply
   saved now. Returns a cap slot or -errno. */
static inline long req_take_reply(struct req *rq)
{
    if (rq->slot) {
        long s = rq->slot;
        rq->slot = 0;
        return s;
    }
    return sys_reply_save();
}

/* Answer the request now with r: through its saved cap when it is handled
   again (the handler then returns false: nothing is left to answer), else
   the pending reply. */
static inline void req_reply(struct req *rq, struct msg *r)
{
    if (rq->slot) {
        sys_send(rq->slot, r);
        rq->slot = 0;
    } else {
        sys_reply(0, r);
    }
}
