/* The IPC fast paths: call to a waiting receiver, and reply-and-receive when no
   sender is queued. They move the message register to register and switch
   straight to the partner; every other case branches away to the general path
   (trap_user), which handles it completely. The thread that entered the kernel
   (t) is charged for the instructions until the switch (acct_switch). When
   neither t nor the partner has FS on (t's FS is the live one), is stopped or
   is pinned to a hart (one word of each: slow_switch), the switch is nothing
   more; otherwise sched_run_slow does the rest. */
#include "obj.h"

void trap_user(struct regs *r) __attribute__((noreturn));

/* The ways out, declared here under other names without noreturn: GCC never
   turns a call of a noreturn function into a jump, and the frame it keeps for
   one costs two instructions a path. None of them returns. */
void general(struct regs *r) __asm__("trap_user");     /* the general path */
void run(struct thread *t) __asm__("sched_run");        /* sched_run */
void run_slow(struct thread *t) __asm__("sched_run_slow"); /* sched_run_slow */

static inline void copy_msg(struct thread *from, struct thread *to, uint64_t badge)
{
    const uint64_t *s = &from->regs.x[RI_A0];
    uint64_t *d = &to->regs.x[RI_A0];
    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3];
    d[4] = s[4]; d[5] = s[5]; d[6] = s[6];
    to->regs.x[RI_T0] = badge;
}

static inline struct endpoint *ep_of(struct thread *t, bool recv)
{
    uint64_t slot = t->regs.x[RI_T0];
    if (slot >= t->as->ncaps)
        return NULL;
    struct cap *c = &t->as->caps[slot];
    return c->type == CAP_ENDPOINT && (!recv || c->recv) ? c->obj : NULL;
}

/* call: a receiver waits on the endpoint and owes nobody a reply. */
void fastpath_call(struct thread *t)
{
    struct endpoint *ep = ep_of(t, false);
    struct thread *r;
    if (!ep || !(r = ep->receivers.head) || r->reply_to || (r->prio < t->prio && ready_above(r->prio))) {
        general(&t->regs);
        return;
    }
    tq_remove(&ep->receivers, r);
    r->blocked_ep = NULL;
    copy_msg(t, r, t->as->caps[t->regs.x[RI_T0]].badge);
    t->regs.x[RI_PC] += 4;
    t->state = TS_REPLY;
    r->reply_to = t;
    t->reply_holder = &r->reply_to;
    r->state = TS_RUNNING;
    acct_switch(t);
    if (t->slow_switch | r->slow_switch)
        run_slow(r); /* FP state changes hands, or the partner may not run here */
    else
        run(r);
}

/* A page fault while the pager waits for work: the fault message goes straight
   into the pager's registers and the pager runs. */
void fastpath_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t scause)
{
    struct endpoint *ep = t->fault_ep;
    struct thread *r;
    if (!ep || !(r = ep->receivers.head) || r->reply_to || ready_above(r->prio) || t->map_failed)
        return;
    tq_remove(&ep->receivers, r);
    r->blocked_ep = NULL;
    uint64_t *d = &r->regs.x[RI_A0];
    d[0] = MSG_FAULT;
    d[1] = addr;
    d[2] = access;
    d[3] = t->regs.x[RI_PC];
    d[4] = scause;
    d[5] = 0;
    d[6] = t->tid;
    r->regs.x[RI_T0] = t->fault_badge | BADGE_FAULT;
    t->fault_msg[5] = 0;
    t->ipc_fault = 1;
    t->state = TS_REPLY;
    r->reply_to = t;
    t->reply_holder = &r->reply_to;
    r->state = TS_RUNNING;
    acct_switch(t);
    if (t->slow_switch | r->slow_switch)
        run_slow(r); /* FP state changes hands, or the partner may not run here */
    else
        run(r);
}

/* The end of replyrecv: t answered c and now waits on ep; c runs. */
static inline void replied(struct thread *t, struct endpoint *ep, struct thread *c)
{
    t->reply_to = NULL;
    c->reply_holder = NULL;
    c->state = TS_RUNNING;
    t->regs.x[RI_PC] += 4;
    t->state = TS_RECV;
    t->blocked_ep = ep;
    tq_push(&ep->receivers, t);
    acct_switch(t);
}

/* replyrecv answering a fault (c->ipc_fault): only a FAULT_MAP that maps goes
   on here. Apart, so that the ordinary reply needs no stack frame; called as
   replied_fault, whose body GCC cannot see (else it learns that this never
   returns and calls it with a frame). */
void fastpath_replied_fault(struct thread *t, struct endpoint *ep, struct thread *c);
void replied_fault(struct thread *t, struct endpoint *ep, struct thread *c) __asm__("fastpath_replied_fault");

void fastpath_replied_fault(struct thread *t, struct endpoint *ep, struct thread *c)
{
    uint64_t *x = t->regs.x;
    if (x[RI_A0] != MSG_FAULT_MAP || mem_map(t->as, (long)x[RI_A4], c->as, x[RI_A1], x[RI_A2], x[RI_A3]) < 0)
        trap_user(&t->regs); /* the general path answers (and notes a failed map) */
    c->ipc_fault = 0;
    replied(t, ep, c);
    if (t->slow_switch | c->slow_switch)
        sched_run_slow(c);
    sched_run(c);
}

/* replyrecv: the caller waits for an ordinary reply, or for a fault answer that
   maps a page (the map happens here, in the same kernel entry); no sender is queued. */
void fastpath_replyrecv(struct thread *t)
{
    struct endpoint *ep = ep_of(t, true);
    struct thread *c = t->reply_to;
    if (!ep || !c || ep->senders.head || ready_above(c->prio) || (t->bound_ntfn && t->bound_ntfn->bits)) {
        general(&t->regs);
        return;
    }
    if (c->ipc_fault) {
        replied_fault(t, ep, c);
        return;
    }
    copy_msg(t, c, 0);
    replied(t, ep, c);
    if (t->slow_switch | c->slow_switch)
        run_slow(c); /* FP state changes hands, or the partner may not run here */
    else
        run(c);
}
