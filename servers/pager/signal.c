/* Signals: each process's actions, mask and pending set, process groups and
   the console's foreground group (Ctrl-C), and delivery. A caught signal is
   delivered by changing the thread's registers (thread_regs, a kernel call only
   the pager can make, as it alone holds user threads' caps): its registers go
   in a frame on its stack and it resumes at the C library's signal entry, which
   calls the handler and returns through PG_SIGRETURN. A signal is sent at
   once (kill, a child's end, Ctrl-C, a fault) but delivered from the loop
   (signal_run), after the answer of the message at hand: the receiver is then
   never in the middle of a request of ours. docs/design.md, "Signals". */
#include "pager.h"

#define BIT(sig) (1UL << (sig))
#define UNCATCHABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define MASKABLE ((BIT(NSIG) - 1) & ~UNCATCHABLE & ~1UL) /* signals 1..NSIG-1 but those */
/* stopping is not implemented: these are refused (kill says EINVAL) */
#define STOPS (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))
/* ignored unless caught; every other signal's default action ends the process */
#define DEFAULT_IGNORED (BIT(SIGCHLD) | BIT(SIGURG) | BIT(SIGWINCH) | BIT(SIGCONT))

bool signal_pending_work; /* some process may have a signal to deliver (the loop looks) */
static long fg_pgid;    /* the console's foreground process group (0: none) */
static long fg_by;      /* the process that made it so: Ctrl-C reaches only members it may act on */
static unsigned long sends; /* signals made pending so far (signal_run) */

static bool valid(long sig)
{
    return sig > 0 && sig < (long)NSIG && !(BIT(sig) & STOPS);
}

/* Send sig to t (a live process): SIGKILL ends it now; an ignored one is
   dropped; any other waits in its pending set for signal_run. */
void signal_send(struct proc *t, int sig)
{
    if (t->state != P_RUN || !valid(sig))
        return;
    uint64_t b = BIT(sig);
    if (sig == SIGKILL) {
        proc_exit(t, WAIT_KILLED, SIGKILL);
        return;
    }
    if ((t->sig_ignore & b) || (!(t->sig_catch & b) && (DEFAULT_IGNORED & b)))
        return;
    t->sig_pending |= b;
    signal_pending_work = true;
    sends++;
}

/* End the requests of p we keep an answer for that may wait for long (wait,
   a pipe or console read or write): they return -EINTR (a write the part
   it did). File and swap I/O are not interrupted: they end soon. */
static void interrupt(struct proc *p)
{
    if (p->wait_slot) {
        struct msg m = { .label = 0, .w = { -EINTR } };
        sys_send(p->wait_slot, &m);
        p->wait_slot = 0;
    }
    fd_interrupt(p);
}

/* Write the frame for sig (registers r, the mask to restore) below r's sp
   on p's stack; *sp is where. Returns 0, -EAGAIN (a stack page must wait
   for memory or I/O: try later), -EFAULT (no stack there) or -ENOMEM. */
static long write_frame(struct proc *p, int sig, const uint64_t r[REGS_WORDS], uint64_t *sp)
{
    uint64_t f[SF_WORDS] = { 0 };
    memcpy(f, r, REGS_WORDS * 8);
    f[SF_MASK] = p->sig_mask;
    f[SF_SIGNO] = (uint64_t)sig;
    *sp = (r[2] - sizeof f) & ~15UL;
    if (r[2] < sizeof f)
        return -EFAULT;
    struct req own = { .p = p };
    long e = copy_out(&own, &p->vm, *sp, f, sizeof f);
    return e >= 0 ? 0 : own.waited ? -EAGAIN : e == -ENOMEM ? -ENOMEM : -EFAULT;
}

/* Let p's thread run again after a thread_regs with REGS_HOLD (any call without
   REGS_HOLD does; a SET that succeeded did already). */
static void release(struct proc *p)
{
    uint64_t r[REGS_WORDS];
    sys_thread_regs(p->thread_slot, (long)r, REGS_GET);
}

/* Start p's thread (ready, registers r) in its signal entry for sig, with the
   frame at sp; sig and the handler's mask are blocked meanwhile. Returns 0
   or -errno (the thread was not ready). */
static long start_handler(struct proc *p, int sig, const uint64_t r[REGS_WORDS], uint64_t sp)
{
    uint64_t regs[REGS_WORDS];
    memcpy(regs, r, sizeof regs);
    regs[0] = p->sig_entry;
    regs[1] = 0;              /* ra */
    regs[2] = sp;
    regs[10] = (uint64_t)sig; /* a0 */
    regs[11] = sp;            /* a1 */
    long e = sys_thread_regs(p->thread_slot, (long)regs, REGS_SET);
    if (e < 0)
        return e;
    p->sig_mask |= p->sig_amask[sig] | BIT(sig);
    return 0;
}

