/* Processes: spawn and exec of boot-archive programs (demand paged), fork,
   exit, wait. */
#include "pager.h"
#include "elf.h"

#define USER_PRIO 4
#define SERVER_PRIO 5   /* the file server: runs before user tasks whenever it has work */
#define MAX_ARGS 32     /* argv entries of exec */
#define MAX_ENV 64      /* envp entries of exec */
#define ARGS_BYTES 8192 /* their strings, together */

#define JOB_MAX 100     /* processes of one job (a level-2 process and what it forks or spawns) */
#define RESERVE 8       /* slots only processes of levels 0 and 1 (init, the shell) may take */

static struct proc procs[NPROC];
static char cwd_paths[NPROC][PATH_MAX]; /* procs[i].cwd_path */
static long next_pid = 1;
long init_pid; /* proc_exit says when init ends (the test runner stops on that line) */

/* Pids are chosen so that pid % NPROC is the process's slot: lookup is O(1). */
struct proc *proc_find(long pid)
{
    if (pid <= 0)
        return NULL;
    struct proc *p = &procs[pid % NPROC];
    return p->state != P_FREE && p->pid == pid ? p : NULL;
}

/* The address space of the live process in slot id (vm_create's id), or
   NULL (eviction's evict_hooks.space). */
struct vmspace *proc_space(uint8_t id)
{
    struct proc *p = id < NPROC ? &procs[id] : NULL;
    return p && p->state == P_RUN && p->vm.as_slot > 0 && p->vm.shadow.root ? &p->vm : NULL;
}

struct proc *proc_first(void)
{
    return proc_next(&procs[0] - 1);
}

struct proc *proc_next(struct proc *p)
{
    for (p++; p < &procs[NPROC]; p++)
        if (p->state != P_FREE)
            return p;
    return NULL;
}

/* May parent start one more process? A fork bomb fills its own job and the
   slots outside the reserve, never the whole table: init and the shell (levels
   0 and 1) can still start `kill`. */
static bool room_for_child(struct proc *parent)
{
    if (!parent || parent->level < 2)
        return true;
    int used = 0, in_job = 0;
    for (struct proc *q = proc_first(); q; q = proc_next(q)) {
        used++;
        if (q->level == 2 && q->job == parent->job)
            in_job++;
    }
    return in_job < JOB_MAX && used < NPROC - 1 - RESERVE;
}

/* A free process slot for a child of parent (NULL: the pager's own), or NULL
   when the table, the job or everything outside the reserve is full. */
static struct proc *proc_alloc(struct proc *parent)
{
    if (!room_for_child(parent))
        return NULL;
    long pid = next_pid;
    for (int i = 0; i < NPROC; i++, pid++) {
        struct proc *p = &procs[pid % NPROC];
        if (pid % NPROC != 0 && p->state == P_FREE) {
            memset(p, 0, sizeof *p);
            p->cwd_path = cwd_paths[pid % NPROC];
            p->cwd_path[0] = 0;
            p->pid = pid;
            p->parent = parent ? parent->pid : 0;
            p->state = P_RUN;
            p->level = !parent ? 0 : parent->level < 2 ? parent->level + 1 : 2;
            p->job = parent && parent->level == 2 ? parent->job : pid; /* level 1 starts a new job */
            p->pgid = parent ? parent->pgid : pid;
            next_pid = pid + 1;
            return p;
        }
    }
    return NULL;
}

bool proc_may_act_on(struct proc *p, struct proc *t)
{
    if (p->rights & RIGHT_PROCS)
        return true;
    for (int depth = 0; t && depth < NPROC; depth++, t = proc_find(t->parent))
        if (t == p)
            return true;
    return false;
}

static uint32_t seg_prot(uint32_t f)
{
    return ((f & PF_R) ? PERM_R : 0) | ((f & PF_W) ? PERM_W | PERM_R : 0) | ((f & PF_X) ? PERM_X : 0);
}

/* The stack and the heap's start, after the segments; an eager policy maps
   the program now. Returns 0 or -ENOMEM. */
