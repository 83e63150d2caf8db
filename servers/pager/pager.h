/* The pager: owner of every user frame and every address space's regions.
   This header is shared by the pager's files. */
#pragma once
#include "sys.h"
#include "bootinfo.h"

#define PAGE 4096UL
#define PG_ROUNDUP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PG_ROUNDDOWN(x) ((x) & ~(PAGE - 1))

/* frames.c: the frame allocator over the user pool (a buddy allocator). */
void frames_init(const struct bootinfo *bi);
uint64_t frame_alloc(void);              /* a zeroed frame's physical address, 0 when none is left */
uint64_t frame_alloc_nozero(void);       /* same, contents undefined */
void frame_free(uint64_t pa);
void *frame_ptr(uint64_t pa);            /* where the pager sees the frame */
uint64_t zero_page(void);                /* the one shared zero frame */
void *meta_alloc(size_t bytes);          /* pager bookkeeping from the pool; zeroed; NULL when full */
void meta_free(void *p, size_t bytes);
uint64_t frames_free(void);
uint64_t frames_total(void);

/* Counters shown by PG_STAT. */
struct counters { uint64_t zero_fill, zero_page, invalid; };
extern struct counters cnt;

/* region kinds; each region is a page-aligned range with rights and one frame slot per page */
#define NREGIONS 16
#define FR_NONE 0
#define FR_ZERO 1            /* the shared zero page is mapped read-only */
struct region {
    uint64_t start, end;     /* [start, end) */
    uint32_t perms;          /* PERM_R | PERM_W | PERM_X */
    uint64_t *frames;        /* per page: FR_NONE, FR_ZERO or a frame's physical address */
};

#define NPROC 32
enum pstate { P_FREE = 0, P_RUN, P_ZOMBIE };
struct proc {
    enum pstate state;
    long pid, parent;
    char name[32];
    long as_slot, thread_slot;
    struct region regions[NREGIONS];
    int nregions;
    uint64_t anon_next;      /* where the next anonymous region goes */
    long how, code;          /* exit status once a zombie */
    long wait_slot;          /* reply cap of a waiting PG_WAIT, 0 if none */
    long wait_pid;
};

/* proc.c */
struct proc *proc_find(long pid);
long proc_spawn(const char *name, long arg, struct proc *parent);
void proc_exit(struct proc *p, long how, long code);
long proc_wait(struct proc *p, long pid, struct msg *reply); /* 1: reply now; 0: deferred; <0 error */
struct region *region_find(struct proc *p, uint64_t addr);
struct region *region_add(struct proc *p, uint64_t start, uint64_t end, uint32_t perms);

/* fault.c: answer a fault message; returns true when `reply` is to be sent. */
bool handle_fault(struct proc *p, struct msg *m, struct msg *reply);

extern const struct bootinfo *bootinfo;
void pager_panic(void) __attribute__((noreturn)); /* the system cannot go on without its pager */
