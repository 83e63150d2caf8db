/* Descriptors, pipes and the console. The pager moves the bytes itself, between
   its buffers and process memory, through the fault path (copy_in/copy_out):
   a read into a copy-on-write page copies the page first, a read into an
   untouched page allocates it. A request that cannot finish now keeps its reply
   cap in the process and is finished when data or room appears. A read or write
   request moves at most IO_MAX bytes (bounded work a turn; libsys asks again
   for the rest, docs/design.md). */
#include "pager.h"
#include "stat.h"

#define PIPE_SIZE 4096
#define CONSOLE_BUF 1024
#define UART_VA 0x0fe0000000UL
#define UART_RBR 0
#define UART_IER 1
#define UART_LSR 5

enum { F_CONSOLE = 1, F_PIPE, F_FILE };
enum { B_NONE = 0, B_READ, B_WRITE };

struct pipe {
    char *buf;
    uint32_t head, count;        /* ring buffer */
    uint32_t readers, writers;   /* open files of each end */
};

struct file {
    int kind;
    int refs;
    bool writer;                 /* pipe: the write end */
    struct pipe *pipe;
    struct vnode *vnode;         /* F_FILE */
    uint64_t offset;             /* F_FILE, shared by dup and fork like POSIX */
    long flags;                  /* F_FILE: O_* */
};

/* what a blocked process waits for (one request at a time per process) */
struct blocked {
    int op;
    struct file *f;
    uint64_t uva, n, done;
};
static struct blocked blocked[NPROC];

static struct file console_file = { .kind = F_CONSOLE, .refs = 1 };
static char cons_line[CONSOLE_BUF], cons_ready[CONSOLE_BUF];
static uint32_t cons_line_len, cons_ready_len;
static bool cons_eof;
static volatile uint8_t *uart;

static void reply_to(struct proc *p, long value)
{
    struct msg m = { .label = 0, .w = { value } };
    sys_send(p->blocked_slot, &m);
    p->blocked_slot = 0;
    blocked[p->pid % NPROC].op = B_NONE;
}

static struct file *file_get(struct proc *p, long fd)
{
    return fd >= 0 && fd < NFD ? p->fd[fd] : NULL;
}

static void file_ref(struct file *f)
{
    f->refs++;
    if (f->kind == F_PIPE) {
        if (f->writer)
            f->pipe->writers++;
        else
            f->pipe->readers++;
    }
}

static void wake_pipe(struct pipe *pp);

static void file_unref(struct file *f)
{
    if (f->kind == F_PIPE) {
        struct pipe *pp = f->pipe;
        if (f->writer)
            pp->writers--;
        else
            pp->readers--;
        wake_pipe(pp);
        if (--f->refs == 0) {
            if (pp->readers == 0 && pp->writers == 0) {
                meta_free(pp->buf, PIPE_SIZE);
                pfree(pp);
            }
            pfree(f);
        }
        return;
    }
    if (f->kind == F_FILE) {
        if (--f->refs == 0) {
            vnode_put(f->vnode);
            pfree(f);
        }
        return;
    }
    f->refs--; /* the console file lives for ever */
}


static long fd_install(struct proc *p, struct file *f, long from)
{
    for (long i = from; i < NFD; i++) {
        if (!p->fd[i]) {
            p->fd[i] = f;
            return i;
        }
    }
    return -EMFILE;
}

long fd_open_file(struct proc *p, struct vnode *v, long flags)
{
    struct file *f = pmalloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    *f = (struct file){ .kind = F_FILE, .refs = 1, .vnode = v, .flags = flags };
    long fd = fd_install(p, f, 0);
    if (fd < 0)
        pfree(f);
    return fd;
}

/* The file behind descriptor fd, for mmap: its open flags in *flags. NULL with
   *err = -EBADF (no such descriptor) or -ENODEV (a pipe, the console, a directory). */
