/* Faults: the kernel sends one for every user exception; page faults go down
   the fixed path in vm_resolve (region, rights, the region kind's method) and
   are answered with a mapping; anything else goes to the process's handler of
   the signal it raises (SIGSEGV, SIGBUS, SIGILL, SIGTRAP), or kills the process
   with a one-line message on the console. */
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

/* Stop the faulting thread (the reply) and free everything its process had;
   sig is how it ended (what wait reports). */
static void kill_proc(struct req *rq, long sig)
{
    rq->reply->label = MSG_FAULT_KILL;
    req_reply(rq, rq->reply);
    proc_exit(rq->p, WAIT_KILLED, sig);
}

/* The signal an exception other than a page fault raises. */
static int exception_signal(long scause)
{
    switch (scause) {
    case 0: case 4: case 6: return SIGBUS;
    case 2: return SIGILL;
    case 3: return SIGTRAP;
    default: return SIGSEGV;
    }
}

/* A fault the kernel sent for something other than a page fault, or one it
   could not map for want of page tables: the process is killed. Returns false
   (answered). */
static bool __attribute__((noinline, cold)) fault_refused(struct req *rq)
{
    struct proc *p = rq->p;
    long scause = rq->m->w[3], flags = rq->m->w[4];
    int sig = SIGKILL;
    if (scause != 12 && scause != 13 && scause != 15) {
        cnt.invalid++;
        sig = exception_signal(scause);
        if (signal_fault(rq, sig))
            return false;
        printf("pid %ld (%s): %s at pc %p\n", p->pid, p->name, exception_name(scause), (void *)rq->m->w[2]);
    } else if (flags & FAULT_PTQUOTA) {
        printf("pid %ld (%s): killed: page-table quota (%d tables)\n", p->pid, p->name, (int)PT_QUOTA);
    } else {
        printf("pid %ld (%s): the kernel has no memory for its page tables; killed\n", p->pid, p->name);
    }
    kill_proc(rq, sig);
    return false;
}

/* Answer rq with a mapping of frame pa at addr's page. Returns true. */
static inline bool map_reply(struct req *rq, uint64_t addr, uint64_t pa, uint32_t perms)
{
    struct msg *reply = rq->reply;
    reply->label = MSG_FAULT_MAP;
    reply->w[0] = (long)PG_ROUNDDOWN(addr);
    reply->w[1] = (long)pa;
    reply->w[2] = perms;
    reply->w[3] = BOOT_MEM_SLOT;
    return true;
}

static int oom_kill(struct proc *p);

/* The policy's fault-around after the fault at addr resolved: out of line,
   so the common path pays one branch for it. */
static void __attribute__((noinline)) fault_around(struct proc *p, uint64_t addr)
{
    vm_fault_around(&p->vm, addr, the_policy->fault_around);
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
    long access = keep.w[1], flags = keep.w[4];
    if (r == -ENOMEM) { /* reclaim; with RAM and swap full, kill the biggest user task (maybe p) */
        uint64_t pa;
        uint32_t perms;
        int k = 1;
        while ((r = vm_resolve_wait(&p->vm, addr, (int)access, &pa, &perms, &rq->wait)) == -ENOMEM &&
               (k = oom_kill(p)) > 0)
            ;
        if (k < 0) {
            kill_proc(rq, SIGKILL);
            return false;
        }
        if (r == 0)
            return map_reply(rq, addr, pa, perms);
    }
    if (r == -EAGAIN) { /* a file or swapped page, or free frames, on their way: answer when they are there */
        if (!vfs_park(rq, &keep)) {
            cnt.major++;
            return false;
        }
        r = -ENOMEM;
    }
    cnt.invalid++;
    if ((r == -EFAULT || r == -ENXIO) && (flags & FAULT_SYSCALL)) { /* a bad buffer: the system call fails */
        rq->reply->label = MSG_FAULT_EFAULT;
        return true;
    }
    int sig = r == -ENOMEM ? SIGKILL : r == -EIO || r == -ENXIO ? SIGBUS : SIGSEGV;
    if (sig != SIGKILL && !(flags & FAULT_SYSCALL) && signal_fault(rq, sig)) /* not a call's buffer: its ecall would fault again */
        return false;
    const char *what = r == -ENOMEM ? "out of memory" : r == -EIO ? "I/O error" : r == -ENXIO ? "bus error" : "segfault";
    const char *why = r == -ENXIO ? ": past the end of the mapped file" : r != -EIO ? ""
                      : vm_swapped(&p->vm, addr) ? ": the page cannot be read back from swap"
                      : ": the file page cannot be read";
    if (r == -ENXIO)
        cnt.bus_error++;
    printf("pid %ld (%s): %s at %p pc %p (%s)%s\n", p->pid, p->name, what, (void *)addr, (void *)pc,
           access_name(access), why);
    kill_proc(rq, sig);
    return false;
}

/* RAM and swap are full and p needs a frame: kill the user task holding the
   most memory (in RAM and on swap; never a server, never init) with one
   line on the console. Returns 1 when another task was killed (p may try
   again), -1 when the victim is p (the line is out; p is the caller's to
   kill), 0 when there is nobody to kill. */
static int oom_kill(struct proc *p)
{
    struct proc *victim = NULL;
    uint64_t most = 0, res = 0, sw = 0;
    for (struct proc *t = proc_first(); t; t = proc_next(t)) {
        uint64_t r, s;
        if (t->state != P_RUN || t->server || t->pid == init_pid)
            continue;
        vm_usage(&t->vm, 0, USER_LIMIT, &r, &s);
        if (!victim || r + s > most) {
            victim = t;
            most = r + s;
            res = r;
            sw = s;
        }
    }
    if (!victim)
        return 0;
    cnt.oom_kills++;
    printf("pid %ld (%s): killed: out of memory (resident %lu KiB, swap %lu KiB)\n", victim->pid, victim->name,
           res * (PAGE / 1024), sw * (PAGE / 1024));
    if (victim == p)
        return -1;
    proc_exit(victim, WAIT_KILLED, SIGKILL);
    return 1;
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
    if (!rq->slot)
        cnt.minor++;
    if (__builtin_expect(the_policy->fault_around != 0, 0))
        fault_around(p, addr);
    return map_reply(rq, addr, pa, perms);
}