static long finish_image(struct vmspace *vs)
{
    vs->brk = vs->brk_base;
    if (!vm_add(vs, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, PERM_R | PERM_W, &anon_ops, NULL, 0,
                VMA_STACK))
        return -ENOMEM;
    if (the_policy->eager)
        vm_populate(vs, 0, USER_LIMIT);
    return 0;
}

/* Regions for program `path` from the file system: one file region per
   segment (nothing is read yet but the header page; nothing at all when the
   program is cached). A bare name is looked for in /bin, a relative path from
   the working directory cwd (an inode, 0 the root). Returns the entry point,
   -EAGAIN while the file server is asked (*w says for what), or -errno
   (-ENAMETOOLONG: longer than a lookup takes). */
static long load_file(struct vmspace *vs, const char *path, uint32_t cwd, struct vm_wait *w)
{
    static char full[PATH_MAX];
    uint32_t dir = path[0] == '/' || !cwd ? 1 : cwd;
    if (!strchr(path, '/')) {
        if (snprintf(full, sizeof full, "/bin/%s", path) >= (int)sizeof full)
            return -ENAMETOOLONG;
        path = full;
        dir = 1;
    }
    struct vnode *vn;
    long r = vfs_lookup(dir, path, &vn, w);
    if (r < 0)
        return r;
    uint64_t size = vnode_size(vn);
    long hdr = size ? vnode_page(vn, 0, w) : -ENOEXEC;
    if (hdr < 0) {
        vnode_put(vn);
        return hdr == -EAGAIN ? -EAGAIN : -ENOEXEC;
    }
    const struct elf64_ehdr *eh = frame_ptr((uint64_t)hdr);
    struct elf_info ei;
    int err = size < sizeof *eh || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > PAGE
                  ? ELF_EPHDR /* only what the first page holds is looked at */
                  : elf_parse(eh, size, USER_STACK_TOP - USER_STACK_SIZE - PAGE, &ei);
    if (err < 0) {
        printf("exec %s: %s\n", path, elf_strerror(err));
        vnode_put(vn);
        return -ENOEXEC;
    }
    vnode_keep(vn); /* a program: the next exec finds it cached */
    for (int i = 0; i < ei.nseg && r == 0; i++) {
        const struct elf_seg *s = &ei.seg[i];
        uint64_t start = PG_ROUNDDOWN(s->vaddr), end = PG_ROUNDUP(s->vaddr + s->memsz);
        if (!vm_add_file(vs, start, end, seg_prot(s->flags), &file_ops, vn, (s->offset - (s->vaddr - start)) / PAGE,
                         s->offset + s->filesz, 0))
            r = -ENOMEM;
        if (end > vs->brk_base)
            vs->brk_base = end;
    }
    vnode_put(vn); /* the regions hold it */
    return r < 0 ? r : finish_image(vs) < 0 ? -ENOMEM : (long)ei.entry;
}

/* Regions for program `name` of the boot archive in vs: one image region per
   segment (nothing is read yet), the stack, and the heap's start. Returns the
   entry point or -errno. */
static long load_image(struct vmspace *vs, const char *name)
{
    uint64_t size;
    const uint8_t *img = archive_file(name, &size);
    if (!img)
        return -ENOENT;
    struct elf_info ei;
    int err = elf_parse(img, size, USER_STACK_TOP - USER_STACK_SIZE - PAGE, &ei);
    if (err < 0) {
        printf("exec %s: %s\n", name, elf_strerror(err));
        return -ENOEXEC;
    }
    for (int i = 0; i < ei.nseg; i++) {
        const struct elf_seg *s = &ei.seg[i];
        uint64_t start = PG_ROUNDDOWN(s->vaddr), end = PG_ROUNDUP(s->vaddr + s->memsz);
        uint64_t lead = s->vaddr - start;
        struct memobj *o = image_obj((uint64_t)i, img + s->offset - lead, s->filesz + lead, (end - start) / PAGE);
        if (!o || !vm_add(vs, start, end, seg_prot(s->flags), &image_ops, o, 0, 0))
            return -ENOMEM;
        if (end > vs->brk_base)
            vs->brk_base = end;
    }
    return finish_image(vs) < 0 ? -ENOMEM : (long)ei.entry;
}