struct vnode *fd_vnode(struct proc *p, long fd, long *flags, long *err)
{
    struct file *f = file_get(p, fd);
    *err = !f ? -EBADF : f->kind != F_FILE || vnode_type(f->vnode) != FT_FILE ? -ENODEV : 0;
    if (*err)
        return NULL;
    *flags = f->flags;
    return f->vnode;
}

void fd_init(void)
{
    uint64_t base = (uint64_t)bootinfo->dev[DEV_UART].base;
    if (base && sys_map_device(BOOT_DEV_SLOT, -1, (long)UART_VA, (long)base, PERM_R | PERM_W) == 0) {
        long n = sys_ntfn_create();
        if (n > 0 && sys_ntfn_bind(n) == 0 &&
            sys_irq_bind(BOOT_IRQ_SLOT, bootinfo->dev[DEV_UART].irq, n) == 0) {
            uart = (volatile uint8_t *)UART_VA;
            uart[UART_IER] = 1; /* interrupt when input arrives */
        }
    }
}

/* The first process gets the console as fds 0, 1 and 2. */
static void fd_console(struct proc *p)
{
    for (int i = 0; i < 3; i++) {
        p->fd[i] = &console_file;
        console_file.refs++;
    }
}

void fd_fork(struct proc *child, struct proc *parent)
{
    if (!parent) {
        fd_console(child);
        return;
    }
    for (int i = 0; i < NFD; i++) {
        child->fd[i] = parent->fd[i];
        if (child->fd[i])
            file_ref(child->fd[i]);
    }
}

void fd_close_all(struct proc *p)
{
    for (int i = 0; i < NFD; i++) {
        if (p->fd[i]) {
            struct file *f = p->fd[i];
            p->fd[i] = NULL;
            file_unref(f);
        }
    }
}

void fd_proc_gone(struct proc *p)
{
    if (p->blocked_slot) {
        sys_cap_delete(p->blocked_slot);
        p->blocked_slot = 0;
    }
    blocked[p->pid % NPROC].op = B_NONE;
}

/* ---- pipes ---- */

/* Move bytes from the pipe to p's memory (for request rq, or NULL when a
   blocked request is finished later). Returns bytes moved or -EFAULT. */
static long pipe_out(struct req *rq, struct pipe *pp, struct proc *p, uint64_t uva, uint64_t n)
{
    if (n > pp->count)
        n = pp->count;
    uint64_t first = PIPE_SIZE - pp->head < n ? PIPE_SIZE - pp->head : n;
    if (copy_out(rq, &p->vm, uva, pp->buf + pp->head, first) < 0 ||
        copy_out(rq, &p->vm, uva + first, pp->buf, n - first) < 0)
        return -EFAULT;
    pp->head = (uint32_t)((pp->head + n) % PIPE_SIZE);
    pp->count -= (uint32_t)n;
    return (long)n;
}

/* Move bytes from p's memory into the pipe, as many as fit. */
static long pipe_in(struct req *rq, struct pipe *pp, struct proc *p, uint64_t uva, uint64_t n)
{
    uint64_t room = PIPE_SIZE - pp->count;
    if (n > room)
        n = room;
    uint64_t tail = (pp->head + pp->count) % PIPE_SIZE;
    uint64_t first = PIPE_SIZE - tail < n ? PIPE_SIZE - tail : n;
    if (copy_in(rq, &p->vm, pp->buf + tail, uva, first) < 0 || copy_in(rq, &p->vm, pp->buf, uva + first, n - first) < 0)
        return -EFAULT;
    pp->count += (uint32_t)n;
    return (long)n;
}

/* Try to finish p's read from pp. Returns true when p was answered. */
static bool pipe_try_read(struct req *rq, struct proc *p, struct pipe *pp, uint64_t uva, uint64_t n, long *result)
{
    if (pp->count) {
        *result = pipe_out(rq, pp, p, uva, n);
        return true;
    }
    if (pp->writers == 0 || n == 0) {
        *result = 0;
        return true;
    }
    return false;
}

