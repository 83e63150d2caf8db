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

/* The lowest address user mmap may use and the top of the mmap area. */
#define MMAP_TOP (USER_STACK_TOP - USER_STACK_SIZE - 16 * PAGE)

static long req_mmap(struct proc *p, struct msg *m)
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
    uint64_t lo = PG_ROUNDUP(p->vm.brk_base) + HEAP_MAX;
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
    if (shared) { /* its pages are promised once, whoever maps them */
        if (commit_charge(len / PAGE) < 0)
            return -ENOMEM;
        if (!(o = shared_anon(len / PAGE))) {
            commit_uncharge(len / PAGE);
            return -ENOMEM;
        }
        o->charged = len / PAGE;
    }
    struct vma *v = vm_add(&p->vm, addr, addr + len, (uint32_t)prot, shared ? &shared_ops : &anon_ops, o, 0, 0);
    if (!v) {
        if (o)
            memobj_free(o);
        return -ENOMEM;
    }
    if (the_policy->eager)
        vm_populate(&p->vm, addr, addr + len);
    return (long)addr;
}

static long req_range(struct proc *p, struct msg *m)
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

/* sbrk: move the break by incr; the heap region grows lazily (eagerly under
   an eager policy) or gives its pages back. Returns the old break or -ENOMEM
   (beyond HEAP_MAX, or a promise a strict policy refuses). */
static long req_sbrk(struct proc *p, long incr)
{
    struct vmspace *vs = &p->vm;
    uint64_t old = vs->brk, new = old + (uint64_t)incr;
    uint64_t limit = vs->brk_base + HEAP_MAX;
    if ((incr > 0 && (new < old || new > limit)) || (incr < 0 && (new > old || new < vs->brk_base)))
        return -ENOMEM;
    uint64_t oend = PG_ROUNDUP(old), nend = PG_ROUNDUP(new);
    if (nend > oend) {
        if (!vt_range_free(&vs->vmas, oend, nend))
            return -ENOMEM;
        struct vma_node *h = oend > vs->brk_base ? vt_find(&vs->vmas, oend - 1) : NULL;
        if (h && ((struct vma *)h)->flags & VMA_HEAP) {
            if (commit_charge((nend - oend) / PAGE) < 0)
                return -ENOMEM;
            vt_resize(&vs->vmas, h, h->start, nend);
        } else if (!vm_add(vs, oend, nend, PERM_R | PERM_W, &anon_ops, NULL, 0, VMA_HEAP)) {
            return -ENOMEM;
        }
        if (the_policy->eager)
            vm_populate(vs, oend, nend);
    } else if (nend < oend && vm_unmap(vs, nend, oend) < 0) {
        return -ENOMEM;
    }
    vs->brk = new;
    return (long)old;
}

static long req_vmstat(struct req *rq, uint64_t uva)
{
    struct vmstat st = {
        .zero_page = cnt.zero_page, .zero_fill = cnt.zero_fill, .cow_copy = cnt.cow_copy,
        .cow_reuse = cnt.cow_reuse, .file = cnt.file, .invalid = cnt.invalid,
        .forks = cnt.forks, .execs = cnt.execs, .fork_pages = cnt.fork_pages,
        .writeback = cnt.writeback, .bus_error = cnt.bus_error,
        .swap_out = cnt.swap_out, .swap_in = cnt.swap_in, .evict_clean = cnt.evict_clean,
        .evict_dirty = cnt.evict_dirty, .scans = cnt.scans, .faults_major = cnt.major,
        .faults_minor = cnt.minor, .swap_total = slots_total(), .swap_used = slots_used(),
        .oom_kills = cnt.oom_kills, .evict_instr = cnt.evict_instr, .swapin_instr = cnt.swapin_instr,
        .swapdrv_write_instr = cnt.swapdrv_write_instr, .swapdrv_read_instr = cnt.swapdrv_read_instr,
        .evict_shared = cnt.evict_shared,
        .fault_around = cnt.fault_around,
    };
    long r = frames_census(&st);
    return r < 0 ? r : copy_out(rq, &rq->p->vm, uva, &st, sizeof st);
}

