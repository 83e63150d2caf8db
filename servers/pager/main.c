/* The pager's start-up and its one loop: receive a fault, a request or a
   notification; answer it. */
#include "pager.h"
#include "vmstat.h"

const struct bootinfo *bootinfo;

/* The pager's printf goes straight to the kernel console. */
long libsys_output(int fd, const void *buf, size_t n)
{
    (void)fd;
    return sys_debug_write((long)buf, (long)n);
}

void pager_panic(const char *why)
{
    printf("pager: %s; shutting down\n", why);
    for (;;)
        sys_shutdown(BOOT_SYSCTL_SLOT);
}

/* The text after "key=" in the boot arguments (up to a space), or NULL. */
static const char *bootarg_str(const char *key, char *buf, size_t size)
{
    size_t n = strlen(key);
    for (const char *s = bootinfo->bootargs; *s; s++) {
        if ((s == bootinfo->bootargs || s[-1] == ' ') && strncmp(s, key, n) == 0 && s[n] == '=') {
            size_t i = 0;
            for (s += n + 1; *s && *s != ' ' && i + 1 < size; s++)
                buf[i++] = *s;
            buf[i] = 0;
            return buf;
        }
    }
    return NULL;
}

/* Programs allowed to drive devices: they get the DEVICE and IRQCTL caps. By
   name, so any program called fs (t_virtio runs `fs selftest`) may: a known
   limit until programs carry credentials. */
static const char *const drivers[] = { "fs", "t_irq" };

static bool is_driver(struct proc *p)
{
    for (unsigned i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if (strcmp(p->name, drivers[i]) == 0)
            return true;
    return false;
}

/* PG_DEVICE: where device `which` is; a driver also gets the caps to use it.
   Returns the base address or -errno (ENOENT: no such device). */
static long pg_device(struct proc *p, long which, struct msg *reply)
{
    if (which < 0 || which >= (long)(sizeof bootinfo->dev / sizeof bootinfo->dev[0]) ||
        !bootinfo->dev[which].base)
        return -ENOENT;
    if (is_driver(p)) {
        sys_cap_copy(-1, BOOT_DEV_SLOT, p->vm.as_slot, DRV_DEV_SLOT, 0);  /* -EBUSY the 2nd time */
        sys_cap_copy(-1, BOOT_IRQ_SLOT, p->vm.as_slot, DRV_IRQ_SLOT, 0);
    }
    reply->w[1] = (long)bootinfo->dev[which].size;
    reply->w[2] = bootinfo->dev[which].irq;
    return (long)bootinfo->dev[which].base;
}

/* PG_DMA: physically contiguous memory for a driver's device queues and buffers,
   mapped read-write; its physical address goes back in w1. The frames stay put
   for as long as the region exists. Returns the address or -errno. */
static long pg_dma(struct proc *p, uint64_t len, struct msg *reply)
{
    if (!is_driver(p))
        return -EPERM;
    if (len == 0 || len > (4UL << 20))
        return -EINVAL;
    unsigned order = 0;
    while ((PAGE << order) < len)
        order++;
    uint64_t n = 1UL << order, size = n * PAGE;
    uint64_t addr = vt_find_gap_top(&p->vm.vmas, size, PAGE, PG_ROUNDUP(p->vm.brk_base) + (1UL << 30),
                                    USER_STACK_TOP - USER_STACK_SIZE - 16 * PAGE);
    struct memobj *o = addr ? shared_obj(n) : NULL;
    uint64_t pa = o ? frames_alloc_contig(order) : 0;
    if (!pa) {
        if (o)
            memobj_free(o);
        return -ENOMEM;
    }
    for (uint64_t k = 0; k < n; k++)
        o->pages[k] = pa + k * PAGE; /* the object holds the frames' references */
    if (!vm_add(&p->vm, addr, addr + size, PERM_R | PERM_W, &shared_ops, o, 0, 0)) {
        memobj_free(o);
        return -ENOMEM;
    }
    reply->w[1] = (long)pa;
    return (long)addr;
}

/* The lowest address user mmap may use and the top of the mmap area. */
#define MMAP_TOP (USER_STACK_TOP - USER_STACK_SIZE - 16 * PAGE)

static long pg_mmap(struct proc *p, struct msg *m)
{
    uint64_t addr = (uint64_t)m->w[0], len = PG_ROUNDUP((uint64_t)m->w[1]);
    long prot = m->w[2], flags = m->w[3];
    bool shared = flags & MAP_SHARED;
    if (len == 0 || (uint64_t)m->w[1] > USER_LIMIT || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) ||
        (!!(flags & MAP_SHARED) == !!(flags & MAP_PRIVATE)) || (addr & (PAGE - 1)))
        return -EINVAL;
    struct vnode *vn = NULL;
    long fflags = 0;
    if (!(flags & MAP_ANONYMOUS)) {
        long err;
        if (!(vn = fd_vnode(p, m->w[4], &fflags, &err)))
            return err;
        if (m->w[5] < 0 || (m->w[5] & (long)(PAGE - 1)))
            return -EINVAL;
        if ((fflags & O_ACCMODE) == O_WRONLY || (shared && (prot & PROT_WRITE) && (fflags & O_ACCMODE) != O_RDWR))
            return -EACCES;
    }
    uint64_t lo = PG_ROUNDUP(p->vm.brk_base) + (1UL << 30);
    if (flags & MAP_FIXED) {
        if (addr < PAGE || addr + len > USER_LIMIT || addr + len < addr)
            return -EINVAL;
        if (vm_unmap(&p->vm, addr, addr + len) < 0)
            return -ENOMEM;
    } else if (!addr || addr + len > MMAP_TOP || addr + len < addr || !vt_range_free(&p->vm.vmas, addr, addr + len)) {
        addr = vt_find_gap_top(&p->vm.vmas, len, PAGE, lo, MMAP_TOP);
        if (!addr)
            return -ENOMEM;
    }
    if (vn) { /* lazy: nothing is read until a page is touched */
        uint32_t vflags = VMA_EOF | (shared && (fflags & O_ACCMODE) != O_RDWR ? VMA_NOWRITE : 0);
        if (!vm_add_file(&p->vm, addr, addr + len, (uint32_t)prot, shared ? &fshared_ops : &file_ops, vn,
                         (uint64_t)m->w[5] / PAGE, UINT64_MAX, vflags))
            return -ENOMEM;
        return (long)addr;
    }
    struct memobj *o = NULL;
    if (shared && !(o = shared_obj(len / PAGE)))
        return -ENOMEM;
    struct vma *v = vm_add(&p->vm, addr, addr + len, (uint32_t)prot, shared ? &shared_ops : &anon_ops, o, 0, 0);
    if (!v) {
        if (o)
            memobj_free(o);
        return -ENOMEM;
    }
    return (long)addr;
}