/* Try to finish p's write of n bytes (done already). Returns true when answered. */
static bool pipe_try_write(struct req *rq, struct proc *p, struct pipe *pp, uint64_t uva, uint64_t n, uint64_t *done,
                           long *result)
{
    if (pp->readers == 0) {
        *result = *done ? (long)*done : -EPIPE;
        return true;
    }
    long r = pipe_in(rq, pp, p, uva + *done, n - *done);
    if (r < 0) {
        *result = *done ? (long)*done : r; /* what went through, then the error */
        return true;
    }
    *done += (uint64_t)r;
    if (*done == n) {
        *result = (long)n;
        return true;
    }
    return false;
}

static void retry_blocked(void);
static void wake_console(void);
static bool retry_armed;

/* A blocked request's copy met a page on its way (swapped out, or no free
   frame yet): it stays blocked, and every blocked request is tried again
   once what *w names is there. Returns false when the pager cannot wait
   (the request then fails as before). */
static bool retry_later(const struct vm_wait *w)
{
    if (!retry_armed)
        retry_armed = vfs_park_call(retry_blocked, w);
    return retry_armed;
}

/* Something changed in pp: finish what blocked requests now can. */
static void wake_pipe(struct pipe *pp)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (struct proc *p = proc_first(); p; p = proc_next(p)) {
            struct blocked *b = &blocked[p->pid % NPROC];
            if (b->op == B_NONE || !p->blocked_slot || b->f->kind != F_PIPE || b->f->pipe != pp)
                continue;
            long result;
            uint64_t before = b->done;
            struct req later = { .p = p }; /* a copy that must wait says so here */
            bool finished = b->op == B_READ ? pipe_try_read(&later, p, pp, b->uva, b->n, &result)
                                            : pipe_try_write(&later, p, pp, b->uva, b->n, &b->done, &result);
            if (finished && later.waited && retry_later(&later.wait))
                finished = false;
            if (finished)
                reply_to(p, result);
            if (finished || b->done != before) /* a write that moved bytes gave readers data */
                progress = true;
        }
    }
}

/* ---- the console ---- */

static long console_read_now(struct req *rq, struct proc *p, uint64_t uva, uint64_t n, bool *done)
{
    *done = true;
    if (cons_ready_len == 0) {
        if (cons_eof) {
            cons_eof = false;
            return 0;
        }
        *done = false;
        return 0;
    }
    if (n > cons_ready_len)
        n = cons_ready_len;
    if (copy_out(rq, &p->vm, uva, cons_ready, n) < 0)
        return -EFAULT;
    memmove(cons_ready, cons_ready + n, cons_ready_len - n);
    cons_ready_len -= (uint32_t)n;
    return (long)n;
}

static void console_echo(const char *s, long n)
{
    sys_debug_write((long)s, n);
}

/* Line discipline: echo, backspace, a complete line (or ^D) becomes readable. */
static void console_char(char c)
{
    if (c == '\r')
        c = '\n';
    if (c == 0x7f || c == '\b') {
        if (cons_line_len) {
            cons_line_len--;
            console_echo("\b \b", 3);
        }
        return;
    }
    if (c == 0x03) { /* ^C: the line is dropped; SIGINT to the foreground group */
        cons_line_len = 0;
        console_echo("^C\n", 3);
        signal_console_interrupt();
        return;
    }
    if (c == 0x04) { /* ^D: what is typed so far, or end of file */
        if (cons_line_len == 0)
            cons_eof = true;
    } else {
        if (cons_line_len < CONSOLE_BUF)
            cons_line[cons_line_len++] = c;
        console_echo(&c, 1);
        if (c != '\n' && cons_line_len < CONSOLE_BUF)
            return;
    }
    uint32_t n = cons_line_len;
    if (n > CONSOLE_BUF - cons_ready_len)
        n = CONSOLE_BUF - cons_ready_len;
    memcpy(cons_ready + cons_ready_len, cons_line, n);
    cons_ready_len += n;
    cons_line_len = 0;
}

