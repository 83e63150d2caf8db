/* Kernel objects: address spaces, threads, endpoints, notifications, and the
   capabilities (cap table slots) through which user tasks name them. */
#pragma once
#include "kernel.h"
#include "arch/riscv/regs.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/vm.h"
#include "hart.h"

enum cap_type {
    CAP_NULL = 0,
    CAP_ENDPOINT,     /* obj: struct endpoint; badge given to receivers */
    CAP_NTFN,         /* obj: struct ntfn; badge = bits to set on notify */
    CAP_ASPACE,       /* obj: struct aspace (never copied) */
    CAP_THREAD,       /* obj: struct thread (never copied) */
    CAP_MEMORY,       /* the right to map frames of the user pool */
    CAP_REPLY,        /* obj: the thread waiting for this one-shot reply */
    CAP_SYSCTL,       /* shutdown, console input */
    CAP_IRQCTL,       /* bind interrupts to notifications */
    CAP_DEVICE,       /* map the device registers listed in the device tree */
};

struct cap {
    uint8_t type;
    uint8_t recv;     /* endpoint: may receive (dropped when a copy is badged) */
    uint64_t badge;
    void *obj;
};

struct thread;

/* A FIFO of threads blocked on an endpoint (doubly linked through thread->qnext/qprev). */
struct tqueue {
    struct thread *head, *tail;
};

struct endpoint {
    struct tqueue senders;
    struct tqueue receivers;
    uint32_t holders; /* caps and threads (as fault endpoint) that name it */
};

struct ntfn {
    uint64_t bits;
    struct thread *waiter;
    uint32_t holders;
    uint64_t deadline;           /* armed timer: rdtime value, 0 if none */
    uint64_t timer_bits;         /* bits the timer sets */
    struct ntfn *timer_next;     /* list of armed timers */
    struct thread *bound;        /* thread whose recv also takes these bits */
};

struct aspace {
    pte_t *root;                 /* kernel virtual address of the root page table */
    uint64_t satp;               /* satp for it with its ASID; 0: to be had (sched.c) */
    uint64_t asid_tag;           /* its ASID and their generation (kernel/asid.h) */
    struct ptquota ptq;          /* its table pages below the root, and their limit (as_limit) */
    struct cap *caps;            /* ncaps slots */
    uint32_t ncaps;
    struct thread *threads;      /* list through thread->as_next */
    struct cap *owner_cap;       /* the one cap naming it, or NULL */
    struct aspace *all_next, **all_pprev; /* the list of every address space */
};

enum thread_state {
    TS_INACTIVE = 0,
    TS_RUNNING,      /* current or on a ready queue */
    TS_SEND,         /* queued on an endpoint's senders */
    TS_RECV,         /* queued on an endpoint's receivers */
    TS_REPLY,        /* waiting for a reply (after call or fault) */
    TS_NTFN,         /* waiting on a notification */
    TS_DEAD,
};

struct thread {
    struct regs regs;            /* must stay first: trap_vector saves into it */
    uint8_t state;
    uint8_t prio;
    uint8_t on_ready;            /* on a ready queue */
    uint8_t ipc_call;            /* TS_SEND: the send is a call */
    uint8_t ipc_fault;           /* TS_SEND/TS_REPLY: the message is fault_msg, reply is fault-shaped */
    uint8_t map_failed;          /* the last FAULT_MAP answer failed: FAULT_MAPFAIL [| FAULT_PTQUOTA], told with the next fault */
    union {
        struct {
            uint8_t fs;          /* its sstatus.FS (FS_OFF..FS_DIRTY); fp.c says when it is exact */
            uint8_t stop;        /* being stopped (sched_stop): never queued, taken off its hart */
            uint8_t pin;         /* 0: any hart; else 1 + the index of the one hart it runs on */
            uint8_t pad;
        };
        uint32_t slow_switch;    /* any of them: the fast paths leave through sched_run_slow */
    };
    uint64_t tid;
    struct aspace *as;
    struct thread *as_next;
    struct thread *qnext, *qprev;    /* ready queue or endpoint queue */
    struct endpoint *blocked_ep;     /* TS_SEND/TS_RECV */
    uint64_t send_badge;             /* TS_SEND: badge of the cap used */
    struct ntfn *blocked_ntfn;
    uint64_t acct;                   /* instructions it ran; minus rdinstret at the switch to it while charged (sched.c) */
    struct thread *reply_to;         /* caller waiting for this thread's reply */
    struct thread **reply_holder;    /* TS_REPLY: the one pointer that names us as reply target */
    struct endpoint *fault_ep;       /* where faults go, with this badge */
    uint64_t fault_badge;
    uint64_t fault_msg[7];
    struct cap *owner_cap;           /* the one cap naming it, or NULL */
    struct ntfn *bound_ntfn;         /* see ntfn_bind */
    struct fpregs fp;                /* its f registers and fcsr while the hart does not hold them (fp.c) */
    struct hart *fp_hart;            /* the hart that last loaded them (fp.c) */
};

