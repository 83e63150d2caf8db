/* The POSIX calls picolibc leaves to the system, over the pager protocol
   (libsys/pg.c). Each returns what POSIX says: on error -1 with errno set
   (pointers: NULL or MAP_FAILED), the errno being the pager's. */
#include "sys.h"
#include "posix.h"
#include <dirent.h>
#include <time.h>
#include <sys/time.h>
#include <sys/times.h>

extern uint64_t __start_ticks; /* start.c: rdtime when the program started, in clock ticks */
extern char _start[], __tdata_source[], _end[]; /* user.ld: text, then the writable data and bss */

static long call1(long label, long a) { return pg_call3(label, a, 0, 0); }

static uintptr_t brk_start, brk_cur, brk_top; /* sbrk: the heap is [brk_start, brk_cur) */

/* ---- results through the caller's pointers ----
   A bad pointer given to a call gets EFAULT, never a fault. What the pager
   writes it checks itself (copy_out); what the C library hands back it
   writes directly only where the memory surely is the program's own: the
   stack above sp, the data and bss, the heap (and, to read, the text). Any
   other address goes through the pager (PG_TIME's copies), which says EFAULT
   where the program may not write or read. (A program that mprotects its
   own stack, data or heap read-only is trusted as if it had not.) */

static bool surely_mine(const void *p, size_t n, bool write)
{
    uintptr_t a = (uintptr_t)p, e = a + n, sp;
    asm volatile("mv %0, sp" : "=r"(sp));
    if (e < a)
        return false;
    return (a >= sp && e <= USER_STACK_TOP) ||
           (a >= (uintptr_t)(write ? __tdata_source : _start) && e <= (uintptr_t)_end) ||
           (brk_cur && a >= brk_start && e <= brk_cur);
}

_Static_assert(sizeof(struct timespec) <= PG_TIME_BYTES && sizeof(struct timeval) <= PG_TIME_BYTES &&
               sizeof(struct tms) <= PG_TIME_BYTES, "a result the pager's copy cannot take");

/* Copy n bytes (at most PG_TIME_BYTES: every result here fits) of a result
   to dst. Returns 0 or -EFAULT. */
long __put_user(void *dst, const void *src, size_t n)
{
    if (!surely_mine(dst, n, true))
        return pg_put(dst, src, n);
    memcpy(dst, src, n);
    return 0;
}

/* Copy n bytes (at most PG_TIME_BYTES) of an argument from src. Returns 0 or -EFAULT. */
long __get_user(void *dst, const void *src, size_t n)
{
    if (!surely_mine(src, n, false))
        return pg_get(dst, src, n);
    memcpy(dst, src, n);
    return 0;
}

/* Will a result of n bytes (at most PG_TIME_BYTES) go to dst? Checked before
   a call that cannot be undone (a child reaped): the bytes there are read and
   written back unchanged. Returns 0 or -EFAULT. */
long __check_user(void *dst, size_t n)
{
    char old[PG_TIME_BYTES];
    if (surely_mine(dst, n, true))
        return 0;
    long r = pg_get(old, dst, n);
    return r < 0 ? r : pg_put(dst, old, n);
}

void _exit(int status) { pg_exit(status & 0xff); }
ssize_t read(int fd, void *buf, size_t n) { return posix(pg_read(fd, buf, n)); }
ssize_t write(int fd, const void *buf, size_t n) { return posix(pg_write(fd, buf, n)); }
int close(int fd) { return (int)posix(call1(MSG_PG_CLOSE, fd)); }
int dup(int fd) { return (int)posix(call1(MSG_PG_DUP, fd)); }
int dup2(int fd, int nfd) { return (int)posix(pg_call3(MSG_PG_DUP2, fd, nfd, 0)); }
/* The two descriptors are made first, then handed back: when fds is bad
   they are closed again and pipe says EFAULT. */
int pipe(int fds[2])
{
    int two[2];
    long r = pg_pipe(two);
    if (r == 0 && (r = __put_user(fds, two, sizeof two)) < 0) {
        call1(MSG_PG_CLOSE, two[0]);
        call1(MSG_PG_CLOSE, two[1]);
    }
    return (int)posix(r);
}
off_t lseek(int fd, off_t off, int whence) { return posix(pg_call3(MSG_PG_LSEEK, fd, off, whence)); }