static long req_pmap(struct req *rq, long pid, uint64_t uva, long max)
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
                                  .shared = !v->ops->private, .flags = v->flags & (VMA_HEAP | VMA_STACK) };
        strncpy(ri.kind, v->ops->name, sizeof ri.kind);
        vm_usage(&t->vm, n->start, n->end, &ri.resident, &ri.swapped);
        if (copy_out(rq, &rq->p->vm, uva + (uint64_t)i * sizeof ri, &ri, sizeof ri) < 0)
            return -EFAULT;
    }
    return i;
}

static long req_ps(struct req *rq, uint64_t uva, long max)
{
    long i = 0;
    for (struct proc *t = proc_first(); t; t = proc_next(t), i++) {
        if (i >= max)
            continue;
        struct proc_info pi = { .pid = t->pid, .parent = t->parent, .state = t->state == P_RUN ? 1 : 2,
                                .faults = t->faults, .shadow = t->vm.shadow.nodes };
        memcpy(pi.name, t->name, sizeof pi.name);
        pi.hart = -1;
        if (t->state == P_RUN) {
            vm_usage(&t->vm, 0, USER_LIMIT, &pi.resident, &pi.swapped);
            pi.hart = sys_thread_hart(t->thread_slot);
            if (pi.hart < 0)
                pi.hart = -1;
        }
        if (copy_out(rq, &rq->p->vm, uva + (uint64_t)i * sizeof pi, &pi, sizeof pi) < 0)
            return -EFAULT;
    }
    return i;
}

#define ALL_RIGHTS (RIGHT_SHUTDOWN | RIGHT_DRIVER | RIGHT_MAKE_DRIVER | RIGHT_PROCS)

/* PG_SPAWN: program name of the boot archive, with rights w5. A process gives
   only rights it holds, and RIGHT_DRIVER only with RIGHT_MAKE_DRIVER. Returns
   the pid, -EPERM (rights it may not give), -EINVAL, -EAGAIN (no slot), -errno. */
static long req_spawn(struct proc *p, struct msg *m)
{
    char name[33], arg[24];
    uint32_t rights = (uint32_t)m->w[5];
    if ((uint64_t)m->w[5] & ~(uint64_t)ALL_RIGHTS)
        return -EINVAL;
    uint32_t needs = (rights & ~(uint32_t)RIGHT_DRIVER) | (rights & RIGHT_DRIVER ? RIGHT_MAKE_DRIVER : 0);
    if ((p->rights & needs) != needs)
        return -EPERM;
    memcpy(name, m->w, 32);
    name[32] = 0;
    snprintf(arg, sizeof arg, "%ld", m->w[4]);
    char *argv[] = { name, arg, NULL };
    struct vm_wait unused = { 0 }; /* from the boot archive: nothing to wait for */
    return proc_spawn(name, argv, p, false, rights, &unused);
}

static long req_exec(struct req *rq)
{
    static char path[PATH_MAX];
    int n = copy_in_str(rq, &rq->p->vm, path, (uint64_t)rq->m->w[0], sizeof path);
    if (n < 0)
        return n;
    return proc_exec(rq, path, (uint64_t)rq->m->w[1], (uint64_t)rq->m->w[2]);
}

/* init's rights: power off, start drivers, act on any process. */
#define INIT_RIGHTS (RIGHT_SHUTDOWN | RIGHT_MAKE_DRIVER | RIGHT_PROCS)

static long fs_pid = -1; /* the file server the pager started: the only sender of PG_FS_NEXT */

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
    struct vm_wait w = { 0 };
    long pid = vfs_ready() ? proc_spawn(path, argv, NULL, true, INIT_RIGHTS, &w) : -ENOENT;
    if (pid == -EAGAIN && vfs_park_call(spawn_init, &w))
        return;
    if (pid < 0) {
        printf("pager: %s from the boot archive (%s)\n", name, vfs_ready() ? strerror(pid) : "no file system");
        pid = proc_spawn(name, argv, NULL, false, INIT_RIGHTS, &w);
    }
    init_pid = pid;
    if (pid < 0) {
        printf("pager: cannot start init: %s\n", strerror(pid));
        pager_panic("no init");
    }
}

