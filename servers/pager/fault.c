/* The fault path, in a fixed order: find the region, check the access, let the
   region's pages decide (zero page, zero-fill, existing frame), answer the kernel. */
#include "pager.h"

static const char *access_name(long access)
{
    return access == FAULT_WRITE ? "write" : access == FAULT_EXEC ? "exec" : "read";
}

static bool access_ok(const struct region *r, long access)
{
    if (access == FAULT_WRITE)
        return r->perms & PERM_W;
    if (access == FAULT_EXEC)
        return r->perms & PERM_X;
    return r->perms & PERM_R;
}

static void reply_map(struct msg *reply, uint64_t va, uint64_t pa, uint32_t perms)
{
    reply->label = MSG_FAULT_MAP;
    reply->w[0] = (long)va;
    reply->w[1] = (long)pa;
    reply->w[2] = perms;
    reply->w[3] = BOOT_MEM_SLOT;
}

/* Stop p's thread (the reply) and free everything it had. */
static void kill_proc(struct proc *p, struct msg *reply, struct msg *m)
{
    reply->label = MSG_FAULT_KILL;
    sys_reply(0, reply);
    proc_exit(p, WAIT_KILLED, m->w[3]);
}

/* Anonymous memory: a read of an untouched page maps the zero page read-only;
   a write gets a fresh zeroed frame. Returns false when out of memory. */
static bool anon_fault(struct region *r, uint64_t va, long access, struct msg *reply)
{
    uint64_t *slot = &r->frames[(va - r->start) / PAGE];
    if (*slot > FR_ZERO) { /* a frame is there: the mapping was lost or narrowed */
        reply_map(reply, va, *slot, r->perms);
        return true;
    }
    if (access != FAULT_WRITE) {
        *slot = FR_ZERO;
        cnt.zero_page++;
        reply_map(reply, va, zero_page(), r->perms & ~(uint32_t)PERM_W);
        return true;
    }
    uint64_t pa = frame_alloc();
    if (!pa)
        return false;
    *slot = pa;
    cnt.zero_fill++;
    reply_map(reply, va, pa, r->perms);
    return true;
}

bool handle_fault(struct proc *p, struct msg *m, struct msg *reply)
{
    uint64_t addr = (uint64_t)m->w[0];
    long access = m->w[1], scause = m->w[3], flags = m->w[4];
    bool page_fault = scause == 12 || scause == 13 || scause == 15;

    if (!page_fault) {
        const char *what = scause == 2 ? "illegal instruction" :
                           scause == 3 ? "breakpoint" :
                           (scause == 4 || scause == 6 || scause == 0) ? "misaligned access" : "access fault";
        cnt.invalid++;
        printf("pid %ld (%s): %s at pc %p\n", p->pid, p->name, what, (void *)m->w[2]);
        kill_proc(p, reply, m);
        return false;
    }
    struct region *r = region_find(p, addr);
    if (!r || !access_ok(r, access)) {
        cnt.invalid++;
        if (flags & FAULT_SYSCALL) { /* a bad buffer: the system call fails */
            reply->label = MSG_FAULT_EFAULT;
            return true;
        }
        printf("pid %ld (%s): segfault at %p pc %p (%s)\n", p->pid, p->name, (void *)addr,
               (void *)m->w[2], access_name(access));
        kill_proc(p, reply, m);
        return false;
    }
    if (!anon_fault(r, PG_ROUNDDOWN(addr), access, reply)) {
        printf("pid %ld (%s): out of memory\n", p->pid, p->name);
        kill_proc(p, reply, m);
        return false;
    }
    return true;
}
