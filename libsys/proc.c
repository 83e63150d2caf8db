/* Processes, memory and descriptors through the pager protocol (abi.def: PG_*),
   on PAGER_SLOT. Results follow POSIX: -1 and errno on error. */
#include "sys.h"

int errno;

/* Call the pager; returns 0, the IPC error, or the pager's refusal (a reply
   whose label is -errno). */
static long pager_ipc(struct msg *m)
{
    long r = sys_call(PAGER_SLOT, m);
    return r < 0 ? r : m->label < 0 ? m->label : 0;
}

/* Call the pager; returns w0, or the error. */
static long pager_call(struct msg *m)
{
    long r = pager_ipc(m);
    return r < 0 ? r : m->w[0];
}

/* The POSIX convention on top: negative results set errno and become -1. */
static long posix(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static long call1(long label, long a)
{
    struct msg m = { .label = label, .w = { a } };
    return pager_call(&m);
}

static long call3(long label, long a, long b, long c)
{
    struct msg m = { .label = label, .w = { a, b, c } };
    return pager_call(&m);
}

void exit(int status)
{
    for (;;) { /* the pager destroys us; never returns */
        struct msg m = { .label = MSG_PG_EXIT, .w = { status } };
        sys_call(PAGER_SLOT, &m);
    }
}

long spawn_rights(const char *name, long arg, long rights)
{
    struct msg m = { .label = MSG_PG_SPAWN };
    if (strlen(name) >= 32)
        return -ENAMETOOLONG;
    strncpy((char *)m.w, name, 32);
    m.w[4] = arg;
    m.w[5] = rights;
    return pager_call(&m);
}

long spawn(const char *name, long arg) { return spawn_rights(name, arg, 0); }
long rights_keep(long rights) { return call1(MSG_PG_RIGHTS, rights); }

long waitpid(long pid, long *how, long *code)
{
    struct msg m = { .label = MSG_PG_WAIT, .w = { pid } };
    long r = pager_call(&m);
    if (r >= 0) {
        if (how)
            *how = m.w[1];
        if (code)
            *code = m.w[2];
    }
    return r;
}

int wait(int *status)
{
    long how, code;
    long r = waitpid(-1, &how, &code);
    if (r >= 0 && status)
        *status = how == WAIT_EXITED ? (int)(code & 0xff) << 8 : (int)(code & 0x7f);
    return (int)posix(r);
}

int waitstatus(long pid, int *status)
{
    long how, code;
    long r = waitpid(pid, &how, &code);
    if (r >= 0 && status)
        *status = how == WAIT_EXITED ? (int)(code & 0xff) << 8 : (int)(code & 0x7f);
    return (int)posix(r);
}

long kill(long pid) { return call1(MSG_PG_KILL, pid); }
long getpid(void) { return call1(MSG_PG_GETPID, 0); }
long getppid(void) { return call1(MSG_PG_GETPPID, 0); }
int fork(void) { return (int)posix(call1(MSG_PG_FORK, 0)); }

int execv(const char *path, char *const argv[])
{
    struct msg m = { .label = MSG_PG_EXEC, .w = { (long)path, (long)argv } };
    return (int)posix(pager_call(&m));
}

void *sbrk(long incr)
{
    long r = posix(call1(MSG_PG_SBRK, incr));
    return r == -1 ? (void *)-1 : (void *)r;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    struct msg m = { .label = MSG_PG_MMAP, .w = { (long)addr, (long)len, prot, flags, fd, off } };
    long r = posix(pager_call(&m));
    return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len) { return (int)posix(call3(MSG_PG_MUNMAP, (long)addr, (long)len, 0)); }
int sync(void) { return (int)posix(call1(MSG_PG_SYNC, 0)); }
long dropmaps(long pid) { return call1(MSG_PG_DROPMAPS, pid); }
int msync(void *addr, size_t len, int flags) { return (int)posix(call3(MSG_PG_MSYNC, (long)addr, (long)len, flags)); }
int mprotect(void *addr, size_t len, int prot) { return (int)posix(call3(MSG_PG_MPROTECT, (long)addr, (long)len, prot)); }

void *anon_map(size_t len)
{
    long r = call1(MSG_PG_ANON, (long)len);
    return r < 0 ? NULL : (void *)r;
}

/* The pager moves at most IO_MAX bytes a request (so that one long read or
   write does not hold up everyone's faults); these ask again for the rest.
   write: until all n bytes are written, or a request fails (after some bytes:
   their count, the error is left for the next call). read: while the pager says
   a file has more right after (w1), so a file reads to its end or to n in one
   call; a pipe or the console gives what it has. */
long read(int fd, void *buf, size_t n)
{
    size_t done = 0;
    for (;;) {
        struct msg m = { .label = MSG_PG_READ, .w = { fd, (long)((char *)buf + done), (long)(n - done) } };
        long r = pager_call(&m);
        if (r < 0)
            return done ? (long)done : posix(r);
        done += (size_t)r;
        if (r == 0 || m.w[1] != 1 || done >= n)
            return (long)done;
    }
}

long write(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    do {
        long r = call3(MSG_PG_WRITE, fd, (long)((const char *)buf + done), (long)(n - done));
        if (r < 0)
            return done ? (long)done : posix(r);
        if (r == 0)
            break;
        done += (size_t)r;
    } while (done < n);
    return (long)done;
}
int close(int fd) { return (int)posix(call1(MSG_PG_CLOSE, fd)); }
int dup(int fd) { return (int)posix(call1(MSG_PG_DUP, fd)); }
int dup2(int fd, int nfd) { return (int)posix(call3(MSG_PG_DUP2, fd, nfd, 0)); }

int pipe(int fds[2])
{
    struct msg m = { .label = MSG_PG_PIPE };
    long r = pager_call(&m);
    if (r < 0)
        return (int)posix(r);
    fds[0] = (int)r;
    fds[1] = (int)m.w[1];
    return 0;
}

long pager_stat(struct pager_stat *st)
{
    struct msg m = { .label = MSG_PG_STAT };
    long r = pager_ipc(&m);
    if (r < 0)
        return r;
    st->free_frames = m.w[0];
    st->total_frames = m.w[1];
    st->zero_fill = m.w[2];
    st->zero_page = m.w[3];
    st->policy_flags = m.w[4];
    memcpy(st->policy, &m.w[5], 16);
    st->policy[16] = 0;
    return 0;
}

long vmstat(struct vmstat *st) { return call1(MSG_PG_VMSTAT, (long)st); }
long pmap(long pid, struct region_info *ri, long max) { return call3(MSG_PG_PMAP, pid, (long)ri, max); }
long ps(struct proc_info *pi, long max) { return call3(MSG_PG_PS, (long)pi, max, 0); }
long shutdown(void) { return call1(MSG_PG_SHUTDOWN, 0); }

long device_claim(long which) { return call3(MSG_PG_DEVICE, which, DEVICE_CLAIM, 0); }

long device_info(long which, long *size, long *irq)
{
    struct msg m = { .label = MSG_PG_DEVICE, .w = { which } };
    long r = pager_call(&m);
    if (r >= 0) {
        if (size)
            *size = m.w[1];
        if (irq)
            *irq = m.w[2];
    }
    return r;
}

void *dma_alloc(size_t len, uint64_t *pa)
{
    struct msg m = { .label = MSG_PG_DMA, .w = { (long)len } };
    long r = pager_call(&m);
    if (r < 0)
        return NULL;
    *pa = (uint64_t)m.w[1];
    return (void *)r;
}

int open(const char *path, int flags, ...)
{
    return (int)posix(call3(MSG_PG_OPEN, (long)path, flags, 0));
}

int fstat(int fd, struct stat *st)
{
    return (int)posix(call3(MSG_PG_FSTAT, fd, (long)st, 0));
}

/* The file server's loop: hand in the last result, get the next job. */
long fs_next(struct msg *m)
{
    m->label = MSG_PG_FS_NEXT;
    return pager_ipc(m);
}

int unlink(const char *path) { return (int)posix(call1(MSG_PG_UNLINK, (long)path)); }
int mkdir(const char *path, int mode) { (void)mode; return (int)posix(call1(MSG_PG_MKDIR, (long)path)); }
int rmdir(const char *path) { return (int)posix(call1(MSG_PG_RMDIR, (long)path)); }
long lseek(int fd, long off, int whence) { return posix(call3(MSG_PG_LSEEK, fd, off, whence)); }

int readdir(int fd, long *cookie, char name[64], long *inum)
{
    struct msg m = { .label = MSG_PG_READDIR, .w = { fd, (long)name, *cookie } };
    long r = pager_call(&m);
    if (r == 1) {
        if (inum)
            *inum = m.w[1];
        *cookie = m.w[2];
    }
    return (int)posix(r);
}

int chdir(const char *path) { return (int)posix(call1(MSG_PG_CHDIR, (long)path)); }
char *getcwd(char *buf, size_t size) { return posix(call3(MSG_PG_GETCWD, (long)buf, (long)size, 0)) < 0 ? NULL : buf; }

int link(const char *oldpath, const char *newpath) { return (int)posix(call3(MSG_PG_LINK, (long)oldpath, (long)newpath, 0)); }

int stat(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = fstat(fd, st);
    close(fd);
    return r;
}

/* No symbolic links on this file system: lstat is stat. */
int lstat(const char *path, struct stat *st) { return stat(path, st); }
int ftruncate(int fd, long len) { return (int)posix(call3(MSG_PG_FTRUNCATE, fd, len, 0)); }
int rename(const char *oldpath, const char *newpath) { return (int)posix(call3(MSG_PG_RENAME, (long)oldpath, (long)newpath, 0)); }
int fsync(int fd) { return (int)posix(call1(MSG_PG_FSYNC, fd)); }
/* The file's size travels with its pages (and truncation is on the disk when
   ftruncate returns): fdatasync does what fsync does. */
int fdatasync(int fd) { return fsync(fd); }

/* Write all n bytes of buf to fd, going on after short writes. False if that failed. */
bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        long r = write(fd, p, n);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}
