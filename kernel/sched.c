/* Scheduling on every hart: one set of ready queues shared by all harts (round
   robin within a priority, the highest first), preemption from each hart's SBI
   timer, and software interrupts (SBI IPIs) that make another hart look at the
   queues again. A hart's running thread is its `current` and is on no ready queue.

   The big kernel lock: a hart holds kernel_lock from the moment trap_vector has
   saved the user registers until user_return lets them go again (entry.S), and
   while it runs kernel code at all, except in idle() and sched_stop(), which let
   it go while they wait. So every kernel object is touched by one hart at a time;
   what another hart may read without the lock is named where it is read. */
#include "obj.h"
#include "asid.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/vm.h"

#define NPRIO 8
#define TICKS_PER_SEC 100

struct hart harts[NHARTS_MAX];
uint32_t nharts = 1;
volatile uint64_t kernel_lock_word; /* 0, or its holder's struct hart (| 1: wake the sleepers at release) */
static volatile uint32_t lock_sleepers; /* bit i: harts[i] sleeps until a release wakes it */
static struct tqueue ready[NPRIO];
uint32_t ready_mask; /* bit p: ready queue p is not empty */
static uint64_t tick_interval;
static struct ntfn *timers; /* notifications with an armed timer */

/* How a hart waits for another: asleep in wfi, not spinning, so that under
   QEMU's -icount (which runs the harts in turn) the holder gets the time. A
   sleeper sets its bit in lock_sleepers and then sets bit 0 of the lock word;
   a release that finds the word other than its holder's own value (bit 0, or
   a failed take that wrote its hart there: entry.S) calls lock_wake, which
   interrupts every sleeper. While it sleeps a hart enables only the software
   interrupt, and it puts one back afterwards if a real one was sent to it
   (ipi_sent), since waking clears it. */

/* Interrupt the sleeping harts (a release found the lock word marked). */
void lock_wake(void)
{
    uint32_t s = __atomic_load_n(&lock_sleepers, __ATOMIC_SEQ_CST);
    uint64_t mask = 0;
    for (uint32_t i = 0; i < nharts; i++)
        if (s >> i & 1)
            mask |= 1UL << harts[i].hartid;
    if (mask)
        sbi_send_ipi(mask);
}

/* Remote TLB flushes. Only the lock holder asks for one (remote_flush), and it
   keeps the lock until every hart asked has done it; so each hart has one
   request slot, and a hart that is asked is never holding the lock: it is in
   user mode (the interrupt brings it into the kernel), or on its way in or out,
   or waiting for the lock. Every one of those reaches lock_sleep, which does
   the flush (flush_answer) and wakes the asker. The asker sleeps meanwhile
   instead of spinning (SBI's own remote fence spins in the firmware, and under
   -icount that spin keeps the hart it waits for from running at all). */
static uint64_t flush_asker; /* the SBI hart mask of the hart waiting in remote_flush */

/* Do the flush asked of this hart, if any, and tell the asker. */
static void flush_answer(struct hart *h)
{
    if (!__atomic_load_n(&h->flush_req, __ATOMIC_ACQUIRE))
        return;
    uint64_t va = h->flush_va, size = h->flush_size, asid = h->flush_asid;
    if (asid != (uint64_t)-1)
        sfence_vma_asid(asid);
    else if (size == (uint64_t)-1)
        sfence_vma();
    else
        for (uint64_t a = va; a - va < size; a += PGSIZE)
            sfence_vma_va(a);
    uint64_t asker = flush_asker;
    __atomic_store_n(&h->flush_req, 0, __ATOMIC_SEQ_CST);
    sbi_send_ipi(asker);
}

/* Sleep until a release wakes this hart, or done(arg) holds (checked after the
   hart is a sleeper, so that no wake-up is missed); then take the lock, unless
   take is false. Any software interrupt wakes it (a release's, a flush's
   answer, a flush asked of it). Returns with sie as it found it, and the
   software interrupt pending again if a real one was sent meanwhile. */