/* p cannot take sig's frame (err from write_frame): it ends with SIGSEGV. */
static void bad_stack(struct proc *p, int sig, uint64_t sp, long err)
{
    printf("pid %ld (%s): signal %d: %s for its frame at sp %p\n", p->pid, p->name, sig,
           err == -ENOMEM ? "no memory" : "no stack", (void *)sp);
    proc_exit(p, WAIT_KILLED, SIGSEGV);
}

/* Deliver caught signal sig to p. The frame is written once before anything
   is interrupted (so a stack page that must be waited for interrupts
   nothing), then again with the registers the interruption left. Returns
   false when it must wait (p is in a call or fault of ours, or its stack
   page is on its way). */
static bool deliver_one(struct proc *p, int sig)
{
    uint64_t r[REGS_WORDS], sp;
    long st = sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_HOLD);
    p->sig_held = false; /* every way out below ends its hold (SET or release) */
    bool ours = p->wait_slot || p->blocked_slot; /* calls of ours we may end */
    if (st < 0 || st == THREAD_FAULT || (st == THREAD_CALL && !ours)) {
        release(p);
        return false;
    }
    long e = write_frame(p, sig, r, &sp);
    if (e == -EAGAIN) {
        release(p);
        return false;
    }
    p->sig_pending &= ~BIT(sig);
    if (e < 0) {
        release(p);
        bad_stack(p, sig, r[2], e);
        return true;
    }
    interrupt(p);
    st = sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_INTERRUPT | REGS_HOLD);
    if ((st != THREAD_READY && st != THREAD_INTERRUPTED) || write_frame(p, sig, r, &sp) < 0 ||
        start_handler(p, sig, r, sp) < 0) {
        release(p);
        p->sig_pending |= BIT(sig); /* should not happen: try again later */
    }
    return !(p->sig_pending & BIT(sig));
}

/* Deliver p's pending signals that are not blocked while it can take them.
   Returns false when one must wait. */
static bool deliver(struct proc *p)
{
    uint64_t ready;
    while (p->state == P_RUN && (ready = p->sig_pending & ~p->sig_mask) != 0) {
        int sig = 1;
        while (!(ready & BIT(sig)))
            sig++;
        uint64_t b = BIT(sig);
        if (p->sig_catch & b) {
            if (!deliver_one(p, sig))
                return false;
            continue;
        }
        p->sig_pending &= ~b;
        if (!(DEFAULT_IGNORED & b) && !(p->sig_ignore & b))
            proc_exit(p, WAIT_KILLED, sig);
    }
    return true;
}

/* Deliver what can be delivered (the loop, after each answer). A process
   that ends meanwhile sends SIGCHLD to a parent the pass may have passed
   already: passes repeat while they send signals (each such pass ended a
   process, so this ends). */
void signal_run(void)
{
    for (;;) {
        unsigned long before = sends;
        bool waiting = false;
        for (struct proc *p = proc_first(); p; p = proc_next(p)) {
            if (p->state == P_RUN && (p->sig_pending & ~p->sig_mask) && !deliver(p))
                waiting = true;
            if (p->state == P_RUN && p->sig_held) {
                p->sig_held = false; /* nothing was delivered to it after all */
                release(p);
            }
        }
        if (sends == before) {
            signal_pending_work = waiting;
            return;
        }
    }
}

/* A fault the fault path cannot resolve would end p with sig: if p catches
   sig (and does not block it), answer the fault so the thread can be moved,
   and deliver sig now. Returns true when delivered (the fault is answered),
   false to go on and end p. */
bool signal_fault(struct req *rq, int sig)
{
    struct proc *p = rq->p;
    uint64_t bit = BIT(sig), r[REGS_WORDS], sp;
    if (!(p->sig_catch & bit) || (p->sig_mask & bit))
        return false;
    struct msg resume = { .label = MSG_FAULT_RESUME };
    sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_HOLD); /* it does not run before the SET */
    req_reply(rq, &resume); /* ready again, at the faulting instruction */
    if (sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_HOLD) != THREAD_READY) {
        release(p);
        return true; /* it faults again, and we come back here */
    }
    long e = write_frame(p, sig, r, &sp);
    if (e == 0)
        e = start_handler(p, sig, r, sp);
    if (e < 0)
        release(p);
    if (e == -EFAULT || e == -ENOMEM)
        bad_stack(p, sig, r[2], e);
    return true; /* -EAGAIN: it faults again once its stack page is in */
}

