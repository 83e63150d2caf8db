/* Files, on the pager's side (docs/fs.md). The pager keeps the page cache (one
   object per inode) and the descriptors; the file server pulls jobs with
   PG_FS_NEXT and answers them, so the pager never waits for it. A request that
   needs a page that is not in the cache is parked and handled again from the
   start when the page has arrived. Pages written (write(2), or shared
   mappings found dirty on msync, munmap and exit) are marked dirty in the
   cache and written back by a pump that keeps a few WRITEPAGE jobs queued;
   write and msync answer once their file is clean. */
#include "pager.h"
#include "stat.h"

#define NJOBS 64
#define NPARKED (NPROC + 16) /* one request or fault per process, and the pager's own waits */
#define NVNODES 64

struct vnode {
    uint32_t inum, type;
    uint64_t size;
    uint32_t refs;               /* open files */
    bool unlinked;               /* its last name is gone: release it when closed */
    long werr;                   /* an error of the write-back under way */
    struct memobj *cache;        /* pages[i]: the frame of page i, or 0 */
    uint8_t *dirty;              /* dirty[i]: page i waits to be written back (NULL: none yet) */
    uint64_t ndirty, dirty_lo;   /* how many; none below dirty_lo */
    uint32_t wb_jobs;            /* its write-back jobs queued or in flight */
    uint64_t disk_size;          /* the size the disk has, as far as finished jobs tell */
};

struct job {
    struct msg m;                /* what the file server gets */
    void (*done)(struct job *j, struct msg *r); /* what to do with its answer */
    struct vnode *v;             /* READPAGE/WRITEPAGE: the page */
    uint64_t idx, pa;
    struct proc *p;              /* the request it serves, if any */
    long slot, flags;            /*   its reply cap, open flags */
    uint64_t n;                  /*   readdir: where the name goes */
    char path[256];              /* the path it works on, put in the job page when it is handed out */
    char path2[256];             /* link: the new name, at offset 2048 */
    bool has_path;
};

struct parked {
    struct proc *p;
    long slot;                   /* the request's reply cap */
    struct msg m;                /* the request, to handle again */
    struct vnode *v;             /* waiting for page idx of v (WB_KEY: for v to be clean) */
    uint64_t idx;
    bool answer;                 /* then send `value` (or the file's write error), not handle m again */
    long value;
    void (*fn)(void);            /* or call this (the pager's own wait, p is NULL) */
};

#define WB_KEY (1UL << 62)       /* parked until a file has no dirty page left */
#define WB_MAX 16                /* write-back jobs queued at once */
static unsigned wb_queued;

static struct job jobs[NJOBS];
static unsigned job_head, job_count;
static struct job *inflight;
static struct parked parked[NPARKED];
static struct vnode vnodes[NVNODES];
#define NNAMES 16
#define LOOKUP_KEY (1UL << 63)
/* state: 0 lookup under way, 1 found, -errno; stale: a directory changed while it was under way */
static struct name { char path[64]; long state; bool stale; uint32_t inum, type; uint64_t size; } names[NNAMES];
static unsigned name_next;
static struct proc *fsproc;      /* the file server, once ready */
static uint64_t fs_page;         /* its job page */
static long fs_slot;             /* its reply cap while it waits for work */

bool vfs_ready(void)
{
    return fsproc != NULL;
}

static long put_path(const char *path, size_t len, uint64_t off);
static int unpark_err(struct vnode *v, uint64_t idx, long err);
#define unpark(v, idx) unpark_err(v, idx, 0)

/* Make the head of the queue the job in flight; its path goes into the file
   server's job page now (not earlier: the page holds one path at a time). */
static struct job *job_start(void)
{
    inflight = &jobs[job_head];
    if (inflight->has_path)
        put_path(inflight->path, strlen(inflight->path), 0);
    if (inflight->path2[0])
        put_path(inflight->path2, strlen(inflight->path2), 2048);
    return inflight;
}

/* Give the file server its next job if it waits and there is one. */
static void fs_kick(void)
{
    if (!fs_slot || inflight || !job_count)
        return;
    struct msg m = job_start()->m;
    sys_send(fs_slot, &m);
    fs_slot = 0;
}

/* Queue a job. Returns it, or NULL when the queue is full. */
static struct job *job_add(long label)
{
    if (job_count == NJOBS || !fsproc) /* full, or no file server (any more) */
        return NULL;
    struct job *j = &jobs[(job_head + job_count++) % NJOBS];
    memset(j, 0, sizeof *j);
    j->m.label = label;
    return j;
}

/* A job that answers the request of p (its reply cap taken now). NULL (and
   reply->w[0] set) when that cannot be done. */