/* Put argc, argv[] and envp[] (each NULL-terminated), an empty auxiliary
   vector (AT_NULL) and, above them, the strings at the top of vs's stack (the
   pages fault in through copy_out). vec holds argv's argc strings, then
   envp's envc. Returns the initial sp or -errno. */
static long push_args(struct vmspace *vs, int argc, int envc, char *const vec[], struct vm_wait *w)
{
    uint64_t sp = USER_STACK_TOP, str[MAX_ARGS + MAX_ENV], ptrs[MAX_ARGS + MAX_ENV + 4];
    struct req own = { 0 }; /* a copy that must wait for free frames says so here */
    for (int i = argc + envc - 1; i >= 0; i--) {
        size_t n = strlen(vec[i]) + 1;
        sp -= n;
        if (copy_out(&own, vs, sp, vec[i], n) < 0)
            goto fail;
        str[i] = sp;
    }
    int k = 0;
    for (int i = 0; i < argc; i++)
        ptrs[k++] = str[i];
    ptrs[k++] = 0;
    for (int i = 0; i < envc; i++)
        ptrs[k++] = str[argc + i];
    ptrs[k++] = 0;
    ptrs[k++] = 0; /* AT_NULL */
    ptrs[k++] = 0;
    sp &= ~15UL;
    sp -= (uint64_t)(k + 1) * 8;
    sp &= ~15UL;
    uint64_t c = (uint64_t)argc;
    if (copy_out(&own, vs, sp, &c, 8) < 0 || copy_out(&own, vs, sp + 8, ptrs, (uint64_t)k * 8) < 0)
        goto fail;
    return (long)sp;
fail:
    if (!own.waited)
        return -ENOMEM;
    *w = own.wait;
    return -EAGAIN;
}

/* Give p's address space its pager endpoint (badged with its pid) and return
   a slot of ours with the same badged endpoint for its thread's faults (the
   caller deletes it once the thread exists), or -errno. */
static long pager_caps(struct proc *p)
{
    long r = sys_cap_copy(-1, BOOT_EP_SLOT, p->vm.as_slot, PAGER_SLOT, p->pid);
    return r < 0 ? r : sys_cap_copy(-1, BOOT_EP_SLOT, -1, 0, p->pid);
}

/* Start p's thread at entry with stack sp. Returns 0 or -errno. */
static long start_thread(struct proc *p, long entry, long sp)
{
    long fault_slot = pager_caps(p);
    if (fault_slot < 0)
        return fault_slot;
    long prio = p->server ? SERVER_PRIO : USER_PRIO;
    long t = sys_thread_create(p->vm.as_slot, entry, sp, fault_slot, prio, 0);
    sys_cap_delete(fault_slot);
    if (t < 0)
        return t; /* an exec that fails here keeps the old thread (signals need its slot) */
    p->thread_slot = t;
    return 0;
}

static const char *basename(const char *path)
{
    const char *b = path;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            b = s + 1;
    return b;
}

/* Build a running image of program `path` with argv in a new address space.
   On success *vs holds it and its thread is started in p. -EAGAIN: *w says
   what the file server is asked for. */
static long build(struct proc *p, struct vmspace *vs, const char *path, int argc, int envc, char *const vec[],
                  bool from_archive, struct vm_wait *w)
{
    long r = vm_create(vs, p->server, (uint8_t)(p - procs));
    if (r < 0)
        return r;
    /* programs come from the file system once the file server runs; the
       file server itself comes from the boot archive */
    long entry = vfs_ready() && !from_archive ? load_file(vs, path, p->cwd, w) : load_image(vs, basename(path));
    long sp = entry < 0 ? entry : push_args(vs, argc, envc, vec, w);
    if (sp < 0) {
        vm_destroy(vs);
        return sp;
    }
    struct vmspace old = p->vm;
    p->vm = *vs;
    r = start_thread(p, entry, sp);
    if (r < 0) {
        vm_destroy(&p->vm);
        p->vm = old;
    }
    return r;
}

static int count_args(char *const argv[])
{
    int n = 0;
    while (argv && argv[n] && n < MAX_ARGS)
        n++;
    return n;
}