/* Start init (once), when the file server is ready or gone and the swap
   disk (if any) has answered its check: the first programs see the memory
   they will have. */
static bool fs_settled;

static void start_init(void)
{
    static bool started;
    if (started || !fs_settled || !swap_settled())
        return;
    started = true;
    spawn_init();
}

/* The file layer's hook: the file server is ready, or gone before it was. */
static void fs_ready_or_gone(void)
{
    fs_settled = true;
    start_init();
}

static bool handle_request(struct req *rq);

/* Handle request rq. One that failed because a buffer of the sender's lies in
   a file page not read yet (rq->waited) waits for that page and is handled
   again from the start; handlers change nothing before such a copy fails, or
   answer with the part that was done. Returns true when rq->reply is to be
   sent now. */
static bool handle(struct req *rq)
{
    struct msg *m = rq->m;
    bool now = handle_request(rq);
    if (now && rq->waited && rq->reply->w[0] < 0 && m->label != MSG_FAULT && m->label != MSG_PG_FS_NEXT)
        return vfs_park(rq, m);
    return now;
}

/* Eviction's list of address spaces: the live processes'. */
static struct vmspace *space_from(struct proc *p)
{
    while (p && (p->state != P_RUN || p->vm.as_slot <= 0 || !p->vm.shadow.root))
        p = proc_next(p);
    return p ? &p->vm : NULL;
}

static struct vmspace *space_first(void)
{
    return space_from(proc_first());
}

static struct vmspace *space_next(struct vmspace *vs)
{
    struct proc *p = (struct proc *)((char *)vs - __builtin_offsetof(struct proc, vm));
    return space_from(proc_next(p));
}

/* Handle p's parked request m again (the file layer calls this, through its
   hooks, once what it waited for is there); slot is its saved reply cap. */
static void redispatch(struct proc *p, struct msg *m, long slot)
{
    struct msg reply = { .label = 0 };
    struct req rq = { .p = p, .m = m, .reply = &reply, .slot = slot };
    if (handle(&rq)) {
        if (rq.slot) {
            sys_send(rq.slot, &reply);
            rq.slot = 0;
        } else {
            printf("pager: redispatch: answered a request whose reply cap was taken\n");
        }
    }
    if (rq.slot) /* neither answered nor parked again: should not happen */
        sys_cap_delete(rq.slot);
}

/* ---- the requests: one handler each, and who may send it ----
   A "now" handler returns the result for w0 (reply at once); a "later"
   handler fills the reply itself and returns true to send it now, false when
   the answer comes later (the reply cap saved) or the caller is gone. */

static long rq_spawn(struct req *rq) { return req_spawn(rq->p, rq->m); }
static long rq_fork(struct req *rq) { return proc_fork(rq->p); }
static long rq_mmap(struct req *rq) { return req_mmap(rq->p, rq->m); }
static long rq_range(struct req *rq) { return req_range(rq->p, rq->m); }
static long rq_sbrk(struct req *rq) { return req_sbrk(rq->p, rq->m->w[0]); }
static long rq_getpid(struct req *rq) { return rq->p->pid; }
static long rq_getppid(struct req *rq) { return rq->p->parent; }
static long rq_vmstat(struct req *rq) { return req_vmstat(rq, (uint64_t)rq->m->w[0]); }
static long rq_ps(struct req *rq) { return req_ps(rq, (uint64_t)rq->m->w[0], rq->m->w[1]); }
static long rq_device(struct req *rq) { return device_query(rq->p, rq->m->w[0], rq->m->w[1], rq->reply); }
static long rq_dma(struct req *rq) { return device_dma(rq->p, (uint64_t)rq->m->w[0], rq->reply); }

/* PG_RIGHTS: keep only the rights in w0 (forks of init inherit its rights; a
   supervisor's children drop them). Returns the rights left. */
static long rq_rights(struct req *rq)
{
    rq->p->rights &= (uint32_t)rq->m->w[0];
    return rq->p->rights;
}

static long rq_pmap(struct req *rq)
{
    struct msg *m = rq->m;
    return req_pmap(rq, m->w[0], (uint64_t)m->w[1], m->w[2]);
}