static struct job *job_for(struct proc *p, long label, void (*done)(struct job *, struct msg *), struct msg *reply)
{
    struct job *j = job_add(label);
    long slot = j ? reply_cap_take() : -ENOMEM;
    if (slot < 0) {
        if (j)
            job_count--;
        reply->w[0] = slot;
        return NULL;
    }
    j->done = done;
    j->p = p;
    j->slot = slot;
    return j;
}

/* Answer the request a job served (if its process still runs). */
static void job_reply(struct job *j, long value, long w1, long w2)
{
    struct msg r = { .w = { value, w1, w2 } };
    if (j->p && j->p->state == P_RUN)
        sys_send(j->slot, &r);
    else if (j->slot)
        sys_cap_delete(j->slot);
}

/* Put a path in the file server's job page (at off). Returns 0 or -errno. */
static long put_path(const char *path, size_t len, uint64_t off)
{
    return copy_out(&fsproc->vm, fs_page + off, path, len + 1) < 0 ? -EIO : 0;
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

static struct vnode *vnode_find(uint32_t inum)
{
    for (int i = 0; i < NVNODES; i++)
        if (vnodes[i].refs && vnodes[i].inum == inum)
            return &vnodes[i];
    return NULL;
}

/* Room in v's cache for npages pages. Returns false when out of memory. */
static bool vnode_grow(struct vnode *v, uint64_t npages)
{
    struct memobj *o = v->cache;
    if (npages <= o->npages)
        return true;
    uint64_t n = o->npages * 2 > npages ? o->npages * 2 : npages;
    uint64_t *pages = meta_alloc(n * sizeof(uint64_t));
    if (!pages)
        return false;
    uint8_t *dirty = v->dirty ? meta_alloc(n) : NULL;
    if (v->dirty && !dirty) {
        meta_free(pages, n * sizeof(uint64_t));
        return false;
    }
    if (dirty) {
        memcpy(dirty, v->dirty, o->npages);
        meta_free(v->dirty, o->npages);
        v->dirty = dirty;
    }
    memcpy(pages, o->pages, o->npages * sizeof(uint64_t));
    meta_free(o->pages, o->npages * sizeof(uint64_t));
    o->pages = pages;
    o->npages = n;
    return true;
}

/* Mark page idx of v dirty (it must be cached). The set of dirty pages holds
   a reference to v. Returns false when out of memory for the marks. */
static bool mark_dirty(struct vnode *v, uint64_t idx)
{
    if (!v->dirty && !(v->dirty = meta_alloc(v->cache->npages)))
        return false;
    if (v->dirty[idx])
        return true;
    v->dirty[idx] = 1;
    if (v->ndirty++ == 0)
        v->refs++;
    if (idx < v->dirty_lo || v->ndirty == 1)
        v->dirty_lo = idx;
    return true;
}

/* The file is now len bytes: cached pages past it go (and their dirty marks),
   the tail of the last is zeroed. */
static void vnode_truncate(struct vnode *v, uint64_t len)
{
    struct memobj *o = v->cache;
    bool had = v->ndirty > 0;
    for (uint64_t i = PG_ROUNDUP(len) / PAGE; i < o->npages; i++) {
        if (v->dirty && v->dirty[i]) {
            v->dirty[i] = 0;
            v->ndirty--;
        }
        if (o->pages[i]) {
            frame_unref(o->pages[i]);
            o->pages[i] = 0;
        }
    }
    if (len % PAGE && len / PAGE < o->npages && o->pages[len / PAGE])
        memset((char *)frame_ptr(o->pages[len / PAGE]) + len % PAGE, 0, PAGE - len % PAGE);
    v->size = len;
    if (v->disk_size > len)
        v->disk_size = len;
    if (vnode_clean(v) && unpark(v, WB_KEY)) /* writers and msync waiting for the dropped pages */
        v->werr = 0;
    if (had && v->ndirty == 0)
        vnode_put(v); /* the dirty set's reference goes with its last page */
}

static void release_done(struct job *j, struct msg *r)
{
    (void)j; (void)r;
}

/* Free inode inum on disk (its last name went and no one has it open). */
static void release_inode(uint32_t inum)
{
    struct job *j = job_add(MSG_FSJ_RELEASE);
    if (j) {
        j->done = release_done;
        j->m.w[0] = inum;
        fs_kick();
    }
}

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
    free->disk_size = size;
    free->refs = 1;
    free->unlinked = false;
    free->werr = 0;
    return free;
}

void vnode_ref(struct vnode *v)
{
    v->refs++;
}