static void lock_sleep(bool take, bool (*done)(void *), void *arg)
{
    struct hart *h = this_hart();
    uint64_t me = (uint64_t)h, sie = csr_read(sie);
    uint32_t bit = 1U << h->index;
    csr_write(sie, SIE_SSIE);
    for (;;) {
        flush_answer(h);
        __atomic_fetch_or(&lock_sleepers, bit, __ATOMIC_SEQ_CST);
        if (done && done(arg))
            break;
        uint64_t old = __atomic_load_n(&kernel_lock_word, __ATOMIC_SEQ_CST);
        if (take && !old) {
            __atomic_fetch_and(&lock_sleepers, ~bit, __ATOMIC_SEQ_CST);
            uint64_t want = me | (__atomic_load_n(&lock_sleepers, __ATOMIC_SEQ_CST) ? 1 : 0);
            if (__atomic_compare_exchange_n(&kernel_lock_word, &old, want, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                break;
            continue;
        }
        if (!take || (old & 1) ||
            __atomic_compare_exchange_n(&kernel_lock_word, &old, old | 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            wfi();
            csr_clear(sip, SIP_SSIP);
        }
    }
    __atomic_fetch_and(&lock_sleepers, ~bit, __ATOMIC_SEQ_CST);
    csr_write(sie, sie);
    if (h->ipi_sent)
        csr_set(sip, SIP_SSIP); /* waking took it */
}

/* Have the harts in *mask all done the flush asked of them? */
static bool flushed(void *mask)
{
    for (uint32_t i = 0; i < nharts; i++)
        if ((*(uint64_t *)mask >> i & 1) && __atomic_load_n(&harts[i].flush_req, __ATOMIC_SEQ_CST))
            return false;
    return true;
}

/* Flush [va, va + size) (size -1: all) with asid (-1: every ASID) from the TLBs
   of the harts in mask (bit i: harts[i]); returns once they have. The caller
   holds the lock. */
static void remote_flush(uint64_t mask, uint64_t va, uint64_t size, uint64_t asid)
{
    uint64_t ids = 0;
    flush_asker = 1UL << this_hart()->hartid;
    for (uint32_t i = 0; i < nharts; i++) {
        if (mask >> i & 1) {
            struct hart *h = &harts[i];
            h->flush_va = va;
            h->flush_size = size;
            h->flush_asid = asid;
            __atomic_store_n(&h->flush_req, 1, __ATOMIC_SEQ_CST);
            ids |= 1UL << h->hartid;
        }
    }
    sbi_send_ipi(ids);
    lock_sleep(false, flushed, &mask);
}

/* Take the big kernel lock after entry.S's one try failed (a0, the trap frame,
   is kept there). */
void kernel_lock_slow(void)
{
    lock_sleep(true, NULL, NULL);
}

/* Take the big kernel lock (entry.S takes it inline, with the same first try). */
void kernel_lock(void)
{
    if (__atomic_exchange_n(&kernel_lock_word, (uint64_t)this_hart(), __ATOMIC_ACQUIRE))
        kernel_lock_slow();
}

void kernel_unlock(void)
{
    if (__atomic_exchange_n(&kernel_lock_word, 0, __ATOMIC_SEQ_CST) != (uint64_t)this_hart())
        lock_wake();
}

/* Instruction accounting. Every instruction a hart retires (rdinstret) is
   charged to one bucket: the thread that entered the kernel or runs in user
   mode, acct_idle (boot, the idle loop and the interrupts it takes) or
   acct_ended (threads that ended: thread_kill moves a thread's acct there).
   Each hart remembers the rdinstret of its last charge (acct_start); a charge
   adds what it retired since to one bucket. So the buckets add up to what the
   harts retired until their last charges (acct_check). */
static uint64_t acct_idle;
uint64_t acct_ended;

static uint64_t *acct_of(struct thread *t)
{
    return !t ? &acct_idle : t->state == TS_DEAD ? &acct_ended : &t->acct;
}

/* Charge this hart's instructions since its last charge to from (NULL: idle;
   from may have died in this kernel entry: it is still dead_thread then). */
static void acct_charge(struct thread *from)
{
    struct hart *h = this_hart();
    uint64_t now = rdinstret();
    *acct_of(from) += now - h->acct_start;
    h->acct_start = now;
}

/* t's instructions so far; charged is the thread being charged on this hart
   (the caller of a system call). A thread running on another hart is counted
   up to that hart's last charge. */
uint64_t acct_count(struct thread *t, struct thread *charged)
{
    return t == charged ? t->acct + rdinstret() - this_hart()->acct_start : t->acct;
}

/* What the harts retired up to their last charges: what the buckets add up to. */
static uint64_t acct_charged(void)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < nharts; i++)
        total += harts[i].acct_start - harts[i].instret0;
    return total;
}

uint64_t acct_total(void)
{
    return acct_charged() + rdinstret() - this_hart()->acct_start;
}

/* At shutdown, in a system call of `charged`: print the totals. A count lost on
   the way (a freed thread's, a charge to nobody) breaks the sum, and a charge to
   the wrong thread can leave a count above the total: both are kernel bugs. */
void acct_check(struct thread *charged)
{
    uint64_t total = acct_charged(), n, max;
    uint64_t live = threads_acct(charged, &n, &max);
    uint64_t now = acct_total();
    kprintf("kernel: instructions retired %lu on %u harts: %lu threads %lu, ended threads %lu, idle %lu\n",
            now, nharts, n, live + now - total, acct_ended, acct_idle);
    if (live + acct_ended + acct_idle != total || max > now || acct_ended > total || acct_idle > total)
        panic("acct_check: the instruction counts do not add up");
}

void user_return(struct regs *r) __attribute__((noreturn));

/* The other hart whose current thread t is, or NULL. (Reads another hart's cur:
   it changes only under the lock, or from NULL to NULL in idle.) */
static struct hart *running_elsewhere(struct thread *t)
{
    struct hart *me = this_hart();
    for (uint32_t i = 0; i < nharts; i++)
        if (&harts[i] != me && harts[i].cur == t)
            return &harts[i];
    return NULL;
}

/* May t run on hart h now (it is not being stopped, and pinned to no other)? */
static inline bool runs_here_on(const struct thread *t, const struct hart *h)
{
    return !t->stop && (!t->pin || t->pin == h->index + 1);
}

static inline bool runs_here(const struct thread *t)
{
    return runs_here_on(t, this_hart());
}

/* Interrupt hart h (it looks at the ready queues and its stop marks again). */
static void ipi(struct hart *h)
{
    if (!h->ipi_sent) {
        h->ipi_sent = 1;
        sbi_send_ipi(1UL << h->hartid);
    }
}

/* This hart took its software interrupt. */
void sched_ipi(void)
{
    csr_clear(sip, SIP_SSIP);
    this_hart()->ipi_sent = 0;
    /* A hart in sched_stop may sleep until this one has left its thread: the
       release that ends this kernel entry wakes it. */
    __atomic_fetch_or(&kernel_lock_word, 1, __ATOMIC_SEQ_CST);
}

/* t was queued: a hart that idles, or else the one running the lowest priority
   below t's, is to look at the queues now (a runnable thread never waits while
   a hart idles; priorities hold across harts). */
static void kick(struct thread *t)
{
    struct hart *me = this_hart(), *best = NULL;
    if (t->pin) {
        if (&harts[t->pin - 1] != me)
            ipi(&harts[t->pin - 1]);
        return;
    }
    for (uint32_t i = 0; i < nharts; i++) {
        struct hart *h = &harts[i];
        if (h == me)
            continue;
        if (h->idle) {
            best = h;
            break;
        }
        if (h->cur && h->cur->prio < t->prio && (!best || h->cur->prio < best->cur->prio))
            best = h;
    }
    if (best)
        ipi(best);
}

void sched_ready(struct thread *t)
{
    t->state = TS_RUNNING;
    if (t == current || t->on_ready || t->stop || (nharts > 1 && running_elsewhere(t)))
        return;
    tq_push(&ready[t->prio], t);
    t->on_ready = 1;
    ready_mask |= 1u << t->prio;
    if (nharts > 1)
        kick(t);
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
    if (!runs_here(t)) {
        sched_ready(t); /* (not queued while stopped) */
        return;
    }
    if (current && current != t && current->state == TS_RUNNING) {
        struct thread *c = current;
        current = NULL;
        sched_ready(c);
    }
    sched_unready(t);
    t->state = TS_RUNNING;
    current = t;
}

/* The first ready thread of the highest priority that may run here, or NULL. */
static struct thread *pickable(void)
{
    for (int p = NPRIO - 1; p >= 0; p--)
        if (ready_mask & (1u << p))
            for (struct thread *t = ready[p].head; t; t = t->qnext)
                if (runs_here(t))
                    return t;
    return NULL;
}

static struct thread *pick(void)
{
    struct thread *t = ready_mask ? pickable() : NULL;
    if (t)
        sched_unready(t);
    return t;
}

/* Does `as` (t NULL) or t name thread c? */
static bool stop_match(struct thread *c, struct aspace *as, struct thread *t)
{
    return c && (t ? c == t : c->as == as);
}

struct stop_wait {
    uint64_t mask; /* the harts that ran a thread to be stopped */
    struct aspace *as;
    struct thread *t;
};

/* Have the harts in w->mask all left the threads to be stopped? (Reads their
   cur without the lock: sched_ipi makes the release after a change wake us.) */
static bool stopped(void *arg)
{
    struct stop_wait *w = arg;
    for (uint32_t i = 0; i < nharts; i++)
        if ((w->mask >> i & 1) && stop_match(*(struct thread *volatile *)&harts[i].cur, w->as, w->t))
            return false;
    return true;
}

void sched_stop(struct aspace *as, struct thread *t)
{
    if (nharts == 1)
        return; /* nothing runs while this hart is in the kernel */
    for (struct thread *c = t ? t : as->threads; c; c = t ? NULL : c->as_next) {
        c->stop = 1;
        sched_unready(c);
    }
    struct hart *me = this_hart();
    for (;;) {
        uint64_t mask = 0;
        for (uint32_t i = 0; i < nharts; i++) {
            struct hart *h = &harts[i];
            if (h != me && stop_match(h->cur, as, t)) {
                h->cur->stop = 1;
                mask |= 1UL << i;
                ipi(h);
            }
        }
        if (!mask)
            return;
        struct stop_wait w = {mask, as, t};
        kernel_unlock();
        lock_sleep(false, stopped, &w);
        kernel_lock();
    }
}

void sched_resume(struct thread *t)
{
    if (!t->stop)
        return;
    t->stop = 0;
    if (t->state == TS_RUNNING && t != current)
        sched_ready(t);
}

/* Program this hart's next timer interrupt: the next tick or the earliest user timer. */
static void timer_arm(void)
{
    uint64_t when = rdtime() + tick_interval;
    for (struct ntfn *n = timers; n; n = n->timer_next)
        if (n->deadline < when)
            when = n->deadline;
    sbi_set_timer(when);
}

/* Arm (or with when == 0, disarm) the one timer of notification n. Any hart
   fires it: this one arms its timer for it, the others find it at their ticks. */
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
    sched_init_hart();
}

