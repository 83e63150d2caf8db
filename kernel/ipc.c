/* Synchronous IPC on endpoints, notifications, and fault delivery.
   A message is a label and six words, carried in a0..a6; the receiver also gets
   the sender's badge in t0. Nothing here allocates or copies beyond registers. */
#include "obj.h"

/* Copy the message of `from` (its registers, or its fault message) into `to`. */
static void transfer(struct thread *from, struct thread *to, uint64_t badge)
{
    const uint64_t *src = from->ipc_fault ? from->fault_msg : &from->regs.x[RI_A0];
    uint64_t *dst = &to->regs.x[RI_A0];
    for (int i = 0; i < 7; i++)
        dst[i] = src[i];
    to->regs.x[RI_T0] = badge;
}

/* The caller of a pending reply will never get it: a call fails with -EDEAD
   (a7 = IPC_FAILED, as for every IPC error), a fault is simply taken again. */
void ipc_abort_reply(struct thread *caller)
{
    caller->reply_holder = NULL;
    if (caller->ipc_fault) {
        caller->ipc_fault = 0;
    } else {
        caller->regs.x[RI_A0] = (uint64_t)-EDEAD;
        caller->regs.x[RI_A7] = IPC_FAILED;
    }
    sched_ready(caller);
}

/* server now owes caller a reply. */
static void set_reply(struct thread *server, struct thread *caller)
{
    if (server->reply_to)
        ipc_abort_reply(server->reply_to);
    server->reply_to = caller;
    caller->reply_holder = &server->reply_to;
    caller->state = TS_REPLY;
}

/* Send from t on ep. With a receiver waiting the message moves at once (and a
   call switches straight to the receiver); otherwise t queues, or gets -EAGAIN. */
static long ep_send(struct thread *t, struct endpoint *ep, uint64_t badge, bool call, bool block)
{
    struct thread *r = ep->receivers.head;
    if (r) {
        tq_remove(&ep->receivers, r);
        r->blocked_ep = NULL;
        transfer(t, r, badge);
        if (call) {
            set_reply(r, t);
            sched_switch(r);
        } else {
            t->regs.x[RI_A0] = 0;
            sched_ready(r);
        }
        return 0;
    }
    if (!block)
        return -EAGAIN;
    t->state = TS_SEND;
    t->ipc_call = call;
    t->send_badge = badge;
    t->blocked_ep = ep;
    tq_push(&ep->senders, t);
    return 0;
}

static void deliver_reply(struct thread *from, struct thread *caller);

/* send/call/nbsend through cap c. Returns 0 or a negative error for the sender. */
long ipc_send(struct thread *t, struct cap *c, bool call, bool block)
{
    if (c->type == CAP_REPLY) {
        struct thread *caller = c->obj;
        c->obj = NULL;
        cap_clear(c);
        if (!caller)
            return -EDEAD;
        caller->reply_holder = NULL;
        deliver_reply(t, caller);
        t->regs.x[RI_A0] = 0;
        return 0;
    }
    return ep_send(t, c->obj, c->badge, call, block);
}

/* Receive on endpoint cap c: take a queued sender's message or block. */
/* A bound notification with bits pending is received as a NOTIFY message,
   badged BADGE_FAULT (the kernel's own bit: no task can send it). */
static bool take_bound(struct thread *t)
{
    struct ntfn *n = t->bound_ntfn;
    if (!n || !n->bits)
        return false;
    t->regs.x[RI_A0] = MSG_NOTIFY;
    t->regs.x[RI_A1] = n->bits;
    t->regs.x[RI_T0] = BADGE_FAULT; /* kernel-sent: no task can forge it */
    n->bits = 0;
    return true;
}

