/* Requests of processes about files (docs/fs.md): open, path operations,
   readdir, read, write, msync. Each either answers at once, or queues a job
   for the file server (the answer comes when it is done), or parks until a
   page is in or a file is clean. */
#include "vfs.h"
#include "stat.h"

static void open_finish(struct job *j, uint32_t inum, uint32_t type, uint64_t size)
{
    if (!j->p || j->p->state != P_RUN) {
        job_reply(j, -ESRCH, 0, 0);
        return;
    }
    struct vnode *v = vnode_get(inum, type, size, j->p->level < 2);
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
        struct vnode *v = vnode_get(inum, type, (uint64_t)r->w[2], j->p->level < 2);
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

/* Copy in a path; queue a job of `label` with it for request rq. Returns the
   job, or NULL with rq->reply->w[0] set. */
static struct job *path_job(struct req *rq, uint64_t upath, long label, void (*done)(struct job *, struct msg *))
{
    char path[PATH_MAX];
    struct proc *p = rq->p;
    int n = copy_in_str(rq, &p->vm, path, upath, sizeof path);
    if (n < 0 || !fsproc) {
        rq->reply->w[0] = n < 0 ? n : -ENOSYS;
        return NULL;
    }
    struct job *j = job_for(rq, label, done);
    if (!j)
        return NULL;
    memcpy(j->path, path, (size_t)n + 1);
    j->has_path = true;
    j->m.w[0] = p->cwd ? p->cwd : 1; /* relative paths start at the working directory */
    return j;
}

/* open(path, flags). Returns true with reply set, or false when the file
   server is at work (the answer comes later). */
bool vfs_open(struct req *rq)
{
    struct msg *m = rq->m, *reply = rq->reply;
    long flags = m->w[1];
    if (flags & O_CREAT)
        names_forget();
    if ((flags & O_ACCMODE) == O_ACCMODE) {
        reply->w[0] = -EINVAL;
        return true;
    }
    struct job *j = path_job(rq, (uint64_t)m->w[0], flags & O_CREAT ? MSG_FSJ_CREATE : MSG_FSJ_LOOKUP, open_done);
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
    static char buf[2 * PATH_MAX + 2]; /* cwd, '/', a job's path */
    size_t n = 0;
    if (snprintf(buf, sizeof buf, "%s/%s", path[0] == '/' ? "" : cwd, path) >= (int)sizeof buf)
        return false;
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
        static char path[PATH_MAX];
        if (join_path(path, sizeof path, j->p->cwd_path, j->path)) {
            j->p->cwd = (uint32_t)r->w[0];
            memcpy(j->p->cwd_path, path, strlen(path) + 1);
        } else {
            res = -ENAMETOOLONG;
        }
    }
    job_reply(j, res, 0, 0);
}

/* A job on two paths (old at w0, new at w1 of the request): link, rename.
   Returns true with reply set, false while the job runs. */
static bool two_path_job(struct req *rq, long label, void (*done)(struct job *, struct msg *))
{
    struct msg *m = rq->m, *reply = rq->reply;
    char path2[PATH_MAX];
    int n = copy_in_str(rq, &rq->p->vm, path2, (uint64_t)m->w[1], sizeof path2);
    if (n < 0) {
        reply->w[0] = n;
        return true;
    }
    names_forget();
    struct job *j = path_job(rq, (uint64_t)m->w[0], label, done);
    if (!j)
        return true;
    memcpy(j->path2, path2, (size_t)n + 1);
    if (!path2[0])
        j->path2[0] = 0, j->m.w[1] = -1; /* an empty new name: the server says ENOENT */
    fs_kick();
    return false;
}

/* link(old, new): files only (the file server refuses directories). */
bool vfs_link(struct req *rq) { return two_path_job(rq, MSG_FSJ_LINK, simple_done); }

bool vfs_chdir(struct req *rq)
{
    struct job *j = path_job(rq, (uint64_t)rq->m->w[0], MSG_FSJ_LOOKUP, chdir_done);
    if (!j)
        return true;
    fs_kick();
    return false;
}

/* unlink, mkdir, rmdir. Returns true with reply set, false when under way. */
bool vfs_path_op(struct req *rq)
{
    struct msg *m = rq->m;
    names_forget();
    long label = m->label == MSG_PG_UNLINK ? MSG_FSJ_UNLINK :
                 m->label == MSG_PG_RMDIR ? MSG_FSJ_RMDIR : MSG_FSJ_CREATE;
    struct job *j = path_job(rq, (uint64_t)m->w[0], label, label == MSG_FSJ_CREATE ? simple_done : remove_done);
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
        (copy_in_str(NULL, &fsproc->vm, name, fs_page, sizeof name) < 0 ||
         copy_out(NULL, &j->p->vm, (uint64_t)j->n, name, strlen(name) + 1) < 0))
        res = -EFAULT;
    job_reply(j, res, r->w[1], r->w[2]);
}

