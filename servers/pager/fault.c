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

/* The fault rq->m of rq->p. Returns true with rq->reply the answer now (a
   mapping, or EFAULT for a system call's bad buffer), or false: answered
   already (killed) or parked until a file page is in. rq->reply may be rq->m. */
bool handle_fault(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
    uint64_t addr = (uint64_t)m->w[0], pc = (uint64_t)m->w[2];
    long access = m->w[1], scause = m->w[3], flags = m->w[4];

    if (scause != 12 && scause != 13 && scause != 15) {
        cnt.invalid++;
        printf("pid %ld (%s): %s at pc %p\n", p->pid, p->name, exception_name(scause), (void *)pc);
        kill_proc(rq, scause);
        return false;
    }
    if (flags & FAULT_MAPFAIL) {
        if (flags & FAULT_PTQUOTA)
            printf("pid %ld (%s): killed: page-table quota (%d tables)\n", p->pid, p->name, (int)PT_QUOTA);
        else
            printf("pid %ld (%s): the kernel has no memory for its page tables; killed\n", p->pid, p->name);
        kill_proc(rq, scause);
        return false;
    }
    p->faults++;
    uint64_t pa;
    uint32_t perms;
    int r = addr < USER_LIMIT ? vm_resolve(&p->vm, addr, (int)access, &pa, &perms, &rq->wait) : -EFAULT;
    if (r == 0) {
        reply->label = MSG_FAULT_MAP;
        reply->w[0] = (long)PG_ROUNDDOWN(addr);
        reply->w[1] = (long)pa;
        reply->w[2] = perms;
        reply->w[3] = BOOT_MEM_SLOT;
        return true;
    }
    if (r == -EAGAIN) { /* a file page is on its way: answer when it is there */
        struct msg keep = *m;
        if (!vfs_park(rq, &keep))
            return false;
        r = -ENOMEM;
    }
    cnt.invalid++;
    if ((r == -EFAULT || r == -ENXIO) && (flags & FAULT_SYSCALL)) { /* a bad buffer: the system call fails */
        reply->label = MSG_FAULT_EFAULT;
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