/* cap.c */
/* The cap in `slot` of as if it has `type`; NULL for a bad slot or another type.
   Inline: every system call and fault answer looks one up. */
static inline struct cap *cap_get(struct aspace *as, long slot, enum cap_type type)
{
    if (slot < 0 || slot >= (long)as->ncaps)
        return NULL;
    struct cap *c = &as->caps[slot];
    return c->type == type ? c : NULL;
}
long cap_insert(struct aspace *as, enum cap_type type, void *obj, uint64_t badge); /* slot or -ENOMEM */
long cap_insert_at(struct aspace *as, long slot, enum cap_type type, void *obj, uint64_t badge);
void cap_clear(struct cap *c);  /* drop the reference the cap holds */
void ep_put(struct endpoint *ep);
void ntfn_put(struct ntfn *n);

/* sched.c */
#define current (this_hart()->cur)     /* the thread this hart runs */
extern uint32_t ready_mask;
/* Whether a ready thread outranks priority prio (then a direct switch to prio is wrong). */
static inline bool ready_above(uint8_t prio) { return (ready_mask >> (prio + 1)) != 0; }
void sched_ready(struct thread *t);        /* make runnable (queued at the tail) */
void sched_unready(struct thread *t);      /* take off its ready queue */
void sched_switch(struct thread *t);       /* run t next (t runnable, not queued) */
/* Return to user: current if runnable, else the next. from: the thread that entered
   the kernel (charged for the instructions until the switch; NULL: idle). */
void schedule(struct thread *from) __attribute__((noreturn));
void sched_run(struct thread *t) __attribute__((noreturn)); /* return to user in t */
/* The fast paths' way out when t or the thread leaving has FS on, or t is
   stopped or pinned: t runs here if it may, else the hart picks another. */
void sched_run_slow(struct thread *t) __attribute__((noreturn));
long sched_pin(struct thread *t, long hart); /* run t only on hart (-1: any); 0 or -EINVAL */
void sched_tick(void);
void sched_init(uint64_t timebase_hz);
void sched_forget_root(pte_t *root);
void sched_asid_init(unsigned limit);      /* the ASIDs satp has, at most 2^limit (boot, once the harts are known) */
void sched_asid_free(struct aspace *as);   /* as is destroyed: its ASID is flushed everywhere and free */
void sched_init_hart(void);                /* this hart's interrupts and timer */
void timer_set(struct ntfn *n, uint64_t bits, uint64_t when); /* when 0: cancel */
void sched_ipi(void);                      /* this hart's software interrupt came */
/* No hart but this one runs t (t NULL: any thread of as) once it returns: the
   threads are marked stopped and taken off the other harts, the kernel lock
   let go meanwhile. sched_resume(t) lets t run again. */