/* readdir(fd, name buffer, cookie): one entry per call. */
bool vfs_readdir(struct req *rq, struct vnode *v)
{
    struct msg *m = rq->m, *reply = rq->reply;
    if (v->type != FT_DIR) {
        reply->w[0] = -ENOTDIR;
        return true;
    }
    if (user_probe(rq, &rq->p->vm, (uint64_t)m->w[1], 64) < 0) { /* the name is copied when the job is done */
        reply->w[0] = -EAGAIN;
        return true;
    }
    struct job *j = job_for(rq, MSG_FSJ_READDIR, readdir_done);
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
   QEMU being killed). Out of memory before anything is written, the write
   waits while write-backs or evictions are under way (they give frames back) and
   fails with ENOMEM only when none is; out of memory after some bytes, the
   rest waits likewise (m->w[3]: the bytes earlier turns of this request
   wrote, part of the answer). Returns true with reply set, false while
   parked. */
bool vfs_write(struct req *rq, struct vnode *v, uint64_t *off, long flags)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
    uint64_t uva = (uint64_t)m->w[1], n = (uint64_t)m->w[2];
    uint64_t pos = (flags & O_APPEND) ? v->size : *off;
    if (v->type == FT_DIR || n == 0 || pos + n < pos) {
        reply->w[0] = v->type == FT_DIR ? -EISDIR : n == 0 ? 0 : -EINVAL;
        return true;
    }
    uint64_t first = pos / PAGE, last = (pos + n - 1) / PAGE;
    /* writing past the end: the old last page's bytes after the end must read as zeros */
    uint64_t gap = pos > v->size && v->size % PAGE ? v->size / PAGE : last + 1;
    if (!vnode_grow(v, last + 1))
        return park_for_memory(rq, m);
    /* partial old pages must be there before anything changes: they are read
       first (pages written whole, or past the end, get a fresh frame below) */
    for (uint64_t i = gap < first ? gap : first; i <= last; i = i == gap && gap < first ? first : i + 1) {
        bool covered = pos <= i * PAGE && pos + n >= (i + 1) * PAGE;
        if (v->cache->pages[i] || i * PAGE >= v->size || covered)
            continue;
        long pa = vnode_page(v, i, &rq->wait);
        if (pa == -EAGAIN)
            return vfs_park(rq, m);
        if (pa == -ENOMEM)
            return park_for_memory(rq, m);
        if (pa < 0) {
            reply->w[0] = pa;
            return true;
        }
    }
    if (gap <= last) {
        uint64_t from = v->size % PAGE, to = pos - gap * PAGE < PAGE ? pos - gap * PAGE : PAGE;
        memset((char *)frame_ptr(v->cache->pages[gap]) + from, 0, to - from);
        if (!mark_dirty(v, gap))
            return park_for_memory(rq, m);
    }
    uint64_t done = 0;
    long err = 0;
    while (done < n) {
        uint64_t at = pos + done, chunk = PAGE - at % PAGE, idx = at / PAGE, fresh = 0;
        if (chunk > n - done)
            chunk = n - done;
        if (!v->cache->pages[idx] && !(v->cache->pages[idx] = fresh = frame_alloc_user())) {
            err = -ENOMEM;
            break;
        }
        uint64_t page = v->cache->pages[idx];
        frame_ref(page); /* busy while the copy runs: a reclaim it causes must not drop it */
        frame_touch(page);
        bool copied = copy_in(rq, &p->vm, (char *)frame_ptr(page) + at % PAGE, uva + done, chunk) == 0;
        frame_unref(page);
        if (!copied || !mark_dirty(v, idx)) {
            if (fresh) { /* the cache must not show a page the file does not have */
                frame_unref(fresh);
                v->cache->pages[idx] = 0;
            }
            err = copied ? -ENOMEM : -EFAULT;
            break;
        }
        if (fresh)
            cache_track(v, idx, fresh);
        done += chunk;
    }
    if (done && pos + done > v->size) /* a write that wrote nothing does not grow the file */
        v->size = pos + done;
    wb_fill(); /* with nothing written too: the zeroed old last page may be dirty, and a sync waits for it */
    if (done == 0 && err == -ENOMEM)
        return park_for_memory(rq, m);
    if (done == 0) {
        reply->w[0] = m->w[3] > 0 ? m->w[3] : err; /* a continuation: what the earlier turns wrote */
        return true;
    }
    *off = pos + done;
    if (err == -ENOMEM) { /* the rest waits for memory; w3 carries the bytes written so far */
        struct msg rest = *m;
        rest.w[1] += (long)done;
        rest.w[2] -= (long)done;
        rest.w[3] += (long)done;
        if (!park_for_memory(rq, &rest))
            return false;
    }
    return answer_when_clean(rq, v, (long)done + (m->w[3] > 0 ? m->w[3] : 0));
}

