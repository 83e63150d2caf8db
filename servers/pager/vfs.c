/* Files, on the pager's side (docs/fs.md). The pager keeps the page cache (one
   object per inode) and the descriptors; the file server pulls jobs with
   PG_FS_NEXT and answers them, so the pager never waits for it. A request that
   needs a page that is not in the cache is parked and handled again from the
   start when the page has arrived. Pages written (write(2), or shared
   mappings found dirty on msync, munmap and exit) are marked dirty in the
   cache and written back by a pump that keeps a few WRITEPAGE jobs queued;
   write and msync answer once their file is clean. The requests themselves
   are in filereq.c. */
#include "vfs.h"
#include "stat.h"

#define NJOBS 64
#define NPARKED (NPROC + 16) /* one request or fault per process, and the pager's own waits */
#define NVNODES 64
#define VN_RESERVE 8             /* vnodes only exec and levels 0-1 (init, the shell) may take */
/* A vnode with refs 0 and a cache is idle: a program exec ran, kept with its
   cached pages for the next exec (no file-server job then). Everything that
   changes a file goes through a reference (open revives it), and an inode
   freed on the disk drops its idle vnode (release_inode); an idle vnode's
   clean pages are evicted like any cache page; vnode_get reuses the oldest
   idle vnode when no slot is empty. */
static uint64_t idle_clock;

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

#define WB_MAX 16                /* write-back jobs queued at once */
static unsigned wb_queued;

static struct job jobs[NJOBS];
static unsigned job_head, job_count;
static struct job *inflight;
static struct parked parked[NPARKED];
static struct vnode vnodes[NVNODES];
#define NNAMES 16
#define LOOKUP_KEY (1UL << 63)
#define MEM_KEY WAIT_MEM         /* parked until a write-back or swap job is done (frames may be free again) */
/* state: 0 lookup under way, 1 found, -errno; stale: a directory changed while it was under way */
static struct name { char path[PATH_MAX]; uint32_t dir; long state; bool stale; uint32_t inum, type; uint64_t size; } names[NNAMES];
static unsigned name_next;
struct proc *fsproc;             /* the file server, once ready */
uint64_t fs_page;                /* its job page */
static long fs_slot;             /* its reply cap while it waits for work */
static struct vfs_hooks hooks;   /* the loop's, so nothing here calls up into main.c */

void vfs_init(const struct vfs_hooks *h)
{
    hooks = *h;
}

bool vfs_ready(void)
{
    return fsproc != NULL;
}

static long put_path(const char *path, size_t len, uint64_t off);
static void vnode_drop(struct vnode *v);
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

/* The job at the head of the queue (in flight, or not yet handed out) is
   over with result r: take it off, then let its done method see r. */
static void job_finish(struct msg *r)
{
    struct job j = jobs[job_head];
    inflight = NULL;
    job_head = (job_head + 1) % NJOBS;
    job_count--;
    j.done(&j, r);
}

/* Give the file server its next job if it waits and there is one. */
void fs_kick(void)
{
    if (!fs_slot || inflight || !job_count)
        return;
    struct msg m = job_start()->m;
    sys_send(fs_slot, &m);
    fs_slot = 0;
}

/* Queue a job. Returns it, or NULL when the queue is full. */
struct job *job_add(long label)
{
    if (job_count == NJOBS || !fsproc) /* full, or no file server (any more) */
        return NULL;
    struct job *j = &jobs[(job_head + job_count++) % NJOBS];
    memset(j, 0, sizeof *j);
    j->m.label = label;
    return j;
}

/* A job that answers request rq (its reply cap taken now). NULL (and
   rq->reply->w[0] set) when that cannot be done. */
struct job *job_for(struct req *rq, long label, void (*done)(struct job *, struct msg *))
{
    struct job *j = job_add(label);
    long slot = j ? req_take_reply(rq) : -ENOMEM;
    if (slot < 0) {
        if (j)
            job_count--;
        rq->reply->w[0] = slot;
        return NULL;
    }
    j->done = done;
    j->p = rq->p;
    j->slot = slot;
    return j;
}

/* Answer the request a job served (if its process still runs). */
void job_reply(struct job *j, long value, long w1, long w2)
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
    return copy_out(NULL, &fsproc->vm, fs_page + off, path, len + 1) < 0 ? -EIO : 0;
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