void vnode_put(struct vnode *v)
{
    if (--v->refs)
        return;
    for (int i = 0; i < NNAMES; i++) /* the next exec must see the size the file has now */
        if (names[i].path[0] && names[i].state == 1 && names[i].inum == v->inum)
            names[i].size = v->size;
    if (v->unlinked)
        release_inode(v->inum);
    v->unlinked = false;
    if (v->dirty)
        meta_free(v->dirty, v->cache->npages);
    v->dirty = NULL;
    v->ndirty = 0;
    memobj_free(v->cache);
    v->cache = NULL;
}

bool vnode_clean(struct vnode *v)
{
    return v->ndirty == 0 && v->wb_jobs == 0;
}

/* Where a write-back job leaves the end of the file when it succeeds (the
   file server grows a file to the end of the page written, never further). */
static uint64_t wb_end(const struct job *j)
{
    return (j->idx + 1) * PAGE < (uint64_t)j->m.w[3] ? (j->idx + 1) * PAGE : (uint64_t)j->m.w[3];
}

static void wb_done(struct job *j, struct msg *r)
{
    struct vnode *v = j->v;
    uint64_t end = wb_end(j);
    if (r->w[0] < 0 && !v->werr)
        v->werr = r->w[0];
    if (r->w[0] >= 0) {
        cnt.writeback++;
        if (end > v->disk_size)
            v->disk_size = end; /* the file server grew the file to the end of this page */
    } else if (j->idx * PAGE < v->size && v->cache->pages[j->idx] == j->pa) {
        /* the page is not on the disk: the file is as long as the disk has it
           and the write-backs still under way will make it (what follows is
           dropped; the writer gets the error) */
        uint64_t keep = v->disk_size;
        for (unsigned i = 0; i < job_count; i++) {
            struct job *o = &jobs[(job_head + i) % NJOBS];
            if (o->m.label == MSG_FSJ_WRITEPAGE && o->v == v && wb_end(o) > keep)
                keep = wb_end(o);
        }
        if (keep < v->size) {
            v->refs++; /* vnode_truncate may drop the dirty set's reference */
            vnode_truncate(v, keep);
            v->refs--;
        }
    }
    frame_unref(j->pa);
    wb_queued--;
    v->wb_jobs--;
    if (vnode_clean(v) && unpark(v, WB_KEY))
        v->werr = 0; /* every waiter has seen it; without one it waits for the next msync or write */
    vnode_put(v);
}

/* The pump: queue WRITEPAGE jobs for dirty pages while fewer than WB_MAX are
   queued (so reads and lookups are not stuck behind a long write), one file
   after another. A job holds a reference to the frame and to the vnode. A
   page at or past the file's end is dropped: write-back never grows a file. */
static void wb_fill(void)
{
    static int next;
    for (int idle = 0; idle < NVNODES && wb_queued < WB_MAX && job_count < NJOBS - 8;) {
        struct vnode *v = &vnodes[next];
        if (!v->refs || !v->ndirty) {
            next = (next + 1) % NVNODES;
            idle++;
            continue;
        }
        uint64_t i = v->dirty_lo;
        while (!v->dirty[i])
            i++;
        v->dirty[i] = 0;
        v->dirty_lo = i + 1;
        v->ndirty--;
        uint64_t pa = v->cache->pages[i];
        struct job *j = pa && i * PAGE < v->size ? job_add(MSG_FSJ_WRITEPAGE) : NULL;
        if (!j && pa && i * PAGE < v->size && !v->werr)
            v->werr = -EIO; /* the file server is gone: the page cannot be written */
        if (j) {
            frame_ref(pa);
            v->refs++;
            v->wb_jobs++;
            wb_queued++;
            j->done = wb_done;
            j->v = v;
            j->idx = i;
            j->pa = pa;
            j->m.w[0] = v->inum;
            j->m.w[1] = (long)i;
            j->m.w[2] = (long)pa;
            j->m.w[3] = (long)v->size;
        }
        if (v->ndirty == 0)
            vnode_put(v); /* the dirty set's reference; a job holds another, or it was the last */
    }
    fs_kick();
}

void vnode_dirty(struct vnode *v, uint64_t idx, uint64_t pa)
{
    /* a mapping may still show a page the cache dropped (truncate): that one is not the file's */
    if (idx < v->cache->npages && v->cache->pages[idx] == pa && idx * PAGE < v->size && mark_dirty(v, idx))
        wb_fill();
}

static void page_done(struct job *j, struct msg *r)
{
    /* (a truncate meanwhile may have put the page past the end: then it is dropped) */
    if (r->w[0] >= 0 && !j->v->cache->pages[j->idx] && j->idx * PAGE < j->v->size) {
        j->v->cache->pages[j->idx] = j->pa;
        uint64_t end = j->v->size - j->idx * PAGE; /* past the end of the file the page reads zeros */
        if (j->v->size > j->idx * PAGE && end < PAGE)
            memset((char *)frame_ptr(j->pa) + end, 0, PAGE - end);
        cnt.file++;
    } else {
        frame_unref(j->pa);
    }
    unpark_err(j->v, j->idx, r->w[0] < 0 ? -EIO : 0); /* a failed read is not asked again and again */
    vnode_put(j->v);
}

