/* Processes: spawn from the boot archive, exit, wait, and their regions. */
#include "pager.h"
#include "bootimg.h"
#include "elf.h"

#define USER_PRIO 4

static struct proc procs[NPROC];
static long next_pid = 1;

/* Pids are chosen so that pid % NPROC is the process's slot: lookup is O(1). */
struct proc *proc_find(long pid)
{
    if (pid <= 0)
        return NULL;
    struct proc *p = &procs[pid % NPROC];
    return p->state != P_FREE && p->pid == pid ? p : NULL;
}

/* The region holding addr, or NULL. */
struct region *region_find(struct proc *p, uint64_t addr)
{
    for (int i = 0; i < p->nregions; i++)
        if (addr >= p->regions[i].start && addr < p->regions[i].end)
            return &p->regions[i];
    return NULL;
}

/* A new region [start, end) with no pages yet. NULL if the table or memory is full. */
struct region *region_add(struct proc *p, uint64_t start, uint64_t end, uint32_t perms)
{
    if (p->nregions == NREGIONS)
        return NULL;
    uint64_t *frames = meta_alloc((end - start) / PAGE * sizeof(uint64_t));
    if (!frames)
        return NULL;
    struct region *r = &p->regions[p->nregions++];
    r->start = start;
    r->end = end;
    r->perms = perms;
    r->frames = frames;
    return r;
}

static void regions_free(struct proc *p)
{
    for (int i = 0; i < p->nregions; i++) {
        struct region *r = &p->regions[i];
        uint64_t n = (r->end - r->start) / PAGE;
        for (uint64_t j = 0; j < n; j++)
            if (r->frames[j] > FR_ZERO)
                frame_free(r->frames[j]);
        meta_free(r->frames, n * sizeof(uint64_t));
    }
    p->nregions = 0;
}

static const struct bootimg_entry *archive_find(const char *name)
{
    const struct bootimg_header *h = (const void *)PAGER_ARCHIVE;
    for (uint64_t i = 0; i < h->count; i++)
        if (strncmp(h->entry[i].name, name, BOOTIMG_NAMELEN) == 0)
            return &h->entry[i];
    return NULL;
}

static uint32_t seg_perms(uint32_t f)
{
    return ((f & PF_R) ? PERM_R : 0) | ((f & PF_W) ? PERM_W | PERM_R : 0) | ((f & PF_X) ? PERM_X : 0);
}

/* Copy every page of the program into fresh frames and map them (demand paging
   of executables comes with the file system). Returns 0 or -errno. */
static long load_program(struct proc *p, const uint8_t *img, const struct elf_info *ei)
{
    for (int i = 0; i < ei->nseg; i++) {
        const struct elf_seg *s = &ei->seg[i];
        uint64_t start = PG_ROUNDDOWN(s->vaddr), end = PG_ROUNDUP(s->vaddr + s->memsz);
        struct region *r = region_add(p, start, end, seg_perms(s->flags));
        if (!r)
            return -ENOMEM;
        for (uint64_t va = start; va < end; va += PAGE) {
            uint64_t pa = frame_alloc();
            if (!pa)
                return -ENOMEM;
            r->frames[(va - start) / PAGE] = pa;
            uint64_t lo = va < s->vaddr ? s->vaddr : va;
            uint64_t hi = va + PAGE < s->vaddr + s->filesz ? va + PAGE : s->vaddr + s->filesz;
            if (lo < hi)
                memcpy((uint8_t *)frame_ptr(pa) + (lo - va), img + s->offset + (lo - s->vaddr), hi - lo);
            long err = sys_map(BOOT_MEM_SLOT, p->as_slot, (long)va, (long)pa, r->perms);
            if (err < 0)
                return err;
        }
    }
    return 0;
}

/* Start program `name` of the boot archive as a child of parent (NULL: none).
   Returns the new pid or -errno (ENOENT, ENOEXEC, EAGAIN: no process slot, ENOMEM). */