/* ---- requests ---- */

/* The sender p made a signal deliverable to itself (raise, or sigprocmask
   unblocking one), or p is about to get the answer to a call of ours with a
   signal waiting (signal_hold): it is delivered before the call returns. On several harts
   the answer would let the thread run at once, so it is held from here until
   signal_run has delivered (deliver_one's SET or release), or found nothing
   to deliver (it lets it go), or the process ended. */
static void hold(struct proc *p)
{
    uint64_t r[REGS_WORDS];
    if (!p->sig_held && sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_HOLD) >= 0)
        p->sig_held = true;
}

void signal_hold(struct proc *p)
{
    if (p->state == P_RUN && (p->sig_pending & ~p->sig_mask))
        hold(p);
}

/* PG_KILL: w0 pid (the rule checked it is the sender or its descendant, or
   the sender holds RIGHT_PROCS), w1 the signal. Returns 0 or -EINVAL. */
long signal_kill(struct req *rq)
{
    long sig = rq->m->w[1];
    if (sig != 0 && !valid(sig))
        return -EINVAL;
    struct proc *t = proc_find(rq->m->w[0]);
    if (sig)
        signal_send(t, (int)sig);
    if (t == rq->p && t->state == P_RUN && (t->sig_pending & ~t->sig_mask & BIT(sig)))
        hold(t); /* raise: it is delivered before the call returns */
    return 0;
}

/* PG_KILLPG: w1 to every member of group w0 the sender may act on. Returns 0,
   -ESRCH (no member), -EPERM (none the sender may act on), -EINVAL. */
long signal_killpg(struct req *rq)
{
    long pg = rq->m->w[0], sig = rq->m->w[1];
    if (pg <= 0 || (sig != 0 && !valid(sig)))
        return -EINVAL;
    long r = -ESRCH;
    for (struct proc *t = proc_first(); t; t = proc_next(t)) {
        if (t->state != P_RUN || t->pgid != pg)
            continue;
        if (!proc_may_act_on(rq->p, t)) {
            if (r == -ESRCH)
                r = -EPERM;
            continue;
        }
        r = 0;
        if (sig)
            signal_send(t, (int)sig);
    }
    return r;
}

/* PG_SIGACTION: w0 signal, w1 action (-1: none, only ask), w2 mask, w3 the
   signal entry. Returns the old action, or -EINVAL (SIGKILL, SIGSTOP, a bad
   signal or action). */
long signal_action(struct req *rq)
{
    struct proc *p = rq->p;
    long sig = rq->m->w[0], act = rq->m->w[1];
    if (sig <= 0 || sig >= (long)NSIG || (BIT(sig) & UNCATCHABLE) || act < -1 || act > (long)SIGACT_CATCH ||
        (act == (long)SIGACT_CATCH && (uint64_t)rq->m->w[3] >= USER_LIMIT))
        return -EINVAL;
    uint64_t b = BIT(sig);
    long old = p->sig_catch & b ? (long)SIGACT_CATCH : p->sig_ignore & b ? (long)SIGACT_IGNORE : (long)SIGACT_DEFAULT;
    if (act == -1)
        return old;
    p->sig_catch &= ~b;
    p->sig_ignore &= ~b;
    if (act == (long)SIGACT_CATCH) {
        p->sig_catch |= b;
        p->sig_amask[sig] = (uint64_t)rq->m->w[2] & MASKABLE;
        p->sig_entry = (uint64_t)rq->m->w[3];
    } else if (act == (long)SIGACT_IGNORE) {
        p->sig_ignore |= b;
        p->sig_pending &= ~b; /* POSIX: a pending signal set to be ignored is dropped */
    }
    return old;
}

/* PG_SIGMASK: w0 how, w1 set. Returns the old mask; w1 of the reply the
   pending signals (sigpending). -EINVAL for a bad how. */
long signal_mask(struct req *rq)
{
    struct proc *p = rq->p;
    uint64_t set = (uint64_t)rq->m->w[1] & MASKABLE, old = p->sig_mask;
    switch (rq->m->w[0]) {
    case SIG_BLOCK: p->sig_mask |= set; break;
    case SIG_UNBLOCK: p->sig_mask &= ~set; break;
    case SIG_SETMASK: p->sig_mask = set; break;
    default: return -EINVAL;
    }
    if (p->sig_pending & ~p->sig_mask) {
        signal_pending_work = true;
        hold(p); /* POSIX: one of them is delivered before sigprocmask returns */
    }
    rq->reply->w[1] = (long)p->sig_pending;
    return (long)old;
}