void console_input(void)
{
    if (!uart)
        return;
    while (uart[UART_LSR] & 1)
        console_char((char)uart[UART_RBR]);
    sys_irq_ack(BOOT_IRQ_SLOT, bootinfo->dev[DEV_UART].irq);
    wake_console();
}

/* Finish the blocked console reads that now can. */
static void wake_console(void)
{
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        struct blocked *b = &blocked[p->pid % NPROC];
        if (b->op == B_READ && p->blocked_slot && b->f->kind == F_CONSOLE) {
            bool done;
            struct req later = { .p = p };
            long r = console_read_now(&later, p, b->uva, b->n, &done);
            if (done && later.waited && retry_later(&later.wait))
                done = false;
            if (done)
                reply_to(p, r);
        }
    }
}

/* What retry_later waited for is there: try every blocked request again. */
static void retry_blocked(void)
{
    retry_armed = false;
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        struct blocked *b = &blocked[p->pid % NPROC];
        if (b->op != B_NONE && p->blocked_slot && b->f->kind == F_PIPE)
            wake_pipe(b->f->pipe);
    }
    wake_console();
}

static long console_write(struct req *rq, uint64_t uva, uint64_t n)
{
    char buf[512];
    for (uint64_t off = 0; off < n;) {
        uint64_t chunk = n - off < sizeof buf ? n - off : sizeof buf;
        if (copy_in(rq, &rq->p->vm, buf, uva + off, chunk) < 0)
            return off ? (long)off : -EFAULT;
        sys_debug_write((long)buf, (long)chunk);
        off += chunk;
    }
    return (long)n;
}

/* ---- requests ---- */

/* Block request rq (its reply cap is saved in its process). Returns false (no
   reply now), or true with rq->reply->w[0] set to an error if the reply cannot
   be saved. */
static bool block(struct req *rq, int op, struct file *f, uint64_t uva, uint64_t n, uint64_t done)
{
    struct proc *p = rq->p;
    long slot = req_take_reply(rq);
    if (slot < 0) {
        rq->reply->w[0] = slot;
        return true;
    }
    p->blocked_slot = slot;
    struct blocked *b = &blocked[p->pid % NPROC];
    b->op = op;
    b->f = f;
    b->uva = uva;
    b->n = n;
    b->done = done;
    return false;
}

/* A read: reply->w[1] is 1 when a file has more bytes right after those read
   (libsys asks again: a file reads to its end in one read() call). */
static bool do_read(struct req *rq, struct file *f, uint64_t uva, uint64_t n)
{
    struct proc *p = rq->p;
    struct msg *reply = rq->reply;
    long r;
    reply->w[1] = 0;
    if (f->kind != F_FILE && user_probe(rq, &p->vm, uva, n) < 0) {
        reply->w[0] = -EAGAIN; /* handled again when the page is in */
        return true;
    }
    if (f->kind == F_FILE) {
        if ((f->flags & O_ACCMODE) == O_WRONLY) {
            r = -EBADF;
        } else {
            bool now = vfs_read(rq, f->vnode, &f->offset);
            if (now && reply->w[0] > 0)
                reply->w[1] = f->offset < vnode_size(f->vnode);
            return now;
        }
    } else if (f->kind == F_CONSOLE) {
        bool done;
        r = console_read_now(rq, p, uva, n, &done);
        if (!done)
            return block(rq, B_READ, f, uva, n, 0);
    } else if (f->writer) {
        r = -EBADF;
    } else if (!pipe_try_read(rq, p, f->pipe, uva, n, &r)) {
        return block(rq, B_READ, f, uva, n, 0);
    } else {
        wake_pipe(f->pipe); /* room for writers */
    }
    reply->w[0] = r;
    return true;
}

