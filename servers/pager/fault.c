/* Faults: the kernel sends one for every user exception; page faults go down
   the fixed path in vm_resolve (region, rights, the region kind's method) and
   are answered with a mapping; anything else kills the process with a one-line
   message on the console. */
#include "pager.h"

static const char *access_name(long access)
{
    return access == FAULT_WRITE ? "write" : access == FAULT_EXEC ? "exec" : "read";
}

static const char *exception_name(long scause)
{
    switch (scause) {
    case 0: case 4: case 6: return "misaligned access";
    case 1: case 5: case 7: return "access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    default: return "exception";
    }
}

/* Stop the faulting thread (the reply) and free everything its process had. */
static void kill_proc(struct req *rq, long cause)
{
    rq->reply->label = MSG_FAULT_KILL;
    req_reply(rq, rq->reply);
    proc_exit(rq->p, WAIT_KILLED, cause);
}

/* A fault the kernel sent for something other than a page fault, or one it
   could not map for want of page tables: the process is killed. Returns false
   (answered). */
static bool __attribute__((noinline, cold)) fault_refused(struct req *rq)
{
    struct proc *p = rq->p;
    long scause = rq->m->w[3], flags = rq->m->w[4];
    if (scause != 12 && scause != 13 && scause != 15) {
        cnt.invalid++;
        printf("pid %ld (%s): %s at pc %p\n", p->pid, p->name, exception_name(scause), (void *)rq->m->w[2]);
    } else if (flags & FAULT_PTQUOTA) {
        printf("pid %ld (%s): killed: page-table quota (%d tables)\n", p->pid, p->name, (int)PT_QUOTA);
    } else {
        printf("pid %ld (%s): the kernel has no memory for its page tables; killed\n", p->pid, p->name);
    }
    kill_proc(rq, scause);
    return false;
}

/* A page fault the fault path could not resolve (r < 0): park it while a
   file page is read (-EAGAIN), fail a system call's bad buffer, or kill the
   process with a line on the console. Returns true with rq->reply set, or
   false (parked, or answered). */
static bool __attribute__((noinline, cold)) fault_failed(struct req *rq, int r)
{
    struct proc *p = rq->p;
    struct msg keep = *rq->m; /* rq->reply may be rq->m */
    uint64_t addr = (uint64_t)keep.w[0], pc = (uint64_t)keep.w[2];
    long access = keep.w[1], scause = keep.w[3], flags = keep.w[4];
    if (r == -EAGAIN) { /* a file page is on its way: answer when it is there */
        if (!vfs_park(rq, &keep))
            return false;
        r = -ENOMEM;
    }
    cnt.invalid++;
    if ((r == -EFAULT || r == -ENXIO) && (flags & FAULT_SYSCALL)) { /* a bad buffer: the system call fails */
        rq->reply->label = MSG_FAULT_EFAULT;
        return true;
    }
    const char *what = r == -ENOMEM ? "out of memory" : r == -EIO ? "I/O error" : r == -ENXIO ? "bus error" : "segfault";
    const char *why = r == -EIO ? ": the file page cannot be read" : r == -ENXIO ? ": past the end of the mapped file" : "";
    if (r == -ENXIO)
        cnt.bus_error++;
    printf("pid %ld (%s): %s at %p pc %p (%s)%s\n", p->pid, p->name, what, (void *)addr, (void *)pc,
           access_name(access), why);
    kill_proc(rq, scause);
    return false;
}

/* The fault rq->m of rq->p. Returns true with rq->reply the answer now (a
   mapping, or EFAULT for a system call's bad buffer), or false: answered
   already (killed) or parked until a file page is in. rq->reply may be rq->m.
   The common case (a page fault the fault path resolves) stays here; the rest
   is in the two cold functions above. */
bool handle_fault(struct req *rq)
{
    struct msg *m = rq->m;
    uint64_t addr = (uint64_t)m->w[0];
    long scause = m->w[3];
    if ((scause != 12 && scause != 13 && scause != 15) || (m->w[4] & FAULT_MAPFAIL))
        return fault_refused(rq);
    struct proc *p = rq->p;
    p->faults++;
    uint64_t pa;
    uint32_t perms;
    int r = addr < USER_LIMIT ? vm_resolve(&p->vm, addr, (int)m->w[1], &pa, &perms, &rq->wait) : -EFAULT;
    if (r < 0)
        return fault_failed(rq, r);
    struct msg *reply = rq->reply;
    reply->label = MSG_FAULT_MAP;
    reply->w[0] = (long)PG_ROUNDDOWN(addr);
    reply->w[1] = (long)pa;
    reply->w[2] = perms;
    reply->w[3] = BOOT_MEM_SLOT;
    return true;
}