/* The frame of page idx of v, or 0 after asking the file server for it (then
   the caller parks its request on (v, idx)). -ENOMEM when nothing can be done. */
long vnode_page(struct vnode *v, uint64_t idx)
{
    if (idx >= v->cache->npages)
        return -EFAULT;
    if (v->cache->pages[idx])
        return (long)v->cache->pages[idx];
    if (page_pending(v, idx))
        return 0;
    uint64_t pa = frame_alloc();
    struct job *j = pa ? job_add(MSG_FSJ_READPAGE) : NULL;
    if (!j) {
        if (pa)
            frame_unref(pa);
        return fsproc ? -ENOMEM : -EIO;
    }
    j->done = page_done;
    j->v = v;
    v->refs++; /* the vnode stays until its page is in */
    j->idx = idx;
    j->pa = pa;
    j->m.w[0] = v->inum;
    j->m.w[1] = (long)idx;
    j->m.w[2] = (long)pa;
    fs_kick();
    return 0;
}

/* ---- parking ---- */

/* Park what pk says (its reply cap is taken here). Returns false, or true
   with reply->w[0] = -ENOMEM when there is no room. */
static bool park_entry(struct parked pk, struct msg *reply)
{
    for (int i = 0; i < NPARKED; i++) {
        if (parked[i].p || parked[i].fn)
            continue;
        if (!pk.fn && (pk.slot = reply_cap_take()) < 0)
            break;
        parked[i] = pk;
        return false;
    }
    reply->w[0] = -ENOMEM;
    return true;
}

/* Handle p's request m again once page idx of v is in (or v is clean, idx WB_KEY). */
static bool park(struct proc *p, struct msg *m, struct vnode *v, uint64_t idx, struct msg *reply)
{
    return park_entry((struct parked){ .p = p, .m = *m, .v = v, .idx = idx }, reply);
}

/* Answer p's request with value (or v's write error) once v is clean. */
static bool park_answer(struct proc *p, struct vnode *v, long value, struct msg *reply)
{
    return park_entry((struct parked){ .p = p, .v = v, .idx = WB_KEY, .answer = true, .value = value }, reply);
}

/* The pager's own wait: call fn once what vm_wait names is there. Returns false when there is no room. */
bool vfs_park_call(void (*fn)(void))
{
    struct msg unused;
    return !park_entry((struct parked){ .fn = fn, .v = vm_wait.v, .idx = vm_wait.idx }, &unused);
}

struct vm_wait vm_wait;

bool vfs_park(struct proc *p, struct msg *m, struct msg *reply)
{
    return park(p, m, vm_wait.v, vm_wait.idx, reply);
}

/* ---- the name cache: lookups for exec, kept until anything changes a directory ---- */

static void names_forget(void)
{
    for (int i = 0; i < NNAMES; i++) {
        if (names[i].state != 0)
            names[i].path[0] = 0;
        else
            names[i].stale = true; /* its waiters get the answer, nobody after them */
    }
}

static void name_done(struct job *j, struct msg *r)
{
    struct name *nm = &names[j->idx];
    nm->state = r->w[0] < 0 ? r->w[0] : 1;
    nm->inum = (uint32_t)r->w[0];
    nm->type = (uint32_t)r->w[1];
    nm->size = (uint64_t)r->w[2];
    unpark(NULL, LOOKUP_KEY | j->idx);
    if (nm->stale) {
        nm->path[0] = 0;
        nm->stale = false;
    }
}

/* Resolve an absolute path for exec. Returns 0 with *vp (a new reference),
   -EAGAIN when the file server is asked (vm_wait says for what), or -errno. */
