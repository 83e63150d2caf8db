/* Round-robin scheduling with priorities, preemption from the SBI timer.
   The running thread is `current` and is not on a ready queue. */
#include "obj.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/vm.h"

#define NPRIO 8
#define TICKS_PER_SEC 100

struct thread *current;
static struct tqueue ready[NPRIO];
uint32_t ready_mask; /* bit p: ready queue p is not empty */
static uint64_t tick_interval;
static pte_t *active_root;
static struct ntfn *timers; /* notifications with an armed timer */

/* Instruction accounting. Every instruction retired (rdinstret) is charged to one
   bucket: the thread that entered the kernel or runs in user mode, acct_idle
   (boot, the idle loop and the interrupts it takes) or acct_ended (threads that
   ended: thread_kill moves a thread's acct there). A bucket's acct is its count
   while it is not charged, and its count minus the rdinstret of the switch to it
   while it is; so every switch adds rdinstret to one acct and subtracts it from
   another, and the accts of all buckets add up to 0 (acct_check). */
static uint64_t acct_idle;
uint64_t acct_ended;

static uint64_t *acct_of(struct thread *t)
{
    return !t ? &acct_idle : t->state == TS_DEAD ? &acct_ended : &t->acct;
}

/* The general switch: from or to may be NULL (idle), and from may have died in
   this kernel entry (it is still dead_thread then). */
static void acct_charge(struct thread *from, struct thread *to)
{
    uint64_t now = rdinstret();
    *acct_of(from) += now;
    *acct_of(to) -= now;
}

/* t's instructions so far; charged is the thread being charged (the caller of a system call). */
uint64_t acct_count(struct thread *t, struct thread *charged)
{
    return t == charged ? t->acct + rdinstret() : t->acct;
}

/* At shutdown, in a system call of `charged`: print the totals. A count lost on the
   way (a freed thread's, a switch that charged one side only) breaks the sum, and
   a switch that charged the wrong thread leaves a count above rdinstret (or below
   0): both are kernel bugs. */
void acct_check(struct thread *charged)
{
    uint64_t now = rdinstret(), n, max;
    uint64_t live = threads_acct(charged, &n, &max);
    kprintf("kernel: instructions retired %lu: %lu threads %lu, ended threads %lu, idle %lu\n",
            now, n, live + now, acct_ended, acct_idle);
    if (live + acct_ended + acct_idle != 0 || max > now || acct_ended > now || acct_idle > now)
        panic("acct_check: the instruction counts do not add up");
}

void user_return(struct regs *r) __attribute__((noreturn));

void sched_ready(struct thread *t)
{
    t->state = TS_RUNNING;
    if (t == current || t->on_ready)
        return;
    tq_push(&ready[t->prio], t);
    t->on_ready = 1;
    ready_mask |= 1u << t->prio;
}

void sched_unready(struct thread *t)
{
    if (!t->on_ready)
        return;
    struct tqueue *q = &ready[t->prio];
    tq_remove(q, t);
    t->on_ready = 0;
    if (!q->head)
        ready_mask &= ~(1u << t->prio);
}

/* Run t next; the current thread, if still runnable, goes back on its ready queue. */
void sched_switch(struct thread *t)
{
    if (current && current != t && current->state == TS_RUNNING) {
        struct thread *c = current;
        current = NULL;
        sched_ready(c);
    }
    sched_unready(t);
    t->state = TS_RUNNING;
    current = t;
}

static struct thread *pick(void)
{
    if (!ready_mask)
        return NULL;
    int p = NPRIO - 1;
    while (!(ready_mask & (1u << p)))
        p--;
    struct thread *t = ready[p].head;
    sched_unready(t);
    return t;
}

/* Program the next timer interrupt: the next tick or the earliest user timer. */
static void timer_arm(void)
{
    uint64_t when = rdtime() + tick_interval;
    for (struct ntfn *n = timers; n; n = n->timer_next)
        if (n->deadline < when)
            when = n->deadline;
    sbi_set_timer(when);
}

/* Arm (or with when == 0, disarm) the one timer of notification n. */
void timer_set(struct ntfn *n, uint64_t bits, uint64_t when)
{
    for (struct ntfn **p = &timers; *p; p = &(*p)->timer_next) {
        if (*p == n) {
            *p = n->timer_next;
            break;
        }
    }
    n->deadline = when;
    n->timer_bits = bits;
    if (when) {
        n->timer_next = timers;
        timers = n;
    }
    timer_arm();
}

/* Notify every notification whose timer has expired. */
static void timers_fire(void)
{
    uint64_t now = rdtime();
    for (struct ntfn **p = &timers; *p;) {
        struct ntfn *n = *p;
        if (n->deadline <= now) {
            *p = n->timer_next;
            n->deadline = 0;
            ntfn_notify(n, n->timer_bits);
        } else {
            p = &n->timer_next;
        }
    }
}

void sched_init(uint64_t timebase_hz)
{
    tick_interval = timebase_hz / TICKS_PER_SEC;
    csr_set(sie, SIE_STIE | SIE_SEIE);
    timer_arm();
}

/* Timer interrupt: rearm; the current thread goes to the back of its queue. */
void sched_tick(void)
{
    timers_fire();
    timer_arm();
    if (current && current->state == TS_RUNNING) {
        struct thread *c = current;
        current = NULL;
        sched_ready(c);
    }
}

/* Nothing can run: wait for an interrupt with interrupts masked, and handle it here. */
static __attribute__((noinline)) void idle(void)
{
    while (!ready_mask) {
        wfi();
        uint64_t sip = csr_read(sip);
        if (sip & (1UL << IRQ_S_TIMER)) {
            timers_fire();
            timer_arm();
        }
        if (sip & (1UL << IRQ_S_EXT))
            irq_handle();
    }
}

/* Leave the kernel into thread t (runnable, not queued). No thread may have died
   in this kernel entry (dead_thread is NULL: switch_to frees it first). */
void sched_run(struct thread *t)
{
    current = t;
    pte_t *root = t->as->root;
    if (root != active_root) {
        active_root = root;
        pt_activate(root);
    }
    user_return(&t->regs);
}

/* Leave the kernel into t; from (NULL: idle) is charged until here, t from here on. */
static __attribute__((noreturn)) void switch_to(struct thread *from, struct thread *t)
{
    if (from != t)
        acct_charge(from, t); /* before the reap: from may be dead_thread */
    current = t;
    if (dead_thread)
        thread_reap();
    if ((csr_read(sstatus) & SSTATUS_FS) | t->fs)
        fp_install(t); /* some FP state is live or wanted */
    sched_run(t);
}

/* Leave the kernel: resume current if it can run, otherwise the best ready thread. */
void schedule(struct thread *from)
{
    struct thread *t = current;
    if (t && t->state == TS_RUNNING) {
        if (!ready_above(t->prio))
            switch_to(from, t);
        current = NULL; /* a higher priority woke up: t waits its turn */
        sched_ready(t);
    }
    current = NULL; /* blocked or dead: a wake-up must queue it */
    t = pick();
    if (!t) {
        acct_charge(from, NULL);
        idle();
        t = pick();
        from = NULL;
    }
    switch_to(from, t);
}

/* The address space whose tables are live may be freed: forget it. */
void sched_forget_root(pte_t *root)
{
    if (active_root == root) {
        active_root = NULL;
        pt_activate_kernel();
    }
}