static long pg_range(struct proc *p, struct msg *m)
{
    uint64_t addr = (uint64_t)m->w[0], len = PG_ROUNDUP((uint64_t)m->w[1]);
    if ((addr & (PAGE - 1)) || len == 0 || addr >= USER_LIMIT || len > USER_LIMIT - addr)
        return -EINVAL;
    if (m->label == MSG_PG_MUNMAP)
        return vm_unmap(&p->vm, addr, addr + len);
    if (m->w[2] & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    return vm_protect(&p->vm, addr, addr + len, (uint32_t)m->w[2]);
}

/* sbrk: move the break by incr; the heap region grows lazily or gives its
   pages back. Returns the old break or -ENOMEM (beyond the address space or
   the memory limit: the size of RAM). */
static long pg_sbrk(struct proc *p, long incr)
{
    struct vmspace *vs = &p->vm;
    uint64_t old = vs->brk, new = old + (uint64_t)incr;
    uint64_t limit = vs->brk_base + bootinfo->pool_pages * PAGE;
    if ((incr > 0 && (new < old || new > limit)) || (incr < 0 && (new > old || new < vs->brk_base)))
        return -ENOMEM;
    uint64_t oend = PG_ROUNDUP(old), nend = PG_ROUNDUP(new);
    if (nend > oend) {
        if (!vt_range_free(&vs->vmas, oend, nend))
            return -ENOMEM;
        struct vma_node *h = oend > vs->brk_base ? vt_find(&vs->vmas, oend - 1) : NULL;
        if (h && ((struct vma *)h)->flags & VMA_HEAP)
            vt_resize(&vs->vmas, h, h->start, nend);
        else if (!vm_add(vs, oend, nend, PERM_R | PERM_W, &anon_ops, NULL, 0, VMA_HEAP))
            return -ENOMEM;
    } else if (nend < oend && vm_unmap(vs, nend, oend) < 0) {
        return -ENOMEM;
    }
    vs->brk = new;
    return (long)old;
}

static long pg_vmstat(struct proc *p, uint64_t uva)
{
    struct frame_stats fs;
    frames_stats(&fs);
    struct vmstat st = {
        .frames_free = fs.free, .frames_total = fs.total, .frames_used = fs.used, .frames_shared = fs.shared,
        .zero_page = cnt.zero_page, .zero_fill = cnt.zero_fill, .cow_copy = cnt.cow_copy,
        .cow_reuse = cnt.cow_reuse, .file = cnt.file, .invalid = cnt.invalid,
        .forks = cnt.forks, .execs = cnt.execs, .fork_pages = cnt.fork_pages,
        .writeback = cnt.writeback, .bus_error = cnt.bus_error,
    };
    return copy_out(&p->vm, uva, &st, sizeof st);
}

static void count_resident(void *arg, uint64_t va, spte_t *e)
{
    (void)va;
    if (*e & SPTE_PRESENT)
        (*(uint64_t *)arg)++;
}

static long pg_pmap(struct proc *p, long pid, uint64_t uva, long max)
{
    struct proc *t = proc_find(pid);
    if (!t || t->state != P_RUN)
        return -ESRCH;
    long i = 0;
    for (struct vma_node *n = vt_first(&t->vm.vmas); n; n = vt_next(n), i++) {
        if (i >= max)
            continue;
        struct vma *v = (struct vma *)n;
        struct region_info ri = { .start = n->start, .end = n->end, .prot = v->prot,
                                  .shared = !v->ops->private, .flags = v->flags };
        strncpy(ri.kind, v->ops->name, sizeof ri.kind);
        shadow_walk(&t->vm.shadow, n->start, n->end, count_resident, &ri.resident);
        if (copy_out(&p->vm, uva + (uint64_t)i * sizeof ri, &ri, sizeof ri) < 0)
            return -EFAULT;
    }
    return i;
}

static long pg_ps(struct proc *p, uint64_t uva, long max)
{
    long i = 0;
    for (struct proc *t = proc_first(); t; t = proc_next(t), i++) {
        if (i >= max)
            continue;
        struct proc_info pi = { .pid = t->pid, .parent = t->parent, .state = t->state == P_RUN ? 1 : 2,
                                .faults = t->faults };
        memcpy(pi.name, t->name, sizeof pi.name);
        if (copy_out(&p->vm, uva + (uint64_t)i * sizeof pi, &pi, sizeof pi) < 0)
            return -EFAULT;
    }
    return i;
}

static long pg_spawn(struct proc *p, struct msg *m)
{
    char name[33], arg[24];
    memcpy(name, m->w, 32);
    name[32] = 0;
    snprintf(arg, sizeof arg, "%ld", m->w[4]);
    char *argv[] = { name, arg, NULL };
    return proc_spawn(name, argv, p, false);
}

static long pg_exec(struct proc *p, struct msg *m)
{
    char path[64];
    int n = copy_in_str(&p->vm, path, (uint64_t)m->w[0], sizeof path);
    if (n < 0)
        return n;
    return proc_exec(p, path, (uint64_t)m->w[1]);
}

long init_pid; /* may kill any process; proc_exit says when it ends */

/* Start init: /bin/init of the file system (init=PROGRAM: /bin/PROGRAM), or
   the boot archive's when there is no file system or that file cannot run. Called
   again when the file server had to be asked for the program. */
static void spawn_init(void)
{
    char start[24], name[32], path[40];
    /* teststart=N (the test runner, after a hang) becomes init's argument */
    char *argv[] = { name, bootarg_str("teststart", start, sizeof start) ? start : NULL, NULL };
    if (!bootarg_str("init", name, sizeof name)) /* init=PROGRAM runs another first program */
        strncpy(name, "init", sizeof name);
    snprintf(path, sizeof path, "/bin/%s", name);
    long pid = vfs_ready() ? proc_spawn(path, argv, NULL, true) : -ENOENT;
    if (pid == -EAGAIN && vfs_park_call(spawn_init))
        return;
    if (pid < 0) {
        printf("pager: %s from the boot archive (%s)\n", name, vfs_ready() ? strerror(pid) : "no file system");
        pid = proc_spawn(name, argv, NULL, false);
    }
    init_pid = pid;
    if (pid < 0) {
        printf("pager: cannot start init: %s\n", strerror(pid));
        pager_panic("no init");
    }
}

/* Start init (once), when the file server is ready or gone. */
void start_init(void)
{
    static bool started;
    if (started)
        return;
    started = true;
    spawn_init();
}

/* While a parked request is handled again, its reply cap stands in for the
   pending reply that reply_save would take. */
static long redispatch_slot;

long reply_cap_take(void)
{
    if (redispatch_slot) {
        long s = redispatch_slot;
        redispatch_slot = 0;
        return s;
    }
    return sys_reply_save();
}

static bool handle_request(struct proc *p, struct msg *m, struct msg *reply);

/* Answer the request being handled now: the pending reply, or the saved
   reply cap of a parked request handled again (whose handler then returns
   false: nothing is left to answer). */
void reply_now(struct msg *r)
{
    if (redispatch_slot) {
        sys_send(redispatch_slot, r);
        redispatch_slot = 0;
    } else {
        sys_reply(0, r);
    }
}

/* Handle one request of p. A request that failed because a buffer of p's lies
   in a file page not read yet (copy_waited) waits for that page and is handled
   again from the start; handlers change nothing before such a copy fails, or
   answer with the part that was done. Returns true when `reply` is to be sent now. */
static bool handle(struct proc *p, struct msg *m, struct msg *reply)
{
    copy_waited = false;
    bool now = handle_request(p, m, reply);
    if (now && copy_waited && reply->w[0] < 0 && m->label != MSG_FAULT && m->label != MSG_PG_FS_NEXT)
        return vfs_park(p, m, reply);
    return now;
}

void redispatch(struct proc *p, struct msg *m, long slot)
{
    struct msg reply;
    redispatch_slot = slot;
    if (handle(p, m, &reply)) {
        if (redispatch_slot) {
            sys_send(redispatch_slot, &reply);
            redispatch_slot = 0;
        } else {
            printf("pager: redispatch: answered a request whose reply cap was taken\n");
        }
    }
    if (redispatch_slot) { /* neither answered nor parked again: should not happen */
        sys_cap_delete(redispatch_slot);
        redispatch_slot = 0;
    }
}

/* Handle one request of p. Returns true when `reply` is to be sent now. */
static bool handle_request(struct proc *p, struct msg *m, struct msg *reply)
{
    reply->label = 0;
    long *r = &reply->w[0];
    switch (m->label) {
    case MSG_FAULT:
        return handle_fault(p, m, reply);
    case MSG_PG_EXIT:
        proc_exit(p, WAIT_EXITED, m->w[0]);
        return false;
    case MSG_PG_SPAWN:
        *r = pg_spawn(p, m);
        return true;
    case MSG_PG_FORK:
        *r = proc_fork(p);
        return true;
    case MSG_PG_EXEC:
        *r = pg_exec(p, m);
        if (*r == -EAGAIN) /* the program's file is being looked up or read */
            return vfs_park(p, m, reply);
        return *r < 0; /* on success the caller is gone */
    case MSG_PG_WAIT: {
        long w = proc_wait(p, m->w[0], reply);
        if (w < 0)
            *r = w;
        return w != 0;
    }
    case MSG_PG_KILL: {
        struct proc *t = proc_find(m->w[0]);
        if (!t || t->state != P_RUN) {
            *r = -ESRCH;
            return true;
        }
        if (t != p && t->parent != p->pid && p->pid != init_pid) {
            *r = -EPERM; /* only itself, its parent, or init */
            return true;
        }
        *r = 0;
        proc_exit(t, WAIT_KILLED, 9);
        return t != p;
    }
    case MSG_PG_ANON: {
        struct msg mm = { .w = { 0, m->w[0], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } };
        *r = m->w[0] > (long)(1UL << 30) ? -ENOMEM : pg_mmap(p, &mm);
        return true;
    }
    case MSG_PG_MMAP:
        *r = pg_mmap(p, m);
        return true;
    case MSG_PG_MUNMAP: case MSG_PG_MPROTECT:
        *r = pg_range(p, m);
        return true;
    case MSG_PG_DROPMAPS: { /* costs the target only faults, so anyone may ask */
        struct proc *t = proc_find(m->w[0]);
        *r = t && t->state == P_RUN ? 0 : -ESRCH;
        if (t && t->state == P_RUN)
            vm_dropmaps(&t->vm);
        return true;
    }
    case MSG_PG_SYNC:
        return vfs_sync(p, m, reply);
    case MSG_PG_MSYNC:
        return vfs_msync(p, m, reply);
    case MSG_PG_SBRK:
        *r = pg_sbrk(p, m->w[0]);
        return true;
    case MSG_PG_STAT: {
        struct frame_stats fs;
        frames_stats(&fs);
        reply->w[0] = (long)fs.free;
        reply->w[1] = (long)fs.total;
        reply->w[2] = (long)cnt.zero_fill;
        reply->w[3] = (long)cnt.zero_page;
        return true;
    }
    case MSG_PG_VMSTAT:
        *r = pg_vmstat(p, (uint64_t)m->w[0]);
        return true;
    case MSG_PG_PMAP:
        *r = pg_pmap(p, m->w[0], (uint64_t)m->w[1], m->w[2]);
        return true;
    case MSG_PG_PS:
        *r = pg_ps(p, (uint64_t)m->w[0], m->w[1]);
        return true;
    case MSG_PG_SHUTDOWN:
        printf("pager: shutdown requested by pid %ld\n", p->pid);
        sys_shutdown(BOOT_SYSCTL_SLOT);
        *r = -EPERM;
        return true;
    case MSG_PG_GETPID:
        *r = p->pid;
        return true;
    case MSG_PG_GETPPID:
        *r = p->parent;
        return true;
    case MSG_PG_DEVICE:
        *r = pg_device(p, m->w[0], reply);
        return true;
    case MSG_PG_DMA:
        *r = pg_dma(p, (uint64_t)m->w[0], reply);
        return true;
    case MSG_PG_READ: case MSG_PG_WRITE: case MSG_PG_CLOSE: case MSG_PG_PIPE: case MSG_PG_DUP: case MSG_PG_DUP2:
    case MSG_PG_FSTAT: case MSG_PG_LSEEK: case MSG_PG_READDIR:
        return fd_request(p, m, reply);
    case MSG_PG_OPEN:
        return vfs_open(p, m, reply);
    case MSG_PG_UNLINK: case MSG_PG_MKDIR: case MSG_PG_RMDIR:
        return vfs_path_op(p, m, reply);
    case MSG_PG_CHDIR:
        return vfs_chdir(p, m, reply);
    case MSG_PG_LINK:
        return vfs_link(p, m, reply);
    case MSG_PG_GETCWD: {
        const char *cwd = p->cwd_path[0] ? p->cwd_path : "/";
        size_t n = strlen(cwd) + 1;
        *r = m->w[1] < (long)n ? -ERANGE : copy_out(&p->vm, (uint64_t)m->w[0], cwd, n) < 0 ? -EFAULT : (long)n - 1;
        return true;
    }
    case MSG_PG_FS_NEXT:
        return vfs_fs_next(p, m, reply);
    default:
        *r = -ENOSYS;
        return true;
    }
}

int main(void)
{
    bootinfo = (const struct bootinfo *)PAGER_BOOTINFO;
    if (bootinfo->magic != BOOTINFO_MAGIC)
        pager_panic("no boot information");
    frames_init(bootinfo);
    fd_init();
    struct frame_stats fs;
    frames_stats(&fs);
    printf("pager: %lu frames free of %lu\n", fs.free, fs.total);
    /* The file server first; init starts once it has mounted its disk (or failed). */
    long fspid = archive_file("fs", &(uint64_t){ 0 }) ? proc_spawn("fs", (char *[]){ "fs", NULL }, NULL, false) : -ENOENT;
    if (fspid < 0)
        start_init();

    struct msg m, reply;
    sys_recv(BOOT_EP_SLOT, &m);
    for (;;) {
        /* the common case first: a page fault, answered in place */
        if (m.label == MSG_FAULT && ((uint64_t)m.badge & BADGE_FAULT)) {
            struct proc *p = proc_find((long)((uint64_t)m.badge & ~BADGE_FAULT));
            if (p && p->state == P_RUN) {
                if (handle_fault(p, &m, &m))
                    sys_replyrecv(BOOT_EP_SLOT, &m);
                else
                    sys_recv(BOOT_EP_SLOT, &m);
                continue;
            }
        }
        bool answer;
        if (m.label == MSG_NOTIFY) {
            console_input();
            answer = false;
        } else {
            bool fault = (uint64_t)m.badge & BADGE_FAULT;
            struct proc *p = proc_find((long)((uint64_t)m.badge & ~BADGE_FAULT));
            if (!p || p->state != P_RUN) {
                reply.label = fault ? MSG_FAULT_KILL : -ESRCH;
                answer = true;
            } else if (fault != (m.label == MSG_FAULT)) {
                reply.label = fault ? MSG_FAULT_KILL : -EINVAL; /* a forged fault message */
                answer = true;
            } else {
                answer = handle(p, &m, &reply);
            }
        }
        if (answer) {
            m = reply;
            sys_replyrecv(BOOT_EP_SLOT, &m);
        } else {
            sys_recv(BOOT_EP_SLOT, &m);
        }
    }
}