long vfs_lookup(const char *path, struct vnode **vp)
{
    size_t len = strlen(path);
    if (!fsproc)
        return -ENOENT;
    if (len >= sizeof names[0].path)
        return -ENAMETOOLONG;
    for (unsigned i = 0; i < NNAMES; i++) {
        struct name *nm = &names[i];
        if (strcmp(nm->path, path) != 0)
            continue;
        if (nm->state == 0) {
            vm_wait = (struct vm_wait){ NULL, LOOKUP_KEY | i };
            return -EAGAIN;
        }
        if (nm->state < 0)
            return nm->state;
        if (nm->type != FT_FILE)
            return -EACCES;
        *vp = vnode_get(nm->inum, nm->type, nm->size);
        return *vp ? 0 : -ENFILE;
    }
    /* a slot whose lookup is under way is not taken; when all are, wait for one */
    unsigned i = name_next % NNAMES;
    for (unsigned k = 0; k < NNAMES && names[i].path[0] && names[i].state == 0; k++)
        i = ++name_next % NNAMES;
    if (names[i].path[0] && names[i].state == 0) {
        vm_wait = (struct vm_wait){ NULL, LOOKUP_KEY | i };
        return -EAGAIN;
    }
    name_next++;
    struct job *j = job_add(MSG_FSJ_LOOKUP);
    if (!j)
        return -ENOMEM;
    memcpy(j->path, path, len + 1);
    j->has_path = true;
    strncpy(names[i].path, path, sizeof names[i].path);
    names[i].state = 0;
    names[i].stale = false;
    j->done = name_done;
    j->idx = i;
    j->m.w[0] = 1;
    fs_kick();
    vm_wait = (struct vm_wait){ NULL, LOOKUP_KEY | i };
    return -EAGAIN;
}

/* Page idx of v has arrived (err 0): handle its parked requests again. Or it
   cannot be read (err < 0): the requests fail with err, the faults kill their
   task with a message. Returns how many were waiting. */
static int unpark_err(struct vnode *v, uint64_t idx, long err)
{
    int woken = 0;
    for (int i = 0; i < NPARKED; i++) {
        struct parked pk = parked[i];
        if ((!pk.p && !pk.fn) || pk.v != v || pk.idx != idx)
            continue;
        parked[i].p = NULL;
        parked[i].fn = NULL;
        woken++;
        if (pk.fn) {
            pk.fn();
        } else if (pk.p->state != P_RUN) {
            sys_cap_delete(pk.slot);
        } else if (pk.answer || err) {
            struct msg r = { .w = { pk.answer && v->werr ? v->werr : err ? err : pk.value } };
            if (!pk.answer && pk.m.label == MSG_FAULT) {
                printf("pid %ld (%s): %s reading the file page at %p; killed\n", pk.p->pid, pk.p->name,
                       strerror(err), (void *)pk.m.w[0]);
                r.label = MSG_FAULT_KILL;
            }
            sys_send(pk.slot, &r);
            if (r.label == MSG_FAULT_KILL)
                proc_exit(pk.p, WAIT_KILLED, 5);
        } else {
            redispatch(pk.p, &pk.m, pk.slot);
        }
    }
    return woken;
}

void vfs_proc_gone(struct proc *p)
{
    for (int i = 0; i < NPARKED; i++) {
        if (parked[i].p == p) {
            sys_cap_delete(parked[i].slot);
            parked[i].p = NULL;
        }
    }
    for (unsigned i = 0; i < job_count; i++) { /* its jobs go on, unanswered */
        struct job *j = &jobs[(job_head + i) % NJOBS];
        if (j->p == p) {
            if (j->slot)
                sys_cap_delete(j->slot);
            j->p = NULL;
            j->slot = 0;
        }
    }
    if (p == fsproc) {
        printf("pager: the file server is gone; files fail with EIO from now on\n");
        fsproc = NULL;
        fs_slot = 0;
        inflight = NULL;
        struct msg eio = { .w = { -EIO } };
        while (job_count) { /* every job fails, and with it what waits for it */
            struct job j = jobs[job_head];
            job_head = (job_head + 1) % NJOBS;
            job_count--;
            j.done(&j, &eio);
        }
        wb_fill(); /* drops every dirty page with EIO and wakes their writers */
        for (int i = 0; i < NVNODES; i++)
            if (vnodes[i].refs && vnode_clean(&vnodes[i]) && unpark(&vnodes[i], WB_KEY))
                vnodes[i].werr = 0;
    }
    if (strcmp(p->name, "fs") == 0)
        start_init(); /* it died before it was ready */
}

/* ---- requests from processes ---- */

static void open_finish(struct job *j, uint32_t inum, uint32_t type, uint64_t size)
{
    if (!j->p || j->p->state != P_RUN) {
        job_reply(j, -ESRCH, 0, 0);
        return;
    }
    struct vnode *v = vnode_get(inum, type, size);
    long fd = v ? fd_open_file(j->p, v, j->flags) : -ENFILE;
    if (fd < 0 && v)
        vnode_put(v);
    job_reply(j, fd, 0, 0);
}

/* The TRUNCATE of open(O_TRUNC) is done: the opener gets the vnode the job held. */
static void trunc_done(struct job *j, struct msg *r)
{
    long fd = r->w[0] < 0 ? r->w[0] : !j->p || j->p->state != P_RUN ? -ESRCH : fd_open_file(j->p, j->v, j->flags);
    if (fd < 0)
        vnode_put(j->v);
    job_reply(j, fd, 0, 0);
}