int open(const char *path, int flags, ...)
{
    return (int)posix(pg_call3(MSG_PG_OPEN, (long)path, flags, 0));
}

int fstat(int fd, struct stat *st) { return (int)posix(pg_call3(MSG_PG_FSTAT, fd, (long)st, 0)); }

int stat(const char *path, struct stat *st)
{
    long fd = pg_call3(MSG_PG_OPEN, (long)path, O_RDONLY, 0);
    if (fd < 0)
        return (int)posix(fd);
    long r = pg_call3(MSG_PG_FSTAT, fd, (long)st, 0);
    call1(MSG_PG_CLOSE, fd);
    return (int)posix(r);
}

int lstat(const char *path, struct stat *st) { return stat(path, st); } /* no symbolic links */
int ftruncate(int fd, off_t len) { return (int)posix(pg_call3(MSG_PG_FTRUNCATE, fd, len, 0)); }
int rename(const char *old, const char *new) { return (int)posix(pg_call3(MSG_PG_RENAME, (long)old, (long)new, 0)); } /* atomic */
int fsync(int fd) { return (int)posix(call1(MSG_PG_FSYNC, fd)); }
/* A file's size travels with its pages (and a truncation is on the disk when
   ftruncate returns): fdatasync does what fsync does. */
int fdatasync(int fd) { return fsync(fd); }
int unlink(const char *path) { return (int)posix(call1(MSG_PG_UNLINK, (long)path)); }
int mkdir(const char *path, mode_t mode) { (void)mode; return (int)posix(call1(MSG_PG_MKDIR, (long)path)); }
int rmdir(const char *path) { return (int)posix(call1(MSG_PG_RMDIR, (long)path)); }
int chdir(const char *path) { return (int)posix(call1(MSG_PG_CHDIR, (long)path)); }
int link(const char *old, const char *new) { return (int)posix(pg_call3(MSG_PG_LINK, (long)old, (long)new, 0)); }
void sync(void) { call1(MSG_PG_SYNC, 0); } /* returns once every dirty file page is on the disk */

char *getcwd(char *buf, size_t size)
{
    return posix(pg_call3(MSG_PG_GETCWD, (long)buf, (long)size, 0)) < 0 ? NULL : buf;
}

/* Flush stdio first: the child would write the parent's buffered output again.
   The child has none of the parent's caps but its pager's: it makes its own
   notification for sleeping (__libc_ntfn). */
pid_t fork(void)
{
    fflush(stdout);
    fflush(stderr);
    long r = call1(MSG_PG_FORK, 0);
    if (r == 0)
        __libc_ntfn_forget();
    return (pid_t)posix(r);
}

/* The new program gets envp as its environment. */
int execve(const char *path, char *const argv[], char *const envp[])
{
    fflush(stdout);
    fflush(stderr);
    return (int)posix(pg_exec(path, argv, envp));
}

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

pid_t getpid(void) { return (pid_t)call1(MSG_PG_GETPID, 0); }
pid_t getppid(void) { return (pid_t)call1(MSG_PG_GETPPID, 0); }

/* status: exit code << 8, or the signal that ended the child (WIFSIGNALED,
   WTERMSIG). WNOHANG: 0 while the children waited for all run (status
   untouched). A bad status pointer is found before a child is reaped (EFAULT,
   the child kept). */
pid_t waitpid(pid_t pid, int *status, int options)
{
    long how, code;
    if (options & ~WNOHANG)
        return (pid_t)posix(-EINVAL);
    long r = status ? __check_user(status, sizeof *status) : 0;
    if (r < 0)
        return (pid_t)posix(r);
    r = pg_wait(pid, options & WNOHANG ? WAIT_NOHANG : 0, &how, &code);
    if (r > 0 && status) {
        int st = how == WAIT_EXITED ? (int)(code & 0xff) << 8 : (int)(code & 0x7f);
        __put_user(status, &st, sizeof st);
    }
    return (pid_t)posix(r);
}