static long rq_anon(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m;
    struct msg mm = { .w = { 0, m->w[0], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } };
    return m->w[0] > (long)(1UL << 30) ? -ENOMEM : req_mmap(p, &mm);
}

/* PG_DROPMAPS: the target's pages leave its page table (it only costs faults). */
static long rq_dropmaps(struct req *rq)
{
    vm_dropmaps(&proc_find(rq->m->w[0])->vm);
    return 0;
}

static long rq_stat(struct req *rq)
{
    struct msg *reply = rq->reply;
    struct frame_stats fs;
    frames_stats(&fs);
    reply->w[1] = (long)fs.total;
    reply->w[2] = (long)cnt.zero_fill;
    reply->w[3] = (long)cnt.zero_page;
    unsigned around = the_policy->fault_around < MAP_BATCH_MAX ? the_policy->fault_around : MAP_BATCH_MAX;
    reply->w[4] = (the_policy->eager ? POLICY_EAGER : 0) | (the_policy->strict ? POLICY_STRICT : 0) |
                  (the_policy->tick ? POLICY_TICK : 0) | (long)around << POLICY_AROUND_SHIFT |
                  (long)(bootinfo->nharts & 0xff) << STAT_HARTS_SHIFT;
    strncpy((char *)&reply->w[5], the_policy->name, 2 * sizeof(long));
    return (long)fs.free;
}

static long rq_shutdown(struct req *rq)
{
    printf("pager: shutdown requested by pid %ld\n", rq->p->pid);
    sys_shutdown(BOOT_SYSCTL_SLOT);
    return -EIO; /* still running: the firmware refused */
}

static long rq_getcwd(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m;
    const char *cwd = p->cwd_path[0] ? p->cwd_path : "/";
    size_t n = strlen(cwd) + 1;
    return m->w[1] < (long)n ? -ERANGE : copy_out(rq, &p->vm, (uint64_t)m->w[0], cwd, n) < 0 ? -EFAULT : (long)n - 1;
}

static bool rq_exit(struct req *rq)
{
    proc_exit(rq->p, WAIT_EXITED, rq->m->w[0]);
    return false;
}

static bool rq_exec(struct req *rq)
{
    long r = rq->reply->w[0] = req_exec(rq);
    if (r == -EAGAIN) /* the program's file is being looked up or read */
        return vfs_park(rq, rq->m);
    return r < 0; /* on success the caller is gone */
}

static bool rq_wait(struct req *rq)
{
    long w = proc_wait(rq, rq->m->w[0]);
    if (w < 0)
        rq->reply->w[0] = w;
    return w != 0;
}

/* The swap driver on the disk that swap=N names, when the boot archive has
   it; it tells swapdev.c whether the disk is a swap disk. */
static void start_swap(void)
{
    char nth[8];
    if (!bootarg_str("swap", nth, sizeof nth) || !archive_file("swap", &(uint64_t){ 0 }))
        return;
    struct vm_wait unused = { 0 }; /* from the boot archive: nothing to wait for */
    long pid = proc_spawn("swap", (char *[]){ "swap", nth, NULL }, NULL, false, RIGHT_DRIVER, &unused);
    if (pid < 0)
        printf("pager: cannot start the swap driver: %s\n", strerror(pid));
    else
        swap_set_driver(pid);
}

/* PG_PIN: w0 the hart the pager's thread is to run on (-1: any). Returns 0
   or -EINVAL (no such hart). */
static long rq_pin(struct req *rq)
{
    return sys_thread_pin(-1, rq->m->w[0]);
}

/* Who may send a request (checked before its handler runs). */
enum rule {
    ANYONE,      /* any process: the request acts on the sender only, or shows what Unix lets all see */
    RELATIVE,    /* w0 names a running process: the sender itself, a descendant of it, or the sender
                    holds RIGHT_PROCS (init, or a process init gave it to) */
    FS_SERVER,   /* only the file server the pager started */
    SWAP_DRIVER, /* only the swap driver the pager started */
    DRIVER,      /* only a process holding RIGHT_DRIVER */
    SHUTDOWN,    /* only a process holding RIGHT_SHUTDOWN (init, or a process init gave it to) */
    PROCS,       /* only a process holding RIGHT_PROCS (it acts on every process) */
};