/* PG_SIGRETURN: the handler is done; the registers and mask of frame w0 come
   back. Returns false (no answer: the thread resumes where the frame says),
   or true with -EFAULT for a frame it cannot read. */
bool signal_return(struct req *rq)
{
    struct proc *p = rq->p;
    uint64_t f[SF_WORDS];
    if (copy_in(rq, &p->vm, f, (uint64_t)rq->m->w[0], sizeof f) < 0) {
        rq->reply->w[0] = -EFAULT;
        return true;
    }
    struct msg done = { .label = 0 };
    uint64_t r[REGS_WORDS];
    sys_thread_regs(p->thread_slot, (long)r, REGS_GET | REGS_HOLD); /* it does not run before the SET */
    req_reply(rq, &done); /* ready, so that its registers can be set */
    if (sys_thread_regs(p->thread_slot, (long)f, REGS_SET) < 0) {
        release(p);
        printf("pager: sigreturn of pid %ld: its registers could not be set\n", p->pid);
    }
    p->sig_mask = f[SF_MASK] & MASKABLE;
    if (p->sig_pending & ~p->sig_mask)
        signal_pending_work = true;
    return false;
}

/* PG_SETPGID: w0 pid (the rule checked the sender may act on it), w1 the
   group: 0 or pid (a new group led by pid), or a group with a member (still
   running or not yet waited for) that the sender may act on or that is a
   sibling of pid (a pipeline's stages join its first). Returns 0, -EPERM
   (no such group), -EINVAL. */
long signal_setpgid(struct req *rq)
{
    struct proc *t = proc_find(rq->m->w[0]);
    long pg = rq->m->w[1] ? rq->m->w[1] : t->pid;
    if (pg < 0)
        return -EINVAL;
    if (pg != t->pid) {
        struct proc *q = proc_first();
        while (q && !(q->pgid == pg && (proc_may_act_on(rq->p, q) || q->parent == t->parent)))
            q = proc_next(q);
        if (!q)
            return -EPERM;
    }
    t->pgid = pg;
    return 0;
}

/* PG_GETPGID: w0 pid, 0 the sender. Returns its group or -ESRCH. */
long signal_getpgid(struct req *rq)
{
    struct proc *t = rq->m->w[0] ? proc_find(rq->m->w[0]) : rq->p;
    return t && t->state == P_RUN ? t->pgid : -ESRCH;
}

/* PG_TCPGRP: w0 the group to become the console's foreground (-1: leave it).
   Only a process with the console open may change it, to a group that has
   a member it may act on; Ctrl-C then reaches only the members it may act
   on (a group can hold others' processes). Returns the foreground group, -ENOTTY (the sender
   has no console), -EPERM. */
long signal_tcpgrp(struct req *rq)
{
    long pg = rq->m->w[0];
    if (pg == -1)
        return fg_pgid;
    if (!fd_has_console(rq->p))
        return -ENOTTY;
    for (struct proc *t = proc_first(); t; t = proc_next(t)) {
        if (t->pgid == pg && proc_may_act_on(rq->p, t)) {
            fg_pgid = pg;
            fg_by = rq->p->pid;
            return pg;
        }
    }
    return -EPERM;
}

/* Ctrl-C at the console: SIGINT to the foreground group's members that
   the process which made it the foreground may act on. */
void signal_console_interrupt(void)
{
    struct proc *by = proc_find(fg_by);
    if (!fg_pgid || !by || by->state != P_RUN)
        return;
    for (struct proc *t = proc_first(); t; t = proc_next(t))
        if (t->state == P_RUN && t->pgid == fg_pgid && proc_may_act_on(by, t))
            signal_send(t, SIGINT);
}

/* ---- processes ---- */

/* fork: the child has the parent's actions, mask and group, nothing pending. */
void signal_fork(struct proc *c, const struct proc *parent)
{
    c->sig_catch = parent->sig_catch;
    c->sig_ignore = parent->sig_ignore;
    c->sig_mask = parent->sig_mask;
    c->sig_entry = parent->sig_entry;
    memcpy(c->sig_amask, parent->sig_amask, sizeof c->sig_amask);
    c->pgid = parent->pgid;
}

/* exec: caught signals go back to their default (the handlers are gone);
   ignored ones, the mask and pending ones stay. */
void signal_exec(struct proc *p)
{
    p->sig_catch = 0;
    p->sig_entry = 0;
}
