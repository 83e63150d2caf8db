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

#define MAX_DEVICES 16
static struct { uint64_t base, size; } devices[MAX_DEVICES];
static int ndevices;

void device_add(uint64_t base, uint64_t size)
{
    if (size && ndevices < MAX_DEVICES) {
        devices[ndevices].base = base;
        devices[ndevices].size = size;
        ndevices++;
    }
}

static bool is_device_page(uint64_t pa)
{
    for (int i = 0; i < ndevices; i++)
        if (pa >= devices[i].base && pa - devices[i].base < devices[i].size)
            return true;
    return false;
}

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
    return pt_map_page(target->root, &target->ptq, va, pa, perm_bits(perms));
}

static struct aspace *as_arg(struct thread *t, long slot)
{
    struct cap *c = cap_get(t->as, slot, CAP_ASPACE);
    return c ? c->obj : NULL;
}

/* Is [buf, buf + len) of t's memory mapped readable? Returns 0; -EFAULT outside the
   user half (or when t has no pager to ask); KEEP when a page is missing: the pager
   gets a FAULT_SYSCALL fault on t's behalf and the call runs again once it answers
   (with FAULT_EFAULT for a bad address, the call returns -EFAULT). */
static long user_readable(struct thread *t, uint64_t buf, uint64_t len)
{
    if (buf >= USER_LIMIT || len > USER_LIMIT - buf)
        return -EFAULT;
    for (uint64_t va = ROUNDDOWN(buf, PGSIZE); va < buf + len; va += PGSIZE) {
        pte_t e = pt_lookup(t->as->root, va);
        if (!(e & PTE_R) || !(e & PTE_U)) {
            if (!t->fault_ep)
                return -EFAULT;
            t->regs.x[RI_PC] -= 4; /* run the ecall again once the pager answers */
            ipc_fault(t, va < buf ? buf : va, FAULT_READ, EXC_LOAD_PAGE, FAULT_SYSCALL);
            return KEEP;
        }
    }
    return 0;
}

/* Copy [buf, buf + len) of t's memory out, or give it to fn piece by piece
   (dst NULL); user_readable must have said yes. */
static void user_read(struct thread *t, uint64_t buf, uint64_t len, char *dst, void (*fn)(const char *, size_t))
{
    for (uint64_t va = buf; va < buf + len;) {
        uint64_t n = ROUNDDOWN(va, PGSIZE) + PGSIZE - va;
        if (n > buf + len - va)
            n = buf + len - va;
        const char *src = P2V(PTE_PA(pt_lookup(t->as->root, va)) + (va & (PGSIZE - 1)));
        if (dst)
            memcpy(dst + (va - buf), src, n);
        else
            fn(src, n);
        va += n;
    }
}

/* Console output from a user buffer (faulted in through the pager if need be). */
static long sys_debug_write(struct thread *t, uint64_t buf, uint64_t len)
{
    if (len > MAX_DEBUG_WRITE)
        len = MAX_DEBUG_WRITE;
    long r = user_readable(t, buf, len);
    if (r == 0)
        user_read(t, buf, len, NULL, console_write);
    return r ? r : (long)len;
}

/* Copy a cap from (src_as, src) into (dst_as, dst_slot); -1 names the caller's own
   table and dst_slot 0 the lowest free slot. Only endpoints, notifications and
   SYSCTL travel; a badge is set only on an unbadged cap, and never with
   BADGE_FAULT. Returns the new slot, -EBADCAP, -EINVAL, -EBUSY or -ENOMEM. */
