/* System-call dispatch. Arguments arrive in a0..a5 (IPC: cap slot in t0, message
   in a0..a6); the result goes back in a0. Every call checks its caps and arguments
   and answers bad ones with a negative error code. */
#include "obj.h"
#include "arch/riscv/vm.h"
#include "arch/riscv/sbi.h"

#define KEEP ((long)1 << 62) /* the handler has set the caller's registers itself */
#define MAX_PRIO 7
#define MAX_DEBUG_WRITE 4096

uint64_t pool_base, pool_end;

static uint64_t perm_bits(uint64_t perms)
{
    return ((perms & PERM_R) ? PTE_R : 0) | ((perms & PERM_W) ? PTE_W : 0) |
           ((perms & PERM_X) ? PTE_X : 0) | PTE_U;
}

/* Rights must be non-empty, known, and not write-without-read (reserved in Sv39). */
static bool perms_ok(uint64_t perms)
{
    return perms && !(perms & ~(PERM_R | PERM_W | PERM_X)) && !((perms & PERM_W) && !(perms & PERM_R));
}

/* [va, va + npages pages) is page aligned and inside the user half. */
static bool range_ok(uint64_t va, uint64_t npages)
{
    return (va & (PGSIZE - 1)) == 0 && va < USER_LIMIT && npages <= (USER_LIMIT - va) / PGSIZE;
}

long mem_map(struct aspace *who, long memslot, struct aspace *target, uint64_t va, uint64_t pa, uint64_t perms)
{
    if (!cap_get(who, memslot, CAP_MEMORY))
        return -EBADCAP;
    if (!range_ok(va, 1) || !perms_ok(perms))
        return -EINVAL;
    if ((pa & (PGSIZE - 1)) || pa < pool_base || pa >= pool_end)
        return -EPERM;
    return pt_map(target->root, va, pa, perm_bits(perms), 0);
}

static struct aspace *as_arg(struct thread *t, long slot)
{
    struct cap *c = cap_get(t->as, slot, CAP_ASPACE);
    return c ? c->obj : NULL;
}

/* Console output from a user buffer. If a page of it is not mapped readable the
   pager gets a fault on the thread's behalf and the call runs again afterwards. */
static long sys_debug_write(struct thread *t, uint64_t buf, uint64_t len)
{
    if (len > MAX_DEBUG_WRITE)
        len = MAX_DEBUG_WRITE;
    if (buf >= USER_LIMIT || len > USER_LIMIT - buf)
        return -EFAULT;
    for (uint64_t va = ROUNDDOWN(buf, PGSIZE); va < buf + len; va += PGSIZE) {
        pte_t e = pt_lookup(t->as->root, va);
        if (!(e & PTE_R) || !(e & PTE_U)) {
            t->regs.x[RI_PC] -= 4; /* run the ecall again once the pager answers */
            ipc_fault(t, va < buf ? buf : va, FAULT_READ, EXC_LOAD_PAGE, FAULT_SYSCALL);
            return KEEP;
        }
    }
    for (uint64_t va = buf; va < buf + len;) {
        uint64_t n = ROUNDDOWN(va, PGSIZE) + PGSIZE - va;
        if (n > buf + len - va)
            n = buf + len - va;
        pte_t e = pt_lookup(t->as->root, va);
        console_write((const char *)P2V(PTE_PA(e) + (va & (PGSIZE - 1))), n);
        va += n;
    }
    return (long)len;
}

/* Copy a cap from (src_as, src) into (dst_as, dst_slot); -1 names the caller's own
   table and dst_slot 0 the lowest free slot. Only endpoints, notifications and
   SYSCTL travel; a badge is set only on an unbadged cap. Returns the new slot. */
