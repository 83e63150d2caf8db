/* Files, on the pager's side (docs/fs.md). The pager keeps the page cache (one
   object per inode) and the descriptors; the file server pulls jobs with
   PG_FS_NEXT and answers them, so the pager never waits for it. A request that
   needs a page that is not in the cache is parked and handled again from the
   start when the page has arrived. */
#include "pager.h"
#include "stat.h"

#define NJOBS 64
#define NPARKED 64
#define NVNODES 64

struct vnode {
    uint32_t inum, type;
    uint64_t size;
    uint32_t refs;               /* open files */
    struct memobj *cache;        /* pages[i]: the frame of page i, or 0 */
};

struct job {
    struct msg m;                /* what the file server gets */
    struct vnode *v;             /* READPAGE: the page it fills */
    uint64_t idx, pa;
    struct proc *p;              /* LOOKUP for an open: who asked */
    long slot, flags;            /*   its reply cap and open flags */
};

struct parked {
    struct proc *p;
    long slot;                   /* the request's reply cap */
    struct msg m;                /* the request, to handle again */
    struct vnode *v;             /* waiting for page idx of v */
    uint64_t idx;
};

static struct job jobs[NJOBS];
static unsigned job_head, job_count;
static struct job *inflight;
static struct parked parked[NPARKED];
static struct vnode vnodes[NVNODES];
static struct proc *fsproc;      /* the file server, once ready */
static uint64_t fs_page;         /* its job page */
static long fs_slot;             /* its reply cap while it waits for work */

bool vfs_ready(void)
{
    return fsproc != NULL;
}

/* Give the file server its next job if it waits and there is one. */
static void fs_kick(void)
{
    if (!fs_slot || inflight || !job_count)
        return;
    inflight = &jobs[job_head];
    struct msg m = inflight->m;
    sys_send(fs_slot, &m);
    fs_slot = 0;
}

/* Queue a job. Returns it, or NULL when the queue is full. */
static struct job *job_add(long label)
{
    if (job_count == NJOBS)
        return NULL;
    struct job *j = &jobs[(job_head + job_count++) % NJOBS];
    memset(j, 0, sizeof *j);
    j->m.label = label;
    return j;
}

static bool page_pending(struct vnode *v, uint64_t idx)
{
    for (unsigned i = 0; i < job_count; i++) {
        struct job *j = &jobs[(job_head + i) % NJOBS];
        if (j->m.label == MSG_FSJ_READPAGE && j->v == v && j->idx == idx)
            return true;
    }
    return false;
}

/* ---- vnodes and their page cache ---- */

static struct vnode *vnode_get(uint32_t inum, uint32_t type, uint64_t size)
{
    struct vnode *free = NULL;
    for (int i = 0; i < NVNODES; i++) {
        if (vnodes[i].refs && vnodes[i].inum == inum) {
            vnodes[i].refs++;
            return &vnodes[i];
        }
        if (!vnodes[i].refs && !free)
            free = &vnodes[i];
    }
    if (!free)
        return NULL;
    uint64_t npages = PG_ROUNDUP(size) / PAGE;
    free->cache = shared_obj(npages ? npages : 1);
    if (!free->cache)
        return NULL;
    free->cache->refs = 1;
    free->inum = inum;
    free->type = type;
    free->size = size;
    free->refs = 1;
    return free;
}

void vnode_put(struct vnode *v)
{
    if (--v->refs)
        return;
    struct memobj *o = v->cache;
    for (uint64_t i = 0; i < o->npages; i++)
        if (o->pages[i])
            frame_unref(o->pages[i]);
    meta_free(o->pages, o->npages * sizeof(uint64_t));
    pfree(o);
    v->cache = NULL;
}

/* The frame of page idx of v, or 0 after asking the file server for it (then
   the caller parks its request on (v, idx)). -ENOMEM when nothing can be done. */
static long vnode_page(struct vnode *v, uint64_t idx)
{
    if (v->cache->pages[idx])
        return (long)v->cache->pages[idx];
    if (page_pending(v, idx))
        return 0;
    uint64_t pa = frame_alloc();
    struct job *j = pa ? job_add(MSG_FSJ_READPAGE) : NULL;
    if (!j) {
        if (pa)
            frame_unref(pa);
        return -ENOMEM;
    }
    j->v = v;
    j->idx = idx;
    j->pa = pa;
    j->m.w[0] = v->inum;
    j->m.w[1] = (long)idx;
    j->m.w[2] = (long)pa;
    fs_kick();
    return 0;
}

/* ---- parking ---- */

static bool park(struct proc *p, struct msg *m, struct vnode *v, uint64_t idx, struct msg *reply)
{
    for (int i = 0; i < NPARKED; i++) {
        if (parked[i].p)
            continue;
        long slot = reply_cap_take();
        if (slot < 0)
            break;
        parked[i] = (struct parked){ p, slot, *m, v, idx };
        return false;
    }
    reply->w[0] = -ENOMEM;
    return true;
}

/* Page idx of v has arrived: handle its parked requests again. */
static void unpark(struct vnode *v, uint64_t idx)
{
    for (int i = 0; i < NPARKED; i++) {
        struct parked pk = parked[i];
        if (!pk.p || pk.v != v || pk.idx != idx)
            continue;
        parked[i].p = NULL;
        if (pk.p->state == P_RUN)
            redispatch(pk.p, &pk.m, pk.slot);
        else
            sys_cap_delete(pk.slot);
    }
}