static void open_done(struct job *j, struct msg *r)
{
    if (r->w[0] < 0 || !j->p || j->p->state != P_RUN) {
        job_reply(j, r->w[0], 0, 0);
        return;
    }
    uint32_t inum = (uint32_t)r->w[0], type = (uint32_t)r->w[1];
    if (type == FT_DIR && (j->flags & O_ACCMODE) != O_RDONLY) {
        job_reply(j, -EISDIR, 0, 0);
        return;
    }
    struct vnode *cached = vnode_find(inum); /* its size may be ahead of the disk's */
    if ((j->flags & O_TRUNC) && type == FT_FILE && (r->w[2] > 0 || (cached && cached->size > 0)) &&
        (j->flags & O_ACCMODE) != O_RDONLY) {
        /* the same job goes round once more, as a TRUNCATE, holding the
           vnode (an unlink meanwhile then marks it instead of freeing the inode) */
        struct vnode *v = vnode_get(inum, type, (uint64_t)r->w[2]);
        struct job *t = v ? job_add(MSG_FSJ_TRUNCATE) : NULL;
        if (!t) {
            if (v)
                vnode_put(v);
            job_reply(j, v ? -ENOMEM : -ENFILE, 0, 0);
            return;
        }
        /* the cache is empty from now on: no write-back queued after the
           TRUNCATE may bring old pages (or the old size) back */
        vnode_truncate(v, 0);
        *t = *j;
        t->m = (struct msg){ .label = MSG_FSJ_TRUNCATE, .w = { inum, 0 } };
        t->done = trunc_done;
        t->v = v;
        fs_kick();
        return;
    }
    open_finish(j, inum, type, (uint64_t)r->w[2]);
}

/* Copy in a path; queue a job of `label` with it for p's request. Returns the
   job, or NULL with reply->w[0] set. */
static struct job *path_job(struct proc *p, uint64_t upath, long label, void (*done)(struct job *, struct msg *),
                            struct msg *reply)
{
    char path[256];
    int n = copy_in_str(&p->vm, path, upath, sizeof path);
    if (n < 0 || !fsproc) {
        reply->w[0] = n < 0 ? n : -ENOSYS;
        return NULL;
    }
    struct job *j = job_for(p, label, done, reply);
    if (!j)
        return NULL;
    memcpy(j->path, path, (size_t)n + 1);
    j->has_path = true;
    j->m.w[0] = p->cwd ? p->cwd : 1; /* relative paths start at the working directory */
    return j;
}

/* open(path, flags). Returns true with reply set, or false when the file
   server is at work (the answer comes later). */
bool vfs_open(struct proc *p, struct msg *m, struct msg *reply)
{
    long flags = m->w[1];
    if (flags & O_CREAT)
        names_forget();
    if ((flags & O_ACCMODE) == O_ACCMODE) {
        reply->w[0] = -EINVAL;
        return true;
    }
    struct job *j = path_job(p, (uint64_t)m->w[0], flags & O_CREAT ? MSG_FSJ_CREATE : MSG_FSJ_LOOKUP, open_done, reply);
    if (!j)
        return true;
    j->flags = flags;
    if (flags & O_CREAT) {
        j->m.w[1] = FT_FILE;
        j->m.w[2] = (flags & O_EXCL) != 0;
    }
    fs_kick();
    return false;
}

static void simple_done(struct job *j, struct msg *r)
{
    job_reply(j, r->w[0] < 0 ? r->w[0] : 0, 0, 0);
}

/* unlink and rmdir: the name goes now, the inode when no one has it open. */
static void remove_done(struct job *j, struct msg *r)
{
    if (r->w[0] > 0) {
        struct vnode *v = vnode_find((uint32_t)r->w[0]);
        if (v)
            v->unlinked = true;
        else
            release_inode((uint32_t)r->w[0]);
    }
    job_reply(j, r->w[0] < 0 ? r->w[0] : 0, 0, 0);
}

/* The new working directory's path: cwd joined with path, with "." and ".."
   worked out. False when it does not fit. */
static bool join_path(char *out, size_t size, const char *cwd, const char *path)
{
    char buf[256];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s/%s", path[0] == '/' ? "" : cwd, path);
    out[0] = 0;
    for (char *s = buf; *s;) {
        while (*s == '/')
            s++;
        char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
            out[n] = 0;
        } else {
            if (n + 1 + len + 1 > size)
                return false;
            out[n++] = '/';
            memcpy(out + n, s, len);
            n += len;
            out[n] = 0;
        }
        s = e;
    }
    return true;
}