struct vnode *vnode_find(uint32_t inum)
{
    for (int i = 0; i < NVNODES; i++)
        if (vnodes[i].refs && vnodes[i].inum == inum)
            return &vnodes[i];
    return NULL;
}

/* Room in v's cache for npages pages. Returns false when out of memory. */
bool vnode_grow(struct vnode *v, uint64_t npages)
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

/* Make sure v has its array of dirty marks. Returns false when out of memory. */
static bool dirty_marks(struct vnode *v)
{
    return v->dirty || (v->dirty = meta_alloc(v->cache->npages)) != NULL;
}

/* Mark page idx of v dirty (it must be cached). The set of dirty pages holds
   a reference to v. Returns false when out of memory for the marks. */
bool mark_dirty(struct vnode *v, uint64_t idx)
{
    if (!dirty_marks(v))
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

/* When v has nothing left to write, answer whoever waits for that (a write
   error goes to all of them; with none waiting it waits for the next msync
   or write). */
static void wake_if_clean(struct vnode *v)
{
    if (vnode_clean(v) && unpark(v, WB_KEY))
        v->werr = 0;
}

/* The file is now len bytes: cached pages past it go (and their dirty marks),
   and so do the pages past it in every process's mappings of the file (the
   next touch is a bus error, never a write into a page the file lost); the
   tail of the last page is zeroed. */
void vnode_truncate(struct vnode *v, uint64_t len)
{
    struct memobj *o = v->cache;
    bool had = v->ndirty > 0;
    for (struct proc *p = proc_first(); p; p = proc_next(p))
        if (p->state == P_RUN)
            vm_drop_file(&p->vm, v, PG_ROUNDUP(len) / PAGE);
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
    wake_if_clean(v); /* writers and msync waiting for the dropped pages */
    if (had && v->ndirty == 0)
        vnode_put(v); /* the dirty set's reference goes with its last page */
}

static void release_done(struct job *j, struct msg *r)
{
    (void)j; (void)r;
}

/* Free inode inum on disk (its last name went and no one has it open). */
void release_inode(uint32_t inum)
{
    for (int i = 0; i < NVNODES; i++) /* an idle copy of the inode must not outlive it */
        if (!vnodes[i].refs && vnodes[i].cache && vnodes[i].inum == inum)
            vnode_drop(&vnodes[i]);
    struct job *j = job_add(MSG_FSJ_RELEASE);
    if (j) {
        j->done = release_done;
        j->m.w[0] = inum;
        fs_kick();
    }
}

struct vnode *vnode_get(uint32_t inum, uint32_t type, uint64_t size, bool reserve)
{
    struct vnode *free = NULL;
    int nfree = 0;
    for (int i = 0; i < NVNODES; i++) {
        struct vnode *v = &vnodes[i];
        if ((v->refs || v->cache) && v->inum == inum) {
            v->refs++; /* an idle one comes back with its pages */
            return v;
        }
        if (!v->refs) {
            nfree++;
            if (!free || (free->cache && (!v->cache || v->idle_at < free->idle_at)))
                free = v; /* an empty slot, else the oldest idle vnode */
        }
    }
    if (!free || (nfree <= VN_RESERVE && !reserve))
        return NULL;
    if (free->cache)
        vnode_drop(free);
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

/* Free v's cache and marks: the slot is empty. */
static void vnode_drop(struct vnode *v)
{
    if (v->dirty)
        meta_free(v->dirty, v->cache->npages);
    v->dirty = NULL;
    v->ndirty = 0;
    memobj_free(v->cache);
    v->cache = NULL;
    v->unlinked = false;
    v->prog = false;
}

/* Mark v as a program exec ran: its last reference keeps it idle. */
void vnode_keep(struct vnode *v)
{
    v->prog = true;
}

void vnode_put(struct vnode *v)
{
    if (--v->refs)
        return;
    for (int i = 0; i < NNAMES; i++) /* the next exec must see the size the file has now */
        if (names[i].path[0] && names[i].state == 1 && names[i].inum == v->inum)
            names[i].size = v->size;
    if (v->prog && !v->unlinked && !v->werr && fsproc) {
        v->idle_at = ++idle_clock; /* clean (the dirty set and jobs hold references) */
        return;
    }
    uint32_t inum = v->inum;
    bool gone = v->unlinked;
    vnode_drop(v);
    if (gone)
        release_inode(inum);
}

/* Call fn(arg, v) for every idle vnode v (the census). */
void vfs_each_idle(void (*fn)(void *arg, struct vnode *v), void *arg)
{
    for (int i = 0; i < NVNODES; i++)
        if (!vnodes[i].refs && vnodes[i].cache)
            fn(arg, &vnodes[i]);
}

/* Frames idle vnodes hold (vmstat's cache_idle): their cached pages; and in
   *meta (meta_idle) the bookkeeping pages of their page lists and dirty marks. */
uint64_t vfs_idle_pages(uint64_t *meta)
{
    uint64_t n = 0;
    *meta = 0;
    for (int i = 0; i < NVNODES; i++) {
        struct vnode *v = &vnodes[i];
        if (v->refs || !v->cache)
            continue;
        *meta += meta_pages(v->cache->npages * sizeof(uint64_t)) + (v->dirty ? meta_pages(v->cache->npages) : 0);
        for (uint64_t k = 0; k < v->cache->npages; k++)
            n += v->cache->pages[k] != 0;
    }
    return n;
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
        if (keep < v->size)
            vnode_truncate(v, keep); /* (this job's reference keeps v) */
    }
    frame_unref(j->pa);
    wb_queued--;
    v->wb_jobs--;
    wake_if_clean(v);
    vnode_put(v);
    unpark(NULL, MEM_KEY); /* writes that waited for frames try again */
}

/* The pump: queue WRITEPAGE jobs for dirty pages while fewer than WB_MAX are
   queued (so reads and lookups are not stuck behind a long write), one file
   after another. A job holds a reference to the frame and to the vnode. A
   page at or past the file's end is dropped: write-back never grows a file. */
void wb_fill(void)
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
        bool wanted = pa && i * PAGE < v->size;
        struct job *j = wanted ? job_add(MSG_FSJ_WRITEPAGE) : NULL; /* room is checked above */
        if (wanted && !j && !v->werr)
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
        if (v->ndirty == 0) {
            if (!j)
                wake_if_clean(v); /* the last dirty page needed no write (past the end, no frame) */
            vnode_put(v); /* the dirty set's reference; a job holds another, or it was the last */
        }
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
        cache_track(j->v, j->idx, j->pa);
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

/* The frame of page idx of v; or -EAGAIN with *w naming the page once the
   file server is asked for it, or WAIT_MEM while frames are being freed
   for it (the caller parks on *w), or at once when *w is WAIT_NOIO and the
   page is not in the cache; -EFAULT (past the cache), -ENOMEM, -EIO (no
   file server). Cache frames keep to the reserve like user pages. */
long vnode_page(struct vnode *v, uint64_t idx, struct vm_wait *w)
{
    if (idx >= v->cache->npages)
        return -EFAULT;
    if (v->cache->pages[idx])
        return (long)v->cache->pages[idx];
    if (!w->v && w->idx == WAIT_NOIO)
        return -EAGAIN;
    *w = (struct vm_wait){ v, idx };
    if (page_pending(v, idx))
        return -EAGAIN;
    uint64_t pa = frame_alloc_user();
    if (!pa) {
        bool coming = vm_reclaim();
        if (!(pa = frame_alloc_user()) && coming) {
            *w = (struct vm_wait){ NULL, WAIT_MEM };
            return -EAGAIN;
        }
    }
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
    return -EAGAIN;
}

/* The frame of page idx of v when the cache holds it read in (fault-around);
   0 otherwise. Never asks the file server, never takes a frame. */
uint64_t vnode_page_cached(struct vnode *v, uint64_t idx)
{
    return idx < v->cache->npages ? v->cache->pages[idx] : 0;
}

/* ---- parking ---- */

/* Park what pk says: for request rq (its reply cap is taken here), or the
   pager's own wait (rq NULL, pk.fn set). Returns false, or true with
   rq->reply->w[0] = -ENOMEM when there is no room. */
static bool park_entry(struct req *rq, struct parked pk)
{
    for (int i = 0; i < NPARKED; i++) {
        if (parked[i].p || parked[i].fn)
            continue;
        if (rq && (pk.slot = req_take_reply(rq)) < 0)
            break;
        parked[i] = pk;
        return false;
    }
    if (rq)
        rq->reply->w[0] = -ENOMEM;
    return true;
}

/* Handle rq->p's request m again once page idx of v is in (or v is clean, idx WB_KEY). */
bool park(struct req *rq, struct msg *m, struct vnode *v, uint64_t idx)
{
    return park_entry(rq, (struct parked){ .p = rq->p, .m = *m, .v = v, .idx = idx });
}

/* Answer request rq with value (or v's write error, reported once) when v is
   clean: now (true, rq->reply set) if it is already, else when its last
   write-back is done (false). */
bool answer_when_clean(struct req *rq, struct vnode *v, long value)
{
    if (vnode_clean(v)) { /* nothing to wait for (the file server may be gone) */
        rq->reply->w[0] = v->werr ? v->werr : value;
        v->werr = 0;
        return true;
    }
    return park_entry(rq, (struct parked){ .p = rq->p, .v = v, .idx = WB_KEY, .answer = true, .value = value });
}

/* Request m of rq ran out of memory before it changed anything: while
   write-backs are under way (when one is done, a file nobody has open lets
   go of its cache), handle it again after the next one. Returns false
   (parked), or true with rq->reply->w[0] = -ENOMEM when no frame can come
   back that way. */
bool park_for_memory(struct req *rq, struct msg *m)
{
    if (!wb_queued && !vm_reclaim()) {
        rq->reply->w[0] = m->label == MSG_PG_WRITE && m->w[3] > 0 ? m->w[3] : -ENOMEM; /* a write's part done */
        return true;
    }
    return park(rq, m, NULL, MEM_KEY);
}

/* The pager's own wait: call fn once what *w names is there. Returns false when there is no room. */
bool vfs_park_call(void (*fn)(void), const struct vm_wait *w)
{
    return !park_entry(NULL, (struct parked){ .fn = fn, .v = w->v, .idx = w->idx });
}

/* What waits on {NULL, key} (the memory layers' waits) is handled again, or fails with err. */
void vfs_wake(uint64_t key, long err)
{
    unpark_err(NULL, key, err);
}

bool vfs_park(struct req *rq, struct msg *m)
{
    return park(rq, m, rq->wait.v, rq->wait.idx);
}

/* ---- the name cache: lookups for exec, kept until anything changes a directory ---- */

void names_forget(void)
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

/* Resolve path for exec, a relative one from directory inode dir (1: the
   root). Returns 0 with *vp (a new reference), -EAGAIN when the file server
   is asked (*w says for what), or -errno (-ENAMETOOLONG: PATH_MAX bytes or more,
   more than a job carries). A name looked up before, with no directory
   changed since, and a program run before need no job at all. */
long vfs_lookup(uint32_t dir, const char *path, struct vnode **vp, struct vm_wait *w)
{
    size_t len = strlen(path);
    if (!fsproc)
        return -ENOENT;
    if (len >= sizeof names[0].path)
        return -ENAMETOOLONG;
    for (unsigned i = 0; i < NNAMES; i++) {
        struct name *nm = &names[i];
        if (nm->dir != dir || strcmp(nm->path, path) != 0)
            continue;
        if (nm->state == 0) {
            *w = (struct vm_wait){ NULL, LOOKUP_KEY | i };
            return -EAGAIN;
        }
        if (nm->state < 0)
            return nm->state;
        if (nm->type != FT_FILE)
            return -EACCES;
        *vp = vnode_get(nm->inum, nm->type, nm->size, true); /* exec may take the reserve */
        return *vp ? 0 : -ENFILE;
    }
    /* a slot whose lookup is under way is not taken; when all are, wait for one */
    unsigned i = name_next % NNAMES;
    for (unsigned k = 0; k < NNAMES && names[i].path[0] && names[i].state == 0; k++)
        i = ++name_next % NNAMES;
    if (names[i].path[0] && names[i].state == 0) {
        *w = (struct vm_wait){ NULL, LOOKUP_KEY | i };
        return -EAGAIN;
    }
    name_next++;
    struct job *j = job_add(MSG_FSJ_LOOKUP);
    if (!j)
        return -ENOMEM;
    memcpy(j->path, path, len + 1);
    j->has_path = true;
    memcpy(names[i].path, path, len + 1);
    names[i].dir = dir;
    names[i].state = 0;
    names[i].stale = false;
    j->done = name_done;
    j->idx = i;
    j->m.w[0] = dir;
    fs_kick();
    *w = (struct vm_wait){ NULL, LOOKUP_KEY | i };
    return -EAGAIN;
}

/* Page idx of v has arrived (err 0): handle its parked requests again. Or it
   cannot be read (err < 0): the requests fail with err, the faults go to
   their task's SIGBUS handler or kill it with a message. Returns how many were waiting. */
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
            bool fault = !pk.answer && pk.m.label == MSG_FAULT;
            struct req rq = { .p = pk.p, .m = &pk.m, .reply = &r, .slot = pk.slot };
            if (fault && !(pk.m.w[4] & FAULT_SYSCALL) && signal_fault(&rq, SIGBUS))
                continue; /* its SIGBUS handler runs */
            if (fault) {
                printf("pid %ld (%s): %s reading the file page at %p; killed\n", pk.p->pid, pk.p->name,
                       strerror(err), (void *)pk.m.w[0]);
                r.label = MSG_FAULT_KILL;
            }
            sys_send(pk.slot, &r);
            if (r.label == MSG_FAULT_KILL)
                proc_exit(pk.p, WAIT_KILLED, SIGBUS);
        } else {
            hooks.redispatch(pk.p, &pk.m, pk.slot);
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
        struct msg eio = { .w = { -EIO } };
        while (job_count) /* every job fails, and with it what waits for it */
            job_finish(&eio);
        wb_fill(); /* drops every dirty page with EIO and wakes their writers */
        for (int i = 0; i < NVNODES; i++)
            if (vnodes[i].refs)
                wake_if_clean(&vnodes[i]);
    }
    if (strcmp(p->name, "fs") == 0)
        hooks.settled(); /* it died before it was ready */
}

