/* The rest of the POSIX calls programs such as SQLite's shell and Lua use,
   built from the pager's requests (posix.c) where the system has what they
   ask, and saying plainly what it does not have: no users (everyone is uid
   0), no permission bits (stored modes), no symbolic links, no record locks
   across processes. Each returns what POSIX says, -1 with errno on error. */
#include "sys.h"
#include <limits.h>
#include <pwd.h>
#include <time.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/ioctl.h>

/* __put_user (posix.c) as 0, or -1 with errno EFAULT. */
static int put_result(void *dst, const void *src, size_t n)
{
    long r = __put_user(dst, src, n);
    if (r < 0)
        errno = (int)-r;
    return r < 0 ? -1 : 0;
}
_Static_assert(sizeof(struct rusage) <= PG_TIME_BYTES, "getrusage: a result the pager's copy cannot take");

/* A path exists; there are no permission bits, so any mode is granted. */
int access(const char *path, int mode)
{
    struct stat st;
    (void)mode;
    return stat(path, &st);
}

/* Modes are not stored: these only check that the file exists. */
int chmod(const char *path, mode_t mode)
{
    struct stat st;
    (void)mode;
    return stat(path, &st);
}

int fchmod(int fd, mode_t mode)
{
    struct stat st;
    (void)mode;
    return fstat(fd, &st);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
    struct stat st;
    (void)uid, (void)gid;
    return fstat(fd, &st);
}

uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }

/* No user database. */
struct passwd *getpwuid(uid_t uid)
{
    (void)uid;
    errno = ENOENT;
    return NULL;
}

/* fcntl(2): F_DUPFD, the descriptor flags (close-on-exec is not kept: exec
   keeps every descriptor), F_GETFL (read and write; the pager checks each
   call), and record locks. Locks are granted at once and F_GETLK finds none:
   one process at a time may use a file that needs them (SQLite's database). */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    struct stat st;
    switch (cmd) {
    case F_DUPFD:
        errno = ENOSYS; /* the pager gives the lowest free descriptor only */
        return -1;
    case F_GETFD:
    case F_SETFD:
    case F_SETFL:
        return fstat(fd, &st) < 0 && errno == EBADF ? -1 : 0;
    case F_GETFL:
        return fstat(fd, &st) < 0 && errno == EBADF ? -1 : O_RDWR;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW: {
        struct flock *l = (struct flock *)arg;
        if (fstat(fd, &st) < 0)
            return -1;
        short none = F_UNLCK;
        return cmd == F_GETLK ? put_result(&l->l_type, &none, sizeof none) : 0;
    }
    default:
        errno = EINVAL;
        return -1;
    }
}

int ioctl(int fd, unsigned long request, ...)
{
    (void)fd, (void)request;
    errno = ENOTTY;
    return -1;
}

ssize_t readlink(const char *path, char *buf, size_t size)
{
    struct stat st;
    (void)buf, (void)size;
    if (stat(path, &st) == 0)
        errno = EINVAL; /* not a symbolic link: there are none */
    return -1;
}

int symlink(const char *target, const char *path)
{
    (void)target, (void)path;
    errno = EPERM; /* the file system has no symbolic links */
    return -1;
}

int utimes(const char *path, const struct timeval times[2])
{
    (void)path, (void)times;
    errno = ENOSYS; /* times are set by writes only */
    return -1;
}

/* realpath(3): the absolute path with "." and ".." taken out (no symbolic
   links to follow). resolved: PATH_MAX bytes, or NULL for a malloc'd one. */
char *realpath(const char *path, char *resolved)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return NULL;
    char *out = resolved ? resolved : malloc(PATH_MAX);
    if (!out) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = 0;
    if (path[0] != '/') {
        if (!getcwd(out, PATH_MAX))
            goto fail;
        len = strlen(out);
        if (len == 1)
            len = 0;  /* "/" */
    }
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[--len] != '/')
                ;
        } else {
            if (len + 1 + n + 1 > PATH_MAX) {
                errno = ENAMETOOLONG;
                goto fail;
            }
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p = e;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = 0;
    return out;
fail:
    if (!resolved)
        free(out);
    return NULL;
}

long sysconf(int name)
{
    switch (name) {
    case _SC_PAGESIZE: return 4096;
    case _SC_CLK_TCK: return CLOCKS_PER_SEC;
    case _SC_OPEN_MAX: return FD_MAX;        /* the pager's descriptors a process (abi.def) */
    case _SC_NPROCESSORS_ONLN: return 1;
    default:
        errno = EINVAL;
        return -1;
    }
}

/* getrusage(2): the user time is what times() says (posix.c); nothing else is counted. */
int getrusage(int who, struct rusage *ru)
{
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN) {
        errno = EINVAL;
        return -1;
    }
    struct rusage r = { 0 };
    if (who == RUSAGE_SELF) {
        clock_t t = clock();
        r.ru_utime.tv_sec = t / CLOCKS_PER_SEC;
        r.ru_utime.tv_usec = (suseconds_t)(t % CLOCKS_PER_SEC * (1000000 / CLOCKS_PER_SEC));
    }
    return put_result(ru, &r, sizeof r);
}

/* Run cmd by /bin/sh -c in a child; returns the child's pid or -1. fd_child is
   dup'ed onto the child's fd `onto` (-1: none). */
static pid_t run_sh(const char *cmd, int fd_child, int onto, int fd_close)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fd_child >= 0) {
            dup2(fd_child, onto);
            close(fd_child);
        }
        if (fd_close >= 0)
            close(fd_close);
        char *av[] = { "sh", "-c", (char *)cmd, NULL };
        execv("/bin/sh", av);
        _exit(127);
    }
    return pid;
}

/* system(3): NULL asks whether there is a shell (there is). */
int system(const char *cmd)
{
    if (!cmd)
        return 1;
    pid_t pid = run_sh(cmd, -1, -1, -1);
    if (pid < 0)
        return -1;
    int status;
    return waitpid(pid, &status, 0) < 0 ? -1 : status;
}

/* popen(3) and pclose(3): at most POPEN_MAX at a time (EMFILE beyond). */
#define POPEN_MAX 8
static struct { FILE *f; pid_t pid; } popened[POPEN_MAX];

FILE *popen(const char *cmd, const char *mode)
{
    bool rd = mode[0] == 'r';
    if ((mode[0] != 'r' && mode[0] != 'w') || mode[1]) {
        errno = EINVAL;
        return NULL;
    }
    int slot = 0;
    while (slot < POPEN_MAX && popened[slot].f)
        slot++;
    if (slot == POPEN_MAX) {
        errno = EMFILE;
        return NULL;
    }
    int p[2];
    if (pipe(p) < 0)
        return NULL;
    int mine = rd ? p[0] : p[1], theirs = rd ? p[1] : p[0];
    pid_t pid = run_sh(cmd, theirs, rd ? 1 : 0, mine);
    close(theirs);
    FILE *f = pid < 0 ? NULL : fdopen(mine, mode);
    if (!f) {
        close(mine);
        if (pid > 0)
            waitpid(pid, NULL, 0);
        return NULL;
    }
    popened[slot].f = f;
    popened[slot].pid = pid;
    return f;
}

int pclose(FILE *f)
{
    for (int i = 0; i < POPEN_MAX; i++) {
        if (popened[i].f != f)
            continue;
        popened[i].f = NULL;
        fclose(f);
        int status;
        return waitpid(popened[i].pid, &status, 0) < 0 ? -1 : status;
    }
    errno = EINVAL;
    return -1;
}