/* The rest of read request m, after `done` more bytes: it waits for what
   rq->wait names (the next file page, or a page of the buffer not read yet)
   and goes on from there; w3 carries the bytes of the earlier turns, part of
   the answer. Returns false (parked), or true with the bytes so far as the
   answer when there is no room to park. */
static bool read_rest(struct req *rq, struct msg *m, uint64_t done)
{
    struct msg rest = *m;
    rest.w[1] += (long)done;
    rest.w[2] -= (long)done;
    rest.w[3] += (long)done;
    if (!park(rq, &rest, rq->wait.v, rq->wait.idx))
        return false;
    rq->reply->w[0] = rest.w[3];
    return true;
}

/* read from a file at *off: the whole request unless it reaches the end of
   the file. A page that is not in the cache is waited for, before the first
   byte and after some (then the request goes on from there: read_rest).
   Returns true with reply->w[0] = bytes (short only at the end of the file,
   or when an error follows some bytes) or -errno; false when parked. */
bool vfs_read(struct req *rq, struct vnode *v, uint64_t *off)
{
    struct msg *m = rq->m, *reply = rq->reply;
    uint64_t uva = (uint64_t)m->w[1], n = (uint64_t)m->w[2], done = 0;
    long before = m->w[3] > 0 ? m->w[3] : 0; /* bytes of earlier turns (read_rest) */
    if (v->type == FT_DIR) {
        reply->w[0] = -EISDIR;
        return true;
    }
    while (done < n && *off < v->size) {
        uint64_t idx = *off / PAGE, in = *off % PAGE;
        long pa = vnode_page(v, idx, &rq->wait);
        if (pa == -EAGAIN)
            return done ? read_rest(rq, m, done) : vfs_park(rq, m);
        if (pa < 0) {
            reply->w[0] = done || before ? (long)done + before : pa;
            return true;
        }
        uint64_t chunk = PAGE - in;
        if (chunk > n - done)
            chunk = n - done;
        if (chunk > v->size - *off)
            chunk = v->size - *off;
        frame_ref((uint64_t)pa); /* busy while the copy runs: a reclaim it causes must not drop it */
        frame_touch((uint64_t)pa);
        int copied = copy_out(rq, &rq->p->vm, uva + done, (char *)frame_ptr((uint64_t)pa) + in, chunk);
        frame_unref((uint64_t)pa);
        if (copied == -EAGAIN && (done || before)) /* the buffer's next page is a file page not read yet */
            return read_rest(rq, m, done);
        if (copied < 0) {
            reply->w[0] = done || before ? (long)done + before : copied;
            return true;
        }
        done += chunk;
        *off += chunk;
    }
    reply->w[0] = (long)done + before;
    return true;
}

/* msync(addr, len, flags): the dirty pages of shared file mappings in the
   range go to their files; with MS_SYNC the answer waits until those files
   are clean (the request is parked and handled again; a write error then is
   its answer). Returns true with reply set, false while parked. */
bool vfs_msync(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
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
            return park(rq, m, v->vn, WB_KEY);
        if (v->vn->werr) { /* reported once */
            reply->w[0] = v->vn->werr;
            v->vn->werr = 0;
        }
    }
    return true;
}



/* ---- stat, ftruncate, fsync, rename (issue 10) ---- */

/* The STAT job is done: fill the caller's struct stat (its pages were
   probed) from what the disk says (links, time, blocks) and the cache (the
   size, which may be ahead of the disk's). */
static void stat_done(struct job *j, struct msg *r)
{
    struct vnode *v = j->v;
    long res = r->w[0] < 0 ? r->w[0] : 0;
    if (res == 0 && j->p && j->p->state == P_RUN) {
        bool dir = v->type == FT_DIR;
        struct stat st = {
            .st_ino = (uint16_t)v->inum, /* picolibc's ino_t is 16 bits; readdir has the whole number */
            .st_mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644,
            .st_nlink = (uint16_t)r->w[3],
            .st_size = (int64_t)v->size,
            .st_blksize = PAGE,
            .st_blocks = r->w[5] * (PAGE / 512),
        };
        st.st_mtim.tv_sec = st.st_atim.tv_sec = st.st_ctim.tv_sec = r->w[4];
        if (copy_out(NULL, &j->p->vm, (uint64_t)j->n, &st, sizeof st) < 0)
            res = -EFAULT;
    }
    vnode_put(v);
    job_reply(j, res, 0, 0);
}