void sched_init_hart(void)
{
    csr_set(sie, SIE_STIE | SIE_SEIE | SIE_SSIE);
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

/* Nothing can run: wait for an interrupt with interrupts masked, and handle it
   here. On several harts the lock is let go while the hart waits, and the hart
   first leaves its address space and saves the FP registers it holds, so that
   the harts that go on may change or free both. */
static __attribute__((noinline)) void idle(void)
{
    struct hart *h = this_hart();
    if (nharts > 1) {
        fp_park();
        if (h->active_root) {
            h->active_root = NULL;
            pt_activate_kernel();
        }
        h->idle = 1;
    }
    while (!pickable()) {
        if (nharts > 1) {
            kernel_unlock();
            wfi();
            kernel_lock();
        } else {
            wfi();
        }
        uint64_t sip = csr_read(sip);
        if (sip & (1UL << IRQ_S_SOFT))
            sched_ipi();
        if (sip & (1UL << IRQ_S_TIMER)) {
            timers_fire();
            timer_arm();
        }
        if (sip & (1UL << IRQ_S_EXT))
            irq_handle();
    }
    h->idle = 0;
}

/* ASIDs. An address space keeps the satp value with its ASID (as->satp) while
   that ASID is its own (kernel/asid.h); a switch to it then writes satp and
   flushes nothing. Without an ASID of the current generation (or with no ASIDs
   at all: asid_bits 0, and as->satp stays 0) the slow path below asks for one,
   and flushes when kernel/asid.c says so. */
static struct asids asids;
static unsigned asid_bits;

void sched_asid_init(unsigned limit)
{
    asid_bits = vm_asid_bits();
    if (asid_bits > limit)
        asid_bits = limit; /* boot argument asidbits=N: fewer, to test the rollover */
    asid_init(&asids, asid_bits, nharts);
    kprintf("kernel: %u harts, %u ASIDs\n", nharts, asid_bits ? 1u << asid_bits : 0);
}

/* Load as into this hart's satp when it has no usable cached value. */
static __attribute__((noinline)) void satp_slow(struct aspace *as, struct hart *h)
{
    uint64_t gen = asids.gen;
    bool flush;
    uint64_t asid = asid_switch(&asids, &as->asid_tag, h->index, &flush);
    if (asids.gen != gen) { /* rolled over: every cached value is stale, every hart flushes */
        as_forget_satps();
        for (uint32_t i = 0; i < nharts; i++)
            harts[i].need_flush = 1;
    }
    uint64_t satp = MAKE_SATP(V2P(as->root)) | asid << SATP_ASID_SHIFT;
    if (asid_bits)
        as->satp = satp;
    csr_write(satp, satp);
    if (flush || h->need_flush) {
        sfence_vma();
        h->flush_epoch++;
        h->need_flush = 0;
    }
}

_Static_assert(NHARTS_MAX <= 8, "struct ptquota ran[] holds 8 harts");

void tlb_flushed_all(void)
{
    this_hart()->flush_epoch++;
}

/* The mask of the other harts that are up (bit i: harts[i]; one not up yet holds no
   TLB entry: secondary_entry flushes all); with q, only of those that may cache q's
   space (they loaded it since their last full flush). */
static uint64_t remote_harts(const struct ptquota *q)
{
    struct hart *me = this_hart();
    uint64_t mask = 0;
    for (uint32_t i = 0; i < nharts; i++)
        if (&harts[i] != me && harts[i].up && (!q || q->ran[i] == harts[i].flush_epoch))
            mask |= 1UL << i;
    return mask;
}

/* as is destroyed (no hart runs it): its ASID leaves every TLB, then is free. */
void sched_asid_free(struct aspace *as)
{
    if (!asid_bits || !as->asid_tag)
        return;
    uint64_t asid = as->asid_tag & (ASID_MAX - 1), others = remote_harts(NULL);
    sfence_vma_asid(asid);
    if (others)
        remote_flush(others, 0, (uint64_t)-1, asid);
    asid_free(&asids, as->asid_tag);
    as->asid_tag = 0;
    as->satp = 0;
}

/* Leave the kernel into thread t (runnable, not queued). No thread may have died
   in this kernel entry (dead_thread is NULL: switch_to frees it first). */
void sched_run(struct thread *t)
{
    struct hart *h = this_hart();
    h->cur = t;
    struct aspace *as = t->as;
    if (as->root != h->active_root) {
        h->active_root = as->root;
        *(uint64_t *)((char *)as + h->ran_off) = h->flush_epoch; /* as->ptq.ran[h->index] */
        if (as->satp && !h->need_flush)
            csr_write(satp, as->satp);
        else
            satp_slow(as, h);
    }
    user_return(&t->regs);
}

/* Leave the kernel into t; from (NULL: idle) is charged until here, t from here on. */
static __attribute__((noreturn)) void switch_to(struct thread *from, struct thread *t)
{
    if (from != t)
        acct_charge(from); /* before the reap: from may be dead_thread */
    current = t;
    if (dead_thread)
        thread_reap();
    if ((csr_read(sstatus) & SSTATUS_FS) | t->fs)
        fp_install(t); /* some FP state is live or wanted */
    sched_run(t);
}

void sched_run_slow(struct thread *t)
{
    if (!runs_here(t)) {
        struct thread *from = current; /* the thread that entered, now blocked */
        sched_ready(t); /* (not queued while stopped) */
        schedule(from);
    }
    fp_install(t);
    sched_run(t);
}

/* Pin t to hart (harts[] index; -1: any hart). A thread running on a hart it
   may no longer use leaves it at that hart's next kernel entry (an IPI makes
   one now); the caller itself leaves at its return (the system-call path
   returns straight only to a current thread). Returns 0 or -EINVAL. A thread
   pinned to a hart that has not come up waits for it. */
long sched_pin(struct thread *t, long hart)
{
    if (hart < -1 || hart >= (long)nharts)
        return -EINVAL;
    t->pin = (uint8_t)(hart + 1);
    struct hart *h = nharts > 1 ? running_elsewhere(t) : NULL;
    if (t == current && !runs_here(t)) {
        current = NULL; /* the caller itself: its return goes through schedule */
        sched_ready(t);
    } else if (h && !runs_here_on(t, h)) {
        ipi(h);
    } else if (t->on_ready) {
        kick(t);
    }
    return 0;
}

/* Leave the kernel: resume current if it can run, otherwise the best ready thread. */
void schedule(struct thread *from)
{
    struct thread *t = current;
    if (t && t->state == TS_RUNNING) {
        if (!ready_above(t->prio) && runs_here(t))
            switch_to(from, t);
        current = NULL; /* a higher priority woke up, or t is being stopped */
        sched_ready(t);
    }
    current = NULL; /* blocked or dead: a wake-up must queue it */
    t = pick();
    if (!t) {
        acct_charge(from);
        idle();
        t = pick();
        from = NULL;
    }
    switch_to(from, t);
}

/* The address space whose tables are live may be freed: forget it. No other hart
   may have them in satp (sched_stop took its threads off; idle harts left it). */
void sched_forget_root(pte_t *root)
{
    struct hart *me = this_hart();
    for (uint32_t i = 0; i < nharts; i++)
        if (&harts[i] != me && harts[i].active_root == root)
            panic("sched_forget_root: another hart still uses the tables");
    if (me->active_root == root) {
        me->active_root = NULL;
        pt_activate_kernel();
    }
}

/* Flush [va, va + npages pages) of q's address space from the TLBs of the other
   harts that may hold it: those that ran it since their last full flush (with
   ASIDs a hart keeps a space's entries after it switched away, until it flushes
   all: when it idles, or on an ASID rollover). The flush is by address for every
   ASID. Returns once they have. */
void tlb_shootdown_remote(const struct ptquota *q, uint64_t va, uint64_t npages)
{
    uint64_t mask = remote_harts(q);
    if (mask) {
        asm volatile("fence rw, rw" ::: "memory");
        remote_flush(mask, va, npages > 64 ? (uint64_t)-1 : npages * PGSIZE, (uint64_t)-1);
    }
}