/* sync(): answer once no file has a dirty page or a write-back under way
   (parked on one that has, and handled again when it is clean). */
bool vfs_sync(struct req *rq)
{
    for (int i = 0; i < NVNODES; i++)
        if (vnodes[i].refs && !vnode_clean(&vnodes[i]))
            return park(rq, rq->m, &vnodes[i], WB_KEY);
    rq->reply->w[0] = 0;
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

/* ---- the file server's side ---- */

/* PG_FS_NEXT from the file server: finish its last job, then give it the next
   one (true: in reply) or keep its reply cap until there is one (false). */
bool vfs_fs_next(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
    if (!fsproc) {
        if (m->w[0] < 0) {
            printf("pager: no file system (%s)\n", strerror(m->w[0]));
            hooks.settled();
            reply->w[0] = m->w[0];
            return true;
        }
        fsproc = p;
        fs_page = (uint64_t)m->w[1];
        hooks.settled(); /* from the disk: its first jobs are queued now */
    } else if (p != fsproc) {
        reply->w[0] = -EPERM; /* the table's rule lets only the started server here */
        return true;
    } else if (inflight) {
        job_finish(m);
        wb_fill(); /* room for the next dirty pages */
    }
    if (job_count && !inflight) {
        *reply = job_start()->m;
        return true;
    }
    long slot = req_take_reply(rq);
    if (slot < 0) {
        reply->label = 0;
        return true;
    }
    fs_slot = slot;
    return false;
}

/* ---- eviction of page-cache frames (evict.c asks through its hooks) ---- */

/* Frame pa is now page idx of v's cache: the policy may evict it. */
void cache_track(struct vnode *v, uint64_t idx, uint64_t pa)
{
    frame_track_cache(pa, (uint8_t)(v - vnodes), idx);
}

/* Call fn(arg, vs, va, e) for every entry that maps frame pa as page idx of
   v, in every live address space; stops when fn returns false. */
static void cache_mappings(struct vnode *v, uint64_t idx, uint64_t pa,
                           bool (*fn)(void *arg, struct vmspace *vs, uint64_t va, spte_t *e), void *arg)
{
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if (p->state != P_RUN || !p->vm.shadow.root)
            continue;
        for (struct vma_node *n = vt_first(&p->vm.vmas); n; n = vt_next(n)) {
            struct vma *r = (struct vma *)n;
            uint64_t npages = (n->end - n->start) / PAGE;
            if (r->vn != v || idx < r->pgoff || idx >= r->pgoff + npages)
                continue;
            uint64_t va = n->start + (idx - r->pgoff) * PAGE;
            spte_t *e = shadow_lookup(&p->vm.shadow, va);
            if (e && (*e & SPTE_PRESENT) && SPTE_PA(*e) == pa && !fn(arg, &p->vm, va, e))
                return;
        }
    }
}