long proc_spawn(const char *name, long arg, struct proc *parent)
{
    const struct bootimg_entry *e = archive_find(name);
    if (!e)
        return -ENOENT;
    const uint8_t *img = (const uint8_t *)PAGER_ARCHIVE + e->offset;
    struct elf_info ei;
    int err = elf_parse(img, e->size, USER_LIMIT, &ei);
    if (err < 0) {
        printf("pager: %s: %s\n", name, elf_strerror(err));
        return -ENOEXEC;
    }
    struct proc *p = NULL;
    long pid = next_pid;
    for (int i = 0; i < NPROC && !p; i++, pid++)
        if (procs[pid % NPROC].state == P_FREE)
            p = &procs[pid % NPROC];
    if (!p)
        return -EAGAIN;
    next_pid = pid;
    memset(p, 0, sizeof *p);
    p->pid = pid - 1;
    p->parent = parent ? parent->pid : 0;
    strncpy(p->name, name, sizeof p->name);
    p->anon_next = USER_ANON_BASE;
    p->as_slot = sys_as_create(BOOT_MEM_SLOT);
    if (p->as_slot < 0) {
        p->state = P_FREE;
        return p->as_slot;
    }
    p->state = P_RUN;
    long r = load_program(p, img, &ei);
    if (r == 0 && !region_add(p, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, PERM_R | PERM_W))
        r = -ENOMEM;
    if (r == 0)
        r = sys_cap_copy(-1, BOOT_EP_SLOT, p->as_slot, PAGER_SLOT, p->pid);
    if (r >= 0 && parent)
        sys_cap_copy(parent->as_slot, GRANT_SLOT, p->as_slot, GRANT_SLOT, 0); /* may be empty */
    long fault_slot = r >= 0 ? sys_cap_copy(-1, BOOT_EP_SLOT, -1, 0, p->pid) : r;
    if (fault_slot >= 0) {
        p->thread_slot = sys_thread_create(p->as_slot, (long)ei.entry, USER_STACK_TOP, fault_slot, USER_PRIO, arg);
        sys_cap_delete(fault_slot);
        r = p->thread_slot;
    } else {
        r = fault_slot;
    }
    if (r < 0) {
        sys_as_destroy(p->as_slot);
        regions_free(p);
        p->state = P_FREE;
        return r;
    }
    return p->pid;
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
        sys_send(parent->wait_slot, &m);
        parent->wait_slot = 0;
        release(p);
        return true;
    }
    return false;
}

/* p is over (exited or killed): free its address space and frames, then let its
   parent know; its own children become orphans. */
void proc_exit(struct proc *p, long how, long code)
{
    sys_as_destroy(p->as_slot);
    regions_free(p);
    if (p->wait_slot) {
        sys_cap_delete(p->wait_slot);
        p->wait_slot = 0;
    }
    p->how = how;
    p->code = code;
    p->state = P_ZOMBIE;
    for (int i = 0; i < NPROC; i++) {
        if (procs[i].state != P_FREE && procs[i].parent == p->pid) {
            procs[i].parent = 0;
            if (procs[i].state == P_ZOMBIE)
                release(&procs[i]);
        }
    }
    notify_parent(p);
}

/* PG_WAIT from p for pid (-1: any child). Returns 1 with `reply` filled when a
   child is already over, 0 when the answer is deferred (the reply cap saved),
   or -ECHILD. */
long proc_wait(struct proc *p, long pid, struct msg *reply)
{
    bool any = false;
    for (int i = 0; i < NPROC; i++) {
        struct proc *c = &procs[i];
        if (c->state == P_FREE || c->parent != p->pid || (pid != -1 && c->pid != pid))
            continue;
        any = true;
        if (c->state == P_ZOMBIE) {
            reply->label = 0;
            reply->w[0] = c->pid;
            reply->w[1] = c->how;
            reply->w[2] = c->code;
            release(c);
            return 1;
        }
    }
    if (!any)
        return -ECHILD;
    long slot = sys_reply_save();
    if (slot < 0)
        return slot;
    p->wait_slot = slot;
    p->wait_pid = pid;
    return 0;
}