static long sys_cap_copy(struct thread *t, uint64_t *x)
{
    long src_as = (long)x[RI_A0], src = (long)x[RI_A1], dst_as = (long)x[RI_A2], dst = (long)x[RI_A3];
    uint64_t badge = x[RI_A4];
    struct aspace *sa = src_as == -1 ? t->as : as_arg(t, src_as);
    struct aspace *da = dst_as == -1 ? t->as : as_arg(t, dst_as);
    if (!sa || !da)
        return -EBADCAP;
    struct cap *s = (src > 0 && src < (long)NSLOTS) ? &sa->caps[src] : NULL;
    if (!s || !(s->type == CAP_ENDPOINT || s->type == CAP_NTFN || s->type == CAP_SYSCTL))
        return -EBADCAP;
    if (dst < 0 || dst >= (long)NSLOTS)
        return -EINVAL;
    if (dst && da->caps[dst].type != CAP_NULL)
        return -EBUSY;
    return cap_insert_at(da, dst, s->type, s->obj, s->badge ? s->badge : badge);
}

static long sys_thread_create(struct thread *t, uint64_t *x)
{
    struct aspace *as = as_arg(t, (long)x[RI_A0]);
    uint64_t pc = x[RI_A1], sp = x[RI_A2], prio = x[RI_A4];
    long ep_slot = (long)x[RI_A3];
    struct cap *ep = ep_slot ? cap_get(t->as, ep_slot, CAP_ENDPOINT) : NULL;
    if (!as || (ep_slot && !ep))
        return -EBADCAP;
    if (pc >= USER_LIMIT || sp > USER_LIMIT || prio > t->prio)
        return -EINVAL;
    struct thread *n = thread_create(as, pc, sp, (uint8_t)prio);
    if (!n)
        return -ENOMEM;
    long slot = cap_insert(t->as, CAP_THREAD, n, 0);
    if (slot < 0) {
        thread_kill(n);
        return slot;
    }
    if (ep) {
        n->fault_ep = ep->obj;
        n->fault_ep->holders++;
        n->fault_badge = ep->badge;
    }
    n->regs.x[RI_A0] = x[RI_A5];
    sched_ready(n);
    return slot;
}

static long sys_range(struct thread *t, uint64_t *x, int which)
{
    struct aspace *as = as_arg(t, (long)x[RI_A0]);
    uint64_t va = x[RI_A1], n = x[RI_A2], perms = x[RI_A3];
    if (!as)
        return -EBADCAP;
    if (!range_ok(va, n))
        return -EINVAL;
    if (which == SYS_UNMAP) {
        pt_unmap(as->root, va, n);
    } else if (which == SYS_PROTECT) {
        if (!perms_ok(perms))
            return -EINVAL;
        pt_protect(as->root, va, n, perm_bits(perms));
    } else {
        if (n > 64)
            return -EINVAL;
        pt_adbits(as->root, va, n, &x[RI_A1], &x[RI_A2]);
    }
    return 0;
}

static long new_object(struct thread *t, enum cap_type type, size_t size)
{
    void *o = kzalloc(size);
    if (!o)
        return -ENOMEM;
    long slot = cap_insert(t->as, type, o, 0);
    if (slot < 0)
        kfree(o);
    return slot;
}

static long ipc(struct thread *t, uint64_t nr, long slot)
{
    struct cap *c = cap_get(t->as, slot, CAP_ENDPOINT);
    if (nr == SYS_SEND && !c)
        c = cap_get(t->as, slot, CAP_REPLY);
    if (nr == SYS_REPLY)
        return ipc_reply(t);
    if (nr == SYS_REPLYRECV)
        ipc_reply(t);
    if (!c)
        return -EBADCAP;
    switch (nr) {
    case SYS_SEND:
        return ipc_send(t, c, false, true);
    case SYS_NBSEND:
        return ipc_send(t, c, false, false);
    case SYS_CALL:
        return ipc_send(t, c, true, true);
    default: /* SYS_RECV, SYS_REPLYRECV */
        return ipc_recv(t, c);
    }
}