/* fstat of a file or directory: a STAT job asks the disk for its links and
   time. Returns true with reply set, false while the job runs. */
bool vfs_fstat(struct req *rq, struct vnode *v)
{
    uint64_t uva = (uint64_t)rq->m->w[1];
    if (user_probe(rq, &rq->p->vm, uva, sizeof(struct stat)) < 0) { /* copied when the job is done */
        rq->reply->w[0] = -EAGAIN;
        return true;
    }
    if (!fsproc) {
        rq->reply->w[0] = -EIO;
        return true;
    }
    struct job *j = job_for(rq, MSG_FSJ_STAT, stat_done);
    if (!j)
        return true;
    vnode_ref(v);
    j->v = v;
    j->n = uva;
    j->m.w[0] = v->inum;
    fs_kick();
    return false;
}

static void ftrunc_done(struct job *j, struct msg *r)
{
    if (r->w[0] >= 0)
        j->v->disk_size = (uint64_t)j->m.w[1]; /* write-backs queued later finish later */
    vnode_put(j->v);
    job_reply(j, r->w[0] < 0 ? r->w[0] : 0, 0, 0);
}

/* ftruncate(fd, len) of a file open for writing: the cache changes now (pages
   past a shorter end go from the cache and from every mapping, the rest of
   the last page reads zeros), the disk in a TRUNCATE job queued behind the
   write-backs under way; the answer comes when it is done. Returns true with
   reply set (-EINVAL, -EFBIG, -ENOMEM, -EIO), false while the job runs. */
bool vfs_ftruncate(struct req *rq, struct vnode *v, long len)
{
    struct msg *reply = rq->reply;
    if (len < 0 || v->type != FT_FILE) {
        reply->w[0] = -EINVAL;
        return true;
    }
    if ((uint64_t)len > FILE_MAX) {
        reply->w[0] = -EFBIG;
        return true;
    }
    if (!fsproc) {
        reply->w[0] = -EIO;
        return true;
    }
    if (!vnode_grow(v, PG_ROUNDUP((uint64_t)len) / PAGE)) {
        reply->w[0] = -ENOMEM;
        return true;
    }
    if ((uint64_t)len > v->size && v->size % PAGE && !v->cache->pages[v->size / PAGE]) {
        /* growing: the old last page is read first, so that its bytes past the
           old end are zeroed below (a read still under way would bring them) */
        long pa = vnode_page(v, v->size / PAGE, &rq->wait);
        if (pa == -EAGAIN)
            return vfs_park(rq, rq->m);
        if (pa < 0) {
            reply->w[0] = pa;
            return true;
        }
    }
    struct job *j = job_for(rq, MSG_FSJ_TRUNCATE, ftrunc_done);
    if (!j)
        return true;
    uint64_t n = (uint64_t)len, old = v->size;
    if (n < old) {
        vnode_truncate(v, n);
    } else if (n > old) {
        /* what a shared mapping wrote past the old end is not the file's */
        uint64_t idx = old / PAGE, from = old % PAGE;
        if (from && v->cache->pages[idx])
            memset((char *)frame_ptr(v->cache->pages[idx]) + from, 0, PAGE - from);
        v->size = n;
    }
    vnode_ref(v);
    j->v = v;
    j->m.w[0] = v->inum;
    j->m.w[1] = len;
    fs_kick();
    return false;
}

/* fsync(fd) and fdatasync(fd): the dirty pages of every shared mapping of the
   file, in every process, are handed to write-back, and the answer comes when
   the file has no dirty page left (its size goes with its pages: WRITEPAGE
   sets it; truncation answers only once it is on the disk). A write error is
   the answer (reported once). Returns true with reply set, false while
   waiting. */
bool vfs_fsync(struct req *rq, struct vnode *v)
{
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if (p->state != P_RUN)
            continue;
        for (struct vma_node *n = vt_first(&p->vm.vmas); n; n = vt_next(n))
            if (((struct vma *)n)->vn == v && ((struct vma *)n)->ops == &fshared_ops)
                vm_sync(&p->vm, n->start, n->end);
    }
    return answer_when_clean(rq, v, 0);
}

/* rename(old, new): one log transaction in the file server; the file the new
   name replaced is let go like unlink's. */
bool vfs_rename(struct req *rq) { return two_path_job(rq, MSG_FSJ_RENAME, remove_done); }