pid_t wait(int *status) { return waitpid(-1, status, 0); }

/* sbrk(2). malloc grows the heap a few bytes at a time, so the break the
   pager keeps (top) runs ahead of the program's (cur) by up to SBRK_AHEAD: growth
   within it needs no request (its pages cost nothing until touched). Shrinking
   gives every whole page past the new break back at once, so memory got again
   later is fresh (zeros). */
#define SBRK_AHEAD (64 * 1024)

void *sbrk(ptrdiff_t incr)
{
    if (!brk_cur) {
        long r = call1(MSG_PG_SBRK, 0);
        if (r < 0)
            return (void *)posix(r);
        brk_start = brk_cur = brk_top = (uintptr_t)r;
    }
    uintptr_t old = brk_cur, want = old + (uintptr_t)incr;
    if ((incr > 0 && want < old) || (incr < 0 && want > old))
        return (void *)posix(-ENOMEM);
    uintptr_t top = incr > 0 ? (want > brk_top ? (want + SBRK_AHEAD + 4095) & ~(uintptr_t)4095 : brk_top)
                             : (want + 4095) & ~(uintptr_t)4095;
    if (top != brk_top) {
        long r = call1(MSG_PG_SBRK, (long)(top - brk_top));
        if (r < 0 && incr > 0 && want > brk_top) /* no room ahead: ask for just what is wanted */
            r = call1(MSG_PG_SBRK, (long)(want - brk_top)), top = want;
        if (r < 0)
            return (void *)posix(r);
        brk_top = top;
    }
    brk_cur = want;
    return (void *)old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    struct msg m = { .label = MSG_PG_MMAP, .w = { (long)addr, (long)len, prot, flags, fd, off } };
    long r = posix(pg_call(&m));
    return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len) { return (int)posix(pg_call3(MSG_PG_MUNMAP, (long)addr, (long)len, 0)); }
int mprotect(void *addr, size_t len, int prot) { return (int)posix(pg_call3(MSG_PG_MPROTECT, (long)addr, (long)len, prot)); }
int msync(void *addr, size_t len, int flags) { return (int)posix(pg_call3(MSG_PG_MSYNC, (long)addr, (long)len, flags)); }

/* The console is the one character device (fstat says S_IFCHR); 0 with
   errno ENOTTY for a file, directory or pipe, EBADF for no descriptor. */
int isatty(int fd)
{
    struct stat st;
    long r = pg_call3(MSG_PG_FSTAT, fd, (long)&st, 0);
    if (r == 0 && S_ISCHR(st.st_mode))
        return 1;
    errno = r < 0 ? (int)-r : ENOTTY;
    return 0;
}

DIR *opendir(const char *path)
{
    long fd = pg_call3(MSG_PG_OPEN, (long)path, O_RDONLY, 0);
    if (fd < 0) {
        posix(fd);
        return NULL;
    }
    DIR *d = malloc(sizeof *d);
    if (!d) {
        call1(MSG_PG_CLOSE, fd);
        errno = ENOMEM;
        return NULL;
    }
    d->fd = (int)fd;
    d->cookie = 0;
    return d;
}

/* NULL at the end (errno unchanged) or on an error (errno set). */
struct dirent *readdir(DIR *d)
{
    long inum;
    long r = pg_readdir(d->fd, &d->cookie, d->ent.d_name, &inum);
    if (r <= 0) {
        posix(r);
        return NULL;
    }
    d->ent.d_ino = (ino_t)inum;
    return &d->ent;
}

int closedir(DIR *d)
{
    long r = call1(MSG_PG_CLOSE, d->fd);
    free(d);
    return (int)posix(r);
}

/* ---- clocks ----
   CLOCK_MONOTONIC is rdtime since boot. The wall clock (CLOCK_REALTIME,
   gettimeofday, time) is the pager's wall clock at rdtime 0 (PG_TIME: the
   RTC, read once by the pager; asked once a program) plus rdtime, so reading
   it costs no request. Without an RTC the wall clock starts at 1970 at boot. */

#define NS_PER_TICK (1000000000UL / RDTIME_HZ)

