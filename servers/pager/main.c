/* The pager's start-up and its one loop: receive a fault or a request, answer it. */
#include "pager.h"

const struct bootinfo *bootinfo;

void pager_panic(void)
{
    printf("pager: cannot go on; shutting down\n");
    for (;;)
        sys_shutdown(BOOT_SYSCTL_SLOT);
}

/* The value of "key=N" in the boot arguments, or dflt. */
static long bootarg(const char *key, long dflt)
{
    size_t n = strlen(key);
    for (const char *s = bootinfo->bootargs; *s; s++) {
        if ((s == bootinfo->bootargs || s[-1] == ' ') && strncmp(s, key, n) == 0 && s[n] == '=')
            return atol(s + n + 1);
    }
    return dflt;
}

/* Programs allowed to drive devices: they get the DEVICE and IRQCTL caps. */
static const char *const drivers[] = { "fs", "t_irq" };

/* PG_DEVICE: where device `which` is; a driver also gets the caps to use it.
   Returns the base address or -errno (ENOENT: no such device). */
static long pg_device(struct proc *p, long which, struct msg *reply)
{
    if (which < 0 || which >= (long)(sizeof bootinfo->dev / sizeof bootinfo->dev[0]) ||
        !bootinfo->dev[which].base)
        return -ENOENT;
    for (unsigned i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
        if (strcmp(p->name, drivers[i]) == 0) {
            sys_cap_copy(-1, BOOT_DEV_SLOT, p->as_slot, DRV_DEV_SLOT, 0);  /* -EBUSY the 2nd time */
            sys_cap_copy(-1, BOOT_IRQ_SLOT, p->as_slot, DRV_IRQ_SLOT, 0);
        }
    }
    reply->w[1] = (long)bootinfo->dev[which].size;
    reply->w[2] = bootinfo->dev[which].irq;
    return (long)bootinfo->dev[which].base;
}

/* Handle one request of p. Returns true when `reply` is to be sent now. */
static bool handle_request(struct proc *p, struct msg *m, struct msg *reply)
{
    reply->label = 0;
    switch (m->label) {
    case MSG_FAULT:
        return handle_fault(p, m, reply);
    case MSG_PG_EXIT:
        proc_exit(p, WAIT_EXITED, m->w[0]);
        return false;
    case MSG_PG_SPAWN: {
        char name[33];
        memcpy(name, m->w, 32);
        name[32] = 0;
        reply->w[0] = proc_spawn(name, m->w[4], p);
        return true;
    }
    case MSG_PG_WAIT: {
        long r = proc_wait(p, m->w[0], reply);
        if (r < 0)
            reply->w[0] = r;
        return r != 0;
    }
    case MSG_PG_KILL: {
        struct proc *t = proc_find(m->w[0]);
        if (!t || t->state != P_RUN) {
            reply->w[0] = -ESRCH;
            return true;
        }
        reply->w[0] = 0;
        if (t == p) {
            proc_exit(p, WAIT_KILLED, 9);
            return false;
        }
        proc_exit(t, WAIT_KILLED, 9);
        return true;
    }
    case MSG_PG_ANON: {
        uint64_t len = PG_ROUNDUP((uint64_t)m->w[0]);
        if (len == 0 || len > (1UL << 30) || p->anon_next + len > USER_STACK_TOP - USER_STACK_SIZE) {
            reply->w[0] = -ENOMEM;
            return true;
        }
        struct region *r = region_add(p, p->anon_next, p->anon_next + len, PERM_R | PERM_W);
        if (!r) {
            reply->w[0] = -ENOMEM;
            return true;
        }
        p->anon_next += len + PAGE; /* leave an unmapped page between regions */
        reply->w[0] = (long)r->start;
        return true;
    }
    case MSG_PG_STAT:
        reply->w[0] = (long)frames_free();
        reply->w[1] = (long)frames_total();
        reply->w[2] = (long)cnt.zero_fill;
        reply->w[3] = (long)cnt.zero_page;
        return true;
    case MSG_PG_SHUTDOWN:
        printf("pager: shutdown requested by pid %ld\n", p->pid);
        sys_shutdown(BOOT_SYSCTL_SLOT);
        reply->w[0] = -EPERM;
        return true;
    case MSG_PG_GETPID:
        reply->w[0] = p->pid;
        return true;
    case MSG_PG_DEVICE:
        reply->w[0] = pg_device(p, m->w[0], reply);
        return true;
    default:
        reply->w[0] = -ENOSYS;
        return true;
    }
}

int main(long bootinfo_va)
{
    bootinfo = (const struct bootinfo *)bootinfo_va;
    if (bootinfo->magic != BOOTINFO_MAGIC)
        pager_panic();
    frames_init(bootinfo);
    printf("pager: %lu frames free of %lu\n", frames_free(), frames_total());
    long pid = proc_spawn("init", bootarg("teststart", 0), NULL);
    if (pid < 0) {
        printf("pager: cannot start init: %s\n", strerror(pid));
        pager_panic();
    }

    struct msg m, reply;
    sys_recv(BOOT_EP_SLOT, &m);
    for (;;) {
        struct proc *p = proc_find(m.badge);
        bool answer;
        if (!p || p->state != P_RUN) {
            reply.label = m.label == MSG_FAULT ? MSG_FAULT_KILL : -ESRCH;
            answer = true;
        } else {
            answer = handle_request(p, &m, &reply);
        }
        if (answer) {
            m = reply;
            sys_replyrecv(BOOT_EP_SLOT, &m);
        } else {
            sys_recv(BOOT_EP_SLOT, &m);
        }
    }
}