static void chdir_done(struct job *j, struct msg *r)
{
    long res = r->w[0] < 0 ? r->w[0] : r->w[1] != FT_DIR ? -ENOTDIR : 0;
    if (res == 0 && j->p && j->p->state == P_RUN) {
        char path[128];
        if (join_path(path, sizeof path, j->p->cwd_path, j->path)) {
            j->p->cwd = (uint32_t)r->w[0];
            memcpy(j->p->cwd_path, path, sizeof path);
        } else {
            res = -ENAMETOOLONG;
        }
    }
    job_reply(j, res, 0, 0);
}

/* link(old, new): files only (the file server refuses directories). */
bool vfs_link(struct proc *p, struct msg *m, struct msg *reply)
{
    char path2[256];
    int n = copy_in_str(&p->vm, path2, (uint64_t)m->w[1], sizeof path2);
    if (n < 0) {
        reply->w[0] = n;
        return true;
    }
    names_forget();
    struct job *j = path_job(p, (uint64_t)m->w[0], MSG_FSJ_LINK, simple_done, reply);
    if (!j)
        return true;
    memcpy(j->path2, path2, (size_t)n + 1);
    if (!path2[0])
        j->path2[0] = 0, j->m.w[1] = -1; /* an empty new name: the server says ENOENT */
    fs_kick();
    return false;
}

bool vfs_chdir(struct proc *p, struct msg *m, struct msg *reply)
{
    struct job *j = path_job(p, (uint64_t)m->w[0], MSG_FSJ_LOOKUP, chdir_done, reply);
    if (!j)
        return true;
    fs_kick();
    return false;
}

/* unlink, mkdir, rmdir. Returns true with reply set, false when under way. */
bool vfs_path_op(struct proc *p, struct msg *m, struct msg *reply)
{
    names_forget();
    long label = m->label == MSG_PG_UNLINK ? MSG_FSJ_UNLINK :
                 m->label == MSG_PG_RMDIR ? MSG_FSJ_RMDIR : MSG_FSJ_CREATE;
    struct job *j = path_job(p, (uint64_t)m->w[0], label, label == MSG_FSJ_CREATE ? simple_done : remove_done, reply);
    if (!j)
        return true;
    if (label == MSG_FSJ_CREATE) {
        j->m.w[1] = FT_DIR;
        j->m.w[2] = 1;
    }
    fs_kick();
    return false;
}

static void readdir_done(struct job *j, struct msg *r)
{
    char name[64];
    long res = r->w[0];
    if (res == 1 && j->p && j->p->state == P_RUN &&
        (copy_in_str(&fsproc->vm, name, fs_page, sizeof name) < 0 || copy_out(&j->p->vm, (uint64_t)j->n, name, strlen(name) + 1) < 0))
        res = -EFAULT;
    job_reply(j, res, r->w[1], r->w[2]);
}

/* readdir(fd, name buffer, cookie): one entry per call. */
bool vfs_readdir(struct proc *p, struct vnode *v, struct msg *m, struct msg *reply)
{
    if (v->type != FT_DIR) {
        reply->w[0] = -ENOTDIR;
        return true;
    }
    if (user_probe(&p->vm, (uint64_t)m->w[1], 64) < 0) { /* the name is copied when the job is done */
        reply->w[0] = -EAGAIN;
        return true;
    }
    struct job *j = job_for(p, MSG_FSJ_READDIR, readdir_done, reply);
    if (!j)
        return true;
    j->n = (uint64_t)m->w[1];
    j->m.w[0] = v->inum;
    j->m.w[1] = m->w[2];
    fs_kick();
    return false;
}

/* write to a file at *off (or its end with O_APPEND): the bytes go into the
   cache pages, which are marked dirty; the writer gets its answer once the
   file is clean (written through, so a file written at the shell survives
   QEMU being killed). Returns true with reply set, false while parked. */
