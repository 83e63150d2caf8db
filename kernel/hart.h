/* One struct hart per hart: what the kernel keeps per hart. In the kernel, tp
   holds the hart's own struct (user tp is saved with the other registers).
   Shared by entry.S (the offsets) and C. */
#pragma once

#define HART_KSTACK 0   /* the top of its kernel stack */
#define HART_CUR 8      /* its current thread */
#define HART_LOCK 16    /* &kernel_lock: the big kernel lock (sched.c) */
#define HART_HARTID 64  /* its SBI hart id */
#define HART_SIZE 144   /* sizeof(struct hart) */
#define NHARTS_MAX 8

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "arch/riscv/riscv.h"

struct thread;

struct hart {
    uint64_t kstack_top;
    struct thread *cur;          /* the thread it runs; changed only by this hart (or while it is idle) */
    volatile uint64_t *lock;
    pte_t *active_root;          /* the user tables in satp (NULL: the kernel's own) */
    struct thread *fpown;        /* whose f registers it holds (fp_owner, fp.c) */
    struct thread *dead;         /* died while current here (dead_thread): freed when it leaves the kernel */
    uint64_t acct_start;         /* rdinstret at the last charge (sched.c) */
    uint64_t instret0;           /* rdinstret when it began to charge */
    uint64_t hartid;             /* the SBI hart id */
    uint32_t index;              /* its place in harts[] */
    uint64_t flush_epoch;        /* counts its full TLB flushes (from 1) */
    uint64_t ran_off;            /* offset of its entry in struct aspace's ptq.ran[] (sched_run) */
    volatile uint32_t idle;      /* waiting in idle() with the lock let go */
    volatile uint32_t ipi_sent;  /* a software interrupt is on its way to it */
    uint32_t need_flush;         /* the ASIDs rolled over: flush all before the next user satp */
    volatile uint32_t flush_req; /* another hart asks it to flush (sched.c: remote_flush) */
    uint32_t up;                 /* it has run kernel code (a hart that never comes is never waited for) */
    uint64_t flush_va, flush_size, flush_asid; /* what: size -1 is all; asid -1 is every ASID */
};

_Static_assert(__builtin_offsetof(struct hart, kstack_top) == HART_KSTACK &&
                   __builtin_offsetof(struct hart, cur) == HART_CUR &&
                   __builtin_offsetof(struct hart, lock) == HART_LOCK &&
                   __builtin_offsetof(struct hart, hartid) == HART_HARTID && sizeof(struct hart) == HART_SIZE,
               "entry.S's offsets");

extern struct hart harts[NHARTS_MAX];
extern uint32_t nharts;          /* harts[0..nharts) run */

/* This hart's struct (tp never changes in the kernel). */
static inline struct hart *this_hart(void)
{
    struct hart *h;
    asm("mv %0, tp" : "=r"(h));
    return h;
}
#endif