struct request {
    enum rule rule;
    long (*now)(struct req *rq);          /* the result for w0 */
    bool (*later)(struct req *rq);        /* true: rq->reply now; false: answered later */
};

#define RQ(label) [MSG_##label - PG_FIRST]
static const struct request requests[PG_LAST - PG_FIRST + 1] = {
    RQ(PG_EXIT) = { ANYONE, NULL, rq_exit },
    RQ(PG_SPAWN) = { ANYONE, rq_spawn, NULL },         /* rights: only those the sender may give */
    RQ(PG_WAIT) = { ANYONE, NULL, rq_wait },           /* its own children only */
    RQ(PG_KILL) = { RELATIVE, signal_kill, NULL },
    RQ(PG_ANON) = { ANYONE, rq_anon, NULL },
    RQ(PG_STAT) = { ANYONE, rq_stat, NULL },
    RQ(PG_SHUTDOWN) = { SHUTDOWN, rq_shutdown, NULL },
    RQ(PG_GETPID) = { ANYONE, rq_getpid, NULL },
    RQ(PG_DEVICE) = { ANYONE, rq_device, NULL },       /* where a device is; caps only for drivers */
    RQ(PG_FORK) = { ANYONE, rq_fork, NULL },
    RQ(PG_EXEC) = { ANYONE, NULL, rq_exec },
    RQ(PG_SBRK) = { ANYONE, rq_sbrk, NULL },
    RQ(PG_MMAP) = { ANYONE, rq_mmap, NULL },
    RQ(PG_MUNMAP) = { ANYONE, rq_range, NULL },
    RQ(PG_MPROTECT) = { ANYONE, rq_range, NULL },
    RQ(PG_READ) = { ANYONE, NULL, fd_request },        /* descriptors are the sender's own */
    RQ(PG_WRITE) = { ANYONE, NULL, fd_request },
    RQ(PG_CLOSE) = { ANYONE, NULL, fd_request },
    RQ(PG_PIPE) = { ANYONE, NULL, fd_request },
    RQ(PG_DUP) = { ANYONE, NULL, fd_request },
    RQ(PG_DUP2) = { ANYONE, NULL, fd_request },
    RQ(PG_GETPPID) = { ANYONE, rq_getppid, NULL },
    RQ(PG_VMSTAT) = { ANYONE, rq_vmstat, NULL },
    RQ(PG_PMAP) = { RELATIVE, rq_pmap, NULL },
    RQ(PG_PS) = { ANYONE, rq_ps, NULL },               /* everyone may list everyone, as on Unix */
    RQ(PG_DMA) = { DRIVER, rq_dma, NULL },
    RQ(PG_OPEN) = { ANYONE, NULL, vfs_open },
    RQ(PG_FSTAT) = { ANYONE, NULL, fd_request },
    RQ(PG_FS_NEXT) = { FS_SERVER, NULL, vfs_fs_next },
    RQ(PG_UNLINK) = { ANYONE, NULL, vfs_path_op },
    RQ(PG_MKDIR) = { ANYONE, NULL, vfs_path_op },
    RQ(PG_RMDIR) = { ANYONE, NULL, vfs_path_op },
    RQ(PG_LSEEK) = { ANYONE, NULL, fd_request },
    RQ(PG_READDIR) = { ANYONE, NULL, fd_request },
    RQ(PG_CHDIR) = { ANYONE, NULL, vfs_chdir },
    RQ(PG_GETCWD) = { ANYONE, rq_getcwd, NULL },
    RQ(PG_LINK) = { ANYONE, NULL, vfs_link },
    RQ(PG_MSYNC) = { ANYONE, NULL, vfs_msync },
    RQ(PG_DROPMAPS) = { RELATIVE, rq_dropmaps, NULL },
    RQ(PG_SYNC) = { ANYONE, NULL, vfs_sync },
    RQ(PG_RIGHTS) = { ANYONE, rq_rights, NULL },       /* only drops the sender's own */
    RQ(PG_SWAP_NEXT) = { SWAP_DRIVER, NULL, swap_next },
    RQ(PG_FTRUNCATE) = { ANYONE, NULL, fd_request },
    RQ(PG_RENAME) = { ANYONE, NULL, vfs_rename },
    RQ(PG_FSYNC) = { ANYONE, NULL, fd_request },
    RQ(PG_TIME) = { ANYONE, device_time, NULL },       /* the clock, and copies within the sender's own memory */
    RQ(PG_SIGACTION) = { ANYONE, signal_action, NULL },   /* the sender's own */
    RQ(PG_SIGMASK) = { ANYONE, signal_mask, NULL },
    RQ(PG_SIGRETURN) = { ANYONE, NULL, signal_return },
    RQ(PG_SETPGID) = { RELATIVE, signal_setpgid, NULL },  /* into a group of its own, its descendants' or the target's siblings' */
    RQ(PG_GETPGID) = { ANYONE, signal_getpgid, NULL },    /* groups are public, like ps */
    RQ(PG_TCPGRP) = { ANYONE, signal_tcpgrp, NULL },      /* to change it: the console open and a group with a member it may act on (Ctrl-C: only those) */
    RQ(PG_PIN) = { PROCS, rq_pin, NULL },                 /* the pager's own thread: every process waits on it */
    RQ(PG_KILLPG) = { ANYONE, signal_killpg, NULL },      /* to each member the sender may act on (like RELATIVE) */
};