static long sys_cap_copy(struct thread *t, uint64_t *x)
{
    long src_as = (long)x[RI_A0], src = (long)x[RI_A1], dst_as = (long)x[RI_A2], dst = (long)x[RI_A3];
    uint64_t badge = x[RI_A4];
    struct aspace *sa = src_as == -1 ? t->as : as_arg(t, src_as);
    struct aspace *da = dst_as == -1 ? t->as : as_arg(t, dst_as);
    if (!sa || !da)
        return -EBADCAP;
    struct cap *s = (src > 0 && src < (long)sa->ncaps) ? &sa->caps[src] : NULL;
    if (!s || !(s->type == CAP_ENDPOINT || s->type == CAP_NTFN || s->type == CAP_SYSCTL ||
                s->type == CAP_IRQCTL || s->type == CAP_DEVICE))
        return -EBADCAP;
    if (dst < 0 || dst >= (long)da->ncaps || (badge & BADGE_FAULT))
        return -EINVAL; /* BADGE_FAULT is the kernel's: no cap carries it */
    if (dst && da->caps[dst].type != CAP_NULL)
        return -EBUSY;
    long slot = cap_insert_at(da, dst, s->type, s->obj, s->badge ? s->badge : badge);
    if (slot > 0 && !s->recv)
        da->caps[slot].recv = 0; /* a right never comes back through a copy */
    return slot;
}

/* Faults of n go to the endpoint of cap ep, with its badge. */
static void set_fault_ep(struct thread *n, struct cap *ep)
{
    n->fault_ep = ep->obj;
    n->fault_ep->holders++;
    n->fault_badge = ep->badge;
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
    if (ep)
        set_fault_ep(n, ep);
    n->regs.x[RI_A0] = x[RI_A5];
    sched_ready(n);
    return slot;
}

