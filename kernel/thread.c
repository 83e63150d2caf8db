/* Threads and address spaces: creation and destruction. */
#include "obj.h"
#include "arch/riscv/vm.h"

static uint64_t next_tid = 1;
static struct aspace *all_as; /* every address space (acct_check, as_forget_satps) */

/* A new, not yet runnable thread in as, with FS Off and its FP registers zero
   (exec's thread too: fp.c). NULL when out of kernel memory. */
struct thread *thread_create(struct aspace *as, uint64_t pc, uint64_t sp, uint8_t prio)
{
    struct thread *t = kzalloc(sizeof *t);
    if (!t)
        return NULL;
    t->regs.x[RI_PC] = pc;
    t->regs.x[RI_SP] = sp;
    t->prio = prio;
    t->tid = next_tid++;
    t->as = as;
    t->as_next = as->threads;
    as->threads = t;
    t->state = TS_INACTIVE;
    return t;
}

/* Free a thread that died while it was current (called when leaving the kernel). */
void thread_reap(void)
{
    if (dead_thread && dead_thread != current) {
        kfree(dead_thread);
        dead_thread = NULL;
    }
}

/* Stop t for good: undo its IPC, forget it in its address space, free it. Its
   instruction count goes to acct_ended; if it is the thread being charged (only the
   thread that entered the kernel, current then, can be), schedule() charges the
   rest of this kernel entry there too. */
void thread_kill(struct thread *t)
{
    ipc_cancel(t);
    fp_forget(t);
    acct_ended += t->acct;
    t->acct = 0;
    for (struct thread **p = &t->as->threads; *p; p = &(*p)->as_next) {
        if (*p == t) {
            *p = t->as_next;
            break;
        }
    }
    if (t->fault_ep) {
        ep_put(t->fault_ep);
        t->fault_ep = NULL;
    }
    if (t->owner_cap) {
        t->owner_cap->type = CAP_NULL;
        t->owner_cap->obj = NULL;
    }
    t->state = TS_DEAD;
    if (t == current) {
        current = NULL;
        thread_reap();
        dead_thread = t;
    } else {
        kfree(t);
    }
}

static unsigned caps_order(uint32_t ncaps)
{
    unsigned o = 0;
    while ((PGSIZE << o) < ncaps * sizeof(struct cap))
        o++;
    return o;
}

static void caps_free(struct cap *caps, uint32_t ncaps)
{
    if (ncaps * sizeof(struct cap) <= 2048)
        kfree(caps);
    else
        pages_free(caps, caps_order(ncaps));
}

/* A new, empty address space with ncaps cap slots. NULL when out of kernel memory. */
struct aspace *as_create(uint32_t ncaps)
{
    struct aspace *as = kzalloc(sizeof *as);
    if (!as)
        return NULL;
    as->ncaps = ncaps;
    as->caps = ncaps * sizeof(struct cap) <= 2048 ? kzalloc(ncaps * sizeof(struct cap))
                                                 : pages_alloc(caps_order(ncaps));
    as->root = as->caps ? pt_create() : NULL;
    if (!as->root) {
        if (as->caps)
            caps_free(as->caps, ncaps);
        kfree(as);
        return NULL;
    }
    as->all_next = all_as;
    as->all_pprev = &all_as;
    if (all_as)
        all_as->all_pprev = &as->all_next;
    all_as = as;
    return as;
}

/* Kill every thread of as, empty its cap table and free its page tables (once no
   other hart runs its threads: the kernel lock may be let go meanwhile). */
void as_destroy(struct aspace *as)
{
    sched_stop(as, NULL);
    while (as->threads)
        thread_kill(as->threads);
    irq_release(as);
    for (uint32_t i = 0; i < as->ncaps; i++)
        cap_clear(&as->caps[i]);
    if (as->owner_cap) {
        as->owner_cap->type = CAP_NULL;
        as->owner_cap->obj = NULL;
    }
    *as->all_pprev = as->all_next;
    if (as->all_next)
        as->all_next->all_pprev = as->all_pprev;
    sched_forget_root(as->root);
    sched_asid_free(as);
    pt_destroy(as->root);
    caps_free(as->caps, as->ncaps);
    kfree(as);
}

/* The ASIDs rolled over: no address space keeps its satp value (sched.c). */
void as_forget_satps(void)
{
    for (struct aspace *as = all_as; as; as = as->all_next)
        as->satp = 0;
}

/* The sum of the acct of every live thread (see sched.c); *n: how many there are,
   *max: the largest count among them (charged: the thread being charged). */
uint64_t threads_acct(struct thread *charged, uint64_t *n, uint64_t *max)
{
    uint64_t sum = 0;
    *n = *max = 0;
    for (struct aspace *as = all_as; as; as = as->all_next) {
        for (struct thread *t = as->threads; t; t = t->as_next, (*n)++) {
            uint64_t c = acct_count(t, charged);
            if (c > *max)
                *max = c;
            sum += t->acct;
        }
    }
    return sum;
}