void sched_stop(struct aspace *as, struct thread *t);
void sched_resume(struct thread *t);
void kernel_lock(void);
void kernel_unlock(void);
void kernel_lock_slow(void);                /* entry.S: its first try failed */
void lock_wake(void);                       /* entry.S: a release found sleepers marked */
extern uint64_t acct_ended;                /* the instructions of threads that ended */
uint64_t acct_count(struct thread *t, struct thread *charged); /* t's instructions so far */
void acct_check(struct thread *charged);   /* print the totals; panic if they do not add up */
uint64_t acct_total(void);                 /* what all harts retired: each to its last charge, this one to now */

/* Charge the instructions this hart retired since its last charge to `from` (a
   live thread; the fast paths), and start charging the next thread. */
static inline void acct_switch(struct thread *from)
{
    struct hart *h = this_hart();
    uint64_t now = rdinstret();
    from->acct += now - h->acct_start;
    h->acct_start = now;
}

/* fp.c: user floating point, switched lazily */
#define fp_owner (this_hart()->fpown) /* whose f registers the hart holds (NULL: nobody's) */
void fp_park(void);                    /* the hart idles: save what it holds, FS off */
void fp_install(struct thread *t);     /* the FP side of a return to user in t */
bool fp_first_use(struct thread *t);   /* illegal instruction with FS Off: FS on, true */
void fp_sync(struct thread *t);        /* make t->fp and t->fs exact */
void fp_forget(struct thread *t);      /* t dies */

/* thread.c */
struct thread *thread_create(struct aspace *as, uint64_t pc, uint64_t sp, uint8_t prio);
void thread_kill(struct thread *t);
void thread_reap(void);
#define dead_thread (this_hart()->dead)
struct aspace *as_create(uint32_t ncaps);
void as_destroy(struct aspace *as);
uint64_t threads_acct(struct thread *charged, uint64_t *n, uint64_t *max); /* the sum of every live thread's acct */
void as_forget_satps(void);                /* every address space's cached satp is stale (ASID rollover) */

/* Thread queues (ready queues, endpoint queues). */
static inline void tq_push(struct tqueue *q, struct thread *t)
{
    t->qnext = NULL;
    t->qprev = q->tail;
    if (q->tail)
        q->tail->qnext = t;
    else
        q->head = t;
    q->tail = t;
}

static inline void tq_remove(struct tqueue *q, struct thread *t)
{
    if (t->qprev)
        t->qprev->qnext = t->qnext;
    else
        q->head = t->qnext;
    if (t->qnext)
        t->qnext->qprev = t->qprev;
    else
        q->tail = t->qprev;
    t->qnext = t->qprev = NULL;
}

/* ipc.c */
long ipc_send(struct thread *t, struct cap *c, bool call, bool block);
long ipc_recv(struct thread *t, struct cap *c);
long ipc_reply(struct thread *t);
void ipc_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t scause, uint64_t flags);
long ntfn_notify(struct ntfn *n, uint64_t bits);
long ntfn_wait(struct thread *t, struct ntfn *n);
void ipc_cancel(struct thread *t);
void ipc_abort_reply(struct thread *caller);
int ipc_interrupt(struct thread *t, bool interrupt); /* THREAD_* */
long ntfn_bind(struct thread *t, struct ntfn *n); /* n NULL: unbind */

/* syscall.c */
void syscall(struct thread *t);

/* trap.c: the hardware faults for A and D (Svade), so the kernel sets them (vm_hw_ad at boot) */
extern bool sw_ad;

/* memory calls, syscall.c */
extern uint64_t pool_base, pool_end;
void device_add(uint64_t base, uint64_t size); /* registers a driver may map */

/* irq.c */
long irq_bind(struct aspace *as, uint32_t irq, struct ntfn *n, uint64_t bits);
void irq_release(struct aspace *as);
long irq_ack(uint32_t irq);
void irq_handle(void);

/* syscall.c: map a frame for `who` (which must hold a MEMORY cap in memslot) into target.
   Returns 0, -EBADCAP, -EINVAL (bad address or rights), -EPERM (frame outside the pool), -ENOMEM. */
long mem_map(struct aspace *who, long memslot, struct aspace *target, uint64_t va, uint64_t pa, uint64_t perms);