bool vfs_write(struct proc *p, struct vnode *v, uint64_t *off, long flags, struct msg *m, struct msg *reply)
{
    uint64_t uva = (uint64_t)m->w[1], n = (uint64_t)m->w[2];
    uint64_t pos = (flags & O_APPEND) ? v->size : *off;
    if (v->type == FT_DIR || n == 0 || pos + n < pos) {
        reply->w[0] = v->type == FT_DIR ? -EISDIR : n == 0 ? 0 : -EINVAL;
        return true;
    }
    uint64_t first = pos / PAGE, last = (pos + n - 1) / PAGE;
    /* writing past the end: the old last page's bytes after the end must read as zeros */
    uint64_t gap = pos > v->size && v->size % PAGE ? v->size / PAGE : last + 1;
    if (!vnode_grow(v, last + 1)) {
        reply->w[0] = -ENOMEM;
        return true;
    }
    /* partial old pages must be there before anything changes: they are read
       first (pages written whole, or past the end, get a fresh frame below) */
    for (uint64_t i = gap < first ? gap : first; i <= last; i = i == gap && gap < first ? first : i + 1) {
        bool covered = pos <= i * PAGE && pos + n >= (i + 1) * PAGE;
        if (v->cache->pages[i] || i * PAGE >= v->size || covered)
            continue;
        long pa = vnode_page(v, i);
        if (pa < 0) {
            reply->w[0] = pa;
            return true;
        }
        if (pa == 0)
            return park(p, m, v, i, reply);
    }
    if (gap <= last) {
        uint64_t from = v->size % PAGE, to = pos - gap * PAGE < PAGE ? pos - gap * PAGE : PAGE;
        memset((char *)frame_ptr(v->cache->pages[gap]) + from, 0, to - from);
        if (!mark_dirty(v, gap)) {
            reply->w[0] = -ENOMEM;
            return true;
        }
    }
    uint64_t done = 0;
    long err = 0;
    while (done < n) {
        uint64_t at = pos + done, chunk = PAGE - at % PAGE, idx = at / PAGE, fresh = 0;
        if (chunk > n - done)
            chunk = n - done;
        if (!v->cache->pages[idx] && !(v->cache->pages[idx] = fresh = frame_alloc())) {
            err = -ENOMEM;
            break;
        }
        if (copy_in(&p->vm, (char *)frame_ptr(v->cache->pages[idx]) + at % PAGE, uva + done, chunk) < 0 ||
            !mark_dirty(v, idx)) {
            if (fresh) { /* the cache must not show a page the file does not have */
                frame_unref(fresh);
                v->cache->pages[idx] = 0;
            }
            err = -EFAULT;
            break;
        }
        done += chunk;
    }
    if (pos + done > v->size)
        v->size = pos + done;
    if (done == 0) {
        reply->w[0] = err;
        return true;
    }
    *off = pos + done;
    wb_fill();
    if (vnode_clean(v)) { /* nothing to wait for (the file server may be gone) */
        reply->w[0] = v->werr ? v->werr : (long)done;
        v->werr = 0;
        return true;
    }
    return park_answer(p, v, (long)done, reply);
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

/* msync(addr, len, flags): the dirty pages of shared file mappings in the
   range go to their files; with MS_SYNC the answer waits until those files
   are clean (the request is parked and handled again; a write error then is
   its answer). Returns true with reply set, false while parked. */
bool vfs_msync(struct proc *p, struct msg *m, struct msg *reply)
{
    uint64_t addr = (uint64_t)m->w[0], len = PG_ROUNDUP((uint64_t)m->w[1]);
    long flags = m->w[2];
    if ((addr & (PAGE - 1)) || (flags & ~(long)(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)) || addr >= USER_LIMIT || len > USER_LIMIT - addr) {
        reply->w[0] = -EINVAL;
        return true;
    }
    reply->w[0] = len ? vm_sync(&p->vm, addr, addr + len) : 0;
    if (reply->w[0] < 0 || !len || (flags & MS_ASYNC))
        return true;
    for (struct vma_node *n = vt_first_at_or_after(&p->vm.vmas, addr); n && n->start < addr + len; n = vt_next(n)) {
        struct vma *v = (struct vma *)n;
        if (v->ops != &fshared_ops)
            continue;
        if (!vnode_clean(v->vn))
            return park(p, m, v->vn, WB_KEY, reply);
        if (v->vn->werr) { /* reported once */
            reply->w[0] = v->vn->werr;
            v->vn->werr = 0;
        }
    }
    return true;
}

/* sync(): answer once no file has a dirty page or a write-back under way
   (parked on one that has, and handled again when it is clean). */
bool vfs_sync(struct proc *p, struct msg *m, struct msg *reply)
{
    for (int i = 0; i < NVNODES; i++)
        if (vnodes[i].refs && !vnode_clean(&vnodes[i]))
            return park(p, m, &vnodes[i], WB_KEY, reply);
    reply->w[0] = 0;
    return true;
}

uint64_t vnode_size(struct vnode *v)
{
    return v->size;
}

uint32_t vnode_type(struct vnode *v)
{
    return v->type;
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
        if (m->w[0] < 0) {
            printf("pager: no file system (%s)\n", strerror(m->w[0]));
            start_init();
            reply->w[0] = m->w[0];
            return true;
        }
        fsproc = p;
        fs_page = (uint64_t)m->w[1];
        start_init(); /* from the disk: its first jobs are queued now */
    } else if (p != fsproc) {
        reply->label = -EPERM;
        return true;
    } else if (inflight) {
        struct job j = *inflight;
        inflight = NULL;
        job_head = (job_head + 1) % NJOBS;
        job_count--;
        j.done(&j, m);
        wb_fill(); /* room for the next dirty pages */
    }
    if (job_count && !inflight) {
        *reply = job_start()->m;
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