long ipc_recv(struct thread *t, struct cap *c)
{
    struct endpoint *ep = c->obj;
    if (take_bound(t))
        return 0;
    struct thread *s = ep->senders.head;
    if (s) {
        tq_remove(&ep->senders, s);
        s->blocked_ep = NULL;
        transfer(s, t, s->send_badge);
        if (s->ipc_call || s->ipc_fault) {
            set_reply(t, s);
        } else {
            s->regs.x[RI_A0] = 0;
            sched_ready(s);
        }
        return 0;
    }
    t->state = TS_RECV;
    t->blocked_ep = ep;
    tq_push(&ep->receivers, t);
    return 0;
}

/* Map for a FAULT_MAP reply: words va, pa, perms, mem slot of the replier. */
static long fault_map(struct thread *from, struct thread *caller)
{
    uint64_t *w = &from->regs.x[RI_A1];
    return mem_map(from->as, (long)w[3], caller->as, w[0], w[1], w[2]);
}

/* The FAULT_* flags that tell the next fault of caller how its last map went (r). */
static uint8_t map_fail_flags(struct thread *caller, long r)
{
    if (r >= 0)
        return 0;
    return FAULT_MAPFAIL | (r == -ENOMEM && caller->as->ptq.refused ? FAULT_PTQUOTA : 0);
}

static void deliver_reply(struct thread *from, struct thread *caller)
{
    if (!caller->ipc_fault) {
        transfer(from, caller, 0);
        sched_ready(caller);
        return;
    }
    caller->ipc_fault = 0;
    switch (from->regs.x[RI_A0]) {
    case MSG_FAULT_MAP:
        /* If the map fails the thread faults again, and the pager hears why. */
        caller->map_failed = map_fail_flags(caller, fault_map(from, caller));
        sched_ready(caller);
        return;
    case MSG_FAULT_RESUME:
        sched_ready(caller);
        return;
    case MSG_FAULT_EFAULT:
        if (!(caller->fault_msg[5] & FAULT_SYSCALL)) { /* only a system call can fail */
            thread_kill(caller);
            return;
        }
        caller->regs.x[RI_A0] = (uint64_t)-EFAULT;
        caller->regs.x[RI_PC] += 4; /* the system call is over */
        sched_ready(caller);
        return;
    default: /* MSG_FAULT_KILL and anything unknown */
        thread_kill(caller);
        return;
    }
}

/* Reply to the caller t owes a reply to, if any. Returns 0. */
long ipc_reply(struct thread *t)
{
    struct thread *caller = t->reply_to;
    if (!caller)
        return 0;
    t->reply_to = NULL;
    caller->reply_holder = NULL;
    deliver_reply(t, caller);
    return 0;
}

/* t faulted: send the fault to its pager as a call and block until the answer. */
void ipc_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t scause, uint64_t flags)
{
    if (!t->fault_ep) {
        kprintf("kernel: thread %lu faulted (scause %lu at %p, pc %p) and has no pager; stopped\n",
                t->tid, scause, (void *)addr, (void *)t->regs.x[RI_PC]);
        thread_kill(t);
        return;
    }
    uint64_t *m = t->fault_msg;
    m[0] = MSG_FAULT;
    m[1] = addr;
    m[2] = access;
    m[3] = t->regs.x[RI_PC];
    m[4] = scause;
    m[5] = flags | t->map_failed;
    m[6] = t->tid;
    t->map_failed = 0;
    t->ipc_fault = 1;
    ep_send(t, t->fault_ep, t->fault_badge | BADGE_FAULT, true, true);
}

long ntfn_notify(struct ntfn *n, uint64_t bits)
{
    n->bits |= bits;
    struct thread *w = n->waiter;
    if (w && n->bits) {
        n->waiter = NULL;
        w->blocked_ntfn = NULL;
        w->regs.x[RI_A0] = n->bits;
        n->bits = 0;
        sched_ready(w);
    } else if (n->bound && n->bound->state == TS_RECV && n->bits) {
        struct thread *b = n->bound;
        tq_remove(&b->blocked_ep->receivers, b);
        b->blocked_ep = NULL;
        take_bound(b);
        sched_ready(b);
    }
    return 0;
}

