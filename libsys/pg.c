/* The pager protocol as plain calls: results or -errno (pg.h). */
#include "pg.h"

/* Call the pager; returns 0, the IPC error, or the pager's refusal (a reply
   whose label is -errno). */
static long pager_ipc(struct msg *m)
{
    long r = sys_call(PAGER_SLOT, m);
    return r < 0 ? r : m->label < 0 ? m->label : 0;
}

long pg_call(struct msg *m)
{
    long r = pager_ipc(m);
    return r < 0 ? r : m->w[0];
}

long pg_call3(long label, long a, long b, long c)
{
    struct msg m = { .label = label, .w = { a, b, c } };
    return pg_call(&m);
}

void pg_exit(long status)
{
    for (;;) { /* the pager destroys us; never returns */
        struct msg m = { .label = MSG_PG_EXIT, .w = { status } };
        sys_call(PAGER_SLOT, &m);
    }
}

/* Start program `name` (at most 31 bytes) with argv {name, arg}; -ENAMETOOLONG
   for a longer name. */
long pg_spawn(const char *name, long arg, long rights)
{
    struct msg m = { .label = MSG_PG_SPAWN };
    char *d = (char *)m.w;
    long i = 0;
    for (; name[i]; i++) {
        if (i == 31)
            return -ENAMETOOLONG;
        d[i] = name[i];
    }
    m.w[4] = arg;
    m.w[5] = rights;
    return pg_call(&m);
}

long pg_wait(long pid, long flags, long *how, long *code)
{
    struct msg m = { .label = MSG_PG_WAIT, .w = { pid, flags } };
    long r = pg_call(&m);
    if (r >= 0) {
        if (how)
            *how = m.w[1];
        if (code)
            *code = m.w[2];
    }
    return r;
}

long pg_exec(const char *path, char *const argv[], char *const envp[])
{
    return pg_call3(MSG_PG_EXEC, (long)path, (long)argv, (long)envp);
}

/* The pager moves at most IO_MAX bytes a request (so that one long read or
   write does not hold up everyone's faults); these ask again for the rest.
   write: until all n bytes are written, or a request fails (after some bytes:
   their count, the error is left for the next call). read: while the pager says
   a file has more right after (w1), so a file reads to its end or to n in one
   call; a pipe or the console gives what it has. */
long pg_read(int fd, void *buf, size_t n)
{
    size_t done = 0;
    for (;;) {
        struct msg m = { .label = MSG_PG_READ, .w = { fd, (long)((char *)buf + done), (long)(n - done) } };
        long r = pg_call(&m);
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        if (r == 0 || m.w[1] != 1 || done >= n)
            return (long)done;
    }
}

long pg_write(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    do {
        long r = pg_call3(MSG_PG_WRITE, fd, (long)((const char *)buf + done), (long)(n - done));
        if (r < 0)
            return done ? (long)done : r;
        if (r == 0)
            break;
        done += (size_t)r;
    } while (done < n);
    return (long)done;
}

long pg_pipe(int fds[2])
{
    struct msg m = { .label = MSG_PG_PIPE };
    long r = pg_call(&m);
    if (r < 0)
        return r;
    fds[0] = (int)r;
    fds[1] = (int)m.w[1];
    return 0;
}

long pg_readdir(int fd, long *cookie, char name[64], long *inum)
{
    struct msg m = { .label = MSG_PG_READDIR, .w = { fd, (long)name, *cookie } };
    long r = pg_call(&m);
    if (r == 1) {
        if (inum)
            *inum = m.w[1];
        *cookie = m.w[2];
    }
    return r;
}

long pg_stat(struct pager_stat *st)
{
    struct msg m = { .label = MSG_PG_STAT };
    long r = pager_ipc(&m);
    if (r < 0)
        return r;
    st->free_frames = m.w[0];
    st->total_frames = m.w[1];
    st->zero_fill = m.w[2];
    st->zero_page = m.w[3];
    st->policy_flags = m.w[4] & ((1L << STAT_HARTS_SHIFT) - 1);
    st->nharts = (m.w[4] >> STAT_HARTS_SHIFT) & 0xff;
    const char *s = (const char *)&m.w[5];
    for (int i = 0; i < 16; i++)
        st->policy[i] = s[i];
    st->policy[16] = 0;
    return 0;
}

long pg_device(long which, long *size, long *irq)
{
    struct msg m = { .label = MSG_PG_DEVICE, .w = { which } };
    long r = pg_call(&m);
    if (r >= 0) {
        if (size)
            *size = m.w[1];
        if (irq)
            *irq = m.w[2];
    }
    return r;
}

void *pg_dma(size_t len, uint64_t *pa)
{
    struct msg m = { .label = MSG_PG_DMA, .w = { (long)len } };
    long r = pg_call(&m);
    if (r < 0)
        return NULL;
    *pa = (uint64_t)m.w[1];
    return (void *)r;
}

long pg_fs_next(struct msg *m)
{
    m->label = MSG_PG_FS_NEXT;
    return pager_ipc(m);
}

/* PG_TIME's copies: n (at most PG_TIME_BYTES) bytes of src to the caller's
   own memory at dst, or from src there to dst, done by the pager; 0 or -EFAULT
   (a pointer the caller may not write or read), never a fault. */
long pg_put(void *dst, const void *src, size_t n)
{
    struct msg m = { .label = MSG_PG_TIME, .w = { (long)dst, (long)n } };
    if (!dst)
        return -EFAULT; /* (w0 = 0 asks for the time) */
    if (n == 0 || n > PG_TIME_BYTES)
        return -EINVAL;
    __builtin_memcpy(&m.w[2], src, n);
    return pg_call(&m);
}

long pg_get(void *dst, const void *src, size_t n)
{
    struct msg m = { .label = MSG_PG_TIME, .w = { (long)src, -(long)n } };
    if (!src)
        return -EFAULT;
    if (n == 0 || n > PG_TIME_BYTES)
        return -EINVAL;
    long r = pg_call(&m);
    if (r == 0)
        __builtin_memcpy(dst, &m.w[1], n);
    return r;
}