/* Start program `name` as a new process: from the boot archive (the file
   server, and the spawn convenience call) or, with from_disk, the program at
   that path of the file system (init), with the given rights. Returns its
   pid, -EAGAIN when the file server was asked for the program (*w says what
   to wait for; nothing is left behind) or, with a parent, when no slot is
   left for its job (see room_for_child), or -errno. */
long proc_spawn(const char *name, char *const argv[], struct proc *parent, bool from_disk, uint32_t rights,
                struct vm_wait *w)
{
    struct proc *p = proc_alloc(parent);
    if (!p)
        return -EAGAIN;
    strncpy(p->name, basename(name), sizeof p->name);
    p->rights = rights;
    p->server = !parent && (rights & RIGHT_DRIVER); /* the driver the pager starts is the file server */
    struct vmspace vs;
    long r = build(p, &vs, name, count_args(argv), 0, argv, !from_disk, w);
    if (r < 0) {
        p->state = P_FREE;
        if (next_pid == p->pid + 1)
            next_pid = p->pid; /* a retry gets the same pid */
        return r;
    }
    fd_fork(p, parent);
    if (parent) {
        sys_cap_copy(parent->vm.as_slot, GRANT_SLOT, p->vm.as_slot, GRANT_SLOT, 0); /* may be empty */
    }
    return p->pid;
}

/* fork: a child with a copy-on-write image of parent, continuing from the same
   call with 0 as its result. Returns the child's pid or -errno. */
long proc_fork(struct proc *parent)
{
    struct proc *c = proc_alloc(parent);
    if (!c)
        return -EAGAIN;
    memcpy(c->name, parent->name, sizeof c->name);
    c->rights = parent->rights;
    signal_fork(c, parent);
    c->cwd = parent->cwd;
    memcpy(c->cwd_path, parent->cwd_path, strlen(parent->cwd_path) + 1);
    long r = vm_create(&c->vm, false, (uint8_t)(c - procs));
    if (r == 0)
        r = vm_fork(&c->vm, &parent->vm);
    long fault_slot = r < 0 ? r : pager_caps(c);
    if (fault_slot >= 0) {
        sys_cap_copy(parent->vm.as_slot, GRANT_SLOT, c->vm.as_slot, GRANT_SLOT, 0);
        fd_fork(c, parent);
        c->thread_slot = sys_thread_clone(parent->thread_slot, c->vm.as_slot, fault_slot, 0, 0);
        sys_cap_delete(fault_slot);
        r = c->thread_slot;
    } else {
        r = fault_slot;
    }
    if (r < 0) {
        fd_close_all(c);
        vm_destroy(&c->vm);
        c->state = P_FREE;
        return r;
    }
    cnt.forks++;
    return c->pid;
}

/* Copy the NULL-terminated array of strings at u (the caller's memory) into
   vec[] (at most max) and the strings into buf after *used. Returns how many, or
   -EFAULT, or -E2BIG when there are max or more or buf is full. */
static int copy_strings(struct req *rq, uint64_t u, int max, char **vec, char *buf, size_t *used)
{
    for (int n = 0; n < max; n++) {
        uint64_t ptr;
        if (copy_in(rq, &rq->p->vm, &ptr, u + (uint64_t)n * 8, 8) < 0)
            return -EFAULT;
        if (!ptr)
            return n;
        int len = copy_in_str(rq, &rq->p->vm, buf + *used, ptr, ARGS_BYTES - *used);
        if (len < 0)
            return len == -ENAMETOOLONG ? -E2BIG : len;
        vec[n] = buf + *used;
        *used += (size_t)len + 1;
    }
    return -E2BIG;
}

/* exec for request rq: replace rq->p's image with program `path`, arguments
   from its memory at uargv (a NULL-terminated array of string pointers). Only
   returns on failure, with -errno (-EAGAIN: rq->wait says what to wait for);
   on success the old thread is gone and the new one runs. */