/* Bind n to t (or unbind when n is NULL). Returns 0 or -EBUSY if either is bound elsewhere. */
long ntfn_bind(struct thread *t, struct ntfn *n)
{
    if (!n) {
        if (t->bound_ntfn)
            t->bound_ntfn->bound = NULL;
        t->bound_ntfn = NULL;
        return 0;
    }
    if (t->bound_ntfn || n->bound)
        return -EBUSY;
    t->bound_ntfn = n;
    n->bound = t;
    n->holders++;
    return 0;
}

/* Returns the pending bits at once, or blocks t (the bits arrive in its a0). */
long ntfn_wait(struct thread *t, struct ntfn *n)
{
    if (n->bits) {
        long b = (long)n->bits;
        n->bits = 0;
        t->regs.x[RI_A0] = b;
        return 0;
    }
    if (n->waiter)
        return -EBUSY;
    n->waiter = t;
    t->blocked_ntfn = n;
    t->state = TS_NTFN;
    return 0;
}

/* Take t off the endpoint queue or notification it waits on (TS_SEND, TS_RECV,
   TS_NTFN). Returns false for any other state (nothing done). */
static bool unqueue(struct thread *t)
{
    switch (t->state) {
    case TS_SEND:
        tq_remove(&t->blocked_ep->senders, t);
        break;
    case TS_RECV:
        tq_remove(&t->blocked_ep->receivers, t);
        break;
    case TS_NTFN:
        t->blocked_ntfn->waiter = NULL;
        break;
    default:
        return false;
    }
    t->blocked_ep = NULL;
    t->blocked_ntfn = NULL;
    return true;
}

/* Undo every IPC relation of t (it is about to die). */
void ipc_cancel(struct thread *t)
{
    if (!unqueue(t) && t->state == TS_REPLY && t->reply_holder)
        *t->reply_holder = NULL;
    t->blocked_ep = NULL;
    t->blocked_ntfn = NULL;
    t->reply_holder = NULL;
    if (t->bound_ntfn) {
        struct ntfn *n = t->bound_ntfn;
        ntfn_bind(t, NULL);
        ntfn_put(n);
    }
    sched_unready(t);
    if (t->reply_to) {
        struct thread *c = t->reply_to;
        t->reply_to = NULL;
        ipc_abort_reply(c);
    }
}

static bool is_ipc_call(uint64_t nr)
{
    return nr == SYS_SEND || nr == SYS_RECV || nr == SYS_CALL || nr == SYS_REPLY || nr == SYS_REPLYRECV ||
           nr == SYS_NBSEND;
}

/* Where t stands, for thread_regs (THREAD_*). With interrupt, a blocking
   system call t is in (a send no receiver has taken yet, a receive, a
   notification wait) is ended first: it returns -EINTR (a7 = IPC_FAILED for
   an IPC call, as for any failed one) and t is ready. A call waiting for its
   answer and a fault are never interrupted: their receiver holds the request.
   Nor is a send to t's own pager (its fault endpoint) not taken yet: the pager
   is the one asking, and takes it in turn (on several harts a task may call
   while the pager works for another; a wait for a child that has ended must
   not say -EINTR because the child's SIGCHLD came first). */
int ipc_interrupt(struct thread *t, bool interrupt)
{
    if (t->state == TS_RUNNING)
        return THREAD_READY;
    if (t->ipc_fault)
        return THREAD_FAULT;
    if (t->state == TS_REPLY || (t->state == TS_SEND && t->blocked_ep == t->fault_ep))
        return THREAD_CALL;
    if (!interrupt || !unqueue(t))
        return THREAD_BLOCKED;
    t->regs.x[RI_A0] = (uint64_t)-EINTR;
    if (is_ipc_call(t->regs.x[RI_A7]))
        t->regs.x[RI_A7] = IPC_FAILED;
    sched_ready(t);
    return THREAD_INTERRUPTED;
}