/* The vnode number `file` when page idx of its cache is still frame pa. */
static struct vnode *cache_owner(uint8_t file, uint64_t idx, uint64_t pa)
{
    struct vnode *v = file < NVNODES ? &vnodes[file] : NULL;
    return v && v->cache && idx < v->cache->npages && v->cache->pages[idx] == pa ? v : NULL;
}

struct look { bool used, dirty; unsigned n; };

static bool look_at(void *arg, struct vmspace *vs, uint64_t va, spte_t *e)
{
    struct look *l = arg;
    long a = 0, d = 0;
    if (sys_ad_bits(vs->as_slot, (long)va, 1, AD_CLEAR_A, &a, &d) >= 0) {
        l->used |= a & 1;
        l->dirty |= d & 1;
    }
    l->dirty |= (*e & SPTE_DIRTY) != 0;
    l->n++;
    return true;
}

bool cache_accessed(uint8_t file, uint64_t idx, uint64_t pa)
{
    struct vnode *v = cache_owner(file, idx, pa);
    struct look l = { false, false, 0 };
    if (v)
        cache_mappings(v, idx, pa, look_at, &l);
    return l.used;
}

/* The write-back about to start covers what this mapping wrote so far. */
static bool clean_mapping(void *arg, struct vmspace *vs, uint64_t va, spte_t *e)
{
    (void)arg;
    long a = 0, d = 0;
    sys_ad_bits(vs->as_slot, (long)va, 1, AD_CLEAR_D, &a, &d);
    *e &= ~(spte_t)SPTE_DIRTY;
    return true;
}