/* 0 when p may send m under rule, else the error for the reply. */
static long check_rule(struct proc *p, struct msg *m, enum rule rule)
{
    switch (rule) {
    case ANYONE:
        return 0;
    case RELATIVE: {
        struct proc *t = proc_find(m->w[0]);
        if (!t || t->state != P_RUN)
            return -ESRCH;
        return proc_may_act_on(p, t) ? 0 : -EPERM;
    }
    case FS_SERVER:
        return p->pid == fs_pid ? 0 : -EPERM;
    case SWAP_DRIVER:
        return swap_is_driver(p) ? 0 : -EPERM;
    case DRIVER:
        return p->rights & RIGHT_DRIVER ? 0 : -EPERM;
    case SHUTDOWN:
        return p->rights & RIGHT_SHUTDOWN ? 0 : -EPERM;
    case PROCS:
        return p->rights & RIGHT_PROCS ? 0 : -EPERM;
    }
    return -EPERM;
}

/* Handle request rq (a fault, or a PG_* request). Returns true when
   rq->reply is to be sent now. */
static bool handle_request(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
    reply->label = 0;
    if (__builtin_expect(m->label == MSG_FAULT, 1)) /* the hot path: keep it straight */
        return handle_fault(rq);
    const struct request *rt = m->label >= (long)PG_FIRST && m->label <= (long)PG_LAST ? &requests[m->label - PG_FIRST] : NULL;
    if (!rt || (!rt->now && !rt->later)) {
        reply->w[0] = -ENOSYS;
        return true;
    }
    long err = check_rule(p, m, rt->rule);
    if (err < 0) {
        reply->w[0] = err;
        return true;
    }
    if (rt->later)
        return rt->later(rq);
    reply->w[0] = rt->now(rq);
    return true;
}

/* Every label of the pager protocol has a handler and a rule: a gap is a bug. */
static void check_requests(void)
{
    for (long l = (long)PG_FIRST; l <= (long)PG_LAST; l++)
        if (!requests[l - PG_FIRST].now && !requests[l - PG_FIRST].later)
            pager_panic("request table: a label without a handler");
}

/* The policy's tick (policy.h): the rdtime at or after which the next one is
   due; never (UINT64_MAX) when the policy has none. */
#define TICK_TIME (RDTIME_HZ / 10)
static uint64_t next_tick = UINT64_MAX;

/* Call the policy's tick, when fewer than a quarter of the frames are free
   (policy.h), and set the next one TICK_TIME from now. Out of line: the
   loop pays an rdtime and a compare per message for it. */
static void __attribute__((noinline)) policy_tick(uint64_t now)
{
    if (frames_free() < bootinfo->pool_pages / 4)
        the_policy->tick();
    next_tick = now + TICK_TIME;
}