static uint64_t wall_ns(void)
{
    static long base = -1;
    if (base < 0) {
        long r = pg_call3(MSG_PG_TIME, 0, 0, 0);
        base = r < 0 ? 0 : r;
    }
    return (uint64_t)base + rdtime() * NS_PER_TICK;
}

/* tz is not kept (always UTC) and not written. */
int gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    uint64_t ns = wall_ns();
    struct timeval t = { .tv_sec = (time_t)(ns / 1000000000), .tv_usec = (suseconds_t)(ns % 1000000000 / 1000) };
    return tv ? (int)posix(__put_user(tv, &t, sizeof t)) : 0;
}

time_t time(time_t *t)
{
    time_t now = (time_t)(wall_ns() / 1000000000);
    return t && __put_user(t, &now, sizeof now) < 0 ? (time_t)posix(-EFAULT) : now;
}

/* times(2), which picolibc's clock() (so Lua's os.clock) reads. The kernel
   counts no CPU time (only instructions, thread_instret), so tms_utime is
   the real time since the program started: the CPU time only for a program
   that has the machine to itself, more when others run or it sleeps. The
   system and children's times are 0. Clock ticks are CLOCKS_PER_SEC (1000)
   a second. Returns the time since boot in ticks, or -1 (EFAULT). */
clock_t times(struct tms *t)
{
    uint64_t now = rdtime() / (RDTIME_HZ / CLOCKS_PER_SEC);
    struct tms mine = { .tms_utime = (clock_t)(now - __start_ticks) };
    if (t && __put_user(t, &mine, sizeof mine) < 0)
        return (clock_t)posix(-EFAULT);
    return (clock_t)now;
}

/* nanosleep(2): a timer on the process's notification (__libc_ntfn) wakes
   us once rdtime has passed the end. A caught signal ends it early: -1 with
   EINTR, and *rem (if given) the time that was left. */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
    struct timespec want;
    long err = __get_user(&want, req, sizeof want);
    if (err < 0)
        return (int)posix(err);
    req = &want;
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
        return (int)posix(-EINVAL);
    long ntfn = __libc_ntfn();
    if (ntfn < 0)
        return (int)posix(ntfn);
    uint64_t end = rdtime() + (uint64_t)req->tv_sec * RDTIME_HZ + (uint64_t)req->tv_nsec / (1000000000UL / RDTIME_HZ);
    while (rdtime() < end) {
        long r = sys_timer_notify(ntfn, (long)end);
        if (r < 0)
            return (int)posix(r);
        if (sys_wait(ntfn) == -EINTR) {
            uint64_t now = rdtime(), left = end > now ? end - now : 0;
            struct timespec t = { (time_t)(left / RDTIME_HZ), (long)(left % RDTIME_HZ * NS_PER_TICK) };
            if (rem && __put_user(rem, &t, sizeof t) < 0)
                return (int)posix(-EFAULT);
            return (int)posix(-EINTR);
        }
    }
    (void)rem;
    return 0;
}

/* sleep(3): the seconds left when a signal ended it early, else 0. */
unsigned sleep(unsigned s)
{
    struct timespec t = { .tv_sec = s }, rem = { 0, 0 };
    if (nanosleep(&t, &rem) == 0)
        return 0;
    return errno == EINTR ? (unsigned)rem.tv_sec + (rem.tv_nsec > 0) : s;
}

int usleep(useconds_t us)
{
    struct timespec t = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
    return nanosleep(&t, NULL);
}

/* CLOCK_MONOTONIC: rdtime since boot. CLOCK_REALTIME: the wall clock (wall_ns). */
int clock_gettime(clockid_t id, struct timespec *tp)
{
    if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC)
        return (int)posix(-EINVAL);
    uint64_t ns = id == CLOCK_REALTIME ? wall_ns() : rdtime() * NS_PER_TICK;
    struct timespec t = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
    return (int)posix(__put_user(tp, &t, sizeof t));
}

int clock_getres(clockid_t id, struct timespec *res)
{
    if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC)
        return (int)posix(-EINVAL);
    static const struct timespec tick = { 0, NS_PER_TICK };
    return res ? (int)posix(__put_user(res, &tick, sizeof tick)) : 0;
}