/* drop_mapping's state: the frame, and whether a mapping it took out was
   written meanwhile (on another hart, after look_at read the bits). */
struct drop { uint64_t pa; bool dirty; };

static bool drop_mapping(void *arg, struct vmspace *vs, uint64_t va, spte_t *e)
{
    struct drop *d = arg;
    if (sys_unmap(vs->as_slot, (long)va, 1) > 0)
        d->dirty = true;
    *e = 0; /* the next touch faults and reads the page again */
    frame_unref(d->pa);
    return true;
}

/* Drop clean page idx (frame pa) of file number `file` from the cache and
   from every page table that maps it. A page written through a shared
   mapping is handed to write-back first (busy until it is on the disk).
   Returns 1 dropped, 0 busy (dirty, under write-back or read), -1 when the
   frame is no longer that page. */
int cache_drop(uint8_t file, uint64_t idx, uint64_t pa)
{
    struct vnode *v = cache_owner(file, idx, pa);
    if (!v)
        return -1;
    if (v->dirty && v->dirty[idx])
        return 0;
    struct look l = { false, false, 0 };
    cache_mappings(v, idx, pa, look_at, &l);
    if (l.dirty) { /* written back, then clean: evictable */
        if (idx * PAGE < v->size && !mark_dirty(v, idx))
            return 0; /* no memory for the mark: the bits keep saying it, and it is tried again */
        cache_mappings(v, idx, pa, clean_mapping, NULL);
        wb_fill();
        return 0;
    }
    if ((uint64_t)frame_refs(pa) != l.n + 1)
        return 0; /* a job holds it */
    bool in_file = idx * PAGE < v->size;
    if (l.n && in_file && !dirty_marks(v))
        return 0; /* no memory for the mark the unmap may call for: tried again later */
    struct drop d = { pa, false };
    cache_mappings(v, idx, pa, drop_mapping, &d);
    if (d.dirty && in_file) { /* written after the look: it stays, to be written back */
        mark_dirty(v, idx); /* (cannot fail: dirty_marks made the array) */
        wb_fill();
        return 0;
    }
    frame_untrack(pa, true);
    v->cache->pages[idx] = 0;
    frame_unref(pa);
    return 1;
}