long proc_exec(struct req *rq, const char *path, uint64_t uargv, uint64_t uenvp)
{
    struct proc *p = rq->p;
    static char buf[ARGS_BYTES];
    char *vec[MAX_ARGS + MAX_ENV];
    size_t used = 0;
    int argc = copy_strings(rq, uargv, MAX_ARGS, vec, buf, &used);
    if (argc < 0)
        return argc;
    int envc = uenvp ? copy_strings(rq, uenvp, MAX_ENV, vec + argc, buf, &used) : 0;
    if (envc < 0)
        return envc;
    struct vmspace old = p->vm, vs;
    long old_thread = p->thread_slot;
    long r = build(p, &vs, path, argc, envc, vec, false, &rq->wait);
    if (r < 0)
        return r;
    (void)old_thread; /* dies with the old address space */
    vm_destroy(&old);
    strncpy(p->name, basename(path), sizeof p->name);
    signal_exec(p);
    cnt.execs++;
    return 0;
}

static void release(struct proc *p)
{
    p->state = P_FREE;
}

/* Tell a waiting parent, if it waits for p; returns true if p was reaped. */
static bool notify_parent(struct proc *p)
{
    struct proc *parent = proc_find(p->parent);
    if (!parent || parent->state != P_RUN) {
        release(p); /* an orphan: nobody will wait for it */
        return true;
    }
    if (parent->wait_slot && (parent->wait_pid == -1 || parent->wait_pid == p->pid)) {
        struct msg m = { .label = 0, .w = { p->pid, p->how, p->code } };
        signal_hold(parent); /* SIGCHLD's handler runs before wait returns */
        sys_send(parent->wait_slot, &m);
        parent->wait_slot = 0;
        release(p);
        return true;
    }
    return false;
}

/* p is over (exited or killed): free its address space, frames and
   descriptors, then let its parent know; its children become orphans. */
void proc_exit(struct proc *p, long how, long code)
{
    if (p->rights & RIGHT_DRIVER)
        devices_driver_gone(p); /* first: its devices stop writing into frames about to be freed */
    if (p->pid == init_pid) /* the test runner stops on this line */
        printf("pager: init (pid %ld, %s) ended: %s %ld\n", p->pid, p->name, how == WAIT_EXITED ? "exit" : "killed, cause", code);
    fd_proc_gone(p);
    vfs_proc_gone(p);
    swap_proc_gone(p);
    fd_close_all(p);
    vm_destroy(&p->vm);
    if (p->wait_slot) {
        sys_cap_delete(p->wait_slot);
        p->wait_slot = 0;
    }
    p->how = how;
    p->code = code;
    p->state = P_ZOMBIE;
    p->sig_pending = 0;
    for (struct proc *c = proc_first(); c; c = proc_next(c)) {
        if (c->parent == p->pid) {
            c->parent = 0;
            if (c->state == P_ZOMBIE)
                release(c);
        }
    }
    struct proc *parent = proc_find(p->parent);
    if (parent)
        signal_send(parent, SIGCHLD);
    notify_parent(p);
}

/* PG_WAIT of request rq for pid (-1: any child). Returns 1 with rq->reply
   filled when a child is already over (or, with WAIT_NOHANG in w1, when none
   is: w0 = 0), 0 when the answer is deferred (the reply cap saved), -EINVAL
   (other flags) or -ECHILD. */
long proc_wait(struct req *rq, long pid)
{
    struct proc *p = rq->p;
    struct msg *reply = rq->reply;
    bool any = false;
    long flags = rq->m->w[1];
    if (flags & ~(long)WAIT_NOHANG)
        return -EINVAL;
    for (struct proc *c = proc_first(); c; c = proc_next(c)) {
        if (c->parent != p->pid || (pid != -1 && c->pid != pid))
            continue;
        any = true;
        if (c->state == P_ZOMBIE) {
            reply->label = 0;
            reply->w[0] = c->pid;
            reply->w[1] = c->how;
            reply->w[2] = c->code;
            release(c);
            signal_hold(p); /* its SIGCHLD's handler runs before wait returns, as in notify_parent */
            return 1;
        }
    }
    if (!any)
        return -ECHILD;
    if (flags & WAIT_NOHANG) {
        reply->label = 0;
        reply->w[0] = 0;
        return 1;
    }
    long slot = req_take_reply(rq);
    if (slot < 0)
        return slot;
    p->wait_slot = slot;
    p->wait_pid = pid;
    return 0;
}