/* Answer (when `answer`) and take the next message into *m. A failed IPC
   leaves *m stale, so it is never handled: the pager just receives again.
   Signals waiting for delivery go out between the answer and the receive. */
static void next_message(struct msg *m, bool answer)
{
    if (__builtin_expect(signal_pending_work, 0)) {
        if (answer)
            sys_reply(0, m);
        signal_run();
        answer = false;
    }
    long r = answer ? sys_replyrecv(BOOT_EP_SLOT, m) : sys_recv(BOOT_EP_SLOT, m);
    while (r < 0)
        r = sys_recv(BOOT_EP_SLOT, m);
}

int main(void)
{
    bootinfo = (const struct bootinfo *)PAGER_BOOTINFO;
    if (bootinfo->magic != BOOTINFO_MAGIC)
        pager_panic("no boot information");
    check_requests();
    frames_init(bootinfo);
    fd_init();
    evict_init(&(struct evict_hooks){ .first = space_first, .next = space_next, .space = proc_space, .wake = vfs_wake,
                                         .cache_accessed = cache_accessed, .cache_drop = cache_drop });
    struct frame_stats fs;
    frames_stats(&fs);
    printf("pager: %lu frames free of %lu\n", fs.free, fs.total);
    /* The file server first; init starts once it has mounted its disk (or failed). */
    vfs_init(&(struct vfs_hooks){ .redispatch = redispatch, .settled = fs_ready_or_gone });
    struct vm_wait unused = { 0 }; /* from the boot archive: nothing to wait for */
    fs_pid = archive_file("fs", &(uint64_t){ 0 }) ? proc_spawn("fs", (char *[]){ "fs", NULL }, NULL, false, RIGHT_DRIVER, &unused) : -ENOENT;
    if (fs_pid < 0)
        fs_settled = true;
    start_swap();
    swap_on_settled(start_init);

    if (the_policy->tick)
        next_tick = rdtime() + TICK_TIME;
    struct msg m, reply;
    /* the fast path's context: answered in place (the reply is m itself),
       never with a saved cap; only its process changes from fault to fault */
    struct req fault_rq = { .m = &m, .reply = &m };
    next_message(&m, false);
    for (;;) {
        /* the common case first: a page fault, answered in place */
        if (m.label == MSG_FAULT && ((uint64_t)m.badge & BADGE_FAULT)) {
            struct proc *p = proc_find((long)((uint64_t)m.badge & ~BADGE_FAULT));
            if (p && p->state == P_RUN) {
                fault_rq.p = p;
                next_message(&m, handle_fault(&fault_rq));
                if (frames_low()) /* only now: the answer may map a frame reclaim would take */
                    vm_reclaim_idle();
                uint64_t now = rdtime();
                if (__builtin_expect(now >= next_tick, 0))
                    policy_tick(now);
                continue;
            }
        }
        bool answer;
        bool kernel = (uint64_t)m.badge & BADGE_FAULT; /* only the kernel sets this bit */
        if (kernel && m.label == MSG_NOTIFY) {
            console_input();
            answer = false;
        } else {
            struct proc *p = proc_find((long)((uint64_t)m.badge & ~BADGE_FAULT));
            reply = (struct msg){ .label = kernel ? MSG_FAULT_KILL : 0 };
            if (!p || p->state != P_RUN) {
                reply.w[0] = -ESRCH;
                answer = true;
            } else if (kernel != (m.label == MSG_FAULT) || m.label == MSG_NOTIFY) {
                reply.w[0] = -EPERM; /* a task sent a label only the kernel sends */
                answer = true;
            } else {
                if (m.label == MSG_PG_WRITE || m.label == MSG_PG_READ)
                    m.w[3] = 0; /* the part-done count of a continued write or read is the pager's own (filereq.c) */
                struct req rq = { .p = p, .m = &m, .reply = &reply };
                answer = handle(&rq);
            }
        }
        if (answer)
            m = reply;
        next_message(&m, answer);
        if (frames_low())
            vm_reclaim_idle();
        uint64_t now = rdtime();
        if (now >= next_tick)
            policy_tick(now);
    }
}