static long sys_range(struct thread *t, uint64_t *x, int which)
{
    struct aspace *as = which == SYS_AD_BITS && (long)x[RI_A0] == -1 ? t->as : as_arg(t, (long)x[RI_A0]);
    uint64_t va = x[RI_A1], n = x[RI_A2], perms = x[RI_A3];
    if (!as)
        return -EBADCAP;
    if (!range_ok(va, n))
        return -EINVAL;
    if (which == SYS_UNMAP) {
        return pt_unmap(as->root, &as->ptq, va, n);
    } else if (which == SYS_PROTECT) {
        if (!perms_ok(perms))
            return -EINVAL;
        pt_protect(as->root, &as->ptq, va, n, perm_bits(perms));
    } else {
        if (n > 64 || (perms & ~(uint64_t)(AD_CLEAR_A | AD_CLEAR_D)))
            return -EINVAL;
        pt_adbits(as->root, &as->ptq, va, n, ((perms & AD_CLEAR_A) ? PTE_A : 0) | ((perms & AD_CLEAR_D) ? PTE_D : 0),
                  &x[RI_A1], &x[RI_A2]);
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

/* ---- one handler per system call: (caller, its registers) -> result or KEEP ---- */

static long h_debug_write(struct thread *t, uint64_t *x) { return sys_debug_write(t, x[RI_A0], x[RI_A1]); }

static long h_yield(struct thread *t, uint64_t *x)
{
    (void)x;
    current = NULL;
    sched_ready(t);
    return 0;
}

/* An IPC call failed with err: a7 = IPC_FAILED tells the stub that a0 is an
   error, not the label of a message (a7 keeps the call's number otherwise). */
static long ipc_fail(struct thread *t, long err)
{
    t->regs.x[RI_A7] = IPC_FAILED;
    return err;
}

static long ipc_result(struct thread *t, long r) { return r < 0 ? ipc_fail(t, r) : KEEP; }

static struct cap *ep_arg(struct thread *t, uint64_t *x) { return cap_get(t->as, (long)x[RI_T0], CAP_ENDPOINT); }

static long h_send(struct thread *t, uint64_t *x)
{
    struct cap *c = ep_arg(t, x);
    if (!c)
        c = cap_get(t->as, (long)x[RI_T0], CAP_REPLY);
    return c ? ipc_result(t, ipc_send(t, c, false, true)) : ipc_fail(t, -EBADCAP);
}

static long h_nbsend(struct thread *t, uint64_t *x)
{
    struct cap *c = ep_arg(t, x);
    return c ? ipc_result(t, ipc_send(t, c, false, false)) : ipc_fail(t, -EBADCAP);
}

static long h_call(struct thread *t, uint64_t *x)
{
    struct cap *c = ep_arg(t, x);
    return c ? ipc_result(t, ipc_send(t, c, true, true)) : ipc_fail(t, -EBADCAP);
}

static long h_recv(struct thread *t, uint64_t *x)
{
    struct cap *c = ep_arg(t, x);
    return c && c->recv ? ipc_result(t, ipc_recv(t, c)) : ipc_fail(t, -EBADCAP);
}

static long h_reply(struct thread *t, uint64_t *x)
{
    (void)x;
    return ipc_reply(t);
}

static long h_replyrecv(struct thread *t, uint64_t *x)
{
    ipc_reply(t);
    return h_recv(t, x);
}

static struct cap *ntfn_arg(struct thread *t, uint64_t *x) { return cap_get(t->as, (long)x[RI_A0], CAP_NTFN); }

static long h_notify(struct thread *t, uint64_t *x)
{
    struct cap *c = ntfn_arg(t, x);
    return c ? ntfn_notify(c->obj, c->badge ? c->badge : 1) : -EBADCAP;
}

static long h_wait(struct thread *t, uint64_t *x)
{
    struct cap *c = ntfn_arg(t, x);
    if (!c)
        return -EBADCAP;
    long r = ntfn_wait(t, c->obj);
    return r < 0 ? r : KEEP;
}

static long h_timer_notify(struct thread *t, uint64_t *x)
{
    struct cap *c = ntfn_arg(t, x);
    if (!c)
        return -EBADCAP;
    timer_set(c->obj, c->badge ? c->badge : 1, x[RI_A1]);
    return 0;
}

static long h_ep_create(struct thread *t, uint64_t *x)
{
    (void)x;
    return new_object(t, CAP_ENDPOINT, sizeof(struct endpoint));
}

static long h_ntfn_create(struct thread *t, uint64_t *x)
{
    (void)x;
    return new_object(t, CAP_NTFN, sizeof(struct ntfn));
}

static long h_cap_delete(struct thread *t, uint64_t *x)
{
    if ((long)x[RI_A0] <= 0 || x[RI_A0] >= t->as->ncaps)
        return -EBADCAP;
    cap_clear(&t->as->caps[x[RI_A0]]);
    return 0;
}

static long h_as_create(struct thread *t, uint64_t *x)
{
    if (!cap_get(t->as, (long)x[RI_A0], CAP_MEMORY))
        return -EBADCAP;
    struct aspace *as = as_create(NSLOTS);
    if (!as)
        return -ENOMEM;
    long slot = cap_insert(t->as, CAP_ASPACE, as, 0);
    if (slot < 0)
        as_destroy(as);
    return slot;
}

/* At most `tables` page-table pages below the root for the address space (0: no
   limit); maps that would need more fail with -ENOMEM. Returns how many it holds. */
static long h_as_limit(struct thread *t, uint64_t *x)
{
    struct aspace *as = as_arg(t, (long)x[RI_A0]);
    if (!as)
        return -EBADCAP;
    as->ptq.limit = x[RI_A1];
    return (long)as->ptq.used;
}

/* The caller's own address space: its page-table pages below the root, and its limit in a1. */
static long h_pt_info(struct thread *t, uint64_t *x)
{
    x[RI_A1] = t->as->ptq.limit;
    return (long)t->as->ptq.used;
}

static long h_as_destroy(struct thread *t, uint64_t *x)
{
    struct aspace *as = as_arg(t, (long)x[RI_A0]);
    if (!as)
        return -EBADCAP;
    as_destroy(as);
    return 0;
}

static long h_map(struct thread *t, uint64_t *x)
{
    struct aspace *as = as_arg(t, (long)x[RI_A1]);
    if (!as)
        return -EBADCAP;
    return mem_map(t->as, (long)x[RI_A0], as, x[RI_A2], x[RI_A3], x[RI_A4]);
}

static long h_unmap(struct thread *t, uint64_t *x) { return sys_range(t, x, SYS_UNMAP); }
static long h_protect(struct thread *t, uint64_t *x) { return sys_range(t, x, SYS_PROTECT); }
static long h_ad_bits(struct thread *t, uint64_t *x) { return sys_range(t, x, SYS_AD_BITS); }

static long h_reply_save(struct thread *t, uint64_t *x)
{
    (void)x;
    struct thread *caller = t->reply_to;
    if (!caller)
        return -EINVAL;
    long slot = cap_insert(t->as, CAP_REPLY, caller, 0);
    if (slot >= 0)
        t->reply_to = NULL;
    return slot;
}

static long h_shutdown(struct thread *t, uint64_t *x)
{
    if (!cap_get(t->as, (long)x[RI_A0], CAP_SYSCTL))
        return -EBADCAP;
    kprintf("kernel: shutdown\n");
    acct_check(t);
    sbi_shutdown();
}

static long h_thread_kill(struct thread *t, uint64_t *x)
{
    struct cap *c = cap_get(t->as, (long)x[RI_A0], CAP_THREAD);
    if (!c)
        return -EBADCAP;
    sched_stop(NULL, c->obj); /* (may let the lock go: THREAD caps are never copied, so
                                 the thread and the cap change only by the caller) */
    thread_kill(c->obj);
    return 0;
}

static long h_console_getc(struct thread *t, uint64_t *x)
{
    if (!cap_get(t->as, (long)x[RI_A0], CAP_SYSCTL))
        return -EBADCAP;
    int ch = sbi_getchar();
    return ch < 0 ? -EAGAIN : ch;
}

static long h_irq_bind(struct thread *t, uint64_t *x)
{
    struct cap *n = cap_get(t->as, (long)x[RI_A2], CAP_NTFN);
    if (!cap_get(t->as, (long)x[RI_A0], CAP_IRQCTL) || !n)
        return -EBADCAP;
    return irq_bind(t->as, (uint32_t)x[RI_A1] == x[RI_A1] ? (uint32_t)x[RI_A1] : 0, n->obj, n->badge ? n->badge : 1);
}

static long h_irq_ack(struct thread *t, uint64_t *x)
{
    if (!cap_get(t->as, (long)x[RI_A0], CAP_IRQCTL))
        return -EBADCAP;
    return irq_ack((uint32_t)x[RI_A1] == x[RI_A1] ? (uint32_t)x[RI_A1] : 0);
}

/* Map a page of device registers: only pages of the devices found in the device
   tree, never executable. */
static long h_map_device(struct thread *t, uint64_t *x)
{
    struct aspace *as = (long)x[RI_A1] == -1 ? t->as : as_arg(t, (long)x[RI_A1]);
    uint64_t va = x[RI_A2], pa = x[RI_A3], perms = x[RI_A4];
    if (!cap_get(t->as, (long)x[RI_A0], CAP_DEVICE) || !as)
        return -EBADCAP;
    if (!range_ok(va, 1) || !perms_ok(perms) || (perms & PERM_X))
        return -EINVAL;
    if ((pa & (PGSIZE - 1)) || !is_device_page(pa))
        return -EPERM;
    return pt_map(as->root, &as->ptq, va, pa, perm_bits(perms), 0);
}

/* Map n pages at va, va + 4K, ... from the array pas[n] in the caller's memory:
   frames of the user pool (cap MEMORY) or device pages (cap DEVICE, never
   executable). Every page is checked before any is mapped. Returns how many were
   mapped (fewer than n when a table could not be had for the next one), or
   -EBADCAP, -EINVAL (bad n, va or rights), -EFAULT (bad pas), -EPERM (a page
   outside the cap's range; nothing mapped), -ENOMEM (nothing mapped). */
static long h_map_batch(struct thread *t, uint64_t *x)
{
    struct cap *c = cap_get(t->as, (long)x[RI_A0], CAP_MEMORY);
    bool dev = !c && (c = cap_get(t->as, (long)x[RI_A0], CAP_DEVICE));
    struct aspace *as = (long)x[RI_A1] == -1 ? t->as : as_arg(t, (long)x[RI_A1]);
    uint64_t va = x[RI_A2], n = x[RI_A4], perms = x[RI_A5], pas[MAP_BATCH_MAX];
    if (!c || !as)
        return -EBADCAP;
    if (n == 0 || n > MAP_BATCH_MAX || !range_ok(va, n) || !perms_ok(perms) || (dev && (perms & PERM_X)))
        return -EINVAL;
    long r = user_readable(t, x[RI_A3], n * sizeof pas[0]);
    if (r)
        return r;
    user_read(t, x[RI_A3], n * sizeof pas[0], (char *)pas, NULL);
    for (uint64_t i = 0; i < n; i++)
        if ((pas[i] & (PGSIZE - 1)) || (dev ? !is_device_page(pas[i]) : pas[i] < pool_base || pas[i] >= pool_end))
            return -EPERM;
    for (uint64_t i = 0; i < n; i++)
        if (pt_map(as->root, &as->ptq, va + i * PGSIZE, pas[i], perm_bits(perms), 0) < 0)
            return i ? (long)i : -ENOMEM;
    return (long)n;
}

/* fork's page-table half: copy a range's mappings into another address space. */
static long h_pt_copy(struct thread *t, uint64_t *x)
{
    struct aspace *src = as_arg(t, (long)x[RI_A0]), *dst = as_arg(t, (long)x[RI_A1]);
    uint64_t va = x[RI_A2], n = x[RI_A3], flags = x[RI_A4];
    if (!src || !dst)
        return -EBADCAP;
    if (!range_ok(va, n) || (flags & ~COPY_WP) || src == dst)
        return -EINVAL;
    return pt_copy(dst->root, &dst->ptq, src->root, &src->ptq, va, n, flags & COPY_WP);
}

/* fork's thread half: a new thread that continues where `thread` stands. */
static long h_thread_clone(struct thread *t, uint64_t *x)
{
    struct cap *tc = cap_get(t->as, (long)x[RI_A0], CAP_THREAD);
    struct aspace *as = as_arg(t, (long)x[RI_A1]);
    struct cap *ep = cap_get(t->as, (long)x[RI_A2], CAP_ENDPOINT);
    if (!tc || !as || !ep)
        return -EBADCAP;
    struct thread *src = tc->obj;
    if (src->prio > t->prio)
        return -EINVAL;
    struct thread *n = thread_create(as, 0, 0, src->prio);
    if (!n)
        return -ENOMEM;
    long slot = cap_insert(t->as, CAP_THREAD, n, 0);
    if (slot < 0) {
        thread_kill(n);
        return slot;
    }
    n->regs = src->regs;
    fp_sync(src); /* its FP registers and FS too */
    n->fp = src->fp;
    n->fs = src->fs;
    n->regs.x[RI_A0] = x[RI_A3];
    n->regs.x[RI_A1] = x[RI_A4];
    set_fault_ep(n, ep);
    sched_ready(n);
    return slot;
}

static long h_ntfn_bind(struct thread *t, uint64_t *x)
{
    if (x[RI_A0] == 0) {
        struct ntfn *n = t->bound_ntfn;
        ntfn_bind(t, NULL);
        if (n)
            ntfn_put(n);
        return 0;
    }
    struct cap *c = ntfn_arg(t, x);
    return c ? ntfn_bind(t, c->obj) : -EBADCAP;
}

/* The thread slot names for t: -1 t itself, any other a THREAD cap; NULL for a bad slot. */
static struct thread *thread_arg(struct thread *t, long slot)
{
    struct cap *c = slot == -1 ? NULL : cap_get(t->as, slot, CAP_THREAD);
    return slot == -1 ? t : c ? c->obj : NULL;
}

/* The instructions retired while a thread ran, user and kernel: slot -1 names the
   caller, any other a THREAD cap. Returns the count or -EBADCAP. */
static long h_thread_instret(struct thread *t, uint64_t *x)
{
    struct thread *o = thread_arg(t, (long)x[RI_A0]);
    return o ? (long)acct_count(o, t) : -EBADCAP;
}

/* The instructions all harts retired so far (acct_total). */
static long h_instret_all(struct thread *t, uint64_t *x)
{
    (void)t; (void)x;
    return (long)acct_total();
}

/* The hart a thread last returned to user mode on (harts[] index), -1 before it
   ran: slot -1 names the caller, any other a THREAD cap. Or -EBADCAP. */
static long h_thread_hart(struct thread *t, uint64_t *x)
{
    struct thread *o = thread_arg(t, (long)x[RI_A0]);
    if (!o)
        return -EBADCAP;
    return o->regs.hart ? (long)o->regs.hart->index : -1;
}

/* Pin a thread to a hart (sched_pin): slot -1 names the caller, any other a
   THREAD cap. Returns 0, -EBADCAP or -EINVAL. */
static long h_thread_pin(struct thread *t, uint64_t *x)
{
    struct thread *o = thread_arg(t, (long)x[RI_A0]);
    if (!o)
        return -EBADCAP;
    return sched_pin(o, (long)x[RI_A1]);
}

/* Is [buf, buf + len) of t's memory mapped with all of perm (PTE_R, PTE_W)?
   Only for callers that never fault (thread_regs: the pager). */
static bool user_mapped(struct thread *t, uint64_t buf, uint64_t len, pte_t perm)
{
    if (buf >= USER_LIMIT || len > USER_LIMIT - buf)
        return false;
    for (uint64_t va = ROUNDDOWN(buf, PGSIZE); va < buf + len; va += PGSIZE) {
        pte_t e = pt_lookup(t->as->root, va);
        if ((e & (perm | PTE_U)) != (perm | PTE_U))
            return false;
    }
    return true;
}

/* The kernel address of word va of t's memory (user_mapped said yes). */
static uint64_t *user_word(struct thread *t, uint64_t va)
{
    return P2V(PTE_PA(pt_lookup(t->as->root, va)) + (va & (PGSIZE - 1)));
}

/* Another thread's registers, through a THREAD cap (only the pager holds those
   of user tasks): REGS_GET copies them (pc, x1..x31) into buf, after ending a
   blocking call with REGS_INTERRUPT; REGS_SET loads them from buf into a ready
   thread (a caller that owes it an answer replies first). The thread is first
   taken off any other hart; with REGS_HOLD it stays off (a wake-up does not
   queue it) until the next call without REGS_HOLD, so that a GET and the SET
   that follows see the same thread. Returns the thread's state (THREAD_*), -EBADCAP, -EINVAL (itself,
   bad flags), -EFAULT (buf not mapped), -EBUSY (REGS_SET on a blocked thread). */
static long h_thread_regs(struct thread *t, uint64_t *x)
{
    struct cap *c = cap_get(t->as, (long)x[RI_A0], CAP_THREAD);
    if (!c)
        return -EBADCAP;
    struct thread *o = c->obj;
    uint64_t buf = x[RI_A1], flags = x[RI_A2];
    if (o == t || (flags != REGS_SET && (flags & ~(uint64_t)(REGS_INTERRUPT | REGS_HOLD)) != REGS_GET) || (buf & 7))
        return -EINVAL;
    if (!user_mapped(t, buf, REGS_WORDS * 8, flags == REGS_SET ? PTE_R : PTE_R | PTE_W))
        return -EFAULT;
    sched_stop(NULL, o); /* its registers are saved, and it stays off every hart until sched_resume */
    bool hold = flags & REGS_HOLD;
    long r = THREAD_READY;
    if (flags != REGS_SET) {
        r = ipc_interrupt(o, flags & REGS_INTERRUPT);
        for (unsigned i = 0; i < REGS_WORDS; i++)
            *user_word(t, buf + (uint64_t)i * 8) = o->regs.x[i ? i - 1 : RI_PC];
    } else if (ipc_interrupt(o, false) != THREAD_READY) {
        r = -EBUSY;
    } else {
        for (unsigned i = 0; i < REGS_WORDS; i++)
            o->regs.x[i ? i - 1 : RI_PC] = *user_word(t, buf + (uint64_t)i * 8);
    }
    if (!hold)
        sched_resume(o);
    return r;
}

static long h_nop(struct thread *t, uint64_t *x)
{
    (void)t; (void)x;
    return 0;
}

static long (*const handlers[SYS_COUNT])(struct thread *, uint64_t *) = {
    [SYS_DEBUG_WRITE] = h_debug_write,
    [SYS_YIELD] = h_yield,
    [SYS_SEND] = h_send,
    [SYS_RECV] = h_recv,
    [SYS_CALL] = h_call,
    [SYS_REPLY] = h_reply,
    [SYS_REPLYRECV] = h_replyrecv,
    [SYS_NBSEND] = h_nbsend,
    [SYS_NOTIFY] = h_notify,
    [SYS_WAIT] = h_wait,
    [SYS_EP_CREATE] = h_ep_create,
    [SYS_NTFN_CREATE] = h_ntfn_create,
    [SYS_CAP_COPY] = sys_cap_copy,
    [SYS_CAP_DELETE] = h_cap_delete,
    [SYS_AS_CREATE] = h_as_create,
    [SYS_AS_DESTROY] = h_as_destroy,
    [SYS_THREAD_CREATE] = sys_thread_create,
    [SYS_MAP] = h_map,
    [SYS_UNMAP] = h_unmap,
    [SYS_PROTECT] = h_protect,
    [SYS_AD_BITS] = h_ad_bits,
    [SYS_REPLY_SAVE] = h_reply_save,
    [SYS_SHUTDOWN] = h_shutdown,
    [SYS_THREAD_KILL] = h_thread_kill,
    [SYS_CONSOLE_GETC] = h_console_getc,
    [SYS_NOP] = h_nop,
    [SYS_TIMER_NOTIFY] = h_timer_notify,
    [SYS_IRQ_BIND] = h_irq_bind,
    [SYS_IRQ_ACK] = h_irq_ack,
    [SYS_MAP_DEVICE] = h_map_device,
    [SYS_PT_COPY] = h_pt_copy,
    [SYS_THREAD_CLONE] = h_thread_clone,
    [SYS_NTFN_BIND] = h_ntfn_bind,
    [SYS_AS_LIMIT] = h_as_limit,
    [SYS_PT_INFO] = h_pt_info,
    [SYS_MAP_BATCH] = h_map_batch,
    [SYS_THREAD_INSTRET] = h_thread_instret,
    [SYS_THREAD_REGS] = h_thread_regs,
    [SYS_THREAD_HART] = h_thread_hart,
    [SYS_THREAD_PIN] = h_thread_pin,
    [SYS_INSTRET_ALL] = h_instret_all,
};

/* Handle the ecall of t (the current thread). */
void syscall(struct thread *t)
{
    uint64_t *x = t->regs.x;
    uint64_t nr = x[RI_A7];
    x[RI_PC] += 4;
    long r = nr < SYS_COUNT && handlers[nr] ? handlers[nr](t, x) : -ENOSYS;
    if (r != KEEP && t->state == TS_RUNNING)
        x[RI_A0] = (uint64_t)r;
}