static long dispatch(struct thread *t, uint64_t *x)
{
    uint64_t nr = x[RI_A7];
    struct cap *c;
    struct aspace *as;

    switch (nr) {
    case SYS_DEBUG_WRITE:
        return sys_debug_write(t, x[RI_A0], x[RI_A1]);
    case SYS_YIELD:
        current = NULL;
        sched_ready(t);
        return 0;
    case SYS_SEND: case SYS_RECV: case SYS_CALL: case SYS_REPLY: case SYS_REPLYRECV: case SYS_NBSEND: {
        long r = ipc(t, nr, (long)x[RI_T0]);
        return r < 0 ? r : KEEP;
    }
    case SYS_NOTIFY:
        if (!(c = cap_get(t->as, (long)x[RI_A0], CAP_NTFN)))
            return -EBADCAP;
        return ntfn_notify(c->obj, c->badge ? c->badge : 1);
    case SYS_WAIT: {
        if (!(c = cap_get(t->as, (long)x[RI_A0], CAP_NTFN)))
            return -EBADCAP;
        long r = ntfn_wait(t, c->obj);
        return r < 0 ? r : KEEP;
    }
    case SYS_EP_CREATE:
        return new_object(t, CAP_ENDPOINT, sizeof(struct endpoint));
    case SYS_NTFN_CREATE:
        return new_object(t, CAP_NTFN, sizeof(struct ntfn));
    case SYS_CAP_COPY:
        return sys_cap_copy(t, x);
    case SYS_CAP_DELETE:
        if ((long)x[RI_A0] <= 0 || x[RI_A0] >= NSLOTS)
            return -EBADCAP;
        cap_clear(&t->as->caps[x[RI_A0]]);
        return 0;
    case SYS_AS_CREATE: {
        if (!cap_get(t->as, (long)x[RI_A0], CAP_MEMORY))
            return -EBADCAP;
        as = as_create();
        if (!as)
            return -ENOMEM;
        long slot = cap_insert(t->as, CAP_ASPACE, as, 0);
        if (slot < 0)
            as_destroy(as);
        return slot;
    }
    case SYS_AS_DESTROY:
        if (!(as = as_arg(t, (long)x[RI_A0])))
            return -EBADCAP;
        as_destroy(as);
        return 0;
    case SYS_THREAD_CREATE:
        return sys_thread_create(t, x);
    case SYS_MAP:
        if (!(as = as_arg(t, (long)x[RI_A1])))
            return -EBADCAP;
        return mem_map(t->as, (long)x[RI_A0], as, x[RI_A2], x[RI_A3], x[RI_A4]);
    case SYS_UNMAP: case SYS_PROTECT: case SYS_AD_BITS:
        return sys_range(t, x, (int)nr);
    case SYS_REPLY_SAVE: {
        struct thread *caller = t->reply_to;
        if (!caller)
            return -EINVAL;
        long slot = cap_insert(t->as, CAP_REPLY, caller, 0);
        if (slot >= 0)
            t->reply_to = NULL;
        return slot;
    }
    case SYS_SHUTDOWN:
        if (!cap_get(t->as, (long)x[RI_A0], CAP_SYSCTL))
            return -EBADCAP;
        kprintf("kernel: shutdown\n");
        sbi_shutdown();
    case SYS_THREAD_KILL:
        if (!(c = cap_get(t->as, (long)x[RI_A0], CAP_THREAD)))
            return -EBADCAP;
        thread_kill(c->obj);
        return 0;
    case SYS_CONSOLE_GETC: {
        if (!cap_get(t->as, (long)x[RI_A0], CAP_SYSCTL))
            return -EBADCAP;
        int ch = sbi_getchar();
        return ch < 0 ? -EAGAIN : ch;
    }
    case SYS_NOP:
        return 0;
    case SYS_TIMER_NOTIFY:
        if (!(c = cap_get(t->as, (long)x[RI_A0], CAP_NTFN)))
            return -EBADCAP;
        timer_set(c->obj, c->badge ? c->badge : 1, x[RI_A1]);
        return 0;
    default:
        return -ENOSYS;
    }
}

/* Handle the ecall of t (the current thread). */
void syscall(struct thread *t)
{
    uint64_t *x = t->regs.x;
    x[RI_PC] += 4;
    long r = dispatch(t, x);
    if (r != KEEP && t->state == TS_RUNNING)
        x[RI_A0] = (uint64_t)r;
}