static bool do_write(struct req *rq, struct file *f, uint64_t uva, uint64_t n)
{
    struct proc *p = rq->p;
    struct msg *reply = rq->reply;
    long r;
    if (f->kind != F_FILE && user_probe(rq, &p->vm, uva, n) < 0) {
        reply->w[0] = -EAGAIN; /* handled again when the page is in */
        return true;
    }
    if (f->kind == F_FILE) {
        if ((f->flags & O_ACCMODE) == O_RDONLY)
            r = -EBADF;
        else
            return vfs_write(rq, f->vnode, &f->offset, f->flags);
    } else if (f->kind == F_CONSOLE) {
        r = console_write(rq, uva, n);
    } else if (!f->writer) {
        r = -EBADF;
    } else {
        /* readers blocked on the empty pipe take what this write put in and
           so make room: write on until it is done or the pipe stays full (a
           writer blocked while there is room would wait for ever) */
        uint64_t done = 0;
        bool finished = pipe_try_write(rq, p, f->pipe, uva, n, &done, &r);
        wake_pipe(f->pipe);
        while (!finished && f->pipe->count < PIPE_SIZE) {
            finished = pipe_try_write(rq, p, f->pipe, uva, n, &done, &r);
            wake_pipe(f->pipe);
        }
        if (!finished)
            return block(rq, B_WRITE, f, uva, n, done);
    }
    reply->w[0] = r;
    return true;
}

static long do_pipe(struct proc *p, struct msg *reply)
{
    struct pipe *pp = pmalloc(sizeof *pp);
    struct file *r = pmalloc(sizeof *r), *w = pmalloc(sizeof *w);
    char *buf = meta_alloc(PIPE_SIZE);
    long rfd = -1, wfd = -1;
    if (pp && r && w && buf) {
        rfd = fd_install(p, r, 0);
        wfd = rfd < 0 ? rfd : fd_install(p, w, 0);
    }
    if (!pp || !r || !w || !buf || rfd < 0 || wfd < 0) {
        if (rfd >= 0)
            p->fd[rfd] = NULL;
        if (buf)
            meta_free(buf, PIPE_SIZE);
        pfree(pp);
        pfree(r);
        pfree(w);
        return rfd < 0 && rfd != -1 ? rfd : wfd < 0 && wfd != -1 ? wfd : -ENOMEM;
    }
    pp->buf = buf;
    pp->readers = pp->writers = 1;
    *r = (struct file){ .kind = F_PIPE, .refs = 1, .writer = false, .pipe = pp };
    *w = (struct file){ .kind = F_PIPE, .refs = 1, .writer = true, .pipe = pp };
    reply->w[1] = wfd;
    return rfd;
}

/* Answer request rq through its saved reply cap: the kernel then puts the
   caller behind the ready tasks of its priority, instead of switching
   straight to it (as the reply of the loop does). Returns false (answered),
   or true when the cap cannot be saved (reply it the usual way). */
static bool answer_behind(struct req *rq)
{
    long slot = req_take_reply(rq);
    if (slot < 0)
        return true;
    sys_send(slot, rq->reply);
    return false;
}

/* PG_READ and PG_WRITE: at most IO_MAX bytes a request, so that one long
   transfer does not hold up everyone's faults. A caller cut short comes back
   for the rest at once (libsys), so it goes behind the tasks that are ready:
   they run, and fault, between its pieces. */
static bool do_io(struct req *rq, struct file *f)
{
    struct msg *m = rq->m;
    bool cut = (uint64_t)m->w[2] > IO_MAX;
    if (cut)
        m->w[2] = IO_MAX; /* (a parked request is handled again with the bound) */
    uint64_t uva = (uint64_t)m->w[1], n = (uint64_t)m->w[2];
    bool now = m->label == MSG_PG_READ ? do_read(rq, f, uva, n) : do_write(rq, f, uva, n);
    return now && cut && rq->reply->w[0] > 0 ? answer_behind(rq) : now;
}

/* fstat of a pipe or the console: its kind, nothing else. Returns 0 or -EFAULT. */
static long stat_other(struct req *rq, struct file *f)
{
    struct stat st = { .st_mode = f->kind == F_PIPE ? S_IFIFO | 0600 : S_IFCHR | 0620, .st_nlink = 1,
                       .st_blksize = f->kind == F_PIPE ? PIPE_SIZE : 1 };
    return copy_out(rq, &rq->p->vm, (uint64_t)rq->m->w[1], &st, sizeof st) < 0 ? -EFAULT : 0;
}