void vfs_proc_gone(struct proc *p)
{
    for (int i = 0; i < NPARKED; i++) {
        if (parked[i].p == p) {
            sys_cap_delete(parked[i].slot);
            parked[i].p = NULL;
        }
    }
    if (p == fsproc) {
        printf("pager: the file server is gone\n");
        fsproc = NULL;
        fs_slot = 0;
    }
    if (strcmp(p->name, "fs") == 0)
        start_init(); /* it died before it was ready */
}

/* ---- requests from processes ---- */

/* open(path, flags): read-only files and directories for now. Returns true with
   reply set, or false when the lookup is under way (the answer comes later). */
bool vfs_open(struct proc *p, struct msg *m, struct msg *reply)
{
    char path[256];
    int n = copy_in_str(&p->vm, path, (uint64_t)m->w[0], sizeof path);
    if (n < 0) {
        reply->w[0] = n;
        return true;
    }
    if (!fsproc) {
        reply->w[0] = -ENOSYS;
        return true;
    }
    if ((m->w[1] & O_ACCMODE) != O_RDONLY || (m->w[1] & (O_CREAT | O_TRUNC))) {
        reply->w[0] = -EROFS;
        return true;
    }
    struct job *j = job_add(MSG_FSJ_LOOKUP);
    long slot = j ? reply_cap_take() : -ENOMEM;
    if (slot < 0) {
        if (j)
            job_count--;
        reply->w[0] = slot;
        return true;
    }
    if (copy_out(&fsproc->vm, fs_page, path, (size_t)n + 1) < 0) {
        job_count--;
        struct msg r = { .w = { -EIO } };
        sys_send(slot, &r);
        return false;
    }
    j->m.w[0] = 1; /* the root: no working directories yet */
    j->p = p;
    j->slot = slot;
    j->flags = m->w[1];
    fs_kick();
    return false;
}

static void open_done(struct job *j, struct msg *m)
{
    struct msg r = { .w = { m->w[0] } };
    if (j->p->state != P_RUN) {
        sys_cap_delete(j->slot);
        return;
    }
    if (m->w[0] >= 0) {
        struct vnode *v = vnode_get((uint32_t)m->w[0], (uint32_t)m->w[1], (uint64_t)m->w[2]);
        r.w[0] = v ? fd_open_file(j->p, v, j->flags) : -ENFILE;
        if (r.w[0] < 0 && v)
            vnode_put(v);
    }
    sys_send(j->slot, &r);
}

/* read from a file at *off. Returns true with reply->w[0] = bytes (short when
   a page must be read first but some bytes were copied) or -errno; false when
   parked. */
bool vfs_read(struct proc *p, struct vnode *v, uint64_t *off, struct msg *m, struct msg *reply)
{
    uint64_t uva = (uint64_t)m->w[1], n = (uint64_t)m->w[2], done = 0;
    if (v->type == FT_DIR) {
        reply->w[0] = -EISDIR;
        return true;
    }
    while (done < n && *off < v->size) {
        uint64_t idx = *off / PAGE, in = *off % PAGE;
        long pa = vnode_page(v, idx);
        if (pa < 0 || (pa == 0 && done)) {
            reply->w[0] = done ? (long)done : pa;
            return true;
        }
        if (pa == 0)
            return park(p, m, v, idx, reply);
        uint64_t chunk = PAGE - in;
        if (chunk > n - done)
            chunk = n - done;
        if (chunk > v->size - *off)
            chunk = v->size - *off;
        if (copy_out(&p->vm, uva + done, (char *)frame_ptr((uint64_t)pa) + in, chunk) < 0) {
            reply->w[0] = done ? (long)done : -EFAULT;
            return true;
        }
        done += chunk;
        *off += chunk;
    }
    reply->w[0] = (long)done;
    return true;
}

long vfs_stat(struct proc *p, struct vnode *v, uint64_t uva)
{
    struct stat st = { .st_ino = v->inum, .st_size = v->size, .st_type = v->type };
    return copy_out(&p->vm, uva, &st, sizeof st);
}

/* ---- the file server's side ---- */

/* PG_FS_NEXT from the file server: finish its last job, then give it the next
   one (true: in reply) or keep its reply cap until there is one (false). */
bool vfs_fs_next(struct proc *p, struct msg *m, struct msg *reply)
{
    if (!fsproc) {
        start_init();
        if (m->w[0] < 0) {
            printf("pager: no file system (%s)\n", strerror(m->w[0]));
            reply->w[0] = m->w[0];
            return true;
        }
        fsproc = p;
        fs_page = (uint64_t)m->w[1];
    } else if (p != fsproc) {
        reply->label = -EPERM;
        return true;
    } else if (inflight) {
        struct job j = *inflight;
        inflight = NULL;
        job_head = (job_head + 1) % NJOBS;
        job_count--;
        if (j.m.label == MSG_FSJ_LOOKUP) {
            open_done(&j, m);
        } else if (j.m.label == MSG_FSJ_READPAGE) {
            if (m->w[0] >= 0 && !j.v->cache->pages[j.idx]) {
                j.v->cache->pages[j.idx] = j.pa;
                cnt.file++;
            } else {
                frame_unref(j.pa);
            }
            unpark(j.v, j.idx);
        }
    }
    if (job_count && !inflight) {
        inflight = &jobs[job_head];
        *reply = inflight->m;
        return true;
    }
    long slot = reply_cap_take();
    if (slot < 0) {
        reply->label = 0;
        return true;
    }
    fs_slot = slot;
    return false;
}