/* Descriptor requests. Returns true when `reply` is to be sent now. */
bool fd_request(struct req *rq)
{
    struct proc *p = rq->p;
    struct msg *m = rq->m, *reply = rq->reply;
    struct file *f = file_get(p, m->w[0]);
    switch (m->label) {
    case MSG_PG_READ:
    case MSG_PG_WRITE:
        if (!f) break;
        return do_io(rq, f);
    case MSG_PG_CLOSE:
        if (!f) break;
        p->fd[m->w[0]] = NULL;
        file_unref(f);
        reply->w[0] = 0;
        return true;
    case MSG_PG_DUP:
        if (!f) break;
        reply->w[0] = fd_install(p, f, 0);
        if (reply->w[0] >= 0)
            file_ref(f);
        return true;
    case MSG_PG_DUP2: {
        long nfd = m->w[1];
        if (!f) break;
        if (nfd < 0 || nfd >= NFD) {
            reply->w[0] = -EBADF;
            return true;
        }
        if (nfd != m->w[0]) {
            file_ref(f);
            if (p->fd[nfd]) {
                struct file *old = p->fd[nfd];
                p->fd[nfd] = NULL;
                file_unref(old);
            }
            p->fd[nfd] = f;
        }
        reply->w[0] = nfd;
        return true;
    }
    case MSG_PG_PIPE:
        reply->w[0] = do_pipe(p, reply);
        return true;
    case MSG_PG_LSEEK: {
        if (!f) break;
        if (f->kind != F_FILE) {
            reply->w[0] = -ESPIPE;
            return true;
        }
        long base = m->w[2] == SEEK_SET ? 0 : m->w[2] == SEEK_CUR ? (long)f->offset :
                    m->w[2] == SEEK_END ? (long)vnode_size(f->vnode) : -1;
        long at = base + m->w[1];
        if (base < 0 || at < 0) {
            reply->w[0] = -EINVAL;
            return true;
        }
        f->offset = (uint64_t)at;
        reply->w[0] = at;
        return true;
    }
    case MSG_PG_READDIR:
        if (!f) break;
        if (f->kind != F_FILE) {
            reply->w[0] = -ENOTDIR;
            return true;
        }
        return vfs_readdir(rq, f->vnode);
    case MSG_PG_FSTAT:
        if (!f) break;
        if (f->kind == F_FILE)
            return vfs_fstat(rq, f->vnode);
        reply->w[0] = stat_other(rq, f);
        return true;
    case MSG_PG_FTRUNCATE:
        if (!f) break;
        if (f->kind != F_FILE || (f->flags & O_ACCMODE) == O_RDONLY) {
            reply->w[0] = -EINVAL; /* not a file open for writing (Linux's answer) */
            return true;
        }
        return vfs_ftruncate(rq, f->vnode, m->w[1]);
    case MSG_PG_FSYNC:
        if (!f) break;
        if (f->kind != F_FILE) {
            reply->w[0] = -EINVAL; /* a pipe or the console: nothing to put on a disk */
            return true;
        }
        return vfs_fsync(rq, f->vnode);
    }
    reply->w[0] = -EBADF;
    return true;
}

/* A signal is delivered to p: its blocked read or write returns now, with
   the bytes a write moved so far, or -EINTR. */
void fd_interrupt(struct proc *p)
{
    struct blocked *b = &blocked[p->pid % NPROC];
    if (p->blocked_slot && b->op != B_NONE)
        reply_to(p, b->done ? (long)b->done : -EINTR);
}

/* Has p the console open (on any descriptor)? */
bool fd_has_console(struct proc *p)
{
    for (long i = 0; i < NFD; i++)
        if (p->fd[i] && p->fd[i]->kind == F_CONSOLE)
            return true;
    return false;
}
